public import RoostCore
import RoostStore
import RoostTwitter

extension DeskService {
    /// The languages a member answers in (`roost agent languages en,es`), from their `member/<id>` register
    /// `languages` (comma-separated codes); empty when they never said.
    public func languages(of member: AuthorID) throws(DeskError) -> [String] {
        let value = try run { () throws(StoreError) in try store.state.register(EntityRef("member", member.text), "languages") }
        return Self.languageList(value?.stringValue ?? "")
    }

    /// This node's member's languages.
    public func myLanguages() throws(DeskError) -> [String] { try languages(of: node.id) }

    /// Sets the languages this node's member answers in: codes such as `en`, `es`, `pt-BR` (kept as `pt`), at
    /// least one, at most ``DeskLanguages/maxPerMember``; returns them as stored.
    @discardableResult
    public func setMyLanguages(_ codes: [String]) throws(DeskError) -> [String] {
        var stored: [String] = []
        for code in codes {
            guard let normalized = TweetLanguage.normalize(code.trimmingCharacters(in: .whitespaces)) else {
                throw .invalidValue(field: "languages", value: code, allowed: ["a language code such as en, es, pt"])
            }
            if !stored.contains(normalized) { stored.append(normalized) }
        }
        guard !stored.isEmpty, stored.count <= DeskLanguages.maxPerMember else {
            throw .invalid(field: "languages", rule: "give 1 to \(DeskLanguages.maxPerMember) language codes, e.g. en,es")
        }
        try append([.set(entity: EntityRef("member", node.id.text), field: "languages", value: .string(stored.joined(separator: ",")))])
        return stored
    }

    static func languageList(_ text: String) -> [String] {
        text.split(separator: ",").compactMap { TweetLanguage.normalize(String($0)) }
    }

    /// Adds or replaces the `language` variant of a canned response (register `text.<language>`); the default
    /// text (``addCanned(name:text:)``) must exist first, as the fallback.
    public func addCannedVariant(name: String, language: String, text: String) throws(DeskError) {
        guard let code = TweetLanguage.normalize(language) else {
            throw .invalidValue(field: "lang", value: language, allowed: ["a language code such as es"])
        }
        guard try cannedResponses().contains(where: { $0.name == name }) else {
            throw .unknownCanned(name, forVariant: true)
        }
        guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else { throw .invalid(field: "text", rule: "canned text is empty") }
        try append([.set(entity: EntityRef(Desk.canned, name), field: "text." + code, value: .string(text))])
    }

    /// A canned response's languages with a variant, sorted.
    public func cannedVariants(_ name: String) throws(DeskError) -> [String: String] {
        try run { () throws(StoreError) in
            var variants: [String: String] = [:]
            for (field, value) in try store.state.registers(of: EntityRef(Desk.canned, name)) where field.hasPrefix("text.") {
                if let text = value.stringValue { variants[String(field.dropFirst(5))] = text }
            }
            return variants
        }
    }

    /// The text of canned response `name` for a ticket in `language`: its variant in that language, else the
    /// default text. Returns the text and the variant's language (nil: the default).
    public func cannedText(_ name: String, language: String?) throws(DeskError) -> (text: String, language: String?)? {
        guard let base = try cannedResponses().first(where: { $0.name == name })?.text else { return nil }
        if let language, let variant = try cannedVariants(name)[language] { return (variant, language) }
        return (base, nil)
    }
}

/// Limits of the desk's language settings.
public enum DeskLanguages {
    /// Most languages one member declares.
    public static let maxPerMember = 12
}
