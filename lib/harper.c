#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "harper.h"
#include "http.h"
#include "log.h"
#include "util.h"
#include "banned.h"

struct harper_client {
	struct http_client *http;
	char	*url;
	char	*shown;			/* url without userinfo */
	char	*username;		/* NULL: none configured */
	char	*database;
	double	 deadline;		/* for ensure_table's wait */
};

/*
 * Harper answers some refusals of the records themselves with a 500:
 * retrying them cannot help, and the rows are bad data.
 */
static const char *const refusals[] = {
	"Primary key size is too large",
};

static int
is_refusal(long status, const char *body)
{
	size_t i;

	if (status != 500)
		return 0;
	for (i = 0; i < sizeof(refusals) / sizeof(refusals[0]); i++)
		if (strstr(body, refusals[i]) != NULL)
			return 1;
	return 0;
}

static int
harper_retry(long status, const struct strbuf *body, void *arg)
{
	(void)arg;
	return !is_refusal(status, body->buf) &&
	    http_retry_default(status, body, NULL);
}

struct harper_client *
harper_client_new(const struct config *cfg, struct bq_err *err)
{
	struct harper_client *h;
	struct http_opts o;
	const char *url = cfg->harper_url;
	char shown[256];

	if (url == NULL || *url == '\0')
		url = "http://127.0.0.1:9925";
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
		http_redact_url(url, shown, sizeof(shown));
		bq_err_set(err, EXIT_CONFIG,
		    "harper url '%s': not an http:// or https:// URL", shown);
		return NULL;
	}
	memset(&o, 0, sizeof(o));
	o.timeout = cfg->http_timeout;
	o.deadline = cfg->harper_deadline;
	o.max_retries = -1;
	o.username = cfg->harper_username;
	o.password = cfg->harper_password;
	h = xcalloc(1, sizeof(*h));
	h->http = http_client_new(&o);
	http_client_set_retry(h->http, harper_retry, NULL);
	h->url = xstrdup(url);
	http_redact_url(url, shown, sizeof(shown));
	h->shown = xstrdup(shown);
	if (cfg->harper_username != NULL && *cfg->harper_username != '\0')
		h->username = xstrdup(cfg->harper_username);
	h->deadline = cfg->harper_deadline > 0 ? cfg->harper_deadline : 120;
	h->database = xstrdup(cfg->harper_database != NULL &&
	    *cfg->harper_database != '\0' ? cfg->harper_database : "data");
	return h;
}

void
harper_client_fresh(struct harper_client *h)
{
	http_client_fresh(h->http);
}

void
harper_client_free(struct harper_client *h)
{
	if (h == NULL)
		return;
	http_client_free(h->http);
	free(h->url);
	free(h->shown);
	free(h->username);
	free(h->database);
	free(h);
}

const char *
harper_database(const struct harper_client *h)
{
	return h->database;
}

/* The text of {"error":"..."} (or the body itself, cut short). */
static void
error_text(const struct strbuf *body, const cJSON *j, char *out, size_t n)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(j, "error");
	size_t len;

	if (cJSON_IsString(e)) {
		if (snprintf(out, n, "%s", e->valuestring) < 0)
			out[0] = '\0';
		return;
	}
	if (e != NULL && cJSON_IsObject(e)) {
		e = cJSON_GetObjectItemCaseSensitive(e, "message");
		if (cJSON_IsString(e)) {
			if (snprintf(out, n, "%s", e->valuestring) < 0)
				out[0] = '\0';
			return;
		}
	}
	len = strcspn(body->buf, "\r\n");
	if (len > 160)
		len = 160;
	if (snprintf(out, n, "%.*s", (int)len, body->buf) < 0)
		out[0] = '\0';
}

/* The "operation" of a request body as text ({"operation":"X", ...). */
static void
op_name(const char *json, size_t len, char *out, size_t n)
{
	static const char head[] = "{\"operation\":\"";
	size_t k;

	out[0] = '\0';
	if (len < sizeof(head) || memcmp(json, head, sizeof(head) - 1) != 0)
		return;
	json += sizeof(head) - 1;
	len -= sizeof(head) - 1;
	for (k = 0; k < len && k + 1 < n && json[k] != '"'; k++)
		out[k] = json[k];
	out[k] = '\0';
}

