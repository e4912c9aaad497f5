import SIPMessage

@testable import SIP

/// User agents wired together through an in-memory network with a fake clock. Messages are
/// delivered in order; `drop` loses the ones it returns true for; `nat` rewrites source addresses.
final class Wire {
    struct Packet {
        var bytes: [UInt8]
        var from: SIPAddress
        var to: SIPAddress
        var message: SIPMessage? { try? SIPMessage.parse(bytes) }
    }

    var now: Double = 0
    var agents: [String: SIPUserAgent] = [:]
    var addresses: [String: String] = [:]  // host → agent name
    var events: [String: [SIPEvent]] = [:]
    var queue: [Packet] = []
    /// Every packet sent, with its sender's name (including dropped ones and ones to nobody).
    var sent: [(agent: String, packet: Packet)] = []
    var drop: (Packet) -> Bool = { _ in false }
    /// Maps the sender's address as the receiver sees it (NAT).
    var nat: [String: SIPAddress] = [:]

    @discardableResult
    func add(_ name: String, host: String, port: Int = 5060, t1: Double = 0.5) -> SIPUserAgent {
        let configuration = SIPUserAgentConfiguration(
            localHost: host, udpPort: port, tcpPort: port, tlsPort: port + 1, userAgent: "test-\(name)",
            timers: SIPTimerValues(t1: t1))
        let agent = SIPUserAgent(configuration: configuration, seed: UInt64(agents.count + 1))
        agents[name] = agent
        addresses[host] = name
        events[name] = []
        return agent
    }

    func name(of host: String) -> String? { addresses[host] }

    /// Queues the outputs of `agent` and delivers everything until the network is quiet.
    func handle(_ outputs: [SIPOutput], from agent: String) {
        queueOutputs(outputs, from: agent)
        run()
    }

    func queueOutputs(_ outputs: [SIPOutput], from agent: String) {
        guard let ua = agents[agent] else { return }
        for output in outputs {
            switch output {
            case .send(let bytes, let to):
                let from = SIPAddress(
                    transport: to.transport, host: ua.configuration.localHost,
                    port: ua.configuration.port(for: to.transport))
                let packet = Packet(bytes: bytes, from: nat[agent] ?? from, to: to)
                sent.append((agent, packet))
                if !drop(packet) { queue.append(packet) }
            case .event(let event):
                events[agent, default: []].append(event)
            }
        }
    }

    func run() {
        var steps = 0
        while !queue.isEmpty && steps < 10_000 {
            steps += 1
            let packet = queue.removeFirst()
            guard let receiver = addresses[packet.to.host] ?? natReceiver(packet.to), let ua = agents[receiver] else {
                continue
            }
            queueOutputs(ua.receive(packet.bytes, from: packet.from, now: now), from: receiver)
        }
    }

    func natReceiver(_ address: SIPAddress) -> String? {
        nat.first { $0.value.host == address.host && $0.value.port == address.port }?.key
    }

    /// Advances the clock to `time`, firing every timer on the way.
    func advance(to time: Double) {
        while true {
            let due = agents.compactMap { name, ua in ua.nextTimeout.map { (name, $0) } }
                .filter { $0.1 <= time }.min { $0.1 < $1.1 }
            guard let (name, at) = due, let ua = agents[name] else { break }
            now = max(now, at)
            queueOutputs(ua.handleTimeout(now: now), from: name)
            run()
        }
        now = max(now, time)
    }

    func advance(by seconds: Double) { advance(to: now + seconds) }

    /// Takes the events of `agent` reported so far.
    func take(_ agent: String) -> [SIPEvent] {
        defer { events[agent] = [] }
        return events[agent] ?? []
    }

    /// Messages `agent` sent (parsed), optionally only requests of `method` or responses with `status`.
    func messages(from agent: String, method: String? = nil, status: Int? = nil) -> [SIPMessage] {
        sent.filter { $0.agent == agent }.compactMap(\.packet.message).filter { message in
            if let method, message.method != method { return false }
            if let status, message.status != status { return false }
            return true
        }
    }

    /// Packets `agent` sent, with their destinations.
    func packets(from agent: String) -> [Packet] { sent.filter { $0.agent == agent }.map(\.packet) }
}

let udpAlice = SIPAddress(transport: .udp, host: "10.0.0.1", port: 5060)
let udpBob = SIPAddress(transport: .udp, host: "10.0.0.2", port: 5060)
let offer = Array(
    "v=0\r\no=alice 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n".utf8)
let answerSDP = Array(
    "v=0\r\no=bob 1 1 IN IP4 10.0.0.2\r\ns=-\r\nc=IN IP4 10.0.0.2\r\nt=0 0\r\nm=audio 5000 RTP/AVP 0\r\n".utf8)

func uri(_ text: String) -> SIPURI {
    guard let uri = SIPURI(text) else { fatalError("bad test URI \(text)") }
    return uri
}

func address(_ text: String) -> NameAddress {
    guard let address = NameAddress(text) else { fatalError("bad test name-addr \(text)") }
    return address
}

func message(_ text: String) -> SIPMessage {
    guard let message = try? SIPMessage.parse(Array(text.utf8)) else { fatalError("bad test message") }
    return message
}

extension SIPEvent {
    /// A short name for comparisons in tests.
    var name: String {
        switch self {
        case .incomingCall: "incomingCall"
        case .provisional(_, let status, _): "provisional \(status)"
        case .answered: "answered"
        case .failed(_, let status, _): "failed \(status)"
        case .cancelled: "cancelled"
        case .confirmed: "confirmed"
        case .ackAnswer: "ackAnswer"
        case .ended: "ended"
        case .reoffer: "reoffer"
        case .reofferAnswered: "reofferAnswered"
        case .reofferFailed(_, let status): "reofferFailed \(status)"
        case .dtmfInfo(_, let digit): "dtmf \(digit)"
        case .refer(_, let target): "refer \(target.user ?? "")"
        case .registration(_, let ok, let status, let expires): "registration \(ok) \(status) \(expires)"
        case .keepalive(_, let ok): "keepalive \(ok)"
        }
    }

    var call: SIPCallID? {
        switch self {
        case .incomingCall(let id, _, _), .provisional(let id, _, _), .answered(let id, _), .failed(let id, _, _),
            .cancelled(let id), .confirmed(let id), .ackAnswer(let id, _), .ended(let id, _), .reoffer(let id, _),
            .reofferAnswered(let id, _), .reofferFailed(let id, _), .dtmfInfo(let id, _), .refer(let id, _):
            id
        case .registration, .keepalive: nil
        }
    }
}

extension Array where Element == SIPEvent {
    var names: [String] { map(\.name) }
}

extension Array where Element == SIPOutput {
    var sends: [(bytes: [UInt8], to: SIPAddress)] {
        compactMap { output in
            if case .send(let bytes, let to) = output { return (bytes, to) }
            return nil
        }
    }

    var messages: [SIPMessage] { sends.compactMap { try? SIPMessage.parse($0.bytes) } }

    var events: [SIPEvent] {
        compactMap { output in
            if case .event(let event) = output { return event }
            return nil
        }
    }
}

extension Array where Element == TransactionOutput {
    var sendCount: Int {
        filter {
            if case .send = $0 { return true }
            return false
        }.count
    }
}
