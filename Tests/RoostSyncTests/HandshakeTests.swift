import RoostCore
import RoostCrypto
@testable import RoostSync
import Testing

// MARK: fixtures shared by the RoostSync handshake and frame tests

/// Keys and configurations for the handshake tests: a team of Alice and Bob,
/// Carol (a valid key outside the team), Mallory (revoked).
enum HandshakeFixture {
    static let networkKey = try! NetworkKey(bytes: [UInt8](repeating: 0x4E, count: 32))
    static let otherNetworkKey = try! NetworkKey(bytes: [UInt8](repeating: 0x4F, count: 32))

    static let alice = try! SigningKey(seed: [UInt8](repeating: 0x01, count: 32))
    static let bob = try! SigningKey(seed: [UInt8](repeating: 0x02, count: 32))
    static let carol = try! SigningKey(seed: [UInt8](repeating: 0x03, count: 32))
    static let mallory = try! SigningKey(seed: [UInt8](repeating: 0x04, count: 32))

    static let members: Set<AuthorID> = [alice.authorID, bob.authorID, mallory.authorID]
    static let revoked: Set<AuthorID> = [mallory.authorID]

    /// The team policy: Alice and Bob allowed, Mallory revoked, anyone else unknown.
    static let policy: @Sendable (AuthorID) -> Handshake.PeerDecision = { peer in
        if revoked.contains(peer) { return .revoked }
        return members.contains(peer) ? .allow : .unknown
    }

    static func configuration(
        _ identity: SigningKey,
        networkKey: NetworkKey = networkKey,
        expectedPeer: AuthorID? = nil,
        allowPeer: @escaping @Sendable (AuthorID) -> Handshake.PeerDecision = policy
    ) -> Handshake.Configuration {
        Handshake.Configuration(
            networkKey: networkKey, identity: identity, expectedPeer: expectedPeer, allowPeer: allowPeer)
    }

    static func initiator(
        _ identity: SigningKey, networkKey: NetworkKey = networkKey, expectedPeer: AuthorID? = nil,
        allowPeer: @escaping @Sendable (AuthorID) -> Handshake.PeerDecision = policy,
        ephemeral: X25519KeyPair = .generate()
    ) -> Handshake.StateMachine {
        Handshake.StateMachine(
            role: .initiator,
            configuration: configuration(identity, networkKey: networkKey, expectedPeer: expectedPeer, allowPeer: allowPeer),
            ephemeral: ephemeral)
    }

    static func responder(
        _ identity: SigningKey, networkKey: NetworkKey = networkKey, expectedPeer: AuthorID? = nil,
        allowPeer: @escaping @Sendable (AuthorID) -> Handshake.PeerDecision = policy,
        ephemeral: X25519KeyPair = .generate()
    ) -> Handshake.StateMachine {
        Handshake.StateMachine(
            role: .responder,
            configuration: configuration(identity, networkKey: networkKey, expectedPeer: expectedPeer, allowPeer: allowPeer),
            ephemeral: ephemeral)
    }
}

/// What happened in a handshake run between two state machines.
struct HandshakeRun {
    /// Every message sent, in order, with its sender.
    var sent: [(from: Handshake.Role, message: [UInt8])] = []
    var initiatorSession: Handshake.Session?
    var responderSession: Handshake.Session?
    var initiatorFailure: HandshakeError?
    var responderFailure: HandshakeError?

    func messages(from role: Handshake.Role) -> [[UInt8]] {
        sent.filter { $0.from == role }.map(\.message)
    }
}

/// Runs a handshake to its end, delivering each message through `tamper`
/// (which gets the message's index 0...3 and may change it).
func runHandshake(
    initiator: inout Handshake.StateMachine,
    responder: inout Handshake.StateMachine,
    tamper: (Int, inout [UInt8]) -> Void = { _, _ in }
) -> HandshakeRun {
    var run = HandshakeRun()
    if case let .fail(error) = responder.start() { run.responderFailure = error }
    var action = initiator.start()
    var sender = Handshake.Role.initiator
    while true {
        var outgoing: [UInt8]
        switch action {
        case let .send(message):
            outgoing = message
        case let .sendAndComplete(message, session):
            outgoing = message
            run.responderSession = session
        case let .complete(session):
            run.initiatorSession = session
            return run
        case .wait:
            return run
        case let .fail(error):
            if sender == .initiator { run.initiatorFailure = error } else { run.responderFailure = error }
            return run
        }
        run.sent.append((sender, outgoing))
        tamper(run.sent.count - 1, &outgoing)
        if sender == .initiator {
            action = responder.received(outgoing)
            sender = .responder
        } else {
            action = initiator.received(outgoing)
            sender = .initiator
        }
    }
}

