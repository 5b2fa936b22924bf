/*
 * bq: a BigQuery REST v2 client (jobs.query, getQueryResults, load jobs,
 * DML, insertAll, datasets and tables) over lib/http.h.
 *
 * The base URL is Google's, or http://$BIGQUERY_EMULATOR_HOST/bigquery/v2
 * (cfg->emulator_host, with or without a scheme), or cfg->api_url.  With an
 * emulator and no credentials no Authorization header is sent; otherwise
 * tokens come from lib/auth.h and a 401 refreshes the token once.
 * Requests are retried by BigQuery's reason (rateLimitExceeded,
 * backendError, internalError, badGateway) and by HTTP status (408, 429,
 * 5xx) with backoff; a failed query job (jobBackendError, jobInternalError,
 * jobRateLimitExceeded) is re-run as a new job; anything else fails fast
 * with BigQuery's error as one line: "reason: message".
 *
 * Query results are streamed: bq_query_next_page() hands out one page of
 * raw rows ({"f":[{"v":...}]}) at a time and frees the previous one, so
 * memory stays bounded at any result size.  All JSON returned by this
 * module is owned by the object it came from unless stated otherwise.
 */
#ifndef BQSYNC_BQ_H
#define BQSYNC_BQ_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "log.h"
#include "util.h"

struct bq_client;
struct bq_query;

/* A table (or, with table NULL, a dataset); project NULL = the client's. */
struct bq_table_ref {
	const char *project;
	const char *dataset;
	const char *table;
};

/*
 * A named query parameter.  type is a GoogleSQL type name ("INT64",
 * "STRING", "TIMESTAMP", "FLOAT64", "BOOL", "DATE", ...); value is its text
 * form ("42", "2025-11-04 15:59:00.123456+00:00"), or NULL for SQL NULL.
 */
struct bq_param {
	const char *name;
	const char *type;
	const char *value;
};

struct bq_query_opts {
	const char *sql;		/* GoogleSQL (useLegacySql is false) */
	const struct bq_param *params;
	size_t	 nparams;
	long	 page_rows;		/* maxResults per page; 0 = 10000 */
	long	 timeout_ms;		/* per jobs.query/poll wait; 0 = 10000 */
	int	 dry_run;		/* only estimate bytes */
	int64_t	 max_bytes_billed;	/* maximumBytesBilled; 0 = none */
	const char *location;		/* NULL = the client's (cfg->location) */
	int	 prefetch;		/* fetch page n+1 while n is read */
};

/*
 * Creates a client from cfg (project, location, emulator_host, api_url,
 * credentials, max_retries, retry_deadline).  Credentials are resolved
 * lazily on the first request.  NULL with err on failure.
 */
struct bq_client *bq_client_new(const struct config *cfg, struct bq_err *err);
void	 bq_client_free(struct bq_client *);	/* NULL is fine */
/* The billing project (cfg, else the key file's); NULL if unknown yet. */
const char *bq_client_project(struct bq_client *, struct bq_err *err);
/*
 * The URL of an API path such as "/projects/p/queries" (caller frees).
 * upload != 0 gives the media-upload URL (/upload/bigquery/v2...).
 */
char	*bq_client_url(const struct bq_client *, const char *path, int upload);

/*
 * One REST call: method, path (under /bigquery/v2, query string allowed),
 * optional JSON body.  Returns the HTTP status of a 2xx answer with *out
 * set to the parsed body (caller frees; NULL for an empty body), or -1 with
 * err for any other outcome (after retries).  out may be NULL.
 */
long	 bq_request(struct bq_client *, const char *method, const char *path,
	    const cJSON *body, cJSON **out, struct bq_err *err);

/*
 * Starts a query (jobs.query with named parameters, useInt64Timestamp and
 * a fresh requestId), waiting through jobComplete:false.  NULL with err on
 * failure.  Free with bq_query_free().
 */
struct bq_query *bq_query_start(struct bq_client *,
	    const struct bq_query_opts *, struct bq_err *err);
/*
 * The next page of rows: returns 1 with *rows (a cJSON array of
 * {"f":[...]} rows, possibly empty; valid until the next call or
 * bq_query_free), 0 after the last page, -1 with err.
 */
int	 bq_query_next_page(struct bq_query *, const cJSON **rows,
	    struct bq_err *err);
