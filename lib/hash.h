/*
 * hash: FarmHash Fingerprint64 (BigQuery's FARM_FINGERPRINT), SHA-256 in
 * hex, and the partition function that decides which worker owns a row.
 *
 * Worker i of n owns a timestamp t (microseconds) when
 *   fingerprint scheme: llabs(FARM_FINGERPRINT(decimal(t)) % n) == i
 *     BigQuery: ABS(MOD(FARM_FINGERPRINT(
 *         CAST(UNIX_MICROS(ts) AS STRING)), n)) = i
 *   micros scheme:      llabs(t % n) == i
 *     BigQuery: ABS(MOD(UNIX_MICROS(ts), n)) = i
 * which is exactly what bq-pull asks BigQuery to compute, so the client and
 * the server always agree.  All rows with one timestamp share one worker.
 * MOD is taken before ABS in both schemes (C's % and BigQuery's MOD both
 * truncate, the remainder has the sign of t), so ABS never sees INT64_MIN.
 *
 * A natural-key table (idColumns, or idColumn) is split by its key instead,
 * so that every version of a key goes to one worker, in timestamp order:
 *   llabs(FARM_FINGERPRINT(key text) % n) == i
 *     BigQuery: ABS(MOD(FARM_FINGERPRINT(CONCAT(
 *         IFNULL(CAST(c1 AS STRING), ''), '|', ...)), n)) = i
 * over the key columns in configured order; the partition scheme does not
 * apply.  hash_key_text() rebuilds CAST(c AS STRING) from the typed cells
 * bq-pull writes: a STRING or DATE as is, an INT64 in decimal (a number, or
 * the string of digits bq-pull writes beyond 2^53), a BOOL true or false,
 * NULL as ''.  Other types (FLOAT64, TIMESTAMP, ...) have no such text.
 *
 * The micros scheme equals the older plugin's MOD(UNIX_MICROS(ts), n) = i
 * for t >= 0; for rows before 1970 that query matched no worker (MOD is
 * negative), whereas ABS(MOD(...)) gives them to worker |t % n|.
 */
#ifndef BQSYNC_HASH_H
#define BQSYNC_HASH_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "util.h"

/* farmhashna::Hash64 == util::Fingerprint64, as uint64. */
uint64_t hash_fingerprint64(const void *s, size_t len);
/* The same reinterpreted as a signed int64, as FARM_FINGERPRINT returns. */
int64_t	 hash_farm_fingerprint(const void *s, size_t len);
/* The owner (0 <= i < n) of a timestamp under scheme; n >= 1. */
int	 hash_partition(int64_t micros, int n, enum partition_scheme scheme);
/*
 * Appends the key text of row over the key columns cols[0..n) to out (see
 * above); -1 with *bad naming a column whose cell has no such text.
 */
int	 hash_key_text(const cJSON *row, char *const *cols, size_t n,
	    struct strbuf *out, const char **bad);
/* The owner (0 <= i < n) of a key text; n >= 1. */
int	 hash_partition_key(const char *text, size_t len, int n);
/*
 * The ordered worker list of a cluster (the older plugin's identity):
 * "host-0" .. "host-(threads-1)" for every distinct host, sorted bytewise
 * like its JavaScript sort for ASCII names (so "node-10-0" comes before
 * "node-2-0").  Returns the count; *list and its strings are the caller's
 * (free each, then the array).  threads >= 1.
 */
size_t	 hash_workers(char *const *hosts, size_t nhosts, int threads,
	    char ***list);
/*
 * The index of self ("host-thread", e.g. "h1-0") in hash_workers() over
 * self's host and the peer hosts, or -1 if self is not of that form or
 * not in the list.  *list and *n as with hash_workers(), also on -1.
 */
long	 hash_whoami(const char *self, char *const *peers, size_t npeers,
	    int threads, char ***list, size_t *n);
/* Parses "i/N" (0 <= i < N <= 1000000) into *i and *n; 0, or -1. */
int	 hash_parse_worker(const char *s, int *i, int *n);
/* SHA-256 of s as 64 lowercase hex digits plus NUL. */
void	 hash_sha256_hex(const void *s, size_t len, char out[65]);

#endif
