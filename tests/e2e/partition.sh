#!/usr/bin/env bash
# bq-partition: FARM_FINGERPRINT of every reference vector, the union of
# N workers' shares is the input exactly once (N = 1..7), the micros
# scheme's skew, control lines, bad lines, whoami, and the man page's
# EXAMPLES.
# quick
. "$(dirname "$0")/lib.sh"

fix=$top/tests/fixtures/bigquery/farm_fingerprint_vectors.json

# --- fingerprint: every fixture vector, through --hex --------------------
jq -r '.vectors[].input_hex' "$fix" > "$T/hex"
jq -r '.vectors[].farm_fingerprint_int64' "$fix" > "$T/want"
bq-partition fingerprint --hex "$T/hex" > "$T/got"
expect_eq 33 "$(wc -l < "$T/got")" "vectors"
diff -u "$T/want" "$T/got" || fail "fingerprint vectors"
# plain lines: bytes as they are, "\n" and "\r\n" not included
printf 'foo\r\nhello world\n\n1footrue' | bq-partition fingerprint > "$T/got"
printf '%s\n' 6150913649986995171 6381520714923946011 \
    -7286425919675154353 -1541654101129638711 | diff -u - "$T/got"
must_fail 65 sh -c 'printf "6162\nabc\n0g\n" | bq-partition fingerprint -x > "$1"' _ "$T/x"
expect_eq 1 "$(wc -l < "$T/x")" "valid hex lines still printed"

# --- rows: second-precision timestamps, several rows per second ----------
bqtest gen partition > "$T/rows"
sort "$T/rows" > "$T/rows.sorted"
# the expected owner of every row, computed outside bq-partition's filter:
# Python's decimal micros -> fingerprint -> ABS(MOD(fp, N)), C/BigQuery MOD
bqtest micros "$T/rows" > "$T/micros"
bq-partition fingerprint "$T/micros" > "$T/fps"
# exp_N_i: the rows of worker i of N, |fp rem N| = |fp| mod N (MOD truncates)
bqtest gen partition-expected "$T"
for N in 1 2 3 4 5 6 7; do
	: > "$T/union"
	for ((i = 0; i < N; i++)); do
		bq-partition --worker "$i/$N" "$T/rows" > "$T/w$i"
		[ -s "$T/w$i" ] || fail "worker $i/$N is empty"
		cat "$T/w$i" >> "$T/union"
		diff -u "$T/exp_${N}_$i" "$T/w$i" > /dev/null ||
		    fail "worker $i/$N has other rows than ABS(MOD(fp, N)) = i"
	done
	sort "$T/union" | diff -u "$T/rows.sorted" - > /dev/null ||
	    fail "N=$N: union of the workers is not the input"
	expect_eq "" "$(sort "$T/union" | uniq -d)" "N=$N rows seen twice"
	# all rows of one timestamp on one worker
	for ((i = 0; i < N; i++)); do
		jq -r .timestamp "$T/w$i" | sort -u
	done | sort | uniq -d > "$T/split"
	[ ! -s "$T/split" ] || fail "N=$N: a timestamp on two workers"
	say "N=$N: $(for ((i = 0; i < N; i++)); do printf '%s ' "$(wc -l < "$T/w$i")"; done)"
done

# --- micros scheme: MOD(UNIX_MICROS) skews on whole seconds ---------------
expect_eq 3000 "$(bq-partition -p micros -w 0/2 "$T/rows" | wc -l)" "micros 0/2"
expect_eq 0 "$(bq-partition -p micros -w 1/2 "$T/rows" | wc -l)" "micros 1/2"
expect_eq 0 "$(bq-partition -p micros -w 1/6 "$T/rows" | wc -l)" "micros 1/6"
for i in 0 1 2; do
	[ "$(bq-partition -p micros -w "$i/3" "$T/rows" | wc -l)" -gt 0 ] ||
	    fail "micros $i/3 empty (10^6 mod 3 = 1 spreads)"
