/*
 * emu: bq-emulator's REST server (see emu.h).
 *
 * Layout of the SQLite database: _emu_datasets and _emu_tables hold the
 * resources as JSON (what tables.get returns, schema included); each
 * BigQuery table is a SQLite table named "project.dataset.table" with one
 * column per top-level field, in emusql.h's storage forms.  Query results
 * go to res."r_N" in an attached temporary database and are paged by rowid.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <sqlite3.h>

#include "emu.h"
#include "emusql.h"
#include "ts.h"
#include "util.h"
#include "banned.h"

#define MAX_BODY	(512u << 20)	/* request body limit */
#define PAGE_BYTES	(10u << 20)	/* response page limit, as BigQuery */
#define KEEP_RESULTS	64		/* materialised results kept */
#define MAX_KEYS	8

struct fault {
	char	*path;		/* substring of the URL, or NULL = any */
	char	*method;	/* or NULL = any */
	int	 status;	/* HTTP error to answer, or 0 */
	char	*reason;	/* error reason, or NULL = by status */
	long	 delay_ms;
	int	 incomplete;	/* jobComplete:false polls for new jobs */
	long	 job_delay_ms;	/* new jobs finish this much later */
	int	 truncate;
	int	 expire_tokens;
	int	 count;		/* matches left; -1 = forever */
};

struct job {
	char	*project, *id, *location;
	char	*request_id;
	cJSON	*config;	/* "configuration" as the client sent it */
	char	 type[8];	/* QUERY or LOAD */
	int64_t	 created, ended;	/* ms */
	double	 ready_at;	/* monotonic seconds */
	int	 incomplete;
	int	 http;		/* 0, or the error the job failed with */
	char	 reason[32];
	char	*msg;
	cJSON	*errors;	/* extra ErrorProtos (loads) or NULL */
	long	 result;	/* res."r_N", or 0 */
	int64_t	 nrows;
	cJSON	*schema;	/* {"fields":[...]} or NULL */
	int	 dml;
	int64_t	 affected;
	int64_t	 bytes;
	int	 dry_run;
	cJSON	*load_stats;
};

/* A resumable upload in progress (bq load). */
struct upload {
	char		*id;
	char		*project;
	cJSON		*job;
	struct strbuf	 data;
};

struct emu {
	struct MHD_Daemon *d;
	sqlite3		*db;
	pthread_mutex_t	 mu;
	int		 port;
	char		*host;
	char		*project;
	char		*discovery;
	long		 latency_ms;
	struct fault	*faults;
	size_t		 nfaults;
	struct job	**jobs;
	size_t		 njobs;
	struct upload	*uploads;
	size_t		 nuploads;
	long		 next_result;
	long		 results[KEEP_RESULTS];
	size_t		 nresults;
	uint64_t	 seq;
	EVP_PKEY	*keys[MAX_KEYS];
	int		 nkeys;
	cJSON		*token_user;
	char		**tokens;	/* issued access tokens */
	double		*token_exp;
	size_t		 ntokens;
	int		 auth;		/* API calls need a token */
};

/* One HTTP answer under construction. */
struct resp {
	int	 status;
	struct strbuf body;
	const char *ctype;
	char	*location;	/* Location header, or NULL */
	char	*range;		/* Range header (308), or NULL */
};

struct req {
	struct strbuf body;
	int	 too_big;
};

/* What a handler sees of the request. */
struct call {
	struct emu	*e;
	struct MHD_Connection *conn;
	const char	*method;
	char		*seg[10];
	int		 nseg;
	int		 upload;
	const char	*body;
	size_t		 blen;
	struct resp	*r;
};

static const char *
arg(struct call *c, const char *name)
{
	return MHD_lookup_connection_value(c->conn, MHD_GET_ARGUMENT_KIND,
	    name);
}

static int
arg_bool(struct call *c, const char *name)
{
	const char *v = arg(c, name);

	return v && (strcasecmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

static int64_t
now_ms(void)
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

static void
resp_json(struct resp *r, int status, cJSON *j)
{
	char *s = cJSON_PrintUnformatted(j);

	r->status = status;
	strbuf_reset(&r->body);
	strbuf_adds(&r->body, s);
	free(s);
	cJSON_Delete(j);
	r->ctype = "application/json; charset=UTF-8";
}

static cJSON *
error_proto(const char *reason, const char *msg)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "message", msg);
	cJSON_AddStringToObject(o, "domain", "global");
	cJSON_AddStringToObject(o, "reason", reason);
	return o;
}

static int resp_error(struct resp *, int, const char *, const char *, ...)
    __attribute__((format(printf, 4, 5)));

/* BigQuery's error envelope; returns -1 for "return resp_error(...)". */
static int
resp_error(struct resp *r, int code, const char *reason, const char *fmt, ...)
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
	cJSON_AddItemToArray(errs, error_proto(reason, msg));
	cJSON_AddStringToObject(e, "status", status_name(code));
	resp_json(r, code, o);
	return -1;
}

static int
bad_request(struct resp *r, const char *msg)
{
	return resp_error(r, 400, "invalid", "%s", msg);
}

/* ------------------------------------------------------------------ */
/* Utilities                                                            */

char *
emu_quote_long_numbers(const char *s, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i = 0, st;
	int in_str = 0;

	strbuf_init(&sb, n + 16);
	while (i < n) {
		char c = s[i];

		if (in_str) {
			strbuf_addch(&sb, c);
			if (c == '\\' && i + 1 < n) {
				strbuf_addch(&sb, s[i + 1]);
				i += 2;
				continue;
			}
			if (c == '"')
				in_str = 0;
			i++;
			continue;
		}
		if (c == '"') {
			in_str = 1;
			strbuf_addch(&sb, c);
			i++;
			continue;
		}
		if (c == '-' || isdigit((unsigned char)c)) {
			st = i;
			while (i < n && (isdigit((unsigned char)s[i]) ||
			    strchr("-+.eE", s[i])))
				i++;
			if (i - st > 15) {
				strbuf_addch(&sb, '"');
				strbuf_add(&sb, s + st, i - st);
				strbuf_addch(&sb, '"');
			} else
				strbuf_add(&sb, s + st, i - st);
			continue;
		}
		strbuf_addch(&sb, c);
		i++;
	}
	return strbuf_detach(&sb, NULL);
}

static cJSON *
parse_body(struct call *c)
{
	char *q;
	cJSON *j;

	if (c->blen == 0)
		return cJSON_CreateObject();
	q = emu_quote_long_numbers(c->body, c->blen);
	j = cJSON_Parse(q);
	free(q);
	return j;
}

static const cJSON *
jget(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNull(v) ? NULL : v;
}

