/*
 * bq-pull: one worker's share of new rows of a BigQuery table, in
 * timestamp order, as NDJSON rows typed exactly (bqsync(7)).
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bq.h"
#include "bqrow.h"
#include "config.h"
#include "hash.h"
#include "log.h"
#include "pull.h"
#include "ts.h"
#include "util.h"
#include "banned.h"

static volatile int stop;
static struct pull *pulling;	/* for the error line of tool_die() */

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
	    "\t[--before ts] [--column name] [--columns a,b] [--dataset name]\n"
	    "\t[--dry-run]"
	    " [--from-response file] [--lookback duration] [--no-markers]\n"
	    "\t[--partition fingerprint|micros] [--project id] "
	    "[--source-table name]\n");
	if (fp == stdout)
		tool_close_stdout();
	exit(status);
}

static void
on_die(int code, const char *msg)
{
	pull_error(pulling, code, msg);
}

/* Dies of a write failure (SIGPIPE on EPIPE) or of err. */
static void
die(const struct pull *p, const struct bq_err *err)
{
	if (p->write_errno != 0) {
		errno = p->write_errno;
		tool_write_failed();
	}
	tool_die_err(err);
}

/* --from-response: converts a saved jobs.query/getQueryResults answer. */
static void
from_response(struct pull *p, const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	struct bq_err err = BQ_ERR_INIT;
	struct bq_query *q;
	int64_t last, prev;
	int cut;

	if (util_read_file(path, &sb) == -1)
		tool_die(EXIT_IOERR, "cannot read '%s'", path);
	p->ts_column = NULL;
	if ((q = bq_query_from_buf(&sb, &err)) == NULL)
		tool_die(exit_for(&err), "%s: %s", path, err.msg);
	if (pull_rows(p, q, &last, &prev, &cut, &err) == -1) {
		bq_err_prefix(&err, "%s", path);
		die(p, &err);
	}
	bq_query_free(q);
	strbuf_release(&sb);
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
		{ "before", required_argument, NULL, 11 },
		{ NULL, 0, NULL, 0 }
	};
	struct config cfg;
	struct config_table *t = NULL;
	struct pull p = { .markers = 1, .nworkers = 1, .lookback = -1,
	    .billed = -1, .processed = -1 };
	struct bq_err err = BQ_ERR_INIT;
	struct bq_client *c = NULL;
	struct strbuf sql = STRBUF_INIT, psql = STRBUF_INIT;
	const char *cfgpath = NULL, *after = NULL, *tname = NULL, *proj;
	const char *o_col = NULL, *o_cols = NULL, *o_ds = NULL, *o_proj = NULL;
	const char *o_src = NULL, *o_part = NULL, *o_resp = NULL;
	char **cols = NULL, *cl = NULL, *tok, *sp;
	char *const *keys;
	size_t ncols = 0, nkeys;
	double poll = 0;
	int64_t cursor;
	long lim, got, limit_opt = 0;
	int ch, follow = 0, verbosity = 0;

	tool_setup(argv[0]);
	util_no_core_dumps();	/* it may hold keys, tokens, passwords */
	while ((ch = getopt_long(argc, argv, "a:c:fhn:qt:uVvw:", opts,
	    NULL)) != -1) {
		switch (ch) {
		case 'a': after = optarg; break;
		case 'c': cfgpath = optarg; break;
		case 'f': follow = 1; break;
		case 'h': usage(stdout, 0); break;
		case 'n': limit_opt = tool_parse_long("--limit", optarg, 1,
		    CONFIG_BATCH_MAX); break;
		case 'q': verbosity = -1; break;
		case 't': tname = optarg; break;
		case 'u': setvbuf(stdout, NULL, _IOLBF, 0); break;
		case 'V': tool_version();
		case 'v': verbosity = 1; break;
		case 'w':
			if (hash_parse_worker(optarg, &p.worker,
			    &p.nworkers) == -1)
				tool_die(EXIT_USAGE, "invalid worker '%s' "
				    "(want i/N with 0 <= i < N)", optarg);
			break;
		case 1: o_col = optarg; break;
		case 2: o_cols = optarg; break;
		case 3: o_ds = optarg; break;
		case 4: p.dry_run = 1; break;
		case 5: o_resp = optarg; break;
		case 6:
			if ((p.lookback = config_parse_duration(optarg)) < 0 ||
			    p.lookback > CONFIG_DURATION_MAX)
				tool_die(EXIT_USAGE, "invalid duration '%s' "
				    "for --lookback", optarg);
			break;
		case 7: p.markers = 0; break;
		case 8: o_part = optarg; break;
		case 9: o_proj = optarg; break;
		case 10: o_src = optarg; break;
		case 11:
			if (ts_parse(optarg, &p.before) == -1)
				tool_die(EXIT_USAGE, "invalid timestamp '%s' "
				    "for --before", optarg);
			break;
		default: usage(stderr, EXIT_USAGE);
		}
	}
	if (optind != argc)
		usage(stderr, EXIT_USAGE);
	tool_check_name("--table", tname);
	tool_check_name("--source-table", o_src);
	tool_check_name("--dataset", o_ds);
	tool_check_name("--project", o_proj);
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
	p.out = stdout;
	p.stop = &stop;
	if (t != NULL) {
		p.id_columns = t->id_columns;
		p.nid_columns = t->nid_columns;
		p.id_column = t->id_column;
	}
	if (o_resp != NULL) {
		from_response(&p, o_resp);
		config_release(&cfg);
		tool_close_stdout();
		return 0;
	}
	if (t == NULL)
		tool_die(EXIT_CONFIG, "no table: give --table or "
		    "--source-table, or list tables in the config");
	if (o_proj) config_set_str(&t->project, o_proj);
	if (o_proj && cfg.project == NULL)	/* also the billing project */
		config_set_str(&cfg.project, o_proj);
	if (o_ds) config_set_str(&t->dataset, o_ds);
	if (o_src) config_set_str(&t->table, o_src);
	if (o_col) config_set_str(&t->timestamp_column, o_col);
	if (o_part) cfg.partition = strcmp(o_part, "micros") == 0 ?
	    PARTITION_MICROS : PARTITION_FINGERPRINT;
	if (p.lookback < 0)
		p.lookback = t->sync.lookback;
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
	if (p.dry_run)
		p.markers = 0;
	if (pull_begin(&p, t->id) == -1)
		die(&p, &err);
	pulling = &p;
	tool_set_die_hook(on_die);
	if ((c = bq_client_new(&cfg, &err)) == NULL)
		tool_die_err(&err);
	proj = t->project ? t->project : bq_client_project(c, &err);
	if (proj == NULL)
		tool_die_err(&err);
	/* A natural-key table is shared by its key (bqsync(7)). */
	keys = t->nid_columns > 0 ? t->id_columns :
	    t->id_column != NULL ? &t->id_column : NULL;
	nkeys = t->nid_columns > 0 ? t->nid_columns : t->id_column != NULL;
	if (bq_pull_sql(&sql, proj, t->dataset, t->table, cols, ncols,
	    t->timestamp_column, keys, nkeys, cfg.partition, &err) == -1 ||
	    bq_probe_sql(&psql, proj, t->dataset, t->table,
	    t->timestamp_column, keys, nkeys, cfg.partition, limit_opt > 0,
	    &err) == -1)
		tool_die_err(&err);
	if (after == NULL || *after == '\0')
		after = t->sync.start_timestamp;
	cursor = TS_MIN_MICROS;
	if (after != NULL && *after != '\0' && ts_parse(after, &cursor) == -1)
		tool_die(EXIT_USAGE, "invalid cursor '%s'", after);
	bqsync_log(BQ_LOG_DEBUG, "%s", psql.buf);
	bqsync_log(BQ_LOG_DEBUG, "%s", sql.buf);
	p.sql = sql.buf;
	p.probe_sql = psql.buf;
	p.limit = limit_opt;
	p.max_billed = cfg.max_bytes_billed;
	p.daily_limit = cfg.daily_bytes_limit;
	if (p.daily_limit > 0 && !p.dry_run &&
	    pull_day_billed(&p, &cfg, t->id, &err) == -1)
		tool_die_err(&err);
	p.ts_column = t->timestamp_column;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	do {
		lim = pull_phase(&t->sync, cursor, &poll);
		got = pull_once(&p, c, lim, &cursor, &err);
		if (got == -1) {
			/* rows already out: a retry would repeat them */
			if (!follow || err.kind != EXIT_TEMPFAIL || stop ||
			    p.write_errno != 0 || p.emitted > 0)
				die(&p, &err);
			bqsync_log(BQ_LOG_WARN, "%s; trying again", err.msg);
			bq_err_clear(&err);
		} else if (got == 0) {
			poll = t->sync.steady_poll;
		}
		if (follow && !stop)
			util_sleep(poll, &stop);
	} while (!stop && !p.dry_run && (follow ||
	    (p.before != 0 && limit_opt == 0 && got >= lim)));
	if (pull_marker(&p, "end", INT64_MIN) == -1)
		die(&p, &err);
	free(cols != t->columns ? cols : NULL);
	free(cl);
	if (!p.dry_run)
		bqsync_log(BQ_LOG_DEBUG, "%lld bytes billed by this run",
		    (long long)p.run_billed);
	strbuf_release(&sql);
	strbuf_release(&psql);
	bq_client_free(c);
	config_release(&cfg);
	tool_close_stdout();
	return 0;
}
