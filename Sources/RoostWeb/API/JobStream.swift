import Foundation
import Hummingbird
import Logging
import NIOCore
import RoostNode

/// A long job answered as a stream of JSON lines (`application/x-ndjson`): `{"progress":{"done":N,"total":T}}`
/// at most every ``WebLimits/jobProgressIntervalMillis``, then one `{"result":{...}}` or `{"error":{"message":"..."}}`.
/// The job runs on a thread of its own (store work is synchronous) and completes even if the client goes away.
enum JobStream {
    struct Progress: Encodable { var done: Int; var total: Int }
    struct Failure: Encodable { var message: String }
    struct Line<Result: Encodable>: Encodable {
        var progress: Progress?
        var result: Result?
        var error: Failure?
    }

    static func encode(_ line: some Encodable) -> ByteBuffer {
        var data = JSON.data(line)
        data.append(0x0A)
        return ByteBuffer(bytes: data)
    }

    static func response<Result: Encodable & Sendable>(
        logger: Logger, _ work: @escaping @Sendable (_ progress: @escaping (Int, Int) -> Void) throws -> Result
    ) -> Response {
        let (stream, continuation) = AsyncStream<ByteBuffer>.makeStream(bufferingPolicy: .bufferingNewest(WebLimits.jobBufferedLines))
        Thread.detachNewThread {
            var lastMillis: UInt64 = 0
            let progress: (Int, Int) -> Void = { done, total in
                let now = SystemClock().nowMillis()
                guard done >= total || now >= lastMillis + WebLimits.jobProgressIntervalMillis else { return }
                lastMillis = now
                continuation.yield(encode(Line<Result>(progress: Progress(done: done, total: total))))
            }
            do {
                let result = try work(progress)
                continuation.yield(encode(Line(result: result)))
            } catch {
                let message: String
                switch error {
                case let error as DeskError: message = error.description
                case let error as NodeError: message = error.description
                case let error as WebError: message = error.message
                default:
                    logger.error("job failed", metadata: ["error": "\(type(of: error))"])
                    message = "the job failed; see the node's log"
                }
                continuation.yield(encode(Line<Result>(error: Failure(message: message))))
            }
            continuation.finish()
        }
        return Response(status: .ok, headers: [.contentType: "application/x-ndjson", .cacheControl: "no-store"],
                        body: ResponseBody(asyncSequence: stream))
    }
}
