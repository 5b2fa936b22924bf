/*
 * emu: values: request JSON -> storage forms, storage -> f/v cells.
 */
#include <math.h>
#include <string.h>

#include "emu_int.h"
#include "ts.h"
#include "banned.h"

/* ------------------------------------------------------------------ */
/* Values: request JSON -> storage, storage -> f/v cells                */

int
emu_field_info(const cJSON *f, enum emu_type *t, int *repeated, int *required)
{
	const char *ty = util_json_str(f, "type"), *mo = util_json_str(f, "mode");

	*repeated = mo && strcasecmp(mo, "REPEATED") == 0;
	*required = mo && strcasecmp(mo, "REQUIRED") == 0;
	if (ty == NULL || emusql_type_parse(ty, t) == -1)
		return -1;
	return 0;
}

static int
scalar_text(const cJSON *v, char buf[64], const char **s)
{
	if (cJSON_IsString(v))
		*s = v->valuestring;
	else if (cJSON_IsNumber(v)) {
		if (v->valuedouble == floor(v->valuedouble) &&
		    fabs(v->valuedouble) < 9.007199254740992e15)
			snprintf(buf, 64, "%.0f", v->valuedouble);
		else
			snprintf(buf, 64, "%.17g", v->valuedouble);
		*s = buf;
	} else if (cJSON_IsBool(v))
		*s = cJSON_IsTrue(v) ? "true" : "false";
	else
		return -1;
	return 0;
}

/* A scalar request value -> storage form. */
static int
scalar_value(enum emu_type t, const cJSON *v, struct emusql_bind *b,
    char *msg, size_t msz)
{
	char buf[64];
	const char *s;
	struct bq_err err = BQ_ERR_INIT;

	if (t == EMU_T_JSON && !cJSON_IsString(v)) {
		memset(b, 0, sizeof(*b));
		b->type = t;
		b->s = cJSON_PrintUnformatted(v);
		b->len = strlen(b->s);
		return 0;
	}
	if (scalar_text(v, buf, &s) == -1) {
		snprintf(msg, msz, "This field is not a record.");
		return -1;
	}
	if (t == EMU_T_TIMESTAMP) {
		memset(b, 0, sizeof(*b));
		b->type = t;
		if (cJSON_IsNumber(v) || ts_parse(s, &b->i) == -1) {
			if (ts_parse_seconds(s, &b->i) == -1 ||
			    b->i < TS_MIN_MICROS || b->i > TS_MAX_MICROS) {
				snprintf(msg, msz, "Could not parse '%s' as a "
				    "timestamp. Required format is YYYY-MM-DD "
				    "HH:MM[:SS[.SSSSSS]] or YYYY/MM/DD "
				    "HH:MM[:SS[.SSSSSS]]", s);
				return -1;
			}
		}
		return 0;
	}
	/* STRING accepts numbers and booleans as their text, as BigQuery. */
	if (emusql_value_from_text(t, s, b, &err) == -1) {
		snprintf(msg, msz, "Cannot convert value to %s: %s",
		    emusql_type_name(t), s);
		return -1;
	}
	return 0;
}

