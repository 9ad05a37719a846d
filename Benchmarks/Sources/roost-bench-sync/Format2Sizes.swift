import Foundation
import GRDB
import RoostCore
import RoostCrypto
import RoostSync

/// Bytes per op of format 1 and format 2 on issue 12's workload (`--only format2`, tools/bench-format2.sh): the
/// sync bytes of each (format 1: SPEC-sync `batch` ops and seals; format 2: runs through one session's dictionaries,
/// Protocol/SPEC-format-2.md §2.6), and the op table of each layout in a WAL SQLite file (format 1: the `op` table of
/// Schema.swift; format 2: DESIGN-format-2.md F2.3's `log`, `op`, `op_check` and `scope` tables plus the index
/// that finds an author's latest op of a scope). Bytes only: nothing here is timed.
enum Format2Sizes {
    struct Result {
        var ops: Int
        var v1Wire: Int, v2Wire: Int
        var v1Table: Int, v2Table: Int
    }

    static let transaction = 1_000

    static func bodies(workload: String) throws -> [OpBody] {
        try String(contentsOfFile: workload, encoding: .utf8).split(separator: "\n").map { line in
            let f = line.split(separator: "\t", omittingEmptySubsequences: false)
            let entity = EntityRef(Desk.ticket, "k" + f[1])
            return f[0] == "t" ? .tagAdd(entity: entity, tag: String(f[2])) : .set(entity: entity, field: String(f[2]), value: .string(String(f[3])))
        }
    }

