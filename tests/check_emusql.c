/*
 * check_emusql: bq-emulator's GoogleSQL subset, translated and evaluated
 * in SQLite exactly as the server runs it.
 */
#include <check.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu/emusql.h"
#include "hash.h"
#include "ts.h"
#include "util.h"
#include "testlib.h"

static sqlite3 *db;
static cJSON *fields;

static const char *schema_json =
    "[{\"name\":\"ts\",\"type\":\"TIMESTAMP\"},"
    "{\"name\":\"mmsi\",\"type\":\"INTEGER\"},"
    "{\"name\":\"vessel_type\",\"type\":\"STRING\"},"
    "{\"name\":\"speed\",\"type\":\"FLOAT\"},"
    "{\"name\":\"tags\",\"type\":\"STRING\",\"mode\":\"REPEATED\"}]";

static int
lookup(void *arg, const char *p, const char *d, const char *t,
    char **sqlname, const cJSON **f)
{
	(void)arg;
	if (strcmp(p, "proj") != 0 || strcmp(d, "ds") != 0 ||
	    strcmp(t, "t") != 0)
		return -1;
	*sqlname = xstrdup("proj.ds.t");
	*f = fields;
	return 0;
}

static void
setup(void)
{
	ck_assert_int_eq(sqlite3_open(":memory:", &db), SQLITE_OK);
	ck_assert_int_eq(emusql_register(db), SQLITE_OK);
	fields = cJSON_Parse(schema_json);
	ck_assert_int_eq(sqlite3_exec(db, "CREATE TABLE \"proj.ds.t\"(ts "
	    "INTEGER, mmsi INTEGER, vessel_type TEXT, speed REAL, tags TEXT)",
	    NULL, NULL, NULL), SQLITE_OK);
}

static void
teardown(void)
{
	sqlite3_close(db);
	cJSON_Delete(fields);
}

static void
insert(int64_t ts, int64_t mmsi, const char *type, double speed)
{
	sqlite3_stmt *st;

	ck_assert_int_eq(sqlite3_prepare_v2(db, "INSERT INTO \"proj.ds.t\" "
	    "VALUES (?, ?, ?, ?, '[]')", -1, &st, NULL), SQLITE_OK);
	sqlite3_bind_int64(st, 1, ts);
	sqlite3_bind_int64(st, 2, mmsi);
	if (type)
		sqlite3_bind_text(st, 3, type, -1, SQLITE_STATIC);
	sqlite3_bind_double(st, 4, speed);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_DONE);
	sqlite3_finalize(st);
}

/*
 * Compiles and runs sql with params (a JSON array or NULL); returns the
 * rows as "a|b;c|d" (NULL as "NULL"), or "ERR <status>: <message>".
 */
static char *
run_full(const char *sql, const char *params, const char *dflt,
    struct emusql_query **keep)
{
	struct emusql_ctx ctx;
	struct bq_err err = BQ_ERR_INIT;
	struct emusql_query *q;
	struct strbuf sb = STRBUF_INIT;
	cJSON *pj = params ? cJSON_Parse(params) : NULL;
	sqlite3_stmt *st = NULL;
	int rc, i, nrow = 0;

	memset(&ctx, 0, sizeof(ctx));
	ctx.project = "proj";
	ctx.default_dataset = dflt;
	ctx.params = pj;
	ctx.lookup = lookup;
	ctx.now = 1700000000000000;
	q = emusql_compile(sql, &ctx, &err);
	if (q == NULL) {
		strbuf_addf(&sb, "ERR %ld: %s", err.http_status, err.msg);
		goto out;
	}
	ck_assert_msg(sqlite3_prepare_v2(db, q->sql, -1, &st, NULL) ==
	    SQLITE_OK, "%s: %s", q->sql, sqlite3_errmsg(db));
	ck_assert_int_eq(emusql_bind_all(q, st), SQLITE_OK);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (nrow++)
			strbuf_addch(&sb, ';');
		for (i = 0; i < sqlite3_column_count(st); i++) {
			const char *v = (const char *)sqlite3_column_text(st, i);

			strbuf_addf(&sb, "%s%s", i ? "|" : "", v ? v : "NULL");
		}
	}
	if (rc != SQLITE_DONE) {
		strbuf_reset(&sb);
		strbuf_addf(&sb, "ERR run: %s", sqlite3_errmsg(db));
	}
	if (q->kind == EMUSQL_DELETE && rc == SQLITE_DONE)
		strbuf_addf(&sb, "deleted %d", sqlite3_changes(db));
