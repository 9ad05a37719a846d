import HTTPTypes
import Hummingbird
import NIOCore
import RoostCore
import RoostCrypto

/// The style sheet and the script of the web app. They are files (`Sources/RoostWeb/Assets/`), embedded in the
/// binary when it is built (SwiftPM's `.embedInCode`): nothing from a CDN and nothing to install beside `roost`.
enum WebAssets {
    /// One embedded file, with its content type and entity tag.
    struct Asset: Sendable {
        let bytes: [UInt8]
        let contentType: String
        /// A strong validator: the first 16 bytes of the content's BLAKE2b-256, quoted.
        let etag: String

        init(_ bytes: [UInt8], contentType: String) {
            self.bytes = bytes
            self.contentType = contentType
            etag = "\"" + Hex.encode(Blake2b.hash256(bytes).prefix(16)) + "\""
        }

        /// The file, or 304 when the browser already holds this version (`If-None-Match`). `no-cache` makes the
        /// browser ask each time, so a new binary's assets are used at once.
        func response(to request: Request) -> Response {
            var headers: HTTPFields = [.contentType: contentType, .cacheControl: "no-cache", .eTag: etag,
                                       HTTPField.Name("X-Content-Type-Options")!: "nosniff"]
            if let held = request.headers[.ifNoneMatch], held.split(separator: ",").contains(where: {
                $0.trimmingCharacters(in: .whitespaces) == etag
            }) {
                headers[.contentType] = nil
                return Response(status: .notModified, headers: headers)
            }
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }

    /// `Assets/app.css`: system fonts, AA contrast, a two-column layout that stacks on narrow windows.
    static let css = Asset(PackageResources.app_css, contentType: "text/css; charset=utf-8")
    /// `Assets/app.js`: live updates over server-sent events, keyboard shortcuts, API actions, the composer's live
    /// count (computed by the server with the same rules as sending), presence and SLA clocks.
    static let js = Asset(PackageResources.app_js, contentType: "text/javascript; charset=utf-8")
}
