/*
 * check_partition: bq-partition's filters over in-memory streams: the
 * share kept, control lines passed, bad lines counted (strict stops),
 * fingerprints of raw and hex lines, whoami's two formats.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "partition.h"
#include "testlib.h"
#include "banned.h"

/* Runs fn over text; returns what it wrote (free it) and its code. */
static char *
run(struct partition_filter *f, const char *text, int *rc,
    int (*fn)(struct partition_filter *, struct ndjson_reader *))
{
	struct ndjson_reader *r;
	char *buf = NULL;
	size_t len = 0;
	int fd[2];

	ck_assert_int_eq(pipe(fd), 0);
	ck_assert_int_eq(write(fd[1], text, strlen(text)),
	    (ssize_t)strlen(text));
	close(fd[1]);
	r = ndjson_reader_new(fd[0], "<rows>");
	f->out = open_memstream(&buf, &len);
	*rc = fn(f, r);
	fclose(f->out);
	ndjson_reader_free(r);
	close(fd[0]);
	return buf;
}

static const char rows[] =
    "{\"ts\":\"1970-01-01T00:00:00.000001Z\",\"n\":1}\n"
    "{\"@bqsync\":\"end\"}\n"
    "{\"ts\":\"1970-01-01T00:00:00.000002Z\",\"n\":2}\n"
    "[1]\n"
    "{\"ts\":\"1970-01-01T00:00:00.000003Z\",\"n\":3}\n";

START_TEST(test_filter_share)
{
	struct partition_filter f;
	char *out;
	int rc;

	memset(&f, 0, sizeof(f));
	f.column = "ts";
	f.wi = 1;
	f.wn = 2;
	f.scheme = PARTITION_MICROS;
	out = run(&f, rows, &rc, partition_filter);
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(f.bad, 1);	/* [1] is no object, skipped */
	ck_assert_str_eq(out, "{\"ts\":\"1970-01-01T00:00:00.000001Z\","
	    "\"n\":1}\n{\"@bqsync\":\"end\"}\n"
	    "{\"ts\":\"1970-01-01T00:00:00.000003Z\",\"n\":3}\n");
	free(out);
	/* --strict: nothing after the bad line */
	f.strict = 1;
	f.bad = 0;
	out = run(&f, rows, &rc, partition_filter);
	ck_assert_int_eq(rc, 1);
	ck_assert_ptr_null(strstr(out, "\"n\":3"));
	free(out);
}
END_TEST

START_TEST(test_fingerprint)
{
	struct partition_filter f;
	char *out;
	int rc;

	memset(&f, 0, sizeof(f));
	out = run(&f, "abc\n", &rc, partition_fingerprint);
	ck_assert_int_eq(rc, 0);
	ck_assert_str_eq(out, "2640714258260161385\n");
	free(out);
	f.hex = 1;
	out = run(&f, "616263\nzz\n", &rc, partition_fingerprint);
	ck_assert_str_eq(out, "2640714258260161385\n");
	ck_assert_int_eq(f.bad, 1);
	free(out);
}
END_TEST

START_TEST(test_whoami_format)
{
	char *w[] = { (char *)"a-0", (char *)"b'c-0" };
	struct strbuf sb = STRBUF_INIT;

	partition_whoami_format(&sb, "b'c-0", 1, w, 2, 0);
	ck_assert_str_eq(sb.buf, "{\"worker\":\"b'c-0\",\"index\":1,"
	    "\"count\":2,\"workers\":[\"a-0\",\"b'c-0\"]}\n");
	strbuf_reset(&sb);
	partition_whoami_format(&sb, "b'c-0", 1, w, 2, 1);
	ck_assert_str_eq(sb.buf, "BQSYNC_WORKER='1/2'\n"
	    "BQSYNC_WORKER_INDEX=1\nBQSYNC_WORKER_COUNT=2\n"
	    "BQSYNC_WORKER_NAME='b'\\''c-0'\n");
	strbuf_release(&sb);
}
END_TEST

START_TEST(test_peers)
{
	cJSON *st = cJSON_Parse("{\"node_name\":\"n1\",\"connections\":["
	    "{\"name\":\"n2\",\"database_sockets\":[{\"connected\":true}]},"
	    "{\"name\":\"n3\",\"database_sockets\":[{\"connected\":false}]}"
	    "]}");
	char **peers = NULL, *self = NULL;
	size_t np = 0, i;

	partition_peers(st, "h1,,h2", &peers, &np, &self);
	ck_assert_uint_eq(np, 4);	/* n3 is listed, not connected */
	ck_assert_str_eq(peers[0], "n1");
	ck_assert_str_eq(peers[1], "n2");
	ck_assert_str_eq(peers[2], "h1");
	ck_assert_str_eq(peers[3], "h2");
	ck_assert_str_eq(self, "n1-0");
	for (i = 0; i < np; i++)
		free(peers[i]);
	free(peers);
	free(self);
	cJSON_Delete(st);
	/* no cluster status: the list only, no self */
	peers = NULL;
	self = NULL;
	np = 0;
	partition_peers(NULL, "a", &peers, &np, &self);
	ck_assert_uint_eq(np, 1);
	ck_assert_ptr_null(self);
	free(peers[0]);
	free(peers);
}
END_TEST

START_TEST(test_whoami)
{
	struct partition_whoami w = { NULL, 0, "h1,h2", "h2-1", 2, 0 };
	struct strbuf sb = STRBUF_INIT;
	struct bq_err err = BQ_ERR_INIT;

	ck_assert_int_eq(partition_whoami(&w, &sb, &err), 0);
	ck_assert_str_eq(sb.buf, "{\"worker\":\"h2-1\",\"index\":3,"
	    "\"count\":4,\"workers\":[\"h1-0\",\"h1-1\",\"h2-0\","
	    "\"h2-1\"]}\n");
	/* a thread past --threads is no worker: a usage error, no answer */
	strbuf_reset(&sb);
	w.self = "h2-2";
	ck_assert_int_eq(partition_whoami(&w, &sb, &err), -1);
	ck_assert_int_eq(err.kind, EXIT_USAGE);
	ck_assert_str_eq(err.msg, "worker 'h2-2' is not in the cluster "
	    "(host-thread, thread < 2)");
	ck_assert_uint_eq(sb.len, 0);
	strbuf_release(&sb);
}
END_TEST

CHECK_TESTS("partition", 0,
    test_filter_share,
    test_fingerprint,
    test_whoami_format,
    test_whoami,
    test_peers)
