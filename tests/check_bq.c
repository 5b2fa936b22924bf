/*
 * check_bq: error bodies to one line, retry classes, the jobs.query body,
 * URLs, identifier quoting, and the client against testlib's scripted
 * server (paging, jobComplete:false, retries, job re-runs, truncation).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bq.h"
#include "config.h"
#include "util.h"
#include "testlib.h"

static void
cfg_zero(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_retries = 3;
	cfg->retry_deadline = 30;
}

START_TEST(test_error_line)
{
	struct bq_err err = BQ_ERR_INIT;
	const char *b404 = "{\"error\":{\"errors\":[{\"domain\":\"global\","
	    "\"reason\":\"notFound\",\"message\":\"Not Found: Dataset "
	    "myproject:foo\"}],\"code\":404,\"message\":\"Not Found: Dataset "
	    "myproject:foo\",\"status\":\"NOT_FOUND\"}}";
	const char *b400 = "{\"error\":{\"code\":400,\"message\":\"Syntax "
	    "error: Unexpected identifier \\\"SELEC\\\" at [1:1]\\nmore\","
	    "\"errors\":[{\"message\":\"Syntax error\",\"domain\":\"global\","
	    "\"reason\":\"invalidQuery\",\"location\":\"query\"}],"
	    "\"status\":\"INVALID_ARGUMENT\"}}";
	const char *b;

	bq_error_from_response(404, b404, strlen(b404), "GET", &err);
	ck_assert_str_eq(err.msg,
	    "GET: notFound: Not Found: Dataset myproject:foo");
	ck_assert_int_eq(err.kind, EXIT_CONFIG);
	ck_assert_int_eq(err.http_status, 404);
	bq_error_from_response(400, b400, strlen(b400), "jobs.query", &err);
	ck_assert_str_eq(err.msg, "jobs.query: invalidQuery: Syntax error: "
	    "Unexpected identifier \"SELEC\" at [1:1] more");
	ck_assert_ptr_null(strchr(err.msg, '\n'));
	bq_error_from_response(502, "<html>bad gateway</html>", 24, NULL,
	    &err);
	ck_assert_str_eq(err.msg, "HTTP 502");
	ck_assert_int_eq(err.kind, EXIT_TEMPFAIL);
	b = "{\"error\":{\"code\":403,\"message\":\"Access Denied\","
	    "\"errors\":[{\"reason\":\"accessDenied\",\"message\":"
	    "\"Access Denied\"}]}}";
	bq_error_from_response(403, b, strlen(b), NULL, &err);
	ck_assert_int_eq(err.kind, EXIT_NOPERM);
	ck_assert_str_eq(err.msg, "accessDenied: Access Denied");
}
END_TEST

static enum bq_retry
cls(long st, const char *reason)
{
	char *b = reason ? xstrfmt("{\"error\":{\"code\":%ld,\"message\":\"m\","
	    "\"errors\":[{\"reason\":\"%s\",\"message\":\"m\"}]}}", st,
	    reason) : xstrdup("not json");
	enum bq_retry r = bq_retry_class(st, b, strlen(b));

	free(b);
	return r;
}

START_TEST(test_retry_class)
{
	static const struct {
		long		 status;
		const char	*reason;	/* NULL: a body not JSON */
		enum bq_retry	 want;
	} v[] = {
		{ 403, "rateLimitExceeded", BQ_RETRY_REQUEST },
		{ 500, "backendError", BQ_RETRY_REQUEST },
		{ 503, "backendError", BQ_RETRY_REQUEST },
		{ 500, "internalError", BQ_RETRY_REQUEST },
		{ 408, NULL, BQ_RETRY_REQUEST },
		{ 429, NULL, BQ_RETRY_REQUEST },
		{ 500, NULL, BQ_RETRY_REQUEST },
		{ 502, NULL, BQ_RETRY_REQUEST },
		{ 503, NULL, BQ_RETRY_REQUEST },
		{ 504, NULL, BQ_RETRY_REQUEST },
		{ 400, "jobRateLimitExceeded", BQ_RETRY_JOB },
		{ 400, "jobBackendError", BQ_RETRY_JOB },
		{ 400, "jobInternalError", BQ_RETRY_JOB },
		{ 403, "quotaExceeded", BQ_RETRY_NO },
		{ 403, "accessDenied", BQ_RETRY_NO },
		{ 400, "invalidQuery", BQ_RETRY_NO },
		{ 400, "invalid", BQ_RETRY_NO },
		{ 404, "notFound", BQ_RETRY_NO },
		{ 409, "duplicate", BQ_RETRY_NO },
		{ 400, NULL, BQ_RETRY_NO }, { 401, NULL, BQ_RETRY_NO },
		{ 404, NULL, BQ_RETRY_NO },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		ck_assert_msg(cls(v[i].status, v[i].reason) == v[i].want,
		    "%ld %s: class %d, want %d", v[i].status, v[i].reason ?
		    v[i].reason : "(not JSON)", cls(v[i].status, v[i].reason),
		    v[i].want);
}
END_TEST

