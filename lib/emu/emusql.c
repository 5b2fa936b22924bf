/*
 * emusql: GoogleSQL subset -> SQLite SQL (see emusql.h).
 *
 * The parser emits SQLite SQL while it reads, each expression carrying its
 * BigQuery type, so type errors surface as invalidQuery at compile time.
 * Every FROM source gets a generated qualifier (_s1, _s2...), which keeps
 * column references unambiguous in nested and correlated subqueries.
 * Literals and parameters travel as bound values, never spliced as text.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emusql.h"
#include "hash.h"
#include "ts.h"
#include "util.h"
#include "banned.h"

/* ------------------------------------------------------------------ */
/* Types and values                                                     */

static const struct {
	const char	*name;
	enum emu_type	 t;
} type_names[] = {
	{ "INTEGER", EMU_T_INT64 }, { "INT64", EMU_T_INT64 },
	{ "FLOAT", EMU_T_FLOAT64 }, { "FLOAT64", EMU_T_FLOAT64 },
	{ "NUMERIC", EMU_T_NUMERIC }, { "DECIMAL", EMU_T_NUMERIC },
	{ "BIGNUMERIC", EMU_T_BIGNUMERIC }, { "BIGDECIMAL", EMU_T_BIGNUMERIC },
	{ "BOOLEAN", EMU_T_BOOL }, { "BOOL", EMU_T_BOOL },
	{ "STRING", EMU_T_STRING }, { "BYTES", EMU_T_BYTES },
	{ "DATE", EMU_T_DATE }, { "DATETIME", EMU_T_DATETIME },
	{ "TIME", EMU_T_TIME }, { "TIMESTAMP", EMU_T_TIMESTAMP },
	{ "GEOGRAPHY", EMU_T_GEOGRAPHY }, { "JSON", EMU_T_JSON },
	{ "RECORD", EMU_T_NESTED }, { "STRUCT", EMU_T_NESTED },
};

const char *
emusql_type_name(enum emu_type t)
{
	switch (t) {
	case EMU_T_NULL:
	case EMU_T_INT64:	return "INTEGER";
	case EMU_T_FLOAT64:	return "FLOAT";
	case EMU_T_NUMERIC:	return "NUMERIC";
	case EMU_T_BIGNUMERIC:	return "BIGNUMERIC";
	case EMU_T_BOOL:	return "BOOLEAN";
	case EMU_T_STRING:	return "STRING";
	case EMU_T_BYTES:	return "BYTES";
	case EMU_T_DATE:	return "DATE";
	case EMU_T_DATETIME:	return "DATETIME";
	case EMU_T_TIME:	return "TIME";
	case EMU_T_TIMESTAMP:	return "TIMESTAMP";
	case EMU_T_GEOGRAPHY:	return "GEOGRAPHY";
	case EMU_T_JSON:	return "JSON";
	case EMU_T_NESTED:	return "RECORD";
	}
	return "STRING";
}

int
emusql_type_parse(const char *name, enum emu_type *out)
{
	size_t i;

	for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (strcasecmp(name, type_names[i].name) == 0) {
			*out = type_names[i].t;
			return 0;
		}
	return -1;
}

char *
emusql_format_double(double x, char buf[40])
{
	char e[48], digits[24], out[64];
	int p, nd = 0, exp10, o = 0, i;
	const char *q;

	if (isnan(x))
		return memcpy(buf, "NaN", 4);
	if (isinf(x)) {
		snprintf(buf, 40, "%s", x < 0 ? "-Infinity" : "Infinity");
		return buf;
	}
	if (x == 0) {
		snprintf(buf, 40, "%s", signbit(x) ? "-0.0" : "0.0");
		return buf;
	}
	for (p = 1; p <= 17; p++) {
		snprintf(e, sizeof(e), "%.*e", p - 1, x);
		if (strtod(e, NULL) == x)
			break;
	}
	q = e;
	if (*q == '-') {
		out[o++] = '-';
		q++;
	}
	for (; *q && *q != 'e'; q++)
		if (isdigit((unsigned char)*q))
			digits[nd++] = *q;
	exp10 = atoi(q + 1);
	while (nd > 1 && digits[nd - 1] == '0')
		nd--;
	if (fabs(x) >= 1e-3 && fabs(x) < 1e7) {
		if (exp10 >= 0) {
			for (i = 0; i <= exp10; i++)
				out[o++] = i < nd ? digits[i] : '0';
			out[o++] = '.';
			if (exp10 + 1 >= nd)
				out[o++] = '0';
			for (i = exp10 + 1; i < nd; i++)
				out[o++] = digits[i];
		} else {
			out[o++] = '0';
			out[o++] = '.';
			for (i = 0; i < -exp10 - 1; i++)
				out[o++] = '0';
			for (i = 0; i < nd; i++)
				out[o++] = digits[i];
		}
		out[o] = '\0';
	} else {
		out[o++] = digits[0];
		out[o++] = '.';
		if (nd == 1)
			out[o++] = '0';
		for (i = 1; i < nd; i++)
			out[o++] = digits[i];
		snprintf(out + o, sizeof(out) - (size_t)o, "E%d", exp10);
	}
	snprintf(buf, 40, "%s", out);
	return buf;
}

static void
split_micros(int64_t us, int64_t *days, int64_t *rem)
{
	*days = us / 86400000000LL;
	*rem = us % 86400000000LL;
	if (*rem < 0) {
		*rem += 86400000000LL;
		(*days)--;
	}
}

char *
emusql_format_ts_string(int64_t us, char buf[48])
{
	int64_t days, rem, y, frac;
	unsigned m, d;
	int n;

	split_micros(us, &days, &rem);
	ts_civil_from_days(days, &y, &m, &d);
	n = snprintf(buf, 48, "%04lld-%02u-%02u %02lld:%02lld:%02lld",
	    (long long)y, m, d, (long long)(rem / 3600000000LL),
	    (long long)(rem / 60000000 % 60), (long long)(rem / 1000000 % 60));
	frac = rem % 1000000;
	/* ZetaSQL prints 0, 3 or 6 fractional digits, as few as exact. */
	if (frac % 1000 == 0 && frac != 0)
		n += snprintf(buf + n, 48 - (size_t)n, ".%03lld",
		    (long long)(frac / 1000));
	else if (frac != 0)
		n += snprintf(buf + n, 48 - (size_t)n, ".%06lld",
		    (long long)frac);
	snprintf(buf + n, 48 - (size_t)n, "+00");
	return buf;
}

/* Canonical DATE "YYYY-MM-DD"; 0 or -1. */
static int
canon_date(const char *s, char out[16])
{
	int y, m, d;
	char tail;
	int64_t yy;
	unsigned mm, dd;

	if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
		return -1;
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	ts_civil_from_days(ts_days_from_civil(y, (unsigned)m, (unsigned)d),
	    &yy, &mm, &dd);
	if (mm != (unsigned)m || dd != (unsigned)d)
		return -1;
	snprintf(out, 16, "%04d-%02d-%02d", y, m, d);
	return 0;
}

/* Canonical TIME "HH:MM:SS[.ffffff]"; 0 or -1. */
static int
canon_time(const char *s, char out[24])
{
	int h, m, sec, n = 0, i;
	long frac = 0;
	const char *p;

	if (sscanf(s, "%2d:%2d:%2d%n", &h, &m, &sec, &n) != 3 || n != 8 ||
	    h < 0 || m < 0 || sec < 0 || h > 23 || m > 59 || sec > 59 ||
	    !isdigit((unsigned char)s[0]))
		return -1;
	p = s + 8;
	if (*p == '.') {
		for (i = 0, p++; isdigit((unsigned char)*p); p++, i++)
			if (i < 6)
				frac = frac * 10 + (*p - '0');
		if (i == 0 || i > 9)
			return -1;
		for (; i < 6; i++)
			frac *= 10;
	}
	if (*p)
		return -1;
	if (frac)
		snprintf(out, 24, "%02u:%02u:%02u.%06lu", (unsigned)h % 24,
		    (unsigned)m % 60, (unsigned)sec % 60,
		    (unsigned long)frac % 1000000);
	else
		snprintf(out, 24, "%02u:%02u:%02u", (unsigned)h % 24,
		    (unsigned)m % 60, (unsigned)sec % 60);
	return 0;
}

/* Canonical DATETIME "YYYY-MM-DDTHH:MM:SS[.ffffff]"; 0 or -1. */
static int
canon_datetime(const char *s, char out[48])
{
	char d[16], t[24], tmp[16];

	if (strlen(s) < 10)
		return -1;
	memcpy(tmp, s, 10);
	tmp[10] = '\0';
	if (canon_date(tmp, d) == -1)
		return -1;
	if (s[10] == '\0') {
		snprintf(out, 48, "%sT00:00:00", d);
		return 0;
	}
	if ((s[10] != ' ' && s[10] != 'T' && s[10] != 't') ||
	    canon_time(s + 11, t) == -1)
		return -1;
	snprintf(out, 48, "%sT%s", d, t);
	return 0;
}

/* Canonical NUMERIC text: optional '-', digits, optional fraction. */
static int
canon_numeric(const char *s, int maxfrac, char **out)
{
	const char *p = s, *ip, *fp = NULL;
	size_t il = 0, fl = 0;
	int neg = 0;
	struct strbuf sb = STRBUF_INIT;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	ip = p;
	while (isdigit((unsigned char)*p))
		p++, il++;
	if (*p == '.') {
		fp = ++p;
		while (isdigit((unsigned char)*p))
			p++, fl++;
	}
	if (*p || il + fl == 0 || (int)fl > maxfrac)
		return -1;
	while (il > 1 && *ip == '0')
		ip++, il--;
	while (fl > 0 && fp[fl - 1] == '0')
		fl--;
	if (il == 0) {
		ip = "0";
		il = 1;
	}
	if (neg && !(il == 1 && *ip == '0' && fl == 0))
		strbuf_addch(&sb, '-');
	strbuf_add(&sb, ip, il);
	if (fl) {
		strbuf_addch(&sb, '.');
		strbuf_add(&sb, fp, fl);
	}
	*out = strbuf_detach(&sb, NULL);
	return 0;
}

static int
parse_int64(const char *s, int64_t *v)
{
	char *end;
	long long x;

	errno = 0;
	x = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return -1;
	*v = x;
	return 0;
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Decodes standard (or url-safe) base64; returns malloc'd bytes or NULL. */
static char *
b64_decode(const char *s, size_t *outlen)
{
	size_t n = strlen(s), i, o = 0;
	char *out = xmalloc(n / 4 * 3 + 4);
	unsigned acc = 0;
	int bits = 0, v, pad = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '=') {
			pad++;
			continue;
		}
		if (pad || (v = b64val((unsigned char)s[i])) < 0) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	*outlen = o;
	return out;
}

int
emusql_value_from_text(enum emu_type t, const char *s, struct emusql_bind *b,
    struct bq_err *err)
{
	char buf[48];
	char *c = NULL;

	memset(b, 0, sizeof(*b));
	b->type = t;
	switch (t) {
	case EMU_T_INT64:
		if (parse_int64(s, &b->i) == -1)
			goto bad;
		return 0;
	case EMU_T_FLOAT64: {
		char *end;

		if (strcasecmp(s, "NaN") == 0)
			b->d = NAN;
		else if (strcasecmp(s, "Infinity") == 0 ||
		    strcasecmp(s, "inf") == 0)
			b->d = INFINITY;
		else if (strcasecmp(s, "-Infinity") == 0 ||
		    strcasecmp(s, "-inf") == 0)
			b->d = -INFINITY;
		else {
			b->d = strtod(s, &end);
			if (end == s || *end)
				goto bad;
		}
		return 0;
	}
	case EMU_T_BOOL:
		if (strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0)
			b->i = 1;
		else if (strcasecmp(s, "false") == 0 || strcmp(s, "0") == 0)
			b->i = 0;
		else
			goto bad;
		return 0;
	case EMU_T_TIMESTAMP:
		if (ts_parse(s, &b->i) == 0)
			return 0;
		goto bad;
	case EMU_T_DATE:
		if (canon_date(s, buf) == -1)
			goto bad;
		c = xstrdup(buf);
		break;
	case EMU_T_TIME:
		if (canon_time(s, buf) == -1)
			goto bad;
		c = xstrdup(buf);
		break;
	case EMU_T_DATETIME:
		if (canon_datetime(s, buf) == -1)
			goto bad;
		c = xstrdup(buf);
		break;
	case EMU_T_NUMERIC:
	case EMU_T_BIGNUMERIC:
		if (canon_numeric(s, t == EMU_T_NUMERIC ? 9 : 38, &c) == -1)
			goto bad;
		break;
	case EMU_T_BYTES:
		if ((b->s = b64_decode(s, &b->len)) == NULL)
			goto bad;
		return 0;
	case EMU_T_JSON: {
		cJSON *j = cJSON_Parse(s);

		if (j == NULL)
			goto bad;
		c = cJSON_PrintUnformatted(j);
		cJSON_Delete(j);
		break;
	}
	default:
		c = xstrdup(s);
		break;
	}
	b->s = c;
	b->len = strlen(c);
	return 0;
bad:
	return bq_err_set(err, EXIT_DATA, "Invalid %s value: %s",
	    emusql_type_name(t), s);
}

/* ------------------------------------------------------------------ */
/* SQL functions                                                        */

static int
sql_null_arg(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	int i;

	for (i = 0; i < argc; i++)
		if (sqlite3_value_type(argv[i]) == SQLITE_NULL) {
			sqlite3_result_null(cx);
			return 1;
		}
	return 0;
}

static void
sql_error(sqlite3_context *cx, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	sqlite3_result_error(cx, msg, -1);
}

static void
fn_farm_fingerprint(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	const void *p;
	int n;

	if (sql_null_arg(cx, argc, argv))
		return;
	if (sqlite3_value_type(argv[0]) == SQLITE_BLOB)
		p = sqlite3_value_blob(argv[0]);
	else
		p = sqlite3_value_text(argv[0]);
	n = sqlite3_value_bytes(argv[0]);
	sqlite3_result_int64(cx, hash_farm_fingerprint(p ? p : "", (size_t)n));
}

static void
fn_mod(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	int64_t a, b;

	if (sql_null_arg(cx, argc, argv))
		return;
	a = sqlite3_value_int64(argv[0]);
	b = sqlite3_value_int64(argv[1]);
	if (b == 0) {
		sql_error(cx, "division by zero: MOD(%" PRId64 ", %" PRId64 ")",
		    a, b);
		return;
	}
	sqlite3_result_int64(cx, b == -1 ? 0 : a % b);
}

static void
fn_abs(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	int64_t a;

	if (sql_null_arg(cx, argc, argv))
		return;
	if (sqlite3_value_type(argv[0]) == SQLITE_FLOAT) {
		sqlite3_result_double(cx, fabs(sqlite3_value_double(argv[0])));
		return;
	}
	a = sqlite3_value_int64(argv[0]);
	if (a == INT64_MIN) {
		sql_error(cx, "int64 overflow: ABS(%" PRId64 ")", a);
		return;
	}
	sqlite3_result_int64(cx, a < 0 ? -a : a);
}

/* bq_iarith(op, a, b): INT64 + - * with BigQuery's overflow error. */
static void
fn_iarith(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	int64_t a, b, r = 0;
	int op, ovf = 0;

	if (sql_null_arg(cx, argc, argv))
		return;
	op = sqlite3_value_int(argv[0]);
	a = sqlite3_value_int64(argv[1]);
	b = sqlite3_value_int64(argv[2]);
	switch (op) {
	case '+': ovf = __builtin_add_overflow(a, b, &r); break;
	case '-': ovf = __builtin_sub_overflow(a, b, &r); break;
	default: ovf = __builtin_mul_overflow(a, b, &r); break;
	}
	if (ovf) {
		sql_error(cx, "int64 overflow: %" PRId64 " %c %" PRId64, a, op,
		    b);
		return;
	}
	sqlite3_result_int64(cx, r);
}

