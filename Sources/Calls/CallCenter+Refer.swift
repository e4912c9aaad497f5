import ContactCenter
import Foundation
import SignalingFrames

/// SIP REFER from a trunk (RFC 3515): the phone customer of an answered call (one that called in,
/// or one an agent called) asks to move itself, as a blind transfer does, to a queue (`Refer-To: <sip:QUEUE-ID@…>`) or to
/// another number (`<sip:+4930…@…>`, dialled through the trunk). The REFER gets 202 once the
/// transfer started (or a SIP refusal saying why), then NOTIFYs of its progress: 180 while the
/// number rings, 200 when it answered (or the call entered the queue), or the failure's status.
extension CallCenter {
    /// Answers a REFER received on the phone dialog `dialogId` whose Refer-To user is `target`.
    public func phoneRefer(_ dialogId: String, target: String?) async -> (status: Int, reason: String) {
        guard let (callId, side) = dialog(dialogId), let session = sessions[callId], side == session.customerSide,
            session.isAnswered
        else { return (403, "No established call to transfer") }
        guard let target, !target.isEmpty else { return (404, "Refer-To names no queue or number") }
        let destination: TransferTarget
        if (try? await contactCenter.queue(target)) != nil {
            destination = .queue(target)
        } else if ContactCenter.isE164(target) {
            destination = .number(target)
        } else {
            return (404, "Refer-To names no queue or number here")
        }
        guard referring[callId] == nil else { return (491, "A REFER is in progress") }
        referring[callId] = dialogId
        do {
            try await transfer(conversationId: session.record.conversationId, to: destination, by: .integration)
            return (202, "Accepted")
        } catch {
            referring[callId] = nil
            guard let error = error as? ContactCenterError else { return (500, "Transfer failed") }
            switch error {
            case .absent: return (404, "Refer-To target not found")
            case .forbidden(let message): return (403, message)
            case .conflict: return (480, "Refer-To target not available")
            case .preconditionFailed: return (403, "No established call with an agent to transfer")
            default: return (400, "Transfer refused")
            }
        }
    }

    /// Tells the phone that sent a REFER how its transfer goes.
    func reportRefer(_ callId: String, _ state: CallFrame.TransferState, _ code: HangupCode?) async {
        guard let dialogId = referring[callId], let network = phoneNetwork else { return }
        switch state {
        case .TRANSFERRING:
            await network.notifyRefer(callId: dialogId, status: 180, reason: "Ringing", final: false)
        case .TRANSFERRED:
            referring[callId] = nil
            await network.notifyRefer(callId: dialogId, status: 200, reason: "OK", final: true)
        case .TRANSFER_FAILED:
            referring[callId] = nil
            let (status, reason) = (code ?? .noAnswer).sipStatus
            await network.notifyRefer(callId: dialogId, status: status, reason: reason, final: true)
        default:
            break
        }
    }
}
