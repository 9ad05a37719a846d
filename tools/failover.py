#!/usr/bin/env python3
"""Gateway failover campaign (issue 16), driven by tools/failover.sh.

Real processes: roost-fake-x (the fake X API v2), two gateway nodes (`roost run`) for @acmecare, the primary and
a standby with a short gateway lease, and an agent node, synced over encrypted loopback TCP. Each run: customers
tweet at the brand, the agent answers every new ticket through its running node, and after a random delay
(0-3 s: before, while or after the gateway posts) the node holding the gateway lease is killed with SIGKILL. The
other one must take the lease over and post what is left; then the killed node restarts. After every run:
  - every reply so far is `posted` on the agent's node, with the id of a brand tweet;
  - the fake X saw exactly one POST /2/tweets per reply and shows each reply's text once;
  - every customer tweet is one message on the agent's node.
The report: runs, kills, the longest time from a kill to the run's last reply posted, POSTs per reply.
"""
import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

TOKEN = "fake-x-token"
BRAND_ID = "1000000001"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    def __init__(self, roost, home, name, initials):
        self.roost, self.home, self.name, self.initials, self.daemon = roost, home, name, initials, None

    def run(self, *args, check=True, timeout=300):
        env = dict(os.environ, NO_COLOR="1")
        p = subprocess.run([self.roost, *args, "--home", self.home], env=env, capture_output=True, text=True, timeout=timeout)
        if check and p.returncode != 0:
            raise SystemExit(f"failover: `roost {' '.join(args[:3])}` on {self.name} failed ({p.returncode}): {p.stderr.strip()[-600:]}")
        return p

    def json(self, *args):
        return json.loads(self.run(*args, "--json").stdout)

    def start(self):
        log = open(self.home + ".log", "a")
        self.daemon = subprocess.Popen([self.roost, "run", "--home", self.home, "--log-level", "notice"], stdout=log, stderr=log,
                                       start_new_session=True)

    def kill(self):
        if self.daemon and self.daemon.poll() is None:
            os.killpg(self.daemon.pid, signal.SIGKILL)
            self.daemon.wait(timeout=60)
        self.daemon = None

    def stop(self):
        if self.daemon and self.daemon.poll() is None:
            os.killpg(self.daemon.pid, signal.SIGTERM)
            try:
                self.daemon.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.daemon.pid, signal.SIGKILL)
        self.daemon = None


