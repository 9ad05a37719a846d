import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Testing
import RoostNode
import RoostTestSupport

/// A node home made with the CLI, and its `roost run` process.
final class RunningNode: @unchecked Sendable {
    let home: URL
    let apiPort = freePort()
    let peerPort = freePort()
    var pid: pid_t?

    init(name: String, initials: String) throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("roost-browser-\(UUID().uuidString)")
        let created = try roost(["init", "--name", name, "--initials", initials], home: home)
        guard created.status == 0 else { throw FixtureError(created.stderr) }
        try setConfig(["api": "127.0.0.1:\(apiPort)", "listen": "127.0.0.1:\(peerPort)"])
    }

    func setConfig(_ values: [String: Any]) throws {
        let url = home.appendingPathComponent("config.json")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any] ?? [:]
        for (key, value) in values { config[key] = value }
        try JSONSerialization.data(withJSONObject: config, options: [.prettyPrinted, .sortedKeys]).write(to: url)
    }

    /// Imports the repository's own demo sample (examples/data/twcs-demo.csv: nothing outside the checkout).
    func importSample() throws {
        let twcs = repositoryRoot.appendingPathComponent("examples/data/twcs-demo.csv")
        let result = try roost(["import-twcs", "--file", twcs.path], home: home)
        guard result.status == 0 else { throw FixtureError(result.stderr) }
    }

    var base: String { "http://127.0.0.1:\(apiPort)" }
    var token: String { get throws { try APIToken.ensure(in: NodeHome(path: home.path)).text } }

    /// The URL `roost open` prints.
    func openURL() throws -> String {
        let printed = try roost(["open"], home: home).stdout
        guard let line = printed.split(separator: "\n").first(where: { $0.contains("/login?code=") }) else { throw FixtureError("no URL in: \(printed)") }
        return line.trimmingCharacters(in: .whitespaces)
    }

    func start() async throws {
        // With a clean signal mask, so SIGINT stops it gracefully (the test runner blocks signals in its threads).
        pid = try spawnWithCleanSignals(roostBinary.path, ["run", "--home", home.path, "--log-level", "warning"],
                                        output: home.appendingPathComponent("run.log").path)
        // Generous: a debug `roost run` once took over 20 s to start under a loaded full run on 2 cores.
        let up = await waitUntil(120) { (try? await http("GET", base + "/login"))?.0 == 401 }
        guard up else { throw FixtureError("roost run did not serve \(base)") }
    }

    func api(_ path: String) async throws -> [String: Any] {
        let (_, data) = try await http("GET", base + path, headers: ["Authorization": "Bearer \(try token)"])
        return (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] ?? [:]
    }

    func stop() {
        if let pid {
            kill(pid, SIGINT)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        try? FileManager.default.removeItem(at: home)
    }
}

