/*
 * synthbq: maritime-synth's BigQuery mode (see synthbq.h).
 *
 * One world per run: the three generators start at the first instant this
 * run writes, and every later window moves forward in time, so a vessel's
 * track in BigQuery is continuous within a run.  A restarted start()
 * continues after the newest row with a fresh world from the same seed
 * (same fleet, same MMSIs; voyages restart from there).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sys/file.h>
#include <unistd.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bq.h"
#include "synthbq.h"
#include "ts.h"
#include "util.h"
#include "banned.h"

#define DAY_US		86400000000LL
#define INSERT_ROWS	500
/*
 * start() loads a table's pending rows when they reach load_rows or when
 * this many wall-clock seconds have passed since its last load: at most
 * 288 load jobs a table a day, far below BigQuery's 1,500, however short
 * the generation interval.
 */
#define LOAD_EVERY	300.0

struct ctx {
	const struct synthbq_opts *o;
	struct bq_client *c;
	const char *project;
	char	*fq[SYNTH_NTABLES];	/* `project.dataset.table` */
	cJSON	*schema[SYNTH_NTABLES];
	struct synth *gen[SYNTH_NTABLES];
	struct strbuf buf[SYNTH_NTABLES];
	long	 pending[SYNTH_NTABLES];
	int64_t	 loaded[SYNTH_NTABLES];
	long	 jobs;
	uint64_t seed;
	double	 last_load[SYNTH_NTABLES];	/* util_now_mono() */
	struct progress prog;
	int	 lock_fd;		/* the dataset's lock, or -1 */
};

void
synthbq_opts_fill(struct synthbq_opts *o, const struct config *cfg)
{
	const struct config_synth *s = &cfg->synth;

	o->cfg = cfg;
	if (o->dataset == NULL)
		o->dataset = s->dataset;
	if (o->tables[SYNTH_POSITIONS] == NULL)
		o->tables[SYNTH_POSITIONS] = s->positions_table;
	if (o->tables[SYNTH_EVENTS] == NULL)
		o->tables[SYNTH_EVENTS] = s->events_table;
	if (o->tables[SYNTH_METADATA] == NULL)
		o->tables[SYNTH_METADATA] = s->metadata_table;
	if (o->seed == 0)
		o->seed = s->seed;
	if (o->vessels == 0)
		o->vessels = s->vessels > 0 ? s->vessels : 100000;
	if (o->batch == 0)
		o->batch = s->batch_size > 0 ? s->batch_size : 100;
	if (o->interval == 0)
		o->interval = s->interval > 0 ? s->interval : 60;
	if (o->rate == 0)
		o->rate = (double)o->batch / o->interval;
	if (o->retention_days == 0)
		o->retention_days = s->retention_days > 0 ?
		    s->retention_days : 30;
	if (o->cleanup_interval == 0)
		o->cleanup_interval = s->cleanup_interval > 0 ?
		    s->cleanup_interval : 86400;
	if (o->load_rows == 0)
		o->load_rows = s->load_rows > 0 ? s->load_rows : 500000;
	if (s->streaming)
		o->streaming = 1;
	if (o->speedup == 0)
		o->speedup = 1;
}

static void
ctx_close(struct ctx *x)
{
	int t;

	for (t = 0; t < SYNTH_NTABLES; t++) {
		free(x->fq[t]);
		cJSON_Delete(x->schema[t]);
		synth_free(x->gen[t]);
		strbuf_release(&x->buf[t]);
	}
	bq_client_free(x->c);
	if (x->lock_fd >= 0)
		close(x->lock_fd);	/* and the flock with it */
	if (x->prog.drawn)
		progress_done(&x->prog);
}

static int
stopped(const struct synthbq_opts *o)
{
	return o->stop != NULL && *o->stop;
}

/*
 * Takes the dataset's lock, /tmp/maritime-synth.SERVICE.PROJECT.DATASET.lock
 * (SERVICE: the emulator's host:port, else "bigquery"), with flock(2).
 * A start holds it exclusively while it runs; clear, clean and reset hold
 * it shared for their own run.  So only a start ever holds it exclusively,
 * and a failed try tells who holds it: clear, clean and reset refuse only
 * when a start runs (their shared try fails), and a start that finds the
 * lock shared waits for those finite commands to end, but refuses when
 * another start holds it.
 */
