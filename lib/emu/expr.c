/*
 * emusql: the expression grammar, from primaries up to OR.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emusql_int.h"
#include "banned.h"

int
emusql_starts_query(struct parser *p)
{
	size_t k = 0;

	while (emusql_is_op(emusql_peek2(p, k), "("))
		k++;
	return emusql_is_kw(emusql_peek2(p, k), "SELECT") || emusql_is_kw(emusql_peek2(p, k), "WITH");
}

static int parse_primary(struct parser *, struct scope *, struct ex *);

/* An INT64 (decimal or hex) or FLOAT64 literal. */
static int
parse_number(struct parser *p, struct tok *t, struct ex *e)
{
	char *end, buf[64];
	unsigned long long v;
	double d;

	p->i++;
	if (t->k == TK_INT) {
		errno = 0;
		v = strtoull(t->v, &end, 0);
		if (errno || v > (unsigned long long)INT64_MAX)
			return emusql_perr(p, t, "Invalid integer literal: %s",
			    t->v);
		emusql_ex_set(e, EMU_T_INT64, "%llu", v);
		e->lit = LIT_INT;
		e->ival = (int64_t)v;
		return 0;
	}
	d = strtod(t->v, NULL);
	if (isinf(d))
		return emusql_perr(p, t, "Invalid floating point literal: %s",
		    t->v);
	snprintf(buf, sizeof(buf), "%.17g", d);
	if (!strpbrk(buf, ".e"))
		emusql_ex_set(e, EMU_T_FLOAT64, "%s.0", buf);
	else
		emusql_ex_set(e, EMU_T_FLOAT64, "%s", buf);
	return 0;
}

/* A STRING or BYTES literal, bound as a parameter. */
static int
parse_text(struct parser *p, struct tok *t, struct ex *e)
{
	struct emusql_bind b;
	int idx;

	p->i++;
	if (t->k == TK_STRING && emusql_is_kw(emusql_peek(p), "SELECT"))
		return emusql_unexpected(p);
	memset(&b, 0, sizeof(b));
	b.type = t->k == TK_STRING ? EMU_T_STRING : EMU_T_BYTES;
	b.s = xmalloc(t->len + 1);
	memcpy(b.s, t->v, t->len + 1);
	b.len = t->len;
	idx = emusql_add_bind(p, &b);
	emusql_ex_set(e, b.type, "?%d", idx);
	if (t->k == TK_STRING) {
		e->lit = LIT_STRING;
		free(e->str);
		e->str = xstrdup(t->v);
	}
	return 0;
}

/* "(" expr ")" or a scalar subquery. */
static int
parse_paren(struct parser *p, struct scope *sc, struct tok *t, struct ex *e)
{
	p->i++;
	if (emusql_starts_query(p))
		return emusql_parse_scalar_subquery(p, sc, e, t);
	if (emusql_parse_expr(p, sc, e) == -1)
		return -1;
	if (emusql_expect_op(p, ")") == -1)
		return -1;
	emusql_ex_set(e, e->type, "(%s)", e->sql.buf);
	return 0;
}

/* EXISTS "(" query ")", the "(" next. */
static int
parse_exists(struct parser *p, struct scope *sc, struct ex *e)
{
	struct strbuf sb = STRBUF_INIT;
	struct emusql_col *cols = NULL;
	size_t nc = 0;
	int rc;

	p->i++;
	rc = emusql_parse_query(p, sc, &sb, &cols, &nc);
	if (rc == 0)
		rc = emusql_expect_op(p, ")");
	if (rc == 0)
		emusql_ex_set(e, EMU_T_BOOL, "EXISTS (%s)", sb.buf);
	emusql_cols_free(cols, nc);
	strbuf_release(&sb);
	return rc;
}

static int
is_typed_literal(const char *w)
{
	return strcasecmp(w, "TIMESTAMP") == 0 || strcasecmp(w, "DATE") == 0 ||
	    strcasecmp(w, "DATETIME") == 0 || strcasecmp(w, "TIME") == 0 ||
	    strcasecmp(w, "NUMERIC") == 0;
}

