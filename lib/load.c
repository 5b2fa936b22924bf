#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "harper.h"
#include "load.h"
#include "log.h"
#include "ndjson.h"
#include "row.h"
#include "ts.h"
#include "util.h"
#include "banned.h"

#define TS_NONE INT64_MIN
#define WORKER_SZ 32

enum rstate { R_LIVE, R_DEAD, R_DONE, R_REJECTED };
enum bstate { B_OPEN, B_QUEUED, B_DONE };

struct brow {
	size_t	 off, len;		/* record in recs, no separator */
	size_t	 raw_off, raw_len;	/* input line in raw (--reject) */
	size_t	 id_off, id_len;	/* id in ids */
	unsigned long line;
	int64_t	 ts;
	uint32_t hash;
	int32_t	 next;			/* R_DEAD: the row that replaced it */
	int	 state;
	char	*msg;			/* R_REJECTED: Harper's reason */
};

struct batch {
	struct strbuf recs;		/* "[rec,rec,...", "]" added to post */
	struct strbuf raw;
	struct strbuf ids;
	struct strbuf body;		/* for partial posts */
	struct brow *rows;
	size_t	 nrows, arows;
	size_t	 npub;			/* rows the acker may count (mu) */
	int32_t	*slots;			/* id hash table: row index or -1 */
	size_t	 nslots;
	int64_t	 first_ts, before, min_ts;
	char	 synced[TS_BUFSZ];
	int	 state;
	int	 has_dead;
	int	 fatal;			/* err says why */
	struct bq_err err;
	int	 stopped;		/* a row was rejected without --reject */
	/* For its ack: the stream it belongs to, the sync line closing it. */
	char	*table;
	char	 worker[WORKER_SZ];	/* "" when the stream had none */
	int	 synced_by;		/* a sync line closed it */
	int	 newer;			/* that line's "newer": -1 absent */
	long long billed;		/* its "bytesBilled", -1 absent */
};

struct loader {
	const struct config *cfg;
	const struct load_opts *o;
	struct harper_client *ctl;
	struct harper_client **clients;
	pthread_t *workers;
	int	 nworkers;
	pthread_t acker;
	int	 acker_started;
	pthread_mutex_t mu;
	pthread_cond_t cv_work, cv_done, cv_slot;

	struct batch *all;
	struct batch **freel;
	size_t	 nfree;
	struct batch **win;		/* dispatched, not yet acked, in order */
	size_t	 win_head, win_n, cap;
	struct batch **queue;		/* dispatched, not yet taken */
	size_t	 q_head, q_n;
	struct batch *open;

	/* What the acker needs for the cursor (under mu). */
	int64_t	 hi, hprev;		/* greatest ts read; greatest below it */
	int64_t	 sync_max;
	int	 unsorted;
	int	 eof_ok;

	int	 halt;			/* stop everything; err says why */
	int	 input_done;
	int	 quit;
	struct bq_err err;
	int	 write_failed;
	int	 saved_errno;

	int	 begun, ended;
	char	*cur_table;		/* "table" of the acks from now on */
	char	 cur_worker[WORKER_SZ];
	int64_t	 last_cursor;		/* of the last ack written */
	int	 up_failed;		/* an error line came (up_err) */
	struct bq_err up_err;
	int	 table_ready;
	char	**attrs;		/* the table's attributes, sorted */
	size_t	 nattrs;
	const char *name;
	struct ndjson_reader *reader;
	unsigned long total;
	struct load_stats st;
	struct progress prog;
};

static uint32_t
fnv1a(const char *s, size_t n)
{
	uint32_t h = 2166136261u;

	while (n--) {
		h ^= (unsigned char)*s++;
		h *= 16777619u;
	}
	return h;
}

static void
batch_reset(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->nrows; i++) {
		free(b->rows[i].msg);
		b->rows[i].msg = NULL;
	}
	strbuf_reset(&b->recs);
	strbuf_reset(&b->raw);
	strbuf_reset(&b->ids);
	strbuf_reset(&b->body);
	memset(b->slots, 0xff, b->nslots * sizeof(*b->slots));
	b->nrows = b->npub = 0;
	b->first_ts = b->before = b->min_ts = TS_NONE;
	b->state = B_OPEN;
	b->has_dead = b->fatal = b->stopped = 0;
	bq_err_clear(&b->err);
	free(b->table);
	b->table = NULL;
	b->worker[0] = '\0';
	b->synced_by = 0;
	b->newer = -1;
	b->billed = -1;
}

static void
batch_init(struct batch *b, long rows)
{
	memset(b, 0, sizeof(*b));
	strbuf_init(&b->recs, 0);
	strbuf_init(&b->raw, 0);
	strbuf_init(&b->ids, 0);
	strbuf_init(&b->body, 0);
	for (b->nslots = 16; b->nslots < (size_t)rows * 2; b->nslots *= 2)
		;
	b->slots = xmalloc(b->nslots * sizeof(*b->slots));
	batch_reset(b);
}

static void
batch_release(struct batch *b)
{
	batch_reset(b);
	strbuf_release(&b->recs);
	strbuf_release(&b->raw);
	strbuf_release(&b->ids);
	strbuf_release(&b->body);
	free(b->rows);
	free(b->slots);
}

/* The row index holding id in b, or -1. */
static int32_t
batch_find(const struct batch *b, const char *id, size_t n, uint32_t h)
{
	size_t i, mask = b->nslots - 1;
	int32_t r;

	for (i = h & mask; (r = b->slots[i]) != -1; i = (i + 1) & mask) {
		const struct brow *w = &b->rows[r];

		if (w->hash == h && w->id_len == n &&
		    memcmp(b->ids.buf + w->id_off, id, n) == 0)
			return r;
	}
	return -1;
}

static void
batch_index(struct batch *b, int32_t row)
{
	const struct brow *w = &b->rows[row];
	size_t i, mask = b->nslots - 1;
	int32_t r;

	for (i = w->hash & mask; (r = b->slots[i]) != -1; i = (i + 1) & mask)
		if (b->rows[r].hash == w->hash && b->rows[r].id_len ==
		    w->id_len && memcmp(b->ids.buf + b->rows[r].id_off,
		    b->ids.buf + w->id_off, w->id_len) == 0)
			break;
	b->slots[i] = row;
}

