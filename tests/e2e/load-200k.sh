#!/usr/bin/env bash
# harper-load: 200,000 rows into the real Harper, then every row compared
# with SQL (all fields, _syncedAt, ids as computed), and the acks checked.
. "$(dirname "$0")/lib.sh"
need_harper
db=$(harper_db)
cat > "$T/cfg.yaml" <<YAML
bigquery:
  tables:
    - id: positions
      table: positions
      timestampColumn: timestamp
      targetTable: Positions
      indexes: [timestamp, mmsi]
harper:
  database: $db
YAML
python3 "$top/tests/e2e/genrows.py" 200000 3 > "$T/rows.ndjson"
harper-load -q -c "$T/cfg.yaml" -t positions -b 1000 -j 2 "$T/rows.ndjson" > "$T/acks"

# Harper holds exactly the source rows, field by field.
n=$(python3 "$top/tests/e2e/checkrows.py" "$T/rows.ndjson" "$db.Positions")
expect_eq 200000 "$n" "rows compared"
expect_eq 200000 "$(hcount "$db.Positions")" "SQL count"

# Only the declared index (plus the key) exists.
hop "{\"operation\":\"describe_table\",\"database\":\"$db\",\"table\":\"Positions\"}" |
    python3 -c '
import json, sys
d = json.load(sys.stdin)
idx = sorted(a["attribute"] for a in d["attributes"] if a.get("indexed"))
assert idx == ["mmsi", "timestamp"], idx
' || fail "unexpected indexes"

# One ack per batch, totals add up, the last cursor is the last timestamp.
python3 - "$T/acks" "$T/rows.ndjson" <<'PY' || fail "acks"
import json, sys
acks = [json.loads(l) for l in open(sys.argv[1])]
last = json.loads(open(sys.argv[2]).readlines()[-1])["timestamp"]
assert len(acks) == 200, len(acks)
tot = 0
prev = ""
for a in acks:
    assert a["table"] == "positions", a
    tot += a["rows"]
    assert a["total"] == tot, a
    assert a["cursor"] is None or a["cursor"] >= prev, a
    prev = a["cursor"] or prev
assert tot == 200000
assert acks[-1]["cursor"] == last, (acks[-1], last)
PY

# Loading rows again changes nothing (upserts by id).
head -n 20000 "$T/rows.ndjson" | harper-load -q -c "$T/cfg.yaml" -t positions > /dev/null
expect_eq 200000 "$(hcount "$db.Positions")" "count after reload"
say "ok"