static void
fn_div(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	double a, b;
	int safe = sqlite3_value_int(argv[2]);

	if (sql_null_arg(cx, 2, argv))
		return;
	a = sqlite3_value_double(argv[0]);
	b = sqlite3_value_double(argv[1]);
	(void)argc;
	if (b == 0) {
		if (safe)
			sqlite3_result_null(cx);
		else
			sql_error(cx, "division by zero: %s / %s",
			    sqlite3_value_text(argv[0]),
			    sqlite3_value_text(argv[1]));
		return;
	}
	sqlite3_result_double(cx, a / b);
}

static int64_t
floordiv(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static void
fn_floordiv(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	if (sql_null_arg(cx, argc, argv))
		return;
	sqlite3_result_int64(cx, floordiv(sqlite3_value_int64(argv[0]),
	    sqlite3_value_int64(argv[1])));
}

static int
ts_in_range(sqlite3_context *cx, int64_t v)
{
	if (v < TS_MIN_MICROS || v > TS_MAX_MICROS) {
		sql_error(cx, "TIMESTAMP value is out of range: %" PRId64, v);
		return 0;
	}
	return 1;
}

static void
fn_ts_check(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	int64_t v;

	if (sql_null_arg(cx, argc, argv))
		return;
	v = sqlite3_value_int64(argv[0]);
	if (ts_in_range(cx, v))
		sqlite3_result_int64(cx, v);
}

static void
fn_ts_add(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	int64_t t, n, mult, d, r;

	if (sql_null_arg(cx, argc, argv))
		return;
	t = sqlite3_value_int64(argv[0]);
	n = sqlite3_value_int64(argv[1]);
	mult = sqlite3_value_int64(argv[2]);
	if (__builtin_mul_overflow(n, mult, &d) ||
	    __builtin_add_overflow(t, d, &r)) {
		sql_error(cx, "TIMESTAMP value is out of range");
		return;
	}
	if (ts_in_range(cx, r))
		sqlite3_result_int64(cx, r);
}

static void
fn_ts_diff(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	int64_t a, b, mult;

	if (sql_null_arg(cx, argc, argv))
		return;
	a = sqlite3_value_int64(argv[0]);
	b = sqlite3_value_int64(argv[1]);
	mult = sqlite3_value_int64(argv[2]);
	sqlite3_result_int64(cx, (a - b) / mult);
}

static void
fn_ts_trunc(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	int64_t t, days, rem, y;
	unsigned m, d;
	const char *u;

	if (sql_null_arg(cx, argc, argv))
		return;
	t = sqlite3_value_int64(argv[0]);
	u = (const char *)sqlite3_value_text(argv[1]);
	split_micros(t, &days, &rem);
	if (strcmp(u, "MICROSECOND") == 0)
		;
	else if (strcmp(u, "MILLISECOND") == 0)
		t = floordiv(t, 1000) * 1000;
	else if (strcmp(u, "SECOND") == 0)
		t = floordiv(t, 1000000) * 1000000;
	else if (strcmp(u, "MINUTE") == 0)
		t = floordiv(t, 60000000) * 60000000;
	else if (strcmp(u, "HOUR") == 0)
		t = floordiv(t, 3600000000LL) * 3600000000LL;
	else {
		if (strcmp(u, "WEEK") == 0) {
			/* 1970-01-01 was a Thursday; weeks start on Sunday. */
			days -= ((days + 4) % 7 + 7) % 7;
		} else if (strcmp(u, "DAY") != 0) {
			ts_civil_from_days(days, &y, &m, &d);
			if (strcmp(u, "MONTH") == 0)
				days = ts_days_from_civil(y, m, 1);
			else if (strcmp(u, "QUARTER") == 0)
				days = ts_days_from_civil(y, (m - 1) / 3 * 3 + 1,
				    1);
			else
				days = ts_days_from_civil(y, 1, 1);
		}
		t = days * 86400000000LL;
	}
	if (ts_in_range(cx, t))
		sqlite3_result_int64(cx, t);
}

/*
 * bq_case(s, upper): ASCII case mapping; non-ASCII text is refused rather
 * than mapped wrongly (GoogleSQL maps all of Unicode).
 */
static void
fn_case(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	const unsigned char *s;
	char *o;
	int n, i, up;

	if (sql_null_arg(cx, 1, argv))
		return;
	(void)argc;
	s = sqlite3_value_text(argv[0]);
	n = sqlite3_value_bytes(argv[0]);
	up = sqlite3_value_int(argv[1]);
	o = xmalloc((size_t)n + 1);
	for (i = 0; i < n; i++) {
		if (s[i] >= 0x80) {
			free(o);
			sql_error(cx, "%s of non-ASCII text is not supported by "
			    "bq-emulator", up ? "UPPER" : "LOWER");
			return;
		}
		o[i] = (char)(up ? toupper(s[i]) : tolower(s[i]));
	}
	sqlite3_result_text(cx, o, n, free);
}

static void
fn_from_hex(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	const char *s;
	size_t n, i, o;
	unsigned char *out;
	int hi, lo;

	if (sql_null_arg(cx, argc, argv))
		return;
	s = (const char *)sqlite3_value_text(argv[0]);
	n = strlen(s);
	out = xmalloc(n / 2 + 2);
	i = 0;
	o = 0;
	if (n % 2) {
		/* An odd count is read as if it had a leading zero. */
		if ((lo = isxdigit((unsigned char)s[0]) ?
		    (isdigit((unsigned char)s[0]) ? s[0] - '0' :
		    (tolower((unsigned char)s[0]) - 'a' + 10)) : -1) < 0)
			goto bad;
		out[o++] = (unsigned char)lo;
		i = 1;
	}
	for (; i < n; i += 2) {
		if (!isxdigit((unsigned char)s[i]) ||
		    !isxdigit((unsigned char)s[i + 1]))
			goto bad;
		hi = isdigit((unsigned char)s[i]) ? s[i] - '0' :
		    tolower((unsigned char)s[i]) - 'a' + 10;
		lo = isdigit((unsigned char)s[i + 1]) ? s[i + 1] - '0' :
		    tolower((unsigned char)s[i + 1]) - 'a' + 10;
		out[o++] = (unsigned char)(hi << 4 | lo);
	}
	sqlite3_result_blob(cx, out, (int)o, SQLITE_TRANSIENT);
	free(out);
	return;
bad:
	free(out);
	sql_error(cx, "Failed to decode invalid hexadecimal string: \"%s\"", s);
}

static void
fn_ts_parse(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	int64_t v;
	const char *s;

	if (sql_null_arg(cx, argc, argv))
		return;
	s = (const char *)sqlite3_value_text(argv[0]);
	if (ts_parse(s, &v) == -1) {
		if (argc > 1 && sqlite3_value_int(argv[1]))
			sqlite3_result_null(cx);
		else
			sql_error(cx, "Invalid timestamp: '%s'", s);
		return;
	}
	sqlite3_result_int64(cx, v);
}

static void
fn_ts_date(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	int64_t days, rem, y;
	unsigned m, d;
	char buf[24];

	if (sql_null_arg(cx, argc, argv))
		return;
	split_micros(sqlite3_value_int64(argv[0]), &days, &rem);
	ts_civil_from_days(days, &y, &m, &d);
	snprintf(buf, sizeof(buf), "%04" PRId64 "-%02u-%02u", y, m, d);
	sqlite3_result_text(cx, buf, -1, SQLITE_TRANSIENT);
}

/*
 * bq_cast(v, src, dst, safe): CAST between the storage forms; src and dst
 * are emu_type numbers.  SAFE_CAST yields NULL where CAST fails.
 */
static void
fn_cast(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	enum emu_type src, dst;
	int safe;
	char buf[48];
	const char *s;
	int64_t i;
	double d;
	struct emusql_bind b;
	struct bq_err err = BQ_ERR_INIT;

	if (sql_null_arg(cx, 1, argv))
		return;
	(void)argc;
	src = (enum emu_type)sqlite3_value_int(argv[1]);
	dst = (enum emu_type)sqlite3_value_int(argv[2]);
	safe = sqlite3_value_int(argv[3]);
	if (dst == EMU_T_STRING) {
		switch (src) {
		case EMU_T_TIMESTAMP:
			emusql_format_ts_string(sqlite3_value_int64(argv[0]),
			    buf);
			break;
		case EMU_T_BOOL:
			snprintf(buf, sizeof(buf), "%s",
			    sqlite3_value_int(argv[0]) ? "true" : "false");
			break;
		case EMU_T_FLOAT64:
			d = sqlite3_value_double(argv[0]);
			if (isnan(d) || isinf(d))
				snprintf(buf, sizeof(buf), "%s", isnan(d) ?
				    "nan" : d < 0 ? "-inf" : "inf");
			else {
				int prec;

				/* The shortest text that reads back the same. */
				for (prec = 1; prec <= 17; prec++) {
					snprintf(buf, sizeof(buf), "%.*g", prec,
					    d);
					if (strtod(buf, NULL) == d)
						break;
				}
			}
			break;
		case EMU_T_INT64:
			snprintf(buf, sizeof(buf), "%lld",
			    (long long)sqlite3_value_int64(argv[0]));
			break;
		case EMU_T_DATETIME:
			/* CAST(DATETIME AS STRING) uses a space. */
			snprintf(buf, sizeof(buf), "%s",
			    sqlite3_value_text(argv[0]));
			if (strlen(buf) > 10)
				buf[10] = ' ';
			break;
		default:
			sqlite3_result_value(cx, argv[0]);
			if (src == EMU_T_BYTES)
				sqlite3_result_text(cx,
				    (const char *)sqlite3_value_blob(argv[0]),
				    sqlite3_value_bytes(argv[0]),
				    SQLITE_TRANSIENT);
			return;
		}
		sqlite3_result_text(cx, buf, -1, SQLITE_TRANSIENT);
		return;
	}
	if (src == EMU_T_STRING) {
		s = (const char *)sqlite3_value_text(argv[0]);
		if (dst == EMU_T_BYTES) {
			sqlite3_result_blob(cx, s, sqlite3_value_bytes(argv[0]),
			    SQLITE_TRANSIENT);
			return;
		}
		if ((dst == EMU_T_BOOL && strcasecmp(s, "true") != 0 &&
		    strcasecmp(s, "false") != 0) ||
		    emusql_value_from_text(dst, s, &b, &err) == -1) {
			if (safe)
				sqlite3_result_null(cx);
			else
				sql_error(cx, "Bad %s value: %s",
				    emusql_type_name(dst), s);
			return;
		}
		if (dst == EMU_T_INT64 || dst == EMU_T_BOOL ||
		    dst == EMU_T_TIMESTAMP)
			sqlite3_result_int64(cx, b.i);
		else if (dst == EMU_T_FLOAT64)
			sqlite3_result_double(cx, b.d);
		else
			sqlite3_result_text(cx, b.s, (int)b.len,
			    SQLITE_TRANSIENT);
		free(b.s);
		return;
	}
	if (dst == EMU_T_INT64 && src == EMU_T_FLOAT64) {
		d = sqlite3_value_double(argv[0]);
		d = round(d);	/* half away from zero, as BigQuery */
		if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) {
			if (safe)
				sqlite3_result_null(cx);
			else
				sql_error(cx, "Illegal conversion of "
				    "non-finite or out-of-range floating "
				    "point number to an integer");
			return;
		}
		sqlite3_result_int64(cx, (int64_t)d);
		return;
	}
	if (dst == EMU_T_FLOAT64) {
		sqlite3_result_double(cx, sqlite3_value_double(argv[0]));
		return;
	}
	if (dst == EMU_T_BOOL) {
		sqlite3_result_int(cx, sqlite3_value_int64(argv[0]) != 0);
		return;
	}
	if (dst == EMU_T_INT64 && src == EMU_T_BOOL) {
		sqlite3_result_int64(cx, sqlite3_value_int64(argv[0]));
		return;
	}
	if (dst == EMU_T_DATE && src == EMU_T_TIMESTAMP) {
		fn_ts_date(cx, 1, argv);
		return;
	}
	if (dst == EMU_T_TIMESTAMP && src == EMU_T_DATE) {
		i = 0;
		if (ts_parse((const char *)sqlite3_value_text(argv[0]), &i) ==
		    0) {
			sqlite3_result_int64(cx, i);
			return;
		}
	}
	if (dst == src) {
		sqlite3_result_value(cx, argv[0]);
		return;
	}
	sql_error(cx, "Invalid cast from %s to %s", emusql_type_name(src),
	    emusql_type_name(dst));
}

