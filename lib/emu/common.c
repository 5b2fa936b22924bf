/*
 * emu: helpers every part of the server uses: request JSON, SQLite
 * names and statements, base64.
 */
#include <ctype.h>
#include <string.h>

#include "emu_int.h"
#include "banned.h"

/* ------------------------------------------------------------------ */
/* Utilities                                                            */

char *
emu_quote_long_numbers(const char *s, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	size_t i = 0, st;
	int in_str = 0;

	strbuf_init(&sb, n + 16);
	while (i < n) {
		char c = s[i];

		if (in_str) {
			strbuf_addch(&sb, c);
			if (c == '\\' && i + 1 < n) {
				strbuf_addch(&sb, s[i + 1]);
				i += 2;
				continue;
			}
			if (c == '"')
				in_str = 0;
			i++;
			continue;
		}
		if (c == '"') {
			in_str = 1;
			strbuf_addch(&sb, c);
			i++;
			continue;
		}
		if (c == '-' || isdigit((unsigned char)c)) {
			st = i;
			while (i < n && (isdigit((unsigned char)s[i]) ||
			    strchr("-+.eE", s[i])))
				i++;
			if (i - st > 15) {
				strbuf_addch(&sb, '"');
				strbuf_add(&sb, s + st, i - st);
				strbuf_addch(&sb, '"');
			} else
				strbuf_add(&sb, s + st, i - st);
			continue;
		}
		strbuf_addch(&sb, c);
		i++;
	}
	return strbuf_detach(&sb, NULL);
}

cJSON *
emu_parse_body(struct call *c)
{
	char *q;
	cJSON *j;

	if (c->blen == 0)
		return cJSON_CreateObject();
	q = emu_quote_long_numbers(c->body, c->blen);
	j = cJSON_Parse(q);
	free(q);
	return j;
}

const cJSON *
emu_jget(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsNull(v) ? NULL : v;
}

int
emu_jbool(const cJSON *o, const char *k)
{
	const cJSON *v = emu_jget(o, k);

	if (cJSON_IsString(v))
		return strcasecmp(v->valuestring, "true") == 0;
	return cJSON_IsTrue(v);
}

long
emu_jlong(const cJSON *o, const char *k, long def)
{
	const cJSON *v = emu_jget(o, k);

	if (cJSON_IsNumber(v))
		return (long)v->valuedouble;
	if (cJSON_IsString(v))
		return strtol(v->valuestring, NULL, 10);
	return def;
}

void
emu_add_i64(cJSON *o, const char *k, int64_t v)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	cJSON_AddStringToObject(o, k, buf);
}

int
emu_valid_id(const char *s, int dashes)
{
	size_t n = 0;

	if (s == NULL || *s == '\0')
		return 0;
	for (; *s; s++, n++)
		if (!isalnum((unsigned char)*s) && *s != '_' &&
		    !(dashes && (*s == '-' || *s == '.' || *s == ':')))
			return 0;
	return n <= 1024;
}

char *
emu_sql_name(const char *p, const char *d, const char *t)
{
	return xstrfmt("%s.%s.%s", p, d, t);
}

int
emu_exec(struct emu *e, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(e->db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK) {
		bqsync_log(BQ_LOG_WARN, "sqlite: %s", msg ? msg : "error");
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void
emu_b64_add(struct strbuf *sb, const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		strbuf_addch(sb, b64chars[p[i] >> 2]);
		strbuf_addch(sb, b64chars[(p[i] & 3) << 4 | p[i + 1] >> 4]);
		strbuf_addch(sb, b64chars[(p[i + 1] & 15) << 2 | p[i + 2] >> 6]);
		strbuf_addch(sb, b64chars[p[i + 2] & 63]);
	}
	if (n - i == 1) {
		strbuf_addch(sb, b64chars[p[i] >> 2]);
		strbuf_addch(sb, b64chars[(p[i] & 3) << 4]);
		strbuf_adds(sb, "==");
	} else if (n - i == 2) {
		strbuf_addch(sb, b64chars[p[i] >> 2]);
		strbuf_addch(sb, b64chars[(p[i] & 3) << 4 | p[i + 1] >> 4]);
		strbuf_addch(sb, b64chars[(p[i + 1] & 15) << 2]);
		strbuf_addch(sb, '=');
	}
}
