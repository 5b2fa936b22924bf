/*
 * check_ckpt: checkpoint records, phases, the file store (atomic replace,
 * flock sharing between processes), forward-only cursors, rebalancing, and
 * the Harper store against the real Harper (HARPER_URL, HARPER_USERNAME,
 * HARPER_PASSWORD from the environment) in a private database; without a
 * Harper that answers, those tests skip (tests/testlib.h).
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ckpt.h"
#include "config.h"
#include "harper.h"
#include "ts.h"
#include "util.h"
#include "testlib.h"
#include "banned.h"

#define SEC	1000000LL
#define T0	1762271940123456LL	/* 2025-11-04T15:59:00.123456Z */

static char dir[64];

/* A file store at dir/state.json. */
static struct ckpt_store *
file_store(struct config *cfg)
{
	struct bq_err err = BQ_ERR_INIT;
	struct ckpt_store *st;

	testlib_file_config(cfg, dir);
	st = ckpt_store_new(cfg, &err);
	ck_assert_msg(st != NULL, "%s", err.msg);
	return st;
}

static struct config_sync
default_sync(void)
{
	struct config cfg;
	struct config_sync s;

	config_init(&cfg);
	s = cfg.sync;
	config_release(&cfg);
	return s;
}

START_TEST(test_record_roundtrip)
{
	struct ckpt_record r, d;
	struct strbuf sb = STRBUF_INIT;
	struct bq_err err = BQ_ERR_INIT;
	cJSON *j;

	ckpt_record_init(&r, "vessel_positions", 1, 3);
	r.worker = xstrdup("node-a-2");
	r.has_cursor = 1;
	r.cursor = T0;
	r.records = 9007199254740000LL;
	r.has_sync = 1;
	r.last_sync = T0 + 5 * SEC;
	r.phase = CKPT_CATCHUP;
	r.batch_size = 1000;
	ckpt_record_encode(&r, &sb);
	ck_assert_str_eq(sb.buf, "{\"checkpointId\":\"vessel_positions:1/3\","
	    "\"tableId\":\"vessel_positions\",\"nodeId\":1,\"clusterSize\":3,"
	    "\"worker\":\"node-a-2\","
	    "\"lastTimestamp\":\"2025-11-04T15:59:00.123456Z\","
	    "\"recordsIngested\":9007199254740000,"
	    "\"lastSyncTime\":\"2025-11-04T15:59:05.123456Z\","
	    "\"phase\":\"catchup\",\"batchSize\":1000,"
	    "\"lastError\":null,\"lastErrorAt\":null,\"bytesBilled\":0,"
	    "\"billingDay\":null,\"bytesBilledDay\":0}");
	j = cJSON_Parse(sb.buf);
	ck_assert_int_eq(ckpt_record_decode(j, &d, &err), 0);
	ck_assert_str_eq(d.table_id, "vessel_positions");
	ck_assert_str_eq(d.worker, "node-a-2");
	ck_assert_int_eq(d.node_id, 1);
	ck_assert_int_eq(d.cluster_size, 3);
	ck_assert(d.has_cursor && d.cursor == T0);
	ck_assert(d.records == r.records);
	ck_assert(d.has_sync && d.last_sync == r.last_sync);
	ck_assert_int_eq(d.phase, CKPT_CATCHUP);
	ck_assert_int_eq(d.batch_size, 1000);
	ck_assert_ptr_null(d.last_error);
	ck_assert(!d.has_error_at && d.bytes_billed == 0);
	ck_assert_str_eq(d.billing_day, "");
	cJSON_Delete(j);
	ckpt_record_release(&d);

	/* The error and billing fields, and back. */
	r.last_error = xstrdup("bq-pull: exit 75: \"quota\"");
	r.has_error_at = 1;
	r.last_error_at = T0 + 6 * SEC;
	r.bytes_billed = 9007199254740992LL;
	memcpy(r.billing_day, "2025-11-04", 11);
	r.bytes_billed_day = 10485760;
	strbuf_reset(&sb);
	ckpt_record_encode(&r, &sb);
	ck_assert_ptr_nonnull(strstr(sb.buf, "\"batchSize\":1000,"
	    "\"lastError\":\"bq-pull: exit 75: \\\"quota\\\"\","
	    "\"lastErrorAt\":\"2025-11-04T15:59:06.123456Z\","
	    "\"bytesBilled\":9007199254740992,\"billingDay\":\"2025-11-04\","
	    "\"bytesBilledDay\":10485760}"));
	j = cJSON_Parse(sb.buf);
	ck_assert_int_eq(ckpt_record_decode(j, &d, &err), 0);
	ck_assert_str_eq(d.last_error, r.last_error);
	ck_assert(d.has_error_at && d.last_error_at == r.last_error_at);
	ck_assert(d.bytes_billed == r.bytes_billed);
	ck_assert_str_eq(d.billing_day, "2025-11-04");
	ck_assert(d.bytes_billed_day == 10485760);
	cJSON_Delete(j);
	ckpt_record_release(&d);
	free(r.last_error);
	r.last_error = NULL;
	r.has_error_at = 0;
	r.bytes_billed = r.bytes_billed_day = 0;
	r.billing_day[0] = '\0';

	/* No cursor, no worker: nulls, and back. */
	free(r.worker);
	r.worker = NULL;
	r.has_cursor = r.has_sync = 0;
	strbuf_reset(&sb);
	ckpt_record_encode(&r, &sb);
	ck_assert_ptr_nonnull(strstr(sb.buf, "\"lastTimestamp\":null"));
	ck_assert_ptr_nonnull(strstr(sb.buf, "\"worker\":null"));
	j = cJSON_Parse(sb.buf);
	ck_assert_int_eq(ckpt_record_decode(j, &d, &err), 0);
	ck_assert(!d.has_cursor && !d.has_sync && d.worker == NULL);
	cJSON_Delete(j);
	ckpt_record_release(&d);
	ckpt_record_release(&r);
	strbuf_release(&sb);
}
END_TEST

/* A JSON text that must be refused as bad data naming what. */
struct refused {
	const char	*json;
	const char	*what;
};

/*
 * Each text fails ckpt_record_decode() (record) or ckpt_ack_parse() (not
 * record) as bad data, with a message naming what is wrong.
 */
static void
expect_refused(int record, const struct refused *v, size_t n)
{
	struct ckpt_record d;
	struct ckpt_ack a;
	struct bq_err err = BQ_ERR_INIT;
	cJSON *j;
	size_t i;
	int rc;

	for (i = 0; i < n; i++) {
		j = cJSON_Parse(v[i].json);
		ck_assert_ptr_nonnull(j);
		if (record) {
			rc = ckpt_record_decode(j, &d, &err);
			ckpt_record_release(&d);
		} else {
			rc = ckpt_ack_parse(j, &a, &err);
		}
		ck_assert_int_eq(rc, -1);
		ck_assert_int_eq(err.kind, EXIT_DATA);
		ck_assert_msg(strstr(err.msg, v[i].what) != NULL, "%s: %s",
		    v[i].json, err.msg);
		cJSON_Delete(j);
	}
}

