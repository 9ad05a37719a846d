#!/usr/bin/env python3
"""Roost side by side with the engines a user would pick instead (issue 12, point 3). Run by tools/bench-peers.sh.

One workload, in one run on one machine: N updates to T tickets, 80% "set field f (status, priority, assignee or
subject) of ticket k to a 30-byte string" and 20% "add tag t (one of 16) to ticket k", keys from a fixed-seed
generator, 1,000 updates per transaction. Engines:
  roost   Roost's store (roost-bench --only peers): every op signed (a seal per transaction), chained, merged, persisted
  pycrdt  Yrs through pycrdt: a Map per ticket (fields, and a Map of tags); each transaction's update is one row
  loro    Loro: the same shape; each commit's exported update is one row
  sqlite3 plain Python sqlite3: INSERT OR REPLACE of (ticket, field) rows and INSERT OR IGNORE of (ticket, tag) rows
Every engine persists to a WAL-mode SQLite file with synchronous=NORMAL. Two phases, each in its own process so
peak RSS is per phase: local (make and persist the updates) and remote (a fresh replica takes the local phase's
stream and persists it: CRDT update rows applied one by one; Roost's sealed batches verified and applied; for
plain sqlite3, which has no replication, the same statements replayed, as statement shipping would).
"""
import argparse
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time

FIELDS = ["status", "priority", "assignee", "subject"]
TAGS = [f"tag{i}" for i in range(16)]
TXN = 1_000


def make_workload(path, updates, tickets, seed):
    rng = random.Random(seed)
    with open(path, "w") as out:
        for _ in range(updates):
            k = rng.randrange(tickets)
            if rng.random() < 0.8:
                out.write(f"s\t{k}\t{rng.choice(FIELDS)}\t{rng.getrandbits(120):030x}\n")
            else:
                out.write(f"t\t{k}\t{rng.choice(TAGS)}\n")


def read_workload(path):
    with open(path) as f:
        return [line.rstrip("\n").split("\t") for line in f]


def chunks(ops):
    for i in range(0, len(ops), TXN):
        yield ops[i:i + TXN]


def open_file(path):
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    return db


def file_bytes(db):
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return db.execute("PRAGMA page_count").fetchone()[0] * db.execute("PRAGMA page_size").fetchone()[0]


def update_log(path):
    db = open_file(path)
    db.execute("CREATE TABLE IF NOT EXISTS updates (id INTEGER PRIMARY KEY, data BLOB NOT NULL)")
    return db


class PycrdtEngine:
    def __init__(self):
        from pycrdt import Doc, Map
        self.Map = Map
        self.doc = Doc()
        self.root = self.doc.get("tickets", type=Map)
        self.tickets = {}

    def ticket(self, k):
        t = self.tickets.get(k)
        if t is None:
            self.root[k] = self.Map({"tags": self.Map({})})
            node = self.root[k]
            t = self.tickets[k] = (node, node["tags"])
        return t

    def transaction(self, ops):
        state = self.doc.get_state()
        with self.doc.transaction():
            for op in ops:
                node, tags = self.ticket(op[1])
                if op[0] == "s":
                    node[op[2]] = op[3]
                else:
                    tags[op[2]] = True
        return self.doc.get_update(state)

    def apply(self, update):
        self.doc.apply_update(update)

    def summary(self):
        return len(self.root)


class LoroEngine:
    def __init__(self):
        import loro
        self.loro = loro
        self.doc = loro.LoroDoc()
        self.root = self.doc.get_map("tickets")
        self.tickets = {}

    def ticket(self, k):
        t = self.tickets.get(k)
        if t is None:
            node = self.root.get_or_create_container(k, self.loro.LoroMap())
            t = self.tickets[k] = (node, node.get_or_create_container("tags", self.loro.LoroMap()))
        return t

    def transaction(self, ops):
        version = self.doc.oplog_vv
        for op in ops:
            node, tags = self.ticket(op[1])
            if op[0] == "s":
                node.insert(op[2], op[3])
            else:
                tags.insert(op[2], True)
        self.doc.commit()
        return self.doc.export(self.loro.ExportMode.Updates(version))

    def apply(self, update):
        self.doc.import_(update)

    def summary(self):
        return len(self.root.get_deep_value())


def run_crdt(engine_name, phase, ops, directory):
    engine = PycrdtEngine() if engine_name == "pycrdt" else LoroEngine()
    if phase == "local":
        log = update_log(os.path.join(directory, f"{engine_name}-local.sqlite"))
        elapsed = 0.0
        for chunk in chunks(ops):
            start = time.perf_counter()
            update = engine.transaction(chunk)
            log.execute("INSERT INTO updates (data) VALUES (?)", (update,))
            elapsed += time.perf_counter() - start
        return elapsed, file_bytes(log)
    source = update_log(os.path.join(directory, f"{engine_name}-local.sqlite"))
    updates = [row[0] for row in source.execute("SELECT data FROM updates ORDER BY id")]
    log = update_log(os.path.join(directory, f"{engine_name}-remote.sqlite"))
    elapsed = 0.0
    for update in updates:
        start = time.perf_counter()
        engine.apply(update)
        log.execute("INSERT INTO updates (data) VALUES (?)", (update,))
        elapsed += time.perf_counter() - start
    tickets = len({op[1] for op in ops})
    assert engine.summary() == tickets, f"{engine_name} replica holds {engine.summary()} tickets, not {tickets}"
    return elapsed, file_bytes(log)


