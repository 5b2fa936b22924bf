#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bqrow.h"
#include "ckpt.h"
#include "hash.h"
#include "load.h"
#include "ndjson.h"
#include "ts.h"
#include "verify.h"
#include "banned.h"

#define SECOND	1000000LL
#define MIB	(1LL << 20)
#define MIN_BILL	(10 * MIB)	/* BigQuery's least bill of a query */

/* A table's run: options, clients, and what a repair has collected. */
struct vrun {
	const struct verify_opts *o;
	struct bq_client *bq;
	struct harper_client *h;
	struct verify_result *sum;
	int	 harper_fp;		/* the Harper table has "_fp" */
	int	 harper_table;		/* the Harper table exists */
	FILE	*fix;			/* rows to upsert (NDJSON) */
	struct strbuf extra;		/* ids to delete, NUL-separated */
	struct strbuf missing;		/* ids to upsert, NUL-separated */
};

/* One window of the BigQuery answer. */
struct bqwin {
	int64_t	 b;
	long long n;
	int64_t	 x;
};

/* --- SQL ---------------------------------------------------------------- */

static int
quote(struct strbuf *sb, const char *what, const char *name,
    struct bq_err *err)
{
	if (bq_quote_ident(sb, name) == -1)
		return bq_err_set(err, EXIT_CONFIG, "invalid %s name '%.60s'",
		    what, name != NULL ? name : "");
	return 0;
}

static int
add_table(struct strbuf *sb, const struct verify_opts *o, struct bq_err *err)
{
	const struct config_table *t = o->t;
	char *path;
	int rc;

	path = xstrfmt("%s.%s.%s", o->project ? o->project : "?",
	    t->dataset ? t->dataset : "?", t->table ? t->table : "?");
	rc = quote(sb, "table", path, err);
	free(path);
	return rc;
}

/* The table as "_t". */
static int
add_source(struct strbuf *sb, const struct verify_opts *o, struct bq_err *err)
{
	if (add_table(sb, o, err) == -1)
		return -1;
	strbuf_adds(sb, " AS _t");
	return 0;
}

static int
add_share(struct strbuf *sb, const struct verify_opts *o, const char *qts,
    struct bq_err *err)
{
	char *const *keys;
	size_t nkeys;

	keys = config_table_keys(o->t, &nkeys);
	return bq_share_sql(sb, qts, keys, nkeys, o->cfg->partition, err);
}

/*
 * " FROM" the rows compared, then " WHERE ts >= @from AND ts < @to": the
 * table's rows (as _t) in the worker's share, bq-pull's share; for a
 * natural-key table the latest version of each key, inner (its select
 * list) selected from them in a subquery: the share is by key, so every
 * version of a key is in it.
 */
static int
add_from(struct strbuf *sb, const struct verify_opts *o, const char *qts,
    const char *inner, struct bq_err *err)
{
	char *const *keys;
	size_t nkeys, i;

	keys = config_table_keys(o->t, &nkeys);
	strbuf_adds(sb, " FROM ");
	if (nkeys > 0)
		strbuf_addf(sb, "(SELECT %s FROM ", inner);
	if (add_source(sb, o, err) == -1)
		return -1;
	if (nkeys > 0) {
		strbuf_adds(sb, " WHERE ");
		if (o->nworkers <= 1)
			strbuf_adds(sb, "TRUE");
		else if (add_share(sb, o, qts, err) == -1)
			return -1;
		strbuf_adds(sb, " QUALIFY ROW_NUMBER() OVER (PARTITION BY ");
		for (i = 0; i < nkeys; i++) {
			if (i > 0)
				strbuf_adds(sb, ", ");
			if (quote(sb, "key column", keys[i], err) == -1)
				return -1;
		}
		strbuf_addf(sb, " ORDER BY %s DESC) = 1)", qts);
	}
	strbuf_addf(sb, " WHERE %s >= @from AND %s < @to", qts, qts);
	if (nkeys > 0 || o->nworkers <= 1)
		return 0;
	strbuf_adds(sb, " AND ");
	return add_share(sb, o, qts, err);
}

/* The content fingerprint of _t, or "_fp" when the subquery has it. */
static int
add_fp(struct strbuf *sb, const struct verify_opts *o, int inner,
    struct bq_err *err)
{
	size_t nkeys;

	(void)config_table_keys(o->t, &nkeys);
	if (nkeys > 0 && !inner) {
		strbuf_adds(sb, "_fp");
		return 0;
	}
	if (bq_fp_sql(sb, "_t", o->t->columns, o->t->ncolumns) == -1)
		return bq_err_set(err, EXIT_CONFIG, "invalid column name");
	return 0;
}

/* The select list: the configured columns, or "*". */
static int
add_columns(struct strbuf *sb, const struct config_table *t,
    struct bq_err *err)
{
	size_t i;

	if (t->ncolumns == 0)
		strbuf_addch(sb, '*');
	for (i = 0; i < t->ncolumns; i++) {
		if (i > 0)
			strbuf_adds(sb, ", ");
		if (quote(sb, "column", t->columns[i], err) == -1)
			return -1;
	}
	return 0;
}

