/*
 * check_row: canonical JSON, row ids (whole row and idColumns) and the
 * timestamp column.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "hash.h"
#include "row.h"
#include "util.h"
#include "testlib.h"
#include "banned.h"

static char *
canon_of(const char *json)
{
	struct strbuf sb = STRBUF_INIT;
	cJSON *v = cJSON_Parse(json);

	ck_assert_msg(v != NULL, "bad test JSON %s", json);
	row_canonical(v, &sb);
	cJSON_Delete(v);
	return strbuf_detach(&sb, NULL);
}

static void
expect_canon(const char *json, const char *want)
{
	char *got = canon_of(json);

	ck_assert_str_eq(got, want);
	free(got);
}

static void
id_of(const char *json, char *const *cols, size_t ncols, char out[33])
{
	cJSON *v = cJSON_Parse(json);
	const char *missing = NULL;

	ck_assert(v != NULL);
	ck_assert_int_eq(row_id(v, cols, ncols, out, &missing), 0);
	ck_assert_ptr_null(missing);
	cJSON_Delete(v);
}

START_TEST(test_canonical_form)
{
	expect_canon("{ \"b\" : 1, \"a\" : [ 3, { \"z\": null, \"y\": true } ] }",
	    "{\"a\":[3,{\"y\":true,\"z\":null}],\"b\":1}");
	/* top-level id and _syncedAt only */
	expect_canon("{\"id\":\"x\",\"_syncedAt\":5,\"n\":{\"id\":1,"
	    "\"_syncedAt\":2}}", "{\"n\":{\"_syncedAt\":2,\"id\":1}}");
	/* and _fp, bq-pull's content fingerprint: not part of a row's id */
	expect_canon("{\"_fp\":\"-12\",\"a\":1,\"n\":{\"_fp\":1}}",
	    "{\"a\":1,\"n\":{\"_fp\":1}}");
	/* nor top-level nulls: a column added to the source keeps ids */
	expect_canon("{\"a\":1,\"new\":null,\"n\":{\"z\":null}}",
	    "{\"a\":1,\"n\":{\"z\":null}}");
	/* bytewise key order: upper case, then "_", then lower, then UTF-8 */
	expect_canon("{\"\xc3\xa9\":1,\"b\":2,\"_\":3,\"B\":4,\"aa\":5,\"a\":6}",
	    "{\"B\":4,\"_\":3,\"a\":6,\"aa\":5,\"b\":2,\"\xc3\xa9\":1}");
	expect_canon("{\"s\":\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\"}",
	    "{\"s\":\"a\\\"b\\\\c\\n\\u0001\xc3\xa9\"}");
	expect_canon("[]", "[]");
	expect_canon("{}", "{}");
	expect_canon("\"x\"", "\"x\"");
	expect_canon("{\"a\":false,\"b\":[[],{}]}",
	    "{\"a\":false,\"b\":[[],{}]}");
}
END_TEST

START_TEST(test_canonical_numbers)
{
	expect_canon("[1, 1.0, 1e0, 10E-1, -0, 0.0, -0.0]",
	    "[1,1,1,1,0,0,0]");
	expect_canon("[0.1, 1.5, -2.25, 3.14, 6.0009827716399995]",
	    "[0.1,1.5,-2.25,3.14,6.0009827716399995]");
	expect_canon("[37200.0, 1.7664E7, 1699089600123456, -1699089600123456]",
	    "[37200,17664000,1699089600123456,-1699089600123456]");
	/* 2^53 exact without exponent; beyond, the %g family */
	expect_canon("[9007199254740992, -9007199254740992, 9007199254740994,"
	    " 1e17, 9223372036854775807]",
	    "[9007199254740992,-9007199254740992,9007199254740994,1e+17,"
	    "9.223372036854776e+18]");
	expect_canon("[1e300, 1.5e-7, 123456789.125, 5e-324]",
	    "[1e+300,1.5e-07,123456789.125,5e-324]");
	expect_canon("[0.30000000000000004, 100.00000000000001]",
	    "[0.30000000000000004,100.00000000000001]");
}
END_TEST

