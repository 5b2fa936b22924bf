#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bqrow.h"
#include "ckpt.h"
#include "pull.h"
#include "ts.h"
#include "util.h"
#include "banned.h"

/* The phase rule is bq-checkpoint's (ckpt_phase_for()), not a copy of it. */
long
pull_phase(const struct config_sync *s, int64_t cursor, double *poll)
{
	enum ckpt_phase ph = ckpt_phase_for(s, 1, cursor, ts_now());

	*poll = ckpt_poll_interval(s, ph);
	return ckpt_batch_size(s, ph);
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

static int take_sync(struct pull *, int64_t cursor, int newer);

/*
 * After each page of a pass: a sync line for the groups the page proved
 * complete (all but the last one, which may go on in the next page), so a
 * killed pass resumes at most a page back.
 */
static int
page_sync(struct pull *p, int64_t prev)
{
	if (!p->page_syncs || prev == INT64_MIN || prev <= p->synced)
		return 0;
	p->synced = prev;
	return take_sync(p, prev, 1);
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
			if (bqrow_write(r, row, &buf, err) == -1) {
				bq_err_prefix(err, "row %ld", count + 1);
				goto done;
			}
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
		if (page_sync(p, *prev) == -1)
			goto done;
	}
	if (pg == -1)
		goto done;
	rc = count;
done:
	strbuf_release(&buf);
	bqrow_free(r);
	return rc;
}

/* --- what the queries cost ---------------------------------------------- */

#define DAY_MICROS	(86400LL * 1000000)

static int
day_spent(const struct pull *p, struct bq_err *err)
{
	return bq_err_set(err, EXIT_TEMPFAIL, "bigquery.dailyBytesLimit "
	    "reached: %lld of %lld bytes billed today (UTC) for worker %d/%d; "
	    "the next query could pass it, so none is run before 00:00 UTC",
	    (long long)p->day_billed, (long long)p->daily_limit, p->worker,
	    p->nworkers);
}

/*
 * maximumBytesBilled for the next query: the smaller of the per-query cap
 * and what is left of the day's budget (0: none); -1 with err when the
 * day's budget cannot pay even BigQuery's least bill.
 */
static int64_t
next_cap(struct pull *p, struct bq_err *err)
{
	int64_t today = ts_now() / DAY_MICROS, left;

	if (today != p->day) {		/* a new UTC day, a new budget */
		p->day = today;
		p->day_billed = 0;
	}
	if (p->daily_limit <= 0)
		return p->max_billed;
	left = p->daily_limit - p->day_billed;
	if (left < BQ_MIN_BILL)
		return day_spent(p, err);
	return p->max_billed > 0 && p->max_billed < left ? p->max_billed :
	    left;
}

int
pull_day_billed(struct pull *p, const struct config *cfg, const char *table,
    struct bq_err *err)
{
	struct ckpt_store *st;
	struct ckpt_record rec;
	char day[TS_BUFSZ];
	int r;

	p->day = ts_now() / DAY_MICROS;
	p->day_billed = 0;
	if ((st = ckpt_store_new(cfg, err)) == NULL)
		return -1;
	r = ckpt_load(st, table, p->worker, p->nworkers, &rec, err);
	ckpt_store_free(st);
	if (r != 1)
		return r;
	ts_format(ts_now(), day);
	day[10] = '\0';	/* the UTC day, as the record keeps it */
	if (strcmp(rec.billing_day, day) == 0)
		p->day_billed = rec.bytes_billed_day;
	ckpt_record_release(&rec);
	return 0;
}

/* Starts a query under the caps; a refusal names the cap that refused. */
static struct bq_query *
start(struct pull *p, struct bq_client *c, struct bq_query_opts *o,
    struct bq_err *err)
{
	struct bq_query *q;
	int64_t cap;

	if ((cap = next_cap(p, err)) < 0)
		return NULL;
	o->max_bytes_billed = o->dry_run ? 0 : cap;
	if ((q = bq_query_start(c, o, err)) != NULL ||
	    strstr(err->msg, "bytesBilledLimitExceeded") == NULL)
		return q;
	if (cap != p->max_billed)
		day_spent(p, err);
	else
		bq_err_set(err, EXIT_CONFIG, "the query would bill more than "
		    "bigquery.maximumBytesBilled (%lld bytes), and BigQuery "
		    "refused it", (long long)p->max_billed);
	return NULL;
}

