/*
 * agent: what bq-sync needs to run one pipeline per table on this node,
 * `bq-pull | harper-load | bq-checkpoint commit`, as real child processes.
 *
 * A job is one table's pipeline for worker i/N.  agent_job_start() takes
 * the job's lock (flock on a file next to the checkpoint state, so a second
 * bq-sync on this host cannot run the same pipeline), asks `bq-checkpoint
 * get` for the cursor and starts the three stages in one process group of
 * their own; each stage gets PR_SET_PDEATHSIG SIGKILL, so none outlives
 * bq-sync, even after kill -9.  The stages' stderr comes back through pipes
 * and is logged line by line (the last line of each is kept for lastError);
 * bq-checkpoint's --tee output, the acks, tells the job how many rows Harper
 * confirmed and whether the source had anything newer.
 *
 * Topology: struct agent_topo remembers when each peer of cluster_status
 * was last seen connected, so a peer counts for topology_grace seconds
 * after its link dropped and a flapping link does not reshuffle the layout.
 */
#ifndef BQSYNC_AGENT_H
#define BQSYNC_AGENT_H

#include <signal.h>
#include <stddef.h>
#include <sys/types.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "harper.h"
#include "log.h"
#include "util.h"

/* 1 if a cluster_status connection has a connected database socket. */
int	 agent_peer_connected(const cJSON *conn);

struct agent_topo;

struct agent_topo *agent_topo_new(void);
void	 agent_topo_free(struct agent_topo *);	/* NULL is fine */
/*
 * Feeds one cluster_status answer seen at now (seconds, monotonic): self
 * is its node_name, else host.  Sets *i and *n, this node's index among
 * itself and the peers connected now or within grace seconds (names sorted
 * bytewise), and *self (the caller frees it).
 */
void	 agent_topo_update(struct agent_topo *, const cJSON *status,
	    const char *host, double now, double grace, long *i, long *n,
	    char **self);

/*
 * Seconds to wait before restart number attempt (0 = first failure):
 * base * 2^attempt capped at max, then scaled by 0.5 + r / 2 (r in [0, 1),
 * the jitter).
 */
double	 agent_backoff(int attempt, double base, double max, double r);
/* 1 for the exit statuses that no retry can fix (77 auth, 78 config). */
int	 agent_is_fatal(int status);
/*
 * The pipeline's status from its stages' (pull, load, commit; shell-style,
 * 128+N for death by signal N): the first that is neither 0 nor 141
 * (SIGPIPE: a later stage failed first), else the first that is not 0.
 */
int	 agent_pipeline_status(const int status[3]);
/* "<dir>/<tool>" when executable, else "<tool>" (found on PATH); free it. */
char	*agent_tool_path(const char *dir, const char *tool);
/* The lock file of table worker i/n beside the checkpoint path; free it. */
char	*agent_lock_path(const char *ckpt_path, const char *table, long i,
	    long n);
/*
 * Reads one ack line: adds its rows to *rows and sets *caught_up when it
 * says "newer":false.  -1 when the line is not an ack.
 */
int	 agent_ack_line(const char *line, long long *rows, int *caught_up);

/* What every job of one bq-sync shares. */
struct agent_env {
	const char *config;	/* -c, or NULL */
	const char *tooldir;	/* bq-sync's own folder, or NULL */
	const char *ckpt_path;	/* checkpoint.path (for the lock files) */
	int	 once;		/* bq-pull without --follow */
};

enum agent_state { AGENT_IDLE, AGENT_RUNNING, AGENT_DRAINING };

struct agent_job {
	char	*table;
	long	 wi, wn;
	char	*name;		/* durable worker name, host-i */
	enum agent_state state;
	pid_t	 pid[3];	/* 0 once reaped */
	int	 status[3];
	int	 errfd[3];
	int	 ackfd;
	struct strbuf line[4];	/* partial lines: stderr x3, acks */
	char	 last[3][256];	/* last stderr line of each stage */
	int	 lockfd;
	long long rows;		/* rows Harper confirmed in this run */
	int	 caught_up;	/* an ack said "newer":false */
	double	 deadline;	/* draining: SIGKILL after this */
};

/* Sets up job for table (copied) as worker i/n named name (copied). */
void	 agent_job_init(struct agent_job *, const char *table, long i,
	    long n, const char *name);
void	 agent_job_release(struct agent_job *);
/*
 * Starts the pipeline.  0; or -1 with err: EXIT_TEMPFAIL when another
 * process holds the lock, else why it could not start (the status of a
 * failed `bq-checkpoint get`).
 */
int	 agent_job_start(struct agent_job *, const struct agent_env *,
	    struct bq_err *);
/*
 * Adds the job's open descriptors to fds (room for 4) and returns how
 * many were added.
 */
int	 agent_job_fds(const struct agent_job *, int *fds);
/*
 * Reads what the stages wrote, reaps those that ended, and drains the
 * rest when one failed.  Returns 1 when the pipeline has ended (then
 * *status is agent_pipeline_status() and *stage the index of the stage it
 * came from, -1 for 0), else 0.
 */
int	 agent_job_poll(struct agent_job *, double now, int *status,
	    int *stage);
/*
 * Asks the pipeline to stop at a clean point: SIGTERM to bq-pull, whose
 * end line lets harper-load and bq-checkpoint finish what Harper
 * confirmed; SIGKILL of the group after grace seconds.
 */
void	 agent_job_stop(struct agent_job *, double now, double grace);
/* SIGKILL to every stage still running. */
void	 agent_job_kill(struct agent_job *);
/* The stage names, for messages: "bq-pull", "harper-load", "bq-checkpoint". */
const char *agent_stage_name(int stage);

/*
 * Runs argv (argv[0] found as with agent_tool_path) with input on its stdin
 * and its stdout in out (may be NULL).  Returns its status, shell style.
 */
int	 agent_run(const char *tooldir, char *const argv[], const char *input,
	    struct strbuf *out);

/*
 * The supervisor of bq-sync: this node's pipeline for each selected table
 * of the config, restarted after failures with backoff, paused by
 * SyncControl, drained when the cluster's layout changes (use_harper) or
 * on SIGHUP.
 */
struct agent_opts {
	const char *config;		/* -c, or NULL */
	const char *const *only;	/* -t tables (nonly of them), or all */
	size_t	 nonly;
	long	 wi, wn;		/* -w, or the layout's (use_harper) */
	int	 use_harper;		/* --harper: i/N from cluster_status */
	int	 once;			/* --once */
	const char *host;		/* this host's name */
	volatile sig_atomic_t *term;	/* set: drain and return */
	volatile sig_atomic_t *hup;	/* set: drain, AGENT_RELOAD */
};

struct agent;

#define AGENT_RELOAD	(-1)

/*
 * A supervisor over cfg and hc (both the caller's, kept until
 * agent_free() or agent_reload()), its layout read and its jobs made.
 */
struct agent *agent_new(const struct agent_opts *, const struct agent_env *,
	    const struct config *cfg, struct harper_client *hc);
/*
 * Runs the pipelines until *term, or with once until every table caught
 * up or failed.  Returns the exit status (0, else the first failure of a
 * table that stopped for good), or AGENT_RELOAD once drained after *hup:
 * the caller rereads the config and calls agent_reload(), then this again.
 */
int	 agent_serve(struct agent *);
/* The jobs again, after the caller reloaded cfg (same struct) and hc. */
void	 agent_reload(struct agent *, const struct agent_env *,
	    struct harper_client *hc);
void	 agent_free(struct agent *);	/* NULL is fine */

#endif
