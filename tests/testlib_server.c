/*
 * testlib_server: the scripted HTTP server of testlib.h, on libmicrohttpd
 * with a thread per connection (a step that stalls does not hold up the
 * client's next attempt).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include <check.h>
#include <microhttpd.h>

#include "testlib.h"
#include "util.h"
#include "banned.h"

struct testlib_server {
	struct MHD_Daemon	*daemon;
	pthread_mutex_t		 mu;
	struct testlib_step	*steps;
	size_t			 nsteps;
	size_t			 next;		/* the next request's step */
	size_t			 again;		/* requests played by again */
	struct testlib_request	**reqs;
	size_t			 nreqs;
	size_t			 alloc;
	struct strbuf		 problems;	/* one line each */
	char			 url[80];
	char			 host[64];
};

/* The body of a request as it arrives. */
struct upload {
	struct strbuf	 body;
};

struct pairs {
	char	**v;
	size_t	  n;
};

static enum MHD_Result
add_pair(void *cls, enum MHD_ValueKind kind, const char *key,
    const char *value)
{
	struct pairs *p = cls;

	(void)kind;
	p->v = xrealloc(p->v, (p->n + 3) * sizeof(*p->v));
	p->v[p->n++] = xstrdup(key);
	p->v[p->n++] = xstrdup(value ? value : "");
	p->v[p->n] = NULL;
	return MHD_YES;
}

static char **
pairs_of(struct MHD_Connection *c, enum MHD_ValueKind kind)
{
	struct pairs p = { NULL, 0 };

	p.v = xcalloc(1, sizeof(*p.v));
	MHD_get_connection_values(c, kind, add_pair, &p);
	return p.v;
}

static void
pairs_free(char **v)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != NULL; i++)
		free(v[i]);
	free(v);
}

static struct testlib_request *
record(struct MHD_Connection *c, const char *method, const char *url,
    struct strbuf *body)
{
	struct testlib_request *r = xcalloc(1, sizeof(*r));
	char *user, *pass = NULL;

	r->mono = util_now_mono();
	r->wall = util_now_wall();
	r->method = xstrdup(method);
	r->path = xstrdup(url);
	r->len = body->len;
	r->body = xmalloc(body->len + 1);
	memcpy(r->body, body->buf, body->len);
	r->body[body->len] = '\0';
	r->headers = pairs_of(c, MHD_HEADER_KIND);
	r->args = pairs_of(c, MHD_GET_ARGUMENT_KIND);
	user = MHD_basic_auth_get_username_password(c, &pass);
	if (user != NULL) {
		r->user = xstrdup(user);
		r->pass = xstrdup(pass ? pass : "");
	}
	MHD_free(user);
	MHD_free(pass);
	return r;
}

/*
 * Files request r and picks its step; NULL when it was unexpected, after
 * saying so on stderr and among the problems.  Called under the lock.
 */
static const struct testlib_step *
play(struct testlib_server *s, struct testlib_request *r)
{
	const struct testlib_step *st = NULL;
	size_t n = s->nreqs;

	if (s->nreqs == s->alloc) {
		s->alloc = s->alloc ? 2 * s->alloc : 16;
		s->reqs = xrealloc(s->reqs, s->alloc * sizeof(*s->reqs));
	}
	s->reqs[s->nreqs++] = r;
	if (s->next < s->nsteps) {
		st = &s->steps[s->next];
		if (st->again)
			s->again++;
		else
			s->next++;
	}
	if (st != NULL && (st->method == NULL ||
	    strcmp(st->method, r->method) == 0) && (st->path == NULL ||
	    strncmp(st->path, r->path, strlen(st->path)) == 0))
		return st;
	if (st == NULL)
		strbuf_addf(&s->problems, "request %zu (%s %s) is beyond the "
		    "script's %zu steps\n", n + 1, r->method, r->path,
		    s->nsteps);
	else
		strbuf_addf(&s->problems, "request %zu is %s %s, its step "
		    "expects %s %s\n", n + 1, r->method, r->path,
		    st->method ? st->method : "any method",
		    st->path ? st->path : "any path");
	fprintf(stderr, "testlib_server: unexpected %s %s\n", r->method,
	    r->path);
	return NULL;
}

static size_t
body_len(const struct testlib_step *st)
{
	if (st->body == NULL)
		return 0;
	return st->len ? st->len : strlen(st->body);
}

/* TESTLIB_CUT: the body, then an error where the rest was promised. */
static ssize_t
cut_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	const struct testlib_step *st = cls;
	size_t len = body_len(st);

	if (pos >= len)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	if (max > len - (size_t)pos)
		max = len - (size_t)pos;
	memcpy(buf, st->body + pos, max);
	return (ssize_t)max;
}

