import Foundation
import Hummingbird
import RoostCore
import RoostNode
import RoostStore
import RoostSync

/// One route of the local API: what `Protocol/openapi.yaml` documents, and what the router registers.
struct WebRoute: Sendable {
    let method: HTTPRequest.Method
    /// Hummingbird path syntax (`:key`); OpenAPI writes `{key}`.
    let path: String
    let handler: @Sendable (WebApp, Request, BasicRequestContext) async throws -> Response
}

/// The JSON API under `/api/v1`: everything the CLI does, by calling ``DeskService``.
enum WebAPI {
    static let base = "/api/v1"

    static let routes: [WebRoute] = [
        WebRoute(method: .get, path: base + "/inbox", handler: inbox),
        WebRoute(method: .get, path: base + "/queues", handler: queues),
        WebRoute(method: .get, path: base + "/tickets/:key", handler: ticket),
        WebRoute(method: .post, path: base + "/tickets/:key/claim", handler: claim),
        WebRoute(method: .post, path: base + "/tickets/:key/release", handler: release),
        WebRoute(method: .post, path: base + "/tickets/:key/handoff", handler: handoff),
        WebRoute(method: .post, path: base + "/tickets/:key/reply", handler: reply),
        WebRoute(method: .post, path: base + "/tickets/:key/preview", handler: preview),
        WebRoute(method: .post, path: base + "/tickets/:key/notes", handler: note),
        WebRoute(method: .post, path: base + "/tickets/:key/tags", handler: tag),
        WebRoute(method: .delete, path: base + "/tickets/:key/tags/:tag", handler: untag),
        WebRoute(method: .post, path: base + "/tickets/:key/priority", handler: priority),
        WebRoute(method: .post, path: base + "/tickets/:key/escalate", handler: escalate),
        WebRoute(method: .post, path: base + "/tickets/:key/snooze", handler: snooze),
        WebRoute(method: .post, path: base + "/tickets/:key/resolve", handler: resolve),
        WebRoute(method: .post, path: base + "/tickets/:key/status", handler: setStatus),
        WebRoute(method: .get, path: base + "/customers/:handle", handler: customer),
        WebRoute(method: .post, path: base + "/customers/:handle", handler: updateCustomer),
        WebRoute(method: .post, path: base + "/customers/:handle/erase", handler: eraseCustomer),
        WebRoute(method: .get, path: base + "/customers/:handle/export", handler: exportCustomer),
        WebRoute(method: .get, path: base + "/retention", handler: retentionList),
        WebRoute(method: .post, path: base + "/retention", handler: retentionSet),
        WebRoute(method: .post, path: base + "/retention/apply", handler: retentionApply),
        WebRoute(method: .get, path: base + "/canned", handler: cannedList),
        WebRoute(method: .post, path: base + "/canned", handler: cannedAdd),
        WebRoute(method: .get, path: base + "/sla", handler: slaList),
        WebRoute(method: .post, path: base + "/sla", handler: slaSet),
        WebRoute(method: .get, path: base + "/report", handler: report),
        WebRoute(method: .get, path: base + "/dashboard", handler: dashboard),
        WebRoute(method: .get, path: base + "/peers", handler: peers),
        WebRoute(method: .get, path: base + "/sync", handler: sync),
        WebRoute(method: .get, path: base + "/presence", handler: presenceList),
        WebRoute(method: .post, path: base + "/presence", handler: presenceReport),
        WebRoute(method: .get, path: base + "/events", handler: events),
        WebRoute(method: .get, path: base + "/search", handler: search),
        WebRoute(method: .post, path: base + "/jobs/reindex", handler: reindex),
        WebRoute(method: .post, path: base + "/me/languages", handler: setLanguages),
        WebRoute(method: .post, path: base + "/me/status", handler: setAvailability),
        WebRoute(method: .post, path: base + "/me/routing", handler: setMyRouting),
        WebRoute(method: .get, path: base + "/routing", handler: routing),
        WebRoute(method: .post, path: base + "/routing", handler: setRouting),
        WebRoute(method: .get, path: base + "/policy", handler: policy),
        WebRoute(method: .post, path: base + "/policy", handler: setPolicy),
        WebRoute(method: .get, path: base + "/team/availability", handler: availability),
        WebRoute(method: .get, path: base + "/alerts", handler: alerts),
    ] + writeRoutes

