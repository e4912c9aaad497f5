import NIOCore

/// Recording a call's legs: each named leg gets a tap that copies what its party sends to a
/// recording writer, all taps counting arrivals from one origin so the tracks line up.
extension MediaGraph {
    /// Starts recording the legs named in `deliveries` (leg name → where its chunks go, from
    /// `RecordingWriter.open`), replacing taps they had. Throws `MediaError` before touching
    /// anything when a leg is missing or its audio codec cannot be recorded.
    public func startRecording(
        _ deliveries: [String: @Sendable (ByteBuffer) -> Void], budget: RecordingBudget
    ) async throws {
        try await eventLoop.submit { [self] in
            var plans: [(MediaLeg, RecordingTap, String)] = []
            for (name, deliver) in deliveries {
                guard let leg = legs[name]?.leg else { throw MediaError.sdp("no leg \(name) in this call") }
                guard let codec = AudioPlayer.audioCodec(of: leg), let kind = RecordedCodec(name: codec.name) else {
                    throw MediaError.sdp("leg \(name) has no audio codec a recording can decode")
                }
                plans.append(
                    (
                        leg,
                        RecordingTap(codec: kind, payloadType: codec.payloadType, budget: budget, deliver: deliver),
                        name
                    ))
            }
            guard let origin = plans.first?.0.now else { return }
            for (leg, tap, name) in plans {
                if let old = taps[name] { old.finish(now: origin) }
                tap.start(origin: origin)
                leg.recordingTap = tap
                taps[name] = tap
            }
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
