import Codecs
import NIOCore
import RTP
import SDP

/// How a party of a conference takes part: whom it is heard by. Every party hears every party
/// that it may hear, except itself.
public enum MixRole: Sendable, Equatable {
    /// Heard by everyone (a party of a three-way call, a supervisor barging in).
    case party
    /// Heard by nobody (a supervisor listening in).
    case listener
    /// Heard only by the party named (a supervisor whispering to the agent).
    case whisperer(to: String)
}

/// A conference on one call's event loop, for up to `capacity` parties, WebRTC and trunk legs
/// together. Each party's audio is decoded as it arrives (Opus straight to 16 kHz, G.711 at 8 kHz
/// doubled to 16 kHz) into a short queue; every 20 ms the mixer takes one frame from each queue
/// and sends each party the sum of the parties it hears, without its own voice, encoded in the
/// codec that party negotiated, as the leg's one continuous stream.
///
/// The mix runs at 16 kHz: wideband among browsers, downsampled to 8 kHz for phones. G.711 is
/// stateless, so a mix that several phone parties hear alike (the same parties in it this frame)
/// is encoded once; each Opus party keeps its own encoder, because an Opus frame depends on the
/// state of the encoder that made the frames before it, and a shared encoder would break a
/// receiver's stream whenever the membership changed. A party's queue holds up to 100 ms: it
/// plays from its first frame when the party joins; a frame that is late (jitter) is concealed
/// (the last one again, at half its level, up to 40 ms) and the late audio skipped when it comes;
/// after running dry the party waits until 40 ms are buffered; it drops its oldest audio when a
/// burst overfills it. A browser
/// that hears nobody in a frame is sent nothing (no encode); a phone is sent silence. RFC 4733
/// digits are reported, not forwarded into the mix.
///
/// Allocates nothing per packet or per frame once parties have joined (their buffers, decoder
/// and encoder are made when they join). Not thread-safe: the graph drives it on the loop.
final class AudioMixer: MediaTickable {
    /// Parties a conference may have.
    static let capacity = 8
    static let rate = 16000
    /// What each party's Opus encoder sends (CELT, wideband): at 24 kbit/s a human voice scored
    /// 2.95 by wideband PESQ, at 48 kbit/s 4.07 for about 1.1× the encoding cost
    /// (docs/performance.md, "The encoder's layer, complexity and speech quality").
    static let opusBitrate = 48_000
    /// Mix samples per G.711 sample.
    static let narrowFactor = rate / 8000
    static let frame = rate / 50
    /// Samples a party's queue holds before it plays, and at most.
    static let prime = 2 * frame
    static let limit = 5 * frame

    private let ticker: MediaTicker
    private let opusComplexity: Int
    private(set) var parties: [MixParty] = []
    /// The sum for the party being served, and its 8 kHz version for G.711.
    private let sum: UnsafeMutableBufferPointer<Int32>
    private let mix: UnsafeMutableBufferPointer<Int16>
    private let narrow: UnsafeMutableBufferPointer<Int16>
    /// Frames mixed since the mixer was made.
    private(set) var ticks = 0

    init(ticker: MediaTicker, opusComplexity: Int) {
        self.ticker = ticker
        self.opusComplexity = opusComplexity
        sum = .allocate(capacity: Self.frame)
        mix = .allocate(capacity: Self.frame)
        narrow = .allocate(capacity: Self.frame / Self.narrowFactor)
    }

    deinit {
        sum.deallocate()
        mix.deallocate()
        narrow.deallocate()
    }

    func role(of name: String) -> MixRole? { parties.first { $0.name == name }?.role }

    /// Adds a leg as `name` (or changes the role of a party already in). Throws when the leg's
    /// codec cannot be mixed or the conference is full.
    func join(_ name: String, leg: MediaLeg, role: MixRole, digits: DigitReporter?) throws {
        if let party = parties.first(where: { $0.name == name }) {
            party.role = role
            return
        }
        guard parties.count < Self.capacity else {
            throw MediaError.sdp("a conference has at most \(Self.capacity) parties")
        }
        guard let codec = leg.audioCodec else {
            throw MediaError.sdp("leg \(name) has no audio codec")
        }
        let party = try MixParty(
            name: name, leg: leg, codec: codec, role: role, digits: digits, opusComplexity: opusComplexity)
        parties.append(party)
        party.listen()
        leg.audioSourceChanged()
        if parties.count == 1 { ticker.add(self) }
    }