def http(url, body=None):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"}, method="POST" if body else "GET")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def wait(what, check, timeout=180, every=0.25):
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise SystemExit(f"failover: timed out after {timeout} s waiting for {what}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--roost", required=True)
    parser.add_argument("--fakex", required=True)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--lease", type=int, default=15, help="gateway lease in seconds (15-600)")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1, 1 << 31)
    rng = random.Random(seed)
    print(f"seed: {seed} (replay: --seed {seed})", flush=True)
    work = tempfile.mkdtemp(prefix="roost-failover-")
    xport = free_port()
    fake = subprocess.Popen([args.fakex, "--port", str(xport), "--token", TOKEN], stdout=open(os.path.join(work, "fake-x.log"), "w"),
                            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{xport}"
    nodes = []
    try:
        wait("the fake X", lambda: "fake X API on" in open(os.path.join(work, "fake-x.log")).read(), timeout=60)
        one = Node(args.roost, os.path.join(work, "gw1"), "Gateway One", "GO")
        two = Node(args.roost, os.path.join(work, "gw2"), "Gateway Two", "GT")
        ana = Node(args.roost, os.path.join(work, "ana"), "Ana Lopez", "AL")
        nodes = [one, two, ana]
        for node in nodes:
            node.run("init", "--name", node.name, "--initials", node.initials)
            path = os.path.join(node.home, "config.json")
            config = json.load(open(path))
            config["listen"], config["api"] = f"127.0.0.1:{free_port()}", f"127.0.0.1:{free_port()}"
            json.dump(config, open(path, "w"), indent=2)
        one.run("team", "create", "--name", "Acme Care")
        for node, role in [(two, "gateway"), (ana, "agent")]:
            invite = one.json("team", "invite", "--name", node.name, "--role", role)["invite"]
            node.run("team", "join", invite)
        ids = {node.json("status")["nodeId"]: node for node in nodes}
        node_id = {node.name: i for i, node in ids.items()}
        token = os.path.join(work, "x-token")
        with open(token, "w") as f:
            f.write(TOKEN + "\n")
        os.chmod(token, 0o600)
        for node in (one, two):
            node.run("gateway", "configure", "--base-url", base, "--token-file", token, "--poll-seconds", "1", "--drain-seconds", "1")
        for node in nodes:
            node.start()
        # The admin's node learns the new members' roles by sync; then it names the primary and the standby.
        one.run("gateway", "assign", "acmecare", "--x-user-id", BRAND_ID, "--member", node_id[one.name])
        wait("the standby's role to reach the admin",
             lambda: one.run("gateway", "standby", "acmecare", "--member", node_id[two.name], "--lease", str(args.lease),
                             check=False).returncode == 0, timeout=120, every=1)

        def holder():
            lease = ana.json("gateway", "status").get("leases", {}).get("acmecare")
            return ids.get(lease.get("holder")) if lease else None

        replies, tweets, longest, kills = [], [], 0.0, {"gw1": 0, "gw2": 0}
        for run in range(args.runs):
            new = []
            for k in range(rng.randint(1, 3)):
                t = http(base + "/fake/tweet", {"username": f"cust{run}x{k}", "user_id": str(2_100_000_000 + run * 10 + k),
                                                "text": f"@acmecare run {run} #{k}: no signal since this morning"})
                new.append(t["data"]["id"])
            tweets += new
            wait(f"run {run}'s tickets on the agent's node",
                 lambda: {f"p{i}" for i in new} <= {r["key"] for r in ana.json("inbox", "--limit", "500")})
            victim = wait("a lease holder", holder, timeout=120)
            mode = rng.choice(["reply-then-kill", "kill-then-reply"])
            if mode == "kill-then-reply":
                kills[os.path.basename(victim.home)] += 1
                killed_at = time.time()
                victim.kill()
            for i in new:
                r = ana.json("reply", f"p{i}", f"Sorry! Engineers are on it (run {run}, ticket {i}).")
                replies.append((r["message"], r["text"], f"p{i}"))
            if mode == "reply-then-kill":
                time.sleep(rng.uniform(0, 1.5))  # the gateway drains every second: before, during or after the POSTs
                kills[os.path.basename(victim.home)] += 1
                killed_at = time.time()
                victim.kill()

            def all_posted():
                for message, _, ticket in replies[-len(new):]:
                    states = [m.get("outbox") for m in ana.json("show", ticket)["thread"] if m["id"] == message]
                    if states != ["posted"]:
                        return False
                return True
            wait(f"run {run}'s replies posted after killing {victim.name}", all_posted, timeout=120 + 3 * args.lease)
            took = time.time() - killed_at
            longest = max(longest, took)
            # The other gateway holds the lease before the killed one comes back.
            wait("the takeover", lambda: (holder() or victim) is not victim, timeout=60 + 3 * args.lease)
            victim.start()
            posted = http(base + "/fake/posted")["tweets"]
            counts = http(base + "/fake/requests")
            for message, text, ticket in replies:
                on_x = [t for t in posted if t["text"] == text]
                if len(on_x) != 1:
                    raise SystemExit(f"failover: run {run}: reply {message} is on X {len(on_x)} times (seed {seed})")
            if counts["post_tweet"] != len(replies):
                raise SystemExit(f"failover: run {run}: {counts['post_tweet']} POSTs for {len(replies)} replies (seed {seed})")
            print(f"run {run + 1}/{args.runs}: {mode}, killed {victim.name}, {len(new)} replies posted once, "
                  f"the last {took:.1f} s after the kill", flush=True)
        for i in tweets:
            ids_in_thread = [m["id"] for m in ana.json("show", f"p{i}")["thread"]]
            if ids_in_thread.count(i) != 1:
                raise SystemExit(f"failover: tweet {i} is {ids_in_thread.count(i)} messages (seed {seed})")
        print(f"result: {args.runs} runs, kills {kills}, {len(replies)} replies each POSTed once, 0 lost, "
              f"{len(tweets)} mentions each one message; longest kill-to-posted {longest:.1f} s (lease {args.lease} s)")
    finally:
        for node in nodes:
            node.stop()
        os.killpg(fake.pid, signal.SIGTERM)
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            print(f"kept: {work}")


if __name__ == "__main__":
    main()
