#!/usr/bin/env bash
# quick
# harper-load and rows that Harper would read otherwise than harper-load:
# integer ids beyond 2^53 kept exactly (sent as their digits), other such
# integers and duplicate keys refused (65, or to --reject), an id too long
# for Harper's key rejected alone while the rest loads; and a HARPER_URL
# with user:password@ never printed with its password.
. "$(dirname "$0")/lib.sh"
load_setup
r1='{"timestamp":"2025-01-01T00:00:01Z","id":"r1"}'
r3='{"timestamp":"2025-01-01T00:00:03Z","id":"r3"}'
ids() { bqtest harper-ids "$db.$1"; }

# Item: ids beyond 2^53 (2^53 itself is exact) are distinct records.
printf '%s\n' \
    '{"timestamp":"2025-01-01T00:00:01Z","id":9007199254740992}' \
    '{"timestamp":"2025-01-01T00:00:02Z","id":9007199254740993}' \
    '{"timestamp":"2025-01-01T00:00:03Z","id":-18446744073709551617}' \
    > "$T/big.in"
harper-load -c "$cfg" -t Big "$T/big.in" > "$T/big.acks" 2> "$T/big.err" ||
    fail "ids beyond 2^53: $(cat "$T/big.err")"
expect_eq 3 "$(tail -n 1 "$T/big.acks" | jget total)" "acked rows"
expect_eq "-18446744073709551617 9007199254740992 9007199254740993" "$(ids Big)" "ids in Harper"

# bad NAME LINE MESSAGE: r1, LINE, r3: exit 65 with the message and r1
# loaded; with --reject, exit 0, LINE in the reject file, r1 and r3 loaded.
bad() {
	local t=$1 line=$2 msg=$3 rc=0
	printf '%s\n' "$r1" "$line" "$r3" > "$T/$t.in"
	harper-load -c "$cfg" -t "$t" "$T/$t.in" > "$T/$t.acks" 2> "$T/$t.err" || rc=$?
	expect_eq 65 "$rc" "$t: exit status ($(cat "$T/$t.err"))"
	grep -qF "harper-load: $T/$t.in:2: $msg" "$T/$t.err" ||
	    fail "$t: message: $(cat "$T/$t.err")"
	expect_eq r1 "$(ids "$t")" "$t: rows before the bad line"
	harper-load -c "$cfg" -t "R$t" --reject "$T/$t.rej" "$T/$t.in" \
	    > "$T/$t.acks" 2> "$T/$t.err" || fail "$t: with --reject: $(cat "$T/$t.err")"
	expect_eq "$line" "$(cat "$T/$t.rej")" "$t: rejected line"
	expect_eq "r1 r3" "$(ids "R$t")" "$t: rows with --reject"
}
bad Int '{"timestamp":"2025-01-01T00:00:02Z","id":"r2","n":9007199254740993}' \
    "integer 9007199254740993 in 'n' is beyond 2^53"
bad Nested '{"timestamp":"2025-01-01T00:00:02Z","id":"r2","n":[99999999999999999]}' \
    "an integer in 'n' is beyond 2^53"
# Duplicate keys: harper-load would read one timestamp or id, Harper the other.
bad DupTs '{"id":"r2","timestamp":"2025-01-01T00:00:02Z","timestamp":"2025-01-01T00:00:09Z"}' \
    "duplicate key 'timestamp'"
bad DupId '{"id":"r2","timestamp":"2025-01-01T00:00:02Z","id":"r9"}' \
    "duplicate key 'id'"
bad DupNested '{"id":"r2","timestamp":"2025-01-01T00:00:02Z","o":{"a":1,"a":2}}' \
    "duplicate key 'a'"

# An id longer than Harper's key limit (Harper: 500 "Primary key size is too
# large") is bad data, refused at once, not retried until the deadline.
long=$(printf '{"timestamp":"2025-01-01T00:00:02Z","id":"%s"}' "$(head -c 3000 /dev/zero | tr '\0' k)")
start=$(date +%s)
bad Long "$long" "rejected by Harper: Primary key size is too large"
[ $(($(date +%s) - start)) -lt 60 ] || fail "the long id was retried"

# HARPER_URL with userinfo: -v shows the URL without the password.
url=$(bqtest harper-url)
HARPER_URL=$url harper-load -v -c "$cfg" -t Url "$T/big.in" > /dev/null 2> "$T/url.err" ||
    fail "userinfo URL: $(cat "$T/url.err")"
grep -q 'POST http://\*\*\*@' "$T/url.err" || fail "no redacted URL: $(cat "$T/url.err")"
! grep -qF "$HARPER_PASSWORD" "$T/url.err" || fail "harper-load -v printed the password"
pw=$(bqtest quote-env HARPER_PASSWORD)
! grep -qF "$pw" "$T/url.err" || fail "harper-load -v printed the password"
say "ok"
