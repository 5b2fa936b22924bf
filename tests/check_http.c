/*
 * check_http: the http module against testlib's scripted HTTP server on
 * 127.0.0.1 (retries, Retry-After, deadline, auth, binary bodies) and
 * against a closed port (refused connections).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <check.h>

#include "http.h"
#include "log.h"
#include "util.h"
#include "testlib.h"
#include "banned.h"

static char url[64];

/* What one POST through a client came to. */
struct exchange {
	struct testlib_server *srv;	/* NULL: a closed port */
	struct http_response r;
	struct bq_err	 err;
	int		 rc;		/* http_do()'s */
	double		 took;		/* seconds */
};

/* What it should come to; zero fields are not checked. */
struct outcome {
	int		 rc;
	int		 kind;		/* err.kind, when rc is -1 */
	long		 status;	/* when rc is 0 */
	int		 attempts;
	int		 min_attempts;
	const char	*body;
	const char	*msg_has;
};

/* The client most cases use: 5 s an attempt, quick backoff, Basic auth. */
#define CLIENT(dl) { .timeout = 5, .deadline = (dl), .max_retries = -1, \
	.backoff_base = 0.01, .backoff_cap = 0.05, .username = "alice", \
	.password = "s3cret:with colon" }

/* A closed port on 127.0.0.1, as a URL with userinfo. */
static void
closed_port_url(void)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	close(fd);
	snprintf(url, sizeof(url), "http://u:pw@127.0.0.1:%u/",
	    ntohs(sa.sin_port));
}

/*
 * POSTs len bytes of body, through a client with options o, to a server
 * that plays the steps up to the first with no status (each expects POST
 * /x), or to a closed port when there are none.
 */
static void
exchange(struct exchange *x, const struct http_opts *o,
    const struct testlib_step *steps, const char *body, size_t len)
{
	struct testlib_step s[4];
	struct http_client *c = http_client_new(o);
	struct http_request req;
	size_t n;

	memset(x, 0, sizeof(*x));
	x->err = (struct bq_err)BQ_ERR_INIT;
	for (n = 0; n < TESTLIB_NSTEPS(s) && steps[n].status != 0; n++) {
		s[n] = steps[n];
		s[n].method = "POST";
		s[n].path = "/x";
	}
	if (n > 0) {
		x->srv = testlib_server_start(s, n);
		snprintf(url, sizeof(url), "%s/x", testlib_server_url(x->srv));
	} else {
		closed_port_url();
	}
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url;
	req.content_type = "application/json";
	req.body = body;
	req.body_len = len;
	http_response_init(&x->r);
	x->took = util_now_mono();
	x->rc = http_do(c, &req, &x->r, &x->err);
	x->took = util_now_mono() - x->took;
	http_client_free(c);
}

static void
check_outcome(struct exchange *x, const struct outcome *w)
{
	ck_assert_int_eq(x->rc, w->rc);
	if (w->rc == -1)
		ck_assert_int_eq(x->err.kind, w->kind);
	else
		ck_assert_int_eq(x->r.status, w->status);
	if (w->attempts != 0)
		ck_assert_int_eq(x->r.attempts, w->attempts);
	ck_assert_int_ge(x->r.attempts, w->min_attempts);
	if (w->body != NULL)
		ck_assert_str_eq(x->r.body.buf, w->body);
	if (w->msg_has != NULL)
		ck_assert_ptr_nonnull(strstr(x->err.msg, w->msg_has));
	/* every answered attempt reached the server, and nothing else */
	if (x->srv != NULL && x->rc == 0)
		ck_assert_uint_eq(testlib_server_count(x->srv),
		    (size_t)x->r.attempts);
	/* the password in the URL never shows */
	if (x->srv == NULL)
		ck_assert_ptr_null(strstr(x->err.msg, "pw"));
}

static void
exchange_release(struct exchange *x)
{
	http_response_release(&x->r);
	testlib_server_free(x->srv);
}

