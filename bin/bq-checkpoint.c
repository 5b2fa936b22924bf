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
#include "log.h"
#include "ndjson.h"
#include "ts.h"
#include "util.h"
#include "banned.h"

enum { O_ALL = 256, O_BATCH, O_CURSOR, O_FORMAT, O_NAME, O_PHASE, O_POLL,
    O_STATE, O_STORE, O_TEE };

static struct config cfg;
static struct config_table *tbl, adhoc;
static struct ckpt_store *st;
static long wi, wn = 1;
static char *name;

static void
usage(FILE *fp, int status)
{
	fprintf(fp, "usage: bq-checkpoint [-hqVv] [-c config] [-t table] "
	    "[-w i/N] [--store file|harper]\n"
	    "\t[--state file] command\n"
	    "commands: get [--phase | --batch-size | --poll-interval | "
	    "--format sh|json]\n"
	    "          commit [--name worker] [--tee]\n"
	    "          status\n"
	    "          set --cursor ts [--name worker]\n"
	    "          reset [--all]\n");
	exit(status);
}

static void
emit(const char *s, size_t len)
{
	if ((len > 0 && fwrite(s, 1, len, stdout) != len) ||
	    fflush(stdout) == EOF)
		tool_write_failed();
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

static int
cmd_status(const char *only)
{
	struct ckpt_record *recs = NULL;
	struct bq_err err = BQ_ERR_INIT;
	struct strbuf sb = STRBUF_INIT;
	size_t n;

	if (ckpt_list(st, only, &recs, &n, &err) == -1)
		tool_die_err(&err);
	ckpt_status_format(recs, n, &cfg, ts_now(), isatty(STDOUT_FILENO), &sb);
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
		{ "store", required_argument, NULL, O_STORE },
		{ "table", required_argument, NULL, 't' },
		{ "tee", no_argument, NULL, O_TEE },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "worker", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 }
	};
	struct bq_err err = BQ_ERR_INIT;
	const char *cpath = NULL, *table = NULL, *store = NULL, *state = NULL;
	const char *cursor = NULL, *cmd;
	enum ckpt_format fmt = CKPT_FMT_CURSOR;
	char host[256], dflt[300];
	int ch, all = 0, tee = 0, nwhat = 0, rc;
	size_t nd;
	int64_t micros;

	tool_setup(argv[0]);
	while ((ch = getopt_long(argc, argv, "c:hqt:Vvw:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c': cpath = optarg; break;
		case 'h': usage(stdout, EXIT_OK); break;
		case 'q': bqsync_set_verbosity(-1); break;
		case 't': table = optarg; break;
		case 'V': printf("bq-checkpoint %s\n", BQSYNC_VERSION);
			tool_close_stdout(); return EXIT_OK;
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
			else
				usage(stderr, EXIT_USAGE);
			nwhat++;
			break;
		case O_NAME: name = optarg; break;
		case O_STATE: state = optarg; break;
		case O_STORE: store = optarg; break;
		case O_TEE: tee = 1; break;
		default: usage(stderr, EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 1)
		usage(stderr, EXIT_USAGE);
	cmd = argv[0];
	if (strcmp(cmd, "get") != 0 && strcmp(cmd, "commit") != 0 &&
	    strcmp(cmd, "status") != 0 && strcmp(cmd, "set") != 0 &&
	    strcmp(cmd, "reset") != 0)
		usage(stderr, EXIT_USAGE);
	if (nwhat > 1 || (nwhat && strcmp(cmd, "get") != 0) ||
	    (tee && strcmp(cmd, "commit") != 0) ||
	    (all && strcmp(cmd, "reset") != 0) ||
	    (name && strcmp(cmd, "commit") != 0 && strcmp(cmd, "set") != 0) ||
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
		    (char *)(table ? table : "BigQueryData");
		adhoc.sync = cfg.sync;
		tbl = &adhoc;
	}
	if (name == NULL && strcmp(cmd, "commit") == 0) {
		if (gethostname(host, sizeof(host)) == -1)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		snprintf(dflt, sizeof(dflt), "%s-0", host);
		name = dflt;
	}
	if ((st = ckpt_store_new(&cfg, &err)) == NULL)
		tool_die_err(&err);

	rc = EXIT_OK;
	if (strcmp(cmd, "get") == 0)
		rc = cmd_get(fmt);
	else if (strcmp(cmd, "commit") == 0)
		rc = cmd_commit(tee);
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
