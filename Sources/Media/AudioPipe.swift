import Codecs
import RTP
import SDP

/// Why an audio pipe cannot be built.
public enum AudioPipeError: Error, Equatable, Sendable, CustomStringConvertible {
    case unsupportedCodec(String)
    case opus(OpusError)

    public var description: String {
        switch self {
        case .unsupportedCodec(let name): "no transcoder for codec \(name)"
        case .opus(let error): "libopus: \(error)"
        }
    }
}

/// Carries one direction of a call's audio from one codec to another: Opus, PCMU or PCMA in,
/// Opus, PCMU or PCMA out, in 20 ms packets. Opus is decoded straight to 8 kHz when the other
/// side is G.711; G.711 is encoded to narrowband Opus with SILK, libopus's speech layer (`voip`,
/// 24 kbit/s, the voice hint): at complexity 0 it scores above the CELT layer at complexity 5 by
/// PESQ and costs about 0.8× as much (docs/performance.md, "The encoder's layer, complexity and
/// speech quality"), for 4 ms more look-ahead. The same codec on both sides passes through
/// untouched. RFC 4733 events are carried over with their timestamps and durations moved to the
/// outgoing clock rate.
///
/// Packets leave with this pipe's SSRC, its own sequence numbers and timestamps mapped from the
/// incoming ones, so gaps and silence keep their length; a new incoming SSRC goes on right after
/// the last packet sent, marked as a new talk-spurt. Not thread-safe: one event loop owns it.
/// It allocates nothing per packet.
public final class AudioPipe {
    /// One side's codec and its DTMF payload types, as that side negotiated them: events are
    /// sent with `telephoneEvent`, and received on it or any of `otherTelephoneEvents` (a
    /// browser that negotiated events at 48 and 8 kHz may send either).
    public struct Side: Sendable, Equatable {
        public var codec: Codec
        public var telephoneEvent: Codec?
        public var otherTelephoneEvents: [Codec]
        public init(codec: Codec, telephoneEvent: Codec?, otherTelephoneEvents: [Codec] = []) {
            self.codec = codec
            self.telephoneEvent = telephoneEvent
            self.otherTelephoneEvents = otherTelephoneEvents
        }

        /// The negotiated events `payloadType` carries, if it carries events.
        func telephoneEvent(_ payloadType: UInt8) -> Codec? {
            if let telephoneEvent, telephoneEvent.payloadType == payloadType { return telephoneEvent }
            return otherTelephoneEvents.first { $0.payloadType == payloadType }
        }
    }

    enum Kind { case opus, pcmu, pcma }

    /// Where a pipe builds each packet it emits, which lives only until `emit` returns: the two
    /// pipes of a bridge, on one event loop and never inside each other, share one (1,500 bytes
    /// less per call).
    public final class Scratch {
        let bytes: UnsafeMutableRawBufferPointer = .allocate(byteCount: 1500, alignment: 4)
        public init() {}
        deinit { bytes.deallocate() }
    }

    public let input: Side
    public let output: Side
    public let ssrc: UInt32
    /// Packets carried over unchanged in payload (same codec both sides).
    public var isPassthrough: Bool { inKind == outKind }
    private let inKind: Kind
    private let outKind: Kind
    private let decoder: OpusDecoder?
    private let encoder: OpusEncoder?
    /// Decoded 8 kHz samples waiting to fill a 20 ms frame.
    private let pending: UnsafeMutableBufferPointer<Int16>
    private var pendingCount = 0
    /// The outgoing timestamp of `pending[0]`.
    private var pendingTimestamp: UInt32 = 0
    private let decoded: UnsafeMutableBufferPointer<Int16>
    private let scratch: Scratch
    private var packet: UnsafeMutableRawBufferPointer { scratch.bytes }
    private var sequence = UInt16.random(in: 0...UInt16.max)
    /// The outgoing timestamp of the incoming stream's first packet (`inputBase`).
    private var outputBase = UInt32.random(in: 0...UInt32.max)
    private var inputBase: UInt32?
    /// The incoming stream's SSRC: when it changes the timestamps are mapped anew.
    private var inputSSRC: UInt32?
    /// The next audio packet starts a talk-spurt (marker bit): a new incoming stream's first.
    private var markNext = false
    private var lastEventTimestamp: UInt32?
    private var lastSentTimestamp: UInt32?
    static let frame = 160

    /// `scratch`: shared with another pipe of the same event loop, or nil for one of its own.
    public init(
        from input: Side, to output: Side, ssrc: UInt32, opusComplexity: Int = 0, scratch: Scratch? = nil
    ) throws(AudioPipeError) {
        self.input = input
        self.output = output
        self.ssrc = ssrc
        inKind = try Self.kind(input.codec)
        outKind = try Self.kind(output.codec)
        do {
            decoder = inKind == .opus && outKind != .opus ? try OpusDecoder(sampleRate: 8000, channels: 1) : nil
            encoder =
                outKind == .opus && inKind != .opus
                ? try OpusEncoder(
                    sampleRate: 8000, channels: 1, complexity: opusComplexity, bitrate: 24000, narrowband: true,
                    application: .voip)
                : nil
        } catch {
            throw .opus(error)
        }
        // Samples only when transcoding: the same codec both sides (Opus relayed to an Opus
        // trunk) needs none, and they were 15 KiB of such a call.
        let samples = inKind == outKind ? 0 : 960 * 2
        pending = .allocate(capacity: samples)
        decoded = .allocate(capacity: samples)
        self.scratch = scratch ?? Scratch()
    }

