public import RoostCore

/// An op as the readers above the op log see it (the dashboard cache, the warehouse mirror, live web events), whichever
/// format its log is in (Protocol/SPEC-format-2.md): where it is, when it was written, and its body decoded.
public struct HeldOp: Hashable, Sendable {
    /// Its position.
    public var ref: OpRef
    /// Its hybrid logical timestamp.
    public var hlc: HLC
    /// Its kind.
    public var kind: OpKind
    /// Its body; nil when the node holds it erased or withheld, or when the stored bytes do not decode.
    public var body: OpBody?

    /// Creates an op view.
    public init(ref: OpRef, hlc: HLC, kind: OpKind, body: OpBody?) {
        self.ref = ref
        self.hlc = hlc
        self.kind = kind
        self.body = body
    }

    /// A format 1 op (its body in format 1's encoding).
    public init(_ op: Op) {
        self.init(ref: op.header.ref, hlc: op.header.hlc, kind: op.header.kind,
                  body: op.body.flatMap { try? OpBody.decode(kind: op.header.kind, bytes: $0) })
    }

    /// A format 2 op (its body in body v2's encoding).
    public init(_ op: OpBatchV2.Op) {
        self.init(ref: op.header.ref, hlc: op.header.hlc, kind: op.header.kind,
                  body: op.body.flatMap { try? OpBody.decodeV2(kind: op.header.kind, bytes: $0) })
    }
}
