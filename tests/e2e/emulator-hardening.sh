#!/usr/bin/env bash
# quick
# emulator-hardening: bq-emulator under hostile clients.  With -k, a large
# body without a token is refused (401) before it is read, and memory stays
# small; an oversized body is 413 at once; /emulator/faults needs a token;
# the token endpoint refuses a JWT with a wrong or missing aud, a wrong iss
# or no scope; idle half-sent connections do not lock out new ones for
# long; a query of 5,000 nested parentheses is a 400, not a crash.
. "$(dirname "$0")/lib.sh"
cd "$T"

openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
    -out key.pem 2> /dev/null
bqtest sa-key key.pem sa.json --project test-project --key-id k1 \
    --email sa@test-project.iam.gserviceaccount.com --token-uri unused
port=$(free_port)
bq-emulator -q -p "$port" -k sa.json > addr 2> emu.log & pid=$!
cleanup "kill $pid"
for i in $(seq 200); do [ -s addr ] && break; sleep 0.05; done
[ -s addr ] || fail "bq-emulator did not start: $(cat emu.log)"
base=http://127.0.0.1:$port
tokuri=$base/token

# jwt AUD ISS SCOPE: a signed grant assertion ("-" leaves the claim out).
jwt() {
	bqtest jwt key.pem "$1" "$2" "$3"
}
grant() {	# grant AUD ISS SCOPE: prints "STATUS BODY"
	curl -s -w ' %{http_code}' "$tokuri" \
	    --data-urlencode grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer \
	    --data-urlencode "assertion=$(jwt "$@")"
}
sa=sa@test-project.iam.gserviceaccount.com
scope=https://www.googleapis.com/auth/bigquery

say "token endpoint claims"
out=$(grant "$tokuri" "$sa" "$scope")
[ "${out##* }" = 200 ] || fail "a good grant: $out"
token=$(printf '%s' "${out% *}" | jget access_token)
for args in "https://evil.example/token $sa $scope" "- $sa $scope" \
    "$tokuri other@example.com $scope" "$tokuri - $scope" \
    "$tokuri $sa -" "$tokuri $sa https://www.googleapis.com/auth/drive"; do
	set -- $args
	out=$(grant "$@")
	[ "${out##* }" = 400 ] || fail "grant aud=$1 iss=$2 scope=$3: $out"
	case $out in *invalid_grant*|*invalid_scope*) ;; *) fail "no invalid_grant: $out" ;; esac
done
out=$(grant "$tokuri" "$sa" "https://www.googleapis.com/auth/cloud-platform")
[ "${out##* }" = 200 ] || fail "cloud-platform scope: $out"

say "faults need a token"
code=$(curl -s -o /dev/null -w '%{http_code}' "$base/emulator/faults" -d '{"status":503}')
expect_eq 401 "$code" "POST /emulator/faults without a token"
code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$base/emulator/faults")
expect_eq 401 "$code" "DELETE /emulator/faults without a token"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" \
    -X DELETE "$base/emulator/faults")
expect_eq 204 "$code" "DELETE /emulator/faults with a token"

say "auth before the body, bodies bounded"
rss() { awk '/^VmHWM/ { print $2 }' "/proc/$pid/status"; }
start=$(date +%s)
for i in 1 2 3 4; do
	code=$(head -c 300000000 /dev/zero | curl -s -o /dev/null -w '%{http_code}' \
	    -H 'Content-Type: application/json' -H 'Expect:' \
	    --data-binary @- "$base/bigquery/v2/projects/p/queries" || true)
	case $code in 401|000) ;; *) fail "unauthenticated 300 MB POST: $code" ;; esac
done
[ $(($(date +%s) - start)) -lt 30 ] || fail "the 300 MB POSTs were read"
[ "$(rss)" -lt 200000 ] || fail "VmHWM $(rss) kB after 4 x 300 MB"
code=$(head -c 20000000 /dev/zero | curl -s -o /dev/null -w '%{http_code}' \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -H 'Expect:' --data-binary @- "$base/bigquery/v2/projects/p/queries" || true)
case $code in 413|000) ;; *) fail "a 20 MB query body: $code" ;; esac
[ "$(rss)" -lt 200000 ] || fail "VmHWM $(rss) kB after 20 MB"

say "5,000 nested parentheses"
bqtest check emulator-hardening-nest "$base" "$token" > nest.out
expect_eq "400 invalidQuery" "$(cat nest.out)" "nested parentheses"
kill -0 "$pid" || fail "bq-emulator died: $(cat emu.log)"
code=$(curl -s -o /dev/null -w '%{http_code}' "$base/healthz")
expect_eq 200 "$code" "healthz after the deep query"

say "idle connections"
# the interpreter itself, not the bqtest function: $! must be its pid
"$PY" "$top/tests/e2e/bqtest.py" idle-clients "$port" 1100 60 &
idler=$!
cleanup "kill $idler"
sleep 3
start=$(date +%s)
until curl -s -m 5 -o /dev/null "$base/healthz"; do
	[ $(($(date +%s) - start)) -lt 40 ] || fail "locked out for 40 s by idle connections"
	sleep 1
done
say "new connection served after $(($(date +%s) - start)) s"
kill "$idler"
say "ok"