/* Records that fail to decode, and the field each error names. */
static const struct refused bad_records[] = {
	{ "[]",
	  "object" },
	{ "{\"nodeId\":0,\"clusterSize\":1}",
	  "tableId" },
	{ "{\"tableId\":\"t\",\"nodeId\":3,\"clusterSize\":3}",
	  "nodeId" },
	{ "{\"tableId\":\"t\",\"nodeId\":-1,\"clusterSize\":3}",
	  "nodeId" },
	{ "{\"tableId\":\"t\",\"nodeId\":0.5,\"clusterSize\":3}",
	  "nodeId" },
	{ "{\"tableId\":\"t\",\"nodeId\":0,\"clusterSize\":0}",
	  "clusterSize" },
	{ "{\"checkpointId\":\"t:1/3\",\"tableId\":\"t\","
	  "\"nodeId\":0,\"clusterSize\":3}",
	  "checkpointId" },
	{ "{\"tableId\":\"t\",\"nodeId\":0,\"clusterSize\":1,"
	  "\"lastTimestamp\":\"yesterday\"}",
	  "lastTimestamp" },
	{ "{\"tableId\":\"t\",\"nodeId\":0,\"clusterSize\":1,"
	  "\"phase\":\"warp\"}",
	  "phase" },
	{ "{\"tableId\":\"t\",\"nodeId\":0,\"clusterSize\":1,"
	  "\"recordsIngested\":-4}",
	  "recordsIngested" },
	{ "{\"tableId\":\"t\",\"nodeId\":0,\"clusterSize\":1,"
	  "\"recordsIngested\":9007199254740994}",
	  "recordsIngested" },
	{ "{\"tableId\":\"t\",\"nodeId\":0,\"clusterSize\":1,"
	  "\"lastError\":5}",
	  "lastError" },
	{ "{\"tableId\":\"t\",\"nodeId\":0,\"clusterSize\":1,"
	  "\"lastErrorAt\":\"soon\"}",
	  "lastErrorAt" },
	{ "{\"tableId\":\"t\",\"nodeId\":0,\"clusterSize\":1,"
	  "\"bytesBilled\":-1}",
	  "bytesBilled" },
	{ "{\"tableId\":\"t\",\"nodeId\":0,\"clusterSize\":1,"
	  "\"billingDay\":\"2025-11-4\"}",
	  "billingDay" },
	{ "{\"tableId\":\"t\",\"nodeId\":0,\"clusterSize\":1,"
	  "\"bytesBilledDay\":1e300}",
	  "bytesBilledDay" },
};

START_TEST(test_record_decode)
{
	struct ckpt_record d;
	struct bq_err err = BQ_ERR_INIT;
	char buf[TS_BUFSZ];
	cJSON *j;

	/* The older plugin's nanosecond text is accepted, truncated to µs. */
	j = cJSON_Parse("{\"tableId\":\"t\",\"nodeId\":0,\"clusterSize\":1,"
	    "\"lastTimestamp\":\"2025-11-10T12:00:00.123456000Z\","
	    "\"recordsIngested\":5,\"extra\":1}");
	ck_assert_int_eq(ckpt_record_decode(j, &d, &err), 0);
	ck_assert_str_eq(ts_format(d.cursor, buf), "2025-11-10T12:00:00.123456Z");
	ck_assert_int_eq(d.phase, CKPT_INITIAL);
	ckpt_record_release(&d);
	cJSON_Delete(j);

	expect_refused(1, bad_records,
	    sizeof(bad_records) / sizeof(bad_records[0]));
}
END_TEST

/*
 * Parses json as an ack into a, expecting rc from ckpt_ack_parse(); a
 * points into the tree returned, which the caller deletes.
 */
static cJSON *
ack_of(const char *json, struct ckpt_ack *a, int rc)
{
	struct bq_err err = BQ_ERR_INIT;
	cJSON *j = cJSON_Parse(json);

	ck_assert_ptr_nonnull(j);
	ck_assert_msg(ckpt_ack_parse(j, a, &err) == rc, "%s: %s", json,
	    err.msg);
	if (rc == -1)
		ck_assert_int_eq(err.kind, EXIT_DATA);
	return j;
}

START_TEST(test_ack_parse)
{
	struct ckpt_ack a;
	cJSON *j;

	j = ack_of("{\"table\":\"BigQueryData\",\"rows\":500,"
	    "\"total\":1500,\"cursor\":\"2025-11-04T15:59:00.123456Z\"}",
	    &a, 0);
	ck_assert_str_eq(a.table, "BigQueryData");
	ck_assert(a.rows == 500 && a.has_cursor && a.cursor == T0);
	cJSON_Delete(j);
	j = ack_of("{\"table\":\"B\",\"rows\":3,\"cursor\":null}", &a, 0);
	ck_assert(a.rows == 3 && !a.has_cursor);
	cJSON_Delete(j);
	j = ack_of("{\"table\":\"B\",\"rows\":-3,\"cursor\":null}", &a, -1);
	cJSON_Delete(j);
	j = ack_of("{\"table\":\"B\",\"rows\":3}", &a, -1);
	cJSON_Delete(j);
	j = ack_of("{\"table\":\"B\",\"rows\":3,\"cursor\":\"noon\"}", &a, -1);
	cJSON_Delete(j);

	/* Every field of the contract. */
	j = ack_of("{\"table\":\"vp\",\"worker\":\"1/2\",\"rows\":0,"
	    "\"total\":0,\"cursor\":null,\"newer\":false,"
	    "\"bytesBilled\":10485760,\"error\":{\"tool\":\"bq-pull\","
	    "\"status\":75,\"message\":\"quota\"}}", &a, 0);
	ck_assert_str_eq(a.worker, "1/2");
	ck_assert(a.wi == 1 && a.wn == 2 && a.newer == 0);
	ck_assert(a.billed == 10485760);
	ck_assert_str_eq(a.err_tool, "bq-pull");
	ck_assert_int_eq(a.err_status, 75);
	ck_assert_str_eq(a.err_message, "quota");
	cJSON_Delete(j);
	/* Absent: worker NULL, newer and bytesBilled -1, no error. */
	j = ack_of("{\"table\":\"B\",\"rows\":3,\"cursor\":null,"
	    "\"error\":null}", &a, 0);
	ck_assert(a.worker == NULL && a.newer == -1 && a.billed == -1 &&
	    a.err_tool == NULL);
	cJSON_Delete(j);
}
END_TEST