/* The final state of row i (following replacements). */
static int
row_final(const struct batch *b, size_t i)
{
	while (b->rows[i].state == R_DEAD)
		i = (size_t)b->rows[i].next;
	return b->rows[i].state;
}

/*
 * 1 if row i of a done batch is not settled: not sent, or the rejected row
 * that stopped the load (without --reject it is not skipped).
 */
static int
row_pending(const struct batch *b, size_t i)
{
	int s = row_final(b, i);

	return s == R_LIVE || (s == R_REJECTED && b->stopped);
}

/* Index of the first row of a batch not yet settled, or -1. */
static long
first_pending(const struct batch *b)
{
	size_t i;

	if (b->state != B_DONE || b->fatal)
		return b->nrows > 0 ? 0 : -1;
	for (i = 0; i < b->nrows; i++)
		if (row_pending(b, i))
			return (long)i;
	return -1;
}

/* The greatest timestamp read before row j of b (ascending input). */
static int64_t
before_row(const struct batch *b, size_t j)
{
	size_t i;

	for (i = j; i-- > 0;)
		if (b->rows[i].ts < b->rows[j].ts)
			return b->rows[i].ts;
	return b->before;
}

static int64_t
max_ts(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

/*
 * The cursor after the head batch was confirmed (called with mu held).
 * See load.h for the rule; TS_NONE means null.
 */
static int64_t
cursor(struct loader *l)
{
	struct batch *b = NULL, *w;
	int64_t cand, pts = TS_NONE, minp = TS_NONE, q, t;
	size_t k, i;
	long j = -1;

	for (k = 0; k < l->win_n; k++) {
		w = l->win[(l->win_head + k) % l->cap];
		if ((j = first_pending(w)) >= 0) {
			if (b == NULL) {
				b = w;
				pts = j == 0 ? w->first_ts : w->rows[j].ts;
			}
			if (!l->unsorted)
				break;
			if (w->state != B_DONE || w->fatal)
				t = w->min_ts;
			else
				for (t = INT64_MAX, i = (size_t)j; i < w->nrows; i++)
					if (row_pending(w, i) &&
					    w->rows[i].ts < t)
						t = w->rows[i].ts;
			if (minp == TS_NONE || t < minp)
				minp = t;
		}
	}
	if (l->open->npub > 0) {
		if (b == NULL) {
			b = l->open;
			j = 0;
			pts = b->first_ts;
		}
		if (minp == TS_NONE || l->open->min_ts < minp)
			minp = l->open->min_ts;
	}
	if (l->unsorted) {
		q = l->eof_ok ? INT64_MAX : l->sync_max;
		if (q == TS_NONE)
			return TS_NONE;
		if (minp != TS_NONE)
			return q < minp - 1 ? q : minp - 1;
		return l->eof_ok ? max_ts(l->hi, l->sync_max) : l->sync_max;
	}
	if (b != NULL) {
		cand = j == 0 ? b->before : before_row(b, (size_t)j);
		if (l->sync_max != TS_NONE && l->sync_max < pts &&
		    l->sync_max > cand)
			cand = l->sync_max;
		return cand;
	}
	if (l->eof_ok || (l->sync_max != TS_NONE && l->sync_max >= l->hi))
		return max_ts(l->hi, l->sync_max);
	return max_ts(l->hprev, l->sync_max);
}

/* Harper's own words from an upsert error ("... HTTP 400: <text>"). */
static const char *
harper_text(const char *msg)
{
	const char *p = msg, *q;

	while ((q = strstr(p, "HTTP ")) != NULL && (q = strstr(q, ": ")) != NULL)
		p = q + 2;
	return p;
}

static void
write_reject(struct loader *l, const char *s, size_t n)
{
	flockfile(l->o->reject);
	fwrite(s, 1, n, l->o->reject);
	putc_unlocked('\n', l->o->reject);
	fflush_unlocked(l->o->reject);
	funlockfile(l->o->reject);
}

/* Posts rows idx[lo..hi) of b; 0 ok, 1 stopped at a bad row, -1 fatal. */
static int
post_rows(struct loader *l, struct harper_client *h, struct batch *b,
    const int32_t *idx, size_t lo, size_t hi)
{
	struct bq_err e = BQ_ERR_INIT;
	const char *body;
	size_t i, len, mid;
	int rc;

	if (lo >= hi)
		return 0;
	if (lo == 0 && hi == b->nrows && !b->has_dead) {
		strbuf_addch(&b->recs, ']');
		body = b->recs.buf;
		len = b->recs.len;
	} else {
		strbuf_reset(&b->body);
		strbuf_addch(&b->body, '[');
		for (i = lo; i < hi; i++) {
			if (i > lo)
				strbuf_addch(&b->body, ',');
			strbuf_add(&b->body, b->recs.buf +
			    b->rows[idx[i]].off, b->rows[idx[i]].len);
		}
		strbuf_addch(&b->body, ']');
		body = b->body.buf;
		len = b->body.len;
	}
	rc = harper_upsert(h, l->o->table, body, len, &e);
	/*
	 * A table just created may not be visible yet to the Harper thread
	 * that serves this connection: it answers "does not exist" for a
	 * moment.  Retry that (only that) for a while, over a new connection
	 * each time: a restarted harper-load, on a new connection, has been
	 * seen to succeed where 18 s of retries on the old one did not.
	 */
	for (i = 0; rc == -1 && i < 40 && e.kind == EXIT_DATA &&
	    strstr(e.msg, "does not exist") != NULL; i++) {
		util_sleep(i < 10 ? 0.05 * (double)(i + 1) : 0.5, NULL);
		bq_err_clear(&e);
		harper_client_fresh(h);
		rc = harper_upsert(h, l->o->table, body, len, &e);
	}
	if (body == b->recs.buf)
		b->recs.buf[--b->recs.len] = '\0';
	if (rc == 0) {
		for (i = lo; i < hi; i++)
			b->rows[idx[i]].state = R_DONE;
		return 0;
	}
	/* Only a refusal of records is worth bisecting. */
	if (e.kind != EXIT_DATA || strstr(e.msg, "does not exist") != NULL) {
		b->fatal = 1;
		b->err = e;
		return -1;
	}
	if (hi - lo == 1) {
		b->rows[idx[lo]].state = R_REJECTED;
		b->rows[idx[lo]].msg = xstrdup(harper_text(e.msg));
		if (l->o->reject == NULL) {
			b->stopped = 1;
			return 1;
		}
		return 0;
	}
	mid = lo + (hi - lo) / 2;
	if ((rc = post_rows(l, h, b, idx, lo, mid)) != 0)
		return rc;
	return post_rows(l, h, b, idx, mid, hi);
}

static void
post_batch(struct loader *l, struct harper_client *h, struct batch *b)
{
	int32_t *idx;
	size_t i, n = 0;

	/*
	 * No read before the write for a natural key: bq-pull splits such
	 * tables by key, so every version of a key comes through this one
	 * stream in timestamp order, and dispatch() holds a batch until the
	 * batches in flight with the same ids are confirmed.
	 */
	/* With dead rows, post_rows() rebuilds the body of the live ones. */
	idx = xmalloc((b->nrows + 1) * sizeof(*idx));
	for (i = 0; i < b->nrows; i++)
		if (b->rows[i].state == R_LIVE)
			idx[n++] = (int32_t)i;
	post_rows(l, h, b, idx, 0, n);
	free(idx);
}

struct worker_arg {
	struct loader *l;
	int	 i;
};

static void *
worker_main(void *arg)
{
	struct loader *l = ((struct worker_arg *)arg)->l;
	struct harper_client *h = l->clients[((struct worker_arg *)arg)->i];
	struct batch *b;

	free(arg);
	pthread_mutex_lock(&l->mu);
	for (;;) {
		while (l->q_n == 0 && !l->quit)
			pthread_cond_wait(&l->cv_work, &l->mu);
		if (l->q_n == 0)
			break;
		b = l->queue[l->q_head];
		l->q_head = (l->q_head + 1) % l->cap;
		l->q_n--;
		if (l->halt) {
			b->fatal = 1;
			bq_err_set(&b->err, EXIT_FAIL, "not sent");
		} else {
			pthread_mutex_unlock(&l->mu);
			post_batch(l, h, b);
			pthread_mutex_lock(&l->mu);
		}
		b->state = B_DONE;
		pthread_cond_broadcast(&l->cv_done);
		pthread_cond_broadcast(&l->cv_slot);
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

static void
halt_with(struct loader *l, const struct bq_err *e)
{
	if (!l->halt) {
		l->err = *e;
		__atomic_store_n(&l->halt, 1, __ATOMIC_RELEASE);
	}
	pthread_cond_broadcast(&l->cv_done);
	pthread_cond_broadcast(&l->cv_slot);
	pthread_cond_broadcast(&l->cv_work);
}

/* What an ack says beyond rows and cursor. */
struct ack_extra {
	const char *table, *worker;	/* worker "" or NULL: none */
	int	 synced_by, newer;
	long long billed;
	const char *tool;		/* error: tool, status, message */
	int	 status;
	const char *msg;
};

/* Writes one ack (README, "Acknowledgements"); 0, or -1 on a write error. */
static int
write_ack(struct loader *l, const struct ack_extra *x, unsigned long rows,
    int64_t c)
{
	struct strbuf sb = STRBUF_INIT;
	char buf[TS_BUFSZ];
	int rc = 0;

	strbuf_init(&sb, 128);
	strbuf_adds(&sb, "{\"table\":");
	strbuf_add_json_string(&sb, x->table, strlen(x->table));
	if (x->worker != NULL && *x->worker != '\0') {
		strbuf_adds(&sb, ",\"worker\":");
		strbuf_add_json_string(&sb, x->worker, strlen(x->worker));
	}
	strbuf_addf(&sb, ",\"rows\":%lu,\"total\":%lu,\"cursor\":", rows,
	    l->total);
	if (c == TS_NONE)
		strbuf_adds(&sb, "null");
	else {
		ts_format(c, buf);
		strbuf_addf(&sb, "\"%s\"", buf);
	}
	if (x->synced_by && x->newer != -1)
		strbuf_addf(&sb, ",\"newer\":%s", x->newer ? "true" : "false");
	if (x->billed >= 0)
		strbuf_addf(&sb, ",\"bytesBilled\":%lld", x->billed);
	if (x->tool != NULL) {
		strbuf_adds(&sb, ",\"error\":{\"tool\":");
		strbuf_add_json_string(&sb, x->tool, strlen(x->tool));
		strbuf_addf(&sb, ",\"status\":%d,\"message\":", x->status);
		strbuf_add_json_string(&sb, x->msg, strlen(x->msg));
		strbuf_addch(&sb, '}');
	}
	strbuf_adds(&sb, "}\n");
	if (fwrite(sb.buf, 1, sb.len, l->o->acks) != sb.len ||
	    fflush(l->o->acks) == EOF)
		rc = -1;
	else
		l->last_cursor = c;
	strbuf_release(&sb);
	return rc;
}

static int
write_batch_ack(struct loader *l, const struct batch *b, unsigned long rows,
    int64_t c)
{
	struct ack_extra x = { b->table, b->worker, b->synced_by, b->newer,
	    b->billed, NULL, 0, NULL };

	return write_ack(l, &x, rows, c);
}

static void *
acker_main(void *arg)
{
	struct loader *l = arg;
	struct bq_err e = BQ_ERR_INIT;
	struct batch *b;
	unsigned long rows;
	int64_t c;
	size_t i;

	pthread_mutex_lock(&l->mu);
	for (;;) {
		while (!l->halt && (l->win_n == 0 ||
		    l->win[l->win_head]->state != B_DONE) &&
		    !(l->input_done && l->win_n == 0))
			pthread_cond_wait(&l->cv_done, &l->mu);
		if (l->halt || l->win_n == 0)
			break;
		b = l->win[l->win_head];
		if (b->fatal) {
			halt_with(l, &b->err);
			break;
		}
		for (rows = 0, i = 0; i < b->nrows; i++)
			if (row_final(b, i) == R_DONE)
				rows++;
		l->total += rows;
		c = cursor(l);
		pthread_mutex_unlock(&l->mu);
		for (i = 0; i < b->nrows; i++) {
			if (b->rows[i].state != R_REJECTED)
				continue;
			if (b->stopped) {
				bq_err_set(&e, EXIT_DATA,
				    "%s:%lu: rejected by Harper: %s", l->name,
				    b->rows[i].line, b->rows[i].msg);
				break;
			}
			bqsync_log(BQ_LOG_ERROR, "%s:%lu: rejected by Harper: %s",
			    l->name, b->rows[i].line, b->rows[i].msg);
			write_reject(l, b->raw.buf + b->rows[i].raw_off,
			    b->rows[i].raw_len);
			l->st.rejected++;
		}
		if (write_batch_ack(l, b, rows, c) == -1) {
			int saved = errno;

			pthread_mutex_lock(&l->mu);
			l->write_failed = 1;
			l->saved_errno = saved;
			bq_err_set(&e, EXIT_IOERR, "write: %s", strerror(saved));
			halt_with(l, &e);
			break;
		}
		l->st.rows += rows;
		l->st.batches++;
		progress_update(&l->prog, "%lu rows, %lu batches", l->st.rows,
		    l->st.batches);
		pthread_mutex_lock(&l->mu);
		l->win_head = (l->win_head + 1) % l->cap;
		l->win_n--;
		batch_reset(b);
		l->freel[l->nfree++] = b;
		pthread_cond_broadcast(&l->cv_slot);
		if (e.kind != 0) {
			halt_with(l, &e);
			break;
		}
	}
	pthread_mutex_unlock(&l->mu);
	return NULL;
}

void
load_opts_from_table(struct load_opts *o, const struct config_table *t)
{
	o->table = t->target_table != NULL ? t->target_table : t->id;
	o->ack_table = o->table_id = t->id;
	if (t->timestamp_column != NULL)
		o->ts_column = t->timestamp_column;
	o->id_columns = t->id_columns;
	o->nid_columns = t->nid_columns;
	o->id_column = t->id_column;
	o->indexes = t->indexes;
	o->nindexes = t->nindexes;
	o->columns = t->columns;
	o->ncolumns = t->ncolumns;
}

struct loader *
load_new(const struct config *cfg, const struct load_opts *o,
    struct bq_err *err)
{
	struct loader *l;
	int i;

	l = xcalloc(1, sizeof(*l));
	l->cfg = cfg;
	l->o = o;
	if ((l->ctl = harper_client_new(cfg, err)) == NULL) {
		free(l);
		return NULL;
	}
	l->nworkers = o->in_flight > 0 ? o->in_flight : 1;
	l->cap = (size_t)l->nworkers;
	l->clients = xcalloc((size_t)l->nworkers, sizeof(*l->clients));
	for (i = 0; i < l->nworkers; i++)
		l->clients[i] = harper_client_new(cfg, err);
	l->workers = xcalloc((size_t)l->nworkers, sizeof(*l->workers));
	l->all = xcalloc(l->cap + 1, sizeof(*l->all));
	l->freel = xcalloc(l->cap + 1, sizeof(*l->freel));
	for (i = 0; i <= (int)l->cap; i++) {
		batch_init(&l->all[i], o->batch_rows);
		l->freel[l->nfree++] = &l->all[i];
	}
	l->win = xcalloc(l->cap, sizeof(*l->win));
	l->queue = xcalloc(l->cap, sizeof(*l->queue));
	l->open = l->freel[--l->nfree];
	l->hi = l->hprev = l->sync_max = l->last_cursor = TS_NONE;
	l->cur_table = xstrdup(o->ack_table);
	pthread_mutex_init(&l->mu, NULL);
	pthread_cond_init(&l->cv_work, NULL);
	pthread_cond_init(&l->cv_done, NULL);
	pthread_cond_init(&l->cv_slot, NULL);
	progress_init(&l->prog, o->progress);
	return l;
}

void
load_free(struct loader *l)
{
	int i;

	if (l == NULL)
		return;
	for (i = 0; i <= (int)l->cap; i++)
		batch_release(&l->all[i]);
	for (i = 0; i < l->nworkers; i++)
		harper_client_free(l->clients[i]);
	harper_client_free(l->ctl);
	while (l->nattrs > 0)
		free(l->attrs[--l->nattrs]);
	free(l->attrs);
	pthread_mutex_destroy(&l->mu);
	pthread_cond_destroy(&l->cv_work);
	pthread_cond_destroy(&l->cv_done);
	pthread_cond_destroy(&l->cv_slot);
	free(l->clients);
	free(l->workers);
	free(l->all);
	free(l->freel);
	free(l->win);
	free(l->queue);
	free(l->cur_table);
	free(l);
}

int
load_write_failed(const struct loader *l)
{
	return l->write_failed;
}

void
load_get_stats(const struct loader *l, struct load_stats *st)
{
	*st = l->st;
}

/* 1 if a live row of b has an id that a batch still being posted has. */
static int
conflicts(struct loader *l, const struct batch *b)
{
	const struct batch *w;
	const struct brow *r;
	size_t k, i;

	for (k = 0; k < l->win_n; k++) {
		w = l->win[(l->win_head + k) % l->cap];
		if (w->state == B_DONE)
			continue;
		for (i = 0; i < b->nrows; i++) {
			r = &b->rows[i];
			if (r->state == R_LIVE && batch_find(w, b->ids.buf +
			    r->id_off, r->id_len, r->hash) != -1)
				return 1;
		}
	}
	return 0;
}

/*
 * Hands the open batch to the workers, waiting for a free slot and for
 * batches in flight that write the same ids (so the later version wins).
 */
static int
dispatch_batch(struct loader *l, int marker)
{
	struct batch *b = l->open;

	if (b->nrows == 0 && !marker)
		return 0;
	b->table = xstrdup(l->cur_table);
	memcpy(b->worker, l->cur_worker, sizeof(b->worker));
	pthread_mutex_lock(&l->mu);
	while (!l->halt && (l->win_n >= l->cap || l->nfree == 0 ||
	    conflicts(l, b)))
		pthread_cond_wait(&l->cv_slot, &l->mu);
	if (l->halt) {
		pthread_mutex_unlock(&l->mu);
		return -1;
	}
	l->win[(l->win_head + l->win_n) % l->cap] = b;
	l->win_n++;
	l->open = l->freel[--l->nfree];
	if (b->nrows == 0) {
		/* a sync line's ack of its own, once the ones before are out */
		b->state = B_DONE;
		pthread_cond_broadcast(&l->cv_done);
	} else {
		b->state = B_QUEUED;
		l->queue[(l->q_head + l->q_n) % l->cap] = b;
		l->q_n++;
		pthread_cond_signal(&l->cv_work);
	}
	pthread_mutex_unlock(&l->mu);
	return 0;
}

static int
dispatch(struct loader *l)
{
	return dispatch_batch(l, 0);
}

/*
 * On a replicated cluster, Harper 4.7 has been seen to drop, for good, a
 * peer's copy of rows written to a table that appeared a moment before:
 * the first batch written right after create_table reached one peer and
 * never the other, while every later batch reached both (Harper's
 * replication sender skips the audit records of a table its thread does
 * not know yet, "Not subscribed to table", and never sends them again).
 * So the first write to a table that is new here (missing or empty at the
 * first look) waits harper.replicationSettle while this node has peers; a
 * stand-alone Harper does not wait.
 */
static void
settle(struct loader *l, int fresh)
{
	struct bq_err e = BQ_ERR_INIT;
	double s = l->cfg->replication_settle;
	int peers;

	if (!fresh || s <= 0)
		return;
	if ((peers = harper_connected_peers(l->ctl, &e)) == -1) {
		bqsync_log(BQ_LOG_DEBUG, "cluster_status: %s", e.msg);
		return;
	}
	if (peers == 0)
		return;
	bqsync_log(BQ_LOG_INFO, "table '%s.%s' is new and this node has %d "
	    "peer%s: first write in %g s (harper.replicationSettle)",
	    harper_database(l->ctl), l->o->table, peers, peers == 1 ? "" : "s",
	    s);
	util_sleep(s, NULL);
}

/*
 * Makes the table usable on the first row: creates it declaring its
 * columns, or completes what a killed run left (see harper_ensure_table()),
 * then lets a new table settle on a cluster (see settle()).
 */
static int
ensure_table(struct loader *l, const cJSON *row, struct bq_err *err)
{
	const struct load_opts *o = l->o;
	char **plain = NULL;
	const cJSON *c;
	size_t n = 0, a = 0;
	int rc = -1, have, fresh = 0;
	char *ts = NULL;

	if (!o->create) {
		if ((have = harper_describe_table(l->ctl, o->table, NULL,
		    err)) == -1)
			return -1;
		if (have == 0)
			return bq_err_set(err, EXIT_UNAVAILABLE,
			    "table '%s.%s' does not exist (--no-create)",
			    harper_database(l->ctl), o->table);
		return 0;
	}
	a = (o->columns != NULL ? o->ncolumns : (size_t)cJSON_GetArraySize(row))
	    + 2;
	plain = xcalloc(a, sizeof(*plain));
	if (o->columns != NULL)
		for (; n < o->ncolumns; n++)
			plain[n] = o->columns[n];
	else
		cJSON_ArrayForEach(c, row)
			if (strcmp(c->string, "__proto__") != 0)
				plain[n++] = c->string;
	plain[n++] = (char *)"_syncedAt";
	ts = xstrdup(o->ts_column);
	plain[n++] = ts;
	if (o->nindexes > 0)
		rc = harper_ensure_table(l->ctl, o->table, o->indexes,
		    o->nindexes, plain, n, &fresh, err);
	else
		rc = harper_ensure_table(l->ctl, o->table, &ts, 1, plain, n,
		    &fresh, err);
	free(ts);
	free(plain);
	if (rc == 0)
		settle(l, fresh);
	return rc;
}

static int
attr_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
attr_add(struct loader *l, const char *name)
{
	l->attrs = xrealloc(l->attrs, (l->nattrs + 1) * sizeof(*l->attrs));
	l->attrs[l->nattrs++] = xstrdup(name);
	qsort(l->attrs, l->nattrs, sizeof(*l->attrs), attr_cmp);
}

/* Reads the attributes the table declares (describe_table). */
static int
attrs_load(struct loader *l, struct bq_err *err)
{
	cJSON *desc = NULL;
	const cJSON *a;
	const char *n;

	if (harper_describe_table(l->ctl, l->o->table, &desc, err) == -1)
		return -1;
	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(desc,
	    "attributes"))
		if ((n = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
		    a, "attribute"))) != NULL)
			attr_add(l, n);
	cJSON_Delete(desc);
	return 0;
}

