#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "auth.h"
#include "bq.h"
#include "http.h"
#include "banned.h"

#define GOOGLE_ROOT	"https://bigquery.googleapis.com"
#define DEFAULT_PAGE	10000
#define DEFAULT_WAIT	10000

struct bq_client {
	struct http_client *http;
	char		*root;		/* scheme://host[:port] */
	char		*base;		/* root + /bigquery/v2 */
	char		*project;
	char		*location;
	char		*cred_path;
	int		 no_auth;
	struct auth	*auth;
	int		 max_retries;
	double		 deadline;
	int		 job_failed;	/* last error was a job* reason */
};

struct bq_query {
	struct bq_client *c;
	char		*sql_body;	/* the jobs.query request, for re-runs */
	char		*job_id;
	char		*job_project;
	char		*location;
	cJSON		*resp;		/* the current page, rows emptied */
	struct strbuf	 page;		/* its text */
	size_t		 rpos, rend;	/* the rows still to read in page */
	cJSON		*row;		/* the last row handed out */
	cJSON		*rows;		/* bq_query_next_page()'s array */
	cJSON		*schema;	/* detached "fields" */
	char		*page_token;
	long		 page_rows;
	long		 timeout_ms;
	int		 delivered;	/* pages handed out */
	int		 done;
	int64_t		 total_rows;
	int64_t		 bytes;
	int64_t		 billed;	/* totalBytesBilled, -1 unknown */
	int64_t		 dml;
	size_t		 span[2];	/* rows of the last answer in page */
};

static int64_t
jint64(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	if (cJSON_IsString(v))
		return strtoll(v->valuestring, NULL, 10);
	if (cJSON_IsNumber(v))
		return (int64_t)v->valuedouble;
	return -1;
}

/* --- errors and retries ------------------------------------------------ */

static const char *
first_reason(const cJSON *j, const char **message)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
	const cJSON *errs, *e0;
	const char *r = NULL;

	*message = NULL;
	if (!cJSON_IsObject(e))
		return NULL;
	*message = util_json_str(e, "message");
	errs = cJSON_GetObjectItemCaseSensitive(e, "errors");
	e0 = cJSON_IsArray(errs) ? cJSON_GetArrayItem(errs, 0) : NULL;
	if (e0 != NULL) {
		r = util_json_str(e0, "reason");
		if (*message == NULL)
			*message = util_json_str(e0, "message");
	}
	if (r == NULL)
		r = util_json_str(e, "status");
	return r;
}

static int
reason_in(const char *r, const char *const *set)
{
	for (; r != NULL && *set != NULL; set++)
		if (strcmp(r, *set) == 0)
			return 1;
	return 0;
}

static const char *const retry_reasons[] = {
	"rateLimitExceeded", "backendError", "internalError", "badGateway",
	"userRateLimitExceeded", NULL
};
static const char *const job_reasons[] = {
	"jobBackendError", "jobInternalError", "jobRateLimitExceeded", NULL
};

enum bq_retry
bq_retry_class(long status, const char *body, size_t len)
{
	cJSON *j = body != NULL ? cJSON_ParseWithLength(body, len) : NULL;
	const char *msg, *r = first_reason(j, &msg);
	enum bq_retry rc = BQ_RETRY_NO;

	if (reason_in(r, job_reasons))
		rc = BQ_RETRY_JOB;
	else if (reason_in(r, retry_reasons))
		rc = BQ_RETRY_REQUEST;
	else if (r != NULL && (strcmp(r, "quotaExceeded") == 0 ||
	    strcmp(r, "accessDenied") == 0 || strcmp(r, "invalid") == 0 ||
	    strcmp(r, "invalidQuery") == 0 || strcmp(r, "notFound") == 0 ||
	    strcmp(r, "duplicate") == 0))
		rc = BQ_RETRY_NO;
	else if (status == 408 || status == 429 || status == 500 ||
	    status == 502 || status == 503 || status == 504)
		rc = BQ_RETRY_REQUEST;
	cJSON_Delete(j);
	return rc;
}

static int
http_retry(long status, const struct strbuf *body, void *arg)
{
	(void)arg;
	if (status < 400)
		return 0;
	return bq_retry_class(status, body->buf, body->len) ==
	    BQ_RETRY_REQUEST;
}

static int
kind_for(long status, const char *reason)
{
	if (reason_in(reason, retry_reasons) || reason_in(reason, job_reasons))
		return EXIT_TEMPFAIL;
	if (reason != NULL && strcmp(reason, "quotaExceeded") == 0)
		return EXIT_TEMPFAIL;
	if (status == 401 || status == 403 || status == 407)
		return EXIT_NOPERM;
	if (status == 404 || (reason != NULL &&
	    (strcmp(reason, "invalidQuery") == 0 ||
	    strcmp(reason, "notFound") == 0)))
		return EXIT_CONFIG;
	if (status == 408 || status == 429 || status >= 500)
		return EXIT_TEMPFAIL;
	return EXIT_FAIL;
}

/* Copies text as one line (control characters become spaces). */
static void
one_line(char *out, size_t n, const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < n; i++)
		out[i] = ((unsigned char)s[i] < 0x20) ? ' ' : s[i];
	out[i] = '\0';
}

int
bq_error_from_response(long status, const char *body, size_t len,
    const char *what, struct bq_err *err)
{
	cJSON *j = body != NULL ? cJSON_ParseWithLength(body, len) : NULL;
	const char *msg, *r = first_reason(j, &msg);
	char line[200];

	if (msg != NULL)
		one_line(line, sizeof(line), msg);
	if (r != NULL && msg != NULL)
		bq_err_set(err, kind_for(status, r), "%s%s%s: %s",
		    what ? what : "", what ? ": " : "", r, line);
	else if (msg != NULL)
		bq_err_set(err, kind_for(status, r), "%s%sHTTP %ld: %s",
		    what ? what : "", what ? ": " : "", status, line);
	else
		bq_err_set(err, kind_for(status, r), "%s%sHTTP %ld",
		    what ? what : "", what ? ": " : "", status);
	err->http_status = status;
	cJSON_Delete(j);
	return -1;
}

/* --- the client -------------------------------------------------------- */

static char *
strip_slash(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
	return s;
}