/* Acks out of bounds, and the field each error names. */
static const struct refused bad_acks[] = {
	{ "{\"table\":\"B\",\"rows\":1099511627777,"
	  "\"cursor\":null}",
	  "rows" },
	{ "{\"table\":\"B\",\"rows\":9007199254740992,"
	  "\"cursor\":null}",
	  "rows" },
	{ "{\"table\":\"B\",\"rows\":1e308,\"cursor\":null}",
	  "rows" },
	{ "{\"table\":\"B\",\"rows\":-1,\"cursor\":null}",
	  "rows" },
	{ "{\"table\":\"B\",\"rows\":1.5,\"cursor\":null}",
	  "rows" },
	{ "{\"table\":\"B\",\"rows\":\"7\",\"cursor\":null}",
	  "rows" },
	{ "{\"table\":\"B\",\"rows\":1,\"cursor\":null,"
	  "\"bytesBilled\":9007199254740994}",
	  "bytesBilled" },
	{ "{\"table\":\"B\",\"rows\":1,\"cursor\":null,"
	  "\"bytesBilled\":-1}",
	  "bytesBilled" },
	{ "{\"table\":\"B\",\"worker\":\"2/2\",\"rows\":1,"
	  "\"cursor\":null}",
	  "worker" },
	{ "{\"table\":\"B\",\"worker\":1,\"rows\":1,"
	  "\"cursor\":null}",
	  "worker" },
	{ "{\"table\":\"B\",\"rows\":1,\"cursor\":null,"
	  "\"newer\":0}",
	  "newer" },
	{ "{\"table\":\"B\",\"rows\":1,\"cursor\":null,"
	  "\"error\":\"boom\"}",
	  "error" },
	{ "{\"table\":\"B\",\"rows\":1,\"cursor\":null,"
	  "\"error\":{\"tool\":\"x\",\"status\":256,\"message\":\"m\"}}",
	  "error" },
};

/* Bounds: rows up to 2^40, counts up to 2^53, well-formed extras. */
START_TEST(test_ack_bounds)
{
	struct ckpt_ack a;
	cJSON *j;

	j = ack_of("{\"table\":\"B\",\"rows\":1099511627776,"
	    "\"cursor\":null,\"bytesBilled\":9007199254740992}", &a, 0);
	ck_assert(a.rows == CKPT_MAX_ROWS && a.billed == CKPT_MAX_COUNT);
	cJSON_Delete(j);
	expect_refused(0, bad_acks, sizeof(bad_acks) / sizeof(bad_acks[0]));
}
END_TEST

/* A cursor (whether there is one, and its age) and the phase it means. */
struct phase_case {
	int		 has_cursor;
	int64_t		 age;		/* microseconds before now */
	enum ckpt_phase	 want;
};

static void
check_phases(const struct config_sync *s, const struct phase_case *v,
    size_t n)
{
	int64_t now = T0 + 86400 * SEC;
	size_t i;

	for (i = 0; i < n; i++)
		ck_assert_msg(ckpt_phase_for(s, v[i].has_cursor,
		    v[i].has_cursor ? now - v[i].age : 0, now) == v[i].want,
		    "case %zu", i);
}

START_TEST(test_phase_thresholds)
{
	static const struct phase_case defaults[] = {
		{ 0, 0, CKPT_INITIAL },
		{ 1, 3600 * SEC + 1, CKPT_INITIAL },
		/* Exactly at a threshold is not above it (strict >). */
		{ 1, 3600 * SEC, CKPT_CATCHUP },
		{ 1, 300 * SEC + 1, CKPT_CATCHUP },
		{ 1, 300 * SEC, CKPT_STEADY },
		{ 1, 0, CKPT_STEADY },
		{ 1, -60 * SEC, CKPT_STEADY },
	};
	static const struct phase_case tight[] = {
		{ 1, 11 * SEC, CKPT_CATCHUP },
		{ 1, 21 * SEC, CKPT_INITIAL },
	};
	struct config_sync s = default_sync();

	check_phases(&s, defaults, sizeof(defaults) / sizeof(defaults[0]));
	s.steady_threshold = 10;
	s.catchup_threshold = 20;
	check_phases(&s, tight, sizeof(tight) / sizeof(tight[0]));
}
END_TEST

START_TEST(test_phase_settings)
{
	struct config_sync s = default_sync();
	enum ckpt_phase p;

	ck_assert_int_eq(ckpt_batch_size(&s, CKPT_INITIAL), 10000);
	ck_assert_int_eq(ckpt_batch_size(&s, CKPT_CATCHUP), 1000);
	ck_assert_int_eq(ckpt_batch_size(&s, CKPT_STEADY), 500);
	ck_assert(ckpt_poll_interval(&s, CKPT_INITIAL) == 1);
	ck_assert(ckpt_poll_interval(&s, CKPT_CATCHUP) == 5);
	ck_assert(ckpt_poll_interval(&s, CKPT_STEADY) == 30);
	ck_assert_int_eq(ckpt_phase_parse("catchup", &p), 0);
	ck_assert_int_eq(p, CKPT_CATCHUP);
	ck_assert_int_eq(ckpt_phase_parse("Steady", &p), -1);
	ck_assert_str_eq(ckpt_phase_name(CKPT_STEADY), "steady");
}
END_TEST

/* Per-table sync: overrides from config.yaml, the rest from sync:. */
START_TEST(test_phase_per_table)
{
	struct config cfg;
	struct config_table *a, *b;
	struct bq_err err = BQ_ERR_INIT;
	char *path;
	FILE *fp;

	testlib_tmpdir(dir, sizeof(dir), "check_ckpt");
	path = xstrfmt("%s/config.yaml", dir);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("bigquery:\n  projectId: p\n  dataset: d\n  tables:\n"
	    "    - id: a\n      table: a\n      targetTable: A\n"
	    "    - id: b\n      table: b\n      targetTable: B\n"
	    "      sync:\n        steadyBatchSize: 7\n"
	    "        pollInterval: 2m\n        steadyThreshold: 10s\n"
	    "sync:\n  catchupBatchSize: 900\n  catchupPollInterval: 4s\n",
	    fp);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_msg(config_load(&cfg, path, &err) == 0, "%s", err.msg);
	a = config_table(&cfg, "a", &err);
	b = config_table(&cfg, "b", &err);
	ck_assert(a != NULL && b != NULL);
	ck_assert_int_eq(ckpt_batch_size(&a->sync, CKPT_STEADY), 500);
	ck_assert_int_eq(ckpt_batch_size(&b->sync, CKPT_STEADY), 7);
	ck_assert_int_eq(ckpt_batch_size(&a->sync, CKPT_CATCHUP), 900);
	ck_assert_int_eq(ckpt_batch_size(&b->sync, CKPT_CATCHUP), 900);
	ck_assert_int_eq(ckpt_batch_size(&b->sync, CKPT_INITIAL), 10000);
	ck_assert(ckpt_poll_interval(&a->sync, CKPT_STEADY) == 30);
	ck_assert(ckpt_poll_interval(&b->sync, CKPT_STEADY) == 120);
	ck_assert(ckpt_poll_interval(&b->sync, CKPT_CATCHUP) == 4);
	ck_assert_int_eq(ckpt_phase_for(&a->sync, 1, T0 - 11 * SEC, T0),
	    CKPT_STEADY);
	ck_assert_int_eq(ckpt_phase_for(&b->sync, 1, T0 - 11 * SEC, T0),
	    CKPT_CATCHUP);
	config_release(&cfg);
	free(path);
	testlib_rmdir(dir);
}
END_TEST

