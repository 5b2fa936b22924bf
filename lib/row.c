#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "hash.h"
#include "row.h"
#include "ts.h"
#include "util.h"
#include "banned.h"

#define EXACT_INT_MAX	9007199254740992.0	/* 2^53 */

static void canon(const cJSON *v, struct strbuf *out, int top);

/*
 * A number as the shortest "%.{1..17}g" text that reads back as the same
 * double; integers of magnitude up to 2^53 without exponent.  Non-finite
 * values have no JSON form: null.  -0 is written 0, as JSON.stringify does.
 */
static void
add_number(struct strbuf *out, double d)
{
	char buf[40];
	int prec;
	char *p;

	if (!isfinite(d)) {
		strbuf_adds(out, "null");
		return;
	}
	if (d == 0) {
		strbuf_addch(out, '0');
		return;
	}
	if (fabs(d) <= EXACT_INT_MAX && floor(d) == d) {
		char digits[24], *q = digits + sizeof(digits);
		unsigned long long u = (unsigned long long)fabs(d);

		do
			*--q = (char)('0' + u % 10);
		while ((u /= 10) != 0);
		if (d < 0)
			*--q = '-';
		strbuf_add(out, q, (size_t)(digits + sizeof(digits) - q));
		return;
	}
	/*
	 * %g drops trailing zeros, and a double that some k-digit decimal
	 * (k <= 15) reads back to rounds to that same decimal at 15 digits:
	 * so the first of 15, 16, 17 digits that round-trips is the shortest
	 * form, found with at most three conversions instead of seventeen.
	 * Subnormals carry fewer digits: those take the long way.
	 */
	for (prec = fabs(d) < DBL_MIN ? 1 : 15; prec < 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, d);
		if (strtod(buf, NULL) == d)
			break;
	}
	if (prec == 17)
		snprintf(buf, sizeof(buf), "%.17g", d);
	for (p = buf; *p; p++) {
		/* a decimal comma would come from a foreign locale */
		if (*p == ',')
			*p = '.';
	}
	strbuf_adds(out, buf);
}

/*
 * A raw item (pre-serialized JSON, e.g. big integers written verbatim):
 * a number goes through add_number(), anything else is parsed and
 * canonicalized, and text that is not JSON at all is kept as a string.
 */
static void
add_raw(struct strbuf *out, const char *text)
{
	const char *p = text;
	char *end;
	double d;
	cJSON *v;

	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (*p == '-' || (*p >= '0' && *p <= '9')) {
		errno = 0;
		d = strtod(p, &end);
		while (*end == ' ' || *end == '\t' || *end == '\n' ||
		    *end == '\r')
			end++;
		if (*end == '\0') {
			add_number(out, d);
			return;
		}
	}
	if ((v = cJSON_Parse(text)) != NULL) {
		canon(v, out, 0);
		cJSON_Delete(v);
		return;
	}
	strbuf_add_json_string(out, text, strlen(text));
}

struct member {
	const cJSON *item;
	size_t pos;
};

