#!/usr/bin/env python3
"""Writes examples/data/twcs-demo.csv: synthetic customer-care threads in the TWCS column format.

Every text here was written for Roost's demo (no real tweets): fictional brands, customers with
numeric ids as in TWCS. Deterministic (fixed seed, fixed clock): re-running gives the same file.
Usage: python3 tools/demo-data/gen-twcs-demo.py > examples/data/twcs-demo.csv
"""
import csv
import random
import sys
from datetime import datetime, timedelta, timezone

SEED = 17
NOW = datetime(2026, 11, 30, 12, 0, 0, tzinfo=timezone.utc)  # the demo's fixed "today"
rng = random.Random(SEED)

BRANDS = {
    "AcmeCare": ("Acme broadband", [
        ("my internet has been down since this morning, no service at all in {town}", "outage"),
        ("router keeps dropping wifi every 20 minutes, already restarted it twice", "wifi"),
        ("you charged me twice for November, can I get a refund?", "billing"),
        ("engineer never showed up for the 8-12 slot today. took the day off for this", "visit"),
        ("speeds are a third of what I pay for in the evenings", "speed"),
        ("how do I move my contract to my new flat in {town}?", "move"),
    ]),
    "NimbusAir": ("Nimbus Air", [
        ("flight NA{num} delayed 3 hours and nobody at the gate knows anything", "delay"),
        ("my bag did not arrive in {town}, reference {ref}", "bag"),
        ("can I change my seat on booking {ref} without paying again?", "seat"),
        ("the app crashes every time I try to check in", "app"),
        ("refund for the cancelled flight still not here after 6 weeks", "billing"),
    ]),
    "BrightBankHelp": ("Bright Bank", [
        ("card declined at the supermarket but the app says I have money??", "card"),
        ("there's a payment I don't recognise on my statement, {amount}", "fraud"),
        ("app won't let me log in after the update, says 'error 1042'", "app"),
        ("how long does a transfer to another bank take on a Sunday?", "question"),
    ]),
    "VoltMobile": ("Volt Mobile", [
        ("no signal in {town} since yesterday. is there an outage?", "outage"),
        ("my eSIM QR code never arrived by email", "esim"),
        ("roaming charges on my bill even though I was at home", "billing"),
        ("porting my number from another network has been stuck for 4 days", "port"),
    ]),
    "PetalGrocer": ("Petal Grocer", [
        ("my delivery was missing the eggs and the milk, order {ref}", "missing"),
        ("the driver left my shopping in the rain outside the wrong door", "delivery"),
        ("loved the new bakery section in {town}, well done!", "praise"),
        ("substitution for oat milk was dairy milk. I'm allergic, please be careful", "substitution"),
    ]),
}
REPLIES = {
    "outage": ["Sorry about this! We're seeing an issue in your area and engineers are on it. Can you DM us your postcode?",
               "Thanks for waiting. The fault in your area is fixed: could you restart your equipment and let us know?"],
    "wifi": ["That sounds frustrating. Could you DM us your account number so we can run a line test?"],
    "billing": ["Sorry for the trouble! Please DM us the last 4 digits of the payment and we'll look into it.",
                "We've raised the refund: it should reach you in 3-5 working days."],
    "visit": ["We're really sorry we missed you. Please DM us your reference and we'll rebook the first slot available."],
    "speed": ["Thanks for flagging. Can you run a speed test with a cable and DM us the results?"],
    "move": ["Congrats on the new place! You can move your contract online at least 2 weeks before the move date."],
    "delay": ["We're sorry for the wait. The delay is due to late inbound aircraft; the new departure time is on the app."],
    "bag": ["Sorry your bag didn't make it. Please DM us your file reference and we'll track it down."],
    "seat": ["Yes, seat changes are free up to 24h before departure in Manage Booking."],
    "app": ["Sorry about that! Could you tell us your phone model and app version by DM?",
            "Thanks! A fix is rolling out today; please update the app."],
    "card": ["Sorry about that! Please DM us (no card numbers here, please) and we'll check what happened."],
    "fraud": ["Please freeze the card in the app now and DM us: we'll help you dispute the payment."],
    "question": ["Transfers made on a Sunday arrive on Monday morning."],
    "esim": ["Sorry! We've resent the QR code: check your spam folder too and let us know."],
    "port": ["Sorry for the wait. Please DM us both numbers and we'll chase the port."],
    "missing": ["Sorry about the missing items! We've refunded them to your card."],
    "delivery": ["That's not good enough, sorry. DM us your order number and we'll make it right."],
    "praise": ["Thank you! We'll pass that on to the team in store."],
    "substitution": ["We're so sorry. We've flagged your account so dairy is never substituted again. DM us for a refund."],
}
FOLLOW_UPS = ["sent you a DM", "thanks, done", "still waiting on this, any news?", "ok that worked, thanks!",
              "this is the third time I've asked", "DM sent with the details", "no change here I'm afraid"]
AGENTS = ["AB", "JK", "MR", "SL", "TW", "PD"]
TOWNS = ["Leeds", "Bristol", "Cork", "Porto", "Lyon", "Austin", "Dundee"]

rows = []
next_id = [1000]
next_customer = [200000]


def tweet_id():
    next_id[0] += rng.randint(1, 9)
    return next_id[0]


def customer_id():
    next_customer[0] += rng.randint(1, 97)
    return str(next_customer[0])


