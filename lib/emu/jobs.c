/*
 * emu: query jobs: jobs.query, getQueryResults, job resources.
 */
#include <string.h>

#include <openssl/rand.h>

#include "emu_int.h"
#include "ts.h"
#include "banned.h"

/* ------------------------------------------------------------------ */
/* Jobs                                                                 */

struct job *
emu_job_find(struct emu *e, const char *p, const char *id)
{
	size_t i;

	for (i = e->njobs; i-- > 0;)
		if (strcmp(e->jobs[i]->id, id) == 0 &&
		    strcmp(e->jobs[i]->project, p) == 0)
			return e->jobs[i];
	return NULL;
}

void
emu_job_free(struct job *j)
{
	if (j == NULL)
		return;
	free(j->project);
	free(j->id);
	free(j->location);
	free(j->request_id);
	free(j->msg);
	cJSON_Delete(j->config);
	cJSON_Delete(j->errors);
	cJSON_Delete(j->schema);
	cJSON_Delete(j->load_stats);
	free(j);
}

/* Applies the pending job faults (incomplete polls, delay) to j. */
static void
job_faults(struct emu *e, struct job *j)
{
	size_t i;

	j->ready_at = util_now_mono();
	for (i = 0; i < e->nfaults; i++) {
		struct fault *f = &e->faults[i];

		if (f->count == 0 || (!f->incomplete && !f->job_delay_ms))
			continue;
		j->incomplete += f->incomplete;
		j->ready_at += f->job_delay_ms / 1000.0;
		if (f->count > 0)
			f->count--;
	}
}

struct job *
emu_job_new(struct emu *e, const char *p, const char *id, const char *loc,
    const char *type)
{
	struct job *j = xcalloc(1, sizeof(*j));
	unsigned char rnd[8];

	j->project = xstrdup(p);
	if (id)
		j->id = xstrdup(id);
	else {
		if (RAND_bytes(rnd, sizeof(rnd)) != 1)
			memset(rnd, 0, sizeof(rnd));
		j->id = xstrfmt("job_emu_%llu_%02x%02x%02x%02x%02x%02x",
		    (unsigned long long)++e->seq, rnd[0], rnd[1], rnd[2],
		    rnd[3], rnd[4], rnd[5]);
	}
	j->location = xstrdup(loc ? loc : "US");
	snprintf(j->type, sizeof(j->type), "%s", type);
	j->created = emu_now_ms();
	job_faults(e, j);
	e->jobs = xrealloc(e->jobs, (e->njobs + 1) * sizeof(*e->jobs));
	e->jobs[e->njobs++] = j;
	return j;
}

void
emu_job_fail(struct job *j, int http, const char *reason, const char *msg)
{
	j->http = http;
	snprintf(j->reason, sizeof(j->reason), "%s", reason);
	free(j->msg);
	j->msg = xstrdup(msg);
}

/* Remembers result table r, dropping the oldest beyond KEEP_RESULTS. */
static void
result_keep(struct emu *e, long r)
{
	char sql[64];

	if (e->nresults == KEEP_RESULTS) {
		snprintf(sql, sizeof(sql), "DROP TABLE IF EXISTS res.\"r_%ld\"",
		    e->results[0]);
		emu_exec(e, sql);
		memmove(e->results, e->results + 1,
		    (KEEP_RESULTS - 1) * sizeof(long));
		e->nresults--;
	}
	e->results[e->nresults++] = r;
}

static int
result_alive(struct emu *e, long r)
{
	size_t i;

	for (i = 0; i < e->nresults; i++)
		if (e->results[i] == r)
			return 1;
	return 0;
}

static cJSON *
schema_of(const struct emusql_query *q)
{
	cJSON *s = cJSON_CreateObject(), *fs = cJSON_AddArrayToObject(s,
	    "fields");
	size_t i;

	for (i = 0; i < q->ncols; i++) {
		cJSON *f;

		if (q->cols[i].field) {
			cJSON_AddItemToArray(fs, cJSON_Duplicate(q->cols[i].field,
			    1));
			continue;
		}
		f = cJSON_CreateObject();
		cJSON_AddStringToObject(f, "name", q->cols[i].name);
		cJSON_AddStringToObject(f, "type",
		    emusql_type_name(q->cols[i].type));
		cJSON_AddStringToObject(f, "mode", "NULLABLE");
		cJSON_AddItemToArray(fs, f);
	}
	return s;
}

