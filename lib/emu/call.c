/*
 * emusql: function calls, CASE and scalar subqueries.
 */
#include <inttypes.h>
#include <string.h>

#include "emusql_int.h"
#include "banned.h"

#define NUNITS	10
static const char *trunc_units[NUNITS] = { "MICROSECOND", "MILLISECOND",
    "SECOND", "MINUTE", "HOUR", "DAY", "WEEK", "MONTH", "QUARTER", "YEAR" };

/*
 * A function that reads its own arguments (after the "("): aggregates,
 * CAST, and the TIMESTAMP functions whose last argument is a date part.
 */
typedef int parse_fn(struct parser *, struct scope *, struct tok *ft,
    int arg, struct ex *e);
/* A function over n parsed arguments a (n is within the entry's bounds). */
typedef int compile_fn(struct parser *, struct tok *ft, int arg,
    struct ex *a, int n, struct ex *e);

static int
p_aggregate(struct parser *p, struct scope *sc, struct tok *ft, int arg,
    struct ex *e)
{
	(void)arg;
	return emusql_parse_aggregate(p, sc, ft->v, ft, e);
}

static int
p_cast(struct parser *p, struct scope *sc, struct tok *ft, int safe,
    struct ex *e)
{
	(void)ft;
	p->i--;
	return emusql_parse_cast(p, sc, e, safe);
}

/* The date part ending TIMESTAMP_ADD/SUB/DIFF/TRUNC; its index or -1. */
static int
date_part(struct parser *p, int need_micros, int64_t *m)
{
	struct tok *ut = emusql_peek(p);
	int u;

	for (u = 0; u < NUNITS; u++)
		if (ut->k == TK_IDENT && strcasecmp(ut->v, trunc_units[u]) == 0)
			break;
	*m = ut->k == TK_IDENT ? emusql_unit_micros(ut->v) : 0;
	if (u == NUNITS || (need_micros && *m == 0)) {
		emusql_perr(p, ut, "Unsupported date part %s", ut->v);
		return -1;
	}
	p->i++;
	return u;
}

/* TIMESTAMP_ADD(ts, INTERVAL n unit), TIMESTAMP_SUB: arg is the sign. */
static int
p_ts_add(struct parser *p, struct scope *sc, struct tok *ft, int sign,
    struct ex *e)
{
	const char *fn = ft->v;
	struct ex a[2];
	int64_t m;
	int rc = -1;

	emusql_ex_init(&a[0]);
	emusql_ex_init(&a[1]);
	if (emusql_parse_expr(p, sc, &a[0]) == -1 ||
	    emusql_expect_op(p, ",") == -1 ||
	    emusql_expect_kw(p, "INTERVAL") == -1 ||
	    emusql_parse_expr(p, sc, &a[1]) == -1)
		goto out;
	if (emusql_peek(p)->k != TK_IDENT ||
	    emusql_unit_micros(emusql_peek(p)->v) == 0) {
		emusql_perr(p, emusql_peek(p), "Unsupported date part %s",
		    emusql_peek(p)->v);
		goto out;
	}
	m = emusql_unit_micros(emusql_peek(p)->v);
	p->i++;
	if (emusql_expect_op(p, ")") == -1 ||
	    emusql_need_type(p, &a[0], EMU_T_TIMESTAMP, fn, ft) == -1 ||
	    emusql_need_type(p, &a[1], EMU_T_INT64, fn, ft) == -1)
		goto out;
	emusql_ex_set(e, EMU_T_TIMESTAMP, "bq_ts_add(%s, %s, %" PRId64 ")",
	    a[0].sql.buf, a[1].sql.buf, sign * m);
	e->agg |= a[0].agg | a[1].agg;
	rc = 0;
out:
	emusql_ex_release(&a[0]);
	emusql_ex_release(&a[1]);
	return rc;
}

/* TIMESTAMP_TRUNC(ts, unit) (diff 0) and TIMESTAMP_DIFF(a, b, unit). */
static int
p_ts_unit(struct parser *p, struct scope *sc, struct tok *ft, int diff,
    struct ex *e)
{
	const char *fn = ft->v;
	struct ex a[2];
	int64_t m;
	int rc = -1, u;

