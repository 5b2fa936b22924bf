#!/usr/bin/env bash
# Table creation is idempotent and self-checking: a table that a killed run
# left without its declared columns is completed (Harper's SQL sees only
# declared columns), one with another primary key is refused (78); and
# harper-load killed (SIGKILL) while it creates its table, at many instants,
# then run again: every later load finds a usable table (primary key id,
# every column declared) and Harper ends with exactly the source rows.
. "$(dirname "$0")/lib.sh"
need_harper
db=$(harper_db)
cfg=$T/cfg.yaml
printf 'harper:\n  database: %s\n  batchRows: 50\n' "$db" > "$cfg"
python3 "$top/tests/e2e/genrows.py" 200 1 > "$T/rows.ndjson"
hop '{"operation":"create_database","database":"'"$db"'"}' > /dev/null

# A table that exists with its key only: the columns are declared.
hop '{"operation":"create_table","database":"'"$db"'","table":"Half","primary_key":"id","attributes":[{"name":"id","type":"ID","isPrimaryKey":true}]}' > /dev/null
harper-load -c "$cfg" -t Half "$T/rows.ndjson" > /dev/null 2> "$T/err" || fail "Half: $(cat "$T/err")"
grep -q "declared 'timestamp' in '$db.Half'" "$T/err" || fail "Half: $(cat "$T/err")"
expect_eq 200 "$(hsql "SELECT timestamp FROM $db.Half" | python3 -c 'import json,sys; print(sum(1 for r in json.load(sys.stdin) if r.get("timestamp")))')" \
    "Half: timestamps seen by SQL"
# Another primary key: refused, nothing written.
hop '{"operation":"create_table","database":"'"$db"'","table":"Other","primary_key":"key"}' > /dev/null
rc=0
harper-load -c "$cfg" -t Other "$T/rows.ndjson" > "$T/acks" 2> "$T/err" || rc=$?
expect_eq 78 "$rc" "Other: exit status ($(cat "$T/err"))"
grep -qF "table '$db.Other' has the primary key 'key', not 'id'" "$T/err" || fail "Other: $(cat "$T/err")"
expect_eq 0 "$(python3 -c 'import json,sys; print(sum(json.loads(l)["rows"] for l in open(sys.argv[1])))' "$T/acks")" "Other: rows acked"

n=${CREATE_KILLS:-20}
for i in $(seq "$n"); do
	t=K$i
	harper-load -c "$cfg" -t "$t" "$T/rows.ndjson" > /dev/null 2>&1 &
	pid=$!
	# 0 to 120 ms: before, during and after create_table.
	sleep "$(python3 -c "print(($i * 37 % 25) * 0.005)")"
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	harper-load -c "$cfg" -t "$t" "$T/rows.ndjson" > "$T/acks" 2> "$T/err" ||
	    fail "$t: load after the kill: $(cat "$T/err")"
	expect_eq 200 "$(python3 "$top/tests/e2e/checkrows.py" "$T/rows.ndjson" "$db.$t")" "$t: rows"
	hop '{"operation":"describe_table","database":"'"$db"'","table":"'"$t"'"}' |
	    python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["hash_attribute"] == "id", d["hash_attribute"]
have = {a["attribute"] for a in d["attributes"]}
row = json.loads(open(sys.argv[1]).readline())
missing = (set(row) | {"id", "_syncedAt"}) - have
assert not missing, missing' "$T/rows.ndjson" || fail "$t: table after the kill"
done
say "ok ($n kills)"