done
# the scheme comes from the configuration too
printf 'bigquery:\n  partition: micros\n' > "$T/micros.yaml"
expect_eq 0 "$(bq-partition -c "$T/micros.yaml" -w 1/2 "$T/rows" | wc -l)" "config micros"
expect_eq 3000 "$(bq-partition -c "$T/micros.yaml" -p fingerprint -w 0/1 "$T/rows" | wc -l)" "option over config"
# a pre-1970 timestamp: ABS(MOD(-1, 2)) = 1
expect_eq '{"timestamp":"1969-12-31T23:59:59.999999Z"}' \
    "$(echo '{"timestamp":"1969-12-31T23:59:59.999999Z"}' | bq-partition -p micros -w 1/2)"

# --- the timestamp column: -k, the table's timestampColumn, micros -------
cat > "$T/tables.yaml" <<'EOF'
bigquery:
  projectId: p
  dataset: d
  tables:
    - id: events
      table: port_events
      timestampColumn: event_time
EOF
printf '{"event_time":1699089600000000}\n{"event_time":"1699089600000000"}\n{"event_time":"2023-11-04 10:20:00+01:00"}\n' > "$T/ev"
for f in "-k event_time" "-c $T/tables.yaml" "-c $T/tables.yaml -t events" "-c $T/tables.yaml -t port_events"; do
	# shellcheck disable=SC2086
	expect_eq 3 "$(bq-partition $f -w 2/3 "$T/ev" | wc -l)" "column via $f"
done
must_fail 65 bq-partition -w 0/1 "$T/ev" 2> "$T/err"
grep -q "ev:1: no timestamp column 'timestamp'" "$T/err" || fail "missing column message"

# --- control lines pass through, in place --------------------------------
{
	echo '{"@bqsync":"begin"}'
	head -n 300 "$T/rows"
	echo '{"@bqsync":"sync","cursor":"2025-11-04T15:01:39.000000Z"}'
	echo '{"@bqsync":"end"}'
} > "$T/stream"
for i in 0 1 2; do
	bq-partition -w "$i/3" < "$T/stream" > "$T/s$i"
	expect_eq '{"@bqsync":"begin"}' "$(head -n 1 "$T/s$i")" "begin first"
	expect_eq '{"@bqsync":"end"}' "$(tail -n 1 "$T/s$i")" "end last"
	expect_eq '{"@bqsync":"sync","cursor":"2025-11-04T15:01:39.000000Z"}' \
	    "$(tail -n 2 "$T/s$i" | head -n 1)" "sync in place"
done
expect_eq 309 "$(cat "$T/s0" "$T/s1" "$T/s2" | wc -l)" "stream union (300 rows + 3 x 3 control lines)"

# --- bad lines: named with line numbers, skipped, exit 65 ----------------
printf '%s\n' '{"timestamp":"2025-11-04T15:00:00Z","a":1}' 'not json' \
    '{"timestamp":"2025-02-30T00:00:00Z"}' '[1,2]' '' \
    '{"timestamp":null}' '{"timestamp":"2025-11-04T15:00:00Z","a":2}' > "$T/bad"
must_fail 65 bq-partition -w 0/1 < "$T/bad" > "$T/out" 2> "$T/err"
cat > "$T/want" <<'EOF'
bq-partition: <stdin>:2: invalid JSON
bq-partition: <stdin>:3: invalid timestamp in column 'timestamp'
bq-partition: <stdin>:4: not a JSON object
bq-partition: <stdin>:6: invalid timestamp in column 'timestamp'
EOF
diff -u "$T/want" "$T/err"
expect_eq 2 "$(wc -l < "$T/out")" "good lines kept"
must_fail 65 bq-partition --strict -w 0/1 "$T/bad" > "$T/out" 2> "$T/err"
expect_eq 1 "$(wc -l < "$T/out")" "--strict stops"
expect_eq "bq-partition: $T/bad:2: invalid JSON" "$(cat "$T/err")"
# usage and I/O errors
must_fail 64 bq-partition < "$T/rows"
must_fail 64 bq-partition -w 3/3 < "$T/rows"
must_fail 64 bq-partition -w 1 < "$T/rows"
must_fail 64 bq-partition -w 0/1 -p nope < "$T/rows"
must_fail 64 bq-partition -w 0/1 -k a -t b < "$T/rows"
must_fail 74 bq-partition -w 0/1 "$T/nonexistent"
must_fail 74 bq-partition -c "$T/nonexistent.yaml" -w 0/1 < "$T/rows"
printf 'bigquery:\n  partition: sideways\n' > "$T/badcfg.yaml"
must_fail 78 bq-partition -c "$T/badcfg.yaml" -w 0/1 < "$T/rows"
# SIGPIPE: a closed reader ends the filter quietly
set +e
bq-partition -w 0/1 "$T/rows" 2> "$T/err" | head -n 1 > /dev/null
st=("${PIPESTATUS[@]}")
set -e
expect_eq 141 "${st[0]}" "SIGPIPE status"
[ ! -s "$T/err" ] || fail "SIGPIPE printed: $(cat "$T/err")"

