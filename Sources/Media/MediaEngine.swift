import CDatagramBatch
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
    let group: MediaLoopGroup
    /// The 20 ms media clock of each event loop, shared by every player on it.
    private let tickers: [MediaTicker]
    private let sweepers: [LegSweeper]
    private let nextPort: PortCursor
    private let trunkPorts = PortCursors()
    /// Each event loop's shared WebRTC socket, by loop, as it binds or once bound.
    private let sockets = Mutex<[ObjectIdentifier: Task<SharedMediaSocket, any Error>]>([:])

    public init(configuration: MediaConfiguration, threads: Int = MediaEngine.usableCPUs) throws {
        self.configuration = configuration
        self.certificate = try DTLSCertificate()
        let statistics = MediaStatistics()
        self.statistics = statistics
        self.group = MediaLoopGroup(count: threads, relayDelay: statistics.relayDelay)
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
        let loop = Self.mediaLoop(eventLoop)
        let range = configuration.portRange
        for _ in range {
            let port = nextPort.take(in: range)
            guard let descriptor = try? bind(port: port, buffers: Self.sharedSocketBuffer) else { continue }
            let ticker = ticker(of: eventLoop)
            return try await loop.submit { [statistics] in
                let socket = try SharedMediaSocket(
                    loop: loop, descriptor: descriptor, port: port, statistics: statistics)
                ticker.socket = socket
                return socket
            }.get()
        }
        throw MediaError.noFreePort(range)
    }

    /// An RTP leg (for a SIP trunk) on an even port and the next one, on `eventLoop`; from `range`
    /// when given (a trunk's own), else from the media range. With `srtp` it encrypts, with a
    /// fresh random SDES key.
    public func makeRTPLeg(on eventLoop: any EventLoop, range: ClosedRange<Int>? = nil, srtp: Bool = false)
        async throws -> RTPLeg
    {
        let loop = Self.mediaLoop(eventLoop)
        let range = range ?? configuration.portRange
        let cursor = range == configuration.portRange ? nextPort : trunkPorts.cursor(for: range)
        for _ in range {
            let port = cursor.take(in: range)
            guard port % 2 == 0, range.contains(port + 1) else { continue }
            guard let rtp = try? bind(port: port) else { continue }
            guard let rtcp = try? bind(port: port + 1) else {
                close(rtp)
                continue
            }
            var generator = SystemRandomNumberGenerator()  // the platform's CSPRNG (getrandom)
            let key =
                srtp ? (0..<SDESCrypto.keyingLength).map { _ in UInt8.random(in: 0...255, using: &generator) } : nil
            let leg = try await loop.submit { [self] in
                try RTPLeg(
                    loop: loop, rtpDescriptor: rtp, rtcpDescriptor: rtcp, address: configuration.announced, port: port,
                    statistics: statistics, sweeper: sweeper(of: eventLoop), sdesKey: key
                ) { Date().timeIntervalSince1970 }
            }.get()
            statistics.legsOpened.add(1, ordering: .relaxed)
            return leg
        }
        throw MediaError.noFreePort(range)
    }

    /// `eventLoop` as one of the engine's loops.
    private static func mediaLoop(_ eventLoop: any EventLoop) -> MediaLoop {
        guard let loop = eventLoop as? MediaLoop else { preconditionFailure("not one of the media engine's loops") }
        return loop
    }

    /// A non-blocking UDP socket bound to `port` of the media address, for a media loop to read
    /// (`MediaLoop.watch`) and the gateway to write (`OutgoingDatagrams`); with `buffers`, it asks
    /// for socket buffers of that many bytes (the kernel caps them at net.core.rmem_max and
    /// wmem_max).
    private func bind(port: Int, buffers: Int? = nil) throws -> CInt {
        let descriptor = try MediaSocketDescriptor.boundUDP(
            try SocketAddress.makeAddressResolvingHost(configuration.address, port: port))
        if var size = buffers.map(CInt.init) {
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<CInt>.size))
            setsockopt(descriptor, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<CInt>.size))
        }
        // Each datagram's arrival time, for the relay's delay (`RelayDelayHistogram`).
        datagram_receive_timestamps(descriptor)
        return descriptor
    }

    /// The largest datagram a media socket reads whole and sends from a batch's slot; media
    /// packets are far smaller.
    static let largestDatagram = 2048

    /// The socket buffers a shared WebRTC socket asks for: a burst of a loop's legs' packets must
    /// fit while the loop is busy.
    public static let sharedSocketBuffer = 4 << 20

    public func shutdown() async throws {
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
