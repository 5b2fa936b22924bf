/*
 * check_bq: error bodies to one line, retry classes, the jobs.query body,
 * URLs, identifier quoting, and the client against a scripted loopback
 * server (paging, jobComplete:false, retries, job re-runs, truncation).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <cjson/cJSON.h>
#include <microhttpd.h>

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
	ck_assert_int_eq(cls(403, "rateLimitExceeded"), BQ_RETRY_REQUEST);
	ck_assert_int_eq(cls(500, "backendError"), BQ_RETRY_REQUEST);
	ck_assert_int_eq(cls(503, "backendError"), BQ_RETRY_REQUEST);
	ck_assert_int_eq(cls(500, "internalError"), BQ_RETRY_REQUEST);
	ck_assert_int_eq(cls(408, NULL), BQ_RETRY_REQUEST);
	ck_assert_int_eq(cls(429, NULL), BQ_RETRY_REQUEST);
	ck_assert_int_eq(cls(500, NULL), BQ_RETRY_REQUEST);
	ck_assert_int_eq(cls(502, NULL), BQ_RETRY_REQUEST);
	ck_assert_int_eq(cls(503, NULL), BQ_RETRY_REQUEST);
	ck_assert_int_eq(cls(504, NULL), BQ_RETRY_REQUEST);
	ck_assert_int_eq(cls(400, "jobRateLimitExceeded"), BQ_RETRY_JOB);
	ck_assert_int_eq(cls(400, "jobBackendError"), BQ_RETRY_JOB);
	ck_assert_int_eq(cls(400, "jobInternalError"), BQ_RETRY_JOB);
	ck_assert_int_eq(cls(403, "quotaExceeded"), BQ_RETRY_NO);
	ck_assert_int_eq(cls(403, "accessDenied"), BQ_RETRY_NO);
	ck_assert_int_eq(cls(400, "invalidQuery"), BQ_RETRY_NO);
	ck_assert_int_eq(cls(400, "invalid"), BQ_RETRY_NO);
	ck_assert_int_eq(cls(404, "notFound"), BQ_RETRY_NO);
	ck_assert_int_eq(cls(409, "duplicate"), BQ_RETRY_NO);
	ck_assert_int_eq(cls(400, NULL), BQ_RETRY_NO);
	ck_assert_int_eq(cls(401, NULL), BQ_RETRY_NO);
	ck_assert_int_eq(cls(404, NULL), BQ_RETRY_NO);
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
	char *s;

	/* strings holding brackets, braces, quotes and escapes */
	s = rows_of_text("{\"kind\":\"x\",\"schema\":{\"fields\":[]},"
	    "\"rows\": [ {\"f\":[{\"v\":\"a]}\\\"[{\"}]} ,\n"
	    "{\"f\":[{\"v\":null},{\"v\":[{\"v\":\"1\"}]}]}],"
	    "\"totalRows\":\"2\",\"pageToken\":\"ignored\"}");
	ck_assert_str_eq(s, "{\"f\":[{\"v\":\"a]}\\\"[{\"}]};"
	    "{\"f\":[{\"v\":null},{\"v\":[{\"v\":\"1\"}]}]};|");
	free(s);
	/* no rows, empty rows */
	s = rows_of_text("{\"jobComplete\":true}");
	ck_assert_str_eq(s, "|");
	free(s);
	s = rows_of_text("{\"rows\":[],\"x\":1}");
	ck_assert_str_eq(s, "|");
	free(s);
	/* cut short, or not an object */
	s = rows_of_text("{\"rows\":[{\"f\":[{\"v\":\"1\"}]},{\"f\":[");
	ck_assert_str_eq(s, "ERROR not a complete JSON object");
	free(s);
	s = rows_of_text("[1,2]");
	ck_assert_str_eq(s, "ERROR not a complete JSON object");
	free(s);
	/* a row that is not JSON */
	s = rows_of_text("{\"rows\":[{\"f\":[{\"v\":tru}]}]}");
	ck_assert_str_eq(s, "ERROR invalid row in the answer|");
	free(s);
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

/* --- a scripted server: answers in order, records requests ------------- */

struct script {
	int	 n;
	int	 next;
	long	 status[16];
	const char *body[16];
	char	 req[16][512];
};

