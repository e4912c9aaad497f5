import Calls
import ContactCenter
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Storage
import UnixSignals

/// Opens the data folder and store, builds the services, and runs the HTTP/WebSocket
/// server with the timer loop until SIGTERM or SIGINT; then closes sockets and the store.
public enum GatewayServer {
    /// Opens (creating) the data folder and its SQLite store.
    public static func openStore(_ configuration: GatewayConfiguration) throws -> SQLiteStore {
        let folder = URL(fileURLWithPath: configuration.dataDirectory)
        do {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        } catch {
            throw ConfigurationError(
                key: "dataDirectory", message: "cannot create \(folder.path): \(error.localizedDescription)")
        }
        return try SQLiteStore(path: folder.appendingPathComponent("gateway.sqlite").path)
    }

    public static func tokenKey(_ configuration: GatewayConfiguration) throws -> [UInt8] {
        try TokenSigner.loadOrCreateKey(
            at: URL(fileURLWithPath: configuration.dataDirectory).appendingPathComponent("token-signing.key").path)
    }

    /// Builds the services over an open store.
    public static func services(_ configuration: GatewayConfiguration, store: any ContactCenterStore, logger: Logger)
        async throws -> GatewayServices
    {
        let transport = configuration.messageWebhookURL.map { HTTPWebhookTransport(url: $0) }
        return try await GatewayServices(
            configuration: configuration, store: store, tokenKey: try tokenKey(configuration),
            webhookTransport: transport, logger: logger)
    }

