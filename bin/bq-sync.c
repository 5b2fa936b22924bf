/*
 * bq-sync: the node agent.  Runs, for each table, this node's pipeline
 * bq-pull | harper-load | bq-checkpoint commit, restarts it after failures,
 * follows the cluster's layout and the SyncControl switch.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
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
#include "log.h"
#include "util.h"
#include "banned.h"

enum { O_HARPER = 256, O_ONCE };

struct table {
	struct agent_job job;
	int	 fatal;		/* 77/78: stopped, not retried */
	int	 done;		/* --once: caught up, or failed */
	int	 paused;	/* SyncControl says stop */
	int	 attempt;
	double	 next;		/* earliest (re)start */
	double	 started;
};

static volatile sig_atomic_t got_term, got_hup;
static struct config cfg;
static struct agent_env env;
static struct harper_client *hc;
static struct agent_topo *topo;
static struct table *tabs;
static size_t ntabs;
static const char *cpath, **only;
static size_t nonly;
static long wi, wn = 1;
static int use_harper, once, first_failure;
static char tooldir[PATH_MAX], host[256], *node;

static void
usage(FILE *fp, int status)
{
	fprintf(fp, "usage: bq-sync [-hqVv] [-c config] [-t table]... "
	    "[-w i/N | --harper] [--once] [status]\n");
	if (fp == stdout)
		tool_close_stdout();
	exit(status);
}

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

	if (config_load(&cfg, cpath, &err) == -1)
		tool_die_err(&err);
	for (i = 0; i < nonly; i++)
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
	env.config = cpath;
	env.ckpt_path = cfg.ckpt_path;
	env.once = once;
}

/*
 * This node's name and i/N; 0 when they changed since the last call, -1
 * when Harper did not answer (they stay as they were).
 */
static int
layout(double now)
{
	struct bq_err err = BQ_ERR_INIT;
	cJSON *st = NULL;
	char *self = NULL;
	long i = wi, n = wn;
	int same;

	if (harper_cluster_status(hc, &st, &err) == -1) {
		if (use_harper && node == NULL)
			bqsync_log(BQ_LOG_WARN, "cluster_status: %s; no "
			    "pipeline until this node knows its place", err.msg);
		else
			bqsync_log(use_harper ? BQ_LOG_WARN : BQ_LOG_DEBUG,
			    "cluster_status: %s; keeping worker %ld/%ld",
			    err.msg, wi, wn);
		return -1;
	}
	agent_topo_update(topo, st, host, now, cfg.sync.topology_grace,
	    use_harper ? &i : &(long){ 0 }, use_harper ? &n : &(long){ 0 },
	    &self);
	cJSON_Delete(st);
	same = i == wi && n == wn && node != NULL && strcmp(self, node) == 0;
	if (!same)
		bqsync_log(BQ_LOG_INFO, "node '%s': worker %ld/%ld", self, i, n);
	free(node);
	node = self;
	wi = i;
	wn = n;
	return same;
}

static int
selected(const char *id)
{
	size_t i;

	for (i = 0; i < nonly; i++)
		if (strcmp(only[i], id) == 0)
			return 1;
	return nonly == 0;
}

static void
make_jobs(void)
{
	char *name = xstrfmt("%s-%ld", node ? node : host, wi);
	size_t i, k = 0;

	tabs = xcalloc(cfg.ntables, sizeof(*tabs));
	for (i = 0; i < cfg.ntables; i++) {
		if (!selected(cfg.tables[i].id))
			continue;
		agent_job_init(&tabs[k].job, cfg.tables[i].id, wi, wn, name);
		k++;
	}
	ntabs = k;
	free(name);
}

static void
free_jobs(void)
{
	size_t i;

	for (i = 0; i < ntabs; i++)
		agent_job_release(&tabs[i].job);
	free(tabs);
	tabs = NULL;
	ntabs = 0;
}