	emusql_ex_init(&a[0]);
	emusql_ex_init(&a[1]);
	if (emusql_parse_expr(p, sc, &a[0]) == -1 ||
	    emusql_expect_op(p, ",") == -1)
		goto out;
	if (diff && (emusql_parse_expr(p, sc, &a[1]) == -1 ||
	    emusql_expect_op(p, ",") == -1))
		goto out;
	if ((u = date_part(p, diff, &m)) == -1 ||
	    emusql_expect_op(p, ")") == -1 ||
	    emusql_need_type(p, &a[0], EMU_T_TIMESTAMP, fn, ft) == -1)
		goto out;
	if (diff) {
		if (emusql_need_type(p, &a[1], EMU_T_TIMESTAMP, fn, ft) == -1)
			goto out;
		emusql_ex_set(e, EMU_T_INT64, "bq_ts_diff(%s, %s, %" PRId64 ")",
		    a[0].sql.buf, a[1].sql.buf, m);
	} else
		emusql_ex_set(e, EMU_T_TIMESTAMP, "bq_ts_trunc(%s, '%s')",
		    a[0].sql.buf, trunc_units[u]);
	e->agg |= a[0].agg | a[1].agg;
	rc = 0;
out:
	emusql_ex_release(&a[0]);
	emusql_ex_release(&a[1]);
	return rc;
}

/* Checks that every argument is of type t (after coercing literals). */
static int
need_all(struct parser *p, struct tok *ft, struct ex *a, int n,
    enum emu_type t)
{
	int i;

	for (i = 0; i < n; i++)
		if (emusql_need_type(p, &a[i], t, ft->v, ft) == -1)
			return -1;
	return 0;
}

static int
c_farm_fingerprint(struct parser *p, struct tok *ft, int arg, struct ex *a,
    int n, struct ex *e)
{
	(void)arg;
	if (a[0].type != EMU_T_BYTES && need_all(p, ft, a, n, EMU_T_STRING))
		return -1;
	emusql_ex_set(e, EMU_T_INT64, "bq_farm_fingerprint(%s)", a[0].sql.buf);
	return 0;
}

static int
c_mod(struct parser *p, struct tok *ft, int arg, struct ex *a, int n,
    struct ex *e)
{
	(void)arg;
	if (need_all(p, ft, a, n, EMU_T_INT64) == -1)
		return -1;
	emusql_ex_set(e, EMU_T_INT64, "bq_mod(%s, %s)", a[0].sql.buf,
	    a[1].sql.buf);
	return 0;
}

static int
c_idiv(struct parser *p, struct tok *ft, int arg, struct ex *a, int n,
    struct ex *e)
{
	(void)arg;
	if (need_all(p, ft, a, n, EMU_T_INT64) == -1)
		return -1;
	emusql_ex_set(e, EMU_T_INT64, "bq_idiv(%s, %s)", a[0].sql.buf,
	    a[1].sql.buf);
	return 0;
}

/* One "name", value pair of json_object() for a value of type t. */
static void
json_member(struct strbuf *sb, const char *name, enum emu_type t,
    const char *sql)
{
	if (sb->len > 0)
		strbuf_adds(sb, ", ");
	strbuf_addch(sb, '\'');
	for (; *name; name++) {
		if (*name == '\'')
			strbuf_addch(sb, '\'');
		strbuf_addch(sb, *name);
	}
	strbuf_addch(sb, '\'');
	if (t == EMU_T_BYTES)
		strbuf_addf(sb, ", hex(%s)", sql);
	else if (t == EMU_T_NESTED || t == EMU_T_JSON)
		strbuf_addf(sb, ", json(%s)", sql);
	else if (t == EMU_T_FLOAT64)	/* json_object() writes "Inf" */
		strbuf_addf(sb, ", CASE WHEN abs(%s) > 1.7976931348623157e308 "
		    "THEN CASE WHEN %s > 0 THEN 'Infinity' ELSE '-Infinity' END "
		    "ELSE %s END", sql, sql, sql);
	else
		strbuf_addf(sb, ", %s", sql);
}

/*
 * TO_JSON_STRING(alias) of a whole row, or of STRUCT(expr, ...): a JSON
 * object of the columns as SQLite's json_object() writes them (the same
 * row always gives the same text, which is what fingerprints need; the
 * text is not BigQuery's byte for byte).
 */
static int
p_to_json_string(struct parser *p, struct scope *sc, struct tok *ft, int arg,
    struct ex *e)
{
	struct strbuf m = STRBUF_INIT;
	struct scope *s = NULL;
	struct tok *t = emusql_peek(p);
	struct ex a[64];
	char nm[32];
	size_t i;
	int n = 0, k, rc = -1, strip = 0;

