/// A node's (and an author's) identity: its Ed25519 public key.
///
/// The canonical text form is Syncthing's device-id scheme (see ``NodeIDText``):
/// `MFZWI3D-BONSGYC-YLTMRWG-C43ENR5-QXGZDMM-FZWI3DP-BONSGYY-LTMRWAD`.
public struct AuthorID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The 32-byte Ed25519 public key.
    public let key: Bytes32

    /// Wraps a public key.
    public init(key: Bytes32) { self.key = key }

    /// Wraps 32 public-key bytes; nil for any other length.
    public init?(bytes: some Collection<UInt8>) {
        guard let key = Bytes32(bytes) else { return nil }
        self.key = key
    }

    /// Parses the canonical text form (case-insensitive, dashes optional).
    public init(text: String) throws(NodeIDTextError) {
        let bytes = try NodeIDText.decode(text)
        self.key = Bytes32(bytes)!
    }

    /// The canonical text form with check characters.
    public var text: String { NodeIDText.encode(key.bytes) }

    /// The first group of the text form, for compact display (`MFZWI3D`).
    public var short: String { String(text.prefix(7)) }

    public var description: String { text }

    public static func < (lhs: AuthorID, rhs: AuthorID) -> Bool { lhs.key < rhs.key }
}