    // MARK: helpers

    static func key(_ context: BasicRequestContext, _ app: WebApp) throws -> String {
        guard let typed = context.parameters.get("key"), !typed.isEmpty else { throw WebError.badRequest(field: "key", reason: "required") }
        return try app.desk.ticketKey(typed)
    }

    static func query(_ request: Request, _ name: String) -> String? {
        request.uri.queryParameters.get(name)  // already percent-decoded
    }

    struct Done: Encodable {
        var ok = true
        var ticket: String?
        var detail: String?
    }

    // MARK: inbox and tickets

    @Sendable static func inbox(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let view = try InboxView(view: query(request, "view"), queue: query(request, "queue"))
        let paging = try InboxPaging(status: query(request, "status"), sort: query(request, "sort"),
                                     offset: query(request, "offset"), limit: query(request, "limit"), lang: query(request, "lang"))
        return JSON.response(try app.inboxPage(view, paging: paging))
    }

    @Sendable static func queues(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        JSON.response(try app.desk.queueCounts(cap: WebLimits.queueCountCap))
    }

    @Sendable static func ticket(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        JSON.response(try app.ticketDetail(try key(context, app)))
    }

    @Sendable static func claim(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await WebRequestBody.read(request, allowed: ["leaseMinutes"])
        let lease = try body.int("leaseMinutes", in: 1...Int(Limits.maxLeaseSeconds / 60)) ?? 30
        let key = try app.desk.claim(try key(context, app), leaseMinutes: UInt32(lease))
        return JSON.response(Done(ticket: key, detail: "claimed for \(lease) minutes"))
    }

    @Sendable static func release(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        _ = try await WebRequestBody.read(request, allowed: [])
        return JSON.response(Done(ticket: try app.desk.release(try key(context, app)), detail: "released"))
    }

    @Sendable static func handoff(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await WebRequestBody.read(request, allowed: ["to", "leaseMinutes"])
        let to = try body.requiredString("to")
        let lease = try body.int("leaseMinutes", in: 1...Int(Limits.maxLeaseSeconds / 60)) ?? 30
        let (ticket, member) = try app.desk.handoff(try key(context, app), to: to, leaseMinutes: UInt32(lease))
        return JSON.response(Done(ticket: ticket, detail: "handed off to \(try app.desk.memberName(member))"))
    }

    struct ReplyResult: Encodable {
        var ok = true
        var ticket: String
        var messageId: String
        var text: String
        var length: Int
        var limit: Int
        var dm: Bool
        /// The addressee's handle (without `@`).
        var to: String?
        /// The customer message answered.
        var inReplyTo: String?
        /// True when the reply claimed the ticket for the replier (nobody held it).
        var claimed: Bool
    }

    @Sendable static func reply(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await WebRequestBody.read(request, allowed: ["text", "canned", "dm", "after", "force", "to", "inReplyTo"])
        let key = try key(context, app)
        let text = try body.string("text"), canned = try body.string("canned")
        if (text ?? "").isEmpty && (canned ?? "").isEmpty { throw WebError.badRequest(field: "text", reason: "required (or canned)") }
        // The send-time guard (the desk's): `after` is the last message this agent saw; `force` sends anyway.
        let after = try body.bool("force") == true ? nil : try body.string("after")
        let reply = try app.desk.reply(key, text: text, canned: canned?.isEmpty == true ? nil : canned, dm: try body.bool("dm") ?? false,
                                       to: try body.string("to"), inReplyTo: try body.string("inReplyTo"), after: after)
        return JSON.response(ReplyResult(ticket: reply.ticket, messageId: reply.messageID, text: reply.text, length: reply.length,
                                         limit: reply.limit, dm: reply.dm, to: reply.to, inReplyTo: reply.inReplyTo, claimed: reply.claimed))
    }

