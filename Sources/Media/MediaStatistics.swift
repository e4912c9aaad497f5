import Synchronization

/// Process-wide media counters. Atomic adds only, so legs update them from the media path
/// without a lock; `/metrics` reads them.
public final class MediaStatistics: Sendable {
    public let rtpReceived = Atomic<Int>(0)
    public let rtpSent = Atomic<Int>(0)
    public let rtcpReceived = Atomic<Int>(0)
    public let rtcpSent = Atomic<Int>(0)
    /// From an address ICE has not selected, or after consent expired.
    public let droppedUnlatched = Atomic<Int>(0)
    public let droppedSRTPAuthentication = Atomic<Int>(0)
    public let droppedSRTPReplay = Atomic<Int>(0)
    /// Not STUN, DTLS, RTP or RTCP, or unparsable RTP.
    public let droppedMalformed = Atomic<Int>(0)
    /// STUN with a wrong USERNAME or MESSAGE-INTEGRITY, or not a binding request.
    public let stunRefused = Atomic<Int>(0)
    public let legsOpened = Atomic<Int>(0)
    public let legsFailed = Atomic<Int>(0)
    /// WebRTC legs refused because the peer's DTLS certificate did not match its SDP fingerprint.
    public let dtlsFingerprintMismatches = Atomic<Int>(0)
    /// WebRTC legs that released their DTLS session once the peer's SRTP came, and kept only the
    /// record keys (AES-GCM suites); the others keep OpenSSL's session for the whole call.
    public let dtlsSessionsReleased = Atomic<Int>(0)
    /// 5 ms phases of the media clocks, and those that finished more than 20 ms after they were due.
    public let ticks = Atomic<Int>(0)
    public let ticksLate = Atomic<Int>(0)
    /// Media datagrams the gateway's own writes did not send (a loop's shared WebRTC socket, a
    /// trunk leg's RTP and RTCP ports): the send buffer was full (media is dropped, not queued), or the
    /// kernel refused them (an unreachable network, a firewall).
    public let sendsDroppedFull = Atomic<Int>(0)
    public let sendsRefused = Atomic<Int>(0)
    /// How long media datagrams spent in the gateway, from the kernel's receipt until handled.
    public let relayDelay = RelayDelayHistogram()

    public init() {}

    /// Prometheus text lines for these counters.
    public func exposition() -> String {
        func value(_ atomic: borrowing Atomic<Int>) -> Int { atomic.load(ordering: .relaxed) }
        return """
            # HELP gateway_media_packets_total Media packets handled by the relay.
            # TYPE gateway_media_packets_total counter
            gateway_media_packets_total{kind="rtp",direction="received"} \(value(rtpReceived))
            gateway_media_packets_total{kind="rtp",direction="sent"} \(value(rtpSent))
            gateway_media_packets_total{kind="rtcp",direction="received"} \(value(rtcpReceived))
            gateway_media_packets_total{kind="rtcp",direction="sent"} \(value(rtcpSent))
            # HELP gateway_media_dropped_total Datagrams dropped on media ports, by reason.
            # TYPE gateway_media_dropped_total counter
            gateway_media_dropped_total{reason="unlatched"} \(value(droppedUnlatched))
            gateway_media_dropped_total{reason="srtp_authentication"} \(value(droppedSRTPAuthentication))
            gateway_media_dropped_total{reason="srtp_replay"} \(value(droppedSRTPReplay))
            gateway_media_dropped_total{reason="malformed"} \(value(droppedMalformed))
            gateway_media_dropped_total{reason="stun_refused"} \(value(stunRefused))
            # HELP gateway_media_legs_total WebRTC legs opened and failed.
            # TYPE gateway_media_legs_total counter
            gateway_media_legs_total{outcome="opened"} \(value(legsOpened))
            gateway_media_legs_total{outcome="failed"} \(value(legsFailed))
            # HELP gateway_media_dtls_refused_total WebRTC peers whose DTLS certificate did not match their SDP fingerprint.
            # TYPE gateway_media_dtls_refused_total counter
            gateway_media_dtls_refused_total{reason="fingerprint_mismatch"} \(value(dtlsFingerprintMismatches))
            # HELP gateway_media_dtls_released_total WebRTC legs whose DTLS session was released once media flowed (only its record keys kept, for close_notify).
            # TYPE gateway_media_dtls_released_total counter
            gateway_media_dtls_released_total \(value(dtlsSessionsReleased))
            # HELP gateway_media_ticks_total Phases of the media clocks (players, mixers: a quarter of them every 5 ms).
            # TYPE gateway_media_ticks_total counter
            gateway_media_ticks_total \(value(ticks))
            # HELP gateway_media_ticks_late_total Phases whose frames left more than 20 ms after they were due: a media loop is overloaded.
            # TYPE gateway_media_ticks_late_total counter
            gateway_media_ticks_late_total \(value(ticksLate))
            # HELP gateway_media_sends_dropped_total Media datagrams not sent (a media loop's shared WebRTC socket, a trunk leg's RTP port), by reason: the send buffer was full, or the kernel refused them.
            # TYPE gateway_media_sends_dropped_total counter
            gateway_media_sends_dropped_total{reason="buffer_full"} \(value(sendsDroppedFull))
            gateway_media_sends_dropped_total{reason="refused"} \(value(sendsRefused))

            """
                + relayDelay.exposition(
                    name: "gateway_media_relay_delay_seconds",
                    help:
                        "Time from a media datagram's arrival in the kernel until a media loop had handled it (for relayed and transcoded audio, its outgoing packet sent): the relay's added delay, its wait for a busy loop included."
                )
    }
}
