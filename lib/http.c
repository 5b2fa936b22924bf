#include <ctype.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "http.h"
#include "log.h"
#include "util.h"
#include "banned.h"

struct http_client {
	CURL		*curl;
	struct http_opts opts;
	char		*username;
	char		*password;
	http_retry_fn	*retry;
	void		*retry_arg;
	uint64_t	 rng;
	int		 fresh;		/* next request on a new connection */
};

/* What a header callback collects about one attempt. */
struct attempt {
	struct strbuf	*body;
	double		 retry_after;
	int		 secret;
};

static void
global_init(void)
{
	static int done;

	/* Not thread-safe by itself: the first client is made before threads. */
	if (!done) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		done = 1;
	}
}

struct http_client *
http_client_new(const struct http_opts *opts)
{
	struct http_client *c;
	struct timespec ts;

	global_init();
	c = xcalloc(1, sizeof(*c));
	if (opts != NULL)
		c->opts = *opts;
	c->opts.username = c->opts.password = NULL;
	if (opts != NULL && opts->username != NULL)
		c->username = xstrdup(opts->username);
	if (opts != NULL && opts->password != NULL)
		c->password = xstrdup(opts->password);
	if (c->opts.timeout <= 0)
		c->opts.timeout = 60;
	if (c->opts.deadline <= 0)
		c->opts.deadline = 120;
	if (c->opts.backoff_base <= 0)
		c->opts.backoff_base = 0.5;
	if (c->opts.backoff_cap <= 0)
		c->opts.backoff_cap = 30;
	c->retry = http_retry_default;
	if ((c->curl = curl_easy_init()) == NULL) {
		/* Only on out-of-memory; treat it like xmalloc does. */
		fprintf(stderr, "bqsync: curl_easy_init failed\n");
		abort();
	}
	clock_gettime(CLOCK_MONOTONIC, &ts);
	c->rng = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL ^
	    (uint64_t)getpid() << 32 ^ (uint64_t)(uintptr_t)c;
	if (c->rng == 0)
		c->rng = 1;
	return c;
}

void
http_client_free(struct http_client *c)
{
	if (c == NULL)
		return;
	curl_easy_cleanup(c->curl);
	util_free_secret(c->username);
	util_free_secret(c->password);
	free(c);
}

void
http_client_fresh(struct http_client *c)
{
	c->fresh = 1;
}

void
http_client_set_retry(struct http_client *c, http_retry_fn *fn, void *arg)
{
	c->retry = fn != NULL ? fn : http_retry_default;
	c->retry_arg = fn != NULL ? arg : NULL;
}

int
http_retry_default(long status, const struct strbuf *body, void *arg)
{
	(void)body;
	(void)arg;
	return status == 408 || status == 429 || (status >= 500 && status <= 599);
}

void
http_response_init(struct http_response *r)
{
	r->status = 0;
	strbuf_init(&r->body, 0);
	r->retry_after = 0;
	r->attempts = 0;
}

void
http_response_release(struct http_response *r)
{
	strbuf_release(&r->body);
}

/* xorshift64*: jitter needs no cryptographic quality. */
static double
rand01(struct http_client *c)
{
	uint64_t x = c->rng;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	c->rng = x;
	return (double)((x * 0x2545f4914f6cdd1dULL) >> 11) / 9007199254740992.0;
}

/* Retry-After is either delay-seconds or an HTTP-date (RFC 9110 10.2.3). */
static double
parse_retry_after(const char *v, size_t n)
{
	char buf[64];
	struct tm tm;
	char *end;
	double s;

	while (n > 0 && isspace((unsigned char)*v)) {
		v++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)v[n - 1]))
		n--;
	if (n == 0 || n >= sizeof(buf))
		return 0;
	memcpy(buf, v, n);
	buf[n] = '\0';
	if (isdigit((unsigned char)buf[0])) {
		s = strtod(buf, &end);
		return *end == '\0' && s > 0 ? s : 0;
	}
	memset(&tm, 0, sizeof(tm));
	end = strptime(buf, "%a, %d %b %Y %H:%M:%S GMT", &tm);
	if (end == NULL || *end != '\0')
		return 0;
	s = (double)timegm(&tm) - util_now_wall();
	return s > 0 ? s : 0;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct attempt *a = arg;
	size_t len = size * n;
	static const char name[] = "retry-after:";

	if (len > sizeof(name) - 1 && strncasecmp(p, name, sizeof(name) - 1) == 0)
		a->retry_after = parse_retry_after(p + sizeof(name) - 1,
		    len - (sizeof(name) - 1));
	return len;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct attempt *a = arg;

	if (a->secret)
		strbuf_grow_secret(a->body, size * n);
	strbuf_add(a->body, p, size * n);
	return size * n;
}

