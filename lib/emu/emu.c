/*
 * emu: bq-emulator's REST server: responses, routing and the HTTP
 * server (see emu.h and emu_int.h).
 * Layout of the SQLite database: _emu_datasets and _emu_tables hold the
 * resources as JSON (what tables.get returns, schema included); each
 * BigQuery table is a SQLite table named "project.dataset.table" with one
 * column per top-level field, in emusql.h's storage forms.  Query results
 * go to res."r_N" in an attached temporary database and are paged by rowid.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "emu_int.h"
#include "ts.h"
#include "banned.h"

const char *
emu_arg(struct call *c, const char *name)
{
	return MHD_lookup_connection_value(c->conn, MHD_GET_ARGUMENT_KIND,
	    name);
}

int
emu_arg_bool(struct call *c, const char *name)
{
	const char *v = emu_arg(c, name);

	return v && (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

int64_t
emu_now_ms(void)
{
	return ts_now() / 1000;
}

/* ------------------------------------------------------------------ */
/* Responses and errors                                                 */

static const char *
status_name(int code)
{
	switch (code) {
	case 400: return "INVALID_ARGUMENT";
	case 401: return "UNAUTHENTICATED";
	case 403: return "PERMISSION_DENIED";
	case 404: return "NOT_FOUND";
	case 408: return "DEADLINE_EXCEEDED";
	case 409: return "ALREADY_EXISTS";
	case 429: return "RESOURCE_EXHAUSTED";
	case 500: return "INTERNAL";
	case 501: return "UNIMPLEMENTED";
	case 503: return "UNAVAILABLE";
	case 504: return "DEADLINE_EXCEEDED";
	default: return "UNKNOWN";
	}
}

void
emu_resp_json(struct resp *r, int status, cJSON *j)
{
	char *s = cJSON_PrintUnformatted(j);

	r->status = status;
	strbuf_reset(&r->body);
	strbuf_adds(&r->body, s);
	free(s);
	cJSON_Delete(j);
	r->ctype = "application/json; charset=UTF-8";
}

cJSON *
emu_error_proto(const char *reason, const char *msg)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "message", msg);
	cJSON_AddStringToObject(o, "domain", "global");
	cJSON_AddStringToObject(o, "reason", reason);
	return o;
}

/* BigQuery's error envelope; returns -1 for "return resp_error(...)". */
int
emu_resp_error(struct resp *r, int code, const char *reason, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	cJSON *o = cJSON_CreateObject(), *e = cJSON_AddObjectToObject(o,
	    "error"), *errs;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cJSON_AddNumberToObject(e, "code", code);
	cJSON_AddStringToObject(e, "message", msg);
	errs = cJSON_AddArrayToObject(e, "errors");
	cJSON_AddItemToArray(errs, emu_error_proto(reason, msg));
	cJSON_AddStringToObject(e, "status", status_name(code));
	emu_resp_json(r, code, o);
	return -1;
}

int
emu_bad_request(struct resp *r, const char *msg)
{
	return emu_resp_error(r, 400, "invalid", "%s", msg);
}

/* ------------------------------------------------------------------ */
/* Routing and the HTTP server                                          */

#define DEFAULT_DISCOVERY \
	"/usr/lib/google-cloud-sdk/platform/bq/discovery_next/bigquery.json"

static void
h_discovery(struct call *c)
{
	struct strbuf sb = STRBUF_INIT;
	const char *path = c->e->discovery ? c->e->discovery :
	    DEFAULT_DISCOVERY;
	const char *host = emu_header(c, "Host");
	cJSON *d;
	char *root;

	if (util_read_file(path, &sb) == -1 ||
	    (d = cJSON_Parse(sb.buf)) == NULL) {
		emu_resp_error(c->r, 404, "notFound", "No discovery document "
		    "(%s)", path);
		strbuf_release(&sb);
		return;
	}
	strbuf_release(&sb);
	if (host)
		root = xstrfmt("http://%s/", host);
	else
		root = xstrfmt("http://%s:%d/", c->e->host, c->e->port);
	cJSON_DeleteItemFromObjectCaseSensitive(d, "rootUrl");
	cJSON_AddStringToObject(d, "rootUrl", root);
	cJSON_DeleteItemFromObjectCaseSensitive(d, "mtlsRootUrl");
	cJSON_AddStringToObject(d, "mtlsRootUrl", root);
	cJSON_DeleteItemFromObjectCaseSensitive(d, "baseUrl");
	{
		char *base = xstrfmt("%sbigquery/v2/", root);

		cJSON_AddStringToObject(d, "baseUrl", base);
		free(base);
	}
	free(root);
	emu_resp_json(c->r, 200, d);
}

