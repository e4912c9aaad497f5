import NIOCore
import SRTP

extension SRTPSession {
    /// Unprotects the packet in `buffer` in place and trims the buffer to the plain packet.
    public func unprotect(_ buffer: inout ByteBuffer, rtcp: Bool) -> Result<Int, SRTPError> {
        let count = buffer.readableBytes
        let result = buffer.withUnsafeMutableReadableBytes { bytes -> Result<Int, SRTPError> in
            do throws(SRTPError) {
                return .success(rtcp ? try unprotectRTCP(bytes, length: count) : try unprotect(bytes, length: count))
            } catch {
                return .failure(error)
            }
        }
        if case .success(let length) = result { buffer.moveWriterIndex(to: buffer.readerIndex + length) }
        return result
    }

    /// Protects the packet in `buffer` in place, growing into the buffer's spare capacity.
    public func protect(_ buffer: inout ByteBuffer, rtcp: Bool) -> Bool {
        let count = buffer.readableBytes
        buffer.reserveCapacity(minimumWritableBytes: SRTPSession.maximumTrailer + 4)
        let start = buffer.readerIndex
        let length = buffer.withVeryUnsafeMutableBytes { whole -> Int? in
            let region = UnsafeMutableRawBufferPointer(rebasing: whole[start..<whole.count])
            return rtcp ? try? protectRTCP(region, length: count) : try? protect(region, length: count)
        }
        guard let length else { return false }
        buffer.moveWriterIndex(to: start + length)
        return true
    }
}
