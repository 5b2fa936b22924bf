/*
 * check_emu: bq-emulator's routes, paging, errors, faults, load jobs and
 * token endpoint, over real HTTP (libcurl) against an in-process server.
 */
#include <check.h>
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "emu/emu.h"
#include "util.h"
#include "testlib.h"

static struct emu *E;
static int64_t max_response;	/* the next start()'s, 0 = default */
static char base[64];
static CURLcode last_curl;

static size_t
collect(char *p, size_t sz, size_t n, void *arg)
{
	strbuf_add(arg, p, sz * n);
	return sz * n;
}

/* One request; returns the HTTP status (0 on transport errors). */
static long
req_full(const char *method, const char *path, const char *body,
    const char *ctype, const char *auth, char **out)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	struct strbuf sb = STRBUF_INIT;
	char *url = xstrfmt("%s%s", base, path), hdr[512];
	long code = 0;

	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &sb);
	if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		snprintf(hdr, sizeof(hdr), "Content-Type: %s",
		    ctype ? ctype : "application/json");
		h = curl_slist_append(h, hdr);
	}
	if (auth) {
		snprintf(hdr, sizeof(hdr), "Authorization: Bearer %s", auth);
		h = curl_slist_append(h, hdr);
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	last_curl = curl_easy_perform(c);
	if (last_curl == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(url);
	if (out)
		*out = strbuf_detach(&sb, NULL);
	else
		strbuf_release(&sb);
	return code;
}

static cJSON *
reqj(const char *method, const char *path, const char *body, long *code)
{
	char *out = NULL;
	cJSON *j;

	*code = req_full(method, path, body, NULL, NULL, &out);
	j = cJSON_Parse(out);
	free(out);
	return j;
}

static const char *
js(const cJSON *o, const char *path)
{
	/* "a.b.c" (array elements by number) -> string value or NULL. */
	char *p = xstrdup(path), *save = NULL, *k;
	const cJSON *cur = o;
	static char num[64];
	const char *r = NULL;

	for (k = strtok_r(p, ".", &save); k && cur; k = strtok_r(NULL, ".",
	    &save))
		cur = cJSON_IsArray(cur) ? cJSON_GetArrayItem(cur, atoi(k)) :
		    cJSON_GetObjectItemCaseSensitive(cur, k);
	if (cJSON_IsString(cur))
		r = cur->valuestring;
	else if (cJSON_IsNumber(cur)) {
		snprintf(num, sizeof(num), "%.0f", cur->valuedouble);
		r = num;
	} else if (cJSON_IsBool(cur))
		r = cJSON_IsTrue(cur) ? "true" : "false";
	free(p);
	return r;
}

/*
 * Each path of want ("path", "value", ..., NULL) has that value in o, as
 * js() reads it.
 */
static void
expect_js(const cJSON *o, const char *const *want)
{
	const char *got;

	for (; *want != NULL; want += 2) {
		got = js(o, want[0]);
		ck_assert_msg(got != NULL && strcmp(got, want[1]) == 0,
		    "%s: \"%s\", want \"%s\"", want[0], got ? got : "(none)",
		    want[1]);
	}
}

/*
 * Sends a request and checks its answer: the status (unless code is 0)
 * and the values of want, as expect_js().
 */
static void
expect_reply(const char *method, const char *path, const char *body,
    long code, const char *const *want)
{
	long got;
	cJSON *j = reqj(method, path, body, &got);

	if (code != 0)
		ck_assert_int_eq(got, code);
	expect_js(j, want);
	cJSON_Delete(j);
}

/* jobs.get of job id of project p: 200 and the values of want. */
static void
expect_job(const char *id, const char *const *want)
{
	char path[160];

	snprintf(path, sizeof(path), "/projects/p/jobs/%s", id);
	expect_reply("GET", path, NULL, 200, want);
}

static void
start(const char *key)
{
	struct emu_opts o;
	struct bq_err err = BQ_ERR_INIT;

	memset(&o, 0, sizeof(o));
	o.token_key = key;
	o.max_response = max_response;
	E = emu_new(&o, &err);
	ck_assert_msg(E != NULL, "%s", err.msg);
	snprintf(base, sizeof(base), "http://127.0.0.1:%d", emu_port(E));
}

static void
setup(void)
{
	long code;
	cJSON *j;

	start(NULL);
	j = reqj("POST", "/bigquery/v2/projects/p/datasets",
	    "{\"datasetReference\":{\"datasetId\":\"ds\"},\"location\":\"US\","
	    "\"projectId\":\"p\"}", &code);
	ck_assert_int_eq(code, 200);
	cJSON_Delete(j);
	j = reqj("POST", "/bigquery/v2/projects/p/datasets/ds/tables",
	    "{\"tableReference\":{\"tableId\":\"t\"},\"schema\":{\"fields\":["
	    "{\"name\":\"id\",\"type\":\"INTEGER\",\"mode\":\"REQUIRED\"},"
	    "{\"name\":\"ts\",\"type\":\"TIMESTAMP\"},{\"name\":\"name\","
	    "\"type\":\"STRING\"}]},\"timePartitioning\":{\"type\":\"DAY\","
	    "\"field\":\"ts\"},\"clustering\":{\"fields\":[\"id\"]}}", &code);
	ck_assert_int_eq(code, 200);
	cJSON_Delete(j);
}

static void
teardown(void)
{
	emu_free(E);
	E = NULL;
}

/* Inserts ids 1..n at 2023-11-04T09:20:00Z + id seconds. */
static void
fill(int n)
{
	struct strbuf sb = STRBUF_INIT;
	long code;
	cJSON *j;
	int i;

	strbuf_adds(&sb, "{\"skipInvalidRows\":null,\"templateSuffix\":null,"
	    "\"rows\":[");
	for (i = 1; i <= n; i++)
		strbuf_addf(&sb, "%s{\"insertId\":\"x_%d\",\"json\":{\"id\":%d,"
		    "\"ts\":%lld,\"name\":%s}}", i > 1 ? "," : "", i, i,
		    1699089600LL + i, i % 2 ? "\"odd\"" : "null");
	strbuf_adds(&sb, "]}");
	j = reqj("POST", "/projects/p/datasets/ds/tables/t/insertAll?alt=json",
	    sb.buf, &code);
	ck_assert_int_eq(code, 200);
	ck_assert_ptr_null(cJSON_GetObjectItem(j, "insertErrors"));
	cJSON_Delete(j);
	strbuf_release(&sb);
}

START_TEST(test_healthz_and_both_url_forms)
{
	char *out = NULL;
	long code;
	cJSON *j;

	ck_assert_int_eq(req_full("GET", "/healthz", NULL, NULL, NULL, &out),
	    200);
	ck_assert_str_eq(out, "ok\n");
	free(out);
	j = reqj("GET", "/projects/p/datasets/ds?prettyPrint=false&fields=x",
	    NULL, &code);
	ck_assert_int_eq(code, 200);
	ck_assert_str_eq(js(j, "id"), "p:ds");
	ck_assert_str_eq(js(j, "kind"), "bigquery#dataset");
	cJSON_Delete(j);
	j = reqj("GET", "/bigquery/v2/projects/p/datasets/ds/tables/t", NULL,
	    &code);
	ck_assert_int_eq(code, 200);
	expect_js(j, (const char *const[]){
	    "id", "p:ds.t",
	    "numRows", "0",
	    "schema.fields.1.type", "TIMESTAMP",
	    "schema.fields.1.mode", "NULLABLE",
	    "timePartitioning.field", "ts",
	    NULL });
	cJSON_Delete(j);
	ck_assert_int_eq(req_full("GET", "/bigquery/v2/nothing", NULL, NULL,
	    NULL, NULL), 404);
}
END_TEST

START_TEST(test_error_envelopes)
{
	long code;
	char *out = NULL;
	cJSON *j;

	j = reqj("POST", "/projects/p/datasets",
	    "{\"datasetReference\":{\"datasetId\":\"ds\"}}", &code);
	ck_assert_int_eq(code, 409);
	expect_js(j, (const char *const[]){
	    "error.code", "409",
	    "error.message", "Already Exists: Dataset p:ds",
	    "error.errors.0.domain", "global",
	    "error.errors.0.reason", "duplicate",
	    "error.status", "ALREADY_EXISTS",
	    NULL });
	cJSON_Delete(j);
	j = reqj("GET", "/projects/p/datasets/ds/tables/nope", NULL, &code);
	ck_assert_int_eq(code, 404);
	expect_js(j, (const char *const[]){
	    "error.errors.0.reason", "notFound",
	    "error.status", "NOT_FOUND",
	    "error.message", "Not found: Table p:ds.nope",
	    NULL });
	cJSON_Delete(j);
	j = reqj("POST", "/projects/p/queries", "{\"query\":\"SELEC 1\","
	    "\"useLegacySql\":false}", &code);
	ck_assert_int_eq(code, 400);
	ck_assert_str_eq(js(j, "error.errors.0.reason"), "invalidQuery");
	ck_assert_str_eq(js(j, "error.status"), "INVALID_ARGUMENT");
	cJSON_Delete(j);
	/* The API's default is legacy SQL, which the emulator refuses. */
	j = reqj("POST", "/projects/p/queries", "{\"query\":\"SELECT 1\"}",
	    &code);
	ck_assert_int_eq(code, 400);
	cJSON_Delete(j);
	j = reqj("DELETE", "/projects/p/datasets/ds", NULL, &code);
	ck_assert_int_eq(code, 400);
	ck_assert_str_eq(js(j, "error.errors.0.reason"), "resourceInUse");
	cJSON_Delete(j);
	ck_assert_int_eq(req_full("DELETE",
	    "/projects/p/datasets/ds?deleteContents=true", NULL, NULL, NULL,
	    &out), 204);
	ck_assert_str_eq(out, "");
	free(out);
	ck_assert_int_eq(req_full("GET", "/projects/p/datasets/ds/tables/t",
	    NULL, NULL, NULL, NULL), 404);
}
END_TEST

START_TEST(test_insert_all_errors)
{
	long code;
	cJSON *j;

	j = reqj("POST", "/projects/p/datasets/ds/tables/t/insertAll",
	    "{\"rows\":[{\"json\":{\"id\":1}},{\"json\":{\"id\":\"x\"}},"
	    "{\"json\":{\"name\":\"no id\"}},{\"json\":{\"id\":2,\"zz\":1}}]}",
	    &code);
	ck_assert_int_eq(code, 200);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j,
	    "insertErrors")), 4);
	expect_js(j, (const char *const[]){
	    "insertErrors.0.index", "1",
	    "insertErrors.0.errors.0.reason", "invalid",
	    "insertErrors.0.errors.0.location", "id",
	    "insertErrors.1.errors.0.message", "Missing required field: id.",
	    "insertErrors.3.index", "0",
	    "insertErrors.3.errors.0.reason", "stopped",
	    NULL });
	cJSON_Delete(j);
	j = reqj("GET", "/projects/p/datasets/ds/tables/t", NULL, &code);
	ck_assert_str_eq(js(j, "numRows"), "0");
	cJSON_Delete(j);
	/* skipInvalidRows + ignoreUnknownValues keep the good rows. */
	j = reqj("POST", "/projects/p/datasets/ds/tables/t/insertAll",
	    "{\"skipInvalidRows\":true,\"ignoreUnknownValues\":true,\"rows\":["
	    "{\"json\":{\"id\":1}},{\"json\":{\"id\":\"x\"}},"
	    "{\"json\":{\"id\":2,\"zz\":1}}]}", &code);
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j,
	    "insertErrors")), 1);
	cJSON_Delete(j);
	j = reqj("GET", "/projects/p/datasets/ds/tables/t", NULL, &code);
	ck_assert_str_eq(js(j, "numRows"), "2");
	cJSON_Delete(j);
}
END_TEST

