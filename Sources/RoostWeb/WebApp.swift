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
    /// The API token clients must present.
    public let token: APIToken
    /// Live events.
    public let events: WebEventHub
    /// Who is viewing or replying where.
    public let presence: PresenceBoard
    /// Catch-up (initial sync) progress per peer, from the counters `roost run` publishes.
    let catchUp = CatchUpBoard()
    /// The desk facts the dashboard counts, kept up to date op by op.
    let deskFacts = DeskFactsCache()
    let session: String
    /// The session cookie's name, `roost_session_<api port>`: cookies ignore ports, so two nodes on one machine
    /// (different ports) must not overwrite each other's session.
    let cookieName: String
    let logger: Logger

    /// The web app of an open node.
    public init(node: Node, token: APIToken, events: WebEventHub, presence: PresenceBoard = PresenceBoard(), logger: Logger) {
        self.node = node
        self.desk = DeskService(node: node)
        self.token = token
        self.events = events
        self.presence = presence
        self.logger = logger
        // The session cookie is derived from the token (so it survives restarts and changes when the token does)
        // but is not the token itself.
        cookieName = WebLimits.sessionCookie + "_" + String((try? WebServer.parseAddress(node.config.api))?.port ?? 0)
        session = Hex.encode(Blake2b.hash256(Array("roost-web-session-v1\u{0}\(token.text)".utf8)))
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

    /// Whether a request carries the token (bearer header) or the session cookie.
    func isAuthorized(_ request: Request) -> Bool {
        if let header = request.headers[.authorization] {
            let parts = header.split(separator: " ", maxSplits: 1)
            return parts.count == 2 && parts[0].lowercased() == "bearer" && token.matches(parts[1])
        }
        if let cookie = request.cookies[cookieName]?.value {
            return Self.constantTimeEquals(session, cookie)
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

    /// The cookie `/login` sets.
    var sessionCookie: Cookie {
        Cookie(name: cookieName, value: session, maxAge: WebLimits.sessionMaxAgeSeconds, path: "/",
               secure: false, httpOnly: true, sameSite: .strict)
    }
}

/// Refuses requests without the token or session (401) and cross-site writes (403). `/login` and the static
/// assets are open; everything else needs the token.
struct WebGuard: RouterMiddleware {
    typealias Context = BasicRequestContext
    let app: WebApp

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
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
        if let origin = request.headers[.origin] {
            guard origin == "http://" + host else { return "cross-site request refused (Origin \(origin) is not http://\(host))" }
        }
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], site == "cross-site" || site == "same-site" {
            return "cross-site request refused (Sec-Fetch-Site: \(site))"
        }
        return nil
    }
}
