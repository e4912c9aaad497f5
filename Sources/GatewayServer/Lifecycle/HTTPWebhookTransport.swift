import AsyncHTTPClient
import ContactCenter
import Foundation
import NIOCore

/// Posts webhook bodies with AsyncHTTPClient, 10 s per attempt.
public struct HTTPWebhookTransport: WebhookTransport {
    let url: String

    public init(url: String) { self.url = url }

    public func post(json: Data) async throws -> Int {
        var request = HTTPClientRequest(url: url)
        request.method = .POST
        request.headers.add(name: "Content-Type", value: "application/json")
        request.headers.add(name: "User-Agent", value: "callgateway-webhook/1")
        request.body = .bytes(ByteBuffer(bytes: json))
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        _ = try? await response.body.collect(upTo: 64 << 10)
        return Int(response.status.code)
    }
}