    /// The OpenAPI document for `configuration`, built over a throwaway data folder.
    public static func openAPIDocument(_ configuration: GatewayConfiguration) async throws -> String {
        var scratch = configuration
        scratch.dataDirectory =
            FileManager.default.temporaryDirectory.appendingPathComponent("gateway-openapi-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: scratch.dataDirectory) }
        let store = try openStore(scratch)
        let services = try await GatewayServices(
            configuration: scratch, store: store, tokenKey: try tokenKey(scratch), logger: Logger(label: "openapi"))
        let document = OpenAPIDocument.render(GatewayApplication.endpoints(services))
        try? await services.media.shutdown()
        try await store.close()
        return document
    }

    /// Runs until a termination signal. `onListening` gets the bound port.
    public static func run(
        _ configuration: GatewayConfiguration, logger: Logger, onListening: @escaping @Sendable (Int) -> Void = { _ in }
    ) async throws {
        if let exposure = configuration.clearTextExposure {
            guard configuration.allowClearText else { throw exposure }
            logger.warning("serving in clear text beyond loopback (allowClearText)", metadata: ["why": "\(exposure)"])
        }
        if let exposure = configuration.demoDataExposure { throw exposure }
        // Trapped before anything listens: a SIGTERM right after "Listening" must drain, not kill.
        let stopSignals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let store = try openStore(configuration)
        let services = try await services(configuration, store: store, logger: logger)
        let seed = configuration.seedDemoData ? try await DemoData.seedIfFirstStart(services) : nil
        if let seed {
            say(
                """
                First start: demo data seeded.
                  API key (shown once, keep it): \(seed.apiKey)
                  Supervisor id: \(seed.supervisorId)
                  Agent ids:     \(seed.agentIds.joined(separator: ", "))
                  Queue id:      \(seed.queueId) (Support)
                """)
        }
        if let sip = services.sip {
            do {
                try await sip.start()
            } catch {
                throw ConfigurationError(
                    key: "sipPort",
                    message:
                        "cannot listen on \(configuration.sipAddress) port \(configuration.sipPort) "
                        + "(TLS: \(configuration.sipTLSPort)): \(error)")
            }
            if sip.port != 0 { say("SIP on \(configuration.sipAddress):\(sip.port) (UDP and TCP)") }
            if sip.tlsPort != 0 { say("SIP over TLS on \(configuration.sipAddress):\(sip.tlsPort)") }
        }
        logger.info(
            "connections",
            metadata: [
                "maximum": "\(services.connections.maximum)",
                "fileDescriptorLimit": "\(services.connections.descriptorLimit)",
            ])
        var background: [any Service] = [
            TimerLoop(contactCenter: services.contactCenter, calls: services.calls),
            EventRouter(hub: services.hub, events: services.contactCenter.events),
            CallDispatchLoop(calls: services.calls, events: services.contactCenter.events),
        ]
        if let tls = services.tls {
            let loaded = tls.loaded
            say(
                "TLS certificate: SHA-256 \(loaded.fingerprint), valid until \(loaded.notValidAfter) (SIGHUP reloads it)"
            )
            background.append(
                TLSReloadService(
                    credentials: tls, metrics: services.metrics, logger: logger,
                    signals: await UnixSignalsSequence(trapping: .sighup)))
        }
        if let url = configuration.callEventWebhookURL {
            background.append(
                CallEventWebhook(
                    transport: HTTPWebhookTransport(url: url), events: services.contactCenter.events, logger: logger))
        }
        let app = GatewayApplication.make(
            services,
            extraServices: background,
            onListening: { port in
                let (http, ws) = services.tls == nil ? ("http", "ws") : ("https", "wss")
                say(
                    "Listening on \(http)://\(configuration.bindAddress):\(port)  "
                        + "(signaling: \(ws)://\(configuration.bindAddress):\(port)\(SignalingEndpoint.path))")
                if let seed {
                    // Printed once the port is known (0 picks one); each link works once, for a day.
                    let base = "\(http)://\(configuration.bindAddress):\(port)"
                    say(
                        "Sign in (each agent's link works once; all last 24 h):\n"
                            + seed.signInLinks.map {
                                "  \($0.name.padding(toLength: 15, withPad: " ", startingAt: 0)) \(base)\($0.path)"
                            }
                            .joined(separator: "\n"))
                }
                onListening(port)
            })
        let group = ServiceGroup(
            configuration: .init(services: [.init(service: app)], gracefulShutdownSignals: [], logger: logger))
        try await withThrowingTaskGroup(of: Bool.self) { tasks in
            tasks.addTask {
                try await group.run()
                return true
            }
            tasks.addTask {
                // On SIGTERM/SIGINT, drain the calls and tell signaling clients why (GracefulStop),
                // then stop the server gracefully. A second signal cuts the drain short.
                let stop = GracefulStop(
                    services: services, drainSeconds: configuration.shutdownDrainSeconds, logger: logger)
                var stopping: Task<Void, Never>?
                for await _ in stopSignals {
                    if stopping != nil {
                        await stop.hurry.request()
                        continue
                    }
                    stopping = Task {
                        await stop.run()
                        await group.triggerGracefulShutdown()
                    }
                }
                return false
            }
            // Wait for the server itself; once it has stopped, stop listening for signals.
            while let serverEnded = try await tasks.next() {
                if serverEnded { tasks.cancelAll() }
            }
        }
        await services.hub.closeAll(reason: "server shutting down")
        await services.sip?.shutdown()
        try? await services.media.shutdown()
        try await store.close()
        logger.info("gateway stopped; store flushed and closed")
    }
}

/// Writes a line to standard output at once (stdout is block-buffered when redirected).
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

/// Moves the contact center's timers (wrap-up ends, heartbeat expiry, webhook retries).
struct TimerLoop: Service {
    let contactCenter: ContactCenter
    let calls: CallCenter
    var interval: Duration = .milliseconds(250)

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await contactCenter.tick()
            await calls.tick()
            try? await Task.sleep(for: interval)
        }
    }
}

/// Feeds contact-center events to the call center: an agent who becomes available takes the
/// call waiting longest.
struct CallDispatchLoop: Service {
    let calls: CallCenter
    let events: EventBus

    func run() async throws {
        await calls.follow(events: events.subscribe().cancelOnGracefulShutdown())
    }
}

/// Feeds contact-center events to the signaling hub.
struct EventRouter: Service {
    let hub: SignalingHub
    let events: EventBus

    func run() async throws {
        await withGracefulShutdownHandler {
            await hub.run(events: events.subscribe().cancelOnGracefulShutdown())
        } onGracefulShutdown: {
            Task { await hub.closeAll(reason: "server shutting down") }
        }
    }
}