static int
member_cmp(const void *a, const void *b)
{
	const struct member *x = a, *y = b;
	int c = strcmp(x->item->string, y->item->string);

	if (c != 0)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

static void
canon_object(const cJSON *v, struct strbuf *out, int top)
{
	struct member *m;
	const cJSON *c;
	size_t n = 0, i;
	int first = 1;

	for (c = v->child; c != NULL; c = c->next)
		n++;
	m = xcalloc(n ? n : 1, sizeof(*m));
	for (n = 0, c = v->child; c != NULL; c = c->next) {
		if (c->string == NULL)
			continue;
		/* a NULL column is an absent one: adding one keeps ids */
		if (top && (strcmp(c->string, "id") == 0 ||
		    strcmp(c->string, "_syncedAt") == 0 ||
		    strcmp(c->string, "_fp") == 0 || cJSON_IsNull(c)))
			continue;
		m[n].item = c;
		m[n].pos = n;
		n++;
	}
	qsort(m, n, sizeof(*m), member_cmp);
	strbuf_addch(out, '{');
	for (i = 0; i < n; i++) {
		if (!first)
			strbuf_addch(out, ',');
		first = 0;
		strbuf_add_json_string(out, m[i].item->string,
		    strlen(m[i].item->string));
		strbuf_addch(out, ':');
		canon(m[i].item, out, 0);
	}
	strbuf_addch(out, '}');
	free(m);
}

static void
canon(const cJSON *v, struct strbuf *out, int top)
{
	const cJSON *c;

	if (v == NULL) {
		strbuf_adds(out, "null");
		return;
	}
	switch (v->type & 0xff) {
	case cJSON_False:
		strbuf_adds(out, "false");
		break;
	case cJSON_True:
		strbuf_adds(out, "true");
		break;
	case cJSON_Number:
		add_number(out, v->valuedouble);
		break;
	case cJSON_String:
		strbuf_add_json_string(out, v->valuestring,
		    strlen(v->valuestring));
		break;
	case cJSON_Raw:
		add_raw(out, v->valuestring ? v->valuestring : "null");
		break;
	case cJSON_Array:
		strbuf_addch(out, '[');
		for (c = v->child; c != NULL; c = c->next) {
			canon(c, out, 0);
			if (c->next != NULL)
				strbuf_addch(out, ',');
		}
		strbuf_addch(out, ']');
		break;
	case cJSON_Object:
		canon_object(v, out, top);
		break;
	default:	/* cJSON_NULL, cJSON_Invalid */
		strbuf_adds(out, "null");
		break;
	}
}

void
row_canonical(const cJSON *v, struct strbuf *out)
{
	canon(v, out, 1);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
row_id(const cJSON *row, char *const *id_columns, size_t ncols,
    char out[ROW_ID_LEN + 1], const char **missing)
{
	struct strbuf sb = STRBUF_INIT;
	char hex[65];
	char **names = NULL;
	const cJSON *c;
	size_t i;
	int rc = -1;

	strbuf_init(&sb, 256);
	if (ncols == 0) {
		row_canonical(row, &sb);
	} else {
		names = xcalloc(ncols, sizeof(*names));
		for (i = 0; i < ncols; i++) {
			if (cJSON_GetObjectItemCaseSensitive(row,
			    id_columns[i]) == NULL) {
				if (missing != NULL)
					*missing = id_columns[i];
				goto out;
			}
			names[i] = id_columns[i];
		}
		qsort(names, ncols, sizeof(*names), name_cmp);
		strbuf_addch(&sb, '{');
		for (i = 0; i < ncols; i++) {
			if (i > 0 && strcmp(names[i], names[i - 1]) == 0)
				continue;
			if (i > 0)
				strbuf_addch(&sb, ',');
			strbuf_add_json_string(&sb, names[i],
			    strlen(names[i]));
			strbuf_addch(&sb, ':');
			c = cJSON_GetObjectItemCaseSensitive(row, names[i]);
			canon(c, &sb, 0);
		}
		strbuf_addch(&sb, '}');
	}
	hash_sha256_hex(sb.buf, sb.len, hex);
	memcpy(out, hex, ROW_ID_LEN);
	out[ROW_ID_LEN] = '\0';
	rc = 0;
out:
	free(names);
	strbuf_release(&sb);
	return rc;
}

/* Skips the JSON string at *p (at its opening quote). */
static const char *
skip_string(const char *p, const char *e)
{
	for (p++; p < e && *p != '"'; p++)
		if (*p == '\\' && p + 1 < e)
			p++;
	return p < e ? p + 1 : e;
}

/*
 * The next number token of text after *p, outside strings: its start and
 * length, and whether it is an integer of magnitude beyond 2^53.
 */
static int
next_number(const char **p, const char *e, const char **tok, size_t *n)
{
	const char *s = *p, *d;
	int integer = 1;
	size_t nd;

	while (s < e && *s != '-' && (*s < '0' || *s > '9'))
		s = *s == '"' ? skip_string(s, e) : s + 1;
	*tok = s;
	if (s < e && *s == '-')
		s++;
	while (s < e && *s == '0' && s + 1 < e && s[1] >= '0' && s[1] <= '9')
		s++;
	for (d = s; s < e && *s >= '0' && *s <= '9'; s++)
		;
	nd = (size_t)(s - d);
	for (; s < e && (*s == '.' || *s == 'e' || *s == 'E' || *s == '+' ||
	    *s == '-' || (*s >= '0' && *s <= '9')); s++)
		integer = 0;
	*n = (size_t)(s - *tok);
	*p = s;
	return integer && (nd > 16 || (nd == 16 &&
	    memcmp(d, "9007199254740992", 16) > 0));
}

/* Walks v's numbers in text order, as next_number() meets them. */
static int
keep_walk(cJSON *parent, int top, const char **p, const char *e,
    const char **bad)
{
	cJSON *c, *next, *raw;
	const char *tok;
	char *digits;
	size_t n;

	for (c = parent->child; c != NULL; c = next) {
		next = c->next;
		if (cJSON_IsArray(c) || cJSON_IsObject(c)) {
			if (keep_walk(c, 0, p, e, bad) == -1) {
				if (top && cJSON_IsObject(parent))
					*bad = c->string;
				return -1;
			}
			continue;
		}
		if (!cJSON_IsNumber(c) || !next_number(p, e, &tok, &n))
			continue;
		if (!top || !cJSON_IsObject(parent))
			return -1;
		digits = xmalloc(n + 1);
		memcpy(digits, tok, n);
		digits[n] = '\0';
		raw = cJSON_CreateRaw(digits);
		free(digits);
		if (raw == NULL)
			abort();
		raw->string = c->string;	/* the name moves to raw */
		c->string = NULL;
		cJSON_ReplaceItemViaPointer(parent, c, raw);
	}
	return 0;
}

int
row_keep_integers(cJSON *row, const char *text, size_t len, const char **bad)
{
	const char *p = text, *e = text + len;
	size_t run = 0;

	*bad = NULL;
	/* Only a run of 16 digits can be beyond 2^53: most rows have none. */
	for (; p < e && run < 16; p++)
		run = *p >= '0' && *p <= '9' ? run + 1 : 0;
	if (run < 16 || (!cJSON_IsObject(row) && !cJSON_IsArray(row)))
		return 0;
	p = text;
	return keep_walk(row, 1, &p, e, bad);
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* A name that the object v holds twice, or NULL: sorted when large. */
static const char *
duplicate_member(const cJSON *v)
{
	const char **names, *k = NULL;
	const cJSON *c, *d;
	size_t n = 0, i;

	for (c = v->child; c != NULL && n <= 16; c = c->next)
		n++;
	if (n <= 16) {
		for (c = v->child; c != NULL; c = c->next)
			for (d = c->next; d != NULL; d = d->next)
				if (strcmp(c->string, d->string) == 0)
					return c->string;
		return NULL;
	}
	for (n = 0, c = v->child; c != NULL; c = c->next)
		n++;
	names = xcalloc(n, sizeof(*names));
	for (n = 0, c = v->child; c != NULL; c = c->next)
		names[n++] = c->string;
	qsort(names, n, sizeof(*names), str_cmp);
	for (i = 1; i < n && k == NULL; i++)
		if (strcmp(names[i - 1], names[i]) == 0)
			k = names[i];
	free(names);
	return k;
}

const char *
row_duplicate_key(const cJSON *v)
{
	const cJSON *c;
	const char *k;

	if (v == NULL)
		return NULL;
	if (cJSON_IsObject(v) && (k = duplicate_member(v)) != NULL)
		return k;
	for (c = v->child; c != NULL; c = c->next)
		if ((cJSON_IsObject(c) || cJSON_IsArray(c)) &&
		    (k = row_duplicate_key(c)) != NULL)
			return k;
	return NULL;
}

int
row_timestamp(const cJSON *row, const char *column, int64_t *micros)
{
	const cJSON *v;
	double d;

	v = cJSON_GetObjectItemCaseSensitive(row, column);
	if (v == NULL)
		return -1;
	switch (v->type & 0xff) {
	case cJSON_String:
		if (ts_parse(v->valuestring, micros) == 0)
			return 0;
		/* int64 micros as a string, as BigQuery sends them */
		return ts_parse_micros(v->valuestring, micros);
	case cJSON_Raw:
		return v->valuestring ? ts_parse_micros(v->valuestring,
		    micros) : -1;
	case cJSON_Number:
		d = v->valuedouble;
		if (!isfinite(d) || floor(d) != d || fabs(d) > EXACT_INT_MAX ||
		    d < (double)TS_MIN_MICROS || d > (double)TS_MAX_MICROS)
			return -1;
		*micros = (int64_t)d;
		return 0;
	default:
		return -1;
	}
}
