#!/usr/bin/env bash
# config-errors: every tool reports config.yaml problems the same way,
# "TOOL: FILE:LINE: ..." with exit 78, and an unreadable explicit file with
# exit 74; -c beats $BQSYNC_CONFIG.  No Harper needed: the tools stop at
# the config.
# quick
. "$(dirname "$0")/lib.sh"

# One invocation per tool that reads the config before anything else.
run_tool() {	# run_tool TOOL [config options...]
	local tool=$1
	shift
	case $tool in
	bq-partition) bq-partition "$@" -w 0/1 < /dev/null ;;
	bq-checkpoint) bq-checkpoint "$@" --state "$T/state.json" get ;;
	harper-load) harper-load "$@" < /dev/null ;;
	bq-pull) bq-pull "$@" -t t --dry-run ;;
	maritime-synth) maritime-synth "$@" generate -t vessel_positions -n 1 ;;
	esac
}

tools=()
for t in bq-partition bq-checkpoint harper-load bq-pull maritime-synth; do
	[ -x "$top/bin/$t" ] && tools+=("$t")
done
[ ${#tools[@]} -gt 0 ] || fail "no tool built"

cat > "$T/unknown.yaml" <<'Y'
bigquery:
  dataset: d
  foo: 1
Y
cat > "$T/badval.yaml" <<'Y'
harper:
  batchRows: x
Y
cat > "$T/dup.yaml" <<'Y'
bigquery:
  tables:
    - id: a
      targetTable: A
    - id: a
      targetTable: B
Y
printf 'harper:\n  url: [\n' > "$T/syntax.yaml"

for tool in "${tools[@]}"; do
	say "$tool"
	must_fail 74 run_tool "$tool" -c "$T/missing.yaml" 2> "$T/err"
	expect_eq "$tool: cannot open '$T/missing.yaml': No such file or directory" \
	    "$(cat "$T/err")" "$tool missing file"

	must_fail 78 run_tool "$tool" -c "$T/unknown.yaml" 2> "$T/err"
	expect_eq "$tool: $T/unknown.yaml:3: unknown key 'bigquery.foo'" \
	    "$(cat "$T/err")" "$tool unknown key"

	must_fail 78 run_tool "$tool" -c "$T/badval.yaml" 2> "$T/err"
	expect_eq "$tool: $T/badval.yaml:2: key 'harper.batchRows': expected a positive integer, got 'x'" \
	    "$(cat "$T/err")" "$tool bad value"

	must_fail 78 run_tool "$tool" -c "$T/dup.yaml" 2> "$T/err"
	expect_eq "$tool: $T/dup.yaml:5: duplicate table id 'a'" \
	    "$(cat "$T/err")" "$tool duplicate id"

	must_fail 78 run_tool "$tool" -c "$T/syntax.yaml" 2> "$T/err"
	grep -q "^$tool: $T/syntax.yaml:[0-9]*: invalid YAML: " "$T/err" ||
	    fail "$tool syntax error: $(cat "$T/err")"

	# $BQSYNC_CONFIG is read when there is no -c ...
	BQSYNC_CONFIG=$T/unknown.yaml must_fail 78 run_tool "$tool" 2> "$T/err"
	expect_eq "$tool: $T/unknown.yaml:3: unknown key 'bigquery.foo'" \
	    "$(cat "$T/err")" "$tool via BQSYNC_CONFIG"
done

# Numbers out of their option's range stop every tool at load (once spun
# at 92 % CPU, aborted, or took 3.1 GB), naming file, line and key.
for v in 9223372036854775807 2147483648 100000000; do
	printf 'harper:\n  batchRows: %s\n  inFlight: 2\n' "$v" > "$T/range.yaml"
	for tool in "${tools[@]}"; do
		must_fail 78 run_tool "$tool" -c "$T/range.yaml" 2> "$T/err"
		expect_eq "$tool: $T/range.yaml:2: key 'harper.batchRows': expected an integer from 1 to 1000000, got '$v'" \
		    "$(cat "$T/err")" "$tool batchRows $v"
	done
done
printf 'harper:\n  inFlight: 2147483648\n' > "$T/range.yaml"
must_fail 78 harper-load -c "$T/range.yaml" < /dev/null 2> "$T/err"
expect_eq "harper-load: $T/range.yaml:2: key 'harper.inFlight': expected an integer from 1 to 64, got '2147483648'" \
    "$(cat "$T/err")" "inFlight"
# The options have the same bounds (exit 64).
must_fail 64 harper-load -b 1000001 < /dev/null 2> "$T/err"
expect_eq "harper-load: invalid value '1000001' for --batch-rows (1..1000000)" \
    "$(cat "$T/err")" "--batch-rows"
must_fail 64 harper-load -j 65 < /dev/null 2> /dev/null

# Bad table names are refused before any request (64 for an option, 78
# for the config); HARPER_URL points at a closed port, so a request would
# end in another status.
port=$(free_port)
export HARPER_URL=http://127.0.0.1:$port
for name in $'a\tb' a/b ../../etc; do
	shown=${name//$'\t'/?}
	must_fail 64 harper-load -t "$name" < /dev/null 2> "$T/err"
	grep -qF "harper-load: invalid name '$shown' for --table" "$T/err" ||
	    fail "harper-load -t: $(cat "$T/err")"
	must_fail 64 bq-pull -t "$name" --dry-run 2> /dev/null
	must_fail 64 bq-pull --source-table "$name" --dry-run 2> /dev/null
	must_fail 64 bq-checkpoint -t "$name" --state "$T/state.json" get 2> /dev/null
	must_fail 64 bq-partition -t "$name" -w 0/1 < /dev/null 2> /dev/null
	printf 'bigquery:\n  tables:\n    - id: t\n      targetTable: "%s"\n' \
	    "${name//$'\t'/\\t}" > "$T/name.yaml"
	for tool in "${tools[@]}"; do
		must_fail 78 run_tool "$tool" -c "$T/name.yaml" 2> "$T/err"
		grep -qF "$tool: $T/name.yaml:4: key 'bigquery.tables[0].targetTable': expected a name (" "$T/err" ||
		    fail "$tool targetTable '$shown': $(cat "$T/err")"
	done
done
[ ! -e "$T/state.json" ] || fail "a state file was written"
unset HARPER_URL

# ... and -c wins over it: the bad file named by the environment is not
# read, so the filter runs (an empty input gives an empty output).
printf 'sync:\n  pollInterval: 30000\n' > "$T/good.yaml"
out=$(BQSYNC_CONFIG=$T/unknown.yaml bq-partition -c "$T/good.yaml" -w 0/1 < /dev/null)
expect_eq "" "$out" "bq-partition output with -c"
say "ok"
