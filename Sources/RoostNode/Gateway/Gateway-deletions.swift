import RoostCore
import RoostStore
public import RoostTwitter

extension XGateway {
    /// How far back the deletion sweep looks (X's developer terms ask to honour deletions of stored tweets).
    public static let deletionSweepDays: UInt64 = 30
    /// Polls between two deletion sweeps (at the default 15 s poll, about every 15 minutes).
    public static let pollsPerDeletionSweep = 60

    /// Asks X which of the handle's recent customer tweets were deleted, and erases those messages on every node
    /// (one erasure op with reason ``ErasureSchema/deletedOnXReason``, which a gateway member may write). Returns the
    /// number of deleted tweets found. Checks the newest ``XAPIClient/maxLookupIDs`` tweets still held.
    public func sweepDeletions() async throws(GatewayError) -> Int {
        _ = try currentHandle()
        let since = desk.clock.nowMillis() - min(desk.clock.nowMillis(), Self.deletionSweepDays * 86_400_000)
        let ids = try d { () throws(DeskError) in
            try desk.run { () throws(StoreError) in try store.erasures.recentInboundTweetIDs(sinceMillis: since, limit: XAPIClient.maxLookupIDs) }
        }
        guard !ids.isEmpty else { return 0 }
        let deleted = try await x { () async throws(XAPIError) in try await client.deletedTweets(among: ids) }
        guard !deleted.isEmpty else { return 0 }
        let targets = try d { () throws(DeskError) in try desk.run { () throws(StoreError) in try store.erasures.targets(messages: deleted) } }
        guard !targets.isEmpty else { return 0 }
        _ = try d { () throws(DeskError) in try desk.writeErasure(reason: ErasureSchema.deletedOnXReason, customer: nil, targets: targets) }
        logger.notice("erased tweets deleted on X", metadata: ["tweets": "\(deleted.count)", "ops": "\(targets.count)"])
        return deleted.count
    }
}