int
emusql_register(sqlite3 *db)
{
	static const struct {
		const char *name;
		int nargs;
		void (*fn)(sqlite3_context *, int, sqlite3_value **);
	} fns[] = {
		{ "bq_farm_fingerprint", 1, fn_farm_fingerprint },
		{ "bq_mod", 2, fn_mod },
		{ "bq_abs", 1, fn_abs },
		{ "bq_iarith", 3, fn_iarith },
		{ "bq_div", 3, fn_div },
		{ "bq_floordiv", 2, fn_floordiv },
		{ "bq_ts_check", 1, fn_ts_check },
		{ "bq_ts_add", 3, fn_ts_add },
		{ "bq_ts_diff", 3, fn_ts_diff },
		{ "bq_ts_trunc", 2, fn_ts_trunc },
		{ "bq_from_hex", 1, fn_from_hex },
		{ "bq_case", 2, fn_case },
		{ "bq_ts_parse", -1, fn_ts_parse },
		{ "bq_ts_date", 1, fn_ts_date },
		{ "bq_cast", 4, fn_cast },
	};
	size_t i;
	int rc;

	/* GoogleSQL's LIKE is case-sensitive. */
	rc = sqlite3_exec(db, "PRAGMA case_sensitive_like = ON", NULL, NULL,
	    NULL);
	if (rc != SQLITE_OK)
		return rc;
	for (i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		rc = sqlite3_create_function(db, fns[i].name, fns[i].nargs,
		    SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, fns[i].fn, NULL,
		    NULL);
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}

/* ------------------------------------------------------------------ */
/* Tokenizer                                                            */

enum tk { TK_EOF, TK_IDENT, TK_QIDENT, TK_STRING, TK_BYTES, TK_INT, TK_FLOAT,
	TK_PARAM, TK_QMARK, TK_OP };

struct tok {
	enum tk	 k;
	char	*v;		/* decoded text (NUL-terminated) */
	size_t	 len;		/* decoded length (bytes literals) */
	int	 line, col;
};

struct lexer {
	const char	*s;
	size_t		 i;
	int		 line, linestart;
};

static int
lex_string(struct lexer *lx, int raw, struct strbuf *out)
{
	char q = lx->s[lx->i++];
	const char *s = lx->s;

	for (;;) {
		char c = s[lx->i];

		if (c == '\0' || c == '\n')
			return -1;
		lx->i++;
		if (c == q)
			return 0;
		if (c == '\\' && !raw) {
			c = s[lx->i++];
			switch (c) {
			case 'n': strbuf_addch(out, '\n'); break;
			case 't': strbuf_addch(out, '\t'); break;
			case 'r': strbuf_addch(out, '\r'); break;
			case '0': strbuf_addch(out, '\0'); break;
			case '\\': case '\'': case '"': case '`': case '?':
				strbuf_addch(out, c);
				break;
			default:
				return -1;
			}
		} else if (c == '\\' && raw) {
			strbuf_addch(out, c);
			if (s[lx->i] == q || s[lx->i] == '\\')
				strbuf_addch(out, s[lx->i++]);
		} else
			strbuf_addch(out, c);
	}
}

/* Splits sql into tokens; returns the count or -1 (err set). */
static int
lex(const char *sql, struct tok **out, size_t *n, struct bq_err *err)
{
	struct lexer lx = { sql, 0, 1, 0 };
	struct tok *t = NULL;
	size_t nt = 0, at = 0;
	const char *s = sql;

	for (;;) {
		struct tok k;
		struct strbuf sb = STRBUF_INIT;
		char c;
		size_t st;

		while (s[lx.i]) {
			c = s[lx.i];
			if (c == '\n') {
				lx.line++;
				lx.linestart = (int)lx.i + 1;
				lx.i++;
			} else if (isspace((unsigned char)c))
				lx.i++;
			else if (c == '#' || (c == '-' && s[lx.i + 1] == '-')) {
				while (s[lx.i] && s[lx.i] != '\n')
					lx.i++;
			} else if (c == '/' && s[lx.i + 1] == '*') {
				const char *e = strstr(s + lx.i + 2, "*/");

				if (e == NULL)
					goto bad;
				for (; s + lx.i < e + 2; lx.i++)
					if (s[lx.i] == '\n') {
						lx.line++;
						lx.linestart = (int)lx.i + 1;
					}
			} else
				break;
		}
		memset(&k, 0, sizeof(k));
		k.line = lx.line;
		k.col = (int)lx.i - lx.linestart + 1;
		c = s[lx.i];
		st = lx.i;
		if (c == '\0') {
			k.k = TK_EOF;
			k.v = xstrdup("");
		} else if ((c == 'r' || c == 'R' || c == 'b' || c == 'B') &&
		    (s[lx.i + 1] == '\'' || s[lx.i + 1] == '"' ||
		    ((s[lx.i + 1] == 'r' || s[lx.i + 1] == 'R' ||
		    s[lx.i + 1] == 'b' || s[lx.i + 1] == 'B') &&
		    (s[lx.i + 2] == '\'' || s[lx.i + 2] == '"')))) {
			int raw = 0, bytes = 0;

			while (s[lx.i] != '\'' && s[lx.i] != '"') {
				if (s[lx.i] == 'r' || s[lx.i] == 'R')
					raw = 1;
				else
					bytes = 1;
				lx.i++;
			}
			if (lex_string(&lx, raw, &sb) == -1)
				goto bad;
			k.k = bytes ? TK_BYTES : TK_STRING;
			k.len = sb.len;
			k.v = sb.buf ? strbuf_detach(&sb, NULL) : xstrdup("");
		} else if (isalpha((unsigned char)c) || c == '_') {
			while (isalnum((unsigned char)s[lx.i]) || s[lx.i] == '_')
				lx.i++;
			k.k = TK_IDENT;
			k.v = xstrndup(s + st, lx.i - st);
		} else if (c == '`') {
			const char *e = strchr(s + lx.i + 1, '`');

			if (e == NULL || e == s + lx.i + 1)
				goto bad;
			k.k = TK_QIDENT;
			k.v = xstrndup(s + lx.i + 1, (size_t)(e - s - lx.i - 1));
			lx.i = (size_t)(e - s) + 1;
		} else if (c == '\'' || c == '"') {
			if (lex_string(&lx, 0, &sb) == -1)
				goto bad;
			k.k = TK_STRING;
			k.len = sb.len;
			k.v = sb.buf ? strbuf_detach(&sb, NULL) : xstrdup("");
		} else if (isdigit((unsigned char)c) ||
		    (c == '.' && isdigit((unsigned char)s[lx.i + 1]))) {
			k.k = TK_INT;
			if (c == '0' && (s[lx.i + 1] == 'x' || s[lx.i + 1] == 'X')) {
				lx.i += 2;
				while (isxdigit((unsigned char)s[lx.i]))
					lx.i++;
			} else {
				while (isdigit((unsigned char)s[lx.i]))
					lx.i++;
				if (s[lx.i] == '.') {
					k.k = TK_FLOAT;
					lx.i++;
					while (isdigit((unsigned char)s[lx.i]))
						lx.i++;
				}
				if (s[lx.i] == 'e' || s[lx.i] == 'E') {
					k.k = TK_FLOAT;
					lx.i++;
					if (s[lx.i] == '+' || s[lx.i] == '-')
						lx.i++;
					if (!isdigit((unsigned char)s[lx.i]))
						goto bad;
					while (isdigit((unsigned char)s[lx.i]))
						lx.i++;
				}
			}
			if (isalpha((unsigned char)s[lx.i]) || s[lx.i] == '_')
				goto bad;
			k.v = xstrndup(s + st, lx.i - st);
		} else if (c == '@' && (isalpha((unsigned char)s[lx.i + 1]) ||
		    s[lx.i + 1] == '_')) {
			lx.i++;
			while (isalnum((unsigned char)s[lx.i]) || s[lx.i] == '_')
				lx.i++;
			k.k = TK_PARAM;
			k.v = xstrndup(s + st + 1, lx.i - st - 1);
		} else if (c == '?') {
			lx.i++;
			k.k = TK_QMARK;
			k.v = xstrdup("?");
		} else {
			static const char *two[] = { "<=", ">=", "<>", "!=",
			    "||", "<<", ">>" };
			size_t j;

			k.k = TK_OP;
			for (j = 0; j < sizeof(two) / sizeof(two[0]); j++)
				if (strncmp(s + lx.i, two[j], 2) == 0)
					break;
			if (j < sizeof(two) / sizeof(two[0]))
				lx.i += 2;
			else if (strchr("(),.;=<>+-*/[]~&|^", c))
				lx.i++;
			else
				goto bad;
			k.v = xstrndup(s + st, lx.i - st);
		}
		if (nt == at) {
			at = at ? at * 2 : 32;
			t = xrealloc(t, at * sizeof(*t));
		}
		t[nt++] = k;
		if (k.k == TK_EOF)
			break;
		continue;
bad:
		strbuf_release(&sb);
		bq_err_set(err, EXIT_DATA, "Syntax error: Unexpected "
		    "character at [%d:%d]", lx.line,
		    (int)lx.i - lx.linestart + 1);
		err->http_status = 400;
		while (nt > 0)
			free(t[--nt].v);
		free(t);
		return -1;
	}
	*out = t;
	*n = nt;
	return 0;
}

/* ------------------------------------------------------------------ */
/* Parser                                                               */

enum { LIT_NONE, LIT_STRING, LIT_NULL, LIT_INT };

struct ex {
	struct strbuf	 sql;
	enum emu_type	 type;
	int		 lit;
	char		*str;		/* string literal value */
	int64_t		 ival;		/* integer literal value */
	int		 agg;
	const cJSON	*field;		/* nested column's schema field */
	char		*name;		/* implied output column name */
};

struct sel {
	int	 agg_depth;
	int	 has_agg;
	int	 track;
	char	**bare;
	size_t	 nbare;
};

struct scope {
	struct emusql_col *cols;
	size_t	 ncols;
	char	 qual[64];
	char	*alias;
	struct scope *outer;
	struct sel *sel;
};

struct parser {
	struct tok	*t;
	size_t		 n, i;
	const struct emusql_ctx *ctx;
	struct bq_err	*err;
	struct emusql_query *q;
	int		 nqual;
	char		**pnames;	/* named parameter -> bind index */
	int		*pidx;
	size_t		 npnames;
	int		 npos;		/* positional parameters used */
};

static void
ex_init(struct ex *e)
{
	memset(e, 0, sizeof(*e));
	strbuf_init(&e->sql, 0);
}

static void
ex_release(struct ex *e)
{
	strbuf_release(&e->sql);
	free(e->str);
	free(e->name);
	memset(e, 0, sizeof(*e));
}

static void
ex_set(struct ex *e, enum emu_type t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Replaces e's SQL by fmt (which may use the old text via "%s"). */
static void
ex_set(struct ex *e, enum emu_type t, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	strbuf_init(&sb, 0);
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	strbuf_release(&e->sql);
	e->sql = sb;
	e->type = t;
	e->lit = LIT_NONE;
	e->field = NULL;
	free(e->name);
	e->name = NULL;
}

static struct tok *
peek(struct parser *p)
{
	return &p->t[p->i];
}

static struct tok *
peek2(struct parser *p, size_t k)
{
	return p->i + k < p->n ? &p->t[p->i + k] : &p->t[p->n - 1];
}

static int
is_kw(const struct tok *t, const char *kw)
{
	return t->k == TK_IDENT && strcasecmp(t->v, kw) == 0;
}

static int
is_op(const struct tok *t, const char *op)
{
	return t->k == TK_OP && strcmp(t->v, op) == 0;
}

static int
accept_kw(struct parser *p, const char *kw)
{
	if (is_kw(peek(p), kw)) {
		p->i++;
		return 1;
	}
	return 0;
}

static int
accept_op(struct parser *p, const char *op)
{
	if (is_op(peek(p), op)) {
		p->i++;
		return 1;
	}
	return 0;
}

static int perr(struct parser *, const struct tok *, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static int
perr(struct parser *p, const struct tok *t, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	if (p->err->kind)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (t == NULL)
		t = peek(p);
	bq_err_set(p->err, EXIT_DATA, "%s at [%d:%d]", msg, t->line, t->col);
	p->err->http_status = 400;
	return -1;
}

static int
unexpected(struct parser *p)
{
	struct tok *t = peek(p);

	if (t->k == TK_EOF)
		return perr(p, t, "Syntax error: Unexpected end of script");
	if (t->k == TK_IDENT && t->v)
		return perr(p, t, "Syntax error: Unexpected keyword or "
		    "identifier %s", t->v);
	return perr(p, t, "Syntax error: Unexpected \"%s\"", t->v);
}

static int
expect_op(struct parser *p, const char *op)
{
	if (accept_op(p, op))
		return 0;
	return unexpected(p);
}

static int
expect_kw(struct parser *p, const char *kw)
{
	if (accept_kw(p, kw))
		return 0;
	return unexpected(p);
}

static const char *reserved[] = { "ALL", "AND", "ANY", "ARRAY", "AS", "ASC",
	"ASSERT_ROWS_MODIFIED", "AT", "BETWEEN", "BY", "CASE", "CAST",
	"COLLATE", "CONTAINS", "CREATE", "CROSS", "CUBE", "CURRENT",
	"DEFAULT", "DEFINE", "DESC", "DISTINCT", "ELSE", "END", "ENUM",
	"ESCAPE", "EXCEPT", "EXCLUDE", "EXISTS", "EXTRACT", "FALSE", "FETCH",
	"FOLLOWING", "FOR", "FROM", "FULL", "GROUP", "GROUPING", "GROUPS",
	"HASH", "HAVING", "IF", "IGNORE", "IN", "INNER", "INTERSECT",
	"INTERVAL", "INTO", "IS", "JOIN", "LATERAL", "LEFT", "LIKE", "LIMIT",
	"LOOKUP", "MERGE", "NATURAL", "NEW", "NO", "NOT", "NULL", "NULLS",
	"OF", "ON", "OR", "ORDER", "OUTER", "OVER", "PARTITION", "PRECEDING",
	"PROTO", "QUALIFY", "RANGE", "RECURSIVE", "RESPECT", "RIGHT",
	"ROLLUP", "ROWS", "SELECT", "SET", "SOME", "STRUCT", "TABLESAMPLE",
	"THEN", "TO", "TREAT", "TRUE", "UNBOUNDED", "UNION", "UNNEST",
	"USING", "WHEN", "WHERE", "WINDOW", "WITH", "WITHIN", "OFFSET" };

static int
is_reserved(const struct tok *t)
{
	size_t i;

	if (t->k != TK_IDENT)
		return 0;
	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcasecmp(t->v, reserved[i]) == 0)
			return 1;
	return 0;
}

static int
add_bind(struct parser *p, const struct emusql_bind *b)
{
	struct emusql_query *q = p->q;

	q->binds = xrealloc(q->binds, (q->nbinds + 1) * sizeof(*q->binds));
	q->binds[q->nbinds++] = *b;
	return (int)q->nbinds;
}

static void
add_sql_quoted(struct strbuf *sb, const char *name)
{
	strbuf_addch(sb, '"');
	for (; *name; name++) {
		if (*name == '"')
			strbuf_addch(sb, '"');
		strbuf_addch(sb, *name);
	}
	strbuf_addch(sb, '"');
}

static int parse_expr(struct parser *, struct scope *, struct ex *);
static int parse_query(struct parser *, struct scope *, struct strbuf *,
    struct emusql_col **, size_t *);

static void
cols_free(struct emusql_col *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(c[i].name);
		cJSON_Delete(c[i].field);
	}
	free(c);
}

/* Makes NULL literals and string literals take type t where BigQuery would. */
static int
coerce(struct parser *p, struct ex *e, enum emu_type t, const struct tok *at)
{
	struct emusql_bind b;
	struct bq_err err = BQ_ERR_INIT;
	int idx;

	if (e->type == t)
		return 0;
	if (e->lit == LIT_NULL) {
		e->type = t;
		return 0;
	}
	if (e->lit != LIT_STRING)
		return 0;
	switch (t) {
	case EMU_T_TIMESTAMP: case EMU_T_DATE: case EMU_T_DATETIME:
	case EMU_T_TIME: case EMU_T_NUMERIC: case EMU_T_BIGNUMERIC:
		break;
	default:
		return 0;
	}
	if (emusql_value_from_text(t, e->str, &b, &err) == -1)
		return perr(p, at, "Could not cast literal \"%s\" to type %s",
		    e->str, t == EMU_T_TIMESTAMP ? "TIMESTAMP" :
		    emusql_type_name(t));
	idx = add_bind(p, &b);
	ex_set(e, t, "?%d", idx);
	return 0;
}

static int
is_numeric(enum emu_type t)
{
	return t == EMU_T_INT64 || t == EMU_T_FLOAT64;
}

/* Checks that a and b can be compared (coercing literals first). */
static int
comparable(struct parser *p, struct ex *a, struct ex *b, const char *op,
    const struct tok *at)
{
	if (coerce(p, a, b->type, at) == -1 || coerce(p, b, a->type, at) == -1)
		return -1;
	if (a->type == EMU_T_NULL || b->type == EMU_T_NULL)
		return 0;
	if (a->type == b->type || (is_numeric(a->type) && is_numeric(b->type))) {
		if (a->type == EMU_T_NESTED || a->type == EMU_T_JSON ||
		    a->type == EMU_T_GEOGRAPHY)
			goto bad;
		if ((a->type == EMU_T_NUMERIC || a->type == EMU_T_BIGNUMERIC) &&
		    strcmp(op, "=") != 0 && strcmp(op, "!=") != 0)
			return perr(p, at, "Ordering NUMERIC values is not "
			    "supported by bq-emulator");
		return 0;
	}
bad:
	return perr(p, at, "No matching signature for operator %s for "
	    "argument types: %s, %s", op, emusql_type_name(a->type),
	    emusql_type_name(b->type));
}

static int
need_type(struct parser *p, struct ex *e, enum emu_type t, const char *fn,
    const struct tok *at)
{
	if (coerce(p, e, t, at) == -1)
		return -1;
	if (e->type == t || e->type == EMU_T_NULL ||
	    (t == EMU_T_FLOAT64 && e->type == EMU_T_INT64))
		return 0;
	return perr(p, at, "No matching signature for function %s for "
	    "argument types: %s", fn, emusql_type_name(e->type));
}

/* Common supertype of a CASE/IF/COALESCE result; -1 if none. */
static int
supertype(struct parser *p, enum emu_type *acc, struct ex *e,
    const struct tok *at)
{
	if (*acc == EMU_T_NULL) {
		*acc = e->type;
		return 0;
	}
	if (coerce(p, e, *acc, at) == -1)
		return -1;
	if (e->type == EMU_T_NULL || e->type == *acc)
		return 0;
	if (is_numeric(e->type) && is_numeric(*acc)) {
		*acc = EMU_T_FLOAT64;
		return 0;
	}
	return perr(p, at, "No common supertype for %s and %s",
	    emusql_type_name(*acc), emusql_type_name(e->type));
}

static int
param_value(struct parser *p, const cJSON *prm, const struct tok *at,
    struct emusql_bind *b, enum emu_type *t)
{
	const cJSON *pt, *ty, *pv, *v;
	char num[64];
	const char *s;
	struct bq_err err = BQ_ERR_INIT;

	pt = cJSON_GetObjectItemCaseSensitive(prm, "parameterType");
	ty = cJSON_GetObjectItemCaseSensitive(pt, "type");
	if (!cJSON_IsString(ty) || emusql_type_parse(ty->valuestring, t) == -1
	    || *t == EMU_T_NESTED)
		return perr(p, at, "Query parameter type %s is not supported "
		    "by bq-emulator", cJSON_IsString(ty) ? ty->valuestring :
		    "(missing)");
	pv = cJSON_GetObjectItemCaseSensitive(prm, "parameterValue");
	v = cJSON_GetObjectItemCaseSensitive(pv, "value");
	memset(b, 0, sizeof(*b));
	b->type = *t;
	if (v == NULL || cJSON_IsNull(v)) {
		b->is_null = 1;
		return 0;
	}
	if (cJSON_IsString(v))
		s = v->valuestring;
	else if (cJSON_IsNumber(v)) {
		if (v->valuedouble == floor(v->valuedouble) &&
		    fabs(v->valuedouble) < 9.007199254740992e15)
			snprintf(num, sizeof(num), "%.0f", v->valuedouble);
		else
			snprintf(num, sizeof(num), "%.17g", v->valuedouble);
		s = num;
	} else if (cJSON_IsBool(v))
		s = cJSON_IsTrue(v) ? "true" : "false";
	else
		return perr(p, at, "Invalid value of query parameter");
	if (emusql_value_from_text(*t, s, b, &err) == -1)
		return perr(p, at, "Query parameter: %s", err.msg);
	return 0;
}

static int
parse_param(struct parser *p, struct ex *e)
{
	struct tok *t = peek(p);
	const cJSON *prm = NULL, *it;
	struct emusql_bind b;
	enum emu_type ty;
	size_t i;
	int idx;

	p->i++;
	if (t->k == TK_PARAM) {
		for (i = 0; i < p->npnames; i++)
			if (strcasecmp(p->pnames[i], t->v) == 0) {
				ex_set(e, p->q->binds[p->pidx[i] - 1].type,
				    "?%d", p->pidx[i]);
				return 0;
			}
		cJSON_ArrayForEach(it, p->ctx->params) {
			const cJSON *nm = cJSON_GetObjectItemCaseSensitive(it,
			    "name");

			if (cJSON_IsString(nm) &&
			    strcasecmp(nm->valuestring, t->v) == 0)
				prm = it;
		}
		if (prm == NULL)
			return perr(p, t, "Query parameter '%s' not found",
			    t->v);
	} else {
		prm = cJSON_GetArrayItem(p->ctx->params, p->npos++);
		if (prm == NULL)
			return perr(p, t, "Query parameter number %d is not "
			    "defined", p->npos);
	}
	if (param_value(p, prm, t, &b, &ty) == -1)
		return -1;
	idx = add_bind(p, &b);
	if (t->k == TK_PARAM) {
		p->pnames = xrealloc(p->pnames, (p->npnames + 1) *
		    sizeof(*p->pnames));
		p->pidx = xrealloc(p->pidx, (p->npnames + 1) * sizeof(int));
		p->pnames[p->npnames] = t->v;
		p->pidx[p->npnames++] = idx;
	}
	ex_set(e, ty, "?%d", idx);
	return 0;
}

/* Resolves a column reference (path already known to be one). */
static int
column_ref(struct parser *p, struct scope *sc, struct tok *first,
    struct ex *e)
{
	struct tok *t2 = NULL;
	struct scope *s;
	size_t i;
	const char *name = first->v;

	if (is_op(peek(p), ".") && (peek2(p, 1)->k == TK_IDENT ||
	    peek2(p, 1)->k == TK_QIDENT)) {
		for (s = sc; s; s = s->outer)
			if (s->alias && strcasecmp(s->alias, first->v) == 0)
				break;
		if (s == NULL)
			goto plain;
		p->i++;
		t2 = peek(p);
		p->i++;
		name = t2->v;
		for (i = 0; i < s->ncols; i++)
			if (strcasecmp(s->cols[i].name, name) == 0)
				goto found;
		return perr(p, t2, "Name %s not found inside %s", name,
		    first->v);
	}
plain:
	for (s = sc; s; s = s->outer)
		for (i = 0; i < s->ncols; i++)
			if (strcasecmp(s->cols[i].name, name) == 0)
				goto found;
	return perr(p, first, "Unrecognized name: %s", name);
found:
	if (is_op(peek(p), ".") || is_op(peek(p), "["))
		return perr(p, peek(p), "Field access and array subscripts "
		    "are not supported by bq-emulator");
	ex_set(e, s->cols[i].type, "%s.", s->qual);
	add_sql_quoted(&e->sql, s->cols[i].name);
	e->field = s->cols[i].field;
	free(e->name);
	e->name = xstrdup(s->cols[i].name);
	if (s->sel && s->sel->track && s->sel->agg_depth == 0) {
		s->sel->bare = xrealloc(s->sel->bare, (s->sel->nbare + 1) *
		    sizeof(char *));
		s->sel->bare[s->sel->nbare++] = xstrdup(e->sql.buf);
	}
	return 0;
}

static int
parse_args(struct parser *p, struct scope *sc, struct ex *args, int max,
    int *n)
{
	*n = 0;
	if (accept_op(p, ")"))
		return 0;
	for (;;) {
		if (*n == max)
			return perr(p, NULL, "Too many arguments");
		ex_init(&args[*n]);
		(*n)++;
		if (parse_expr(p, sc, &args[*n - 1]) == -1)
			return -1;
		if (accept_op(p, ")"))
			return 0;
		if (expect_op(p, ",") == -1)
			return -1;
	}
}

static int64_t
unit_micros(const char *u)
{
	if (strcasecmp(u, "MICROSECOND") == 0) return 1;
	if (strcasecmp(u, "MILLISECOND") == 0) return 1000;
	if (strcasecmp(u, "SECOND") == 0) return 1000000;
	if (strcasecmp(u, "MINUTE") == 0) return 60000000;
	if (strcasecmp(u, "HOUR") == 0) return 3600000000LL;
	if (strcasecmp(u, "DAY") == 0) return 86400000000LL;
	return 0;
}

static int
parse_cast(struct parser *p, struct scope *sc, struct ex *e, int safe)
{
	struct tok *tt;
	enum emu_type dst;
	struct ex a;
	int rc = -1;

	ex_init(&a);
	if (expect_op(p, "(") == -1 || parse_expr(p, sc, &a) == -1 ||
	    expect_kw(p, "AS") == -1)
		goto out;
	tt = peek(p);
	if (tt->k != TK_IDENT || emusql_type_parse(tt->v, &dst) == -1 ||
	    dst == EMU_T_NESTED || dst == EMU_T_JSON ||
	    dst == EMU_T_GEOGRAPHY) {
		perr(p, tt, "CAST to %s is not supported by bq-emulator",
		    tt->v);
		goto out;
	}
	p->i++;
	if (expect_op(p, ")") == -1)
		goto out;
	if (a.lit == LIT_STRING && dst != EMU_T_STRING && dst != EMU_T_BYTES &&
	    !safe) {
		if (coerce(p, &a, dst, tt) == -1)
			goto out;
	}
	if (a.type == dst || a.type == EMU_T_NULL) {
		ex_set(e, dst, "%s", a.sql.buf);
	} else if (a.type == EMU_T_INT64 && dst == EMU_T_FLOAT64) {
		ex_set(e, dst, "CAST(%s AS REAL)", a.sql.buf);
	} else if (a.type == EMU_T_INT64 && dst == EMU_T_STRING) {
		ex_set(e, dst, "CAST(%s AS TEXT)", a.sql.buf);
	} else {
		int ok = 0;

		switch (dst) {
		case EMU_T_STRING:
			ok = a.type != EMU_T_NESTED && a.type != EMU_T_JSON;
			break;
		case EMU_T_INT64:
		case EMU_T_FLOAT64:
			ok = a.type == EMU_T_STRING || is_numeric(a.type) ||
			    a.type == EMU_T_BOOL;
			break;
		case EMU_T_BOOL:
			ok = a.type == EMU_T_STRING || a.type == EMU_T_INT64;
			break;
		case EMU_T_TIMESTAMP:
			ok = a.type == EMU_T_STRING || a.type == EMU_T_DATE;
			break;
		case EMU_T_DATE:
			ok = a.type == EMU_T_STRING ||
			    a.type == EMU_T_TIMESTAMP;
			break;
		case EMU_T_BYTES:
		case EMU_T_DATETIME:
		case EMU_T_TIME:
		case EMU_T_NUMERIC:
		case EMU_T_BIGNUMERIC:
			ok = a.type == EMU_T_STRING;
			break;
		default:
			break;
		}
		if (!ok) {
			perr(p, tt, "Invalid cast from %s to %s",
			    emusql_type_name(a.type), emusql_type_name(dst));
			goto out;
		}
		ex_set(e, dst, "bq_cast(%s, %d, %d, %d)", a.sql.buf,
		    (int)a.type, (int)dst, safe);
	}
	e->agg = a.agg;
	rc = 0;
out:
	ex_release(&a);
	return rc;
}

static int
parse_aggregate(struct parser *p, struct scope *sc, const char *fn,
    struct tok *ft, struct ex *e)
{
	struct ex a;
	int distinct = 0, rc = -1;
	struct sel *sl = sc ? sc->sel : NULL;

	ex_init(&a);
	if (sl)
		sl->agg_depth++;
	if (strcasecmp(fn, "COUNT") == 0 && is_op(peek(p), "*")) {
		p->i++;
		if (expect_op(p, ")") == -1)
			goto out;
		ex_set(e, EMU_T_INT64, "count(*)");
		goto done;
	}
	if (accept_kw(p, "DISTINCT"))
		distinct = 1;
	if (parse_expr(p, sc, &a) == -1)
		goto out;
	if (!accept_op(p, ")")) {
		perr(p, NULL, "Aggregate function %s: only one argument is "
		    "supported by bq-emulator", fn);
		goto out;
	}
	if (a.agg) {
		perr(p, ft, "Aggregations of aggregations are not allowed");
		goto out;
	}
	if (a.type == EMU_T_NESTED || a.type == EMU_T_JSON ||
	    a.type == EMU_T_GEOGRAPHY || a.type == EMU_T_NUMERIC ||
	    a.type == EMU_T_BIGNUMERIC) {
		if (strcasecmp(fn, "COUNT") != 0) {
			perr(p, ft, "%s of %s is not supported by "
			    "bq-emulator", fn, emusql_type_name(a.type));
			goto out;
		}
	}
	if (strcasecmp(fn, "COUNT") == 0)
		ex_set(e, EMU_T_INT64, "count(%s%s)", distinct ? "DISTINCT " :
		    "", a.sql.buf);
	else if (strcasecmp(fn, "COUNTIF") == 0) {
		if (need_type(p, &a, EMU_T_BOOL, fn, ft) == -1)
			goto out;
		ex_set(e, EMU_T_INT64, "count(%sCASE WHEN %s THEN 1 END)",
		    distinct ? "DISTINCT " : "", a.sql.buf);
	} else if (strcasecmp(fn, "SUM") == 0 || strcasecmp(fn, "AVG") == 0) {
		if (!is_numeric(a.type) && a.type != EMU_T_NULL) {
			perr(p, ft, "No matching signature for aggregate "
			    "function %s for argument types: %s", fn,
			    emusql_type_name(a.type));
			goto out;
		}
		ex_set(e, fn[0] == 'A' || fn[0] == 'a' ? EMU_T_FLOAT64 :
		    a.type == EMU_T_NULL ? EMU_T_INT64 : a.type, "%s(%s%s)",
		    fn[0] == 'A' || fn[0] == 'a' ? "avg" : "sum",
		    distinct ? "DISTINCT " : "", a.sql.buf);
	} else {
		const char *f = "min";

		if (strcasecmp(fn, "MAX") == 0 ||
		    strcasecmp(fn, "LOGICAL_OR") == 0)
			f = "max";
		if ((strcasecmp(fn, "LOGICAL_OR") == 0 ||
		    strcasecmp(fn, "LOGICAL_AND") == 0) &&
		    need_type(p, &a, EMU_T_BOOL, fn, ft) == -1)
			goto out;
		ex_set(e, a.type, "%s(%s)", f, a.sql.buf);
		e->field = a.field;
	}
done:
	e->agg = 1;
	if (sl)
		sl->has_agg = 1;
	rc = 0;
out:
	if (sl)
		sl->agg_depth--;
	ex_release(&a);
	return rc;
}

static int
is_aggregate(const char *fn)
{
	static const char *aggs[] = { "COUNT", "COUNTIF", "SUM", "AVG", "MIN",
	    "MAX", "ANY_VALUE", "LOGICAL_AND", "LOGICAL_OR" };
	size_t i;

	for (i = 0; i < sizeof(aggs) / sizeof(aggs[0]); i++)
		if (strcasecmp(fn, aggs[i]) == 0)
			return 1;
	return 0;
}

static int
parse_call(struct parser *p, struct scope *sc, struct tok *ft, struct ex *e)
{
	const char *fn = ft->v;
	struct ex a[16];
	int n = 0, rc = -1, i;
	struct tok *ut;
	int64_t m;

	if (is_aggregate(fn))
		return parse_aggregate(p, sc, fn, ft, e);
	if (strcasecmp(fn, "CAST") == 0 || strcasecmp(fn, "SAFE_CAST") == 0) {
		p->i--;
		return parse_cast(p, sc, e, fn[0] == 'S' || fn[0] == 's');
	}
	if (strcasecmp(fn, "TIMESTAMP_ADD") == 0 ||
	    strcasecmp(fn, "TIMESTAMP_SUB") == 0) {
		ex_init(&a[0]);
		ex_init(&a[1]);
		n = 2;
		if (parse_expr(p, sc, &a[0]) == -1 || expect_op(p, ",") == -1 ||
		    expect_kw(p, "INTERVAL") == -1 ||
		    parse_expr(p, sc, &a[1]) == -1)
			goto out;
		ut = peek(p);
		if (ut->k != TK_IDENT || (m = unit_micros(ut->v)) == 0) {
			perr(p, ut, "Unsupported date part %s", ut->v);
			goto out;
		}
		p->i++;
		if (expect_op(p, ")") == -1 ||
		    need_type(p, &a[0], EMU_T_TIMESTAMP, fn, ft) == -1 ||
		    need_type(p, &a[1], EMU_T_INT64, fn, ft) == -1)
			goto out;
		ex_set(e, EMU_T_TIMESTAMP, "bq_ts_add(%s, %s, %" PRId64 ")",
		    a[0].sql.buf, a[1].sql.buf,
		    (fn[10] == 'S' || fn[10] == 's') ? -m : m);
		goto done;
	}
	if (strcasecmp(fn, "TIMESTAMP_TRUNC") == 0 ||
	    strcasecmp(fn, "TIMESTAMP_DIFF") == 0) {
		int diff = fn[10] == 'D' || fn[10] == 'd';
		static const char *units[] = { "MICROSECOND", "MILLISECOND",
		    "SECOND", "MINUTE", "HOUR", "DAY", "WEEK", "MONTH",
		    "QUARTER", "YEAR" };
		size_t u;

		ex_init(&a[0]);
		ex_init(&a[1]);
		n = 2;
		if (parse_expr(p, sc, &a[0]) == -1 || expect_op(p, ",") == -1)
			goto out;
		if (diff && (parse_expr(p, sc, &a[1]) == -1 ||
		    expect_op(p, ",") == -1))
			goto out;
		ut = peek(p);
		for (u = 0; u < sizeof(units) / sizeof(units[0]); u++)
			if (ut->k == TK_IDENT && strcasecmp(ut->v, units[u]) == 0)
				break;
		if (u == sizeof(units) / sizeof(units[0]) ||
		    (diff && unit_micros(ut->v) == 0)) {
			perr(p, ut, "Unsupported date part %s", ut->v);
			goto out;
		}
		p->i++;
		if (expect_op(p, ")") == -1 ||
		    need_type(p, &a[0], EMU_T_TIMESTAMP, fn, ft) == -1)
			goto out;
		if (diff) {
			if (need_type(p, &a[1], EMU_T_TIMESTAMP, fn, ft) == -1)
				goto out;
			ex_set(e, EMU_T_INT64, "bq_ts_diff(%s, %s, %" PRId64
			    ")", a[0].sql.buf, a[1].sql.buf,
			    unit_micros(ut->v));
		} else
			ex_set(e, EMU_T_TIMESTAMP, "bq_ts_trunc(%s, '%s')",
			    a[0].sql.buf, units[u]);
		goto done;
	}
	if (parse_args(p, sc, a, 16, &n) == -1)
		goto out;
#define NARGS(lo, hi) do { if (n < (lo) || n > (hi)) { \
	perr(p, ft, "Number of arguments does not match for function %s", \
	    fn); goto out; } } while (0)
	if (strcasecmp(fn, "FARM_FINGERPRINT") == 0) {
		NARGS(1, 1);
		if (a[0].type != EMU_T_BYTES &&
		    need_type(p, &a[0], EMU_T_STRING, fn, ft) == -1)
			goto out;
		ex_set(e, EMU_T_INT64, "bq_farm_fingerprint(%s)", a[0].sql.buf);
	} else if (strcasecmp(fn, "MOD") == 0) {
		NARGS(2, 2);
		if (need_type(p, &a[0], EMU_T_INT64, fn, ft) == -1 ||
		    need_type(p, &a[1], EMU_T_INT64, fn, ft) == -1)
			goto out;
		ex_set(e, EMU_T_INT64, "bq_mod(%s, %s)", a[0].sql.buf,
		    a[1].sql.buf);
	} else if (strcasecmp(fn, "ABS") == 0) {
		NARGS(1, 1);
		if (!is_numeric(a[0].type) && a[0].type != EMU_T_NULL) {
			need_type(p, &a[0], EMU_T_INT64, fn, ft);
			goto out;
		}
		ex_set(e, a[0].type == EMU_T_NULL ? EMU_T_INT64 : a[0].type,
		    "bq_abs(%s)", a[0].sql.buf);
	} else if (strcasecmp(fn, "UNIX_MICROS") == 0 ||
	    strcasecmp(fn, "UNIX_MILLIS") == 0 ||
	    strcasecmp(fn, "UNIX_SECONDS") == 0) {
		NARGS(1, 1);
		if (need_type(p, &a[0], EMU_T_TIMESTAMP, fn, ft) == -1)
			goto out;
		if (strcasecmp(fn, "UNIX_MICROS") == 0)
			ex_set(e, EMU_T_INT64, "(%s)", a[0].sql.buf);
		else
			ex_set(e, EMU_T_INT64, "bq_floordiv(%s, %d)",
			    a[0].sql.buf, strcasecmp(fn, "UNIX_MILLIS") == 0 ?
			    1000 : 1000000);
	} else if (strcasecmp(fn, "TIMESTAMP_MICROS") == 0 ||
	    strcasecmp(fn, "TIMESTAMP_MILLIS") == 0 ||
	    strcasecmp(fn, "TIMESTAMP_SECONDS") == 0) {
		NARGS(1, 1);
		if (need_type(p, &a[0], EMU_T_INT64, fn, ft) == -1)
			goto out;
		ex_set(e, EMU_T_TIMESTAMP, "bq_ts_check(bq_iarith(42, %s, %d))",
		    a[0].sql.buf, strcasecmp(fn, "TIMESTAMP_MICROS") == 0 ? 1 :
		    strcasecmp(fn, "TIMESTAMP_MILLIS") == 0 ? 1000 : 1000000);
	} else if (strcasecmp(fn, "TIMESTAMP") == 0) {
		NARGS(1, 1);
		if (a[0].lit == LIT_STRING) {
			if (coerce(p, &a[0], EMU_T_TIMESTAMP, ft) == -1)
				goto out;
			ex_set(e, EMU_T_TIMESTAMP, "%s", a[0].sql.buf);
		} else if (a[0].type == EMU_T_TIMESTAMP ||
		    a[0].type == EMU_T_NULL)
			ex_set(e, EMU_T_TIMESTAMP, "%s", a[0].sql.buf);
		else if (a[0].type == EMU_T_STRING || a[0].type == EMU_T_DATE ||
		    a[0].type == EMU_T_DATETIME)
			ex_set(e, EMU_T_TIMESTAMP, "bq_ts_parse(%s)",
			    a[0].sql.buf);
		else {
			need_type(p, &a[0], EMU_T_STRING, fn, ft);
			goto out;
		}
	} else if (strcasecmp(fn, "CURRENT_TIMESTAMP") == 0) {
		NARGS(0, 0);
		ex_set(e, EMU_T_TIMESTAMP, "%" PRId64, p->ctx->now);
	} else if (strcasecmp(fn, "DATE") == 0) {
		NARGS(1, 1);
		if (a[0].lit == LIT_STRING) {
			if (coerce(p, &a[0], EMU_T_DATE, ft) == -1)
				goto out;
			ex_set(e, EMU_T_DATE, "%s", a[0].sql.buf);
		} else {
			if (need_type(p, &a[0], EMU_T_TIMESTAMP, fn, ft) == -1)
				goto out;
			ex_set(e, EMU_T_DATE, "bq_ts_date(%s)", a[0].sql.buf);
		}
	} else if (strcasecmp(fn, "FROM_HEX") == 0) {
		NARGS(1, 1);
		if (need_type(p, &a[0], EMU_T_STRING, fn, ft) == -1)
			goto out;
		ex_set(e, EMU_T_BYTES, "bq_from_hex(%s)", a[0].sql.buf);
	} else if (strcasecmp(fn, "TO_HEX") == 0) {
		NARGS(1, 1);
		if (need_type(p, &a[0], EMU_T_BYTES, fn, ft) == -1)
			goto out;
		ex_set(e, EMU_T_STRING, "lower(hex(%s))", a[0].sql.buf);
	} else if (strcasecmp(fn, "LENGTH") == 0 ||
	    strcasecmp(fn, "CHAR_LENGTH") == 0 ||
	    strcasecmp(fn, "BYTE_LENGTH") == 0) {
		NARGS(1, 1);
		if (a[0].type != EMU_T_BYTES &&
		    need_type(p, &a[0], EMU_T_STRING, fn, ft) == -1)
			goto out;
		if (fn[0] == 'B' || fn[0] == 'b')
			ex_set(e, EMU_T_INT64, "length(CAST(%s AS BLOB))",
			    a[0].sql.buf);
		else
			ex_set(e, EMU_T_INT64, "length(%s)", a[0].sql.buf);
	} else if (strcasecmp(fn, "LOWER") == 0 ||
	    strcasecmp(fn, "UPPER") == 0) {
		NARGS(1, 1);
		if (need_type(p, &a[0], EMU_T_STRING, fn, ft) == -1)
			goto out;
		ex_set(e, EMU_T_STRING, "bq_case(%s, %d)", a[0].sql.buf,
		    fn[0] == 'U' || fn[0] == 'u');
	} else if (strcasecmp(fn, "CONCAT") == 0) {
		struct strbuf sb = STRBUF_INIT;
		enum emu_type t = a[0].type == EMU_T_BYTES ? EMU_T_BYTES :
		    EMU_T_STRING;

		NARGS(1, 16);
		strbuf_init(&sb, 0);
		strbuf_addch(&sb, '(');
		for (i = 0; i < n; i++) {
			if (need_type(p, &a[i], t, fn, ft) == -1) {
				strbuf_release(&sb);
				goto out;
			}
			strbuf_addf(&sb, "%s%s", i ? " || " : "", a[i].sql.buf);
		}
		strbuf_addch(&sb, ')');
		ex_set(e, t, "%s", sb.buf);
		strbuf_release(&sb);
	} else if (strcasecmp(fn, "COALESCE") == 0 ||
	    strcasecmp(fn, "IFNULL") == 0 || strcasecmp(fn, "GREATEST") == 0 ||
	    strcasecmp(fn, "LEAST") == 0 || strcasecmp(fn, "NULLIF") == 0) {
		struct strbuf sb = STRBUF_INIT;
		enum emu_type t = EMU_T_NULL;
		const char *f = "coalesce";

		if (strcasecmp(fn, "IFNULL") == 0 ||
		    strcasecmp(fn, "NULLIF") == 0)
			NARGS(2, 2);
		else
			NARGS(1, 16);
		if (strcasecmp(fn, "GREATEST") == 0)
			f = n == 1 ? "" : "max";
		else if (strcasecmp(fn, "LEAST") == 0)
			f = n == 1 ? "" : "min";
		else if (strcasecmp(fn, "NULLIF") == 0)
			f = "nullif";
		for (i = 0; i < n; i++)
			if (supertype(p, &t, &a[i], ft) == -1)
				goto out;
		for (i = 0; i < n; i++)
			if (coerce(p, &a[i], t, ft) == -1)
				goto out;
		if (t == EMU_T_NESTED) {
			perr(p, ft, "%s of RECORD values is not supported by "
			    "bq-emulator", fn);
			goto out;
		}
		strbuf_init(&sb, 0);
		strbuf_addf(&sb, "%s(", f);
		for (i = 0; i < n; i++)
			strbuf_addf(&sb, "%s%s", i ? ", " : "", a[i].sql.buf);
		if (n == 1 && f[0] == 'c')
			strbuf_adds(&sb, ", NULL");
		strbuf_addch(&sb, ')');
		ex_set(e, t, "%s", sb.buf);
		strbuf_release(&sb);
	} else if (strcasecmp(fn, "IF") == 0) {
		enum emu_type t = EMU_T_NULL;

		NARGS(3, 3);
		if (need_type(p, &a[0], EMU_T_BOOL, fn, ft) == -1 ||
		    supertype(p, &t, &a[1], ft) == -1 ||
		    supertype(p, &t, &a[2], ft) == -1 ||
		    coerce(p, &a[1], t, ft) == -1)
			goto out;
		ex_set(e, t, "(CASE WHEN %s THEN %s ELSE %s END)", a[0].sql.buf,
		    a[1].sql.buf, a[2].sql.buf);
	} else if (strcasecmp(fn, "SAFE_DIVIDE") == 0 ||
	    strcasecmp(fn, "IEEE_DIVIDE") == 0) {
		NARGS(2, 2);
		if (need_type(p, &a[0], EMU_T_FLOAT64, fn, ft) == -1 ||
		    need_type(p, &a[1], EMU_T_FLOAT64, fn, ft) == -1)
			goto out;
		if (fn[0] == 'I' || fn[0] == 'i') {
			perr(p, ft, "IEEE_DIVIDE is not supported by "
			    "bq-emulator");
			goto out;
		}
		ex_set(e, EMU_T_FLOAT64, "bq_div(%s, %s, 1)", a[0].sql.buf,
		    a[1].sql.buf);
	} else if (strcasecmp(fn, "STARTS_WITH") == 0 ||
	    strcasecmp(fn, "ENDS_WITH") == 0) {
		NARGS(2, 2);
		if (need_type(p, &a[0], EMU_T_STRING, fn, ft) == -1 ||
		    need_type(p, &a[1], EMU_T_STRING, fn, ft) == -1)
			goto out;
		if (fn[0] == 'S' || fn[0] == 's')
			ex_set(e, EMU_T_BOOL, "(substr(%s, 1, length(%s)) = %s)",
			    a[0].sql.buf, a[1].sql.buf, a[1].sql.buf);
		else
			ex_set(e, EMU_T_BOOL, "(length(%s) <= length(%s) AND "
			    "substr(%s, -length(%s)) = %s OR %s = '')",
			    a[1].sql.buf, a[0].sql.buf, a[0].sql.buf,
			    a[1].sql.buf, a[1].sql.buf, a[1].sql.buf);
	} else {
		perr(p, ft, "Function not found: %s (not supported by "
		    "bq-emulator)", fn);
		goto out;
	}
