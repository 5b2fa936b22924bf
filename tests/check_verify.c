/*
 * check_verify: bq-verify's pure parts: fingerprint values as Harper
 * returns them, the row diff by id, and the BigQuery SQL per window.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "verify.h"
#include "testlib.h"
#include "banned.h"

static int
fp_of(const char *json, int64_t *fp)
{
	cJSON *v = cJSON_Parse(json);
	int rc;

	ck_assert(v != NULL);
	rc = verify_parse_fp(v, fp);
	cJSON_Delete(v);
	return rc;
}

START_TEST(test_parse_fp)
{
	int64_t fp = 0;

	ck_assert_int_eq(fp_of("42", &fp), 0);
	ck_assert_int_eq(fp, 42);
	ck_assert_int_eq(fp_of("-9007199254740992", &fp), 0);
	ck_assert(fp == -9007199254740992LL);
	/* beyond 2^53 bq-pull writes strings: every digit counts */
	ck_assert_int_eq(fp_of("\"-1234567890123456789\"", &fp), 0);
	ck_assert(fp == -1234567890123456789LL);
	ck_assert_int_eq(fp_of("\"9223372036854775807\"", &fp), 0);
	ck_assert(fp == INT64_MAX);
	/* a double that lost digits, or no fingerprint, is no fingerprint */
	ck_assert_int_eq(fp_of("-1234567890123456800", &fp), -1);
	ck_assert_int_eq(fp_of("1.5", &fp), -1);
	ck_assert_int_eq(fp_of("null", &fp), -1);
	ck_assert_int_eq(fp_of("\"\"", &fp), -1);
	ck_assert_int_eq(fp_of("\"12x\"", &fp), -1);
	ck_assert_int_eq(fp_of("\"99999999999999999999\"", &fp), -1);
	ck_assert_int_eq(verify_parse_fp(NULL, &fp), -1);
	/* bqrow keeps small INT64 as raw numbers */
	{
		cJSON *raw = cJSON_CreateRaw("4503599627370497");

		ck_assert_int_eq(verify_parse_fp(raw, &fp), 0);
		ck_assert(fp == 4503599627370497LL);
		cJSON_Delete(raw);
	}
}
END_TEST

static void
set(struct verify_row *r, const char *id, int64_t fp, int has)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->id, sizeof(r->id), "%s", id);
	r->fp = fp;
	r->has_fp = has;
}

START_TEST(test_diff_kinds)
{
	struct verify_row bq[5], h[5];
	struct verify_result r;
	char bm[5], hm[5];

	memset(&r, 0, sizeof(r));
	/* out of order on purpose: the diff sorts */
	set(&bq[0], "e", 5, 1);		/* missing */
	set(&bq[1], "a", 1, 1);		/* equal */
	set(&bq[2], "c", 3, 1);		/* changed */
	set(&bq[3], "d", 4, 1);		/* Harper row without _fp: changed */
	set(&bq[4], "b", 2, 1);		/* equal */
	set(&h[0], "b", 2, 1);
	set(&h[1], "a", 1, 1);
	set(&h[2], "c", 30, 1);
	set(&h[3], "d", 0, 0);
	set(&h[4], "z", 9, 1);		/* extra */
	verify_diff(bq, 5, bm, h, 5, hm, &r);
	ck_assert_int_eq(r.missing, 1);
	ck_assert_int_eq(r.extra, 1);
	ck_assert_int_eq(r.changed, 2);
	ck_assert_str_eq(bq[4].id, "e");
	ck_assert_int_eq(bm[4], 'm');
	ck_assert_str_eq(bq[2].id, "c");
	ck_assert_int_eq(bm[2], 'c');
	ck_assert_int_eq(bm[3], 'c');
	ck_assert_int_eq(bm[0], 0);
	ck_assert_int_eq(bm[1], 0);
	ck_assert_str_eq(h[4].id, "z");
	ck_assert_int_eq(hm[4], 'x');
	ck_assert_int_eq(hm[0] | hm[1] | hm[2] | hm[3], 0);
}
END_TEST

START_TEST(test_diff_edges)
{
	struct verify_row bq[3], h[1];
	struct verify_result r;
	char bm[3], hm[1];

	/* nothing on either side */
	memset(&r, 0, sizeof(r));
	verify_diff(bq, 0, bm, h, 0, hm, &r);
	ck_assert_int_eq(r.missing + r.extra + r.changed, 0);
	/* equal rows in BigQuery share one id: Harper's one row is enough */
	set(&bq[0], "a", 7, 1);
	set(&bq[1], "a", 7, 1);
	set(&bq[2], "b", 8, 1);
	set(&h[0], "a", 7, 1);
	verify_diff(bq, 3, bm, h, 1, hm, &r);
	ck_assert_int_eq(r.missing, 1);
	ck_assert_int_eq(r.extra, 0);
	ck_assert_int_eq(r.changed, 0);
	ck_assert_int_eq(bm[2], 'm');
	/* everything extra */
	memset(&r, 0, sizeof(r));
	verify_diff(bq, 0, bm, h, 1, hm, &r);
	ck_assert_int_eq(r.extra, 1);
	ck_assert_int_eq(hm[0], 'x');
}
END_TEST

