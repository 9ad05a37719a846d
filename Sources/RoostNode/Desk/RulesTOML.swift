/// The TOML a rules file is written in, read by Roost itself.
///
/// Roost read rules files with toml++ (through TOMLKit) until `tools/fuzz.sh` found three malformed inputs
/// (`[.a]`, a `[` ending its line, `[}` in a list) on which toml++ aborts the process from an assertion instead
/// of reporting an error; in a release build those assertions become undefined behaviour. A rules file is
/// edited by hand and loaded by a running node, so its reader must never crash: this one is a small recursive
/// descent over TOML 1.0's grammar with every line number kept, for the part of TOML a rules file uses:
/// comments, `[table]` and `[[array of tables]]` headers, `key = value` with bare or quoted keys, basic,
/// literal and multi-line strings, whole numbers, `true`/`false` and (multi-line) lists. Dotted keys, floats,
/// dates and inline tables are refused with a clear error (no rules-file field takes them).
enum RulesTOML {
    /// What is wrong, and on which line (1-based).
    struct Failure: Error, Equatable {
        var line: Int
        var reason: String
    }

    /// A value and the line it starts on.
    struct Value: Equatable {
        enum Kind: Equatable {
            case string(String)
            case integer(Int)
            case boolean(Bool)
            case array([Value])
            case table(Table)
            /// `[[name]]` sections, one table each.
            case tables([Table])
        }

        var kind: Kind
        var line: Int

        var string: String? { if case let .string(text) = kind { text } else { nil } }
        var int: Int? { if case let .integer(number) = kind { number } else { nil } }
        var bool: Bool? { if case let .boolean(flag) = kind { flag } else { nil } }
        var table: Table? { if case let .table(table) = kind { table } else { nil } }
        /// A list's elements; an array of tables' tables.
        var array: [Value]? {
            switch kind {
            case let .array(values): values
            case let .tables(tables): tables.map { Value(kind: .table($0), line: $0.line) }
            default: nil
            }
        }
    }

    /// Keys in file order, each with its value; `line` is where the table's header is (1 for the top level).
    struct Table: Equatable {
        var line: Int
        private(set) var keys: [String] = []
        private var values: [String: Value] = [:]

        init(line: Int) { self.line = line }

        subscript(key: String) -> Value? { values[key] }

        /// The line `key` is set on.
        func line(of key: String) -> Int? { values[key]?.line }

        mutating func insert(_ key: String, _ value: Value) throws(Failure) {
            if let old = values[key] {
                throw Failure(line: value.line, reason: "\"\(key)\" is already set (line \(old.line))")
            }
            keys.append(key)
            values[key] = value
        }

        mutating func update(_ key: String, _ change: (inout Value) throws(Failure) -> Void) throws(Failure) {
            guard var value = values[key] else { return }
            try change(&value)
            values[key] = value
        }
    }

    /// Parses `text` into its top-level table.
    static func parse(_ text: String) throws(Failure) -> Table {
        var reader = Reader(bytes: Array(text.utf8))
        return try reader.document()
    }

    /// How deep lists may nest (a rules file needs one level); bounds the recursion on hostile input.
    static let maxNesting = 8

    private enum Section {
        case root
        case table(String)
        case tableArray(String)
    }

    private struct Reader {
        let bytes: [UInt8]
        var i = 0
        var line = 1

        init(bytes: [UInt8]) { self.bytes = bytes }

        var peek: UInt8? { i < bytes.count ? bytes[i] : nil }
        func peek(_ offset: Int) -> UInt8? { i + offset < bytes.count ? bytes[i + offset] : nil }

        func fail(_ reason: String, line: Int? = nil) -> Failure { Failure(line: line ?? self.line, reason: reason) }