# --- whoami ---------------------------------------------------------------
expect_eq '{"worker":"harper-1-0","index":2,"count":6,"workers":["harper-0-0","harper-0-1","harper-1-0","harper-1-1","harper-2-0","harper-2-1"]}' \
    "$(bq-partition whoami --peers harper-0,harper-2 --threads 2 --self harper-1-0)"
expect_eq '["node-1-0","node-10-0","node-2-0"]' \
    "$(bq-partition whoami -P node-10,node-1 -s node-2-0 | jq -c .workers)" "bytewise order"
(
	eval "$(bq-partition whoami -P harper-0,harper-1 -n 2 -s harper-2-1 --format sh)"
	expect_eq 5/6 "$BQSYNC_WORKER"
	expect_eq 5 "$BQSYNC_WORKER_INDEX"
	expect_eq 6 "$BQSYNC_WORKER_COUNT"
	expect_eq harper-2-1 "$BQSYNC_WORKER_NAME"
)
(
	eval "$(bq-partition whoami -s "it's;\$(false)-0" -f sh)"
	expect_eq "it's;\$(false)-0" "$BQSYNC_WORKER_NAME" "quoting"
	expect_eq 0/1 "$BQSYNC_WORKER"
)
expect_eq "$(hostname)-0" "$(bq-partition whoami | jq -r .worker)" "default self"
must_fail 64 bq-partition whoami -s h1-2 -n 2
must_fail 64 bq-partition whoami -s nothread
must_fail 64 bq-partition whoami -f xml
# the index is what --worker takes: each worker keeps its own share
w=$(bq-partition whoami -P h1 -n 2 -s h2-1 -f json | jq -r '"\(.index)/\(.count)"')
expect_eq 3/4 "$w"
[ "$(bq-partition -w "$w" "$T/rows" | wc -l)" -gt 0 ] || fail "worker $w empty"

# --- the man page's EXAMPLES, run as written ------------------------------
# Each .Bd block runs as one shell script in a directory holding
# rows.ndjson; each "$ cmd" line's output must be the lines after it, up
# to the next "$ " or .Ed.
mkdir -p "$T/man" && cp "$T/rows" "$T/man/rows.ndjson"
awk -v dir="$T/man" '
    /^\.Sh EXAMPLES/ { on = 1; next }
    /^\.Sh / { on = 0 }
    on && /^\.Bd/ { b++; script = dir "/block" b ".sh"; printf "" > script; next }
    on && /^\.Ed/ { script = ""; next }
    on && script != "" && /^\$ / {
	c++; sub(/^\$ /, "")
	printf "{ %s\n} > cmd%d.out\n", $0, c >> script
	printf "" > (dir "/cmd" c ".want"); want = dir "/cmd" c ".want"; next
    }
    on && script != "" { print >> want }
    END { print c > (dir "/ncmds") }' "$top/man/bq-partition.1"
expect_eq 6 "$(cat "$T/man/ncmds")" "example commands"
for b in "$T"/man/block*.sh; do
	(cd "$T/man" && bash -euo pipefail "$b") || fail "example $b failed: $(cat "$b")"
done
for ((k = 1; k <= 6; k++)); do
	diff -u "$T/man/cmd$k.want" "$T/man/cmd$k.out" || fail "example $k output"
done
diff -u "$T/man/mine.ndjson" <(bq-partition -w 1/6 "$T/rows") || fail "eval example"
say "ok"
