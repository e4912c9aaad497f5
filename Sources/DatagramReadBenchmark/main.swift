// What reading a datagram costs a media loop when every call has a socket of its own (a trunk
// leg's RTP), through NIO (a `DatagramChannel` per socket, set up as the engine sets up a trunk
// leg's) against a plain epoll loop over the same sockets (the baseline). One thread reads, pinned
// to CPU 0; a pump thread on CPU 1 sends each socket 50 datagrams a second (a call's RTP), spread
// over 20 phases of 1 ms, in `sendmmsg` batches. The figure is the reading thread's CPU time
// (`pthread_getcpuclockid`) per datagram it read, over the window; the loopback delivery is the
// pump's. The two alternate, each round on fresh sockets. (It measured what moved the gateway's
// media sockets off NIO: since 2026-12-06 the media loops read them as the baseline does,
// `MediaLoop`, with `recvmmsg`.) Each round then reads as a media loop does, without and with each
// datagram's arrival time (`SO_TIMESTAMPNS`, for `gateway_media_relay_delay_seconds`).
//
//   swift build -c release --product datagram-read-benchmark
//   .build/release/datagram-read-benchmark [seconds] [sockets] [rounds]     # 10 400 3
import CDatagramBatch
import CallBenchmarkSupport
import Foundation
import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

let arguments = CommandLine.arguments.dropFirst().map { Int($0) }
guard arguments.count <= 3, arguments.allSatisfy({ ($0 ?? 0) > 0 }) else {
    FileHandle.standardError.write(Data("usage: datagram-read-benchmark [seconds] [sockets] [rounds]\n".utf8))
    exit(1)
}
let seconds = arguments.count > 0 ? arguments[0]! : 10
let socketCount = arguments.count > 1 ? arguments[1]! : 400
let rounds = arguments.count > 2 ? arguments[2]! : 3
let datagramSize = 172  // 12 bytes of RTP header and 20 ms of G.711

/// `count` non-blocking UDP sockets bound to ephemeral ports of 127.0.0.1, with their addresses.
func boundSockets(_ count: Int) -> [(fd: CInt, address: sockaddr_in)] {
    (0..<count).map { _ in
        let fd = socket(AF_INET, CInt(SOCK_DGRAM.rawValue) | CInt(SOCK_NONBLOCK.rawValue), 0)
        precondition(fd >= 0, "socket: \(errno)")
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                precondition(bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0, "bind: \(errno)")
            }
        }
        return (fd, address)
    }
}

/// Sends every socket of `targets` a datagram each 20 ms, one twentieth of them each millisecond,
/// until `stop`; pinned to CPU 1.
final class Pump: Sendable {
    let stop = Atomic<Bool>(false)
    let done = Atomic<Bool>(false)

    func run(_ targets: [sockaddr_in]) {
        Thread.detachNewThread { [self] in
            pinCallingThread(toCPU: 1)
            let fd = socket(AF_INET, CInt(SOCK_DGRAM.rawValue), 0)
            let batch = datagram_batch_create(256, 2048)!
            let payload = [UInt8](repeating: 0x80, count: datagramSize)
            var next = timespec()
            clock_gettime(CLOCK_MONOTONIC, &next)
            var phase = 0
            while !stop.load(ordering: .relaxed) {
                for index in stride(from: phase, to: targets.count, by: 20) {
                    var target = targets[index]
                    let add = {
                        payload.withUnsafeBytes { bytes in
                            withUnsafePointer(to: &target) {
                                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                                    datagram_batch_add(
                                        batch, bytes.baseAddress, bytes.count, $0,
                                        socklen_t(MemoryLayout<sockaddr_in>.size))
                                }
                            }
                        }
                    }
                    if add() == 0 {
                        datagram_batch_flush(batch, fd)
                        _ = add()
                    }
                }
                datagram_batch_flush(batch, fd)
                phase = (phase + 1) % 20
                next.tv_nsec += 1_000_000
                if next.tv_nsec >= 1_000_000_000 {
                    next.tv_nsec -= 1_000_000_000
                    next.tv_sec += 1
                }
                clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, nil)
            }
            datagram_batch_destroy(batch)
            close(fd)
            done.store(true, ordering: .releasing)
        }
    }

    func finish() {
        stop.store(true, ordering: .relaxed)
        while !done.load(ordering: .acquiring) { usleep(1000) }
    }
}

