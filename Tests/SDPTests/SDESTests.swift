import Testing

@testable import SDP

/// SDES (RFC 4568) for trunks: reading `a=crypto`, and the rule that a trunk that encrypts
/// takes only SRTP and one that does not takes only RTP.
@Suite struct SDESTests {
    static let key = (0..<30).map { UInt8($0 * 7 & 0xff) }
    static let theirKey = (0..<30).map { UInt8(255 - $0) }

    /// What baresip's srtp-mand offers: RTP/SAVP with one inline key.
    static func savpOffer(cryptoLines: [String]) -> String {
        """
        v=0\r
        o=- 1 1 IN IP4 10.0.0.5\r
        s=-\r
        c=IN IP4 10.0.0.5\r
        t=0 0\r
        m=audio 30000 RTP/SAVP 0 101\r
        a=rtpmap:0 PCMU/8000\r
        a=rtpmap:101 telephone-event/8000\r
        \(cryptoLines.map { "a=crypto:\($0)\r\n" }.joined())a=sendrecv\r

        """
    }

    @Test func base64RoundTripsAndRefusesWhatIsNotBase64() {
        for length in 0...32 {
            let bytes = (0..<length).map { UInt8(($0 * 37 + length) & 0xff) }
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
        }
        #expect(Base64.encode(Array("Man".utf8)) == "TWFu" && Base64.encode(Array("Ma".utf8)) == "TWE=")
        #expect(Base64.decode("TWE") == Array("Ma".utf8), "unpadded is read")
        #expect(Base64.decode("TW!u") == nil && Base64.decode("T===") == nil && Base64.decode("TW=u") == nil)
        #expect(Base64.decode("TWFuT") == nil, "one character left over")
    }

