// swift-tools-version: 6.1
//
// Roost performance benchmarks: a separate package so that the main package (and its CI build)
// never depends on package-benchmark. Run from this directory:
//
//   swift package --disable-sandbox benchmark
//
// See README.md for what each benchmark measures and the latest results.
import PackageDescription

let package = Package(
    name: "RoostBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "Roost", path: ".."),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        // Naming the traits explicitly turns off the default "RuntimeInterposer" trait, whose
        // package is not available here; malloc statistics still work through the interposer.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // Workload generation, the plain-GRDB baseline and the four scenarios, shared by the
        // package-benchmark suite and the plain table-printing executable.
        .target(
            name: "RoostBenchSupport",
            dependencies: [
                .product(name: "RoostCore", package: "Roost"),
                .product(name: "RoostCrypto", package: "Roost"),
                .product(name: "RoostStore", package: "Roost"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Sources/RoostBenchSupport"
        ),
        // The regression gate the package-benchmark suites share (15% at the median).
        .target(
            name: "RoostBenchGate",
            dependencies: [.product(name: "Benchmark", package: "benchmark")],
            path: "Sources/RoostBenchGate"
        ),
        // The package-benchmark suite (`swift package benchmark`).
        .executableTarget(
            name: "RoostStoreBenchmarks",
            dependencies: [
                "RoostBenchGate",
                "RoostBenchSupport",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/RoostStoreBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
        // Benchmark 4, the 1M-op re-fold: its own target, as its setup alone takes about a minute.
        .executableTarget(
            name: "RoostRefoldBenchmarks",
            dependencies: [
                "RoostBenchGate",
                "RoostBenchSupport",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/RoostRefoldBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
        // Desk fixtures: the TWCS import into a node home, and a cached home with 100,000 tickets for
        // the inbox (README.md, "Desk benchmarks").
        .target(
            name: "RoostDeskBenchSupport",
            dependencies: [
                "RoostBenchSupport",
                .product(name: "RoostCore", package: "Roost"),
                .product(name: "RoostStore", package: "Roost"),
                .product(name: "RoostNode", package: "Roost"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Sources/RoostDeskBenchSupport"
        ),
        // The desk benchmarks in the package-benchmark suite: TWCS sample import and the inbox.
        .executableTarget(
            name: "RoostDeskBenchmarks",
            dependencies: [
                "RoostBenchGate",
                "RoostBenchSupport",
                "RoostDeskBenchSupport",
                .product(name: "RoostNode", package: "Roost"),
                .product(name: "RoostStore", package: "Roost"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/RoostDeskBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
        // Nodes on loopback TCP for the sync benchmarks: peers, a byte-counting proxy, the initial sync.
        .target(
            name: "RoostSyncBenchSupport",
            dependencies: [
                "RoostBenchSupport",
                .product(name: "RoostCore", package: "Roost"),
                .product(name: "RoostCrypto", package: "Roost"),
                .product(name: "RoostStore", package: "Roost"),
                .product(name: "RoostSync", package: "Roost"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "Sources/RoostSyncBenchSupport"
        ),
        // Benchmark 6 in the package-benchmark suite: the initial sync over encrypted loopback TCP.
        .executableTarget(
            name: "RoostSyncBenchmarks",
            dependencies: [
                "RoostBenchGate",
                "RoostBenchSupport",
                "RoostSyncBenchSupport",
                .product(name: "RoostStore", package: "Roost"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/RoostSyncBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
        // The sync benchmarks over loopback TCP (tools/bench-sync.sh): initial sync, bytes on the wire,
        // push latency, claim convergence across 30 nodes.
        .executableTarget(
            name: "roost-bench-sync",
            dependencies: [
                "RoostSyncBenchSupport",
                .product(name: "RoostCore", package: "Roost"),
                .product(name: "RoostCrypto", package: "Roost"),
                .product(name: "RoostStore", package: "Roost"),
                .product(name: "RoostSync", package: "Roost"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            path: "Sources/roost-bench-sync"
        ),
        // The same scenarios as one plain run printing a table (tools/bench.sh, tools/bench-desk.sh; profiling).
        .executableTarget(
            name: "roost-bench",
            dependencies: ["RoostBenchSupport", "RoostDeskBenchSupport"],
            path: "Sources/roost-bench"
        ),
    ],
    swiftLanguageModes: [.v6]
)