/* Counts a finished query's bill (it goes on the next sync line). */
static void
account(struct pull *p, struct bq_query *q, const char *what, long rows)
{
	struct bq_err err = BQ_ERR_INIT;
	int64_t billed = bq_query_bytes_billed(q, &err);
	int64_t processed = bq_query_bytes_processed(q);

	if (err.kind != 0)
		bqsync_log(BQ_LOG_WARN, "bytes billed unknown: %s", err.msg);
	bqsync_log(BQ_LOG_DEBUG, "%s: %ld rows, %lld bytes processed, %lld "
	    "billed", what, rows, (long long)processed, (long long)billed);
	if (billed > 0) {
		p->day_billed += billed;
		p->run_billed += billed;
		p->billed = (p->billed > 0 ? p->billed : 0) + billed;
	} else if (billed == 0 && p->billed < 0) {
		p->billed = 0;
	}
	if (processed >= 0)
		p->processed = (p->processed > 0 ? p->processed : 0) +
		    processed;
}

static int
take_sync(struct pull *p, int64_t cursor, int newer)
{
	int rc = pull_sync(p, cursor, newer, p->billed, p->processed);

	p->billed = p->processed = -1;
	return rc;
}

/*
 * A pass that stops after a billed query (the next one refused by a cap):
 * a sync line at the cursor it started from carries that bill, so the
 * checkpoint counts it.  Returns -1 (err stays the caller's).
 */
static int
billed_stop(struct pull *p, int64_t cursor)
{
	if (p->billed > 0)
		take_sync(p, cursor, 1);
	return -1;
}

/* --- one pass ------------------------------------------------------------ */

/* The parameters of both queries; @limit and @upto only where used. */
struct pass_params {
	char	 cur[TS_BUFSZ], upto[TS_BUFSZ], n[24], i[24], lim[24];
	struct bq_param prm[5];
};

static size_t
params(struct pass_params *pp, int with_limit, int with_upto)
{
	size_t k = 0;

	pp->prm[k++] = (struct bq_param){ "cursor", "TIMESTAMP", pp->cur };
	pp->prm[k++] = (struct bq_param){ "n", "INT64", pp->n };
	pp->prm[k++] = (struct bq_param){ "i", "INT64", pp->i };
	if (with_limit)
		pp->prm[k++] = (struct bq_param){ "limit", "INT64", pp->lim };
	if (with_upto)
		pp->prm[k++] = (struct bq_param){ "upto", "TIMESTAMP",
		    pp->upto };
	return k;
}

/*
 * The probe: the newest and oldest timestamps of the worker's new rows (of
 * the first limit of them); 1 with *upto and *first, 0 when there is none,
 * -1 with err.
 */
static int
probe(struct pull *p, struct bq_client *c, struct pass_params *pp,
    int64_t *upto, int64_t *first, struct bq_err *err)
{
	struct bq_query_opts o;
	struct bq_query *q;
	const cJSON *rows;
	int rc = -1, r;

	memset(&o, 0, sizeof(o));
	o.sql = p->probe_sql;
	o.params = pp->prm;
	o.nparams = params(pp, p->limit > 0, 0);
	o.page_rows = 1;
	if ((q = start(p, c, &o, err)) == NULL)
		return -1;
	account(p, q, "probe", 1);
	if ((r = bq_query_next_page(q, &rows, err)) == -1)
		goto out;
	rc = r == 1 && cJSON_GetArraySize(rows) > 0 &&
	    bqrow_cell_micros(cJSON_GetArrayItem(rows, 0), 0, upto) == 0;
	if (rc == 1 && bqrow_cell_micros(cJSON_GetArrayItem(rows, 0), 1,
	    first) == -1)
		*first = INT64_MIN;
out:
	bq_query_free(q);
	return rc;
}

/* --dry-run: both queries' estimates, with @upto = now. */
static long
dry_run(struct pull *p, struct bq_client *c, struct pass_params *pp,
    long page, struct bq_err *err)
{
	const char *sql[2] = { p->probe_sql, p->sql };
	struct bq_query_opts o;
	struct bq_query *q;
	int k;

	ts_format(ts_now(), pp->upto);
	for (k = 0; k < 2; k++) {
		memset(&o, 0, sizeof(o));
		o.sql = sql[k];
		o.params = pp->prm;
		o.nparams = params(pp, k == 0 && p->limit > 0, k == 1);
		o.dry_run = 1;
		if ((q = start(p, c, &o, err)) == NULL)
			return -1;
		fprintf(p->out, "%s\n-- @cursor = %s, @n = %s, @i = %s", sql[k],
		    pp->cur, pp->n, pp->i);
		if (k == 0 && p->limit > 0)
			fprintf(p->out, ", @limit = %s", pp->lim);
		if (k == 1)
			fprintf(p->out, ", @upto = %s (the probe's answer; "
			    "now for this estimate), %ld rows a page", pp->upto,
			    page);
		fprintf(p->out, "\n-- bytes processed: %lld\n",
		    (long long)bq_query_bytes_processed(q));
		bq_query_free(q);
	}
	return put(p, NULL, 0, 1);
}

