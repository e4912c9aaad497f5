import Calls
import ContactCenter
import Foundation
import SIP
import SIPDigest
import SIPMessage

/// Admission of inbound calls: an INVITE is matched to its trunk by source address, checked
/// against the trunk's digest credentials and numbers, then handed to the call center; bursts
/// queue up to a bound and are refused with 503 beyond it. On the transport's event loop, as the
/// rest of the service's state is (the store and the call center are awaited off it).
extension SIPTrunkService {
    struct Admission: Sendable {
        var call: SIPCallID
        var invite: SIPMessage
        var source: SIPAddress
    }

    /// A few admissions run side by side (each waits on the store and the call center); more
    /// wait their turn (they already have 100 Trying), and beyond `maxWaitingAdmissions` an
    /// INVITE is refused at once with 503, so a burst degrades instead of collapsing.
    static let maxConcurrentAdmissions = 8
    static let maxWaitingAdmissions = 500

    func enqueueAdmission(_ admission: Admission) {
        guard admitting < Self.maxConcurrentAdmissions else {
            guard waitingAdmissions.count - waitingHead < Self.maxWaitingAdmissions else {
                logger.warning("SIP admission queue full: 503", metadata: ["source": "\(admission.source)"])
                metrics?.sipInbound("503")
                return apply(
                    agent?.respond(
                        admission.call, status: 503, reason: "Service Unavailable", headers: [("Retry-After", "5")],
                        now: Self.now()) ?? [])
            }
            waitingAdmissions.append(admission)
            return
        }
        admitting += 1
        Task { [self] in
            await admit(admission.call, invite: admission.invite, source: admission.source)
            transport.eventLoop.execute { [self] in admissionFinished() }
        }
    }

    private func admissionFinished() {
        admitting -= 1
        guard waitingHead < waitingAdmissions.count else { return }
        let next = waitingAdmissions[waitingHead]
        waitingHead += 1
        if waitingHead > 256, waitingHead * 2 > waitingAdmissions.count {
            waitingAdmissions.removeFirst(waitingHead)
            waitingHead = 0
        }
        if cancelledEarly.remove(next.call) != nil { return }
        enqueueAdmission(next)
    }

