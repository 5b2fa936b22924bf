#!/usr/bin/env bash
# maritime-synth: physical sanity over a simulated week with 400 vessels
# reporting every ten minutes.  Speeds under way stay in the type's range,
# no report jumps farther than the type's top speed allows, the share of
# time at sea is plausible, every one of the 29 ports is visited, port
# events follow ARRIVAL -> [ANCHORED] -> BERTHED -> DEPARTURE, and the
# positions agree with the port events.
. "$(dirname "$0")/lib.sh"

start=2025-06-01T00:00:00Z
end=2025-06-08T00:00:00Z
n=$((400 * 7 * 24 * 6))
maritime-synth -s 2025 generate -t positions --vessels 400 -n $n \
    --start $start --end $end > "$T/pos"
maritime-synth -s 2025 generate -t events --vessels 400 \
    --start $start --end $end > "$T/ev"
expect_eq $n "$(wc -l < "$T/pos")" "position rows"

python3 - "$T/pos" "$T/ev" <<'PY' || fail "physics check"
import bisect, json, math, sys
from datetime import datetime, timezone

R_NM = 6371.0 / 1.852
TYPES = {"CONTAINER": (18, 25), "BULK_CARRIER": (12, 16), "TANKER": (13, 17),
         "CARGO": (14, 19), "PASSENGER": (20, 30), "FISHING": (8, 14)}
NEXT = {"ARRIVAL": {"ANCHORED", "BERTHED"}, "ANCHORED": {"BERTHED"},
        "BERTHED": {"DEPARTURE"}, "DEPARTURE": {"ARRIVAL"}}
STATUS = {"DEPARTURE": {"Under way using engine"},
          "ARRIVAL": {"Restricted manoeuverability"},
          "ANCHORED": {"At anchor", "Restricted manoeuverability"},
          "BERTHED": {"Moored"}}

def us(s):
    d = datetime.strptime(s[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=timezone.utc)
    return int(d.timestamp()) * 1000000 + int(s[20:26])

def dist(a, b, c, d):
    p1, p2 = math.radians(a), math.radians(c)
    dp, dl = p2 - p1, math.radians(d - b)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * R_NM * math.atan2(math.sqrt(h), math.sqrt(1 - h))

errors = []
def bad(msg):
    if len(errors) < 20:
        errors.append(msg)

# Port events: order per vessel, ports visited.
ev = {}
ports = set()
for line in open(sys.argv[2]):
    r = json.loads(line)
    e = ev.setdefault(r["vessel_mmsi"], [])
    if e and r["event_type"] not in NEXT[e[-1][1]]:
        bad(f"{r['vessel_mmsi']}: {r['event_type']} after {e[-1][1]}")
    if e and r["event_type"] != "ARRIVAL" and r["port_id"] != e[-1][2]:
        bad(f"{r['vessel_mmsi']}: {r['event_type']} in another port")
    e.append((us(r["event_time"]), r["event_type"], r["port_id"],
              r["latitude"], r["longitude"]))
    if r["event_type"] == "ARRIVAL":
        ports.add(r["port_id"])
if len(ports) != 29:
    bad(f"only {len(ports)} of 29 ports visited")

last = {}
rows = at_sea = checked = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    rows += 1
    t = us(r["timestamp"])
    lo, hi = TYPES[r["vessel_type"]]
    sp, st = r["speed_knots"], r["status"]
    if st == "Under way using engine":
        at_sea += 1
        if not lo <= sp <= hi:
            bad(f"{r['mmsi']}: {sp} kn outside {lo}-{hi}")
    elif sp > 5:
        bad(f"{r['mmsi']}: {sp} kn while {st}")
    p = last.get(r["mmsi"])
    if p:
        dt_h = (t - p[0]) / 3.6e9
        d = dist(p[1], p[2], r["latitude"], r["longitude"])
        if d > hi * dt_h * 1.01 + 0.01:
            bad(f"{r['mmsi']}: {d:.2f} nm in {dt_h:.3f} h ({r['vessel_type']})")
    last[r["mmsi"]] = (t, r["latitude"], r["longitude"])
    # Agreement with the vessel's last port event.
    e = ev.get(r["mmsi"], [])
    i = bisect.bisect_right(e, (t, "~")) - 1
    if i >= 0:
        checked += 1
        et, ety, _, elat, elon = e[i]
        if st not in STATUS[ety]:
            bad(f"{r['mmsi']}: {st} after {ety}")
        if ety != "DEPARTURE" and dist(elat, elon, r["latitude"], r["longitude"]) > 0.01:
            bad(f"{r['mmsi']}: in port but away from the berth")
share = at_sea / rows
print(f"rows {rows}, at sea {share:.1%}, ports {len(ports)}, checked {checked}",
      file=sys.stderr)
if not 0.3 <= share <= 0.9:
    bad(f"share at sea {share:.1%}")
if checked < rows // 3:
    bad(f"only {checked} rows checked against events")
for m in errors:
    print(m, file=sys.stderr)
sys.exit(1 if errors else 0)
PY
say ok