#undef NARGS
done:
	for (i = 0; i < n; i++)
		e->agg |= a[i].agg;
	rc = 0;
out:
	for (i = 0; i < n; i++)
		ex_release(&a[i]);
	return rc;
}

static int
parse_case(struct parser *p, struct scope *sc, struct ex *e, struct tok *ct)
{
	struct ex subj, w, th;
	struct strbuf sb = STRBUF_INIT;
	enum emu_type t = EMU_T_NULL;
	int rc = -1, has_subj = 0, agg = 0;

	ex_init(&subj);
	ex_init(&w);
	ex_init(&th);
	strbuf_init(&sb, 0);
	strbuf_adds(&sb, "(CASE");
	if (!is_kw(peek(p), "WHEN")) {
		has_subj = 1;
		if (parse_expr(p, sc, &subj) == -1)
			goto out;
		strbuf_addf(&sb, " %s", subj.sql.buf);
		agg |= subj.agg;
	}
	while (accept_kw(p, "WHEN")) {
		ex_release(&w);
		ex_release(&th);
		ex_init(&w);
		ex_init(&th);
		if (parse_expr(p, sc, &w) == -1 || expect_kw(p, "THEN") == -1 ||
		    parse_expr(p, sc, &th) == -1)
			goto out;
		if (has_subj ? comparable(p, &subj, &w, "=", ct) == -1 :
		    need_type(p, &w, EMU_T_BOOL, "CASE", ct) == -1)
			goto out;
		if (supertype(p, &t, &th, ct) == -1)
			goto out;
		strbuf_addf(&sb, " WHEN %s THEN %s", w.sql.buf, th.sql.buf);
		agg |= w.agg | th.agg;
	}
	if (accept_kw(p, "ELSE")) {
		ex_release(&th);
		ex_init(&th);
		if (parse_expr(p, sc, &th) == -1 ||
		    supertype(p, &t, &th, ct) == -1)
			goto out;
		strbuf_addf(&sb, " ELSE %s", th.sql.buf);
		agg |= th.agg;
	}
	if (expect_kw(p, "END") == -1)
		goto out;
	strbuf_adds(&sb, " END)");
	ex_set(e, t, "%s", sb.buf);
	e->agg = agg;
	rc = 0;
out:
	strbuf_release(&sb);
	ex_release(&subj);
	ex_release(&w);
	ex_release(&th);
	return rc;
}

