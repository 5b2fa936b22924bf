#!/bin/sh
# bench-ndjson.sh: throughput and peak memory of the NDJSON reader.
#
# Measured: ndjson_next_object() (read(2)+memchr framing, UTF-8 check,
# strict cJSON parse) over generated rows.  Baseline, same run, same input:
# getline(3) + cJSON_ParseWithLength(), the obvious way to write it.  Also
# reports line splitting alone against `wc -l`, and the peak RSS for an input
# whose longest line is 10 MB (the reader's memory is bounded by its
# longest line, so this should stay a small multiple of 10 MB).
set -eu

cd "$(dirname "$0")/.."
make -s lib/libbqsync.a
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
rows=${BENCH_ROWS:-500000}

cat > "$tmp/drv.c" <<'CEOF'
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>
#include "ndjson.h"

int
main(int argc, char **argv)
{
	struct bq_err err = BQ_ERR_INIT;
	struct ndjson_reader *r = ndjson_reader_new(0, "<stdin>");
	unsigned long n = 0;
	const char *line;
	size_t len;
	cJSON *o;
	int rc;

	if (argc > 1 && strcmp(argv[1], "lines") == 0) {
		while (ndjson_read_line(r, &line, &len, &err) == 1)
			n++;
	} else if (argc > 1 && strcmp(argv[1], "getline") == 0) {
		char *buf = NULL;
		size_t cap = 0;
		ssize_t got;

		while ((got = getline(&buf, &cap, stdin)) > 0) {
			if ((o = cJSON_ParseWithLength(buf, (size_t)got)) != NULL)
				n++;
			cJSON_Delete(o);
		}
		free(buf);
	} else {
		while ((rc = ndjson_next_object(r, &o, &err)) != 0) {
			if (rc == 1)
				n++;
			cJSON_Delete(o);
		}
	}
	ndjson_reader_free(r);
	printf("%lu\n", n);
	return 0;
}
CEOF
${CC:-cc} -O2 -std=c11 -D_GNU_SOURCE -Ilib -o "$tmp/drv" "$tmp/drv.c" \
    lib/libbqsync.a -lcjson

awk -v n="$rows" 'BEGIN {
	for (i = 0; i < n; i++)
		printf "{\"mmsi\":%d,\"timestamp\":\"2025-11-04T15:59:%02d.%06dZ\",\"lat\":%.6f,\"lon\":%.6f,\"name\":\"VESSEL %d \\u00e9\",\"speed\":%.1f,\"ok\":true,\"x\":null}\n", 200000000 + i, i % 60, i % 1000000, (i % 180) - 90 + 0.123456, (i % 360) - 180 + 0.654321, i, (i % 300) / 10.0
}' > "$tmp/rows.ndjson"
bytes=$(wc -c < "$tmp/rows.ndjson")

# Seconds of the best of three runs of "$@" < file.
best() {
	file=$1; shift
	b=""
	for _ in 1 2 3; do
		t0=$(date +%s.%N)
		"$@" < "$file" > /dev/null
		t1=$(date +%s.%N)
		b=$(echo "$t0 $t1 ${b:-x}" | awk '{ d = $2 - $1; if ($3 == "x" || d < $3) print d; else print $3 }')
	done
	echo "$b"
}

t_obj=$(best "$tmp/rows.ndjson" "$tmp/drv" objects)
t_base=$(best "$tmp/rows.ndjson" "$tmp/drv" getline)
t_lines=$(best "$tmp/rows.ndjson" "$tmp/drv" lines)
t_wc=$(best "$tmp/rows.ndjson" wc -l)
mb() { echo "$bytes $1" | awk '{ printf "%.1f", $1 / 1048576 / $2 }'; }

echo "input: $rows rows, $bytes bytes"
echo "ndjson_next_object: $(mb "$t_obj") MB/s ($t_obj s)"
echo "baseline getline+cJSON_ParseWithLength: $(mb "$t_base") MB/s ($t_base s)"
echo "ratio: $(echo "$t_base $t_obj" | awk '{ printf "%.2f", $1 / $2 }')"
echo "ndjson_read_line: $(mb "$t_lines") MB/s; wc -l: $(mb "$t_wc") MB/s"

# Peak RSS: many short lines, then one 10 MB line among short ones.
rss_rows=$(/usr/bin/time -f %M "$tmp/drv" objects < "$tmp/rows.ndjson" 2>&1 >/dev/null)
{ head -n 1000 "$tmp/rows.ndjson"
  printf '{"big":"'; head -c 10485760 /dev/zero | tr '\0' x; printf '"}\n'
  head -n 1000 "$tmp/rows.ndjson"; } > "$tmp/big.ndjson"
rss_big=$(/usr/bin/time -f %M "$tmp/drv" lines < "$tmp/big.ndjson" 2>&1 >/dev/null)
echo "peak RSS: ${rss_rows} KiB over $rows short rows; ${rss_big} KiB with one 10 MiB line (lines mode)"
