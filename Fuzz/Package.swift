// swift-tools-version: 6.1
// libFuzzer targets for Roost's decoders and parsers (issue 16). Built by tools/fuzz.sh with
// `swift build --sanitize=fuzzer`; each executable defines LLVMFuzzerTestOneInput (libFuzzer supplies main).
import PackageDescription

let fuzzerFlags: [SwiftSetting] = [.unsafeFlags(["-parse-as-library"]), .swiftLanguageMode(.v6)]

let package = Package(
    name: "RoostFuzz",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Roost", path: ".."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        .executableTarget(
            name: "FuzzCore",
            dependencies: [.product(name: "RoostCore", package: "Roost")],
            swiftSettings: fuzzerFlags
        ),
        .executableTarget(
            name: "FuzzSync",
            dependencies: [
                .product(name: "RoostSync", package: "Roost"), .product(name: "RoostCore", package: "Roost"),
                .product(name: "RoostCrypto", package: "Roost"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: fuzzerFlags
        ),
        .executableTarget(
            name: "FuzzText",
            dependencies: [.product(name: "RoostTwitter", package: "Roost"), .product(name: "RoostNode", package: "Roost"),
                           .product(name: "RoostCore", package: "Roost")],
            swiftSettings: fuzzerFlags
        ),
    ]
)
