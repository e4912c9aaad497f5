import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import NIOSSL

/// Closes a connection whose first request head has not all arrived within `timeout`.
///
/// Hummingbird's idle timeout watches a connection only once its first request head is parsed
/// (the WebSocket upgrade decision comes first), so a client trickling that head a byte at a time
/// (slowloris) could hold a connection forever. This handler sits first in the pipeline, looks
/// for the blank line that ends the head, and leaves the pipeline once it has seen it.
final class FirstRequestDeadlineHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    private let timeout: TimeAmount
    private var deadline: Scheduled<Void>?
    /// The last bytes seen, so that a `\r\n\r\n` split across reads is found.
    private var tail: UInt32 = 0

    init(timeout: TimeAmount) { self.timeout = timeout }

    func handlerAdded(context: ChannelHandlerContext) {
        let channel = context.channel
        deadline = context.eventLoop.scheduleTask(in: timeout) { channel.close(promise: nil) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        var ended = false
        for byte in buffer.readableBytesView {
            tail = tail << 8 | UInt32(byte)
            if tail == 0x0D0A_0D0A {
                ended = true
                break
            }
        }
        context.fireChannelRead(data)
        if ended {
            deadline?.cancel()
            deadline = nil
            context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
        }
    }
}

/// The gateway's HTTP and WebSocket channel with `FirstRequestDeadlineHandler` in front, and in
/// front of that TLS when `tls` is set (the deadline then also covers a stalled handshake).
struct DeadlinedHTTPChannel<Base: ServerChildChannel>: ServerChildChannel {
    typealias Value = GatewayConnection<Base.Value>
    let base: Base
    let firstRequestTimeout: TimeAmount
    let tls: TLSCredentials?
    let metrics: GatewayMetrics?
    let perAddress: AddressSessionLimit?

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        if let perAddress, perAddress.maximum > 0, let address = channel.remoteAddress?.ipAddress {
            guard perAddress.admit(address) else {
                metrics?.connectionRefusedForAddress()
                // No HTTP channel is set up for it (its upgrade handling would log the early close
                // as an error): the refusal answers and closes, and there is nothing to handle.
                let (maximum, clearText) = (perAddress.maximum, tls == nil)
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        AddressLimitRefusal(address: address, maximum: maximum, clearText: clearText))
                    return .refused(channel)
                }
            }
            channel.closeFuture.whenComplete { _ in perAddress.end(address) }
        }
        return channel.eventLoop.makeCompletedFuture {
            let pipeline = channel.pipeline.syncOperations
            if let tls {
                try pipeline.addHandler(NIOSSLServerHandler(context: tls.loaded.server))
                try pipeline.addHandler(TLSHandshakeFailureCounter(listener: "https", metrics: metrics))
            }
            try pipeline.addHandler(FirstRequestDeadlineHandler(timeout: firstRequestTimeout))
        }.flatMap { base.setup(channel: channel, logger: logger).map { .served($0) } }
    }

    func handle(value: Value, logger: Logger) async {
        guard case .served(let value) = value else { return }
        await base.handle(value: value, logger: logger)
    }
}

/// A connection as the gateway's HTTP channel sets it up: served by the base channel, or
/// refused as it opened (`maxConnectionsPerAddress`: `AddressLimitRefusal` answers and closes it).
enum GatewayConnection<Served: ServerChildChannelValue>: ServerChildChannelValue {
    case served(Served)
    case refused(any Channel)

    var channel: any Channel {
        switch self {
        case .served(let value): value.channel
        case .refused(let channel): channel
        }
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 (over TLS when `tls` is set) with the WebSocket upgrade, where neither a slow first request head nor an idle
    /// connection can hold a connection longer than `idleTimeout`.
    static func http1WebSocketUpgrade<WSResponderBuilder: HTTPResponderBuilder>(
        webSocketRouter: WSResponderBuilder, webSocket: WebSocketServerConfiguration, idleTimeout: TimeAmount,
        tls: TLSCredentials?, metrics: GatewayMetrics?, perAddress: AddressSessionLimit?
    ) -> HTTPServerBuilder where WSResponderBuilder.Responder.Context: WebSocketRequestContext {
        let webSocketResponder = webSocketRouter.buildResponder()
        let configuration = HTTP1WebSocketUpgradeChannel.Configuration(
            http1: .init(idleTimeout: idleTimeout), ws: webSocket)
        return .init { responder in
            DeadlinedHTTPChannel(
                base: HTTP1WebSocketUpgradeChannel(
                    responder: responder, webSocketResponder: webSocketResponder, configuration: configuration),
                firstRequestTimeout: idleTimeout, tls: tls, metrics: metrics, perAddress: perAddress)
        }
    }
}
