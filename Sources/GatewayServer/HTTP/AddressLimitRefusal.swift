import NIOCore

/// Closes a connection whose address already holds `maxConnectionsPerAddress`, as soon as it is
/// active. In clear text it first writes a 503 (before any request: an HTTP client reads it as
/// the answer to its own); over TLS it writes nothing, so no handshake is spent on it. Whatever
/// the peer sends is dropped.
final class AddressLimitRefusal: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    let response: String?

    init(address: String, maximum: Int, clearText: Bool) {
        guard clearText else {
            response = nil
            return
        }
        let body =
            #"{"message":"\#(address) holds its maximum of \#(maximum) connections","status":"SERVICE_UNAVAILABLE"}"#
        response =
            "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 5\r\n"
            + "Connection: close\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { refuse(context) }
    }

    func channelActive(context: ChannelHandlerContext) { refuse(context) }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}

    private func refuse(_ context: ChannelHandlerContext) {
        guard let response else { return context.close(promise: nil) }
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(ByteBuffer(string: response))).whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
