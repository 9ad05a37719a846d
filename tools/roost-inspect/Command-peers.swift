import ArgumentParser
import Foundation
import RoostCore
import RoostNode
import RoostSync
import RoostConsole

/// What the inspector knows of a node's peers: `peers.json` written by `roost run`, and the config.
struct PeerKnowledge {
    /// `peers.json`, while the daemon runs.
    var file: PeersFile?
    /// `heard-vectors.json`, kept after the daemon stops.
    var heardFile: HeardVectorsFile?
    /// Our current vector.
    var ours: VersionVector
    /// Each peer's last heard vector.
    var heard: [AuthorID: VersionVector]
    /// When each peer's vector was last heard (Unix ms).
    var heardAt: [AuthorID: UInt64]

    init(_ t: InspectTarget) throws {
        file = t.home.flatMap { PeersFile.load($0) }
        heardFile = t.home.flatMap { HeardVectorsFile.load($0) }
        ours = try t.read { try $0.versionVector() }
        var heard: [AuthorID: VersionVector] = [:]
        var heardAt: [AuthorID: UInt64] = [:]
        for record in heardFile?.vectors ?? [] {
            guard let id = try? AuthorID(text: record.node) else { continue }
            heard[id] = VectorEntry.vector(of: record.vector)
            heardAt[id] = record.heardMillis
        }
        self.heard = heard
        self.heardAt = heardAt
    }

    /// Total ops in a vector.
    static func total(_ vector: VersionVector) -> UInt64 { vector.entries.values.reduce(0, +) }
}

/// `peers`: each peer's connection state and how far apart we are.
struct PeersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "peers",
                                                    abstract: "Each peer: address, connected, last seen, ops it lacks and we lack, completion.")

    @OptionGroup var target: TargetOptions

    struct Row: Encodable {
        var node: String
        var name: String?
        var address: String?
        var connected: Bool
        var lastSeen: String?
        var roundTrip: String
        /// Ops the peer lacks from us, by its last heard vector.
        var theyLack: UInt64
        /// Ops we lack from it.
        var weLack: UInt64
        /// Share of our ops the peer holds, in percent (100 when we hold none).
        var completion: Double
        var vectorKnown: Bool
    }

    struct Result: Encodable {
        var statusFile: String?
        var statusWritten: String?
        var peers: [Row]
        var configuredNotSeen: [String]
    }

    /// A peer known only from `heard-vectors.json` (decoded from JSON: ``PeerStatus``'s initializer is internal).
    static func status(_ id: AuthorID, heardAt: UInt64?) throws -> PeerStatus {
        var object: [String: Any] = ["node": id.text, "connected": false, "opsBehind": 0, "opsAhead": 0]
        if let heardAt { object["lastSeenMillis"] = heardAt }
        return try JSONDecoder().decode(PeerStatus.self, from: JSONSerialization.data(withJSONObject: object))
    }

    func run() throws {
        try RoostInspect.guarded {
            let t = try target.open()
            let knowledge = try PeerKnowledge(t)
            let ourTotal = PeerKnowledge.total(knowledge.ours)
            var rows: [Row] = []
            var statuses = knowledge.file?.peers ?? []
            if knowledge.file == nil {
                // The daemon is not running: every peer ever heard, with what it last announced.
                for id in knowledge.heard.keys.sorted(by: { $0.text < $1.text }) {
                    statuses.append(try Self.status(id, heardAt: knowledge.heardAt[id]))
                }
            }
            for peer in statuses {
                let id = try? AuthorID(text: peer.node)
                let vector = id.flatMap { knowledge.heard[$0] }
                let theyLack = vector.map { $0.missing(from: knowledge.ours) } ?? peer.opsBehind
                let weLack = vector.map { knowledge.ours.missing(from: $0) } ?? peer.opsAhead
                let completion = ourTotal == 0 ? 100 : (Double(ourTotal - min(theyLack, ourTotal)) / Double(ourTotal) * 1000).rounded() / 10
                rows.append(Row(node: peer.node, name: id.flatMap { try? t.inspection.memberName($0) }, address: peer.address,
                                connected: peer.connected, lastSeen: peer.lastSeenMillis.map(Format.time),
                                roundTrip: "not measured", theyLack: theyLack, weLack: weLack, completion: completion,
                                vectorKnown: vector != nil))
            }
            let seen = Set(rows.map(\.node))
            let configured = (t.config?.peers ?? []).filter { entry in
                guard let at = entry.firstIndex(of: "@") else { return true }
                return !seen.contains(String(entry[..<at]))
            }
            let result = Result(statusFile: knowledge.file == nil ? nil : "peers.json",
                                statusWritten: knowledge.file.map { Format.time($0.writtenMillis) }, peers: rows,
                                configuredNotSeen: configured)
            if target.json { return Console.printJSON(result) }
            if let written = result.statusWritten {
                print("As written by `roost run` at \(written) (peers.json; the file is removed when the daemon stops).")
            } else if rows.isEmpty {
                print("No peers.json: `roost run` is not running in this home (or this is a database file).")
            } else {
                print("No peers.json: `roost run` is not running; peers as last heard (heard-vectors.json).")
            }
            let running = knowledge.file != nil
            if !rows.isEmpty {
                print("")
                Console.printTable(["PEER", "NAME", "ADDRESS", "STATE", "LAST SEEN", "RTT", "THEY LACK", "WE LACK", "COMPLETION"],
                                  rows.map {
                    [String($0.node.prefix(7)), $0.name ?? "-",
                     running ? $0.address.map { $0.split(separator: "@").last.map(String.init) ?? $0 } ?? "(inbound)" : "-",
                     running ? ($0.connected ? "connected" : "disconnected") : "daemon stopped",
                     $0.lastSeen ?? "-", "-", "\($0.theyLack)", "\($0.weLack)",
                     String(format: "%.1f%%", $0.completion) + ($0.vectorKnown ? "" : " (counts from the daemon)")]
                })
            }
            for entry in configured { print("Configured, never connected: \(entry)") }
            print("Round-trip times are not measured yet.")
        }
    }
}

