import COpenSSL

/// What a DTLS 1.2 association keeps once OpenSSL's session is released (`DTLSEndpoint.retire`):
/// the epoch-1 record keys of its AES-GCM suite, enough to recognise the peer's close_notify (or a
/// fatal alert) and to send our own. A connected WebRTC leg reads no other DTLS record: SRTP
/// carries the media, and the peer resends a handshake flight only while it lacks our Finished.
struct DTLSRecordProtection {
    let role: DTLSRole
    /// client_write_key ‖ server_write_key ‖ client_write_IV (4) ‖ server_write_IV (4).
    private let keyBlock: [UInt8]
    private let keyLength: Int

    /// The sequence number of the one record sent with these keys: far beyond what the handshake
    /// used in epoch 1 (its Finished and any resends), so unique, and inside the peer's window.
    static let closeSequence: UInt64 = 1 << 32
    static let alert: UInt8 = 21
    static let epoch: UInt16 = 1

    /// The keys of `ssl`'s finished handshake; nil when its suite is not AES-GCM (the session is
    /// then kept) or they cannot be derived.
    init?(ssl: OpaquePointer, role: DTLSRole) {
        var block = [UInt8](repeating: 0, count: 72)
        let length = copenssl_dtls_record_keys(ssl, &block, block.count)
        guard length == 16 || length == 32 else { return nil }
        self.role = role
        keyLength = Int(length)
        keyBlock = Array(block[0..<(2 * Int(length) + 8)])
    }

    /// Whether `datagram` holds an authentic close_notify or fatal alert from the peer. Any other
    /// record (a stray handshake resend, application data, a forgery) is ignored.
    func endsAssociation(_ datagram: [UInt8]) -> Bool {
        let (key, salt) = keys(writtenBy: role == .client ? .server : .client)
        var offset = 0
        while datagram.count - offset >= 13 {
            let length = Int(datagram[offset + 11]) << 8 | Int(datagram[offset + 12])
            let end = offset + 13 + length
            guard end <= datagram.count else { return false }
            let epoch = UInt16(datagram[offset + 3]) << 8 | UInt16(datagram[offset + 4])
            if datagram[offset] == Self.alert, epoch == Self.epoch {
                var plain: [UInt8] = [0, 0]
                let opened = datagram.withUnsafeBufferPointer { record in
                    guard let start = record.baseAddress else { return Int32(-1) }
                    return copenssl_dtls_gcm_open(
                        key, Int32(keyLength), salt, start + offset, Int32(end - offset), &plain, Int32(plain.count))
                }
                // level 2 = fatal; description 0 = close_notify (RFC 5246 §7.2)
                if opened == 2, plain[0] == 2 || plain[1] == 0 { return true }
            }
            offset = end
        }
        return false
    }

    /// Our close_notify, sealed as the record that `DTLSEndpoint.close` sends.
    func closeNotify() -> [UInt8]? {
        let (key, salt) = keys(writtenBy: role)
        let plain: [UInt8] = [1, 0]  // warning, close_notify
        var record = [UInt8](repeating: 0, count: 13 + 8 + plain.count + 16)
        let length = copenssl_dtls_gcm_seal(
            key, Int32(keyLength), salt, Self.alert, Self.epoch, Self.closeSequence, plain, Int32(plain.count),
            &record, Int32(record.count))
        return length == record.count ? record : nil
    }

    private func keys(writtenBy writer: DTLSRole) -> (key: [UInt8], salt: [UInt8]) {
        let ivs = 2 * keyLength
        return writer == .client
            ? (Array(keyBlock[0..<keyLength]), Array(keyBlock[ivs..<ivs + 4]))
            : (Array(keyBlock[keyLength..<ivs]), Array(keyBlock[ivs + 4..<ivs + 8]))
    }
}
