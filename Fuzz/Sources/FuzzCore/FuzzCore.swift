import RoostCore

/// Fuzzes RoostCore's canonical decoders: the first byte picks one, the rest is its input.
/// Every decoder must either throw a `ByteDecodingError` or return a value whose encoding is exactly the input
/// (the encodings are canonical: SPEC.md §1), so a decode that succeeds on non-canonical bytes traps here.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCore(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let selector = data[0]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    switch selector % 8 {
    case 0:
        if let header = try? OpHeader.decode(bytes) { check(header.encoded() == bytes, "op header") }
    case 1, 2, 3, 4, 5:
        let kind = OpKind(rawValue: UInt16(selector % 8))!
        if let body = try? OpBody.decode(kind: kind, bytes: bytes) { check(body.encoded() == bytes, "op body \(kind)") }
    case 6:
        if let seal = try? Seal.decode(bytes) { check(seal.encoded() == bytes, "seal") }
    default:
        if let value = try? Value.decode(bytes) { check(value.encoded == bytes, "value") }
    }
    return 0
}

private func check(_ condition: Bool, _ what: String) {
    if !condition { fatalError("fuzz: \(what) decoded from non-canonical bytes (re-encoding differs)") }
}
