import Testing

@testable import GatewayServer

/// Who a request comes from behind reverse proxies (`trustedProxies`, X-Forwarded-For).
@Suite struct TrustedProxiesTests {
    @Test func readsAddressesNetworksAndIPv6AndNamesWhatItCannotRead() throws {
        let proxies = try TrustedProxies(parsing: " 10.0.0.0/8, 192.168.1.5 ,::1, fd00::7 ")
        #expect(proxies.contains("10.200.3.4") && proxies.contains("192.168.1.5") && proxies.contains("::1"))
        #expect(proxies.contains("FD00::7"), "IPv6 compared lower-cased")
        #expect(!proxies.contains("11.0.0.1") && !proxies.contains("192.168.1.6") && !proxies.contains("fd00::8"))
        #expect(try TrustedProxies(parsing: "0.0.0.0/0").contains("203.0.113.9"))
        #expect(try TrustedProxies(parsing: "").isEmpty)
        for bad in ["10.0.0.0/33", "10.0.0/8", "proxy.example.com", "10.0.0.1/x", "1.2.3.4/8/1", "300.1.1.1"] {
            #expect(throws: ConfigurationError.self, "\(bad)") { try TrustedProxies(parsing: bad) }
        }
        let loaded = try GatewayConfiguration.load(file: nil, environment: ["GATEWAY_TRUSTED_PROXIES": "127.0.0.1"])
        #expect(loaded.trustedProxies.contains("127.0.0.1"))
        #expect(throws: ConfigurationError.self) {
            try GatewayConfiguration.load(file: nil, environment: ["GATEWAY_TRUSTED_PROXIES": "nginx"])
        }
    }

    @Test func theClientIsTheRightmostHopNoProxyWrote() throws {
        let proxies = try TrustedProxies(parsing: "127.0.0.1, 10.9.0.0/16")
        #expect(proxies.client(peer: "127.0.0.1", forwardedFor: ["203.0.113.7"]) == "203.0.113.7")
        #expect(
            proxies.client(peer: "127.0.0.1", forwardedFor: ["198.51.100.1, 203.0.113.7", "10.9.3.4"]) == "203.0.113.7",
            "what the client wrote itself (198.51.100.1) is not believed; several headers read as one list")
        #expect(proxies.client(peer: "203.0.113.50", forwardedFor: ["1.2.3.4"]) == "203.0.113.50", "untrusted peer")
        #expect(proxies.client(peer: "127.0.0.1", forwardedFor: []) == "127.0.0.1", "no header: the proxy itself")
        #expect(proxies.client(peer: "127.0.0.1", forwardedFor: ["10.9.0.1"]) == "10.9.0.1", "only proxies")
        #expect(proxies.client(peer: "127.0.0.1", forwardedFor: [" , "]) == "127.0.0.1")
        #expect(TrustedProxies.none.client(peer: "127.0.0.1", forwardedFor: ["203.0.113.7"]) == "127.0.0.1")
    }
}
