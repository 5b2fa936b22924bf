#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bqrow.h"
#include "row.h"
#include "ts.h"
#include "banned.h"

enum ftype {
	T_STRING,	/* also BYTES, NUMERIC, BIGNUMERIC, GEOGRAPHY, ... */
	T_INT64,
	T_FLOAT64,
	T_BOOL,
	T_TIMESTAMP,
	T_JSON,
	T_RECORD
};

struct field {
	char		*name;
	enum ftype	 type;
	int		 repeated;
	struct field	*sub;
	size_t		 nsub;
};

struct bqrow {
	struct field	*f;
	size_t		 nf;
	int		 with_id;
	char		**id_columns;
	size_t		 nid;
	char		*id_column;
	int		 id_idx;	/* top-level column named "id", or -1 */
};

static const struct {
	const char	*name;
	enum ftype	 type;
} types[] = {
	{ "STRING", T_STRING }, { "BYTES", T_STRING },
	{ "INTEGER", T_INT64 }, { "INT64", T_INT64 },
	{ "FLOAT", T_FLOAT64 }, { "FLOAT64", T_FLOAT64 },
	{ "NUMERIC", T_STRING }, { "BIGNUMERIC", T_STRING },
	{ "DECIMAL", T_STRING }, { "BIGDECIMAL", T_STRING },
	{ "BOOLEAN", T_BOOL }, { "BOOL", T_BOOL },
	{ "TIMESTAMP", T_TIMESTAMP },
	{ "DATE", T_STRING }, { "TIME", T_STRING }, { "DATETIME", T_STRING },
	{ "GEOGRAPHY", T_STRING }, { "INTERVAL", T_STRING },
	{ "RANGE", T_STRING }, { "JSON", T_JSON },
	{ "RECORD", T_RECORD }, { "STRUCT", T_RECORD },
};

static void
free_fields(struct field *f, size_t n)
{
	size_t i;

	for (i = 0; f != NULL && i < n; i++) {
		free(f[i].name);
		free_fields(f[i].sub, f[i].nsub);
	}
	free(f);
}

static int
compile(const cJSON *fields, struct field **out, size_t *nout,
    struct bq_err *err)
{
	const cJSON *it, *name, *type, *mode;
	struct field *f;
	size_t n, i = 0, k;

	if (!cJSON_IsArray(fields))
		return bq_err_set(err, EXIT_DATA, "schema: fields is not an "
		    "array");
	n = (size_t)cJSON_GetArraySize(fields);
	f = xcalloc(n ? n : 1, sizeof(*f));
	*out = f;
	*nout = n;
	cJSON_ArrayForEach(it, fields) {
		name = cJSON_GetObjectItemCaseSensitive(it, "name");
		type = cJSON_GetObjectItemCaseSensitive(it, "type");
		mode = cJSON_GetObjectItemCaseSensitive(it, "mode");
		if (!cJSON_IsString(name) || !cJSON_IsString(type))
			return bq_err_set(err, EXIT_DATA, "schema: field %zu "
			    "has no name or type", i + 1);
		f[i].name = xstrdup(name->valuestring);
		f[i].type = T_STRING;
		for (k = 0; k < sizeof(types) / sizeof(types[0]); k++)
			if (strcasecmp(types[k].name, type->valuestring) == 0)
				break;
		if (k < sizeof(types) / sizeof(types[0]))
			f[i].type = types[k].type;
		else
			bqsync_log(BQ_LOG_WARN, "schema: column '%s': unknown "
			    "type '%s', kept as a string", f[i].name,
			    type->valuestring);
		f[i].repeated = cJSON_IsString(mode) &&
		    strcasecmp(mode->valuestring, "REPEATED") == 0;
		if (f[i].type == T_RECORD && compile(
		    cJSON_GetObjectItemCaseSensitive(it, "fields"), &f[i].sub,
		    &f[i].nsub, err) == -1)
			return -1;
		i++;
	}
	return 0;
}

struct bqrow *
bqrow_new(const cJSON *fields, struct bq_err *err)
{
	struct bqrow *r = xcalloc(1, sizeof(*r));

	r->with_id = 1;
	if (compile(fields, &r->f, &r->nf, err) == -1) {
		bqrow_free(r);
		return NULL;
	}
	r->id_idx = bqrow_column(r, "id");
	return r;
}

void
bqrow_free(struct bqrow *r)
{
	size_t i;

	if (r == NULL)
		return;
	free_fields(r->f, r->nf);
	for (i = 0; i < r->nid; i++)
		free(r->id_columns[i]);
	free(r->id_columns);
	free(r->id_column);
	free(r);
}

