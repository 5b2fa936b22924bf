/*
 * libFuzzer target: a BigQuery answer of arbitrary bytes through the page
 * scanner (bq_query_from_text, bq_query_next_row) and the row conversion,
 * with the answer's own schema or, failing that, one of every type.
 */
#include <stdint.h>

#include "bq.h"
#include "bqrow.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static const char every_type[] = "[{\"name\":\"ts\",\"type\":\"TIMESTAMP\"},"
    "{\"name\":\"i\",\"type\":\"INT64\"},{\"name\":\"f\",\"type\":\"FLOAT\"},"
    "{\"name\":\"b\",\"type\":\"BOOL\"},{\"name\":\"j\",\"type\":\"JSON\"},"
    "{\"name\":\"r\",\"type\":\"RECORD\",\"mode\":\"REPEATED\",\"fields\":["
    "{\"name\":\"s\",\"type\":\"STRING\",\"mode\":\"REPEATED\"}]}]";

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct bq_err err = BQ_ERR_INIT;
	struct strbuf out = STRBUF_INIT;
	struct bq_query *q;
	struct bqrow *r = NULL;
	const cJSON *row;
	cJSON *fallback = cJSON_Parse(every_type);
	int64_t us;

	if ((q = bq_query_from_text((const char *)data, size, &err)) == NULL)
		goto out;
	if ((r = bqrow_new(bq_query_schema(q), &err)) == NULL &&
	    (r = bqrow_new(fallback, &err)) == NULL)
		goto out;
	while (bq_query_fetch_page(q, &err) == 1)
		while (bq_query_next_row(q, &row, &err) == 1) {
			bqrow_cell_micros(row, 0, &us);
			bqrow_write(r, row, &out, &err);
			strbuf_reset(&out);
		}
out:
	strbuf_release(&out);
	bqrow_free(r);
	bq_query_free(q);
	cJSON_Delete(fallback);
	return 0;
}
