#!/usr/bin/env bash
# quick
# Every tool of the Makefile's TOOLS answers -V with "<tool> <version>" and
# -h with its usage, exit 0, and neither says 0 when its output is lost: a
# write to a full device is exit 74 (bqsync(7), EXIT STATUS).
. "$(dirname "$0")/lib.sh"
tools=$(sed -n '/^TOOLS = /,/[^\\]$/p' "$top/Makefile" | sed 's/^TOOLS = //; s/\\$//' | xargs)
[ "$(echo "$tools" | wc -w)" -ge 8 ] || fail "TOOLS not found in the Makefile: '$tools'"
version=$(sed -n 's/^VERSION = //p' "$top/Makefile")
for t in $tools; do
	expect_eq "$t $version" "$("$t" -V)" "$t -V"
	"$t" -h > "$T/$t.help" || fail "$t -h: exit $?"
	grep -q "^usage: $t" "$T/$t.help" || fail "$t -h: $(head -n 2 "$T/$t.help")"
	must_fail 74 "$t" -V > /dev/full
	must_fail 74 "$t" -h > /dev/full
done
say "ok: $tools"