struct bq_client *
bq_client_new(const struct config *cfg, struct bq_err *err)
{
	struct bq_client *c = xcalloc(1, sizeof(*c));
	struct http_opts ho;
	size_t n;

	(void)err;
	if (cfg->api_url != NULL && *cfg->api_url != '\0') {
		c->root = strip_slash(xstrdup(cfg->api_url));
		n = strlen(c->root);
		if (n >= 12 && strcmp(c->root + n - 12, "/bigquery/v2") == 0)
			c->root[n - 12] = '\0';
	} else if (cfg->emulator_host != NULL && *cfg->emulator_host != '\0') {
		const char *h = cfg->emulator_host;

		if (strstr(h, "://") != NULL)
			c->root = strip_slash(xstrdup(h));
		else
			c->root = strip_slash(xstrfmt("http://%s", h));
		c->no_auth = cfg->credentials == NULL ||
		    *cfg->credentials == '\0';
	} else {
		c->root = xstrdup(GOOGLE_ROOT);
	}
	c->base = xstrfmt("%s/bigquery/v2", c->root);
	if (cfg->project != NULL && *cfg->project != '\0')
		c->project = xstrdup(cfg->project);
	c->location = xstrdup(cfg->location != NULL ? cfg->location : "US");
	if (cfg->credentials != NULL && *cfg->credentials != '\0')
		c->cred_path = xstrdup(cfg->credentials);
	c->max_retries = cfg->max_retries > 0 ? (int)cfg->max_retries : 5;
	c->deadline = cfg->retry_deadline > 0 ? cfg->retry_deadline : 600;
	memset(&ho, 0, sizeof(ho));
	ho.timeout = 300;
	ho.deadline = c->deadline;
	ho.max_retries = c->max_retries;
	ho.backoff_base = 1;
	ho.backoff_cap = 32;
	c->http = http_client_new(&ho);
	http_client_set_retry(c->http, http_retry, NULL);
	return c;
}

void
bq_client_free(struct bq_client *c)
{
	if (c == NULL)
		return;
	auth_free(c->auth);
	http_client_free(c->http);
	free(c->root);
	free(c->base);
	free(c->project);
	free(c->location);
	free(c->cred_path);
	free(c);
}

static int
ensure_auth(struct bq_client *c, struct bq_err *err)
{
	if (c->no_auth || c->auth != NULL)
		return 0;
	c->auth = auth_new(c->cred_path, c->http, err);
	if (c->auth == NULL)
		return -1;
	if (c->project == NULL && auth_project(c->auth) != NULL)
		c->project = xstrdup(auth_project(c->auth));
	return 0;
}

const char *
bq_client_project(struct bq_client *c, struct bq_err *err)
{
	if (c->project == NULL && ensure_auth(c, err) == -1)
		return NULL;
	if (c->project == NULL)
		bq_err_set(err, EXIT_CONFIG, "no BigQuery project: set "
		    "bigquery.projectId or BQSYNC_PROJECT");
	return c->project;
}

char *
bq_client_url(const struct bq_client *c, const char *path, int upload)
{
	if (upload)
		return xstrfmt("%s/upload/bigquery/v2%s", c->root, path);
	return xstrfmt("%s%s", c->base, path);
}

/*
 * Sends one request with auth, refreshing the token once on 401.  0 when
 * an HTTP answer arrived (resp filled), -1 with err otherwise.
 */
static int
send_req(struct bq_client *c, const char *method, const char *url,
    const char *ctype, const char *body, size_t len, struct http_response *resp,
    struct bq_err *err)
{
	struct http_request req;
	const char *tok = NULL;
	int attempt;

	if (ensure_auth(c, err) == -1)
		return -1;
	for (attempt = 0; attempt < 2; attempt++) {
		memset(&req, 0, sizeof(req));
		req.method = method;
		req.url = url;
		req.content_type = ctype;
		req.body = body;
		req.body_len = len;
		if (c->auth != NULL) {
			if (auth_token(c->auth, &tok, err) == -1)
				return -1;
			req.bearer = tok;
		}
		http_response_release(resp);
		http_response_init(resp);
		if (http_do(c->http, &req, resp, err) == -1)
			return -1;
		if (resp->status != 401 || c->auth == NULL)
			break;
		bqsync_log(BQ_LOG_DEBUG, "HTTP 401: refreshing the access token");
		auth_invalidate(c->auth);
	}
	return 0;
}

static void
backoff(int attempt)
{
	double d = 1.0;
	unsigned char r;

	while (attempt-- > 0 && d < 32)
		d *= 2;
	if (RAND_bytes(&r, 1) != 1)
		r = 128;
	util_sleep(d * (0.5 + r / 512.0), NULL);
}

/* --- page text: the rows array is parsed one row at a time ------------- */

static size_t
skip_ws(const char *s, size_t i, size_t n)
{
	while (i < n && (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' ||
	    s[i] == '\r'))
		i++;
	return i;
}

/* Advances *i past one JSON value (structure only); -1 if cut short. */
static int
skip_value(const char *s, size_t *i, size_t n)
{
	size_t k = skip_ws(s, *i, n);
	int depth = 0, in_str = 0;

	if (k >= n)
		return -1;
	if (s[k] != '{' && s[k] != '[' && s[k] != '"') {
		while (k < n && s[k] != ',' && s[k] != '}' && s[k] != ']' &&
		    s[k] != ' ' && s[k] != '\n' && s[k] != '\r' && s[k] != '\t')
			k++;
		*i = k;
		return k < n ? 0 : -1;
	}
	for (; k < n; k++) {
		char ch = s[k];

		if (in_str) {
			if (ch == '\\')
				k++;
			else if (ch == '"') {
				in_str = 0;
				if (depth == 0) {
					*i = k + 1;
					return 0;
				}
			}
			continue;
		}
		if (ch == '"')
			in_str = 1;
		else if (ch == '{' || ch == '[')
			depth++;
		else if ((ch == '}' || ch == ']') && --depth == 0) {
			*i = k + 1;
			return 0;
		}
	}
	return -1;
}

/*
 * Splits a response: *meta = the object with "rows" emptied (caller frees),
 * [*rs, *re) = the span of the rows array (0, 0 if none).  -1 if the text
 * is not a complete JSON object (e.g. a body cut short).
 */
static int
parse_page(const char *s, size_t n, cJSON **meta, size_t *rs, size_t *re)
{
	struct strbuf m = STRBUF_INIT;
	size_t i = skip_ws(s, 0, n), ks, ke;

	*meta = NULL;
	*rs = *re = 0;
	if (i >= n || s[i] != '{')
		return -1;
	for (i++;;) {
		i = skip_ws(s, i, n);
		if (i < n && s[i] == '}')
			break;
		ks = i;
		if (i >= n || s[i] != '"' || skip_value(s, &i, n) == -1)
			return -1;
		ke = i;
		i = skip_ws(s, i, n);
		if (i >= n || s[i] != ':')
			return -1;
		i = skip_ws(s, i + 1, n);
		if (ke - ks == 6 && memcmp(s + ks, "\"rows\"", 6) == 0 &&
		    i < n && s[i] == '[')
			*rs = i;
		if (skip_value(s, &i, n) == -1)
			return -1;
		if (*rs != 0 && *re == 0)
			*re = i;
		i = skip_ws(s, i, n);
		if (i < n && s[i] == ',')
			i++;
		else if (i >= n || s[i] != '}')
			return -1;
	}
	if (*re == 0) {
		*meta = cJSON_ParseWithLength(s, n);
	} else {
		strbuf_init(&m, 1024);
		strbuf_add(&m, s, *rs);
		strbuf_adds(&m, "[]");
		strbuf_add(&m, s + *re, n - *re);
		*meta = cJSON_ParseWithLength(m.buf, m.len);
		strbuf_release(&m);
	}
	return *meta != NULL ? 0 : -1;
}

