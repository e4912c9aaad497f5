import WAV

/// An uploaded WAV file: parsed as the upload check does; a file that parses is written out
/// canonically and must parse back to the same audio.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWAV(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    guard let file = try? WAVFile.parse(bytes) else { return 0 }
    _ = file.durationMilliseconds
    guard let again = try? WAVFile.parse(file.bytes), again == file else {
        fatalError("the canonical form of a \(file.encoding) file does not parse back to it")
    }
    return 0
}