static int
lock_dataset(struct ctx *x, const char *what, struct bq_err *err)
{
	char path[512];
	int n, excl = strcmp(what, "start") == 0;

	const char *svc = x->o->cfg->emulator_host;

	n = snprintf(path, sizeof(path), "/tmp/maritime-synth.%s.%s.%s.lock",
	    svc != NULL && *svc != '\0' ? svc : "bigquery", x->project,
	    x->o->dataset);
	if (n < 0 || (size_t)n >= sizeof(path) || strchr(path + 5, '/'))
		return bq_err_set(err, EXIT_CONFIG, "invalid dataset '%s'",
		    x->o->dataset);
	if ((x->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0666)) == -1)
		return bq_err_set(err, EXIT_IOERR, "cannot open '%s': %s",
		    path, strerror(errno));
	for (n = 0;; n++) {
		if (flock(x->lock_fd, (excl ? LOCK_EX : LOCK_SH) | LOCK_NB) == 0)
			return 0;
		if (errno != EWOULDBLOCK)
			break;
		/* Busy: exclusively (a start) unless a shared try succeeds. */
		if (!excl || flock(x->lock_fd, LOCK_SH | LOCK_NB) == -1) {
			if (errno != EWOULDBLOCK)
				break;
			return bq_err_set(err, EXIT_TEMPFAIL, "%s: a start is "
			    "running on dataset '%s' (stop it first)", what,
			    x->o->dataset);
		}
		(void)flock(x->lock_fd, LOCK_UN);
		if (n == 0)
			bqsync_log(BQ_LOG_INFO, "start: waiting for a clear, "
			    "clean or reset of dataset '%s' to end",
			    x->o->dataset);
		util_sleep(0.1, NULL);
		if (stopped(x->o))
			return bq_err_set(err, EXIT_TEMPFAIL, "start: "
			    "interrupted while waiting for the dataset's lock");
	}
	return bq_err_set(err, EXIT_IOERR, "cannot lock '%s': %s", path,
	    strerror(errno));
}

static int
ctx_open(struct ctx *x, const struct synthbq_opts *o, struct bq_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	int t;

	memset(x, 0, sizeof(*x));
	x->o = o;
	x->lock_fd = -1;
	progress_init(&x->prog, o->progress);
	for (t = 0; t < SYNTH_NTABLES; t++) {
		strbuf_init(&x->buf[t], 0);
		x->last_load[t] = -LOAD_EVERY;	/* the first is due */
	}
	if (o->dataset == NULL || *o->dataset == '\0')
		return bq_err_set(err, EXIT_CONFIG,
		    "no dataset (synthesizer.dataset or --dataset)");
	if ((x->c = bq_client_new(o->cfg, err)) == NULL)
		return -1;
	if ((x->project = bq_client_project(x->c, err)) == NULL)
		return -1;
	/*
	 * Without a seed, one derived from the dataset's name (FNV-1a): every
	 * run over a dataset simulates the same fleet, so a restarted start
	 * keeps the MMSIs already in the tables.
	 */
	x->seed = o->seed;
	if (x->seed == 0) {
		const char *p;

		x->seed = 0xcbf29ce484222325ULL;
		for (p = o->dataset; *p != '\0'; p++)
			x->seed = (x->seed ^ (unsigned char)*p) *
			    0x100000001b3ULL;
	}
	bqsync_log(BQ_LOG_DEBUG, "seed %" PRIu64, x->seed);
	for (t = 0; t < SYNTH_NTABLES; t++) {
		char *path = xstrfmt("%s.%s.%s", x->project, o->dataset,
		    o->tables[t]);

		strbuf_reset(&sb);
		if (bq_quote_ident(&sb, path) == -1) {
			bq_err_set(err, EXIT_CONFIG, "invalid table name '%s'",
			    path);
			free(path);
			strbuf_release(&sb);
			return -1;
		}
		free(path);
		x->fq[t] = xstrdup(sb.buf);
		x->schema[t] = cJSON_Parse(synth_table_schema(t));
	}
	strbuf_release(&sb);
	return 0;
}

