public import Logging
public import ServiceLifecycle

/// A fake X server running in this process until ``stop()``.
public struct RunningFakeX: Sendable {
    /// Its state.
    public let state: FakeXState
    /// The port it listens on (127.0.0.1).
    public let port: Int
    /// `http://127.0.0.1:<port>`: the base URL to give the client.
    public var baseURL: String { "http://127.0.0.1:\(port)" }
    let group: ServiceGroup
    let task: Task<Void, any Error>

    /// Starts a server over `state` on `port` (0: any free port).
    public static func start(state: FakeXState, host: String = "127.0.0.1", port: Int = 0,
                             logger: Logger = Logger(label: "fake-x")) async throws -> RunningFakeX {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        let app = FakeXServer(state: state).application(host: host, port: port, logger: logger) { port in
            continuation.yield(port)
            continuation.finish()
        }
        let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: logger)
        let task = Task { try await group.run() }
        var bound: Int?
        for await value in ports { bound = value }
        guard let bound else {
            task.cancel()
            throw CancellationError()
        }
        return RunningFakeX(state: state, port: bound, group: group, task: task)
    }

    /// Stops the server and waits for it.
    public func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }
}
