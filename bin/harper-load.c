/*
 * harper-load: NDJSON rows in, batched upserts into a Harper table, one
 * ack line per confirmed batch out (see load.h and harper-load(1)).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "load.h"
#include "tool.h"
#include "ndjson.h"
#include "util.h"
#include "banned.h"

enum {
	OPT_BATCH_BYTES = TOOL_OPT_LONG, OPT_COLUMN, OPT_DATABASE,
	OPT_DEADLINE, OPT_NO_CREATE, OPT_NO_PROGRESS, OPT_PROGRESS, OPT_REJECT
};

static const struct tool_opt opts[] = {
	{ 'b', "batch-rows", "rows", "rows per upsert batch" },
	{ 'c', "config", "file", "read the configuration from file" },
	{ 'h', "help", NULL, "print this help and exit" },
	{ 'j', "in-flight", "batches", "upsert batches in flight at once" },
	{ 'q', "quiet", NULL, "print errors only" },
	{ 't', "table", "table", "load into this table of the config" },
	{ 'V', "version", NULL, "print the version and exit" },
	{ 'v', "verbose", NULL, "also print debugging information" },
	{ OPT_BATCH_BYTES, "batch-bytes", "bytes", "bytes per upsert batch" },
	{ OPT_COLUMN, "column", "name", "the timestamp column of the rows" },
	{ OPT_DATABASE, "database", "name", "the Harper database" },
	{ OPT_DEADLINE, "deadline", "duration",
	    "how long to retry one request (90s, 5m)" },
	{ OPT_NO_CREATE, "no-create", NULL,
	    "fail if the table does not exist, never create it" },
	{ OPT_NO_PROGRESS, "no-progress", NULL, "draw no progress line" },
	{ OPT_PROGRESS, "progress", NULL,
	    "draw a progress line on stderr, even if no terminal" },
	{ OPT_REJECT, "reject", "file", "append rejected lines to file" },
	TOOL_OPT_END
};

static const char synopsis[] =
    "usage: harper-load [-hqVv] [-b rows] [-c config] [-j batches] "
    "[-t table]\n"
    "                   [--batch-bytes bytes] [--column name] "
    "[--database name]\n"
    "                   [--deadline duration] [--no-create] "
    "[--[no-]progress]\n"
    "                   [--reject file] [file]\n";

int
main(int argc, char *argv[])
{
	struct config cfg;
	struct config_table *tbl;
	struct load_opts o;
	struct load_stats st;
	struct loader *l = NULL;
	struct ndjson_reader *r = NULL;
	struct bq_err err = BQ_ERR_INIT;
	const char *cfgpath = NULL, *table = NULL, *column = NULL;
	const char *database = NULL, *rejpath = NULL;
	long rows = 0, bytes = 0, inflight = 0;
	double deadline = -1;
	int ch, verbosity = 0, create = 1, progress = -1, rc;

	tool_init(argv[0], synopsis, opts);
	util_no_core_dumps();	/* it may hold keys, tokens, passwords */
	while ((ch = tool_getopt(argc, argv)) != -1) {
		switch (ch) {
		case 'b':
			rows = tool_parse_long("--batch-rows", optarg, 1,
			    CONFIG_BATCH_ROWS_MAX);
			break;
		case 'c': cfgpath = optarg; break;
		case 'j':
			inflight = tool_parse_long("--in-flight", optarg, 1,
			    CONFIG_IN_FLIGHT_MAX);
			break;
		case 'q': verbosity = -1; break;
		case 't': table = optarg; break;
		case 'v': verbosity = 1; break;
		case OPT_BATCH_BYTES:
			bytes = tool_parse_long("--batch-bytes", optarg,
			    CONFIG_BATCH_BYTES_MIN, CONFIG_BATCH_BYTES_MAX);
			break;
		case OPT_COLUMN: column = optarg; break;
		case OPT_DATABASE: database = optarg; break;
		case OPT_DEADLINE:
			if ((deadline = config_parse_duration(optarg)) <= 0 ||
			    deadline > CONFIG_DURATION_MAX)
				tool_die(EXIT_USAGE, "invalid duration '%s' for "
				    "--deadline", optarg);
			break;
		case OPT_NO_CREATE: create = 0; break;
		case OPT_PROGRESS: progress = 1; break;
		case OPT_NO_PROGRESS: progress = 0; break;
		case OPT_REJECT: rejpath = optarg; break;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1)
		tool_usage();
	tool_check_name("--table", table);
	tool_check_name("--database", database);
	bqsync_set_verbosity(verbosity);

	if (config_load(&cfg, cfgpath, &err) == -1)
		tool_die_err(&err);
	if (database != NULL)
		config_set_str(&cfg.harper_database, database);
	if (deadline > 0)
		cfg.harper_deadline = deadline;
	memset(&o, 0, sizeof(o));
	o.table = o.ack_table = table != NULL ? table :
	    CONFIG_DEFAULT_TARGET_TABLE;
	o.table_id = table;	/* a table not in the config: its -t name */
	o.ts_column = CONFIG_DEFAULT_TS_COLUMN;
	if ((tbl = config_table(&cfg, table, &err)) != NULL)
		load_opts_from_table(&o, tbl);
	if (column != NULL)
		o.ts_column = column;
	o.batch_rows = rows > 0 ? rows : cfg.batch_rows > 0 ? cfg.batch_rows :
	    1000;
	o.batch_bytes = bytes > 0 ? bytes : cfg.batch_bytes > 0 ?
	    cfg.batch_bytes : 4194304;
	o.in_flight = inflight > 0 ? (int)inflight : cfg.in_flight > 0 ?
	    (int)cfg.in_flight : 2;
	o.create = create;
	o.acks = stdout;
	o.progress = progress >= 0 ? progress :
	    verbosity >= 0 && isatty(STDERR_FILENO);

	if (argc == 1 && strcmp(argv[0], "-") != 0)
		r = ndjson_reader_open(argv[0], &err);
	else
		r = ndjson_reader_new(STDIN_FILENO, "<stdin>");
	if (r == NULL)
		tool_die_err(&err);
	if (rejpath != NULL && (o.reject = fopen(rejpath, "a")) == NULL)
		tool_die(EXIT_IOERR, "cannot open '%s': %s", rejpath,
		    strerror(errno));
	if ((l = load_new(&cfg, &o, &err)) == NULL)
		tool_die_err(&err);
	rc = load_run(l, r, &err);
	load_get_stats(l, &st);
	if (rc == -1 && load_write_failed(l))
		tool_write_failed();
	if (o.reject != NULL && fclose(o.reject) == EOF)
		tool_die(EXIT_IOERR, "write '%s': %s", rejpath, strerror(errno));
	if (rc == -1)
		tool_die_err(&err);
	if (st.rejected > 0)
		bqsync_log(BQ_LOG_WARN, "%lu line%s rejected, written to '%s'",
		    st.rejected, st.rejected == 1 ? "" : "s", rejpath);
	bqsync_log(BQ_LOG_DEBUG, "%lu rows in %lu batches", st.rows, st.batches);
	load_free(l);
	ndjson_reader_free(r);
	config_release(&cfg);
	tool_close_stdout();
	return EXIT_OK;
}
