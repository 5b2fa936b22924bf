/*
 * emusql: the SQLite functions compiled queries call.
 */
#include <ctype.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emusql_int.h"
#include "hash.h"
#include "ts.h"
#include "banned.h"

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
	emusql_split_micros(t, &days, &rem);
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
	emusql_split_micros(sqlite3_value_int64(argv[0]), &days, &rem);
	ts_civil_from_days(days, &y, &m, &d);
	snprintf(buf, sizeof(buf), "%04" PRId64 "-%02u-%02u", y, m, d);
	sqlite3_result_text(cx, buf, -1, SQLITE_TRANSIENT);
}

/* CAST(x AS STRING) from any type src. */
static void
cast_to_string(sqlite3_context *cx, enum emu_type src, sqlite3_value *v)
{
	char buf[48];
	double d;
	int prec;

	switch (src) {
	case EMU_T_TIMESTAMP:
		emusql_format_ts_string(sqlite3_value_int64(v), buf);
		break;
	case EMU_T_BOOL:
		snprintf(buf, sizeof(buf), "%s",
		    sqlite3_value_int(v) ? "true" : "false");
		break;
	case EMU_T_FLOAT64:
		d = sqlite3_value_double(v);
		if (isnan(d) || isinf(d))
			snprintf(buf, sizeof(buf), "%s", isnan(d) ?
			    "nan" : d < 0 ? "-inf" : "inf");
		else {
			/* The shortest text that reads back the same. */
			for (prec = 1; prec <= 17; prec++) {
				snprintf(buf, sizeof(buf), "%.*g", prec, d);
				if (strtod(buf, NULL) == d)
					break;
			}
		}
		break;
	case EMU_T_INT64:
		snprintf(buf, sizeof(buf), "%lld",
		    (long long)sqlite3_value_int64(v));
		break;
	case EMU_T_DATETIME:
		/* CAST(DATETIME AS STRING) uses a space. */
		snprintf(buf, sizeof(buf), "%s", sqlite3_value_text(v));
		if (strlen(buf) > 10)
			buf[10] = ' ';
		break;
	default:
		sqlite3_result_value(cx, v);
		if (src == EMU_T_BYTES)
			sqlite3_result_text(cx,
			    (const char *)sqlite3_value_blob(v),
			    sqlite3_value_bytes(v), SQLITE_TRANSIENT);
		return;
	}
	sqlite3_result_text(cx, buf, -1, SQLITE_TRANSIENT);
}

/* CAST(string AS dst); NULL if safe and the text is not a dst. */
static void
cast_from_string(sqlite3_context *cx, enum emu_type dst, int safe,
    sqlite3_value *v)
{
	const char *s = (const char *)sqlite3_value_text(v);
	struct emusql_bind b;
	struct bq_err err = BQ_ERR_INIT;

	if (dst == EMU_T_BYTES) {
		sqlite3_result_blob(cx, s, sqlite3_value_bytes(v),
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
		sqlite3_result_text(cx, b.s, (int)b.len, SQLITE_TRANSIENT);
	free(b.s);
}

/* CAST(float AS INT64), rounding half away from zero as BigQuery. */
static void
cast_float_to_int(sqlite3_context *cx, int safe, sqlite3_value *v)
{
	double d = round(sqlite3_value_double(v));

	if (!(d >= -9223372036854775808.0 && d < 9223372036854775808.0)) {
		if (safe)
			sqlite3_result_null(cx);
		else
			sql_error(cx, "Illegal conversion of non-finite or "
			    "out-of-range floating point number to an "
			    "integer");
		return;
	}
	sqlite3_result_int64(cx, (int64_t)d);
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
	int64_t i;

	if (sql_null_arg(cx, 1, argv))
		return;
	(void)argc;
	src = (enum emu_type)sqlite3_value_int(argv[1]);
	dst = (enum emu_type)sqlite3_value_int(argv[2]);
	safe = sqlite3_value_int(argv[3]);
	if (dst == EMU_T_STRING)
		cast_to_string(cx, src, argv[0]);
	else if (src == EMU_T_STRING)
		cast_from_string(cx, dst, safe, argv[0]);
	else if (dst == EMU_T_INT64 && src == EMU_T_FLOAT64)
		cast_float_to_int(cx, safe, argv[0]);
	else if (dst == EMU_T_FLOAT64)
		sqlite3_result_double(cx, sqlite3_value_double(argv[0]));
	else if (dst == EMU_T_BOOL)
		sqlite3_result_int(cx, sqlite3_value_int64(argv[0]) != 0);
	else if (dst == EMU_T_INT64 && src == EMU_T_BOOL)
		sqlite3_result_int64(cx, sqlite3_value_int64(argv[0]));
	else if (dst == EMU_T_DATE && src == EMU_T_TIMESTAMP)
		fn_ts_date(cx, 1, argv);
	else if (dst == EMU_T_TIMESTAMP && src == EMU_T_DATE &&
	    ts_parse((const char *)sqlite3_value_text(argv[0]), &i) == 0)
		sqlite3_result_int64(cx, i);
	else if (dst == src)
		sqlite3_result_value(cx, argv[0]);
	else
		sql_error(cx, "Invalid cast from %s to %s",
		    emusql_type_name(src), emusql_type_name(dst));
}

/* DIV(x, y): integer division truncating toward zero. */
static void
fn_idiv(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	int64_t a, b;

	if (sql_null_arg(cx, argc, argv))
		return;
	a = sqlite3_value_int64(argv[0]);
	b = sqlite3_value_int64(argv[1]);
	if (b == 0) {
		sql_error(cx, "division by zero: %" PRId64 " / 0", a);
		return;
	}
	if (a == INT64_MIN && b == -1) {
		sql_error(cx, "integer overflow: %" PRId64 " / -1", a);
		return;
	}
	sqlite3_result_int64(cx, a / b);
}

/* BIT_XOR: NULLs are skipped; no value at all gives NULL. */
struct bit_xor {
	int64_t	 x;
	int	 any;
};

static void
fn_bit_xor_step(sqlite3_context *cx, int argc, sqlite3_value **argv)
{
	struct bit_xor *b = sqlite3_aggregate_context(cx, sizeof(*b));

	(void)argc;
	if (b == NULL || sqlite3_value_type(argv[0]) == SQLITE_NULL)
		return;
	b->x = (int64_t)((uint64_t)b->x ^
	    (uint64_t)sqlite3_value_int64(argv[0]));
	b->any = 1;
}

static void
fn_bit_xor_final(sqlite3_context *cx)
{
	struct bit_xor *b = sqlite3_aggregate_context(cx, 0);

	if (b == NULL || !b->any)
		sqlite3_result_null(cx);
	else
		sqlite3_result_int64(cx, b->x);
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
		{ "bq_idiv", 2, fn_idiv },
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
	return sqlite3_create_function(db, "bq_bit_xor", 1,
	    SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, NULL, fn_bit_xor_step,
	    fn_bit_xor_final);
}
