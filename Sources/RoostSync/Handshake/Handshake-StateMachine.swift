import RoostCore
public import RoostCrypto

extension Handshake {
    /// The handshake of one connection as a pure state machine: no sockets,
    /// no clocks, no randomness beyond the ephemeral key it is given.
    ///
    /// Call ``start()`` once, then ``received(_:)`` with each message payload
    /// the peer sends (after its u16 length prefix is removed, see
    /// ``HandshakeFrameDecoder``), and do what each ``Action`` says. The
    /// caller reports the end of the connection with ``connectionClosed()``
    /// and a timeout with ``timedOut()``.
    ///
    /// ```text
    ///  initiator                                   responder
    ///  idle ─start()→ send M1                       idle ─start()→ wait
    ///  awaitingM2 ←───────────── M2 ─────────────── awaitingM1 ─M1→ send M2
    ///  awaitingM2 ─M2→ send M3 ───── M3 ──────────→ awaitingM3
    ///  awaitingM4 ←───────────── M4 ─────────────── awaitingM3 ─M3→ sendAndComplete(M4)
    ///  awaitingM4 ─M4→ complete                     complete
    ///  (any state) ─bad input→ failed
    /// ```
    ///
    /// Injecting the ephemeral key makes a run deterministic (Ed25519
    /// signatures and the fixed-nonce AEAD are deterministic), which is how
    /// Protocol/vectors/handshake.json is produced. In production let it
    /// default to a fresh key: reusing one across connections breaks forward
    /// secrecy and the one-key-one-message rule of the AEAD.
    public struct StateMachine: Sendable {
        private enum State: Sendable {
            case idle
            case awaitingM1
            case awaitingM2(m1: [UInt8])
            case awaitingM3(transcript: [UInt8], sharedSecret: SecretBytes)
            case awaitingM4(transcript: [UInt8], sharedSecret: SecretBytes)
            case complete
            case failed(HandshakeError)
        }

        /// This end's role.
        public let role: Role
        private let configuration: Configuration
        private let ephemeral: X25519KeyPair
        private var state: State = .idle

        /// Creates the state machine of one connection.
        ///
        /// - Parameter ephemeral: this connection's X25519 key; fresh unless
        ///   a test vector fixes it.
        public init(role: Role, configuration: Configuration, ephemeral: X25519KeyPair = .generate()) {
            self.role = role
            self.configuration = configuration
            self.ephemeral = ephemeral
        }

        /// Whether the handshake has completed.
        public var isComplete: Bool {
            if case .complete = state { return true }
            return false
        }

        /// The reason the handshake failed, if it has.
        public var failure: HandshakeError? {
            if case let .failed(error) = state { return error }
            return nil
        }

        /// Starts the handshake: the initiator sends M1, the responder waits.
        /// Call it once; a second call fails with ``HandshakeError/unexpectedMessage``.
        public mutating func start() -> Action {
            guard case .idle = state else { return fail(.unexpectedMessage) }
            switch role {
            case .initiator:
                let m1 = Self.makeM1(networkKey: configuration.networkKey, ephemeral: ephemeral.publicKey)
                state = .awaitingM2(m1: m1)
                return .send(m1)
            case .responder:
                state = .awaitingM1
                return .wait
            }
        }

        /// Processes one handshake message payload from the peer.
        public mutating func received(_ message: [UInt8]) -> Action {
            do throws(HandshakeError) {
                switch state {
                case .idle, .complete:
                    throw .unexpectedMessage
                case let .failed(error):
                    return .fail(error)
                case .awaitingM1:
                    return try receivedM1(message)
                case let .awaitingM2(m1):
                    return try receivedM2(message, m1: m1)
                case let .awaitingM3(transcript, sharedSecret):
                    return try receivedM3(message, transcript: transcript, sharedSecret: sharedSecret)
                case let .awaitingM4(transcript, sharedSecret):
                    return try receivedM4(message, transcript: transcript, sharedSecret: sharedSecret)
                }
            } catch {
                return fail(error)
            }
        }

        /// Reports that the connection closed. Before completion the
        /// handshake fails with ``HandshakeError/connectionClosed``; after
        /// completion or failure this returns ``Action/wait``.
        public mutating func connectionClosed() -> Action {
            abort(.connectionClosed)
        }

        /// Reports that the handshake deadline passed. Before completion the
        /// handshake fails with ``HandshakeError/timedOut``; after completion
        /// or failure this returns ``Action/wait``.
        public mutating func timedOut() -> Action {
            abort(.timedOut)
        }

        private mutating func abort(_ error: HandshakeError) -> Action {
            switch state {
            case .complete, .failed: .wait
            default: fail(error)
            }
        }

        private mutating func fail(_ error: HandshakeError) -> Action {
            state = .failed(error)
            return .fail(error)
        }

        // MARK: responder

