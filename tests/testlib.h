/*
 * testlib: helpers shared by the Check suites (tests/check_*.c).
 *
 * testlib_harper() decides whether a suite's Harper tests run.  The unit
 * tier needs no Harper: with HARPER_URL unset, or not answering its
 * /health, it prints "NAME: skipped: no Harper at URL" and returns NULL so
 * the suite leaves those tests out (the e2e tier covers them against a real
 * Harper).  When BQSYNC_REQUIRE_HARPER is set (tests/run-tests.sh sets it
 * whenever it has a Harper, as under `make check`), a missing Harper is a
 * failure instead, so those tests never skip there.
 *
 * testlib_server_*() is a scripted HTTP server for the suites that test a
 * client (check_auth, check_bq, check_http); it lives in testlib_server.o,
 * the only test object that needs libmicrohttpd.
 *
 * CHECK_MAIN(fn) is every suite's main: it runs the Suite that fn() builds
 * and exits 0 when all its tests pass; CHECK_TESTS() is the builder and
 * main of a suite that is a plain list of tests.  They are macros, so
 * suites that need nothing else from here need not link testlib.o.  Set-up
 * that must run once, outside the forked tests, goes in fn() or in an
 * unchecked fixture.
 */
#ifndef BQSYNC_TESTLIB_H
#define BQSYNC_TESTLIB_H

#include <stddef.h>

/*
 * Returns HARPER_URL when a Harper answers there; else NULL, after the skip
 * message, or exits 1 when BQSYNC_REQUIRE_HARPER is set.
 */
char	*testlib_harper(const char *suite);

/*
 * Makes a new folder /tmp/SUITE.XXXXXX; its path goes in dir (n bytes).
 * testlib_rmdir() removes it.  Exits 1 if it cannot be made.
 */
void	 testlib_tmpdir(char *dir, size_t n, const char *suite);
struct config;
/* Sets cfg up (config_init) with a file checkpoint store, dir/state.json. */
void	 testlib_file_config(struct config *cfg, const char *dir);
/* Removes folder dir and everything in it; exits 1 on failure. */
void	 testlib_rmdir(const char *dir);

/*
 * A scripted HTTP server on 127.0.0.1, at a port the kernel picks
 * (libmicrohttpd, in tests/testlib_server.c: the suites that use it link
 * tests/testlib_server.o and -lmicrohttpd, and no other suite does).
 *
 * The test gives it the requests it expects, in order, each with its canned
 * answer.  It records every request it gets (method, path, query arguments,
 * headers, Basic credentials, body, and when the request was whole), for
 * the test to inspect.  A request beyond the script, or with another method
 * or path than its step expects, is answered 500 and named on stderr, and
 * testlib_server_free() then fails the test; so does a step never reached.
 */
enum testlib_drop {
	TESTLIB_ANSWER,		/* the whole answer */
	TESTLIB_CUT,		/* promise 64 bytes more, then close */
	TESTLIB_CLOSE,		/* close the connection without an answer */
};

struct testlib_step {
	const char	*method;	/* expected; NULL: any */
	const char	*path;		/* expected path prefix; NULL: any */
	unsigned int	 status;
	const char	*headers[4];	/* answer headers, "Name: value" */
	const char	*body;		/* NULL: none */
	size_t		 len;		/* of body; 0: strlen(body) */
	double		 delay;		/* seconds to stall before answering */
	enum testlib_drop drop;
	int		 again;		/* last step: answers all the rest */
};

struct testlib_request {
	char	*method;
	char	*path;		/* without the query */
	char	*body;		/* len bytes, then a NUL */
	size_t	 len;
	char	*user;		/* Basic credentials, or NULL */
	char	*pass;
	double	 mono;		/* when it was whole: util_now_mono() */
	double	 wall;		/* the same instant: util_now_wall() */
	char	**headers;	/* name, value, name, value, ..., NULL */
	char	**args;		/* query arguments, decoded, the same way */
};

struct testlib_server;

/*
 * Starts a server that plays n steps; the server copies the array, not the
 * strings it points to, which must outlive it.  Fails the test if it cannot
 * start.
 */
struct testlib_server *testlib_server_start(const struct testlib_step *steps,
	    size_t n);
/* "http://127.0.0.1:PORT", owned by the server. */
const char	*testlib_server_url(const struct testlib_server *);
/* "127.0.0.1:PORT", owned by the server. */
const char	*testlib_server_host(const struct testlib_server *);
/* How many requests have come so far. */
size_t		 testlib_server_count(struct testlib_server *);
/* The i-th request (from 0), owned by the server; fails the test if none. */
const struct testlib_request *testlib_server_request(struct testlib_server *,
	    size_t i);
/* A header (any case) or query argument of a request, or NULL. */
const char	*testlib_request_header(const struct testlib_request *,
	    const char *name);
const char	*testlib_request_arg(const struct testlib_request *,
	    const char *name);
/*
 * Stops the server and frees it; then fails the test if a request was
 * unexpected or a step never came.  NULL is fine.
 */
void		 testlib_server_free(struct testlib_server *);

#define TESTLIB_NSTEPS(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * CHECK_TESTS(name, timeout, test...) is the whole suite and main() of a
 * suite that is one TCase, "core", of the tests in that order: a list,
 * not a builder function.  A timeout of 0 keeps Check's default.
 * CHECK_TESTS_FIXTURE(name, timeout, setup, teardown, test...) is the same
 * with a checked fixture run around each test.  Suites with loop tests or
 * more TCases build their Suite themselves and use CHECK_MAIN().
 */
#define CHECK_TESTS(name, timeout, ...)					\
	CHECK_TESTS_FIXTURE(name, timeout, NULL, NULL, __VA_ARGS__)

#define CHECK_TESTS_FIXTURE(name, timeout, setup, teardown, ...)	\
static Suite *								\
check_tests_suite_(void)						\
{									\
	const TTest *tests_[] = { __VA_ARGS__, NULL };			\
	Suite *s_ = suite_create(name);					\
	TCase *tc_ = tcase_create("core");				\
	size_t i_;							\
									\
	if ((timeout) > 0)						\
		tcase_set_timeout(tc_, (timeout));			\
	tcase_add_checked_fixture(tc_, (setup), (teardown));		\
	for (i_ = 0; tests_[i_] != NULL; i_++)				\
		tcase_add_test(tc_, tests_[i_]);			\
	suite_add_tcase(s_, tc_);					\
	return s_;							\
}									\
CHECK_MAIN(check_tests_suite_)

#define CHECK_MAIN(suite_fn)						\
int									\
main(void)								\
{									\
	SRunner *sr_ = srunner_create(suite_fn());			\
	int failed_;							\
									\
	srunner_run_all(sr_, CK_NORMAL);				\
	failed_ = srunner_ntests_failed(sr_);				\
	srunner_free(sr_);						\
	return failed_ ? EXIT_FAILURE : EXIT_SUCCESS;			\
}

#endif
