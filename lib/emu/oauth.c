/*
 * emu: the OAuth token endpoint (RS256 JWT bearer grants) and the
 * access-token check every API call passes.
 */
#include <ctype.h>
#include <errno.h>

#include <openssl/pem.h>
#include <openssl/rand.h>

#include "emu_int.h"
#include "banned.h"

/* ------------------------------------------------------------------ */
/* OAuth token endpoint                                                 */

static int
b64url_decode(const char *s, size_t n, unsigned char **out, size_t *olen)
{
	unsigned char *o = xmalloc(n * 3 / 4 + 4);
	unsigned acc = 0;
	int bits = 0;
	size_t i, k = 0;

	for (i = 0; i < n; i++) {
		int v;
		char ch = s[i];

		if (ch >= 'A' && ch <= 'Z') v = ch - 'A';
		else if (ch >= 'a' && ch <= 'z') v = ch - 'a' + 26;
		else if (ch >= '0' && ch <= '9') v = ch - '0' + 52;
		else if (ch == '-') v = 62;
		else if (ch == '_') v = 63;
		else if (ch == '=') break;
		else {
			free(o);
			return -1;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			o[k++] = (unsigned char)(acc >> bits);
		}
	}
	*out = o;
	*olen = k;
	return 0;
}

static char *
form_value(const char *body, size_t n, const char *key)
{
	size_t kl = strlen(key), i = 0;

	while (i < n) {
		size_t e = i;

		while (e < n && body[e] != '&')
			e++;
		if (e - i > kl && strncmp(body + i, key, kl) == 0 &&
		    body[i + kl] == '=') {
			struct strbuf sb = STRBUF_INIT;
			size_t k;

			strbuf_init(&sb, e - i);
			for (k = i + kl + 1; k < e; k++) {
				if (body[k] == '+')
					strbuf_addch(&sb, ' ');
				else if (body[k] == '%' && k + 2 < e + 1 &&
				    isxdigit((unsigned char)body[k + 1]) &&
				    isxdigit((unsigned char)body[k + 2])) {
					char hx[3] = { body[k + 1], body[k + 2],
					    0 };

					strbuf_addch(&sb, (int)strtol(hx, NULL,
					    16));
					k += 2;
				} else
					strbuf_addch(&sb, body[k]);
			}
			return strbuf_detach(&sb, NULL);
		}
		i = e + 1;
	}
	return NULL;
}

static void
oauth_error(struct resp *r, int status, const char *err, const char *desc)
{
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "error", err);
	cJSON_AddStringToObject(o, "error_description", desc);
	emu_resp_json(r, status, o);
}

/* Verifies an RS256 JWT bearer assertion; NULL if fine, else why. */
/* 1 when the space-separated scope list s grants BigQuery. */
static int
bigquery_scope(const char *s)
{
	static const char *const ok[] = {
		"https://www.googleapis.com/auth/bigquery",
		"https://www.googleapis.com/auth/bigquery.readonly",
		"https://www.googleapis.com/auth/cloud-platform",
		"https://www.googleapis.com/auth/cloud-platform.read-only"
	};
	size_t n, i;

	while (s != NULL && *s != '\0') {
		n = strcspn(s, " ");
		for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
			if (strlen(ok[i]) == n && strncmp(s, ok[i], n) == 0)
				return 1;
		s += n + (s[n] == ' ');
	}
	return 0;
}

/*
 * The audience must be this endpoint as the client reached it, or
 * Google's own token URI; the issuer the key file's client_email when -k
 * named one.  NULL when the claims are fine, else why not.
 */
static const char *
check_claims(struct call *c, const cJSON *cl, const char **kind)
{
	const char *aud = util_json_str(cl, "aud"), *iss = util_json_str(cl,
	    "iss"), *host = emu_header(c, "Host");
	char *self;
	int ok;

	*kind = "invalid_grant";
	if (aud == NULL)
		return "Invalid JWT: no audience (aud)";
	self = xstrfmt("http://%s/token", host != NULL ? host : "");
	ok = strcmp(aud, self) == 0 ||
	    strcmp(aud, "https://oauth2.googleapis.com/token") == 0;
	free(self);
	if (!ok)
		return "Invalid JWT: the audience (aud) is not this token "
		    "endpoint";
	if (iss == NULL || (c->e->key_email != NULL &&
	    strcmp(iss, c->e->key_email) != 0))
		return "Invalid JWT: the issuer (iss) is not the key's "
		    "client_email";
	if (!bigquery_scope(util_json_str(cl, "scope"))) {
		*kind = "invalid_scope";
		return "Invalid OAuth scope or ID token audience provided.";
	}
	return NULL;
}