/* "scheme://host:port" of url, without userinfo, path or query. */
static void
url_origin(const char *url, char *out, size_t outsz)
{
	const char *p = strstr(url, "://"), *host, *end, *at;
	size_t n;

	host = p != NULL ? p + 3 : url;
	end = host + strcspn(host, "/?#");
	at = memchr(host, '@', (size_t)(end - host));
	if (at != NULL)
		host = at + 1;
	n = (size_t)(end - host);
	if (snprintf(out, outsz, "%.*s%.*s", p != NULL ? (int)(p + 3 - url) : 0,
	    url, (int)n, host) < 0)
		out[0] = '\0';
}

void
http_redact_url(const char *url, char *out, size_t outsz)
{
	const char *p = strstr(url, "://"), *host, *end, *at;

	host = p != NULL ? p + 3 : url;
	end = host + strcspn(host, "/?#");
	at = NULL;
	for (p = host; p < end; p++)
		if (*p == '@')
			at = p;		/* the last '@' ends the userinfo */
	if (at == NULL) {
		if (snprintf(out, outsz, "%s", url) < 0)
			out[0] = '\0';
		return;
	}
	if (snprintf(out, outsz, "%.*s***@%s", (int)(host - url), url,
	    at + 1) < 0)
		out[0] = '\0';
}

/*
 * Whether the services this process talks to are failing, so that an
 * outage is told once when it starts and once when it ends, however many
 * clients (threads) retry through it.
 */
static int outage;
static double outage_since;

static void
outage_begin(const char *origin, const char *why, double deadline)
{
	if (__atomic_exchange_n(&outage, 1, __ATOMIC_ACQ_REL) == 0) {
		outage_since = util_now_mono();
		bqsync_log(BQ_LOG_WARN, "%s: %s; retrying for up to %g s",
		    origin, why, deadline);
	}
}

static void
outage_end(const char *origin)
{
	if (__atomic_exchange_n(&outage, 0, __ATOMIC_ACQ_REL) == 1)
		bqsync_log(BQ_LOG_WARN, "%s: answering again after %.1f s",
		    origin, util_now_mono() - outage_since);
}

static int
retryable_curl(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_PARTIAL_FILE:
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_BAD_CONTENT_ENCODING:
		return 1;
	default:
		return 0;
	}
}

static int
curl_kind(CURLcode rc)
{
	switch (rc) {
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return EXIT_CONFIG;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		return EXIT_UNAVAILABLE;
	default:
		return EXIT_TEMPFAIL;
	}
}

static struct curl_slist *
build_headers(const struct http_request *req)
{
	struct curl_slist *h = NULL, *t;
	struct strbuf sb = STRBUF_INIT;
	size_t i;

	/* Never wait for "100 Continue": Harper answers large bodies at once. */
	h = curl_slist_append(h, "Expect:");
	if (req->content_type != NULL) {
		strbuf_addf(&sb, "Content-Type: %s", req->content_type);
		h = curl_slist_append(h, sb.buf);
		strbuf_reset(&sb);
	}
	for (i = 0; req->headers != NULL && req->headers[i] != NULL; i++)
		h = curl_slist_append(h, req->headers[i]);
	if (req->bearer != NULL) {
		strbuf_addf(&sb, "Authorization: Bearer %s", req->bearer);
		t = curl_slist_append(h, sb.buf);
		util_wipe(sb.buf, sb.len);
		h = t;
	}
	strbuf_release(&sb);
	return h;
}

/* Wipes the secrets that curl_slist_append() copied. */
static void
free_headers(struct curl_slist *h)
{
	struct curl_slist *p;

	for (p = h; p != NULL; p = p->next)
		if (strncasecmp(p->data, "Authorization:", 14) == 0)
			util_wipe(p->data, strlen(p->data));
	curl_slist_free_all(h);
}

static void
setup(struct http_client *c, const struct http_request *req,
    struct curl_slist *hdrs, struct attempt *a, double timeout)
{
	CURL *h = c->curl;
	const char *m = req->method != NULL ? req->method : "GET";

