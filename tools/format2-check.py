#!/usr/bin/env python3
"""Checks Protocol/vectors/ops-v2.json, runs-v2.json, partial.json and the `runs` and partial messages of sync.json from
Protocol/SPEC-format-2.md, SPEC-partial.md and SPEC-sync.md §2b.18 alone, with Python's hashlib.

A second implementation of format 2's decoding and hashing, written from the spec text and sharing no code
with the Swift one: varints, scope ids, bodies v1 and v2 (decoded to the same values), hashed headers (160 bytes,
scope prev a seq) with their range rules and op hashes, scopes trees (a leaf per scope over the hashes of all its
ops of the range) and inclusion paths (RFC 9162 shape), seal messages, and runs (decoded with session dictionaries,
headers rebuilt from what the receiver holds and compared with the resolved headers, seals checked: head,
signature, scopes root or inclusion path; each scope's scope prevs and seals as a partial receiver checks them; the
rejected runs refused), and partial replication's messages (subscribe, want-scope, have-scope, partial-batch;
SPEC-partial.md §P.3) both ways and the invalid ones, the partial-batch's runs resolved and checked as the fresh node
receiving them would (§P.5). Ed25519 signatures are checked too when PyNaCl is installed. Prints one line per file
and exits 1 on a mismatch.

Usage: python3 tools/format2-check.py [vectors-directory]
"""
import hashlib
import json
import struct
import sys
from pathlib import Path

CODES = ["ticket", "message", "customer", "team", "canned", "resolution-type", "queue", "member", "invite",
         "erasure", "handle", "xpost"]
MAX_ORDINAL = (1 << 63) - 1
MAX_BODY = 256 * 1024


def b2(data, size=32):
    return hashlib.blake2b(data, digest_size=size).digest()


class Reader:
    def __init__(self, data):
        self.data, self.at = data, 0

    def take(self, n):
        if self.at + n > len(self.data):
            raise ValueError("truncated")
        out = self.data[self.at:self.at + n]
        self.at += n
        return out

    def u8(self):
        return self.take(1)[0]

    def be(self, n):
        return int.from_bytes(self.take(n), "big")

    def varint(self):
        value, shift = 0, 0
        for i in range(10):
            byte = self.u8()
            value |= (byte & 0x7F) << shift
            if byte & 0x80 == 0:
                if byte == 0 and i > 0:
                    raise ValueError("notCanonical")
                if value >= 1 << 64:
                    raise ValueError("tooLarge")
                return value
            shift += 7
        raise ValueError("tooLarge")

    def end(self):
        if self.at != len(self.data):
            raise ValueError("trailingBytes")


def unzigzag(n):
    return (n >> 1) ^ -(n & 1)


# Bodies: (kind, entity, payload) tuples, from either version.

def body(kind, data, v2):
    r = Reader(data)
    if v2:
        code = r.u8()
        coll = r.take(r.varint()).decode() if code == 0 else CODES[code - 1]
        key = r.take(r.varint()).decode()
    else:
        coll, key = r.take(r.be(4)).decode(), r.take(r.be(4)).decode()
    string = (lambda: r.take(r.varint()).decode()) if v2 else (lambda: r.take(r.be(4)).decode())
    count = r.varint if v2 else (lambda: r.be(4))

    def value():
        tag = r.u8()
        if tag == 0:
            return None
        if tag == 1:
            return bool(r.u8())
        if tag == 2:
            return ("int", unzigzag(r.varint()) if v2 else struct.unpack(">q", r.take(8))[0])
        if tag == 3:
            return string()
        if tag == 4:
            return bytes(r.take(count()))
        raise ValueError("invalidTag")

    def ref():
        return (r.take(32), r.varint(), r.varint()) if v2 else (r.take(32), r.be(8), r.be(8))

    if kind == 1:
        payload = [(string(), value()) for _ in range(count())]
    elif kind == 2:
        payload = (string(), value())
    elif kind == 3:
        payload = string()
    elif kind == 4:
        payload = (string(), [ref() for _ in range(count())])
    else:
        action = r.u8()
        holder = r.take(32) if r.u8() else None
        lease = r.varint() if v2 else r.be(4)
        payload = (action, holder, lease, ref() if r.u8() else None)
    r.end()
    return (coll, key, payload)


# Hashed headers (§2.4): 160 bytes; the scope prev is the seq of the author's previous op of the scope, 0 for none.

def header(author, epoch, seq, prev, hlc, kind, scope, scope_prev, body_len, body_hash):
    return (b"roost-op-v2" + author + struct.pack(">QQ", epoch, seq) + prev + struct.pack(">QB", hlc, kind) + scope
            + struct.pack(">QI", scope_prev, body_len) + body_hash)


