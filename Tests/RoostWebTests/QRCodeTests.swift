import Foundation
import Testing
@testable import RoostWeb

/// Roost's QR encoder against matrices made by the `segno` library (tools/qr-vectors/generate.py wrote the fixture).
@Suite struct QRCodeTests {
    struct Vectors: Decodable {
        struct Case: Decodable {
            var text: String
            var level: String
            var askedMask: Int?
            var version: Int
            var mask: Int
            var rows: [String]
        }
        var generator: String
        var cases: [Case]
    }

    static func vectors() throws -> Vectors {
        let url = repositoryRoot.appendingPathComponent("tools/qr-vectors/qr-vectors.json")
        return try JSONDecoder().decode(Vectors.self, from: Data(contentsOf: url))
    }

    static func rows(_ code: QRCode) -> [String] {
        (0..<code.size).map { row in String((0..<code.size).map { code.isDark(row: row, column: $0) ? "1" : "0" }) }
    }

    @Test func matricesMatchTheReferenceEncoder() throws {
        let vectors = try Self.vectors()
        #expect(vectors.cases.count >= 19)
        for vector in vectors.cases {
            let level: QRCode.Correction = vector.level == "l" ? .low : .medium
            // The reference's mask, given explicitly: the whole matrix must match module for module.
            let forced = try QRCode(text: vector.text, correction: level, mask: vector.mask)
            #expect(forced.version == vector.version, "\(vector.text.prefix(20)): version")
            #expect(forced.size == vector.rows.count)
            let mine = Self.rows(forced)
            if mine != vector.rows {
                let first = zip(mine, vector.rows).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? -1
                Issue.record("\(vector.text.prefix(20)) v\(vector.version) mask \(vector.mask): rows differ from row \(first)\n mine \(first >= 0 ? mine[first] : "")\n want \(first >= 0 ? vector.rows[first] : "")")
            }
        }
    }

    @Test func maskSelectionMatchesTheReferenceEncoder() throws {
        for vector in try Self.vectors().cases where vector.askedMask == nil {
            let level: QRCode.Correction = vector.level == "l" ? .low : .medium
            let chosen = try QRCode(text: vector.text, correction: level)
            #expect(chosen.mask == vector.mask, "\(vector.text.prefix(20)): mask \(chosen.mask), reference \(vector.mask)")
        }
    }

    @Test func reedSolomonMatchesAKnownCodeword() {
        // ISO/IEC 18004 annex I: "01234567" at 1-M, data codewords and their 10 error correction codewords.
        let data: [UInt8] = [0x10, 0x20, 0x0C, 0x56, 0x61, 0x80, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11, 0xEC, 0x11]
        let ecc = ReedSolomon.remainder(data, divisor: ReedSolomon.divisor(degree: 10))
        #expect(ecc == [0xA5, 0x24, 0xD4, 0xC1, 0xED, 0x36, 0xC7, 0x87, 0x2C, 0x55])
    }

    @Test func tooLongDataAndBadMasksAreRefused() {
        #expect(throws: QRCode.Failure.self) { try QRCode(bytes: [UInt8](repeating: 0x41, count: 3000), correction: .medium) }
        #expect(throws: QRCode.Failure.badMask(8)) { try QRCode(text: "x", mask: 8) }
        // The largest version-40-M byte payload fits; one more byte does not.
        #expect((try? QRCode(bytes: [UInt8](repeating: 1, count: 2331), correction: .medium))?.version == 40)
        #expect(throws: QRCode.Failure.self) { try QRCode(bytes: [UInt8](repeating: 1, count: 2332), correction: .medium) }
    }

    @Test func theSVGDrawsEveryDarkModuleAndNoText() throws {
        let code = try QRCode(text: "roost")
        let svg = code.svg(moduleSize: 3)
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(svg.contains("width=\"\((code.size + 8) * 3)\""))
        // Each run of dark modules is one subpath; their widths add up to the dark modules.
        let path = try #require(svg.components(separatedBy: " d=\"").last?.split(separator: "\"").first)
        let widths = path.split(separator: "h").dropFirst().compactMap { Int($0.prefix { $0.isNumber }) }
        #expect(widths.reduce(0, +) == code.modules.filter { $0 }.count)
        #expect(!svg.contains("roost"))
    }
}
