import CSodium

/// The process-wide libsodium runtime.
///
/// libsodium must be initialised once with `sodium_init()` before any other
/// call: it seeds the random generator and picks the fastest implementations
/// for the running CPU. Every public entry point of RoostCrypto calls
/// ``ensureInitialized()``; after the first call this is one atomic load.
enum Sodium {
    /// Runs `sodium_init()` exactly once, thread-safely (Swift initialises
    /// global and static `let`s lazily under `swift_once`).
    private static let initialization: Void = {
        // 0: initialised now, 1: already initialised, -1: failure.
        if sodium_init() < 0 {
            fatalError("RoostCrypto: sodium_init() failed; libsodium cannot be used in this process")
        }
    }()

    /// Makes sure libsodium is initialised. Cheap after the first call.
    @inline(__always)
    static func ensureInitialized() {
        _ = initialization
    }
}
