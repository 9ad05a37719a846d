import ArgumentParser
import Foundation
import RoostCore
import RoostNode
import RoostStore
import RoostConsole

struct Search: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Find tickets by their messages, notes, customer and tags, best match first.",
        discussion: """
            QUERY: words (all must occur), prefix*, "exact phrase", -left-out, and filters from:@handle, \
            to:@brand, tag:NAME, status:S, queue:NAME, tier:T, assignee:me|none|@initials, before:YYYY-MM-DD, \
            after:YYYY-MM-DD. A filter given twice accepts either value (tag: needs both). Quote the query in \
            the shell, e.g. roost search '"double charged" after:2017-10-01'.
            """)
    @OptionGroup var global: GlobalOptions
    @Argument(help: "The query.") var query: [String]
    @Option(help: "At most this many tickets (1...\(SearchLimits.maxResults)).") var limit = SearchLimits.defaultResults

    func validate() throws {
        guard (1...SearchLimits.maxResults).contains(limit) else { throw ValidationError("--limit must be 1...\(SearchLimits.maxResults)") }
    }

    struct Result: Encodable {
        var ticket: String
        var status: String
        var priority: String
        var brand: String
        var customer: String
        var customerHandle: String?
        var kind: String
        var message: String?
        var createdMs: UInt64
        var snippet: String
        var matches: [String]
    }

    func run() throws {
        let desk = try openDesk(global)
        let text = query.joined(separator: " ")
        let hits = try withDesk { () throws(DeskError) in try desk.search(text, limit: limit) }
        if global.json {
            return Console.printJSON(hits.map {
                Result(ticket: $0.ticket, status: $0.status, priority: $0.priority, brand: $0.brand, customer: $0.customer,
                       customerHandle: $0.customerHandle, kind: $0.kind, message: $0.message, createdMs: $0.createdMillis,
                       snippet: $0.snippet.map(\.text).joined(), matches: $0.snippet.filter(\.match).map(\.text))
            })
        }
        guard !hits.isEmpty else { return print("No tickets match.") }
        let bold = isatty(STDOUT_FILENO) != 0 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
        var table = [["TICKET", "STATUS", "CUSTOMER", "BRAND", "WHEN", "MATCH"]]
        for hit in hits {
            let snippet = hit.snippet.map { run in
                run.match ? (bold ? "\u{1B}[1m" + run.text + "\u{1B}[0m" : "[" + run.text + "]") : run.text
            }.joined()
            table.append([hit.ticket, hit.status, hit.customerHandle.map { "@" + $0 } ?? hit.customer,
                          hit.brand.isEmpty ? "-" : "@" + hit.brand, DeskClock.format(hit.createdMillis),
                          (hit.kind == "inbound" || hit.kind == "ticket" ? "" : hit.kind + ": ") + snippet])
        }
        Console.printTable(table)
    }
}

struct Reindex: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Derive the search index again from the merged state (after a crash or to check it).")
    @OptionGroup var global: GlobalOptions

    struct Result: Codable {
        var documents: Int
        var messages: Int
        var indexBytes: Int
        var textBytes: Int
    }

    func run() async throws {
        let progress = ProgressReporter(phase: "reindex", unit: "tickets", total: nil)
        let (result, viaAPI) = try await throughNode(global, remote: { api in
            try JSONDecoder().decode(Result.self, from: try await api.job("/jobs/reindex", [:], progress: progress))
        }, local: {
            let desk = try openDesk(global)
            let stats = try withDesk { () throws(DeskError) in
                try desk.reindex { done, total in
                    progress.setTotal(total)
                    progress.update(done)
                }
            }
            progress.finish(stats.documents - stats.messages)
            return Result(documents: stats.documents, messages: stats.messages, indexBytes: stats.indexBytes, textBytes: stats.textBytes)
        })
        if global.json { return Console.printJSON(ViaAPI(wrapped: result, viaAPI: viaAPI)) }
        print("Indexed \(result.messages) messages and \(result.documents - result.messages) tickets: "
              + "index \(result.indexBytes / 1024) KiB, text \(result.textBytes / 1024) KiB.")
    }
}
