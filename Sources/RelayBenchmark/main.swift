import BenchmarkSupport
import Foundation
import NIOCore
import RTP
import SRTP

// Measures, in one run: libsrtp2 protect+unprotect per packet, a loopback UDP send+receive,
// and the relay's per-packet work (unprotect, parse, rewrite payload type and SSRC, protect,
// in place in a NIO buffer as WebRTCLeg and MediaBridge do). From these it estimates bridged
// calls per core: a call relays 2 directions × 50 packets/s of 20 ms audio.

let packets = Int(CommandLine.arguments.dropFirst().first ?? "") ?? 200_000
let payloadSize = 160
let key = (0..<30).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
let otherKey = (0..<30).map { UInt8(truncatingIfNeeded: $0 &* 11 &+ 5) }

func rtp(_ sequence: UInt16) -> [UInt8] {
    [0x80, 111, UInt8(sequence >> 8), UInt8(sequence & 0xff), 0, 0, 3, 0xC0, 1, 2, 3, 4]
        + [UInt8](repeating: 0x5A, count: payloadSize)
}

func nanoseconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start)
}

// 1. SRTP protect on one session, unprotect on another: libsrtp2 (the baseline) and the
//    OpenSSL backend the relay uses.
func srtpCost(_ backend: SRTPSession.Backend) throws -> Double {
    var scratch = [UInt8](repeating: 0, count: 2048)
    let sender = try SRTPSession(profile: .aes128CmSha1_80, keyAndSalt: key, outbound: true, preferredBackend: backend)
    let receiver = try SRTPSession(
        profile: .aes128CmSha1_80, keyAndSalt: key, outbound: false, preferredBackend: backend)
    return try nanoseconds {
        for i in 0..<packets {
            let plain = rtp(UInt16(truncatingIfNeeded: i))
            scratch.replaceSubrange(0..<plain.count, with: plain)
            let protected = try scratch.withUnsafeMutableBytes { try sender.protect($0, length: plain.count) }
            _ = try scratch.withUnsafeMutableBytes { try receiver.unprotect($0, length: protected) }
        }
    } / Double(packets)
}
let srtpNs = try srtpCost(.libsrtp)
let fastSrtpNs = try srtpCost(.openSSL)

// 2. Loopback UDP: sendto + recv of a 182-byte datagram (an SRTP audio packet).
let loopback = LoopbackUDP()
let datagram = [UInt8](repeating: 0x80, count: payloadSize + 22)
let udpNs =
    nanoseconds {
        datagram.withUnsafeBytes { bytes in
            for _ in 0..<packets { loopback.sendAndReceive(bytes) }
        }
    } / Double(packets)

// 3. The relay's per-packet work on one leg's inbound and the other leg's outbound sessions.
let wireSender = try SRTPSession(profile: .aes128CmSha1_80, keyAndSalt: key, outbound: true)
let wire: [[UInt8]] = try (0..<packets).map { i in
    var bytes = rtp(UInt16(truncatingIfNeeded: i)) + [UInt8](repeating: 0, count: SRTPSession.maximumTrailer)
    let length = try bytes.withUnsafeMutableBytes { try wireSender.protect($0, length: 12 + payloadSize) }
    return Array(bytes[0..<length])
}
let allocator = ByteBufferAllocator()
var relayed = 0
/// The relay's work per packet; `continuity` adds what `MediaBridge` does for audio since hold
/// exists: one `RTPStreamContinuity` step (a clock read, sequence and timestamp rewritten).
@MainActor func relayCost(continuity: Bool) throws -> Double {
    let legAIn = try SRTPSession(profile: .aes128CmSha1_80, keyAndSalt: key, outbound: false)
    let legBOut = try SRTPSession(profile: .aes128CmSha1_80, keyAndSalt: otherKey, outbound: true)
    var stream = RTPStreamContinuity(clockRate: 48000)
    return try nanoseconds {
        for packet in wire {
            var buffer = allocator.buffer(capacity: 2048)
            buffer.writeBytes(packet)
            let count = buffer.readableBytes
            let plain = try buffer.withUnsafeMutableReadableBytes { try legAIn.unprotect($0, length: count) }
            buffer.moveWriterIndex(to: buffer.readerIndex + plain)
            let header = try buffer.withUnsafeReadableBytes { try RTPHeader.parse($0) }
            var numbering: (sequence: UInt16, timestamp: UInt32, marker: Bool)?
            if continuity {
                numbering = stream.next(
                    source: header.ssrc, sequence: header.sequenceNumber, timestamp: header.timestamp,
                    marker: header.marker, now: Double(NIODeadline.now().uptimeNanoseconds) / 1e9)
            }
            buffer.withUnsafeMutableReadableBytes { bytes in
                RTPRewrite.setPayloadType(bytes, header.payloadType == 111 ? 109 : 111)
                RTPRewrite.setSSRC(bytes, 0x0BAD_CAFE)
                if let numbering {
                    RTPRewrite.setSequenceNumber(bytes, numbering.sequence)
                    RTPRewrite.setTimestamp(bytes, numbering.timestamp)
                    RTPRewrite.setMarker(bytes, numbering.marker)
                }
            }
            buffer.reserveCapacity(minimumWritableBytes: SRTPSession.maximumTrailer)
            let start = buffer.readerIndex
            let length = try buffer.withVeryUnsafeMutableBytes { whole in
                try legBOut.protect(UnsafeMutableRawBufferPointer(rebasing: whole[start..<whole.count]), length: plain)
            }
            buffer.moveWriterIndex(to: start + length)
            relayed += 1
        }
    } / Double(packets)
}
let relayWithoutContinuityNs = try relayCost(continuity: false)
let relayNs = try relayCost(continuity: true)
// The buffer above stands in for the one NIO hands the leg; copying the packet into it is
// measured too, so the figure is slightly pessimistic.

let perPacketWithIO = relayNs + udpNs
let callsPerCore = 1e9 / (perPacketWithIO * 100)
func fmt(_ ns: Double) -> String { String(format: "%8.0f ns", ns) }
print("relay benchmark, \(packets) packets of \(payloadSize)-byte payload, AES_CM_128_HMAC_SHA1_80, one core")
print("  libsrtp2 protect + unprotect        \(fmt(srtpNs))  (baseline)")
print(
    "  OpenSSL backend protect + unprotect \(fmt(fastSrtpNs))  = \(String(format: "%.2f", fastSrtpNs / srtpNs))× libsrtp2 baseline"
)
print("  UDP sendto + recv on loopback       \(fmt(udpNs))  (baseline)")
print(
    "  relay work without stream continuity  \(fmt(relayWithoutContinuityNs))  (baseline for the line below)")
print(
    "  relay work: unprotect+rewrite+protect \(fmt(relayNs))  = \(String(format: "%.2f", relayNs / srtpNs))× libsrtp2 baseline, \(String(format: "%.3f", relayNs / relayWithoutContinuityNs))× without continuity"
)
print(
    "  relay work + one UDP send+receive   \(fmt(perPacketWithIO))  = \(String(format: "%.2f", perPacketWithIO / udpNs))× UDP baseline"
)
print(
    String(
        format: "  estimated bridged calls per core    %8.0f  (100 packets/s per call, both legs SRTP)", callsPerCore))
precondition(relayed == 2 * packets)
