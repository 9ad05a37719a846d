public import RoostCore
public import RoostCrypto

/// The peer handshake (Protocol/SPEC-peers.md §2a.3): mutual authentication
/// of two team members over a fresh connection, in four messages.
///
/// ```text
/// M1  initiator → responder   "ROOST" ‖ version ‖ e_i ‖ MAC(nk; "ROOST" ‖ version ‖ e_i)
/// M2  responder → initiator   e_r ‖ MAC(nk; "roost-hs-v1-mac-m2" ‖ e_r ‖ H(M1))
/// M3  initiator → responder   AEAD(k3; A_i ‖ Sig_i("roost-hs-v1-initiator" ‖ nid ‖ h2))
/// M4  responder → initiator   AEAD(k4; A_r ‖ Sig_r("roost-hs-v1-responder" ‖ nid ‖ h3 ‖ A_i))
/// ```
///
/// - Only holders of the team's ``NetworkKey`` get past M1 and M2; a peer
///   without it learns no identity.
/// - Fresh ephemeral X25519 keys give forward secrecy.
/// - Long-term Ed25519 identities sign the transcript; the responder reveals
///   its identity (M4) only after the initiator's passed its policy.
/// - Both ends derive a key per direction for the frame layer
///   (``FrameSealer``, ``FrameOpener``).
///
/// The protocol logic is the pure, socket-free ``StateMachine``;
/// ``SecureChannelHandler`` runs it on a SwiftNIO channel.
public enum Handshake {
    /// The protocol version this implementation speaks, sent in M1.
    public static let version: UInt8 = 1

    /// The five ASCII bytes `ROOST` that start M1.
    public static let magic: [UInt8] = Array("ROOST".utf8)

    /// The nonce of both handshake AEADs: 24 zero bytes. Each of the two keys
    /// is derived from a fresh shared secret and encrypts exactly one
    /// message, so a fixed nonce never repeats under one key.
    static let aeadNonce = [UInt8](repeating: 0, count: XChaCha20Poly1305.nonceLength)

    /// The four handshake messages.
    public enum Message: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
        /// Initiator → responder: magic, version, initiator ephemeral, MAC.
        case m1 = 1
        /// Responder → initiator: responder ephemeral, MAC.
        case m2
        /// Initiator → responder: the initiator's identity and signature, encrypted.
        case m3
        /// Responder → initiator: the responder's identity and signature, encrypted.
        case m4

        /// The payload length of this message in protocol version 1:
        /// 70, 64, 112 and 112 bytes.
        public var length: Int {
            switch self {
            case .m1: Handshake.magic.count + 1 + X25519.publicKeyLength + Blake2b.digestLength
            case .m2: X25519.publicKeyLength + Blake2b.digestLength
            case .m3, .m4: Ed25519.publicKeyLength + Ed25519.signatureLength + XChaCha20Poly1305.tagLength
            }
        }

        /// `M1` ... `M4`.
        public var description: String { "M\(rawValue)" }
    }

    /// Which end of the connection a node is: the initiator dialled, the
    /// responder accepted.
    public enum Role: Sendable, Hashable, CustomStringConvertible {
        case initiator
        case responder

        public var description: String {
            switch self {
            case .initiator: "initiator"
            case .responder: "responder"
            }
        }
    }

    /// What a node's membership policy says about an authenticated peer.
    public enum PeerDecision: Sendable, Hashable {
        /// A current team member: go on.
        case allow
        /// Not a team member: refuse with ``HandshakeError/unknownIdentity(_:)``.
        case unknown
        /// A former member whose access was revoked: refuse with
        /// ``HandshakeError/revokedIdentity(_:)``.
        case revoked
    }

    /// One node's side of the handshake: its keys and who it accepts.
    public struct Configuration: Sendable {
        /// The team's network key; both ends must hold the same one.
        public var networkKey: NetworkKey

        /// This node's long-term Ed25519 identity.
        public var identity: SigningKey

        /// The membership policy, asked only about a peer whose signature
        /// has verified. The responder asks it before it reveals its own
        /// identity.
        public var allowPeer: @Sendable (AuthorID) -> PeerDecision

        /// When set, the handshake fails with
        /// ``HandshakeError/unexpectedPeer(expected:actual:)`` unless the
        /// authenticated peer is this identity (the member an initiator
        /// meant to dial). The policy is still asked.
        public var expectedPeer: AuthorID?

        /// Creates a configuration.
        public init(
            networkKey: NetworkKey,
            identity: SigningKey,
            expectedPeer: AuthorID? = nil,
            allowPeer: @escaping @Sendable (AuthorID) -> PeerDecision
        ) {
            self.networkKey = networkKey
            self.identity = identity
            self.expectedPeer = expectedPeer
            self.allowPeer = allowPeer
        }
    }

    /// The result of a successful handshake: the authenticated peer and the
    /// keys of the two frame streams.
    ///
    /// `description` and mirror show the role, the peer and the transcript
    /// hash, never the keys.
    public struct Session: Sendable, Equatable {
        /// This node's role in the handshake.
        public let role: Role

        /// The peer's authenticated identity.
        public let peer: AuthorID

        /// The key of the stream this node sends (initiator→responder for
        /// the initiator, responder→initiator for the responder).
        public let sendKey: SecretBytes

        /// The key of the stream this node receives.
        public let receiveKey: SecretBytes

        /// `h4`, the BLAKE2b-256 hash of M1 ‖ M2 ‖ M3 ‖ M4. Public (any
        /// observer of the connection can compute it) and the same at both
        /// ends: usable as a channel binding.
        public let transcriptHash: [UInt8]
    }

    /// What the caller of a ``StateMachine`` must do next.
    public enum Action: Sendable {
        /// Send this handshake message (frame it with ``HandshakeFrame``),
        /// then wait for the peer's next one.
        case send([UInt8])
        /// Send this last message; the handshake is complete (responder).
        case sendAndComplete([UInt8], Session)
        /// The handshake is complete (initiator, on M4).
        case complete(Session)
        /// Nothing to send; wait for the peer (responder, on start).
        case wait
        /// The handshake failed: send nothing more, close the connection.
        case fail(HandshakeError)
    }
}

extension Handshake.Session: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// `Session(initiator, peer: MFZWI3D-…, transcript: 1a2b3c4d…)`; never a key.
    public var description: String {
        "Session(\(role), peer: \(peer), transcript: \(Hex.encode(transcriptHash.prefix(8)))…)"
    }

    /// Same as ``description``.
    public var debugDescription: String { description }

    /// A mirror without the keys.
    public var customMirror: Mirror {
        Mirror(
            self,
            children: ["role": role, "peer": peer, "transcriptHash": Hex.encode(transcriptHash)],
            displayStyle: .struct)
    }
}

/// The ASCII labels of the handshake's MACs, key derivations and signatures
/// (SPEC-peers.md §2a.4). No label is a prefix of another, so inputs of
/// different purposes never collide.
enum HandshakeLabel {
    static let networkID = Array("roost-hs-v1-network-id".utf8)
    static let m2MAC = Array("roost-hs-v1-mac-m2".utf8)
    static let m3Key = Array("roost-hs-v1-key-m3".utf8)
    static let m4Key = Array("roost-hs-v1-key-m4".utf8)
    static let initiatorSignature = Array("roost-hs-v1-initiator".utf8)
    static let responderSignature = Array("roost-hs-v1-responder".utf8)
    static let initiatorToResponder = Array("roost-hs-v1-key-i2r".utf8)
    static let responderToInitiator = Array("roost-hs-v1-key-r2i".utf8)
}