	(void)arg;

	if (emusql_is_kw(t, "JSON_STRIP_NULLS") && emusql_is_op(emusql_peek2(p, 1), "(") &&
	    emusql_is_kw(emusql_peek2(p, 2), "TO_JSON") && emusql_is_op(emusql_peek2(p, 3), "(")) {
		strip = 1;
		p->i += 4;
		t = emusql_peek(p);
	}
	if ((t->k == TK_IDENT || t->k == TK_QIDENT) && emusql_is_op(emusql_peek2(p, 1), ")"))
		for (s = sc; s; s = s->outer)
			if (s->alias && strcasecmp(s->alias, t->v) == 0)
				break;
	if (s != NULL) {
		p->i += 2;
		for (i = 0; i < s->ncols; i++) {
			struct strbuf c = STRBUF_INIT;

			strbuf_addf(&c, "%s.", s->qual);
			emusql_add_quoted(&c, s->cols[i].name);
			json_member(&m, s->cols[i].name, s->cols[i].type, c.buf);
			strbuf_release(&c);
		}
	} else if (emusql_is_kw(t, "STRUCT") && emusql_is_op(emusql_peek2(p, 1), "(")) {
		p->i += 2;
		if (emusql_parse_args(p, sc, a, 64, &n) == -1 || emusql_expect_op(p, ")") == -1)
			goto out;
		for (k = 0; k < n; k++) {
			snprintf(nm, sizeof(nm), "_field_%d", k + 1);
			json_member(&m, a[k].name ? a[k].name : nm, a[k].type,
			    a[k].sql.buf);
		}
	} else {
		emusql_perr(p, ft, "TO_JSON_STRING is supported by bq-emulator only "
		    "for a table alias or STRUCT(...), optionally in "
		    "JSON_STRIP_NULLS(TO_JSON())");
		goto out;
	}
	if (strip && (emusql_expect_op(p, ")") == -1 || emusql_expect_op(p, ")") == -1))
		goto out;
	/* a JSON merge patch onto {} drops the null members */
	emusql_ex_set(e, EMU_T_STRING, strip ? "json_patch('{}', json_object(%s))" :
	    "json_object(%s)", m.buf);
	rc = 0;
out:
	for (k = 0; k < n; k++)
		emusql_ex_release(&a[k]);
	strbuf_release(&m);
	return rc;
}

static int
c_abs(struct parser *p, struct tok *ft, int arg, struct ex *a, int n,
    struct ex *e)
{
	(void)arg;
	(void)n;
	if (!emusql_is_numeric(a[0].type) && a[0].type != EMU_T_NULL) {
		emusql_need_type(p, &a[0], EMU_T_INT64, ft->v, ft);
		return -1;
	}
	emusql_ex_set(e, a[0].type == EMU_T_NULL ? EMU_T_INT64 : a[0].type,
	    "bq_abs(%s)", a[0].sql.buf);
	return 0;
}

/* UNIX_MICROS/MILLIS/SECONDS: arg is the divisor. */
static int
c_unix(struct parser *p, struct tok *ft, int div, struct ex *a, int n,
    struct ex *e)
{
	if (need_all(p, ft, a, n, EMU_T_TIMESTAMP) == -1)
		return -1;
	if (div == 1)
		emusql_ex_set(e, EMU_T_INT64, "(%s)", a[0].sql.buf);
	else
		emusql_ex_set(e, EMU_T_INT64, "bq_floordiv(%s, %d)",
		    a[0].sql.buf, div);
	return 0;
}

/* TIMESTAMP_MICROS/MILLIS/SECONDS: arg is the multiplier. */
static int
c_ts_from(struct parser *p, struct tok *ft, int mul, struct ex *a, int n,
    struct ex *e)
{
	if (need_all(p, ft, a, n, EMU_T_INT64) == -1)
		return -1;
	emusql_ex_set(e, EMU_T_TIMESTAMP, "bq_ts_check(bq_iarith(42, %s, %d))",
	    a[0].sql.buf, mul);
	return 0;
}