START_TEST(test_query_request)
{
	struct bq_param p[] = {
		{ "cursor", "TIMESTAMP", "2025-11-04 15:59:00.123456+00:00" },
		{ "n", "INT64", "9007199254740993" },
		{ "who", "STRING", NULL },
	};
	struct bq_query_opts o;
	cJSON *q;
	char *s;

	memset(&o, 0, sizeof(o));
	o.sql = "SELECT 1";
	o.params = p;
	o.nparams = 3;
	o.page_rows = 500;
	q = bq_query_request(&o, "EU", "rid-1");
	s = cJSON_PrintUnformatted(q);
	ck_assert_str_eq(s, "{\"query\":\"SELECT 1\",\"useLegacySql\":false,"
	    "\"parameterMode\":\"NAMED\",\"queryParameters\":["
	    "{\"name\":\"cursor\",\"parameterType\":{\"type\":\"TIMESTAMP\"},"
	    "\"parameterValue\":{\"value\":\"2025-11-04 15:59:00.123456+00:00\"}},"
	    "{\"name\":\"n\",\"parameterType\":{\"type\":\"INT64\"},"
	    "\"parameterValue\":{\"value\":\"9007199254740993\"}},"
	    "{\"name\":\"who\",\"parameterType\":{\"type\":\"STRING\"},"
	    "\"parameterValue\":{\"value\":null}}],"
	    "\"maxResults\":500,\"timeoutMs\":10000,\"location\":\"EU\","
	    "\"formatOptions\":{\"useInt64Timestamp\":true},"
	    "\"requestId\":\"rid-1\"}");
	free(s);
	cJSON_Delete(q);
	o.nparams = 0;
	o.dry_run = 1;
	q = bq_query_request(&o, NULL, NULL);
	ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(q, "dryRun")));
	ck_assert_ptr_null(cJSON_GetObjectItem(q, "queryParameters"));
	ck_assert_ptr_null(cJSON_GetObjectItem(q, "location"));
	ck_assert_ptr_null(cJSON_GetObjectItem(q, "maximumBytesBilled"));
	cJSON_Delete(q);
	o.max_bytes_billed = 10485760;	/* an int64: a JSON string */
	q = bq_query_request(&o, NULL, NULL);
	ck_assert_str_eq(cJSON_GetStringValue(cJSON_GetObjectItem(q,
	    "maximumBytesBilled")), "10485760");
	cJSON_Delete(q);
}
END_TEST

START_TEST(test_urls)
{
	struct config cfg;
	struct bq_err err = BQ_ERR_INIT;
	struct bq_client *c;
	char *u;
	static const struct { const char *emu, *api, *want; } v[] = {
		{ NULL, NULL, "https://bigquery.googleapis.com/bigquery/v2"
		    "/projects/p/queries" },
		{ "127.0.0.1:9050", NULL, "http://127.0.0.1:9050/bigquery/v2"
		    "/projects/p/queries" },
		{ "http://127.0.0.1:9050/", NULL, "http://127.0.0.1:9050"
		    "/bigquery/v2/projects/p/queries" },
		{ "127.0.0.1:1", "http://h:1/bigquery/v2", "http://h:1"
		    "/bigquery/v2/projects/p/queries" },
		{ NULL, "https://eu.example/", "https://eu.example"
		    "/bigquery/v2/projects/p/queries" },
	};
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		cfg_zero(&cfg);
		cfg.emulator_host = (char *)v[i].emu;
		cfg.api_url = (char *)v[i].api;
		c = bq_client_new(&cfg, &err);
		u = bq_client_url(c, "/projects/p/queries", 0);
		ck_assert_str_eq(u, v[i].want);
		free(u);
		bq_client_free(c);
	}
	cfg_zero(&cfg);
	cfg.emulator_host = (char *)"127.0.0.1:9050";
	c = bq_client_new(&cfg, &err);
	u = bq_client_url(c, "/projects/p/jobs?uploadType=multipart", 1);
	ck_assert_str_eq(u, "http://127.0.0.1:9050/upload/bigquery/v2"
	    "/projects/p/jobs?uploadType=multipart");
	free(u);
	/* no project anywhere: a config error */
	ck_assert_ptr_null(bq_client_project(c, &err));
	ck_assert_int_eq(err.kind, EXIT_CONFIG);
	bq_client_free(c);
}
END_TEST

