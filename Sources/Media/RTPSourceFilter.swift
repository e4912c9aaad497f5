import NIOCore

/// Which sources a trunk's RTP leg takes media from when it does not latch (symmetric RTP is
/// off): the address its SDP names, always; another port of that host only while that address
/// has not been heard, and only once it has sent `probation` packets in a row. Once the named
/// address is heard, nothing else is taken until the SDP names another.
///
/// A port is used by one call after another (and by several gateways on one host): packets a
/// phone sends after its call ended reach whichever leg took the port next. Taken, they feed that
/// call a few packets of another conversation; a device that really sends from a port other than
/// the one it announced still gets through, `probation` packets late. A value type on the leg's
/// event loop: no allocation, no lock.
struct RTPSourceFilter {
    /// Packets in a row from an unannounced port before it is taken.
    static let probation = 4
    private(set) var expected: SocketAddress?
    private var heardExpected = false
    /// The unannounced port being taken, once it passed probation.
    private var learned: SocketAddress?
    private var candidate: SocketAddress?
    private var candidateRun = 0

    /// The address the SDP names; a new one starts over.
    mutating func expect(_ address: SocketAddress) {
        guard address != expected else { return }
        self = RTPSourceFilter()
        expected = address
    }

    /// Whether a packet from `source` is taken.
    mutating func accepts(_ source: SocketAddress) -> Bool {
        guard let expected else { return false }
        if source == expected {
            heardExpected = true
            candidateRun = 0
            return true
        }
        guard !heardExpected, source.hasSameHost(as: expected) else { return false }
        if source == learned {
            candidateRun = 0
            return true
        }
        if source == candidate {
            candidateRun += 1
        } else {
            candidate = source
            candidateRun = 1
        }
        guard candidateRun >= Self.probation else { return false }
        learned = source
        candidateRun = 0
        return true
    }
}
