import Codecs

/// One participant's track of a recording, sans I/O: packets in (codec, RTP timestamp, arrival
/// time), 16 kHz mono samples out, in order, with every gap (loss, DTX, hold, pause, a dropped
/// chunk) as silence.
///
/// Packets are placed by RTP timestamp, so reordering and jitter do not move audio. The RTP
/// timeline is anchored to the arrival clock that every track of a recording shares: at the
/// first packet, and again whenever the timestamps drift from arrivals (a sender clock running
/// fast or slow, the smallest lateness over 2 s straying by more than 10 ms) or jump (a new
/// stream after a transfer or re-INVITE: three packets in a row more than a second off, the
/// first two of which are dropped). Tracks therefore stay aligned
/// with each other over a long call whatever the senders' clocks do.
///
/// A sample is emitted once no packet can still land on it (`latency` behind the newest
/// arrival); later packets are counted and dropped. Opus is decoded in timestamp order, as a
/// receiver's jitter buffer would (see `PacketReorderWindow`): a packet waits until
/// `reorderDepth` newer ones came or its samples are due, and one older than the last decoded
/// is late.
public final class RecordingTimeline {
    public static let sampleRate = 16000
    /// How late a packet may arrive behind the newest one and still be placed.
    public static let latency = sampleRate * 3 / 10
    static let capacity = sampleRate * 3
    static let driftWindow = 2.0
    static let driftTolerance = sampleRate / 100
    static let jumpTolerance = sampleRate
    /// Opus packets held back to be decoded in order: 10 (200 ms of 20 ms packets).
    static let reorderDepth = 10

    /// Packets too late to place (their samples were emitted already, or they were far off).
    public private(set) var late = 0
    /// Samples emitted so far.
    public var emitted: Int { cursor }

    private var ring = [Int16](repeating: 0, count: capacity)
    private var cursor = 0
    private var anchor: (position: Int, timestamp: UInt32, clockRate: Int)?
    private var windowStart = 0.0
    private var windowMinLag = Int.max
    private var opus: OpusDecoder?
    private var decoded = [Int16](repeating: 0, count: 5760)
    private var previousNarrow: Int16 = 0
    private var finished = false
    /// Packets in a row far off their arrival, and by how much the last one was.
    private var jump: (offset: Int, count: Int)?
    /// Opus packets waiting to be decoded in order.
    private var opusWindow = PacketReorderWindow(depth: reorderDepth)

    public init() {}

    /// Places one packet; emits what no packet can change any more through `emit`.
    public func receive(
        codec: RecordedCodec, timestamp: UInt32, arrival: Double, payload: UnsafeRawBufferPointer,
        emit: (UnsafeBufferPointer<Int16>) -> Void
    ) {
        guard !finished else { return }
        let arrivalPosition = Int(arrival * Double(Self.sampleRate))
        var position = place(timestamp, clockRate: codec.clockRate)
        if anchor == nil || anchor!.clockRate != codec.clockRate || jumped(position, arrivalPosition) {
            anchor = (arrivalPosition, timestamp, codec.clockRate)
            position = arrivalPosition
            windowStart = arrival
            windowMinLag = Int.max
            jump = nil
        }
        drain(to: arrivalPosition - Self.latency, emit: emit)
        guard abs(arrivalPosition - position) <= Self.jumpTolerance else {
            // Far off its arrival, and no jump yet: a straggler (or the first of a new stream).
            late += 1
            return
        }
        trackDrift(lag: arrivalPosition - position, arrival: arrival)
        if codec == .opus {
            // A repeat is dropped; a late one is counted.
            let outcome = opusWindow.hold(payload, at: position) { placeOpus($0, $1, emit: emit) }
            if outcome == .late { late += 1 }
        } else {
            write(at: position, count: decode(codec, payload), emit: emit)
        }
    }

    /// Writes `count` decoded samples at `position` (what is already emitted is late).
    private func write(at position: Int, count: Int, emit: (UnsafeBufferPointer<Int16>) -> Void) {
        guard count > 0 else { return }
        if position < cursor { late += 1 }
        // Room ahead of the cursor: a packet far ahead of the others makes older samples final.
        emitSamples(to: position + count - Self.capacity, emit: emit)
        for index in 0..<count {
            let at = position + index
            guard at >= cursor else { continue }
            ring[at % Self.capacity] = decoded[index]
        }
    }

