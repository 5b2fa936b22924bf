/*
 * check_auth: base64url, the RS256 JWT (verified with the public half of a
 * key generated here), token answers, expiry, key files, and the whole
 * token flow against a loopback token endpoint (libmicrohttpd).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <microhttpd.h>
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

/* --- a loopback token endpoint ------------------------------------------ */

struct tokensrv {
	int	 requests;
	int	 refuse;
	char	 last_form[4096];
	char	 last_flavor[64];
};

struct upload {
	struct strbuf body;
};

static enum MHD_Result
handle(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *data, size_t *size,
    void **state)
{
	struct tokensrv *ts = cls;
	struct upload *u = *state;
	struct MHD_Response *r;
	const char *fl;
	char *body;
	enum MHD_Result ret;
	int code = 200;

	(void)version;
	if (u == NULL) {
		u = xcalloc(1, sizeof(*u));
		strbuf_init(&u->body, 0);
		*state = u;
		return MHD_YES;
	}
	if (*size > 0) {
		strbuf_add(&u->body, data, *size);
		*size = 0;
		return MHD_YES;
	}
	ts->requests++;
	snprintf(ts->last_form, sizeof(ts->last_form), "%s %s %s", method,
	    url, u->body.buf);
	fl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "Metadata-Flavor");
	snprintf(ts->last_flavor, sizeof(ts->last_flavor), "%s",
	    fl ? fl : "");
	if (ts->refuse) {
		code = 400;
		body = xstrdup("{\"error\":\"invalid_grant\","
		    "\"error_description\":\"Invalid JWT Signature.\"}");
	} else {
		body = xstrfmt("{\"access_token\":\"tok-%d\",\"expires_in\":"
		    "3599,\"token_type\":\"Bearer\"}", ts->requests);
	}
	r = MHD_create_response_from_buffer(strlen(body), body,
	    MHD_RESPMEM_MUST_FREE);
	ret = MHD_queue_response(conn, (unsigned)code, r);
	MHD_destroy_response(r);
	return ret;
}

static void
done(void *cls, struct MHD_Connection *c, void **state,
    enum MHD_RequestTerminationCode t)
{
	struct upload *u = *state;

	(void)cls;
	(void)c;
	(void)t;
	if (u != NULL) {
		strbuf_release(&u->body);
		free(u);
	}
}

static struct MHD_Daemon *
start_server(struct tokensrv *ts, int *port)
{
	struct MHD_Daemon *d;
	const union MHD_DaemonInfo *di;
	struct sockaddr_in sa;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL,
	    handle, ts, MHD_OPTION_SOCK_ADDR, &sa,
	    MHD_OPTION_NOTIFY_COMPLETED, done, NULL, MHD_OPTION_END);
	ck_assert_ptr_nonnull(d);
	di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	*port = di->port;
	return d;
}