/*
 * Schema evolution: declares the columns of row the table lacks, so that
 * Harper's SQL sees them (Harper 4.7 indexes an attribute added this way;
 * one declared unindexed stays invisible to SQL).
 */
static int
attrs_declare(struct loader *l, const cJSON *row, struct bq_err *err)
{
	const cJSON *c;
	int rc = 0;

	cJSON_ArrayForEach(c, row) {
		if (c->string == NULL || strcmp(c->string, "__proto__") == 0 ||
		    bsearch(&c->string, l->attrs, l->nattrs, sizeof(*l->attrs),
		    attr_cmp) != NULL)
			continue;
		if (harper_create_attribute(l->ctl, l->o->table, c->string,
		    err) == -1) {
			if (err->kind != EXIT_DATA) {
				rc = -1;
				break;
			}
			/*
			 * A name Harper refuses to declare (an empty one, say)
			 * is the row's problem, not the load's: the upsert
			 * rejects that row with Harper's own message.
			 */
			bq_err_clear(err);
			continue;
		}
		attr_add(l, c->string);
	}
	return rc;
}

/* The id of row: 0 with id and its length (append: add it to the record). */
static int
get_id(struct loader *l, const cJSON *row, char buf[64], const char **id,
    size_t *n, int *append, struct bq_err *err)
{
	const struct load_opts *o = l->o;
	const char *col = o->id_column != NULL ? o->id_column : "id";
	const char *missing = NULL;
	const cJSON *v;
	double d;

	v = cJSON_GetObjectItemCaseSensitive(row, col);
	if (v != NULL) {
		*append = strcmp(col, "id") != 0;
		if (cJSON_IsString(v)) {
			*id = v->valuestring;
			*n = strlen(v->valuestring);
			return 0;
		}
		/* An integer beyond 2^53: its digits as written. */
		if (cJSON_IsRaw(v)) {
			*id = v->valuestring;
			*n = strlen(v->valuestring);
			*append = 1;
			return 0;
		}
		d = v->valuedouble;
		if (cJSON_IsNumber(v) && floor(d) == d &&
		    fabs(d) <= 9007199254740992.0) {
			snprintf(buf, 64, "%.0f", d);
			*id = buf;
			*n = strlen(buf);
			*append = 1;
			return 0;
		}
		return bq_err_set(err, EXIT_DATA,
		    "id column '%s' is neither a string nor an integer", col);
	}
	if (o->id_column != NULL)
		return bq_err_set(err, EXIT_DATA, "no id column '%s'", col);
	if (row_id(row, o->id_columns, o->nid_columns, buf, &missing) == -1)
		return bq_err_set(err, EXIT_DATA, "no id column '%s'",
		    missing != NULL ? missing : "?");
	*id = buf;
	*n = ROW_ID_LEN;
	*append = 1;
	return 0;
}

