/*
 * check_harper: the harper module against the REAL Harper named by
 * HARPER_URL, HARPER_USERNAME and HARPER_PASSWORD, in a database of its own
 * that is dropped at the end.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <check.h>
#include <cjson/cJSON.h>

#include "config.h"
#include "harper.h"
#include "log.h"
#include "util.h"
#include "testlib.h"
#include "banned.h"

static char dbname[64];
static char a_ts[] = "ts", a_mmsi[] = "mmsi", a_v[] = "v";
static struct config cfg;

static struct harper_client *
client(const char *password)
{
	struct bq_err err = BQ_ERR_INIT;
	struct config c = cfg;
	struct harper_client *h;

	if (password != NULL)
		c.harper_password = (char *)password;
	h = harper_client_new(&c, &err);
	ck_assert_msg(h != NULL, "%s", err.msg);
	return h;
}

static long
count(struct harper_client *h, const char *table)
{
	struct bq_err err = BQ_ERR_INIT;
	cJSON *rows = NULL;
	char *sql = xstrfmt("SELECT count(*) AS n FROM %s.%s", dbname, table);
	long n;

	ck_assert_msg(harper_sql(h, sql, &rows, &err) == 0, "%s", err.msg);
	n = (long)cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 0), "n")->valuedouble;
	cJSON_Delete(rows);
	free(sql);
	return n;
}

START_TEST(test_create_describe_declares_only_indexes)
{
	struct harper_client *h = client(NULL);
	struct bq_err err = BQ_ERR_INIT;
	char *idx[] = { a_ts, a_mmsi };
	cJSON *desc = NULL, *a;
	int n = 0, found = 0;
	const char *rec = "[{\"id\":\"a\",\"ts\":\"1\",\"other\":5}]";

	ck_assert_int_eq(harper_describe_table(h, "T1", NULL, &err), 0);
	ck_assert_msg(harper_create_table(h, "T1", idx, 2, &err) == 0, "%s",
	    err.msg);
	/* Again: "already exists" is success. */
	ck_assert_msg(harper_create_table(h, "T1", idx, 2, &err) == 0, "%s",
	    err.msg);
	ck_assert_int_eq(harper_describe_table(h, "T1", &desc, &err), 1);
	ck_assert_str_eq(cJSON_GetObjectItem(desc, "hash_attribute")->valuestring,
	    "id");
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(desc, "schema_defined")));
	cJSON_ArrayForEach(a, cJSON_GetObjectItem(desc, "attributes")) {
		const char *name = cJSON_GetObjectItem(a, "attribute")->valuestring;

		if (strcmp(name, "ts") == 0 || strcmp(name, "mmsi") == 0)
			found++;
		n++;
	}
	ck_assert_int_eq(found, 2);
	cJSON_Delete(desc);
	/* Upserting an undeclared attribute adds no index for it. */
	ck_assert_msg(harper_upsert(h, "T1", rec, strlen(rec), &err) == 0, "%s",
	    err.msg);
	ck_assert_int_eq(harper_describe_table(h, "T1", &desc, &err), 1);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(desc,
	    "attributes")), n);
	cJSON_Delete(desc);
	harper_client_free(h);
}
END_TEST

START_TEST(test_upsert_and_sql)
{
	struct harper_client *h = client(NULL);
	struct bq_err err = BQ_ERR_INIT;
	char *idx[] = { a_ts };
	char *plain[] = { a_v };
	static const char recs[] = "[{\"id\":\"r1\",\"ts\":\"2025-01-01\",\"v\":1},"
	    "{\"id\":\"r2\",\"ts\":\"2025-01-02\",\"v\":\"x\\u00e9\"}]";
	cJSON *rows = NULL;
	char *sql;

	ck_assert(harper_create_table_columns(h, "T2", idx, 1, plain, 1,
	    &err) == 0);
	ck_assert_msg(harper_upsert(h, "T2", recs, sizeof(recs) - 1, &err) == 0,
	    "%s", err.msg);
	/* Idempotent. */
	ck_assert(harper_upsert(h, "T2", recs, sizeof(recs) - 1, &err) == 0);
	ck_assert_int_eq(count(h, "T2"), 2);
	sql = xstrfmt("SELECT * FROM %s.T2 WHERE id = 'r2'", dbname);
	ck_assert_msg(harper_sql(h, sql, &rows, &err) == 0, "%s", err.msg);
	ck_assert_int_eq(cJSON_GetArraySize(rows), 1);
	ck_assert_ptr_nonnull(cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 0),
	    "v"));
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(rows, 0),
	    "v")->valuestring, "x\xc3\xa9");
	cJSON_Delete(rows);
	free(sql);
	ck_assert_str_eq(harper_database(h), dbname);
	harper_client_free(h);
}
END_TEST

START_TEST(test_wrong_password_is_noperm)
{
	struct harper_client *h = client("definitely-wrong");
	struct bq_err err = BQ_ERR_INIT;

	ck_assert_int_eq(harper_sql(h, "SELECT 1", NULL, &err), -1);
	ck_assert_int_eq(err.kind, EXIT_NOPERM);
	ck_assert_int_eq(err.http_status, 401);
	ck_assert_ptr_null(strstr(err.msg, "definitely-wrong"));
	harper_client_free(h);
}
END_TEST

