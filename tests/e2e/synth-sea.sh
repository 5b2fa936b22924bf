#!/usr/bin/env bash
# maritime-synth's ships stay at sea, judged by Natural Earth's 1:50m land
# polygons (npm world-atlas, installed into tests/clients by setup.sh):
# every leg of the sea-lane graph (`maritime-synth routes`) is at sea,
# sampled every 5 km along its great circle (the canals excepted); for
# three seeds and 100,000 positions each, at most 0.5 % of the positions
# under way (speed > 3 kn) lie on land.  Great circles between ports put
# 57 % on land.  Also: --format geojson is valid GeoJSON, lon before lat.
. "$(dirname "$0")/lib.sh"

clients=$top/tests/clients/node_modules
[ -f "$clients/world-atlas/land-50m.json" ] ||
	fail "world-atlas is not installed (run scripts/setup.sh)"
lm() { node "$top/tests/e2e/landmask.js" "$@"; }

# The graph: every leg at sea, sampled at most every 10 km.
maritime-synth routes > "$T/routes.json"
lm legs "$T/routes.json" > "$T/legs.json"
python3 - "$T/routes.json" "$T/legs.json" <<'PY' || fail "sea lanes"
import json, sys
g = json.load(open(sys.argv[1]))
r = json.load(open(sys.argv[2]))
kinds = {f["properties"]["kind"] for f in g["features"]}
assert {"waypoint", "anchorage", "berth", "lane", "approach", "canal"} <= kinds, kinds
names = {f["properties"]["name"] for f in g["features"]}
for n in ("Malacca Strait", "Singapore Strait", "Suez",
          "Bab-el-Mandeb", "Strait of Hormuz", "Strait of Gibraltar", "Dover Strait",
          "Panama Canal Pacific", "Cape of Good Hope", "Cape Horn"):
    assert n in names, n
berths = [f for f in g["features"] if f["properties"]["kind"] == "berth"]
assert len(berths) == 29, len(berths)
print(f"{r['legs']} legs, {r['km']} km, {r['samples']} samples, "
      f"step <= {r['maxStepKm']} km, {r['canals']} canal legs", file=sys.stderr)
assert r["legs"] > 200 and r["maxStepKm"] <= 10, r
assert r["turfDisagree"] == 0, r
for leg in r["onLand"]:
    print(f"on land: {leg}", file=sys.stderr)
assert not r["onLand"]
PY

# The positions: three seeds, 100,000 each.
for seed in 3 11 2025; do
	maritime-synth -s $seed generate -t vessel_positions -n 100000 \
	    --vessels 20000 --start 2025-01-01T00:00:00Z > "$T/pos$seed"
	lm positions "$T/pos$seed" > "$T/land$seed.json"
	python3 - "$T/land$seed.json" $seed <<'PY' || fail "seed $seed: positions on land"
import json, sys
r = json.load(open(sys.argv[1]))
print(f"seed {sys.argv[2]}: {r['onLand']} of {r['underway']} under way on land "
      f"({r['share']:.3%}), {r['inCanal']} in a canal", file=sys.stderr)
assert r["rows"] == 100000 and r["underway"] > 50000, r
assert r["turfDisagree"] == 0, r
assert r["share"] <= 0.005, r
PY
done

# GeoJSON: points with the row's columns, tracks as LineStrings, [lon, lat].
gen() { maritime-synth -s 7 generate --vessels 50 --start 2025-01-01T00:00:00Z "$@"; }
gen -t positions -n 500 --format geojson > "$T/points.json"
gen -t positions -n 500 > "$T/rows"
gen -t positions -n 500 --format geojson --tracks > "$T/tracks.json"
gen -t events --end 2025-01-08T00:00:00Z --format geojson > "$T/events.json"
python3 - "$T" <<'PY' || fail "GeoJSON"
import json, sys
t = sys.argv[1]
pts = json.load(open(f"{t}/points.json"))
rows = [json.loads(l) for l in open(f"{t}/rows")]
assert pts["type"] == "FeatureCollection" and len(pts["features"]) == 500
for f, r in zip(pts["features"], rows):
    assert f["type"] == "Feature" and f["geometry"]["type"] == "Point"
    assert f["geometry"]["coordinates"] == [r["longitude"], r["latitude"]], (f, r)
    assert f["properties"] == r
tr = json.load(open(f"{t}/tracks.json"))
assert len(tr["features"]) == 50
for f in tr["features"]:
    g = f["geometry"]
    assert g["type"] in ("LineString", "MultiLineString"), g["type"]
    lines = [g["coordinates"]] if g["type"] == "LineString" else g["coordinates"]
    assert sum(map(len, lines)) == f["properties"]["positions"] == 10
    mine = [(r["longitude"], r["latitude"]) for r in rows if r["mmsi"] == f["properties"]["mmsi"]]
    assert [tuple(c) for l in lines for c in l] == mine
ev = json.load(open(f"{t}/events.json"))
assert ev["features"] and all(f["geometry"]["type"] == "Point" and
    f["geometry"]["coordinates"] == [f["properties"]["longitude"], f["properties"]["latitude"]]
    for f in ev["features"])
PY
maritime-synth help | grep -q '^usage: maritime-synth .* generate' || fail "help"
maritime-synth help | grep -q 'help | routes' || fail "help lists help and routes"
must_fail 64 maritime-synth generate -t metadata -n 5 --format geojson
must_fail 64 maritime-synth generate -t positions -n 5 --tracks
must_fail 64 maritime-synth generate -t positions -n 5 --format kml
say ok