/* Appends one row (the object text line[0..len)) to the open batch. */
static int
add_row(struct loader *l, const cJSON *v, const char *line, size_t len,
    int64_t ts, struct bq_err *err)
{
	struct batch *b = l->open;
	struct brow *r;
	char idbuf[64];
	const char *id = NULL;
	size_t idlen = 0, need, s, e;
	int append = 0;
	int32_t dup;

	if (get_id(l, v, idbuf, &id, &idlen, &append, err) == -1)
		return -1;
	for (s = 0; s < len && line[s] != '{'; s++)
		;
	for (e = len; e > s && line[e - 1] != '}'; e--)
		;
	need = (e - s) + idlen + 64;
	if (b->nrows > 0 && (b->nrows >= (size_t)l->o->batch_rows ||
	    b->recs.len + need > (size_t)l->o->batch_bytes)) {
		if (dispatch(l) == -1)
			return 1;
		b = l->open;
	}
	if (b->nrows == b->arows) {
		b->arows = b->arows ? b->arows * 2 : 64;
		b->rows = xrealloc(b->rows, b->arows * sizeof(*b->rows));
	}
	if (b->nrows == 0)
		ts_format(ts_now(), b->synced);
	r = &b->rows[b->nrows];
	memset(r, 0, sizeof(*r));
	r->line = ndjson_lineno(l->reader);
	r->ts = ts;
	r->state = R_LIVE;
	r->id_off = b->ids.len;
	r->id_len = idlen;
	strbuf_add(&b->ids, id, idlen);
	r->hash = fnv1a(id, idlen);
	strbuf_addch(&b->recs, b->nrows == 0 ? '[' : ',');
	r->off = b->recs.len;
	/* The object without its "}", then id and _syncedAt (last wins). */
	strbuf_add(&b->recs, line + s, e - s - 1);
	if (v->child != NULL)
		strbuf_addch(&b->recs, ',');
	if (append) {
		strbuf_adds(&b->recs, "\"id\":");
		strbuf_add_json_string(&b->recs, id, idlen);
		strbuf_addch(&b->recs, ',');
	}
	strbuf_adds(&b->recs, "\"_syncedAt\":\"");
	strbuf_adds(&b->recs, b->synced);
	strbuf_adds(&b->recs, "\"}");
	r->len = b->recs.len - r->off;
	if (l->o->reject != NULL) {
		r->raw_off = b->raw.len;
		r->raw_len = len;
		strbuf_add(&b->raw, line, len);
	}
	if ((dup = batch_find(b, id, idlen, r->hash)) != -1) {
		b->rows[dup].state = R_DEAD;
		b->rows[dup].next = (int32_t)b->nrows;
		b->has_dead = 1;
	}
	batch_index(b, (int32_t)b->nrows);
	pthread_mutex_lock(&l->mu);
	if (b->nrows == 0) {
		b->first_ts = b->min_ts = ts;
		b->before = ts > l->hi ? l->hi : ts == l->hi ? l->hprev :
		    TS_NONE;
	} else if (ts < b->min_ts)
		b->min_ts = ts;
	if (l->hi == TS_NONE || ts > l->hi) {
		l->hprev = l->hi;
		l->hi = ts;
	} else if (ts < l->hi && !l->unsorted) {
		l->unsorted = 1;
		bqsync_log(BQ_LOG_WARN, "%s: rows are not in timestamp order: "
		    "only sync lines and the end of input prove groups "
		    "complete", l->name);
	}
	b->nrows++;
	b->npub = b->nrows;
	pthread_mutex_unlock(&l->mu);
	return 0;
}

