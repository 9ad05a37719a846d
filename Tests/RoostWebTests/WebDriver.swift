import Foundation
import AsyncHTTPClient
import NIOCore
#if canImport(Glibc)
import Glibc
import RoostTestSupport
#endif

/// Where Debian's `chromium` and `chromium-driver` put their binaries; the browser tests skip (saying so) without them.
enum Browser {
    static let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static let driver = ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"].first { FileManager.default.isExecutableFile(atPath: $0) }
    static var available: Bool {
        let ok = chromium != nil && driver != nil
        if !ok {
            print("SKIPPING browser tests: chromium and chromedriver are not installed "
                  + "(`apt-get install -y chromium chromium-driver`; `make test` installs them when missing)")
        }
        return ok
    }

    /// Where screenshots go (gitignored).
    static let screenshots = repositoryRoot.appendingPathComponent(".build/test-output/screenshots")
}

/// Polls `condition` every 100 ms until it holds or `seconds` pass.
func waitUntil(_ seconds: Double, _ condition: () async throws -> Bool) async rethrows -> Bool {
    try await eventually(seconds: seconds, pollNanoseconds: 100_000_000, condition)
}

/// A small HTTP client for JSON requests (AsyncHTTPClient: FoundationNetworking's URLSession fails on
/// chromedriver's responses with "Failed writing header").
func http(_ method: String, _ url: String, json: Any? = nil, headers: [String: String] = [:]) async throws -> (Int, Data) {
    var request = HTTPClientRequest(url: url)
    request.method = .init(rawValue: method)
    for (name, value) in headers { request.headers.add(name: name, value: value) }
    if let json {
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json)))
        request.headers.add(name: "Content-Type", value: "application/json")
    }
    let response = try await HTTPClient.shared.execute(request, timeout: .seconds(60))
    let body = try await response.body.collect(upTo: 64 << 20)
    return (Int(response.status.code), Data(body.readableBytesView))
}

struct WebDriverError: Error, CustomStringConvertible {
    var description: String
}

/// A headless Chromium driven through chromedriver's W3C WebDriver HTTP API.
final class WebDriver: @unchecked Sendable {
    let base: String
    let log: URL
    private(set) var session = ""
    let profile = FileManager.default.temporaryDirectory.appendingPathComponent("roost-chromium-\(UUID().uuidString)")
    static let elementKey = "element-6066-11e4-a52e-4f735466cecf"

    init() async throws {
        let port = freePort()
        base = "http://127.0.0.1:\(port)"
        log = FileManager.default.temporaryDirectory.appendingPathComponent("roost-chromedriver-\(port).log")
        // In a new session, detached from the test process (started as its direct child, chromedriver stalls
        // before listening); stopped with its /shutdown endpoint.
        try spawnWithCleanSignals("/usr/bin/setsid", ["-f", Browser.driver!, "--port=\(port)"], output: log.path)
        var last = ""
        let ready = await waitUntil(20) {
            do {
                let (status, data) = try await http("GET", base + "/status")
                last = "\(status) \(String(decoding: data.prefix(300), as: UTF8.self))"
                return status == 200
            } catch {
                last = "\(error)"
                return false
            }
        }
        guard ready else {
            throw WebDriverError(description: "chromedriver did not answer: \(last); log: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
        }
        let capabilities: [String: Any] = ["capabilities": ["alwaysMatch": ["goog:chromeOptions": [
            "binary": Browser.chromium!,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--window-size=1280,800",
                     "--user-data-dir=\(profile.path)", "--no-first-run", "--disable-extensions"],
        ]]]]
        let value = try await command("POST", "/session", capabilities, sessionless: true)
        guard let id = (value as? [String: Any])?["sessionId"] as? String else { throw WebDriverError(description: "no session: \(value)") }
        session = id
    }

    @discardableResult
    func command(_ method: String, _ path: String, _ body: Any? = nil, sessionless: Bool = false) async throws -> Any {
        let url = base + (sessionless ? "" : "/session/\(session)") + path
        let (status, data) = try await http(method, url, json: body ?? (method == "POST" ? [String: Any]() : nil))
        let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        guard status == 200 else { throw WebDriverError(description: "\(method) \(path): \(status) \(String(decoding: data.prefix(500), as: UTF8.self))") }
        return object?["value"] ?? NSNull()
    }

