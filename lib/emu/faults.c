/*
 * emu: fault rules (emu_add_fault(), POST /emulator/faults).
 */
#include <string.h>

#include "emu_int.h"
#include "banned.h"

/* ------------------------------------------------------------------ */
/* Faults                                                               */

static int
fault_from_json(const cJSON *j, struct fault *f, struct bq_err *err)
{
	memset(f, 0, sizeof(*f));
	if (!cJSON_IsObject(j))
		return bq_err_set(err, EXIT_USAGE, "fault: not a JSON object");
	if (util_json_str(j, "path"))
		f->path = xstrdup(util_json_str(j, "path"));
	if (util_json_str(j, "method"))
		f->method = xstrdup(util_json_str(j, "method"));
	if (util_json_str(j, "reason"))
		f->reason = xstrdup(util_json_str(j, "reason"));
	f->status = (int)emu_jlong(j, "status", 0);
	f->delay_ms = emu_jlong(j, "delayMs", 0);
	f->incomplete = (int)emu_jlong(j, "incomplete", 0);
	f->job_delay_ms = emu_jlong(j, "jobDelayMs", 0);
	f->truncate = (int)emu_jlong(j, "truncate", 0) != 0 || emu_jbool(j, "truncate");
	f->expire_tokens = emu_jbool(j, "expireTokens");
	f->count = (int)emu_jlong(j, "count", f->status || f->truncate ||
	    f->incomplete || f->job_delay_ms ? 1 : -1);
	if (f->status && (f->status < 400 || f->status > 599))
		return bq_err_set(err, EXIT_USAGE, "fault: status %d is not an "
		    "HTTP error", f->status);
	if (!f->status && !f->delay_ms && !f->incomplete && !f->job_delay_ms &&
	    !f->truncate && !f->expire_tokens)
		return bq_err_set(err, EXIT_USAGE, "fault: nothing to inject");
	return 0;
}

void
emu_fault_release(struct fault *f)
{
	free(f->path);
	free(f->method);
	free(f->reason);
}

void
emu_tokens_clear(struct emu *e)
{
	size_t i;

	for (i = 0; i < e->ntokens; i++)
		util_free_secret(e->tokens[i]);
	free(e->tokens);
	free(e->token_exp);
	e->tokens = NULL;
	e->token_exp = NULL;
	e->ntokens = 0;
}

static int
add_fault_locked(struct emu *e, const char *spec, struct bq_err *err)
{
	struct fault f;
	cJSON *j;

	if (spec[0] == '{') {
		if ((j = cJSON_Parse(spec)) == NULL)
			return bq_err_set(err, EXIT_USAGE, "fault: invalid "
			    "JSON '%s'", spec);
	} else {
		/* STATUS[:PATH[:COUNT]] */
		char *s = xstrdup(spec), *a = strchr(s, ':'), *b = NULL;

		if (a) {
			*a++ = '\0';
			if ((b = strchr(a, ':')) != NULL)
				*b++ = '\0';
		}
		j = cJSON_CreateObject();
		cJSON_AddNumberToObject(j, "status", atoi(s));
		if (a && *a)
			cJSON_AddStringToObject(j, "path", a);
		cJSON_AddNumberToObject(j, "count", b ? atoi(b) : 1);
		free(s);
	}
	if (fault_from_json(j, &f, err) == -1) {
		cJSON_Delete(j);
		emu_fault_release(&f);
		return -1;
	}
	cJSON_Delete(j);
	if (f.expire_tokens)
		emu_tokens_clear(e);
	e->faults = xrealloc(e->faults, (e->nfaults + 1) * sizeof(*e->faults));
	e->faults[e->nfaults++] = f;
	return 0;
}

int
emu_add_fault(struct emu *e, const char *spec, struct bq_err *err)
{
	int rc;

	pthread_mutex_lock(&e->mu);
	rc = add_fault_locked(e, spec, err);
	pthread_mutex_unlock(&e->mu);
	return rc;
}

static const char *
reason_for(int status)
{
	switch (status) {
	case 400: return "badRequest";
	case 401: return "authError";
	case 403: return "rateLimitExceeded";
	case 404: return "notFound";
	case 409: return "duplicate";
	case 429: return "rateLimitExceeded";
	case 500: return "internalError";
	case 501: return "notImplemented";
	default: return "backendError";
	}
}

/*
 * Applies the fault rules matching this request: returns 1 if the answer
 * is already in c->r; *delay_ms and *truncate report the rest.
 */
int
emu_apply_faults(struct call *c, const char *url, long *delay_ms, int *truncate)
{
	struct emu *e = c->e;
	size_t i;

	for (i = 0; i < e->nfaults; i++) {
		struct fault *f = &e->faults[i];

		if (f->count == 0 || f->incomplete || f->job_delay_ms ||
		    f->expire_tokens)
			continue;
		if (f->path && strstr(url, f->path) == NULL)
			continue;
		if (f->method && strcasecmp(f->method, c->method) != 0)
			continue;
		if (f->count > 0)
			f->count--;
		*delay_ms += f->delay_ms;
		if (f->truncate)
			*truncate = 1;
		if (f->status == 502) {
			c->r->status = 502;
			strbuf_reset(&c->r->body);
			strbuf_adds(&c->r->body, "<html><body><h1>502 Bad "
			    "Gateway</h1></body></html>\n");
			c->r->ctype = "text/html";
			return 1;
		}
		if (f->status) {
			emu_resp_error(c->r, f->status, f->reason ? f->reason :
			    reason_for(f->status), "Injected fault: HTTP %d "
			    "from bq-emulator", f->status);
			return 1;
		}
	}
	return 0;
}

void
emu_h_faults(struct call *c)
{
	struct bq_err err = BQ_ERR_INIT;
	size_t i;

	if (strcmp(c->method, "DELETE") == 0) {
		for (i = 0; i < c->e->nfaults; i++)
			emu_fault_release(&c->e->faults[i]);
		c->e->nfaults = 0;
		c->r->status = 204;
		strbuf_reset(&c->r->body);
		return;
	}
	if (strcmp(c->method, "POST") != 0) {
		emu_resp_error(c->r, 405, "badRequest", "Method not allowed");
		return;
	}
	{
		char *s = xstrndup(c->body ? c->body : "", c->blen);

		if (add_fault_locked(c->e, s, &err) == -1)
			emu_bad_request(c->r, err.msg);
		else
			emu_resp_json(c->r, 200, cJSON_CreateObject());
		free(s);
	}
}