START_TEST(test_start_format)
{
	struct config cfg;
	struct config_sync sy = default_sync();
	struct ckpt_start b = { 0, 0, 0, 0 };
	struct ckpt_record r;
	struct strbuf sb = STRBUF_INIT;
	cJSON *j;

	ckpt_start_format(&b, "t", 0, 1, &sy, T0, CKPT_FMT_CURSOR, &sb);
	ck_assert_str_eq(sb.buf, "\n");
	strbuf_reset(&sb);
	ckpt_start_format(&b, "t", 0, 1, &sy, T0, CKPT_FMT_SH, &sb);
	ck_assert_str_eq(sb.buf, "BQSYNC_CURSOR=''\nBQSYNC_PHASE=initial\n"
	    "BQSYNC_BATCH_SIZE=10000\nBQSYNC_POLL_INTERVAL=1\n");
	b.has_cursor = b.rebalanced = 1;
	b.cursor = T0 - 400 * SEC;
	b.from_n = 2;
	strbuf_reset(&sb);
	ckpt_start_format(&b, "t", 1, 3, &sy, T0, CKPT_FMT_CURSOR, &sb);
	ck_assert_str_eq(sb.buf, "2025-11-04T15:52:20.123456Z\n");
	strbuf_reset(&sb);
	ckpt_start_format(&b, "t", 1, 3, &sy, T0, CKPT_FMT_POLL, &sb);
	ck_assert_str_eq(sb.buf, "5\n");
	strbuf_reset(&sb);
	ckpt_start_format(&b, "t", 1, 3, &sy, T0, CKPT_FMT_JSON, &sb);
	j = cJSON_Parse(sb.buf);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(cJSON_GetObjectItem(j, "phase")->valuestring,
	    "catchup");
	ck_assert_str_eq(cJSON_GetObjectItem(j, "worker")->valuestring, "1/3");
	ck_assert_int_eq(cJSON_GetObjectItem(j, "batchSize")->valueint, 1000);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(j, "rebalanced")));
	cJSON_Delete(j);

	/* status: NDJSON with lag_seconds, or a table with a header. */
	config_init(&cfg);
	ckpt_record_init(&r, "t", 0, 1);
	r.has_cursor = 1;
	r.cursor = T0 - 90 * SEC;
	strbuf_reset(&sb);
	ckpt_status_format(&r, 1, &cfg, T0, 0, &sb);
	ck_assert_ptr_nonnull(strstr(sb.buf, "\"phase\":\"steady\""));
	ck_assert_ptr_nonnull(strstr(sb.buf, "\"lag_seconds\":90.000}\n"));
	strbuf_reset(&sb);
	ckpt_status_format(&r, 1, &cfg, T0, 1, &sb);
	ck_assert_int_eq(strncmp(sb.buf, "TABLE ", 6), 0);
	ck_assert_ptr_nonnull(strstr(sb.buf, "\nt     0/1     -      "
	    "2025-11-04T15:57:30.123456Z 90s     steady"));
	ckpt_record_release(&r);
	config_release(&cfg);
	strbuf_release(&sb);
}
END_TEST

START_TEST(test_parse_worker)
{
	long i, n;

	ck_assert_int_eq(ckpt_parse_worker("1/3", &i, &n), 0);
	ck_assert(i == 1 && n == 3);
	ck_assert_int_eq(ckpt_parse_worker("0/1", &i, &n), 0);
	ck_assert_int_eq(ckpt_parse_worker("3/3", &i, &n), -1);
	ck_assert_int_eq(ckpt_parse_worker("-1/3", &i, &n), -1);
	ck_assert_int_eq(ckpt_parse_worker("1/0", &i, &n), -1);
	ck_assert_int_eq(ckpt_parse_worker("1", &i, &n), -1);
	ck_assert_int_eq(ckpt_parse_worker("1/3x", &i, &n), -1);
	ck_assert_int_eq(ckpt_parse_worker("", &i, &n), -1);
}
END_TEST

static void
advance(struct ckpt_store *st, const struct config_sync *s, const char *t,
    long i, long n, int64_t cursor, long long rows, int *moved)
{
	struct ckpt_update up = { "w", cursor != 0, cursor, rows, T0, 0, 0,
	    NULL };
	struct bq_err err = BQ_ERR_INIT;

	ck_assert_msg(ckpt_advance(st, s, t, i, n, &up, moved, &err) == 0,
	    "%s", err.msg);
}

static int64_t
cursor_of(struct ckpt_store *st, const char *t, long i, long n,
    long long *records)
{
	struct ckpt_record r;
	struct bq_err err = BQ_ERR_INIT;
	int64_t c;

	ck_assert_int_eq(ckpt_load(st, t, i, n, &r, &err), 1);
	c = r.has_cursor ? r.cursor : 0;
	if (records != NULL)
		*records = r.records;
	ckpt_record_release(&r);
	return c;
}

