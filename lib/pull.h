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

#include <signal.h>
#include <stdint.h>
#include <stdio.h>

#include "bq.h"
#include "config.h"
#include "log.h"

struct pull {
	FILE		*out;
	const char	*sql;		/* bq_pull_sql() */
	const char	*probe_sql;	/* bq_probe_sql() */
	long		 limit;		/* rows a pass at most (LIMIT); 0 = all */
	const char	*ts_column;	/* NULL: rows only (a saved answer) */
	int		 worker, nworkers;
	double		 lookback;	/* seconds re-read before the cursor */
	int64_t		 before;	/* only rows with ts < before; 0: all */
	int		 dry_run;	/* print the query and bytes instead */
	int		 markers;	/* write the control lines */
	int		 begun;		/* out: the begin line is out */
	char *const	*id_columns;	/* the key, as bqrow_set_id() takes */
	size_t		 nid_columns;
	const char	*id_column;
	volatile sig_atomic_t *stop;	/* set: stop after the current page */
	int		 write_errno;	/* out: errno of a failed write, or 0 */
	long		 emitted;	/* out: rows written by the last query */
	int64_t		 max_billed;	/* maximumBytesBilled; 0 = none */
	int64_t		 daily_limit;	/* dailyBytesLimit; 0 = none */
	int64_t		 day;		/* UTC day (days since 1970) of: */
	int64_t		 day_billed;	/* in/out: bytes billed that day */
	int64_t		 run_billed;	/* out: bytes billed by this run */
	int64_t		 billed;	/* not yet on a sync line, or -1 */
	int64_t		 processed;	/* the same, processed */
	int64_t		 synced;	/* the last page sync line's cursor */
	int		 page_syncs;	/* a sync line after each page */
	int64_t		 window;	/* µs a query spans at most; 0: all */
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
 * Starts the day's bill (day, day_billed) from the checkpoint record of
 * this worker of table (bytesBilledDay when billingDay is today, UTC), for
 * daily_limit.  0, or -1 with err.
 */
int	 pull_day_billed(struct pull *, const struct config *,
	    const char *table, struct bq_err *err);
/*
 * Appends to sql the pull query of table t (bq_pull_sql()) and to psql its
 * probe (bq_probe_sql()), in project: the columns of the comma-separated
 * list columns, else t's; limited when the passes have a LIMIT.  0, or -1
 * with err.
 */
int	 pull_build_sql(struct strbuf *sql, struct strbuf *psql,
	    const struct config *, const struct config_table *t,
	    const char *project, const char *columns, int limited,
	    struct bq_err *);
/*
 * Passes from cursor (pull_phase() sizes each) until none is left below
 * p->before, or, with follow, until *p->stop; a temporary failure before
 * any row of its pass is written is retried with follow.  Then the end
 * line.  0, or -1 with err (or p->write_errno set).
 */
int	 pull_run(struct pull *, struct bq_client *, const struct config_sync *,
	    int64_t cursor, int follow, struct bq_err *);
/*
 * Takes from table t (NULL: none) the row id's columns (the natural key,
 * config_table_keys(), and idColumn), the timestamp column and, unless
 * set, the lookback; from cfg the caps on bytes billed.  A dry run writes
 * no control lines.  t's strings must outlive p.
 */
void	 pull_configure(struct pull *, const struct config *,
	    const struct config_table *t);
/*
 * --from-response: writes the rows of a saved jobs.query or
 * getQueryResults answer in file path (no cursor column).  0, or -1 with
 * err naming the file (p->write_errno set for a failed write).
 */
int	 pull_from_response(struct pull *, const char *path, struct bq_err *);
/*
 * One pass (bq-pull(1), COST): the probe finds the newest timestamp of the
 * share after *cursor (of its first p->limit rows, if set), then one
 * query reads the rows up to it in pages of page rows, with a sync line
 * after each page that completes a group and one at the end (the only
 * one when nothing is new); *cursor advances.  A result BigQuery finds
 * too large to return (responseTooLarge, not billed) halves p->window,
 * and the pass reads its range in consecutive windows of that span.  Each query is capped by
 * max_billed and what daily_limit leaves of day_billed.  Returns the row
 * count, or -1 with err or write_errno.
 */
long	 pull_once(struct pull *, struct bq_client *, long page,
	    int64_t *cursor, struct bq_err *err);

#endif
