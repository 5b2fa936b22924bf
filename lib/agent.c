#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "agent.h"
#include "control.h"
#include "harper.h"
#include "hash.h"
#include "log.h"
#include "util.h"
#include "banned.h"

int
agent_peer_connected(const cJSON *conn)
{
	return harper_peer_connected(conn);
}

struct peer {
	char	*name;
	double	 seen;
};

struct agent_topo {
	struct peer *p;
	size_t	 n;
};

struct agent_topo *
agent_topo_new(void)
{
	return xcalloc(1, sizeof(struct agent_topo));
}

void
agent_topo_free(struct agent_topo *t)
{
	size_t i;

	if (t == NULL)
		return;
	for (i = 0; i < t->n; i++)
		free(t->p[i].name);
	free(t->p);
	free(t);
}

static void
topo_seen(struct agent_topo *t, const char *name, double now)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (strcmp(t->p[i].name, name) == 0)
			break;
	if (i == t->n) {
		t->p = xrealloc(t->p, (t->n + 1) * sizeof(*t->p));
		t->p[t->n++].name = xstrdup(name);
	}
	t->p[i].seen = now;
}

void
agent_topo_update(struct agent_topo *t, const cJSON *status, const char *host,
    double now, double grace, long *i, long *n, char **self)
{
	const cJSON *c, *name;
	char **peers, **list = NULL, *me;
	size_t np = 0, k, nl = 0;

	name = cJSON_GetObjectItemCaseSensitive(status, "node_name");
	*self = xstrdup(cJSON_IsString(name) && *name->valuestring ?
	    name->valuestring : host);
	c = cJSON_GetObjectItemCaseSensitive(status, "connections");
	cJSON_ArrayForEach(c, c) {
		name = cJSON_GetObjectItemCaseSensitive(c, "name");
		if (cJSON_IsString(name) && *name->valuestring &&
		    strcmp(name->valuestring, *self) != 0 &&
		    agent_peer_connected(c))
			topo_seen(t, name->valuestring, now);
	}
	peers = xcalloc(t->n + 1, sizeof(*peers));
	for (k = 0; k < t->n; k++)
		if (now - t->p[k].seen <= grace)
			peers[np++] = t->p[k].name;
	me = xstrfmt("%s-0", *self);
	*i = hash_whoami(me, peers, np, 1, &list, &nl);
	*n = (long)nl;
	if (*i < 0)
		*i = 0;
	for (k = 0; k < nl; k++)
		free(list[k]);
	free(list);
	free(me);
	free(peers);
}

double
agent_backoff(int attempt, double base, double max, double r)
{
	double d = base * pow(2, attempt < 0 ? 0 : attempt > 30 ? 30 : attempt);

	if (d > max)
		d = max;
	return d * (0.5 + r / 2);
}

int
agent_is_fatal(int status)
{
	return status == EXIT_NOPERM || status == EXIT_CONFIG;
}

int
agent_pipeline_status(const int status[3])
{
	int k;

	/* 141: died of SIGPIPE, because a stage after it failed first */
	for (k = 0; k < 3; k++)
		if (status[k] != 0 && status[k] != 128 + SIGPIPE)
			return status[k];
	for (k = 0; k < 3; k++)
		if (status[k] != 0)
			return status[k];
	return 0;
}

char *
agent_tool_path(const char *dir, const char *tool)
{
	char *p;

	if (dir != NULL && *dir != '\0') {
		p = xstrfmt("%s/%s", dir, tool);
		if (access(p, X_OK) == 0)
			return p;
		free(p);
	}
	return xstrdup(tool);
}

char *
agent_lock_path(const char *ckpt_path, const char *table, long i, long n)
{
	const char *slash = ckpt_path ? strrchr(ckpt_path, '/') : NULL;
	char *p, *c;

	p = xstrfmt("%.*s%s.bq-sync.%s.%ldof%ld.lock",
	    slash ? (int)(slash - ckpt_path) : 0, slash ? ckpt_path : "",
	    slash ? "/" : "", table, i, n);
	for (c = p + (slash ? (slash - ckpt_path) + 1 : 0); *c; c++)
		if (*c == '/')
			*c = '_';
	return p;
}