/* Normalises a RECORD/REPEATED value into its stored JSON form. */
static cJSON *
nested_value(const cJSON *f, const cJSON *v, int in_array, int ignore,
    char *msg, size_t msz)
{
	enum emu_type t;
	int rep, req;
	cJSON *out;

	if (emu_field_info(f, &t, &rep, &req) == -1) {
		snprintf(msg, msz, "Unsupported type in schema");
		return NULL;
	}
	if (rep && !in_array) {
		const cJSON *it;

		out = cJSON_CreateArray();
		if (v == NULL || cJSON_IsNull(v))
			return out;
		if (!cJSON_IsArray(v)) {
			snprintf(msg, msz, "Array specified for non-repeated "
			    "field: %s.", util_json_str(f, "name"));
			cJSON_Delete(out);
			return NULL;
		}
		cJSON_ArrayForEach(it, v) {
			cJSON *x;

			if (cJSON_IsNull(it)) {
				snprintf(msg, msz, "Array cannot have a null "
				    "element; field: %s", util_json_str(f, "name"));
				cJSON_Delete(out);
				return NULL;
			}
			if ((x = nested_value(f, it, 1, ignore, msg, msz)) ==
			    NULL) {
				cJSON_Delete(out);
				return NULL;
			}
			cJSON_AddItemToArray(out, x);
		}
		return out;
	}
	if (v == NULL || cJSON_IsNull(v)) {
		if (req) {
			snprintf(msg, msz, "Missing required field: %s.",
			    util_json_str(f, "name"));
			return NULL;
		}
		return cJSON_CreateNull();
	}
	if (t == EMU_T_NESTED) {
		const cJSON *sub, *kv;

		if (!cJSON_IsObject(v)) {
			snprintf(msg, msz, "This field: %s is not a record.",
			    util_json_str(f, "name"));
			return NULL;
		}
		out = cJSON_CreateObject();
		cJSON_ArrayForEach(sub, emu_jget(f, "fields")) {
			const char *nm = util_json_str(sub, "name");
			cJSON *x;

			if (nm == NULL)
				continue;
			x = nested_value(sub, cJSON_GetObjectItem(v, nm), 0,
			    ignore, msg, msz);
			if (x == NULL) {
				cJSON_Delete(out);
				return NULL;
			}
			cJSON_AddItemToObject(out, nm, x);
		}
		if (!ignore)
			cJSON_ArrayForEach(kv, v)
				if (cJSON_GetObjectItem(out, kv->string) ==
				    NULL) {
					snprintf(msg, msz, "no such field: %s.",
					    kv->string);
					cJSON_Delete(out);
					return NULL;
				}
		return out;
	}
	{
		struct emusql_bind b;
		char buf[48];

		if (scalar_value(t, v, &b, msg, msz) == -1)
			return NULL;
		switch (t) {
		case EMU_T_INT64:
		case EMU_T_TIMESTAMP:
			snprintf(buf, sizeof(buf), "%lld", (long long)b.i);
			out = cJSON_CreateString(buf);
			break;
		case EMU_T_FLOAT64:
			out = isfinite(b.d) ? cJSON_CreateNumber(b.d) :
			    cJSON_CreateString(ts_format_double(b.d, buf));
			break;
		case EMU_T_BOOL:
			out = cJSON_CreateBool(b.i != 0);
			break;
		case EMU_T_BYTES: {
			struct strbuf sb = STRBUF_INIT;

			emu_b64_add(&sb, (const unsigned char *)b.s, b.len);
			out = cJSON_CreateString(sb.buf);
			strbuf_release(&sb);
			break;
		}
		default:
			out = cJSON_CreateString(b.s ? b.s : "");
			break;
		}
		free(b.s);
		return out;
	}
}

/* A top-level field's request value -> a bind; NULL v = absent. */
int
emu_row_value(const cJSON *f, const cJSON *v, int ignore, struct emusql_bind *b,
    char *msg, size_t msz)
{
	enum emu_type t;
	int rep, req;

	memset(b, 0, sizeof(*b));
	if (emu_field_info(f, &t, &rep, &req) == -1) {
		snprintf(msg, msz, "Unsupported type in schema");
		return -1;
	}
	if (rep || t == EMU_T_NESTED) {
		cJSON *x = nested_value(f, v, 0, ignore, msg, msz);

		if (x == NULL)
			return -1;
		b->type = EMU_T_JSON;
		if (cJSON_IsNull(x))
			b->is_null = 1;
		else {
			b->s = cJSON_PrintUnformatted(x);
			b->len = strlen(b->s);
		}
		cJSON_Delete(x);
		return 0;
	}
	if (v == NULL || cJSON_IsNull(v)) {
		if (req) {
			snprintf(msg, msz, "Missing required field: %s.",
			    util_json_str(f, "name"));
			return -1;
		}
		b->type = t;
		b->is_null = 1;
		return 0;
	}
	return scalar_value(t, v, b, msg, msz);
}

