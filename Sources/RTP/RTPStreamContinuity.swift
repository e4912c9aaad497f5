/// Keeps one outgoing RTP stream continuous while what feeds it changes or pauses (hold and
/// resume, a prompt then an agent): the receiver sees one stream, its sequence numbers going on
/// by one, its timestamps advancing with the time that passed, and the marker bit on the first
/// packet of each new talk-spurt. A value type on the media loop: no allocation, no lock.
public struct RTPStreamContinuity: Sendable {
    /// The stream's RTP clock (48000 for Opus).
    public let clockRate: Double
    private var sequenceOffset: UInt16 = 0
    private var timestampOffset: UInt32 = 0
    private var lastSequence: UInt16 = 0
    private var lastTimestamp: UInt32 = 0
    private var lastSentAt = 0.0
    /// How far the timestamp moved between the last two packets of one source: the length of
    /// the last packet's audio, which a new source must not overlap.
    private var lastStep: UInt32 = 0
    private var hasSent = false
    private var source: UInt32 = 0
    private var resync = true

    public init(clockRate: Int) { self.clockRate = Double(clockRate) }

    /// The sequence number, timestamp and marker to send for a packet of `source` (its SSRC)
    /// that carries `sequence`, `timestamp` and `marker`, at `now` (seconds, any monotonic base).
    public mutating func next(source: UInt32, sequence: UInt16, timestamp: UInt32, marker: Bool, now: Double) -> (
        sequence: UInt16, timestamp: UInt32, marker: Bool
    ) {
        var marker = marker
        if resync || source != self.source {
            if hasSent {
                // As much as the time that passed since the last packet (a pause: hold, a prompt),
                // and at least that packet's length (20 ms when unknown), so the new audio does not
                // overlap it. A source that takes over within two and a half packet lengths goes on
                // right after the last packet: the delay was the switch's jitter (a mixer's tick
                // just missing a packet), which a receiver's jitter buffer absorbs, whereas a gap in
                // the timestamps would be played as a lost packet.
                let frame = Int64(lastStep > 0 ? lastStep : UInt32(clockRate / 50))
                let passed = Int64(((now - lastSentAt) * clockRate).rounded())
                let elapsed = UInt32(clamping: 2 * passed < 5 * frame ? frame : passed)
                sequenceOffset = (lastSequence &+ 1) &- sequence
                timestampOffset = (lastTimestamp &+ elapsed) &- timestamp
                marker = true
            }
            self.source = source
            resync = false
        }
        let out = (sequence: sequence &+ sequenceOffset, timestamp: timestamp &+ timestampOffset, marker: marker)
        // A late (reordered) packet keeps its place; only the newest moves the stream on.
        if !hasSent || Int16(bitPattern: out.sequence &- lastSequence) > 0 {
            let step = out.timestamp &- lastTimestamp
            if hasSent, out.sequence == lastSequence &+ 1, step > 0, step < UInt32(clockRate) { lastStep = step }
            lastSequence = out.sequence
            lastTimestamp = out.timestamp
            lastSentAt = now
            hasSent = true
        }
        return out
    }

    /// What feeds the stream changed or paused: its next packet starts a new talk-spurt, continuing
    /// this stream's numbering.
    public mutating func sourceChanged() { resync = true }
}