/* A parenthesised subquery used as a value: one column. */
static int
parse_scalar_subquery(struct parser *p, struct scope *sc, struct ex *e,
    struct tok *at)
{
	struct strbuf sb = STRBUF_INIT;
	struct emusql_col *cols = NULL;
	size_t ncols = 0;
	int rc = -1;

	strbuf_init(&sb, 0);
	if (parse_query(p, sc, &sb, &cols, &ncols) == -1 ||
	    expect_op(p, ")") == -1)
		goto out;
	if (ncols != 1) {
		perr(p, at, "Scalar subquery cannot have more than one column "
		    "unless using SELECT AS STRUCT to build STRUCT values");
		goto out;
	}
	if (cols[0].type == EMU_T_NESTED) {
		perr(p, at, "Subqueries of RECORD values are not supported by "
		    "bq-emulator");
		goto out;
	}
	ex_set(e, cols[0].type, "(%s)", sb.buf);
	rc = 0;
out:
	cols_free(cols, ncols);
	strbuf_release(&sb);
	return rc;
}

static int
starts_query(struct parser *p)
{
	size_t k = 0;

	while (is_op(peek2(p, k), "("))
		k++;
	return is_kw(peek2(p, k), "SELECT") || is_kw(peek2(p, k), "WITH");
}