out:
	sqlite3_finalize(st);
	if (keep)
		*keep = q;
	else
		emusql_query_free(q);
	cJSON_Delete(pj);
	return strbuf_detach(&sb, NULL);
}

static char *
run(const char *sql, const char *params)
{
	return run_full(sql, params, NULL, NULL);
}

#define EXPECT(sql, params, want) do { \
	char *got_ = run((sql), (params)); \
	ck_assert_msg(strcmp(got_, (want)) == 0, "%s\n  got:  %s\n  want: %s", \
	    (sql), got_, (want)); \
	free(got_); \
} while (0)

#define EXPECT_ERR(sql, params, status) do { \
	char *got_ = run((sql), (params)); \
	char want_[16]; \
	snprintf(want_, sizeof(want_), "ERR %d", (status)); \
	ck_assert_msg(strncmp(got_, want_, strlen(want_)) == 0, \
	    "%s\n  got: %s\n  want: %s...", (sql), got_, want_); \
	free(got_); \
} while (0)

START_TEST(test_farm_fingerprint_vectors)
{
	struct strbuf sb = STRBUF_INIT;
	cJSON *doc, *v;
	int n = 0;

	ck_assert_int_eq(util_read_file(
	    "tests/fixtures/bigquery/farm_fingerprint_vectors.json", &sb), 0);
	doc = cJSON_Parse(sb.buf);
	ck_assert_ptr_nonnull(doc);
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(doc, "vectors")) {
		const char *hex = cJSON_GetObjectItem(v, "input_hex")->valuestring;
		const char *want = cJSON_GetObjectItem(v,
		    "farm_fingerprint_int64")->valuestring;
		char *sql = xstrfmt("SELECT FARM_FINGERPRINT(FROM_HEX('%s'))",
		    hex);
		char *got = run(sql, NULL);

		ck_assert_msg(strcmp(got, want) == 0, "vector %s: got %s, "
		    "want %s", cJSON_GetObjectItem(v, "label")->valuestring,
		    got, want);
		free(got);
		free(sql);
		n++;
	}
	ck_assert_int_eq(n, 33);
	cJSON_Delete(doc);
	strbuf_release(&sb);
	/* STRING input is its UTF-8 bytes; bytes literals work too. */
	EXPECT("SELECT FARM_FINGERPRINT('foo'), FARM_FINGERPRINT(b'foo')",
	    NULL, "6150913649986995171|6150913649986995171");
	EXPECT("SELECT FARM_FINGERPRINT('1footrue')", NULL,
	    "-1541654101129638711");
	EXPECT("SELECT FARM_FINGERPRINT(CAST(NULL AS STRING))", NULL, "NULL");
}
END_TEST

static const char *pull_sql =
    "SELECT * FROM `proj.ds.t` WHERE ABS(MOD(FARM_FINGERPRINT(CAST("
    "UNIX_MICROS(`ts`) AS STRING)), @n)) = @i AND `ts` > @cursor AND `ts` "
    "<= (SELECT MAX(`ts`) FROM (SELECT `ts` FROM `proj.ds.t` WHERE "
    "ABS(MOD(FARM_FINGERPRINT(CAST(UNIX_MICROS(`ts`) AS STRING)), @n)) = "
    "@i AND `ts` > @cursor ORDER BY `ts` LIMIT @limit)) ORDER BY `ts`";

static char *
pull_params(int n, int i, const char *cursor, int limit)
{
	return xstrfmt("[{\"name\":\"n\",\"parameterType\":{\"type\":"
	    "\"INT64\"},\"parameterValue\":{\"value\":\"%d\"}},"
	    "{\"name\":\"i\",\"parameterType\":{\"type\":\"INT64\"},"
	    "\"parameterValue\":{\"value\":%d}},"
	    "{\"name\":\"cursor\",\"parameterType\":{\"type\":\"TIMESTAMP\"},"
	    "\"parameterValue\":{\"value\":\"%s\"}},"
	    "{\"name\":\"limit\",\"parameterType\":{\"type\":\"INT64\"},"
	    "\"parameterValue\":{\"value\":\"%d\"}}]", n, i, cursor, limit);
}

static int
owner(int64_t micros, int n)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, micros);
	return (int)llabs(hash_farm_fingerprint(buf, strlen(buf)) % n);
}

