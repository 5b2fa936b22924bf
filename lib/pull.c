#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bqrow.h"
#include "pull.h"
#include "ts.h"
#include "util.h"
#include "banned.h"

long
pull_phase(const struct config_sync *s, int64_t cursor, double *poll)
{
	double lag = (double)(ts_now() - cursor) / 1e6;

	if (lag > s->catchup_threshold) {
		*poll = s->initial_poll;
		return s->initial_batch;
	}
	if (lag > s->steady_threshold) {
		*poll = s->catchup_poll;
		return s->catchup_batch;
	}
	*poll = s->steady_poll;
	return s->steady_batch;
}

static int
put(struct pull *p, const char *s, size_t n, int flush)
{
	if ((n > 0 && fwrite(s, 1, n, p->out) != n) ||
	    (flush && fflush(p->out) == EOF)) {
		p->write_errno = errno ? errno : EIO;
		return -1;
	}
	return 0;
}

int
pull_marker(struct pull *p, const char *what, int64_t cursor)
{
	char tb[TS_BUFSZ], line[96];

	if (!p->markers)
		return 0;
	if (cursor == INT64_MIN)
		snprintf(line, sizeof(line), "{\"@bqsync\":\"%s\"}\n", what);
	else
		snprintf(line, sizeof(line), "{\"@bqsync\":\"%s\","
		    "\"cursor\":\"%s\"}\n", what, ts_format(cursor, tb));
	return put(p, line, strlen(line), 1);
}

/* Writes o as one line and frees it. */
static int
put_json(struct pull *p, cJSON *o)
{
	char *text = cJSON_PrintUnformatted(o);
	int rc;

	if (text == NULL)
		abort();
	cJSON_Delete(o);
	rc = put(p, text, strlen(text), 0) == -1 || put(p, "\n", 1, 1) == -1 ?
	    -1 : 0;
	free(text);
	return rc;
}

static cJSON *
control(const char *what)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "@bqsync", what);
	return o;
}

int
pull_begin(struct pull *p, const char *table)
{
	char w[48];
	cJSON *o;

	if (!p->markers)
		return 0;
	o = control("begin");
	if (table != NULL)
		cJSON_AddStringToObject(o, "table", table);
	snprintf(w, sizeof(w), "%d/%d", p->worker, p->nworkers);
	cJSON_AddStringToObject(o, "worker", w);
	p->begun = 1;
	return put_json(p, o);
}

int
pull_sync(struct pull *p, int64_t cursor, int newer, int64_t billed,
    int64_t processed)
{
	char tb[TS_BUFSZ];
	cJSON *o;

	if (!p->markers)
		return 0;
	o = control("sync");
	cJSON_AddStringToObject(o, "cursor", ts_format(cursor, tb));
	cJSON_AddBoolToObject(o, "newer", newer);
	if (billed >= 0)
		cJSON_AddNumberToObject(o, "bytesBilled", (double)billed);
	if (processed >= 0)
		cJSON_AddNumberToObject(o, "bytesProcessed",
		    (double)processed);
	return put_json(p, o);
}

int
pull_error(struct pull *p, int status, const char *msg)
{
	cJSON *o;

	if (!p->markers || !p->begun || p->write_errno != 0)
		return 0;
	o = control("error");
	cJSON_AddNumberToObject(o, "status", status);
	cJSON_AddStringToObject(o, "message", msg);
	return put_json(p, o);
}