    func go(_ url: String) async throws { try await command("POST", "/url", ["url": url]) }
    var url: String { get async throws { try await command("GET", "/url") as? String ?? "" } }

    func find(_ css: String) async throws -> String {
        let value = try await command("POST", "/element", ["using": "css selector", "value": css])
        guard let id = (value as? [String: Any])?[Self.elementKey] as? String else { throw WebDriverError(description: "no element \(css)") }
        return id
    }

    func exists(_ css: String) async -> Bool { (try? await find(css)) != nil }
    /// Runs `work` on the element `css` finds, finding it again if a live refresh replaced it in between.
    @discardableResult
    func onElement<T>(_ css: String, _ work: (String) async throws -> T) async throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            do {
                return try await work(try await find(css))
            } catch let error as WebDriverError where error.description.contains("stale element") && attempt < 5 {
                try await Task.sleep(nanoseconds: 100_000_000)
            }
        }
    }

    func click(_ css: String) async throws { try await onElement(css) { try await command("POST", "/element/\($0)/click") } }
    func type(_ css: String, _ text: String) async throws {
        try await onElement(css) { try await command("POST", "/element/\($0)/value", ["text": text]) }
    }
    func clear(_ css: String) async throws { try await onElement(css) { try await command("POST", "/element/\($0)/clear") } }
    func text(_ css: String) async throws -> String {
        try await onElement(css) { try await command("GET", "/element/\($0)/text") as? String ?? "" }
    }
    func attribute(_ css: String, _ name: String) async throws -> String? {
        try await onElement(css) { try await command("GET", "/element/\($0)/attribute/\(name)") as? String }
    }
    func property(_ css: String, _ name: String) async throws -> Any? {
        try await onElement(css) { id -> Any? in try await command("GET", "/element/\(id)/property/\(name)") }
    }
    func script(_ source: String) async throws -> Any { try await command("POST", "/execute/sync", ["script": source, "args": []]) }
    func resize(width: Int, height: Int) async throws { try await command("POST", "/window/rect", ["width": width, "height": height]) }

    /// Sends keys to the focused page (a keyboard shortcut).
    func keys(_ text: String) async throws {
        let actions: [[String: Any]] = text.flatMap { [["type": "keyDown", "value": String($0)], ["type": "keyUp", "value": String($0)]] }
        try await command("POST", "/actions", ["actions": [["type": "key", "id": "keyboard", "actions": actions]]])
    }

    /// Saves a PNG screenshot under ``Browser/screenshots``.
    func screenshot(_ name: String) async throws {
        let base64 = try await command("GET", "/screenshot") as? String ?? ""
        try FileManager.default.createDirectory(at: Browser.screenshots, withIntermediateDirectories: true)
        try Data(base64Encoded: base64)?.write(to: Browser.screenshots.appendingPathComponent("\(name).png"))
    }

    func quit() async {
        if !session.isEmpty { _ = try? await command("DELETE", "") }
        _ = try? await http("GET", base + "/shutdown")
        try? FileManager.default.removeItem(at: profile)
        try? FileManager.default.removeItem(at: log)
    }
}

/// Starts a program with an empty signal mask and default handlers. The test runner blocks most signals in its
/// threads and Foundation's `Process` passes that mask on; chromedriver then hangs before listening.
@discardableResult
func spawnWithCleanSignals(_ path: String, _ arguments: [String], output: String) throws -> pid_t {
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    var none = sigset_t(), all = sigset_t()
    sigemptyset(&none)
    sigfillset(&all)
    posix_spawnattr_setsigmask(&attributes, &none)
    posix_spawnattr_setsigdefault(&attributes, &all)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    var actions = posix_spawn_file_actions_t()
    posix_spawn_file_actions_init(&actions)
    defer { posix_spawn_file_actions_destroy(&actions) }
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
    posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
    posix_spawn_file_actions_adddup2(&actions, 1, 2)
    let argv: [UnsafeMutablePointer<CChar>?] = ([path] + arguments).map { strdup($0) } + [nil]
    defer { for pointer in argv { free(pointer) } }
    var pid = pid_t()
    let result = posix_spawn(&pid, path, &actions, &attributes, argv, environ)
    guard result == 0 else { throw WebDriverError(description: "cannot start \(path): error \(result)") }
    return pid
}
