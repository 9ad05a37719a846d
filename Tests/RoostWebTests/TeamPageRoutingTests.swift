import Foundation
import Hummingbird
import HummingbirdTesting
import RoostCore
import RoostNode
import Testing
@testable import RoostWeb

/// The Team page (issue 15): every member's availability, a form to set one's own, and push routing's queues
/// with who each waiting ticket is pushed to now.
@Suite struct TeamPageRoutingTests {
    @Test func theTeamPageSetsAvailabilityAndShowsWhoTicketsArePushedTo() async throws {
        let f = try WebFixture()
        defer { f.cleanup() }
        #expect(try roost(["team", "create", "--name", "Hilton Suggests"], home: f.home).status == 0)
        try f.web.desk.setRouting(queue: "default", mode: .leastLoaded)
        let (before, status, after) = try await f.application().test(.live) { client in
            let login = try await f.signIn(client)
            let before = try await client.execute(uri: "/team", method: .get, headers: [.cookie: login]) { String(buffer: $0.body) }
            let status = try await client.execute(uri: "/team/availability", method: .post,
                                                  headers: [.cookie: login, .contentType: "application/x-www-form-urlencoded"],
                                                  body: ByteBuffer(string: "status=away")) { $0.status }
            let after = try await client.execute(uri: "/team", method: .get, headers: [.cookie: login]) { String(buffer: $0.body) }
            return (before, status, after)
        }
        #expect(before.contains("id=\"availability-form\"") && before.contains("<option value=\"online\" selected>"))
        #expect(before.contains("<td class=\"availability\">online</td>"))
        // Routing: Ana is the only member, online: every waiting ticket of the default queue is pushed to her.
        #expect(before.contains("<ul id=\"routing\"><li><strong>default</strong>: least-loaded,"))
        #expect(before.contains("→ Ana Lopez</li>"))
        #expect(status == .seeOther)
        #expect(after.contains("<td class=\"availability\">away</td>") && after.contains("<option value=\"away\" selected>"))
        // Away: nobody is eligible now.
        #expect(after.contains("→ nobody eligible</li>") && !after.contains("→ Ana Lopez</li>"))
        #expect(try f.web.desk.teamAvailability().first?.set == .away)
    }
}