int
agent_ack_line(const char *line, long long *rows, int *caught_up)
{
	cJSON *a = cJSON_Parse(line), *r, *nw;
	int rc = -1;

	if (a == NULL || !cJSON_IsObject(a))
		goto out;
	r = cJSON_GetObjectItemCaseSensitive(a, "rows");
	if (!cJSON_IsNumber(r))
		goto out;
	*rows += (long long)r->valuedouble;
	nw = cJSON_GetObjectItemCaseSensitive(a, "newer");
	if (cJSON_IsFalse(nw))
		*caught_up = 1;
	rc = 0;
out:
	cJSON_Delete(a);
	return rc;
}

static const char *const stage_names[] = { "bq-pull", "harper-load",
    "bq-checkpoint" };

const char *
agent_stage_name(int stage)
{
	return stage >= 0 && stage < 3 ? stage_names[stage] : "bq-sync";
}

static int
shell_status(int st)
{
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}

/*
 * Forks and execs argv with the given stdin, stdout and stderr (-1: keep),
 * in process group pgid (0: a new one), dying with its parent.
 */
static pid_t
spawn(const char *tooldir, char *const argv[], int in, int out, int errfd,
    pid_t pgid)
{
	pid_t parent = getpid(), pid;
	char *path = agent_tool_path(tooldir, argv[0]);

	if ((pid = fork()) == -1) {
		free(path);
		return -1;
	}
	if (pid == 0) {
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 ||
		    getppid() != parent)
			_exit(127);
		setpgid(0, pgid);
		signal(SIGPIPE, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		if ((in != -1 && dup2(in, 0) == -1) ||
		    (out != -1 && dup2(out, 1) == -1) ||
		    (errfd != -1 && dup2(errfd, 2) == -1))
			_exit(127);
		execvp(path, argv);
		dprintf(2, "%s: cannot run: %s\n", path, strerror(errno));
		_exit(127);
	}
	setpgid(pid, pgid);	/* also here: no race with kill(-pgid) */
	free(path);
	return pid;
}

int
agent_run(const char *tooldir, char *const argv[], const char *input,
    struct strbuf *out)
{
	int in[2] = { -1, -1 }, o[2] = { -1, -1 }, st = 0;
	pid_t pid;
	char buf[4096];
	ssize_t r;
	size_t len = input ? strlen(input) : 0, off = 0;

	if (pipe2(in, O_CLOEXEC) == -1 ||
	    (out != NULL && pipe2(o, O_CLOEXEC) == -1))
		goto fail;
	if ((pid = spawn(tooldir, argv, in[0], o[1], -1, 0)) == -1)
		goto fail;
	close(in[0]);
	while (off < len && (r = write(in[1], input + off, len - off)) > 0)
		off += (size_t)r;
	close(in[1]);
	if (out != NULL) {
		close(o[1]);
		while ((r = read(o[0], buf, sizeof(buf))) != 0) {
			if (r == -1 && errno == EINTR)
				continue;
			if (r == -1)
				break;
			strbuf_add(out, buf, (size_t)r);
		}
		close(o[0]);
	}
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	return shell_status(st);
fail:
	for (r = 0; r < 2; r++) {
		if (in[r] != -1)
			close(in[r]);
		if (o[r] != -1)
			close(o[r]);
	}
	return 127;
}

void
agent_job_init(struct agent_job *j, const char *table, long i, long n,
    const char *name)
{
	int k;

	memset(j, 0, sizeof(*j));
	j->table = xstrdup(table);
	j->name = xstrdup(name);
	j->wi = i;
	j->wn = n;
	j->lockfd = j->ackfd = -1;
	for (k = 0; k < 3; k++)
		j->errfd[k] = -1;
	for (k = 0; k < 4; k++)
		strbuf_init(&j->line[k], 0);
}