START_TEST(test_pull_query_partitions)
{
	const int64_t base = 1699089600000000;	/* 2023-11-04T09:20:00Z */
	int i, w, total = 0, seen[200];

	memset(seen, 0, sizeof(seen));
	for (i = 0; i < 200; i++)
		insert(base + (int64_t)i * 1000003, i, "cargo", 1.0);
	for (w = 0; w < 3; w++) {
		char *p = pull_params(3, w, "2023-11-04T09:20:00.000000Z", 1000);
		char *got = run(pull_sql, p), *save = NULL, *row;
		int64_t prev = 0;

		for (row = strtok_r(got, ";", &save); row;
		    row = strtok_r(NULL, ";", &save)) {
			int64_t ts = strtoll(row, NULL, 10);
			int k = (int)((ts - base) / 1000003);

			ck_assert_int_gt(ts, base);	/* ts > cursor */
			ck_assert_int_ge(ts, prev);	/* ascending */
			prev = ts;
			ck_assert_int_eq(owner(ts, 3), w);
			seen[k]++;
			total++;
		}
		free(got);
		free(p);
	}
	/* Every row after the cursor exactly once, row 0 (= cursor) never. */
	ck_assert_int_eq(total, 199);
	ck_assert_int_eq(seen[0], 0);
	for (i = 1; i < 200; i++)
		ck_assert_int_eq(seen[i], 1);
}
END_TEST

START_TEST(test_pull_query_completes_last_group)
{
	const int64_t t0 = 1699089600000000;
	char *p, *got;
	int i;

	/* Five rows share one timestamp: LIMIT 2 still returns all five. */
	insert(t0 + 1, 1, "a", 0);
	for (i = 0; i < 5; i++)
		insert(t0 + 2, 10 + i, "a", 0);
	insert(t0 + 3, 20, "a", 0);
	p = pull_params(1, 0, "2023-11-04 09:20:00", 2);
	got = run("SELECT mmsi FROM proj.ds.t WHERE ts > @cursor AND ts <= "
	    "(SELECT MAX(ts) FROM (SELECT ts FROM proj.ds.t WHERE ts > @cursor "
	    "ORDER BY ts LIMIT @limit)) AND MOD(UNIX_MICROS(ts), @n) = @i "
	    "ORDER BY ts, mmsi", p);
	ck_assert_str_eq(got, "1;10;11;12;13;14");
	free(got);
	free(p);
	/* Lookback: TIMESTAMP_SUB(@cursor, INTERVAL 300 SECOND). */
	EXPECT("SELECT COUNT(*) FROM ds.t WHERE ts > TIMESTAMP_SUB(@c, "
	    "INTERVAL 300 SECOND)", "[{\"name\":\"c\",\"parameterType\":"
	    "{\"type\":\"TIMESTAMP\"},\"parameterValue\":{\"value\":"
	    "\"2023-11-04T09:25:00.000001500Z\"}}]", "6");
}
END_TEST

START_TEST(test_synth_queries)
{
	insert(1000000, 1, "cargo", 1.5);
	insert(2000000, 2, "cargo", 2.5);
	insert(3000000, 2, "tanker", 3.5);
	EXPECT("SELECT COUNT(*) AS n, MIN(ts) AS oldest, MAX(ts) AS newest "
	    "FROM `proj.ds.t`", NULL, "3|1000000|3000000");
	EXPECT("SELECT COUNT(DISTINCT mmsi) FROM proj.ds.t", NULL, "2");
	EXPECT("SELECT vessel_type, COUNT(*) AS n, AVG(speed) FROM ds.t "
	    "GROUP BY vessel_type ORDER BY n DESC", NULL,
	    "cargo|2|2.0;tanker|1|3.5");
	EXPECT("SELECT vessel_type, COUNT(*) FROM ds.t GROUP BY vessel_type "
	    "ORDER BY COUNT(*), vessel_type", NULL, "tanker|1;cargo|2");
	EXPECT("SELECT DISTINCT vessel_type FROM ds.t ORDER BY vessel_type "
	    "DESC", NULL, "tanker;cargo");
	EXPECT("SELECT vessel_type AS v, SUM(mmsi) FROM ds.t GROUP BY v "
	    "HAVING SUM(mmsi) > 2 ORDER BY 1", NULL, "cargo|3");
	EXPECT("DELETE FROM `proj.ds.t` WHERE ts < @cutoff",
	    "[{\"name\":\"cutoff\",\"parameterType\":{\"type\":\"TIMESTAMP\"},"
	    "\"parameterValue\":{\"value\":\"1970-01-01 00:00:02+00:00\"}}]",
	    "deleted 1");
	EXPECT("DELETE FROM proj.ds.t WHERE TRUE", NULL, "deleted 2");
	EXPECT("SELECT COUNT(*) FROM ds.t", NULL, "0");
	EXPECT_ERR("DELETE FROM ds.t", NULL, 400);
}
END_TEST