    /// Takes a party out; its leg hears nothing from the mixer any more.
    func leave(_ name: String) {
        guard let index = parties.firstIndex(where: { $0.name == name }) else { return }
        parties.remove(at: index).deafen()
        if parties.isEmpty { ticker.remove(self) }
    }

    /// A held party neither hears nor is heard; a muted one (something plays to it) is not sent
    /// the mix but still heard.
    func set(_ name: String, held: Bool? = nil, muted: Bool? = nil) {
        guard let party = parties.first(where: { $0.name == name }) else { return }
        if let held { party.held = held }
        if let muted {
            if party.muted && !muted { party.leg.audioSourceChanged() }
            party.muted = muted
        }
    }

    func close() {
        for party in parties { party.deafen() }
        parties.removeAll()
        ticker.remove(self)
    }

    func tick(now: Double) {
        ticks += 1
        for party in parties { party.take() }
        for (index, party) in parties.enumerated() where !party.muted && !party.held {
            var heard: UInt16 = 0
            for (other, source) in parties.enumerated() where other != index && source.speaks(to: party.name) {
                heard |= 1 << other
            }
            // Nothing to hear: a browser is sent nothing (its jitter buffer conceals the pause, and
            // no frame is encoded); a phone is sent silence, as carriers end calls that fall silent.
            if heard == 0, party.kind == .opus { continue }
            if party.kind != .opus,
                let shared = parties[0..<index].first(where: {
                    $0.kind == party.kind && $0.lastHeard == heard && $0.lastLength > 0 && $0.lastTick == ticks
                })
            {
                party.send(copyOf: shared, heard: heard, tick: ticks)
                continue
            }
            sumFrames(heard)
            party.encodeAndSend(mix: UnsafeBufferPointer(mix), narrow: narrow, heard: heard, tick: ticks)
        }
    }

    /// Adds up the current frames of the parties in `heard` into `mix`, clipped to 16 bits.
    private func sumFrames(_ heard: UInt16) {
        sum.update(repeating: 0)
        for (index, party) in parties.enumerated() where heard & (1 << index) != 0 {
            let frame = party.current
            for i in 0..<Self.frame { sum[i] &+= Int32(frame[i]) }
        }
        for i in 0..<Self.frame { mix[i] = Int16(clamping: sum[i]) }
    }
}

/// One party of an `AudioMixer`: its leg, its queue of decoded audio and its outgoing stream.
final class MixParty {
    enum Kind { case opus, pcmu, pcma }

    let name: String
    let leg: MediaLeg
    let kind: Kind
    var role: MixRole
    var held = false
    var muted = false
    private let codec: Codec
    private let telephoneEvents: [UInt8]
    private let digits: DigitReporter?
    private let decoder: OpusDecoder?
    private let encoder: OpusEncoder?
    /// Decoded 16 kHz audio not mixed yet, oldest first, as a ring.
    private let queue: UnsafeMutableBufferPointer<Int16>
    private var head = 0
    private var count = 0
    private var playing = false
    /// Whether the queue ran dry since the party joined: it then waits for `prime` before
    /// playing again; a party that just joined (its audio already flowing, often from a relay)
    /// plays from its first frame, so that nobody hears a gap when the conference starts.
    private var starved = false
    /// Frames concealed in a row, and concealed frames whose late audio is still to be skipped.
    private var concealed = 0
    private var owed = 0
    /// The frame mixed this tick (silence when the party had none).
    let current: UnsafeMutableBufferPointer<Int16>
    private var hasCurrent = false
    private let scratch: UnsafeMutableBufferPointer<Int16>
    private let narrowIn: UnsafeMutableBufferPointer<Int16>
    private var previous: Int16 = 0
    private var lastSequence: UInt16?
    /// The stream this party is sent.
    private var buffer: ByteBuffer
    private let ssrc = UInt32.random(in: 1...UInt32.max)
    private var sequence = UInt16.random(in: 0...UInt16.max)
    private var timestamp = UInt32.random(in: 0...UInt32.max)
    /// What the last frame sent held (for G.711 sharing): the parties in it, its payload length.
    private(set) var lastHeard: UInt16 = 0
    private(set) var lastLength = 0
    private(set) var lastTick = 0
    private let payload: UnsafeMutableBufferPointer<UInt8>

