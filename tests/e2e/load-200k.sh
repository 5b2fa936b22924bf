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
genrows 200000 3 > "$T/rows.ndjson"
harper-load -q -c "$T/cfg.yaml" -t positions -b 1000 -j 2 "$T/rows.ndjson" > "$T/acks"

# Harper holds exactly the source rows, field by field.
n=$(checkrows "$T/rows.ndjson" "$db.Positions")
expect_eq 200000 "$n" "rows compared"
expect_eq 200000 "$(hcount "$db.Positions")" "SQL count"

# Only the declared index (plus the key) exists.
bqtest harper-table "$db.Positions" --indexed mmsi,timestamp || fail "unexpected indexes"

# One ack per batch, totals add up, the last cursor is the last timestamp.
bqtest acks "$T/acks" --count 200 --table positions --rows 200000 \
    --last-cursor "$(tail -n 1 "$T/rows.ndjson" | jget timestamp)" || fail "acks"

# Loading rows again changes nothing (upserts by id).
head -n 20000 "$T/rows.ndjson" | harper-load -q -c "$T/cfg.yaml" -t positions > /dev/null
expect_eq 200000 "$(hcount "$db.Positions")" "count after reload"
say "ok"