int
verify_windows_sql(struct strbuf *sb, const struct verify_opts *o,
    struct bq_err *err)
{
	struct strbuf ts = STRBUF_INIT, inner = STRBUF_INIT;
	int rc = -1;

	if (quote(&ts, "timestamp column", o->t->timestamp_column, err) == -1)
		goto out;
	strbuf_addf(sb, "SELECT DIV(UNIX_MICROS(%s) - UNIX_MICROS(@from), "
	    "@width) AS b, COUNT(*) AS n", ts.buf);
	strbuf_adds(&inner, ts.buf);
	if (!o->quick) {
		strbuf_adds(sb, ", BIT_XOR(");
		strbuf_adds(&inner, ", ");
		if (add_fp(sb, o, 0, err) == -1 ||
		    add_fp(&inner, o, 1, err) == -1)
			goto out;
		strbuf_adds(sb, ") AS x");
		strbuf_adds(&inner, " AS _fp");
	}
	if (add_from(sb, o, ts.buf, inner.buf, err) == -1)
		goto out;
	strbuf_adds(sb, " GROUP BY b ORDER BY b");
	rc = 0;
out:
	strbuf_release(&ts);
	strbuf_release(&inner);
	return rc;
}

int
verify_rows_sql(struct strbuf *sb, const struct verify_opts *o,
    struct bq_err *err)
{
	struct strbuf ts = STRBUF_INIT, cols = STRBUF_INIT;
	size_t nkeys;
	int rc = -1;

	(void)config_table_keys(o->t, &nkeys);
	if (quote(&ts, "timestamp column", o->t->timestamp_column, err) == -1 ||
	    add_columns(&cols, o->t, err) == -1)
		goto out;
	strbuf_adds(&cols, ", ");
	if (add_fp(&cols, o, 1, err) == -1)
		goto out;
	strbuf_adds(&cols, " AS _fp");
	strbuf_addf(sb, "SELECT %s", nkeys > 0 ? "*" : cols.buf);
	if (add_from(sb, o, ts.buf, cols.buf, err) == -1)
		goto out;
	rc = 0;
out:
	strbuf_release(&ts);
	strbuf_release(&cols);
	return rc;
}

/* --- pure parts --------------------------------------------------------- */

int
verify_parse_fp(const cJSON *v, int64_t *fp)
{
	char *e;
	long long n;

	if (cJSON_IsNumber(v)) {
		if (v->valuedouble != (double)(int64_t)v->valuedouble ||
		    v->valuedouble > 9007199254740992.0 ||
		    v->valuedouble < -9007199254740992.0)
			return -1;
		*fp = (int64_t)v->valuedouble;
		return 0;
	}
	/* a string, or bqrow's raw number (BigQuery's exact digits) */
	if ((!cJSON_IsString(v) && !cJSON_IsRaw(v)) ||
	    v->valuestring[0] == '\0')
		return -1;
	errno = 0;
	n = strtoll(v->valuestring, &e, 10);
	if (errno != 0 || *e != '\0')
		return -1;
	*fp = n;
	return 0;
}

static int
row_cmp(const void *a, const void *b)
{
	return strcmp(((const struct verify_row *)a)->id,
	    ((const struct verify_row *)b)->id);
}

void
verify_diff(struct verify_row *bq, size_t nbq, char *bqmark,
    struct verify_row *h, size_t nh, char *hmark, struct verify_result *r)
{
	size_t i = 0, j = 0;
	int c;

	qsort(bq, nbq, sizeof(*bq), row_cmp);
	qsort(h, nh, sizeof(*h), row_cmp);
	memset(bqmark, 0, nbq);
	memset(hmark, 0, nh);
	while (i < nbq || j < nh) {
		c = i == nbq ? 1 : j == nh ? -1 : strcmp(bq[i].id, h[j].id);
		if (c < 0) {
			bqmark[i++] = 'm';
			r->missing++;
		} else if (c > 0) {
			hmark[j++] = 'x';
			r->extra++;
		} else {
			if (!h[j].has_fp || !bq[i].has_fp ||
			    h[j].fp != bq[i].fp) {
				bqmark[i] = 'c';
				r->changed++;
			}
			/* equal ids in BigQuery: the rest are duplicates */
			while (i + 1 < nbq && strcmp(bq[i + 1].id,
			    h[j].id) == 0)
				i++;
			i++;
			j++;
		}
	}
}

/* --- BigQuery side ------------------------------------------------------ */

/*
 * Adds a query's bytes processed to the summary, and what on-demand
 * pricing bills for them: whole MiB, at least 10 MiB a query.
 */
static void
count_bytes(struct vrun *v, struct bq_query *q)
{
	long long n = bq_query_bytes_processed(q);

	if (n < 0)
		n = 0;
	v->sum->bytes += n;
	v->sum->billed += n < MIN_BILL ? MIN_BILL : (n + MIB - 1) / MIB * MIB;
}

static struct bq_query *
bq_start(struct vrun *v, const char *sql, int64_t a, int64_t b, int64_t w,
    struct bq_err *err)
{
	char from[TS_BUFSZ], to[TS_BUFSZ], sw[24], sn[24], si[24];
	struct bq_param prm[5] = {
		{ "from", "TIMESTAMP", from }, { "to", "TIMESTAMP", to },
		{ "width", "INT64", sw }, { "n", "INT64", sn },
		{ "i", "INT64", si },
	};
	struct bq_query_opts q;
	struct bq_query *r;

