# bench-lib.sh: what the scripts/bench-*.sh benchmarks share.  Sourced
# with $top set (the checkout) and $tmp (a scratch folder of the run).
PATH=$top/bin:$PATH

# bqtest CMD ARGS...: the tests' Python helper (tests/e2e/bqtest.py).
bqtest() { python3 "$top/tests/e2e/bqtest.py" "$@"; }

# hop JSON: one operations-API call against $HARPER_URL; prints the body,
# fails on HTTP errors.  Credentials go to curl on stdin, not argv.
hop() {
	printf 'user = "%s:%s"\n' "$HARPER_USERNAME" "$HARPER_PASSWORD" |
	    curl -sS --fail-with-body -K - -H 'Content-Type: application/json' \
	    --data-binary "$1" "$HARPER_URL/"
}

# bench_emulator [LOG]: bq-emulator on a free port, its pid in $emu, its
# output in LOG ($tmp/emu.log); exports BIGQUERY_EMULATOR_HOST.
bench_emulator() {
	local port log=${1:-$tmp/emu.log}
	port=$(bqtest free-port)
	bq-emulator -q --port "$port" > "$log" 2>&1 &
	emu=$!
	export BIGQUERY_EMULATOR_HOST=127.0.0.1:$port
	for _ in $(seq 100); do
		curl -sf -o /dev/null "http://$BIGQUERY_EMULATOR_HOST/healthz" && return 0
		sleep 0.1
	done
	echo "bq-emulator did not start: $(cat "$log")" >&2
	return 1
}

# bench_positions: the DAY-partitioned table test-project.ds.positions with
# the columns of `bqtest.py gen rows`.
bench_positions() {
	bqtest bq table test-project ds positions '[
	    {"name":"timestamp","type":"TIMESTAMP"},{"name":"mmsi","type":"STRING"},
	    {"name":"vessel_name","type":"STRING"},{"name":"latitude","type":"FLOAT64"},
	    {"name":"longitude","type":"FLOAT64"},{"name":"speed_knots","type":"FLOAT64"},
	    {"name":"heading","type":"INT64"},{"name":"status","type":"STRING"},
	    {"name":"seq","type":"INT64"}]' '{"type":"DAY","field":"timestamp"}'
}

# bench_cfg FILE [TARGET]: a config of table positions (bench_positions);
# with TARGET, loaded into $db.TARGET, checkpoints in FILE's .state.json.
bench_cfg() {
	{
		printf 'bigquery:\n  projectId: test-project\n  dataset: ds\n  tables:\n'
		printf '    - id: positions\n      table: positions\n      timestampColumn: timestamp\n'
		[ -z "${2:-}" ] || printf '      targetTable: %s\nharper:\n  database: %s\ncheckpoint:\n  path: %s\n' \
		    "$2" "$db" "${1%.yaml}.state.json"
	} > "$1"
}

# bench_create TABLE ROWS: table $db.TABLE created as harper-load would
# for the rows of file ROWS (bq-pull's output).
bench_create() {
	bqtest gen harper-create "$db" "$1" "$2" > "$tmp/create.json"
	hop "$(cat "$tmp/create.json")" > /dev/null
}

# bench_raw TABLE ROWS CONNS [BATCH]: Harper's raw upsert rate in rows/s:
# bench_create TABLE ROWS, then those rows posted as upsert bodies of BATCH
# (1000) records, CONNS in flight (scripts/bench-post.mjs).
bench_raw() {
	bench_create "$1" "$2"
	bqtest gen harper-upserts "$db" "$1" "${4:-1000}" "$2" > "$tmp/bodies.$1"
	node "$top/scripts/bench-post.mjs" "$tmp/bodies.$1" "$3" |
	    bqtest get rows_per_s | awk '{ printf "%.0f\n", $1 }'
}

# bench_raw_curl TABLE ROWS CONNS [BATCH]: the same with curl as the client
# (--parallel, CONNS transfers at a time, each body a file), a second
# baseline that spends next to no CPU of its own; every answer must say
# "upserted N of N records".
bench_raw_curl() {
	local d=$tmp/curl.$1 i=0 t0 t1 n
	bench_create "$1" "$2"
	mkdir -p "$d"
	bqtest gen harper-upserts "$db" "$1" "${4:-1000}" "$2" |
	    split -l 1 -a 6 - "$d/b."
	(umask 077
	printf 'user = "%s:%s"\n' "$HARPER_USERNAME" "$HARPER_PASSWORD" > "$d/cfg"
	for f in "$d"/b.*; do
		[ $i -eq 0 ] || printf 'next\nuser = "%s:%s"\n' \
		    "$HARPER_USERNAME" "$HARPER_PASSWORD"
		printf 'header = "Content-Type: application/json"\n'
		printf 'url = "%s/"\ndata-binary = "@%s"\noutput = "%s.out"\n' \
		    "$HARPER_URL" "$f" "$f"
		i=$((i + 1))
	done >> "$d/cfg")
	t0=$(date +%s.%N)
	curl -sS --fail-with-body --parallel --parallel-max "$3" -K "$d/cfg" \
	    2> "$d/err" || { cat "$d/err" >&2; return 1; }
	t1=$(date +%s.%N)
	n=$(cat "$d"/b.*.out | grep -o 'upserted [0-9]* of [0-9]*' |
	    awk '$2 == $4 { n += $2 } END { print n + 0 }')
	[ "$n" -eq "$(wc -l < "$2")" ] ||
	    { echo "bench_raw_curl: $n of $(wc -l < "$2") rows upserted" >&2; return 1; }
	rm -rf "$d"
	awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f\n", n / (b - a) }'
}