static const char *
verify_jwt(struct call *call, const char *jwt, const char **kind)
{
	struct emu *e = call->e;
	const char *d1 = strchr(jwt, '.'), *d2 = d1 ? strchr(d1 + 1, '.') :
	    NULL;
	unsigned char *hdr = NULL, *cl = NULL, *sig = NULL;
	size_t hl, cll, sl;
	cJSON *h = NULL, *c = NULL;
	const char *why = "Invalid JWT Signature.";
	double now = util_now_wall(), iat, exp;
	int i;

	if (d2 == NULL || strchr(d2 + 1, '.'))
		return "Invalid JWT: malformed";
	if (b64url_decode(jwt, (size_t)(d1 - jwt), &hdr, &hl) == -1 ||
	    b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &cl, &cll) == -1 ||
	    b64url_decode(d2 + 1, strlen(d2 + 1), &sig, &sl) == -1) {
		why = "Invalid JWT: bad base64url";
		goto out;
	}
	h = cJSON_ParseWithLength((const char *)hdr, hl);
	c = cJSON_ParseWithLength((const char *)cl, cll);
	if (h == NULL || c == NULL || util_json_str(h, "alg") == NULL ||
	    strcmp(util_json_str(h, "alg"), "RS256") != 0) {
		why = "Invalid JWT: header must name alg RS256";
		goto out;
	}
	for (i = 0; i < e->nkeys; i++) {
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		int ok = md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL,
		    e->keys[i]) == 1 && EVP_DigestVerify(md, sig, sl,
		    (const unsigned char *)jwt, (size_t)(d2 - jwt)) == 1;

		EVP_MD_CTX_free(md);
		if (ok)
			break;
	}
	if (i == e->nkeys)
		goto out;
	iat = cJSON_IsNumber(emu_jget(c, "iat")) ? emu_jget(c, "iat")->valuedouble : -1;
	exp = cJSON_IsNumber(emu_jget(c, "exp")) ? emu_jget(c, "exp")->valuedouble : -1;
	if ((why = check_claims(call, c, kind)) != NULL)
		goto out;
	why = "Invalid JWT Signature.";
	if (iat < 0 || exp <= now || iat > now + 300 || exp - iat > 3600 ||
	    exp <= iat) {
		why = "Invalid JWT: Token must be a short-lived token (60 "
		    "minutes) and in a reasonable timeframe. Check your iat "
		    "and exp values in the JWT claim.";
		goto out;
	}
	why = NULL;
out:
	cJSON_Delete(h);
	cJSON_Delete(c);
	free(hdr);
	free(cl);
	free(sig);
	return why;
}

static void
issue_token(struct emu *e, struct resp *r)
{
	unsigned char rnd[24];
	char hex[49];
	cJSON *o;
	int i;

	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		oauth_error(r, 500, "internal_failure", "no randomness");
		return;
	}
	for (i = 0; i < 24; i++)
		snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
	e->tokens = xrealloc(e->tokens, (e->ntokens + 1) * sizeof(char *));
	e->token_exp = xrealloc(e->token_exp, (e->ntokens + 1) *
	    sizeof(double));
	e->tokens[e->ntokens] = xstrfmt("ya29.emu-%s", hex);
	e->token_exp[e->ntokens] = util_now_wall() + 3600;
	o = cJSON_CreateObject();
	cJSON_AddStringToObject(o, "access_token", e->tokens[e->ntokens]);
	cJSON_AddNumberToObject(o, "expires_in", 3599);
	cJSON_AddStringToObject(o, "token_type", "Bearer");
	e->ntokens++;
	emu_resp_json(r, 200, o);
	util_wipe(hex, sizeof(hex));
}

