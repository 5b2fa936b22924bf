#!/usr/bin/env bash
# quick
# Every tool of the Makefile's TOOLS answers -V with "<tool> <version>" and
# -h with its usage, exit 0, and neither says 0 when its output is lost: a
# write to a full device is exit 74 (bqsync(7), EXIT STATUS).  --help
# lists every option of the man page's SYNOPSIS with a line of its own, and
# a usage error shows the synopsis alone on stderr, exit 64.
. "$(dirname "$0")/lib.sh"
tools=$(sed -n '/^TOOLS = /,/[^\\]$/p' "$top/Makefile" | sed 's/^TOOLS = //; s/\\$//' | xargs)
[ "$(echo "$tools" | wc -w)" -ge 8 ] || fail "TOOLS not found in the Makefile: '$tools'"
version=$(sed -n 's/^VERSION = //p' "$top/Makefile")

# The options of a page's SYNOPSIS, one a line: -c for "Fl c" (each letter
# of "Fl hqVv"), --name for "Fl \-name" or "Fl -name".
synopsis_options() {
	sed -n '/^\.Sh SYNOPSIS/,/^\.Sh [^S]/p' "$1" |
	    grep -o 'Fl [^ ]*' | sed 's/^Fl //; s/\\//g' | sort -u |
	    while read -r f; do
		case $f in
		-*) echo "-$f" ;;
		*) echo "$f" | fold -w1 | sed 's/^/-/' ;;
		esac
	    done
}

for t in $tools; do
	expect_eq "$t $version" "$("$t" -V)" "$t -V"
	"$t" -h > "$T/$t.help" || fail "$t -h: exit $?"
	grep -q "^usage: $t" "$T/$t.help" || fail "$t -h: $(head -n 2 "$T/$t.help")"
	"$t" --help | cmp -s - "$T/$t.help" || fail "$t --help differs from -h"
	for o in $(synopsis_options "$top/man/$t.1"); do
		# an option line: "  -c, --config=file  ..." or "      --once  ..."
		grep -Eq -- "^ +(-[A-Za-z], )?$o([ =,]|\$)" "$T/$t.help" ||
		    fail "$t --help: no line for $o of its SYNOPSIS"
	done
	must_fail 64 "$t" --no-such-option 2> "$T/$t.usage"
	grep -q "^usage: $t" "$T/$t.usage" || fail "$t: usage error: $(head -n 2 "$T/$t.usage")"
	! grep -Eq '^ +-' "$T/$t.usage" || fail "$t: the usage error lists options"
	must_fail 74 "$t" -V > /dev/full
	must_fail 74 "$t" -h > /dev/full
	must_fail 74 "$t" --help > /dev/full
	must_fail 74 "$t" --version > /dev/full
done

# scripts/main-job.sh --help: its usage, not its code.
"$top/scripts/main-job.sh" --help > "$T/main-job.help" || fail "main-job.sh --help: exit $?"
grep -q 'scripts/main-job.sh \[--days N\]' "$T/main-job.help" || fail "main-job.sh --help: no usage"
! grep -Eq '^(set|top=)' "$T/main-job.help" || fail "main-job.sh --help prints its code: $(tail -n 2 "$T/main-job.help")"
say "ok: $tools"
