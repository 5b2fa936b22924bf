#!/usr/bin/env bash
# quick
# pull-bad-response: bq-pull --from-response refuses a row whose cells do
# not match their types (INT64 "abc", FLOAT64 "1.5.5", an INT64 beyond
# int64) or are not {"v":...}: exit 65, naming file, row and column,
# instead of passing them on as strings or nulls.  No server needed.
. "$(dirname "$0")/lib.sh"

# response ROW...: a jobs.query answer with schema ts, n INT64, x FLOAT64,
# tags STRING REPEATED.
response() {
	local rows
	rows=$(IFS=,; echo "$*")
	printf '{"kind":"bigquery#queryResponse","jobComplete":true,'
	printf '"schema":{"fields":[{"name":"ts","type":"TIMESTAMP"},'
	printf '{"name":"n","type":"INT64"},{"name":"x","type":"FLOAT64"},'
	printf '{"name":"tags","type":"STRING","mode":"REPEATED"}]},'
	printf '"totalRows":"%d","rows":[%s]}\n' $# "$rows"
}
good='{"f":[{"v":"1699089600000001"},{"v":"1"},{"v":"1.5"},{"v":[{"v":"a"}]}]}'

response "$good" > "$T/good.json"
bq-pull --from-response "$T/good.json" > "$T/out"
expect_eq 1 "$(wc -l < "$T/out")" "good rows"
grep -q '"n":1,"x":1.5,"tags":\["a"\]' "$T/out" || fail "good row: $(cat "$T/out")"

check() {	# check ROW MESSAGE
	response "$good" "$1" > "$T/bad.json"
	must_fail 65 bq-pull --from-response "$T/bad.json" > "$T/out" 2> "$T/err"
	expect_eq "bq-pull: $T/bad.json: row 2: $2" "$(cat "$T/err")" "$1"
}
check '{"f":[{"v":"1699089600000002"},{"v":"abc"},{"v":"1"},{"v":[]}]}' \
    "column 'n': bad INT64 'abc'"
check '{"f":[{"v":"1699089600000002"},{"v":"1.5"},{"v":"1"},{"v":[]}]}' \
    "column 'n': bad INT64 '1.5'"
check '{"f":[{"v":"1699089600000002"},{"v":"9223372036854775808"},{"v":"1"},{"v":[]}]}' \
    "column 'n': bad INT64 '9223372036854775808'"
check '{"f":[{"v":"1699089600000002"},{"v":"2"},{"v":"1.5.5"},{"v":[]}]}' \
    "column 'x': bad FLOAT64 '1.5.5'"
check '{"f":[{"v":"1699089600000002"},{"v":"2"},{"v":"inf"},{"v":[]}]}' \
    "column 'x': bad FLOAT64 'inf'"
check '{"f":[{"v":"1699089600000002"},"2",{"v":"1"},{"v":[]}]}' \
    "column 'n': cell is not {\"v\":...}"
check '{"f":[{"v":"1699089600000002"},{"w":"2"},{"v":"1"},{"v":[]}]}' \
    "column 'n': cell is not {\"v\":...}"
check '{"f":[{"v":"1699089600000002"},{"v":"2"},{"v":"1"},{"v":["a"]}]}' \
    "column 'tags': cell is not {\"v\":...}"
say "ok"
