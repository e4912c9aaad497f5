import HTTPRange

/// A `Range` header on a recording download, against a representation whose size the input's
/// first byte chooses: a part served must lie inside the representation.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRange(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    guard let first = bytes.first else { return 0 }
    let sizes = [0, 1, 2, 100, 65536, Int(Int32.max), Int.max]
    let representation = sizes[Int(first) % sizes.count]
    let header = String(decoding: bytes.dropFirst(), as: UTF8.self)
    if case .part(let range) = ByteRange.parse(header, size: representation) {
        guard range.lowerBound >= 0, range.upperBound < representation else {
            fatalError("\(range) outside \(representation) bytes for \(header.debugDescription)")
        }
    }
    return 0
}
