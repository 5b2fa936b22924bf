/*
 * bq-partition: keep one worker's share of an NDJSON row stream, print
 * FARM_FINGERPRINT of lines, and tell a worker who it is (whoami).
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "agent.h"
#include "config.h"
#include "harper.h"
#include "hash.h"
#include "log.h"
#include "ndjson.h"
#include "row.h"
#include "util.h"
#include "banned.h"

static const struct option longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "format", required_argument, NULL, 'f' },
	{ "harper", no_argument, NULL, 'H' },
	{ "help", no_argument, NULL, 'h' },
	{ "column", required_argument, NULL, 'k' },
	{ "threads", required_argument, NULL, 'n' },
	{ "peers", required_argument, NULL, 'P' },
	{ "partition", required_argument, NULL, 'p' },
	{ "quiet", no_argument, NULL, 'q' },
	{ "strict", no_argument, NULL, 'S' },
	{ "self", required_argument, NULL, 's' },
	{ "table", required_argument, NULL, 't' },
	{ "version", no_argument, NULL, 'V' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "worker", required_argument, NULL, 'w' },
	{ "hex", no_argument, NULL, 'x' },
	{ NULL, 0, NULL, 0 }
};

static struct {
	const char *config, *format, *column, *peers, *self, *table;
	int harper, threads, strict, hex, scheme, wi, wn;
	char *const *keys;		/* a natural-key table's key columns */
	size_t nkeys;
} o = { NULL, "json", NULL, NULL, NULL, NULL, 0, 1, 0, 0, -1, -1, 0, NULL,
    0 };

static void
usage(FILE *fp, int status)
{
	fprintf(fp, "usage: bq-partition [-qSv] [-c config] "
	    "[-k column | -t table] [-p scheme] -w i/N\n\t\t    [file ...]\n"
	    "       bq-partition fingerprint [-x] [file ...]\n"
	    "       bq-partition whoami [-c config] [-f json | sh]"
	    " [-H | -P host,...] [-n threads]\n\t\t    [-s self]\n"
	    "       bq-partition -h | -V\n");
	if (fp == stdout)
		tool_close_stdout();
	exit(status);
}

static int
bad_line(struct ndjson_reader *r, int *bad, const char *what)
{
	bqsync_log(BQ_LOG_ERROR, "%s:%lu: %s", ndjson_name(r), ndjson_lineno(r),
	    what);
	*bad = 1;
	return o.strict;
}

