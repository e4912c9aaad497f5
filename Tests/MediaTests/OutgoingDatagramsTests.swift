import Glibc
import NIOCore
import Testing

@testable import Media

/// The shared socket's send slots: what is queued leaves in order, each datagram exactly as it
/// was and to its own address; a full batch flushes itself; a datagram larger than a slot leaves
/// on its own after what was queued; a refused one is dropped and counted while the rest go.
@Suite struct OutgoingDatagramsTests {
    /// A bound, non-blocking UDP socket on 127.0.0.1 and its address.
    static func receiver() throws -> (CInt, SocketAddress) {
        let descriptor = try MediaSocketDescriptor.boundUDP(try SocketAddress(ipAddress: "127.0.0.1", port: 0))
        var storage = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        let port = Int(UInt16(bigEndian: storage.sin_port))
        var buffer: CInt = 8 << 20
        setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &buffer, socklen_t(MemoryLayout<CInt>.size))
        return (descriptor, try SocketAddress(ipAddress: "127.0.0.1", port: port))
    }

    /// Every datagram waiting on `descriptor`, in arrival order.
    static func drain(_ descriptor: CInt) -> [[UInt8]] {
        var received: [[UInt8]] = []
        var bytes = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = bytes.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
            guard count >= 0 else { return received }
            received.append(Array(bytes[0..<count]))
        }
    }

    static func datagram(_ number: Int, length: Int = 172) -> [UInt8] {
        let tag = withUnsafeBytes(of: UInt32(number)) { Array($0) }
        return (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ number) } + tag
    }

    @Test func queuedDatagramsLeaveInOrderToTheirOwnAddressesOnlyWhenFlushed() throws {
        let (sender, _) = try Self.receiver()
        let (a, addressA) = try Self.receiver()
        let (b, addressB) = try Self.receiver()
        defer { [sender, a, b].forEach { _ = close($0) } }
        let statistics = MediaStatistics()
        let outgoing = OutgoingDatagrams(statistics: statistics)
        for number in 0..<10 {
            Self.datagram(number).withUnsafeBytes {
                outgoing.add($0, to: number % 2 == 0 ? addressA : addressB, descriptor: sender)
            }
        }
        #expect(outgoing.count == 10)
        #expect(Self.drain(a).isEmpty && Self.drain(b).isEmpty, "nothing leaves before the flush")
        outgoing.flush(to: sender)
        #expect(outgoing.count == 0)
        #expect(Self.drain(a) == stride(from: 0, to: 10, by: 2).map { Self.datagram($0) })
        #expect(Self.drain(b) == stride(from: 1, to: 10, by: 2).map { Self.datagram($0) })
        #expect(statistics.sendsRefused.load(ordering: .relaxed) == 0)
    }

    @Test func aFullBatchFlushesItselfAndALargeDatagramLeavesAloneInItsPlace() throws {
        let (sender, _) = try Self.receiver()
        let (a, address) = try Self.receiver()
        defer { [sender, a].forEach { _ = close($0) } }
        let outgoing = OutgoingDatagrams(statistics: MediaStatistics())
        let slots = Int(OutgoingDatagrams.slots)
        var expected: [[UInt8]] = []
        for number in 0..<(slots + 10) {
            // One datagram larger than a slot (a 3,000-byte one) in the middle of the second batch.
            let bytes = number == slots + 5 ? Self.datagram(number, length: 3000) : Self.datagram(number)
            expected.append(bytes)
            bytes.withUnsafeBytes { outgoing.add($0, to: address, descriptor: sender) }
        }
        #expect(outgoing.count == 4, "a full batch left by itself; the large datagram took the five before it along")
        outgoing.flush(to: sender)
        #expect(Self.drain(a) == expected)
    }

    @Test func aRefusedDatagramIsDroppedAndCountedAndTheRestGo() throws {
        let (sender, _) = try Self.receiver()
        let (a, address) = try Self.receiver()
        defer { [sender, a].forEach { _ = close($0) } }
        let statistics = MediaStatistics()
        let outgoing = OutgoingDatagrams(statistics: statistics)
        let refused = try SocketAddress(ipAddress: "127.0.0.1", port: 0)  // EINVAL
        for number in 0..<6 {
            Self.datagram(number).withUnsafeBytes {
                outgoing.add($0, to: number == 0 || number == 3 ? refused : address, descriptor: sender)
            }
        }
        outgoing.flush(to: sender)
        #expect(Self.drain(a) == [1, 2, 4, 5].map { Self.datagram($0) })
        #expect(statistics.sendsRefused.load(ordering: .relaxed) == 2)
        #expect(statistics.sendsDroppedFull.load(ordering: .relaxed) == 0)
    }

    @Test func whatIsQueuedForAClosedSocketIsDroppedAndCounted() throws {
        let (a, address) = try Self.receiver()
        defer { _ = close(a) }
        let statistics = MediaStatistics()
        let outgoing = OutgoingDatagrams(statistics: statistics)
        for number in 0..<3 { Self.datagram(number).withUnsafeBytes { outgoing.add($0, to: address, descriptor: -1) } }
        outgoing.flush(to: -1)
        #expect(outgoing.count == 0)
        #expect(statistics.sendsRefused.load(ordering: .relaxed) == 3)
        #expect(Self.drain(a).isEmpty)
    }
}

/// A trunk leg's RTP goes out at once, one `sendto` each: delivered as it was, or counted when
/// refused or when the socket is gone.
@Suite struct SendNowTests {
    @Test func aDatagramLeavesAtOnceOrIsCounted() throws {
        let (sender, _) = try OutgoingDatagramsTests.receiver()
        let (a, address) = try OutgoingDatagramsTests.receiver()
        defer { [sender, a].forEach { _ = close($0) } }
        let statistics = MediaStatistics()
        let refused = try SocketAddress(ipAddress: "127.0.0.1", port: 0)  // EINVAL
        for (number, target, descriptor) in [(0, address, sender), (1, refused, sender), (2, address, CInt(-1))] {
            OutgoingDatagramsTests.datagram(number).withUnsafeBytes {
                OutgoingDatagrams.sendNow($0, to: target, descriptor: descriptor, statistics: statistics)
            }
        }
        #expect(OutgoingDatagramsTests.drain(a) == [OutgoingDatagramsTests.datagram(0)])
        #expect(statistics.sendsRefused.load(ordering: .relaxed) == 2)
    }
}
