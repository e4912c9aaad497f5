import ContactCenter
import Foundation
import Testing

@testable import Calls

@Suite struct AgentRankingTests {
    let t0 = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func loadBalancingPrefersFewestOpenConversationsThenLongestIdleThenMembership() {
        var ranking = AgentRanking(autoAssignment: true, algorithm: .LOAD_BALANCING, members: ["a", "b", "c", "d"])
        ranking.openConversations = ["a": 2, "b": 1, "c": 1, "d": 1]
        ranking.lastCallEnded = ["b": t0.addingTimeInterval(60), "c": t0]
        // b, c and d have one open conversation each; d never had a call, c's ended before b's.
        #expect(ranking.ranked() == ["d", "c", "b", "a"])
        ranking.lastCallEnded = [:]
        #expect(ranking.ranked() == ["b", "c", "d", "a"], "equal in load and idle time: membership order")
    }

    @Test func roundRobinGoesOnAfterTheAgentOfferedLast() {
        var ranking = AgentRanking(autoAssignment: true, algorithm: .ROUND_ROBIN, members: ["a", "b", "c"])
        #expect(ranking.ranked() == ["a", "b", "c"])
        ranking.lastOffered = "b"
        #expect(ranking.ranked() == ["c", "a", "b"])
        ranking.lastOffered = "c"
        #expect(ranking.ranked() == ["a", "b", "c"])
        ranking.lastOffered = "gone"
        #expect(ranking.ranked() == ["a", "b", "c"], "a member who left restarts the round")
        ranking.openConversations = ["a": 9]
        #expect(ranking.ranked().first == "a", "round robin ignores load")
    }

    @Test func onlyTheFreeMembersAreRankedInTheOrderTheyWouldHaveHadAmongAll() {
        var ranking = AgentRanking(autoAssignment: true, algorithm: .LOAD_BALANCING, members: ["a", "b", "c", "d"])
        ranking.openConversations = ["a": 2, "b": 1, "c": 1, "d": 1]
        ranking.lastCallEnded = ["b": t0.addingTimeInterval(60), "c": t0]
        ranking.free = ["a", "b", "c"]
        #expect(ranking.ranked() == ["c", "b", "a"], "d (busy) is left out; the others keep their order")
        ranking.free = []
        #expect(ranking.ranked() == [])

        var turn = AgentRanking(autoAssignment: true, algorithm: .ROUND_ROBIN, members: ["a", "b", "c", "d"])
        turn.lastOffered = "b"
        turn.free = ["a", "d"]
        #expect(turn.ranked() == ["d", "a"], "the turn goes on after b, who is busy now, not from the start")
        turn.stickyAgent = "a"
        #expect(turn.ranked() == ["a", "d"])
        turn.stickyAgent = "c"
        #expect(turn.ranked() == ["d", "a"], "a sticky agent who is not free is not offered")

        var assigned = AgentRanking(autoAssignment: false, algorithm: .LOAD_BALANCING, members: ["a"], assignee: "x")
        assigned.free = []
        #expect(assigned.ranked() == ["x"], "without auto-assignment the assignee is asked whatever the queue's state")
    }

    @Test func aStickyAgentComesFirstOnlyWhenAMemberTheCallMayTry() {
        var ranking = AgentRanking(
            autoAssignment: true, algorithm: .LOAD_BALANCING, members: ["a", "b", "c"], stickyAgent: "c")
        ranking.openConversations = ["c": 5]
        #expect(ranking.ranked() == ["c", "a", "b"])
        ranking.stickyAgent = "x"
        #expect(ranking.ranked() == ["a", "b", "c"], "a sticky agent not in the queue (or tried) is skipped")
    }

    @Test func withoutAutoAssignmentOnlyTheAssigneeIsOffered() {
        var ranking = AgentRanking(autoAssignment: false, algorithm: .LOAD_BALANCING, members: ["a", "b"])
        #expect(ranking.ranked().isEmpty)
        ranking.assignee = "z"
        #expect(ranking.ranked() == ["z"], "a supervisor may assign someone outside the queue")
    }
}
