import Testing

@testable import GatewayServer

/// Which listeners count as clear text beyond this machine.
@Suite struct ClearTextExposureTests {
    @Test(arguments: ["127.0.0.1", "127.1.2.3", "localhost", "LOCALHOST", "::1", "[::1]"])
    func loopbackIsNotExposed(_ address: String) {
        var configuration = GatewayConfiguration()
        configuration.bindAddress = address
        configuration.sipAddress = address
        #expect(configuration.clearTextExposure == nil)
    }

    @Test(arguments: ["0.0.0.0", "10.0.0.2", "192.168.1.10", "::", "127.0.0.300", "127.0.0", "gateway.example.com"])
    func anythingElseIsExposedAndNamed(_ address: String) {
        var http = GatewayConfiguration()
        http.bindAddress = address
        #expect(http.clearTextExposure?.key == "bindAddress")
        #expect(http.clearTextExposure?.message.hasPrefix("\(address) would serve REST and signaling") == true)
        var sip = GatewayConfiguration()
        sip.sipAddress = address
        #expect(sip.clearTextExposure?.key == "sipAddress")
        sip.sipPort = 0
        #expect(sip.clearTextExposure == nil, "SIP turned off exposes nothing")
    }

    @Test func theOverrideIsABooleanOfTheFileOrEnvironment() throws {
        #expect(try GatewayConfiguration.load(file: nil, environment: [:]).allowClearText == false)
        let accepted = try GatewayConfiguration.load(file: nil, environment: ["GATEWAY_ALLOW_CLEAR_TEXT": "yes"])
        #expect(accepted.allowClearText)
        #expect(throws: ConfigurationError(key: "allowClearText", message: "must be true or false, got 'maybe'")) {
            try GatewayConfiguration.load(file: nil, environment: ["GATEWAY_ALLOW_CLEAR_TEXT": "maybe"])
        }
    }
}
