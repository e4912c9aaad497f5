import NIOCore

/// One call's media, on the call's event loop: the legs of its parties by name, which of them
/// hear each other, and what plays to whom. Commands (attach, connect, hold, play, stop, detach)
/// may come from any thread; each runs on the loop, in the order given, so the media path itself
/// takes no lock and crosses no actor.
///
/// A leg hears its connected peer unless the connection is held or a source plays to it; a leg
/// can be played to without being connected at all (a caller waiting in a queue). Whatever it
/// hears, a leg sends one continuous stream (same SSRC, sequence numbers and timestamps going
/// on, the marker bit at each change), so prompt → music → agent → hold music → agent is one
/// stream to its receiver.
///
/// Two parties are relayed (no decoding, or one transcoder); a third one joining (a three-way
/// call, a supervisor listening in) turns them into a conference (`AudioMixer`), and the call goes
/// back to a relay when only two parties who hear each other remain.
///
/// `@unchecked Sendable`: `legs`, `taps`, `connections`, `players`, `mixer` and `closed` are read and
/// written only on `eventLoop`: every public method hops there before touching them.
public final class MediaGraph: @unchecked Sendable {
    public let eventLoop: any EventLoop
    /// Parties a call's conference may have.
    public static let conferenceCapacity = AudioMixer.capacity
    private let ticker: MediaTicker
    private let opusComplexity: Int
    private let conferenceOpusComplexity: Int

    struct Attached {
        let leg: MediaLeg
        let digits: DigitReporter?
    }

    /// Two legs relaying to each other.
    private final class Connection {
        let a: String
        let b: String
        let relay: Relay
        var held = false
        init(a: String, b: String, relay: Relay) {
            self.a = a
            self.b = b
            self.relay = relay
        }
        func involves(_ name: String) -> Bool { a == name || b == name }
    }

    private enum Relay {
        case webRTC(MediaBridge)
        case transcoding(TranscodingBridge)
        case trunks(RTPRelayBridge)

        func unbridge() {
            switch self {
            case .webRTC(let bridge): bridge.unbridge()
            case .transcoding(let bridge): bridge.unbridge()
            case .trunks(let bridge): bridge.unbridge()
            }
        }
    }

    var legs: [String: Attached] = [:]
    /// Recording taps installed on legs, by leg name (see `MediaGraph+Recording`).
    var taps: [String: RecordingTap] = [:]
    private var connections: [Connection] = []
    private var players: [String: AudioPlayer] = [:]
    /// The call's conference, once a third party joined its legs.
    private var mixer: AudioMixer?
    private var closed = false

    /// A graph for a call whose legs live on `ticker`'s event loop. `conferenceOpusComplexity` is
    /// the complexity of the conference's Opus encoders (one per WebRTC party); `opusComplexity` is used by
    /// the transcoders between WebRTC and trunk legs.
    public init(ticker: MediaTicker, opusComplexity: Int = 0, conferenceOpusComplexity: Int = 0) {
        self.conferenceOpusComplexity = conferenceOpusComplexity
        self.eventLoop = ticker.eventLoop
        self.ticker = ticker
        self.opusComplexity = opusComplexity
    }

    // MARK: - Commands

    /// Adds `leg` under `name`, closing a leg the name had; `onDTMF` hears each digit the leg's
    /// party sends (RFC 4733), connected or not.
    public func attach(_ name: String, _ leg: MediaLeg, onDTMF: (@Sendable (Character) -> Void)? = nil) {
        precondition(leg.eventLoop === eventLoop, "a call's legs are pinned to its event loop")
        eventLoop.execute { [self] in
            guard !closed else { return leg.close() }
            if legs[name] != nil { detachOnLoop(name) }
            legs[name] = Attached(leg: leg, digits: onDTMF.map(DigitReporter.init))
            listenForDigits(name)
        }
    }

    /// Gives a leg another name, out of any connection and with nothing playing to it (a
    /// transferring agent set aside while the target rings, and back). A leg the new name had is
    /// closed.
    public func rename(_ name: String, to newName: String) {
        eventLoop.execute { [self] in
            guard name != newName, legs[name] != nil else { return }
            players.removeValue(forKey: name)?.stopOnLoop()
            disconnectOnLoop(name)
            if legs[newName] != nil { detachOnLoop(newName) }
            legs[newName] = legs.removeValue(forKey: name)
            taps[newName] = taps.removeValue(forKey: name)
            listenForDigits(newName)
        }
    }

