import NIOCore
import NIOSSL
import NIOTLS

/// Counts the TLS handshakes that fail on a listener (`gateway_tls_handshake_failures_total`):
/// an expired or wrong certificate on either side shows there first. Sits right after the TLS
/// handler and passes every error on.
final class TLSHandshakeFailureCounter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = Any
    let listener: String
    let metrics: GatewayMetrics?

    init(listener: String, metrics: GatewayMetrics?) {
        self.listener = listener
        self.metrics = metrics
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event {
            // Once the handshake is done, nothing is left to count here.
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is NIOSSLError || error is BoringSSLError { metrics?.tlsHandshakeFailed(listener) }
        context.fireErrorCaught(error)
    }
}
