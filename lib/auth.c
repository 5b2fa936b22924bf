#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "auth.h"
#include "util.h"
#include "banned.h"

enum auth_src { SRC_SERVICE_ACCOUNT, SRC_AUTHORIZED_USER, SRC_METADATA };

struct auth {
	enum auth_src	 src;
	struct http_client *http;
	char		*token_uri;
	char		*email;
	char		*kid;
	char		*key_pem;	/* secret */
	char		*client_id;
	char		*client_secret;	/* secret */
	char		*refresh_token;	/* secret */
	char		*meta_host;
	char		*project;
	char		*token;		/* secret */
	double		 got;
	double		 expires_in;
};

static const char b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *
auth_base64url(const void *data, size_t len)
{
	const unsigned char *p = data;
	char *out = xmalloc(len / 3 * 4 + 5), *o = out;
	size_t i;

	for (i = 0; i + 2 < len; i += 3) {
		*o++ = b64url[p[i] >> 2];
		*o++ = b64url[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		*o++ = b64url[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		*o++ = b64url[p[i + 2] & 63];
	}
	if (len - i == 1) {
		*o++ = b64url[p[i] >> 2];
		*o++ = b64url[(p[i] & 3) << 4];
	} else if (len - i == 2) {
		*o++ = b64url[p[i] >> 2];
		*o++ = b64url[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		*o++ = b64url[(p[i + 1] & 15) << 2];
	}
	*o = '\0';
	return out;
}

static void
add_b64url_json(struct strbuf *sb, cJSON *obj)
{
	char *text = cJSON_PrintUnformatted(obj), *b;

	if (text == NULL)
		abort();
	b = auth_base64url(text, strlen(text));
	strbuf_adds(sb, b);
	free(b);
	free(text);
}

char *
auth_jwt_make(const char *pem_key, const char *kid, const char *iss,
    const char *scope, const char *aud, int64_t iat, struct bq_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	cJSON *hdr = NULL, *claims = NULL;
	BIO *bio = NULL;
	EVP_PKEY *pkey = NULL;
	EVP_MD_CTX *ctx = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;
	char *b = NULL, *jwt = NULL;

	strbuf_init(&sb, 1024);
	hdr = cJSON_CreateObject();
	cJSON_AddStringToObject(hdr, "alg", "RS256");
	cJSON_AddStringToObject(hdr, "typ", "JWT");
	if (kid != NULL && *kid != '\0')
		cJSON_AddStringToObject(hdr, "kid", kid);
	claims = cJSON_CreateObject();
	cJSON_AddStringToObject(claims, "iss", iss);
	cJSON_AddStringToObject(claims, "scope", scope);
	cJSON_AddStringToObject(claims, "aud", aud);
	cJSON_AddNumberToObject(claims, "iat", (double)iat);
	cJSON_AddNumberToObject(claims, "exp", (double)(iat + 3600));
	add_b64url_json(&sb, hdr);
	strbuf_addch(&sb, '.');
	add_b64url_json(&sb, claims);

	bio = BIO_new_mem_buf(pem_key, -1);
	if (bio == NULL || (pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL,
	    NULL)) == NULL) {
		bq_err_set(err, EXIT_CONFIG,
		    "credentials: private_key is not a PEM private key");
		goto out;
	}
	if (EVP_PKEY_base_id(pkey) != EVP_PKEY_RSA) {
		bq_err_set(err, EXIT_CONFIG,
		    "credentials: private_key is not an RSA key");
		goto out;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL ||
	    EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, pkey) != 1 ||
	    EVP_DigestSign(ctx, NULL, &siglen, (unsigned char *)sb.buf,
	    sb.len) != 1) {
		bq_err_set(err, EXIT_FAIL, "credentials: cannot sign the JWT");
		goto out;
	}
	sig = xmalloc(siglen);
	if (EVP_DigestSign(ctx, sig, &siglen, (unsigned char *)sb.buf,
	    sb.len) != 1) {
		bq_err_set(err, EXIT_FAIL, "credentials: cannot sign the JWT");
		goto out;
	}
	b = auth_base64url(sig, siglen);
	strbuf_addch(&sb, '.');
	strbuf_adds(&sb, b);
	jwt = strbuf_detach(&sb, NULL);
out:
	util_free_secret(b);
	if (sig != NULL) {
		OPENSSL_cleanse(sig, siglen);
		free(sig);
	}
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);	/* OpenSSL clears RSA key material */
	BIO_free(bio);
	cJSON_Delete(claims);
	cJSON_Delete(hdr);
	strbuf_release_secret(&sb);
	return jwt;
}