/* What q scans and bills (each scan's table meta is la's, in order). */
static void
bill(struct emu *e, struct job *j, const struct emusql_query *q,
    const struct lookup_arg *la)
{
	int64_t per[32];
	size_t i, n = q->nscans < 32 ? q->nscans : 32;

	j->bytes = 0;
	for (i = 0; i < n && (int)i < la->n; i++) {
		per[i] = emu_scan_bytes(e, q->scans[i].table, &q->scans[i],
		    la->metas[i]);
		j->bytes += per[i];
	}
	j->billed = emu_bill(per, i);
}

/* maximumBytesBilled: BigQuery refuses the job before running it. */
static int
over_limit(struct job *j, const cJSON *qc)
{
	const cJSON *m = emu_jget(qc, "maximumBytesBilled");
	long long max = cJSON_IsString(m) ? atoll(m->valuestring) :
	    cJSON_IsNumber(m) ? (long long)m->valuedouble : 0;
	char msg[128];

	if (max <= 0 || j->billed <= max)
		return 0;
	snprintf(msg, sizeof(msg), "Query exceeded limit for bytes billed: "
	    "%lld. %lld or higher required.", max, (long long)j->billed);
	emu_job_fail(j, 400, "bytesBilledLimitExceeded", msg);
	return 1;
}

