import Foundation
import Testing

@testable import RTP

@Suite struct RTPTests {
    static let packet: [UInt8] = [
        0xB1, 0xE0, 0x12, 0x34, 0x00, 0x00, 0x03, 0xC0, 0xDE, 0xAD, 0xBE, 0xEF,  // V2 P X CC=1, M, PT 96
        0x01, 0x02, 0x03, 0x04,  // CSRC
        0xBE, 0xDE, 0x00, 0x01, 0x10, 0xAA, 0x00, 0x00,  // one-byte header extension, 1 word
        0x11, 0x22, 0x33, 0x00, 0x00, 0x02,  // payload 11 22 33 00, then 2 bytes of padding (last = 2)
    ]

    @Test func parsesHeaderCSRCExtensionAndPadding() throws {
        let header = try RTPHeader.parse(Self.packet)
        #expect(header.marker)
        #expect(header.payloadType == 96)
        #expect(header.sequenceNumber == 0x1234)
        #expect(header.timestamp == 960)
        #expect(header.ssrc == 0xDEAD_BEEF)
        #expect(header.csrcCount == 1)
        #expect(header.hasExtension)
        #expect(header.payloadOffset == 24)
        #expect(header.paddingLength == 2)
        #expect(header.payloadLength == 4)
    }

    @Test func rewritesInPlace() throws {
        var bytes = Self.packet
        bytes.withUnsafeMutableBytes { buffer in
            RTPRewrite.setPayloadType(buffer, 111)
            RTPRewrite.setSSRC(buffer, 0x0102_0304)
            RTPRewrite.setSequenceNumber(buffer, 7)
            RTPRewrite.setTimestamp(buffer, 48000)
        }
        let header = try RTPHeader.parse(bytes)
        #expect(header.payloadType == 111)
        #expect(header.marker, "the marker bit survives a payload-type rewrite")
        #expect(header.ssrc == 0x0102_0304)
        #expect(header.sequenceNumber == 7)
        #expect(header.timestamp == 48000)
    }

    @Test func refusesBadPackets() {
        #expect(throws: RTPParseError.tooShort) { try RTPHeader.parse([0x80, 0, 0]) }
        #expect(throws: RTPParseError.badVersion(1)) { try RTPHeader.parse([UInt8](repeating: 0x40, count: 12)) }
        #expect(throws: RTPParseError.tooShort) { try RTPHeader.parse([0x8F] + [UInt8](repeating: 0, count: 20)) }
        var badPadding = Self.packet
        badPadding[badPadding.count - 1] = 200
        #expect(throws: RTPParseError.badPadding) { try RTPHeader.parse(badPadding) }
    }

    @Test func classifiesByFirstByte() {
        #expect(PacketKind.classify([0x00, 0x01]) == .stun)
        #expect(PacketKind.classify([22, 254]) == .dtls)
        #expect(PacketKind.classify([0x80, 111]) == .rtp)
        #expect(PacketKind.classify([0x80, 0xEF]) == .rtp)
        #expect(PacketKind.classify([0x81, 200]) == .rtcp)
        #expect(PacketKind.classify([0x80, 206]) == .rtcp)
        #expect(PacketKind.classify([0xFF, 0]) == .unknown)
        #expect(PacketKind.classify([]) == .unknown)
    }

    @Test func rtcpRoundTrips() throws {
        let block = ReportBlock(
            ssrc: 1, fractionLost: 25, cumulativeLost: -3, highestSequence: 70000, jitter: 12, lastSR: 5,
            delaySinceLastSR: 6)
        let packets: [RTCPPacket] = [
            .senderReport(
                ssrc: 9, ntp: 0x1122_3344_5566_7788, rtpTimestamp: 480, packets: 10, octets: 1600, reports: [block]),
            .receiverReport(ssrc: 9, reports: [block, block]),
            .nack(senderSSRC: 9, mediaSSRC: 1, lost: [100, 101, 105, 117, 200]),
            .pli(senderSSRC: 9, mediaSSRC: 1),
            .fir(senderSSRC: 9, targets: [(ssrc: 1, sequence: 3)]),
            .bye(ssrcs: [9]),
        ]
        let compound = packets.flatMap(\.bytes)
        let parsed = try RTCPPacket.parseCompound(compound)
        #expect(parsed == packets)
        #expect(throws: RTPParseError.badLength) { try RTCPPacket.parseCompound(Array(compound.prefix(30))) }
    }

