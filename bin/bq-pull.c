/*
 * bq-pull: one worker's share of new rows of a BigQuery table, in
 * timestamp order, as NDJSON rows typed exactly (design.md).
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bq.h"
#include "bqrow.h"
#include "config.h"
#include "log.h"
#include "ts.h"
#include "util.h"
#include "banned.h"

static volatile int stop;
static int markers = 1, dry_run, follow;
static long limit_opt;

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void
usage(FILE *fp, int status)
{
	fprintf(fp, "usage: bq-pull [-fhquVv] [-a cursor] [-c config] "
	    "[-n rows] [-t table] [-w i/N]\n"
	    "\t[--column name] [--columns a,b] [--dataset name] [--dry-run]\n"
	    "\t[--from-response file] [--lookback duration] [--no-markers]\n"
	    "\t[--partition fingerprint|micros] [--project id] "
	    "[--source-table name]\n");
	exit(status);
}

static void
out(const char *s, size_t n)
{
	if (fwrite(s, 1, n, stdout) != n)
		tool_write_failed();
}

static void
flush(void)
{
	if (fflush(stdout) == EOF)
		tool_write_failed();
}

static void
marker(const char *what, int64_t cursor)
{
	char tb[TS_BUFSZ], line[96];

	if (!markers)
		return;
	if (cursor == INT64_MIN)
		snprintf(line, sizeof(line), "{\"@bqsync\":\"%s\"}\n", what);
	else
		snprintf(line, sizeof(line), "{\"@bqsync\":\"%s\","
		    "\"cursor\":\"%s\"}\n", what, ts_format(cursor, tb));
	out(line, strlen(line));
	flush();
}

static void
setup_ids(struct bqrow *r, const struct config_table *t)
{
	bqrow_set_id(r, t ? t->id_columns : NULL, t ? t->nid_columns : 0,
	    t ? t->id_column : NULL, 1);
}

/* The batch size and poll interval for a cursor's lag (design.md). */
static long
phase(const struct config_sync *s, int64_t cursor, double *poll)
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

/*
 * Prints the rows of q page by page; *last gets the last row's timestamp
 * and *prev the one of the group before it (both INT64_MIN if none).
 * Stops after a page once stop is set.  Returns the row count, or -1.
 */
