import Logging
import Media
import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import SIP
import SIPMessage
import Synchronization

/// SIP over UDP and TCP on one port, and over TLS on another: datagrams and framed stream
/// messages go to `onMessage`, `send` writes to a UDP peer or over a TCP or TLS connection
/// (reusing an inbound one, connecting when there is none). Everything runs on one event loop,
/// the one the user agent lives on.
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
    /// Called on the event loop when a TCP or TLS destination could not be reached, dropped, or
    /// failed the TLS handshake (its certificate not trusted or not naming it).
    var onTransportFailure: ((SIPAddress) -> Void)?
    /// Called when a TCP connection's bytes could not be framed as SIP (it is then closed).
    var onMalformed: ((SIPTransport) -> Void)?
    /// Called when a TLS handshake fails, inbound or outbound.
    var onHandshakeFailure: ((SIPAddress) -> Void)?
    /// The certificate served on the TLS port and presented to TLS trunks (nil: no TLS).
    let tls: TLSCredentials?
    /// The name a TLS destination's certificate must carry (a trunk's host name); without one
    /// the certificate must name the destination's IP address.
    var tlsServerNames: [SIPAddress: String] = [:]
    /// Replaced when a refused send closed it (`DatagramRebinding`).
    private var udp: (any Channel)?
    private let isShuttingDown = Atomic<Bool>(false)
    private var tcpServer: (any Channel)?
    private var tlsServer: (any Channel)?
    private var connections: [SIPAddress: any Channel] = [:]
    private var connecting: [SIPAddress: [[UInt8]]] = [:]
    private(set) var port = 0
    private(set) var tlsPort = 0
    /// An inbound TCP or TLS connection that delivers nothing (not even a keepalive CRLF, nor a
    /// finished TLS handshake) for this long is closed: a silent connection holds a descriptor.
    let idleTimeout: TimeAmount

    init(logger: Logger, tls: TLSCredentials? = nil, idleTimeout: TimeAmount = .seconds(300)) {
        group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        eventLoop = group.next()
        self.logger = logger
        self.tls = tls
        self.idleTimeout = idleTimeout
    }

    /// Binds UDP and TCP on `host`:`port` (0 picks a free port, the same for both), and TLS on
    /// `tlsPort` when given. Returns the ports.
    func start(host: String, port requested: Int?, tlsPort: Int?) async throws -> (port: Int, tlsPort: Int) {
        if let tlsPort, let tls {
            self.tlsServer = try await ServerBootstrap(group: group)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { [unowned self] channel in
                    channel.eventLoop.makeCompletedFuture {
                        let pipeline = channel.pipeline.syncOperations
                        try pipeline.addHandler(NIOSSLServerHandler(context: tls.loaded.server))
                        try pipeline.addHandler(IdleStateHandler(readTimeout: idleTimeout))
                        try pipeline.addHandler(SIPStreamHandler(transport: self, kind: .tls))
                    }
                }
                .bind(host: host, port: tlsPort).get()
            self.tlsPort = self.tlsServer?.localAddress?.port ?? tlsPort
        }
        guard let requested else { return (0, self.tlsPort) }
        let udp = try await bindUDP(host: host, port: requested)
        let port = udp.localAddress?.port ?? requested
        // A send the kernel refuses (a trunk's network unreachable, a firewall) makes NIO close
        // the socket: bound again, or SIP over UDP would stop for good.
        DatagramRebinding.watch(
            udp, shutDown: { [weak self] in self?.isShuttingDown.load(ordering: .relaxed) ?? true },
            stillWanted: { true },
            bind: { [weak self] in
                guard let self else { throw ChannelError.ioOnClosedChannel }
                return try await bindUDP(host: host, port: port)
            }, adopt: { [weak self] in self?.udp = $0 },
            rebound: { [logger] in logger.warning("SIP UDP socket closed by a refused send; bound again") })
        let server = try await ServerBootstrap(group: group)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { [unowned self] channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(IdleStateHandler(readTimeout: idleTimeout))
                    try pipeline.addHandler(SIPStreamHandler(transport: self, kind: .tcp))
                }
            }
            .bind(host: host, port: port).get()
        self.udp = udp
        self.tcpServer = server
        self.port = port
        return (port, self.tlsPort)
    }

    private func bindUDP(host: String, port: Int) async throws -> any Channel {
        try await DatagramBootstrap(group: group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 65536))
            .channelInitializer { [unowned self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(SIPDatagramHandler(transport: self))
                }
            }
            .bind(host: host, port: port).get()
    }

    func shutdown() async {
        isShuttingDown.store(true, ordering: .relaxed)
        try? await udp?.close()
        try? await tcpServer?.close()
        try? await tlsServer?.close()
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
        case .tcp, .tls:
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
        let client = address.transport == .tls ? tls?.loaded.client : nil
        let serverName = tlsServerNames[address]
        if address.transport == .tls, client == nil {
            connecting[address] = nil
            logger.warning("SIP over TLS needs tlsCertificateFile and tlsKeyFile", metadata: ["to": "\(address)"])
            return onTransportFailure?(address) ?? ()
        }
        ClientBootstrap(group: eventLoop)
            .connectTimeout(.seconds(5))
            .channelInitializer { [unowned self] channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let client {
                        try pipeline.addHandler(NIOSSLClientHandler(context: client, serverHostname: serverName))
                    }
                    try pipeline.addHandler(SIPStreamHandler(transport: self, kind: address.transport, key: address))
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
                    logger.warning(
                        "SIP \(address.transport.rawValue) connect failed",
                        metadata: ["to": "\(address)", "error": "\(error)"])
                    onTransportFailure?(address)
                }
            }
    }

    func received(_ message: SIPMessage, from address: SIPAddress) { onMessage?(message, address) }

    func receivedGarbage(from address: SIPAddress, _ error: SIPParseError) {
        onMalformed?(address.transport)
        logger.debug("unparsable SIP dropped", metadata: ["from": "\(address)", "error": "\(error)"])
    }

    func registered(_ channel: any Channel, as address: SIPAddress) { connections[address] = channel }

    func closed(_ address: SIPAddress) {
        connections.removeValue(forKey: address)
    }

    /// A TLS handshake failed: an outbound destination counts as unreachable (the next trunk host
    /// is tried at once instead of after Timer B).
    func handshakeFailed(_ address: SIPAddress, outbound: Bool, _ error: any Error) {
        logger.warning("SIP TLS handshake failed", metadata: ["peer": "\(address)", "error": "\(error)"])
        onHandshakeFailure?(address)
        if outbound { onTransportFailure?(address) }
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

/// A TCP or TLS connection: a byte stream framed by Content-Length (RFC 3261 §18.3). A framing
/// error closes the connection, since the stream cannot be resynchronised.
final class SIPStreamHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let transport: SIPTransportLayer
    let kind: SIPTransport
    /// Whether the gateway opened this connection (it then has its key from the start).
    let outbound: Bool
    private var framer = SIPStreamFramer()
    private var key: SIPAddress?
    private var handshaken = false

    init(transport: SIPTransportLayer, kind: SIPTransport, key: SIPAddress? = nil) {
        self.transport = transport
        self.kind = kind
        self.key = key
        self.outbound = key != nil
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event { handshaken = true }
        if case IdleStateHandler.IdleStateEvent.read = event {
            // Only inbound connections have the idle handler: a silent one is closed.
            return context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if kind == .tls, !handshaken, error is NIOSSLError || error is BoringSSLError, let key {
            transport.handshakeFailed(key, outbound: outbound, error)
        }
        context.close(promise: nil)
    }

    func channelActive(context: ChannelHandlerContext) {
        if key == nil { key = SIPTransportLayer.address(context.channel.remoteAddress, kind) }
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