/*
 * A JSON call: retries answers whose 2xx body does not parse (a response
 * cut short) and answers the classifier calls retryable, to be safe when
 * the HTTP layer gave up early.  Returns the status with *out, or -1.
 * With page != NULL the body is kept there and *out is its meta part
 * (see parse_page), span[] the rows.
 */
static long
json_call(struct bq_client *c, const char *method, const char *url,
    const char *ctype, const char *body, size_t len, const char *what,
    cJSON **out, struct strbuf *page, size_t span[2], struct bq_err *err)
{
	struct http_response resp;
	long status = -1;
	int attempt, ok;

	http_response_init(&resp);
	if (out != NULL)
		*out = NULL;
	for (attempt = 0;; attempt++) {
		if (send_req(c, method, url, ctype, body, len, &resp,
		    err) == -1) {
			bq_err_prefix(err, "%s", what);
			goto out;
		}
		if (resp.status >= 200 && resp.status < 300) {
			cJSON *j = NULL;

			if (page != NULL)
				ok = parse_page(resp.body.buf, resp.body.len,
				    &j, &span[0], &span[1]) == 0;
			else
				ok = resp.body.len == 0 || (j =
				    cJSON_ParseWithLength(resp.body.buf,
				    resp.body.len)) != NULL;
			if (ok) {
				if (out != NULL)
					*out = j;
				else
					cJSON_Delete(j);
				if (page != NULL) {
					struct strbuf tmp = *page;

					*page = resp.body;
					resp.body = tmp;
				}
				status = resp.status;
				goto out;
			}
			if (attempt >= c->max_retries) {
				bq_err_set(err, EXIT_TEMPFAIL, "%s: invalid JSON "
				    "in the answer (HTTP %ld)", what,
				    resp.status);
				goto out;
			}
			bqsync_log(BQ_LOG_DEBUG, "%s: truncated answer, retrying",
			    what);
		} else if (attempt < c->max_retries &&
		    bq_retry_class(resp.status, resp.body.buf, resp.body.len) ==
		    BQ_RETRY_REQUEST && resp.attempts <= 1) {
			bqsync_log(BQ_LOG_DEBUG, "%s: HTTP %ld, retrying", what,
			    resp.status);
		} else {
			c->job_failed = bq_retry_class(resp.status,
			    resp.body.buf, resp.body.len) == BQ_RETRY_JOB;
			bq_error_from_response(resp.status, resp.body.buf,
			    resp.body.len, what, err);
			goto out;
		}
		backoff(attempt);
	}
out:
	http_response_release(&resp);
	return status;
}

long
bq_request(struct bq_client *c, const char *method, const char *path,
    const cJSON *body, cJSON **out, struct bq_err *err)
{
	char *url = bq_client_url(c, path, 0), *text = NULL;
	long rc;

	if (body != NULL && (text = cJSON_PrintUnformatted(body)) == NULL)
		abort();
	rc = json_call(c, method, url, text ? "application/json" : NULL, text,
	    text ? strlen(text) : 0, method, out, NULL, NULL, err);
	free(text);
	free(url);
	return rc;
}

/* --- helpers ----------------------------------------------------------- */

void
bq_uuid(char out[37])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char b[16];
	int i, o = 0;

	if (RAND_bytes(b, sizeof(b)) != 1)
		abort();
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[b[i] >> 4];
		out[o++] = hex[b[i] & 15];
	}
	out[o] = '\0';
}

int
bq_quote_ident(struct strbuf *out, const char *name)
{
	const unsigned char *p;

	if (name == NULL || *name == '\0')
		return -1;
	for (p = (const unsigned char *)name; *p != '\0'; p++)
		if (*p < 0x20 || *p == '`' || *p == '\\' || *p == 0x7f)
			return -1;
	strbuf_addch(out, '`');
	strbuf_adds(out, name);
	strbuf_addch(out, '`');
	return 0;
}

/* Appends s percent-encoded for a URL path segment or query value. */
static void
add_esc(struct strbuf *sb, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		    *p == '.' || *p == '~') {
			strbuf_addch(sb, *p);
		} else {
			strbuf_addch(sb, '%');
			strbuf_addch(sb, hex[*p >> 4]);
			strbuf_addch(sb, hex[*p & 15]);
		}
	}
}

cJSON *
bq_query_request(const struct bq_query_opts *o, const char *location,
    const char *request_id)
{
	cJSON *q = cJSON_CreateObject(), *params, *p, *t, *v;
	char mb[24];
	size_t i;

	cJSON_AddStringToObject(q, "query", o->sql);
	cJSON_AddFalseToObject(q, "useLegacySql");
	if (o->nparams > 0) {
		cJSON_AddStringToObject(q, "parameterMode", "NAMED");
		params = cJSON_AddArrayToObject(q, "queryParameters");
		for (i = 0; i < o->nparams; i++) {
			p = cJSON_CreateObject();
			cJSON_AddStringToObject(p, "name", o->params[i].name);
			t = cJSON_AddObjectToObject(p, "parameterType");
			cJSON_AddStringToObject(t, "type", o->params[i].type);
			v = cJSON_AddObjectToObject(p, "parameterValue");
			if (o->params[i].value != NULL)
				cJSON_AddStringToObject(v, "value",
				    o->params[i].value);
			else
				cJSON_AddNullToObject(v, "value");
			cJSON_AddItemToArray(params, p);
		}
	}
	cJSON_AddNumberToObject(q, "maxResults",
	    o->page_rows > 0 ? o->page_rows : DEFAULT_PAGE);
	cJSON_AddNumberToObject(q, "timeoutMs",
	    o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_WAIT);
	if (location != NULL && *location != '\0')
		cJSON_AddStringToObject(q, "location", location);
	if (o->dry_run)
		cJSON_AddTrueToObject(q, "dryRun");
	if (o->max_bytes_billed > 0) {
		snprintf(mb, sizeof(mb), "%lld", (long long)o->max_bytes_billed);
		cJSON_AddStringToObject(q, "maximumBytesBilled", mb);
	}
	t = cJSON_AddObjectToObject(q, "formatOptions");
	cJSON_AddTrueToObject(t, "useInt64Timestamp");
	if (request_id != NULL)
		cJSON_AddStringToObject(q, "requestId", request_id);
	return q;
}

/* --- queries ----------------------------------------------------------- */

void
bq_query_free(struct bq_query *q)
{
	if (q == NULL)
		return;
	free(q->sql_body);
	free(q->job_id);
	free(q->job_project);
	free(q->location);
	cJSON_Delete(q->resp);
	strbuf_release(&q->page);
	cJSON_Delete(q->row);
	cJSON_Delete(q->rows);
	cJSON_Delete(q->schema);
	free(q->page_token);
	free(q);
}

