#!/usr/bin/env bash
# quick
# maritime-synth generate: the same seed gives the same bytes for all three
# tables, a different seed different bytes; rows come in timestamp order
# inside the window; the three tables share one fleet of MMSIs.
. "$(dirname "$0")/lib.sh"

start=2025-03-01T00:00:00Z
end=2025-04-30T00:00:00Z
gen() {	# SEED TABLE [options]: rows of TABLE into stdout
	local seed=$1 table=$2
	shift 2
	maritime-synth -s "$seed" generate -t "$table" --vessels 100 \
	    --start "$start" "$@"
}
for seed in 42 43; do
	gen $seed vessel_positions -n 20000 --end "$end" > "$T/p.$seed"
	gen $seed port_events --end "$end" > "$T/e.$seed"
	gen $seed vessel_metadata -n 100 --end "$end" > "$T/m.$seed"
done
gen 42 positions -n 20000 --end "$end" > "$T/p.again"
gen 42 events --end "$end" > "$T/e.again"
gen 42 metadata -n 100 --end "$end" > "$T/m.again"
for t in p e m; do
	cmp "$T/$t.42" "$T/$t.again" || fail "$t: same seed, different bytes"
	if cmp -s "$T/$t.42" "$T/$t.43"; then
		fail "$t: seeds 42 and 43 gave the same rows"
	fi
done
expect_eq 20000 "$(wc -l < "$T/p.42")" "position rows"
expect_eq 100 "$(wc -l < "$T/m.42")" "metadata rows"

bqtest check synth-determinism "$T" "$start" "$end" || fail "order or MMSI check"

# --count limits events too; a window without --count for positions is
# derived from the rate.
expect_eq 7 "$(gen 42 events -n 7 | wc -l)" "events with -n 7"
gen 42 events -n 7 | cmp - <(head -n 7 "$T/e.42") || fail "events prefix"
expect_eq 120 "$(gen 42 positions --rate 2 --end 2025-03-01T00:01:00Z | wc -l)" \
    "positions from --rate over a minute"

# Usage errors, help, version, and a downstream that closes early.
must_fail 64 maritime-synth generate
must_fail 64 maritime-synth generate -t nosuchtable -n 1
must_fail 64 maritime-synth generate -t positions
must_fail 64 maritime-synth generate -t positions -n 1 --start yesterday
must_fail 64 maritime-synth frobnicate
must_fail 64 maritime-synth --no-such-option
grep -q '^usage: maritime-synth' <<< "$(maritime-synth --help)" || fail "--help"
expect_eq "maritime-synth 0.1.0" "$(maritime-synth --version)" "--version"
set +o pipefail
maritime-synth -s 1 generate -t positions -n 1000000 --start "$start" | head -n 1 > /dev/null
rc=${PIPESTATUS[0]}
set -o pipefail
expect_eq 141 "$rc" "exit status after head closed the pipe"

# The man page's EXAMPLES.
maritime-synth -s 7 generate -t positions -n 1000 --start 2025-11-04T00:00:00Z \
    --end 2025-11-05T00:00:00Z > "$T/ex1"
expect_eq 1000 "$(wc -l < "$T/ex1")" "example 1"
maritime-synth -s 7 generate -t port_events --start 2025-11-04T00:00:00Z \
    --end 2025-11-11T00:00:00Z --vessels 500 > "$T/ex2"
[ "$(wc -l < "$T/ex2")" -gt 100 ] || fail "example 2: too few events"
maritime-synth -s 7 generate -t vessel_metadata --vessels 1000 \
    --start 2025-11-04T00:00:00Z > "$T/ex3"
expect_eq 1000 "$(wc -l < "$T/ex3")" "example 3"
say ok
