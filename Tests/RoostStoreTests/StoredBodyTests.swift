import Foundation
import RoostCore
@_spi(StoreInternals) @testable import RoostStore
import Testing

/// Bodies are stored in the version 2 encoding and read back as the format 1 bytes their ops' hashes cover
/// (StoredBody.swift): every shape of body comes back byte for byte.
@Suite struct StoredBodyTests {
    static let someone = AuthorID(key: Bytes32([UInt8](repeating: 7, count: 32))!)
    static let observed = OpRef(author: someone, epoch: 3, seq: 1_000_000)
    static let bodies: [OpBody] = [
        .makeInsert(EntityRef("ticket", "tw-1"), [Field("channel", .string("public")), Field("n", .int(.min)),
                                                  Field("m", .int(.max)), Field("z", .int(0)), Field("e", .string(""))]),
        .makeInsert(EntityRef("a collection without a code", "k"), [Field("b", .bytes([0, 255, 1])), Field("t", .bool(true)),
                                                                     Field("n", .null)]),
        .set(entity: EntityRef("message", ""), field: "text", value: .string(String(repeating: "é", count: 300))),
        .set(entity: EntityRef("customer", "c"), field: "score", value: .int(-1)),
        .tagAdd(entity: EntityRef("ticket", "t"), tag: "vip"),
        .tagRemove(entity: EntityRef("ticket", "t"), tag: "vip", observed: [OpRef(author: someone, epoch: 0, seq: 1), observed]),
        .claim(entity: EntityRef("ticket", "t"), action: .claim, holder: someone, leaseSeconds: 600, observed: nil),
        .claim(entity: EntityRef("ticket", "t"), action: .release, holder: nil, leaseSeconds: 0, observed: observed),
    ]

    @Test(arguments: bodies)
    func aStoredBodyReadsBackAsItsFormat1Bytes(body: OpBody) throws {
        let stored = StoredBody.encode(body)
        let read = try StoredBody.decode(stored, kind: body.kind, at: Self.observed)
        #expect(read.bytes == body.encoded())
        #expect(read.body == body)
        #expect(Array(stored.prefix(StoredBody.prefix(entity: body.entity).count)) == StoredBody.prefix(entity: body.entity))
    }

    @Test func aStoreGivesBackTheBytesItWasGiven() throws {
        let ana = try TestAuthor(seed: 1)
        let appended = try ana.append(Self.bodies, at: baseMillis)
        let batch = try ana.store.batch(after: VersionVector())
        #expect(batch.ops.map(\.header) == appended.headers)
        #expect(batch.ops.map(\.body) == Self.bodies.map { $0.encoded() })
        #expect(try ana.store.verify().isOK)
        // Ops on one entity, found by its stored prefix.
        #expect(try ana.store.storedOps(StoredOpFilter(entity: EntityRef("ticket", "t"))).count == 4)
    }

    @Test func aStoredBodyThatDoesNotDecodeNamesItsOp() {
        #expect(throws: StoreError.corrupt("op \(Self.observed): body does not decode: 1 unexpected bytes after the value")) {
            _ = try StoredBody.decode(StoredBody.encode(Self.bodies[4]) + [0], kind: .tagAdd, at: Self.observed)
        }
    }
}