    deinit {
        pending.deallocate()
        decoded.deallocate()
    }

    static func kind(_ codec: Codec) throws(AudioPipeError) -> Kind {
        switch codec.name {
        case "opus": .opus
        case "pcmu": .pcmu
        case "pcma": .pcma
        default: throw .unsupportedCodec(codec.name)
        }
    }

    /// Takes one received RTP packet; `emit` gets each packet for the other side (none while a
    /// frame is still filling). Returns the digit of a DTMF event that ended in this packet
    /// (once per event, however often its end is repeated).
    @discardableResult
    public func process(
        _ bytes: UnsafeRawBufferPointer, header: RTPHeader, emit: (UnsafeRawBufferPointer) -> Void
    ) -> Character? {
        guard header.payloadOffset + header.payloadLength <= bytes.count else { return nil }
        let payload = UnsafeRawBufferPointer(
            rebasing: bytes[header.payloadOffset..<(header.payloadOffset + header.payloadLength)])
        if header.ssrc != inputSSRC { follow(header.ssrc) }
        if header.payloadType == input.codec.payloadType {
            audio(payload, header: header, emit: emit)
            return nil
        }
        if let events = input.telephoneEvent(header.payloadType) {
            return telephoneEvent(payload, header: header, clockRate: events.clockRate, emit: emit)
        }
        return nil
    }

    /// A new incoming stream: its timestamps start anywhere, so they are mapped to go on right
    /// after what this pipe sent, as a new talk-spurt, instead of jumping by a random amount.
    /// A carrier's early media then its answer, an SBC that re-anchors the call, or stray packets
    /// reaching a recycled port all change the SSRC mid-call.
    private func follow(_ ssrc: UInt32) {
        if inputSSRC != nil {
            outputBase = nextTimestamp
            inputBase = nil
            pendingCount = 0  // less than a frame of the old stream
            lastEventTimestamp = nil
            markNext = true
        }
        inputSSRC = ssrc
    }

    /// The outgoing timestamp for an incoming one: same elapsed time, other clock rate.
    private func map(_ timestamp: UInt32) -> UInt32 {
        let base: UInt32
        if let inputBase {
            base = inputBase
        } else {
            inputBase = timestamp
            base = timestamp
        }
        let elapsed = UInt64(timestamp &- base)
        let scaled = elapsed * UInt64(output.codec.clockRate) / UInt64(max(1, input.codec.clockRate))
        return outputBase &+ UInt32(truncatingIfNeeded: scaled)
    }

    private func audio(_ payload: UnsafeRawBufferPointer, header: RTPHeader, emit: (UnsafeRawBufferPointer) -> Void) {
        if isPassthrough {
            let count = min(payload.count, packet.count - 12)
            guard count > 0, let source = payload.baseAddress else { return }
            packet.baseAddress!.advanced(by: 12).copyMemory(from: source, byteCount: count)
            send(
                payloadType: output.codec.payloadType, marker: header.marker || markNext,
                timestamp: map(header.timestamp), length: count, emit: emit)
            markNext = false
            return
        }
        let samples = decode(payload)
        guard samples > 0 else { return }
        if pendingCount == 0 { pendingTimestamp = map(header.timestamp) }
        let room = pending.count - pendingCount
        let take = min(samples, room)
        for i in 0..<take { pending[pendingCount + i] = decoded[i] }
        pendingCount += take
        var offset = 0
        let step = UInt32(Self.frame * output.codec.clockRate / 8000)
        while pendingCount - offset >= Self.frame {
            let frame = UnsafeBufferPointer(rebasing: pending[offset..<(offset + Self.frame)])
            let length = encode(frame)
            if length > 0 {
                send(
                    payloadType: output.codec.payloadType, marker: (header.marker || markNext) && offset == 0,
                    timestamp: pendingTimestamp, length: length, emit: emit)
                markNext = false
            }
            pendingTimestamp &+= step
            offset += Self.frame
        }
        if offset > 0 {
            let rest = pendingCount - offset
            for i in 0..<rest { pending[i] = pending[offset + i] }
            pendingCount = rest
        }
    }