START_TEST(test_float_cells)
{
	long code;
	cJSON *j;

	j = reqj("POST", "/projects/p/datasets/ds/tables", "{\"tableReference\":"
	    "{\"tableId\":\"f\"},\"schema\":{\"fields\":[{\"name\":\"x\","
	    "\"type\":\"FLOAT64\"}]}}", &code);
	cJSON_Delete(j);
	j = reqj("POST", "/projects/p/datasets/ds/tables/f/insertAll",
	    "{\"rows\":[{\"json\":{\"x\":\"NaN\"}},{\"json\":{\"x\":"
	    "\"-Infinity\"}},{\"json\":{\"x\":37200}},{\"json\":{\"x\":"
	    "1.7664e7}},{\"json\":{\"x\":0.1}}]}", &code);
	ck_assert_ptr_null(cJSON_GetObjectItem(j, "insertErrors"));
	cJSON_Delete(j);
	j = reqj("GET", "/projects/p/datasets/ds/tables/f/data", NULL, &code);
	expect_js(j, (const char *const[]){
	    "rows.0.f.0.v", "NaN",
	    "rows.1.f.0.v", "-Infinity",
	    "rows.2.f.0.v", "37200.0",
	    "rows.3.f.0.v", "1.7664E7",
	    "rows.4.f.0.v", "0.1",
	    NULL });
	cJSON_Delete(j);
}
END_TEST