static void
opts_for(struct config *cfg, struct config_table **t, struct verify_opts *o)
{
	config_init(cfg);
	*t = config_table_add(cfg, "vp");
	config_set_str(&(*t)->dataset, "ds");
	config_set_str(&(*t)->timestamp_column, "ts");
	memset(o, 0, sizeof(*o));
	o->cfg = cfg;
	o->t = *t;
	o->project = "p";
	o->nworkers = 1;
}

START_TEST(test_windows_sql)
{
	struct config cfg;
	struct config_table *t;
	struct verify_opts o;
	struct strbuf sb = STRBUF_INIT;
	struct bq_err err = BQ_ERR_INIT;
	static char *const key[] = { (char *)"mmsi" };

	opts_for(&cfg, &t, &o);
	ck_assert_int_eq(verify_windows_sql(&sb, &o, &err), 0);
	ck_assert_str_eq(sb.buf, "SELECT DIV(UNIX_MICROS(`ts`) - "
	    "UNIX_MICROS(@from), @width) AS b, COUNT(*) AS n, "
	    "BIT_XOR(FARM_FINGERPRINT(TO_JSON_STRING(JSON_STRIP_NULLS("
	    "TO_JSON(`_t`))))) AS x "
	    "FROM `p.ds.vp` AS _t WHERE `ts` >= @from AND `ts` < @to "
	    "GROUP BY b ORDER BY b");
	/* --quick references the timestamp column only */
	strbuf_reset(&sb);
	o.quick = 1;
	ck_assert_int_eq(verify_windows_sql(&sb, &o, &err), 0);
	ck_assert_ptr_null(strstr(sb.buf, "TO_JSON_STRING"));
	/* a worker's share, as bq-pull's */
	strbuf_reset(&sb);
	o.nworkers = 3;
	o.worker = 1;
	ck_assert_int_eq(verify_windows_sql(&sb, &o, &err), 0);
	ck_assert_ptr_nonnull(strstr(sb.buf, " AND ABS(MOD(FARM_FINGERPRINT("
	    "CAST(UNIX_MICROS(`ts`) AS STRING)), @n)) = @i GROUP BY b"));
	/*
	 * natural keys: the latest version per key only, in bq-pull's share
	 * (by the key), before the window's bounds
	 */
	strbuf_reset(&sb);
	t->id_columns = (char **)key;
	t->nid_columns = 1;
	ck_assert_int_eq(verify_windows_sql(&sb, &o, &err), 0);
	ck_assert_str_eq(sb.buf, "SELECT DIV(UNIX_MICROS(`ts`) - "
	    "UNIX_MICROS(@from), @width) AS b, COUNT(*) AS n FROM (SELECT "
	    "`ts` FROM `p.ds.vp` AS _t WHERE ABS(MOD(FARM_FINGERPRINT(CONCAT("
	    "IFNULL(CAST(`mmsi` AS STRING), ''))), @n)) = @i QUALIFY "
	    "ROW_NUMBER() OVER (PARTITION BY `mmsi` ORDER BY `ts` DESC) = 1) "
	    "WHERE `ts` >= @from AND `ts` < @to GROUP BY b ORDER BY b");
	/* the digest is computed inside, combined outside */
	strbuf_reset(&sb);
	o.quick = 0;
	o.nworkers = 1;
	ck_assert_int_eq(verify_windows_sql(&sb, &o, &err), 0);
	ck_assert_str_eq(sb.buf, "SELECT DIV(UNIX_MICROS(`ts`) - "
	    "UNIX_MICROS(@from), @width) AS b, COUNT(*) AS n, BIT_XOR(_fp) "
	    "AS x FROM (SELECT `ts`, FARM_FINGERPRINT(TO_JSON_STRING("
	    "JSON_STRIP_NULLS(TO_JSON(`_t`)))) AS _fp FROM `p.ds.vp` AS _t "
	    "WHERE TRUE QUALIFY ROW_NUMBER() OVER (PARTITION BY `mmsi` ORDER "
	    "BY `ts` DESC) = 1) WHERE `ts` >= @from AND `ts` < @to GROUP BY b "
	    "ORDER BY b");
	ck_assert_ptr_null(strstr(sb.buf, "MAX("));
	/* idColumn is a natural key too */
	strbuf_reset(&sb);
	t->id_columns = NULL;
	t->nid_columns = 0;
	config_set_str(&t->id_column, "mmsi");
	ck_assert_int_eq(verify_windows_sql(&sb, &o, &err), 0);
	ck_assert_ptr_nonnull(strstr(sb.buf, "QUALIFY ROW_NUMBER() OVER ("
	    "PARTITION BY `mmsi` ORDER BY `ts` DESC) = 1"));
	free(t->id_column);
	t->id_column = NULL;
	t->id_columns = NULL;
	t->nid_columns = 0;
	strbuf_release(&sb);
	config_release(&cfg);
}
END_TEST

