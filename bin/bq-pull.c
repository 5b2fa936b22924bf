/*
 * bq-pull: one worker's share of new rows of a BigQuery table, in
 * timestamp order, as NDJSON rows typed exactly (bqsync(7)).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bq.h"
#include "config.h"
#include "hash.h"
#include "pull.h"
#include "tool.h"
#include "ts.h"
#include "util.h"
#include "banned.h"

static volatile sig_atomic_t stop;
static struct pull *pulling;	/* for the error line of tool_die() */

enum {
	OPT_BEFORE = TOOL_OPT_LONG, OPT_COLUMN, OPT_COLUMNS, OPT_DATASET,
	OPT_DRY_RUN, OPT_FROM_RESPONSE, OPT_LOOKBACK, OPT_NO_MARKERS,
	OPT_PARTITION, OPT_PROJECT, OPT_SOURCE_TABLE
};

static const struct tool_opt opts[] = {
	{ 'a', "after", "cursor", "only rows with a timestamp after cursor" },
	{ 'c', "config", "file", "read the configuration from file" },
	{ 'f', "follow", NULL, "keep pulling as rows arrive" },
	{ 'h', "help", NULL, "print this help and exit" },
	{ 'n', "limit", "rows", "at most rows rows a pass" },
	{ 'q', "quiet", NULL, "only print errors" },
	{ 't', "table", "table", "the configured table to pull" },
	{ 'u', "unbuffered", NULL, "flush standard output after each line" },
	{ 'V', "version", NULL, "print the version and exit" },
	{ 'v', "verbose", NULL, "print debug messages, the queries too" },
	{ 'w', "worker", "i/N", "pull worker i's share of N" },
	{ OPT_BEFORE, "before", "ts", "only rows with a timestamp before ts" },
	{ OPT_COLUMN, "column", "name", "the timestamp column" },
	{ OPT_COLUMNS, "columns", "a,b,...", "the columns to select" },
	{ OPT_DATASET, "dataset", "name", "override the BigQuery dataset" },
	{ OPT_DRY_RUN, "dry-run", NULL, "print the next pass's queries and "
	    "bytes, pull nothing" },
	{ OPT_FROM_RESPONSE, "from-response", "file",
	    "convert a saved jobs.query answer" },
	{ OPT_LOOKBACK, "lookback", "duration",
	    "also re-read rows this far before the cursor" },
	{ OPT_NO_MARKERS, "no-markers", NULL, "omit the control lines" },
	{ OPT_PARTITION, "partition", "fingerprint|micros",
	    "the partition scheme" },
	{ OPT_PROJECT, "project", "id", "override the BigQuery project" },
	{ OPT_SOURCE_TABLE, "source-table", "name",
	    "override the BigQuery table" },
	TOOL_OPT_END
};

static const char synopsis[] =
    "usage: bq-pull [-fhquVv] [-a cursor] [-c config] [-n rows] [-t table] "
    "[-w i/N]\n"
    "\t[--before ts] [--column name] [--columns a,b] [--dataset name]\n"
    "\t[--dry-run] [--from-response file] [--lookback duration] "
    "[--no-markers]\n"
    "\t[--partition fingerprint|micros] [--project id] "
    "[--source-table name]\n";

/* The command line, as given. */
static struct {
	const char *cfgpath, *after, *table, *column, *columns, *dataset;
	const char *project, *source, *partition, *response;
	int	 follow, verbosity;
} o;

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

static void
parse_options(int argc, char **argv, struct pull *p)
{
	int ch;

	while ((ch = tool_getopt(argc, argv)) != -1) {
		switch (ch) {
		case 'a': o.after = optarg; break;
		case 'c': o.cfgpath = optarg; break;
		case 'f': o.follow = 1; break;
		case 'n': p->limit = tool_parse_long("--limit", optarg, 1,
		    CONFIG_BATCH_MAX); break;
		case 'q': o.verbosity = -1; break;
		case 't': o.table = optarg; break;
		case 'u': setvbuf(stdout, NULL, _IOLBF, 0); break;
		case 'v': o.verbosity = 1; break;
		case 'w':
			if (hash_parse_worker(optarg, &p->worker,
			    &p->nworkers) == -1)
				tool_die(EXIT_USAGE, "invalid worker '%s' "
				    "(want i/N with 0 <= i < N)", optarg);
			break;
		case OPT_COLUMN: o.column = optarg; break;
		case OPT_COLUMNS: o.columns = optarg; break;
		case OPT_DATASET: o.dataset = optarg; break;
		case OPT_DRY_RUN: p->dry_run = 1; break;
		case OPT_FROM_RESPONSE: o.response = optarg; break;
		case OPT_LOOKBACK:
			if ((p->lookback = config_parse_duration(optarg)) < 0 ||
			    p->lookback > CONFIG_DURATION_MAX)
				tool_die(EXIT_USAGE, "invalid duration '%s' "
				    "for --lookback", optarg);
			break;
		case OPT_NO_MARKERS: p->markers = 0; break;
		case OPT_PARTITION: o.partition = optarg; break;
		case OPT_PROJECT: o.project = optarg; break;
		case OPT_SOURCE_TABLE: o.source = optarg; break;
		case OPT_BEFORE:
			if (ts_parse(optarg, &p->before) == -1)
				tool_die(EXIT_USAGE, "invalid timestamp '%s' "
				    "for --before", optarg);
			break;
		}
	}
	if (optind != argc)
		tool_usage();
	tool_check_name("--table", o.table);
	tool_check_name("--source-table", o.source);
	tool_check_name("--dataset", o.dataset);
	tool_check_name("--project", o.project);
	if (o.partition != NULL && strcmp(o.partition, "fingerprint") != 0 &&
	    strcmp(o.partition, "micros") != 0)
		tool_die(EXIT_USAGE, "invalid --partition '%s'", o.partition);
}

