import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import RoostNode

/// The local JSON API of a `roost run` serving this home: while the node runs, desk commands go through it
/// (the node is the one writer of its store), otherwise they open the store directly.
struct LocalAPI {
    let base: String
    let token: String

    /// Seconds a CLI request may take before it fails.
    static let timeoutSeconds: Int64 = 30
    /// Largest answer read (bytes).
    static let maxResponseBytes = 4 << 20

    /// The running node's API for `global`'s home, or nil when no node runs there (then use the store).
    static func attach(_ global: GlobalOptions) throws -> LocalAPI? {
        let home = NodeHome.resolve(option: global.home)
        guard let file = NodeAPIFile.live(home) else { return nil }
        let token = try withNodeErrors { try APIToken.ensure(in: home) }
        return LocalAPI(base: "http://" + file.address + "/api/v1", token: token.text)
    }

    /// Sends a request and returns the JSON object answered; an API error becomes its one-line message.
    func send(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: base + path)
        request.method = HTTPMethod(rawValue: method)
        request.headers.add(name: "Authorization", value: "Bearer " + token)
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        }
        let response: HTTPClientResponse
        let bytes: ByteBuffer
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .seconds(Self.timeoutSeconds))
            bytes = try await response.body.collect(upTo: Self.maxResponseBytes)
        } catch {
            throw CLIError("the running node (roost run) did not answer at \(base): \(error)")
        }
        let object = (try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))) as? [String: Any] ?? [:]
        guard (200..<300).contains(response.status.code) else {
            let message = (object["error"] as? [String: Any])?["message"] as? String ?? "HTTP \(response.status.code)"
            throw CLIError(message)
        }
        return object
    }

    /// The ticket path segment of a typed ticket.
    static func ticket(_ typed: String) -> String {
        "/tickets/" + (typed.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? typed)
    }
}