    /// Swaps the legs under two names (with what plays to them and their recording taps); each
    /// name's party's digits go to the reporter given for the name from now on. Legs connected
    /// to each other stay connected (held or not); legs in a conference stay in it as parties.
    public func exchange(
        _ a: String, _ b: String,
        digits: (a: @Sendable (Character) -> Void, b: @Sendable (Character) -> Void)
    ) {
        eventLoop.execute { [self] in
            guard a != b, let first = legs[a], let second = legs[b] else { return }
            let connection = connections.first { $0.involves(a) && $0.involves(b) }
            let held = connection?.held ?? false
            let conferenced = mixer.map { $0.role(of: a) != nil || $0.role(of: b) != nil } ?? false
            disconnectOnLoop(a)
            disconnectOnLoop(b)
            legs[a] = Attached(leg: second.leg, digits: DigitReporter(digits.a))
            legs[b] = Attached(leg: first.leg, digits: DigitReporter(digits.b))
            (players[a], players[b]) = (players[b], players[a])
            (taps[a], taps[b]) = (taps[b], taps[a])
            if conferenced {
                for name in [a, b] { try? joinOnLoop(name, .party) }
            } else if connection != nil, (try? connectOnLoop(a, b)) != nil, held,
                let again = connections.first(where: { $0.involves(a) })
            {
                again.held = true
                applyRelaying(again)
            }
            listenForDigits(a)
            listenForDigits(b)
        }
    }

    /// Stops what plays to the leg, drops its connection and closes it.
    public func detach(_ name: String) {
        eventLoop.execute { [self] in detachOnLoop(name) }
    }

    /// Makes two legs hear each other, replacing any connection either had (early media, then
    /// the answer). Relayed as is between WebRTC legs, transcoded between WebRTC and a trunk,
    /// relayed between two trunks (PCMU and PCMA converted byte by byte).
    /// Throws `MediaError` when a leg is missing or no transcoder fits.
    public func connect(_ a: String, _ b: String) async throws {
        try await eventLoop.submit { [self] in try connectOnLoop(a, b) }.get()
    }

    /// Drops the connection the leg is in; both legs hear nothing (or what plays to them).
    public func disconnect(_ name: String) {
        eventLoop.execute { [self] in disconnectOnLoop(name) }
    }

    /// Holds the connection the leg is in (neither side hears the other) or resumes it.
    public func setHeld(_ held: Bool, connectionOf name: String) {
        eventLoop.execute { [self] in
            mixer?.set(name, held: held)
            guard let connection = connections.first(where: { $0.involves(name) }) else { return }
            connection.held = held
            applyRelaying(connection)
        }
    }

    /// Plays `audio` (looped) to the leg, instead of what it hears now, until `stop`.
    public func play(_ audio: EncodedAudio, to name: String) {
        play(.looping(audio), to: name)
    }

    /// Plays `program` to the leg, instead of what it hears now, until `stop` (or another play).
    /// `onInterruption` hears, on the loop, when each interruption starts (true) and ends.
    public func play(
        _ program: AudioProgram, to name: String, onInterruption: (@Sendable (Bool) -> Void)? = nil
    ) {
        eventLoop.execute { [self] in
            guard let attached = legs[name] else { return }
            players[name]?.stopOnLoop()
            let player = AudioPlayer(leg: attached.leg, program: program, ticker: ticker)
            player.onInterruption = onInterruption
            players[name] = player
            player.startOnLoop()
            mixer?.set(name, muted: true)
            if let connection = connections.first(where: { $0.involves(name) }) { applyRelaying(connection) }
        }
    }

    /// Replaces the interruption (announcement) of what plays to the leg, from its next
    /// announcement on (a caller's position in the queue changed).
    public func setInterruption(_ audio: EncodedAudio, forPlayerOf name: String) {
        eventLoop.execute { [self] in players[name]?.setInterruption(audio) }
    }

    /// Stops what plays to the leg; it hears its connection again, if any.
    public func stop(playingTo name: String) {
        eventLoop.execute { [self] in
            guard let player = players.removeValue(forKey: name) else { return }
            player.stopOnLoop()
            mixer?.set(name, muted: false)
            if let connection = connections.first(where: { $0.involves(name) }) { applyRelaying(connection) }
        }
    }

    /// Adds the leg to the call's conference as `role`, or changes its role there. The first
    /// join turns the connection the call's legs are in into the conference: both become
    /// `.party`. Throws `MediaError` when the leg is missing, its codec cannot be mixed, or the
    /// conference is full (`AudioMixer.capacity`).
    public func join(_ name: String, as role: MixRole) async throws {
        try await eventLoop.submit { [self] in try joinOnLoop(name, role) }.get()
    }

