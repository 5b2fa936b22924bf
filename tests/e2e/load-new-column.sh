#!/usr/bin/env bash
# quick
# Schema evolution: a column that appears in later rows (added in BigQuery)
# is declared by harper-load, so Harper's SQL sees it; rows without it read
# as null.
. "$(dirname "$0")/lib.sh"
need_harper
db=$(harper_db)
cat > "$T/c.yaml" <<YAML
harper:
  database: $db
YAML
{
	printf '{"timestamp":"2025-01-01T00:00:0%d.000000Z","a":%d}\n' 1 1 2 2
	printf '{"timestamp":"2025-01-01T00:00:0%d.000000Z","a":%d,"flag":"f%d"}\n' 3 3 3 4 4 4
} > "$T/rows.ndjson"
harper-load -c "$T/c.yaml" -t T "$T/rows.ndjson" > "$T/acks" 2> "$T/err"
grep -q "declared 'flag'" "$T/err" || fail "no declaration: $(cat "$T/err")"
got=$(hsql "SELECT a, flag FROM $db.T ORDER BY a" |
    python3 -c 'import json,sys; print(" ".join("%s=%s" % (r["a"], r.get("flag")) for r in json.load(sys.stdin)))')
expect_eq "1=None 2=None 3=f3 4=f4" "$got" "rows through SQL"
# A second run finds the column declared and says nothing about it.
harper-load -c "$T/c.yaml" -t T "$T/rows.ndjson" > "$T/acks" 2> "$T/err"
if grep -q "declared '" "$T/err"; then fail "declared twice"; fi
say ok
