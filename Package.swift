// swift-tools-version: 6.1
//
// Roost: a serverless help desk for social customer care.
// One target per layer; dependencies point down only:
//   CSodium <- RoostCore <- RoostCrypto <- RoostStore <- RoostNode <- roost
//   RoostCore <- RoostTwitter <- RoostNode
//   RoostStore <- RoostSync (SwiftNIO) <- RoostNode
//   RoostNode <- RoostWeb (Hummingbird: local API and web app) <- roost
// (RoostCore is pure and depends on nothing.)
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "Roost",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "roost", targets: ["roost"]),
        .library(name: "RoostCore", targets: ["RoostCore"]),
        .library(name: "RoostCrypto", targets: ["RoostCrypto"]),
        .library(name: "RoostStore", targets: ["RoostStore"]),
        .library(name: "RoostTwitter", targets: ["RoostTwitter"]),
        .library(name: "RoostSync", targets: ["RoostSync"]),
        .library(name: "RoostNode", targets: ["RoostNode"]),
        .library(name: "RoostWeb", targets: ["RoostWeb"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // TOML for the triage rules file: a maintained toml++ wrapper whose parse errors carry line numbers.
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        // The agent's web app and local API (RoostWeb).
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        // The browser tests' WebDriver client (already built for HummingbirdTesting); tests only.
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        .target(name: "RoostCore", swiftSettings: swiftSettings),
        .target(name: "RoostCrypto", dependencies: ["RoostCore", "CSodium"], swiftSettings: swiftSettings),
        .target(
            name: "RoostStore",
            dependencies: [
                "RoostCore", "RoostCrypto", .product(name: "GRDB", package: "GRDB.swift"),
                // SQLite's C API, for the few hot statements bound without GRDB's argument boxing (FastPath.swift).
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(name: "RoostTwitter", dependencies: ["RoostCore"], swiftSettings: swiftSettings),
        .target(
            name: "RoostSync",
            dependencies: [
                "RoostCore", "RoostCrypto", "RoostStore",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .target(
            name: "RoostNode",
            dependencies: [
                "RoostCore", "RoostCrypto", "RoostStore", "RoostTwitter", "RoostSync",
                .product(name: "TOMLKit", package: "TOMLKit"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The local HTTP API, live events and the web app, served by `roost run` (RoostNode <- RoostWeb <- roost).
        .target(
            name: "RoostWeb",
            dependencies: [
                "RoostNode", "RoostStore", "RoostCore", "RoostCrypto", "RoostTwitter", "RoostSync",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "roost",
            dependencies: [
                "RoostWeb", "RoostNode", "RoostStore", "RoostCore", "RoostTwitter", "RoostSync",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "RoostCoreTests", dependencies: ["RoostCore"], swiftSettings: swiftSettings),
        .testTarget(name: "RoostCryptoTests", dependencies: ["RoostCrypto", "RoostCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "RoostStoreTests",
            dependencies: ["RoostStore", "RoostCrypto", "RoostCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "RoostTwitterTests", dependencies: ["RoostTwitter", "RoostCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "RoostSyncTests",
            dependencies: [
                "RoostSync", "RoostStore", "RoostCrypto", "RoostCore",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoostNodeTests",
            dependencies: ["RoostNode", "RoostStore", "RoostCore", "RoostTwitter", "roost"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoostWebTests",
            dependencies: [
                "RoostWeb", "RoostNode", "RoostStore", "RoostCore", "roost",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