START_TEST(test_canonical_raw)
{
	struct strbuf sb = STRBUF_INIT;
	cJSON *o = cJSON_CreateObject(), *p = cJSON_CreateObject();
	char *want;

	cJSON_AddItemToObject(o, "x", cJSON_CreateRaw("1.50"));
	cJSON_AddItemToObject(o, "big", cJSON_CreateRaw("9007199254740993"));
	cJSON_AddItemToObject(o, "obj", cJSON_CreateRaw("{\"b\":1, \"a\":2}"));
	cJSON_AddItemToObject(o, "n", cJSON_CreateRaw("37200.0"));
	row_canonical(o, &sb);
	/* the same values parsed */
	cJSON_AddItemToObject(p, "n", cJSON_CreateNumber(37200));
	cJSON_AddItemToObject(p, "obj", cJSON_Parse("{\"a\":2,\"b\":1}"));
	cJSON_AddItemToObject(p, "big", cJSON_CreateNumber(9007199254740993.0));
	cJSON_AddItemToObject(p, "x", cJSON_CreateNumber(1.5));
	want = canon_of("{\"big\":9007199254740992,\"n\":37200,"
	    "\"obj\":{\"a\":2,\"b\":1},\"x\":1.5}");
	ck_assert_str_eq(sb.buf, want);
	strbuf_reset(&sb);
	row_canonical(p, &sb);
	ck_assert_str_eq(sb.buf, want);
	free(want);
	strbuf_release(&sb);
	cJSON_Delete(o);
	cJSON_Delete(p);
}
END_TEST

START_TEST(test_id_stability)
{
	char a[33], b[33], c[33], hex[65];
	const char *row = "{\"timestamp\":\"2023-11-04T15:59:00.123456Z\","
	    "\"mmsi\":367000001,\"speed\":12.5,\"name\":\"EVER GIVEN\"}";
	const char *canon = "{\"mmsi\":367000001,\"name\":\"EVER GIVEN\","
	    "\"speed\":12.5,\"timestamp\":\"2023-11-04T15:59:00.123456Z\"}";

	id_of(row, NULL, 0, a);
	ck_assert_uint_eq(strlen(a), ROW_ID_LEN);
	/* = first 32 hex digits of SHA-256 of the canonical form */
	hash_sha256_hex(canon, strlen(canon), hex);
	ck_assert(strncmp(a, hex, 32) == 0);
	/*
	 * A fixed value, so that a change of canonical form shows (Python:
	 * sha256(json.dumps(r, sort_keys=True, separators=(",",":")))).
	 */
	ck_assert_str_eq(a, "600d5cf350982280cd2bfb0690d21188");
	/* key order, whitespace, an id and _syncedAt do not matter */
	id_of("{ \"name\": \"EVER GIVEN\", \"speed\": 1.25e1, \"mmsi\": "
	    "367000001.0, \"timestamp\": \"2023-11-04T15:59:00.123456Z\", "
	    "\"id\": \"old\", \"_syncedAt\": \"2026-01-01\" }", NULL, 0, b);
	ck_assert_str_eq(a, b);
	/* any value change does */
	id_of("{\"timestamp\":\"2023-11-04T15:59:00.123457Z\",\"mmsi\":"
	    "367000001,\"speed\":12.5,\"name\":\"EVER GIVEN\"}", NULL, 0, c);
	ck_assert_str_ne(a, c);
}
END_TEST

