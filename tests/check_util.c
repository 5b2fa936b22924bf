#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <cjson/cJSON.h>

#include "log.h"
#include "util.h"
#include "testlib.h"
#include "memscan.h"
#include "banned.h"

START_TEST(test_strbuf_basics)
{
	struct strbuf sb = STRBUF_INIT;
	char *s;
	size_t len;

	/* STRBUF_INIT works without strbuf_init(). */
	strbuf_adds(&sb, "abc");
	strbuf_addch(&sb, 'd');
	strbuf_add(&sb, "ef\0gh", 5);
	ck_assert_uint_eq(sb.len, 9);
	ck_assert_int_eq(memcmp(sb.buf, "abcdef\0gh", 10), 0);
	ck_assert_int_eq(sb.buf[sb.len], '\0');
	strbuf_reset(&sb);
	ck_assert_uint_eq(sb.len, 0);
	ck_assert_str_eq(sb.buf, "");
	strbuf_addf(&sb, "%d-%s", 42, "x");
	ck_assert_str_eq(sb.buf, "42-x");
	s = strbuf_detach(&sb, &len);
	ck_assert_str_eq(s, "42-x");
	ck_assert_uint_eq(len, 4);
	ck_assert_ptr_eq(sb.buf, strbuf_slopbuf);
	ck_assert_str_eq(sb.buf, "");
	ck_assert_uint_eq(sb.len, 0);
	ck_assert_uint_eq(sb.alloc, 0);
	free(s);

	/* Detaching an untouched strbuf gives "", never NULL. */
	s = strbuf_detach(&sb, NULL);
	ck_assert_str_eq(s, "");
	free(s);
	strbuf_release(&sb);
	strbuf_release(&sb);	/* twice is fine */
}
END_TEST

/*
 * STRBUF_INIT points at the shared slop buffer: buf is "" (never NULL) and
 * nothing is allocated until the first addition; release, reset and detach
 * of an unused strbuf neither free nor write into it.
 */
START_TEST(test_strbuf_slopbuf)
{
	struct strbuf sb = STRBUF_INIT, zero;
	char *s;
	size_t len = 99;

	ck_assert_ptr_eq(sb.buf, strbuf_slopbuf);
	ck_assert_str_eq(sb.buf, "");
	ck_assert_uint_eq(sb.len, 0);
	ck_assert_uint_eq(sb.alloc, 0);

	strbuf_reset(&sb);
	ck_assert_ptr_eq(sb.buf, strbuf_slopbuf);
	ck_assert_uint_eq(sb.alloc, 0);
	strbuf_release(&sb);		/* frees nothing: free(slop) would abort */
	ck_assert_ptr_eq(sb.buf, strbuf_slopbuf);
	ck_assert_uint_eq(sb.alloc, 0);

	/* Detach hands out a fresh "" the caller may free and write. */
	s = strbuf_detach(&sb, &len);
	ck_assert_ptr_ne(s, strbuf_slopbuf);
	ck_assert_str_eq(s, "");
	ck_assert_uint_eq(len, 0);
	s[0] = 'x';
	free(s);
	ck_assert_ptr_eq(sb.buf, strbuf_slopbuf);
	ck_assert_int_eq(strbuf_slopbuf[0], '\0');

	/* Growth from the slop buffer allocates, never reallocates it. */
	strbuf_grow(&sb, 10);
	ck_assert_ptr_ne(sb.buf, strbuf_slopbuf);
	ck_assert_uint_ge(sb.alloc, 11);
	ck_assert_str_eq(sb.buf, "");
	strbuf_adds(&sb, "hello");
	ck_assert_str_eq(sb.buf, "hello");
	strbuf_release(&sb);
	ck_assert_ptr_eq(sb.buf, strbuf_slopbuf);
	strbuf_addch(&sb, 'z');
	ck_assert_str_eq(sb.buf, "z");
	strbuf_release(&sb);

	/* A zeroed strbuf (calloc'd struct) is "nothing allocated" too. */
	memset(&zero, 0, sizeof(zero));
	strbuf_reset(&zero);
	ck_assert_str_eq(zero.buf, "");
	strbuf_release(&zero);
	memset(&zero, 0, sizeof(zero));
	strbuf_addf(&zero, "%d", 7);
	ck_assert_str_eq(zero.buf, "7");
	strbuf_release(&zero);
	ck_assert_int_eq(strbuf_slopbuf[0], '\0');
}
END_TEST

