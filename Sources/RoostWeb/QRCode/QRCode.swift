/// A QR Code (model 2) encoder for invite links: byte mode, error correction level L or M, the smallest version
/// (1–40) that holds the data, and the mask with the lowest penalty score (ISO/IEC 18004 §7.8.3), unless one is
/// given. Pure and deterministic; drawn as SVG by ``svg(moduleSize:quietZone:)`` (QRCode-svg.swift). Tested
/// against matrices made by the `segno` library (tools/qr-vectors).
public struct QRCode: Sendable, Equatable {
    /// Error correction level: L recovers about 7% of the symbol, M about 15%.
    public enum Correction: Sendable, Equatable {
        case low, medium

        /// The two format-information bits.
        var formatBits: Int { self == .low ? 1 : 0 }
        var row: Int { self == .low ? 0 : 1 }
    }

    /// Why data cannot be encoded.
    public enum Failure: Error, Sendable, Equatable {
        /// Longer than version 40 holds at this level.
        case tooLong(bytes: Int, capacity: Int)
        /// A mask outside 0...7.
        case badMask(Int)
    }

    /// The version (1–40): the symbol is 17 + 4 × version modules wide.
    public let version: Int
    /// Modules per side.
    public let size: Int
    /// The mask used (0–7).
    public let mask: Int
    /// The correction level.
    public let correction: Correction
    /// Dark modules, row by row (`modules[row * size + column]`).
    public let modules: [Bool]

    /// Whether the module at `row`, `column` is dark.
    public func isDark(row: Int, column: Int) -> Bool { modules[row * size + column] }

    /// Encodes `bytes` in byte mode; `mask` nil picks the one with the lowest penalty.
    public init(bytes: [UInt8], correction: Correction = .medium, mask: Int? = nil) throws(Failure) {
        if let mask, !(0...7).contains(mask) { throw .badMask(mask) }
        guard let version = (1...40).first(where: { Self.dataCapacityBits($0, correction) >= Self.bitsNeeded(bytes.count, $0) }) else {
            throw .tooLong(bytes: bytes.count, capacity: (Self.dataCapacityBits(40, correction) - 20) / 8)
        }
        var grid = Grid(version: version)
        grid.drawFunctionPatterns()
        let codewords = Self.interleaved(Self.dataCodewords(bytes, version: version, correction: correction),
                                         version: version, correction: correction)
        grid.drawCodewords(codewords)
        let chosen: Int
        if let mask {
            chosen = mask
        } else {
            var best = (mask: 0, penalty: Int.max)
            // Scored with the format and version areas light (ISO/IEC 18004:2015 §7.8: they are added after masking).
            var blank = grid
            blank.clearFormatAndVersion()
            for candidate in 0..<8 {
                var trial = blank
                trial.applyMask(candidate)
                let penalty = trial.penalty()
                if penalty < best.penalty { best = (candidate, penalty) }
            }
            chosen = best.mask
        }
        grid.applyMask(chosen)
        grid.drawFormatBits(correction: correction, mask: chosen)
        self.version = version
        self.size = grid.size
        self.mask = chosen
        self.correction = correction
        self.modules = grid.dark
    }

    /// Encodes UTF-8 text in byte mode.
    public init(text: String, correction: Correction = .medium, mask: Int? = nil) throws(Failure) {
        try self.init(bytes: Array(text.utf8), correction: correction, mask: mask)
    }

    // MARK: data codewords

    static func bitsNeeded(_ count: Int, _ version: Int) -> Int {
        let countBits = version <= 9 ? 8 : 16
        return count >= 1 << countBits ? Int.max : 4 + countBits + 8 * count
    }

    static func dataCapacityBits(_ version: Int, _ correction: Correction) -> Int {
        (rawDataModules(version) / 8 - QRTables.eccPerBlock[correction.row][version] * QRTables.blocks[correction.row][version]) * 8
    }

