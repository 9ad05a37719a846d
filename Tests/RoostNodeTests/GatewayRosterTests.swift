import Foundation
import Testing
import RoostCore
import RoostNode
import RoostStore

/// The gateway of a handle is whoever an admin assigned, while that member holds a gateway-capable role.
@Suite(.serialized) struct GatewayRosterTests {
    @Test func onlyAnAdminsAssignmentOfACurrentGatewayMemberCounts() throws {
        let homes = try BundleTests.Homes()
        defer { homes.cleanup() }
        let (ana, kenji) = (homes.ana, homes.kenji)
        let sync = homes.sync
        try sync()
        // Kenji (an agent) cannot assign, and an assignment op he writes himself does not count.
        #expect(throws: DeskError.self) {
            try DeskService(node: kenji).assignGateway(username: "acmecare", xUserID: "42", member: kenji.id.text)
        }
        _ = try kenji.append([
            .makeInsert(EntityRef("handle", "42"), [Field("username", .string("acmecare"))]),
            .set(entity: EntityRef("handle", "42"), field: "gateway", value: .string(kenji.id.text)),
        ])
        var handle = try DeskService(node: kenji).gatewayHandle("acmecare")
        #expect(handle.gateway == kenji.id.text)
        #expect(try !DeskService(node: kenji).servesAsGateway(handle))

        // Ana (the founder, an admin) assigns Kenji; as an agent he still does not serve...
        try sync()
        _ = try DeskService(node: ana).assignGateway(username: "acmecare", xUserID: nil, member: kenji.id.text)
        try sync()
        handle = try DeskService(node: kenji).gatewayHandle("acmecare")
        #expect(try !DeskService(node: kenji).servesAsGateway(handle))
        // ...until she gives him the gateway role.
        try ana.home.setRole(.gateway, of: kenji.id, node: ana)
        try sync()
        #expect(try DeskService(node: kenji).memberRole(kenji.id) == "gateway")
        #expect(try DeskService(node: kenji).servesAsGateway(handle))
    }
}
