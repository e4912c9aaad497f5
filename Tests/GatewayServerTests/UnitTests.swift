import Calls
import ContactCenter
import Foundation
import SignalingProtocol
import TestSupport
import Testing

@testable import GatewayServer

@Suite struct ConfigurationTests {
    @Test func defaultsFileAndEnvironmentOverrides() throws {
        #expect(try GatewayConfiguration.load(file: nil, environment: [:]) == GatewayConfiguration())
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString).json")
        try Data(#"{"httpPort":9000,"logLevel":"debug","seedDemoData":false,"heartbeatTimeoutSeconds":60}"#.utf8).write(
            to: file)
        let loaded = try GatewayConfiguration.load(file: file.path, environment: ["GATEWAY_HTTP_PORT": "9100"])
        #expect(loaded.httpPort == 9100)
        #expect(loaded.logLevel == .debug)
        #expect(loaded.seedDemoData == false)
        #expect(loaded.heartbeatTimeoutSeconds == 60)
    }

    @Test func badConfigurationNamesTheKey() throws {
        let cases: [([String: String], String)] = [
            (["GATEWAY_HTTP_PORT": "http"], "httpPort"),
            (["GATEWAY_HTTP_PORT": "70000"], "httpPort"),
            (["GATEWAY_LOG_LEVEL": "loud"], "logLevel"),
            (["GATEWAY_HEARTBEAT_INTERVAL": "40"], "heartbeatTimeoutSeconds"),
            (["GATEWAY_MESSAGE_WEBHOOK_URL": "ftp://x"], "messageWebhookURL"),
            (["GATEWAY_CALL_EVENT_WEBHOOK_URL": "not a url"], "callEventWebhookURL"),
            (["GATEWAY_RECORDING_RETENTION_DAYS": "-1"], "recordingRetentionDays"),
            (["GATEWAY_MAX_REQUESTS_PER_SECOND": "0"], "maxRequestsPerSecondPerKey"),
            (["GATEWAY_SEED_DEMO_DATA": "sure"], "seedDemoData"),
            (["GATEWAY_DATA_DIR": ""], "dataDirectory"),
            (["GATEWAY_MEDIA_ADDRESS": "localhost"], "mediaAddress"),
            (["GATEWAY_MEDIA_ANNOUNCED_ADDRESS": "gateway.example.com"], "mediaAnnouncedAddress"),
            (["GATEWAY_MEDIA_ANNOUNCED_ADDRESS": "0.0.0.0"], "mediaAnnouncedAddress"),
            (["GATEWAY_MEDIA_ADDRESS": "0.0.0.0"], "mediaAnnouncedAddress"),
            (["GATEWAY_MEDIA_PORT_MIN": "80"], "mediaPortMin"),
            (["GATEWAY_MEDIA_PORT_MIN": "50000", "GATEWAY_MEDIA_PORT_MAX": "40000"], "mediaPortMax"),
            (["GATEWAY_SIP_ADDRESS": "sip.example.com"], "sipAddress"),
            (["GATEWAY_SIP_ANNOUNCED_ADDRESS": "1.2.3"], "sipAnnouncedAddress"),
            (["GATEWAY_SIP_ADDRESS": "0.0.0.0", "GATEWAY_ALLOW_CLEAR_TEXT": "true"], "sipAnnouncedAddress"),
            (["GATEWAY_SIP_PORT": "-1"], "sipPort"),
            (["GATEWAY_OPUS_COMPLEXITY": "11"], "opusComplexity"),
            (["GATEWAY_MEDIA_THREADS": "-1"], "mediaThreads"),
            (["GATEWAY_MEDIA_THREADS": "all"], "mediaThreads"),
            (["GATEWAY_MAX_CALLS": "0"], "maxCalls"),
            (["GATEWAY_PASSWORD_HASH_MEMORY_KIB": "512"], "passwordHashMemoryKiB"),
            (["GATEWAY_PASSWORD_HASH_ITERATIONS": "0"], "passwordHashIterations"),
            (["GATEWAY_SERVICE_LEVEL_SECONDS": "0"], "serviceLevelSeconds"),
            (["GATEWAY_MAX_SESSIONS_PER_ADDRESS": "-1"], "maxSessionsPerAddress"),
            (["GATEWAY_MAX_CONNECTIONS_PER_ADDRESS": "-1"], "maxConnectionsPerAddress"),
            (["GATEWAY_TRUSTED_PROXIES": "proxy.example.com"], "trustedProxies"),
            (["GATEWAY_SIP_TLS_PORT": "65536"], "sipTLSPort"),
            (["GATEWAY_SIP_IDLE_TIMEOUT_SECONDS": "0"], "sipIdleTimeoutSeconds"),
        ]
        for (environment, key) in cases {
            #expect(throws: ConfigurationError.self) {
                try GatewayConfiguration.load(file: nil, environment: environment)
            }
            do {
                _ = try GatewayConfiguration.load(file: nil, environment: environment)
            } catch let error as ConfigurationError {
                #expect(error.key == key)
                #expect(error.description.hasPrefix("invalid configuration: \(key): "))
            }
        }
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString).json")
        try Data(#"{"httpPrt":9000}"#.utf8).write(to: file)
        #expect(throws: ConfigurationError(key: "httpPrt", message: "unknown key")) {
            try GatewayConfiguration.load(file: file.path, environment: [:])
        }
        #expect(throws: ConfigurationError.self) {
            try GatewayConfiguration.load(file: "/nonexistent.json", environment: [:])
        }
        try Data(#"{"sipTrunks":{"name":"x"}}"#.utf8).write(to: file)
        #expect(throws: ConfigurationError(key: "sipTrunks", message: "must be an array of trunk objects")) {
            try GatewayConfiguration.load(file: file.path, environment: [:])
        }
    }

    @Test func sipSettingsAndTrunksFromTheFile() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString).json")
        try Data(
            #"{"sipPort":5070,"opusComplexity":9,"maxCalls":50,"sipTrunks":[{"name":"carrier","destinationHosts":["10.0.0.1"]}]}"#
                .utf8
        ).write(to: file)
        let loaded = try GatewayConfiguration.load(file: file.path, environment: ["GATEWAY_SIP_ADDRESS": "10.0.0.2"])
        #expect(loaded.sipPort == 5070 && loaded.opusComplexity == 9 && loaded.maxCalls == 50)
        #expect(loaded.sipAddress == "10.0.0.2" && loaded.sipTrunks.count == 1)
        let gateway = try await TestGateway.make { $0.sipTrunks = loaded.sipTrunks }
        let trunks = try await gateway.cc.sipTrunks()
        #expect(trunks.map(\.name) == ["carrier"] && trunks[0].source == "CONFIGURATION")
        try await gateway.close()
        // A bad trunk in the file stops start-up naming sipTrunks and the field.
        do {
            _ = try await TestGateway.make {
                $0.sipTrunks = [.object(["name": "bad", "destinationHosts": .array([.string("no host!")])])]
            }
            Issue.record("a bad configured trunk was accepted")
        } catch let error as ConfigurationError {
            #expect(error.key == "sipTrunks" && error.message.contains("destinationHosts[0]"), "\(error)")
        }
    }
}

