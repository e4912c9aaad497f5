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
    /// The files the pages share, by name: their modules and their stylesheet.
    static let pageFiles: [String: (text: String, type: String)] = Dictionary(
        uniqueKeysWithValues: ["sign-in", "ringtone", "devices", "softphone"].map {
            ("\($0).js", (resource($0, "js", in: "pages"), javaScript))
        } + [("style.css", (resource("style", "css", in: "pages"), "text/css; charset=utf-8"))])
    static let javaScript = "text/javascript; charset=utf-8"

    /// A file of the target's resources, read once.
    static func resource(_ name: String, _ ext: String, in folder: String) -> String {
        guard
            let url = Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Resources/\(folder)"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { return "resource \(folder)/\(name).\(ext) is missing from this build\n" }
        return text
    }

    /// `text` as `type`, never cached (a new build's pages are seen at once).
    static func file(_ text: String, _ type: String = "text/html; charset=utf-8") -> Response {
        Response(
            status: .ok, headers: [.contentType: type, .cacheControl: "no-cache"],
            body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// The SDK as an operator's own site imports it (`import … from 'https://gateway/sdk/1/…'`):
    /// a module script from another origin loads only with CORS. The module is public code and
    /// the request carries no credentials, so any origin may have it.
    static func sdkModule() -> Response {
        var response = file(module, javaScript)
        response.headers[.accessControlAllowOrigin] = "*"
        return response
    }

    static func endpoints(_ s: GatewayServices) -> [Endpoint] {
        [
            Endpoint(
                .get, path, "The softphone SDK (JavaScript ES module; docs/sdk.md)", tag: "SDK", access: .open,
                returns: "JavaScript"
            ) { _, _ in sdkModule() },
            Endpoint(
                .get, "/pages/{file}",
                "A file the pages share: style.css, sign-in.js, ringtone.js, devices.js, softphone.js (the agent desktop)",
                tag: "SDK", access: .open, returns: "JavaScript or CSS"
            ) { _, context in
                guard let shared = pageFiles[try context.parameter("file")] else { throw APIError.notFoundRoute }
                return file(shared.text, shared.type)
            },
            Endpoint(
                .get, "/softphone",
                "The agent softphone page (sign in with a login and password, a one-time link, or a token)", tag: "SDK",
                access: .open, returns: "HTML"
            ) { _, _ in file(softphone) },
            Endpoint(
                .get, "/contact", "The customer's contact page: call us and chat (token, or ?token=)", tag: "SDK",
                access: .open, returns: "HTML"
            ) { _, _ in file(customer) },
            Endpoint(
                .get, "/supervisor", "The supervisor page: agents, queues and calls, live (a supervisor's sign-in)",
                tag: "SDK", access: .open, returns: "HTML"
            ) { _, _ in file(supervisor) },
        ]
    }
}
