import Foundation
import Testing
import RoostNode
import RoostTestSupport

/// The composer in Chromium: the addressee selector, hostile names rendered as text, resolve asking first.
@Suite(.serialized) struct BrowserComposerTests {
    /// One X API page: a thread rooted by `first_fan` where a second customer with a hostile handle and display
    /// name wrote the later tweet (like TWCS p348).
    static let hostileHandle = "x<img src=x onerror=window.__pwned=1>"
    static let hostileName = "<script>window.__pwned=2</script>Bob & \"Co\""
    static func page() throws -> String {
        let object: [String: Any] = [
            "data": [
                ["id": "3000000000000000001", "text": "@AcmeCare is the app down?", "author_id": "3001",
                 "conversation_id": "3000000000000000001", "created_at": "2026-11-20T08:00:00.000Z", "lang": "en"],
                ["id": "3000000000000000002", "text": "@AcmeCare down for me too <b>bold</b>", "author_id": "3002",
                 "conversation_id": "3000000000000000001", "created_at": "2026-11-20T08:05:00.000Z", "lang": "en",
                 "in_reply_to_user_id": "3001", "referenced_tweets": [["type": "replied_to", "id": "3000000000000000001"]]],
            ],
            "includes": ["users": [
                ["id": "3001", "username": "first_fan", "name": "Fan", "verified": false],
                ["id": "3002", "username": hostileHandle, "name": hostileName, "verified": false],
            ]],
            "meta": ["result_count": 2],
        ]
        return String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
    }

    @Test(.enabled(if: Browser.available, "chromium and chromedriver are not installed; `make test` installs them with apt-get"))
    func theComposerAddressesTheLatestAuthorAndResolveAsksFirst() async throws {
        let node = try RunningNode(name: "Ana Lopez", initials: "AL")
        let file = node.home.appendingPathComponent("thread.jsonl")
        try (try Self.page() + "\n").write(to: file, atomically: true, encoding: .utf8)
        let ingested = try roost(["ingest", "--file", file.path, "--brand-handles", "AcmeCare"], home: node.home)
        #expect(ingested.status == 0, "\(ingested.stderr)")
        try await node.start()
        let browser = try await WebDriver()
        defer { node.stop() }
        let key = "p3000000000000000001"
        do {
            try await browser.go(try node.openURL())
            try await browser.go(node.base + "/tickets/" + key)
            #expect(await waitUntil(5) { (try? await browser.text("#live-status")) == "live" })

            // Addressed to the author of the latest customer message, shown as text, with both participants to pick.
            #expect(try await browser.text("#reply-to-handle") == "@" + Self.hostileHandle)
            let options = try await browser.script("return Array.from(document.querySelectorAll('#reply-to option')).map(o => o.textContent)") as? [String]
            #expect(options == ["@first_fan (Fan)", "@\(Self.hostileHandle) (\(Self.hostileName))"])
            #expect(try await browser.text(".msg.inbound:last-child .who") == "Tweet from \(Self.hostileName) (@\(Self.hostileHandle))")
            #expect(try await browser.text(".msg.inbound:last-child .text").hasSuffix("<b>bold</b>"))
            let injected = try await browser.script(
                "return [typeof window.__pwned, document.querySelectorAll('img[src=\"x\"], .msg b').length]") as? [Any]
            #expect(injected?.first as? String == "undefined" && injected?.last as? Int == 0)

            // The agent picks the first customer: the preview and the sent reply follow.
            _ = try await browser.script("""
                const s = document.querySelector('#reply-to'); s.value = 'first_fan'; s.dispatchEvent(new Event('change')); return true
                """)
            try await browser.type("#reply-text", "Checking now")
            #expect(await waitUntil(5) { (try? await browser.text("#reply-to-handle")) == "@first_fan" })
            #expect(await waitUntil(5) { (try? await browser.text("#reply-preview")) == "@first_fan Checking now ^AL" })
            #expect(await waitUntil(5) { (try? await browser.text("#reply-count")) == "27 / 280" })
            // Nobody holds it: the page says a reply claims it, and sending does.
            #expect(await browser.exists("#claim-on-reply"))
            try await browser.click("#reply-send")
            #expect(await waitUntil(5) { (try? await browser.text("#claim-holder")) == "You" })
            let detail = try await node.api("/api/v1/tickets/\(key)")
            let thread = (detail["view"] as? [String: Any])?["thread"] as? [[String: Any]] ?? []
            #expect(thread.last?["text"] as? String == "@first_fan Checking now ^AL")
            // The viewer's own presence ("Ana Lopez is replying") is not shown to her.
            // (The list is always on the page, hidden while nobody else is here, so peers' reports can fill it live.)
            #expect(try await browser.property("#presence", "hidden") as? Bool == true)
            #expect(!(await browser.exists("#presence li")))

            // As a DM the counter switches to the DM limit.
            try await browser.click("#reply-dm")
            #expect(await waitUntil(5) { ((try? await browser.text("#reply-count")) ?? "").hasSuffix("/ 10000") })
            try await browser.click("#reply-dm")
            try await browser.clear("#reply-text")

            // `e` asks first; Escape cancels and nothing is resolved.
            try await browser.click("#thread-title")
            try await browser.keys("e")
            #expect(await waitUntil(5) { (try? await browser.property("#resolve-confirm", "hidden")) as? Bool == false })
            #expect(try await browser.text("#resolve-confirm-text").contains("Resolve \(key) as answered?"))
            try await browser.keys("\u{E00C}")
            #expect(await waitUntil(5) { (try? await browser.property("#resolve-confirm", "hidden")) as? Bool == true })
            let still = try await node.api("/api/v1/tickets/\(key)")
            #expect(((still["view"] as? [String: Any])?["ticket"] as? [String: Any])?["status"] as? String == "pending")
            // The Resolve button asks too; confirming resolves and releases the claim.
            try await browser.click("#resolve-button")
            #expect(await waitUntil(5) { (try? await browser.property("#resolve-confirm", "hidden")) as? Bool == false })
            try await browser.click("#resolve-confirm-yes")
            #expect(await waitUntil(5) { ((try? await browser.text("h1")) ?? "").contains("resolved") })
            #expect(await waitUntil(5) { !(await browser.exists("#claim-holder")) })
            let resolved = try await node.api("/api/v1/tickets/\(key)")
            #expect(resolved["claim"] == nil || (resolved["claim"] as? [String: Any])?["holder"] == nil)

            // Without a team, the sync panel says this node syncs with nobody (not "not syncing").
            try await browser.go(node.base + "/dashboard")
            #expect(await waitUntil(5) { ((try? await browser.text("#sync-status")) ?? "").contains("syncs with nobody") })
        } catch {
            await browser.quit()
            throw error
        }
        await browser.quit()
    }
}