	ts_format(a, from);
	ts_format(b, to);
	snprintf(sw, sizeof(sw), "%" PRId64, w > 0 ? w : 1);
	snprintf(sn, sizeof(sn), "%d", v->o->nworkers);
	snprintf(si, sizeof(si), "%d", v->o->worker);
	memset(&q, 0, sizeof(q));
	q.sql = sql;
	q.params = prm;
	q.nparams = 5;
	q.dry_run = v->o->dry_run;
	bqsync_log(BQ_LOG_DEBUG, "%s -- @from %s @to %s @width %s", sql, from,
	    to, sw);
	if ((r = bq_query_start(v->bq, &q, err)) != NULL)
		count_bytes(v, r);
	return r;
}

static int
cell_i64(const cJSON *row, int idx, int64_t *out)
{
	const cJSON *c = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
	    row, "f"), idx);

	return verify_parse_fp(cJSON_GetObjectItemCaseSensitive(c, "v"), out);
}

/* Per window of [a, b) of width w: *out (caller frees), *n entries. */
static int
bq_windows(struct vrun *v, int64_t a, int64_t b, int64_t w,
    struct bqwin **out, size_t *n, struct bq_err *err)
{
	struct strbuf sql = STRBUF_INIT;
	struct bq_query *q = NULL;
	const cJSON *row;
	size_t alloc = 0;
	int pg, rr, rc = -1;

	*out = NULL;
	*n = 0;
	if (verify_windows_sql(&sql, v->o, err) == -1 ||
	    (q = bq_start(v, sql.buf, a, b, w, err)) == NULL)
		goto out;
	while (!v->o->dry_run && (pg = bq_query_fetch_page(q, err)) != 0) {
		if (pg == -1)
			goto out;
		while ((rr = bq_query_next_row(q, &row, err)) == 1) {
			if (*n == alloc) {
				alloc = alloc ? 2 * alloc : 64;
				*out = xrealloc(*out, alloc * sizeof(**out));
			}
			memset(&(*out)[*n], 0, sizeof(**out));
			if (cell_i64(row, 0, &(*out)[*n].b) == -1 ||
			    verify_parse_fp(cJSON_GetObjectItemCaseSensitive(
			    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(
			    row, "f"), 1), "v"), (int64_t *)&(*out)[*n].n) == -1)
				goto bad;
			if (!v->o->quick)
				(void)cell_i64(row, 2, &(*out)[*n].x);
			(*n)++;
		}
		if (rr == -1)
			goto out;
	}
	rc = 0;
	goto out;
bad:
	bq_err_set(err, EXIT_DATA, "unexpected answer to the window query");
out:
	bq_query_free(q);
	strbuf_release(&sql);
	return rc;
}

/* The BigQuery rows of [a, b), converted as bq-pull converts them. */
static int
bq_rows(struct vrun *v, int64_t a, int64_t b, struct verify_row **rows,
    size_t *n, struct strbuf *lines, struct bq_err *err)
{
	const struct config_table *t = v->o->t;
	struct strbuf sql = STRBUF_INIT;
	struct bq_query *q = NULL;
	struct bqrow *conv = NULL;
	const cJSON *row, *id, *fp;
	cJSON *obj;
	size_t alloc = 0;
	int pg, rr, rc = -1;
	struct verify_row *r;

	if (verify_rows_sql(&sql, v->o, err) == -1 ||
	    (q = bq_start(v, sql.buf, a, b, 0, err)) == NULL)
		goto out;
	while ((pg = bq_query_fetch_page(q, err)) != 0) {
		if (pg == -1)
			goto out;
		if (conv == NULL) {
			if ((conv = bqrow_new(bq_query_schema(q), err)) == NULL)
				goto out;
			bqrow_set_id(conv, t->id_columns, t->nid_columns,
			    t->id_column, 1);
		}
		while ((rr = bq_query_next_row(q, &row, err)) == 1) {
			if ((obj = bqrow_convert(conv, row, err)) == NULL)
				goto out;
			if (*n == alloc) {
				alloc = alloc ? 2 * alloc : 256;
				*rows = xrealloc(*rows, alloc * sizeof(**rows));
			}
			r = &(*rows)[(*n)++];
			memset(r, 0, sizeof(*r));
			id = cJSON_GetObjectItemCaseSensitive(obj, "id");
			if (cJSON_IsString(id))
				snprintf(r->id, sizeof(r->id), "%s",
				    id->valuestring);
			else if (cJSON_IsNumber(id))
				snprintf(r->id, sizeof(r->id), "%.0f",
				    id->valuedouble);
			fp = cJSON_GetObjectItemCaseSensitive(obj, "_fp");
			r->has_fp = verify_parse_fp(fp, &r->fp) == 0;
			r->off = lines->len;
			bqrow_print(obj, lines);
			strbuf_addch(lines, '\n');
			r->len = lines->len - r->off;
			cJSON_Delete(obj);
		}
		if (rr == -1)
			goto out;
	}
	rc = 0;
out:
	bqrow_free(conv);
	bq_query_free(q);
	strbuf_release(&sql);
	return rc;
}

