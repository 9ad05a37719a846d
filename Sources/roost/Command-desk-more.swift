import ArgumentParser
import Foundation
import RoostCore
import RoostNode
import RoostStore
import RoostTwitter
import RoostConsole

struct Customer: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "A customer's profile and tickets; erase or export everything about them.",
        subcommands: [CustomerShow.self, CustomerErase.self, CustomerExportCommand.self], defaultSubcommand: CustomerShow.self)
}

struct CustomerShow: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "show", abstract: "A customer's profile and every ticket with its outcome.")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Handle (with or without @) or user id.") var handle: String
    @Option(help: "Mark (true) or unmark (false) as VIP.") var vip: Bool?
    @Option(help: "Replace the customer's notes.") var notes: String?
    @Option(help: "Link the customer to this id in the team's CRM (config crmURLTemplate makes it a link; \"\" clears it).") var crm: String?

    func run() async throws {
        var wroteViaAPI = false
        if vip != nil || notes != nil || crm != nil, let api = try LocalAPI.attach(global) {
            // A change goes through the running node (its one writer); the profile is then read here.
            var body: [String: Any] = [:]
            if let vip { body["vip"] = vip }
            if let notes { body["notes"] = notes }
            if let crm { body["crm"] = crm }
            _ = try await api.send("POST", customerPath(handle), body)
            wroteViaAPI = true
        }
        let desk = try openDesk(global)
        let writes = wroteViaAPI ? (vip: Bool?.none, notes: String?.none, crm: String?.none) : (vip: vip, notes: notes, crm: crm)
        let profile = try withDesk { () throws(DeskError) in try desk.customer(handle, vip: writes.vip, notes: writes.notes, crm: writes.crm) }
        if global.json { return Console.printJSON(profile) }
        var rows: [(String, String)] = [
            ("Customer", "@\(profile.handle)" + (profile.name.map { " (\($0))" } ?? "")),
            ("User id", profile.id),
            ("Followers", profile.followers.map(String.init) ?? "unknown"),
            ("Verified", profile.verified ? "yes" : "no"),
            ("VIP", profile.vip ? "yes" : "no"),
            ("Notes", profile.notes ?? "none"),
        ]
        if let crm = profile.crm {
            let link: String = profile.crmURL.map { " · " + $0 } ?? ""
            rows.append(("CRM", crm + link))
        }
        Console.printRows(rows)
        print("")
        if profile.tickets.isEmpty { return print("No tickets.") }
        Console.printTable([["TICKET", "CHANNEL", "OPENED", "STATUS", "OUTCOME"]] + profile.tickets.map {
            [$0.key, $0.channel, $0.firstInboundMillis.map(DeskClock.format) ?? "-", $0.status.rawValue, $0.resolution ?? "-"]
        })
    }
}

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Help-desk metrics computed from the ops alone (same ops and --until give the same numbers on every node).")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Tickets first seen at or after this date (YYYY-MM-DD, UTC).") var since: String?
    @Option(help: "Tickets first seen before this date; also the time open tickets' SLA is judged at.") var until: String?
    @Option(help: "Only this queue.") var queue: String?
    @Option(help: "Only this agent's replies and resolutions (name as shown in the report).") var agent: String?
    @Option(help: "table, csv or json.") var format = "table"

    func run() throws {
        guard ["table", "csv", "json"].contains(format) else { throw CLIError("--format must be table, csv or json") }
        let desk = try openDesk(global)
        let scope = DeskReport.Scope(since: try since.map(Self.date), until: try until.map(Self.date), queue: queue, agent: agent)
        let report = try withDesk { () throws(DeskError) in try desk.report(scope) }
        if global.json || format == "json" { return Console.printJSON(report) }
        let rows: [(String, String)] = [
            ("tickets", String(report.tickets)),
            ("first_response_median", Self.minutes(report.firstResponseMedianMinutes)),
            ("first_response_p90", Self.minutes(report.firstResponseP90Minutes)),
            ("response_rate", Self.percent(report.responseRate)),
            ("resolution_rate", Self.percent(report.resolutionRate)),
            ("resolution_time_median", Self.minutes(report.resolutionMedianMinutes)),
            ("resolution_time_p90", Self.minutes(report.resolutionP90Minutes)),
            ("in_channel_resolution", Self.percent(report.inChannelResolutionRate)),
            ("taken_to_dm", Self.percent(report.takenToDMShare)),
            ("sla_breaches", String(report.slaBreaches)),
            ("claim_conflicts", String(report.claimConflicts)),
        ]
        if format == "csv" {
            print("metric,value")
            for (name, value) in rows { print("\(name),\(value)") }
            print("")
            print("agent,replies,resolutions")
            for agent in report.agents { print("\"\(agent.agent.replacingOccurrences(of: "\"", with: "\"\""))\",\(agent.replies),\(agent.resolutions)") }
            return
        }
        Console.printTable([["METRIC", "VALUE"]] + rows.map { [$0.0, $0.1] })
        if let covers = report.covers { print("\nThis partial node's report \(covers).") }
        if !report.agents.isEmpty {
            print("")
            Console.printTable([["AGENT", "REPLIES", "RESOLUTIONS"]] + report.agents.prefix(20).map { [$0.agent, String($0.replies), String($0.resolutions)] })
        }
    }

    static func date(_ text: String) throws -> UInt64 {
        let parts = text.split(separator: "-").compactMap { Int($0) }
        guard parts.count == 3, (1970...9999).contains(parts[0]), (1...12).contains(parts[1]), (1...31).contains(parts[2]) else {
            throw CLIError("\"\(text)\" is not a date (YYYY-MM-DD)")
        }
        var components = DateComponents()
        (components.year, components.month, components.day) = (parts[0], parts[1], parts[2])
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let date = calendar.date(from: components) else { throw CLIError("\"\(text)\" is not a date") }
        return UInt64(date.timeIntervalSince1970 * 1000)
    }

    static func minutes(_ value: Double?) -> String { value.map { String(format: "%.1f min", $0) } ?? "-" }
    static func percent(_ value: Double?) -> String { value.map { String(format: "%.1f%%", $0 * 100) } ?? "-" }
}

