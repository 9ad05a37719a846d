import Dispatch
import RoostCore
import RoostStore

/// A full node's side of partial sessions (Protocol/SPEC-partial.md §P.3b, §P.4): it answers a partial peer's
/// requests from its store, with the peer's view kept across sessions, and asks the peer for its own log.
extension PeeringHub {
    /// Whether this node serves partial peers: a full node whose replica is an `OpStore`.
    var servesPartial: Bool { store is OpStore }

    /// Takes a partial peer's subscription (`subscribe`); on `storeQueue`.
    func partialSubscribed(_ peer: AuthorID, _ subscription: Subscription) throws(StoreError) {
        dispatchPrecondition(condition: .onQueue(storeQueue))
        guard let store = store as? OpStore else { return }
        if subscription.everything {
            partialServers[peer] = nil
        } else if var server = partialServers[peer] {
            try server.subscribe(subscription, store: store)
            partialServers[peer] = server
        } else {
            partialServers[peer] = try StorePartialServer(peer: peer, subscription: subscription, store: store)
        }
    }

    /// Answers a partial peer's request from the store; on `storeQueue`. A peer that sent no `subscribe` (a full
    /// peer in a session this node's side made partial) is answered as a full peer would be: nothing, here.
    func answerPartial(_ request: PartialRequest, from peer: AuthorID) throws(StoreError) -> PartialBatch {
        dispatchPrecondition(condition: .onQueue(storeQueue))
        guard let store = store as? OpStore, var server = partialServers[peer] else {
            return PartialBatch(runs: [], backfill: [], covered: [:])
        }
        var batch = try server.answer(request, from: store)
        partialServers[peer] = server
        // The team's format 1 history, whole, past the peer's entries for those logs (SPEC-partial.md §P.3c).
        let history = try store.batch(after: VersionVector(request.vector), limit: Limits.maxBatchOps,
                                      maxBytes: SyncLimits.maxBatchReadBytes)
        if !history.isEmpty { batch.history = [history] }
        return batch
    }

    /// This node's request to a partial peer: its vector (the peer answers with its own log past it), and the number
    /// of the last batch applied from it. On `storeQueue`.
    func partialRequest(to peer: AuthorID) -> PartialRequest {
        dispatchPrecondition(condition: .onQueue(storeQueue))
        return PartialRequest(vector: localVector.entries, want: [], ack: partialBatchesApplied[peer] ?? 0)
    }
}
