import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import RoostCore
import RoostNode
import RoostStore
import Testing
@testable import RoostWeb
import RoostTestSupport

/// The repository root (for examples/ and Protocol/).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// The built `roost` binary, next to the test bundle.
var roostBinary: URL { BuiltProduct.url("roost") }

/// Runs the `roost` binary against `home`; returns its status and output.
@discardableResult
func roost(_ arguments: [String], home: URL) throws -> ProcessOutput {
    try ProcessRunner(product: "roost", trailingArguments: ["--home", home.path]).run(arguments)
}

/// A node made by the CLI as a new user would (init, then the X API sample), served in process.
struct WebFixture {
    let home: URL
    let node: Node
    let token: APIToken
    let web: WebApp

    init(name: String = "Ana Lopez", initials: String = "AL", sample: Bool = true) throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("roost-web-\(UUID().uuidString)")
        let created = try roost(["init", "--name", name, "--initials", initials], home: home)
        guard created.status == 0 else { throw FixtureError(created.stderr) }
        if sample {
            let ingested = try roost(["ingest", "--file", repositoryRoot.appendingPathComponent("examples/x-sample.jsonl").path,
                                      "--brand-handles", "AcmeCare"], home: home)
            guard ingested.status == 0 else { throw FixtureError(ingested.stderr) }
        }
        node = try NodeHome(path: home.path).open()
        token = try APIToken.ensure(in: node.home)
        // The in-process test client sends `Host: localhost` (no port): the only Host these tests' app accepts.
        web = WebApp(node: node, token: token, events: WebEventHub(node: node, logger: Logger(label: "test")),
                     hosts: WebHostPolicy(exactly: ["localhost"]), logger: Logger(label: "test"))
    }

    /// The app on a real local server (port 0).
    func application() -> some ApplicationProtocol {
        Application(router: web.router(), configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    var bearer: HTTPFields { [.authorization: "Bearer \(token.text)"] }

    /// A fresh one-time login code, as `roost open` issues.
    func loginCode() throws -> String { try LoginCode.issue(in: node.home, nowMillis: SystemClock().nowMillis()) }

    /// Signs in with a fresh code; returns the `name=value` cookie.
    func signIn(_ client: some TestClientProtocol) async throws -> String {
        let code = try loginCode()
        return try await client.execute(uri: "/login?code=\(code)", method: .get) { response in
            let setCookie = try #require(response.headers[.setCookie])
            return String(setCookie.split(separator: ";")[0])
        }
    }

    func json(_ object: String) -> ByteBuffer { ByteBuffer(string: object) }

    func cleanup() { try? FileManager.default.removeItem(at: home) }
}

struct FixtureError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Parses a JSON response body.
func object(_ buffer: ByteBuffer) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView))) as? [String: Any] ?? [:]
}

/// The `error` object of an API error body.
func apiError(_ buffer: ByteBuffer) -> [String: Any] { object(buffer)["error"] as? [String: Any] ?? [:] }

/// Sends every op `from` holds that `to` lacks: what a sync session would deliver.
func deliver(from: Node, to: Node) throws {
    let batch = try from.store.batch(after: try to.store.versionVector(), limit: 100_000)
    if !batch.isEmpty { _ = try to.store.apply(batch, clock: SystemClock()) }
}
