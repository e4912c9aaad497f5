import DTLS
import Foundation
import Media
import NIOCore
import NIOPosix
import SDP
import Synchronization

/// Makes client legs: a UDP socket on an ephemeral port, ICE credentials, one DTLS identity,
/// and a media ticker per event loop.
public final class ClientMediaEngine: Sendable {
    public let address: String
    /// Set by `shutdown`: closed sockets are not bound again.
    private let isShuttingDown = Atomic<Bool>(false)
    public let certificate: DTLSCertificate
    private let group: MultiThreadedEventLoopGroup
    private let tickers: [MediaTicker]
    private let cursor = Cursor()

    /// - Parameters:
    ///   - address: the IPv4 address sockets bind to and candidates announce.
    ///   - threads: event loops carrying media.
    public init(address: String = "127.0.0.1", threads: Int = 1) throws {
        self.address = address
        certificate = try DTLSCertificate(commonName: "headless-agent")
        group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, threads))
        let clock: @Sendable () -> Double = { Date().timeIntervalSince1970 }
        // One phase per millisecond: the legs of a load generator send evenly, not in bursts.
        tickers = group.makeIterator().map { MediaTicker(eventLoop: $0, slots: 20, clock: clock) }
    }

    /// A leg on the next event loop that plays `audio` (nothing when nil) and records into
    /// `recorder`; with `delayProbe` each packet it sends starts with a delay probe (see
    /// `DelayHistogram`).
    public func makeLeg(audio: EncodedAudio?, recorder: AudioRecorder?, delayProbe: DelayProbe? = nil) async throws
        -> ClientLeg
    {
        let ticker = nextTicker()
        let handler = DatagramHandler()
        let channel = try await Self.bind(on: ticker.eventLoop, host: address, port: 0, handler: handler)
        let local = LocalParameters(
            iceUfrag: MediaEngine.random(8), icePwd: MediaEngine.random(24), fingerprint: certificate.fingerprint,
            address: address,
            port: channel.localAddress?.port ?? 0, cname: MediaEngine.random(12), streamId: MediaEngine.random(12),
            ssrcs: ["audio": UInt32.random(in: 1...UInt32.max)])
        let leg = ClientLeg(
            channel: channel, local: local, certificate: certificate, ticker: ticker, audio: audio,
            recorder: recorder, delayProbe: delayProbe
        ) { Date().timeIntervalSince1970 }
        // Installed on the loop that reads it, before anyone learns the port.
        try await channel.eventLoop.submit { handler.receive = { leg.receive($0) } }.get()
        // A check to a candidate this host cannot reach must not end the leg's socket.
        let (eventLoop, address, port) = (ticker.eventLoop, address, local.port)
        DatagramRebinding.watch(
            channel, shutDown: { [self] in isShuttingDown.load(ordering: .relaxed) },
            stillWanted: { !leg.isClosed },
            bind: {
                let handler = DatagramHandler()
                handler.receive = { leg.receive($0) }
                return try await Self.bind(on: eventLoop, host: address, port: port, handler: handler)
            }, adopt: { leg.replace($0) })
        return leg
    }

    private static func bind(on eventLoop: any EventLoop, host: String, port: Int, handler: DatagramHandler)
        async throws -> any Channel
    {
        try await DatagramBootstrap(group: eventLoop)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 2048))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture { try channel.pipeline.syncOperations.addHandler(handler) }
            }
            .bind(host: host, port: port).get()
    }

    /// The media ticks of all its loops so far, and how late they came.
    public func tickLateness() async -> (phases: Int, late: Int) {
        var total = (phases: 0, late: 0)
        for ticker in tickers {
            guard let lateness = try? await ticker.eventLoop.submit({ ticker.lateness }).get() else { continue }
            total.phases += lateness.phases
            total.late += lateness.late
        }
        return total
    }

    /// The media clock of the next event loop, for a leg of another kind that shares them.
    public func nextTicker() -> MediaTicker { tickers[cursor.next() % tickers.count] }

    public func shutdown() async throws {
        isShuttingDown.store(true, ordering: .relaxed)
        try await group.shutdownGracefully()
    }

    /// The engine's event loops (a benchmark reads their threads' CPU time).
    public var eventLoops: [any EventLoop] { tickers.map(\.eventLoop) }
}

/// Round-robin over the event loops.
private final class Cursor: Sendable {
    private let value = Mutex(0)
    func next() -> Int {
        value.withLock { current in
            defer { current &+= 1 }; return current
        }
    }
}
