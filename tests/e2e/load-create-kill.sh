#!/usr/bin/env bash
# Table creation is idempotent and self-checking: a table that a killed run
# left without its declared columns is completed (Harper's SQL sees only
# declared columns), one with another primary key is refused (78); and
# harper-load killed (SIGKILL) while it creates its table, at many instants,
# then run again: every later load finds a usable table (primary key id,
# every column declared) and Harper ends with exactly the source rows.
. "$(dirname "$0")/lib.sh"
load_setup 'batchRows: 50'
genrows 200 1 > "$T/rows.ndjson"
hop '{"operation":"create_database","database":"'"$db"'"}' > /dev/null

# A table that exists with its key only: the columns are declared.
hop '{"operation":"create_table","database":"'"$db"'","table":"Half","primary_key":"id","attributes":[{"name":"id","type":"ID","isPrimaryKey":true}]}' > /dev/null
harper-load -c "$cfg" -t Half "$T/rows.ndjson" > /dev/null 2> "$T/err" || fail "Half: $(cat "$T/err")"
grep -q "declared 'timestamp' in '$db.Half'" "$T/err" || fail "Half: $(cat "$T/err")"
expect_eq 200 "$(hsql "SELECT timestamp FROM $db.Half" |
    jq '[.[] | select(.timestamp)] | length')" \
    "Half: timestamps seen by SQL"
# Another primary key: refused, nothing written.
hop '{"operation":"create_table","database":"'"$db"'","table":"Other","primary_key":"key"}' > /dev/null
rc=0
harper-load -c "$cfg" -t Other "$T/rows.ndjson" > "$T/acks" 2> "$T/err" || rc=$?
expect_eq 78 "$rc" "Other: exit status ($(cat "$T/err"))"
grep -qF "table '$db.Other' has the primary key 'key', not 'id'" "$T/err" || fail "Other: $(cat "$T/err")"
expect_eq 0 "$(bqtest sum rows "$T/acks")" "Other: rows acked"

n=${CREATE_KILLS:-20}
for i in $(seq "$n"); do
	t=K$i
	harper-load -c "$cfg" -t "$t" "$T/rows.ndjson" > /dev/null 2>&1 &
	pid=$!
	# 0 to 120 ms: before, during and after create_table.
	sleep "$(awk "BEGIN { print ($i * 37 % 25) * 0.005 }")"
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	harper-load -c "$cfg" -t "$t" "$T/rows.ndjson" > "$T/acks" 2> "$T/err" ||
	    fail "$t: load after the kill: $(cat "$T/err")"
	expect_eq 200 "$(checkrows "$T/rows.ndjson" "$db.$t")" "$t: rows"
	bqtest harper-table "$db.$t" --key id --columns-of "$T/rows.ndjson" ||
	    fail "$t: table after the kill"
done
say "ok ($n kills)"
