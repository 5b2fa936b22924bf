/*
 * check_pull: phases, control lines, the cursor rules of a pull (last
 * group, stop after a page) and write failures, over saved answers.
 */
#include <check.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pull.h"
#include "ts.h"
#include "util.h"
#include "testlib.h"

START_TEST(test_phase)
{
	struct config_sync s;
	double poll = 0;
	int64_t now = ts_now();

	memset(&s, 0, sizeof(s));
	s.initial_batch = 10000;
	s.catchup_batch = 1000;
	s.steady_batch = 500;
	s.initial_poll = 1;
	s.catchup_poll = 5;
	s.steady_poll = 30;
	s.catchup_threshold = 3600;
	s.steady_threshold = 300;
	ck_assert_int_eq(pull_phase(&s, now - 7200LL * 1000000, &poll), 10000);
	ck_assert(poll == 1);
	ck_assert_int_eq(pull_phase(&s, now - 600LL * 1000000, &poll), 1000);
	ck_assert(poll == 5);
	ck_assert_int_eq(pull_phase(&s, now - 10LL * 1000000, &poll), 500);
	ck_assert(poll == 30);
	ck_assert_int_eq(pull_phase(&s, TS_MIN_MICROS, &poll), 10000);
}
END_TEST

static const char answer[] = "{\"schema\":{\"fields\":["
    "{\"name\":\"ts\",\"type\":\"TIMESTAMP\"},{\"name\":\"n\",\"type\":\"INT64\"}]},"
    "\"rows\":[{\"f\":[{\"v\":\"1000000\"},{\"v\":\"1\"}]},"
    "{\"f\":[{\"v\":\"2000000\"},{\"v\":\"2\"}]},"
    "{\"f\":[{\"v\":\"2000000\"},{\"v\":\"3\"}]}]}";

static char *
run(struct pull *p, int64_t *last, int64_t *prev, int *cut, long *n)
{
	struct bq_err err = BQ_ERR_INIT;
	struct bq_query *q = bq_query_from_text(answer, strlen(answer), &err);
	char *buf = NULL;
	size_t len = 0;

	ck_assert_ptr_nonnull(q);
	p->out = open_memstream(&buf, &len);
	*n = pull_rows(p, q, last, prev, cut, &err);
	ck_assert_msg(*n >= 0, "%s", err.msg);
	ck_assert_int_eq(pull_marker(p, "end", INT64_MIN), 0);
	fclose(p->out);
	bq_query_free(q);
	return buf;
}

START_TEST(test_rows_and_markers)
{
	struct pull p;
	int64_t last, prev;
	volatile sig_atomic_t stop = 0;
	long n;
	int cut;
	char *s;

	memset(&p, 0, sizeof(p));
	p.ts_column = "ts";
	p.markers = 1;
	p.stop = &stop;
	s = run(&p, &last, &prev, &cut, &n);
	ck_assert_int_eq(n, 3);
	ck_assert(last == 2000000 && prev == 1000000);
	ck_assert_int_eq(cut, 0);
	ck_assert_ptr_nonnull(strstr(s, "\"ts\":\"1970-01-01T00:00:02.000000Z\","
	    "\"n\":3}\n{\"@bqsync\":\"end\"}\n"));
	ck_assert_int_eq(strncmp(s, "{\"id\":\"", 7), 0);
	ck_assert_int_eq(strncmp(s + 7 + 32, "\",\"ts\":\"1970-01-01T00:00:01"
	    ".000000Z\",\"n\":1}\n", 44), 0);
	free(s);
	/* a stop request: the page is finished, the pull is marked cut */
	stop = 1;
	s = run(&p, &last, &prev, &cut, &n);
	ck_assert_int_eq(n, 3);
	ck_assert_int_eq(cut, 1);
	free(s);
	/* no markers */
	p.markers = 0;
	s = run(&p, &last, &prev, &cut, &n);
	ck_assert_ptr_null(strstr(s, "@bqsync"));
	free(s);
}
END_TEST

START_TEST(test_write_failure)
{
	struct bq_err err = BQ_ERR_INIT;
	struct bq_query *q = bq_query_from_text(answer, strlen(answer), &err);
	struct pull p;
	int64_t last, prev;
	int cut;

	memset(&p, 0, sizeof(p));
	p.out = fopen("/dev/full", "w");
	ck_assert_ptr_nonnull(p.out);
	ck_assert_int_eq(pull_rows(&p, q, &last, &prev, &cut, &err), -1);
	ck_assert_int_eq(p.write_errno, ENOSPC);
	fclose(p.out);
	bq_query_free(q);
}
END_TEST

