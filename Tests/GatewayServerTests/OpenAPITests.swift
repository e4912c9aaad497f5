import ContactCenter
import Foundation
import HTTPTypes
import Testing

@testable import GatewayServer

@Suite struct OpenAPITests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func everyRegisteredRouteIsDocumentedAndEveryDocumentedPathRoutes() async throws {
        let gw = try await TestGateway.make()
        let (_, registered) = GatewayApplication.router(gw.services)
        try await gw.withClient { client in
            let served = try await client.call(.get, "/openapi.json", key: nil)
            #expect(served.status == .ok)
            #expect(served.json["openapi"]?.stringValue == "3.1.0")
            guard case .object(let paths)? = served.json["paths"] else {
                Issue.record("no paths")
                return
            }
            var documented: [String] = []
            for (path, operations) in paths {
                guard case .object(let byMethod) = operations else { continue }
                for method in byMethod.keys { documented.append("\(method.uppercased()) \(path)") }
            }
            #expect(Set(documented) == Set(registered))
            #expect(documented.count == registered.count)
            #expect(registered.count > 60)
            // Probe each documented operation: the router answers with the gateway's own JSON,
            // never its empty "no route" 404.
            for operation in documented {
                let parts = operation.split(separator: " ", maxSplits: 1)
                let method = HTTPRequest.Method(String(parts[0]))!
                let uri = String(parts[1]).replacingOccurrences(of: "{seconds}", with: "5")
                    .replacingOccurrences(of: #"\{[A-Za-z]+\}"#, with: "probe-id", options: .regularExpression)
                let reply = try await client.call(
                    method, uri, key: gw.key, body: method == .get || method == .delete ? nil : "{}")
                #expect(!reply.text.isEmpty, "\(operation) did not route")
                #expect(reply.status != .internalServerError, "\(operation) answered 500: \(reply.text)")
            }
        }
        try await gw.close()
    }

    @Test func committedDocumentMatchesTheServedOne() async throws {
        let committed = try String(
            contentsOf: Self.repositoryRoot.appendingPathComponent("docs/openapi.json"), encoding: .utf8)
        let rendered = try await GatewayServer.openAPIDocument(GatewayConfiguration())
        #expect(
            committed == rendered,
            "docs/openapi.json is stale: run `swift run gateway openapi > docs/openapi.json`")
    }
}
