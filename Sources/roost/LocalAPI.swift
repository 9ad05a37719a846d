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

    /// Runs a long job on the node (an NDJSON stream of progress lines, then the result): progress goes to
    /// `progress`, the result's JSON is returned, an error line becomes its one-line message.
    func job(_ path: String, _ body: [String: Any], progress: ProgressReporter) async throws -> Data {
        var request = HTTPClientRequest(url: base + path)
        request.method = .POST
        request.headers.add(name: "Authorization", value: "Bearer " + token)
        request.headers.add(name: "Content-Type", value: "application/json")
        request.body = .bytes(ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: body)))
        let response: HTTPClientResponse
        do {
            response = try await HTTPClient.shared.execute(request, timeout: .hours(24))
        } catch {
            throw CLIError("the running node (roost run) did not answer at \(base): \(error)")
        }
        guard (200..<300).contains(response.status.code) else {
            let bytes = (try? await response.body.collect(upTo: Self.maxResponseBytes)) ?? ByteBuffer()
            let object = (try? JSONSerialization.jsonObject(with: Data(bytes.readableBytesView))) as? [String: Any] ?? [:]
            throw CLIError((object["error"] as? [String: Any])?["message"] as? String ?? "HTTP \(response.status.code)")
        }
        var pending = Data()
        do {
            for try await chunk in response.body {
                pending.append(contentsOf: chunk.readableBytesView)
                guard pending.count <= Self.maxResponseBytes else { throw CLIError("the running node sent an over-long job line") }
                while let newline = pending.firstIndex(of: 0x0A) {
                    let line = pending[pending.startIndex..<newline]
                    pending = Data(pending[(newline + 1)...])
                    guard let object = (try? JSONSerialization.jsonObject(with: line)) as? [String: Any] else { continue }
                    if let step = object["progress"] as? [String: Any], let done = step["done"] as? Int, let total = step["total"] as? Int {
                        progress.setTotal(total)
                        if done < total { progress.update(done) } else { progress.finish(done) }
                    } else if let result = object["result"] {
                        return try JSONSerialization.data(withJSONObject: result)
                    } else if let failure = object["error"] as? [String: Any] {
                        throw CLIError(failure["message"] as? String ?? "the job failed")
                    }
                }
            }
        } catch let error as CLIError {
            throw error
        } catch {
            throw CLIError("the running node (roost run) stopped answering during the job: \(error)")
        }
        throw CLIError("the running node (roost run) ended the job without a result; see its log")
    }

    /// The member path segment of a typed member.
    static func member(_ typed: String) -> String {
        "/team/members/" + (typed.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? typed)
    }

    /// An absolute path for a file the node reads (it may run in another directory).
    static func absolute(_ path: String) -> String { URL(fileURLWithPath: path).standardizedFileURL.path }

    /// The ticket path segment of a typed ticket.
    static func ticket(_ typed: String) -> String {
        "/tickets/" + (typed.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? typed)
    }
}