@Suite("Handshake state machine")
struct HandshakeTests {
    @Test("completes both ways with matching keys, peers and transcripts")
    func successBothWays() throws {
        for (a, b) in [(HandshakeFixture.alice, HandshakeFixture.bob), (HandshakeFixture.bob, HandshakeFixture.alice)] {
            var initiator = HandshakeFixture.initiator(a)
            var responder = HandshakeFixture.responder(b)
            let run = runHandshake(initiator: &initiator, responder: &responder)
            let i = try #require(run.initiatorSession)
            let r = try #require(run.responderSession)
            #expect(i.role == .initiator && r.role == .responder)
            #expect(i.peer == b.authorID)
            #expect(r.peer == a.authorID)
            #expect(i.sendKey == r.receiveKey)
            #expect(i.receiveKey == r.sendKey)
            #expect(i.sendKey != i.receiveKey)
            #expect(i.sendKey.count == 32 && i.receiveKey.count == 32)
            #expect(i.transcriptHash == r.transcriptHash)
            #expect(initiator.isComplete && responder.isComplete)
            #expect(run.sent.map(\.message.count) == Handshake.Message.allCases.map(\.length))
            #expect(run.sent.map(\.from) == [.initiator, .responder, .initiator, .responder])
            #expect(Handshake.Message.allCases.map(\.length) == [70, 64, 112, 112])
        }
    }

    @Test("two connections between the same peers get unrelated keys")
    func freshKeysPerConnection() throws {
        var i1 = HandshakeFixture.initiator(HandshakeFixture.alice)
        var r1 = HandshakeFixture.responder(HandshakeFixture.bob)
        var i2 = HandshakeFixture.initiator(HandshakeFixture.alice)
        var r2 = HandshakeFixture.responder(HandshakeFixture.bob)
        let first = try #require(runHandshake(initiator: &i1, responder: &r1).initiatorSession)
        let second = try #require(runHandshake(initiator: &i2, responder: &r2).initiatorSession)
        #expect(first.sendKey != second.sendKey)
        #expect(first.receiveKey != second.receiveKey)
        #expect(first.transcriptHash != second.transcriptHash)
    }

    @Test("a responder with another network key fails on M1 and sends nothing")
    func wrongNetworkKeyAtResponder() {
        var initiator = HandshakeFixture.initiator(HandshakeFixture.alice)
        var responder = HandshakeFixture.responder(HandshakeFixture.bob, networkKey: HandshakeFixture.otherNetworkKey)
        let run = runHandshake(initiator: &initiator, responder: &responder)
        #expect(run.responderFailure == .wrongNetworkKey(message: .m1))
        #expect(run.messages(from: .responder).isEmpty)
        #expect(run.messages(from: .initiator).count == 1)
        #expect(run.initiatorSession == nil && run.responderSession == nil)
        // M1 names no identity: it is magic, version, a fresh ephemeral key and a MAC.
        let m1 = run.messages(from: .initiator)[0]
        #expect(!WireTestBytes.contains(m1, HandshakeFixture.alice.publicKey))
    }

    @Test("an initiator gets an M2 MAC'd under another network key: fails before revealing its identity")
    func wrongNetworkKeyAtInitiator() {
        var initiator = HandshakeFixture.initiator(HandshakeFixture.alice)
        guard case let .send(m1) = initiator.start() else {
            Issue.record("initiator did not send M1")
            return
        }
        // A responder holding another key answers (its MAC is under that key).
        let m2 = Handshake.StateMachine.makeM2(
            networkKey: HandshakeFixture.otherNetworkKey, ephemeral: X25519KeyPair.generate().publicKey, m1: m1)
        guard case let .fail(error) = initiator.received(m2) else {
            Issue.record("initiator answered a forged M2 (it would have sent M3 with its identity)")
            return
        }
        #expect(error == .wrongNetworkKey(message: .m2))
    }

