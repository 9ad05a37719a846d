import Foundation
import RoostCore
import RoostCrypto
import RoostStore
import Testing

// Checks the roster fold (SPEC-roster.md §2c.3-2c.4) against Protocol/vectors/roster.json, both ways:
// each change's readable fields encode to its body hex and the hex decodes to the same roster change;
// the set folds to the expected roster in every delivery order tried. To regenerate the file:
//   ROOST_WRITE_VECTORS=1 swift test --filter VectorGenerator

@Suite struct RosterVectorTests {
    typealias J = VectorKit.JSON

    @Test("roster.json: bodies both ways, and the folded roster in several delivery orders")
    func rosterCases() throws {
        let file = try VectorKit.load("roster.json")
        var ids: [AuthorID] = []
        for entry in try file["authors"].array() {
            let seed = [UInt8](repeating: UInt8(try entry["seed_byte"].int()), count: 32)
            let id = AuthorID(key: Bytes32(try SigningKey(seed: seed).publicKey)!)
            #expect(id.text == (try entry["text"].string()))
            ids.append(try AuthorID(text: try entry["text"].string()))
        }
        let founder = ids[Int(try file["founder"].int())]
        let cases = try file["cases"].array()
        #expect(cases.count >= 7)
        for entry in cases {
            let name = try entry["name"].string()
            var changes: [RosterChange] = []
            for change in try entry["changes"].array() {
                let member = ids[Int(try change["member"].int())]
                let body = OpBody.set(entity: EntityRef(RosterSchema.member, member.text), field: try change["field"].string(),
                                      value: .string(try change["value"].string()))
                let hex = try change["body_hex"].string()
                #expect(Hex.encode(body.encoded()) == hex, "\(name): fields encode to the body hex")
                let decoded = try OpBody.decode(kind: .set, bytes: Hex.decode(hex)!)
                #expect(decoded == body, "\(name): the body hex decodes to the fields")
                let stamp = Stamp(hlc: HLC(rawValue: try change["hlc"].u64()),
                                  ref: OpRef(author: ids[Int(try change["author"].int())], epoch: try change["epoch"].u64(),
                                             seq: try change["seq"].u64()))
                changes.append(try #require(RosterChange(stamp: stamp, body: decoded), "\(name): a roster change"))
            }
            let expect = try entry["expect"]
            let ignored = Set(try expect["ignored"].array().map { Int(try $0.int()) })
            let orders = [Array(changes.indices), Array(changes.indices.reversed()),
                          changes.indices.sorted { ($0 * 7 + 3) % changes.count < ($1 * 7 + 3) % changes.count }]
            for order in orders {
                let label = "\(name), order \(order)"
                let roster = RosterState(founder: founder, changes: order.map { changes[$0] })
                let counted = Set(roster.members.values.flatMap { $0.roles.map(\.stamp) + [$0.revocation?.stamp].compactMap { $0 } })
                #expect(Set(changes.indices.filter { !counted.contains(changes[$0].stamp) }) == ignored, "\(label): ignored")
                let members = try expect["members"].array()
                #expect(roster.members.filter { !$0.value.roles.isEmpty }.count == members.count, "\(label): member count")
                for member in members {
                    let id = ids[Int(try member["member"].int())]
                    let folded = try #require(roster.members[id], "\(label): member \(id.short)")
                    #expect(folded.roles.map(\.role.rawValue) == (try member["roles"].array().map { try $0.string() }), "\(label): roles")
                    let revoked = try member.optional("revoked").map { try $0.string() }
                    let current = try member.optional("current_role").map { try $0.string() }
                    #expect(folded.revocation?.cut.description == revoked, "\(label): cut")
                    #expect(roster.currentRole(of: id)?.rawValue == current, "\(label): current role")
                }
                for probe in try expect["admission"].array() {
                    let ref = OpRef(author: ids[Int(try probe["author"].int())], epoch: try probe["epoch"].u64(), seq: try probe["seq"].u64())
                    #expect(RosterVectorGenerator.label(roster.admission(of: ref)) == (try probe["expect"].string()),
                            "\(label): admission of \(ref)")
                }
            }
        }
    }
}