    init(name: String, leg: MediaLeg, codec: Codec, role: MixRole, digits: DigitReporter?, opusComplexity: Int) throws {
        self.name = name
        self.leg = leg
        self.codec = codec
        self.role = role
        self.digits = digits
        switch codec.name {
        case "opus": kind = .opus
        case "pcmu": kind = .pcmu
        case "pcma": kind = .pcma
        default: throw MediaError.sdp("cannot mix codec \(codec.name)")
        }
        switch leg {
        case .webRTC(let web):
            telephoneEvents = web.telephoneEventTypes
        case .rtp(let rtp):
            telephoneEvents = rtp.negotiation?.telephoneEvent.map { [$0.payloadType] } ?? []
        }
        do {
            decoder = kind == .opus ? try OpusDecoder(sampleRate: AudioMixer.rate, channels: 1) : nil
            encoder =
                kind == .opus
                ? try OpusEncoder(
                    sampleRate: AudioMixer.rate, channels: 1, complexity: opusComplexity,
                    bitrate: AudioMixer.opusBitrate,
                    application: .restrictedLowDelay) : nil
        } catch {
            throw MediaError.sdp("libopus: \(error)")
        }
        queue = .allocate(capacity: AudioMixer.limit + 6 * AudioMixer.frame)
        current = .allocate(capacity: AudioMixer.frame)
        current.update(repeating: 0)
        scratch = .allocate(capacity: 6 * AudioMixer.frame)
        narrowIn = .allocate(capacity: 3 * AudioMixer.frame)
        payload = .allocate(capacity: 1500)
        buffer = ByteBufferAllocator().buffer(capacity: 1500)
    }

    deinit {
        queue.deallocate()
        current.deallocate()
        scratch.deallocate()
        narrowIn.deallocate()
        payload.deallocate()
    }

    /// Whether `listener` hears this party.
    func speaks(to listener: String) -> Bool {
        guard hasCurrent, !held else { return false }
        switch role {
        case .party: return true
        case .listener: return false
        case .whisperer(let to): return to == listener
        }
    }

    // MARK: - In

    func listen() {
        switch leg {
        case .webRTC(let web): web.onRTP = { [unowned self] buffer, header, _ in receive(buffer, header) }
        case .rtp(let rtp): rtp.onRTP = { [unowned self] buffer, header, _ in receive(buffer, header) }
        }
    }

    func deafen() {
        switch leg {
        case .webRTC(let web): web.onRTP = nil
        case .rtp(let rtp): rtp.onRTP = nil
        }
    }

    private func receive(_ buffer: ByteBuffer, _ header: RTPHeader) {
        if telephoneEvents.contains(header.payloadType) {
            guard header.payloadLength >= 4,
                let bytes = buffer.getBytes(at: buffer.readerIndex + header.payloadOffset, length: 4),
                let event = TelephoneEvent.parse(bytes), event.end, let digit = event.digit
            else { return }
            digits?.heard(digit, timestamp: header.timestamp)
            return
        }
        guard header.payloadType == codec.payloadType, !held else { return }
        if let lastSequence, Int16(bitPattern: header.sequenceNumber &- lastSequence) <= 0 { return }
        lastSequence = header.sequenceNumber
        buffer.withUnsafeReadableBytes { bytes in
            let end = header.payloadOffset + header.payloadLength
            guard end <= bytes.count, header.payloadLength > 0 else { return }
            let input = UnsafeRawBufferPointer(rebasing: bytes[header.payloadOffset..<end])
            enqueue(decode(input.assumingMemoryBound(to: UInt8.self)))
        }
    }

    /// Decodes a payload to 16 kHz samples in `scratch`; returns how many.
    private func decode(_ input: UnsafeBufferPointer<UInt8>) -> Int {
        if let decoder { return (try? decoder.decode(input, into: scratch)) ?? 0 }
        let factor = AudioMixer.narrowFactor
        let samples = min(input.count, narrowIn.count, scratch.count / factor)
        G711.decode(UnsafeBufferPointer(rebasing: input[0..<samples]), aLaw: kind == .pcma, into: narrowIn)
        // 8 → 16 kHz: each sample, preceded by the midpoint from the one before.
        for i in 0..<samples {
            let sample = narrowIn[i]
            let step = Int32(sample) - Int32(previous)
            for k in 0..<factor {
                scratch[factor * i + k] = Int16(Int32(previous) + step * Int32(k + 1) / Int32(factor))
            }
            previous = sample
        }
        return factor * samples
    }

