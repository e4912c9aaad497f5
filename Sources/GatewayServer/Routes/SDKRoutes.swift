import Foundation
import Hummingbird

/// The softphone SDK, one ES module at a versioned path (a new major version gets a new path),
/// and the pages built on it: the agent softphone, the customer's contact page, the supervisor.
enum SDKRoutes {
    static let path = "/sdk/1/callgateway.js"

    static let module = resource("callgateway", "js", in: "sdk")
    static let softphone = resource("softphone", "html", in: "pages")
    static let customer = resource("customer", "html", in: "pages")
    static let supervisor = resource("supervisor", "html", in: "pages")
    /// The modules the pages share, by file name.
    static let pageModules: [String: String] = Dictionary(
        uniqueKeysWithValues: ["sign-in", "ringtone", "devices", "softphone"].map {
            ("\($0).js", resource($0, "js", in: "pages"))
        })
    /// The pages' stylesheet.
    static let stylesheet = resource("style", "css", in: "pages")

    /// A file of the target's resources, read once.
    static func resource(_ name: String, _ ext: String, in folder: String) -> String {
        guard
            let url = Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Resources/\(folder)"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { return "resource \(folder)/\(name).\(ext) is missing from this build\n" }
        return text
    }

    static func page(_ html: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-cache"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    static func script(_ text: String) -> Response {
        Response(
            status: .ok, headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "no-cache"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func endpoints(_ s: GatewayServices) -> [Endpoint] {
        [
            Endpoint(
                .get, path, "The softphone SDK (JavaScript ES module; docs/sdk.md)", tag: "SDK", access: .open,
                returns: "JavaScript"
            ) { _, _ in script(module) },
            Endpoint(
                .get, "/pages/{file}",
                "A file the pages share: style.css, sign-in.js, ringtone.js, devices.js, softphone.js (the agent desktop)",
                tag: "SDK", access: .open, returns: "JavaScript"
            ) { _, context in
                let file = try context.parameter("file")
                if file == "style.css" {
                    return Response(
                        status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "no-cache"],
                        body: .init(byteBuffer: ByteBuffer(string: stylesheet)))
                }
                guard let text = pageModules[file] else { throw APIError.notFoundRoute }
                return script(text)
            },
            Endpoint(
                .get, "/softphone",
                "The agent softphone page (sign in with a login and password, a one-time link, or a token)", tag: "SDK",
                access: .open, returns: "HTML"
            ) { _, _ in page(softphone) },
            Endpoint(
                .get, "/contact", "The customer's contact page: call us and chat (token, or ?token=)", tag: "SDK",
                access: .open, returns: "HTML"
            ) { _, _ in page(customer) },
            Endpoint(
                .get, "/supervisor", "The supervisor page: agents, queues and calls, live (a supervisor's sign-in)",
                tag: "SDK", access: .open, returns: "HTML"
            ) { _, _ in page(supervisor) },
        ]
    }
}
