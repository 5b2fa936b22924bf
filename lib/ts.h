/*
 * ts: timestamps as int64 microseconds since 1970-01-01T00:00:00Z (UTC),
 * the unit of BigQuery's UNIX_MICROS and of the cursor.  No function here
 * depends on the time zone or locale of the process.
 *
 * Text form (bqsync(7), ROWS): RFC 3339 UTC with exactly 6 fractional digits,
 * "2025-11-04T15:59:00.123456Z", which sorts as text.  Valid range is
 * BigQuery's: 0001-01-01 to 9999-12-31.
 */
#ifndef BQSYNC_TS_H
#define BQSYNC_TS_H

#include <stdint.h>

#define TS_BUFSZ 32

#define TS_MIN_MICROS	(-62135596800000000LL)	/* 0001-01-01T00:00:00Z */
#define TS_MAX_MICROS	(253402300799999999LL)	/* 9999-12-31T23:59:59.999999Z */

/*
 * Parses "YYYY-MM-DD[( |T)HH:MM[:SS[.f{1,9}]]][Z|z|( )?(+|-)HH[:MM]| UTC]"
 * (a date alone is midnight UTC; no zone is UTC).  Digits beyond the 6th
 * fractional one are truncated.  Returns 0, or -1 if s is not such a
 * timestamp or out of range.
 */
int	 ts_parse(const char *s, int64_t *micros);
/* Writes the canonical form into buf and returns buf. */
char	*ts_format(int64_t micros, char buf[TS_BUFSZ]);
/*
 * Parses a decimal seconds value as BigQuery sends TIMESTAMP cells without
 * useInt64Timestamp ("1.3682484E9", "1699089600.123456", "-1.2E-3"), exactly
 * (in decimal, rounding half-even to the microsecond).  0 or -1.
 */
int	 ts_parse_seconds(const char *s, int64_t *micros);
/*
 * Formats micros as seconds the way BigQuery does for float cells (Java
 * Double.toString of micros/1e6: "1.3682484E9", "0.0", "1.699089600123456E9").
 */
char	*ts_format_seconds(int64_t micros, char buf[TS_BUFSZ]);
/*
 * Formats a FLOAT64 as Java's Double.toString does, as BigQuery's cells
 * show it: "1.5", "37200.0", "1.7664E7", "-0.0", "NaN", "-Infinity".
 */
char	*ts_format_double(double x, char buf[TS_BUFSZ]);
/* Parses a decimal int64 of microseconds ("1699089600123456"); 0 or -1. */
int	 ts_parse_micros(const char *s, int64_t *micros);
/* The current wall-clock time in microseconds. */
int64_t	 ts_now(void);
/* Days since 1970-01-01 for a proleptic Gregorian date, and back. */
int64_t	 ts_days_from_civil(int64_t y, unsigned m, unsigned d);
void	 ts_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d);

#endif