    @Test func readsOneInlineKeyOfTheSuiteAndNothingElse() throws {
        let inline = Base64.encode(Self.key)
        let plain = try #require(SDESCrypto(attributeValue: "1 AES_CM_128_HMAC_SHA1_80 inline:\(inline)"))
        #expect(plain.tag == 1 && plain.keyAndSalt == Self.key)
        #expect(plain.attributeValue == "1 AES_CM_128_HMAC_SHA1_80 inline:\(inline)")
        #expect(SDESCrypto(attributeValue: "2 AES_CM_128_HMAC_SHA1_80 inline:\(inline)|2^31")?.tag == 2, "lifetime ok")
        #expect(SDESCrypto(attributeValue: "1 AES_CM_128_HMAC_SHA1_80 inline:\(inline)|2^20|1:4") == nil, "MKI")
        #expect(SDESCrypto(attributeValue: "1 AES_CM_128_HMAC_SHA1_32 inline:\(inline)") == nil, "other suite")
        #expect(SDESCrypto(attributeValue: "1 AES_CM_128_HMAC_SHA1_80 inline:AAAA") == nil, "short key")
        #expect(SDESCrypto(attributeValue: "x AES_CM_128_HMAC_SHA1_80 inline:\(inline)") == nil)
        #expect(SDESCrypto(attributeValue: "1 AES_CM_128_HMAC_SHA1_80") == nil)
        #expect(SDESCrypto(attributeValue: "1 AES_CM_128_HMAC_SHA1_80 inline:\(inline);inline:\(inline)") == nil)
        #expect(
            SDESCrypto(attributeValue: "") == nil && SDESCrypto(attributeValue: "1 AES_CM_128_HMAC_SHA1_80 x") == nil)
        let sessionParameters = " KDR=1 UNENCRYPTED_SRTCP"
        #expect(SDESCrypto(attributeValue: "1 AES_CM_128_HMAC_SHA1_80 inline:\(inline)\(sessionParameters)")?.tag == 1)
        let tooLong = "1 AES_CM_128_HMAC_SHA1_80 inline:\(inline)" + String(repeating: sessionParameters, count: 60)
        #expect(tooLong.utf8.count > 1024 && SDESCrypto(attributeValue: tooLong) == nil, "over 1 KiB is not read")
    }

    @Test func anEncryptingLegAnswersWithItsKeyUnderTheOfferedTag() throws {
        let offer = try SessionDescription.parse(
            Self.savpOffer(cryptoLines: [
                "1 AES_CM_128_HMAC_SHA1_32 inline:\(Base64.encode(Self.theirKey))",
                "2 AES_CM_128_HMAC_SHA1_80 inline:\(Base64.encode(Self.theirKey))",
            ]))
        let (answer, negotiation) = try PlainRTPDescriptionBuilder.answer(
            to: offer, address: "127.0.0.1", port: 40000, preference: ["pcmu"], sessionId: 1, localKey: Self.key)
        #expect(negotiation.sdes == SDESKeys(local: Self.key, remote: Self.theirKey))
        #expect(answer.text.contains("m=audio 40000 RTP/SAVP 0 101\r\n"))
        #expect(answer.text.contains("a=crypto:2 AES_CM_128_HMAC_SHA1_80 inline:\(Base64.encode(Self.key))\r\n"))
        // The gateway's own answer read back (as the far end would) carries its key.
        #expect(throws: WebRTCSDPError.self, "an answer must carry the offered tag (1), not 2") {
            try PlainRTPDescriptionBuilder.readAnswer(answer, preference: ["pcmu"], localKey: Self.theirKey)
        }
    }

    @Test func anOfferOfTheGatewaysReadsBackWithItsKey() throws {
        let offer = PlainRTPDescriptionBuilder.offer(
            address: "127.0.0.1", port: 41000, preference: ["pcmu"], sessionId: 3, localKey: Self.key)
        #expect(offer.text.contains("m=audio 41000 RTP/SAVP 0 101\r\n"))
        let read = try PlainAudio.read(offer)
        #expect(read.secure && read.crypto == [SDESCrypto(tag: 1, keyAndSalt: Self.key)])
        // The far end answers under tag 1 with its key.
        let answer = try SessionDescription.parse(
            Self.savpOffer(cryptoLines: ["1 AES_CM_128_HMAC_SHA1_80 inline:\(Base64.encode(Self.theirKey))"]))
        let negotiation = try PlainRTPDescriptionBuilder.readAnswer(answer, preference: ["pcmu"], localKey: Self.key)
        #expect(negotiation.sdes == SDESKeys(local: Self.key, remote: Self.theirKey))
    }

    @Test func encryptionMustMatchOnBothSides() throws {
        let savp = try SessionDescription.parse(
            Self.savpOffer(cryptoLines: ["1 AES_CM_128_HMAC_SHA1_80 inline:\(Base64.encode(Self.theirKey))"]))
        let avp = try SessionDescription.parse(PlainAudioTests.sippOffer)
        let noUsableKey = try SessionDescription.parse(
            Self.savpOffer(cryptoLines: ["1 AES_CM_128_HMAC_SHA1_32 inline:\(Base64.encode(Self.theirKey))"]))
        func answerError(_ offer: SessionDescription, _ key: [UInt8]?) -> WebRTCSDPError? {
            do {
                _ = try PlainRTPDescriptionBuilder.answer(
                    to: offer, address: "127.0.0.1", port: 1, preference: ["pcmu"], sessionId: 1, localKey: key)
                return nil
            } catch { return error }
        }
        #expect(
            answerError(savp, nil)
                == .unsupported("media protocol RTP/SAVP: this trunk does not encrypt media (mediaEncryption NONE)"))
        #expect(
            answerError(avp, Self.key)
                == .unsupported(
                    "media protocol RTP/AVP: this trunk encrypts media (mediaEncryption SDES) and needs RTP/SAVP"))
        #expect(
            answerError(noUsableKey, Self.key)
                == .unsupported("no usable a=crypto line: this trunk needs AES_CM_128_HMAC_SHA1_80 with an inline key"))
        #expect(answerError(avp, nil) == nil && answerError(savp, Self.key) == nil)
    }
}
