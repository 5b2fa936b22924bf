#!/usr/bin/env bash
# quick
# A natural-key table (idColumns over typed columns: INT64, also beyond 2^53,
# STRING, with NULLs) is split among workers by its key: bq-pull's query
# (BigQuery SQL, here bq-emulator) and bq-partition's filter (C) give every
# row to the same worker, and every version of a key to one worker.  Synced
# by 3 workers in any order, Harper ends with the latest version of every
# key, and harper-load writes each batch without reading Harper first.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pipeline-common.bash"

pl_setup
pl_config -h 'batchRows: 7' \
    '{id: versions, table: versions, timestampColumn: ts, targetTable: Versions, idColumns: [k, name]}'
bqapi table test-project maritime versions '[{"name":"k","type":"INT64"},
    {"name":"name","type":"STRING"}, {"name":"v","type":"INT64"}, {"name":"ts","type":"TIMESTAMP"}]'
# 40 keys, 6 versions each, their timestamps interleaved.
bqtest gen pipeline-keys > "$T/src.ndjson"
bqapi insert test-project maritime versions < "$T/src.ndjson" > /dev/null

# 1. The split: bq-pull's share (SQL) equals bq-partition's (C) over all rows.
bq-pull -q -c "$cfg" -t versions -w 0/1 --no-markers --limit 100000 > "$T/all"
expect_eq 240 "$(wc -l < "$T/all")" "rows pulled"
for i in 0 1 2; do
	bq-pull -q -c "$cfg" -t versions -w "$i/3" --no-markers --limit 100000 | sort > "$T/sql.$i"
	bq-partition -q -S -c "$cfg" -t versions -w "$i/3" "$T/all" | sort > "$T/c.$i"
	diff -u "$T/sql.$i" "$T/c.$i" > "$T/diff" || fail "worker $i/3: bq-pull and bq-partition disagree: $(head "$T/diff")"
	[ -s "$T/sql.$i" ] || fail "worker $i/3 has no rows"
done
bqtest disjoint --column k,name --count 40 "$T"/sql.0 "$T"/sql.1 "$T"/sql.2 ||
    fail "a key's versions are split among workers"

# 2. Workers in reverse order: the latest version of every key wins.
pl_sync versions 2/3
pl_sync versions 1/3
pl_sync versions 0/3
hop '{"operation":"search_by_value","database":"'"$db"'","table":"Versions","search_attribute":"id","search_value":"*","get_attributes":["k","name","v"]}' > "$T/harper.json"
jq -e 'length == 40 and all(.[]; .v == 5)' "$T/harper.json" > /dev/null ||
    fail "Harper does not hold the latest version of every key: $(cat "$T/harper.json")"

# 3. No read before write: one request per batch besides the table's setup.
bq-pull -q -c "$cfg" -t versions -w 0/3 --limit 100000 > "$T/w0"
harper-load -v -c "$cfg" -t versions --database "${db}_w" "$T/w0" > "$T/acks" 2> "$T/err" ||
    fail "harper-load: $(cat "$T/err")"
cleanup "hop '{\"operation\":\"drop_database\",\"database\":\"${db}_w\"}'"
acks=$(wc -l < "$T/acks")
posts=$(grep -c 'harper-load: POST ' "$T/err")
[ "$posts" -le $((acks + 4)) ] || fail "$posts requests for $acks batches"
say "ok ($acks batches, $posts requests)"