/* Says what Harper refused: the login (401) or the operation (403). */
static void
refused(struct harper_client *h, long status, const char *json, size_t len,
    const char *text, struct bq_err *err)
{
	char op[64];

	if (status == 401) {
		bq_err_set(err, EXIT_NOPERM, "Harper at %s refused the login "
		    "of %s%s%s (HTTP 401: %s)", h->shown,
		    h->username != NULL ? "user '" : "an anonymous user",
		    h->username != NULL ? h->username : "",
		    h->username != NULL ? "'" : "", text);
		return;
	}
	op_name(json, len, op, sizeof(op));
	bq_err_set(err, EXIT_NOPERM, "Harper at %s refused %s%s%s the "
	    "operation '%s' (HTTP %ld: %s)", h->shown,
	    h->username != NULL ? "user '" : "an anonymous user",
	    h->username != NULL ? h->username : "",
	    h->username != NULL ? "'" : "", op, status, text);
}

int
harper_op(struct harper_client *h, const char *json, size_t len, cJSON **out,
    struct bq_err *err)
{
	struct http_request req;
	struct http_response resp;
	cJSON *j = NULL;
	char text[200];
	int rc = -1, kind;

	if (out != NULL)
		*out = NULL;
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.url = h->url;
	req.content_type = "application/json";
	req.body = json;
	req.body_len = len;
	http_response_init(&resp);
	if (http_do(h->http, &req, &resp, err) == -1) {
		bq_err_prefix(err, "harper");
		goto out;
	}
	j = cJSON_ParseWithLength(resp.body.buf, resp.body.len);
	if (resp.status >= 200 && resp.status <= 299) {
		if (j == NULL) {
			bq_err_set(err, EXIT_TEMPFAIL,
			    "harper: HTTP %ld: unparseable response", resp.status);
			goto out;
		}
		if (out != NULL) {
			*out = j;
			j = NULL;
		}
		rc = 0;
		goto out;
	}
	error_text(&resp.body, j, text, sizeof(text));
	if (resp.status == 401 || resp.status == 403) {
		refused(h, resp.status, json, len, text, err);
		if (err != NULL)
			err->http_status = resp.status;
		goto out;
	}
	if ((resp.status >= 400 && resp.status <= 499 &&
	    resp.status != 408 && resp.status != 429) ||
	    is_refusal(resp.status, resp.body.buf))
		kind = EXIT_DATA;
	else
		kind = EXIT_TEMPFAIL;
	bq_err_set(err, kind, "harper: HTTP %ld: %s", resp.status, text);
	if (err != NULL)
		err->http_status = resp.status;
out:
	cJSON_Delete(j);
	http_response_release(&resp);
	return rc;
}

/* Builds {"operation":op,"database":db,"table":t<rest>} into sb. */
static void
op_head(struct strbuf *sb, const char *op, const char *db, const char *table)
{
	strbuf_adds(sb, "{\"operation\":");
	strbuf_add_json_string(sb, op, strlen(op));
	strbuf_adds(sb, ",\"database\":");
	strbuf_add_json_string(sb, db, strlen(db));
	if (table != NULL) {
		strbuf_adds(sb, ",\"table\":");
		strbuf_add_json_string(sb, table, strlen(table));
	}
}

int
harper_upsert(struct harper_client *h, const char *table, const char *records,
    size_t len, struct bq_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	cJSON *resp = NULL;
	const cJSON *msg;
	unsigned long a, b;
	int rc = -1;

	strbuf_init(&sb, len + 128);
	op_head(&sb, "upsert", h->database, table);
	strbuf_adds(&sb, ",\"records\":");
	strbuf_add(&sb, records, len);
	strbuf_addch(&sb, '}');
	if (harper_op(h, sb.buf, sb.len, &resp, err) == -1) {
		if (err != NULL && err->http_status != 0 &&
		    err->http_status != 401)
			bq_err_prefix(err, "upsert into '%s.%s'", h->database,
			    table);
		goto out;
	}
	/* Harper answers 200 even when it skipped records: check the count. */
	msg = cJSON_GetObjectItemCaseSensitive(resp, "message");
	if (!cJSON_IsString(msg) || sscanf(msg->valuestring,
	    "upserted %lu of %lu records", &a, &b) != 2) {
		bq_err_set(err, EXIT_TEMPFAIL,
		    "upsert into '%s.%s': unexpected answer", h->database, table);
		goto out;
	}
	if (a != b) {
		bq_err_set(err, EXIT_DATA, "upsert into '%s.%s': %.100s",
		    h->database, table, msg->valuestring);
		goto out;
	}
	rc = 0;
out:
	cJSON_Delete(resp);
	strbuf_release(&sb);
	return rc;
}

