#!/usr/bin/env bash
# main-job.sh: the whole path on a fresh machine.  Installs what is missing,
# builds, starts bq-emulator and a local Harper (loopback only), fills the
# emulator with a day of maritime data, runs the sync pipeline of bqsync(7)
# for every table of config.yaml until Harper has caught up, and shows the
# result with the seed's own queries.
#
#   scripts/main-job.sh [--days N] [--workers N] [--ci]
#
# Harper: the one in HARPER_URL if it answers, else instance "main" of
# scripts/harper.sh on 127.0.0.1:9925 (left running for you to explore,
# unless --ci; stop it with scripts/harper.sh stop).  The emulator is
# stopped at the end.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
days=1 workers=2 ci=
while [ $# -gt 0 ]; do
	case $1 in
	--days) days=$2; shift ;;
	--workers) workers=$2; shift ;;
	--ci) ci=1 ;;
	-h|--help) sed -n '2,/^[^#]/s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "usage: scripts/main-job.sh [--days N] [--workers N] [--ci]" >&2; exit 64 ;;
	esac
	shift
done
say() { printf '\n== %s\n' "$*" >&2; }
PATH=$top/bin:$PATH

say "install and build"
scripts/setup.sh
make -j2 >/dev/null

work=$top/.local/main-job
rm -rf "$work"
mkdir -p "$work"
cleanups=()
trap 'for c in "${cleanups[@]}"; do eval "$c" || true; done' EXIT

say "Harper"
if [ -n "${HARPER_URL:-}" ] && curl -sf -o /dev/null "$HARPER_URL/health"; then
	echo "using Harper at $HARPER_URL" >&2
	started_harper=
else
	started_harper=1
	scripts/harper.sh start
	# shellcheck disable=SC1091
	. "${BQSYNC_HARPER_DIR:-$top/.harper}/main/harper.env"
	[ -z "$ci" ] || cleanups+=("scripts/harper.sh stop")
fi
export HARPER_URL HARPER_USERNAME HARPER_PASSWORD

say "bq-emulator"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
bq-emulator --port "$port" --data "$work/emulator" > "$work/emulator.log" 2>&1 &
epid=$!
cleanups+=("kill $epid; wait $epid")
for _ in $(seq 100); do curl -sf -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
export BIGQUERY_EMULATOR_HOST=127.0.0.1:$port
echo "bq-emulator (pid $epid) on http://127.0.0.1:$port" >&2

# The embedded default config, with the checkpoints kept in Harper so the
# seed's monitoring SQL works, and a database of its own.
cfg=$work/config.yaml
sed -e 's/^  store: file .*/  store: harper/' -e 's/^  database: data$/  database: maritime/' config.yaml > "$cfg"
export BQSYNC_CONFIG=$cfg

say "maritime-synth: $days day(s) of vessel data into BigQuery (the emulator)"
maritime-synth initialize "$days"
maritime-synth stats | tee "$work/stats.ndjson"

tables=$(python3 - "$cfg" <<'PY'
import sys, re
ids = re.findall(r'^    - id: (\S+)', open(sys.argv[1]).read(), re.M)
print(" ".join(ids))
PY
)
say "sync: $workers workers per table (bq-pull | harper-load | bq-checkpoint commit) until caught up"
for t in $tables; do
	pids=()
	for ((i = 0; i < workers; i++)); do
		(
		while :; do
			before=$(bq-checkpoint get -t "$t" -w "$i/$workers")
			bq-pull -t "$t" -w "$i/$workers" --after "$before" -q |
			    harper-load -t "$t" -q |
			    bq-checkpoint commit -t "$t" -w "$i/$workers"
			after=$(bq-checkpoint get -t "$t" -w "$i/$workers")
			[ "$after" != "$before" ] || break
		done
		) &
		pids+=($!)
	done
	for p in "${pids[@]}"; do wait "$p"; done
	echo "table $t synced" >&2
done

db=maritime
q() {
	python3 -c 'import json,sys; print(json.dumps({"operation":"sql","sql":sys.argv[1]}))' "$1" |
	    curl -sS -m 300 --fail-with-body -K <(printf 'user = "%s:%s"\n' "$HARPER_USERNAME" "$HARPER_PASSWORD") \
	    -H 'Content-Type: application/json' --data-binary @- "$HARPER_URL/" |
	    python3 -c 'import json,sys; rows=json.load(sys.stdin); [print(json.dumps(r)) for r in rows]'
}
mmsi=$(q "SELECT mmsi FROM $db.VesselPositions LIMIT 1" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["mmsi"])')
say "the seed's queries, against Harper"
echo "-- SELECT count(*) per table" >&2
for tt in VesselPositions PortEvents VesselMetadata; do
	q "SELECT '$tt' AS tbl, count(*) AS n FROM $db.$tt"
done
echo "-- by vessel: WHERE mmsi = '$mmsi' (3 of them)" >&2
q "SELECT timestamp, mmsi, vessel_name, latitude, longitude, speed_knots, status FROM $db.VesselPositions WHERE mmsi = '$mmsi' ORDER BY timestamp LIMIT 3"
echo "-- by time range: timestamp > (the last hour), newest first (3)" >&2
since=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%S.000000Z)
q "SELECT id, timestamp, vessel_name FROM $db.VesselPositions WHERE timestamp > '$since' ORDER BY timestamp DESC LIMIT 3"
echo "-- fast vessels: speed_knots > 20 (3)" >&2
q "SELECT id, timestamp, vessel_name, speed_knots, latitude, longitude FROM $db.VesselPositions WHERE speed_knots > 20 LIMIT 3"
echo "-- sync status: ORDER BY _syncedAt DESC (3)" >&2
q "SELECT id, _syncedAt, timestamp, vessel_name, mmsi FROM $db.VesselPositions ORDER BY _syncedAt DESC LIMIT 3"
echo "-- checkpoints: SELECT * FROM SyncCheckpoint ORDER BY nodeId" >&2
q "SELECT checkpointId, nodeId, clusterSize, lastTimestamp, recordsIngested, phase FROM $db.SyncCheckpoint ORDER BY nodeId"

say "check: every BigQuery row is in Harper exactly once"
for pair in vessel_positions:VesselPositions:rows port_events:PortEvents:rows vessel_metadata:VesselMetadata:vessels; do
	IFS=: read -r src dst field <<-EOF
	$pair
	EOF
	want=$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["table"] == sys.argv[2]: print(r[sys.argv[3]])' "$work/stats.ndjson" "$src" "$field")
	got=$(q "SELECT count(*) AS n FROM $db.$dst" | python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["n"])')
	printf '%-16s BigQuery %s, Harper %s\n' "$dst" "$want" "$got" >&2
	[ "$want" = "$got" ] || { echo "main-job: $dst: Harper has $got rows, BigQuery $want" >&2; exit 1; }
done
bq-checkpoint status >&2 || true
echo >&2
if [ -n "$started_harper" ] && [ -z "$ci" ]; then
	echo "done.  Harper keeps the data (database $db): . ${BQSYNC_HARPER_DIR:-$top/.harper}/main/harper.env, then query it; scripts/harper.sh stop when finished." >&2
else
	echo "done." >&2
fi