void
bqrow_set_id(struct bqrow *r, char *const *id_columns, size_t n,
    const char *id_column, int with_id)
{
	size_t i;

	for (i = 0; i < r->nid; i++)
		free(r->id_columns[i]);
	free(r->id_columns);
	free(r->id_column);
	r->id_columns = NULL;
	r->nid = 0;
	r->id_column = NULL;
	r->with_id = with_id;
	if (id_columns != NULL && n > 0) {
		r->id_columns = xcalloc(n, sizeof(char *));
		for (i = 0; i < n; i++)
			r->id_columns[i] = xstrdup(id_columns[i]);
		r->nid = n;
	}
	if (id_column != NULL && *id_column != '\0')
		r->id_column = xstrdup(id_column);
}

int
bqrow_column(const struct bqrow *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nf; i++)
		if (strcmp(r->f[i].name, name) == 0)
			return (int)i;
	return -1;
}

size_t
bqrow_ncolumns(const struct bqrow *r)
{
	return r->nf;
}

/* RFC 8259 number grammar. */
static int
is_json_number(const char *s)
{
	if (*s == '-')
		s++;
	if (*s == '0')
		s++;
	else if (*s >= '1' && *s <= '9')
		while (*s >= '0' && *s <= '9')
			s++;
	else
		return 0;
	if (*s == '.') {
		s++;
		if (*s < '0' || *s > '9')
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	if (*s == 'e' || *s == 'E') {
		s++;
		if (*s == '+' || *s == '-')
			s++;
		if (*s < '0' || *s > '9')
			return 0;
		while (*s >= '0' && *s <= '9')
			s++;
	}
	return *s == '\0';
}

/*
 * INT64 text: [-]digits within the int64 range, else NULL (bad data).
 * Within +-2^53 a JSON number, beyond it a string of the exact digits.
 */
static cJSON *
conv_int64(const char *s)
{
	const char *d = s + (*s == '-');
	size_t n = strspn(d, "0123456789");
	char buf[32];
	long long v;
	char *end;

	if (n == 0 || d[n] != '\0')
		return NULL;
	if (n > 1 && d[0] == '0') {
		errno = 0;
		v = strtoll(s, &end, 10);
		if (errno != 0)
			return NULL;
		snprintf(buf, sizeof(buf), "%lld", v);
		return conv_int64(buf);
	}
	if (n > 19 || (n == 19 && strcmp(d, *s == '-' ?
	    "9223372036854775808" : "9223372036854775807") > 0))
		return NULL;
	if (s[0] == '-' && d[0] == '0')
		return cJSON_CreateRaw("0");
	/* 2^53 = 9007199254740992 has 16 digits */
	if (n < 16 || (n == 16 && strcmp(d, "9007199254740992") <= 0))
		return cJSON_CreateRaw(s);
	return cJSON_CreateString(s);
}

/* FLOAT64 text: a JSON number, or NaN and the infinities as strings. */
static cJSON *
conv_float(const char *s)
{
	if (is_json_number(s))
		return cJSON_CreateRaw(s);
	if (strcmp(s, "NaN") == 0 || strcmp(s, "Infinity") == 0 ||
	    strcmp(s, "-Infinity") == 0)
		return cJSON_CreateString(s);
	return NULL;
}

/*
 * The value of a cell, which must be {"v":...}: 0 with *v (JSON null when
 * the cell says null), or -1 with err.
 */
static int
cell_value(const struct field *f, const cJSON *cell, const cJSON **v,
    struct bq_err *err)
{
	if (!cJSON_IsObject(cell) ||
	    (*v = cJSON_GetObjectItemCaseSensitive(cell, "v")) == NULL)
		return bq_err_set(err, EXIT_DATA, "column '%s': cell is not "
		    "{\"v\":...}", f->name);
	return 0;
}

static int
parse_ts(const char *s, int64_t *us)
{
	if (ts_parse_micros(s, us) == 0)
		return 0;
	if (ts_parse_seconds(s, us) == 0)
		return 0;
	return ts_parse(s, us);
}

static cJSON *conv_value(const struct field *, const cJSON *v,
    struct bq_err *);

static cJSON *
conv_record(const struct field *sub, size_t nsub, const cJSON *v,
    struct bq_err *err)
{
	const cJSON *fl = cJSON_GetObjectItemCaseSensitive(v, "f"), *cell;
	const cJSON *cv = NULL;
	cJSON *o = cJSON_CreateObject(), *x;
	size_t i = 0;

	if (!cJSON_IsArray(fl))
		goto bad;
	for (cell = fl->child; cell != NULL && i < nsub;
	    cell = cell->next, i++) {
		if (cell_value(&sub[i], cell, &cv, err) == -1 ||
		    (x = conv_value(&sub[i], cv, err)) == NULL)
			goto fail;
		cJSON_AddItemToObject(o, sub[i].name, x);
	}
	if (cell != NULL || i != nsub)
		goto bad;
	return o;
bad:
	bq_err_set(err, EXIT_DATA, "row does not match the schema "
	    "(%zu columns expected)", nsub);
fail:
	cJSON_Delete(o);
	return NULL;
}

static cJSON *
conv_scalar(const struct field *f, const cJSON *v, struct bq_err *err)
{
	const char *s;
	char tb[TS_BUFSZ];
	int64_t us;
	cJSON *j;

	if (v == NULL || cJSON_IsNull(v))
		return cJSON_CreateNull();
	if (f->type == T_RECORD)
		return conv_record(f->sub, f->nsub, v, err);
	if (!cJSON_IsString(v)) {
		bq_err_set(err, EXIT_DATA, "column '%s': cell is not a string",
		    f->name);
		return NULL;
	}
	s = v->valuestring;
	switch (f->type) {
	case T_INT64:
		if ((j = conv_int64(s)) == NULL)
			bq_err_set(err, EXIT_DATA,
			    "column '%s': bad INT64 '%.40s'", f->name, s);
		return j;
	case T_FLOAT64:
		if ((j = conv_float(s)) == NULL)
			bq_err_set(err, EXIT_DATA,
			    "column '%s': bad FLOAT64 '%.40s'", f->name, s);
		return j;
	case T_BOOL:
		if (strcasecmp(s, "true") == 0)
			return cJSON_CreateTrue();
		if (strcasecmp(s, "false") == 0)
			return cJSON_CreateFalse();
		bq_err_set(err, EXIT_DATA, "column '%s': bad BOOL '%.40s'",
		    f->name, s);
		return NULL;
	case T_TIMESTAMP:
		if (parse_ts(s, &us) == -1) {
			bq_err_set(err, EXIT_DATA,
			    "column '%s': bad TIMESTAMP '%.40s'", f->name, s);
			return NULL;
		}
		return cJSON_CreateString(ts_format(us, tb));
	case T_JSON:
		if ((j = cJSON_Parse(s)) != NULL)
			return j;
		return cJSON_CreateString(s);
	default:
		return cJSON_CreateString(s);
	}
}

static cJSON *
conv_value(const struct field *f, const cJSON *v, struct bq_err *err)
{
	const cJSON *el, *ev = NULL;
	cJSON *a, *x;

	if (!f->repeated)
		return conv_scalar(f, v, err);
	a = cJSON_CreateArray();
	if (v == NULL || cJSON_IsNull(v))
		return a;	/* BigQuery sends [] but be lenient */
	if (!cJSON_IsArray(v)) {
		cJSON_Delete(a);
		bq_err_set(err, EXIT_DATA, "column '%s': REPEATED cell is not "
		    "an array", f->name);
		return NULL;
	}
	for (el = v->child; el != NULL; el = el->next) {
		x = NULL;
		if (cell_value(f, el, &ev, err) == 0)
			x = conv_scalar(f, ev, err);
		if (x == NULL) {
			cJSON_Delete(a);
			return NULL;
		}
		cJSON_AddItemToArray(a, x);
	}
	return a;
}

/* The id from a source column: strings as is, anything else as JSON text. */
static char *
id_text(const cJSON *v)
{
	struct strbuf sb = STRBUF_INIT;

	if (cJSON_IsString(v))
		return xstrdup(v->valuestring);
	if (cJSON_IsRaw(v))
		return xstrdup(v->valuestring);
	if (v == NULL || cJSON_IsNull(v))
		return NULL;
	bqrow_print(v, &sb);
	return strbuf_detach(&sb, NULL);
}

cJSON *
bqrow_convert(const struct bqrow *r, const cJSON *raw, struct bq_err *err)
{
	const cJSON *fl = cJSON_GetObjectItemCaseSensitive(raw, "f"), *cell;
	const cJSON *cv = NULL;
	cJSON *o = cJSON_CreateObject(), *idv = NULL, *x, *src_id = NULL;
	char id[ROW_ID_LEN + 1], *t;
	const char *missing = NULL;
	size_t i = 0;

	if (r->with_id) {
		idv = cJSON_CreateString("");
		cJSON_AddItemToObject(o, "id", idv);
	}
	if (!cJSON_IsArray(fl))
		goto bad;
	for (cell = fl->child; cell != NULL && i < r->nf;
	    cell = cell->next, i++) {
		if (cell_value(&r->f[i], cell, &cv, err) == -1 ||
		    (x = conv_value(&r->f[i], cv, err)) == NULL)
			goto fail;
		if (r->with_id && (int)i == r->id_idx) {
			src_id = x;	/* the row's own "id" is not a column */
			continue;
		}
		cJSON_AddItemToObject(o, r->f[i].name, x);
	}
	if (cell != NULL || i != r->nf)
		goto bad;
	if (!r->with_id)
		return o;
	if (r->id_column != NULL) {
		x = strcmp(r->id_column, "id") == 0 ? src_id :
		    cJSON_GetObjectItemCaseSensitive(o, r->id_column);
		if (x == NULL || (t = id_text(x)) == NULL) {
			bq_err_set(err, EXIT_DATA, "idColumn '%s' is missing "
			    "or null", r->id_column);
			goto fail;
		}
		cJSON_SetValuestring(idv, t);
		free(t);
	} else {
		if (row_id(o, r->id_columns, r->nid, id, &missing) == -1) {
			bq_err_set(err, EXIT_DATA, "idColumns: column '%s' is "
			    "missing", missing ? missing : "?");
			goto fail;
		}
		cJSON_SetValuestring(idv, id);
	}
	cJSON_Delete(src_id);
	return o;
bad:
	bq_err_set(err, EXIT_DATA, "row does not match the schema "
	    "(%zu columns expected)", r->nf);
fail:
	cJSON_Delete(src_id);
	cJSON_Delete(o);
	return NULL;
}

static void
print_number(double d, struct strbuf *out)
{
	char buf[32];
	int p;

	for (p = 1; p <= 17; p++) {
		snprintf(buf, sizeof(buf), "%.*g", p, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	strbuf_adds(out, buf);
}

void
bqrow_print(const cJSON *v, struct strbuf *out)
{
	const cJSON *c;

	if (v == NULL) {
		strbuf_adds(out, "null");
		return;
	}
	switch (v->type & 0xff) {
	case cJSON_Raw:
		strbuf_adds(out, v->valuestring);
		break;
	case cJSON_String:
		strbuf_add_json_string(out, v->valuestring,
		    strlen(v->valuestring));
		break;
	case cJSON_Number:
		print_number(v->valuedouble, out);
		break;
	case cJSON_True:
		strbuf_adds(out, "true");
		break;
	case cJSON_False:
		strbuf_adds(out, "false");
		break;
	case cJSON_Array:
		strbuf_addch(out, '[');
		for (c = v->child; c != NULL; c = c->next) {
			bqrow_print(c, out);
			if (c->next != NULL)
				strbuf_addch(out, ',');
		}
		strbuf_addch(out, ']');
		break;
	case cJSON_Object:
		strbuf_addch(out, '{');
		for (c = v->child; c != NULL; c = c->next) {
			strbuf_add_json_string(out, c->string,
			    strlen(c->string));
			strbuf_addch(out, ':');
			bqrow_print(c, out);
			if (c->next != NULL)
				strbuf_addch(out, ',');
		}
		strbuf_addch(out, '}');
		break;
	default:
		strbuf_adds(out, "null");
		break;
	}
}

int
bqrow_write(const struct bqrow *r, const cJSON *raw, struct strbuf *out,
    struct bq_err *err)
{
	cJSON *o = bqrow_convert(r, raw, err);

	if (o == NULL)
		return -1;
	bqrow_print(o, out);
	strbuf_addch(out, '\n');
	cJSON_Delete(o);
	return 0;
}

int
bqrow_cell_micros(const cJSON *raw, int idx, int64_t *micros)
{
	const cJSON *fl = cJSON_GetObjectItemCaseSensitive(raw, "f"), *c, *v;
	int i = 0;

	if (!cJSON_IsArray(fl) || idx < 0)
		return -1;
	for (c = fl->child; c != NULL && i < idx; c = c->next)
		i++;
	if (c == NULL)
		return -1;
	v = cJSON_GetObjectItemCaseSensitive(c, "v");
	if (!cJSON_IsString(v))
		return -1;
	return parse_ts(v->valuestring, micros);
}
