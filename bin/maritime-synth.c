/*
 * maritime-synth: synthetic vessel positions, port events and vessel
 * metadata, as NDJSON on stdout or loaded into BigQuery.
 */
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "searoute.h"
#include "synth.h"
#include "synthbq.h"
#include "ts.h"
#include "util.h"
#include "banned.h"

enum {
	OPT_END = 256, OPT_START, OPT_VESSELS, OPT_RATE, OPT_DATASET,
	OPT_STREAMING, OPT_UNTIL, OPT_SPEEDUP, OPT_NO_BACKFILL, OPT_PROGRESS,
	OPT_NO_PROGRESS, OPT_LOAD_ROWS, OPT_FORMAT, OPT_TRACKS
};

static const struct option longopts[] = {
	{ "config", required_argument, NULL, 'c' },
	{ "count", required_argument, NULL, 'n' },
	{ "dataset", required_argument, NULL, OPT_DATASET },
	{ "end", required_argument, NULL, OPT_END },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "help", no_argument, NULL, 'h' },
	{ "load-rows", required_argument, NULL, OPT_LOAD_ROWS },
	{ "no-backfill", no_argument, NULL, OPT_NO_BACKFILL },
	{ "no-progress", no_argument, NULL, OPT_NO_PROGRESS },
	{ "progress", no_argument, NULL, OPT_PROGRESS },
	{ "quiet", no_argument, NULL, 'q' },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "seed", required_argument, NULL, 's' },
	{ "speedup", required_argument, NULL, OPT_SPEEDUP },
	{ "start", required_argument, NULL, OPT_START },
	{ "streaming", no_argument, NULL, OPT_STREAMING },
	{ "table", required_argument, NULL, 't' },
	{ "tracks", no_argument, NULL, OPT_TRACKS },
	{ "until", required_argument, NULL, OPT_UNTIL },
	{ "verbose", no_argument, NULL, 'v' },
	{ "version", no_argument, NULL, 'V' },
	{ "vessels", required_argument, NULL, OPT_VESSELS },
	{ NULL, 0, NULL, 0 }
};

static volatile sig_atomic_t stop;
static int geojson, tracks;	/* generate --format geojson, --tracks */

static void
usage(FILE *fp, int status)
{
	fprintf(fp,
	    "usage: maritime-synth [-hqVv] [-c config] generate -t table "
	    "[-n count] [-s seed]\n"
	    "                      [--start time] [--end time] "
	    "[--vessels n] [--rate rows/s]\n"
	    "                      [--format ndjson | geojson [--tracks]]\n"
	    "       maritime-synth [-qv] [-c config] [-s seed] [options] "
	    "initialize [days]\n"
	    "       maritime-synth [-qv] [-c config] [-s seed] [options] "
	    "start | stats | clear | clean\n"
	    "       maritime-synth [-qv] [-c config] [-s seed] [options] "
	    "reset [days]\n"
	    "       maritime-synth help | routes\n");
	if (fp == stdout)
		tool_close_stdout();
	exit(status);
}

static void
on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int64_t
parse_time(const char *opt, const char *s)
{
	int64_t us;

	if (strcmp(s, "now") == 0)
		return ts_now();
	if (ts_parse(s, &us) == -1)
		tool_die(EXIT_USAGE, "invalid time '%s' for %s", s, opt);
	return us;
}

static double
parse_double(const char *opt, const char *s)
{
	char *end;
	double d = strtod(s, &end);

	if (end == s || *end != '\0' || !(d > 0) || d > 1e12)
		tool_die(EXIT_USAGE, "invalid value '%s' for %s", s, opt);
	return d;
}

static unsigned long long
parse_seed(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 0);

	if (end == s || *end != '\0' || *s == '-')
		tool_die(EXIT_USAGE, "invalid seed '%s'", s);
	return v;
}

/* stats: JSON lines when stdout is not a terminal, else a table. */
static int
stats(const struct synthbq_opts *o, struct bq_err *err)
{
	struct synthbq_stat st[SYNTH_NTABLES];
	struct strbuf out = STRBUF_INIT;
	int t;

	if (synthbq_stats(o, st, err) == -1)
		return -1;
	for (t = 0; t < SYNTH_NTABLES; t++)
		synthbq_stat_format(&st[t], !isatty(STDOUT_FILENO), &out);
	if (fwrite(out.buf, 1, out.len, stdout) != out.len)
		tool_write_failed();
	strbuf_release(&out);
	return 0;
}

