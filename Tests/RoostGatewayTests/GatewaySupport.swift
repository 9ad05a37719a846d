import FakeXServer
import Foundation
import Logging
import RoostCore
import RoostNode
import RoostStore
import RoostTwitter

/// A node in a temporary home.
struct GatewayTestNode {
    let node: Node
    let home: URL

    init(name: String, initials: String) throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("roost-gw-\(UUID().uuidString)")
        node = try NodeHome(path: home.path).initialize(config: NodeConfig(name: name, initials: initials))
        try desk(at: realNow()).publishProfile()
    }

    func desk(at millis: UInt64) -> DeskService { DeskService(node: node, clock: FixedClock(millis: millis)) }

    /// Delivers everything `others` have that this node lacks.
    func pull(from others: GatewayTestNode...) throws {
        for other in others {
            try node.store.apply(try other.node.store.batch(after: try node.store.versionVector()),
                                 clock: FixedClock(millis: realNow() + 3_600_000))
        }
    }

    func cleanup() { try? FileManager.default.removeItem(at: home) }
}

func realNow() -> UInt64 { UInt64(Date().timeIntervalSince1970 * 1000) }

/// Records every wait the client asks for and returns at once.
actor WaitLog {
    var waits: [UInt64] = []
    func add(_ millis: UInt64) { waits.append(millis) }
}

struct RecordingSleeper: XSleeper {
    let log = WaitLog()
    func sleep(millis: UInt64) async throws { await log.add(millis) }
}

/// Always the low end of the jitter range: deterministic backoff.
struct LowJitter: XJitter {
    func pick(_ range: ClosedRange<UInt64>) -> UInt64 { range.lowerBound }
}

let brand = FakeUser(id: "1000000001", username: "acmecare", name: "Acme Care", verified: true, followers: 90_000)
let token = "test-token-never-logged"

/// A fake X server plus a client for the brand, with a recording sleeper.
struct FakeX {
    let server: RunningFakeX
    let sleeper = RecordingSleeper()
    var state: FakeXState { server.state }

    static func start(pageSize: Int = 3) async throws -> FakeX {
        FakeX(server: try await RunningFakeX.start(state: FakeXState(brand: brand, token: token, pageSize: pageSize)))
    }

    func client() throws -> XAPIClient {
        // A long request timeout: this fake answers on the test process's cooperative pool, which a loaded full run
        // (2 cores) starved for minutes, so a request timed out and was asked again (one request too many).
        var limits = XAPILimits.standard
        limits.requestTimeoutSeconds = 600
        return try XAPIClient(baseURL: server.baseURL, userID: brand.id, token: token, limits: limits, clock: SystemClock(),
                              sleeper: sleeper, jitter: LowJitter())
    }

    func gateway(_ node: GatewayTestNode, at millis: UInt64 = realNow(), hooks: GatewayHooks = .none) throws -> XGateway {
        XGateway(desk: node.desk(at: millis), userID: brand.id, client: try client(), hooks: hooks)
    }
}

struct SimulatedCrash: Error {}

func customer(_ n: Int) -> FakeUser {
    FakeUser(id: String(2_000_000_000 + n), username: "customer\(n)", name: "Customer \(n)", followers: 10 * n)
}