/* A begin line: a new stream, its table checked, its worker kept. */
static int
control_begin(struct loader *l, const cJSON *v, struct bq_err *err)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(v, "table");
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(v, "worker");

	if ((t != NULL && (!cJSON_IsString(t) || *t->valuestring == '\0')) ||
	    (w != NULL && (!cJSON_IsString(w) ||
	    strlen(w->valuestring) >= WORKER_SZ)))
		return bq_err_set(err, EXIT_DATA, "bad begin line");
	if (t != NULL && l->o->table_id != NULL &&
	    strcmp(t->valuestring, l->o->table_id) != 0) {
		bq_err_set(err, EXIT_DATA, "%s:%lu: a stream of table '%s', "
		    "but this loads '%s'", l->name, ndjson_lineno(l->reader),
		    t->valuestring, l->o->table_id);
		pthread_mutex_lock(&l->mu);
		halt_with(l, err);
		pthread_mutex_unlock(&l->mu);
		return 1;
	}
	if (dispatch(l) == -1)		/* rows of the stream before */
		return 1;
	free(l->cur_table);
	l->cur_table = xstrdup(t != NULL ? t->valuestring : l->o->ack_table);
	snprintf(l->cur_worker, sizeof(l->cur_worker), "%s",
	    w != NULL ? w->valuestring : "");
	l->begun = 1;
	l->ended = 0;
	return 0;
}