struct ImportTWCS: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import-twcs",
        abstract: "Import the public Customer Support on Twitter CSV: threads become tickets, company tweets replies.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "The CSV file.") var file: String
    @Option(help: "Only threads of these brand handles (comma-separated; default: all).") var brandHandles: String?
    @Option(help: "Triage rules file (default: rules.toml in the node home, when present).") var rules: String?
    @Flag(help: "Stop at the first malformed record, importing nothing.") var strict = false

    func run() async throws {
        if let api = try LocalAPI.attach(global) {
            guard FileManager.default.fileExists(atPath: file) else { throw CLIError("\(file): no such file") }
            var body: [String: Any] = ["file": LocalAPI.absolute(file), "strict": strict]
            if let brandHandles { body["brandHandles"] = brandHandles }
            if let rules { body["rules"] = LocalAPI.absolute(rules) }
            let data = try await api.job("/jobs/import-twcs", body, progress: ProgressReporter(phase: "import-twcs", unit: "messages", total: nil))
            return printIngestReport(try JSONDecoder().decode(IngestReport.self, from: data), global: global, viaAPI: true)
        }
        let desk = try openDesk(global)
        let triage = try loadRules(rules, home: desk.node.home)
        let brands = Set((brandHandles ?? "").split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
        let url = URL(fileURLWithPath: file)
        guard FileManager.default.fileExists(atPath: url.path) else { throw CLIError("\(file): no such file") }
        let progress = ProgressReporter(phase: "import-twcs", unit: "messages", total: nil)
        let report = try withDesk { () throws(DeskError) in
            try desk.importTWCS(url: url, brandHandles: brands, rules: triage, strict: strict) { done, total in
                progress.setTotal(total)
                if done < total { progress.update(done) } else { progress.finish(done) }
            }
        }
        printIngestReport(report, global: global)
    }
}