    private func placeOpus(
        _ position: Int, _ payload: UnsafeRawBufferPointer, emit: (UnsafeBufferPointer<Int16>) -> Void
    ) {
        write(at: position, count: decode(.opus, payload), emit: emit)
    }

    /// Ends the track at `end` (seconds since the origin): every sample up to it is emitted,
    /// silence where nothing was heard, so every track of a recording has the same length.
    public func finish(at end: Double, emit: (UnsafeBufferPointer<Int16>) -> Void) {
        guard !finished else { return }
        drain(to: RecordingRenderer.samples(until: end), emit: emit)
        finished = true
    }

    /// Whether the timestamps jumped (a new stream): three packets in a row more than a second
    /// off their arrival, by the same amount. One such packet alone is late (or early), not a jump.
    private func jumped(_ position: Int, _ arrivalPosition: Int) -> Bool {
        let offset = arrivalPosition - position
        guard abs(offset) > Self.jumpTolerance else {
            jump = nil
            return false
        }
        if let (previous, count) = jump, abs(previous - offset) < Self.latency {
            jump = (offset, count + 1)
        } else {
            jump = (offset, 1)
        }
        return jump!.count >= 3
    }

    private func place(_ timestamp: UInt32, clockRate: Int) -> Int {
        guard let anchor else { return 0 }
        let ticks = Int(Int32(bitPattern: timestamp &- anchor.timestamp))
        return anchor.position + ticks * Self.sampleRate / clockRate
    }

    /// Jitter only delays packets: the least lateness over a window is where the RTP clock sits
    /// against arrivals. When it strays, the anchor moves by that much.
    private func trackDrift(lag: Int, arrival: Double) {
        windowMinLag = min(windowMinLag, lag)
        guard arrival - windowStart >= Self.driftWindow else { return }
        if abs(windowMinLag) > Self.driftTolerance, anchor != nil {
            anchor!.position += windowMinLag
        }
        windowStart = arrival
        windowMinLag = Int.max
    }

    /// Decodes the held packets that start before `target`, then emits samples up to it.
    private func drain(to target: Int, emit: (UnsafeBufferPointer<Int16>) -> Void) {
        while let oldest = opusWindow.oldestPosition, oldest < target {
            opusWindow.releaseOldest { placeOpus($0, $1, emit: emit) }
        }
        emitSamples(to: target, emit: emit)
    }

    /// Emits samples from the cursor up to `target`, clearing their slots.
    private func emitSamples(to target: Int, emit: (UnsafeBufferPointer<Int16>) -> Void) {
        while cursor < target {
            let slot = cursor % Self.capacity
            let count = min(target - cursor, Self.capacity - slot)
            ring.withUnsafeMutableBufferPointer { ring in
                let span = UnsafeMutableBufferPointer(rebasing: ring[slot..<slot + count])
                emit(UnsafeBufferPointer(span))
                span.update(repeating: 0)
            }
            cursor += count
        }
    }

    /// Decodes into `decoded` at 16 kHz; returns the samples made (0 for an undecodable packet).
    private func decode(_ codec: RecordedCodec, _ payload: UnsafeRawBufferPointer) -> Int {
        switch codec {
        case .opus:
            if opus == nil { opus = try? OpusDecoder(sampleRate: Self.sampleRate, channels: 1) }
            guard let opus else { return 0 }
            return payload.withMemoryRebound(to: UInt8.self) { packet in
                decoded.withUnsafeMutableBufferPointer { (try? opus.decode(packet, into: $0)) ?? 0 }
            }
        case .vp8:
            return 0
        case .pcmu, .pcma:
            let table = codec == .pcma ? G711.alawTable : G711.ulawTable
            let count = min(payload.count, decoded.count / 2)
            var previous = previousNarrow
            for index in 0..<count {
                let sample = table[Int(payload[index])]
                // 8 to 16 kHz: each sample, and the midpoint before it.
                decoded[2 * index] = Int16((Int(previous) + Int(sample)) / 2)
                decoded[2 * index + 1] = sample
                previous = sample
            }
            previousNarrow = previous
            return count * 2
        }
    }
}
