#!/usr/bin/env python3
"""Checks Protocol/vectors/ops-v2.json, runs-v2.json, partial.json and the `runs` messages of sync.json from
Protocol/SPEC-format-2.md, SPEC-partial.md and SPEC-sync.md §2b.18 alone, with Python's hashlib.

A second implementation of format 2's decoding and hashing, written from the spec text and sharing no code
with the Swift one: varints, scope ids, bodies v1 and v2 (decoded to the same values), hashed headers and op
hashes, scopes trees and inclusion paths (RFC 9162 shape), seal messages, and runs (decoded with session
dictionaries, headers rebuilt from what the receiver holds, then compared with the resolved headers), and partial
replication's messages (subscribe, want-scope, have-scope, partial-batch; SPEC-partial.md §P.3) both ways and the invalid ones.
Ed25519 signatures are checked too when PyNaCl is installed. Prints one line per file and exits 1 on a mismatch.

Usage: python3 tools/format2-check.py [vectors-directory]
"""
import hashlib
import json
import struct
import sys
from pathlib import Path

CODES = ["ticket", "message", "customer", "team", "canned", "resolution-type", "queue", "member", "invite",
         "erasure", "handle", "xpost"]


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


def header(author, epoch, seq, prev, hlc, kind, scope, scope_prev, body_len, body_hash):
    return (b"roost-op-v2" + author + struct.pack(">QQ", epoch, seq) + prev + struct.pack(">QB", hlc, kind) + scope
            + scope_prev + struct.pack(">I", body_len) + body_hash)


def leaf_hash(scope, op_hash):
    return b2(b"\x00" + scope + op_hash)


def root(hashes):
    if len(hashes) == 1:
        return hashes[0]
    k = 1
    while k * 2 < len(hashes):
        k *= 2
    return b2(b"\x01" + root(hashes[:k]) + root(hashes[k:]))


def verify_path(leaf, index, count, path, expected):
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


def ed25519_verify(signature, message, key):
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
        scope = bytes.fromhex(h["scope"])
        rebuilt = header(bytes.fromhex(h["author"]), int(h["epoch"]), int(h["seq"]), prev, int(h["hlc"]), h["kind"], scope,
                         last_in_scope.get(scope, bytes(32)), len(data), b2(data))
        if rebuilt != hashed or b2(hashed).hex() != h["op_hash"]:
            fail(f"header {h['seq']}")
        prev = last_in_scope[scope] = b2(hashed)
    ops = [(int(h["seq"]), bytes.fromhex(h["scope"]), bytes.fromhex(h["op_hash"])) for h in d["headers"]]
    for s in d["seals"]:
        lo, hi = int(s["from_seq"]), int(s["seq"])
        last = {}
        for seq, scope, op_hash in ops:
            if lo <= seq <= hi:
                last[scope] = op_hash
        leaves = [leaf_hash(scope, last[scope]) for scope in sorted(last)]
        expected = bytes.fromhex(s["scopes_root"])
        if root(leaves) != expected:
            fail(f"{s['name']}: root")
        for i, path in enumerate(s["paths"]):
            if not verify_path(leaves[i], i, len(leaves), [bytes.fromhex(p) for p in path], expected):
                fail(f"{s['name']}: path {i}")
        author = bytes.fromhex(d["headers"][0]["author"])
        message = (b"roost-seal-v2" + author + struct.pack(">QQQ", int(d["headers"][0]["epoch"]), lo, hi)
                   + bytes.fromhex(s["head"]) + expected)
        if message.hex() != s["signed_hex"]:
            fail(f"{s['name']}: signed message")
        if ed25519_verify(bytes.fromhex(s["signature"]), message, author) is False:
            fail(f"{s['name']}: signature")


