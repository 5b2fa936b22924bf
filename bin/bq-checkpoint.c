/*
 * bq-checkpoint: the resume point of each worker, its lag and phase.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ckpt.h"
#include "config.h"
#include "control.h"
#include "harper.h"
#include "log.h"
#include "metrics.h"
#include "ndjson.h"
#include "ts.h"
#include "util.h"
#include "banned.h"

enum { O_ALL = 256, O_BATCH, O_CURSOR, O_FORMAT, O_NAME, O_PHASE, O_POLL,
    O_STATE, O_STATUS, O_STORE, O_TEE, O_TOOL };

static struct config cfg;
static struct config_table *tbl, adhoc;
static struct ckpt_store *st;
static long wi, wn = 1;
static char *name;
static int prom, text = -1;

static void
usage(FILE *fp, int status)
{
	fprintf(fp, "usage: bq-checkpoint [-hqVv] [-c config] [-t table] "
	    "[-w i/N] [--store file|harper]\n"
	    "\t[--state file] command\n"
	    "commands: get [--phase | --batch-size | --poll-interval | "
	    "--format sh|json]\n"
	    "          commit [--name worker] [--tee]\n"
	    "          status [--format text|json|prometheus]\n"
	    "          error [--status code] [--tool name] [--name worker] "
	    "< message\n"
	    "          control stop|start\n"
	    "          set --cursor ts [--name worker]\n"
	    "          reset [--all]\n");
	if (fp == stdout)
		tool_close_stdout();
	exit(status);
}

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

static int
cmd_get(enum ckpt_format fmt)
{
	struct ckpt_start s;
	struct bq_err err = BQ_ERR_INIT;
	struct strbuf sb = STRBUF_INIT;
	char cur[TS_BUFSZ];

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

/*
 * An ack names the table by its id; a stream without a begin line (an ack
 * without worker) may name the Harper table instead.  0, or -1 with err.
 */
static int
check_ack(const struct ckpt_ack *ack, struct bq_err *err)
{
	static int warned;

	if (strcmp(ack->table, tbl->id) != 0 && (ack->worker != NULL ||
	    tbl->target_table == NULL ||
	    strcmp(ack->table, tbl->target_table) != 0))
		return bq_err_set(err, EXIT_DATA, "ack for table '%s', not "
		    "'%s'", ack->table, tbl->id);
	if (ack->worker != NULL && (ack->wi != wi || ack->wn != wn))
		return bq_err_set(err, EXIT_DATA, "ack of worker %s, not "
		    "%ld/%ld", ack->worker, wi, wn);
	if (ack->worker == NULL && !warned++)
		bqsync_log(BQ_LOG_WARN, "acks without a worker (a stream without "
		    "a begin line): taken as worker %ld/%ld", wi, wn);
	return 0;
}

/* Stores what acks brought since the last store; ack NULL: rows only. */
static void
store(long long rows, long long billed, const struct ckpt_ack *ack)
{
	struct ckpt_update up = { name, 0, 0, rows, ts_now(), 0, billed,
	    NULL };
	struct bq_err err = BQ_ERR_INIT;
	char buf[TS_BUFSZ], msg[1024];
	int moved;

	if (ack != NULL) {
		up.has_cursor = ack->has_cursor;
		up.cursor = ack->cursor;
		up.caught_up = ack->newer == 0;
	}
	if (ack != NULL && ack->err_tool != NULL) {
		snprintf(msg, sizeof(msg), "%s: exit %ld: %s", ack->err_tool,
		    ack->err_status, ack->err_message);
		up.error = msg;
	}
	if (ckpt_advance(st, &tbl->sync, tbl->id, wi, wn, &up, &moved,
	    &err) == -1)
		tool_die_err(&err);
	if (up.has_cursor && !moved)
		bqsync_log(BQ_LOG_DEBUG, "cursor %s is not past the stored one: "
		    "kept", ts_format(ack->cursor, buf));
}