@Suite(.serialized) struct BrowserTests {
    @Test(.enabled(if: Browser.available, "chromium and chromedriver are not installed; `make test` installs them with apt-get"))
    func anAgentWorksATicketEndToEndInARealBrowser() async throws {
        let node = try RunningNode(name: "Ana Lopez", initials: "AL")
        try node.importSample()
        try await node.start()
        let browser = try await WebDriver()
        defer { node.stop() }
        do {
            // Log in through the printed URL: the cookie is set and we land on the inbox.
            try await browser.go(try node.openURL())
            #expect(try await browser.url.hasSuffix("/inbox"))
            #expect(await waitUntil(5) { await browser.exists("table.inbox tr.row") })
            #expect(await waitUntil(5) { (try? await browser.text("#live-status")) == "live" })
            try await browser.screenshot("inbox")

            // Keyboard: j moves the selection to the second ticket, c claims it; the row updates live.
            let second = try #require(try await browser.script("return document.querySelectorAll('tr.row')[1].dataset.key") as? String)
            try await browser.keys("j")
            #expect(await waitUntil(5) { ((try? await browser.attribute("tr.row.selected", "data-key")) ?? nil) == second })
            try await browser.keys("c")
            #expect(await waitUntil(5) { await browser.exists("tr.row[data-key='\(second)'] .holder.mine") })

            // The unassigned queue, then the first ticket; claim it with the button.
            try await browser.click("nav.queues a[href='/inbox?view=unassigned']")
            #expect(await waitUntil(5) { (try? await browser.url.contains("view=unassigned")) == true })
            let key = try #require(try await browser.attribute("tr.row", "data-key"))
            try await browser.go(node.base + "/tickets/" + key)
            try await browser.click("button[data-action=claim]")
            #expect(await waitUntil(5) { (try? await browser.text("#claim-holder")) == "You" })

            // A reply over 280 characters is refused: the count turns red and Send is disabled.
            try await browser.type("#reply-text", String(repeating: "This is far too long. ", count: 14))
            #expect(await waitUntil(5) { (try? await browser.attribute("#reply-form", "data-state")) == "over" })
            #expect(try await browser.property("#reply-send", "disabled") as? Bool == true)
            #expect(try await browser.text("#reply-error").hasPrefix("Too long"))
            #expect(try await browser.text("#reply-count").hasPrefix("3"))
            try await browser.screenshot("composer-too-long")

            // A valid one is sent and shows in the thread with @handle and the signature.
            try await browser.clear("#reply-text")
            try await browser.type("#reply-text", "Sorry about that! Could you DM us your account number?")
            #expect(await waitUntil(5) { (try? await browser.attribute("#reply-form", "data-state")) == "ok" })
            try await browser.click("#reply-send")
            #expect(await waitUntil(5) { ((try? await browser.attribute("#reply-form", "data-sent")) ?? nil) != nil })
            #expect(await waitUntil(5) { ((try? await browser.text(".msg.outbound:last-child .text")) ?? "").hasSuffix("account number? ^AL") })
            _ = try await browser.script("window.scrollTo(0, 0); return true")
            try await browser.screenshot("ticket")

            // Resolve with the keyboard shortcut `e`: it asks first, then resolves.
            try await browser.click("#thread-title")
            try await browser.keys("e")
            #expect(await waitUntil(5) { (try? await browser.property("#resolve-confirm", "hidden")) as? Bool == false })
            try await browser.click("#resolve-confirm-yes")
            #expect(await waitUntil(5) { ((try? await browser.text("h1")) ?? "").contains("resolved") })
            let detail = try await node.api("/api/v1/tickets/\(key)")
            #expect(((detail["view"] as? [String: Any])?["ticket"] as? [String: Any])?["status"] as? String == "resolved")

            // The dashboard draws its charts; and the pages work on a narrow window.
            try await browser.go(node.base + "/dashboard")
            #expect(await waitUntil(5) { await browser.exists("svg.chart rect.bar") })
            try await browser.screenshot("dashboard")
            try await browser.resize(width: 420, height: 800)
            try await browser.go(node.base + "/inbox")
            #expect(await waitUntil(5) { await browser.exists("table.inbox") })
            let overflow = try await browser.script("return document.documentElement.scrollWidth <= window.innerWidth + 1") as? Bool
            let wide = try await browser.script("""
                return document.documentElement.scrollWidth + '/' + window.innerWidth + '/' + document.documentElement.clientWidth + ' ' + Array.from(document.querySelectorAll('body *')).filter(e => e.getBoundingClientRect().right > window.innerWidth + 1 && !e.closest('.table-wrap'))
                  .slice(0, 5).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right)).join(', ')
                """) as? String ?? ""
            #expect(overflow == true, "the narrow inbox should not scroll sideways; too wide: \(wide)")
            try await browser.screenshot("inbox-narrow")
        } catch {
            await browser.quit()
            throw error
        }
        await browser.quit()
    }