/* Takes over a complete response (meta part, text in q->page). */
static void
take_page(struct bq_query *q, cJSON *resp, const size_t span[2])
{
	const char *tok = util_json_str(resp, "pageToken");
	cJSON *s;

	cJSON_Delete(q->resp);
	q->resp = resp;
	q->rpos = q->rend = 0;
	if (span[1] > span[0]) {
		q->rpos = span[0] + 1;		/* after '[' */
		q->rend = span[1] - 1;		/* at ']' */
	}
	free(q->page_token);
	q->page_token = tok != NULL && *tok != '\0' ? xstrdup(tok) : NULL;
	if (q->schema == NULL && (s = cJSON_GetObjectItem(resp, "schema")) !=
	    NULL)
		q->schema = cJSON_DetachItemFromObject(s, "fields");
	if (jint64(resp, "totalRows") >= 0)
		q->total_rows = jint64(resp, "totalRows");
	if (jint64(resp, "totalBytesProcessed") >= 0)
		q->bytes = jint64(resp, "totalBytesProcessed");
	if (jint64(resp, "totalBytesBilled") >= 0)
		q->billed = jint64(resp, "totalBytesBilled");
	else if (cJSON_IsTrue(cJSON_GetObjectItem(resp, "cacheHit")))
		q->billed = 0;
	if (jint64(resp, "numDmlAffectedRows") >= 0)
		q->dml = jint64(resp, "numDmlAffectedRows");
}

static void
remember_job(struct bq_query *q, const cJSON *resp)
{
	const cJSON *ref = cJSON_GetObjectItem(resp, "jobReference");
	const char *s;

	if (ref == NULL)
		return;
	if ((s = util_json_str(ref, "jobId")) != NULL) {
		free(q->job_id);
		q->job_id = xstrdup(s);
	}
	if ((s = util_json_str(ref, "projectId")) != NULL) {
		free(q->job_project);
		q->job_project = xstrdup(s);
	}
	if ((s = util_json_str(ref, "location")) != NULL) {
		free(q->location);
		q->location = xstrdup(s);
	}
}

/* GET getQueryResults (with the page token when tok != NULL). */
static long
get_results(struct bq_query *q, const char *tok, cJSON **out,
    struct bq_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	char *url;
	long rc;

	strbuf_adds(&sb, "/projects/");
	add_esc(&sb, q->job_project);
	strbuf_adds(&sb, "/queries/");
	add_esc(&sb, q->job_id);
	strbuf_addf(&sb, "?maxResults=%ld&timeoutMs=%ld"
	    "&formatOptions.useInt64Timestamp=true", q->page_rows,
	    q->timeout_ms);
	if (q->location != NULL) {
		strbuf_adds(&sb, "&location=");
		add_esc(&sb, q->location);
	}
	if (tok != NULL) {
		strbuf_adds(&sb, "&pageToken=");
		add_esc(&sb, tok);
	}
	url = bq_client_url(q->c, sb.buf, 0);
	rc = json_call(q->c, "GET", url, NULL, NULL, 0,
	    "jobs.getQueryResults", out, &q->page, q->span, err);
	free(url);
	strbuf_release(&sb);
	return rc;
}

static int
job_complete(const cJSON *resp)
{
	return cJSON_IsTrue(cJSON_GetObjectItem(resp, "jobComplete"));
}

/* One attempt at running the query to its first complete page. */
static int
run_once(struct bq_query *q, struct bq_err *err)
{
	cJSON *req = NULL, *resp = NULL;
	char rid[37], *text = NULL, *url = NULL, *path = NULL;
	struct strbuf sb = STRBUF_INIT;
	int rc = -1;

	req = cJSON_Parse(q->sql_body);
	bq_uuid(rid);
	cJSON_AddStringToObject(req, "requestId", rid);
	text = cJSON_PrintUnformatted(req);
	strbuf_adds(&sb, "/projects/");
	add_esc(&sb, q->job_project);
	strbuf_adds(&sb, "/queries");
	url = bq_client_url(q->c, sb.buf, 0);
	if (json_call(q->c, "POST", url, "application/json", text,
	    strlen(text), "jobs.query", &resp, &q->page, q->span, err) == -1)
		goto out;
	remember_job(q, resp);
	while (!job_complete(resp)) {
		if (q->job_id == NULL) {
			bq_err_set(err, EXIT_FAIL, "jobs.query: incomplete "
			    "answer without a jobReference");
			goto out;
		}
		cJSON_Delete(resp);
		resp = NULL;
		if (get_results(q, NULL, &resp, err) == -1)
			goto out;
	}
	take_page(q, resp, q->span);
	resp = NULL;
	rc = 0;
out:
	cJSON_Delete(resp);
	cJSON_Delete(req);
	free(text);
	free(url);
	free(path);
	strbuf_release(&sb);
	return rc;
}

/* Runs (or re-runs, after a job-level failure) the query. */
static int
run_query(struct bq_query *q, struct bq_err *err)
{
	int attempt;

	for (attempt = 0;; attempt++) {
		q->c->job_failed = 0;
		if (run_once(q, err) == 0)
			return 0;
		if (attempt >= q->c->max_retries || !q->c->job_failed)
			return -1;
		/* 4xx with a job* reason: the job failed, run a new one */
		bqsync_log(BQ_LOG_WARN, "%s; re-running the query", err->msg);
		bq_err_clear(err);
		backoff(attempt);
	}
}

struct bq_query *
bq_query_start(struct bq_client *c, const struct bq_query_opts *o,
    struct bq_err *err)
{
	struct bq_query *q = xcalloc(1, sizeof(*q));
	const char *proj;
	cJSON *req;

	q->c = c;
	q->total_rows = q->bytes = q->billed = q->dml = -1;
	q->page_rows = o->page_rows > 0 ? o->page_rows : DEFAULT_PAGE;
	q->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : DEFAULT_WAIT;
	if ((proj = bq_client_project(c, err)) == NULL)
		goto fail;
	q->job_project = xstrdup(proj);
	req = bq_query_request(o, o->location ? o->location : c->location,
	    NULL);
	q->sql_body = cJSON_PrintUnformatted(req);
	cJSON_Delete(req);
	if (run_query(q, err) == -1)
		goto fail;
	return q;
fail:
	bq_query_free(q);
	return NULL;
}

int
bq_query_fetch_page(struct bq_query *q, struct bq_err *err)
{
	cJSON *resp = NULL;

	if (q->done)
		return 0;
	if (q->delivered > 0) {
		if (q->page_token == NULL || q->c == NULL) {
			q->done = 1;
			q->rpos = q->rend = 0;
			return 0;
		}
		do {
			cJSON_Delete(resp);
			resp = NULL;
			if (get_results(q, q->page_token, &resp, err) == -1)
				return -1;
		} while (!job_complete(resp));
		take_page(q, resp, q->span);
	}
	q->delivered++;
	return 1;
}

