import ContactCenter
import Foundation

/// Stopping and starting without losing track of calls. A stopping gateway takes no new calls
/// (`stopTakingCalls`), lets the calls in progress go on for the drain time, then ends the rest
/// with `gatewayStopping` told to every party. A gateway that stopped without that (SIGKILL, a
/// crash, power) leaves calls the store still shows in progress: the next start closes them with
/// `gatewayStopped`.
extension HangupCode {
    /// Sent to every party of a call still in progress when a stopping gateway's drain time ran out.
    public static let gatewayStopping = HangupCode.serviceUnavailable.withDescription(
        "The gateway is shutting down; the call ended when its drain time ran out.")
    /// Recorded, at the next start, for calls the gateway carried when it stopped without ending them.
    public static let gatewayStopped = HangupCode.serviceUnavailable.withDescription(
        "The gateway stopped while the call was in progress; the call was closed when it started again.")
    /// Why a stopping gateway refuses a new call.
    static let gatewayRefusing = HangupCode.serviceUnavailable.withDescription(
        "The gateway is shutting down and takes no new calls.")
}

extension CallCenter {
    /// From now on new calls (from browsers, phones, callbacks) are refused with
    /// SERVICE_UNAVAILABLE; calls in progress go on, and callers already waiting may still be
    /// answered.
    public func stopTakingCalls() {
        stopping = true
    }

    /// Whether `stopTakingCalls` was called.
    public var isStopping: Bool { stopping }

    /// Ends every call in progress, each party told `code` (phones get a BYE or CANCEL); the calls
    /// are recorded as ended.
    public func endAllCalls(_ code: HangupCode = .gatewayStopping) async {
        for id in Array(sessions.keys) {
            await input(id, .shutdown(code))
        }
    }

    /// Closes, in the store, the calls a previous run left in progress (state CALLING, RINGING,
    /// PRE_ESTABLISHED or ESTABLISHED): answered ones FINISHED, the others FAILED, with `code`
    /// and now as their end. Call before taking calls; returns how many were closed.
    @discardableResult
    public func closeCallsOfPreviousRun(_ code: HangupCode = .gatewayStopped) async throws -> Int {
        let open: [CallState] = [.CALLING, .RINGING, .PRE_ESTABLISHED, .ESTABLISHED]
        let stored = try await contactCenter.store.list(
            CallRecord.self,
            DocumentQuery(collection: .call, filters: [.oneOf("state", open.map(\.rawValue))], orderBy: "createdAt")
        ).items
        let now = clock.now()
        for var record in stored where sessions[record.id] == nil {
            record.state = record.answeredAt == nil ? .FAILED : .FINISHED
            record.hangupCode = code
            record.endedAt = now
            record.updatedAt = now
            try await saveRecord(record)
        }
        if !stored.isEmpty {
            logger.warning(
                "calls left in progress by the previous run closed", metadata: ["calls": "\(stored.count)"])
        }
        return stored.count
    }
}
