import CDatagramBatch
import Foundation
import Glibc
import NIOCore
import Synchronization

/// One thread of the media plane: an event loop of its own over epoll, which reads its UDP
/// sockets itself (`recvmmsg` into preallocated slots, `watch`) and runs tasks and timers like
/// any NIO `EventLoop`, so that legs, tickers, futures and promises work on it as on NIO's.
///
/// NIO's loops read a datagram socket through a channel: for every datagram a boxed
/// `SocketAddress` with the address's text, and the pipeline's retains on the channel's objects,
/// which a trunk leg's socket (one datagram per wake-up) pays for each packet. Here a ready
/// socket's datagrams go from the read slots straight to its receiver, with their sources as
/// bytes: nothing is allocated per datagram.
///
/// `@unchecked Sendable`: what other threads touch (`queue`) is behind a mutex; the timers,
/// watched sockets, read slots and arrival times are read and written only on the loop's thread
/// (the public calls that touch them check `inEventLoop` or hop there); `thread` is written once
/// in `init` before the loop is shared, and the descriptors are constants closed when the thread
/// ends.
public final class MediaLoop: EventLoop, @unchecked Sendable {
    /// Tasks from any thread, and whether the loop is to stop.
    private let queue = Mutex(Queue())
    private struct Queue {
        var tasks: [@Sendable () -> Void] = []
        var stopping = false
        var stopped = false
    }
    /// The tasks the loop runs now: swapped with the queue's under its lock, so neither array
    /// is allocated again.
    private var running: [@Sendable () -> Void] = []
    let epoll: CInt
    /// Written when a task comes from another thread to an empty queue: wakes the loop.
    private let wake: CInt
    private var thread = pthread_t()
    var timers = TimerHeap()
    /// The sockets watched, by the slot in their epoll data (`MediaLoop+Sockets`).
    var sockets = WatchedSockets()
    /// Where every watched socket's datagrams are read, one socket at a time.
    let inbox: OpaquePointer
    /// Where the loop counts how long its sockets' datagrams waited until handled; nil: not counted.
    let relayDelay: RelayDelayHistogram?
    /// The kernel's receive times of the datagrams one wake-up read from one socket (ns), and
    /// per bucket how many of them a wake-up counts (`MediaLoop+Sockets`).
    let arrivals = UnsafeMutableBufferPointer<Int64>.allocate(capacity: 512)
    var arrivalCount = 0
    let delayCounts = UnsafeMutableBufferPointer<Int>.allocate(capacity: RelayDelayHistogram.bounds.count + 1)
    /// Resumed when the thread ended.
    private let ended = DispatchSemaphore(value: 0)
    private static let wakeToken = UInt64.max

    /// Datagrams read per `recvmmsg`.
    static let readSlots = 32

    /// A loop on a new thread named `name`; it counts its datagrams' delays in `relayDelay` for
    /// the sockets that ask the kernel for receive times (`datagram_receive_timestamps`).
    public init(name: String, relayDelay: RelayDelayHistogram? = nil) {
        self.relayDelay = relayDelay
        delayCounts.initialize(repeating: 0)
        epoll = epoll_create1(CInt(EPOLL_CLOEXEC))
        wake = datagram_poll_wake_create()
        guard epoll >= 0, wake >= 0,
            let inbox = datagram_inbox_create(UInt32(Self.readSlots), UInt32(MediaEngine.largestDatagram))
        else { fatalError("a media loop needs an epoll instance, an eventfd and its read slots (errno \(errno))") }
        self.inbox = inbox
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = Self.wakeToken
        precondition(epoll_ctl(epoll, EPOLL_CTL_ADD, wake, &event) == 0, "epoll_ctl on the loop's eventfd")
        // The thread waits for `go`: it must not run before `thread` holds its id.
        let go = DispatchSemaphore(value: 0)
        let box = Unmanaged.passRetained(StartBox(loop: self, name: name, go: go))
        let created = pthread_create(
            &thread, nil,
            { argument in
                let box = Unmanaged<StartBox>.fromOpaque(argument!).takeRetainedValue()
                datagram_poll_name_thread(box.name)
                box.go.wait()
                box.loop.run()
                return nil
            }, box.toOpaque())
        precondition(created == 0, "pthread_create for a media loop: \(created)")
        pthread_detach(thread)
        go.signal()
    }

    private final class StartBox {
        let loop: MediaLoop
        let name: String
        let go: DispatchSemaphore
        init(loop: MediaLoop, name: String, go: DispatchSemaphore) {
            (self.loop, self.name, self.go) = (loop, name, go)
        }
    }

