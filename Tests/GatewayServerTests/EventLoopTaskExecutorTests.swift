import NIOCore
import NIOPosix
import Testing

@testable import GatewayServer

@Suite struct EventLoopTaskExecutorTests {
    /// A signaling session's tasks prefer their connection's event loop: the sign-in's and the
    /// reader's child tasks, each message's child task within the reader, and what follows each
    /// suspension all run there; the connection's own task (Hummingbird's) does not.
    @Test func aSessionsTasksRunOnTheLoopTheyPrefer() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        #expect(!loop.inEventLoop)
        let seen = await SignalingEndpoint.inTaskOfItsOwn(preferring: EventLoopTaskExecutor(loop)) {
            var seen = [loop.inEventLoop]
            seen.append(await SignalingEndpoint.inTaskOfItsOwn { loop.inEventLoop })
            await Task.yield()
            seen.append(loop.inEventLoop)
            return seen
        }
        #expect(seen == [true, true, true])
        #expect(!loop.inEventLoop)
        #expect(await SignalingEndpoint.inTaskOfItsOwn { loop.inEventLoop } == false)
        try await group.shutdownGracefully()
    }
}
