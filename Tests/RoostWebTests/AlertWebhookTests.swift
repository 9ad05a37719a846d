import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
@testable import RoostNode
import Synchronization
import Testing

/// Alert webhooks (issue 13): a firing alert is POSTed as JSON; a failing hook is retried with doubling waits,
/// then given up with one log line.
@Suite struct AlertWebhookTests {
    final class Hook: Sendable {
        let failures: Int
        let bodies = Mutex<[Data]>([])
        init(failures: Int) { self.failures = failures }
    }

    static func receiver(_ hook: Hook) -> some ApplicationProtocol {
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            var request = request
            let body = try await request.collectBody(upTo: 1 << 16)
            let seen = hook.bodies.withLock { bodies in
                bodies.append(Data(body.readableBytesView))
                return bodies.count
            }
            return Response(status: seen <= hook.failures ? .internalServerError : .ok)
        }
        return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    }

    static let payload = AlertWatcher.Payload(alert: "Outage talk", kind: "volume", windowStartMs: 1_767_232_800_000,
                                              windowEndMs: 1_767_236_400_000, count: 40, total: nil, baseline: 3.3,
                                              sharePercent: nil, node: "NODE")

    @Test func aFailingHookIsRetriedUntilItAnswers() async throws {
        let hook = Hook(failures: 2)
        try await Self.receiver(hook).test(.live) { client in
            let port = try #require(client.port)
            let started = Date()
            await AlertWatcher.post(Self.payload, to: "http://127.0.0.1:\(port)/hook", logger: Logger(label: "test"), firstBackoffMillis: 20)
            let bodies = hook.bodies.withLock { $0 }
            #expect(bodies.count == 3, "two failures, then delivered")
            #expect(Date().timeIntervalSince(started) >= 0.055, "waited 20 + 40 ms between attempts")
            let json = try #require(try JSONSerialization.jsonObject(with: bodies[2]) as? [String: Any])
            #expect(json["alert"] as? String == "Outage talk" && json["count"] as? Int == 40 && json["windowStartMs"] as? Int == 1_767_232_800_000)
        }
    }

    @Test func aHookThatNeverAnswersIsGivenUpAfterItsAttempts() async throws {
        let hook = Hook(failures: 100)
        try await Self.receiver(hook).test(.live) { client in
            let port = try #require(client.port)
            await AlertWatcher.post(Self.payload, to: "http://127.0.0.1:\(port)/hook", logger: Logger(label: "test"), firstBackoffMillis: 5)
            #expect(hook.bodies.withLock { $0.count } == DeskAlertLimits.webhookAttempts)
        }
    }
}