int
bq_query_next_row(struct bq_query *q, const cJSON **row, struct bq_err *err)
{
	const char *s = q->page.buf;
	size_t i = skip_ws(s, q->rpos, q->rend), start;

	cJSON_Delete(q->row);
	q->row = NULL;
	if (i < q->rend && s[i] == ',')
		i = skip_ws(s, i + 1, q->rend);
	if (i >= q->rend) {
		q->rpos = q->rend;
		return 0;
	}
	start = i;
	if (skip_value(s, &i, q->rend + 1) == -1 ||
	    (q->row = cJSON_ParseWithLength(s + start, i - start)) == NULL)
		return bq_err_set(err, EXIT_DATA, "invalid row in the answer");
	q->rpos = i;
	*row = q->row;
	return 1;
}

int
bq_query_next_page(struct bq_query *q, const cJSON **rows,
    struct bq_err *err)
{
	int r = bq_query_fetch_page(q, err);

	cJSON_Delete(q->rows);
	q->rows = NULL;
	if (r != 1)
		return r;
	if (q->rend > q->rpos)
		q->rows = cJSON_ParseWithLength(q->page.buf + q->rpos - 1,
		    q->rend - q->rpos + 2);
	else
		q->rows = cJSON_CreateArray();
	if (q->rows == NULL)
		return bq_err_set(err, EXIT_DATA, "invalid rows in the answer");
	q->rpos = q->rend;
	*rows = q->rows;
	return 1;
}

struct bq_query *
bq_query_from_buf(struct strbuf *text, struct bq_err *err)
{
	struct bq_query *q = xcalloc(1, sizeof(*q));
	cJSON *meta;
	size_t span[2];

	q->total_rows = q->bytes = q->billed = q->dml = -1;
	if (parse_page(text->buf, text->len, &meta, &span[0], &span[1]) == -1) {
		bq_query_free(q);
		bq_err_set(err, EXIT_DATA, "not a complete JSON object");
		return NULL;
	}
	q->page = *text;
	strbuf_init(text, 0);
	take_page(q, meta, span);
	return q;
}

struct bq_query *
bq_query_from_text(const char *text, size_t len, struct bq_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	struct bq_query *q;

	strbuf_init(&sb, len);
	strbuf_add(&sb, text, len);
	q = bq_query_from_buf(&sb, err);
	strbuf_release(&sb);
	return q;
}

const cJSON *
bq_query_schema(const struct bq_query *q)
{
	return q->schema;
}

int64_t
bq_query_total_rows(const struct bq_query *q)
{
	return q->total_rows;
}

int64_t
bq_query_bytes_processed(const struct bq_query *q)
{
	return q->bytes;
}

/*
 * getQueryResults answers carry no totalBytesBilled: then the job's
 * statistics.query has it (one jobs.get, after the rows are read).
 */
int64_t
bq_query_bytes_billed(struct bq_query *q, struct bq_err *err)
{
	struct strbuf path = STRBUF_INIT;
	const cJSON *qs;
	cJSON *job = NULL;

	if (q->billed >= 0 || q->c == NULL || q->job_id == NULL)
		return q->billed;
	strbuf_adds(&path, "/projects/");
	add_esc(&path, q->job_project);
	strbuf_adds(&path, "/jobs/");
	add_esc(&path, q->job_id);
	if (q->location != NULL) {
		strbuf_adds(&path, "?location=");
		add_esc(&path, q->location);
	}
	if (bq_request(q->c, "GET", path.buf, NULL, &job, err) != -1) {
		qs = cJSON_GetObjectItem(cJSON_GetObjectItem(job,
		    "statistics"), "query");
		if (jint64(qs, "totalBytesBilled") >= 0)
			q->billed = jint64(qs, "totalBytesBilled");
		else if (cJSON_IsTrue(cJSON_GetObjectItem(qs, "cacheHit")))
			q->billed = 0;
	}
	cJSON_Delete(job);
	strbuf_release(&path);
	return q->billed;
}

int64_t
bq_query_dml_affected(const struct bq_query *q)
{
	return q->dml;
}

int
bq_dml(struct bq_client *c, const char *sql, const struct bq_param *params,
    size_t nparams, int64_t *affected, struct bq_err *err)
{
	struct bq_query_opts o;
	struct bq_query *q;
	const cJSON *rows;
	int r;

	memset(&o, 0, sizeof(o));
	o.sql = sql;
	o.params = params;
	o.nparams = nparams;
	o.page_rows = 1000;
	if ((q = bq_query_start(c, &o, err)) == NULL)
		return -1;
	while ((r = bq_query_next_page(q, &rows, err)) == 1)
		;
	if (r == 0 && affected != NULL)
		*affected = bq_query_dml_affected(q) >= 0 ?
		    bq_query_dml_affected(q) : 0;
	bq_query_free(q);
	return r == 0 ? 0 : -1;
}

/* --- load jobs --------------------------------------------------------- */

static const char *
ref_project(struct bq_client *c, const struct bq_table_ref *ref,
    struct bq_err *err)
{
	if (ref->project != NULL && *ref->project != '\0')
		return ref->project;
	return bq_client_project(c, err);
}

static cJSON *
table_ref_json(const char *proj, const struct bq_table_ref *ref)
{
	cJSON *t = cJSON_CreateObject();

	cJSON_AddStringToObject(t, "projectId", proj);
	cJSON_AddStringToObject(t, "datasetId", ref->dataset);
	if (ref->table != NULL)
		cJSON_AddStringToObject(t, "tableId", ref->table);
	return t;
}

static void
add_clustering(cJSON *o, const char *const *fields)
{
	cJSON *cl, *arr;

	if (fields == NULL || fields[0] == NULL)
		return;
	cl = cJSON_AddObjectToObject(o, "clustering");
	arr = cJSON_AddArrayToObject(cl, "fields");
	for (; *fields != NULL; fields++)
		cJSON_AddItemToArray(arr, cJSON_CreateString(*fields));
}

/* Polls jobs.get until DONE; 0 when it succeeded. */
static int
wait_job(struct bq_client *c, const char *proj, const char *job_id,
    const char *location, const struct bq_load_opts *o, int64_t *out_rows,
    struct bq_err *err)
{
	struct strbuf path = STRBUF_INIT;
	cJSON *job = NULL;
	const cJSON *st, *er;
	double start = util_now_mono();
	double poll = o->poll_interval > 0 ? o->poll_interval : 0.5;
	double limit = o->timeout > 0 ? o->timeout : 600;
	const char *state, *msg;
	char line[200];
	int rc = -1;