struct upload {
	struct strbuf body;
};

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *data, size_t *size,
    void **state)
{
	struct script *sc = cls;
	struct upload *u = *state;
	struct MHD_Response *r;
	const char *tok, *body = "{}";
	enum MHD_Result ret;
	long st = 500;
	int i;

	(void)version;
	if (u == NULL) {
		u = xcalloc(1, sizeof(*u));
		strbuf_init(&u->body, 0);
		*state = u;
		return MHD_YES;
	}
	if (*size > 0) {
		strbuf_add(&u->body, data, *size);
		*size = 0;
		return MHD_YES;
	}
	i = sc->next++;
	tok = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
	    "pageToken");
	if (i < 16)
		snprintf(sc->req[i], sizeof(sc->req[i]), "%s %s%s%s %s", method,
		    url, tok ? " pageToken=" : "", tok ? tok : "",
		    strstr(u->body.buf, "requestId") ? "rid" : "");
	if (i < sc->n) {
		st = sc->status[i];
		body = sc->body[i];
	}
	r = MHD_create_response_from_buffer(strlen(body), (void *)body,
	    MHD_RESPMEM_PERSISTENT);
	ret = MHD_queue_response(conn, (unsigned)st, r);
	MHD_destroy_response(r);
	return ret;
}

static void
done(void *cls, struct MHD_Connection *c, void **state,
    enum MHD_RequestTerminationCode t)
{
	struct upload *u = *state;

	(void)cls;
	(void)c;
	(void)t;
	if (u != NULL) {
		strbuf_release(&u->body);
		free(u);
	}
}

static struct MHD_Daemon *
serve(struct script *sc, struct bq_client **c)
{
	struct MHD_Daemon *d;
	struct sockaddr_in sa;
	struct config cfg;
	struct bq_err err = BQ_ERR_INIT;
	char host[64];

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
	    handle, sc, MHD_OPTION_SOCK_ADDR, &sa,
	    MHD_OPTION_NOTIFY_COMPLETED, done, NULL, MHD_OPTION_END);
	ck_assert_ptr_nonnull(d);
	snprintf(host, sizeof(host), "127.0.0.1:%u", MHD_get_daemon_info(d,
	    MHD_DAEMON_INFO_BIND_PORT)->port);
	cfg_zero(&cfg);
	cfg.emulator_host = host;
	cfg.project = (char *)"p";
	cfg.location = (char *)"US";
	*c = bq_client_new(&cfg, &err);
	return d;
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

START_TEST(test_paging)
{
	struct script sc = { 4, 0, { 200, 200, 200, 200 }, {
	    "{\"jobComplete\":false," JOBREF "}",
	    "{\"jobComplete\":true," JOBREF "," SCHEMA ",\"totalRows\":\"5\","
	    "\"pageToken\":\"T1\",\"rows\":[{\"f\":[{\"v\":\"1\"}]},"
	    "{\"f\":[{\"v\":\"2\"}]}]}",
	    "{\"jobComplete\":true," JOBREF ",\"pageToken\":\"T 2\","
	    "\"rows\":[{\"f\":[{\"v\":\"3\"}]},{\"f\":[{\"v\":\"4\"}]}]}",
	    "{\"jobComplete\":true," JOBREF ",\"rows\":[{\"f\":[{\"v\":\"5\"}]}]}",
	}, { { 0 } } };
	struct bq_client *c;
	struct MHD_Daemon *d = serve(&sc, &c);
	struct bq_err err = BQ_ERR_INIT;
	char *s = drain(c, &err);

	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert_str_eq(s, "1,2,|3,4,|5,|");
	ck_assert_str_eq(sc.req[0], "POST /bigquery/v2/projects/p/queries rid");
	ck_assert_str_eq(sc.req[1], "GET /bigquery/v2/projects/p/queries/j1 ");
	ck_assert_str_eq(sc.req[2],
	    "GET /bigquery/v2/projects/p/queries/j1 pageToken=T1 ");
	ck_assert_str_eq(sc.req[3],
	    "GET /bigquery/v2/projects/p/queries/j1 pageToken=T 2 ");
	ck_assert_int_eq(sc.next, 4);
	free(s);
	bq_client_free(c);
	MHD_stop_daemon(d);
}
END_TEST

START_TEST(test_retries)
{
	/* 503, 429, rateLimitExceeded, a truncated body, then the answer */
	struct script sc = { 6, 0, { 503, 429, 403, 200, 200, 200 }, {
	    "{\"error\":{\"code\":503,\"message\":\"x\",\"errors\":"
	    "[{\"reason\":\"backendError\",\"message\":\"x\"}]}}",
	    "slow down",
	    "{\"error\":{\"code\":403,\"message\":\"x\",\"errors\":"
	    "[{\"reason\":\"rateLimitExceeded\",\"message\":\"x\"}]}}",
	    "{\"jobComplete\":true," JOBREF "," SCHEMA ",\"rows\":[{\"f\":[{",
	    "{\"jobComplete\":true," JOBREF "," SCHEMA ",\"rows\":"
	    "[{\"f\":[{\"v\":\"7\"}]}]}",
	    "{}",
	}, { { 0 } } };
	struct bq_client *c;
	struct MHD_Daemon *d = serve(&sc, &c);
	struct bq_err err = BQ_ERR_INIT;
	char *s = drain(c, &err);

	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert_str_eq(s, "7,|");
	ck_assert_int_eq(sc.next, 5);
	free(s);
	bq_client_free(c);
	MHD_stop_daemon(d);
}
END_TEST