START_TEST(test_id_columns)
{
	static char mmsi[] = "mmsi", imo[] = "imo", id[] = "id";
	char *cols[] = { mmsi, imo }, *rev[] = { imo, mmsi, imo };
	char *one[] = { mmsi }, *idcol[] = { id };
	char a[33], b[33], c[33], hex[65];
	const char *missing = NULL;
	const char *k = "{\"imo\":9811000,\"mmsi\":353136000}";
	cJSON *v;

	id_of("{\"mmsi\":353136000,\"imo\":9811000,\"speed\":1}", cols, 2, a);
	id_of("{\"speed\":2,\"imo\":9811000,\"mmsi\":353136000,\"x\":[]}",
	    rev, 3, b);
	ck_assert_str_eq(a, b);
	hash_sha256_hex(k, strlen(k), hex);
	ck_assert(strncmp(a, hex, 32) == 0);
	id_of("{\"mmsi\":353136000,\"imo\":9811000,\"speed\":1}", one, 1, c);
	ck_assert_str_ne(a, c);
	/* null is a value; an id column is usable as key */
	id_of("{\"mmsi\":null}", one, 1, c);
	hash_sha256_hex("{\"mmsi\":null}", 13, hex);
	ck_assert(strncmp(c, hex, 32) == 0);
	id_of("{\"id\":7,\"a\":1}", idcol, 1, c);
	hash_sha256_hex("{\"id\":7}", 8, hex);
	ck_assert(strncmp(c, hex, 32) == 0);
	/* a missing column is named; lookups are case-sensitive */
	v = cJSON_Parse("{\"MMSI\":1,\"imo\":2}");
	ck_assert_int_eq(row_id(v, cols, 2, a, &missing), -1);
	ck_assert_ptr_eq(missing, cols[0]);
	cJSON_Delete(v);
}
END_TEST

static int
ts_of(const char *json, const char *col, int64_t *t)
{
	cJSON *v = cJSON_Parse(json);
	int rc;

	ck_assert(v != NULL);
	rc = row_timestamp(v, col, t);
	cJSON_Delete(v);
	return rc;
}

START_TEST(test_timestamp)
{
	int64_t t = 0;
	cJSON *o;

	ck_assert_int_eq(ts_of("{\"timestamp\":\"2023-11-04T15:59:00.123456Z\"}",
	    "timestamp", &t), 0);
	ck_assert_int_eq(t, 1699113540123456LL);
	ck_assert_int_eq(ts_of("{\"event_time\":\"2023-11-04 15:59:00\"}",
	    "event_time", &t), 0);
	ck_assert_int_eq(t, 1699113540000000LL);
	ck_assert_int_eq(ts_of("{\"t\":1699113540123456}", "t", &t), 0);
	ck_assert_int_eq(t, 1699113540123456LL);
	ck_assert_int_eq(ts_of("{\"t\":\"1699113540123456\"}", "t", &t), 0);
	ck_assert_int_eq(t, 1699113540123456LL);
	ck_assert_int_eq(ts_of("{\"t\":-1}", "t", &t), 0);
	ck_assert_int_eq(t, -1);
	/* cJSON raw (verbatim digits) */
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "t", cJSON_CreateRaw("1699113540123457"));
	ck_assert_int_eq(row_timestamp(o, "t", &t), 0);
	ck_assert_int_eq(t, 1699113540123457LL);
	cJSON_Delete(o);
	t = 42;
	ck_assert_int_eq(ts_of("{\"t\":null}", "t", &t), -1);
	ck_assert_int_eq(ts_of("{\"x\":1}", "t", &t), -1);
	ck_assert_int_eq(ts_of("{\"T\":1}", "t", &t), -1);
	ck_assert_int_eq(ts_of("{\"t\":1.5}", "t", &t), -1);
	ck_assert_int_eq(ts_of("{\"t\":true}", "t", &t), -1);
	ck_assert_int_eq(ts_of("{\"t\":\"yesterday\"}", "t", &t), -1);
	ck_assert_int_eq(ts_of("{\"t\":\"2023-02-30\"}", "t", &t), -1);
	ck_assert_int_eq(ts_of("{\"t\":1e300}", "t", &t), -1);
	ck_assert_int_eq(ts_of("{\"t\":{}}", "t", &t), -1);
	ck_assert_int_eq(ts_of("[1]", "t", &t), -1);
	ck_assert_int_eq(t, 42);
}
END_TEST