def fill(text):
    return text.format(town=rng.choice(TOWNS), num=rng.randint(100, 999), ref=f"{rng.choice('ABCDEFGH')}{rng.randint(10000, 99999)}",
                       amount=f"£{rng.randint(5, 400)}.{rng.randint(0, 99):02d}")


def thread(brand, steps, start):
    """steps: list of (author, inbound, text, minutes after the previous tweet). Appends linked rows."""
    at, parent, made = start, None, []
    for author, inbound, text, minutes in steps:
        at = at + timedelta(minutes=minutes)
        tid = tweet_id()
        made.append({"tweet_id": tid, "author_id": author, "inbound": inbound, "at": at, "text": text,
                     "parent": parent, "responses": []})
        if parent is not None:
            next(r for r in made if r["tweet_id"] == parent)["responses"].append(tid)
        parent = tid
    rows.extend(made)


def care_thread(brand, start, answered, rounds):
    customer = customer_id()
    complaint, topic = rng.choice(BRANDS[brand][1])
    steps = [(customer, True, f"@{brand} " + fill(complaint), 0)]
    replies = REPLIES[topic]
    for round_ in range(rounds):
        reply = replies[min(round_, len(replies) - 1)]
        steps.append((brand, False, f"@{customer} {reply} ^{rng.choice(AGENTS)}", rng.randint(4, 90)))
        last_round = round_ == rounds - 1
        if not last_round or not answered:
            steps.append((customer, True, f"@{brand} {rng.choice(FOLLOW_UPS)}", rng.randint(2, 240)))
    thread(brand, steps, start)


# Answered threads over the last 30 days (the last tweet is the brand's), open ones mostly recent.
for day in range(30, 0, -1):
    for brand in BRANDS:
        for _ in range(rng.randint(0, 1) + (1 if day <= 3 else 0)):
            start = NOW - timedelta(days=day, hours=rng.randint(0, 20), minutes=rng.randint(0, 59))
            care_thread(brand, start, answered=rng.random() < (0.85 if day > 3 else 0.4), rounds=rng.randint(1, 2))
# Brand new, unanswered mentions from the last few hours.
for brand in BRANDS:
    for _ in range(2):
        customer = customer_id()
        complaint, _topic = rng.choice(BRANDS[brand][1])
        thread(brand, [(customer, True, f"@{brand} " + fill(complaint), 0)],
               NOW - timedelta(minutes=rng.randint(5, 300)))
# A thread where a second customer joins later ("same here").
first, second = customer_id(), customer_id()
thread("VoltMobile", [
    (first, True, "@VoltMobile no signal in Dundee since yesterday. is there an outage?", 0),
    ("VoltMobile", False, f"@{first} Sorry about this! We're checking the masts in Dundee now. ^SL", 25),
    (second, True, f"@VoltMobile @{first} same here in Broughty Ferry, nothing since 6am", 70),
    (second, True, "@VoltMobile still nothing, I work from home and need my phone", 180),
], NOW - timedelta(hours=9))
# Non-English threads (Spanish and French).
es = customer_id()
thread("NimbusAir", [
    (es, True, "@NimbusAir mi maleta no llegó a Oporto y nadie contesta el teléfono, referencia PT48213", 0),
    ("NimbusAir", False, f"@{es} ¡Lo sentimos! Envíanos un DM con la referencia y la localizamos. ^MR", 35),
    (es, True, "@NimbusAir enviado, gracias", 12),
], NOW - timedelta(hours=30))
fr = customer_id()
thread("PetalGrocer", [
    (fr, True, "@PetalGrocer ma commande est arrivée sans les œufs, commande E55120. Merci de vérifier", 0),
], NOW - timedelta(hours=2))
# Hostile text: must render as text, never as markup.
hostile = customer_id()
thread("AcmeCare", [
    (hostile, True, "@AcmeCare <script>alert('pwned')</script> <b>bold</b> & \"quotes\" is my router fixed yet?", 0),
], NOW - timedelta(hours=5))
# A crisis keyword and an executive mention (the triage rules mark these urgent / escalated).
crisis = customer_id()
thread("BrightBankHelp", [
    (crisis, True, "@BrightBankHelp I got an email saying there was a data breach?? is my account safe", 0),
], NOW - timedelta(hours=1))
ceo = customer_id()
thread("AcmeCEO", [(ceo, True, "@AcmeCEO three weeks without broadband and your support line hangs up on me", 0)],
       NOW - timedelta(hours=3))
# Old history (2017): answered long ago. It must not read as today's breach.
for brand in ("AcmeCare", "NimbusAir"):
    for _ in range(3):
        care_thread(brand, datetime(2017, 10, rng.randint(1, 28), rng.randint(0, 23), rng.randint(0, 59), tzinfo=timezone.utc),
                    answered=True, rounds=1)
old = customer_id()
thread("AcmeCare", [(old, True, "@AcmeCare is the broadband down in Leeds? nothing since lunch", 0)],
       datetime(2017, 10, 30, 14, 2, tzinfo=timezone.utc))

writer = csv.writer(sys.stdout, lineterminator="\n")
writer.writerow(["tweet_id", "author_id", "inbound", "created_at", "text", "response_tweet_id", "in_response_to_tweet_id"])
for row in sorted(rows, key=lambda r: r["tweet_id"]):
    writer.writerow([row["tweet_id"], row["author_id"], "True" if row["inbound"] else "False",
                     row["at"].strftime("%a %b %d %H:%M:%S +0000 %Y"),
                     row["text"].replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"),
                     ",".join(str(r) for r in row["responses"]),
                     f"{row['parent']}.0" if row["parent"] is not None else ""])
