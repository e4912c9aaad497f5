import NIOCore

/// The handler of a datagram channel of NIO's (a headless client's media socket, the SIP UDP
/// listener): hands every datagram to `receive`, which is set once, right after binding
/// (datagrams before that are dropped). Runs on the channel's event loop. The gateway's media
/// sockets have no channel: their loops read them (`MediaLoop`).
///
/// `@unchecked Sendable`: `receive` is set on the channel's event loop right after binding and
/// read only there, by `channelRead`.
public final class DatagramHandler: ChannelInboundHandler, @unchecked Sendable {
    public typealias InboundIn = AddressedEnvelope<ByteBuffer>
    public var receive: ((AddressedEnvelope<ByteBuffer>) -> Void)?

    public init() {}

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        receive?(unwrapInboundIn(data))
    }
}
