import ContactCenter
import Foundation

/// Hold and resume in an answered call: the holder is a signaling party (browser, app, agent);
/// the held party hears the queue's hold music instead of the holder. A phone on the other end
/// is also told by re-INVITE; a phone holding the call is the SIP service's (re-INVITE) path.
extension CallSession {
    mutating func hold(by side: CallSide, held: Bool) -> [CallEffect] {
        let other = side.other
        // Only the side that held a call resumes it.
        guard isAnswered, kind(of: side) == .browser, held != (heldBy != nil), held || heldBy == side else {
            return []
        }
        heldBy = held ? side : nil
        var effects: [CallEffect] = [.holdMedia(held)]
        if kind(of: other) == .phone { effects.append(.phone(.hold(held))) }
        effects.append(held ? .play(.hold, to: other) : .stopPlaying(other))
        if kind(of: other) == .browser, let identity = party(other) { effects.append(.notify(identity, .held(held))) }
        return effects
    }

    func kind(of side: CallSide) -> PartyKind { side == .caller ? callerKind : calleeKind }
}
