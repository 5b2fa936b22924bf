#!/usr/bin/env bash
# map.sh: draws a day of maritime-synth vessel tracks over the coastlines,
# with the sea lanes they follow, as a PNG.
#
# Needs (installs nothing): gnuplot with the pngcairo terminal (Debian's
# gnuplot-nox), jq, node, and Natural Earth's land polygons from npm
# (world-atlas and topojson-client in tests/clients, which
# `scripts/setup.sh` installs); bin/maritime-synth built.
#
# usage: scripts/map.sh [-n vessels] [-s seed] [-o file.png]
#        (default: 1500 vessels, seed 7, examples/map.png)
set -eu -o pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
vessels=1500 seed=7 out=$top/examples/map.png
while getopts n:o:s: c; do
	case $c in
	n) vessels=$OPTARG ;;
	o) out=$OPTARG ;;
	s) seed=$OPTARG ;;
	*) echo "usage: scripts/map.sh [-n vessels] [-s seed] [-o file.png]" >&2; exit 64 ;;
	esac
done
missing=
for c in gnuplot jq node; do
	command -v $c > /dev/null || missing="$missing $c"
done
[ -f "$top/tests/clients/node_modules/world-atlas/land-50m.json" ] ||
	missing="$missing world-atlas(npm, scripts/setup.sh)"
[ -x "$top/bin/maritime-synth" ] || missing="$missing bin/maritime-synth(make)"
if [ -n "$missing" ]; then
	echo "map.sh: missing:$missing (Debian: apt-get install gnuplot-nox jq nodejs)" >&2
	exit 69
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export BQSYNC_CONFIG=/dev/null
ms=$top/bin/maritime-synth

# "lon lat" lines, a blank line between lines (and at the antimeridian).
lines='.features[] | .geometry | select(.type != "Point")
    | (if .type == "LineString" then [.coordinates] else .coordinates end)[]
    | ((.[] | "\(.[0]) \(.[1])"), "")'
node "$top/tests/e2e/landmask.js" coast > "$tmp/coast"
"$ms" routes | jq -r "$lines" > "$tmp/lanes"
# A day, every vessel reporting every 10 minutes.
"$ms" -s "$seed" generate -t positions --vessels "$vessels" \
    -n $((vessels * 144)) --start 2025-01-01T00:00:00Z \
    --end 2025-01-02T00:00:00Z --format geojson --tracks |
    jq -r "$lines" > "$tmp/tracks"

gnuplot <<GP
set terminal pngcairo size 1400,720 background rgb '#f4f8fb' font 'sans,10'
set output '$out'
set xrange [-180:180]
set yrange [-60:75]
unset key
unset xtics
unset ytics
set border 0
set lmargin 0; set rmargin 0; set tmargin 0; set bmargin 0
set title "maritime-synth: $vessels vessels, one day (seed $seed), sea lanes and Natural Earth 1:50m coastlines" offset 0,-2
plot '$tmp/lanes' with lines lw 0.5 lc rgb '#b0c4d8', \
     '$tmp/coast' with lines lw 0.6 lc rgb '#707070', \
     '$tmp/tracks' with lines lw 1.4 lc rgb '#d0401b'
GP
echo "map.sh: wrote $out" >&2