	strbuf_adds(&path, "/projects/");
	add_esc(&path, proj);
	strbuf_adds(&path, "/jobs/");
	add_esc(&path, job_id);
	strbuf_adds(&path, "?location=");
	add_esc(&path, location);
	for (;;) {
		cJSON_Delete(job);
		job = NULL;
		if (bq_request(c, "GET", path.buf, NULL, &job, err) == -1)
			goto out;
		st = cJSON_GetObjectItem(job, "status");
		state = util_json_str(st, "state");
		if (state != NULL && strcmp(state, "DONE") == 0)
			break;
		if (util_now_mono() - start > limit) {
			bq_err_set(err, EXIT_TEMPFAIL, "load job %s not done "
			    "after %.0f s", job_id, limit);
			goto out;
		}
		util_sleep(poll, NULL);
	}
	if ((er = cJSON_GetObjectItem(st, "errorResult")) != NULL) {
		const char *r = util_json_str(er, "reason");

		msg = util_json_str(er, "message");
		one_line(line, sizeof(line), msg ? msg : "failed");
		bq_err_set(err, reason_in(r, retry_reasons) ? EXIT_TEMPFAIL :
		    EXIT_DATA, "load job %s: %s: %s", job_id, r ? r : "error",
		    line);
		goto out;
	}
	if (out_rows != NULL) {
		const cJSON *s = cJSON_GetObjectItem(job, "statistics");

		*out_rows = jint64(cJSON_GetObjectItem(s, "load"),
		    "outputRows");
	}
	rc = 0;
out:
	cJSON_Delete(job);
	strbuf_release(&path);
	return rc;
}

int
bq_load_ndjson(struct bq_client *c, const struct bq_table_ref *ref,
    const char *data, size_t len, const struct bq_load_opts *o,
    int64_t *out_rows, struct bq_err *err)
{
	struct strbuf body = STRBUF_INIT, path = STRBUF_INIT;
	cJSON *job = NULL, *cfg, *load, *jr, *tp;
	char boundary[64], job_id[64], uuid[37], *text = NULL, *url = NULL;
	char ctype[96];
	const char *proj;
	long st;
	int rc = -1, attempt;

	if ((proj = ref_project(c, ref, err)) == NULL)
		return -1;
	for (attempt = 0;; attempt++) {
		bq_uuid(uuid);
		snprintf(job_id, sizeof(job_id), "bqsync_load_%s", uuid);
		bq_uuid(uuid);
		snprintf(boundary, sizeof(boundary), "bqsync_%s", uuid);
		job = cJSON_CreateObject();
		cfg = cJSON_AddObjectToObject(job, "configuration");
		load = cJSON_AddObjectToObject(cfg, "load");
		cJSON_AddStringToObject(load, "sourceFormat",
		    "NEWLINE_DELIMITED_JSON");
		cJSON_AddItemToObject(load, "destinationTable",
		    table_ref_json(proj, ref));
		if (o->schema_fields != NULL) {
			cJSON *s = cJSON_AddObjectToObject(load, "schema");

			cJSON_AddItemToObject(s, "fields",
			    cJSON_Duplicate(o->schema_fields, 1));
		}
		cJSON_AddStringToObject(load, "writeDisposition",
		    o->write_disposition ? o->write_disposition :
		    "WRITE_APPEND");
		cJSON_AddStringToObject(load, "createDisposition",
		    o->create_disposition ? o->create_disposition :
		    "CREATE_IF_NEEDED");
		if (o->partition_field != NULL) {
			tp = cJSON_AddObjectToObject(load, "timePartitioning");
			cJSON_AddStringToObject(tp, "type", "DAY");
			cJSON_AddStringToObject(tp, "field",
			    o->partition_field);
		}
		add_clustering(load, o->clustering);
		jr = cJSON_AddObjectToObject(job, "jobReference");
		cJSON_AddStringToObject(jr, "projectId", proj);
		cJSON_AddStringToObject(jr, "jobId", job_id);
		cJSON_AddStringToObject(jr, "location", c->location);
		text = cJSON_PrintUnformatted(job);

		strbuf_reset(&body);
		strbuf_grow(&body, len + strlen(text) + 256);
		strbuf_addf(&body, "--%s\r\nContent-Type: application/json; "
		    "charset=UTF-8\r\n\r\n%s\r\n--%s\r\nContent-Type: "
		    "application/octet-stream\r\n\r\n", boundary, text,
		    boundary);
		strbuf_add(&body, data, len);
		strbuf_addf(&body, "\r\n--%s--\r\n", boundary);
		snprintf(ctype, sizeof(ctype),
		    "multipart/related; boundary=%s", boundary);
		strbuf_reset(&path);
		strbuf_adds(&path, "/projects/");
		add_esc(&path, proj);
		strbuf_adds(&path, "/jobs?uploadType=multipart");
		url = bq_client_url(c, path.buf, 1);
		st = json_call(c, "POST", url, ctype, body.buf, body.len,
		    "jobs.insert", NULL, NULL, NULL, err);
		if (st == -1 && err->http_status == 409) {
			bq_err_clear(err);	/* our retry created it */
			st = 200;
		}
		if (st != -1 && wait_job(c, proj, job_id, c->location, o,
		    out_rows, err) == 0) {
			rc = 0;
			goto out;
		}
		if (attempt >= c->max_retries || err->kind != EXIT_TEMPFAIL)
			goto out;
		bqsync_log(BQ_LOG_WARN, "%s; re-running the load job", err->msg);
		bq_err_clear(err);
		cJSON_Delete(job);
		job = NULL;
		free(text);
		text = NULL;
		free(url);
		url = NULL;
		backoff(attempt);
	}
out:
	cJSON_Delete(job);
	free(text);
	free(url);
	strbuf_release(&body);
	strbuf_release(&path);
	return rc;
}

int
bq_load_ndjson_file(struct bq_client *c, const struct bq_table_ref *ref,
    const char *path, const struct bq_load_opts *o, int64_t *out_rows,
    struct bq_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	int rc;

	if (util_read_file(path, &sb) == -1) {
		strbuf_release(&sb);
		return bq_err_set(err, EXIT_IOERR, "cannot read '%s': %s",
		    path, strerror(errno));
	}
	rc = bq_load_ndjson(c, ref, sb.buf, sb.len, o, out_rows, err);
	strbuf_release(&sb);
	return rc;
}

/* --- insertAll, datasets, tables --------------------------------------- */

static int
ref_path(struct bq_client *c, const struct bq_table_ref *ref,
    struct strbuf *sb, struct bq_err *err)
{
	const char *proj = ref_project(c, ref, err);

	if (proj == NULL)
		return -1;
	strbuf_adds(sb, "/projects/");
	add_esc(sb, proj);
	strbuf_adds(sb, "/datasets");
	if (ref->dataset != NULL) {
		strbuf_addch(sb, '/');
		add_esc(sb, ref->dataset);
	}
	if (ref->table != NULL) {
		strbuf_adds(sb, "/tables/");
		add_esc(sb, ref->table);
	}
	return 0;
}