static int
parse_primary(struct parser *p, struct scope *sc, struct ex *e)
{
	struct tok *t = peek(p);
	struct emusql_bind b;
	int idx;

	switch (t->k) {
	case TK_INT: {
		char *end;
		unsigned long long v;

		p->i++;
		errno = 0;
		v = strtoull(t->v, &end, 0);
		if (errno || v > (unsigned long long)INT64_MAX)
			return perr(p, t, "Invalid integer literal: %s", t->v);
		ex_set(e, EMU_T_INT64, "%llu", v);
		e->lit = LIT_INT;
		e->ival = (int64_t)v;
		return 0;
	}
	case TK_FLOAT: {
		double d = strtod(t->v, NULL);
		char buf[64];

		p->i++;
		if (isinf(d))
			return perr(p, t, "Invalid floating point literal: %s",
			    t->v);
		snprintf(buf, sizeof(buf), "%.17g", d);
		if (!strpbrk(buf, ".e"))
			ex_set(e, EMU_T_FLOAT64, "%s.0", buf);
		else
			ex_set(e, EMU_T_FLOAT64, "%s", buf);
		return 0;
	}
	case TK_STRING:
	case TK_BYTES:
		p->i++;
		if (t->k == TK_STRING && is_kw(peek(p), "SELECT"))
			return unexpected(p);
		memset(&b, 0, sizeof(b));
		b.type = t->k == TK_STRING ? EMU_T_STRING : EMU_T_BYTES;
		b.s = xmalloc(t->len + 1);
		memcpy(b.s, t->v, t->len + 1);
		b.len = t->len;
		idx = add_bind(p, &b);
		ex_set(e, b.type, "?%d", idx);
		if (t->k == TK_STRING) {
			e->lit = LIT_STRING;
			free(e->str);
			e->str = xstrdup(t->v);
		}
		return 0;
	case TK_PARAM:
	case TK_QMARK:
		return parse_param(p, e);
	case TK_OP:
		if (is_op(t, "(")) {
			p->i++;
			if (starts_query(p))
				return parse_scalar_subquery(p, sc, e, t);
			if (parse_expr(p, sc, e) == -1)
				return -1;
			if (expect_op(p, ")") == -1)
				return -1;
			ex_set(e, e->type, "(%s)", e->sql.buf);
			return 0;
		}
		return unexpected(p);
	case TK_QIDENT:
		p->i++;
		if (strchr(t->v, '.'))
			return perr(p, t, "Unrecognized name: %s", t->v);
		return column_ref(p, sc, t, e);
	case TK_IDENT:
		break;
	default:
		return unexpected(p);
	}
	p->i++;
	if (strcasecmp(t->v, "TRUE") == 0 || strcasecmp(t->v, "FALSE") == 0) {
		ex_set(e, EMU_T_BOOL, "%d", t->v[0] == 't' || t->v[0] == 'T');
		return 0;
	}
	if (strcasecmp(t->v, "NULL") == 0) {
		ex_set(e, EMU_T_NULL, "NULL");
		e->lit = LIT_NULL;
		return 0;
	}
	if (strcasecmp(t->v, "CASE") == 0)
		return parse_case(p, sc, e, t);
	if (strcasecmp(t->v, "EXISTS") == 0 && is_op(peek(p), "(")) {
		struct strbuf sb = STRBUF_INIT;
		struct emusql_col *cols = NULL;
		size_t nc = 0;
		int rc;

		p->i++;
		strbuf_init(&sb, 0);
		rc = parse_query(p, sc, &sb, &cols, &nc);
		if (rc == 0)
			rc = expect_op(p, ")");
		if (rc == 0)
			ex_set(e, EMU_T_BOOL, "EXISTS (%s)", sb.buf);
		cols_free(cols, nc);
		strbuf_release(&sb);
		return rc;
	}
	if ((strcasecmp(t->v, "TIMESTAMP") == 0 || strcasecmp(t->v, "DATE") == 0
	    || strcasecmp(t->v, "DATETIME") == 0 ||
	    strcasecmp(t->v, "TIME") == 0 || strcasecmp(t->v, "NUMERIC") == 0)
	    && peek(p)->k == TK_STRING) {
		enum emu_type ty = EMU_T_STRING;

		emusql_type_parse(t->v, &ty);
		if (parse_primary(p, sc, e) == -1)
			return -1;
		return coerce(p, e, ty, t);
	}
	if (strcasecmp(t->v, "CURRENT_TIMESTAMP") == 0 &&
	    !is_op(peek(p), "(")) {
		ex_set(e, EMU_T_TIMESTAMP, "%" PRId64, p->ctx->now);
		return 0;
	}
	if (is_op(peek(p), "(")) {
		if (is_reserved(t) && strcasecmp(t->v, "IF") != 0 &&
		    strcasecmp(t->v, "CAST") != 0)
			return perr(p, t, "Syntax error: Unexpected keyword %s",
			    t->v);
		p->i++;
		return parse_call(p, sc, t, e);
	}
	if (is_op(peek(p), ".") && peek2(p, 1)->k == TK_IDENT &&
	    is_op(peek2(p, 2), "("))
		return perr(p, t, "Function not found: %s.%s (not supported "
		    "by bq-emulator)", t->v, peek2(p, 1)->v);
	if (is_reserved(t))
		return perr(p, t, "Syntax error: Unexpected keyword %s", t->v);
	return column_ref(p, sc, t, e);
}

static int
parse_unary(struct parser *p, struct scope *sc, struct ex *e)
{
	struct tok *t = peek(p);

	if (is_op(t, "-")) {
		p->i++;
		if (peek(p)->k == TK_INT &&
		    strcmp(peek(p)->v, "9223372036854775808") == 0) {
			p->i++;
			ex_set(e, EMU_T_INT64, "(-9223372036854775807 - 1)");
			e->lit = LIT_INT;
			e->ival = INT64_MIN;
			return 0;
		}
		if (parse_unary(p, sc, e) == -1)
			return -1;
		if (e->type == EMU_T_INT64) {
			int64_t v = e->ival;
			int lit = e->lit;

			if (lit == LIT_INT) {
				ex_set(e, EMU_T_INT64, "(%" PRId64 ")", -v);
				e->lit = LIT_INT;
				e->ival = -v;
			} else
				ex_set(e, EMU_T_INT64, "bq_iarith(45, 0, %s)",
				    e->sql.buf);
			return 0;
		}
		if (e->type == EMU_T_FLOAT64) {
			ex_set(e, EMU_T_FLOAT64, "(-%s)", e->sql.buf);
			return 0;
		}
		return perr(p, t, "No matching signature for operator - for "
		    "argument types: %s", emusql_type_name(e->type));
	}
	if (is_op(t, "+")) {
		p->i++;
		if (parse_unary(p, sc, e) == -1)
			return -1;
		if (!is_numeric(e->type))
			return perr(p, t, "No matching signature for operator "
			    "+ for argument types: %s",
			    emusql_type_name(e->type));
		return 0;
	}
	if (is_op(t, "~"))
		return perr(p, t, "Bitwise operators are not supported by "
		    "bq-emulator");
	return parse_primary(p, sc, e);
}

static int
binop_arith(struct parser *p, struct ex *l, struct ex *r, const char *op,
    struct tok *at)
{
	int agg = l->agg | r->agg;

	if (strcmp(op, "||") == 0) {
		enum emu_type t = l->type == EMU_T_BYTES ? EMU_T_BYTES :
		    EMU_T_STRING;

		if (need_type(p, l, t, "||", at) == -1 ||
		    need_type(p, r, t, "||", at) == -1)
			return -1;
		ex_set(l, t, "(%s || %s)", l->sql.buf, r->sql.buf);
	} else {
		if (l->type == EMU_T_NULL)
			l->type = r->type == EMU_T_NULL ? EMU_T_INT64 : r->type;
		if (r->type == EMU_T_NULL)
			r->type = l->type;
		if (!is_numeric(l->type) || !is_numeric(r->type))
			return perr(p, at, "No matching signature for operator "
			    "%s for argument types: %s, %s", op,
			    emusql_type_name(l->type),
			    emusql_type_name(r->type));
		if (strcmp(op, "/") == 0)
			ex_set(l, EMU_T_FLOAT64, "bq_div(%s, %s, 0)", l->sql.buf,
			    r->sql.buf);
		else if (l->type == EMU_T_INT64 && r->type == EMU_T_INT64)
			ex_set(l, EMU_T_INT64, "bq_iarith(%d, %s, %s)", op[0],
			    l->sql.buf, r->sql.buf);
		else
			ex_set(l, EMU_T_FLOAT64, "(CAST(%s AS REAL) %s %s)",
			    l->sql.buf, op, r->sql.buf);
	}
	l->agg = agg;
	return 0;
}

static int
parse_mul(struct parser *p, struct scope *sc, struct ex *e)
{
	if (parse_unary(p, sc, e) == -1)
		return -1;
	for (;;) {
		struct tok *t = peek(p);
		struct ex r;
		int rc;

		if (!is_op(t, "*") && !is_op(t, "/") && !is_op(t, "||"))
			return 0;
		p->i++;
		ex_init(&r);
		rc = parse_unary(p, sc, &r);
		if (rc == 0)
			rc = binop_arith(p, e, &r, t->v, t);
		ex_release(&r);
		if (rc == -1)
			return -1;
	}
}

static int
parse_add(struct parser *p, struct scope *sc, struct ex *e)
{
	if (parse_mul(p, sc, e) == -1)
		return -1;
	for (;;) {
		struct tok *t = peek(p);
		struct ex r;
		int rc;

		if (!is_op(t, "+") && !is_op(t, "-"))
			break;
		p->i++;
		ex_init(&r);
		rc = parse_mul(p, sc, &r);
		if (rc == 0)
			rc = binop_arith(p, e, &r, t->v, t);
		ex_release(&r);
		if (rc == -1)
			return -1;
	}
	if (is_op(peek(p), "<<") || is_op(peek(p), ">>") || is_op(peek(p), "&")
	    || is_op(peek(p), "|") || is_op(peek(p), "^"))
		return perr(p, NULL, "Bitwise operators are not supported by "
		    "bq-emulator");
	return 0;
}

static int
parse_in(struct parser *p, struct scope *sc, struct ex *e, int neg,
    struct tok *at)
{
	struct strbuf sb = STRBUF_INIT;
	struct ex it;
	int rc = -1, agg = e->agg;

	ex_init(&it);
	strbuf_init(&sb, 0);
	if (is_kw(peek(p), "UNNEST")) {
		perr(p, NULL, "IN UNNEST is not supported by bq-emulator");
		goto out;
	}
	if (expect_op(p, "(") == -1)
		goto out;
	if (starts_query(p)) {
		struct emusql_col *cols = NULL;
		size_t nc = 0;

		rc = parse_query(p, sc, &sb, &cols, &nc);
		if (rc == 0 && nc != 1)
			rc = perr(p, at, "Subquery of type IN must have only "
			    "one output column");
		if (rc == 0 && cols[0].type != e->type &&
		    !(is_numeric(cols[0].type) && is_numeric(e->type)) &&
		    e->type != EMU_T_NULL && cols[0].type != EMU_T_NULL)
			rc = perr(p, at, "Cannot execute IN subquery with "
			    "uncomparable types %s and %s",
			    emusql_type_name(e->type),
			    emusql_type_name(cols[0].type));
		cols_free(cols, nc);
		if (rc == -1 || expect_op(p, ")") == -1) {
			rc = -1;
			goto out;
		}
		ex_set(e, EMU_T_BOOL, "(%s %sIN (%s))", e->sql.buf,
		    neg ? "NOT " : "", sb.buf);
		e->agg = agg;
		rc = 0;
		goto out;
	}
	for (;;) {
		ex_release(&it);
		ex_init(&it);
		if (parse_expr(p, sc, &it) == -1 ||
		    comparable(p, e, &it, "IN", at) == -1)
			goto out;
		agg |= it.agg;
		strbuf_addf(&sb, "%s%s", sb.len ? ", " : "", it.sql.buf);
		if (accept_op(p, ")"))
			break;
		if (expect_op(p, ",") == -1)
			goto out;
	}
	ex_set(e, EMU_T_BOOL, "(%s %sIN (%s))", e->sql.buf, neg ? "NOT " : "",
	    sb.buf);
	e->agg = agg;
	rc = 0;
out:
	ex_release(&it);
	strbuf_release(&sb);
	return rc;
}

static int
parse_cmp(struct parser *p, struct scope *sc, struct ex *e)
{
	static const char *ops[] = { "=", "!=", "<>", "<", "<=", ">", ">=" };
	struct tok *t;
	struct ex r, r2;
	size_t k;
	int rc = -1, neg = 0;

	if (parse_add(p, sc, e) == -1)
		return -1;
	ex_init(&r);
	ex_init(&r2);
	t = peek(p);
	for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
		if (is_op(t, ops[k]))
			break;
	if (k < sizeof(ops) / sizeof(ops[0])) {
		p->i++;
		if (parse_add(p, sc, &r) == -1 ||
		    comparable(p, e, &r, t->v, t) == -1)
			goto out;
		ex_set(e, EMU_T_BOOL, "(%s %s %s)", e->sql.buf,
		    k == 2 ? "!=" : t->v, r.sql.buf);
		e->agg |= r.agg;
		rc = 0;
		goto out;
	}
	if (accept_kw(p, "IS")) {
		const char *what;

		neg = accept_kw(p, "NOT");
		if (accept_kw(p, "NULL"))
			what = "NULL";
		else if (accept_kw(p, "TRUE"))
			what = "1";
		else if (accept_kw(p, "FALSE"))
			what = "0";
		else {
			unexpected(p);
			goto out;
		}
		if (what[0] != 'N' && need_type(p, e, EMU_T_BOOL, "IS", t) == -1)
			goto out;
		ex_set(e, EMU_T_BOOL, "(%s IS %s%s)", e->sql.buf,
		    neg ? "NOT " : "", what);
		rc = 0;
		goto out;
	}
	if (is_kw(t, "NOT") && (is_kw(peek2(p, 1), "IN") ||
	    is_kw(peek2(p, 1), "LIKE") || is_kw(peek2(p, 1), "BETWEEN"))) {
		p->i++;
		neg = 1;
		t = peek(p);
	}
	if (accept_kw(p, "IN")) {
		rc = parse_in(p, sc, e, neg, t);
		goto out;
	}
	if (accept_kw(p, "LIKE")) {
		if (parse_add(p, sc, &r) == -1)
			goto out;
		if (e->type != EMU_T_BYTES &&
		    need_type(p, e, EMU_T_STRING, "LIKE", t) == -1)
			goto out;
		if (need_type(p, &r, e->type == EMU_T_NULL ? EMU_T_STRING :
		    e->type, "LIKE", t) == -1)
			goto out;
		/* GoogleSQL escapes %, _ and \\ with a backslash. */
		ex_set(e, EMU_T_BOOL, "(%s %sLIKE %s ESCAPE '\\')", e->sql.buf,
		    neg ? "NOT " : "", r.sql.buf);
		e->agg |= r.agg;
		rc = 0;
		goto out;
	}
	if (accept_kw(p, "BETWEEN")) {
		if (parse_add(p, sc, &r) == -1 || expect_kw(p, "AND") == -1 ||
		    parse_add(p, sc, &r2) == -1 ||
		    comparable(p, e, &r, "BETWEEN", t) == -1 ||
		    comparable(p, e, &r2, "BETWEEN", t) == -1)
			goto out;
		ex_set(e, EMU_T_BOOL, "(%s %sBETWEEN %s AND %s)", e->sql.buf,
		    neg ? "NOT " : "", r.sql.buf, r2.sql.buf);
		e->agg |= r.agg | r2.agg;
		rc = 0;
		goto out;
	}
	rc = 0;
out:
	ex_release(&r);
	ex_release(&r2);
	return rc;
}

static int
parse_not(struct parser *p, struct scope *sc, struct ex *e)
{
	struct tok *t = peek(p);

	if (accept_kw(p, "NOT")) {
		if (parse_not(p, sc, e) == -1 ||
		    need_type(p, e, EMU_T_BOOL, "NOT", t) == -1)
			return -1;
		ex_set(e, EMU_T_BOOL, "(NOT %s)", e->sql.buf);
		return 0;
	}
	return parse_cmp(p, sc, e);
}