/// The CPU time of thread `thread` so far, in seconds.
func cpuSeconds(of thread: pthread_t) -> Double {
    var clock = clockid_t()
    guard pthread_getcpuclockid(thread, &clock) == 0 else { return .nan }
    var time = timespec()
    clock_gettime(clock, &time)
    return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
}

/// Counts what one NIO channel reads (all of them share the counter, on their one loop).
final class CountingHandler: ChannelInboundHandler, Sendable {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    let counter: Counter
    init(_ counter: Counter) { self.counter = counter }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = unwrapInboundIn(data)
        if envelope.data.readableBytes > 0 { counter.datagrams.add(1, ordering: .relaxed) }
    }
}

/// Datagrams read, counted by the reading thread and read by the main one.
final class Counter: Sendable {
    let datagrams = Atomic<Int>(0)
}

/// What one reader used over a window: its CPU time and the datagrams it read.
struct ReadFigures {
    var datagrams: Int
    var cpu: Double
    var microsecondsPerDatagram: Double { cpu / Double(max(1, datagrams)) * 1e6 }
}

/// Reads `sockets` through NIO, one `DatagramChannel` each as a trunk leg's, for `seconds`.
func throughNIO(_ sockets: [(fd: CInt, address: sockaddr_in)]) async throws -> ReadFigures {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    let loop = group.next()
    let thread = try await loop.submit {
        pinCallingThread(toCPU: 0); return pthread_self()
    }.get()
    let counter = Counter()
    var channels: [any Channel] = []
    for socket in sockets {
        let channel = try await DatagramBootstrap(group: loop)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 2048))
            .channelOption(.maxMessagesPerRead, value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(CountingHandler(counter))
                }
            }
            .withBoundSocket(socket.fd).get()
        channels.append(channel)
    }
    let result = try await window(sockets, thread: thread, counter: counter)
    for channel in channels { try? await channel.close() }
    try await group.shutdownGracefully()
    return result
}

/// How the epoll loop reads a ready socket.
enum EpollRead {
    /// One `recvmsg`, as the NIO channels are set to.
    case recvmsg
    /// As a media loop reads (`MediaLoop`): `recvmmsg` of at most `limit` datagrams into a
    /// `datagram_inbox`; with `receiveTimes`, the sockets ask for each datagram's arrival time
    /// (`SO_TIMESTAMPNS`), which is read for each datagram, and the clock once per wake-up, as for
    /// the relay's delay.
    case inbox(limit: UInt32, receiveTimes: Bool)
}