START_TEST(test_quote_ident)
{
	struct strbuf sb = STRBUF_INIT;

	ck_assert_int_eq(bq_quote_ident(&sb, "proj.ds.t"), 0);
	ck_assert_int_eq(bq_quote_ident(&sb, "my col"), 0);
	ck_assert_str_eq(sb.buf, "`proj.ds.t``my col`");
	ck_assert_int_eq(bq_quote_ident(&sb, "a`b"), -1);
	ck_assert_int_eq(bq_quote_ident(&sb, "a\\b"), -1);
	ck_assert_int_eq(bq_quote_ident(&sb, "a\nb"), -1);
	ck_assert_int_eq(bq_quote_ident(&sb, ""), -1);
	ck_assert_str_eq(sb.buf, "`proj.ds.t``my col`");
	strbuf_release(&sb);
}
END_TEST

/* The probe reads the timestamp column only, bounded by parameters. */
START_TEST(test_probe_sql)
{
	struct strbuf sb = STRBUF_INIT;
	struct bq_err err = BQ_ERR_INIT;

	ck_assert_int_eq(bq_probe_sql(&sb, "p", "ds", "t", "ts",
	    NULL, 0, PARTITION_MICROS, 0, &err), 0);
	ck_assert_str_eq(sb.buf, "SELECT MAX(`ts`) AS upto FROM `p.ds.t` "
	    "WHERE ABS(MOD(UNIX_MICROS(`ts`), @n)) = @i AND `ts` > @cursor");
	strbuf_reset(&sb);
	ck_assert_int_eq(bq_probe_sql(&sb, "p", "ds", "t", "ts",
	    NULL, 0, PARTITION_MICROS, 1, &err), 0);
	ck_assert_str_eq(sb.buf, "SELECT MAX(`ts`) AS upto FROM (SELECT `ts` "
	    "FROM `p.ds.t` WHERE ABS(MOD(UNIX_MICROS(`ts`), @n)) = @i AND "
	    "`ts` > @cursor ORDER BY `ts` LIMIT @limit)");
	strbuf_reset(&sb);
	ck_assert_int_eq(bq_probe_sql(&sb, "p", "d.x", "t", "ts",
	    NULL, 0, PARTITION_MICROS, 0, &err), -1);
	ck_assert_int_eq(err.kind, EXIT_CONFIG);
	strbuf_release(&sb);
}
END_TEST