static char *
write_key_file(const char *dir, int port, const char *type)
{
	char *path = xstrfmt("%s/key.json", dir);
	cJSON *k = cJSON_CreateObject();
	char *uri = xstrfmt("http://127.0.0.1:%d/token", port), *text;
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
	struct tokensrv ts;
	struct http_opts ho;
	struct http_client *http;
	struct bq_err err = BQ_ERR_INIT;
	struct MHD_Daemon *d;
	struct auth *a;
	char dir[] = "/tmp/check_auth.XXXXXX", *path;
	const char *tok;
	int port;

	memset(&ts, 0, sizeof(ts));
	memset(&ho, 0, sizeof(ho));
	ho.max_retries = 0;
	make_key();
	ck_assert_ptr_nonnull(mkdtemp(dir));
	d = start_server(&ts, &port);
	http = http_client_new(&ho);

	/* service account: one JWT grant, then the cached token */
	path = write_key_file(dir, port, "service_account");
	a = auth_new(path, http, &err);
	ck_assert_msg(a != NULL, "%s", err.msg);
	ck_assert_str_eq(auth_kind(a), "service_account");
	ck_assert_str_eq(auth_project(a), "key-project");
	ck_assert_int_eq(auth_token(a, &tok, &err), 0);
	ck_assert_str_eq(tok, "tok-1");
	ck_assert_msg(strstr(ts.last_form, "POST /token grant_type=urn%3Aietf"
	    "%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=ey") ==
	    ts.last_form, "%s", ts.last_form);
	ck_assert_int_eq(auth_token(a, &tok, &err), 0);
	ck_assert_str_eq(tok, "tok-1");
	ck_assert_int_eq(ts.requests, 1);
	auth_invalidate(a);
	ck_assert_int_eq(auth_token(a, &tok, &err), 0);
	ck_assert_str_eq(tok, "tok-2");
	auth_free(a);

	/* refused: EXIT_NOPERM, and no secret in the message */
	ts.refuse = 1;
	a = auth_new(path, http, &err);
	ck_assert_int_eq(auth_token(a, &tok, &err), -1);
	ck_assert_int_eq(err.kind, EXIT_NOPERM);
	ck_assert_ptr_null(strstr(err.msg, "PRIVATE"));
	ck_assert_ptr_null(strstr(err.msg, "ey"));
	ck_assert_ptr_nonnull(strstr(err.msg, "invalid_grant"));
	auth_free(a);
	ts.refuse = 0;
	free(path);

	/* authorized_user: the refresh-token grant */
	path = write_key_file(dir, port, "authorized_user");
	a = auth_new(path, http, &err);
	ck_assert_msg(a != NULL, "%s", err.msg);
	ck_assert_int_eq(auth_token(a, &tok, &err), 0);
	ck_assert_str_eq(ts.last_form, "POST /token grant_type=refresh_token"
	    "&client_id=cid&client_secret=csecret&refresh_token=1%2F%2Frefresh");
	auth_free(a);
	unlink(path);
	free(path);

	/* the metadata server, only via GCE_METADATA_HOST */
	path = xstrfmt("127.0.0.1:%d", port);
	setenv("GCE_METADATA_HOST", path, 1);
	setenv("HOME", dir, 1);
	unsetenv("CLOUDSDK_CONFIG");
	a = auth_new(NULL, http, &err);
	ck_assert_msg(a != NULL, "%s", err.msg);
	ck_assert_str_eq(auth_kind(a), "metadata");
	ck_assert_int_eq(auth_token(a, &tok, &err), 0);
	ck_assert_str_eq(ts.last_form, "GET /computeMetadata/v1/instance/"
	    "service-accounts/default/token ");
	ck_assert_str_eq(ts.last_flavor, "Google");
	auth_free(a);
	free(path);

	/* nothing at all: a config error */
	unsetenv("GCE_METADATA_HOST");
	ck_assert_ptr_null(auth_new(NULL, http, &err));
	ck_assert_int_eq(err.kind, EXIT_CONFIG);

	http_client_free(http);
	MHD_stop_daemon(d);
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
	struct tokensrv ts;
	struct http_opts ho;
	struct http_client *http;
	struct bq_err err = BQ_ERR_INIT;
	struct strbuf sb = STRBUF_INIT;
	struct MHD_Daemon *d;
	struct auth *a;
	EVP_PKEY *k;
	BIO *b = BIO_new(BIO_s_mem());	/* cleansed by BIO_free() */
	char dir[] = "/tmp/check_auth.XXXXXX", *path, *p;
	unsigned char x[40];
	const char *tok;
	long n;
	int port, fd;

	memset(&ts, 0, sizeof(ts));
	memset(&ho, 0, sizeof(ho));
	ho.max_retries = 0;
	ck_assert_ptr_nonnull(mkdtemp(dir));
	d = start_server(&ts, &port);
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
	    "\"http://127.0.0.1:%d/token\",\"private_key\":", port);
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
	MHD_stop_daemon(d);
	rmdir(dir);
}
END_TEST

static Suite *
auth_suite(void)
{
	Suite *s = suite_create("auth");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_base64url);
	tcase_add_test(tc, test_jwt_signature);
	tcase_add_test(tc, test_token_response);
	tcase_add_test(tc, test_expiry);
	tcase_add_test(tc, test_token_flow);
	tcase_add_test(tc, test_bad_files);
	tcase_add_test(tc, test_key_wiped);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(auth_suite)
