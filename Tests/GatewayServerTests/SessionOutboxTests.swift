import NIOCore
import NIOPosix
import Synchronization
import Testing

@testable import GatewayServer

/// `SessionOutbox`: a session's frames written in order by a writer task that exists only while
/// there is something to write; a close is the last frame; a peer that stops reading is given up.
@Suite struct SessionOutboxTests {
    /// What a fake connection was given, and a gate that holds its writes back.
    final class Connection: Sendable {
        struct State {
            var written: [String] = []
            var blocked = false
            var waiting: [CheckedContinuation<Void, any Error>] = []
            var failAfter: Int?
            var cancelled = 0
        }
        let state = Mutex(State())

        var written: [String] { state.withLock { $0.written } }
        var cancelled: Int { state.withLock { $0.cancelled } }

        func block() { state.withLock { $0.blocked = true } }

        func unblock() {
            let waiting = state.withLock { state in
                state.blocked = false
                defer { state.waiting = [] }
                return state.waiting
            }
            for continuation in waiting { continuation.resume() }
        }

        func failAfter(_ count: Int) { state.withLock { $0.failAfter = count } }

        func write(_ frame: Outgoing) async throws {
            let blocked = state.withLock { $0.blocked }
            if blocked {
                // Held until unblocked, or until the writer task is cancelled (as NIO's writer is).
                try await withTaskCancellationHandler {
                    try await withCheckedThrowingContinuation { continuation in
                        let stillBlocked = state.withLock { state in
                            if state.blocked { state.waiting.append(continuation) }
                            return state.blocked
                        }
                        if !stillBlocked { continuation.resume() }
                    }
                } onCancel: {
                    let waiting = state.withLock { state in
                        state.cancelled += 1
                        defer { state.waiting = [] }
                        return state.waiting
                    }
                    for continuation in waiting { continuation.resume(throwing: CancellationError()) }
                }
            }
            try state.withLock { state in
                if let limit = state.failAfter, state.written.count >= limit { throw ChannelError.ioOnClosedChannel }
                switch frame {
                case .text(let text): state.written.append(text)
                case .close(let code, let reason): state.written.append("close \(code) \(reason)")
                }
            }
        }
    }

    final class Flag: Sendable {
        private let count = Mutex(0)
        func raise() { count.withLock { $0 += 1 } }
        var raised: Int { count.withLock { $0 } }
    }

    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    func outbox(_ connection: Connection) -> SessionOutbox {
        SessionOutbox(executor: EventLoopTaskExecutor(group.next())) { try await connection.write($0) }
    }

    /// An outbox over a fake connection, and a flag raised each time it tells the connection it ended.
    func watchedOutbox() -> (Connection, SessionOutbox, Flag) {
        let connection = Connection()
        let outbox = outbox(connection)
        let ended = Flag()
        outbox.onEnd { ended.raise() }
        return (connection, outbox, ended)
    }

    @Test func framesGoOutInOrderAndNoWriterStaysWhenThereIsNothingToWrite() async throws {
        let connection = Connection()
        let outbox = outbox(connection)
        #expect(!outbox.isWriting)
        let sent = (0..<2_000).map { "frame \($0)" }
        // In runs of 200 (under the outbox's capacity): each run starts a writer, or finds one running.
        for (index, text) in sent.enumerated() {
            outbox.send(text)
            if index % 200 == 199 {
                while outbox.isWriting { await Task.yield() }
            }
        }
        let ended = Flag()
        outbox.onEnd { ended.raise() }
        await outbox.drain(within: .seconds(30))
        #expect(connection.written.count == sent.count)
        #expect(connection.written.elementsEqual(sent))
        #expect(!outbox.isWriting)
        #expect(ended.raised == 1)
        outbox.send("after the end")
        #expect(connection.written.count == sent.count)
        try await group.shutdownGracefully()
    }

    @Test func anIdleOutboxHasNoWriterTask() async throws {
        let connection = Connection()
        let outbox = outbox(connection)
        connection.block()
        outbox.send("one")
        #expect(outbox.isWriting)
        connection.unblock()
        // The writer ends by itself once the frame is out; nothing here waits on a timer.
        while outbox.isWriting { await Task.yield() }
        #expect(connection.written == ["one"])
        outbox.send("two")
        await outbox.drain(within: .seconds(30))
        #expect(connection.written == ["one", "two"])
        try await group.shutdownGracefully()
    }

    @Test func aCloseIsTheLastFrameAndEndsTheSession() async throws {
        let (connection, outbox, ended) = watchedOutbox()
        connection.block()
        outbox.send("before")
        outbox.close(code: 1008, reason: "message rate limit exceeded")
        outbox.send("after")
        outbox.close(code: 1001, reason: "again")
        connection.unblock()
        await outbox.drain(within: .seconds(30))
        #expect(connection.written == ["before", "close 1008 message rate limit exceeded"])
        #expect(ended.raised == 1)
        // Told at once when it has already ended.
        outbox.onEnd { ended.raise() }
        #expect(ended.raised == 2)
        try await group.shutdownGracefully()
    }

    @Test func aFailedWriteEndsTheSessionAndDropsTheRest() async throws {
        let (connection, outbox, ended) = watchedOutbox()
        connection.failAfter(2)
        connection.block()
        for index in 0..<5 { outbox.send("frame \(index)") }
        connection.unblock()
        await outbox.drain(within: .seconds(30))
        #expect(connection.written == ["frame 0", "frame 1"])
        #expect(ended.raised == 1)
        #expect(!outbox.isWriting)
        try await group.shutdownGracefully()
    }

    /// A peer that stops reading: the drain gives up after its limit, cancels the writer and
    /// ends the session; what was still queued is not written.
    @Test func aPeerThatStopsReadingIsGivenUp() async throws {
        let (connection, outbox, ended) = watchedOutbox()
        connection.block()
        outbox.send("stuck")
        while connection.state.withLock({ $0.waiting.isEmpty }) { await Task.yield() }
        outbox.send("queued")
        await outbox.drain(within: .milliseconds(20))
        #expect(ended.raised == 1)
        while connection.cancelled == 0 { await Task.yield() }
        connection.unblock()
        #expect(connection.written.isEmpty)
        try await group.shutdownGracefully()
    }

    /// Frames beyond `capacity` waiting drop the oldest; the one being written is not counted.
    @Test func aClientThatFallsBehindLosesTheOldestFrames() async throws {
        let connection = Connection()
        let outbox = outbox(connection)
        connection.block()
        outbox.send("first")
        while !outbox.isWriting { await Task.yield() }
        // Let the writer take "first" and wait in its write.
        while connection.state.withLock({ $0.waiting.isEmpty }) { await Task.yield() }
        let more = (0..<1_000).map { "frame \($0)" }
        for text in more { outbox.send(text) }
        connection.unblock()
        await outbox.drain(within: .seconds(30))
        #expect(connection.written.count == 1 + SessionOutbox.capacity)
        #expect(connection.written.elementsEqual(["first"] + more.suffix(SessionOutbox.capacity)))
        try await group.shutdownGracefully()
    }
}
