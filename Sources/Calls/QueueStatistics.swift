import Foundation

/// What a wallboard shows of each queue over the last hour, kept per minute: calls offered,
/// answered (and how long they waited), abandoned (the caller hung up before an agent answered),
/// talk time of calls that ended, and the most callers waiting at once. A pure value: calls'
/// records and the clock go in, figures come out; `CallCenter` feeds it.
///
/// Definitions (docs/api.md "Queue statistics"):
/// - service level: calls answered within the threshold ÷ (answered + abandoned), in the window;
/// - average speed of answer: mean wait of the answered calls;
/// - average handle time: mean talk time (answer to hang-up, hold included) plus the mean
///   after-call work (the agent's wrap-up that followed), over the calls that ended.
public struct QueueStatistics: Sendable {
    /// One minute of one queue.
    public struct Minute: Sendable, Equatable, Codable {
        /// Seconds since 1970 at the minute's start.
        public var start: Int64
        public var offered = 0
        public var answered = 0
        public var abandoned = 0
        /// Waits of the calls answered in this minute, in seconds.
        public var waits: [Double] = []
        /// Talk times of the answered calls that ended in this minute, in seconds.
        public var talks: [Double] = []
        /// Wrap-ups (after-call work) that ended in this minute, in seconds.
        public var wrapUps: [Double] = []
        public var waitingMax = 0

        init(start: Int64) { self.start = start }
    }

    /// A call as the statistics follow it.
    struct Followed {
        var queueId: String
        var answered: Bool
    }

    /// Minutes kept per queue.
    public static let minutesKept = 60
    private var queues: [String: [Minute]] = [:]
    private var followed: [String: Followed] = [:]
    /// Each agent's last answered call of a queue, until its wrap-up ends: queue and end time.
    private var awaitingWrapUp: [String: (queueId: String, endedAt: Date)] = [:]

    public init() {}

    /// A stored call changed: counts an inbound call offered to a queue once, its answer once, and
    /// its end (abandoned when the caller hung up unanswered, talk time when answered).
    public mutating func observe(_ record: CallRecord, now: Date) {
        guard record.direction == "INBOUND" else { return }
        if followed[record.id] == nil {
            guard let queueId = record.queueId, record.endedAt == nil else { return }
            followed[record.id] = Followed(queueId: queueId, answered: false)
            update(queueId, now) { $0.offered += 1 }
        }
        guard var call = followed[record.id] else { return }
        if !call.answered, let answeredAt = record.answeredAt {
            call.answered = true
            followed[record.id] = call
            let wait = max(0, answeredAt.timeIntervalSince(record.createdAt))
            update(call.queueId, now) {
                $0.answered += 1
                $0.waits.append(wait)
            }
        }
        guard let endedAt = record.endedAt else { return }
        followed[record.id] = nil
        if call.answered, let answeredAt = record.answeredAt {
            update(call.queueId, now) { $0.talks.append(max(0, endedAt.timeIntervalSince(answeredAt))) }
            if let agentId = record.agentId { awaitingWrapUp[agentId] = (call.queueId, endedAt) }
        } else if record.state == .CANCELLED {
            // The caller hung up before an agent answered (not: no agent, closed, timed out).
            update(call.queueId, now) { $0.abandoned += 1 }
        }
    }

    /// `agentId`'s wrap-up ended: the time since its last call ended is that call's after-call
    /// work. Without wrap-up (turned off) none comes, and the call counts no after-call work.
    public mutating func wrapUpEnded(agentId: String, now: Date) {
        guard let last = awaitingWrapUp.removeValue(forKey: agentId) else { return }
        update(last.queueId, now) { $0.wrapUps.append(max(0, now.timeIntervalSince(last.endedAt))) }
    }

    /// How many callers wait in each queue now (sampled by the caller, e.g. every second).
    public mutating func sampleWaiting(_ waiting: [String: Int], now: Date) {
        for (queueId, count) in waiting where count > 0 {
            update(queueId, now) { $0.waitingMax = max($0.waitingMax, count) }
        }
    }

    /// The last `minutes` minutes of `queueId`, oldest first, one entry per minute (empty
    /// minutes included).
    public func minutes(of queueId: String, last minutes: Int, now: Date) -> [Minute] {
        let current = Self.minuteStart(now)
        let kept = Dictionary(uniqueKeysWithValues: (queues[queueId] ?? []).map { ($0.start, $0) })
        return (0..<min(minutes, Self.minutesKept)).reversed().map { back in
            let start = current - Int64(back) * 60
            return kept[start] ?? Minute(start: start)
        }
    }

    /// Queues with figures in the window.
    public var queueIds: [String] { Array(queues.keys) }

    /// Totals over `minutes`: the wallboard's figures.
    public struct Summary: Sendable, Equatable {
        public var offered = 0
        public var answered = 0
        public var abandoned = 0
        public var answeredWithin = 0
        /// nil when no call was answered or abandoned.
        public var serviceLevel: Double?
        public var abandonedShare: Double?
        public var averageSpeedOfAnswer: Double?
        public var averageHandleTime: Double?
        public var averageTalkTime: Double?
        public var averageAfterCallWork: Double?
        public init() {}
    }

    /// Totals of `minutes`, with `threshold` seconds for the service level.
    public static func summary(_ minutes: [Minute], threshold: Double) -> Summary {
        var summary = Summary()
        var waits: [Double] = []
        var talks: [Double] = []
        var wrapUps: [Double] = []
        for minute in minutes {
            summary.offered += minute.offered
            summary.answered += minute.answered
            summary.abandoned += minute.abandoned
            waits += minute.waits
            talks += minute.talks
            wrapUps += minute.wrapUps
        }
        summary.answeredWithin = waits.filter { $0 <= threshold }.count
        let decided = summary.answered + summary.abandoned
        if decided > 0 {
            summary.serviceLevel = Double(summary.answeredWithin) / Double(decided)
            summary.abandonedShare = Double(summary.abandoned) / Double(decided)
        }
        if !waits.isEmpty { summary.averageSpeedOfAnswer = waits.reduce(0, +) / Double(waits.count) }
        if !talks.isEmpty {
            summary.averageTalkTime = talks.reduce(0, +) / Double(talks.count)
            summary.averageHandleTime = (talks.reduce(0, +) + wrapUps.reduce(0, +)) / Double(talks.count)
        }
        if !wrapUps.isEmpty { summary.averageAfterCallWork = wrapUps.reduce(0, +) / Double(wrapUps.count) }
        return summary
    }

    static func minuteStart(_ date: Date) -> Int64 {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        return seconds - seconds % 60
    }

    private mutating func update(_ queueId: String, _ now: Date, _ change: (inout Minute) -> Void) {
        let start = Self.minuteStart(now)
        var minutes = queues[queueId] ?? []
        // Minutes stay in order; a time earlier than the newest minute (a clock set back) finds or
        // makes its own.
        let index: Int
        if let found = minutes.lastIndex(where: { $0.start == start }) {
            index = found
        } else {
            index = minutes.firstIndex { $0.start > start } ?? minutes.endIndex
            minutes.insert(Minute(start: start), at: index)
        }
        change(&minutes[index])
        let oldest = start - Int64(Self.minutesKept - 1) * 60
        if let first = minutes.first, first.start < oldest { minutes.removeAll { $0.start < oldest } }
        queues[queueId] = minutes
    }
}