START_TEST(test_strbuf_growth)
{
	struct strbuf sb;
	int i;

	strbuf_init(&sb, 1);
	for (i = 0; i < 100000; i++)
		strbuf_addch(&sb, 'a' + i % 26);
	ck_assert_uint_eq(sb.len, 100000);
	ck_assert_uint_eq(strlen(sb.buf), 100000);
	ck_assert_int_eq(sb.buf[26], 'a');
	ck_assert(sb.alloc > sb.len);
	strbuf_release(&sb);

	/* A long formatted string takes the vsnprintf retry path. */
	strbuf_adds(&sb, "x");
	strbuf_addf(&sb, "%5000d|", 7);
	ck_assert_uint_eq(sb.len, 5002);
	ck_assert_int_eq(sb.buf[5000], '7');
	ck_assert_int_eq(sb.buf[5001], '|');
	strbuf_release(&sb);
}
END_TEST

static char *
json_str(const char *s, size_t len)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_add_json_string(&sb, s, len);
	return strbuf_detach(&sb, NULL);
}

START_TEST(test_json_string)
{
	static const struct {
		const char	*in;
		size_t		 len;
		const char	*out;
	} cases[] = {
		{ "", 0, "\"\"" },
		{ "plain", 5, "\"plain\"" },
		{ "a\"b\\c", 5, "\"a\\\"b\\\\c\"" },
		{ "\n\r\t\b\f", 5, "\"\\n\\r\\t\\b\\f\"" },
		{ "\x01\x1f", 2, "\"\\u0001\\u001f\"" },
		{ "a\0b", 3, "\"a\\u0000b\"" },
		{ "\x7f/", 2, "\"\x7f/\"" },
		{ "\xc3\xa9\xf0\x9f\x9a\xa2", 6, "\"\xc3\xa9\xf0\x9f\x9a\xa2\"" },
	};
	size_t i;
	char *got;
	cJSON *v;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		got = json_str(cases[i].in, cases[i].len);
		ck_assert_msg(strcmp(got, cases[i].out) == 0, "case %zu: %s",
		    i, got);
		/* And a JSON parser reads back the original bytes. */
		v = cJSON_Parse(got);
		ck_assert_ptr_nonnull(v);
		ck_assert(cJSON_IsString(v));
		if (memchr(cases[i].in, '\0', cases[i].len) == NULL)
			ck_assert_str_eq(v->valuestring, cases[i].in);
		cJSON_Delete(v);
		free(got);
	}
}
END_TEST

START_TEST(test_json_string_appends)
{
	struct strbuf sb = STRBUF_INIT;

	strbuf_adds(&sb, "{\"k\":");
	strbuf_add_json_string(&sb, "v\"", 2);
	strbuf_addch(&sb, '}');
	ck_assert_str_eq(sb.buf, "{\"k\":\"v\\\"\"}");
	strbuf_release(&sb);
}
END_TEST

START_TEST(test_json_str)
{
	cJSON *o = cJSON_Parse("{\"s\":\"x\",\"n\":1,\"z\":null,"
	    "\"e\":\"\",\"S\":\"upper\"}");

	ck_assert_ptr_nonnull(o);
	ck_assert_str_eq(util_json_str(o, "s"), "x");
	ck_assert_str_eq(util_json_str(o, "e"), "");
	ck_assert_str_eq(util_json_str(o, "S"), "upper");
	ck_assert_ptr_null(util_json_str(o, "n"));
	ck_assert_ptr_null(util_json_str(o, "z"));
	ck_assert_ptr_null(util_json_str(o, "missing"));
	ck_assert_ptr_null(util_json_str(NULL, "s"));
	cJSON_Delete(o);
}
END_TEST

START_TEST(test_xstrfmt)
{
	char *s = xstrfmt("%s:%lu: %s", "<stdin>", 42UL, "invalid JSON");
	char *d;

	ck_assert_str_eq(s, "<stdin>:42: invalid JSON");
	free(s);
	s = xstrfmt("%s", "");
	ck_assert_str_eq(s, "");
	free(s);
	d = xstrndup("abcdef", 3);
	ck_assert_str_eq(d, "abc");
	free(d);
	d = xstrdup("q");
	ck_assert_str_eq(d, "q");
	free(d);
}
END_TEST

