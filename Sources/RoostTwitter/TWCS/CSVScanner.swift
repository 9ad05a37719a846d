/// One RFC 4180 row as raw bytes, with the physical line it starts on.
struct CSVRow {
    /// Line (1-based, counting LF bytes) of the row's first byte.
    var line: Int
    /// Field contents with quoting removed (`""` inside quotes is one `"`).
    var fields: [[UInt8]]
    /// The first thing wrong with the row's syntax, if any.
    var problem: CSVProblem?
}

/// A syntax fault in a CSV row.
enum CSVProblem: Equatable {
    /// The file ended inside a quoted field.
    case unterminatedQuote
    /// A quoted field was closed and more text followed before the comma (1-based column).
    case textAfterClosingQuote(column: Int)
    /// A `"` inside a field that does not start with one (1-based column).
    case quoteInUnquotedField(column: Int)
    /// The row is longer than ``TwitterLimits/maxRecordBytes``; its bytes past the limit were dropped.
    case tooLong

    var reason: String {
        switch self {
        case .unterminatedQuote: "quoted field never closed before the end of the file"
        case let .textAfterClosingQuote(column): "text after the closing quote of column \(column)"
        case let .quoteInUnquotedField(column): "quote inside unquoted column \(column)"
        case .tooLong: "record longer than \(TwitterLimits.maxRecordBytes) bytes"
        }
    }
}

/// Splits a byte stream into RFC 4180 rows, tracking the physical line where each row starts.
///
/// Rows end at LF or CRLF outside quotes; inside quotes commas, doubled quotes, CR and LF are data.
/// A lone CR outside quotes is kept as data. Blank lines between rows are skipped. Lines are counted
/// by LF bytes, as `wc -l` and editors' "go to line" do, so a CRLF file counts the same as an LF one.
struct CSVScanner {
    private enum State {
        case fieldStart, unquoted, quoted, quoteInQuoted
    }

    private static let comma = UInt8(ascii: ",")
    private static let quote = UInt8(ascii: "\"")
    private static let lf = UInt8(ascii: "\n")
    private static let cr = UInt8(ascii: "\r")

    private var source: ChunkedBytes
    private var chunk: [UInt8] = []
    private var position = 0
    private var line = 1

    init(_ source: ChunkedBytes) {
        self.source = source
    }

    private mutating func nextByte() throws(TWCSError) -> UInt8? {
        if position == chunk.count {
            guard let next = try source.next() else { return nil }
            chunk = next
            position = 0
        }
        defer { position += 1 }
        return chunk[position]
    }

    /// The next row, or nil at the end of the input.
    mutating func nextRow() throws(TWCSError) -> CSVRow? {
        var state = State.fieldStart
        var fields: [[UInt8]] = []
        var field: [UInt8] = []
        var started = false
        var startLine = line
        var size = 0
        var problem: CSVProblem?
        var pendingCR = false

        func note(_ p: CSVProblem) {
            if problem == nil { problem = p }
        }
        func append(_ byte: UInt8) {
            if size <= TwitterLimits.maxRecordBytes { field.append(byte) } else { note(.tooLong) }
        }
        func endField() {
            fields.append(field)
            field = []
        }

        while true {
            guard let byte = try nextByte() else {
                guard started, !(state == .fieldStart && fields.isEmpty) else { return nil }
                if state == .quoted {
                    problem = .unterminatedQuote
                }
                endField()
                return CSVRow(line: startLine, fields: fields, problem: problem)
            }
            if !started {
                started = true
                startLine = line
            }
            if byte == Self.lf { line += 1 }
            size += 1

            if pendingCR {
                pendingCR = false
                if byte == Self.lf {
                    if state == .fieldStart && fields.isEmpty {
                        // A blank line: not a row.
                        started = false
                        size = 0
                        continue
                    }
                    endField()
                    return CSVRow(line: startLine, fields: fields, problem: problem)
                }
                // A lone CR is data, in whatever state it was met.
                switch state {
                case .quoteInQuoted:
                    note(.textAfterClosingQuote(column: fields.count + 1))
                    state = .unquoted
                case .fieldStart:
                    state = .unquoted
                case .unquoted, .quoted:
                    break
                }
                append(Self.cr)
            }

            switch state {
            case .fieldStart:
                switch byte {
                case Self.quote:
                    state = .quoted
                case Self.comma:
                    endField()
                case Self.lf:
                    if fields.isEmpty {
                        // A blank line: not a row.
                        started = false
                        size = 0
                        continue
                    }
                    endField()
                    return CSVRow(line: startLine, fields: fields, problem: problem)
                case Self.cr:
                    pendingCR = true
                default:
                    append(byte)
                    state = .unquoted
                }
            case .unquoted:
                switch byte {
                case Self.comma:
                    endField()
                    state = .fieldStart
                case Self.lf:
                    endField()
                    return CSVRow(line: startLine, fields: fields, problem: problem)
                case Self.cr:
                    pendingCR = true
                case Self.quote:
                    note(.quoteInUnquotedField(column: fields.count + 1))
                    append(byte)
                default:
                    append(byte)
                }
            case .quoted:
                if byte == Self.quote {
                    state = .quoteInQuoted
                } else {
                    append(byte)
                }
            case .quoteInQuoted:
                switch byte {
                case Self.quote:
                    append(byte)
                    state = .quoted
                case Self.comma:
                    endField()
                    state = .fieldStart
                case Self.lf:
                    endField()
                    return CSVRow(line: startLine, fields: fields, problem: problem)
                case Self.cr:
                    pendingCR = true
                default:
                    note(.textAfterClosingQuote(column: fields.count + 1))
                    append(byte)
                    state = .unquoted
                }
            }
        }
    }
}