/* 1 if err is BigQuery's refusal to return a result this large. */
static int
too_large(const struct bq_err *err)
{
	return strstr(err->msg, "responseTooLarge") != NULL;
}

/*
 * One query of a pass: the rows after pp->cur up to upto (pp->upto), in
 * pages; *cursor advances as far as they prove.  The row count, -1 with
 * err, or -2 when BigQuery found the result too large (nothing written,
 * nothing billed).
 */
static long
window(struct pull *p, struct bq_client *c, struct pass_params *pp,
    long page, int64_t upto, int64_t *cursor, int *cut, struct bq_err *err)
{
	struct bq_query_opts o;
	struct bq_query *q;
	int64_t last, prev;
	long n;

	ts_format(upto, pp->upto);
	memset(&o, 0, sizeof(o));
	o.sql = p->sql;
	o.params = pp->prm;
	o.nparams = params(pp, 0, 1);
	o.page_rows = page;
	o.prefetch = 1;		/* the next page comes while this one is written */
	if ((q = start(p, c, &o, err)) == NULL)
		return too_large(err) ? -2 : billed_stop(p, *cursor);
	account(p, q, "rows", (long)bq_query_total_rows(q));
	p->synced = *cursor;
	p->page_syncs = 1;
	n = pull_rows(p, q, &last, &prev, cut, err);
	p->page_syncs = 0;
	bq_query_free(q);
	if (n == -1)
		return -1;
	if (p->synced > *cursor)
		*cursor = p->synced;
	if (*cut && prev != INT64_MIN && prev > *cursor)
		*cursor = prev;
	else if (!*cut && upto > *cursor)
		*cursor = upto;	/* every row of the share up to upto is out */
	return n;
}

/*
 * Where the next window's rows start: after lo, and at first (the probe's
 * oldest new row) or later, so no query spans the empty time before it.
 */
static int64_t
window_base(int64_t lo, int64_t first)
{
	return first != INT64_MIN && first - 1 > lo ? first - 1 : lo;
}

/* Its end: upto, or less once a result was too large to return. */
static int64_t
window_end(const struct pull *p, int64_t base, int64_t upto)
{
	if (p->window <= 0 || upto - base <= p->window)
		return upto;
	return base + p->window;
}

long
pull_once(struct pull *p, struct bq_client *c, long page, int64_t *cursor,
    struct bq_err *err)
{
	struct pass_params pp;
	int64_t upto, first = INT64_MIN, lo, base, end, start_at = *cursor;
	int64_t from = *cursor - (int64_t)(p->lookback * 1e6);
	long n, total = 0;
	int cut = 0, r;

	ts_format(from < TS_MIN_MICROS ? TS_MIN_MICROS : from, pp.cur);
	snprintf(pp.n, sizeof(pp.n), "%d", p->nworkers);
	snprintf(pp.i, sizeof(pp.i), "%d", p->worker);
	snprintf(pp.lim, sizeof(pp.lim), "%ld", p->limit);
	p->emitted = 0;
	if (p->dry_run)
		return dry_run(p, c, &pp, page, err);
	if ((r = probe(p, c, &pp, &upto, &first, err)) == -1)
		return billed_stop(p, *cursor);
	if (r == 1 && p->before != 0 && upto >= p->before)
		upto = p->before - 1;	/* --before: rows with ts < before */
	if (r == 0 || upto <= from)	/* nothing new: the probe was all */
		return take_sync(p, *cursor, 0) == -1 ? -1 : 0;
	lo = from;
	for (;;) {
		base = window_base(lo, first);
		end = window_end(p, base, upto);
		n = window(p, c, &pp, page, end, cursor, &cut, err);
		if (n == -2 && end - base < 2) {
			bq_err_set(err, EXIT_DATA, "the rows at %s alone are "
			    "too large for BigQuery to return", pp.upto);
			return billed_stop(p, *cursor);
		}
		if (n == -2) {	/* not billed: again, on half the span */
			p->window = (end - base) / 2;
			bqsync_log(BQ_LOG_INFO, "%s; reading %.6f s of "
			    "timestamps a query", err->msg,
			    (double)p->window / 1e6);
			bq_err_clear(err);
			continue;
		}
		if (n == -1)
			return -1;
		total += n;
		if (cut || end >= upto)
			break;
		if (take_sync(p, *cursor, 1) == -1)
			return -1;
		lo = end;	/* the next window starts after this one */
		ts_format(lo, pp.cur);
	}
	/* with --lookback, rows at or before start_at are not newer */
	return take_sync(p, *cursor, upto > start_at) == -1 ? -1 : total;
}

