import RoostCore
public import RoostCrypto

/// The team's 32-byte network key: a shared capability every member node
/// holds (Protocol/SPEC-peers.md §2a.2).
///
/// A peer that does not hold it cannot get past the first handshake message,
/// and learns no identity. It keys every MAC and key derivation of the
/// handshake, so sessions of different teams never share keys.
///
/// The key lives in wiped storage; `description`, debug description and
/// mirror show only its public ``id`` (a keyed hash that does not reveal the
/// key), never the key.
public struct NetworkKey: Sendable, Equatable {
    /// The length in bytes of a network key: 32.
    public static let length = 32

    /// The key bytes.
    let secret: SecretBytes

    /// A public identifier of the network: keyed BLAKE2b-256 of the label
    /// `roost-hs-v1-network-id` under the key. Both handshake signatures
    /// cover it. It is never sent on the wire; safe to log and compare.
    public let id: [UInt8]

    /// Wraps 32 key bytes (as read from configuration or a test vector).
    ///
    /// - Throws: ``CryptoError/invalidLength(what:expected:actual:)`` for any
    ///   other length.
    public init(secret: SecretBytes) throws(CryptoError) {
        guard secret.count == Self.length else {
            throw .invalidLength(what: "network key", expected: Self.length, actual: secret.count)
        }
        self.secret = secret
        self.id = KeyedBlake2b.mac(key: secret, HandshakeLabel.networkID)
    }

    /// Copies 32 key bytes into wiped storage; clear `bytes` afterwards.
    ///
    /// - Throws: ``CryptoError/invalidLength(what:expected:actual:)`` for any
    ///   other length.
    public init(bytes: [UInt8]) throws(CryptoError) {
        try self.init(secret: SecretBytes(copying: bytes))
    }

    /// A fresh random network key, for a new team.
    public static func generate() -> NetworkKey {
        // A 32-byte secret always has the right length.
        try! NetworkKey(secret: .random(count: length))
    }

    /// The key bytes as an ordinary (unwiped) array, to write a key file.
    /// Secret: handle with care.
    public func copyBytes() -> [UInt8] {
        secret.copyBytes()
    }

    /// Constant-time on the key bytes.
    public static func == (lhs: NetworkKey, rhs: NetworkKey) -> Bool {
        lhs.secret == rhs.secret
    }
}

extension NetworkKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// `NetworkKey(id: 1a2b3c4d…)`: the first 8 bytes of the public id.
    public var description: String { "NetworkKey(id: \(Hex.encode(id.prefix(8)))…)" }

    /// Same as ``description``.
    public var debugDescription: String { description }

    /// A mirror exposing only the public id.
    public var customMirror: Mirror {
        Mirror(self, children: ["id": Hex.encode(id)], displayStyle: .struct)
    }
}
