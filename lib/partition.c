/*
 * partition: one worker's share of a row stream, and fingerprints (see
 * partition.h).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "agent.h"
#include "harper.h"
#include "hash.h"
#include "log.h"
#include "partition.h"
#include "row.h"
#include "banned.h"

static int
bad_line(struct partition_filter *f, struct ndjson_reader *r,
    const char *what)
{
	bqsync_log(BQ_LOG_ERROR, "%s:%lu: %s", ndjson_name(r),
	    ndjson_lineno(r), what);
	f->bad = 1;
	return f->strict;
}

int
partition_filter(struct partition_filter *f, struct ndjson_reader *r)
{
	struct bq_err err = BQ_ERR_INIT;
	struct strbuf key = STRBUF_INIT;
	const char *line, *kc = NULL;
	char why[300];
	size_t len;
	int64_t t;
	cJSON *v;
	int rc = 0, stop = 0;

	while (!stop && (rc = ndjson_read_line(r, &line, &len, &err)) == 1) {
		if (len == strspn(line, " \t\r"))
			continue;
		if ((v = ndjson_parse(r, line, len, &err)) == NULL) {
			bqsync_log(BQ_LOG_ERROR, "%s", err.msg);
			f->bad = 1;
			stop = f->strict;
			continue;
		}
		if (!cJSON_IsObject(v)) {
			stop = bad_line(f, r, "not a JSON object");
		} else if (v->child != NULL && v->child->string != NULL &&
		    strcmp(v->child->string, "@bqsync") == 0) {
			if (ndjson_write_raw(f->out, line, len) == -1)
				goto fail;
		} else if (row_timestamp(v, f->column, &t) == -1) {
			snprintf(why, sizeof(why), "%s column '%s'",
			    cJSON_GetObjectItemCaseSensitive(v, f->column) ==
			    NULL ? "no timestamp" : "invalid timestamp in",
			    f->column);
			stop = bad_line(f, r, why);
		} else if (f->nkeys > 0) {
			strbuf_reset(&key);
			if (hash_key_text(v, f->keys, f->nkeys, &key,
			    &kc) == -1) {
				snprintf(why, sizeof(why), "key column '%s' is "
				    "not a string, integer, boolean or null",
				    kc);
				stop = bad_line(f, r, why);
			} else if (hash_partition_key(key.buf, key.len,
			    f->wn) == f->wi &&
			    ndjson_write_raw(f->out, line, len) == -1)
				goto fail;
		} else if (hash_partition(t, f->wn, f->scheme) == f->wi) {
			if (ndjson_write_raw(f->out, line, len) == -1)
				goto fail;
		}
		cJSON_Delete(v);
	}
	strbuf_release(&key);
	if (!stop && rc == -1) {
		bqsync_log(BQ_LOG_ERROR, "%s", err.msg);
		return -1;
	}
	return stop;
fail:
	f->write_errno = errno;
	cJSON_Delete(v);
	strbuf_release(&key);
	return -1;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
		return (c | 0x20) - 'a' + 10;
	return -1;
}

int
partition_fingerprint(struct partition_filter *f, struct ndjson_reader *r)
{
	struct bq_err err = BQ_ERR_INIT;
	struct strbuf b = STRBUF_INIT;
	const char *line;
	size_t len, i;
	int rc;

	while ((rc = ndjson_read_line(r, &line, &len, &err)) == 1) {
		if (f->hex) {
			strbuf_reset(&b);
			for (i = 0; i + 1 < len && hexval(line[i]) >= 0 &&
			    hexval(line[i + 1]) >= 0; i += 2)
				strbuf_addch(&b, hexval(line[i]) << 4 |
				    hexval(line[i + 1]));
			if (i != len && bad_line(f, r, "invalid hex")) {
				rc = 1;
				break;
			}
			if (i != len)
				continue;
			line = b.buf;
			len = b.len;
		}
		if (fprintf(f->out, "%" PRId64 "\n",
		    hash_farm_fingerprint(line, len)) < 0)
			goto fail;
	}
	strbuf_release(&b);
	if (rc == -1)
		bqsync_log(BQ_LOG_ERROR, "%s", err.msg);
	return rc;
fail:
	f->write_errno = errno;
	strbuf_release(&b);
	return -1;
}


void
partition_whoami_format(struct strbuf *sb, const char *self, long idx,
    char *const *w, size_t n, int sh)
{
	const char *p;
	size_t i;

	if (sh) {
		strbuf_addf(sb, "BQSYNC_WORKER='%ld/%zu'\n"
		    "BQSYNC_WORKER_INDEX=%ld\nBQSYNC_WORKER_COUNT=%zu\n"
		    "BQSYNC_WORKER_NAME='", idx, n, idx, n);
		for (p = self; *p; p++) {
			if (*p == '\'')
				strbuf_adds(sb, "'\\''");
			else
				strbuf_addch(sb, *p);
		}
		strbuf_adds(sb, "'\n");
		return;
	}
	strbuf_adds(sb, "{\"worker\":");
	strbuf_add_json_string(sb, self, strlen(self));
	strbuf_addf(sb, ",\"index\":%ld,\"count\":%zu,\"workers\":[", idx, n);
	for (i = 0; i < n; i++) {
		strbuf_add_json_string(sb, w[i], strlen(w[i]));
		strbuf_adds(sb, i + 1 < n ? "," : "");
	}
	strbuf_adds(sb, "]}\n");
}

static void
add_host(char ***hosts, size_t *n, const char *h, size_t len)
{
	*hosts = xrealloc(*hosts, (*n + 1) * sizeof(**hosts));
	(*hosts)[(*n)++] = xstrndup(h, len);
}

void
partition_peers(const cJSON *st, const char *list, char ***peers,
    size_t *np, char **self)
{
	const cJSON *c, *name;
	const char *p;
	size_t l;

	name = cJSON_GetObjectItemCaseSensitive(st, "node_name");
	if (cJSON_IsString(name) && *name->valuestring) {
		add_host(peers, np, name->valuestring,
		    strlen(name->valuestring));
		*self = xstrfmt("%s-0", name->valuestring);
	}
	c = cJSON_GetObjectItemCaseSensitive(st, "connections");
	cJSON_ArrayForEach(c, c) {
		name = cJSON_GetObjectItemCaseSensitive(c, "name");
		/* a stopped peer is listed, but not connected */
		if (cJSON_IsString(name) && *name->valuestring &&
		    agent_peer_connected(c))
			add_host(peers, np, name->valuestring,
			    strlen(name->valuestring));
	}
	for (p = list; p != NULL && *p != '\0'; p += l + (p[l] == ',')) {
		if ((l = strcspn(p, ",")) > 0)
			add_host(peers, np, p, l);
	}
}

