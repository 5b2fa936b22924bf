/*
 * bq-sync: the node agent.  Runs, for each table, this node's pipeline
 * bq-pull | harper-load | bq-checkpoint commit, restarts it after failures,
 * follows the cluster's layout and the SyncControl switch.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"
#include "ckpt.h"
#include "config.h"
#include "control.h"
#include "harper.h"
#include "tool.h"
#include "util.h"
#include "banned.h"

enum { OPT_HARPER = TOOL_OPT_LONG, OPT_ONCE };

static const struct tool_opt opts[] = {
	{ 'c', "config", "config", "read the configuration from config" },
	{ 'h', "help", NULL, "print this help and exit" },
	{ 'q', "quiet", NULL, "print errors only" },
	{ 't', "table", "table", "sync this table (repeatable; default: all)" },
	{ 'V', "version", NULL, "print the version and exit" },
	{ 'v', "verbose", NULL, "also print debugging information" },
	{ 'w', "worker", "i/N", "be worker i of N" },
	{ OPT_HARPER, "harper", NULL, "take i/N from Harper's cluster" },
	{ OPT_ONCE, "once", NULL, "stop when every table has caught up" },
	TOOL_OPT_END
};

static const char synopsis[] =
    "usage: bq-sync [-hqVv] [-c config] [-t table]... [-w i/N | --harper] "
    "[--once] [status]\n";

static volatile sig_atomic_t got_term, got_hup;
static struct config cfg;
static struct agent_env env;
static struct harper_client *hc;
static struct agent_opts ao = { .wn = 1 };
static const char **only;
static char tooldir[PATH_MAX], host[256];

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		got_hup = 1;
	else
		got_term = 1;
}

/* Loads the config and, for --harper, a client that gives up quickly. */
static void
load(void)
{
	struct config quick;
	struct bq_err err = BQ_ERR_INIT;
	size_t i;

	if (config_load(&cfg, ao.config, &err) == -1)
		tool_die_err(&err);
	for (i = 0; i < ao.nonly; i++)
		if (config_table(&cfg, only[i], &err) == NULL)
			tool_die(EXIT_CONFIG, "no table '%s' in the config",
			    only[i]);
	if (cfg.ntables == 0)
		tool_die(EXIT_CONFIG, "no tables in the config");
	quick = cfg;
	quick.harper_deadline = 2;
	quick.http_timeout = 5;
	harper_client_free(hc);
	if ((hc = harper_client_new(&quick, &err)) == NULL)
		tool_die_err(&err);
	env.config = ao.config;
	env.ckpt_path = cfg.ckpt_path;
	env.once = ao.once;
}

/* `bq-sync status`: bq-checkpoint status, for the same config. */
static int
cmd_status(int argc TOOL_UNUSED, char *argv[] TOOL_UNUSED)
{
	char *v[8];
	int n = 0;

	v[n++] = (char *)"bq-checkpoint";
	if (ao.config != NULL) {
		v[n++] = (char *)"-c";
		v[n++] = (char *)ao.config;
	}
	if (ao.nonly == 1) {
		v[n++] = (char *)"-t";
		v[n++] = (char *)only[0];
	}
	v[n++] = (char *)"status";
	v[n] = NULL;
	fflush(stdout);
	return agent_run(env.tooldir, v, NULL, NULL);
}

static void
find_tooldir(void)
{
	ssize_t r = readlink("/proc/self/exe", tooldir, sizeof(tooldir) - 1);
	char *slash;

	if (r <= 0)
		return;
	tooldir[r] = '\0';
	if ((slash = strrchr(tooldir, '/')) != NULL)
		*slash = '\0';
	env.tooldir = tooldir;
}

/* The agent: the verb without a name. */
static int
cmd_run(int argc TOOL_UNUSED, char *argv[] TOOL_UNUSED)
{
	struct sigaction sa;
	struct agent *a;
	int rc;

	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	ao.host = host;
	ao.term = &got_term;
	ao.hup = &got_hup;
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	load();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: poll() returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	a = agent_new(&ao, &env, &cfg, hc);
	while ((rc = agent_serve(a)) == AGENT_RELOAD) {
		config_release(&cfg);
		load();
		agent_reload(a, &env, hc);
	}
	agent_free(a);
	harper_client_free(hc);
	config_release(&cfg);
	return rc;
}

static const int run_opts[] = { 'w', OPT_HARPER, OPT_ONCE, 0 };

static const struct tool_cmd cmds[] = {
	{ "", cmd_run, run_opts },
	{ "status", cmd_status, NULL },
	{ NULL, NULL, NULL }
};

int
main(int argc, char *argv[])
{
	const struct tool_cmd *c;
	int ch, rc;

	tool_init(argv[0], synopsis, opts);
	only = xcalloc((size_t)argc + 1, sizeof(*only));
	while ((ch = tool_getopt(argc, argv)) != -1) {
		switch (ch) {
		case 'c': ao.config = optarg; break;
		case 'q': bqsync_set_verbosity(-1); break;
		case 't': only[ao.nonly++] = optarg; break;
		case 'v': bqsync_set_verbosity(1); break;
		case 'w':
			if (ckpt_parse_worker(optarg, &ao.wi, &ao.wn) == -1)
				tool_die(EXIT_USAGE, "bad worker '%s': want "
				    "i/N with 0 <= i < N", optarg);
			break;
		case OPT_HARPER: ao.use_harper = 1; break;
		case OPT_ONCE: ao.once = 1; break;
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1 || (tool_given('w') && ao.use_harper))
		tool_usage();
	c = tool_cmd(cmds, argc == 1 ? argv[0] : "");
	ao.only = only;
	find_tooldir();
	rc = c->fn(argc, argv);
	free(only);
	return rc;
}
