import Calls
import Logging

/// What a gateway does between a termination signal and closing its sockets: it takes no new
/// calls (SIP 503, `call.start` refused, `/health` DRAINING), lets the calls in progress go on for
/// `drainSeconds` or until a second signal, ends those still going with every party told
/// SERVICE_UNAVAILABLE (`HangupCode.gatewayStopping`), then closes signaling with 1001.
struct GracefulStop: Sendable {
    let services: GatewayServices
    let drainSeconds: Int
    let logger: Logger
    /// Set by a second termination signal: the drain ends at once.
    let hurry = Hurry()

    actor Hurry {
        private(set) var requested = false
        func request() { requested = true }
    }

    func run() async {
        await services.calls.stopTakingCalls()
        let inProgress = await services.calls.activeCallCount
        if inProgress > 0, drainSeconds > 0 {
            logger.info(
                "termination signal: taking no new calls; calls in progress may go on (a second signal ends them now)",
                metadata: ["calls": "\(inProgress)", "drainSeconds": "\(drainSeconds)"])
            let deadline = ContinuousClock.now.advanced(by: .seconds(drainSeconds))
            while await services.calls.activeCallCount > 0, ContinuousClock.now < deadline, await !hurry.requested {
                try? await Task.sleep(for: .milliseconds(100))
            }
        }
        let left = await services.calls.activeCallCount
        if left > 0 {
            logger.warning("ending the calls still in progress", metadata: ["calls": "\(left)"])
            await services.calls.endAllCalls()
        }
        // Each session's outbox is written out before its socket closes, so the `call.hangup`
        // frames just sent reach their parties.
        logger.info("closing signaling sessions")
        await services.hub.closeAll(reason: "server shutting down")
        let deadline = ContinuousClock.now.advanced(by: .seconds(2))
        while await services.hub.sessionCount > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