static long
emit(struct bq_query *q, const struct config_table *t, const char *ts_col,
    int64_t *last, int64_t *prev, int *cut, struct bq_err *err)
{
	struct bqrow *r = NULL;
	struct strbuf buf = STRBUF_INIT;
	const cJSON *row;
	int64_t us;
	long count = 0, rc = -1;
	int idx = -1, pg, rr;

	*last = *prev = INT64_MIN;
	*cut = 0;
	if ((r = bqrow_new(bq_query_schema(q), err)) == NULL)
		goto done;
	setup_ids(r, t);
	if (ts_col != NULL && (idx = bqrow_column(r, ts_col)) < 0) {
		bq_err_set(err, EXIT_CONFIG, "timestamp column '%s' is not in "
		    "the result", ts_col);
		goto done;
	}
	strbuf_init(&buf, 1 << 16);
	while ((pg = bq_query_fetch_page(q, err)) == 1) {
		while ((rr = bq_query_next_row(q, &row, err)) == 1) {
			if (idx >= 0 && bqrow_cell_micros(row, idx, &us) == -1) {
				bq_err_set(err, EXIT_DATA, "row with a null "
				    "or bad '%s'", ts_col);
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
				out(buf.buf, buf.len);
				strbuf_reset(&buf);
			}
		}
		if (rr == -1)
			goto done;
		out(buf.buf, buf.len);
		strbuf_reset(&buf);
		flush();
		if (stop && count > 0) {
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

/* --from-response: converts a saved jobs.query/getQueryResults answer. */
static void
from_response(const char *path, const struct config_table *t)
{
	struct strbuf sb = STRBUF_INIT;
	struct bq_err err = BQ_ERR_INIT;
	struct bq_query *q;
	int64_t last, prev;
	int cut;

	if (util_read_file(path, &sb) == -1)
		tool_die(EXIT_IOERR, "cannot read '%s'", path);
	if ((q = bq_query_from_text(sb.buf, sb.len, &err)) == NULL ||
	    emit(q, t, NULL, &last, &prev, &cut, &err) == -1)
		tool_die(exit_for(&err), "%s: %s", path, err.msg);
	bq_query_free(q);
	strbuf_release(&sb);
}

/*
 * One query: prints rows and the sync line; *cursor advances to the last
 * complete group.  Returns the number of rows, or -1 with err.
 */
static long
pull_once(struct bq_client *c, const char *sql, int wi, int wn,
    int64_t *cursor, double lookback, long limit, const char *ts_col,
    const struct config_table *t, struct bq_err *err)
{
	char cur[TS_BUFSZ], sn[24], si[24], sl[24];
	struct bq_param p[4] = {
		{ "cursor", "TIMESTAMP", cur }, { "n", "INT64", sn },
		{ "i", "INT64", si }, { "limit", "INT64", sl },
	};
	struct bq_query_opts o;
	struct bq_query *q;
	int64_t last, prev;
	long n;
	int cut;

	ts_format(*cursor - (int64_t)(lookback * 1e6), cur);
	snprintf(sn, sizeof(sn), "%d", wn);
	snprintf(si, sizeof(si), "%d", wi);
	snprintf(sl, sizeof(sl), "%ld", limit);
	memset(&o, 0, sizeof(o));
	o.sql = sql;
	o.params = p;
	o.nparams = 4;
	o.dry_run = dry_run;
	if ((q = bq_query_start(c, &o, err)) == NULL)
		return -1;
	if (dry_run) {
		printf("%s\n-- @cursor = %s, @n = %s, @i = %s, @limit = %s\n"
		    "-- bytes processed: %lld\n", sql, cur, sn, si, sl,
		    (long long)bq_query_bytes_processed(q));
		bq_query_free(q);
		return 0;
	}
	n = emit(q, t, ts_col, &last, &prev, &cut, err);
	bq_query_free(q);
	if (n == -1)
		return -1;
	if (cut && prev != INT64_MIN && prev > *cursor)
		*cursor = prev;
	else if (!cut && last != INT64_MIN && last > *cursor)
		*cursor = last;	/* with --lookback, last may be older */
	marker("sync", *cursor);
	return n;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "after", required_argument, NULL, 'a' },
		{ "config", required_argument, NULL, 'c' },
		{ "follow", no_argument, NULL, 'f' },
		{ "help", no_argument, NULL, 'h' },
		{ "limit", required_argument, NULL, 'n' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "table", required_argument, NULL, 't' },
		{ "unbuffered", no_argument, NULL, 'u' },
		{ "version", no_argument, NULL, 'V' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "worker", required_argument, NULL, 'w' },
		{ "column", required_argument, NULL, 1 },
		{ "columns", required_argument, NULL, 2 },
		{ "dataset", required_argument, NULL, 3 },
		{ "dry-run", no_argument, NULL, 4 },
		{ "from-response", required_argument, NULL, 5 },
		{ "lookback", required_argument, NULL, 6 },
		{ "no-markers", no_argument, NULL, 7 },
		{ "partition", required_argument, NULL, 8 },
		{ "project", required_argument, NULL, 9 },
		{ "source-table", required_argument, NULL, 10 },
		{ NULL, 0, NULL, 0 }
	};
	struct config cfg;
	struct config_table *t = NULL;
	struct bq_err err = BQ_ERR_INIT;
	struct bq_client *c = NULL;
	struct strbuf sql = STRBUF_INIT;
	const char *cfgpath = NULL, *after = NULL, *tname = NULL, *proj;
	const char *o_col = NULL, *o_cols = NULL, *o_ds = NULL, *o_proj = NULL;
	const char *o_src = NULL, *o_part = NULL, *o_resp = NULL;
	char **cols = NULL, *cl = NULL, *tok, *sp, *e;
	size_t ncols = 0;
	double lookback = -1, poll = 0;
	int64_t cursor;
	long lim, got;
	int ch, wi = 0, wn = 1, verbosity = 0;

	tool_setup(argv[0]);
	while ((ch = getopt_long(argc, argv, "a:c:fhn:qt:uVvw:", opts,
	    NULL)) != -1) {
		switch (ch) {
		case 'a': after = optarg; break;
		case 'c': cfgpath = optarg; break;
		case 'f': follow = 1; break;
		case 'h': usage(stdout, 0); break;
		case 'n': limit_opt = tool_parse_long("--limit", optarg, 1,
		    100000000); break;
		case 'q': verbosity = -1; break;
		case 't': tname = optarg; break;
		case 'u': setvbuf(stdout, NULL, _IOLBF, 0); break;
		case 'V': printf("bq-pull %s\n", BQSYNC_VERSION); return 0;
		case 'v': verbosity = 1; break;
		case 'w':
			wi = (int)strtol(optarg, &e, 10);
			if (e == optarg || *e != '/' || (wn = (int)strtol(e + 1,
			    &sp, 10)) < 1 || *sp != '\0' || wi < 0 || wi >= wn)
				tool_die(EXIT_USAGE, "invalid worker '%s' "
				    "(want i/N with 0 <= i < N)", optarg);
			break;
		case 1: o_col = optarg; break;
		case 2: o_cols = optarg; break;
		case 3: o_ds = optarg; break;
		case 4: dry_run = 1; break;
		case 5: o_resp = optarg; break;
		case 6:
			if ((lookback = config_parse_duration(optarg)) < 0)
				tool_die(EXIT_USAGE, "invalid duration '%s' "
				    "for --lookback", optarg);
			break;
		case 7: markers = 0; break;
		case 8: o_part = optarg; break;
		case 9: o_proj = optarg; break;
		case 10: o_src = optarg; break;
		default: usage(stderr, EXIT_USAGE);
		}
	}
	if (optind != argc)
		usage(stderr, EXIT_USAGE);
	if (o_part != NULL && strcmp(o_part, "fingerprint") != 0 &&
	    strcmp(o_part, "micros") != 0)
		tool_die(EXIT_USAGE, "invalid --partition '%s'", o_part);
	bqsync_set_verbosity(verbosity);
	if (config_load(&cfg, cfgpath, &err) == -1)
		tool_die_err(&err);
	if (tname != NULL || cfg.ntables > 0)
		t = config_table(&cfg, tname, &err);
	if (t == NULL && (tname != NULL || o_src != NULL))
		t = config_table_add(&cfg, tname ? tname : o_src);
	if (o_resp != NULL) {
		from_response(o_resp, t);
		config_release(&cfg);
		tool_close_stdout();
		return 0;
	}
	if (t == NULL)
		tool_die(EXIT_CONFIG, "no table: give --table or "
		    "--source-table, or list tables in the config");
	if (o_proj) config_set_str(&t->project, o_proj);
	if (o_ds) config_set_str(&t->dataset, o_ds);
	if (o_src) config_set_str(&t->table, o_src);
	if (o_col) config_set_str(&t->timestamp_column, o_col);
	if (o_part) cfg.partition = strcmp(o_part, "micros") == 0 ?
	    PARTITION_MICROS : PARTITION_FINGERPRINT;
	if (lookback < 0)
		lookback = t->sync.lookback;
	if (o_cols != NULL) {
		cl = xstrdup(o_cols);
		cols = xcalloc(strlen(cl) + 2, sizeof(char *));
		for (tok = strtok_r(cl, ",", &sp); tok != NULL;
		    tok = strtok_r(NULL, ",", &sp))
			cols[ncols++] = tok;
	} else {
		cols = t->columns;
		ncols = t->ncolumns;
	}
	if ((c = bq_client_new(&cfg, &err)) == NULL)
		tool_die_err(&err);
	proj = t->project ? t->project : bq_client_project(c, &err);
	if (proj == NULL)
		tool_die_err(&err);
	if (bq_pull_sql(&sql, proj, t->dataset, t->table, cols, ncols,
	    t->timestamp_column, cfg.partition, &err) == -1)
		tool_die_err(&err);
	if (after == NULL || *after == '\0')
		after = t->sync.start_timestamp;
	cursor = TS_MIN_MICROS;
	if (after != NULL && *after != '\0' && ts_parse(after, &cursor) == -1)
		tool_die(EXIT_USAGE, "invalid cursor '%s'", after);
	bqsync_log(LOG_DEBUG, "%s", sql.buf);
	if (dry_run)
		markers = 0;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	marker("begin", INT64_MIN);
	do {
		lim = phase(&t->sync, cursor, &poll);
		if (limit_opt > 0)
			lim = limit_opt;
		got = pull_once(c, sql.buf, wi, wn, &cursor, lookback, lim,
		    t->timestamp_column, t, &err);
		if (got == -1) {
			if (!follow || err.kind != EXIT_TEMPFAIL || stop)
				tool_die_err(&err);
			bqsync_log(LOG_WARN, "%s; trying again", err.msg);
			bq_err_clear(&err);
		} else if (got == 0) {
			poll = t->sync.steady_poll;
		}
		if (follow && !stop)
			util_sleep(poll, &stop);
	} while (follow && !stop && !dry_run);
	marker("end", INT64_MIN);
	free(cols != t->columns ? cols : NULL);
	free(cl);
	strbuf_release(&sql);
	bq_client_free(c);
	config_release(&cfg);
	tool_close_stdout();
	return 0;
}
