import COpenSSL

/// SRTP keying material from the handshake (RFC 5764 §4.2).
public struct SRTPKeyingMaterial: Equatable, Sendable {
    public enum Profile: Int, Sendable {
        case aes128CmSha1_80 = 1
        case aeadAes128Gcm = 7
        var keyLength: Int { 16 }
        var saltLength: Int { self == .aes128CmSha1_80 ? 14 : 12 }
    }
    public var profile: Profile
    /// key ‖ salt the client protects with (and the server unprotects with).
    public var clientKeySalt: [UInt8]
    public var serverKeySalt: [UInt8]

    /// Keys for protecting what `role` sends and for unprotecting what it receives.
    public func keys(for role: DTLSRole) -> (local: [UInt8], remote: [UInt8]) {
        role == .client ? (clientKeySalt, serverKeySalt) : (serverKeySalt, clientKeySalt)
    }
}

public enum DTLSRole: Sendable, Equatable {
    case client, server
}

/// What the endpoint wants done after an input.
public struct DTLSOutput: Sendable {
    public var datagrams: [[UInt8]] = []
    public var connected: SRTPKeyingMaterial?
    public var failure: DTLSError?
}

/// A DTLS 1.2 endpoint over OpenSSL, sans I/O: datagrams and time in, datagrams, a timer and
/// events out. Owned by one event loop; not thread-safe.
///
/// Retransmission runs on the caller's clock: the last flight is resent after 1 s, doubling up
/// to 8 s, and the handshake fails after `maximumRetransmits`. OpenSSL's own timer, which reads
/// the wall clock, is kept just ahead of this one so that OpenSSL resends a flight in fresh records
/// (see `handleTimeout`).
///
/// Once media flows the owner may `retire` it: OpenSSL's session is freed and only the record
/// keys stay, enough for close_notify both ways (`DTLSRecordProtection`).
public final class DTLSEndpoint {
    public let role: DTLSRole
    public private(set) var isConnected = false
    public private(set) var isFailed = false
    /// OpenSSL's session was released (`retire`): only the record keys are left.
    public var isRetired: Bool { retired != nil }
    /// nil once retired; `input` and `output` belong to it and go with it.
    private var ssl: OpaquePointer?
    private var retired: DTLSRecordProtection?
    private let output: OpaquePointer
    private let input: OpaquePointer
    private let remoteFingerprint: String
    private var lastFlight: [[UInt8]] = []
    private var retransmitAt: Double?
    private var retransmitInterval = 1.0
    /// Flights resent because the peer did not answer in time.
    public private(set) var retransmits = 0
    private let maximumRetransmits: Int
    private let releasesBuffers: Bool
    /// Bytes read or popped at once: on the stack while DTLS works (rarely, once connected), not
    /// kept per endpoint.
    private static let scratchSize = 4096
    // Keeps the context alive as long as the session.
    private let certificate: DTLSCertificate

    /// - Parameters:
    ///   - remoteFingerprint: the `a=fingerprint:sha-256` value from the peer's SDP.
    ///   - releasesBuffers: frees OpenSSL's record buffers once connected (false only to measure
    ///     what they cost).
    public init(
        role: DTLSRole, certificate: DTLSCertificate, remoteFingerprint: String, mtu: Int = 1200,
        maximumRetransmits: Int = 6, releasesBuffers: Bool = true
    ) throws(DTLSError) {
        guard let ssl = SSL_new(certificate.context) else { throw .setup("SSL_new failed") }
        guard let input = BIO_new(BIO_s_mem()), let output = copenssl_datagram_bio_new() else {
            SSL_free(ssl)
            throw .setup("BIO_new failed")
        }
        _ = copenssl_bio_set_mem_eof_return(input, -1)
        SSL_set_bio(ssl, input, output)
        _ = copenssl_set_mtu(ssl, mtu)
        _ = copenssl_set_link_mtu(ssl, mtu)
        copenssl_dtls_follow_endpoint_timer(ssl)
        if role == .server { SSL_set_accept_state(ssl) } else { SSL_set_connect_state(ssl) }
        self.role = role
        self.ssl = ssl
        self.input = input
        self.output = output
        self.certificate = certificate
        self.remoteFingerprint = remoteFingerprint.uppercased()
        self.maximumRetransmits = maximumRetransmits
        self.releasesBuffers = releasesBuffers
    }