/* --- Harper side -------------------------------------------------------- */

/* "`db`.`table`" for Harper's SQL. */
static void
harper_name(struct strbuf *sb, struct vrun *v)
{
	strbuf_addf(sb, "`%s`.`%s`", harper_database(v->h),
	    v->o->t->target_table);
}

/* {"operation":op,"database":...,"table":...  (no closing brace) */
static void
op_head(struct strbuf *sb, struct vrun *v, const char *op)
{
	strbuf_addf(sb, "{\"operation\":\"%s\",\"database\":", op);
	strbuf_add_json_string(sb, harper_database(v->h),
	    strlen(harper_database(v->h)));
	strbuf_adds(sb, ",\"table\":");
	strbuf_add_json_string(sb, v->o->t->target_table,
	    strlen(v->o->t->target_table));
}

/*
 * The search condition a <= ts <= b: one range of the timestamp's index
 * ("greater_than_equal" and "less_than" as two conditions scan from a to
 * the table's end); the caller drops ts == b.
 */
static void
range_cond(struct strbuf *sb, const char *tsc, int64_t a, int64_t b)
{
	char ta[TS_BUFSZ], tb[TS_BUFSZ];

	strbuf_adds(sb, "{\"search_attribute\":");
	strbuf_add_json_string(sb, tsc, strlen(tsc));
	strbuf_addf(sb, ",\"search_type\":\"between\",\"search_value\":"
	    "[\"%s\",\"%s\"]}", ts_format(a, ta), ts_format(b, tb));
}

/*
 * Whether a Harper row (timestamp us) is in the worker's share, the share
 * bq-pull gave it to: 1, 0, or -1 with err.
 */
static int
in_share(struct vrun *v, const cJSON *row, int64_t us, struct strbuf *key,
    struct bq_err *err)
{
	char *const *keys;
	const char *bad = NULL;
	size_t nkeys;

	if (v->o->nworkers <= 1)
		return 1;
	keys = config_table_keys(v->o->t, &nkeys);
	if (nkeys == 0)
		return hash_partition(us, v->o->nworkers,
		    v->o->cfg->partition) == v->o->worker;
	strbuf_reset(key);
	if (hash_key_text(row, keys, nkeys, key, &bad) == -1)
		return bq_err_set(err, EXIT_DATA, "%s: key column '%s' of a "
		    "Harper row has no text to share it by", v->o->t->id,
		    bad ? bad : "?");
	return hash_partition_key(key->buf, key->len, v->o->nworkers) ==
	    v->o->worker;
}

/*
 * Harper's rows of [a, b) in the share: count, XOR of "_fp" (*nofp: rows
 * without one), and with rows != NULL the rows.  Returns 1 when the window
 * holds more than VERIFY_SCAN_ROWS rows (nothing read), 0, or -1.
 */
static int
harper_scan(struct vrun *v, int64_t a, int64_t b, struct verify_row **rows,
    size_t *n, long long *count, uint64_t *x, long long *nofp,
    struct bq_err *err)
{
	const char *tsc = v->o->t->timestamp_column;
	struct strbuf req = STRBUF_INIT;
	cJSON *res = NULL, *it;
	const cJSON *id, *ts;
	struct strbuf key = STRBUF_INIT;
	struct verify_row r;
	char *const *keys;
	int64_t us, fp;
	size_t alloc = 0, nkeys, i;
	int rc = -1, s;

	*count = 0;
	*x = 0;
	*nofp = 0;
	if (!v->harper_table)
		return 0;
	/* search_by_conditions reads ~6 times faster than Harper's SQL. */
	op_head(&req, v, "search_by_conditions");
	strbuf_adds(&req, ",\"get_attributes\":[\"id\",");
	strbuf_add_json_string(&req, tsc, strlen(tsc));
	if (v->harper_fp && !v->o->quick)
		strbuf_adds(&req, ",\"_fp\"");
	keys = config_table_keys(v->o->t, &nkeys);
	for (i = 0; v->o->nworkers > 1 && i < nkeys; i++) {
		strbuf_addch(&req, ',');
		strbuf_add_json_string(&req, keys[i], strlen(keys[i]));
	}
	strbuf_addf(&req, "],\"limit\":%d,\"conditions\":[",
	    VERIFY_SCAN_ROWS + 1);
	range_cond(&req, tsc, a, b);
	strbuf_adds(&req, "]}");
	if (harper_op(v->h, req.buf, req.len, &res, err) == -1)
		goto out;
	if (cJSON_GetArraySize(res) > VERIFY_SCAN_ROWS) {
		rc = 1;
		goto out;
	}
	cJSON_ArrayForEach(it, res) {
		ts = cJSON_GetObjectItemCaseSensitive(it, tsc);
		if (!cJSON_IsString(ts) || ts_parse(ts->valuestring, &us) == -1 ||
		    us < a || us >= b)
			continue;
		if ((s = in_share(v, it, us, &key, err)) != 1) {
			if (s == -1)
				goto out;
			continue;
		}
		(*count)++;
		memset(&r, 0, sizeof(r));
		r.has_fp = verify_parse_fp(cJSON_GetObjectItemCaseSensitive(it,
		    "_fp"), &fp) == 0;
		r.fp = fp;
		if (r.has_fp)
			*x ^= (uint64_t)fp;
		else
			(*nofp)++;
		if (rows == NULL)
			continue;
		id = cJSON_GetObjectItemCaseSensitive(it, "id");
		if (cJSON_IsString(id))
			snprintf(r.id, sizeof(r.id), "%s", id->valuestring);
		else
			snprintf(r.id, sizeof(r.id), "%.0f",
			    id ? id->valuedouble : 0.0);
		if (*n == alloc) {
			alloc = alloc ? 2 * alloc : 256;
			*rows = xrealloc(*rows, alloc * sizeof(**rows));
		}
		(*rows)[(*n)++] = r;
	}
	rc = 0;
out:
	cJSON_Delete(res);
	strbuf_release(&req);
	strbuf_release(&key);
	return rc;
}

