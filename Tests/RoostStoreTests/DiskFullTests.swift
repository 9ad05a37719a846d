import Foundation
import GRDB
import RoostCore
import RoostCrypto
@_spi(StoreInternals) import RoostStore
import Testing

/// Disk full (issue 16): when SQLite reports SQLITE_FULL the store refuses the write with one clear error,
/// writes nothing of it, keeps serving reads, and takes writes again once space returns. The file system is
/// made "full" with `PRAGMA max_page_count` on the writer connection (the page budget SQLite enforces exactly as
/// it enforces a full disk: the transaction fails with SQLITE_FULL and rolls back).
@Suite struct DiskFullTests {
    @Test func fullDiskRefusesWritesKeepsReadsAndResumes() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("roost-full-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try OpStore(path: directory.appendingPathComponent("node.sqlite").path)
        let author = LocalAuthor(key: try SigningKey(seed: [UInt8](repeating: 7, count: 32)), epoch: 1)
        let ticket = EntityRef("ticket", "p1")
        try store.append([.set(entity: ticket, field: "status", value: .string("open"))], by: author,
                         clock: FixedClock(millis: baseMillis))
        let opsBefore = try store.opCount()
        let hashBefore = try store.stateHash()

        // No page may be added from now on.
        let pages = try store.writer.read { db in try Int.fetchOne(db, sql: "PRAGMA page_count") ?? 0 }
        try store.writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = \(pages)") }
        // Ten 60,000-byte values (each under the op value limit): far more than the pages left.
        let big: [OpBody] = (0..<10).map { .set(entity: ticket, field: "note\($0)", value: .string(String(repeating: "x", count: 60_000))) }
        #expect(throws: StoreError.diskFull) {
            try store.append(big + [.set(entity: ticket, field: "priority", value: .string("high"))],
                             by: author, clock: FixedClock(millis: baseMillis + 1_000))
        }
        #expect(StoreError.diskFull.description.hasPrefix("the disk is full: nothing of this change was written"))

        // Nothing of the failed transaction is there, reads go on, and the history still verifies.
        #expect(try store.opCount() == opsBefore)
        #expect(try store.stateHash() == hashBefore)
        #expect(try store.verify().isOK)

        // Space returns: the same write now succeeds, with nothing to restart.
        try store.writer.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA max_page_count = 1073741823") }
        try store.append(big, by: author, clock: FixedClock(millis: baseMillis + 2_000))
        #expect(try store.opCount() == opsBefore + big.count)
        #expect(try store.stateHash() != hashBefore)
        #expect(try store.verify().isOK)
    }
}
