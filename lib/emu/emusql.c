/*
 * emusql: GoogleSQL subset -> SQLite SQL (see emusql.h).
 *
 * The parser emits SQLite SQL while it reads, each expression carrying its
 * BigQuery type, so type errors surface as invalidQuery at compile time.
 * Every FROM source gets a generated qualifier (_s1, _s2...), which keeps
 * column references unambiguous in nested and correlated subqueries.
 * Literals and parameters travel as bound values, never spliced as text.
 *
 * This file: FROM, SELECT, DELETE and the entry points.
 */
#include <stdlib.h>
#include <string.h>

#include "emusql_int.h"
#include "banned.h"

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
	*first = emusql_peek(p);
	for (;;) {
		struct tok *t = emusql_peek(p);
		char *s, *dot;

		if (t->k != TK_QIDENT && (t->k != TK_IDENT || emusql_is_reserved(t)))
			return emusql_unexpected(p);
		p->i++;
		s = t->v;
		for (;;) {
			if (*np == 4)
				return emusql_perr(p, t, "Invalid table name");
			dot = t->k == TK_QIDENT ? strchr(s, '.') : NULL;
			parts[(*np)++] = dot ? xstrndup(s, (size_t)(dot - s)) :
			    xstrdup(s);
			if (dot == NULL)
				break;
			s = dot + 1;
		}
		/* Project ids may contain dashes: my-project.ds.t */
		while (*np == 1 && t->k == TK_IDENT && emusql_is_op(emusql_peek(p), "-") &&
		    (emusql_peek2(p, 1)->k == TK_IDENT || emusql_peek2(p, 1)->k == TK_INT)) {
			char *j = xstrfmt("%s-%s", parts[0], emusql_peek2(p, 1)->v);

			free(parts[0]);
			parts[0] = j;
			p->i += 2;
		}
		if (emusql_is_op(emusql_peek(p), ".") && (emusql_peek2(p, 1)->k == TK_IDENT ||
		    emusql_peek2(p, 1)->k == TK_QIDENT)) {
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
			emusql_perr(p, first, "Table \"%s\" must be qualified with a "
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
		emusql_perr(p, first, "Invalid table name");
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
	sc->scan = emusql_scan_new(p, *sqlname, sc->ncols);
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

	if (emusql_accept_kw(p, "AS")) {
		t = emusql_peek(p);
		if (t->k != TK_QIDENT && (t->k != TK_IDENT || emusql_is_reserved(t)))
			return emusql_unexpected(p);
		p->i++;
		*alias = xstrdup(t->v);
		return 1;
	}
	t = emusql_peek(p);
	if (t->k == TK_QIDENT || (t->k == TK_IDENT && !emusql_is_reserved(t))) {
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
	struct tok *t = emusql_peek(p);

	snprintf(sc->qual, sizeof(sc->qual), "_s%d", ++p->nqual);
	if (emusql_is_op(t, "(") && emusql_starts_query(p)) {
		struct strbuf sb = STRBUF_INIT;

		p->i++;
		if (emusql_parse_query(p, outer, &sb, &sc->cols, &sc->ncols) == -1 ||
		    emusql_expect_op(p, ")") == -1) {
			strbuf_release(&sb);
			return -1;
		}
		strbuf_addf(out, "(%s) AS %s", sb.buf, sc->qual);
		strbuf_release(&sb);
	} else if (emusql_is_kw(t, "UNNEST") || emusql_is_op(t, "(")) {
		return emusql_perr(p, t, "This FROM clause is not supported by "
		    "bq-emulator");
	} else {
		if (resolve_table(p, sc, &sqlname) == -1)
			return -1;
		emusql_add_quoted(out, sqlname);
		strbuf_addf(out, " AS %s", sc->qual);
		free(sqlname);
	}
	if (emusql_is_kw(emusql_peek(p), "FOR") || emusql_is_kw(emusql_peek(p), "TABLESAMPLE"))
		return emusql_perr(p, NULL, "FOR SYSTEM_TIME AS OF and TABLESAMPLE "
		    "are not supported by bq-emulator");
	if (parse_alias(p, &alias)) {
		free(sc->alias);
		sc->alias = alias;
	}
	t = emusql_peek(p);
	if (emusql_is_op(t, ",") || emusql_is_kw(t, "JOIN") || emusql_is_kw(t, "LEFT") ||
	    emusql_is_kw(t, "RIGHT") || emusql_is_kw(t, "INNER") || emusql_is_kw(t, "CROSS") ||
	    emusql_is_kw(t, "FULL"))
		return emusql_perr(p, t, "Joins are not supported by bq-emulator");
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
		emusql_cols_free(c->sc->cols, c->sc->ncols);
		free(c->sc->alias);
		free(c->sc);
	}
	emusql_cols_free(c->cols, c->ncols);
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
		struct tok *t = emusql_peek(p);
		struct ex e;
		char *alias = NULL;
		size_t b0 = c->sel.nbare;

		if (emusql_is_op(t, "*") || (t->k == TK_IDENT && emusql_is_op(emusql_peek2(p, 1),
		    ".") && emusql_is_op(emusql_peek2(p, 2), "*"))) {
			if (!emusql_is_op(t, "*")) {
				if (sc->alias == NULL ||
				    strcasecmp(sc->alias, t->v) != 0)
					return emusql_perr(p, t, "Unrecognized name: "
					    "%s", t->v);
				p->i += 2;
			}
			p->i++;
			if (emusql_is_kw(emusql_peek(p), "EXCEPT") || emusql_is_kw(emusql_peek(p), "REPLACE"))
				return emusql_perr(p, NULL, "SELECT * EXCEPT/REPLACE "
				    "is not supported by bq-emulator");
			if (sc->ncols == 0)
				return emusql_perr(p, t, "SELECT * must have a FROM "
				    "clause");
			for (i = 0; i < sc->ncols; i++) {
				struct strbuf sb = STRBUF_INIT;

				emusql_scan_use(p, sc, i);
				strbuf_addf(&sb, "%s.", sc->qual);
				emusql_add_quoted(&sb, sc->cols[i].name);
				c->sel.bare = xrealloc(c->sel.bare,
				    (c->sel.nbare + 1) * sizeof(char *));
				c->sel.bare[c->sel.nbare++] = xstrdup(sb.buf);
				add_item(c, sb.buf, sc->cols[i].name,
				    sc->cols[i].type, sc->cols[i].field,
				    c->sel.nbare - 1, c->sel.nbare, 1);
				strbuf_release(&sb);
			}
		} else {
			emusql_ex_init(&e);
			if (emusql_parse_expr(p, sc, &e) == -1) {
				emusql_ex_release(&e);
				return -1;
			}
			if (parse_alias(p, &alias) == 0 && e.name)
				alias = xstrdup(e.name);
			add_item(c, e.sql.buf, alias, e.type, e.field, b0,
			    c->sel.nbare, e.name != NULL);
			free(alias);
			emusql_ex_release(&e);
		}
		if (!emusql_accept_op(p, ","))
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
	struct tok *t = emusql_peek(p), *nx = emusql_peek2(p, 1);
	size_t i;

	if (!(emusql_is_op(nx, ",") || emusql_is_op(nx, ")") || emusql_is_op(nx, ";") ||
	    nx->k == TK_EOF || emusql_is_kw(nx, "ASC") || emusql_is_kw(nx, "DESC") ||
	    emusql_is_kw(nx, "LIMIT") || emusql_is_kw(nx, "NULLS") || emusql_is_kw(nx, "HAVING") ||
	    emusql_is_kw(nx, "ORDER") || emusql_is_kw(nx, "WINDOW") || emusql_is_kw(nx, "QUALIFY")))
		return -1;
	if (t->k == TK_INT) {
		long k = strtol(t->v, NULL, 10);

		if (k < 1 || (size_t)k > c->nitems) {
			emusql_perr(p, t, "%s BY is out of SELECT column number range: "
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

/* The index of the token that ends the select list at p->i. */
static size_t
list_end(struct parser *p)
{
	size_t k, j;
	int depth = 0;

	for (k = p->i; p->t[k].k != TK_EOF; k++) {
		if (emusql_is_op(&p->t[k], "("))
			depth++;
		else if (emusql_is_op(&p->t[k], ")")) {
			if (depth == 0)
				break;
			depth--;
		} else if (depth == 0 && (emusql_is_op(&p->t[k], ";")))
			break;
		else if (depth == 0) {
			for (j = 0; j < sizeof(stop_kw) / sizeof(stop_kw[0]); j++)
				if (emusql_is_kw(&p->t[k], stop_kw[j]))
					return k;
		}
	}
	return k;
}

/* [WHERE expr], appended to rest. */
static int
parse_where(struct parser *p, struct core *c, struct strbuf *rest)
{
	struct tok *t;
	struct ex e;
	size_t a;
	int rc = -1;

	if (!emusql_accept_kw(p, "WHERE"))
		return 0;
	t = emusql_peek(p);
	a = p->i;
	emusql_ex_init(&e);
	if (emusql_parse_expr(p, c->sc, &e) == -1 ||
	    emusql_need_type(p, &e, EMU_T_BOOL, "WHERE", t) == -1)
		goto out;
	emusql_scan_where(p, c->sc, a, p->i);
	if (e.agg) {
		emusql_perr(p, t, "Aggregate function not allowed in WHERE "
		    "clause");
		goto out;
	}
	strbuf_addf(rest, " WHERE %s", e.sql.buf);
	rc = 0;
out:
	emusql_ex_release(&e);
	return rc;
}

/* One GROUP BY key (a select item's number or name, or an expression). */
static int
parse_group_key(struct parser *p, struct core *c, char **key)
{
	int ref = item_ref(p, c, 0), rc = -1;
	enum emu_type gt;
	struct ex e;

	if (ref == -2)
		return -1;
	emusql_ex_init(&e);
	if (ref >= 0) {
		gt = c->cols[ref].type;
		*key = xstrdup(c->items[ref].sql);
	} else {
		if (emusql_parse_expr(p, c->sc, &e) == -1)
			goto out;
		gt = e.type;
		*key = xstrdup(e.sql.buf);
	}
	if (gt == EMU_T_NESTED || gt == EMU_T_FLOAT64 ||
	    gt == EMU_T_JSON || gt == EMU_T_GEOGRAPHY) {
		free(*key);
		*key = NULL;
		emusql_perr(p, NULL, "Grouping by expressions of type "
		    "%s is not allowed", emusql_type_name(gt));
		goto out;
	}
	rc = 0;
out:
	emusql_ex_release(&e);
	return rc;
}

/* [GROUP BY key {"," key}] into c->group, appended to rest. */
static int
parse_group_by(struct parser *p, struct core *c, struct strbuf *rest)
{
	if (!emusql_accept_kw(p, "GROUP"))
		return 0;
	if (emusql_expect_kw(p, "BY") == -1)
		return -1;
	if (emusql_is_kw(emusql_peek(p), "ROLLUP") ||
	    emusql_is_kw(emusql_peek(p), "CUBE") ||
	    emusql_is_kw(emusql_peek(p), "GROUPING"))
		return emusql_perr(p, NULL, "GROUP BY ROLLUP/CUBE/GROUPING "
		    "SETS are not supported by bq-emulator");
	strbuf_adds(rest, " GROUP BY ");
	do {
		char *key;

		if (parse_group_key(p, c, &key) == -1)
			return -1;
		c->group = xrealloc(c->group, (c->ngroup + 1) * sizeof(char *));
		c->group[c->ngroup] = key;
		strbuf_addf(rest, "%s%s", c->ngroup ? ", " : "", key);
		c->ngroup++;
	} while (emusql_accept_op(p, ","));
	return 0;
}

/* [HAVING expr], appended to rest; its columns must be grouped. */
static int
parse_having(struct parser *p, struct core *c, struct strbuf *rest)
{
	struct tok *t;
	size_t b0 = c->sel.nbare, i;
	struct ex e;
	int rc = -1;

	if (!emusql_accept_kw(p, "HAVING"))
		return 0;
	t = emusql_peek(p);
	emusql_ex_init(&e);
	c->sel.track = 1;
	if (emusql_parse_expr(p, c->sc, &e) == -1 ||
	    emusql_need_type(p, &e, EMU_T_BOOL, "HAVING", t) == -1)
		goto out;
	c->sel.track = 0;
	c->sel.has_agg = 1;
	for (i = b0; i < c->sel.nbare; i++)
		if (!in_list(c->group, c->ngroup, c->sel.bare[i])) {
			emusql_perr(p, t, "HAVING clause expression "
			    "references column which is neither "
			    "grouped nor aggregated");
			goto out;
		}
	strbuf_addf(rest, " HAVING %s", e.sql.buf);
	rc = 0;
out:
	emusql_ex_release(&e);
	return rc;
}

/* In an aggregating query, every select item is grouped or aggregated. */
static int
check_grouped(struct parser *p, struct core *c, size_t list_start)
{
	size_t i, j;

	if (!c->sel.has_agg && c->ngroup == 0)
		return 0;
	for (i = 0; i < c->nitems; i++) {
		if (in_list(c->group, c->ngroup, c->items[i].sql))
			continue;
		for (j = c->items[i].b0; j < c->items[i].b1; j++)
			if (!in_list(c->group, c->ngroup, c->sel.bare[j]))
				return emusql_perr(p, &p->t[list_start],
				    "SELECT list expression references column "
				    "%s which is neither grouped nor aggregated",
				    c->items[i].name ? c->items[i].name :
				    "(expression)");
	}
	return 0;
}

/* Names the columns (anonymous ones f0_, f1_...) and prints the SELECT. */
static void
emit_select(struct core *c, const struct strbuf *from, int has_from,
    struct strbuf *out)
{
	size_t i, j;

	for (i = 0, j = 0; i < c->nitems; i++)
		c->cols[i].name = c->items[i].name ? xstrdup(c->items[i].name) :
		    xstrfmt("f%zu_", j++);
	for (i = 0; i < c->ncols; i++)
		if (c->cols[i].field) {
			cJSON_ReplaceItemInObjectCaseSensitive(c->cols[i].field,
			    "name", cJSON_CreateString(c->cols[i].name));
		}
	strbuf_addf(out, "SELECT %s", c->distinct ? "DISTINCT " : "");
	for (i = 0; i < c->nitems; i++) {
		strbuf_addf(out, "%s%s AS ", i ? ", " : "", c->items[i].sql);
		emusql_add_quoted(out, c->cols[i].name);
	}
	if (has_from)
		strbuf_addf(out, " FROM %s", from->buf);
}

/*
 * SELECT's core after the keyword: the list is parsed after FROM (so its
 * names resolve), then WHERE, GROUP BY and HAVING.
 */
static int
parse_core(struct parser *p, struct scope *outer, struct core *c,
    struct strbuf *out)
{
	size_t list_start, k, after_from;
	int has_from, rc = -1;
	struct strbuf from = STRBUF_INIT, rest = STRBUF_INIT;

	c->sc = xcalloc(1, sizeof(*c->sc));
	c->sc->outer = outer;
	c->sc->sel = &c->sel;
	c->distinct = emusql_accept_kw(p, "DISTINCT");
	if (!c->distinct)
		emusql_accept_kw(p, "ALL");
	if (emusql_is_kw(emusql_peek(p), "AS")) {
		emusql_perr(p, NULL, "SELECT AS STRUCT/VALUE is not supported by "
		    "bq-emulator");
		goto out;
	}
	list_start = p->i;
	k = list_end(p);
	has_from = emusql_is_kw(&p->t[k], "FROM");
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
		emusql_unexpected(p);
		goto out;
	}
	p->i = after_from;
	if (parse_where(p, c, &rest) == -1 ||
	    parse_group_by(p, c, &rest) == -1 ||
	    parse_having(p, c, &rest) == -1 ||
	    check_grouped(p, c, list_start) == -1)
		goto out;
	emit_select(c, &from, has_from, out);
	strbuf_adds(out, rest.buf);
	rc = 0;
out:
	strbuf_release(&from);
	strbuf_release(&rest);
	return rc;
}

static int
parse_limit_value(struct parser *p, struct strbuf *out, const char *kw)
{
	struct tok *t = emusql_peek(p);
	struct ex e;
	int rc = -1;

	emusql_ex_init(&e);
	if (t->k == TK_INT) {
		p->i++;
		strbuf_addf(out, " %s %s", kw, t->v);
		rc = 0;
	} else if (t->k == TK_PARAM || t->k == TK_QMARK) {
		if (emusql_parse_param(p, &e) == -1)
			goto out;
		if (e.type != EMU_T_INT64) {
			emusql_perr(p, t, "%s expects an integer literal or parameter",
			    kw);
			goto out;
		}
		strbuf_addf(out, " %s %s", kw, e.sql.buf);
		rc = 0;
	} else
		emusql_perr(p, t, "Syntax error: %s expects an integer literal or "
		    "parameter", kw);
out:
	emusql_ex_release(&e);
	return rc;
}

/*
 * An ORDER BY expression (not a select item) must be in the DISTINCT
 * list, and grouped or aggregated in an aggregating query.
 */
static int
check_order_expr(struct parser *p, struct core *c, struct ex *e,
    size_t b0, struct tok *ot)
{
	size_t j;

	for (j = 0; j < c->nitems; j++)
		if (strcmp(c->items[j].sql, e->sql.buf) == 0)
			break;
	if (c->distinct && j == c->nitems)
		return emusql_perr(p, ot, "ORDER BY clause expression "
		    "references columns not in the SELECT DISTINCT list");
	if ((c->sel.has_agg || c->ngroup) && j == c->nitems &&
	    !in_list(c->group, c->ngroup, e->sql.buf))
		for (j = b0; j < c->sel.nbare; j++)
			if (!in_list(c->group, c->ngroup, c->sel.bare[j]))
				return emusql_perr(p, ot, "ORDER BY clause "
				    "expression references a column which is "
				    "neither grouped nor aggregated");
	if (e->type == EMU_T_NESTED || e->type == EMU_T_JSON ||
	    e->type == EMU_T_GEOGRAPHY || e->type == EMU_T_NUMERIC ||
	    e->type == EMU_T_BIGNUMERIC) {
		/* The message has always named the released type. */
		emusql_ex_release(e);
		return emusql_perr(p, NULL, "ORDER BY of type %s is not "
		    "supported", emusql_type_name(e->type));
	}
	return 0;
}

/* The n-th ORDER BY key: a select item or an expression, then options. */
static int
parse_order_key(struct parser *p, struct core *c, struct strbuf *out,
    size_t n)
{
	int k = item_ref(p, c, 1), rc = -1;
	const char *ref = k >= 0 ? c->items[k].sql : NULL;
	struct ex e;

	if (k == -2)
		return -1;
	emusql_ex_init(&e);
	if (ref == NULL) {
		size_t b0 = c->sel.nbare;
		struct tok *ot = emusql_peek(p);

		c->sel.track = 1;
		if (emusql_parse_expr(p, c->sc, &e) == -1)
			goto out;
		c->sel.track = 0;
		if (check_order_expr(p, c, &e, b0, ot) == -1)
			goto out;
		ref = e.sql.buf;
	}
	strbuf_addf(out, "%s%s", n ? ", " : "", ref);
	if (emusql_accept_kw(p, "DESC"))
		strbuf_adds(out, " DESC");
	else if (emusql_accept_kw(p, "ASC"))
		strbuf_adds(out, " ASC");
	if (emusql_accept_kw(p, "NULLS")) {
		if (emusql_accept_kw(p, "FIRST"))
			strbuf_adds(out, " NULLS FIRST");
		else if (emusql_accept_kw(p, "LAST"))
			strbuf_adds(out, " NULLS LAST");
		else {
			emusql_unexpected(p);
			goto out;
		}
	}
	rc = 0;
out:
	emusql_ex_release(&e);
	return rc;
}

int
emusql_parse_query(struct parser *p, struct scope *outer, struct strbuf *out,
    struct emusql_col **cols, size_t *ncols)
{
	struct core c;
	int rc = -1;
	size_t n = 0;

	memset(&c, 0, sizeof(c));
	if (emusql_is_op(emusql_peek(p), "(")) {
		if (emusql_enter(p, emusql_peek(p)) == -1)
			return -1;
		p->i++;
		rc = emusql_parse_query(p, outer, out, cols, ncols);
		p->depth--;
		if (rc == -1 || emusql_expect_op(p, ")") == -1)
			return -1;
		if (emusql_is_kw(emusql_peek(p), "ORDER") || emusql_is_kw(emusql_peek(p), "LIMIT"))
			return emusql_perr(p, NULL, "ORDER BY or LIMIT after a "
			    "parenthesized query is not supported by "
			    "bq-emulator");
		return 0;
	}
	if (emusql_is_kw(emusql_peek(p), "WITH"))
		return emusql_perr(p, NULL, "WITH clauses are not supported by "
		    "bq-emulator");
	if (emusql_expect_kw(p, "SELECT") == -1)
		return -1;
	if (parse_core(p, outer, &c, out) == -1)
		goto out;
	if (emusql_is_kw(emusql_peek(p), "UNION") || emusql_is_kw(emusql_peek(p), "INTERSECT") ||
	    emusql_is_kw(emusql_peek(p), "EXCEPT")) {
		emusql_perr(p, NULL, "Set operations are not supported by "
		    "bq-emulator");
		goto out;
	}
	if (emusql_accept_kw(p, "ORDER")) {
		if (emusql_expect_kw(p, "BY") == -1)
			goto out;
		strbuf_adds(out, " ORDER BY ");
		do {
			if (parse_order_key(p, &c, out, n++) == -1)
				goto out;
		} while (emusql_accept_op(p, ","));
	}
	if (emusql_accept_kw(p, "LIMIT")) {
		if (parse_limit_value(p, out, "LIMIT") == -1)
			goto out;
		if (emusql_accept_kw(p, "OFFSET") &&
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
	emusql_ex_init(&e);
	sc->sel = &sel;
	emusql_accept_kw(p, "FROM");
	if (resolve_table(p, sc, &sqlname) == -1)
		goto out;
	emusql_add_quoted(&qn, sqlname);
	snprintf(sc->qual, sizeof(sc->qual), "%s", qn.buf);
	if (qn.len >= sizeof(sc->qual)) {
		emusql_perr(p, NULL, "Table name too long");
		goto out;
	}
	if (parse_alias(p, &alias)) {
		free(sc->alias);
		sc->alias = alias;
	}
	t = emusql_peek(p);
	if (!emusql_accept_kw(p, "WHERE")) {
		emusql_perr(p, t, "A DELETE statement must have a WHERE clause");
		goto out;
	}
	t = emusql_peek(p);
	if (emusql_parse_expr(p, sc, &e) == -1 ||
	    emusql_need_type(p, &e, EMU_T_BOOL, "WHERE", t) == -1)
		goto out;
	if (e.agg) {
		emusql_perr(p, t, "Aggregate function not allowed in WHERE clause");
		goto out;
	}
	strbuf_addf(out, "DELETE FROM %s WHERE %s", qn.buf, e.sql.buf);
	p->q->target = xstrdup(qn.buf);
	rc = 0;
out:
	free(sqlname);
	strbuf_release(&qn);
	emusql_ex_release(&e);
	emusql_cols_free(sc->cols, sc->ncols);
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
	if (emusql_lex(sql, &p.t, &p.n, err) == -1)
		goto fail;
	if (emusql_is_kw(emusql_peek(&p), "SELECT") || emusql_is_kw(emusql_peek(&p), "WITH") ||
	    emusql_is_op(emusql_peek(&p), "(")) {
		q->kind = EMUSQL_SELECT;
		if (emusql_parse_query(&p, NULL, &out, &q->cols, &q->ncols) == -1)
			goto fail;
	} else if (emusql_accept_kw(&p, "DELETE")) {
		q->kind = EMUSQL_DELETE;
		if (parse_delete(&p, &out) == -1)
			goto fail;
	} else if (emusql_peek(&p)->k == TK_IDENT) {
		emusql_perr(&p, NULL, "%s statements are not supported by "
		    "bq-emulator", emusql_peek(&p)->v);
		goto fail;
	} else {
		emusql_unexpected(&p);
		goto fail;
	}
	emusql_accept_op(&p, ";");
	if (emusql_peek(&p)->k != TK_EOF) {
		emusql_unexpected(&p);
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
	emusql_scans_free(q);
	free(q->sql);
	emusql_cols_free(q->cols, q->ncols);
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
