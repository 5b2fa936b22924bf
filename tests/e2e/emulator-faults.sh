#!/usr/bin/env bash
# quick
# bq-emulator as a test fixture: its man page EXAMPLES, fault injection
# from the command line and at run time, persistence with --data, the
# loopback-only rule and the service-account token flow end to end.
. "$(dirname "$0")/lib.sh"
cd "$T"

# wait_addr FILE: waits until bq-emulator wrote its address to FILE.
wait_addr() {
	local i
	for i in $(seq 200); do
		[ -s "$1" ] && return 0
		sleep 0.05
	done
	fail "bq-emulator did not start: $(cat "$T"/*.log 2>/dev/null)"
}

# --- the man page's EXAMPLES, as written -----------------------------
bq-emulator -q -p 0 > addr 2>example.log & pid=$!
cleanup "kill $pid"
wait_addr addr
export BIGQUERY_EMULATOR_HOST=$(cat addr)
u=http://$BIGQUERY_EMULATOR_HOST/bigquery/v2/projects/demo
curl -s $u/datasets -d '{"datasetReference":{"datasetId":"ds"}}' >/dev/null
curl -s $u/datasets/ds/tables -d '{"tableReference":{"tableId":"t"},
  "schema":{"fields":[{"name":"ts","type":"TIMESTAMP"},
  {"name":"mmsi","type":"INT64"}]}}' >/dev/null
curl -s $u/datasets/ds/tables/t/insertAll \
  -d '{"rows":[{"json":{"ts":"2025-11-04 15:59:00","mmsi":7}}]}' >/dev/null
curl -s $u/queries -d '{"query":"SELECT mmsi FROM ds.t WHERE ts > @c",
  "useLegacySql":false,"queryParameters":[{"name":"c",
  "parameterType":{"type":"TIMESTAMP"},
  "parameterValue":{"value":"2025-01-01 00:00:00"}}]}' >example.json
expect_eq '[{"f":[{"v":"7"}]}]' "$(jget -f example.json rows)" "example query rows"
curl -s http://$BIGQUERY_EMULATOR_HOST/emulator/faults \
  -d '{"path":"queries","status":503,"count":2}' >/dev/null
q='{"query":"SELECT 1","useLegacySql":false}'
codes=$(for i in 1 2 3; do curl -s -o /dev/null -w '%{http_code} ' $u/queries -d "$q"; done)
expect_eq "503 503 200 " "$codes" "503 fault twice, then success"
if [ -f /usr/lib/google-cloud-sdk/platform/bq/bq.py ]; then
	export HOME=$T/home CLOUDSDK_CONFIG=$T/gcloud
	mkdir -p "$HOME" "$CLOUDSDK_CONFIG"
	python3 /usr/lib/google-cloud-sdk/platform/bq/bq.py \
	  --api=http://$BIGQUERY_EMULATOR_HOST --oauth_access_token=x \
	  --project_id=demo query --nouse_legacy_sql 'SELECT COUNT(*) FROM ds.t' \
	  >bq.out
	grep -q '| *1 *|' bq.out || fail "bq example printed: $(cat bq.out)"
else
	say "NOTE: SKIPPING the bq example: the Google Cloud CLI is not installed"
fi
kill $pid

# --- faults from the command line; a truncated body --------------------
bq-emulator -q -p 0 --fault 500:datasets:1 --fault '{"path":"queries","truncate":1}' \
    > addr2 2>faults.log & pid=$!
cleanup "kill $pid"
wait_addr addr2
u=http://$(cat addr2)/projects/demo
expect_eq 500 "$(curl -s -o /dev/null -w '%{http_code}' $u/datasets)" "--fault 500"
expect_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' $u/datasets)" "after the fault"
must_fail 18 curl -s -o /dev/null $u/queries -d "$q"
expect_eq 200 "$(curl -s -o /dev/null -w '%{http_code}' $u/queries -d "$q")" "after truncation"
kill $pid

