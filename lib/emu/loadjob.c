/*
 * emu: load jobs: configuration.load over NDJSON, multipart and
 * resumable uploads, jobs.insert/get/list.
 */
#include <ctype.h>
#include <string.h>

#include <openssl/rand.h>

#include "emu_int.h"
#include "banned.h"

/* ------------------------------------------------------------------ */
/* Load jobs                                                            */

static void
load_fail(struct job *j, const char *reason, const char *msg)
{
	emu_job_fail(j, 400, reason, msg);
}

/*
 * Creates the load's destination table p.d.t from the job's schema (and
 * partitioning); returns its resource, or NULL with the job failed.
 */
static cJSON *
load_create(struct call *c, struct job *j, const cJSON *lc, const char *p,
    const char *d, const char *t)
{
	static const char *copy[] = { "timePartitioning", "clustering",
	    "rangePartitioning" };
	struct resp scratch, *saved = c->r;
	cJSON *body, *m = NULL;
	size_t i;

	if (emu_jget(lc, "schema") == NULL) {
		load_fail(j, "invalid", "No schema specified on job or "
		    "table (bq-emulator does not autodetect)");
		return NULL;
	}
	body = cJSON_CreateObject();
	cJSON_AddItemToObject(body, "schema",
	    cJSON_Duplicate(emu_jget(lc, "schema"), 1));
	for (i = 0; i < sizeof(copy) / sizeof(copy[0]); i++)
		if (emu_jget(lc, copy[i]))
			cJSON_AddItemToObject(body, copy[i],
			    cJSON_Duplicate(emu_jget(lc, copy[i]), 1));
	memset(&scratch, 0, sizeof(scratch));
	c->r = &scratch;
	if (emu_table_create(c, p, d, t, body, &m) == -1) {
		cJSON *err = cJSON_Parse(scratch.body.buf);
		const cJSON *ee = emu_jget(err, "error");
		const char *reason = util_json_str(cJSON_GetArrayItem(
		    emu_jget(ee, "errors"), 0), "reason");
		const char *message = util_json_str(ee, "message");

		emu_job_fail(j, scratch.status, reason ? reason : "invalid",
		    message ? message : "error");
		cJSON_Delete(err);
	}
	c->r = saved;
	strbuf_release(&scratch.body);
	cJSON_Delete(body);
	return m;
}

/* One load in progress over the destination's insert statement. */
struct load {
	struct emu	*e;
	const cJSON	*fields;
	int		 nf;
	int		 ignore;		/* ignoreUnknownValues */
	sqlite3_stmt	*st;
	struct emusql_bind *b;
	cJSON		*errs;		/* the first 5 bad rows' ErrorProtos */
	long		 good, bad;
};

/* Records a bad row's message (the first five) as BigQuery does. */
static void
load_bad_row(struct load *l, const char *msg)
{
	cJSON *ep;

	l->bad++;
	if (cJSON_GetArraySize(l->errs) < 5) {
		ep = emu_error_proto("invalid", msg);
		cJSON_DeleteItemFromObjectCaseSensitive(ep, "domain");
		cJSON_AddItemToArray(l->errs, ep);
	}
}

/*
 * Loads one NDJSON line (n bytes at byte offset start of the data): 0,
 * also for a bad row (counted), or -1 if SQLite failed (j failed).
 */
