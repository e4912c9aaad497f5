import ContactCenter
import Foundation

@testable import Calls

/// A session and a fake clock: each input is handled at the clock's now.
struct Harness {
    var session: CallSession
    var now = Date(timeIntervalSince1970: 1_800_000_000)

    static let queue = "queue-1"

    /// An in-app (or phone) customer calling the center's queue.
    static func inbound(caller: CallSession.PartyKind = .browser, grace: Int = 20) -> Harness {
        let record = CallRecord(
            id: "call-1", conversationId: "conv-1", direction: "INBOUND",
            caller: caller == .phone ? "+4930123" : "customer-1", callee: nil, agentId: nil, queueId: queue,
            state: .CALLING, video: false, createdAt: Date(timeIntervalSince1970: 1_800_000_000),
            updatedAt: Date(timeIntervalSince1970: 1_800_000_000))
        return Harness(
            session: CallSession(
                record: record, callerKind: caller, calleeKind: .browser, callee: nil, signalingGraceSeconds: grace))
    }

    /// An agent calling an in-app identity or a phone number.
    static func outbound(to callee: String, kind: CallSession.PartyKind) -> Harness {
        let record = CallRecord(
            id: "call-2", conversationId: "conv-2", direction: "OUTBOUND", caller: "agent-a", callee: callee,
            agentId: "agent-a", queueId: queue, state: .CALLING, video: false,
            createdAt: Date(timeIntervalSince1970: 1_800_000_000),
            updatedAt: Date(timeIntervalSince1970: 1_800_000_000))
        return Harness(
            session: CallSession(
                record: record, callerKind: .browser, calleeKind: kind, callee: callee, signalingGraceSeconds: 20))
    }

    @discardableResult
    mutating func handle(_ input: CallInput) -> [CallEffect] {
        session.handle(input, now: now)
    }

    mutating func advance(_ seconds: TimeInterval) { now = now.addingTimeInterval(seconds) }

    /// Routes an inbound call to `agent` and lets it ring.
    mutating func ring(_ agent: String, ringSeconds: Int = 30) {
        let epoch = session.epoch
        handle(.agentReserved(agent, canWait: true, epoch: epoch))
        handle(.calleeReady(ringSeconds: ringSeconds, epoch: epoch))
    }

    /// Rings and answers with `agent`, then both sides' media come up.
    mutating func answer(_ agent: String) {
        handle(.start)
        ring(agent)
        handle(.accepted(by: agent, epoch: session.epoch))
        handle(.legUp(.caller, epoch: 0))
        handle(.legUp(.callee, epoch: session.epoch))
    }
}

extension [CallEffect] {
    /// The hang-up codes told to each party, by name.
    var hangups: [String: String] {
        var told: [String: String] = [:]
        for effect in self {
            if case .notify(let identity, .hangup(let code)) = effect { told[identity] = code.name }
            if case .phone(.hangup(let code, let side)) = effect {
                told[side == .caller ? "phone" : "callee-phone"] = code.name
            }
            if case .phone(.reject(let status, _)) = effect { told["phone"] = "SIP \(status)" }
        }
        return told
    }

    /// The states of the records persisted, in order.
    var persistedStates: [CallState] {
        compactMap { if case .persist(let record) = $0 { record.state } else { nil } }
    }
}
