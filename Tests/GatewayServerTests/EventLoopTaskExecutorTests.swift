import NIOCore
import NIOPosix
import Testing

@testable import GatewayServer

@Suite struct EventLoopTaskExecutorTests {
    /// A signaling session's tasks prefer their connection's event loop: the task, its child
    /// tasks and what follows each suspension all run there.
    @Test func aTaskAndItsChildrenRunOnTheLoopTheyPrefer() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let loop = group.next()
        #expect(!loop.inEventLoop)
        let seen = await withTaskExecutorPreference(EventLoopTaskExecutor(loop)) {
            var seen = [loop.inEventLoop]
            seen.append(
                await withTaskGroup(of: Bool.self) { children in
                    children.addTask { loop.inEventLoop }
                    return await children.next() ?? false
                })
            await Task.yield()
            seen.append(loop.inEventLoop)
            return seen
        }
        #expect(seen == [true, true, true])
        #expect(!loop.inEventLoop)
        try await group.shutdownGracefully()
    }
}
