import ContactCenter
import Foundation
import SignalingFrames

/// A supervisor monitoring a call: the mode asked for, and whether their leg is in the call yet
/// (it is once they answered the gateway's offer).
public struct Monitoring: Sendable, Equatable {
    public var mode: MonitorMode
    public var joined = false
}

/// Supervisors listening in, whispering to the agent or barging in on an answered call. Each
/// gets an offer of their own leg (`call.incoming` with `customData.monitor`); once they answer,
/// the leg joins the call's conference as the mode says. The call's parties go on as before:
/// a monitor never keeps a call alive, and leaves when it ends or is transferred.
extension CallSession {
    mutating func monitor(_ supervisor: String, mode: MonitorMode) -> [CallEffect] {
        guard isAnswered, transfer == nil, consultation == nil, supervisor != caller, supervisor != callee else {
            return []
        }
        if var monitoring = monitors[supervisor] {
            monitoring.mode = mode
            monitors[supervisor] = monitoring
            return monitoring.joined ? [.joinMonitor(supervisor, mode, agent: agentSide)] : []
        }
        monitors[supervisor] = Monitoring(mode: mode)
        return [.prepareMonitor(supervisor)]
    }

    mutating func monitorAnswered(_ supervisor: String) -> [CallEffect] {
        guard isAnswered, var monitoring = monitors[supervisor], !monitoring.joined else { return [] }
        monitoring.joined = true
        monitors[supervisor] = monitoring
        return [.joinMonitor(supervisor, monitoring.mode, agent: agentSide), .notify(supervisor, .established)]
    }

    /// The supervisor left (hung up, declined, lost their connection), or their leg failed:
    /// `code` tells them why when they did not leave themselves.
    mutating func monitorEnded(_ supervisor: String, code: HangupCode?) -> [CallEffect] {
        guard monitors.removeValue(forKey: supervisor) != nil else { return [] }
        return (code.map { [.notify(supervisor, .hangup($0))] } ?? []) + [.dropMonitor(supervisor)]
    }

    /// Every monitor leaves, told why (the call ended or moved on).
    mutating func monitorsEnding(_ code: HangupCode) -> [CallEffect] {
        let leaving = monitors.keys.sorted()
        return leaving.flatMap { monitorEnded($0, code: code) }
    }
}
