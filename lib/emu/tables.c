/*
 * emu: the tables API: schemas, tables.insert/get/list/patch/delete,
 * tabledata.list and insertAll.
 */
#include <ctype.h>
#include <string.h>

#include "emu_int.h"
#include "banned.h"

/* ------------------------------------------------------------------ */
/* Tables                                                               */

/* Checks a schema "fields" array; adds mode NULLABLE where absent. */
static int
check_fields(cJSON *fields, char *msg, size_t msz)
{
	cJSON *f, *g;

	if (!cJSON_IsArray(fields)) {
		snprintf(msg, msz, "Schema has no fields.");
		return -1;
	}
	cJSON_ArrayForEach(f, fields) {
		const char *nm = util_json_str(f, "name"), *ty = util_json_str(f, "type");
		enum emu_type t;
		const char *q;

		if (nm == NULL || !(isalpha((unsigned char)*nm) || *nm == '_')) {
			snprintf(msg, msz, "Invalid field name \"%s\".",
			    nm ? nm : "");
			return -1;
		}
		for (q = nm; *q; q++)
			if (!isalnum((unsigned char)*q) && *q != '_') {
				snprintf(msg, msz, "Invalid field name "
				    "\"%s\".", nm);
				return -1;
			}
		if (ty == NULL || emusql_type_parse(ty, &t) == -1) {
			snprintf(msg, msz, "Invalid value for type: %s is not "
			    "a valid value (bq-emulator)", ty ? ty : "(none)");
			return -1;
		}
		for (g = fields->child; g != f; g = g->next)
			if (strcasecmp(util_json_str(g, "name"), nm) == 0) {
				snprintf(msg, msz, "Field %s already exists in "
				    "schema", nm);
				return -1;
			}
		if (util_json_str(f, "mode") == NULL) {
			cJSON_DeleteItemFromObjectCaseSensitive(f, "mode");
			cJSON_AddStringToObject(f, "mode", "NULLABLE");
		}
		if (t == EMU_T_NESTED &&
		    check_fields(cJSON_GetObjectItem(f, "fields"), msg, msz) ==
		    -1)
			return -1;
	}
	return 0;
}

static const char *
storage_decl(const cJSON *f)
{
	enum emu_type t = EMU_T_STRING;
	int rep = 0, req = 0;

	emu_field_info(f, &t, &rep, &req);
	if (rep)
		return "TEXT";
	switch (t) {
	case EMU_T_INT64: case EMU_T_BOOL: case EMU_T_TIMESTAMP:
		return "INTEGER";
	case EMU_T_FLOAT64:
		return "REAL";
	case EMU_T_BYTES:
		return "BLOB";
	default:
		return "TEXT";
	}
}

