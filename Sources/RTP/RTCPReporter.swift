/// One media leg's own RTCP (RFC 3550 §6.4): statistics per received stream, the peer's sender
/// reports (for LSR/DLSR), what was sent, and the SR or RR that sums it up. Time is seconds
/// (Unix epoch) passed in by the caller.
public struct RTCPReporter: Sendable {
    private var streams: [UInt32: ReceiverStatistics] = [:]
    /// The middle 32 bits of the NTP time of each peer stream's last SR, and when it arrived.
    private var senderReports: [UInt32: (middle: UInt32, at: Double)] = [:]
    private var lastSentTimestamp: UInt32 = 0
    private var lastSentAt = 0.0
    private var lastSentRate = 48000
    public private(set) var packetsSent: UInt32 = 0
    public private(set) var octetsSent: UInt32 = 0

    public init() {}

    /// Records a received packet; jitter is kept in the stream's own clock (`clockRate`).
    public mutating func received(_ header: RTPHeader, clockRate: Int, now: Double) {
        streams[header.ssrc, default: ReceiverStatistics()].record(
            sequence: header.sequenceNumber, timestamp: header.timestamp,
            arrival: UInt32(truncatingIfNeeded: Int64(now * Double(clockRate))))
    }

    /// Records a sent packet: its RTP timestamp, payload size and clock rate.
    public mutating func sent(timestamp: UInt32, payloadOctets: Int, clockRate: Int, now: Double) {
        lastSentTimestamp = timestamp
        lastSentAt = now
        lastSentRate = clockRate
        packetsSent &+= 1
        octetsSent &+= UInt32(truncatingIfNeeded: max(0, payloadOctets))
    }

    /// Remembers the sender reports in a received compound packet.
    public mutating func receivedCompound(_ bytes: [UInt8], now: Double) {
        guard let packets = try? RTCPPacket.parseCompound(bytes) else { return }
        for case .senderReport(let ssrc, let ntp, _, _, _, _) in packets {
            senderReports[ssrc] = (UInt32(truncatingIfNeeded: ntp >> 16), now)
        }
    }

    /// Statistics of a received stream.
    public func statistics(of ssrc: UInt32) -> ReceiverStatistics? { streams[ssrc] }

    /// The report to send now: an SR when media was sent, else an RR; one block per received
    /// stream (at most 31).
    public mutating func report(ssrc: UInt32, now: Double) -> RTCPPacket {
        var blocks: [ReportBlock] = []
        for (source, var stream) in streams.prefix(31) {
            let fraction = stream.fractionLostSinceLastReport()
            streams[source] = stream
            blocks.append(
                ReportBlock(
                    ssrc: source, fractionLost: fraction, cumulativeLost: Int32(clamping: stream.cumulativeLost),
                    highestSequence: stream.extendedHighest, jitter: stream.jitter,
                    lastSR: senderReports[source]?.middle ?? 0,
                    delaySinceLastSR: senderReports[source].map { UInt32(clamping: Int64((now - $0.at) * 65536)) }
                        ?? 0))
        }
        guard packetsSent > 0 else { return .receiverReport(ssrc: ssrc, reports: blocks) }
        let ntp = UInt64((now + 2_208_988_800) * 4_294_967_296)
        // The RTP time matching the NTP time: the last sent timestamp moved on to now.
        let rtpNow =
            lastSentTimestamp &+ UInt32(truncatingIfNeeded: Int64((now - lastSentAt) * Double(lastSentRate)))
        return .senderReport(
            ssrc: ssrc, ntp: ntp, rtpTimestamp: rtpNow, packets: packetsSent, octets: octetsSent, reports: blocks)
    }
}
