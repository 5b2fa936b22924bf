#!/usr/bin/env bash
# quick
# harper-load with Harper unreachable retries until --deadline (the last wait
# cut to fit), says so once without -v, and exits 75; refused credentials
# say what was refused (the login of which user), not which operation met
# the refusal.
. "$(dirname "$0")/lib.sh"
load_setup
r1='{"timestamp":"2025-01-01T00:00:01Z","id":"r1"}'

# Nothing listens on this port: every attempt fails at once, so only the
# backoff decides when harper-load stops.  Before the fix a jittered wait
# longer than what was left ended it early (10.5 to 28.1 s of 30).
port=$(free_port)
for i in 1 2 3; do
	rc=0
	start=$(date +%s.%N)
	printf '%s\n' "$r1" | HARPER_URL=http://127.0.0.1:$port harper-load \
	    -c "$cfg" -t D --deadline 5s > "$T/acks" 2> "$T/err" || rc=$?
	took=$(awk "BEGIN { printf \"%.2f\", $(date +%s.%N) - $start }")
	expect_eq 75 "$rc" "exit status ($(cat "$T/err"))"
	fexpr "4.8 <= $took && $took <= 8.0" ||
	    fail "run $i: gave up after $took s of a 5 s deadline"
	expect_eq 1 "$(grep -c "retrying for up to 5 s" "$T/err")" "outage warnings ($(cat "$T/err"))"
	expect_eq 2 "$(wc -l < "$T/err")" "lines on stderr ($(cat "$T/err"))"
	# Only the failure's ack: no row, the error with its status.
	bqtest acks "$T/acks" --rows 0 --error-status 75 || fail "acks: $(cat "$T/acks")"
	say "run $i: exit 75 after $took s"
done

# A refused login says so, and names the user, not 'create table'.
rc=0
printf '%s\n' "$r1" | HARPER_PASSWORD=not-the-password harper-load -c "$cfg" \
    -t A > /dev/null 2> "$T/auth.err" || rc=$?
expect_eq 77 "$rc" "wrong password: exit status"
grep -qF "harper-load: Harper at $HARPER_URL refused the login of user '$HARPER_USERNAME' (HTTP 401: Login failed)" \
    "$T/auth.err" || fail "auth: $(cat "$T/auth.err")"
! grep -q 'create table' "$T/auth.err" || fail "auth: $(cat "$T/auth.err")"
say "ok"
