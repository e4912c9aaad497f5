import MP3

/// An uploaded MP3 file: recognised and decoded through libmpg123 as the upload check does,
/// then mixed down to mono as the waiting-music encoder does.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMP3(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    _ = MP3Audio.looksLikeMP3(bytes)
    guard let audio = try? MP3Audio.decode(bytes) else { return 0 }
    _ = audio.durationMilliseconds
    let mono = audio.mono
    guard audio.channels >= 1, mono.count * audio.channels == audio.samples.count else {
        fatalError("\(audio.samples.count) samples in \(audio.channels) channels mixed to \(mono.count)")
    }
    return 0
}
