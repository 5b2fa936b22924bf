/*
 * bq-verify: proves that Harper holds exactly the rows of BigQuery over a
 * time range, per window, and repairs what differs (see lib/verify.h).
 */
#include <getopt.h>
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
#include "log.h"
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

static void
usage(FILE *fp, int status)
{
	fprintf(fp, "usage: bq-verify [-hqVv] [-c config] [-t table] "
	    "[-w i/N] [--from ts] [--to ts]\n"
	    "\t[--window duration] [--quick] [--repair] [--prune] "
	    "[--dry-run]\n\t[--format json|table]\n");
	if (fp == stdout)
		tool_close_stdout();
	exit(status);
}

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

/* Writes the result into the audit table (checkpoint.store: harper). */
static void
audit(struct harper_client *h, const struct config *cfg,
    const struct verify_result *r, const char *worker)
{
	struct bq_err err = BQ_ERR_INIT;
	struct strbuf rec = STRBUF_INIT;
	char now[TS_BUFSZ], a[TS_BUFSZ], b[TS_BUFSZ];
	static char *const idx[] = { (char *)"tableId", (char *)"checkedAt" };
	static char *const plain[] = { (char *)"worker", (char *)"windowStart",
	    (char *)"windowEnd", (char *)"bigqueryRows", (char *)"harperRows",
	    (char *)"missing", (char *)"extra", (char *)"changed",
	    (char *)"repaired", (char *)"pruned", (char *)"windows",
	    (char *)"bytesProcessed", (char *)"status" };

	ts_format(ts_now(), now);
	strbuf_addf(&rec, "[{\"id\":\"%s:%s:%s\",\"tableId\":\"%s\","
	    "\"worker\":\"%s\",\"checkedAt\":\"%s\",\"windowStart\":\"%s\","
	    "\"windowEnd\":\"%s\",\"bigqueryRows\":%lld,\"harperRows\":%lld,"
	    "\"missing\":%lld,\"extra\":%lld,\"changed\":%lld,"
	    "\"repaired\":%lld,\"pruned\":%lld,\"windows\":%lld,"
	    "\"bytesProcessed\":%lld,\"status\":\"%s\"}]", r->table, worker,
	    now, r->table, worker, now, ts_format(r->from, a),
	    ts_format(r->to, b), r->bq_rows, r->harper_rows, r->missing,
	    r->extra, r->changed, r->repaired, r->pruned, r->windows,
	    r->bytes, r->status);
	if (harper_create_table_columns(h, cfg->audit_table, (char **)idx, 2,
	    (char **)plain, sizeof(plain) / sizeof(plain[0]), &err) == -1 ||
	    harper_upsert(h, cfg->audit_table, rec.buf, rec.len, &err) == -1)
		bqsync_log(BQ_LOG_WARN, "cannot write to '%s': %s",
		    cfg->audit_table, err.msg);
	strbuf_release(&rec);
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
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "table", required_argument, NULL, 't' },
		{ "version", no_argument, NULL, 'V' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "worker", required_argument, NULL, 'w' },
		{ "dry-run", no_argument, NULL, 1 },
		{ "format", required_argument, NULL, 2 },
		{ "from", required_argument, NULL, 3 },
		{ "prune", no_argument, NULL, 4 },
		{ "quick", no_argument, NULL, 5 },
		{ "repair", no_argument, NULL, 6 },
		{ "to", required_argument, NULL, 7 },
		{ "window", required_argument, NULL, 8 },
		{ NULL, 0, NULL, 0 }
	};
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

	tool_setup(argv[0]);
	while ((ch = getopt_long(argc, argv, "c:hqt:Vvw:", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': cfgpath = optarg; break;
		case 'h': usage(stdout, 0); break;
		case 'q': verbosity = -1; break;
		case 't': tname = optarg; break;
		case 'V': tool_version();
		case 'v': verbosity = 1; break;
		case 'w':
			if (hash_parse_worker(optarg, &vo.worker,
			    &vo.nworkers) == -1)
				tool_die(EXIT_USAGE, "invalid worker '%s' "
				    "(want i/N with 0 <= i < N)", optarg);
			break;
		case 1: vo.dry_run = 1; break;
		case 2: fmt = optarg; break;
		case 3: vo.from = parse_ts("--from", optarg); break;
		case 4: vo.prune = 1; break;
		case 5: vo.quick = 1; break;
		case 6: vo.repair = 1; break;
		case 7: vo.to = parse_ts("--to", optarg); break;
		case 8:
			if ((w = config_parse_duration(optarg)) < 1)
				tool_die(EXIT_USAGE, "invalid --window '%s' "
				    "(at least 1s)", optarg);
			vo.window = (int64_t)(w * 1e6);
			break;
		default: usage(stderr, EXIT_USAGE);
		}
	}
	if (optind != argc)
		usage(stderr, EXIT_USAGE);
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
		    strcmp(cfg.ckpt_store, "harper") == 0)
			audit(h, &cfg, &sum, wbuf);
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
