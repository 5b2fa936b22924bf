#!/usr/bin/env bash
# Google's own clients judge bq-emulator: the npm package
# @google-cloud/bigquery (both URL forms: apiEndpoint and
# BIGQUERY_EMULATOR_HOST) and, when installed, the bq CLI create a dataset
# and a table, insert rows, query with parameters and page through
# results; what they read must be exactly the rows we inserted.
. "$(dirname "$0")/lib.sh"

clients=$top/tests/clients
if [ ! -d "$clients/node_modules/@google-cloud/bigquery" ]; then
	say "installing @google-cloud/bigquery into tests/clients"
	npm install --prefix "$clients" --no-audit --no-fund >"$T/npm.log" 2>&1 ||
	    fail "npm install failed: $(tail -5 "$T/npm.log")"
fi
start_emulator
export METADATA_SERVER_DETECTION=none HOME=$T/home CLOUDSDK_CONFIG=$T/gcloud T
mkdir -p "$HOME" "$CLOUDSDK_CONFIG"

# 25 rows of every type the toolkit meets, with NULLs sprinkled in.
python3 - >"$T/rows.json" <<'PY'
import json, base64
rows = []
for i in range(1, 26):
    rows.append({"id": i, "ts": "2023-11-04T09:30:00.%06dZ" % (i * 7),
        "name": "n%d" % i if i % 5 else None,
        "score": i + 0.25 if i % 4 else None, "ok": i % 2 == 0,
        "raw": base64.b64encode(bytes([i, 0, 255])).decode() if i % 3 else None,
        "day": "2023-11-%02d" % (i % 28 + 1),
        "amount": "%d.%02d" % (i, i) if i % 6 else None,
        "tags": ["t%d" % k for k in range(i % 3)],
        "addr": {"city": "c%d" % i, "zip": 10000 + i} if i % 7 else None})
print(json.dumps(rows))
PY

for mode in endpoint env; do
	if [ $mode = env ]; then
		# The client uses BIGQUERY_EMULATOR_HOST verbatim as its base
		# URL: requests arrive without /bigquery/v2.
		BIGQUERY_EMULATOR_HOST=http://127.0.0.1:$EMU_PORT \
		    node "$top/tests/e2e/emulator-clients.js" - env \
		    <"$T/rows.json" >"$T/node-$mode.ndjson" ||
		    fail "node client ($mode) failed"
	else
		# (lib.sh's host:port form is not a URL for the Node client.)
		env -u BIGQUERY_EMULATOR_HOST \
		    node "$top/tests/e2e/emulator-clients.js" \
		    "http://127.0.0.1:$EMU_PORT" endpoint \
		    <"$T/rows.json" >"$T/node-$mode.ndjson" ||
		    fail "node client ($mode) failed"
	fi
	python3 - "$T/rows.json" "$T/node-$mode.ndjson" <<'PY' || fail "node client ($mode) read something else"
import json, sys
from decimal import Decimal
rows = json.load(open(sys.argv[1]))
got = [json.loads(l) for l in open(sys.argv[2])]
def canon(r):
    am = r["amount"]
    if am is not None:
        am = format(Decimal(am).normalize(), "f")
    return {"id": str(r["id"]), "ts": r["ts"][:-1] + "000Z", "name": r["name"],
        "score": r["score"], "ok": r["ok"], "raw": r["raw"], "day": r["day"],
        "amount": am, "tags": r["tags"],
        "addr": None if r["addr"] is None else
            {"city": r["addr"]["city"], "zip": str(r["addr"]["zip"])}}
want = [canon(r) for r in rows]
by = {}
for g in got:
    by.setdefault(g["what"], []).append(g)
def check(cond, what):
    if not cond:
        print("mismatch:", what, file=sys.stderr)
        sys.exit(1)
check([g["row"] for g in by["all"]] == want, "SELECT * rows")
ids = [str(r["id"]) for r in rows if r["ts"] > "2023-11-04T09:30:00.000001Z"
       and r["id"] % 3 == 1 and r["name"] is not None and r["name"] != "nobody"]
check(by["params"][0]["ids"] == ids, "parameterized query %s" % by["params"])
qp = by["query-pages"][0]
check(qp["ids"] == [str(r["id"]) for r in rows] and qp["pages"] == 7, "query pages %s" % qp)
tp = by["table-pages"][0]
check(tp["rows"] == want and tp["pages"] == 4, "tabledata pages")
check(by["invalid"][0] == {"what": "invalid", "code": 400, "reason": "invalidQuery"}, "invalid query %s" % by["invalid"])
check(by["delete"][0]["affected"] == "5", "DELETE affected rows")
check(by["count"][0]["n"] == 20, "count after DELETE")
check(by["update"][0] == {"what": "update", "affected": "4", "type": "UPDATE", "updated": "4"}, "UPDATE %s" % by["update"])
check(by["qualify"][0]["rows"] == [["0", "18"], ["1", "19"], ["2", "20"]], "QUALIFY %s" % by["qualify"])
check(by["load"][0] == {"what": "load", "state": "DONE", "rows": "25", "n": 25, "s": 325}, "load job %s" % by["load"])
check("done" in by, "finished")
PY
	say "node client ($mode): all reads match"
