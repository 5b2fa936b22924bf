/*
 * bq-verify: proves that Harper holds exactly the rows of BigQuery over a
 * time range, per window, and repairs what differs (see lib/verify.h).
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bq.h"
#include "config.h"
#include "harper.h"
#include "hash.h"
#include "tool.h"
#include "ts.h"
#include "util.h"
#include "verify.h"
#include "banned.h"

#define EXIT_DRIFT 3

struct out {
	int	 table;			/* --format table */
	int	 header;
	const char *worker;
	struct progress prog;
	long long windows;
};

enum {
	OPT_DRY_RUN = TOOL_OPT_LONG, OPT_FORMAT, OPT_FROM, OPT_PRUNE,
	OPT_QUICK, OPT_REPAIR, OPT_TO, OPT_WINDOW
};

static const struct tool_opt opts[] = {
	{ 'c', "config", "config", "read the configuration from config" },
	{ 'h', "help", NULL, "print this help and exit" },
	{ 'q', "quiet", NULL, "print errors only" },
	{ 't', "table", "table", "verify this table of the config only" },
	{ 'V', "version", NULL, "print the version and exit" },
	{ 'v', "verbose", NULL, "also print debugging information" },
	{ 'w', "worker", "i/N", "verify worker i's share of N" },
	{ OPT_DRY_RUN, "dry-run", NULL,
	    "print the bytes it would process, check nothing" },
	{ OPT_FORMAT, "format", "json|table", "the output format" },
	{ OPT_FROM, "from", "ts", "start of the range (RFC 3339)" },
	{ OPT_PRUNE, "prune", NULL, "with --repair, delete extra rows" },
	{ OPT_QUICK, "quick", NULL, "compare row counts only" },
	{ OPT_REPAIR, "repair", NULL, "upsert missing and changed rows" },
	{ OPT_TO, "to", "ts", "end of the range (excluded)" },
	{ OPT_WINDOW, "window", "duration", "the width of the windows (1h)" },
	TOOL_OPT_END
};

static const char synopsis[] =
    "usage: bq-verify [-hqVv] [-c config] [-t table] [-w i/N] [--from ts] "
    "[--to ts]\n"
    "\t[--window duration] [--quick] [--repair] [--prune] [--dry-run]\n"
    "\t[--format json|table]\n";

static void
json_line(const struct verify_result *r, const char *worker)
{
	char a[TS_BUFSZ], b[TS_BUFSZ];

	printf("{\"table\":\"%s\",\"worker\":\"%s\",\"kind\":\"%s\","
	    "\"from\":\"%s\",\"to\":\"%s\",\"bigquery\":%lld,\"harper\":%lld,"
	    "\"missing\":%lld,\"extra\":%lld,\"changed\":%lld",
	    r->table, worker, r->kind, ts_format(r->from, a),
	    ts_format(r->to, b), r->bq_rows, r->harper_rows, r->missing,
	    r->extra, r->changed);
	if (strcmp(r->kind, "summary") == 0)
		printf(",\"windows\":%lld,\"repaired\":%lld,\"pruned\":%lld,"
		    "\"bytesProcessed\":%lld", r->windows, r->repaired,
		    r->pruned, r->bytes);
	printf(",\"status\":\"%s\"}\n", r->status);
}

static void
table_line(struct out *o, const struct verify_result *r)
{
	char a[TS_BUFSZ], b[TS_BUFSZ];

	if (!o->header++)
		printf("%-18s %-27s %-27s %10s %10s %8s %8s %8s  %s\n",
		    "TABLE", "FROM", "TO", "BIGQUERY", "HARPER", "MISSING",
		    "EXTRA", "CHANGED", "STATUS");
	printf("%-18s %-27s %-27s %10lld %10lld %8lld %8lld %8lld  %s%s\n",
	    r->table, ts_format(r->from, a), ts_format(r->to, b), r->bq_rows,
	    r->harper_rows, r->missing, r->extra, r->changed, r->status,
	    strcmp(r->kind, "window") == 0 ? "" : strcmp(r->kind,
	    "summary") == 0 ? " (all)" : " (retention)");
}

static int
on_result(const struct verify_result *r, void *arg)
{
	struct out *o = arg;

	if (strcmp(r->kind, "window") == 0)
		progress_update(&o->prog, "%s: %lld windows", r->table,
		    ++o->windows);
	if (o->table)
		table_line(o, r);
	else
		json_line(r, o->worker);
	return ferror(stdout) ? -1 : 0;
}

static int64_t
parse_ts(const char *opt, const char *s)
{
	int64_t us;

	if (ts_parse(s, &us) == -1)
		tool_die(EXIT_USAGE, "invalid timestamp '%s' for %s", s, opt);
	return us;
}

