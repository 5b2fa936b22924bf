/*
 * hash: FarmHash Fingerprint64 (BigQuery's FARM_FINGERPRINT), SHA-256 in
 * hex, and the partition function that decides which worker owns a row.
 *
 * Worker i of n owns a timestamp t (microseconds) when
 *   fingerprint scheme: llabs(FARM_FINGERPRINT(decimal(t)) % n) == i
 *     BigQuery: ABS(MOD(FARM_FINGERPRINT(CAST(UNIX_MICROS(ts) AS STRING)), n)) = i
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
/* SHA-256 of s as 64 lowercase hex digits plus NUL. */
void	 hash_sha256_hex(const void *s, size_t len, char out[65]);

#endif
