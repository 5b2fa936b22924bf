/*
 * load: harper-load's engine.  Reads NDJSON rows, upserts them into one
 * Harper table in batches bounded by rows and by bytes with a number of
 * batches in flight, and writes one ack line per confirmed batch, in input
 * order, carrying the cursor of bqsync(7).
 *
 * Threads: the caller's thread reads and batches; one worker thread per
 * batch in flight posts (each with its own keep-alive connection); one
 * acker thread writes the acks as soon as the oldest batch is confirmed, so
 * acks never wait for more input.  Memory is bounded by (in_flight + 1)
 * batches whatever the input size.
 *
 * The cursor of an ack is the largest timestamp t such that every row read
 * so far with ts <= t has been confirmed and every row with ts <= t that
 * can still come has been read.  The latter is proven by a sync control
 * line (its cursor), by the end of a stream without a begin line, or by the
 * end marker; and, while the input is in ascending timestamp order, by a
 * later row with a greater timestamp.  Once a row goes back in time the
 * order proves nothing more, and the cursor becomes one microsecond before
 * the earliest unconfirmed row, capped by the proofs above.
 */
#ifndef BQSYNC_LOAD_H
#define BQSYNC_LOAD_H

#include <stddef.h>
#include <stdio.h>

#include "config.h"
#include "log.h"
#include "ndjson.h"

struct load_opts {
	const char *table;		/* Harper target table */
	const char *ack_table;		/* "table" in the acks (no begin) */
	const char *table_id;		/* config table id, or NULL: unknown */
	const char *ts_column;		/* timestamp column */
	char	*const *id_columns;	/* natural key, or NULL: whole row */
	size_t	 nid_columns;
	const char *id_column;		/* source column used as id, or NULL */
	char	*const *indexes;	/* indexed attributes when creating */
	size_t	 nindexes;
	char	*const *columns;	/* attributes to declare, NULL: 1st row */
	size_t	 ncolumns;
	long	 batch_rows;
	long	 batch_bytes;
	int	 in_flight;
	int	 create;		/* create a missing table */
	FILE	*reject;		/* bad lines go here and are skipped */
	FILE	*acks;			/* usually stdout */
	int	 progress;		/* draw progress on stderr */
};

struct load_stats {
	unsigned long rows;		/* rows confirmed by Harper */
	unsigned long batches;		/* acks written */
	unsigned long rejected;		/* lines written to the reject file */
};

struct loader;

/*
 * Fills the table part of o (target table, ack table and table id, the
 * timestamp and id columns, indexes, declared columns) from config table
 * t: the one mapping from config.yaml to a load, for every caller.
 */
void	 load_opts_from_table(struct load_opts *o,
	    const struct config_table *t);

/* Copies nothing: opts and cfg must outlive the loader. */
struct loader *load_new(const struct config *, const struct load_opts *,
	    struct bq_err *);
void	 load_free(struct loader *);
/*
 * Loads every line of r.  Returns 0 when all was confirmed and acked, or -1
 * with err: EXIT_DATA for a bad line (everything before it committed and
 * acked, nothing after acked) or a begin line of another table than
 * table_id, EXIT_TEMPFAIL when Harper stayed away past the deadline,
 * EXIT_NOPERM, ...; the error line's status after one (the producer
 * failed); EXIT_IOERR with errno kept when writing an ack failed (see
 * load_write_failed()).  Every failure but the last ends the acks with
 * one carrying "error" (README, "Acknowledgements").
 */
int	 load_run(struct loader *, struct ndjson_reader *, struct bq_err *);
/* 1 if load_run() stopped because an ack could not be written. */
int	 load_write_failed(const struct loader *);
void	 load_get_stats(const struct loader *, struct load_stats *);

#endif
