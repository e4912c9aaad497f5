import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// Reads the TLS certificate and key again on each SIGHUP (a renewed certificate goes live with
/// `kill -HUP`, no restart, no dropped call). A file that does not load leaves the old
/// certificate serving and is logged as an error.
struct TLSReloadService: Service {
    let credentials: TLSCredentials
    let metrics: GatewayMetrics
    let logger: Logger
    /// SIGHUP, trapped before the gateway listens (its default action ends the process).
    let signals: UnixSignalsSequence

    func run() async throws {
        for await _ in signals.cancelOnGracefulShutdown() {
            reload()
        }
    }

    func reload() {
        do {
            let loaded = try credentials.reload()
            metrics.tlsReload("ok")
            say("TLS certificate reloaded: SHA-256 \(loaded.fingerprint), valid until \(loaded.notValidAfter)")
            logger.info(
                "TLS certificate reloaded",
                metadata: ["fingerprint": "\(loaded.fingerprint)", "notValidAfter": "\(loaded.notValidAfter)"])
        } catch {
            metrics.tlsReload("failed")
            logger.error(
                "TLS certificate not reloaded; the previous one still serves", metadata: ["error": "\(error)"])
        }
    }
}