static int
split_path(struct call *c, const char *url)
{
	const char *p = url;

	c->nseg = 0;
	if (strncmp(p, "/upload/bigquery/v2/", 20) == 0) {
		c->upload = 1;
		p += 19;
	} else if (strncmp(p, "/bigquery/v2/", 13) == 0)
		p += 12;
	while (*p == '/') {
		const char *e;

		p++;
		e = p + strcspn(p, "/");
		if (e == p)
			continue;
		if (c->nseg == 10)
			return -1;
		c->seg[c->nseg++] = xstrndup(p, (size_t)(e - p));
		p = e;
	}
	return 0;
}

#define SEG(i) (c->nseg > (i) ? c->seg[i] : "")

/* Adapters from a matched route to its handler: SEG(1) is the project. */
static void
r_dataset_insert(struct call *c)
{
	emu_h_dataset_insert(c, SEG(1));
}

static void
r_dataset_list(struct call *c)
{
	emu_h_dataset_list(c, SEG(1));
}

static void
r_dataset(struct call *c)
{
	emu_h_dataset(c, SEG(1), SEG(3));
}

static void
r_table_insert(struct call *c)
{
	emu_h_table_insert(c, SEG(1), SEG(3));
}

static void
r_table_list(struct call *c)
{
	emu_h_table_list(c, SEG(1), SEG(3));
}

static void
r_table(struct call *c)
{
	emu_h_table(c, SEG(1), SEG(3), SEG(5));
}

static void
r_tabledata(struct call *c)
{
	emu_h_tabledata(c, SEG(1), SEG(3), SEG(5));
}

static void
r_insert_all(struct call *c)
{
	emu_h_insert_all(c, SEG(1), SEG(3), SEG(5));
}

static void
r_query(struct call *c)
{
	emu_h_query(c, SEG(1));
}

static void
r_query_results(struct call *c)
{
	emu_h_query_results(c, SEG(1), SEG(3));
}

static void
r_jobs_insert(struct call *c)
{
	emu_h_jobs_insert(c, SEG(1));
}

static void
r_jobs_list(struct call *c)
{
	emu_h_jobs_list(c, SEG(1));
}

static void
r_job(struct call *c)
{
	emu_h_job(c, SEG(1), SEG(3), c->nseg == 5 ? SEG(4) : NULL);
}

/*
 * The REST API under /projects/{project}/, searched in order (as git's
 * commands[]): the first entry whose method (NULL: any), path (segments
 * after the project; "*" matches any one) and upload flag (1: only under
 * /upload/) match the request answers it.  Table paths accept any word
 * where "datasets" stands, as the emulator always has.
 */
static const struct route {
	const char	*method;
	const char	*path;
	void		(*fn)(struct call *);
	int		 upload;
} routes[] = {
	{ "POST", "datasets", r_dataset_insert, 0 },
	{ NULL, "datasets", r_dataset_list, 0 },
	{ NULL, "datasets/*", r_dataset, 0 },
	{ "POST", "*/*/tables", r_table_insert, 0 },
	{ NULL, "*/*/tables", r_table_list, 0 },
	{ NULL, "*/*/tables/*", r_table, 0 },
	{ "GET", "*/*/tables/*/data", r_tabledata, 0 },
	{ "POST", "*/*/tables/*/insertAll", r_insert_all, 0 },
	{ "POST", "queries", r_query, 0 },
	{ "GET", "queries/*", r_query_results, 0 },
	{ "POST", "jobs", r_jobs_insert, 0 },
	{ "PUT", "jobs", r_jobs_insert, 1 },
	{ NULL, "jobs", r_jobs_list, 0 },
	{ NULL, "jobs/*", r_job, 0 },
	{ NULL, "jobs/*/*", r_job, 0 },
};

