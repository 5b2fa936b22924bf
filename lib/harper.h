/*
 * harper: a client of Harper's operations API (POST JSON to HARPER_URL,
 * Basic auth) for one database.
 *
 * Harper answers errors as {"error":"text"} with a 4xx/5xx status; this
 * module turns them into struct bq_err: 401/403 EXIT_NOPERM, other 4xx
 * EXIT_DATA (the request or its records were refused, also the 500s that
 * refuse records, such as a primary key too long), other 5xx, timeouts and
 * refused connections EXIT_TEMPFAIL after the http module's retries up to
 * the configured deadline.  The password is copied, wiped on free and
 * never appears in a message.
 */
#ifndef BQSYNC_HARPER_H
#define BQSYNC_HARPER_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "log.h"

struct harper_client;

/* From cfg->harper_* (URL, database, credentials, timeout, deadline). */
struct harper_client *harper_client_new(const struct config *, struct bq_err *);
/* The next request goes over a new connection (another Harper thread). */
void	 harper_client_fresh(struct harper_client *);
void	 harper_client_free(struct harper_client *);
const char *harper_database(const struct harper_client *);

/*
 * Sends one operation, a JSON object as text.  On HTTP 2xx returns 0 and,
 * when out is not NULL, the parsed response (caller frees with
 * cJSON_Delete).  Otherwise -1 with err as above.
 */
int	 harper_op(struct harper_client *, const char *json, size_t len,
	    cJSON **out, struct bq_err *);
/*
 * Upserts records (the text of a JSON array of objects) into table of the
 * client's database.  0 once Harper confirmed the whole batch ("upserted N
 * of N records"); -1 otherwise.
 */
int	 harper_upsert(struct harper_client *, const char *table,
	    const char *records, size_t len, struct bq_err *);
/* Runs SQL; *rows is the parsed JSON result (caller frees). */
int	 harper_sql(struct harper_client *, const char *sql, cJSON **rows,
	    struct bq_err *);
/* 1 and *desc (may be NULL) if the table exists, 0 if not, -1 on error. */
int	 harper_describe_table(struct harper_client *, const char *table,
	    cJSON **desc, struct bq_err *);
/*
 * Creates table with primary key "id" and exactly the given indexed
 * attributes (a table created without declared attributes indexes every
 * attribute and ingests about 5x slower).  An existing table is success.
 */
int	 harper_create_table(struct harper_client *, const char *table,
	    char *const *indexed, size_t nindexed, struct bq_err *);
/*
 * The same, also declaring the attributes in plain without an index: on a
 * table with declared attributes Harper's SQL sees only declared ones (the
 * rest is stored and returned by search_by_* only).
 */
int	 harper_create_table_columns(struct harper_client *, const char *table,
	    char *const *indexed, size_t nindexed, char *const *plain,
	    size_t nplain, struct bq_err *);
/*
 * Makes table usable, however a previous run left it: describes it,
 * creates it (as harper_create_table_columns()) or declares the attributes
 * it lacks, and describes it again until it has the primary key "id" and
 * every attribute, up to the deadline (then EXIT_TEMPFAIL).  A table with
 * another primary key is EXIT_CONFIG.  With fresh, *fresh says whether the
 * first look found the table missing or without records.  0, or -1 with err.
 */
int	 harper_ensure_table(struct harper_client *, const char *table,
	    char *const *indexed, size_t nindexed, char *const *plain,
	    size_t nplain, int *fresh, struct bq_err *);
/* cluster_status; *out is the parsed response (caller frees). */
int	 harper_cluster_status(struct harper_client *, cJSON **out,
	    struct bq_err *);
/* 1 if a cluster_status connection has a connected database socket. */
int	 harper_peer_connected(const cJSON *conn);
/* The peers replicating with this node now (cluster_status), or -1. */
int	 harper_connected_peers(struct harper_client *, struct bq_err *);

/*
 * Declares attribute name of table (create_attribute); one that exists
 * already is success.  -1 with err (EXIT_DATA for a name Harper refuses).
 */
int	 harper_create_attribute(struct harper_client *, const char *table,
	    const char *name, struct bq_err *);

#endif
