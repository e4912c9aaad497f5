import ContactCenter
import Foundation
import Hummingbird

/// Health, metrics, the OpenAPI document and the start page: open, no credentials.
enum SystemRoutes {
    static func endpoints(_ s: GatewayServices) -> [Endpoint] {
        let started = s.clock.now()
        return [
            Endpoint(.get, "/health", "Liveness, storage and drain check", tag: "Operations", access: .open) { _, _ in
                var storage = "UP"
                do { _ = try await s.store.get(.accountSetting, id: "health-probe") } catch { storage = "DOWN" }
                let draining = await s.calls.isStopping
                let status = storage != "UP" ? "DOWN" : draining ? "DRAINING" : "UP"
                let body = JSONValue.object([
                    "status": .string(status), "storage": .string(storage),
                    "uptimeSeconds": .int(Int64(s.clock.now().timeIntervalSince(started))),
                    "webSocketSessions": .int(Int64(await s.hub.sessionCount)),
                    "callsInProgress": .int(Int64(await s.calls.activeCallCount)),
                ])
                return JSONResponse.make(body, status: status == "UP" ? .ok : .serviceUnavailable)
            },
            Endpoint(.get, "/metrics", "Prometheus metrics", tag: "Operations", access: .open) { _, _ in
                Response(
                    status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                    body: .init(
                        byteBuffer: ByteBuffer(
                            string: s.metrics.exposition() + s.media.statistics.exposition()
                                + (await QueueStatisticsRoutes.exposition(s)))))
            },
            Endpoint(.get, "/openapi.json", "This API's OpenAPI document", tag: "Operations", access: .open) { _, _ in
                Response(
                    status: .ok, headers: [.contentType: "application/json"],
                    body: .init(byteBuffer: ByteBuffer(string: OpenAPIDocument.render(GatewayApplication.endpoints(s))))
                )
            },
            Endpoint(.get, "/", "Start page", tag: "Operations", access: .open) { _, _ in
                Response(
                    status: .ok, headers: [.contentType: "text/html; charset=utf-8"],
                    body: .init(byteBuffer: ByteBuffer(string: startPage)))
            },
        ]
    }

    static let startPage = """
        <!doctype html>
        <html lang="en"><head><meta charset="utf-8"><title>Call gateway</title>
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <link rel="stylesheet" href="/pages/style.css"></head>
        <body><h1>Call gateway</h1>
        <p>The contact-center control plane is running.</p>
        <ul>
        <li><a href="/openapi.json">REST API (OpenAPI)</a> — authenticate with <code>Authorization: App &lt;key&gt;</code></li>
        <li><a href="/health">Health</a> and <a href="/metrics">metrics</a></li>
        <li>Signaling WebSocket: <code>/webrtc/1/signaling?token=…</code> (see docs/signaling.md)</li>
        <li>Pages (agents sign in with a login and password or a one-time link): <a href="/softphone">agent desktop</a>,
        <a href="/contact">customer contact page</a> (a customer token), <a href="/supervisor">supervisor wallboard</a></li>
        <li>JavaScript SDK: <a href="/sdk/1/callgateway.js"><code>/sdk/1/callgateway.js</code></a> (see docs/sdk.md)</li>
        </ul></body></html>
        """
}