int
bq_insert_all(struct bq_client *c, const struct bq_table_ref *ref,
    const cJSON *rows, const char *const *insert_ids, struct bq_err *err)
{
	struct strbuf path = STRBUF_INIT;
	cJSON *req = NULL, *arr, *r, *resp = NULL;
	const cJSON *row, *ie, *e0;
	int i = 0, rc = -1;

	if (ref_path(c, ref, &path, err) == -1)
		goto out;
	strbuf_adds(&path, "/insertAll");
	req = cJSON_CreateObject();
	cJSON_AddStringToObject(req, "kind",
	    "bigquery#tableDataInsertAllRequest");
	arr = cJSON_AddArrayToObject(req, "rows");
	cJSON_ArrayForEach(row, rows) {
		r = cJSON_CreateObject();
		if (insert_ids != NULL && insert_ids[i] != NULL)
			cJSON_AddStringToObject(r, "insertId", insert_ids[i]);
		/* a reference: the caller's rows are not copied */
		cJSON_AddItemReferenceToObject(r, "json", (cJSON *)row);
		cJSON_AddItemToArray(arr, r);
		i++;
	}
	if (bq_request(c, "POST", path.buf, req, &resp, err) == -1)
		goto out;
	ie = cJSON_GetObjectItem(resp, "insertErrors");
	if (cJSON_IsArray(ie) && cJSON_GetArraySize(ie) > 0) {
		const cJSON *first = cJSON_GetArrayItem(ie, 0), *errs;
		const char *m;

		errs = cJSON_GetObjectItem(first, "errors");
		e0 = cJSON_GetArrayItem(errs, 0);
		m = util_json_str(e0, "message");
		bq_err_set(err, EXIT_DATA, "insertAll: %d rows refused; row "
		    "%" PRId64 ": %s: %s", cJSON_GetArraySize(ie),
		    jint64(first, "index"), util_json_str(e0, "reason") ?
		    util_json_str(e0, "reason") : "error", m ? m : "");
		goto out;
	}
	rc = 0;
out:
	cJSON_Delete(resp);
	cJSON_Delete(req);
	strbuf_release(&path);
	return rc;
}

/* GET of a resource: 1 found, 0 notFound, -1 error. */
static int
get_resource(struct bq_client *c, const struct bq_table_ref *ref,
    cJSON **out, struct bq_err *err)
{
	struct strbuf path = STRBUF_INIT;
	cJSON *j = NULL;
	int rc = -1;

	if (out != NULL)
		*out = NULL;
	if (ref_path(c, ref, &path, err) == -1)
		goto out;
	if (bq_request(c, "GET", path.buf, NULL, &j, err) == -1) {
		if (err->http_status == 404) {
			bq_err_clear(err);
			rc = 0;
		}
		goto out;
	}
	if (out != NULL) {
		*out = j;
		j = NULL;
	}
	rc = 1;
out:
	cJSON_Delete(j);
	strbuf_release(&path);
	return rc;
}

/*
 * One request on a resource: 0 done, 1 when BigQuery answered "benign"
 * (404 to a DELETE: already gone; 409 to a POST: already there), -1 error.
 */
static int
resource_call(struct bq_client *c, const char *method,
    const struct bq_table_ref *ref, const char *suffix, cJSON *body,
    long benign, struct bq_err *err)
{
	struct strbuf path = STRBUF_INIT;
	int rc = -1;

	if (ref_path(c, ref, &path, err) == -1)
		goto out;
	if (suffix != NULL)
		strbuf_adds(&path, suffix);
	if (bq_request(c, method, path.buf, body, NULL, err) == -1) {
		if (err->http_status == benign) {
			bq_err_clear(err);
			rc = 1;
		}
		goto out;
	}
	rc = 0;
out:
	strbuf_release(&path);
	return rc;
}

/* DELETE of a resource: 0 deleted, 1 was not there, -1 error. */
static int
delete_resource(struct bq_client *c, const struct bq_table_ref *ref,
    const char *query, struct bq_err *err)
{
	return resource_call(c, "DELETE", ref, query, NULL, 404, err);
}

/* POST of a new resource: 0 created, 1 existed, -1 error. */
static int
insert_resource(struct bq_client *c, const struct bq_table_ref *parent,
    cJSON *body, struct bq_err *err)
{
	return resource_call(c, "POST", parent,
	    parent->dataset != NULL ? "/tables" : NULL, body, 409, err);
}

int
bq_dataset_get(struct bq_client *c, const struct bq_table_ref *ref,
    cJSON **out, struct bq_err *err)
{
	struct bq_table_ref r = { ref->project, ref->dataset, NULL };

	return get_resource(c, &r, out, err);
}

int
bq_dataset_insert(struct bq_client *c, const struct bq_table_ref *ref,
    const char *location, struct bq_err *err)
{
	struct bq_table_ref parent = { ref->project, NULL, NULL };
	cJSON *body;
	const char *proj;
	int rc;

	if ((proj = ref_project(c, ref, err)) == NULL)
		return -1;
	body = cJSON_CreateObject();
	cJSON_AddItemToObject(body, "datasetReference",
	    table_ref_json(proj, &(struct bq_table_ref){ proj, ref->dataset,
	    NULL }));
	cJSON_AddStringToObject(body, "location",
	    location != NULL ? location : c->location);
	rc = insert_resource(c, &parent, body, err);
	cJSON_Delete(body);
	return rc;
}

int
bq_dataset_delete(struct bq_client *c, const struct bq_table_ref *ref,
    int delete_contents, struct bq_err *err)
{
	struct bq_table_ref r = { ref->project, ref->dataset, NULL };

	return delete_resource(c, &r,
	    delete_contents ? "?deleteContents=true" : NULL, err);
}

int
bq_table_get(struct bq_client *c, const struct bq_table_ref *ref,
    cJSON **out, struct bq_err *err)
{
	return get_resource(c, ref, out, err);
}

int
bq_table_insert(struct bq_client *c, const struct bq_table_ref *ref,
    const struct bq_table_spec *s, struct bq_err *err)
{
	struct bq_table_ref parent = { ref->project, ref->dataset, NULL };
	cJSON *body, *sch, *tp;
	const char *proj;
	int rc;

	if ((proj = ref_project(c, ref, err)) == NULL)
		return -1;
	body = cJSON_CreateObject();
	cJSON_AddItemToObject(body, "tableReference",
	    table_ref_json(proj, ref));
	sch = cJSON_AddObjectToObject(body, "schema");
	cJSON_AddItemToObject(sch, "fields",
	    cJSON_Duplicate(s->schema_fields, 1));
	if (s->partition_type != NULL) {
		tp = cJSON_AddObjectToObject(body, "timePartitioning");
		cJSON_AddStringToObject(tp, "type", s->partition_type);
		if (s->partition_field != NULL)
			cJSON_AddStringToObject(tp, "field",
			    s->partition_field);
		if (s->partition_expiration_ms > 0) {
			char n[32];

			snprintf(n, sizeof(n), "%" PRId64,
			    s->partition_expiration_ms);
			cJSON_AddStringToObject(tp, "expirationMs", n);
		}
	}
	if (s->require_partition_filter)
		cJSON_AddTrueToObject(body, "requirePartitionFilter");
	add_clustering(body, s->clustering);
	if (s->description != NULL)
		cJSON_AddStringToObject(body, "description", s->description);
	rc = insert_resource(c, &parent, body, err);
	cJSON_Delete(body);
	return rc;
}