/* Adds the ack's rows and bytes to the pending ones, or refuses it. */
static int
add_pending(long long pend[2], const struct ckpt_ack *ack, struct bq_err *err)
{
	long long r, b;

	if (__builtin_add_overflow(pend[0], ack->rows, &r) ||
	    r > CKPT_MAX_COUNT || __builtin_add_overflow(pend[1],
	    ack->billed > 0 ? ack->billed : 0, &b) || b > CKPT_MAX_COUNT)
		return bq_err_set(err, EXIT_DATA, "acks add up to more "
		    "than %lld", CKPT_MAX_COUNT);
	pend[0] = r;
	pend[1] = b;
	return 0;
}

static int
cmd_commit(int tee)
{
	struct ndjson_reader *rd;
	struct bq_err err = BQ_ERR_INIT;
	struct ckpt_ack ack;
	const char *line;
	size_t len;
	long long pend[2] = { 0, 0 };	/* rows, bytes billed */
	cJSON *obj = NULL;
	int r, rc = EXIT_OK;

	rd = ndjson_reader_new(STDIN_FILENO, "<stdin>");
	while ((r = ndjson_read_line(rd, &line, &len, &err)) == 1) {
		if (strspn(line, " \t\r") == len)
			continue;
		if ((obj = ndjson_parse(rd, line, len, &err)) == NULL)
			break;
		if (ckpt_ack_parse(obj, &ack, &err) == -1 ||
		    check_ack(&ack, &err) == -1 ||
		    add_pending(pend, &ack, &err) == -1) {
			bq_err_prefix(&err, "%s:%lu", ndjson_name(rd),
			    ndjson_lineno(rd));
			break;
		}
		/* Rows without a cursor wait for one (fewer writes). */
		if (ack.has_cursor || ack.newer != -1 || ack.billed > 0 ||
		    ack.err_tool != NULL) {
			store(pend[0], pend[1], &ack);
			pend[0] = pend[1] = 0;
		}
		cJSON_Delete(obj);
		obj = NULL;
		if (tee) {
			emit(line, len);
			emit("\n", 1);
		}
	}
	cJSON_Delete(obj);
	if (err.kind != 0) {
		bqsync_log(BQ_LOG_ERROR, "%s", err.msg);
		rc = exit_for(&err);
	}
	/* Rows Harper confirmed count even before a cursor covers them. */
	if (pend[0] > 0 || pend[1] > 0)
		store(pend[0], pend[1], NULL);
	ndjson_reader_free(rd);
	return rc;
}

/*
 * `error`: the failure a supervisor saw (bq-sync: a stage's status and its
 * last stderr line, on stdin) becomes one ack carrying "error", committed
 * through cmd_commit() like harper-load's own, so one rule records it.
 */
static int
cmd_error(int status, const char *tool)
{
	struct strbuf msg = STRBUF_INIT, ack = STRBUF_INIT;
	char buf[512];
	size_t n, k;
	int fd[2], rc;

	while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0 && msg.len < 4096)
		strbuf_add(&msg, buf, n);
	for (k = 0; k < msg.len; k++)	/* one line, no control bytes */
		if ((unsigned char)msg.buf[k] < 0x20)
			msg.buf[k] = ' ';
	while (msg.len > 0 && msg.buf[msg.len - 1] == ' ')
		msg.buf[--msg.len] = '\0';
	strbuf_adds(&ack, "{\"table\":");
	strbuf_add_json_string(&ack, tbl->id, strlen(tbl->id));
	strbuf_addf(&ack, ",\"worker\":\"%ld/%ld\",\"rows\":0,\"total\":0,"
	    "\"cursor\":null,\"error\":{\"tool\":", wi, wn);
	strbuf_add_json_string(&ack, tool, strlen(tool));
	strbuf_addf(&ack, ",\"status\":%d,\"message\":", status);
	strbuf_add_json_string(&ack, msg.len ? msg.buf : "failed",
	    msg.len ? msg.len : 6);
	strbuf_adds(&ack, "}}\n");
	if (pipe(fd) == -1 || write(fd[1], ack.buf, ack.len) !=
	    (ssize_t)ack.len || close(fd[1]) == -1 ||
	    dup2(fd[0], STDIN_FILENO) == -1)
		tool_die(EXIT_FAIL, "pipe: %s", strerror(errno));
	close(fd[0]);
	rc = cmd_commit(0);
	strbuf_release(&ack);
	strbuf_release(&msg);
	return rc;
}

