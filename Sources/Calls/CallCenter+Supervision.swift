import ContactCenter
import Foundation

/// What a supervisor watches: calls in progress and callers waiting in each queue.
extension CallCenter {
    /// Calls in progress, oldest first: `callId`, `state`, `direction`, `caller`, `callee`,
    /// `agentId`, `queueId`, `conversationId`, `startedAt`, `seconds` (since it started).
    public func callsInProgress() -> [JSONValue] {
        let now = clock.now()
        return sessions.values.sorted { $0.record.createdAt < $1.record.createdAt }.map { session in
            let record = session.record
            return .object([
                "callId": .string(record.id), "state": .string(record.state.rawValue),
                "direction": .string(record.direction), "caller": .string(record.caller),
                "callee": record.callee.map(JSONValue.string) ?? session.callee.map(JSONValue.string) ?? .null,
                "agentId": record.agentId.map(JSONValue.string) ?? .null,
                "queueId": record.queueId.map(JSONValue.string) ?? .null,
                "conversationId": .string(record.conversationId),
                "phone": .bool(mediaStates[record.id]?.phone != nil),
                "startedAt": .string(InfobipDate.format(record.createdAt)),
                "seconds": .int(Int64(now.timeIntervalSince(record.createdAt))),
                "monitors": .array(monitorValues(session)),
            ])
        }
    }

    /// Callers waiting in queues for a free agent, each queue in the order they will be offered:
    /// `callId`, `conversationId`, `queueId`, `caller`, `priority`, `position` (1 is next),
    /// `waitedSeconds`. A callback request holds its caller's place: `callbackId` and `callback`
    /// true instead of `callId`.
    public func waitingCalls() -> [JSONValue] {
        let now = clock.now()
        var positions: [String: Int] = [:]
        return waitingOrder().map { waiter in
            guard case .call(let session) = waiter else {
                guard case .callback(let request) = waiter else { return .null }
                positions[request.queueId, default: 0] += 1
                return .object([
                    "callbackId": .string(request.id), "conversationId": .string(request.conversationId),
                    "queueId": .string(request.queueId), "caller": .string(request.customer),
                    "priority": .string(request.priority.rawValue), "callback": .bool(true),
                    "position": .int(Int64(positions[request.queueId]!)),
                    "waitedSeconds": .int(Int64(now.timeIntervalSince(request.waitingSince))),
                ])
            }
            let record = session.record
            let queueId = record.queueId ?? ""
            positions[queueId, default: 0] += 1
            return .object([
                "callId": .string(record.id), "conversationId": .string(record.conversationId),
                "queueId": .string(queueId), "caller": .string(record.caller),
                "priority": .string((mediaStates[record.id]?.priority ?? .NORMAL).rawValue),
                "position": .int(Int64(positions[queueId]!)),
                "waitedSeconds": .int(Int64(now.timeIntervalSince(record.createdAt))),
            ])
        }
    }

    /// The position of each waiting call in its queue (1 is next).
    func queuePositions() -> [String: Int] {
        var counts: [String: Int] = [:]
        var positions: [String: Int] = [:]
        for waiter in waitingOrder() {
            counts[waiter.queueId, default: 0] += 1
            if case .call(let session) = waiter { positions[session.id] = counts[waiter.queueId] }
        }
        return positions
    }

    /// The position the call's announcement says now, when it says one.
    func announcedPosition(of callId: String) -> Int? {
        guard let sounds = mediaStates[callId]?.waitingSounds, sounds.positional != nil else { return nil }
        return sounds.position
    }

    /// Announcements that say the caller's position follow it: when a caller moves up, the next
    /// announcement says the new place.
    func refreshPositions() async {
        for (callId, position) in queuePositions() {
            guard let sounds = mediaStates[callId]?.waitingSounds, let positional = sounds.positional,
                sounds.position != position
            else { continue }
            mediaStates[callId]?.waitingSounds?.position = position
            guard let audio = await audioLibrary.audio(positional.saying(position: position)) else { continue }
            mediaStates[callId]?.graph.setInterruption(audio, forPlayerOf: CallSide.caller.legName)
        }
    }

    /// Customers' calls not answered yet (inbound, or moved to a queue), per queue: how many, and
    /// the longest wait in seconds.
    public func waitingCallers() -> [String: (count: Int, longestWaitSeconds: Int)] {
        let now = clock.now()
        var waiting: [String: (count: Int, longestWaitSeconds: Int)] = [:]
        for session in sessions.values where session.customerIsCaller && !session.isAnswered {
            guard let queueId = session.record.queueId else { continue }
            let wait = Int(now.timeIntervalSince(session.record.createdAt))
            let current = waiting[queueId] ?? (0, 0)
            waiting[queueId] = (current.count + 1, max(current.longestWaitSeconds, wait))
        }
        return waiting
    }

    /// Stores a call's record and counts it in the queue statistics.
    func saveRecord(_ record: CallRecord) async throws {
        try await contactCenter.store.save(record)
        statistics.observe(record, now: clock.now())
    }

    /// Each queue's last `minutes` minutes (oldest first) and their totals, with `threshold`
    /// seconds for the service level; queues without a call in the window are left out.
    public func queueStatistics(minutes: Int, threshold: Double) -> [String: (
        minutes: [QueueStatistics.Minute], summary: QueueStatistics.Summary
    )] {
        let now = clock.now()
        var result: [String: (minutes: [QueueStatistics.Minute], summary: QueueStatistics.Summary)] = [:]
        for queueId in statistics.queueIds {
            let window = statistics.minutes(of: queueId, last: minutes, now: now)
            result[queueId] = (window, QueueStatistics.summary(window, threshold: threshold))
        }
        return result
    }
}
