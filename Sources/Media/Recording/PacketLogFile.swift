import NIOCore

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// A participant's track as the call records it: the chunks its tap delivered (`RecordedChunk`
/// records: each packet's codec, RTP timestamp, arrival and payload, then the end), appended as
/// they come. Writing one costs a `write` per chunk and no decoding; the WAV a user downloads is
/// rendered from it (`RecordingRenderer`). A process killed mid-call leaves a log whose last
/// record may be cut: `repair` drops it. Used on one thread at a time (the writer's queue).
public final class PacketLogFile {
    public let path: String
    /// Bytes written.
    public private(set) var bytes = 0
    private var descriptor: Int32

    public init(path: String) throws(RecordingFileError) {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { throw RecordingFileError(path: path, operation: "create", code: errno) }
    }

    deinit { if descriptor >= 0 { Glibc.close(descriptor) } }

    /// Appends a chunk's readable bytes.
    public func append(_ chunk: ByteBuffer) throws(RecordingFileError) {
        var failure: RecordingFileError?
        chunk.withUnsafeReadableBytes { raw in
            var done = 0
            while done < raw.count {
                let result = write(descriptor, raw.baseAddress! + done, raw.count - done)
                if result < 0, errno == EINTR { continue }
                guard result > 0 else {
                    failure = RecordingFileError(path: path, operation: "write", code: result < 0 ? errno : EIO)
                    return
                }
                done += result
            }
        }
        if let failure { throw failure }
        bytes += chunk.readableBytes
    }

    public func close() {
        guard descriptor >= 0 else { return }
        Glibc.close(descriptor)
        descriptor = -1
    }

    /// A log's records and where its track ends: its end mark, or (a log the process could not
    /// finish) 20 ms after the last packet's arrival.
    public static func read(path: String) throws(RecordingFileError) -> (records: ByteBuffer, end: Double) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw RecordingFileError(path: path, operation: "open", code: errno) }
        defer { Glibc.close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw RecordingFileError(path: path, operation: "stat", code: errno)
        }
        var buffer = ByteBufferAllocator().buffer(capacity: Int(status.st_size))
        let count = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: Int(status.st_size)) { raw in
            max(0, pread(descriptor, raw.baseAddress, Int(status.st_size), 0))
        }
        guard count == Int(status.st_size) else { throw RecordingFileError(path: path, operation: "read", code: EIO) }
        var end: Double?
        var last = 0.0
        var valid = 0
        RecordedChunk.forEachPacket(in: buffer, validBytes: &valid) { packet, _ in
            last = max(last, packet.arrival)
        } end: {
            end = $0
        }
        return (buffer.getSlice(at: buffer.readerIndex, length: valid) ?? buffer, end ?? (valid > 0 ? last + 0.02 : 0))
    }

    /// Cuts a log left by a process that died while writing it back to its whole records.
    /// Returns where the track ends (seconds from the recording's origin).
    public static func repair(path: String) throws(RecordingFileError) -> Double {
        let (records, end) = try read(path: path)
        guard truncate(path, off_t(records.readableBytes)) == 0 else {
            throw RecordingFileError(path: path, operation: "truncate", code: errno)
        }
        return end
    }
}
