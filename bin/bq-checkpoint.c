/*
 * bq-checkpoint: the resume point of each worker, its lag and phase.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ckpt.h"
#include "ckptcommit.h"
#include "config.h"
#include "control.h"
#include "harper.h"
#include "tool.h"
#include "metrics.h"
#include "ndjson.h"
#include "ts.h"
#include "util.h"
#include "banned.h"

enum {
	OPT_ALL = TOOL_OPT_LONG, OPT_BATCH, OPT_CURSOR, OPT_FORMAT, OPT_NAME,
	OPT_PHASE, OPT_POLL, OPT_STATE, OPT_STATUS, OPT_STORE, OPT_TEE, OPT_TOOL
};

static const struct tool_opt opts[] = {
	{ 'c', "config", "config", "read the configuration from config" },
	{ 'h', "help", NULL, "print this help and exit" },
	{ 'q', "quiet", NULL, "print errors only" },
	{ 't', "table", "table", "the config table" },
	{ 'V', "version", NULL, "print the version and exit" },
	{ 'v', "verbose", NULL, "print debugging messages" },
	{ 'w', "worker", "i/N", "the worker: index i of N (default 0/1)" },
	{ OPT_ALL, "all", NULL, "reset: every checkpoint of the table" },
	{ OPT_BATCH, "batch-size", NULL, "get: the phase's batch size" },
	{ OPT_CURSOR, "cursor", "timestamp", "set: the new cursor" },
	{ OPT_FORMAT, "format", "format", "get: sh or json; status: text, "
	    "json or prometheus" },
	{ OPT_NAME, "name", "worker", "commit, set, error: the worker's "
	    "host-thread name" },
	{ OPT_PHASE, "phase", NULL, "get: the current phase" },
	{ OPT_POLL, "poll-interval", NULL, "get: the phase's poll interval" },
	{ OPT_STATE, "state", "file", "the file store's path" },
	{ OPT_STATUS, "status", "code", "error: the failed stage's exit "
	    "status" },
	{ OPT_STORE, "store", "file|harper", "the store" },
	{ OPT_TEE, "tee", NULL, "commit: copy each stored ack to stdout" },
	{ OPT_TOOL, "tool", "name", "error: the failed stage's name" },
	TOOL_OPT_END
};

static const char synopsis[] =
    "usage: bq-checkpoint [-hqVv] [-c config] [-t table] [-w i/N] "
    "[--store file|harper]\n"
    "\t[--state file] command\n"
    "commands: get [--phase | --batch-size | --poll-interval | "
    "--format sh|json]\n"
    "          commit [--name worker] [--tee]\n"
    "          status [--format text|json|prometheus]\n"
    "          error [--status code] [--tool name] [--name worker] "
    "< message\n"
    "          control stop|start\n"
    "          set --cursor ts [--name worker]\n"
    "          reset [--all]\n";

static struct config cfg;
static struct config_table *tbl, adhoc;
static struct ckpt_store *st;
static long wi, wn = 1;
static const char *cpath, *table, *store_kind, *state, *cursor;
static char *name, host[256], dflt[300];
static enum ckpt_format fmt = CKPT_FMT_CURSOR;
static const char *tool = "bq-sync", *sfmt;
static int prom, text = -1, tee, all, estatus = EXIT_FAIL, nwhat;
static int64_t micros;

static void
emit(const char *s, size_t len)
{
	if ((len > 0 && fwrite(s, 1, len, stdout) != len) ||
	    fflush(stdout) == EOF)
		tool_write_failed();
}

/* status --format: text, json or prometheus; -1 for anything else. */
static int
status_format(const char *s)
{
	if (strcmp(s, "prometheus") == 0) {
		prom = 1;
		text = 0;
	} else if (strcmp(s, "text") == 0)
		text = 1;
	else
		return -1;
	return 0;
}

/* The store of the config; the verbs that need one open it. */
static void
open_store(void)
{
	struct bq_err err = BQ_ERR_INIT;

	if ((st = ckpt_store_new(&cfg, &err)) == NULL)
		tool_die_err(&err);
}

/* The worker's name for commit and error: --name, else host-i. */
static void
default_name(void)
{
	if (name != NULL)
		return;
	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	snprintf(dflt, sizeof(dflt), "%s-%ld", host, wi);
	name = dflt;
}