static int
harper_delete(struct vrun *v, const char *ids, size_t len, size_t nids,
    struct bq_err *err)
{
	struct strbuf op = STRBUF_INIT;
	const char *p = ids;
	size_t k = 0;
	int rc = 0;

	while (rc == 0 && p < ids + len) {
		strbuf_reset(&op);
		op_head(&op, v, "delete");
		strbuf_adds(&op, ",\"ids\":[");
		for (k = 0; k < 1000 && p < ids + len; k++) {
			if (k > 0)
				strbuf_addch(&op, ',');
			strbuf_add_json_string(&op, p, strlen(p));
			p += strlen(p) + 1;
		}
		strbuf_adds(&op, "]}");
		rc = harper_op(v->h, op.buf, op.len, NULL, err);
	}
	(void)nids;
	strbuf_release(&op);
	return rc;
}

/* --- windows ------------------------------------------------------------ */

static int
report(struct vrun *v, struct verify_result *r, struct bq_err *err)
{
	r->table = v->o->t->id;
	if (v->o->report != NULL && v->o->report(r, v->o->arg) == -1)
		return bq_err_set(err, EXIT_IOERR, "cannot write the report");
	return 0;
}

/* Diffs the window row by row; collects what a repair needs. */
static int
diff_window(struct vrun *v, struct verify_result *r, struct bq_err *err)
{
	struct verify_row *bq = NULL, *h = NULL;
	struct strbuf lines = STRBUF_INIT;
	char *bm = NULL, *hm = NULL;
	size_t nbq = 0, nh = 0, i;
	long long cnt, nofp;
	uint64_t x;
	int rc = -1;

	if (bq_rows(v, r->from, r->to, &bq, &nbq, &lines, err) == -1 ||
	    harper_scan(v, r->from, r->to, &h, &nh, &cnt, &x, &nofp,
	    err) == -1)
		goto out;
	bm = xcalloc(nbq + 1, 1);
	hm = xcalloc(nh + 1, 1);
	verify_diff(bq, nbq, bm, h, nh, hm, r);
	for (i = 0; i < nbq; i++) {
		if (bm[i] == 0)
			continue;
		bqsync_log(BQ_LOG_DEBUG, "%s: %s %s", v->o->t->id, bm[i] == 'm' ?
		    "missing" : "changed", bq[i].id);
		if (bm[i] == 'm')
			strbuf_add(&v->missing, bq[i].id, strlen(bq[i].id) + 1);
		if (v->o->repair) {
			if (v->fix == NULL && (v->fix = tmpfile()) == NULL) {
				bq_err_set(err, EXIT_IOERR, "tmpfile: %s",
				    strerror(errno));
				goto out;
			}
			fwrite(lines.buf + bq[i].off, 1, bq[i].len, v->fix);
			r->repaired++;
		}
	}
	for (i = 0; i < nh; i++)
		if (hm[i] == 'x') {
			bqsync_log(BQ_LOG_DEBUG, "%s: extra %s", v->o->t->id,
			    h[i].id);
			strbuf_add(&v->extra, h[i].id, strlen(h[i].id) + 1);
		}
	rc = 0;
out:
	free(bm);
	free(hm);
	free(bq);
	free(h);
	strbuf_release(&lines);
	return rc;
}

static int check_range(struct vrun *, int64_t, int64_t, int64_t,
	    struct bq_err *);