    @Test(.enabled(if: Browser.available, "chromium and chromedriver are not installed; `make test` installs them with apt-get"))
    func theInboxPagesPastFiftyAndShowsSnippetsAsText() async throws {
        let node = try RunningNode(name: "Ana Lopez", initials: "AL")
        try node.importSample()
        try await node.start()
        defer { node.stop() }
        let everything = try await node.api("/api/v1/inbox?view=all&limit=1")
        let total = try #require(everything["total"] as? Int)
        #expect(total > 50, "the demo sample should hold more than one page of tickets, has \(total)")
        let browser = try await WebDriver()
        do {
            try await browser.go(try node.openURL())
            try await browser.go(node.base + "/inbox?view=all")
            #expect(await waitUntil(5) { await browser.exists("table.inbox tr.row") })
            #expect(try await browser.text("#page-range") == "Rows 1–50 of \(total)")
            #expect(try await browser.script("return document.querySelectorAll('tr.row').length") as? Int == 50)
            let firstPage = try await browser.script("return Array.from(document.querySelectorAll('tr.row')).map(r => r.dataset.key)") as? [String] ?? []
            // Next: rows 51 on, none of them on the first page.
            try await browser.click("#page-next")
            #expect(await waitUntil(5) { (try? await browser.url.contains("offset=50")) == true })
            #expect(await waitUntil(5) { ((try? await browser.text("#page-range")) ?? "").hasPrefix("Rows 51–") })
            let secondPage = try await browser.script("return Array.from(document.querySelectorAll('tr.row')).map(r => r.dataset.key)") as? [String] ?? []
            #expect(!secondPage.isEmpty && Set(secondPage).isDisjoint(with: firstPage))
            #expect(await browser.exists("#page-prev"))
            try await browser.screenshot("inbox-page-2")

            // Newest first: the hostile tweet's snippet is shown as text, never as markup.
            try await browser.go(node.base + "/inbox?view=open&sort=newest")
            #expect(await waitUntil(5) { await browser.exists("table.inbox tr.row") })
            let snippets = try await browser.script("return Array.from(document.querySelectorAll('td.latest .snippet')).map(e => e.textContent)") as? [String] ?? []
            #expect(snippets.contains { $0.contains("<script>alert('pwned')</script> <b>bold</b>") }, "snippets: \(snippets.prefix(5))")
            #expect(try await browser.script("return document.querySelectorAll('table.inbox script, table.inbox b').length") as? Int == 0)
            #expect(try await browser.script("return typeof window.pwned") as? String == "undefined")
            #expect(try await browser.text("td.brand").hasPrefix("@"))
        } catch {
            await browser.quit()
            throw error
        }
        await browser.quit()
    }

