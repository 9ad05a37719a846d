import Foundation
import GRDB
import RoostCore
import RoostCrypto
import RoostNode
@_spi(StoreInternals) import RoostStore
import RoostSync
import RoostTestSupport

/// 2026-01-01T00:00:00Z in Unix milliseconds: every op of the fixture is stamped from it.
let baseMillis: UInt64 = 1_767_225_600_000

/// One fixture node: a home folder with `config.json` and `node.sqlite`, a deterministic key and epoch.
struct FixtureNode {
    let name: String
    let home: URL
    let local: LocalAuthor
    let store: OpStore
    var id: AuthorID { local.id }

    init(root: URL, folder: String, name: String, initials: String, seed: UInt8, epoch: UInt64) throws {
        self.name = name
        home = root.appendingPathComponent(folder)
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        try NodeConfig(name: name, initials: initials).encoded().write(to: home.appendingPathComponent("config.json"))
        local = LocalAuthor(key: try SigningKey(seed: [UInt8](repeating: seed, count: 32)), epoch: epoch)
        store = try OpStore(path: home.appendingPathComponent("node.sqlite").path)
        try store.bindLocalLog(local.log)
    }

    /// Appends ops in one sealed transaction at `base + seconds`.
    func append(_ bodies: [OpBody], at seconds: Double) throws {
        try store.append(bodies, by: local, clock: FixedClock(millis: baseMillis + UInt64(seconds * 1000)))
    }

    /// Receives every op `other` holds that this node lacks.
    func pull(from other: FixtureNode, at seconds: Double = 100) throws {
        let batch = try other.store.batch(after: try store.versionVector(), limit: 100_000)
        if !batch.ops.isEmpty {
            try store.apply(batch, clock: FixedClock(millis: baseMillis + UInt64(seconds * 1000)))
        }
    }

    var databasePath: String { home.appendingPathComponent("node.sqlite").path }

    /// A standalone copy of the database (as an admin would copy it off a node), at `path`.
    func copyDatabase(to path: String) throws {
        try store.writer.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [path]) }
    }

    /// Writes directly to the database (tampering, as an attacker with file access would).
    func tamper(_ sql: String, _ arguments: StatementArguments = []) throws {
        try Self.tamper(databasePath, sql, arguments)
    }

    /// Writes directly to a database file.
    static func tamper(_ path: String, _ sql: String, _ arguments: StatementArguments = []) throws {
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in try db.execute(sql: sql, arguments: arguments) }
        try queue.close()
    }
}

/// The fixture team of three homes built by the tests:
/// - Ana (admin) creates the team and tickets p100 (queue billing) and p200 (queue shipping);
/// - Ben and Cy claim p100 concurrently: Ben's earlier claim wins, Cy's is a visible conflict on every node;
/// - Cy resolves p100, later Ben sets it pending (an overwrite of Cy's write); Ana sets p100 urgent and tags p200;
/// - Ana and Ben stay in sync; Cy is behind (lacks those last ops) and has one op of its own they lack.
struct FixtureTeam {
    let root: URL
    let ana: FixtureNode
    let ben: FixtureNode
    let cy: FixtureNode
    /// Cy's vector when Ana last heard from it (after the exchange at +16 s).
    let cyHeardVector: VersionVector

    static let p100 = EntityRef(Desk.ticket, "p100")
    static let p200 = EntityRef(Desk.ticket, "p200")

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("roost-inspect-\(UUID().uuidString)")
        ana = try FixtureNode(root: root, folder: "ana", name: "Ana Lopez", initials: "AL", seed: 1, epoch: 0xA1)
        ben = try FixtureNode(root: root, folder: "ben", name: "Ben Okafor", initials: "BO", seed: 2, epoch: 0xB2)
        cy = try FixtureNode(root: root, folder: "cy", name: "Cy Park", initials: "CP", seed: 3, epoch: 0xC3)

