extension QRCode {
    /// The module grid while a symbol is drawn: which modules are dark, and which belong to function patterns
    /// (finders, timing, alignment, format and version information) that data and masks skip. `x` is the column.
    struct Grid {
        let version: Int
        let size: Int
        var dark: [Bool]
        var function: [Bool]

        init(version: Int) {
            self.version = version
            size = version * 4 + 17
            dark = Array(repeating: false, count: size * size)
            function = Array(repeating: false, count: size * size)
        }

        subscript(x: Int, y: Int) -> Bool { dark[y * size + x] }

        mutating func set(_ x: Int, _ y: Int, _ isDark: Bool) {
            dark[y * size + x] = isDark
            function[y * size + x] = true
        }

        mutating func drawFunctionPatterns() {
            for i in 0..<size {
                set(6, i, i % 2 == 0)
                set(i, 6, i % 2 == 0)
            }
            drawFinder(3, 3)
            drawFinder(size - 4, 3)
            drawFinder(3, size - 4)
            let positions = QRTables.alignmentPositions(version)
            let last = positions.count - 1
            for (i, x) in positions.enumerated() {
                for (j, y) in positions.enumerated() where !(i == 0 && j == 0 || i == 0 && j == last || i == last && j == 0) {
                    drawAlignment(x, y)
                }
            }
            // Reserve the format areas (drawn for real once the mask is known) and draw the version.
            drawFormatBits(correction: .medium, mask: 0)
            drawVersion()
        }

        mutating func drawFinder(_ cx: Int, _ cy: Int) {
            for dy in -4...4 {
                for dx in -4...4 {
                    let x = cx + dx, y = cy + dy
                    guard (0..<size).contains(x), (0..<size).contains(y) else { continue }
                    let distance = max(abs(dx), abs(dy))
                    set(x, y, distance != 2 && distance != 4)
                }
            }
        }

        mutating func drawAlignment(_ cx: Int, _ cy: Int) {
            for dy in -2...2 {
                for dx in -2...2 { set(cx + dx, cy + dy, max(abs(dx), abs(dy)) != 1) }
            }
        }

        mutating func drawFormatBits(correction: Correction, mask: Int) {
            let data = correction.formatBits << 3 | mask
            var remainder = data
            for _ in 0..<10 { remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537) }
            let bits = (data << 10 | remainder) ^ 0x5412
            func bit(_ i: Int) -> Bool { (bits >> i) & 1 == 1 }
            for i in 0...5 { set(8, i, bit(i)) }
            set(8, 7, bit(6))
            set(8, 8, bit(7))
            set(7, 8, bit(8))
            for i in 9..<15 { set(14 - i, 8, bit(i)) }
            for i in 0..<8 { set(size - 1 - i, 8, bit(i)) }
            for i in 8..<15 { set(8, size - 15 + i, bit(i)) }
            set(8, size - 8, true)
        }

        /// Makes the format and version areas (and the dark module) light, as they are while masks are scored.
        mutating func clearFormatAndVersion() {
            for y in 0..<size {
                for x in 0..<size {
                    let onAxis = (x == 8 && (y <= 8 || y >= size - 8)) || (y == 8 && (x <= 8 || x >= size - 8))
                    let inVersion = version >= 7 && ((x >= size - 11 && x < size - 8 && y < 6) || (y >= size - 11 && y < size - 8 && x < 6))
                    if (onAxis && !(x == 6 || y == 6)) || inVersion { dark[y * size + x] = false }
                }
            }
        }

        mutating func drawVersion() {
            guard version >= 7 else { return }
            var remainder = version
            for _ in 0..<12 { remainder = (remainder << 1) ^ ((remainder >> 11) * 0x1F25) }
            let bits = version << 12 | remainder
            for i in 0..<18 {
                let isDark = (bits >> i) & 1 == 1
                let a = size - 11 + i % 3, b = i / 3
                set(a, b, isDark)
                set(b, a, isDark)
            }
        }

