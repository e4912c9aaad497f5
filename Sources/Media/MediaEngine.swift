import DTLS
import Foundation
import NIOCore
import NIOPosix
import SDP
import Synchronization

/// Where media listens and what it offers.
public struct MediaConfiguration: Sendable, Equatable {
    /// Address the UDP sockets bind to.
    public var address: String
    public var portRange: ClosedRange<Int>
    /// Address SDP announces (candidates, `c=`), when it is not `address`: the public side of a
    /// one-to-one NAT, which keeps ports.
    public var announcedAddress: String?
    public init(
        address: String = "127.0.0.1", portRange: ClosedRange<Int> = 40000...49999, announcedAddress: String? = nil
    ) {
        self.address = address
        self.portRange = portRange
        self.announcedAddress = announcedAddress
    }

    /// What SDP says peers should send to.
    public var announced: String { announcedAddress ?? address }
}

/// Why media could not be set up.
public enum MediaError: Error, Equatable, Sendable, CustomStringConvertible {
    case noFreePort(ClosedRange<Int>)
    case sdp(String)

    public var description: String {
        switch self {
        case .noFreePort(let range): "no free UDP port in \(range.lowerBound)-\(range.upperBound)"
        case .sdp(let why): why
        }
    }
}

/// Creates WebRTC legs (on their event loop's shared UDP socket, from the port range; ICE
/// credentials; the DTLS identity) and trunk legs (an RTP/RTCP port pair each). The legs of
/// one call are created on the same event loop.
public final class MediaEngine: Sendable {
    public let configuration: MediaConfiguration
    public let certificate: DTLSCertificate
    /// Counters shared by every leg.
    public let statistics: MediaStatistics
    let group: MultiThreadedEventLoopGroup
    /// The 20 ms media clock of each event loop, shared by every player on it.
    private let tickers: [MediaTicker]
    private let sweepers: [LegSweeper]
    private let nextPort: PortCursor
    private let trunkPorts = PortCursors()
    /// Each event loop's shared WebRTC socket, by loop, as it binds or once bound.
    private let sockets = Mutex<[ObjectIdentifier: Task<SharedMediaSocket, any Error>]>([:])
    /// Set by `shutdown`: closed sockets are not bound again.
    private let isShuttingDown = Atomic<Bool>(false)

    public init(configuration: MediaConfiguration, threads: Int = MediaEngine.usableCPUs) throws {
        self.configuration = configuration
        self.certificate = try DTLSCertificate()
        self.group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        let statistics = MediaStatistics()
        self.statistics = statistics
        self.tickers = group.makeIterator().map {
            MediaTicker(eventLoop: $0, statistics: statistics) { Date().timeIntervalSince1970 }
        }
        self.sweepers = group.makeIterator().map { LegSweeper(eventLoop: $0) }
        self.nextPort = PortCursor(configuration.portRange.lowerBound)
    }

    /// How late each event loop's media clock finished its phases so far.
    public func tickLateness() async throws -> [TickLateness] {
        var all: [TickLateness] = []
        for ticker in tickers { all.append(try await ticker.eventLoop.submit { ticker.lateness }.get()) }
        return all
    }

    /// An event loop for a new call.
    public func nextEventLoop() -> any EventLoop { group.next() }

    /// A media graph for a call whose legs will live on `eventLoop` (one of this engine's).
    public func makeGraph(
        on eventLoop: any EventLoop, opusComplexity: Int = 0, conferenceOpusComplexity: Int = 0
    ) -> MediaGraph {
        MediaGraph(
            ticker: ticker(of: eventLoop), opusComplexity: opusComplexity,
            conferenceOpusComplexity: conferenceOpusComplexity)
    }

    /// The media clock of `eventLoop`, one of this engine's.
    private func ticker(of eventLoop: any EventLoop) -> MediaTicker {
        guard let ticker = tickers.first(where: { $0.eventLoop === eventLoop }) else {
            preconditionFailure("the event loop is not one of the media engine's")
        }
        return ticker
    }

    /// The slow clock of `eventLoop`'s trunk legs.
    func sweeper(of eventLoop: any EventLoop) -> LegSweeper {
        guard let sweeper = sweepers.first(where: { $0.eventLoop === eventLoop }) else {
            preconditionFailure("the event loop is not one of the media engine's")
        }
        return sweeper
    }

