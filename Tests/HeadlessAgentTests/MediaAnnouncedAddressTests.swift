import NIOCore
import NIOPosix
import Testing

@testable import Media

/// Behind a one-to-one NAT the media sockets bind to the private address and SDP announces the
/// public one, on the same ports.
@Suite struct MediaAnnouncedAddressTests {
    @Test func legsAnnounceTheConfiguredAddressAndBindTheirOwn() async throws {
        let media = try MediaEngine(
            configuration: MediaConfiguration(
                address: "127.0.0.1", portRange: 47730...47739, announcedAddress: "127.0.0.2"),
            threads: 1)
        let loop = media.nextEventLoop()
        let webRTC = try await media.makeLeg(on: loop)
        #expect(webRTC.local.address == "127.0.0.2")
        let phone = try await media.makeRTPLeg(on: loop)
        #expect(phone.address == "127.0.0.2")
        #expect((47730...47739).contains(phone.port) && (47730...47739).contains(webRTC.local.port))
        // Bound on the private address: the announced port is taken there.
        let taken = try? await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(
            host: "127.0.0.1", port: phone.port
        ).get()
        #expect(taken == nil, "the phone leg's port is bound on 127.0.0.1")
        let free = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(
            host: "127.0.0.2", port: phone.port
        ).get()
        try await free.close()
        phone.close()
        webRTC.close()
        try await media.shutdown()
    }

    @Test func withoutAnAnnouncedAddressTheBoundOneIsAnnounced() {
        #expect(MediaConfiguration(address: "10.0.0.5").announced == "10.0.0.5")
        #expect(MediaConfiguration(address: "10.0.0.5", announcedAddress: "203.0.113.7").announced == "203.0.113.7")
    }
}
