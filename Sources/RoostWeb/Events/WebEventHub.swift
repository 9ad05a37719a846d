import Foundation
public import Logging
import NIOConcurrencyHelpers
import RoostCore
public import RoostNode
import RoostStore
import RoostSync
public import ServiceLifecycle

/// Watches the node's store for new ops (every ``WebLimits/storePollMillis``) and the peers file for peers
/// going up or down, and fans what changed out to every open event stream. Ops from peers and from other
/// processes (the CLI) are seen alike, because it watches the store, not the code paths that write it.
public final class WebEventHub: Service, Sendable {
    let node: Node
    let logger: Logger
    private let subscribers = NIOLockedValueBox<(next: Int, streams: [Int: AsyncStream<WebEvent>.Continuation], closed: Bool)>(
        (0, [:], false))

    private let watching = NIOLockedValueBox(false)

    /// True once the watcher has taken its first look at the store: ops after this become events.
    public var isWatching: Bool { watching.withLockedValue { $0 } }

    /// A hub for `node`.
    public init(node: Node, logger: Logger) {
        self.node = node
        self.logger = logger
    }

    /// A new stream of events; it ends when the hub stops or the consumer goes away.
    public func subscribe() -> AsyncStream<WebEvent> {
        let (stream, continuation) = AsyncStream.makeStream(of: WebEvent.self,
                                                              bufferingPolicy: .bufferingNewest(WebLimits.subscriberBuffer))
        let id: Int? = subscribers.withLockedValue { state in
            guard !state.closed else { return nil }
            state.next += 1
            state.streams[state.next] = continuation
            return state.next
        }
        guard let id else {
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.subscribers.withLockedValue { $0.streams.removeValue(forKey: id) }
        }
        return stream
    }

    /// Number of open streams.
    public var subscriberCount: Int { subscribers.withLockedValue { $0.streams.count } }

    /// Sends an event to every stream.
    public func publish(_ event: WebEvent) {
        let streams = subscribers.withLockedValue { Array($0.streams.values) }
        for stream in streams { stream.yield(event) }
    }

    /// Ends every stream (graceful shutdown: open pages stop listening, so the server can close).
    public func close() {
        let streams = subscribers.withLockedValue { state in
            state.closed = true
            defer { state.streams = [:] }
            return Array(state.streams.values)
        }
        for stream in streams { stream.finish() }
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await watch()
        } onGracefulShutdown: {
            self.close()
        }
        close()
    }

    private func watch() async {
        let desk = DeskService(node: node)
        var vector = (try? node.versionVector()) ?? VersionVector()
        var conflicts = Set((try? node.claimConflicts())?.map(\.loser) ?? [])
        var connected = Self.connectedPeers(node.home)
        var names: [AuthorID: String] = [:]
        var sincePeerCheck: UInt64 = 0
        watching.withLockedValue { $0 = true }
        defer { watching.withLockedValue { $0 = false } }
        func name(_ id: AuthorID) -> String {
            if let known = names[id] { return known }
            let found = (try? desk.memberName(id)) ?? id.short
            names[id] = found
            return found
        }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            try? await Task.sleep(nanoseconds: WebLimits.storePollMillis * 1_000_000)
            if let current = try? node.versionVector(), current != vector {
                describeOps(after: vector, name: name)
                vector = current
                if let now = try? node.claimConflicts() {
                    for conflict in now where !conflicts.contains(conflict.loser) {
                        publish(WebEvent(kind: .conflict, ticket: conflict.entity.key, by: name(conflict.loser.author),
                                         local: conflict.loser.author == node.id, detail: conflict.reason.rawValue))
                    }
                    conflicts = Set(now.map(\.loser))
                }
            }
            sincePeerCheck += WebLimits.storePollMillis
            if sincePeerCheck >= WebLimits.peerPollMillis {
                sincePeerCheck = 0
                let now = Self.connectedPeers(node.home)
                for peer in now.subtracting(connected) { publish(peerEvent(peer, up: true, name: name)) }
                for peer in connected.subtracting(now) { publish(peerEvent(peer, up: false, name: name)) }
                connected = now
            }
        }
    }

    private func describeOps(after vector: VersionVector, name: (AuthorID) -> String) {
        let read: [HeldOp]?
        do { read = try node.ops(after: vector, limit: WebLimits.maxOpsPerPoll) } catch { return }
        guard let ops = read else {
            publish(WebEvent(kind: .other, local: false, detail: "bulk"))
            return
        }
        for op in ops {
            guard let body = op.body else { continue }
            if let event = WebEvent.describe(body, author: name(op.ref.author), local: op.ref.author == node.id) {
                publish(event)
            }
        }
    }

    private func peerEvent(_ peer: String, up: Bool, name: (AuthorID) -> String) -> WebEvent {
        let label = (try? AuthorID(text: peer)).map(name) ?? String(peer.prefix(7))
        return WebEvent(kind: .peer, by: label, local: false, detail: up ? "up" : "down")
    }

    /// Node ids of the peers `roost run` last reported connected (none when the file is stale).
    static func connectedPeers(_ home: NodeHome) -> Set<String> {
        guard let file = PeersFile.load(home), SystemClock().nowMillis() &- file.writtenMillis < 5_000 else { return [] }
        return Set(file.peers.filter(\.connected).map(\.node))
    }
}
