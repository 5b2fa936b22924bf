/*
 * emusql_int: the SQL compiler's tokens, expressions and parser state,
 * shared by its parts (private to lib/emu/).
 */
#ifndef BQSYNC_EMUSQL_INT_H
#define BQSYNC_EMUSQL_INT_H

#include <stddef.h>
#include <stdint.h>

#include "emusql.h"
#include "util.h"

enum tk { TK_EOF, TK_IDENT, TK_QIDENT, TK_STRING, TK_BYTES, TK_INT, TK_FLOAT,
	TK_PARAM, TK_QMARK, TK_OP };

struct tok {
	enum tk	 k;
	char	*v;		/* decoded text (NUL-terminated) */
	size_t	 len;		/* decoded length (bytes literals) */
	int	 line, col;
};


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
	int	 scan;		/* 1 + its index in q->scans; 0: no table */
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
	int		 depth;		/* nesting, bounded by EMUSQL_MAX_DEPTH */
	int		 nwin;		/* window functions parsed so far */
};

/*
 * Nested expressions and queries recurse: past this depth the query is
 * refused (400 invalidQuery, as BigQuery refuses a too complex query)
 * before the stack could overflow.
 */
#define EMUSQL_MAX_DEPTH	200
/* Enters one level of nesting at t: 0, or -1 (err set) when too deep. */
int	emusql_enter(struct parser *p, const struct tok *t);

/* emusql.c */
int	emusql_parse_query(struct parser *p, struct scope *outer, struct strbuf *out,
    struct emusql_col **cols, size_t *ncols);
/* sqltypes.c */
void	emusql_split_micros(int64_t us, int64_t *days, int64_t *rem);
/* lex.c */
/* Splits sql into tokens; returns the count or -1 (err set). */
int	emusql_lex(const char *sql, struct tok **out, size_t *n, struct bq_err *err);
/* parse.c */
void	emusql_ex_init(struct ex *e);
void	emusql_ex_release(struct ex *e);
/* Replaces e's SQL by fmt (which may use the old text via "%s"). */
void	emusql_ex_set(struct ex *e, enum emu_type t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
struct tok *emusql_peek(struct parser *p);
struct tok *emusql_peek2(struct parser *p, size_t k);
int	emusql_is_kw(const struct tok *t, const char *kw);
int	emusql_is_op(const struct tok *t, const char *op);
int	emusql_accept_kw(struct parser *p, const char *kw);
int	emusql_accept_op(struct parser *p, const char *op);
int	emusql_perr(struct parser *p, const struct tok *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int	emusql_unexpected(struct parser *p);
int	emusql_expect_op(struct parser *p, const char *op);
int	emusql_expect_kw(struct parser *p, const char *kw);
int	emusql_is_reserved(const struct tok *t);
int	emusql_add_bind(struct parser *p, const struct emusql_bind *b);
void	emusql_cols_free(struct emusql_col *c, size_t n);
/* Makes NULL literals and string literals take type t where BigQuery would. */
int	emusql_coerce(struct parser *p, struct ex *e, enum emu_type t, const struct tok *at);
int	emusql_is_numeric(enum emu_type t);
/* Checks that a and b can be compared (coercing literals first). */
int	emusql_comparable(struct parser *p, struct ex *a, struct ex *b, const char *op,
    const struct tok *at);
int	emusql_need_type(struct parser *p, struct ex *e, enum emu_type t, const char *fn,
    const struct tok *at);
/* Common supertype of a CASE/IF/COALESCE result; -1 if none. */
int	emusql_supertype(struct parser *p, enum emu_type *acc, struct ex *e,
    const struct tok *at);
int	emusql_parse_param(struct parser *p, struct ex *e);
/* Resolves a column reference (path already known to be one). */
int	emusql_column_ref(struct parser *p, struct scope *sc, struct tok *first,
    struct ex *e);
int	emusql_parse_args(struct parser *p, struct scope *sc, struct ex *args, int max,
    int *n);
int64_t	emusql_unit_micros(const char *u);
int	emusql_parse_cast(struct parser *p, struct scope *sc, struct ex *e, int safe);
int	emusql_parse_aggregate(struct parser *p, struct scope *sc, const char *fn,
    struct tok *ft, struct ex *e);
/* [ASC | DESC] [NULLS (FIRST | LAST)] of an ORDER BY key, appended to sb. */
int	emusql_order_options(struct parser *p, struct strbuf *sb);
/* call.c */
int	emusql_parse_call(struct parser *p, struct scope *sc, struct tok *ft, struct ex *e);
int	emusql_parse_case(struct parser *p, struct scope *sc, struct ex *e, struct tok *ct);
/* A parenthesised subquery used as a value: one column. */
int	emusql_parse_scalar_subquery(struct parser *p, struct scope *sc, struct ex *e,
    struct tok *at);
/* scan.c */
/* A new scan of table sqlname with ncols columns; returns 1 + its index. */
int	emusql_scan_new(struct parser *p, const char *sqlname, size_t ncols);
/* Marks column col of sc's table as referenced. */
void	emusql_scan_use(struct parser *p, const struct scope *sc, size_t col);
/* Notes the bounds of WHERE tokens [a, b) on sc's table (top-level ANDs). */
void	emusql_scan_where(struct parser *p, const struct scope *sc, size_t a,
    size_t b);
void	emusql_scans_free(struct emusql_query *q);
/* expr.c */
int	emusql_starts_query(struct parser *p);
int	emusql_parse_expr(struct parser *p, struct scope *sc, struct ex *e);

#endif
