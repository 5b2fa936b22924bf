#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <yaml.h>

#include "config.h"
#include "util.h"
#include "banned.h"

/*
 * The file is loaded with libyaml's document API and walked block by
 * block.  Most keys are described by a table of (name, kind, offset) so a
 * new key is one line; the few with structure (tables, per-table sync,
 * synthesizer.tables) have their own functions.  Defaults that depend on
 * other keys (a table's dataset, the per-table sync merge) are resolved
 * after the whole file and the environment have been read, so key order in
 * the file does not matter.
 */

enum kind {
	K_STR,		/* string */
	K_NAME,		/* column name: no control chars or '`' */
	K_TABLE,	/* table, dataset, project, database: config_name_error() */
	K_POS,		/* long > 0 */
	K_NONNEG,	/* long >= 0 */
	K_DUR,		/* duration, bare number = seconds */
	K_DUR_MS,	/* duration, bare number = milliseconds */
	K_DUR_H,	/* duration, bare number = hours */
	K_DUR_POS,	/* duration > 0, bare number = seconds */
	K_SIZE,		/* byte count, bare or with KiB/MiB/GiB */
	K_BILL,		/* byte count >= 10 MiB (BigQuery's least bill) */
	K_BOOL,
	K_U64,		/* unsigned long long, any */
	K_SPECIAL	/* handled by the block's own code */
};

/* Numbers must lie in [min, max] (seconds for durations, see config.h). */
struct key {
	const char	*name;
	enum kind	 kind;
	size_t		 off;
	double		 min;
	double		 max;
};

#define DUR_MAX		CONFIG_DURATION_MAX

#define CO(f)	offsetof(struct config, f)
#define SO(f)	offsetof(struct config_sync, f)
#define TO(f)	offsetof(struct config_table, f)
#define YO(f)	offsetof(struct config_synth, f)

static const struct key bigquery_keys[] = {
	{ "projectId", K_TABLE, CO(project), 0, 0 },
	{ "dataset", K_TABLE, CO(dataset), 0, 0 },
	{ "table", K_SPECIAL, 0, 0, 0 },
	{ "timestampColumn", K_SPECIAL, 0, 0, 0 },
	{ "columns", K_SPECIAL, 0, 0, 0 },
	{ "credentials", K_STR, CO(credentials), 0, 0 },
	{ "location", K_STR, CO(location), 0, 0 },
	{ "partition", K_SPECIAL, 0, 0, 0 },
	{ "maxRetries", K_NONNEG, CO(max_retries), 0, CONFIG_RETRIES_MAX },
	{ "retryDeadline", K_DUR, CO(retry_deadline), 0, DUR_MAX },
	{ "apiUrl", K_STR, CO(api_url), 0, 0 },
	{ "maximumBytesBilled", K_BILL, CO(max_bytes_billed), 0, 0 },
	{ "dailyBytesLimit", K_BILL, CO(daily_bytes_limit), 0, 0 },
	{ "tables", K_SPECIAL, 0, 0, 0 },
	{ NULL, 0, 0, 0, 0 }
};

/* The index of a key here is its bit in a per-table override mask. */
static const struct key sync_keys[] = {
	{ "initialBatchSize", K_POS, SO(initial_batch), 1, CONFIG_BATCH_MAX },
	{ "catchupBatchSize", K_POS, SO(catchup_batch), 1, CONFIG_BATCH_MAX },
	{ "steadyBatchSize", K_POS, SO(steady_batch), 1, CONFIG_BATCH_MAX },
	{ "initialPollInterval", K_DUR_MS, SO(initial_poll), 0, DUR_MAX },
	{ "catchupPollInterval", K_DUR_MS, SO(catchup_poll), 0, DUR_MAX },
	{ "pollInterval", K_DUR_MS, SO(steady_poll), 0, DUR_MAX },
	{ "catchupThreshold", K_DUR, SO(catchup_threshold), 0, DUR_MAX },
	{ "steadyThreshold", K_DUR, SO(steady_threshold), 0, DUR_MAX },
	{ "lookback", K_DUR, SO(lookback), 0, DUR_MAX },
	{ "startTimestamp", K_STR, SO(start_timestamp), 0, 0 },
	{ "topologyInterval", K_DUR, SO(topology_interval), 0, DUR_MAX },
	{ "topologyGrace", K_DUR, SO(topology_grace), 0, DUR_MAX },
	{ NULL, 0, 0, 0, 0 }
};

static const struct key table_keys[] = {
	{ "id", K_TABLE, TO(id), 0, 0 },
	{ "projectId", K_TABLE, TO(project), 0, 0 },
	{ "dataset", K_TABLE, TO(dataset), 0, 0 },
	{ "table", K_TABLE, TO(table), 0, 0 },
	{ "timestampColumn", K_NAME, TO(timestamp_column), 0, 0 },
	{ "columns", K_SPECIAL, 0, 0, 0 },
	{ "targetTable", K_TABLE, TO(target_table), 0, 0 },
	{ "idColumns", K_SPECIAL, 0, 0, 0 },
	{ "idColumn", K_NAME, TO(id_column), 0, 0 },
	{ "indexes", K_SPECIAL, 0, 0, 0 },
	{ "sync", K_SPECIAL, 0, 0, 0 },
	{ NULL, 0, 0, 0, 0 }
};

static const struct key harper_keys[] = {
	{ "url", K_STR, CO(harper_url), 0, 0 },
	{ "database", K_TABLE, CO(harper_database), 0, 0 },
	{ "username", K_STR, CO(harper_username), 0, 0 },
	{ "password", K_SPECIAL, 0, 0, 0 },
	{ "batchRows", K_POS, CO(batch_rows), 1, CONFIG_BATCH_ROWS_MAX },
	{ "batchBytes", K_SIZE, CO(batch_bytes), CONFIG_BATCH_BYTES_MIN,
	    CONFIG_BATCH_BYTES_MAX },
	{ "inFlight", K_POS, CO(in_flight), 1, CONFIG_IN_FLIGHT_MAX },
	{ "timeout", K_DUR_POS, CO(http_timeout), 0, DUR_MAX },
	{ "retryDeadline", K_DUR, CO(harper_deadline), 0, DUR_MAX },
	{ "replicationSettle", K_DUR, CO(replication_settle), 0, DUR_MAX },
	{ NULL, 0, 0, 0, 0 }
};

static const struct key checkpoint_keys[] = {
	{ "store", K_SPECIAL, 0, 0, 0 },
	{ "path", K_STR, CO(ckpt_path), 0, 0 },
	{ "table", K_TABLE, CO(ckpt_table), 0, 0 },
	{ "auditTable", K_TABLE, CO(audit_table), 0, 0 },
	{ NULL, 0, 0, 0, 0 }
};