static int
route_matches(const struct route *rt, const struct call *c)
{
	const char *s = rt->path;
	int i;

	if ((rt->method && strcmp(rt->method, c->method) != 0) ||
	    (rt->upload && !c->upload))
		return 0;
	for (i = 2; i < c->nseg; i++) {
		size_t n = strcspn(s, "/");

		if ((n != 1 || *s != '*') && (strlen(c->seg[i]) != n ||
		    strncmp(c->seg[i], s, n) != 0))
			return 0;
		if (s[n] == '\0')
			return i + 1 == c->nseg;
		s += n + 1;
	}
	return 0;
}

static void
route(struct call *c, const char *url)
{
	size_t i;

	if (split_path(c, url) == -1 || c->nseg < 2 ||
	    strcmp(SEG(0), "projects") != 0) {
		emu_resp_error(c->r, 404, "notFound", "Not found: URL %s", url);
		return;
	}
	if (emu_check_auth(c) == -1)
		return;
	if (!emu_valid_id(SEG(1), 1)) {
		emu_bad_request(c->r, "Invalid project ID");
		return;
	}
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++)
		if (route_matches(&routes[i], c)) {
			routes[i].fn(c);
			return;
		}
	emu_resp_error(c->r, 404, "notFound", "Not found: URL %s", url);
}

struct trunc {
	char	*buf;
	size_t	 len, sent;
};

static ssize_t
trunc_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct trunc *t = cls;
	size_t half = t->len / 2, n;

	if (pos >= half)
		return MHD_CONTENT_READER_END_WITH_ERROR;
	n = half - (size_t)pos;
	if (n > max)
		n = max;
	memcpy(buf, t->buf + pos, n);
	return (ssize_t)n;
}

static void
trunc_free(void *cls)
{
	struct trunc *t = cls;

	free(t->buf);
	free(t);
}

/* Most a body may hold: uploads carry load data, API calls JSON (10 MB). */
static size_t
body_limit(const char *url)
{
	return strncmp(url, "/upload/", 8) == 0 ? MAX_UPLOAD : MAX_BODY;
}

/* Needs a token with -k: everything but health, discovery and /token. */
static int
needs_token(const char *url)
{
	return strcmp(url, "/healthz") != 0 && strcmp(url, "/token") != 0 &&
	    strcmp(url, "/$discovery/rest") != 0 &&
	    strcmp(url, "/discovery/v1/apis/bigquery/v2/rest") != 0;
}

/*
 * Decides on the request line and headers, before any of the body is
 * read, whether to refuse it: 413 for a declared length over the limit,
 * 401 for a missing or unknown token with -k (so a client without one
 * cannot make us buffer anything).  0 to go on reading.
 */
