import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import RoostTestSupport

/// `roost run`'s web server as a user meets it: the warning for a public address, and a taken port.
@Suite(.serialized) struct RunCommandTests {
    func log(_ node: RunningNode) -> String {
        (try? String(contentsOf: node.home.appendingPathComponent("run.log"), encoding: .utf8)) ?? ""
    }

    func stopAndStatus(_ node: RunningNode) -> Int32 {
        guard let pid = node.pid else { return -1 }
        kill(pid, SIGINT)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        node.pid = nil
        return status
    }

    @Test func aNonLoopbackAddressWorksWithAWarning() async throws {
        let node = try RunningNode(name: "Ana Lopez", initials: "AL")
        defer { node.stop() }
        try node.setConfig(["api": "0.0.0.0:\(node.apiPort)"])
        try await node.start()
        #expect(log(node).contains("non-loopback address"))
        #expect(!log(node).contains(try node.token), "the token is never logged")
        #expect(stopAndStatus(node) == 0)
    }

    @Test func aTakenPortLogsAnErrorAndTheNodeKeepsRunning() async throws {
        let node = try RunningNode(name: "Ana Lopez", initials: "AL")
        defer { node.stop() }
        // Someone else listens on the API port.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(node.apiPort).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        #expect(bound == 0 && listen(fd, 1) == 0)
        node.pid = try spawnWithCleanSignals(roostBinary.path, ["run", "--home", node.home.path],
                                             output: node.home.appendingPathComponent("run.log").path)
        #expect(await waitUntil(20) { log(node).contains("the web app could not start") })
        try await Task.sleep(nanoseconds: 500_000_000)
        #expect(kill(node.pid!, 0) == 0, "roost run should keep running (and syncing) without the web app")
        #expect(stopAndStatus(node) == 0)
    }
}