/* The forward-only rule, for whichever store st is. */
static void
check_forward_only(struct ckpt_store *st)
{
	struct config_sync s = default_sync();
	struct bq_err err = BQ_ERR_INIT;
	struct ckpt_record r;
	long long recs;
	int moved;

	ck_assert_int_eq(ckpt_load(st, "t", 0, 1, &r, &err), 0);
	advance(st, &s, "t", 0, 1, T0, 10, &moved);
	ck_assert_int_eq(moved, 1);
	advance(st, &s, "t", 0, 1, T0 - SEC, 5, &moved);	/* older */
	ck_assert_int_eq(moved, 0);
	ck_assert(cursor_of(st, "t", 0, 1, &recs) == T0);
	ck_assert_int_eq(recs, 15);
	advance(st, &s, "t", 0, 1, T0, 1, &moved);		/* equal */
	ck_assert_int_eq(moved, 0);
	advance(st, &s, "t", 0, 1, 0, 4, &moved);		/* no cursor */
	ck_assert(cursor_of(st, "t", 0, 1, &recs) == T0);
	ck_assert_int_eq(recs, 20);
	advance(st, &s, "t", 0, 1, T0 + 1, 0, &moved);
	ck_assert_int_eq(moved, 1);
	ck_assert(cursor_of(st, "t", 0, 1, NULL) == T0 + 1);
	/* T0 is the clock in advance(): lag 0, steady, its batch size. */
	ck_assert_int_eq(ckpt_load(st, "t", 0, 1, &r, &err), 1);
	ck_assert_int_eq(r.phase, CKPT_STEADY);
	ck_assert_int_eq(r.batch_size, 500);
	ck_assert(r.has_sync && r.last_sync == T0);
	ckpt_record_release(&r);
	/* set moves back; counts are kept. */
	ck_assert_int_eq(ckpt_set(st, &s, "t", 0, 1, NULL, T0 - 7200 * SEC,
	    T0, &err), 0);
	ck_assert_int_eq(ckpt_load(st, "t", 0, 1, &r, &err), 1);
	ck_assert(r.cursor == T0 - 7200 * SEC && r.records == 20);
	ck_assert_int_eq(r.phase, CKPT_INITIAL);
	ck_assert_int_eq(r.batch_size, 10000);
	ckpt_record_release(&r);
}

/*
 * What acks add, for whichever store st is: phase steady from newer:false
 * however old the cursor, lastError set and cleared, bytes billed per day,
 * counts that would pass 2^53 refused; then reset of table "f".
 */
static void
check_ack_fields(struct ckpt_store *st)
{
	struct config_sync s = default_sync();
	struct ckpt_update up = { "w", 1, T0 - 86400 * SEC, 5, T0, 1, 100,
	    "bq-pull: exit 75: quota" };
	struct bq_err err = BQ_ERR_INIT;
	struct ckpt_record r;
	size_t nd;

	ck_assert_int_eq(ckpt_advance(st, &s, "f", 0, 1, &up, NULL, &err), 0);
	ck_assert_int_eq(ckpt_load(st, "f", 0, 1, &r, &err), 1);
	ck_assert_int_eq(r.phase, CKPT_STEADY);	/* a day old, caught up */
	ck_assert_int_eq(ckpt_record_phase(&r, &s, T0 + SEC), CKPT_STEADY);
	ck_assert_int_eq(ckpt_record_phase(&r, &s, T0 + 3600 * SEC),
	    CKPT_INITIAL);			/* no commit since: lag again */
	ck_assert_str_eq(r.last_error, "bq-pull: exit 75: quota");
	ck_assert(r.has_error_at && r.last_error_at == T0);
	ck_assert(r.bytes_billed == 100 && r.bytes_billed_day == 100);
	ck_assert_str_eq(r.billing_day, "2025-11-04");
	ckpt_record_release(&r);

	/* Same day: added; no error: cleared; newer: the phase from lag. */
	up.caught_up = 0;
	up.error = NULL;
	up.now = T0 + 60 * SEC;
	ck_assert_int_eq(ckpt_advance(st, &s, "f", 0, 1, &up, NULL, &err), 0);
	ck_assert_int_eq(ckpt_load(st, "f", 0, 1, &r, &err), 1);
	ck_assert_int_eq(r.phase, CKPT_INITIAL);
	ck_assert_ptr_null(r.last_error);
	ck_assert(!r.has_error_at);
	ck_assert(r.bytes_billed == 200 && r.bytes_billed_day == 200);
	ckpt_record_release(&r);

	/* The next UTC day starts from zero; the total goes on. */
	up.now = T0 + 86400 * SEC;
	ck_assert_int_eq(ckpt_advance(st, &s, "f", 0, 1, &up, NULL, &err), 0);
	ck_assert_int_eq(ckpt_load(st, "f", 0, 1, &r, &err), 1);
	ck_assert(r.bytes_billed == 300 && r.bytes_billed_day == 100);
	ck_assert_str_eq(r.billing_day, "2025-11-05");
	ck_assert(r.records == 15);
	ckpt_record_release(&r);

	/* Past 2^53: refused, the record unchanged and still readable. */
	up.rows = CKPT_MAX_COUNT - 14;
	ck_assert_int_eq(ckpt_advance(st, &s, "f", 0, 1, &up, NULL, &err), -1);
	ck_assert_int_eq(err.kind, EXIT_DATA);
	up.rows = 0;
	up.billed = CKPT_MAX_COUNT;
	ck_assert_int_eq(ckpt_advance(st, &s, "f", 0, 1, &up, NULL, &err), -1);
	ck_assert_int_eq(ckpt_load(st, "f", 0, 1, &r, &err), 1);
	ck_assert(r.records == 15 && r.bytes_billed == 300);
	ckpt_record_release(&r);
	up.rows = CKPT_MAX_COUNT - 15;
	up.billed = 0;
	ck_assert_int_eq(ckpt_advance(st, &s, "f", 0, 1, &up, NULL, &err), 0);
	ck_assert_int_eq(ckpt_load(st, "f", 0, 1, &r, &err), 1);
	ck_assert(r.records == CKPT_MAX_COUNT);
	ckpt_record_release(&r);

	ck_assert_int_eq(ckpt_delete(st, "f", 0, 0, &nd, &err), 0);
	ck_assert_uint_eq(nd, 1);
}

START_TEST(test_file_forward_only)
{
	struct config cfg;
	struct ckpt_store *st;

	testlib_tmpdir(dir, sizeof(dir), "check_ckpt");
	st = file_store(&cfg);
	check_forward_only(st);
	check_ack_fields(st);
	ckpt_store_free(st);
	config_release(&cfg);
	testlib_rmdir(dir);
}
END_TEST

