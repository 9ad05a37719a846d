import Foundation
import GRDB
import Testing
import RoostCore
import RoostCrypto
import RoostNode
import RoostStore

/// `roost-inspect verify` on copies of Cy's database with one byte flipped in a stored op (every header
/// column, the stored hash, the body) or a forged seal: each must exit 1 naming the problem.
@Suite(.serialized) struct InspectVerifyTests {
    /// Flips one byte of a column of one row: the byte at `index` of a blob, or of an integer's
    /// big-endian 8 bytes (index 7 is the lowest).
    static func flip(_ path: String, table: String, column: String, where clause: String, _ arguments: StatementArguments,
                     index: Int, mask: UInt8 = 0x01) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            let value = try DatabaseValue.fetchOne(db, sql: "SELECT \(column) FROM \(table) WHERE \(clause)", arguments: arguments)
            let flipped: DatabaseValue
            switch value?.storage {
            case let .blob(data)?:
                var bytes = [UInt8](data)
                bytes[index] ^= mask
                flipped = Data(bytes).databaseValue
            case let .int64(number)?:
                flipped = (number ^ (Int64(mask) << (8 * (7 - index)))).databaseValue
            default:
                Issue.record("no \(column) to flip")
                return
            }
            try db.execute(sql: "UPDATE \(table) SET \(column) = ? WHERE \(clause)", arguments: [flipped] + arguments)
            #expect(db.changesCount == 1)
        }
        try queue.close()
    }

    @Test func verifyCatchesAFlippedByteInEveryStoredColumnAndAForgedSeal() throws {
        let team = try FixtureTeam()
        defer { team.cleanup() }
        let anaKey = Data(team.ana.id.key.bytes)
        let target = OpRef(author: team.ana.id, epoch: 0xA1, seq: 5)
        let opClause = "log = (SELECT id FROM log WHERE author = ? AND epoch = ?) AND seq = ?"
        let opArguments: StatementArguments = [anaKey, 0xA1, 5]
        var copies = 0
        func copy() throws -> String {
            copies += 1
            let path = team.root.appendingPathComponent("cy-\(copies).sqlite").path
            try team.cy.copyDatabase(to: path)
            return path
        }
        func verify(_ path: String) throws -> Inspector.Result { try Inspector.run(["verify", "--home", path]) }

        // The untouched copy verifies: the checks below can fail.
        let clean = try verify(try copy())
        #expect(clean.status == 0, "\(clean.stdout)")
        #expect(clean.stdout.hasSuffix("OK\n"))

        // (column, byte index, mask, the first problem verify must name)
        let altered = ": the chain does not reach the head its seal signs (an op at or before it was altered)"
        let undecodable = "FAILED: op \(target): body does not decode"
        // (`prev`, a held body's `body_hash` and the op's hash are not stored: they are recomputed, so altering what
        // they are computed from changes the chain, which then misses the next kept hash: here the seal's head, at
        // seq 9. A change that leaves the stored body undecodable is named at the op itself, before that.)
        let cases: [(String, Int, UInt8, String?)] = [
            ("hlc", 7, 0x01, altered),
            ("hlc", 2, 0x80, altered),
            ("kind", 7, 0x01, undecodable),
            ("kind", 6, 0x01, "FAILED: op \(target): unknown op kind 258"),
            // Bodies are stored in the version 2 encoding (StoredBody): this flip leaves a body that decodes (another
            // one), so the chain misses the seal.
            ("body", 10, 0x01, altered),
            // These move the op to another position: verify names whichever chain breaks first.
            // (The author and epoch are stored once per log, in `log`: flipping them moves the whole log.)
            ("author", 5, 0x01, nil),
            ("epoch", 6, 0x01, nil),
            ("seq", 6, 0x01, nil),
        ]
        for (column, index, mask, expected) in cases {
            let path = try copy()
            if column == "author" || column == "epoch" {
                try Self.flip(path, table: "log", column: column, where: "author = ? AND epoch = ?", [anaKey, 0xA1],
                              index: index, mask: mask)
            } else {
                try Self.flip(path, table: "op_row", column: column, where: opClause, opArguments, index: index, mask: mask)
            }
            let result = try verify(path)
            #expect(result.status == 1, "flipping \(column)[\(index)] went unnoticed: \(result.stdout)")
            let failed = result.stdout.split(separator: "\n").first { $0.hasPrefix("FAILED: ") }.map(String.init)
            if let expected {
                #expect(failed?.contains(expected) == true, "flipping \(column)[\(index)]: \(failed ?? "")")
            } else {
                #expect(failed != nil, "flipping \(column)[\(index)]")
            }
        }

        // A seal signed by another key over Cy's own head, and a seal with a flipped signature byte.
        let cyKey = Data(team.cy.id.key.bytes)
        let forgedPath = try copy()
        let head = try DatabaseQueue(path: forgedPath).read { db in
            try Data.fetchOne(db, sql: "SELECT head FROM seal WHERE author = ? AND seq = 3", arguments: [cyKey])!
        }
        let forged = OpCrypto.seal(key: team.ben.local.key, epoch: 0xC3, seq: 3, head: Bytes32([UInt8](head))!)
        try FixtureNode.tamper(forgedPath, "UPDATE seal SET signature = ? WHERE author = ? AND seq = 3",
                               [Data(forged.signature), cyKey])
        let forgedResult = try verify(forgedPath)
        #expect(forgedResult.status == 1)
        #expect(forgedResult.stdout.contains("FAILED: seal \(team.cy.id.short)/c3/3: signature does not verify\n"))

        let flippedSeal = try copy()
        try Self.flip(flippedSeal, table: "seal", column: "signature", where: "author = ? AND seq = 3", [cyKey], index: 63)
        let flippedResult = try verify(flippedSeal)
        #expect(flippedResult.status == 1)
        #expect(flippedResult.stdout.contains("FAILED: seal \(team.cy.id.short)/c3/3: signature does not verify\n"))
    }

    @Test func verifyPrintsTheReportAndRosterAuthority() throws {
        let team = try FixtureTeam()
        defer { team.cleanup() }
        let result = try Inspector.run(["verify", "--home", team.ana.home.path])
        #expect(result.status == 0, "\(result.stderr)")
        let hash = try team.ana.store.stateHash().hex
        #expect(result.stdout == """
            Checked 3 log(s), 18 op(s), 7 seal(s); fork evidence: 0.
            Chains, body hashes, seals: OK
            Re-fold state hash: \(hash)
            State hash: \(hash)
            Roster authority: no team: every signed op is accepted
            Note: no team: roster authority not checked
            OK

            """)
        // A tampered materialized row is named as the first problem.
        try team.ana.tamper("UPDATE mv_register SET value = X'03000000046f70656e' WHERE key = 'p100' AND field = 'status'")
        let damaged = try Inspector.run(["verify", "--home", team.ana.home.path, "--json"])
        #expect(damaged.status == 1)
        let json = try JSONSerialization.jsonObject(with: Data(damaged.stdout.utf8)) as? [String: Any]
        #expect(json?["ok"] as? Bool == false)
        #expect((json?["problems"] as? [String])?.first == "materialized state differs from the re-fold: "
                + "mv_register(collection=ticket, key=p100, field=status): column value differs")
        #expect(json?["rosterAuthority"] as? String == "no team: every signed op is accepted")
    }

    @Test func verifyNamesOpsTheRosterDoesNotAdmit() throws {
        let team = try FixtureTeam()
        defer { team.cleanup() }
        // Pin Ana's database to a team founded by Ben (written behind the store's back, as a tamper would):
        // no admin ever admitted Ana's peer Cy, so Cy's log is held without authority.
        try team.ana.tamper("INSERT INTO meta (key, value) VALUES ('team_founder', ?)", [Data(team.ben.id.key.bytes)])
        let result = try Inspector.run(["verify", "--home", team.ana.home.path])
        #expect(result.status == 1)
        #expect(result.stdout.contains("Roster authority: FAILED (see problems)\n"))
        #expect(result.stdout.contains("  log \(team.cy.id.short)/c3: its author is not a member of the team (no admin admitted it)\n"))
    }
}