START_TEST(test_pull_sql)
{
	struct strbuf sb = STRBUF_INIT;
	struct bq_err err = BQ_ERR_INIT;
	char *cols[] = { (char *)"mmsi", (char *)"timestamp" };

	ck_assert_int_eq(bq_pull_sql(&sb, "p", "ds", "t", NULL, 0, "ts",
	    NULL, 0, PARTITION_FINGERPRINT, &err), 0);
	ck_assert_str_eq(sb.buf, "SELECT *, FARM_FINGERPRINT(TO_JSON_STRING("
	    "JSON_STRIP_NULLS(TO_JSON(`_t`)))) AS _fp FROM `p.ds.t` AS _t WHERE "
	    "ABS(MOD(FARM_FINGERPRINT(CAST(UNIX_MICROS(`ts`) AS STRING)), @n)) "
	    "= @i AND `ts` > @cursor AND `ts` <= @upto ORDER BY `ts`");
	strbuf_reset(&sb);
	ck_assert_int_eq(bq_pull_sql(&sb, "my-proj", "d", "v", cols, 2,
	    "timestamp", NULL, 0, PARTITION_MICROS, &err), 0);
	ck_assert_str_eq(sb.buf, "SELECT `mmsi`, `timestamp`, "
	    "FARM_FINGERPRINT(TO_JSON_STRING(JSON_STRIP_NULLS(TO_JSON(STRUCT("
	    "`_t`.`mmsi`, `_t`.`timestamp`))))) AS _fp FROM "
	    "`my-proj.d.v` AS _t WHERE ABS(MOD(UNIX_MICROS(`timestamp`), @n)) = @i "
	    "AND `timestamp` > @cursor AND `timestamp` <= @upto "
	    "ORDER BY `timestamp`");
	strbuf_reset(&sb);
	cols[0] = (char *)"x`; DROP TABLE t; --";
	ck_assert_int_eq(bq_pull_sql(&sb, "p", "d", "t", cols, 2, "ts",
	    NULL, 0, PARTITION_MICROS, &err), -1);
	ck_assert_int_eq(err.kind, EXIT_CONFIG);
	ck_assert_int_eq(bq_pull_sql(&sb, "p", "d.x", "t", NULL, 0, "ts",
	    NULL, 0, PARTITION_MICROS, &err), -1);
	ck_assert_int_eq(bq_pull_sql(&sb, "p", "d", "t", NULL, 0, "t`s",
	    NULL, 0, PARTITION_MICROS, &err), -1);
	/* A natural key: the share is by the key, whatever the scheme. */
	strbuf_reset(&sb);
	cols[0] = (char *)"mmsi";
	cols[1] = (char *)"name";
	ck_assert_int_eq(bq_pull_sql(&sb, "p", "d", "t", NULL, 0, "ts", cols,
	    2, PARTITION_MICROS, &err), 0);
	ck_assert_str_eq(sb.buf, "SELECT *, FARM_FINGERPRINT(TO_JSON_STRING("
	    "JSON_STRIP_NULLS(TO_JSON(`_t`)))) AS _fp FROM `p.d.t` AS _t WHERE "
	    "ABS(MOD(FARM_FINGERPRINT(CONCAT(IFNULL(CAST(`mmsi` AS STRING), ''), "
	    "'|', IFNULL(CAST(`name` AS STRING), ''))), @n)) = @i AND `ts` > "
	    "@cursor AND `ts` <= @upto ORDER BY `ts`");
	strbuf_reset(&sb);
	ck_assert_int_eq(bq_probe_sql(&sb, "p", "d", "t", "ts", cols, 2,
	    PARTITION_MICROS, 0, &err), 0);
	ck_assert_str_eq(sb.buf, "SELECT MAX(`ts`) AS upto FROM `p.d.t` WHERE "
	    "ABS(MOD(FARM_FINGERPRINT(CONCAT(IFNULL(CAST(`mmsi` AS STRING), ''), "
	    "'|', IFNULL(CAST(`name` AS STRING), ''))), @n)) = @i AND `ts` > "
	    "@cursor");
	strbuf_release(&sb);
}
END_TEST

static char *
rows_of_text(const char *text)
{
	struct bq_err err = BQ_ERR_INIT;
	struct bq_query *q = bq_query_from_text(text, strlen(text), &err);
	struct strbuf sb = STRBUF_INIT;
	const cJSON *row;
	char *p;
	int r;

	if (q == NULL)
		return xstrfmt("ERROR %s", err.msg);
	while (bq_query_fetch_page(q, &err) == 1) {
		while ((r = bq_query_next_row(q, &row, &err)) == 1) {
			p = cJSON_PrintUnformatted(row);
			strbuf_addf(&sb, "%s;", p);
			free(p);
		}
		if (r == -1)
			strbuf_addf(&sb, "ERROR %s", err.msg);
		strbuf_addch(&sb, '|');
	}
	bq_query_free(q);
	return strbuf_detach(&sb, NULL);
}