        private mutating func receivedM1(_ m1: [UInt8]) throws(HandshakeError) -> Action {
            // Magic and version first, whatever the length, so that a later
            // version's (possibly longer) M1 gets a clear error.
            let magic = Handshake.magic
            guard m1.prefix(magic.count).elementsEqual(magic.prefix(m1.count)) else { throw .badMagic }
            if m1.count > magic.count, m1[magic.count] != Handshake.version {
                throw .unsupportedVersion(m1[magic.count])
            }
            try Self.checkLength(m1, .m1)
            let signed = magic.count + 1
            let initiatorEphemeral = Array(m1[signed..<signed + X25519.publicKeyLength])
            let mac = Array(m1[(signed + X25519.publicKeyLength)...])
            let expected = KeyedBlake2b.mac(key: configuration.networkKey.secret, Array(m1[..<(signed + X25519.publicKeyLength)]))
            guard ConstantTime.equals(mac, expected) else { throw .wrongNetworkKey(message: .m1) }

            let sharedSecret = try Self.agree(ephemeral, initiatorEphemeral)
            let m2 = Self.makeM2(networkKey: configuration.networkKey, ephemeral: ephemeral.publicKey, m1: m1)
            state = .awaitingM3(transcript: m1 + m2, sharedSecret: sharedSecret)
            return .send(m2)
        }

        private mutating func receivedM3(
            _ m3: [UInt8], transcript: [UInt8], sharedSecret: SecretBytes
        ) throws(HandshakeError) -> Action {
            try Self.checkLength(m3, .m3)
            let networkKey = configuration.networkKey
            let h2 = Blake2b.hash256(transcript)
            let k3 = Self.derive(HandshakeLabel.m3Key, networkKey: networkKey, sharedSecret: sharedSecret, h2)
            let plaintext: [UInt8]
            do {
                plaintext = try XChaCha20Poly1305.open(m3, additionalData: h2, nonce: Handshake.aeadNonce, key: k3)
            } catch {
                throw .decryptionFailed(message: .m3)
            }
            let (initiator, signature) = Self.split(plaintext)
            let signed = Self.initiatorSignedMessage(networkID: networkKey.id, h2: h2)
            guard Ed25519.verify(signature: signature, message: signed, publicKey: initiator) else {
                throw .invalidSignature(message: .m3)
            }
            // Decide on the initiator before revealing anything about this node.
            let peer = AuthorID(bytes: initiator)!
            try check(peer)

            let h3 = Blake2b.hash256(transcript + m3)
            let own = configuration.identity.publicKey
            let signature4 = configuration.identity.sign(
                Self.responderSignedMessage(networkID: networkKey.id, h3: h3, initiator: initiator))
            let k4 = Self.derive(HandshakeLabel.m4Key, networkKey: networkKey, sharedSecret: sharedSecret, h3)
            let m4 = Self.seal(own + signature4, h3, key: k4)
            let session = Self.session(
                role: .responder, peer: peer, initiator: initiator, responder: own,
                transcript: transcript + m3 + m4, networkKey: networkKey, sharedSecret: sharedSecret)
            state = .complete
            return .sendAndComplete(m4, session)
        }

        // MARK: initiator

        private mutating func receivedM2(_ m2: [UInt8], m1: [UInt8]) throws(HandshakeError) -> Action {
            try Self.checkLength(m2, .m2)
            let networkKey = configuration.networkKey
            let responderEphemeral = Array(m2[..<X25519.publicKeyLength])
            let expected = Self.makeM2(networkKey: networkKey, ephemeral: responderEphemeral, m1: m1)
            guard ConstantTime.equals(m2, expected) else { throw .wrongNetworkKey(message: .m2) }

            let sharedSecret = try Self.agree(ephemeral, responderEphemeral)
            let transcript = m1 + m2
            let h2 = Blake2b.hash256(transcript)
            let k3 = Self.derive(HandshakeLabel.m3Key, networkKey: networkKey, sharedSecret: sharedSecret, h2)
            let signature = configuration.identity.sign(Self.initiatorSignedMessage(networkID: networkKey.id, h2: h2))
            let m3 = Self.seal(configuration.identity.publicKey + signature, h2, key: k3)
            state = .awaitingM4(transcript: transcript + m3, sharedSecret: sharedSecret)
            return .send(m3)
        }

        private mutating func receivedM4(
            _ m4: [UInt8], transcript: [UInt8], sharedSecret: SecretBytes
        ) throws(HandshakeError) -> Action {
            try Self.checkLength(m4, .m4)
            let networkKey = configuration.networkKey
            let h3 = Blake2b.hash256(transcript)
            let k4 = Self.derive(HandshakeLabel.m4Key, networkKey: networkKey, sharedSecret: sharedSecret, h3)
            let plaintext: [UInt8]
            do {
                plaintext = try XChaCha20Poly1305.open(m4, additionalData: h3, nonce: Handshake.aeadNonce, key: k4)
            } catch {
                throw .decryptionFailed(message: .m4)
            }
            let (responder, signature) = Self.split(plaintext)
            let own = configuration.identity.publicKey
            let signed = Self.responderSignedMessage(networkID: networkKey.id, h3: h3, initiator: own)
            guard Ed25519.verify(signature: signature, message: signed, publicKey: responder) else {
                throw .invalidSignature(message: .m4)
            }
            let peer = AuthorID(bytes: responder)!
            try check(peer)
            let session = Self.session(
                role: .initiator, peer: peer, initiator: own, responder: responder,
                transcript: transcript + m4, networkKey: networkKey, sharedSecret: sharedSecret)
            state = .complete
            return .complete(session)
        }

