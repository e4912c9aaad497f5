import WAV

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why a recording file could not be written.
public struct RecordingFileError: Error, Equatable, Sendable, CustomStringConvertible {
    public let path: String
    public let operation: String
    public let code: Int32

    public var description: String { "\(operation) \(path): \(String(cString: strerror(code)))" }
}

/// A 16-bit PCM WAV file written as it grows: the header is written first and brought up to
/// date at `close`. Used on one thread at a time.
public final class WAVStreamFile {
    public let path: String
    public let sampleRate: Int
    public let channels: Int
    /// Bytes of samples written.
    public private(set) var dataBytes = 0
    private var descriptor: Int32

    public init(path: String, sampleRate: Int, channels: Int) throws(RecordingFileError) {
        self.path = path
        self.sampleRate = sampleRate
        self.channels = channels
        descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { throw RecordingFileError(path: path, operation: "create", code: errno) }
        try writeHeader()
    }

    deinit { if descriptor >= 0 { Glibc.close(descriptor) } }

    /// Appends samples (interleaved when stereo).
    public func append(_ samples: UnsafeBufferPointer<Int16>) throws(RecordingFileError) {
        guard !samples.isEmpty else { return }
        try writeAll(UnsafeRawBufferPointer(samples), at: nil)
        dataBytes += samples.count * 2
    }

    /// Commits and closes; the file is complete.
    public func close() throws(RecordingFileError) {
        guard descriptor >= 0 else { return }
        defer {
            Glibc.close(descriptor)
            descriptor = -1
        }
        try writeHeader()
    }

    private func writeHeader() throws(RecordingFileError) {
        let header = WAVFile.header(encoding: .pcm16, sampleRate: sampleRate, channels: channels, dataBytes: dataBytes)
        var failure: RecordingFileError?
        header.withUnsafeBytes { bytes in
            do throws(RecordingFileError) { try writeAll(bytes, at: 0) } catch { failure = error }
        }
        if let failure { throw failure }
    }

    /// Writes every byte (at `offset`, or appending), retrying short writes.
    private func writeAll(_ bytes: UnsafeRawBufferPointer, at offset: Int?) throws(RecordingFileError) {
        var done = 0
        while done < bytes.count {
            let pointer = bytes.baseAddress! + done
            let result =
                if let offset { pwrite(descriptor, pointer, bytes.count - done, off_t(offset + done)) } else {
                    pwrite(descriptor, pointer, bytes.count - done, off_t(WAVFile.headerLength + dataBytes + done))
                }
            if result < 0 {
                if errno == EINTR { continue }
                throw RecordingFileError(path: path, operation: "write", code: errno)
            }
            guard result > 0 else { throw RecordingFileError(path: path, operation: "write", code: EIO) }
            done += result
        }
    }
}
