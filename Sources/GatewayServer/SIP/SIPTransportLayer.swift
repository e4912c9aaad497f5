import Logging
import NIOCore
import NIOPosix
import SIP
import SIPMessage

/// SIP over UDP and TCP on one port: datagrams and framed stream messages go to `onMessage`,
/// `send` writes to a UDP peer or over a TCP connection (reusing an inbound one, connecting
/// when there is none). Everything runs on one event loop, the one the user agent lives on.
///
/// `@unchecked Sendable`: its mutable state (connections, the message handler) is read and written
/// only on `eventLoop`; callers from elsewhere hop there first.
final class SIPTransportLayer: @unchecked Sendable {
    let group: MultiThreadedEventLoopGroup
    let eventLoop: any EventLoop
    let logger: Logger
    /// Called on the event loop with each received TCP message and where it came from.
    var onMessage: ((SIPMessage, SIPAddress) -> Void)?
    /// Called on the event loop with each UDP datagram: the user agent parses it, so that a
    /// malformed request still gets its 400 when its Via can be read.
    var onDatagram: (([UInt8], SIPAddress) -> Void)?
    /// Called on the event loop when a TCP destination could not be reached or dropped.
    var onTransportFailure: ((SIPAddress) -> Void)?
    /// Called when a TCP connection's bytes could not be framed as SIP (it is then closed).
    var onMalformed: (() -> Void)?
    private var udp: (any Channel)?
    private var tcpServer: (any Channel)?
    private var connections: [SIPAddress: any Channel] = [:]
    private var connecting: [SIPAddress: [[UInt8]]] = [:]
    private(set) var port = 0

    init(logger: Logger) {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        eventLoop = group.next()
        self.logger = logger
    }

    /// Binds UDP and TCP on `host`:`port` (0 picks a free port, the same for both). Returns the port.
    func start(host: String, port requested: Int) async throws -> Int {
        let udp = try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65536))
            .channelInitializer { [unowned self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SIPDatagramHandler(transport: self))
                }
            }
            .bind(host: host, port: requested).get()
        let port = udp.localAddress?.port ?? requested
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [unowned self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SIPStreamHandler(transport: self))
                }
            }
            .bind(host: host, port: port).get()
        self.udp = udp
        self.tcpServer = server
        self.port = port
        return port
    }

    func shutdown() async {
        try? await udp?.close()
        try? await tcpServer?.close()
        for channel in connections.values { try? await channel.close() }
        try? await group.shutdownGracefully()
    }

    /// Sends one message; must run on the event loop.
    func send(_ bytes: [UInt8], to address: SIPAddress) {
        eventLoop.preconditionInEventLoop()
        switch address.transport {
        case .udp:
            guard let udp, let socket = try? SocketAddress(ipAddress: address.host, port: address.port) else {
                return
            }
            udp.writeAndFlush(AddressedEnvelope(remoteAddress: socket, data: ByteBuffer(bytes: bytes)), promise: nil)
        case .tcp:
            if let channel = connections[address] {
                channel.writeAndFlush(ByteBuffer(bytes: bytes), promise: nil)
            } else if connecting[address] != nil {
                connecting[address]!.append(bytes)
            } else {
                connect(to: address, first: bytes)
            }
        }
    }

    private func connect(to address: SIPAddress, first: [UInt8]) {
        connecting[address] = [first]
        ClientBootstrap(group: eventLoop)
            .connectTimeout(.seconds(5))
            .channelInitializer { [unowned self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SIPStreamHandler(transport: self, key: address))
                }
            }
            .connect(host: address.host, port: address.port)
            .whenComplete { [self] result in
                let queued = connecting.removeValue(forKey: address) ?? []
                switch result {
                case .success(let channel):
                    connections[address] = channel
                    for bytes in queued { channel.writeAndFlush(ByteBuffer(bytes: bytes), promise: nil) }
                case .failure(let error):
                    logger.warning("SIP TCP connect failed", metadata: ["to": "\(address)", "error": "\(error)"])
                    onTransportFailure?(address)
                }
            }
    }

    func received(_ message: SIPMessage, from address: SIPAddress) { onMessage?(message, address) }

    func receivedGarbage(from address: SIPAddress, _ error: SIPParseError) {
        onMalformed?()
        logger.debug("unparsable SIP dropped", metadata: ["from": "\(address)", "error": "\(error)"])
    }

    func registered(_ channel: any Channel, as address: SIPAddress) { connections[address] = channel }

    func closed(_ address: SIPAddress) {
        connections.removeValue(forKey: address)
    }

    static func address(_ socket: SocketAddress?, _ transport: SIPTransport) -> SIPAddress? {
        guard let socket, let ip = socket.ipAddress, let port = socket.port else { return nil }
        return SIPAddress(transport: transport, host: ip, port: port)
    }
}

/// One UDP datagram is one SIP message (RFC 3261 §18.3).
final class SIPDatagramHandler: ChannelInboundHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let transport: SIPTransportLayer
    init(transport: SIPTransportLayer) { self.transport = transport }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        guard let source = SIPTransportLayer.address(envelope.remoteAddress, .udp) else { return }
        let bytes = Array(envelope.data.readableBytesView)
        // Keepalive CRLFs (RFC 5626) carry nothing.
        guard bytes.contains(where: { $0 != 13 && $0 != 10 }) else { return }
        transport.onDatagram?(bytes, source)
    }
}

/// A TCP connection: a byte stream framed by Content-Length (RFC 3261 §18.3). A framing error
/// closes the connection, since the stream cannot be resynchronised.
final class SIPStreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let transport: SIPTransportLayer
    private var framer = SIPStreamFramer()
    private var key: SIPAddress?

    init(transport: SIPTransportLayer, key: SIPAddress? = nil) {
        self.transport = transport
        self.key = key
    }

    func channelActive(context: ChannelHandlerContext) {
        if key == nil { key = SIPTransportLayer.address(context.channel.remoteAddress, .tcp) }
        if let key { transport.registered(context.channel, as: key) }
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let key { transport.closed(key) }
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard let key else { return }
        let buffer = unwrapInboundIn(data)
        do {
            for message in try framer.append(Array(buffer.readableBytesView)) { transport.received(message, from: key) }
        } catch {
            transport.receivedGarbage(from: key, error)
            context.close(promise: nil)
        }
    }
}