def run_sqlite(phase, ops, directory):
    db = open_file(os.path.join(directory, f"sqlite3-{phase}.sqlite"))
    db.execute("CREATE TABLE field (ticket TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL, "
               "PRIMARY KEY (ticket, name)) WITHOUT ROWID")
    db.execute("CREATE TABLE tag (ticket TEXT NOT NULL, tag TEXT NOT NULL, PRIMARY KEY (ticket, tag)) WITHOUT ROWID")
    elapsed = 0.0
    for chunk in chunks(ops):
        start = time.perf_counter()
        db.execute("BEGIN")
        for op in chunk:
            if op[0] == "s":
                db.execute("INSERT OR REPLACE INTO field (ticket, name, value) VALUES (?, ?, ?)", (op[1], op[2], op[3]))
            else:
                db.execute("INSERT OR IGNORE INTO tag (ticket, tag) VALUES (?, ?)", (op[1], op[2]))
        db.execute("COMMIT")
        elapsed += time.perf_counter() - start
    return elapsed, file_bytes(db)


def engine_main(args):
    ops = read_workload(args.workload)
    if args.engine == "sqlite3":
        elapsed, size = run_sqlite(args.phase, ops, args.dir)
    else:
        elapsed, size = run_crdt(args.engine, args.phase, ops, args.dir)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"PEERS engine={args.engine} phase={args.phase} updates={len(ops)} seconds={elapsed} bytes={size} "
          f"peak_rss_kib={rss}")


def parse(line):
    fields = dict(part.split("=", 1) for part in line.split()[1:])
    return fields["engine"], fields["phase"], fields


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--updates", type=int, default=200_000)
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=20261203)
    parser.add_argument("--roost-bench", required=False, help="path of the release roost-bench binary")
    parser.add_argument("--engine", help=argparse.SUPPRESS)
    parser.add_argument("--phase", help=argparse.SUPPRESS)
    parser.add_argument("--workload", help=argparse.SUPPRESS)
    parser.add_argument("--dir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.engine:
        return engine_main(args)

    import loro
    import pycrdt
    from importlib.metadata import version
    print(f"packages: pycrdt {version('pycrdt')}, loro {version('loro')}, Python {sys.version.split()[0]}, "
          f"SQLite {sqlite3.sqlite_version} (Python's)")
    print(f"workload: {args.updates:,} updates to {args.tickets:,} tickets (80% field sets, 20% tag adds), seed {args.seed}, "
          f"{TXN:,} updates per transaction")
    results = {}
    with tempfile.TemporaryDirectory(prefix="roost-bench-peers-") as directory:
        workload = os.path.join(directory, "workload.tsv")
        make_workload(workload, args.updates, args.tickets, args.seed)
        for engine in ["roost", "pycrdt", "loro", "sqlite3"]:
            for phase in ["local", "remote"]:
                if engine == "roost":
                    command = [args.roost_bench, "--only", "peers", "--peers-workload", workload, "--peers-dir", directory,
                               "--peers-phase", phase]
                else:
                    command = [sys.executable, __file__, "--engine", engine, "--phase", phase, "--workload", workload,
                               "--dir", directory]
                output = subprocess.run(command, check=True, capture_output=True, text=True).stdout
                line = next(l for l in output.splitlines() if l.startswith("PEERS "))
                name, ph, fields = parse(line)
                results[(name, ph)] = fields
                print(f"  {name} {ph}: {float(fields['seconds']):.2f} s", file=sys.stderr)

    def rate(engine, phase):
        r = results[(engine, phase)]
        return int(r["updates"]) / float(r["seconds"])

    print()
    print("| engine | local updates/s | remote updates/s | DB bytes/update (local) | peak RSS local / remote | "
          "Roost local / remote ratio |")
    print("| --- | --- | --- | --- | --- | --- |")
    for engine in ["roost", "pycrdt", "loro", "sqlite3"]:
        local, remote = results[(engine, "local")], results[(engine, "remote")]
        ratio = "" if engine == "roost" else \
            f"{rate('roost', 'local') / rate(engine, 'local'):.2f}× / {rate('roost', 'remote') / rate(engine, 'remote'):.2f}×"
        print(f"| {engine} | {rate(engine, 'local'):,.0f} | {rate(engine, 'remote'):,.0f} | "
              f"{int(local['bytes']) / int(local['updates']):.1f} | "
              f"{int(local['peak_rss_kib']) / 1024:.0f} / {int(remote['peak_rss_kib']) / 1024:.0f} MB | {ratio} |")


if __name__ == "__main__":
    main()