static int
refuse_early(struct emu *e, struct MHD_Connection *conn, const char *url,
    struct req *rq)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_CONTENT_LENGTH);
	struct resp r;
	struct call c;

	if (cl != NULL && strtoull(cl, NULL, 10) > body_limit(url))
		rq->too_big = 1;
	if (!e->auth || !needs_token(url))
		return rq->too_big;
	memset(&r, 0, sizeof(r));
	strbuf_init(&r.body, 0);
	memset(&c, 0, sizeof(c));
	c.e = e;
	c.conn = conn;
	c.r = &r;
	pthread_mutex_lock(&e->mu);
	rq->unauthorized = emu_check_auth(&c) == -1;
	pthread_mutex_unlock(&e->mu);
	strbuf_release(&r.body);
	return rq->unauthorized || rq->too_big;
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
	struct emu *e = cls;
	struct req *rq = *con_cls;
	struct resp r;
	struct call c;
	struct MHD_Response *mr;
	long delay = 0;
	int truncate = 0, i;
	enum MHD_Result ret;

	(void)version;
	if (rq == NULL) {
		rq = xcalloc(1, sizeof(*rq));
		strbuf_init(&rq->body, 0);
		*con_cls = rq;
		if (!refuse_early(e, conn, url, rq))
			return MHD_YES;
		/* answer now: the body is never read */
	} else if (*upload_size) {
		/* without a length (chunked): close once it is too large */
		if (rq->body.len + *upload_size > body_limit(url))
			return MHD_NO;
		strbuf_add(&rq->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	memset(&r, 0, sizeof(r));
	strbuf_init(&r.body, 0);
	r.status = 200;
	memset(&c, 0, sizeof(c));
	c.e = e;
	c.conn = conn;
	c.method = method;
	c.body = rq->body.buf;
	c.blen = rq->body.len;
	c.r = &r;
	if (strcmp(url, "/healthz") == 0) {
		strbuf_adds(&r.body, "ok\n");
		r.ctype = "text/plain";
		goto send;
	}
	pthread_mutex_lock(&e->mu);
	if (rq->unauthorized)
		emu_check_auth(&c);	/* the 401 and its body */
	else if (rq->too_big)
		emu_resp_error(&r, 413, "invalid", "Request body too large");
	else if (strncmp(url, "/emulator/faults", 16) == 0) {
		if (emu_check_auth(&c) == 0)
			emu_h_faults(&c);
	}
	else if (strcmp(url, "/$discovery/rest") == 0 ||
	    strcmp(url, "/discovery/v1/apis/bigquery/v2/rest") == 0)
		h_discovery(&c);
	else if (emu_apply_faults(&c, url, &delay, &truncate))
		;
	else if (strcmp(url, "/token") == 0 && strcmp(method, "POST") == 0)
		emu_h_token(&c);
	else
		route(&c, url);
	delay += e->latency_ms;
	pthread_mutex_unlock(&e->mu);
	if (delay > 0)
		util_sleep(delay / 1000.0, NULL);
send:
	if (truncate && r.body.len > 1) {
		struct trunc *t = xcalloc(1, sizeof(*t));

		t->len = r.body.len;
		t->buf = strbuf_detach(&r.body, NULL);
		mr = MHD_create_response_from_callback(t->len, 4096,
		    trunc_reader, t, trunc_free);
	} else {
		size_t n = r.body.len;
		char *b = strbuf_detach(&r.body, NULL);

		mr = MHD_create_response_from_buffer(n, b,
		    MHD_RESPMEM_MUST_FREE);
	}
	if (r.status != 204)
		MHD_add_response_header(mr, "Content-Type", r.ctype ? r.ctype :
		    "application/json; charset=UTF-8");
	if (r.location)
		MHD_add_response_header(mr, "Location", r.location);
	if (r.range)
		MHD_add_response_header(mr, "Range", r.range);
	ret = MHD_queue_response(conn, (unsigned)r.status, mr);
	MHD_destroy_response(mr);
	strbuf_release(&r.body);
	free(r.location);
	free(r.range);
	for (i = 0; i < c.nseg; i++)
		free(c.seg[i]);
	return ret;
}

static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct req *rq = *con_cls;

	(void)cls;
	(void)conn;
	(void)toe;
	if (rq) {
		strbuf_release(&rq->body);
		free(rq);
		*con_cls = NULL;
	}
}

static const char *catalog_sql =
    "PRAGMA case_sensitive_like = ON;"
    "CREATE TABLE IF NOT EXISTS _emu_datasets (project TEXT, dataset TEXT,"
    " meta TEXT, PRIMARY KEY (project, dataset));"
    "CREATE TABLE IF NOT EXISTS _emu_tables (project TEXT, dataset TEXT,"
    " tbl TEXT, sqlname TEXT UNIQUE, meta TEXT,"
    " PRIMARY KEY (project, dataset, tbl));"
    "ATTACH DATABASE '' AS res;"
    "PRAGMA res.cache_size = -8192;";

