/// The canonical text form of a node ID (a 32-byte Ed25519 public key),
/// following the shape of Syncthing's device IDs:
///
///     MFRGGZD-FMZTGQ3-...-XXXXXXX   (8 blocks of 7 characters, 63 with dashes)
///
/// Encoding:
/// 1. RFC 4648 base32 of the 32 bytes: alphabet `A`–`Z`, `2`–`7`, no padding,
///    giving 52 characters (the last one carries a single bit, so it is `A`
///    or `Q`, and its four low bits are zero).
/// 2. Split into 4 groups of 13 characters and append to each group one
///    Luhn mod 32 check character over that group, giving 56 characters.
/// 3. Split into 8 blocks of 7 characters joined with `-`.
///
/// The check character is the standard "Luhn mod N" algorithm with N = 32 and
/// the base32 alphabet as code points: walking the 13 payload characters from
/// the rightmost to the leftmost, the factor is 2 for the rightmost character
/// and then alternates 1, 2, 1, ...; each product `f × v` is reduced to
/// `f × v / 32 + f × v % 32`; the check code point is `(32 − sum % 32) % 32`.
/// It detects every single-character substitution and most transpositions of
/// adjacent characters. (Syncthing's own implementation starts with factor 1
/// at the *leftmost* character instead; for 13-character groups that yields
/// different check characters, so Roost IDs are not Syncthing device IDs.)
///
/// Decoding is case-insensitive, ignores `-` and spaces anywhere, requires
/// exactly 56 remaining characters, verifies the four check characters, and
/// accepts only the canonical encoding of a key, so `encode(decode(text))`
/// equals `text` up to case and separators.
public enum NodeIDText {
    /// The length in bytes of the keys this form encodes: 32.
    public static let keyLength = 32

