import COpus

/// Why libopus refused.
public enum OpusError: Error, Equatable, Sendable {
    case setup(Int32)
    case encode(Int32)
    case decode(Int32)
}

/// How libopus codes: SILK/hybrid for speech (`voip`), or the CELT layer only
/// (`restrictedLowDelay`): about three times cheaper to encode at the same complexity and 2.5 ms
/// of look-ahead instead of 6.5 ms, but narrowband speech needs CELT's complexity 5 (its pitch
/// pre-filter) to come near SILK's complexity 0, which then costs less.
public enum OpusApplication: Sendable {
    case voip, audio, restrictedLowDelay

    var value: Int32 {
        switch self {
        case .voip: OPUS_APPLICATION_VOIP
        case .audio: OPUS_APPLICATION_AUDIO
        case .restrictedLowDelay: OPUS_APPLICATION_RESTRICTED_LOWDELAY
        }
    }
}

/// An Opus encoder for 20 ms frames. Owned by one event loop; not thread-safe.
public final class OpusEncoder {
    private let encoder: OpaquePointer
    public let sampleRate: Int
    public let channels: Int

    /// - Parameters:
    ///   - complexity: 0 (cheapest) to 10.
    ///   - narrowband: code up to 4 kHz only, as a browser does when told `maxplaybackrate=8000`.
    public init(
        sampleRate: Int = 48000, channels: Int = 1, complexity: Int = 5, bitrate: Int = 32000,
        narrowband: Bool = false, application: OpusApplication = .voip
    ) throws(OpusError) {
        var error: Int32 = 0
        guard let encoder = opus_encoder_create(Int32(sampleRate), Int32(channels), application.value, &error),
            error == OPUS_OK
        else { throw .setup(error) }
        self.encoder = encoder
        self.sampleRate = sampleRate
        self.channels = channels
        guard copus_encoder_set_complexity(encoder, Int32(complexity)) == OPUS_OK,
            copus_encoder_set_bitrate(encoder, Int32(bitrate)) == OPUS_OK
        else { throw .setup(-1) }
        if narrowband {
            guard copus_encoder_set_max_bandwidth(encoder, OPUS_BANDWIDTH_NARROWBAND) == OPUS_OK,
                copus_encoder_set_signal_voice(encoder) == OPUS_OK
            else { throw .setup(-1) }
        }
    }

    deinit { opus_encoder_destroy(encoder) }

    public var complexity: Int {
        var value: Int32 = -1
        _ = copus_encoder_get_complexity(encoder, &value)
        return Int(value)
    }

    /// Encodes one frame of interleaved samples into `out`; returns the packet length.
    public func encode(_ samples: UnsafeBufferPointer<Int16>, into out: UnsafeMutableBufferPointer<UInt8>)
        throws(OpusError) -> Int
    {
        guard let input = samples.baseAddress, let output = out.baseAddress else { throw .encode(OPUS_BAD_ARG) }
        let frame = Int32(samples.count / channels)
        let length = opus_encode(encoder, input, frame, output, Int32(out.count))
        guard length > 0 else { throw .encode(length) }
        return Int(length)
    }
}

/// An Opus decoder; ask for 8 kHz output when the other leg is G.711 (cheaper than 48 kHz).
public final class OpusDecoder {
    private let decoder: OpaquePointer
    public let sampleRate: Int
    public let channels: Int

    public init(sampleRate: Int = 48000, channels: Int = 1) throws(OpusError) {
        var error: Int32 = 0
        guard let decoder = opus_decoder_create(Int32(sampleRate), Int32(channels), &error), error == OPUS_OK else {
            throw .setup(error)
        }
        self.decoder = decoder
        self.sampleRate = sampleRate
        self.channels = channels
    }

    deinit { opus_decoder_destroy(decoder) }

    /// Decodes a packet into `out` (room for 120 ms is always enough); returns samples per channel.
    public func decode(_ packet: UnsafeBufferPointer<UInt8>, into out: UnsafeMutableBufferPointer<Int16>)
        throws(OpusError) -> Int
    {
        guard let output = out.baseAddress else { throw .decode(OPUS_BAD_ARG) }
        let frames = opus_decode(
            decoder, packet.baseAddress, Int32(packet.count), output, Int32(out.count / channels), 0)
        guard frames >= 0 else { throw .decode(frames) }
        return Int(frames)
    }
}
