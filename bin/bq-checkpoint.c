/*
 * bq-checkpoint: the resume point of each worker, its lag and phase.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ckptcmd.h"
#include "config.h"
#include "tool.h"
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
static struct ckptcmd cc = { .wn = 1, .fmt = CKPT_FMT_CURSOR,
    .tool = "bq-sync", .status = EXIT_FAIL, .in = STDIN_FILENO };
static const char *cpath, *table, *store_kind, *state, *cursor, *format;
static int tee, nwhat;

/* Runs a verb of ckptcmd.h: what it prints, or how it failed. */
static int
run(int (*fn)(struct ckptcmd *, struct strbuf *, struct bq_err *))
{
	struct bq_err err = BQ_ERR_INIT;
	struct strbuf out = STRBUF_INIT;

	if (fn(&cc, &out, &err) == -1) {
		if (cc.write_errno != 0) {
			errno = cc.write_errno;
			tool_write_failed();
		}
		tool_die_err(&err);
	}
	tool_print(&out);
	strbuf_release(&out);
	return EXIT_OK;
}

#define VERB(verb)							\
static int								\
cmd_##verb(int argc TOOL_UNUSED, char *argv[] TOOL_UNUSED)		\
{									\
	return run(ckptcmd_##verb);					\
}

VERB(commit)
VERB(control)
VERB(error)
VERB(get)
VERB(reset)
VERB(set)
VERB(status)

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
	enum ckptcmd_form form;
	int ch;

	while ((ch = tool_getopt(argc, argv)) != -1) {
		switch (ch) {
		case 'c': cpath = optarg; break;
		case 'q': bqsync_set_verbosity(-1); break;
		case 't': table = optarg; break;
		case 'v': bqsync_set_verbosity(1); break;
		case 'w':
			if (ckpt_parse_worker(optarg, &cc.wi, &cc.wn) == -1)
				tool_die(EXIT_USAGE, "bad worker '%s': want "
				    "i/N with 0 <= i < N", optarg);
			break;
		case OPT_ALL: cc.all = 1; break;
		case OPT_BATCH: cc.fmt = CKPT_FMT_BATCH; nwhat++; break;
		case OPT_PHASE: cc.fmt = CKPT_FMT_PHASE; nwhat++; break;
		case OPT_POLL: cc.fmt = CKPT_FMT_POLL; nwhat++; break;
		case OPT_CURSOR: cursor = optarg; break;
		case OPT_FORMAT:	/* get's or status's: see main() */
			if (ckptcmd_format_parse(optarg, &cc.fmt) == -1 &&
			    ckptcmd_form_parse(optarg, &form) == -1)
				tool_usage();
			format = optarg;
			nwhat++;
			break;
		case OPT_NAME: cc.name = optarg; break;
		case OPT_STATE: state = optarg; break;
		case OPT_STATUS: cc.status = (int)tool_parse_long("--status",
		    optarg, 1, 255); break;
		case OPT_TOOL: cc.tool = optarg; break;
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
	cc.form = isatty(STDOUT_FILENO) ? CKPTCMD_TEXT : CKPTCMD_JSON;
	if (argc != (c->fn == cmd_control ? 2 : 1) || nwhat > 1 ||
	    (c->fn == cmd_set && cursor == NULL) || (format != NULL &&
	    (c->fn == cmd_status ? ckptcmd_form_parse(format, &cc.form) :
	    ckptcmd_format_parse(format, &cc.fmt)) == -1))
		tool_usage();
	if (cursor != NULL && ts_parse(cursor, &cc.cursor) == -1)
		tool_die(EXIT_USAGE, "bad timestamp '%s'", cursor);

	if (config_load(&cfg, cpath, &err) == -1)
		tool_die_err(&err);
	if (store_kind != NULL)
		config_set_str(&cfg.ckpt_store, store_kind);
	if (state != NULL)
		config_set_str(&cfg.ckpt_path, state);
	/* A table not in the file: its name, the global sync: block. */
	if ((cc.tbl = config_table(&cfg, table, &err)) == NULL)
		cc.tbl = config_table_add(&cfg, table ? table :
		    CONFIG_DEFAULT_TARGET_TABLE);
	cc.cfg = &cfg;
	cc.only = table ? cc.tbl->id : NULL;
	cc.tee = tee ? stdout : NULL;
	cc.action = argv[1];
	if (c->fn == cmd_control && strcmp(cc.action, "stop") != 0 &&
	    strcmp(cc.action, "start") != 0)
		tool_usage();
	rc = c->fn(argc, argv);
	ckptcmd_release(&cc);
	config_release(&cfg);
	tool_close_stdout();
	return rc;
}