    static func run(workload: String, directory: String) throws -> Result {
        let bodies = try bodies(workload: workload)
        let key = try SigningKey(seed: [UInt8](repeating: 7, count: 32))
        let author = key.authorID, epoch: UInt64 = 1
        let t0: UInt64 = 1_767_225_600_000

        // Format 1: headers chained as a node appends them; a batch carries each op and one seal per transaction.
        var v1Rows: [(header: OpHeader, hash: Bytes32, body: [UInt8])] = []
        var prev = Bytes32.zero
        for (index, body) in bodies.enumerated() {
            let (header, encoded) = OpCrypto.makeHeader(author: author, epoch: epoch, seq: UInt64(index + 1), prev: prev,
                                                        hlc: HLC(physicalMillis: t0 + UInt64(index), logical: 0), body: body)
            prev = OpCrypto.headerHash(header)
            v1Rows.append((header, prev, encoded))
        }
        let seals = (bodies.count + transaction - 1) / transaction
        let v1Wire = v1Rows.reduce(0) { $0 + Limits.runBytes(ofOpWithBody: $1.body.count) } + seals * Seal.encodedLength

        // Format 2: the same ops with scopes, one run and one seal per transaction, one session dictionary.
        var scopeIDs: [String: ScopeID] = [:]
        var lastInScope: [ScopeID: UInt64] = [:]
        var v2Rows: [(header: OpHeaderV2, hash: Bytes32, body: [UInt8])] = []
        prev = .zero
        for (index, body) in bodies.enumerated() {
            let name = Scope.name(of: body)
            let scope = scopeIDs[name] ?? OpCryptoV2.scopeID(name)
            scopeIDs[name] = scope
            let (header, encoded) = OpCryptoV2.makeHeader(author: author, epoch: epoch, seq: UInt64(index + 1), prev: prev,
                                                          hlc: HLC(physicalMillis: t0 + UInt64(index), logical: 0), scope: scope,
                                                          scopePrev: lastInScope[scope] ?? 0, body: body)
            prev = OpCryptoV2.opHash(header)
            lastInScope[scope] = UInt64(index + 1)
            v2Rows.append((header, prev, encoded))
        }
        var dictionary = RunDictionary()
        var v2Wire = 0
        for start in stride(from: 0, to: v2Rows.count, by: transaction) {
            let chunk = v2Rows[start..<min(start + transaction, v2Rows.count)]
            let leaves = OpCryptoV2.leaves(of: chunk.map { ($0.header.scope, $0.hash) })
            let last = chunk.last!
            let seal = OpCryptoV2.seal(key: key, epoch: epoch, fromSeq: chunk.first!.header.seq, seq: last.header.seq,
                                       head: last.hash, scopesRoot: OpCryptoV2.root(leaves))
            let run = RunV2(author: author, epoch: epoch, ops: chunk.map {
                RunV2.Op(seq: $0.header.seq, hlc: $0.header.hlc, kind: $0.header.kind, scope: $0.header.scope, payload: .body($0.body))
            }, seals: [RunV2.Seal(seq: seal.seq, fromSeq: seal.fromSeq, scopesRoot: seal.scopesRoot, signature: seal.signature)])
            v2Wire += RunV2.encode([run], dictionary: &dictionary).count
        }

        // Storage: each layout alone in its own WAL file, 1,000 rows per transaction.
        func fileBytes(_ name: String, schema: String, insert: (Database, Int) throws -> Void) throws -> Int {
            let path = directory + "/" + name
            var configuration = Configuration()
            configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL") }
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.write { try $0.execute(sql: schema) }
            for start in stride(from: 0, to: bodies.count, by: transaction) {
                try queue.write { db in for index in start..<min(start + transaction, bodies.count) { try insert(db, index) } }
            }
            return try queue.writeWithoutTransaction { db in
                _ = try Row.fetchOne(db, sql: "PRAGMA wal_checkpoint(TRUNCATE)")
                return (try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0) * (try Int.fetchOne(db, sql: "PRAGMA page_size") ?? 0)
            }
        }
        let v1Table = try fileBytes("v1.sqlite", schema: """
            CREATE TABLE op (author BLOB NOT NULL, epoch INTEGER NOT NULL, seq INTEGER NOT NULL, prev BLOB NOT NULL,
                hlc INTEGER NOT NULL, kind INTEGER NOT NULL, body_len INTEGER NOT NULL, body_hash BLOB NOT NULL,
                hash BLOB NOT NULL, body BLOB, PRIMARY KEY (author, epoch, seq)) WITHOUT ROWID
            """) { db, index in
            let row = v1Rows[index], h = row.header
            try db.execute(sql: "INSERT INTO op VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", arguments: [
                Data(h.author.key.bytes), Int64(h.epoch), Int64(h.seq), Data(h.prev.bytes), Int64(h.hlc.rawValue), Int64(h.kind.rawValue),
                Int64(h.bodyLength), Data(h.bodyHash.bytes), Data(row.hash.bytes), Data(row.body)])
        }
        var scopeRow: [ScopeID: Int64] = [:]
        let v2Table = try fileBytes("v2.sqlite", schema: """
            CREATE TABLE log (id INTEGER PRIMARY KEY, author BLOB NOT NULL, epoch INTEGER NOT NULL, head_seq INTEGER,
                head_hash BLOB, sealed_seq INTEGER, version INTEGER, UNIQUE (author, epoch));
            CREATE TABLE scope (id INTEGER PRIMARY KEY, sid BLOB NOT NULL UNIQUE);
            CREATE TABLE op (log INTEGER NOT NULL, seq INTEGER NOT NULL, hlc INTEGER NOT NULL, kind INTEGER NOT NULL,
                scope INTEGER NOT NULL, body BLOB, PRIMARY KEY (log, seq)) WITHOUT ROWID;
            CREATE INDEX op_scope ON op (log, scope, seq);
            CREATE TABLE op_check (log INTEGER NOT NULL, seq INTEGER NOT NULL, hash BLOB NOT NULL, PRIMARY KEY (log, seq)) WITHOUT ROWID;
            INSERT INTO log VALUES (1, zeroblob(32), 1, 0, zeroblob(32), 0, 2);
            """) { db, index in
            let row = v2Rows[index], h = row.header
            let scope: Int64
            if let known = scopeRow[h.scope] {
                scope = known
            } else {
                try db.execute(sql: "INSERT INTO scope (sid) VALUES (?)", arguments: [Data(h.scope.bytes)])
                scope = db.lastInsertedRowID
                scopeRow[h.scope] = scope
            }
            try db.execute(sql: "INSERT INTO op VALUES (1, ?, ?, ?, ?, ?)", arguments: [
                Int64(h.seq), Int64(h.hlc.rawValue), Int64(h.kind.rawValue), scope, Data(row.body)])
            if h.seq % 256 == 0 || h.seq % UInt64(transaction) == 0 {
                try db.execute(sql: "INSERT INTO op_check VALUES (1, ?, ?)", arguments: [Int64(h.seq), Data(row.hash.bytes)])
            }
        }
        return Result(ops: bodies.count, v1Wire: v1Wire, v2Wire: v2Wire, v1Table: v1Table, v2Table: v2Table)
    }
}