/* Runs a query configuration (jobs.query body or configuration.query). */
void
emu_run_query(struct emu *e, struct job *j, const cJSON *qc, int dry)
{
	struct lookup_arg la;
	struct emusql_ctx ctx;
	struct emusql_query *q = NULL;
	struct bq_err err = BQ_ERR_INIT;
	const cJSON *dd = emu_jget(qc, "defaultDataset"), *lg;
	const char *sql = util_json_str(qc, "query"), *pm = util_json_str(qc, "parameterMode");
	struct strbuf sb = STRBUF_INIT;
	sqlite3_stmt *st = NULL;
	size_t i;

	memset(&la, 0, sizeof(la));
	la.e = e;
	if (sql == NULL) {
		emu_job_fail(j, 400, "invalid", "Required parameter is missing: "
		    "query");
		return;
	}
	lg = emu_jget(qc, "useLegacySql");
	if (lg == NULL || cJSON_IsTrue(lg)) {
		emu_job_fail(j, 400, "invalidQuery", "bq-emulator runs GoogleSQL "
		    "only: set useLegacySql to false");
		return;
	}
	if (emu_jget(qc, "destinationTable")) {
		emu_job_fail(j, 400, "invalid", "destinationTable is not supported "
		    "by bq-emulator");
		return;
	}
	if (pm && strcasecmp(pm, "NAMED") != 0 &&
	    strcasecmp(pm, "POSITIONAL") != 0) {
		emu_job_fail(j, 400, "invalid", "Invalid parameterMode");
		return;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.project = j->project;
	ctx.default_project = util_json_str(dd, "projectId");
	ctx.default_dataset = util_json_str(dd, "datasetId");
	ctx.params = emu_jget(qc, "queryParameters");
	ctx.lookup = emu_lookup_cb;
	ctx.arg = &la;
	ctx.now = ts_now();
	q = emusql_compile(sql, &ctx, &err);
	if (q != NULL)
		bill(e, j, q, &la);
	emu_lookup_release(&la);
	if (q == NULL) {
		emu_job_fail(j, err.http_status == 404 ? 404 : 400,
		    err.http_status == 404 ? "notFound" : "invalidQuery",
		    err.msg);
		return;
	}
	j->dry_run = dry;
	if (!dry && over_limit(j, qc))
		goto done;
	if (q->kind == EMUSQL_SELECT)
		j->schema = schema_of(q);
	else
		j->dml = q->kind;
	if (dry)
		goto done;
	if (q->kind == EMUSQL_SELECT) {
		long r = ++e->next_result;

		strbuf_addf(&sb, "CREATE TABLE res.\"r_%ld\" (", r);
		for (i = 0; i < q->ncols; i++)
			strbuf_addf(&sb, "%sc%zu", i ? ", " : "", i);
		strbuf_adds(&sb, ")");
		if (emu_exec(e, sb.buf) == -1) {
			emu_job_fail(j, 500, "internalError", "cannot store result");
			goto done;
		}
		result_keep(e, r);
		strbuf_reset(&sb);
		strbuf_addf(&sb, "INSERT INTO res.\"r_%ld\" %s", r, q->sql);
		j->result = r;
	} else
		strbuf_adds(&sb, q->sql);
	if (sqlite3_prepare_v2(e->db, sb.buf, -1, &st, NULL) != SQLITE_OK) {
		emu_job_fail(j, 400, "invalidQuery", sqlite3_errmsg(e->db));
		goto done;
	}
	emusql_bind_all(q, st);
	emu_exec(e, "SAVEPOINT q");
	if (sqlite3_step(st) != SQLITE_DONE) {
		emu_job_fail(j, 400, "invalidQuery", sqlite3_errmsg(e->db));
		emu_exec(e, "ROLLBACK TO q");
		emu_exec(e, "RELEASE q");
		goto done;
	}
	emu_exec(e, "RELEASE q");
	if (q->kind == EMUSQL_SELECT)
		j->nrows = sqlite3_changes64(e->db);
	else
		j->affected = sqlite3_changes64(e->db);
	/* BigQuery bills no failed query, this one included. */
	if (q->kind == EMUSQL_SELECT && emu_result_bytes(e, j->result,
	    j->schema) > e->max_response)
		emu_job_fail(j, 403, "responseTooLarge", "Response too large to "
		    "return. Consider specifying a destination table in your "
		    "job configuration.");
done:
	j->ended = emu_now_ms();
	sqlite3_finalize(st);
	strbuf_release(&sb);
	emusql_query_free(q);
}

static cJSON *
job_ref(const struct job *j)
{
	cJSON *r = cJSON_CreateObject();

	cJSON_AddStringToObject(r, "projectId", j->project);
	cJSON_AddStringToObject(r, "jobId", j->id);
	cJSON_AddStringToObject(r, "location", j->location);
	return r;
}

/* 1 if the job may report completion now (consumes one fault poll). */
int
emu_job_ready(struct job *j)
{
	if (j->incomplete > 0) {
		j->incomplete--;
		return 0;
	}
	return util_now_mono() >= j->ready_at;
}

/* Waits up to timeout_ms for a delayed job, without holding the lock. */
static void
job_wait(struct emu *e, struct job *j, long timeout_ms)
{
	double left = j->ready_at - util_now_mono();

	if (j->incomplete > 0 || left <= 0 || timeout_ms <= 0)
		return;
	if (left > timeout_ms / 1000.0)
		left = timeout_ms / 1000.0;
	pthread_mutex_unlock(&e->mu);
	util_sleep(left, NULL);
	pthread_mutex_lock(&e->mu);
}

cJSON *
emu_job_resource(struct emu *e, struct job *j, int done)
{
	cJSON *o = cJSON_CreateObject(), *cfg, *stats, *status, *qs;
	char *id = xstrfmt("%s:%s.%s", j->project, j->location, j->id);
	char *self = xstrfmt("http://%s:%d/bigquery/v2/projects/%s/jobs/%s",
	    e->host, e->port, j->project, j->id);

	cJSON_AddStringToObject(o, "kind", "bigquery#job");
	cJSON_AddStringToObject(o, "etag", "emu");
	cJSON_AddStringToObject(o, "id", id);
	cJSON_AddStringToObject(o, "selfLink", self);
	free(id);
	free(self);
	cJSON_AddStringToObject(o, "user_email", "emulator@bq-emulator.local");
	cJSON_AddItemToObject(o, "jobReference", job_ref(j));
	cfg = j->config ? cJSON_Duplicate(j->config, 1) : cJSON_CreateObject();
	cJSON_DeleteItemFromObjectCaseSensitive(cfg, "jobType");
	cJSON_AddStringToObject(cfg, "jobType", j->type);
	cJSON_AddItemToObject(o, "configuration", cfg);
	stats = cJSON_AddObjectToObject(o, "statistics");
	emu_add_i64(stats, "creationTime", j->created);
	emu_add_i64(stats, "startTime", j->created);
	if (done)
		emu_add_i64(stats, "endTime", j->ended ? j->ended : j->created);
	if (strcmp(j->type, "QUERY") == 0) {
		emu_add_i64(stats, "totalBytesProcessed", j->bytes);
		qs = cJSON_AddObjectToObject(stats, "query");
		emu_add_i64(qs, "totalBytesProcessed", j->bytes);
		emu_add_i64(qs, "totalBytesBilled", j->dry_run || j->http ? 0 :
		    j->billed);
		cJSON_AddBoolToObject(qs, "cacheHit", 0);
		cJSON_AddStringToObject(qs, "statementType",
		    j->dml == EMUSQL_UPDATE ? "UPDATE" : j->dml ? "DELETE" :
		    "SELECT");
		if (j->schema && (j->dry_run || done))
			cJSON_AddItemToObject(qs, "schema",
			    cJSON_Duplicate(j->schema, 1));
		if (j->dml && done && !j->http) {
			cJSON *ds = cJSON_AddObjectToObject(qs, "dmlStats");

			emu_add_i64(qs, "numDmlAffectedRows", j->affected);
			emu_add_i64(ds, j->dml == EMUSQL_UPDATE ?
			    "updatedRowCount" : "deletedRowCount", j->affected);
		}
	} else if (j->load_stats)
		cJSON_AddItemToObject(stats, "load",
		    cJSON_Duplicate(j->load_stats, 1));
	status = cJSON_AddObjectToObject(o, "status");
	cJSON_AddStringToObject(status, "state", done ? "DONE" : "RUNNING");
	if (done && j->http) {
		cJSON *ea = cJSON_AddArrayToObject(status, "errors");

		cJSON_AddItemToObject(status, "errorResult",
		    emu_error_proto(j->reason, j->msg));
		if (j->errors) {
			const cJSON *it;

			cJSON_ArrayForEach(it, j->errors)
				cJSON_AddItemToArray(ea, cJSON_Duplicate(it, 1));
		} else
			cJSON_AddItemToArray(ea, emu_error_proto(j->reason,
			    j->msg));
	}
	return o;
}

/* The QueryResponse / GetQueryResultsResponse for a finished job. */
static void
query_response(struct call *c, struct job *j, const char *kind, long max,
    int64_t start, int i64ts)
{
	cJSON *o;
	struct strbuf rows = STRBUF_INIT, sql = STRBUF_INIT;
	struct coltypes ct;
	sqlite3_stmt *st = NULL;
	long count = 0;
	int64_t last = 0;
	int more = 0;

	memset(&ct, 0, sizeof(ct));
	if (j->http) {
		emu_resp_error(c->r, j->http, j->reason, "%s", j->msg);
		return;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "kind", kind);
	if (kind[9] == 'g')
		cJSON_AddStringToObject(o, "etag", "emu");
	cJSON_AddItemToObject(o, "jobReference", job_ref(j));
	if (kind[9] == 'q')
		cJSON_AddStringToObject(o, "queryId", j->id);
	cJSON_AddBoolToObject(o, "jobComplete", 1);
	emu_add_i64(o, "totalBytesProcessed", j->bytes);
	if (!j->dml && !j->dry_run)
		emu_add_i64(o, "totalBytesBilled", j->billed);
	cJSON_AddBoolToObject(o, "cacheHit", 0);
	if (j->dml) {
		cJSON *ds;

		emu_add_i64(o, "numDmlAffectedRows", j->affected);
		ds = cJSON_AddObjectToObject(o, "dmlStats");
		emu_add_i64(ds, "deletedRowCount", j->dml == EMUSQL_DELETE ?
		    j->affected : 0);
		emu_add_i64(ds, "insertedRowCount", 0);
		emu_add_i64(ds, "updatedRowCount", j->dml == EMUSQL_UPDATE ?
		    j->affected : 0);
		emu_resp_json(c->r, 200, o);
		return;
	}
	if (j->schema)
		cJSON_AddItemToObject(o, "schema", cJSON_Duplicate(j->schema,
		    1));
	if (j->dry_run || j->result == 0) {
		emu_add_i64(o, "totalRows", 0);
		emu_resp_json(c->r, 200, o);
		return;
	}
	emu_add_i64(o, "totalRows", j->nrows);
	if (!result_alive(c->e, j->result)) {
		cJSON_Delete(o);
		emu_resp_error(c->r, 404, "notFound", "Not found: the results of "
		    "job %s:%s.%s have expired (bq-emulator keeps the last %d)",
		    j->project, j->location, j->id, KEEP_RESULTS);
		return;
	}
	emu_coltypes_from_fields(emu_jget(j->schema, "fields"), &ct);
	strbuf_addf(&sql, "SELECT rowid, * FROM res.\"r_%ld\" WHERE rowid > "
	    "%lld ORDER BY rowid", j->result, (long long)start);
	if (sqlite3_prepare_v2(c->e->db, sql.buf, -1, &st, NULL) != SQLITE_OK ||
	    (more = emu_write_rows(st, &ct, i64ts, max, &rows, &count, &last)) ==
	    -1) {
		cJSON_Delete(o);
		emu_resp_error(c->r, 500, "internalError", "%s",
		    sqlite3_errmsg(c->e->db));
		goto out;
	}
	if (more) {
		char *tok = emu_make_token(start + count);

		cJSON_AddStringToObject(o, "pageToken", tok);
		free(tok);
	}
	emu_resp_with_rows(c->r, o, &rows, count);
out:
	sqlite3_finalize(st);
	emu_coltypes_release(&ct);
	strbuf_release(&rows);
	strbuf_release(&sql);
}

static void
incomplete_response(struct call *c, struct job *j, const char *kind)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "kind", kind);
	cJSON_AddItemToObject(o, "jobReference", job_ref(j));
	cJSON_AddBoolToObject(o, "jobComplete", 0);
	emu_resp_json(c->r, 200, o);
}

