#!/usr/bin/env bash
# bq-verify: the three maritime tables are synced, then BigQuery and Harper
# are made to disagree in every way at once: late rows with old timestamps,
# rows deleted and rows updated in BigQuery, a new column with values, rows
# deleted from Harper and foreign rows added to Harper.  bq-verify reports
# exactly those rows, by kind, and exits 3; --repair --prune fixes them; a
# second bq-verify exits 0 and Harper equals BigQuery field by field.
# VERIFY_WORKERS=3 does the same with three workers verifying their shares;
# VERIFY_KILLS=K first kills bq-verify --repair --prune with SIGKILL at K
# random instants (verify-drift-workers.sh does both).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/pipeline-common.bash"

pl_setup 30
maritime-synth -q -c "$cfg" -s 11 initialize 1
for t in $PL_TABLES; do
	pl_sync "$t" 0/1
done
N=${VERIFY_WORKERS:-1}

# verify ARGS...: every share; the summaries go to $T/sum, status to $vs.
verify() {
	local i rc
	vs=0
	: > "$T/sum"
	for ((i = 0; i < N; i++)); do
		rc=0
		bq-verify -v -c "$cfg" -w "$i/$N" --format json "$@" > "$T/v.$i" \
		    2> "$T/v.$i.err" || rc=$?
		grep '"kind":"summary"' "$T/v.$i" >> "$T/sum"
		case $rc in
		0) ;;
		3) vs=3 ;;
		*) fail "bq-verify -w $i/$N $*: exit $rc" ;;
		esac
	done
}
# kinds TABLE: "missing extra changed" over the shares' summaries.
kinds() {
	python3 -c '
import json, sys
m = e = c = 0
for l in open(sys.argv[1]):
    r = json.loads(l)
    if r["table"] == sys.argv[2]:
        m += r["missing"]; e += r["extra"]; c += r["changed"]
print(m, e, c)' "$T/sum" "$1"
}

verify
expect_eq 0 "$vs" "status of a fresh sync"
for t in $PL_TABLES; do
	expect_eq "0 0 0" "$(kinds "$t")" "$t: a fresh sync"
done

# bqq SQL: one GoogleSQL statement in the emulator.
bqq() {
	python3 - "$1" <<'PY'
import json, os, sys, urllib.error, urllib.request
req = urllib.request.Request(
    "http://%s/bigquery/v2/projects/test-project/queries"
    % os.environ["BIGQUERY_EMULATOR_HOST"],
    data=json.dumps({"query": sys.argv[1], "useLegacySql": False}).encode(),
    headers={"Content-Type": "application/json"})
try:
    json.load(urllib.request.urlopen(req))
except urllib.error.HTTPError as e:
    sys.exit("bqq: %s: %s" % (sys.argv[1], e.read()[:400]))
PY
}
# pick TABLE K: K rows of BigQuery's dump, spread over the table, with
# timestamps back in RFC 3339 (insertAll's form).
pick() {
	python3 - "$T/src.$1" "$2" <<'PY'
import datetime, json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
k = int(sys.argv[2])
for r in rows[len(rows) // (k + 1)::len(rows) // (k + 1)][:k]:
    for c, v in r.items():
        if c in ("timestamp", "eta", "event_time", "last_updated") and v is not None:
            d = datetime.datetime(1970, 1, 1) + datetime.timedelta(microseconds=v)
            r[c] = d.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    print(json.dumps(r))
PY
}
ins() { "$PY" "$top/tests/e2e/bqapi.py" insert test-project maritime "$1"; }
for t in $PL_TABLES; do pl_dump "$t"; done

# Positions: 3 late rows (old timestamps, new content), 2 deleted in
# BigQuery, 2 deleted from Harper, 2 foreign rows in Harper.
pick vessel_positions 9 > "$T/p9"
sed -n 1,3p "$T/p9" | python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l); r["speed_knots"] = 99.5; print(json.dumps(r))' | ins vessel_positions
for l in 4 5; do
	r=$(sed -n "${l}p" "$T/p9")
	m=$(echo "$r" | python3 -c 'import json,sys; print(json.load(sys.stdin)["mmsi"])')
	ts=$(echo "$r" | python3 -c 'import json,sys; print(json.load(sys.stdin)["timestamp"])')
	bqq "DELETE FROM maritime.vessel_positions WHERE mmsi = '$m' AND timestamp = TIMESTAMP '$ts'"
done
ids=$(hsql "SELECT id FROM $db.VesselPositions ORDER BY timestamp LIMIT 2 OFFSET 40" |
    python3 -c 'import json,sys; print(json.dumps([r["id"] for r in json.load(sys.stdin)]))')
