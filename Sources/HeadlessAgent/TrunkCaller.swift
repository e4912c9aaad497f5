import Foundation
import Media
import NIOCore
import NIOPosix
import SIP
import SIPMessage

/// Why a call from `TrunkCaller` did not get answered.
public struct TrunkCallError: Error, CustomStringConvertible, Sendable {
    public var description: String

    public init(description: String) { self.description = description }
}

/// The carrier side of phone calls into the gateway, as the load generator plays a SIP trunk:
/// one UDP socket and a `SIPUserAgent` that sends INVITEs to the gateway's SIP port and ends the
/// calls with BYE, and answers the calls the gateway makes through the trunk (numbers an agent
/// transferred a caller to) when `acceptCalls` was called. The media of each call is the
/// caller's business (a `PumpLeg`).
///
/// `@unchecked Sendable`: the user agent, the waiting answers, the ended calls and the accepting
/// handlers are touched only on `eventLoop` (reads, the timer tick, and every public method,
/// which hops there).
public final class TrunkCaller: @unchecked Sendable {
    public let eventLoop: any EventLoop
    /// The port the trunk's SIP socket is bound to (its `destinationHosts` entry at the gateway).
    public let port: Int
    private let channel: any Channel
    private let gateway: SIPAddress
    private let agent: SIPUserAgent
    private var answers: [SIPCallID: CheckedContinuation<(SIPCallID, String), any Error>] = [:]
    private var endedByGateway: [SIPCallID: String] = [:]
    private var timer: RepeatedTask?
    private var answerIncoming: (@Sendable (SIPCallID, String, String) async -> String?)?
    private var incomingEnded: (@Sendable (SIPCallID, String) -> Void)?
    /// The gateway's calls to the trunk, from their INVITE to their end.
    private var incoming: Set<SIPCallID> = []

    private init(channel: any Channel, host: String, gateway: SIPAddress) {
        self.channel = channel
        eventLoop = channel.eventLoop
        port = channel.localAddress?.port ?? 0
        self.gateway = gateway
        agent = SIPUserAgent(
            configuration: SIPUserAgentConfiguration(localHost: host, udpPort: port, userAgent: "headless-agent"))
    }

