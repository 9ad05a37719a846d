import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A TCP port on 127.0.0.1 that nobody listens on right now.
///
/// A random port below Linux's ephemeral range (32768-60999) that binds now: a port the kernel handed out (bind to
/// 0, then closed) can be handed to another test's socket before the node binds it, and a full run with many
/// loopback connections did that (a node listening on another test's port, its peer never synced).
/// A port is never handed out twice in one test process: ports picked before anything binds them (a team's three
/// daemons, each with a peer and an API port) could otherwise collide, and one daemon then failed with "Address
/// already in use" in a full run (2026-12-04).
public func freePort() -> Int {
    for _ in 0..<200 {
        let port = Int.random(in: 20_000..<32_000)
        guard handedOut.withLock({ $0.insert(port).inserted }) else { continue }
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        close(fd)
        if bound == 0 { return port }
    }
    fatalError("no free port in 20000..<32000")
}

private let handedOut = Mutex<Set<Int>>([])