def decode_header(data):
    """The fields of a hashed header, or ValueError(error class): SPEC.md §1.6's range rules, in its order, and
    §2.4's own: the scope prev is below the seq."""
    r = Reader(data)
    if r.take(11) != b"roost-op-v2":
        raise ValueError("invalidTag")
    author, epoch, seq = r.take(32), r.be(8), r.be(8)
    if seq == 0:
        raise ValueError("invalidTag")
    prev, hlc, kind = r.take(32), r.be(8), r.u8()
    if kind not in range(1, 6):
        raise ValueError("invalidTag")
    scope, scope_prev, body_len = r.take(16), r.be(8), r.be(4)
    if body_len > MAX_BODY:
        raise ValueError("tooLarge")
    body_hash = r.take(32)
    if max(epoch, seq, hlc) > MAX_ORDINAL:
        raise ValueError("tooLarge")
    if (seq == 1 and prev != bytes(32)) or scope_prev >= seq:
        raise ValueError("notCanonical")
    r.end()
    return dict(author=author, epoch=epoch, seq=seq, prev=prev, hlc=hlc, kind=kind, scope=scope, scope_prev=scope_prev,
                body_len=body_len, body_hash=body_hash)


# Seals and scopes trees (§2.5).

def leaves(ops, lo, hi):
    """The leaves of a seal of lo…hi over `ops` ((seq, scope, op hash), in seq order): per scope touched, the hashes of
    all its ops of the range in seq order; sorted by scope id."""
    by_scope = {}
    for seq, scope, op_hash in ops:
        if lo <= seq <= hi:
            by_scope.setdefault(scope, []).append(op_hash)
    return [(scope, by_scope[scope]) for scope in sorted(by_scope)]


def leaf_hash(scope, op_hashes):
    return b2(b"\x00" + scope + b"".join(op_hashes))


def root(hashes):
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return b2(b"\x01" + root(hashes[:k]) + root(hashes[k:]))


def verify_path(leaf, index, count, path, expected):
    if not 0 <= index < count:
        return False
    fn, sn, r = index, count - 1, leaf
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = b2(b"\x01" + p + r)
            if not fn & 1:
                while not fn & 1 and fn:
                    fn, sn = fn >> 1, sn >> 1
        else:
            r = b2(b"\x01" + r + p)
        fn, sn = fn >> 1, sn >> 1
    return sn == 0 and r == expected


def seal_message(author, epoch, from_seq, seq, head, scopes_root):
    return b"roost-seal-v2" + author + struct.pack(">QQQ", epoch, from_seq, seq) + head + scopes_root


def decode_seal(data):
    """A seal's stored form: (author, epoch, from_seq, seq, head, scopes_root, signature), or ValueError."""
    r = Reader(data)
    author, epoch, from_seq, seq = r.take(32), r.varint(), r.varint(), r.varint()
    if not 1 <= from_seq <= seq:
        raise ValueError("seal range")
    out = (author, epoch, from_seq, seq, r.take(32), r.take(32), r.take(64))
    r.end()
    return out


def signatures_checked():
    try:
        import nacl.signing  # noqa: F401
        return True
    except ImportError:
        return False


def ed25519_verify(signature, message, key):
    """True or False, or None when PyNaCl is not installed."""
    try:
        from nacl.signing import VerifyKey
    except ImportError:
        return None
    try:
        VerifyKey(key).verify(message, signature)
        return True
    except Exception:
        return False


