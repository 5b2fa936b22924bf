#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ts.h"
#include "banned.h"

#define MICROS_PER_SEC	1000000LL
#define MICROS_PER_DAY	86400000000LL

/*
 * Civil dates: the proleptic Gregorian calendar counted in 400-year eras
 * of 146097 days, with years starting on March 1 so that the leap day is
 * the last day of a year.  Exact for every int64 year we can reach here.
 */
int64_t
ts_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	if (m <= 2)
		y--;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;				/* [0, 399] */
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;	/* [0, 146096] */
	return era * 146097 + doe - 719468;
}

void
ts_civil_from_days(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t z, era, doe, yoe, doy, mp;

	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	*m = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

static int
is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static unsigned
days_in_month(int64_t y, unsigned m)
{
	static const unsigned char dim[] =
	    { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* Reads exactly n decimal digits at *p; -1 if they are not there. */
static int
digits(const char **p, int n, int *out)
{
	int v = 0;

	while (n-- > 0) {
		if (**p < '0' || **p > '9')
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*out = v;
	return 0;
}

int
ts_parse(const char *s, int64_t *micros)
{
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, n, oh, om = 0;
	int64_t off = 0, t;

	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) ||
	    *p++ != '-' || digits(&p, 2, &d))
		return -1;
	if (y < 1 || mo < 1 || mo > 12 || d < 1 ||
	    (unsigned)d > days_in_month(y, (unsigned)mo))
		return -1;
	if ((*p == 'T' || *p == ' ') && p[1] >= '0' && p[1] <= '9') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi))
			return -1;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &sec))
				return -1;
			if (*p == '.') {
				p++;
				for (n = 0; *p >= '0' && *p <= '9'; n++, p++) {
					if (n < 6)
						frac = frac * 10 + (*p - '0');
				}
				if (n < 1 || n > 9)
					return -1;
				for (; n < 6; n++)
					frac *= 10;
			}
		}
		if (h > 23 || mi > 59 || sec > 59)
			return -1;
	}
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (strcmp(p, " UTC") == 0) {
		p += 4;
	} else if (*p == ' ' || *p == '+' || *p == '-') {
		if (*p == ' ')
			p++;
		if (*p != '+' && *p != '-')
			return -1;
		n = *p++ == '-' ? -1 : 1;
		if (digits(&p, 2, &oh))
			return -1;
		if (*p == ':') {
			p++;
			if (digits(&p, 2, &om))
				return -1;
		}
		if (oh > 23 || om > 59)
			return -1;
		off = n * (oh * 3600LL + om * 60LL) * MICROS_PER_SEC;
	}
	if (*p != '\0')
		return -1;
	t = ts_days_from_civil(y, (unsigned)mo, (unsigned)d) * MICROS_PER_DAY +
	    (h * 3600LL + mi * 60LL + sec) * MICROS_PER_SEC + frac - off;
	if (t < TS_MIN_MICROS || t > TS_MAX_MICROS)
		return -1;
	*micros = t;
	return 0;
}

char *
ts_format(int64_t micros, char buf[TS_BUFSZ])
{
	int64_t days, rem, y;
	unsigned m, d;

	if (micros < TS_MIN_MICROS)
		micros = TS_MIN_MICROS;
	if (micros > TS_MAX_MICROS)
		micros = TS_MAX_MICROS;
	days = micros / MICROS_PER_DAY;
	rem = micros % MICROS_PER_DAY;
	if (rem < 0) {
		rem += MICROS_PER_DAY;
		days--;
	}
	ts_civil_from_days(days, &y, &m, &d);
	snprintf(buf, TS_BUFSZ, "%04lld-%02u-%02uT%02lld:%02lld:%02lld.%06lldZ",
	    (long long)y, m, d, (long long)(rem / 3600000000LL),
	    (long long)(rem / 60000000LL % 60),
	    (long long)(rem / MICROS_PER_SEC % 60),
	    (long long)(rem % MICROS_PER_SEC));
	return buf;
}

int
ts_parse_micros(const char *s, int64_t *micros)
{
	const char *p = s;
	char *end;
	long long v;

	if (*p == '-')
		p++;
	if (*p < '0' || *p > '9')
		return -1;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < TS_MIN_MICROS ||
	    v > TS_MAX_MICROS)
		return -1;
	*micros = v;
	return 0;
}

/*
 * Decimal seconds to microseconds without floating point: the digits of
 * the mantissa (leading zeros dropped) times 10^(exponent + 6), with the
 * digits that fall below the microsecond rounding half-even.
 */