static int
c_timestamp(struct parser *p, struct tok *ft, int arg, struct ex *a, int n,
    struct ex *e)
{
	(void)arg;
	(void)n;
	if (a[0].lit == LIT_STRING) {
		if (emusql_coerce(p, &a[0], EMU_T_TIMESTAMP, ft) == -1)
			return -1;
		emusql_ex_set(e, EMU_T_TIMESTAMP, "%s", a[0].sql.buf);
	} else if (a[0].type == EMU_T_TIMESTAMP || a[0].type == EMU_T_NULL)
		emusql_ex_set(e, EMU_T_TIMESTAMP, "%s", a[0].sql.buf);
	else if (a[0].type == EMU_T_STRING || a[0].type == EMU_T_DATE ||
	    a[0].type == EMU_T_DATETIME)
		emusql_ex_set(e, EMU_T_TIMESTAMP, "bq_ts_parse(%s)",
		    a[0].sql.buf);
	else {
		emusql_need_type(p, &a[0], EMU_T_STRING, ft->v, ft);
		return -1;
	}
	return 0;
}

static int
c_current_timestamp(struct parser *p, struct tok *ft, int arg, struct ex *a,
    int n, struct ex *e)
{
	(void)ft;
	(void)arg;
	(void)a;
	(void)n;
	emusql_ex_set(e, EMU_T_TIMESTAMP, "%" PRId64, p->ctx->now);
	return 0;
}

static int
c_date(struct parser *p, struct tok *ft, int arg, struct ex *a, int n,
    struct ex *e)
{
	(void)arg;
	if (a[0].lit == LIT_STRING) {
		if (emusql_coerce(p, &a[0], EMU_T_DATE, ft) == -1)
			return -1;
		emusql_ex_set(e, EMU_T_DATE, "%s", a[0].sql.buf);
		return 0;
	}
	if (need_all(p, ft, a, n, EMU_T_TIMESTAMP) == -1)
		return -1;
	emusql_ex_set(e, EMU_T_DATE, "bq_ts_date(%s)", a[0].sql.buf);
	return 0;
}

static int
c_from_hex(struct parser *p, struct tok *ft, int arg, struct ex *a, int n,
    struct ex *e)
{
	(void)arg;
	if (need_all(p, ft, a, n, EMU_T_STRING) == -1)
		return -1;
	emusql_ex_set(e, EMU_T_BYTES, "bq_from_hex(%s)", a[0].sql.buf);
	return 0;
}

static int
c_to_hex(struct parser *p, struct tok *ft, int arg, struct ex *a, int n,
    struct ex *e)
{
	(void)arg;
	if (need_all(p, ft, a, n, EMU_T_BYTES) == -1)
		return -1;
	emusql_ex_set(e, EMU_T_STRING, "lower(hex(%s))", a[0].sql.buf);
	return 0;
}

/* LENGTH, CHAR_LENGTH (arg 0) and BYTE_LENGTH (arg 1). */
static int
c_length(struct parser *p, struct tok *ft, int bytes, struct ex *a, int n,
    struct ex *e)
{
	if (a[0].type != EMU_T_BYTES &&
	    need_all(p, ft, a, n, EMU_T_STRING) == -1)
		return -1;
	if (bytes)
		emusql_ex_set(e, EMU_T_INT64, "length(CAST(%s AS BLOB))",
		    a[0].sql.buf);
	else
		emusql_ex_set(e, EMU_T_INT64, "length(%s)", a[0].sql.buf);
	return 0;
}

/* LOWER (arg 0) and UPPER (arg 1). */
static int
c_case(struct parser *p, struct tok *ft, int upper, struct ex *a, int n,
    struct ex *e)
{
	if (need_all(p, ft, a, n, EMU_T_STRING) == -1)
		return -1;
	emusql_ex_set(e, EMU_T_STRING, "bq_case(%s, %d)", a[0].sql.buf, upper);
	return 0;
}

static int
c_concat(struct parser *p, struct tok *ft, int arg, struct ex *a, int n,
    struct ex *e)
{
	struct strbuf sb = STRBUF_INIT;
	enum emu_type t = a[0].type == EMU_T_BYTES ? EMU_T_BYTES :
	    EMU_T_STRING;
	int i;

	(void)arg;
	if (need_all(p, ft, a, n, t) == -1)
		return -1;
	strbuf_addch(&sb, '(');
	for (i = 0; i < n; i++)
		strbuf_addf(&sb, "%s%s", i ? " || " : "", a[i].sql.buf);
	strbuf_addch(&sb, ')');
	emusql_ex_set(e, t, "%s", sb.buf);
	strbuf_release(&sb);
	return 0;
}