@Suite struct MediaPortRangeTests {
    @Test func aRangeTooSmallForTheCallsBetweenTwoPhonesIsWarnedOf() {
        var configuration = GatewayConfiguration()
        #expect(configuration.mediaPortWarning(calls: 1000) == nil, "the default range holds 1000 calls of two phones")
        #expect(configuration.mediaPortWarning(calls: 2500) == nil)
        let warning = configuration.mediaPortWarning(calls: 2501)
        #expect(warning?.contains("holds 10000 ports, fewer than the 10004") == true, "\(String(describing: warning))")
        configuration.mediaPortMax = 40999
        #expect(configuration.mediaPortWarning(calls: 250) == nil)
        #expect(configuration.mediaPortWarning(calls: 251)?.contains("refused with 503") == true)
    }
}

@Suite struct ConnectionLimitTests {
    @Test func connectionsAreWhatTheDescriptorLimitLeavesAfterCallsAndRefusals() throws {
        var configuration = GatewayConfiguration()
        configuration.maxCalls = 1000
        // 4 × 1000 + 256 kept for calls and the rest, 64 for refusals.
        #expect(
            try configuration.descriptorBudget(descriptors: 24_320)
                == .init(connections: 20_000, calls: 1000, warning: nil))
        configuration.maxConnections = 500
        #expect(try configuration.descriptorBudget(descriptors: 24_320).connections == 500)
        configuration.maxConnections = 20_001
        #expect(throws: ConfigurationError.self) { try configuration.descriptorBudget(descriptors: 24_320) }
        // Left to itself on a low limit, the gateway shares it: fewer calls, a warning.
        configuration.maxConnections = 0
        let low = try configuration.descriptorBudget(descriptors: 1024)
        #expect(low.calls == 86 && low.connections == 360, "\(low)")
        #expect(low.warning?.contains("at least 4336") == true, "\(low)")
        do {
            _ = try configuration.descriptorBudget(descriptors: 300)
            Issue.record("300 descriptors were taken as enough")
        } catch let error as ConfigurationError {
            #expect(error.key == "maxCalls" && error.message.contains("at least 344"), "\(error)")
        }
        // The least the message names is enough: one call and 20 connections.
        let least = try configuration.descriptorBudget(descriptors: 344)
        #expect(least.calls == 1 && least.connections == 20, "\(least)")
        #expect(throws: ConfigurationError.self) { try configuration.descriptorBudget(descriptors: 343) }
    }

    @Test func sessionsTakeAtMostTheMaximumOfPlaces() {
        let limit = ConnectionLimit(maximum: 2)
        #expect(limit.admitSession() && limit.admitSession())
        #expect(!limit.admitSession())
        limit.endSession()
        #expect(limit.admitSession())
        #expect(!limit.isOver)
    }
}

