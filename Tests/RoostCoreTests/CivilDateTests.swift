import Foundation
import RoostCore
import Testing

/// Roost's own UTC calendar (no Foundation in RoostCore) agrees with Foundation's, day by day and to the millisecond.
@Suite struct CivilDateTests {
    static func foundation() -> ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        formatter.timeZone = TimeZone(identifier: "UTC")
        return formatter
    }

    @Test func iso8601MatchesFoundationAtRandomInstants() {
        let seed = UInt64.random(in: 0...UInt64.max)
        print("CivilDateTests seed \(seed)")
        var random = SplitMix64(seed: seed)
        // Edges (epoch, leap days, century rules, the last millisecond of 9999) and 20,000 random instants.
        let edges: [UInt64] = [0, 951_782_400_000, 951_868_799_999, 4_107_542_400_000, 253_402_300_799_999]
        let foundation = Self.foundation()
        for millis in edges + (0..<20_000).map({ _ in UInt64.random(in: 0...253_402_300_799_999, using: &random) }) {
            let expected = foundation.string(from: Date(timeIntervalSince1970: Double(millis) / 1000))
            #expect(CivilDate.iso8601(millis: millis) == expected, "\(millis) (seed \(seed))")
        }
    }

    @Test func civilFromDaysInvertsDaysFromCivil() {
        for days in stride(from: -800_000, through: 2_932_896, by: 97) {
            let (year, month, day) = CivilDate.civil(fromDays: Int64(days))
            #expect(CivilDate.days(year: year, month: month, day: day) == days)
            #expect((1...12).contains(month) && (1...CivilDate.daysInMonth(year: year, month: month)).contains(day))
        }
    }

    @Test func anHLCReadsAsItsUTCTimeAndCounter() {
        #expect(HLC(physicalMillis: 1_767_225_622_000, logical: 1).utcText == "2026-01-01T00:00:22.000Z+1")
        #expect(HLC.zero.utcText == "none")
    }
}
