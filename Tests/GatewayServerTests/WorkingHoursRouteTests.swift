import ContactCenter
import Foundation
import Testing

@testable import GatewayServer

@Suite struct WorkingHoursRouteTests {
    /// Every day open 09:00–17:00 UTC except as patched.
    static let week =
        #"{"MONDAY":{"startTime":540,"endTime":1020,"enabled":true},"TUESDAY":{"startTime":540,"endTime":1020,"enabled":true},"WEDNESDAY":{"startTime":540,"endTime":1020,"enabled":true},"THURSDAY":{"startTime":540,"endTime":1020,"enabled":true},"FRIDAY":{"startTime":540,"endTime":1020,"enabled":true},"SATURDAY":{"startTime":540,"endTime":1020,"enabled":true},"SUNDAY":{"startTime":540,"endTime":1020,"enabled":true}}"#

    @Test func crudStatusHolidaysAndQueuesThatFollowThem() async throws {
        let gw = try await TestGateway.make()
        let alice = try await gw.agent("Alice")
        // 2026-12-07 10:00 UTC: inside 09:00–17:00.
        gw.clock.advance(
            by: ISO8601DateFormatter().date(from: "2026-12-07T10:00:00Z")!.timeIntervalSince(gw.clock.now()))
        try await gw.withClient { client in
            let created = try await client.call(
                .post, "/ccaas/1/working-hours", key: gw.key,
                body:
                    #"{"name":"Office","timezone":"Etc/UTC","message":"We are closed.","workWeek":\#(Self.week),"isDefault":true}"#
            )
            #expect(created.status == .ok)
            let id = try #require(created.json["id"]?.stringValue)
            #expect(created.json["workWeek"]?["MONDAY"]?["startTime"] == .int(540))
            #expect(created.json["enabled"] == .bool(true))
            var status = try await client.call(.get, "/ccaas/1/working-hours/\(id)/status", key: gw.key)
            #expect(status.json == .object(["status": "INSIDE_OF_WORKING_HOURS"]))

            let queue = try await client.call(
                .post, "/ccaas/1/queues", key: gw.key, body: #"{"name":"Day shift","workingHoursId":"\#(id)"}"#)
            let queueId = try #require(queue.json["id"]?.stringValue)
            _ = try await client.call(
                .post, "/ccaas/1/agents/\(alice.id)/queues", key: gw.key, body: #"{"queueId":"\#(queueId)"}"#)
            await gw.cc.registry.heartbeat(agentId: alice.id)
            func active() async throws -> JSONValue? {
                try await client.call(.get, "/ccaas/voice/2/transfer/queues", key: gw.key).json["elements"]?.array
                    .first { $0["queueId"]?.stringValue == queueId }?["active"]
            }
            #expect(try await active() == .bool(true))

            // A holiday today closes the queue; deleting it opens it again.
            let withHoliday = try await client.call(
                .post, "/ccaas/1/working-hours/\(id)/holiday", key: gw.key,
                body: #"{"name":"Closed day","startDate":"2026-12-07","endDate":"2026-12-07"}"#)
            let holidayId = try #require(withHoliday.json["holidays"]?.array.first?["id"]?.stringValue)
            status = try await client.call(.get, "/ccaas/1/working-hours/\(id)/status", key: gw.key)
            #expect(status.json["status"] == "OUTSIDE_OF_WORKING_HOURS")
            #expect(try await active() == .bool(false))
            let removed = try await client.call(
                .delete, "/ccaas/1/working-hours/\(id)/holiday/\(holidayId)", key: gw.key)
            #expect(removed.status == .ok)
            #expect(try await active() == .bool(true))

            // PATCH changes only what it names: Monday closes at 10:00, so now (10:00) is outside.
            let patched = try await client.call(
                .patch, "/ccaas/1/working-hours/\(id)", key: gw.key,
                body: #"{"workWeek":{"MONDAY":{"startTime":540,"endTime":600,"enabled":true}}}"#)
            #expect(patched.json["name"] == "Office")
            #expect(patched.json["workWeek"]?["TUESDAY"]?["endTime"] == .int(1020))
            #expect(try await gw.cc.workingHoursStatus(id) == .OUTSIDE_OF_WORKING_HOURS)

            let listed = try await client.call(.get, "/ccaas/1/working-hours?isDefault=true", key: gw.key)
            #expect(listed.json["workingHours"]?.array.map { $0["id"] } == [.string(id)])

            // Deleting them leaves the queue without working hours: always open.
            let deleted = try await client.call(.delete, "/ccaas/1/working-hours/\(id)", key: gw.key)
            #expect(deleted.status == .ok)
            #expect(try await gw.cc.queue(queueId).workingHoursId == nil)
            #expect(try await client.call(.get, "/ccaas/1/working-hours/\(id)", key: gw.key).status == .notFound)
        }
        try await gw.close()
    }

    @Test func badWorkingHoursAreRefusedAndStoreNothing() async throws {
        let gw = try await TestGateway.make()
        try await gw.withClient { client in
            func post(_ body: String) async throws -> Reply {
                try await client.call(.post, "/ccaas/1/working-hours", key: gw.key, body: body)
            }
            let zone = try await post(
                #"{"name":"A","timezone":"Mars/Olympus","message":"m","workWeek":\#(Self.week)}"#)
            #expect(zone.validationErrors("timezone") == ["unknown time zone 'Mars/Olympus'"])
            let partialWeek = try await post(
                #"{"name":"A","timezone":"Etc/UTC","message":"m","workWeek":{"MONDAY":{"startTime":0,"endTime":60,"enabled":true}}}"#
            )
            #expect(partialWeek.status == .badRequest)
            #expect(!partialWeek.validationErrors("workWeek.SUNDAY").isEmpty)
            let backwards = try await post(
                #"{"name":"A","timezone":"Etc/UTC","message":"m","workWeek":\#(Self.week.replacingOccurrences(of: #""startTime":540,"endTime":1020,"enabled":true},"TUESDAY""#, with: #""startTime":600,"endTime":500,"enabled":true},"TUESDAY""#))}"#
            )
            #expect(backwards.validationErrors("workWeek.MONDAY") == ["startTime must not be after endTime"])
            let late = try await post(
                #"{"name":"A","timezone":"Etc/UTC","message":"m","workWeek":\#(Self.week.replacingOccurrences(of: "1020", with: "1441"))}"#
            )
            #expect(late.status == .badRequest)
            let badDate = try await post(
                #"{"name":"A","timezone":"Etc/UTC","message":"m","workWeek":\#(Self.week),"holidays":[{"name":"x","startDate":"2026-02-30","endDate":"2026-03-01"}]}"#
            )
            #expect(badDate.validationErrors("startDate") == ["must be a date as yyyy-MM-dd"])
            let queue = try await client.call(
                .post, "/ccaas/1/queues", key: gw.key, body: #"{"name":"Q","workingHoursId":"nope"}"#)
            #expect(queue.validationErrors("workingHoursId") == ["no working hours with id nope"])
            #expect(try await gw.cc.workingHoursList(WorkingHoursFilter(), PageRequest()).total == 0)
            #expect(try await gw.cc.queues(nameContains: nil, PageRequest()).total == 0)
        }
        try await gw.close()
    }
}
