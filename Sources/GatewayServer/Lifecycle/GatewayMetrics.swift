import Prometheus

/// The gateway's Prometheus metrics, exposed at `/metrics`.
public final class GatewayMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    let webSocketConnections: Gauge

    public init() {
        webSocketConnections = registry.makeGauge(
            descriptor: MetricNameDescriptor(
                namespace: "gateway", metricName: "websocket", unitName: "connections",
                helpText: "Open signaling WebSocket connections"))
    }

    func httpRequest(method: String, route: String, status: Int) {
        counter(
            "http_requests", [("method", method), ("route", route), ("status", String(status))],
            "REST requests by route and status"
        ).increment()
    }

    func authFailure(_ reason: String) {
        counter("auth_failures", [("reason", reason)], "Refused credentials by reason").increment()
    }

    func signalingMessage(_ type: String) {
        counter("signaling_messages", [("type", type)], "Signaling messages received by type").increment()
    }

    func signalingError(_ code: String) {
        counter("signaling_errors", [("code", code)], "Signaling error frames sent by code").increment()
    }

    func signalingClosed(_ reason: String) {
        counter("signaling_closed", [("reason", reason)], "Signaling connections closed by reason").increment()
    }

    /// A connection closed as it opened because its address held `maxConnectionsPerAddress`.
    func connectionRefusedForAddress() {
        counter(
            "connections_refused_per_address", [], "Connections closed at once: their address held its maximum"
        ).increment()
    }

    /// A request answered 503 because the gateway held `maxConnections` connections.
    func connectionRefused() {
        counter("connections_refused", [], "Requests refused at the connection limit").increment()
    }

    /// An inbound INVITE's first final answer from the gateway (`admitted` when it joined a queue).
    func sipInbound(_ outcome: String) {
        counter("sip_inbound_calls", [("outcome", outcome)], "Inbound SIP calls by outcome").increment()
    }

    /// An outbound INVITE's outcome: `answered`, or the far end's final status.
    func sipOutbound(_ outcome: String) {
        counter("sip_outbound_calls", [("outcome", outcome)], "Outbound SIP calls by outcome").increment()
    }

    /// A SIP request dropped unread (`blocked_source`: its source is blocked after repeated refusals).
    func sipDropped(_ reason: String) {
        counter("sip_dropped", [("reason", reason)], "SIP requests dropped unread").increment()
    }

    /// A TCP connection closed because its bytes could not be framed as SIP.
    func sipMalformed(_ transport: String) {
        counter("sip_malformed", [("transport", transport)], "Connections closed for unframable SIP").increment()
    }

    /// A SIGHUP's reload of the TLS certificate: `ok`, or `failed` (the old one stays).
    func tlsReload(_ result: String) {
        counter("tls_reloads", [("result", result)], "TLS certificate reloads by result").increment()
    }

    /// A TLS handshake that failed, by listener (`https`, `sip`) and side.
    func tlsHandshakeFailed(_ listener: String) {
        counter("tls_handshake_failures", [("listener", listener)], "Failed TLS handshakes").increment()
    }

    private func counter(_ name: String, _ labels: [(String, String)], _ help: String) -> Counter {
        registry.makeCounter(
            descriptor: MetricNameDescriptor(namespace: "gateway", metricName: name, unitName: "total", helpText: help),
            labels: labels)
    }

    /// The Prometheus text exposition.
    public func exposition() -> String {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }
}