done

# bq-pull reads the table the Node client wrote (ids 1..20 are left after
# its DELETE) and must see what the Node client saw, in bqsync(7)'s forms.
cat > "$T/cfg.yaml" <<YAML
bigquery:
  projectId: test-project
  dataset: clients_endpoint
  tables:
    - id: t
      table: t
      timestampColumn: ts
      idColumn: id
YAML
bq-pull -c "$T/cfg.yaml" --no-markers >"$T/pull.ndjson"
python3 - "$T/node-endpoint.ndjson" "$T/pull.ndjson" <<'PY' || fail "bq-pull and the Node client disagree"
import json, sys
node = [json.loads(l)["row"] for l in open(sys.argv[1]) if '"what":"all"' in l]
pulled = [json.loads(l) for l in open(sys.argv[2])]
# With idColumn, bq-pull carries the key as Harper's id, in text form, and
# every row's content fingerprint _fp, which the Node client has no part in.
for p in pulled:
    p["id"] = str(p["id"])
    assert isinstance(p.pop("_fp"), (int, str))
def from_node(r):
    return {"id": r["id"], "ts": r["ts"][:26] + "Z", "name": r["name"],
        "score": r["score"], "ok": r["ok"], "raw": r["raw"], "day": r["day"],
        "amount": r["amount"], "tags": r["tags"],
        "addr": None if r["addr"] is None else
            {"city": r["addr"]["city"], "zip": int(r["addr"]["zip"])}}
want = [from_node(r) for r in node if int(r["id"]) <= 20]
if pulled != want:
    for a, b in zip(pulled, want):
        if a != b:
            print("bq-pull:", a, "\nnode:   ", b, file=sys.stderr)
            break
    print(len(pulled), "rows pulled,", len(want), "expected", file=sys.stderr)
    sys.exit(1)
PY
say "bq-pull reads exactly what the Node client read"

# The bq CLI (preinstalled with the Google Cloud CLI on the build image).
bqpy=/usr/lib/google-cloud-sdk/platform/bq/bq.py
if [ ! -f "$bqpy" ]; then
	say "NOTE: SKIPPING the bq CLI part: $bqpy is not installed"
	exit 0
fi
bq() {
	python3 "$bqpy" --api="http://127.0.0.1:$EMU_PORT" \
	    --oauth_access_token=emulator-test --project_id=test-project \
	    --headless --quiet --format=json "$@"
}
bq mk --dataset --location=US test-project:bqcli >/dev/null
bq mk --table --time_partitioning_type=DAY --time_partitioning_field=ts \
    --clustering_fields=id bqcli.t id:INTEGER,ts:TIMESTAMP,name:STRING,score:FLOAT \
    >/dev/null
python3 -c '
import json, sys
for r in json.load(open(sys.argv[1])):
    print(json.dumps({"id": r["id"], "ts": r["ts"].replace("T", " ")[:19],
        "name": r["name"], "score": r["score"]}))' "$T/rows.json" >"$T/bq-rows.ndjson"
bq insert bqcli.t <"$T/bq-rows.ndjson" >/dev/null
bq query --nouse_legacy_sql --parameter=c:TIMESTAMP:'2023-11-04 09:00:00' \
    --parameter=n:INT64:4 --parameter=who::n8 \
    'SELECT id, ts, name, score FROM bqcli.t WHERE ts > @c AND (MOD(id, @n) = 0 OR name = @who) ORDER BY id' \
    >"$T/bq-query.json"
bq head -n 30 bqcli.t >"$T/bq-head.json"
# bq load sends its data as a resumable upload.
bq load --source_format=NEWLINE_DELIMITED_JSON bqcli.loaded "$T/bq-rows.ndjson" \
    id:INTEGER,ts:TIMESTAMP,name:STRING,score:FLOAT >/dev/null
bq query --nouse_legacy_sql 'SELECT COUNT(*) AS n, SUM(id) AS s FROM bqcli.loaded' \
    >"$T/bq-load.json"
expect_eq '[{"n":"25","s":"325"}]' "$(tr -d ' \n' <"$T/bq-load.json")" "bq load"
must_fail 2 bq show bqcli.nope >/dev/null 2>&1
python3 - "$T/bq-rows.ndjson" "$T/bq-query.json" "$T/bq-head.json" <<'PY' || fail "bq CLI read something else"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
def shown(r):
    d = {"id": str(r["id"]), "ts": r["ts"], "name": r["name"]}
    d["score"] = None if r["score"] is None else repr(r["score"])
    return d
def norm(x):
    return {"id": x["id"], "ts": x["ts"], "name": x.get("name"),
            "score": x.get("score")}
q = [norm(x) for x in json.load(open(sys.argv[2]))]
want = [shown(r) for r in rows if r["id"] % 4 == 0 or r["name"] == "n8"]
if q != want:
    print("bq query:", q, "\nwant:", want, file=sys.stderr); sys.exit(1)
h = sorted((norm(x) for x in json.load(open(sys.argv[3]))), key=lambda x: int(x["id"]))
if h != [shown(r) for r in rows]:
    print("bq head:", h, file=sys.stderr); sys.exit(1)
PY
say "bq CLI: mk, insert, parameterized query and head match"
