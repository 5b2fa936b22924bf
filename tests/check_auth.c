/*
 * check_auth: base64url, the RS256 JWT (verified with the public half of a
 * key generated here), token answers, expiry, key files, and the whole
 * token flow against testlib's scripted server as the token endpoint.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "auth.h"
#include "http.h"
#include "util.h"
#include "testlib.h"
#include "memscan.h"

static EVP_PKEY *pkey;
static char *pem;

static void
make_key(void)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p;
	long n;

	pkey = EVP_RSA_gen(2048);
	ck_assert_ptr_nonnull(pkey);
	ck_assert_int_eq(PEM_write_bio_PrivateKey(b, pkey, NULL, NULL, 0,
	    NULL, NULL), 1);
	n = BIO_get_mem_data(b, &p);
	pem = xstrndup(p, (size_t)n);
	BIO_free(b);
}

static unsigned char *
b64url_decode(const char *s, size_t n, size_t *out_len)
{
	unsigned char *out = xmalloc(n * 3 / 4 + 3);
	unsigned v = 0;
	int bits = 0;
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		const char *t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuv"
		    "wxyz0123456789-_";
		const char *q = strchr(t, s[i]);

		ck_assert_msg(q != NULL && s[i] != '\0', "bad char %c", s[i]);
		v = (v << 6) | (unsigned)(q - t);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(v >> bits);
		}
	}
	*out_len = o;
	return out;
}

START_TEST(test_base64url)
{
	static const struct { const char *in; const char *out; } v[] = {
		{ "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
		{ "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" },
		{ "foobar", "Zm9vYmFy" }, { "\xfb\xff", "-_8" },
		{ "\xff\xfe\xfd", "__79" },
	};
	size_t i;
	char *s;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		s = auth_base64url(v[i].in, strlen(v[i].in));
		ck_assert_str_eq(s, v[i].out);
		free(s);
	}
}
END_TEST

START_TEST(test_jwt_signature)
{
	struct bq_err err = BQ_ERR_INIT;
	char *jwt, *dot1, *dot2;
	unsigned char *h, *c, *sig;
	size_t hl, cl, sl;
	cJSON *hj, *cj;
	EVP_MD_CTX *ctx;

	make_key();
	jwt = auth_jwt_make(pem, "abc123", "puller@p.iam.gserviceaccount.com",
	    AUTH_SCOPE, "https://oauth2.googleapis.com/token", 1795695772,
	    &err);
	ck_assert_msg(jwt != NULL, "%s", err.msg);
	ck_assert_ptr_null(strchr(jwt, '='));
	dot1 = strchr(jwt, '.');
	ck_assert_ptr_nonnull(dot1);
	dot2 = strchr(dot1 + 1, '.');
	ck_assert_ptr_nonnull(dot2);
	ck_assert_ptr_null(strchr(dot2 + 1, '.'));

	h = b64url_decode(jwt, (size_t)(dot1 - jwt), &hl);
	c = b64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &cl);
	sig = b64url_decode(dot2 + 1, strlen(dot2 + 1), &sl);
	hj = cJSON_ParseWithLength((char *)h, hl);
	cj = cJSON_ParseWithLength((char *)c, cl);
	ck_assert_str_eq(cJSON_GetObjectItem(hj, "alg")->valuestring, "RS256");
	ck_assert_str_eq(cJSON_GetObjectItem(hj, "typ")->valuestring, "JWT");
	ck_assert_str_eq(cJSON_GetObjectItem(hj, "kid")->valuestring, "abc123");
	ck_assert_str_eq(cJSON_GetObjectItem(cj, "iss")->valuestring,
	    "puller@p.iam.gserviceaccount.com");
	ck_assert_str_eq(cJSON_GetObjectItem(cj, "scope")->valuestring,
	    "https://www.googleapis.com/auth/bigquery");
	ck_assert_str_eq(cJSON_GetObjectItem(cj, "aud")->valuestring,
	    "https://oauth2.googleapis.com/token");
	ck_assert(cJSON_GetObjectItem(cj, "iat")->valuedouble == 1795695772.0);
	ck_assert(cJSON_GetObjectItem(cj, "exp")->valuedouble == 1795699372.0);
	ck_assert_uint_eq(sl, 256);

	/* the signature is RS256 over the signing input, with our key */
	ctx = EVP_MD_CTX_new();
	ck_assert_int_eq(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL,
	    pkey), 1);
	ck_assert_int_eq(EVP_DigestVerify(ctx, sig, sl, (unsigned char *)jwt,
	    (size_t)(dot2 - jwt)), 1);
	/* and not over anything else */
	jwt[5] ^= 1;
	ck_assert_int_eq(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL,
	    pkey), 1);
	ck_assert_int_ne(EVP_DigestVerify(ctx, sig, sl, (unsigned char *)jwt,
	    (size_t)(dot2 - jwt)), 1);
	EVP_MD_CTX_free(ctx);
	cJSON_Delete(hj);
	cJSON_Delete(cj);
	free(h);
	free(c);
	free(sig);
	util_free_secret(jwt);

	/* no kid: the header has none; a bad key is a config error */
	jwt = auth_jwt_make(pem, NULL, "i", "s", "a", 1, &err);
	dot1 = strchr(jwt, '.');
	h = b64url_decode(jwt, (size_t)(dot1 - jwt), &hl);
	hj = cJSON_ParseWithLength((char *)h, hl);
	ck_assert_ptr_null(cJSON_GetObjectItem(hj, "kid"));
	cJSON_Delete(hj);
	free(h);
	util_free_secret(jwt);
	ck_assert_ptr_null(auth_jwt_make("-----BEGIN PRIVATE KEY-----\nAAAA\n"
	    "-----END PRIVATE KEY-----\n", NULL, "i", "s", "a", 1, &err));
	ck_assert_int_eq(err.kind, EXIT_CONFIG);
	EVP_PKEY_free(pkey);
	free(pem);
}
END_TEST

