/*
 * scan: what a query reads, for billing as BigQuery does (bq-emulator(1),
 * Billing): per table reference, the columns it references and the
 * bounds that WHERE puts on them with values known before the query runs
 * (literals and query parameters), so the partitions outside them prune.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "emusql_int.h"
#include "banned.h"

int
emusql_scan_new(struct parser *p, const char *sqlname, size_t ncols)
{
	struct emusql_query *q = p->q;
	struct emusql_scan *s;
	size_t i;

	q->scans = xrealloc(q->scans, (q->nscans + 1) * sizeof(*q->scans));
	s = &q->scans[q->nscans];
	memset(s, 0, sizeof(*s));
	s->table = xstrdup(sqlname);
	s->ncols = ncols;
	s->used = xcalloc(ncols ? ncols : 1, 1);
	s->lo = xcalloc(ncols ? ncols : 1, sizeof(int64_t));
	s->hi = xcalloc(ncols ? ncols : 1, sizeof(int64_t));
	for (i = 0; i < ncols; i++) {
		s->lo[i] = INT64_MIN;
		s->hi[i] = INT64_MAX;
	}
	return (int)++q->nscans;
}

void
emusql_scan_use(struct parser *p, const struct scope *sc, size_t col)
{
	if (sc->scan > 0 && col < p->q->scans[sc->scan - 1].ncols)
		p->q->scans[sc->scan - 1].used[col] = 1;
}

void
emusql_scans_free(struct emusql_query *q)
{
	size_t i;

	for (i = 0; i < q->nscans; i++) {
		free(q->scans[i].table);
		free(q->scans[i].used);
		free(q->scans[i].lo);
		free(q->scans[i].hi);
	}
	free(q->scans);
}

/* A TIMESTAMP value known before the query runs at t[*i]: 0 and *us. */
static int
constant(struct parser *p, size_t *i, size_t end, int64_t *us)
{
	struct tok *t = &p->t[*i];
	struct emusql_bind b;
	struct bq_err err = BQ_ERR_INIT;
	const cJSON *it, *nm, *ty, *v = NULL;
	const char *text = NULL;

	if (t->k == TK_IDENT && strcasecmp(t->v, "TIMESTAMP") == 0 &&
	    *i + 1 < end && p->t[*i + 1].k == TK_STRING) {
		t = &p->t[++*i];
	}
	if (t->k == TK_STRING) {
		text = t->v;
	} else if (t->k == TK_PARAM) {
		cJSON_ArrayForEach(it, p->ctx->params) {
			nm = cJSON_GetObjectItemCaseSensitive(it, "name");
			ty = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItem(
			    it, "parameterType"), "type");
			if (cJSON_IsString(nm) && cJSON_IsString(ty) &&
			    strcasecmp(nm->valuestring, t->v) == 0 &&
			    strcasecmp(ty->valuestring, "TIMESTAMP") == 0)
				v = cJSON_GetObjectItem(cJSON_GetObjectItem(it,
				    "parameterValue"), "value");
		}
		text = cJSON_IsString(v) ? v->valuestring : NULL;
	}
	if (text == NULL || emusql_value_from_text(EMU_T_TIMESTAMP, text, &b,
	    &err) == -1)
		return -1;
	free(b.s);
	*us = b.i;
	(*i)++;
	return 0;
}

/* A column of sc at t[*i] (name, or alias.name): 0 and *col. */
static int
column(struct parser *p, const struct scope *sc, size_t *i, size_t end,
    size_t *col)
{
	struct tok *t = &p->t[*i];
	size_t k;

	if (t->k != TK_IDENT && t->k != TK_QIDENT)
		return -1;
	if (*i + 2 < end && emusql_is_op(&p->t[*i + 1], ".") &&
	    sc->alias != NULL && strcasecmp(t->v, sc->alias) == 0)
		t = &p->t[*i += 2];
	for (k = 0; k < sc->ncols; k++)
		if (strcasecmp(sc->cols[k].name, t->v) == 0 &&
		    sc->cols[k].type == EMU_T_TIMESTAMP) {
			*col = k;
			(*i)++;
			return 0;
		}
	return -1;
}

/* Narrows s's bounds on col by "col OP v" (ops[k] of conjunct()). */
static void
bound(struct emusql_scan *s, size_t col, size_t k, int64_t v)
{
	if ((k == 2 || k == 3 || k == 4) && v > s->lo[col])
		s->lo[col] = v;
	if ((k == 0 || k == 1 || k == 4) && v < s->hi[col])
		s->hi[col] = v;
}