    deinit { if let ssl { SSL_free(ssl) } }

    /// Offers only `suites` (OpenSSL's cipher-list syntax) in the handshake; before `start`. Tests
    /// use it to reach each suite a peer may choose.
    func offerOnly(_ suites: String) -> Bool {
        guard let ssl else { return false }
        return SSL_set_cipher_list(ssl, suites) == 1
    }

    /// Starts the handshake (the client sends its ClientHello; the server waits).
    public func start(now: Double) -> DTLSOutput {
        guard let ssl else { return DTLSOutput() }
        return step(ssl, now: now)
    }

    /// A datagram from the peer.
    public func handle(_ datagram: [UInt8], now: Double) -> DTLSOutput {
        guard !isFailed, !datagram.isEmpty else { return DTLSOutput() }
        if let retired {
            guard retired.endsAssociation(datagram) else { return DTLSOutput() }
            isFailed = true
            return DTLSOutput(failure: .closed)
        }
        guard let ssl else { return DTLSOutput() }
        _ = datagram.withUnsafeBytes { BIO_write(input, $0.baseAddress, Int32($0.count)) }
        return step(ssl, now: now)
    }

    /// Releases OpenSSL's session (about 40 KiB: the handshake's buffers, the peer's certificate,
    /// the record layer) and keeps only the epoch-1 record keys, with which close_notify still
    /// goes both ways. Call it once the peer has shown that it finished the handshake: the first
    /// packet protected with the exported SRTP keys (a peer sends none before it has our
    /// Finished, and after that never needs a flight resent). Returns whether it was released:
    /// not before the handshake, nor for a suite other than AES-GCM.
    @discardableResult
    public func retire() -> Bool {
        guard isConnected, !isFailed, let ssl, let keys = DTLSRecordProtection(ssl: ssl, role: role) else {
            return false
        }
        retired = keys
        SSL_free(ssl)
        self.ssl = nil
        return true
    }

    /// When `handleTimeout` should next be called, if at all.
    public var nextTimeout: Double? { isConnected || isFailed ? nil : retransmitAt }

    /// Resends the last flight when its timer has run out.
    public func handleTimeout(now: Double) -> DTLSOutput {
        guard let ssl, let at = retransmitAt, now >= at, !isConnected, !isFailed else { return DTLSOutput() }
        guard retransmits < maximumRetransmits else {
            isFailed = true
            return DTLSOutput(failure: .timedOut)
        }
        retransmits += 1
        retransmitInterval = min(8, retransmitInterval * 2)
        retransmitAt = now + retransmitInterval
        // OpenSSL resends the flight in fresh records once its own timer, kept just ahead of this
        // one on the wall clock, has run out: a final flight's Finished resent as the same bytes
        // would be dropped by the peer as a replay. On a clock that jumps (tests), or when OpenSSL
        // has just resent by itself while reading, the same bytes go again.
        if copenssl_dtls_handle_timeout(ssl) > 0 {
            let resent = drain()
            if !resent.isEmpty {
                lastFlight = resent
                return DTLSOutput(datagrams: resent)
            }
        }
        return DTLSOutput(datagrams: lastFlight)
    }

    /// Sends close_notify.
    public func close() -> [[UInt8]] {
        guard isConnected else { return [] }
        if let retired { return retired.closeNotify().map { [$0] } ?? [] }
        guard let ssl else { return [] }
        withBuffers(ssl) { _ = SSL_shutdown(ssl) }
        return drain()
    }