/*
 * The streaming form: bq_query_fetch_page() moves to the next page (1, 0
 * after the last, -1 with err); bq_query_next_row() then returns its rows
 * one at a time (1 with *row, valid until the next call; 0 at the end of
 * the page; -1 with err, EXIT_DATA).  Only one page of text is in memory,
 * two with prefetch: then a thread fetches the next page while the caller
 * reads this one, using the query's client, which the caller leaves alone
 * until the query is read or freed.  Do not mix with bq_query_next_page()
 * on one query.
 */
int	 bq_query_fetch_page(struct bq_query *, struct bq_err *err);
int	 bq_query_next_row(struct bq_query *, const cJSON **row,
	    struct bq_err *err);
/*
 * A query over a saved jobs.query/getQueryResults answer (text copied):
 * one page, no further requests.  NULL with err (EXIT_DATA).
 */
struct bq_query *bq_query_from_text(const char *text, size_t len,
	    struct bq_err *err);
/* The same, taking over text's buffer (text is left empty) on success. */
struct bq_query *bq_query_from_buf(struct strbuf *text, struct bq_err *err);
/* The result schema's "fields" array (valid while q lives), or NULL. */
const cJSON *bq_query_schema(const struct bq_query *);
/* totalRows, totalBytesProcessed, numDmlAffectedRows (-1 if absent). */
int64_t	 bq_query_total_rows(const struct bq_query *);
int64_t	 bq_query_bytes_processed(const struct bq_query *);
int64_t	 bq_query_dml_affected(const struct bq_query *);
/*
 * totalBytesBilled (0 for a cache hit), from the answer or else from the
 * job's statistics (one jobs.get); -1 when unknown (err set if it failed).
 */
int64_t	 bq_query_bytes_billed(struct bq_query *, struct bq_err *err);
void	 bq_query_free(struct bq_query *);		/* NULL is fine */

/*
 * Runs a DML statement (or any statement whose rows are not wanted) and
 * stores numDmlAffectedRows in *affected (may be NULL).  0 or -1.
 */
int	 bq_dml(struct bq_client *, const char *sql, const struct bq_param *,
	    size_t nparams, int64_t *affected, struct bq_err *err);

struct bq_load_opts {
	const cJSON *schema_fields;	/* "fields" array, or NULL (table exists) */
	const char *write_disposition;	/* NULL = WRITE_APPEND */
	const char *create_disposition;	/* NULL = CREATE_IF_NEEDED */
	const char *partition_field;	/* timePartitioning DAY on field, or NULL */
	const char *const *clustering;	/* NULL-terminated, or NULL */
	double	 poll_interval;		/* jobs.get polling, seconds; 0 = 0.5 */
	double	 timeout;		/* overall wait, seconds; 0 = 600 */
};

/*
 * A load job of NDJSON data[0..len) into ref (multipart upload to
 * jobs.insert, then jobs.get until DONE).  *out_rows gets outputRows (may
 * be NULL).  0, or -1 with err (the job's errorResult as one line).
 */
int	 bq_load_ndjson(struct bq_client *, const struct bq_table_ref *,
	    const char *data, size_t len, const struct bq_load_opts *,
	    int64_t *out_rows, struct bq_err *err);
/* The same with the data read from path. */
int	 bq_load_ndjson_file(struct bq_client *, const struct bq_table_ref *,
	    const char *path, const struct bq_load_opts *, int64_t *out_rows,
	    struct bq_err *err);

/*
 * tabledata.insertAll of rows (a cJSON array of objects; not taken over).
 * insert_ids: a parallel array of insertIds, or NULL for none.  A row
 * error fails the call (EXIT_DATA) naming the first bad row and reason.
 */
int	 bq_insert_all(struct bq_client *, const struct bq_table_ref *,
	    const cJSON *rows, const char *const *insert_ids,
	    struct bq_err *err);

/* Dataset and table management. */
struct bq_table_spec {
	const cJSON *schema_fields;	/* "fields" array (required) */
	const char *partition_type;	/* "DAY", "HOUR", ... or NULL */
	const char *partition_field;	/* NULL = ingestion time */
	int64_t	 partition_expiration_ms; /* 0 = none */
	const char *const *clustering;	/* NULL-terminated, or NULL */
	int	 require_partition_filter;
	const char *description;	/* or NULL */
};

/*
 * get: 1 with *out (caller frees; out may be NULL) when it exists, 0 when
 * BigQuery says notFound, -1 with err.  insert: 0, 1 if it already existed
 * (409 duplicate), -1.  delete: 0, 1 if it did not exist, -1.
 */
int	 bq_dataset_get(struct bq_client *, const struct bq_table_ref *,
	    cJSON **out, struct bq_err *err);