int
main(int argc, char **argv)
{
	struct config cfg;
	struct verify_opts vo = { .nworkers = 1, .from = INT64_MIN,
	    .to = INT64_MIN, .window = 3600 * 1000000LL };
	struct verify_result sum;
	struct out out = { .worker = "0/1" };
	struct bq_err err = BQ_ERR_INIT;
	struct bq_client *bq = NULL;
	struct harper_client *h = NULL;
	const char *cfgpath = NULL, *tname = NULL, *fmt = NULL;
	char wbuf[32];
	double w;
	size_t i;
	int ch, verbosity = 0, drift = 0, r;

	tool_init(argv[0], synopsis, opts);
	while ((ch = tool_getopt(argc, argv)) != -1) {
		switch (ch) {
		case 'c': cfgpath = optarg; break;
		case 'q': verbosity = -1; break;
		case 't': tname = optarg; break;
		case 'v': verbosity = 1; break;
		case 'w':
			if (hash_parse_worker(optarg, &vo.worker,
			    &vo.nworkers) == -1)
				tool_die(EXIT_USAGE, "invalid worker '%s' "
				    "(want i/N with 0 <= i < N)", optarg);
			break;
		case OPT_DRY_RUN: vo.dry_run = 1; break;
		case OPT_FORMAT: fmt = optarg; break;
		case OPT_FROM: vo.from = parse_ts("--from", optarg); break;
		case OPT_PRUNE: vo.prune = 1; break;
		case OPT_QUICK: vo.quick = 1; break;
		case OPT_REPAIR: vo.repair = 1; break;
		case OPT_TO: vo.to = parse_ts("--to", optarg); break;
		case OPT_WINDOW:
			if ((w = config_parse_duration(optarg)) < 1)
				tool_die(EXIT_USAGE, "invalid --window '%s' "
				    "(at least 1s)", optarg);
			vo.window = (int64_t)(w * 1e6);
			break;
		}
	}
	if (optind != argc)
		tool_usage();
	if (fmt != NULL && strcmp(fmt, "json") != 0 &&
	    strcmp(fmt, "table") != 0)
		tool_die(EXIT_USAGE, "invalid --format '%s'", fmt);
	out.table = fmt ? strcmp(fmt, "table") == 0 : isatty(STDOUT_FILENO);
	snprintf(wbuf, sizeof(wbuf), "%d/%d", vo.worker, vo.nworkers);
	out.worker = wbuf;
	bqsync_set_verbosity(verbosity);
	if (config_load(&cfg, cfgpath, &err) == -1)
		tool_die_err(&err);
	if (tname == NULL && cfg.ntables == 0)
		tool_die(EXIT_CONFIG, "no table: give --table or list tables "
		    "in the config");
	if (tname != NULL && config_table(&cfg, tname, &err) == NULL)
		tool_die_err(&err);
	if ((bq = bq_client_new(&cfg, &err)) == NULL ||
	    (h = harper_client_new(&cfg, &err)) == NULL)
		tool_die_err(&err);
	progress_init(&out.prog, verbosity >= 0 && isatty(STDERR_FILENO));
	vo.cfg = &cfg;
	vo.report = vo.dry_run ? NULL : on_result;
	vo.arg = &out;
	for (i = 0; i < cfg.ntables; i++) {
		vo.t = &cfg.tables[i];
		if (tname != NULL && vo.t != config_table(&cfg, tname, &err))
			continue;
		vo.project = vo.t->project ? vo.t->project :
		    bq_client_project(bq, &err);
		if (vo.project == NULL)
			tool_die_err(&err);
		if ((r = verify_table(bq, h, &vo, &sum, &err)) == -1)
			tool_die_err(&err);
		drift |= r;
		if (vo.dry_run) {
			printf("{\"table\":\"%s\",\"dryRun\":true,"
			    "\"bytesProcessed\":%lld}\n", vo.t->id, sum.bytes);
			continue;
		}
		on_result(&sum, &out);
		if (cfg.ckpt_store != NULL &&
		    strcmp(cfg.ckpt_store, "harper") == 0 &&
		    verify_audit(h, cfg.audit_table, &sum, wbuf, &err) == -1)
			bqsync_log(BQ_LOG_WARN, "%s", err.msg);
		if (fflush(stdout) == EOF)
			tool_write_failed();
	}
	progress_done(&out.prog);
	harper_client_free(h);
	bq_client_free(bq);
	config_release(&cfg);
	tool_close_stdout();
	return drift && !vo.dry_run ? EXIT_DRIFT : 0;
}
