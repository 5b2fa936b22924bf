#!/usr/bin/env bash
# quick
# harper-load's bad input: each case with its exit status and message, what
# was committed and acked before the bad line, --reject, the control lines,
# refused credentials (77), a bad config (78), usage (64), and a reader
# that stops early (harper-load | head -1 ends quietly).
. "$(dirname "$0")/lib.sh"
load_setup
r1='{"timestamp":"2025-01-01T00:00:01Z","a":1}'
r2='{"timestamp":"2025-01-01T00:00:02Z","a":2}'
r3='{"timestamp":"2025-01-01T00:00:03Z","a":3}'

# error_ack FILE STATUS: harper-load's own failure ends its acks with one that
# carries the error (bqsync(7), ACKNOWLEDGEMENTS), rows 0 and the cursor of
# the ack before it; the acks before it are printed for the caller to check.
error_ack() {
	local last prev
	last=$(tail -n 1 "$1")
	expect_eq "0 harper-load $2" "$(printf '%s' "$last" |
	    jq -r '"\(.rows) \(.error.tool) \(.error.status)"')" "$1: error ack"
	prev=$(head -n -1 "$1" | tail -n 1 | jq -c .cursor)
	[ -z "$prev" ] && prev=null
	expect_eq "$prev" "$(printf '%s' "$last" | jq -c .cursor)" "$1: error ack cursor"
	head -n -1 "$1"
}

# bad LINE MESSAGE TABLE: rows r1, r2, then LINE, then r3, without --reject:
# exit 65, the message, r1 and r2 committed and acked, r3 not loaded.
bad() {
	local line=$1 msg=$2 t=$3 rc=0
	printf '%s\n' "$r1" "$r2" "$line" "$r3" > "$T/$t.in"
	harper-load -c "$cfg" -t "$t" "$T/$t.in" > "$T/$t.acks" 2> "$T/$t.err" || rc=$?
	expect_eq 65 "$rc" "$t: exit status"
	grep -qxF "harper-load: $T/$t.in:3: $msg" "$T/$t.err" ||
	    fail "$t: message: $(cat "$T/$t.err")"
	expect_eq '{"table":"'"$t"'","rows":2,"total":2,"cursor":"2025-01-01T00:00:01.000000Z"}' \
	    "$(error_ack "$T/$t.acks" 65)" "$t: acks"
	expect_eq 2 "$(hcount "$db.$t")" "$t: rows in Harper"
}
bad '{"timestamp":' 'invalid JSON' J
bad '[1,2]' 'not a JSON object' N
bad '{"a":3}' "no timestamp column 'timestamp'" M
bad '{"timestamp":"yesterday"}' "invalid timestamp in column 'timestamp'" V
bad '{"timestamp":"2025-01-01T00:00:02Z","id":{"x":1}}' \
    "id column 'id' is neither a string nor an integer" I
printf '\xff\n' > "$T/utf8"
bad "$(cat "$T/utf8")" 'invalid UTF-8' U
# Harper itself refuses the record (an empty attribute name).
bad '{"timestamp":"2025-01-01T00:00:02Z","":1}' \
    "rejected by Harper: Invalid attribute name: ''" H

# The same lines with --reject: written to the file in order, skipped, the
# rest committed, exit 0.  Harper's refusal is found inside a batch.
printf '%s\n' "$r1" '{"timestamp":' '[1,2]' '{"a":3}' "$r2" \
    '{"timestamp":"2025-01-01T00:00:02Z","":1}' "$r3" > "$T/rej.in"
rc=0
harper-load -c "$cfg" -t R --reject "$T/rejects" < "$T/rej.in" > "$T/rej.acks" 2> "$T/rej.err" || rc=$?
expect_eq 0 "$rc" "--reject: exit status"
printf '%s\n' '{"timestamp":' '[1,2]' '{"a":3}' '{"timestamp":"2025-01-01T00:00:02Z","":1}' > "$T/rej.want"
diff -u "$T/rej.want" "$T/rejects" || fail "reject file"
for m in '<stdin>:2: invalid JSON' '<stdin>:3: not a JSON object' \
    "<stdin>:4: no timestamp column 'timestamp'" \
    "<stdin>:6: rejected by Harper: Invalid attribute name: ''" \
    "warning: 4 lines rejected, written to '$T/rejects'"; do
	grep -qF "harper-load: $m" "$T/rej.err" || fail "--reject: no '$m' in $(cat "$T/rej.err")"