static int
cmd_get(int argc TOOL_UNUSED, char *argv[] TOOL_UNUSED)
{
	struct ckpt_start s;
	struct bq_err err = BQ_ERR_INIT;
	struct strbuf sb = STRBUF_INIT;
	char cur[TS_BUFSZ];

	open_store();
	if (ckpt_start(st, tbl->id, wi, wn, &s, &err) == -1)
		tool_die_err(&err);
	if (s.rebalanced)
		bqsync_log(BQ_LOG_DEBUG, "no checkpoint for '%s' worker %ld/%ld: "
		    "starting from %s, the minimum cursor of the %ld-worker "
		    "layout", tbl->id, wi, wn, ts_format(s.cursor, cur),
		    s.from_n);
	ckpt_start_format(&s, tbl->id, wi, wn, &tbl->sync, ts_now(), fmt, &sb);
	emit(sb.buf, sb.len);
	strbuf_release(&sb);
	return EXIT_OK;
}

/* A commit of the worker's acks: the store, the table, the name. */
static void
commit_init(struct ckpt_commit *c)
{
	open_store();
	default_name();
	c->st = st;
	c->tbl = tbl;
	c->wi = wi;
	c->wn = wn;
	c->name = name;
	c->tee = tee ? stdout : NULL;
}

static int
cmd_commit(int argc TOOL_UNUSED, char *argv[] TOOL_UNUSED)
{
	struct ckpt_commit c = { NULL, NULL, 0, 0, NULL, NULL, 0, 0 };
	struct ndjson_reader *rd;
	struct bq_err err = BQ_ERR_INIT;

	commit_init(&c);
	rd = ndjson_reader_new(STDIN_FILENO, "<stdin>");
	if (ckpt_commit(&c, rd, &err) == -1) {
		if (c.write_errno != 0) {
			errno = c.write_errno;
			tool_write_failed();
		}
		tool_die_err(&err);
	}
	ndjson_reader_free(rd);
	return EXIT_OK;
}

/* `error`: the failure a supervisor saw, on stdin, as the lastError. */
static int
cmd_error(int argc TOOL_UNUSED, char *argv[] TOOL_UNUSED)
{
	struct ckpt_commit c = { NULL, NULL, 0, 0, NULL, NULL, 0, 0 };
	struct strbuf msg = STRBUF_INIT;
	struct bq_err err = BQ_ERR_INIT;
	char buf[512];
	size_t n;

	while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0 && msg.len < 4096)
		strbuf_add(&msg, buf, n);
	commit_init(&c);
	if (ckpt_commit_error(&c, tool, estatus, msg.buf, msg.len, &err) == -1)
		tool_die_err(&err);
	strbuf_release(&msg);
	return EXIT_OK;
}

/* `control stop|start`: the SyncControl record of the table, or of all. */
static int
cmd_control(int argc TOOL_UNUSED, char *argv[])
{
	struct bq_err err = BQ_ERR_INIT;
	struct harper_client *hc;
	const char *only = table ? tbl->id : NULL;

	if (strcmp(argv[1], "stop") != 0 && strcmp(argv[1], "start") != 0)
		tool_usage();
	if ((hc = harper_client_new(&cfg, &err)) == NULL ||
	    control_set(hc, only, argv[1], &err) == -1)
		tool_die_err(&err);
	bqsync_log(BQ_LOG_INFO, "%s: %s", only ? only : "every table",
	    argv[1]);
	harper_client_free(hc);
	return EXIT_OK;
}

static int
cmd_status(int argc TOOL_UNUSED, char *argv[] TOOL_UNUSED)
{
	struct ckpt_record *recs = NULL;
	struct bq_err err = BQ_ERR_INIT;
	struct strbuf sb = STRBUF_INIT;
	const char *only = table ? tbl->id : NULL;
	size_t n;

	open_store();
	if (ckpt_list(st, only, &recs, &n, &err) == -1)
		tool_die_err(&err);
	if (prom)
		metrics_prometheus(recs, n, &cfg, ts_now(), &sb);
	else
		ckpt_status_format(recs, n, &cfg, ts_now(), text == -1 ?
		    isatty(STDOUT_FILENO) : text, &sb);
	emit(sb.buf, sb.len);
	strbuf_release(&sb);
	ckpt_records_free(recs, n);
	return EXIT_OK;
}

static int
cmd_set(int argc TOOL_UNUSED, char *argv[] TOOL_UNUSED)
{
	struct bq_err err = BQ_ERR_INIT;

	open_store();
	if (ckpt_set(st, &tbl->sync, tbl->id, wi, wn, name, micros, ts_now(),
	    &err) == -1)
		tool_die_err(&err);
	return EXIT_OK;
}

static int
cmd_reset(int argc TOOL_UNUSED, char *argv[] TOOL_UNUSED)
{
	struct bq_err err = BQ_ERR_INIT;
	size_t nd;

	open_store();
	if (ckpt_delete(st, tbl->id, wi, all ? 0 : wn, &nd, &err) == -1)
		tool_die_err(&err);
	bqsync_log(BQ_LOG_INFO, "deleted %zu checkpoint%s", nd,
	    nd == 1 ? "" : "s");
	return EXIT_OK;
}

