import ArgumentParser
import Foundation
import RoostNode
import RoostSync
import RoostConsole

/// `events [--follow]`: the daemon's sync events from `events.jsonl`.
struct EventsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Sync events written by `roost run` (connect, disconnect, handshake refused and why, batch applied, fork).")

    @OptionGroup var target: TargetOptions
    @Flag(name: .long, help: "Keep printing new events as the daemon writes them (until interrupted).") var follow = false
    @Option(name: .long, help: "Print only the last N events before following.") var last: Int?

    /// How often `--follow` polls the file (ms).
    static let pollMillis: UInt32 = 200

    func line(_ event: SyncEvent) -> String {
        if target.json { return Console.jsonLine(event) }
        var detail: [String] = []
        if let address = event.address { detail.append("address \(address)") }
        if let ops = event.ops { detail.append("\(ops) op(s)") }
        if let op = event.op { detail.append("op \(op)") }
        if let reason = event.reason { detail.append("reason \(reason)") }
        return [Format.time(event.atMillis), event.kind.rawValue.padding(toLength: 17, withPad: " ", startingAt: 0),
                event.peer.map { String($0.prefix(7)) } ?? "-------", detail.joined(separator: ", ")]
            .joined(separator: "  ").replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression)
    }

    /// Writes a line unbuffered, so `--follow` output reaches a pipe at once.
    func emit(_ text: String) { FileHandle.standardOutput.write(Data((text + "\n").utf8)) }

    static func events(in data: Data) -> [SyncEvent] {
        data.split(separator: 0x0A).compactMap { try? JSONDecoder().decode(SyncEvent.self, from: Data($0)) }
    }

    func run() throws {
        try RoostInspect.guarded {
            let t = try target.open()
            guard let home = t.home else { throw InspectError("events need a node home (events.jsonl), not a database file") }
            let url = EventsFile.url(of: home)
            let rotated = url.appendingPathExtension("1")
            var history = Self.events(in: (try? Data(contentsOf: rotated)) ?? Data())
            let current = (try? Data(contentsOf: url)) ?? Data()
            history += Self.events(in: current)
            if let last { history = Array(history.suffix(max(0, last))) }
            if history.isEmpty && !follow { if !target.json { print("No events yet (events.jsonl is written by `roost run`).") } }
            for event in history { emit(line(event)) }
            guard follow else { return }
            var offset = current.count
            // Stop on SIGINT/SIGTERM even when started with them blocked (a parent's mask is inherited).
            var stopSignals = sigset_t()
            sigemptyset(&stopSignals)
            sigaddset(&stopSignals, SIGINT)
            sigaddset(&stopSignals, SIGTERM)
            sigprocmask(SIG_UNBLOCK, &stopSignals, nil)
                        while true {
                usleep(Self.pollMillis * 1000)
                let data = (try? Data(contentsOf: url)) ?? Data()
                if data.count < offset { offset = 0 }  // rotated: read the new file from its start
                guard data.count > offset else { continue }
                // Only whole lines; a partial last line waits for the next poll.
                let fresh = data[offset...]
                guard let end = fresh.lastIndex(of: 0x0A) else { continue }
                for event in Self.events(in: Data(data[offset...end])) { emit(line(event)) }
                offset = end + 1
            }
        }
    }
}
