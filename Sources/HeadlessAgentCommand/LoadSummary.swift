import ClientMedia
import Foundation
import HeadlessAgent

/// What a load run measured: per-call figures summed up as percentiles.
struct LoadSummary: Codable {
    var requestedCalls: Int
    /// Customer calls that ended (set up or not).
    var calls: Int
    /// Requested calls that did not carry audio both ways: those that failed, and those never
    /// made (the gateway went away, an agent could not sign in).
    var failedCalls: Int
    var peakConcurrentCalls: Int
    var seconds: Double
    /// Customers: from `call.start` to `call.established`, in ms.
    var setupMilliseconds: Percentiles?
    /// Customers: from `call.start` to the first audio heard, in ms.
    var firstAudioMilliseconds: Percentiles?
    /// Every leg, both sides: share of the audio it should have heard that never came.
    var lossPercent: Percentiles?
    /// Every leg, both sides: RFC 3550 interarrival jitter at the end of the call, in ms.
    var jitterMilliseconds: Percentiles?
    /// Every probe heard (`--probe-delay`): one-way delay through the gateway, the kernel and
    /// the generator, in ms (upper edges of 0.1 ms buckets).
    var delayMilliseconds: DelayPercentiles?
    /// The generator's 20 ms media ticks, and those that came more than 20 ms late (the
    /// generator, not the gateway, was behind).
    var generatorTicks = 0
    var generatorLateTicks = 0
    var packetsSent: Int
    var packetsReceived: Int
    var idleAgents: Int
    /// The first few failures, one line each.
    var failures: [String]

    init(figures: [CallFigures], requested: Int, seconds: Double, fatal: [String], idleAgents: Int) {
        let customers = figures.filter { $0.role == "customer" }
        let failed = figures.filter { $0.failure != nil }
        requestedCalls = requested
        calls = customers.count
        let failedIds = Set(failed.map(\.callId))
        let succeeded = customers.filter { $0.failure == nil && !failedIds.contains($0.callId) }.count
        failedCalls = max(failedIds.count, requested - succeeded)
        peakConcurrentCalls = customers.peakConcurrency
        self.seconds = seconds
        setupMilliseconds = Percentiles(customers.compactMap { $0.setupSeconds.map { $0 * 1000 } })
        firstAudioMilliseconds = Percentiles(customers.compactMap { $0.firstAudioSeconds.map { $0 * 1000 } })
        let carried = figures.filter { $0.packetsExpected > 0 }
        lossPercent = Percentiles(carried.map(\.lossPercent))
        jitterMilliseconds = Percentiles(carried.map(\.jitterMilliseconds))
        var delay = DelayHistogram()
        for call in figures { if let histogram = call.delay { delay.merge(histogram) } }
        delayMilliseconds = DelayPercentiles(delay)
        packetsSent = figures.reduce(0) { $0 + $1.packetsSent }
        packetsReceived = figures.reduce(0) { $0 + $1.packetsReceived }
        self.idleAgents = idleAgents
        failures = Array(
            (fatal + failed.map { "\($0.role) \($0.identity) call \($0.callId): \($0.failure ?? "")" }).prefix(10))
    }

    /// Why the run failed, in one line; nil when every requested call carried audio.
    var failureReason: String? {
        guard failedCalls > 0 || !failures.isEmpty else { return nil }
        let made = calls < requestedCalls ? " (\(requestedCalls - calls) never made)" : ""
        return
            "\(failedCalls) of \(requestedCalls) calls failed\(made); first: \(failures.first ?? "no reason reported")"
    }

    var text: String {
        func row(_ name: String, _ p: Percentiles?, _ unit: String) -> String {
            guard let p else { return "\(name): -" }
            return String(
                format: "%@: p50 %.1f, p95 %.1f, p99 %.1f, max %.1f %@ (%d)", name, p.p50, p.p95, p.p99, p.max, unit,
                p.count)
        }
        return [
            "calls: \(calls) of \(requestedCalls), failed \(failedCalls), peak concurrent \(peakConcurrentCalls), "
                + String(format: "%.1f s", seconds),
            row("set-up", setupMilliseconds, "ms"), row("first audio", firstAudioMilliseconds, "ms"),
            row("loss", lossPercent, "%"), row("jitter", jitterMilliseconds, "ms"),
            delayMilliseconds.map {
                String(format: "delay: p50 %.1f, p99 %.1f, max %.1f ms (%d probes)", $0.p50, $0.p99, $0.max, $0.count)
            } ?? "delay: -",
            "generator ticks: \(generatorTicks), late \(generatorLateTicks)",
            "packets: sent \(packetsSent), received \(packetsReceived); idle agents \(idleAgents)",
        ].joined(separator: "\n") + failures.map { "\nfailed: \($0)" }.joined()
    }
}

/// The percentiles of a delay histogram, in milliseconds.
struct DelayPercentiles: Codable {
    var count: Int
    var p50: Double
    var p99: Double
    var max: Double

    init?(_ histogram: DelayHistogram) {
        guard let p50 = histogram.percentile(0.5), let p99 = histogram.percentile(0.99),
            let max = histogram.percentile(1)
        else { return nil }
        count = histogram.sampleCount
        self.p50 = p50
        self.p99 = p99
        self.max = max
    }
}
