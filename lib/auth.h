/*
 * auth: OAuth 2.0 access tokens for BigQuery.
 *
 * Token sources, in the application-default order: an explicit key file
 * (cfg->credentials, i.e. GOOGLE_APPLICATION_CREDENTIALS or the config),
 * then gcloud's application_default_credentials.json ($CLOUDSDK_CONFIG or
 * ~/.config/gcloud), then the GCE metadata server, which is asked only
 * when GCE_METADATA_HOST is set (the link-local default address is never
 * probed).  A service_account key signs an RS256 JWT (OpenSSL) and trades
 * it at the key's token_uri; an authorized_user file trades its refresh
 * token.  The token is cached until five minutes before it expires.
 * Private keys, JWTs, refresh tokens and access tokens are wiped after use
 * and never appear in a message or a log line.  This module reads the
 * environment variables of the lookup itself (HOME, CLOUDSDK_CONFIG,
 * GCE_METADATA_HOST), like gcloud's own libraries.
 */
#ifndef BQSYNC_AUTH_H
#define BQSYNC_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "http.h"
#include "log.h"

#define AUTH_SCOPE	"https://www.googleapis.com/auth/bigquery"
#define AUTH_TOKEN_URI	"https://oauth2.googleapis.com/token"
#define AUTH_REFRESH_MARGIN 300	/* seconds before expiry */

struct auth;

/*
 * Finds credentials (see above; path overrides the lookup when not NULL)
 * and returns a token source using http for its requests (not owned).
 * NULL with err: EXIT_CONFIG (nothing found, bad file), EXIT_IOERR.
 */
struct auth *auth_new(const char *path, struct http_client *http,
	    struct bq_err *err);
void	 auth_free(struct auth *);		/* wipes every secret */
/*
 * A valid access token in *token (owned by auth, valid until the next call
 * or auth_free; never log it).  0, or -1 with err (EXIT_NOPERM when the
 * token endpoint refuses the credentials, EXIT_TEMPFAIL, ...).
 */
int	 auth_token(struct auth *, const char **token, struct bq_err *err);
/* Forgets the cached token (after an HTTP 401), so the next call refreshes. */
void	 auth_invalidate(struct auth *);
/* The key file's project_id / quota_project_id, or NULL. */
const char *auth_project(const struct auth *);
/* "service_account", "authorized_user" or "metadata". */
const char *auth_kind(const struct auth *);

/* --- pure parts, exported for the tests --- */

/* base64url without padding of data[0..len) (caller frees). */
char	*auth_base64url(const void *data, size_t len);
/*
 * A signed JWT for the bearer grant: header {"alg":"RS256","typ":"JWT",
 * "kid":kid} (kid may be NULL), claims iss, scope, aud, iat, exp=iat+3600,
 * RS256 over "b64(header).b64(claims)" with the PEM private key.  Caller
 * frees with util_free_secret().  NULL with err (EXIT_CONFIG: bad key).
 */
char	*auth_jwt_make(const char *pem_key, const char *kid, const char *iss,
	    const char *scope, const char *aud, int64_t iat,
	    struct bq_err *err);
/*
 * Parses a token endpoint answer {"access_token":..,"expires_in":..}
 * (expires_in a number or a string).  *token is a copy (free with
 * util_free_secret).  0, or -1 with err; the message quotes "error" and
 * "error_description" but never a token.
 */
int	 auth_parse_token_response(long status, const char *body,
	    char **token, double *expires_in, struct bq_err *err);
/*
 * 1 when a token obtained at 'got' lasting 'expires_in' seconds must be
 * refreshed at 'now' (less than AUTH_REFRESH_MARGIN left), else 0.
 */
int	 auth_needs_refresh(double got, double expires_in, double now);

#endif