START_TEST(test_table_references)
{
	struct emusql_query *q = NULL;
	char *got;

	insert(1, 1, "a", 0);
	EXPECT("SELECT mmsi FROM ds.t", NULL, "1");
	EXPECT("SELECT mmsi FROM proj.ds.t", NULL, "1");
	EXPECT("SELECT mmsi FROM `proj.ds.t`", NULL, "1");
	EXPECT("SELECT mmsi FROM `proj`.`ds`.`t`", NULL, "1");
	EXPECT("SELECT x.mmsi FROM `ds.t` AS x", NULL, "1");
	EXPECT("SELECT t.mmsi FROM ds.t", NULL, "1");
	EXPECT_ERR("SELECT mmsi FROM t", NULL, 400);
	got = run_full("SELECT mmsi FROM t", NULL, "ds", &q);
	ck_assert_str_eq(got, "1");
	ck_assert_uint_eq(q->ntables, 1);
	ck_assert_str_eq(q->tables[0], "proj.ds.t");
	free(got);
	emusql_query_free(q);
	EXPECT_ERR("SELECT 1 FROM ds.missing", NULL, 404);
	EXPECT_ERR("SELECT 1 FROM other.ds.t", NULL, 404);
}
END_TEST

START_TEST(test_result_types)
{
	struct emusql_query *q = NULL;
	char *got;

	insert(1, 1, "a", 0.5);
	got = run_full("SELECT ts, mmsi AS m, vessel_type, speed, tags, "
	    "COUNT(*) OVER_NOT_SUPPORTED FROM ds.t", NULL, NULL, &q);
	ck_assert_msg(strncmp(got, "ERR 400", 7) == 0, "%s", got);
	free(got);
	emusql_query_free(q);
	got = run_full("SELECT ts, mmsi AS m, vessel_type, speed, tags, 1, "
	    "1.5, 'x', TRUE, NULL, MIN(ts) FROM ds.t GROUP BY 1, 2, 3, 4, 5",
	    NULL, NULL, &q);
	ck_assert_msg(strncmp(got, "ERR 400", 7) == 0, "grouping by RECORD: %s",
	    got);
	free(got);
	emusql_query_free(q);
	got = run_full("SELECT ts, mmsi AS m, vessel_type, speed, tags, 1, "
	    "1.5, 'x', TRUE, NULL FROM ds.t", NULL, NULL, &q);
	ck_assert_uint_eq(q->ncols, 10);
	ck_assert_int_eq(q->cols[0].type, EMU_T_TIMESTAMP);
	ck_assert_str_eq(q->cols[1].name, "m");
	ck_assert_int_eq(q->cols[1].type, EMU_T_INT64);
	ck_assert_int_eq(q->cols[2].type, EMU_T_STRING);
	ck_assert_int_eq(q->cols[3].type, EMU_T_FLOAT64);
	ck_assert_int_eq(q->cols[4].type, EMU_T_NESTED);
	ck_assert_ptr_nonnull(q->cols[4].field);
	ck_assert_str_eq(q->cols[5].name, "f0_");
	ck_assert_int_eq(q->cols[6].type, EMU_T_FLOAT64);
	ck_assert_int_eq(q->cols[7].type, EMU_T_STRING);
	ck_assert_int_eq(q->cols[8].type, EMU_T_BOOL);
	ck_assert_str_eq(q->cols[9].name, "f4_");
	ck_assert_int_eq(q->cols[9].type, EMU_T_INT64);
	free(got);
	emusql_query_free(q);
	EXPECT_ERR("SELECT mmsi, mmsi FROM ds.t", NULL, 400);
}
END_TEST

