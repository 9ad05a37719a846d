import Foundation
import Testing
import RoostCore
import RoostCrypto
import RoostNode
import RoostStore

// Checks the report metrics (SPEC.md §1b.8) against the "report" member of Protocol/vectors/desk.json:
// the ops are applied to a fresh store in several delivery orders, then DeskReport.compute runs on the
// store's desk snapshot and ticket claim conflicts for each scope. The desk rows of the same file are
// checked by RoostStoreTests/DeskVectorTests.

@Suite struct DeskReportVectorTests {
    static let file: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()  // RoostNodeTests
        .deletingLastPathComponent()  // Tests
        .deletingLastPathComponent()  // package root
        .appendingPathComponent("Protocol/vectors/desk.json")

    struct Failure: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    typealias Object = [String: Any]

    static func load() throws -> Object {
        guard let data = FileManager.default.contents(atPath: file.path) else { throw Failure("missing \(file.path)") }
        guard let object = try JSONSerialization.jsonObject(with: data) as? Object else { throw Failure("desk.json is not an object") }
        return object
    }

    static func string(_ any: Any?) throws -> String {
        guard let s = any as? String else { throw Failure("expected a string, got \(String(describing: any))") }
        return s
    }
    static func int(_ any: Any?) throws -> Int {
        guard let n = any as? NSNumber else { throw Failure("expected a number, got \(String(describing: any))") }
        return n.intValue
    }
    static func u64(_ any: Any?) throws -> UInt64 {
        guard let v = UInt64(try string(any)) else { throw Failure("expected a decimal u64") }
        return v
    }
    static func optionalU64(_ any: Any?) throws -> UInt64? { any is NSNull || any == nil ? nil : try u64(any) }
    static func optionalString(_ any: Any?) throws -> String? { any is NSNull || any == nil ? nil : try string(any) }

    // MARK: building ops (the conventions of merge.json)

    struct Author {
        var key: SigningKey
        var epoch: UInt64
    }

    static func value(_ any: Any?) throws -> Value {
        guard let v = any as? Object else { throw Failure("value is not an object") }
        switch try string(v["type"]) {
        case "null": return .null
        case "bool":
            guard let b = v["value"] as? Bool else { throw Failure("bad bool") }
            return .bool(b)
        case "int":
            guard let i = Int64(try string(v["value"])) else { throw Failure("bad int") }
            return .int(i)
        case "string": return .string(try string(v["value"]))
        case let other: throw Failure("unexpected value type \(other)")
        }
    }

    static func body(_ any: Any?, authors: [Author], refs: [OpRef]) throws -> OpBody {
        guard let b = any as? Object, let e = b["entity"] as? Object else { throw Failure("bad body") }
        let entity = EntityRef(try string(e["collection"]), try string(e["key"]))
        switch try string(b["kind"]) {
        case "insert":
            guard let list = b["fields"] as? [Object] else { throw Failure("bad fields") }
            return .makeInsert(entity, try list.map { Field(try string($0["name"]), try value($0["value"])) })
        case "set":
            return .set(entity: entity, field: try string(b["field"]), value: try value(b["value"]))
        case "claim":
            let name = try string(b["action"])
            guard let action = ClaimAction.allCases.first(where: { $0.description == name }) else { throw Failure("action \(name)") }
            let holder = b["holder"] is NSNull ? nil : authors[try int(b["holder"])].key.authorID
            let observed = (b["observed"] as? Object).map { refs[(($0["op"] as? NSNumber)?.intValue)!] }
            return .claim(entity: entity, action: action, holder: holder, leaseSeconds: UInt32(try int(b["lease_seconds"])),
                          observed: observed)
        case let other:
            throw Failure("unexpected kind \(other) in report ops")
        }
    }

    struct Built {
        var author: Int
        var op: Op
        var hash: Bytes32
    }

