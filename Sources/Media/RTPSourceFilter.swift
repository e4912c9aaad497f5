/// Which sources a trunk's RTP leg takes media from. The address its SDP names is taken at once,
/// and once heard nothing else is, until the SDP names another. Another source must first send
/// `probation` packets in a row, and is taken only while the SDP's address has not been heard:
/// without `latching`, only another port of the SDP's host (a device that sends from a port
/// other than the one it announced); with `latching` (symmetric RTP, for trunks behind NAT), any
/// address, which then becomes where the leg sends. A source taken can be replaced the same way
/// (a NAT that moved the binding) when it stops sending.
///
/// A port is used by one call after another (and by several gateways on one host): packets a
/// phone sends after its call ended reach whichever leg took the port next, and anyone can send
/// to a media port. Probation keeps a few such packets from being heard, and from making a
/// latching leg send the call's audio to their source. A value type on the leg's event loop: no
/// allocation, no lock.
struct RTPSourceFilter {
    /// What `accepts` decided about a packet.
    enum Verdict: Equatable {
        case dropped
        case taken
        /// Taken, from a source that was not the one media was taken from until now.
        case takenFromNewSource
    }

    /// Packets in a row from a source the SDP did not name before it is taken.
    static let probation = 4
    /// Any address may become the source (symmetric RTP), not only another port of the SDP's host.
    var latching = false
    private(set) var expected: DatagramSource?
    private var heardExpected = false
    /// The source taken other than the SDP's address, once it passed probation.
    private var learned: DatagramSource?
    private var candidate: DatagramSource?
    private var candidateRun = 0

    init(latching: Bool = false) { self.latching = latching }

    /// Where media is taken from now: the SDP's address once heard, else a source that passed
    /// probation, else nil.
    var source: DatagramSource? { heardExpected ? expected : learned }

    /// The address the SDP names; a new one starts over.
    mutating func expect(_ address: DatagramSource) {
        guard address != expected else { return }
        self = RTPSourceFilter(latching: latching)
        expected = address
    }

    /// Decides about a packet from `source`.
    mutating func accepts(_ source: DatagramSource) -> Verdict {
        if let expected, source == expected {
            candidateRun = 0
            if heardExpected { return .taken }
            heardExpected = true
            return .takenFromNewSource
        }
        guard !heardExpected else { return .dropped }
        // Latching, any address may pass probation (also when the SDP named none: 0.0.0.0).
        if !latching {
            guard let expected, source.hasSameHost(as: expected) else { return .dropped }
        }
        if source == learned {
            candidateRun = 0
            return .taken
        }
        if source == candidate {
            candidateRun += 1
        } else {
            candidate = source
            candidateRun = 1
        }
        guard candidateRun >= Self.probation else { return .dropped }
        learned = source
        candidateRun = 0
        return .takenFromNewSource
    }
}
