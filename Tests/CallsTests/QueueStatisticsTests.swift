import Foundation
import Testing

@testable import Calls

/// The wallboard's arithmetic on calls whose records change as they would in a run.
@Suite struct QueueStatisticsTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)  // a minute's start

    func record(_ id: String, queue: String? = "q1", direction: String = "INBOUND", at offset: TimeInterval)
        -> CallRecord
    {
        CallRecord(
            id: id, conversationId: "c-\(id)", direction: direction, caller: "customer-\(id)", callee: nil,
            agentId: nil, queueId: queue, state: .CALLING, video: false, createdAt: start.addingTimeInterval(offset),
            updatedAt: start.addingTimeInterval(offset))
    }

    /// Feeds a call's life: offered at `offset`, answered after `wait` (or abandoned then when
    /// `answered` is false), ended `talk` seconds after the answer.
    func run(
        _ stats: inout QueueStatistics, _ id: String, at offset: TimeInterval, wait: TimeInterval, answered: Bool,
        talk: TimeInterval = 30
    ) {
        var call = record(id, at: offset)
        stats.observe(call, now: call.createdAt)
        if answered {
            call.answeredAt = call.createdAt.addingTimeInterval(wait)
            call.state = .ESTABLISHED
            stats.observe(call, now: call.answeredAt!)
            stats.observe(call, now: call.answeredAt!)  // a second save changes nothing
            call.endedAt = call.answeredAt!.addingTimeInterval(talk)
            call.state = .FINISHED
            call.hangupCode = .normalHangup
            stats.observe(call, now: call.endedAt!)
        } else {
            call.endedAt = call.createdAt.addingTimeInterval(wait)
            call.state = .CANCELLED
            call.hangupCode = .cancelled
            stats.observe(call, now: call.endedAt!)
        }
    }

    @Test func tenCallsThreeAbandonedGiveTheWallboardsFigures() {
        var stats = QueueStatistics()
        let waits: [TimeInterval] = [2, 5, 8, 12, 18, 25, 40]
        for (i, wait) in waits.enumerated() {
            run(&stats, "a\(i)", at: TimeInterval(i * 10), wait: wait, answered: true, talk: 60)
        }
        for i in 0..<3 { run(&stats, "x\(i)", at: TimeInterval(100 + i * 10), wait: 30, answered: false) }
        let now = start.addingTimeInterval(300)
        let window = stats.minutes(of: "q1", last: 60, now: now)
        #expect(window.count == 60 && window.last?.start == Int64(start.timeIntervalSince1970) + 300)
        let summary = QueueStatistics.summary(window, threshold: 20)
        #expect(summary.offered == 10 && summary.answered == 7 && summary.abandoned == 3)
        #expect(summary.answeredWithin == 5)
        #expect(summary.serviceLevel == 0.5, "5 within 20 s of 10 decided")
        #expect(summary.abandonedShare == 0.3)
        #expect(abs((summary.averageSpeedOfAnswer ?? 0) - 110.0 / 7) < 1e-9)
        #expect(summary.averageHandleTime == 60)
        #expect(window.map(\.offered).reduce(0, +) == 10)
        #expect(window[window.count - 6].offered == 6, "the calls offered in the first minute")
    }

    @Test func handleTimeIsTalkPlusTheWrapUpThatFollowed() {
        var stats = QueueStatistics()
        for (id, talk, wrap) in [("h1", 60.0, 10.0), ("h2", 30.0, 20.0)] {
            var call = record(id, at: 0)
            stats.observe(call, now: start)
            call.answeredAt = start.addingTimeInterval(5)
            call.agentId = "agent-1"
            stats.observe(call, now: call.answeredAt!)
            call.endedAt = call.answeredAt!.addingTimeInterval(talk)
            call.state = .FINISHED
            stats.observe(call, now: call.endedAt!)
            stats.wrapUpEnded(agentId: "agent-1", now: call.endedAt!.addingTimeInterval(wrap))
        }
        stats.wrapUpEnded(agentId: "agent-1", now: start.addingTimeInterval(500))  // no call waits for it
        let summary = QueueStatistics.summary(
            stats.minutes(of: "q1", last: 60, now: start.addingTimeInterval(600)), threshold: 20)
        #expect(summary.averageTalkTime == 45 && summary.averageAfterCallWork == 15)
        #expect(summary.averageHandleTime == 60, "(60 + 30 + 10 + 20) / 2")
    }

    @Test func outboundCallsCallsWithoutAQueueAndUnansweredEndsThatAreNotTheCallersAreNotAbandoned() {
        var stats = QueueStatistics()
        stats.observe(record("out", direction: "OUTBOUND", at: 0), now: start)
        stats.observe(record("noqueue", queue: nil, at: 0), now: start)
        var closed = record("closed", at: 0)
        stats.observe(closed, now: start)
        closed.endedAt = start.addingTimeInterval(1)
        closed.state = .FAILED
        closed.hangupCode = .noAvailableAgent
        stats.observe(closed, now: start.addingTimeInterval(1))
        let summary = QueueStatistics.summary(stats.minutes(of: "q1", last: 60, now: start), threshold: 20)
        #expect(summary.offered == 1 && summary.abandoned == 0 && summary.answered == 0)
        #expect(summary.serviceLevel == nil, "nothing decided yet")
        #expect(stats.queueIds == ["q1"])
    }

    @Test func minutesOlderThanAnHourAreDroppedAndWaitingIsSampled() {
        var stats = QueueStatistics()
        run(&stats, "old", at: 0, wait: 1, answered: true)
        stats.sampleWaiting(["q1": 3], now: start.addingTimeInterval(3600))
        stats.sampleWaiting(["q1": 5], now: start.addingTimeInterval(3610))
        stats.sampleWaiting(["q1": 2], now: start.addingTimeInterval(3620))
        let window = stats.minutes(of: "q1", last: 60, now: start.addingTimeInterval(3630))
        #expect(window.map(\.offered).reduce(0, +) == 0, "the call of an hour ago is out of the window")
        #expect(window.last?.waitingMax == 5)
        #expect(stats.minutes(of: "q1", last: 5, now: start.addingTimeInterval(3630)).count == 5)
    }
}