START_TEST(test_bq_err)
{
	struct bq_err err = BQ_ERR_INIT;
	char longs[400];

	ck_assert_int_eq(exit_for(&err), EXIT_FAIL);
	ck_assert_int_eq(exit_for(NULL), EXIT_FAIL);
	ck_assert_int_eq(bq_err_set(&err, EXIT_DATA, "%s:%d: invalid JSON",
	    "f", 3), -1);
	ck_assert_int_eq(err.kind, EXIT_DATA);
	ck_assert_str_eq(err.msg, "f:3: invalid JSON");
	ck_assert_int_eq(exit_for(&err), EXIT_DATA);
	ck_assert_int_eq(bq_err_prefix(&err, "harper-load %s", "x"), -1);
	ck_assert_str_eq(err.msg, "harper-load x: f:3: invalid JSON");
	ck_assert_int_eq(err.kind, EXIT_DATA);

	/* kind 0 means "other failure". */
	bq_err_set(&err, 0, "boom");
	ck_assert_int_eq(err.kind, EXIT_FAIL);
	bq_err_clear(&err);
	ck_assert_int_eq(err.kind, 0);
	bq_err_prefix(&err, "p");
	ck_assert_int_eq(err.kind, EXIT_FAIL);

	/* Long messages are truncated, never overflowed. */
	memset(longs, 'a', sizeof(longs) - 1);
	longs[sizeof(longs) - 1] = '\0';
	bq_err_set(&err, EXIT_CONFIG, "%s", longs);
	ck_assert_uint_eq(strlen(err.msg), sizeof(err.msg) - 1);
	bq_err_prefix(&err, "%s", longs);
	ck_assert_uint_lt(strlen(err.msg), sizeof(err.msg));
	ck_assert_int_eq(exit_for(&err), EXIT_CONFIG);

	/* NULL err is allowed and still returns -1. */
	ck_assert_int_eq(bq_err_set(NULL, EXIT_DATA, "x"), -1);
	ck_assert_int_eq(bq_err_prefix(NULL, "x"), -1);
}
END_TEST

START_TEST(test_exit_codes)
{
	/* The documented sysexits subset. */
	ck_assert_int_eq(EXIT_OK, 0);
	ck_assert_int_eq(EXIT_FAIL, 1);
	ck_assert_int_eq(EXIT_USAGE, 64);
	ck_assert_int_eq(EXIT_DATA, 65);
	ck_assert_int_eq(EXIT_UNAVAILABLE, 69);
	ck_assert_int_eq(EXIT_IOERR, 74);
	ck_assert_int_eq(EXIT_TEMPFAIL, 75);
	ck_assert_int_eq(EXIT_NOPERM, 77);
	ck_assert_int_eq(EXIT_CONFIG, 78);
}
END_TEST

static char logged[512];
static enum log_level logged_level;

static void
capture(enum log_level lvl, const char *msg, void *arg)
{
	(void)arg;
	logged_level = lvl;
	snprintf(logged, sizeof(logged), "%s", msg);
}

START_TEST(test_log_callback)
{
	bqsync_set_log(capture, NULL);
	bqsync_set_verbosity(0);
	logged[0] = '\0';
	bqsync_log(BQ_LOG_WARN, "table '%s' is %d", "T", 3);
	ck_assert_str_eq(logged, "table 'T' is 3");
	ck_assert_int_eq(logged_level, BQ_LOG_WARN);

	/* Debug only with -v; -q keeps errors only. */
	logged[0] = '\0';
	bqsync_log(BQ_LOG_DEBUG, "dbg");
	ck_assert_str_eq(logged, "");
	bqsync_set_verbosity(1);
	bqsync_log(BQ_LOG_DEBUG, "dbg");
	ck_assert_str_eq(logged, "dbg");
	bqsync_set_verbosity(-1);
	logged[0] = '\0';
	bqsync_log(BQ_LOG_INFO, "info");
	bqsync_log(BQ_LOG_WARN, "warn");
	ck_assert_str_eq(logged, "");
	bqsync_log(BQ_LOG_ERROR, "err");
	ck_assert_str_eq(logged, "err");
	ck_assert_int_eq(logged_level, BQ_LOG_ERROR);
	bqsync_set_verbosity(0);
	bqsync_set_log(NULL, NULL);
	bqsync_set_progname("check_util");
	ck_assert_str_eq(bqsync_progname(), "check_util");
}
END_TEST

START_TEST(test_read_file)
{
	char path[] = "/tmp/check_util.XXXXXX";
	struct strbuf sb = STRBUF_INIT;
	char big[100000];
	int fd;

	memset(big, 'z', sizeof(big));
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, big, sizeof(big)), (ssize_t)sizeof(big));
	close(fd);
	ck_assert_int_eq(util_read_file(path, &sb), 0);
	ck_assert_uint_eq(sb.len, sizeof(big));
	ck_assert_int_eq(sb.buf[sb.len], '\0');
	ck_assert_int_eq(memcmp(sb.buf, big, sizeof(big)), 0);
	unlink(path);
	errno = 0;
	ck_assert_int_eq(util_read_file(path, &sb), -1);
	ck_assert_int_eq(errno, ENOENT);
	strbuf_release(&sb);
}
END_TEST

START_TEST(test_wipe)
{
	char buf[8] = "secret!";
	char *s = xstrdup("pw");
	size_t i;

	util_wipe(buf, sizeof(buf));
	for (i = 0; i < sizeof(buf); i++)
		ck_assert_int_eq(buf[i], 0);
	util_free_secret(s);
	util_free_secret(NULL);
}
END_TEST