int
pull_from_response(struct pull *p, const char *path, struct bq_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	struct bq_query *q = NULL;
	int64_t last, prev;
	int cut, rc = -1;

	if (util_read_file(path, &sb) == -1) {
		bq_err_set(err, EXIT_IOERR, "cannot read '%s'", path);
		goto out;
	}
	p->ts_column = NULL;
	if ((q = bq_query_from_buf(&sb, err)) == NULL ||
	    pull_rows(p, q, &last, &prev, &cut, err) == -1) {
		bq_err_prefix(err, "%s", path);
		goto out;
	}
	rc = 0;
out:
	bq_query_free(q);
	strbuf_release(&sb);
	return rc;
}

int
pull_build_sql(struct strbuf *sql, struct strbuf *psql,
    const struct config *cfg, const struct config_table *t,
    const char *project, const char *columns, int limited,
    struct bq_err *err)
{
	char **cols = NULL, *cl = NULL, *tok, *sp;
	char *const *keys;
	size_t ncols = 0, nkeys;
	int rc;

	if (columns != NULL) {
		cl = xstrdup(columns);
		cols = xcalloc(strlen(cl) + 2, sizeof(char *));
		for (tok = strtok_r(cl, ",", &sp); tok != NULL;
		    tok = strtok_r(NULL, ",", &sp))
			cols[ncols++] = tok;
	} else {
		cols = t->columns;
		ncols = t->ncolumns;
	}
	/* A natural-key table is shared by its key (bqsync(7)). */
	keys = config_table_keys(t, &nkeys);
	rc = bq_pull_sql(sql, project, t->dataset, t->table, cols, ncols,
	    t->timestamp_column, keys, nkeys, cfg->partition, err) == -1 ||
	    bq_probe_sql(psql, project, t->dataset, t->table,
	    t->timestamp_column, keys, nkeys, cfg->partition, limited,
	    err) == -1 ? -1 : 0;
	free(cols != t->columns ? cols : NULL);
	free(cl);
	return rc;
}

int
pull_run(struct pull *p, struct bq_client *c, const struct config_sync *sync,
    int64_t cursor, int follow, struct bq_err *err)
{
	double poll = 0;
	long lim, got;

	do {
		lim = pull_phase(sync, cursor, &poll);
		got = pull_once(p, c, lim, &cursor, err);
		if (got == -1) {
			/* rows already out: a retry would repeat them */
			if (!follow || err->kind != EXIT_TEMPFAIL || *p->stop ||
			    p->write_errno != 0 || p->emitted > 0)
				return -1;
			bqsync_log(BQ_LOG_WARN, "%s; trying again", err->msg);
			bq_err_clear(err);
		} else if (got == 0) {
			poll = sync->steady_poll;
		}
		if (follow && !*p->stop)
			util_sleep(poll, (volatile int *)p->stop);
	} while (!*p->stop && !p->dry_run && (follow ||
	    (p->before != 0 && p->limit == 0 && got >= lim)));
	if (pull_marker(p, "end", INT64_MIN) == -1)
		return -1;
	if (!p->dry_run)
		bqsync_log(BQ_LOG_DEBUG, "%lld bytes billed by this run",
		    (long long)p->run_billed);
	return 0;
}

void
pull_configure(struct pull *p, const struct config *cfg,
    const struct config_table *t)
{
	if (t != NULL) {
		/* idColumn, when set, is the id as is; else the key's hash */
		p->id_columns = config_table_keys(t, &p->nid_columns);
		p->id_column = t->id_column;
		p->ts_column = t->timestamp_column;
		if (p->lookback < 0)
			p->lookback = t->sync.lookback;
	}
	if (p->dry_run)
		p->markers = 0;
	p->max_billed = cfg->max_bytes_billed;
	p->daily_limit = cfg->daily_bytes_limit;
}