static const struct http_case {
	struct testlib_step steps[3];	/* up to the first with no status */
	struct http_opts o;
	struct outcome	 want;
} cases[] = {
	/* 0: a 503, then 200: retried */
	{ { { .status = 503, .body = "busy" },
	    { .status = 200, .body = "{\"ok\":1}" } }, CLIENT(10),
	  { .status = 200, .attempts = 2, .body = "{\"ok\":1}" } },
	/* 1: a 400 is not retried */
	{ { { .status = 400, .body = "{\"error\":\"bad\"}" } }, CLIENT(10),
	  { .status = 400, .attempts = 1, .body = "{\"error\":\"bad\"}" } },
	/* 2: 503 until the deadline: the last answer */
	{ { { .status = 503, .body = "down", .again = 1 } }, CLIENT(0.5),
	  { .status = 503, .min_attempts = 3 } },
	/* 3: timeouts use up the deadline: tempfail, naming the host */
	{ { { .status = 200, .body = "late", .delay = 1.5, .again = 1 } },
	  { .timeout = 0.2, .deadline = 0.7, .max_retries = -1,
	    .backoff_base = 0.01 },
	  { .rc = -1, .kind = EXIT_TEMPFAIL, .min_attempts = 2,
	    .msg_has = "127.0.0.1" } },
	/* 4: a body cut off is retried */
	{ { { .status = 200, .body = "hello", .drop = TESTLIB_CUT },
	    { .status = 200, .body = "whole" } }, CLIENT(10),
	  { .status = 200, .attempts = 2, .body = "whole" } },
	/* 5: a connection closed without an answer is retried */
	{ { { .status = 200, .drop = TESTLIB_CLOSE },
	    { .status = 200, .body = "whole" } }, CLIENT(10),
	  { .status = 200, .attempts = 2, .body = "whole" } },
	/* 6: max_retries bounds the attempts */
	{ { { .status = 500, .body = "", .again = 1 } },
	  { .deadline = 30, .max_retries = 2, .backoff_base = 0.01 },
	  { .status = 500, .attempts = 3 } },
	/* 7: a refused connection is tempfail, without the password */
	{ { { 0 } }, CLIENT(0.3),
	  { .rc = -1, .kind = EXIT_TEMPFAIL, .min_attempts = 2 } },
};

START_TEST(test_exchanges)
{
	const struct http_case *c = &cases[_i];
	struct exchange x;

	exchange(&x, &c->o, c->steps, "{}", 2);
	check_outcome(&x, &c->want);
	exchange_release(&x);
}
END_TEST

START_TEST(test_retry_after_seconds_honoured)
{
	static const struct testlib_step s[] = {
		{ .status = 429, .headers = { "Retry-After: 1" },
		  .body = "slow down" },
		{ .status = 200, .body = "ok" },
		{ 0 },
	};
	static const struct http_opts o = CLIENT(10);
	static const struct outcome want = { .status = 200, .attempts = 2 };
	struct exchange x;

	exchange(&x, &o, s, "{}", 2);
	check_outcome(&x, &want);
	ck_assert_double_ge(testlib_server_request(x.srv, 1)->mono -
	    testlib_server_request(x.srv, 0)->mono, 1.0);
	exchange_release(&x);
}
END_TEST

START_TEST(test_retry_after_http_date_honoured)
{
	char date[64], header[96];
	struct testlib_step s[] = {
		{ .status = 503, .headers = { header }, .body = "" },
		{ .status = 200, .body = "ok" },
		{ 0 },
	};
	static const struct http_opts o = CLIENT(10);
	static const struct outcome want = { .status = 200, .attempts = 2 };
	struct exchange x;
	struct tm tm;
	time_t t = time(NULL) + 2;

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	snprintf(header, sizeof(header), "Retry-After: %s", date);
	exchange(&x, &o, s, "{}", 2);
	check_outcome(&x, &want);
	/*
	 * The date has whole seconds, so how long the client waited depends on
	 * where in its second the first answer fell (0.991 s is right when it
	 * fell at .009 before the next second).  What Retry-After promises is
	 * that the retry comes no earlier than the date itself.
	 */
	ck_assert_double_ge(testlib_server_request(x.srv, 1)->wall, (double)t);
	exchange_release(&x);
}
END_TEST