START_TEST(test_mod_abs_edges)
{
	EXPECT("SELECT MOD(-7, 3), MOD(7, -3), MOD(-9223372036854775808, -1)",
	    NULL, "-1|1|0");
	EXPECT("SELECT ABS(-5), ABS(MOD(-9223372036854775808, 10)), "
	    "ABS(-2.5)", NULL, "5|8|2.5");
	EXPECT("SELECT MOD(1, 0)", NULL, "ERR run: division by zero: "
	    "MOD(1, 0)");
	EXPECT("SELECT ABS(-9223372036854775808)", NULL,
	    "ERR run: int64 overflow: ABS(-9223372036854775808)");
	EXPECT("SELECT 9223372036854775807 + 1", NULL,
	    "ERR run: int64 overflow: 9223372036854775807 + 1");
	EXPECT("SELECT 1 / 0", NULL, "ERR run: division by zero: 1 / 0");
	EXPECT("SELECT 7 / 2, SAFE_DIVIDE(1, 0)", NULL, "3.5|NULL");
	EXPECT_ERR("SELECT MOD(1.5, 2)", NULL, 400);
	EXPECT_ERR("SELECT ABS('x')", NULL, 400);
	EXPECT_ERR("SELECT 9223372036854775808", NULL, 400);
}
END_TEST

/* What bq-verify's queries need: DIV, BIT_XOR, TO_JSON_STRING of a row. */
START_TEST(test_verify_functions)
{
	insert(1000000, 7, "a", 1.5);
	insert(2500000, 8, NULL, 2.0);
	insert(3100000, 7, "c", 3.0);
	EXPECT("SELECT DIV(7, 2), DIV(-7, 2), DIV(7, -2)", NULL, "3|-3|-3");
	EXPECT("SELECT DIV(1, 0)", NULL, "ERR run: division by zero: 1 / 0");
	EXPECT_ERR("SELECT DIV(1.5, 2)", NULL, 400);
	EXPECT("SELECT BIT_XOR(mmsi), BIT_XOR(IF(mmsi = 8, NULL, UNIX_MICROS(ts))) "
	    "FROM proj.ds.t", NULL, "8|2101024");
	EXPECT("SELECT BIT_XOR(mmsi) FROM proj.ds.t WHERE mmsi > 100", NULL,
	    "NULL");
	EXPECT_ERR("SELECT BIT_XOR(speed) FROM proj.ds.t", NULL, 400);
	/* a row as JSON; nulls kept, or stripped */
	EXPECT("SELECT TO_JSON_STRING(t) FROM proj.ds.t AS t WHERE mmsi = 8",
	    NULL, "{\"ts\":2500000,\"mmsi\":8,\"vessel_type\":null,"
	    "\"speed\":2.0,\"tags\":[]}");
	EXPECT("SELECT TO_JSON_STRING(JSON_STRIP_NULLS(TO_JSON(t))) FROM "
	    "proj.ds.t AS t WHERE mmsi = 8", NULL, "{\"ts\":2500000,"
	    "\"mmsi\":8,\"speed\":2.0,\"tags\":[]}");
	EXPECT("SELECT TO_JSON_STRING(STRUCT(t.mmsi, t.vessel_type)) FROM "
	    "proj.ds.t AS t WHERE speed = 1.5", NULL,
	    "{\"mmsi\":7,\"vessel_type\":\"a\"}");
	EXPECT_ERR("SELECT TO_JSON_STRING(mmsi) FROM proj.ds.t", NULL, 400);
	insert(4000000, 9, "d", 1e308 * 10);	/* +Infinity */
	EXPECT("SELECT TO_JSON_STRING(STRUCT(t.speed)) FROM proj.ds.t AS t "
	    "WHERE mmsi = 9", NULL, "{\"speed\":\"Infinity\"}");
	EXPECT("DELETE FROM proj.ds.t WHERE mmsi = 9", NULL, "deleted 1");
	/* bq-verify's window query: count and digest per window */
	EXPECT("SELECT DIV(UNIX_MICROS(ts) - 1000000, 1000000) AS b, "
	    "COUNT(*) AS n, BIT_XOR(FARM_FINGERPRINT(TO_JSON_STRING("
	    "JSON_STRIP_NULLS(TO_JSON(`_t`))))) = FARM_FINGERPRINT("
	    "TO_JSON_STRING(JSON_STRIP_NULLS(TO_JSON(`_t`)))) FROM "
	    "proj.ds.t AS _t GROUP BY b ORDER BY b", NULL,
	    "0|1|1;1|1|1;2|1|1");
	/* the latest row per key, by a correlated MAX */
	EXPECT("SELECT ts FROM proj.ds.t AS _t WHERE _t.ts = (SELECT "
	    "MAX(_u.ts) FROM proj.ds.t AS _u WHERE _u.mmsi = _t.mmsi) "
	    "ORDER BY ts", NULL, "2500000;3100000");
}
END_TEST