static const int get_opts[] = { OPT_BATCH, OPT_FORMAT, OPT_PHASE, OPT_POLL,
    0 };
static const int commit_opts[] = { OPT_NAME, OPT_TEE, 0 };
static const int error_opts[] = { OPT_NAME, OPT_STATUS, OPT_TOOL, 0 };
static const int reset_opts[] = { OPT_ALL, 0 };
static const int set_opts[] = { OPT_CURSOR, OPT_NAME, 0 };
static const int status_opts[] = { OPT_FORMAT, 0 };

static const struct tool_cmd cmds[] = {
	{ "commit", cmd_commit, commit_opts },
	{ "control", cmd_control, NULL },
	{ "error", cmd_error, error_opts },
	{ "get", cmd_get, get_opts },
	{ "reset", cmd_reset, reset_opts },
	{ "set", cmd_set, set_opts },
	{ "status", cmd_status, status_opts },
	{ NULL, NULL, NULL }
};

static void
parse_options(int argc, char *argv[])
{
	int ch;

	while ((ch = tool_getopt(argc, argv)) != -1) {
		switch (ch) {
		case 'c': cpath = optarg; break;
		case 'q': bqsync_set_verbosity(-1); break;
		case 't': table = optarg; break;
		case 'v': bqsync_set_verbosity(1); break;
		case 'w':
			if (ckpt_parse_worker(optarg, &wi, &wn) == -1)
				tool_die(EXIT_USAGE, "bad worker '%s': want "
				    "i/N with 0 <= i < N", optarg);
			break;
		case OPT_ALL: all = 1; break;
		case OPT_BATCH: fmt = CKPT_FMT_BATCH; nwhat++; break;
		case OPT_PHASE: fmt = CKPT_FMT_PHASE; nwhat++; break;
		case OPT_POLL: fmt = CKPT_FMT_POLL; nwhat++; break;
		case OPT_CURSOR: cursor = optarg; break;
		case OPT_FORMAT:
			if (strcmp(optarg, "sh") == 0)
				fmt = CKPT_FMT_SH;
			else if (strcmp(optarg, "json") == 0)
				fmt = CKPT_FMT_JSON;
			else if (status_format(optarg) == -1)
				tool_usage();
			nwhat++;
			sfmt = optarg;
			break;
		case OPT_NAME: name = optarg; break;
		case OPT_STATE: state = optarg; break;
		case OPT_STATUS: estatus = (int)tool_parse_long("--status",
		    optarg, 1, 255); break;
		case OPT_TOOL: tool = optarg; break;
		case OPT_STORE: store_kind = optarg; break;
		case OPT_TEE: tee = 1; break;
		}
	}
}

int
main(int argc, char *argv[])
{
	const struct tool_cmd *c;
	struct bq_err err = BQ_ERR_INIT;
	int rc;

	tool_init(argv[0], synopsis, opts);
	util_no_core_dumps();	/* it may hold keys, tokens, passwords */
	parse_options(argc, argv);
	argc -= optind;
	argv += optind;
	if (argc < 1)
		tool_usage();
	tool_check_name("--table", table);
	c = tool_cmd(cmds, argv[0]);
	if (argc != (c->fn == cmd_control ? 2 : 1) || nwhat > 1 ||
	    (c->fn == cmd_set && cursor == NULL))
		tool_usage();
	if (sfmt != NULL && c->fn == cmd_status) {
		if (strcmp(sfmt, "json") == 0)
			text = 0;
		else if (strcmp(sfmt, "sh") == 0)
			tool_usage();
	} else if (text != -1) {
		tool_usage();	/* text, prometheus: status */
	}
	if (cursor != NULL && ts_parse(cursor, &micros) == -1)
		tool_die(EXIT_USAGE, "bad timestamp '%s'", cursor);

	if (config_load(&cfg, cpath, &err) == -1)
		tool_die_err(&err);
	if (store_kind != NULL)
		config_set_str(&cfg.ckpt_store, store_kind);
	if (state != NULL)
		config_set_str(&cfg.ckpt_path, state);
	if ((tbl = config_table(&cfg, table, &err)) == NULL) {
		/* A table not in the file: its name, the global sync: block. */
		adhoc.id = adhoc.table = adhoc.target_table =
		    (char *)(table ? table : CONFIG_DEFAULT_TARGET_TABLE);
		adhoc.sync = cfg.sync;
		tbl = &adhoc;
	}
	rc = c->fn(argc, argv);
	ckpt_store_free(st);
	config_release(&cfg);
	tool_close_stdout();
	return rc;
}