static const struct key synth_keys[] = {
	{ "dataset", K_TABLE, YO(dataset), 0, 0 },
	{ "vessels", K_POS, YO(vessels), 1, CONFIG_VESSELS_MAX },
	{ "totalVessels", K_POS, YO(vessels), 1, CONFIG_VESSELS_MAX },
	{ "batchSize", K_POS, YO(batch_size), 1, CONFIG_SYNTH_BATCH_MAX },
	{ "generationInterval", K_DUR_POS, YO(interval), 0, DUR_MAX },
	{ "generationIntervalMs", K_DUR_MS, YO(interval), 0, DUR_MAX },
	{ "retentionDays", K_POS, YO(retention_days), 1, CONFIG_DAYS_MAX },
	{ "cleanupInterval", K_DUR_POS, YO(cleanup_interval), 0,
	    DUR_MAX },
	{ "cleanupIntervalHours", K_DUR_H, YO(cleanup_interval), 0,
	    DUR_MAX },
	{ "loadRows", K_POS, YO(load_rows), 1, CONFIG_LOAD_ROWS_MAX },
	{ "streaming", K_BOOL, YO(streaming), 0, 0 },
	{ "seed", K_U64, YO(seed), 0, 0 },
	{ "tables", K_SPECIAL, 0, 0, 0 },
	{ NULL, 0, 0, 0, 0 }
};

static const struct key synth_table_keys[] = {
	{ "positions", K_TABLE, YO(positions_table), 0, 0 },
	{ "events", K_TABLE, YO(events_table), 0, 0 },
	{ "metadata", K_TABLE, YO(metadata_table), 0, 0 },
	{ NULL, 0, 0, 0, 0 }
};

/* A table's sync: block, merged over the global one at the end. */
struct sync_override {
	struct config_sync s;
	unsigned	 mask;
};

struct parser {
	const char	*file;		/* name used in messages */
	yaml_document_t	*doc;
	struct config	*cfg;
	struct bq_err	*err;
	struct sync_override gsync;	/* the global sync: block */
	struct sync_override *over;	/* parallel to cfg->tables */
	int		 have_tables;
	int		 tables_line;
	char		*bq_table;	/* legacy single-table form */
	int		 bq_table_line;
	char		*bq_ts;
	char		**bq_columns;
	size_t		 bq_ncolumns;
	int		 password_in_file;
	int		 nunknown;	/* unknown keys, all reported */
	char		 first_unknown[256];
	int		 component_warned;
	char		*op_host;	/* the plugin's operations: block */
	char		*op_port;
};

static int
line_of(const yaml_node_t *n)
{
	return n != NULL ? (int)n->start_mark.line + 1 : 0;
}

static int
fail_at(struct parser *p, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
fail_at(struct parser *p, const yaml_node_t *n, const char *fmt, ...)
{
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return bq_err_set(p->err, EXIT_CONFIG, "%s:%d: %s", p->file,
	    line_of(n), msg);
}

/*
 * An unknown key is reported and the walk goes on, so one run lists them
 * all: the first becomes the error, later ones are logged (with the first).
 */
static int
unknown_key(struct parser *p, const yaml_node_t *k, const char *path)
{
	char msg[256];

	snprintf(msg, sizeof(msg), "%s:%d: unknown key '%s'", p->file,
	    line_of(k), path);
	if (p->nunknown++ == 0) {
		memcpy(p->first_unknown, msg, sizeof(msg));
		return 0;
	}
	if (p->nunknown == 2)
		bqsync_log(BQ_LOG_ERROR, "%s", p->first_unknown);
	bqsync_log(BQ_LOG_ERROR, "%s", msg);
	return 0;
}

static const char *
scalar(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

/* A plain empty, "~" or "null" scalar: the key keeps its default. */
static int
is_null(const yaml_node_t *n)
{
	const char *s;

	if (n->type != YAML_SCALAR_NODE ||
	    n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	s = scalar(n);
	return s[0] == '\0' || strcmp(s, "~") == 0 ||
	    strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
	    strcmp(s, "NULL") == 0;
}

static const char *
node_kind(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return "a value";
	}
}

static int
want_scalar(struct parser *p, const char *path, const yaml_node_t *n,
    const char *what)
{
	if (n->type == YAML_SCALAR_NODE)
		return 0;
	return fail_at(p, n, "key '%s': expected %s, got %s", path, what,
	    node_kind(n));
}

/* The message quotes the value, cut to 60 bytes and kept on one line. */
static int
bad_value(struct parser *p, const char *path, const yaml_node_t *n,
    const char *what)
{
	char shown[61];
	size_t i;

	for (i = 0; i < sizeof(shown) - 1 && scalar(n)[i] != '\0'; i++)
		shown[i] = (unsigned char)scalar(n)[i] < 0x20 ? '?' :
		    scalar(n)[i];
	shown[i] = '\0';
	return fail_at(p, n, "key '%s': expected %s, got '%s'", path, what,
	    shown);
}

/* Parses a number with an optional unit; bare is the scale of no unit. */
static double
parse_duration(const char *s, double bare)
{
	static const struct {
		const char	*unit;
		double		 scale;
	} units[] = {
		{ "ms", 0.001 }, { "s", 1 }, { "m", 60 }, { "h", 3600 },
		{ "d", 86400 }
	};
	char *end;
	double v;
	size_t i;

	if (s == NULL || !((*s >= '0' && *s <= '9') || *s == '.'))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	/* Plain decimals only: no hex, exponent, "inf" or "nan". */
	if (errno != 0 || end == s || !isfinite(v) || v < 0 ||
	    (size_t)(end - s) != strspn(s, "0123456789."))
		return -1;
	while (*end == ' ')
		end++;
	if (*end == '\0')
		return v * bare;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(end, units[i].unit) == 0)
			return v * units[i].scale;
	return -1;
}

double
config_parse_duration(const char *s)
{
	return parse_duration(s, 1);
}

static int
parse_long(const char *s, long min, long *out)
{
	char *end;
	long v;

	if (s == NULL || !((*s >= '0' && *s <= '9') || *s == '-' || *s == '+'))
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);	/* too large: LONG_MAX, out of any range */
	if ((errno != 0 && errno != ERANGE) || end == s || *end != '\0' ||
	    v < min)
		return -1;
	*out = v;
	return 0;
}