    /// Takes the leg out of the conference (it hears nothing, or what plays to it). When two
    /// parties who hear each other remain, they are relayed again, without mixing.
    public func leave(_ name: String) {
        eventLoop.execute { [self] in leaveConferenceOnLoop(name) }
    }

    /// Takes the leg out of the conference; two parties who hear each other left are relayed.
    private func leaveConferenceOnLoop(_ name: String) {
        guard let mixer, mixer.role(of: name) != nil else { return }
        mixer.leave(name)
        listenForDigits(name)
        let rest = mixer.parties
        if rest.isEmpty { self.mixer = nil }
        guard rest.count == 2, rest.allSatisfy({ $0.role == .party && !$0.held }) else { return }
        let (a, b) = (rest[0].name, rest[1].name)
        mixer.close()
        self.mixer = nil
        do { try connectOnLoop(a, b) } catch {
            // No relay fits these two (it did before): they stay mixed.
            let again = AudioMixer(ticker: ticker, opusComplexity: conferenceOpusComplexity)
            self.mixer = again
            for name in [a, b] { try? joinMixer(again, name, .party) }
        }
    }

    /// The conference's parties and their roles, read on the loop (empty without a conference).
    public func conference() async throws -> [String: MixRole] {
        try await eventLoop.submit { [self] in
            Dictionary(uniqueKeysWithValues: (mixer?.parties ?? []).map { ($0.name, $0.role) })
        }.get()
    }

    /// Sends digits to a trunk leg as RFC 4733 events, as if its connected WebRTC peer had sent
    /// them. Throws `MediaError` when the leg is not a trunk connected to a WebRTC leg, or the
    /// trunk did not negotiate telephone-event.
    public func sendDigits(_ digits: String, to name: String) async throws {
        try await eventLoop.submit { [self] in
            guard let connection = connections.first(where: { $0.involves(name) }),
                case .transcoding(let bridge) = connection.relay, legs[name]?.leg.rtp != nil
            else { throw MediaError.sdp("no trunk leg \(name) connected to a WebRTC leg") }
            try bridge.sendDigits(digits)
        }.get()
    }

    /// Ends the call's media: stops every source, drops every connection, closes every leg.
    /// Commands after this close any leg they are given.
    public func close() {
        eventLoop.execute { [self] in
            closed = true
            finishRecordingOnLoop()
            mixer?.close()
            mixer = nil
            for name in Array(legs.keys) { detachOnLoop(name) }
        }
    }

    // MARK: - State for tests

    /// Names of the legs attached, of the connections (as "a+b", held ones marked), and of the
    /// legs played to, read on the loop.
    public func snapshot() async throws -> (legs: Set<String>, connections: [String], playing: Set<String>) {
        try await eventLoop.submit { [self] in
            (
                Set(legs.keys), connections.map { "\($0.a)+\($0.b)\($0.held ? " held" : "")" },
                Set(players.keys)
            )
        }.get()
    }

    // MARK: - On the loop

    private func detachOnLoop(_ name: String) {
        if let tap = taps.removeValue(forKey: name), let leg = legs[name]?.leg {
            leg.recordingTap = nil
            tap.finish(now: leg.now)
        }
        players.removeValue(forKey: name)?.stopOnLoop()
        leaveConferenceOnLoop(name)
        disconnectOnLoop(name)
        legs.removeValue(forKey: name)?.leg.close()
    }

    private func disconnectOnLoop(_ name: String) {
        if let mixer, mixer.role(of: name) != nil {
            mixer.leave(name)
            if mixer.parties.isEmpty { self.mixer = nil }
            listenForDigits(name)
        }
        let dropped = connections.filter { $0.involves(name) }
        for connection in dropped { connection.relay.unbridge() }
        connections.removeAll { $0.involves(name) }
        for connection in dropped {
            listenForDigits(connection.a)
            listenForDigits(connection.b)
        }
    }

    private func joinOnLoop(_ name: String, _ role: MixRole) throws {
        guard legs[name] != nil else { throw MediaError.sdp("no leg \(name) in this call") }
        if let mixer {
            if mixer.role(of: name) == nil { disconnectOnLoop(name) }
            return try joinMixer(mixer, name, role)
        }
        let mixer = AudioMixer(ticker: ticker, opusComplexity: conferenceOpusComplexity)
        // The connection the call's parties are in becomes the conference.
        var parties: [(String, Bool)] = []
        if let connection = connections.first {
            parties = [(connection.a, connection.held), (connection.b, connection.held)]
            connection.relay.unbridge()
            connections.removeAll { $0 === connection }
        }
        self.mixer = mixer
        for (party, held) in parties where party != name {
            try joinMixer(mixer, party, .party)
            mixer.set(party, held: held)
        }
        disconnectOnLoop(name)
        try joinMixer(mixer, name, role)
    }