/* Creates table p.d.t from a tables.insert-shaped body; meta to *out. */
int
emu_table_create(struct call *c, const char *p, const char *d, const char *t,
    const cJSON *body, cJSON **out)
{
	cJSON *m = NULL, *ds = NULL, *fields, *f, *ref;
	char msg[256], *sqlname = NULL, *id = NULL, *self = NULL;
	struct strbuf sb = STRBUF_INIT;
	int rc = -1, k = 0;

	if (!emu_valid_id(t, 0))
		return emu_bad_request(c->r, "Invalid table ID");
	if ((ds = emu_dataset_meta(c->e, p, d)) == NULL)
		return emu_resp_error(c->r, 404, "notFound", "Not found: Dataset "
		    "%s:%s", p, d);
	if ((m = emu_table_meta(c->e, p, d, t, NULL)) != NULL) {
		emu_resp_error(c->r, 409, "duplicate", "Already Exists: Table "
		    "%s:%s.%s", p, d, t);
		goto out;
	}
	if (emu_jget(body, "view") || emu_jget(body, "materializedView") ||
	    emu_jget(body, "externalDataConfiguration")) {
		emu_resp_error(c->r, 501, "notImplemented", "Views and external "
		    "tables are not supported by bq-emulator");
		goto out;
	}
	m = cJSON_Duplicate(body, 1);
	if (emu_jget(m, "schema") == NULL) {
		cJSON_DeleteItemFromObjectCaseSensitive(m, "schema");
		cJSON_AddItemToObject(cJSON_AddObjectToObject(m, "schema"),
		    "fields", cJSON_CreateArray());
	}
	fields = cJSON_GetObjectItem(emu_jget(m, "schema"), "fields");
	if (fields == NULL)
		fields = cJSON_AddArrayToObject(cJSON_GetObjectItem(m,
		    "schema"), "fields");
	if (check_fields(fields, msg, sizeof(msg)) == -1) {
		emu_bad_request(c->r, msg);
		goto out;
	}
	static const char *ro[] = { "numRows", "numBytes", "tableReference",
	    "creationTime", "lastModifiedTime", "location", "type",
	    "numLongTermBytes", "streamingBuffer" };
	for (size_t i = 0; i < sizeof(ro) / sizeof(ro[0]); i++)
		cJSON_DeleteItemFromObjectCaseSensitive(m, ro[i]);
	ref = cJSON_AddObjectToObject(m, "tableReference");
	cJSON_AddStringToObject(ref, "projectId", p);
	cJSON_AddStringToObject(ref, "datasetId", d);
	cJSON_AddStringToObject(ref, "tableId", t);
	id = xstrfmt("%s:%s.%s", p, d, t);
	self = xstrfmt("http://%s:%d/bigquery/v2/projects/%s/datasets/%s/"
	    "tables/%s", c->e->host, c->e->port, p, d, t);
	emu_stamp(m, "bigquery#table", id, self);
	emu_add_i64(m, "creationTime", emu_now_ms());
	emu_add_i64(m, "lastModifiedTime", emu_now_ms());
	cJSON_AddStringToObject(m, "location", util_json_str(ds, "location") ?
	    util_json_str(ds, "location") : "US");
	cJSON_AddStringToObject(m, "type", "TABLE");
	sqlname = emu_sql_name(p, d, t);
	strbuf_adds(&sb, "CREATE TABLE ");
	emusql_add_quoted(&sb, sqlname);
	strbuf_adds(&sb, " (");
	cJSON_ArrayForEach(f, fields) {
		if (k++)
			strbuf_adds(&sb, ", ");
		emusql_add_quoted(&sb, util_json_str(f, "name"));
		strbuf_addf(&sb, " %s", storage_decl(f));
	}
	if (k == 0)
		strbuf_adds(&sb, "_emu_dummy INTEGER");
	strbuf_adds(&sb, ")");
	if (emu_exec(c->e, sb.buf) == -1) {
		emu_resp_error(c->r, 500, "internalError", "cannot create table");
		goto out;
	}
	/* Index the partitioning and clustering columns, as pruning would. */
	{
		const char *pf = util_json_str(emu_jget(m, "timePartitioning"), "field");
		const cJSON *cl = emu_jget(emu_jget(m, "clustering"), "fields"), *it;
		int n = 0;

		if (pf) {
			strbuf_reset(&sb);
			strbuf_addf(&sb, "CREATE INDEX \"%s#%d\" ON ", sqlname,
			    n++);
			emusql_add_quoted(&sb, sqlname);
			strbuf_addch(&sb, '(');
			emusql_add_quoted(&sb, pf);
			strbuf_addch(&sb, ')');
			emu_exec(c->e, sb.buf);
		}
		cJSON_ArrayForEach(it, cl) {
			if (!cJSON_IsString(it))
				continue;
			strbuf_reset(&sb);
			strbuf_addf(&sb, "CREATE INDEX \"%s#%d\" ON ", sqlname,
			    n++);
			emusql_add_quoted(&sb, sqlname);
			strbuf_addch(&sb, '(');
			emusql_add_quoted(&sb, it->valuestring);
			strbuf_addch(&sb, ')');
			emu_exec(c->e, sb.buf);
		}
	}
	if (emu_save_meta(c->e, "INSERT INTO _emu_tables(project, dataset, tbl, "
	    "sqlname, meta) VALUES (?, ?, ?, ?, ?)", p, d, t, sqlname, m) ==
	    -1) {
		emu_resp_error(c->r, 500, "internalError", "cannot store table");
		goto out;
	}
	*out = m;
	m = NULL;
	rc = 0;
out:
	strbuf_release(&sb);
	free(sqlname);
	free(id);
	free(self);
	cJSON_Delete(m);
	cJSON_Delete(ds);
	return rc;
}

/* numRows, and numBytes: every column's logical size (BigQuery's). */
static void
add_live_stats(struct emu *e, cJSON *m, const char *sqlname)
{
	int64_t n = emu_count_rows(e, sqlname);
	int64_t b = emu_scan_bytes(e, sqlname, NULL, m);

	cJSON_DeleteItemFromObjectCaseSensitive(m, "numRows");
	cJSON_DeleteItemFromObjectCaseSensitive(m, "numBytes");
	emu_add_i64(m, "numRows", n);
	emu_add_i64(m, "numBytes", b);
}