@Suite struct SIPStatusMappingTests {
    @Test func sipFailuresBecomeInfobipCodesAndBack() {
        let table: [(Int, String)] = [
            (486, "BUSY"), (600, "BUSY"), (480, "NO_ANSWER"), (408, "REQUEST_TIMEOUT"), (404, "DESTINATION_NOT_FOUND"),
            (484, "DESTINATION_NOT_FOUND"), (604, "DESTINATION_NOT_FOUND"), (403, "FORBIDDEN"), (407, "FORBIDDEN"),
            (487, "CANCELLED"), (488, "MEDIA_FAILURE"), (606, "MEDIA_FAILURE"), (603, "REJECTED"),
            (503, "SERVICE_UNAVAILABLE"), (500, "SERVICE_UNAVAILABLE"), (699, "REJECTED"), (415, "INVALID_REQUEST"),
        ]
        for (status, name) in table {
            let code = HangupCode.forSIPStatus(status, reason: "Reason")
            #expect(code.name == name, "\(status)")
            #expect(code.description == "The phone network answered \(status) Reason.")
        }
        #expect(HangupCode.noAvailableAgent.sipStatus.status == 480)
        #expect(HangupCode.noAnswer.sipStatus.status == 480)
        #expect(HangupCode.rejected.sipStatus.status == 603)
        #expect(HangupCode.mediaFailure.sipStatus.status == 488)
        #expect(HangupCode.serviceUnavailable.sipStatus.status == 503)
        #expect(HangupCode.normalHangup.sipStatus.status == 500)
    }
}

@Suite struct TokenSignerTests {
    let signer = TokenSigner(key: Array(repeating: 7, count: 32))

