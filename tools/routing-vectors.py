#!/usr/bin/env python3
"""Writes Protocol/vectors/routing.json: push-routing cases whose expected names come from this script, an
implementation of Protocol/SPEC.md §1b.12 written from the text alone (not from the Swift code). The Swift tests
(Tests/RoostCoreTests/RoutingVectorTests.swift) check RoutingRules against it.

Usage: python3 tools/routing-vectors.py [--seed N] > Protocol/vectors/routing.json
"""
import json, random, sys

FNV_OFFSET, FNV_PRIME, MASK = 0xcbf29ce484222325, 0x100000001b3, (1 << 64) - 1


def fnv(data, h=FNV_OFFSET):
    for b in data:
        h = ((h ^ b) * FNV_PRIME) & MASK
    return h


def eligible(agent, ticket):
    if agent["availability"] != "online" or agent["load"] >= agent["capacity"]:
        return False
    if agent["queues"] and ticket["queue"] not in agent["queues"]:
        return False
    if ticket.get("language") and agent["languages"] and ticket["language"] not in agent["languages"]:
        return False
    return set(ticket["skills"]) <= set(agent["skills"])


def named(ticket, agents, policy, now):
    if policy["paused"]:
        return None
    seed = fnv(ticket["key"].encode())
    keys = []
    for a in agents:
        if eligible(a, ticket):
            primary = a["load"] if policy["mode"] == "least-loaded" else a["last_claim_ms"]
            keys.append((primary, fnv(bytes.fromhex(a["id"]), seed), bytes.fromhex(a["id"]), a["id"]))
    if not keys:
        return None
    keys.sort()
    waited = max(0, now - ticket["waiting_since_ms"])
    return keys[(waited // policy["timeout_ms"]) % len(keys)][3]


def assign(tickets, agents, policies, now):
    view = [dict(a) for a in agents]
    names = {}
    for t in tickets:
        policy = policies.get(t["queue"])
        if policy is None:
            continue
        name = named(t, view, policy, now)
        if name is None:
            continue
        names[t["key"]] = name
        for a in view:
            if a["id"] == name:
                a["load"] += 1
                a["last_claim_ms"] = now
    return names


def main():
    seed = int(sys.argv[sys.argv.index("--seed") + 1]) if "--seed" in sys.argv else 20261204
    rng = random.Random(seed)
    cases = []
    for n in range(12):
        agents = []
        for i in range(rng.randint(1, 12)):
            agents.append({
                "id": bytes(rng.randrange(256) for _ in range(32)).hex(),
                "availability": rng.choice(["online", "online", "online", "away", "offline"]),
                "capacity": rng.randint(1, 6), "load": rng.randint(0, 5),
                "languages": rng.sample(["en", "es", "pt", "ja"], rng.randint(0, 2)),
                "skills": rng.sample(["refunds", "vip", "billing"], rng.randint(0, 2)),
                "queues": rng.sample(["default", "billing", "tech"], rng.randint(0, 2)),
                "last_claim_ms": rng.randrange(0, 10_000_000),
            })
        if n == 0:  # equal agents: only the tie-break orders them
            for a in agents:
                a.update(availability="online", capacity=100, load=0, languages=[], skills=[], queues=[], last_claim_ms=0)
        mode = "least-loaded" if n % 2 == 0 else "round-robin"
        policies = {q: {"queue": q, "mode": mode, "paused": (n % 5 == 4 and q == "tech"),
                        "timeout_ms": rng.choice([10_000, 60_000, 120_000])} for q in ["default", "billing", "tech"]
                    if not (n % 3 == 2 and q == "billing")}
        now = 1_764_000_000_000 + rng.randrange(0, 1_000_000)
        tickets = []
        for k in range(rng.randint(1, 15)):
            tickets.append({
                "key": "p" + str(rng.randrange(10**17, 10**18)) if k % 7 else "d" + str(rng.randrange(10**6)) + "-é",
                "queue": rng.choice(["default", "billing", "tech"]),
                "language": rng.choice([None, "en", "es", "ja"]),
                "skills": rng.sample(["refunds", "vip", "billing"], rng.choice([0, 0, 1])),
                "waiting_since_ms": now - rng.randrange(0, 600_000),
            })
        cases.append({"name": f"case-{n}", "now_ms": now, "policies": list(policies.values()), "agents": agents,
                      "tickets": tickets, "names": assign(tickets, agents, policies, now)})
    json.dump({"about": "Push routing (SPEC.md §1b.12): tickets assigned in order, each name counting as load. "
                        "Written by tools/routing-vectors.py --seed %d from the spec's text." % seed,
               "cases": cases}, sys.stdout, indent=1, ensure_ascii=False)
    print()


main()
