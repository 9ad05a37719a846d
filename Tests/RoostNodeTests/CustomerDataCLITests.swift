import Foundation
import Testing
import RoostCore
import RoostNode
import RoostStore

/// `roost customer erase|export` as a user types them, with exact output, and the export checked against
/// Protocol/customer-export.schema.json key by key in both directions. Commands wait on Dispatch threads
/// (`runOffPool`): a full run on 2 cores starves in-process servers when tests block cooperative threads.
@Suite(.serialized) struct CustomerDataCLITests {
    /// Every key path of a JSON value (`a.b[].c`), arrays merged.
    static func keyPaths(_ value: Any, _ prefix: String = "") -> Set<String> {
        if let object = value as? [String: Any] {
            return object.reduce(into: Set<String>()) { paths, entry in
                let path = prefix.isEmpty ? entry.key : prefix + "." + entry.key
                paths.insert(path)
                paths.formUnion(keyPaths(entry.value, path))
            }
        }
        if let array = value as? [Any] {
            return array.reduce(into: Set<String>()) { $0.formUnion(keyPaths($1, prefix + "[]")) }
        }
        return []
    }

    /// Every property path the schema allows, and the ones it requires (`$ref` to `$defs` followed).
    static func schemaPaths(_ schema: [String: Any], defs: [String: Any], _ prefix: String = "") -> (allowed: Set<String>, required: Set<String>) {
        var node = schema
        if let ref = node["$ref"] as? String, let def = defs[String(ref.split(separator: "/").last!)] as? [String: Any] { node = def }
        var allowed = Set<String>(), required = Set<String>()
        if let items = node["items"] as? [String: Any] {
            let inner = schemaPaths(items, defs: defs, prefix + "[]")
            return inner
        }
        let requiredHere = Set(node["required"] as? [String] ?? [])
        for (key, sub) in node["properties"] as? [String: Any] ?? [:] {
            let path = prefix.isEmpty ? key : prefix + "." + key
            allowed.insert(path)
            if requiredHere.contains(key) { required.insert(path) }
            let inner = schemaPaths(sub as? [String: Any] ?? [:], defs: defs, path)
            allowed.formUnion(inner.allowed)
            required.formUnion(inner.required)
        }
        return (allowed, required)
    }

