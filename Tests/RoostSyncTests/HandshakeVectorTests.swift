import RoostTestSupport
import Foundation
import RoostCore
import RoostCrypto
@testable import RoostSync
import Testing

// Protocol/vectors/handshake.json: a full handshake transcript from fixed
// keys (SPEC-peers.md §2a.8). The file is committed; these tests read it and
// fail if it is missing. Every value is checked three ways: recomputed from
// the primitives following the spec text (not through the state machine),
// produced by state machines with the fixed keys, and consumed (each state
// machine fed the other side's vector messages answers with the vector's).
// To regenerate after a deliberate change:
//   ROOST_WRITE_VECTORS=1 swift test --filter "HandshakeVectorTests|FrameVectorTests"

/// Reading and writing the wire vector files.
enum WireVectors {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Protocol/vectors")

    static var writing: Bool { ProcessInfo.processInfo.environment["ROOST_WRITE_VECTORS"] == "1" }

    static func load(_ name: String) throws -> [String: Any] {
        let data = try Data(contentsOf: directory.appendingPathComponent(name))
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func write(_ name: String, _ value: WireVectorJSON) throws {
        try Data((value.render(indent: "") + "\n").utf8).write(to: directory.appendingPathComponent(name))
    }
}

/// JSON with keys in the order written, so the files read top-down.
indirect enum WireVectorJSON {
    case string(String)
    case int(Int)
    case array([WireVectorJSON])
    case object([(String, WireVectorJSON)])

    static func hex(_ bytes: [UInt8]) -> WireVectorJSON { .string(Hex.encode(bytes)) }

    func render(indent: String) -> String {
        let inner = indent + "  "
        switch self {
        case let .string(text):
            let escaped = text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            return "\"\(escaped)\""
        case let .int(value):
            return String(value)
        case let .array(items):
            if items.isEmpty { return "[]" }
            if items.allSatisfy({ if case .string = $0 { true } else { false } }), items.count > 8 {
                // Long lists of hex strings: one per line.
                return "[\n" + items.map { inner + $0.render(indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
            }
            return "[\n" + items.map { inner + $0.render(indent: inner) }.joined(separator: ",\n") + "\n" + indent + "]"
        case let .object(fields):
            if fields.isEmpty { return "{}" }
            return "{\n" + fields.map { inner + "\"\($0.0)\": " + $0.1.render(indent: inner) }.joined(separator: ",\n")
                + "\n" + indent + "}"
        }
    }
}

extension [String: Any] {
    func hex(_ key: String) throws -> [UInt8] {
        Hex.bytes(try #require(self[key] as? String, "missing \(key)"))
    }

    func object(_ key: String) throws -> [String: Any] {
        try #require(self[key] as? [String: Any], "missing \(key)")
    }

    func objects(_ key: String) throws -> [[String: Any]] {
        try #require(self[key] as? [[String: Any]], "missing \(key)")
    }

    func hexList(_ key: String) throws -> [[UInt8]] {
        try #require(self[key] as? [String], "missing \(key)").map(Hex.bytes)
    }

    func string(_ key: String) throws -> String {
        try #require(self[key] as? String, "missing \(key)")
    }
}

/// The fixed inputs of the handshake vector and the transcript computed from
/// them by following SPEC-peers.md with the primitives alone.
struct HandshakeVector {
    static let networkKeyBytes = Array(UInt8(0xA0)...UInt8(0xBF))
    static let initiatorSeed = [UInt8](repeating: 0x01, count: 32)
    static let responderSeed = [UInt8](repeating: 0x02, count: 32)
    static let initiatorEphemeralSecret = Array(UInt8(0x40)...UInt8(0x5F))
    static let responderEphemeralSecret = Array(UInt8(0x60)...UInt8(0x7F))

    var networkID: [UInt8] = []
    var initiatorPublic: [UInt8] = [], responderPublic: [UInt8] = []
    var initiatorEphemeral: [UInt8] = [], responderEphemeral: [UInt8] = []
    var sharedSecret: [UInt8] = []
    var m1: [UInt8] = [], m2: [UInt8] = [], m3: [UInt8] = [], m4: [UInt8] = []
    var h2: [UInt8] = [], k3: [UInt8] = [], m3Plaintext: [UInt8] = []
    var h3: [UInt8] = [], k4: [UInt8] = [], m4Plaintext: [UInt8] = []
    var h4: [UInt8] = [], keyI2R: [UInt8] = [], keyR2I: [UInt8] = []

    /// §2a.3 and §2a.4, step by step, on RoostCrypto primitives.
    static func fromSpec(networkKeyBytes: [UInt8] = networkKeyBytes) throws -> HandshakeVector {
        let nk = SecretBytes(copying: networkKeyBytes)
        func kb(_ parts: [UInt8]...) -> [UInt8] {
            var hasher = KeyedBlake2b(key: nk)
            for part in parts { hasher.update(part) }
            return hasher.finalizeMAC()
        }
        func label(_ text: String) -> [UInt8] { Array(text.utf8) }
        let nonce = [UInt8](repeating: 0, count: 24)
        let initiator = try SigningKey(seed: initiatorSeed)
        let responder = try SigningKey(seed: responderSeed)
        let ei = try X25519KeyPair(secretKey: initiatorEphemeralSecret)
        let er = try X25519KeyPair(secretKey: responderEphemeralSecret)

        var v = HandshakeVector()
        v.networkID = kb(label("roost-hs-v1-network-id"))
        v.initiatorPublic = initiator.publicKey
        v.responderPublic = responder.publicKey
        v.initiatorEphemeral = ei.publicKey
        v.responderEphemeral = er.publicKey
        let m1Signed = Array("ROOST".utf8) + [1] + ei.publicKey
        v.m1 = m1Signed + kb(m1Signed)
        v.m2 = er.publicKey + kb(label("roost-hs-v1-mac-m2"), er.publicKey, Blake2b.hash256(v.m1))
        v.sharedSecret = try X25519.sharedSecret(secret: ei, peerPublic: er.publicKey)
        #expect(try X25519.sharedSecret(secret: er, peerPublic: ei.publicKey) == v.sharedSecret)
        v.h2 = Blake2b.hash256(v.m1 + v.m2)
        v.k3 = kb(label("roost-hs-v1-key-m3"), v.sharedSecret, v.h2)
        v.m3Plaintext = initiator.publicKey + initiator.sign(label("roost-hs-v1-initiator") + v.networkID + v.h2)
        v.m3 = try XChaCha20Poly1305.seal(v.m3Plaintext, additionalData: v.h2, nonce: nonce, key: SecretBytes(copying: v.k3))
        v.h3 = Blake2b.hash256(v.m1 + v.m2 + v.m3)
        v.k4 = kb(label("roost-hs-v1-key-m4"), v.sharedSecret, v.h3)
        v.m4Plaintext = responder.publicKey
            + responder.sign(label("roost-hs-v1-responder") + v.networkID + v.h3 + initiator.publicKey)
        v.m4 = try XChaCha20Poly1305.seal(v.m4Plaintext, additionalData: v.h3, nonce: nonce, key: SecretBytes(copying: v.k4))
        v.h4 = Blake2b.hash256(v.m1 + v.m2 + v.m3 + v.m4)
        let identities = initiator.publicKey + responder.publicKey
        v.keyI2R = kb(label("roost-hs-v1-key-i2r"), v.sharedSecret, v.h4, identities)
        v.keyR2I = kb(label("roost-hs-v1-key-r2i"), v.sharedSecret, v.h4, identities)
        return v
    }

    static func configuration(_ seed: [UInt8], networkKey: [UInt8] = networkKeyBytes, members: [[UInt8]]? = nil, revoked: [[UInt8]] = []) throws -> Handshake.Configuration {
        let everyone = members.map { Set($0.compactMap { AuthorID(bytes: $0) }) }
        let revokedIDs = Set(revoked.compactMap { AuthorID(bytes: $0) })
        return Handshake.Configuration(
            networkKey: try NetworkKey(bytes: networkKey), identity: try SigningKey(seed: seed),
            allowPeer: { peer in
                if revokedIDs.contains(peer) { return .revoked }
                guard let everyone else { return .allow }
                return everyone.contains(peer) ? .allow : .unknown
            })
    }

    var messages: [[UInt8]] { [m1, m2, m3, m4] }

    func json(failures: [WireVectorJSON]) -> WireVectorJSON {
        .object([
            ("description", .string(
                "One complete Roost handshake (Protocol/SPEC-peers.md, part 2a) from fixed keys: network key, both "
                    + "identity seeds and both ephemeral X25519 secrets. 'payload' is the handshake message, 'frame' "
                    + "the same with its u16 length prefix. Every intermediate value is given; shared_secret, k3, k4 "
                    + "and the session keys are secret in real use. 'failures' feed messages to one side and name "
                    + "the HandshakeError it must fail with.")),
            ("version", .int(1)),
            ("network_key", .hex(Self.networkKeyBytes)),
            ("network_id", .hex(networkID)),
            ("initiator", .object([
                ("seed", .hex(Self.initiatorSeed)), ("public_key", .hex(initiatorPublic)),
                ("ephemeral_secret", .hex(Self.initiatorEphemeralSecret)), ("ephemeral_public", .hex(initiatorEphemeral)),
            ])),
            ("responder", .object([
                ("seed", .hex(Self.responderSeed)), ("public_key", .hex(responderPublic)),
                ("ephemeral_secret", .hex(Self.responderEphemeralSecret)), ("ephemeral_public", .hex(responderEphemeral)),
            ])),
            ("messages", .array(zip(["M1", "M2", "M3", "M4"], messages).map { name, payload in
                .object([("name", .string(name)), ("payload", .hex(payload)), ("frame", .hex(HandshakeFrame.encode(payload)))])
            })),
            ("shared_secret", .hex(sharedSecret)),
            ("h2", .hex(h2)),
            ("k3", .hex(k3)),
            ("m3_plaintext", .hex(m3Plaintext)),
            ("h3", .hex(h3)),
            ("k4", .hex(k4)),
            ("m4_plaintext", .hex(m4Plaintext)),
            ("h4", .hex(h4)),
            ("initiator_to_responder_key", .hex(keyI2R)),
            ("responder_to_initiator_key", .hex(keyR2I)),
            ("failures", .array(failures)),
        ])
    }
}

/// A vector case in which one side must fail.
struct HandshakeFailureCase {
    var name: String
    var role: Handshake.Role
    var receive: [[UInt8]]
    var error: String
    var networkKey: [UInt8]? = nil
    var ephemeralSecret: [UInt8]? = nil
    var members: [[UInt8]]? = nil
    var revoked: [[UInt8]] = []

    var json: WireVectorJSON {
        var fields: [(String, WireVectorJSON)] = [("name", .string(name)), ("role", .string("\(role)"))]
        if let networkKey { fields.append(("network_key", .hex(networkKey))) }
        if let ephemeralSecret { fields.append(("ephemeral_secret", .hex(ephemeralSecret))) }
        if let members { fields.append(("members", .array(members.map(WireVectorJSON.hex)))) }
        if !revoked.isEmpty { fields.append(("revoked", .array(revoked.map(WireVectorJSON.hex)))) }
        fields.append(("receive", .array(receive.map(WireVectorJSON.hex))))
        fields.append(("error", .string(error)))
        return .object(fields)
    }

    init(
        name: String, role: Handshake.Role, receive: [[UInt8]], error: String, networkKey: [UInt8]? = nil,
        ephemeralSecret: [UInt8]? = nil, members: [[UInt8]]? = nil, revoked: [[UInt8]] = []
    ) {
        self.name = name
        self.role = role
        self.receive = receive
        self.error = error
        self.networkKey = networkKey
        self.ephemeralSecret = ephemeralSecret
        self.members = members
        self.revoked = revoked
    }

    init(json: [String: Any]) throws {
        name = try json.string("name")
        role = try json.string("role") == "initiator" ? .initiator : .responder
        receive = try json.hexList("receive")
        error = try json.string("error")
        networkKey = json["network_key"] == nil ? nil : try json.hex("network_key")
        ephemeralSecret = json["ephemeral_secret"] == nil ? nil : try json.hex("ephemeral_secret")
        members = json["members"] == nil ? nil : try json.hexList("members")
        revoked = json["revoked"] == nil ? [] : try json.hexList("revoked")
    }

    /// Runs the case; returns the error's vector name, or nil if none.
    func run() throws -> String? {
        let isInitiator = role == .initiator
        let seed = isInitiator ? HandshakeVector.initiatorSeed : HandshakeVector.responderSeed
        let secret = ephemeralSecret
            ?? (isInitiator ? HandshakeVector.initiatorEphemeralSecret : HandshakeVector.responderEphemeralSecret)
        var machine = Handshake.StateMachine(
            role: role,
            configuration: try HandshakeVector.configuration(
                seed, networkKey: networkKey ?? HandshakeVector.networkKeyBytes, members: members, revoked: revoked),
            ephemeral: try X25519KeyPair(secretKey: secret))
        if case let .fail(error) = machine.start() { return error.vectorName }
        for message in receive {
            if case let .fail(error) = machine.received(message) { return error.vectorName }
        }
        return nil
    }

    static func all(_ v: HandshakeVector) -> [HandshakeFailureCase] {
        func flip(_ bytes: [UInt8], at index: Int) -> [UInt8] {
            var bytes = bytes
            bytes[index] ^= 0x01
            return bytes
        }
        var version2 = v.m1
        version2[5] = 2
        return [
            .init(name: "M1 with bad magic", role: .responder, receive: [flip(v.m1, at: 0)], error: "badMagic"),
            .init(name: "M1 with version 2", role: .responder, receive: [version2], error: "unsupportedVersion(2)"),
            .init(name: "M1 with a flipped MAC bit", role: .responder, receive: [flip(v.m1, at: 69)], error: "wrongNetworkKey(M1)"),
            .init(
                name: "M1 to a responder with another network key", role: .responder, receive: [v.m1],
                error: "wrongNetworkKey(M1)", networkKey: [UInt8](repeating: 0xFF, count: 32)),
            .init(name: "M1 one byte short", role: .responder, receive: [Array(v.m1.dropLast())], error: "invalidLength(M1)"),
            .init(
                name: "M1 and M3 replayed to a responder with a fresh ephemeral key", role: .responder,
                receive: [v.m1, v.m3], error: "decryptionFailed(M3)", ephemeralSecret: Array(UInt8(0x80)...UInt8(0x9F))),
            .init(name: "M3 with a flipped bit", role: .responder, receive: [v.m1, flip(v.m3, at: 40)], error: "decryptionFailed(M3)"),
            .init(
                name: "initiator not a member", role: .responder, receive: [v.m1, v.m3], error: "unknownIdentity",
                members: [v.responderPublic]),
            .init(
                name: "initiator revoked", role: .responder, receive: [v.m1, v.m3], error: "revokedIdentity",
                revoked: [v.initiatorPublic]),
            .init(name: "M2 with a flipped bit", role: .initiator, receive: [flip(v.m2, at: 3)], error: "wrongNetworkKey(M2)"),
            .init(name: "M4 with a flipped bit", role: .initiator, receive: [v.m2, flip(v.m4, at: 111)], error: "decryptionFailed(M4)"),
            .init(
                name: "responder revoked", role: .initiator, receive: [v.m2, v.m4], error: "revokedIdentity",
                revoked: [v.responderPublic]),
        ]
    }
}

extension HandshakeError {
    /// The name the vector files use for this error.
    var vectorName: String {
        switch self {
        case .messageTooLarge: "messageTooLarge"
        case let .invalidLength(message, _, _): "invalidLength(\(message))"
        case .badMagic: "badMagic"
        case let .unsupportedVersion(version): "unsupportedVersion(\(version))"
        case let .wrongNetworkKey(message): "wrongNetworkKey(\(message))"
        case .invalidEphemeralKey: "invalidEphemeralKey"
        case let .decryptionFailed(message): "decryptionFailed(\(message))"
        case let .invalidSignature(message): "invalidSignature(\(message))"
        case .connectedToSelf: "connectedToSelf"
        case .unexpectedPeer: "unexpectedPeer"
        case .unknownIdentity: "unknownIdentity"
        case .revokedIdentity: "revokedIdentity"
        case .unexpectedMessage: "unexpectedMessage"
        case .connectionClosed: "connectionClosed"
        case .timedOut: "timedOut"
        }
    }
}

@Suite("Handshake vectors")
struct HandshakeVectorTests {
    /// Runs both state machines with the vector's fixed keys.
    static func produce() throws -> (run: HandshakeRun, initiator: Handshake.Session, responder: Handshake.Session) {
        var initiator = Handshake.StateMachine(
            role: .initiator, configuration: try HandshakeVector.configuration(HandshakeVector.initiatorSeed),
            ephemeral: try X25519KeyPair(secretKey: HandshakeVector.initiatorEphemeralSecret))
        var responder = Handshake.StateMachine(
            role: .responder, configuration: try HandshakeVector.configuration(HandshakeVector.responderSeed),
            ephemeral: try X25519KeyPair(secretKey: HandshakeVector.responderEphemeralSecret))
        let run = runHandshake(initiator: &initiator, responder: &responder)
        return (run, try #require(run.initiatorSession), try #require(run.responderSession))
    }

    @Test("write handshake.json (only with ROOST_WRITE_VECTORS=1)", .enabled(if: WireVectors.writing))
    func generate() throws {
        let spec = try HandshakeVector.fromSpec()
        let (run, initiator, _) = try Self.produce()
        // Write only what the implementation and the spec reading agree on.
        try #require(run.sent.map(\.message) == spec.messages)
        try #require(initiator.sendKey.copyBytes() == spec.keyI2R && initiator.receiveKey.copyBytes() == spec.keyR2I)
        let failures = HandshakeFailureCase.all(spec)
        for failure in failures {
            try #require(try failure.run() == failure.error, "\(failure.name)")
        }
        try WireVectors.write("handshake.json", spec.json(failures: failures.map(\.json)))
    }

    @Test("handshake.json matches the spec recomputed from the primitives")
    func specValues() throws {
        let file = try WireVectors.load("handshake.json")
        let v = try HandshakeVector.fromSpec()
        #expect(try file.hex("network_key") == HandshakeVector.networkKeyBytes)
        #expect(try file.hex("network_id") == v.networkID)
        #expect(try file.hex("network_id") == NetworkKey(bytes: HandshakeVector.networkKeyBytes).id)
        let initiator = try file.object("initiator"), responder = try file.object("responder")
        #expect(try initiator.hex("seed") == HandshakeVector.initiatorSeed)
        #expect(try initiator.hex("ephemeral_secret") == HandshakeVector.initiatorEphemeralSecret)
        #expect(try responder.hex("seed") == HandshakeVector.responderSeed)
        #expect(try responder.hex("ephemeral_secret") == HandshakeVector.responderEphemeralSecret)
        #expect(try initiator.hex("public_key") == v.initiatorPublic)
        #expect(try initiator.hex("ephemeral_public") == v.initiatorEphemeral)
        #expect(try responder.hex("public_key") == v.responderPublic)
        #expect(try responder.hex("ephemeral_public") == v.responderEphemeral)
        // ids.json names these seeds A and B.
        #expect(Hex.encode(v.initiatorPublic) == "8a88e3dd7409f195fd52db2d3cba5d72ca6709bf1d94121bf3748801b40f6f5c")
        #expect(Hex.encode(v.responderPublic) == "8139770ea87d175f56a35466c34c7ecccb8d8a91b4ee37a25df60f5b8fc9b394")

        let messages = try file.objects("messages")
        #expect(messages.count == 4)
        for (index, message) in messages.enumerated() {
            #expect(try message.string("name") == "M\(index + 1)")
            #expect(try message.hex("payload") == v.messages[index])
            #expect(try message.hex("frame") == [0, UInt8(v.messages[index].count)] + v.messages[index])
        }
        #expect(try file.hex("shared_secret") == v.sharedSecret)
        #expect(try file.hex("h2") == v.h2)
        #expect(try file.hex("k3") == v.k3)
        #expect(try file.hex("m3_plaintext") == v.m3Plaintext)
        #expect(try file.hex("h3") == v.h3)
        #expect(try file.hex("k4") == v.k4)
        #expect(try file.hex("m4_plaintext") == v.m4Plaintext)
        #expect(try file.hex("h4") == v.h4)
        #expect(try file.hex("initiator_to_responder_key") == v.keyI2R)
        #expect(try file.hex("responder_to_initiator_key") == v.keyR2I)
    }

    @Test("state machines with the vector's keys produce the vector")
    func produceVector() throws {
        let file = try WireVectors.load("handshake.json")
        let (run, initiator, responder) = try Self.produce()
        let expected = try file.objects("messages").map { try $0.hex("payload") }
        #expect(run.sent.map(\.message) == expected)
        #expect(initiator.sendKey.copyBytes() == (try file.hex("initiator_to_responder_key")))
        #expect(initiator.receiveKey.copyBytes() == (try file.hex("responder_to_initiator_key")))
        #expect(responder.sendKey.copyBytes() == (try file.hex("responder_to_initiator_key")))
        #expect(responder.receiveKey.copyBytes() == (try file.hex("initiator_to_responder_key")))
        #expect(initiator.transcriptHash == (try file.hex("h4")))
        #expect(responder.transcriptHash == (try file.hex("h4")))
    }

    @Test("each side fed the vector's messages answers with the vector's")
    func consumeVector() throws {
        let file = try WireVectors.load("handshake.json")
        let m = try file.objects("messages").map { try $0.hex("payload") }
        let i2r = try file.hex("initiator_to_responder_key"), r2i = try file.hex("responder_to_initiator_key")
        let initiatorKeys = try file.object("initiator"), responderKeys = try file.object("responder")
        let networkKey = try file.hex("network_key")

        var responder = Handshake.StateMachine(
            role: .responder,
            configuration: try HandshakeVector.configuration(try responderKeys.hex("seed"), networkKey: networkKey),
            ephemeral: try X25519KeyPair(secretKey: responderKeys.hex("ephemeral_secret")))
        #expect(responder.start().isWait)
        guard case let .send(m2) = responder.received(m[0]) else { Issue.record("no M2"); return }
        #expect(m2 == m[1])
        guard case let .sendAndComplete(m4, session) = responder.received(m[2]) else { Issue.record("no M4"); return }
        #expect(m4 == m[3])
        #expect(session.peer.key.bytes == (try initiatorKeys.hex("public_key")))
        #expect(session.receiveKey.copyBytes() == i2r && session.sendKey.copyBytes() == r2i)

        var initiator = Handshake.StateMachine(
            role: .initiator,
            configuration: try HandshakeVector.configuration(try initiatorKeys.hex("seed"), networkKey: networkKey),
            ephemeral: try X25519KeyPair(secretKey: initiatorKeys.hex("ephemeral_secret")))
        guard case let .send(m1) = initiator.start() else { Issue.record("no M1"); return }
        #expect(m1 == m[0])
        guard case let .send(m3) = initiator.received(m[1]) else { Issue.record("no M3"); return }
        #expect(m3 == m[2])
        guard case let .complete(initiatorSession) = initiator.received(m[3]) else { Issue.record("no session"); return }
        #expect(initiatorSession.peer.key.bytes == (try responderKeys.hex("public_key")))
        #expect(initiatorSession.sendKey.copyBytes() == i2r && initiatorSession.receiveKey.copyBytes() == r2i)
    }

    @Test("failure cases fail with the named error")
    func failures() throws {
        let file = try WireVectors.load("handshake.json")
        let cases = try file.objects("failures").map(HandshakeFailureCase.init(json:))
        #expect(cases.count >= 10)
        let errors = Set(cases.map(\.error))
        for required in ["badMagic", "unsupportedVersion(2)", "wrongNetworkKey(M1)", "decryptionFailed(M3)", "unknownIdentity", "revokedIdentity"] {
            #expect(errors.contains(required))
        }
        for failure in cases {
            #expect(try failure.run() == failure.error, "\(failure.name)")
        }
    }
}

@Suite("Handshake primitives")
struct HandshakePrimitiveTests {
    @Test("keyed BLAKE2b-256 matches an independent implementation (Python hashlib)")
    func keyedBlake2b() {
        // hashlib.blake2b(b"", key=bytes(range(64)), digest_size=32) and
        // hashlib.blake2b(bytes(range(3)), key=bytes(range(32)), digest_size=32).
        let key64 = SecretBytes(copying: Array(0..<64))
        #expect(Hex.encode(KeyedBlake2b.mac(key: key64)) == Self.emptyKey64)
        let key32 = SecretBytes(copying: Array(0..<32))
        #expect(Hex.encode(KeyedBlake2b.mac(key: key32, [0, 1, 2])) == Self.abcKey32)
        #expect(KeyedBlake2b.mac(key: key32, [0], [1, 2]) == KeyedBlake2b.mac(key: key32, [0, 1, 2]))
        var hasher = KeyedBlake2b(key: key32)
        hasher.update([0, 1, 2])
        #expect(hasher.finalizeKey().copyBytes() == KeyedBlake2b.mac(key: key32, [0, 1, 2]))
        #expect(KeyedBlake2b.mac(key: key32, [0, 1, 2]) != Blake2b.hash256([0, 1, 2]))
    }

    static let emptyKey64 = "2fa9fbd9be36437de204e139e97d402bce68c828f43391608c891b5faed8a98a"
    static let abcKey32 = "e14fc9161564dd081204f2dd6146a9ffbef66f95d5dc80e0a225e213c09dad7b"

    // The draft vector, re-derived with an independent HChaCha20 + ChaCha20-Poly1305 (Python `cryptography`).
    @Test("XChaCha20-Poly1305 matches draft-irtf-cfrg-xchacha §A.3.1")
    func xchacha() throws {
        let plaintext = Array(
            "Ladies and Gentlemen of the class of '99: If I could offer you only one tip for the future, sunscreen would be it."
                .utf8)
        let key = SecretBytes(copying: Array(0x80...0x9F))
        let nonce = Array(UInt8(0x40)...UInt8(0x57))
        let ad = Hex.bytes("50515253c0c1c2c3c4c5c6c7")
        let sealed = try XChaCha20Poly1305.seal(plaintext, additionalData: ad, nonce: nonce, key: key)
        #expect(Hex.encode(sealed) == Self.xchachaCiphertext + Self.xchachaTag)
        #expect(try XChaCha20Poly1305.open(sealed, additionalData: ad, nonce: nonce, key: key) == plaintext)
        var tampered = sealed
        tampered[0] ^= 1
        #expect(throws: CryptoError.decryptionFailed) {
            try XChaCha20Poly1305.open(tampered, additionalData: ad, nonce: nonce, key: key)
        }
        #expect(throws: CryptoError.decryptionFailed) {
            try XChaCha20Poly1305.open(sealed, additionalData: [], nonce: nonce, key: key)
        }
        #expect(throws: CryptoError.decryptionFailed) { try XChaCha20Poly1305.open([1, 2], nonce: nonce, key: key) }
        #expect(throws: CryptoError.self) { try XChaCha20Poly1305.seal([], nonce: [0], key: key) }
        #expect(throws: CryptoError.self) { try XChaCha20Poly1305.seal([], nonce: nonce, key: SecretBytes(copying: [1])) }
    }

    static let xchachaCiphertext =
        "bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b4522f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e"
    static let xchachaTag = "c0875924c1c7987947deafd8780acf49"

    @Test("secret bytes: wiping, constant-time equality, redacted description")
    func secretBytes() {
        var source: [UInt8] = [1, 2, 3, 4]
        let secret = SecretBytes(wiping: &source)
        #expect(source == [0, 0, 0, 0])
        #expect(secret.copyBytes() == [1, 2, 3, 4])
        #expect(secret == SecretBytes(copying: [1, 2, 3, 4]))
        #expect(secret != SecretBytes(copying: [1, 2, 3, 5]))
        #expect(secret != SecretBytes(copying: [1, 2, 3]))
        #expect("\(secret)" == "SecretBytes(4 bytes)")
        var dumped = ""
        dump(secret, to: &dumped)
        #expect(!dumped.contains("1, 2, 3"))
        #expect(ConstantTime.equals([1, 2], [1, 2]) && !ConstantTime.equals([1, 2], [1, 3]) && !ConstantTime.equals([1], [1, 2]))
    }
}
