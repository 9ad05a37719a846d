import FakeXServer
import Foundation
import RoostCore
import RoostNode
import RoostTwitter
import Testing

/// `GET /2/users/by/username/:username` in the client, `roost x lookup` and `roost gateway assign --handle`.
@Suite(.serialized) struct GatewayLookupTests {
    @Test func clientResolvesAHandleInAnyCaseAndSaysWhenXHasNone() async throws {
        let fake = try await FakeX.start()
        defer { Task { await fake.server.stop() } }
        await fake.state.add(customer(7))
        let client = try fake.client()

        let found = try await client.user(username: "@CUSTOMER7")
        #expect(found?.id == customer(7).id)
        #expect(found?.username == "customer7")
        let brandUser = try await client.user(username: "acmecare")
        #expect(brandUser?.id == brand.id)
        #expect(try await client.user(username: "nobody_here") == nil)
        await #expect(throws: XAPIError.self) { try await client.user(username: "not a handle!") }
        await #expect(throws: XAPIError.self) { try await client.user(username: "@sixteen_chars_xx") }
        let asked = await fake.state.requests.filter { $0.contains("/2/users/by/username/") }
        #expect(asked.count == 3)  // the invalid handles never reach X
    }

    @Test func roostXLookupAndAssignByHandleGoThroughTheGatewaySettings() async throws {
        let fake = try await FakeX.start()
        defer { Task { await fake.server.stop() } }
        await fake.state.add(customer(3))
        let node = try GatewayTestNode(name: "Ana Lopez", initials: "AL")
        defer { node.cleanup() }
        let cli = RoostCLI(home: node.home)

        // No token yet: lookup fails with one line; assign without an id still asks for --x-user-id.
        let noToken = try await cli.runOffPool(["x", "lookup", "@customer3"])
        #expect(noToken.status != 0 && noToken.stderr.contains("X credentials"), "\(noToken.stderr)")
        let noID = try await cli.runOffPool(["gateway", "assign", "--handle", "@acmecare", "--member", "Ana Lopez"])
        #expect(noID.status != 0 && noID.stderr.contains("--x-user-id"), "\(noID.stderr)")

        let tokenFile = node.home.appendingPathComponent("token").path
        FileManager.default.createFile(atPath: tokenFile, contents: Data(token.utf8), attributes: [.posixPermissions: 0o600])
        #expect(try await cli.runOffPool(["gateway", "configure", "--base-url", fake.server.baseURL, "--token-file", tokenFile]).status == 0)

        let looked = try await cli.runOffPool(["x", "lookup", "@customer3"])
        #expect(looked.status == 0, "\(looked.stderr)")
        #expect(looked.stdout == "@customer3: X user \(customer(3).id) (\(customer(3).name))\n")
        let json = try await cli.runOffPool(["x", "lookup", "customer3", "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: String]
        #expect(object?["x_user_id"] == customer(3).id)
        let missing = try await cli.runOffPool(["x", "lookup", "@nobody_here"])
        #expect(missing.status != 0 && missing.stderr.contains("X has no user @nobody_here"), "\(missing.stderr)")
        #expect(!missing.stderr.contains(token))

        let assigned = try await cli.runOffPool(["gateway", "assign", "--handle", "@AcmeCare", "--member", "Ana Lopez"])
        #expect(assigned.status == 0, "\(assigned.stderr)")
        #expect(assigned.stdout == "@AcmeCare (X user \(brand.id)): gateway is now Ana Lopez\n")
        #expect(try node.desk(at: realNow()).gatewayHandles().map(\.userID) == [brand.id])
        let both = try await cli.runOffPool(["gateway", "assign", "acmecare", "--handle", "acmecare", "--member", "Ana Lopez"])
        #expect(both.status != 0)
    }
}