int
auth_needs_refresh(double got, double expires_in, double now)
{
	return now >= got + expires_in - AUTH_REFRESH_MARGIN;
}

/* Copies the printable, non-secret part of s (at most 120 bytes). */
static void
safe_text(char *out, size_t n, const char *s)
{
	size_t i;

	for (i = 0; s != NULL && s[i] != '\0' && i + 1 < n && i < 120; i++)
		out[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	out[i] = '\0';
}

int
auth_parse_token_response(long status, const char *body, char **token,
    double *expires_in, struct bq_err *err)
{
	cJSON *j = cJSON_Parse(body != NULL ? body : "");
	const cJSON *e;
	const char *t;
	char what[128], desc[128];
	int rc = -1;

	*token = NULL;
	if (status != 200) {
		safe_text(what, sizeof(what), util_json_str(j, "error"));
		safe_text(desc, sizeof(desc), util_json_str(j, "error_description"));
		if (what[0] == '\0') {
			const cJSON *eo = cJSON_GetObjectItem(j, "error");

			safe_text(what, sizeof(what), util_json_str(eo, "message"));
		}
		bq_err_set(err, status >= 500 || status == 429 || status == 408 ?
		    EXIT_TEMPFAIL : EXIT_NOPERM,
		    "token endpoint refused the credentials: HTTP %ld%s%s%s%s",
		    status, what[0] ? ": " : "", what, desc[0] ? ": " : "",
		    desc);
		err->http_status = status;
		goto out;
	}
	if ((t = util_json_str(j, "access_token")) == NULL || *t == '\0') {
		bq_err_set(err, EXIT_NOPERM,
		    "token endpoint answer has no access_token");
		goto out;
	}
	e = cJSON_GetObjectItem(j, "expires_in");
	*expires_in = 3600;
	if (cJSON_IsNumber(e))
		*expires_in = e->valuedouble;
	else if (cJSON_IsString(e))
		*expires_in = strtod(e->valuestring, NULL);
	*token = xstrdup(t);
	rc = 0;
out:
	if (j != NULL) {
		cJSON *a = cJSON_GetObjectItem(j, "access_token");

		if (cJSON_IsString(a))
			util_wipe(a->valuestring, strlen(a->valuestring));
		cJSON_Delete(j);
	}
	return rc;
}

/* Copies a secret string out of a key file and wipes it there. */
static char *
take_secret(cJSON *o, const char *key)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	char *s;

	if (!cJSON_IsString(v) || *v->valuestring == '\0')
		return NULL;
	s = xstrdup(v->valuestring);
	util_wipe(v->valuestring, strlen(v->valuestring));
	return s;
}

static char *
dup_or_null(const char *s)
{
	return s != NULL && *s != '\0' ? xstrdup(s) : NULL;
}