static int
parse_size(const char *s, long *out)
{
	static const struct {
		const char	*unit;
		long		 scale;
	} units[] = {
		{ "", 1 }, { "B", 1 }, { "K", 1L << 10 }, { "KiB", 1L << 10 },
		{ "M", 1L << 20 }, { "MiB", 1L << 20 }, { "G", 1L << 30 },
		{ "GiB", 1L << 30 }, { "T", 1L << 40 }, { "TiB", 1L << 40 }
	};
	char *end;
	long v;
	size_t i;

	if (s == NULL || *s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);	/* too large: LONG_MAX, out of any range */
	if ((errno != 0 && errno != ERANGE) || v <= 0)
		return -1;
	while (*end == ' ')
		end++;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].unit) != 0)
			continue;
		*out = v > LONG_MAX / units[i].scale ? LONG_MAX :
		    v * units[i].scale;
		return 0;
	}
	return -1;
}

static int
parse_bool(const char *s, int *out)
{
	static const char *const yes[] = { "true", "yes", "on" };
	static const char *const no[] = { "false", "no", "off" };
	size_t i;

	for (i = 0; i < 3; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			return *out = 1, 0;
		if (strcasecmp(s, no[i]) == 0)
			return *out = 0, 0;
	}
	return -1;
}

/*
 * Names end up in SQL (BigQuery, quoted with backticks) and Harper
 * operations; refuse what no quoting survives.
 */
static int
valid_name(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f || *s == '`')
			return 0;
	return 1;
}

/* "expected an integer from 1 to 64, got '100'" for kd's bounds. */
static int
out_of_range(struct parser *p, const char *path, const yaml_node_t *n,
    const struct key *kd)
{
	char what[96];

	if (kd->kind == K_POS || kd->kind == K_NONNEG)
		snprintf(what, sizeof(what), "an integer from %.0f to %.0f",
		    kd->min, kd->max);
	else if (kd->kind == K_SIZE)
		snprintf(what, sizeof(what), "a size from %.0f to %.0f bytes",
		    kd->min, kd->max);
	else
		snprintf(what, sizeof(what), "a duration of at most %.0fs",
		    kd->max);
	return bad_value(p, path, n, what);
}

static const struct key name_key = { "name", K_NAME, 0, 0, 0 };
static const struct key table_key = { "table", K_TABLE, 0, 0, 0 };

const char *
config_name_error(const char *s)
{
	size_t n = strlen(s), i;

	if (n == 0)
		return "empty";
	if (n > CONFIG_NAME_MAX)
		return "too long";
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return "'.' or '..'";
	for (i = 0; i < n; i++) {
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return "a space or control character";
		if (s[i] == '/' || s[i] == '\\' || s[i] == '`')
			return "a '/', '\\' or '`'";
	}
	return NULL;
}

/* Stores scalar n into dst according to kd; path names it in messages. */
static int
set_value(struct parser *p, const char *path, const yaml_node_t *n,
    const struct key *kd, void *dst)
{
	const char *s, *why;
	char what[96];
	double d;
	long l;
	int b;
	char *end;
	unsigned long long u;

	if (want_scalar(p, path, n, "a single value") == -1)
		return -1;
	if (is_null(n))
		return 0;
	s = scalar(n);
	switch (kd->kind) {
	case K_TABLE:
		if ((why = config_name_error(s)) != NULL) {
			snprintf(what, sizeof(what), "a name (%s)", why);
			return bad_value(p, path, n, what);
		}
		config_set_str(dst, s);
		break;
	case K_NAME:
		if (!valid_name(s))
			return bad_value(p, path, n, "a name");
		/* FALLTHROUGH */
	case K_STR:
		config_set_str(dst, s);
		break;
	case K_POS:
	case K_NONNEG:
		if (parse_long(s, kd->kind == K_POS ? 1 : 0, &l) == -1)
			return bad_value(p, path, n, kd->kind == K_POS ?
			    "a positive integer" : "a non-negative integer");
		if (l < kd->min || l > kd->max)
			return out_of_range(p, path, n, kd);
		*(long *)dst = l;
		break;
	case K_DUR:
	case K_DUR_MS:
	case K_DUR_H:
	case K_DUR_POS:
		d = parse_duration(s, kd->kind == K_DUR_MS ? 0.001 :
		    kd->kind == K_DUR_H ? 3600 : 1);
		if (d < 0 || (kd->kind == K_DUR_POS && d == 0))
			return bad_value(p, path, n, kd->kind == K_DUR_POS ?
			    "a positive duration" : "a duration");
		if (d < kd->min || d > kd->max)
			return out_of_range(p, path, n, kd);
		*(double *)dst = d;
		break;
	case K_SIZE:
		if (parse_size(s, &l) == -1)
			return bad_value(p, path, n, "a positive size");
		if (l < kd->min || l > kd->max)
			return out_of_range(p, path, n, kd);
		*(long *)dst = l;
		break;
	case K_BILL:
		if (parse_size(s, &l) == -1 || l < BQ_MIN_BILL)
			return bad_value(p, path, n, "a size of at least 10MiB");
		*(long *)dst = l;
		break;
	case K_BOOL:
		if (parse_bool(s, &b) == -1)
			return bad_value(p, path, n, "true or false");
		*(int *)dst = b;
		break;
	case K_U64:
		errno = 0;
		u = strtoull(s, &end, 10);
		if (*s < '0' || *s > '9' || errno != 0 || *end != '\0')
			return bad_value(p, path, n, "a non-negative integer");
		*(unsigned long long *)dst = u;
		break;
	case K_SPECIAL:
		break;
	}
	return 0;
}

static void
free_list(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

/*
 * A list of names: a YAML list of strings, or one string.  With star, "*"
 * or ["*"] means "all" and leaves *out NULL.
 */
static int
get_list(struct parser *p, const char *path, const yaml_node_t *n, int star,
    char ***out, size_t *nout)
{
	yaml_node_item_t *it;
	yaml_node_t *item;
	char **v = NULL;
	size_t nv = 0, count;

	if (is_null(n))
		return 0;
	if (n->type == YAML_SCALAR_NODE) {
		if (!valid_name(scalar(n)))
			return bad_value(p, path, n, "a name");
		free_list(*out, *nout);
		*out = NULL;
		*nout = 0;
		if (star && strcmp(scalar(n), "*") == 0)
			return 0;
		*out = xcalloc(1, sizeof(char *));
		(*out)[0] = xstrdup(scalar(n));
		*nout = 1;
		return 0;
	}
	if (n->type != YAML_SEQUENCE_NODE)
		return fail_at(p, n, "key '%s': expected a list, got %s", path,
		    node_kind(n));
	count = (size_t)(n->data.sequence.items.top -
	    n->data.sequence.items.start);
	if (count == 0)
		return fail_at(p, n, "key '%s': expected a non-empty list",
		    path);
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++) {
		item = yaml_document_get_node(p->doc, *it);
		/* "*" (all columns) only alone. */
		if (item->type != YAML_SCALAR_NODE || is_null(item) ||
		    !valid_name(scalar(item)) ||
		    (star && count > 1 && strcmp(scalar(item), "*") == 0)) {
			free_list(v, nv);
			return fail_at(p, item,
			    "key '%s': expected a list of names", path);
		}
		v = xrealloc(v, (nv + 1) * sizeof(char *));
		v[nv++] = xstrdup(scalar(item));
	}
	free_list(*out, *nout);
	*out = NULL;
	*nout = 0;
	if (star && nv == 1 && strcmp(v[0], "*") == 0) {
		free_list(v, nv);
		return 0;
	}
	*out = v;
	*nout = nv;
	return 0;
}

