/// Gateway failover (issue 16, SPEC.md §1b.14): a brand handle may name standby gateways besides its primary; the
/// one that serves holds the **gateway lease**, an ordinary claim (§1.12.4) on the handle's entity with a short
/// lease, renewed while it serves. When the holder stops renewing (dead, partitioned, asleep), the first standby
/// in line takes the lease over once it has expired, the next one half a lease later, and so on. A pure function of
/// the replicated claim state and a clock decides, so every candidate reaches the same order without a server.
public enum GatewayLeaseRules {
    /// Lease of the gateway claim unless the handle sets one: 60 s.
    public static let defaultLeaseMillis: UInt64 = 60_000
    /// Leases a handle may set: 15 s to 10 min.
    public static let leaseRangeMillis: ClosedRange<UInt64> = 15_000...600_000

    /// What a candidate does now.
    public enum Decision: Sendable, Equatable {
        /// Holds a lease with time to spare: poll and post.
        case serve
        /// Holds a lease that is two thirds gone: renew it (a claim by the holder), then serve.
        case renew
        /// The lease is free or expired and it is this candidate's turn: claim it (a takeover when another member
        /// held it), then serve as a new tenure: reconcile the outbox against X before posting.
        case acquire(takeover: Bool)
        /// Not this candidate's turn, or another member holds a live lease: neither poll nor post.
        case standBy
    }

    /// A holder stops acting this long before its lease ends, so a standby that takes over at the end (by its own
    /// clock) does not overlap it while clocks agree within this margin: a sixth of the lease (10 s of 60 s).
    public static func safetyMillis(lease: UInt64) -> UInt64 { lease / 6 }

    /// The decision of `me` among `candidates` (primary first, then standbys in order) at `now`.
    /// - Parameters:
    ///   - holder: the holder of the handle's claim state, nil when never claimed or released.
    ///   - leaseEndsMillis: that claim's lease end (ignored without a holder).
    ///   - vacantSinceMillis: without a holder, since when the lease is free (the release's wall time, or when the
    ///     handle's gateways were assigned); standbys wait behind the primary from there.
    public static func decide(me: AuthorID, candidates: [AuthorID], holder: AuthorID?, leaseEndsMillis: UInt64,
                              vacantSinceMillis: UInt64, now: UInt64, leaseMillis: UInt64) -> Decision {
        guard candidates.contains(me) else { return .standBy }
        let step = leaseMillis / 2
        guard let holder else {
            // Free: the primary first, each standby half a lease after the one before.
            let position = UInt64(candidates.firstIndex(of: me)!)
            return now >= vacantSinceMillis + position * step ? .acquire(takeover: false) : .standBy
        }
        if holder == me {
            if now < leaseEndsMillis {
                return leaseEndsMillis - now <= leaseMillis * 2 / 3 ? .renew : .serve
            }
            // My lease ran out (asleep, partitioned): the others go first; I am last in line.
            let position = UInt64(candidates.count - 1)
            return now >= leaseEndsMillis + position * step ? .acquire(takeover: false) : .standBy
        }
        guard now >= leaseEndsMillis else { return .standBy }
        let line = candidates.filter { $0 != holder }
        guard let position = line.firstIndex(of: me) else { return .standBy }
        return now >= leaseEndsMillis + UInt64(position) * step ? .acquire(takeover: true) : .standBy
    }

    /// Whether a holder may poll and post now: it holds the lease and is not within the safety margin of its end.
    public static func mayAct(me: AuthorID, holder: AuthorID?, leaseEndsMillis: UInt64, now: UInt64, leaseMillis: UInt64) -> Bool {
        holder == me && now + safetyMillis(lease: leaseMillis) < leaseEndsMillis
    }
}
