import RoostCore

/// Fuzzes RoostCore's canonical decoders: the first byte picks one, the rest is its input.
/// Every decoder must either throw a `ByteDecodingError` or return a value whose encoding is exactly the input
/// (the encodings are canonical: SPEC.md §1), so a decode that succeeds on non-canonical bytes traps here.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCore(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let selector = data[0]
    let bytes = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    if selector >= 240 {
        fuzzFormat2(selector, bytes)
        return 0
    }
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

/// Format 2 (Protocol/SPEC-format-2.md), selectors 240...247: 240 hashed header, 241...245 body v2 of kind 1...5 (which
/// must also survive a trip through format 1 unchanged: the two encode the same values), 246 stored seal v2, 247 varint.
private func fuzzFormat2(_ selector: UInt8, _ bytes: [UInt8]) {
    switch selector {
    case 240:
        if let header = try? OpHeaderV2.decode(bytes) { check(header.encoded() == bytes, "op header v2") }
    case 241...245:
        let kind = OpKind(rawValue: UInt16(selector - 240))!
        if let body = try? OpBody.decodeV2(kind: kind, bytes: bytes) {
            check(body.encodedV2() == bytes, "op body v2 \(kind)")
            check((try? OpBody.decode(kind: kind, bytes: body.encoded())) == body, "op body v2 \(kind) through format 1")
        }
    case 246:
        if let seal = try? SealV2.decode(bytes) { check(seal.encoded() == bytes, "seal v2") }
    default:
        let value = try? ByteReader.decodeAll(bytes) { r throws(ByteDecodingError) in try r.varint("fuzz") }
        if let value {
            var w = ByteWriter()
            w.varint(value)
            check(w.bytes == bytes, "varint")
        }
    }
}

private func check(_ condition: Bool, _ what: String) {
    if !condition { fatalError("fuzz: \(what) decoded from non-canonical bytes (re-encoding differs)") }
}