/*
 * Calls fn for each pair of mapping n, after checking that n is a mapping,
 * that keys are scalars and that no key repeats.  keys, when given, are
 * the known keys: an unknown one is an error, a known non-special one is
 * stored at base + off.  YAML merge keys ("<<: *anchor", or a list of
 * anchors) are honoured one level deep: explicit keys win, then earlier
 * merged mappings over later ones, as the YAML 1.1 merge type says.
 */
typedef int pair_fn(struct parser *, const char *path, const char *key,
    const yaml_node_t *k, const yaml_node_t *v, void *arg);

struct walk {
	const char	*path;
	const struct key *keys;
	void		*base;
	pair_fn		*fn;
	void		*arg;
};

static int
is_merge_key(const yaml_node_t *k)
{
	return k->type == YAML_SCALAR_NODE &&
	    k->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    strcmp(scalar(k), "<<") == 0;
}

/* The pair of mapping m whose key is name, before stop; NULL if none. */
static yaml_node_pair_t *
map_find(struct parser *p, const yaml_node_t *m, const char *name,
    const yaml_node_pair_t *stop)
{
	yaml_node_pair_t *q;
	yaml_node_t *k;

	for (q = m->data.mapping.pairs.start;
	    q < m->data.mapping.pairs.top && q != stop; q++) {
		k = yaml_document_get_node(p->doc, q->key);
		if (k->type == YAML_SCALAR_NODE && !is_merge_key(k) &&
		    strcmp(scalar(k), name) == 0)
			return q;
	}
	return NULL;
}

/* "path.name" for messages, kept on one line. */
static void
key_path(char *buf, size_t size, const char *path, const char *name)
{
	char *c;

	if (*path != '\0')
		snprintf(buf, size, "%s.%s", path, name);
	else
		snprintf(buf, size, "%s", name);
	for (c = buf; *c != '\0'; c++)
		if ((unsigned char)*c < 0x20)
			*c = '?';
}

static int
walk_pair(struct parser *p, const struct walk *w, const yaml_node_t *k,
    const yaml_node_t *v)
{
	const struct key *kd;
	char sub[160];

	if (k->type != YAML_SCALAR_NODE)
		return fail_at(p, k, "expected a key name, got %s",
		    node_kind(k));
	key_path(sub, sizeof(sub), w->path, scalar(k));
	if (w->keys != NULL) {
		for (kd = w->keys; kd->name != NULL; kd++)
			if (strcmp(kd->name, scalar(k)) == 0)
				break;
		if (kd->name == NULL)
			return unknown_key(p, k, sub);
		if (kd->kind != K_SPECIAL)
			return set_value(p, sub, v, kd,
			    (char *)w->base + kd->off);
	}
	return w->fn(p, sub, scalar(k), k, v, w->arg);
}

/* Applies the pairs of the mappings named by a "<<" value. */
static int
walk_merge(struct parser *p, const struct walk *w, const yaml_node_t *n,
    const yaml_node_t *v)
{
	const yaml_node_t *src[16], *m;
	yaml_node_item_t *it;
	yaml_node_pair_t *q;
	yaml_node_t *k;
	size_t nsrc = 0, i, j;

	if (v->type == YAML_MAPPING_NODE) {
		src[nsrc++] = v;
	} else if (v->type == YAML_SEQUENCE_NODE) {
		for (it = v->data.sequence.items.start;
		    it < v->data.sequence.items.top; it++) {
			m = yaml_document_get_node(p->doc, *it);
			if (m->type != YAML_MAPPING_NODE || nsrc == 16)
				return fail_at(p, m, "key '%s': '<<' expects "
				    "a mapping or a list of up to 16", w->path);
			src[nsrc++] = m;
		}
	} else {
		return fail_at(p, v, "key '%s': '<<' expects a mapping",
		    w->path);
	}
	for (i = 0; i < nsrc; i++) {
		for (q = src[i]->data.mapping.pairs.start;
		    q < src[i]->data.mapping.pairs.top; q++) {
			k = yaml_document_get_node(p->doc, q->key);
			if (is_merge_key(k))
				return fail_at(p, k, "key '%s': nested '<<' "
				    "is not supported", w->path);
			if (k->type != YAML_SCALAR_NODE ||
			    map_find(p, n, scalar(k), NULL) != NULL)
				continue;	/* explicit key wins */
			for (j = 0; j < i; j++)
				if (map_find(p, src[j], scalar(k), NULL))
					break;
			if (j < i)
				continue;	/* an earlier merge wins */
			if (walk_pair(p, w, k,
			    yaml_document_get_node(p->doc, q->value)) == -1)
				return -1;
		}
	}
	return 0;
}

static int
walk_map(struct parser *p, const char *path, const yaml_node_t *n,
    const struct key *keys, void *base, pair_fn *fn, void *arg)
{
	struct walk w = { path, keys, base, fn, arg };
	yaml_node_pair_t *pair, *merge = NULL;
	yaml_node_t *k;
	char sub[160];

	if (is_null(n))
		return 0;
	if (n->type != YAML_MAPPING_NODE)
		return fail_at(p, n, "key '%s': expected a mapping, got %s",
		    path, n->type == YAML_SCALAR_NODE ? "a value" :
		    node_kind(n));
	for (pair = n->data.mapping.pairs.start;
	    pair < n->data.mapping.pairs.top; pair++) {
		k = yaml_document_get_node(p->doc, pair->key);
		if (is_merge_key(k)) {
			if (merge != NULL)
				return fail_at(p, k, "key '%s': duplicate '<<'",
				    path);
			merge = pair;
			continue;
		}
		if (k->type == YAML_SCALAR_NODE &&
		    map_find(p, n, scalar(k), pair) != NULL) {
			key_path(sub, sizeof(sub), path, scalar(k));
			return fail_at(p, k, "duplicate key '%s'", sub);
		}
		if (walk_pair(p, &w, k,
		    yaml_document_get_node(p->doc, pair->value)) == -1)
			return -1;
	}
	if (merge != NULL && walk_merge(p, &w, n,
	    yaml_document_get_node(p->doc, merge->value)) == -1)
		return -1;
	return 0;
}