/* The command line's choices over the config's, for table t. */
static void
apply_options(struct config *cfg, struct config_table *t)
{
	if (o.project) config_set_str(&t->project, o.project);
	if (o.project && cfg->project == NULL)	/* also the billing project */
		config_set_str(&cfg->project, o.project);
	if (o.dataset) config_set_str(&t->dataset, o.dataset);
	if (o.source) config_set_str(&t->table, o.source);
	if (o.column) config_set_str(&t->timestamp_column, o.column);
	if (o.partition) cfg->partition = strcmp(o.partition, "micros") == 0 ?
	    PARTITION_MICROS : PARTITION_FINGERPRINT;
}

int
main(int argc, char **argv)
{
	struct config cfg;
	struct config_table *t = NULL;
	struct pull p = { .markers = 1, .nworkers = 1, .lookback = -1,
	    .billed = -1, .processed = -1 };
	struct bq_err err = BQ_ERR_INIT;
	struct bq_client *c = NULL;
	struct strbuf sql = STRBUF_INIT, psql = STRBUF_INIT;
	const char *after, *proj;
	int64_t cursor;

	tool_init(argv[0], synopsis, opts);
	util_no_core_dumps();	/* it may hold keys, tokens, passwords */
	parse_options(argc, argv, &p);
	bqsync_set_verbosity(o.verbosity);
	if (config_load(&cfg, o.cfgpath, &err) == -1)
		tool_die_err(&err);
	if (o.table != NULL || cfg.ntables > 0)
		t = config_table(&cfg, o.table, &err);
	if (t == NULL && (o.table != NULL || o.source != NULL))
		t = config_table_add(&cfg, o.table ? o.table : o.source);
	p.out = stdout;
	p.stop = &stop;
	if (t != NULL)
		apply_options(&cfg, t);
	pull_configure(&p, &cfg, t);
	if (o.response != NULL) {
		if (pull_from_response(&p, o.response, &err) == -1)
			die(&p, &err);
		config_release(&cfg);
		tool_close_stdout();
		return 0;
	}
	if (t == NULL)
		tool_die(EXIT_CONFIG, "no table: give --table or "
		    "--source-table, or list tables in the config");
	if (pull_begin(&p, t->id) == -1)
		die(&p, &err);
	pulling = &p;
	tool_set_die_hook(on_die);
	if ((c = bq_client_new(&cfg, &err)) == NULL)
		tool_die_err(&err);
	if ((proj = t->project ? t->project : bq_client_project(c,
	    &err)) == NULL || pull_build_sql(&sql, &psql, &cfg, t, proj,
	    o.columns, p.limit > 0, &err) == -1)
		tool_die_err(&err);
	after = o.after && *o.after ? o.after : t->sync.start_timestamp;
	cursor = TS_MIN_MICROS;
	if (after != NULL && *after != '\0' && ts_parse(after, &cursor) == -1)
		tool_die(EXIT_USAGE, "invalid cursor '%s'", after);
	bqsync_log(BQ_LOG_DEBUG, "%s", psql.buf);
	bqsync_log(BQ_LOG_DEBUG, "%s", sql.buf);
	p.sql = sql.buf;
	p.probe_sql = psql.buf;
	if (p.daily_limit > 0 && !p.dry_run &&
	    pull_day_billed(&p, &cfg, t->id, &err) == -1)
		tool_die_err(&err);
	tool_stop_on_signals(&stop);
	if (pull_run(&p, c, &t->sync, cursor, o.follow, &err) == -1)
		die(&p, &err);
	strbuf_release(&sql);
	strbuf_release(&psql);
	bq_client_free(c);
	config_release(&cfg);
	tool_close_stdout();
	return 0;
}