START_TEST(test_timestamps)
{
	EXPECT("SELECT UNIX_MICROS(TIMESTAMP '2023-11-04 09:20:00.123456+00'),"
	    " UNIX_MILLIS(TIMESTAMP('1969-12-31 23:59:59.9995')), "
	    "UNIX_SECONDS(TIMESTAMP_MICROS(1500000))", NULL,
	    "1699089600123456|-1|1");
	EXPECT("SELECT UNIX_MICROS(TIMESTAMP_TRUNC(TIMESTAMP "
	    "'2023-11-04 09:20:07.5', HOUR)), UNIX_MICROS(TIMESTAMP_TRUNC("
	    "TIMESTAMP '2023-11-04 09:20:07', DAY)), CAST(TIMESTAMP_TRUNC("
	    "TIMESTAMP '2023-11-04 09:20:07', MONTH) AS STRING), CAST("
	    "TIMESTAMP_TRUNC(TIMESTAMP '2023-11-04', WEEK) AS STRING)", NULL,
	    "1699088400000000|1699056000000000|2023-11-01 00:00:00+00|"
	    "2023-10-29 00:00:00+00");
	EXPECT("SELECT CAST(TIMESTAMP_ADD(TIMESTAMP '2023-11-04 09:20:00', "
	    "INTERVAL 90 MINUTE) AS STRING), CAST(TIMESTAMP_SUB(TIMESTAMP "
	    "'2023-11-04 09:20:00', INTERVAL 1 MICROSECOND) AS STRING), "
	    "TIMESTAMP_DIFF(TIMESTAMP '2023-11-05', TIMESTAMP '2023-11-04', "
	    "HOUR)", NULL, "2023-11-04 10:50:00+00|"
	    "2023-11-04 09:19:59.999999+00|24");
	EXPECT("SELECT CAST(TIMESTAMP '2023-11-04 09:20:00.25' AS STRING), "
	    "CAST('2023-11-04T09:20:00Z' AS TIMESTAMP) = TIMESTAMP "
	    "'2023-11-04 09:20:00', CURRENT_TIMESTAMP() = "
	    "TIMESTAMP_MICROS(1700000000000000), CURRENT_TIMESTAMP > "
	    "'2020-01-01'", NULL, "2023-11-04 09:20:00.250+00|1|1|1");
	EXPECT_ERR("SELECT CAST('nope' AS TIMESTAMP)", NULL, 400);
	EXPECT("SELECT CAST(CONCAT('no', 'pe') AS TIMESTAMP)", NULL,
	    "ERR run: Bad TIMESTAMP value: nope");
	EXPECT("SELECT SAFE_CAST('nope' AS TIMESTAMP)", NULL, "NULL");
	EXPECT_ERR("SELECT TIMESTAMP 'nope'", NULL, 400);
	EXPECT_ERR("SELECT TIMESTAMP_ADD(TIMESTAMP '2023-01-01', INTERVAL 1 "
	    "YEAR)", NULL, 400);
	EXPECT_ERR("SELECT UNIX_MICROS(5)", NULL, 400);
}
END_TEST

START_TEST(test_casts_and_functions)
{
	EXPECT("SELECT CAST(42 AS STRING), CAST('42' AS INT64), CAST(2.5 AS "
	    "INT64), CAST(-2.5 AS INT64), CAST(TRUE AS STRING), CAST('1.5' AS "
	    "FLOAT64), CAST(1 AS BOOL)", NULL, "42|42|3|-3|true|1.5|1");
	EXPECT("SELECT CAST('x' AS INT64)", NULL, "ERR run: Bad INTEGER "
	    "value: x");
	EXPECT("SELECT COALESCE(NULL, 2), IFNULL(NULL, 'a'), IF(1 < 2, 'y', "
	    "'n'), NULLIF(1, 1), LENGTH('héllo'), UPPER('ab'), CONCAT('a', "
	    "'b', 'c'), TO_HEX(FROM_HEX('00ff'))", NULL,
	    "2|a|y|NULL|5|AB|abc|00ff");
	EXPECT("SELECT CASE WHEN 1 > 2 THEN 'a' WHEN 2 > 1 THEN 'b' END, "
	    "CASE 3 WHEN 3 THEN 1.5 ELSE 2 END, 5 BETWEEN 1 AND 10, 3 IN (1, "
	    "2), 'abc' LIKE 'a%', 'ABC' LIKE 'a%', NULL IS NULL, NOT TRUE",
	    NULL, "b|1.5|1|0|1|0|1|0");
	EXPECT("SELECT x FROM (SELECT 1 AS x) WHERE x IN (SELECT 1)", NULL,
	    "1");
	EXPECT("SELECT 'a_c' LIKE 'a\\\\_c', 'abc' LIKE 'a\\\\_c', "
	    "'50%' LIKE '50\\\\%', LOWER('ABC')", NULL, "1|0|1|abc");
	EXPECT("SELECT LOWER('ÀB')", NULL, "ERR run: LOWER of non-ASCII "
	    "text is not supported by bq-emulator");
	EXPECT("SELECT CAST(0.1 AS STRING), CAST(1.0 / 3 AS STRING), "
	    "CAST(1e20 AS STRING)", NULL, "0.1|0.3333333333333333|1e+20");
	EXPECT("SELECT SAFE_CAST('1' AS BOOL), CAST('TRUE' AS BOOL)", NULL,
	    "NULL|1");
	EXPECT_ERR("SELECT TRIM(' a ')", NULL, 400);
	EXPECT_ERR("SELECT CONCAT('a', 1)", NULL, 400);
	EXPECT_ERR("SELECT 1 = 'a'", NULL, 400);
}
END_TEST