/* Reset deletes a record the reader refuses, keeping the others as they are. */
START_TEST(test_file_reset_unreadable)
{
	struct config cfg;
	struct ckpt_store *st;
	struct ckpt_record r;
	struct bq_err err = BQ_ERR_INIT;
	char *path;
	size_t nd;
	FILE *fp;

	testlib_tmpdir(dir, sizeof(dir), "check_ckpt");
	st = file_store(&cfg);
	path = xstrfmt("%s/state.json", dir);
	fp = fopen(path, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("{\"checkpoints\":[{\"checkpointId\":\"g:0/1\",\"tableId\":\"g\","
	    "\"nodeId\":0,\"clusterSize\":1,\"recordsIngested\":"
	    "1152921504606846976},{\"tableId\":\"h\",\"nodeId\":0,"
	    "\"clusterSize\":1,\"recordsIngested\":4}]}\n", fp);
	ck_assert_int_eq(fclose(fp), 0);
	ck_assert_int_eq(ckpt_load(st, "h", 0, 1, &r, &err), -1);
	ck_assert_int_eq(ckpt_delete(st, "g", 0, 2, &nd, &err), 0);
	ck_assert_uint_eq(nd, 0);			/* another worker */
	ck_assert_int_eq(ckpt_delete(st, "g", 0, 1, &nd, &err), 0);
	ck_assert_uint_eq(nd, 1);
	ck_assert_int_eq(ckpt_load(st, "h", 0, 1, &r, &err), 1);
	ck_assert(r.records == 4);
	ckpt_record_release(&r);
	free(path);
	ckpt_store_free(st);
	config_release(&cfg);
	testlib_rmdir(dir);
}
END_TEST

/* The file after a crash mid-write is the old one; a stale .tmp is harmless. */
START_TEST(test_file_atomic)
{
	struct config cfg;
	struct config_sync s = default_sync();
	struct ckpt_store *st;
	struct ckpt_record *recs;
	struct bq_err err = BQ_ERR_INIT;
	struct stat sb;
	size_t n;
	char *tmp, *path;
	FILE *fp;

	testlib_tmpdir(dir, sizeof(dir), "check_ckpt");
	st = file_store(&cfg);
	advance(st, &s, "t", 0, 2, T0, 1, NULL);
	path = xstrfmt("%s/state.json", dir);
	tmp = xstrfmt("%s/state.json.tmp", dir);
	ck_assert_int_eq(stat(tmp, &sb), -1);	/* renamed away */
	/* A writer died after writing half of the new file. */
	fp = fopen(tmp, "w");
	fputs("{\"checkpoints\":[{\"checkpointId\":\"t:0/2\",\"tab", fp);
	fclose(fp);
	ck_assert(cursor_of(st, "t", 0, 2, NULL) == T0);
	ck_assert_int_eq(ckpt_list(st, NULL, &recs, &n, &err), 0);
	ck_assert_uint_eq(n, 1);
	ckpt_records_free(recs, n);
	/* The next writer replaces the stale temporary file. */
	advance(st, &s, "t", 1, 2, T0 + SEC, 1, NULL);
	ck_assert_int_eq(stat(tmp, &sb), -1);
	ck_assert(cursor_of(st, "t", 0, 2, NULL) == T0);
	ck_assert(cursor_of(st, "t", 1, 2, NULL) == T0 + SEC);
	/* A corrupt state file is an error, never an empty store. */
	fp = fopen(path, "w");
	fputs("{\"checkpoints\":[{\"checkpointId\"", fp);
	fclose(fp);
	ck_assert_int_eq(ckpt_list(st, NULL, &recs, &n, &err), -1);
	ck_assert_int_eq(err.kind, EXIT_DATA);
	ck_assert_ptr_nonnull(strstr(err.msg, "state.json"));
	free(tmp);
	free(path);
	ckpt_store_free(st);
	config_release(&cfg);
	testlib_rmdir(dir);
}
END_TEST

/*
 * Root's bq-checkpoint next to files another user planted: a link at the
 * temporary path is replaced, never followed (the file it names is left
 * alone); a link at the state or lock path is refused; so is a directory
 * anyone may write to unless it is sticky.  Files are created 0600 even
 * with umask 0.
 */
START_TEST(test_file_links)
{
	struct config cfg;
	struct config_sync s = default_sync();
	struct ckpt_store *st;
	struct ckpt_record *recs;
	struct bq_err err = BQ_ERR_INIT;
	struct stat sb;
	size_t n;
	char *victim, *path, *tmp, *lock, buf[16];
	mode_t old = umask(0);
	FILE *fp;

	testlib_tmpdir(dir, sizeof(dir), "check_ckpt");
	st = file_store(&cfg);
	victim = xstrfmt("%s/victim", dir);
	path = xstrfmt("%s/state.json", dir);
	tmp = xstrfmt("%s/state.json.tmp", dir);
	lock = xstrfmt("%s/state.json.lock", dir);
	fp = fopen(victim, "w");
	fputs("precious", fp);
	fclose(fp);
	ck_assert_int_eq(symlink(victim, tmp), 0);
	advance(st, &s, "t", 0, 1, T0, 1, NULL);
	fp = fopen(victim, "r");
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), fp));
	fclose(fp);
	ck_assert_str_eq(buf, "precious");
	ck_assert_int_eq(lstat(path, &sb), 0);
	ck_assert(S_ISREG(sb.st_mode));
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	ck_assert_int_eq(lstat(lock, &sb), 0);
	ck_assert_int_eq(sb.st_mode & 0777, 0600);
	ck_assert_int_eq(lstat(tmp, &sb), -1);
	ck_assert(cursor_of(st, "t", 0, 1, NULL) == T0);

	/* The state itself a link: refused, for reading and writing. */
	ck_assert_int_eq(rename(path, victim), 0);
	ck_assert_int_eq(symlink(victim, path), 0);
	ck_assert_int_eq(ckpt_list(st, NULL, &recs, &n, &err), -1);
	ck_assert_int_eq(err.kind, EXIT_IOERR);
	ck_assert_msg(strstr(err.msg, "a symbolic link") != NULL, "%s",
	    err.msg);
	ck_assert_int_eq(ckpt_set(st, &s, "t", 0, 1, NULL, T0 + SEC, T0,
	    &err), -1);
	ck_assert_int_eq(err.kind, EXIT_IOERR);
	ck_assert_int_eq(ckpt_delete(st, "t", 0, 1, &n, &err), -1);
	ck_assert_msg(strstr(err.msg, "a symbolic link") != NULL, "%s",
	    err.msg);
	ck_assert_int_eq(lstat(path, &sb), 0);
	ck_assert(S_ISLNK(sb.st_mode));
	ck_assert_int_eq(unlink(path), 0);
	ck_assert_int_eq(rename(victim, path), 0);

	/* The lock a link: refused. */
	ck_assert_int_eq(unlink(lock), 0);
	ck_assert_int_eq(symlink(victim, lock), 0);
	ck_assert_int_eq(ckpt_set(st, &s, "t", 0, 1, NULL, T0 + SEC, T0,
	    &err), -1);
	ck_assert_msg(strstr(err.msg, "a symbolic link") != NULL, "%s",
	    err.msg);
	ck_assert_int_eq(lstat(victim, &sb), -1);	/* not created */
	ck_assert_int_eq(unlink(lock), 0);

	/* A world-writable directory: refused unless sticky. */
	ck_assert_int_eq(chmod(dir, 0777), 0);
	ck_assert_int_eq(ckpt_list(st, NULL, &recs, &n, &err), -1);
	ck_assert_msg(strstr(err.msg, "world-writable") != NULL, "%s",
	    err.msg);
	ck_assert_int_eq(ckpt_set(st, &s, "t", 0, 1, NULL, T0 + SEC, T0,
	    &err), -1);
	ck_assert_int_eq(chmod(dir, 01777), 0);
	ck_assert_int_eq(ckpt_set(st, &s, "t", 0, 1, NULL, T0 + SEC, T0,
	    &err), 0);
	ck_assert(cursor_of(st, "t", 0, 1, NULL) == T0 + SEC);
	umask(old);
	free(lock);
	free(tmp);
	free(path);
	free(victim);
	ckpt_store_free(st);
	config_release(&cfg);
	testlib_rmdir(dir);
}
END_TEST

