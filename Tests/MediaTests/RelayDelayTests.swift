import CDatagramBatch
import Glibc
import NIOCore
import NIOPosix
import Testing

@testable import Media

/// The relay's added delay: a media loop counts, for each datagram whose socket asked the kernel
/// for receive times, the time from its arrival until the loop had handled it, and `/metrics`
/// shows the counts as a Prometheus histogram.
@Suite struct RelayDelayTests {
    @Test func aDatagramsDelayRunsFromItsArrivalUntilTheLoopHandledIt() async throws {
        let histogram = RelayDelayHistogram()
        let loop = MediaLoop(name: "test-delay", relayDelay: histogram)
        let descriptor = try MediaSocketDescriptor.boundUDP(try SocketAddress(ipAddress: "127.0.0.1", port: 0))
        #expect(datagram_receive_timestamps(descriptor) == 0)
        // Each datagram takes the receiver 3 ms: none can have waited less.
        let receiver = SlowReceiver(expected: 10, busy: .milliseconds(3))
        try await loop.submit { _ = try loop.watch(descriptor, receiver: receiver) }.get()

        try await Self.send(10, to: MediaLoopTests.port(of: descriptor))
        try await receiver.all.futureResult.get()
        // Counted after the wake-up's last datagram was handled: a task queued now runs after it.
        let counts = try await loop.submit { histogram.counts }.get()
        #expect(counts.reduce(0, +) == 10)
        let upTo2ms = RelayDelayHistogram.bounds.firstIndex(of: 2_000_000)!
        #expect(counts[...upTo2ms].allSatisfy { $0 == 0 }, "every delay above 3 ms: \(counts)")
        #expect(histogram.totalMicroseconds >= 10 * 3_000)
        try await loop.shutdownGracefully()
    }

    @Test func aSocketWithoutReceiveTimesIsNotCounted() async throws {
        let histogram = RelayDelayHistogram()
        let loop = MediaLoop(name: "test-no-delay", relayDelay: histogram)
        let descriptor = try MediaSocketDescriptor.boundUDP(try SocketAddress(ipAddress: "127.0.0.1", port: 0))
        let receiver = SlowReceiver(expected: 5, busy: .zero)
        try await loop.submit { _ = try loop.watch(descriptor, receiver: receiver) }.get()

        try await Self.send(5, to: MediaLoopTests.port(of: descriptor))
        try await receiver.all.futureResult.get()
        #expect(try await loop.submit { histogram.count }.get() == 0)
        try await loop.shutdownGracefully()
    }

    @Test func theHistogramIsWrittenAsPrometheusReadsIt() {
        let histogram = RelayDelayHistogram()
        histogram.add(3, toBucket: RelayDelayHistogram.bucket(of: 40_000))
        histogram.add(2, toBucket: RelayDelayHistogram.bucket(of: 1_000_000))
        histogram.add(1, toBucket: RelayDelayHistogram.bucket(of: 60_000_000_000))
        histogram.addTotal(microseconds: 60_002_120)
        let text = histogram.exposition(name: "relay_delay_seconds", help: "Delay.")
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.first == "# HELP relay_delay_seconds Delay.")
        #expect(lines.contains("# TYPE relay_delay_seconds histogram"))
        #expect(lines.contains("relay_delay_seconds_bucket{le=\"0.00005\"} 3"))
        #expect(lines.contains("relay_delay_seconds_bucket{le=\"0.0005\"} 3"))
        #expect(lines.contains("relay_delay_seconds_bucket{le=\"0.001\"} 5"), "a bound holds what equals it")
        #expect(lines.contains("relay_delay_seconds_bucket{le=\"0.05\"} 5"))
        #expect(lines.contains("relay_delay_seconds_bucket{le=\"+Inf\"} 6"))
        #expect(lines.contains("relay_delay_seconds_sum 60.00212"))
        #expect(lines.contains("relay_delay_seconds_count 6"))
        #expect(RelayDelayHistogram.seconds(microseconds: 0) == "0")
        #expect(RelayDelayHistogram.seconds(microseconds: 2_000_000) == "2")
        #expect(RelayDelayHistogram.bucket(of: -5) == 0)
    }

    static func send(_ count: Int, to port: Int) async throws {
        let sender = try await DatagramBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let to = try SocketAddress(ipAddress: "127.0.0.1", port: port)
        for byte in 0..<count {
            try await sender.writeAndFlush(AddressedEnvelope(remoteAddress: to, data: ByteBuffer(bytes: [UInt8(byte)])))
                .get()
        }
        try await sender.close()
    }

    /// Takes `busy` of the loop's time for each datagram; done once `expected` came. On the loop.
    final class SlowReceiver: DatagramReceiver, @unchecked Sendable {
        let expected: Int
        let busy: Duration
        var received = 0
        let all: EventLoopPromise<Void> = MultiThreadedEventLoopGroup.singleton.next().makePromise()

        init(expected: Int, busy: Duration) {
            self.expected = expected
            self.busy = busy
        }

        func receive(_ datagram: UnsafeRawBufferPointer, from source: DatagramSource?) {
            let clock = ContinuousClock()
            let until = clock.now + busy
            while clock.now < until {}
            received += 1
            if received == expected { all.succeed() }
        }

        func readComplete() {}
    }
}