static int warnings;
static char last_warning[512];

static void
count_warnings(enum log_level lv, const char *msg, void *arg)
{
	(void)arg;
	if (lv != BQ_LOG_WARN)
		return;
	warnings++;
	snprintf(last_warning, sizeof(last_warning), "%s", msg);
}

START_TEST(test_retries_until_the_deadline)
{
	/*
	 * Backoff waits of up to 10 s against a 1 s deadline: without the
	 * last wait cut to fit, the first wait ends the retries at once.
	 */
	static const struct http_opts o = { .deadline = 1, .max_retries = -1,
		.backoff_base = 10 };
	static const struct testlib_step none[] = { { 0 } };
	static const struct outcome want = { .rc = -1, .kind = EXIT_TEMPFAIL,
		.min_attempts = 2 };
	struct exchange x;

	warnings = 0;
	bqsync_set_log(count_warnings, NULL);
	exchange(&x, &o, none, "{}", 2);
	bqsync_set_log(NULL, NULL);
	check_outcome(&x, &want);
	ck_assert_double_ge(x.took, 0.9);
	ck_assert_double_le(x.took, 2.0);
	/* One warning for the outage, without the password. */
	ck_assert_int_eq(warnings, 1);
	ck_assert_ptr_nonnull(strstr(last_warning, "retrying for up to 1 s"));
	ck_assert_ptr_null(strstr(last_warning, "pw"));
	exchange_release(&x);
}
END_TEST

START_TEST(test_redact_url)
{
	char out[128];

	http_redact_url("http://alice:s3cret@h:9925/x?y=z", out, sizeof(out));
	ck_assert_str_eq(out, "http://***@h:9925/x?y=z");
	http_redact_url("https://a@b:c@h/", out, sizeof(out));
	ck_assert_str_eq(out, "https://***@h/");
	http_redact_url("http://h:1/p@q", out, sizeof(out));
	ck_assert_str_eq(out, "http://h:1/p@q");
	http_redact_url("h@x", out, sizeof(out));
	ck_assert_str_eq(out, "***@x");
	http_redact_url("http://u:p@h/", out, 9);
	ck_assert_str_eq(out, "http://*");
}
END_TEST

START_TEST(test_basic_auth_and_nul_bodies)
{
	static const char out[] = "a\0b\0c";
	static const char in[] = "x\0y\0\0z";
	static const struct testlib_step s[] = {
		{ .status = 200, .body = out, .len = sizeof(out) - 1 },
		{ 0 },
	};
	static const struct http_opts o = CLIENT(10);
	static const struct outcome want = { .status = 200, .attempts = 1 };
	const struct testlib_request *got;
	struct exchange x;

	exchange(&x, &o, s, in, sizeof(in) - 1);
	check_outcome(&x, &want);
	got = testlib_server_request(x.srv, 0);
	ck_assert_str_eq(got->user, "alice");
	ck_assert_str_eq(got->pass, "s3cret:with colon");
	ck_assert_uint_eq(got->len, sizeof(in) - 1);
	ck_assert_mem_eq(got->body, in, sizeof(in) - 1);
	ck_assert_uint_eq(x.r.body.len, sizeof(out) - 1);
	ck_assert_mem_eq(x.r.body.buf, out, sizeof(out) - 1);
	exchange_release(&x);
}
END_TEST

static Suite *
http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_exchanges, 0,
	    (int)(sizeof(cases) / sizeof(cases[0])));
	tcase_add_test(tc, test_retry_after_seconds_honoured);
	tcase_add_test(tc, test_retry_after_http_date_honoured);
	tcase_add_test(tc, test_basic_auth_and_nul_bodies);
	tcase_add_test(tc, test_retries_until_the_deadline);
	tcase_add_test(tc, test_redact_url);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(http_suite)
