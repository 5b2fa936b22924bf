/*
 * row: what every tool agrees about a row (bqsync(7), ROWS and IDS): its
 * canonical JSON, its deterministic id and its timestamp.
 *
 * Canonical JSON: objects with keys sorted bytewise (recursively), no
 * whitespace, strings escaped as strbuf_add_json_string(), numbers
 * (including cJSON raw numbers) printed as the shortest "%.17g"-family
 * decimal that round-trips to the same double (integers of magnitude up to
 * 2^53 as plain digits: 1.0, 1e0 and 1 are all "1"; -0 is "0"; non-finite
 * values null), top-level "id", "_syncedAt", "_fp" (bq-pull's content
 * fingerprint, see bq_fp_sql()) and null members left out (a column added
 * to the source, null in old rows, changes no id).  The id is the
 * first 32 hex digits of SHA-256 over the canonical JSON of the row, or,
 * with idColumns, over the canonical JSON of the object holding only those
 * columns; it is the same on every host, time zone and locale.
 */
#ifndef BQSYNC_ROW_H
#define BQSYNC_ROW_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "util.h"

#define ROW_ID_LEN 32

/* Appends the canonical JSON of v to out. */
void	 row_canonical(const cJSON *v, struct strbuf *out);
/*
 * Computes the id of row into out (ROW_ID_LEN hex digits + NUL).  With
 * id_columns, every listed column must be present: returns -1 naming the
 * first missing one in *missing (not owned), else 0.
 */
int	 row_id(const cJSON *row, char *const *id_columns, size_t ncols,
	    char out[ROW_ID_LEN + 1], const char **missing);
/*
 * Integers written in text beyond 2^53 (which a double would round): each
 * that is a member of the top-level object row becomes a raw item holding
 * its digits as written.  0, or -1 when one is nested deeper (*bad names
 * the top-level member holding it, or is NULL).  text[0..len) is the JSON
 * that row was parsed from.
 */
int	 row_keep_integers(cJSON *row, const char *text, size_t len,
	    const char **bad);
/*
 * The first member name that occurs twice in one object anywhere in v, or
 * NULL.  Readers disagree on which of the two counts (cJSON the first, a
 * JavaScript Harper the last).
 */
const char *row_duplicate_key(const cJSON *v);
/*
 * The timestamp column of row in microseconds: accepts the canonical string,
 * any form ts_parse() takes, or an integer number of microseconds.  0, or
 * -1 when missing, null or unparseable.
 */
int	 row_timestamp(const cJSON *row, const char *column,
	    int64_t *micros);

#endif