/* routes: the sea-lane graph as GeoJSON. */
static int
routes(void)
{
	struct searoute *r = synth_routes_new();
	struct strbuf out = STRBUF_INIT;

	strbuf_init(&out, 1 << 16);
	searoute_geojson(r, &out);
	if (fwrite(out.buf, 1, out.len, stdout) != out.len)
		tool_write_failed();
	strbuf_release(&out);
	searoute_free(r);
	tool_close_stdout();
	return EXIT_OK;
}

/* generate: rows of one table on stdout, in timestamp order. */
static int
generate(const struct synthbq_opts *o, int table, long long count,
    int64_t start, int64_t end)
{
	struct bq_err err = BQ_ERR_INIT;
	struct synth *s;
	struct strbuf out, row;
	struct synth_tracks tr = SYNTH_TRACKS_INIT;
	int64_t ts;
	uint64_t seed, n;

	if (table < 0)
		tool_die(EXIT_USAGE, "generate needs --table");
	if (geojson && table == SYNTH_METADATA)
		tool_die(EXIT_USAGE, "vessel_metadata has no positions for "
		    "GeoJSON");
	if (tracks && table != SYNTH_POSITIONS)
		tool_die(EXIT_USAGE, "--tracks needs --table vessel_positions");
	if (synth_plan(table, o->vessels, o->rate, ts_now(), &start, &end,
	    &count, &err) == -1)
		tool_die_err(&err);
	seed = o->seed;
	if (seed == 0) {	/* from the clock */
		seed = (uint64_t)ts_now();
		seed = synth_splitmix64(&seed);
		bqsync_log(BQ_LOG_DEBUG, "seed %" PRIu64, seed);
	}
	s = synth_new(table, seed, o->vessels, start);
	synth_window(s, start, end, (uint64_t)count);
	strbuf_init(&out, 1 << 17);
	strbuf_init(&row, 1024);
	if (geojson)
		strbuf_adds(&out, "{\"type\":\"FeatureCollection\","
		    "\"features\":[\n");
	/* NDJSON rows go straight to out: generate is the benchmark. */
	for (n = 0; synth_next(s, geojson ? &row : &out, &ts); n++) {
		if (tracks)
			synth_tracks_add(&tr, row.buf);
		else if (geojson) {
			if (n > 0)
				strbuf_adds(&out, ",\n");
			synth_feature(&out, row.buf);
		}
		strbuf_reset(&row);
		if (out.len < (1 << 16))
			continue;
		if (fwrite(out.buf, 1, out.len, stdout) != out.len)
			tool_write_failed();
		strbuf_reset(&out);
	}
	if (tracks)
		synth_tracks_geojson(&tr, s, &out);
	if (geojson)
		strbuf_adds(&out, "\n]}\n");
	if (out.len && fwrite(out.buf, 1, out.len, stdout) != out.len)
		tool_write_failed();
	strbuf_release(&row);
	synth_tracks_release(&tr);
	strbuf_release(&out);
	synth_free(s);
	tool_close_stdout();
	return EXIT_OK;
}

