/*
 * emusql: function calls, CASE and scalar subqueries.
 */
#include <inttypes.h>
#include <string.h>

#include "emusql_int.h"
#include "banned.h"

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

int
emusql_parse_call(struct parser *p, struct scope *sc, struct tok *ft, struct ex *e)
{
	const char *fn = ft->v;
	struct ex a[16];
	int n = 0, rc = -1, i;
	struct tok *ut;
	int64_t m;

	if (is_aggregate(fn))
		return emusql_parse_aggregate(p, sc, fn, ft, e);
	if (strcasecmp(fn, "CAST") == 0 || strcasecmp(fn, "SAFE_CAST") == 0) {
		p->i--;
		return emusql_parse_cast(p, sc, e, fn[0] == 'S' || fn[0] == 's');
	}
	if (strcasecmp(fn, "TIMESTAMP_ADD") == 0 ||
	    strcasecmp(fn, "TIMESTAMP_SUB") == 0) {
		emusql_ex_init(&a[0]);
		emusql_ex_init(&a[1]);
		n = 2;
		if (emusql_parse_expr(p, sc, &a[0]) == -1 || emusql_expect_op(p, ",") == -1 ||
		    emusql_expect_kw(p, "INTERVAL") == -1 ||
		    emusql_parse_expr(p, sc, &a[1]) == -1)
			goto out;
		ut = emusql_peek(p);
		if (ut->k != TK_IDENT || (m = emusql_unit_micros(ut->v)) == 0) {
			emusql_perr(p, ut, "Unsupported date part %s", ut->v);
			goto out;
		}
		p->i++;
		if (emusql_expect_op(p, ")") == -1 ||
		    emusql_need_type(p, &a[0], EMU_T_TIMESTAMP, fn, ft) == -1 ||
		    emusql_need_type(p, &a[1], EMU_T_INT64, fn, ft) == -1)
			goto out;
		emusql_ex_set(e, EMU_T_TIMESTAMP, "bq_ts_add(%s, %s, %" PRId64 ")",
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

		emusql_ex_init(&a[0]);
		emusql_ex_init(&a[1]);
		n = 2;
		if (emusql_parse_expr(p, sc, &a[0]) == -1 || emusql_expect_op(p, ",") == -1)
			goto out;
		if (diff && (emusql_parse_expr(p, sc, &a[1]) == -1 ||
		    emusql_expect_op(p, ",") == -1))
			goto out;
		ut = emusql_peek(p);
		for (u = 0; u < sizeof(units) / sizeof(units[0]); u++)
			if (ut->k == TK_IDENT && strcasecmp(ut->v, units[u]) == 0)
				break;
		if (u == sizeof(units) / sizeof(units[0]) ||
		    (diff && emusql_unit_micros(ut->v) == 0)) {
			emusql_perr(p, ut, "Unsupported date part %s", ut->v);
			goto out;
		}
		p->i++;
		if (emusql_expect_op(p, ")") == -1 ||
		    emusql_need_type(p, &a[0], EMU_T_TIMESTAMP, fn, ft) == -1)
			goto out;
		if (diff) {
			if (emusql_need_type(p, &a[1], EMU_T_TIMESTAMP, fn, ft) == -1)
				goto out;
			emusql_ex_set(e, EMU_T_INT64, "bq_ts_diff(%s, %s, %" PRId64
			    ")", a[0].sql.buf, a[1].sql.buf,
			    emusql_unit_micros(ut->v));
		} else
			emusql_ex_set(e, EMU_T_TIMESTAMP, "bq_ts_trunc(%s, '%s')",
			    a[0].sql.buf, units[u]);
		goto done;
	}
	if (emusql_parse_args(p, sc, a, 16, &n) == -1)
		goto out;
#define NARGS(lo, hi) do { if (n < (lo) || n > (hi)) { \
	emusql_perr(p, ft, "Number of arguments does not match for function %s", \
	    fn); goto out; } } while (0)
	if (strcasecmp(fn, "FARM_FINGERPRINT") == 0) {
		NARGS(1, 1);
		if (a[0].type != EMU_T_BYTES &&
		    emusql_need_type(p, &a[0], EMU_T_STRING, fn, ft) == -1)
			goto out;
		emusql_ex_set(e, EMU_T_INT64, "bq_farm_fingerprint(%s)", a[0].sql.buf);
	} else if (strcasecmp(fn, "MOD") == 0) {
		NARGS(2, 2);
		if (emusql_need_type(p, &a[0], EMU_T_INT64, fn, ft) == -1 ||
		    emusql_need_type(p, &a[1], EMU_T_INT64, fn, ft) == -1)
			goto out;
		emusql_ex_set(e, EMU_T_INT64, "bq_mod(%s, %s)", a[0].sql.buf,
		    a[1].sql.buf);
	} else if (strcasecmp(fn, "ABS") == 0) {
		NARGS(1, 1);
		if (!emusql_is_numeric(a[0].type) && a[0].type != EMU_T_NULL) {
			emusql_need_type(p, &a[0], EMU_T_INT64, fn, ft);
			goto out;
		}
		emusql_ex_set(e, a[0].type == EMU_T_NULL ? EMU_T_INT64 : a[0].type,
		    "bq_abs(%s)", a[0].sql.buf);
	} else if (strcasecmp(fn, "UNIX_MICROS") == 0 ||
	    strcasecmp(fn, "UNIX_MILLIS") == 0 ||
	    strcasecmp(fn, "UNIX_SECONDS") == 0) {
		NARGS(1, 1);
		if (emusql_need_type(p, &a[0], EMU_T_TIMESTAMP, fn, ft) == -1)
			goto out;
		if (strcasecmp(fn, "UNIX_MICROS") == 0)
			emusql_ex_set(e, EMU_T_INT64, "(%s)", a[0].sql.buf);
		else
			emusql_ex_set(e, EMU_T_INT64, "bq_floordiv(%s, %d)",
			    a[0].sql.buf, strcasecmp(fn, "UNIX_MILLIS") == 0 ?
			    1000 : 1000000);
	} else if (strcasecmp(fn, "TIMESTAMP_MICROS") == 0 ||
	    strcasecmp(fn, "TIMESTAMP_MILLIS") == 0 ||
	    strcasecmp(fn, "TIMESTAMP_SECONDS") == 0) {
		NARGS(1, 1);
		if (emusql_need_type(p, &a[0], EMU_T_INT64, fn, ft) == -1)
			goto out;
		emusql_ex_set(e, EMU_T_TIMESTAMP, "bq_ts_check(bq_iarith(42, %s, %d))",
		    a[0].sql.buf, strcasecmp(fn, "TIMESTAMP_MICROS") == 0 ? 1 :
		    strcasecmp(fn, "TIMESTAMP_MILLIS") == 0 ? 1000 : 1000000);
	} else if (strcasecmp(fn, "TIMESTAMP") == 0) {
		NARGS(1, 1);
		if (a[0].lit == LIT_STRING) {
			if (emusql_coerce(p, &a[0], EMU_T_TIMESTAMP, ft) == -1)
				goto out;
			emusql_ex_set(e, EMU_T_TIMESTAMP, "%s", a[0].sql.buf);
		} else if (a[0].type == EMU_T_TIMESTAMP ||
		    a[0].type == EMU_T_NULL)
			emusql_ex_set(e, EMU_T_TIMESTAMP, "%s", a[0].sql.buf);
		else if (a[0].type == EMU_T_STRING || a[0].type == EMU_T_DATE ||
		    a[0].type == EMU_T_DATETIME)
			emusql_ex_set(e, EMU_T_TIMESTAMP, "bq_ts_parse(%s)",
			    a[0].sql.buf);
		else {
			emusql_need_type(p, &a[0], EMU_T_STRING, fn, ft);
			goto out;
		}
	} else if (strcasecmp(fn, "CURRENT_TIMESTAMP") == 0) {
		NARGS(0, 0);
		emusql_ex_set(e, EMU_T_TIMESTAMP, "%" PRId64, p->ctx->now);
	} else if (strcasecmp(fn, "DATE") == 0) {
		NARGS(1, 1);
		if (a[0].lit == LIT_STRING) {
			if (emusql_coerce(p, &a[0], EMU_T_DATE, ft) == -1)
				goto out;
			emusql_ex_set(e, EMU_T_DATE, "%s", a[0].sql.buf);
		} else {
			if (emusql_need_type(p, &a[0], EMU_T_TIMESTAMP, fn, ft) == -1)
				goto out;
			emusql_ex_set(e, EMU_T_DATE, "bq_ts_date(%s)", a[0].sql.buf);
		}
	} else if (strcasecmp(fn, "FROM_HEX") == 0) {
		NARGS(1, 1);
		if (emusql_need_type(p, &a[0], EMU_T_STRING, fn, ft) == -1)
			goto out;
		emusql_ex_set(e, EMU_T_BYTES, "bq_from_hex(%s)", a[0].sql.buf);
	} else if (strcasecmp(fn, "TO_HEX") == 0) {
		NARGS(1, 1);
		if (emusql_need_type(p, &a[0], EMU_T_BYTES, fn, ft) == -1)
			goto out;
		emusql_ex_set(e, EMU_T_STRING, "lower(hex(%s))", a[0].sql.buf);
	} else if (strcasecmp(fn, "LENGTH") == 0 ||
	    strcasecmp(fn, "CHAR_LENGTH") == 0 ||
	    strcasecmp(fn, "BYTE_LENGTH") == 0) {
		NARGS(1, 1);
		if (a[0].type != EMU_T_BYTES &&
		    emusql_need_type(p, &a[0], EMU_T_STRING, fn, ft) == -1)
			goto out;
		if (fn[0] == 'B' || fn[0] == 'b')
			emusql_ex_set(e, EMU_T_INT64, "length(CAST(%s AS BLOB))",
			    a[0].sql.buf);
		else
			emusql_ex_set(e, EMU_T_INT64, "length(%s)", a[0].sql.buf);
	} else if (strcasecmp(fn, "LOWER") == 0 ||
	    strcasecmp(fn, "UPPER") == 0) {
		NARGS(1, 1);
		if (emusql_need_type(p, &a[0], EMU_T_STRING, fn, ft) == -1)
			goto out;
		emusql_ex_set(e, EMU_T_STRING, "bq_case(%s, %d)", a[0].sql.buf,
		    fn[0] == 'U' || fn[0] == 'u');
	} else if (strcasecmp(fn, "CONCAT") == 0) {
		struct strbuf sb = STRBUF_INIT;
		enum emu_type t = a[0].type == EMU_T_BYTES ? EMU_T_BYTES :
		    EMU_T_STRING;

		NARGS(1, 16);
		strbuf_init(&sb, 0);
		strbuf_addch(&sb, '(');
		for (i = 0; i < n; i++) {
			if (emusql_need_type(p, &a[i], t, fn, ft) == -1) {
				strbuf_release(&sb);
				goto out;
			}
			strbuf_addf(&sb, "%s%s", i ? " || " : "", a[i].sql.buf);
		}
		strbuf_addch(&sb, ')');
		emusql_ex_set(e, t, "%s", sb.buf);
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
			if (emusql_supertype(p, &t, &a[i], ft) == -1)
				goto out;
		for (i = 0; i < n; i++)
			if (emusql_coerce(p, &a[i], t, ft) == -1)
				goto out;
		if (t == EMU_T_NESTED) {
			emusql_perr(p, ft, "%s of RECORD values is not supported by "
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
		emusql_ex_set(e, t, "%s", sb.buf);
		strbuf_release(&sb);
	} else if (strcasecmp(fn, "IF") == 0) {
		enum emu_type t = EMU_T_NULL;

		NARGS(3, 3);
		if (emusql_need_type(p, &a[0], EMU_T_BOOL, fn, ft) == -1 ||
		    emusql_supertype(p, &t, &a[1], ft) == -1 ||
		    emusql_supertype(p, &t, &a[2], ft) == -1 ||
		    emusql_coerce(p, &a[1], t, ft) == -1)
			goto out;
		emusql_ex_set(e, t, "(CASE WHEN %s THEN %s ELSE %s END)", a[0].sql.buf,
		    a[1].sql.buf, a[2].sql.buf);
	} else if (strcasecmp(fn, "SAFE_DIVIDE") == 0 ||
	    strcasecmp(fn, "IEEE_DIVIDE") == 0) {
		NARGS(2, 2);
		if (emusql_need_type(p, &a[0], EMU_T_FLOAT64, fn, ft) == -1 ||
		    emusql_need_type(p, &a[1], EMU_T_FLOAT64, fn, ft) == -1)
			goto out;
		if (fn[0] == 'I' || fn[0] == 'i') {
			emusql_perr(p, ft, "IEEE_DIVIDE is not supported by "
			    "bq-emulator");
			goto out;
		}
		emusql_ex_set(e, EMU_T_FLOAT64, "bq_div(%s, %s, 1)", a[0].sql.buf,
		    a[1].sql.buf);
	} else if (strcasecmp(fn, "STARTS_WITH") == 0 ||
	    strcasecmp(fn, "ENDS_WITH") == 0) {
		NARGS(2, 2);
		if (emusql_need_type(p, &a[0], EMU_T_STRING, fn, ft) == -1 ||
		    emusql_need_type(p, &a[1], EMU_T_STRING, fn, ft) == -1)
			goto out;
		if (fn[0] == 'S' || fn[0] == 's')
			emusql_ex_set(e, EMU_T_BOOL, "(substr(%s, 1, length(%s)) = %s)",
			    a[0].sql.buf, a[1].sql.buf, a[1].sql.buf);
		else
			emusql_ex_set(e, EMU_T_BOOL, "(length(%s) <= length(%s) AND "
			    "substr(%s, -length(%s)) = %s OR %s = '')",
			    a[1].sql.buf, a[0].sql.buf, a[0].sql.buf,
			    a[1].sql.buf, a[1].sql.buf, a[1].sql.buf);
	} else {
		emusql_perr(p, ft, "Function not found: %s (not supported by "
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
	strbuf_init(&sb, 0);
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

	strbuf_init(&sb, 0);
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