    /// Puts the leg in the conference; its handler replaces a bridge's or a listener's in this
    /// turn of the loop (a bridge removes its own in a later turn: the mixer's is installed after).
    private func joinMixer(_ mixer: AudioMixer, _ name: String, _ role: MixRole) throws {
        guard let attached = legs[name] else { throw MediaError.sdp("no leg \(name) in this call") }
        if mixer.role(of: name) != nil { return try mixer.join(name, leg: attached.leg, role: role, digits: nil) }
        try mixer.join(name, leg: attached.leg, role: role, digits: attached.digits)
        mixer.set(name, muted: players[name] != nil)
        // A bridge just dropped unhooks the leg's handler in a later turn; hook the mixer after it.
        eventLoop.execute { [self] in
            guard let party = self.mixer?.parties.first(where: { $0.name == name }) else { return }
            party.listen()
        }
    }

    /// A leg in no connection still reports its party's digits (a bridge does once connected).
    /// Bridges install and remove their handlers in a later turn of the loop: so does this,
    /// after them, and only if the leg is still in no connection by then.
    private func listenForDigits(_ name: String) {
        eventLoop.execute { [self] in
            guard let attached = legs[name], let digits = attached.digits,
                !connections.contains(where: { $0.involves(name) }), mixer?.role(of: name) == nil
            else { return }
            DTMFListener(digits).install(on: attached.leg)
        }
    }

    private func connectOnLoop(_ a: String, _ b: String) throws {
        guard let first = legs[a]?.leg, let second = legs[b]?.leg else {
            throw MediaError.sdp("no leg \(legs[a] == nil ? a : b) in this call")
        }
        if let mixer, mixer.role(of: a) != nil || mixer.role(of: b) != nil {
            // Parties of a conference that are (re)connected: once the other parties left it.
            guard mixer.parties.count <= 2 else { return try joinOnLoop(mixer.role(of: a) == nil ? a : b, .party) }
        }
        disconnectOnLoop(a)
        disconnectOnLoop(b)
        let relay: Relay
        switch (first, second) {
        case (.webRTC(let x), .webRTC(let y)):
            let bridge = MediaBridge(x, y)
            let (dtmfA, dtmfB) = (legs[a]?.digits, legs[b]?.digits)
            bridge.onDTMF = { digit, timestamp, fromA in (fromA ? dtmfA : dtmfB)?.heard(digit, timestamp: timestamp) }
            relay = .webRTC(bridge)
        case (.webRTC(let web), .rtp(let trunk)), (.rtp(let trunk), .webRTC(let web)):
            let bridge = try TranscodingBridge(webRTC: web, rtp: trunk, opusComplexity: opusComplexity)
            let webName = first.webRTC != nil ? a : b
            let trunkName = webName == a ? b : a
            let (dtmfWeb, dtmfTrunk) = (legs[webName]?.digits, legs[trunkName]?.digits)
            bridge.onDTMF = { digit, timestamp, fromWebRTC in
                (fromWebRTC ? dtmfWeb : dtmfTrunk)?.heard(digit, timestamp: timestamp)
            }
            relay = .transcoding(bridge)
        case (.rtp(let x), .rtp(let y)):
            let bridge = try RTPRelayBridge(x, y)
            let (dtmfA, dtmfB) = (legs[a]?.digits, legs[b]?.digits)
            bridge.onDTMF = { digit, timestamp, fromA in (fromA ? dtmfA : dtmfB)?.heard(digit, timestamp: timestamp) }
            relay = .trunks(bridge)
        }
        let connection = Connection(a: a, b: b, relay: relay)
        connections.append(connection)
        // A new transcoder feeds each leg under the SSRC an earlier one used (its pipes send as the
        // legs), with numbering of its own: each leg's stream takes it as a new source.
        first.audioSourceChanged()
        second.audioSourceChanged()
        applyRelaying(connection)
    }

    /// Each side of a connection hears the other unless it is held or something plays to it.
    private func applyRelaying(_ connection: Connection) {
        for name in [connection.a, connection.b] {
            let on = !connection.held && players[name] == nil
            guard let leg = legs[name]?.leg else { continue }
            switch connection.relay {
            case .webRTC(let bridge):
                if let web = leg.webRTC { bridge.setRelaying(towards: web, on) }
            case .transcoding(let bridge):
                bridge.setRelaying(towardsTrunk: leg.rtp != nil, on)
            case .trunks(let bridge):
                if let trunk = leg.rtp { bridge.setRelaying(towards: trunk, on) }
            }
        }
    }
}