    /// A leg on `eventLoop`, on that loop's shared media socket (bound at its first leg).
    public func makeLeg(on eventLoop: any EventLoop) async throws -> WebRTCLeg {
        let socket = try await sharedSocket(on: eventLoop)
        let local = LocalParameters(
            iceUfrag: Self.random(8), icePwd: Self.random(24), fingerprint: certificate.fingerprint,
            address: configuration.announced, port: socket.port, cname: Self.random(12), streamId: Self.random(12),
            ssrcs: ["audio": UInt32.random(in: 1...UInt32.max), "video": UInt32.random(in: 1...UInt32.max)])
        let leg = WebRTCLeg(
            socket: socket, ticker: ticker(of: eventLoop), local: local, certificate: certificate,
            statistics: statistics
        ) { Date().timeIntervalSince1970 }
        statistics.legsOpened.add(1, ordering: .relaxed)
        // Registered on the loop that reads the socket, before anyone learns the ufrag.
        try await eventLoop.submit { socket.register(leg) }.get()
        return leg
    }

    /// The media socket of `eventLoop`, bound to a free port of the range at its first use.
    private func sharedSocket(on eventLoop: any EventLoop) async throws -> SharedMediaSocket {
        let binding = sockets.withLock { all in
            let key = ObjectIdentifier(eventLoop)
            if let binding = all[key] { return binding }
            let binding = Task { [self] in try await bindSharedSocket(on: eventLoop) }
            all[key] = binding
            return binding
        }
        do {
            return try await binding.value
        } catch {
            // Another leg may try again (a port may free up).
            sockets.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(eventLoop)) }
            throw error
        }
    }

    private func bindSharedSocket(on eventLoop: any EventLoop) async throws -> SharedMediaSocket {
        let range = configuration.portRange
        for _ in range {
            let port = nextPort.take(in: range)
            let handler = DatagramHandler()
            guard let channel = try? await bind(on: eventLoop, port: port, handler: handler, shared: true) else {
                continue
            }
            let ticker = ticker(of: eventLoop)
            let socket = try await eventLoop.submit { [statistics] in
                let socket = SharedMediaSocket(
                    channel: channel, descriptor: handler.descriptor, port: port, statistics: statistics)
                handler.receive = { socket.receive($0) }
                handler.readComplete = { socket.readComplete() }
                ticker.socket = socket
                return socket
            }.get()
            keepBound(channel, port: port, shared: true, stillWanted: { true }) { handler in
                handler.receive = { socket.receive($0) }
                handler.readComplete = { socket.readComplete() }
            } adopt: { channel in
                socket.replace(channel, descriptor: Self.descriptor(of: channel))
            }
            return socket
        }
        throw MediaError.noFreePort(range)
    }

    /// An RTP leg (for a SIP trunk) on an even port and the next one, on `eventLoop`; from `range`
    /// when given (a trunk's own), else from the media range. With `srtp` it encrypts, with a
    /// fresh random SDES key.
    public func makeRTPLeg(on eventLoop: any EventLoop, range: ClosedRange<Int>? = nil, srtp: Bool = false)
        async throws -> RTPLeg
    {
        let range = range ?? configuration.portRange
        let cursor = range == configuration.portRange ? nextPort : trunkPorts.cursor(for: range)
        for _ in range {
            let port = cursor.take(in: range)
            guard port % 2 == 0, range.contains(port + 1) else { continue }
            let (rtpHandler, rtcpHandler) = (DatagramHandler(), DatagramHandler())
            guard let rtp = try? await bind(on: eventLoop, port: port, handler: rtpHandler) else { continue }
            guard let rtcp = try? await bind(on: eventLoop, port: port + 1, handler: rtcpHandler) else {
                try? await rtp.close()
                continue
            }
            var generator = SystemRandomNumberGenerator()  // the platform's CSPRNG (getrandom)
            let key =
                srtp ? (0..<SDESCrypto.keyingLength).map { _ in UInt8.random(in: 0...255, using: &generator) } : nil
            let leg = RTPLeg(
                rtpChannel: rtp, rtpDescriptor: rtpHandler.descriptor, rtcpChannel: rtcp,
                address: configuration.announced, port: port,
                statistics: statistics, sweeper: sweeper(of: eventLoop),
                sdesKey: key
            ) { Date().timeIntervalSince1970 }
            statistics.legsOpened.add(1, ordering: .relaxed)
            try await eventLoop.submit {
                rtpHandler.receive = { leg.receiveRTP($0) }
                rtcpHandler.receive = { leg.receiveRTCP($0) }
            }.get()
            keepBound(rtp, port: port, shared: false, stillWanted: { !leg.isClosed }) { handler in
                handler.receive = { leg.receiveRTP($0) }
            } adopt: { channel in
                leg.replace(rtp: channel, descriptor: Self.descriptor(of: channel))
            }
            keepBound(rtcp, port: port + 1, shared: false, stillWanted: { !leg.isClosed }) { handler in
                handler.receive = { leg.receiveRTCP($0) }
            } adopt: {
                leg.replace(rtcp: $0)
            }
            return leg
        }
        throw MediaError.noFreePort(range)
    }

    /// Binds `port` again when `channel` closes on a refused send while the engine runs and
    /// `stillWanted()` (on the loop): a fresh handler set up by `route`, the channel to `adopt`.
    private func keepBound(
        _ channel: any Channel, port: Int, shared: Bool, stillWanted: @escaping @Sendable () -> Bool,
        route: @escaping @Sendable (DatagramHandler) -> Void, adopt: @escaping @Sendable (any Channel) -> Void
    ) {
        let eventLoop = channel.eventLoop
        DatagramRebinding.watch(
            channel, shutDown: { [self] in isShuttingDown.load(ordering: .relaxed) }, stillWanted: stillWanted,
            bind: { [self] in
                let handler = DatagramHandler()
                route(handler)
                return try await bind(on: eventLoop, port: port, handler: handler, shared: shared)
            }, adopt: adopt, rebound: { [statistics] in statistics.socketsReopened.add(1, ordering: .relaxed) })
    }

    /// A UDP socket on `port`, which NIO reads one datagram of up to 2,048 bytes from per wake-up.
    /// A `shared` one carries every WebRTC leg of its loop: it asks for socket buffers of
    /// `sharedSocketBuffer` bytes (the kernel caps them at net.core.rmem_max and wmem_max), and
    /// the rest of a wake-up's datagrams are read by `SharedMediaSocket` itself (`recvmmsg`).
    private func bind(
        on eventLoop: any EventLoop, port: Int, handler: DatagramHandler, shared: Bool = false
    ) async throws -> any Channel {
        var bootstrap = DatagramBootstrap(group: eventLoop)
        if shared {
            bootstrap =
                bootstrap
                .channelOption(.socketOption(.so_rcvbuf), value: Self.sharedSocketBuffer)
                .channelOption(.socketOption(.so_sndbuf), value: Self.sharedSocketBuffer)
        }
        // One read per wake-up (NIO's epoll is level-triggered: anything left wakes it again). A
        // trunk leg's socket gets a datagram every 20 ms, so a second read would find nothing; the
        // shared socket's other datagrams are read by `SharedMediaSocket` after this one.
        bootstrap =
            bootstrap
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: Self.largestDatagram))
            .channelOption(.maxMessagesPerRead, value: 1)
            .channelOption(.socketOption(.so_reuseaddr), value: 0)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
            }
        // The gateway writes media to its sockets itself (`OutgoingDatagrams`): it makes the socket
        // and keeps its descriptor; NIO adopts it for reading (and for RTCP) and closes it.
        let descriptor = try MediaSocketDescriptor.boundUDP(
            try SocketAddress.makeAddressResolvingHost(configuration.address, port: port))
        handler.descriptor = descriptor
        do {
            return try await bootstrap.withBoundSocket(descriptor).get()
        } catch {
            close(descriptor)
            throw error
        }
    }

    /// The descriptor of a socket `bind` made, from its channel's handler (-1 if none); on the loop.
    private static func descriptor(of channel: any Channel) -> CInt {
        (try? channel.pipeline.syncOperations.handler(type: DatagramHandler.self))?.descriptor ?? -1
    }

    /// The largest datagram a media socket reads whole (NIO's reads, the shared socket's own
    /// reads) and sends from a batch's slot; media packets are far smaller.
    static let largestDatagram = 2048

    /// The socket buffers a shared WebRTC socket asks for: a burst of a loop's legs' packets must
    /// fit while the loop is busy.
    public static let sharedSocketBuffer = 4 << 20

    public func shutdown() async throws {
        isShuttingDown.store(true, ordering: .relaxed)
        try await group.shutdownGracefully()
    }

    /// `count` random letters and digits (ICE credentials, CNAMEs, stream ids).
    public static func random(_ count: Int) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
        return String((0..<count).map { _ in alphabet.randomElement()! })
    }
}

/// One cursor per trunk port range.
final class PortCursors: Sendable {
    private let cursors = Mutex<[ClosedRange<Int>: PortCursor]>([:])

    func cursor(for range: ClosedRange<Int>) -> PortCursor {
        cursors.withLock { all in
            if let cursor = all[range] { return cursor }
            let cursor = PortCursor(range.lowerBound)
            all[range] = cursor
            return cursor
        }
    }
}

/// A port cursor that walks the range round-robin.
final class PortCursor: Sendable {
    private let next: Mutex<Int>
    init(_ start: Int) { next = Mutex(start) }

    func take(in range: ClosedRange<Int>) -> Int {
        next.withLock { current in
            let port = range.contains(current) ? current : range.lowerBound
            current = port == range.upperBound ? range.lowerBound : port + 1
            return port
        }
    }
}
