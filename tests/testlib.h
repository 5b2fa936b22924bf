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
 * CHECK_MAIN(fn) is every suite's main: it runs the Suite that fn() builds
 * and exits 0 when all its tests pass.  It is a macro, so suites that need
 * nothing else from here need not link testlib.o.  Set-up that must run
 * once, outside the forked tests, goes in fn() or in an unchecked fixture.
 */
#ifndef BQSYNC_TESTLIB_H
#define BQSYNC_TESTLIB_H

/*
 * Returns HARPER_URL when a Harper answers there; else NULL, after the skip
 * message, or exits 1 when BQSYNC_REQUIRE_HARPER is set.
 */
char	*testlib_harper(const char *suite);

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
