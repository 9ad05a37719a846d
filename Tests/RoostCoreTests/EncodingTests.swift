import Testing
import RoostCore

@Suite struct EncodingTests {
    static let author = AuthorID(key: Bytes32((0..<32).map { UInt8($0) })!)

    static let bodies: [OpBody] = [
        .makeInsert(EntityRef("message", "1193"), [Field("text", .string("Wifi down again 😡")), Field("author", .string("c1"))]),
        .set(entity: EntityRef("ticket", "1"), field: "priority", value: .int(-3)),
        .set(entity: EntityRef("ticket", "1"), field: "vip", value: .bool(true)),
        .set(entity: EntityRef("ticket", "1"), field: "note", value: .null),
        .set(entity: EntityRef("ticket", "1"), field: "blob", value: .bytes([0, 255])),
        .tagAdd(entity: EntityRef("ticket", "1"), tag: "billing"),
        .tagRemove(entity: EntityRef("ticket", "1"), tag: "billing",
                   observed: [OpRef(author: author, epoch: 1, seq: 3), OpRef(author: author, epoch: 1, seq: 9)]),
        .claim(entity: EntityRef("ticket", "1"), action: .claim, holder: author, leaseSeconds: 1800, observed: nil),
        .claim(entity: EntityRef("ticket", "1"), action: .release, holder: nil, leaseSeconds: 0,
               observed: OpRef(author: author, epoch: 1, seq: 4)),
    ]

    @Test(arguments: bodies)
    func bodyRoundTrips(body: OpBody) throws {
        let bytes = body.encoded()
        #expect(try OpBody.decode(kind: body.kind, bytes: bytes) == body)
        // Every strict prefix is rejected, and so is a trailing byte.
        for cut in 0..<bytes.count {
            #expect(throws: ByteDecodingError.self) { try OpBody.decode(kind: body.kind, bytes: Array(bytes[..<cut])) }
        }
        #expect(throws: ByteDecodingError.trailingBytes(count: 1)) { try OpBody.decode(kind: body.kind, bytes: bytes + [0]) }
    }

    @Test func headerIs127BytesAndRoundTrips() throws {
        let header = OpHeader(author: Self.author, epoch: 42, seq: 2, prev: Bytes32([UInt8](repeating: 9, count: 32))!,
                              hlc: HLC(physicalMillis: 1_767_225_600_000, logical: 1), kind: .set,
                              bodyLength: 20, bodyHash: Bytes32([UInt8](repeating: 7, count: 32))!)
        let bytes = header.encoded()
        #expect(bytes.count == OpHeader.encodedLength)
        #expect(bytes[0] == 1)
        #expect(Array(bytes[1..<33]) == Self.author.key.bytes)
        #expect(Array(bytes[89..<91]) == [0, 2])
        #expect(try OpHeader.decode(bytes) == header)
    }

    @Test func decoderRejectsNonCanonicalInput() {
        let unsorted = OpBody.insert(entity: EntityRef("m", "1"), fields: [Field("b", .null), Field("a", .null)])
        #expect(throws: ByteDecodingError.notCanonical("insert fields not strictly sorted by name")) {
            try OpBody.decode(kind: .insert, bytes: unsorted.encoded())
        }
        let releaseWithHolder = OpBody.claim(entity: EntityRef("t", "1"), action: .release, holder: Self.author,
                                             leaseSeconds: 0, observed: nil)
        #expect(throws: ByteDecodingError.self) { try OpBody.decode(kind: .claim, bytes: releaseWithHolder.encoded()) }
        var badBool = OpBody.set(entity: EntityRef("t", "1"), field: "f", value: .bool(true)).encoded()
        badBool[badBool.count - 1] = 2
        #expect(throws: ByteDecodingError.invalidTag(field: "set.value", value: 2)) {
            try OpBody.decode(kind: .set, bytes: badBool)
        }
    }

    @Test func hugeLengthPrefixIsRejectedBeforeAllocating() {
        var w = ByteWriter()
        w.u32(UInt32.max)  // collection length
        #expect(throws: ByteDecodingError.tooLarge(field: "entity.collection", length: Int(UInt32.max), limit: Limits.maxIdentifierBytes)) {
            try OpBody.decode(kind: .set, bytes: w.bytes)
        }
    }

    @Test func sealIs144Bytes() throws {
        let seal = Seal(author: Self.author, epoch: 1, seq: 5, head: Bytes32([UInt8](repeating: 3, count: 32))!,
                        signature: [UInt8](repeating: 4, count: 64))
        #expect(seal.encoded().count == Seal.encodedLength)
        #expect(try Seal.decode(seal.encoded()) == seal)
        #expect(seal.signedMessage.count == 93)
        #expect(Array(seal.signedMessage.prefix(13)) == Array("roost-seal-v1".utf8))
    }

    @Test func bytes32OrdersLikeItsBytes() {
        let a = Bytes32([0] + [UInt8](repeating: 255, count: 31))!
        let b = Bytes32([1] + [UInt8](repeating: 0, count: 31))!
        #expect(a < b)
        #expect(Bytes32(a.bytes) == a)
        #expect(Hex.decode(a.hex) == a.bytes)
    }
}