hop "{\"operation\":\"delete\",\"database\":\"$db\",\"table\":\"VesselPositions\",\"ids\":$ids}" > /dev/null
ts=$(sed -n 6p "$T/p9" | python3 -c 'import json,sys; print(json.load(sys.stdin)["timestamp"])')
hop "{\"operation\":\"upsert\",\"database\":\"$db\",\"table\":\"VesselPositions\",\"records\":[{\"id\":\"foreign-1\",\"timestamp\":\"$ts\",\"mmsi\":\"1\"},{\"id\":\"foreign-2\",\"timestamp\":\"$ts\",\"mmsi\":\"2\"}]}" > /dev/null

# Port events: one row updated in place (a new whole-row id), and a new
# column whose values come with 2 late rows.
pick port_events 3 > "$T/e3"
r=$(sed -n 1p "$T/e3")
ets=$(echo "$r" | python3 -c 'import json,sys; print(json.load(sys.stdin)["event_time"])')
m=$(echo "$r" | python3 -c 'import json,sys; print(json.load(sys.stdin)["vessel_mmsi"])')
bqq "DELETE FROM maritime.port_events WHERE vessel_mmsi = '$m' AND event_time = TIMESTAMP '$ets'"
echo "$r" | python3 -c '
import json, sys
r = json.loads(sys.stdin.read()); r["port_name"] = "Updated " + str(r.get("port_name")); print(json.dumps(r))' | ins port_events
python3 - <<PY
import json, os, urllib.request
p = "http://%s/bigquery/v2/projects/test-project/datasets/maritime/tables/port_events" % os.environ["BIGQUERY_EMULATOR_HOST"]
t = json.load(urllib.request.urlopen(p))
f = t["schema"]["fields"] + [{"name": "remark", "type": "STRING", "mode": "NULLABLE"}]
req = urllib.request.Request(p, data=json.dumps({"schema": {"fields": f}}).encode(),
    method="PATCH", headers={"Content-Type": "application/json"})
urllib.request.urlopen(req).read()
PY
sed -n 2,3p "$T/e3" | python3 -c '
import json, sys
for l in sys.stdin:
    r = json.loads(l); r["remark"] = "late with a remark"; r["vessel_mmsi"] = str(int(r["vessel_mmsi"]) + 1); print(json.dumps(r))' | ins port_events

# Vessel metadata (natural key mmsi): one vessel's latest version changed.
pl_info vessel_metadata
python3 - "$T/src.vessel_metadata" <<'PY' > "$T/m1"
import datetime, json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
latest = {}
for r in rows:
    if r["mmsi"] not in latest or r["last_updated"] > latest[r["mmsi"]]["last_updated"]:
        latest[r["mmsi"]] = r
r = latest[sorted(latest)[len(latest) // 2]]
r["last_updated"] = (datetime.datetime(1970, 1, 1) + datetime.timedelta(
    microseconds=r["last_updated"])).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
print(json.dumps(r))
PY
m=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["mmsi"])' "$T/m1")
lu=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["last_updated"])' "$T/m1")
bqq "DELETE FROM maritime.vessel_metadata WHERE mmsi = '$m' AND last_updated = TIMESTAMP '$lu'"
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
for c, v in r.items():
    if isinstance(v, str) and c not in ("last_updated",):
        r[c] = v + " (renamed)"; break
print(json.dumps(r))' "$T/m1" | ins vessel_metadata

verify
expect_eq 3 "$vs" "status with drift"
expect_eq "5 4 0" "$(kinds vessel_positions)" "vessel_positions: missing extra changed"
expect_eq "3 1 0" "$(kinds port_events)" "port_events: missing extra changed"
expect_eq "0 0 1" "$(kinds vessel_metadata)" "vessel_metadata: missing extra changed"
say "bq-verify found exactly the drift, by kind"

for ((k = 0; k < ${VERIFY_KILLS:-0}; k++)); do
	bq-verify -q -c "$cfg" -w "$((k % N))/$N" --repair --prune > /dev/null &
	pid=$!
	sleep "$(python3 -c 'import random; print(random.uniform(0.05, 2.5))')"
	kill -9 "$pid" 2> /dev/null || true
	wait "$pid" 2> /dev/null || true
done
[ "${VERIFY_KILLS:-0}" -eq 0 ] || say "killed bq-verify --repair ${VERIFY_KILLS} times"
verify --repair --prune
[ "${VERIFY_KILLS:-0}" -gt 0 ] || expect_eq 3 "$vs" "status of the repair"
verify
expect_eq 0 "$vs" "status after the repair"
for t in $PL_TABLES; do
	pl_compare "$t"
done
hsql "SELECT remark FROM $db.PortEvents WHERE remark = 'late with a remark'" |
    grep -q 'late with a remark' || fail "the new column is not visible to SQL"
say ok