/// Loads the rules file: an explicit path must exist; the home's rules.toml is optional.
func loadRules(_ path: String?, home: NodeHome) throws -> TriageRules {
    let chosen = path ?? home.url.appendingPathComponent("rules.toml").path
    guard path != nil || FileManager.default.fileExists(atPath: chosen) else { return .empty }
    do { return try TriageRules.load(path: chosen) } catch { throw CLIError(error.description) }
}

func printIngestReport(_ report: IngestReport, global: GlobalOptions, viaAPI: Bool = false) {
    for error in report.errors.prefix(50) { FileHandle.standardError.write(Data("malformed: \(error)\n".utf8)) }
    if report.errors.count > 50 { FileHandle.standardError.write(Data("... and \(report.errors.count - 50) more\n".utf8)) }
    if global.json { return Console.printJSON(ViaAPI(wrapped: report, viaAPI: viaAPI)) }
    print("Read \(report.read) records: \(report.messages) new messages in \(report.tickets) new tickets, "
          + "\(report.duplicates) already stored, \(report.filtered) filtered out, "
          + (report.skipped > 0 ? "\(report.skipped) skipped (not messages), " : "") + "\(report.errors.count) malformed"
          + (report.crises > 0 ? ", \(report.crises) crisis flag(s)" : "") + ".")
}

struct SLA: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sla", abstract: "Show or set first-response targets per priority (replicated to the team).")
    @OptionGroup var global: GlobalOptions
    @Argument(help: "Priority to set (urgent, high, normal, low).") var priority: String?
    @Argument(help: "Target in minutes.") var minutes: Int?

    func run() async throws {
        if let priority {
            guard let value = Priority(rawValue: priority), let minutes else {
                throw CLIError("usage: roost sla PRIORITY MINUTES (priority: urgent, high, normal, low)")
            }
            _ = try await throughNode(global) { api in
                _ = try await api.send("POST", "/sla", ["priority": value.rawValue, "minutes": minutes])
            } local: {
                let desk = try openDesk(global)
                try withDesk { () throws(DeskError) in try desk.setSLA(value, minutes: minutes) }
            }
        }
        let desk = try openDesk(global)
        let targets = try withDesk { () throws(DeskError) in try desk.slaTargets() }
        if global.json { return Console.printJSON(Dictionary(uniqueKeysWithValues: Priority.allCases.map { ($0.rawValue, targets.target($0)) })) }
        Console.printTable([["PRIORITY", "FIRST RESPONSE"]] + Priority.allCases.map { [$0.rawValue, "\(targets.target($0)) min"] })
    }
}

struct Ingest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Ingest X API v2 responses (JSON lines: mentions, searches, DM events) as tickets and messages.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "The JSONL file, one API response per line.") var file: String
    @Option(help: "The brand's handles (comma-separated): their tweets are outbound replies.") var brandHandles: String
    @Option(help: "The brand accounts' user ids (comma-separated), for DMs.") var brandIds: String?
    @Option(help: "Triage rules file (default: rules.toml in the node home, when present).") var rules: String?
    @Flag(help: "Stop at the first malformed line, ingesting nothing.") var strict = false

    func run() async throws {
        if let api = try LocalAPI.attach(global) {
            var body: [String: Any] = ["file": LocalAPI.absolute(file), "brandHandles": brandHandles, "strict": strict]
            if let brandIds { body["brandIds"] = brandIds }
            if let rules { body["rules"] = LocalAPI.absolute(rules) }
            let data = try await api.job("/jobs/ingest", body, progress: ProgressReporter(phase: "ingest", unit: "messages", total: nil))
            return printIngestReport(try JSONDecoder().decode(IngestReport.self, from: data), global: global, viaAPI: true)
        }
        let desk = try openDesk(global)
        let triage = try loadRules(rules, home: desk.node.home)
        guard let data = FileManager.default.contents(atPath: file) else { throw CLIError("\(file): cannot read the file") }
        let parsed = XPayload.parse(jsonl: data)
        if strict, let first = parsed.errors.first { throw CLIError("\(file):\(first) (--strict: nothing ingested)") }
        var report = IngestReport()
        report.errors = parsed.errors.map { "\(file):\($0)" }
        report.skipped = parsed.skippedEvents
        let split = { (text: String?) in Set((text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }) }
        let progress = ProgressReporter(phase: "ingest", unit: "messages", total: nil)
        try withDesk { () throws(DeskError) in
            try desk.ingestX(parsed.items, brandHandles: split(brandHandles), brandIDs: split(brandIds), rules: triage,
                             report: &report) { done, total in
                progress.setTotal(total)
                if done < total { progress.update(done) } else { progress.finish(done) }
            }
        }
        report.read += parsed.errors.count + parsed.skippedEvents
        printIngestReport(report, global: global)
    }
}