enum { CO_COALESCE, CO_GREATEST, CO_LEAST, CO_NULLIF };

/* COALESCE, IFNULL, GREATEST, LEAST, NULLIF: arg says which. */
static int
c_coalesce(struct parser *p, struct tok *ft, int which, struct ex *a, int n,
    struct ex *e)
{
	struct strbuf sb = STRBUF_INIT;
	enum emu_type t = EMU_T_NULL;
	const char *f = "coalesce";
	int i;

	if (which == CO_GREATEST)
		f = n == 1 ? "" : "max";
	else if (which == CO_LEAST)
		f = n == 1 ? "" : "min";
	else if (which == CO_NULLIF)
		f = "nullif";
	for (i = 0; i < n; i++)
		if (emusql_supertype(p, &t, &a[i], ft) == -1)
			return -1;
	for (i = 0; i < n; i++)
		if (emusql_coerce(p, &a[i], t, ft) == -1)
			return -1;
	if (t == EMU_T_NESTED)
		return emusql_perr(p, ft, "%s of RECORD values is not supported "
		    "by bq-emulator", ft->v);
	strbuf_addf(&sb, "%s(", f);
	for (i = 0; i < n; i++)
		strbuf_addf(&sb, "%s%s", i ? ", " : "", a[i].sql.buf);
	if (n == 1 && f[0] == 'c')
		strbuf_adds(&sb, ", NULL");
	strbuf_addch(&sb, ')');
	emusql_ex_set(e, t, "%s", sb.buf);
	strbuf_release(&sb);
	return 0;
}

static int
c_if(struct parser *p, struct tok *ft, int arg, struct ex *a, int n,
    struct ex *e)
{
	enum emu_type t = EMU_T_NULL;

	(void)arg;
	(void)n;
	if (emusql_need_type(p, &a[0], EMU_T_BOOL, ft->v, ft) == -1 ||
	    emusql_supertype(p, &t, &a[1], ft) == -1 ||
	    emusql_supertype(p, &t, &a[2], ft) == -1 ||
	    emusql_coerce(p, &a[1], t, ft) == -1)
		return -1;
	emusql_ex_set(e, t, "(CASE WHEN %s THEN %s ELSE %s END)", a[0].sql.buf,
	    a[1].sql.buf, a[2].sql.buf);
	return 0;
}

/* SAFE_DIVIDE (arg 0) and IEEE_DIVIDE (arg 1, refused). */
static int
c_divide(struct parser *p, struct tok *ft, int ieee, struct ex *a, int n,
    struct ex *e)
{
	if (need_all(p, ft, a, n, EMU_T_FLOAT64) == -1)
		return -1;
	if (ieee)
		return emusql_perr(p, ft, "IEEE_DIVIDE is not supported by "
		    "bq-emulator");
	emusql_ex_set(e, EMU_T_FLOAT64, "bq_div(%s, %s, 1)", a[0].sql.buf,
	    a[1].sql.buf);
	return 0;
}

/* STARTS_WITH (arg 0) and ENDS_WITH (arg 1). */
static int
c_affix(struct parser *p, struct tok *ft, int ends, struct ex *a, int n,
    struct ex *e)
{
	const char *s, *x;

	if (need_all(p, ft, a, n, EMU_T_STRING) == -1)
		return -1;
	s = a[0].sql.buf;
	x = a[1].sql.buf;
	if (!ends)
		emusql_ex_set(e, EMU_T_BOOL, "(substr(%s, 1, length(%s)) = %s)",
		    s, x, x);
	else
		emusql_ex_set(e, EMU_T_BOOL, "(length(%s) <= length(%s) AND "
		    "substr(%s, -length(%s)) = %s OR %s = '')", x, s, s, x, x, x);
	return 0;
}

/*
 * The functions the emulator knows, searched by name (case-insensitive):
 * either parse (reads its own arguments) or compile (called with min..max
 * parsed arguments), with arg as the variant.
 */