    /// A trunk on an ephemeral UDP port of `host`, calling the gateway at `gateway` (UDP).
    public static func bind(host: String, gateway: SIPAddress, on eventLoop: any EventLoop) async throws
        -> TrunkCaller
    {
        let handler = DatagramHandler()
        let channel = try await DatagramBootstrap(group: eventLoop)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65536))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
            }
            .bind(host: host, port: 0).get()
        let caller = TrunkCaller(channel: channel, host: host, gateway: gateway)
        try await eventLoop.submit {
            handler.receive = { [weak caller] envelope in caller?.receive(envelope) }
            caller.timer = eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(20), delay: .milliseconds(20)) {
                [weak caller] _ in caller?.tick()
            }
        }.get()
        return caller
    }

    /// Calls `number` at the gateway from `callerNumber` with `sdp` as the offer; returns the
    /// call and the gateway's SDP answer once it answered (an agent took the call).
    public func call(number: String, from callerNumber: String, sdp: String) async throws -> (SIPCallID, String) {
        guard let requestURI = SIPURI("sip:\(number)@\(gateway.host):\(gateway.port)"),
            let to = NameAddress("<sip:\(number)@\(gateway.host)>"),
            let from = NameAddress("<sip:\(callerNumber)@\(gateway.host)>")
        else { throw TrunkCallError(description: "cannot make a SIP URI of \(number) or \(callerNumber)") }
        return try await withCheckedThrowingContinuation { continuation in
            eventLoop.execute { [self] in
                let (id, outputs) = agent.invite(
                    requestURI: requestURI, from: from, to: to, destination: gateway, sdp: Array(sdp.utf8),
                    credentials: nil, now: Self.now())
                answers[id] = continuation
                apply(outputs)
            }
        }
    }

    /// Answers the gateway's calls to the trunk from now on: `answer` is given the call, the
    /// number dialled and the gateway's SDP offer, and returns the SDP answer (nil: 486 Busy
    /// Here); `ended` is told when such a call ended (the gateway's BYE or CANCEL), with why.
    /// Without it those calls get 480.
    public func acceptCalls(
        answer: @escaping @Sendable (SIPCallID, String, String) async -> String?,
        ended: @escaping @Sendable (SIPCallID, String) -> Void
    ) async {
        try? await eventLoop.submit { [self] in
            answerIncoming = answer
            incomingEnded = ended
        }.get()
    }

    /// Ends a call with BYE; returns why the gateway ended it first, if it did.
    @discardableResult
    public func hangUp(_ call: SIPCallID) async -> String? {
        try? await eventLoop.submit { [self] in
            if let reason = endedByGateway.removeValue(forKey: call) { return reason }
            apply(agent.hangup(call, now: Self.now()))
            return nil
        }.get()
    }

    /// Gives the BYEs sent `seconds` to be answered, then closes the socket.
    public func close(after seconds: Double = 0.5) async {
        try? await Task.sleep(for: .seconds(seconds))
        try? await eventLoop.submit { [self] in
            timer?.cancel()
            timer = nil
            for (_, waiting) in answers { waiting.resume(throwing: TrunkCallError(description: "the trunk closed")) }
            answers = [:]
            channel.close(promise: nil)
        }.get()
    }

    private static func now() -> Double { Date().timeIntervalSince1970 }

    private func tick() {
        guard let due = agent.nextTimeout, due <= Self.now() else { return }
        apply(agent.handleTimeout(now: Self.now()))
    }

    private func receive(_ envelope: AddressedEnvelope<ByteBuffer>) {
        guard let ip = envelope.remoteAddress.ipAddress, let port = envelope.remoteAddress.port else { return }
        let source = SIPAddress(transport: .udp, host: ip, port: port)
        apply(agent.receive(Array(envelope.data.readableBytesView), from: source, now: Self.now()))
    }

    private func apply(_ outputs: [SIPOutput]) {
        for output in outputs {
            switch output {
            case .send(let bytes, let address):
                guard let remote = try? SocketAddress(ipAddress: address.host, port: address.port) else { continue }
                let buffer = channel.allocator.buffer(bytes: bytes)
                channel.writeAndFlush(AddressedEnvelope(remoteAddress: remote, data: buffer), promise: nil)
            case .event(let event):
                handle(event)
            }
        }
    }

    private func handle(_ event: SIPEvent) {
        switch event {
        case .incomingCall(let call, let invite, _):
            incomingCall(call, invite: invite)
        case .ended(let call, let reason) where incoming.contains(call):
            incoming.remove(call)
            incomingEnded?(call, reason)
        case .cancelled(let call) where incoming.contains(call):
            incoming.remove(call)
            incomingEnded?(call, "CANCEL")
        case .answered(let call, let sdp):
            answers.removeValue(forKey: call)?.resume(returning: (call, String(decoding: sdp, as: UTF8.self)))
        case .failed(let call, let status, let reason):
            answers.removeValue(forKey: call)?.resume(
                throwing: TrunkCallError(description: "the gateway answered \(status) \(reason)"))
        case .ended(let call, let reason):
            endedByGateway[call] = reason
            answers.removeValue(forKey: call)?.resume(
                throwing: TrunkCallError(description: "the gateway ended the call: \(reason)"))
        default:
            break
        }
    }

    private func incomingCall(_ call: SIPCallID, invite: SIPMessage) {
        guard let answerIncoming, case .request(_, let uri) = invite.startLine, let number = SIPURI(uri)?.user else {
            return apply(agent.respond(call, status: 480, now: Self.now()))
        }
        incoming.insert(call)
        let offer = String(decoding: invite.body, as: UTF8.self)
        Task {
            let answer = await answerIncoming(call, number, offer)
            eventLoop.execute { [self] in
                let status = answer == nil ? 486 : 200
                if answer == nil { incoming.remove(call) }
                apply(agent.respond(call, status: status, sdp: answer.map { Array($0.utf8) }, now: Self.now()))
            }
        }
    }
}
