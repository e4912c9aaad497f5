import Hummingbird
import HummingbirdCore
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// How many HTTP and WebSocket connections the gateway holds at once.
///
/// Every connection takes a file descriptor, and a process that runs out of them dies: the
/// dispatch runtime traps when it cannot open `/proc` to watch its threads. So connections are
/// capped below the descriptor limit, leaving room for what calls need (`reserve`). Up to
/// `maximum` connections are served (signaling sessions hold a place each; a REST request is
/// served while no more than `maximum` connections are open); the next `refusalHeadroom` are
/// accepted only to be refused (REST: 503 with Infobip's error envelope; signaling: close 1013
/// after the upgrade) and closed; beyond those the gateway stops accepting until a connection
/// closes (the kernel holds new ones in the listen backlog).
public final class ConnectionLimit: Sendable {
    /// Connections served at once.
    public let maximum: Int
    /// Connections over `maximum` accepted only to be refused.
    public static let refusalHeadroom = 64
    /// Descriptors kept for everything but HTTP connections: media sockets for every call the
    /// gateway may carry (a customer, an agent and room for a transfer, a supervisor or recording
    /// files: 4 a call), and the store, SIP, logs and the runtime (256).
    public static func reserve(maxCalls: Int) -> Int { 4 * maxCalls + 256 }

    private let open = Atomic<Int>(0)
    private let sessions = Atomic<Int>(0)

    /// The process's file-descriptor limit the maximum was derived from (0 when not given).
    public let descriptorLimit: Int

    public init(maximum: Int, descriptorLimit: Int = 0) {
        self.maximum = maximum
        self.descriptorLimit = descriptorLimit
    }

    /// Connections open now.
    public var current: Int { open.load(ordering: .relaxed) }
    /// Whether new REST requests are refused now.
    public var isOver: Bool { current > maximum }

    /// Takes one of the `maximum` places for a signaling session; false when all are taken.
    /// Counted apart from connections, which include refused ones still closing: a burst of
    /// sockets gets exactly the places that are free.
    public func admitSession() -> Bool {
        var held = sessions.load(ordering: .relaxed)
        while held < maximum {
            let (exchanged, found) = sessions.compareExchange(
                expected: held, desired: held + 1, ordering: .relaxed)
            if exchanged { return true }
            held = found
        }
        return false
    }

    /// Gives back a session's place.
    public func endSession() { sessions.subtract(1, ordering: .relaxed) }

    /// What Hummingbird asks when a connection opens, closes, and whether to accept another.
    public var delegate: any AvailableConnectionsDelegate { Counter(limit: self) }

    /// The 503 a request gets while the gateway is over its maximum.
    func refusal(path: String) -> Response {
        let error = APIError(
            .serviceUnavailable, "SERVICE_UNAVAILABLE",
            "The gateway holds its maximum of \(maximum) connections; try again later.")
        var response = error.response(style: ErrorStyle.forPath(path), headers: [.retryAfter: "5"])
        response.headers[.connection] = "close"
        return response
    }

    private struct Counter: AvailableConnectionsDelegate {
        let limit: ConnectionLimit
        func connectionOpened() { limit.open.add(1, ordering: .relaxed) }
        func connectionClosed() { limit.open.subtract(1, ordering: .relaxed) }
        func isAcceptingNewConnections() -> Bool {
            limit.open.load(ordering: .relaxed) < limit.maximum + ConnectionLimit.refusalHeadroom
        }
    }

    /// The process's file-descriptor limit, after raising its soft value to the hard one (as
    /// far as the kernel allows an unprivileged process).
    public static func raiseDescriptorLimit() -> Int {
        var limits = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limits) == 0 else { return 1024 }
        if limits.rlim_cur < limits.rlim_max {
            var raised = limits
            raised.rlim_cur = limits.rlim_max
            if setrlimit(Int32(RLIMIT_NOFILE.rawValue), &raised) == 0 { limits = raised }
        }
        return Int(min(limits.rlim_cur, rlim_t(Int32.max)))
    }
}

/// Answers 503 while the gateway holds more connections than it serves (see `ConnectionLimit`).
struct ConnectionLimitMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let limit: ConnectionLimit
    let metrics: GatewayMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        if limit.isOver {
            metrics.connectionRefused()
            return limit.refusal(path: request.uri.path)
        }
        return try await next(request, context)
    }
}
