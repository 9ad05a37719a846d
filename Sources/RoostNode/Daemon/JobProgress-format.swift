import Foundation

extension JobProgress {
    /// One plain line: `import: 12,000/27,000 messages (44%), 1,500/s, 10s left`.
    public var line: String {
        var text = "\(phase): \(Self.grouped(done))"
        if let total { text += "/\(Self.grouped(total))" }
        text += " \(unit)"
        if let fraction { text += " (\(Int((fraction * 100).rounded(.down)))%)" }
        if let rate { text += ", \(Self.grouped(Int(rate.rounded())))/s" }
        if finished {
            text += ", done in \(Self.duration(Double(elapsedMillis) / 1000))"
        } else if let etaSeconds {
            text += ", \(Self.duration(etaSeconds)) left"
        }
        return text
    }

    /// A bar for a terminal: `[##########--------------] ` followed by ``line``.
    public var bar: String {
        let width = ProgressLimits.barWidth
        guard let fraction else { return line }
        let filled = Int((fraction * Double(width)).rounded(.down))
        return "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] " + line
    }

    /// `1,234,567`.
    static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = ""
        for (index, character) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
            out.append(character)
        }
        return (value < 0 ? "-" : "") + out
    }

    /// `42s`, `3m05s`, `2h07m`.
    static func duration(_ seconds: Double) -> String {
        let total = Int(max(0, seconds).rounded())
        if total < 60 { return "\(total)s" }
        if total < 3600 { return String(format: "%dm%02ds", total / 60, total % 60) }
        return String(format: "%dh%02dm", total / 3600, (total % 3600) / 60)
    }
}