void
emu_h_table_insert(struct call *c, const char *p, const char *d)
{
	cJSON *body = emu_parse_body(c), *m = NULL;
	const char *t;

	if (body == NULL) {
		emu_bad_request(c->r, "Invalid JSON payload received.");
		return;
	}
	t = util_json_str(emu_jget(body, "tableReference"), "tableId");
	if (emu_table_create(c, p, d, t, body, &m) == 0) {
		emu_add_i64(m, "numRows", 0);
		emu_add_i64(m, "numBytes", 0);
		emu_resp_json(c->r, 200, m);
	}
	cJSON_Delete(body);
}

void
emu_h_table_list(struct call *c, const char *p, const char *d)
{
	sqlite3_stmt *st = NULL;
	cJSON *o, *arr, *ds;
	int n = 0;

	if ((ds = emu_dataset_meta(c->e, p, d)) == NULL) {
		emu_resp_error(c->r, 404, "notFound", "Not found: Dataset %s:%s", p,
		    d);
		return;
	}
	cJSON_Delete(ds);
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "kind", "bigquery#tableList");
	cJSON_AddStringToObject(o, "etag", "emu");
	arr = cJSON_AddArrayToObject(o, "tables");
	if (sqlite3_prepare_v2(c->e->db, "SELECT meta FROM _emu_tables WHERE "
	    "project = ? AND dataset = ? ORDER BY tbl", -1, &st, NULL) ==
	    SQLITE_OK) {
		sqlite3_bind_text(st, 1, p, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, d, -1, SQLITE_STATIC);
		while (sqlite3_step(st) == SQLITE_ROW) {
			cJSON *m = cJSON_Parse((const char *)
			    sqlite3_column_text(st, 0)), *it;
			static const char *keep[] = { "kind", "id",
			    "tableReference", "type", "timePartitioning",
			    "clustering", "creationTime", "labels" };

			it = cJSON_CreateObject();
			for (size_t i = 0; i < sizeof(keep) / sizeof(keep[0]);
			    i++)
				if (emu_jget(m, keep[i]))
					cJSON_AddItemToObject(it, keep[i],
					    cJSON_Duplicate(emu_jget(m, keep[i]),
					    1));
			cJSON_AddItemToArray(arr, it);
			cJSON_Delete(m);
			n++;
		}
	}
	sqlite3_finalize(st);
	cJSON_AddNumberToObject(o, "totalItems", n);
	emu_resp_json(c->r, 200, o);
}

void
emu_h_table(struct call *c, const char *p, const char *d, const char *t)
{
	char *sqlname = NULL;
	cJSON *m = emu_table_meta(c->e, p, d, t, &sqlname);

	if (m == NULL) {
		emu_resp_error(c->r, 404, "notFound", "Not found: Table %s:%s.%s",
		    p, d, t);
		return;
	}
	if (strcmp(c->method, "GET") == 0) {
		add_live_stats(c->e, m, sqlname);
		emu_resp_json(c->r, 200, m);
		m = NULL;
	} else if (strcmp(c->method, "DELETE") == 0) {
		emu_drop_table(c->e, sqlname);
		c->r->status = 204;
		strbuf_reset(&c->r->body);
	} else if (strcmp(c->method, "PATCH") == 0 ||
	    strcmp(c->method, "PUT") == 0) {
		cJSON *body = emu_parse_body(c), *kv, *nf, *of, *f;
		char msg[256];

		if (body == NULL) {
			emu_bad_request(c->r, "Invalid JSON payload received.");
			goto out;
		}
		nf = cJSON_GetObjectItem(emu_jget(body, "schema"), "fields");
		of = cJSON_GetObjectItem(emu_jget(m, "schema"), "fields");
		if (nf) {
			if (check_fields(nf, msg, sizeof(msg)) == -1) {
				emu_bad_request(c->r, msg);
				cJSON_Delete(body);
				goto out;
			}
			/* Only new NULLABLE/REPEATED columns may be added. */
			cJSON_ArrayForEach(f, nf) {
				const cJSON *g;
				int found = 0;
				struct strbuf sb = STRBUF_INIT;

				cJSON_ArrayForEach(g, of)
					if (strcasecmp(util_json_str(g, "name"),
					    util_json_str(f, "name")) == 0)
						found = 1;
				if (found)
					continue;
				strbuf_adds(&sb, "ALTER TABLE ");
				emusql_add_quoted(&sb, sqlname);
				strbuf_adds(&sb, " ADD COLUMN ");
				emusql_add_quoted(&sb, util_json_str(f, "name"));
				strbuf_addf(&sb, " %s", storage_decl(f));
				emu_exec(c->e, sb.buf);
				strbuf_release(&sb);
				cJSON_AddItemToArray(of, cJSON_Duplicate(f,
				    1));
			}
		}
		cJSON_ArrayForEach(kv, body)
			if (strcmp(kv->string, "description") == 0 ||
			    strcmp(kv->string, "labels") == 0 ||
			    strcmp(kv->string, "friendlyName") == 0 ||
			    strcmp(kv->string, "expirationTime") == 0)
				emu_set_item(m, kv);
		cJSON_Delete(body);
		cJSON_DeleteItemFromObjectCaseSensitive(m, "lastModifiedTime");
		emu_add_i64(m, "lastModifiedTime", emu_now_ms());
		emu_save_meta(c->e, "UPDATE _emu_tables SET meta = ?4 WHERE "
		    "project = ?1 AND dataset = ?2 AND tbl = ?3", p, d, t, NULL,
		    m);
		add_live_stats(c->e, m, sqlname);
		emu_resp_json(c->r, 200, m);
		m = NULL;
	} else
		emu_resp_error(c->r, 405, "badRequest", "Method not allowed");
out:
	cJSON_Delete(m);
	free(sqlname);
}

