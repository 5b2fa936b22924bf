/*
 * hash: FarmHash Fingerprint64 (BigQuery's FARM_FINGERPRINT), SHA-256 in
 * hex, and the partition function that decides which worker owns a row.
 *
 * Worker i of n owns a timestamp t (microseconds) when
 *   fingerprint scheme: llabs(FARM_FINGERPRINT(decimal(t)) % n) == i
 *   micros scheme:      t % n == i   (the older plugin's MOD(UNIX_MICROS(ts), n))
 * which is exactly what bq-pull asks BigQuery to compute, so the client and
 * the server always agree.  All rows with one timestamp share one worker.
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