def check_ops(d, fail):
    for v in d["varints"]:
        if Reader(bytes.fromhex(v["hex"])).varint() != int(v["value"]):
            fail(f"varint {v['value']}")
    for v in d["invalid_varints"]:
        try:
            Reader(bytes.fromhex(v["hex"])).varint()
            fail(f"invalid varint accepted: {v['name']}")
        except ValueError:
            pass
    for s in d["scopes"]:
        if b2(s["name"].encode(), 16).hex() != s["id"]:
            fail(f"scope {s['name']}")
    for b in d["bodies"]:
        if body(b["kind"], bytes.fromhex(b["v1_hex"]), False) != body(b["kind"], bytes.fromhex(b["v2_hex"]), True):
            fail(f"body {b['name']}: v1 and v2 differ")
    prev, last_in_scope = bytes(32), {}
    for h in d["headers"]:
        hashed, data = bytes.fromhex(h["hashed_hex"]), bytes.fromhex(h["body_v2_hex"])
        seq, scope = int(h["seq"]), bytes.fromhex(h["scope"])
        scope_prev = last_in_scope.get(scope, 0)
        rebuilt = header(bytes.fromhex(h["author"]), int(h["epoch"]), seq, prev, int(h["hlc"]), h["kind"], scope,
                         scope_prev, len(data), b2(data))
        if rebuilt != hashed or b2(hashed).hex() != h["op_hash"]:
            fail(f"header {seq}")
        try:
            decode_header(hashed)
        except ValueError as error:
            fail(f"header {seq} refused ({error})")
        if (h["prev"], int(h["scope_prev"])) != (prev.hex(), scope_prev):
            fail(f"header {seq}: prev or scope prev")
        prev, last_in_scope[scope] = b2(hashed), seq
    ops = [(int(h["seq"]), bytes.fromhex(h["scope"]), bytes.fromhex(h["op_hash"])) for h in d["headers"]]
    author, epoch = bytes.fromhex(d["headers"][0]["author"]), int(d["headers"][0]["epoch"])
    for s in d["seals"]:
        lo, hi = int(s["from_seq"]), int(s["seq"])
        tree = leaves(ops, lo, hi)
        hashes = [leaf_hash(scope, op_hashes) for scope, op_hashes in tree]
        if [(x["scope"], x["op_hashes"], x["leaf_hash"]) for x in s["leaves"]] != [
                (scope.hex(), [h.hex() for h in op_hashes], leaf.hex()) for (scope, op_hashes), leaf in zip(tree, hashes)]:
            fail(f"{s['name']}: leaves")
        expected = bytes.fromhex(s["scopes_root"])
        if root(hashes) != expected:
            fail(f"{s['name']}: root")
        for i, path in enumerate(s["paths"]):
            if not verify_path(hashes[i], i, len(hashes), [bytes.fromhex(p) for p in path], expected):
                fail(f"{s['name']}: path {i}")
        head = next(op_hash for seq, _, op_hash in ops if seq == hi)
        message = seal_message(author, epoch, lo, hi, head, expected)
        if s["head"] != head.hex() or message.hex() != s["signed_hex"]:
            fail(f"{s['name']}: signed message")
        if ed25519_verify(bytes.fromhex(s["signature"]), message, author) is False:
            fail(f"{s['name']}: signature")
        if decode_seal(bytes.fromhex(s["stored_hex"])) != (author, epoch, lo, hi, head, expected, bytes.fromhex(s["signature"])):
            fail(f"{s['name']}: stored form")
    for v in d["invalid"]:
        data = bytes.fromhex(v["hex"])
        if v["decode"] == "header_v2":
            try:
                decode_header(data)
                fail(f"{v['name']}: accepted, expected {v['error']}")
            except ValueError as error:
                if str(error) != v["error"]:
                    fail(f"{v['name']}: {error}, expected {v['error']}")
        elif v["decode"] == "seal_v2":
            try:
                decode_seal(data)
                fail(f"{v['name']}: accepted, expected {v['error']}")
            except ValueError:
                pass


# Runs (§2.6).

def decode_runs(data, dicts):
    """A batch of runs, decoded with the direction's dictionaries `dicts` (updated): [(author, epoch, ops, seals)]."""
    r = Reader(data)

    def ref(kind, size):
        n = r.varint()
        if n == 0:
            key = r.take(size)
            if key in dicts[kind]:
                raise ValueError("notCanonical")
            dicts[kind].append(key)
            return key
        if n > len(dicts[kind]):
            raise ValueError("invalidTag")
        return dicts[kind][n - 1]

    runs = []
    for _ in range(r.varint()):
        author, epoch, ops, seals, hlc = ref("a", 32), r.varint(), [], [], None
        count = r.varint()
        if count == 0:
            raise ValueError("notCanonical")
        for _ in range(count):
            gap = r.varint()
            seq = (ops[-1]["seq"] + 1 if ops else 1) + gap
            flags = r.u8()
            if flags & ~7:
                raise ValueError("invalidTag")
            prev = r.take(32) if flags & 2 else None
            if prev is None and ops and gap:
                raise ValueError("notCanonical")
            scope_prev = None
            if flags & 4:
                distance = r.varint()
                if distance >= seq:
                    raise ValueError("notCanonical")
                scope_prev = seq - distance if distance else 0
            hlc = r.varint() if hlc is None else hlc + unzigzag(r.varint())
            kind, scope = r.u8(), ref("s", 16)
            if kind not in range(1, 6):
                raise ValueError("invalidTag")
            if flags & 1:
                data_, length, body_hash = None, r.varint(), r.take(32)
            else:
                data_ = r.take(r.varint())
                body(kind, data_, True)
                length, body_hash = len(data_), b2(data_)
            ops.append(dict(seq=seq, prev=prev, scope_prev=scope_prev, hlc=hlc, kind=kind, scope=scope, body=data_,
                            length=length, body_hash=body_hash))
        for _ in range(r.varint()):
            seq, from_seq, flags = r.varint(), r.varint(), r.u8()
            if not 1 <= from_seq <= seq or flags & ~3:
                raise ValueError("seal range or flags")
            head = r.take(32) if flags & 1 else None
            seal = dict(seq=seq, from_seq=from_seq, head=head, root=r.take(32), signature=r.take(64), path=None)
            if flags & 2:
                scope, index, leaf_count = ref("s", 16), r.varint(), r.varint()
                seal["path"] = dict(scope=scope, index=index, count=leaf_count, hashes=[r.take(32) for _ in range(r.varint())])
            seals.append(seal)
        runs.append((author, epoch, ops, seals))
    r.end()
    return runs