    @Test func issuesAndVerifies() throws {
        let token = signer.issue(TokenClaims(sub: "agent-1", name: "A", iat: 100, exp: 200, jti: "j"))
        #expect(try signer.verify(token, now: 150).sub == "agent-1")
        #expect(throws: TokenError.expired) { try signer.verify(token, now: 200) }
        let other = TokenSigner(key: Array(repeating: 8, count: 32))
        #expect(throws: TokenError.badSignature) { try other.verify(token, now: 150) }
        // A payload swapped under the original signature.
        let parts = token.split(separator: ".")
        let forgedPayload = CryptoPrimitives.base64URL(Array(#"{"exp":999,"iat":1,"jti":"j","sub":"admin"}"#.utf8))
        #expect(throws: TokenError.badSignature) {
            try signer.verify("\(parts[0]).\(forgedPayload).\(parts[2])", now: 150)
        }
    }

    @Test func readsTheClaimsItIssuedAndRefusesSignedPayloadsThatAreNotClaims() throws {
        for claims in [
            TokenClaims(sub: "agent-1", name: "Ana \"Ć\" /", iat: 100, exp: 200, jti: "j"),
            TokenClaims(sub: "customer-1", name: nil, iat: -5, exp: .max, jti: UUID().uuidString),
        ] {
            #expect(try signer.verify(signer.issue(claims), now: 150) == claims)
        }
        // Signed with our key, but not claims: a missing or mistyped member.
        let header = CryptoPrimitives.base64URL(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        for payload in [
            #"{"exp":999,"iat":1,"sub":"a"}"#, #"{"exp":"999","iat":1,"jti":"j","sub":"a"}"#,
            #"{"exp":999.5,"iat":1,"jti":"j","sub":"a"}"#, #"{"exp":999,"iat":1,"jti":"j","sub":"a","name":7}"#,
            #"[1]"#, "not json",
        ] {
            let input = "\(header).\(CryptoPrimitives.base64URL(Array(payload.utf8)))"
            let signature = CryptoPrimitives.base64URL(
                CryptoPrimitives.hmacSHA256(key: Array(repeating: 7, count: 32), data: Array(input.utf8)))
            #expect(throws: TokenError.malformed, "\(payload)") { try signer.verify("\(input).\(signature)", now: 0) }
        }
        let named = #"{"exp":999,"iat":1,"jti":"j","sub":"a","name":null}"#
        let input = "\(header).\(CryptoPrimitives.base64URL(Array(named.utf8)))"
        let signature = CryptoPrimitives.base64URL(
            CryptoPrimitives.hmacSHA256(key: Array(repeating: 7, count: 32), data: Array(input.utf8)))
        #expect(try signer.verify("\(input).\(signature)", now: 0).name == nil)
    }

    @Test func base64URLReadsBackWhatItWritesAndRefusesAnythingElse() {
        var generator = SeededGenerator(seed: 12)
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let text = CryptoPrimitives.base64URL(bytes)
            #expect(CryptoPrimitives.fromBase64URL(Substring(text)) == bytes)
            // Foundation's alphabet and padding, for the same bytes.
            var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while standard.count % 4 != 0 { standard += "=" }
            #expect(Data(base64Encoded: standard).map(Array.init) == bytes)
        }
        for text in ["A", "AAAAA", "QQ==", "QQ=", "A+B/", "QQ Q", "Q\u{E9}Q", "QQ\n"] {
            #expect(CryptoPrimitives.fromBase64URL(Substring(text)) == nil, "\(text.debugDescription)")
        }
    }

    @Test func neverTrapsOnGarbage() {
        var generator = SeededGenerator(seed: 3)
        for _ in 0..<2000 {
            let text = String(
                (0..<Int.random(in: 0...80, using: &generator)).map { _ in
                    Character(UnicodeScalar(UInt8.random(in: 32...126, using: &generator)))
                })
            #expect(throws: TokenError.self) { try signer.verify(text, now: 0) }
        }
    }
}

@Suite struct SignalingParserTests {
    @Test func parsesEveryMessageType() {
        func parsed(_ text: String) -> ClientMessage? { try? SignalingParser.parse(text).get() }
        #expect(parsed(#"{"type":"ping","id":"1"}"#) == .ping(id: "1"))
        #expect(parsed(#"{"type":"heartbeat","v":1}"#) == .heartbeat(id: nil))
        #expect(parsed(#"{"type":"agent.setStatus","status":"AWAY"}"#) == .setStatus(id: nil, status: .AWAY))
        #expect(
            parsed(#"{"type":"chat.send","conversationId":"c","content":{"text":"hi"}}"#)
                == .chat(id: nil, conversationId: "c", contentType: "TEXT", content: .object(["text": "hi"])))
    }

