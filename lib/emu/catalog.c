/*
 * emu: the catalog (table and dataset resources) and the datasets API.
 */
#include <string.h>

#include "emu_int.h"
#include "ts.h"
#include "banned.h"

/* ------------------------------------------------------------------ */
/* Catalog                                                              */

/* The table resource (caller frees) and its SQLite name, or NULL. */
cJSON *
emu_table_meta(struct emu *e, const char *p, const char *d, const char *t,
    char **sqlname)
{
	sqlite3_stmt *st = NULL;
	cJSON *j = NULL;

	if (sqlite3_prepare_v2(e->db, "SELECT meta, sqlname FROM _emu_tables "
	    "WHERE project = ? AND dataset = ? AND tbl = ?", -1, &st, NULL))
		return NULL;
	sqlite3_bind_text(st, 1, p, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, d, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, t, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW) {
		j = cJSON_Parse((const char *)sqlite3_column_text(st, 0));
		if (sqlname)
			*sqlname = xstrdup((const char *)sqlite3_column_text(st,
			    1));
	}
	sqlite3_finalize(st);
	return j;
}

cJSON *
emu_dataset_meta(struct emu *e, const char *p, const char *d)
{
	sqlite3_stmt *st = NULL;
	cJSON *j = NULL;

	if (sqlite3_prepare_v2(e->db, "SELECT meta FROM _emu_datasets "
	    "WHERE project = ? AND dataset = ?", -1, &st, NULL))
		return NULL;
	sqlite3_bind_text(st, 1, p, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, d, -1, SQLITE_STATIC);
	if (sqlite3_step(st) == SQLITE_ROW)
		j = cJSON_Parse((const char *)sqlite3_column_text(st, 0));
	sqlite3_finalize(st);
	return j;
}