static int
load_line(struct load *l, struct job *j, const char *line, size_t n,
    size_t start, int lineno)
{
	char msg[512], tmp[1024], *q;
	const char *loc = "";
	cJSON *row;

	q = emu_quote_long_numbers(line, n);
	row = cJSON_Parse(q);
	free(q);
	if (row == NULL)
		snprintf(msg, sizeof(msg), "Error while reading data, "
		    "error message: JSON parsing error in row starting "
		    "at position %zu: Parser terminated before end of "
		    "string", start);
	if (row == NULL || emu_row_binds(l->fields, row, l->ignore, l->b, msg,
	    sizeof(msg), &loc) == -1) {
		if (row && strncmp(msg, "Error while", 11) != 0) {
			snprintf(tmp, sizeof(tmp), "Error while reading "
			    "data, error message: JSON table encountered "
			    "an error in row starting at position %zu "
			    "(line %d): %s", start, lineno, msg);
			snprintf(msg, sizeof(msg), "%.500s", tmp);
		}
		load_bad_row(l, msg);
		cJSON_Delete(row);
		return 0;
	}
	cJSON_Delete(row);
	if (emu_insert_binds(l->st, l->b, l->nf) == -1) {
		emu_exec(l->e, "ROLLBACK TO load");
		emu_exec(l->e, "RELEASE load");
		emu_job_fail(j, 500, "internalError", sqlite3_errmsg(l->e->db));
		return -1;
	}
	l->good++;
	return 0;
}

/* Loads every line of data; 0, or -1 with j failed. */
static int
load_data(struct load *l, struct job *j, const char *data, size_t len)
{
	size_t off = 0;
	int lineno = 0;

	while (off < len) {
		const char *nl = memchr(data + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - data - off) : len - off;
		size_t start = off;

		off += n + (nl != NULL);
		lineno++;
		while (n > 0 && (data[start + n - 1] == '\r' ||
		    isspace((unsigned char)data[start + n - 1])))
			n--;
		if (n > 0 && load_line(l, j, data + start, n, start,
		    lineno) == -1)
			return -1;
	}
	return 0;
}

/* Commits the load, or rolls it back if it had too many bad rows. */
static void
load_finish(struct load *l, struct job *j, long maxbad, size_t len)
{
	char msg[512];

	if (l->bad > maxbad) {
		emu_exec(l->e, "ROLLBACK TO load");
		emu_exec(l->e, "RELEASE load");
		snprintf(msg, sizeof(msg), "Error while reading data, error "
		    "message: JSON table encountered too many errors, giving "
		    "up. Rows: %ld; errors: %ld. Please look into the errors[] "
		    "collection for more details.", l->good + l->bad, l->bad);
		emu_job_fail(j, 400, "invalid", msg);
		cJSON_AddItemToArray(l->errs, emu_error_proto("invalid", msg));
		j->errors = l->errs;
		l->errs = NULL;
		return;
	}
	emu_exec(l->e, "RELEASE load");
	j->load_stats = cJSON_CreateObject();
	emu_add_i64(j->load_stats, "inputFiles", 1);
	emu_add_i64(j->load_stats, "inputFileBytes", (int64_t)len);
	emu_add_i64(j->load_stats, "outputRows", l->good);
	emu_add_i64(j->load_stats, "outputBytes", l->good * 8 * l->nf);
	emu_add_i64(j->load_stats, "badRecords", l->bad);
}

/* Checks a load configuration; 0, or -1 with j failed. */
static int
load_check(struct job *j, const char *d, const char *t, const char *fmt,
    const char *data)
{
	if (d == NULL || t == NULL) {
		load_fail(j, "invalid", "Required parameter is missing: "
		    "destinationTable");
		return -1;
	}
	if (fmt == NULL || strcmp(fmt, "NEWLINE_DELIMITED_JSON") != 0) {
		load_fail(j, "invalid", "bq-emulator loads "
		    "NEWLINE_DELIMITED_JSON only (set sourceFormat)");
		return -1;
	}
	if (data == NULL) {
		load_fail(j, "invalid", "bq-emulator loads uploaded data only "
		    "(sourceUris are not supported)");
		return -1;
	}
	return 0;
}