START_TEST(test_parameters)
{
	const char *p = "[{\"name\":\"id\",\"parameterType\":{\"type\":"
	    "\"INT64\"},\"parameterValue\":{\"value\":5}},{\"name\":\"name\","
	    "\"parameterType\":{\"type\":\"STRING\"},\"parameterValue\":"
	    "{\"value\":\"bob\"}},{\"name\":\"ts\",\"parameterType\":{\"type\":"
	    "\"TIMESTAMP\"},\"parameterValue\":{\"value\":"
	    "\"2023-11-04T09:30:00.123456000Z\"}},{\"name\":\"big\","
	    "\"parameterType\":{\"type\":\"INT64\"},\"parameterValue\":"
	    "{\"value\":\"9007199254740993\"}},{\"name\":\"n\","
	    "\"parameterType\":{\"type\":\"STRING\"},\"parameterValue\":"
	    "{\"value\":null}}]";

	EXPECT("SELECT @id, @NAME, UNIX_MICROS(@ts), @big + 0, @n IS NULL, "
	    "@id * 2", p, "5|bob|1699090200123456|9007199254740993|1|10");
	EXPECT("SELECT ?, ?", "[{\"parameterType\":{\"type\":\"INT64\"},"
	    "\"parameterValue\":{\"value\":\"7\"}},{\"parameterType\":{\"type\":"
	    "\"TIMESTAMP\"},\"parameterValue\":{\"value\":"
	    "\"2023-11-04 09:30:00.123456\"}}]", "7|1699090200123456");
	EXPECT_ERR("SELECT @missing", p, 400);
	EXPECT_ERR("SELECT @a", "[{\"name\":\"a\",\"parameterType\":{\"type\":"
	    "\"TIMESTAMP\"},\"parameterValue\":{\"value\":\"yesterday\"}}]",
	    400);
	EXPECT_ERR("SELECT @a", "[{\"name\":\"a\",\"parameterType\":{\"type\":"
	    "\"ARRAY\",\"arrayType\":{\"type\":\"STRING\"}},\"parameterValue\":"
	    "{\"arrayValues\":[{\"value\":\"a\"}]}}]", 400);
}
END_TEST

/* nest(pre, mid, post, n): pre n times, mid, post n times. */
static char *
nest(const char *pre, const char *mid, const char *post, int n)
{
	struct strbuf sb = STRBUF_INIT;
	int i;

	for (i = 0; i < n; i++)
		strbuf_adds(&sb, pre);
	strbuf_adds(&sb, mid);
	for (i = 0; i < n; i++)
		strbuf_adds(&sb, post);
	return strbuf_detach(&sb, NULL);
}

/*
 * 5,000 nested parentheses, unary minus signs, NOTs or subqueries are a
 * 400 (the recursive parser once overflowed its stack); 10 still work
 * (SQLite itself refuses 20 nested subqueries).
 */