int
harper_sql(struct harper_client *h, const char *sql, cJSON **rows,
    struct bq_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	int rc;

	strbuf_adds(&sb, "{\"operation\":\"sql\",\"sql\":");
	strbuf_add_json_string(&sb, sql, strlen(sql));
	strbuf_addch(&sb, '}');
	rc = harper_op(h, sb.buf, sb.len, rows, err);
	strbuf_release(&sb);
	return rc;
}

/* 1 if Harper's error text says the table or database does not exist. */
static int
is_missing(const struct bq_err *err)
{
	return err->http_status >= 400 && err->http_status <= 499 &&
	    err->http_status != 401 && err->http_status != 403 &&
	    strstr(err->msg, "not exist") != NULL;
}

int
harper_describe_table(struct harper_client *h, const char *table,
    cJSON **desc, struct bq_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	struct bq_err e = BQ_ERR_INIT;
	cJSON *j = NULL;
	int rc = -1;

	if (desc != NULL)
		*desc = NULL;
	op_head(&sb, "describe_table", h->database, table);
	strbuf_addch(&sb, '}');
	if (harper_op(h, sb.buf, sb.len, &j, &e) == -1) {
		if (is_missing(&e)) {
			rc = 0;
			goto out;
		}
		if (err != NULL)
			*err = e;
		goto out;
	}
	rc = 1;
	if (desc != NULL) {
		*desc = j;
		j = NULL;
	}
out:
	cJSON_Delete(j);
	strbuf_release(&sb);
	return rc;
}

int
harper_create_table(struct harper_client *h, const char *table,
    char *const *indexed, size_t nindexed, struct bq_err *err)
{
	return harper_create_table_columns(h, table, indexed, nindexed, NULL, 0,
	    err);
}

static int
listed(const char *name, char *const *list, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return 1;
	return 0;
}

int
harper_create_table_columns(struct harper_client *h, const char *table,
    char *const *indexed, size_t nindexed, char *const *plain, size_t nplain,
    struct bq_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	struct bq_err e = BQ_ERR_INIT;
	size_t i;
	int rc = -1;

	op_head(&sb, "create_table", h->database, table);
	strbuf_adds(&sb, ",\"primary_key\":\"id\",\"attributes\":["
	    "{\"name\":\"id\",\"type\":\"ID\",\"isPrimaryKey\":true}");
	for (i = 0; i < nindexed; i++) {
		if (strcmp(indexed[i], "id") == 0)
			continue;
		strbuf_adds(&sb, ",{\"name\":");
		strbuf_add_json_string(&sb, indexed[i], strlen(indexed[i]));
		strbuf_adds(&sb, ",\"indexed\":true}");
	}
	for (i = 0; i < nplain; i++) {
		if (strcmp(plain[i], "id") == 0 || *plain[i] == '\0' ||
		    listed(plain[i], indexed, nindexed) ||
		    listed(plain[i], plain, i))
			continue;
		strbuf_adds(&sb, ",{\"name\":");
		strbuf_add_json_string(&sb, plain[i], strlen(plain[i]));
		strbuf_addch(&sb, '}');
	}
	strbuf_adds(&sb, "]}");
	/* create_table also creates a missing database. */
	if (harper_op(h, sb.buf, sb.len, NULL, &e) == -1) {
		if (e.kind == EXIT_DATA && strstr(e.msg, "already exists")) {
			rc = 0;
			goto out;
		}
		if (err != NULL)
			*err = e;
		if (e.http_status != 401)
			bq_err_prefix(err, "create table '%s.%s'", h->database,
			    table);
		goto out;
	}
	bqsync_log(BQ_LOG_INFO, "created table '%s.%s'", h->database, table);
	rc = 0;
out:
	strbuf_release(&sb);
	return rc;
}

/* 1 if the description desc declares attribute name. */
static int
declares(const cJSON *desc, const char *name)
{
	const cJSON *a, *n;

	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(desc,
	    "attributes")) {
		n = cJSON_GetObjectItemCaseSensitive(a, "attribute");
		if (cJSON_IsString(n) && strcmp(n->valuestring, name) == 0)
			return 1;
	}
	return 0;
}