def resolve_run(author, epoch, ops, held):
    """The run's ops with their rebuilt headers: dicts (seq, scope, scope_prev, hashed, hash), or ValueError.
    `held`: (seq, op hash, scope) of the ops of this log that the receiver holds."""
    held_hash = {seq: op_hash for seq, op_hash, _ in held}
    out, in_run = [], {}
    for i, op in enumerate(ops):
        seq, scope = op["seq"], op["scope"]
        if out and out[-1]["seq"] + 1 == seq:
            recomputed = out[-1]["hash"]
        elif i == 0:
            recomputed = bytes(32) if seq == 1 else held_hash.get(seq - 1)
        else:
            recomputed = None
        if op["prev"] is not None and recomputed is not None and op["prev"] != recomputed:
            raise ValueError(f"op {seq}: the sent prev is not the recomputed or held hash")
        prev = op["prev"] if op["prev"] is not None else recomputed
        if prev is None:
            raise ValueError(f"op {seq}: prev omitted and not held")
        if op["scope_prev"] is not None:
            if scope in in_run and op["scope_prev"] != in_run[scope]:
                raise ValueError(f"op {seq}: the sent scope prev does not name the run's earlier op of its scope")
            scope_prev = op["scope_prev"]
        else:
            scope_prev = in_run.get(scope, max((s for s, _, sc in held if sc == scope and s < seq), default=0))
        hashed = header(author, epoch, seq, prev, op["hlc"], op["kind"], scope, scope_prev, op["length"], op["body_hash"])
        decode_header(hashed)
        out.append(dict(seq=seq, scope=scope, scope_prev=scope_prev, hashed=hashed, hash=b2(hashed)))
        in_run[scope] = seq
    return out


def verify_seals(author, epoch, resolved, seals, held):
    """Checks each seal of a resolved run (head, signature, scopes root recomputed or through its inclusion path) and
    that no op is past the newest; returns the newest sealed seq, or raises ValueError."""
    by_seq = {op["seq"]: op["hash"] for op in resolved}
    held_hash = {seq: op_hash for seq, op_hash, _ in held}
    sealed = 0
    for s in seals:
        lo, hi = s["from_seq"], s["seq"]
        head = by_seq.get(hi, held_hash.get(hi))
        if head is None:
            head = s["head"]
        if head is None or s["head"] not in (None, head):
            raise ValueError(f"seal {hi}: head")
        if ed25519_verify(s["signature"], seal_message(author, epoch, lo, hi, head, s["root"]), author) is False:
            raise ValueError(f"seal {hi}: signature")
        in_range = [(op["seq"], op["scope"], op["hash"]) for op in resolved if lo <= op["seq"] <= hi]
        path = s["path"]
        if len(in_range) == hi - lo + 1:
            if root([leaf_hash(*leaf) for leaf in leaves(in_range, lo, hi)]) != s["root"]:
                raise ValueError(f"seal {hi}: scopes root")
        elif path and any(scope == path["scope"] for _, scope, _ in in_range):
            leaf = leaf_hash(path["scope"], [h for _, scope, h in in_range if scope == path["scope"]])
            if not verify_path(leaf, path["index"], path["count"], path["hashes"], s["root"]):
                raise ValueError(f"seal {hi}: inclusion path")
        else:
            raise ValueError(f"seal {hi}: neither the whole range nor a path of a scope in the run")
        sealed = max(sealed, hi)
    if resolved[-1]["seq"] > sealed:
        raise ValueError(f"op {resolved[-1]['seq']} past the newest seal")
    return sealed