    @Sendable static func preview(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await WebRequestBody.read(request, allowed: ["text", "canned", "dm", "to", "inReplyTo"])
        return JSON.response(try app.preview(try key(context, app), text: try body.string("text") ?? "",
                                             canned: try body.string("canned"), dm: try body.bool("dm") ?? false,
                                             to: try body.string("to"), inReplyTo: try body.string("inReplyTo")))
    }

    @Sendable static func note(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await WebRequestBody.read(request, allowed: ["text"])
        let text = try body.requiredString("text")
        let key = try key(context, app)
        return JSON.response(Done(ticket: key, detail: try app.desk.note(key, text)))
    }

    @Sendable static func tag(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await WebRequestBody.read(request, allowed: ["tag"])
        return JSON.response(Done(ticket: try app.desk.tag(try key(context, app), try body.requiredString("tag"))))
    }

    @Sendable static func untag(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        guard let tag = context.parameters.get("tag") else { throw WebError.badRequest(field: "tag", reason: "required") }
        return JSON.response(Done(ticket: try app.desk.untag(try key(context, app), tag.removingPercentEncoding ?? tag)))
    }

    @Sendable static func priority(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await WebRequestBody.read(request, allowed: ["priority"])
        return JSON.response(Done(ticket: try app.desk.setPriority(try key(context, app), try body.requiredString("priority"))))
    }

    /// `POST /api/v1/tickets/:key/snooze {untilMillis}` snoozes until then; `{untilMillis: null}` or `{}` wakes it.
    @Sendable static func snooze(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await WebRequestBody.read(request, allowed: ["untilMillis"])
        let key = try key(context, app)
        guard let until = try body.int("untilMillis", in: 1...Int.max) else {
            return JSON.response(Done(ticket: try app.desk.unsnooze(key), detail: "awake"))
        }
        return JSON.response(Done(ticket: try app.desk.snooze(key, untilMillis: UInt64(until)), detail: String(until)))
    }

