import Foundation
import Hummingbird

/// The softphone SDK, one ES module at a versioned path (a new major version gets a new path).
enum SDKRoutes {
    static let path = "/sdk/1/callgateway.js"

    /// The module's text, read once from the target's resources.
    static let module: String = {
        guard
            let url = Bundle.module.url(forResource: "callgateway", withExtension: "js", subdirectory: "Resources/sdk"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { return "throw new Error('callgateway SDK resource missing from this build');\n" }
        return text
    }()

    static func endpoints(_ s: GatewayServices) -> [Endpoint] {
        [
            Endpoint(
                .get, path, "The softphone SDK (JavaScript ES module; docs/sdk.md)", tag: "SDK", access: .open,
                returns: "JavaScript"
            ) { _, _ in
                Response(
                    status: .ok,
                    headers: [.contentType: "text/javascript; charset=utf-8", .cacheControl: "no-cache"],
                    body: .init(byteBuffer: ByteBuffer(string: module)))
            }
        ]
    }
}