/* Runs configuration.load over NDJSON data. */
static void
run_load(struct call *c, struct job *j, const cJSON *lc, const char *data,
    size_t len)
{
	const cJSON *dt = emu_jget(lc, "destinationTable");
	const char *p = util_json_str(dt, "projectId");
	const char *d = util_json_str(dt, "datasetId");
	const char *t = util_json_str(dt, "tableId");
	const char *cd = util_json_str(lc, "createDisposition");
	const char *wd = util_json_str(lc, "writeDisposition");
	char *sqlname = NULL, msg[512];
	cJSON *m = NULL;
	struct load l;

	memset(&l, 0, sizeof(l));
	l.e = c->e;
	l.ignore = emu_jbool(lc, "ignoreUnknownValues");
	if (p == NULL)
		p = j->project;
	if (load_check(j, d, t, util_json_str(lc, "sourceFormat"), data) == -1)
		goto done;
	if ((m = emu_table_meta(c->e, p, d, t, &sqlname)) == NULL) {
		if (cd && strcmp(cd, "CREATE_NEVER") == 0) {
			snprintf(msg, sizeof(msg), "Not found: Table %s:%s.%s",
			    p, d, t);
			emu_job_fail(j, 404, "notFound", msg);
			goto done;
		}
		if ((m = load_create(c, j, lc, p, d, t)) == NULL)
			goto done;
		sqlname = emu_sql_name(p, d, t);
	}
	l.fields = emu_jget(emu_jget(m, "schema"), "fields");
	l.nf = cJSON_GetArraySize(l.fields);
	if (wd && strcmp(wd, "WRITE_EMPTY") == 0 &&
	    emu_count_rows(c->e, sqlname)) {
		snprintf(msg, sizeof(msg), "Already Exists: Table %s:%s.%s", p,
		    d, t);
		emu_job_fail(j, 409, "duplicate", msg);
		goto done;
	}
	if ((l.st = emu_insert_stmt(c->e, sqlname, l.fields)) == NULL) {
		load_fail(j, "invalid", "table has no columns");
		goto done;
	}
	l.b = xcalloc((size_t)l.nf + 1, sizeof(*l.b));
	l.errs = cJSON_CreateArray();
	emu_exec(c->e, "SAVEPOINT load");
	if (wd && strcmp(wd, "WRITE_TRUNCATE") == 0) {
		struct strbuf sb = STRBUF_INIT;

		strbuf_adds(&sb, "DELETE FROM ");
		emusql_add_quoted(&sb, sqlname);
		emu_exec(c->e, sb.buf);
		strbuf_release(&sb);
	}
	if (load_data(&l, j, data, len) == 0)
		load_finish(&l, j, emu_jlong(lc, "maxBadRecords", 0), len);
done:
	j->ended = emu_now_ms();
	sqlite3_finalize(l.st);
	free(l.b);
	cJSON_Delete(l.errs);
	cJSON_Delete(m);
	free(sqlname);
}

const char *
emu_header(struct call *c, const char *name)
{
	return MHD_lookup_connection_value(c->conn, MHD_HEADER_KIND, name);
}

/* Splits a multipart/related body into its first two parts. */
static int
multipart(const char *ctype, const char *body, size_t n, const char **p1,
    size_t *l1, const char **p2, size_t *l2)
{
	const char *bp = ctype ? strstr(ctype, "boundary=") : NULL;
	char delim[200];
	size_t dl, k = 0;
	const char *cur, *parts[2] = { NULL, NULL };
	size_t lens[2] = { 0, 0 };

	if (bp == NULL)
		return -1;
	bp += 9;
	if (*bp == '"')
		bp++;
	dl = strcspn(bp, "\";, ");
	if (dl == 0 || dl > 150)
		return -1;
	snprintf(delim, sizeof(delim), "--%.*s", (int)dl, bp);
	dl = strlen(delim);
	cur = memmem(body, n, delim, dl);
	while (cur && k < 2) {
		const char *hs = cur + dl, *he, *next;

		if (hs + 2 <= body + n && hs[0] == '-' && hs[1] == '-')
			break;
		he = memmem(hs, (size_t)(body + n - hs), "\r\n\r\n", 4);
		if (he)
			he += 4;
		else if ((he = memmem(hs, (size_t)(body + n - hs), "\n\n", 2)))
			he += 2;
		else
			return -1;
		next = memmem(he, (size_t)(body + n - he), delim, dl);
		if (next == NULL)
			return -1;
		parts[k] = he;
		lens[k] = (size_t)(next - he);
		if (lens[k] >= 2 && next[-2] == '\r' && next[-1] == '\n')
			lens[k] -= 2;
		else if (lens[k] >= 1 && next[-1] == '\n')
			lens[k] -= 1;
		k++;
		cur = next;
	}
	if (k < 1)
		return -1;
	*p1 = parts[0];
	*l1 = lens[0];
	*p2 = parts[1];
	*l2 = lens[1];
	return 0;
}

