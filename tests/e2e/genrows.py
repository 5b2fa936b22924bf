#!/usr/bin/env python3
# genrows.py N [GROUP] [START] [--ids]: N deterministic vessel rows in
# ascending timestamp order, GROUP rows per timestamp (default 1), the first
# at START microseconds after 2025-11-01 (default 0), one second apart.
# With --ids every row carries an "id" ("r<n>").  Used by the harper-load
# end-to-end tests and benchmark.
import json, signal, sys
from datetime import datetime, timedelta, timezone

args = [a for a in sys.argv[1:] if not a.startswith("--")]
n = int(args[0])
group = int(args[1]) if len(args) > 1 else 1
start = int(args[2]) if len(args) > 2 else 0
ids = "--ids" in sys.argv
base = datetime(2025, 11, 1, tzinfo=timezone.utc)
out = sys.stdout
signal.signal(signal.SIGPIPE, signal.SIG_DFL)
status = ["underway", "moored", "anchored", "fishing"]
for i in range(n):
    t = base + timedelta(microseconds=start + (i // group) * 1000000 + 123)
    r = {
        "timestamp": t.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "mmsi": str(367000000 + (i * 7919) % 100000),
        "vessel_name": "VESSEL %d" % (i % 977),
        "latitude": round(-60 + (i * 37 % 12000) / 100.0, 4),
        "longitude": round(-170 + (i * 53 % 34000) / 100.0, 4),
        "speed_knots": (i * 13 % 250) / 10.0,
        "heading": i * 17 % 360,
        "status": status[i % 4],
        "seq": i,
    }
    if ids:
        r["id"] = "r%d" % i
    out.write(json.dumps(r, separators=(",", ":")) + "\n")