void
emu_h_tabledata(struct call *c, const char *p, const char *d, const char *t)
{
	char *sqlname = NULL, *tok;
	cJSON *m = emu_table_meta(c->e, p, d, t, &sqlname), *o, *fields = NULL;
	const cJSON *f;
	struct strbuf sql = STRBUF_INIT, rows = STRBUF_INIT;
	struct coltypes ct;
	sqlite3_stmt *st = NULL;
	const char *pt = emu_arg(c, "pageToken"), *si = emu_arg(c, "startIndex");
	const char *mr = emu_arg(c, "maxResults"), *sel = emu_arg(c, "selectedFields");
	int64_t after = 0, start = 0, last = 0;
	long max = mr ? strtol(mr, NULL, 10) : 100000, count = 0;
	int more, k = 0;

	memset(&ct, 0, sizeof(ct));
	if (m == NULL) {
		emu_resp_error(c->r, 404, "notFound", "Not found: Table %s:%s.%s",
		    p, d, t);
		return;
	}
	if (max < 0 || max > 100000)
		max = 100000;
	if (pt && *pt && emu_parse_token(pt, &after) == -1) {
		emu_bad_request(c->r, "Invalid page token");
		goto out;
	}
	if (si && (!pt || !*pt))
		start = strtoll(si, NULL, 10);
	fields = cJSON_CreateArray();
	cJSON_ArrayForEach(f, emu_jget(emu_jget(m, "schema"), "fields")) {
		if (sel) {
			const char *q = strstr(sel, util_json_str(f, "name"));
			size_t n = strlen(util_json_str(f, "name"));

			while (q && !((q == sel || q[-1] == ',') &&
			    (q[n] == ',' || q[n] == '\0')))
				q = strstr(q + 1, util_json_str(f, "name"));
			if (q == NULL)
				continue;
		}
		cJSON_AddItemToArray(fields, cJSON_Duplicate(f, 1));
	}
	emu_coltypes_from_fields(fields, &ct);
	strbuf_adds(&sql, "SELECT rowid");
	cJSON_ArrayForEach(f, fields) {
		strbuf_adds(&sql, ", ");
		emusql_add_quoted(&sql, util_json_str(f, "name"));
		k++;
	}
	strbuf_adds(&sql, " FROM ");
	emusql_add_quoted(&sql, sqlname);
	strbuf_addf(&sql, " WHERE rowid > %lld ORDER BY rowid LIMIT -1 "
	    "OFFSET %lld", (long long)after, (long long)start);
	if (sqlite3_prepare_v2(c->e->db, sql.buf, -1, &st, NULL) != SQLITE_OK) {
		emu_resp_error(c->r, 500, "internalError", "%s",
		    sqlite3_errmsg(c->e->db));
		goto out;
	}
	more = emu_write_rows(st, &ct, emu_arg_bool(c, "formatOptions.useInt64Timestamp"),
	    max, &rows, &count, &last);
	if (more == -1) {
		emu_resp_error(c->r, 500, "internalError", "%s",
		    sqlite3_errmsg(c->e->db));
		goto out;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "kind", "bigquery#tableDataList");
	cJSON_AddStringToObject(o, "etag", "emu");
	emu_add_i64(o, "totalRows", emu_count_rows(c->e, sqlname));
	if (more) {
		tok = emu_make_token(last);
		cJSON_AddStringToObject(o, "pageToken", tok);
		free(tok);
	}
	emu_resp_with_rows(c->r, o, &rows, count);
out:
	sqlite3_finalize(st);
	emu_coltypes_release(&ct);
	cJSON_Delete(fields);
	cJSON_Delete(m);
	free(sqlname);
	strbuf_release(&sql);
	strbuf_release(&rows);
}