long
pull_rows(struct pull *p, struct bq_query *q, int64_t *last, int64_t *prev,
    int *cut, struct bq_err *err)
{
	struct bqrow *r = NULL;
	struct strbuf buf = STRBUF_INIT;
	const cJSON *row;
	int64_t us = 0;
	long count = 0, rc = -1;
	int idx = -1, pg, rr;

	*last = *prev = INT64_MIN;
	*cut = 0;
	p->emitted = 0;
	if ((r = bqrow_new(bq_query_schema(q), err)) == NULL)
		goto done;
	bqrow_set_id(r, p->id_columns, p->nid_columns, p->id_column, 1);
	if (p->ts_column != NULL && (idx = bqrow_column(r, p->ts_column)) < 0) {
		bq_err_set(err, EXIT_CONFIG, "timestamp column '%s' is not in "
		    "the result", p->ts_column);
		goto done;
	}
	strbuf_init(&buf, 1 << 16);
	while ((pg = bq_query_fetch_page(q, err)) == 1) {
		while ((rr = bq_query_next_row(q, &row, err)) == 1) {
			if (idx >= 0 && bqrow_cell_micros(row, idx, &us) == -1) {
				bq_err_set(err, EXIT_DATA, "a row with a null "
				    "or bad '%s'", p->ts_column);
				goto done;
			}
			if (bqrow_write(r, row, &buf, err) == -1)
				goto done;
			if (idx >= 0 && us != *last) {
				*prev = *last;
				*last = us;
			}
			count++;
			if (buf.len > (1 << 16)) {
				p->emitted = count;
				if (put(p, buf.buf, buf.len, 0) == -1)
					goto done;
				strbuf_reset(&buf);
			}
		}
		if (rr == -1)
			goto done;
		p->emitted = count;
		if (put(p, buf.buf, buf.len, 1) == -1)
			goto done;
		strbuf_reset(&buf);
		if (p->stop != NULL && *p->stop && count > 0) {
			*cut = 1;	/* the last group may be incomplete */
			break;
		}
	}
	if (pg == -1)
		goto done;
	rc = count;
done:
	strbuf_release(&buf);
	bqrow_free(r);
	return rc;
}

long
pull_once(struct pull *p, struct bq_client *c, long limit, int64_t *cursor,
    struct bq_err *err)
{
	char cur[TS_BUFSZ], sn[24], si[24], sl[24];
	struct bq_param prm[4] = {
		{ "cursor", "TIMESTAMP", cur }, { "n", "INT64", sn },
		{ "i", "INT64", si }, { "limit", "INT64", sl },
	};
	struct bq_query_opts o;
	struct bq_query *q;
	struct bq_err berr = BQ_ERR_INIT;
	int64_t last, prev, from = *cursor - (int64_t)(p->lookback * 1e6);
	int64_t start = *cursor, billed, processed;
	long n;
	int cut;

	ts_format(from < TS_MIN_MICROS ? TS_MIN_MICROS : from, cur);
	snprintf(sn, sizeof(sn), "%d", p->nworkers);
	snprintf(si, sizeof(si), "%d", p->worker);
	snprintf(sl, sizeof(sl), "%ld", limit);
	memset(&o, 0, sizeof(o));
	o.sql = p->sql;
	o.params = prm;
	o.nparams = 4;
	o.dry_run = p->dry_run;
	p->emitted = 0;
	if ((q = bq_query_start(c, &o, err)) == NULL)
		return -1;
	if (p->dry_run) {
		n = fprintf(p->out, "%s\n-- @cursor = %s, @n = %s, @i = %s, "
		    "@limit = %s\n-- bytes processed: %lld\n", p->sql, cur, sn,
		    si, sl, (long long)bq_query_bytes_processed(q)) < 0 ||
		    put(p, NULL, 0, 1) == -1 ? -1 : 0;
		bq_query_free(q);
		return n;
	}
	n = pull_rows(p, q, &last, &prev, &cut, err);
	billed = n == -1 ? -1 : bq_query_bytes_billed(q, &berr);
	processed = bq_query_bytes_processed(q);
	bq_query_free(q);
	if (n == -1)
		return -1;
	if (berr.kind != 0)
		bqsync_log(BQ_LOG_WARN, "bytes billed unknown: %s", berr.msg);
	bqsync_log(BQ_LOG_DEBUG, "query: %ld rows, %lld bytes processed, %lld "
	    "billed", n, (long long)processed, (long long)billed);
	if (cut && prev != INT64_MIN && prev > *cursor)
		*cursor = prev;
	else if (!cut && last != INT64_MIN && last > *cursor)
		*cursor = last;	/* with --lookback, last may be older */
	/* with --lookback, rows at or before start are not newer */
	return pull_sync(p, *cursor, last != INT64_MIN && last > start,
	    billed, processed) == -1 ? -1 : n;
}