def check_partial_receiver(author, epoch, resolved, seals, held):
    """What a node holding scope S checks of a resolved run, for each scope S of it (SPEC-partial.md §P.5, §2.5): an op
    at a held seq has the held hash; each S-op's scope prev is the seq of the S-op before it (in the run, else the
    newest held one, else 0); each S-op not held yet is proven by a seal of the run over its range: head known (run,
    held or sent, equal when both), signature, and S's leaf over S's ops of the range from the run and held, one of the
    leaves recomputed from the run when it holds the whole range, else reached by the inclusion path of S. Returns a
    list of problems."""
    held_hash = {seq: op_hash for seq, op_hash, _ in held}
    by_seq = {op["seq"]: op["hash"] for op in resolved}

    def proves(s, scope):
        lo, hi = s["from_seq"], s["seq"]
        head = by_seq.get(hi, held_hash.get(hi, s["head"]))
        if head is None or s["head"] not in (None, head):
            return False
        if ed25519_verify(s["signature"], seal_message(author, epoch, lo, hi, head, s["root"]), author) is False:
            return False
        mine = {seq: op_hash for seq, op_hash, sc in held if sc == scope and lo <= seq <= hi}
        mine.update((op["seq"], op["hash"]) for op in resolved if op["scope"] == scope and lo <= op["seq"] <= hi)
        leaf = leaf_hash(scope, [mine[seq] for seq in sorted(mine)])
        if all(seq in by_seq for seq in range(lo, hi + 1)):
            recomputed = [leaf_hash(*x) for x in leaves([(op["seq"], op["scope"], op["hash"]) for op in resolved], lo, hi)]
            return leaf in recomputed and root(recomputed) == s["root"]
        p = s["path"]
        return bool(p) and p["scope"] == scope and verify_path(leaf, p["index"], p["count"], p["hashes"], s["root"])

    problems, before = [], {}
    for op in resolved:
        seq, scope = op["seq"], op["scope"]
        if held_hash.get(seq, op["hash"]) != op["hash"]:
            problems.append(f"op {seq}: not the held hash")
        expected = before.get(scope, max((s for s, _, sc in held if sc == scope and s < seq), default=0))
        if op["scope_prev"] != expected:
            problems.append(f"op {seq}: scope prev {op['scope_prev']}, the scope's op before is {expected}")
        before[scope] = seq
        if seq not in held_hash and not any(s["from_seq"] <= seq <= s["seq"] and proves(s, scope) for s in seals):
            problems.append(f"op {seq}: no seal of the run proves it as its scope's partial receiver checks")
    return problems


def run_json(author, epoch, ops, seals):
    """A decoded run in the vectors' JSON shape, to compare with a batch's `runs`."""
    def op_json(op):
        out = {"seq": str(op["seq"]), "hlc": str(op["hlc"]), "kind": op["kind"], "scope": op["scope"].hex()}
        if op["prev"] is not None:
            out["prev"] = op["prev"].hex()
        if op["scope_prev"] is not None:
            out["scope_prev"] = str(op["scope_prev"])
        if op["body"] is None:
            out["erased"] = {"body_length": op["length"], "body_hash": op["body_hash"].hex()}
        else:
            out["body"] = op["body"].hex()
        return out

    def seal_json(s):
        out = {"seq": str(s["seq"]), "from_seq": str(s["from_seq"]), "scopes_root": s["root"].hex(),
               "signature": s["signature"].hex()}
        if s["head"] is not None:
            out["head"] = s["head"].hex()
        if s["path"]:
            p = s["path"]
            out["path"] = {"scope": p["scope"].hex(), "leaf_index": p["index"], "leaf_count": p["count"],
                           "hashes": [h.hex() for h in p["hashes"]]}
        return out

    return {"author": author.hex(), "epoch": str(epoch), "ops": [op_json(op) for op in ops],
            "seals": [seal_json(s) for s in seals]}


def held_ops(entries, author):
    """The (seq, op hash, scope) of the held ops of `author`'s log, from a vector's `held` list."""
    return [(int(h["seq"]), bytes.fromhex(h["op_hash"]), bytes.fromhex(h["scope"])) for h in entries
            if h["author"] == author.hex()]


def check_runs(d, fail):
    for session in d["sessions"]:
        dicts = {"a": [], "s": []}
        for number, batch in enumerate(session["batches"], 1):
            where = f"{session['name']}, batch {number}"
            try:
                runs = decode_runs(bytes.fromhex(batch["hex"]), dicts)
            except ValueError as error:
                fail(f"{where}: does not decode ({error})")
                break
            if len(runs) != len(batch["resolved"]) or [run_json(*run) for run in runs] != batch["runs"]:
                fail(f"{where}: decodes to other runs")
            for (author, epoch, ops, seals), want in zip(runs, batch["resolved"]):
                held = held_ops(batch["held"], author)
                try:
                    resolved = resolve_run(author, epoch, ops, held)
                    sealed = verify_seals(author, epoch, resolved, seals, held)
                except ValueError as error:
                    fail(f"{where}: refused ({error})")
                    continue
                if [(op["hashed"].hex(), op["hash"].hex()) for op in resolved] != [
                        (o["hashed_hex"], o["op_hash"]) for o in want["ops"]]:
                    fail(f"{where}: resolved headers differ")
                if str(sealed) != want["sealed"]:
                    fail(f"{where}: sealed up to {sealed}, the vector says {want['sealed']}")
                for problem in check_partial_receiver(author, epoch, resolved, seals, held):
                    fail(f"{where}: {problem}")
    for m in d["invalid"]:
        try:
            for author, epoch, ops, seals in decode_runs(bytes.fromhex(m["hex"]), {"a": [], "s": []}):
                held = held_ops(m["held"], author)
                verify_seals(author, epoch, resolve_run(author, epoch, ops, held), seals, held)
        except ValueError:
            continue
        if m["error"] != "badSignature" or signatures_checked():
            fail(f"{m['name']}: accepted, expected {m['error']}")


