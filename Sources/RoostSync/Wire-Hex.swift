/// Lowercase hex of public values (public keys, digests, identifiers) for
/// descriptions. Never call it on secret bytes.
func wireHex(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var utf8: [UInt8] = []
    utf8.reserveCapacity(bytes.underestimatedCount * 2)
    for byte in bytes {
        utf8.append(digits[Int(byte >> 4)])
        utf8.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: utf8, as: UTF8.self)
}