void
agent_job_release(struct agent_job *j)
{
	int k;

	agent_job_kill(j);
	for (k = 0; k < 3; k++) {
		if (j->pid[k] > 0)
			waitpid(j->pid[k], NULL, 0);
		if (j->errfd[k] != -1)
			close(j->errfd[k]);
	}
	if (j->ackfd != -1)
		close(j->ackfd);
	if (j->lockfd != -1)
		close(j->lockfd);
	for (k = 0; k < 4; k++)
		strbuf_release(&j->line[k]);
	free(j->table);
	free(j->name);
	memset(j, 0, sizeof(*j));
}

static int
take_lock(struct agent_job *j, const struct agent_env *env,
    struct bq_err *err)
{
	char *path = agent_lock_path(env->ckpt_path, j->table, j->wi, j->wn);
	int fd, rc = -1;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644)) == -1) {
		bq_err_set(err, EXIT_IOERR, "cannot open '%s': %s", path,
		    strerror(errno));
		goto out;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		bq_err_set(err, errno == EWOULDBLOCK ? EXIT_TEMPFAIL :
		    EXIT_IOERR, "table '%s' worker %ld/%ld: '%s' is locked: "
		    "another bq-sync runs it", j->table, j->wi, j->wn, path);
		close(fd);
		goto out;
	}
	j->lockfd = fd;
	rc = 0;
out:
	free(path);
	return rc;
}

/* argv of stage k; strings point into j, w and cursor. */
static void
stage_argv(const struct agent_job *j, const struct agent_env *env, int k,
    const char *w, const char *cursor, char **v)
{
	int n = 0;

	v[n++] = (char *)stage_names[k];
	if (env->config != NULL) {
		v[n++] = (char *)"-c";
		v[n++] = (char *)env->config;
	}
	v[n++] = (char *)"-t";
	v[n++] = j->table;
	if (k != 1) {
		v[n++] = (char *)"-w";
		v[n++] = (char *)w;
	}
	if (k == 0 && *cursor != '\0') {
		v[n++] = (char *)"-a";
		v[n++] = (char *)cursor;
	}
	if (k == 0 && !env->once)
		v[n++] = (char *)"--follow";
	if (k == 2) {
		v[n++] = (char *)"--name";
		v[n++] = j->name;
		v[n++] = (char *)"--tee";
		v[n++] = (char *)"commit";
	}
	v[n] = NULL;
}

static int
get_cursor(const struct agent_job *j, const struct agent_env *env,
    const char *w, struct strbuf *cur, struct bq_err *err)
{
	char *v[10];
	int n = 0, st;

	v[n++] = (char *)"bq-checkpoint";
	if (env->config != NULL) {
		v[n++] = (char *)"-c";
		v[n++] = (char *)env->config;
	}
	v[n++] = (char *)"-t";
	v[n++] = j->table;
	v[n++] = (char *)"-w";
	v[n++] = (char *)w;
	v[n++] = (char *)"get";
	v[n] = NULL;
	if ((st = agent_run(env->tooldir, v, NULL, cur)) != 0)
		return bq_err_set(err, st > 0 && st < 128 ? st : EXIT_FAIL,
		    "table '%s' worker %s: bq-checkpoint get exited %d",
		    j->table, w, st);
	while (cur->len > 0 && (cur->buf[cur->len - 1] == '\n' ||
	    cur->buf[cur->len - 1] == '\r'))
		cur->buf[--cur->len] = '\0';
	return 0;
}

