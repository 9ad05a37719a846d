import Foundation
import Testing
import RoostCore

/// The roster fold: each expected outcome follows from the rule text in Roster.swift, by hand.
@Suite struct RosterTests {
    static func id(_ n: UInt8) -> AuthorID { AuthorID(key: Bytes32([UInt8](repeating: n, count: 32))!) }
    static let founder = id(1), ana = id(2), kenji = id(3), lea = id(4), mallory = id(5)

    static func change(_ author: AuthorID, seq: UInt64, at millis: UInt64, _ member: AuthorID,
                       _ change: RosterChange.Change) -> RosterChange {
        RosterChange(stamp: Stamp(hlc: HLC(physicalMillis: millis, logical: 0), ref: OpRef(author: author, epoch: 7, seq: seq)),
                     member: member, change: change)
    }

    static func ref(_ author: AuthorID, epoch: UInt64 = 7, _ seq: UInt64) -> OpRef { OpRef(author: author, epoch: epoch, seq: seq) }

    @Test func theFounderAdmitsAndOthersAreNotMembers() {
        let roster = RosterState(founder: Self.founder, changes: [
            Self.change(Self.founder, seq: 1, at: 1_000, Self.ana, .role(.agent)),
        ])
        #expect(roster.admission(of: Self.ref(Self.founder, 1)) == .member)
        #expect(roster.admission(of: Self.ref(Self.ana, 1)) == .member)
        #expect(roster.admission(of: Self.ref(Self.kenji, 1)) == .notMember)
        #expect(roster.currentRole(of: Self.ana) == .agent)
        #expect(roster.currentRole(of: Self.founder) == .admin)
    }

    @Test func aNonAdminCannotAdmitOrPromote() {
        let roster = RosterState(founder: Self.founder, changes: [
            Self.change(Self.founder, seq: 1, at: 1_000, Self.ana, .role(.agent)),
            Self.change(Self.ana, seq: 1, at: 2_000, Self.mallory, .role(.admin)),
            Self.change(Self.ana, seq: 2, at: 3_000, Self.ana, .role(.admin)),
        ])
        #expect(roster.admission(of: Self.ref(Self.mallory, 1)) == .notMember)
        #expect(roster.currentRole(of: Self.ana) == .agent)
    }

    @Test func anAdminsChangesCountOnlyAfterItsPromotion() {
        let early = Self.change(Self.ana, seq: 1, at: 1_500, Self.kenji, .role(.agent))
        let promotion = Self.change(Self.founder, seq: 2, at: 2_000, Self.ana, .role(.admin))
        let late = Self.change(Self.ana, seq: 2, at: 2_500, Self.lea, .role(.lead))
        let roster = RosterState(founder: Self.founder, changes: [
            Self.change(Self.founder, seq: 1, at: 1_000, Self.ana, .role(.agent)), early, promotion, late,
        ])
        #expect(roster.admission(of: Self.ref(Self.kenji, 1)) == .notMember)
        #expect(roster.currentRole(of: Self.lea) == .lead)
        #expect(roster.role(of: Self.lea, before: Stamp(hlc: HLC(physicalMillis: 2_400, logical: 0), ref: Self.ref(Self.lea, 1))) == nil)
    }

    @Test func revocationCutsByPositionNotByTimestamp() {
        let roster = RosterState(founder: Self.founder, changes: [
            Self.change(Self.founder, seq: 1, at: 1_000, Self.kenji, .role(.agent)),
            Self.change(Self.founder, seq: 2, at: 5_000, Self.kenji, .revoke(RevocationCut(kept: [7: 3]))),
        ])
        #expect(roster.admission(of: Self.ref(Self.kenji, 3)) == .member)
        #expect(roster.admission(of: Self.ref(Self.kenji, 4)) == .revoked)
        // A new epoch the admin never saw is cut entirely.
        #expect(roster.admission(of: Self.ref(Self.kenji, epoch: 8, 1)) == .revoked)
        #expect(roster.currentRole(of: Self.kenji) == nil)
    }

    @Test func aRevokedAdminsChangesPastTheCutAreVoidEvenWhenStampedEarlier() {
        // Ana (admin) is revoked keeping seq 1; her seq-2 admission of Mallory carries an earlier HLC
        // than the revocation (a backdated clock), and still counts for nothing.
        let roster = RosterState(founder: Self.founder, changes: [
            Self.change(Self.founder, seq: 1, at: 1_000, Self.ana, .role(.admin)),
            Self.change(Self.ana, seq: 1, at: 1_500, Self.kenji, .role(.agent)),
            Self.change(Self.ana, seq: 2, at: 2_000, Self.mallory, .role(.admin)),
            Self.change(Self.founder, seq: 2, at: 9_000, Self.ana, .revoke(RevocationCut(kept: [7: 1]))),
        ])
        #expect(roster.admission(of: Self.ref(Self.kenji, 1)) == .member)
        #expect(roster.admission(of: Self.ref(Self.mallory, 1)) == .notMember)
        #expect(roster.admission(of: Self.ref(Self.ana, 2)) == .revoked)
    }

