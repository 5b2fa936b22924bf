#!/bin/sh
# check-options.sh: every long option of bin/TOOL.c must appear in
# man/TOOL.1, as ".Fl \-name", ".Fl -name" or "\-\-name" (a stand-in for
# curl's single source of option docs).  Prints the missing ones and exits 1
# if there are any.  Run from the top of the tree (make lint does).
set -u

cd "$(dirname "$0")/.." || exit 1
missing=0
checked=0

# The long option names of a C file: the string literals that open the
# entries of its "struct option" arrays, or follow the code in the entries
# of its "struct tool_opt" tables.
long_options() {
	awk '
	/struct[ \t]+(tool_opt|option)[ \t]/ { inopt = 1 }
	inopt {
		line = $0
		while (match(line, /\{[ \t]*([^ \t{},"]+[ \t]*,[ \t]*)?"[^"]+"/)) {
			name = substr(line, RSTART, RLENGTH)
			sub(/^[^"]*"/, "", name)
			sub(/"$/, "", name)
			print name
			line = substr(line, RSTART + RLENGTH)
		}
		if ($0 ~ /\}[ \t]*;/)
			inopt = 0
	}' "$1"
}

for src in bin/*.c; do
	[ -e "$src" ] || { echo "check-options: no bin/*.c yet" >&2; break; }
	tool=$(basename "$src" .c)
	page=man/$tool.1
	if [ ! -f "$page" ]; then
		echo "check-options: $tool: no $page, skipped" >&2
		continue
	fi
	for opt in $(long_options "$src"); do
		checked=$((checked + 1))
		# "-" in the name is literal; escape regex metacharacters.
		re=$(printf '%s' "$opt" | sed 's/[].[^$*\\/]/\\&/g')
		# ".Fl \-name", ".Fl -name", ".Fl c , -name", "\-\-name"
		if ! grep -Eq "(^|[^A-Za-z0-9_\\\\-])(\\\\?-){1,2}$re([^A-Za-z0-9_-]|\$)" \
		    "$page"; then
			echo "$page: missing --$opt (from $src)"
			missing=$((missing + 1))
		fi
	done
done

# Pages without a source are worth a note too.
for page in man/*.1; do
	[ -e "$page" ] || break
	tool=$(basename "$page" .1)
	[ -f "bin/$tool.c" ] ||
	    echo "check-options: $tool: no bin/$tool.c, skipped" >&2
done

if [ "$missing" -gt 0 ]; then
	echo "check-options: $missing long option(s) missing from man pages" >&2
	exit 1
fi
echo "check-options: $checked long option(s) documented"