START_TEST(test_rows_from_text)
{
	static const struct { const char *in, *want; } v[] = {
		/* strings holding brackets, braces, quotes and escapes */
		{ "{\"kind\":\"x\",\"schema\":{\"fields\":[]},"
		  "\"rows\": [ {\"f\":[{\"v\":\"a]}\\\"[{\"}]} ,\n"
		  "{\"f\":[{\"v\":null},{\"v\":[{\"v\":\"1\"}]}]}],"
		  "\"totalRows\":\"2\",\"pageToken\":\"ignored\"}",
		  "{\"f\":[{\"v\":\"a]}\\\"[{\"}]};"
		  "{\"f\":[{\"v\":null},{\"v\":[{\"v\":\"1\"}]}]};|" },
		/* no rows, empty rows */
		{ "{\"jobComplete\":true}", "|" },
		{ "{\"rows\":[],\"x\":1}", "|" },
		/* cut short, or not an object */
		{ "{\"rows\":[{\"f\":[{\"v\":\"1\"}]},{\"f\":[",
		  "ERROR not a complete JSON object" },
		{ "[1,2]", "ERROR not a complete JSON object" },
		/* a row that is not JSON */
		{ "{\"rows\":[{\"f\":[{\"v\":tru}]}]}",
		  "ERROR invalid row in the answer|" },
	};
	size_t i;
	char *s;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		s = rows_of_text(v[i].in);
		ck_assert_str_eq(s, v[i].want);
		free(s);
	}
}
END_TEST

START_TEST(test_uuid)
{
	char a[37], b[37];

	bq_uuid(a);
	bq_uuid(b);
	ck_assert_uint_eq(strlen(a), 36);
	ck_assert_str_ne(a, b);
	ck_assert_int_eq(a[14], '4');
	ck_assert_int_eq(a[8], '-');
}
END_TEST

/* --- the client against testlib's scripted server ----------------------- */

#define QUERIES	"/bigquery/v2/projects/p/queries"
#define DATASETS "/bigquery/v2/projects/p/datasets"
/* jobs.query, and jobs.getQueryResults of job j1 */
#define QUERY(st, b)	{ .method = "POST", .path = QUERIES, .status = (st), \
	.body = (b) }
#define RESULTS(st, b)	{ .method = "GET", .path = QUERIES "/j1", \
	.status = (st), .body = (b) }

/* Starts a server that plays n steps, and a client of project p at it. */
static struct testlib_server *
serve(const struct testlib_step *steps, size_t n, struct bq_client **c)
{
	struct testlib_server *srv = testlib_server_start(steps, n);
	struct config cfg;
	struct bq_err err = BQ_ERR_INIT;

	cfg_zero(&cfg);
	cfg.emulator_host = (char *)testlib_server_host(srv);
	cfg.project = (char *)"p";
	cfg.location = (char *)"US";
	*c = bq_client_new(&cfg, &err);
	ck_assert_msg(*c != NULL, "%s", err.msg);
	return srv;
}

/*
 * Request i (from 0) as "METHOD PATH[ pageToken=T] [rid]", rid when its
 * body has a requestId; in a buffer overwritten by the next call.
 */
static const char *
req(struct testlib_server *srv, size_t i)
{
	static char line[512];
	const struct testlib_request *r = testlib_server_request(srv, i);
	const char *tok = testlib_request_arg(r, "pageToken");

	snprintf(line, sizeof(line), "%s %s%s%s %s", r->method, r->path,
	    tok ? " pageToken=" : "", tok ? tok : "",
	    strstr(r->body, "requestId") ? "rid" : "");
	return line;
}

#define SCHEMA "\"schema\":{\"fields\":[{\"name\":\"n\",\"type\":\"INTEGER\"}]}"
#define JOBREF "\"jobReference\":{\"projectId\":\"p\",\"jobId\":\"j1\"," \
	"\"location\":\"US\"}"

/* Drains a query; returns the concatenated n values, e.g. "1,2,3,". */
static char *
drain(struct bq_client *c, struct bq_err *err)
{
	struct bq_query_opts o;
	struct bq_query *q;
	struct strbuf sb = STRBUF_INIT;
	const cJSON *rows, *row;
	int r;

	memset(&o, 0, sizeof(o));
	o.sql = "SELECT n FROM t";
	if ((q = bq_query_start(c, &o, err)) == NULL) {
		strbuf_release(&sb);
		return NULL;
	}
	ck_assert_ptr_nonnull(bq_query_schema(q));
	while ((r = bq_query_next_page(q, &rows, err)) == 1) {
		cJSON_ArrayForEach(row, rows)
			strbuf_addf(&sb, "%s,", cJSON_GetArrayItem(
			    cJSON_GetObjectItem(row, "f"), 0)->child->valuestring);
		strbuf_addch(&sb, '|');
	}
	bq_query_free(q);
	if (r == -1) {
		strbuf_release(&sb);
		return NULL;
	}
	return strbuf_detach(&sb, NULL);
}