START_TEST(test_tabledata_paging)
{
	char path[256], tok[128] = "";
	int page = 0, seen = 0;
	long code;

	fill(10);
	for (;;) {
		cJSON *j, *rows, *r;

		snprintf(path, sizeof(path), "/projects/p/datasets/ds/tables/t/"
		    "data?maxResults=3&formatOptions.useInt64Timestamp=true%s%s",
		    *tok ? "&pageToken=" : "", tok);
		j = reqj("GET", path, NULL, &code);
		ck_assert_int_eq(code, 200);
		ck_assert_str_eq(js(j, "totalRows"), "10");
		rows = cJSON_GetObjectItem(j, "rows");
		ck_assert_int_eq(cJSON_GetArraySize(rows), page < 3 ? 3 : 1);
		cJSON_ArrayForEach(r, rows) {
			char want[32];

			seen++;
			snprintf(want, sizeof(want), "%d", seen);
			ck_assert_str_eq(js(r, "f.0.v"), want);
			snprintf(want, sizeof(want), "%lld",
			    (1699089600LL + seen) * 1000000);
			ck_assert_str_eq(js(r, "f.1.v"), want);
		}
		page++;
		if (js(j, "pageToken") == NULL) {
			cJSON_Delete(j);
			break;
		}
		snprintf(tok, sizeof(tok), "%s", js(j, "pageToken"));
		cJSON_Delete(j);
	}
	ck_assert_int_eq(page, 4);
	ck_assert_int_eq(seen, 10);
	ck_assert_int_eq(req_full("GET", "/projects/p/datasets/ds/tables/t/"
	    "data?pageToken=garbage", NULL, NULL, NULL, NULL), 400);
}
END_TEST

START_TEST(test_query_paging_and_timestamps)
{
	long code;
	cJSON *j;
	char path[256], id[128];

	fill(5);
	j = reqj("POST", "/projects/p/queries", "{\"query\":\"SELECT id, ts, "
	    "name FROM ds.t WHERE ts > @c ORDER BY ts\",\"useLegacySql\":false,"
	    "\"parameterMode\":\"named\",\"queryParameters\":[{\"name\":\"c\","
	    "\"parameterType\":{\"type\":\"TIMESTAMP\"},\"parameterValue\":"
	    "{\"value\":\"2023-11-04 09:20:01\"}}],\"maxResults\":2}", &code);
	ck_assert_int_eq(code, 200);
	expect_js(j, (const char *const[]){
	    "kind", "bigquery#queryResponse",
	    "jobComplete", "true",
	    "totalRows", "4",
	    "schema.fields.0.type", "INTEGER",
	    "schema.fields.1.type", "TIMESTAMP",
	    NULL });
	/* Without useInt64Timestamp: BigQuery's float seconds. */
	ck_assert_str_eq(js(j, "rows.0.f.1.v"), "1.699089602E9");
	ck_assert_ptr_null(js(j, "rows.0.f.2.v"));
	ck_assert_ptr_nonnull(js(j, "pageToken"));
	snprintf(id, sizeof(id), "%s", js(j, "jobReference.jobId"));
	snprintf(path, sizeof(path), "/bigquery/v2/projects/p/queries/%s?"
	    "pageToken=%s&formatOptions.useInt64Timestamp=true&location=US", id,
	    js(j, "pageToken"));
	cJSON_Delete(j);
	j = reqj("GET", path, NULL, &code);
	ck_assert_int_eq(code, 200);
	expect_js(j, (const char *const[]){
	    "kind", "bigquery#getQueryResultsResponse",
	    "rows.0.f.0.v", "4",
	    "rows.0.f.1.v", "1699089604000000",
	    NULL });
	ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(j, "rows")), 2);
	ck_assert_ptr_null(js(j, "pageToken"));
	cJSON_Delete(j);
	/* startIndex, as bq sends it; an empty page has no "rows". */
	snprintf(path, sizeof(path), "/projects/p/queries/%s?startIndex=3&"
	    "maxResults=100&timeoutMs=0", id);
	j = reqj("GET", path, NULL, &code);
	ck_assert_str_eq(js(j, "rows.0.f.0.v"), "5");
	cJSON_Delete(j);
	snprintf(path, sizeof(path), "/projects/p/queries/%s?startIndex=4", id);
	j = reqj("GET", path, NULL, &code);
	ck_assert_ptr_null(cJSON_GetObjectItem(j, "rows"));
	ck_assert_str_eq(js(j, "totalRows"), "4");
	cJSON_Delete(j);
	ck_assert_int_eq(req_full("GET", "/projects/p/queries/nosuchjob", NULL,
	    NULL, NULL, NULL), 404);
}
END_TEST

