/*
 * ckptcommit: bq-checkpoint commit, the end of the pipeline.  Reads
 * harper-load's acknowledgements (README, "Acknowledgements") and advances
 * one worker's checkpoint with what Harper confirmed: never past a row
 * Harper did not confirm, never backwards.  Rows without a cursor wait
 * for one, so a store write follows an ack that moves the cursor, says
 * whether newer rows exist, bills bytes or carries an error; rows still
 * pending at the end are stored without a cursor.  The failures a
 * supervisor saw become acks too (ckpt_error_ack()), so one rule records
 * them.
 */
#ifndef BQSYNC_CKPTCOMMIT_H
#define BQSYNC_CKPTCOMMIT_H

#include <stdio.h>

#include "ckpt.h"
#include "config.h"
#include "ndjson.h"
#include "util.h"

/* One commit: the caller's, all pointers kept during ckpt_commit(). */
struct ckpt_commit {
	struct ckpt_store *st;
	const struct config_table *tbl;	/* acks name its id, or target */
	long	 wi, wn;		/* the worker the acks must be of */
	const char *name;		/* host-thread name stored */
	FILE	*tee;			/* copies of stored acks, or NULL */
	int	 write_errno;		/* out: errno of a failed tee write */
	int	 warned;		/* an ack without worker was seen */
};

/*
 * Commits every ack of r.  0; or -1 with err: a bad ack (EXIT_DATA, with
 * its file:line; acks before it are stored, and the rows Harper confirmed
 * before it too), a store failure, or a tee write failure (write_errno
 * set, the ack stored).
 */
int	 ckpt_commit(struct ckpt_commit *, struct ndjson_reader *r,
	    struct bq_err *err);
/*
 * `error`: the failure a supervisor saw (bq-sync: a stage's exit status
 * and its last stderr line, msg) becomes one ack carrying "error"
 * (ckpt_error_ack()), committed like harper-load's own.  0, or -1 with err.
 */
int	 ckpt_commit_error(struct ckpt_commit *, const char *tool, int status,
	    const char *msg, size_t len, struct bq_err *err);
/*
 * Appends the ack line (with "\n") recording that tool exited with status
 * for worker wi/wn of table: msg (len bytes) becomes one line, control
 * bytes turned to spaces, trailing spaces cut, "failed" when empty.
 */
void	 ckpt_error_ack(struct strbuf *, const char *table, long wi, long wn,
	    const char *tool, int status, const char *msg, size_t len);

#endif
