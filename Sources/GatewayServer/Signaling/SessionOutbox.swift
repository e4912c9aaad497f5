import NIOCore
import Synchronization

/// What a session's outbox holds: a text frame, or a close.
enum Outgoing: Sendable {
    case text(String)
    case close(code: UInt16, reason: String)
}

/// A signaling session's frames on their way out, written in order by a task that exists only
/// while there is something to write. A connection's long-lived tasks each hold their async
/// frames' memory for as long as the connection stays open (see docs/performance.md, "Memory
/// per connection"); most sessions write a few frames a minute, so a writer task of their own
/// would cost every idle agent its stack.
///
/// A close ends the outbox: it is the last frame written, and the connection is told (`onEnd`)
/// so that its reader stops. A write that fails ends it too.
final class SessionOutbox: Sendable {
    /// Frames waiting beyond this many drop the oldest (a client that stopped reading).
    static let capacity = 512

    private struct State {
        var waiting: [Outgoing] = []
        /// A writer task runs (it clears this when it finds nothing more to write).
        var writer: Task<Void, Never>?
        /// No more frames are taken: a close was queued, or the session ended.
        var finished = false
        /// Nothing more will be written: the close went out, a write failed, or `drain` gave up.
        var ended = false
        var onEnd: (@Sendable () -> Void)?
        var drained: CheckedContinuation<Void, Never>?
        var drainDeadline: Scheduled<Void>?
    }

    private let state = Mutex(State())
    private let executor: EventLoopTaskExecutor
    private let writeFrame: @Sendable (Outgoing) async throws -> Void

    /// - Parameters:
    ///   - executor: where the writer task runs (the connection's event loop).
    ///   - write: writes one frame to the connection; throws when it cannot.
    init(executor: EventLoopTaskExecutor, write: @escaping @Sendable (Outgoing) async throws -> Void) {
        self.executor = executor
        self.writeFrame = write
    }

    /// A writer task runs (tests).
    var isWriting: Bool { state.withLock { $0.writer != nil } }

    /// Queues a text frame; ignored once the outbox is finished.
    func send(_ text: String) {
        enqueue(.text(text), finishing: false)
    }

    /// Queues a close frame, the last the session sends.
    func close(code: UInt16, reason: String) {
        enqueue(.close(code: code, reason: reason), finishing: true)
    }

    /// Takes no more frames; those queued are still written.
    func finish() {
        let ended = state.withLock { state -> (@Sendable () -> Void)? in
            state.finished = true
            return state.writer == nil ? end(&state) : nil
        }
        ended?()
    }

    /// Calls `action` when the outbox ends (at once if it has).
    func onEnd(_ action: @escaping @Sendable () -> Void) {
        let now = state.withLock { state -> Bool in
            guard !state.ended else { return true }
            state.onEnd = action
            return false
        }
        if now { action() }
    }

    /// Finishes the outbox and waits until what it holds is written, for at most `limit`: a
    /// peer that stops reading cannot hold the connection open longer. Then the writer, if
    /// still waiting to write, is cancelled.
    func drain(within limit: Duration) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let ended = state.withLock { state -> (@Sendable () -> Void)? in
                state.finished = true
                guard state.writer != nil, !state.ended else {
                    let ended = state.ended ? nil : end(&state)
                    continuation.resume()
                    return ended
                }
                state.drained = continuation
                state.drainDeadline = executor.eventLoop.scheduleTask(in: TimeAmount(limit)) {
                    self.giveUp()
                }
                return nil
            }
            ended?()
        }
    }

    private func giveUp() {
        let (writer, ended) = state.withLock { state in (state.writer, state.ended ? nil : end(&state)) }
        writer?.cancel()
        ended?()
    }

    private func enqueue(_ item: Outgoing, finishing: Bool) {
        state.withLock { state in
            guard !state.finished else { return }
            if state.waiting.count >= Self.capacity { state.waiting.removeFirst() }
            state.waiting.append(item)
            state.finished = finishing
            if state.writer == nil {
                state.writer = Task(executorPreference: executor) { await self.write() }
            }
        }
    }

    /// The writer task: writes what waits, in order, until nothing does.
    private func write() async {
        while true {
            let (batch, ended) = state.withLock { state -> ([Outgoing], (@Sendable () -> Void)?) in
                guard !state.waiting.isEmpty else {
                    state.writer = nil
                    return ([], state.finished ? end(&state) : nil)
                }
                defer { state.waiting = [] }
                return (state.waiting, nil)
            }
            guard !batch.isEmpty else {
                ended?()
                return
            }
            for item in batch {
                // `drain` gave up on this writer: what is left is not written.
                if state.withLock({ $0.ended }) { return }
                do {
                    try await writeFrame(item)
                } catch {
                    state.withLock { end(&$0) }()
                    return
                }
                if case .close = item {
                    state.withLock { end(&$0) }()
                    return
                }
            }
        }
    }

    /// Marks the outbox ended and returns what must run outside the lock: the connection's
    /// `onEnd` and a `drain` waiting for it.
    private func end(_ state: inout State) -> @Sendable () -> Void {
        state.ended = true
        state.finished = true
        state.waiting = []
        state.writer = nil
        let (onEnd, drained, deadline) = (state.onEnd, state.drained, state.drainDeadline)
        state.onEnd = nil
        state.drained = nil
        state.drainDeadline = nil
        return {
            deadline?.cancel()
            onEnd?()
            drained?.resume()
        }
    }
}