int	 bq_dataset_insert(struct bq_client *, const struct bq_table_ref *,
	    const char *location, struct bq_err *err);
int	 bq_dataset_delete(struct bq_client *, const struct bq_table_ref *,
	    int delete_contents, struct bq_err *err);
int	 bq_table_get(struct bq_client *, const struct bq_table_ref *,
	    cJSON **out, struct bq_err *err);
int	 bq_table_insert(struct bq_client *, const struct bq_table_ref *,
	    const struct bq_table_spec *, struct bq_err *err);
int	 bq_table_delete(struct bq_client *, const struct bq_table_ref *,
	    struct bq_err *err);

/* --- pure helpers, exported for the tests and for bq-pull --- */

enum bq_retry {
	BQ_RETRY_NO,		/* fail fast */
	BQ_RETRY_REQUEST,	/* resend the same request after backoff */
	BQ_RETRY_JOB		/* the job failed: re-run it as a new job */
};

/* How to treat an HTTP answer (status, body) per the wire spec. */
enum bq_retry bq_retry_class(long status, const char *body, size_t len);
/*
 * Turns an error answer into err: one line "reason: message" (or
 * "HTTP 502" for a non-JSON body), kind chosen from status and reason.
 * what (e.g. "jobs.query") prefixes the message when not NULL.  Returns -1.
 */
int	 bq_error_from_response(long status, const char *body, size_t len,
	    const char *what, struct bq_err *err);
/*
 * The jobs.query request body for opts (caller frees): useLegacySql false,
 * parameterMode NAMED, formatOptions.useInt64Timestamp, requestId.
 */
cJSON	*bq_query_request(const struct bq_query_opts *, const char *location,
	    const char *request_id);
/* Writes a random UUIDv4 into out (37 bytes with NUL). */
void	 bq_uuid(char out[37]);
/*
 * Quotes a BigQuery identifier path ("proj.ds.t" parts, a column) with
 * backticks into out.  -1 if name is empty or holds a backtick, backslash,
 * newline or control character (we never escape: such names are refused).
 */
int	 bq_quote_ident(struct strbuf *out, const char *name);
/*
 * Appends the SQL of a row's content fingerprint, an INT64 that bq-pull
 * writes as "_fp" and bq-verify combines: FARM_FINGERPRINT(TO_JSON_STRING(
 * JSON_STRIP_NULLS(TO_JSON(x)))) of the row alias, or of STRUCT(alias.col,
 * ...) with columns; nulls are stripped so that a column added to the
 * table changes no row's fingerprint.  -1 for a name bq_quote_ident()
 * refuses.
 */
int	 bq_fp_sql(struct strbuf *out, const char *alias,
	    char *const *columns, size_t ncolumns);
/*
 * Appends worker @i of @n's share as a predicate: by the key for a
 * natural-key table (keys: its key columns; every version of a key in one
 * share), else by the timestamp column qts (quoted) under the scheme; see
 * hash.h for the C side.  -1 with err (EXIT_CONFIG) for a key name that
 * cannot be quoted.
 */
int	 bq_share_sql(struct strbuf *sb, const char *qts, char *const *keys,
	    size_t nkeys, enum partition_scheme, struct bq_err *err);
/*
 * bq-pull's queries (bqsync(7), PARTITIONING and THE CURSOR), built
 * from one share predicate and one lower bound, ts > @cursor.
 * bq_probe_sql(): "SELECT MAX(ts) AS upto, MIN(ts) AS first" of worker @i of @n's rows of
 * table (project.dataset.table) after @cursor, of the first @limit of them
 * when limited; it reads the timestamp column only.  bq_pull_sql(): those
 * rows with ts <= @upto, in ts order, with "_fp" (bq_fp_sql()) last;
 * columns NULL = "*".  With key columns (a natural-key table) the share is
 * by the key, else by the timestamp under the scheme (hash.h).  Both
 * bounds are
 * parameters, known before the query runs, so partitions prune.  -1 with
 * err (EXIT_CONFIG) for an identifier that cannot be quoted.
 */
int	 bq_probe_sql(struct strbuf *out, const char *project,
	    const char *dataset, const char *table, const char *ts_column,
	    char *const *keys, size_t nkeys, enum partition_scheme, int limited,
	    struct bq_err *err);
int	 bq_pull_sql(struct strbuf *out, const char *project,
	    const char *dataset, const char *table, char *const *columns,
	    size_t ncolumns, const char *ts_column, char *const *keys,
	    size_t nkeys, enum partition_scheme, struct bq_err *err);

#endif
