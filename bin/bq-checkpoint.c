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
static struct config_table *tbl;
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
	if (fwrite(s, 1, len, stdout) != len || fflush(stdout) == EOF)
		tool_write_failed();
}

static int
cmd_get(int what, const char *format)
{
	struct ckpt_start s;
	struct bq_err err = BQ_ERR_INIT;
	struct strbuf sb = STRBUF_INIT;
	enum ckpt_phase ph;
	char cur[TS_BUFSZ] = "";

	if (ckpt_start(st, tbl->id, wi, wn, &s, &err) == -1)
		tool_die_err(&err);
	if (s.has_cursor)
		ts_format(s.cursor, cur);
	if (s.rebalanced)
		bqsync_log(LOG_DEBUG, "no checkpoint for '%s' worker %ld/%ld: "
		    "starting from %s, the minimum cursor of the %ld-worker "
		    "layout", tbl->id, wi, wn, cur, s.from_n);
	ph = ckpt_phase_for(&tbl->sync, s.has_cursor, s.cursor, ts_now());
	if (what == O_PHASE)
		strbuf_addf(&sb, "%s\n", ckpt_phase_name(ph));
	else if (what == O_BATCH)
		strbuf_addf(&sb, "%ld\n", ckpt_batch_size(&tbl->sync, ph));
	else if (what == O_POLL)
		strbuf_addf(&sb, "%g\n", ckpt_poll_interval(&tbl->sync, ph));
	else if (format != NULL && strcmp(format, "sh") == 0)
		strbuf_addf(&sb, "BQSYNC_CURSOR='%s'\nBQSYNC_PHASE=%s\n"
		    "BQSYNC_BATCH_SIZE=%ld\nBQSYNC_POLL_INTERVAL=%g\n", cur,
		    ckpt_phase_name(ph), ckpt_batch_size(&tbl->sync, ph),
		    ckpt_poll_interval(&tbl->sync, ph));
	else if (format != NULL) {
		strbuf_adds(&sb, "{\"table\":");
		strbuf_add_json_string(&sb, tbl->id, strlen(tbl->id));
		strbuf_addf(&sb, ",\"worker\":\"%ld/%ld\",\"cursor\":", wi, wn);
		if (s.has_cursor)
			strbuf_addf(&sb, "\"%s\"", cur);
		else
			strbuf_adds(&sb, "null");
		strbuf_addf(&sb, ",\"phase\":\"%s\",\"batchSize\":%ld,"
		    "\"pollInterval\":%g,\"rebalanced\":%s}\n",
		    ckpt_phase_name(ph), ckpt_batch_size(&tbl->sync, ph),
		    ckpt_poll_interval(&tbl->sync, ph),
		    s.rebalanced ? "true" : "false");
	} else
		strbuf_addf(&sb, "%s\n", cur);
	emit(sb.buf, sb.len);
	strbuf_release(&sb);
	return EXIT_OK;
}

static int
store_rows(long long rows, const struct ckpt_ack *ack)
{
	struct ckpt_update up = { name, 0, 0, rows, ts_now() };
	struct bq_err err = BQ_ERR_INIT;
	char buf[TS_BUFSZ];
	int moved;

	if (ack != NULL) {
		up.has_cursor = 1;
		up.cursor = ack->cursor;
	}
	if (ckpt_advance(st, &tbl->sync, tbl->id, wi, wn, &up, &moved,
	    &err) == -1)
		tool_die_err(&err);
	if (ack != NULL && !moved)
		bqsync_log(LOG_DEBUG, "cursor %s is not past the stored one: "
		    "kept", ts_format(ack->cursor, buf));
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
	long long pending = 0;
	cJSON *obj = NULL;
	int r, rc = EXIT_OK;

	rd = ndjson_reader_new(STDIN_FILENO, "<stdin>");
	while ((r = ndjson_read_line(rd, &line, &len, &err)) == 1) {
		if (strspn(line, " \t\r") == len)
			continue;
		if ((obj = ndjson_parse(rd, line, len, &err)) == NULL)
			break;
		if (ckpt_ack_parse(obj, &ack, &err) == -1) {
			bq_err_prefix(&err, "%s:%lu", ndjson_name(rd),
			    ndjson_lineno(rd));
			break;
		}
		if (strcmp(ack.table, tbl->target_table) != 0 &&
		    strcmp(ack.table, tbl->id) != 0) {
			bq_err_set(&err, EXIT_DATA, "%s:%lu: ack for table "
			    "'%s', not '%s'", ndjson_name(rd),
			    ndjson_lineno(rd), ack.table, tbl->target_table);
			break;
		}
		pending += ack.rows;
		if (ack.has_cursor) {
			store_rows(pending, &ack);
			pending = 0;
		}
		cJSON_Delete(obj);
		obj = NULL;
		if (tee) {
			emit(line, len);
			emit("\n", 1);
		}
	}
	cJSON_Delete(obj);
	/* Rows Harper confirmed count even before a cursor covers them. */
	if (pending > 0)
		store_rows(pending, NULL);
	if (err.kind != 0) {
		bqsync_log(LOG_ERROR, "%s", err.msg);
		rc = exit_for(&err);
	}
	ndjson_reader_free(rd);
	return rc;
}