struct Agent: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Your settings as an agent, replicated to the team.", subcommands: [Languages.self, Status.self, Capacity.self, Skills.self, Queues.self])

    struct Capacity: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set the most open tickets routing pushes to you at once (default 10).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "1 to 1000.") var tickets: Int

        func run() async throws {
            let (_, viaAPI) = try await throughNode(global) { api in
                _ = try await api.send("POST", "/me/routing", ["capacity": tickets])
            } local: {
                let desk = try openDesk(global)
                try withDesk { () throws(DeskError) in try desk.setMyCapacity(tickets) }
            }
            confirm(global, "Your capacity: \(tickets) open tickets.", ["capacity": "\(tickets)"], viaAPI: viaAPI)
        }
    }

    struct Skills: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set your skills: routing pushes you tickets tagged skill:<name> only when you have it.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Skills, comma-separated (empty string: none).") var skills: String

        func run() async throws {
            let list = skills.split(separator: ",").map(String.init)
            let (_, viaAPI) = try await throughNode(global) { api in
                _ = try await api.send("POST", "/me/routing", ["skills": list])
            } local: {
                let desk = try openDesk(global)
                try withDesk { () throws(DeskError) in try desk.setMyList("skills", list) }
            }
            confirm(global, "Your skills: " + (list.isEmpty ? "none" : list.joined(separator: ", ")) + ".", ["skills": list.joined(separator: ",")], viaAPI: viaAPI)
        }
    }

    struct Queues: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set the queues routing pushes you work from (empty string: every queue).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Queues, comma-separated (default is the queue of tickets without one).") var queues: String

        func run() async throws {
            let list = queues.split(separator: ",").map(String.init)
            let (_, viaAPI) = try await throughNode(global) { api in
                _ = try await api.send("POST", "/me/routing", ["queues": list])
            } local: {
                let desk = try openDesk(global)
                try withDesk { () throws(DeskError) in try desk.setMyList("queues", list) }
            }
            confirm(global, "Your queues: " + (list.isEmpty ? "every queue" : list.joined(separator: ", ")) + ".", ["queues": list.joined(separator: ",")], viaAPI: viaAPI)
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show the team's availability, or set yours: online, away or offline (replicated; routing counts it).",
            discussion: """
                A member whose node wrote nothing for 15 minutes counts as offline whatever they set (a running node \
                writes a heartbeat every 5 minutes while its member is not offline).
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "online, away or offline.") var status: String?

        func run() async throws {
            if let status {
                let value = try withDesk { () throws(DeskError) in try DeskService.availability(status) }
                let (_, viaAPI) = try await throughNode(global) { api in
                    _ = try await api.send("POST", "/me/status", ["status": value.rawValue])
                } local: {
                    let desk = try openDesk(global)
                    try withDesk { () throws(DeskError) in try desk.setMyAvailability(value) }
                }
                return confirm(global, "You are \(value.rawValue).", ["status": value.rawValue], viaAPI: viaAPI)
            }
            let desk = try openDesk(global)
            let team = try withDesk { () throws(DeskError) in try desk.teamAvailability() }
            if global.json { return Console.printJSON(team) }
            let width = team.map(\.name.count).max() ?? 0
            for line in team {
                var note: [String] = []
                if line.isMe { note.append("you") }
                if line.effective != (line.set ?? .online) {
                    note.append("set \(line.set?.rawValue ?? "nothing"); no op for over \(AvailabilityRules.silentAfterMillis / 60_000) min")
                }
                print("  " + line.name.padding(toLength: width, withPad: " ", startingAt: 0) + "  "
                      + line.effective.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)
                      + (note.isEmpty ? "" : "  (" + note.joined(separator: "; ") + ")"))
            }
        }
    }

    struct Languages: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show or set the languages you answer in (the inbox's --my-languages; routing by language).")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "Language codes, comma-separated, e.g. en,es.") var codes: String?

        func run() async throws {
            guard let codes else {
                let desk = try openDesk(global)
                let mine = try withDesk { () throws(DeskError) in try desk.myLanguages() }
                if global.json { return Console.printJSON(["languages": mine]) }
                return print(mine.isEmpty ? "No languages set; set them with `roost agent languages en,es`." : "You answer in: " + mine.joined(separator: ", "))
            }
            let list = codes.split(separator: ",").map(String.init)
            let (stored, viaAPI) = try await throughNode(global) { api in
                try await api.send("POST", "/me/languages", ["languages": list])["languages"] as? [String] ?? []
            } local: {
                let desk = try openDesk(global)
                return try withDesk { () throws(DeskError) in try desk.setMyLanguages(list) }
            }
            confirm(global, "You answer in: " + stored.joined(separator: ", "), ["languages": stored.joined(separator: ",")], viaAPI: viaAPI)
        }
    }
}

struct Alerts: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Listening alerts (rules.toml [[alert]]) for the last complete window: volume and negative share against their baseline.")
    @OptionGroup var global: GlobalOptions
    @Option(help: "Alerts file (default: rules.toml in the node home).") var rules: String?
    @Option(help: "Evaluate at this time instead of now (YYYY-MM-DDTHH:MM, UTC, or YYYY-MM-DD for midnight): the window before it.")
    var at: String?
    @Flag(help: "Only alerts that fire.") var firing = false

    func run() throws {
        let desk = try openDesk(global)
        let file = try loadRules(rules, home: desk.node.home)
        var now = SystemClock().nowMillis()
        if let at {
            let parts = at.split(separator: "T", maxSplits: 1)
            now = try Report.date(String(parts[0]))
            if parts.count == 2 {
                let clock = parts[1].split(separator: ":").compactMap { UInt64($0) }
                guard clock.count == 2, clock[0] < 24, clock[1] < 60 else { throw CLIError("--at: \"\(at)\" is not YYYY-MM-DDTHH:MM") }
                now += (clock[0] * 60 + clock[1]) * 60_000
            }
        }
        let statuses = try withDesk { () throws(DeskError) in try desk.alerts(file.alerts, at: now) }.filter { !firing || $0.firing }
        if global.json { return Console.printJSON(statuses) }
        if file.alerts.isEmpty { return print("No alerts: add [[alert]] sections to rules.toml (see examples/rules.toml).") }
        if statuses.isEmpty { return print("No alert fires.") }
        var table = [["ALERT", "KIND", "WINDOW", "COUNT", "BASELINE", "FIRING"]]
        for s in statuses {
            let count = s.sharePercent.map { String(format: "%d of %d (%.0f%%)", s.count, s.total ?? 0, $0) } ?? String(s.count)
            let baseline = s.sharePercent == nil ? String(format: "%.1f", s.baseline) : String(format: "%.0f%%", s.baseline)
            table.append([s.name, s.kind, DeskClock.format(s.windowStartMillis) + " to " + DeskClock.format(s.windowEndMillis).suffix(9),
                          count, baseline, s.firing ? "FIRING" : "no"])
        }
        Console.printTable(table)
    }
}
