import Synchronization

/// One-line notices a node has for its user while it works, outside any command's output: today, that opening a home
/// an older Roost wrote rebuilds its store once, which takes a while on a large home. The `roost` executable sends them
/// to standard error; by default (tests, libraries) they go nowhere. Never customer text or secrets.
public enum NodeNotices {
    private static let handler = Mutex<(@Sendable (String) -> Void)?>(nil)

    /// Where notices go from now on (nil: nowhere).
    public static func setHandler(_ handler: (@Sendable (String) -> Void)?) {
        self.handler.withLock { $0 = handler }
    }

    /// Sends `line` to the handler, if any.
    static func post(_ line: String) {
        let current = handler.withLock { $0 }
        current?(line)
    }

    /// The notice for a store upgrade about to rewrite `ops` ops.
    static func upgrading(ops: Int) -> String {
        "upgrading this home's store to the compact op table: \(ops) ops are rewritten once, which takes 10–20 s per "
            + "million ops; do not stop it (if it is stopped, the next start begins again)"
    }
}