START_TEST(test_job_rerun_and_fail_fast)
{
	struct script sc = { 3, 0, { 400, 200, 400 }, {
	    "{\"error\":{\"code\":400,\"message\":\"Exceeded rate limits\","
	    "\"errors\":[{\"reason\":\"jobRateLimitExceeded\","
	    "\"message\":\"Exceeded rate limits\"}]}}",
	    "{\"jobComplete\":true," JOBREF "," SCHEMA ",\"rows\":"
	    "[{\"f\":[{\"v\":\"8\"}]}]}",
	    "{\"error\":{\"code\":400,\"message\":\"Unrecognized name: x\","
	    "\"errors\":[{\"reason\":\"invalidQuery\","
	    "\"message\":\"Unrecognized name: x\"}]}}",
	}, { { 0 } } };
	struct bq_client *c;
	struct MHD_Daemon *d = serve(&sc, &c);
	struct bq_err err = BQ_ERR_INIT;
	char *s = drain(c, &err);

	ck_assert_msg(s != NULL, "%s", err.msg);
	ck_assert_str_eq(s, "8,|");
	/* a new job: both attempts were jobs.query */
	ck_assert_str_eq(sc.req[0], "POST /bigquery/v2/projects/p/queries rid");
	ck_assert_str_eq(sc.req[1], "POST /bigquery/v2/projects/p/queries rid");
	free(s);
	/* invalidQuery fails at once */
	ck_assert_ptr_null(drain(c, &err));
	ck_assert_int_eq(sc.next, 3);
	ck_assert_str_eq(err.msg,
	    "jobs.query: invalidQuery: Unrecognized name: x");
	ck_assert_int_eq(err.kind, EXIT_CONFIG);
	bq_client_free(c);
	MHD_stop_daemon(d);
}
END_TEST

START_TEST(test_crud)
{
	struct script sc = { 5, 0, { 404, 200, 409, 204, 200 }, {
	    "{\"error\":{\"code\":404,\"message\":\"Not found\",\"errors\":"
	    "[{\"reason\":\"notFound\",\"message\":\"Not found\"}]}}",
	    "{\"kind\":\"bigquery#table\"}",
	    "{\"error\":{\"code\":409,\"message\":\"Already Exists\",\"errors\":"
	    "[{\"reason\":\"duplicate\",\"message\":\"Already Exists\"}]}}",
	    "",
	    "{\"kind\":\"bigquery#tableDataInsertAllResponse\",\"insertErrors\":"
	    "[{\"index\":1,\"errors\":[{\"reason\":\"invalid\",\"message\":"
	    "\"no such field\"}]}]}",
	}, { { 0 } } };
	struct bq_client *c;
	struct MHD_Daemon *d = serve(&sc, &c);
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
	ck_assert_str_eq(sc.req[1], "POST /bigquery/v2/projects/p/datasets/ds"
	    "/tables ");
	ck_assert_int_eq(bq_dataset_insert(c, &ref, NULL, &err), 1);
	ck_assert_str_eq(sc.req[2], "POST /bigquery/v2/projects/p/datasets ");
	ck_assert_int_eq(bq_table_delete(c, &ref, &err), 0);
	ck_assert_str_eq(sc.req[3], "DELETE /bigquery/v2/projects/p/datasets/ds"
	    "/tables/t ");
	ck_assert_int_eq(bq_insert_all(c, &ref, rows, NULL, &err), -1);
	ck_assert_int_eq(err.kind, EXIT_DATA);
	ck_assert_str_eq(err.msg, "insertAll: 1 rows refused; row 1: invalid: "
	    "no such field");
	cJSON_Delete(fields);
	cJSON_Delete(rows);
	bq_client_free(c);
	MHD_stop_daemon(d);
}
END_TEST

static Suite *
bq_suite(void)
{
	Suite *s = suite_create("bq");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_error_line);
	tcase_add_test(tc, test_retry_class);
	tcase_add_test(tc, test_query_request);
	tcase_add_test(tc, test_urls);
	tcase_add_test(tc, test_quote_ident);
	tcase_add_test(tc, test_uuid);
	tcase_add_test(tc, test_pull_sql);
	tcase_add_test(tc, test_probe_sql);
	tcase_add_test(tc, test_rows_from_text);
	tcase_add_test(tc, test_paging);
	tcase_add_test(tc, test_retries);
	tcase_add_test(tc, test_job_rerun_and_fail_fast);
	tcase_add_test(tc, test_crud);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(bq_suite)