START_TEST(test_jobs_insert_get_dml_dryrun)
{
	long code;
	cJSON *j;
	char *id;

	fill(6);
	expect_reply("POST", "/projects/p/jobs", "{\"configuration\":{"
	    "\"query\":{\"query\":\"SELECT COUNT(*) AS n FROM `p.ds.t`\","
	    "\"useLegacySql\":false}},\"jobReference\":{\"projectId\":\"p\",\"jobId\":\"j1\","
	    "\"location\":\"US\"}}", 200, (const char *const[]){
	    "status.state", "DONE",
	    "configuration.jobType", "QUERY",
	    NULL });
	j = reqj("POST", "/projects/p/jobs", "{\"configuration\":{\"query\":{"
	    "\"query\":\"SELECT 1\",\"useLegacySql\":false}},\"jobReference\":"
	    "{\"jobId\":\"j1\"}}", &code);
	ck_assert_int_eq(code, 409);
	cJSON_Delete(j);
	expect_reply("GET", "/projects/p/jobs/j1?location=US", NULL, 200,
	    (const char *const[]){
	    "id", "p:US.j1",
	    "statistics.query.statementType", "SELECT",
	    NULL });
	expect_reply("GET", "/projects/p/queries/j1", NULL, 0,
	    (const char *const[]){
	    "rows.0.f.0.v", "6",
	    "schema.fields.0.name", "n",
	    NULL });
	/* DML through jobs.query. */
	j = reqj("POST", "/projects/p/queries", "{\"query\":\"DELETE FROM "
	    "ds.t WHERE ts < @cut\",\"useLegacySql\":false,\"queryParameters\":"
	    "[{\"name\":\"cut\",\"parameterType\":{\"type\":\"TIMESTAMP\"},"
	    "\"parameterValue\":{\"value\":\"2023-11-04T09:20:03Z\"}}]}", &code);
	ck_assert_int_eq(code, 200);
	expect_js(j, (const char *const[]){
	    "numDmlAffectedRows", "2",
	    "dmlStats.deletedRowCount", "2",
	    NULL });
	ck_assert_ptr_null(cJSON_GetObjectItem(j, "rows"));
	id = xstrdup(js(j, "jobReference.jobId"));
	cJSON_Delete(j);
	expect_job(id, (const char *const[]){
	    "statistics.query.numDmlAffectedRows", "2",
	    "statistics.query.statementType", "DELETE",
	    NULL });
	free(id);
	/* UPDATE: the rows it matched, as BigQuery counts them. */
	j = reqj("POST", "/projects/p/queries", "{\"query\":\"UPDATE ds.t "
	    "SET id = id + 10 WHERE id >= 0\",\"useLegacySql\":false}",
	    &code);
	ck_assert_int_eq(code, 200);
	ck_assert_str_eq(js(j, "numDmlAffectedRows"), "4");
	ck_assert_str_eq(js(j, "dmlStats.updatedRowCount"), "4");
	ck_assert_str_eq(js(j, "dmlStats.deletedRowCount"), "0");
	id = xstrdup(js(j, "jobReference.jobId"));
	cJSON_Delete(j);
	expect_job(id, (const char *const[]){
	    "statistics.query.statementType", "UPDATE",
	    "statistics.query.dmlStats.updatedRowCount", "4",
	    NULL });
	free(id);
	j = reqj("POST", "/projects/p/queries", "{\"query\":\"SELECT "
	    "MIN(id) AS m FROM ds.t\",\"useLegacySql\":false}", &code);
	ck_assert_int_eq(code, 200);
	ck_assert_str_eq(js(j, "rows.0.f.0.v"), "13");
	cJSON_Delete(j);
	j = reqj("POST", "/projects/p/queries", "{\"query\":\"UPDATE ds.t "
	    "SET id = id - 10 WHERE TRUE\",\"useLegacySql\":false}", &code);
	ck_assert_str_eq(js(j, "numDmlAffectedRows"), "4");
	cJSON_Delete(j);
	/* Dry run: schema and an estimate, no rows. */
	j = reqj("POST", "/projects/p/queries", "{\"query\":\"SELECT id FROM "
	    "ds.t\",\"useLegacySql\":false,\"dryRun\":true}", &code);
	ck_assert_int_eq(code, 200);
	ck_assert_ptr_null(cJSON_GetObjectItem(j, "rows"));
	ck_assert_str_eq(js(j, "totalBytesProcessed"), "32");
	ck_assert_str_eq(js(j, "schema.fields.0.name"), "id");
	cJSON_Delete(j);
	/* A failed job: getQueryResults answers the error, jobs.get 200. */
	j = reqj("POST", "/projects/p/jobs", "{\"configuration\":{\"query\":{"
	    "\"query\":\"SELECT MOD(id, 0) FROM ds.t\",\"useLegacySql\":"
	    "false}},\"jobReference\":{\"jobId\":\"bad\"}}", &code);
	ck_assert_int_eq(code, 200);
	ck_assert_str_eq(js(j, "status.errorResult.reason"), "invalidQuery");
	cJSON_Delete(j);
	j = reqj("GET", "/projects/p/queries/bad", NULL, &code);
	ck_assert_int_eq(code, 400);
	ck_assert_str_eq(js(j, "error.message"), "division by zero: "
	    "MOD(3, 0)");
	cJSON_Delete(j);
}
END_TEST

/* jobs.query with parameters, maximumBytesBilled when max is not NULL. */
static cJSON *
bill_query(const char *sql, const char *cut, const char *max, long *code)
{
	char *body = xstrfmt("{\"query\":\"%s\",\"useLegacySql\":false%s%s%s"
	    "%s%s%s}", sql, cut ? ",\"queryParameters\":[{\"name\":\"c\","
	    "\"parameterType\":{\"type\":\"TIMESTAMP\"},\"parameterValue\":"
	    "{\"value\":\"" : "", cut ? cut : "", cut ? "\"}}]" : "",
	    max ? ",\"maximumBytesBilled\":\"" : "", max ? max : "",
	    max ? "\"" : "");
	cJSON *j = reqj("POST", "/projects/p/queries", body, code);

	free(body);
	return j;
}

/*
 * Billing as BigQuery's: the referenced columns' logical sizes (INT64 and
 * TIMESTAMP 8, STRING 2 + bytes, NULL 0) over the partitions read, pruned
 * by constants and parameters but not by subqueries; 10 MiB at least per
 * table and query; maximumBytesBilled refuses a job that would bill more.
 */
