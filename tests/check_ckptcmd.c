/*
 * check_ckptcmd: bq-checkpoint's verbs over a file store: set and get,
 * reset, status in its three forms, commit and error from a pipe (with
 * the worker's default name), and the --format values each verb takes.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ckptcmd.h"
#include "ts.h"
#include "util.h"
#include "testlib.h"
#include "banned.h"

static char dir[64];
static struct config cfg;
static struct config_table *tbl;
static struct ckptcmd c;

static void
setup(void)
{
	testlib_tmpdir(dir, sizeof(dir), "check_ckptcmd");
	testlib_file_config(&cfg, dir);
	tbl = config_table_add(&cfg, "t1");
	memset(&c, 0, sizeof(c));
	c.cfg = &cfg;
	c.tbl = tbl;
	c.wn = 1;
	c.in = -1;
}

static void
teardown(void)
{
	ckptcmd_release(&c);
	config_release(&cfg);
	testlib_rmdir(dir);
}

/* Runs verb fn with text on its input; its output in out. */
static int
run(int (*fn)(struct ckptcmd *, struct strbuf *, struct bq_err *),
    const char *text, struct strbuf *out, struct bq_err *err)
{
	int fd[2], rc;

	strbuf_reset(out);
	ck_assert_int_eq(pipe(fd), 0);
	ck_assert_int_eq(write(fd[1], text, strlen(text)),
	    (ssize_t)strlen(text));
	close(fd[1]);
	c.in = fd[0];
	rc = fn(&c, out, err);
	close(fd[0]);
	c.in = -1;
	return rc;
}

START_TEST(test_set_get_reset)
{
	struct strbuf out = STRBUF_INIT;
	struct bq_err err = BQ_ERR_INIT;

	ck_assert_int_eq(ts_parse("2025-01-01T00:00:00Z", &c.cursor), 0);
	ck_assert_int_eq(run(ckptcmd_set, "", &out, &err), 0);
	ck_assert_uint_eq(out.len, 0);
	c.fmt = CKPT_FMT_CURSOR;
	ck_assert_int_eq(run(ckptcmd_get, "", &out, &err), 0);
	ck_assert_str_eq(out.buf, "2025-01-01T00:00:00.000000Z\n");
	c.fmt = CKPT_FMT_PHASE;
	ck_assert_int_eq(run(ckptcmd_get, "", &out, &err), 0);
	ck_assert_str_eq(out.buf, "initial\n");
	/* reset: no checkpoint, get prints an empty line */
	ck_assert_int_eq(run(ckptcmd_reset, "", &out, &err), 0);
	c.fmt = CKPT_FMT_CURSOR;
	ck_assert_int_eq(run(ckptcmd_get, "", &out, &err), 0);
	ck_assert_str_eq(out.buf, "\n");
	strbuf_release(&out);
}
END_TEST

START_TEST(test_commit_error_status)
{
	struct strbuf out = STRBUF_INIT;
	struct bq_err err = BQ_ERR_INIT;
	char host[256], *name, *line;

	ck_assert_int_eq(run(ckptcmd_commit, "{\"table\":\"t1\","
	    "\"worker\":\"0/1\",\"rows\":3,\"total\":3,"
	    "\"cursor\":\"1970-01-01T00:00:02Z\"}\n", &out, &err), 0);
	c.tool = "harper-load";
	c.status = 69;
	ck_assert_int_eq(run(ckptcmd_error, "no Harper\nat all\n", &out,
	    &err), 0);
	c.form = CKPTCMD_JSON;
	ck_assert_int_eq(run(ckptcmd_status, "", &out, &err), 0);
	ck_assert_ptr_nonnull(strstr(out.buf, "\"recordsIngested\":3,"));
	ck_assert_ptr_nonnull(strstr(out.buf, "\"lastError\":\"harper-load: "
	    "exit 69: no Harper at all\""));
	/* no --name: this host's, thread wi */
	ck_assert_int_eq(gethostname(host, sizeof(host)), 0);
	host[sizeof(host) - 1] = '\0';
	name = xstrfmt("\"worker\":\"%s-0\"", host);
	ck_assert_ptr_nonnull(strstr(out.buf, name));
	free(name);
	c.form = CKPTCMD_PROMETHEUS;
	ck_assert_int_eq(run(ckptcmd_status, "", &out, &err), 0);
	line = strstr(out.buf, "bqsync_rows_ingested_total{table=\"t1\"");
	ck_assert_ptr_nonnull(line);
	c.form = CKPTCMD_TEXT;
	ck_assert_int_eq(run(ckptcmd_status, "", &out, &err), 0);
	ck_assert_int_eq(strncmp(out.buf, "TABLE ", 6), 0);
	/* only another table: nothing to show */
	c.only = "t2";
	c.form = CKPTCMD_JSON;
	ck_assert_int_eq(run(ckptcmd_status, "", &out, &err), 0);
	ck_assert_uint_eq(out.len, 0);
	strbuf_release(&out);
}
END_TEST

/* A bad ack fails the commit with its position. */
START_TEST(test_commit_bad)
{
	struct strbuf out = STRBUF_INIT;
	struct bq_err err = BQ_ERR_INIT;

	ck_assert_int_eq(run(ckptcmd_commit, "{\"table\":\"t9\","
	    "\"worker\":\"0/1\",\"rows\":1,\"total\":1,\"cursor\":null}\n",
	    &out, &err), -1);
	ck_assert_int_eq(err.kind, EXIT_DATA);
	ck_assert_str_eq(err.msg, "<stdin>:1: ack for table 't9', not 't1'");
	strbuf_release(&out);
}
END_TEST

START_TEST(test_formats)
{
	enum ckptcmd_form form;
	enum ckpt_format fmt;

	ck_assert_int_eq(ckptcmd_form_parse("prometheus", &form), 0);
	ck_assert_int_eq(form, CKPTCMD_PROMETHEUS);
	ck_assert_int_eq(ckptcmd_form_parse("json", &form), 0);
	ck_assert_int_eq(form, CKPTCMD_JSON);
	ck_assert_int_eq(ckptcmd_form_parse("sh", &form), -1);
	ck_assert_int_eq(ckptcmd_format_parse("sh", &fmt), 0);
	ck_assert_int_eq(fmt, CKPT_FMT_SH);
	ck_assert_int_eq(ckptcmd_format_parse("text", &fmt), -1);
}
END_TEST

CHECK_TESTS_FIXTURE("ckptcmd", 0, setup, teardown,
    test_set_get_reset,
    test_commit_error_status,
    test_commit_bad,
    test_formats)