/* --from-response: the rows of a saved answer, or the file's error. */
START_TEST(test_from_response)
{
	struct pull p;
	struct bq_err err = BQ_ERR_INIT;
	volatile sig_atomic_t stop = 0;
	char path[] = "/tmp/check_pull.XXXXXX", *buf = NULL;
	size_t len = 0;
	int fd = mkstemp(path);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, answer, strlen(answer)),
	    (ssize_t)strlen(answer));
	close(fd);
	memset(&p, 0, sizeof(p));
	p.ts_column = "ts";
	p.stop = &stop;
	p.out = open_memstream(&buf, &len);
	ck_assert_int_eq(pull_from_response(&p, path, &err), 0);
	fclose(p.out);
	ck_assert_ptr_null(p.ts_column);	/* rows only: no cursor */
	ck_assert_ptr_nonnull(strstr(buf, "\"n\":3}\n"));
	free(buf);
	unlink(path);
	ck_assert_int_eq(pull_from_response(&p, path, &err), -1);
	ck_assert_int_eq(err.kind, EXIT_IOERR);
	ck_assert_ptr_nonnull(strstr(err.msg, path));
}
END_TEST

/* The configured columns, or a --columns list, and the natural key. */
START_TEST(test_build_sql)
{
	struct config cfg;
	struct config_table *t;
	struct strbuf sql = STRBUF_INIT, psql = STRBUF_INIT;
	struct strbuf want = STRBUF_INIT;
	struct bq_err err = BQ_ERR_INIT;
	char *cols[] = { (char *)"ts", (char *)"mmsi" };

	config_init(&cfg);
	t = config_table_add(&cfg, "vp");
	config_set_str(&t->dataset, "ds");
	ck_assert_int_eq(pull_build_sql(&sql, &psql, &cfg, t, "p", "ts,mmsi",
	    0, &err), 0);
	ck_assert_int_eq(bq_pull_sql(&want, "p", "ds", "vp", cols, 2,
	    t->timestamp_column, NULL, 0, cfg.partition, &err), 0);
	ck_assert_str_eq(sql.buf, want.buf);
	ck_assert_ptr_nonnull(strstr(psql.buf, "`p.ds.vp`"));
	/* a natural key, no --columns: the table's columns (all) */
	strbuf_reset(&sql);
	strbuf_reset(&psql);
	strbuf_reset(&want);
	config_set_str(&t->id_column, "mmsi");
	ck_assert_int_eq(pull_build_sql(&sql, &psql, &cfg, t, "p", NULL, 1,
	    &err), 0);
	ck_assert_int_eq(bq_pull_sql(&want, "p", "ds", "vp", NULL, 0,
	    t->timestamp_column, &t->id_column, 1, cfg.partition, &err), 0);
	ck_assert_str_eq(sql.buf, want.buf);
	strbuf_release(&want);
	strbuf_release(&psql);
	strbuf_release(&sql);
	config_release(&cfg);
}
END_TEST

/* The table's id columns, timestamp column and lookback; cfg's caps. */
START_TEST(test_configure)
{
	struct config cfg;
	struct config_table *t;
	struct pull p = { .markers = 1, .lookback = -1, .dry_run = 1 };

	config_init(&cfg);
	cfg.max_bytes_billed = 1000;
	t = config_table_add(&cfg, "vp");
	config_set_str(&t->id_column, "mmsi");
	t->sync.lookback = 30;
	pull_configure(&p, &cfg, t);
	/* idColumn is the id as is; it is also the key */
	ck_assert_str_eq(p.id_column, "mmsi");
	ck_assert_uint_eq(p.nid_columns, 1);
	ck_assert_str_eq(p.id_columns[0], "mmsi");
	ck_assert_str_eq(p.ts_column, t->timestamp_column);
	ck_assert(p.lookback == 30);
	ck_assert_int_eq(p.markers, 0);	/* a dry run writes none */
	ck_assert_int_eq(p.max_billed, 1000);
	/* --lookback stays; no table: no id columns */
	memset(&p, 0, sizeof(p));
	p.lookback = 5;
	p.markers = 1;
	pull_configure(&p, &cfg, NULL);
	ck_assert(p.lookback == 5);
	ck_assert_ptr_null(p.id_columns);
	ck_assert_ptr_null(p.id_column);
	ck_assert_int_eq(p.markers, 1);
	config_release(&cfg);
}
END_TEST

CHECK_TESTS("pull", 0,
    test_phase,
    test_rows_and_markers,
    test_write_failure,
    test_from_response,
    test_build_sql,
    test_configure)
