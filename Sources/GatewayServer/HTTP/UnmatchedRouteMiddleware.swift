import ContactCenter
import HTTPTypes
import Hummingbird

/// Requests no route takes get Infobip's JSON error envelope instead of an empty 404: a path
/// that exists with other methods answers 405 with `Allow`, any other path 404 `Not found`,
/// each in the style of its path (`{status, message}` under `/ccaas/voice/` and `/ccca/`).
struct UnmatchedRouteMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    /// Each route's path segments (a `{parameter}` matches any one segment) and its method.
    let routes: [(segments: [Substring], method: HTTPRequest.Method)]

    init(endpoints: [Endpoint]) {
        routes = endpoints.map { ($0.path.split(separator: "/"), $0.method) }
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound && error.body == nil {
            let path = request.uri.path
            let style = ErrorStyle.forPath(path)
            let allowed = methods(for: path)
            guard !allowed.isEmpty else { return APIError.notFoundRoute.response(style: style) }
            var response = APIError(
                .methodNotAllowed, "METHOD_NOT_ALLOWED",
                "\(request.method.rawValue) is not supported on \(path); allowed: \(allowed.joined(separator: ", "))"
            ).response(style: style)
            response.headers[.allow] = allowed.joined(separator: ", ")
            return response
        }
    }

    /// The methods the routes matching `path` take, in a fixed order.
    func methods(for path: String) -> [String] {
        let segments = path.split(separator: "/")
        let methods = routes.filter { route in
            route.segments.count == segments.count
                && zip(route.segments, segments).allSatisfy { pattern, part in
                    (pattern.hasPrefix("{") && pattern.hasSuffix("}")) || pattern == part
                }
        }.map(\.method.rawValue)
        return Array(Set(methods)).sorted()
    }
}