static int
load_file(struct auth *a, const char *path, struct bq_err *err)
{
	struct strbuf sb = STRBUF_INIT;
	cJSON *j = NULL;
	const char *type;
	int rc = -1;

	if (util_read_secret(path, &sb) == -1) {
		bq_err_set(err, errno == ENOENT ? EXIT_CONFIG : EXIT_IOERR,
		    "cannot read credentials '%s': %s", path, strerror(errno));
		goto out;
	}
	if ((j = cJSON_Parse(sb.buf)) == NULL || !cJSON_IsObject(j)) {
		bq_err_set(err, EXIT_CONFIG,
		    "credentials '%s': not a JSON key file", path);
		goto out;
	}
	type = util_json_str(j, "type");
	a->project = dup_or_null(util_json_str(j, "project_id"));
	if (a->project == NULL)
		a->project = dup_or_null(util_json_str(j, "quota_project_id"));
	if (type != NULL && strcmp(type, "service_account") == 0) {
		a->src = SRC_SERVICE_ACCOUNT;
		a->email = dup_or_null(util_json_str(j, "client_email"));
		a->kid = dup_or_null(util_json_str(j, "private_key_id"));
		a->token_uri = dup_or_null(util_json_str(j, "token_uri"));
		a->key_pem = take_secret(j, "private_key");
		if (a->email == NULL || a->key_pem == NULL) {
			bq_err_set(err, EXIT_CONFIG, "credentials '%s': "
			    "client_email or private_key missing", path);
			goto out;
		}
	} else if (type != NULL && strcmp(type, "authorized_user") == 0) {
		a->src = SRC_AUTHORIZED_USER;
		a->client_id = dup_or_null(util_json_str(j, "client_id"));
		a->token_uri = dup_or_null(util_json_str(j, "token_uri"));
		a->client_secret = take_secret(j, "client_secret");
		a->refresh_token = take_secret(j, "refresh_token");
		if (a->client_id == NULL || a->refresh_token == NULL) {
			bq_err_set(err, EXIT_CONFIG, "credentials '%s': "
			    "client_id or refresh_token missing", path);
			goto out;
		}
	} else {
		bq_err_set(err, EXIT_CONFIG,
		    "credentials '%s': unsupported type '%s'", path,
		    type != NULL ? type : "(none)");
		goto out;
	}
	if (a->token_uri == NULL)
		a->token_uri = xstrdup(AUTH_TOKEN_URI);
	rc = 0;
out:
	cJSON_Delete(j);
	strbuf_release_secret(&sb);
	return rc;
}

struct auth *
auth_new(const char *path, struct http_client *http, struct bq_err *err)
{
	struct auth *a = xcalloc(1, sizeof(*a));
	const char *dir, *home, *meta;
	char *adc = NULL;
	FILE *fp;

	a->http = http;
	if (path != NULL && *path != '\0') {
		if (load_file(a, path, err) == -1)
			goto fail;
		return a;
	}
	if ((dir = getenv("CLOUDSDK_CONFIG")) != NULL && *dir != '\0')
		adc = xstrfmt("%s/application_default_credentials.json", dir);
	else if ((home = getenv("HOME")) != NULL && *home != '\0')
		adc = xstrfmt("%s/.config/gcloud/"
		    "application_default_credentials.json", home);
	if (adc != NULL && (fp = fopen(adc, "r")) != NULL) {
		fclose(fp);
		if (load_file(a, adc, err) == -1)
			goto fail;
		free(adc);
		return a;
	}
	free(adc);
	adc = NULL;
	if ((meta = getenv("GCE_METADATA_HOST")) != NULL && *meta != '\0') {
		a->src = SRC_METADATA;
		a->meta_host = xstrdup(meta);
		return a;
	}
	bq_err_set(err, EXIT_CONFIG, "no BigQuery credentials: set "
	    "GOOGLE_APPLICATION_CREDENTIALS, bigquery.credentials, or run "
	    "'gcloud auth application-default login'");
fail:
	free(adc);
	auth_free(a);
	return NULL;
}

void
auth_free(struct auth *a)
{
	if (a == NULL)
		return;
	free(a->token_uri);
	free(a->email);
	free(a->kid);
	util_free_secret(a->key_pem);
	free(a->client_id);
	util_free_secret(a->client_secret);
	util_free_secret(a->refresh_token);
	free(a->meta_host);
	free(a->project);
	util_free_secret(a->token);
	free(a);
}

void
auth_invalidate(struct auth *a)
{
	util_free_secret(a->token);
	a->token = NULL;
}

const char *
auth_project(const struct auth *a)
{
	return a->project;
}