/*
 * Starts a server that plays n steps and drains one query through a client
 * of it, which must give want; the caller frees the client and server.
 */
static struct testlib_server *
drain_served(const struct testlib_step *steps, size_t n, const char *want,
    struct bq_client **c)
{
	struct testlib_server *srv = serve(steps, n, c);
	struct bq_err err = BQ_ERR_INIT;
	char *s = drain(*c, &err);

	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert_str_eq(s, want);
	free(s);
	return srv;
}

START_TEST(test_paging)
{
	static const struct testlib_step steps[] = {
		QUERY(200, "{\"jobComplete\":false," JOBREF "}"),
		RESULTS(200, "{\"jobComplete\":true," JOBREF "," SCHEMA
		    ",\"totalRows\":\"5\",\"pageToken\":\"T1\",\"rows\":["
		    "{\"f\":[{\"v\":\"1\"}]},{\"f\":[{\"v\":\"2\"}]}]}"),
		RESULTS(200, "{\"jobComplete\":true," JOBREF ",\"pageToken\":"
		    "\"T 2\",\"rows\":[{\"f\":[{\"v\":\"3\"}]},"
		    "{\"f\":[{\"v\":\"4\"}]}]}"),
		RESULTS(200, "{\"jobComplete\":true," JOBREF ",\"rows\":"
		    "[{\"f\":[{\"v\":\"5\"}]}]}"),
	};
	struct bq_client *c;
	struct testlib_server *srv = drain_served(steps, TESTLIB_NSTEPS(steps),
	    "1,2,|3,4,|5,|", &c);
	ck_assert_str_eq(req(srv, 0), "POST " QUERIES " rid");
	ck_assert_str_eq(req(srv, 1), "GET " QUERIES "/j1 ");
	ck_assert_str_eq(req(srv, 2), "GET " QUERIES "/j1 pageToken=T1 ");
	ck_assert_str_eq(req(srv, 3), "GET " QUERIES "/j1 pageToken=T 2 ");
	ck_assert_uint_eq(testlib_server_count(srv), 4);
	bq_client_free(c);
	testlib_server_free(srv);
}
END_TEST

START_TEST(test_retries)
{
	/* 503, 429, rateLimitExceeded, a truncated body, then the answer */
	static const struct testlib_step steps[] = {
		QUERY(503, "{\"error\":{\"code\":503,\"message\":\"x\","
		    "\"errors\":[{\"reason\":\"backendError\",\"message\":"
		    "\"x\"}]}}"),
		QUERY(429, "slow down"),
		QUERY(403, "{\"error\":{\"code\":403,\"message\":\"x\","
		    "\"errors\":[{\"reason\":\"rateLimitExceeded\","
		    "\"message\":\"x\"}]}}"),
		QUERY(200, "{\"jobComplete\":true," JOBREF "," SCHEMA
		    ",\"rows\":[{\"f\":[{"),
		QUERY(200, "{\"jobComplete\":true," JOBREF "," SCHEMA
		    ",\"rows\":[{\"f\":[{\"v\":\"7\"}]}]}"),
	};
	struct bq_client *c;
	struct testlib_server *srv = drain_served(steps, TESTLIB_NSTEPS(steps),
	    "7,|", &c);
	ck_assert_uint_eq(testlib_server_count(srv), 5);
	bq_client_free(c);
	testlib_server_free(srv);
}
END_TEST

START_TEST(test_job_rerun_and_fail_fast)
{
	static const struct testlib_step steps[] = {
		QUERY(400, "{\"error\":{\"code\":400,\"message\":\"Exceeded "
		    "rate limits\",\"errors\":[{\"reason\":"
		    "\"jobRateLimitExceeded\",\"message\":\"Exceeded rate "
		    "limits\"}]}}"),
		QUERY(200, "{\"jobComplete\":true," JOBREF "," SCHEMA
		    ",\"rows\":[{\"f\":[{\"v\":\"8\"}]}]}"),
		QUERY(400, "{\"error\":{\"code\":400,\"message\":"
		    "\"Unrecognized name: x\",\"errors\":[{\"reason\":"
		    "\"invalidQuery\","
		    "\"message\":\"Unrecognized name: x\"}]}}"),
	};
	struct bq_client *c;
	struct testlib_server *srv = drain_served(steps, TESTLIB_NSTEPS(steps),
	    "8,|", &c);
	struct bq_err err = BQ_ERR_INIT;

	/* a new job: both attempts were jobs.query */
	ck_assert_str_eq(req(srv, 0), "POST " QUERIES " rid");
	ck_assert_str_eq(req(srv, 1), "POST " QUERIES " rid");
	/* invalidQuery fails at once */
	ck_assert_ptr_null(drain(c, &err));
	ck_assert_uint_eq(testlib_server_count(srv), 3);
	ck_assert_str_eq(err.msg,
	    "jobs.query: invalidQuery: Unrecognized name: x");
	ck_assert_int_eq(err.kind, EXIT_CONFIG);
	bq_client_free(c);
	testlib_server_free(srv);
}
END_TEST