def decode_runs(data, dicts):
    r = Reader(data)
    runs = []
    for _ in range(r.varint()):
        def ref(kind, size):
            n = r.varint()
            if n == 0:
                dicts[kind].append(r.take(size))
                return dicts[kind][-1]
            return dicts[kind][n - 1]
        author, epoch, ops, seq, hlc = ref("a", 32), r.varint(), [], 0, None
        for i in range(r.varint()):
            seq = seq + 1 + r.varint()
            flags = r.u8()
            prev = r.take(32) if flags & 2 else None
            scope_prev = r.take(32) if flags & 4 else None
            hlc = r.varint() if hlc is None else hlc + unzigzag(r.varint())
            kind, scope = r.u8(), ref("s", 16)
            if flags & 1:
                length, body_hash = r.varint(), r.take(32)
            else:
                data_ = r.take(r.varint())
                body(kind, data_, True)
                length, body_hash = len(data_), b2(data_)
            ops.append(dict(seq=seq, prev=prev, scope_prev=scope_prev, hlc=hlc, kind=kind, scope=scope, length=length,
                            body_hash=body_hash))
        for _ in range(r.varint()):
            r.varint(), r.varint()
            flags = r.u8()
            r.take(32 + 32 + 64 if flags & 1 else 32 + 64)
            if flags & 2:
                ref("s", 16)
                r.varint(), r.varint()
                r.take(32 * r.varint())
        runs.append((author, epoch, ops))
    r.end()
    return runs


def check_runs(d, fail):
    for session in d["sessions"]:
        dicts = {"a": [], "s": []}
        for batch in session["batches"]:
            held = [(bytes.fromhex(h["author"]), int(h["seq"]), bytes.fromhex(h["op_hash"]), bytes.fromhex(h["scope"]))
                    for h in batch["held"]]
            runs = decode_runs(bytes.fromhex(batch["hex"]), dicts)
            for (author, epoch, ops), want in zip(runs, batch["resolved"]):
                mine = [h for h in held if h[0] == author]
                got, in_run, last = [], {}, None
                for op in ops:
                    if last and last[0] + 1 == op["seq"]:
                        prev = last[1]
                    elif op["prev"] is not None:
                        prev = op["prev"]
                    else:
                        prev = bytes(32) if op["seq"] == 1 else next(h[2] for h in mine if h[1] == op["seq"] - 1)
                    earlier = [h for h in mine if h[3] == op["scope"] and h[1] < op["seq"]]
                    scope_prev = op["scope_prev"] or in_run.get(op["scope"]) or (
                        max(earlier, key=lambda h: h[1])[2] if earlier else bytes(32))
                    hashed = header(author, epoch, op["seq"], prev, op["hlc"], op["kind"], op["scope"], scope_prev,
                                    op["length"], op["body_hash"])
                    got.append(hashed.hex())
                    last = (op["seq"], b2(hashed))
                    in_run[op["scope"]] = last[1]
                if got != [o["hashed_hex"] for o in want["ops"]]:
                    fail(f"{session['name']}: resolved headers differ")


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
            if [op["seq"] for _, _, ops in got["runs"] for op in ops] != m["ops"]:
                fail(f"{m['name']}: ops")
    for m in d.get("invalid_messages", []):
        try:
            decode_partial_message(m["type"], bytes.fromhex(m["hex"]))
            fail(f"{m['name']}: accepted, expected {m['error']}")
        except ValueError:
            pass


# Batches as runs (SPEC-sync.md §2b.18): format 1 ops, headers rebuilt by the receiver.

MAX_ORDINAL = (1 << 63) - 1
MAX_BODY = 256 * 1024
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
    for m in d["invalid"]:
        if not m["hex"].startswith("17"):
            continue
        try:
            decode_sync_runs(bytes.fromhex(m["hex"]))
            fail(f"{m['name']}: accepted, expected {m['error']}")
        except ValueError:
            pass


def main():
    directory = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parent.parent / "Protocol" / "vectors")
    failures = []
    for name, check in [("ops-v2.json", check_ops), ("runs-v2.json", check_runs), ("partial.json", check_partial),
                        ("partial.json (messages)", check_partial_messages), ("sync.json (runs)", check_sync_runs)]:
        before = len(failures)
        check(json.loads((directory / name.split(" ")[0]).read_text()), failures.append)
        print(f"{name}: {'ok' if len(failures) == before else 'MISMATCH: ' + '; '.join(failures[before:])}")
    try:
        import nacl  # noqa: F401
    except ImportError:
        print("signatures: not checked (PyNaCl is not installed)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