static int
sync_pair(struct parser *p, const char *path, const char *key,
    const yaml_node_t *k, const yaml_node_t *v, void *arg)
{
	struct sync_override *o = arg;
	const struct key *kd;

	for (kd = sync_keys; kd->name != NULL; kd++)
		if (strcmp(kd->name, key) == 0)
			break;
	if (kd->name == NULL)
		return unknown_key(p, k, path);
	if (set_value(p, path, v, kd, (char *)&o->s + kd->off) == -1)
		return -1;
	if (!is_null(v))
		o->mask |= 1U << (kd - sync_keys);
	return 0;
}

static int
table_pair(struct parser *p, const char *path, const char *key,
    const yaml_node_t *k, const yaml_node_t *v, void *arg)
{
	size_t i = *(size_t *)arg;
	struct config_table *t = &p->cfg->tables[i];

	(void)k;
	if (strcmp(key, "columns") == 0)
		return get_list(p, path, v, 1, &t->columns, &t->ncolumns);
	if (strcmp(key, "idColumns") == 0)
		return get_list(p, path, v, 0, &t->id_columns, &t->nid_columns);
	if (strcmp(key, "indexes") == 0)
		return get_list(p, path, v, 0, &t->indexes, &t->nindexes);
	/* sync */
	return walk_map(p, path, v, NULL, NULL, sync_pair, &p->over[i]);
}

static int
parse_tables(struct parser *p, const char *path, const yaml_node_t *n)
{
	yaml_node_item_t *it;
	yaml_node_t *item;
	struct config *cfg = p->cfg;
	char sub[160];
	size_t i;

	p->have_tables = 1;
	if (n->type != YAML_SEQUENCE_NODE)
		return fail_at(p, n, "key '%s': expected a list, got %s", path,
		    n->type == YAML_SCALAR_NODE ? "a value" : node_kind(n));
	if (n->data.sequence.items.top == n->data.sequence.items.start)
		return fail_at(p, n, "key '%s': expected a non-empty list",
		    path);
	for (it = n->data.sequence.items.start;
	    it < n->data.sequence.items.top; it++) {
		item = yaml_document_get_node(p->doc, *it);
		i = cfg->ntables;
		snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
		if (item->type != YAML_MAPPING_NODE)
			return fail_at(p, item,
			    "key '%s': expected a mapping, got %s", sub,
			    item->type == YAML_SCALAR_NODE ? "a value" :
			    node_kind(item));
		cfg->tables = xrealloc(cfg->tables,
		    (i + 1) * sizeof(*cfg->tables));
		p->over = xrealloc(p->over, (i + 1) * sizeof(*p->over));
		memset(&cfg->tables[i], 0, sizeof(cfg->tables[i]));
		memset(&p->over[i], 0, sizeof(p->over[i]));
		cfg->tables[i].line = line_of(item);
		cfg->ntables++;
		if (walk_map(p, sub, item, table_keys, &cfg->tables[i],
		    table_pair, &i) == -1)
			return -1;
	}
	return 0;
}

static int
bigquery_pair(struct parser *p, const char *path, const char *key,
    const yaml_node_t *k, const yaml_node_t *v, void *arg)
{
	(void)arg;
	if (strcmp(key, "tables") == 0) {
		p->tables_line = line_of(k);
		return parse_tables(p, path, v);
	}
	if (strcmp(key, "columns") == 0)
		return get_list(p, path, v, 1, &p->bq_columns,
		    &p->bq_ncolumns);
	if (strcmp(key, "table") == 0) {
		p->bq_table_line = line_of(v);
		return set_value(p, path, v, &table_key, &p->bq_table);
	}
	if (strcmp(key, "timestampColumn") == 0)
		return set_value(p, path, v, &name_key, &p->bq_ts);
	/* partition */
	if (want_scalar(p, path, v, "a single value") == -1)
		return -1;
	if (is_null(v))
		return 0;
	if (strcmp(scalar(v), "fingerprint") == 0)
		p->cfg->partition = PARTITION_FINGERPRINT;
	else if (strcmp(scalar(v), "micros") == 0)
		p->cfg->partition = PARTITION_MICROS;
	else
		return bad_value(p, path, v, "'fingerprint' or 'micros'");
	return 0;
}

static int
harper_pair(struct parser *p, const char *path, const char *key,
    const yaml_node_t *k, const yaml_node_t *v, void *arg)
{
	(void)key;
	(void)k;
	(void)arg;
	/* password */
	if (want_scalar(p, path, v, "a single value") == -1)
		return -1;
	if (is_null(v))
		return 0;
	util_free_secret(p->cfg->harper_password);
	p->cfg->harper_password = xstrdup(scalar(v));
	p->password_in_file = 1;
	return 0;
}

static int
checkpoint_pair(struct parser *p, const char *path, const char *key,
    const yaml_node_t *k, const yaml_node_t *v, void *arg)
{
	(void)key;
	(void)k;
	(void)arg;
	/* store */
	if (want_scalar(p, path, v, "a single value") == -1)
		return -1;
	if (is_null(v))
		return 0;
	if (strcmp(scalar(v), "file") != 0 && strcmp(scalar(v), "harper") != 0)
		return bad_value(p, path, v, "'file' or 'harper'");
	config_set_str(&p->cfg->ckpt_store, scalar(v));
	return 0;
}

static int
synth_pair(struct parser *p, const char *path, const char *key,
    const yaml_node_t *k, const yaml_node_t *v, void *arg)
{
	(void)key;
	(void)k;
	(void)arg;
	/* tables */
	return walk_map(p, path, v, synth_table_keys, &p->cfg->synth, NULL,
	    NULL);
}

/*
 * The seed plugin's operations: block: host and port make harper.url (when
 * the file sets none), username harper.username; the password is never
 * taken from here.
 */
