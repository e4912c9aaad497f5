import Calls
import ContactCenter
import Foundation
import Glibc
import Testing

@testable import GatewayServer

/// Admission limits hold when INVITEs are admitted side by side (the SIP service runs up to 8
/// admissions at once, each awaiting legs and the store).
@Suite struct CallAdmissionTests {
    static let offer =
        "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n"

    /// A queue whose only agent (Alice) is signed in but on a call, so callers wait (and keep
    /// their channel) instead of ending, and a trunk of 2 channels whose number routes to it.
    static func busyQueueWithTrunk(_ gw: TestGateway, trunkFields: String = "") async throws -> (
        queue: Queue, trunk: SIPTrunk, number: SIPTrunkNumber
    ) {
        let queue = try await gw.cc.createQueue(
            .object(["name": "Sales", "isAutoAssignmentEnabled": true]), by: .integration)
        let alice = try await gw.agent("Alice")
        _ = try await gw.cc.addAgentToQueue(alice.id, .object(["queueId": .string(queue.id)]), by: .integration)
        await gw.cc.registry.connected(agentId: alice.id)
        try await gw.cc.callStarted(agentId: alice.id)
        try await gw.withClient { client in
            _ = try await client.call(
                .post, "/calls/1/sip-trunks", key: gw.key, body: SIPTrunkTests.body(queue.id, extra: trunkFields))
        }
        let (trunk, number) = try #require(try await gw.cc.sipTrunk(forNumber: "+15550100"))
        return (queue, trunk, number)
    }

    /// Eight phone calls admitted at once through a trunk of 2 channels and a gateway of `maxCalls`:
    /// how many were admitted, and the refusals' texts.
    func admit(maxCalls: Int) async throws -> (admitted: Int, refusals: [String], active: Int) {
        let gw = try await TestGateway.make { $0.maxCalls = maxCalls }
        let (_, trunk, number) = try await Self.busyQueueWithTrunk(gw)
        let calls = gw.services.calls
        let results = await withTaskGroup(of: String?.self) { group in
            for i in 0..<8 {
                group.addTask {
                    do {
                        _ = try await calls.startFromPhone(
                            trunk: trunk, number: number, caller: "+1555000\(i)", offer: Self.offer)
                        return nil
                    } catch let refusal as CallRefusal {
                        return refusal.code.description
                    } catch {
                        return "\(error)"
                    }
                }
            }
            return await group.reduce(into: [String?]()) { $0.append($1) }
        }
        let active = await calls.activeCalls(onTrunk: trunk.id)
        try await gw.close()
        return (results.filter { $0 == nil }.count, results.compactMap { $0 }, active)
    }

    @Test func theTrunkChannelLimitIsNeverOvershot() async throws {
        let (admitted, refusals, active) = try await admit(maxCalls: 1000)
        #expect(admitted == 2 && active == 2)
        #expect(
            refusals.count == 6 && refusals.allSatisfy { $0.contains("carries its limit of 2 calls") }, "\(refusals)")
    }

    @Test func theGatewayCallLimitIsNeverOvershot() async throws {
        let (admitted, refusals, _) = try await admit(maxCalls: 1)
        #expect(admitted == 1)
        #expect(refusals.count == 7 && refusals.allSatisfy { $0.contains("maximum of 1 calls") }, "\(refusals)")
    }

    @Test func aPhoneCallWithoutAFreeMediaPortIsRefusedAsServiceUnavailable() async throws {
        let gw = try await TestGateway.make()
        // The trunk's RTP range is one pair, which the first caller keeps while it waits.
        let pair = try #require(FreePorts.evenPair())
        let (_, trunk, number) = try await Self.busyQueueWithTrunk(
            gw, trunkFields: #","rtpPortRange":"\#(pair)-\#(pair + 1)""#)
        let calls = gw.services.calls
        _ = try await calls.startFromPhone(trunk: trunk, number: number, caller: "+15550001", offer: Self.offer)
        #expect(await calls.activeCalls(onTrunk: trunk.id) == 1)
        let refusal = await #expect(throws: CallRefusal.self) {
            try await calls.startFromPhone(trunk: trunk, number: number, caller: "+15550002", offer: Self.offer)
        }
        #expect(refusal?.code.id == HangupCode.serviceUnavailable.id)
        #expect(refusal?.code.description.contains("no media port") == true, "\(String(describing: refusal))")
        try await gw.close()
    }
}

/// A free even UDP port of 127.0.0.1 whose next port is free too (a trunk's RTP/RTCP range of one
/// pair), found by binding both; nil after 50 tries.
enum FreePorts {
    static func evenPair() -> Int? {
        for _ in 0..<50 {
            let first = bind(0)
            guard let port = first.port else { continue }
            close(first.fd)
            guard port % 2 == 0, port < 65535 else { continue }
            let (rtp, rtcp) = (bind(port), bind(port + 1))
            for fd in [rtp.fd, rtcp.fd] where fd >= 0 { close(fd) }
            if rtp.port != nil && rtcp.port != nil { return port }
        }
        return nil
    }

    /// A UDP socket bound to `port` of 127.0.0.1 (0: any) and the port it got; nil port on failure.
    private static func bind(_ port: Int) -> (fd: Int32, port: Int?) {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { return (fd, nil) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        return (fd, bound ? Int(UInt16(bigEndian: address.sin_port)) : nil)
    }
}