/* One window [a, b) of width w with BigQuery's count and digest. */
static int
check_window(struct vrun *v, int64_t a, int64_t b, int64_t w,
    const struct bqwin *bw, struct bq_err *err)
{
	struct verify_result r;
	long long hn, nofp;
	uint64_t hx;
	int s, small;

	memset(&r, 0, sizeof(r));
	r.kind = "window";
	r.from = a;
	r.to = b;
	r.bq_rows = bw ? bw->n : 0;
	if (r.bq_rows > VERIFY_SCAN_ROWS && w > SECOND)
		return check_range(v, a, b, w / 16 > SECOND ? w / 16 : SECOND,
		    err);
	if ((s = harper_scan(v, a, b, NULL, NULL, &hn, &hx, &nofp, err)) == -1)
		return -1;
	if (s == 1 && w > SECOND)
		return check_range(v, a, b, w / 16 > SECOND ? w / 16 : SECOND,
		    err);
	if (s == 1)
		return bq_err_set(err, EXIT_DATA, "more than %d Harper rows "
		    "in one second", VERIFY_SCAN_ROWS);
	r.harper_rows = hn;
	v->sum->windows++;
	v->sum->bq_rows += r.bq_rows;
	v->sum->harper_rows += hn;
	if (hn == r.bq_rows && (v->o->quick || (nofp == 0 &&
	    hx == (uint64_t)(bw ? bw->x : 0)))) {
		r.status = "equal";
		return report(v, &r, err);
	}
	small = r.bq_rows + hn <= VERIFY_DIFF_ROWS || w <= SECOND;
	if (!small) {
		v->sum->windows--;
		v->sum->bq_rows -= r.bq_rows;
		v->sum->harper_rows -= hn;
		return check_range(v, a, b, w / 16 > SECOND ? w / 16 : SECOND,
		    err);
	}
	if (v->o->quick && !v->o->repair && !v->o->prune) {
		r.missing = r.bq_rows > hn ? r.bq_rows - hn : 0;
		r.extra = hn > r.bq_rows ? hn - r.bq_rows : 0;
	} else if (diff_window(v, &r, err) == -1)
		return -1;
	r.status = r.repaired > 0 || (v->o->prune && r.extra > 0) ?
	    "repaired" : "differ";
	v->sum->missing += r.missing;
	v->sum->extra += r.extra;
	v->sum->changed += r.changed;
	v->sum->repaired += r.repaired;
	return report(v, &r, err);
}

/* Checks [a, b) in windows of w (BigQuery is asked once for them all). */
static int
check_range(struct vrun *v, int64_t a, int64_t b, int64_t w,
    struct bq_err *err)
{
	struct bqwin *bw = NULL;
	size_t n = 0, k = 0;
	int64_t i, lo, hi, nw = (b - a + w - 1) / w;
	int rc = -1;

	if (bq_windows(v, a, b, w, &bw, &n, err) == -1)
		goto out;
	if (v->o->dry_run) {
		rc = 0;
		goto out;
	}
	for (i = 0; i < nw; i++) {
		lo = a + i * w;
		hi = lo + w < b ? lo + w : b;
		while (k < n && bw[k].b < i)
			k++;
		if (check_window(v, lo, hi, w, k < n && bw[k].b == i ?
		    &bw[k] : NULL, err) == -1)
			goto out;
	}
	rc = 0;
out:
	free(bw);
	return rc;
}

/* --- the table ---------------------------------------------------------- */

/* MIN and MAX of the timestamp column in BigQuery (INT64_MIN if empty). */
static int
bq_bounds(struct vrun *v, int64_t *lo, int64_t *hi, struct bq_err *err)
{
	const struct config_table *t = v->o->t;
	struct strbuf sql = STRBUF_INIT, ts = STRBUF_INIT;
	struct bq_query *q = NULL;
	struct bq_query_opts qo;
	const cJSON *row;
	int rc = -1;

	*lo = *hi = INT64_MIN;
	if (quote(&ts, "timestamp column", t->timestamp_column, err) == -1)
		goto out;
	strbuf_addf(&sql, "SELECT UNIX_MICROS(MIN(%s)) AS lo, "
	    "UNIX_MICROS(MAX(%s)) AS hi FROM ", ts.buf, ts.buf);
	if (add_source(&sql, v->o, err) == -1)
		goto out;
	memset(&qo, 0, sizeof(qo));
	qo.sql = sql.buf;
	qo.dry_run = v->o->dry_run;
	if ((q = bq_query_start(v->bq, &qo, err)) == NULL)
		goto out;
	count_bytes(v, q);
	if (!v->o->dry_run && bq_query_fetch_page(q, err) == 1 &&
	    bq_query_next_row(q, &row, err) == 1) {
		if (cell_i64(row, 0, lo) == -1 || cell_i64(row, 1, hi) == -1)
			*lo = *hi = INT64_MIN;
	}
	rc = err->kind ? -1 : 0;
out:
	bq_query_free(q);
	strbuf_release(&ts);
	strbuf_release(&sql);
	return rc;
}

/* Harper rows older than BigQuery's oldest: reported once. */
static int
retention(struct vrun *v, int64_t lo, struct bq_err *err)
{
	const char *tsc = v->o->t->timestamp_column;
	struct verify_result r;
	struct strbuf sql = STRBUF_INIT;
	char tb[TS_BUFSZ];
	cJSON *res = NULL;
	int rc = -1;

	memset(&r, 0, sizeof(r));
	strbuf_addf(&sql, "SELECT count(*) AS n FROM ");
	harper_name(&sql, v);
	strbuf_addf(&sql, " WHERE `%s` < '%s'", tsc, ts_format(lo, tb));
	if (harper_sql(v->h, sql.buf, &res, err) == -1)
		goto out;
	r.harper_rows = (long long)cJSON_GetNumberValue(
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(res, 0), "n"));
	rc = 0;
	if (r.harper_rows > 0) {
		r.kind = "retention";
		r.from = TS_MIN_MICROS;
		r.to = lo;
		r.status = "beyond-retention";
		rc = report(v, &r, err);
	}
