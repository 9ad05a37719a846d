#!/usr/bin/env python3
"""kill -9 campaign (issue 16), driven by tools/crash.sh.

Real `roost` processes are killed with SIGKILL at random points of four kinds of work:
  import  - `roost import-twcs` of a 3,000-tweet chunk into node C;
  sync    - node B's `roost run` catching up from node A's running daemon over TCP;
  refold  - `roost verify` (the re-fold of every materialized view) on node C;
  bundle  - `roost bundle import` on node B of a bundle that node A sealed to B.
While the work runs, a watcher polls `roost status --json` on the same home (a separate, read-only process):
every op count it saw was committed and acknowledged to a client. After each kill:
  - SQLite's `PRAGMA integrity_check` on node.sqlite is "ok";
  - `roost verify` passes (every chain, seal and view re-derived);
  - the node holds at least as many ops as any count observed before the kill.
At the end B's daemon catches up and must hold A's exact op set (same op count and state hash on both).
"""
import argparse
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    def __init__(self, roost, home):
        self.roost, self.home, self.daemon, self.daemon_log = roost, home, None, None

    def run(self, *args, check=True, timeout=600):
        env = dict(os.environ, ROOST_HOME=self.home, NO_COLOR="1")
        p = subprocess.run([self.roost, *args], env=env, capture_output=True, text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise SystemExit(f"crash: `roost {' '.join(args[:2])}` on {os.path.basename(self.home)} failed "
                             f"({p.returncode}): {p.stderr.strip()[-600:]}")
        return p

    def start(self, *args):
        env = dict(os.environ, ROOST_HOME=self.home, NO_COLOR="1")
        log = open(os.path.join(self.home, "..", os.path.basename(self.home) + ".log"), "a")
        return subprocess.Popen([self.roost, *args], env=env, stdout=log, stderr=log, start_new_session=True)

    def status(self):
        p = self.run("status", "--json", check=False, timeout=120)
        if p.returncode != 0:
            return None
        return json.loads(p.stdout)

    def configure(self, listen, api):
        path = os.path.join(self.home, "config.json")
        with open(path) as f:
            config = json.load(f)
        config["listen"], config["api"] = listen, api
        with open(path, "w") as f:
            json.dump(config, f, indent=2)

    def start_daemon(self):
        self.daemon = self.start("run")

    def stop_daemon(self, sig=signal.SIGTERM):
        if self.daemon and self.daemon.poll() is None:
            os.killpg(self.daemon.pid, sig)
            self.daemon.wait(timeout=120)
        self.daemon = None


class Watcher(threading.Thread):
    """Polls `roost status --json` and keeps the largest op count seen (committed: another process read it)."""

    def __init__(self, node):
        super().__init__(daemon=True)
        self.node, self.seen, self.stop = node, 0, threading.Event()

    def run(self):
        while not self.stop.is_set():
            s = self.node.status()
            if s:
                self.seen = max(self.seen, s["ops"])
            time.sleep(0.02)

    def finish(self):
        self.stop.set()
        self.join(timeout=180)
        return self.seen


def make_chunks(directory, count, per_chunk):
    """CSV chunks of `per_chunk` tweets, replicating examples/data/twcs-demo.csv with fresh tweet ids."""
    with open(os.path.join(ROOT, "examples", "data", "twcs-demo.csv"), newline="") as f:
        import csv
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    paths = []
    copy = 0
    for chunk in range(count):
        path = os.path.join(directory, f"chunk-{chunk}.csv")
        with open(path, "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(header)
            written = 0
            while written < per_chunk:
                offset = (copy + 1) * 10_000_000
                copy += 1
                for r in body:
                    def shift(value):
                        return ",".join(str(int(float(v)) + offset) for v in value.split(",") if v) if value else value
                    w.writerow([str(int(r[0]) + offset), r[1] if not r[1].isdigit() else str(int(r[1]) + offset),
                                r[2], r[3], r[4], shift(r[5]), shift(r[6])])
                written += len(body)
        paths.append(path)
    return paths


def integrity(home):
    db = sqlite3.connect(os.path.join(home, "node.sqlite"), timeout=60)
    try:
        return db.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        db.close()


def check_after_kill(node, seen, what, cycle):
    result = integrity(node.home)
    if result != "ok":
        raise SystemExit(f"crash: cycle {cycle} ({what}): integrity_check says {result!r}")
    node.run("verify", timeout=1200)
    ops = node.status()["ops"]
    if ops < seen:
        raise SystemExit(f"crash: cycle {cycle} ({what}): {ops} ops after restart, but {seen} were seen committed")
    return ops


def kill_during(node, args, rng, low, high, daemon=False):
    """Starts `roost args`, kills it with SIGKILL after a random delay; returns (ops seen, whether it finished)."""
    watcher = Watcher(node)
    watcher.start()
    process = node.start(*args)
    delay = rng.uniform(low, high)
    deadline = time.time() + delay
    while time.time() < deadline and process.poll() is None:
        time.sleep(0.005)
    finished = process.poll() is not None and not daemon
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    return watcher.finish(), finished


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--roost", required=True)
    ap.add_argument("--cycles", type=int, default=100)
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--keep", action="store_true")
    a = ap.parse_args()
    seed = a.seed if a.seed is not None else random.randrange(1 << 32)
    rng = random.Random(seed)
    print(f"crash: seed {seed} (replay: tools/crash.sh --cycles {a.cycles} --seed {seed})", flush=True)
    work = tempfile.mkdtemp(prefix="roost-crash.")
    started = time.time()
    nodes = []
    try:
        chunks = make_chunks(work, 6, 3000)
        A, B, C = nodes = [Node(a.roost, os.path.join(work, n)) for n in "abc"]
        A.run("init", "--name", "Ana Lopez", "--initials", "AL")
        B.run("init", "--name", "Kenji Sato", "--initials", "KS")
        C.run("init", "--name", "Chris Roe", "--initials", "CR")
        A.configure(f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}")
        B.configure(f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}")
        A.run("team", "create", "--name", "Crash Test")
        invite = A.run("team", "invite", "--name", "Kenji Sato", "--role", "agent").stdout
        token = next(w for w in invite.split() if w.startswith("roost-invite"))
        B.run("team", "join", token)
        A.run("import-twcs", "--file", chunks[0])
        A.start_daemon()
        # B joins: its daemon dials A and is admitted; wait until it holds A's history once.
        B.start_daemon()
        deadline = time.time() + 600
        while time.time() < deadline:
            sa, sb = A.status(), B.status()
            if sa and sb and sb["ops"] >= sa["ops"] and sb["stateHash"] == sa["stateHash"]:
                break
            time.sleep(0.5)
        else:
            raise SystemExit("crash: B never caught up with A during set-up")
        B.stop_daemon()
        b_id = B.status()["nodeId"]
        counts = {"import": 0, "sync": 0, "refold": 0, "bundle": 0}
        finished = dict(counts)
        next_chunk = 1
        for cycle in range(1, a.cycles + 1):
            kind = rng.choice(["import", "sync", "refold", "bundle"])
            counts[kind] += 1
            if kind == "import":
                chunk = chunks[rng.randrange(len(chunks))]
                seen, done = kill_during(C, ["import-twcs", "--file", chunk], rng, 0.05, 4.0)
                check_after_kill(C, seen, kind, cycle)
            elif kind == "refold":
                seen, done = kill_during(C, ["verify"], rng, 0.05, 3.0)
                check_after_kill(C, seen, kind, cycle)
            elif kind == "sync":
                # A gets new work now and then, so B has something to catch up on.
                if rng.random() < 0.3:
                    A.run("import-twcs", "--file", chunks[next_chunk % len(chunks)])
                    next_chunk += 1
                seen, done = kill_during(B, ["run"], rng, 0.2, 5.0, daemon=True)
                check_after_kill(B, seen, kind, cycle)
            else:
                if rng.random() < 0.5:
                    A.run("import-twcs", "--file", chunks[next_chunk % len(chunks)])
                    next_chunk += 1
                bundle = os.path.join(work, "b.rstb")
                A.run("bundle", "export", "--for", b_id, "--out", bundle)
                seen, done = kill_during(B, ["bundle", "import", bundle], rng, 0.02, 1.5)
                check_after_kill(B, seen, kind, cycle)
            finished[kind] += int(done)
            if cycle % 10 == 0 or cycle == a.cycles:
                print(f"crash: {cycle}/{a.cycles} cycles, all checks passed ({int(time.time() - started)} s)", flush=True)
        # B catches up for good: the same op set as A.
        B.start_daemon()
        deadline = time.time() + 900
        while time.time() < deadline:
            sa, sb = A.status(), B.status()
            if sa and sb and sb["ops"] == sa["ops"] and sb["stateHash"] == sa["stateHash"]:
                break
            time.sleep(0.5)
        else:
            raise SystemExit("crash: after the campaign B did not converge to A's state")
        B.stop_daemon()
        A.stop_daemon()
        print("crash: kills per kind: " + ", ".join(f"{k} {counts[k]} ({finished[k]} finished before the kill)" for k in counts))
        print(f"total: {a.cycles} cycles, 0 failures; A and B converged at {sa['ops']} ops, state {sa['stateHash'][:16]}; "
              f"{int(time.time() - started)} s")
    finally:
        for node in nodes:
            node.stop_daemon(signal.SIGKILL)
        if a.keep:
            print(f"crash: homes kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