static struct bq_table_ref
ref_of(const struct ctx *x, int t)
{
	struct bq_table_ref r = { x->project, x->o->dataset, x->o->tables[t] };

	return r;
}

static int
ensure_tables(struct ctx *x, struct bq_err *err)
{
	struct bq_table_ref ds = { x->project, x->o->dataset, NULL };
	int t, r;

	if (bq_dataset_insert(x->c, &ds, x->o->cfg->location, err) == -1)
		return bq_err_prefix(err, "dataset '%s'", x->o->dataset);
	for (t = 0; t < SYNTH_NTABLES; t++) {
		struct bq_table_ref ref = ref_of(x, t);
		struct bq_table_spec spec;

		memset(&spec, 0, sizeof(spec));
		spec.schema_fields = cJSON_GetObjectItem(x->schema[t],
		    "fields");
		if (spec.schema_fields == NULL)
			spec.schema_fields = x->schema[t];
		spec.partition_type = "DAY";
		spec.partition_field = synth_table_ts_column(t);
		spec.clustering = synth_table_clustering(t);
		spec.description = "maritime-synth synthetic data";
		if ((r = bq_table_insert(x->c, &ref, &spec, err)) == -1)
			return bq_err_prefix(err, "table '%s'",
			    x->o->tables[t]);
		bqsync_log(BQ_LOG_DEBUG, "table %s %s", x->o->tables[t],
		    r == 1 ? "exists" : "created");
	}
	return 0;
}

/* insertAll of the pending NDJSON rows of table t, 500 rows a request. */
static int
stream_rows(struct ctx *x, int t, struct bq_err *err)
{
	struct bq_table_ref ref = ref_of(x, t);
	char *p = x->buf[t].buf, *nl;
	cJSON *rows = cJSON_CreateArray();
	int n = 0, rc = -1;

	while (*p != '\0') {
		nl = strchr(p, '\n');
		*nl = '\0';
		cJSON_AddItemToArray(rows, cJSON_Parse(p));
		p = nl + 1;
		if (++n == INSERT_ROWS || *p == '\0') {
			if (bq_insert_all(x->c, &ref, rows, NULL, err) == -1)
				goto out;
			x->jobs++;
			cJSON_Delete(rows);
			rows = cJSON_CreateArray();
			n = 0;
		}
	}
	rc = 0;
out:
	cJSON_Delete(rows);
	return rc;
}

static int
flush(struct ctx *x, int t, struct bq_err *err)
{
	struct bq_table_ref ref = ref_of(x, t);
	struct bq_load_opts lo;
	int64_t n = 0;

	if (x->pending[t] == 0)
		return 0;
	if (x->o->streaming) {
		if (stream_rows(x, t, err) == -1)
			return bq_err_prefix(err, "insertAll '%s'",
			    x->o->tables[t]);
		n = x->pending[t];
	} else {
		memset(&lo, 0, sizeof(lo));
		lo.schema_fields = x->schema[t];
		lo.partition_field = synth_table_ts_column(t);
		lo.clustering = synth_table_clustering(t);
		if (bq_load_ndjson(x->c, &ref, x->buf[t].buf, x->buf[t].len,
		    &lo, &n, err) == -1)
			return bq_err_prefix(err, "load '%s'", x->o->tables[t]);
		x->jobs++;
	}
	x->loaded[t] += x->pending[t];
	x->last_load[t] = util_now_mono();
	bqsync_log(BQ_LOG_DEBUG, "%s: %ld rows loaded (%" PRId64 " reported)",
	    x->o->tables[t], x->pending[t], n);
	x->pending[t] = 0;
	strbuf_reset(&x->buf[t]);
	return 0;
}

/*
 * Generates table t over [start, end) and loads it: all of it when now,
 * else only when a load is due (load_rows rows, or LOAD_EVERY seconds).
 */
