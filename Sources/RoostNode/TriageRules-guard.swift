/// Inputs the TOML parser (toml++ 3, through TOMLKit) must never see: it aborts the process on them instead of
/// reporting an error. toml++'s `parse_table_header` hands whatever follows `[` or `[[` (and spaces) to
/// `parse_key`, which asserts that it is a key's first character: `[.a]`, `[ !x]` or a `[` ending its line all
/// abort. Found by `tools/fuzz.sh` (FuzzText, 2026-12-03, twice). Checked first, so a bad rules file is one clear
/// error and never takes a running node down.
enum TOMLGuard {
    /// The first table header (line 1-based, and what is wrong with it) that toml++ would abort on, or nil.
    ///
    /// A header is a `[` that starts a line outside any string, array or inline table; the scan tracks strings
    /// (basic, literal, multi-line), comments and bracket depth the way the TOML grammar does, so a `[` inside a
    /// value is not mistaken for one.
    static func badHeader(_ text: String) -> (line: Int, reason: String)? {
        let chars = Array(text.unicodeScalars)
        var i = 0, line = 1, depth = 0, lineStart = true
        func at(_ offset: Int) -> Unicode.Scalar? { i + offset < chars.count ? chars[i + offset] : nil }
        func isSpace(_ c: Unicode.Scalar?) -> Bool { c == " " || c == "\t" }
        func isKeyStart(_ c: Unicode.Scalar) -> Bool {
            c.isASCII && (c.properties.isAlphabetic || ("0"..."9").contains(c) || c == "_" || c == "-")
                || c == "\"" || c == "'" || c == "]"
        }
        /// Skips a string opened at `i` (quote `q`), counting its newlines; stops at its end or the end of text.
        func skipString(_ q: Unicode.Scalar) {
            let multi = at(1) == q && at(2) == q
            i += multi ? 3 : 1
            while i < chars.count {
                let c = chars[i]
                if c == "\\" && q == "\"" {
                    if at(1) == "\n" { line += 1 }
                    i += 2
                    continue
                }
                if c == "\n" {
                    if !multi { return }  // an unterminated one-line string: toml++ reports it
                    line += 1
                }
                if c == q && (!multi || (at(1) == q && at(2) == q)) {
                    i += multi ? 3 : 1
                    // A multi-line string may end with up to two more quotes (`""""` is a quote then the end).
                    while multi && at(0) == q { i += 1 }
                    return
                }
                i += 1
            }
        }
        while i < chars.count {
            let c = chars[i]
            if c == "\n" {
                line += 1
                lineStart = true
                i += 1
                continue
            }
            if isSpace(c) || c == "\r" { i += 1; continue }
            let startsLine = lineStart
            lineStart = false
            switch c {
            case "#":
                while i < chars.count && chars[i] != "\n" { i += 1 }
            case "\"", "'":
                skipString(c)
            case "[" where startsLine && depth == 0:
                // A table header: check what toml++ will hand to parse_key, then skip the header to its line's end.
                var j = i + 1
                while j < chars.count && isSpace(chars[j]) { j += 1 }
                if j < chars.count && chars[j] == "[" { j += 1 }
                while j < chars.count && isSpace(chars[j]) { j += 1 }
                if j < chars.count {
                    let first = chars[j]
                    if first == "." { return (line, "a table name cannot start with '.'") }
                    if !isKeyStart(first) { return (line, "a table header must be [name] or [[name]]") }
                }
                i = j
                while i < chars.count && chars[i] != "\n" {
                    if chars[i] == "\"" || chars[i] == "'" { skipString(chars[i]) } else { i += 1 }
                    if i < chars.count && chars[i] == "#" { break }
                }
                continue
            case "[", "{":
                depth += 1
            case "]", "}":
                depth = max(0, depth - 1)
            default:
                break
            }
            if c != "\"" && c != "'" && c != "#" { i += 1 }
        }
        return nil
    }
}
