/// Inputs the TOML parser (toml++ 3, through TOMLKit) must never see: it aborts the process on them instead of
/// reporting an error (an assertion in `parse_key`), found by `tools/fuzz.sh` (FuzzText). Checked first, so a bad
/// rules file is one clear error and never takes a running node down.
enum TOMLGuard {
    /// The first line (1-based) whose table header's name starts with a dot (`[.a]`, `[[ .rule]]`), or nil.
    static func dottedHeaderLine(_ text: String) -> Int? {
        var number = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            number += 1
            var rest = line.drop { $0 == " " || $0 == "\t" }
            guard rest.first == "[" else { continue }
            rest = rest.dropFirst()
            if rest.first == "[" { rest = rest.dropFirst() }
            if rest.drop(while: { $0 == " " || $0 == "\t" }).first == "." { return number }
        }
        return nil
    }
}
