/// The lifetimes and sizes of browser sign-in: one-time login codes (`roost open`) and the web sessions they
/// are exchanged for. One place, so the CLI, the web app and the tests agree.
public enum SignInLimits {
    /// How long a login code printed by `roost open` can be used (seconds).
    public static let loginCodeSeconds: UInt64 = 120
    /// A web session ends after this long without a request (seconds): 12 hours.
    public static let sessionIdleSeconds: UInt64 = 12 * 3600
    /// A web session ends this long after sign-in whatever its use (seconds): 7 days.
    public static let sessionAbsoluteSeconds: UInt64 = 7 * 24 * 3600
    /// Most live web sessions a node keeps; signing in past it ends the least recently used one.
    public static let maxSessions = 256
    /// Most unused login codes waiting in the home; `roost open` past it removes the oldest.
    public static let maxPendingCodes = 64
}
