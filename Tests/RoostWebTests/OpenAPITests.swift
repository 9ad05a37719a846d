import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
@testable import RoostWeb

@Suite struct OpenAPITests {
    /// `METHOD /path/{param}` for every operation in Protocol/openapi.yaml.
    static func documentedOperations() throws -> Set<String> {
        let text = try String(contentsOf: repositoryRoot.appendingPathComponent("Protocol/openapi.yaml"), encoding: .utf8)
        var operations = Set<String>()
        var inPaths = false
        var path: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            guard inPaths else { continue }
            if !line.hasPrefix(" ") && !line.isEmpty { inPaths = false; continue }
            if line.hasPrefix("  /") && line.hasSuffix(":") && !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let method = line.trimmingCharacters(in: .whitespaces).dropLast()
                if ["get", "post", "put", "delete", "patch"].contains(String(method)) {
                    operations.insert("\(method.uppercased()) \(path)")
                }
            }
        }
        return operations
    }

    /// The router's routes in OpenAPI notation (`:key` -> `{key}`).
    static func registeredOperations() -> Set<String> {
        Set(WebAPI.routes.map { route in
            let path = route.path.split(separator: "/", omittingEmptySubsequences: false).map { part in
                part.hasPrefix(":") ? "{\(part.dropFirst())}" : String(part)
            }.joined(separator: "/")
            return "\(route.method.rawValue) \(path)"
        })
    }

    @Test func theOpenAPIFileDocumentsExactlyTheRegisteredRoutes() throws {
        let documented = try Self.documentedOperations()
        let registered = Self.registeredOperations()
        #expect(documented.count >= 25)
        #expect(documented.subtracting(registered).isEmpty, "documented but not registered: \(documented.subtracting(registered).sorted())")
        #expect(registered.subtracting(documented).isEmpty, "registered but not documented: \(registered.subtracting(documented).sorted())")
    }

    @Test func everyDocumentedRouteIsServedByTheRouter() async throws {
        let f = try WebFixture()
        defer { f.cleanup() }
        let documented = try Self.documentedOperations()
        try await f.application().test(.live) { client in
            for operation in documented.sorted() where !operation.hasSuffix("/events") {
                let parts = operation.split(separator: " ")
                let method = HTTPRequest.Method(String(parts[0]))!
                let uri = String(parts[1]).replacingOccurrences(of: "{key}", with: "p424242")
                    .replacingOccurrences(of: "{handle}", with: "nobody").replacingOccurrences(of: "{tag}", with: "t").replacingOccurrences(of: "{member}", with: "nobody")
                // A route the router does not know answers 404 with an empty body; ours answer JSON.
                try await client.execute(uri: uri, method: method, headers: f.bearer, body: ByteBuffer(string: "{}")) { response in
                    // A job that can start from an empty body (reindex) answers its NDJSON stream.
                    let type = response.headers[.contentType] ?? ""
                    #expect(type.hasPrefix("application/json") || (operation.contains("/jobs/") && type.hasPrefix("application/x-ndjson")),
                            "\(operation): \(response.status)")
                    #expect(response.body.readableBytes > 0, "\(operation)")
                }
            }
            // An undocumented path is not served.
            try await client.execute(uri: "/api/v1/nothing", method: .get, headers: f.bearer) { response in
                #expect(response.status == .notFound)
            }
        }
    }
}
