public import Benchmark

/// Issue 12's regression gate for the package-benchmark suites: more than 15% worse at the median, in any metric a
/// benchmark records, fails `swift package benchmark baseline check` (exit 2) against a baseline recorded before the
/// change (Benchmarks/README.md, "Regressions").
public func gated(_ configuration: Benchmark.Configuration) -> Benchmark.Configuration {
    var configuration = configuration
    configuration.thresholds = Dictionary(uniqueKeysWithValues: configuration.metrics.map {
        ($0, BenchmarkThresholds(relative: [.p50: regressionPercent]))
    })
    return configuration
}

/// The regression that fails a check, in percent at the median.
public let regressionPercent = 15.0