START_TEST(test_rows_sql)
{
	struct config cfg;
	struct config_table *t;
	struct verify_opts o;
	struct strbuf sb = STRBUF_INIT;
	struct bq_err err = BQ_ERR_INIT;
	static char *const cols[] = { (char *)"ts", (char *)"a" };

	opts_for(&cfg, &t, &o);
	ck_assert_int_eq(verify_rows_sql(&sb, &o, &err), 0);
	ck_assert_str_eq(sb.buf, "SELECT *, FARM_FINGERPRINT(TO_JSON_STRING("
	    "JSON_STRIP_NULLS(TO_JSON(`_t`)))) AS _fp FROM `p.ds.vp` AS _t WHERE `ts` >= @from AND "
	    "`ts` < @to");
	/* configured columns: the fingerprint covers those only */
	strbuf_reset(&sb);
	t->columns = (char **)cols;
	t->ncolumns = 2;
	ck_assert_int_eq(verify_rows_sql(&sb, &o, &err), 0);
	ck_assert_str_eq(sb.buf, "SELECT `ts`, `a`, FARM_FINGERPRINT("
	    "TO_JSON_STRING(JSON_STRIP_NULLS(TO_JSON(STRUCT(`_t`.`ts`, "
	    "`_t`.`a`))))) AS _fp FROM "
	    "`p.ds.vp` AS _t WHERE `ts` >= @from AND `ts` < @to");
	/* natural keys: the rows of the latest versions, with "_fp" */
	strbuf_reset(&sb);
	t->id_columns = (char **)cols + 1;
	t->nid_columns = 1;
	ck_assert_int_eq(verify_rows_sql(&sb, &o, &err), 0);
	ck_assert_str_eq(sb.buf, "SELECT * FROM (SELECT `ts`, `a`, "
	    "FARM_FINGERPRINT(TO_JSON_STRING(JSON_STRIP_NULLS(TO_JSON(STRUCT("
	    "`_t`.`ts`, `_t`.`a`))))) AS _fp FROM `p.ds.vp` AS _t WHERE TRUE "
	    "QUALIFY ROW_NUMBER() OVER (PARTITION BY `a` ORDER BY `ts` DESC) "
	    "= 1) WHERE `ts` >= @from AND `ts` < @to");
	t->id_columns = NULL;
	t->nid_columns = 0;
	t->columns = NULL;
	t->ncolumns = 0;
	/* a name that cannot be quoted is a config error */
	strbuf_reset(&sb);
	config_set_str(&t->timestamp_column, "t`s");
	ck_assert_int_eq(verify_rows_sql(&sb, &o, &err), -1);
	ck_assert_int_eq(err.kind, EXIT_CONFIG);
	strbuf_release(&sb);
	config_release(&cfg);
}
END_TEST

START_TEST(test_audit_record)
{
	struct verify_result r = { "vp", "summary", 0, 3600000000LL, 5, 4,
	    1, 0, 0, 1, 0, 1, 1024, "repaired", 0 };
	struct strbuf sb = STRBUF_INIT;

	verify_audit_record(&sb, &r, "0/2", 7200000000LL);
#define AUDIT_REST "\"tableId\":\"vp\",\"worker\":\"0/2\"," \
	    "\"checkedAt\":\"1970-01-01T02:00:00.000000Z\"," \
	    "\"windowStart\":\"1970-01-01T00:00:00.000000Z\"," \
	    "\"windowEnd\":\"1970-01-01T01:00:00.000000Z\",\"bigqueryRows\":5," \
	    "\"harperRows\":4,\"missing\":1,\"extra\":0,\"changed\":0," \
	    "\"repaired\":1,\"pruned\":0,\"windows\":1," \
	    "\"bytesProcessed\":1024,\"status\":\"repaired\"}"
	/* the run's record, and the share's latest (which SQL can select) */
	ck_assert_str_eq(sb.buf, "[{\"id\":\"vp:0/2:1970-01-01T02:00:00.000000Z\","
	    "\"latest\":false," AUDIT_REST ",{\"id\":\"vp:0/2\",\"latest\":true,"
	    AUDIT_REST "]");
#undef AUDIT_REST
	/* a worker name with a quote and a backslash stays valid JSON */
	strbuf_reset(&sb);
	verify_audit_record(&sb, &r, "n\"1\\", 7200000000LL);
	ck_assert_ptr_nonnull(strstr(sb.buf,
	    "{\"id\":\"vp:n\\\"1\\\\\",\"latest\":true,"));
	ck_assert_ptr_nonnull(strstr(sb.buf, "\"worker\":\"n\\\"1\\\\\","));
	strbuf_release(&sb);
}
END_TEST

CHECK_TESTS("verify", 0,
    test_parse_fp,
    test_diff_kinds,
    test_diff_edges,
    test_windows_sql,
    test_rows_sql,
    test_audit_record)