static enum MHD_Result
answer(struct MHD_Connection *c, const struct testlib_step *st)
{
	struct MHD_Response *r;
	enum MHD_Result ret;
	char name[128];
	const char *colon, *value;
	size_t i, len = body_len(st);

	if (st->delay > 0)
		util_sleep(st->delay, NULL);
	if (st->drop == TESTLIB_CLOSE)
		return MHD_NO;
	if (st->drop == TESTLIB_CUT)
		r = MHD_create_response_from_callback(len + 64, 64, cut_reader,
		    (void *)st, NULL);
	else
		r = MHD_create_response_from_buffer(len, (void *)st->body,
		    MHD_RESPMEM_MUST_COPY);
	for (i = 0; i < TESTLIB_NSTEPS(st->headers) && st->headers[i]; i++) {
		colon = strchr(st->headers[i], ':');	/* checked at start */
		memcpy(name, st->headers[i], (size_t)(colon - st->headers[i]));
		name[colon - st->headers[i]] = '\0';
		for (value = colon + 1; *value == ' '; value++)
			;
		MHD_add_response_header(r, name, value);
	}
	ret = MHD_queue_response(c, st->status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result
handle(void *cls, struct MHD_Connection *c, const char *url,
    const char *method, const char *version, const char *data, size_t *size,
    void **state)
{
	static const struct testlib_step unexpected = {
		.status = 500, .body = "testlib_server: unexpected request\n",
	};
	struct testlib_server *s = cls;
	struct upload *u = *state;
	struct testlib_request *r;
	const struct testlib_step *st;

	(void)version;
	if (u == NULL) {
		u = xcalloc(1, sizeof(*u));
		strbuf_init(&u->body, 0);
		*state = u;
		return MHD_YES;
	}
	if (*size > 0) {
		strbuf_add(&u->body, data, *size);
		*size = 0;
		return MHD_YES;
	}
	r = record(c, method, url, &u->body);
	pthread_mutex_lock(&s->mu);
	st = play(s, r);
	pthread_mutex_unlock(&s->mu);
	return answer(c, st ? st : &unexpected);
}

static void
done(void *cls, struct MHD_Connection *c, void **state,
    enum MHD_RequestTerminationCode t)
{
	struct upload *u = *state;

	(void)cls;
	(void)c;
	(void)t;
	if (u != NULL) {
		strbuf_release(&u->body);
		free(u);
		*state = NULL;
	}
}

struct testlib_server *
testlib_server_start(const struct testlib_step *steps, size_t n)
{
	struct testlib_server *s = xcalloc(1, sizeof(*s));
	const union MHD_DaemonInfo *info;
	struct sockaddr_in sa;
	const char *colon;
	size_t i, j;

	pthread_mutex_init(&s->mu, NULL);
	strbuf_init(&s->problems, 0);
	s->steps = xcalloc(n ? n : 1, sizeof(*s->steps));
	memcpy(s->steps, steps, n * sizeof(*steps));
	s->nsteps = n;
	for (i = 0; i < n; i++)
		for (j = 0; j < TESTLIB_NSTEPS(steps[i].headers) &&
		    steps[i].headers[j] != NULL; j++) {
			colon = strchr(steps[i].headers[j], ':');
			ck_assert_msg(colon != NULL &&
			    colon - steps[i].headers[j] < 128,
			    "step %zu: bad header %s", i + 1,
			    steps[i].headers[j]);
		}
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	s->daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL, handle, s,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
	    MHD_OPTION_NOTIFY_COMPLETED, done, NULL, MHD_OPTION_END);
	ck_assert_msg(s->daemon != NULL, "cannot start the HTTP server");
	info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(s->host, sizeof(s->host), "127.0.0.1:%u", info->port);
	snprintf(s->url, sizeof(s->url), "http://%s", s->host);
	return s;
}

const char *
testlib_server_url(const struct testlib_server *s)
{
	return s->url;
}

const char *
testlib_server_host(const struct testlib_server *s)
{
	return s->host;
}

size_t
testlib_server_count(struct testlib_server *s)
{
	size_t n;

	pthread_mutex_lock(&s->mu);
	n = s->nreqs;
	pthread_mutex_unlock(&s->mu);
	return n;
}

const struct testlib_request *
testlib_server_request(struct testlib_server *s, size_t i)
{
	size_t n = testlib_server_count(s);

	ck_assert_msg(i < n, "no request %zu: the server has had %zu", i + 1,
	    n);
	return s->reqs[i];	/* filed once, never moved */
}

static const char *
lookup(char **v, const char *name, int anycase)
{
	size_t i;

	for (i = 0; v[i] != NULL; i += 2)
		if ((anycase ? strcasecmp(v[i], name) :
		    strcmp(v[i], name)) == 0)
			return v[i + 1];
	return NULL;
}

const char *
testlib_request_header(const struct testlib_request *r, const char *name)
{
	return lookup(r->headers, name, 1);
}

const char *
testlib_request_arg(const struct testlib_request *r, const char *name)
{
	return lookup(r->args, name, 0);
}

static void
request_free(struct testlib_request *r)
{
	free(r->method);
	free(r->path);
	free(r->body);
	free(r->user);
	free(r->pass);
	pairs_free(r->headers);
	pairs_free(r->args);
	free(r);
}

void
testlib_server_free(struct testlib_server *s)
{
	const struct testlib_step *st;
	struct strbuf problems;
	size_t i;

	if (s == NULL)
		return;
	MHD_stop_daemon(s->daemon);
	if (s->next < s->nsteps && (!s->steps[s->next].again ||
	    s->again == 0)) {
		st = &s->steps[s->next];
		strbuf_addf(&s->problems, "step %zu (%s %s) never came\n",
		    s->next + 1, st->method ? st->method : "any method",
		    st->path ? st->path : "any path");
	}
	for (i = 0; i < s->nreqs; i++)
		request_free(s->reqs[i]);
	free(s->reqs);
	free(s->steps);
	pthread_mutex_destroy(&s->mu);
	problems = s->problems;
	free(s);
	if (problems.len > 0)
		problems.buf[--problems.len] = '\0';	/* the last newline */
	ck_assert_msg(problems.len == 0, "testlib_server: %s", problems.buf);
	strbuf_release(&problems);
}