static const struct sqlfn {
	const char	*name;
	parse_fn	*parse;
	compile_fn	*compile;
	int		 min, max;
	int		 arg;
} function_list[] = {
	{ "ABS", NULL, c_abs, 1, 1, 0 },
	{ "ANY_VALUE", p_aggregate, NULL, 0, 0, 0 },
	{ "AVG", p_aggregate, NULL, 0, 0, 0 },
	{ "BIT_XOR", p_aggregate, NULL, 0, 0, 0 },
	{ "BYTE_LENGTH", NULL, c_length, 1, 1, 1 },
	{ "CAST", p_cast, NULL, 0, 0, 0 },
	{ "CHAR_LENGTH", NULL, c_length, 1, 1, 0 },
	{ "COALESCE", NULL, c_coalesce, 1, 16, CO_COALESCE },
	{ "CONCAT", NULL, c_concat, 1, 16, 0 },
	{ "COUNT", p_aggregate, NULL, 0, 0, 0 },
	{ "COUNTIF", p_aggregate, NULL, 0, 0, 0 },
	{ "CURRENT_TIMESTAMP", NULL, c_current_timestamp, 0, 0, 0 },
	{ "DATE", NULL, c_date, 1, 1, 0 },
	{ "DIV", NULL, c_idiv, 2, 2, 0 },
	{ "ENDS_WITH", NULL, c_affix, 2, 2, 1 },
	{ "FARM_FINGERPRINT", NULL, c_farm_fingerprint, 1, 1, 0 },
	{ "FROM_HEX", NULL, c_from_hex, 1, 1, 0 },
	{ "GREATEST", NULL, c_coalesce, 1, 16, CO_GREATEST },
	{ "IEEE_DIVIDE", NULL, c_divide, 2, 2, 1 },
	{ "IF", NULL, c_if, 3, 3, 0 },
	{ "IFNULL", NULL, c_coalesce, 2, 2, CO_COALESCE },
	{ "LEAST", NULL, c_coalesce, 1, 16, CO_LEAST },
	{ "LENGTH", NULL, c_length, 1, 1, 0 },
	{ "LOGICAL_AND", p_aggregate, NULL, 0, 0, 0 },
	{ "LOGICAL_OR", p_aggregate, NULL, 0, 0, 0 },
	{ "LOWER", NULL, c_case, 1, 1, 0 },
	{ "MAX", p_aggregate, NULL, 0, 0, 0 },
	{ "MIN", p_aggregate, NULL, 0, 0, 0 },
	{ "MOD", NULL, c_mod, 2, 2, 0 },
	{ "NULLIF", NULL, c_coalesce, 2, 2, CO_NULLIF },
	{ "SAFE_CAST", p_cast, NULL, 0, 0, 1 },
	{ "SAFE_DIVIDE", NULL, c_divide, 2, 2, 0 },
	{ "STARTS_WITH", NULL, c_affix, 2, 2, 0 },
	{ "SUM", p_aggregate, NULL, 0, 0, 0 },
	{ "TIMESTAMP", NULL, c_timestamp, 1, 1, 0 },
	{ "TIMESTAMP_ADD", p_ts_add, NULL, 0, 0, 1 },
	{ "TIMESTAMP_DIFF", p_ts_unit, NULL, 0, 0, 1 },
	{ "TIMESTAMP_MICROS", NULL, c_ts_from, 1, 1, 1 },
	{ "TIMESTAMP_MILLIS", NULL, c_ts_from, 1, 1, 1000 },
	{ "TIMESTAMP_SECONDS", NULL, c_ts_from, 1, 1, 1000000 },
	{ "TIMESTAMP_SUB", p_ts_add, NULL, 0, 0, -1 },
	{ "TIMESTAMP_TRUNC", p_ts_unit, NULL, 0, 0, 0 },
	{ "TO_HEX", NULL, c_to_hex, 1, 1, 0 },
	{ "TO_JSON_STRING", p_to_json_string, NULL, 0, 0, 0 },
	{ "UNIX_MICROS", NULL, c_unix, 1, 1, 1 },
	{ "UNIX_MILLIS", NULL, c_unix, 1, 1, 1000 },
	{ "UNIX_SECONDS", NULL, c_unix, 1, 1, 1000000 },
	{ "UPPER", NULL, c_case, 1, 1, 1 },
};

static const struct sqlfn *
find_function(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(function_list) / sizeof(function_list[0]); i++)
		if (strcasecmp(name, function_list[i].name) == 0)
			return &function_list[i];
	return NULL;
}