/*
 * Four processes add 1 row 200 times each to one shared record and to a
 * record of their own; without the flock around read-modify-write, updates
 * would be lost.
 */
START_TEST(test_file_flock_shared)
{
	struct config cfg;
	struct config_sync s = default_sync();
	struct ckpt_store *st;
	pid_t pids[4];
	long long recs;
	int k, j, status;

	testlib_tmpdir(dir, sizeof(dir), "check_ckpt");
	st = file_store(&cfg);
	for (k = 0; k < 4; k++) {
		pids[k] = fork();
		ck_assert_int_ne(pids[k], -1);
		if (pids[k] == 0) {
			struct ckpt_store *mine = file_store(&cfg);

			for (j = 1; j <= 200; j++) {
				advance(mine, &s, "t", 0, 1, T0 + j, 1, NULL);
				advance(mine, &s, "t", k, 4, T0 + j, 1, NULL);
			}
			ckpt_store_free(mine);
			_exit(0);
		}
	}
	for (k = 0; k < 4; k++) {
		ck_assert_int_eq(waitpid(pids[k], &status, 0), pids[k]);
		ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	}
	ck_assert(cursor_of(st, "t", 0, 1, &recs) == T0 + 200);
	ck_assert_int_eq(recs, 800);
	for (k = 0; k < 4; k++) {
		ck_assert(cursor_of(st, "t", k, 4, &recs) == T0 + 200);
		ck_assert_int_eq(recs, 200);
	}
	ckpt_store_free(st);
	config_release(&cfg);
	testlib_rmdir(dir);
}
END_TEST

static void
check_rebalance(struct ckpt_store *st)
{
	struct config_sync s = default_sync();
	struct ckpt_start b;
	struct bq_err err = BQ_ERR_INIT;
	size_t nd;

	/* Nothing at all: no cursor. */
	ck_assert_int_eq(ckpt_start(st, "r", 0, 3, &b, &err), 0);
	ck_assert(!b.has_cursor && !b.rebalanced);
	/* 2 workers, complete: a new 3-worker layout starts at their minimum. */
	advance(st, &s, "r", 0, 2, T0 + 50 * SEC, 1, NULL);
	advance(st, &s, "r", 1, 2, T0 + 30 * SEC, 1, NULL);
	advance(st, &s, "other", 0, 1, T0, 1, NULL);	/* another table */
	ck_assert_int_eq(ckpt_start(st, "r", 2, 3, &b, &err), 0);
	ck_assert(b.has_cursor && b.rebalanced);
	ck_assert(b.cursor == T0 + 30 * SEC);
	ck_assert_int_eq(b.from_n, 2);
	/* A record of 2/3 that only counted rows does not stop rebalancing. */
	advance(st, &s, "r", 2, 3, 0, 9, NULL);
	ck_assert_int_eq(ckpt_start(st, "r", 2, 3, &b, &err), 0);
	ck_assert(b.has_cursor && b.rebalanced && b.cursor == T0 + 30 * SEC);
	ck_assert_int_eq(ckpt_delete(st, "r", 2, 3, &nd, &err), 0);
	/* A worker's own record wins. */
	ck_assert_int_eq(ckpt_start(st, "r", 1, 2, &b, &err), 0);
	ck_assert(b.cursor == T0 + 30 * SEC && !b.rebalanced);
	/* An incomplete 3-worker layout is not trusted; 2 still is. */
	advance(st, &s, "r", 0, 3, T0 + 90 * SEC, 1, NULL);
	ck_assert_int_eq(ckpt_start(st, "r", 1, 4, &b, &err), 0);
	ck_assert(b.cursor == T0 + 30 * SEC && b.from_n == 2);
	/* Once 3 is complete its (larger) minimum is the better start. */
	advance(st, &s, "r", 1, 3, T0 + 70 * SEC, 1, NULL);
	advance(st, &s, "r", 2, 3, T0 + 80 * SEC, 1, NULL);
	ck_assert_int_eq(ckpt_start(st, "r", 1, 4, &b, &err), 0);
	ck_assert(b.cursor == T0 + 70 * SEC && b.from_n == 3);
	/* Without any complete layout there is no safe cursor. */
	ck_assert_int_eq(ckpt_delete(st, "r", 1, 2, &nd, &err), 0);
	ck_assert_uint_eq(nd, 1);
	ck_assert_int_eq(ckpt_delete(st, "r", 2, 3, &nd, &err), 0);
	ck_assert_int_eq(ckpt_start(st, "r", 1, 4, &b, &err), 0);
	ck_assert(!b.has_cursor && !b.rebalanced);
	/* reset --all: every record of the table, none of the other. */
	ck_assert_int_eq(ckpt_delete(st, "r", 0, 0, &nd, &err), 0);
	ck_assert_uint_eq(nd, 3);
	ck_assert(cursor_of(st, "other", 0, 1, NULL) == T0);
	ck_assert_int_eq(ckpt_delete(st, "r", 0, 0, &nd, &err), 0);
	ck_assert_uint_eq(nd, 0);
}

START_TEST(test_file_rebalance)
{
	struct config cfg;
	struct ckpt_store *st;

	testlib_tmpdir(dir, sizeof(dir), "check_ckpt");
	st = file_store(&cfg);
	check_rebalance(st);
	ckpt_store_free(st);
	config_release(&cfg);
	testlib_rmdir(dir);
}
END_TEST

START_TEST(test_bad_store)
{
	struct config cfg;
	struct bq_err err = BQ_ERR_INIT;

	config_init(&cfg);
	config_set_str(&cfg.ckpt_store, "redis");
	ck_assert_ptr_null(ckpt_store_new(&cfg, &err));
	ck_assert_int_eq(err.kind, EXIT_CONFIG);
	config_release(&cfg);
}
END_TEST

/* --- the Harper store, against the real Harper -------------------------- */

static void
harper_config(struct config *cfg, const char *db)
{
	const char *url = getenv("HARPER_URL");

	ck_assert_msg(url != NULL && *url != '\0', "HARPER_URL is not set: "
	    "source the Harper env file (e.g. .harper/main/harper.env)");
	config_init(cfg);
	config_set_str(&cfg->harper_url, url);
	config_set_str(&cfg->harper_username, getenv("HARPER_USERNAME"));
	config_set_str(&cfg->harper_password, getenv("HARPER_PASSWORD"));
	config_set_str(&cfg->harper_database, db);
	config_set_str(&cfg->ckpt_store, "harper");
	cfg->harper_deadline = 20;
}