struct emu *
emu_new(const struct emu_opts *o, struct bq_err *err)
{
	struct emu *e = xcalloc(1, sizeof(*e));
	struct sockaddr_in sin;
	const union MHD_DaemonInfo *di;
	const char *host = o->host ? o->host : "127.0.0.1";
	char *path = NULL;

	pthread_mutex_init(&e->mu, NULL);
	e->max_response = o->max_response > 0 ? o->max_response :
	    EMU_MAX_RESPONSE;
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)o->port);
	if (strcmp(host, "localhost") == 0)
		host = "127.0.0.1";
	if (inet_pton(AF_INET, host, &sin.sin_addr) != 1 ||
	    (ntohl(sin.sin_addr.s_addr) >> 24) != 127) {
		bq_err_set(err, EXIT_USAGE, "host '%s' is not a loopback IPv4 "
		    "address (127.0.0.0/8)", host);
		goto fail;
	}
	e->host = xstrdup(host);
	e->project = xstrdup(o->project ? o->project : "test-project");
	e->discovery = o->discovery ? xstrdup(o->discovery) : NULL;
	e->latency_ms = o->latency_ms;
	if (o->data_dir) {
		if (mkdir(o->data_dir, 0777) == -1 && errno != EEXIST) {
			bq_err_set(err, EXIT_IOERR, "cannot create '%s': %s",
			    o->data_dir, strerror(errno));
			goto fail;
		}
		path = xstrfmt("%s/bq-emulator.sqlite3", o->data_dir);
	}
	if (sqlite3_open(path ? path : ":memory:", &e->db) != SQLITE_OK) {
		bq_err_set(err, EXIT_IOERR, "cannot open '%s': %s",
		    path ? path : ":memory:", sqlite3_errmsg(e->db));
		goto fail;
	}
	if (path)
		emu_exec(e, "PRAGMA journal_mode = WAL; PRAGMA synchronous = "
		    "NORMAL;");
	if (emusql_register(e->db) != SQLITE_OK || emu_exec(e, catalog_sql) == -1) {
		bq_err_set(err, EXIT_IOERR, "cannot initialise the database: "
		    "%s", sqlite3_errmsg(e->db));
		goto fail;
	}
	sqlite3_busy_timeout(e->db, 5000);
	if (o->token_key && emu_load_keys(e, o->token_key, err) == -1)
		goto fail;
	if (o->token_user) {
		struct strbuf sb = STRBUF_INIT;

		if (util_read_file(o->token_user, &sb) == -1 ||
		    (e->token_user = cJSON_Parse(sb.buf)) == NULL) {
			bq_err_set(err, EXIT_CONFIG, "cannot read '%s' as JSON",
			    o->token_user);
			strbuf_release(&sb);
			goto fail;
		}
		util_wipe(sb.buf, sb.len);
		strbuf_release(&sb);
	}
	e->auth = e->nkeys > 0 || e->token_user != NULL;
	e->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_THREAD_PER_CONNECTION, (uint16_t)o->port, NULL, NULL,
	    handler, e, MHD_OPTION_SOCK_ADDR, &sin,
	    MHD_OPTION_NOTIFY_COMPLETED, completed, e,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)IDLE_TIMEOUT,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)MAX_CONNECTIONS,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)LISTEN_BACKLOG,
	    MHD_OPTION_END);
	if (e->d == NULL) {
		bq_err_set(err, EXIT_UNAVAILABLE, "cannot listen on %s:%d",
		    host, o->port);
		goto fail;
	}
	di = MHD_get_daemon_info(e->d, MHD_DAEMON_INFO_BIND_PORT);
	e->port = di ? di->port : o->port;
	free(path);
	return e;
fail:
	free(path);
	emu_free(e);
	return NULL;
}

int
emu_port(const struct emu *e)
{
	return e->port;
}

void
emu_free(struct emu *e)
{
	size_t i;
	int k;

	if (e == NULL)
		return;
	if (e->d)
		MHD_stop_daemon(e->d);
	if (e->db)
		sqlite3_close(e->db);
	for (i = 0; i < e->njobs; i++)
		emu_job_free(e->jobs[i]);
	free(e->jobs);
	for (i = 0; i < e->nuploads; i++) {
		free(e->uploads[i].id);
		free(e->uploads[i].project);
		cJSON_Delete(e->uploads[i].job);
		strbuf_release(&e->uploads[i].data);
	}
	free(e->uploads);
	for (i = 0; i < e->nfaults; i++)
		emu_fault_release(&e->faults[i]);
	free(e->faults);
	for (k = 0; k < e->nkeys; k++)
		EVP_PKEY_free(e->keys[k]);
	cJSON_Delete(e->token_user);
	free(e->key_email);
	emu_tokens_clear(e);
	pthread_mutex_destroy(&e->mu);
	free(e->host);
	free(e->project);
	free(e->discovery);
	free(e);
}
