/*
 * synthbq: maritime-synth's BigQuery mode.  Creates the dataset and the
 * three tables (DAY partitioning on each table's timestamp column,
 * clustering), loads generated rows with load jobs of at most load_rows
 * rows (or insertAll requests of 500 rows when streaming), keeps a
 * rolling window of retention_days, and reports counts.
 *
 * Time in start() is simulated: sim = start + (wall elapsed) * speedup, so
 * a test can run a day in seconds; until stops it at a simulated instant.
 * Every function returns 0, or -1 with err; none prints (progress goes to
 * stderr through lib/log.h's progress line when enabled).
 */
#ifndef BQSYNC_SYNTHBQ_H
#define BQSYNC_SYNTHBQ_H

#include <signal.h>
#include <stdint.h>

#include "config.h"
#include "log.h"
#include "synth.h"
#include "util.h"

struct synthbq_opts {
	const struct config *cfg;	/* BigQuery connection */
	const char *dataset;		/* NULL = synthesizer.dataset */
	const char *tables[SYNTH_NTABLES]; /* NULL = synthesizer.tables */
	uint64_t seed;			/* 0 = from the dataset name */
	long	 vessels;		/* 0 = synthesizer.vessels */
	double	 rate;			/* rows/s; 0 = batch/interval */
	long	 batch;			/* positions per tick */
	double	 interval;		/* simulated s between ticks */
	long	 retention_days;
	double	 cleanup_interval;	/* simulated seconds */
	long	 load_rows;		/* rows per load job */
	int	 streaming;		/* insertAll, not load jobs */
	int	 no_backfill;
	int	 progress;		/* progress line on stderr */
	int64_t	 until;			/* simulated end, or INT64_MIN */
	double	 speedup;		/* simulated s per s; 0 = 1 */
	volatile sig_atomic_t *stop;	/* set by a signal: end soon */
};

struct synthbq_stat {
	const char *table;
	int	 exists;
	int64_t	 rows, vessels;
	int64_t	 min_ts, max_ts;	/* INT64_MIN when empty */
	int64_t	 bytes;			/* the table's numBytes */
	int64_t	 by_type[SYNTH_NTYPES];	/* rows per vessel type, or -1 */
};

/*
 * Fills the fields left 0/NULL from cfg's synthesizer: block (options
 * override it) and sets cfg.
 */
void	 synthbq_opts_fill(struct synthbq_opts *, const struct config *cfg);
/* Creates what is missing and loads the last days of data. */
int	 synthbq_initialize(const struct synthbq_opts *, long days,
	    struct bq_err *);
/*
 * Backfills the rolling window (unless no_backfill), then generates every
 * interval and deletes rows older than the retention every
 * cleanup_interval, until *stop or the simulated clock reaches until.
 */
int	 synthbq_start(const struct synthbq_opts *, struct bq_err *);
/*
 * Rows, distinct vessels, oldest and newest timestamp, size in bytes and
 * (positions, metadata) rows per vessel type of each table.
 */
int	 synthbq_stats(const struct synthbq_opts *,
	    struct synthbq_stat out[SYNTH_NTABLES], struct bq_err *);
/*
 * Appends st as one line to out: a JSON object {"table", "exists", "rows",
 * "vessels", "min", "max", "span_seconds", "bytes", "types"} when json,
 * else aligned text for a terminal.
 */
void	 synthbq_stat_format(const struct synthbq_stat *st, int json,
	    struct strbuf *out);
/* stats: synthbq_stats() of every table, synthbq_stat_format()ed. */
int	 synthbq_stats_format(const struct synthbq_opts *, int json,
	    struct strbuf *out, struct bq_err *);
/*
 * clear, clean and reset refuse (EXIT_TEMPFAIL) while a start runs on the
 * same project and dataset: start holds an flock(2) on a lock file for as
 * long as it runs, which the kernel drops when it dies however it dies.
 */
/* Deletes every row (DML), keeping the tables and their schema. */
int	 synthbq_clear(const struct synthbq_opts *, struct bq_err *);
/* Deletes the three tables. */
int	 synthbq_clean(const struct synthbq_opts *, struct bq_err *);
/* clean, then initialize with days. */
int	 synthbq_reset(const struct synthbq_opts *, long days,
	    struct bq_err *);

#endif