START_TEST(test_billing)
{
	long code;
	cJSON *j;
	char path[160];

	fill(6);	/* 2023-11-04, names "odd" (5 bytes) on odd ids */
	j = reqj("GET", "/projects/p/datasets/ds/tables/t", NULL, &code);
	ck_assert_str_eq(js(j, "numRows"), "6");
	ck_assert_str_eq(js(j, "numBytes"), "111");	/* 48 + 48 + 15 */
	cJSON_Delete(j);
	j = bill_query("SELECT name FROM ds.t", NULL, NULL, &code);
	ck_assert_int_eq(code, 200);
	ck_assert_str_eq(js(j, "totalBytesProcessed"), "15");
	ck_assert_str_eq(js(j, "totalBytesBilled"), "10485760");
	snprintf(path, sizeof(path), "/projects/p/jobs/%s",
	    js(j, "jobReference.jobId"));
	cJSON_Delete(j);
	j = reqj("GET", path, NULL, &code);
	ck_assert_str_eq(js(j, "statistics.query.totalBytesProcessed"), "15");
	ck_assert_str_eq(js(j, "statistics.query.totalBytesBilled"),
	    "10485760");
	cJSON_Delete(j);
	j = reqj("GET", "/projects/p/jobs?projection=full", NULL, &code);
	ck_assert_str_eq(js(j, "jobs.0.statistics.query.totalBytesBilled"),
	    "10485760");
	cJSON_Delete(j);
	/* a parameter on the partitioning column prunes the other days */
	j = bill_query("SELECT id, name FROM ds.t WHERE ts > @c",
	    "2023-11-05 00:00:00+00:00", NULL, &code);
	ck_assert_str_eq(js(j, "totalBytesProcessed"), "0");
	ck_assert_str_eq(js(j, "totalBytesBilled"), "10485760");
	cJSON_Delete(j);
	j = bill_query("SELECT id FROM ds.t WHERE @c <= ts",
	    "2023-11-04 23:00:00+00:00", NULL, &code);
	ck_assert_str_eq(js(j, "totalBytesProcessed"), "96");	/* id, ts */
	cJSON_Delete(j);
	j = bill_query("SELECT id FROM ds.t WHERE ts < TIMESTAMP "
	    "'2023-11-01 00:00:00'", NULL, NULL, &code);
	ck_assert_str_eq(js(j, "totalBytesProcessed"), "0");
	cJSON_Delete(j);
	/* an OR, or a bound from a subquery, prunes nothing */
	j = bill_query("SELECT id FROM ds.t WHERE ts > @c OR id = 1",
	    "2023-11-05 00:00:00+00:00", NULL, &code);
	ck_assert_str_eq(js(j, "totalBytesProcessed"), "96");
	cJSON_Delete(j);
	j = bill_query("SELECT id FROM ds.t WHERE ts > (SELECT MAX(ts) FROM "
	    "ds.t)", NULL, NULL, &code);
	ck_assert_str_eq(js(j, "totalBytesProcessed"), "144");
	ck_assert_str_eq(js(j, "totalBytesBilled"), "20971520");
	cJSON_Delete(j);
	/*
	 * BETWEEN, each end on its own, and parenthesized conditions prune
	 * too; NOT BETWEEN, an OR inside parentheses and a subquery's result
	 * do not.  Of the second query, the outer scan (ts >= 2023-11-05)
	 * reads nothing, the subquery every id and ts (96, not 192).
	 */
	j = bill_query("SELECT id FROM ds.t WHERE ts BETWEEN TIMESTAMP "
	    "'2023-11-01 00:00:00' AND TIMESTAMP '2023-11-03 12:00:00'", NULL,
	    NULL, &code);
	ck_assert_str_eq(js(j, "totalBytesProcessed"), "0");
	cJSON_Delete(j);
	j = bill_query("SELECT id FROM ds.t WHERE ts BETWEEN @c AND (SELECT "
	    "MAX(ts) FROM ds.t WHERE id > 0 AND id < 99)",
	    "2023-11-05 00:00:00+00:00", NULL, &code);
	ck_assert_str_eq(js(j, "totalBytesProcessed"), "96");
	cJSON_Delete(j);
	j = bill_query("SELECT id FROM ds.t WHERE id > 0 AND (ts >= @c AND "
	    "ts <= TIMESTAMP '2023-11-09 00:00:00') AND id < 99",
	    "2023-11-05 00:00:00+00:00", NULL, &code);
	ck_assert_str_eq(js(j, "totalBytesProcessed"), "0");
	cJSON_Delete(j);
	j = bill_query("SELECT id FROM ds.t AS _t WHERE _t.ts BETWEEN "
	    "TIMESTAMP '2023-11-04 00:00:00' AND @c", "2023-11-04 12:00:00+00:00",
	    NULL, &code);
	ck_assert_str_eq(js(j, "totalBytesProcessed"), "96");
	cJSON_Delete(j);
	j = bill_query("SELECT id FROM ds.t WHERE ts NOT BETWEEN TIMESTAMP "
	    "'2023-11-01 00:00:00' AND @c", "2023-11-03 00:00:00+00:00", NULL,
	    &code);
	ck_assert_str_eq(js(j, "totalBytesProcessed"), "96");
	cJSON_Delete(j);
	j = bill_query("SELECT id FROM ds.t WHERE id > 0 AND (ts > @c OR "
	    "id = 1)", "2023-11-05 00:00:00+00:00", NULL, &code);
	ck_assert_str_eq(js(j, "totalBytesProcessed"), "96");
	cJSON_Delete(j);
	j = bill_query("SELECT id FROM ds.t WHERE ts = (SELECT MIN(ts) FROM "
	    "ds.t WHERE ts > @c)", "2023-11-05 00:00:00+00:00", NULL, &code);
	ck_assert_str_eq(js(j, "totalBytesProcessed"), "96");
	cJSON_Delete(j);
	/* maximumBytesBilled: refused before running, with BigQuery's reason */
	j = bill_query("SELECT id FROM ds.t WHERE ts > (SELECT MAX(ts) FROM "
	    "ds.t)", NULL, "10485760", &code);
	ck_assert_int_eq(code, 400);
	ck_assert_str_eq(js(j, "error.errors.0.reason"),
	    "bytesBilledLimitExceeded");
	cJSON_Delete(j);
	j = bill_query("SELECT id FROM ds.t", NULL, "10485760", &code);
	ck_assert_int_eq(code, 200);
	cJSON_Delete(j);
}
END_TEST