/*
 * A primary starting with a word t (already consumed): TRUE, FALSE, NULL,
 * CASE, EXISTS, a typed literal, CURRENT_TIMESTAMP, a call or a column.
 */
static int
parse_word(struct parser *p, struct scope *sc, struct tok *t, struct ex *e)
{
	if (strcasecmp(t->v, "TRUE") == 0 || strcasecmp(t->v, "FALSE") == 0) {
		emusql_ex_set(e, EMU_T_BOOL, "%d", t->v[0] == 't' ||
		    t->v[0] == 'T');
		return 0;
	}
	if (strcasecmp(t->v, "NULL") == 0) {
		emusql_ex_set(e, EMU_T_NULL, "NULL");
		e->lit = LIT_NULL;
		return 0;
	}
	if (strcasecmp(t->v, "CASE") == 0)
		return emusql_parse_case(p, sc, e, t);
	if (strcasecmp(t->v, "EXISTS") == 0 &&
	    emusql_is_op(emusql_peek(p), "("))
		return parse_exists(p, sc, e);
	if (is_typed_literal(t->v) && emusql_peek(p)->k == TK_STRING) {
		enum emu_type ty = EMU_T_STRING;

		emusql_type_parse(t->v, &ty);
		if (parse_primary(p, sc, e) == -1)
			return -1;
		return emusql_coerce(p, e, ty, t);
	}
	if (strcasecmp(t->v, "CURRENT_TIMESTAMP") == 0 &&
	    !emusql_is_op(emusql_peek(p), "(")) {
		emusql_ex_set(e, EMU_T_TIMESTAMP, "%" PRId64, p->ctx->now);
		return 0;
	}
	if (emusql_is_op(emusql_peek(p), "(")) {
		if (emusql_is_reserved(t) && strcasecmp(t->v, "IF") != 0 &&
		    strcasecmp(t->v, "CAST") != 0)
			return emusql_perr(p, t, "Syntax error: Unexpected "
			    "keyword %s", t->v);
		p->i++;
		return emusql_parse_call(p, sc, t, e);
	}
	if (emusql_is_op(emusql_peek(p), ".") &&
	    emusql_peek2(p, 1)->k == TK_IDENT &&
	    emusql_is_op(emusql_peek2(p, 2), "("))
		return emusql_perr(p, t, "Function not found: %s.%s (not "
		    "supported by bq-emulator)", t->v, emusql_peek2(p, 1)->v);
	if (emusql_is_reserved(t))
		return emusql_perr(p, t, "Syntax error: Unexpected keyword %s",
		    t->v);
	return emusql_column_ref(p, sc, t, e);
}

static int
parse_primary(struct parser *p, struct scope *sc, struct ex *e)
{
	struct tok *t = emusql_peek(p);

	switch (t->k) {
	case TK_INT:
	case TK_FLOAT:
		return parse_number(p, t, e);
	case TK_STRING:
	case TK_BYTES:
		return parse_text(p, t, e);
	case TK_PARAM:
	case TK_QMARK:
		return emusql_parse_param(p, e);
	case TK_OP:
		if (emusql_is_op(t, "("))
			return parse_paren(p, sc, t, e);
		return emusql_unexpected(p);
	case TK_QIDENT:
		p->i++;
		if (strchr(t->v, '.'))
			return emusql_perr(p, t, "Unrecognized name: %s", t->v);
		return emusql_column_ref(p, sc, t, e);
	case TK_IDENT:
		p->i++;
		return parse_word(p, sc, t, e);
	default:
		return emusql_unexpected(p);
	}
}