    @Test func theFounderCannotBeDemotedOrRevoked() {
        let roster = RosterState(founder: Self.founder, changes: [
            Self.change(Self.founder, seq: 1, at: 1_000, Self.ana, .role(.admin)),
            Self.change(Self.ana, seq: 1, at: 2_000, Self.founder, .role(.agent)),
            Self.change(Self.ana, seq: 2, at: 3_000, Self.founder, .revoke(RevocationCut(kept: [:]))),
        ])
        #expect(roster.currentRole(of: Self.founder) == .admin)
        #expect(roster.admission(of: Self.ref(Self.founder, 99)) == .member)
    }

    @Test func leadsMayReassignAgentsMayNot() {
        let roster = RosterState(founder: Self.founder, changes: [
            Self.change(Self.founder, seq: 1, at: 1_000, Self.ana, .role(.agent)),
            Self.change(Self.founder, seq: 2, at: 1_000, Self.lea, .role(.lead)),
        ])
        func reassign(by author: AuthorID, at millis: UInt64) -> ClaimRecord {
            ClaimRecord(stamp: Stamp(hlc: HLC(physicalMillis: millis, logical: 0), ref: Self.ref(author, 5)),
                        action: .reassign, holder: Self.kenji, leaseSeconds: 600, observed: nil)
        }
        #expect(roster.mayReassign(reassign(by: Self.lea, at: 2_000)))
        #expect(!roster.mayReassign(reassign(by: Self.ana, at: 2_000)))
        #expect(!roster.mayReassign(reassign(by: Self.lea, at: 500)))  // before the promotion
        #expect(roster.mayReassign(reassign(by: Self.founder, at: 1)))
        // The claim rule applies it: a reassign by an agent loses as not permitted.
        let record = reassign(by: Self.ana, at: 2_000)
        let resolution = ClaimResolver.resolve([record]) { roster.mayReassign($0) }
        #expect(resolution.current == nil)
        #expect(resolution.conflicts.first?.reason == .notPermitted)
    }

    @Test func revocationCutTextForm() {
        let cut = RevocationCut(kept: [0x1f: 12, 3: 0])
        #expect(cut.description == "3:0,1f:12")
        #expect(RevocationCut(text: "3:0,1f:12") == cut)
        #expect(RevocationCut(text: "") == RevocationCut(kept: [:]))
        for bad in ["1f:12,3:0", "3:0,3:1", "x:1", "3", "3:-1", "03:1", ":1"] {
            #expect(RevocationCut(text: bad) == nil, "\(bad)")
        }
    }

    /// The fold is a function of the set of changes: any order gives the same roster.
    @Test func foldIsOrderIndependent() {
        let seed = UInt64(ProcessInfo.processInfo.environment["ROOST_SEED"] ?? "") ?? UInt64.random(in: 1...UInt64.max)
        print("RosterTests.foldIsOrderIndependent: seed \(seed)")
        var generator = SplitMix64(seed: seed)
        let people = [Self.founder, Self.ana, Self.kenji, Self.lea, Self.mallory]
        let roles: [Role] = Role.allCases
        for _ in 0..<200 {
            var changes: [RosterChange] = []
            var seqs: [AuthorID: UInt64] = [:]
            for _ in 0..<Int.random(in: 1...12, using: &generator) {
                let author = people.randomElement(using: &generator)!
                let member = people.randomElement(using: &generator)!
                seqs[author, default: 0] += 1
                let change: RosterChange.Change = Int.random(in: 0..<5, using: &generator) == 0
                    ? .revoke(RevocationCut(kept: [7: UInt64.random(in: 0...3, using: &generator)]))
                    : .role(roles.randomElement(using: &generator)!)
                changes.append(Self.change(author, seq: seqs[author]!, at: UInt64.random(in: 1...50, using: &generator) * 100,
                                           member, change))
            }
            let reference = RosterState(founder: Self.founder, changes: changes)
            for _ in 0..<3 {
                let shuffled = changes.shuffled(using: &generator) + changes.prefix(2)
                #expect(RosterState(founder: Self.founder, changes: shuffled) == reference, "seed \(seed)")
            }
        }
    }
}
