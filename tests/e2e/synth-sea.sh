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
bqtest check synth-sea-lanes "$T/routes.json" "$T/legs.json" || fail "sea lanes"

# The positions: three seeds, 100,000 each.
for seed in 3 11 2025; do
	maritime-synth -s $seed generate -t vessel_positions -n 100000 \
	    --vessels 20000 --start 2025-01-01T00:00:00Z > "$T/pos$seed"
	lm positions "$T/pos$seed" > "$T/land$seed.json"
	bqtest check synth-sea-land "$T/land$seed.json" $seed || fail "seed $seed: positions on land"
done

# GeoJSON: points with the row's columns, tracks as LineStrings, [lon, lat].
gen() { maritime-synth -s 7 generate --vessels 50 --start 2025-01-01T00:00:00Z "$@"; }
gen -t positions -n 500 --format geojson > "$T/points.json"
gen -t positions -n 500 > "$T/rows"
gen -t positions -n 500 --format geojson --tracks > "$T/tracks.json"
gen -t events --end 2025-01-08T00:00:00Z --format geojson > "$T/events.json"
bqtest check synth-sea-geojson "$T" || fail "GeoJSON"
help=$(maritime-synth help)
grep -q '^usage: maritime-synth .* generate' <<< "$help" || fail "help"
grep -q 'help | routes' <<< "$help" || fail "help lists help and routes"
must_fail 64 maritime-synth generate -t metadata -n 5 --format geojson
must_fail 64 maritime-synth generate -t positions -n 5 --tracks
must_fail 64 maritime-synth generate -t positions -n 5 --format kml
say ok