/*
 * Validates one row against fields into binds (one per field).  Returns
 * 0, or -1 with msg and the offending field name in loc.
 */
int
emu_row_binds(const cJSON *fields, const cJSON *row, int ignore,
    struct emusql_bind *b, char *msg, size_t msz, const char **loc)
{
	const cJSON *f, *kv;
	int k = 0, i;

	if (!cJSON_IsObject(row)) {
		snprintf(msg, msz, "Row is not a JSON object.");
		*loc = "";
		return -1;
	}
	cJSON_ArrayForEach(f, fields) {
		const cJSON *v = NULL;

		cJSON_ArrayForEach(kv, row)
			if (strcasecmp(kv->string, util_json_str(f, "name")) == 0)
				v = kv;
		if (emu_row_value(f, v, ignore, &b[k], msg, msz) == -1) {
			*loc = util_json_str(f, "name");
			for (i = 0; i < k; i++) {
				free(b[i].s);
				b[i].s = NULL;
			}
			return -1;
		}
		k++;
	}
	if (!ignore)
		cJSON_ArrayForEach(kv, row) {
			int found = 0;

			cJSON_ArrayForEach(f, fields)
				if (strcasecmp(kv->string, util_json_str(f, "name")) == 0)
					found = 1;
			if (!found) {
				snprintf(msg, msz, "no such field: %s.",
				    kv->string);
				*loc = kv->string;
				for (i = 0; i < k; i++) {
					free(b[i].s);
					b[i].s = NULL;
				}
				return -1;
			}
		}
	return 0;
}

sqlite3_stmt *
emu_insert_stmt(struct emu *e, const char *sqlname, const cJSON *fields)
{
	struct strbuf sb = STRBUF_INIT;
	const cJSON *f;
	sqlite3_stmt *st = NULL;
	int k = 0;

	strbuf_adds(&sb, "INSERT INTO ");
	emusql_add_quoted(&sb, sqlname);
	strbuf_adds(&sb, " (");
	cJSON_ArrayForEach(f, fields) {
		if (k++)
			strbuf_adds(&sb, ", ");
		emusql_add_quoted(&sb, util_json_str(f, "name"));
	}
	strbuf_adds(&sb, ") VALUES (");
	for (int i = 0; i < k; i++)
		strbuf_adds(&sb, i ? ", ?" : "?");
	strbuf_adds(&sb, ")");
	if (k == 0 || sqlite3_prepare_v2(e->db, sb.buf, -1, &st, NULL) !=
	    SQLITE_OK)
		st = NULL;
	strbuf_release(&sb);
	return st;
}