void
emu_bind_one(sqlite3_stmt *st, int k, const struct emusql_bind *b)
{
	if (b->is_null) {
		sqlite3_bind_null(st, k);
		return;
	}
	switch (b->type) {
	case EMU_T_INT64: case EMU_T_BOOL: case EMU_T_TIMESTAMP:
		sqlite3_bind_int64(st, k, b->i);
		break;
	case EMU_T_FLOAT64:
		/* SQLite turns a NaN into NULL: keep it as the text "NaN". */
		if (isnan(b->d))
			sqlite3_bind_text(st, k, "NaN", 3, SQLITE_STATIC);
		else
			sqlite3_bind_double(st, k, b->d);
		break;
	case EMU_T_BYTES:
		sqlite3_bind_blob(st, k, b->s ? b->s : "", (int)b->len,
		    SQLITE_TRANSIENT);
		break;
	default:
		sqlite3_bind_text(st, k, b->s ? b->s : "", (int)b->len,
		    SQLITE_TRANSIENT);
		break;
	}
}

static void
fmt_ts(struct strbuf *sb, int64_t us, int i64ts)
{
	char buf[TS_BUFSZ];

	if (i64ts)
		strbuf_addf(sb, "\"%lld\"", (long long)us);
	else
		strbuf_addf(sb, "\"%s\"", ts_format_seconds(us, buf));
}

static void
fv_value(struct strbuf *sb, const cJSON *v, const cJSON *f, int in_array,
    int i64ts)
{
	enum emu_type t = EMU_T_STRING;
	int rep = 0, req = 0;
	char buf[48];

	emu_field_info(f, &t, &rep, &req);
	if (rep && !in_array) {
		const cJSON *it;
		int first = 1;

		strbuf_addch(sb, '[');
		cJSON_ArrayForEach(it, v) {
			strbuf_adds(sb, first ? "{\"v\":" : ",{\"v\":");
			fv_value(sb, it, f, 1, i64ts);
			strbuf_addch(sb, '}');
			first = 0;
		}
		strbuf_addch(sb, ']');
		return;
	}
	if (v == NULL || cJSON_IsNull(v)) {
		strbuf_adds(sb, "null");
		return;
	}
	if (t == EMU_T_NESTED) {
		const cJSON *sub;
		int first = 1;

		strbuf_adds(sb, "{\"f\":[");
		cJSON_ArrayForEach(sub, emu_jget(f, "fields")) {
			strbuf_adds(sb, first ? "{\"v\":" : ",{\"v\":");
			fv_value(sb, cJSON_GetObjectItem(v, util_json_str(sub, "name")),
			    sub, 0, i64ts);
			strbuf_addch(sb, '}');
			first = 0;
		}
		strbuf_adds(sb, "]}");
		return;
	}
	if (t == EMU_T_TIMESTAMP && cJSON_IsString(v)) {
		fmt_ts(sb, strtoll(v->valuestring, NULL, 10), i64ts);
		return;
	}
	if (cJSON_IsNumber(v)) {
		strbuf_addf(sb, "\"%s\"", ts_format_double(v->valuedouble,
		    buf));
		return;
	}
	if (cJSON_IsBool(v)) {
		strbuf_adds(sb, cJSON_IsTrue(v) ? "\"true\"" : "\"false\"");
		return;
	}
	if (cJSON_IsString(v)) {
		strbuf_add_json_string(sb, v->valuestring,
		    strlen(v->valuestring));
		return;
	}
	strbuf_adds(sb, "null");
}

/* Appends column i of st as a {"v":...} cell. */
static void
write_cell(struct strbuf *sb, sqlite3_stmt *st, int i, enum emu_type t,
    const cJSON *field, int i64ts)
{
	char buf[48];

	strbuf_adds(sb, "{\"v\":");
	if (sqlite3_column_type(st, i) == SQLITE_NULL) {
		strbuf_adds(sb, "null}");
		return;
	}
	switch (t) {
	case EMU_T_NULL:
	case EMU_T_INT64:
		strbuf_addf(sb, "\"%lld\"", (long long)sqlite3_column_int64(st,
		    i));
		break;
	case EMU_T_FLOAT64:
		if (sqlite3_column_type(st, i) == SQLITE_TEXT)
			strbuf_adds(sb, "\"NaN\"");
		else
			strbuf_addf(sb, "\"%s\"", ts_format_double(
			    sqlite3_column_double(st, i), buf));
		break;
	case EMU_T_BOOL:
		strbuf_adds(sb, sqlite3_column_int64(st, i) ? "\"true\"" :
		    "\"false\"");
		break;
	case EMU_T_TIMESTAMP:
		fmt_ts(sb, sqlite3_column_int64(st, i), i64ts);
		break;
	case EMU_T_BYTES: {
		const void *p = sqlite3_column_blob(st, i);
		int n = sqlite3_column_bytes(st, i);

		strbuf_addch(sb, '"');
		emu_b64_add(sb, p ? p : "", (size_t)n);
		strbuf_addch(sb, '"');
		break;
	}
	case EMU_T_NESTED: {
		cJSON *v = cJSON_Parse((const char *)sqlite3_column_text(st,
		    i));

		fv_value(sb, v, field, 0, i64ts);
		cJSON_Delete(v);
		break;
	}
	default: {
		const char *s = (const char *)sqlite3_column_text(st, i);

		strbuf_add_json_string(sb, s, (size_t)sqlite3_column_bytes(st,
		    i));
		break;
	}
	}
	strbuf_addch(sb, '}');
}