    /// Found by `scripts/fuzz FuzzRTCP`: a peer's NACK whose entries overlap, repeat and jump
    /// around (here across the wrap) must be forwarded with the same lost packets, in no more
    /// entries than it came with.
    @Test func aNACKWithOverlappingEntriesIsForwardedWithTheSameLostPackets() throws {
        let input = Array(
            Data(base64Encoded: "oc0ADiQODsfHx8fHx8fHx8fHx8fHx8cODg7//4gAAAAAAAAAAAAAAAAAAAAAAQUA+f8Q/wAAAPgAOwD+")!)
        let packets = try RTCPPacket.parseCompound(input)
        guard case .nack(_, _, let lost)? = packets.first else { throw RTPParseError.tooShort }
        let forwarded = packets[0].bytes
        guard case .nack(_, _, let again)? = try RTCPPacket.parseCompound(forwarded).first else {
            throw RTPParseError.tooShort
        }
        #expect(Set(again) == Set(lost))
        #expect(again.count == Set(again).count)
        #expect(forwarded.count <= input.count)
    }

    /// Every packet of a long run lost, in shuffled order with repeats: one entry per 17 packets.
    @Test func aLongNACKListIsPackedSeventeenPacketsPerEntry() throws {
        var generator = SystemRandomNumberGenerator()
        let run = (0..<6_000).map { UInt16(truncatingIfNeeded: 65_000 + $0) }
        let lost = [run[0]] + (run.dropFirst() + run.prefix(500)).shuffled(using: &generator)
        let bytes = RTCPPacket.nack(senderSSRC: 1, mediaSSRC: 2, lost: lost).bytes
        #expect(bytes.count == 12 + 4 * ((6_000 + 16) / 17))
        guard case .nack(_, _, let again)? = try RTCPPacket.parseCompound(bytes).first else {
            throw RTPParseError.tooShort
        }
        #expect(again == run)
    }

    @Test func receiverStatisticsCountLossWrapAndJitter() {
        var stats = ReceiverStatistics()
        var sequence: UInt16 = 65530
        var timestamp: UInt32 = 0
        for i in 0..<20 {
            if i != 7, i != 8 {
                // Constant 20 ms spacing, except one packet 5 ms late.
                let arrival = timestamp + (i == 12 ? 40 : 0)
                stats.record(sequence: sequence, timestamp: timestamp, arrival: arrival)
            }
            sequence &+= 1
            timestamp += 160
        }
        #expect(stats.expected == 20)
        #expect(stats.received == 18)
        #expect(stats.cumulativeLost == 2)
        #expect(stats.extendedHighest == 0x1_0000 + UInt32(sequence &- 1))
        #expect(stats.fractionLostSinceLastReport() == UInt8((2 << 8) / 20))
        #expect(stats.fractionLostSinceLastReport() == 0)
        #expect(stats.jitter > 0 && stats.jitter < 40)
    }

    @Test func jitterIgnoresTimestampAndArrivalClockWraps() {
        // Steady 20 ms packets whose timestamps wrap, arriving on a clock that also wraps (at a
        // different packet): jitter stays as it was, not 2^32 / 16.
        var stats = ReceiverStatistics()
        var timestamp = UInt32.max - 5 * 960
        var arrival = UInt32.max - 12 * 960
        for sequence in UInt16(0)..<40 {
            stats.record(sequence: sequence, timestamp: timestamp, arrival: arrival &+ (sequence % 2 == 0 ? 0 : 48))
            timestamp &+= 960
            arrival &+= 960
        }
        #expect(stats.jitter > 20 && stats.jitter < 60, "1 ms alternating lateness at 48 kHz: about 48")
    }

    @Test func telephoneEventsAndClockRates() throws {
        let event = TelephoneEvent(event: 11, end: true, volume: 10, duration: 1280)
        #expect(TelephoneEvent.parse(event.bytes) == event)
        #expect(event.digit == "#")
        #expect(TelephoneEvent.code(for: "7") == 7)
        #expect(TelephoneEvent.code(for: "*") == 10)
        #expect(TelephoneEvent.code(for: "D") == 15)
        #expect(TelephoneEvent(event: 13, end: false, volume: 0, duration: 0).digit == "B")
        #expect(TelephoneEvent.rescale(1280, from: 8000, to: 48000) == 7680)
        #expect(TelephoneEvent.parse([1, 2]) == nil)
    }

    @Test func parsersNeverTrapOnRandomOrTruncatedInput() {
        var state: UInt64 = 7
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        let rtcp =
            RTCPPacket.receiverReport(ssrc: 1, reports: []).bytes + RTCPPacket.pli(senderSSRC: 1, mediaSSRC: 2).bytes
        for length in 0...Self.packet.count { _ = try? RTPHeader.parse(Array(Self.packet.prefix(length))) }
        for length in 0...rtcp.count { _ = try? RTCPPacket.parseCompound(Array(rtcp.prefix(length))) }
        for _ in 0..<5000 {
            let bytes = (0..<Int(next() % 64)).map { _ in UInt8(next() & 0xff) }
            _ = try? RTPHeader.parse(bytes)
            _ = try? RTCPPacket.parseCompound([0x80 | UInt8(next() & 0x1f), UInt8(192 + next() % 32)] + bytes)
            _ = PacketKind.classify(bytes)
            _ = TelephoneEvent.parse(bytes)
        }
    }
}

