/*
 * ckptcommit: acks in, checkpoints advanced (see ckptcommit.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "ckptcommit.h"
#include "log.h"
#include "ts.h"
#include "banned.h"

/*
 * An ack names the table by its id; a stream without a begin line (an ack
 * without worker) may name the Harper table instead.  0, or -1 with err.
 */
static int
check_ack(struct ckpt_commit *c, const struct ckpt_ack *ack,
    struct bq_err *err)
{
	const struct config_table *tbl = c->tbl;

	if (strcmp(ack->table, tbl->id) != 0 && (ack->worker != NULL ||
	    tbl->target_table == NULL ||
	    strcmp(ack->table, tbl->target_table) != 0))
		return bq_err_set(err, EXIT_DATA, "ack for table '%s', not "
		    "'%s'", ack->table, tbl->id);
	if (ack->worker != NULL && (ack->wi != c->wi || ack->wn != c->wn))
		return bq_err_set(err, EXIT_DATA, "ack of worker %s, not "
		    "%ld/%ld", ack->worker, c->wi, c->wn);
	if (ack->worker == NULL && !c->warned++)
		bqsync_log(BQ_LOG_WARN, "acks without a worker (a stream "
		    "without a begin line): taken as worker %ld/%ld", c->wi,
		    c->wn);
	return 0;
}

/* Stores what acks brought since the last store; ack NULL: rows only. */
static int
store(struct ckpt_commit *c, long long rows, long long billed,
    const struct ckpt_ack *ack, struct bq_err *err)
{
	struct ckpt_update up = { c->name, 0, 0, rows, ts_now(), 0, billed,
	    NULL };
	char buf[TS_BUFSZ], msg[1024];
	int moved;

	if (ack != NULL) {
		up.has_cursor = ack->has_cursor;
		up.cursor = ack->cursor;
		up.caught_up = ack->newer == 0;
	}
	if (ack != NULL && ack->err_tool != NULL) {
		snprintf(msg, sizeof(msg), "%s: exit %ld: %s", ack->err_tool,
		    ack->err_status, ack->err_message);
		up.error = msg;
	}
	if (ckpt_advance(c->st, &c->tbl->sync, c->tbl->id, c->wi, c->wn, &up,
	    &moved, err) == -1)
		return -1;
	if (up.has_cursor && !moved)
		bqsync_log(BQ_LOG_DEBUG, "cursor %s is not past the stored "
		    "one: kept", ts_format(ack->cursor, buf));
	return 0;
}

/* Adds the ack's rows and bytes to the pending ones, or refuses it. */
static int
add_pending(long long pend[2], const struct ckpt_ack *ack, struct bq_err *err)
{
	long long r, b;

	if (__builtin_add_overflow(pend[0], ack->rows, &r) ||
	    r > CKPT_MAX_COUNT || __builtin_add_overflow(pend[1],
	    ack->billed > 0 ? ack->billed : 0, &b) || b > CKPT_MAX_COUNT)
		return bq_err_set(err, EXIT_DATA, "acks add up to more "
		    "than %lld", CKPT_MAX_COUNT);
	pend[0] = r;
	pend[1] = b;
	return 0;
}

/* The tee copy of a stored ack line. */
static int
tee(struct ckpt_commit *c, const char *line, size_t len, struct bq_err *err)
{
	if (c->tee == NULL)
		return 0;
	if ((len > 0 && fwrite(line, 1, len, c->tee) != len) ||
	    fputc('\n', c->tee) == EOF || fflush(c->tee) == EOF) {
		c->write_errno = errno;
		return bq_err_set(err, EXIT_IOERR, "write: %s",
		    strerror(errno));
	}
	return 0;
}

int
ckpt_commit(struct ckpt_commit *c, struct ndjson_reader *rd,
    struct bq_err *err)
{
	struct bq_err serr = BQ_ERR_INIT;
	struct ckpt_ack ack;
	const char *line;
	size_t len;
	long long pend[2] = { 0, 0 };	/* rows, bytes billed */
	cJSON *obj = NULL;
	int r;

	while ((r = ndjson_read_line(rd, &line, &len, err)) == 1) {
		if (strspn(line, " \t\r") == len)
			continue;
		if ((obj = ndjson_parse(rd, line, len, err)) == NULL)
			break;
		if (ckpt_ack_parse(obj, &ack, err) == -1 ||
		    check_ack(c, &ack, err) == -1 ||
		    add_pending(pend, &ack, err) == -1) {
			bq_err_prefix(err, "%s:%lu", ndjson_name(rd),
			    ndjson_lineno(rd));
			break;
		}
		/* Rows without a cursor wait for one (fewer writes). */
		if (ack.has_cursor || ack.newer != -1 || ack.billed > 0 ||
		    ack.err_tool != NULL) {
			if (store(c, pend[0], pend[1], &ack, err) == -1)
				goto fail;
			pend[0] = pend[1] = 0;
		}
		cJSON_Delete(obj);
		obj = NULL;
		if (tee(c, line, len, err) == -1)
			return -1;
	}
	cJSON_Delete(obj);
	/* Rows Harper confirmed count even before a cursor covers them. */
	if ((pend[0] > 0 || pend[1] > 0) &&
	    store(c, pend[0], pend[1], NULL, &serr) == -1) {
		if (err->kind != 0)
			bqsync_log(BQ_LOG_ERROR, "%s", err->msg);
		*err = serr;
		return -1;
	}
	return err->kind != 0 ? -1 : 0;
fail:
	cJSON_Delete(obj);
	return -1;
}

void
ckpt_error_ack(struct strbuf *ack, const char *table, long wi, long wn,
    const char *tool, int status, const char *msg, size_t len)
{
	struct strbuf one = STRBUF_INIT;
	size_t k;

	strbuf_add(&one, msg, len);
	for (k = 0; k < one.len; k++)	/* one line, no control bytes */
		if ((unsigned char)one.buf[k] < 0x20)
			one.buf[k] = ' ';
	while (one.len > 0 && one.buf[one.len - 1] == ' ')
		one.buf[--one.len] = '\0';
	strbuf_adds(ack, "{\"table\":");
	strbuf_add_json_string(ack, table, strlen(table));
	strbuf_addf(ack, ",\"worker\":\"%ld/%ld\",\"rows\":0,\"total\":0,"
	    "\"cursor\":null,\"error\":{\"tool\":", wi, wn);
	strbuf_add_json_string(ack, tool, strlen(tool));
	strbuf_addf(ack, ",\"status\":%d,\"message\":", status);
	strbuf_add_json_string(ack, one.len ? one.buf : "failed",
	    one.len ? one.len : 6);
	strbuf_adds(ack, "}}\n");
	strbuf_release(&one);
}

int
ckpt_commit_error(struct ckpt_commit *c, const char *tool, int status,
    const char *msg, size_t len, struct bq_err *err)
{
	struct strbuf line = STRBUF_INIT;
	struct ckpt_ack ack;
	cJSON *obj;
	int rc = -1;

	ckpt_error_ack(&line, c->tbl->id, c->wi, c->wn, tool, status, msg,
	    len);
	if ((obj = cJSON_ParseWithLength(line.buf, line.len)) == NULL)
		bq_err_set(err, EXIT_FAIL, "cannot build the error ack");
	else if (ckpt_ack_parse(obj, &ack, err) == 0 &&
	    check_ack(c, &ack, err) == 0 && store(c, 0, 0, &ack, err) == 0)
		rc = 0;
	cJSON_Delete(obj);
	strbuf_release(&line);
	return rc;
}