/* Stores the failure as the worker's lastError through bq-checkpoint. */
static void
record_error(struct table *t, int status, int stage)
{
	struct agent_job *j = &t->job;
	char w[48], st[16], *v[16];
	const char *msg = stage >= 0 && j->last[stage][0] ? j->last[stage] :
	    "exited without a message";
	int n = 0, rc;

	snprintf(w, sizeof(w), "%ld/%ld", j->wi, j->wn);
	snprintf(st, sizeof(st), "%d", status);
	v[n++] = (char *)"bq-checkpoint";
	if (cpath != NULL) {
		v[n++] = (char *)"-c";
		v[n++] = (char *)cpath;
	}
	v[n++] = (char *)"-q";
	v[n++] = (char *)"-t";
	v[n++] = j->table;
	v[n++] = (char *)"-w";
	v[n++] = w;
	v[n++] = (char *)"--name";
	v[n++] = j->name;
	v[n++] = (char *)"--status";
	v[n++] = st;
	v[n++] = (char *)"--tool";
	v[n++] = (char *)agent_stage_name(stage);
	v[n++] = (char *)"error";
	v[n] = NULL;
	if ((rc = agent_run(env.tooldir, v, msg, NULL)) != 0)
		bqsync_log(BQ_LOG_WARN, "table '%s': could not record the error "
		    "(bq-checkpoint exited %d)", j->table, rc);
}

static void
ended(struct table *t, int status, int stage, double now)
{
	struct agent_job *j = &t->job;

	if (status == 0) {
		t->attempt = 0;
		if (once && (j->caught_up || j->rows == 0))
			t->done = 1;
		t->next = now + (once ? 0 : 1);
		return;
	}
	bqsync_log(BQ_LOG_ERROR, "table '%s' worker %ld/%ld: %s exited %d",
	    j->table, j->wi, j->wn, agent_stage_name(stage), status);
	record_error(t, status, stage);
	if (now - t->started > 60 || j->rows > 0)
		t->attempt = 0;
	if (agent_is_fatal(status)) {
		t->fatal = status;
		bqsync_log(BQ_LOG_ERROR, "table '%s': stopped (exit %d is not "
		    "retried: fix the configuration or credentials, then "
		    "restart bq-sync)", j->table, status);
	}
	if (once || t->fatal) {
		t->done = 1;
		if (first_failure == 0)
			first_failure = status;
		return;
	}
	t->next = now + agent_backoff(t->attempt++, 1, 300,
	    (double)random() / ((double)RAND_MAX + 1));
	bqsync_log(BQ_LOG_INFO, "table '%s': restarting in %.1f s", j->table,
	    t->next - now);
}

static void
start(struct table *t, double now)
{
	struct bq_err err = BQ_ERR_INIT;

	t->started = now;
	if (agent_job_start(&t->job, &env, &err) == 0)
		return;
	if (err.kind == EXIT_TEMPFAIL) {
		/* a sibling's fork may hold it for an instant: say so later */
		bqsync_log(t->attempt > 1 ? BQ_LOG_WARN : BQ_LOG_DEBUG, "%s",
		    err.msg);
		t->next = now + agent_backoff(t->attempt++, 1, 60,
		    (double)random() / ((double)RAND_MAX + 1));
		return;
	}
	bqsync_log(BQ_LOG_ERROR, "%s", err.msg);
	ended(t, exit_for(&err), -1, now);
}

static void
check_control(void)
{
	struct bq_err err = BQ_ERR_INIT;
	size_t i;
	int s;

	for (i = 0; i < ntabs; i++) {
		if ((s = control_stopped(hc, tabs[i].job.table, &err)) == -1) {
			bqsync_log(BQ_LOG_DEBUG, "SyncControl: %s", err.msg);
			return;
		}
		if (s != tabs[i].paused)
			bqsync_log(BQ_LOG_INFO, "table '%s': SyncControl %s",
			    tabs[i].job.table, s ? "stop: pausing" :
			    "start: resuming");
		tabs[i].paused = s;
	}
}

/* Seconds between SyncControl checks: within the shortest poll interval. */
static double
control_interval(void)
{
	double d = cfg.sync.steady_poll;
	size_t i;

	for (i = 0; i < cfg.ntables; i++) {
		if (cfg.tables[i].sync.initial_poll < d)
			d = cfg.tables[i].sync.initial_poll;
	}
	return d < 1 ? 1 : d > 5 ? 5 : d;
}