void
emu_h_token(struct call *c)
{
	char *gt = form_value(c->body, c->blen, "grant_type");
	char *as = NULL, *rt = NULL, *ci = NULL, *cs = NULL;

	if (c->e->nkeys == 0 && c->e->token_user == NULL) {
		oauth_error(c->r, 400, "unsupported_grant_type", "bq-emulator "
		    "has no token key (--token-key)");
		goto out;
	}
	if (gt && strcmp(gt, "urn:ietf:params:oauth:grant-type:jwt-bearer") ==
	    0 && c->e->nkeys > 0) {
		const char *why, *kind = "invalid_grant";

		as = form_value(c->body, c->blen, "assertion");
		if (as == NULL) {
			oauth_error(c->r, 400, "invalid_request", "Missing "
			    "required parameter: assertion");
			goto out;
		}
		if ((why = verify_jwt(c, as, &kind)) != NULL) {
			oauth_error(c->r, 400, kind, why);
			goto out;
		}
		issue_token(c->e, c->r);
	} else if (gt && strcmp(gt, "refresh_token") == 0 && c->e->token_user) {
		const char *wci = util_json_str(c->e->token_user, "client_id");
		const char *wcs = util_json_str(c->e->token_user, "client_secret");
		const char *wrt = util_json_str(c->e->token_user, "refresh_token");

		rt = form_value(c->body, c->blen, "refresh_token");
		ci = form_value(c->body, c->blen, "client_id");
		cs = form_value(c->body, c->blen, "client_secret");
		if (!rt || !ci || !cs || !wci || !wcs || !wrt ||
		    strcmp(rt, wrt) || strcmp(ci, wci) || strcmp(cs, wcs)) {
			oauth_error(c->r, 400, "invalid_grant", "Bad Request");
			goto out;
		}
		issue_token(c->e, c->r);
	} else
		oauth_error(c->r, 400, "unsupported_grant_type", "Invalid "
		    "grant_type");
out:
	free(gt);
	util_free_secret(as);
	util_free_secret(rt);
	free(ci);
	util_free_secret(cs);
}

/* 0 if the request carries a valid issued token (or none is needed). */
int
emu_check_auth(struct call *c)
{
	const char *h = emu_header(c, "Authorization");
	double now = util_now_wall();
	size_t i;

	if (!c->e->auth)
		return 0;
	if (h == NULL || strncasecmp(h, "Bearer ", 7) != 0) {
		emu_resp_error(c->r, 401, "required", "Request is missing required "
		    "authentication credential. Expected OAuth 2 access token, "
		    "login cookie or other valid authentication credential.");
		return -1;
	}
	for (i = 0; i < c->e->ntokens; i++)
		if (strcmp(c->e->tokens[i], h + 7) == 0 &&
		    c->e->token_exp[i] > now)
			return 0;
	emu_resp_error(c->r, 401, "authError", "Request had invalid authentication "
	    "credentials. Expected OAuth 2 access token, login cookie or other "
	    "valid authentication credential.");
	return -1;
}

int
emu_load_keys(struct emu *e, const char *path, struct bq_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	const char *p;
	cJSON *j = NULL;
	int rc = -1;

	if (util_read_file(path, &sb) == -1)
		return bq_err_set(err, EXIT_CONFIG, "cannot read '%s': %s", path,
		    strerror(errno));
	if (sb.buf[0] == '{' && (j = cJSON_Parse(sb.buf)) != NULL &&
	    util_json_str(j, "private_key")) {
		/* A service-account key file: verify with its public half. */
		BIO *b = BIO_new_mem_buf(util_json_str(j, "private_key"), -1);
		EVP_PKEY *k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);

		BIO_free(b);
		if (k)
			e->keys[e->nkeys++] = k;
		if (util_json_str(j, "client_email") != NULL)
			e->key_email = xstrdup(util_json_str(j,
			    "client_email"));
	} else
		for (p = sb.buf; (p = strstr(p, "-----BEGIN ")) != NULL &&
		    e->nkeys < MAX_KEYS; p++) {
			const char *end = strstr(p, "-----END ");
			BIO *b;
			EVP_PKEY *k = NULL;
			X509 *x = NULL;

			if (end == NULL || (end = strstr(end + 9, "-----")) ==
			    NULL)
				break;
			b = BIO_new_mem_buf(p, (int)(end + 5 - p));
			if (strncmp(p + 11, "CERTIFICATE", 11) == 0) {
				if ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)))
					k = X509_get_pubkey(x);
				X509_free(x);
			} else if (strncmp(p + 11, "PUBLIC KEY", 10) == 0 ||
			    strncmp(p + 11, "RSA PUBLIC KEY", 14) == 0)
				k = strncmp(p + 11, "RSA", 3) == 0 ?
				    PEM_read_bio_PUBKEY(b, NULL, NULL, NULL) :
				    PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
			else
				k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
			BIO_free(b);
			if (k)
				e->keys[e->nkeys++] = k;
		}
	if (e->nkeys == 0) {
		bq_err_set(err, EXIT_CONFIG, "'%s': no RSA key or certificate "
		    "found", path);
		goto out;
	}
	rc = 0;
out:
	cJSON_Delete(j);
	util_wipe(sb.buf, sb.len);
	strbuf_release(&sb);
	return rc;
}
