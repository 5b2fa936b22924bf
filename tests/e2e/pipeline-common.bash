# Sourced by the pipeline-*.sh tests after lib.sh: a bq-emulator filled by
# maritime-synth, a Harper database of the test's own, and the sync cycle
#   bq-pull -w i/N --after CURSOR | harper-load | bq-checkpoint commit
# run with the real binaries.  The oracle is `bqtest.py pipeline`, which
# reads BigQuery through the emulator's REST API and Harper through SQL.

PL_TABLES="vessel_positions port_events vessel_metadata"
# compare dump|compare|covered ARGS...: the oracle (see bqtest.py).
compare() { bqtest pipeline "$@"; }

# pl_setup [VESSELS]: emulator, database $db, configuration $cfg.
pl_setup() {
	need_harper
	start_emulator
	db=$(harper_db)
	cfg=$T/cfg.yaml
	cat > "$cfg" <<YAML
bigquery:
  projectId: test-project
  dataset: maritime
  tables:
    - id: vessel_positions
      table: vessel_positions
      timestampColumn: timestamp
      targetTable: VesselPositions
      indexes: [timestamp, mmsi]
    - id: port_events
      table: port_events
      timestampColumn: event_time
      targetTable: PortEvents
      indexes: [event_time, vessel_mmsi]
    - id: vessel_metadata
      table: vessel_metadata
      timestampColumn: last_updated
      targetTable: VesselMetadata
      idColumns: [mmsi]
      indexes: [last_updated, mmsi]
harper:
  database: $db
checkpoint:
  path: $T/state.json
synthesizer:
  vessels: ${1:-60}
  batchSize: 100
  generationInterval: 1h
  retentionDays: 30
  cleanupInterval: 30d
  loadRows: 100000
YAML
}

# pl_config [-h LINE]... ENTRY...: $cfg replaced by a configuration of the
# tables ENTRY (YAML flow mappings, e.g. "{id: t, table: t, timestampColumn:
# ts}") of test-project.maritime, each LINE one more line of its harper
# section.
pl_config() {
	local h=() e
	while [ "${1:-}" = -h ]; do h+=("$2"); shift 2; done
	{
		printf 'bigquery:\n  projectId: test-project\n  dataset: maritime\n  tables:\n'
		for e in "$@"; do printf '    - %s\n' "$e"; done
		printf 'harper:\n  database: %s\n' "$db"
		for e in "${h[@]}"; do printf '  %s\n' "$e"; done
		printf 'checkpoint:\n  path: %s\n' "$T/state.json"
	} > "$cfg"
}

# pl_info TABLE: TSCOL, TSCOLS (every TIMESTAMP column), TARGET, KEY.
pl_info() {
	KEY=
	case $1 in
	vessel_positions) TSCOL=timestamp TSCOLS=timestamp,eta TARGET=VesselPositions ;;
	port_events) TSCOL=event_time TSCOLS=event_time TARGET=PortEvents ;;
	vessel_metadata) TSCOL=last_updated TSCOLS=last_updated TARGET=VesselMetadata KEY=mmsi ;;
	*) TSCOL=ts TSCOLS=ts TARGET=$1 ;;
	esac
	export TSCOL TSCOLS
}

# pl_get TABLE I/N [STORE]: the stored cursor.
pl_get() {
	bq-checkpoint -q -c "$cfg" -t "$1" -w "$2" --store "${3:-file}" get
}

# pl_cycle TABLE I/N [STORE [LIMIT]]: one run of the sync pipeline; what
# bq-pull wrote is appended to $PL_TEE when set; PL_ROWS is the number of
# rows it pulled.
pl_cycle() {
	local cur
	cur=$(pl_get "$1" "$2" "${3:-file}")
	bq-pull -q -c "$cfg" -t "$1" -w "$2" --after "$cur" --limit "${4:-1000}" |
	    tee "$T/cycle.out" |
	    harper-load -q -c "$cfg" -t "$1" |
	    bq-checkpoint -q -c "$cfg" -t "$1" -w "$2" --store "${3:-file}" commit || {
		say "$1 $2: pipeline exit status ${PIPESTATUS[*]}"
		return 1
	}
	[ -z "${PL_TEE:-}" ] || cat "$T/cycle.out" >> "$PL_TEE"
	PL_ROWS=$(grep -vc '"@bqsync"' "$T/cycle.out" || true)
}

# pl_sync TABLE I/N [STORE [LIMIT]]: cycles until one pulls no rows.  (Not
# until the cursor stops moving: once, in pipeline-crash, a worker on the
# harper store read back an older cursor after a clean cycle, and a loop
# on the cursor stopped early; the final check caught it.)
pl_sync() {
	local n
	for n in $(seq 200); do
		pl_cycle "$@" || fail "$1 $2: the sync pipeline failed"
		[ "$PL_ROWS" -gt 0 ] || return 0
	done
	fail "$1 $2: not caught up after 200 cycles"
}

# pl_dump TABLE: BigQuery's rows to $T/src.TABLE (normalised).
pl_dump() {
	compare dump test-project maritime "$1" > "$T/src.$1"
}

# pl_compare TABLE: Harper's table equals BigQuery's, row for row.
pl_compare() {
	local n
	pl_info "$1"
	pl_dump "$1"
	n=$(compare compare "$T/src.$1" "$db.$TARGET" $KEY) ||
	    fail "$1: Harper differs from BigQuery"
	say "$1: Harper has exactly BigQuery's rows ($n)"
	[ "$n" -gt 0 ] || fail "$1: no rows compared"
}

# pl_share TABLE I/N: worker I's rows of the dump to $T/share.TABLE.I.N.
pl_share() {
	pl_info "$1"
	bq-partition -q -S -c "$cfg" -t "$1" -w "$2" "$T/src.$1" > "$T/share.$1.${2/\//.}"
}

# pl_count TABLE: rows in BigQuery (through the dump).
pl_count() {
	pl_dump "$1"
	wc -l < "$T/src.$1"
}
