import SIPMessage

/// REFER in a confirmed dialog (RFC 3515): the far end asks us to transfer the call to the
/// `Refer-To` target. The request waits for the transaction user's answer (`answerRefer`: 202
/// to take it, or a refusal); once taken, the implicit subscription reports the transfer's
/// progress with NOTIFYs whose bodies are `message/sipfrag` status lines (`notifyRefer`), the
/// first `100 Trying` sent with the 202, the last one terminating the subscription. Progress
/// reported before the answer is sent after the 202, in order.
extension SIPUserAgent {
    func handleREFER(_ context: RequestContext, call: CallState, now: Double) -> [SIPOutput] {
        guard call.phase == .confirmed else { return reject(context, 481, call: call.id, now: now) }
        let values = context.request.headers.values("Refer-To")
        guard values.count == 1 else {
            return reject(
                context, 400, values.isEmpty ? "Missing Refer-To" : "More Than One Refer-To", call: call.id, now: now)
        }
        guard let target = NameAddress(values[0])?.uri ?? SIPURI(values[0]) else {
            return reject(context, 400, "Malformed Refer-To", call: call.id, now: now)
        }
        if values[0].lowercased().contains("replaces") {
            return reject(context, 501, "Refer-To With Replaces Not Supported", call: call.id, now: now)
        }
        guard call.pendingRefer == nil, call.referSubscribed == false else {
            return reject(context, 491, call: call.id, now: now)
        }
        guard let entry = openServerTransaction(context, call: call.id) else { return [] }
        call.pendingRefer = entry.transaction.key
        return [.event(.refer(call.id, target: target))]
    }

    /// Answers a `refer`: 202 Accepted (and the first NOTIFY, `100 Trying`), or a refusal such as
    /// 404 for a target that names nothing here, 403 for one that may not be called, 480 when it
    /// cannot be reached now.
    public func answerRefer(_ call: SIPCallID, status: Int, reason: String? = nil, now: Double) -> [SIPOutput] {
        guard let state = calls[call], let key = state.pendingRefer, let entry = serverTransactions[key] else {
            return []
        }
        state.pendingRefer = nil
        let response = makeResponse(to: entry.transaction.request, status: status, reason: reason, toTag: nil)
        var outputs = respond(in: entry, with: response, now: now)
        let backlog = state.referBacklog
        state.referBacklog = []
        if (200..<300).contains(status), state.phase == .confirmed {
            state.referSubscribed = true
            outputs += notifyRefer(call, status: 100, final: false, now: now)
            for notice in backlog {
                outputs += notifyRefer(
                    call, status: notice.status, reason: notice.reason, final: notice.final, now: now)
            }
        }
        return outputs
    }

    /// Reports the referred call's progress: `status` (and `reason`) as a sipfrag status line;
    /// `final` ends the subscription.
    public func notifyRefer(_ call: SIPCallID, status: Int, reason: String? = nil, final: Bool, now: Double)
        -> [SIPOutput]
    {
        guard let state = calls[call] else { return [] }
        if state.pendingRefer != nil {
            // The transfer moved before the REFER was answered: told right after the 202.
            state.referBacklog.append((status, reason, final))
            return []
        }
        guard state.referSubscribed, state.phase == .confirmed else { return [] }
        if final { state.referSubscribed = false }
        let phrase = ReasonPhrase.sanitized(reason ?? ReasonPhrase.phrase(for: status))
        let headers = [
            ("Event", "refer"),
            ("Subscription-State", final ? "terminated;reason=noresource" : "active;expires=60"),
            ("Content-Type", "message/sipfrag;version=2.0"),
        ]
        return sendInDialog(
            state, method: "NOTIFY", headers: headers, body: Array("SIP/2.0 \(status) \(phrase)\r\n".utf8), now: now)
    }
}