static int
emit(struct ctx *x, int t, int64_t start, int64_t end, uint64_t count,
    int now, struct bq_err *err)
{
	long limit = x->o->streaming ? 50 * INSERT_ROWS : x->o->load_rows;
	int64_t ts;

	if (x->gen[t] == NULL)
		x->gen[t] = synth_new(t, x->seed, x->o->vessels, start);
	synth_window(x->gen[t], start, end, count);
	while (synth_next(x->gen[t], &x->buf[t], &ts)) {
		if (++x->pending[t] >= limit) {
			if (flush(x, t, err) == -1)
				return -1;
			if (stopped(x->o))	/* a signal: end here */
				break;
		}
		if ((x->pending[t] & 1023) == 0)
			progress_update(&x->prog, "%s: %" PRId64 " rows",
			    x->o->tables[t], x->loaded[t] + x->pending[t]);
	}
	if (now || x->o->streaming ||
	    util_now_mono() - x->last_load[t] >= LOAD_EVERY)
		return flush(x, t, err);
	return 0;
}

/*
 * All three tables over [start, end).  Metadata: one row per vessel when
 * every_vessel, else in proportion of the retention window.
 */
static int
emit_all(struct ctx *x, int64_t start, int64_t end, int every_vessel,
    struct bq_err *err)
{
	double secs = (double)(end - start) / 1e6;
	double meta = every_vessel ? (double)x->o->vessels :
	    (double)x->o->vessels * (double)(end - start) /
	    ((double)x->o->retention_days * DAY_US);

	if (end <= start || stopped(x->o))
		return 0;
	if (emit(x, SYNTH_POSITIONS, start, end,
	    (uint64_t)llround(secs * x->o->rate), 1, err) == -1 ||
	    (!stopped(x->o) && emit(x, SYNTH_EVENTS, start, end, 0, 1,
	    err) == -1) ||
	    (!stopped(x->o) && emit(x, SYNTH_METADATA, start, end,
	    (uint64_t)ceil(meta > (double)x->o->vessels ?
	    (double)x->o->vessels : meta), 1, err) == -1))
		return -1;
	return 0;
}

static void
summary(struct ctx *x, const char *what)
{
	if (x->prog.drawn)
		progress_done(&x->prog);
	if (stopped(x->o))
		bqsync_log(BQ_LOG_WARN, "%s: interrupted by a signal", what);
	bqsync_log(BQ_LOG_INFO, "%s: %" PRId64 " positions, %" PRId64
	    " port events, %" PRId64 " metadata rows in %ld %s", what,
	    x->loaded[0], x->loaded[1], x->loaded[2], x->jobs,
	    x->o->streaming ? "insertAll requests" : "load jobs");
}

int
synthbq_initialize(const struct synthbq_opts *o, long days,
    struct bq_err *err)
{
	struct ctx x;
	int64_t now = ts_now();
	int rc = -1;

	if (ctx_open(&x, o, err) == -1 || ensure_tables(&x, err) == -1)
		goto out;
	if (emit_all(&x, now - days * DAY_US, now, 1, err) == -1)
		goto out;
	summary(&x, "initialize");
	rc = 0;
out:
	ctx_close(&x);
	return rc;
}

/* First row of a one-row query, as strings (NULL for SQL NULL). */
static int
query_row(struct ctx *x, const char *sql, const char *v[4], cJSON **keep,
    struct bq_err *err)
{
	struct bq_query_opts qo;
	struct bq_query *q;
	const cJSON *rows, *f, *cell;
	int i, r;

	memset(&qo, 0, sizeof(qo));
	qo.sql = sql;
	if ((q = bq_query_start(x->c, &qo, err)) == NULL)
		return -1;
	if ((r = bq_query_next_page(q, &rows, err)) < 1 ||
	    cJSON_GetArraySize(rows) < 1) {
		bq_query_free(q);
		if (r == -1)
			return -1;
		return bq_err_set(err, EXIT_DATA, "no row from '%s'", sql);
	}
	*keep = cJSON_Duplicate(cJSON_GetArrayItem(rows, 0), 1);
	bq_query_free(q);
	f = cJSON_GetObjectItem(*keep, "f");
	for (i = 0; i < 4; i++) {
		cell = cJSON_GetObjectItem(cJSON_GetArrayItem(f, i), "v");
		v[i] = cJSON_IsString(cell) ? cell->valuestring : NULL;
	}
	return 0;
}

