/*
 * emusql: parser state, types and coercion, parameters, column
 * references, CAST and aggregates.
 *
 * The grammar the parser accepts (recursive descent, one function per
 * rule: statement and query in emusql.c, expressions in expr.c, calls
 * and CASE in call.c).  Keywords are case-insensitive; [x] is optional,
 * {x} repeats, and anything else is invalidQuery (HTTP 400), with the
 * unsupported GoogleSQL (joins, WITH, set operations, UNNEST, SELECT *
 * EXCEPT, ROLLUP...) named in its message.
 *
 *   statement   ::= ( query | DELETE [FROM] table WHERE expr ) [";"]
 *   query       ::= "(" query ")"
 *                 | core [ORDER BY order {"," order}]
 *                   [LIMIT count [OFFSET count]]
 *   core        ::= SELECT [DISTINCT | ALL] item {"," item}
 *                   [FROM source] [WHERE expr]
 *                   [GROUP BY expr {"," expr}] [HAVING expr]
 *   item        ::= "*" | ident "." "*" | expr [[AS] ident]
 *   source      ::= ( table | "(" query ")" ) [[AS] ident]
 *   table       ::= ident ["." ident ["." ident]]     (quoted parts too)
 *   order       ::= expr [ASC | DESC] [NULLS (FIRST | LAST)]
 *   count       ::= integer | param
 *   expr        ::= and {OR and}
 *   and         ::= not {AND not}
 *   not         ::= NOT not | cmp
 *   cmp         ::= add [ cmpop add
 *                       | IS [NOT] (NULL | TRUE | FALSE)
 *                       | [NOT] IN "(" (query | expr {"," expr}) ")"
 *                       | [NOT] LIKE add
 *                       | [NOT] BETWEEN add AND add ]
 *   cmpop       ::= "=" | "!=" | "<>" | "<" | "<=" | ">" | ">="
 *   add         ::= mul {("+" | "-") mul}
 *   mul         ::= unary {("*" | "/" | "||") unary}
 *   unary       ::= ("-" | "+") unary | primary
 *   primary     ::= integer | float | string | bytes | param
 *                 | TRUE | FALSE | NULL | CURRENT_TIMESTAMP
 *                 | (TIMESTAMP | DATE | DATETIME | TIME | NUMERIC) string
 *                 | "(" expr ")" | "(" query ")" | EXISTS "(" query ")"
 *                 | case | call | ident {"." ident}
 *   case        ::= CASE [expr] WHEN expr THEN expr {WHEN expr THEN expr}
 *                   [ELSE expr] END
 *   call        ::= (CAST | SAFE_CAST) "(" expr AS type ")"
 *                 | COUNT "(" "*" ")"
 *                 | aggregate "(" [DISTINCT] expr ")"
 *                 | (TIMESTAMP_ADD | TIMESTAMP_SUB)
 *                   "(" expr "," INTERVAL expr part ")"
 *                 | TIMESTAMP_TRUNC "(" expr "," part ")"
 *                 | TIMESTAMP_DIFF "(" expr "," expr "," part ")"
 *                 | function "(" [expr {"," expr}] ")"
 *   param       ::= "@" ident | "?"
 *
 * aggregate and function are the names in call.c's function_list[]; part
 * is a date part (MICROSECOND ... YEAR).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emusql_int.h"
#include "banned.h"

/* ------------------------------------------------------------------ */
/* Parser                                                               */


void
emusql_ex_init(struct ex *e)
{
	memset(e, 0, sizeof(*e));
	strbuf_init(&e->sql, 0);
}

void
emusql_ex_release(struct ex *e)
{
	strbuf_release(&e->sql);
	free(e->str);
	free(e->name);
	memset(e, 0, sizeof(*e));
}

