/*
 * libFuzzer target: the timestamp parsers on arbitrary text, and the
 * invariants between them (whatever parses formats, and the canonical
 * form and the float-seconds form read back as the same microseconds
 * where a double can hold them).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ts.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s, buf[TS_BUFSZ];
	int64_t t, back;

	if ((s = malloc(size + 1)) == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (ts_parse(s, &t) == 0) {
		if (t < TS_MIN_MICROS || t > TS_MAX_MICROS ||
		    ts_parse(ts_format(t, buf), &back) != 0 || back != t)
			abort();
	}
	if (ts_parse_seconds(s, &t) == 0) {
		if (t < TS_MIN_MICROS || t > TS_MAX_MICROS)
			abort();
		ts_format_seconds(t, buf);
		/* a double holds every microsecond below 2^33 seconds */
		if (t > -8589934592000000LL && t < 8589934592000000LL &&
		    (ts_parse_seconds(buf, &back) != 0 || back != t))
			abort();
	}
	if (ts_parse_micros(s, &t) == 0 &&
	    (t < TS_MIN_MICROS || t > TS_MAX_MICROS))
		abort();
	free(s);
	return 0;
}