    private func enqueue(_ samples: Int) {
        guard samples > 0 else { return }
        if count + samples > AudioMixer.limit {
            let drop = count + samples - AudioMixer.prime
            let dropped = min(drop, count)
            head = (head + dropped) % queue.count
            count -= dropped
        }
        let taken = min(samples, queue.count - count)
        Self.copy(from: UnsafeBufferPointer(scratch), 0, to: queue, at: (head + count) % queue.count, taken)
        count += taken
    }

    /// Moves the next frame into `current`, conceals a frame that is late, or marks the party
    /// silent this tick.
    func take() {
        if !playing, count >= (starved ? AudioMixer.prime : AudioMixer.frame) { playing = true }
        guard playing, count >= AudioMixer.frame else {
            // A packet a little late (jitter) is concealed: the last frame again, at half its
            // level, twice at most; then the party has run dry and waits for `prime`.
            if playing, hasCurrent, concealed < 2 {
                concealed += 1
                owed += 1
                for i in 0..<AudioMixer.frame { current[i] /= 2 }
                return
            }
            if playing { (playing, starved) = (false, true) }
            (hasCurrent, concealed, owed) = (false, 0, 0)
            return
        }
        // The late audio that was concealed arrived meanwhile: it is skipped, so the party's delay
        // does not grow.
        while owed > 0, count >= 2 * AudioMixer.frame {
            head = (head + AudioMixer.frame) % queue.count
            count -= AudioMixer.frame
            owed -= 1
        }
        Self.copy(fromRing: UnsafeBufferPointer(queue), at: head, to: current, AudioMixer.frame)
        head = (head + AudioMixer.frame) % queue.count
        count -= AudioMixer.frame
        hasCurrent = true
        concealed = 0
    }

    /// Copies `count` samples into the ring `ring` from `start` on, wrapping at its end.
    private static func copy(
        from source: UnsafeBufferPointer<Int16>, _ offset: Int, to ring: UnsafeMutableBufferPointer<Int16>,
        at start: Int, _ count: Int
    ) {
        let first = min(count, ring.count - start)
        (ring.baseAddress! + start).update(from: source.baseAddress! + offset, count: first)
        if count > first { ring.baseAddress!.update(from: source.baseAddress! + offset + first, count: count - first) }
    }

    /// Copies `count` samples out of the ring `ring` from `start` on, wrapping at its end.
    private static func copy(
        fromRing ring: UnsafeBufferPointer<Int16>, at start: Int, to target: UnsafeMutableBufferPointer<Int16>,
        _ count: Int
    ) {
        let first = min(count, ring.count - start)
        target.baseAddress!.update(from: ring.baseAddress! + start, count: first)
        if count > first { (target.baseAddress! + first).update(from: ring.baseAddress!, count: count - first) }
    }

    // MARK: - Out

    /// Encodes `mix` in this party's codec and sends it.
    func encodeAndSend(
        mix: UnsafeBufferPointer<Int16>, narrow: UnsafeMutableBufferPointer<Int16>, heard: UInt16, tick: Int
    ) {
        let length: Int
        if let encoder {
            length = (try? encoder.encode(mix, into: payload)) ?? 0
        } else {
            // Down to 8 kHz: the mean of each run of samples (a crude low-pass before decimating).
            let factor = AudioMixer.narrowFactor
            for i in 0..<narrow.count {
                var total: Int32 = 0
                for k in 0..<factor { total += Int32(mix[factor * i + k]) }
                narrow[i] = Int16(total / Int32(factor))
            }
            G711.encode(UnsafeBufferPointer(narrow), aLaw: kind == .pcma, into: payload)
            length = narrow.count
        }
        (lastHeard, lastLength, lastTick) = (heard, length, tick)
        send(length)
    }

    /// Sends the payload `other` sent this tick (the same codec and mix).
    func send(copyOf other: MixParty, heard: UInt16, tick: Int) {
        payload.baseAddress!.update(from: other.payload.baseAddress!, count: other.lastLength)
        (lastHeard, lastLength, lastTick) = (heard, other.lastLength, tick)
        send(other.lastLength)
    }

    private func send(_ length: Int) {
        guard length > 0 else { return }
        leg.sendAudio(
            &buffer, payloadType: codec.payloadType, marker: false, sequence: sequence, timestamp: timestamp,
            source: ssrc, payload: UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(payload)[0..<length]))
        sequence &+= 1
        timestamp &+= UInt32(codec.clockRate / 50)
    }
}
