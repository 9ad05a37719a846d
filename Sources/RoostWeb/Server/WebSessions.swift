import Foundation
public import RoostCore
import RoostCrypto
public import RoostNode

/// The web app's server-side sessions: a browser that redeemed a ``LoginCode`` holds a random id (32 bytes from
/// libsodium, 64 hex digits) in its cookie; the node keeps only the id's BLAKE2b hash, in memory, with when it
/// was made and last used. A session ends on logout, after ``SignInLimits/sessionIdleSeconds`` unused, after
/// ``SignInLimits/sessionAbsoluteSeconds`` in all, when the API token is rotated, and when the node restarts.
public final class WebSessions: @unchecked Sendable {
    struct Entry {
        var createdMillis: UInt64
        var lastSeenMillis: UInt64
    }

    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    private let clock: any WallClock

    /// Sessions timed by `clock`.
    public init(clock: any WallClock = SystemClock()) { self.clock = clock }

    /// Starts a session; returns its id (for the cookie only: it is not kept).
    public func create() -> String {
        let id = Hex.encode(SecureRandom.bytes(32))
        let now = clock.nowMillis()
        lock.withLock {
            entries = entries.filter { live($0.value, now: now) }
            if entries.count >= SignInLimits.maxSessions,
               let oldest = entries.min(by: { $0.value.lastSeenMillis < $1.value.lastSeenMillis }) {
                entries.removeValue(forKey: oldest.key)
            }
            entries[Self.key(id)] = Entry(createdMillis: now, lastSeenMillis: now)
        }
        return id
    }

    /// Whether `id` names a live session; using it keeps it from going idle.
    public func validate(_ id: String) -> Bool {
        guard id.utf8.count == 64, Hex.decode(id) != nil else { return false }
        let key = Self.key(id.lowercased()), now = clock.nowMillis()
        return lock.withLock {
            guard let entry = entries[key] else { return false }
            guard live(entry, now: now) else {
                entries.removeValue(forKey: key)
                return false
            }
            entries[key]?.lastSeenMillis = now
            return true
        }
    }

    /// Ends one session (logout).
    public func end(_ id: String) {
        let key = Self.key(id.lowercased())
        lock.withLock { _ = entries.removeValue(forKey: key) }
    }

    /// Ends every session (the API token was rotated).
    public func endAll() { lock.withLock { entries.removeAll() } }

    /// How many sessions are held (expired ones included until next touched).
    public var count: Int { lock.withLock { entries.count } }

    private func live(_ entry: Entry, now: UInt64) -> Bool {
        now < entry.lastSeenMillis + SignInLimits.sessionIdleSeconds * 1000
            && now < entry.createdMillis + SignInLimits.sessionAbsoluteSeconds * 1000
    }

    static func key(_ id: String) -> String {
        Hex.encode(Blake2b.hash256(Array("roost-web-session-v2\u{0}\(id)".utf8)))
    }
}