out:
	cJSON_Delete(res);
	strbuf_release(&sql);
	return rc;
}

static int
id_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Splits a NUL-separated list into a sorted array (caller frees it). */
static char **
id_list(struct strbuf *sb, size_t *n)
{
	char **a, *p;

	*n = 0;
	for (p = sb->buf; p != NULL && p < sb->buf + sb->len;
	    p += strlen(p) + 1)
		(*n)++;
	a = xcalloc(*n + 1, sizeof(*a));
	*n = 0;
	for (p = sb->buf; p != NULL && p < sb->buf + sb->len;
	    p += strlen(p) + 1)
		a[(*n)++] = p;
	qsort(a, *n, sizeof(*a), id_cmp);
	return a;
}

/*
 * An id both extra in one window and missing in another is a natural key
 * whose latest version moved: it is changed, and is not deleted.  Returns
 * the ids to prune.
 */
static void
reconcile(struct vrun *v, struct strbuf *prune)
{
	char **x, **m;
	size_t nx, nm, i = 0, j = 0;
	int c;

	x = id_list(&v->extra, &nx);
	m = id_list(&v->missing, &nm);
	while (i < nx) {
		c = j == nm ? -1 : strcmp(x[i], m[j]);
		if (c < 0) {
			strbuf_add(prune, x[i], strlen(x[i]) + 1);
			i++;
		} else if (c > 0)
			j++;
		else {
			v->sum->extra--;
			v->sum->missing--;
			v->sum->changed++;
			i++;
			j++;
		}
	}
	free(x);
	free(m);
}

/* Upserts the collected rows through harper-load's engine. */
static int
apply_fix(struct vrun *v, struct bq_err *err)
{
	const struct config_table *t = v->o->t;
	const struct config *cfg = v->o->cfg;
	struct load_opts lo;
	struct loader *l = NULL;
	struct ndjson_reader *r = NULL;
	FILE *acks = NULL;
	int rc = -1;

	if (fflush(v->fix) == EOF || fseek(v->fix, 0, SEEK_SET) == -1) {
		bq_err_set(err, EXIT_IOERR, "tmpfile: %s", strerror(errno));
		goto out;
	}
	if ((acks = fopen("/dev/null", "w")) == NULL) {
		bq_err_set(err, EXIT_IOERR, "/dev/null: %s", strerror(errno));
		goto out;
	}
	memset(&lo, 0, sizeof(lo));
	lo.ts_column = CONFIG_DEFAULT_TS_COLUMN;
	load_opts_from_table(&lo, t);
	lo.batch_rows = cfg->batch_rows;
	lo.batch_bytes = cfg->batch_bytes;
	lo.in_flight = (int)cfg->in_flight;
	lo.create = 1;
	lo.acks = acks;
	if ((l = load_new(cfg, &lo, err)) == NULL)
		goto out;
	r = ndjson_reader_new(dup(fileno(v->fix)), "repair");
	rc = load_run(l, r, err);
out:
	ndjson_reader_free(r);
	load_free(l);
	if (acks != NULL)
		fclose(acks);
	return rc;
}

/*
 * The default end: just after the lowest cursor of the table's checkpoints
 * (of the share's own layout when verifying a share) minus lookback, where
 * every older row is in Harper; without checkpoints, BigQuery's newest row.
 */
static int
default_to(const struct verify_opts *o, int64_t hi, int64_t *to,
    struct bq_err *err)
{
	struct ckpt_store *st;
	struct ckpt_record *recs = NULL;
	size_t n = 0, i;
	int64_t low = INT64_MAX;

	*to = hi == INT64_MIN ? TS_MIN_MICROS : hi + 1;
	if ((st = ckpt_store_new(o->cfg, err)) == NULL ||
	    ckpt_list(st, o->t->id, &recs, &n, err) == -1) {
		ckpt_store_free(st);
		return -1;
	}
	for (i = 0; i < n; i++)
		if (recs[i].has_cursor && recs[i].cursor < low &&
		    (o->nworkers <= 1 || (recs[i].cluster_size ==
		    o->nworkers && recs[i].node_id == o->worker)))
			low = recs[i].cursor;
	if (low != INT64_MAX)
		*to = low - (int64_t)(o->t->sync.lookback * 1e6) + 1;
	ckpt_records_free(recs, n);
	ckpt_store_free(st);
	return 0;
}

int
verify_table(struct bq_client *bq, struct harper_client *h,
    const struct verify_opts *o, struct verify_result *sum,
    struct bq_err *err)
{
	struct vrun v;
	struct strbuf prune = STRBUF_INIT;
	int64_t lo, hi, from, to;
	cJSON *desc = NULL;
	const cJSON *a;
	int rc = -1, have;

