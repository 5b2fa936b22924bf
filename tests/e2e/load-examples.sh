#!/usr/bin/env bash
# The EXAMPLES of harper-load(1), run as written (in a directory with the
# config they assume), with their effect checked.
. "$(dirname "$0")/lib.sh"
need_harper
db=$(harper_db)
cd "$T"
cat > config.yaml <<YAML
bigquery:
  tables:
    - id: vessel_positions
      table: vessel_positions
      targetTable: VesselPositions
      indexes: [timestamp, mmsi]
harper:
  database: $db
checkpoint:
  path: $T/state.json
YAML
export BQSYNC_CONFIG=$T/config.yaml
genrows 3000 4 > all.ndjson
head -n 1800 all.ndjson > rows.ndjson

# 1. Load a file into the configured table and store its checkpoint.
harper-load -t vessel_positions rows.ndjson |
    bq-checkpoint -t vessel_positions commit
expect_eq 1800 "$(hcount "$db.VesselPositions")" "example 1 rows"
# A file without a begin line ends its last group at end of input.
expect_eq "$(tail -n 1 rows.ndjson | jget timestamp)" \
    "$(bq-checkpoint -t vessel_positions get)" "example 1 cursor"

# 2. A Harper table not in the config, bigger batches, rejects kept aside.
(printf '{"no":"timestamp"}\n'; cat rows.ndjson) > rows2.ndjson
harper-load -t Positions -b 5000 -j 3 --reject bad.ndjson < rows2.ndjson > acks2
expect_eq 1800 "$(hcount "$db.Positions")" "example 2 rows"
expect_eq '{"no":"timestamp"}' "$(cat bad.ndjson)" "example 2 rejects"

# 3. Resume with the rows after the stored cursor (the whole file now).
cp all.ndjson rows.ndjson
c=$(bq-checkpoint -t vessel_positions get)
awk -v c="$c" 'match($0, /"timestamp":"[^"]*"/) &&
    substr($0, RSTART + 13, RLENGTH - 14) > c' rows.ndjson |
    harper-load -t vessel_positions |
    bq-checkpoint -t vessel_positions commit
expect_eq 3000 "$(checkrows all.ndjson "$db.VesselPositions")" "example 3 rows"
say "ok"
