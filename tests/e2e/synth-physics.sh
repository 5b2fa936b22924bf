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

bqtest check synth-physics "$T/pos" "$T/ev" || fail "physics check"
say ok