/* One pass of the loop; 1 when bq-sync should exit. */
static int
step(double now, int drain)
{
	struct pollfd pfd[64];
	int fds[4], k, m, nfd = 0, status, stage, busy = 0, left = 0;
	size_t i;

	for (i = 0; i < ntabs; i++) {
		struct table *t = &tabs[i];

		if (t->job.state != AGENT_IDLE) {
			if (drain || t->paused)
				agent_job_stop(&t->job, now, 30);
			busy = 1;
			continue;
		}
		if (once && t->paused)
			t->done = 1;
		if (drain || t->fatal || t->done)
			continue;
		left = 1;
		if (!t->paused && now >= t->next) {
			start(t, now);
			busy |= t->job.state != AGENT_IDLE;
		}
	}
	if (!busy && (drain || (once && !left)))
		return 1;
	if (!once && !busy && !left)	/* every table stopped for good */
		return 1;
	for (i = 0; i < ntabs; i++) {
		m = agent_job_fds(&tabs[i].job, fds);
		for (k = 0; k < m && nfd < 64; k++) {
			pfd[nfd].fd = fds[k];
			pfd[nfd++].events = POLLIN;
		}
	}
	poll(pfd, (nfds_t)nfd, 200);
	now = util_now_mono();
	for (i = 0; i < ntabs; i++)
		if (agent_job_poll(&tabs[i].job, now, &status, &stage))
			ended(&tabs[i], drain && status == 0 ? 0 : status,
			    stage, now);
	return 0;
}

static int
run(void)
{
	double now, next_topo, next_ctl = 0;
	int relayout = 0, reload = 0;

	/* --harper: never run as 0/1, the guess every node would make */
	while (layout(util_now_mono()) == -1 && use_harper && !got_term)
		sleep(1);
	make_jobs();
	next_topo = util_now_mono() + cfg.sync.topology_interval;
	for (;;) {
		now = util_now_mono();
		if (got_hup && !reload) {
			bqsync_log(BQ_LOG_INFO, "SIGHUP: rereading '%s'",
			    cfg.path ? cfg.path : "(defaults)");
			got_hup = 0;
			reload = 1;
		}
		if (use_harper && now >= next_topo && !relayout) {
			next_topo = now + cfg.sync.topology_interval;
			if (!layout(now)) {
				bqsync_log(BQ_LOG_INFO, "new layout: draining");
				relayout = 1;
			}
		}
		if (now >= next_ctl) {
			next_ctl = now + control_interval();
			check_control();
		}
		if (!step(now, got_term || relayout || reload))
			continue;
		if (got_term || !(relayout || reload))
			break;
		free_jobs();
		if (reload) {
			config_release(&cfg);
			load();
		}
		make_jobs();
		relayout = reload = 0;
		next_ctl = 0;
	}
	return got_term ? EXIT_OK : first_failure;
}

/* `bq-sync status`: bq-checkpoint status, for the same config. */
static int
status_cmd(void)
{
	char *v[8];
	int n = 0;

	v[n++] = (char *)"bq-checkpoint";
	if (cpath != NULL) {
		v[n++] = (char *)"-c";
		v[n++] = (char *)cpath;
	}
	if (nonly == 1) {
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

int
main(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "harper", no_argument, NULL, O_HARPER },
		{ "help", no_argument, NULL, 'h' },
		{ "once", no_argument, NULL, O_ONCE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "table", required_argument, NULL, 't' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "version", no_argument, NULL, 'V' },
		{ "worker", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 }
	};
	struct sigaction sa;
	int ch, wset = 0, rc;

	tool_setup(argv[0]);
	only = xcalloc((size_t)argc + 1, sizeof(*only));
	while ((ch = getopt_long(argc, argv, "c:hqt:Vvw:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c': cpath = optarg; break;
		case 'h': usage(stdout, EXIT_OK); break;
		case 'q': bqsync_set_verbosity(-1); break;
		case 't': only[nonly++] = optarg; break;
		case 'V': tool_version();
		case 'v': bqsync_set_verbosity(1); break;
		case 'w':
			if (ckpt_parse_worker(optarg, &wi, &wn) == -1)
				tool_die(EXIT_USAGE, "bad worker '%s': want "
				    "i/N with 0 <= i < N", optarg);
			wset = 1;
			break;
		case O_HARPER: use_harper = 1; break;
		case O_ONCE: once = 1; break;
		default: usage(stderr, EXIT_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc > 1 || (argc == 1 && strcmp(argv[0], "status") != 0) ||
	    (wset && use_harper))
		usage(stderr, EXIT_USAGE);
	find_tooldir();
	if (argc == 1) {
		rc = status_cmd();
		free(only);
		return rc;
	}
	if (gethostname(host, sizeof(host)) == -1)
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	srandom((unsigned)time(NULL) ^ (unsigned)getpid());
	load();
	topo = agent_topo_new();
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: poll() returns */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	rc = run();
	free_jobs();
	agent_topo_free(topo);
	harper_client_free(hc);
	config_release(&cfg);
	free(node);
	free(only);
	return rc;
}
