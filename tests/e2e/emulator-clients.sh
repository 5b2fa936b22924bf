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
bqtest gen emulator-clients >"$T/rows.json"

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
	bqtest check emulator-clients-node "$T/rows.json" "$T/node-$mode.ndjson" || fail "node client ($mode) read something else"
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
bqtest check emulator-clients-pull "$T/node-endpoint.ndjson" "$T/pull.ndjson" || fail "bq-pull and the Node client disagree"
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
bqtest gen emulator-clients-bq "$T/rows.json" >"$T/bq-rows.ndjson"
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
bqtest check emulator-clients-bq "$T/bq-rows.ndjson" "$T/bq-query.json" "$T/bq-head.json" || fail "bq CLI read something else"
say "bq CLI: mk, insert, parameterized query and head match"