/* Replaces e's SQL by fmt (which may use the old text via "%s"). */
void
emusql_ex_set(struct ex *e, enum emu_type t, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

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

struct tok *
emusql_peek(struct parser *p)
{
	return &p->t[p->i];
}

struct tok *
emusql_peek2(struct parser *p, size_t k)
{
	return p->i + k < p->n ? &p->t[p->i + k] : &p->t[p->n - 1];
}

int
emusql_is_kw(const struct tok *t, const char *kw)
{
	return t->k == TK_IDENT && strcasecmp(t->v, kw) == 0;
}

int
emusql_is_op(const struct tok *t, const char *op)
{
	return t->k == TK_OP && strcmp(t->v, op) == 0;
}

int
emusql_accept_kw(struct parser *p, const char *kw)
{
	if (emusql_is_kw(emusql_peek(p), kw)) {
		p->i++;
		return 1;
	}
	return 0;
}

int
emusql_accept_op(struct parser *p, const char *op)
{
	if (emusql_is_op(emusql_peek(p), op)) {
		p->i++;
		return 1;
	}
	return 0;
}

int
emusql_perr(struct parser *p, const struct tok *t, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	if (p->err->kind)
		return -1;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (t == NULL)
		t = emusql_peek(p);
	bq_err_set(p->err, EXIT_DATA, "%s at [%d:%d]", msg, t->line, t->col);
	p->err->http_status = 400;
	return -1;
}

int
emusql_unexpected(struct parser *p)
{
	struct tok *t = emusql_peek(p);

	if (t->k == TK_EOF)
		return emusql_perr(p, t, "Syntax error: Unexpected end of script");
	if (t->k == TK_IDENT && t->v)
		return emusql_perr(p, t, "Syntax error: Unexpected keyword or "
		    "identifier %s", t->v);
	return emusql_perr(p, t, "Syntax error: Unexpected \"%s\"", t->v);
}

int
emusql_expect_op(struct parser *p, const char *op)
{
	if (emusql_accept_op(p, op))
		return 0;
	return emusql_unexpected(p);
}

int
emusql_expect_kw(struct parser *p, const char *kw)
{
	if (emusql_accept_kw(p, kw))
		return 0;
	return emusql_unexpected(p);
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

int
emusql_is_reserved(const struct tok *t)
{
	size_t i;

	if (t->k != TK_IDENT)
		return 0;
	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcasecmp(t->v, reserved[i]) == 0)
			return 1;
	return 0;
}

int
emusql_add_bind(struct parser *p, const struct emusql_bind *b)
{
	struct emusql_query *q = p->q;

	q->binds = xrealloc(q->binds, (q->nbinds + 1) * sizeof(*q->binds));
	q->binds[q->nbinds++] = *b;
	return (int)q->nbinds;
}

void
emusql_cols_free(struct emusql_col *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(c[i].name);
		cJSON_Delete(c[i].field);
	}
	free(c);
}

/* Makes NULL literals and string literals take type t where BigQuery would. */
int
emusql_coerce(struct parser *p, struct ex *e, enum emu_type t, const struct tok *at)
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
		return emusql_perr(p, at, "Could not cast literal \"%s\" to type %s",
		    e->str, t == EMU_T_TIMESTAMP ? "TIMESTAMP" :
		    emusql_type_name(t));
	idx = emusql_add_bind(p, &b);
	emusql_ex_set(e, t, "?%d", idx);
	return 0;
}

int
emusql_is_numeric(enum emu_type t)
{
	return t == EMU_T_INT64 || t == EMU_T_FLOAT64;
}

/* Checks that a and b can be compared (coercing literals first). */
int
emusql_comparable(struct parser *p, struct ex *a, struct ex *b, const char *op,
    const struct tok *at)
{
	if (emusql_coerce(p, a, b->type, at) == -1 || emusql_coerce(p, b, a->type, at) == -1)
		return -1;
	if (a->type == EMU_T_NULL || b->type == EMU_T_NULL)
		return 0;
	if (a->type == b->type || (emusql_is_numeric(a->type) && emusql_is_numeric(b->type))) {
		if (a->type == EMU_T_NESTED || a->type == EMU_T_JSON ||
		    a->type == EMU_T_GEOGRAPHY)
			goto bad;
		if ((a->type == EMU_T_NUMERIC || a->type == EMU_T_BIGNUMERIC) &&
		    strcmp(op, "=") != 0 && strcmp(op, "!=") != 0)
			return emusql_perr(p, at, "Ordering NUMERIC values is not "
			    "supported by bq-emulator");
		return 0;
	}
bad:
	return emusql_perr(p, at, "No matching signature for operator %s for "
	    "argument types: %s, %s", op, emusql_type_name(a->type),
	    emusql_type_name(b->type));
}