@Suite struct RTPStreamContinuityTests {
    @Test func passesTheFirstSourceThroughUntouched() {
        var stream = RTPStreamContinuity(clockRate: 48000)
        for i in 0..<3 {
            let out = stream.next(
                source: 7, sequence: 100 + UInt16(i), timestamp: 5000 + UInt32(i) * 960, marker: i == 0,
                now: Double(i) * 0.02)
            #expect(out.sequence == 100 + UInt16(i) && out.timestamp == 5000 + UInt32(i) * 960)
            #expect(out.marker == (i == 0))
        }
    }

    @Test func aPauseOrANewSourceContinuesTheNumberingWithTheTimeThatPassed() {
        var stream = RTPStreamContinuity(clockRate: 48000)
        _ = stream.next(source: 7, sequence: 65534, timestamp: 4_294_966_000, marker: false, now: 10)
        // Held for 3 s: the source went on numbering (500 packets later); the receiver sees seq + 1
        // (wrapping) and a timestamp 3 s later, with the marker bit.
        stream.sourceChanged()
        var out = stream.next(source: 7, sequence: 499, timestamp: 123_456, marker: false, now: 13)
        #expect(out.sequence == 65535)
        #expect(out.timestamp == 4_294_966_000 &+ 144_000)
        #expect(out.marker)
        out = stream.next(source: 7, sequence: 500, timestamp: 124_416, marker: false, now: 13.02)
        #expect(out.sequence == 0 && out.timestamp == 4_294_966_000 &+ 144_960 && !out.marker)
        // Another source (another SSRC) takes over without being told: continuous as well.
        out = stream.next(source: 9, sequence: 42, timestamp: 1, marker: false, now: 13.04)
        #expect(out.sequence == 1 && out.timestamp == 4_294_966_000 &+ 145_920 && out.marker)
    }

    @Test func aNewSourceSoonerThanAPacketLengthDoesNotOverlapTheLastPacket() {
        var stream = RTPStreamContinuity(clockRate: 8000)
        _ = stream.next(source: 1, sequence: 10, timestamp: 1600, marker: false, now: 0)
        _ = stream.next(source: 1, sequence: 11, timestamp: 1760, marker: false, now: 0.02)
        // The next source's first packet comes 14 ms later: it still starts a 20 ms packet on.
        let out = stream.next(source: 2, sequence: 500, timestamp: 77, marker: false, now: 0.034)
        #expect(out.timestamp == 1920 && out.sequence == 12 && out.marker)
        // Without a packet length known yet, 20 ms is assumed.
        var fresh = RTPStreamContinuity(clockRate: 48000)
        _ = fresh.next(source: 1, sequence: 1, timestamp: 0, marker: false, now: 0)
        #expect(fresh.next(source: 2, sequence: 9, timestamp: 5, marker: false, now: 0.001).timestamp == 960)
    }

    @Test func aNewSourceWithinTheSwitchsJitterGoesOnRightAfterTheLastPacket() {
        var stream = RTPStreamContinuity(clockRate: 48000)
        _ = stream.next(source: 1, sequence: 10, timestamp: 9600, marker: false, now: 0)
        _ = stream.next(source: 1, sequence: 11, timestamp: 10560, marker: false, now: 0.02)
        // 39 ms later (a mixer's first tick just missed a packet): no 20 ms hole in the timestamps.
        var out = stream.next(source: 2, sequence: 7, timestamp: 0, marker: false, now: 0.059)
        #expect(out.timestamp == 11520 && out.sequence == 12 && out.marker)
        // 60 ms later is a pause: the time that passed.
        out = stream.next(source: 3, sequence: 70, timestamp: 0, marker: false, now: 0.119)
        #expect(out.timestamp == 11520 &+ 2880 && out.sequence == 13)
    }

    @Test func aReorderedPacketKeepsItsPlace() {
        var stream = RTPStreamContinuity(clockRate: 8000)
        _ = stream.next(source: 1, sequence: 10, timestamp: 1600, marker: false, now: 0)
        _ = stream.next(source: 1, sequence: 12, timestamp: 1920, marker: false, now: 0.04)
        let late = stream.next(source: 1, sequence: 11, timestamp: 1760, marker: false, now: 0.05)
        #expect(late.sequence == 11)
        stream.sourceChanged()
        #expect(stream.next(source: 1, sequence: 90, timestamp: 9000, marker: false, now: 1.04).sequence == 13)
    }
}