START_TEST(test_crud)
{
	static const struct testlib_step steps[] = {
		{ .method = "GET", .path = DATASETS "/ds/tables/t",
		  .status = 404, .body = "{\"error\":{\"code\":404,\"message\":"
		  "\"Not found\",\"errors\":[{\"reason\":\"notFound\","
		  "\"message\":\"Not found\"}]}}" },
		{ .method = "POST", .path = DATASETS "/ds/tables",
		  .status = 200, .body = "{\"kind\":\"bigquery#table\"}" },
		{ .method = "POST", .path = DATASETS, .status = 409,
		  .body = "{\"error\":{\"code\":409,\"message\":\"Already "
		  "Exists\",\"errors\":[{\"reason\":\"duplicate\",\"message\":"
		  "\"Already Exists\"}]}}" },
		{ .method = "DELETE", .path = DATASETS "/ds/tables/t",
		  .status = 204, .body = "" },
		{ .method = "POST", .path = DATASETS "/ds/tables/t/insertAll",
		  .status = 200, .body = "{\"kind\":\"bigquery#"
		  "tableDataInsertAllResponse\",\"insertErrors\":[{\"index\":1,"
		  "\"errors\":[{\"reason\":\"invalid\",\"message\":"
		  "\"no such field\"}]}]}" },
	};
	struct bq_client *c;
	struct testlib_server *srv = serve(steps, TESTLIB_NSTEPS(steps), &c);
	struct bq_err err = BQ_ERR_INIT;
	struct bq_table_ref ref = { NULL, "ds", "t" };
	struct bq_table_spec spec;
	const char *const cl[] = { "mmsi", NULL };
	cJSON *fields = cJSON_Parse("[{\"name\":\"ts\",\"type\":\"TIMESTAMP\"}]");
	cJSON *rows = cJSON_Parse("[{\"a\":1},{\"b\":2}]");

	ck_assert_int_eq(bq_table_get(c, &ref, NULL, &err), 0);
	memset(&spec, 0, sizeof(spec));
	spec.schema_fields = fields;
	spec.partition_type = "DAY";
	spec.partition_field = "ts";
	spec.clustering = cl;
	ck_assert_int_eq(bq_table_insert(c, &ref, &spec, &err), 0);
	ck_assert_str_eq(req(srv, 1), "POST " DATASETS "/ds/tables ");
	ck_assert_int_eq(bq_dataset_insert(c, &ref, NULL, &err), 1);
	ck_assert_str_eq(req(srv, 2), "POST " DATASETS " ");
	ck_assert_int_eq(bq_table_delete(c, &ref, &err), 0);
	ck_assert_str_eq(req(srv, 3), "DELETE " DATASETS "/ds/tables/t ");
	ck_assert_int_eq(bq_insert_all(c, &ref, rows, NULL, &err), -1);
	ck_assert_int_eq(err.kind, EXIT_DATA);
	ck_assert_str_eq(err.msg, "insertAll: 1 rows refused; row 1: invalid: "
	    "no such field");
	cJSON_Delete(fields);
	cJSON_Delete(rows);
	bq_client_free(c);
	testlib_server_free(srv);
}
END_TEST

CHECK_TESTS("bq", 60,
    test_error_line,
    test_retry_class,
    test_query_request,
    test_urls,
    test_quote_ident,
    test_uuid,
    test_pull_sql,
    test_probe_sql,
    test_rows_from_text,
    test_paging,
    test_retries,
    test_job_rerun_and_fail_fast,
    test_crud)