void
emu_coltypes_from_fields(const cJSON *fields, struct coltypes *ct)
{
	const cJSON *f;
	int n = cJSON_GetArraySize(fields), k = 0;

	ct->t = xcalloc((size_t)n + 1, sizeof(*ct->t));
	ct->f = xcalloc((size_t)n + 1, sizeof(*ct->f));
	cJSON_ArrayForEach(f, fields) {
		enum emu_type t = EMU_T_STRING;
		int rep, req;

		emu_field_info(f, &t, &rep, &req);
		ct->t[k] = rep ? EMU_T_NESTED : t;
		ct->f[k] = f;
		k++;
	}
	ct->n = k;
}

void
emu_coltypes_release(struct coltypes *ct)
{
	free(ct->t);
	free(ct->f);
}

/*
 * Steps st (column 0 = rowid, then the fields) and appends up to max rows
 * (max < 0: no count limit) as "[{"f":[...]},...]".  Returns 1 if rows
 * remain, 0 if not, -1 on SQLite errors.
 */
int
emu_write_rows(sqlite3_stmt *st, const struct coltypes *ct, int i64ts, long max,
    struct strbuf *rows, long *count, int64_t *last_rowid)
{
	int rc, i;

	*count = 0;
	strbuf_addch(rows, '[');
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((max >= 0 && *count >= max) ||
		    (*count > 0 && rows->len > PAGE_BYTES)) {
			strbuf_addch(rows, ']');
			return 1;
		}
		strbuf_adds(rows, *count ? ",{\"f\":[" : "{\"f\":[");
		for (i = 0; i < ct->n; i++) {
			if (i)
				strbuf_addch(rows, ',');
			write_cell(rows, st, i + 1, ct->t[i], ct->f[i], i64ts);
		}
		strbuf_adds(rows, "]}");
		*last_rowid = sqlite3_column_int64(st, 0);
		(*count)++;
	}
	strbuf_addch(rows, ']');
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Prints o and splices "rows" (if any rows) into it. */
void
emu_resp_with_rows(struct resp *r, cJSON *o, const struct strbuf *rows,
    long count)
{
	char *s = cJSON_PrintUnformatted(o);
	size_t n = strlen(s);

	cJSON_Delete(o);
	r->status = 200;
	r->ctype = "application/json; charset=UTF-8";
	strbuf_reset(&r->body);
	if (count > 0 && n >= 2) {
		strbuf_add(&r->body, s, n - 1);
		strbuf_adds(&r->body, ",\"rows\":");
		strbuf_add(&r->body, rows->buf, rows->len);
		strbuf_addch(&r->body, '}');
	} else
		strbuf_add(&r->body, s, n);
	free(s);
}

char *
emu_make_token(int64_t off)
{
	return xstrfmt("BQEMU%llx", (unsigned long long)off * 2654435761u ^
	    0x5bd1e995u);
}

int
emu_parse_token(const char *tok, int64_t *off)
{
	unsigned long long v;
	char *end;

	if (strncmp(tok, "BQEMU", 5) != 0)
		return -1;
	v = strtoull(tok + 5, &end, 16);
	if (*end || end == tok + 5)
		return -1;
	v ^= 0x5bd1e995u;
	if (v % 2654435761u)
		return -1;
	*off = (int64_t)(v / 2654435761u);
	return 0;
}