void
emu_h_query(struct call *c, const char *p)
{
	cJSON *body = emu_parse_body(c);
	const char *rid;
	struct job *j = NULL;
	long max, timeout;
	size_t i;

	if (body == NULL) {
		emu_bad_request(c->r, "Invalid JSON payload received.");
		return;
	}
	rid = util_json_str(body, "requestId");
	if (rid)
		for (i = 0; i < c->e->njobs; i++)
			if (c->e->jobs[i]->request_id &&
			    strcmp(c->e->jobs[i]->request_id, rid) == 0 &&
			    strcmp(c->e->jobs[i]->project, p) == 0)
				j = c->e->jobs[i];
	if (j == NULL) {
		cJSON *cfg = cJSON_CreateObject(), *qc;

		j = emu_job_new(c->e, p, NULL, util_json_str(body, "location"), "QUERY");
		j->request_id = rid ? xstrdup(rid) : NULL;
		qc = cJSON_Duplicate(body, 1);
		cJSON_AddItemToObject(cfg, "query", qc);
		j->config = cfg;
		emu_run_query(c->e, j, body, emu_jbool(body, "dryRun"));
	}
	max = emu_jlong(body, "maxResults", -1);
	timeout = emu_jlong(body, "timeoutMs", 10000);
	job_wait(c->e, j, timeout);
	if (!j->http && !emu_job_ready(j))
		incomplete_response(c, j, "bigquery#queryResponse");
	else
		query_response(c, j, "bigquery#queryResponse", max, 0,
		    emu_jbool(emu_jget(body, "formatOptions"), "useInt64Timestamp"));
	cJSON_Delete(body);
}

void
emu_h_query_results(struct call *c, const char *p, const char *id)
{
	struct job *j = emu_job_find(c->e, p, id);
	const char *mr = emu_arg(c, "maxResults"), *pt = emu_arg(c, "pageToken");
	const char *si = emu_arg(c, "startIndex"), *to = emu_arg(c, "timeoutMs");
	int64_t start = 0;

	if (j == NULL) {
		emu_resp_error(c->r, 404, "notFound", "Not found: Job %s:%s", p, id);
		return;
	}
	if (pt && *pt) {
		if (emu_parse_token(pt, &start) == -1) {
			emu_bad_request(c->r, "Invalid page token");
			return;
		}
	} else if (si)
		start = strtoll(si, NULL, 10);
	job_wait(c->e, j, to ? strtol(to, NULL, 10) : 10000);
	if (!j->http && !emu_job_ready(j)) {
		incomplete_response(c, j, "bigquery#getQueryResultsResponse");
		return;
	}
	query_response(c, j, "bigquery#getQueryResultsResponse",
	    mr ? strtol(mr, NULL, 10) : -1, start,
	    emu_arg_bool(c, "formatOptions.useInt64Timestamp"));
}
