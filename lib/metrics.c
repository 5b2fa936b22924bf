#include <stdio.h>
#include <string.h>

#include "ckpt.h"
#include "config.h"
#include "metrics.h"
#include "util.h"
#include "banned.h"

void
metrics_label(struct strbuf *sb, const char *s)
{
	strbuf_addch(sb, '"');
	for (; s != NULL && *s; s++) {
		if (*s == '\\' || *s == '"')
			strbuf_addch(sb, '\\');
		if (*s == '\n')
			strbuf_adds(sb, "\\n");
		else
			strbuf_addch(sb, *s);
	}
	strbuf_addch(sb, '"');
}

static void
labels(struct strbuf *sb, const struct ckpt_record *r)
{
	char w[48];

	snprintf(w, sizeof(w), "%ld/%ld", r->node_id, r->cluster_size);
	strbuf_adds(sb, "{table=");
	metrics_label(sb, r->table_id);
	strbuf_adds(sb, ",worker=");
	metrics_label(sb, w);
	strbuf_adds(sb, ",name=");
	metrics_label(sb, r->worker ? r->worker : "");
}

static const struct config_sync *
sync_of(const struct config *cfg, const struct ckpt_record *r)
{
	struct bq_err err = BQ_ERR_INIT;
	const struct config_table *t = config_table(cfg, r->table_id, &err);

	return t != NULL ? &t->sync : &cfg->sync;
}

enum { F_LAG, F_ROWS, F_PHASE, F_SYNC, F_ERRAT, F_ERR, NFAM };

static const struct {
	const char *name, *type, *help;
} fam[NFAM] = {
	{ "bqsync_lag_seconds", "gauge",
	    "Seconds between now and the worker's cursor" },
	{ "bqsync_rows_ingested_total", "counter",
	    "Rows Harper confirmed for the worker" },
	{ "bqsync_phase", "gauge",
	    "1 for the worker's current phase" },
	{ "bqsync_last_sync_timestamp_seconds", "gauge",
	    "When the worker last committed" },
	{ "bqsync_last_error_timestamp_seconds", "gauge",
	    "When the worker's last error was recorded" },
	{ "bqsync_last_error_info", "gauge",
	    "1, with the worker's last error as label message" },
};

static void
sample(struct strbuf *sb, int f, const struct ckpt_record *r,
    const struct config *cfg, int64_t now)
{
	static const char *const ph[] = { "initial", "catchup", "steady" };
	enum ckpt_phase p;
	int k;

	switch (f) {
	case F_LAG:
		if (!r->has_cursor)
			return;
		strbuf_adds(sb, fam[f].name);
		labels(sb, r);
		strbuf_addf(sb, "} %.3f\n", (double)(now - r->cursor) / 1e6);
		break;
	case F_ROWS:
		strbuf_adds(sb, fam[f].name);
		labels(sb, r);
		strbuf_addf(sb, "} %lld\n", r->records);
		break;
	case F_PHASE:
		p = ckpt_record_phase(r, sync_of(cfg, r), now);
		for (k = 0; k < 3; k++) {
			strbuf_adds(sb, fam[f].name);
			labels(sb, r);
			strbuf_addf(sb, ",phase=\"%s\"} %d\n", ph[k],
			    (int)p == k);
		}
		break;
	case F_SYNC:
		if (!r->has_sync)
			return;
		strbuf_adds(sb, fam[f].name);
		labels(sb, r);
		strbuf_addf(sb, "} %.3f\n", (double)r->last_sync / 1e6);
		break;
	case F_ERRAT:
		if (!r->has_error_at || r->last_error == NULL)
			return;
		strbuf_adds(sb, fam[f].name);
		labels(sb, r);
		strbuf_addf(sb, "} %.3f\n", (double)r->last_error_at / 1e6);
		break;
	case F_ERR:
		if (r->last_error == NULL)
			return;
		strbuf_adds(sb, fam[f].name);
		labels(sb, r);
		strbuf_adds(sb, ",message=");
		metrics_label(sb, r->last_error);
		strbuf_adds(sb, "} 1\n");
		break;
	}
}

void
metrics_prometheus(const struct ckpt_record *recs, size_t n,
    const struct config *cfg, int64_t now, struct strbuf *sb)
{
	size_t k;
	int f;

	for (f = 0; f < NFAM; f++) {
		strbuf_addf(sb, "# HELP %s %s\n# TYPE %s %s\n", fam[f].name,
		    fam[f].help, fam[f].name, fam[f].type);
		for (k = 0; k < n; k++)
			sample(sb, f, &recs[k], cfg, now);
	}
}