    @Test(.enabled(if: Browser.available, "chromium and chromedriver are not installed; `make test` installs them with apt-get"))
    func aClaimOnOneNodeAppearsOnTheOthersOpenPageWithoutReload() async throws {
        let ana = try RunningNode(name: "Ana Lopez", initials: "AL")
        let kenji = try RunningNode(name: "Kenji Sato", initials: "KS")
        defer { ana.stop(); kenji.stop() }
        try ana.importSample()
        #expect(try roost(["team", "create", "--name", "Hilton Suggests"], home: ana.home).status == 0)
        let invite = try roost(["team", "invite", "--name", "Kenji Sato", "--address", "127.0.0.1:\(ana.peerPort)"], home: ana.home).stdout
        let joinLine = try #require(invite.split(separator: "\n").last { $0.contains("roost team join") })
        let code = String(joinLine.split(separator: " ").last!)
        #expect(try roost(["team", "join", code], home: kenji.home).status == 0)
        try await ana.start()
        try await kenji.start()

        // Kenji's node receives Ana's tickets over the loopback sync.
        let inbox = try await ana.api("/api/v1/inbox?view=unassigned")
        let first = (inbox["rows"] as? [[String: Any]])?.first?["ticket"] as? [String: Any]
        let key = try #require(first?["key"] as? String)
        #expect(await waitUntil(30) { (try? await kenji.api("/api/v1/tickets/\(key)"))?["view"] != nil })

        let browser = try await WebDriver()
        do {
            try await browser.go(try kenji.openURL())
            try await browser.go(kenji.base + "/tickets/" + key)
            #expect(await waitUntil(5) { (try? await browser.text("#live-status")) == "live" })
            #expect(try await browser.text("#claim-title") == "Claim")
            #expect(!(await browser.exists("#claim-holder")))
            _ = try await browser.script("window.__roostMarker = 42; return true")

            // Ana claims on her node (CLI, while her daemon runs); Kenji's open page shows it without a reload.
            let started = Date()
            #expect(try roost(["claim", key], home: ana.home).status == 0)
            let shown = await waitUntil(10) { (try? await browser.text("#claim-holder")) == "Ana Lopez" }
            let seconds = Date().timeIntervalSince(started)
            #expect(shown, "Ana's claim did not appear on Kenji's page")
            print("Ana's claim appeared on Kenji's open page after \(String(format: "%.2f", seconds)) s")
            #expect(try await browser.script("return window.__roostMarker") as? Int == 42, "the page was reloaded")
            try await browser.screenshot("ticket-claimed-by-peer")

            // The inbox updates live too: Ana claims another ticket; its row on Kenji's open inbox shows her.
            try await browser.go(kenji.base + "/inbox?view=open")
            #expect(await waitUntil(5) { (try? await browser.text("#live-status")) == "live" })
            let other = try #require(try await browser.script(
                "return Array.from(document.querySelectorAll('tr.row')).map(r => r.dataset.key).find(k => k !== '\(key)')") as? String)
            _ = try await browser.script("window.__roostMarker = 43; return true")
            #expect(try roost(["claim", other], home: ana.home).status == 0)
            #expect(await waitUntil(10) { ((try? await browser.text("tr.row[data-key='\(other)'] .holder")) ?? "") == "Ana Lopez" })
            #expect(try await browser.script("return window.__roostMarker") as? Int == 43, "the inbox was reloaded")

            // And Kenji's claim attempt is refused in the page with the holder's name.
            let (status, body) = try await http("POST", kenji.base + "/api/v1/tickets/\(key)/claim", json: [:],
                                                headers: ["Authorization": "Bearer \(try kenji.token)"])
            #expect(status == 409)
            #expect(String(decoding: body, as: UTF8.self).contains("Ana Lopez"))

            // Presence is live too: Ana's page reports her replying; Kenji's open ticket page lists her without a
            // reload (and never lists Kenji himself), and drops her at once when her page leaves (`gone`).
            try await browser.go(kenji.base + "/tickets/" + key)
            #expect(await waitUntil(5) { (try? await browser.text("#live-status")) == "live" })
            _ = try await browser.script("window.__roostMarker = 44; return true")
            func anaReports(_ activity: String) async throws -> Int {
                try await http("POST", ana.base + "/api/v1/presence", json: ["ticket": key, "activity": activity],
                               headers: ["Authorization": "Bearer \(try ana.token)"]).0
            }
            #expect(try await anaReports("replying") == 200)
            let listed = await waitUntil(20) { ((try? await browser.text("#presence")) ?? "") == "Ana Lopez is replying" }
            let shownList = (try? await browser.text("#presence")) ?? "none"
            #expect(listed, "\(shownList)")
            #expect(!shownList.contains("Kenji"))
            #expect(try await anaReports("gone") == 200)
            #expect(await waitUntil(20) { (try? await browser.property("#presence", "hidden")) as? Bool == true })
            #expect(try await browser.script("return window.__roostMarker") as? Int == 44, "the ticket page was reloaded")
        } catch {
            await browser.quit()
            throw error
        }
        await browser.quit()
    }
}
