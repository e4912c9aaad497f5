// swift-tools-version:6.0
// Coverage-guided fuzz targets (libFuzzer) for what crosses the network into the gateway.
// Built only by scripts/fuzz, with `-sanitize=fuzzer,address`: libFuzzer provides `main`.
import Foundation
import PackageDescription

// A path dependency is named after its directory, which is whatever the clone is called.
let gateway = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
let gatewayPackage = gateway.lastPathComponent

let targets = [
    "FuzzSDP", "FuzzSTUN", "FuzzRTP", "FuzzRTCP", "FuzzSIPMessage", "FuzzDigest", "FuzzSignalingFrame", "FuzzRESTBody",
    "FuzzWAV", "FuzzMP3", "FuzzRange", "FuzzDTLSRecord",
]

let package = Package(
    name: "fuzz",
    dependencies: [.package(path: gateway.path)],
    targets: targets.map { name in
        .executableTarget(
            name: name,
            dependencies: [.product(name: "GatewayWireFormats", package: gatewayPackage)],
            swiftSettings: [.swiftLanguageMode(.v6), .unsafeFlags(["-parse-as-library"])])
    }
)
