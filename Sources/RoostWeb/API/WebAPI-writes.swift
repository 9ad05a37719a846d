import Foundation
import Hummingbird
import NIOCore
import RoostCore
import RoostNode
import RoostTwitter

/// The local API's routes for the CLI's remaining writing commands, so that while `roost run` serves a home every
/// command that writes goes through the node, its one writer: reassign, team create/invite/role/revoke/join,
/// gateway assign, and the long jobs (TWCS import, X ingest, bundle import), which answer with a stream of
/// progress lines (NDJSON) ending in the result.
extension WebAPI {
    static let writeRoutes: [WebRoute] = [
        WebRoute(method: .post, path: base + "/tickets/:key/reassign", handler: reassign),
        WebRoute(method: .post, path: base + "/team", handler: teamCreate),
        WebRoute(method: .post, path: base + "/team/invites", handler: teamInvite),
        WebRoute(method: .post, path: base + "/team/join", handler: teamJoin),
        WebRoute(method: .post, path: base + "/team/members/:member/role", handler: teamRole),
        WebRoute(method: .post, path: base + "/team/members/:member/revoke", handler: teamRevoke),
        WebRoute(method: .post, path: base + "/team/log-format", handler: teamLogFormat),
        WebRoute(method: .post, path: base + "/gateway/handles", handler: gatewayAssign),
        WebRoute(method: .post, path: base + "/gateway/standby", handler: gatewayStandby),
        WebRoute(method: .post, path: base + "/jobs/import-twcs", handler: importTWCS),
        WebRoute(method: .post, path: base + "/jobs/ingest", handler: ingestX),
        WebRoute(method: .post, path: base + "/jobs/bundle-import", handler: bundleImport),
        WebRoute(method: .post, path: base + "/ops", handler: appendOp),
    ]

    /// A node-level failure as the API's one-line refusal.
    static func nodeWork<T>(_ work: () throws -> T) throws -> T {
        do { return try work() } catch let error as NodeError {
            throw WebError.refused(field: nil, reason: error.description)
        }
    }

    struct Member: Encodable {
        var ok = true
        var member: String
        var name: String?
        var role: String?
        var cut: String?
        var ticket: String?
    }

    @Sendable static func reassign(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await WebRequestBody.read(request, allowed: ["to"])
        let (ticket, member) = try app.desk.reassign(try key(context, app), to: try body.requiredString("to"))
        return JSON.response(Member(member: member.text, name: try app.desk.memberName(member), ticket: ticket))
    }

    static func member(_ context: BasicRequestContext, _ app: WebApp) throws -> AuthorID {
        guard let typed = context.parameters.get("member"), !typed.isEmpty else { throw WebError.badRequest(field: "member", reason: "required") }
        return try app.desk.resolveMember(typed)
    }

    static func role(_ text: String) throws -> Role {
        guard let role = Role(rawValue: text) else { throw WebError.badRequest(field: "role", reason: "must be agent, lead, admin or gateway") }
        return role
    }

    struct TeamResult: Encodable {
        var ok = true
        var team: String
        var peers: [String]?
    }

    @Sendable static func teamCreate(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await WebRequestBody.read(request, allowed: ["name"])
        let name = try body.requiredString("name")
        let team = try nodeWork { try app.node.home.createTeam(name: name, node: app.node) }
        return JSON.response(TeamResult(team: team.name), status: .created)
    }

    struct InviteResult: Encodable {
        var ok = true
        var invite: String
        var team: String
        var address: String
        var expiresMs: UInt64
    }

    @Sendable static func teamInvite(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await WebRequestBody.read(request, allowed: ["name", "role", "hours", "address"])
        let name = try body.requiredString("name")
        let role = try role(try body.string("role") ?? Role.agent.rawValue)
        let hours = try body.int("hours", in: 1...(24 * 30)) ?? Team.defaultInviteHours
        let address = try body.string("address") ?? app.node.config.listen
        let invite = try nodeWork {
            try app.node.home.invite(name: name, role: role, hours: hours, address: address, node: app.node, now: SystemClock().nowMillis())
        }
        return JSON.response(InviteResult(invite: invite.text, team: invite.teamName, address: invite.address,
                                          expiresMs: invite.expiresMillis), status: .created)
    }

    @Sendable static func teamJoin(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await WebRequestBody.read(request, allowed: ["invite"])
        let text = try body.requiredString("invite")
        let (invite, config) = try nodeWork { () throws -> (Invite, NodeConfig) in
            let invite = try Invite(text: text)
            return (invite, try app.node.home.join(invite, node: app.node, now: SystemClock().nowMillis()))
        }
        return JSON.response(TeamResult(team: invite.teamName, peers: config.peers))
    }

    @Sendable static func teamRole(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await WebRequestBody.read(request, allowed: ["role"])
        let role = try role(try body.requiredString("role"))
        let id = try member(context, app)
        try nodeWork { try app.node.home.setRole(role, of: id, node: app.node) }
        return JSON.response(Member(member: id.text, role: role.rawValue))
    }

    @Sendable static func teamRevoke(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        _ = try await WebRequestBody.read(request, allowed: [])
        let id = try member(context, app)
        let cut = try nodeWork { try app.node.home.revoke(id, node: app.node) }
        return JSON.response(Member(member: id.text, cut: cut.description))
    }

    struct LogFormatResult: Encodable {
        var ok = true
        var asked: Int
        var local: Int
        var notReady: [String]
    }