static int64_t
micros_or_min(const char *s)
{
	int64_t us;

	if (s == NULL || (ts_parse_micros(s, &us) == -1 &&
	    ts_parse_seconds(s, &us) == -1))
		return INT64_MIN;
	return us;
}

/* Rows per vessel type (positions and metadata have the column). */
static int
stat_types(struct ctx *x, int t, struct synthbq_stat *st, struct bq_err *err)
{
	struct bq_query_opts qo;
	struct bq_query *q;
	const cJSON *rows, *r;
	char *sql;
	int i, n;

	for (i = 0; i < SYNTH_NTYPES; i++)
		st->by_type[i] = 0;
	memset(&qo, 0, sizeof(qo));
	sql = xstrfmt("SELECT vessel_type, COUNT(*) FROM %s GROUP BY "
	    "vessel_type", x->fq[t]);
	qo.sql = sql;
	q = bq_query_start(x->c, &qo, err);
	free(sql);
	if (q == NULL)
		return -1;
	while ((n = bq_query_next_page(q, &rows, err)) == 1)
		cJSON_ArrayForEach(r, rows) {
			const cJSON *f = cJSON_GetObjectItem(r, "f");
			const char *ty = cJSON_GetStringValue(cJSON_GetObjectItem(
			    cJSON_GetArrayItem(f, 0), "v"));
			const char *c = cJSON_GetStringValue(cJSON_GetObjectItem(
			    cJSON_GetArrayItem(f, 1), "v"));

			for (i = 0; ty && c && i < SYNTH_NTYPES; i++)
				if (strcmp(ty, synth_types[i].name) == 0)
					st->by_type[i] = strtoll(c, NULL, 10);
		}
	bq_query_free(q);
	return n == -1 ? -1 : 0;
}

static int
stat_table(struct ctx *x, int t, struct synthbq_stat *st,
    struct bq_err *err)
{
	struct bq_table_ref ref = ref_of(x, t);
	const char *v[4];
	cJSON *row = NULL;
	char *sql;
	int r;

	memset(st, 0, sizeof(*st));
	st->table = x->o->tables[t];
	st->min_ts = st->max_ts = INT64_MIN;
	for (r = 0; r < SYNTH_NTYPES; r++)
		st->by_type[r] = -1;
	if ((r = bq_table_get(x->c, &ref, &row, err)) == -1)
		return -1;
	if ((st->exists = r) == 0)
		return 0;
	v[0] = cJSON_GetStringValue(cJSON_GetObjectItem(row, "numBytes"));
	st->bytes = v[0] ? strtoll(v[0], NULL, 10) : 0;
	cJSON_Delete(row);
	row = NULL;
	sql = xstrfmt("SELECT COUNT(*), COUNT(DISTINCT %s), MIN(%s), "
	    "MAX(%s) FROM %s", synth_table_mmsi_column(t),
	    synth_table_ts_column(t), synth_table_ts_column(t), x->fq[t]);
	r = query_row(x, sql, v, &row, err);
	free(sql);
	if (r == 0) {
		st->rows = v[0] ? strtoll(v[0], NULL, 10) : 0;
		st->vessels = v[1] ? strtoll(v[1], NULL, 10) : 0;
		st->min_ts = micros_or_min(v[2]);
		st->max_ts = micros_or_min(v[3]);
	}
	cJSON_Delete(row);
	if (r == 0 && t != SYNTH_EVENTS)
		r = stat_types(x, t, st, err);
	return r;
}

int
synthbq_stats(const struct synthbq_opts *o,
    struct synthbq_stat out[SYNTH_NTABLES], struct bq_err *err)
{
	struct ctx x;
	int t, rc = -1;

