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
 * The micros scheme equals the older plugin's MOD(UNIX_MICROS(ts), n) = i
 * for t >= 0; for rows before 1970 that query matched no worker (MOD is
 * negative), whereas ABS(MOD(...)) gives them to worker |t % n|.
 */
#ifndef BQSYNC_HASH_H
#define BQSYNC_HASH_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"

/* farmhashna::Hash64 == util::Fingerprint64, as uint64. */
uint64_t hash_fingerprint64(const void *s, size_t len);
/* The same reinterpreted as a signed int64, as FARM_FINGERPRINT returns. */
int64_t	 hash_farm_fingerprint(const void *s, size_t len);
/* The owner (0 <= i < n) of a timestamp under scheme; n >= 1. */
int	 hash_partition(int64_t micros, int n, enum partition_scheme scheme);
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