    /// Gives OpenSSL back the record buffers that were released after the handshake for `body`,
    /// and releases them again after it: its DTLS write path does not make them again on its own
    /// (SSL_shutdown or a resent flight would write through a null buffer).
    private func withBuffers(_ ssl: OpaquePointer, _ body: () -> Void) {
        guard releasesBuffers else { return body() }
        _ = SSL_alloc_buffers(ssl)
        body()
        _ = SSL_free_buffers(ssl)
    }

    private func step(_ ssl: OpaquePointer, now: Double) -> DTLSOutput {
        var out = DTLSOutput()
        if !isConnected {
            let result = SSL_do_handshake(ssl)
            out.datagrams = drain()
            if !out.datagrams.isEmpty {
                lastFlight = out.datagrams
                retransmitInterval = 1
                retransmitAt = now + retransmitInterval
            }
            if result == 1 {
                isConnected = true
                retransmitAt = nil
                lastFlight = []
                // OpenSSL keeps its record buffers (about 8 KiB) for the life of the session,
                // though a connected leg reads DTLS rarely (a resent flight, close_notify).
                if releasesBuffers { _ = SSL_free_buffers(ssl) }
                switch finishHandshake(ssl) {
                case .success(let keys): out.connected = keys
                case .failure(let error):
                    isFailed = true
                    out.failure = error
                }
            } else {
                let error = SSL_get_error(ssl, result)
                if error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE {
                    isFailed = true
                    out.failure = .handshakeFailed(Self.errorText())
                }
            }
            return out
        }
        // After the handshake: answer retransmitted flights, notice close_notify.
        withBuffers(ssl) {
            let read = withUnsafeTemporaryAllocation(byteCount: Self.scratchSize, alignment: 1) {
                SSL_read(ssl, $0.baseAddress, Int32($0.count))
            }
            if read <= 0, SSL_get_error(ssl, read) == SSL_ERROR_ZERO_RETURN {
                isFailed = true
                out.failure = .closed
            }
        }
        out.datagrams = drain()
        return out
    }

    private func finishHandshake(_ ssl: OpaquePointer) -> Result<SRTPKeyingMaterial, DTLSError> {
        var digest = [UInt8](repeating: 0, count: 32)
        guard copenssl_peer_certificate_sha256(ssl, &digest) == 1,
            DTLSCertificate.format(digest) == remoteFingerprint
        else { return .failure(.fingerprintMismatch) }
        guard let profile = SRTPKeyingMaterial.Profile(rawValue: Int(copenssl_srtp_profile(ssl))) else {
            return .failure(.noSRTPProfile)
        }
        let half = profile.keyLength + profile.saltLength
        var material = [UInt8](repeating: 0, count: half * 2)
        guard copenssl_export_srtp_keys(ssl, &material, material.count) == 1 else {
            return .failure(.handshakeFailed("cannot export SRTP keys"))
        }
        let k = profile.keyLength
        let s = profile.saltLength
        // client_key | server_key | client_salt | server_salt
        let clientKey = Array(material[0..<k])
        let serverKey = Array(material[k..<2 * k])
        let clientSalt = Array(material[2 * k..<2 * k + s])
        let serverSalt = Array(material[2 * k + s..<2 * k + 2 * s])
        return .success(
            SRTPKeyingMaterial(
                profile: profile, clientKeySalt: clientKey + clientSalt, serverKeySalt: serverKey + serverSalt))
    }

    private func drain() -> [[UInt8]] {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: Self.scratchSize) { scratch in
            var datagrams: [[UInt8]] = []
            while true {
                let length = copenssl_datagram_bio_pop(output, scratch.baseAddress!, Int32(scratch.count))
                if length == 0 { break }
                if length > 0 { datagrams.append(Array(scratch[0..<Int(length)])) }
            }
            return datagrams
        }
    }

    private static func errorText() -> String {
        let code = ERR_get_error()
        guard code != 0 else { return "unknown error" }
        var buffer = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &buffer, buffer.count)
        while ERR_get_error() != 0 {}
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