	curl_easy_reset(h);
	if (c->fresh) {
		curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, 1L);
		c->fresh = 0;
	}
	curl_easy_setopt(h, CURLOPT_URL, req->url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)(timeout * 1000) + 1);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
	    (long)(timeout * 1000) + 1);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, a);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	if (c->username != NULL) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, c->username);
		curl_easy_setopt(h, CURLOPT_PASSWORD,
		    c->password != NULL ? c->password : "");
	}
	if (req->body != NULL) {
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE,
		    (curl_off_t)req->body_len);
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
	}
	if (strcmp(m, "GET") == 0 && req->body == NULL)
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	else if (strcmp(m, "POST") != 0 || req->body == NULL)
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, m);
	if (strcmp(m, "HEAD") == 0)
		curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
}

int
http_do(struct http_client *c, const struct http_request *req,
    struct http_response *resp, struct bq_err *err)
{
	struct curl_slist *hdrs = NULL;
	struct attempt a;
	char origin[256], shown[1024], why[128];
	double start, left, wait, exp;
	CURLcode rc = CURLE_OK;
	int rv = -1, n;

	url_origin(req->url, origin, sizeof(origin));
	http_redact_url(req->url, shown, sizeof(shown));
	hdrs = build_headers(req);
	start = util_now_mono();
	resp->attempts = 0;
	for (n = 0;; n++) {
		left = c->opts.deadline - (util_now_mono() - start);
		if (req->secret && resp->body.alloc != 0)
			util_wipe(resp->body.buf, resp->body.alloc);
		strbuf_reset(&resp->body);
		a.body = &resp->body;
		a.retry_after = 0;
		a.secret = req->secret;
		/* The last attempt gets what is left, never less than 50 ms. */
		setup(c, req, hdrs, &a, left < c->opts.timeout ?
		    (left > 0.05 ? left : 0.05) : c->opts.timeout);
		rc = curl_easy_perform(c->curl);
		resp->attempts++;
		resp->retry_after = a.retry_after;
		if (rc == CURLE_OK) {
			curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE,
			    &resp->status);
			bqsync_log(BQ_LOG_DEBUG, "%s %s: %ld", req->method != NULL ?
			    req->method : "GET", shown, resp->status);
			if (!c->retry(resp->status, &resp->body, c->retry_arg)) {
				outage_end(origin);
				break;
			}
			snprintf(why, sizeof(why), "HTTP %ld", resp->status);
		} else {
			bqsync_log(BQ_LOG_DEBUG, "%s %s: %s", req->method != NULL ?
			    req->method : "GET", shown,
			    curl_easy_strerror(rc));
			if (!retryable_curl(rc))
				break;
			snprintf(why, sizeof(why), "%s", curl_easy_strerror(rc));
		}
		if (c->opts.max_retries >= 0 && n >= c->opts.max_retries)
			break;
		left = c->opts.deadline - (util_now_mono() - start);
		if (left <= 0.05)
			break;
		outage_begin(origin, why, c->opts.deadline);
		/* Exponential backoff with full jitter, at least Retry-After. */
		exp = c->opts.backoff_base * (double)(1ULL << (n < 30 ? n : 30));
		if (exp > c->opts.backoff_cap)
			exp = c->opts.backoff_cap;
		wait = exp * rand01(c);
		if (a.retry_after > wait)
			wait = a.retry_after;
		/* Retry until the deadline: the last wait is cut to fit. */
		if (wait > left - 0.05)
			wait = left - 0.05;
		bqsync_log(BQ_LOG_DEBUG, "retrying %s in %.2f s", origin, wait);
		util_sleep(wait, NULL);
	}
	if (rc != CURLE_OK) {
		resp->status = 0;
		if (err != NULL)
			err->http_status = 0;
		bq_err_set(err, curl_kind(rc), "%s: %s (%d attempt%s)", origin,
		    curl_easy_strerror(rc), resp->attempts,
		    resp->attempts == 1 ? "" : "s");
		goto out;
	}
	if (err != NULL)
		err->http_status = resp->status;
	rv = 0;
out:
	/* The request must not keep pointers into the caller's memory. */
	curl_easy_setopt(c->curl, CURLOPT_HTTPHEADER, NULL);
	free_headers(hdrs);
	return rv;
}
