import Foundation
public import RoostCore
import RoostStore
public import RoostSync

/// What `roost bundle import` did.
public struct BundleImport: Sendable, Equatable {
    /// Batches in the bundle.
    public var batches: Int
    /// Ops new to this node.
    public var applied: Int
    /// Ops it already held.
    public var duplicates: Int
}

extension NodeHome {
    /// A bundle of every op this node holds, sealed to `recipients` (members' node ids), or to every
    /// current member but this node when nil. `progress` gets the ops collected so far and the node's op count.
    public func exportBundle(node: Node, for recipients: [AuthorID]?,
                             progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws(NodeError) -> [UInt8] {
        let roster = try roster(node)
        let targets = recipients ?? roster.members.keys.filter { roster.currentRole(of: $0) != nil }.sorted() + [roster.founder]
        let others = Array(Set(targets.filter { $0 != node.id })).sorted()
        for id in others where roster.currentRole(of: id) == nil {
            throw .invalidArgument("\(id.short) is not a current member of the team")
        }
        let bundle = try storeRun { () throws(StoreError) in
            let total = progress == nil ? 0 : try node.store.opCount()
            return try OfflineBundle.collect(from: node.store) { ops in progress?(min(ops, total), max(total, ops)) }
        }
        let collected = bundle.opCount
        progress?(collected, collected)
        do { return try bundle.sealed(to: others) } catch { throw .invalidArgument("\(error)") }
    }

    /// Opens a bundle addressed to this node and applies its batches, each all or nothing, in order.
    /// Stops at the first batch the store refuses and says which.
    /// `progress` gets the ops of the batches applied so far and the bundle's total after each batch.
    public func importBundle(_ bytes: [UInt8], node: Node, clock: any WallClock = SystemClock(),
                             progress: ((_ done: Int, _ total: Int) -> Void)? = nil) throws(NodeError) -> BundleImport {
        let bundle: OfflineBundle
        do { bundle = try OfflineBundle.open(bytes, as: node.author.key) } catch { throw .invalidArgument("\(error)") }
        var result = BundleImport(batches: bundle.entryCount, applied: 0, duplicates: 0)
        let total = bundle.opCount
        var done = 0
        for (index, batch) in bundle.batches.enumerated() {
            do {
                let report = try node.store.apply(batch, clock: clock)
                result.applied += report.applied
                result.duplicates += report.duplicates
                done += batch.ops.count
                progress?(done, total)
            } catch {
                throw .invalidArgument("batch \(index + 1) of \(bundle.entryCount) was refused (\(error)); "
                                       + "the \(result.applied) new ops of the batches before it were applied")
            }
        }
        // Format 2 logs' runs, resolved against what the store now holds (SPEC-sync.md §2b.19).
        for (offset, runs) in bundle.runsV2.enumerated() {
            do {
                let report = try node.store.apply(runsV2: runs, clock: clock)
                result.applied += report.applied
                result.duplicates += report.duplicates
                done += runs.reduce(0) { $0 + $1.ops.count }
                progress?(done, total)
            } catch {
                throw .invalidArgument("batch \(bundle.batches.count + offset + 1) of \(bundle.entryCount) was refused (\(error)); "
                                       + "the \(result.applied) new ops of the batches before it were applied")
            }
        }
        return result
    }
}
