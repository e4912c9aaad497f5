import Calls
import ContactCenter
import Foundation
import Hummingbird

/// What the wallboard shows of one queue: now, and over the window (extension).
struct QueueBoard: Encodable {
    struct Agents: Encodable {
        var available = 0
        var busy = 0
        var wrapUp = 0
        var away = 0
    }

    struct Minute: Encodable {
        /// The minute's start, seconds since 1970.
        var start: Int64
        var offered: Int
        var answered: Int
        var abandoned: Int
        var waitingMax: Int
        /// Service level of the calls decided (answered or abandoned) in this minute; nil for none.
        var serviceLevel: Double?
    }

    var queueId: String
    var queueName: String
    var waiting: Int
    var longestWaitSeconds: Int
    var offered: Int
    var answered: Int
    var abandoned: Int
    var serviceLevel: Double?
    var serviceLevelSeconds: Int
    var abandonedShare: Double?
    var averageSpeedOfAnswerSeconds: Double?
    var averageHandleTimeSeconds: Double?
    var averageTalkTimeSeconds: Double?
    var averageAfterCallWorkSeconds: Double?
    var agents: Agents
    var minutes: [Minute]
}

/// `GET /ccaas/1/queues/statistics`, and the same figures for `/metrics`.
enum QueueStatisticsRoutes {
    /// Every queue's board over the last `minutes` minutes, ordered by name.
    static func boards(_ s: GatewayServices, minutes: Int, threshold: Int) async throws -> [QueueBoard] {
        let queues = try await s.store.list(Queue.self, DocumentQuery(collection: .queue)).items
        let links = try await s.store.list(AgentQueueLink.self, DocumentQuery(collection: .agentQueueLink)).items
        let states = await s.contactCenter.registry.states()
        let waiting = await s.calls.waitingCallers()
        let figures = await s.calls.queueStatistics(minutes: minutes, threshold: Double(threshold))
        return queues.sorted { $0.name < $1.name }.map { queue in
            var agents = QueueBoard.Agents()
            for link in links where link.queueId == queue.id {
                guard let state = states[link.agentId] else { continue }
                if state.wrapUpSecondsLeft != nil {
                    agents.wrapUp += 1
                } else if state.availability == .ACTIVE {
                    agents.available += 1
                } else if state.availability == .BUSY {
                    agents.busy += 1
                } else {
                    agents.away += 1
                }
            }
            let window =
                figures[queue.id]?.minutes
                ?? QueueStatistics().minutes(of: queue.id, last: minutes, now: s.clock.now())
            let summary = figures[queue.id]?.summary ?? QueueStatistics.Summary()
            return QueueBoard(
                queueId: queue.id, queueName: queue.name, waiting: waiting[queue.id]?.count ?? 0,
                longestWaitSeconds: waiting[queue.id]?.longestWaitSeconds ?? 0, offered: summary.offered,
                answered: summary.answered, abandoned: summary.abandoned, serviceLevel: summary.serviceLevel,
                serviceLevelSeconds: threshold, abandonedShare: summary.abandonedShare,
                averageSpeedOfAnswerSeconds: summary.averageSpeedOfAnswer,
                averageHandleTimeSeconds: summary.averageHandleTime,
                averageTalkTimeSeconds: summary.averageTalkTime,
                averageAfterCallWorkSeconds: summary.averageAfterCallWork, agents: agents,
                minutes: window.map { minute in
                    QueueBoard.Minute(
                        start: minute.start, offered: minute.offered, answered: minute.answered,
                        abandoned: minute.abandoned, waitingMax: minute.waitingMax,
                        serviceLevel: QueueStatistics.summary([minute], threshold: Double(threshold)).serviceLevel)
                })
        }
    }

    static func endpoints(_ s: GatewayServices) -> [Endpoint] {
        [
            Endpoint(
                .get, "/ccaas/1/queues/statistics",
                "Every queue's wallboard figures: waiting now, and over the last minutes offered, answered, abandoned, service level, speed of answer, handle time, per minute (extension)",
                tag: "Queues", access: .apiKeyOrAgentToken,
                query: [
                    QueryParameter("minutes", .integer(minimum: 1, maximum: 60), "Window, default 60."),
                    QueryParameter(
                        "serviceLevelSeconds", .integer(minimum: 1, maximum: 3600),
                        "Answered within this counts for the service level; default `serviceLevelSeconds`."),
                ]
            ) { request, context in
                if case .agent(let agent) = context.actingParty, agent.role != .SUPERVISOR {
                    throw ContactCenterError.forbidden("Only supervisors read the queues' statistics.")
                }
                let q = Query(request: request)
                let minutes = try q.int("minutes", default: 60, min: 1, max: 60)
                let threshold = try q.int(
                    "serviceLevelSeconds", default: s.configuration.serviceLevelSeconds, min: 1, max: 3600)
                return JSONResponse.make(
                    JSONValue.object([
                        "queues": try JSONValue.encoding(try await boards(s, minutes: minutes, threshold: threshold))
                    ]))
            }
        ]
    }

    /// The boards in Prometheus' text format (the last hour, the configured threshold).
    static func exposition(_ s: GatewayServices) async -> String {
        guard let boards = try? await boards(s, minutes: 60, threshold: s.configuration.serviceLevelSeconds) else {
            return ""
        }
        let gauges: [(name: String, help: String, value: @Sendable (QueueBoard) -> Double?)] = [
            ("waiting", "Callers waiting in the queue now", { Double($0.waiting) }),
            ("longest_wait_seconds", "Longest wait of a caller waiting now", { Double($0.longestWaitSeconds) }),
            ("offered_last_hour", "Calls offered to the queue in the last hour", { Double($0.offered) }),
            ("answered_last_hour", "Calls answered in the last hour", { Double($0.answered) }),
            ("abandoned_last_hour", "Callers who hung up unanswered in the last hour", { Double($0.abandoned) }),
            (
                "service_level_ratio",
                "Last hour: answered within serviceLevelSeconds / (answered + abandoned)", { $0.serviceLevel }
            ),
            (
                "average_speed_of_answer_seconds", "Last hour: mean wait of answered calls",
                { $0.averageSpeedOfAnswerSeconds }
            ),
            (
                "average_handle_time_seconds", "Last hour: mean talk time plus mean after-call work (wrap-up)",
                { $0.averageHandleTimeSeconds }
            ),
        ]
        func labels(_ board: QueueBoard) -> String {
            let name = board.queueName.replacingOccurrences(of: "\\", with: "\\\\")
                .replacingOccurrences(of: "\"", with: "\\\"").replacingOccurrences(of: "\n", with: " ")
            return "queue_id=\"\(board.queueId)\",queue=\"\(name)\""
        }
        var out = ""
        for gauge in gauges {
            out += "# HELP gateway_queue_\(gauge.name) \(gauge.help)\n# TYPE gateway_queue_\(gauge.name) gauge\n"
            for board in boards {
                guard let value = gauge.value(board) else { continue }
                out += "gateway_queue_\(gauge.name){\(labels(board))} \(value)\n"
            }
        }
        out += "# HELP gateway_queue_agents Member agents by state\n# TYPE gateway_queue_agents gauge\n"
        for board in boards {
            for (state, count) in [
                ("available", board.agents.available), ("busy", board.agents.busy),
                ("wrap_up", board.agents.wrapUp), ("away", board.agents.away),
            ] {
                out += "gateway_queue_agents{\(labels(board)),state=\"\(state)\"} \(count)\n"
            }
        }
        return out
    }
}
