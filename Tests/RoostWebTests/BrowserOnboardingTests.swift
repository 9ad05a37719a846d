import Foundation
import Testing
import RoostNode
import RoostTestSupport

/// A new team's first hour in Chromium, with two `roost run` nodes that start without a team.
@Suite(.serialized) struct BrowserOnboardingTests {
    @Test(.enabled(if: Browser.available, "chromium and chromedriver are not installed; `make test` installs them with apt-get"))
    func anAdminCreatesAndInvitesAndANewMemberJoinsAndSyncsInTheBrowser() async throws {
        let ana = try RunningNode(name: "Ana <i>Lopez</i>", initials: "AL")
        let kenji = try RunningNode(name: "Kenji Sato", initials: "KS")
        defer { ana.stop(); kenji.stop() }
        // Ana's node holds tickets before the team exists (the X API example: small, always there).
        let ingested = try roost(["ingest", "--file", repositoryRoot.appendingPathComponent("examples/x-sample.jsonl").path,
                                  "--brand-handles", "AcmeCare"], home: ana.home)
        #expect(ingested.status == 0)
        try await ana.start()
        try await kenji.start()
        let hostileTeam = "<img src=x onerror=\"window.pwned=1\">Acme & Co"
        let hostileMember = "<script>window.pwned=2</script>Kenji"

        let browser = try await WebDriver()
        do {
            // Ana: sign in, create the team on the Team page.
            try await browser.go(try ana.openURL())
            #expect(await waitUntil(5) { (try? await browser.url.hasSuffix("/inbox")) == true })
            try await browser.go(ana.base + "/team")
            try await browser.type("#team-name", hostileTeam)
            try await browser.click("#create-team")
            let created = await waitUntil(10) { (try? await browser.text("#team-name-shown")) == hostileTeam }
            let afterCreate = (try? await browser.text("body")) ?? ""
            #expect(created, "after Create team: \(afterCreate)")

            // Invite Kenji: the invite shows as text and as a QR code, with its expiry.
            try await browser.type("#invite-name", hostileMember)
            try await browser.clear("#invite-address")
            try await browser.type("#invite-address", "127.0.0.1:\(ana.peerPort)")
            try await browser.click("#make-invite")
            #expect(await waitUntil(10) { await browser.exists("#invite-qr svg path") })
            let invite = try #require(try await browser.property("#invite-link", "value") as? String)
            #expect(invite.hasPrefix("roost-invite-2:"))
            #expect(try await browser.text("#invite-for") == hostileMember)
            #expect(!(try await browser.text("#invite-expiry")).isEmpty)
            #expect(try await browser.script("return window.pwned === undefined && document.querySelectorAll('#main img, #main script').length === 0") as? Bool == true)
            try await browser.screenshot("onboarding-invite")

            // Kenji: sign in to his own node, paste the invite, and watch the sync until caught up.
            try await browser.go(try kenji.openURL())
            try await browser.go(kenji.base + "/team")
            #expect(await browser.exists("#join-form"))
            try await browser.type("#invite-text", invite)
            try await browser.click("#join-team")
            #expect(await waitUntil(10) { (try? await browser.url.hasSuffix("/team/sync")) == true })
            let caughtUp = await waitUntil(120) { (try? await browser.attribute("#sync-status", "data-caught-up")) == "true" }
            let shownWhenDone = (try? await browser.text("#main")) ?? ""
            #expect(caughtUp, "Kenji's node did not catch up: \(shownWhenDone)")
            try await browser.screenshot("onboarding-synced")
            let held = Int(try await browser.text("#ops-held")) ?? 0
            #expect(held > 0)

            // Ana's tickets arrived on Kenji's node, and the team's hostile name renders as text there too.
            let anaInbox = (try await ana.api("/api/v1/inbox?view=all")["rows"] as? [Any])?.count ?? 0
            #expect(anaInbox > 0)
            #expect(await waitUntil(120) { ((try? await kenji.api("/api/v1/inbox?view=all"))?["rows"] as? [Any])?.count == anaInbox })
            try await browser.go(kenji.base + "/team")
            #expect(await waitUntil(10) { (try? await browser.text("#team-name-shown")) == hostileTeam })
            #expect(try await browser.script("return window.pwned === undefined && document.querySelectorAll('#main img, #main script').length === 0") as? Bool == true)
            #expect(try await browser.text("#members").contains("Ana <i>Lopez</i>"))
        } catch {
            await browser.quit()
            throw error
        }
        await browser.quit()
    }
}
