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
 */
#ifndef BQSYNC_TESTLIB_H
#define BQSYNC_TESTLIB_H

/*
 * Returns HARPER_URL when a Harper answers there; else NULL, after the skip
 * message, or exits 1 when BQSYNC_REQUIRE_HARPER is set.
 */
char	*testlib_harper(const char *suite);

#endif
