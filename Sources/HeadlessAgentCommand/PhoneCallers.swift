import ClientMedia
import Foundation
import HeadlessAgent
import Media
import NIOCore

/// Customers who call from phones, for `load --callers phone`: the generator is the carrier's
/// trunk (a `TrunkCaller`) and every call's media a `PumpLeg` (plain RTP, Opus or PCMU, 20 ms
/// frames of the customers' tone, delay probes when asked and the codec is Opus). With `numbers`
/// the agents transfer every caller to a number the trunk answers (`DialledNumbers`).
struct PhoneCallers {
    let trunk: TrunkCaller
    let number: String
    let codec: PumpLeg.Codec
    let media: ClientMediaEngine
    let audio: EncodedAudio
    let probe: DelayProbe?
    let duration: Double
    let maxLoss: Double
    let onAudioStarted: @Sendable () -> Void
    /// Told each call's figures when it ended.
    let onCall: @Sendable (CallFigures) -> Void
    /// The numbers the callers are transferred to; nil: they stay with the agents.
    var numbers: DialledNumbers? = nil

    /// Starts `count` calls at `rate` per second; returns when every one ended.
    func ramp(count: Int, rate: Double) async -> Result<[CallFigures], HeadlessError> {
        if let numbers {
            await trunk.acceptCalls(
                answer: { await numbers.answer($0, number: $1, offer: $2) }, ended: { numbers.ended($0, reason: $1) })
        }
        let start = Date()
        var figures = await withTaskGroup(of: CallFigures.self) { group in
            for index in 1...count {
                let wait = start.addingTimeInterval(Double(index - 1) / rate).timeIntervalSinceNow
                if wait > 0 { try? await Task.sleep(for: .seconds(wait)) }
                group.addTask {
                    let figures = await call(index)
                    onCall(figures)
                    return figures
                }
            }
            var all: [CallFigures] = []
            for await call in group { all.append(call) }
            return all
        }
        // The gateway ends a number's call when its caller hangs up.
        if let numbers { figures += await numbers.finish(within: 5) }
        await trunk.close()
        return .success(figures)
    }

    /// One call: INVITE with the leg's offer, media until `duration` has passed since the
    /// answer, then BYE. Never throws: what went wrong is the call's `failure`.
    private func call(_ index: Int) async -> CallFigures {
        let caller = String(format: "+1555030%04d", index)
        var figures = CallFigures(identity: caller, role: "customer", callId: "phone-\(index)")
        let clock: @Sendable () -> Double = { Date().timeIntervalSince1970 }
        let started = clock()
        let leg: PumpLeg
        do {
            leg = try await PumpLeg.make(
                address: media.address, srtp: false, codec: codec, audio: audio, ticker: media.nextTicker(),
                probe: probe, clock: clock, onAudioStarted: numbers == nil ? onAudioStarted : nil)
        } catch {
            figures.failure = "cannot bind its RTP socket: \(error)"
            return figures
        }
        do {
            let (id, answer) = try await trunk.call(
                number: number, from: caller, sdp: Self.sdp(of: leg, address: media.address))
            try await leg.start(remote: try Self.remote(answer), remoteKey: nil)
            figures.setupSeconds = clock() - started
            figures.establishedAt = clock()
            try? await Task.sleep(for: .seconds(duration))
            let heard = try await leg.snapshot()
            let endedBy = await trunk.hangUp(id)
            figures.endedAt = clock()
            figures.hangup = endedBy.map { "the gateway's BYE: \($0)" } ?? "NORMAL_HANGUP"
            figures.add(heard)
            if let endedBy {
                figures.failure = "the gateway ended the call early: \(endedBy)"
            } else {
                figures.failure = figures.verdict(code: nil, mediaFailure: nil, maxLossPercent: maxLoss)
            }
        } catch {
            figures.failure = "\(error)"
        }
        await leg.close()
        return figures
    }

    /// The SDP of a phone (its offer, or its answer to the gateway's call): the leg's codec on
    /// its port, and telephone-event.
    static func sdp(of leg: PumpLeg, address: String) -> String {
        let type = leg.codec.payloadType
        return [
            "v=0", "o=- \(leg.port) 1 IN IP4 \(address)", "s=-", "c=IN IP4 \(address)", "t=0 0",
            "m=audio \(leg.port) RTP/AVP \(type) 101", "a=rtpmap:\(type) \(leg.codec.rtpmap)",
            "a=rtpmap:101 telephone-event/8000", "a=fmtp:101 0-16", "a=ptime:20", "a=sendrecv", "",
        ].joined(separator: "\r\n")
    }

    /// Where the gateway takes the call's RTP: the address and port of its SDP answer.
    static func remote(_ answer: String) throws -> SocketAddress {
        guard let endpoint = PumpLeg.audioEndpoint(of: answer) else {
            throw TrunkCallError(description: "the gateway's SDP answer has no usable audio: \(answer)")
        }
        return endpoint.address
    }
}