/* Harper's cluster_status, with the config of o: into *st. */
static int
cluster_status(const struct partition_whoami *o, cJSON **st,
    struct bq_err *err)
{
	struct config cfg;
	struct harper_client *hc = NULL;
	int rc = -1;

	if (config_load(&cfg, o->config, err) == -1)
		goto out;
	if ((hc = harper_client_new(&cfg, err)) == NULL ||
	    harper_cluster_status(hc, st, err) == -1)
		goto out;
	rc = 0;
out:
	harper_client_free(hc);
	config_release(&cfg);
	return rc;
}

int
partition_whoami(const struct partition_whoami *o, struct strbuf *sb,
    struct bq_err *err)
{
	cJSON *st = NULL;
	char **peers = NULL, **w = NULL, *self = NULL, hn[256];
	size_t np = 0, n = 0, i;
	long idx;
	int rc = -1;

	if (o->harper && cluster_status(o, &st, err) == -1)
		goto out;
	partition_peers(st, o->peers, &peers, &np, &self);
	if (o->self != NULL) {
		free(self);
		self = xstrdup(o->self);
	} else if (self == NULL) {
		if (gethostname(hn, sizeof(hn)) == -1) {
			bq_err_set(err, EXIT_FAIL, "cannot get the host name");
			goto out;
		}
		hn[sizeof(hn) - 1] = '\0';
		self = xstrfmt("%s-0", hn);
	}
	if ((idx = hash_whoami(self, peers, np, o->threads, &w, &n)) == -1) {
		bq_err_set(err, EXIT_USAGE, "worker '%s' is not in the "
		    "cluster (host-thread, thread < %d)", self, o->threads);
		goto out;
	}
	partition_whoami_format(sb, self, idx, w, n, o->sh);
	rc = 0;
out:
	for (i = 0; i < n || i < np; i++) {
		free(i < n ? w[i] : NULL);
		free(i < np ? peers[i] : NULL);
	}
	free(w);
	free(peers);
	free(self);
	cJSON_Delete(st);
	return rc;
}