def check_partial(d, fail):
    for sub in d["subscriptions"]:
        if sub["everything"]:
            continue
        held = {"g"}
        for t in d["tickets"]:
            if t.get("touched") or t.get("queue", "default") in sub["queues"]:
                held.add("t/" + t["key"])
                if "customer" in t:
                    held.add("c/" + t["customer"])
        if held != {s["name"] for s in sub["scopes"]}:
            fail(f"{sub['name']}: held scopes")
        for s in sub["scopes"]:
            if b2(s["name"].encode(), 16).hex() != s["id"]:
                fail(f"{sub['name']}: scope id of {s['name']}")


def decode_partial_message(kind, data):
    """SPEC-partial.md §P.3, written from the text: returns the decoded value or raises ValueError."""
    r = Reader(data)
    if kind == "subscribe":
        everything, count = r.u8(), r.varint()
        if everything > 1 or count > 1024:
            raise ValueError("invalidTag")
        if everything == 1 and count:
            raise ValueError("notCanonical")
        queues = [r.take(r.varint()) for _ in range(count)]
        if any(not q or len(q) > 256 for q in queues) or queues != sorted(set(queues)):
            raise ValueError("notCanonical")
        r.end()
        return {"everything": everything == 1, "queues": [q.decode() for q in queues]}
    if kind in ("want-scope", "have-scope"):
        count = r.varint()
        if not 1 <= count <= 1024:
            raise ValueError("notCanonical")
        scopes = [r.take(16) for _ in range(count)]
        if scopes != sorted(set(scopes)):
            raise ValueError("notCanonical")
        r.end()
        return scopes
    number = r.varint()
    complete = r.take(1)[0]
    if complete > 1:
        raise ValueError("invalidTag")
    backfill = [r.take(16) for _ in range(r.varint())]
    if backfill != sorted(set(backfill)) or (complete and not backfill):
        raise ValueError("notCanonical")
    covered = []
    for _ in range(r.varint()):
        author, epoch, seq = r.take(32), r.varint(), r.varint()
        if seq < 1:
            raise ValueError("notCanonical")
        covered.append((author, epoch, seq))
    if [c[:2] for c in covered] != sorted(set(c[:2] for c in covered)):
        raise ValueError("notCanonical")
    runs = decode_runs(data[r.at:], {"a": [], "s": []})
    return {"number": number, "complete": complete == 1, "backfill": backfill, "covered": covered, "runs": runs}


def check_partial_messages(d, fail):
    for m in d.get("messages", []):
        got = decode_partial_message(m["type"], bytes.fromhex(m["hex"]))
        if m["type"] == "subscribe":
            if got != {"everything": m["everything"], "queues": sorted(m["queues"], key=str.encode)}:
                fail(f"{m['name']}: decodes to {got}")
        elif m["type"] in ("want-scope", "have-scope"):
            if got != sorted(b2(n.encode(), 16) for n in m["scopes"]):
                fail(f"{m['name']}: scopes")
        else:
            if [b.hex() for b in got["backfill"]] != m["backfill"]:
                fail(f"{m['name']}: whole scopes")
            if got["complete"] != m["complete"]:
                fail(f"{m['name']}: complete")
            if sorted((a.hex(), str(e), str(q)) for a, e, q in got["covered"]) != sorted(
                    (c["author"], c["epoch"], c["seq"]) for c in m["covered"]):
                fail(f"{m['name']}: covered")
            if [op["seq"] for _, _, ops, _ in got["runs"] for op in ops] != m["ops"]:
                fail(f"{m['name']}: ops")
            # The receiver is a fresh partial node: it holds nothing, and every scope of the runs is sent whole.
            for author, epoch, ops, seals in got["runs"]:
                try:
                    resolved = resolve_run(author, epoch, ops, [])
                except ValueError as error:
                    fail(f"{m['name']}: run refused ({error})")
                    continue
                for problem in check_partial_receiver(author, epoch, resolved, seals, []):
                    fail(f"{m['name']}: {problem}")
                if any(op["scope"] not in got["backfill"] for op in resolved):
                    fail(f"{m['name']}: an op of a scope not sent whole")
    for m in d.get("invalid_messages", []):
        try:
            decode_partial_message(m["type"], bytes.fromhex(m["hex"]))
            fail(f"{m['name']}: accepted, expected {m['error']}")
        except ValueError:
            pass


# Batches as runs (SPEC-sync.md §2b.18): format 1 ops, headers rebuilt by the receiver.

MAX_BATCH_OPS = 100_000


def header_v1(author, epoch, seq, prev, hlc, kind, body_len, body_hash):
    return (b"\x01" + author + struct.pack(">QQ", epoch, seq) + prev + struct.pack(">QHI", hlc, kind, body_len)
            + body_hash)