int
agent_job_start(struct agent_job *j, const struct agent_env *env,
    struct bq_err *err)
{
	struct strbuf cur = STRBUF_INIT;
	char w[48], *v[3][16];
	int p[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } };
	int e[3][2] = { { -1, -1 }, { -1, -1 }, { -1, -1 } };
	int k, rc = -1;

	snprintf(w, sizeof(w), "%ld/%ld", j->wi, j->wn);
	if (j->lockfd == -1 && take_lock(j, env, err) == -1)
		goto out;
	if (get_cursor(j, env, w, &cur, err) == -1)
		goto out;
	for (k = 0; k < 3; k++) {
		if (pipe2(p[k], O_CLOEXEC) == -1 ||
		    pipe2(e[k], O_CLOEXEC) == -1) {
			bq_err_set(err, EXIT_FAIL, "pipe: %s", strerror(errno));
			goto out;
		}
		stage_argv(j, env, k, w, cur.buf, v[k]);
	}
	j->rows = 0;
	j->caught_up = 0;
	memset(j->last, 0, sizeof(j->last));
	for (k = 0; k < 3; k++) {
		j->status[k] = 0;
		j->pid[k] = spawn(env->tooldir, v[k], k == 0 ? -1 : p[k - 1][0],
		    p[k][1], e[k][1], k == 0 ? 0 : j->pid[0]);
		if (j->pid[k] == -1) {
			j->pid[k] = 0;
			bq_err_set(err, EXIT_FAIL, "fork: %s", strerror(errno));
			agent_job_kill(j);
			goto out;
		}
	}
	for (k = 0; k < 3; k++) {
		j->errfd[k] = e[k][0];
		e[k][0] = -1;
		fcntl(j->errfd[k], F_SETFL, O_NONBLOCK);
	}
	j->ackfd = p[2][0];
	p[2][0] = -1;
	fcntl(j->ackfd, F_SETFL, O_NONBLOCK);
	j->state = AGENT_RUNNING;
	rc = 0;
out:
	for (k = 0; k < 3; k++) {
		if (p[k][0] != -1) close(p[k][0]);
		if (p[k][1] != -1) close(p[k][1]);
		if (e[k][0] != -1) close(e[k][0]);
		if (e[k][1] != -1) close(e[k][1]);
	}
	if (rc == -1 && j->lockfd != -1 && j->pid[0] == 0) {
		close(j->lockfd);
		j->lockfd = -1;
	}
	strbuf_release(&cur);
	return rc;
}

int
agent_job_fds(const struct agent_job *j, int *fds)
{
	int k, n = 0;

	for (k = 0; k < 3; k++)
		if (j->errfd[k] != -1)
			fds[n++] = j->errfd[k];
	if (j->ackfd != -1)
		fds[n++] = j->ackfd;
	return n;
}

static void
take_line(struct agent_job *j, int k, const char *s)
{
	if (k == 3) {
		if (agent_ack_line(s, &j->rows, &j->caught_up) == -1 && *s)
			bqsync_log(BQ_LOG_WARN, "table '%s': not an ack: %.80s",
			    j->table, s);
		return;
	}
	if (*s == '\0')
		return;
	bqsync_log(BQ_LOG_INFO, "%s", s);
	snprintf(j->last[k], sizeof(j->last[k]), "%s", s);
}

/* Reads fd k (0-2 stderr, 3 acks) until it would block; closes it at EOF. */
static void
drain_fd(struct agent_job *j, int k)
{
	int *fd = k == 3 ? &j->ackfd : &j->errfd[k];
	struct strbuf *b = &j->line[k];
	char buf[4096], *nl;
	ssize_t r;
	size_t off;

	while (*fd != -1) {
		r = read(*fd, buf, sizeof(buf));
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			return;		/* EAGAIN: nothing more now */
		if (r > 0)
			strbuf_add(b, buf, (size_t)r);
		off = 0;
		while ((nl = memchr(b->buf + off, '\n', b->len - off))) {
			*nl = '\0';
			take_line(j, k, b->buf + off);
			off = (size_t)(nl - b->buf) + 1;
		}
		memmove(b->buf, b->buf + off, b->len - off);
		strbuf_grow(b, 0);
		b->len -= off;
		b->buf[b->len] = '\0';
		if (r == 0) {
			if (b->len > 0)
				take_line(j, k, b->buf);
			strbuf_reset(b);
			close(*fd);
			*fd = -1;
		}
	}
}