/* A sync line: proves its cursor, closes the batch (or acks alone). */
static int
control_sync(struct loader *l, const cJSON *v, struct bq_err *err)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(v, "cursor");
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(v, "newer");
	const cJSON *b = cJSON_GetObjectItemCaseSensitive(v, "bytesBilled");
	double d = cJSON_IsNumber(b) ? b->valuedouble : -1;
	int64_t t;

	if (!cJSON_IsString(c) || ts_parse(c->valuestring, &t) == -1)
		return bq_err_set(err, EXIT_DATA,
		    "sync line without a valid cursor");
	if ((n != NULL && !cJSON_IsBool(n)) || (b != NULL &&
	    (!(d >= 0 && d <= 9007199254740992.0) || d != floor(d))))
		return bq_err_set(err, EXIT_DATA, "sync line with a bad "
		    "\"newer\" or \"bytesBilled\"");
	pthread_mutex_lock(&l->mu);
	if (l->sync_max == TS_NONE || t > l->sync_max)
		l->sync_max = t;
	pthread_mutex_unlock(&l->mu);
	l->open->synced_by = 1;
	l->open->newer = n != NULL ? cJSON_IsTrue(n) : -1;
	l->open->billed = b != NULL ? (long long)d : -1;
	return dispatch_batch(l, 1) == -1 ? 1 : 0;
}

