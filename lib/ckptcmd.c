/*
 * ckptcmd: bq-checkpoint's verbs (see ckptcmd.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ckptcmd.h"
#include "ckptcommit.h"
#include "control.h"
#include "harper.h"
#include "metrics.h"
#include "ndjson.h"
#include "ts.h"
#include "banned.h"

int
ckptcmd_form_parse(const char *s, enum ckptcmd_form *form)
{
	if (strcmp(s, "text") == 0)
		*form = CKPTCMD_TEXT;
	else if (strcmp(s, "json") == 0)
		*form = CKPTCMD_JSON;
	else if (strcmp(s, "prometheus") == 0)
		*form = CKPTCMD_PROMETHEUS;
	else
		return -1;
	return 0;
}

int
ckptcmd_format_parse(const char *s, enum ckpt_format *fmt)
{
	if (strcmp(s, "sh") == 0)
		*fmt = CKPT_FMT_SH;
	else if (strcmp(s, "json") == 0)
		*fmt = CKPT_FMT_JSON;
	else
		return -1;
	return 0;
}

static int
open_store(struct ckptcmd *c, struct bq_err *err)
{
	if (c->st == NULL && (c->st = ckpt_store_new(c->cfg, err)) == NULL)
		return -1;
	return 0;
}

int
ckptcmd_get(struct ckptcmd *c, struct strbuf *out, struct bq_err *err)
{
	struct ckpt_start s;
	char cur[TS_BUFSZ];

	if (open_store(c, err) == -1 ||
	    ckpt_start(c->st, c->tbl->id, c->wi, c->wn, &s, err) == -1)
		return -1;
	if (s.rebalanced)
		bqsync_log(BQ_LOG_DEBUG, "no checkpoint for '%s' worker %ld/%ld: "
		    "starting from %s, the minimum cursor of the %ld-worker "
		    "layout", c->tbl->id, c->wi, c->wn, ts_format(s.cursor, cur),
		    s.from_n);
	ckpt_start_format(&s, c->tbl->id, c->wi, c->wn, &c->tbl->sync,
	    ts_now(), c->fmt, out);
	return 0;
}

int
ckptcmd_status(struct ckptcmd *c, struct strbuf *out, struct bq_err *err)
{
	struct ckpt_record *recs = NULL;
	size_t n;

	if (open_store(c, err) == -1 ||
	    ckpt_list(c->st, c->only, &recs, &n, err) == -1)
		return -1;
	if (c->form == CKPTCMD_PROMETHEUS)
		metrics_prometheus(recs, n, c->cfg, ts_now(), out);
	else
		ckpt_status_format(recs, n, c->cfg, ts_now(),
		    c->form == CKPTCMD_TEXT, out);
	ckpt_records_free(recs, n);
	return 0;
}

/* A commit of the worker's acks: the store, the table, the name. */
static int
commit_init(struct ckptcmd *c, struct ckpt_commit *cc, char *name,
    size_t len, struct bq_err *err)
{
	char host[256];

	if (open_store(c, err) == -1)
		return -1;
	if (c->name == NULL) {
		if (gethostname(host, sizeof(host)) == -1)
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		snprintf(name, len, "%s-%ld", host, c->wi);
	}
	memset(cc, 0, sizeof(*cc));
	cc->st = c->st;
	cc->tbl = c->tbl;
	cc->wi = c->wi;
	cc->wn = c->wn;
	cc->name = c->name != NULL ? c->name : name;
	cc->tee = c->tee;
	return 0;
}

int
ckptcmd_commit(struct ckptcmd *c, struct strbuf *out, struct bq_err *err)
{
	struct ckpt_commit cc;
	struct ndjson_reader *rd;
	char name[300];
	int rc;

	(void)out;
	if (commit_init(c, &cc, name, sizeof(name), err) == -1)
		return -1;
	rd = ndjson_reader_new(c->in, "<stdin>");
	rc = ckpt_commit(&cc, rd, err);
	c->write_errno = cc.write_errno;
	ndjson_reader_free(rd);
	return rc;
}

int
ckptcmd_error(struct ckptcmd *c, struct strbuf *out, struct bq_err *err)
{
	struct ckpt_commit cc;
	struct strbuf msg = STRBUF_INIT;
	char buf[512], name[300];
	ssize_t n;
	int rc = -1;

	(void)out;
	while (msg.len < 4096 && ((n = read(c->in, buf, sizeof(buf))) > 0 ||
	    (n == -1 && errno == EINTR)))
		if (n > 0)
			strbuf_add(&msg, buf, (size_t)n);
	if (commit_init(c, &cc, name, sizeof(name), err) == 0)
		rc = ckpt_commit_error(&cc, c->tool, c->status, msg.buf,
		    msg.len, err);
	strbuf_release(&msg);
	return rc;
}

int
ckptcmd_control(struct ckptcmd *c, struct strbuf *out, struct bq_err *err)
{
	struct harper_client *hc;
	int rc = -1;

	(void)out;
	if ((hc = harper_client_new(c->cfg, err)) != NULL &&
	    (rc = control_set(hc, c->only, c->action, err)) == 0)
		bqsync_log(BQ_LOG_INFO, "%s: %s", c->only ? c->only :
		    "every table", c->action);
	harper_client_free(hc);
	return rc;
}

int
ckptcmd_set(struct ckptcmd *c, struct strbuf *out, struct bq_err *err)
{
	(void)out;
	if (open_store(c, err) == -1)
		return -1;
	return ckpt_set(c->st, &c->tbl->sync, c->tbl->id, c->wi, c->wn,
	    c->name, c->cursor, ts_now(), err);
}

int
ckptcmd_reset(struct ckptcmd *c, struct strbuf *out, struct bq_err *err)
{
	size_t nd;

	(void)out;
	if (open_store(c, err) == -1 || ckpt_delete(c->st, c->tbl->id, c->wi,
	    c->all ? 0 : c->wn, &nd, err) == -1)
		return -1;
	bqsync_log(BQ_LOG_INFO, "deleted %zu checkpoint%s", nd,
	    nd == 1 ? "" : "s");
	return 0;
}

void
ckptcmd_release(struct ckptcmd *c)
{
	ckpt_store_free(c->st);
	c->st = NULL;
}