        static func isBareKey(_ c: UInt8) -> Bool {
            (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x5F || c == 0x2D
        }

        mutating func skipSpaces() {
            while let c = peek, c == 0x20 || c == 0x09 { i += 1 }
        }

        /// Tabs, spaces and line breaks, and comments too when `comments` (between list elements, between lines).
        mutating func skipBlank(comments: Bool = true) throws(Failure) {
            while let c = peek {
                switch c {
                case 0x20, 0x09: i += 1
                case 0x0A: i += 1; line += 1
                case 0x0D where peek(1) == 0x0A: i += 2; line += 1
                case 0x23 where comments: try comment()
                default: return
                }
            }
        }

        /// A control character TOML allows in no string or comment (a tab is allowed).
        static func isControl(_ c: UInt8) -> Bool { (c < 0x20 && c != 0x09) || c == 0x7F }

        mutating func comment() throws(Failure) {
            i += 1
            while let c = peek, c != 0x0A {
                if c == 0x0D && peek(1) == 0x0A { return }
                if Self.isControl(c) { throw fail("a control character in a comment") }
                i += 1
            }
        }

        /// After a header or a value: spaces, an optional comment, then a line break or the end.
        mutating func endOfLine(_ after: String) throws(Failure) {
            skipSpaces()
            if peek == 0x23 { try comment() }
            guard let c = peek else { return }
            if c == 0x0A { i += 1; line += 1; return }
            if c == 0x0D && peek(1) == 0x0A { i += 2; line += 1; return }
            throw fail("expected the end of the line after \(after), found \(Self.show(c))")
        }

        static func show(_ c: UInt8) -> String {
            c >= 0x21 && c < 0x7F ? "'\(Character(Unicode.Scalar(c)))'" : String(format: "byte 0x%02X", c)
        }

        mutating func document() throws(Failure) -> Table {
            var root = Table(line: 1)
            var section = Section.root
            var defined = Set<String>()
            while true {
                try skipBlank()
                guard let c = peek else { break }
                switch c {
                case 0x5B: section = try header(&root, &defined)
                default:
                    let keyLine = line
                    let key = try key()
                    skipSpaces()
                    guard peek == 0x3D else {
                        throw fail(peek == 0x2E ? "dotted keys are not used in a rules file" : "expected '=' after \"\(key)\"")
                    }
                    i += 1
                    skipSpaces()
                    var value = try value(depth: 0)
                    value.line = keyLine
                    try endOfLine("a value")
                    switch section {
                    case .root:
                        try root.insert(key, value)
                    case let .table(name):
                        try root.update(name) { (entry: inout Value) throws(Failure) in
                            guard case var .table(table) = entry.kind else { return }
                            try table.insert(key, value)
                            entry.kind = .table(table)
                        }
                    case let .tableArray(name):
                        try root.update(name) { (entry: inout Value) throws(Failure) in
                            guard case var .tables(tables) = entry.kind, !tables.isEmpty else { return }
                            try tables[tables.count - 1].insert(key, value)
                            entry.kind = .tables(tables)
                        }
                    }
                }
            }
            return root
        }

        /// `[name]` or `[[name]]`, at `i`.
        mutating func header(_ root: inout Table, _ defined: inout Set<String>) throws(Failure) -> Section {
            let headerLine = line
            i += 1
            let isArray = peek == 0x5B
            if isArray { i += 1 }
            skipSpaces()
            guard let first = peek, Self.isBareKey(first) || first == 0x22 || first == 0x27 else {
                throw fail("a table header must be [name] or [[name]]")
            }
            let name = try key()
            skipSpaces()
            if peek == 0x2E { throw fail("dotted table names are not used in a rules file") }
            guard peek == 0x5D, !isArray || peek(1) == 0x5D else { throw fail("a table header must be [name] or [[name]]") }
            i += isArray ? 2 : 1
            try endOfLine("a table header")
            if isArray {
                if let existing = root[name] {
                    guard case .tables = existing.kind else {
                        throw fail("[[\(name)]] cannot add to \"\(name)\", set on line \(existing.line)", line: headerLine)
                    }
                    try root.update(name) { (entry: inout Value) throws(Failure) in
                        if case var .tables(tables) = entry.kind {
                            tables.append(Table(line: headerLine))
                            entry.kind = .tables(tables)
                        }
                    }
                } else {
                    try root.insert(name, Value(kind: .tables([Table(line: headerLine)]), line: headerLine))
                }
                return .tableArray(name)
            }
            if let existing = root[name] {
                throw fail(defined.contains(name) ? "[\(name)] is defined twice (line \(existing.line))"
                                                  : "[\(name)] cannot reopen \"\(name)\", set on line \(existing.line)",
                           line: headerLine)
            }
            defined.insert(name)
            try root.insert(name, Value(kind: .table(Table(line: headerLine)), line: headerLine))
            return .table(name)
        }

        /// A bare or quoted (one-line) key.
        mutating func key() throws(Failure) -> String {
            switch peek {
            case 0x22:
                if peek(1) == 0x22 && peek(2) == 0x22 { throw fail("a key cannot be a multi-line string") }
                return try basicString()
            case 0x27:
                if peek(1) == 0x27 && peek(2) == 0x27 { throw fail("a key cannot be a multi-line string") }
                return try literalString()
            default:
                let start = i
                while let c = peek, Self.isBareKey(c) { i += 1 }
                guard i > start else {
                    throw fail(peek.map { "expected a key, found \(Self.show($0))" } ?? "expected a key")
                }
                return String(decoding: bytes[start..<i], as: UTF8.self)
            }
        }

        mutating func value(depth: Int) throws(Failure) -> Value {
            let start = line
            guard let c = peek else { throw fail("expected a value") }
            switch c {
            case 0x22:
                let text = peek(1) == 0x22 && peek(2) == 0x22 ? try multiLineString(c) : try basicString()
                return Value(kind: .string(text), line: start)
            case 0x27:
                let text = peek(1) == 0x27 && peek(2) == 0x27 ? try multiLineString(c) : try literalString()
                return Value(kind: .string(text), line: start)
            case 0x5B:
                guard depth < RulesTOML.maxNesting else { throw fail("lists nested more than \(RulesTOML.maxNesting) deep") }
                return Value(kind: .array(try array(depth: depth + 1)), line: start)
            case 0x7B:
                throw fail("inline tables ({ … }) are not used in a rules file")
            case 0x74, 0x66:
                for (word, flag) in [("true", true), ("false", false)] where bytes[i...].starts(with: word.utf8) {
                    i += word.utf8.count
                    if let next = peek, Self.isBareKey(next) || next == 0x2E { break }
                    return Value(kind: .boolean(flag), line: start)
                }
                throw fail("expected a value (a string, whole number, true/false or a list)")
            case 0x2B, 0x2D, 0x30...0x39:
                return Value(kind: .integer(try integer()), line: start)
            default:
                throw fail("expected a value (a string, whole number, true/false or a list), found \(Self.show(c))")
            }
        }

        /// `[a, b, …]` at `i`, across lines, with comments and a trailing comma.
        mutating func array(depth: Int) throws(Failure) -> [Value] {
            let start = line
            i += 1
            var values: [Value] = []
            while true {
                try skipBlank()
                guard let c = peek else { throw fail("the list opened on line \(start) is not closed", line: start) }
                if c == 0x5D { i += 1; return values }
                values.append(try value(depth: depth))
                try skipBlank()
                guard let next = peek else { throw fail("the list opened on line \(start) is not closed", line: start) }
                if next == 0x2C { i += 1; continue }
                if next == 0x5D { i += 1; return values }
                throw fail("expected ',' or ']' in the list, found \(Self.show(next))")
            }
        }

        mutating func integer() throws(Failure) -> Int {
            let start = i
            if peek == 0x2B || peek == 0x2D { i += 1 }
            var digits = ""
            var previousWasDigit = false
            while let c = peek, (c >= 0x30 && c <= 0x39) || c == 0x5F {
                if c == 0x5F {
                    guard previousWasDigit, let next = peek(1), next >= 0x30 && next <= 0x39 else {
                        throw fail("an underscore in a number must sit between digits")
                    }
                    previousWasDigit = false
                } else {
                    digits.append(Character(Unicode.Scalar(c)))
                    previousWasDigit = true
                }
                i += 1
            }
            if let c = peek, c == 0x2E || c == 0x65 || c == 0x45 || c == 0x3A || c == 0x2D || c == 0x78 || c == 0x6F || c == 0x62 {
                throw fail("only whole numbers are used in a rules file")
            }
            guard !digits.isEmpty else { throw fail("expected a number") }
            if digits.count > 1 && digits.hasPrefix("0") { throw fail("a number cannot start with 0") }
            guard let magnitude = Int(digits) else { throw fail("the number is too large") }
            return bytes[start] == 0x2D ? -magnitude : magnitude
        }

        /// One-line `"…"` with escapes.
        mutating func basicString() throws(Failure) -> String {
            i += 1
            var out: [UInt8] = []
            while true {
                guard let c = peek, c != 0x0A else { throw fail("a string is not closed on its line") }
                i += 1
                switch c {
                case 0x22: return String(decoding: out, as: UTF8.self)
                case 0x5C: try escape(into: &out)
                default:
                    if Self.isControl(c) { throw fail("a control character in a string") }
                    out.append(c)
                }
            }
        }

        /// One-line `'…'`, taken as written.
        mutating func literalString() throws(Failure) -> String {
            i += 1
            let start = i
            while true {
                guard let c = peek, c != 0x0A else { throw fail("a string is not closed on its line") }
                if c == 0x27 {
                    defer { i += 1 }
                    return String(decoding: bytes[start..<i], as: UTF8.self)
                }
                if Self.isControl(c) { throw fail("a control character in a string") }
                i += 1
            }
        }

        /// `"""…"""` (escapes; a line-ending backslash trims the whitespace after it) or `'''…'''` (taken as
        /// written), opened by `quote`; the newline right after the opening quotes is dropped.
        mutating func multiLineString(_ quote: UInt8) throws(Failure) -> String {
            let start = line
            i += 3
            skipLineBreak()
            var out: [UInt8] = []
            while true {
                guard let c = peek else { throw fail("the string opened on line \(start) is not closed", line: start) }
                if c == quote, let quotes = closingQuotes(quote) {
                    out.append(contentsOf: repeatElement(quote, count: quotes - 3))
                    i += quotes
                    return String(decoding: out, as: UTF8.self)
                }
                i += 1
                if c == 0x5C && quote == 0x22 {
                    var j = i
                    while j < bytes.count, bytes[j] == 0x20 || bytes[j] == 0x09 { j += 1 }
                    if j < bytes.count, bytes[j] == 0x0A || (bytes[j] == 0x0D && j + 1 < bytes.count && bytes[j + 1] == 0x0A) {
                        i = j
                        try skipBlank(comments: false)
                    } else {
                        try escape(into: &out)
                    }
                    continue
                }
                if c == 0x0A { line += 1 } else if Self.isControl(c) && !(c == 0x0D && peek == 0x0A) {
                    throw fail("a control character in a string")
                }
                out.append(c)
            }
        }

        /// At a quote inside a multi-line string: the count of closing quotes (3 to 5: up to two belong to the
        /// text), or nil when fewer than three follow (they are text).
        func closingQuotes(_ quote: UInt8) -> Int? {
            var n = 0
            while i + n < bytes.count, bytes[i + n] == quote { n += 1 }
            return n >= 3 ? min(n, 5) : nil
        }

        /// One line break (LF or CRLF), if there is one.
        mutating func skipLineBreak() {
            if peek == 0x0A { i += 1; line += 1 } else if peek == 0x0D && peek(1) == 0x0A { i += 2; line += 1 }
        }

        /// After a backslash in a basic string.
        mutating func escape(into out: inout [UInt8]) throws(Failure) {
            guard let c = peek else { throw fail("a string ends in a backslash") }
            i += 1
            switch c {
            case 0x62: out.append(0x08)
            case 0x74: out.append(0x09)
            case 0x6E: out.append(0x0A)
            case 0x66: out.append(0x0C)
            case 0x72: out.append(0x0D)
            case 0x22: out.append(0x22)
            case 0x5C: out.append(0x5C)
            case 0x75, 0x55:
                let count = c == 0x75 ? 4 : 8
                guard i + count <= bytes.count,
                      let code = UInt32(String(decoding: bytes[i..<(i + count)], as: UTF8.self), radix: 16),
                      bytes[i..<(i + count)].allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x66) }),
                      let scalar = Unicode.Scalar(code)
                else { throw fail("\\\(Character(Unicode.Scalar(c))) needs \(count) hex digits of a Unicode scalar") }
                i += count
                out.append(contentsOf: Array(String(Character(scalar)).utf8))
            default:
                throw fail("unknown escape \\\(Self.show(c)) in a string (use \\\\ for a backslash, or a 'literal string')")
            }
        }
    }
}
