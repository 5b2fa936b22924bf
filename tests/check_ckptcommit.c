/*
 * check_ckptcommit: acks advance a worker's checkpoint in a file store;
 * bad acks stop the stream after storing what came before; a failure
 * becomes the worker's lastError.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ckptcommit.h"
#include "ts.h"
#include "util.h"
#include "testlib.h"
#include "banned.h"

static char dir[64];
static struct config cfg;
static struct config_table tbl;
static struct ckpt_store *st;

static void
setup(void)
{
	struct bq_err err = BQ_ERR_INIT;

	testlib_tmpdir(dir, sizeof(dir), "check_ckptcommit");
	testlib_file_config(&cfg, dir);
	memset(&tbl, 0, sizeof(tbl));
	tbl.id = tbl.table = tbl.target_table = (char *)"t1";
	tbl.sync = cfg.sync;
	st = ckpt_store_new(&cfg, &err);
	ck_assert_msg(st != NULL, "%s", err.msg);
}

static void
teardown(void)
{
	ckpt_store_free(st);
	config_release(&cfg);
	testlib_rmdir(dir);
}

/* Commits text as a stream of acks into worker 0/1 (name "h-0"). */
static int
commit(const char *text, struct bq_err *err, FILE *tee)
{
	struct ckpt_commit c = { st, &tbl, 0, 1, "h-0", tee, 0, 0 };
	struct ndjson_reader *r;
	int fd[2], rc;

	ck_assert_int_eq(pipe(fd), 0);
	ck_assert_int_eq(write(fd[1], text, strlen(text)),
	    (ssize_t)strlen(text));
	close(fd[1]);
	r = ndjson_reader_new(fd[0], "<acks>");
	rc = ckpt_commit(&c, r, err);
	ndjson_reader_free(r);
	close(fd[0]);
	return rc;
}

static void
load(struct ckpt_record *rec)
{
	struct bq_err err = BQ_ERR_INIT;
	ck_assert_int_eq(ckpt_load(st, "t1", 0, 1, rec, &err), 1);
}

START_TEST(test_commit_advances)
{
	struct bq_err err = BQ_ERR_INIT;
	struct ckpt_record rec;
	char *buf = NULL;
	size_t len = 0;
	FILE *tee = open_memstream(&buf, &len);

	/* rows without a cursor wait, then count with the next cursor */
	ck_assert_int_eq(commit("{\"table\":\"t1\",\"worker\":\"0/1\","
	    "\"rows\":2,\"total\":2,\"cursor\":null}\n\n"
	    "{\"table\":\"t1\",\"worker\":\"0/1\",\"rows\":3,\"total\":5,"
	    "\"cursor\":\"1970-01-01T00:00:02Z\"}\n", &err, tee), 0);
	fclose(tee);
	load(&rec);
	ck_assert_int_eq(rec.cursor, 2000000);
	ck_assert_int_eq(rec.records, 5);
	ck_assert_str_eq(rec.worker, "h-0");
	ckpt_record_release(&rec);
	/* --tee: each ack copied, the blank line not */
	ck_assert_int_eq((int)len, 2 * 1 + (int)strlen("{\"table\":\"t1\","
	    "\"worker\":\"0/1\",\"rows\":2,\"total\":2,\"cursor\":null}") +
	    (int)strlen("{\"table\":\"t1\",\"worker\":\"0/1\",\"rows\":3,"
	    "\"total\":5,\"cursor\":\"1970-01-01T00:00:02Z\"}"));
	free(buf);
}
END_TEST

START_TEST(test_commit_bad_ack)
{
	struct bq_err err = BQ_ERR_INIT;
	struct ckpt_record rec;

	/* the rows before a bad ack are stored, without moving the cursor */
	ck_assert_int_eq(commit("{\"table\":\"t1\",\"worker\":\"0/1\","
	    "\"rows\":4,\"total\":4,\"cursor\":null}\n"
	    "{\"table\":\"t1\",\"worker\":\"1/2\",\"rows\":1,\"total\":1,"
	    "\"cursor\":null}\n", &err, NULL), -1);
	ck_assert_int_eq(err.kind, EXIT_DATA);
	ck_assert_str_eq(err.msg, "<acks>:2: ack of worker 1/2, not 0/1");
	load(&rec);
	ck_assert_int_eq(rec.records, 4);
	ck_assert(!rec.has_cursor);
	ckpt_record_release(&rec);
}
END_TEST

START_TEST(test_commit_error)
{
	struct ckpt_commit c = { st, &tbl, 0, 1, "h-0", NULL, 0, 0 };
	struct bq_err err = BQ_ERR_INIT;
	struct strbuf sb = STRBUF_INIT;
	struct ckpt_record rec;

	ckpt_error_ack(&sb, "t1", 0, 1, "bq-pull", 75, "a\tb \n", 5);
	ck_assert_str_eq(sb.buf, "{\"table\":\"t1\",\"worker\":\"0/1\","
	    "\"rows\":0,\"total\":0,\"cursor\":null,\"error\":{\"tool\":"
	    "\"bq-pull\",\"status\":75,\"message\":\"a b\"}}\n");
	strbuf_reset(&sb);
	ckpt_error_ack(&sb, "t1", 0, 1, "bq-pull", 1, "", 0);
	ck_assert_ptr_nonnull(strstr(sb.buf, "\"message\":\"failed\""));
	strbuf_release(&sb);
	ck_assert_int_eq(ckpt_commit_error(&c, "harper-load", 69, "down", 4,
	    &err), 0);
	load(&rec);
	ck_assert_str_eq(rec.last_error, "harper-load: exit 69: down");
	ckpt_record_release(&rec);
}
END_TEST

CHECK_TESTS_FIXTURE("ckptcommit", 0, setup, teardown,
    test_commit_advances,
    test_commit_bad_ack,
    test_commit_error)