int
bq_table_delete(struct bq_client *c, const struct bq_table_ref *ref,
    struct bq_err *err)
{
	return delete_resource(c, ref, NULL, err);
}

/* --- bq-pull's query --------------------------------------------------- */

static int
add_ident(struct strbuf *sb, const char *what, const char *name,
    struct bq_err *err)
{
	if (bq_quote_ident(sb, name) == -1)
		return bq_err_set(err, EXIT_CONFIG, "invalid %s name '%.60s'",
		    what, name != NULL ? name : "");
	return 0;
}

/*
 * The worker's share: by the key for a natural-key table (every version of
 * a key in one share), else by the timestamp (see hash.h).
 */
static int
add_share(struct strbuf *sb, const char *qts, char *const *keys, size_t nkeys,
    enum partition_scheme s, struct bq_err *err)
{
	size_t i;

	if (nkeys > 0) {
		strbuf_adds(sb, "ABS(MOD(FARM_FINGERPRINT(CONCAT(");
		for (i = 0; i < nkeys; i++) {
			if (i > 0)
				strbuf_adds(sb, ", '|', ");
			strbuf_adds(sb, "IFNULL(CAST(");
			if (add_ident(sb, "key column", keys[i], err) == -1)
				return -1;
			strbuf_adds(sb, " AS STRING), '')");
		}
		strbuf_adds(sb, ")), @n)) = @i");
	} else if (s == PARTITION_MICROS)
		strbuf_addf(sb, "ABS(MOD(UNIX_MICROS(%s), @n)) = @i", qts);
	else
		strbuf_addf(sb, "ABS(MOD(FARM_FINGERPRINT(CAST(UNIX_MICROS(%s) "
		    "AS STRING)), @n)) = @i", qts);
	return 0;
}

/* "<share> AND `ts` > @cursor" */
static int
add_filter(struct strbuf *sb, const char *qts, char *const *keys,
    size_t nkeys, enum partition_scheme s, struct bq_err *err)
{
	if (add_share(sb, qts, keys, nkeys, s, err) == -1)
		return -1;
	strbuf_addf(sb, " AND %s > @cursor", qts);
	return 0;
}

int
bq_fp_sql(struct strbuf *out, const char *alias, char *const *columns,
    size_t ncolumns)
{
	size_t i;

	strbuf_adds(out, "FARM_FINGERPRINT(TO_JSON_STRING(JSON_STRIP_NULLS("
	    "TO_JSON(");
	if (columns == NULL || ncolumns == 0) {
		if (bq_quote_ident(out, alias) == -1)
			return -1;
		strbuf_adds(out, "))))");
		return 0;
	}
	strbuf_adds(out, "STRUCT(");
	for (i = 0; i < ncolumns; i++) {
		if (i > 0)
			strbuf_adds(out, ", ");
		if (bq_quote_ident(out, alias) == -1)
			return -1;
		strbuf_addch(out, '.');
		if (bq_quote_ident(out, columns[i]) == -1)
			return -1;
	}
	strbuf_adds(out, ")))))");
	return 0;
}

/* The quoted table path and timestamp column, or -1 with err. */
static int
pull_idents(struct strbuf *tab, struct strbuf *ts, const char *project,
    const char *dataset, const char *table, const char *ts_column,
    struct bq_err *err)
{
	char *path;
	int rc;

	if (project == NULL || dataset == NULL || table == NULL ||
	    strchr(dataset, '.') != NULL || strchr(table, '.') != NULL)
		return bq_err_set(err, EXIT_CONFIG, "invalid table '%s.%s.%s'",
		    project ? project : "?", dataset ? dataset : "?",
		    table ? table : "?");
	path = xstrfmt("%s.%s.%s", project, dataset, table);
	rc = add_ident(tab, "table", path, err) == -1 ||
	    add_ident(ts, "timestamp column", ts_column, err) == -1 ? -1 : 0;
	free(path);
	return rc;
}

/* The select list: the columns, or "*". */
static int
add_columns(struct strbuf *sb, char *const *columns, size_t ncolumns,
    struct bq_err *err)
{
	size_t i;

	if (columns == NULL || ncolumns == 0)
		strbuf_addch(sb, '*');
	for (i = 0; columns != NULL && i < ncolumns; i++) {
		if (i > 0)
			strbuf_adds(sb, ", ");
		if (add_ident(sb, "column", columns[i], err) == -1)
			return -1;
	}
	return 0;
}

int
bq_pull_sql(struct strbuf *out, const char *project, const char *dataset,
    const char *table, char *const *columns, size_t ncolumns,
    const char *ts_column, char *const *keys, size_t nkeys,
    enum partition_scheme scheme, struct bq_err *err)
{
	struct strbuf tab = STRBUF_INIT, ts = STRBUF_INIT, cols = STRBUF_INIT;
	int rc = -1;

	if (pull_idents(&tab, &ts, project, dataset, table, ts_column,
	    err) == -1 || add_columns(&cols, columns, ncolumns, err) == -1)
		goto out;
	strbuf_adds(&cols, ", ");
	if (bq_fp_sql(&cols, "_t", columns, ncolumns) == -1) {
		bq_err_set(err, EXIT_CONFIG, "invalid column name");
		goto out;
	}
	strbuf_addf(out, "SELECT %s AS _fp FROM %s AS _t WHERE ", cols.buf,
	    tab.buf);
	if (add_filter(out, ts.buf, keys, nkeys, scheme, err) == -1)
		goto out;
	strbuf_addf(out, " AND %s <= @upto ORDER BY %s", ts.buf, ts.buf);
	rc = 0;
out:
	strbuf_release(&tab);
	strbuf_release(&ts);
	strbuf_release(&cols);
	return rc;
}

int
bq_probe_sql(struct strbuf *out, const char *project, const char *dataset,
    const char *table, const char *ts_column, char *const *keys, size_t nkeys,
    enum partition_scheme scheme, int limited, struct bq_err *err)
{
	struct strbuf tab = STRBUF_INIT, ts = STRBUF_INIT;
	int rc = -1;

	if (pull_idents(&tab, &ts, project, dataset, table, ts_column,
	    err) == -1)
		goto out;
	strbuf_addf(out, "SELECT MAX(%s) AS upto FROM ", ts.buf);
	if (limited)
		strbuf_addf(out, "(SELECT %s FROM %s WHERE ", ts.buf, tab.buf);
	else
		strbuf_addf(out, "%s WHERE ", tab.buf);
	if (add_filter(out, ts.buf, keys, nkeys, scheme, err) == -1)
		goto out;
	if (limited)
		strbuf_addf(out, " ORDER BY %s LIMIT @limit)", ts.buf);
	rc = 0;
out:
	strbuf_release(&tab);
	strbuf_release(&ts);
	return rc;
}