START_TEST(test_nesting_depth)
{
	static const struct {
		const char *pre, *mid, *post;
	} k[] = {
		{ "(", "1", ")" },
		{ "- ", "1", "" },
		{ "NOT ", "TRUE", "" },
		{ "(SELECT ", "1", ")" },
	};
	char *inner, *sql, *got;
	size_t i;

	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		inner = nest(k[i].pre, k[i].mid, k[i].post, 5000);
		sql = xstrfmt("SELECT %s", inner);
		got = run(sql, NULL);
		ck_assert_msg(strncmp(got, "ERR 400: ", 9) == 0 &&
		    strstr(got, "too complex") != NULL, "%.60s: %s", sql, got);
		free(got);
		free(sql);
		free(inner);
		inner = nest(k[i].pre, k[i].mid, k[i].post, 10);
		sql = xstrfmt("SELECT %s", inner);
		got = run(sql, NULL);
		ck_assert_msg(strncmp(got, "ERR", 3) != 0, "%.60s: %s", sql,
		    got);
		free(got);
		free(sql);
		free(inner);
	}
	sql = nest("(", "SELECT 1", ")", 5000);
	EXPECT_ERR(sql, NULL, 400);
	free(sql);
}
END_TEST

START_TEST(test_unsupported_is_invalid_query)
{
	static const char *bad[] = {
		"SELECT * FROM ds.t a JOIN ds.t b ON a.mmsi = b.mmsi",
		"SELECT 1 UNION ALL SELECT 2",
		"WITH x AS (SELECT 1) SELECT * FROM x",
		"SELECT ROW_NUMBER() OVER () FROM ds.t",
		"SELECT mmsi, COUNT(*) FROM ds.t",
		"SELECT vessel_type, mmsi FROM ds.t GROUP BY vessel_type",
		"SELECT nosuch FROM ds.t",
		"SELECT tags[OFFSET(0)] FROM ds.t",
		"UPDATE ds.t SET mmsi = 1 WHERE TRUE",
		"INSERT INTO ds.t (mmsi) VALUES (1)",
		"SELECT 1 FROM ds.t WHERE COUNT(*) > 1",
		"SELECT 'unterminated",
		"SELEC 1",
		"SELECT 1 +",
		"SELECT SUM(vessel_type) FROM ds.t",
		"SELECT * FROM UNNEST([1, 2])",
		"SELECT 1 FROM ds.t WHERE mmsi",
		"SELECT vessel_type, COUNT(*) FROM ds.t GROUP BY vessel_type "
		    "ORDER BY mmsi",
		"SELECT DISTINCT vessel_type FROM ds.t ORDER BY mmsi",
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		EXPECT_ERR(bad[i], NULL, 400);
}
END_TEST

START_TEST(test_value_from_text)
{
	struct emusql_bind b;
	struct bq_err err = BQ_ERR_INIT;

	ck_assert_int_eq(emusql_value_from_text(EMU_T_NUMERIC, "-0012.500",
	    &b, &err), 0);
	ck_assert_str_eq(b.s, "-12.5");
	free(b.s);
	ck_assert_int_eq(emusql_value_from_text(EMU_T_DATETIME,
	    "2023-11-04 09:30:00.25", &b, &err), 0);
	ck_assert_str_eq(b.s, "2023-11-04T09:30:00.250000");
	free(b.s);
	ck_assert_int_eq(emusql_value_from_text(EMU_T_DATE, "2023-02-29", &b,
	    &err), -1);
	ck_assert_int_eq(emusql_value_from_text(EMU_T_BYTES, "AAEC/w==", &b,
	    &err), 0);
	ck_assert_uint_eq(b.len, 4);
	ck_assert_int_eq((unsigned char)b.s[3], 0xff);
	free(b.s);
	ck_assert_int_eq(emusql_value_from_text(EMU_T_INT64,
	    "-9223372036854775808", &b, &err), 0);
	ck_assert(b.i == INT64_MIN);
	ck_assert_int_eq(emusql_value_from_text(EMU_T_INT64,
	    "9223372036854775808", &b, &err), -1);
}
END_TEST

static Suite *
emusql_suite(void)
{
	Suite *s = suite_create("emusql");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_farm_fingerprint_vectors);
	tcase_add_test(tc, test_pull_query_partitions);
	tcase_add_test(tc, test_pull_query_completes_last_group);
	tcase_add_test(tc, test_synth_queries);
	tcase_add_test(tc, test_table_references);
	tcase_add_test(tc, test_result_types);
	tcase_add_test(tc, test_mod_abs_edges);
	tcase_add_test(tc, test_timestamps);
	tcase_add_test(tc, test_casts_and_functions);
	tcase_add_test(tc, test_parameters);
	tcase_add_test(tc, test_unsupported_is_invalid_query);
	tcase_add_test(tc, test_nesting_depth);
	tcase_add_test(tc, test_value_from_text);
	tcase_add_test(tc, test_verify_functions);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(emusql_suite)