static int
operations_pair(struct parser *p, const char *path, const char *key,
    const yaml_node_t *k, const yaml_node_t *v, void *arg)
{
	char **dst = NULL;

	(void)arg;
	if (strcmp(key, "host") == 0)
		dst = &p->op_host;
	else if (strcmp(key, "port") == 0)
		dst = &p->op_port;
	else if (strcmp(key, "username") == 0)
		dst = &p->cfg->harper_username;
	else if (strcmp(key, "password") == 0) {
		bqsync_log(BQ_LOG_WARN, "%s:%d: key '%s' ignored: the Harper "
		    "password comes only from HARPER_PASSWORD or harper.password "
		    "(in a file only you can read)", p->file, line_of(k), path);
		return 0;
	} else
		return unknown_key(p, k, path);
	if (want_scalar(p, path, v, "a single value") == -1)
		return -1;
	if (!is_null(v))
		config_set_str(dst, scalar(v));
	return 0;
}

static int
root_pair(struct parser *p, const char *path, const char *key,
    const yaml_node_t *k, const yaml_node_t *v, void *arg)
{
	struct config *cfg = p->cfg;

	(void)arg;
	if (strcmp(key, "bigquery") == 0)
		return walk_map(p, path, v, bigquery_keys, cfg, bigquery_pair,
		    NULL);
	if (strcmp(key, "sync") == 0)
		return walk_map(p, path, v, NULL, NULL, sync_pair, &p->gsync);
	if (strcmp(key, "harper") == 0)
		return walk_map(p, path, v, harper_keys, cfg, harper_pair, NULL);
	if (strcmp(key, "checkpoint") == 0)
		return walk_map(p, path, v, checkpoint_keys, cfg,
		    checkpoint_pair, NULL);
	if (strcmp(key, "synthesizer") == 0)
		return walk_map(p, path, v, synth_keys, &cfg->synth, synth_pair,
		    NULL);
	if (strcmp(key, "operations") == 0)
		return walk_map(p, path, v, NULL, NULL, operations_pair, NULL);
	if (strcmp(key, "pluginModule") == 0 || strcmp(key, "rest") == 0 ||
	    strcmp(key, "graphqlSchema") == 0 ||
	    strcmp(key, "jsResource") == 0) {
		if (!p->component_warned++)
			bqsync_log(BQ_LOG_WARN, "%s:%d: ignoring the Harper "
			    "component keys (pluginModule, rest, graphqlSchema, "
			    "jsResource): bqsync runs beside Harper", p->file,
			    line_of(k));
		return 0;
	}
	return unknown_key(p, k, path);
}

/* Table sync = global sync, then the keys the table's sync: block set. */
static void
merge_sync(struct config_sync *dst, const struct config_sync *global,
    struct sync_override *o)
{
	const struct key *kd;
	size_t i;

	*dst = *global;
	dst->start_timestamp = global->start_timestamp != NULL ?
	    xstrdup(global->start_timestamp) : NULL;
	if (o == NULL)
		return;
	for (kd = sync_keys, i = 0; kd->name != NULL; kd++, i++) {
		char *d = (char *)dst + kd->off;
		char *s = (char *)&o->s + kd->off;

		if (!(o->mask & (1U << i)))
			continue;
		switch (kd->kind) {
		case K_STR:
			free(*(char **)d);
			*(char **)d = *(char **)s;
			*(char **)s = NULL;
			break;
		case K_POS:
		case K_NONNEG:
			*(long *)d = *(long *)s;
			break;
		default:
			*(double *)d = *(double *)s;
			break;
		}
	}
}

static int
has_name(char **v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], name) == 0)
			return 1;
	return 0;
}

static int
finish_table(struct parser *p, size_t i)
{
	struct config *cfg = p->cfg;
	struct config_table *t = &cfg->tables[i];
	size_t j;

	if (t->id == NULL && t->table == NULL)
		return bq_err_set(p->err, EXIT_CONFIG,
		    "%s:%d: key 'bigquery.tables[%zu]': needs 'id' or 'table'",
		    p->file, t->line, i);
	if (t->id == NULL)
		t->id = xstrdup(t->table);
	if (t->table == NULL)
		t->table = xstrdup(t->id);
	if (t->project == NULL && cfg->project != NULL)
		t->project = xstrdup(cfg->project);
	if (t->dataset == NULL && cfg->dataset != NULL)
		t->dataset = xstrdup(cfg->dataset);
	if (t->timestamp_column == NULL)
		t->timestamp_column = xstrdup(p->bq_ts ? p->bq_ts :
		    CONFIG_DEFAULT_TS_COLUMN);
	if (t->target_table == NULL)
		t->target_table = xstrdup(CONFIG_DEFAULT_TARGET_TABLE);
	if (t->columns == NULL && p->bq_columns != NULL) {
		t->columns = xcalloc(p->bq_ncolumns, sizeof(char *));
		for (j = 0; j < p->bq_ncolumns; j++)
			t->columns[j] = xstrdup(p->bq_columns[j]);
		t->ncolumns = p->bq_ncolumns;
	}
	if (t->id_column != NULL && t->id_columns != NULL)
		return bq_err_set(p->err, EXIT_CONFIG,
		    "%s:%d: table '%s': 'idColumn' and 'idColumns' exclude "
		    "each other", p->file, t->line, t->id);
	if (t->columns != NULL) {
		if (!has_name(t->columns, t->ncolumns, t->timestamp_column))
			return bq_err_set(p->err, EXIT_CONFIG,
			    "%s:%d: table '%s': timestamp column '%s' is not "
			    "in 'columns'", p->file, t->line, t->id,
			    t->timestamp_column);
		for (j = 0; t->id_columns != NULL && j < t->nid_columns; j++)
			if (!has_name(t->columns, t->ncolumns,
			    t->id_columns[j]))
				return bq_err_set(p->err, EXIT_CONFIG,
				    "%s:%d: table '%s': id column '%s' is not "
				    "in 'columns'", p->file, t->line, t->id,
				    t->id_columns[j]);
		if (t->id_column != NULL &&
		    !has_name(t->columns, t->ncolumns, t->id_column))
			return bq_err_set(p->err, EXIT_CONFIG,
			    "%s:%d: table '%s': id column '%s' is not in "
			    "'columns'", p->file, t->line, t->id,
			    t->id_column);
	}
	for (j = 0; j < i; j++) {
		if (strcmp(cfg->tables[j].id, t->id) == 0)
			return bq_err_set(p->err, EXIT_CONFIG,
			    "%s:%d: duplicate table id '%s'", p->file,
			    t->line, t->id);
		if (strcmp(cfg->tables[j].target_table, t->target_table) == 0)
			return bq_err_set(p->err, EXIT_CONFIG,
			    "%s:%d: table '%s': target table '%s' is already "
			    "used by table '%s'", p->file, t->line, t->id,
			    t->target_table, cfg->tables[j].id);
	}
	merge_sync(&t->sync, &cfg->sync, &p->over[i]);
	return 0;
}