START_TEST(test_unknown_table_sql_is_data_error)
{
	struct harper_client *h = client(NULL);
	struct bq_err err = BQ_ERR_INIT;
	char *sql = xstrfmt("SELECT * FROM %s.Nope", dbname);

	ck_assert_int_eq(harper_sql(h, sql, NULL, &err), -1);
	ck_assert_int_eq(err.kind, EXIT_DATA);
	ck_assert_int_eq(err.http_status, 404);
	ck_assert_ptr_nonnull(strstr(err.msg, "does not exist"));
	ck_assert_int_eq(harper_sql(h, "SELEC nonsense", NULL, &err), -1);
	ck_assert_int_eq(err.kind, EXIT_DATA);
	free(sql);
	harper_client_free(h);
}
END_TEST

START_TEST(test_bad_records_rejected_whole)
{
	struct harper_client *h = client(NULL);
	struct bq_err err = BQ_ERR_INIT;
	char *idx[] = { a_ts };
	static const char bad1[] = "[{\"id\":\"ok\"},{\"id\":\"b\",\"\":1}]";
	static const char bad2[] = "[{\"id\":\"ok\"},{\"id\":\"c\",\"__proto__\":1}]";
	static const char bad3[] = "{\"id\":\"x\"}";

	ck_assert(harper_create_table(h, "T3", idx, 1, &err) == 0);
	ck_assert_int_eq(harper_upsert(h, "T3", bad1, sizeof(bad1) - 1, &err), -1);
	ck_assert_int_eq(err.kind, EXIT_DATA);
	ck_assert_ptr_nonnull(strstr(err.msg, "Invalid attribute name"));
	ck_assert_int_eq(harper_upsert(h, "T3", bad2, sizeof(bad2) - 1, &err), -1);
	ck_assert_int_eq(err.kind, EXIT_DATA);
	ck_assert_int_eq(harper_upsert(h, "T3", bad3, sizeof(bad3) - 1, &err), -1);
	ck_assert_int_eq(err.kind, EXIT_DATA);
	ck_assert_ptr_nonnull(strstr(err.msg, "records"));
	ck_assert_int_eq(count(h, "T3"), 0);
	/* Unknown table: refused, not created by upsert. */
	ck_assert_int_eq(harper_upsert(h, "Nope", "[]", 2, &err), -1);
	ck_assert_int_eq(err.kind, EXIT_DATA);
	harper_client_free(h);
}
END_TEST

START_TEST(test_unreachable_is_tempfail)
{
	struct bq_err err = BQ_ERR_INIT;
	struct config c = cfg;
	struct harper_client *h;

	c.harper_url = (char *)"http://127.0.0.1:1";
	c.harper_deadline = 0.3;
	h = harper_client_new(&c, &err);
	ck_assert_int_eq(harper_sql(h, "SELECT 1", NULL, &err), -1);
	ck_assert_int_eq(err.kind, EXIT_TEMPFAIL);
	harper_client_free(h);
	c.harper_url = (char *)"ftp://x";
	ck_assert_ptr_null(harper_client_new(&c, &err));
	ck_assert_int_eq(err.kind, EXIT_CONFIG);
}
END_TEST

START_TEST(test_cluster_status)
{
	struct harper_client *h = client(NULL);
	struct bq_err err = BQ_ERR_INIT;
	cJSON *out = NULL;

	ck_assert_msg(harper_cluster_status(h, &out, &err) == 0, "%s", err.msg);
	ck_assert(cJSON_IsArray(cJSON_GetObjectItem(out, "connections")));
	cJSON_Delete(out);
	/* a stand-alone Harper: no peer, so harper-load never settles */
	ck_assert_int_eq(harper_connected_peers(h, &err), 0);
	harper_client_free(h);
}
END_TEST

/* Runs once in the runner, after every test: drops the private database. */
static void
drop_database(void)
{
	struct harper_client *h;
	struct bq_err err = BQ_ERR_INIT;
	char *drop;

	h = harper_client_new(&cfg, &err);
	drop = xstrfmt("{\"operation\":\"drop_database\",\"database\":\"%s\"}",
	    dbname);
	if (h == NULL || harper_op(h, drop, strlen(drop), NULL, &err) == -1)
		fprintf(stderr, "check_harper: drop %s: %s\n", dbname, err.msg);
	free(drop);
	harper_client_free(h);
}

static Suite *
harper_suite(void)
{
	Suite *s = suite_create("harper");
	TCase *tc;

	bqsync_set_verbosity(-1);
	memset(&cfg, 0, sizeof(cfg));
	if ((cfg.harper_url = testlib_harper("check_harper")) == NULL)
		return s;
	cfg.harper_username = getenv("HARPER_USERNAME");
	cfg.harper_password = getenv("HARPER_PASSWORD");
	if (cfg.harper_username == NULL || cfg.harper_password == NULL) {
		fprintf(stderr, "check_harper: set HARPER_USERNAME and "
		    "HARPER_PASSWORD for the Harper at %s (e.g. "
		    ". .harper/main/harper.env)\n", cfg.harper_url);
		exit(EXIT_FAILURE);
	}
	snprintf(dbname, sizeof(dbname), "check_harper_%ld", (long)getpid());
	cfg.harper_database = dbname;
	cfg.harper_deadline = 30;
	tc = tcase_create("real");
	tcase_add_unchecked_fixture(tc, NULL, drop_database);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_create_describe_declares_only_indexes);
	tcase_add_test(tc, test_upsert_and_sql);
	tcase_add_test(tc, test_wrong_password_is_noperm);
	tcase_add_test(tc, test_unknown_table_sql_is_data_error);
	tcase_add_test(tc, test_bad_records_rejected_whole);
	tcase_add_test(tc, test_unreachable_is_tempfail);
	tcase_add_test(tc, test_cluster_status);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(harper_suite)
