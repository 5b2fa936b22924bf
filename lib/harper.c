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
	char	*database;
};

struct harper_client *
harper_client_new(const struct config *cfg, struct bq_err *err)
{
	struct harper_client *h;
	struct http_opts o;
	const char *url = cfg->harper_url;

	if (url == NULL || *url == '\0')
		url = "http://127.0.0.1:9925";
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
		bq_err_set(err, EXIT_CONFIG,
		    "harper url '%.100s': not an http:// or https:// URL", url);
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
	h->url = xstrdup(url);
	h->database = xstrdup(cfg->harper_database != NULL &&
	    *cfg->harper_database != '\0' ? cfg->harper_database : "data");
	return h;
}

void
harper_client_free(struct harper_client *h)
{
	if (h == NULL)
		return;
	http_client_free(h->http);
	free(h->url);
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
	if (resp.status == 401 || resp.status == 403)
		kind = EXIT_NOPERM;
	else if (resp.status >= 400 && resp.status <= 499 &&
	    resp.status != 408 && resp.status != 429)
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
		if (err != NULL && err->http_status != 0)
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
		bq_err_prefix(err, "create table '%s.%s'", h->database, table);
		goto out;
	}
	bqsync_log(BQ_LOG_INFO, "created table '%s.%s'", h->database, table);
	rc = 0;
out:
	strbuf_release(&sb);
	return rc;
}

int
harper_cluster_status(struct harper_client *h, cJSON **out, struct bq_err *err)
{
	static const char op[] = "{\"operation\":\"cluster_status\"}";

	return harper_op(h, op, sizeof(op) - 1, out, err);
}