	if (ctx_open(&x, o, err) == -1)
		goto out;
	for (t = 0; t < SYNTH_NTABLES; t++)
		if (stat_table(&x, t, &out[t], err) == -1)
			goto out;
	rc = 0;
out:
	ctx_close(&x);
	return rc;
}

void
synthbq_stat_format(const struct synthbq_stat *st, int json,
    struct strbuf *out)
{
	char a[TS_BUFSZ + 2] = "null", b[TS_BUFSZ + 2] = "null";
	char ta[TS_BUFSZ], tb[TS_BUFSZ];
	int64_t span;
	int i;

	if (st->min_ts != INT64_MIN) {
		snprintf(a, sizeof(a), json ? "\"%s\"" : "%s",
		    ts_format(st->min_ts, ta));
		snprintf(b, sizeof(b), json ? "\"%s\"" : "%s",
		    ts_format(st->max_ts, tb));
	}
	span = st->min_ts == INT64_MIN ? 0 : (st->max_ts - st->min_ts) / 1000000;
	if (json) {
		strbuf_addf(out, "{\"table\":\"%s\",\"exists\":%s,"
		    "\"rows\":%" PRId64 ",\"vessels\":%" PRId64 ",\"min\":%s,"
		    "\"max\":%s,\"span_seconds\":%" PRId64 ",\"bytes\":%" PRId64,
		    st->table, st->exists ? "true" : "false", st->rows,
		    st->vessels, a, b, span, st->bytes);
		for (i = 0; i < SYNTH_NTYPES && st->by_type[0] >= 0; i++)
			strbuf_addf(out, "%s\"%s\":%" PRId64, i ? "," :
			    ",\"types\":{", synth_types[i].name, st->by_type[i]);
		strbuf_adds(out, st->by_type[0] >= 0 ? "}}\n" : "}\n");
		return;
	}
	strbuf_addf(out, "%-20s %10" PRId64 " rows %8" PRId64 " vessels %12"
	    PRId64 " bytes  %s .. %s (%" PRId64 "d %02" PRId64 "h)%s\n",
	    st->table, st->rows, st->vessels, st->bytes, a, b, span / 86400,
	    span / 3600 % 24, st->exists ? "" : "  (no table)");
	for (i = 0; i < SYNTH_NTYPES && st->by_type[0] >= 0; i++)
		strbuf_addf(out, "%22s%-14s %10" PRId64 " rows\n", "",
		    synth_types[i].name, st->by_type[i]);
}

/* DELETE rows of every table older than cutoff (all rows: INT64_MAX). */
static int
delete_before(struct ctx *x, int64_t cutoff, struct bq_err *err)
{
	char tsbuf[TS_BUFSZ], *sql;
	struct bq_param p = { "cutoff", "TIMESTAMP", NULL };
	int64_t n;
	int t, r;

	ts_format(cutoff, tsbuf);
	p.value = tsbuf;
	for (t = 0; t < SYNTH_NTABLES; t++) {
		struct bq_table_ref ref = ref_of(x, t);

		if ((r = bq_table_get(x->c, &ref, NULL, err)) == -1)
			return -1;
		if (r == 0)
			continue;
		n = 0;
		if (cutoff == INT64_MAX)
			sql = xstrfmt("DELETE FROM %s WHERE TRUE", x->fq[t]);
		else
			sql = xstrfmt("DELETE FROM %s WHERE %s < @cutoff",
			    x->fq[t], synth_table_ts_column(t));
		r = bq_dml(x->c, sql, &p, cutoff == INT64_MAX ? 0 : 1, &n,
		    err);
		free(sql);
		if (r == -1)
			return bq_err_prefix(err, "delete from '%s'",
			    x->o->tables[t]);
		bqsync_log(cutoff == INT64_MAX ? BQ_LOG_INFO : BQ_LOG_DEBUG,
		    "%s: %" PRId64 " rows deleted", x->o->tables[t], n);
	}
	return 0;
}

int
synthbq_clear(const struct synthbq_opts *o, struct bq_err *err)
{
	struct ctx x;
	int rc = -1;

	if (ctx_open(&x, o, err) == 0 && lock_dataset(&x, "clear", err) == 0)
		rc = delete_before(&x, INT64_MAX, err);
	ctx_close(&x);
	return rc;
}

