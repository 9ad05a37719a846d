// swift-tools-version: 6.1
//
// Roost: a serverless help desk for social customer care.
// One target per layer; dependencies point down only (README "Architecture"):
//   RoostCore <- RoostCrypto (CSodium) <- RoostStore <- RoostSync (SwiftNIO) <- RoostNode <- RoostWeb <- roost
//   RoostCore <- RoostTwitter (CCLD2) <- RoostNode
//   RoostNode <- RoostMirror (postgres-nio) <- roost
//   RoostStore <- RoostInspection; RoostNode, RoostInspection, RoostConsole <- roost-inspect; RoostConsole <- roost
// (RoostCore is pure and depends on nothing. Not products: FakeXServer, RoostTestSupport.)
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
        .executable(name: "roost-inspect", targets: ["roost-inspect"]),
        .library(name: "RoostCore", targets: ["RoostCore"]),
        .library(name: "RoostCrypto", targets: ["RoostCrypto"]),
        .library(name: "RoostStore", targets: ["RoostStore"]),
        .library(name: "RoostTwitter", targets: ["RoostTwitter"]),
        .library(name: "RoostSync", targets: ["RoostSync"]),
        .library(name: "RoostNode", targets: ["RoostNode"]),
        .library(name: "RoostWeb", targets: ["RoostWeb"]),
        .library(name: "RoostMirror", targets: ["RoostMirror"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        // X API v2 client (RoostTwitter; also the browser tests' WebDriver client) and Hummingbird (the web app,
        // and the local fake X API server used by tests and examples/gateway).
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        // Prometheus exposition of the node's sync metrics on the admin port (`roost run`, config key `admin`).
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // The warehouse mirror (`roost mirror --postgres URL`, RoostMirror): PostgreSQL's wire protocol, pooled
        // connections and transactions, from the Swift server group's maintained driver rather than our own.
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CSodium",
            pkgConfig: "libsodium",
            providers: [.apt(["libsodium-dev"])]
        ),
        // CLD2 (Compact Language Detector 2, Debian's libcld2-dev): the language of a message when X sends none.
        // Chosen over a hand-written detector: trained on far more text than we could label, packaged in Debian.
        .target(name: "CCLD2", linkerSettings: [.linkedLibrary("cld2")]),
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
        .target(
            name: "RoostTwitter",
            dependencies: [
                "RoostCore", "CCLD2",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Not a product: a local fake of the X API v2 for tests, tools/roost-fake-x and the examples/gateway walk-through.
        .target(
            name: "FakeXServer",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Not a product: what the test suites share (as swift-nio ships NIOTestUtils) — one process runner for the
        // built executables, one bounded `eventually`, free ports, hex for test data.
        .target(name: "RoostTestSupport", dependencies: ["RoostCore"], swiftSettings: swiftSettings),
        .executableTarget(
            name: "roost-fake-x",
            dependencies: [
                "FakeXServer", "RoostCore", .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "tools/roost-fake-x",
            swiftSettings: swiftSettings
        ),
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
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),  // alert webhooks
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The local HTTP API, live events and the web app, served by `roost run` (RoostNode <- RoostWeb <- roost).
        // The warehouse mirror: a node's desk kept current in PostgreSQL (`roost mirror`).
        .target(
            name: "RoostMirror",
            dependencies: [
                "RoostNode", "RoostCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Its style sheet and script are files, embedded in the binary at build time.
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
            resources: [.embedInCode("Assets/app.css"), .embedInCode("Assets/app.js")],
            swiftSettings: swiftSettings
        ),
        // The admin tool's read models over a store (diff of two stores, why a field has its value, overwritten
        // registers): above the store, which keeps only the op log and the node's own read models.
        .target(name: "RoostInspection", dependencies: ["RoostStore", "RoostCore"], swiftSettings: swiftSettings),
        // What both executables print with (JSON, rows, tables): one implementation for roost and roost-inspect.
        .target(name: "RoostConsole", swiftSettings: swiftSettings),
        .executableTarget(
            name: "roost",
            dependencies: [
                "RoostWeb", "RoostNode", "RoostStore", "RoostCore", "RoostTwitter", "RoostSync", "RoostConsole", "RoostMirror",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                // Desk commands go through a running node's local API (Sources/roost/LocalAPI.swift).
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Read-only admin tool: inspect, explain and verify a node's sync state (tools/roost-inspect/README.md).
        .executableTarget(
            name: "roost-inspect",
            dependencies: [
                "RoostInspection", "RoostStore", "RoostCore", "RoostNode", "RoostSync", "RoostConsole",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "tools/roost-inspect",
            exclude: ["README.md"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoostInspectTests",
            dependencies: [
                "RoostTestSupport", "RoostStore", "RoostCore", "RoostCrypto", "RoostNode", "RoostSync", "roost-inspect",
                .product(name: "GRDB", package: "GRDB.swift"), .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(name: "RoostCoreTests", dependencies: ["RoostTestSupport", "RoostCore"], swiftSettings: swiftSettings),
        .testTarget(name: "RoostCryptoTests", dependencies: ["RoostTestSupport", "RoostCrypto", "RoostCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "RoostStoreTests",
            dependencies: ["RoostTestSupport", "RoostStore", "RoostCrypto", "RoostCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoostTwitterTests", dependencies: ["RoostTestSupport", "RoostTwitter", "RoostCore"],
            exclude: ["Fixtures"],  // read by path from the repository, like examples/
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoostSyncTests",
            dependencies: [
                "RoostTestSupport", "RoostSync", "RoostStore", "RoostCrypto", "RoostCore",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"), .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoostGatewayTests",
            dependencies: [
                "RoostTestSupport", "RoostNode", "RoostStore", "RoostCore", "RoostTwitter", "FakeXServer", "roost",
                .product(name: "Hummingbird", package: "hummingbird"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoostNodeTests",
            dependencies: [
                "RoostTestSupport", "RoostNode", "RoostStore", "RoostCore", "RoostTwitter", "RoostSync", "roost",
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoostMirrorTests",
            dependencies: [
                "RoostTestSupport", "RoostMirror", "RoostNode", "RoostCore", "RoostCrypto", "RoostStore", "RoostSync", "roost",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "RoostWebTests",
            dependencies: [
                "RoostTestSupport", "RoostWeb", "RoostNode", "RoostStore", "RoostCore", "roost",
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
