/*
 * ckptcmd: bq-checkpoint's verbs as library calls, so that its main only
 * reads options (bq-checkpoint(1)).  One struct ckptcmd carries what the
 * command line chose; every verb takes it, appends what it prints to out
 * and returns 0, or -1 with err (and write_errno set when a write to tee
 * failed).  The checkpoint store is opened on first use.
 */
#ifndef BQSYNC_CKPTCMD_H
#define BQSYNC_CKPTCMD_H

#include <stdint.h>
#include <stdio.h>

#include "ckpt.h"
#include "config.h"
#include "log.h"
#include "util.h"

/* What status prints: an aligned table, NDJSON, or Prometheus samples. */
enum ckptcmd_form { CKPTCMD_TEXT, CKPTCMD_JSON, CKPTCMD_PROMETHEUS };

struct ckptcmd {
	const struct config *cfg;
	const struct config_table *tbl;	/* the table: its id, its sync */
	const char *only;		/* status, control: NULL for all */
	long	 wi, wn;		/* the worker */
	const char *name;		/* its host-thread name; commit and
					   error: NULL is "<host>-<wi>" */
	enum ckpt_format fmt;		/* get */
	enum ckptcmd_form form;		/* status */
	FILE	*tee;			/* commit: copies of stored acks */
	int	 all;			/* reset: every worker of the table */
	const char *action;		/* control: "stop" or "start" */
	int64_t	 cursor;		/* set */
	const char *tool;		/* error: the failed stage */
	int	 status;		/* error: its exit status */
	int	 in;			/* commit, error: the fd read */
	struct ckpt_store *st;		/* opened by the verbs */
	int	 write_errno;		/* out: errno of a failed tee write */
};

/* 0 and *form for "text", "json" or "prometheus"; -1 otherwise. */
int	 ckptcmd_form_parse(const char *, enum ckptcmd_form *);
/* 0 and *fmt for get's "sh" or "json"; -1 otherwise. */
int	 ckptcmd_format_parse(const char *, enum ckpt_format *);

/* get: where the worker starts, as fmt (ckpt_start_format()). */
int	 ckptcmd_get(struct ckptcmd *, struct strbuf *out, struct bq_err *);
/* status: the records of only (or all), as form. */
int	 ckptcmd_status(struct ckptcmd *, struct strbuf *out, struct bq_err *);
/* commit: the acks read from in (ckpt_commit()). */
int	 ckptcmd_commit(struct ckptcmd *, struct strbuf *out, struct bq_err *);
/*
 * error: the failure a supervisor saw, the first 4 KiB or so of in, as
 * the worker's lastError (ckpt_commit_error()).
 */
int	 ckptcmd_error(struct ckptcmd *, struct strbuf *out, struct bq_err *);
/* control: action for only (or every table), in Harper's SyncControl. */
int	 ckptcmd_control(struct ckptcmd *, struct strbuf *out,
	    struct bq_err *);
/* set: the worker's cursor, exactly. */
int	 ckptcmd_set(struct ckptcmd *, struct strbuf *out, struct bq_err *);
/* reset: deletes the worker's checkpoint, or with all the table's. */
int	 ckptcmd_reset(struct ckptcmd *, struct strbuf *out, struct bq_err *);
/* Closes the store; c stays the caller's. */
void	 ckptcmd_release(struct ckptcmd *);

#endif
