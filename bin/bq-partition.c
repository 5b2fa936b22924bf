/*
 * bq-partition: keep one worker's share of an NDJSON row stream, print
 * FARM_FINGERPRINT of lines, and tell a worker who it is (whoami).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "hash.h"
#include "tool.h"
#include "ndjson.h"
#include "partition.h"
#include "util.h"
#include "banned.h"

static const struct tool_opt opts[] = {
	{ 'c', "config", "config", "read the configuration from config" },
	{ 'f', "format", "json|sh", "whoami: the output format" },
	{ 'H', "harper", NULL, "whoami: the peers of Harper's cluster" },
	{ 'h', "help", NULL, "print this help and exit" },
	{ 'k', "column", "column", "the timestamp column" },
	{ 'n', "threads", "threads", "whoami: workers per host" },
	{ 'P', "peers", "host,...", "whoami: the peers" },
	{ 'p', "partition", "scheme", "fingerprint or micros" },
	{ 'q', "quiet", NULL, "print errors only" },
	{ 'S', "strict", NULL, "stop at the first bad line" },
	{ 's', "self", "self", "whoami: this worker, host-thread" },
	{ 't', "table", "table", "the config table (its natural key)" },
	{ 'V', "version", NULL, "print the version and exit" },
	{ 'v', "verbose", NULL, "print debugging messages" },
	{ 'w', "worker", "i/N", "keep worker i's share of N" },
	{ 'x', "hex", NULL, "fingerprint: lines are hex-encoded bytes" },
	TOOL_OPT_END
};

static const char synopsis[] =
    "usage: bq-partition [-qSv] [-c config] [-k column | -t table] "
    "[-p scheme] -w i/N\n\t\t    [file ...]\n"
    "       bq-partition fingerprint [-x] [file ...]\n"
    "       bq-partition whoami [-c config] [-f json | sh]"
    " [-H | -P host,...] [-n threads]\n\t\t    [-s self]\n"
    "       bq-partition -h | -V\n";

static struct {
	const char *config, *format, *column, *peers, *self, *table;
	int harper, threads;
} o = { NULL, "json", NULL, NULL, NULL, NULL, 0, 1 };

static struct partition_filter f = { NULL, NULL, 0, -1, 0,
    (enum partition_scheme)-1, 0, 0, NULL, 0, 0 };

/* Peers from --peers or Harper's cluster_status; self from --self. */
static int
cmd_whoami(int argc, char *argv[] TOOL_UNUSED)
{
	struct partition_whoami w = { o.config, o.harper, o.peers, o.self,
	    o.threads, strcmp(o.format, "sh") == 0 };
	struct bq_err err = BQ_ERR_INIT;
	struct strbuf sb = STRBUF_INIT;

	if (argc != 0 || (o.harper && o.peers))
		tool_usage();
	if (partition_whoami(&w, &sb, &err) == -1)
		tool_die_err(&err);
	tool_print(&sb);
	strbuf_release(&sb);
	tool_close_stdout();
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
	if ((int)f.scheme == -1)
		f.scheme = cfg->partition;
	if ((t = config_table(cfg, o.table, &err)) == NULL) {
		if (o.table != NULL)
			tool_die(EXIT_USAGE, "%s", err.msg);
		return o.column != NULL ? o.column : CONFIG_DEFAULT_TS_COLUMN;
	}
	/* As bq-pull's query: a natural key decides the share. */
	f.keys = config_table_keys(t, &f.nkeys);
	if (o.column != NULL)
		return o.column;
	return t->timestamp_column ? t->timestamp_column :
	    CONFIG_DEFAULT_TS_COLUMN;
}

/* Each file (or stdin) through fn; the exit status. */
static int
each_input(int argc, char *argv[],
    int (*fn)(struct partition_filter *, struct ndjson_reader *))
{
	struct bq_err err = BQ_ERR_INIT;
	struct ndjson_reader *r;
	int i, rc, status = EXIT_OK;

	f.out = stdout;
	for (i = 0; i == 0 || i < argc; i++) {
		r = ndjson_reader_open(argc ? argv[i] : "-", &err);
		if (r == NULL) {
			bqsync_log(BQ_LOG_ERROR, "%s", err.msg);
			status = EXIT_IOERR;
			continue;
		}
		rc = fn(&f, r);
		ndjson_reader_free(r);
		if (rc == -1 && f.write_errno != 0) {
			errno = f.write_errno;
			tool_write_failed();
		}
		if (rc == -1)
			status = EXIT_IOERR;
		if (rc == 1)
			break;
	}
	tool_close_stdout();
	return status == EXIT_OK && f.bad ? EXIT_DATA : status;
}

static int
cmd_fingerprint(int argc, char *argv[])
{
	return each_input(argc, argv, partition_fingerprint);
}

/* The filter: the verb without a name. */
static int
cmd_filter(int argc, char *argv[])
{
	struct config cfg;
	int status;

	if (f.wn < 1 || (o.column && o.table))
		tool_usage();
	f.column = load_config(&cfg);	/* config_load() inits cfg */
	status = each_input(argc, argv, partition_filter);
	config_release(&cfg);
	return status;
}

static const int filter_opts[] = { 'c', 'k', 'p', 'S', 't', 'w', 0 };
static const int fingerprint_opts[] = { 'S', 'x', 0 };
static const int whoami_opts[] = { 'c', 'f', 'H', 'n', 'P', 's', 0 };

static const struct tool_cmd cmds[] = {
	{ "", cmd_filter, filter_opts },
	{ "fingerprint", cmd_fingerprint, fingerprint_opts },
	{ "whoami", cmd_whoami, whoami_opts },
	{ NULL, NULL, NULL }
};

int
main(int argc, char *argv[])
{
	const struct tool_cmd *c;
	const char *verb = "";
	int ch, verbosity = 0;

	tool_init(argv[0], synopsis, opts);
	/* A verb comes first; options are read after it, argv untouched. */
	if (argc > 1 && (strcmp(argv[1], "fingerprint") == 0 ||
	    strcmp(argv[1], "whoami") == 0)) {
		verb = argv[1];
		optind = 2;
	}
	while ((ch = tool_getopt(argc, argv)) != -1) {
		switch (ch) {
		case 'c': o.config = optarg; break;
		case 'f':
			if (strcmp(optarg, "json") != 0 &&
			    strcmp(optarg, "sh") != 0)
				tool_usage();
			o.format = optarg;
			break;
		case 'H': o.harper = 1; break;
		case 'k': o.column = optarg; break;
		case 'n':
			o.threads = (int)tool_parse_long("--threads", optarg,
			    1, 10000);
			break;
		case 'P': o.peers = optarg; break;
		case 'p':
			if (strcmp(optarg, "fingerprint") == 0)
				f.scheme = PARTITION_FINGERPRINT;
			else if (strcmp(optarg, "micros") == 0)
				f.scheme = PARTITION_MICROS;
			else
				tool_usage();
			break;
		case 'q': verbosity = -1; break;
		case 'S': f.strict = 1; break;
		case 's': o.self = optarg; break;
		case 't': o.table = optarg; break;
		case 'v': verbosity = 1; break;
		case 'w':
			if (hash_parse_worker(optarg, &f.wi, &f.wn) == -1)
				tool_die(EXIT_USAGE, "invalid worker '%s' "
				    "(i/N, 0 <= i < N)", optarg);
			break;
		case 'x': f.hex = 1; break;
		}
	}
	c = tool_cmd(cmds, verb);
	tool_check_name("--table", o.table);
	bqsync_set_verbosity(verbosity);
	return c->fn(argc - optind, argv + optind);
}