/* Resolves what depends on the whole file and the environment. */
static int
finish(struct parser *p)
{
	struct config *cfg = p->cfg;
	struct config_table *t;
	struct config_sync global;
	size_t i;

	merge_sync(&global, &cfg->sync, &p->gsync);
	free(cfg->sync.start_timestamp);
	cfg->sync = global;
	if (p->have_tables && p->bq_table != NULL)
		return bq_err_set(p->err, EXIT_CONFIG,
		    "%s:%d: key 'bigquery.table': not allowed with "
		    "'bigquery.tables' (line %d)", p->file, p->bq_table_line,
		    p->tables_line);
	if (!p->have_tables && p->bq_table != NULL) {
		/* The seed's single-table form. */
		cfg->tables = xcalloc(1, sizeof(*cfg->tables));
		p->over = xcalloc(1, sizeof(*p->over));
		t = &cfg->tables[0];
		t->id = xstrdup(p->bq_table);
		t->table = xstrdup(p->bq_table);
		t->line = p->bq_table_line;
		cfg->ntables = 1;
	}
	for (i = 0; i < cfg->ntables; i++)
		if (finish_table(p, i) == -1)
			return -1;
	if (cfg->synth.dataset == NULL && cfg->dataset != NULL)
		cfg->synth.dataset = xstrdup(cfg->dataset);
	return 0;
}

static void
apply_env(struct config *cfg)
{
	static const struct {
		const char	*name;
		size_t		 off;
	} vars[] = {
		{ "HARPER_URL", CO(harper_url) },
		{ "HARPER_USERNAME", CO(harper_username) },
		{ "GOOGLE_APPLICATION_CREDENTIALS", CO(credentials) },
		{ "BIGQUERY_EMULATOR_HOST", CO(emulator_host) },
		{ "BQSYNC_PROJECT", CO(project) }
	};
	const char *v;
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if ((v = getenv(vars[i].name)) != NULL && *v != '\0')
			config_set_str((char **)((char *)cfg + vars[i].off), v);
	if ((v = getenv("HARPER_PASSWORD")) != NULL && *v != '\0') {
		util_free_secret(cfg->harper_password);
		cfg->harper_password = xstrdup(v);
	}
}

/* Overwrites every scalar of the document (it may hold the password). */
static void
wipe_document(yaml_document_t *doc)
{
	yaml_node_t *n;

	for (n = doc->nodes.start; n < doc->nodes.top; n++)
		if (n->type == YAML_SCALAR_NODE)
			util_wipe(n->data.scalar.value, n->data.scalar.length);
}

/* operations.host/port become harper.url unless the file set one. */
static void
operations_url(struct parser *p)
{
	if ((p->op_host == NULL && p->op_port == NULL) ||
	    strcmp(p->cfg->harper_url, "http://127.0.0.1:9925") != 0)
		return;
	free(p->cfg->harper_url);
	p->cfg->harper_url = xstrfmt("http://%s:%s",
	    p->op_host ? p->op_host : "127.0.0.1",
	    p->op_port ? p->op_port : "9925");
}

static int
parse_file(struct parser *p, const char *text, size_t len)
{
	yaml_parser_t yp;
	yaml_document_t doc, extra;
	yaml_node_t *root;
	int rc = -1, loaded = 0;

	if (!yaml_parser_initialize(&yp))
		return bq_err_set(p->err, EXIT_FAIL, "yaml: out of memory");
	yaml_parser_set_input_string(&yp, (const unsigned char *)text, len);
	if (!yaml_parser_load(&yp, &doc))
		goto yaml_error;
	loaded = 1;
	p->doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root != NULL) {
		if (!yaml_parser_load(&yp, &extra))
			goto yaml_error;
		if (yaml_document_get_root_node(&extra) != NULL) {
			bq_err_set(p->err, EXIT_CONFIG,
			    "%s:%d: more than one YAML document", p->file,
			    (int)extra.start_mark.line + 1);
			yaml_document_delete(&extra);
			goto out;
		}
		yaml_document_delete(&extra);
		if (root->type == YAML_MAPPING_NODE) {
			if (walk_map(p, "", root, NULL, NULL, root_pair,
			    NULL) == -1)
				goto out;
			if (p->nunknown == 1) {
				bq_err_set(p->err, EXIT_CONFIG, "%s",
				    p->first_unknown);
				goto out;
			}
			if (p->nunknown > 1) {
				bq_err_set(p->err, EXIT_CONFIG, "%s: %d unknown "
				    "keys (listed above)", p->file, p->nunknown);
				goto out;
			}
			operations_url(p);
		} else if (!is_null(root)) {
			fail_at(p, root, "expected a mapping at the top level");
			goto out;
		}
	}
	rc = 0;
	goto out;
yaml_error:
	bq_err_set(p->err, EXIT_CONFIG, "%s:%d: invalid YAML: %s", p->file,
	    (int)yp.problem_mark.line + 1,
	    yp.problem != NULL ? yp.problem : "parse error");
out:
	if (loaded) {
		if (p->password_in_file)
			wipe_document(&doc);
		yaml_document_delete(&doc);
	}
	p->doc = NULL;
	yaml_parser_delete(&yp);
	return rc;
}

void
config_init(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->location = xstrdup("US");
	cfg->max_retries = 5;
	cfg->retry_deadline = 600;
	cfg->partition = PARTITION_FINGERPRINT;

	cfg->sync.initial_batch = 10000;
	cfg->sync.catchup_batch = 1000;
	cfg->sync.steady_batch = 500;
	cfg->sync.initial_poll = 1;
	cfg->sync.catchup_poll = 5;
	cfg->sync.steady_poll = 30;
	cfg->sync.catchup_threshold = 3600;
	cfg->sync.steady_threshold = 300;
	cfg->sync.lookback = 0;
	cfg->sync.topology_interval = 30;
	cfg->sync.topology_grace = 120;

	cfg->harper_url = xstrdup("http://127.0.0.1:9925");
	cfg->harper_database = xstrdup("data");
	cfg->batch_rows = 1000;
	cfg->batch_bytes = 4L << 20;
	cfg->in_flight = 2;
	cfg->http_timeout = 60;
	cfg->harper_deadline = 120;
	cfg->replication_settle = 5;

	cfg->ckpt_store = xstrdup("file");
	cfg->ckpt_path = xstrdup("bqsync-state.json");
	cfg->ckpt_table = xstrdup("SyncCheckpoint");
	cfg->audit_table = xstrdup("SyncAudit");

	cfg->synth.vessels = 100000;
	cfg->synth.batch_size = 100;
	cfg->synth.interval = 60;
	cfg->synth.retention_days = 30;
	cfg->synth.cleanup_interval = 86400;
	cfg->synth.load_rows = 500000;
	cfg->synth.positions_table = xstrdup("vessel_positions");
	cfg->synth.events_table = xstrdup("port_events");
	cfg->synth.metadata_table = xstrdup("vessel_metadata");
}