    @Sendable static func escalate(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await WebRequestBody.read(request, allowed: ["reason", "tier"])
        let reason = try body.requiredString("reason")
        var tier: Tier?
        if let text = try body.string("tier") {
            guard let value = Tier(rawValue: text) else {
                throw WebError.badRequest(field: "tier", reason: "must be one of: \(Tier.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            tier = value
        }
        let (ticket, target) = try app.desk.escalate(try key(context, app), reason: reason, to: tier)
        return JSON.response(Done(ticket: ticket, detail: target.rawValue))
    }

    @Sendable static func resolve(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await WebRequestBody.read(request, allowed: ["as"])
        let type = try body.string("as") ?? "answered"
        return JSON.response(Done(ticket: try app.desk.resolve(try key(context, app), as: type), detail: type))  // releases the resolver's claim
    }

    /// `POST /api/v1/tickets/:key/status {status: pending|on-hold|open|new|closed}` (resolving goes through /resolve).
    @Sendable static func setStatus(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await WebRequestBody.read(request, allowed: ["status"])
        let text = try body.requiredString("status")
        guard let status = TicketStatus(rawValue: text), status != .resolved else {
            throw WebError.badRequest(field: "status", reason: "must be one of: pending, on-hold, open, new, closed (resolve with /resolve)")
        }
        return JSON.response(Done(ticket: try app.desk.setStatus(try key(context, app), status), detail: status.rawValue))
    }

    // MARK: customers, canned, report

    @Sendable static func customer(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let handle = context.parameters.get("handle") ?? ""
        return JSON.response(try customerProfile(app, handle: handle, vip: nil, notes: nil))
    }

    @Sendable static func updateCustomer(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await WebRequestBody.read(request, allowed: ["vip", "notes", "crm"])
        let handle = context.parameters.get("handle") ?? ""
        return JSON.response(try customerProfile(app, handle: handle, vip: try body.bool("vip"), notes: try body.string("notes"),
                                                 crm: try body.string("crm")))
    }

    static func customerProfile(_ app: WebApp, handle: String, vip: Bool?, notes: String?, crm: String? = nil) throws -> CustomerProfile {
        let clean = (handle.removingPercentEncoding ?? handle).trimmingCharacters(in: CharacterSet(charactersIn: "@"))
        do {
            return try app.desk.customer(clean, vip: vip, notes: notes, crm: crm)
        } catch {
            throw WebError(error)
        }
    }


    struct Canned: Codable {
        var name: String
        var text: String
    }

    @Sendable static func cannedList(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        JSON.response(try app.desk.cannedResponses().map { Canned(name: $0.name, text: $0.text) })
    }

    @Sendable static func cannedAdd(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await WebRequestBody.read(request, allowed: ["name", "text", "lang"])
        let name = try body.requiredString("name"), text = try body.requiredString("text")
        let language = try body.string("lang")
        do throws(DeskError) {
            if let language {
                try app.desk.addCannedVariant(name: name, language: language, text: text)
            } else {
                try app.desk.addCanned(name: name, text: text)
            }
        } catch {
            // Every refusal of a canned text is about the request's name or its text.
            throw WebError.badRequest(field: error.field == "name" ? "name" : "text", reason: error.description)
        }
        return JSON.response(Canned(name: name, text: text), status: .created)
    }

    @Sendable static func slaList(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let targets = try app.desk.slaTargets()
        return JSON.response(Dictionary(uniqueKeysWithValues: Priority.allCases.map { ($0.rawValue, targets.target($0)) }))
    }

    @Sendable static func slaSet(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await WebRequestBody.read(request, allowed: ["priority", "minutes"])
        let text = try body.requiredString("priority")
        guard let priority = Priority(rawValue: text) else {
            throw WebError.badRequest(field: "priority", reason: "must be one of: \(Priority.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let minutes = try body.int("minutes", in: 1...Int(DeskService.maxSLAMinutes)) else {
            throw WebError.badRequest(field: "minutes", reason: "required")
        }
        try app.desk.setSLA(priority, minutes: minutes)
        return try await slaList(app, request, context)
    }

    static func day(_ request: Request, _ field: String) throws -> UInt64? {
        guard let text = query(request, field), !text.isEmpty else { return nil }
        guard let millis = WebDates.dayStartMillis(text) else { throw WebError.badRequest(field: field, reason: "expected YYYY-MM-DD") }
        return millis
    }

    static func scope(_ request: Request) throws -> DeskReport.Scope {
        DeskReport.Scope(since: try day(request, "since"), until: try day(request, "until"),
                         queue: query(request, "queue"), agent: query(request, "agent"))
    }

    @Sendable static func report(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        JSON.response(try app.desk.report(try scope(request)))
    }

    @Sendable static func dashboard(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        JSON.response(try app.dashboard(try scope(request), window: try DashboardWindow.of(request, now: app.now),
                                        historyPage: try agentsPage(request)))
    }

    /// The `agents_page` parameter (from 1; default 1).
    static func agentsPage(_ request: Request) throws -> Int {
        guard let text = query(request, "agents_page") else { return 1 }
        guard let page = Int(text), page >= 1 else { throw WebError.badRequest(field: "agents_page", reason: "a page number from 1") }
        return page
    }

    // MARK: peers, sync, presence, events

    struct PeerRow: Encodable {
        var status: PeerStatus
        var name: String?
        /// Catching up with this peer (ops we lack falling), when under way.
        var progress: JobProgress?
    }

    struct PeersResult: Encodable {
        var running: Bool
        /// Whether this node belongs to a team (has a network key): without one it syncs with nobody.
        var team: Bool
        var configured: [String]
        var peers: [PeerRow]
    }

    static func peersResult(_ app: WebApp) -> PeersResult {
        let file = PeersFile.load(app.node.home)
        let running = file.map { SystemClock().nowMillis() &- $0.writtenMillis < 5_000 } ?? false
        let name = app.names()
        let now = SystemClock().nowMillis()
        let rows = (running ? file?.peers ?? [] : []).map { peer in
            PeerRow(status: peer, name: (try? AuthorID(text: peer.node)).map(name),
                    progress: app.catchUp.observe(peer: peer.node, opsAhead: peer.connected ? peer.opsAhead : UInt64(0), atMillis: now))
        }
        let team = FileManager.default.fileExists(atPath: app.node.home.teamKeyPath)
        return PeersResult(running: running, team: team, configured: app.node.config.peers, peers: rows)
    }

    @Sendable static func peers(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        JSON.response(peersResult(app))
    }

    struct SyncLog: Encodable {
        var author: String
        var name: String
        var seq: UInt64
        var sealed: UInt64
    }

    struct SyncState: Encodable {
        var node: String
        var name: String
        var ops: Int
        var logs: [SyncLog]
        var forks: Int
        var peers: PeersResult
    }

    static func syncState(_ app: WebApp) throws -> SyncState {
        let name = app.names()
        let heads = try app.node.logs()
        let logs = heads.map {
            SyncLog(author: $0.log.author.text, name: name($0.log.author), seq: $0.seq, sealed: $0.sealed)
        }
        return SyncState(node: app.node.id.text, name: app.node.config.name, ops: try app.opCounts.count(app.node, heads: heads), logs: logs,
                         forks: try app.node.forkCount(), peers: peersResult(app))
    }

    @Sendable static func sync(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        JSON.response(try syncState(app))
    }

    @Sendable static func presenceList(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        guard let ticket = query(request, "ticket"), !ticket.isEmpty else { throw WebError.badRequest(field: "ticket", reason: "required") }
        return JSON.response(app.othersPresence(on: try app.desk.ticketKey(ticket)))
    }

    @Sendable static func presenceReport(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await WebRequestBody.read(request, allowed: ["ticket", "activity"])
        let ticket = try app.desk.ticketKey(try body.requiredString("ticket"))
        let text = try body.string("activity") ?? "viewing"
        if text == "gone" {  // the page was left: peers drop the entry now, not when it expires
            app.presence.left(member: app.node.config.name, ticket: ticket)
            return JSON.response(Done(ticket: ticket, detail: text))
        }
        guard let activity = PresenceBoard.Entry.Activity(rawValue: text) else {
            throw WebError.badRequest(field: "activity", reason: "must be viewing, replying or gone")
        }
        app.presence.report(.init(member: app.node.config.name, ticket: ticket, activity: activity, atMillis: app.now, local: true))
        return JSON.response(Done(ticket: ticket, detail: activity.rawValue))
    }

    /// Server-sent events: one `data:` line of JSON per ``WebEvent``, named by its kind, plus keep-alive comments.
    @Sendable static func events(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let stream = app.events.subscribe()
        let body = ResponseBody { writer in
            try await writer.write(ByteBuffer(string: "retry: 1000\n: connected\n\n"))
            let keepAlive = AsyncStream<WebEvent?> { continuation in
                let task = Task {
                    while !Task.isCancelled {
                        try? await Task.sleep(nanoseconds: WebLimits.keepAliveSeconds * 1_000_000_000)
                        continuation.yield(nil)
                    }
                }
                let forward = Task {
                    for await event in stream { continuation.yield(event) }
                    continuation.finish()
                }
                continuation.onTermination = { _ in task.cancel(); forward.cancel() }
            }
            for await event in keepAlive {
                if let event {
                    let json = String(decoding: JSON.data(event), as: UTF8.self)
                    try await writer.write(ByteBuffer(string: "event: \(event.kind.rawValue)\ndata: \(json)\n\n"))
                } else {
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                }
            }
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "text/event-stream", .cacheControl: "no-store"], body: body)
    }
}

/// Calendar days in UTC, for report scopes.
enum WebDates {
    /// Midnight UTC of `YYYY-MM-DD`, in Unix ms.
    static func dayStartMillis(_ text: String) -> UInt64? { CivilDate.dayStartMillis(text) }
}
