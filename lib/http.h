/*
 * http: HTTP/1.1 over libcurl for the Harper and BigQuery clients.
 *
 * One client keeps its connections alive between requests.  TLS peer and
 * host verification are always on (there is no switch to turn them off).
 * http_do() retries a request that failed to connect or was cut off, and a
 * response that the classifier calls retryable (default: 408, 429 and 5xx),
 * with exponential backoff and full jitter (base 0.5 s, cap 30 s), honouring
 * Retry-After, until max_retries or the deadline runs out (the last wait is
 * cut to end at the deadline, where one last attempt is made).  The first
 * failed attempt of an outage logs one warning, and the first success after
 * it another, once per process however many clients retry.  Request bodies
 * and credentials are never logged; debug logging shows method, URL (query
 * string included, never userinfo) and status only.  A client is used by one
 * thread at a time; concurrent requests use one client per thread (each
 * keeps its own connection alive), made after the first one exists.
 */
#ifndef BQSYNC_HTTP_H
#define BQSYNC_HTTP_H

#include <stddef.h>

#include "log.h"
#include "util.h"

struct http_opts {
	double	 timeout;	/* per attempt, seconds (0 = 60) */
	double	 deadline;	/* for all attempts, seconds (0 = 120) */
	int	 max_retries;	/* retries after the first attempt (-1 = unlimited until deadline) */
	double	 backoff_base;	/* seconds (0 = 0.5) */
	double	 backoff_cap;	/* seconds (0 = 30) */
	const char *username;	/* Basic auth; copied; wiped on free */
	const char *password;	/* secret; copied; wiped on free */
};

struct http_request {
	const char *method;		/* "GET", "POST", "DELETE", ... */
	const char *url;
	const char *content_type;	/* NULL = none */
	const char *body;		/* may contain NULs; NULL = no body */
	size_t	 body_len;
	const char *const *headers;	/* NULL-terminated "Name: value", or NULL */
	const char *bearer;		/* secret token for Authorization: Bearer, or NULL */
	int	 secret;		/* the answer holds a secret: its body grows
					   without leaving copies (wipe it after) */
};

struct http_response {
	long	 status;		/* final HTTP status */
	struct strbuf body;		/* response body, NUL-terminated */
	double	 retry_after;		/* seconds, from the last response; 0 if none */
	int	 attempts;		/* how many attempts were made */
};

/*
 * Decides whether a response is worth retrying: return 1 to retry, 0 to
 * hand it back.  Called only for complete HTTP responses.
 */
typedef int http_retry_fn(long status, const struct strbuf *body, void *arg);

struct http_client;

struct http_client *http_client_new(const struct http_opts *);
void	 http_client_free(struct http_client *);
/* Replaces the retry classifier (NULL restores the default). */
void	 http_client_set_retry(struct http_client *, http_retry_fn *, void *arg);
/* The next request opens a new connection instead of reusing one. */
void	 http_client_fresh(struct http_client *);
/* The default classifier: 408, 429, 500-599. */
int	 http_retry_default(long status, const struct strbuf *body, void *arg);

/*
 * Copies url into out with any userinfo ("user:password@") replaced by
 * "***@", so that a URL can be shown; cut short to fit outsz.
 */
void	 http_redact_url(const char *url, char *out, size_t outsz);

void	 http_response_init(struct http_response *);
void	 http_response_release(struct http_response *);

/*
 * Performs req with retries.  Returns 0 when an HTTP response arrived (any
 * status, also after exhausted retries: the caller interprets it), or -1
 * when none did: err is EXIT_TEMPFAIL (timeout, reset, refused until the
 * deadline) with the curl error text and the host.
 */
int	 http_do(struct http_client *, const struct http_request *,
	    struct http_response *, struct bq_err *);

#endif
