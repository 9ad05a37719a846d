import ArgumentParser
import Foundation
import Logging
import RoostConsole
import RoostMirror
import RoostNode

struct Mirror: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Keep a PostgreSQL warehouse current with this node's desk: tickets, message metadata, tags, events, agents.",
        discussion: """
            Each pass is one transaction: the rows of the tickets new ops touched, their events, and the cursor \
            (so a mirror stopped at any point resumes where the last pass ended). Message text stays on the \
            node. Tables and the report's SQL: README "Warehouse mirror" and examples/mirror/report.sql.
            """)
    @OptionGroup var global: GlobalOptions
    @Option(help: "The warehouse, postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require] (default: $ROOST_POSTGRES_URL, which keeps a password out of the process list).")
    var postgres: String?
    @Flag(help: "One pass, then exit.") var once = false
    @Option(help: "Seconds between passes.") var interval: Double = 5

    func run() async throws {
        guard let text = postgres ?? ProcessInfo.processInfo.environment["ROOST_POSTGRES_URL"], !text.isEmpty else {
            throw CLIError("give the warehouse with --postgres URL or $ROOST_POSTGRES_URL")
        }
        guard interval >= 0.1, interval <= 86_400 else { throw CLIError("--interval must be 0.1 to 86400 seconds") }
        let url: MirrorURL
        do { url = try MirrorURL(text) } catch { throw CLIError(error.description) }
        let desk = try openDesk(global)
        var logger = Logger(label: "roost.mirror")
        logger.logLevel = .error
        let json = global.json, once = once, interval = interval
        do {
            try await PostgresMirror.with(url, logger: logger) { mirror throws(MirrorError) in
                try await mirror.prepare()
                if !json { print("mirror: \(url.redacted)") }
                while true {
                    // A full pass (the first, or after a roster change or an erasure) can take minutes on a large
                    // desk: its tickets written so far go to standard error, page by page.
                    let progress = ProgressReporter(phase: "mirror full pass", unit: "tickets", total: nil)
                    let report = try await mirror.pass(desk, now: UInt64(Date().timeIntervalSince1970 * 1000),
                                                       progress: { progress.update($0) })
                    if report.full { progress.finish(report.tickets) }
                    if json { Console.printJSON(report) } else { print(Self.line(report)) }
                    if once { return }
                    do { try await Task.sleep(for: .seconds(interval)) } catch { return }
                }
            }
        } catch {
            throw CLIError(error.description)
        }
    }

    static func line(_ report: MirrorPassReport) -> String {
        let kind = report.full ? "full pass (\(report.reason ?? "everything"))" : "pass"
        return "\(kind) \(report.passes): \(report.opsRead) ops read; \(report.tickets) tickets, \(report.messages) messages, \(report.events) events written"
    }
}
