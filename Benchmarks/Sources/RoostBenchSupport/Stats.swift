/// Percentiles and rates over nanosecond samples.
public struct Samples: Sendable {
    public private(set) var nanos: [UInt64] = []
    public init() {}
    public mutating func add(_ value: UInt64) { nanos.append(value) }
    public var count: Int { nanos.count }
    public var total: UInt64 { nanos.reduce(0, +) }

    /// The `p`-th percentile (0...100), nearest rank.
    public func percentile(_ p: Double) -> UInt64 {
        guard !nanos.isEmpty else { return 0 }
        let sorted = nanos.sorted()
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
    public var median: UInt64 { percentile(50) }
    public var minimum: UInt64 { nanos.min() ?? 0 }
    public var maximum: UInt64 { nanos.max() ?? 0 }
}

/// Operations per second for `ops` operations done in `nanos` nanoseconds.
public func rate(_ ops: Int, _ nanos: UInt64) -> Double { nanos == 0 ? 0 : Double(ops) * 1e9 / Double(nanos) }

/// `12_345.6` as `"12,346"`.
public func grouped(_ value: Double) -> String {
    let digits = String(Int(value.rounded()))
    var out = ""
    for (index, char) in digits.reversed().enumerated() {
        if index > 0 && index % 3 == 0 && char != "-" { out.append(",") }
        out.append(char)
    }
    return String(out.reversed())
}

/// Milliseconds with `places` decimals.
public func millis(_ nanos: UInt64, places: Int = 3) -> String {
    let value = Double(nanos) / 1e6
    var scale = 1.0
    for _ in 0..<places { scale *= 10 }
    let rounded = (value * scale).rounded() / scale
    var text = String(rounded)
    if let dot = text.firstIndex(of: ".") {
        let decimals = text.distance(from: dot, to: text.endIndex) - 1
        if decimals < places { text += String(repeating: "0", count: places - decimals) }
    } else if places > 0 {
        text += "." + String(repeating: "0", count: places)
    }
    return text
}