int
emu_insert_binds(sqlite3_stmt *st, struct emusql_bind *b, int n)
{
	int i, rc;

	sqlite3_reset(st);
	for (i = 0; i < n; i++) {
		emu_bind_one(st, i + 1, &b[i]);
		free(b[i].s);
		b[i].s = NULL;
	}
	rc = sqlite3_step(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

void
emu_h_insert_all(struct call *c, const char *p, const char *d, const char *t)
{
	char *sqlname = NULL;
	cJSON *m = emu_table_meta(c->e, p, d, t, &sqlname), *body = NULL, *o;
	cJSON *errs = NULL;
	const cJSON *fields, *rows, *row;
	int skip, ignore, nf, i = 0, nbad = 0, nrows;
	struct emusql_bind *b = NULL;
	char *ok = NULL;
	sqlite3_stmt *st = NULL;

	if (m == NULL) {
		emu_resp_error(c->r, 404, "notFound", "Not found: Table %s:%s.%s",
		    p, d, t);
		return;
	}
	if ((body = emu_parse_body(c)) == NULL) {
		emu_bad_request(c->r, "Invalid JSON payload received.");
		goto out;
	}
	if (util_json_str(body, "templateSuffix")) {
		emu_resp_error(c->r, 501, "notImplemented", "templateSuffix is not "
		    "supported by bq-emulator");
		goto out;
	}
	rows = emu_jget(body, "rows");
	nrows = cJSON_GetArraySize(rows);
	if (nrows > 50000) {
		emu_bad_request(c->r, "too many rows present in the request, "
		    "limit: 50000 row count: more");
		goto out;
	}
	if (nrows == 0) {
		emu_bad_request(c->r, "No rows present in the request.");
		goto out;
	}
	skip = emu_jbool(body, "skipInvalidRows");
	ignore = emu_jbool(body, "ignoreUnknownValues");
	fields = emu_jget(emu_jget(m, "schema"), "fields");
	nf = cJSON_GetArraySize(fields);
	b = xcalloc((size_t)nrows * (size_t)(nf + 1), sizeof(*b));
	ok = xcalloc((size_t)nrows, 1);
	errs = cJSON_CreateArray();
	cJSON_ArrayForEach(row, rows) {
		char msg[256];
		const char *loc = "";

		if (emu_row_binds(fields, emu_jget(row, "json"), ignore,
		    &b[(size_t)i * (size_t)nf], msg, sizeof(msg), &loc) == 0)
			ok[i] = 1;
		else {
			cJSON *e1 = cJSON_CreateObject(), *ea, *ep;

			cJSON_AddNumberToObject(e1, "index", i);
			ea = cJSON_AddArrayToObject(e1, "errors");
			ep = cJSON_CreateObject();
			cJSON_AddStringToObject(ep, "reason", "invalid");
			cJSON_AddStringToObject(ep, "location", loc);
			cJSON_AddStringToObject(ep, "debugInfo", "");
			cJSON_AddStringToObject(ep, "message", msg);
			cJSON_AddItemToArray(ea, ep);
			cJSON_AddItemToArray(errs, e1);
			nbad++;
		}
		i++;
	}
	if (nbad && !skip) {
		/* Nothing is inserted; valid rows are reported "stopped". */
		for (i = 0; i < nrows; i++) {
			cJSON *e1, *ea, *ep;

			if (!ok[i])
				continue;
			e1 = cJSON_CreateObject();
			cJSON_AddNumberToObject(e1, "index", i);
			ea = cJSON_AddArrayToObject(e1, "errors");
			ep = cJSON_CreateObject();
			cJSON_AddStringToObject(ep, "reason", "stopped");
			cJSON_AddStringToObject(ep, "location", "");
			cJSON_AddStringToObject(ep, "debugInfo", "");
			cJSON_AddStringToObject(ep, "message", "");
			cJSON_AddItemToArray(ea, ep);
			cJSON_AddItemToArray(errs, e1);
		}
	} else if (nrows > nbad) {
		if ((st = emu_insert_stmt(c->e, sqlname, fields)) == NULL) {
			emu_resp_error(c->r, 500, "internalError", "%s",
			    sqlite3_errmsg(c->e->db));
			goto out;
		}
		emu_exec(c->e, "BEGIN");
		for (i = 0; i < nrows; i++)
			if (ok[i] && emu_insert_binds(st, &b[(size_t)i *
			    (size_t)nf], nf) == -1) {
				emu_exec(c->e, "ROLLBACK");
				emu_resp_error(c->r, 500, "internalError", "%s",
				    sqlite3_errmsg(c->e->db));
				goto out;
			}
		emu_exec(c->e, "COMMIT");
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "kind",
	    "bigquery#tableDataInsertAllResponse");
	if (cJSON_GetArraySize(errs) > 0) {
		cJSON_AddItemToObject(o, "insertErrors", errs);
		errs = NULL;
	}
	emu_resp_json(c->r, 200, o);
out:
	if (b)
		for (i = 0; i < nrows * nf; i++)
			free(b[i].s);
	sqlite3_finalize(st);
	free(b);
	free(ok);
	cJSON_Delete(errs);
	cJSON_Delete(body);
	cJSON_Delete(m);
	free(sqlname);
}
