/*
 * libFuzzer target: canonical JSON of arbitrary JSON is valid JSON, and
 * canonicalizing it again changes nothing (so ids are stable across a
 * round trip through any JSON tool that keeps the values).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "row.h"
#include "util.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	cJSON *v, *w;
	char id[ROW_ID_LEN + 1];

	if ((v = cJSON_ParseWithLength((const char *)data, size)) == NULL)
		return 0;
	row_canonical(v, &a);
	if ((w = cJSON_Parse(a.buf)) == NULL)
		abort();
	row_canonical(w, &b);
	if (strcmp(a.buf, b.buf) != 0)
		abort();
	row_id(v, NULL, 0, id, NULL);
	cJSON_Delete(w);
	cJSON_Delete(v);
	strbuf_release(&a);
	strbuf_release(&b);
	return 0;
}