const char *
auth_kind(const struct auth *a)
{
	switch (a->src) {
	case SRC_SERVICE_ACCOUNT:
		return "service_account";
	case SRC_AUTHORIZED_USER:
		return "authorized_user";
	default:
		return "metadata";
	}
}

static void
add_form(struct strbuf *sb, const char *key, const char *val)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	if (sb->len > 0)
		strbuf_addch(sb, '&');
	strbuf_adds(sb, key);
	strbuf_addch(sb, '=');
	for (p = (const unsigned char *)val; *p != '\0'; p++) {
		if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' ||
		    *p == '.' || *p == '~') {
			strbuf_addch(sb, *p);
		} else {
			strbuf_addch(sb, '%');
			strbuf_addch(sb, hex[*p >> 4]);
			strbuf_addch(sb, hex[*p & 15]);
		}
	}
}

static int
fetch_token(struct auth *a, struct bq_err *err)
{
	struct strbuf form = STRBUF_INIT;
	struct http_request req;
	struct http_response resp;
	const char *hdrs[] = { "Metadata-Flavor: Google", NULL };
	char *jwt = NULL, *url = NULL, *tok = NULL;
	double exp = 0;
	int rc = -1;

	memset(&req, 0, sizeof(req));
	req.secret = 1;
	http_response_init(&resp);
	if (a->src == SRC_METADATA) {
		const char *h = a->meta_host;

		if (strncmp(h, "http://", 7) == 0)
			h += 7;
		url = xstrfmt("http://%s/computeMetadata/v1/instance/"
		    "service-accounts/default/token?scopes=%s", h,
		    AUTH_SCOPE);
		req.method = "GET";
		req.headers = hdrs;
	} else {
		if (a->src == SRC_SERVICE_ACCOUNT) {
			jwt = auth_jwt_make(a->key_pem, a->kid, a->email,
			    AUTH_SCOPE, a->token_uri,
			    (int64_t)util_now_wall(), err);
			if (jwt == NULL)
				goto out;
			strbuf_grow_secret(&form, strlen(jwt) + 128);
			add_form(&form, "grant_type",
			    "urn:ietf:params:oauth:grant-type:jwt-bearer");
			add_form(&form, "assertion", jwt);
		} else {
			/* percent-encoding at most triples them */
			strbuf_grow_secret(&form, 3 * (strlen(a->refresh_token) +
			    (a->client_secret ? strlen(a->client_secret) : 0)) +
			    strlen(a->client_id) + 128);
			add_form(&form, "grant_type", "refresh_token");
			add_form(&form, "client_id", a->client_id);
			if (a->client_secret != NULL)
				add_form(&form, "client_secret",
				    a->client_secret);
			add_form(&form, "refresh_token", a->refresh_token);
		}
		url = xstrdup(a->token_uri);
		req.method = "POST";
		req.content_type = "application/x-www-form-urlencoded";
		req.body = form.buf;
		req.body_len = form.len;
	}
	req.url = url;
	if (http_do(a->http, &req, &resp, err) == -1) {
		bq_err_prefix(err, "token endpoint");
		goto out;
	}
	if (auth_parse_token_response(resp.status, resp.body.buf, &tok, &exp,
	    err) == -1)
		goto out;
	util_free_secret(a->token);
	a->token = tok;
	a->got = util_now_mono();
	a->expires_in = exp;
	bqsync_log(BQ_LOG_DEBUG, "got an access token (%s), valid %.0f s",
	    auth_kind(a), exp);
	rc = 0;
out:
	strbuf_release_secret(&resp.body);
	http_response_release(&resp);
	strbuf_release_secret(&form);
	util_free_secret(jwt);
	free(url);
	return rc;
}

int
auth_token(struct auth *a, const char **token, struct bq_err *err)
{
	if (a->token == NULL || auth_needs_refresh(a->got, a->expires_in,
	    util_now_mono())) {
		if (fetch_token(a, err) == -1)
			return -1;
	}
	*token = a->token;
	return 0;
}
