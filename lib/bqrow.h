/*
 * bqrow: BigQuery's wire rows ({"f":[{"v":...}]}) to the row objects of
 * bqsync(7) ROWS, driven by the result schema.
 *
 * A struct bqrow is a schema compiled once per query; converting a row
 * then walks the schema and the cells side by side, recursively through
 * RECORD and REPEATED.  Nothing is ever routed through a double: INT64
 * within +-2^53 and FLOAT64 keep BigQuery's digits as raw JSON numbers
 * (cJSON_CreateRaw), larger INT64 become strings of the exact digits,
 * TIMESTAMP (int64 microseconds or float seconds) becomes canonical
 * RFC 3339 text with 6 fractional digits.  Legacy and standard type names
 * are both accepted.  Each row gets "id" per lib/row.h (row_id with the
 * table's idColumns), or the value of a configured source id column.
 */
#ifndef BQSYNC_BQROW_H
#define BQSYNC_BQROW_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "log.h"
#include "util.h"

struct bqrow;

/*
 * Compiles a schema "fields" array (not kept).  NULL with err (EXIT_DATA)
 * if it is not a schema.  Free with bqrow_free().
 */
struct bqrow *bqrow_new(const cJSON *fields, struct bq_err *err);
void	 bqrow_free(struct bqrow *);		/* NULL is fine */
/*
 * How "id" is made: from id_columns (copied; NULL = the whole row), or,
 * with id_column, that source column's value as is.  with_id 0 = no id.
 */
void	 bqrow_set_id(struct bqrow *, char *const *id_columns, size_t n,
	    const char *id_column, int with_id);
/* Index of top-level column name in the schema, or -1. */
int	 bqrow_column(const struct bqrow *, const char *name);
/* Number of top-level columns. */
size_t	 bqrow_ncolumns(const struct bqrow *);

/*
 * Converts one wire row into a new object (caller frees with
 * cJSON_Delete), with "id" first when enabled.  NULL with err
 * (EXIT_DATA) when the row does not match the schema.
 */
cJSON	*bqrow_convert(const struct bqrow *, const cJSON *raw,
	    struct bq_err *err);
/*
 * Appends the converted row as one compact JSON line ending in "\n" to
 * out.  0, or -1 with err (out unchanged).
 */
int	 bqrow_write(const struct bqrow *, const cJSON *raw,
	    struct strbuf *out, struct bq_err *err);
/*
 * The TIMESTAMP cell of top-level column idx of raw in microseconds
 * (int64 or float seconds).  0, or -1 if null or unparseable.
 */
int	 bqrow_cell_micros(const cJSON *raw, int idx, int64_t *micros);
/* Appends v as compact JSON (raw numbers verbatim) to out. */
void	 bqrow_print(const cJSON *v, struct strbuf *out);

#endif
