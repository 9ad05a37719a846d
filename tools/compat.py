#!/usr/bin/env python3
"""A team of old and new nodes, as real processes on loopback: does this build sync with an older release?

Driven by tools/compat.sh, which builds `roost` at an older commit (by default the last one that spoke sync
protocol version 1) next to this checkout's `roost`. Three nodes: A (new, founder), B (old, agent) and C (new, agent);
B and C join through A, so B's only session is with A and C's ops reach B, and B's reach C, through A's relaying.
Each phase writes on one node and waits until all three hold the same ops and state hash:
  1. A imports the repository's demo TWCS file (B and C catch up from nothing).
  2. B (old) tags, sets and claims on tickets; C (new) does the same on others.
  3. A, B and C write at once.
Then it reads the daemons' logs: the version each session ran at (new nodes log it), and no protocol violation.
With --c-format 2, C writes op format 2 (`roost init --log-format 2`), which an old node below protocol version 4 can
never hold (SPEC-sync.md §2b.19): A and C must then hold the same ops and state hash, B every log A holds but C's, and
A must not count B behind (its peers.json) on a log B cannot hold.
Prints one line per phase and a result line; exits non-zero on the first failure, naming it.
"""
import argparse
import json
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    def __init__(self, name, roost, work):
        self.name, self.roost = name, roost
        self.home = os.path.join(work, name)
        self.log = os.path.join(work, name + ".log")
        self.daemon = None

    def run(self, *args, timeout=600):
        env = dict(os.environ, ROOST_HOME=self.home, NO_COLOR="1")
        p = subprocess.run([self.roost, *args], env=env, capture_output=True, text=True, timeout=timeout)
        if p.returncode != 0:
            raise SystemExit(f"compat: `roost {' '.join(args[:3])}` on {self.name} failed ({p.returncode}): "
                             f"{p.stderr.strip()[-600:]}")
        return p.stdout

    def status(self):
        env = dict(os.environ, ROOST_HOME=self.home, NO_COLOR="1")
        p = subprocess.run([self.roost, "status", "--json"], env=env, capture_output=True, text=True, timeout=120)
        return json.loads(p.stdout) if p.returncode == 0 else None

    def configure(self):
        path = os.path.join(self.home, "config.json")
        with open(path) as f:
            config = json.load(f)
        config["listen"], config["api"] = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
        with open(path, "w") as f:
            json.dump(config, f, indent=2)

    def start(self):
        env = dict(os.environ, ROOST_HOME=self.home, NO_COLOR="1")
        self.daemon = subprocess.Popen([self.roost, "run", "--log-level", "info"], env=env, stdout=open(self.log, "a"),
                                       stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self):
        if self.daemon and self.daemon.poll() is None:
            os.killpg(self.daemon.pid, signal.SIGTERM)
            self.daemon.wait(timeout=120)


def converge(nodes, what, timeout, apart=None):
    """Waits until every node holds the same ops and state hash; with `apart` = (old, writer), until the others agree
    and `old` holds every log they hold except `writer`'s (a format 2 log it cannot hold) and none of `writer`'s."""
    began = time.time()
    while time.time() - began < timeout:
        states = [n.status() for n in nodes]
        if all(states):
            if apart is None:
                if len({(s["ops"], s["stateHash"]) for s in states}) == 1:
                    return states[0]["ops"], time.time() - began
            else:
                old, writer = apart
                full = [s for n, s in zip(nodes, states) if n is not old]
                old_state = states[nodes.index(old)]
                writer_id = states[nodes.index(writer)]["nodeId"]
                want = {(l["author"], l["epoch"]): l["seq"] for l in full[0]["logs"] if l["author"] != writer_id}
                held = {(l["author"], l["epoch"]): l["seq"] for l in old_state["logs"]}
                if len({(s["ops"], s["stateHash"]) for s in full}) == 1 and held == want:
                    return full[0]["ops"], time.time() - began
        time.sleep(0.5)
    detail = ", ".join(f"{n.name} {s['ops'] if s else '?'} ops" for n, s in zip(nodes, [n.status() for n in nodes]))
    raise SystemExit(f"compat: FAILED: {what}: no common state after {timeout} s ({detail}); logs in {os.path.dirname(nodes[0].home)}")


def tickets(node, limit):
    """Ticket keys of the node's inbox (`roost inbox --json` prints an array of rows with their `key`)."""
    return [row["key"] for row in json.loads(node.run("inbox", "--json", "--limit", str(limit)))]


