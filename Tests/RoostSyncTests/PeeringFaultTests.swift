import Foundation
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RoostTestSupport
import Testing
import RoostCore
import RoostCrypto
import RoostStore
@testable import RoostSync

/// Real TCP on 127.0.0.1 under faults: a partition with concurrent claims, and hostile bytes (a flipped
/// bit in a frame, an oversized length prefix, a truncated stream, garbage) refused while the node goes
/// on serving its other peers.
@Suite(.serialized) struct PeeringFaultTests {
    @Test func concurrentClaimsDuringAPartitionEndWithOneHolderAndAVisibleConflict() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let key = NetworkKey.generate()
        let a = try TCPNode(seed: 1, networkKey: key, group: group)
        let b = try TCPNode(seed: 2, networkKey: key, group: group)
        let ticket = EntityRef("ticket", "p42")
        try a.append([.set(entity: ticket, field: "status", value: .string("new"))])
        var port = try await b.listen()
        try a.dial(b, port: port)
        #expect(try await eventually { try a.store.stateHash() == b.store.stateHash() })

        // The link is cut; each side claims the same ticket, unaware of the other.
        try await a.restart()
        try await b.restart()
        try a.claim(ticket)
        try await Task.sleep(nanoseconds: 5_000_000)
        try b.claim(ticket)
        #expect(try a.store.state.claim(on: ticket)?.holder == a.author.id)
        #expect(try b.store.state.claim(on: ticket)?.holder == b.author.id)

        // Healed: one holder everywhere (A claimed first), and B sees that its claim lost.
        port = try await b.listen()
        try a.dial(b, port: port)
        #expect(try await eventually { try a.store.stateHash() == b.store.stateHash() })
        #expect(try a.store.state.claim(on: ticket)?.holder == a.author.id)
        #expect(try b.store.state.claim(on: ticket)?.holder == a.author.id)
        let conflicts = try b.store.state.claimConflicts(on: ticket)
        #expect(conflicts.count == 1)
        #expect(conflicts.first?.loser.author == b.author.id && conflicts.first?.reason == .concurrent)
        await a.service.shutdown(); await b.service.shutdown()
        try await group.shutdownGracefully()
    }

    @Test func hostileBytesAreRefusedWhileOtherPeersAreServed() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let key = NetworkKey.generate()
        let a = try TCPNode(seed: 1, networkKey: key, group: group)
        let b = try TCPNode(seed: 2, networkKey: key, group: group)
        let c = try TCPNode(seed: 3, networkKey: key, group: group)
        let port = try await a.listen()

        // B reaches A through a proxy that flips one bit of the encrypted stream B sends, past its
        // handshake messages (M1 and M3, 182 bytes with their prefixes) and inside its first frames.
        let proxy = try await TamperingProxy.start(group: group, target: port, flipClientByteAt: 300)
        try b.append([.tagAdd(entity: EntityRef("ticket", "tampered"), tag: "x")])
        b.service.dial(try PeerAddress(parsing: "\(a.author.id.text)@127.0.0.1:\(proxy.port)"))
        // Garbage, an oversized length prefix and a stream cut after a few bytes, straight at A.
        for bytes: [UInt8] in [Array(repeating: 0xAB, count: 300), [0xFF, 0xFF, 0xFF, 0xFF] + Array(repeating: 0, count: 66), [0x52, 0x4F]] {
            try await RawClient.send(bytes, to: port, group: group)
        }
        // Meanwhile C syncs with A as if nothing happened.
        try c.dial(a, port: port)
        try c.append([.tagAdd(entity: EntityRef("ticket", "fine"), tag: "ok")])
        #expect(try await eventually { try a.store.state.tags(of: EntityRef("ticket", "fine")) == ["ok"] })
        try await Task.sleep(nanoseconds: 500_000_000)
        #expect(proxy.flipped.withLockedValue { $0 }, "the proxy altered a frame")
        #expect(try a.store.state.tags(of: EntityRef("ticket", "tampered")).isEmpty)
        await a.service.shutdown(); await b.service.shutdown(); await c.service.shutdown()
        try await proxy.channel.close()
        try await group.shutdownGracefully()
    }
}

/// Connects, writes `bytes`, and closes after a moment (a peer that speaks nonsense, or stops mid-way).
enum RawClient {
    static func send(_ bytes: [UInt8], to port: Int, group: any EventLoopGroup) async throws {
        let channel = try await ClientBootstrap(group: group).connect(host: "127.0.0.1", port: port).get()
        try await channel.writeAndFlush(channel.allocator.buffer(bytes: bytes)).get()
        try await Task.sleep(nanoseconds: 100_000_000)
        try? await channel.close()
    }
}

/// A TCP proxy to 127.0.0.1:`target` that flips the lowest bit of the client's byte at one offset.
final class TamperingProxy: @unchecked Sendable {
    let channel: any Channel
    let port: Int
    let flipped = NIOLockedValueBox(false)

    private init(channel: any Channel, port: Int) {
        self.channel = channel
        self.port = port
    }

    static func start(group: any EventLoopGroup, target: Int, flipClientByteAt offset: Int) async throws -> TamperingProxy {
        let box = NIOLockedValueBox<TamperingProxy?>(nil)
        let server = try await ServerBootstrap(group: group)
            .childChannelInitializer { inbound in
                let flipped = box.withLockedValue { $0!.flipped }
                return ClientBootstrap(group: inbound.eventLoop)
                    .connect(host: "127.0.0.1", port: target)
                    .flatMap { outbound in
                        let toServer = Forwarder(peer: outbound, flipAt: offset, flipped: flipped)
                        let toClient = Forwarder(peer: inbound, flipAt: nil, flipped: flipped)
                        return outbound.pipeline.addHandler(toClient).flatMap { inbound.pipeline.addHandler(toServer) }
                    }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let proxy = TamperingProxy(channel: server, port: server.localAddress!.port!)
        box.withLockedValue { $0 = proxy }
        return proxy
    }

    /// Writes what it reads to `peer`, flipping one byte of the stream when `flipAt` is set.
    final class Forwarder: ChannelInboundHandler, @unchecked Sendable {
        typealias InboundIn = ByteBuffer
        let peer: any Channel
        let flipAt: Int?
        let flipped: NIOLockedValueBox<Bool>
        var seen = 0

        init(peer: any Channel, flipAt: Int?, flipped: NIOLockedValueBox<Bool>) {
            self.peer = peer; self.flipAt = flipAt; self.flipped = flipped
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            var buffer = unwrapInboundIn(data)
            if let flipAt, flipAt >= seen, flipAt < seen + buffer.readableBytes {
                let index = buffer.readerIndex + flipAt - seen
                buffer.setInteger(buffer.getInteger(at: index, as: UInt8.self)! ^ 1, at: index)
                flipped.withLockedValue { $0 = true }
            }
            seen += buffer.readableBytes
            peer.writeAndFlush(buffer, promise: nil)
        }

        func channelInactive(context: ChannelHandlerContext) { peer.close(promise: nil) }
    }
}
