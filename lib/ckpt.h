/*
 * ckpt: checkpoints, one record per table and worker i of N, holding the
 * cursor: every row of the worker's share with ts <= cursor is committed in
 * Harper (bqsync(7), CHECKPOINTS).  Cursors only move forward through ckpt_advance();
 * ckpt_set() and ckpt_delete() are the deliberate ways back.
 *
 * Two stores behind one API.  The file store keeps all records in one JSON
 * file (config checkpoint.path) that is replaced atomically (write
 * "path.tmp", fsync, rename, fsync the directory) under an exclusive
 * flock(2) on "path.lock", so several workers may share it; readers need
 * no lock.  The Harper store keeps them in the table checkpoint.table
 * (SyncCheckpoint, primary key checkpointId, nodeId and tableId indexed)
 * of harper.database, created on the first write.
 *
 * Phases follow lag = now - cursor: initial when lag > catchupThreshold or
 * there is no cursor, catchup when lag > steadyThreshold, else steady; but
 * a commit whose ack says the source had nothing newer ("newer": false)
 * makes the worker steady however old its cursor, until steadyThreshold
 * passes without another commit.
 *
 * Counts (recordsIngested, bytesBilled) stay within CKPT_MAX_COUNT, exact
 * in a JSON number: a commit that would pass it is refused, so every
 * stored record stays readable.
 */
#ifndef BQSYNC_CKPT_H
#define BQSYNC_CKPT_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "log.h"
#include "util.h"

enum ckpt_phase { CKPT_INITIAL, CKPT_CATCHUP, CKPT_STEADY };

#define CKPT_MAX_COUNT	9007199254740992LL	/* 2^53 */
#define CKPT_MAX_ROWS	1099511627776LL		/* 2^40, rows of one ack */

/* One checkpoint; strings owned by the record (ckpt_record_release). */
struct ckpt_record {
	char	*table_id;		/* config tables[].id */
	long	 node_id;		/* worker index i */
	long	 cluster_size;		/* N */
	char	*worker;		/* host-thread name, or NULL */
	int	 has_cursor;
	int64_t	 cursor;		/* lastTimestamp, micros */
	long long records;		/* recordsIngested */
	int	 has_sync;
	int64_t	 last_sync;		/* lastSyncTime, micros */
	enum ckpt_phase phase;
	long	 batch_size;
	char	*last_error;		/* lastError, or NULL */
	int	 has_error_at;
	int64_t	 last_error_at;		/* lastErrorAt, micros */
	long long bytes_billed;		/* bytesBilled, total */
	char	 billing_day[11];	/* billingDay "YYYY-MM-DD" UTC, or "" */
	long long bytes_billed_day;	/* bytesBilledDay: in billing_day */
};

/* Zeroes rec and sets its key (table_id is copied). */
void	 ckpt_record_init(struct ckpt_record *, const char *table_id,
	    long i, long n);
void	 ckpt_record_release(struct ckpt_record *);
/* "<tableId>:<i>/<N>"; the caller frees it. */
char	*ckpt_record_id(const char *table_id, long i, long n);
/* Appends the record as one compact JSON object (no newline). */
void	 ckpt_record_encode(const struct ckpt_record *, struct strbuf *);
/*
 * Fills rec (initialised here; release it even on error) from a JSON
 * object.  -1 with err (EXIT_DATA) when a field is missing or bad.
 */
int	 ckpt_record_decode(const cJSON *, struct ckpt_record *,
	    struct bq_err *);

const char *ckpt_phase_name(enum ckpt_phase);
/* 0 and *phase for "initial", "catchup" or "steady"; -1 otherwise. */
int	 ckpt_phase_parse(const char *, enum ckpt_phase *);
/* The phase for a cursor at time now (micros); has_cursor 0 = initial. */
enum ckpt_phase ckpt_phase_for(const struct config_sync *, int has_cursor,
	    int64_t cursor, int64_t now);
long	 ckpt_batch_size(const struct config_sync *, enum ckpt_phase);
/* Seconds to wait between polls in that phase. */
double	 ckpt_poll_interval(const struct config_sync *, enum ckpt_phase);
/* Parses "i/N" as hash_parse_worker() does; 0, or -1 if malformed. */
int	 ckpt_parse_worker(const char *, long *i, long *n);

struct ckpt_store;

/* The store named by cfg->ckpt_store ("file" or "harper"); NULL and err. */
struct ckpt_store *ckpt_store_new(const struct config *, struct bq_err *);
void	 ckpt_store_free(struct ckpt_store *);	/* NULL is fine */

/*
 * Loads the record of table_id worker i/n: 1 and *rec (caller releases),
 * 0 when there is none (rec untouched), -1 with err.
 */
int	 ckpt_load(struct ckpt_store *, const char *table_id, long i, long n,
	    struct ckpt_record *rec, struct bq_err *);
/*
 * All records, of table_id only unless it is NULL, sorted by table, N and
 * i.  The caller frees them with ckpt_records_free().
 */
int	 ckpt_list(struct ckpt_store *, const char *table_id,
	    struct ckpt_record **recs, size_t *nrecs, struct bq_err *);