static void
table_release(struct config_table *t)
{
	free(t->id);
	free(t->project);
	free(t->dataset);
	free(t->table);
	free(t->timestamp_column);
	free(t->target_table);
	free_list(t->columns, t->ncolumns);
	free_list(t->id_columns, t->nid_columns);
	free(t->id_column);
	free_list(t->indexes, t->nindexes);
	free(t->sync.start_timestamp);
}

void
config_release(struct config *cfg)
{
	size_t i;

	if (cfg == NULL)
		return;
	free(cfg->path);
	free(cfg->project);
	free(cfg->credentials);
	free(cfg->location);
	free(cfg->emulator_host);
	free(cfg->api_url);
	free(cfg->dataset);
	for (i = 0; i < cfg->ntables; i++)
		table_release(&cfg->tables[i]);
	free(cfg->tables);
	free(cfg->sync.start_timestamp);
	free(cfg->harper_url);
	free(cfg->harper_database);
	free(cfg->harper_username);
	util_free_secret(cfg->harper_password);
	free(cfg->ckpt_store);
	free(cfg->ckpt_path);
	free(cfg->ckpt_table);
	free(cfg->audit_table);
	free(cfg->synth.dataset);
	free(cfg->synth.positions_table);
	free(cfg->synth.events_table);
	free(cfg->synth.metadata_table);
	memset(cfg, 0, sizeof(*cfg));
}

/* A relative *val from the file at path becomes relative to its folder. */
static void
resolve_relative(char **val, const char *path)
{
	const char *slash = strrchr(path, '/');
	char *abs;

	if (*val == NULL || **val == '\0' || **val == '/' || slash == NULL)
		return;
	abs = xstrfmt("%.*s/%s", (int)(slash - path), path, *val);
	free(*val);
	*val = abs;
}

int
config_load(struct config *cfg, const char *path, struct bq_err *err)
{
	struct parser p;
	struct strbuf text = STRBUF_INIT;
	struct stat st;
	const char *env;
	int rc = -1, optional = 0;
	size_t i;

	config_init(cfg);
	memset(&p, 0, sizeof(p));
	p.cfg = cfg;
	p.err = err;
	if (path == NULL || *path == '\0') {
		if ((env = getenv("BQSYNC_CONFIG")) != NULL && *env != '\0') {
			path = env;
		} else {
			path = "config.yaml";
			optional = 1;
		}
	}
	p.file = path;
	if (util_read_secret(path, &text) == -1) {	/* may hold the password */
		if (optional && errno == ENOENT) {
			path = NULL;
		} else {
			bq_err_set(err, EXIT_IOERR, "cannot open '%s': %s", path,
			    strerror(errno));
			goto out;
		}
	}
	if (path != NULL) {
		cfg->path = xstrdup(path);
		if (parse_file(&p, text.buf, text.len) == -1)
			goto out;
		if (p.password_in_file && stat(path, &st) == 0 &&
		    (st.st_mode & (S_IRGRP | S_IROTH)))
			bqsync_log(BQ_LOG_WARN, "'%s' holds harper.password and is "
			    "readable by group or others", path);
	}
	if (path != NULL) {
		resolve_relative(&cfg->ckpt_path, path);
		resolve_relative(&cfg->credentials, path);
	}
	apply_env(cfg);
	if (finish(&p) == -1)
		goto out;
	rc = 0;
out:
	strbuf_release_secret(&text);
	for (i = 0; p.over != NULL && i < cfg->ntables; i++)
		free(p.over[i].s.start_timestamp);
	free(p.over);
	free(p.gsync.s.start_timestamp);
	free(p.bq_table);
	free(p.bq_ts);
	free(p.op_host);
	free(p.op_port);
	free_list(p.bq_columns, p.bq_ncolumns);
	if (rc == -1) {
		config_release(cfg);
		config_init(cfg);
	}
	return rc;
}

struct config_table *
config_table(const struct config *cfg, const char *name, struct bq_err *err)
{
	size_t i;

	if (name == NULL) {
		if (cfg->ntables > 0)
			return &cfg->tables[0];
		bq_err_set(err, EXIT_CONFIG, "no table configured in '%s'",
		    cfg->path != NULL ? cfg->path : "config.yaml");
		return NULL;
	}
	for (i = 0; i < cfg->ntables; i++)
		if (strcmp(cfg->tables[i].id, name) == 0)
			return &cfg->tables[i];
	for (i = 0; i < cfg->ntables; i++)
		if (strcmp(cfg->tables[i].target_table, name) == 0)
			return &cfg->tables[i];
	for (i = 0; i < cfg->ntables; i++)
		if (strcmp(cfg->tables[i].table, name) == 0)
			return &cfg->tables[i];
	bq_err_set(err, EXIT_CONFIG, "unknown table '%s'", name);
	return NULL;
}

char *const *
config_table_keys(const struct config_table *t, size_t *n)
{
	if (t->nid_columns > 0) {
		*n = t->nid_columns;
		return t->id_columns;
	}
	*n = t->id_column != NULL;
	return t->id_column != NULL ? &t->id_column : NULL;
}

struct config_table *
config_table_add(struct config *cfg, const char *id)
{
	struct config_table *t;

	cfg->tables = xrealloc(cfg->tables,
	    (cfg->ntables + 1) * sizeof(*cfg->tables));
	t = &cfg->tables[cfg->ntables++];
	memset(t, 0, sizeof(*t));
	t->id = xstrdup(id);
	t->table = xstrdup(id);
	t->target_table = xstrdup(id);
	t->timestamp_column = xstrdup(CONFIG_DEFAULT_TS_COLUMN);
	if (cfg->project != NULL)
		t->project = xstrdup(cfg->project);
	if (cfg->dataset != NULL)
		t->dataset = xstrdup(cfg->dataset);
	t->sync = cfg->sync;
	if (cfg->sync.start_timestamp != NULL)
		t->sync.start_timestamp = xstrdup(cfg->sync.start_timestamp);
	return t;
}

void
config_set_str(char **dst, const char *src)
{
	free(*dst);
	*dst = src != NULL ? xstrdup(src) : NULL;
}
