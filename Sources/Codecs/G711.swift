/// G.711 µ-law and A-law (ITU-T G.711), sample by sample. Decoding goes through 256-entry
/// tables; encoding is branch-light arithmetic. No allocation when given output buffers.
public enum G711 {
    /// µ-law code for a 16-bit linear sample.
    @inlinable
    public static func ulaw(_ sample: Int16) -> UInt8 {
        let bias: Int32 = 0x84
        var value = Int32(sample)
        let sign: Int32 = value < 0 ? 0x80 : 0
        if value < 0 { value = -value }
        value = min(value, 32635) + bias
        var exponent: Int32 = 7
        var mask: Int32 = 0x4000
        while exponent > 0 && value & mask == 0 {
            exponent -= 1
            mask >>= 1
        }
        let mantissa = (value >> (exponent + 3)) & 0x0f
        return UInt8(truncatingIfNeeded: ~(sign | (exponent << 4) | mantissa))
    }

    /// A-law code for a 16-bit linear sample.
    @inlinable
    public static func alaw(_ sample: Int16) -> UInt8 {
        var value = Int32(sample)
        let sign: Int32 = value >= 0 ? 0x80 : 0
        if value < 0 { value = -value - 1 }
        value = min(value, 32767)
        let code: Int32
        if value < 256 {
            code = value >> 4
        } else {
            var exponent: Int32 = 7
            var mask: Int32 = 0x4000
            while exponent > 1 && value & mask == 0 {
                exponent -= 1
                mask >>= 1
            }
            code = (exponent << 4) | ((value >> (exponent + 3)) & 0x0f)
        }
        return UInt8(truncatingIfNeeded: (sign | code) ^ 0x55)
    }

    public static let ulawTable: [Int16] = (0..<256).map { decodeULaw(UInt8($0)) }
    public static let alawTable: [Int16] = (0..<256).map { decodeALaw(UInt8($0)) }
    /// A µ-law code as the A-law code of the same sample (one lookup a byte: no decode, no encode).
    public static let ulawToAlaw: [UInt8] = ulawTable.map { alaw($0) }
    /// An A-law code as the µ-law code of the same sample.
    public static let alawToUlaw: [UInt8] = alawTable.map { ulaw($0) }

    static func decodeULaw(_ code: UInt8) -> Int16 {
        let value = ~Int32(code) & 0xff
        let exponent = (value >> 4) & 0x07
        let magnitude = (((value & 0x0f) << 3) + 0x84) << exponent
        return Int16(value & 0x80 != 0 ? 0x84 - magnitude : magnitude - 0x84)
    }

    static func decodeALaw(_ code: UInt8) -> Int16 {
        let value = Int32(code ^ 0x55)
        let exponent = (value >> 4) & 0x07
        var magnitude = (value & 0x0f) << 4
        magnitude += exponent == 0 ? 8 : 0x108
        if exponent > 1 { magnitude <<= exponent - 1 }
        return Int16(value & 0x80 != 0 ? magnitude : -magnitude)
    }

    /// Encodes `samples` into `out` (same count).
    public static func encode(
        _ samples: UnsafeBufferPointer<Int16>, aLaw: Bool, into out: UnsafeMutableBufferPointer<UInt8>
    ) {
        for i in 0..<min(samples.count, out.count) { out[i] = aLaw ? alaw(samples[i]) : ulaw(samples[i]) }
    }

    /// Decodes `codes` into `out` (same count).
    public static func decode(
        _ codes: UnsafeBufferPointer<UInt8>, aLaw: Bool, into out: UnsafeMutableBufferPointer<Int16>
    ) {
        let table = aLaw ? alawTable : ulawTable
        for i in 0..<min(codes.count, out.count) { out[i] = table[Int(codes[i])] }
    }
}