    static func build(_ list: [Object], authors: [Author]) throws -> [Built] {
        var seqs: [Int: UInt64] = [:]
        let refs = try list.map { entry -> OpRef in
            let a = try int(entry["author"])
            seqs[a, default: 0] += 1
            return OpRef(author: authors[a].key.authorID, epoch: authors[a].epoch, seq: seqs[a]!)
        }
        var prevs: [Int: Bytes32] = [:]
        var built: [Built] = []
        for (index, entry) in list.enumerated() {
            let a = try int(entry["author"])
            guard let hlc = entry["hlc"] as? Object else { throw Failure("bad hlc") }
            let (header, bytes) = OpCrypto.makeHeader(
                author: authors[a].key.authorID, epoch: authors[a].epoch, seq: refs[index].seq, prev: prevs[a] ?? .zero,
                hlc: HLC(physicalMillis: UInt64(try int(hlc["physical_ms"])), logical: UInt16(try int(hlc["logical"]))),
                body: try body(entry["body"], authors: authors, refs: refs))
            let hash = OpCrypto.headerHash(header)
            prevs[a] = hash
            built.append(Built(author: a, op: Op(header: header, body: bytes), hash: hash))
        }
        return built
    }

    /// A batch of the given ops with a seal over the last op of each log in it.
    static func batch(_ ops: [Built], _ indices: [Int], authors: [Author]) -> OpBatch {
        var last: [Int: Int] = [:]
        for i in indices { last[ops[i].author] = i }
        let seals = last.keys.sorted().map { a in
            OpCrypto.seal(key: authors[a].key, epoch: authors[a].epoch, seq: ops[last[a]!].op.header.seq, head: ops[last[a]!].hash)
        }
        return OpBatch(ops: indices.map { ops[$0].op }, seals: seals)
    }

    // MARK: the report as a compatible node computes it

    static func slaTargets(_ store: OpStore) throws -> SLATargets {
        var targets = SLATargets.defaults
        for priority in Priority.allCases {
            if case let .int(minutes)? = try store.state.register(EntityRef("team", "settings"), "sla.\(priority.rawValue)") {
                targets.minutes[priority] = Int(minutes)
            }
        }
        return targets
    }

    static func report(_ store: OpStore, scope: DeskReport.Scope, now: UInt64) throws -> DeskReport {
        let snapshot = try store.desk.deskSnapshot()
        var names: [String: String] = [:]
        for author in Set(snapshot.messages.map(\.author) + snapshot.tickets.compactMap { $0.statusBy?.text }) {
            guard (try? AuthorID(text: author)) != nil else { continue }
            if let name = try store.state.entity(EntityRef("member", author))?.first(where: { $0.name == "name" })?.value.stringValue {
                names[author] = name
            }
        }
        return DeskReport.compute(tickets: snapshot.tickets, messages: snapshot.messages, conflicts: try store.desk.ticketClaimConflicts(),
                                  sla: try slaTargets(store), scope: scope, now: now, agentName: { names[$0] ?? $0 })
    }

    static func rate(_ any: Any?) throws -> Double? {
        if any is NSNull { return nil }
        guard let pair = any as? [NSNumber], pair.count == 2 else { throw Failure("a rate is [numerator, denominator]") }
        return Double(pair[0].intValue) / Double(pair[1].intValue)
    }

    static func minutes(_ any: Any?) throws -> Double? { try optionalU64(any).map { Double($0) / 60_000 } }

