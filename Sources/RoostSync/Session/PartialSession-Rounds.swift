public import RoostCore
import RoostStore

/// A partial session's rounds (Protocol/SPEC-partial.md §P.3b), once the hellos are exchanged: each side pulls from
/// the other with a request (`[want-scope] [have-scope] vector partial-ack`), answered by exactly one `partial-batch`.
///
/// Pure: it owns the session's two run dictionaries and the order of the messages, and leaves the replica's
/// decisions — what a request asks (`PartialReplica.request(to:)`), what an answer holds (`answer(_:from:)`), what a
/// received batch changes (`receive(_:from:fromFull:)`) — to the driver, which feeds them back in.
public enum PartialSession {
    /// What the driver must do, in the order given.
    public enum Action: Sendable {
        /// Send this message.
        case send(SyncMessage)
        /// Build this node's next request to the peer (`PartialReplica.request(to:)`) and hand it to
        /// ``Rounds/request(_:)``: the peer said it has news (`have`), or an answer carried something.
        case requestDue
        /// The peer's request, complete: answer it (`PartialReplica.answer(_:from:)`) and hand the batch to
        /// ``Rounds/answered(_:)``.
        case answer(PartialRequest)
        /// The peer's answer: apply it (`PartialReplica.receive(_:from:fromFull:)`), then call ``Rounds/applied()``.
        case receive(PartialBatch, fromFull: Bool)
        /// The peer changed its subscription (`PartialReplica.subscribe(peer:_:)`).
        case peerSubscribed(Subscription)
        /// The peer broke §P.3b: send `bye(protocol-violation)` and close.
        case violation(String)
    }

    /// The round state of one session.
    public struct Rounds: Sendable {
        /// Whether the peer is a full node (it sent no `subscribe` naming queues): only its batches set `covered`
        /// entries (SPEC-partial.md §P.5).
        public let peerIsFull: Bool
        private var inbound = RunDictionary()
        private var outbound = RunDictionary()
        /// Our request is out and not answered yet.
        private var requestOut = false
        /// A request was asked for while one was out: it goes when the answer is applied.
        private var requestOwed = false
        /// The last answer we received carried something (more may be owed).
        private var lastCarried = false
        /// Where the peer's request stands.
        private var incoming = Incoming()
        /// We owe the peer an answer (the driver is building it).
        private var answerOwed = false
        /// Violated: nothing more is done.
        private var broken = false
        /// Format 1 history (`runs`) received ahead of the `partial-batch` that answers our request (§P.3c).
        private var history: [OpBatch] = []

        private struct Incoming: Sendable {
            enum Stage: Int, Sendable { case idle, want, have, vector }
            var stage = Stage.idle
            var want: Set<ScopeID> = []
            var have: Set<ScopeID> = []
            var vector: [LogID: UInt64] = [:]
        }

        /// Rounds with a peer that is full (`peerIsFull`) or partial.
        public init(peerIsFull: Bool) {
            self.peerIsFull = peerIsFull
        }

        /// Sends `request`, or, when one is out, sends it after that one's answer is applied (then the driver is asked
        /// for a fresh one with ``Action/requestDue``).
        public mutating func request(_ request: PartialRequest) -> [Action] {
            guard !broken else { return [] }
            if requestOut {
                requestOwed = true
                return []
            }
            requestOut = true
            var messages: [SyncMessage] = []
            if !request.want.isEmpty { messages.append(.wantScope(Set(request.want.sorted().prefix(PartialWire.maxWantScopes)))) }
            if !request.have.isEmpty { messages.append(.haveScope(Set(request.have.sorted().prefix(PartialWire.maxWantScopes)))) }
            messages.append(.vector(VersionVector(request.vector)))
            messages.append(.partialAck(request.ack))
            return messages.map(Action.send)
        }

        /// The driver answered the peer's request: the batch goes out, encoded with this direction's dictionary.
        public mutating func answered(_ batch: PartialBatch) -> [Action] {
            guard !broken, answerOwed else { return [] }
            answerOwed = false
            // The format 1 history first (§P.3c): the receiver applies it before the batch, so that it knows which
            // tickets the history names when the batch's whole scopes arrive.
            var actions = batch.history.filter { !$0.isEmpty }.map { Action.send(.runs(id: 0, $0)) }
            actions.append(.send(.partialBatch(PartialWire.encode(batch, dictionary: &outbound))))
            return actions
        }

        /// The driver applied the peer's last answer: another request is due when that answer carried something or
        /// one was asked for meanwhile.
        public mutating func applied() -> [Action] {
            guard !broken, !requestOut, requestOwed || lastCarried else { return [] }
            requestOwed = false
            lastCarried = false
            return [.requestDue]
        }

        /// A message of the partial session arrived (after the hellos).
        public mutating func received(_ message: SyncMessage) -> [Action] {
            guard !broken else { return [] }
            switch message {
            case let .subscribe(subscription):
                return [.peerSubscribed(subscription)]
            case let .wantScope(scopes):
                guard incoming.stage == .idle else { return violate("want-scope inside a request") }
                incoming.want = scopes
                incoming.stage = .want
            case let .haveScope(scopes):
                guard incoming.stage.rawValue < Incoming.Stage.have.rawValue else { return violate("have-scope out of order") }
                incoming.have = scopes
                incoming.stage = .have
            case let .vector(vector):
                guard incoming.stage != .vector else { return violate("two vectors in one request") }
                incoming.vector = vector.entries
                incoming.stage = .vector
            case let .partialAck(number):
                guard incoming.stage == .vector else { return violate("partial-ack without a vector") }
                guard !answerOwed else { return violate("a request while one is unanswered") }
                let request = PartialRequest(vector: incoming.vector, want: incoming.want, ack: number, have: incoming.have)
                incoming = Incoming()
                answerOwed = true
                return [.answer(request)]
            case let .partialBatch(bytes):
                guard requestOut else { return violate("partial-batch that answers no request") }
                let batch: PartialBatch
                do throws(ByteDecodingError) {
                    batch = try PartialWire.decodeBatch(bytes, dictionary: &inbound)
                } catch {
                    return violate("undecodable partial-batch: \(error)")
                }
                requestOut = false
                var answer = batch
                answer.history = history
                history = []
                // Ops or whole scopes: more may be owed. `covered` alone is not (an answer may repeat it).
                lastCarried = !answer.runs.isEmpty || !answer.backfill.isEmpty || !answer.history.isEmpty
                return [.receive(answer, fromFull: peerIsFull)]
            case let .runs(_, batch):
                // A full peer's format 1 history, ahead of its answer (§P.3c).
                guard peerIsFull, requestOut else { return violate("runs in a partial session outside a full peer's answer") }
                guard history.count < SyncLimits.partialHistoryMessages else { return violate("too many runs before one partial-batch") }
                history.append(batch)
            case .have:
                // A hint: the peer holds something new.
                if requestOut { requestOwed = true; return [] }
                return [.requestDue]
            case .batch, .runsV2, .ack, .reject, .vectorDigest, .wantVector, .prune, .graft, .hello, .join:
                return violate("\(message.tag) in a partial session")
            case .ping, .pong, .bye, .presence, .wantBodies, .bodies:
                // The session's own business (liveness, presence, bodies), not the rounds'.
                break
            }
            return []
        }

        private mutating func violate(_ reason: String) -> [Action] {
            broken = true
            return [.violation(reason)]
        }
    }
}