done
expect_eq 3 "$(hcount "$db.R")" "--reject: rows in Harper"
expect_eq '{"table":"R","rows":3,"total":3,"cursor":"2025-01-01T00:00:03.000000Z"}' \
    "$(cat "$T/rej.acks")" "--reject: acks"

# A Harper refusal in the middle of a larger batch, without --reject: the
# rows before it are committed, none after it, and the cursor stops before.
genrows 100 > "$T/mid.in"
sed -i '57s/^{/{"":0,/' "$T/mid.in"
rc=0
harper-load -c "$cfg" -t Mid -b 100 "$T/mid.in" > "$T/mid.acks" 2> "$T/mid.err" || rc=$?
expect_eq 65 "$rc" "mid-batch refusal: exit status"
grep -qF "mid.in:57: rejected by Harper" "$T/mid.err" || fail "mid: $(cat "$T/mid.err")"
expect_eq 56 "$(hcount "$db.Mid")" "mid-batch refusal: rows in Harper"
want=$(sed -n 56p "$T/mid.in" | jget timestamp)
expect_eq '{"table":"Mid","rows":56,"total":56,"cursor":"'"$want"'"}' "$(error_ack "$T/mid.acks" 65)" "mid acks"

# A bq-pull stream that ends without its end marker: 65, only the proven
# group acked; with the marker and a sync line: everything.
printf '%s\n' '{"@bqsync":"begin"}' "$r1" "$r2" > "$T/cut.in"
rc=0
harper-load -c "$cfg" -t Cut < "$T/cut.in" > "$T/cut.acks" 2> "$T/cut.err" || rc=$?
expect_eq 65 "$rc" "no end marker: exit status"
grep -qxF 'harper-load: <stdin>: input ended before the end marker' "$T/cut.err" ||
    fail "no end marker: $(cat "$T/cut.err")"
expect_eq '{"table":"Cut","rows":2,"total":2,"cursor":"2025-01-01T00:00:01.000000Z"}' \
    "$(error_ack "$T/cut.acks" 65)" "no end marker: acks"
printf '%s\n' '{"@bqsync":"begin"}' "$r1" "$r2" \
    '{"@bqsync":"sync","cursor":"2025-01-01T00:00:09.000000Z"}' '{"@bqsync":"end"}' |
    harper-load -c "$cfg" -t Cut > "$T/end.acks"
expect_eq '{"table":"Cut","rows":2,"total":2,"cursor":"2025-01-01T00:00:09.000000Z"}' \
    "$(cat "$T/end.acks")" "with end marker: acks"

# Credentials refused: 77, and the password never shows.
rc=0
printf '%s\n' "$r1" | HARPER_PASSWORD=not-the-password harper-load -c "$cfg" -t A \
    > "$T/auth.acks" 2> "$T/auth.err" || rc=$?
expect_eq 77 "$rc" "wrong password: exit status"
grep -q 'Login failed' "$T/auth.err" || fail "auth: $(cat "$T/auth.err")"
grep -q 'not-the-password' "$T/auth.err" && fail "password printed"
expect_eq "" "$(error_ack "$T/auth.acks" 77)" "wrong password: acks"

# Configuration error: 78, naming file, line and key.
printf 'harper:\n  batchRows: many\n' > "$T/bad.yaml"
rc=0
printf '%s\n' "$r1" | harper-load -c "$T/bad.yaml" 2> "$T/cfg.err" || rc=$?
expect_eq 78 "$rc" "bad config: exit status"
grep -qF "$T/bad.yaml:2" "$T/cfg.err" || fail "config: $(cat "$T/cfg.err")"

# Usage errors: 64.
must_fail 64 harper-load --no-such-option
must_fail 64 harper-load -b 0
must_fail 64 harper-load --deadline soon
must_fail 64 harper-load a b
harper-load -h > "$T/help"
grep -q '^usage: harper-load' "$T/help" || fail "-h"
expect_eq "harper-load 0.1.0" "$(harper-load -V)" "-V"

# Downstream closes early: death by SIGPIPE, nothing on stderr.
genrows 3000 > "$T/many.in"
set +e
harper-load -q -c "$cfg" -t P -b 100 "$T/many.in" 2> "$T/pipe.err" | head -n 1 > /dev/null
st="${PIPESTATUS[*]}"
set -e
expect_eq "141 0" "$st" "harper-load | head -1"
[ ! -s "$T/pipe.err" ] || fail "stderr: $(cat "$T/pipe.err")"
say "ok"
