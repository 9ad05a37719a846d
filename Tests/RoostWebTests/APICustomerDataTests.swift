import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Testing
import RoostCore
import RoostNode
import RoostStore
@testable import RoostWeb

/// Export and erasure over the local API, and the ticket page's export link.
@Suite(.serialized) struct APICustomerDataTests {
    @Test func exportThenEraseThroughTheAPI() async throws {
        let f = try WebFixture()
        defer { f.cleanup() }
        var all = InboxFilter()
        all.all = true
        let row = try #require(try f.web.desk.inbox(all).first)
        let customer = row.customer
        try await f.application().test(.live) { client in
            try await client.execute(uri: "/tickets/\(row.key)", method: .get, headers: f.bearer) { response in
                #expect(String(buffer: response.body).contains("href=\"/api/v1/customers/\(customer)/export\""))
            }
            try await client.execute(uri: "/api/v1/customers/\(customer)/export", method: .get, headers: f.bearer) { response in
                #expect(response.status == .ok)
                let document = object(response.body)
                #expect(document["format"] as? String == "roost-customer-export/1")
                #expect((document["tickets"] as? [Any])?.isEmpty == false)
            }
            try await client.execute(uri: "/api/v1/customers/\(customer)/erase", method: .post, headers: f.bearer, body: f.json("{}")) { response in
                #expect(response.status == .badRequest)
                #expect(apiError(response.body)["field"] as? String == "reason")
            }
            try await client.execute(uri: "/api/v1/customers/\(customer)/erase", method: .post, headers: f.bearer,
                                     body: f.json("{\"reason\": \"GDPR 9\"}")) { response in
                #expect(response.status == .ok, "\(String(buffer: response.body))")
                let result = object(response.body)
                #expect(result["customer"] as? String == customer)
                #expect((result["ops"] as? Int ?? 0) > 0 && result["ops"] as? Int == result["erasedHere"] as? Int)
            }
            try await client.execute(uri: "/api/v1/customers/\(customer)/erase", method: .post, headers: f.bearer,
                                     body: f.json("{\"reason\": \"again\"}")) { response in
                #expect(response.status == .unprocessableContent)
                #expect(apiError(response.body)["message"] as? String == "customer \(customer) was already erased: nothing of theirs is left on this node")
            }
            try await client.execute(uri: "/api/v1/customers/\(customer)/export", method: .get, headers: f.bearer) { response in
                #expect(response.status == .unprocessableContent)
            }
            try await client.execute(uri: "/api/v1/customers/nobody_here/erase", method: .post, headers: f.bearer,
                                     body: f.json("{\"reason\": \"x\"}")) { response in
                #expect(response.status == .notFound)
            }
        }
    }
}