static int
parse_logic(struct parser *p, struct scope *sc, struct ex *e, int level)
{
	const char *kw = level ? "AND" : "OR";

	if ((level ? parse_not(p, sc, e) : parse_logic(p, sc, e, 1)) == -1)
		return -1;
	while (is_kw(peek(p), kw)) {
		struct tok *t = peek(p);
		struct ex r;
		int rc;

		p->i++;
		ex_init(&r);
		rc = level ? parse_not(p, sc, &r) : parse_logic(p, sc, &r, 1);
		if (rc == 0)
			rc = need_type(p, e, EMU_T_BOOL, kw, t);
		if (rc == 0)
			rc = need_type(p, &r, EMU_T_BOOL, kw, t);
		if (rc == 0) {
			ex_set(e, EMU_T_BOOL, "(%s %s %s)", e->sql.buf, kw,
			    r.sql.buf);
			e->agg |= r.agg;
		}
		ex_release(&r);
		if (rc == -1)
			return -1;
	}
	return 0;
}

static int
parse_expr(struct parser *p, struct scope *sc, struct ex *e)
{
	return parse_logic(p, sc, e, 0);
}

/* ------------------------------------------------------------------ */
/* FROM, SELECT, DELETE                                                 */

static void
note_table(struct parser *p, const char *sqlname)
{
	struct emusql_query *q = p->q;
	size_t i;

	for (i = 0; i < q->ntables; i++)
		if (strcmp(q->tables[i], sqlname) == 0)
			return;
	q->tables = xrealloc(q->tables, (q->ntables + 1) * sizeof(char *));
	q->tables[q->ntables++] = xstrdup(sqlname);
}

static void
cols_from_fields(const cJSON *fields, struct emusql_col **out, size_t *n)
{
	const cJSON *f;
	size_t k = 0;
	struct emusql_col *c;

	c = xcalloc((size_t)cJSON_GetArraySize(fields) + 1, sizeof(*c));
	cJSON_ArrayForEach(f, fields) {
		const cJSON *nm = cJSON_GetObjectItemCaseSensitive(f, "name");
		const cJSON *ty = cJSON_GetObjectItemCaseSensitive(f, "type");
		const cJSON *mo = cJSON_GetObjectItemCaseSensitive(f, "mode");
		enum emu_type t = EMU_T_STRING;

		if (!cJSON_IsString(nm))
			continue;
		if (cJSON_IsString(ty))
			emusql_type_parse(ty->valuestring, &t);
		if (cJSON_IsString(mo) &&
		    strcasecmp(mo->valuestring, "REPEATED") == 0)
			t = EMU_T_NESTED;
		c[k].name = xstrdup(nm->valuestring);
		c[k].type = t;
		if (t == EMU_T_NESTED)
			c[k].field = cJSON_Duplicate(f, 1);
		k++;
	}
	*out = c;
	*n = k;
}

/* Reads a table path (a, a.b, a.b.c, `a.b.c`, `a`.`b`...) into parts. */
static int
parse_path(struct parser *p, char *parts[4], int *np, struct tok **first)
{
	*np = 0;
	*first = peek(p);
	for (;;) {
		struct tok *t = peek(p);
		char *s, *dot;

		if (t->k != TK_QIDENT && (t->k != TK_IDENT || is_reserved(t)))
			return unexpected(p);
		p->i++;
		s = t->v;
		for (;;) {
			if (*np == 4)
				return perr(p, t, "Invalid table name");
			dot = t->k == TK_QIDENT ? strchr(s, '.') : NULL;
			parts[(*np)++] = dot ? xstrndup(s, (size_t)(dot - s)) :
			    xstrdup(s);
			if (dot == NULL)
				break;
			s = dot + 1;
		}
		/* Project ids may contain dashes: my-project.ds.t */
		while (*np == 1 && t->k == TK_IDENT && is_op(peek(p), "-") &&
		    (peek2(p, 1)->k == TK_IDENT || peek2(p, 1)->k == TK_INT)) {
			char *j = xstrfmt("%s-%s", parts[0], peek2(p, 1)->v);

			free(parts[0]);
			parts[0] = j;
			p->i += 2;
		}
		if (is_op(peek(p), ".") && (peek2(p, 1)->k == TK_IDENT ||
		    peek2(p, 1)->k == TK_QIDENT)) {
			p->i++;
			continue;
		}
		return 0;
	}
}

static int
resolve_table(struct parser *p, struct scope *sc, char **sqlname)
{
	char *parts[4] = { NULL, NULL, NULL, NULL };
	const char *proj, *ds, *tb;
	const cJSON *fields = NULL;
	struct tok *first;
	int np = 0, rc = -1, i;

	if (parse_path(p, parts, &np, &first) == -1)
		goto out;
	if (np == 1) {
		if (p->ctx->default_dataset == NULL) {
			perr(p, first, "Table \"%s\" must be qualified with a "
			    "dataset (e.g. dataset.table)", parts[0]);
			goto out;
		}
		proj = p->ctx->default_project ? p->ctx->default_project :
		    p->ctx->project;
		ds = p->ctx->default_dataset;
		tb = parts[0];
	} else if (np == 2) {
		proj = p->ctx->project;
		ds = parts[0];
		tb = parts[1];
	} else if (np == 3) {
		proj = parts[0];
		ds = parts[1];
		tb = parts[2];
	} else {
		perr(p, first, "Invalid table name");
		goto out;
	}
	if (p->ctx->lookup(p->ctx->arg, proj, ds, tb, sqlname, &fields) ==
	    -1) {
		if (!p->err->kind) {
			bq_err_set(p->err, EXIT_DATA, "Not found: Table "
			    "%s:%s.%s was not found in location US", proj, ds,
			    tb);
			p->err->http_status = 404;
		}
		goto out;
	}
	note_table(p, *sqlname);
	cols_from_fields(fields, &sc->cols, &sc->ncols);
	free(sc->alias);
	sc->alias = xstrdup(tb);
	rc = 0;
out:
	for (i = 0; i < 4; i++)
		free(parts[i]);
	return rc;
}

static int
parse_alias(struct parser *p, char **alias)
{
	struct tok *t;

	if (accept_kw(p, "AS")) {
		t = peek(p);
		if (t->k != TK_QIDENT && (t->k != TK_IDENT || is_reserved(t)))
			return unexpected(p);
		p->i++;
		*alias = xstrdup(t->v);
		return 1;
	}
	t = peek(p);
	if (t->k == TK_QIDENT || (t->k == TK_IDENT && !is_reserved(t))) {
		p->i++;
		*alias = xstrdup(t->v);
		return 1;
	}
	return 0;
}

static int
parse_from(struct parser *p, struct scope *outer, struct scope *sc,
    struct strbuf *out)
{
	char *alias = NULL, *sqlname = NULL;
	struct tok *t = peek(p);

	snprintf(sc->qual, sizeof(sc->qual), "_s%d", ++p->nqual);
	if (is_op(t, "(") && starts_query(p)) {
		struct strbuf sb = STRBUF_INIT;

		p->i++;
		strbuf_init(&sb, 0);
		if (parse_query(p, outer, &sb, &sc->cols, &sc->ncols) == -1 ||
		    expect_op(p, ")") == -1) {
			strbuf_release(&sb);
			return -1;
		}
		strbuf_addf(out, "(%s) AS %s", sb.buf, sc->qual);
		strbuf_release(&sb);
	} else if (is_kw(t, "UNNEST") || is_op(t, "(")) {
		return perr(p, t, "This FROM clause is not supported by "
		    "bq-emulator");
	} else {
		if (resolve_table(p, sc, &sqlname) == -1)
			return -1;
		add_sql_quoted(out, sqlname);
		strbuf_addf(out, " AS %s", sc->qual);
		free(sqlname);
	}
	if (is_kw(peek(p), "FOR") || is_kw(peek(p), "TABLESAMPLE"))
		return perr(p, NULL, "FOR SYSTEM_TIME AS OF and TABLESAMPLE "
		    "are not supported by bq-emulator");
	if (parse_alias(p, &alias)) {
		free(sc->alias);
		sc->alias = alias;
	}
	t = peek(p);
	if (is_op(t, ",") || is_kw(t, "JOIN") || is_kw(t, "LEFT") ||
	    is_kw(t, "RIGHT") || is_kw(t, "INNER") || is_kw(t, "CROSS") ||
	    is_kw(t, "FULL"))
		return perr(p, t, "Joins are not supported by bq-emulator");
	return 0;
}

struct item {
	char		*sql;
	char		*name;		/* output name or NULL (anonymous) */
	size_t		 b0, b1;	/* its bare refs in sel.bare */
	int		 is_colref;
};

struct core {
	struct scope	*sc;
	struct sel	 sel;
	struct item	*items;
	size_t		 nitems;
	struct emusql_col *cols;
	size_t		 ncols;
	char		**group;	/* GROUP BY expressions (SQL) */
	size_t		 ngroup;
	int		 distinct;
};

static void
core_release(struct core *c)
{
	size_t i;

	for (i = 0; i < c->ngroup; i++)
		free(c->group[i]);
	free(c->group);

	for (i = 0; i < c->nitems; i++) {
		free(c->items[i].sql);
		free(c->items[i].name);
	}
	free(c->items);
	for (i = 0; i < c->sel.nbare; i++)
		free(c->sel.bare[i]);
	free(c->sel.bare);
	if (c->sc) {
		cols_free(c->sc->cols, c->sc->ncols);
		free(c->sc->alias);
		free(c->sc);
	}
	cols_free(c->cols, c->ncols);
}

static void
add_item(struct core *c, const char *sql, const char *name, enum emu_type t,
    const cJSON *field, size_t b0, size_t b1, int is_colref)
{
	c->items = xrealloc(c->items, (c->nitems + 1) * sizeof(*c->items));
	c->items[c->nitems].sql = xstrdup(sql);
	c->items[c->nitems].name = name ? xstrdup(name) : NULL;
	c->items[c->nitems].b0 = b0;
	c->items[c->nitems].b1 = b1;
	c->items[c->nitems].is_colref = is_colref;
	c->nitems++;
	c->cols = xrealloc(c->cols, (c->ncols + 1) * sizeof(*c->cols));
	c->cols[c->ncols].name = NULL;
	c->cols[c->ncols].type = t == EMU_T_NULL ? EMU_T_INT64 : t;
	c->cols[c->ncols].field = field ? cJSON_Duplicate(field, 1) : NULL;
	c->ncols++;
}

static int
parse_select_list(struct parser *p, struct core *c)
{
	struct scope *sc = c->sc;
	size_t i;

	for (;;) {
		struct tok *t = peek(p);
		struct ex e;
		char *alias = NULL;
		size_t b0 = c->sel.nbare;

		if (is_op(t, "*") || (t->k == TK_IDENT && is_op(peek2(p, 1),
		    ".") && is_op(peek2(p, 2), "*"))) {
			if (!is_op(t, "*")) {
				if (sc->alias == NULL ||
				    strcasecmp(sc->alias, t->v) != 0)
					return perr(p, t, "Unrecognized name: "
					    "%s", t->v);
				p->i += 2;
			}
			p->i++;
			if (is_kw(peek(p), "EXCEPT") || is_kw(peek(p), "REPLACE"))
				return perr(p, NULL, "SELECT * EXCEPT/REPLACE "
				    "is not supported by bq-emulator");
			if (sc->ncols == 0)
				return perr(p, t, "SELECT * must have a FROM "
				    "clause");
			for (i = 0; i < sc->ncols; i++) {
				struct strbuf sb = STRBUF_INIT;

				strbuf_init(&sb, 0);
				strbuf_addf(&sb, "%s.", sc->qual);
				add_sql_quoted(&sb, sc->cols[i].name);
				c->sel.bare = xrealloc(c->sel.bare,
				    (c->sel.nbare + 1) * sizeof(char *));
				c->sel.bare[c->sel.nbare++] = xstrdup(sb.buf);
				add_item(c, sb.buf, sc->cols[i].name,
				    sc->cols[i].type, sc->cols[i].field,
				    c->sel.nbare - 1, c->sel.nbare, 1);
				strbuf_release(&sb);
			}
		} else {
			ex_init(&e);
			if (parse_expr(p, sc, &e) == -1) {
				ex_release(&e);
				return -1;
			}
			if (parse_alias(p, &alias) == 0 && e.name)
				alias = xstrdup(e.name);
			add_item(c, e.sql.buf, alias, e.type, e.field, b0,
			    c->sel.nbare, e.name != NULL);
			free(alias);
			ex_release(&e);
		}
		if (!accept_op(p, ","))
			return 0;
	}
}

static int
in_list(char **list, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return 1;
	return 0;
}

/*
 * Resolves an ORDER BY / GROUP BY term naming a select alias or ordinal:
 * the item's index, -1 if the term is an expression, -2 on errors.
 */
static int
item_ref(struct parser *p, struct core *c, int order)
{
	struct tok *t = peek(p), *nx = peek2(p, 1);
	size_t i;

	if (!(is_op(nx, ",") || is_op(nx, ")") || is_op(nx, ";") ||
	    nx->k == TK_EOF || is_kw(nx, "ASC") || is_kw(nx, "DESC") ||
	    is_kw(nx, "LIMIT") || is_kw(nx, "NULLS") || is_kw(nx, "HAVING") ||
	    is_kw(nx, "ORDER") || is_kw(nx, "WINDOW") || is_kw(nx, "QUALIFY")))
		return -1;
	if (t->k == TK_INT) {
		long k = strtol(t->v, NULL, 10);

		if (k < 1 || (size_t)k > c->nitems) {
			perr(p, t, "%s BY is out of SELECT column number range: "
			    "%ld", order ? "ORDER" : "GROUP", k);
			return -2;
		}
		p->i++;
		return (int)k - 1;
	}
	if (t->k != TK_IDENT && t->k != TK_QIDENT)
		return -1;
	/* In GROUP BY a column of the FROM clause wins over an alias. */
	if (!order)
		for (i = 0; i < c->sc->ncols; i++)
			if (strcasecmp(c->sc->cols[i].name, t->v) == 0)
				return -1;
	for (i = 0; i < c->nitems; i++)
		if (c->items[i].name && strcasecmp(c->items[i].name, t->v) == 0) {
			p->i++;
			return (int)i;
		}
	return -1;
}

static const char *stop_kw[] = { "FROM", "WHERE", "GROUP", "HAVING", "ORDER",
	"LIMIT", "UNION", "INTERSECT", "EXCEPT", "WINDOW", "QUALIFY" };

static int
parse_core(struct parser *p, struct scope *outer, struct core *c,
    struct strbuf *out)
{
	size_t list_start, k, after_from, i, j, ngroup = 0;
	int depth = 0, distinct, has_from;
	char **group = NULL;
	struct strbuf from = STRBUF_INIT, rest = STRBUF_INIT;
	struct ex e;
	int rc = -1;