static const char *
jstr(const cJSON *o, const char *k)
{
	const cJSON *v = jget(o, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int
jbool(const cJSON *o, const char *k)
{
	const cJSON *v = jget(o, k);

	if (cJSON_IsString(v))
		return strcasecmp(v->valuestring, "true") == 0;
	return cJSON_IsTrue(v);
}

static long
jlong(const cJSON *o, const char *k, long def)
{
	const cJSON *v = jget(o, k);

	if (cJSON_IsNumber(v))
		return (long)v->valuedouble;
	if (cJSON_IsString(v))
		return strtol(v->valuestring, NULL, 10);
	return def;
}

static void
add_i64(cJSON *o, const char *k, int64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	cJSON_AddStringToObject(o, k, buf);
}

static int
valid_id(const char *s, int dashes)
{
	size_t n = 0;

	if (s == NULL || *s == '\0')
		return 0;
	for (; *s; s++, n++)
		if (!isalnum((unsigned char)*s) && *s != '_' &&
		    !(dashes && (*s == '-' || *s == '.' || *s == ':')))
			return 0;
	return n <= 1024;
}

static char *
sql_name(const char *p, const char *d, const char *t)
{
	return xstrfmt("%s.%s.%s", p, d, t);
}

static void
add_quoted(struct strbuf *sb, const char *name)
{
	strbuf_addch(sb, '"');
	for (; *name; name++) {
		if (*name == '"')
			strbuf_addch(sb, '"');
		strbuf_addch(sb, *name);
	}
	strbuf_addch(sb, '"');
}

static int
exec(struct emu *e, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(e->db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		bqsync_log(LOG_WARN, "sqlite: %s", msg ? msg : "error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static void
b64_add(struct strbuf *sb, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		strbuf_addch(sb, b64chars[p[i] >> 2]);
		strbuf_addch(sb, b64chars[(p[i] & 3) << 4 | p[i + 1] >> 4]);
		strbuf_addch(sb, b64chars[(p[i + 1] & 15) << 2 | p[i + 2] >> 6]);
		strbuf_addch(sb, b64chars[p[i + 2] & 63]);
	}
	if (n - i == 1) {
		strbuf_addch(sb, b64chars[p[i] >> 2]);
		strbuf_addch(sb, b64chars[(p[i] & 3) << 4]);
		strbuf_adds(sb, "==");
	} else if (n - i == 2) {
		strbuf_addch(sb, b64chars[p[i] >> 2]);
		strbuf_addch(sb, b64chars[(p[i] & 3) << 4 | p[i + 1] >> 4]);
		strbuf_addch(sb, b64chars[(p[i + 1] & 15) << 2]);
		strbuf_addch(sb, '=');
	}
}

/* ------------------------------------------------------------------ */
/* Catalog                                                              */

/* The table resource (caller frees) and its SQLite name, or NULL. */
static cJSON *
table_meta(struct emu *e, const char *p, const char *d, const char *t,
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

static cJSON *
dataset_meta(struct emu *e, const char *p, const char *d)
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

static int64_t
count_rows(struct emu *e, const char *sqlname)
{
	struct strbuf sb = STRBUF_INIT;
	sqlite3_stmt *st = NULL;
	int64_t n = 0;

	strbuf_adds(&sb, "SELECT count(*) FROM ");
	add_quoted(&sb, sqlname);
	if (sqlite3_prepare_v2(e->db, sb.buf, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	strbuf_release(&sb);
	return n;
}

struct lookup_arg {
	struct emu	*e;
	cJSON		*metas[32];
	int		 n;
};

static int
lookup_cb(void *argp, const char *p, const char *d, const char *t,
    char **sqlname, const cJSON **fields)
{
	struct lookup_arg *a = argp;
	cJSON *m;

	if (a->n == 32 || (m = table_meta(a->e, p, d, t, sqlname)) == NULL)
		return -1;
	a->metas[a->n++] = m;
	*fields = jget(jget(m, "schema"), "fields");
	if (*fields == NULL) {
		cJSON_AddItemToObject(m, "_empty", cJSON_CreateArray());
		*fields = jget(m, "_empty");
	}
	return 0;
}

static void
lookup_release(struct lookup_arg *a)
{
	while (a->n > 0)
		cJSON_Delete(a->metas[--a->n]);
}

/* ------------------------------------------------------------------ */
/* Values: request JSON -> storage, storage -> f/v cells                */

static int
field_info(const cJSON *f, enum emu_type *t, int *repeated, int *required)
{
	const char *ty = jstr(f, "type"), *mo = jstr(f, "mode");

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

	if (field_info(f, &t, &rep, &req) == -1) {
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
			    "field: %s.", jstr(f, "name"));
			cJSON_Delete(out);
			return NULL;
		}
		cJSON_ArrayForEach(it, v) {
			cJSON *x;

			if (cJSON_IsNull(it)) {
				snprintf(msg, msz, "Array cannot have a null "
				    "element; field: %s", jstr(f, "name"));
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
			    jstr(f, "name"));
			return NULL;
		}
		return cJSON_CreateNull();
	}
	if (t == EMU_T_NESTED) {
		const cJSON *sub, *kv;

		if (!cJSON_IsObject(v)) {
			snprintf(msg, msz, "This field: %s is not a record.",
			    jstr(f, "name"));
			return NULL;
		}
		out = cJSON_CreateObject();
		cJSON_ArrayForEach(sub, jget(f, "fields")) {
			const char *nm = jstr(sub, "name");
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
			    cJSON_CreateString(emusql_format_double(b.d, buf));
			break;
		case EMU_T_BOOL:
			out = cJSON_CreateBool(b.i != 0);
			break;
		case EMU_T_BYTES: {
			struct strbuf sb = STRBUF_INIT;

			strbuf_init(&sb, 0);
			b64_add(&sb, (const unsigned char *)b.s, b.len);
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
static int
row_value(const cJSON *f, const cJSON *v, int ignore, struct emusql_bind *b,
    char *msg, size_t msz)
{
	enum emu_type t;
	int rep, req;

	memset(b, 0, sizeof(*b));
	if (field_info(f, &t, &rep, &req) == -1) {
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
			    jstr(f, "name"));
			return -1;
		}
		b->type = t;
		b->is_null = 1;
		return 0;
	}
	return scalar_value(t, v, b, msg, msz);
}

static void
bind_one(sqlite3_stmt *st, int k, const struct emusql_bind *b)
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

	field_info(f, &t, &rep, &req);
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
		cJSON_ArrayForEach(sub, jget(f, "fields")) {
			strbuf_adds(sb, first ? "{\"v\":" : ",{\"v\":");
			fv_value(sb, cJSON_GetObjectItem(v, jstr(sub, "name")),
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
		strbuf_addf(sb, "\"%s\"", emusql_format_double(v->valuedouble,
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
			strbuf_addf(sb, "\"%s\"", emusql_format_double(
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
		b64_add(sb, p ? p : "", (size_t)n);
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

struct coltypes {
	enum emu_type	*t;
	const cJSON	**f;
	int		 n;
};

static void
coltypes_from_fields(const cJSON *fields, struct coltypes *ct)
{
	const cJSON *f;
	int n = cJSON_GetArraySize(fields), k = 0;

	ct->t = xcalloc((size_t)n + 1, sizeof(*ct->t));
	ct->f = xcalloc((size_t)n + 1, sizeof(*ct->f));
	cJSON_ArrayForEach(f, fields) {
		enum emu_type t = EMU_T_STRING;
		int rep, req;

		field_info(f, &t, &rep, &req);
		ct->t[k] = rep ? EMU_T_NESTED : t;
		ct->f[k] = f;
		k++;
	}
	ct->n = k;
}

static void
coltypes_release(struct coltypes *ct)
{
	free(ct->t);
	free(ct->f);
}

/*
 * Steps st (column 0 = rowid, then the fields) and appends up to max rows
 * (max < 0: no count limit) as "[{"f":[...]},...]".  Returns 1 if rows
 * remain, 0 if not, -1 on SQLite errors.
 */
static int
write_rows(sqlite3_stmt *st, const struct coltypes *ct, int i64ts, long max,
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
static void
resp_with_rows(struct resp *r, cJSON *o, const struct strbuf *rows,
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

static char *
make_token(int64_t off)
{
	return xstrfmt("BQEMU%llx", (unsigned long long)off * 2654435761u ^
	    0x5bd1e995u);
}

static int
parse_token(const char *tok, int64_t *off)
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

/* ------------------------------------------------------------------ */
/* Datasets and tables                                                  */

static void
set_item(cJSON *m, const cJSON *kv)
{
	cJSON_DeleteItemFromObjectCaseSensitive(m, kv->string);
	cJSON_AddItemToObject(m, kv->string, cJSON_Duplicate(kv, 1));
}

static void
stamp(cJSON *m, const char *kind, const char *id, const char *self)
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

static int
save_meta(struct emu *e, const char *sql, const char *p, const char *d,
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

static void
h_dataset_insert(struct call *c, const char *p)
{
	cJSON *body = parse_body(c), *m;
	const char *d;
	char *id, *self;

	if (body == NULL) {
		bad_request(c->r, "Invalid JSON payload received.");
		return;
	}
	d = jstr(jget(body, "datasetReference"), "datasetId");
	if (!valid_id(d, 0)) {
		bad_request(c->r, "Invalid dataset ID");
		goto out;
	}
	if ((m = dataset_meta(c->e, p, d)) != NULL) {
		cJSON_Delete(m);
		resp_error(c->r, 409, "duplicate", "Already Exists: Dataset "
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
	if (jstr(m, "location") == NULL) {
		cJSON_DeleteItemFromObjectCaseSensitive(m, "location");
		cJSON_AddStringToObject(m, "location", "US");
	}
	id = xstrfmt("%s:%s", p, d);
	self = xstrfmt("http://%s:%d/bigquery/v2/projects/%s/datasets/%s",
	    c->e->host, c->e->port, p, d);
	stamp(m, "bigquery#dataset", id, self);
	free(id);
	free(self);
	add_i64(m, "creationTime", now_ms());
	add_i64(m, "lastModifiedTime", now_ms());
	cJSON_AddStringToObject(m, "type", "DEFAULT");
	if (save_meta(c->e, "INSERT INTO _emu_datasets(project, dataset, meta)"
	    " VALUES (?, ?, ?)", p, d, NULL, NULL, m) == -1) {
		cJSON_Delete(m);
		resp_error(c->r, 500, "internalError", "cannot store dataset");
		goto out;
	}
	resp_json(c->r, 200, m);
out:
	cJSON_Delete(body);
}

static void
drop_table(struct emu *e, const char *sqlname)
{
	struct strbuf sb = STRBUF_INIT;
	sqlite3_stmt *st = NULL;

	strbuf_adds(&sb, "DROP TABLE IF EXISTS ");
	add_quoted(&sb, sqlname);
	exec(e, sb.buf);
	strbuf_release(&sb);
	if (sqlite3_prepare_v2(e->db, "DELETE FROM _emu_tables WHERE sqlname "
	    "= ?", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, sqlname, -1, SQLITE_STATIC);
		sqlite3_step(st);
	}
	sqlite3_finalize(st);
}

static void
h_dataset(struct call *c, const char *p, const char *d)
{
	cJSON *m = dataset_meta(c->e, p, d);
	sqlite3_stmt *st = NULL;
	char **names = NULL;
	size_t n = 0, i;

	if (m == NULL) {
		resp_error(c->r, 404, "notFound", "Not found: Dataset %s:%s", p,
		    d);
		return;
	}
	if (strcmp(c->method, "GET") == 0) {
		resp_json(c->r, 200, m);
		return;
	}
	if (strcmp(c->method, "PATCH") == 0 || strcmp(c->method, "PUT") == 0) {
		cJSON *body = parse_body(c), *kv;

		if (body == NULL) {
			cJSON_Delete(m);
			bad_request(c->r, "Invalid JSON payload received.");
			return;
		}
		cJSON_ArrayForEach(kv, body)
			if (strcmp(kv->string, "description") == 0 ||
			    strcmp(kv->string, "labels") == 0 ||
			    strcmp(kv->string, "friendlyName") == 0 ||
			    strcmp(kv->string, "defaultTableExpirationMs") == 0)
				set_item(m, kv);
		cJSON_Delete(body);
		save_meta(c->e, "UPDATE _emu_datasets SET meta = ?3 WHERE "
		    "project = ?1 AND dataset = ?2", p, d, NULL, NULL, m);
		resp_json(c->r, 200, m);
		return;
	}
	cJSON_Delete(m);
	if (strcmp(c->method, "DELETE") != 0) {
		resp_error(c->r, 405, "badRequest", "Method not allowed");
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
	if (n > 0 && !arg_bool(c, "deleteContents")) {
		resp_error(c->r, 400, "resourceInUse", "Dataset %s:%s is still "
		    "in use", p, d);
		goto out;
	}
	for (i = 0; i < n; i++)
		drop_table(c->e, names[i]);
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

static void
h_dataset_list(struct call *c, const char *p)
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
			cJSON_AddStringToObject(it, "id", jstr(m, "id"));
			cJSON_AddItemToObject(it, "datasetReference",
			    cJSON_Duplicate(jget(m, "datasetReference"), 1));
			cJSON_AddStringToObject(it, "location",
			    jstr(m, "location") ? jstr(m, "location") : "US");
			cJSON_AddItemToArray(arr, it);
			cJSON_Delete(m);
		}
	}
	sqlite3_finalize(st);
	resp_json(c->r, 200, o);
}

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
		const char *nm = jstr(f, "name"), *ty = jstr(f, "type");
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
			if (strcasecmp(jstr(g, "name"), nm) == 0) {
				snprintf(msg, msz, "Field %s already exists in "
				    "schema", nm);
				return -1;
			}
		if (jstr(f, "mode") == NULL) {
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

	field_info(f, &t, &rep, &req);
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
static int
table_create(struct call *c, const char *p, const char *d, const char *t,
    const cJSON *body, cJSON **out)
{
	cJSON *m = NULL, *ds = NULL, *fields, *f, *ref;
	char msg[256], *sqlname = NULL, *id = NULL, *self = NULL;
	struct strbuf sb = STRBUF_INIT;
	int rc = -1, k = 0;

	if (!valid_id(t, 0))
		return bad_request(c->r, "Invalid table ID");
	if ((ds = dataset_meta(c->e, p, d)) == NULL)
		return resp_error(c->r, 404, "notFound", "Not found: Dataset "
		    "%s:%s", p, d);
	if ((m = table_meta(c->e, p, d, t, NULL)) != NULL) {
		resp_error(c->r, 409, "duplicate", "Already Exists: Table "
		    "%s:%s.%s", p, d, t);
		goto out;
	}
	if (jget(body, "view") || jget(body, "materializedView") ||
	    jget(body, "externalDataConfiguration")) {
		resp_error(c->r, 501, "notImplemented", "Views and external "
		    "tables are not supported by bq-emulator");
		goto out;
	}
	m = cJSON_Duplicate(body, 1);
	if (jget(m, "schema") == NULL) {
		cJSON_DeleteItemFromObjectCaseSensitive(m, "schema");
		cJSON_AddItemToObject(cJSON_AddObjectToObject(m, "schema"),
		    "fields", cJSON_CreateArray());
	}
	fields = cJSON_GetObjectItem(jget(m, "schema"), "fields");
	if (fields == NULL)
		fields = cJSON_AddArrayToObject(cJSON_GetObjectItem(m,
		    "schema"), "fields");
	if (check_fields(fields, msg, sizeof(msg)) == -1) {
		bad_request(c->r, msg);
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
	stamp(m, "bigquery#table", id, self);
	add_i64(m, "creationTime", now_ms());
	add_i64(m, "lastModifiedTime", now_ms());
	cJSON_AddStringToObject(m, "location", jstr(ds, "location") ?
	    jstr(ds, "location") : "US");
	cJSON_AddStringToObject(m, "type", "TABLE");
	sqlname = sql_name(p, d, t);
	strbuf_adds(&sb, "CREATE TABLE ");
	add_quoted(&sb, sqlname);
	strbuf_adds(&sb, " (");
	cJSON_ArrayForEach(f, fields) {
		if (k++)
			strbuf_adds(&sb, ", ");
		add_quoted(&sb, jstr(f, "name"));
		strbuf_addf(&sb, " %s", storage_decl(f));
	}
	if (k == 0)
		strbuf_adds(&sb, "_emu_dummy INTEGER");
	strbuf_adds(&sb, ")");
	if (exec(c->e, sb.buf) == -1) {
		resp_error(c->r, 500, "internalError", "cannot create table");
		goto out;
	}
	/* Index the partitioning and clustering columns, as pruning would. */
	{
		const char *pf = jstr(jget(m, "timePartitioning"), "field");
		const cJSON *cl = jget(jget(m, "clustering"), "fields"), *it;
		int n = 0;

		if (pf) {
			strbuf_reset(&sb);
			strbuf_addf(&sb, "CREATE INDEX \"%s#%d\" ON ", sqlname,
			    n++);
			add_quoted(&sb, sqlname);
			strbuf_addch(&sb, '(');
			add_quoted(&sb, pf);
			strbuf_addch(&sb, ')');
			exec(c->e, sb.buf);
		}
		cJSON_ArrayForEach(it, cl) {
			if (!cJSON_IsString(it))
				continue;
			strbuf_reset(&sb);
			strbuf_addf(&sb, "CREATE INDEX \"%s#%d\" ON ", sqlname,
			    n++);
			add_quoted(&sb, sqlname);
			strbuf_addch(&sb, '(');
			add_quoted(&sb, it->valuestring);
			strbuf_addch(&sb, ')');
			exec(c->e, sb.buf);
		}
	}
	if (save_meta(c->e, "INSERT INTO _emu_tables(project, dataset, tbl, "
	    "sqlname, meta) VALUES (?, ?, ?, ?, ?)", p, d, t, sqlname, m) ==
	    -1) {
		resp_error(c->r, 500, "internalError", "cannot store table");
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

static void
add_live_stats(struct emu *e, cJSON *m, const char *sqlname)
{
	int64_t n = count_rows(e, sqlname);

	cJSON_DeleteItemFromObjectCaseSensitive(m, "numRows");
	cJSON_DeleteItemFromObjectCaseSensitive(m, "numBytes");
	add_i64(m, "numRows", n);
	add_i64(m, "numBytes", n * 8 * (int64_t)cJSON_GetArraySize(jget(jget(m,
	    "schema"), "fields")));
}

static void
h_table_insert(struct call *c, const char *p, const char *d)
{
	cJSON *body = parse_body(c), *m = NULL;
	const char *t;

	if (body == NULL) {
		bad_request(c->r, "Invalid JSON payload received.");
		return;
	}
	t = jstr(jget(body, "tableReference"), "tableId");
	if (table_create(c, p, d, t, body, &m) == 0) {
		add_i64(m, "numRows", 0);
		add_i64(m, "numBytes", 0);
		resp_json(c->r, 200, m);
	}
	cJSON_Delete(body);
}

static void
h_table_list(struct call *c, const char *p, const char *d)
{
	sqlite3_stmt *st = NULL;
	cJSON *o, *arr, *ds;
	int n = 0;

	if ((ds = dataset_meta(c->e, p, d)) == NULL) {
		resp_error(c->r, 404, "notFound", "Not found: Dataset %s:%s", p,
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
				if (jget(m, keep[i]))
					cJSON_AddItemToObject(it, keep[i],
					    cJSON_Duplicate(jget(m, keep[i]),
					    1));
			cJSON_AddItemToArray(arr, it);
			cJSON_Delete(m);
			n++;
		}
	}
	sqlite3_finalize(st);
	cJSON_AddNumberToObject(o, "totalItems", n);
	resp_json(c->r, 200, o);
}

static void
h_table(struct call *c, const char *p, const char *d, const char *t)
{
	char *sqlname = NULL;
	cJSON *m = table_meta(c->e, p, d, t, &sqlname);

	if (m == NULL) {
		resp_error(c->r, 404, "notFound", "Not found: Table %s:%s.%s",
		    p, d, t);
		return;
	}
	if (strcmp(c->method, "GET") == 0) {
		add_live_stats(c->e, m, sqlname);
		resp_json(c->r, 200, m);
		m = NULL;
	} else if (strcmp(c->method, "DELETE") == 0) {
		drop_table(c->e, sqlname);
		c->r->status = 204;
		strbuf_reset(&c->r->body);
	} else if (strcmp(c->method, "PATCH") == 0 ||
	    strcmp(c->method, "PUT") == 0) {
		cJSON *body = parse_body(c), *kv, *nf, *of, *f;
		char msg[256];

		if (body == NULL) {
			bad_request(c->r, "Invalid JSON payload received.");
			goto out;
		}
		nf = cJSON_GetObjectItem(jget(body, "schema"), "fields");
		of = cJSON_GetObjectItem(jget(m, "schema"), "fields");
		if (nf) {
			if (check_fields(nf, msg, sizeof(msg)) == -1) {
				bad_request(c->r, msg);
				cJSON_Delete(body);
				goto out;
			}
			/* Only new NULLABLE/REPEATED columns may be added. */
			cJSON_ArrayForEach(f, nf) {
				const cJSON *g;
				int found = 0;
				struct strbuf sb = STRBUF_INIT;

				cJSON_ArrayForEach(g, of)
					if (strcasecmp(jstr(g, "name"),
					    jstr(f, "name")) == 0)
						found = 1;
				if (found)
					continue;
				strbuf_adds(&sb, "ALTER TABLE ");
				add_quoted(&sb, sqlname);
				strbuf_adds(&sb, " ADD COLUMN ");
				add_quoted(&sb, jstr(f, "name"));
				strbuf_addf(&sb, " %s", storage_decl(f));
				exec(c->e, sb.buf);
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
				set_item(m, kv);
		cJSON_Delete(body);
		cJSON_DeleteItemFromObjectCaseSensitive(m, "lastModifiedTime");
		add_i64(m, "lastModifiedTime", now_ms());
		save_meta(c->e, "UPDATE _emu_tables SET meta = ?4 WHERE "
		    "project = ?1 AND dataset = ?2 AND tbl = ?3", p, d, t, NULL,
		    m);
		add_live_stats(c->e, m, sqlname);
		resp_json(c->r, 200, m);
		m = NULL;
	} else
		resp_error(c->r, 405, "badRequest", "Method not allowed");
out:
	cJSON_Delete(m);
	free(sqlname);
}

static void
h_tabledata(struct call *c, const char *p, const char *d, const char *t)
{
	char *sqlname = NULL, *tok;
	cJSON *m = table_meta(c->e, p, d, t, &sqlname), *o, *fields = NULL;
	const cJSON *f;
	struct strbuf sql = STRBUF_INIT, rows = STRBUF_INIT;
	struct coltypes ct;
	sqlite3_stmt *st = NULL;
	const char *pt = arg(c, "pageToken"), *si = arg(c, "startIndex");
	const char *mr = arg(c, "maxResults"), *sel = arg(c, "selectedFields");
	int64_t after = 0, start = 0, last = 0;
	long max = mr ? strtol(mr, NULL, 10) : 100000, count = 0;
	int more, k = 0;

	memset(&ct, 0, sizeof(ct));
	if (m == NULL) {
		resp_error(c->r, 404, "notFound", "Not found: Table %s:%s.%s",
		    p, d, t);
		return;
	}
	if (max < 0 || max > 100000)
		max = 100000;
	if (pt && *pt && parse_token(pt, &after) == -1) {
		bad_request(c->r, "Invalid page token");
		goto out;
	}
	if (si && (!pt || !*pt))
		start = strtoll(si, NULL, 10);
	fields = cJSON_CreateArray();
	cJSON_ArrayForEach(f, jget(jget(m, "schema"), "fields")) {
		if (sel) {
			const char *q = strstr(sel, jstr(f, "name"));
			size_t n = strlen(jstr(f, "name"));

			while (q && !((q == sel || q[-1] == ',') &&
			    (q[n] == ',' || q[n] == '\0')))
				q = strstr(q + 1, jstr(f, "name"));
			if (q == NULL)
				continue;
		}
		cJSON_AddItemToArray(fields, cJSON_Duplicate(f, 1));
	}
	coltypes_from_fields(fields, &ct);
	strbuf_adds(&sql, "SELECT rowid");
	cJSON_ArrayForEach(f, fields) {
		strbuf_adds(&sql, ", ");
		add_quoted(&sql, jstr(f, "name"));
		k++;
	}
	strbuf_adds(&sql, " FROM ");
	add_quoted(&sql, sqlname);
	strbuf_addf(&sql, " WHERE rowid > %lld ORDER BY rowid LIMIT -1 "
	    "OFFSET %lld", (long long)after, (long long)start);
	if (sqlite3_prepare_v2(c->e->db, sql.buf, -1, &st, NULL) != SQLITE_OK) {
		resp_error(c->r, 500, "internalError", "%s",
		    sqlite3_errmsg(c->e->db));
		goto out;
	}
	more = write_rows(st, &ct, arg_bool(c, "formatOptions.useInt64Timestamp"),
	    max, &rows, &count, &last);
	if (more == -1) {
		resp_error(c->r, 500, "internalError", "%s",
		    sqlite3_errmsg(c->e->db));
		goto out;
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "kind", "bigquery#tableDataList");
	cJSON_AddStringToObject(o, "etag", "emu");
	add_i64(o, "totalRows", count_rows(c->e, sqlname));
	if (more) {
		tok = make_token(last);
		cJSON_AddStringToObject(o, "pageToken", tok);
		free(tok);
	}
	resp_with_rows(c->r, o, &rows, count);
out:
	sqlite3_finalize(st);
	coltypes_release(&ct);
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
static int
row_binds(const cJSON *fields, const cJSON *row, int ignore,
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
			if (strcasecmp(kv->string, jstr(f, "name")) == 0)
				v = kv;
		if (row_value(f, v, ignore, &b[k], msg, msz) == -1) {
			*loc = jstr(f, "name");
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
				if (strcasecmp(kv->string, jstr(f, "name")) == 0)
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

static sqlite3_stmt *
insert_stmt(struct emu *e, const char *sqlname, const cJSON *fields)
{
	struct strbuf sb = STRBUF_INIT;
	const cJSON *f;
	sqlite3_stmt *st = NULL;
	int k = 0;

	strbuf_adds(&sb, "INSERT INTO ");
	add_quoted(&sb, sqlname);
	strbuf_adds(&sb, " (");
	cJSON_ArrayForEach(f, fields) {
		if (k++)
			strbuf_adds(&sb, ", ");
		add_quoted(&sb, jstr(f, "name"));
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

static int
insert_binds(sqlite3_stmt *st, struct emusql_bind *b, int n)
{
	int i, rc;

	sqlite3_reset(st);
	for (i = 0; i < n; i++) {
		bind_one(st, i + 1, &b[i]);
		free(b[i].s);
		b[i].s = NULL;
	}
	rc = sqlite3_step(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static void
h_insert_all(struct call *c, const char *p, const char *d, const char *t)
{
	char *sqlname = NULL;
	cJSON *m = table_meta(c->e, p, d, t, &sqlname), *body = NULL, *o;
	cJSON *errs = NULL;
	const cJSON *fields, *rows, *row;
	int skip, ignore, nf, i = 0, nbad = 0, nrows;
	struct emusql_bind *b = NULL;
	char *ok = NULL;
	sqlite3_stmt *st = NULL;

	if (m == NULL) {
		resp_error(c->r, 404, "notFound", "Not found: Table %s:%s.%s",
		    p, d, t);
		return;
	}
	if ((body = parse_body(c)) == NULL) {
		bad_request(c->r, "Invalid JSON payload received.");
		goto out;
	}
	if (jstr(body, "templateSuffix")) {
		resp_error(c->r, 501, "notImplemented", "templateSuffix is not "
		    "supported by bq-emulator");
		goto out;
	}
	rows = jget(body, "rows");
	nrows = cJSON_GetArraySize(rows);
	if (nrows > 50000) {
		bad_request(c->r, "too many rows present in the request, "
		    "limit: 50000 row count: more");
		goto out;
	}
	if (nrows == 0) {
		bad_request(c->r, "No rows present in the request.");
		goto out;
	}
	skip = jbool(body, "skipInvalidRows");
	ignore = jbool(body, "ignoreUnknownValues");
	fields = jget(jget(m, "schema"), "fields");
	nf = cJSON_GetArraySize(fields);
	b = xcalloc((size_t)nrows * (size_t)(nf + 1), sizeof(*b));
	ok = xcalloc((size_t)nrows, 1);
	errs = cJSON_CreateArray();
	cJSON_ArrayForEach(row, rows) {
		char msg[256];
		const char *loc = "";

		if (row_binds(fields, jget(row, "json"), ignore,
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
		if ((st = insert_stmt(c->e, sqlname, fields)) == NULL) {
			resp_error(c->r, 500, "internalError", "%s",
			    sqlite3_errmsg(c->e->db));
			goto out;
		}
		exec(c->e, "BEGIN");
		for (i = 0; i < nrows; i++)
			if (ok[i] && insert_binds(st, &b[(size_t)i *
			    (size_t)nf], nf) == -1) {
				exec(c->e, "ROLLBACK");
				resp_error(c->r, 500, "internalError", "%s",
				    sqlite3_errmsg(c->e->db));
				goto out;
			}
		exec(c->e, "COMMIT");
	}
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "kind",
	    "bigquery#tableDataInsertAllResponse");
	if (cJSON_GetArraySize(errs) > 0) {
		cJSON_AddItemToObject(o, "insertErrors", errs);
		errs = NULL;
	}
	resp_json(c->r, 200, o);
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

/* ------------------------------------------------------------------ */
/* Jobs                                                                 */

static struct job *
job_find(struct emu *e, const char *p, const char *id)
{
	size_t i;

	for (i = e->njobs; i-- > 0;)
		if (strcmp(e->jobs[i]->id, id) == 0 &&
		    strcmp(e->jobs[i]->project, p) == 0)
			return e->jobs[i];
	return NULL;
}

static void
job_free(struct job *j)
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

static struct job *
job_new(struct emu *e, const char *p, const char *id, const char *loc,
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
	j->created = now_ms();
	job_faults(e, j);
	e->jobs = xrealloc(e->jobs, (e->njobs + 1) * sizeof(*e->jobs));
	e->jobs[e->njobs++] = j;
	return j;
}

static void
job_fail(struct job *j, int http, const char *reason, const char *msg)
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
		exec(e, sql);
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

/* Runs a query configuration (jobs.query body or configuration.query). */
static void
run_query(struct emu *e, struct job *j, const cJSON *qc, int dry)
{
	struct lookup_arg la;
	struct emusql_ctx ctx;
	struct emusql_query *q = NULL;
	struct bq_err err = BQ_ERR_INIT;
	const cJSON *dd = jget(qc, "defaultDataset"), *lg;
	const char *sql = jstr(qc, "query"), *pm = jstr(qc, "parameterMode");
	struct strbuf sb = STRBUF_INIT;
	sqlite3_stmt *st = NULL;
	size_t i;

	memset(&la, 0, sizeof(la));
	la.e = e;
	if (sql == NULL) {
		job_fail(j, 400, "invalid", "Required parameter is missing: "
		    "query");
		return;
	}
	lg = jget(qc, "useLegacySql");
	if (lg == NULL || cJSON_IsTrue(lg)) {
		job_fail(j, 400, "invalidQuery", "bq-emulator runs GoogleSQL "
		    "only: set useLegacySql to false");
		return;
	}
	if (jget(qc, "destinationTable")) {
		job_fail(j, 400, "invalid", "destinationTable is not supported "
		    "by bq-emulator");
		return;
	}
	if (pm && strcasecmp(pm, "NAMED") != 0 &&
	    strcasecmp(pm, "POSITIONAL") != 0) {
		job_fail(j, 400, "invalid", "Invalid parameterMode");
		return;
	}
	memset(&ctx, 0, sizeof(ctx));
	ctx.project = j->project;
	ctx.default_project = jstr(dd, "projectId");
	ctx.default_dataset = jstr(dd, "datasetId");
	ctx.params = jget(qc, "queryParameters");
	ctx.lookup = lookup_cb;
	ctx.arg = &la;
	ctx.now = ts_now();
	q = emusql_compile(sql, &ctx, &err);
	lookup_release(&la);
	if (q == NULL) {
		job_fail(j, err.http_status == 404 ? 404 : 400,
		    err.http_status == 404 ? "notFound" : "invalidQuery",
		    err.msg);
		return;
	}
	j->bytes = 0;
	for (i = 0; i < q->ntables; i++)
		j->bytes += count_rows(e, q->tables[i]) * 8 *
		    (int64_t)(q->ncols ? q->ncols : 1);
	j->dry_run = dry;
	if (q->kind == EMUSQL_SELECT)
		j->schema = schema_of(q);
	else
		j->dml = 1;
	if (dry)
		goto done;
	if (q->kind == EMUSQL_SELECT) {
		long r = ++e->next_result;

		strbuf_addf(&sb, "CREATE TABLE res.\"r_%ld\" (", r);
		for (i = 0; i < q->ncols; i++)
			strbuf_addf(&sb, "%sc%zu", i ? ", " : "", i);
		strbuf_adds(&sb, ")");
		if (exec(e, sb.buf) == -1) {
			job_fail(j, 500, "internalError", "cannot store result");
			goto done;
		}
		result_keep(e, r);
		strbuf_reset(&sb);
		strbuf_addf(&sb, "INSERT INTO res.\"r_%ld\" %s", r, q->sql);
		j->result = r;
	} else
		strbuf_adds(&sb, q->sql);
	if (sqlite3_prepare_v2(e->db, sb.buf, -1, &st, NULL) != SQLITE_OK) {
		job_fail(j, 400, "invalidQuery", sqlite3_errmsg(e->db));
		goto done;
	}
	emusql_bind_all(q, st);
	exec(e, "SAVEPOINT q");
	if (sqlite3_step(st) != SQLITE_DONE) {
		job_fail(j, 400, "invalidQuery", sqlite3_errmsg(e->db));
		exec(e, "ROLLBACK TO q");
		exec(e, "RELEASE q");
		goto done;
	}
	exec(e, "RELEASE q");
	if (q->kind == EMUSQL_SELECT)
		j->nrows = sqlite3_changes64(e->db);
	else
		j->affected = sqlite3_changes64(e->db);
done:
	j->ended = now_ms();
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
static int
job_ready(struct job *j)
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

static cJSON *
job_resource(struct emu *e, struct job *j, int done)
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
	add_i64(stats, "creationTime", j->created);
	add_i64(stats, "startTime", j->created);
	if (done)
		add_i64(stats, "endTime", j->ended ? j->ended : j->created);
	if (strcmp(j->type, "QUERY") == 0) {
		add_i64(stats, "totalBytesProcessed", j->bytes);
		qs = cJSON_AddObjectToObject(stats, "query");
		add_i64(qs, "totalBytesProcessed", j->bytes);
		add_i64(qs, "totalBytesBilled", j->dry_run ? 0 :
		    j->bytes ? (j->bytes < 10485760 ? 10485760 : j->bytes) : 0);
		cJSON_AddBoolToObject(qs, "cacheHit", 0);
		cJSON_AddStringToObject(qs, "statementType", j->dml ? "DELETE" :
		    "SELECT");
		if (j->schema && (j->dry_run || done))
			cJSON_AddItemToObject(qs, "schema",
			    cJSON_Duplicate(j->schema, 1));
		if (j->dml && done && !j->http) {
			cJSON *ds = cJSON_AddObjectToObject(qs, "dmlStats");

			add_i64(qs, "numDmlAffectedRows", j->affected);
			add_i64(ds, "deletedRowCount", j->affected);
		}
	} else if (j->load_stats)
		cJSON_AddItemToObject(stats, "load",
		    cJSON_Duplicate(j->load_stats, 1));
	status = cJSON_AddObjectToObject(o, "status");
	cJSON_AddStringToObject(status, "state", done ? "DONE" : "RUNNING");
	if (done && j->http) {
		cJSON *ea = cJSON_AddArrayToObject(status, "errors");

		cJSON_AddItemToObject(status, "errorResult",
		    error_proto(j->reason, j->msg));
		if (j->errors) {
			const cJSON *it;

			cJSON_ArrayForEach(it, j->errors)
				cJSON_AddItemToArray(ea, cJSON_Duplicate(it, 1));
		} else
			cJSON_AddItemToArray(ea, error_proto(j->reason,
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
		resp_error(c->r, j->http, j->reason, "%s", j->msg);
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
	add_i64(o, "totalBytesProcessed", j->bytes);
	cJSON_AddBoolToObject(o, "cacheHit", 0);
	if (j->dml) {
		cJSON *ds;

		add_i64(o, "numDmlAffectedRows", j->affected);
		ds = cJSON_AddObjectToObject(o, "dmlStats");
		add_i64(ds, "deletedRowCount", j->affected);
		add_i64(ds, "insertedRowCount", 0);
		add_i64(ds, "updatedRowCount", 0);
		resp_json(c->r, 200, o);
		return;
	}
	if (j->schema)
		cJSON_AddItemToObject(o, "schema", cJSON_Duplicate(j->schema,
		    1));
	if (j->dry_run || j->result == 0) {
		add_i64(o, "totalRows", 0);
		resp_json(c->r, 200, o);
		return;
	}
	add_i64(o, "totalRows", j->nrows);
	if (!result_alive(c->e, j->result)) {
		cJSON_Delete(o);
		resp_error(c->r, 404, "notFound", "Not found: the results of "
		    "job %s:%s.%s have expired (bq-emulator keeps the last %d)",
		    j->project, j->location, j->id, KEEP_RESULTS);
		return;
	}
	coltypes_from_fields(jget(j->schema, "fields"), &ct);
	strbuf_addf(&sql, "SELECT rowid, * FROM res.\"r_%ld\" WHERE rowid > "
	    "%lld ORDER BY rowid", j->result, (long long)start);
	if (sqlite3_prepare_v2(c->e->db, sql.buf, -1, &st, NULL) != SQLITE_OK ||
	    (more = write_rows(st, &ct, i64ts, max, &rows, &count, &last)) ==
	    -1) {
		cJSON_Delete(o);
		resp_error(c->r, 500, "internalError", "%s",
		    sqlite3_errmsg(c->e->db));
		goto out;
	}
	if (more) {
		char *tok = make_token(start + count);

		cJSON_AddStringToObject(o, "pageToken", tok);
		free(tok);
	}
	resp_with_rows(c->r, o, &rows, count);
out:
	sqlite3_finalize(st);
	coltypes_release(&ct);
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
	resp_json(c->r, 200, o);
}

static void
h_query(struct call *c, const char *p)
{
	cJSON *body = parse_body(c);
	const char *rid;
	struct job *j = NULL;
	long max, timeout;
	size_t i;

	if (body == NULL) {
		bad_request(c->r, "Invalid JSON payload received.");
		return;
	}
	rid = jstr(body, "requestId");
	if (rid)
		for (i = 0; i < c->e->njobs; i++)
			if (c->e->jobs[i]->request_id &&
			    strcmp(c->e->jobs[i]->request_id, rid) == 0 &&
			    strcmp(c->e->jobs[i]->project, p) == 0)
				j = c->e->jobs[i];
	if (j == NULL) {
		cJSON *cfg = cJSON_CreateObject(), *qc;

		j = job_new(c->e, p, NULL, jstr(body, "location"), "QUERY");
		j->request_id = rid ? xstrdup(rid) : NULL;
		qc = cJSON_Duplicate(body, 1);
		cJSON_AddItemToObject(cfg, "query", qc);
		j->config = cfg;
		run_query(c->e, j, body, jbool(body, "dryRun"));
	}
	max = jlong(body, "maxResults", -1);
	timeout = jlong(body, "timeoutMs", 10000);
	job_wait(c->e, j, timeout);
	if (!j->http && !job_ready(j))
		incomplete_response(c, j, "bigquery#queryResponse");
	else
		query_response(c, j, "bigquery#queryResponse", max, 0,
		    jbool(jget(body, "formatOptions"), "useInt64Timestamp"));
	cJSON_Delete(body);
}

static void
h_query_results(struct call *c, const char *p, const char *id)
{
	struct job *j = job_find(c->e, p, id);
	const char *mr = arg(c, "maxResults"), *pt = arg(c, "pageToken");
	const char *si = arg(c, "startIndex"), *to = arg(c, "timeoutMs");
	int64_t start = 0;

	if (j == NULL) {
		resp_error(c->r, 404, "notFound", "Not found: Job %s:%s", p, id);
		return;
	}
	if (pt && *pt) {
		if (parse_token(pt, &start) == -1) {
			bad_request(c->r, "Invalid page token");
			return;
		}
	} else if (si)
		start = strtoll(si, NULL, 10);
	job_wait(c->e, j, to ? strtol(to, NULL, 10) : 10000);
	if (!j->http && !job_ready(j)) {
		incomplete_response(c, j, "bigquery#getQueryResultsResponse");
		return;
	}
	query_response(c, j, "bigquery#getQueryResultsResponse",
	    mr ? strtol(mr, NULL, 10) : -1, start,
	    arg_bool(c, "formatOptions.useInt64Timestamp"));
}

/* ------------------------------------------------------------------ */
/* Load jobs                                                            */

static void
load_fail(struct job *j, const char *reason, const char *msg)
{
	job_fail(j, 400, reason, msg);
}

/* Runs configuration.load over NDJSON data. */
static void
run_load(struct call *c, struct job *j, const cJSON *lc, const char *data,
    size_t len)
{
	const cJSON *dt = jget(lc, "destinationTable"), *fields;
	const char *p = jstr(dt, "projectId"), *d = jstr(dt, "datasetId");
	const char *t = jstr(dt, "tableId"), *fmt = jstr(lc, "sourceFormat");
	const char *cd = jstr(lc, "createDisposition");
	const char *wd = jstr(lc, "writeDisposition");
	char *sqlname = NULL, msg[512];
	cJSON *m = NULL, *errs = NULL;
	sqlite3_stmt *st = NULL;
	struct emusql_bind *b = NULL;
	long maxbad = jlong(lc, "maxBadRecords", 0), bad = 0, good = 0;
	int ignore = jbool(lc, "ignoreUnknownValues"), nf, line = 0;
	size_t off = 0;

	if (p == NULL)
		p = j->project;
	if (d == NULL || t == NULL) {
		load_fail(j, "invalid", "Required parameter is missing: "
		    "destinationTable");
		goto done;
	}
	if (fmt == NULL || strcmp(fmt, "NEWLINE_DELIMITED_JSON") != 0) {
		load_fail(j, "invalid", "bq-emulator loads "
		    "NEWLINE_DELIMITED_JSON only (set sourceFormat)");
		goto done;
	}
	if (data == NULL) {
		load_fail(j, "invalid", "bq-emulator loads uploaded data only "
		    "(sourceUris are not supported)");
		goto done;
	}
	m = table_meta(c->e, p, d, t, &sqlname);
	if (m == NULL) {
		struct resp scratch, *saved = c->r;
		cJSON *body = cJSON_CreateObject(), *err;

		if (cd && strcmp(cd, "CREATE_NEVER") == 0) {
			snprintf(msg, sizeof(msg), "Not found: Table %s:%s.%s",
			    p, d, t);
			job_fail(j, 404, "notFound", msg);
			cJSON_Delete(body);
			goto done;
		}
		if (jget(lc, "schema") == NULL) {
			load_fail(j, "invalid", "No schema specified on job or "
			    "table (bq-emulator does not autodetect)");
			cJSON_Delete(body);
			goto done;
		}
		cJSON_AddItemToObject(body, "schema",
		    cJSON_Duplicate(jget(lc, "schema"), 1));
		static const char *copy[] = { "timePartitioning", "clustering",
		    "rangePartitioning" };
		for (size_t i = 0; i < 3; i++)
			if (jget(lc, copy[i]))
				cJSON_AddItemToObject(body, copy[i],
				    cJSON_Duplicate(jget(lc, copy[i]), 1));
		memset(&scratch, 0, sizeof(scratch));
		c->r = &scratch;
		if (table_create(c, p, d, t, body, &m) == -1) {
			err = cJSON_Parse(scratch.body.buf);
			job_fail(j, scratch.status,
			    jstr(cJSON_GetArrayItem(jget(jget(err, "error"),
			    "errors"), 0), "reason") ? jstr(cJSON_GetArrayItem(
			    jget(jget(err, "error"), "errors"), 0), "reason") :
			    "invalid", jstr(jget(err, "error"), "message") ?
			    jstr(jget(err, "error"), "message") : "error");
			cJSON_Delete(err);
		}
		c->r = saved;
		strbuf_release(&scratch.body);
		cJSON_Delete(body);
		if (m == NULL)
			goto done;
		sqlname = sql_name(p, d, t);
	}
	fields = jget(jget(m, "schema"), "fields");
	nf = cJSON_GetArraySize(fields);
	if (wd && strcmp(wd, "WRITE_EMPTY") == 0 && count_rows(c->e, sqlname)) {
		snprintf(msg, sizeof(msg), "Already Exists: Table %s:%s.%s", p,
		    d, t);
		job_fail(j, 409, "duplicate", msg);
		goto done;
	}
	if ((st = insert_stmt(c->e, sqlname, fields)) == NULL) {
		load_fail(j, "invalid", "table has no columns");
		goto done;
	}
	b = xcalloc((size_t)nf + 1, sizeof(*b));
	errs = cJSON_CreateArray();
	exec(c->e, "SAVEPOINT load");
	if (wd && strcmp(wd, "WRITE_TRUNCATE") == 0) {
		struct strbuf sb = STRBUF_INIT;

		strbuf_adds(&sb, "DELETE FROM ");
		add_quoted(&sb, sqlname);
		exec(c->e, sb.buf);
		strbuf_release(&sb);
	}
	while (off < len) {
		const char *nl = memchr(data + off, '\n', len - off);
		size_t n = nl ? (size_t)(nl - data - off) : len - off;
		char *q;
		cJSON *row;
		const char *loc = "";
		size_t start = off;

		off += n + (nl != NULL);
		line++;
		while (n > 0 && (data[start + n - 1] == '\r' ||
		    isspace((unsigned char)data[start + n - 1])))
			n--;
		if (n == 0)
			continue;
		q = emu_quote_long_numbers(data + start, n);
		row = cJSON_Parse(q);
		free(q);
		if (row == NULL)
			snprintf(msg, sizeof(msg), "Error while reading data, "
			    "error message: JSON parsing error in row starting "
			    "at position %zu: Parser terminated before end of "
			    "string", start);
		if (row == NULL || row_binds(fields, row, ignore, b, msg,
		    sizeof(msg), &loc) == -1) {
			cJSON *ep;

			if (row && strncmp(msg, "Error while", 11) != 0) {
				char tmp[1024];

				snprintf(tmp, sizeof(tmp), "Error while reading "
				    "data, error message: JSON table encountered "
				    "an error in row starting at position %zu "
				    "(line %d): %s", start, line, msg);
				snprintf(msg, sizeof(msg), "%.500s", tmp);
			}
			bad++;
			if (cJSON_GetArraySize(errs) < 5) {
				ep = error_proto("invalid", msg);
				cJSON_DeleteItemFromObjectCaseSensitive(ep,
				    "domain");
				cJSON_AddItemToArray(errs, ep);
			}
			cJSON_Delete(row);
			continue;
		}
		cJSON_Delete(row);
		if (insert_binds(st, b, nf) == -1) {
			exec(c->e, "ROLLBACK TO load");
			exec(c->e, "RELEASE load");
			job_fail(j, 500, "internalError",
			    sqlite3_errmsg(c->e->db));
			goto done;
		}
		good++;
	}
	if (bad > maxbad) {
		exec(c->e, "ROLLBACK TO load");
		exec(c->e, "RELEASE load");
		snprintf(msg, sizeof(msg), "Error while reading data, error "
		    "message: JSON table encountered too many errors, giving "
		    "up. Rows: %ld; errors: %ld. Please look into the errors[] "
		    "collection for more details.", good + bad, bad);
		job_fail(j, 400, "invalid", msg);
		cJSON_AddItemToArray(errs, error_proto("invalid", msg));
		j->errors = errs;
		errs = NULL;
		goto done;
	}
	exec(c->e, "RELEASE load");
	j->load_stats = cJSON_CreateObject();
	add_i64(j->load_stats, "inputFiles", 1);
	add_i64(j->load_stats, "inputFileBytes", (int64_t)len);
	add_i64(j->load_stats, "outputRows", good);
	add_i64(j->load_stats, "outputBytes", good * 8 * nf);
	add_i64(j->load_stats, "badRecords", bad);
done:
	j->ended = now_ms();
	sqlite3_finalize(st);
	free(b);
	cJSON_Delete(errs);
	cJSON_Delete(m);
	free(sqlname);
}

static const char *
header(struct call *c, const char *name)
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
	const cJSON *ref = jget(body, "jobReference"), *cfg;
	const char *id = jstr(ref, "jobId");
	struct job *j;

	cfg = jget(body, "configuration");
	if (cfg == NULL) {
		bad_request(c->r, "Required parameter is missing: "
		    "configuration");
		return;
	}
	if (id && job_find(c->e, p, id)) {
		resp_error(c->r, 409, "duplicate", "Already Exists: Job "
		    "%s:%s.%s", p, jstr(ref, "location") ? jstr(ref,
		    "location") : "US", id);
		return;
	}
	if (jget(cfg, "query")) {
		j = job_new(c->e, p, id, jstr(ref, "location"), "QUERY");
		j->config = cJSON_Duplicate(cfg, 1);
		run_query(c->e, j, jget(cfg, "query"), jbool(cfg, "dryRun"));
	} else if (jget(cfg, "load")) {
		j = job_new(c->e, p, id, jstr(ref, "location"), "LOAD");
		j->config = cJSON_Duplicate(cfg, 1);
		run_load(c, j, jget(cfg, "load"), data, dlen);
	} else {
		resp_error(c->r, 501, "notImplemented", "bq-emulator runs "
		    "query and load jobs only");
		return;
	}
	resp_json(c->r, 200, job_resource(c->e, j, j->http || j->dry_run ||
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
	const char *uid = arg(c, "upload_id"), *cr;
	struct emu *e = c->e;
	struct upload *u = NULL;
	size_t i;

	if (uid == NULL) {
		cJSON *body = parse_body(c);
		unsigned char rnd[8];
		char hex[17];

		if (body == NULL) {
			bad_request(c->r, "Invalid JSON payload received.");
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
		resp_error(c->r, 404, "notFound", "Not found: upload %s", uid);
		return;
	}
	strbuf_add(&u->data, c->body ? c->body : "", c->blen);
	cr = header(c, "Content-Range");
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

static void
h_jobs_insert(struct call *c, const char *p)
{
	cJSON *body = NULL;
	const char *ut = arg(c, "uploadType");

	if (c->upload && ut && strcmp(ut, "resumable") == 0) {
		h_resumable(c, p);
		return;
	}
	if (c->upload) {
		const char *p1, *p2;
		size_t l1, l2;
		char *q;

		if (ut == NULL || strcmp(ut, "multipart") != 0) {
			resp_error(c->r, 501, "notImplemented", "bq-emulator "
			    "accepts uploadType=multipart and resumable only");
			return;
		}
		if (multipart(header(c, "Content-Type"), c->body, c->blen, &p1,
		    &l1, &p2, &l2) == -1) {
			bad_request(c->r, "Invalid multipart request");
			return;
		}
		q = emu_quote_long_numbers(p1, l1);
		body = cJSON_Parse(q);
		free(q);
		if (body == NULL) {
			bad_request(c->r, "Invalid JSON payload received.");
			return;
		}
		insert_job(c, p, body, p2 ? p2 : "", p2 ? l2 : 0);
	} else {
		if ((body = parse_body(c)) == NULL) {
			bad_request(c->r, "Invalid JSON payload received.");
			return;
		}
		insert_job(c, p, body, NULL, 0);
	}
	cJSON_Delete(body);
}

static void
h_job(struct call *c, const char *p, const char *id, const char *verb)
{
	struct job *j = job_find(c->e, p, id);
	int done;

	if (j == NULL) {
		resp_error(c->r, 404, "notFound", "Not found: Job %s:%s", p, id);
		return;
	}
	if (strcmp(c->method, "DELETE") == 0 || (verb &&
	    strcmp(verb, "delete") == 0)) {
		c->r->status = 204;
		strbuf_reset(&c->r->body);
		return;
	}
	done = j->http || j->dry_run || job_ready(j);
	if (verb && strcmp(verb, "cancel") == 0) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(o, "kind", "bigquery#jobCancelResponse");
		cJSON_AddItemToObject(o, "job", job_resource(c->e, j, done));
		resp_json(c->r, 200, o);
		return;
	}
	resp_json(c->r, 200, job_resource(c->e, j, done));
}

static void
h_jobs_list(struct call *c, const char *p)
{
	cJSON *o = cJSON_CreateObject(), *arr;
	size_t i;

	cJSON_AddStringToObject(o, "kind", "bigquery#jobList");
	cJSON_AddStringToObject(o, "etag", "emu");
	arr = cJSON_AddArrayToObject(o, "jobs");
	for (i = c->e->njobs; i-- > 0 && cJSON_GetArraySize(arr) < 1000;)
		if (strcmp(c->e->jobs[i]->project, p) == 0) {
			cJSON *r = job_resource(c->e, c->e->jobs[i], 1);

			cJSON_AddStringToObject(r, "state", "DONE");
			cJSON_AddItemToArray(arr, r);
		}
	resp_json(c->r, 200, o);
}

/* ------------------------------------------------------------------ */
/* Faults                                                               */

static int
fault_from_json(const cJSON *j, struct fault *f, struct bq_err *err)
{
	memset(f, 0, sizeof(*f));
	if (!cJSON_IsObject(j))
		return bq_err_set(err, EXIT_USAGE, "fault: not a JSON object");
	if (jstr(j, "path"))
		f->path = xstrdup(jstr(j, "path"));
	if (jstr(j, "method"))
		f->method = xstrdup(jstr(j, "method"));
	if (jstr(j, "reason"))
		f->reason = xstrdup(jstr(j, "reason"));
	f->status = (int)jlong(j, "status", 0);
	f->delay_ms = jlong(j, "delayMs", 0);
	f->incomplete = (int)jlong(j, "incomplete", 0);
	f->job_delay_ms = jlong(j, "jobDelayMs", 0);
	f->truncate = (int)jlong(j, "truncate", 0) != 0 || jbool(j, "truncate");
	f->expire_tokens = jbool(j, "expireTokens");
	f->count = (int)jlong(j, "count", f->status || f->truncate ||
	    f->incomplete || f->job_delay_ms ? 1 : -1);
	if (f->status && (f->status < 400 || f->status > 599))
		return bq_err_set(err, EXIT_USAGE, "fault: status %d is not an "
		    "HTTP error", f->status);
	if (!f->status && !f->delay_ms && !f->incomplete && !f->job_delay_ms &&
	    !f->truncate && !f->expire_tokens)
		return bq_err_set(err, EXIT_USAGE, "fault: nothing to inject");
	return 0;
}

static void
fault_release(struct fault *f)
{
	free(f->path);
	free(f->method);
	free(f->reason);
}

static void
tokens_clear(struct emu *e)
{
	size_t i;

	for (i = 0; i < e->ntokens; i++)
		util_free_secret(e->tokens[i]);
	free(e->tokens);
	free(e->token_exp);
	e->tokens = NULL;
	e->token_exp = NULL;
	e->ntokens = 0;
}

static int
add_fault_locked(struct emu *e, const char *spec, struct bq_err *err)
{
	struct fault f;
	cJSON *j;

	if (spec[0] == '{') {
		if ((j = cJSON_Parse(spec)) == NULL)
			return bq_err_set(err, EXIT_USAGE, "fault: invalid "
			    "JSON '%s'", spec);
	} else {
		/* STATUS[:PATH[:COUNT]] */
		char *s = xstrdup(spec), *a = strchr(s, ':'), *b = NULL;

		if (a) {
			*a++ = '\0';
			if ((b = strchr(a, ':')) != NULL)
				*b++ = '\0';
		}
		j = cJSON_CreateObject();
		cJSON_AddNumberToObject(j, "status", atoi(s));
		if (a && *a)
			cJSON_AddStringToObject(j, "path", a);
		cJSON_AddNumberToObject(j, "count", b ? atoi(b) : 1);
		free(s);
	}
	if (fault_from_json(j, &f, err) == -1) {
		cJSON_Delete(j);
		fault_release(&f);
		return -1;
	}
	cJSON_Delete(j);
	if (f.expire_tokens)
		tokens_clear(e);
	e->faults = xrealloc(e->faults, (e->nfaults + 1) * sizeof(*e->faults));
	e->faults[e->nfaults++] = f;
	return 0;
}

int
emu_add_fault(struct emu *e, const char *spec, struct bq_err *err)
{
	int rc;

	pthread_mutex_lock(&e->mu);
	rc = add_fault_locked(e, spec, err);
	pthread_mutex_unlock(&e->mu);
	return rc;
}

static const char *
reason_for(int status)
{
	switch (status) {
	case 400: return "badRequest";
	case 401: return "authError";
	case 403: return "rateLimitExceeded";
	case 404: return "notFound";
	case 409: return "duplicate";
	case 429: return "rateLimitExceeded";
	case 500: return "internalError";
	case 501: return "notImplemented";
	default: return "backendError";
	}
}

/*
 * Applies the fault rules matching this request: returns 1 if the answer
 * is already in c->r; *delay_ms and *truncate report the rest.
 */
static int
apply_faults(struct call *c, const char *url, long *delay_ms, int *truncate)
{
	struct emu *e = c->e;
	size_t i;

	for (i = 0; i < e->nfaults; i++) {
		struct fault *f = &e->faults[i];

		if (f->count == 0 || f->incomplete || f->job_delay_ms ||
		    f->expire_tokens)
			continue;
		if (f->path && strstr(url, f->path) == NULL)
			continue;
		if (f->method && strcasecmp(f->method, c->method) != 0)
			continue;
		if (f->count > 0)
			f->count--;
		*delay_ms += f->delay_ms;
		if (f->truncate)
			*truncate = 1;
		if (f->status == 502) {
			c->r->status = 502;
			strbuf_reset(&c->r->body);
			strbuf_adds(&c->r->body, "<html><body><h1>502 Bad "
			    "Gateway</h1></body></html>\n");
			c->r->ctype = "text/html";
			return 1;
		}
		if (f->status) {
			resp_error(c->r, f->status, f->reason ? f->reason :
			    reason_for(f->status), "Injected fault: HTTP %d "
			    "from bq-emulator", f->status);
			return 1;
		}
	}
	return 0;
}

static void
h_faults(struct call *c)
{
	struct bq_err err = BQ_ERR_INIT;
	size_t i;

	if (strcmp(c->method, "DELETE") == 0) {
		for (i = 0; i < c->e->nfaults; i++)
			fault_release(&c->e->faults[i]);
		c->e->nfaults = 0;
		c->r->status = 204;
		strbuf_reset(&c->r->body);
		return;
	}
	if (strcmp(c->method, "POST") != 0) {
		resp_error(c->r, 405, "badRequest", "Method not allowed");
		return;
	}
	{
		char *s = xstrndup(c->body ? c->body : "", c->blen);

		if (add_fault_locked(c->e, s, &err) == -1)
			bad_request(c->r, err.msg);
		else
			resp_json(c->r, 200, cJSON_CreateObject());
		free(s);
	}
}

/* ------------------------------------------------------------------ */
/* OAuth token endpoint                                                 */

static int
b64url_decode(const char *s, size_t n, unsigned char **out, size_t *olen)
{
	unsigned char *o = xmalloc(n * 3 / 4 + 4);
	unsigned acc = 0;
	int bits = 0;
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		int v;
		char ch = s[i];

		if (ch >= 'A' && ch <= 'Z') v = ch - 'A';
		else if (ch >= 'a' && ch <= 'z') v = ch - 'a' + 26;
		else if (ch >= '0' && ch <= '9') v = ch - '0' + 52;
		else if (ch == '-') v = 62;
		else if (ch == '_') v = 63;
		else if (ch == '=') break;
		else {
			free(o);
			return -1;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			o[k++] = (unsigned char)(acc >> bits);
		}
	}
	*out = o;
	*olen = k;
	return 0;
}

static char *
form_value(const char *body, size_t n, const char *key)
{
	size_t kl = strlen(key), i = 0;

	while (i < n) {
		size_t e = i;

		while (e < n && body[e] != '&')
			e++;
		if (e - i > kl && strncmp(body + i, key, kl) == 0 &&
		    body[i + kl] == '=') {
			struct strbuf sb = STRBUF_INIT;
			size_t k;

			strbuf_init(&sb, e - i);
			for (k = i + kl + 1; k < e; k++) {
				if (body[k] == '+')
					strbuf_addch(&sb, ' ');
				else if (body[k] == '%' && k + 2 < e + 1 &&
				    isxdigit((unsigned char)body[k + 1]) &&
				    isxdigit((unsigned char)body[k + 2])) {
					char hx[3] = { body[k + 1], body[k + 2],
					    0 };

					strbuf_addch(&sb, (int)strtol(hx, NULL,
					    16));
					k += 2;
				} else
					strbuf_addch(&sb, body[k]);
			}
			return strbuf_detach(&sb, NULL);
		}
		i = e + 1;
	}
	return NULL;
}

static void
oauth_error(struct resp *r, int status, const char *err, const char *desc)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "error", err);
	cJSON_AddStringToObject(o, "error_description", desc);
	resp_json(r, status, o);
}

/* Verifies an RS256 JWT bearer assertion; NULL if fine, else why. */
static const char *
verify_jwt(struct emu *e, const char *jwt)
{
	const char *d1 = strchr(jwt, '.'), *d2 = d1 ? strchr(d1 + 1, '.') :
	    NULL;
	unsigned char *hdr = NULL, *cl = NULL, *sig = NULL;
	size_t hl, cll, sl;
	cJSON *h = NULL, *c = NULL;
	const char *why = "Invalid JWT Signature.";
	double now = util_now_wall(), iat, exp;
	int i;

	if (d2 == NULL || strchr(d2 + 1, '.'))
		return "Invalid JWT: malformed";
	if (b64url_decode(jwt, (size_t)(d1 - jwt), &hdr, &hl) == -1 ||
	    b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &cl, &cll) == -1 ||
	    b64url_decode(d2 + 1, strlen(d2 + 1), &sig, &sl) == -1) {
		why = "Invalid JWT: bad base64url";
		goto out;
	}
	h = cJSON_ParseWithLength((const char *)hdr, hl);
	c = cJSON_ParseWithLength((const char *)cl, cll);
	if (h == NULL || c == NULL || jstr(h, "alg") == NULL ||
	    strcmp(jstr(h, "alg"), "RS256") != 0) {
		why = "Invalid JWT: header must name alg RS256";
		goto out;
	}
	for (i = 0; i < e->nkeys; i++) {
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		int ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL,
		    e->keys[i]) == 1 && EVP_DigestVerify(md, sig, sl,
		    (const unsigned char *)jwt, (size_t)(d2 - jwt)) == 1;

		EVP_MD_CTX_free(md);
		if (ok)
			break;
	}
	if (i == e->nkeys)
		goto out;
	iat = cJSON_IsNumber(jget(c, "iat")) ? jget(c, "iat")->valuedouble : -1;
	exp = cJSON_IsNumber(jget(c, "exp")) ? jget(c, "exp")->valuedouble : -1;
	if (jstr(c, "iss") == NULL || iat < 0 || exp <= now || iat > now + 300
	    || exp - iat > 3600 || exp <= iat) {
		why = "Invalid JWT: Token must be a short-lived token (60 "
		    "minutes) and in a reasonable timeframe. Check your iat "
		    "and exp values in the JWT claim.";
		goto out;
	}
	why = NULL;
out:
	cJSON_Delete(h);
	cJSON_Delete(c);
	free(hdr);
	free(cl);
	free(sig);
	return why;
}

static void
issue_token(struct emu *e, struct resp *r)
{
	unsigned char rnd[24];
	char hex[49];
	cJSON *o;
	int i;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		oauth_error(r, 500, "internal_failure", "no randomness");
		return;
	}
	for (i = 0; i < 24; i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	e->tokens = xrealloc(e->tokens, (e->ntokens + 1) * sizeof(char *));
	e->token_exp = xrealloc(e->token_exp, (e->ntokens + 1) *
	    sizeof(double));
	e->tokens[e->ntokens] = xstrfmt("ya29.emu-%s", hex);
	e->token_exp[e->ntokens] = util_now_wall() + 3600;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "access_token", e->tokens[e->ntokens]);
	cJSON_AddNumberToObject(o, "expires_in", 3599);
	cJSON_AddStringToObject(o, "token_type", "Bearer");
	e->ntokens++;
	resp_json(r, 200, o);
	util_wipe(hex, sizeof(hex));
}

static void
h_token(struct call *c)
{
	char *gt = form_value(c->body, c->blen, "grant_type");
	char *as = NULL, *rt = NULL, *ci = NULL, *cs = NULL;

	if (c->e->nkeys == 0 && c->e->token_user == NULL) {
		oauth_error(c->r, 400, "unsupported_grant_type", "bq-emulator "
		    "has no token key (--token-key)");
		goto out;
	}
	if (gt && strcmp(gt, "urn:ietf:params:oauth:grant-type:jwt-bearer") ==
	    0 && c->e->nkeys > 0) {
		const char *why;

		as = form_value(c->body, c->blen, "assertion");
		if (as == NULL) {
			oauth_error(c->r, 400, "invalid_request", "Missing "
			    "required parameter: assertion");
			goto out;
		}
		if ((why = verify_jwt(c->e, as)) != NULL) {
			oauth_error(c->r, 400, "invalid_grant", why);
			goto out;
		}
		issue_token(c->e, c->r);
	} else if (gt && strcmp(gt, "refresh_token") == 0 && c->e->token_user) {
		const char *wci = jstr(c->e->token_user, "client_id");
		const char *wcs = jstr(c->e->token_user, "client_secret");
		const char *wrt = jstr(c->e->token_user, "refresh_token");

		rt = form_value(c->body, c->blen, "refresh_token");
		ci = form_value(c->body, c->blen, "client_id");
		cs = form_value(c->body, c->blen, "client_secret");
		if (!rt || !ci || !cs || !wci || !wcs || !wrt ||
		    strcmp(rt, wrt) || strcmp(ci, wci) || strcmp(cs, wcs)) {
			oauth_error(c->r, 400, "invalid_grant", "Bad Request");
			goto out;
		}
		issue_token(c->e, c->r);
	} else
		oauth_error(c->r, 400, "unsupported_grant_type", "Invalid "
		    "grant_type");
out:
	free(gt);
	util_free_secret(as);
	util_free_secret(rt);
	free(ci);
	util_free_secret(cs);
}

/* 0 if the request carries a valid issued token (or none is needed). */
static int
check_auth(struct call *c)
{
	const char *h = header(c, "Authorization");
	double now = util_now_wall();
	size_t i;

	if (!c->e->auth)
		return 0;
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0) {
		resp_error(c->r, 401, "required", "Request is missing required "
		    "authentication credential. Expected OAuth 2 access token, "
		    "login cookie or other valid authentication credential.");
		return -1;
	}
	for (i = 0; i < c->e->ntokens; i++)
		if (strcmp(c->e->tokens[i], h + 7) == 0 &&
		    c->e->token_exp[i] > now)
			return 0;
	resp_error(c->r, 401, "authError", "Request had invalid authentication "
	    "credentials. Expected OAuth 2 access token, login cookie or other "
	    "valid authentication credential.");
	return -1;
}

static int
load_keys(struct emu *e, const char *path, struct bq_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p;
	cJSON *j = NULL;
	int rc = -1;

	if (util_read_file(path, &sb) == -1)
		return bq_err_set(err, EXIT_CONFIG, "cannot read '%s': %s", path,
		    strerror(errno));
	if (sb.buf[0] == '{' && (j = cJSON_Parse(sb.buf)) != NULL &&
	    jstr(j, "private_key")) {
		/* A service-account key file: verify with its public half. */
		BIO *b = BIO_new_mem_buf(jstr(j, "private_key"), -1);
		EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);

		BIO_free(b);
		if (k)
			e->keys[e->nkeys++] = k;
	} else
		for (p = sb.buf; (p = strstr(p, "-----BEGIN ")) != NULL &&
		    e->nkeys < MAX_KEYS; p++) {
			const char *end = strstr(p, "-----END ");
			BIO *b;
			EVP_PKEY *k = NULL;
			X509 *x = NULL;

			if (end == NULL || (end = strstr(end + 9, "-----")) ==
			    NULL)
				break;
			b = BIO_new_mem_buf(p, (int)(end + 5 - p));
			if (strncmp(p + 11, "CERTIFICATE", 11) == 0) {
				if ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)))
					k = X509_get_pubkey(x);
				X509_free(x);
			} else if (strncmp(p + 11, "PUBLIC KEY", 10) == 0 ||
			    strncmp(p + 11, "RSA PUBLIC KEY", 14) == 0)
				k = strncmp(p + 11, "RSA", 3) == 0 ?
				    PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) :
				    PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
			else
				k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
			BIO_free(b);
			if (k)
				e->keys[e->nkeys++] = k;
		}
	if (e->nkeys == 0) {
		bq_err_set(err, EXIT_CONFIG, "'%s': no RSA key or certificate "
		    "found", path);
		goto out;
	}
	rc = 0;
out:
	cJSON_Delete(j);
	util_wipe(sb.buf, sb.len);
	strbuf_release(&sb);
	return rc;
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
	const char *host = header(c, "Host");
	cJSON *d;
	char *root;

	if (util_read_file(path, &sb) == -1 ||
	    (d = cJSON_Parse(sb.buf)) == NULL) {
		resp_error(c->r, 404, "notFound", "No discovery document "
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
	resp_json(c->r, 200, d);
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
#define IS(m) (strcmp(c->method, (m)) == 0)

static void
route(struct call *c, const char *url)
{
	const char *p;

	if (split_path(c, url) == -1 || c->nseg < 2 ||
	    strcmp(SEG(0), "projects") != 0) {
		resp_error(c->r, 404, "notFound", "Not found: URL %s", url);
		return;
	}
	if (check_auth(c) == -1)
		return;
	p = SEG(1);
	if (!valid_id(p, 1)) {
		bad_request(c->r, "Invalid project ID");
		return;
	}
	if (c->nseg == 3 && strcmp(SEG(2), "datasets") == 0) {
		if (IS("POST"))
			h_dataset_insert(c, p);
		else
			h_dataset_list(c, p);
	} else if (c->nseg == 4 && strcmp(SEG(2), "datasets") == 0)
		h_dataset(c, p, SEG(3));
	else if (c->nseg == 5 && strcmp(SEG(4), "tables") == 0) {
		if (IS("POST"))
			h_table_insert(c, p, SEG(3));
		else
			h_table_list(c, p, SEG(3));
	} else if (c->nseg == 6 && strcmp(SEG(4), "tables") == 0)
		h_table(c, p, SEG(3), SEG(5));
	else if (c->nseg == 7 && strcmp(SEG(4), "tables") == 0 &&
	    strcmp(SEG(6), "data") == 0 && IS("GET"))
		h_tabledata(c, p, SEG(3), SEG(5));
	else if (c->nseg == 7 && strcmp(SEG(4), "tables") == 0 &&
	    strcmp(SEG(6), "insertAll") == 0 && IS("POST"))
		h_insert_all(c, p, SEG(3), SEG(5));
	else if (c->nseg == 3 && strcmp(SEG(2), "queries") == 0 && IS("POST"))
		h_query(c, p);
	else if (c->nseg == 4 && strcmp(SEG(2), "queries") == 0 && IS("GET"))
		h_query_results(c, p, SEG(3));
	else if (c->nseg == 3 && strcmp(SEG(2), "jobs") == 0) {
		if (IS("POST") || (IS("PUT") && c->upload))
			h_jobs_insert(c, p);
		else
			h_jobs_list(c, p);
	} else if (c->nseg == 4 && strcmp(SEG(2), "jobs") == 0)
		h_job(c, p, SEG(3), NULL);
	else if (c->nseg == 5 && strcmp(SEG(2), "jobs") == 0)
		h_job(c, p, SEG(3), SEG(4));
	else
		resp_error(c->r, 404, "notFound", "Not found: URL %s", url);
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
		return MHD_YES;
	}
	if (*upload_size) {
		if (rq->body.len + *upload_size > MAX_BODY)
			rq->too_big = 1;
		else
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
	if (rq->too_big)
		resp_error(&r, 413, "invalid", "Request body too large");
	else if (strncmp(url, "/emulator/faults", 16) == 0)
		h_faults(&c);
	else if (strcmp(url, "/$discovery/rest") == 0 ||
	    strcmp(url, "/discovery/v1/apis/bigquery/v2/rest") == 0)
		h_discovery(&c);
	else if (apply_faults(&c, url, &delay, &truncate))
		;
	else if (strcmp(url, "/token") == 0 && strcmp(method, "POST") == 0)
		h_token(&c);
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
		exec(e, "PRAGMA journal_mode = WAL; PRAGMA synchronous = "
		    "NORMAL;");
	if (emusql_register(e->db) != SQLITE_OK || exec(e, catalog_sql) == -1) {
		bq_err_set(err, EXIT_IOERR, "cannot initialise the database: "
		    "%s", sqlite3_errmsg(e->db));
		goto fail;
	}
	sqlite3_busy_timeout(e->db, 5000);
	if (o->token_key && load_keys(e, o->token_key, err) == -1)
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
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)300, MHD_OPTION_END);
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
		job_free(e->jobs[i]);
	free(e->jobs);
	for (i = 0; i < e->nuploads; i++) {
		free(e->uploads[i].id);
		free(e->uploads[i].project);
		cJSON_Delete(e->uploads[i].job);
		strbuf_release(&e->uploads[i].data);
	}
	free(e->uploads);
	for (i = 0; i < e->nfaults; i++)
		fault_release(&e->faults[i]);
	free(e->faults);
	for (k = 0; k < e->nkeys; k++)
		EVP_PKEY_free(e->keys[k]);
	cJSON_Delete(e->token_user);
	tokens_clear(e);
	pthread_mutex_destroy(&e->mu);
	free(e->host);
	free(e->project);
	free(e->discovery);
	free(e);
}