START_TEST(test_token_response)
{
	struct bq_err err = BQ_ERR_INIT;
	char *tok = NULL;
	double exp = 0;

	ck_assert_int_eq(auth_parse_token_response(200,
	    "{\"access_token\":\"ya29.x\",\"expires_in\":3599,"
	    "\"token_type\":\"Bearer\"}", &tok, &exp, &err), 0);
	ck_assert_str_eq(tok, "ya29.x");
	ck_assert(exp == 3599);
	util_free_secret(tok);
	ck_assert_int_eq(auth_parse_token_response(200,
	    "{\"access_token\":\"t2\",\"expires_in\":\"120\"}", &tok, &exp,
	    &err), 0);
	ck_assert(exp == 120);
	util_free_secret(tok);
	ck_assert_int_eq(auth_parse_token_response(200, "{}", &tok, &exp,
	    &err), -1);
	ck_assert_int_eq(auth_parse_token_response(400,
	    "{\"error\":\"invalid_grant\",\"error_description\":"
	    "\"Invalid JWT Signature.\"}", &tok, &exp, &err), -1);
	ck_assert_int_eq(err.kind, EXIT_NOPERM);
	ck_assert_str_eq(err.msg, "token endpoint refused the credentials: "
	    "HTTP 400: invalid_grant: Invalid JWT Signature.");
	ck_assert_int_eq(auth_parse_token_response(503, "<html>", &tok, &exp,
	    &err), -1);
	ck_assert_int_eq(err.kind, EXIT_TEMPFAIL);
}
END_TEST

START_TEST(test_expiry)
{
	ck_assert_int_eq(auth_needs_refresh(100, 3600, 100), 0);
	ck_assert_int_eq(auth_needs_refresh(100, 3600, 3399), 0);
	ck_assert_int_eq(auth_needs_refresh(100, 3600, 3400), 1);
	ck_assert_int_eq(auth_needs_refresh(100, 3600, 5000), 1);
	ck_assert_int_eq(auth_needs_refresh(0, 60, 0), 1);
}
END_TEST

/* --- against testlib's scripted server as the token endpoint ------------ */

#define TOKEN(n) "{\"access_token\":\"tok-" #n "\",\"expires_in\":3599," \
	"\"token_type\":\"Bearer\"}"
#define GRANT(n) { .method = "POST", .path = "/token", .status = 200, \
	.body = TOKEN(n) }

/*
 * Request i (from 0) as "METHOD PATH BODY" (a buffer the next
 * call reuses).
 */
static const char *
form(struct testlib_server *srv, size_t i)
{
	static char line[4096];
	const struct testlib_request *r = testlib_server_request(srv, i);

	snprintf(line, sizeof(line), "%s %s %s", r->method, r->path, r->body);
	return line;
}