    /// Decodes a payload to 8 kHz samples in `decoded`; returns how many.
    private func decode(_ payload: UnsafeRawBufferPointer) -> Int {
        switch inKind {
        case .opus:
            guard let decoder, !payload.isEmpty else { return 0 }
            let bytes = payload.assumingMemoryBound(to: UInt8.self)
            return (try? decoder.decode(bytes, into: decoded)) ?? 0
        case .pcmu, .pcma:
            let count = min(payload.count, decoded.count)
            G711.decode(
                UnsafeBufferPointer(rebasing: payload.assumingMemoryBound(to: UInt8.self)[0..<count]),
                aLaw: inKind == .pcma,
                into: decoded)
            return count
        }
    }

    /// Encodes one 20 ms frame into `packet` after the header; returns the payload length.
    private func encode(_ frame: UnsafeBufferPointer<Int16>) -> Int {
        let out = UnsafeMutableRawBufferPointer(rebasing: packet[12...]).bindMemory(to: UInt8.self)
        switch outKind {
        case .opus:
            guard let encoder else { return 0 }
            return (try? encoder.encode(frame, into: out)) ?? 0
        case .pcmu, .pcma:
            G711.encode(frame, aLaw: outKind == .pcma, into: out)
            return frame.count
        }
    }

    private func telephoneEvent(
        _ payload: UnsafeRawBufferPointer, header: RTPHeader, clockRate: Int, emit: (UnsafeRawBufferPointer) -> Void
    ) -> Character? {
        guard payload.count >= 4 else { return nil }
        let event = TelephoneEvent(
            event: payload[0], end: payload[1] & 0x80 != 0, volume: payload[1] & 0x3f,
            duration: UInt16(payload[2]) << 8 | UInt16(payload[3]))
        if let outEvent = output.telephoneEvent {
            // Durations count in the events' own clock, which may differ from the audio's (Firefox
            // sends 8 kHz events beside 48 kHz Opus); timestamps follow the audio's clock.
            let duration = TelephoneEvent.rescale(
                UInt32(event.duration), from: UInt32(clockRate), to: UInt32(outEvent.clockRate))
            let out = packet.baseAddress!.advanced(by: 12).assumingMemoryBound(to: UInt8.self)
            out[0] = event.event
            out[1] = (event.end ? 0x80 : 0) | event.volume
            let clamped = UInt16(clamping: duration)
            out[2] = UInt8(clamped >> 8)
            out[3] = UInt8(clamped & 0xff)
            send(
                payloadType: outEvent.payloadType, marker: header.marker, timestamp: map(header.timestamp), length: 4,
                emit: emit)
        }
        guard event.end, let digit = event.digit, lastEventTimestamp != header.timestamp else { return nil }
        lastEventTimestamp = header.timestamp
        return digit
    }

    private func send(
        payloadType: UInt8, marker: Bool, timestamp: UInt32, length: Int, emit: (UnsafeRawBufferPointer) -> Void
    ) {
        let p = packet.baseAddress!.assumingMemoryBound(to: UInt8.self)
        p[0] = 0x80
        p[1] = (marker ? 0x80 : 0) | (payloadType & 0x7f)
        p[2] = UInt8(sequence >> 8)
        p[3] = UInt8(sequence & 0xff)
        p[4] = UInt8(timestamp >> 24)
        p[5] = UInt8((timestamp >> 16) & 0xff)
        p[6] = UInt8((timestamp >> 8) & 0xff)
        p[7] = UInt8(timestamp & 0xff)
        p[8] = UInt8(ssrc >> 24)
        p[9] = UInt8((ssrc >> 16) & 0xff)
        p[10] = UInt8((ssrc >> 8) & 0xff)
        p[11] = UInt8(ssrc & 0xff)
        sequence &+= 1
        lastSentTimestamp = timestamp
        emit(UnsafeRawBufferPointer(rebasing: packet[0..<(12 + length)]))
    }

    /// The outgoing timestamp of the next 20 ms frame: where an injected event starts.
    public var nextTimestamp: UInt32 {
        guard let lastSentTimestamp else { return outputBase }
        return lastSentTimestamp &+ UInt32(Self.frame * output.codec.clockRate / 8000)
    }

    /// Emits one RFC 4733 packet of an event that did not come from the other side (digits an
    /// agent sends over signaling). `duration` is in milliseconds; false when this side has no
    /// telephone-event.
    @discardableResult
    public func emitEvent(
        _ code: UInt8, startedAt timestamp: UInt32, durationMilliseconds: Int, end: Bool, marker: Bool,
        emit: (UnsafeRawBufferPointer) -> Void
    ) -> Bool {
        guard let event = output.telephoneEvent else { return false }
        let duration = UInt16(clamping: durationMilliseconds * event.clockRate / 1000)
        let out = packet.baseAddress!.advanced(by: 12).assumingMemoryBound(to: UInt8.self)
        out[0] = code
        out[1] = (end ? 0x80 : 0) | 10
        out[2] = UInt8(duration >> 8)
        out[3] = UInt8(duration & 0xff)
        let previous = lastSentTimestamp
        send(payloadType: event.payloadType, marker: marker, timestamp: timestamp, length: 4, emit: emit)
        lastSentTimestamp = previous
        return true
    }
}