void	 ckpt_records_free(struct ckpt_record *, size_t);
/* Stores rec as it is, replacing the record with its checkpointId. */
int	 ckpt_save(struct ckpt_store *, const struct ckpt_record *,
	    struct bq_err *);
/*
 * Deletes the record of worker i/n, or with n == 0 every record of
 * table_id.  *ndeleted (may be NULL) says how many existed.
 */
int	 ckpt_delete(struct ckpt_store *, const char *table_id, long i, long n,
	    size_t *ndeleted, struct bq_err *);

/* What one commit adds to a worker's record (ckpt_advance). */
struct ckpt_update {
	const char *worker;		/* host-thread name, NULL keeps it */
	int	 has_cursor;
	int64_t	 cursor;		/* ignored when older than the stored */
	long long rows;			/* added to recordsIngested */
	int64_t	 now;			/* lastSyncTime and the phase's clock */
	int	 caught_up;		/* the ack said nothing newer: steady */
	long long billed;		/* added to bytesBilled(Day) */
	const char *error;		/* lastError; NULL clears it */
};
/*
 * Read-modify-write of worker i/n's record in one step (under the file
 * lock): the cursor moves only forward, rows and bytes billed are added
 * (EXIT_DATA, nothing stored, past CKPT_MAX_COUNT), lastError is set or
 * cleared, phase and batch size follow the stored cursor, sync and newer.  *moved (may be NULL) is 1 if
 * the cursor advanced, 0 if an older or equal one was ignored.
 */
int	 ckpt_advance(struct ckpt_store *, const struct config_sync *,
	    const char *table_id, long i, long n, const struct ckpt_update *,
	    int *moved, struct bq_err *);
/* Sets worker i/n's cursor to exactly cursor (either way); keeps counts. */
int	 ckpt_set(struct ckpt_store *, const struct config_sync *,
	    const char *table_id, long i, long n, const char *worker,
	    int64_t cursor, int64_t now, struct bq_err *);

/* One of harper-load's acks (ckpt_ack_parse); strings point into it. */
struct ckpt_ack {
	const char *table;
	const char *worker;		/* "i/N" as given, or NULL */
	long	 wi, wn;		/* worker parsed */
	long long rows;			/* 0..CKPT_MAX_ROWS */
	int	 has_cursor;		/* cursor null: no complete group yet */
	int64_t	 cursor;
	int	 newer;			/* -1 absent, else 0 or 1 */
	long long billed;		/* bytesBilled, -1 absent */
	const char *err_tool;		/* error.tool, NULL: no error */
	long	 err_status;
	const char *err_message;
};
/*
 * Reads {"table":T,"worker":"i/N","rows":N,"total":N,"cursor":TS|null,
 * "newer":B,"bytesBilled":N,"error":{"tool":S,"status":N,"message":S}}
 * (README, "Acknowledgements"; worker, newer, bytesBilled and error are
 * optional).  -1 with err (EXIT_DATA, no position) when a field is
 * missing or bad.
 */
int	 ckpt_ack_parse(const cJSON *, struct ckpt_ack *, struct bq_err *);
/*
 * Appends rec as status: the record with phase and batchSize computed at
 * now, plus "lag_seconds" (null without a cursor).
 */
/* The phase status shows at now: the stored one while fresh (see top). */
enum ckpt_phase ckpt_record_phase(const struct ckpt_record *,
	    const struct config_sync *, int64_t now);
void	 ckpt_status_encode(const struct ckpt_record *,
	    const struct config_sync *, int64_t now, struct strbuf *);

/* What `bq-checkpoint get` prints (ckpt_start_format). */
enum ckpt_format { CKPT_FMT_CURSOR, CKPT_FMT_PHASE, CKPT_FMT_BATCH,
    CKPT_FMT_POLL, CKPT_FMT_SH, CKPT_FMT_JSON };

/* Where a worker starts (ckpt_start). */
struct ckpt_start {
	int	 has_cursor;
	int64_t	 cursor;
	int	 rebalanced;		/* taken from another layout */
	long	 from_n;		/* that layout's N */
};
/*
 * The cursor worker i/n resumes from: its own record's, else (after a
 * change of N, or while its own record has no cursor yet) the minimum
 * cursor of the most advanced complete earlier layout of the table, else
 * none.  0, or -1 with err.
 */
int	 ckpt_start(struct ckpt_store *, const char *table_id, long i, long n,
	    struct ckpt_start *, struct bq_err *);

/*
 * Appends, for worker i/n of table_id starting at s, its cursor (or an empty
 * line), its phase at now, that phase's batch size or poll interval (in
 * seconds), shell assignments or one JSON object; always ending in "\n".
 */
void	 ckpt_start_format(const struct ckpt_start *, const char *table_id,
	    long i, long n, const struct config_sync *, int64_t now,
	    enum ckpt_format, struct strbuf *);
/*
 * Appends records as status at now (each with its table's sync settings
 * from cfg, else the global ones): NDJSON (ckpt_status_encode), or with
 * text != 0 an aligned table with a header line.
 */
void	 ckpt_status_format(const struct ckpt_record *, size_t,
	    const struct config *, int64_t now, int text, struct strbuf *);

#endif
