#!/usr/bin/env python3
"""Writes the fuzz targets' seed corpora from Protocol/vectors, examples/ and Fuzz/regressions/ (issue 16).

Usage: tools/fuzz-seeds.py OUT_DIR  ->  OUT_DIR/{core,sync,text}/seed-*
Each seed starts with the selector byte its target reads first (see Fuzz/Sources/*/Fuzz*.swift).
"""
import json
import os
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
VECTORS = os.path.join(ROOT, "Protocol", "vectors")
KINDS = {"insert": 1, "set": 2, "tagAdd": 3, "tag_add": 3, "tagRemove": 4, "tag_remove": 4, "claim": 5}


def load(name):
    with open(os.path.join(VECTORS, name)) as f:
        return json.load(f)


def walk(node, key=""):
    """Yields (key, value) for every string in a JSON tree."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from walk(v, k)
    elif isinstance(node, list):
        for v in node:
            yield from walk(v, key)
    elif isinstance(node, str):
        yield key, node


def is_hex(text):
    return len(text) % 2 == 0 and all(c in "0123456789abcdef" for c in text)


def main(out):
    seeds = {"core": set(), "sync": set(), "text": set()}
    for chain in load("ops.json")["chains"]:
        for op in chain["ops"]:
            seeds["core"].add(bytes([0]) + bytes.fromhex(op["header_hex"]))
            seeds["core"].add(bytes([op["kind_code"]]) + bytes.fromhex(op["body_hex"]))
        if chain.get("seal"):
            for key, value in walk(chain["seal"]):
                if key in ("hex", "seal_hex") and is_hex(value):
                    seeds["core"].add(bytes([6]) + bytes.fromhex(value))
    for case in load("invalid.json")["cases"]:
        selector = {"header": 0, "seal": 6, "value": 7}.get(case.get("decode"), KINDS.get(case.get("kind"), 1))
        seeds["core"].add(bytes([selector]) + bytes.fromhex(case["hex"]))
    for key, value in walk(load("sync.json")):
        if key == "hex" and is_hex(value):
            seeds["sync"].add(bytes([0]) + bytes.fromhex(value))
    for key, value in walk(load("frames.json")):
        if key == "wire" and is_hex(value):
            seeds["sync"].add(bytes([1]) + bytes.fromhex(value))
    for key, value in walk(load("handshake.json")):
        if key == "frame" and is_hex(value):
            for which in range(4):
                seeds["sync"].add(bytes([4, which]) + bytes.fromhex(value)[2:])
    # Frame round trips: three payloads cut in varied sizes; a few bundle-shaped inputs.
    seeds["sync"].add(bytes([2, 3, 4]) + b"abcd" + bytes([0, 9]) + b"123456789" + bytes([1, 7, 64, 2]))
    seeds["sync"].add(bytes([5]) + b"RSTB\x01" + bytes(4 + 32 + 80 + 24))
    seeds["sync"].add(bytes([6, 0, 0, 0, 0]))
    with open(os.path.join(ROOT, "examples", "data", "twcs-demo.csv"), "rb") as f:
        lines = f.read().split(b"\n")
    for start in (0, 40, 200):
        seeds["text"].add(bytes([0]) + b"\n".join(lines[:1] + lines[start + 1:start + 6]))
    seeds["text"].add(bytes([3 * 7]) + b"\n".join(lines[:12]))
    with open(os.path.join(ROOT, "examples", "x-sample.jsonl"), "rb") as f:
        for line in f.read().split(b"\n")[:8]:
            if line.strip():
                seeds["text"].add(bytes([1]) + line)
    with open(os.path.join(ROOT, "examples", "rules.toml"), "rb") as f:
        seeds["text"].add(bytes([2]) + f.read())
    # The desk policy file (252): the example, and the same with a holiday-only week and a DST zone.
    with open(os.path.join(ROOT, "examples", "policy.toml"), "rb") as f:
        policy = f.read()
    seeds["text"].add(bytes([252]) + policy)
    seeds["text"].add(bytes([252]) + b'[[queue]]\nname = "x"\ntime_zone = "America/New_York"\nhours = ["sun 01:30-03:30"]\n'
                      b'holidays = ["2026-03-08"]\nbusiness_time = true\nfirst_response_minutes = 1\n')
    # Search queries (250) and tweet texts for language and sentiment (251).
    for query in ['router -outage status:open', '"double charged" after:2017-10-01 to:@AcmeCare', 'refund* from:@c1 tag:a tag:b',
                  'lang:es sentiment:neg assignee:me before:2024-02-29', '"unclosed', 'stauts:open', '-', '*']:
        seeds["text"].add(bytes([250]) + query.encode("utf-8"))
    for tweet in ['@AcmeCare my internet is down again, worst service ever 😡 https://t.co/x #fail',
                  '@AcmeCare llevo tres días sin internet y nadie me da una solución',
                  '@AmazonHelp ありがとうございます！ 今、電話で主人が対応していただいてます。', 'thanks so much :) but it is NOT working!!!']:
        seeds["text"].add(bytes([251]) + tweet.encode("utf-8"))
    # Format 2 (Protocol/SPEC-format-2.md): core selectors 240 (hashed header), 241-245 (body v2 by kind), 246 (seal v2),
    # 247 (varint); sync selector 255 (a batch of runs).
    v2 = load("ops-v2.json")
    for h in v2["headers"]:
        seeds["core"].add(bytes([240]) + bytes.fromhex(h["hashed_hex"]))
    for b in v2["bodies"]:
        seeds["core"].add(bytes([240 + b["kind"]]) + bytes.fromhex(b["v2_hex"]))
    for s in v2["seals"]:
        seeds["core"].add(bytes([246]) + bytes.fromhex(s["stored_hex"]))
    for v in v2["varints"] + v2["invalid_varints"]:
        seeds["core"].add(bytes([247]) + bytes.fromhex(v["hex"]))
    for case in v2["invalid"]:
        selector = {"header_v2": 240, "seal_v2": 246}.get(case["decode"], 240 + case.get("kind", 1))
        seeds["core"].add(bytes([selector]) + bytes.fromhex(case["hex"]))
    runs = load("runs-v2.json")
    for session in runs["sessions"]:
        seeds["sync"].add(bytes([255]) + bytes.fromhex(session["batches"][0]["hex"]))
    for case in runs["invalid"]:
        seeds["sync"].add(bytes([255]) + bytes.fromhex(case["hex"]))
    # Partial replication's messages (254, then 0 subscribe, 1 want-scope, 2 have-scope, 3 partial-ack, 4 partial-batch).
    partial = load("partial.json")
    kinds = {"subscribe": 0, "want-scope": 1, "have-scope": 2, "partial-ack": 3, "partial-batch": 4}
    for m in partial["messages"] + partial["invalid_messages"]:
        seeds["sync"].add(bytes([254, kinds[m["type"]]]) + bytes.fromhex(m["hex"]))
    seeds["sync"].add(bytes([254, 3, 7]))
    # Inputs that once crashed a target (kept so every run replays them first; each also has a named test).
    for target in seeds:
        regressions = os.path.join(ROOT, "Fuzz", "regressions", target)
        if os.path.isdir(regressions):
            for name in sorted(os.listdir(regressions)):
                with open(os.path.join(regressions, name), "rb") as f:
                    seeds[target].add(f.read())
    for target, items in seeds.items():
        directory = os.path.join(out, target)
        os.makedirs(directory, exist_ok=True)
        for index, seed in enumerate(sorted(items)):
            with open(os.path.join(directory, "seed-%03d" % index), "wb") as f:
                f.write(seed)
        print("fuzz-seeds: %s: %d seeds" % (target, len(items)))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: tools/fuzz-seeds.py OUT_DIR")
    main(sys.argv[1])