int
emusql_parse_call(struct parser *p, struct scope *sc, struct tok *ft, struct ex *e)
{
	const struct sqlfn *f = find_function(ft->v);
	struct ex a[16];
	int n = 0, rc = -1, i;

	if (f != NULL && f->parse != NULL)
		return f->parse(p, sc, ft, f->arg, e);
	if (emusql_parse_args(p, sc, a, 16, &n) == -1)
		goto out;
	if (f == NULL) {
		emusql_perr(p, ft, "Function not found: %s (not supported by "
		    "bq-emulator)", ft->v);
		goto out;
	}
	if (n < f->min || n > f->max) {
		emusql_perr(p, ft, "Number of arguments does not match for "
		    "function %s", ft->v);
		goto out;
	}
	if (f->compile(p, ft, f->arg, a, n, e) == -1)
		goto out;
	for (i = 0; i < n; i++)
		e->agg |= a[i].agg;
	rc = 0;
out:
	for (i = 0; i < n; i++)
		emusql_ex_release(&a[i]);
	return rc;
}

int
emusql_parse_case(struct parser *p, struct scope *sc, struct ex *e, struct tok *ct)
{
	struct ex subj, w, th;
	struct strbuf sb = STRBUF_INIT;
	enum emu_type t = EMU_T_NULL;
	int rc = -1, has_subj = 0, agg = 0;

	emusql_ex_init(&subj);
	emusql_ex_init(&w);
	emusql_ex_init(&th);
	strbuf_adds(&sb, "(CASE");
	if (!emusql_is_kw(emusql_peek(p), "WHEN")) {
		has_subj = 1;
		if (emusql_parse_expr(p, sc, &subj) == -1)
			goto out;
		strbuf_addf(&sb, " %s", subj.sql.buf);
		agg |= subj.agg;
	}
	while (emusql_accept_kw(p, "WHEN")) {
		emusql_ex_release(&w);
		emusql_ex_release(&th);
		emusql_ex_init(&w);
		emusql_ex_init(&th);
		if (emusql_parse_expr(p, sc, &w) == -1 || emusql_expect_kw(p, "THEN") == -1 ||
		    emusql_parse_expr(p, sc, &th) == -1)
			goto out;
		if (has_subj ? emusql_comparable(p, &subj, &w, "=", ct) == -1 :
		    emusql_need_type(p, &w, EMU_T_BOOL, "CASE", ct) == -1)
			goto out;
		if (emusql_supertype(p, &t, &th, ct) == -1)
			goto out;
		strbuf_addf(&sb, " WHEN %s THEN %s", w.sql.buf, th.sql.buf);
		agg |= w.agg | th.agg;
	}
	if (emusql_accept_kw(p, "ELSE")) {
		emusql_ex_release(&th);
		emusql_ex_init(&th);
		if (emusql_parse_expr(p, sc, &th) == -1 ||
		    emusql_supertype(p, &t, &th, ct) == -1)
			goto out;
		strbuf_addf(&sb, " ELSE %s", th.sql.buf);
		agg |= th.agg;
	}
	if (emusql_expect_kw(p, "END") == -1)
		goto out;
	strbuf_adds(&sb, " END)");
	emusql_ex_set(e, t, "%s", sb.buf);
	e->agg = agg;
	rc = 0;
out:
	strbuf_release(&sb);
	emusql_ex_release(&subj);
	emusql_ex_release(&w);
	emusql_ex_release(&th);
	return rc;
}

/* A parenthesised subquery used as a value: one column. */
int
emusql_parse_scalar_subquery(struct parser *p, struct scope *sc, struct ex *e,
    struct tok *at)
{
	struct strbuf sb = STRBUF_INIT;
	struct emusql_col *cols = NULL;
	size_t ncols = 0;
	int rc = -1;

	if (emusql_parse_query(p, sc, &sb, &cols, &ncols) == -1 ||
	    emusql_expect_op(p, ")") == -1)
		goto out;
	if (ncols != 1) {
		emusql_perr(p, at, "Scalar subquery cannot have more than one column "
		    "unless using SELECT AS STRUCT to build STRUCT values");
		goto out;
	}
	if (cols[0].type == EMU_T_NESTED) {
		emusql_perr(p, at, "Subqueries of RECORD values are not supported by "
		    "bq-emulator");
		goto out;
	}
	emusql_ex_set(e, cols[0].type, "(%s)", sb.buf);
	rc = 0;
out:
	emusql_cols_free(cols, ncols);
	strbuf_release(&sb);
	return rc;
}
