#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "ckpt.h"
#include "harper.h"
#include "hash.h"
#include "ts.h"
#include "util.h"
#include "banned.h"

enum { STORE_FILE, STORE_HARPER };

struct ckpt_store {
	int	 kind;
	/* file store */
	char	*path;
	char	*tmp;
	char	*lock;
	char	*dir;
	int	 lockfd;
	/* Harper store */
	struct harper_client *hc;
	char	*table;
	int	 exists;	/* -1 unknown, 0 no, 1 yes */
};

/* Called with the current record (found 0: a fresh one); 1 = store it. */
typedef int update_fn(struct ckpt_record *, int found, void *arg);

static const char *phase_names[] = { "initial", "catchup", "steady" };

/* --- records ----------------------------------------------------------- */

void
ckpt_record_init(struct ckpt_record *rec, const char *table_id, long i,
    long n)
{
	memset(rec, 0, sizeof(*rec));
	rec->table_id = xstrdup(table_id ? table_id : "");
	rec->node_id = i;
	rec->cluster_size = n;
	rec->phase = CKPT_INITIAL;
}

void
ckpt_record_release(struct ckpt_record *rec)
{
	if (rec == NULL)
		return;
	free(rec->table_id);
	free(rec->worker);
	free(rec->last_error);
	rec->table_id = rec->worker = rec->last_error = NULL;
}

char *
ckpt_record_id(const char *table_id, long i, long n)
{
	return xstrfmt("%s:%ld/%ld", table_id, i, n);
}

static void
add_key(struct strbuf *sb, const char *key, int first)
{
	if (!first)
		strbuf_addch(sb, ',');
	strbuf_add_json_string(sb, key, strlen(key));
	strbuf_addch(sb, ':');
}

static void
add_str(struct strbuf *sb, const char *s)
{
	if (s == NULL)
		strbuf_adds(sb, "null");
	else
		strbuf_add_json_string(sb, s, strlen(s));
}

static void
add_ts(struct strbuf *sb, int has, int64_t micros)
{
	char buf[TS_BUFSZ];

	add_str(sb, has ? ts_format(micros, buf) : NULL);
}

void
ckpt_record_encode(const struct ckpt_record *rec, struct strbuf *sb)
{
	char *id;

	id = ckpt_record_id(rec->table_id, rec->node_id, rec->cluster_size);
	strbuf_addch(sb, '{');
	add_key(sb, "checkpointId", 1);
	add_str(sb, id);
	add_key(sb, "tableId", 0);
	add_str(sb, rec->table_id);
	add_key(sb, "nodeId", 0);
	strbuf_addf(sb, "%ld", rec->node_id);
	add_key(sb, "clusterSize", 0);
	strbuf_addf(sb, "%ld", rec->cluster_size);
	add_key(sb, "worker", 0);
	add_str(sb, rec->worker);
	add_key(sb, "lastTimestamp", 0);
	add_ts(sb, rec->has_cursor, rec->cursor);
	add_key(sb, "recordsIngested", 0);
	strbuf_addf(sb, "%lld", rec->records);
	add_key(sb, "lastSyncTime", 0);
	add_ts(sb, rec->has_sync, rec->last_sync);
	add_key(sb, "phase", 0);
	add_str(sb, ckpt_phase_name(rec->phase));
	add_key(sb, "batchSize", 0);
	strbuf_addf(sb, "%ld", rec->batch_size);
	add_key(sb, "lastError", 0);
	add_str(sb, rec->last_error);
	add_key(sb, "lastErrorAt", 0);
	add_ts(sb, rec->has_error_at, rec->last_error_at);
	add_key(sb, "bytesBilled", 0);
	strbuf_addf(sb, "%lld", rec->bytes_billed);
	add_key(sb, "billingDay", 0);
	add_str(sb, rec->billing_day[0] ? rec->billing_day : NULL);
	add_key(sb, "bytesBilledDay", 0);
	strbuf_addf(sb, "%lld", rec->bytes_billed_day);
	strbuf_addch(sb, '}');
	free(id);
}

/* Drops the closing brace that ckpt_record_encode() appended last. */
static void
drop_brace(struct strbuf *sb)
{
	if (sb->len > 0 && sb->buf[sb->len - 1] == '}')
		sb->buf[--sb->len] = '\0';
}

/* An integral JSON number in [min, max]; -1 if v is not one. */
static int
get_int(const cJSON *v, double min, double max, long long *out)
{
	double d;

	if (!cJSON_IsNumber(v))
		return -1;
	d = v->valuedouble;
	if (!isfinite(d) || d != floor(d) || d < min || d > max)
		return -1;
	*out = (long long)d;
	return 0;
}

/* A timestamp string or null (*has = 0); -1 if neither. */
static int
get_ts(const cJSON *v, int *has, int64_t *micros)
{
	*has = 0;
	if (v == NULL || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v) || ts_parse(v->valuestring, micros) == -1)
		return -1;
	*has = 1;
	return 0;
}

/* A count in [0, CKPT_MAX_COUNT] or null/absent (0); -1 if bad. */
static int
get_count(const cJSON *obj, const char *key, long long *out)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	*out = 0;
	if (v == NULL || cJSON_IsNull(v))
		return 0;
	return get_int(v, 0, (double)CKPT_MAX_COUNT, out);
}

/* A UTC day "YYYY-MM-DD". */
static int
is_day(const char *s)
{
	static const char pat[] = "dddd-dd-dd";
	size_t k;

	for (k = 0; pat[k] != '\0'; k++)
		if (pat[k] == 'd' ? s[k] < '0' || s[k] > '9' : s[k] != '-')
			return 0;
	return s[k] == '\0';
}

/* The fields added for errors and billing; all optional (old records). */
static int
decode_billing(const cJSON *obj, struct ckpt_record *rec, const char **bad)
{
	const cJSON *v;

	v = cJSON_GetObjectItemCaseSensitive(obj, "lastError");
	if (cJSON_IsString(v))
		rec->last_error = xstrdup(v->valuestring);
	else if (v != NULL && !cJSON_IsNull(v))
		return *bad = "lastError", -1;
	v = cJSON_GetObjectItemCaseSensitive(obj, "lastErrorAt");
	if (get_ts(v, &rec->has_error_at, &rec->last_error_at) == -1)
		return *bad = "lastErrorAt", -1;
	if (get_count(obj, "bytesBilled", &rec->bytes_billed) == -1)
		return *bad = "bytesBilled", -1;
	if (get_count(obj, "bytesBilledDay", &rec->bytes_billed_day) == -1)
		return *bad = "bytesBilledDay", -1;
	v = cJSON_GetObjectItemCaseSensitive(obj, "billingDay");
	if (cJSON_IsString(v) && is_day(v->valuestring))
		memcpy(rec->billing_day, v->valuestring, 11);
	else if (v != NULL && !cJSON_IsNull(v))
		return *bad = "billingDay", -1;
	return 0;
}