static char badname[64];

/* The members of text's object after row_keep_integers(). */
static int
kept(const char *text, char *out, size_t n, const char **bad)
{
	cJSON *v = cJSON_Parse(text);
	const cJSON *c;
	size_t len = 0;
	int rc;

	ck_assert_ptr_nonnull(v);
	rc = row_keep_integers(v, text, strlen(text), bad);
	out[0] = '\0';
	cJSON_ArrayForEach(c, v) {
		len += (size_t)snprintf(out + len, n - len, "%s%s=%s",
		    len ? " " : "", c->string, cJSON_IsRaw(c) ? c->valuestring :
		    cJSON_IsNumber(c) ? "num" : "other");
		ck_assert_uint_lt(len, n);
	}
	/* *bad points into v: keep a copy. */
	if (*bad != NULL) {
		snprintf(badname, sizeof(badname), "%s", *bad);
		*bad = badname;
	}
	cJSON_Delete(v);
	return rc;
}

START_TEST(test_keep_integers)
{
	char buf[256];
	const char *bad = "x";

	/* 2^53 itself is exact; one more is not. */
	ck_assert_int_eq(kept("{\"a\":9007199254740992,\"b\":9007199254740993,"
	    "\"c\":-18446744073709551617,\"d\":\"12345678901234567890\"}",
	    buf, sizeof(buf), &bad), 0);
	ck_assert_ptr_null(bad);
	ck_assert_str_eq(buf, "a=num b=9007199254740993 "
	    "c=-18446744073709551617 d=other");
	/* Not integers as written; digits inside strings and keys. */
	ck_assert_int_eq(kept("{\"12345678901234567890\":1.5,"
	    "\"s\\\"\":\"9007199254740993\\\"\",\"e\":9007199254740993e0,"
	    "\"f\":90071992547409930.0,\"g\":9007199254740993}",
	    buf, sizeof(buf), &bad), 0);
	ck_assert_str_eq(buf, "12345678901234567890=num s\"=other e=num "
	    "f=num g=9007199254740993");
	/* Nested: refused, naming the member that holds it. */
	ck_assert_int_eq(kept("{\"a\":1,\"n\":{\"x\":[1,99999999999999999]}}",
	    buf, sizeof(buf), &bad), -1);
	ck_assert_str_eq(bad, "n");
}
END_TEST

START_TEST(test_duplicate_key)
{
	struct strbuf sb = STRBUF_INIT;
	cJSON *v;
	int i;

	v = cJSON_Parse("{\"id\":1,\"t\":2,\"id\":3}");
	ck_assert_str_eq(row_duplicate_key(v), "id");
	cJSON_Delete(v);
	v = cJSON_Parse("{\"a\":[{\"x\":1},{\"y\":1,\"y\":2}],\"b\":{}}");
	ck_assert_str_eq(row_duplicate_key(v), "y");
	cJSON_Delete(v);
	v = cJSON_Parse("{\"a\":{\"a\":1},\"b\":[{\"a\":1},{\"a\":2}]}");
	ck_assert_ptr_null(row_duplicate_key(v));
	cJSON_Delete(v);
	/* A large object (sorted, not compared pairwise). */
	strbuf_addch(&sb, '{');
	for (i = 0; i < 500; i++)
		strbuf_addf(&sb, "\"k%d\":%d,", i, i);
	strbuf_adds(&sb, "\"k250\":0}");
	v = cJSON_Parse(sb.buf);
	ck_assert_str_eq(row_duplicate_key(v), "k250");
	cJSON_Delete(v);
	strbuf_release(&sb);
}
END_TEST

CHECK_TESTS("row", 0,
    test_canonical_form,
    test_canonical_numbers,
    test_canonical_raw,
    test_id_stability,
    test_id_columns,
    test_timestamp,
    test_keep_integers,
    test_duplicate_key)