    @Test("an unknown initiator is refused before the responder reveals its identity")
    func unknownIdentity() {
        var initiator = HandshakeFixture.initiator(HandshakeFixture.carol)
        var responder = HandshakeFixture.responder(HandshakeFixture.bob)
        let run = runHandshake(initiator: &initiator, responder: &responder)
        #expect(run.responderFailure == .unknownIdentity(HandshakeFixture.carol.authorID))
        #expect(run.responderSession == nil)
        // The responder sent M2 only, never M4, and M2 carries no identity.
        let fromResponder = run.messages(from: .responder)
        #expect(fromResponder.count == 1)
        #expect(fromResponder.allSatisfy { !WireTestBytes.contains($0, HandshakeFixture.bob.publicKey) })
        #expect(run.initiatorSession == nil)
    }

    @Test("a revoked initiator is refused with revokedIdentity before M4")
    func revokedIdentity() {
        var initiator = HandshakeFixture.initiator(HandshakeFixture.mallory)
        var responder = HandshakeFixture.responder(HandshakeFixture.bob)
        let run = runHandshake(initiator: &initiator, responder: &responder)
        #expect(run.responderFailure == .revokedIdentity(HandshakeFixture.mallory.authorID))
        #expect(run.messages(from: .responder).count == 1)
        #expect(run.responderSession == nil && run.initiatorSession == nil)
    }

    @Test("the initiator applies its own policy to the responder")
    func initiatorPolicy() {
        var initiator = HandshakeFixture.initiator(HandshakeFixture.alice)
        var responder = HandshakeFixture.responder(HandshakeFixture.mallory)
        let revoked = runHandshake(initiator: &initiator, responder: &responder)
        #expect(revoked.initiatorFailure == .revokedIdentity(HandshakeFixture.mallory.authorID))
        #expect(revoked.initiatorSession == nil)

        // Carol lets everyone in, but Alice does not know Carol.
        var initiator2 = HandshakeFixture.initiator(HandshakeFixture.alice)
        var responder2 = HandshakeFixture.responder(HandshakeFixture.carol, allowPeer: { _ in .allow })
        let unknown = runHandshake(initiator: &initiator2, responder: &responder2)
        #expect(unknown.initiatorFailure == .unknownIdentity(HandshakeFixture.carol.authorID))
    }

    @Test("expected peer: the right one passes, another member fails")
    func expectedPeer() throws {
        var initiator = HandshakeFixture.initiator(HandshakeFixture.alice, expectedPeer: HandshakeFixture.bob.authorID)
        var responder = HandshakeFixture.responder(HandshakeFixture.bob)
        #expect(runHandshake(initiator: &initiator, responder: &responder).initiatorSession != nil)

        var initiator2 = HandshakeFixture.initiator(HandshakeFixture.alice, expectedPeer: HandshakeFixture.bob.authorID, allowPeer: { _ in .allow })
        var responder2 = HandshakeFixture.responder(HandshakeFixture.carol, allowPeer: { _ in .allow })
        let run = runHandshake(initiator: &initiator2, responder: &responder2)
        #expect(run.initiatorFailure == .unexpectedPeer(expected: HandshakeFixture.bob.authorID, actual: HandshakeFixture.carol.authorID))
        #expect(run.initiatorSession == nil)
    }

    @Test("a node refuses a connection to its own identity")
    func connectedToSelf() {
        var initiator = HandshakeFixture.initiator(HandshakeFixture.alice)
        var responder = HandshakeFixture.responder(HandshakeFixture.alice)
        let run = runHandshake(initiator: &initiator, responder: &responder)
        #expect(run.responderFailure == .connectedToSelf)
        #expect(run.messages(from: .responder).count == 1)
    }

    @Test("a recorded M1 and M3 replayed to a responder get no session")
    func replay() {
        var initiator = HandshakeFixture.initiator(HandshakeFixture.alice)
        var responder = HandshakeFixture.responder(HandshakeFixture.bob)
        let recorded = runHandshake(initiator: &initiator, responder: &responder)
        #expect(recorded.responderSession != nil)
        let m1 = recorded.messages(from: .initiator)[0]
        let m3 = recorded.messages(from: .initiator)[1]

        // The same responder identity, a fresh connection (fresh ephemeral).
        var victim = HandshakeFixture.responder(HandshakeFixture.bob)
        #expect(victim.start().isWait)
        guard case let .send(m2) = victim.received(m1) else {
            Issue.record("a replayed M1 is indistinguishable from a fresh one and must get an M2")
            return
        }
        #expect(m2 != recorded.messages(from: .responder)[0])
        guard case let .fail(error) = victim.received(m3) else {
            Issue.record("a replayed M3 yielded a session")
            return
        }
        #expect(error == .decryptionFailed(message: .m3))
        #expect(!victim.isComplete)
    }