int
ckpt_record_decode(const cJSON *obj, struct ckpt_record *rec,
    struct bq_err *err)
{
	const cJSON *v;
	const char *bad = NULL;
	char *id = NULL;
	long long x;
	int rc = -1;

	memset(rec, 0, sizeof(*rec));
	rec->phase = CKPT_INITIAL;
	if (!cJSON_IsObject(obj)) {
		bq_err_set(err, EXIT_DATA, "checkpoint is not a JSON object");
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(obj, "tableId");
	if (!cJSON_IsString(v) || *v->valuestring == '\0') {
		bad = "tableId";
		goto out;
	}
	rec->table_id = xstrdup(v->valuestring);
	v = cJSON_GetObjectItemCaseSensitive(obj, "clusterSize");
	if (get_int(v, 1, INT_MAX, &x) == -1) {
		bad = "clusterSize";
		goto out;
	}
	rec->cluster_size = (long)x;
	v = cJSON_GetObjectItemCaseSensitive(obj, "nodeId");
	if (get_int(v, 0, (double)rec->cluster_size - 1, &x) == -1) {
		bad = "nodeId";
		goto out;
	}
	rec->node_id = (long)x;
	v = cJSON_GetObjectItemCaseSensitive(obj, "checkpointId");
	id = ckpt_record_id(rec->table_id, rec->node_id, rec->cluster_size);
	if (v != NULL && (!cJSON_IsString(v) ||
	    strcmp(v->valuestring, id) != 0)) {
		bad = "checkpointId";
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(obj, "worker");
	if (cJSON_IsString(v))
		rec->worker = xstrdup(v->valuestring);
	else if (v != NULL && !cJSON_IsNull(v)) {
		bad = "worker";
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(obj, "lastTimestamp");
	if (get_ts(v, &rec->has_cursor, &rec->cursor) == -1) {
		bad = "lastTimestamp";
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(obj, "lastSyncTime");
	if (get_ts(v, &rec->has_sync, &rec->last_sync) == -1) {
		bad = "lastSyncTime";
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(obj, "recordsIngested");
	if (v != NULL && !cJSON_IsNull(v)) {
		if (get_int(v, 0, (double)CKPT_MAX_COUNT, &x) == -1) {
			bad = "recordsIngested";
			goto out;
		}
		rec->records = x;
	}
	v = cJSON_GetObjectItemCaseSensitive(obj, "phase");
	if (v != NULL && !cJSON_IsNull(v) && (!cJSON_IsString(v) ||
	    ckpt_phase_parse(v->valuestring, &rec->phase) == -1)) {
		bad = "phase";
		goto out;
	}
	v = cJSON_GetObjectItemCaseSensitive(obj, "batchSize");
	if (v != NULL && !cJSON_IsNull(v)) {
		if (get_int(v, 0, LONG_MAX, &x) == -1) {
			bad = "batchSize";
			goto out;
		}
		rec->batch_size = (long)x;
	}
	if (decode_billing(obj, rec, &bad) == -1)
		goto out;
	rc = 0;
out:
	if (bad != NULL) {
		if (id != NULL)
			bq_err_set(err, EXIT_DATA,
			    "checkpoint '%s': bad or missing '%s'", id, bad);
		else
			bq_err_set(err, EXIT_DATA,
			    "checkpoint: bad or missing '%s'", bad);
	}
	free(id);
	return rc;
}

/* The optional "error" object of an ack. */
static int
ack_error(const cJSON *v, struct ckpt_ack *ack, struct bq_err *err)
{
	const cJSON *t, *m;
	long long x;

	if (v == NULL || cJSON_IsNull(v))
		return 0;
	t = cJSON_GetObjectItemCaseSensitive(v, "tool");
	m = cJSON_GetObjectItemCaseSensitive(v, "message");
	if (!cJSON_IsObject(v) || !cJSON_IsString(t) || *t->valuestring ==
	    '\0' || !cJSON_IsString(m) || get_int(cJSON_GetObjectItem(v,
	    "status"), 0, 255, &x) == -1)
		return bq_err_set(err, EXIT_DATA, "ack with a bad \"error\" "
		    "(want tool, status 0..255 and message)");
	ack->err_tool = t->valuestring;
	ack->err_status = (long)x;
	ack->err_message = m->valuestring;
	return 0;
}

int
ckpt_ack_parse(const cJSON *obj, struct ckpt_ack *ack, struct bq_err *err)
{
	const cJSON *v;
	long long x;

	memset(ack, 0, sizeof(*ack));
	ack->newer = -1;
	ack->billed = -1;
	if (!cJSON_IsObject(obj))
		return bq_err_set(err, EXIT_DATA, "ack is not a JSON object");
	v = cJSON_GetObjectItemCaseSensitive(obj, "table");
	if (!cJSON_IsString(v) || *v->valuestring == '\0')
		return bq_err_set(err, EXIT_DATA, "ack without \"table\"");
	ack->table = v->valuestring;
	v = cJSON_GetObjectItemCaseSensitive(obj, "worker");
	if (v != NULL && (!cJSON_IsString(v) || ckpt_parse_worker(
	    v->valuestring, &ack->wi, &ack->wn) == -1))
		return bq_err_set(err, EXIT_DATA, "ack with a bad \"worker\" "
		    "(want \"i/N\")");
	ack->worker = v != NULL ? v->valuestring : NULL;
	v = cJSON_GetObjectItemCaseSensitive(obj, "rows");
	if (get_int(v, 0, (double)CKPT_MAX_ROWS, &x) == -1)
		return bq_err_set(err, EXIT_DATA, "ack without a row count "
		    "(\"rows\", 0..%lld)", CKPT_MAX_ROWS);
	ack->rows = x;
	v = cJSON_GetObjectItemCaseSensitive(obj, "cursor");
	if (v == NULL)
		return bq_err_set(err, EXIT_DATA, "ack without \"cursor\"");
	if (get_ts(v, &ack->has_cursor, &ack->cursor) == -1)
		return bq_err_set(err, EXIT_DATA, "ack with a bad cursor");
	v = cJSON_GetObjectItemCaseSensitive(obj, "newer");
	if (v != NULL && !cJSON_IsBool(v))
		return bq_err_set(err, EXIT_DATA, "ack with a bad \"newer\"");
	if (v != NULL)
		ack->newer = cJSON_IsTrue(v);
	v = cJSON_GetObjectItemCaseSensitive(obj, "bytesBilled");
	if (v != NULL && get_int(v, 0, (double)CKPT_MAX_COUNT,
	    &ack->billed) == -1)
		return bq_err_set(err, EXIT_DATA, "ack with a bad "
		    "\"bytesBilled\"");
	return ack_error(cJSON_GetObjectItemCaseSensitive(obj, "error"), ack,
	    err);
}

enum ckpt_phase
ckpt_record_phase(const struct ckpt_record *rec,
    const struct config_sync *sync, int64_t now)
{
	if (rec->phase == CKPT_STEADY && rec->has_sync &&
	    (double)(now - rec->last_sync) <= sync->steady_threshold * 1e6)
		return CKPT_STEADY;
	return ckpt_phase_for(sync, rec->has_cursor, rec->cursor, now);
}

void
ckpt_status_encode(const struct ckpt_record *rec,
    const struct config_sync *sync, int64_t now, struct strbuf *sb)
{
	struct ckpt_record r = *rec;

	r.phase = ckpt_record_phase(rec, sync, now);
	r.batch_size = ckpt_batch_size(sync, r.phase);
	ckpt_record_encode(&r, sb);
	drop_brace(sb);
	strbuf_adds(sb, ",\"lag_seconds\":");
	if (r.has_cursor)
		strbuf_addf(sb, "%.3f", (double)(now - r.cursor) / 1e6);
	else
		strbuf_adds(sb, "null");
	strbuf_addch(sb, '}');
}

/* --- phases ------------------------------------------------------------- */

const char *
ckpt_phase_name(enum ckpt_phase p)
{
	if ((unsigned)p >= sizeof(phase_names) / sizeof(phase_names[0]))
		return "initial";
	return phase_names[p];
}

int
ckpt_phase_parse(const char *s, enum ckpt_phase *p)
{
	size_t k;

	for (k = 0; k < sizeof(phase_names) / sizeof(phase_names[0]); k++)
		if (strcmp(s, phase_names[k]) == 0) {
			*p = (enum ckpt_phase)k;
			return 0;
		}
	return -1;
}

enum ckpt_phase
ckpt_phase_for(const struct config_sync *sync, int has_cursor,
    int64_t cursor, int64_t now)
{
	double lag;

	if (!has_cursor)
		return CKPT_INITIAL;
	lag = (double)(now - cursor);	/* micros; comparisons are strict */
	if (lag > sync->catchup_threshold * 1e6)
		return CKPT_INITIAL;
	if (lag > sync->steady_threshold * 1e6)
		return CKPT_CATCHUP;
	return CKPT_STEADY;
}

long
ckpt_batch_size(const struct config_sync *sync, enum ckpt_phase p)
{
	switch (p) {
	case CKPT_CATCHUP:
		return sync->catchup_batch;
	case CKPT_STEADY:
		return sync->steady_batch;
	default:
		return sync->initial_batch;
	}
}

double
ckpt_poll_interval(const struct config_sync *sync, enum ckpt_phase p)
{
	switch (p) {
	case CKPT_CATCHUP:
		return sync->catchup_poll;
	case CKPT_STEADY:
		return sync->steady_poll;
	default:
		return sync->initial_poll;
	}
}

int
ckpt_parse_worker(const char *s, long *i, long *n)
{
	int a, b;

	/* One grammar for every tool: bq-pull and bq-partition use this too. */
	if (s == NULL || hash_parse_worker(s, &a, &b) == -1)
		return -1;
	*i = a;
	*n = b;
	return 0;
}

/* --- record arrays ------------------------------------------------------ */

void
ckpt_records_free(struct ckpt_record *recs, size_t n)
{
	size_t k;

	if (recs == NULL)
		return;
	for (k = 0; k < n; k++)
		ckpt_record_release(&recs[k]);
	free(recs);
}

static int
rec_cmp(const void *a, const void *b)
{
	const struct ckpt_record *x = a, *y = b;
	int c;

	if ((c = strcmp(x->table_id, y->table_id)) != 0)
		return c;
	if (x->cluster_size != y->cluster_size)
		return x->cluster_size < y->cluster_size ? -1 : 1;
	if (x->node_id != y->node_id)
		return x->node_id < y->node_id ? -1 : 1;
	return 0;
}

static int
rec_is(const struct ckpt_record *r, const char *table_id, long i, long n)
{
	return strcmp(r->table_id, table_id) == 0 && r->node_id == i &&
	    r->cluster_size == n;
}

/* Moves *rec (ownership included) to the end of the array. */
static void
rec_push(struct ckpt_record **recs, size_t *n, struct ckpt_record *rec)
{
	*recs = xrealloc(*recs, (*n + 1) * sizeof(**recs));
	(*recs)[(*n)++] = *rec;
	memset(rec, 0, sizeof(*rec));
}

/* --- file store --------------------------------------------------------- */

/*
 * The file store may run as root next to files other users can plant:
 * refuse a directory anyone may write to unless it is sticky (someone could
 * swap the state file between two calls), never follow a symbolic link at
 * the state, lock or temporary path, and create files 0600.
 */
static int
check_dir(struct ckpt_store *st, struct bq_err *err)
{
	struct stat sb;

	if (stat(st->dir, &sb) == -1)
		return bq_err_set(err, EXIT_IOERR, "cannot use '%s': %s",
		    st->dir, strerror(errno));
	if ((sb.st_mode & S_IWOTH) && !(sb.st_mode & S_ISVTX))
		return bq_err_set(err, EXIT_IOERR, "refusing '%s': its "
		    "directory '%s' is world-writable and not sticky",
		    st->path, st->dir);
	return 0;
}

/* Checks fd, from open(path, ...|O_NOFOLLOW): -1 with err unless usable. */
static int
checked_fd(int fd, const char *path, struct bq_err *err)
{
	struct stat sb;

	if (fd == -1 && errno == ELOOP)
		return bq_err_set(err, EXIT_IOERR,
		    "refusing '%s': a symbolic link", path);
	if (fd == -1)
		return bq_err_set(err, EXIT_IOERR, "cannot open '%s': %s",
		    path, strerror(errno));
	if (fstat(fd, &sb) == -1 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return bq_err_set(err, EXIT_IOERR,
		    "refusing '%s': not a regular file", path);
	}
	return fd;
}

/* Reads the state file into sb: 1, 0 when there is none yet, -1 (err). */
static int
read_state(struct ckpt_store *st, struct strbuf *sb, struct bq_err *err)
{
	int fd, rc = 1;

	if (check_dir(st, err) == -1)
		return -1;
	fd = open(st->path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1 && errno == ENOENT)
		return 0;
	if ((fd = checked_fd(fd, st->path, err)) == -1)
		return -1;
	if (util_read_fd(fd, sb) == -1)
		rc = bq_err_set(err, EXIT_IOERR, "cannot read '%s': %s",
		    st->path, strerror(errno));
	close(fd);
	return rc;
}

static int
file_read(struct ckpt_store *st, struct ckpt_record **recs, size_t *nrecs,
    struct bq_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	struct ckpt_record rec;
	cJSON *root = NULL;
	const cJSON *arr, *it;
	int rc = -1, r;

	*recs = NULL;
	*nrecs = 0;
	if ((r = read_state(st, &sb, err)) <= 0) {
		rc = r;		/* 0: none yet, an empty store */
		goto out;
	}
	if ((root = cJSON_ParseWithLength(sb.buf, sb.len)) == NULL) {
		bq_err_set(err, EXIT_DATA, "'%s': invalid JSON", st->path);
		goto out;
	}
	arr = cJSON_GetObjectItemCaseSensitive(root, "checkpoints");
	if (!cJSON_IsArray(arr)) {
		bq_err_set(err, EXIT_DATA, "'%s': no \"checkpoints\" array",
		    st->path);
		goto out;
	}
	cJSON_ArrayForEach(it, arr) {
		if (ckpt_record_decode(it, &rec, err) == -1) {
			ckpt_record_release(&rec);
			bq_err_prefix(err, "'%s'", st->path);
			goto out;
		}
		rec_push(recs, nrecs, &rec);
	}
	rc = 0;
out:
	if (rc == -1) {
		ckpt_records_free(*recs, *nrecs);
		*recs = NULL;
		*nrecs = 0;
	}
	cJSON_Delete(root);
	strbuf_release(&sb);
	return rc;
}

static int
write_all(int fd, const char *buf, size_t len)
{
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, buf, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

/*
 * Replaces the file with recs: a crash at any instant leaves the old or the
 * new file, never a mix (the directory is synced so the rename survives).
 */
static int
file_write_text(struct ckpt_store *st, const struct strbuf *text,
    struct bq_err *err)
{
	const struct strbuf sb = *text;
	const char *what = NULL;
	int fd = -1, dfd = -1, rc = -1;

	/*
	 * A stale temporary file (a writer died) or a link planted there is
	 * removed, never followed: O_EXCL also fails on a link put back
	 * between the unlink and the open.
	 */
	if (unlink(st->tmp) == -1 && errno != ENOENT) {
		what = st->tmp;
		goto out;
	}
	fd = open(st->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600);
	if (fd == -1) {
		what = st->tmp;
		goto out;
	}
	if (write_all(fd, sb.buf, sb.len) == -1 || fsync(fd) == -1) {
		what = st->tmp;
		goto out;
	}
	if (close(fd) == -1) {
		fd = -1;
		what = st->tmp;
		goto out;
	}
	fd = -1;
	if (rename(st->tmp, st->path) == -1) {
		what = st->path;
		goto out;
	}
	if ((dfd = open(st->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fsync(dfd) == -1) {
		what = st->dir;
		goto out;
	}
	rc = 0;
out:
	if (what != NULL)
		bq_err_set(err, EXIT_IOERR, "cannot write '%s': %s", what,
		    strerror(errno));
	if (fd != -1) {
		close(fd);
		unlink(st->tmp);
	}
	if (dfd != -1)
		close(dfd);
	return rc;
}

static int
file_write(struct ckpt_store *st, struct ckpt_record *recs, size_t nrecs,
    struct bq_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	size_t k;
	int rc;

	qsort(recs, nrecs, sizeof(*recs), rec_cmp);
	strbuf_adds(&sb, "{\"checkpoints\":[");
	for (k = 0; k < nrecs; k++) {
		strbuf_adds(&sb, k ? ",\n" : "\n");
		ckpt_record_encode(&recs[k], &sb);
	}
	strbuf_adds(&sb, "\n]}\n");
	rc = file_write_text(st, &sb, err);
	strbuf_release(&sb);
	return rc;
}

static int
file_lock(struct ckpt_store *st, struct bq_err *err)
{
	if (check_dir(st, err) == -1)
		return -1;
	st->lockfd = checked_fd(open(st->lock, O_RDWR | O_CREAT | O_NOFOLLOW |
	    O_CLOEXEC, 0600), st->lock, err);
	if (st->lockfd == -1)
		return -1;
	while (flock(st->lockfd, LOCK_EX) == -1) {
		if (errno == EINTR)
			continue;
		bq_err_set(err, EXIT_IOERR, "cannot lock '%s': %s", st->lock,
		    strerror(errno));
		close(st->lockfd);
		st->lockfd = -1;
		return -1;
	}
	return 0;
}

static void
file_unlock(struct ckpt_store *st)
{
	if (st->lockfd != -1)
		close(st->lockfd);	/* releases the flock */
	st->lockfd = -1;
}

static int
file_update(struct ckpt_store *st, const char *table_id, long i, long n,
    update_fn *fn, void *arg, struct bq_err *err)
{
	struct ckpt_record *recs = NULL, fresh;
	size_t nrecs = 0, k;
	int rc = -1, found = 0, r;

	memset(&fresh, 0, sizeof(fresh));
	if (file_lock(st, err) == -1)
		return -1;
	if (file_read(st, &recs, &nrecs, err) == -1)
		goto out;
	for (k = 0; k < nrecs; k++)
		if (rec_is(&recs[k], table_id, i, n)) {
			found = 1;
			break;
		}
	if (!found) {
		ckpt_record_init(&fresh, table_id, i, n);
		if ((r = fn(&fresh, 0, arg)) == 1)
			rec_push(&recs, &nrecs, &fresh);
	} else
		r = fn(&recs[k], 1, arg);
	if (r == -1)
		goto out;
	if (r == 1 && file_write(st, recs, nrecs, err) == -1)
		goto out;
	rc = 0;
out:
	file_unlock(st);
	ckpt_record_release(&fresh);
	ckpt_records_free(recs, nrecs);
	return rc;
}

/*
 * Whether the stored object o is table_id's record i/n (n == 0: any of
 * table_id), by its key fields alone: reset must work on a record that
 * ckpt_record_decode() refuses.
 */
static int
raw_is(const cJSON *o, const char *table_id, long i, long n)
{
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(o, "tableId");
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(o, "checkpointId");
	char *id;
	int r;

	if (!cJSON_IsString(t) || strcmp(t->valuestring, table_id) != 0)
		return 0;
	if (n == 0)
		return 1;
	if (cJSON_IsString(c)) {
		id = ckpt_record_id(table_id, i, n);
		r = strcmp(c->valuestring, id) == 0;
		free(id);
		return r;
	}
	return cJSON_GetNumberValue(cJSON_GetObjectItem(o, "nodeId")) == i &&
	    cJSON_GetNumberValue(cJSON_GetObjectItem(o, "clusterSize")) == n;
}

static int
file_delete(struct ckpt_store *st, const char *table_id, long i, long n,
    size_t *ndeleted, struct bq_err *err)
{
	struct strbuf sb = STRBUF_INIT, out = STRBUF_INIT;
	cJSON *root = NULL, *arr, *it, *next;
	char *text;
	int rc = -1, r;

	*ndeleted = 0;
	if (file_lock(st, err) == -1)
		return -1;
	if ((r = read_state(st, &sb, err)) <= 0) {
		rc = r;		/* 0: nothing to delete */
		goto out;
	}
	root = cJSON_ParseWithLength(sb.buf, sb.len);
	arr = cJSON_GetObjectItemCaseSensitive(root, "checkpoints");
	if (!cJSON_IsArray(arr)) {
		bq_err_set(err, EXIT_DATA, "'%s': invalid JSON or no "
		    "\"checkpoints\" array", st->path);
		goto out;
	}
	strbuf_adds(&out, "{\"checkpoints\":[");
	for (it = arr->child; it != NULL; it = next) {
		next = it->next;
		if (raw_is(it, table_id, i, n)) {
			(*ndeleted)++;
			continue;
		}
		if ((text = cJSON_PrintUnformatted(it)) == NULL)
			abort();
		strbuf_adds(&out, out.buf[out.len - 1] == '[' ? "\n" : ",\n");
		strbuf_adds(&out, text);
		free(text);
	}
	strbuf_adds(&out, "\n]}\n");
	if (*ndeleted > 0 && file_write_text(st, &out, err) == -1)
		goto out;
	rc = 0;
out:
	file_unlock(st);
	cJSON_Delete(root);
	strbuf_release(&out);
	strbuf_release(&sb);
	return rc;
}

/* --- Harper store ------------------------------------------------------- */

/* Sends a JSON operation built in sb; *out as harper_op(). */
static int
hop(struct ckpt_store *st, struct strbuf *sb, cJSON **out,
    struct bq_err *err)
{
	return harper_op(st->hc, sb->buf, sb->len, out, err);
}

static void
op_begin(struct ckpt_store *st, struct strbuf *sb, const char *op)
{
	const char *db = harper_database(st->hc);

	strbuf_reset(sb);
	strbuf_adds(sb, "{\"operation\":");
	add_str(sb, op);
	strbuf_adds(sb, ",\"database\":");
	add_str(sb, db);
	strbuf_adds(sb, ",\"table\":");
	add_str(sb, st->table);
}

static int
harper_exists(struct ckpt_store *st, struct bq_err *err)
{
	int r;

	if (st->exists == -1) {
		if ((r = harper_describe_table(st->hc, st->table, NULL,
		    err)) == -1)
			return -1;
		st->exists = r;
	}
	return st->exists;
}

/*
 * Every field is declared: SQL (SELECT *, the monitoring queries) sees only
 * the declared attributes of a table with a schema; two are indexed.
 */
static int
harper_create(struct ckpt_store *st, struct bq_err *err)
{
	static const char *plain[] = { "clusterSize", "worker",
	    "lastTimestamp", "recordsIngested", "lastSyncTime", "phase",
	    "batchSize", "lastError", "lastErrorAt", "bytesBilled",
	    "billingDay", "bytesBilledDay" };
	struct strbuf sb = STRBUF_INIT;
	struct bq_err e2 = BQ_ERR_INIT;
	size_t k;
	int rc = -1;

	if (harper_exists(st, err) == -1)
		goto out;
	if (st->exists) {
		rc = 0;
		goto out;
	}
	op_begin(st, &sb, "create_table");
	strbuf_adds(&sb, ",\"primary_key\":\"checkpointId\",\"attributes\":["
	    "{\"name\":\"checkpointId\",\"isPrimaryKey\":true},"
	    "{\"name\":\"tableId\",\"indexed\":true},"
	    "{\"name\":\"nodeId\",\"indexed\":true}");
	for (k = 0; k < sizeof(plain) / sizeof(plain[0]); k++)
		strbuf_addf(&sb, ",{\"name\":\"%s\"}", plain[k]);
	strbuf_adds(&sb, "]}");
	if (hop(st, &sb, NULL, err) == -1) {
		/* Another worker may have created it meanwhile. */
		st->exists = -1;
		if (harper_exists(st, &e2) != 1)
			goto out;
		bq_err_clear(err);
	}
	st->exists = 1;
	bqsync_log(BQ_LOG_DEBUG, "created table '%s.%s'",
	    harper_database(st->hc), st->table);
	rc = 0;
out:
	strbuf_release(&sb);
	return rc;
}

static int
decode_array(const cJSON *arr, const char *table_id, struct ckpt_record **recs,
    size_t *nrecs, struct bq_err *err)
{
	const cJSON *it;
	struct ckpt_record rec;

	if (!cJSON_IsArray(arr))
		return bq_err_set(err, EXIT_DATA,
		    "unexpected answer from Harper (not an array)");
	cJSON_ArrayForEach(it, arr) {
		if (ckpt_record_decode(it, &rec, err) == -1) {
			ckpt_record_release(&rec);
			return -1;
		}
		if (table_id != NULL && strcmp(rec.table_id, table_id) != 0) {
			ckpt_record_release(&rec);
			continue;
		}
		rec_push(recs, nrecs, &rec);
	}
	return 0;
}

static int
harper_list(struct ckpt_store *st, const char *table_id,
    struct ckpt_record **recs, size_t *nrecs, struct bq_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	cJSON *out = NULL;
	int rc = -1, r;

	if ((r = harper_exists(st, err)) <= 0) {
		rc = r;
		goto out;
	}
	op_begin(st, &sb, "search_by_value");
	strbuf_adds(&sb, ",\"search_attribute\":\"tableId\",\"search_value\":");
	add_str(&sb, table_id ? table_id : "*");
	strbuf_adds(&sb, ",\"get_attributes\":[\"*\"]}");
	if (hop(st, &sb, &out, err) == -1 ||
	    decode_array(out, table_id, recs, nrecs, err) == -1)
		goto out;
	rc = 0;
out:
	if (rc == -1) {
		ckpt_records_free(*recs, *nrecs);
		*recs = NULL;
		*nrecs = 0;
	}
	cJSON_Delete(out);
	strbuf_release(&sb);
	return rc;
}

static int
harper_get(struct ckpt_store *st, const char *table_id, long i, long n,
    struct ckpt_record *rec, struct bq_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	struct ckpt_record *recs = NULL;
	size_t nrecs = 0;
	cJSON *out = NULL;
	char *id = ckpt_record_id(table_id, i, n);
	int rc = -1, r;

	if ((r = harper_exists(st, err)) <= 0) {
		rc = r;
		goto out;
	}
	op_begin(st, &sb, "search_by_hash");
	strbuf_adds(&sb, ",\"hash_values\":[");
	add_str(&sb, id);
	strbuf_adds(&sb, "],\"get_attributes\":[\"*\"]}");
	if (hop(st, &sb, &out, err) == -1 ||
	    decode_array(out, table_id, &recs, &nrecs, err) == -1)
		goto out;
	rc = 0;
	if (nrecs > 0 && rec_is(&recs[0], table_id, i, n)) {
		*rec = recs[0];
		memset(&recs[0], 0, sizeof(recs[0]));
		rc = 1;
	}
out:
	ckpt_records_free(recs, nrecs);
	cJSON_Delete(out);
	strbuf_release(&sb);
	free(id);
	return rc;
}

static int
harper_put(struct ckpt_store *st, const struct ckpt_record *rec,
    struct bq_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	int rc = -1;

	if (harper_create(st, err) == -1)
		goto out;
	strbuf_addch(&sb, '[');
	ckpt_record_encode(rec, &sb);
	strbuf_addch(&sb, ']');
	rc = harper_upsert(st->hc, st->table, sb.buf, sb.len, err);
out:
	strbuf_release(&sb);
	return rc;
}

static int
harper_update(struct ckpt_store *st, const char *table_id, long i, long n,
    update_fn *fn, void *arg, struct bq_err *err)
{
	struct ckpt_record rec;
	int found, r, rc = -1;

	memset(&rec, 0, sizeof(rec));
	if ((found = harper_get(st, table_id, i, n, &rec, err)) == -1)
		goto out;
	if (!found)
		ckpt_record_init(&rec, table_id, i, n);
	if ((r = fn(&rec, found, arg)) == -1)
		goto out;
	if (r == 1 && harper_put(st, &rec, err) == -1)
		goto out;
	rc = 0;
out:
	ckpt_record_release(&rec);
	return rc;
}

/*
 * Deletes by key: the ids are found without decoding the records, so a
 * record the reader refuses can still be deleted.
 */
static int
harper_delete(struct ckpt_store *st, const char *table_id, long i, long n,
    size_t *ndeleted, struct bq_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	cJSON *out = NULL;
	const cJSON *it;
	char *id = NULL;
	int rc = -1, r;

	*ndeleted = 0;
	if ((r = harper_exists(st, err)) <= 0) {
		rc = r;
		goto out;
	}
	if (n != 0) {
		id = ckpt_record_id(table_id, i, n);
		op_begin(st, &sb, "search_by_hash");
		strbuf_adds(&sb, ",\"hash_values\":[");
		add_str(&sb, id);
		strbuf_adds(&sb, "]");
	} else {
		op_begin(st, &sb, "search_by_value");
		strbuf_adds(&sb, ",\"search_attribute\":\"tableId\","
		    "\"search_value\":");
		add_str(&sb, table_id);
	}
	strbuf_adds(&sb, ",\"get_attributes\":[\"checkpointId\","
	    "\"tableId\"]}");
	if (hop(st, &sb, &out, err) == -1)
		goto out;
	op_begin(st, &sb, "delete");
	strbuf_adds(&sb, ",\"ids\":[");
	cJSON_ArrayForEach(it, out) {
		const cJSON *c = cJSON_GetObjectItem(it, "checkpointId");
		const cJSON *t = cJSON_GetObjectItem(it, "tableId");

		if (!cJSON_IsString(c) || !cJSON_IsString(t) ||
		    strcmp(t->valuestring, table_id) != 0 ||
		    (id != NULL && strcmp(c->valuestring, id) != 0))
			continue;
		if (*ndeleted > 0)
			strbuf_addch(&sb, ',');
		add_str(&sb, c->valuestring);
		(*ndeleted)++;
	}
	strbuf_adds(&sb, "]}");
	if (*ndeleted > 0 && hop(st, &sb, NULL, err) == -1)
		goto out;
	rc = 0;
out:
	cJSON_Delete(out);
	free(id);
	strbuf_release(&sb);
	return rc;
}

/* --- the store API ------------------------------------------------------ */

struct ckpt_store *
ckpt_store_new(const struct config *cfg, struct bq_err *err)
{
	struct ckpt_store *st;
	const char *kind = cfg->ckpt_store ? cfg->ckpt_store : "file";
	const char *slash;

	st = xcalloc(1, sizeof(*st));
	st->lockfd = -1;
	st->exists = -1;
	if (strcmp(kind, "file") == 0) {
		st->kind = STORE_FILE;
		st->path = xstrdup(cfg->ckpt_path && *cfg->ckpt_path ?
		    cfg->ckpt_path : "bqsync-state.json");
		st->tmp = xstrfmt("%s.tmp", st->path);
		st->lock = xstrfmt("%s.lock", st->path);
		if ((slash = strrchr(st->path, '/')) == NULL)
			st->dir = xstrdup(".");
		else if (slash == st->path)
			st->dir = xstrdup("/");
		else
			st->dir = xstrndup(st->path,
			    (size_t)(slash - st->path));
	} else if (strcmp(kind, "harper") == 0) {
		st->kind = STORE_HARPER;
		st->table = xstrdup(cfg->ckpt_table && *cfg->ckpt_table ?
		    cfg->ckpt_table : "SyncCheckpoint");
		if ((st->hc = harper_client_new(cfg, err)) == NULL) {
			ckpt_store_free(st);
			return NULL;
		}
	} else {
		bq_err_set(err, EXIT_CONFIG,
		    "checkpoint store '%s': not \"file\" or \"harper\"", kind);
		ckpt_store_free(st);
		return NULL;
	}
	return st;
}

void
ckpt_store_free(struct ckpt_store *st)
{
	if (st == NULL)
		return;
	file_unlock(st);
	harper_client_free(st->hc);
	free(st->table);
	free(st->dir);
	free(st->lock);
	free(st->tmp);
	free(st->path);
	free(st);
}

int
ckpt_list(struct ckpt_store *st, const char *table_id,
    struct ckpt_record **recs, size_t *nrecs, struct bq_err *err)
{
	struct ckpt_record *all = NULL;
	size_t nall = 0, k, kept = 0;

	*recs = NULL;
	*nrecs = 0;
	if (st->kind == STORE_HARPER) {
		if (harper_list(st, table_id, &all, &nall, err) == -1)
			return -1;
	} else {
		if (file_read(st, &all, &nall, err) == -1)
			return -1;
		for (k = 0; k < nall; k++) {
			if (table_id == NULL ||
			    strcmp(all[k].table_id, table_id) == 0)
				all[kept++] = all[k];
			else
				ckpt_record_release(&all[k]);
		}
		nall = kept;
	}
	if (nall > 0)
		qsort(all, nall, sizeof(*all), rec_cmp);
	*recs = all;
	*nrecs = nall;
	return 0;
}

int
ckpt_load(struct ckpt_store *st, const char *table_id, long i, long n,
    struct ckpt_record *rec, struct bq_err *err)
{
	struct ckpt_record *recs = NULL;
	size_t nrecs = 0, k;
	int rc = 0;

	if (st->kind == STORE_HARPER)
		return harper_get(st, table_id, i, n, rec, err);
	if (ckpt_list(st, table_id, &recs, &nrecs, err) == -1)
		return -1;
	for (k = 0; k < nrecs; k++)
		if (rec_is(&recs[k], table_id, i, n)) {
			*rec = recs[k];
			memset(&recs[k], 0, sizeof(recs[k]));
			rc = 1;
			break;
		}
	ckpt_records_free(recs, nrecs);
	return rc;
}

static int
update(struct ckpt_store *st, const char *table_id, long i, long n,
    update_fn *fn, void *arg, struct bq_err *err)
{
	if (st->kind == STORE_HARPER)
		return harper_update(st, table_id, i, n, fn, arg, err);
	return file_update(st, table_id, i, n, fn, arg, err);
}

static int
replace_fn(struct ckpt_record *rec, int found, void *arg)
{
	const struct ckpt_record *src = arg;

	(void)found;
	free(rec->worker);
	rec->worker = src->worker ? xstrdup(src->worker) : NULL;
	rec->has_cursor = src->has_cursor;
	rec->cursor = src->cursor;
	rec->records = src->records;
	rec->has_sync = src->has_sync;
	rec->last_sync = src->last_sync;
	rec->phase = src->phase;
	rec->batch_size = src->batch_size;
	free(rec->last_error);
	rec->last_error = src->last_error ? xstrdup(src->last_error) : NULL;
	rec->has_error_at = src->has_error_at;
	rec->last_error_at = src->last_error_at;
	rec->bytes_billed = src->bytes_billed;
	memcpy(rec->billing_day, src->billing_day, sizeof(rec->billing_day));
	rec->bytes_billed_day = src->bytes_billed_day;
	return 1;
}

int
ckpt_save(struct ckpt_store *st, const struct ckpt_record *rec,
    struct bq_err *err)
{
	if (rec->node_id < 0 || rec->node_id >= rec->cluster_size)
		return bq_err_set(err, EXIT_DATA, "checkpoint: bad worker");
	if (st->kind == STORE_HARPER)
		return harper_put(st, rec, err);
	return update(st, rec->table_id, rec->node_id, rec->cluster_size,
	    replace_fn, (void *)rec, err);
}

int
ckpt_delete(struct ckpt_store *st, const char *table_id, long i, long n,
    size_t *ndeleted, struct bq_err *err)
{
	size_t nd = 0;
	int rc;

	if (st->kind == STORE_HARPER)
		rc = harper_delete(st, table_id, i, n, &nd, err);
	else
		rc = file_delete(st, table_id, i, n, &nd, err);
	if (ndeleted != NULL)
		*ndeleted = nd;
	return rc;
}

struct advance_arg {
	const struct config_sync *sync;
	const struct ckpt_update *up;
	int	 moved;
	int	 set;		/* ckpt_set: any direction, no rows, no sync */
	struct bq_err *err;
};

/* *acc += add within [0, CKPT_MAX_COUNT]; -1 (acc untouched) if not. */
static int
add_count(long long *acc, long long add)
{
	long long r;

	if (add < 0 || __builtin_add_overflow(*acc, add, &r) ||
	    r > CKPT_MAX_COUNT)
		return -1;
	*acc = r;
	return 0;
}

/* Adds bytes billed, to the total and to the UTC day of now. */
static int
add_billed(struct ckpt_record *rec, long long billed, int64_t now)
{
	char day[TS_BUFSZ];
	long long total = rec->bytes_billed, today;

	ts_format(now, day);
	day[10] = '\0';
	today = strcmp(rec->billing_day, day) == 0 ? rec->bytes_billed_day : 0;
	if (add_count(&total, billed) == -1 || add_count(&today, billed) == -1)
		return -1;
	rec->bytes_billed = total;
	rec->bytes_billed_day = today;
	memcpy(rec->billing_day, day, sizeof(rec->billing_day));
	return 0;
}

static int
advance_fn(struct ckpt_record *rec, int found, void *arg)
{
	struct advance_arg *a = arg;
	const struct ckpt_update *up = a->up;
	long long records = rec->records;

	(void)found;
	a->moved = 0;
	if (add_count(&records, up->rows) == -1 || (!a->set &&
	    add_billed(rec, up->billed, up->now) == -1))
		return bq_err_set(a->err, EXIT_DATA, "checkpoint '%s' "
		    "%ld/%ld: a count would pass %lld", rec->table_id,
		    rec->node_id, rec->cluster_size, CKPT_MAX_COUNT);
	rec->records = records;
	if (up->has_cursor && (a->set || !rec->has_cursor ||
	    up->cursor > rec->cursor)) {
		a->moved = !rec->has_cursor || up->cursor != rec->cursor;
		rec->has_cursor = 1;
		rec->cursor = up->cursor;
	}
	if (up->worker != NULL) {
		free(rec->worker);
		rec->worker = xstrdup(up->worker);
	}
	if (!a->set) {
		rec->has_sync = 1;
		rec->last_sync = up->now;
		free(rec->last_error);
		rec->last_error = up->error ? xstrdup(up->error) : NULL;
		rec->has_error_at = up->error != NULL;
		rec->last_error_at = up->error ? up->now : 0;
	}
	rec->phase = !a->set && up->caught_up ? CKPT_STEADY :
	    ckpt_phase_for(a->sync, rec->has_cursor, rec->cursor, up->now);
	rec->batch_size = ckpt_batch_size(a->sync, rec->phase);
	return 1;
}

int
ckpt_advance(struct ckpt_store *st, const struct config_sync *sync,
    const char *table_id, long i, long n, const struct ckpt_update *up,
    int *moved, struct bq_err *err)
{
	struct advance_arg a = { sync, up, 0, 0, err };

	if (update(st, table_id, i, n, advance_fn, &a, err) == -1)
		return -1;
	if (moved != NULL)
		*moved = a.moved;
	return 0;
}

int
ckpt_set(struct ckpt_store *st, const struct config_sync *sync,
    const char *table_id, long i, long n, const char *worker,
    int64_t cursor, int64_t now, struct bq_err *err)
{
	struct ckpt_update up = { worker, 1, cursor, 0, now, 0, 0, NULL };
	struct advance_arg a = { sync, &up, 0, 1, err };

	return update(st, table_id, i, n, advance_fn, &a, err);
}

int
ckpt_start(struct ckpt_store *st, const char *table_id, long i, long n,
    struct ckpt_start *start, struct bq_err *err)
{
	struct ckpt_record *recs = NULL;
	size_t nrecs = 0, k, j;
	long layout, have, withcur;
	int64_t min;

	memset(start, 0, sizeof(*start));
	if (ckpt_list(st, table_id, &recs, &nrecs, err) == -1)
		return -1;
	for (k = 0; k < nrecs; k++)
		if (rec_is(&recs[k], table_id, i, n) && recs[k].has_cursor) {
			/* (a record that only counts rows has no cursor yet) */
			start->has_cursor = 1;
			start->cursor = recs[k].cursor;
			goto out;
		}
	/*
	 * recs are sorted by N then i and unique: a layout is complete when
	 * it has N records, all with a cursor.  Each of its workers committed
	 * its share up to its own cursor, so everything up to the layout's
	 * minimum is in Harper; the largest such minimum is the best start.
	 */
	for (k = 0; k < nrecs; k = j) {
		layout = recs[k].cluster_size;
		min = INT64_MAX;
		for (j = k, have = withcur = 0; j < nrecs &&
		    recs[j].cluster_size == layout; j++, have++) {
			if (!recs[j].has_cursor)
				continue;
			withcur++;
			if (recs[j].cursor < min)
				min = recs[j].cursor;
		}
		if (layout == n)
			continue;
		if (withcur != layout) {
			bqsync_log(BQ_LOG_WARN, "'%s': layout of %ld workers is "
			    "incomplete (%ld have a cursor), not resuming from "
			    "it", table_id, layout, withcur);
			continue;
		}
		if (!start->rebalanced || min > start->cursor) {
			start->rebalanced = 1;
			start->has_cursor = 1;
			start->cursor = min;
			start->from_n = layout;
		}
	}
out:
	ckpt_records_free(recs, nrecs);
	return 0;
}

void
ckpt_start_format(const struct ckpt_start *s, const char *table_id, long i,
    long n, const struct config_sync *sync, int64_t now,
    enum ckpt_format fmt, struct strbuf *sb)
{
	enum ckpt_phase ph;
	char cur[TS_BUFSZ] = "";
	const char *name;
	long batch;
	double poll;

	if (s->has_cursor)
		ts_format(s->cursor, cur);
	ph = ckpt_phase_for(sync, s->has_cursor, s->cursor, now);
	name = ckpt_phase_name(ph);
	batch = ckpt_batch_size(sync, ph);
	poll = ckpt_poll_interval(sync, ph);
	switch (fmt) {
	case CKPT_FMT_PHASE:
		strbuf_addf(sb, "%s\n", name);
		break;
	case CKPT_FMT_BATCH:
		strbuf_addf(sb, "%ld\n", batch);
		break;
	case CKPT_FMT_POLL:
		strbuf_addf(sb, "%g\n", poll);
		break;
	case CKPT_FMT_SH:
		strbuf_addf(sb, "BQSYNC_CURSOR='%s'\nBQSYNC_PHASE=%s\n"
		    "BQSYNC_BATCH_SIZE=%ld\nBQSYNC_POLL_INTERVAL=%g\n", cur,
		    name, batch, poll);
		break;
	case CKPT_FMT_JSON:
		strbuf_adds(sb, "{\"table\":");
		add_str(sb, table_id);
		strbuf_addf(sb, ",\"worker\":\"%ld/%ld\",\"cursor\":", i, n);
		add_str(sb, s->has_cursor ? cur : NULL);
		strbuf_addf(sb, ",\"phase\":\"%s\",\"batchSize\":%ld,"
		    "\"pollInterval\":%g,\"rebalanced\":%s}\n", name, batch,
		    poll, s->rebalanced ? "true" : "false");
		break;
	default:
		strbuf_addf(sb, "%s\n", cur);
		break;
	}
}

/* A lag for humans: 42s, 5m03s, 2h05m, 3d04h; "-" without a cursor. */
static void
human_lag(const struct ckpt_record *r, int64_t now, char *buf, size_t sz)
{
	long long s = (now - r->cursor) / 1000000;

	if (!r->has_cursor)
		snprintf(buf, sz, "-");
	else if (s < 120)
		snprintf(buf, sz, "%llds", s);
	else if (s < 7200)
		snprintf(buf, sz, "%lldm%02llds", s / 60, s % 60);
	else if (s < 172800)
		snprintf(buf, sz, "%lldh%02lldm", s / 3600, s / 60 % 60);
	else
		snprintf(buf, sz, "%lldd%02lldh", s / 86400, s / 3600 % 24);
}

void
ckpt_status_format(const struct ckpt_record *recs, size_t n,
    const struct config *cfg, int64_t now, int text, struct strbuf *sb)
{
	const struct ckpt_record *r;
	const struct config_table *t;
	const struct config_sync *sync;
	struct bq_err err = BQ_ERR_INIT;
	char cur[TS_BUFSZ], syn[TS_BUFSZ], lag[32], wk[48];
	int tw = 5, ww = 6;
	size_t k;

	for (k = 0; k < n; k++) {
		if ((int)strlen(recs[k].table_id) > tw)
			tw = (int)strlen(recs[k].table_id);
		if (recs[k].worker && (int)strlen(recs[k].worker) > ww)
			ww = (int)strlen(recs[k].worker);
	}
	if (text)
		strbuf_addf(sb, "%-*s %-7s %-*s %-27s %-7s %-7s %12s %-27s "
		    "%14s %s\n", tw, "TABLE", "WORKER", ww, "NAME", "CURSOR",
		    "LAG", "PHASE", "ROWS", "LAST SYNC", "BYTES BILLED",
		    "LAST ERROR");
	for (k = 0; k < n; k++) {
		r = &recs[k];
		t = config_table(cfg, r->table_id, &err);
		sync = t != NULL ? &t->sync : &cfg->sync;
		if (!text) {
			ckpt_status_encode(r, sync, now, sb);
			strbuf_addch(sb, '\n');
			continue;
		}
		human_lag(r, now, lag, sizeof(lag));
		snprintf(wk, sizeof(wk), "%ld/%ld", r->node_id,
		    r->cluster_size);
		strbuf_addf(sb, "%-*s %-7s %-*s %-27s %-7s %-7s %12lld %-27s "
		    "%14lld %s\n", tw, r->table_id, wk, ww,
		    r->worker ? r->worker : "-",
		    r->has_cursor ? ts_format(r->cursor, cur) : "-", lag,
		    ckpt_phase_name(ckpt_record_phase(r, sync, now)),
		    r->records, r->has_sync ? ts_format(r->last_sync, syn) :
		    "-", r->bytes_billed, r->last_error ? r->last_error : "-");
	}
}
