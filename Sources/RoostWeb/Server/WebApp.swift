import Foundation
public import Hummingbird
import HTTPTypes
public import Logging
import RoostCore
import RoostCrypto
public import RoostNode
import RoostStore

/// What every handler of the web app and the API shares: the node, its desk, the API token, live events
/// and presence.
public struct WebApp: Sendable {
    /// The node.
    public let node: Node
    /// Its desk.
    public let desk: DeskService
    /// The API token when the app was made (``credentials`` follows `roost token rotate`).
    public let token: APIToken
    /// Live events.
    public let events: WebEventHub
    /// Who is viewing or replying where.
    public let presence: PresenceBoard
    /// Catch-up (initial sync) progress per peer, from the counters `roost run` publishes.
    let catchUp = CatchUpBoard()
    /// The desk facts the dashboard counts, kept up to date op by op.
    let deskFacts = DeskFactsCache()
    /// The op count the sync panel shows, recounted when a log head moves.
    let opCounts = OpCountCache()
    /// The listening alerts the pages' banner shows.
    let alertCache = AlertCache()
    /// The browser sessions (signed in through a one-time login code).
    public let sessions: WebSessions
    /// Which `Host` requests may name.
    public let hosts: WebHostPolicy
    /// The API token file as it is now: a rotation ends every session.
    let credentials: WatchedSecret<APIToken>
    /// The session cookie's name, `roost_session_<api port>`: cookies ignore ports, so two nodes on one machine
    /// (different ports) must not overwrite each other's session.
    let cookieName: String
    let logger: Logger

    /// The web app of an open node. `hosts` defaults to the config's `api` address.
    public init(node: Node, token: APIToken, events: WebEventHub, presence: PresenceBoard = PresenceBoard(),
                sessions: WebSessions = WebSessions(), hosts: WebHostPolicy? = nil, logger: Logger) {
        self.node = node
        self.desk = DeskService(node: node)
        self.token = token
        self.events = events
        self.presence = presence
        self.sessions = sessions
        self.hosts = hosts ?? WebHostPolicy(api: node.config.api)
        self.logger = logger
        let home = node.home
        credentials = WatchedSecret(path: home.apiTokenPath) { () throws(NodeError) in try APIToken.load(in: home) }
        cookieName = WebLimits.sessionCookie + "_" + String((try? WebServer.parseAddress(node.config.api))?.port ?? 0)
        _ = credentials.current()
    }

    /// The router: pages, assets and `/api/v1`, behind the token check and the cross-site check.
    public func router() -> Router<BasicRequestContext> {
        let router = Router(context: BasicRequestContext.self)
        router.add(middleware: WebGuard(app: self))
        for route in WebAPI.routes {
            router.on(RouterPath(route.path), method: route.method, use: { request, context -> Response in
                do {
                    return try await route.handler(self, request, context)
                } catch let error as WebError {
                    return error.response
                } catch let error as DeskError {
                    return WebError(error).response
                } catch let error as NodeError {
                    return WebError(error).response
                } catch let error as HTTPError where error.status == .contentTooLarge {
                    return WebError.tooLarge.response
                } catch {
                    logger.error("API request failed", metadata: ["path": "\(route.path)", "error": "\(type(of: error))"])
                    return WebError.internalError("the request failed; see the node's log").response
                }
            })
        }
        WebPages.register(on: router, app: self)
        return router
    }

    /// Whether a request carries the current token (bearer header) or a live session cookie. A rotated token
    /// ends every session first; an unreadable token file refuses everything.
    func isAuthorized(_ request: Request) -> Bool {
        let (current, changed) = credentials.current()
        if changed { sessions.endAll() }
        guard let current else { return false }
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            return parts.count == 2 && parts[0].lowercased() == "bearer" && current.matches(parts[1])
        }
        if let cookie = request.cookies[cookieName]?.value {
            return sessions.validate(cookie)
        }
        return false
    }

    /// Compares two secrets without an early exit.
    static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in x.indices { difference |= x[i] ^ y[i] }
        return difference == 0
    }

    /// The cookie `/login` sets for a new session: HttpOnly, SameSite=Strict, Path=/, gone from the browser when
    /// the session's absolute limit is reached (the node forgets it earlier when idle).
    func sessionCookie(_ id: String) -> Cookie {
        Cookie(name: cookieName, value: id, maxAge: Int(SignInLimits.sessionAbsoluteSeconds), path: "/",
               secure: false, httpOnly: true, sameSite: .strict)
    }

    /// The cookie logout sets: empty and already expired.
    var clearedCookie: Cookie {
        Cookie(name: cookieName, value: "", maxAge: 0, path: "/", secure: false, httpOnly: true, sameSite: .strict)
    }
}

/// Refuses requests naming another Host (421), requests without the token or a session (401) and cross-site
/// writes (403). `/login` and the static assets need only the right Host; everything else needs the token.
struct WebGuard: RouterMiddleware {
    typealias Context = BasicRequestContext
    let app: WebApp

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard app.hosts.accepts(request.head.authority) else {
            return WebError.wrongHost(request.head.authority ?? "(none)").response
        }
        if path == "/login" || path.hasPrefix("/assets/") { return try await next(request, context) }
        guard app.isAuthorized(request) else {
            if path.hasPrefix("/api/") { return WebError.unauthorized.response }
            return WebPages.loginNeeded()
        }
        if request.method != .get && request.method != .head, let refusal = Self.crossSiteRefusal(request) {
            return WebError.forbidden(refusal).response
        }
        return try await next(request, context)
    }

    /// Why a state-changing request is refused as cross-site, or nil: its `Origin` must be this server's own
    /// (`http://` + the Host it was sent to), and a browser's `Sec-Fetch-Site` must not say cross-site.
    static func crossSiteRefusal(_ request: Request) -> String? {
        let host = request.head.authority ?? ""
        let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!]
        // Pages send `Referrer-Policy: no-referrer`, so a browser submits their forms with `Origin: null`; that
        // is accepted only when the browser also says the request is same-origin.
        if let origin = request.headers[.origin], !(origin == "null" && site == "same-origin") {
            guard origin == "http://" + host else { return "cross-site request refused (Origin \(origin) is not http://\(host))" }
        }
        if let site, site == "cross-site" || site == "same-site" {
            return "cross-site request refused (Sec-Fetch-Site: \(site))"
        }
        return nil
    }
}