    @Test func eraseAndExportAsAUserTypesThem() async throws {
        let cli = try CLI()
        defer { cli.cleanup() }
        #expect(try await cli.runOffPool(["init", "--name", "Ana Lopez", "--initials", "al"]).status == 0)
        let csv = ProgressTests.repositoryRoot.appendingPathComponent("examples/data/twcs-demo.csv").path
        #expect(try await cli.runOffPool(["import-twcs", "--file", csv]).status == 0)
        #expect(try await cli.runOffPool(["note", "p1044", "customer gave Quokkaberry 07700900123"]).status == 0)

        // Export: a file, whose keys are exactly what the schema allows, with every required key present.
        let out = cli.home.appendingPathComponent("export.json").path
        let exported = try await cli.runOffPool(["customer", "export", "@200062", "--out", out])
        #expect(exported.stdout == "Wrote 1 ticket(s) of @200062 to \(out)\n", "\(exported.stderr)")
        let document = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out)))
        let schemaURL = ProgressTests.repositoryRoot.appendingPathComponent("Protocol/customer-export.schema.json")
        let schema = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: schemaURL)) as? [String: Any])
        let (allowed, required) = Self.schemaPaths(schema, defs: schema["$defs"] as? [String: Any] ?? [:])
        let found = Self.keyPaths(document)
        #expect(found.subtracting(allowed).isEmpty, "keys the schema does not document: \(found.subtracting(allowed).sorted())")
        // A key required inside array elements is required only where the array has elements.
        let requiredPresent = required.filter { path in
            guard let range = path.range(of: "[].", options: .backwards) else { return true }
            let element = String(path[..<range.upperBound])
            return found.contains { $0.hasPrefix(element) }
        }
        #expect(requiredPresent.subtracting(found).isEmpty, "required keys missing: \(requiredPresent.subtracting(found).sorted())")
        let text = try String(contentsOfFile: out, encoding: .utf8)
        #expect(text.contains("Quokkaberry"))

        // A CRM id, linked through the config's template, on the profile and on every ticket of the customer.
        let configURL = cli.home.appendingPathComponent("config.json")
        var config = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
        config["crmURLTemplate"] = "https://crm.example/c/{id}"
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        let linked = try await cli.runOffPool(["customer", "@200015", "--crm", "C 77"])
        #expect(linked.stdout.contains("\nCRM:       C 77 · https://crm.example/c/C%2077\n"), "\(linked.stdout)\(linked.stderr)")
        let ticketOf200015 = try #require(try NodeHome(path: cli.home.path).open().store.desk.ticketKeys(ofCustomer: "200015").first)
        #expect(try await cli.runOffPool(["show", ticketOf200015]).stdout.contains("\nCRM:      C 77 · https://crm.example/c/C%2077\n"))
        config["crmURLTemplate"] = "https://crm.example/c/"
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        let badConfig = try await cli.runOffPool(["customer", "@200015"])
        #expect(badConfig.status != 0 && badConfig.stderr.contains("crmURLTemplate must be an http(s) URL containing {id}"), "\(badConfig.stderr)")
        config["crmURLTemplate"] = "https://crm.example/c/{id}"
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)

        // Erase: leads and admins only (a lone node without a team counts as its own admin).
        let missingReason = try await cli.runOffPool(["customer", "erase", "@200062", "--reason", " "])
        #expect(missingReason.status != 0)
        #expect(missingReason.stderr == "Error: give a reason (--reason \"GDPR request 1234\"): it is kept with the erasure\n")
        let erased = try await cli.runOffPool(["customer", "erase", "@200062", "--reason", "GDPR request 17"])
        #expect(erased.stdout == """
            Erased customer 200062: 7 op(s) named in 1 erasure op(s); 7 bodies dropped on this node. Peers drop theirs when they sync.

            """, "\(erased.stderr)")
        let shown = try await cli.runOffPool(["show", "p1044"])
        #expect(!shown.stdout.contains("Quokkaberry") && shown.stdout.contains(Redaction.erasedText))
        let again = try await cli.runOffPool(["customer", "erase", "200062", "--reason", "again"])
        #expect(again.status != 0 && again.stderr == "Error: customer 200062 was already erased: nothing of theirs is left on this node\n")
        let unknown = try await cli.runOffPool(["customer", "erase", "@nobody_here", "--reason", "x"])
        #expect(unknown.stderr == """
            Error: no customer @nobody_here on this node (an erased customer's handle is gone: use the user id, listed by `roost-inspect erasures`)

            """)
        let exportAgain = try await cli.runOffPool(["customer", "export", "200062"])
        #expect(exportAgain.stderr == "Error: customer 200062 was erased: nothing about them is left to export\n")
        let verify = try await cli.runOffPool(["verify", "--json"])
        let report = try #require(try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any])
        #expect(report["ok"] as? Bool == true && report["erasedBodies"] as? Int == 7, "\(verify.stdout)")
        let node = try NodeHome(path: cli.home.path).open()
        #expect(report["erasedBy"] as? [String: Int] == [node.id.text: 7])
        // The default subcommand still shows a profile.
        #expect(try await cli.runOffPool(["customer", "@200015"]).stdout.contains("User id:   200015"))
        // The export file the user wrote is theirs to delete; the node's own files hold nothing.
        try FileManager.default.removeItem(atPath: out)
        for name in try FileManager.default.contentsOfDirectory(atPath: cli.home.path) {
            let data = try Data(contentsOf: cli.home.appendingPathComponent(name))
            #expect(data.range(of: Data("Quokkaberry".utf8)) == nil && data.range(of: Data("quokkaberry".utf8)) == nil, "\(name)")
        }
    }
}

extension CustomerDataCLITests {
    @Test func retentionErasesOldResolvedConversationsAndKeepsTheReport() async throws {
        let cli = try CLI()
        defer { cli.cleanup() }
        #expect(try await cli.runOffPool(["init", "--name", "Ana Lopez", "--initials", "al"]).status == 0)
        let csv = ProgressTests.repositoryRoot.appendingPathComponent("examples/data/twcs-demo.csv").path
        #expect(try await cli.runOffPool(["import-twcs", "--file", csv]).status == 0)
        #expect(try await cli.runOffPool(["retention"]).stdout == "No retention policy: message bodies are kept until someone erases them.\n")
        let bad = try await cli.runOffPool(["retention", "set", "--days", "0"])
        #expect(bad.status != 0 && bad.stderr == "Error: retention must be 1 to 3650 days (got 0)\n")
        let reportBefore = try await cli.runOffPool(["report", "--format", "json"]).stdout
        let node = try NodeHome(path: cli.home.path).open()
        let now = SystemClock().nowMillis()
        var all = InboxFilter()
        all.all = true
        all.limit = 1_000
        let rows = try DeskService(node: node).inbox(all)
        let old = rows.filter { ($0.status == .resolved || $0.status == .closed) && ($0.lastInboundMillis ?? 0) < now - 40 * 86_400_000 }
        let open = rows.filter { $0.status.isOpenWork }
        #expect(!old.isEmpty && !open.isEmpty)

        #expect(try await cli.runOffPool(["retention", "set", "--days", "30"]).stdout == "Every ticket: message bodies are erased 30 days after resolution.\n")
        #expect(try await cli.runOffPool(["retention", "show"]).stdout == "Every ticket: 30 days after resolution (set by Ana Lopez)\n")
        let applied = try await cli.runOffPool(["retention", "apply", "--json"])
        let result = try #require(try JSONSerialization.jsonObject(with: Data(applied.stdout.utf8)) as? [String: Int], "\(applied.stderr)")
        #expect(result["ops"]! > 0 && result["tickets"]! >= old.count && result["erasureOps"]! >= 1, "\(result)")
        for row in old.prefix(5) {
            #expect(try await cli.runOffPool(["show", row.key]).stdout.contains(Redaction.erasedText), "\(row.key)")
        }
        for row in open.prefix(5) {
            #expect(try !cli.run(["show", row.key]).stdout.contains(Redaction.erasedText), "\(row.key) is open work")
        }
        #expect(try await cli.runOffPool(["report", "--format", "json"]).stdout == reportBefore)
        #expect(try await cli.runOffPool(["retention", "apply"]).stdout == "Retention: 0 message(s) of 0 ticket(s) erased in 0 erasure op(s).\n")
        #expect(try await cli.runOffPool(["verify"]).status == 0)
        #expect(try await cli.runOffPool(["retention", "clear"]).stdout == "Every ticket: no retention policy.\n")
        #expect(try await cli.runOffPool(["retention"]).stdout == "No retention policy: message bodies are kept until someone erases them.\n")
    }
}