    /// Asks the team for op format 2 (admins), as `roost team format 2`.
    @Sendable static func teamLogFormat(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await WebRequestBody.read(request, allowed: ["format", "anyway"])
        guard try body.int("format", in: 2...2) == 2 else { throw WebError.badRequest(field: "format", reason: "required: 2") }
        let anyway = try body.bool("anyway") ?? false
        let result = try nodeWork { try app.node.home.askLogFormat2(node: app.node, anyway: anyway) }
        return JSON.response(LogFormatResult(asked: result.asked, local: result.local, notReady: result.notReady.map(\.text)))
    }

    struct HandleResult: Encodable {
        var ok = true
        var handle: String
        var xUserId: String
        var gateway: String
        var gatewayName: String
    }

    @Sendable static func gatewayAssign(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await WebRequestBody.read(request, allowed: ["handle", "xUserId", "member"])
        let member = try body.requiredString("member")
        let handle = try app.desk.assignGateway(username: try body.requiredString("handle"), xUserID: try body.string("xUserId"), member: member)
        return JSON.response(HandleResult(handle: handle.username, xUserId: handle.userID, gateway: handle.gateway ?? "",
                                          gatewayName: try app.desk.memberName(try app.desk.resolveMember(member))))
    }

    /// `POST /api/v1/gateway/standby {handle, members: [member], leaseSeconds?}` (admins): the handle's standby
    /// gateways, in order; an empty list turns failover off (SPEC.md §1b.14).
    @Sendable static func gatewayStandby(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await WebRequestBody.read(request, allowed: ["handle", "members", "leaseSeconds"])
        let handle = try app.desk.setGatewayStandby(username: try body.requiredString("handle"), members: try body.strings("members") ?? [],
                                                    leaseSeconds: try body.int("leaseSeconds", in: 15...600))
        return JSON.response(try app.desk.gatewayLease(handle))
    }

    // MARK: long jobs

    /// A file named in a job request: absolute (the node may run in another directory than the CLI), readable.
    static func jobFile(_ body: WebRequestBody) throws -> URL {
        let path = try body.requiredString("file")
        guard path.hasPrefix("/") else { throw WebError.badRequest(field: "file", reason: "must be an absolute path") }
        guard FileManager.default.isReadableFile(atPath: path) else { throw WebError.badRequest(field: "file", reason: "\(path): cannot read it") }
        return URL(fileURLWithPath: path)
    }

    static func jobRules(_ body: WebRequestBody, home: NodeHome) throws -> TriageRules {
        let explicit = try body.string("rules")
        let path = explicit ?? home.url.appendingPathComponent("rules.toml").path
        guard explicit != nil || FileManager.default.fileExists(atPath: path) else { return .empty }
        do { return try TriageRules.load(path: path) } catch { throw WebError.badRequest(field: "rules", reason: error.description) }
    }

    static func names(_ text: String?) -> Set<String> {
        Set((text ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty })
    }

    @Sendable static func importTWCS(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await WebRequestBody.read(request, allowed: ["file", "brandHandles", "rules", "strict"])
        let url = try jobFile(body), rules = try jobRules(body, home: app.node.home)
        let brands = names(try body.string("brandHandles")), strict = try body.bool("strict") ?? false
        return JobStream.response(logger: app.logger) { progress in
            try app.desk.importTWCS(url: url, brandHandles: brands, rules: rules, strict: strict, progress: progress)
        }
    }

    @Sendable static func ingestX(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await WebRequestBody.read(request, allowed: ["file", "brandHandles", "brandIds", "rules", "strict"])
        let url = try jobFile(body), rules = try jobRules(body, home: app.node.home)
        let handles = names(try body.requiredString("brandHandles")), ids = names(try body.string("brandIds"))
        let strict = try body.bool("strict") ?? false
        guard let data = FileManager.default.contents(atPath: url.path) else { throw WebError.badRequest(field: "file", reason: "cannot read it") }
        let parsed = XPayload.parse(jsonl: data)
        if strict, let first = parsed.errors.first {
            throw WebError.badRequest(field: "file", reason: "\(url.path):\(first) (--strict: nothing ingested)")
        }
        return JobStream.response(logger: app.logger) { progress in
            var report = IngestReport()
            report.errors = parsed.errors.map { "\(url.path):\($0)" }
            report.skipped = parsed.skippedEvents
            try app.desk.ingestX(parsed.items, brandHandles: handles, brandIDs: ids, rules: rules, report: &report, progress: progress)
            report.read += parsed.errors.count + parsed.skippedEvents
            return report
        }
    }

    struct BundleResult: Encodable, Sendable {
        var batches: Int
        var applied: Int
        var duplicates: Int
    }

    @Sendable static func bundleImport(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await WebRequestBody.read(request, allowed: ["file"])
        let url = try jobFile(body)
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        guard size <= 1 << 30 else { throw WebError.badRequest(field: "file", reason: "too large for a bundle (\(size) bytes)") }
        guard let data = FileManager.default.contents(atPath: url.path) else { throw WebError.badRequest(field: "file", reason: "cannot read it") }
        return JobStream.response(logger: app.logger) { progress in
            let result = try app.node.home.importBundle([UInt8](data), node: app.node, progress: progress)
            return BundleResult(batches: result.batches, applied: result.applied, duplicates: result.duplicates)
        }
    }
}