/* jobs.insert: a query or load job (load data from an upload). */
static void
insert_job(struct call *c, const char *p, cJSON *body, const char *data,
    size_t dlen)
{
	const cJSON *ref = emu_jget(body, "jobReference"), *cfg;
	const char *id = util_json_str(ref, "jobId");
	struct job *j;

	cfg = emu_jget(body, "configuration");
	if (cfg == NULL) {
		emu_bad_request(c->r, "Required parameter is missing: "
		    "configuration");
		return;
	}
	if (id && emu_job_find(c->e, p, id)) {
		emu_resp_error(c->r, 409, "duplicate", "Already Exists: Job "
		    "%s:%s.%s", p, util_json_str(ref, "location") ? util_json_str(ref,
		    "location") : "US", id);
		return;
	}
	if (emu_jget(cfg, "query")) {
		j = emu_job_new(c->e, p, id, util_json_str(ref, "location"), "QUERY");
		j->config = cJSON_Duplicate(cfg, 1);
		emu_run_query(c->e, j, emu_jget(cfg, "query"), emu_jbool(cfg, "dryRun"));
	} else if (emu_jget(cfg, "load")) {
		j = emu_job_new(c->e, p, id, util_json_str(ref, "location"), "LOAD");
		j->config = cJSON_Duplicate(cfg, 1);
		run_load(c, j, emu_jget(cfg, "load"), data, dlen);
	} else {
		emu_resp_error(c->r, 501, "notImplemented", "bq-emulator runs "
		    "query and load jobs only");
		return;
	}
	emu_resp_json(c->r, 200, emu_job_resource(c->e, j, j->http || j->dry_run ||
	    (j->incomplete == 0 && util_now_mono() >= j->ready_at)));
}

/*
 * Resumable uploads: POST ...?uploadType=resumable with the job answers a
 * Location to PUT the data to, in one or more Content-Range chunks (308
 * until the last one, which runs the job).
 */
static void
h_resumable(struct call *c, const char *p)
{
	const char *uid = emu_arg(c, "upload_id"), *cr;
	struct emu *e = c->e;
	struct upload *u = NULL;
	size_t i;

	if (uid == NULL) {
		cJSON *body = emu_parse_body(c);
		unsigned char rnd[8];
		char hex[17];

		if (body == NULL) {
			emu_bad_request(c->r, "Invalid JSON payload received.");
			return;
		}
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			memset(rnd, 7, sizeof(rnd));
		for (i = 0; i < 8; i++)
			snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
		e->uploads = xrealloc(e->uploads, (e->nuploads + 1) *
		    sizeof(*e->uploads));
		u = &e->uploads[e->nuploads++];
		u->id = xstrdup(hex);
		u->project = xstrdup(p);
		u->job = body;
		strbuf_init(&u->data, 0);
		c->r->location = xstrfmt("http://%s:%d/upload/bigquery/v2/"
		    "projects/%s/jobs?uploadType=resumable&upload_id=%s",
		    e->host, e->port, p, hex);
		c->r->status = 200;
		strbuf_reset(&c->r->body);
		return;
	}
	for (i = 0; i < e->nuploads; i++)
		if (strcmp(e->uploads[i].id, uid) == 0)
			u = &e->uploads[i];
	if (u == NULL) {
		emu_resp_error(c->r, 404, "notFound", "Not found: upload %s", uid);
		return;
	}
	strbuf_add(&u->data, c->body ? c->body : "", c->blen);
	cr = emu_header(c, "Content-Range");
	if (cr) {
		unsigned long long a, b, total;

		if (sscanf(cr, "bytes %llu-%llu/%llu", &a, &b, &total) == 3 &&
		    b + 1 < total) {
			c->r->status = 308;
			strbuf_reset(&c->r->body);
			c->r->range = xstrfmt("bytes=0-%llu", b);
			return;
		}
	}
	insert_job(c, p, u->job, u->data.buf, u->data.len);
	cJSON_Delete(u->job);
	free(u->id);
	free(u->project);
	strbuf_release(&u->data);
	*u = e->uploads[--e->nuploads];
}

