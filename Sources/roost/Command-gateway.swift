import ArgumentParser
import Foundation
import RoostCore
import RoostNode
import RoostStore
import RoostTwitter
import RoostConsole

struct GatewayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gateway",
        abstract: "The X gateway: which member pulls a brand handle's mentions and DMs and posts its replies.",
        subcommands: [Assign.self, Standby.self, Configure.self, Status.self])

    struct Assign: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a member the gateway of a brand handle (connecting the handle the first time).",
            discussion: "Writes register `gateway` of `handle/<x user id>`. The member's `roost run` starts polling and posting for the handle; the previous gateway stops, and the new one resumes from the synced cursors. The first time, the handle's X user id is looked up through this node's gateway settings (`roost gateway configure`) unless --x-user-id gives it.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: ArgumentHelp("The brand's X username (@ optional); or use --handle.", valueName: "handle")) var positionalHandle: String?
        @Option(help: "The brand's X username (@ optional).") var handle: String?
        @Option(help: "The member: node id, id prefix or name.") var member: String
        @Option(name: .customLong("x-user-id"), help: "The handle's numeric X user id (looked up on X when not given).") var xUserID: String?

        func validate() throws {
            guard (positionalHandle == nil) != (handle == nil) else { throw ValidationError("give the handle once: `assign @name` or `--handle @name`") }
        }

        func run() async throws {
            let handle = positionalHandle ?? self.handle ?? ""
            let desk = try openDesk(global)
            var xUserID = self.xUserID
            let known = try withDesk { () throws(DeskError) in try desk.gatewayHandles() }
                .contains { $0.username.lowercased() == (XHandle.normalize(handle) ?? handle).lowercased() }
            if xUserID == nil, !known, XHandle.normalize(handle) != nil {
                // A new handle: ask X for its id when this node has the gateway token; without one, say what to give.
                let settings = try withNodeErrors { try GatewaySettings.load(desk.node.home) }
                if (try? XCredentials.bearerToken(file: settings.tokenFile, environment: ProcessInfo.processInfo.environment)) != nil {
                    guard let user = try await resolveHandle(handle, home: desk.node.home) else {
                        throw CLIError("X has no user @\(XHandle.normalize(handle) ?? handle)")
                    }
                    xUserID = user.id
                }
            }
            let ((username, userID, gateway), viaAPI) = try await throughNode(global) { api in
                var body: [String: Any] = ["handle": handle, "member": member]
                if let xUserID { body["xUserId"] = xUserID }
                let answer = try await api.send("POST", "/gateway/handles", body)
                return (answer["handle"] as? String ?? handle, answer["xUserId"] as? String ?? "", answer["gateway"] as? String ?? "")
            } local: {
                let result = try withDesk { () throws(DeskError) in try desk.assignGateway(username: handle, xUserID: xUserID, member: member) }
                return (result.username, result.userID, result.gateway ?? "")
            }
            let name = try withDesk { () throws(DeskError) in try desk.memberName(try desk.resolveMember(member)) }
            confirm(global, "@\(username) (X user \(userID)): gateway is now \(name)",
                    ["handle": username, "x_user_id": userID, "gateway": gateway], viaAPI: viaAPI)
        }
    }

    struct Standby: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Name standby gateways for a handle (admins): if the serving gateway stops, the next takes over.",
            discussion: """
                With standbys, the gateway that serves holds the handle's gateway lease (a claim renewed every 20 s of \
                a 60-s lease by `roost run`); when it stops renewing, the first standby takes the lease over once it has \
                expired, the next half a lease later. A new holder looks on X for every reply still open before posting \
                it, so a reply is neither lost nor posted twice. `--member` again for each standby, in order; none turns \
                failover off.
                """)
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The brand's X username (@ optional).") var handle: String
        @Option(name: .customLong("member"), help: "A standby: node id, id prefix or name (repeat, in order).") var members: [String] = []
        @Option(help: "Lease length in seconds (15-600; default 60).") var lease: Int?

        func run() async throws {
            var body: [String: Any] = ["handle": handle, "members": members]
            if let lease { body["leaseSeconds"] = lease }
            let viaAPI = try await throughNode(global) { api in
                _ = try await api.send("POST", "/gateway/standby", body)
            } local: {
                let desk = try openDesk(global)
                _ = try withDesk { () throws(DeskError) in try desk.setGatewayStandby(username: handle, members: members, leaseSeconds: lease) }
            }.1
            confirm(global, members.isEmpty ? "@\(handle): no standby gateway (failover off)." : "@\(handle): standby gateways \(members.joined(separator: ", ")).",
                    ["handle": handle, "standby": members.joined(separator: ",")], viaAPI: viaAPI)
        }
    }

    struct Configure: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Set this node's X API base URL, token file and poll interval (local; never synced).",
            discussion: "The token is an OAuth 2.0 user-context access token of the brand account, in a file of mode 0600 (or in $ROOST_X_BEARER_TOKEN when no file is set). $ROOST_X_API_BASE overrides the base URL.")
        @OptionGroup var global: GlobalOptions
        @Option(help: "The X API base URL.") var baseURL: String?
        @Option(help: "File holding the bearer token (mode 0600).") var tokenFile: String?
        @Option(help: "Seconds between polls.") var pollSeconds: Int?
        @Option(help: "Seconds between outbox drains.") var drainSeconds: Int?

        func run() throws {
            let home = NodeHome.resolve(option: global.home)
            _ = try withNodeErrors { try home.open() }
            var settings = try withNodeErrors { try GatewaySettings.load(home, environment: [:]) }
            if let baseURL { settings.baseURL = baseURL }
            if let tokenFile {
                let absolute = URL(fileURLWithPath: tokenFile).standardizedFileURL.path
                _ = try XCredentialsCheck.check(absolute)
                settings.tokenFile = absolute
            }
            if let pollSeconds {
                guard (1...3600).contains(pollSeconds) else { throw CLIError("--poll-seconds must be 1...3600") }
                settings.limits.pollSeconds = pollSeconds
            }
            if let drainSeconds {
                guard (1...3600).contains(drainSeconds) else { throw CLIError("--drain-seconds must be 1...3600") }
                settings.limits.drainSeconds = drainSeconds
            }
            try withNodeErrors { try settings.save(home) }
            confirm(global, "X gateway: \(settings.baseURL), token " + (settings.tokenFile ?? "from $ROOST_X_BEARER_TOKEN")
                    + ", poll every \(settings.limits.pollSeconds) s",
                    ["base_url": settings.baseURL, "token_file": settings.tokenFile ?? "", "poll_seconds": String(settings.limits.pollSeconds)])
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Handles, their gateways and cursors, last poll, rate-limit state, and outbox depth.")
        @OptionGroup var global: GlobalOptions

        struct Report: Encodable {
            var handles: [GatewayHandle]
            var gatewayNames: [String: String]
            var outbox: [String: Int]
            var running: GatewayStatusFile?
            /// Handles with standby gateways: their lease, by username.
            var leases: [String: GatewayLeaseView]
        }

        func run() throws {
            let home = NodeHome.resolve(option: global.home)
            let desk = DeskService(node: try withNodeErrors { try home.open() })
            let handles = try withDesk { () throws(DeskError) in try desk.gatewayHandles() }
            var names: [String: String] = [:]
            for handle in handles {
                if let text = handle.gateway, let id = try? AuthorID(text: text) {
                    names[text] = try withDesk { () throws(DeskError) in try desk.memberName(id) }
                }
            }
            var depth: [String: Int] = [:]
            for row in try withDesk({ () throws(DeskError) in try desk.outboxPending() }) {
                depth[row.brand.lowercased() + "/" + row.state.rawValue, default: 0] += 1
            }
            let now = SystemClock().nowMillis()
            let file = GatewayStatusFile.load(home).flatMap { $0.writtenMillis + 60_000 > now ? $0 : nil }
            var leases: [String: GatewayLeaseView] = [:]
            for handle in handles where (try? desk.failoverEnabled(handle)) == true {
                leases[handle.username] = try withDesk { () throws(DeskError) in try desk.gatewayLease(handle) }
            }
            if global.json { return Console.printJSON(Report(handles: handles, gatewayNames: names, outbox: depth, running: file, leases: leases)) }
            if handles.isEmpty { return print("No handles connected (see `roost gateway assign`).") }
            for handle in handles {
                let mine = handle.gateway == desk.node.id.text
                print("@\(handle.username) (X user \(handle.userID))")
                var rows: [(String, String)] = [
                    ("gateway", handle.gateway.map { (names[$0] ?? String($0.prefix(7))) + (mine ? " (this node)" : "") } ?? "none"),
                    ("mentions cursor", handle.mentionsCursor ?? "none (first poll reads all recent mentions)"),
                    ("dms cursor", handle.dmsCursor ?? "none"),
                ]
                if (try? desk.failoverEnabled(handle)) == true, let lease = try? desk.gatewayLease(handle) {
                    let name = { (text: String) in (try? AuthorID(text: text)).flatMap { try? desk.memberName($0) } ?? String(text.prefix(7)) }
                    rows.append(("candidates", lease.candidates.map(name).joined(separator: ", ") + " (primary first)"))
                    let ends = lease.leaseEndsMillis > now ? "ends in \((lease.leaseEndsMillis - now) / 1_000) s" : "expired"
                    rows.append(("lease", lease.holder.map { name($0) + ", epoch \(lease.epoch), " + ends } ?? "free"))
                }
                let states = ["queued", "posting", "held", "failed"].map { "\(depth[handle.username.lowercased() + "/" + $0] ?? 0) \($0)" }
                rows.append(("outbox", states.joined(separator: ", ")))
                if mine {
                    if let entry = file?.handles.first(where: { $0.userID == handle.userID }) {
                        rows.append(("last poll", entry.lastPollMillis.map(DeskClock.format) ?? "not yet"))
                        rows.append(("last error", entry.lastError ?? "none"))
                        for (endpoint, state) in entry.rateLimits.sorted(by: { $0.key < $1.key }) {
                            rows.append(("rate " + endpoint, "\(state.remaining.map(String.init) ?? "?")/\(state.limit.map(String.init) ?? "?") left"
                                         + (state.resetEpochSeconds.map { ", resets \(DeskClock.format(UInt64($0) * 1000))" } ?? "")
                                         + (state.throttled > 0 ? ", \(state.throttled)× 429" : "")))
                        }
                    } else {
                        rows.append(("daemon", "not running (start it with `roost run`)"))
                    }
                }
                Console.printRows(rows.map { ("  " + $0.0, $0.1) })
            }
        }
    }
}

