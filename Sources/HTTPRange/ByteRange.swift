/// What a `Range` request header asks of a representation of `size` bytes (RFC 9110 §14):
/// one range of bytes, served as 206; anything this gateway does not serve partially (several
/// ranges, another unit) is served whole. Never traps on any input.
public enum ByteRange: Equatable, Sendable {
    /// Serve everything (no header, several ranges, or a unit other than bytes).
    case whole
    /// Serve these bytes (206).
    case part(ClosedRange<Int>)
    /// Nothing of the representation is in the range (416).
    case unsatisfiable
    /// The header is malformed (400 "Invalid range header format").
    case invalid

    public static func parse(_ header: String?, size: Int) -> ByteRange {
        guard let header else { return .whole }
        let trimmed = header.trimmingWhitespace
        guard let equals = trimmed.firstIndex(of: "=") else { return .invalid }
        let unit = trimmed[..<equals].trimmingWhitespace.lowercased()
        let specs = trimmed[trimmed.index(after: equals)...].split(separator: ",", omittingEmptySubsequences: false)
        guard unit == "bytes" else { return unit.isEmpty ? .invalid : .whole }
        guard specs.count == 1, let spec = specs.first?.trimmingWhitespace, let dash = spec.firstIndex(of: "-") else {
            return specs.count > 1 && specs.allSatisfy({ $0.contains("-") }) ? .whole : .invalid
        }
        let first = spec[..<dash]
        let last = spec[spec.index(after: dash)...]
        guard first.allSatisfy(\.isASCIIDigit), last.allSatisfy(\.isASCIIDigit), first.count <= 18, last.count <= 18
        else { return .invalid }
        switch (Int(first), Int(last)) {
        case (nil, nil):
            return .invalid
        case (nil, let suffix?):
            // The last `suffix` bytes.
            guard suffix > 0, size > 0 else { return .unsatisfiable }
            return .part(max(0, size - suffix)...(size - 1))
        case (let start?, nil):
            guard start < size else { return .unsatisfiable }
            return .part(start...(size - 1))
        case (let start?, let end?):
            guard start <= end else { return .invalid }
            guard start < size else { return .unsatisfiable }
            return .part(start...min(end, size - 1))
        }
    }
}

extension StringProtocol {
    fileprivate var trimmingWhitespace: String {
        String(drop(while: { $0 == " " || $0 == "\t" }).reversed().drop(while: { $0 == " " || $0 == "\t" }).reversed())
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}
