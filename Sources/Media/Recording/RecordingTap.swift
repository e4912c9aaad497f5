import NIOCore
import RTP
import Synchronization

/// Bytes of recorded audio handed to writers and not written yet, for the whole process: a
/// writer that falls behind (a slow or stalled disk) makes taps drop chunks instead of growing
/// memory or making the media path wait.
public final class RecordingBudget: Sendable {
    public let limit: Int
    private let outstanding = Atomic<Int>(0)
    private let refused = Atomic<Int>(0)

    public init(limit: Int = 32 << 20) { self.limit = limit }

    /// Takes `bytes` from the budget; false (and nothing taken) when it would go over the limit.
    func reserve(_ bytes: Int) -> Bool {
        let after = outstanding.add(bytes, ordering: .relaxed).newValue
        guard after > limit else { return true }
        outstanding.subtract(bytes, ordering: .relaxed)
        refused.add(1, ordering: .relaxed)
        return false
    }

    /// Takes `bytes` from the budget even over its limit.
    func charge(_ bytes: Int) { outstanding.add(bytes, ordering: .relaxed) }

    func release(_ bytes: Int) { outstanding.subtract(bytes, ordering: .relaxed) }

    /// Bytes waiting to be written now.
    public var pending: Int { outstanding.load(ordering: .relaxed) }
    /// Chunks dropped because the budget was spent.
    public var dropped: Int { refused.load(ordering: .relaxed) }
}

/// Copies the audio one leg receives (its party's voice) into chunks for a recording writer,
/// with each packet's arrival time: the media path pays one copy into a preallocated buffer per
/// packet, and hands over a whole chunk about twice a second. The audio codec's packets are
/// recorded, and the video's when the recording takes video; other payload types
/// (telephone-event) are not; while paused nothing is.
///
/// `@unchecked Sendable`: made anywhere, then used only on its leg's event loop (the leg calls
/// `capture`; `MediaGraph` calls `start`, `setPaused` and `finish` there).
public final class RecordingTap: @unchecked Sendable {
    static let chunkCapacity = 16 * 1024
    static let flushInterval = 0.5

    let codec: RecordedCodec
    let payloadType: UInt8
    /// The video codec's payload type, when video is recorded (VP8).
    let videoPayloadType: UInt8?
    private let deliver: @Sendable (ByteBuffer) -> Void
    private let budget: RecordingBudget
    private var buffer: ByteBuffer
    /// Bytes a chunk holds (more when video is recorded).
    private let capacity: Int
    private var origin = 0.0
    private var chunkStarted = 0.0
    private var started = false
    private var finished = false
    var paused = false

    /// - Parameters:
    ///   - deliver: takes each full chunk (any thread may run what it does; it must not block).
    ///   - videoPayloadType: the VP8 payload type of a leg whose video is recorded too.
    init(
        codec: RecordedCodec, payloadType: UInt8, videoPayloadType: UInt8? = nil, budget: RecordingBudget,
        deliver: @escaping @Sendable (ByteBuffer) -> Void
    ) {
        self.codec = codec
        self.payloadType = payloadType
        self.videoPayloadType = videoPayloadType
        self.budget = budget
        self.deliver = deliver
        capacity = videoPayloadType == nil ? Self.chunkCapacity : 4 * Self.chunkCapacity
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    /// Whether the tap records video.
    var recordsVideo: Bool { videoPayloadType != nil }

    /// Starts the track: arrivals count from `origin` (shared by every track of a recording).
    func start(origin: Double) {
        self.origin = origin
        chunkStarted = origin
        started = true
    }

    /// One unprotected packet the leg received; `packet`'s readable bytes are the RTP packet.
    func capture(_ packet: ByteBuffer, _ header: RTPHeader, now: Double) {
        guard started, !finished, !paused else { return }
        let kind: RecordedCodec
        if header.payloadType == payloadType {
            kind = codec
        } else if header.payloadType == videoPayloadType {
            kind = .vp8
        } else {
            return
        }
        if buffer.writableBytes < RecordedChunk.headerLength + header.payloadLength { flush() }
        packet.withUnsafeReadableBytes { bytes in
            let end = header.payloadOffset + header.payloadLength
            guard end <= bytes.count else { return }
            RecordedChunk.writePacket(
                &buffer, codec: kind, timestamp: header.timestamp, sequence: header.sequenceNumber,
                marker: header.marker, arrival: now - origin,
                payload: UnsafeRawBufferPointer(rebasing: bytes[header.payloadOffset..<end]))
        }
        if now - chunkStarted >= Self.flushInterval {
            chunkStarted = now
            flush()
        }
    }

    /// Ends the track at `now`: what is buffered and the end mark go to the writer.
    func finish(now: Double) {
        guard started, !finished else { return }
        finished = true
        RecordedChunk.writeEnd(&buffer, at: now - origin)
        let chunk = buffer
        buffer = ByteBuffer()
        // The last chunk is never refused: the writer needs its end mark to close the file.
        budget.charge(chunk.readableBytes)
        deliver(chunk)
    }

    private func flush() {
        guard buffer.readableBytes > 0 else { return }
        let chunk = buffer
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
        // Over the budget: the chunk is dropped (the track has silence there), the call goes on.
        guard budget.reserve(chunk.readableBytes) else { return }
        deliver(chunk)
    }
}