void
emu_h_jobs_insert(struct call *c, const char *p)
{
	cJSON *body = NULL;
	const char *ut = emu_arg(c, "uploadType");

	if (c->upload && ut && strcmp(ut, "resumable") == 0) {
		h_resumable(c, p);
		return;
	}
	if (c->upload) {
		const char *p1, *p2;
		size_t l1, l2;
		char *q;

		if (ut == NULL || strcmp(ut, "multipart") != 0) {
			emu_resp_error(c->r, 501, "notImplemented", "bq-emulator "
			    "accepts uploadType=multipart and resumable only");
			return;
		}
		if (multipart(emu_header(c, "Content-Type"), c->body, c->blen, &p1,
		    &l1, &p2, &l2) == -1) {
			emu_bad_request(c->r, "Invalid multipart request");
			return;
		}
		q = emu_quote_long_numbers(p1, l1);
		body = cJSON_Parse(q);
		free(q);
		if (body == NULL) {
			emu_bad_request(c->r, "Invalid JSON payload received.");
			return;
		}
		insert_job(c, p, body, p2 ? p2 : "", p2 ? l2 : 0);
	} else {
		if ((body = emu_parse_body(c)) == NULL) {
			emu_bad_request(c->r, "Invalid JSON payload received.");
			return;
		}
		insert_job(c, p, body, NULL, 0);
	}
	cJSON_Delete(body);
}

void
emu_h_job(struct call *c, const char *p, const char *id, const char *verb)
{
	struct job *j = emu_job_find(c->e, p, id);
	int done;

	if (j == NULL) {
		emu_resp_error(c->r, 404, "notFound", "Not found: Job %s:%s", p, id);
		return;
	}
	if (strcmp(c->method, "DELETE") == 0 || (verb &&
	    strcmp(verb, "delete") == 0)) {
		c->r->status = 204;
		strbuf_reset(&c->r->body);
		return;
	}
	done = j->http || j->dry_run || emu_job_ready(j);
	if (verb && strcmp(verb, "cancel") == 0) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "kind", "bigquery#jobCancelResponse");
		cJSON_AddItemToObject(o, "job", emu_job_resource(c->e, j, done));
		emu_resp_json(c->r, 200, o);
		return;
	}
	emu_resp_json(c->r, 200, emu_job_resource(c->e, j, done));
}

void
emu_h_jobs_list(struct call *c, const char *p)
{
	cJSON *o = cJSON_CreateObject(), *arr;
	size_t i;

	cJSON_AddStringToObject(o, "kind", "bigquery#jobList");
	cJSON_AddStringToObject(o, "etag", "emu");
	arr = cJSON_AddArrayToObject(o, "jobs");
	for (i = c->e->njobs; i-- > 0 && cJSON_GetArraySize(arr) < 1000;)
		if (strcmp(c->e->jobs[i]->project, p) == 0) {
			cJSON *r = emu_job_resource(c->e, c->e->jobs[i], 1);

			cJSON_AddStringToObject(r, "state", "DONE");
			cJSON_AddItemToArray(arr, r);
		}
	emu_resp_json(c->r, 200, o);
}