int
ts_parse_seconds(const char *s, int64_t *micros)
{
	const char *p = s, *dig;
	int neg = 0, ndig = 0, nfrac = 0, seen = 0;
	long exp = 0, shift, i;
	uint64_t v = 0, lim;
	int round_digit = 0, sticky = 0;

	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	dig = p;
	for (; (*p >= '0' && *p <= '9') || *p == '.'; p++) {
		if (*p == '.') {
			if (seen++)
				return -1;
			continue;
		}
		ndig++;
		if (seen)
			nfrac++;
	}
	if (ndig == 0)
		return -1;
	if (*p == 'e' || *p == 'E') {
		char *end;

		p++;
		if (!((*p >= '0' && *p <= '9') ||
		    ((*p == '+' || *p == '-') && p[1] >= '0' && p[1] <= '9')))
			return -1;
		errno = 0;
		exp = strtol(p, &end, 10);
		if (errno != 0 || exp > 1000 || exp < -1000)
			return -1;
		p = end;
	}
	if (*p != '\0')
		return -1;
	/*
	 * value = D * 10^(exp - nfrac), micros = D * 10^shift; the digit
	 * string D is dig[] without '.'.  Digits at index >= ndig + shift
	 * (when shift < 0) are below the microsecond.
	 */
	shift = exp - nfrac + 6;
	lim = (uint64_t)INT64_MAX;
	for (i = 0, p = dig; i < ndig; p++) {
		int c;

		if (*p == '.')
			continue;
		c = *p - '0';
		if (i < ndig + shift) {
			if (v > (lim - (uint64_t)c) / 10)
				return -1;
			v = v * 10 + (uint64_t)c;
		} else if (i == ndig + shift) {
			round_digit = c;
		} else if (c != 0) {
			sticky = 1;
		}
		i++;
	}
	for (i = 0; i < shift; i++) {
		if (v > lim / 10)
			return -1;
		v *= 10;
	}
	if (shift < 0 && (round_digit > 5 || (round_digit == 5 &&
	    (sticky || (v & 1)))))
		v++;
	if (v > (uint64_t)INT64_MAX)
		return -1;
	if ((neg ? -(int64_t)v : (int64_t)v) < TS_MIN_MICROS ||
	    (neg ? -(int64_t)v : (int64_t)v) > TS_MAX_MICROS)
		return -1;
	*micros = neg ? -(int64_t)v : (int64_t)v;
	return 0;
}

/* The shortest round-trip digits of x (finite, not 0) into dg; their count. */
static int
shortest_digits(double x, char dg[20], int *e10)
{
	char tmp[40];
	int prec, nd = 0;
	const char *q;

	for (prec = 0; prec < 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*e", prec, x);
		if (strtod(tmp, NULL) == x)
			break;
	}
	/* tmp is "[-]d[.ddd]e(+|-)NN" (any decimal point character). */
	for (q = tmp + (x < 0); *q != 'e'; q++) {
		if (*q >= '0' && *q <= '9')
			dg[nd++] = *q;
	}
	*e10 = atoi(q + 1);
	while (nd > 1 && dg[nd - 1] == '0')
		nd--;
	return nd;
}

/*
 * Java's Double.toString (JDK 19+, the shortest digits that round-trip):
 * plain "ddd.ddd" for 1e-3 <= |x| < 1e7, else "d.dddE<exp>", always with
 * at least one digit after the point.
 */
char *
ts_format_double(double x, char buf[TS_BUFSZ])
{
	char dg[20];
	int i, nd, e10;
	size_t o = 0;

	if (isnan(x) || isinf(x) || x == 0) {
		snprintf(buf, TS_BUFSZ, "%s", isnan(x) ? "NaN" :
		    isinf(x) ? (x < 0 ? "-Infinity" : "Infinity") :
		    signbit(x) ? "-0.0" : "0.0");
		return buf;
	}
	nd = shortest_digits(x, dg, &e10);
	if (x < 0)
		buf[o++] = '-';
	if (fabs(x) >= 1e-3 && fabs(x) < 1e7) {
		if (e10 < 0) {
			buf[o++] = '0';
			buf[o++] = '.';
			for (i = -1; i > e10; i--)
				buf[o++] = '0';
			for (i = 0; i < nd; i++)
				buf[o++] = dg[i];
		} else {
			for (i = 0; i <= e10; i++)
				buf[o++] = i < nd ? dg[i] : '0';
			buf[o++] = '.';
			if (nd <= e10 + 1)
				buf[o++] = '0';
			for (i = e10 + 1; i < nd; i++)
				buf[o++] = dg[i];
		}
		buf[o] = '\0';
	} else {
		buf[o++] = dg[0];
		buf[o++] = '.';
		if (nd == 1)
			buf[o++] = '0';
		memcpy(buf + o, dg + 1, (size_t)nd - 1);
		o += (size_t)nd - 1;
		snprintf(buf + o, TS_BUFSZ - o, "E%d", e10);
	}
	return buf;
}

char *
ts_format_seconds(int64_t micros, char buf[TS_BUFSZ])
{
	return ts_format_double((double)micros / 1e6, buf);
}

int64_t
ts_now(void)
{
	struct timespec tv;

	clock_gettime(CLOCK_REALTIME, &tv);
	return (int64_t)tv.tv_sec * MICROS_PER_SEC + tv.tv_nsec / 1000;
}