    @Test("flipping any bit position of any message fails the handshake with the right error")
    func tamperEveryPosition() {
        // Fix the ephemeral keys so every run sends the same messages.
        let ei = X25519KeyPair.generate()
        let er = X25519KeyPair.generate()
        var reference = HandshakeFixture.initiator(HandshakeFixture.alice, ephemeral: ei)
        var referenceResponder = HandshakeFixture.responder(HandshakeFixture.bob, ephemeral: er)
        let clean = runHandshake(initiator: &reference, responder: &referenceResponder)
        #expect(clean.sent.count == 4)
        for index in 0..<4 {
            for position in 0..<clean.sent[index].message.count {
                for mask: UInt8 in [0x01, 0x80] {
                    var initiator = HandshakeFixture.initiator(HandshakeFixture.alice, ephemeral: ei)
                    var responder = HandshakeFixture.responder(HandshakeFixture.bob, ephemeral: er)
                    let run = runHandshake(initiator: &initiator, responder: &responder) { i, message in
                        if i == index { message[position] ^= mask }
                    }
                    let expected: HandshakeError =
                        switch index {
                        case 0 where position < 5: .badMagic
                        case 0 where position == 5: .unsupportedVersion(Handshake.version ^ mask)
                        case 0: .wrongNetworkKey(message: .m1)
                        case 1: .wrongNetworkKey(message: .m2)
                        case 2: .decryptionFailed(message: .m3)
                        default: .decryptionFailed(message: .m4)
                        }
                    let failure = index % 2 == 0 ? run.responderFailure : run.initiatorFailure
                    #expect(failure == expected, "message \(index + 1) byte \(position) mask \(mask)")
                    #expect(run.initiatorSession == nil, "message \(index + 1) byte \(position)")
                    // Only a tampered M4 leaves the responder thinking it is done.
                    #expect((run.responderSession != nil) == (index == 3), "message \(index + 1) byte \(position)")
                }
            }
        }
    }

    @Test("truncated and extended messages fail with invalidLength")
    func wrongLengths() {
        for index in 0..<4 {
            for delta in [-1, 1] {
                var initiator = HandshakeFixture.initiator(HandshakeFixture.alice)
                var responder = HandshakeFixture.responder(HandshakeFixture.bob)
                let run = runHandshake(initiator: &initiator, responder: &responder) { i, message in
                    guard i == index else { return }
                    if delta < 0 { message.removeLast() } else { message.append(0) }
                }
                let which = Handshake.Message.allCases[index]
                let expected = HandshakeError.invalidLength(message: which, expected: which.length, actual: which.length + delta)
                let failure = index % 2 == 0 ? run.responderFailure : run.initiatorFailure
                #expect(failure == expected)
            }
        }
    }

    @Test("magic and version mismatches get their own errors, whatever the length")
    func magicAndVersion() {
        let cases: [([UInt8], HandshakeError)] = [
            (Array("HTTP/1.1 GET /".utf8), .badMagic),
            (Array("ROAST".utf8) + [1] + [UInt8](repeating: 0, count: 64), .badMagic),
            (Array("ROO".utf8), .invalidLength(message: .m1, expected: 70, actual: 3)),
            (Array("RX".utf8), .badMagic),
            (Array("ROOST".utf8) + [2] + [UInt8](repeating: 0, count: 64), .unsupportedVersion(2)),
            (Array("ROOST".utf8) + [2] + [UInt8](repeating: 0, count: 200), .unsupportedVersion(2)),
            (Array("ROOST".utf8) + [0], .unsupportedVersion(0)),
            (Array("ROOST".utf8), .invalidLength(message: .m1, expected: 70, actual: 5)),
            ([], .invalidLength(message: .m1, expected: 70, actual: 0)),
        ]
        for (m1, expected) in cases {
            var responder = HandshakeFixture.responder(HandshakeFixture.bob)
            _ = responder.start()
            guard case let .fail(error) = responder.received(m1) else {
                Issue.record("accepted \(m1)")
                continue
            }
            #expect(error == expected)
            #expect(responder.failure == expected)
        }
    }

