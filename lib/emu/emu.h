/*
 * emu: bq-emulator's BigQuery REST v2 server (libmicrohttpd + SQLite).
 *
 * One struct emu is one listening server on a loopback address with its
 * own SQLite database (in memory, or one file in a data directory) that
 * holds datasets, tables and their rows; query results are materialised
 * into a temporary on-disk database and served page by page, so a large
 * result does not sit in memory.  Every route answers with and without
 * the /bigquery/v2 prefix; errors use BigQuery's envelope
 * {"error":{"code","message","errors":[{"message","domain","reason"}],
 * "status"}}.  Handlers run on libmicrohttpd's threads; one mutex
 * serialises all SQLite access.
 *
 * Test hooks: fault rules (emu_add_fault(), or POST /emulator/faults)
 * answer matching requests with an HTTP error, a delay, a truncated body
 * or jobComplete:false; POST /token verifies RS256 JWT bearer grants
 * against --token-key and issues access tokens that every API call must
 * then carry.
 */
#ifndef BQSYNC_EMU_H
#define BQSYNC_EMU_H

#include <stdint.h>

#include "log.h"

/*
 * BigQuery's response size limit for a query without a destination table
 * (10 GB compressed); the emulator holds a result's logical size to it.
 */
#define EMU_MAX_RESPONSE	10000000000LL

struct emu;

struct emu_opts {
	const char	*host;		/* loopback address; NULL = 127.0.0.1 */
	int		 port;		/* 0 = any free port */
	const char	*data_dir;	/* NULL = in memory */
	const char	*project;	/* default project; NULL = "test-project" */
	const char	*token_key;	/* PEM public keys/certs, or NULL */
	const char	*token_user;	/* authorized_user JSON, or NULL */
	const char	*discovery;	/* discovery document, or NULL */
	long		 latency_ms;	/* added to every response */
	int64_t		 max_response;	/* result bytes; 0 = 10 GB */
};

/*
 * Starts a server.  Returns it (stop and free with emu_free()) or NULL
 * with err: EXIT_USAGE for a non-loopback host, EXIT_IOERR for the data
 * directory, EXIT_UNAVAILABLE if the port cannot be bound.
 */
struct emu	*emu_new(const struct emu_opts *, struct bq_err *err);
/* Stops the server and frees everything; NULL is fine. */
void		 emu_free(struct emu *);
/* The TCP port the server listens on. */
int		 emu_port(const struct emu *);
/*
 * Adds a fault rule: JSON as accepted by POST /emulator/faults
 * ({"path":"queries","status":503,"count":2}, {"delayMs":500},
 * {"incomplete":3}, {"truncate":1}, {"jobDelayMs":2000}) or the short form
 * STATUS[:PATH[:COUNT]].  0, or -1 with err (EXIT_USAGE).
 */
int		 emu_add_fault(struct emu *, const char *spec, struct bq_err *err);

/*
 * Rewrites a JSON text so that every number literal longer than 15
 * characters becomes a string, keeping INT64 digits exact through cJSON.
 * The caller frees the result.
 */
char		*emu_quote_long_numbers(const char *json, size_t len);

#endif