/// Reads `sockets` with one epoll loop of its own (level-triggered), for `seconds`.
func throughEpoll(_ sockets: [(fd: CInt, address: sockaddr_in)], reading: EpollRead = .recvmsg) async throws
    -> ReadFigures
{
    let counter = Counter()
    let stop = Atomic<Bool>(false)
    let stopped = Atomic<Bool>(false)
    let started = Mutex<pthread_t?>(nil)
    let fds = sockets.map(\.fd)
    Thread.detachNewThread {
        pinCallingThread(toCPU: 0)
        started.withLock { $0 = pthread_self() }
        let epoll = epoll_create1(0)
        for (index, fd) in fds.enumerated() {
            var event = epoll_event()
            event.events = EPOLLIN.rawValue
            event.data.u64 = UInt64(index)
            epoll_ctl(epoll, EPOLL_CTL_ADD, fd, &event)
        }
        var events = [epoll_event](repeating: epoll_event(), count: 64)
        var buffer = [UInt8](repeating: 0, count: 2048)
        var source = sockaddr_storage()
        let inbox = datagram_inbox_create(32, 2048)!
        defer { datagram_inbox_destroy(inbox) }
        if case .inbox(_, receiveTimes: true) = reading {
            for fd in fds { precondition(datagram_receive_timestamps(fd) == 0, "SO_TIMESTAMPNS: \(errno)") }
        }
        var waited: Int64 = 0
        while !stop.load(ordering: .relaxed) {
            let ready = epoll_wait(epoll, &events, 64, 50)
            for event in events.prefix(Int(max(0, ready))) {
                if case .inbox(let limit, let receiveTimes) = reading {
                    let count = Int(datagram_inbox_receive(inbox, fds[Int(event.data.u64)], limit))
                    guard count > 0 else { continue }
                    counter.datagrams.add(count, ordering: .relaxed)
                    if receiveTimes {
                        let now = datagram_realtime_now()
                        for index in 0..<count { waited &+= now - datagram_inbox_received_at(inbox, UInt32(index)) }
                    }
                    continue
                }
                let received = buffer.withUnsafeMutableBytes { bytes in
                    withUnsafeMutablePointer(to: &source) { address in
                        var vector = iovec(iov_base: bytes.baseAddress, iov_len: bytes.count)
                        return withUnsafeMutablePointer(to: &vector) { vector in
                            var message = msghdr()
                            message.msg_name = UnsafeMutableRawPointer(address)
                            message.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
                            message.msg_iov = vector
                            message.msg_iovlen = 1
                            return recvmsg(fds[Int(event.data.u64)], &message, 0)
                        }
                    }
                }
                if received > 0 { counter.datagrams.add(1, ordering: .relaxed) }
            }
        }
        close(epoll)
        // Kept, so that reading the arrival times is not optimised away.
        if waited == 42 { print("") }
        stopped.store(true, ordering: .releasing)
    }
    var thread: pthread_t?
    while thread == nil {
        usleep(1000)
        thread = started.withLock { $0 }
    }
    let result = try await window(sockets, thread: thread!, counter: counter)
    stop.store(true, ordering: .relaxed)
    while !stopped.load(ordering: .acquiring) { usleep(1000) }
    for socket in sockets { close(socket.fd) }
    return result
}

/// Pumps into `sockets` for a second, then measures the reading `thread` and `counter` over
/// `seconds`, and stops the pump.
func window(_ sockets: [(fd: CInt, address: sockaddr_in)], thread: pthread_t, counter: Counter) async throws
    -> ReadFigures
{
    let pump = Pump()
    pump.run(sockets.map(\.address))
    try await Task.sleep(for: .seconds(1))
    let (read, cpu) = (counter.datagrams.load(ordering: .relaxed), cpuSeconds(of: thread))
    try await Task.sleep(for: .seconds(seconds))
    let result = ReadFigures(
        datagrams: counter.datagrams.load(ordering: .relaxed) - read, cpu: cpuSeconds(of: thread) - cpu)
    pump.finish()
    return result
}

print(
    "Reading \(socketCount) sockets at 50 datagrams a second each (\(socketCount * 50) a second), \(seconds) s windows")
for round in 1...rounds {
    let a = try await throughNIO(boundSockets(socketCount))
    let b = try await throughEpoll(boundSockets(socketCount))
    print(
        String(
            format: "  round %d: NIO %.2f µs per datagram (%d read), epoll %.2f µs (%d read): %.2f×", round,
            a.microsecondsPerDatagram, a.datagrams, b.microsecondsPerDatagram, b.datagrams,
            a.microsecondsPerDatagram / b.microsecondsPerDatagram))
    // As a media loop reads: a whole batch's slots, one (a trunk leg's socket), and one with
    // each datagram's arrival time (the relay's delay).
    let batch = try await throughEpoll(boundSockets(socketCount), reading: .inbox(limit: 32, receiveTimes: false))
    let plain = try await throughEpoll(boundSockets(socketCount), reading: .inbox(limit: 1, receiveTimes: false))
    let timed = try await throughEpoll(boundSockets(socketCount), reading: .inbox(limit: 1, receiveTimes: true))
    print(
        String(
            format:
                "           recvmmsg of up to 32: %.2f µs (%d read); of 1: %.2f µs (%d read), %.2f×; with arrival times: %.2f µs (%d read), %.2f×",
            batch.microsecondsPerDatagram, batch.datagrams, plain.microsecondsPerDatagram, plain.datagrams,
            plain.microsecondsPerDatagram / batch.microsecondsPerDatagram, timed.microsecondsPerDatagram,
            timed.datagrams,
            timed.microsecondsPerDatagram / plain.microsecondsPerDatagram))
}
