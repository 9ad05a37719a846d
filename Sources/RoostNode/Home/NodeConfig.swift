public import Foundation
import RoostSync

/// The node's config file (`config.json` in the node home). Unknown keys are rejected so a typo
/// does not silently fall back to a default.
public struct NodeConfig: Codable, Equatable, Sendable {
    /// The agent's display name.
    public var name: String
    /// The agent's initials, used as the reply signature (`^AL`).
    public var initials: String
    /// Address peers connect to (`host:port`).
    public var listen: String
    /// Known peer addresses.
    public var peers: [String]
    /// The address other members should dial (`host:port`), published to the team (peer exchange);
    /// default: `listen`, unless it is a wildcard address.
    public var advertise: String?
    /// How far ahead of this node's clock a remote op's timestamp may be, in seconds.
    public var maxClockDriftSeconds: Int
    /// Where `roost run` serves the admin API (`/metrics` for Prometheus), `host:port`; nil: not served.
    public var admin: String?
    /// Address of the local HTTP API and web app (`host:port`); loopback unless the agent chooses otherwise.
    public var api: String
    /// URLs a firing listening alert is POSTed to as JSON (`rules.toml` `[[alert]]`); none by default.
    public var alertWebhooks: [String]?
    /// The team's CRM link for a customer: a URL with `{id}` where the CRM id an agent set goes
    /// (`https://crm.example/c/{id}`); nil: CRM ids are shown without a link.
    public var crmURLTemplate: String?

    /// Default peer listening address.
    public static let defaultListen = "0.0.0.0:7170"
    /// Default address of the local API and web app: loopback only.
    public static let defaultAPI = "127.0.0.1:7171"

    /// Creates a config with defaults for everything but the agent.
    public init(name: String, initials: String) {
        self.name = name
        self.initials = initials
        listen = Self.defaultListen
        peers = []
        maxClockDriftSeconds = 300
        api = Self.defaultAPI
    }

    private enum CodingKeys: String, CodingKey, CaseIterable {
        case name, initials, listen, peers, maxClockDriftSeconds, advertise, api
        case admin, alertWebhooks, crmURLTemplate
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        initials = try c.decode(String.self, forKey: .initials)
        listen = try c.decodeIfPresent(String.self, forKey: .listen) ?? Self.defaultListen
        peers = try c.decodeIfPresent([String].self, forKey: .peers) ?? []
        maxClockDriftSeconds = try c.decodeIfPresent(Int.self, forKey: .maxClockDriftSeconds) ?? 300
        advertise = try c.decodeIfPresent(String.self, forKey: .advertise)
        admin = try c.decodeIfPresent(String.self, forKey: .admin)
        api = try c.decodeIfPresent(String.self, forKey: .api) ?? Self.defaultAPI
        alertWebhooks = try c.decodeIfPresent([String].self, forKey: .alertWebhooks)
        crmURLTemplate = try c.decodeIfPresent(String.self, forKey: .crmURLTemplate)
    }

    /// Checks values a decoder cannot: returns the first problem.
    public func validate() -> String? {
        if name.trimmingCharacters(in: .whitespaces).isEmpty { return "name must not be empty" }
        if !Self.isValidInitials(initials) { return "initials must be 1 to 4 letters (got \"\(initials)\")" }
        if !(1...86_400).contains(maxClockDriftSeconds) { return "maxClockDriftSeconds must be 1...86400" }
        if let advertise, (try? PeerAddress(parsing: advertise)) == nil { return "advertise must be host:port (got \"\(advertise)\")" }
        if let bad = (alertWebhooks ?? []).first(where: { !($0.hasPrefix("http://") || $0.hasPrefix("https://")) || URL(string: $0)?.host == nil }) {
            return "alertWebhooks must be http(s) URLs (got \"\(bad)\")"
        }
        if let template = crmURLTemplate,
           !(template.hasPrefix("http://") || template.hasPrefix("https://")) || !template.contains("{id}")
            || URL(string: template.replacingOccurrences(of: "{id}", with: "x"))?.host == nil {
            return "crmURLTemplate must be an http(s) URL containing {id} (got \"\(template)\")"
        }
        return nil
    }

    /// The CRM link for `id` (percent-encoded into the template), or nil without a template.
    public func crmURL(id: String) -> String? {
        guard let crmURLTemplate else { return nil }
        let encoded = id.addingPercentEncoding(withAllowedCharacters: .alphanumerics.union(CharacterSet(charactersIn: "-._~"))) ?? id
        return crmURLTemplate.replacingOccurrences(of: "{id}", with: encoded)
    }

    /// 1 to 4 letters.
    public static func isValidInitials(_ text: String) -> Bool {
        (1...4).contains(text.count) && text.allSatisfy(\.isLetter)
    }

    /// Reads and validates a config file.
    public static func load(from url: URL) throws(NodeError) -> NodeConfig {
        let data: Data
        do { data = try Data(contentsOf: url) } catch { throw .io(path: url.path, reason: "cannot read the config") }
        let config: NodeConfig
        do {
            if let object = try JSONSerialization.jsonObject(with: data) as? [String: Any] {
                let known = Set(CodingKeys.allCases.map(\.rawValue))
                if let unknown = object.keys.sorted().first(where: { !known.contains($0) }) {
                    throw NodeError.badConfig(path: url.path, reason: "unknown key \"\(unknown)\"")
                }
            }
            config = try JSONDecoder().decode(NodeConfig.self, from: data)
        } catch let error as NodeError {
            throw error
        } catch let DecodingError.keyNotFound(key, _) {
            throw .badConfig(path: url.path, reason: "missing key \"\(key.stringValue)\"")
        } catch let DecodingError.typeMismatch(_, context) {
            throw .badConfig(path: url.path, reason: "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))")
        } catch {
            throw .badConfig(path: url.path, reason: "not valid JSON")
        }
        if let problem = config.validate() { throw .badConfig(path: url.path, reason: problem) }
        return config
    }

    /// The file's text: pretty, sorted JSON.
    public func encoded() -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(self)) ?? Data()
    }
}