int
main(int argc, char *argv[])
{
	struct config cfg;
	struct bq_err err = BQ_ERR_INIT;
	struct synthbq_opts o;
	const char *cfgpath = NULL, *cmd;
	long long count = -1;
	int64_t start = INT64_MIN, end = INT64_MIN;
	int c, table = -1, verbosity = 0, progress = -1, rc, seeded = 0;
	unsigned long long seed = 0;
	long days = -1;

	tool_setup(argv[0]);
	util_no_core_dumps();	/* it may hold keys, tokens, passwords */
	memset(&o, 0, sizeof(o));
	o.until = INT64_MIN;
	while ((c = getopt_long(argc, argv, "c:hn:qs:t:Vv", longopts,
	    NULL)) != -1) {
		switch (c) {
		case 'c':
			cfgpath = optarg;
			break;
		case 'h':
			usage(stdout, EXIT_OK);
			break;
		case 'n':
			count = tool_parse_long("--count", optarg, 0,
			    (long)(~0UL >> 1));
			break;
		case 'q':
			verbosity = -1;
			break;
		case 's':
			seed = parse_seed(optarg);
			seeded = 1;
			break;
		case 't':
			if ((table = synth_table_parse(optarg)) < 0)
				tool_die(EXIT_USAGE, "unknown table '%s'",
				    optarg);
			break;
		case 'V': tool_version();
		case 'v':
			verbosity = 1;
			break;
		case OPT_END:
			end = parse_time("--end", optarg);
			break;
		case OPT_START:
			start = parse_time("--start", optarg);
			break;
		case OPT_VESSELS:
			o.vessels = tool_parse_long("--vessels", optarg, 1,
			    CONFIG_VESSELS_MAX);
			break;
		case OPT_RATE:
			o.rate = parse_double("--rate", optarg);
			break;
		case OPT_DATASET:
			tool_check_name("--dataset", optarg);
			o.dataset = optarg;
			break;
		case OPT_STREAMING:
			o.streaming = 1;
			break;
		case OPT_UNTIL:
			o.until = parse_time("--until", optarg);
			break;
		case OPT_SPEEDUP:
			o.speedup = parse_double("--speedup", optarg);
			break;
		case OPT_NO_BACKFILL:
			o.no_backfill = 1;
			break;
		case OPT_PROGRESS:
			progress = 1;
			break;
		case OPT_NO_PROGRESS:
			progress = 0;
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "geojson") == 0)
				geojson = 1;
			else if (strcmp(optarg, "ndjson") != 0)
				tool_die(EXIT_USAGE, "unknown format '%s'",
				    optarg);
			break;
		case OPT_TRACKS:
			tracks = 1;
			break;
		case OPT_LOAD_ROWS:
			o.load_rows = tool_parse_long("--load-rows", optarg,
			    1, CONFIG_LOAD_ROWS_MAX);
			break;
		default:
			usage(stderr, EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage(stderr, EXIT_USAGE);
	cmd = argv[0];
	if (strcmp(cmd, "help") == 0)
		usage(stdout, EXIT_OK);
	if (tracks && !geojson)
		tool_die(EXIT_USAGE, "--tracks needs --format geojson");
	bqsync_set_verbosity(verbosity);
	if (config_load(&cfg, cfgpath, &err) == -1)
		tool_die_err(&err);
	synthbq_opts_fill(&o, &cfg);
	if (seeded)
		o.seed = seed;
	o.progress = progress >= 0 ? progress :
	    verbosity >= 0 && isatty(STDERR_FILENO);
	o.stop = &stop;
	if (argc > 2 || (argc == 2 && strcmp(cmd, "initialize") != 0 &&
	    strcmp(cmd, "reset") != 0))
		usage(stderr, EXIT_USAGE);
	if (argc == 2)
		days = tool_parse_long("days", argv[1], 1, CONFIG_DAYS_MAX);
	if (strcmp(cmd, "routes") == 0) {
		config_release(&cfg);
		return routes();
	}
	if (strcmp(cmd, "generate") == 0) {
		rc = generate(&o, table, count, start, end);
		config_release(&cfg);
		return rc;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	if (strcmp(cmd, "initialize") == 0)
		rc = synthbq_initialize(&o, days < 0 ? 30 : days, &err);
	else if (strcmp(cmd, "start") == 0)
		rc = synthbq_start(&o, &err);
	else if (strcmp(cmd, "stats") == 0)
		rc = stats(&o, &err);
	else if (strcmp(cmd, "clear") == 0)
		rc = synthbq_clear(&o, &err);
	else if (strcmp(cmd, "clean") == 0)
		rc = synthbq_clean(&o, &err);
	else if (strcmp(cmd, "reset") == 0)
		rc = synthbq_reset(&o, days < 0 ? 30 : days, &err);
	else {
		config_release(&cfg);
		tool_die(EXIT_USAGE, "unknown command '%s'", cmd);
	}
	config_release(&cfg);
	if (rc == -1)
		tool_die_err(&err);
	tool_close_stdout();
	return EXIT_OK;
}
