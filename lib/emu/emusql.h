/*
 * emusql: the GoogleSQL subset of bq-emulator, translated into SQLite SQL.
 *
 * A small tokenizer and recursive-descent parser turn one GoogleSQL
 * statement (SELECT, DELETE or UPDATE) into SQLite SQL plus the BigQuery
 * types of its result columns.  Supported: SELECT [DISTINCT] with WHERE, GROUP BY,
 * HAVING, ORDER BY, LIMIT/OFFSET, subqueries in FROM and in expressions,
 * COUNT/COUNTIF/MIN/MAX/SUM/AVG/BIT_XOR, DIV, TO_JSON_STRING of a row or
 * STRUCT (optionally stripped of nulls), FARM_FINGERPRINT, UNIX_MICROS/MILLIS/
 * SECONDS, TIMESTAMP(), TIMESTAMP_MICROS/MILLIS/SECONDS, TIMESTAMP_TRUNC,
 * TIMESTAMP_ADD/SUB/DIFF, CAST/SAFE_CAST, MOD, ABS, CURRENT_TIMESTAMP,
 * FROM_HEX/TO_HEX, COALESCE/IFNULL/IF/NULLIF, LENGTH/LOWER/UPPER/CONCAT,
 * CASE, IN, BETWEEN, LIKE, IS NULL, ROW_NUMBER() OVER (PARTITION BY ...
 * ORDER BY ...) and QUALIFY, named (@x) and positional (?) parameters;
 * and DELETE ... WHERE and UPDATE ... SET ... WHERE.  Everything else fails with HTTP 400
 * (BigQuery's invalidQuery) rather than giving a wrong answer.
 *
 * Storage conventions (shared with emu.c): TIMESTAMP = INTEGER
 * microseconds, INT64 = INTEGER, FLOAT64 = REAL, BOOL = INTEGER 0/1,
 * BYTES = BLOB, STRING/DATE/DATETIME/TIME/NUMERIC/BIGNUMERIC/GEOGRAPHY =
 * canonical TEXT, JSON and RECORD/REPEATED = JSON TEXT.  Runtime errors of
 * the SQL functions (MOD by zero, ABS(INT64_MIN), overflow, bad casts) make
 * sqlite3_step() fail with the BigQuery message.
 */
#ifndef BQSYNC_EMUSQL_H
#define BQSYNC_EMUSQL_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "log.h"

enum emu_type {
	EMU_T_NULL,		/* the NULL literal: coerces to anything */
	EMU_T_INT64,
	EMU_T_FLOAT64,
	EMU_T_NUMERIC,
	EMU_T_BIGNUMERIC,
	EMU_T_BOOL,
	EMU_T_STRING,
	EMU_T_BYTES,
	EMU_T_DATE,
	EMU_T_DATETIME,
	EMU_T_TIME,
	EMU_T_TIMESTAMP,
	EMU_T_GEOGRAPHY,
	EMU_T_JSON,
	EMU_T_NESTED		/* RECORD and/or REPEATED, stored as JSON */
};

/* A result or table column; field (owned) is the schema field if nested. */
struct emusql_col {
	char		*name;
	enum emu_type	 type;
	cJSON		*field;
};

/* A bound parameter value, in storage form. */
struct emusql_bind {
	enum emu_type	 type;
	int		 is_null;
	int64_t		 i;
	double		 d;
	char		*s;		/* text or blob bytes, owned */
	size_t		 len;
};

enum emusql_kind { EMUSQL_SELECT, EMUSQL_DELETE, EMUSQL_UPDATE };

/*
 * What one table reference reads, for billing (emu_scan_bytes()): the
 * top-level columns it references (used[k] for the table's k-th field)
 * and, per column, the bounds lo <= col <= hi that WHERE puts on it with
 * TIMESTAMP values known before the query runs (literals, parameters).
 */
struct emusql_scan {
	char		*table;		/* SQLite name */
	size_t		 ncols;
	unsigned char	*used;
	int64_t		*lo, *hi;	/* INT64_MIN, INT64_MAX: unbounded */
};

/* A compiled statement; plain data, freed by emusql_query_free(). */
struct emusql_query {
	enum emusql_kind kind;
	char		*sql;		/* SQLite SQL, parameters as ?NNN */
	struct emusql_col *cols;	/* result columns (SELECT) */
	size_t		 ncols;
	struct emusql_bind *binds;	/* value of ?1, ?2, ... */
	size_t		 nbinds;
	char		*target;	/* DML: quoted SQLite table name */
	char		**tables;	/* SQLite names of referenced tables */
	size_t		 ntables;
	struct emusql_scan *scans;	/* what each table reference reads */
	size_t		 nscans;
};

/*
 * Looks a table up for the compiler: fills *sqlname (caller frees) and
 * *fields (a schema "fields" array the caller of the callback must not
 * keep; the callback keeps ownership) and returns 0, or -1 if absent.
 */
typedef int emusql_lookup_fn(void *arg, const char *project,
    const char *dataset, const char *table, char **sqlname,
    const cJSON **fields);

struct emusql_ctx {
	const char	*project;	/* the job's project */
	const char	*default_project;	/* defaultDataset, or NULL */
	const char	*default_dataset;
	const cJSON	*params;	/* queryParameters array, or NULL */
	emusql_lookup_fn *lookup;
	void		*arg;
	int64_t		 now;		/* CURRENT_TIMESTAMP, micros */
};

/*
 * Compiles one statement.  Returns the query (caller frees with
 * emusql_query_free()) or NULL with err: http_status 400 (invalidQuery)
 * or 404 (notFound, a missing table), msg BigQuery-like.
 */
struct emusql_query *emusql_compile(const char *sql,
    const struct emusql_ctx *ctx, struct bq_err *err);
void	 emusql_query_free(struct emusql_query *);
/* Binds q's parameters to st; returns the SQLite result code. */
int	 emusql_bind_all(const struct emusql_query *q, sqlite3_stmt *st);

/* Registers the SQL functions that compiled queries call. */
int	 emusql_register(sqlite3 *db);

/* Type names: the schema name of results ("INTEGER", "FLOAT"...). */
const char *emusql_type_name(enum emu_type);
/* Parses a schema type name (both spellings); -1 if unknown. */
int	 emusql_type_parse(const char *name, enum emu_type *out);

struct strbuf;
/* Appends name as a SQLite quoted identifier ("a""b"). */
void	 emusql_add_quoted(struct strbuf *, const char *name);

/* Formats TIMESTAMP micros as CAST(ts AS STRING) does. */
char	*emusql_format_ts_string(int64_t micros, char buf[48]);

/*
 * Converts a query parameter value (a QueryParameterValue "value", string
 * or number) to storage form; 0, or -1 with a message in err.
 */
int	 emusql_value_from_text(enum emu_type t, const char *s,
    struct emusql_bind *out, struct bq_err *err);

#endif