static char *
write_key_file(const char *dir, struct testlib_server *srv, const char *type)
{
	char *path = xstrfmt("%s/key.json", dir);
	cJSON *k = cJSON_CreateObject();
	char *uri = xstrfmt("%s/token", testlib_server_url(srv)), *text;
	FILE *fp;

	cJSON_AddStringToObject(k, "type", type);
	cJSON_AddStringToObject(k, "project_id", "key-project");
	cJSON_AddStringToObject(k, "private_key_id", "kid1");
	cJSON_AddStringToObject(k, "private_key", pem);
	cJSON_AddStringToObject(k, "client_email", "sa@key-project.iam");
	cJSON_AddStringToObject(k, "client_id", "cid");
	cJSON_AddStringToObject(k, "client_secret", "csecret");
	cJSON_AddStringToObject(k, "refresh_token", "1//refresh");
	cJSON_AddStringToObject(k, "token_uri", uri);
	text = cJSON_Print(k);
	fp = fopen(path, "w");
	fputs(text, fp);
	fclose(fp);
	free(text);
	free(uri);
	cJSON_Delete(k);
	return path;
}

START_TEST(test_token_flow)
{
	static const struct testlib_step steps[] = {
		GRANT(1), GRANT(2),
		{ .method = "POST", .path = "/token", .status = 400,
		  .body = "{\"error\":\"invalid_grant\",\"error_description\":"
		  "\"Invalid JWT Signature.\"}" },
		GRANT(3),
		{ .method = "GET", .path = "/computeMetadata/", .status = 200,
		  .body = TOKEN(4) },
	};
	struct testlib_server *srv;
	struct http_opts ho;
	struct http_client *http;
	struct bq_err err = BQ_ERR_INIT;
	struct auth *a;
	char dir[] = "/tmp/check_auth.XXXXXX", *path;
	const char *tok;

	memset(&ho, 0, sizeof(ho));
	ho.max_retries = 0;
	make_key();
	ck_assert_ptr_nonnull(mkdtemp(dir));
	srv = testlib_server_start(steps, TESTLIB_NSTEPS(steps));
	http = http_client_new(&ho);

	/* service account: one JWT grant, then the cached token */
	path = write_key_file(dir, srv, "service_account");
	a = auth_new(path, http, &err);
	ck_assert_msg(a != NULL, "%s", err.msg);
	ck_assert_str_eq(auth_kind(a), "service_account");
	ck_assert_str_eq(auth_project(a), "key-project");
	ck_assert_int_eq(auth_token(a, &tok, &err), 0);
	ck_assert_str_eq(tok, "tok-1");
	ck_assert_msg(strstr(form(srv, 0), "POST /token grant_type=urn%3Aietf"
	    "%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=ey") ==
	    form(srv, 0), "%s", form(srv, 0));
	ck_assert_int_eq(auth_token(a, &tok, &err), 0);
	ck_assert_str_eq(tok, "tok-1");
	ck_assert_uint_eq(testlib_server_count(srv), 1);
	auth_invalidate(a);
	ck_assert_int_eq(auth_token(a, &tok, &err), 0);
	ck_assert_str_eq(tok, "tok-2");
	auth_free(a);

	/* refused: EXIT_NOPERM, and no secret in the message */
	a = auth_new(path, http, &err);
	ck_assert_int_eq(auth_token(a, &tok, &err), -1);
	ck_assert_int_eq(err.kind, EXIT_NOPERM);
	ck_assert_ptr_null(strstr(err.msg, "PRIVATE"));
	ck_assert_ptr_null(strstr(err.msg, "ey"));
	ck_assert_ptr_nonnull(strstr(err.msg, "invalid_grant"));
	auth_free(a);
	free(path);

	/* authorized_user: the refresh-token grant */
	path = write_key_file(dir, srv, "authorized_user");
	a = auth_new(path, http, &err);
	ck_assert_msg(a != NULL, "%s", err.msg);
	ck_assert_int_eq(auth_token(a, &tok, &err), 0);
	ck_assert_str_eq(form(srv, 3), "POST /token grant_type=refresh_token"
	    "&client_id=cid&client_secret=csecret&refresh_token=1%2F%2Frefresh");
	auth_free(a);
	unlink(path);
	free(path);

	/* the metadata server, only via GCE_METADATA_HOST */
	setenv("GCE_METADATA_HOST", testlib_server_host(srv), 1);
	setenv("HOME", dir, 1);
	unsetenv("CLOUDSDK_CONFIG");
	a = auth_new(NULL, http, &err);
	ck_assert_msg(a != NULL, "%s", err.msg);
	ck_assert_str_eq(auth_kind(a), "metadata");
	ck_assert_int_eq(auth_token(a, &tok, &err), 0);
	ck_assert_str_eq(form(srv, 4), "GET /computeMetadata/v1/instance/"
	    "service-accounts/default/token ");
	ck_assert_str_eq(testlib_request_header(testlib_server_request(srv, 4),
	    "Metadata-Flavor"), "Google");
	auth_free(a);

	/* nothing at all: a config error */
	unsetenv("GCE_METADATA_HOST");
	ck_assert_ptr_null(auth_new(NULL, http, &err));
	ck_assert_int_eq(err.kind, EXIT_CONFIG);

	http_client_free(http);
	testlib_server_free(srv);
	rmdir(dir);
	EVP_PKEY_free(pkey);
	free(pem);
}
END_TEST

