import Foundation
public import RoostCore
public import RoostCrypto
import RoostStore

/// The team this node belongs to: its 32-byte network key (in `team.key`, mode 0600) and its name.
///
/// The network key only lets a node start a handshake; the admin-signed roster (``RosterState``) decides
/// who may sync and what each member's ops may do.
public struct Team: Sendable {
    /// The team's display name.
    public var name: String
    /// The network key every member holds.
    public var networkKey: [UInt8]

    static let keyHeader = "roost-network-key-v1"
    static let joinKeyHeader = "roost-invite-seed-v1"
    /// How long an invite is valid by default.
    public static let defaultInviteHours = 72
}

/// A one-time invitation: the network key, the team's founder, the inviting member's id and address, the
/// invite's own secret seed (its Ed25519 public key names the `invite/<hex>` op that carries the role the
/// new member gets), and an expiry.
/// Text form: `roost-invite-2:` followed by lower-case hex of the canonical bytes (version 2, network
/// key 32, inviter id 32, founder id 32, invite seed 32, expiry ms u64, address and team name as
/// u32-prefixed UTF-8). It is a secret, like a password: anyone holding it can join once, until it expires.
public struct Invite: Sendable, Equatable {
    public var networkKey: [UInt8]
    public var inviter: AuthorID
    public var founder: AuthorID
    public var seed: [UInt8]
    public var address: String
    public var teamName: String
    public var expiresMillis: UInt64

    static let prefix = "roost-invite-2:"

    /// The text form.
    public var text: String {
        var w = ByteWriter()
        w.u8(2)
        w.raw(networkKey)
        w.bytes32(inviter.key)
        w.bytes32(founder.key)
        w.raw(seed)
        w.u64(expiresMillis)
        w.string(address)
        w.string(teamName)
        return Self.prefix + Hex.encode(w.bytes)
    }

    /// The invite's signing key (from its seed).
    public var signingKey: SigningKey {
        // A 32-byte seed always makes a key.
        try! SigningKey(seed: seed)
    }

    /// The invite's public key: the key of its `invite/<hex>` entity.
    public var publicKey: Bytes32 { Bytes32(signingKey.publicKey)! }

    /// Parses the text form.
    public init(text: String) throws(NodeError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("roost-invite-1:") {
            throw .invalidArgument("this invite is from an older Roost (roost-invite-1); ask for a new one")
        }
        guard trimmed.hasPrefix(Self.prefix), let bytes = Hex.decode(trimmed.dropFirst(Self.prefix.count)) else {
            throw .invalidArgument("not a Roost invite (it starts with \(Self.prefix))")
        }
        do {
            self = try ByteReader.decodeAll(bytes) { r throws(ByteDecodingError) in
                guard try r.u8("version") == 2 else { throw ByteDecodingError.invalidTag(field: "version", value: 0) }
                let key = try r.bytes32("networkKey").bytes
                let inviter = AuthorID(key: try r.bytes32("inviter"))
                let founder = AuthorID(key: try r.bytes32("founder"))
                let seed = try r.bytes32("seed").bytes
                let expires = try r.u64("expires")
                let address = try r.string("address", limit: 256)
                let name = try r.string("team", limit: 256)
                return Invite(networkKey: key, inviter: inviter, founder: founder, seed: seed, address: address,
                              teamName: name, expiresMillis: expires)
            }
        } catch {
            throw .invalidArgument("the invite is damaged (\(error))")
        }
    }

    /// Creates an invite.
    public init(networkKey: [UInt8], inviter: AuthorID, founder: AuthorID, seed: [UInt8], address: String,
                teamName: String, expiresMillis: UInt64) {
        self.networkKey = networkKey; self.inviter = inviter; self.founder = founder; self.seed = seed
        self.address = address; self.teamName = teamName; self.expiresMillis = expiresMillis
    }
}

extension NodeHome {
    /// The network key file.
    public var teamKeyPath: String { url.appendingPathComponent("team.key").path }
    /// The invite seed kept by a joining node until a member admits it.
    public var joinKeyPath: String { url.appendingPathComponent("join.key").path }

    func storeRun<T>(_ work: () throws(StoreError) -> T) throws(NodeError) -> T {
        do { return try work() } catch { throw .store(error) }
    }

    /// The team, or nil before `team create` / `team join`.
    public func team(of node: Node) throws(NodeError) -> Team? {
        guard FileManager.default.fileExists(atPath: teamKeyPath) else { return nil }
        let key = try SecretFile.load(header: Team.keyHeader, from: teamKeyPath)
        let name = (try? node.store.state.register(EntityRef("team", "info"), "name"))??.stringValue ?? "(name arrives with the first sync)"
        return Team(name: name, networkKey: key)
    }

    /// Creates a team with this node as its first member: a fresh network key and the team's name as an op.
    public func createTeam(name: String, node: Node) throws(NodeError) -> Team {
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw .invalidArgument("the team needs a name") }
        guard !FileManager.default.fileExists(atPath: teamKeyPath) else {
            throw .invalidArgument("this node already belongs to a team (\(teamKeyPath))")
        }
        let key = SecureRandom.bytes(32)
        try SecretFile.create(key, header: Team.keyHeader, at: teamKeyPath)
        // The founder is the roster's root of authority: an admin from the start.
        do { try node.store.team.setFounder(node.id) } catch { throw .store(error) }
        _ = try node.append([.set(entity: EntityRef("team", "info"), field: "name", value: .string(name))])
        return Team(name: name, networkKey: key)
    }

    /// Joins the team of an invite: stores its network key, pins its founder, keeps the invite's seed until
    /// a member admits this node (`join.key`), and adds the inviter as a peer (`id@address`).
    public func join(_ invite: Invite, node: Node, now: UInt64) throws(NodeError) -> NodeConfig {
        guard invite.expiresMillis > now else { throw .invalidArgument("the invite expired; ask for a new one") }
        if let founder = try storeRun({ () throws(StoreError) in try node.store.team.founder() }), founder != invite.founder {
            throw .invalidArgument("this node already belongs to another team")
        }
        let hasTeamKey = FileManager.default.fileExists(atPath: teamKeyPath)
        if hasTeamKey {
            guard try SecretFile.load(header: Team.keyHeader, from: teamKeyPath) == invite.networkKey else {
                throw .invalidArgument("this node already belongs to another team (\(teamKeyPath))")
            }
        }
        try? FileManager.default.removeItem(atPath: joinKeyPath)
        try SecretFile.create(invite.seed, header: Team.joinKeyHeader, at: joinKeyPath)
        try storeRun { () throws(StoreError) in try node.store.team.setFounder(invite.founder) }
        var config = node.config
        let peer = "\(invite.inviter.text)@\(invite.address)"
        if !config.peers.contains(peer) { config.peers.append(peer) }
        do { try config.encoded().write(to: configURL, options: .atomic) } catch {
            throw .io(path: configURL.path, reason: "cannot write the config")
        }
        // The team key last: a running node (`roost run` waiting for a team) takes the key's appearance as "joined"
        // and then reads the join key and the inviter's address, which must be there by then. Written first, a
        // loaded node could start before its peer was in config.json, dial nobody and never sync.
        if !hasTeamKey { try SecretFile.create(invite.networkKey, header: Team.keyHeader, at: teamKeyPath) }
        return config
    }
}