/*
 * A result past the response size limit fails as BigQuery's does (403
 * responseTooLarge) and bills nothing; one under it is served.
 */
START_TEST(test_response_limit)
{
	long code;
	cJSON *j;

	emu_free(E);
	max_response = 60;
	setup();
	max_response = 0;
	fill(6);	/* id 6 x 8 bytes, name 3 x (2 + 3): 63 */
	j = bill_query("SELECT id, name FROM ds.t", NULL, NULL, &code);
	ck_assert_int_eq(code, 403);
	ck_assert_str_eq(js(j, "error.errors.0.reason"), "responseTooLarge");
	ck_assert_str_eq(js(j, "error.message"), "Response too large to "
	    "return. Consider specifying a destination table in your job "
	    "configuration.");
	cJSON_Delete(j);
	j = reqj("GET", "/projects/p/jobs?projection=full", NULL, &code);
	ck_assert_str_eq(js(j, "jobs.0.status.errorResult.reason"),
	    "responseTooLarge");
	ck_assert_str_eq(js(j, "jobs.0.statistics.query.totalBytesBilled"),
	    "0");
	cJSON_Delete(j);
	j = bill_query("SELECT id, name FROM ds.t WHERE id < 6", NULL, NULL,
	    &code);
	ck_assert_int_eq(code, 200);
	ck_assert_str_eq(js(j, "totalRows"), "5");
	cJSON_Delete(j);
}
END_TEST

START_TEST(test_request_id_idempotent)
{
	long code;
	cJSON *a, *b;
	const char *q = "{\"query\":\"SELECT 1\",\"useLegacySql\":false,"
	    "\"requestId\":\"8e5b4f8e-0f7c-4c7e-9a6b-6f1d3b2f1c11\"}";

	a = reqj("POST", "/projects/p/queries", q, &code);
	b = reqj("POST", "/projects/p/queries", q, &code);
	ck_assert_str_eq(js(a, "jobReference.jobId"),
	    js(b, "jobReference.jobId"));
	cJSON_Delete(a);
	cJSON_Delete(b);
}
END_TEST

START_TEST(test_faults)
{
	struct bq_err err = BQ_ERR_INIT;
	long code;
	cJSON *j;
	char path[160];
	const char *q = "{\"query\":\"SELECT 1\",\"useLegacySql\":false}";

	ck_assert_int_eq(emu_add_fault(E, "503:queries:2", &err), 0);
	j = reqj("POST", "/projects/p/queries", q, &code);
	ck_assert_int_eq(code, 503);
	ck_assert_str_eq(js(j, "error.errors.0.reason"), "backendError");
	cJSON_Delete(j);
	ck_assert_int_eq(req_full("POST", "/projects/p/queries", q, NULL, NULL,
	    NULL), 503);
	ck_assert_int_eq(req_full("POST", "/projects/p/queries", q, NULL, NULL,
	    NULL), 200);
	/* Through the control endpoint: 429, then jobComplete:false x2. */
	ck_assert_int_eq(req_full("POST", "/emulator/faults",
	    "{\"status\":429,\"path\":\"datasets\",\"method\":\"GET\"}", NULL,
	    NULL, NULL), 200);
	j = reqj("GET", "/projects/p/datasets", NULL, &code);
	ck_assert_int_eq(code, 429);
	ck_assert_str_eq(js(j, "error.status"), "RESOURCE_EXHAUSTED");
	cJSON_Delete(j);
	ck_assert_int_eq(req_full("POST", "/emulator/faults",
	    "{\"incomplete\":2}", NULL, NULL, NULL), 200);
	j = reqj("POST", "/projects/p/queries", q, &code);
	ck_assert_str_eq(js(j, "jobComplete"), "false");
	ck_assert_ptr_null(cJSON_GetObjectItem(j, "rows"));
	snprintf(path, sizeof(path), "/projects/p/queries/%s",
	    js(j, "jobReference.jobId"));
	cJSON_Delete(j);
	j = reqj("GET", path, NULL, &code);
	ck_assert_str_eq(js(j, "jobComplete"), "false");
	cJSON_Delete(j);
	j = reqj("GET", path, NULL, &code);
	ck_assert_str_eq(js(j, "jobComplete"), "true");
	ck_assert_str_eq(js(j, "rows.0.f.0.v"), "1");
	cJSON_Delete(j);
	/* A truncated body is a transport error for the client. */
	ck_assert_int_eq(emu_add_fault(E, "{\"truncate\":1}", &err), 0);
	ck_assert_int_eq(req_full("POST", "/projects/p/queries", q, NULL, NULL,
	    NULL), 0);
	ck_assert_int_eq(last_curl, CURLE_PARTIAL_FILE);
	ck_assert_int_eq(req_full("POST", "/projects/p/queries", q, NULL, NULL,
	    NULL), 200);
	ck_assert_int_eq(emu_add_fault(E, "502", &err), 0);
	ck_assert_int_eq(req_full("GET", "/projects/p/datasets", NULL, NULL,
	    NULL, NULL), 502);
	ck_assert_int_eq(req_full("DELETE", "/emulator/faults", NULL, NULL,
	    NULL, NULL), 204);
	ck_assert_int_eq(emu_add_fault(E, "{\"nothing\":1}", &err), -1);
	ck_assert_int_eq(emu_add_fault(E, "200", &err), -1);
}
END_TEST

static size_t
grab_location(char *p, size_t sz, size_t n, void *arg)
{
	char *out = arg;

	if (strncasecmp(p, "Location: ", 10) == 0) {
		size_t l = sz * n - 10;

		while (l > 0 && (p[10 + l - 1] == '\r' || p[10 + l - 1] == '\n'))
			l--;
		snprintf(out, 256, "%.*s", (int)l, p + 10);
	}
	return sz * n;
}

