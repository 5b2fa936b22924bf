/*
 * verify: bq-verify's engine.  Proves that a Harper table holds exactly
 * the rows of its BigQuery table over a time range, and repairs it.
 *
 * The range [from, to) is cut into windows.  One BigQuery query gives per
 * window the row count and BIT_XOR of the rows' content fingerprints (the
 * "_fp" bq-pull writes, see bq_fp_sql()); the Harper side reads (id, _fp,
 * ts) of the window and combines them in C, since Harper's SQL cannot
 * combine 64-bit values exactly.  A window that differs is split until it
 * holds at most VERIFY_DIFF_ROWS rows, then diffed row by row by id: its
 * BigQuery rows are converted exactly as bq-pull converts them (same ids,
 * same "_fp"), so a repair upserts them through harper-load's engine.
 * Natural-key tables compare Harper with the latest version per key
 * (ts = a correlated MAX(ts) of the key).
 * Memory is bounded by VERIFY_SCAN_ROWS Harper rows and VERIFY_DIFF_ROWS
 * BigQuery rows, whatever the range.
 */
#ifndef BQSYNC_VERIFY_H
#define BQSYNC_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "bq.h"
#include "config.h"
#include "harper.h"
#include "log.h"
#include "util.h"

#define VERIFY_SCAN_ROWS	50000	/* Harper rows read at once */
#define VERIFY_DIFF_ROWS	20000	/* rows of a window diffed by id */

/* One window's outcome, or (kind "summary") a table's. */
struct verify_result {
	const char *table;		/* config table id */
	const char *kind;		/* "window", "retention", "summary" */
	int64_t	 from, to;		/* [from, to) */
	long long bq_rows, harper_rows;
	long long missing, extra, changed;
	long long repaired, pruned;	/* rows upserted, deleted */
	long long windows;		/* summary: windows checked */
	long long bytes;		/* summary: BigQuery bytes processed */
	const char *status;		/* "equal", "differ", "repaired" */
};

typedef int verify_report_fn(const struct verify_result *, void *arg);

struct verify_opts {
	const struct config *cfg;
	const struct config_table *t;
	const char *project;		/* the table's project */
	int	 worker, nworkers;	/* share i/N */
	int64_t	 from, to;		/* INT64_MIN: the defaults */
	int64_t	 window;		/* micros */
	int	 quick;			/* counts only */
	int	 repair, prune;
	int	 dry_run;		/* print the bytes, check nothing */
	verify_report_fn *report;	/* each window and the summary */
	void	*arg;
};

/*
 * Verifies one table.  Returns 0 (equal), 1 (differences found, repaired
 * or not: see the results) or -1 with err.  *sum gets the summary.
 */
int	 verify_table(struct bq_client *, struct harper_client *,
	    const struct verify_opts *, struct verify_result *sum,
	    struct bq_err *err);

/*
 * Writes result r of worker ("i/N") into the audit table (the Harper table
 * checkpoint.store: harper keeps beside the checkpoints), creating it and
 * its columns if needed.  0, or -1 with err.
 */
int	 verify_audit(struct harper_client *, const char *audit_table,
	    const struct verify_result *r, const char *worker,
	    struct bq_err *err);

/* --- pure parts, exported for the tests --- */

/* Appends the audit record of r (a one-record JSON array) checked at now. */
void	 verify_audit_record(struct strbuf *, const struct verify_result *r,
	    const char *worker, int64_t now);

/* A row's identity and content fingerprint. */
struct verify_row {
	char	 id[72];
	int64_t	 fp;
	int	 has_fp;
	size_t	 off, len;		/* its NDJSON line, BigQuery side */
};

/* A "_fp" value as Harper returns it (number or decimal string); 0 or -1. */
int	 verify_parse_fp(const cJSON *, int64_t *fp);
/*
 * Sorts both sides by id and classifies: sets mark[i] of bq rows to 'm'
 * (missing in Harper), 'c' (changed) or 0, and of harper rows to 'x'
 * (extra) or 0.  Counts go to r.
 */
void	 verify_diff(struct verify_row *bq, size_t nbq, char *bqmark,
	    struct verify_row *h, size_t nh, char *hmark,
	    struct verify_result *r);
/*
 * Appends the BigQuery SQL giving per window of @width micros from @from
 * to @to: b (window number), n (rows) and, unless quick, x (BIT_XOR of
 * the fingerprints).  -1 with err for a name that cannot be quoted.
 */
int	 verify_windows_sql(struct strbuf *, const struct verify_opts *,
	    struct bq_err *err);
/* The same for the rows themselves (as bq-pull selects them) of a window. */
int	 verify_rows_sql(struct strbuf *, const struct verify_opts *,
	    struct bq_err *err);

#endif