    /// Decides an INVITE: the trunk by source address (403), its digest challenge (401), the
    /// number (404), then the call center (488 for SDP, 503 over a limit).
    private func admit(_ call: SIPCallID, invite: SIPMessage, source: SIPAddress) async {
        let trunks = (try? await contactCenter.sipTrunks()) ?? []
        guard let trunk = trunks.first(where: { accepts($0, from: source.host) }) else {
            logger.notice("INVITE from an unknown address refused", metadata: ["source": "\(source)"])
            refuse(call, 403, "Forbidden")
            return await penalize(source, why: "no trunk has this address")
        }
        if let expected = trunk.inboundCredentials {
            let header = invite.headers["Authorization"] ?? ""
            let method = invite.method ?? "INVITE"
            let verdict =
                header.isEmpty
                ? DigestVerification.invalid("no credentials")
                : digest.verify(
                    header, method: method, password: { $0 == expected.username ? expected.password : nil },
                    now: Self.now())
            switch verdict {
            case .valid:
                let now = Self.now()
                guard await onLoop({ [self] in replays.admit(header, now: now) }) == true else {
                    logger.notice(
                        "INVITE with replayed credentials refused (nonce count not above one already used)",
                        metadata: ["trunk": "\(trunk.name)", "source": "\(source)"])
                    return refuse(call, 403, "Forbidden")
                }
            case .stale:
                return refuse(
                    call, 401, "Unauthorized",
                    headers: [("WWW-Authenticate", digest.challenge(now: Self.now(), stale: true))])
            case .invalid(let why):
                if header.isEmpty {
                    return refuse(
                        call, 401, "Unauthorized", headers: [("WWW-Authenticate", digest.challenge(now: Self.now()))])
                }
                logger.notice(
                    "INVITE with bad credentials refused", metadata: ["trunk": "\(trunk.name)", "why": "\(why)"])
                refuse(call, 403, "Forbidden")
                return await penalize(source, why: "wrong digest credentials")
            }
        }
        guard case .request(_, let uri) = invite.startLine else { return }
        let called = SIPURI(uri)?.user ?? invite.headers["To"].flatMap { NameAddress($0)?.uri.user } ?? ""
        guard let number = trunk.numbers.first(where: { $0.number == called }) else {
            logger.notice("INVITE to an unknown number refused", metadata: ["number": "\(called)"])
            return refuse(call, 404, "Not Found")
        }
        let caller = invite.headers["From"].flatMap { NameAddress($0)?.uri.user } ?? "anonymous"
        guard !invite.body.isEmpty else { return refuse(call, 488, "Not Acceptable Here") }
        let callId = Identifiers.uuid()
        // The call center rings agents (and so sends 180) before it returns.
        await onLoop { [self] in sipCalls[callId] = call }
        do {
            _ = try await calls.startFromPhone(
                callId: callId, trunk: trunk, number: number, caller: caller,
                offer: String(decoding: invite.body, as: UTF8.self))
        } catch let refusal as CallRefusal {
            let (status, reason) =
                switch refusal.code.id {
                case HangupCode.serviceUnavailable.id: (503, "Service Unavailable")
                case HangupCode.mediaFailure.id: (488, "Not Acceptable Here")
                default: refusal.code.sipStatus
                }
            logger.notice(
                "inbound call refused", metadata: ["status": "\(status)", "why": "\(refusal.code.description)"])
            await onLoop { [self] in forget(callId) }
            return refuse(call, status, reason)
        } catch {
            await onLoop { [self] in forget(callId) }
            return refuse(call, 500, "Server Internal Error")
        }
        metrics?.sipInbound("admitted")
        let cancelled = await onLoop { [self] in
            callIds[call] = callId
            return cancelledEarly.remove(call) != nil
        }
        if cancelled == true { await calls.phoneCancelled(callId) }
    }

    private func refuse(_ call: SIPCallID, _ status: Int, _ reason: String, headers: [(String, String)] = []) {
        metrics?.sipInbound(String(status))
        transport.eventLoop.execute { [self] in
            cancelledEarly.remove(call)
            apply(agent?.respond(call, status: status, reason: reason, headers: headers, now: Self.now()) ?? [])
        }
    }

    static let responsePrefix = Array("SIP/2.0 ".utf8)

    /// Whether a request from `source` is dropped unread: its source is blocked (`penalties`).
    /// On the event loop.
    func isDropped(_ source: SIPAddress, isResponse: Bool) -> Bool {
        guard !isResponse, penalties.isBlocked(source.host, now: Self.now()) else { return false }
        metrics?.sipDropped("blocked_source")
        return true
    }

    /// A request from `source` was refused as a stranger's or with wrong credentials: too many
    /// such refusals block the source for a while.
    private func penalize(_ source: SIPAddress, why: String) async {
        let blocked = await onLoop { [self] in penalties.refused(source.host, now: Self.now()) }
        if blocked == true {
            logger.warning(
                "SIP source blocked after repeated refusals",
                metadata: [
                    "source": "\(source.host)", "why": "\(why)", "seconds": "\(Int(SIPSourcePenalties().blockSeconds))",
                ])
        }
    }

    /// Runs `body` on the SIP event loop; nil once the loop has shut down (the gateway is stopping).
    @discardableResult
    func onLoop<T: Sendable>(_ body: @escaping @Sendable () -> T) async -> T? {
        try? await transport.eventLoop.submit(body).get()
    }

    /// Whether `trunk` takes calls from `host`: its source hosts, else its destination hosts'
    /// addresses (names as last resolved).
    func accepts(_ trunk: SIPTrunk, from host: String) -> Bool {
        if !trunk.sourceHosts.isEmpty { return trunk.sourceHosts.contains(host) }
        return trunk.destinationHosts.contains { SIPHostPort.parse($0).flatMap { hosts.cached($0.host) } == host }
    }
}