/* PUTs one chunk of a resumable upload; returns the HTTP status. */
static long
put_chunk(const char *url, const char *data, size_t off, size_t len,
    size_t total)
{
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	char hdr[128];
	long code = 0;

	snprintf(hdr, sizeof(hdr), "Content-Range: bytes %zu-%zu/%zu", off,
	    off + len - 1, total);
	h = curl_slist_append(h, hdr);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, data + off);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	{
		struct strbuf sb = STRBUF_INIT;

		curl_easy_setopt(c, CURLOPT_WRITEDATA, &sb);
		if (curl_easy_perform(c) == CURLE_OK)
			curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		strbuf_release(&sb);
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	return code;
}

START_TEST(test_load_job_resumable)
{
	const char *job = "{\"configuration\":{\"load\":{\"sourceFormat\":"
	    "\"NEWLINE_DELIMITED_JSON\",\"destinationTable\":{\"projectId\":"
	    "\"p\",\"datasetId\":\"ds\",\"tableId\":\"t\"}}}}";
	const char *data = "{\"id\":1,\"ts\":\"2024-01-01T00:00:00Z\"}\n"
	    "{\"id\":2,\"name\":\"x\"}\n";
	char loc[256] = "", *url;
	CURL *c = curl_easy_init();
	struct curl_slist *h = NULL;
	long code = 0;
	cJSON *j;

	url = xstrfmt("%s/upload/bigquery/v2/projects/p/jobs?uploadType="
	    "resumable", base);
	h = curl_slist_append(h, "Content-Type: application/json");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, job);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, grab_location);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, loc);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	{
		struct strbuf sb = STRBUF_INIT;

		curl_easy_setopt(c, CURLOPT_WRITEDATA, &sb);
		ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
		strbuf_release(&sb);
	}
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
	free(url);
	ck_assert_int_eq(code, 200);
	ck_assert_msg(strstr(loc, "upload_id=") != NULL, "Location: %s", loc);
	/* Two chunks: 308 for the first, the job for the last. */
	ck_assert_int_eq(put_chunk(loc, data, 0, 10, strlen(data)), 308);
	ck_assert_int_eq(put_chunk(loc, data, 10, strlen(data) - 10,
	    strlen(data)), 200);
	j = reqj("GET", "/projects/p/datasets/ds/tables/t", NULL, &code);
	ck_assert_str_eq(js(j, "numRows"), "2");
	cJSON_Delete(j);
}
END_TEST

START_TEST(test_load_job_multipart)
{
	const char *body =
	    "--BOUND\r\nContent-Type: application/json; charset=UTF-8\r\n\r\n"
	    "{\"configuration\":{\"load\":{\"sourceFormat\":"
	    "\"NEWLINE_DELIMITED_JSON\",\"destinationTable\":{\"projectId\":"
	    "\"p\",\"datasetId\":\"ds\",\"tableId\":\"pos\"},\"schema\":"
	    "{\"fields\":[{\"name\":\"ts\",\"type\":\"TIMESTAMP\"},{\"name\":"
	    "\"mmsi\",\"type\":\"INT64\"}]},\"writeDisposition\":"
	    "\"WRITE_APPEND\"}},\"jobReference\":{\"jobId\":\"load1\"}}\r\n"
	    "--BOUND\r\nContent-Type: application/octet-stream\r\n\r\n"
	    "{\"ts\":\"2024-01-01T00:00:00Z\",\"mmsi\":9007199254740993}\n"
	    "{\"ts\":\"2024-01-01 00:00:01.5\",\"mmsi\":2}\n\n"
	    "{\"ts\":1704067202,\"mmsi\":3}\r\n--BOUND--\r\n";
	char *out = NULL, *bad;
	cJSON *j;
	long code;

	code = req_full("POST", "/upload/bigquery/v2/projects/p/jobs?"
	    "uploadType=multipart", body, "multipart/related; boundary=BOUND",
	    NULL, &out);
	ck_assert_int_eq(code, 200);
	j = cJSON_Parse(out);
	ck_assert_str_eq(js(j, "status.state"), "DONE");
	ck_assert_ptr_null(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "status"),
	    "errorResult"));
	ck_assert_str_eq(js(j, "statistics.load.outputRows"), "3");
	cJSON_Delete(j);
	free(out);
	j = reqj("POST", "/projects/p/queries", "{\"query\":\"SELECT mmsi, "
	    "UNIX_MICROS(ts) FROM ds.pos ORDER BY ts\",\"useLegacySql\":false}",
	    &code);
	expect_js(j, (const char *const[]){
	    "rows.0.f.0.v", "9007199254740993",
	    "rows.1.f.1.v", "1704067201500000",
	    "rows.2.f.1.v", "1704067202000000",
	    NULL });
	cJSON_Delete(j);
	/* One bad row fails the whole job (maxBadRecords 0); nothing lands. */
	bad = xstrdup(body);
	memcpy(strstr(bad, "load1"), "load2", 5);
	memcpy(strstr(bad, "\"mmsi\":2"), "\"mmsi\":X", 8);
	code = req_full("POST", "/upload/bigquery/v2/projects/p/jobs?"
	    "uploadType=multipart", bad, "multipart/related; boundary=BOUND",
	    NULL, &out);
	free(bad);
	j = cJSON_Parse(out);
	ck_assert_str_eq(js(j, "status.errorResult.reason"), "invalid");
	cJSON_Delete(j);
	free(out);
	j = reqj("GET", "/projects/p/datasets/ds/tables/pos", NULL, &code);
	ck_assert_str_eq(js(j, "numRows"), "3");
	cJSON_Delete(j);
}
END_TEST

static char *
b64url(const unsigned char *p, size_t n)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstu"
	    "vwxyz0123456789-_";
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	for (i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ?
		    (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);

		strbuf_addch(&sb, a[v >> 18 & 63]);
		strbuf_addch(&sb, a[v >> 12 & 63]);
		if (i + 1 < n)
			strbuf_addch(&sb, a[v >> 6 & 63]);
		if (i + 2 < n)
			strbuf_addch(&sb, a[v & 63]);
	}
	return strbuf_detach(&sb, NULL);
}

