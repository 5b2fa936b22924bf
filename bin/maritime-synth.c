/*
 * maritime-synth: synthetic vessel positions, port events and vessel
 * metadata, as NDJSON on stdout or loaded into BigQuery.
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "tool.h"
#include "synth.h"
#include "synthbq.h"
#include "ts.h"
#include "util.h"
#include "banned.h"

enum {
	OPT_DATASET = TOOL_OPT_LONG, OPT_END, OPT_FORMAT, OPT_LOAD_ROWS,
	OPT_NO_BACKFILL, OPT_NO_PROGRESS, OPT_PROGRESS, OPT_RATE, OPT_SPEEDUP,
	OPT_START, OPT_STREAMING, OPT_TRACKS, OPT_UNTIL, OPT_VESSELS
};

static const struct tool_opt opts[] = {
	{ 'c', "config", "file", "read the configuration from file" },
	{ 'h', "help", NULL, "print this help and exit" },
	{ 'n', "count", "count", "generate: the number of rows" },
	{ 'q', "quiet", NULL, "only errors on standard error" },
	{ 's', "seed", "seed", "the seed of the simulation" },
	{ 't', "table", "table", "generate: positions, events or metadata" },
	{ 'V', "version", NULL, "print the version and exit" },
	{ 'v', "verbose", NULL, "debug messages on standard error" },
	{ OPT_DATASET, "dataset", "name", "the BigQuery dataset" },
	{ OPT_END, "end", "time", "the end of the window (exclusive)" },
	{ OPT_FORMAT, "format", "ndjson|geojson", "generate's output" },
	{ OPT_LOAD_ROWS, "load-rows", "n", "rows per load job" },
	{ OPT_NO_BACKFILL, "no-backfill", NULL, "start without the backfill" },
	{ OPT_NO_PROGRESS, "no-progress", NULL, "never a progress line" },
	{ OPT_PROGRESS, "progress", NULL, "a progress line of long loads" },
	{ OPT_RATE, "rate", "rows/s", "positions per second of simulated "
	    "time" },
	{ OPT_SPEEDUP, "speedup", "factor", "start: a clock factor times "
	    "faster" },
	{ OPT_START, "start", "time", "the start of the window" },
	{ OPT_STREAMING, "streaming", NULL, "insertAll instead of load jobs" },
	{ OPT_TRACKS, "tracks", NULL, "generate --format geojson: one track "
	    "per vessel" },
	{ OPT_UNTIL, "until", "time", "start: stop by time" },
	{ OPT_VESSELS, "vessels", "n", "the size of the fleet" },
	TOOL_OPT_END
};

static const char synopsis[] =
    "usage: maritime-synth [-hqVv] [-c config] generate -t table [-n count] "
    "[-s seed]\n"
    "                      [--start time] [--end time] [--vessels n] "
    "[--rate rows/s]\n"
    "                      [--format ndjson | geojson [--tracks]]\n"
    "       maritime-synth [-qv] [-c config] [-s seed] [options] "
    "initialize [days]\n"
    "       maritime-synth [-qv] [-c config] [-s seed] [options] "
    "start | stats | clear | clean\n"
    "       maritime-synth [-qv] [-c config] [-s seed] [options] "
    "reset [days]\n"
    "       maritime-synth help | routes\n";

static volatile sig_atomic_t stop;
static struct config cfg;
static struct synthbq_opts o = { .until = INT64_MIN };
static struct synth_gen g = SYNTH_GEN_INIT;	/* generate's options */
static long days = 30;
static const char *cfgpath;
static unsigned long long opt_seed;
static int seeded, verbosity, progress = -1;

/* The end of a verb: out on stdout, stdout closed. */
static int
done(struct strbuf *out)
{
	tool_print(out);
	strbuf_release(out);
	config_release(&cfg);
	tool_close_stdout();
	return EXIT_OK;
}

/* routes: the sea-lane graph as GeoJSON. */
static int
cmd_routes(int argc TOOL_UNUSED, char *argv[] TOOL_UNUSED)
{
	struct strbuf out = STRBUF_INIT;

	synth_routes_geojson(&out);
	return done(&out);
}

/* generate: rows of one table on stdout, in timestamp order. */
static int
cmd_generate(int argc TOOL_UNUSED, char *argv[] TOOL_UNUSED)
{
	struct bq_err err = BQ_ERR_INIT;
	struct strbuf none = STRBUF_INIT;

	g.seed = o.seed;
	g.vessels = o.vessels;
	g.rate = o.rate;
	if (synth_gen_plan(&g, ts_now(), &err) == -1)
		tool_die_err(&err);
	if (synth_generate(stdout, g.table, g.seed, g.vessels, g.start, g.end,
	    (uint64_t)g.count, g.geojson, g.tracks) == -1)
		tool_write_failed();
	return done(&none);
}