/* An error line: the producer failed and stops; so does the input. */
static int
control_error(struct loader *l, const cJSON *v)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(v, "status");
	const char *m = cJSON_GetStringValue(
	    cJSON_GetObjectItemCaseSensitive(v, "message"));
	double d = cJSON_IsNumber(s) ? s->valuedouble : 0;
	int st = d >= 1 && d <= 255 && d == floor(d) ? (int)d : EXIT_FAIL;

	bq_err_set(&l->up_err, st, "%s", m != NULL ? m : "failed");
	l->up_failed = 1;
	return 0;
}

/* A {"@bqsync":...} line. */
static int
control(struct loader *l, const cJSON *v, struct bq_err *err)
{
	const char *what = cJSON_GetStringValue(v->child);

	if (what == NULL)
		return bq_err_set(err, EXIT_DATA, "bad control line");
	if (strcmp(what, "begin") == 0)
		return control_begin(l, v, err);
	if (strcmp(what, "end") == 0)
		l->ended = 1;
	else if (strcmp(what, "sync") == 0)
		return control_sync(l, v, err);
	else if (strcmp(what, "error") == 0)
		return control_error(l, v);
	else
		bqsync_log(BQ_LOG_WARN, "ignoring unknown control line '%s'", what);
	return 0;
}

/*
 * Refuses what Harper and harper-load would read differently: a member
 * twice in one object (cJSON reads the first, Harper the last) and an
 * integer beyond 2^53 (a double rounds it) except as the id, which is kept
 * as its digits.
 */
static int
check_members(struct loader *l, cJSON *v, const char *line, size_t len,
    struct bq_err *err)
{
	const char *col = l->o->id_column != NULL ? l->o->id_column : "id";
	const char *k;
	const cJSON *c;

	if ((k = row_duplicate_key(v)) != NULL)
		return bq_err_set(err, EXIT_DATA, "duplicate key '%.100s'", k);
	if (row_keep_integers(v, line, len, &k) == -1)
		return bq_err_set(err, EXIT_DATA, "an integer%s%.100s%s is "
		    "beyond 2^53 and would be rounded (write it as a string)",
		    k != NULL ? " in '" : "", k != NULL ? k : "",
		    k != NULL ? "'" : "");
	cJSON_ArrayForEach(c, v)
		if (cJSON_IsRaw(c) && strcmp(c->string, col) != 0)
			return bq_err_set(err, EXIT_DATA, "integer %.40s in "
			    "'%.100s' is beyond 2^53 and would be rounded "
			    "(write it as a string)", c->valuestring,
			    c->string);
	return 0;
}

/* One input line: 0 done, -1 bad line (err), 1 halted. */
static int
one_line(struct loader *l, struct ndjson_reader *r, const char *line,
    size_t len, struct bq_err *err)
{
	const struct load_opts *o = l->o;
	const cJSON *c;
	cJSON *v;
	int64_t ts;
	int rc = -1;

	if ((v = ndjson_parse(r, line, len, err)) == NULL)
		return -1;
	if (!cJSON_IsObject(v)) {
		bq_err_set(err, EXIT_DATA, "not a JSON object");
		goto out;
	}
	if (v->child != NULL && strcmp(v->child->string, "@bqsync") == 0) {
		rc = row_duplicate_key(v) != NULL ? bq_err_set(err, EXIT_DATA,
		    "duplicate key '%.100s'", row_duplicate_key(v)) :
		    control(l, v, err);
		goto out;
	}
	if (check_members(l, v, line, len, err) == -1)
		goto out;
	if (l->ended)
		l->ended = 0;	/* rows after "end": a new stream */
	if (row_timestamp(v, o->ts_column, &ts) == -1) {
		c = cJSON_GetObjectItemCaseSensitive(v, o->ts_column);
		bq_err_set(err, EXIT_DATA, c == NULL || cJSON_IsNull(c) ?
		    "no timestamp column '%s'" :
		    "invalid timestamp in column '%s'", o->ts_column);
		goto out;
	}
	if (!l->table_ready) {
		if (ensure_table(l, v, err) == -1 ||
		    attrs_load(l, err) == -1) {
			pthread_mutex_lock(&l->mu);
			halt_with(l, err);
			pthread_mutex_unlock(&l->mu);
			rc = 1;
			goto out;
		}
		l->table_ready = 1;
	}
	if (l->o->create && attrs_declare(l, v, err) == -1) {
		pthread_mutex_lock(&l->mu);
		halt_with(l, err);
		pthread_mutex_unlock(&l->mu);
		rc = 1;
		goto out;
	}
	rc = add_row(l, v, line, len, ts, err);
out:
	cJSON_Delete(v);
	return rc;
}