static int
parse_unary(struct parser *p, struct scope *sc, struct ex *e)
{
	struct tok *t = emusql_peek(p);
	int rc;

	if (emusql_is_op(t, "-")) {
		p->i++;
		if (emusql_peek(p)->k == TK_INT &&
		    strcmp(emusql_peek(p)->v, "9223372036854775808") == 0) {
			p->i++;
			emusql_ex_set(e, EMU_T_INT64, "(-9223372036854775807 - 1)");
			e->lit = LIT_INT;
			e->ival = INT64_MIN;
			return 0;
		}
		if (emusql_enter(p, t) == -1)
			return -1;
		rc = parse_unary(p, sc, e);
		p->depth--;
		if (rc == -1)
			return -1;
		if (e->type == EMU_T_INT64) {
			int64_t v = e->ival;
			int lit = e->lit;

			if (lit == LIT_INT) {
				emusql_ex_set(e, EMU_T_INT64, "(%" PRId64 ")", -v);
				e->lit = LIT_INT;
				e->ival = -v;
			} else
				emusql_ex_set(e, EMU_T_INT64, "bq_iarith(45, 0, %s)",
				    e->sql.buf);
			return 0;
		}
		if (e->type == EMU_T_FLOAT64) {
			emusql_ex_set(e, EMU_T_FLOAT64, "(-%s)", e->sql.buf);
			return 0;
		}
		return emusql_perr(p, t, "No matching signature for operator - for "
		    "argument types: %s", emusql_type_name(e->type));
	}
	if (emusql_is_op(t, "+")) {
		p->i++;
		if (emusql_enter(p, t) == -1)
			return -1;
		rc = parse_unary(p, sc, e);
		p->depth--;
		if (rc == -1)
			return -1;
		if (!emusql_is_numeric(e->type))
			return emusql_perr(p, t, "No matching signature for operator "
			    "+ for argument types: %s",
			    emusql_type_name(e->type));
		return 0;
	}
	if (emusql_is_op(t, "~"))
		return emusql_perr(p, t, "Bitwise operators are not supported by "
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

		if (emusql_need_type(p, l, t, "||", at) == -1 ||
		    emusql_need_type(p, r, t, "||", at) == -1)
			return -1;
		emusql_ex_set(l, t, "(%s || %s)", l->sql.buf, r->sql.buf);
	} else {
		if (l->type == EMU_T_NULL)
			l->type = r->type == EMU_T_NULL ? EMU_T_INT64 : r->type;
		if (r->type == EMU_T_NULL)
			r->type = l->type;
		if (!emusql_is_numeric(l->type) || !emusql_is_numeric(r->type))
			return emusql_perr(p, at, "No matching signature for operator "
			    "%s for argument types: %s, %s", op,
			    emusql_type_name(l->type),
			    emusql_type_name(r->type));
		if (strcmp(op, "/") == 0)
			emusql_ex_set(l, EMU_T_FLOAT64, "bq_div(%s, %s, 0)", l->sql.buf,
			    r->sql.buf);
		else if (l->type == EMU_T_INT64 && r->type == EMU_T_INT64)
			emusql_ex_set(l, EMU_T_INT64, "bq_iarith(%d, %s, %s)", op[0],
			    l->sql.buf, r->sql.buf);
		else
			emusql_ex_set(l, EMU_T_FLOAT64, "(CAST(%s AS REAL) %s %s)",
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
		struct tok *t = emusql_peek(p);
		struct ex r;
		int rc;

		if (!emusql_is_op(t, "*") && !emusql_is_op(t, "/") && !emusql_is_op(t, "||"))
			return 0;
		p->i++;
		emusql_ex_init(&r);
		rc = parse_unary(p, sc, &r);
		if (rc == 0)
			rc = binop_arith(p, e, &r, t->v, t);
		emusql_ex_release(&r);
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
		struct tok *t = emusql_peek(p);
		struct ex r;
		int rc;

		if (!emusql_is_op(t, "+") && !emusql_is_op(t, "-"))
			break;
		p->i++;
		emusql_ex_init(&r);
		rc = parse_mul(p, sc, &r);
		if (rc == 0)
			rc = binop_arith(p, e, &r, t->v, t);
		emusql_ex_release(&r);
		if (rc == -1)
			return -1;
	}
	if (emusql_is_op(emusql_peek(p), "<<") || emusql_is_op(emusql_peek(p), ">>") || emusql_is_op(emusql_peek(p), "&")
	    || emusql_is_op(emusql_peek(p), "|") || emusql_is_op(emusql_peek(p), "^"))
		return emusql_perr(p, NULL, "Bitwise operators are not supported by "
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

	emusql_ex_init(&it);
	if (emusql_is_kw(emusql_peek(p), "UNNEST")) {
		emusql_perr(p, NULL, "IN UNNEST is not supported by bq-emulator");
		goto out;
	}
	if (emusql_expect_op(p, "(") == -1)
		goto out;
	if (emusql_starts_query(p)) {
		struct emusql_col *cols = NULL;
		size_t nc = 0;

		rc = emusql_parse_query(p, sc, &sb, &cols, &nc);
		if (rc == 0 && nc != 1)
			rc = emusql_perr(p, at, "Subquery of type IN must have only "
			    "one output column");
		if (rc == 0 && cols[0].type != e->type &&
		    !(emusql_is_numeric(cols[0].type) && emusql_is_numeric(e->type)) &&
		    e->type != EMU_T_NULL && cols[0].type != EMU_T_NULL)
			rc = emusql_perr(p, at, "Cannot execute IN subquery with "
			    "uncomparable types %s and %s",
			    emusql_type_name(e->type),
			    emusql_type_name(cols[0].type));
		emusql_cols_free(cols, nc);
		if (rc == -1 || emusql_expect_op(p, ")") == -1) {
			rc = -1;
			goto out;
		}
		emusql_ex_set(e, EMU_T_BOOL, "(%s %sIN (%s))", e->sql.buf,
		    neg ? "NOT " : "", sb.buf);
		e->agg = agg;
		rc = 0;
		goto out;
	}
	for (;;) {
		emusql_ex_release(&it);
		emusql_ex_init(&it);
		if (emusql_parse_expr(p, sc, &it) == -1 ||
		    emusql_comparable(p, e, &it, "IN", at) == -1)
			goto out;
		agg |= it.agg;
		strbuf_addf(&sb, "%s%s", sb.len ? ", " : "", it.sql.buf);
		if (emusql_accept_op(p, ")"))
			break;
		if (emusql_expect_op(p, ",") == -1)
			goto out;
	}
	emusql_ex_set(e, EMU_T_BOOL, "(%s %sIN (%s))", e->sql.buf, neg ? "NOT " : "",
	    sb.buf);
	e->agg = agg;
	rc = 0;
out:
	emusql_ex_release(&it);
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
	emusql_ex_init(&r);
	emusql_ex_init(&r2);
	t = emusql_peek(p);
	for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
		if (emusql_is_op(t, ops[k]))
			break;
	if (k < sizeof(ops) / sizeof(ops[0])) {
		p->i++;
		if (parse_add(p, sc, &r) == -1 ||
		    emusql_comparable(p, e, &r, t->v, t) == -1)
			goto out;
		emusql_ex_set(e, EMU_T_BOOL, "(%s %s %s)", e->sql.buf,
		    k == 2 ? "!=" : t->v, r.sql.buf);
		e->agg |= r.agg;
		rc = 0;
		goto out;
	}
	if (emusql_accept_kw(p, "IS")) {
		const char *what;

		neg = emusql_accept_kw(p, "NOT");
		if (emusql_accept_kw(p, "NULL"))
			what = "NULL";
		else if (emusql_accept_kw(p, "TRUE"))
			what = "1";
		else if (emusql_accept_kw(p, "FALSE"))
			what = "0";
		else {
			emusql_unexpected(p);
			goto out;
		}
		if (what[0] != 'N' && emusql_need_type(p, e, EMU_T_BOOL, "IS", t) == -1)
			goto out;
		emusql_ex_set(e, EMU_T_BOOL, "(%s IS %s%s)", e->sql.buf,
		    neg ? "NOT " : "", what);
		rc = 0;
		goto out;
	}
	if (emusql_is_kw(t, "NOT") && (emusql_is_kw(emusql_peek2(p, 1), "IN") ||
	    emusql_is_kw(emusql_peek2(p, 1), "LIKE") || emusql_is_kw(emusql_peek2(p, 1), "BETWEEN"))) {
		p->i++;
		neg = 1;
		t = emusql_peek(p);
	}
	if (emusql_accept_kw(p, "IN")) {
		rc = parse_in(p, sc, e, neg, t);
		goto out;
	}
	if (emusql_accept_kw(p, "LIKE")) {
		if (parse_add(p, sc, &r) == -1)
			goto out;
		if (e->type != EMU_T_BYTES &&
		    emusql_need_type(p, e, EMU_T_STRING, "LIKE", t) == -1)
			goto out;
		if (emusql_need_type(p, &r, e->type == EMU_T_NULL ? EMU_T_STRING :
		    e->type, "LIKE", t) == -1)
			goto out;
		/* GoogleSQL escapes %, _ and \\ with a backslash. */
		emusql_ex_set(e, EMU_T_BOOL, "(%s %sLIKE %s ESCAPE '\\')", e->sql.buf,
		    neg ? "NOT " : "", r.sql.buf);
		e->agg |= r.agg;
		rc = 0;
		goto out;
	}
	if (emusql_accept_kw(p, "BETWEEN")) {
		if (parse_add(p, sc, &r) == -1 || emusql_expect_kw(p, "AND") == -1 ||
		    parse_add(p, sc, &r2) == -1 ||
		    emusql_comparable(p, e, &r, "BETWEEN", t) == -1 ||
		    emusql_comparable(p, e, &r2, "BETWEEN", t) == -1)
			goto out;
		emusql_ex_set(e, EMU_T_BOOL, "(%s %sBETWEEN %s AND %s)", e->sql.buf,
		    neg ? "NOT " : "", r.sql.buf, r2.sql.buf);
		e->agg |= r.agg | r2.agg;
		rc = 0;
		goto out;
	}
	rc = 0;
out:
	emusql_ex_release(&r);
	emusql_ex_release(&r2);
	return rc;
}

static int
parse_not(struct parser *p, struct scope *sc, struct ex *e)
{
	struct tok *t = emusql_peek(p);
	int rc;

	if (emusql_accept_kw(p, "NOT")) {
		if (emusql_enter(p, t) == -1)
			return -1;
		rc = parse_not(p, sc, e);
		p->depth--;
		if (rc == -1 ||
		    emusql_need_type(p, e, EMU_T_BOOL, "NOT", t) == -1)
			return -1;
		emusql_ex_set(e, EMU_T_BOOL, "(NOT %s)", e->sql.buf);
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
	while (emusql_is_kw(emusql_peek(p), kw)) {
		struct tok *t = emusql_peek(p);
		struct ex r;
		int rc;

		p->i++;
		emusql_ex_init(&r);
		rc = level ? parse_not(p, sc, &r) : parse_logic(p, sc, &r, 1);
		if (rc == 0)
			rc = emusql_need_type(p, e, EMU_T_BOOL, kw, t);
		if (rc == 0)
			rc = emusql_need_type(p, &r, EMU_T_BOOL, kw, t);
		if (rc == 0) {
			emusql_ex_set(e, EMU_T_BOOL, "(%s %s %s)", e->sql.buf, kw,
			    r.sql.buf);
			e->agg |= r.agg;
		}
		emusql_ex_release(&r);
		if (rc == -1)
			return -1;
	}
	return 0;
}

int
emusql_enter(struct parser *p, const struct tok *t)
{
	if (p->depth >= EMUSQL_MAX_DEPTH)
		return emusql_perr(p, t, "Query is too complex: more than %d "
		    "nested expressions or subqueries", EMUSQL_MAX_DEPTH);
	p->depth++;
	return 0;
}

int
emusql_parse_expr(struct parser *p, struct scope *sc, struct ex *e)
{
	int rc;

	if (emusql_enter(p, emusql_peek(p)) == -1)
		return -1;
	rc = parse_logic(p, sc, e, 0);
	p->depth--;
	return rc;
}
