import BenchmarkSupport
import Foundation
import SRTP

// Measures, in one run: SRTP protect+unprotect per packet with libsrtp2 (the baseline) and with
// the OpenSSL backend the media legs use; a loopback UDP send+receive (the I/O every relayed
// packet pays); and the memory a DTLS endpoint (SRTP's keying, one per WebRTC leg) keeps once
// connected (DTLSMemory.swift). It used to estimate relay capacity from a copy of the relay loop;
// that estimate is retired: Benchmarks/capacity.py measures calls per core through the gateway
// itself, beside rtpengine (docs/performance.md).

let arguments = Array(CommandLine.arguments.dropFirst())
if arguments.first == "--dtls-memory-one", arguments.count == 3, let pairs = Int(arguments[1]) {
    guard let variant = DTLSMemoryVariant(rawValue: arguments[2]) else { exit(2) }
    print(try dtlsBytesPerEndpoint(pairs: pairs, variant: variant))
    exit(0)
}
let packets = Int(arguments.first ?? "") ?? 200_000
let endpointPairs = 1000
let payloadSize = 160
let key = (0..<30).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }

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

func fmt(_ ns: Double) -> String { String(format: "%8.0f ns", ns) }
print("SRTP benchmark, \(packets) packets of \(payloadSize)-byte payload, AES_CM_128_HMAC_SHA1_80, one core")
print("  libsrtp2 protect + unprotect        \(fmt(srtpNs))  (baseline)")
print(
    "  OpenSSL backend protect + unprotect \(fmt(fastSrtpNs))  = \(String(format: "%.2f", fastSrtpNs / srtpNs))× libsrtp2 baseline"
)
print(
    "  UDP sendto + recv on loopback       \(fmt(udpNs))  = \(String(format: "%.2f", udpNs / srtpNs))× libsrtp2 baseline"
)

let keptBytes = try dtlsBytesPerEndpointInChild(pairs: endpointPairs, variant: .kept)
let releasedBytes = try dtlsBytesPerEndpointInChild(pairs: endpointPairs, variant: .released)
let retiredBytes = try dtlsBytesPerEndpointInChild(pairs: endpointPairs, variant: .retired)
print("DTLS-SRTP keying, memory per connected endpoint (\(endpointPairs) pairs handshaken in memory)")
print("  record buffers kept (OpenSSL's default)  \(String(format: "%6.1f", Double(keptBytes) / 1024)) KiB  (baseline)")
print(
    "  record buffers released once connected   \(String(format: "%6.1f", Double(releasedBytes) / 1024)) KiB  = \(String(format: "%.2f", Double(releasedBytes) / Double(keptBytes)))× baseline"
)
print(
    "  session retired, record keys kept (legs) \(String(format: "%6.1f", Double(retiredBytes) / 1024)) KiB  = \(String(format: "%.2f", Double(retiredBytes) / Double(keptBytes)))× baseline"
)
