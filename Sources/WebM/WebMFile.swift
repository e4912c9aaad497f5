import CAVFormat

/// Why a WebM file could not be written: FFmpeg's message.
public struct WebMError: Error, Equatable, Sendable, CustomStringConvertible {
    public let path: String
    public let message: String
    public var description: String { "WebM \(path): \(message)" }
}

/// A WebM file (Matroska) written through FFmpeg's libavformat: Opus audio and VP8 video packets
/// as received, no re-encoding. Packets of each stream must come in time order; the muxer
/// interleaves the two. Used on one thread at a time.
public final class WebMFile {
    public let path: String
    public let hasAudio: Bool
    public let hasVideo: Bool
    private var writer = cg_webm()
    private var headerWritten = false
    private var closed = false

    /// - Parameters:
    ///   - audioChannels: the Opus stream's channels, or nil for no audio.
    ///   - video: the VP8 stream's frame size, or nil for no video.
    public init(path: String, audioChannels: Int?, video: (width: Int, height: Int)?) throws(WebMError) {
        self.path = path
        hasAudio = audioChannels != nil
        hasVideo = video != nil
        let result = cg_webm_open(
            &writer, path, audioChannels == nil ? 0 : 1, Int32(audioChannels ?? 1), video == nil ? 0 : 1,
            Int32(video?.width ?? 0), Int32(video?.height ?? 0))
        guard result >= 0 else {
            _ = cg_webm_close(&writer, 0)
            closed = true
            throw WebMError(path: path, message: Self.message(result))
        }
        headerWritten = true
    }

    deinit { if !closed { _ = cg_webm_close(&writer, headerWritten ? 1 : 0) } }

    /// One Opus packet at `milliseconds`.
    public func writeAudio(_ packet: UnsafeRawBufferPointer, milliseconds: Int64) throws(WebMError) {
        guard hasAudio else { return }
        try write(stream: writer.audio, packet, milliseconds: milliseconds, key: true)
    }

    /// One whole VP8 frame at `milliseconds`.
    public func writeVideo(_ frame: UnsafeRawBufferPointer, milliseconds: Int64, keyframe: Bool) throws(WebMError) {
        guard hasVideo else { return }
        try write(stream: writer.video, frame, milliseconds: milliseconds, key: keyframe)
    }

    /// Writes the index and closes the file.
    public func close() throws(WebMError) {
        guard !closed else { return }
        closed = true
        let result = cg_webm_close(&writer, 1)
        guard result >= 0 else { throw WebMError(path: path, message: Self.message(result)) }
    }

    private func write(stream: Int32, _ data: UnsafeRawBufferPointer, milliseconds: Int64, key: Bool)
        throws(WebMError)
    {
        guard !closed, let base = data.baseAddress, !data.isEmpty else { return }
        let result = cg_webm_write(
            &writer, stream, base.assumingMemoryBound(to: UInt8.self), Int32(data.count), milliseconds, key ? 1 : 0)
        guard result >= 0 else { throw WebMError(path: path, message: Self.message(result)) }
    }

    private static func message(_ code: Int32) -> String {
        var text = [CChar](repeating: 0, count: 256)
        cg_av_error(code, &text, text.count)
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