    /// Modules left for data and correction codewords once the function patterns are drawn.
    static func rawDataModules(_ version: Int) -> Int {
        var result = (16 * version + 128) * version + 64
        if version >= 2 {
            let alignments = version / 7 + 2
            result -= (25 * alignments - 10) * alignments - 55
            if version >= 7 { result -= 36 }
        }
        return result
    }

    /// Mode, count, data, terminator and padding, as codewords.
    static func dataCodewords(_ bytes: [UInt8], version: Int, correction: Correction) -> [UInt8] {
        var bits = BitBuffer()
        bits.append(0b0100, count: 4)
        bits.append(bytes.count, count: version <= 9 ? 8 : 16)
        for byte in bytes { bits.append(Int(byte), count: 8) }
        let capacity = dataCapacityBits(version, correction)
        bits.append(0, count: min(4, capacity - bits.count))
        bits.append(0, count: (8 - bits.count % 8) % 8)
        var pad = 0xEC
        while bits.count < capacity {
            bits.append(pad, count: 8)
            pad ^= 0xEC ^ 0x11
        }
        return bits.bytes
    }

    /// Splits the data into blocks, adds each block's Reed–Solomon codewords, and interleaves them.
    static func interleaved(_ data: [UInt8], version: Int, correction: Correction) -> [UInt8] {
        let blockCount = QRTables.blocks[correction.row][version]
        let eccLength = QRTables.eccPerBlock[correction.row][version]
        let raw = rawDataModules(version) / 8
        let shortBlocks = blockCount - raw % blockCount
        let shortLength = raw / blockCount
        let divisor = ReedSolomon.divisor(degree: eccLength)
        var blocks: [[UInt8]] = []
        var offset = 0
        for index in 0..<blockCount {
            let length = shortLength - eccLength + (index < shortBlocks ? 0 : 1)
            var block = Array(data[offset..<offset + length])
            offset += length
            let ecc = ReedSolomon.remainder(block, divisor: divisor)
            if index < shortBlocks { block.append(0) }
            blocks.append(block + ecc)
        }
        var result: [UInt8] = []
        result.reserveCapacity(raw)
        for i in 0..<blocks[0].count {
            for (j, block) in blocks.enumerated() where i != shortLength - eccLength || j >= shortBlocks {
                result.append(block[i])
            }
        }
        return result
    }
}

/// Bits appended most significant first.
struct BitBuffer {
    private(set) var bits: [Bool] = []
    var count: Int { bits.count }

    mutating func append(_ value: Int, count: Int) {
        guard count > 0 else { return }
        for i in stride(from: count - 1, through: 0, by: -1) { bits.append((value >> i) & 1 == 1) }
    }

    var bytes: [UInt8] {
        var out = [UInt8](repeating: 0, count: (bits.count + 7) / 8)
        for (i, bit) in bits.enumerated() where bit { out[i >> 3] |= 0x80 >> UInt8(i & 7) }
        return out
    }
}

/// Reed–Solomon over GF(2⁸) with the QR polynomial 0x11D.
enum ReedSolomon {
    static func divisor(degree: Int) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: degree)
        result[degree - 1] = 1
        var root: UInt8 = 1
        for _ in 0..<degree {
            for j in 0..<degree {
                result[j] = multiply(result[j], root)
                if j + 1 < degree { result[j] ^= result[j + 1] }
            }
            root = multiply(root, 0x02)
        }
        return result
    }

    static func remainder(_ data: [UInt8], divisor: [UInt8]) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: divisor.count)
        for byte in data {
            let factor = byte ^ result.removeFirst()
            result.append(0)
            for i in result.indices { result[i] ^= multiply(divisor[i], factor) }
        }
        return result
    }

    static func multiply(_ x: UInt8, _ y: UInt8) -> UInt8 {
        var z = 0
        for i in stride(from: 7, through: 0, by: -1) {
            z = (z << 1) ^ ((z >> 7) * 0x11D)
            z ^= Int((y >> UInt8(i)) & 1) * Int(x)
        }
        return UInt8(z)
    }
}
