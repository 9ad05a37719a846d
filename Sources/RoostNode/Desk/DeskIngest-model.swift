public import RoostCore

/// What an import or ingest did.
public struct IngestReport: Sendable, Codable, Equatable {
    /// Records read.
    public var read = 0
    /// Messages newly stored.
    public var messages = 0
    /// Tickets newly created.
    public var tickets = 0
    /// Records skipped because their message was already stored (re-import).
    public var duplicates = 0
    /// Records skipped by the brand filter.
    public var filtered = 0
    /// Records skipped as not help-desk traffic (e.g. DM events other than messages).
    public var skipped = 0
    /// Malformed records, as `file:line: reason`.
    public var errors: [String] = []
    /// Tickets flagged as a crisis by the rules.
    public var crises = 0

    /// An empty report.
    public init() {}
}

/// An incoming message in channel-neutral form, ready to become ops.
public struct IncomingMessage: Sendable, Hashable {
    public var id: String
    public var ticketKey: String
    public var channel: TicketChannel
    public var conversation: String
    public var direction: MessageDirection
    public var author: String
    public var customer: String
    public var customerHandle: String?
    public var customerName: String?
    public var followers: Int?
    public var verified: Bool?
    public var brand: String
    public var text: String
    public var createdMillis: UInt64
    public var replyTo: String?
    public var signature: String?
    public var mentions: Set<String>
    /// X's `lang` for the tweet, when X sent one (the message's language is this, normalized, else detected).
    public var xLang: String?

    /// Creates a message.
    public init(
        id: String, ticketKey: String, channel: TicketChannel, conversation: String, direction: MessageDirection, author: String,
        customer: String, customerHandle: String?, customerName: String?, followers: Int?, verified: Bool?, brand: String,
        text: String, createdMillis: UInt64, replyTo: String?, signature: String?, mentions: Set<String>, xLang: String? = nil
    ) {
        self.id = id; self.ticketKey = ticketKey; self.channel = channel; self.conversation = conversation
        self.direction = direction; self.author = author; self.customer = customer; self.customerHandle = customerHandle
        self.customerName = customerName; self.followers = followers; self.verified = verified; self.brand = brand
        self.text = text; self.createdMillis = createdMillis; self.replyTo = replyTo; self.signature = signature
        self.mentions = mentions; self.xLang = xLang
    }
}