/// `vectors`: the version-vector matrix as this node last heard it, and the causal-stability frontier.
struct VectorsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "vectors",
                                                    abstract: "Version vectors of every member as last heard, and the causal-stability frontier.")

    @OptionGroup var target: TargetOptions

    struct NodeRow: Encodable {
        var node: String
        var name: String?
        /// nil when never heard from.
        var vector: [VectorEntry]?
    }

    struct Result: Encodable {
        var logs: [String]
        var nodes: [NodeRow]
        var frontier: [VectorEntry]
        var stableOps: UInt64
        var totalOps: UInt64
    }

    func run() throws {
        try RoostInspect.guarded {
            let t = try target.open()
            let knowledge = try PeerKnowledge(t)
            // Members: this node, every peer heard, and every member the store knows of (profile or role).
            var members = Set(knowledge.heard.keys)
            if let local = t.local?.author { members.insert(local) }
            for author in try t.read({ try $0.knownMembers() }) { members.insert(author) }
            let ordered = members.sorted { a, b in
                if a == t.local?.author { return true }
                if b == t.local?.author { return false }
                return a < b
            }
            var vectors: [AuthorID: VersionVector] = knowledge.heard
            if let local = t.local?.author { vectors[local] = knowledge.ours }
            let logs = Set(vectors.values.flatMap(\.entries.keys)).union(knowledge.ours.entries.keys).sorted()
            var frontier = VersionVector()
            for log in logs {
                let seqs = ordered.map { vectors[$0]?[log] ?? 0 }
                if let low = seqs.min(), low > 0 { frontier[log] = low }
            }
            let result = Result(
                logs: logs.map(Format.log),
                nodes: ordered.map { id in
                    NodeRow(node: id.text, name: try? t.inspection.memberName(id), vector: vectors[id].map(VectorEntry.entries))
                },
                frontier: VectorEntry.entries(of: frontier), stableOps: PeerKnowledge.total(frontier),
                totalOps: PeerKnowledge.total(knowledge.ours))
            if target.json { return Console.printJSON(result) }
            print(knowledge.heardFile.map { "Vectors as this node last heard them (heard-vectors.json written \(Format.time($0.writtenMillis)))." }
                  ?? "No heard-vectors.json: only this node's own vector is known (`roost run` writes it).")
            print("")
            let rows: [[String]] = ordered.map { id in
                let label = id.short + (id == t.local?.author ? " (self)" : "")
                guard let vector = vectors[id] else { return [label] + logs.map { _ in "?" } + ["never"] }
                let heard = id == t.local?.author ? "now" : knowledge.heardAt[id].map(Format.time) ?? "-"
                return [label] + logs.map { "\(vector[$0])" } + [heard]
            }
            Console.printTable(["NODE"] + logs.map(Format.log) + ["HEARD"],
                              rows + [["frontier"] + logs.map { "\(frontier[$0])" } + [""]])
            print("")
            print("? = never heard from (counts as 0 for the frontier).")
            print("Causal-stability frontier: \(result.stableOps) of \(result.totalOps) ops this node holds are known to be held by every member.")
        }
    }
}