/// Checks a token file before it is configured (the gateway checks again each time it reads it).
enum XCredentialsCheck {
    static func check(_ path: String) throws -> Bool {
        do {
            _ = try XCredentials.bearerToken(file: path, environment: [:])
            return true
        } catch { throw CLIError(error.description) }
    }
}

struct OutboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox",
        abstract: "Replies waiting for the gateway: list them; send a held one anyway; discard one (to edit: discard, reply again).",
        subcommands: [List.self, SendAnyway.self, Discard.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Queued, posting, held and failed replies, with reasons.")
        @OptionGroup var global: GlobalOptions
        @Flag(help: "Only your own drafts.") var mine = false

        func run() throws {
            let desk = try openDesk(global)
            var rows = try withDesk { () throws(DeskError) in try desk.outboxPending() }
            if mine { rows = rows.filter { $0.author == desk.node.id.text } }
            if global.json { return Console.printJSON(rows) }
            if rows.isEmpty { return print("Outbox empty.") }
            var table = [["ID", "TICKET", "STATE", "AUTHOR", "WRITTEN", "REASON"]]
            for row in rows {
                let author = (try? AuthorID(text: row.author)).flatMap { id in try? withDesk { () throws(DeskError) in try desk.memberName(id) } }
                table.append([row.id, row.ticket, row.state.rawValue, author ?? row.author, DeskClock.format(row.createdMillis),
                              row.reason ?? "-"])
            }
            Console.printTable(table)
        }
    }

    struct SendAnyway: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "send-anyway",
                                                        abstract: "Send a held reply despite the newer reply in its conversation.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The outbox item id (r…).") var id: String

        func run() throws {
            let desk = try openDesk(global)
            let row = try withDesk { () throws(DeskError) in try desk.sendAnyway(id) }
            confirm(global, "\(row.id) queued again for \(row.ticket); the gateway will post it while you hold the claim",
                    ["id": row.id, "state": row.state.rawValue])
        }
    }

    struct Discard: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Withdraw a reply that is not posted.")
        @OptionGroup var global: GlobalOptions
        @Argument(help: "The outbox item id (r…).") var id: String

        func run() throws {
            let desk = try openDesk(global)
            let row = try withDesk { () throws(DeskError) in try desk.discardOutbox(id) }
            confirm(global, "\(row.id) discarded", ["id": row.id, "state": row.state.rawValue])
        }
    }
}