	ex_init(&e);
	strbuf_init(&from, 0);
	strbuf_init(&rest, 0);
	c->sc = xcalloc(1, sizeof(*c->sc));
	c->sc->outer = outer;
	c->sc->sel = &c->sel;
	distinct = accept_kw(p, "DISTINCT");
	if (!distinct)
		accept_kw(p, "ALL");
	if (is_kw(peek(p), "AS")) {
		perr(p, NULL, "SELECT AS STRUCT/VALUE is not supported by "
		    "bq-emulator");
		goto out;
	}
	list_start = p->i;
	for (k = p->i; p->t[k].k != TK_EOF; k++) {
		if (is_op(&p->t[k], "("))
			depth++;
		else if (is_op(&p->t[k], ")")) {
			if (depth == 0)
				break;
			depth--;
		} else if (depth == 0 && (is_op(&p->t[k], ";")))
			break;
		else if (depth == 0) {
			for (j = 0; j < sizeof(stop_kw) / sizeof(stop_kw[0]); j++)
				if (is_kw(&p->t[k], stop_kw[j]))
					break;
			if (j < sizeof(stop_kw) / sizeof(stop_kw[0]))
				break;
		}
	}
	has_from = is_kw(&p->t[k], "FROM");
	after_from = k;
	if (has_from) {
		p->i = k + 1;
		if (parse_from(p, outer, c->sc, &from) == -1)
			goto out;
		after_from = p->i;
	}
	p->i = list_start;
	c->sel.track = 1;
	if (parse_select_list(p, c) == -1)
		goto out;
	c->sel.track = 0;
	if (p->i != k) {
		unexpected(p);
		goto out;
	}
	p->i = after_from;
	if (accept_kw(p, "WHERE")) {
		struct tok *t = peek(p);

		if (parse_expr(p, c->sc, &e) == -1 ||
		    need_type(p, &e, EMU_T_BOOL, "WHERE", t) == -1)
			goto out;
		if (e.agg) {
			perr(p, t, "Aggregate function not allowed in WHERE "
			    "clause");
			goto out;
		}
		strbuf_addf(&rest, " WHERE %s", e.sql.buf);
	}
	if (accept_kw(p, "GROUP")) {
		if (expect_kw(p, "BY") == -1)
			goto out;
		if (is_kw(peek(p), "ROLLUP") || is_kw(peek(p), "CUBE") ||
		    is_kw(peek(p), "GROUPING")) {
			perr(p, NULL, "GROUP BY ROLLUP/CUBE/GROUPING SETS are "
			    "not supported by bq-emulator");
			goto out;
		}
		strbuf_adds(&rest, " GROUP BY ");
		do {
			int ref = item_ref(p, c, 0);
			enum emu_type gt;

			if (ref == -2)
				goto out;
			group = xrealloc(group, (ngroup + 1) * sizeof(char *));
			ex_release(&e);
			ex_init(&e);
			if (ref >= 0) {
				gt = c->cols[ref].type;
				group[ngroup] = xstrdup(c->items[ref].sql);
			} else {
				if (parse_expr(p, c->sc, &e) == -1)
					goto out;
				gt = e.type;
				group[ngroup] = xstrdup(e.sql.buf);
			}
			if (gt == EMU_T_NESTED || gt == EMU_T_FLOAT64 ||
			    gt == EMU_T_JSON || gt == EMU_T_GEOGRAPHY) {
				free(group[ngroup]);
				perr(p, NULL, "Grouping by expressions of type "
				    "%s is not allowed", emusql_type_name(gt));
				goto out;
			}
			strbuf_addf(&rest, "%s%s", ngroup ? ", " : "",
			    group[ngroup]);
			ngroup++;
		} while (accept_op(p, ","));
	}
	if (accept_kw(p, "HAVING")) {
		struct tok *t = peek(p);
		size_t b0 = c->sel.nbare;

		ex_release(&e);
		ex_init(&e);
		c->sel.track = 1;
		if (parse_expr(p, c->sc, &e) == -1 ||
		    need_type(p, &e, EMU_T_BOOL, "HAVING", t) == -1)
			goto out;
		c->sel.track = 0;
		c->sel.has_agg = 1;
		for (i = b0; i < c->sel.nbare; i++)
			if (!in_list(group, ngroup, c->sel.bare[i])) {
				perr(p, t, "HAVING clause expression "
				    "references column which is neither "
				    "grouped nor aggregated");
				goto out;
			}
		strbuf_addf(&rest, " HAVING %s", e.sql.buf);
	}
	if (c->sel.has_agg || ngroup > 0)
		for (i = 0; i < c->nitems; i++) {
			if (in_list(group, ngroup, c->items[i].sql))
				continue;
			for (j = c->items[i].b0; j < c->items[i].b1; j++)
				if (!in_list(group, ngroup, c->sel.bare[j])) {
					perr(p, &p->t[list_start], "SELECT "
					    "list expression references column "
					    "%s which is neither grouped nor "
					    "aggregated", c->items[i].name ?
					    c->items[i].name : "(expression)");
					goto out;
				}
		}
	/* Name the columns: anonymous ones are f0_, f1_, ... */
	for (i = 0, j = 0; i < c->nitems; i++)
		c->cols[i].name = c->items[i].name ? xstrdup(c->items[i].name) :
		    xstrfmt("f%zu_", j++);
	for (i = 0; i < c->ncols; i++)
		if (c->cols[i].field) {
			cJSON_ReplaceItemInObjectCaseSensitive(c->cols[i].field,
			    "name", cJSON_CreateString(c->cols[i].name));
		}
	strbuf_addf(out, "SELECT %s", distinct ? "DISTINCT " : "");
	for (i = 0; i < c->nitems; i++) {
		strbuf_addf(out, "%s%s AS ", i ? ", " : "", c->items[i].sql);
		add_sql_quoted(out, c->cols[i].name);
	}
	if (has_from)
		strbuf_addf(out, " FROM %s", from.buf);

	strbuf_adds(out, rest.buf);
	c->distinct = distinct;
	c->group = group;
	c->ngroup = ngroup;
	group = NULL;
	ngroup = 0;
	rc = 0;
out:
	for (i = 0; i < ngroup; i++)
		free(group[i]);
	free(group);
	strbuf_release(&from);
	strbuf_release(&rest);
	ex_release(&e);
	return rc;
}

static int
parse_limit_value(struct parser *p, struct strbuf *out, const char *kw)
{
	struct tok *t = peek(p);
	struct ex e;
	int rc = -1;

	ex_init(&e);
	if (t->k == TK_INT) {
		p->i++;
		strbuf_addf(out, " %s %s", kw, t->v);
		rc = 0;
	} else if (t->k == TK_PARAM || t->k == TK_QMARK) {
		if (parse_param(p, &e) == -1)
			goto out;
		if (e.type != EMU_T_INT64) {
			perr(p, t, "%s expects an integer literal or parameter",
			    kw);
			goto out;
		}
		strbuf_addf(out, " %s %s", kw, e.sql.buf);
		rc = 0;
	} else
		perr(p, t, "Syntax error: %s expects an integer literal or "
		    "parameter", kw);
out:
	ex_release(&e);
	return rc;
}

static int
parse_query(struct parser *p, struct scope *outer, struct strbuf *out,
    struct emusql_col **cols, size_t *ncols)
{
	struct core c;
	int rc = -1, n = 0;

	memset(&c, 0, sizeof(c));
	if (is_op(peek(p), "(")) {
		p->i++;
		if (parse_query(p, outer, out, cols, ncols) == -1 ||
		    expect_op(p, ")") == -1)
			return -1;
		if (is_kw(peek(p), "ORDER") || is_kw(peek(p), "LIMIT"))
			return perr(p, NULL, "ORDER BY or LIMIT after a "
			    "parenthesized query is not supported by "
			    "bq-emulator");
		return 0;
	}
	if (is_kw(peek(p), "WITH"))
		return perr(p, NULL, "WITH clauses are not supported by "
		    "bq-emulator");
	if (expect_kw(p, "SELECT") == -1)
		return -1;
	if (parse_core(p, outer, &c, out) == -1)
		goto out;
	if (is_kw(peek(p), "UNION") || is_kw(peek(p), "INTERSECT") ||
	    is_kw(peek(p), "EXCEPT")) {
		perr(p, NULL, "Set operations are not supported by "
		    "bq-emulator");
		goto out;
	}
	if (accept_kw(p, "ORDER")) {
		if (expect_kw(p, "BY") == -1)
			goto out;
		strbuf_adds(out, " ORDER BY ");
		do {
			int k = item_ref(p, &c, 1);
			const char *ref = k >= 0 ? c.items[k].sql : NULL;
			struct ex e;

			if (k == -2)
				goto out;
			ex_init(&e);
			if (ref == NULL) {
				size_t b0 = c.sel.nbare, j;
				struct tok *ot = peek(p);

				c.sel.track = 1;
				if (parse_expr(p, c.sc, &e) == -1) {
					ex_release(&e);
					goto out;
				}
				c.sel.track = 0;
				ref = e.sql.buf;
				for (j = 0; j < c.nitems; j++)
					if (strcmp(c.items[j].sql, ref) == 0)
						break;
				if (c.distinct && j == c.nitems) {
					ex_release(&e);
					perr(p, ot, "ORDER BY clause expression "
					    "references columns not in the SELECT "
					    "DISTINCT list");
					goto out;
				}
				if ((c.sel.has_agg || c.ngroup) && j == c.nitems &&
				    !in_list(c.group, c.ngroup, ref))
					for (j = b0; j < c.sel.nbare; j++)
						if (!in_list(c.group, c.ngroup,
						    c.sel.bare[j])) {
							ex_release(&e);
							perr(p, ot, "ORDER BY clause "
							    "expression references a "
							    "column which is neither "
							    "grouped nor aggregated");
							goto out;
						}
				if (e.type == EMU_T_NESTED || e.type == EMU_T_JSON
				    || e.type == EMU_T_GEOGRAPHY ||
				    e.type == EMU_T_NUMERIC ||
				    e.type == EMU_T_BIGNUMERIC) {
					ex_release(&e);
					perr(p, NULL, "ORDER BY of type %s is "
					    "not supported", emusql_type_name(
					    e.type));
					goto out;
				}
			}
			strbuf_addf(out, "%s%s", n++ ? ", " : "", ref);
			ex_release(&e);
			if (accept_kw(p, "DESC"))
				strbuf_adds(out, " DESC");
			else if (accept_kw(p, "ASC"))
				strbuf_adds(out, " ASC");
			if (accept_kw(p, "NULLS")) {
				if (accept_kw(p, "FIRST"))
					strbuf_adds(out, " NULLS FIRST");
				else if (accept_kw(p, "LAST"))
					strbuf_adds(out, " NULLS LAST");
				else {
					unexpected(p);
					goto out;
				}
			}
		} while (accept_op(p, ","));
	}
	if (accept_kw(p, "LIMIT")) {
		if (parse_limit_value(p, out, "LIMIT") == -1)
			goto out;
		if (accept_kw(p, "OFFSET") &&
		    parse_limit_value(p, out, "OFFSET") == -1)
			goto out;
	}
	*cols = c.cols;
	*ncols = c.ncols;
	c.cols = NULL;
	c.ncols = 0;
	rc = 0;
out:
	core_release(&c);
	return rc;
}

static int
parse_delete(struct parser *p, struct strbuf *out)
{
	struct scope *sc = xcalloc(1, sizeof(*sc));
	struct sel sel;
	struct strbuf qn = STRBUF_INIT;
	char *sqlname = NULL, *alias = NULL;
	struct ex e;
	struct tok *t;
	int rc = -1;

	memset(&sel, 0, sizeof(sel));
	ex_init(&e);
	strbuf_init(&qn, 0);
	sc->sel = &sel;
	accept_kw(p, "FROM");
	if (resolve_table(p, sc, &sqlname) == -1)
		goto out;
	add_sql_quoted(&qn, sqlname);
	snprintf(sc->qual, sizeof(sc->qual), "%s", qn.buf);
	if (qn.len >= sizeof(sc->qual)) {
		perr(p, NULL, "Table name too long");
		goto out;
	}
	if (parse_alias(p, &alias)) {
		free(sc->alias);
		sc->alias = alias;
	}
	t = peek(p);
	if (!accept_kw(p, "WHERE")) {
		perr(p, t, "A DELETE statement must have a WHERE clause");
		goto out;
	}
	t = peek(p);
	if (parse_expr(p, sc, &e) == -1 ||
	    need_type(p, &e, EMU_T_BOOL, "WHERE", t) == -1)
		goto out;
	if (e.agg) {
		perr(p, t, "Aggregate function not allowed in WHERE clause");
		goto out;
	}
	strbuf_addf(out, "DELETE FROM %s WHERE %s", qn.buf, e.sql.buf);
	p->q->target = xstrdup(qn.buf);
	rc = 0;
out:
	free(sqlname);
	strbuf_release(&qn);
	ex_release(&e);
	cols_free(sc->cols, sc->ncols);
	free(sc->alias);
	free(sc);
	return rc;
}

struct emusql_query *
emusql_compile(const char *sql, const struct emusql_ctx *ctx,
    struct bq_err *err)
{
	struct parser p;
	struct emusql_query *q = xcalloc(1, sizeof(*q));
	struct strbuf out = STRBUF_INIT;
	size_t i, j;

	memset(&p, 0, sizeof(p));
	p.ctx = ctx;
	p.err = err;
	p.q = q;
	bq_err_clear(err);
	strbuf_init(&out, 0);
	if (lex(sql, &p.t, &p.n, err) == -1)
		goto fail;
	if (is_kw(peek(&p), "SELECT") || is_kw(peek(&p), "WITH") ||
	    is_op(peek(&p), "(")) {
		q->kind = EMUSQL_SELECT;
		if (parse_query(&p, NULL, &out, &q->cols, &q->ncols) == -1)
			goto fail;
	} else if (accept_kw(&p, "DELETE")) {
		q->kind = EMUSQL_DELETE;
		if (parse_delete(&p, &out) == -1)
			goto fail;
	} else if (peek(&p)->k == TK_IDENT) {
		perr(&p, NULL, "%s statements are not supported by "
		    "bq-emulator", peek(&p)->v);
		goto fail;
	} else {
		unexpected(&p);
		goto fail;
	}
	accept_op(&p, ";");
	if (peek(&p)->k != TK_EOF) {
		unexpected(&p);
		goto fail;
	}
	for (i = 0; i < q->ncols; i++)
		for (j = 0; j < i; j++)
			if (strcasecmp(q->cols[i].name, q->cols[j].name) == 0) {
				bq_err_set(err, EXIT_DATA, "Duplicate column "
				    "names in the result are not supported. "
				    "Found duplicate(s): %s", q->cols[i].name);
				err->http_status = 400;
				goto fail;
			}
	q->sql = strbuf_detach(&out, NULL);
	goto done;
fail:
	if (!err->kind) {
		bq_err_set(err, EXIT_DATA, "Syntax error");
		err->http_status = 400;
	}
	emusql_query_free(q);
	q = NULL;
	strbuf_release(&out);
done:
	for (i = 0; i < p.n; i++)
		free(p.t[i].v);
	free(p.t);
	free(p.pnames);
	free(p.pidx);
	return q;
}

void
emusql_query_free(struct emusql_query *q)
{
	size_t i;

	if (q == NULL)
		return;
	free(q->sql);
	cols_free(q->cols, q->ncols);
	for (i = 0; i < q->nbinds; i++)
		free(q->binds[i].s);
	free(q->binds);
	free(q->target);
	for (i = 0; i < q->ntables; i++)
		free(q->tables[i]);
	free(q->tables);
	free(q);
}

int
emusql_bind_all(const struct emusql_query *q, sqlite3_stmt *st)
{
	size_t i;
	int rc = SQLITE_OK, n = sqlite3_bind_parameter_count(st);

	for (i = 0; i < q->nbinds && (int)i < n; i++) {
		const struct emusql_bind *b = &q->binds[i];
		int k = (int)i + 1;

		if (b->is_null)
			rc = sqlite3_bind_null(st, k);
		else switch (b->type) {
		case EMU_T_INT64: case EMU_T_BOOL: case EMU_T_TIMESTAMP:
			rc = sqlite3_bind_int64(st, k, b->i);
			break;
		case EMU_T_FLOAT64:
			rc = sqlite3_bind_double(st, k, b->d);
			break;
		case EMU_T_BYTES:
			rc = sqlite3_bind_blob(st, k, b->s ? b->s : "",
			    (int)b->len, SQLITE_STATIC);
			break;
		default:
			rc = sqlite3_bind_text(st, k, b->s ? b->s : "",
			    (int)b->len, SQLITE_STATIC);
			break;
		}
		if (rc != SQLITE_OK)
			return rc;
	}
	return SQLITE_OK;
}