/* One input of the filter: returns 1 to stop (--strict), -1 on I/O. */
static int
filter(struct ndjson_reader *r, const char *col, int *bad)
{
	struct bq_err err = BQ_ERR_INIT;
	struct strbuf key = STRBUF_INIT;
	const char *line, *kc = NULL;
	char why[300];
	size_t len;
	int64_t t;
	cJSON *v;
	int rc = 0, stop = 0;

	while (!stop && (rc = ndjson_read_line(r, &line, &len, &err)) == 1) {
		if (len == strspn(line, " \t\r"))
			continue;
		if ((v = ndjson_parse(r, line, len, &err)) == NULL) {
			bqsync_log(BQ_LOG_ERROR, "%s", err.msg);
			*bad = 1;
			stop = o.strict;
			continue;
		}
		if (!cJSON_IsObject(v)) {
			stop = bad_line(r, bad, "not a JSON object");
		} else if (v->child != NULL && v->child->string != NULL &&
		    strcmp(v->child->string, "@bqsync") == 0) {
			if (ndjson_write_raw(stdout, line, len) == -1)
				tool_write_failed();
		} else if (row_timestamp(v, col, &t) == -1) {
			snprintf(why, sizeof(why), "%s column '%s'",
			    cJSON_GetObjectItemCaseSensitive(v, col) == NULL ?
			    "no timestamp" : "invalid timestamp in", col);
			stop = bad_line(r, bad, why);
		} else if (o.nkeys > 0) {
			strbuf_reset(&key);
			if (hash_key_text(v, o.keys, o.nkeys, &key, &kc) == -1) {
				snprintf(why, sizeof(why), "key column '%s' is "
				    "not a string, integer, boolean or null",
				    kc);
				stop = bad_line(r, bad, why);
			} else if (hash_partition_key(key.buf, key.len, o.wn) ==
			    o.wi && ndjson_write_raw(stdout, line, len) == -1)
				tool_write_failed();
		} else if (hash_partition(t, o.wn, o.scheme) == o.wi) {
			if (ndjson_write_raw(stdout, line, len) == -1)
				tool_write_failed();
		}
		cJSON_Delete(v);
	}
	strbuf_release(&key);
	if (!stop && rc == -1) {
		bqsync_log(BQ_LOG_ERROR, "%s", err.msg);
		return -1;
	}
	return stop;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

/* One input of fingerprint: one signed int64 per line. */
static int
fingerprint(struct ndjson_reader *r, int *bad)
{
	struct bq_err err = BQ_ERR_INIT;
	struct strbuf b = STRBUF_INIT;
	const char *line;
	size_t len, i;
	int rc;

	while ((rc = ndjson_read_line(r, &line, &len, &err)) == 1) {
		if (o.hex) {
			strbuf_reset(&b);
			for (i = 0; i + 1 < len && hexval(line[i]) >= 0 &&
			    hexval(line[i + 1]) >= 0; i += 2)
				strbuf_addch(&b, hexval(line[i]) << 4 |
				    hexval(line[i + 1]));
			if (i != len && bad_line(r, bad, "invalid hex")) {
				rc = 1;
				break;
			}
			if (i != len)
				continue;
			line = b.buf;
			len = b.len;
		}
		if (printf("%" PRId64 "\n",
		    hash_farm_fingerprint(line, len)) < 0)
			tool_write_failed();
	}
	strbuf_release(&b);
	if (rc == -1)
		bqsync_log(BQ_LOG_ERROR, "%s", err.msg);
	return rc;
}

static void
add_host(char ***hosts, size_t *n, const char *h, size_t len)
{
	*hosts = xrealloc(*hosts, (*n + 1) * sizeof(**hosts));
	(*hosts)[(*n)++] = xstrndup(h, len);
}

/* Peers from --peers or Harper's cluster_status; self from --self. */
static int
whoami(void)
{
	struct config cfg;
	struct bq_err err = BQ_ERR_INIT;
	struct harper_client *hc = NULL;
	struct strbuf sb = STRBUF_INIT;
	cJSON *st = NULL, *c, *name;
	char **peers = NULL, **w = NULL, *self = NULL, hn[256];
	const char *p;
	size_t np = 0, n = 0, i, l;
	long idx;

	config_init(&cfg);
	if (o.harper) {
		config_release(&cfg);
		if (config_load(&cfg, o.config, &err) == -1 ||
		    (hc = harper_client_new(&cfg, &err)) == NULL ||
		    harper_cluster_status(hc, &st, &err) == -1)
			tool_die_err(&err);
		name = cJSON_GetObjectItemCaseSensitive(st, "node_name");
		if (cJSON_IsString(name) && *name->valuestring) {
			add_host(&peers, &np, name->valuestring,
			    strlen(name->valuestring));
			self = xstrfmt("%s-0", name->valuestring);
		}
		c = cJSON_GetObjectItemCaseSensitive(st, "connections");
		cJSON_ArrayForEach(c, c) {
			name = cJSON_GetObjectItemCaseSensitive(c, "name");
			/* a stopped peer is listed, but not connected */
			if (cJSON_IsString(name) && *name->valuestring &&
			    agent_peer_connected(c))
				add_host(&peers, &np, name->valuestring,
				    strlen(name->valuestring));
		}
	}
	for (p = o.peers; p != NULL && *p != '\0'; p += l + (p[l] == ',')) {
		if ((l = strcspn(p, ",")) > 0)
			add_host(&peers, &np, p, l);
	}
	if (o.self != NULL) {
		free(self);
		self = xstrdup(o.self);
	} else if (self == NULL) {
		if (gethostname(hn, sizeof(hn)) == -1)
			tool_die(EXIT_FAIL, "cannot get the host name");
		hn[sizeof(hn) - 1] = '\0';
		self = xstrfmt("%s-0", hn);
	}
	if ((idx = hash_whoami(self, peers, np, o.threads, &w, &n)) == -1)
		tool_die(EXIT_USAGE, "worker '%s' is not in the cluster "
		    "(host-thread, thread < %d)", self, o.threads);
	strbuf_init(&sb, 256);
	if (strcmp(o.format, "sh") == 0) {
		strbuf_addf(&sb, "BQSYNC_WORKER='%ld/%zu'\n"
		    "BQSYNC_WORKER_INDEX=%ld\nBQSYNC_WORKER_COUNT=%zu\n"
		    "BQSYNC_WORKER_NAME='", idx, n, idx, n);
		for (p = self; *p; p++) {
			if (*p == '\'')
				strbuf_adds(&sb, "'\\''");
			else
				strbuf_addch(&sb, *p);
		}
		strbuf_addch(&sb, '\'');
	} else {
		strbuf_adds(&sb, "{\"worker\":");
		strbuf_add_json_string(&sb, self, strlen(self));
		strbuf_addf(&sb, ",\"index\":%ld,\"count\":%zu,\"workers\":[",
		    idx, n);
		for (i = 0; i < n; i++) {
			strbuf_add_json_string(&sb, w[i], strlen(w[i]));
			strbuf_adds(&sb, i + 1 < n ? "," : "]}");
		}
	}
	if (ndjson_write_raw(stdout, sb.buf, sb.len) == -1)
		tool_write_failed();
	for (i = 0; i < n || i < np; i++) {
		free(i < n ? w[i] : NULL);
		free(i < np ? peers[i] : NULL);
	}
	free(w);
	free(peers);
	free(self);
	strbuf_release(&sb);
	cJSON_Delete(st);
	harper_client_free(hc);
	config_release(&cfg);
	return EXIT_OK;
}

/* The filter's settings that come from config.yaml. */
static const char *
load_config(struct config *cfg)
{
	struct bq_err err = BQ_ERR_INIT;
	struct config_table *t;

	if (config_load(cfg, o.config, &err) == -1)
		tool_die_err(&err);
	if (o.scheme == -1)
		o.scheme = (int)cfg->partition;
	if ((t = config_table(cfg, o.table, &err)) == NULL) {
		if (o.table != NULL)
			tool_die(EXIT_USAGE, "%s", err.msg);
		return o.column != NULL ? o.column : CONFIG_DEFAULT_TS_COLUMN;
	}
	/* As bq-pull's query: a natural key decides the share. */
	o.nkeys = t->nid_columns > 0 ? t->nid_columns : t->id_column != NULL;
	o.keys = t->nid_columns > 0 ? t->id_columns : &t->id_column;
	if (o.column != NULL)
		return o.column;
	return t->timestamp_column ? t->timestamp_column :
	    CONFIG_DEFAULT_TS_COLUMN;
}

int
main(int argc, char *argv[])
{
	struct config cfg;
	struct bq_err err = BQ_ERR_INIT;
	struct ndjson_reader *r;
	const char *mode = "", *col = NULL;
	int ch, i, bad = 0, status = EXIT_OK, rc, verbosity = 0;

	tool_setup(argv[0]);
	if (argc > 1 && (strcmp(argv[1], "fingerprint") == 0 ||
	    strcmp(argv[1], "whoami") == 0)) {
		mode = argv[1];
		argv[1] = argv[0];
		argc--;
		argv++;
	}
	while ((ch = getopt_long(argc, argv, "c:f:Hhk:n:P:p:qSs:t:Vvw:x",
	    longopts, NULL)) != -1) {
		switch (ch) {
		case 'c': o.config = optarg; break;
		case 'f':
			if (strcmp(optarg, "json") != 0 &&
			    strcmp(optarg, "sh") != 0)
				usage(stderr, EXIT_USAGE);
			o.format = optarg;
			break;
		case 'H': o.harper = 1; break;
		case 'h': usage(stdout, EXIT_OK); break;
		case 'k': o.column = optarg; break;
		case 'n':
			o.threads = (int)tool_parse_long("--threads", optarg,
			    1, 10000);
			break;
		case 'P': o.peers = optarg; break;
		case 'p':
			if (strcmp(optarg, "fingerprint") == 0)
				o.scheme = PARTITION_FINGERPRINT;
			else if (strcmp(optarg, "micros") == 0)
				o.scheme = PARTITION_MICROS;
			else
				usage(stderr, EXIT_USAGE);
			break;
		case 'q': verbosity = -1; break;
		case 'S': o.strict = 1; break;
		case 's': o.self = optarg; break;
		case 't': o.table = optarg; break;
		case 'V': tool_version();
		case 'v': verbosity = 1; break;
		case 'w':
			if (hash_parse_worker(optarg, &o.wi, &o.wn) == -1)
				tool_die(EXIT_USAGE, "invalid worker '%s' "
				    "(i/N, 0 <= i < N)", optarg);
			break;
		case 'x': o.hex = 1; break;
		default: usage(stderr, EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	tool_check_name("--table", o.table);
	bqsync_set_verbosity(verbosity);
	if (strcmp(mode, "whoami") == 0) {
		if (argc != 0 || (o.harper && o.peers))
			usage(stderr, EXIT_USAGE);
		status = whoami();
		tool_close_stdout();
		return status;
	}
	if (*mode == '\0') {
		if (o.wn < 1 || (o.column && o.table))
			usage(stderr, EXIT_USAGE);
		col = load_config(&cfg);	/* config_load() inits cfg */
	} else {
		config_init(&cfg);
	}
	for (i = 0; i == 0 || i < argc; i++) {
		r = ndjson_reader_open(argc ? argv[i] : "-", &err);
		if (r == NULL) {
			bqsync_log(BQ_LOG_ERROR, "%s", err.msg);
			status = EXIT_IOERR;
			continue;
		}
		rc = *mode ? fingerprint(r, &bad) : filter(r, col, &bad);
		ndjson_reader_free(r);
		if (rc == -1)
			status = EXIT_IOERR;
		if (rc == 1)
			break;
	}
	config_release(&cfg);
	tool_close_stdout();
	if (status == EXIT_OK && bad)
		status = EXIT_DATA;
	return status;
}
