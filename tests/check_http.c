/*
 * check_http: the http module against an in-process libmicrohttpd server
 * on 127.0.0.1 that plays a script of responses (a fixture for the HTTP
 * behaviour: retries, Retry-After, deadline, auth, binary bodies).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <check.h>
#include <microhttpd.h>

#include "http.h"
#include "log.h"
#include "util.h"
#include "testlib.h"
#include "banned.h"

#define MAXSTEPS 16

struct step {
	unsigned int	 status;
	const char	*retry_after;	/* header value or NULL */
	const char	*body;
	size_t		 body_len;
	double		 sleep;		/* stall before answering */
	int		 cut;		/* announce more bytes than sent */
};

static struct step script[MAXSTEPS];
static int nscript;
static int hits;
static double hit_time[64];
static double hit_wall[64];	/* the same instants on the wall clock */
static char got_user[64], got_pass[64];
static char got_body[256];
static size_t got_body_len;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct MHD_Daemon *daemon_;
static char url[64];

struct upload {
	struct strbuf sb;
};

static ssize_t
cut_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)cls;
	if (pos >= 5 || max < 5)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	memcpy(buf, "hello", 5);
	return 5;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *c, const char *u, const char *method,
    const char *version, const char *data, size_t *data_size, void **con_cls)
{
	struct upload *up = *con_cls;
	struct MHD_Response *r;
	struct step s;
	char *user, *pass = NULL;
	enum MHD_Result ret;
	int i;

	(void)cls; (void)u; (void)method; (void)version;
	if (up == NULL) {
		up = xcalloc(1, sizeof(*up));
		strbuf_init(&up->sb, 0);
		*con_cls = up;
		return MHD_YES;
	}
	if (*data_size > 0) {
		strbuf_add(&up->sb, data, *data_size);
		*data_size = 0;
		return MHD_YES;
	}
	pthread_mutex_lock(&mu);
	i = hits < nscript ? hits : nscript - 1;
	if (hits < 64) {
		hit_time[hits] = util_now_mono();
		hit_wall[hits] = util_now_wall();
	}
	hits++;
	s = script[i];
	got_body_len = up->sb.len < sizeof(got_body) ? up->sb.len : 0;
	memcpy(got_body, up->sb.buf, got_body_len);
	user = MHD_basic_auth_get_username_password(c, &pass);
	if (user != NULL) {
		snprintf(got_user, sizeof(got_user), "%s", user);
		snprintf(got_pass, sizeof(got_pass), "%s", pass ? pass : "");
	}
	MHD_free(user);
	MHD_free(pass);
	pthread_mutex_unlock(&mu);
	strbuf_release(&up->sb);
	free(up);
	*con_cls = NULL;
	if (s.sleep > 0)
		util_sleep(s.sleep, NULL);
	if (s.cut)
		r = MHD_create_response_from_callback(100, 64, cut_reader, NULL,
		    NULL);
	else
		r = MHD_create_response_from_buffer(s.body_len, (void *)s.body,
		    MHD_RESPMEM_MUST_COPY);
	if (s.retry_after != NULL)
		MHD_add_response_header(r, "Retry-After", s.retry_after);
	ret = MHD_queue_response(c, s.status, r);
	MHD_destroy_response(r);
	return ret;
}

static void
server_start(void)
{
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	hits = 0;
	got_user[0] = got_pass[0] = '\0';
	daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION, 0, NULL, NULL, handler, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_END);
	ck_assert_ptr_nonnull(daemon_);
	info = MHD_get_daemon_info(daemon_, MHD_DAEMON_INFO_BIND_PORT);
	snprintf(url, sizeof(url), "http://127.0.0.1:%u/x", info->port);
}

static void
server_stop(void)
{
	MHD_stop_daemon(daemon_);
	daemon_ = NULL;
}

static void
play(int n, const struct step *steps)
{
	memcpy(script, steps, (size_t)n * sizeof(*steps));
	nscript = n;
}

static struct http_client *
client(double deadline)
{
	struct http_opts o;

	memset(&o, 0, sizeof(o));
	o.timeout = 5;
	o.deadline = deadline;
	o.max_retries = -1;
	o.backoff_base = 0.01;
	o.backoff_cap = 0.05;
	o.username = "alice";
	o.password = "s3cret:with colon";
	return http_client_new(&o);
}

static int
post(struct http_client *c, const char *body, size_t len,
    struct http_response *r, struct bq_err *err)
{
	struct http_request req;

	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = url;
	req.content_type = "application/json";
	req.body = body;
	req.body_len = len;
	return http_do(c, &req, r, err);
}