int
agent_job_poll(struct agent_job *j, double now, int *status, int *stage)
{
	int k, st, live = 0, failed = 0;

	if (j->state == AGENT_IDLE)
		return 0;
	for (k = 0; k < 4; k++)
		drain_fd(j, k);
	for (k = 0; k < 3; k++) {
		if (j->pid[k] > 0 && waitpid(j->pid[k], &st, WNOHANG) ==
		    j->pid[k]) {
			j->pid[k] = 0;
			j->status[k] = shell_status(st);
		}
		if (j->pid[k] > 0)
			live++;
		else if (j->status[k] != 0)
			failed = 1;
	}
	if (live > 0) {
		if (failed && j->state == AGENT_RUNNING)
			agent_job_stop(j, now, 10);
		else if (j->state == AGENT_DRAINING && now > j->deadline)
			agent_job_kill(j);
		return 0;
	}
	for (k = 0; k < 4; k++) {
		/* every writer is gone: what is left in the pipes is all */
		if (k < 3 && j->errfd[k] != -1)
			fcntl(j->errfd[k], F_SETFL, 0);
		if (k == 3 && j->ackfd != -1)
			fcntl(j->ackfd, F_SETFL, 0);
		drain_fd(j, k);
	}
	*status = agent_pipeline_status(j->status);
	*stage = -1;
	for (k = 0; k < 3 && *stage == -1; k++)
		if (j->status[k] != 0 && j->status[k] == *status)
			*stage = k;
	j->state = AGENT_IDLE;
	close(j->lockfd);
	j->lockfd = -1;
	return 1;
}

void
agent_job_stop(struct agent_job *j, double now, double grace)
{
	if (j->state != AGENT_RUNNING)
		return;
	if (j->pid[0] > 0)
		kill(j->pid[0], SIGTERM);
	j->state = AGENT_DRAINING;
	j->deadline = now + grace;
}

void
agent_job_kill(struct agent_job *j)
{
	int k;

	for (k = 0; k < 3; k++)
		if (j->pid[k] > 0)
			kill(j->pid[k], SIGKILL);
}

/*
 * The supervisor (bq-sync): one pipeline per selected table, restarted
 * after failures, drained when the layout or the config changes.
 */
struct agent_table {
	struct agent_job job;
	int	 fatal;		/* 77/78: stopped, not retried */
	int	 done;		/* --once: caught up, or failed */
	int	 paused;	/* SyncControl says stop */
	int	 attempt;
	double	 next;		/* earliest (re)start */
	double	 started;
};

struct agent {
	struct agent_opts o;
	struct agent_env env;
	const struct config *cfg;
	struct harper_client *hc;
	struct agent_topo *topo;
	struct agent_table *tabs;
	size_t	 ntabs;
	long	 wi, wn;
	char	*node;
	int	 first_failure;
	double	 next_topo, next_ctl;
};

/*
 * This node's name and i/N; 0 when they changed since the last call, -1
 * when Harper did not answer (they stay as they were).
 */
static int
layout(struct agent *a, double now)
{
	struct bq_err err = BQ_ERR_INIT;
	cJSON *st = NULL;
	char *self = NULL;
	long i = a->wi, n = a->wn;
	int same;

	if (harper_cluster_status(a->hc, &st, &err) == -1) {
		if (a->o.use_harper && a->node == NULL)
			bqsync_log(BQ_LOG_WARN, "cluster_status: %s; no "
			    "pipeline until this node knows its place", err.msg);
		else
			bqsync_log(a->o.use_harper ? BQ_LOG_WARN : BQ_LOG_DEBUG,
			    "cluster_status: %s; keeping worker %ld/%ld",
			    err.msg, a->wi, a->wn);
		return -1;
	}
	agent_topo_update(a->topo, st, a->o.host, now,
	    a->cfg->sync.topology_grace, a->o.use_harper ? &i : &(long){ 0 },
	    a->o.use_harper ? &n : &(long){ 0 }, &self);
	cJSON_Delete(st);
	same = i == a->wi && n == a->wn && a->node != NULL &&
	    strcmp(self, a->node) == 0;
	if (!same)
		bqsync_log(BQ_LOG_INFO, "node '%s': worker %ld/%ld", self, i, n);
	free(a->node);
	a->node = self;
	a->wi = i;
	a->wn = n;
	return same;
}

static int
selected(struct agent *a, const char *id)
{
	size_t i;

	for (i = 0; i < a->o.nonly; i++)
		if (strcmp(a->o.only[i], id) == 0)
			return 1;
	return a->o.nonly == 0;
}