    @Test("a low-order ephemeral key with a valid MAC is refused")
    func lowOrderEphemeral() {
        var responder = HandshakeFixture.responder(HandshakeFixture.bob)
        _ = responder.start()
        let m1 = Handshake.StateMachine.makeM1(networkKey: HandshakeFixture.networkKey, ephemeral: [UInt8](repeating: 0, count: 32))
        guard case let .fail(error) = responder.received(m1) else {
            Issue.record("a low-order ephemeral key was accepted")
            return
        }
        #expect(error == .invalidEphemeralKey)
    }

    @Test("messages out of order, a second start and messages after the end are refused")
    func misuse() {
        var early = HandshakeFixture.responder(HandshakeFixture.bob)
        #expect(early.received([1, 2, 3]).failure == .unexpectedMessage)

        var twice = HandshakeFixture.initiator(HandshakeFixture.alice)
        _ = twice.start()
        #expect(twice.start().failure == .unexpectedMessage)

        var initiator = HandshakeFixture.initiator(HandshakeFixture.alice)
        var responder = HandshakeFixture.responder(HandshakeFixture.bob)
        let run = runHandshake(initiator: &initiator, responder: &responder)
        #expect(initiator.received(run.sent[3].message).failure == .unexpectedMessage)
        #expect(initiator.connectionClosed().isWait)
    }

    @Test("closing or timing out mid-handshake fails it; after completion it does not")
    func closeAndTimeout() {
        var initiator = HandshakeFixture.initiator(HandshakeFixture.alice)
        _ = initiator.start()
        #expect(initiator.connectionClosed().failure == .connectionClosed)
        #expect(initiator.failure == .connectionClosed)
        #expect(initiator.received([]).failure == .connectionClosed)

        var responder = HandshakeFixture.responder(HandshakeFixture.bob)
        _ = responder.start()
        #expect(responder.timedOut().failure == .timedOut)
        #expect(responder.timedOut().isWait)
    }

    @Test("descriptions, debug descriptions and mirrors never show key material")
    func noSecretsInDescriptions() throws {
        var initiator = HandshakeFixture.initiator(HandshakeFixture.alice)
        var responder = HandshakeFixture.responder(HandshakeFixture.bob)
        let run = runHandshake(initiator: &initiator, responder: &responder)
        let session = try #require(run.initiatorSession)
        let secrets = [
            session.sendKey.copyBytes(), session.receiveKey.copyBytes(), HandshakeFixture.networkKey.copyBytes(),
            HandshakeFixture.alice.seed,
        ].map(Hex.encode)
        var dumped = ""
        dump(session, to: &dumped)
        dump(HandshakeFixture.networkKey, to: &dumped)
        dump(session.sendKey, to: &dumped)
        let texts = [
            "\(session)", String(reflecting: session), "\(session.sendKey)", String(reflecting: session.sendKey),
            "\(HandshakeFixture.networkKey)", String(reflecting: HandshakeFixture.networkKey), dumped,
            "\(HandshakeError.unknownIdentity(HandshakeFixture.carol.authorID))",
        ]
        for text in texts {
            for secret in secrets {
                #expect(!text.lowercased().contains(secret.prefix(16)), "\(text)")
            }
        }
        #expect("\(session)".contains(HandshakeFixture.bob.authorID.text))
    }

    @Test("network key: lengths, id and constant-time equality")
    func networkKey() throws {
        #expect(throws: CryptoError.invalidLength(what: "network key", expected: 32, actual: 31)) {
            try NetworkKey(bytes: [UInt8](repeating: 0, count: 31))
        }
        let generated = NetworkKey.generate()
        #expect(generated != HandshakeFixture.networkKey)
        #expect(try NetworkKey(bytes: generated.copyBytes()) == generated)
        #expect(generated.id.count == 32 && generated.id != HandshakeFixture.networkKey.id)
        #expect(HandshakeFixture.networkKey.id == KeyedBlake2b.mac(key: SecretBytes(copying: HandshakeFixture.networkKey.copyBytes()), Array("roost-hs-v1-network-id".utf8)))
    }
}

// MARK: helpers

extension Handshake.Action {
    var isWait: Bool {
        if case .wait = self { return true }
        return false
    }

    var failure: HandshakeError? {
        if case let .fail(error) = self { return error }
        return nil
    }
}

/// Byte helpers for the RoostSync wire tests.
enum WireTestBytes {
    /// Whether `needle` occurs in `haystack` as a contiguous run.
    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        return (0...(haystack.count - needle.count)).contains { haystack[$0..<$0 + needle.count].elementsEqual(needle) }
    }
}
