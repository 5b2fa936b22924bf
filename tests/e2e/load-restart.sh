#!/usr/bin/env bash
# harper-load while its (private) Harper stops and starts again: with the
# default deadline it rides the restart out, saying once that Harper fails
# and once that it answers again, and Harper ends with exactly the source
# rows; with a short deadline it exits 75 having acked only what
# Harper had confirmed.
. "$(dirname "$0")/lib.sh"
private_harper "hl-restart-$$"
cfg=$T/cfg.yaml
cat > "$cfg" <<YAML
harper:
  database: restart
  batchRows: 500
  inFlight: 2
  retryDeadline: 5m
YAML
genrows 40000 3 > "$T/rows.ndjson"

# wait_acks FILE N PID: until FILE has N lines (while PID runs).
wait_acks() {
	local i
	for i in $(seq 3000); do
		[ "$(wc -l < "$1")" -ge "$2" ] && return 0
		kill -0 "$3" 2>/dev/null || fail "harper-load ended early: $(cat "$T/err")"
		sleep 0.1
	done
	fail "no acks"
}

harper-load -c "$cfg" -t Ride "$T/rows.ndjson" > "$T/acks" 2> "$T/err" &
hl=$!
wait_acks "$T/acks" 3 "$hl"
scripts_harper() { "$top/scripts/harper.sh" "$@"; }
scripts_harper stop
at_stop=$(wc -l < "$T/acks")
sleep 2
kill -0 "$hl" || fail "harper-load gave up while Harper was down"
scripts_harper start
rc=0
wait "$hl" || rc=$?
expect_eq 0 "$rc" "exit status across the restart: $(cat "$T/err")"
# Said once when it started failing and once when it recovered, without -v.
expect_eq 1 "$(grep -c '127.0.0.1:[0-9]*: .*; retrying for up to 300 s$' "$T/err")" "outage warnings: $(cat "$T/err")"
expect_eq 1 "$(grep -c '127.0.0.1:[0-9]*: answering again after [0-9.]* s$' "$T/err")" "recovery lines: $(cat "$T/err")"
[ "$(wc -l < "$T/acks")" -gt "$at_stop" ] || fail "no acks after the restart"
expect_eq 40000 "$(tail -n 1 "$T/acks" | jget total)" "acked total"
expect_eq 40000 "$(checkrows "$T/rows.ndjson" restart.Ride)" "rows"

# Short deadline: Harper stays down, harper-load exits 75.
harper-load -c "$cfg" -t Short --deadline 3s "$T/rows.ndjson" > "$T/acks2" 2> "$T/err" &
hl=$!
wait_acks "$T/acks2" 2 "$hl"
scripts_harper stop
rc=0
wait "$hl" || rc=$?
expect_eq 75 "$rc" "exit status with Harper down"
grep -q 'harper-load: .*127.0.0.1' "$T/err" || fail "message: $(cat "$T/err")"
scripts_harper start
# Everything acked is in Harper: the acked total, and every row up to the
# last acked cursor.
bqtest acked-in-harper "$T/acks2" "$T/rows.ndjson" restart.Short ||
    fail "acked rows that Harper lacks"
say "ok"
