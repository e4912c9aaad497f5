import Foundation
import NIOCore
import Synchronization

/// The media plane's event loops (`MediaLoop`), one per usable CPU; `next` hands them out in turn.
public final class MediaLoopGroup: EventLoopGroup, Sendable {
    public let loops: [MediaLoop]
    private let cursor = Atomic<UInt>(0)

    /// `count` loops (at least one) on threads named media-0, media-1, …, counting their
    /// datagrams' delays in `relayDelay`.
    public init(count: Int, relayDelay: RelayDelayHistogram? = nil) {
        loops = (0..<max(1, count)).map { MediaLoop(name: "media-\($0)", relayDelay: relayDelay) }
    }

    public func next() -> any EventLoop {
        loops[Int(cursor.wrappingAdd(1, ordering: .relaxed).oldValue % UInt(loops.count))]
    }

    /// The current thread's loop when it is one of these, else the next.
    public func any() -> any EventLoop {
        loops.first { $0.inEventLoop } ?? next()
    }

    public func makeIterator() -> EventLoopIterator { EventLoopIterator(loops) }

    public func shutdownGracefully(queue: DispatchQueue, _ callback: @escaping @Sendable ((any Error)?) -> Void) {
        let group = DispatchGroup()
        for loop in loops {
            group.enter()
            loop.shutdownGracefully(queue: queue) { _ in group.leave() }
        }
        group.notify(queue: queue) { callback(nil) }
    }
}