        func profile(_ node: FixtureNode, initials: String) -> OpBody {
            .makeInsert(EntityRef("member", node.id.text), [Field("name", .string(node.name)), Field("initials", .string(initials))])
        }
        func ticket(_ key: String, customer: String) -> OpBody {
            .makeInsert(EntityRef(Desk.ticket, key), [
                Field("channel", .string("public")), Field("brand", .string("AcmeCare")), Field("customer", .string(customer)),
            ])
        }
        // Ana: team, profile, two tickets (seq 1-3, 4-6, 7-8).
        try ana.append([
            profile(ana, initials: "AL"),
            .set(entity: EntityRef("team", "info"), field: "name", value: .string("Acme Care")),
            .set(entity: EntityRef("member", ana.id.text), field: "role", value: .string("admin")),
        ], at: 1)
        try ana.append([
            ticket("p100", customer: "u100"),
            .set(entity: Self.p100, field: "queue", value: .string("billing")),
            .set(entity: Self.p100, field: "status", value: .string("open")),
        ], at: 2)
        try ana.append([ticket("p200", customer: "u200"), .set(entity: Self.p200, field: "queue", value: .string("shipping")),
                        ticket("p300", customer: "u300")], at: 3)
        try ben.pull(from: ana, at: 3.5)
        try cy.pull(from: ana, at: 3.5)
        try ben.append([profile(ben, initials: "BO")], at: 4)
        try cy.append([profile(cy, initials: "CP")], at: 4)
        // Concurrent claims: neither observed the other.
        try ben.append([.claim(entity: Self.p100, action: .claim, holder: ben.id, leaseSeconds: 1800, observed: nil)], at: 10)
        try cy.append([.claim(entity: Self.p100, action: .claim, holder: cy.id, leaseSeconds: 1800, observed: nil)], at: 10.5)
        try cy.append([.set(entity: Self.p100, field: "status", value: .string("resolved"))], at: 15)
        for _ in 0..<2 {
            try ana.pull(from: ben, at: 16); try ana.pull(from: cy, at: 16)
            try ben.pull(from: ana, at: 16); try cy.pull(from: ana, at: 16)
        }
        cyHeardVector = try cy.store.versionVector()
        // Ana and Ben go on; Cy does not hear of it.
        try ben.append([.set(entity: Self.p100, field: "status", value: .string("pending")), .tagAdd(entity: Self.p100, tag: "refund")], at: 21)
        try ana.append([.set(entity: Self.p100, field: "priority", value: .string("urgent")), .tagAdd(entity: Self.p200, tag: "vip")], at: 22)
        try ana.pull(from: ben, at: 23)
        try ben.pull(from: ana, at: 23)
        // Cy's own op the others lack.
        try cy.append([.tagAdd(entity: Self.p200, tag: "late")], at: 24)
    }

    func cleanup() { try? FileManager.default.removeItem(at: root) }

    /// `peers.json` as `roost run` writes it (the same keys as ``PeersFile``, whose initializer is internal).
    struct PeersJSON: Encodable {
        struct Peer: Encodable {
            var node: String
            var address: String?
            var connected: Bool
            var lastSeenMillis: UInt64?
            var opsBehind: UInt64
            var opsAhead: UInt64
        }
        var writtenMillis: UInt64
        var peers: [Peer]
    }

    /// Writes Ana's `peers.json` and `heard-vectors.json` as `roost run` would: Ben connected and in sync, Cy last heard before its last op.
    func writeAnaPeersFile() throws {
        let cyVector = cyHeardVector
        let file = PeersJSON(
            writtenMillis: baseMillis + 30_000,
            peers: [
                .init(node: ben.id.text, address: "\(ben.id.text)@127.0.0.1:7171", connected: true,
                      lastSeenMillis: baseMillis + 29_000, opsBehind: 0, opsAhead: 0),
                .init(node: cy.id.text, address: nil, connected: false, lastSeenMillis: baseMillis + 16_000,
                      opsBehind: 0, opsAhead: 0),
            ].sorted { $0.node < $1.node })
        try JSONEncoder().encode(file).write(to: ana.home.appendingPathComponent("peers.json"))
        // What the daemon keeps of the vectors each peer announced (heard-vectors.json), with when.
        let heard = HeardVectorsFile(writtenMillis: baseMillis + 30_000, vectors: [
            HeardVector(node: ben.id.text, vector: VectorEntry.entries(of: try ben.store.versionVector()),
                        heardMillis: baseMillis + 23_000),
            HeardVector(node: cy.id.text, vector: VectorEntry.entries(of: cyVector), heardMillis: baseMillis + 16_000),
        ].sorted { $0.node < $1.node })
        try JSONEncoder().encode(heard).write(to: HeardVectorsFile.url(of: NodeHome(path: ana.home.path)))
    }
}

/// Runs the built `roost-inspect` binary and captures its output.
enum Inspector {
    static var binary: URL { BuiltProduct.url("roost-inspect") }

    typealias Result = ProcessOutput

    static func run(_ arguments: [String]) throws -> Result { try ProcessRunner(product: "roost-inspect").run(arguments) }
}
