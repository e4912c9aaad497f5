import NIOCore
import Testing

@testable import Media

/// A trunk leg takes RTP from the address its SDP names; stray packets reaching a recycled port
/// from another host or another port are not taken, and a device sending from an unannounced
/// port of its host is taken after probation, until the announced address is heard. Latching
/// (symmetric RTP), any address passes probation, and the first packets of a stray or an
/// attacker racing the phone do not take the call's audio.
@Suite struct RTPSourceFilterTests {
    static func address(_ host: String, _ port: Int) -> DatagramSource {
        DatagramSource(try! SocketAddress(ipAddress: host, port: port))!
    }
    let phone = Self.address("192.0.2.10", 4000)
    let strayPort = Self.address("192.0.2.10", 5000)
    let otherHost = Self.address("198.51.100.1", 4000)

    /// Whether each packet, from each source in turn, is taken.
    static func feed(_ filter: inout RTPSourceFilter, _ sources: [DatagramSource]) -> [Bool] {
        sources.map { filter.accepts($0) != .dropped }
    }

    @Test func nothingIsTakenBeforeTheSDPNamesAnAddress() {
        var filter = RTPSourceFilter()
        #expect(Self.feed(&filter, [phone]) == [false])
    }

    @Test func theAnnouncedAddressIsTakenAndStrayPacketsBeforeItAreNot() {
        var filter = RTPSourceFilter()
        filter.expect(phone)
        // A phone whose call ended still sends a few packets to the port this leg now has.
        #expect(
            Self.feed(&filter, [strayPort, strayPort, strayPort, otherHost, phone]) == [
                false, false, false, false, true,
            ])
        // Once the announced address is heard, no other port is taken, however long it sends.
        #expect(Self.feed(&filter, Array(repeating: strayPort, count: 10)) == Array(repeating: false, count: 10))
        #expect(Self.feed(&filter, [phone]) == [true])
    }

    @Test func anUnannouncedPortOfTheHostIsTakenAfterProbationUntilTheAnnouncedOneIsHeard() {
        var filter = RTPSourceFilter()
        filter.expect(phone)
        let taken = Self.feed(&filter, Array(repeating: strayPort, count: 6))
        #expect(taken == [false, false, false, true, true, true], "probation of \(RTPSourceFilter.probation)")
        #expect(Self.feed(&filter, [phone, strayPort]) == [true, false])
    }

    @Test func probationNeedsPacketsInARow() {
        var filter = RTPSourceFilter()
        filter.expect(phone)
        let second = Self.address("192.0.2.10", 6000)
        // Two unannounced ports taking turns: neither sends four in a row.
        let turns = Self.feed(&filter, (0..<8).map { $0 % 2 == 0 ? strayPort : second })
        #expect(!turns.contains(true))
    }

    @Test func latchingTakesAnyAddressAfterProbationAndTheAnnouncedOneAtOnce() {
        var filter = RTPSourceFilter(latching: true)
        filter.expect(phone)
        let nat = Self.address("203.0.113.5", 31000)
        // A phone behind NAT: its SDP names a private address; its media comes from the NAT.
        let verdicts = (0..<5).map { _ in filter.accepts(nat) }
        #expect(verdicts == [.dropped, .dropped, .dropped, .takenFromNewSource, .taken])
        #expect(filter.source == nat)
        // Another address racing it never sends four in a row while the phone's media flows.
        let attacker = Self.address("198.51.100.66", 40000)
        let raced = Self.feed(&filter, [attacker, nat, attacker, attacker, nat, attacker, attacker, attacker, nat])
        #expect(raced == [false, true, false, false, true, false, false, false, true])
        #expect(filter.source == nat)
        // The NAT moves the binding and the old one goes quiet: the new one takes over.
        let moved = Self.address("203.0.113.5", 31002)
        #expect(Self.feed(&filter, [moved, moved, moved, moved]) == [false, false, false, true])
        #expect(filter.source == moved)
    }

    @Test func latchingWithoutAnAnnouncedAddressStillLearns() {
        var filter = RTPSourceFilter(latching: true)
        #expect(Self.feed(&filter, Array(repeating: otherHost, count: 4)) == [false, false, false, true])
        #expect(filter.source == otherHost)
    }

    @Test func latchingToTheAnnouncedAddressLocksOutEveryOther() {
        var filter = RTPSourceFilter(latching: true)
        filter.expect(phone)
        // A stray first, then the phone itself (not behind NAT): the phone is taken at once.
        #expect(Self.feed(&filter, [otherHost, otherHost, phone]) == [false, false, true])
        #expect(filter.source == phone)
        #expect(Self.feed(&filter, Array(repeating: otherHost, count: 6)) == Array(repeating: false, count: 6))
    }

    @Test func aNewAnnouncedAddressStartsOver() {
        var filter = RTPSourceFilter()
        filter.expect(phone)
        #expect(Self.feed(&filter, [phone]) == [true])
        filter.expect(phone)  // the same address again (a re-INVITE for hold) changes nothing
        #expect(Self.feed(&filter, [strayPort]) == [false])
        let moved = Self.address("192.0.2.20", 7000)
        filter.expect(moved)
        #expect(Self.feed(&filter, [phone, moved]) == [false, true])
    }
}