static char *
make_jwt(EVP_PKEY *k, long iat, long exp)
{
	const char *h = "{\"alg\":\"RS256\",\"typ\":\"JWT\"}";
	char *c = xstrfmt("{\"iss\":\"puller@test-project.iam.gserviceaccount."
	    "com\",\"aud\":\"https://oauth2.googleapis.com/token\",\"scope\":"
	    "\"https://www.googleapis.com/auth/bigquery\",\"iat\":%ld,\"exp\":"
	    "%ld}", iat, exp);
	char *hb = b64url((const unsigned char *)h, strlen(h));
	char *cb = b64url((const unsigned char *)c, strlen(c));
	char *input = xstrfmt("%s.%s", hb, cb), *sb, *jwt;
	unsigned char sig[512];
	size_t sl = sizeof(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	ck_assert_int_eq(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k),
	    1);
	ck_assert_int_eq(EVP_DigestSign(md, sig, &sl,
	    (const unsigned char *)input, strlen(input)), 1);
	EVP_MD_CTX_free(md);
	sb = b64url(sig, sl);
	jwt = xstrfmt("%s.%s", input, sb);
	free(c);
	free(hb);
	free(cb);
	free(input);
	free(sb);
	return jwt;
}

/* POSTs a JWT grant signed by k to /token; returns the status. */
static long
grant(EVP_PKEY *k, long iat, long exp, char **out)
{
	char *jwt = make_jwt(k, iat, exp), *form;
	long code;

	form = xstrfmt("grant_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Agrant-type"
	    "%%3Ajwt-bearer&assertion=%s", jwt);
	code = req_full("POST", "/token", form,
	    "application/x-www-form-urlencoded", NULL, out);
	free(form);
	free(jwt);
	return code;
}

START_TEST(test_token_endpoint)
{
	EVP_PKEY *k = EVP_RSA_gen(2048), *other = EVP_RSA_gen(2048);
	char path[] = "/tmp/check_emu_keyXXXXXX", *out = NULL;
	FILE *fp;
	int fd;
	long now = (long)time(NULL);
	cJSON *j;
	char tok[256];

	ck_assert_ptr_nonnull(k);
	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	fp = fdopen(fd, "w");
	ck_assert_int_eq(PEM_write_PUBKEY(fp, k), 1);
	fclose(fp);
	start(path);
	unlink(path);
	/* Without a token every API call is 401. */
	ck_assert_int_eq(req_full("GET", "/projects/p/datasets", NULL, NULL,
	    NULL, NULL), 401);
	ck_assert_int_eq(req_full("GET", "/projects/p/datasets", NULL, NULL,
	    "made-up", NULL), 401);
	ck_assert_int_eq(grant(k, now, now + 3600, &out), 200);
	j = cJSON_Parse(out);
	ck_assert_str_eq(js(j, "token_type"), "Bearer");
	ck_assert_str_eq(js(j, "expires_in"), "3599");
	snprintf(tok, sizeof(tok), "%s", js(j, "access_token"));
	cJSON_Delete(j);
	free(out);
	ck_assert_int_eq(req_full("GET", "/projects/p/datasets", NULL, NULL,
	    tok, NULL), 200);
	/* Another key's signature, and a too-long lifetime, are refused. */
	ck_assert_int_eq(grant(other, now, now + 3600, &out), 400);
	j = cJSON_Parse(out);
	ck_assert_str_eq(js(j, "error"), "invalid_grant");
	ck_assert_str_eq(js(j, "error_description"), "Invalid JWT Signature.");
	cJSON_Delete(j);
	free(out);
	ck_assert_int_eq(grant(k, now, now + 7200, NULL), 400);
	/* Expiring every token makes clients refresh; faults need one. */
	ck_assert_int_eq(req_full("POST", "/emulator/faults",
	    "{\"expireTokens\":true}", NULL, NULL, NULL), 401);
	ck_assert_int_eq(req_full("POST", "/emulator/faults",
	    "{\"expireTokens\":true}", NULL, tok, NULL), 200);
	ck_assert_int_eq(req_full("GET", "/projects/p/datasets", NULL, NULL,
	    tok, NULL), 401);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}
END_TEST

START_TEST(test_loopback_only)
{
	struct emu_opts o;
	struct bq_err err = BQ_ERR_INIT;

	memset(&o, 0, sizeof(o));
	o.host = "0.0.0.0";
	ck_assert_ptr_null(emu_new(&o, &err));
	ck_assert_int_eq(err.kind, EXIT_USAGE);
}
END_TEST

START_TEST(test_quote_long_numbers)
{
	const char *in = "{\"a\":9007199254740993,\"b\":1.5,"
	    "\"c\":\"12345678901234567890\",\"d\":[-12345678901234567]}";
	char *s = emu_quote_long_numbers(in, strlen(in));

	ck_assert_str_eq(s, "{\"a\":\"9007199254740993\",\"b\":1.5,"
	    "\"c\":\"12345678901234567890\",\"d\":[\"-12345678901234567\"]}");
	free(s);
}
END_TEST

static Suite *
emu_suite(void)
{
	Suite *s = suite_create("emu");
	TCase *tc = tcase_create("server");
	TCase *tk = tcase_create("standalone");

	curl_global_init(CURL_GLOBAL_DEFAULT);	/* once, before any thread */
	tcase_set_timeout(tc, 30);
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_healthz_and_both_url_forms);
	tcase_add_test(tc, test_error_envelopes);
	tcase_add_test(tc, test_insert_all_errors);
	tcase_add_test(tc, test_tabledata_paging);
	tcase_add_test(tc, test_float_cells);
	tcase_add_test(tc, test_query_paging_and_timestamps);
	tcase_add_test(tc, test_jobs_insert_get_dml_dryrun);
	tcase_add_test(tc, test_request_id_idempotent);
	tcase_add_test(tc, test_billing);
	tcase_add_test(tc, test_response_limit);
	tcase_add_test(tc, test_faults);
	tcase_add_test(tc, test_load_job_multipart);
	tcase_add_test(tc, test_load_job_resumable);
	suite_add_tcase(s, tc);
	tcase_set_timeout(tk, 30);
	tcase_add_checked_fixture(tk, NULL, teardown);
	tcase_add_test(tk, test_token_endpoint);
	tcase_add_test(tk, test_loopback_only);
	tcase_add_test(tk, test_quote_long_numbers);
	suite_add_tcase(s, tk);
	return s;
}

CHECK_MAIN(emu_suite)
