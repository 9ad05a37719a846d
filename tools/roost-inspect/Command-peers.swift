import ArgumentParser
import Foundation
import RoostCore
import RoostNode
import RoostStore
import RoostSync

/// What the inspector knows of a node's peers: `peers.json` written by `roost run`, and the config.
struct PeerKnowledge {
    /// The file, when the daemon wrote one.
    var file: PeersFile?
    /// Our current vector.
    var ours: VersionVector
    /// Each peer's last heard vector.
    var heard: [AuthorID: VersionVector]

    init(_ t: InspectTarget) throws {
        file = t.home.flatMap { PeersFile.load($0) }
        ours = try t.read { try $0.versionVector() }
        var heard: [AuthorID: VersionVector] = [:]
        for record in file?.vectors ?? [] {
            if let id = try? AuthorID(text: record.node) { heard[id] = VectorEntry.vector(of: record.vector) }
        }
        self.heard = heard
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

    func run() throws {
        try RoostInspect.guarded {
            let t = try target.open()
            let knowledge = try PeerKnowledge(t)
            let ourTotal = PeerKnowledge.total(knowledge.ours)
            var rows: [Row] = []
            for peer in knowledge.file?.peers ?? [] {
                let id = try? AuthorID(text: peer.node)
                let vector = id.flatMap { knowledge.heard[$0] }
                let theyLack = vector.map { $0.missing(from: knowledge.ours) } ?? peer.opsBehind
                let weLack = vector.map { knowledge.ours.missing(from: $0) } ?? peer.opsAhead
                let completion = ourTotal == 0 ? 100 : (Double(ourTotal - min(theyLack, ourTotal)) / Double(ourTotal) * 1000).rounded() / 10
                rows.append(Row(node: peer.node, name: id.flatMap { try? t.store.memberName($0) }, address: peer.address,
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
            if target.json { return Format.printJSON(result) }
            if let written = result.statusWritten {
                print("As written by `roost run` at \(written) (peers.json; the file is removed when the daemon stops).")
            } else {
                print("No peers.json: `roost run` is not running in this home (or this is a database file).")
            }
            if !rows.isEmpty {
                print("")
                Format.printTable(["PEER", "NAME", "ADDRESS", "STATE", "LAST SEEN", "RTT", "THEY LACK", "WE LACK", "COMPLETION"],
                                  rows.map {
                    [String($0.node.prefix(7)), $0.name ?? "-", $0.address.map { $0.split(separator: "@").last.map(String.init) ?? $0 } ?? "(inbound)", $0.connected ? "connected" : "disconnected",
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
                    NodeRow(node: id.text, name: try? t.store.memberName(id), vector: vectors[id].map(VectorEntry.entries))
                },
                frontier: VectorEntry.entries(of: frontier), stableOps: PeerKnowledge.total(frontier),
                totalOps: PeerKnowledge.total(knowledge.ours))
            if target.json { return Format.printJSON(result) }
            print(knowledge.file.map { "Vectors as this node last heard them (peers.json written \(Format.time($0.writtenMillis)))." }
                  ?? "No peers.json: only this node's own vector is known (run `roost run`).")
            print("")
            let rows: [[String]] = ordered.map { id in
                let label = id.short + (id == t.local?.author ? " (self)" : "")
                guard let vector = vectors[id] else { return [label] + logs.map { _ in "?" } }
                return [label] + logs.map { "\(vector[$0])" }
            }
            Format.printTable(["NODE"] + logs.map(Format.log), rows + [["frontier"] + logs.map { "\(frontier[$0])" }])
            print("")
            print("? = never heard from (counts as 0 for the frontier).")
            print("Causal-stability frontier: \(result.stableOps) of \(result.totalOps) ops this node holds are known to be held by every member.")
        }
    }
}