def decode_sync_runs(data):
    """Decodes a whole `runs` message to (id, [(header, body or None)], [seal bytes]); ValueError if invalid."""
    r = Reader(data)
    if r.u8() != 23:
        raise ValueError("tag")
    batch_id = r.be(8)
    run_count = r.varint()
    if run_count > MAX_BATCH_OPS:
        raise ValueError("tooLarge")
    ops, previous_run, seen = [], None, set()
    for _ in range(run_count):
        author, epoch, first = r.take(32), r.varint(), r.varint()
        if epoch > MAX_ORDINAL or first > MAX_ORDINAL or first == 0:
            raise ValueError("run position")
        prev, count = r.take(32), r.varint()
        if count == 0 or len(ops) + count > MAX_BATCH_OPS:
            raise ValueError("op count")
        log = (author, epoch)
        if previous_run and previous_run[0] == log:
            if previous_run[1] == first:
                raise ValueError("notCanonical: continues")
        elif log in seen:
            raise ValueError("notCanonical: separated")
        seen.add(log)
        last = None
        for i in range(count):
            flags = r.u8()
            if flags & ~7:
                raise ValueError("flags")
            raw = r.varint()
            hlc = raw if last is None else last[1] + unzigzag(raw)
            if not 0 <= hlc <= MAX_ORDINAL:
                raise ValueError("hlc")
            kind = r.varint()
            if kind not in range(1, 6):
                raise ValueError("kind")
            computed_prev = prev if last is None else b2(last[0])
            op_prev = computed_prev
            if flags & 2:
                if last is None:
                    raise ValueError("notCanonical: first op prev")
                op_prev = r.take(32)
                if op_prev == computed_prev:
                    raise ValueError("notCanonical: prev")
            if flags & 4 and not flags & 1:
                raise ValueError("notCanonical: fields on erased")
            sent = None
            if not flags & 1 or flags & 4:
                length = r.varint()
                if length > MAX_BODY:
                    raise ValueError("tooLarge")
                sent = (length, r.take(32))
            body_bytes = None
            if flags & 1:
                length = r.varint()
                if length > MAX_BODY:
                    raise ValueError("tooLarge")
                body_bytes = r.take(length)
                own = (len(body_bytes), b2(body_bytes))
                if sent == own:
                    raise ValueError("notCanonical: fields")
                sent = sent or own
            seq = first + i
            if seq > MAX_ORDINAL or (seq == 1 and op_prev != bytes(32)):
                raise ValueError("header rules")
            h = header_v1(author, epoch, seq, op_prev, hlc, kind, sent[0], sent[1])
            ops.append((h, body_bytes))
            last = (h, hlc)
        previous_run = (log, first + count)
    seal_count = r.varint()
    seals = [r.take(144) for _ in range(seal_count)]
    r.end()
    return batch_id, ops, seals


def encode_sync_runs(batch_id, ops, seals):
    """Encodes a batch (ops as (header, body or None)) as `runs`, by §2b.18's encoder rules."""
    order, by_log = [], {}
    for h, b in ops:
        log = h[1:41]
        if log not in by_log:
            order.append(log)
            by_log[log] = []
        by_log[log].append((h, b))
    runs = []
    for log in order:
        for h, b in by_log[log]:
            seq = struct.unpack(">Q", h[41:49])[0]
            if runs and runs[-1][0][0][1:41] == log and struct.unpack(">Q", runs[-1][-1][0][41:49])[0] + 1 == seq:
                runs[-1].append((h, b))
            else:
                runs.append([(h, b)])
    out = bytearray([23]) + struct.pack(">Q", batch_id) + varint(len(runs))
    for run in runs:
        h0 = run[0][0]
        epoch, seq = struct.unpack(">QQ", h0[33:49])
        out += h0[1:33] + varint(epoch) + varint(seq) + h0[49:81] + varint(len(run))
        last = None
        for h, b in run:
            prev, (hlc, kind, body_len), body_hash = h[49:81], struct.unpack(">QHI", h[81:95]), h[95:127]
            flags = 0
            if last is not None and prev != b2(last):
                flags |= 2
            if b is not None:
                flags |= 1
                if (body_len, body_hash) != (len(b), b2(b)):
                    flags |= 4
            out.append(flags)
            if last is None:
                out += varint(hlc)
            else:
                delta = hlc - struct.unpack(">Q", last[81:89])[0]
                out += varint((delta << 1) ^ (delta >> 63) if delta >= 0 else ((-delta) << 1) - 1)
            out += varint(kind)
            if flags & 2:
                out += prev
            if not flags & 1 or flags & 4:
                out += varint(body_len) + body_hash
            if b is not None:
                out += varint(len(b)) + b
            last = h
    out += varint(len(seals))
    for seal in seals:
        out += seal
    return bytes(out)