int
synthbq_clean(const struct synthbq_opts *o, struct bq_err *err)
{
	struct ctx x;
	int t, rc = -1;

	if (ctx_open(&x, o, err) == -1 || lock_dataset(&x, "clean", err) == -1)
		goto out;
	for (t = 0; t < SYNTH_NTABLES; t++) {
		struct bq_table_ref ref = ref_of(&x, t);

		if (bq_table_delete(x.c, &ref, err) == -1)
			goto out;
	}
	bqsync_log(BQ_LOG_INFO, "deleted tables %s, %s, %s",
	    o->tables[0], o->tables[1], o->tables[2]);
	rc = 0;
out:
	ctx_close(&x);
	return rc;
}

int
synthbq_reset(const struct synthbq_opts *o, long days, struct bq_err *err)
{
	if (synthbq_clean(o, err) == -1)
		return -1;
	return synthbq_initialize(o, days, err);
}

int
synthbq_start(const struct synthbq_opts *o, struct bq_err *err)
{
	struct ctx x;
	struct synthbq_stat st;
	int64_t now = ts_now(), keep = o->retention_days * DAY_US;
	int64_t tick = (int64_t)(o->interval * 1e6), t, next_cleanup;
	double mono0 = util_now_mono();
	int c, rc = -1;

	if (ctx_open(&x, o, err) == -1 || lock_dataset(&x, "start", err) == -1 ||
	    ensure_tables(&x, err) == -1 ||
	    stat_table(&x, SYNTH_POSITIONS, &st, err) == -1)
		goto out;
	if (!o->no_backfill) {
		if (st.rows == 0 || st.max_ts == INT64_MIN) {
			if (emit_all(&x, now - keep, now, 1, err) == -1)
				goto out;
		} else {
			if (st.min_ts - (now - keep) > DAY_US &&
			    emit_all(&x, now - keep, st.min_ts, 0, err) == -1)
				goto out;
			t = st.max_ts + 1 > now - keep ? st.max_ts + 1 :
			    now - keep;
			if (emit_all(&x, t, now, 0, err) == -1)
				goto out;
		}
		summary(&x, "backfill");
	}
	next_cleanup = now;
	for (t = now; !stopped(o) && (o->until == INT64_MIN ||
	    t + tick <= o->until); t += tick) {
		double sim = (double)now + (util_now_mono() - mono0) *
		    o->speedup * 1e6;

		if (sim < (double)(t + tick))
			util_sleep(((double)(t + tick) - sim) / 1e6 /
			    o->speedup, (volatile int *)o->stop);
		if (stopped(o))
			break;
		if (t >= next_cleanup) {
			if (delete_before(&x, t - keep, err) == -1)
				goto out;
			next_cleanup = t + (int64_t)(o->cleanup_interval * 1e6);
		}
		if (emit(&x, SYNTH_POSITIONS, t, t + tick,
		    (uint64_t)llround(o->interval * o->rate), 0, err) == -1 ||
		    emit(&x, SYNTH_EVENTS, t, t + tick, 0, 0, err) == -1 ||
		    emit(&x, SYNTH_METADATA, t, t + tick,
		    (uint64_t)(o->batch / 100 > 0 ? o->batch / 100 : 1), 0,
		    err) == -1)
			goto out;
	}
	for (c = 0; c < SYNTH_NTABLES; c++)
		if (flush(&x, c, err) == -1)
			goto out;
	if (delete_before(&x, t - keep, err) == -1)
		goto out;
	summary(&x, "start");
	rc = 0;
out:
	ctx_close(&x);
	return rc;
}

int
synthbq_stats_format(const struct synthbq_opts *o, int json,
    struct strbuf *out, struct bq_err *err)
{
	struct synthbq_stat st[SYNTH_NTABLES];
	int t;

	if (synthbq_stats(o, st, err) == -1)
		return -1;
	for (t = 0; t < SYNTH_NTABLES; t++)
		synthbq_stat_format(&st[t], json, out);
	return 0;
}