        /// Places codewords in the two-column zigzag from the bottom right, skipping function modules.
        mutating func drawCodewords(_ codewords: [UInt8]) {
            var i = 0
            let total = codewords.count * 8
            var right = size - 1
            while right >= 1 {
                if right == 6 { right = 5 }
                for vertical in 0..<size {
                    for j in 0..<2 {
                        let x = right - j
                        let upward = (right + 1) & 2 == 0
                        let y = upward ? size - 1 - vertical : vertical
                        if !function[y * size + x] && i < total {
                            dark[y * size + x] = (codewords[i >> 3] >> UInt8(7 - (i & 7))) & 1 == 1
                            i += 1
                        }
                    }
                }
                right -= 2
            }
        }

        mutating func applyMask(_ mask: Int) {
            for y in 0..<size {
                for x in 0..<size where !function[y * size + x] {
                    let invert: Bool
                    switch mask {
                    case 0: invert = (x + y) % 2 == 0
                    case 1: invert = y % 2 == 0
                    case 2: invert = x % 3 == 0
                    case 3: invert = (x + y) % 3 == 0
                    case 4: invert = (x / 3 + y / 2) % 2 == 0
                    case 5: invert = x * y % 2 + x * y % 3 == 0
                    case 6: invert = (x * y % 2 + x * y % 3) % 2 == 0
                    default: invert = ((x + y) % 2 + x * y % 3) % 2 == 0
                    }
                    if invert { dark[y * size + x].toggle() }
                }
            }
        }

        /// The penalty score of ISO/IEC 18004 §7.8.3: runs of 5+ alike, 2×2 blocks, finder-like 1:1:3:1:1 patterns
        /// with 4 light modules on a side, and imbalance of dark and light.
        func penalty() -> Int {
            var result = 0
            for horizontal in [true, false] {
                for a in 0..<size {
                    var run = 0
                    var previous = false
                    var line = [Bool](repeating: false, count: size)
                    for b in 0..<size {
                        let value = horizontal ? self[b, a] : self[a, b]
                        line[b] = value
                        if b > 0 && value == previous {
                            run += 1
                        } else {
                            if run >= 5 { result += run - 2 }
                            run = 1
                            previous = value
                        }
                    }
                    if run >= 5 { result += run - 2 }
                    result += 40 * Self.finderLikeCount(line)
                }
            }
            for y in 0..<size - 1 {
                for x in 0..<size - 1 {
                    let c = self[x, y]
                    if c == self[x + 1, y] && c == self[x, y + 1] && c == self[x + 1, y + 1] { result += 3 }
                }
            }
            let darkCount = dark.reduce(0) { $0 + ($1 ? 1 : 0) }
            let total = size * size
            // Whole steps of 5% away from half dark, each worth 10.
            result += abs(darkCount * 20 - total * 10) / total * 10
            return result
        }

        /// Occurrences of dark-light-dark×3-light-dark (1:1:3:1:1) with four light modules (or the edge) before or
        /// after it. After a counted one the search resumes past it, after an uncounted one at its middle.
        static func finderLikeCount(_ line: [Bool]) -> Int {
            let pattern = [true, false, true, true, true, false, true]
            let n = line.count
            func light(_ range: Range<Int>) -> Bool { range.allSatisfy { $0 < 0 || $0 >= n || !line[$0] } }
            func find(from start: Int) -> Int? {
                guard start <= n - 7 else { return nil }
                return (start...(n - 7)).first { i in (0..<7).allSatisfy { line[i + $0] == pattern[$0] } }
            }
            var count = 0
            var next = find(from: 0)
            while let index = next {
                if light((index - 4)..<index) || light((index + 7)..<(index + 11)) {
                    count += 1
                    next = find(from: index + 7)
                } else {
                    next = find(from: index + 4)
                }
            }
            return count
        }
    }
}
