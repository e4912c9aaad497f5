import Testing

@testable import STUN

@Suite struct STUNMessageTests {
    static func hex(_ text: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            bytes.append(UInt8(text[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    /// RFC 5769 §2.1, "Sample Request".
    static let rfc5769Request = hex(
        "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e207465737420636c69656e74002400046e0001ff"
            + "80290008932ff9b151263b36000600096576746a3a68367659202020000800149aeaa70cbfd8cb56781ef2b5b2d3f2"
            + "49c1b571a280280004e57a3bcf")
    /// RFC 5769 §2.2, "Sample IPv4 Response".
    static let rfc5769Response = hex(
        "0101003c2112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220002000080001a147e112a643"
            + "000800142b91f599fd9e90c38c7489f92af9ba53f06be7d780280004c07d4c96")
    static let rfc5769Password = Array("VOkJxbRl1RmTxUk/WvJxBt".utf8)

    @Test func parsesAndVerifiesTheRFC5769SampleRequest() throws {
        let message = try STUNMessage.parse(Self.rfc5769Request)
        #expect(message.messageClass == .request)
        #expect(message.method == STUNMessage.bindingMethod)
        #expect(message.username == "evtj:h6vY")
        #expect(message.priority == 0x6e00_01ff)
        #expect(message.attribute(STUNAttribute.iceControlled) == [0x93, 0x2f, 0xf9, 0xb1, 0x51, 0x26, 0x3b, 0x36])
        try STUNMessage.verifyIntegrity(Self.rfc5769Request, key: Self.rfc5769Password)
        #expect(throws: STUNError.badIntegrity) {
            try STUNMessage.verifyIntegrity(Self.rfc5769Request, key: Array("wrong".utf8))
        }
        #expect(message.attribute(STUNAttribute.software) == Array("STUN test client".utf8))

        let response = try STUNMessage.parse(Self.rfc5769Response)
        #expect(response.messageClass == .success)
        try STUNMessage.verifyIntegrity(Self.rfc5769Response, key: Self.rfc5769Password)
        let mapped = try #require(
            STUNMessage.decodeXorMappedAddress(
                response.attribute(STUNAttribute.xorMappedAddress)!, transactionID: response.transactionID))
        #expect(mapped.ip == [192, 0, 2, 1])
        #expect(mapped.port == 32853)

        var corrupted = Self.rfc5769Request
        corrupted[30] ^= 1
        #expect(throws: STUNError.badFingerprint) { try STUNMessage.parse(corrupted) }
    }

    @Test func buildsMessagesThatVerify() throws {
        let transaction: [UInt8] = Array(0..<12)
        let request = STUNMessage(
            messageClass: .request, transactionID: transaction,
            attributes: [(STUNAttribute.username, Array("abc:def".utf8)), (STUNAttribute.useCandidate, [])])
        let bytes = request.serialize(integrityKey: Array("secret".utf8))
        let parsed = try STUNMessage.parse(bytes)
        #expect(parsed.username == "abc:def")
        #expect(parsed.hasUseCandidate)
        try STUNMessage.verifyIntegrity(bytes, key: Array("secret".utf8))
        #expect(throws: STUNError.missingIntegrity) { try STUNMessage.verifyIntegrity(request.serialize(), key: []) }

        let address = STUNMessage.xorMappedAddress(ip: [127, 0, 0, 1], port: 50000, transactionID: transaction)
        let decoded = try #require(STUNMessage.decodeXorMappedAddress(address, transactionID: transaction))
        #expect(decoded.ip == [127, 0, 0, 1])
        #expect(decoded.port == 50000)
        let response = STUNMessage(
            messageClass: .success, transactionID: transaction, attributes: [(STUNAttribute.xorMappedAddress, address)])
        #expect(try STUNMessage.parse(response.serialize(integrityKey: [1])).messageClass == .success)
    }

    @Test func neverTrapsOnRandomOrTruncatedInput() {
        for length in 0...Self.rfc5769Request.count {
            let prefix = Array(Self.rfc5769Request.prefix(length))
            _ = try? STUNMessage.parse(prefix)
            _ = try? STUNMessage.verifyIntegrity(prefix, key: Self.rfc5769Password)
        }
        var state: UInt64 = 99
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        for _ in 0..<5000 {
            var bytes = Self.rfc5769Request
            for _ in 0..<(1 + Int(next() % 4)) { bytes[Int(next() % UInt64(bytes.count))] = UInt8(next() & 0xff) }
            bytes = Array(bytes.prefix(Int(next() % UInt64(bytes.count + 1))))
            _ = try? STUNMessage.parse(bytes)
            _ = try? STUNMessage.verifyIntegrity(bytes, key: Self.rfc5769Password)
        }
    }
}