        // MARK: shared steps

        /// Self, expected peer, then policy: the checks every authenticated
        /// peer identity goes through.
        private func check(_ peer: AuthorID) throws(HandshakeError) {
            guard peer.key.bytes != configuration.identity.publicKey else { throw .connectedToSelf }
            if let expected = configuration.expectedPeer, expected != peer {
                throw .unexpectedPeer(expected: expected, actual: peer)
            }
            switch configuration.allowPeer(peer) {
            case .allow: return
            case .unknown: throw .unknownIdentity(peer)
            case .revoked: throw .revokedIdentity(peer)
            }
        }

        private static func checkLength(_ message: [UInt8], _ which: Message) throws(HandshakeError) {
            guard message.count == which.length else {
                throw .invalidLength(message: which, expected: which.length, actual: message.count)
            }
        }

        private static func agree(_ ephemeral: X25519KeyPair, _ peer: [UInt8]) throws(HandshakeError) -> SecretBytes {
            do {
                return try X25519.sharedSecretBytes(secret: ephemeral, peerPublic: peer)
            } catch {
                throw .invalidEphemeralKey
            }
        }

        /// Splits an M3/M4 plaintext into the public key and the signature.
        private static func split(_ plaintext: [UInt8]) -> (publicKey: [UInt8], signature: [UInt8]) {
            (Array(plaintext[..<Ed25519.publicKeyLength]), Array(plaintext[Ed25519.publicKeyLength...]))
        }

        private static func seal(_ plaintext: [UInt8], _ transcriptHash: [UInt8], key: SecretBytes) -> [UInt8] {
            // Key and nonce have their fixed lengths, and the plaintext is 96 bytes.
            try! XChaCha20Poly1305.seal(plaintext, additionalData: transcriptHash, nonce: Handshake.aeadNonce, key: key)
        }

        /// M1 = magic ‖ version ‖ e_i ‖ KB(nk; magic ‖ version ‖ e_i).
        static func makeM1(networkKey: NetworkKey, ephemeral: [UInt8]) -> [UInt8] {
            let signed = Handshake.magic + [Handshake.version] + ephemeral
            return signed + KeyedBlake2b.mac(key: networkKey.secret, signed)
        }

        /// M2 = e_r ‖ KB(nk; "roost-hs-v1-mac-m2" ‖ e_r ‖ H(M1)).
        static func makeM2(networkKey: NetworkKey, ephemeral: [UInt8], m1: [UInt8]) -> [UInt8] {
            ephemeral + KeyedBlake2b.mac(key: networkKey.secret, HandshakeLabel.m2MAC, ephemeral, Blake2b.hash256(m1))
        }

        /// KB(nk; label ‖ ss ‖ parts…), kept in wiped storage.
        static func derive(
            _ label: [UInt8], networkKey: NetworkKey, sharedSecret: SecretBytes, _ parts: [UInt8]...
        ) -> SecretBytes {
            var hasher = KeyedBlake2b(key: networkKey.secret)
            hasher.update(label)
            hasher.update(sharedSecret)
            for part in parts { hasher.update(part) }
            return hasher.finalizeKey()
        }

        /// "roost-hs-v1-initiator" ‖ nid ‖ h2.
        static func initiatorSignedMessage(networkID: [UInt8], h2: [UInt8]) -> [UInt8] {
            HandshakeLabel.initiatorSignature + networkID + h2
        }

        /// "roost-hs-v1-responder" ‖ nid ‖ h3 ‖ A_i.
        static func responderSignedMessage(networkID: [UInt8], h3: [UInt8], initiator: [UInt8]) -> [UInt8] {
            HandshakeLabel.responderSignature + networkID + h3 + initiator
        }

        private static func session(
            role: Role, peer: AuthorID, initiator: [UInt8], responder: [UInt8],
            transcript: [UInt8], networkKey: NetworkKey, sharedSecret: SecretBytes
        ) -> Session {
            let h4 = Blake2b.hash256(transcript)
            let i2r = derive(
                HandshakeLabel.initiatorToResponder, networkKey: networkKey, sharedSecret: sharedSecret,
                h4, initiator, responder)
            let r2i = derive(
                HandshakeLabel.responderToInitiator, networkKey: networkKey, sharedSecret: sharedSecret,
                h4, initiator, responder)
            return switch role {
            case .initiator: Session(role: role, peer: peer, sendKey: i2r, receiveKey: r2i, transcriptHash: h4)
            case .responder: Session(role: role, peer: peer, sendKey: r2i, receiveKey: i2r, transcriptHash: h4)
            }
        }
    }
}
