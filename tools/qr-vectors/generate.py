#!/usr/bin/env python3
"""Writes qr-vectors.json: QR Code matrices made by the `segno` library, the fixture that
Tests/RoostWebTests/QRCodeTests.swift checks Roost's own encoder (Sources/RoostWeb/QRCode*.swift) against.

Run it only to regenerate the fixture (the tests never need PyPI):
    python3 -m venv /tmp/qrvenv && /tmp/qrvenv/bin/pip install segno==1.6.6
    /tmp/qrvenv/bin/python tools/qr-vectors/generate.py > tools/qr-vectors/qr-vectors.json
Each case: the text (UTF-8, byte mode), the level, the mask asked for (null: segno picks by penalty), and the
result: version, mask, and the rows as strings of 0 (light) and 1 (dark), without the quiet zone.
"""
import json
import random
import segno

def invite(seed, address, team):
    rng = random.Random(seed)
    body = bytes([2]) + bytes(rng.getrandbits(8) for _ in range(32 * 4)) + rng.getrandbits(64).to_bytes(8, "big")
    for text in (address, team):
        raw = text.encode()
        body += len(raw).to_bytes(4, "big") + raw
    return "roost-invite-2:" + body.hex()

texts = [
    ("", "m", 0), ("A", "l", None), ("hello, world", "m", None), ("https://example.com/a?b=c", "l", 3),
    ("Ünïcödé ✓ 🐦", "m", None), ("x" * 17, "m", None), ("x" * 32, "l", None),  # version edges
    ("0123456789" * 30, "m", None),  # version 10+: 16-bit count, version information
    (invite(1, "127.0.0.1:7170", "Acme Care"), "m", None),
    (invite(2, "support-node-3.example.internal:7170", "Acme Customer Care EMEA"), "l", None),
    (invite(3, "10.0.0.5:7170", "<script>alert(1)</script>"), "m", None),
]
for mask in range(8):
    texts.append((invite(10 + mask, "127.0.0.1:7170", "Team %d" % mask), "m", mask))

# segno 1.6.6 pads a bit stream that already ends on a codeword boundary with 8 more zero bits (its
# write_padding_bits adds `8 - length % 8`); ISO/IEC 18004:2015 §7.4.10 adds padding bits only "if the bit stream
# length is such that it does not end at a codeword boundary". Byte-mode data always ends on one after the
# terminator, so without this fix every reference symbol would carry an extra 0x00 before the pad codewords.
from segno import encoder as _encoder, consts as _consts

def _standard_padding_bits(buff, version, length):
    if version not in (_consts.VERSION_M1, _consts.VERSION_M3):
        buff.extend([0] * ((8 - length % 8) % 8))

_encoder.write_padding_bits = _standard_padding_bits

cases = []
for text, level, mask in texts:
    code = segno.make(text.encode("utf-8"), error=level, mode="byte", mask=mask, micro=False, boost_error=False)
    cases.append({
        "text": text, "level": level, "askedMask": mask,
        "version": code.version, "mask": code.mask,
        "rows": ["".join("1" if cell else "0" for cell in row) for row in code.matrix],
    })
print(json.dumps({"generator": "segno " + segno.__version__, "cases": cases}, indent=1, ensure_ascii=False))
