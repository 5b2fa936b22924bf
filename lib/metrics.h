/*
 * metrics: checkpoint records in the Prometheus text exposition format
 * (version 0.0.4), for node_exporter's textfile collector.
 *
 * One sample per table and worker of each family: bqsync_lag_seconds,
 * bqsync_rows_ingested_total, bqsync_phase (1 for the current phase of
 * initial, catchup, steady, else 0), bqsync_last_sync_timestamp_seconds,
 * and bqsync_last_error_timestamp_seconds / bqsync_last_error_info when a
 * record holds an error.  Labels: table, worker (i/N), name.
 */
#ifndef BQSYNC_METRICS_H
#define BQSYNC_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "ckpt.h"
#include "config.h"
#include "util.h"

/* Appends the families for recs at now (micros) to sb. */
void	 metrics_prometheus(const struct ckpt_record *, size_t,
	    const struct config *, int64_t now, struct strbuf *);
/* Appends s as a label value (backslash, quote and newline escaped). */
void	 metrics_label(struct strbuf *, const char *s);

#endif
