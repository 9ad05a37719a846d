public import RoostCore
public import RoostTwitter

/// The X gateway's part of the schema (Protocol/SPEC.md part 1b):
///
/// - `handle/<x user id>`: a brand account, inserted once with `username`; registers `gateway` (node id of
///   the member holding the gateway role for it, written by `roost gateway assign`), `cursor.mentions` and
///   `cursor.dms` (the newest mention / DM event id ingested, written by the gateway after each poll so the
///   next gateway resumes there).
/// - `message/<id>` (an outbound reply) registers: `outbox` (queued → posting → posted | failed | held;
///   discarded), `outbox.reason` (why held or failed, shown by `roost show`), `outbox.override` (true after
///   `roost outbox send-anyway`), `x_id` (the tweet or DM event it was posted as), `posted_ms`, `attempt_ms`
///   (when the last `posting` was written).
/// - `xpost/<x id>`: inserted when a reply is posted, with `message` = the reply's message id, so the
///   gateway never ingests its own posts as new messages.
public enum Gateway {
    /// Collections.
    public static let handle = "handle", xpost = "xpost"
    /// Registers of `handle/<id>`.
    public static let gatewayField = "gateway", mentionsCursor = "cursor.mentions", dmsCursor = "cursor.dms",
        usernameField = "username"
    /// Registers of `handle/<id>` for failover (SPEC.md §1b.14): `standby` (comma-separated node ids, admin-written),
    /// `lease_seconds` (admin-written), `lease_epoch` and `lease_since` (written with each acquisition of the lease).
    public static let standbyField = "standby", leaseSecondsField = "lease_seconds", leaseEpochField = "lease_epoch",
        leaseSinceField = "lease_since"
    /// Registers of an outbound `message/<id>`.
    public static let outbox = "outbox", reason = "outbox.reason", override = "outbox.override", xID = "x_id",
        postedMillis = "posted_ms", attemptMillis = "attempt_ms"
    /// Registers of an outbound `message/<id>` under failover: `attempt_epoch` (the lease epoch a `posting` was written
    /// in: the fencing token) and `checked_epoch` (the tenure that looked for it on X before posting it).
    public static let attemptEpoch = "attempt_epoch", checkedEpoch = "checked_epoch"
    /// Roles (register `role` of `member/<node id>`, written by the roster) allowed to run a gateway.
    /// A member with no role yet (a team from before the roster) may run one when assigned.
    public static let gatewayRoles: Set<String> = ["gateway", "admin", "lead"]
}

/// Timings and sizes of the gateway, named in one place.
public struct GatewayLimits: Sendable, Hashable, Codable {
    /// Seconds between polls of mentions and DMs.
    public var pollSeconds: Int
    /// Seconds between outbox drains.
    public var drainSeconds: Int
    /// Conversations fetched with recent search per poll for replies that arrived without their root.
    public var maxRootLookupsPerPoll: Int
    /// How far back (ms before the draft) a crash-recovery check looks for the reply on X (DM events and
    /// conversation tweets older than this are not the reply).
    public var dmRecoveryWindowMillis: UInt64
    /// How long after an interrupted attempt the gateway waits before looking for it on X (X's search
    /// shows a new tweet after a few seconds).
    public var recoveryDelayMillis: UInt64

    /// The defaults (X's user-context mentions limit is 180 requests per 15 minutes: one every 5 s).
    public static let standard = GatewayLimits(pollSeconds: 15, drainSeconds: 2, maxRootLookupsPerPoll: 20,
                                               dmRecoveryWindowMillis: 60_000, recoveryDelayMillis: 30_000)

    /// Creates limits.
    public init(pollSeconds: Int, drainSeconds: Int, maxRootLookupsPerPoll: Int, dmRecoveryWindowMillis: UInt64,
                recoveryDelayMillis: UInt64) {
        self.pollSeconds = pollSeconds
        self.drainSeconds = drainSeconds
        self.maxRootLookupsPerPoll = maxRootLookupsPerPoll
        self.dmRecoveryWindowMillis = dmRecoveryWindowMillis
        self.recoveryDelayMillis = recoveryDelayMillis
    }
}

/// A brand account as the team's ops describe it.
public struct GatewayHandle: Sendable, Hashable, Codable {
    /// The X user id.
    public var userID: String
    /// The X username, without `@`.
    public var username: String
    /// The node id text of the member assigned as its gateway.
    public var gateway: String?
    /// Newest mention id ingested.
    public var mentionsCursor: String?
    /// Newest DM event id ingested.
    public var dmsCursor: String?

    /// Creates a handle.
    public init(userID: String, username: String, gateway: String? = nil, mentionsCursor: String? = nil, dmsCursor: String? = nil) {
        self.userID = userID
        self.username = username
        self.gateway = gateway
        self.mentionsCursor = mentionsCursor
        self.dmsCursor = dmsCursor
    }

    /// The entity.
    public var entity: EntityRef { EntityRef(Gateway.handle, userID) }
}

/// Why a gateway step failed. The message names the handle and the cause, never a token or customer text.
public enum GatewayError: Error, Sendable, Equatable, CustomStringConvertible {
    /// This node is not the handle's assigned gateway (or lost the role): it must not poll or post.
    case notAssigned(handle: String)
    /// The X API failed; the step stopped without losing anything (no cursor moved past unread items).
    case api(XAPIError)
    /// The desk refused or the store failed.
    case desk(DeskError)
    /// A test hook stopped the gateway, as a crash would.
    case crashed(String)

    public var description: String {
        switch self {
        case let .notAssigned(handle): "this node is not the gateway of @\(handle)"
        case let .api(error): error.description
        case let .desk(error): error.description
        case let .crashed(point): "gateway stopped (test crash) \(point)"
        }
    }
}

/// Points where a test stops the gateway as a crash would (the process dying between two steps).
public struct GatewayHooks: Sendable {
    /// Called after `posting` is committed and before the POST; throwing stops the drain there.
    public var afterPostingCommitted: @Sendable (_ messageID: String) throws -> Void
    /// Called after X accepted the POST and before `posted` is written; throwing stops the drain there.
    public var afterPost: @Sendable (_ messageID: String) throws -> Void

    /// Hooks that do nothing (production).
    public static let none = GatewayHooks(afterPostingCommitted: { _ in }, afterPost: { _ in })

    /// Creates hooks.
    public init(afterPostingCommitted: @escaping @Sendable (String) throws -> Void,
                afterPost: @escaping @Sendable (String) throws -> Void) {
        self.afterPostingCommitted = afterPostingCommitted
        self.afterPost = afterPost
    }
}
