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

/// A 16-bit PCM WAV file written as it grows: the header is written first with the length so
/// far and brought up to date at each `commit`, so a process killed mid-call leaves a file whose
/// header is at most one commit behind its samples (`repair` fixes that at the next start).
/// Used on one thread at a time (the recording writer's queue).
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

    /// Brings the header up to date with the samples written.
    public func commit() throws(RecordingFileError) { try writeHeader() }

    /// Commits and closes; the file is complete.
    public func close() throws(RecordingFileError) {
        guard descriptor >= 0 else { return }
        defer {
            Glibc.close(descriptor)
            descriptor = -1
        }
        try writeHeader()
    }

    /// Fixes the header of a file left by a process that died while writing it: the lengths are
    /// taken from the file's size (whole sample frames). Returns the duration in milliseconds.
    public static func repair(path: String) throws(RecordingFileError) -> Int {
        let descriptor = open(path, O_RDWR | O_CLOEXEC)
        guard descriptor >= 0 else { throw RecordingFileError(path: path, operation: "open", code: errno) }
        defer { Glibc.close(descriptor) }
        var header = [UInt8](repeating: 0, count: WAVFile.headerLength)
        let read = header.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard read == WAVFile.headerLength, header[0..<4].elementsEqual("RIFF".utf8) else {
            throw RecordingFileError(path: path, operation: "read the header of", code: EINVAL)
        }
        let channels = Int(header[22]) | Int(header[23]) << 8
        let rate = Int(header[24]) | Int(header[25]) << 8 | Int(header[26]) << 16 | Int(header[27]) << 24
        guard channels > 0, rate > 0 else {
            throw RecordingFileError(path: path, operation: "read the format of", code: EINVAL)
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            throw RecordingFileError(path: path, operation: "stat", code: errno)
        }
        let frame = channels * 2
        let dataBytes = max(0, Int(status.st_size) - WAVFile.headerLength) / frame * frame
        guard ftruncate(descriptor, off_t(WAVFile.headerLength + dataBytes)) == 0 else {
            throw RecordingFileError(path: path, operation: "truncate", code: errno)
        }
        let fixed = WAVFile.header(encoding: .pcm16, sampleRate: rate, channels: channels, dataBytes: dataBytes)
        let written = fixed.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        guard written == fixed.count else { throw RecordingFileError(path: path, operation: "write", code: errno) }
        return dataBytes / frame * 1000 / rate
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