	memset(&v, 0, sizeof(v));
	memset(sum, 0, sizeof(*sum));
	v.o = o;
	v.bq = bq;
	v.h = h;
	v.sum = sum;
	sum->kind = "summary";
	sum->table = o->t->id;
	if ((have = harper_describe_table(h, o->t->target_table, &desc,
	    err)) == -1)
		goto out;
	v.harper_table = have;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(desc,
	    "attributes"))
		if (strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
		    a, "attribute")) ? cJSON_GetStringValue(
		    cJSON_GetObjectItemCaseSensitive(a, "attribute")) : "",
		    "_fp") == 0)
			v.harper_fp = 1;
	if (bq_bounds(&v, &lo, &hi, err) == -1)
		goto out;
	from = o->from != INT64_MIN ? o->from : lo == INT64_MIN ? 0 : lo;
	to = o->to;
	if (to == INT64_MIN && default_to(o, hi, &to, err) == -1)
		goto out;
	sum->from = from;
	sum->to = to;
	if (o->dry_run) {
		rc = check_range(&v, from, to > from ? to : from + 1,
		    o->window, err);
		goto out;
	}
	if (o->from == INT64_MIN && lo != INT64_MIN && v.harper_table &&
	    retention(&v, lo, err) == -1)
		goto out;
	if (to > from && check_range(&v, from, to, o->window, err) == -1)
		goto out;
	reconcile(&v, &prune);
	if (o->prune && prune.len > 0) {
		if (harper_delete(&v, prune.buf, prune.len, 0, err) == -1)
			goto out;
		sum->pruned = sum->extra;
	}
	if (v.fix != NULL && apply_fix(&v, err) == -1)
		goto out;
	rc = sum->missing || sum->extra || sum->changed ? 1 : 0;
	sum->status = rc == 0 ? "equal" : (o->repair || o->prune) &&
	    (sum->missing + sum->changed == 0 || o->repair) &&
	    (sum->extra == 0 || o->prune) ? "repaired" : "differ";
out:
	cJSON_Delete(desc);
	if (v.fix != NULL)
		fclose(v.fix);
	strbuf_release(&v.extra);
	strbuf_release(&v.missing);
	strbuf_release(&prune);
	return rc;
}

/* --- the audit table ----------------------------------------------------- */

/* Adds ,"key":"s" with s JSON-escaped (key is a literal). */
static void
add_str(struct strbuf *sb, const char *key, const char *s)
{
	strbuf_addf(sb, ",\"%s\":", key);
	strbuf_add_json_string(sb, s, strlen(s));
}

static void
audit_one(struct strbuf *sb, const struct verify_result *r,
    const char *worker, const char *at, int latest)
{
	struct strbuf id = STRBUF_INIT;
	char a[TS_BUFSZ], b[TS_BUFSZ];

	strbuf_addf(&id, "%s:%s", r->table, worker);
	if (!latest)
		strbuf_addf(&id, ":%s", at);
	strbuf_adds(sb, "{\"id\":");
	strbuf_add_json_string(sb, id.buf, id.len);
	strbuf_addf(sb, ",\"latest\":%s", latest ? "true" : "false");
	add_str(sb, "tableId", r->table);
	add_str(sb, "worker", worker);
	strbuf_addf(sb, ",\"checkedAt\":\"%s\","
	    "\"windowStart\":\"%s\",\"windowEnd\":\"%s\","
	    "\"bigqueryRows\":%lld,\"harperRows\":%lld,\"missing\":%lld,"
	    "\"extra\":%lld,\"changed\":%lld,\"repaired\":%lld,"
	    "\"pruned\":%lld,\"windows\":%lld,\"bytesProcessed\":%lld",
	    at, ts_format(r->from, a), ts_format(r->to, b), r->bq_rows,
	    r->harper_rows, r->missing, r->extra, r->changed, r->repaired,
	    r->pruned, r->windows, r->bytes);
	add_str(sb, "status", r->status);
	strbuf_addch(sb, '}');
	strbuf_release(&id);
}

void
verify_audit_record(struct strbuf *sb, const struct verify_result *r,
    const char *worker, int64_t now)
{
	char at[TS_BUFSZ];

	ts_format(now, at);
	strbuf_addch(sb, '[');
	audit_one(sb, r, worker, at, 0);
	strbuf_addch(sb, ',');
	audit_one(sb, r, worker, at, 1);
	strbuf_addch(sb, ']');
}

int
verify_audit(struct harper_client *h, const char *audit_table,
    const struct verify_result *r, const char *worker, struct bq_err *err)
{
	static char *const idx[] = { (char *)"tableId", (char *)"checkedAt" };
	static char *const plain[] = { (char *)"latest", (char *)"worker",
	    (char *)"windowStart", (char *)"windowEnd",
	    (char *)"bigqueryRows", (char *)"harperRows", (char *)"missing",
	    (char *)"extra", (char *)"changed", (char *)"repaired",
	    (char *)"pruned", (char *)"windows", (char *)"bytesProcessed",
	    (char *)"status" };
	struct strbuf rec = STRBUF_INIT;
	int rc = -1;

	verify_audit_record(&rec, r, worker, ts_now());
	if (harper_ensure_table(h, audit_table, idx, 2, plain,
	    sizeof(plain) / sizeof(plain[0]), NULL, err) == -1 ||
	    harper_upsert(h, audit_table, rec.buf, rec.len, err) == -1) {
		bq_err_prefix(err, "cannot write to '%s'", audit_table);
		goto out;
	}
	rc = 0;
out:
	strbuf_release(&rec);
	return rc;
}