def varint(n):
    out = bytearray()
    while True:
        byte = n & 0x7F
        n >>= 7
        if n:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def check_sync_runs(d, fail):
    found = 0
    for m in d["messages"]:
        if m["type"] != "runs":
            continue
        found += 1
        f = m["fields"]
        ops = [(bytes.fromhex(o["header_hex"]), None if o["body_hex"] is None else bytes.fromhex(o["body_hex"]))
               for o in f["ops"]]
        seals = [bytes.fromhex(x) for x in f["seals"]]
        try:
            got = decode_sync_runs(bytes.fromhex(m["hex"]))
        except ValueError as error:
            fail(f"{m['name']}: refused ({error})")
            continue
        if got != (int(f["id"]), ops, seals):
            fail(f"{m['name']}: decodes to other ops")
        if encode_sync_runs(int(f["id"]), ops, seals).hex() != m["hex"]:
            fail(f"{m['name']}: the fields encode to other bytes")
    if found < 5:
        fail(f"only {found} runs messages")
    check_refused(d, {23}, decode_sync_runs, fail)


def check_refused(d, tags, decode, fail):
    """Every invalid sync.json message whose tag is in `tags` must be refused by `decode` (a ValueError)."""
    for m in d["invalid"]:
        if len(m["hex"]) < 2 or int(m["hex"][:2], 16) not in tags:
            continue
        try:
            decode(bytes.fromhex(m["hex"]))
            fail(f"{m['name']}: accepted, expected {m['error']}")
        except ValueError:
            pass


PARTIAL_TAGS = {13: "subscribe", 14: "want-scope", 20: "partial-batch", 21: "partial-ack", 22: "have-scope"}


def decode_sync_partial(data):
    """A whole sync message of SPEC-partial.md §P.3b: tag byte, then §P.3's payload to the end. Returns (kind, value)."""
    if not data or data[0] not in PARTIAL_TAGS:
        raise ValueError("tag")
    kind, payload = PARTIAL_TAGS[data[0]], data[1:]
    if kind == "partial-ack":
        r = Reader(payload)
        number = r.varint()
        r.end()
        return kind, number
    if kind == "partial-batch" and not payload:
        raise ValueError("truncated")
    return kind, decode_partial_message(kind, payload)


def check_sync_partial(d, fail):
    kinds = {"subscribe": "subscribe", "wantScope": "want-scope", "haveScope": "have-scope", "partialAck": "partial-ack",
             "partialBatch": "partial-batch"}
    found = set()
    for m in d["messages"]:
        if m["type"] not in kinds:
            continue
        f = m["fields"]
        try:
            kind, got = decode_sync_partial(bytes.fromhex(m["hex"]))
        except ValueError as error:
            fail(f"{m['name']}: refused ({error})")
            continue
        found.add(kind)
        if kind != kinds[m["type"]]:
            fail(f"{m['name']}: tag of {kind}")
        elif kind == "subscribe":
            if got != {"everything": f["everything"], "queues": sorted(f["queues"], key=str.encode)}:
                fail(f"{m['name']}: decodes to {got}")
        elif kind in ("want-scope", "have-scope"):
            if [x.hex() for x in got] != f["scopes"]:
                fail(f"{m['name']}: scopes")
        elif kind == "partial-ack":
            if got != int(f["number"]):
                fail(f"{m['name']}: number")
        else:
            if got["number"] != int(f["number"]) or got["complete"] != f["complete"]:
                fail(f"{m['name']}: number or complete")
            if [b.hex() for b in got["backfill"]] != f["whole"]:
                fail(f"{m['name']}: whole scopes")
            if sorted((a.hex(), str(e), str(q)) for a, e, q in got["covered"]) != sorted(
                    (c["author"], c["epoch"], c["seq"]) for c in f["covered"]):
                fail(f"{m['name']}: covered")
            if [",".join(str(op["seq"]) for op in ops) for _, _, ops, _ in got["runs"]] != [r["seqs"] for r in f["runs"]]:
                fail(f"{m['name']}: runs")
    if found != set(kinds.values()):
        fail(f"partial messages missing: {set(kinds.values()) - found}")
    check_refused(d, set(PARTIAL_TAGS), decode_sync_partial, fail)


def main():
    directory = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "Protocol" / "vectors")
    failures = []
    for name, check in [("ops-v2.json", check_ops), ("runs-v2.json", check_runs), ("partial.json", check_partial),
                        ("partial.json (messages)", check_partial_messages), ("sync.json (runs)", check_sync_runs),
                        ("sync.json (partial)", check_sync_partial)]:
        before = len(failures)
        check(json.loads((directory / name.split(" ")[0]).read_text()), failures.append)
        print(f"{name}: {'ok' if len(failures) == before else 'MISMATCH: ' + '; '.join(failures[before:])}")
    if not signatures_checked():
        print("signatures: not checked (PyNaCl is not installed; rejected runs that only a signature refuses are skipped)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