    /// The base32 alphabet of RFC 4648, index = 5-bit value.
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)
    /// Bits per base32 character.
    private static let bitsPerCharacter = 5
    /// Base32 characters encoding the key: ⌈256 / 5⌉ = 52.
    private static let payloadLength = (keyLength * 8 + bitsPerCharacter - 1) / bitsPerCharacter
    /// Number of Luhn check groups: 4.
    private static let checkGroupCount = 4
    /// Payload characters per check group: 13.
    private static let checkGroupPayloadLength = payloadLength / checkGroupCount
    /// Characters per check group including its check character: 14.
    private static let checkGroupLength = checkGroupPayloadLength + 1
    /// Characters without separators: 56.
    static let characterCount = checkGroupCount * checkGroupLength
    /// Characters per dash-separated display block: 7.
    private static let blockLength = 7
    /// The modulus of the Luhn mod N check: the alphabet size, 32.
    private static let radix = 1 << bitsPerCharacter

    /// Returns the text form of `key`, for example
    /// `AAAQEAY-CAUDAOC-...` (8 blocks of 7 uppercase characters).
    ///
    /// - Precondition: `key.count == NodeIDText.keyLength` (32).
    public static func encode(_ key: [UInt8]) -> String {
        precondition(key.count == keyLength, "NodeIDText.encode needs a \(keyLength)-byte key, got \(key.count)")
        let payload = base32Values(of: key)

        var checked: [UInt8] = []
        checked.reserveCapacity(characterCount)
        for group in 0..<checkGroupCount {
            let start = group * checkGroupPayloadLength
            let values = payload[start..<start + checkGroupPayloadLength]
            checked.append(contentsOf: values)
            checked.append(luhnCheckValue(values))
        }

        var utf8: [UInt8] = []
        utf8.reserveCapacity(characterCount + characterCount / blockLength - 1)
        for (index, value) in checked.enumerated() {
            if index > 0, index % blockLength == 0 {
                utf8.append(UInt8(ascii: "-"))
            }
            utf8.append(alphabet[Int(value)])
        }
        return String(decoding: utf8, as: UTF8.self)
    }

    /// Parses the text form of a node ID back into its 32-byte key.
    ///
    /// - Throws: ``NodeIDTextError/invalidCharacter(_:)`` for the first
    ///   character that is neither in the alphabet (either case) nor a `-` or
    ///   space; ``NodeIDTextError/wrongLength(_:)`` unless 56 characters
    ///   remain; ``NodeIDTextError/checkFailed(group:)`` for the first check
    ///   group (1...4) whose check character does not match, or group 4 when
    ///   the text is not the canonical encoding of any key.
    public static func decode(_ text: String) throws(NodeIDTextError) -> [UInt8] {
        var values: [UInt8] = []
        values.reserveCapacity(characterCount)
        for character in text {
            if character == "-" || character == " " { continue }
            guard let value = value(of: character) else {
                throw .invalidCharacter(character)
            }
            values.append(value)
        }
        guard values.count == characterCount else {
            throw .wrongLength(values.count)
        }

        var payload: [UInt8] = []
        payload.reserveCapacity(payloadLength)
        for group in 0..<checkGroupCount {
            let start = group * checkGroupLength
            let groupPayload = values[start..<start + checkGroupPayloadLength]
            guard luhnCheckValue(groupPayload) == values[start + checkGroupPayloadLength] else {
                throw .checkFailed(group: group + 1)
            }
            payload.append(contentsOf: groupPayload)
        }

        guard let key = bytes(fromBase32Values: payload) else {
            throw .checkFailed(group: checkGroupCount)
        }
        return key
    }

    // MARK: - Base32 (RFC 4648, no padding)

    /// The 5-bit values of the base32 encoding of `bytes`, most significant
    /// bits first; the last value is zero-padded on the right.
    private static func base32Values(of bytes: [UInt8]) -> [UInt8] {
        let mask: UInt32 = (1 << bitsPerCharacter) - 1
        var values: [UInt8] = []
        values.reserveCapacity(payloadLength)
        var accumulator: UInt32 = 0
        var bitCount = 0
        for byte in bytes {
            accumulator = (accumulator << 8) | UInt32(byte)
            bitCount += 8
            while bitCount >= bitsPerCharacter {
                bitCount -= bitsPerCharacter
                values.append(UInt8((accumulator >> UInt32(bitCount)) & mask))
            }
            accumulator &= (1 << UInt32(bitCount)) - 1
        }
        if bitCount > 0 {
            values.append(UInt8((accumulator << UInt32(bitsPerCharacter - bitCount)) & mask))
        }
        return values
    }

    /// Decodes `payloadLength` 5-bit values into `keyLength` bytes, or `nil`
    /// if the unused trailing bits are not zero (a non-canonical encoding).
    private static func bytes(fromBase32Values values: [UInt8]) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(keyLength)
        var accumulator: UInt32 = 0
        var bitCount = 0
        for value in values {
            accumulator = (accumulator << UInt32(bitsPerCharacter)) | UInt32(value)
            bitCount += bitsPerCharacter
            if bitCount >= 8 {
                bitCount -= 8
                bytes.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bitCount)))
                accumulator &= (1 << UInt32(bitCount)) - 1
            }
        }
        guard accumulator == 0, bytes.count == keyLength else { return nil }
        return bytes
    }

    /// The 5-bit value of an alphabet character, either case.
    private static func value(of character: Character) -> UInt8? {
        guard character.unicodeScalars.count == 1, let ascii = character.asciiValue else { return nil }
        switch ascii {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return ascii - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return ascii - UInt8(ascii: "a")
        case UInt8(ascii: "2")...UInt8(ascii: "7"): return ascii - UInt8(ascii: "2") + 26
        default: return nil
        }
    }

    // MARK: - Luhn mod 32

    /// The standard Luhn mod N check value (N = 32) of `payload`: factor 2 on
    /// the rightmost value, alternating leftwards.
    private static func luhnCheckValue(_ payload: ArraySlice<UInt8>) -> UInt8 {
        var factor = 2
        var sum = 0
        for value in payload.reversed() {
            let product = factor * Int(value)
            sum += product / radix + product % radix
            factor = factor == 2 ? 1 : 2
        }
        return UInt8((radix - sum % radix) % radix)
    }
}

/// Why a string is not a valid node ID.
public enum NodeIDTextError: Error, Equatable, Sendable {
    /// The text has this many characters once `-` and spaces are removed,
    /// instead of 56.
    case wrongLength(Int)

    /// The text contains a character outside `A`–`Z`, `a`–`z`, `2`–`7`,
    /// `-` and space.
    case invalidCharacter(Character)

    /// The check character of this group (1...4, each covering two blocks
    /// of 7) does not match: a character in it was mistyped.
    case checkFailed(group: Int)
}

extension NodeIDTextError: CustomStringConvertible {
    /// A sentence explaining the problem to a person typing an ID.
    public var description: String {
        switch self {
        case let .wrongLength(count):
            "a node ID has \(NodeIDText.characterCount) characters besides dashes, this text has \(count)"
        case let .invalidCharacter(character):
            "\(String(reflecting: String(character))) cannot appear in a node ID (only A–Z, 2–7 and dashes)"
        case let .checkFailed(group):
            "node ID check failed in group \(group) (blocks \(2 * group - 1) and \(2 * group)): a character there is mistyped"
        }
    }
}