static void
drop_db(struct config *cfg)
{
	struct harper_client *hc;
	struct bq_err err = BQ_ERR_INIT;
	char *op;

	hc = harper_client_new(cfg, &err);
	ck_assert_ptr_nonnull(hc);
	op = xstrfmt("{\"operation\":\"drop_database\",\"database\":\"%s\"}",
	    cfg->harper_database);
	harper_op(hc, op, strlen(op), NULL, &err);	/* may not exist */
	free(op);
	harper_client_free(hc);
}

/* Reset deletes a record the reader refuses (here in Harper). */
static void
check_reset_unreadable(struct ckpt_store *st, const struct config *cfg)
{
	struct harper_client *hc;
	struct bq_err err = BQ_ERR_INIT;
	struct ckpt_record r;
	static const char bad[] = "[{\"checkpointId\":\"g:0/1\","
	    "\"tableId\":\"g\",\"nodeId\":0,\"clusterSize\":1,"
	    "\"recordsIngested\":1152921504606846976}]";
	size_t nd;

	hc = harper_client_new(cfg, &err);
	ck_assert_ptr_nonnull(hc);
	ck_assert_msg(harper_upsert(hc, "SyncCheckpoint", bad, strlen(bad),
	    &err) == 0, "%s", err.msg);
	harper_client_free(hc);
	ck_assert_int_eq(ckpt_load(st, "g", 0, 1, &r, &err), -1);
	ck_assert_int_eq(ckpt_delete(st, "g", 0, 1, &nd, &err), 0);
	ck_assert_uint_eq(nd, 1);
	ck_assert_int_eq(ckpt_load(st, "g", 0, 1, &r, &err), 0);
}

START_TEST(test_harper_store)
{
	struct config cfg;
	struct ckpt_store *st;
	struct ckpt_record *recs;
	struct harper_client *hc;
	struct bq_err err = BQ_ERR_INIT;
	cJSON *desc = NULL, *rows = NULL, *a;
	char *db = xstrfmt("t_check_ckpt_%ld", (long)getpid()), *sql;
	size_t n;
	int pk = 0, idx = 0, found = 0;

	harper_config(&cfg, db);
	drop_db(&cfg);
	st = ckpt_store_new(&cfg, &err);
	ck_assert_msg(st != NULL, "%s", err.msg);
	/* No table yet: an empty store, and reading does not create it. */
	ck_assert_int_eq(ckpt_list(st, NULL, &recs, &n, &err), 0);
	ck_assert_uint_eq(n, 0);
	check_forward_only(st);
	check_ack_fields(st);
	check_reset_unreadable(st, &cfg);
	ckpt_store_free(st);

	/* A fresh store object sees the table: the rest runs on it. */
	st = ckpt_store_new(&cfg, &err);
	ck_assert_msg(st != NULL, "%s", err.msg);
	check_rebalance(st);
	ck_assert_int_eq(ckpt_list(st, NULL, &recs, &n, &err), 0);
	ck_assert_uint_eq(n, 2);	/* t:0/1 and other:0/1 */
	ck_assert_str_eq(recs[0].table_id, "other");
	ck_assert_str_eq(recs[1].table_id, "t");
	ckpt_records_free(recs, n);

	/* The table: checkpointId key, nodeId and tableId indexed. */
	hc = harper_client_new(&cfg, &err);
	ck_assert_ptr_nonnull(hc);
	ck_assert_int_eq(harper_describe_table(hc, "SyncCheckpoint", &desc,
	    &err), 1);
	ck_assert_str_eq(cJSON_GetObjectItem(desc, "hash_attribute")->
	    valuestring, "checkpointId");
	cJSON_ArrayForEach(a, cJSON_GetObjectItem(desc, "attributes")) {
		const char *nm = cJSON_GetObjectItem(a, "attribute")->valuestring;

		if (cJSON_IsTrue(cJSON_GetObjectItem(a, "is_primary_key")))
			pk += strcmp(nm, "checkpointId") == 0;
		if (cJSON_IsTrue(cJSON_GetObjectItem(a, "indexed")))
			idx += strcmp(nm, "nodeId") == 0 ||
			    strcmp(nm, "tableId") == 0;
	}
	ck_assert_int_eq(pk, 1);
	ck_assert_int_eq(idx, 2);
	/* SQL sees every field (the monitoring query). */
	sql = xstrfmt("SELECT * FROM %s.SyncCheckpoint ORDER BY nodeId", db);
	ck_assert_msg(harper_sql(hc, sql, &rows, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(cJSON_GetArraySize(rows), 2);
	cJSON_ArrayForEach(a, rows) {
		const cJSON *ts = cJSON_GetObjectItem(a, "lastTimestamp");

		ck_assert(cJSON_IsString(ts));
		ck_assert(cJSON_IsNumber(cJSON_GetObjectItem(a,
		    "recordsIngested")));
		found += strcmp(ts->valuestring,
		    "2025-11-04T15:59:00.123456Z") == 0;
	}
	ck_assert_int_eq(found, 1);	/* other:0/1; t:0/1 was set back */
	cJSON_Delete(rows);
	free(sql);
	cJSON_Delete(desc);
	harper_client_free(hc);
	ckpt_store_free(st);
	drop_db(&cfg);
	config_release(&cfg);
	free(db);
}
END_TEST

static Suite *
ckpt_suite(void)
{
	Suite *s = suite_create("ckpt");
	TCase *tc = tcase_create("core");
	TCase *th;

	bqsync_set_verbosity(-1);	/* rebalancing warnings are expected */
	tcase_add_test(tc, test_record_roundtrip);
	tcase_add_test(tc, test_record_decode);
	tcase_add_test(tc, test_ack_parse);
	tcase_add_test(tc, test_ack_bounds);
	tcase_add_test(tc, test_phase_thresholds);
	tcase_add_test(tc, test_phase_settings);
	tcase_add_test(tc, test_phase_per_table);
	tcase_add_test(tc, test_parse_worker);
	tcase_add_test(tc, test_start_format);
	tcase_add_test(tc, test_file_forward_only);
	tcase_add_test(tc, test_file_atomic);
	tcase_add_test(tc, test_file_links);
	tcase_add_test(tc, test_file_reset_unreadable);
	tcase_add_test(tc, test_file_flock_shared);
	tcase_add_test(tc, test_file_rebalance);
	tcase_add_test(tc, test_bad_store);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	if (testlib_harper("check_ckpt") != NULL) {
		th = tcase_create("harper");
		tcase_add_test(th, test_harper_store);
		tcase_set_timeout(th, 120);
		suite_add_tcase(s, th);
	}
	return s;
}

CHECK_MAIN(ckpt_suite)