def work_on(node, keys, rng, tag):
    for key in keys:
        node.run("op", "tag", f"ticket/{key}", tag)
        node.run("op", "set", f"ticket/{key}", "priority", rng.choice(["urgent", "high", "normal", "low"]))
    node.run("op", "claim", f"ticket/{keys[0]}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--new", required=True, help="this checkout's roost")
    ap.add_argument("--old", required=True, help="the older release's roost")
    ap.add_argument("--old-rev", default="?")
    ap.add_argument("--csv", required=True)
    ap.add_argument("--seed", type=int, default=20261205)
    ap.add_argument("--keep", action="store_true")
    ap.add_argument("--old-version", default="1", help="the sync protocol version the old node speaks (A must log a session at it)")
    ap.add_argument("--c-format", default="1", choices=["1", "2"], help="the op format C (new) writes: 2 needs an old node below version 4")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    work = tempfile.mkdtemp(prefix="roost-compat.")
    A, B, C = Node("a-new", a.new, work), Node("b-old", a.old, work), Node("c-new", a.new, work)
    nodes = [A, B, C]
    ok = False
    try:
        for node, name in zip(nodes, ["Ana Lopez", "Kenji Sato", "Chris Roe"]):
            extra = ["--log-format", "2"] if node is C and a.c_format == "2" else []
            node.run("init", "--name", name, "--initials", "".join(w[0] for w in name.split()), *extra)
            node.configure()
        apart = (B, C) if a.c_format == "2" else None
        c_says = "C (new, format 2; B cannot hold its log)" if apart else "C (new)"
        A.run("team", "create", "--name", "Compat Test")
        for node in (B, C):
            invite = A.run("team", "invite", "--name", node.name, "--role", "agent")
            node.run("team", "join", next(w for w in invite.split() if w.startswith("roost-invite")))
        for node in nodes:
            node.start()
        ops, seconds = converge(nodes, "joining", 300, apart)
        print(f"compat: joined: A (new), B (old {a.old_rev}) and {c_says} hold the same {ops} ops ({seconds:.1f} s)", flush=True)

        A.run("import-twcs", "--file", a.csv)
        ops, seconds = converge(nodes, "after A's TWCS import", 600, apart)
        print(f"compat: phase 1: A imported {a.csv.split('/')[-1]}; all hold {ops} ops, one state hash ({seconds:.1f} s)", flush=True)

        keys = tickets(A, 60)
        if len(keys) < 30:
            raise SystemExit(f"compat: FAILED: A's inbox has {len(keys)} tickets after the import (30 needed)")
        work_on(B, keys[0:10], rng, "from-old")
        work_on(C, keys[10:20], rng, "from-new")
        ops, seconds = converge(nodes, "after B (old) and C (new) wrote", 300, apart)
        print(f"compat: phase 2: B (old) and C (new) tagged, set and claimed 10 tickets each; all hold {ops} ops ({seconds:.1f} s)", flush=True)

        for node, part in zip(nodes, [keys[20:24], keys[24:27], keys[27:30]]):
            work_on(node, part, rng, "at-once")
        ops, seconds = converge(nodes, "after all three wrote at once", 300, apart)
        print(f"compat: phase 3: all three wrote at once; all hold {ops} ops ({seconds:.1f} s)", flush=True)

        if apart:
            # A's per-peer figures (peers.json, rewritten by the daemon every few seconds) count B behind only on logs
            # B could hold: none.
            b_id = B.status()["nodeId"]
            began, behind = time.time(), None
            while time.time() - began < 60:
                time.sleep(3)
                try:
                    peers = json.load(open(os.path.join(A.home, "peers.json")))["peers"]
                except (OSError, ValueError, KeyError):
                    continue
                behind = next((p.get("opsBehind") for p in peers if p.get("node") == b_id), None)
                if behind == 0:
                    break
            if behind != 0:
                raise SystemExit(f"compat: FAILED: A counts B {behind} ops behind (C's format 2 log is not B's to hold)")
            print("compat: A counts B 0 ops behind, though B holds none of C's format 2 log", flush=True)
        for node in nodes:
            node.stop()
        versions = {}
        for node in (A, C):
            for line in open(node.log, errors="replace"):
                if "peer session established" in line:
                    m = re.search(r"version=(\S+)", line)
                    versions.setdefault(node.name, []).append(m.group(1) if m else "?")
        violations = [(n.name, l.strip()) for n in nodes for l in open(n.log, errors="replace") if "violation" in l.lower()]
        refusals = sum("incompatible-version" in l for l in open(A.log, errors="replace"))
        if a.old_version not in versions.get(A.name, []):
            raise SystemExit(f"compat: FAILED: A never logged a version {a.old_version} session (its sessions: {versions.get(A.name)})")
        if violations:
            raise SystemExit(f"compat: FAILED: a protocol violation was logged: {violations[0]}")
        print(f"compat: sessions A logged, by version: " + ", ".join(
            f"{v}: {versions[A.name].count(v)}" for v in sorted(set(versions[A.name]))) +
            f"; C: " + ", ".join(f"{v}: {versions.get(C.name, []).count(v)}" for v in sorted(set(versions.get(C.name, [])))) +
            f"; A's sessions the old node ended on A's first hello: {refusals}; no protocol violation in any log", flush=True)
        print("compat: result: ok", flush=True)
        ok = True
    finally:
        for node in nodes:
            node.stop()
        if ok and not a.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"compat: homes and logs kept in {work}", file=sys.stderr)


if __name__ == "__main__":
    main()