int64_t
emu_count_rows(struct emu *e, const char *sqlname)
{
	struct strbuf sb = STRBUF_INIT;
	sqlite3_stmt *st = NULL;
	int64_t n = 0;

	strbuf_adds(&sb, "SELECT count(*) FROM ");
	emusql_add_quoted(&sb, sqlname);
	if (sqlite3_prepare_v2(e->db, sb.buf, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	strbuf_release(&sb);
	return n;
}

int
emu_lookup_cb(void *argp, const char *p, const char *d, const char *t,
    char **sqlname, const cJSON **fields)
{
	struct lookup_arg *a = argp;
	cJSON *m;

	if (a->n == 32 || (m = emu_table_meta(a->e, p, d, t, sqlname)) == NULL)
		return -1;
	a->metas[a->n++] = m;
	*fields = emu_jget(emu_jget(m, "schema"), "fields");
	if (*fields == NULL) {
		cJSON_AddItemToObject(m, "_empty", cJSON_CreateArray());
		*fields = emu_jget(m, "_empty");
	}
	return 0;
}

void
emu_lookup_release(struct lookup_arg *a)
{
	while (a->n > 0)
		cJSON_Delete(a->metas[--a->n]);
}

/* ------------------------------------------------------------------ */
/* Datasets and tables                                                  */

void
emu_set_item(cJSON *m, const cJSON *kv)
{
	cJSON_DeleteItemFromObjectCaseSensitive(m, kv->string);
	cJSON_AddItemToObject(m, kv->string, cJSON_Duplicate(kv, 1));
}

void
emu_stamp(cJSON *m, const char *kind, const char *id, const char *self)
{
	char etag[40];

	cJSON_DeleteItemFromObjectCaseSensitive(m, "kind");
	cJSON_AddStringToObject(m, "kind", kind);
	cJSON_DeleteItemFromObjectCaseSensitive(m, "id");
	cJSON_AddStringToObject(m, "id", id);
	snprintf(etag, sizeof(etag), "%016llx==",
	    (unsigned long long)ts_now());
	cJSON_DeleteItemFromObjectCaseSensitive(m, "etag");
	cJSON_AddStringToObject(m, "etag", etag);
	cJSON_DeleteItemFromObjectCaseSensitive(m, "selfLink");
	cJSON_AddStringToObject(m, "selfLink", self);
}

int
emu_save_meta(struct emu *e, const char *sql, const char *p, const char *d,
    const char *t, const char *sqlname, const cJSON *meta)
{
	sqlite3_stmt *st = NULL;
	char *s = cJSON_PrintUnformatted(meta);
	int rc, k = 1;

	rc = sqlite3_prepare_v2(e->db, sql, -1, &st, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(st, k++, p, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, k++, d, -1, SQLITE_STATIC);
		if (t)
			sqlite3_bind_text(st, k++, t, -1, SQLITE_STATIC);
		if (sqlname)
			sqlite3_bind_text(st, k++, sqlname, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, k++, s, -1, SQLITE_STATIC);
		rc = sqlite3_step(st) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
	}
	sqlite3_finalize(st);
	free(s);
	return rc == SQLITE_OK ? 0 : -1;
}

void
emu_h_dataset_insert(struct call *c, const char *p)
{
	cJSON *body = emu_parse_body(c), *m;
	const char *d;
	char *id, *self;

	if (body == NULL) {
		emu_bad_request(c->r, "Invalid JSON payload received.");
		return;
	}
	d = util_json_str(emu_jget(body, "datasetReference"), "datasetId");
	if (!emu_valid_id(d, 0)) {
		emu_bad_request(c->r, "Invalid dataset ID");
		goto out;
	}
	if ((m = emu_dataset_meta(c->e, p, d)) != NULL) {
		cJSON_Delete(m);
		emu_resp_error(c->r, 409, "duplicate", "Already Exists: Dataset "
		    "%s:%s", p, d);
		goto out;
	}
	m = cJSON_Duplicate(body, 1);
	cJSON_DeleteItemFromObjectCaseSensitive(m, "projectId");
	cJSON_DeleteItemFromObjectCaseSensitive(m, "datasetReference");
	{
		cJSON *ref = cJSON_AddObjectToObject(m, "datasetReference");

		cJSON_AddStringToObject(ref, "datasetId", d);
		cJSON_AddStringToObject(ref, "projectId", p);
	}
	if (util_json_str(m, "location") == NULL) {
		cJSON_DeleteItemFromObjectCaseSensitive(m, "location");
		cJSON_AddStringToObject(m, "location", "US");
	}
	id = xstrfmt("%s:%s", p, d);
	self = xstrfmt("http://%s:%d/bigquery/v2/projects/%s/datasets/%s",
	    c->e->host, c->e->port, p, d);
	emu_stamp(m, "bigquery#dataset", id, self);
	free(id);
	free(self);
	emu_add_i64(m, "creationTime", emu_now_ms());
	emu_add_i64(m, "lastModifiedTime", emu_now_ms());
	cJSON_AddStringToObject(m, "type", "DEFAULT");
	if (emu_save_meta(c->e, "INSERT INTO _emu_datasets(project, dataset, meta)"
	    " VALUES (?, ?, ?)", p, d, NULL, NULL, m) == -1) {
		cJSON_Delete(m);
		emu_resp_error(c->r, 500, "internalError", "cannot store dataset");
		goto out;
	}
	emu_resp_json(c->r, 200, m);
out:
	cJSON_Delete(body);
}

void
emu_drop_table(struct emu *e, const char *sqlname)
{
	struct strbuf sb = STRBUF_INIT;
	sqlite3_stmt *st = NULL;

	strbuf_adds(&sb, "DROP TABLE IF EXISTS ");
	emusql_add_quoted(&sb, sqlname);
	emu_exec(e, sb.buf);
	strbuf_release(&sb);
	if (sqlite3_prepare_v2(e->db, "DELETE FROM _emu_tables WHERE sqlname "
	    "= ?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, sqlname, -1, SQLITE_STATIC);
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
}

void
emu_h_dataset(struct call *c, const char *p, const char *d)
{
	cJSON *m = emu_dataset_meta(c->e, p, d);
	sqlite3_stmt *st = NULL;
	char **names = NULL;
	size_t n = 0, i;

	if (m == NULL) {
		emu_resp_error(c->r, 404, "notFound", "Not found: Dataset %s:%s", p,
		    d);
		return;
	}
	if (strcmp(c->method, "GET") == 0) {
		emu_resp_json(c->r, 200, m);
		return;
	}
	if (strcmp(c->method, "PATCH") == 0 || strcmp(c->method, "PUT") == 0) {
		cJSON *body = emu_parse_body(c), *kv;

		if (body == NULL) {
			cJSON_Delete(m);
			emu_bad_request(c->r, "Invalid JSON payload received.");
			return;
		}
		cJSON_ArrayForEach(kv, body)
			if (strcmp(kv->string, "description") == 0 ||
			    strcmp(kv->string, "labels") == 0 ||
			    strcmp(kv->string, "friendlyName") == 0 ||
			    strcmp(kv->string, "defaultTableExpirationMs") == 0)
				emu_set_item(m, kv);
		cJSON_Delete(body);
		emu_save_meta(c->e, "UPDATE _emu_datasets SET meta = ?3 WHERE "
		    "project = ?1 AND dataset = ?2", p, d, NULL, NULL, m);
		emu_resp_json(c->r, 200, m);
		return;
	}
	cJSON_Delete(m);
	if (strcmp(c->method, "DELETE") != 0) {
		emu_resp_error(c->r, 405, "badRequest", "Method not allowed");
		return;
	}
	if (sqlite3_prepare_v2(c->e->db, "SELECT sqlname FROM _emu_tables "
	    "WHERE project = ? AND dataset = ?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, p, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, d, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW) {
			names = xrealloc(names, (n + 1) * sizeof(char *));
			names[n++] = xstrdup((const char *)
			    sqlite3_column_text(st, 0));
		}
	}
	sqlite3_finalize(st);
	if (n > 0 && !emu_arg_bool(c, "deleteContents")) {
		emu_resp_error(c->r, 400, "resourceInUse", "Dataset %s:%s is still "
		    "in use", p, d);
		goto out;
	}
	for (i = 0; i < n; i++)
		emu_drop_table(c->e, names[i]);
	st = NULL;
	if (sqlite3_prepare_v2(c->e->db, "DELETE FROM _emu_datasets WHERE "
	    "project = ? AND dataset = ?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, p, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, d, -1, SQLITE_STATIC);
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
	c->r->status = 204;
	strbuf_reset(&c->r->body);
out:
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

void
emu_h_dataset_list(struct call *c, const char *p)
{
	sqlite3_stmt *st = NULL;
	cJSON *o = cJSON_CreateObject(), *arr;

	cJSON_AddStringToObject(o, "kind", "bigquery#datasetList");
	cJSON_AddStringToObject(o, "etag", "emu");
	arr = cJSON_AddArrayToObject(o, "datasets");
	if (sqlite3_prepare_v2(c->e->db, "SELECT meta FROM _emu_datasets "
	    "WHERE project = ? ORDER BY dataset", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, p, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW) {
			cJSON *m = cJSON_Parse((const char *)
			    sqlite3_column_text(st, 0)), *it;

			it = cJSON_CreateObject();
			cJSON_AddStringToObject(it, "kind", "bigquery#dataset");
			cJSON_AddStringToObject(it, "id", util_json_str(m, "id"));
			cJSON_AddItemToObject(it, "datasetReference",
			    cJSON_Duplicate(emu_jget(m, "datasetReference"), 1));
			cJSON_AddStringToObject(it, "location",
			    util_json_str(m, "location") ? util_json_str(m, "location") : "US");
			cJSON_AddItemToArray(arr, it);
			cJSON_Delete(m);
		}
	}
	sqlite3_finalize(st);
	emu_resp_json(c->r, 200, o);
}