int
emusql_need_type(struct parser *p, struct ex *e, enum emu_type t, const char *fn,
    const struct tok *at)
{
	if (emusql_coerce(p, e, t, at) == -1)
		return -1;
	if (e->type == t || e->type == EMU_T_NULL ||
	    (t == EMU_T_FLOAT64 && e->type == EMU_T_INT64))
		return 0;
	return emusql_perr(p, at, "No matching signature for function %s for "
	    "argument types: %s", fn, emusql_type_name(e->type));
}

/* Common supertype of a CASE/IF/COALESCE result; -1 if none. */
int
emusql_supertype(struct parser *p, enum emu_type *acc, struct ex *e,
    const struct tok *at)
{
	if (*acc == EMU_T_NULL) {
		*acc = e->type;
		return 0;
	}
	if (emusql_coerce(p, e, *acc, at) == -1)
		return -1;
	if (e->type == EMU_T_NULL || e->type == *acc)
		return 0;
	if (emusql_is_numeric(e->type) && emusql_is_numeric(*acc)) {
		*acc = EMU_T_FLOAT64;
		return 0;
	}
	return emusql_perr(p, at, "No common supertype for %s and %s",
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
		return emusql_perr(p, at, "Query parameter type %s is not supported "
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
		return emusql_perr(p, at, "Invalid value of query parameter");
	if (emusql_value_from_text(*t, s, b, &err) == -1)
		return emusql_perr(p, at, "Query parameter: %s", err.msg);
	return 0;
}

int
emusql_parse_param(struct parser *p, struct ex *e)
{
	struct tok *t = emusql_peek(p);
	const cJSON *prm = NULL, *it;
	struct emusql_bind b;
	enum emu_type ty;
	size_t i;
	int idx;

	p->i++;
	if (t->k == TK_PARAM) {
		for (i = 0; i < p->npnames; i++)
			if (strcasecmp(p->pnames[i], t->v) == 0) {
				emusql_ex_set(e, p->q->binds[p->pidx[i] - 1].type,
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
			return emusql_perr(p, t, "Query parameter '%s' not found",
			    t->v);
	} else {
		prm = cJSON_GetArrayItem(p->ctx->params, p->npos++);
		if (prm == NULL)
			return emusql_perr(p, t, "Query parameter number %d is not "
			    "defined", p->npos);
	}
	if (param_value(p, prm, t, &b, &ty) == -1)
		return -1;
	idx = emusql_add_bind(p, &b);
	if (t->k == TK_PARAM) {
		p->pnames = xrealloc(p->pnames, (p->npnames + 1) *
		    sizeof(*p->pnames));
		p->pidx = xrealloc(p->pidx, (p->npnames + 1) * sizeof(int));
		p->pnames[p->npnames] = t->v;
		p->pidx[p->npnames++] = idx;
	}
	emusql_ex_set(e, ty, "?%d", idx);
	return 0;
}

/* Resolves a column reference (path already known to be one). */
int
emusql_column_ref(struct parser *p, struct scope *sc, struct tok *first,
    struct ex *e)
{
	struct tok *t2 = NULL;
	struct scope *s;
	size_t i;
	const char *name = first->v;

	if (emusql_is_op(emusql_peek(p), ".") && (emusql_peek2(p, 1)->k == TK_IDENT ||
	    emusql_peek2(p, 1)->k == TK_QIDENT)) {
		for (s = sc; s; s = s->outer)
			if (s->alias && strcasecmp(s->alias, first->v) == 0)
				break;
		if (s == NULL)
			goto plain;
		p->i++;
		t2 = emusql_peek(p);
		p->i++;
		name = t2->v;
		for (i = 0; i < s->ncols; i++)
			if (strcasecmp(s->cols[i].name, name) == 0)
				goto found;
		return emusql_perr(p, t2, "Name %s not found inside %s", name,
		    first->v);
	}
plain:
	for (s = sc; s; s = s->outer)
		for (i = 0; i < s->ncols; i++)
			if (strcasecmp(s->cols[i].name, name) == 0)
				goto found;
	return emusql_perr(p, first, "Unrecognized name: %s", name);
found:
	if (emusql_is_op(emusql_peek(p), ".") || emusql_is_op(emusql_peek(p), "["))
		return emusql_perr(p, emusql_peek(p), "Field access and array subscripts "
		    "are not supported by bq-emulator");
	emusql_scan_use(p, s, i);
	emusql_ex_set(e, s->cols[i].type, "%s.", s->qual);
	emusql_add_quoted(&e->sql, s->cols[i].name);
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

int
emusql_parse_args(struct parser *p, struct scope *sc, struct ex *args, int max,
    int *n)
{
	*n = 0;
	if (emusql_accept_op(p, ")"))
		return 0;
	for (;;) {
		if (*n == max)
			return emusql_perr(p, NULL, "Too many arguments");
		emusql_ex_init(&args[*n]);
		(*n)++;
		if (emusql_parse_expr(p, sc, &args[*n - 1]) == -1)
			return -1;
		if (emusql_accept_op(p, ")"))
			return 0;
		if (emusql_expect_op(p, ",") == -1)
			return -1;
	}
}

int64_t
emusql_unit_micros(const char *u)
{
	if (strcasecmp(u, "MICROSECOND") == 0) return 1;
	if (strcasecmp(u, "MILLISECOND") == 0) return 1000;
	if (strcasecmp(u, "SECOND") == 0) return 1000000;
	if (strcasecmp(u, "MINUTE") == 0) return 60000000;
	if (strcasecmp(u, "HOUR") == 0) return 3600000000LL;
	if (strcasecmp(u, "DAY") == 0) return 86400000000LL;
	return 0;
}

int
emusql_parse_cast(struct parser *p, struct scope *sc, struct ex *e, int safe)
{
	struct tok *tt;
	enum emu_type dst;
	struct ex a;
	int rc = -1;

	emusql_ex_init(&a);
	if (emusql_expect_op(p, "(") == -1 || emusql_parse_expr(p, sc, &a) == -1 ||
	    emusql_expect_kw(p, "AS") == -1)
		goto out;
	tt = emusql_peek(p);
	if (tt->k != TK_IDENT || emusql_type_parse(tt->v, &dst) == -1 ||
	    dst == EMU_T_NESTED || dst == EMU_T_JSON ||
	    dst == EMU_T_GEOGRAPHY) {
		emusql_perr(p, tt, "CAST to %s is not supported by bq-emulator",
		    tt->v);
		goto out;
	}
	p->i++;
	if (emusql_expect_op(p, ")") == -1)
		goto out;
	if (a.lit == LIT_STRING && dst != EMU_T_STRING && dst != EMU_T_BYTES &&
	    !safe) {
		if (emusql_coerce(p, &a, dst, tt) == -1)
			goto out;
	}
	if (a.type == dst || a.type == EMU_T_NULL) {
		emusql_ex_set(e, dst, "%s", a.sql.buf);
	} else if (a.type == EMU_T_INT64 && dst == EMU_T_FLOAT64) {
		emusql_ex_set(e, dst, "CAST(%s AS REAL)", a.sql.buf);
	} else if (a.type == EMU_T_INT64 && dst == EMU_T_STRING) {
		emusql_ex_set(e, dst, "CAST(%s AS TEXT)", a.sql.buf);
	} else {
		int ok = 0;

		switch (dst) {
		case EMU_T_STRING:
			ok = a.type != EMU_T_NESTED && a.type != EMU_T_JSON;
			break;
		case EMU_T_INT64:
		case EMU_T_FLOAT64:
			ok = a.type == EMU_T_STRING || emusql_is_numeric(a.type) ||
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
			emusql_perr(p, tt, "Invalid cast from %s to %s",
			    emusql_type_name(a.type), emusql_type_name(dst));
			goto out;
		}
		emusql_ex_set(e, dst, "bq_cast(%s, %d, %d, %d)", a.sql.buf,
		    (int)a.type, (int)dst, safe);
	}
	e->agg = a.agg;
	rc = 0;
out:
	emusql_ex_release(&a);
	return rc;
}

int
emusql_parse_aggregate(struct parser *p, struct scope *sc, const char *fn,
    struct tok *ft, struct ex *e)
{
	struct ex a;
	int distinct = 0, rc = -1;
	struct sel *sl = sc ? sc->sel : NULL;

	emusql_ex_init(&a);
	if (sl)
		sl->agg_depth++;
	if (strcasecmp(fn, "COUNT") == 0 && emusql_is_op(emusql_peek(p), "*")) {
		p->i++;
		if (emusql_expect_op(p, ")") == -1)
			goto out;
		emusql_ex_set(e, EMU_T_INT64, "count(*)");
		goto done;
	}
	if (emusql_accept_kw(p, "DISTINCT"))
		distinct = 1;
	if (emusql_parse_expr(p, sc, &a) == -1)
		goto out;
	if (!emusql_accept_op(p, ")")) {
		emusql_perr(p, NULL, "Aggregate function %s: only one argument is "
		    "supported by bq-emulator", fn);
		goto out;
	}
	if (a.agg) {
		emusql_perr(p, ft, "Aggregations of aggregations are not allowed");
		goto out;
	}
	if (a.type == EMU_T_NESTED || a.type == EMU_T_JSON ||
	    a.type == EMU_T_GEOGRAPHY || a.type == EMU_T_NUMERIC ||
	    a.type == EMU_T_BIGNUMERIC) {
		if (strcasecmp(fn, "COUNT") != 0) {
			emusql_perr(p, ft, "%s of %s is not supported by "
			    "bq-emulator", fn, emusql_type_name(a.type));
			goto out;
		}
	}
	if (strcasecmp(fn, "COUNT") == 0)
		emusql_ex_set(e, EMU_T_INT64, "count(%s%s)", distinct ? "DISTINCT " :
		    "", a.sql.buf);
	else if (strcasecmp(fn, "COUNTIF") == 0) {
		if (emusql_need_type(p, &a, EMU_T_BOOL, fn, ft) == -1)
			goto out;
		emusql_ex_set(e, EMU_T_INT64, "count(%sCASE WHEN %s THEN 1 END)",
		    distinct ? "DISTINCT " : "", a.sql.buf);
	} else if (strcasecmp(fn, "BIT_XOR") == 0) {
		if (emusql_need_type(p, &a, EMU_T_INT64, fn, ft) == -1)
			goto out;
		emusql_ex_set(e, EMU_T_INT64, "bq_bit_xor(%s%s)", distinct ?
		    "DISTINCT " : "", a.sql.buf);
	} else if (strcasecmp(fn, "SUM") == 0 || strcasecmp(fn, "AVG") == 0) {
		if (!emusql_is_numeric(a.type) && a.type != EMU_T_NULL) {
			emusql_perr(p, ft, "No matching signature for aggregate "
			    "function %s for argument types: %s", fn,
			    emusql_type_name(a.type));
			goto out;
		}
		emusql_ex_set(e, fn[0] == 'A' || fn[0] == 'a' ? EMU_T_FLOAT64 :
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
		    emusql_need_type(p, &a, EMU_T_BOOL, fn, ft) == -1)
			goto out;
		emusql_ex_set(e, a.type, "%s(%s)", f, a.sql.buf);
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
	emusql_ex_release(&a);
	return rc;
}