static void
make_jobs(struct agent *a)
{
	char *name = xstrfmt("%s-%ld", a->node ? a->node : a->o.host, a->wi);
	size_t i, k = 0;

	a->tabs = xcalloc(a->cfg->ntables, sizeof(*a->tabs));
	for (i = 0; i < a->cfg->ntables; i++) {
		if (!selected(a, a->cfg->tables[i].id))
			continue;
		agent_job_init(&a->tabs[k].job, a->cfg->tables[i].id, a->wi,
		    a->wn, name);
		k++;
	}
	a->ntabs = k;
	free(name);
}

static void
free_jobs(struct agent *a)
{
	size_t i;

	for (i = 0; i < a->ntabs; i++)
		agent_job_release(&a->tabs[i].job);
	free(a->tabs);
	a->tabs = NULL;
	a->ntabs = 0;
}

/* Stores the failure as the worker's lastError through bq-checkpoint. */
static void
record_error(struct agent *a, struct agent_table *t, int status, int stage)
{
	struct agent_job *j = &t->job;
	char w[48], st[16], *v[16];
	const char *msg = stage >= 0 && j->last[stage][0] ? j->last[stage] :
	    "exited without a message";
	int n = 0, rc;

	snprintf(w, sizeof(w), "%ld/%ld", j->wi, j->wn);
	snprintf(st, sizeof(st), "%d", status);
	v[n++] = (char *)"bq-checkpoint";
	if (a->o.config != NULL) {
		v[n++] = (char *)"-c";
		v[n++] = (char *)a->o.config;
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
	if ((rc = agent_run(a->env.tooldir, v, msg, NULL)) != 0)
		bqsync_log(BQ_LOG_WARN, "table '%s': could not record the error "
		    "(bq-checkpoint exited %d)", j->table, rc);
}

static void
ended(struct agent *a, struct agent_table *t, int status, int stage,
    double now)
{
	struct agent_job *j = &t->job;

	if (status == 0) {
		t->attempt = 0;
		if (a->o.once && (j->caught_up || j->rows == 0))
			t->done = 1;
		t->next = now + (a->o.once ? 0 : 1);
		return;
	}
	bqsync_log(BQ_LOG_ERROR, "table '%s' worker %ld/%ld: %s exited %d",
	    j->table, j->wi, j->wn, agent_stage_name(stage), status);
	record_error(a, t, status, stage);
	if (now - t->started > 60 || j->rows > 0)
		t->attempt = 0;
	if (agent_is_fatal(status)) {
		t->fatal = status;
		bqsync_log(BQ_LOG_ERROR, "table '%s': stopped (exit %d is not "
		    "retried: fix the configuration or credentials, then "
		    "restart bq-sync)", j->table, status);
	}
	if (a->o.once || t->fatal) {
		t->done = 1;
		if (a->first_failure == 0)
			a->first_failure = status;
		return;
	}
	t->next = now + agent_backoff(t->attempt++, 1, 300,
	    (double)random() / ((double)RAND_MAX + 1));
	bqsync_log(BQ_LOG_INFO, "table '%s': restarting in %.1f s", j->table,
	    t->next - now);
}

static void
start(struct agent *a, struct agent_table *t, double now)
{
	struct bq_err err = BQ_ERR_INIT;

	t->started = now;
	if (agent_job_start(&t->job, &a->env, &err) == 0)
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
	ended(a, t, exit_for(&err), -1, now);
}

static void
check_control(struct agent *a)
{
	struct bq_err err = BQ_ERR_INIT;
	size_t i;
	int s;

	for (i = 0; i < a->ntabs; i++) {
		s = control_stopped(a->hc, a->tabs[i].job.table, &err);
		if (s == -1) {
			bqsync_log(BQ_LOG_DEBUG, "SyncControl: %s", err.msg);
			return;
		}
		if (s != a->tabs[i].paused)
			bqsync_log(BQ_LOG_INFO, "table '%s': SyncControl %s",
			    a->tabs[i].job.table, s ? "stop: pausing" :
			    "start: resuming");
		a->tabs[i].paused = s;
	}
}

/* Seconds between SyncControl checks: within the shortest poll interval. */
static double
control_interval(struct agent *a)
{
	double d = a->cfg->sync.steady_poll;
	size_t i;

	for (i = 0; i < a->cfg->ntables; i++) {
		if (a->cfg->tables[i].sync.initial_poll < d)
			d = a->cfg->tables[i].sync.initial_poll;
	}
	return d < 1 ? 1 : d > 5 ? 5 : d;
}

/* One pass of the loop; 1 when bq-sync should exit. */
static int
step(struct agent *a, double now, int drain)
{
	struct pollfd pfd[64];
	int fds[4], k, m, nfd = 0, status, stage, busy = 0, left = 0;
	size_t i;

	for (i = 0; i < a->ntabs; i++) {
		struct agent_table *t = &a->tabs[i];

		if (t->job.state != AGENT_IDLE) {
			if (drain || t->paused)
				agent_job_stop(&t->job, now, 30);
			busy = 1;
			continue;
		}
		if (a->o.once && t->paused)
			t->done = 1;
		if (drain || t->fatal || t->done)
			continue;
		left = 1;
		if (!t->paused && now >= t->next) {
			start(a, t, now);
			busy |= t->job.state != AGENT_IDLE;
		}
	}
	if (!busy && (drain || (a->o.once && !left)))
		return 1;
	if (!a->o.once && !busy && !left)	/* every table stopped for good */
		return 1;
	for (i = 0; i < a->ntabs; i++) {
		m = agent_job_fds(&a->tabs[i].job, fds);
		for (k = 0; k < m && nfd < 64; k++) {
			pfd[nfd].fd = fds[k];
			pfd[nfd++].events = POLLIN;
		}
	}
	poll(pfd, (nfds_t)nfd, 200);
	now = util_now_mono();
	for (i = 0; i < a->ntabs; i++)
		if (agent_job_poll(&a->tabs[i].job, now, &status, &stage))
			ended(a, &a->tabs[i], drain && status == 0 ? 0 : status,
			    stage, now);
	return 0;
}

struct agent *
agent_new(const struct agent_opts *o, const struct agent_env *env,
    const struct config *cfg, struct harper_client *hc)
{
	struct agent *a = xcalloc(1, sizeof(*a));

	a->o = *o;
	a->env = *env;
	a->cfg = cfg;
	a->hc = hc;
	a->wi = o->wi;
	a->wn = o->wn;
	a->topo = agent_topo_new();
	/* --harper: never run as 0/1, the guess every node would make */
	while (layout(a, util_now_mono()) == -1 && o->use_harper && !*o->term)
		sleep(1);
	make_jobs(a);
	a->next_topo = util_now_mono() + cfg->sync.topology_interval;
	return a;
}

void
agent_reload(struct agent *a, const struct agent_env *env,
    struct harper_client *hc)
{
	a->env = *env;
	a->hc = hc;
	make_jobs(a);
	a->next_ctl = 0;
}

int
agent_serve(struct agent *a)
{
	double now;
	int relayout = 0, reload = 0;

	for (;;) {
		now = util_now_mono();
		if (*a->o.hup && !reload) {
			bqsync_log(BQ_LOG_INFO, "SIGHUP: rereading '%s'",
			    a->cfg->path ? a->cfg->path : "(defaults)");
			*a->o.hup = 0;
			reload = 1;
		}
		if (a->o.use_harper && now >= a->next_topo && !relayout) {
			a->next_topo = now + a->cfg->sync.topology_interval;
			if (!layout(a, now)) {
				bqsync_log(BQ_LOG_INFO, "new layout: draining");
				relayout = 1;
			}
		}
		if (now >= a->next_ctl) {
			a->next_ctl = now + control_interval(a);
			check_control(a);
		}
		if (!step(a, now, *a->o.term || relayout || reload))
			continue;
		if (*a->o.term || !(relayout || reload))
			break;
		free_jobs(a);
		if (reload)
			return AGENT_RELOAD;
		make_jobs(a);
		relayout = 0;
		a->next_ctl = 0;
	}
	return *a->o.term ? EXIT_OK : a->first_failure;
}

void
agent_free(struct agent *a)
{
	if (a == NULL)
		return;
	free_jobs(a);
	agent_topo_free(a->topo);
	free(a->node);
	free(a);
}