int
harper_create_attribute(struct harper_client *h, const char *table,
    const char *name, struct bq_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	struct bq_err e = BQ_ERR_INIT;
	int rc = 0;

	op_head(&sb, "create_attribute", h->database, table);
	strbuf_adds(&sb, ",\"attribute\":");
	strbuf_add_json_string(&sb, name, strlen(name));
	strbuf_addch(&sb, '}');
	if (harper_op(h, sb.buf, sb.len, NULL, &e) == -1 &&
	    !(e.kind == EXIT_DATA && strstr(e.msg, "already exists"))) {
		if (err != NULL)
			*err = e;
		if (e.http_status != 401)
			bq_err_prefix(err, "declare '%s' in '%s.%s'", name,
			    h->database, table);
		rc = -1;
	} else if (e.kind == 0)
		bqsync_log(BQ_LOG_INFO, "declared '%s' in '%s.%s'", name,
		    h->database, table);
	strbuf_release(&sb);
	return rc;
}

/*
 * One look at the table: 1 usable (primary key id, every name declared),
 * 0 not yet (created or declared what was missing), -1 error.  With fresh,
 * *fresh = 1 if the table is missing or holds no record, else 0.
 */
static int
ensure_step(struct harper_client *h, const char *table,
    char *const *names[2], const size_t n[2], int *fresh, struct bq_err *err)
{
	cJSON *desc = NULL;
	const cJSON *key, *count;
	size_t k, i;
	int rc = -1, have, missing = 0;

	if ((have = harper_describe_table(h, table, &desc, err)) == -1)
		return -1;
	if (fresh != NULL) {
		count = cJSON_GetObjectItemCaseSensitive(desc, "record_count");
		*fresh = have == 0 ||
		    (cJSON_IsNumber(count) && count->valuedouble == 0);
	}
	if (have == 0)
		return harper_create_table_columns(h, table, names[0], n[0],
		    names[1], n[1], err) == -1 ? -1 : 0;
	key = cJSON_GetObjectItemCaseSensitive(desc, "hash_attribute");
	if (cJSON_IsString(key) && strcmp(key->valuestring, "id") != 0) {
		bq_err_set(err, EXIT_CONFIG, "table '%s.%s' has the primary "
		    "key '%.64s', not 'id'", h->database, table,
		    key->valuestring);
		goto out;
	}
	missing = !cJSON_IsString(key) || !declares(desc, "id");
	for (k = 0; k < 2; k++)
		for (i = 0; i < n[k]; i++) {
			if (*names[k][i] == '\0' || declares(desc, names[k][i]))
				continue;
			missing = 1;
			if (harper_create_attribute(h, table, names[k][i], err) == -1)
				goto out;
		}
	rc = !missing;
out:
	cJSON_Delete(desc);
	return rc;
}

int
harper_ensure_table(struct harper_client *h, const char *table,
    char *const *indexed, size_t nindexed, char *const *plain, size_t nplain,
    int *fresh, struct bq_err *err)
{
	char *const *names[2] = { indexed, plain };
	const size_t n[2] = { nindexed, nplain };
	double start = util_now_mono(), wait = 0.05;
	int rc;

	/* Only the first look says whether the table was new. */
	while ((rc = ensure_step(h, table, names, n, fresh, err)) == 0) {
		fresh = NULL;
		if (util_now_mono() - start + wait > h->deadline)
			return bq_err_set(err, EXIT_TEMPFAIL, "table '%s.%s' "
			    "is not usable after %.0f s", h->database, table,
			    util_now_mono() - start);
		util_sleep(wait, NULL);
		if (wait < 0.5)
			wait *= 2;
	}
	return rc == 1 ? 0 : -1;
}

int
harper_cluster_status(struct harper_client *h, cJSON **out, struct bq_err *err)
{
	static const char op[] = "{\"operation\":\"cluster_status\"}";

	return harper_op(h, op, sizeof(op) - 1, out, err);
}

int
harper_peer_connected(const cJSON *conn)
{
	const cJSON *socks, *s, *c;

	socks = cJSON_GetObjectItemCaseSensitive(conn, "database_sockets");
	cJSON_ArrayForEach(s, socks) {
		c = cJSON_GetObjectItemCaseSensitive(s, "connected");
		if (cJSON_IsTrue(c))
			return 1;
	}
	return 0;
}

int
harper_connected_peers(struct harper_client *h, struct bq_err *err)
{
	cJSON *st = NULL;
	const cJSON *c;
	int n = 0;

	if (harper_cluster_status(h, &st, err) == -1)
		return -1;
	c = cJSON_GetObjectItemCaseSensitive(st, "connections");
	cJSON_ArrayForEach(c, c)
		n += harper_peer_connected(c);
	cJSON_Delete(st);
	return n;
}
