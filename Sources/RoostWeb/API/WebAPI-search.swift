import Hummingbird
import RoostCore
import RoostNode
import RoostStore

/// `GET /api/v1/search?q=…&limit=N`: the desk's search (the query language of ``SearchQuery``), and
/// `POST /api/v1/jobs/reindex`: the index derived again, with progress (`roost reindex`).
extension WebAPI {
    struct SearchResults: Encodable {
        var query: String
        var results: [Result]

        struct Result: Encodable {
            var ticket: String
            var status: String
            var priority: String
            var brand: String
            var customer: String
            var customerHandle: String?
            var queue: String?
            var kind: String
            var message: String?
            var createdMs: UInt64
            var snippet: [SnippetRun]
            var score: Double
        }

        init(query: String, hits: [SearchHit]) {
            self.query = query
            results = hits.map {
                Result(ticket: $0.ticket, status: $0.status, priority: $0.priority, brand: $0.brand, customer: $0.customer,
                       customerHandle: $0.customerHandle, queue: $0.queue, kind: $0.kind, message: $0.message,
                       createdMs: $0.createdMillis, snippet: $0.snippet, score: $0.score)
            }
        }
    }

    @Sendable static func search(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        guard let text = query(request, "q") else { throw WebError.badRequest(field: "q", reason: "required") }
        var limit = SearchLimits.defaultResults
        if let typed = query(request, "limit") {
            guard let value = Int(typed), (1...SearchLimits.maxResults).contains(value) else {
                throw WebError.badRequest(field: "limit", reason: "must be 1...\(SearchLimits.maxResults)")
            }
            limit = value
        }
        return JSON.response(SearchResults(query: text, hits: try app.desk.search(text, limit: limit)))
    }

    struct ReindexResult: Encodable, Sendable {
        var documents: Int
        var messages: Int
        var indexBytes: Int
        var textBytes: Int
    }

    @Sendable static func reindex(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        _ = try await WebRequestBody.read(request, allowed: [])
        return JobStream.response(logger: app.logger) { progress in
            let stats = try app.desk.reindex(progress: progress)
            return ReindexResult(documents: stats.documents, messages: stats.messages, indexBytes: stats.indexBytes,
                                 textBytes: stats.textBytes)
        }
    }

    /// `GET /api/v1/alerts`: the rules file's listening alerts for the last complete window, as `roost alerts`.
    @Sendable static func alerts(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        JSON.response(["alerts": try app.desk.alerts(app.node.home.rules().alerts, at: app.now)])
    }

    struct Languages: Encodable {
        var ok = true
        var languages: [String]
    }

    /// `POST /api/v1/me/status {status: "away"}`: this node's member's availability (online, away, offline).
    @Sendable static func setAvailability(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await WebRequestBody.read(request, allowed: ["status"])
        let value = try DeskService.availability(try body.requiredString("status"))
        try app.desk.setMyAvailability(value)
        return JSON.response(Done(ticket: nil, detail: value.rawValue))
    }

    /// `POST /api/v1/me/routing {capacity?, skills?, queues?}`: what routing knows of this node's member.
    @Sendable static func setMyRouting(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await WebRequestBody.read(request, allowed: ["capacity", "skills", "queues"])
        if let capacity = try body.int("capacity", in: 1...RoutingRules.maxCapacity) { try app.desk.setMyCapacity(capacity) }
        if let skills = try body.strings("skills") { try app.desk.setMyList("skills", skills) }
        if let queues = try body.strings("queues") { try app.desk.setMyList("queues", queues) }
        return JSON.response(Done(ticket: nil, detail: "routing settings"))
    }

    /// `GET /api/v1/routing`: routed queues and who each waiting ticket is pushed to now.
    @Sendable static func routing(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        JSON.response(try app.desk.routingView())
    }

    /// `POST /api/v1/routing {queue, mode?: least-loaded|round-robin|off, timeoutSeconds?, paused?}` (leads and admins).
    @Sendable static func setRouting(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await WebRequestBody.read(request, allowed: ["queue", "mode", "timeoutSeconds", "paused"])
        let queue = try body.requiredString("queue")
        if let mode = try body.string("mode") {
            let parsed: RoutingMode?
            if mode == "off" { parsed = nil } else if let known = RoutingMode(rawValue: mode) { parsed = known } else {
                throw WebError.badRequest(field: "mode", reason: "must be least-loaded, round-robin or off")
            }
            try app.desk.setRouting(queue: queue, mode: parsed, timeoutSeconds: try body.int("timeoutSeconds", in: 10...3_600).map { UInt64($0) })
        }
        if let paused = try body.bool("paused") { try app.desk.pauseRouting(queue: queue, paused: paused) }
        return JSON.response(Done(ticket: nil, detail: queue))
    }

    /// `GET /api/v1/policy`: the team's desk policy text (empty when none) and its queues.
    @Sendable static func policy(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        JSON.response(PolicyView(text: try app.desk.policyText() ?? "", queues: try app.desk.deskPolicy().queues.map(\.name)))
    }

    /// `POST /api/v1/policy {text, file?, dryRun?, knownQueues?}` (`knownQueues`: more queue names to accept, such as a
    /// rules file's the CLI was given): checks a desk policy and, unless `dryRun`, writes it for the team
    /// (leads and admins). A bad policy is a 400 naming the line.
    @Sendable static func setPolicy(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await WebRequestBody.read(request, allowed: ["text", "file", "dryRun", "knownQueues"])
        let text = try body.requiredString("text")
        let policy = try app.desk.applyPolicy(text: text, file: try body.string("file") ?? "policy", rules: app.node.home.rules(),
                                              extraQueues: try body.strings("knownQueues") ?? [], dryRun: try body.bool("dryRun") ?? false)
        return JSON.response(PolicyView(text: text, queues: policy.queues.map(\.name)))
    }

    struct PolicyView: Codable, Sendable {
        var text: String
        var queues: [String]
    }

    /// `GET /api/v1/team/availability`: every current member's availability as routing counts it.
    @Sendable static func availability(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        JSON.response(try app.desk.teamAvailability())
    }

    /// `POST /api/v1/me/languages {languages: ["en", "es"]}`: the languages this node's member answers in.
    @Sendable static func setLanguages(_ app: WebApp, _ request: Request, _ context: BasicRequestContext) async throws -> Response {
        let body = try await WebRequestBody.read(request, allowed: ["languages"])
        guard let codes = try body.strings("languages") else { throw WebError.badRequest(field: "languages", reason: "required") }
        return JSON.response(Languages(languages: try app.desk.setMyLanguages(codes)))
    }
}