static void
human_lag(const struct ckpt_record *r, int64_t now, char *buf, size_t sz)
{
	long long s = (now - r->cursor) / 1000000;

	if (!r->has_cursor)
		snprintf(buf, sz, "-");
	else if (s < 0 || s < 120)
		snprintf(buf, sz, "%llds", s);
	else if (s < 7200)
		snprintf(buf, sz, "%lldm%02llds", s / 60, s % 60);
	else if (s < 172800)
		snprintf(buf, sz, "%lldh%02lldm", s / 3600, s / 60 % 60);
	else
		snprintf(buf, sz, "%lldd%02lldh", s / 86400, s / 3600 % 24);
}

static int
cmd_status(const char *only)
{
	struct ckpt_record *recs = NULL, *r;
	struct config_table *t;
	struct bq_err err = BQ_ERR_INIT, e2;
	struct strbuf sb = STRBUF_INIT;
	const struct config_sync *sync;
	size_t n, k;
	int64_t now = ts_now();
	int tw = 5, ww = 6, tty = isatty(STDOUT_FILENO);
	char cur[TS_BUFSZ], syn[TS_BUFSZ], lag[32], wk[48];

	if (ckpt_list(st, only, &recs, &n, &err) == -1)
		tool_die_err(&err);
	for (k = 0; k < n; k++) {
		if ((int)strlen(recs[k].table_id) > tw)
			tw = (int)strlen(recs[k].table_id);
		if (recs[k].worker && (int)strlen(recs[k].worker) > ww)
			ww = (int)strlen(recs[k].worker);
	}
	if (tty)
		strbuf_addf(&sb, "%-*s %-7s %-*s %-27s %-7s %-7s %12s %s\n",
		    tw, "TABLE", "WORKER", ww, "NAME", "CURSOR", "LAG",
		    "PHASE", "ROWS", "LAST SYNC");
	for (k = 0; k < n; k++) {
		r = &recs[k];
		t = config_table(&cfg, r->table_id, &e2);
		sync = t ? &t->sync : &cfg.sync;
		if (!tty) {
			ckpt_status_encode(r, sync, now, &sb);
			strbuf_addch(&sb, '\n');
			continue;
		}
		human_lag(r, now, lag, sizeof(lag));
		snprintf(wk, sizeof(wk), "%ld/%ld", r->node_id,
		    r->cluster_size);
		strbuf_addf(&sb, "%-*s %-7s %-*s %-27s %-7s %-7s %12lld %s\n",
		    tw, r->table_id, wk, ww, r->worker ? r->worker : "-",
		    r->has_cursor ? ts_format(r->cursor, cur) : "-", lag,
		    ckpt_phase_name(ckpt_phase_for(sync, r->has_cursor,
		    r->cursor, now)), r->records,
		    r->has_sync ? ts_format(r->last_sync, syn) : "-");
	}
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
	const char *cursor = NULL, *format = NULL, *cmd;
	char host[256], dflt[300];
	int ch, all = 0, tee = 0, what = 0, nwhat = 0, rc;
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
		case O_BATCH: case O_PHASE: case O_POLL:
			what = ch; nwhat++; break;
		case O_CURSOR: cursor = optarg; break;
		case O_FORMAT: format = optarg; nwhat++; break;
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
	if (nwhat > 1 || (format && strcmp(format, "sh") != 0 &&
	    strcmp(format, "json") != 0))
		usage(stderr, EXIT_USAGE);
	if ((nwhat && strcmp(cmd, "get") != 0) ||
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
	if ((tbl = config_table(&cfg, table, &err)) == NULL)
		tool_die_err(&err);
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
		rc = cmd_get(what, format);
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
		bqsync_log(LOG_INFO, "deleted %zu checkpoint%s", nd,
		    nd == 1 ? "" : "s");
	}
	ckpt_store_free(st);
	config_release(&cfg);
	tool_close_stdout();
	return rc;
}