START_TEST(test_503_then_200_is_retried)
{
	struct step s[] = {
		{ 503, NULL, "busy", 4, 0, 0 },
		{ 200, NULL, "{\"ok\":1}", 8, 0, 0 },
	};
	struct http_client *c = client(10);
	struct http_response r;
	struct bq_err err = BQ_ERR_INIT;

	play(2, s);
	server_start();
	http_response_init(&r);
	ck_assert_int_eq(post(c, "{}", 2, &r, &err), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(r.attempts, 2);
	ck_assert_int_eq(hits, 2);
	ck_assert_str_eq(r.body.buf, "{\"ok\":1}");
	http_response_release(&r);
	http_client_free(c);
	server_stop();
}
END_TEST

START_TEST(test_retry_after_seconds_honoured)
{
	struct step s[] = {
		{ 429, "1", "slow down", 9, 0, 0 },
		{ 200, NULL, "ok", 2, 0, 0 },
	};
	struct http_client *c = client(10);
	struct http_response r;
	struct bq_err err = BQ_ERR_INIT;

	play(2, s);
	server_start();
	http_response_init(&r);
	ck_assert_int_eq(post(c, "{}", 2, &r, &err), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(hits, 2);
	ck_assert_double_ge(hit_time[1] - hit_time[0], 1.0);
	http_response_release(&r);
	http_client_free(c);
	server_stop();
}
END_TEST

START_TEST(test_retry_after_http_date_honoured)
{
	static char date[64];
	struct step s[] = {
		{ 503, date, "", 0, 0, 0 },
		{ 200, NULL, "ok", 2, 0, 0 },
	};
	struct http_client *c = client(10);
	struct http_response r;
	struct bq_err err = BQ_ERR_INIT;
	struct tm tm;
	time_t t = time(NULL) + 2;

	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	play(2, s);
	server_start();
	http_response_init(&r);
	ck_assert_int_eq(post(c, "{}", 2, &r, &err), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(hits, 2);
	/*
	 * The date has whole seconds, so how long the client waited depends on
	 * where in its second the first answer fell (0.991 s is right when it
	 * fell at .009 before the next second).  What Retry-After promises is
	 * that the retry comes no earlier than the date itself.
	 */
	ck_assert_double_ge(hit_wall[1], (double)t);
	http_response_release(&r);
	http_client_free(c);
	server_stop();
}
END_TEST

START_TEST(test_400_not_retried)
{
	struct step s[] = {
		{ 400, NULL, "{\"error\":\"bad\"}", 15, 0, 0 },
		{ 200, NULL, "ok", 2, 0, 0 },
	};
	struct http_client *c = client(10);
	struct http_response r;
	struct bq_err err = BQ_ERR_INIT;

	play(2, s);
	server_start();
	http_response_init(&r);
	ck_assert_int_eq(post(c, "{}", 2, &r, &err), 0);
	ck_assert_int_eq(r.status, 400);
	ck_assert_int_eq(r.attempts, 1);
	ck_assert_int_eq(hits, 1);
	ck_assert_str_eq(r.body.buf, "{\"error\":\"bad\"}");
	http_response_release(&r);
	http_client_free(c);
	server_stop();
}
END_TEST

START_TEST(test_503_until_deadline_returns_last_response)
{
	struct step s[] = { { 503, NULL, "down", 4, 0, 0 } };
	struct http_client *c = client(0.5);
	struct http_response r;
	struct bq_err err = BQ_ERR_INIT;

	play(1, s);
	server_start();
	http_response_init(&r);
	ck_assert_int_eq(post(c, "{}", 2, &r, &err), 0);
	ck_assert_int_eq(r.status, 503);
	ck_assert_int_gt(r.attempts, 2);
	ck_assert_int_eq(hits, r.attempts);
	http_response_release(&r);
	http_client_free(c);
	server_stop();
}
END_TEST

START_TEST(test_deadline_exhausted_by_timeouts_is_tempfail)
{
	struct step s[] = { { 200, NULL, "late", 4, 1.5, 0 } };
	struct http_opts o;
	struct http_client *c;
	struct http_response r;
	struct bq_err err = BQ_ERR_INIT;

	memset(&o, 0, sizeof(o));
	o.timeout = 0.2;
	o.deadline = 0.7;
	o.max_retries = -1;
	o.backoff_base = 0.01;
	c = http_client_new(&o);
	play(1, s);
	server_start();
	http_response_init(&r);
	ck_assert_int_eq(post(c, "{}", 2, &r, &err), -1);
	ck_assert_int_eq(err.kind, EXIT_TEMPFAIL);
	ck_assert_int_ge(r.attempts, 2);
	ck_assert_ptr_nonnull(strstr(err.msg, "127.0.0.1"));
	http_response_release(&r);
	http_client_free(c);
	server_stop();
}
END_TEST

START_TEST(test_cut_off_body_is_retried)
{
	struct step s[] = {
		{ 200, NULL, NULL, 0, 0, 1 },
		{ 200, NULL, "whole", 5, 0, 0 },
	};
	struct http_client *c = client(10);
	struct http_response r;
	struct bq_err err = BQ_ERR_INIT;

	play(2, s);
	server_start();
	http_response_init(&r);
	ck_assert_int_eq(post(c, "{}", 2, &r, &err), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(r.attempts, 2);
	ck_assert_str_eq(r.body.buf, "whole");
	http_response_release(&r);
	http_client_free(c);
	server_stop();
}
END_TEST

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

START_TEST(test_refused_connection_is_tempfail)
{
	struct http_client *c = client(0.3);
	struct http_response r;
	struct bq_err err = BQ_ERR_INIT;

	closed_port_url();
	http_response_init(&r);
	ck_assert_int_eq(post(c, "{}", 2, &r, &err), -1);
	ck_assert_int_eq(err.kind, EXIT_TEMPFAIL);
	ck_assert_int_ge(r.attempts, 2);
	ck_assert_ptr_null(strstr(err.msg, "pw"));
	http_response_release(&r);
	http_client_free(c);
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
	struct http_opts o;
	struct http_client *c;
	struct http_response r;
	struct bq_err err = BQ_ERR_INIT;
	struct timespec t0, t1;
	double took;

	/*
	 * Backoff waits of up to 10 s against a 1 s deadline: without the
	 * last wait cut to fit, the first wait ends the retries at once.
	 */
	memset(&o, 0, sizeof(o));
	o.deadline = 1;
	o.max_retries = -1;
	o.backoff_base = 10;
	c = http_client_new(&o);
	closed_port_url();
	warnings = 0;
	bqsync_set_log(count_warnings, NULL);
	http_response_init(&r);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(post(c, "{}", 2, &r, &err), -1);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	bqsync_set_log(NULL, NULL);
	took = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	ck_assert_int_eq(err.kind, EXIT_TEMPFAIL);
	ck_assert_int_ge(r.attempts, 2);
	ck_assert_double_ge(took, 0.9);
	ck_assert_double_le(took, 2.0);
	/* One warning for the outage, without the password. */
	ck_assert_int_eq(warnings, 1);
	ck_assert_ptr_nonnull(strstr(last_warning, "retrying for up to 1 s"));
	ck_assert_ptr_null(strstr(last_warning, "pw"));
	http_response_release(&r);
	http_client_free(c);
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
	struct step s[] = { { 200, NULL, out, sizeof(out) - 1, 0, 0 } };
	struct http_client *c = client(10);
	struct http_response r;
	struct bq_err err = BQ_ERR_INIT;
	static const char in[] = "x\0y\0\0z";

	play(1, s);
	server_start();
	http_response_init(&r);
	ck_assert_int_eq(post(c, in, sizeof(in) - 1, &r, &err), 0);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(got_user, "alice");
	ck_assert_str_eq(got_pass, "s3cret:with colon");
	ck_assert_uint_eq(got_body_len, sizeof(in) - 1);
	ck_assert_mem_eq(got_body, in, sizeof(in) - 1);
	ck_assert_uint_eq(r.body.len, sizeof(out) - 1);
	ck_assert_mem_eq(r.body.buf, out, sizeof(out) - 1);
	http_response_release(&r);
	http_client_free(c);
	server_stop();
}
END_TEST

START_TEST(test_max_retries_bounds_attempts)
{
	struct step s[] = { { 500, NULL, "", 0, 0, 0 } };
	struct http_opts o;
	struct http_client *c;
	struct http_response r;
	struct bq_err err = BQ_ERR_INIT;

	memset(&o, 0, sizeof(o));
	o.deadline = 30;
	o.max_retries = 2;
	o.backoff_base = 0.01;
	c = http_client_new(&o);
	play(1, s);
	server_start();
	http_response_init(&r);
	ck_assert_int_eq(post(c, "{}", 2, &r, &err), 0);
	ck_assert_int_eq(r.status, 500);
	ck_assert_int_eq(r.attempts, 3);
	ck_assert_int_eq(hits, 3);
	http_response_release(&r);
	http_client_free(c);
	server_stop();
}
END_TEST

static Suite *
http_suite(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_503_then_200_is_retried);
	tcase_add_test(tc, test_retry_after_seconds_honoured);
	tcase_add_test(tc, test_retry_after_http_date_honoured);
	tcase_add_test(tc, test_400_not_retried);
	tcase_add_test(tc, test_503_until_deadline_returns_last_response);
	tcase_add_test(tc, test_deadline_exhausted_by_timeouts_is_tempfail);
	tcase_add_test(tc, test_cut_off_body_is_retried);
	tcase_add_test(tc, test_refused_connection_is_tempfail);
	tcase_add_test(tc, test_basic_auth_and_nul_bodies);
	tcase_add_test(tc, test_retries_until_the_deadline);
	tcase_add_test(tc, test_redact_url);
	tcase_add_test(tc, test_max_retries_bounds_attempts);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(http_suite)
