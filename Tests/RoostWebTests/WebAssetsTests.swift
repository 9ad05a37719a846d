import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import RoostTestSupport
import Testing

/// The style sheet and script are the files in Sources/RoostWeb/Assets, served from the binary with an entity tag:
/// a browser holding the current version gets 304 and no body.
@Suite struct WebAssetsTests {
    static let assets = repositoryRoot.appendingPathComponent("Sources/RoostWeb/Assets")

    @Test(arguments: [("app.css", "text/css; charset=utf-8"), ("app.js", "text/javascript; charset=utf-8")])
    func assetsAreTheFilesAndRevalidateByETag(name: String, type: String) async throws {
        let f = try WebFixture(sample: false)
        defer { f.cleanup() }
        let file = try Data(contentsOf: Self.assets.appendingPathComponent(name))
        try await f.application().test(.router) { client in
            let etag = try await client.execute(uri: "/assets/\(name)", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == type)
                #expect(response.headers[.cacheControl] == "no-cache")
                #expect(Data(response.body.readableBytesView) == file, "served bytes differ from Sources/RoostWeb/Assets/\(name)")
                return try #require(response.headers[.eTag])
            }
            #expect(etag.hasPrefix("\"") && etag.hasSuffix("\"") && etag.count == 34)
            try await client.execute(uri: "/assets/\(name)", method: .get, headers: [.ifNoneMatch: etag]) { response in
                #expect(response.status == .notModified)
                #expect(response.body.readableBytes == 0)
            }
            try await client.execute(uri: "/assets/\(name)", method: .get, headers: [.ifNoneMatch: "\"0000\", \(etag)"]) { response in
                #expect(response.status == .notModified)
            }
            try await client.execute(uri: "/assets/\(name)", method: .get, headers: [.ifNoneMatch: "\"stale\""]) { response in
                #expect(response.status == .ok)
                #expect(Data(response.body.readableBytesView) == file)
            }
        }
    }
}
