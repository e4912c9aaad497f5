// swift-tools-version:6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny")
]

let package = Package(
    name: "callgateway",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "gateway", targets: ["Gateway"]),
        .executable(name: "srtp-benchmark", targets: ["SRTPBenchmark"]),
        .executable(name: "datagram-read-benchmark", targets: ["DatagramReadBenchmark"]),
        .executable(name: "transcode-benchmark", targets: ["TranscodeBenchmark"]),
        .executable(name: "routing-benchmark", targets: ["RoutingBenchmark"]),
        .executable(name: "waiting-benchmark", targets: ["WaitingBenchmark"]),
        .executable(name: "conference-benchmark", targets: ["ConferenceBenchmark"]),
        .executable(name: "recording-benchmark", targets: ["RecordingBenchmark"]),
        .executable(name: "media-allocations", targets: ["MediaAllocations"]),
        .executable(name: "rtpengine-load", targets: ["RTPEngineLoad"]),
        .executable(name: "headless-agent", targets: ["HeadlessAgentCommand"]),
        .library(name: "GatewayServer", targets: ["GatewayServer"]),
        // What crosses the network into the gateway, parsed without I/O: the fuzz targets in Fuzz/ build on it.
        .library(
            name: "GatewayWireFormats",
            targets: [
                "RTP", "SDP", "STUN", "SIPMessage", "SIPDigest", "SignalingFrames", "SignalingProtocol", "JSON", "WAV",
                "MP3", "ContactCenter", "HTTPRange", "DTLS",
            ]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1", traits: []),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/ordo-one/malloc-interposer.git", from: "1.6.1"),
    ],
    targets: [
        // C bindings: nothing but the C surface.
        .systemLibrary(
            name: "CSRTP", pkgConfig: "libsrtp2",
            providers: [.apt(["libsrtp2-dev"])]),
        .systemLibrary(
            name: "COpus", pkgConfig: "opus",
            providers: [.apt(["libopus-dev"])]),
        .systemLibrary(
            name: "CEspeakNG", pkgConfig: "espeak-ng",
            providers: [.apt(["libespeak-ng-dev"])]),
        .systemLibrary(
            name: "CMPG123", pkgConfig: "libmpg123",
            providers: [.apt(["libmpg123-dev"])]),
        .systemLibrary(
            name: "CAVFormat", pkgConfig: "libavformat",
            providers: [.apt(["libavformat-dev"])]),
        .systemLibrary(
            name: "CSodium", pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]),
        .target(name: "CDatagramBatch"),
        .target(
            name: "COpenSSL",
            cSettings: [.unsafeFlags(["-Wno-deprecated-declarations"])],
            linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]),

        // Wire formats: value types, parse/serialize, no I/O.
        .target(name: "RTP", swiftSettings: strict),
        .target(name: "JSON", swiftSettings: strict),
        .target(name: "WAV", swiftSettings: strict),
        .target(name: "MP3", dependencies: ["CMPG123"], swiftSettings: strict),
        .target(name: "WebM", dependencies: ["CAVFormat"], swiftSettings: strict),
        .target(name: "SignalingFrames", dependencies: ["JSON"], swiftSettings: strict),
        .target(name: "STUN", dependencies: ["COpenSSL"], swiftSettings: strict),
        .target(name: "SDP", swiftSettings: strict),
        .target(name: "SIPMessage", swiftSettings: strict),
        .target(name: "SIPDigest", dependencies: ["COpenSSL"], swiftSettings: strict),
        .target(name: "SIP", dependencies: ["SIPMessage", "SIPDigest"], swiftSettings: strict),
        .target(name: "HTTPRange", swiftSettings: strict),

        // Protocol engines: sans-I/O state machines.
        .target(name: "ICE", dependencies: ["STUN"], swiftSettings: strict),
        .target(name: "DTLS", dependencies: ["COpenSSL"], swiftSettings: strict),
        .target(name: "SRTP", dependencies: ["CSRTP", "COpenSSL"], swiftSettings: strict),
        .target(name: "Codecs", dependencies: ["COpus"], swiftSettings: strict),

        // Media plane: legs on UDP sockets, the relay.
        .target(
            name: "Media",
            dependencies: [
                "RTP", "SDP", "STUN", "ICE", "DTLS", "SRTP", "Codecs", "WAV", "WebM", "CEspeakNG", "CDatagramBatch",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict),

        // Contact-center domain: models, validation, engines, storage protocols.
        .target(
            name: "ContactCenter",
            dependencies: [
                "JSON", "WAV", "MP3",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict),
        // Calls: contact-center call sessions over the media plane.
        .target(
            name: "Calls",
            dependencies: [
                "ContactCenter", "Media", "SDP", "SignalingFrames", "WAV", "MP3",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict),
        // Embedded SQLite (WAL) implementation of the storage protocols.
        .target(
            name: "Storage",
            dependencies: [
                "ContactCenter",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict),
        // What clients send over signaling, parsed and checked (no I/O).
        .target(
            name: "SignalingProtocol", dependencies: ["SignalingFrames", "ContactCenter", "JSON"], swiftSettings: strict
        ),
        // Edges: REST, WebSocket signaling, auth, configuration, metrics.
        .target(
            name: "GatewayServer",
            dependencies: [
                "ContactCenter", "Storage", "COpenSSL", "CSodium", "Calls", "Media", "SDP", "SIP", "SIPDigest",
                "SIPMessage",
                "SignalingFrames", "SignalingProtocol", "HTTPRange",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            resources: [.copy("Resources")],
            swiftSettings: strict),
        .executableTarget(
            name: "Gateway",
            dependencies: [
                "GatewayServer",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),

        // The headless softphone and load generator: a WebRTC client on the project's engines.
        // The client side of WebRTC media (full ICE, DTLS client or server, SRTP, a tone to send): what
        // the headless agent calls with, and what the media benchmarks drive the gateway's legs with.
        .target(
            name: "ClientMedia",
            dependencies: [
                "Media", "ICE", "DTLS", "SRTP", "SDP", "RTP", "Codecs",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .target(
            name: "HeadlessAgent",
            dependencies: [
                "ClientMedia", "Media", "ICE", "DTLS", "SRTP", "SDP", "RTP", "Codecs", "SignalingFrames", "WAV", "SIP",
                "SIPMessage",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "HeadlessAgentCommand",
            dependencies: [
                "ClientMedia", "HeadlessAgent", "Media", "WAV", "SIP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict),

        .target(name: "BenchmarkSupport", swiftSettings: strict),
        // SRTP per packet with libsrtp2 against the OpenSSL backend, beside a loopback UDP round.
        // (Relay capacity is measured through the gateway itself: Benchmarks/capacity.py.)
        .executableTarget(
            name: "SRTPBenchmark", dependencies: ["BenchmarkSupport", "DTLS", "SRTP"], swiftSettings: strict),

        // A datagram read through a NIO channel per socket against a plain epoll loop.
        .executableTarget(
            name: "DatagramReadBenchmark",
            dependencies: [
                "CallBenchmarkSupport", "CDatagramBatch", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict),

        // The baseline of Benchmarks/capacity.py: the generator's load put on rtpengine.
        .executableTarget(
            name: "RTPEngineLoad",
            dependencies: [
                "ClientMedia", "Media", "RTP", "SDP", "SRTP", .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "WaitingBenchmark",
            dependencies: [
                "BenchmarkSupport", "CallBenchmarkSupport", "ClientMedia", "Media", "Codecs", "RTP", "SRTP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict),
        // Gateway legs against headless client legs, for the benchmarks that need real calls.
        .target(
            name: "CallBenchmarkSupport",
            dependencies: ["ClientMedia", "Media", "SDP", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strict),
        .executableTarget(
            name: "ConferenceBenchmark",
            dependencies: [
                "CallBenchmarkSupport", "ClientMedia", "Codecs", "Media", "SDP",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict),
        // Heap allocations counted per thread, for the check that the media path allocates nothing.
        .target(
            name: "AllocationCounting",
            dependencies: [.product(name: "MallocInterposerSwift", package: "malloc-interposer")]),
        .executableTarget(
            name: "MediaAllocations",
            dependencies: [
                "AllocationCounting", "CallBenchmarkSupport", "ClientMedia", "Media", "Codecs", "SDP",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "RecordingBenchmark",
            dependencies: [
                "CallBenchmarkSupport", "ClientMedia", "Media", .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strict),
        // Routing's cost as a queue grows: the gateway's services in-process, callers waiting.
        .executableTarget(
            name: "RoutingBenchmark",
            dependencies: [
                "Calls", "ContactCenter", "JSON", "Media", "SignalingFrames", "Storage",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .executableTarget(
            name: "TranscodeBenchmark", dependencies: ["BenchmarkSupport", "Media", "Codecs", "RTP", "SDP", "SRTP"],
            swiftSettings: strict),

        // Helpers shared by test targets (seeded random numbers, tone analysis).
        .target(name: "TestSupport", path: "Tests/TestSupport", swiftSettings: strict),
        .testTarget(
            name: "CLibrariesTests", dependencies: ["CSRTP", "COpus", "COpenSSL", "SRTP"],
            swiftSettings: strict),
        .testTarget(name: "RTPTests", dependencies: ["RTP"], swiftSettings: strict),
        .testTarget(name: "WAVTests", dependencies: ["TestSupport", "WAV"], swiftSettings: strict),
        .testTarget(
            name: "MP3Tests", dependencies: ["TestSupport", "MP3"], resources: [.copy("Fixtures")],
            swiftSettings: strict),
        .testTarget(name: "STUNTests", dependencies: ["STUN"], swiftSettings: strict),
        .testTarget(name: "SDPTests", dependencies: ["SDP"], swiftSettings: strict),
        .testTarget(name: "SIPMessageTests", dependencies: ["SIPMessage"], swiftSettings: strict),
        .testTarget(name: "SIPDigestTests", dependencies: ["TestSupport", "SIPDigest"], swiftSettings: strict),
        .testTarget(name: "SIPTests", dependencies: ["SIP", "SIPMessage", "SIPDigest"], swiftSettings: strict),
        .testTarget(name: "ICETests", dependencies: ["ICE", "STUN"], swiftSettings: strict),
        .testTarget(name: "DTLSTests", dependencies: ["DTLS"], swiftSettings: strict),
        .testTarget(name: "SRTPTests", dependencies: ["SRTP"], swiftSettings: strict),
        .testTarget(name: "CodecsTests", dependencies: ["TestSupport", "Codecs"], swiftSettings: strict),
        .testTarget(
            name: "MediaTests",
            dependencies: [
                "TestSupport", "Media", "Codecs", "RTP", "SDP", "WAV",
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "HeadlessAgentTests",
            dependencies: [
                "TestSupport", "ClientMedia", "HeadlessAgent", "Codecs", "Media", "ICE", "SDP", "RTP", "STUN",
                "SignalingFrames", .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict),
        .testTarget(
            name: "RTPEngineLoadTests",
            dependencies: ["RTPEngineLoad", .product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: strict),
        .testTarget(name: "CallsTests", dependencies: ["Calls", "ContactCenter"], swiftSettings: strict),
        .testTarget(name: "JSONTests", dependencies: ["TestSupport", "JSON"], swiftSettings: strict),
        .testTarget(
            name: "SignalingFramesTests", dependencies: ["TestSupport", "SignalingFrames", "JSON"],
            swiftSettings: strict),
        .testTarget(
            name: "ContactCenterTests", dependencies: ["TestSupport", "ContactCenter"],
            swiftSettings: strict),
        .testTarget(
            name: "StorageTests",
            dependencies: ["Storage", "ContactCenter", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict),
        .testTarget(
            name: "GatewayServerTests",
            dependencies: [
                "GatewayServer", "Calls", "TestSupport", "SignalingProtocol", "HTTPRange",
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSTesting", package: "hummingbird-websocket"),
            ],
            swiftSettings: strict),
    ],
    swiftLanguageModes: [.v6]
)
