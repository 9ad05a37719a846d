import ArgumentParser
import Foundation
import RoostCore
import RoostNode
import RoostStore
import RoostConsole

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show this node's identity, logs and state hash.")

    @OptionGroup var global: GlobalOptions

    struct LogRow: Encodable {
        var author: String
        var epoch: String
        var seq: UInt64
        var sealed: UInt64
        var local: Bool
    }

    struct Result: Encodable {
        var home: String
        var name: String
        var initials: String
        var nodeId: String
        var epoch: String
        var seq: UInt64
        var ops: Int
        var logs: [LogRow]
        var forks: Int
        var lastHLC: String
        var stateHash: String
        var databaseBytes: Int64
    }

    func run() throws {
        let home = NodeHome.resolve(option: global.home)
        let result: Result = try withNodeErrors {
            let node = try home.open()
            do {
                let logs = try node.store.logs()
                let size = (try? FileManager.default.attributesOfItem(atPath: home.databasePath)[.size] as? Int64) ?? 0
                let walSize = (try? FileManager.default.attributesOfItem(atPath: home.databasePath + "-wal")[.size] as? Int64) ?? 0
                return Result(
                    home: home.url.path, name: node.config.name, initials: node.config.initials, nodeId: node.id.text,
                    epoch: String(node.author.epoch, radix: 16),
                    seq: logs.first { $0.log == node.author.log }?.seq ?? 0,
                    ops: try node.store.opCount(),
                    logs: logs.map {
                        LogRow(author: $0.log.author.text, epoch: String($0.log.epoch, radix: 16), seq: $0.seq,
                               sealed: $0.sealed, local: $0.log == node.author.log)
                    },
                    forks: try node.store.forks().count, lastHLC: try node.store.lastHLC().utcText,
                    stateHash: try node.store.stateHash().hex, databaseBytes: size + walSize)
            } catch let error as StoreError {
                throw NodeError.store(error)
            }
        }
        if global.json { return Console.printJSON(result) }
        Console.printRows([
            ("Node", "\(result.name) (\(result.initials))"),
            ("Node id", result.nodeId),
            ("Home", result.home),
            ("Own log", "epoch \(result.epoch), seq \(result.seq)"),
            ("Ops stored", "\(result.ops) in \(result.logs.count) log(s)"),
            ("Fork evidence", result.forks == 0 ? "none" : "\(result.forks) (run `roost verify`)"),
            ("Last HLC", result.lastHLC),
            ("State hash", result.stateHash),
            ("Database", "\(result.databaseBytes) bytes"),
        ])
        if !result.logs.isEmpty {
            print("")
            print("AUTHOR   EPOCH             SEQ     SEALED")
            for log in result.logs {
                let author = String(log.author.prefix(7)) + (log.local ? "*" : " ")
                print(author.padding(toLength: 9, withPad: " ", startingAt: 0)
                      + log.epoch.padding(toLength: 18, withPad: " ", startingAt: 0)
                      + String(log.seq).padding(toLength: 8, withPad: " ", startingAt: 0) + String(log.sealed))
            }
        }
    }
}