    @Test func parsesCallFrames() {
        func parsed(_ text: String) -> ClientMessage? { try? SignalingParser.parse(text).get() }
        #expect(
            parsed(#"{"type":"call.start","sdp":"v=0","customData":{"isOutbound":true}}"#)
                == .callStart(id: nil, sdp: "v=0", customData: .object(["isOutbound": .bool(true)])))
        #expect(
            parsed(#"{"type":"call.accept","callId":"c","sdp":"v=0"}"#) == .callAccept(id: nil, callId: "c", sdp: "v=0")
        )
        #expect(parsed(#"{"type":"call.decline","callId":"c","id":"1"}"#) == .callDecline(id: "1", callId: "c"))
        #expect(parsed(#"{"type":"call.hangup","callId":"c"}"#) == .callHangup(id: nil, callId: "c"))
        #expect(
            parsed(#"{"type":"call.mute","callId":"c","muted":true}"#) == .callMute(id: nil, callId: "c", muted: true))
        func code(_ text: String) -> String? {
            if case .failure(let fault) = SignalingParser.parse(text) { return fault.message }
            return nil
        }
        #expect(code(#"{"type":"call.start"}"#) == "sdp: must be a non-empty string of at most 64 KiB")
        #expect(code(#"{"type":"call.start","sdp":"v=0","customData":[]}"#) == "customData: must be an object")
        #expect(code(#"{"type":"call.accept","sdp":"v=0"}"#) == "callId: must be a string")
        #expect(code(#"{"type":"call.mute","callId":"c"}"#) == "muted: must be a boolean")
        #expect(
            parsed(#"{"type":"call.hold","callId":"c","hold":true}"#) == .callHold(id: nil, callId: "c", hold: true))
        #expect(code(#"{"type":"call.hold","callId":"c"}"#) == "hold: must be a boolean")
        #expect(
            parsed(#"{"type":"call.transfer","callId":"c","agentId":"b"}"#)
                == .callTransfer(id: nil, callId: "c", target: .agent("b")))
        #expect(
            parsed(#"{"type":"call.transfer","callId":"c","queueId":"q","id":"t"}"#)
                == .callTransfer(id: "t", callId: "c", target: .queue("q")))
        #expect(code(#"{"type":"call.transfer","callId":"c"}"#) == "give one of agentId, queueId or externalNumber")
        #expect(
            code(#"{"type":"call.transfer","callId":"c","agentId":"b","queueId":"q"}"#)
                == "give one of agentId, queueId or externalNumber")
        #expect(
            parsed(#"{"type":"call.transfer","callId":"c","externalNumber":"+15557000"}"#)
                == .callTransfer(id: nil, callId: "c", target: .number("+15557000")))
        #expect(
            code(#"{"type":"call.transfer","callId":"c","externalNumber":"call me"}"#)
                == "externalNumber: must be an E.164 number, got 'call me'")
        #expect(code(#"{"type":"call.transfer","agentId":"b"}"#) == "callId: must be a string")
        #expect(parsed(#"{"type":"transfer.targets","id":"x"}"#) == .transferTargets(id: "x"))
        #expect(
            parsed(#"{"type":"call.transfer","callId":"c","agentId":"b","attended":true}"#)
                == .callTransfer(id: nil, callId: "c", target: .agent("b"), attended: true))
        #expect(
            code(#"{"type":"call.transfer","callId":"c","agentId":"b","attended":"yes"}"#)
                == "attended: must be a boolean")
        #expect(
            parsed(#"{"type":"call.consult","callId":"c","action":"MERGE"}"#)
                == .callConsult(id: nil, callId: "c", action: .MERGE))
        #expect(
            code(#"{"type":"call.consult","callId":"c","action":"HOLD"}"#)
                == "action: must be COMPLETE, CANCEL or MERGE")
        #expect(
            parsed(#"{"type":"call.monitor","callId":"c","mode":"WHISPER"}"#)
                == .callMonitor(id: nil, callId: "c", mode: .WHISPER))
        #expect(code(#"{"type":"call.monitor","callId":"c","mode":"SPY"}"#) == "mode: must be LISTEN, WHISPER or BARGE")
        #expect(code(#"{"type":"call.monitor","callId":"c"}"#) == "mode: must be LISTEN, WHISPER or BARGE")
        #expect(code(#"{"type":"call.monitor","mode":"LISTEN"}"#) == "callId: must be a string")
        #expect(
            parsed(#"{"type":"call.record","callId":"c","action":"PAUSE"}"#)
                == .callRecord(id: nil, callId: "c", paused: true))
        #expect(code(#"{"type":"call.record","callId":"c","action":"STOP"}"#) == "action: must be PAUSE or RESUME")
        #expect(code(#"{"type":"call.record","action":"RESUME"}"#) == "callId: must be a string")
        #expect(
            parsed(#"{"type":"recordings.list","filters":{"conversationId":"v","durationFrom":5}}"#)
                == .recordingsList(id: nil, filters: ["conversationId": "v", "durationFrom": "5"]))
        #expect(parsed(#"{"type":"recordings.list"}"#) == .recordingsList(id: nil, filters: [:]))
        #expect(code(#"{"type":"recordings.list","filters":[1]}"#) == "filters: must be an object")
        #expect(
            code(#"{"type":"recordings.list","filters":{"callId":{"x":1}}}"#)
                == "filters.callId: must be a string or a number")
        #expect(
            parsed(#"{"type":"call.dtmf","callId":"c","digits":"12#*A"}"#)
                == .callDTMF(id: nil, callId: "c", digits: "12#*A"))
        #expect(code(#"{"type":"call.dtmf","callId":"c","digits":"12x"}"#) == "digits: 1 to 32 of 0-9, *, #, A-D")
        #expect(code(#"{"type":"call.dtmf","callId":"c","digits":""}"#) == "digits: 1 to 32 of 0-9, *, #, A-D")
        #expect(parsed(#"{"type":"wrapup.extend","seconds":30,"id":"w"}"#) == .wrapUpExtend(id: "w", seconds: 30))
        #expect(code(#"{"type":"wrapup.extend","seconds":0}"#) == "seconds: must be an integer from 1 to 3600")
        #expect(parsed(#"{"type":"wrapup.clear"}"#) == .wrapUpClear(id: nil))
        #expect(
            parsed(#"{"type":"conversation.outbound","to":"+15551234"}"#)
                == .conversationOutbound(id: nil, to: "+15551234"))
        #expect(code(#"{"type":"conversation.outbound"}"#) == "to: must be a string of 1 to 64 characters")
    }

    @Test func faultsNameTheProblem() {
        func code(_ text: String) -> String? {
            if case .failure(let fault) = SignalingParser.parse(text) { return fault.code }
            return nil
        }
        #expect(code("") == "BAD_JSON")
        #expect(code(#"{"type":"ping",}"#) == "BAD_JSON")
        #expect(code("42") == "BAD_MESSAGE")
        #expect(code(#"{"id":5,"type":"ping"}"#) == "BAD_MESSAGE")
        #expect(code(#"{"type":"ping","v":"1"}"#) == "UNSUPPORTED_VERSION")
        #expect(code(#"{"type":"chat.send","content":"hi"}"#) == "BAD_MESSAGE")
        #expect(code(#"{"type":"chat.send","content":{},"contentType":""}"#) == "BAD_MESSAGE")
        #expect(code(#"{"type":"hangup"}"#) == "UNKNOWN_TYPE")
    }

    @Test func neverTrapsOnRandomOrTruncatedFrames() {
        let sample =
            #"{"type":"chat.send","id":"abc","v":1,"conversationId":"c-1","content":{"text":"h\u00e9llo","n":[1,2.5e3,null]}}"#
        for length in 0...sample.utf8.count {
            _ = SignalingParser.parse(String(decoding: sample.utf8.prefix(length), as: UTF8.self))
        }
        var generator = SeededGenerator(seed: 11)
        let alphabet = Array(#"{}[]":,.-0123456789eE truefalsnul\typeingchat.sdv"#)
        for _ in 0..<5000 {
            let text = String(
                (0..<Int.random(in: 0...60, using: &generator)).map { _ in alphabet.randomElement(using: &generator)! })
            _ = SignalingParser.parse(text)
        }
    }

    @Test func rateLimiterRefillsWithTime() {
        let start = Date(timeIntervalSince1970: 0)
        var limiter = MessageRateLimiter(perSecond: 3, now: start)
        var results: [Bool] = []
        for offset in [0, 0, 0, 0, 0.34, 0.35, 10, 10, 10, 10] as [Double] {
            results.append(limiter.allow(now: start.addingTimeInterval(offset)))
        }
        #expect(results == [true, true, true, false, true, false, true, true, true, false])
    }
}

/// Sessions per client address: the count, the refusal, and no limit at 0.
@Suite struct AddressSessionLimitTests {
    @Test func anAddressGetsItsMaximumAndAPlaceBackWhenOneEnds() {
        let limit = AddressSessionLimit(maximum: 2)
        #expect(limit.admit("10.0.0.1") && limit.admit("10.0.0.1"))
        #expect(!limit.admit("10.0.0.1"))
        #expect(limit.admit("10.0.0.2"), "another address has its own places")
        limit.end("10.0.0.1")
        #expect(limit.count("10.0.0.1") == 1 && limit.admit("10.0.0.1"))
        limit.end("10.0.0.2")
        #expect(limit.count("10.0.0.2") == 0)
    }

    @Test func zeroMeansNoLimit() {
        let limit = AddressSessionLimit(maximum: 0)
        for _ in 0..<1000 { #expect(limit.admit("10.0.0.1")) }
        #expect(limit.count("10.0.0.1") == 0, "nothing is counted")
    }
}
