/*
 * bq-emulator: a local BigQuery REST v2 server for tests, demos and
 * offline development (see bq-emulator(1)).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/emu.h"
#include "tool.h"
#include "util.h"
#include "banned.h"

#define MAX_FAULTS 32

enum { OPT_DISCOVERY = TOOL_OPT_LONG };

static const struct tool_opt opts[] = {
	{ 'd', "data", "dir", "keep the data in dir (default: in memory)" },
	{ 'f', "fault", "fault", "inject a fault (status[:path[:count]] or "
	    "JSON)" },
	{ 'H', "host", "host", "listen on this loopback address" },
	{ 'h', "help", NULL, "print this help and exit" },
	{ 'k', "token-key", "keyfile", "require tokens signed by these keys" },
	{ 'l', "latency", "ms", "delay every response by ms milliseconds" },
	{ 'P', "project", "project", "the default project" },
	{ 'p', "port", "port", "listen on port (default 9050; 0: any)" },
	{ 'q', "quiet", NULL, "print errors only" },
	{ 'u', "token-user", "userfile", "also accept these refresh tokens" },
	{ 'V', "version", NULL, "print the version and exit" },
	{ 'v', "verbose", NULL, "print debugging messages" },
	{ OPT_DISCOVERY, "discovery", "file", "the discovery document to "
	    "serve" },
	TOOL_OPT_END
};

static const char synopsis[] =
    "usage: bq-emulator [-hqVv] [-d dir] [-f fault] [-H host] [-k keyfile]\n"
    "                   [-l ms] [-P project] [-p port] [-u userfile]\n"
    "                   [--discovery file]\n";

int
main(int argc, char *argv[])
{
	struct emu_opts o;
	struct bq_err err = BQ_ERR_INIT;
	struct emu *e;
	const char *faults[MAX_FAULTS];
	int nfaults = 0, ch, i, sig, verbosity = 0;
	sigset_t set;

	tool_init(argv[0], synopsis, opts);
	util_no_core_dumps();	/* with -k it holds the tokens it issued */
	memset(&o, 0, sizeof(o));
	o.port = 9050;
	while ((ch = tool_getopt(argc, argv)) != -1) {
		switch (ch) {
		case 'd':
			o.data_dir = optarg;
			break;
		case OPT_DISCOVERY:
			o.discovery = optarg;
			break;
		case 'f':
			if (nfaults == MAX_FAULTS)
				tool_die(EXIT_USAGE, "too many --fault options");
			faults[nfaults++] = optarg;
			break;
		case 'H':
			o.host = optarg;
			break;
		case 'k':
			o.token_key = optarg;
			break;
		case 'l':
			o.latency_ms = tool_parse_long("--latency", optarg, 0,
			    600000);
			break;
		case 'P':
			o.project = optarg;
			break;
		case 'p':
			o.port = (int)tool_parse_long("--port", optarg, 0,
			    65535);
			break;
		case 'q':
			verbosity = -1;
			break;
		case 'u':
			o.token_user = optarg;
			break;
		case 'v':
			verbosity = 1;
			break;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc != 0)
		tool_usage();
	bqsync_set_verbosity(verbosity);

	/* Block the stop signals before libmicrohttpd starts its threads. */
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);

	if ((e = emu_new(&o, &err)) == NULL)
		tool_die_err(&err);
	for (i = 0; i < nfaults; i++)
		if (emu_add_fault(e, faults[i], &err) == -1) {
			emu_free(e);
			tool_die_err(&err);
		}
	/* stdout carries the address to use as BIGQUERY_EMULATOR_HOST. */
	printf("%s:%d\n", o.host && strcmp(o.host, "localhost") != 0 ?
	    o.host : "127.0.0.1", emu_port(e));
	if (fflush(stdout) == EOF)
		tool_write_failed();
	bqsync_log(BQ_LOG_INFO, "listening on http://%s:%d%s%s",
	    o.host ? o.host : "127.0.0.1", emu_port(e),
	    o.data_dir ? ", data in " : " (in memory)",
	    o.data_dir ? o.data_dir : "");
	sigwait(&set, &sig);
	bqsync_log(BQ_LOG_DEBUG, "signal %d: stopping", sig);
	emu_free(e);
	tool_close_stdout();
	return EXIT_OK;
}