static int
start_threads(struct loader *l, struct bq_err *err)
{
	struct worker_arg *a;
	int i;

	for (i = 0; i < l->nworkers; i++) {
		if (l->clients[i] == NULL)
			return bq_err_set(err, EXIT_CONFIG, "harper client");
		a = xmalloc(sizeof(*a));
		a->l = l;
		a->i = i;
		if (pthread_create(&l->workers[i], NULL, worker_main, a) != 0) {
			free(a);
			l->nworkers = i;
			return bq_err_set(err, EXIT_FAIL, "pthread_create");
		}
	}
	if (pthread_create(&l->acker, NULL, acker_main, l) != 0)
		return bq_err_set(err, EXIT_FAIL, "pthread_create");
	l->acker_started = 1;
	return 0;
}

static void
stop_threads(struct loader *l)
{
	int i;

	pthread_mutex_lock(&l->mu);
	l->input_done = 1;
	pthread_cond_broadcast(&l->cv_done);
	pthread_mutex_unlock(&l->mu);
	if (l->acker_started)
		pthread_join(l->acker, NULL);
	pthread_mutex_lock(&l->mu);
	l->quit = 1;
	pthread_cond_broadcast(&l->cv_work);
	pthread_mutex_unlock(&l->mu);
	for (i = 0; i < l->nworkers; i++)
		pthread_join(l->workers[i], NULL);
	progress_done(&l->prog);
}

/*
 * The last ack, after every confirmed batch was acked: the failure that
 * ends the stream, with the cursor of the ack before it.
 */
static int
error_ack(struct loader *l, const char *tool, const struct bq_err *e)
{
	struct ack_extra x = { l->cur_table, l->cur_worker, 0, -1, -1, tool,
	    exit_for(e), e->msg };
	struct bq_err w = BQ_ERR_INIT;

	if (write_ack(l, &x, 0, l->last_cursor) == 0)
		return 0;
	l->write_failed = 1;
	l->saved_errno = errno;
	bq_err_set(&w, EXIT_IOERR, "write: %s", strerror(errno));
	l->err = w;
	return -1;
}

static int
run(struct loader *l, struct ndjson_reader *r, struct bq_err *err);

int
load_run(struct loader *l, struct ndjson_reader *r, struct bq_err *err)
{
	int saved;

	if (run(l, r, err) == 0)
		return 0;
	if (l->write_failed) {
		errno = l->saved_errno;	/* for tool_write_failed() */
		return -1;
	}
	if (l->up_failed && !l->halt) {
		if (error_ack(l, "bq-pull", &l->up_err) == -1)
			goto write_failed;
		*err = l->up_err;
		bq_err_prefix(err, "%s: the producer failed (exit %d)",
		    l->name, exit_for(&l->up_err));
		return -1;
	}
	if (error_ack(l, "harper-load", err) == 0)
		return -1;
write_failed:
	saved = l->saved_errno;
	*err = l->err;
	errno = saved;
	return -1;
}

static int
run(struct loader *l, struct ndjson_reader *r, struct bq_err *err)
{
	struct bq_err bad = BQ_ERR_INIT;
	const char *line;
	size_t len, i;
	int rc, eof = 0, halted = 0;

	l->name = ndjson_name(r);
	l->reader = r;
	if (start_threads(l, err) == -1) {
		pthread_mutex_lock(&l->mu);
		halt_with(l, err);
		pthread_mutex_unlock(&l->mu);
		stop_threads(l);
		return -1;
	}
	for (;;) {
		/* The acker may have stopped the load (a refused row, Harper gone). */
		if (__atomic_load_n(&l->halt, __ATOMIC_ACQUIRE)) {
			halted = 1;
			break;
		}
		if ((rc = ndjson_read_line(r, &line, &len, &bad)) == 0) {
			eof = 1;
			break;
		}
		if (rc == -1)
			break;
		for (i = 0; i < len && (line[i] == ' ' || line[i] == '\t' ||
		    line[i] == '\r'); i++)
			;
		if (i == len)
			continue;
		bq_err_clear(&bad);
		if ((rc = one_line(l, r, line, len, &bad)) == 1) {
			halted = 1;
			break;
		}
		if (rc == 0 && l->up_failed)
			break;
		if (rc == 0)
			continue;
		/* A bad line: name:line: first. */
		if (strncmp(bad.msg, l->name, strlen(l->name)) != 0)
			bq_err_prefix(&bad, "%s:%lu", l->name, ndjson_lineno(r));
		if (l->o->reject == NULL)
			break;
		bqsync_log(BQ_LOG_ERROR, "%s", bad.msg);
		write_reject(l, line, len);
		l->st.rejected++;
	}
	pthread_mutex_lock(&l->mu);
	if (eof)
		l->eof_ok = !l->begun || l->ended;
	pthread_mutex_unlock(&l->mu);
	if (!halted)
		dispatch(l);
	stop_threads(l);
	if (l->halt && l->err.kind != 0) {
		*err = l->err;
		if (l->write_failed)
			errno = l->saved_errno;	/* for tool_write_failed() */
		return -1;
	}
	if (l->up_failed)
		return -1;
	if (!eof) {
		*err = bad;
		return -1;
	}
	if (l->begun && !l->ended)
		return bq_err_set(err, EXIT_DATA,
		    "%s: input ended before the end marker", l->name);
	return 0;
}
