import COpenSSL
import CSRTP
import Synchronization

/// Why libsrtp refused a packet.
public enum SRTPError: Error, Equatable, Sendable {
    case setup(Int32)
    /// Authentication failed: a forged or corrupted packet.
    case authentication
    /// The packet was already received (or is too old for the replay window).
    case replay
    case tooShort
    case other(Int32)

    init(_ status: srtp_err_status_t) {
        switch status {
        case srtp_err_status_auth_fail: self = .authentication
        case srtp_err_status_replay_fail, srtp_err_status_replay_old: self = .replay
        case srtp_err_status_bad_param: self = .tooShort
        default: self = .other(Int32(status.rawValue))
        }
    }
}

/// The SRTP protection profiles WebRTC negotiates through DTLS.
public enum SRTPProfile: Sendable, Equatable {
    case aes128CmSha1_80
    case aeadAes128Gcm

    /// Bytes of key and salt.
    public var keyingLength: Int { self == .aes128CmSha1_80 ? 30 : 28 }
}

private let initialized: Void = { _ = srtp_init() }()

/// One direction of SRTP for one leg: outbound sessions protect, inbound ones unprotect, for
/// any SSRC. Protection happens in place in the caller's buffer, which needs
/// `SRTPSession.maximumTrailer` bytes of room after the packet. Owned by one event loop.
public final class SRTPSession {
    /// Bytes `protect` may add after the packet.
    public static let maximumTrailer = Int(SRTP_MAX_TRAILER_LEN)

    /// Which implementation protects packets.
    public enum Backend: Sendable, Equatable {
        /// libsrtp2 (Debian's is built on NSS): every profile; the reference.
        case libsrtp
        /// AES_CM_128_HMAC_SHA1_80 over OpenSSL EVP with reused key schedules; checked byte for
        /// byte against libsrtp2 in tests.
        case openSSL
    }

    public let backend: Backend
    private var session: srtp_t?
    private var fast: OpaquePointer?
    private let outbound: Bool

    /// Initialises libsrtp once per process (`srtp_init` must not run concurrently with sessions).
    public static func initializeLibrary() { _ = initialized }

    public init(
        profile: SRTPProfile, keyAndSalt: [UInt8], outbound: Bool, replayWindow: UInt = 1024,
        preferredBackend: Backend = .openSSL
    ) throws(SRTPError) {
        _ = initialized
        guard keyAndSalt.count == profile.keyingLength else { throw .setup(-1) }
        self.outbound = outbound
        if profile == .aes128CmSha1_80, preferredBackend == .openSSL {
            guard let context = copenssl_srtp_new(keyAndSalt) else { throw .setup(-2) }
            backend = .openSSL
            fast = context
            return
        }
        backend = .libsrtp
        var policy = srtp_policy_t()
        switch profile {
        case .aes128CmSha1_80:
            srtp_crypto_policy_set_rtp_default(&policy.rtp)
            srtp_crypto_policy_set_rtcp_default(&policy.rtcp)
        case .aeadAes128Gcm:
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp)
            srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp)
        }
        policy.ssrc.type = outbound ? ssrc_any_outbound : ssrc_any_inbound
        policy.window_size = replayWindow
        policy.allow_repeat_tx = 1
        var key = keyAndSalt
        var created: srtp_t?
        let status = key.withUnsafeMutableBufferPointer { buffer -> srtp_err_status_t in
            policy.key = buffer.baseAddress
            return srtp_create(&created, &policy)
        }
        guard status == srtp_err_status_ok, let created else { throw .setup(Int32(status.rawValue)) }
        session = created
    }

    deinit {
        if let session { srtp_dealloc(session) }
        if let fast { copenssl_srtp_free(fast) }
    }

    /// Protects the RTP packet of `length` bytes at the start of `buffer`; returns the new length.
    public func protect(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        if let fast {
            return try Self.check(
                copenssl_srtp_protect(fast, Self.bytes(buffer), Int32(length), Int32(buffer.count)), length)
        }
        return try run(buffer, length, capacityNeeded: length + Self.maximumTrailer, srtp_protect)
    }

    public func unprotect(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        if let fast {
            return try Self.check(
                copenssl_srtp_unprotect(fast, Self.bytes(buffer), Int32(min(length, buffer.count))), length)
        }
        return try run(buffer, length, capacityNeeded: length, srtp_unprotect)
    }

    public func protectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        if let fast {
            return try Self.check(
                copenssl_srtcp_protect(fast, Self.bytes(buffer), Int32(length), Int32(buffer.count)), length)
        }
        return try run(buffer, length, capacityNeeded: length + Self.maximumTrailer + 4, srtp_protect_rtcp)
    }

    public func unprotectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        if let fast {
            return try Self.check(
                copenssl_srtcp_unprotect(fast, Self.bytes(buffer), Int32(min(length, buffer.count))), length)
        }
        return try run(buffer, length, capacityNeeded: length, srtp_unprotect_rtcp)
    }

    @inline(__always)
    private static func bytes(_ buffer: UnsafeMutableRawBufferPointer) -> UnsafeMutablePointer<UInt8>? {
        buffer.baseAddress?.assumingMemoryBound(to: UInt8.self)
    }

    @inline(__always)
    private static func check(_ result: Int32, _ length: Int) throws(SRTPError) -> Int {
        switch result {
        case COPENSSL_SRTP_AUTH_FAIL: throw .authentication
        case COPENSSL_SRTP_REPLAY: throw .replay
        case COPENSSL_SRTP_NO_ROOM: throw .tooShort
        case ..<0: throw length < 12 ? .tooShort : .other(result)
        default: return Int(result)
        }
    }

    @inline(__always)
    private func run(
        _ buffer: UnsafeMutableRawBufferPointer, _ length: Int, capacityNeeded: Int,
        _ operation: (srtp_t?, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int32>?) -> srtp_err_status_t
    ) throws(SRTPError) -> Int {
        guard length >= 12, buffer.count >= capacityNeeded else { throw .tooShort }
        var newLength = Int32(length)
        let status = operation(session, buffer.baseAddress, &newLength)
        guard status == srtp_err_status_ok else { throw SRTPError(status) }
        return Int(newLength)
    }
}
