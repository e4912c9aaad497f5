import NIOCore

/// The handler of a media socket: hands every datagram to `receive`, which is set once, right
/// after binding (datagrams before that are dropped). Runs on the socket's event loop.
///
/// `@unchecked Sendable`: `receive` and `readComplete` are set on the channel's event loop right
/// after binding and read only there, by `channelRead` and `channelReadComplete`; `descriptor` is
/// set before the channel exists and only read after it was made.
public final class DatagramHandler: ChannelInboundHandler, @unchecked Sendable {
    public typealias InboundIn = AddressedEnvelope<ByteBuffer>
    public var receive: ((AddressedEnvelope<ByteBuffer>) -> Void)?
    /// Called when a burst of reads ended, after its last `receive`; set like `receive`.
    public var readComplete: (() -> Void)?
    /// The socket's descriptor when the engine made the socket itself to write to it directly (a
    /// loop's shared WebRTC socket), else -1.
    var descriptor: CInt = -1

    public init() {}

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        receive?(unwrapInboundIn(data))
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        readComplete?()
        context.fireChannelReadComplete()
    }
}