    @Test("desk.json report: every scope gives the expected numbers in several delivery orders")
    func reportScopes() throws {
        let file = try Self.load()
        guard let authorList = file["authors"] as? [Object], let report = file["report"] as? Object,
              let opList = report["ops"] as? [Object], let scopes = report["scopes"] as? [Object] else {
            throw Failure("desk.json lacks authors or report")
        }
        let authors = try authorList.map { entry in
            Author(key: try SigningKey(seed: Hex.decode(try Self.string(entry["seed"]))!), epoch: try Self.u64(entry["epoch"]))
        }
        let wall = try Self.u64(file["wall_ms"])
        let ops = try Self.build(opList, authors: authors)
        #expect(scopes.count >= 5)

        var orders: [(String, [[Int]])] = [("one op per batch, as listed", ops.indices.map { [$0] })]
        orders.append(("log by log, last author first", Set(ops.map(\.author)).sorted(by: >).map { a in
            ops.indices.filter { ops[$0].author == a }
        }))
        orders.append(("one batch", [Array(ops.indices)]))
        for (orderName, batches) in orders {
            let store = try OpStore(inMemoryWithMaxClockDriftMillis: Limits.defaultMaxClockDriftMillis)
            for indices in batches { try store.apply(Self.batch(ops, indices, authors: authors), clock: FixedClock(millis: wall)) }
            for scope in scopes {
                let label = "\(try Self.string(scope["name"])), \(orderName)"
                guard let expect = scope["expect"] as? Object, let agents = expect["agents"] as? [Object] else {
                    throw Failure("\(label): no expect")
                }
                let got = try Self.report(store, scope: DeskReport.Scope(
                    since: try Self.optionalU64(scope["since_ms"]), until: try Self.optionalU64(scope["until_ms"]),
                    queue: try Self.optionalString(scope["queue"]), agent: try Self.optionalString(scope["agent"])),
                                          now: try Self.u64(scope["now_ms"]))
                #expect(got.tickets == (try Self.int(expect["tickets"])), "\(label): tickets")
                #expect(got.responded == (try Self.int(expect["responded"])), "\(label): responded")
                #expect(got.responseRate == (try Self.rate(expect["response_rate"])), "\(label): response rate")
                #expect(got.firstResponseMedianMinutes == (try Self.minutes(expect["first_response_median_ms"])), "\(label): FR median")
                #expect(got.firstResponseP90Minutes == (try Self.minutes(expect["first_response_p90_ms"])), "\(label): FR p90")
                #expect(got.resolved == (try Self.int(expect["resolved"])), "\(label): resolved")
                #expect(got.resolutionRate == (try Self.rate(expect["resolution_rate"])), "\(label): resolution rate")
                #expect(got.resolutionMedianMinutes == (try Self.minutes(expect["resolution_median_ms"])), "\(label): resolution median")
                #expect(got.resolutionP90Minutes == (try Self.minutes(expect["resolution_p90_ms"])), "\(label): resolution p90")
                #expect(got.inChannelResolutionRate == (try Self.rate(expect["in_channel_resolution_rate"])), "\(label): in channel")
                #expect(got.takenToDMShare == (try Self.rate(expect["taken_to_dm_share"])), "\(label): taken to DM")
                #expect(got.slaBreaches == (try Self.int(expect["sla_breaches"])), "\(label): SLA breaches")
                #expect(got.claimConflicts == (try Self.int(expect["claim_conflicts"])), "\(label): claim conflicts")
                let wanted = try agents.map {
                    DeskReport.Agent(agent: try Self.string($0["agent"]), replies: try Self.int($0["replies"]),
                                     resolutions: try Self.int($0["resolutions"]))
                }
                #expect(got.agents == wanted, "\(label): agents")
            }
        }
    }

    @Test("desk.json report: nearest-rank percentiles")
    func percentiles() throws {
        guard let report = try Self.load()["report"] as? Object, let cases = report["percentiles"] as? [Object] else {
            throw Failure("desk.json lacks report.percentiles")
        }
        for entry in cases {
            guard let values = (entry["values"] as? [NSNumber])?.map({ Double($0.intValue) }) else { throw Failure("bad values") }
            let p50 = entry["p50"] is NSNull ? nil : Double(try Self.int(entry["p50"]))
            let p90 = entry["p90"] is NSNull ? nil : Double(try Self.int(entry["p90"]))
            #expect(DeskReport.percentile(values, 0.5) == p50, "p50 of \(values)")
            #expect(DeskReport.percentile(values, 0.9) == p90, "p90 of \(values)")
        }
    }
}
