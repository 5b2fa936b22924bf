#!/usr/bin/env bash
# quick
# bq-pull authenticates with a service-account key (generated here with
# openssl) through the emulator's token endpoint (RS256 verified with the
# public key), refreshes the token once on a 401, ends --follow cleanly on
# SIGTERM; a wrong key exits 77 with no secret in the message.
. "$(dirname "$0")/lib.sh"

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$T/key.pem" 2> /dev/null
openssl pkey -in "$T/key.pem" -pubout -out "$T/pub.pem"
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out "$T/wrong.pem" 2> /dev/null
start_emulator --token-key "$T/pub.pem"
keyfile() {	# keyfile PEM OUT
	bqtest sa-key "$1" "$2" --token-uri "http://$BIGQUERY_EMULATOR_HOST/token"
}
keyfile "$T/key.pem" "$T/key.json"
keyfile "$T/wrong.pem" "$T/wrong.json"

# the test's own token for setting up the table (JWT signed by openssl)
BQAPI_TOKEN=$(bqtest token "$T/key.pem" "http://$BIGQUERY_EMULATOR_HOST/token")
export BQAPI_TOKEN
bqapi table test-project ds t \
    '[{"name":"ts","type":"TIMESTAMP"},{"name":"seq","type":"INT64"}]'
printf '{"ts":"2025-11-01T00:00:0%d.5Z","seq":%d}\n' 1 1 2 2 3 3 |
    bqapi insert test-project ds t > /dev/null
setup_token=$BQAPI_TOKEN	# for /emulator/faults below
unset BQAPI_TOKEN
cat > "$T/cfg.yaml" <<YAML
bigquery:
  dataset: ds
  tables:
    - id: t
      table: t
      timestampColumn: ts
sync:
  pollInterval: 200ms
YAML

# without credentials the emulator refuses: 77
must_fail 77 bq-pull -c "$T/cfg.yaml" --project test-project \
    > /dev/null 2> "$T/err0"
grep -q 'required\|401' "$T/err0" || fail "message: $(cat "$T/err0")"

# with the key: the project comes from the key file
export GOOGLE_APPLICATION_CREDENTIALS=$T/key.json
bq-pull -c "$T/cfg.yaml" --no-markers > "$T/out"
expect_eq 3 "$(wc -l < "$T/out")" rows

# --follow: tokens revoked mid-run (a 401) are refreshed once; SIGTERM ends
# the stream with sync and end lines and exit 0
bq-pull -c "$T/cfg.yaml" -uv --follow --after 2025-11-01T00:00:01.5Z \
    > "$T/follow" 2> "$T/ferr" &
pid=$!
cleanup "kill $pid"
for i in $(seq 100); do grep -q '"sync"' "$T/follow" && break; sleep 0.1; done
curl -sf -X POST --data '{"expireTokens":true}' \
    -H "Authorization: Bearer $setup_token" \
    "http://$BIGQUERY_EMULATOR_HOST/emulator/faults" > /dev/null
for i in $(seq 100); do
	[ "$(grep -c '"sync"' "$T/follow")" -ge 3 ] && break
	sleep 0.1
done
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
expect_eq 0 "$rc" "exit status after SIGTERM"
grep -q 'refreshing the access token' "$T/ferr" || fail "no refresh on 401"
! grep -q 'Bearer\|eyJ' "$T/ferr" || fail "a token in the debug log"
[ "$(grep -c '"sync"' "$T/follow")" -ge 3 ] || fail "no pulls after the 401"
expect_eq '{"@bqsync":"end"}' "$(tail -n 1 "$T/follow")" "last line"
expect_eq 2 "$(grep -vc '@bqsync' "$T/follow")" "rows after the cursor"

# a key the endpoint does not know: 77, and no secret in the message
export GOOGLE_APPLICATION_CREDENTIALS=$T/wrong.json
must_fail 77 bq-pull -c "$T/cfg.yaml" > /dev/null 2> "$T/err"
cat "$T/err" >&2
grep -q 'invalid_grant' "$T/err" || fail "message: $(cat "$T/err")"
! grep -q 'PRIVATE\|eyJ\|MII' "$T/err" || fail "a secret in the message"
expect_eq 1 "$(wc -l < "$T/err")" "error lines"