/*
 * A secret read with util_read_secret() and released with
 * strbuf_release_secret() leaves no copy in memory: not on the stack (the
 * old 64 KiB bounce buffer), not in a buffer left behind while growing
 * (read from a pipe, 8 KiB at first, 300 KiB in all).
 */
START_TEST(test_read_secret_wiped)
{
	char path[] = "/tmp/check_util.XXXXXX", fdpath[64];
	struct strbuf sb = STRBUF_INIT;
	unsigned char x[40];
	char pad[1000];
	int fd, p[2], i, status;
	pid_t pid;

	memscan_random(x, sizeof(x));
	ck_assert_int_eq(memscan_find(x, sizeof(x)), 0);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "key: ", 5), 5);
	memscan_write(fd, x, sizeof(x));
	close(fd);
	ck_assert_int_eq(util_read_secret(path, &sb), 0);
	unlink(path);
	ck_assert_uint_eq(sb.len, 5 + sizeof(x));
	ck_assert_int_eq(memscan_find(x, sizeof(x)), 1);	/* in sb */
	strbuf_release_secret(&sb);
	ck_assert_int_eq(memscan_find(x, sizeof(x)), 0);

	ck_assert_int_eq(pipe(p), 0);
	if ((pid = fork()) == 0) {
		close(p[0]);
		memset(pad, ' ', sizeof(pad));
		ck_assert_int_eq(write(p[1], pad, 100), 100);
		memscan_write(p[1], x, sizeof(x));
		for (i = 0; i < 300; i++)
			ck_assert_int_eq(write(p[1], pad, sizeof(pad)),
			    (ssize_t)sizeof(pad));
		_exit(0);
	}
	close(p[1]);
	snprintf(fdpath, sizeof(fdpath), "/proc/self/fd/%d", p[0]);
	ck_assert_int_eq(util_read_secret(fdpath, &sb), 0);
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_uint_eq(sb.len, 100 + sizeof(x) + 300 * sizeof(pad));
	strbuf_release_secret(&sb);
	ck_assert_int_eq(memscan_find(x, sizeof(x)), 0);

	/* The scan does find what is freed unwiped. */
	strbuf_add(&sb, "0123456789abcdef0123456789abcdef", 32);
	for (i = 0; i < (int)sizeof(x); i++)
		strbuf_addch(&sb, x[i] ^ MEMSCAN_KEY);
	strbuf_release(&sb);
	ck_assert_int_eq(memscan_find(x, sizeof(x)), 1);
}
END_TEST

/* A process that holds secrets dumps no core and cannot be attached. */
START_TEST(test_no_core_dumps)
{
	struct rlimit rl;
	pid_t pid;
	int status;

	if ((pid = fork()) == 0) {
		if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 1)
			_exit(2);
		util_no_core_dumps();
		if (prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) != 0)
			_exit(3);
		if (getrlimit(RLIMIT_CORE, &rl) == -1 || rl.rlim_cur != 0 ||
		    rl.rlim_max != 0)
			_exit(4);
		abort();	/* would dump a core */
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFSIGNALED(status), "status %d", status);
	ck_assert_int_eq(WTERMSIG(status), SIGABRT);
	ck_assert(!WCOREDUMP(status));
}
END_TEST

START_TEST(test_clocks)
{
	double a = util_now_mono(), b = util_now_mono();

	ck_assert(b >= a);
	/* Wall clock is after 2020-01-01. */
	ck_assert(util_now_wall() > 1577836800.0);
	util_sleep(0, NULL);
	util_sleep(-1, NULL);
}
END_TEST

START_TEST(test_xalloc)
{
	char *p = xcalloc(4, 4);
	size_t i;

	for (i = 0; i < 16; i++)
		ck_assert_int_eq(p[i], 0);
	p = xrealloc(p, 1 << 20);
	p[(1 << 20) - 1] = 1;
	free(p);
	/* Zero-size requests still return a pointer. */
	p = xmalloc(0);
	ck_assert_ptr_nonnull(p);
	free(p);
}
END_TEST

/* 60 s: the memory scans under the sanitizers. */
CHECK_TESTS("util", 60,
    test_strbuf_basics,
    test_strbuf_slopbuf,
    test_strbuf_growth,
    test_json_string,
    test_json_string_appends,
    test_json_str,
    test_xstrfmt,
    test_bq_err,
    test_exit_codes,
    test_log_callback,
    test_read_file,
    test_wipe,
    test_read_secret_wiped,
    test_no_core_dumps,
    test_clocks,
    test_xalloc)