# --- --data survives a restart ---------------------------------------
start_data() {
	: > addr3
	bq-emulator -q -p 0 -d "$T/data" > addr3 2>data.log & pid=$!
	cleanup "kill $pid"
	wait_addr addr3
	u=http://$(cat addr3)/projects/demo
}
start_data
curl -s $u/datasets -d '{"datasetReference":{"datasetId":"keep"}}' >/dev/null
curl -s $u/datasets/keep/tables -d '{"tableReference":{"tableId":"t"},"schema":{"fields":[{"name":"n","type":"INT64"}]}}' >/dev/null
curl -s $u/datasets/keep/tables/t/insertAll -d '{"rows":[{"json":{"n":1}},{"json":{"n":2}}]}' >/dev/null
kill $pid; wait $pid || true
start_data
n=$(curl -s $u/queries -d '{"query":"SELECT SUM(n) FROM keep.t","useLegacySql":false}' |
    jget rows.0.f.0.v)
expect_eq 3 "$n" "rows after a restart with --data"
kill $pid
test -s "$T/data/bq-emulator.sqlite3" || fail "no data file"

# --- loopback only; usage errors ----------------------------------------
must_fail 64 bq-emulator -q -H 0.0.0.0 -p 0
must_fail 64 bq-emulator -q -p 0 --fault '{"nothing":1}'
must_fail 64 bq-emulator --no-such-option
bq-emulator -V | grep -qx 'bq-emulator 0.1.0' || fail "-V"

# --- the service-account flow: JWT bearer grant -> access token ----------
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out sa.pem 2>/dev/null
bqtest sa-key "$T/sa.pem" sa.json --project demo --key-id 0123456789abcdef0123456789abcdef01234567 \
    --email puller@demo.iam.gserviceaccount.com --token-uri http://127.0.0.1/token
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out other.pem 2>/dev/null
bq-emulator -q -p 0 --token-key sa.json > addr4 2>token.log & pid=$!
cleanup "kill $pid"
wait_addr addr4
h=http://$(cat addr4)
expect_eq 401 "$(curl -s -o /dev/null -w '%{http_code}' $h/projects/demo/datasets)" "no token"
# jwt KEY: an RS256 assertion made with openssl, as a client library would.
jwt() {
	local now hdr clm
	now=$(date +%s)
	b64u() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
	hdr=$(printf '{"alg":"RS256","typ":"JWT"}' | b64u)
	clm=$(printf '{"iss":"puller@demo.iam.gserviceaccount.com","scope":"https://www.googleapis.com/auth/bigquery","aud":"https://oauth2.googleapis.com/token","iat":%d,"exp":%d}' "$now" $((now + 3600)) | b64u)
	printf '%s.%s.%s' "$hdr" "$clm" "$(printf '%s.%s' "$hdr" "$clm" | openssl dgst -sha256 -sign "$1" | b64u)"
}
grant=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer
expect_eq 400 "$(curl -s -o /dev/null -w '%{http_code}' $h/token -d "grant_type=$grant&assertion=$(jwt other.pem)")" "foreign key refused"
tok=$(curl -s $h/token -d "grant_type=$grant&assertion=$(jwt sa.pem)" |
    jget access_token)
printf 'header = "Authorization: Bearer %s"\n' "$tok" > auth.curl
expect_eq 200 "$(curl -s -K auth.curl -o /dev/null -w '%{http_code}' $h/projects/demo/datasets)" "with a token"
# Google's own auth library (bundled with the Cloud CLI), when present.
lib=/usr/lib/google-cloud-sdk/lib/third_party
if [ -d "$lib/google/oauth2" ]; then
	python3 - "$T/sa.json" "$h" <<'PY' || fail "google-auth service-account flow"
import sys, json
sys.path.insert(0, "/usr/lib/google-cloud-sdk/lib/third_party")
from google.oauth2 import service_account
import google.auth.transport.requests as tr
info = json.load(open(sys.argv[1]))
info["token_uri"] = sys.argv[2] + "/token"
cred = service_account.Credentials.from_service_account_info(
    info, scopes=["https://www.googleapis.com/auth/bigquery"])
s = tr.AuthorizedSession(cred)
r = s.get(sys.argv[2] + "/bigquery/v2/projects/demo/datasets")
assert r.status_code == 200, (r.status_code, r.text)
assert cred.token and cred.valid
PY
	say "google-auth's service-account flow works against /token"
else
	say "NOTE: SKIPPING google-auth: the Google Cloud CLI is not installed"
fi
say "ok"
