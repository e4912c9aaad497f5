import NIOCore

/// Recording a call's legs: each named leg gets a tap that copies what its party sends to a
/// recording writer, all taps counting arrivals from one origin so the tracks line up.
extension MediaGraph {
    /// Starts recording the legs named in `deliveries` (leg name → where its chunks go, from
    /// `RecordingWriter.open`), replacing taps they had; the WebRTC legs named in `video` record
    /// their VP8 video too, and are asked for a keyframe. Throws `MediaError` before touching
    /// anything when a leg is missing or its audio codec cannot be recorded.
    public func startRecording(
        _ deliveries: [String: @Sendable (ByteBuffer) -> Void], video: Set<String> = [], budget: RecordingBudget
    ) async throws {
        try await eventLoop.submit { [self] in
            var plans: [(MediaLeg, RecordingTap, String)] = []
            for (name, deliver) in deliveries {
                guard let leg = legs[name]?.leg else { throw MediaError.sdp("no leg \(name) in this call") }
                guard let codec = leg.audioCodec, let kind = RecordedCodec(name: codec.name) else {
                    throw MediaError.sdp("leg \(name) has no audio codec a recording can decode")
                }
                let videoType = video.contains(name) ? leg.webRTC?.videoVP8PayloadType : nil
                let tap = RecordingTap(
                    codec: kind, payloadType: codec.payloadType, videoPayloadType: videoType, budget: budget,
                    deliver: deliver)
                plans.append((leg, tap, name))
            }
            guard let origin = plans.first?.0.now else { return }
            for (leg, tap, name) in plans {
                if let old = taps[name] { old.finish(now: origin) }
                tap.start(origin: origin)
                leg.recordingTap = tap
                taps[name] = tap
                if tap.recordsVideo { leg.webRTC?.requestKeyframe() }
            }
        }.get()
    }

    /// The legs of `names` whose video a recording can take (WebRTC legs that negotiated VP8).
    public func videoLegs(_ names: [String]) async throws -> Set<String> {
        try await eventLoop.submit { [self] in
            Set(names.filter { legs[$0]?.leg.webRTC?.videoVP8PayloadType != nil })
        }.get()
    }

    /// Ends every track being recorded, at one instant.
    public func stopRecording() {
        eventLoop.execute { [self] in finishRecordingOnLoop() }
    }

    /// Pauses recording (what the parties send is not kept: the span is silence) or resumes it.
    public func setRecordingPaused(_ paused: Bool) {
        eventLoop.execute { [self] in
            for tap in taps.values { tap.paused = paused }
        }
    }

    func finishRecordingOnLoop() {
        guard let now = taps.keys.lazy.compactMap({ self.legs[$0]?.leg.now }).first else {
            taps.removeAll()
            return
        }
        for (name, tap) in taps {
            legs[name]?.leg.recordingTap = nil
            tap.finish(now: now)
        }
        taps.removeAll()
    }
}