/* `control stop|start`: the SyncControl record of the table, or of all. */
static int
cmd_control(const char *action, const char *table)
{
	struct bq_err err = BQ_ERR_INIT;
	struct harper_client *hc;

	if (strcmp(action, "stop") != 0 && strcmp(action, "start") != 0)
		usage(stderr, EXIT_USAGE);
	if ((hc = harper_client_new(&cfg, &err)) == NULL ||
	    control_set(hc, table, action, &err) == -1)
		tool_die_err(&err);
	bqsync_log(BQ_LOG_INFO, "%s: %s", table ? table : "every table",
	    action);
	harper_client_free(hc);
	return EXIT_OK;
}

static int
cmd_status(const char *only)
{
	struct ckpt_record *recs = NULL;
	struct bq_err err = BQ_ERR_INIT;
	struct strbuf sb = STRBUF_INIT;
	size_t n;

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

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "all", no_argument, NULL, O_ALL },
		{ "batch-size", no_argument, NULL, O_BATCH },
		{ "config", required_argument, NULL, 'c' },
		{ "cursor", required_argument, NULL, O_CURSOR },
		{ "format", required_argument, NULL, O_FORMAT },
		{ "help", no_argument, NULL, 'h' },
		{ "name", required_argument, NULL, O_NAME },
		{ "phase", no_argument, NULL, O_PHASE },
		{ "poll-interval", no_argument, NULL, O_POLL },
		{ "quiet", no_argument, NULL, 'q' },
		{ "state", required_argument, NULL, O_STATE },
		{ "status", required_argument, NULL, O_STATUS },
		{ "store", required_argument, NULL, O_STORE },
		{ "table", required_argument, NULL, 't' },
		{ "tee", no_argument, NULL, O_TEE },
		{ "tool", required_argument, NULL, O_TOOL },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "worker", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 }
	};
	struct bq_err err = BQ_ERR_INIT;
	const char *cpath = NULL, *table = NULL, *store = NULL, *state = NULL;
	const char *cursor = NULL, *cmd, *tool = "bq-sync", *sfmt = NULL;
	enum ckpt_format fmt = CKPT_FMT_CURSOR;
	char host[256], dflt[300];
	int ch, all = 0, tee = 0, nwhat = 0, rc, estatus = EXIT_FAIL;
	size_t nd;
	int64_t micros;

	tool_setup(argv[0]);
	util_no_core_dumps();	/* it may hold keys, tokens, passwords */
	while ((ch = getopt_long(argc, argv, "c:hqt:Vvw:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c': cpath = optarg; break;
		case 'h': usage(stdout, EXIT_OK); break;
		case 'q': bqsync_set_verbosity(-1); break;
		case 't': table = optarg; break;
		case 'V': tool_version();
		case 'v': bqsync_set_verbosity(1); break;
		case 'w':
			if (ckpt_parse_worker(optarg, &wi, &wn) == -1)
				tool_die(EXIT_USAGE, "bad worker '%s': want "
				    "i/N with 0 <= i < N", optarg);
			break;
		case O_ALL: all = 1; break;
		case O_BATCH: fmt = CKPT_FMT_BATCH; nwhat++; break;
		case O_PHASE: fmt = CKPT_FMT_PHASE; nwhat++; break;
		case O_POLL: fmt = CKPT_FMT_POLL; nwhat++; break;
		case O_CURSOR: cursor = optarg; break;
		case O_FORMAT:
			if (strcmp(optarg, "sh") == 0)
				fmt = CKPT_FMT_SH;
			else if (strcmp(optarg, "json") == 0)
				fmt = CKPT_FMT_JSON;
			else if (status_format(optarg) == -1)
				usage(stderr, EXIT_USAGE);
			nwhat++;
			sfmt = optarg;
			break;
		case O_NAME: name = optarg; break;
		case O_STATE: state = optarg; break;
		case O_STATUS: estatus = (int)tool_parse_long("--status",
		    optarg, 1, 255); break;
		case O_TOOL: tool = optarg; break;
		case O_STORE: store = optarg; break;
		case O_TEE: tee = 1; break;
		default: usage(stderr, EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1 || argc != (strcmp(argv[0], "control") == 0 ? 2 : 1))
		usage(stderr, EXIT_USAGE);
	tool_check_name("--table", table);
	cmd = argv[0];
	if (strcmp(cmd, "get") != 0 && strcmp(cmd, "commit") != 0 &&
	    strcmp(cmd, "status") != 0 && strcmp(cmd, "set") != 0 &&
	    strcmp(cmd, "reset") != 0 && strcmp(cmd, "error") != 0 &&
	    strcmp(cmd, "control") != 0)
		usage(stderr, EXIT_USAGE);
	if (sfmt != NULL && strcmp(cmd, "status") == 0) {
		if (strcmp(sfmt, "json") == 0)
			text = 0;
		else if (strcmp(sfmt, "sh") == 0)
			usage(stderr, EXIT_USAGE);
		nwhat = 0;
	} else if (text != -1) {
		usage(stderr, EXIT_USAGE);	/* text, prometheus: status */
	}
	if (nwhat > 1 || (nwhat && strcmp(cmd, "get") != 0) ||
	    (tee && strcmp(cmd, "commit") != 0) ||
	    (all && strcmp(cmd, "reset") != 0) ||
	    (name && strcmp(cmd, "commit") != 0 && strcmp(cmd, "set") != 0 &&
	    strcmp(cmd, "error") != 0) ||
	    ((cursor != NULL) != (strcmp(cmd, "set") == 0)))
		usage(stderr, EXIT_USAGE);
	if (cursor != NULL && ts_parse(cursor, &micros) == -1)
		tool_die(EXIT_USAGE, "bad timestamp '%s'", cursor);

	if (config_load(&cfg, cpath, &err) == -1)
		tool_die_err(&err);
	if (store != NULL)
		config_set_str(&cfg.ckpt_store, store);
	if (state != NULL)
		config_set_str(&cfg.ckpt_path, state);
	if ((tbl = config_table(&cfg, table, &err)) == NULL) {
		/* A table not in the file: its name, the global sync: block. */
		adhoc.id = adhoc.table = adhoc.target_table =
		    (char *)(table ? table : CONFIG_DEFAULT_TARGET_TABLE);
		adhoc.sync = cfg.sync;
		tbl = &adhoc;
	}
	if (name == NULL && (strcmp(cmd, "commit") == 0 ||
	    strcmp(cmd, "error") == 0)) {
		if (gethostname(host, sizeof(host)) == -1)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		snprintf(dflt, sizeof(dflt), "%s-%ld", host, wi);
		name = dflt;
	}
	if (strcmp(cmd, "control") == 0) {
		rc = cmd_control(argv[1], table ? tbl->id : NULL);
		config_release(&cfg);
		tool_close_stdout();
		return rc;
	}
	if ((st = ckpt_store_new(&cfg, &err)) == NULL)
		tool_die_err(&err);

	rc = EXIT_OK;
	if (strcmp(cmd, "get") == 0)
		rc = cmd_get(fmt);
	else if (strcmp(cmd, "commit") == 0)
		rc = cmd_commit(tee);
	else if (strcmp(cmd, "error") == 0)
		rc = cmd_error(estatus, tool);
	else if (strcmp(cmd, "status") == 0)
		rc = cmd_status(table ? tbl->id : NULL);
	else if (strcmp(cmd, "set") == 0) {
		if (ckpt_set(st, &tbl->sync, tbl->id, wi, wn, name, micros,
		    ts_now(), &err) == -1)
			tool_die_err(&err);
	} else if (strcmp(cmd, "reset") == 0) {
		if (ckpt_delete(st, tbl->id, wi, all ? 0 : wn, &nd, &err) == -1)
			tool_die_err(&err);
		bqsync_log(BQ_LOG_INFO, "deleted %zu checkpoint%s", nd,
		    nd == 1 ? "" : "s");
	}
	ckpt_store_free(st);
	config_release(&cfg);
	tool_close_stdout();
	return rc;
}
