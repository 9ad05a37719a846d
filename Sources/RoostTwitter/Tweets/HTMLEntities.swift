/// Decodes the HTML entities that X escapes in tweet text.
public enum HTMLEntities {
    private static let named: [String: Unicode.Scalar] = [
        "amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": "\u{00A0}",
    ]
    /// Longest entity body looked at (`#x10FFFF` is 8 scalars); a longer run is left as text.
    private static let maxEntityBody = 8

    /// Decodes `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&apos;`, `&nbsp;` and numeric references
    /// (`&#39;`, `&#x1F600;`) in one left-to-right pass, so `&amp;lt;` becomes `&lt;`, not `<`.
    /// Unknown names, references to invalid code points and an `&` without `;` stay as written.
    public static func decode(_ text: String) -> String {
        guard text.utf8.contains(UInt8(ascii: "&")) else { return text }
        let scalars = text.unicodeScalars
        var out = String.UnicodeScalarView()
        var i = scalars.startIndex
        while i < scalars.endIndex {
            let scalar = scalars[i]
            i = scalars.index(after: i)
            guard scalar == "&" else {
                out.append(scalar)
                continue
            }
            let window = scalars[i...].prefix(maxEntityBody + 1)
            if let semi = window.firstIndex(of: ";"),
               let decoded = Self.scalar(for: String(String.UnicodeScalarView(scalars[i..<semi]))) {
                out.append(decoded)
                i = scalars.index(after: semi)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    private static func scalar(for body: String) -> Unicode.Scalar? {
        if let named = named[body] { return named }
        guard body.hasPrefix("#") else { return nil }
        var digits = body.dropFirst()
        var radix = 10
        if digits.first == "x" || digits.first == "X" {
            radix = 16
            digits = digits.dropFirst()
        }
        let allowed: (Character) -> Bool = radix == 16 ? { $0.isASCII && $0.isHexDigit } : { $0.isASCII && $0.isWholeNumber }
        guard !digits.isEmpty, digits.allSatisfy(allowed), let value = UInt32(digits, radix: radix), value != 0
        else { return nil }
        return Unicode.Scalar(value)
    }
}
