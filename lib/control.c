#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "control.h"
#include "harper.h"
#include "log.h"
#include "ts.h"
#include "util.h"
#include "banned.h"

static void
op_head(struct strbuf *sb, struct harper_client *hc, const char *op)
{
	const char *db = harper_database(hc);

	strbuf_addf(sb, "{\"operation\":\"%s\",\"database\":", op);
	strbuf_add_json_string(sb, db, strlen(db));
	strbuf_adds(sb, ",\"table\":\"" CONTROL_TABLE "\"");
}

/* Every record of the control table; *out NULL when there is no table. */
static int
fetch(struct harper_client *hc, cJSON **out, struct bq_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	struct bq_err e = BQ_ERR_INIT;
	int rc = 0;

	*out = NULL;
	op_head(&sb, hc, "search_by_value");
	strbuf_adds(&sb, ",\"search_attribute\":\"id\",\"search_value\":\"*\","
	    "\"get_attributes\":[\"*\"]}");
	if (harper_op(hc, sb.buf, sb.len, out, &e) == -1) {
		if (e.http_status >= 400 && e.http_status < 500 &&
		    e.http_status != 401 && e.http_status != 403 &&
		    strstr(e.msg, "not exist") != NULL)
			goto out;	/* no table, no record: running */
		*err = e;
		rc = -1;
	}
out:
	strbuf_release(&sb);
	return rc;
}

int
control_decide(const cJSON *records, const char *table_id)
{
	const cJSON *r, *id, *act;
	int all = 0, own = -1;

	cJSON_ArrayForEach(r, records) {
		id = cJSON_GetObjectItemCaseSensitive(r, "id");
		act = cJSON_GetObjectItemCaseSensitive(r, "action");
		if (!cJSON_IsString(id) || !cJSON_IsString(act))
			continue;
		if (strcmp(id->valuestring, "*") == 0)
			all = strcmp(act->valuestring, "stop") == 0;
		else if (table_id != NULL &&
		    strcmp(id->valuestring, table_id) == 0)
			own = strcmp(act->valuestring, "stop") == 0;
	}
	return own != -1 ? own : all;
}

int
control_stopped(struct harper_client *hc, const char *table_id,
    struct bq_err *err)
{
	cJSON *recs = NULL;
	int rc;

	if (fetch(hc, &recs, err) == -1)
		return -1;
	rc = recs != NULL ? control_decide(recs, table_id) : 0;
	cJSON_Delete(recs);
	return rc;
}

/* Deletes the tables' own records (a "*" record then speaks for all). */
static int
delete_own(struct harper_client *hc, const cJSON *recs, struct bq_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	const cJSON *r, *id;
	int n = 0, rc;

	op_head(&sb, hc, "delete");
	strbuf_adds(&sb, ",\"ids\":[");
	cJSON_ArrayForEach(r, recs) {
		id = cJSON_GetObjectItemCaseSensitive(r, "id");
		if (!cJSON_IsString(id) || strcmp(id->valuestring, "*") == 0)
			continue;
		if (n++ > 0)
			strbuf_addch(&sb, ',');
		strbuf_add_json_string(&sb, id->valuestring,
		    strlen(id->valuestring));
	}
	strbuf_adds(&sb, "]}");
	rc = n > 0 ? harper_op(hc, sb.buf, sb.len, NULL, err) : 0;
	strbuf_release(&sb);
	return rc;
}

int
control_set(struct harper_client *hc, const char *table_id,
    const char *action, struct bq_err *err)
{
	static char action_s[] = "action", updated_s[] = "updatedAt";
	char *plain[] = { action_s, updated_s };
	struct strbuf sb = STRBUF_INIT;
	cJSON *recs = NULL;
	char now[TS_BUFSZ];
	const char *id = table_id != NULL ? table_id : "*";
	int rc = -1;

	if (harper_create_table_columns(hc, CONTROL_TABLE, NULL, 0, plain, 2,
	    err) == -1)
		goto out;
	strbuf_adds(&sb, "[{\"id\":");
	strbuf_add_json_string(&sb, id, strlen(id));
	strbuf_adds(&sb, ",\"action\":");
	strbuf_add_json_string(&sb, action, strlen(action));
	strbuf_addf(&sb, ",\"updatedAt\":\"%s\"}]", ts_format(ts_now(), now));
	if (harper_upsert(hc, CONTROL_TABLE, sb.buf, sb.len, err) == -1)
		goto out;
	if (table_id == NULL && (fetch(hc, &recs, err) == -1 ||
	    (recs != NULL && delete_own(hc, recs, err) == -1)))
		goto out;
	rc = 0;
out:
	cJSON_Delete(recs);
	strbuf_release(&sb);
	return rc;
}
