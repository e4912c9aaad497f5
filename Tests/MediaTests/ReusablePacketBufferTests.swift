import NIOCore
import Testing

@testable import Media

/// A leg's packet buffer starts small (audio) and keeps whatever it grew to: a video packet or a
/// long RTCP compound costs one allocation, not one per packet.
@Suite struct ReusablePacketBufferTests {
    /// One packet through the buffer as a leg works it (taken, then put back when done): where its
    /// bytes were, the buffer's capacity, and whether it held exactly `bytes`.
    static func cycle(_ reusable: inout ReusablePacketBuffer, _ bytes: [UInt8]) -> (UnsafeRawPointer?, Int, Bool) {
        let buffer = bytes.withUnsafeBytes { reusable.take(copying: $0) }
        defer { reusable.put(buffer) }
        let address = buffer.withUnsafeReadableBytes { UnsafeRawPointer($0.baseAddress) }
        return (address, buffer.capacity, Array(buffer.readableBytesView) == bytes)
    }

    @Test func audioFitsAndALargerPacketGrowsTheBufferOnceForGood() {
        var reusable = ReusablePacketBuffer()
        let audio = [UInt8](repeating: 0xa5, count: 12 + 160 + 30 + 10)  // G.711, extensions, SRTP
        let (small, capacity, held) = Self.cycle(&reusable, audio)
        #expect(held && capacity == ReusablePacketBuffer.capacity)
        let again = Self.cycle(&reusable, audio)
        #expect(again.0 == small && again.2, "the same storage, no copy")

        let video = [UInt8](repeating: 0x5a, count: 1200)
        let (grown, grownCapacity, videoHeld) = Self.cycle(&reusable, video)
        #expect(videoHeld && grownCapacity >= 1200)
        for _ in 0..<3 {
            let next = Self.cycle(&reusable, video)
            #expect(next.0 == grown && next.2, "the grown storage is kept")
        }
        let after = Self.cycle(&reusable, audio)
        #expect(after.0 == grown && after.2)
    }
}