START_TEST(test_bad_files)
{
	struct bq_err err = BQ_ERR_INIT;
	char dir[] = "/tmp/check_auth.XXXXXX", *p;
	FILE *fp;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_ptr_null(auth_new("/nonexistent/key.json", NULL, &err));
	ck_assert_int_eq(err.kind, EXIT_CONFIG);
	p = xstrfmt("%s/k.json", dir);
	fp = fopen(p, "w");
	fputs("{\"type\":\"external_account\"}", fp);
	fclose(fp);
	ck_assert_ptr_null(auth_new(p, NULL, &err));
	ck_assert_msg(strstr(err.msg, "unsupported type 'external_account'")
	    != NULL, "%s", err.msg);
	fp = fopen(p, "w");
	fputs("{\"type\":\"service_account\",\"private_key\":\"x\"}", fp);
	fclose(fp);
	ck_assert_ptr_null(auth_new(p, NULL, &err));
	ck_assert_int_eq(err.kind, EXIT_CONFIG);
	unlink(p);
	free(p);
	rmdir(dir);
}
END_TEST

/*
 * After auth_free() no byte of the service-account key is left in the
 * process's memory (what a core would show): not the raw key file, not
 * the PEM, not the copies made while reading, parsing and signing.  The
 * probe is 40 characters from inside one base64 line of the PEM, the same
 * in the file (JSON) and in the key.
 */
START_TEST(test_key_wiped)
{
	static const struct testlib_step steps[] = { GRANT(1) };
	struct testlib_server *srv;
	struct http_opts ho;
	struct http_client *http;
	struct bq_err err = BQ_ERR_INIT;
	struct strbuf sb = STRBUF_INIT;
	struct auth *a;
	EVP_PKEY *k;
	BIO *b = BIO_new(BIO_s_mem());	/* cleansed by BIO_free() */
	char dir[] = "/tmp/check_auth.XXXXXX", *path, *p;
	unsigned char x[40];
	const char *tok;
	long n;
	int fd;

	memset(&ho, 0, sizeof(ho));
	ho.max_retries = 0;
	ck_assert_ptr_nonnull(mkdtemp(dir));
	srv = testlib_server_start(steps, TESTLIB_NSTEPS(steps));
	http = http_client_new(&ho);

	k = EVP_RSA_gen(2048);
	ck_assert_ptr_nonnull(k);
	ck_assert_int_eq(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL,
	    NULL), 1);
	EVP_PKEY_free(k);
	n = BIO_get_mem_data(b, &p);
	ck_assert_int_gt(n, 28 + 65 * 5 + 48);
	memscan_xor(x, p + 28 + 65 * 5 + 8, sizeof(x));	/* the 6th line */
	strbuf_grow_secret(&sb, 8192);
	strbuf_addf(&sb, "{\"type\":\"service_account\",\"project_id\":"
	    "\"p\",\"client_email\":\"sa@p.iam\",\"token_uri\":"
	    "\"%s/token\",\"private_key\":", testlib_server_url(srv));
	strbuf_add_json_string(&sb, p, (size_t)n);
	strbuf_adds(&sb, "}\n");
	BIO_free(b);
	path = xstrfmt("%s/key.json", dir);
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, sb.buf, sb.len), (ssize_t)sb.len);
	close(fd);
	strbuf_release_secret(&sb);
	ck_assert_int_eq(memscan_find(x, sizeof(x)), 0);	/* none here */

	a = auth_new(path, http, &err);
	ck_assert_msg(a != NULL, "%s", err.msg);
	ck_assert_int_eq(memscan_find(x, sizeof(x)), 1);	/* the key */
	ck_assert_int_eq(auth_token(a, &tok, &err), 0);
	ck_assert_str_eq(tok, "tok-1");
	auth_free(a);
	ck_assert_int_eq(memscan_find(x, sizeof(x)), 0);

	unlink(path);
	free(path);
	http_client_free(http);
	testlib_server_free(srv);
	rmdir(dir);
}
END_TEST

CHECK_TESTS("auth", 30,
    test_base64url,
    test_jwt_signature,
    test_token_response,
    test_expiry,
    test_token_flow,
    test_bad_files,
    test_key_wiped)
