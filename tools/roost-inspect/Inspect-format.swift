import Foundation
import RoostCore

/// Time and log formats of the admin tool (printing is `RoostConsole`'s).
enum Format {
    /// Unix milliseconds as `2026-01-01T00:00:00.000Z`.
    static func time(_ millis: UInt64) -> String { CivilDate.iso8601(millis: millis) }

    /// An HLC as its UTC wall time plus the logical counter: `2026-01-01T00:00:00.000Z+0`.
    static func hlc(_ hlc: HLC) -> String { hlc.utcText }

    /// A log as `AAAAAAA/epoch-hex`.
    static func log(_ log: LogID) -> String { "\(log)" }

    /// Parses `2026-01-01`, `2026-01-01T10:00:00Z` or Unix milliseconds.
    static func parseTime(_ text: String) -> UInt64? {
        if let millis = UInt64(text) { return millis }
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        for options: ISO8601DateFormatter.Options in [[.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime],
                                                      [.withFullDate]] {
            formatter.formatOptions = options
            if let date = formatter.date(from: text) { return UInt64(max(0, date.timeIntervalSince1970 * 1000)) }
        }
        return nil
    }
}
