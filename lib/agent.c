#include <errno.h>
#include <fcntl.h>
#include <math.h>
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
#include "hash.h"
#include "log.h"
#include "util.h"
#include "banned.h"

int
agent_peer_connected(const cJSON *conn)
{
	const cJSON *socks, *s, *c;

	socks = cJSON_GetObjectItemCaseSensitive(conn, "database_sockets");
	cJSON_ArrayForEach(s, socks) {
		c = cJSON_GetObjectItemCaseSensitive(s, "connected");
		if (cJSON_IsTrue(c))
			return 1;
	}
	return 0;
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

	if (pipe2(in, O_CLOEXEC) == -1 || pipe2(o, O_CLOEXEC) == -1)
		goto fail;
	if ((pid = spawn(tooldir, argv, in[0], o[1], -1, 0)) == -1)
		goto fail;
	close(in[0]);
	close(o[1]);
	while (off < len && (r = write(in[1], input + off, len - off)) > 0)
		off += (size_t)r;
	close(in[1]);
	while ((r = read(o[0], buf, sizeof(buf))) != 0) {
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1)
			break;
		if (out != NULL)
			strbuf_add(out, buf, (size_t)r);
	}
	close(o[0]);
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