    deinit {
        datagram_inbox_destroy(inbox)
        arrivals.deallocate()
        delayCounts.deallocate()
    }

    public var inEventLoop: Bool { pthread_equal(pthread_self(), thread) != 0 }

    public func execute(_ task: @escaping @Sendable () -> Void) {
        let (accepted, wakeUp) = queue.withLock { queue -> (Bool, Bool) in
            guard !queue.stopped else { return (false, false) }
            queue.tasks.append(task)
            return (true, queue.tasks.count == 1)
        }
        guard accepted else {
            print("MediaLoop: a task came after the loop stopped; it does not run")
            return
        }
        // The loop looks at its queue before it waits: only a task from elsewhere must wake it.
        if wakeUp, !inEventLoop {
            var one: UInt64 = 1
            _ = Glibc.write(wake, &one, 8)
        }
    }

    public func scheduleTask<T>(deadline: NIODeadline, _ task: @escaping @Sendable () throws -> T) -> Scheduled<T> {
        let promise = makePromise(of: T.self)
        let timer = Timer(deadline: deadline) {
            // On the loop: the value stays there, Sendable or not.
            do { promise.assumeIsolatedUnsafeUnchecked().succeed(try task()) } catch { promise.fail(error) }
        } fail: {
            promise.fail($0)
        }
        if inEventLoop {
            timers.insert(timer)
        } else {
            execute { [self] in timers.insert(timer) }
        }
        return Scheduled(promise: promise) { [self] in
            // `Scheduled.cancel` failed the promise already; the timer must not run.
            if inEventLoop {
                timers.cancel(timer)
            } else {
                execute { [self] in timers.cancel(timer) }
            }
        }
    }

    public func scheduleTask<T>(in delay: TimeAmount, _ task: @escaping @Sendable () throws -> T) -> Scheduled<T> {
        scheduleTask(deadline: .now() + delay, task)
    }

    public func shutdownGracefully(
        queue callbackQueue: DispatchQueue, _ callback: @escaping @Sendable ((any Error)?) -> Void
    ) {
        let first = queue.withLock { queue in
            defer { queue.stopping = true }
            return !queue.stopping
        }
        if first {
            var one: UInt64 = 1
            _ = Glibc.write(wake, &one, 8)
        }
        let ended = ended
        DispatchQueue.global().async {
            ended.wait()
            ended.signal()
            callbackQueue.async { callback(nil) }
        }
    }

    /// Runs until `shutdownGracefully`: the sockets' datagrams, the timers that are due, then the
    /// tasks queued; then waits for the next of these.
    private func run() {
        let capacity = 64
        let events = UnsafeMutablePointer<epoll_event>.allocate(capacity: capacity)
        defer { events.deallocate() }
        while true {
            // At most as many as were waiting: a timer that sets another for now cannot keep the
            // loop from its sockets and tasks.
            let now = NIODeadline.now()
            var due = timers.count
            while due > 0, let timer = timers.popDue(now: now) {
                timer.run()
                due -= 1
            }
            let (pending, stopping) = queue.withLock { queue in
                swap(&queue.tasks, &running)
                return (!running.isEmpty, queue.stopping)
            }
            for task in running { task() }
            running.removeAll(keepingCapacity: true)
            if stopping, !pending { break }
            let waiting = queue.withLock { !$0.tasks.isEmpty }
            let timeout: Int64 =
                pending || waiting
                ? 0
                : timers.next.map { max(0, Int64($0.uptimeNanoseconds) - Int64(NIODeadline.now().uptimeNanoseconds)) }
                    ?? -1
            let count = Int(datagram_poll_wait(epoll, events, CInt(capacity), timeout))
            for index in 0..<max(0, count) {
                let token = events[index].data.u64
                if token == Self.wakeToken {
                    var value: UInt64 = 0
                    _ = Glibc.read(wake, &value, 8)
                } else {
                    readable(token)
                }
            }
        }
        stop()
    }

    /// Fails what is scheduled, closes what is watched, and ends the thread's life as a loop.
    private func stop() {
        let left = queue.withLock { queue in
            queue.stopped = true
            defer { queue.tasks = [] }
            return queue.tasks
        }
        for task in left { task() }
        for timer in timers.removeAll() { timer.fail(EventLoopError.shutdown) }
        unwatchAll()
        Glibc.close(epoll)
        Glibc.close(wake)
        ended.signal()
    }
}

extension MediaLoop: NIOSerialEventLoopExecutor {}
