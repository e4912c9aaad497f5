import WAV

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Makes one stereo file of two mono recording tracks of the same recording (left: the first,
/// right: the second), sample for sample: the tracks share their timeline's origin, so they are
/// aligned already; the shorter is padded with silence.
public enum StereoComposer {
    static let block = 16000

    /// Composes `left` and `right` (canonical 16-bit mono WAV files at one rate) into `path`.
    @discardableResult
    public static func compose(left: String, right: String, into path: String) throws(RecordingFileError)
        -> WAVStreamFile
    {
        let leftFile = try Reader(path: left)
        let rightFile = try Reader(path: right)
        let output = try WAVStreamFile(path: path, sampleRate: leftFile.sampleRate, channels: 2)
        var l = [Int16](repeating: 0, count: block)
        var r = [Int16](repeating: 0, count: block)
        var both = [Int16](repeating: 0, count: 2 * block)
        var offset = 0
        let total = max(leftFile.samples, rightFile.samples)
        while offset < total {
            let count = min(block, total - offset)
            try leftFile.read(at: offset, count: count, into: &l)
            try rightFile.read(at: offset, count: count, into: &r)
            for index in 0..<count {
                both[2 * index] = l[index]
                both[2 * index + 1] = r[index]
            }
            var failure: RecordingFileError?
            both.withUnsafeBufferPointer { samples in
                do throws(RecordingFileError) {
                    try output.append(UnsafeBufferPointer(rebasing: samples[0..<2 * count]))
                } catch { failure = error }
            }
            if let failure { throw failure }
            offset += count
        }
        try output.close()
        return output
    }

    /// A mono 16-bit file read by sample offset.
    private final class Reader {
        let path: String
        let descriptor: Int32
        let samples: Int
        let sampleRate: Int

        init(path: String) throws(RecordingFileError) {
            self.path = path
            let descriptor = open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else { throw RecordingFileError(path: path, operation: "open", code: errno) }
            self.descriptor = descriptor
            var header = [UInt8](repeating: 0, count: WAVFile.headerLength)
            let read = header.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
            var status = stat()
            guard read == WAVFile.headerLength, fstat(descriptor, &status) == 0,
                header[22] == 1, header[34] == 16
            else {
                Glibc.close(descriptor)
                throw RecordingFileError(path: path, operation: "read a mono 16-bit track from", code: EINVAL)
            }
            sampleRate = Int(header[24]) | Int(header[25]) << 8 | Int(header[26]) << 16 | Int(header[27]) << 24
            samples = max(0, Int(status.st_size) - WAVFile.headerLength) / 2
        }

        deinit { Glibc.close(descriptor) }

        /// Reads `count` samples from `offset`; past the end they are silence.
        func read(at offset: Int, count: Int, into buffer: inout [Int16]) throws(RecordingFileError) {
            let available = max(0, min(count, samples - offset))
            if available > 0 {
                let got = buffer.withUnsafeMutableBytes {
                    pread(descriptor, $0.baseAddress, available * 2, off_t(WAVFile.headerLength + offset * 2))
                }
                guard got == available * 2 else { throw RecordingFileError(path: path, operation: "read", code: errno) }
            }
            for index in available..<count { buffer[index] = 0 }
        }
    }
}
