/*
 * pull: bq-pull's engine: one query for a worker's share of new rows,
 * written as NDJSON page by page, with the row stream's control lines.
 *
 * Rows come in timestamp order; the cursor moves to the timestamp of the
 * last row only when its group of equal timestamps is known complete (the
 * query ends with it), so a sync line never claims rows not yet written.
 * Output goes to a stdio stream flushed at each page end; a write failure
 * returns -1 with write_errno set, so the tool can die of SIGPIPE.
 */
#ifndef BQSYNC_PULL_H
#define BQSYNC_PULL_H

#include <stdint.h>
#include <stdio.h>

#include "bq.h"
#include "config.h"
#include "log.h"

struct pull {
	FILE		*out;
	const char	*sql;		/* bq_pull_sql() */
	const char	*ts_column;	/* NULL: rows only (a saved answer) */
	int		 worker, nworkers;
	double		 lookback;	/* seconds re-read before the cursor */
	int		 dry_run;	/* print the query and bytes instead */
	int		 markers;	/* write the control lines */
	int		 begun;		/* out: the begin line is out */
	char *const	*id_columns;	/* see bqrow_set_id() */
	size_t		 nid_columns;
	const char	*id_column;
	volatile int	*stop;		/* set: stop after the current page */
	int		 write_errno;	/* out: errno of a failed write, or 0 */
	long		 emitted;	/* out: rows written by the last query */
};

/* The phase batch size for a cursor (lag = now - cursor) and its poll. */
long	 pull_phase(const struct config_sync *, int64_t cursor, double *poll);
/*
 * Writes {"@bqsync":what} (with "cursor" unless cursor is INT64_MIN) and
 * flushes, when markers are on.  0, or -1 (write_errno set).
 */
int	 pull_marker(struct pull *, const char *what, int64_t cursor);
/*
 * The control lines (README, "Control lines in the row stream"), when
 * markers are on; each flushes and returns 0, or -1 (write_errno set).
 * pull_begin(): table (the config table's id, may be NULL) and worker.
 * pull_sync(): billed and processed are omitted when negative.
 * pull_error(): only after the begin line and no write failure.
 */
int	 pull_begin(struct pull *, const char *table);
int	 pull_sync(struct pull *, int64_t cursor, int newer, int64_t billed,
	    int64_t processed);
int	 pull_error(struct pull *, int status, const char *msg);
/*
 * Writes the rows of q; *last and *prev get the last row's timestamp and
 * the one of the group before it (INT64_MIN if none), *cut whether it
 * stopped early.  Returns the row count, or -1 with err or write_errno.
 */
long	 pull_rows(struct pull *, struct bq_query *q, int64_t *last,
	    int64_t *prev, int *cut, struct bq_err *err);
/*
 * One query of at most limit rows (plus the rest of the last group) after
 * *cursor, then the sync line; *cursor advances.  Returns the row count,
 * or -1 with err or write_errno.
 */
long	 pull_once(struct pull *, struct bq_client *, long limit,
	    int64_t *cursor, struct bq_err *err);

#endif
