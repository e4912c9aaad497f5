import Glibc
import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import Media

/// The media plane's own event loop: tasks from any thread run on it in order, timers in deadline
/// order and not once cancelled, what is scheduled fails at shutdown, and its sockets' datagrams
/// reach their receivers, with nothing more once a receiver stopped watching.
@Suite struct MediaLoopTests {
    @Test func tasksFromOtherThreadsRunOnTheLoopInOrder() async throws {
        let loop = MediaLoop(name: "test-tasks")
        let seen = Mutex<[Int]>([])
        #expect(!loop.inEventLoop)
        for index in 0..<1000 {
            loop.execute {
                precondition(loop.inEventLoop)
                seen.withLock { $0.append(index) }
            }
        }
        let onLoop = try await loop.submit { loop.inEventLoop }.get()
        #expect(onLoop)
        #expect(seen.withLock { $0 } == Array(0..<1000))
        try await loop.shutdownGracefully()
    }

    @Test func timersRunByDeadlineAndACancelledOneDoesNot() async throws {
        let loop = MediaLoop(name: "test-timers")
        let order = Mutex<[String]>([])
        let start = NIODeadline.now()
        let late = loop.scheduleTask(deadline: start + .milliseconds(30)) { order.withLock { $0.append("30") } }
        let early = loop.scheduleTask(deadline: start + .milliseconds(10)) { order.withLock { $0.append("10") } }
        let cancelled = loop.scheduleTask(deadline: start + .milliseconds(20)) { order.withLock { $0.append("20") } }
        let sameDeadline = loop.scheduleTask(deadline: start + .milliseconds(30)) {
            order.withLock { $0.append("30 again") }
        }
        cancelled.cancel()
        try await early.futureResult.get()
        try await late.futureResult.get()
        try await sameDeadline.futureResult.get()
        #expect(NIODeadline.now() >= start + .milliseconds(30))
        #expect(order.withLock { $0 } == ["10", "30", "30 again"])
        await #expect(throws: EventLoopError.cancelled) { try await cancelled.futureResult.get() }
        try await loop.shutdownGracefully()
    }

    /// Thousands of timers cancelled on the loop (as legs' timers are) are dropped from its heap.
    @Test func cancelledTimersDoNotPileUp() async throws {
        let loop = MediaLoop(name: "test-cancel")
        let waiting = try await loop.submit { () -> Int in
            for _ in 0..<5000 {
                loop.scheduleTask(in: .seconds(60)) {}.cancel()
            }
            return loop.timers.count
        }.get()
        #expect(waiting <= 130, "\(waiting) timers left in the heap")
        try await loop.shutdownGracefully()
    }

    @Test func whatIsScheduledFailsAtShutdown() async throws {
        let loop = MediaLoop(name: "test-shutdown")
        let ran = Atomic<Bool>(false)
        let pending = loop.scheduleTask(in: .seconds(60)) { ran.store(true, ordering: .relaxed) }
        // Followed on a loop that stays up: a callback added to a stopped loop's future never runs.
        let outcome = MultiThreadedEventLoopGroup.singleton.next().makePromise(of: Void.self)
        pending.futureResult.cascade(to: outcome)
        try await loop.submit {}.get()
        try await loop.shutdownGracefully()
        await #expect(throws: EventLoopError.shutdown) { try await outcome.futureResult.get() }
        let didRun = ran.load(ordering: .relaxed)
        #expect(!didRun)
    }

    @Test func aWatchedSocketsDatagramsReachItsReceiverUntilItStopsWatching() async throws {
        let loop = MediaLoop(name: "test-socket")
        let descriptor = try MediaSocketDescriptor.boundUDP(try SocketAddress(ipAddress: "127.0.0.1", port: 0))
        let port = Self.port(of: descriptor)
        let receiver = CountingReceiver()
        try await loop.submit {
            receiver.loop = loop
            receiver.token = try loop.watch(descriptor, receiver: receiver)
        }.get()

        let sender = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let to = try SocketAddress(ipAddress: "127.0.0.1", port: port)
        for byte in Array(0..<100) + [255] + Array(100..<110) {
            try await sender.writeAndFlush(AddressedEnvelope(remoteAddress: to, data: ByteBuffer(bytes: [UInt8(byte)])))
                .get()
        }
        try await receiver.stopped.futureResult.get()
        let (bytes, sources, completions) = try await loop.submit {
            (receiver.bytes, receiver.sources, receiver.readsCompleted)
        }.get()
        #expect(
            bytes == (0..<100).map(UInt8.init) + [255],
            "every datagram, in order, up to the one that stopped it, and none after")
        #expect(Set(sources).count == 1 && sources.first??.port == UInt16(sender.localAddress!.port!).bigEndian)
        #expect(completions >= 1)

        // Unwatched, the socket was closed: its port is free again.
        let rebound = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: port).get()
        try await rebound.close()
        try await sender.close()
        try await loop.shutdownGracefully()
    }

    static func port(of descriptor: CInt) -> Int {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Keeps what a socket hands over; unwatches its socket at the datagram 255, in the middle of
    /// a wake-up's reads. On the loop.
    final class CountingReceiver: DatagramReceiver, @unchecked Sendable {
        var loop: MediaLoop?
        var token: MediaLoop.SocketToken?
        var bytes: [UInt8] = []
        var sources: [DatagramSource?] = []
        var readsCompleted = 0
        let stopped: EventLoopPromise<Void> = MultiThreadedEventLoopGroup.singleton.next().makePromise()

        func receive(_ datagram: UnsafeRawBufferPointer, from source: DatagramSource?) {
            bytes.append(contentsOf: datagram)
            sources.append(source)
            if datagram.first == 255, let loop, let token {
                loop.unwatch(token)
                stopped.succeed()
            }
        }

        func readComplete() { readsCompleted += 1 }
    }
}