/*
 * "col BETWEEN x AND y" at t[i] (after col): each end known before the
 * query runs bounds the scan on its own, as col >= x AND col <= y would.
 */
static void
between(struct parser *p, struct emusql_scan *s, size_t col, size_t i,
    size_t b)
{
	size_t and;
	int64_t v;
	int depth = 0;

	for (and = i; and < b; and++) {
		if (emusql_is_op(&p->t[and], "("))
			depth++;
		else if (emusql_is_op(&p->t[and], ")"))
			depth--;
		else if (depth == 0 && emusql_is_kw(&p->t[and], "AND"))
			break;
	}
	if (and >= b)
		return;
	if (constant(p, &i, and, &v) == 0 && i == and)
		bound(s, col, 3, v);
	i = and + 1;
	if (constant(p, &i, b, &v) == 0 && i == b)
		bound(s, col, 1, v);
}

/* The index of the ")" matching the "(" at t[a], or b. */
static size_t
closing(struct parser *p, size_t a, size_t b)
{
	size_t i;
	int depth = 0;

	for (i = a; i < b; i++) {
		if (emusql_is_op(&p->t[i], "("))
			depth++;
		else if (emusql_is_op(&p->t[i], ")") && --depth == 0)
			return i;
	}
	return b;
}

/*
 * One conjunct [a, b): "col OP value", "value OP col", "col BETWEEN value
 * AND value", or a parenthesized condition (its own conjuncts); a value
 * is a literal or a query parameter, never a subquery's result.
 */
static void
conjunct(struct parser *p, const struct scope *sc, size_t a, size_t b)
{
	static const char *ops[] = { "<", "<=", ">", ">=", "=" };
	struct emusql_scan *s = &p->q->scans[sc->scan - 1];
	const char *op;
	size_t i = a, col, k;
	int64_t v;
	int flip = 0;

	if (a < b && emusql_is_op(&p->t[a], "(") && closing(p, a, b) == b - 1 &&
	    !(a + 1 < b && emusql_is_kw(&p->t[a + 1], "SELECT"))) {
		emusql_scan_where(p, sc, a + 1, b - 1);
		return;
	}
	if (column(p, sc, &i, b, &col) == -1) {
		if (constant(p, &i, b, &v) == -1)
			return;
		flip = 1;
	}
	if (!flip && i < b && emusql_is_kw(&p->t[i], "BETWEEN")) {
		between(p, s, col, i + 1, b);
		return;
	}
	if (i >= b || p->t[i].k != TK_OP)
		return;
	op = p->t[i++].v;
	for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
		if (strcmp(op, ops[k]) == 0)
			break;
	if (k == sizeof(ops) / sizeof(ops[0]))
		return;
	if (flip ? column(p, sc, &i, b, &col) == -1 :
	    constant(p, &i, b, &v) == -1)
		return;
	if (i != b)
		return;
	if (flip && k < 4)
		k ^= 2;		/* v < col is col > v */
	bound(s, col, k, v);
}

/*
 * Bounds the scan of sc by the WHERE condition [a, b): the conjuncts at
 * its top level (an AND that closes a BETWEEN joins no conjuncts); an OR
 * at the top level bounds nothing.
 */
void
emusql_scan_where(struct parser *p, const struct scope *sc, size_t a,
    size_t b)
{
	size_t i, c0 = a;
	int depth = 0, in_between = 0;

	if (sc->scan <= 0)
		return;
	for (i = a; i < b; i++) {	/* an OR at the top: no bounds */
		if (emusql_is_op(&p->t[i], "("))
			depth++;
		else if (emusql_is_op(&p->t[i], ")"))
			depth--;
		else if (depth == 0 && emusql_is_kw(&p->t[i], "OR"))
			return;
	}
	for (i = a; i <= b; i++) {
		if (i < b && emusql_is_op(&p->t[i], "("))
			depth++;
		else if (i < b && emusql_is_op(&p->t[i], ")"))
			depth--;
		else if (i < b && depth == 0 &&
		    emusql_is_kw(&p->t[i], "BETWEEN"))
			in_between = 1;
		else if (i < b && depth == 0 && in_between &&
		    emusql_is_kw(&p->t[i], "AND"))
			in_between = 0;
		else if (i == b || (depth == 0 &&
		    emusql_is_kw(&p->t[i], "AND"))) {
			conjunct(p, sc, c0, i);
			c0 = i + 1;
		}
	}
}