/* A BigQuery verb: SIGINT and SIGTERM end it soon; its error, or done. */
#define BQ_VERB(verb, call)						\
static int								\
cmd_##verb(int argc TOOL_UNUSED, char *argv[] TOOL_UNUSED)		\
{									\
	struct bq_err err = BQ_ERR_INIT;				\
	struct strbuf out = STRBUF_INIT;				\
									\
	tool_stop_on_signals(&stop);					\
	if ((call) == -1)						\
		tool_die_err(&err);					\
	return done(&out);						\
}

BQ_VERB(clean, synthbq_clean(&o, &err))
BQ_VERB(clear, synthbq_clear(&o, &err))
BQ_VERB(initialize, synthbq_initialize(&o, days, &err))
BQ_VERB(reset, synthbq_reset(&o, days, &err))
BQ_VERB(start, synthbq_start(&o, &err))
BQ_VERB(stats, synthbq_stats_format(&o, !isatty(STDOUT_FILENO), &out,
    &err))

static const int generate_opts[] = { 'n', 't', OPT_FORMAT, OPT_TRACKS, 0 };

static const struct tool_cmd cmds[] = {
	{ "clean", cmd_clean, NULL },
	{ "clear", cmd_clear, NULL },
	{ "generate", cmd_generate, generate_opts },
	{ "help", NULL, NULL },
	{ "initialize", cmd_initialize, NULL },
	{ "reset", cmd_reset, NULL },
	{ "routes", cmd_routes, NULL },
	{ "start", cmd_start, NULL },
	{ "stats", cmd_stats, NULL },
	{ NULL, NULL, NULL }
};

static void
parse_options(int argc, char *argv[])
{
	int c;

	while ((c = tool_getopt(argc, argv)) != -1) {
		switch (c) {
		case 'c': cfgpath = optarg; break;
		case 'n': g.count = tool_parse_long("--count", optarg, 0,
		    (long)(~0UL >> 1)); break;
		case 'q': verbosity = -1; break;
		case 's': opt_seed = tool_parse_u64("--seed", optarg); seeded = 1; break;
		case 't':
			if ((g.table = synth_table_parse(optarg)) < 0)
				tool_die(EXIT_USAGE, "unknown table '%s'",
				    optarg);
			break;
		case 'v': verbosity = 1; break;
		case OPT_END: g.end = tool_parse_time("--end", optarg); break;
		case OPT_START: g.start = tool_parse_time("--start", optarg); break;
		case OPT_VESSELS:
			o.vessels = tool_parse_long("--vessels", optarg, 1,
			    CONFIG_VESSELS_MAX);
			break;
		case OPT_RATE: o.rate = tool_parse_double("--rate", optarg, 1e12); break;
		case OPT_DATASET:
			tool_check_name("--dataset", optarg);
			o.dataset = optarg;
			break;
		case OPT_STREAMING: o.streaming = 1; break;
		case OPT_UNTIL: o.until = tool_parse_time("--until", optarg); break;
		case OPT_SPEEDUP:
			o.speedup = tool_parse_double("--speedup", optarg, 1e12);
			break;
		case OPT_NO_BACKFILL: o.no_backfill = 1; break;
		case OPT_PROGRESS: progress = 1; break;
		case OPT_NO_PROGRESS: progress = 0; break;
		case OPT_FORMAT:
			if (strcmp(optarg, "geojson") == 0)
				g.geojson = 1;
			else if (strcmp(optarg, "ndjson") != 0)
				tool_die(EXIT_USAGE, "unknown format '%s'",
				    optarg);
			break;
		case OPT_TRACKS: g.tracks = 1; break;
		case OPT_LOAD_ROWS:
			o.load_rows = tool_parse_long("--load-rows", optarg,
			    1, CONFIG_LOAD_ROWS_MAX);
			break;
		}
	}
}

int
main(int argc, char *argv[])
{
	const struct tool_cmd *c;
	struct bq_err err = BQ_ERR_INIT;

	tool_init(argv[0], synopsis, opts);
	util_no_core_dumps();	/* it may hold keys, tokens, passwords */
	parse_options(argc, argv);
	argc -= optind;
	argv += optind;
	if (argc < 1)
		tool_usage();
	c = tool_cmd(cmds, argv[0]);
	if (c->fn == NULL)	/* help */
		tool_help();
	if (g.tracks && !g.geojson)
		tool_die(EXIT_USAGE, "--tracks needs --format geojson");
	bqsync_set_verbosity(verbosity);
	if (config_load(&cfg, cfgpath, &err) == -1)
		tool_die_err(&err);
	synthbq_opts_fill(&o, &cfg);
	if (seeded)
		o.seed = opt_seed;
	o.progress = progress >= 0 ? progress :
	    verbosity >= 0 && isatty(STDERR_FILENO);
	o.stop = &stop;
	if (argc > 2 || (argc == 2 && c->fn != cmd_initialize &&
	    c->fn != cmd_reset))
		tool_usage();
	if (argc == 2)
		days = tool_parse_long("days", argv[1], 1, CONFIG_DAYS_MAX);
	return c->fn(argc, argv);
}
