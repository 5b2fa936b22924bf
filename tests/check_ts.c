/*
 * check_ts: timestamp parsing and formatting, float-seconds cells, civil
 * dates.  Runs under TZ values far from UTC to show nothing depends on it.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ts.h"
#include "testlib.h"
#include "banned.h"

static void
expect_parse(const char *s, int64_t want)
{
	int64_t got = 12345;

	ck_assert_msg(ts_parse(s, &got) == 0, "'%s' rejected", s);
	ck_assert_msg(got == want, "'%s': %lld, want %lld", s, (long long)got,
	    (long long)want);
}

static void
expect_reject(const char *s)
{
	int64_t got = 12345;

	ck_assert_msg(ts_parse(s, &got) == -1, "'%s' accepted", s);
	ck_assert_int_eq(got, 12345);
}

START_TEST(test_parse_forms)
{
	const int64_t t = 1699113540123456LL;	/* 2023-11-04T15:59:00.123456Z */

	expect_parse("2023-11-04T15:59:00.123456Z", t);
	expect_parse("2023-11-04 15:59:00.123456", t);
	expect_parse("2023-11-04T15:59:00.123456z", t);
	expect_parse("2023-11-04 15:59:00.123456 UTC", t);
	expect_parse("2023-11-04T15:59:00.123456+00:00", t);
	expect_parse("2023-11-04T15:59:00.123456-00", t);
	expect_parse("2023-11-04 15:59:00.123456 +00:00", t);
	expect_parse("2023-11-04T16:59:00.123456+01:00", t);
	expect_parse("2023-11-04T16:29:00.123456+00:30", t);
	expect_parse("2023-11-04T10:59:00.123456-05", t);
	expect_parse("2023-11-04T15:59:00.123456789Z", t);	/* truncated */
	expect_parse("2023-11-04T15:59:00.123456999Z", t);
	expect_parse("2023-11-04T15:59:00.1Z", t - 23456);
	expect_parse("2023-11-04T15:59:00.12345Z", t - 6);
	expect_parse("2023-11-04T15:59:00Z", t - 123456);
	expect_parse("2023-11-04T15:59Z", t - 123456);
	expect_parse("2023-11-04 15:59", t - 123456);
	expect_parse("2023-11-04", 1699056000000000LL);
	expect_parse("2023-11-04 UTC", 1699056000000000LL);
	expect_parse("1970-01-01T00:00:00Z", 0);
	expect_parse("1969-12-31T23:59:59.999999Z", -1);
	expect_parse("2000-02-29T00:00:00Z", 951782400000000LL);
	expect_parse("1337-09-02T11:43:21.622894Z", -19954383398377106LL);
}
END_TEST

START_TEST(test_parse_rejects)
{
	static const char *bad[] = {
		"", "2023", "2023-11", "2023-11-4", "23-11-04", "2023/11/04",
		"2023-13-01", "2023-00-01", "2023-11-00", "2023-11-31",
		"2023-02-29", "1900-02-29", "2023-11-04T", "2023-11-04T15",
		"2023-11-04T15:5", "2023-11-04T24:00:00Z", "2023-11-04T15:60Z",
		"2023-11-04T15:59:60Z", "2023-11-04T15:59:00.Z",
		"2023-11-04T15:59:00.1234567890Z", "2023-11-04T15:59:00ZZ",
		"2023-11-04T15:59:00+1", "2023-11-04T15:59:00+01:6",
		"2023-11-04T15:59:00+24:00", "2023-11-04T15:59:00 PST",
		"2023-11-04T15:59:00 utc", " 2023-11-04", "2023-11-04 ",
		"2023-11-04x15:59:00", "0000-01-01", "-001-01-01",
		"10000-01-01", "2023-11-04T15:59:00.123456Z\n",
		"0001-01-01T00:00:00+00:01",	/* before 0001-01-01 UTC */
		"9999-12-31T23:59:59-00:01",	/* after 9999-12-31 UTC */
	};
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		expect_reject(bad[i]);
}
END_TEST

START_TEST(test_range)
{
	char buf[TS_BUFSZ];

	expect_parse("0001-01-01T00:00:00Z", TS_MIN_MICROS);
	expect_parse("9999-12-31T23:59:59.999999Z", TS_MAX_MICROS);
	expect_parse("0001-01-01T01:00:00+01:00", TS_MIN_MICROS);
	ck_assert_str_eq(ts_format(TS_MIN_MICROS, buf),
	    "0001-01-01T00:00:00.000000Z");
	ck_assert_str_eq(ts_format(TS_MAX_MICROS, buf),
	    "9999-12-31T23:59:59.999999Z");
	/* Out-of-range values are clamped, never garbage. */
	ck_assert_str_eq(ts_format(INT64_MIN, buf),
	    "0001-01-01T00:00:00.000000Z");
	ck_assert_str_eq(ts_format(INT64_MAX, buf),
	    "9999-12-31T23:59:59.999999Z");
}
END_TEST

START_TEST(test_format_roundtrip)
{
	static const int64_t t[] = {
		0, 1, -1, 999999, -999999, 1000000, -1000000,
		1699113540123456LL, -19954383398377106LL, 951782400000000LL,
		TS_MIN_MICROS, TS_MIN_MICROS + 1, TS_MAX_MICROS,
		TS_MAX_MICROS - 1, 86399999999LL, -86400000000LL,
	};
	char buf[TS_BUFSZ];
	int64_t got, v;
	size_t i;

	ck_assert_str_eq(ts_format(1699113540123456LL, buf),
	    "2023-11-04T15:59:00.123456Z");
	ck_assert_str_eq(ts_format(-1, buf), "1969-12-31T23:59:59.999999Z");
	ck_assert_str_eq(ts_format(0, buf), "1970-01-01T00:00:00.000000Z");
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ck_assert_int_eq(ts_parse(ts_format(t[i], buf), &got), 0);
		ck_assert_int_eq(got, t[i]);
		ck_assert_uint_eq(strlen(buf), 27);
	}
	/* A sweep over ~5 centuries at an odd stride, incl. sort order. */
	{
		char prev[TS_BUFSZ] = "";

		for (v = -5000000000000000LL; v < 9000000000000000LL;
		    v += 7777777777777LL) {
			ts_format(v, buf);
			ck_assert_int_eq(ts_parse(buf, &got), 0);
			ck_assert_int_eq(got, v);
			ck_assert(strcmp(prev, buf) < 0);
			memcpy(prev, buf, sizeof(prev));
		}
	}
}
END_TEST

START_TEST(test_civil)
{
	int64_t d, y;
	unsigned m, dd;

	ck_assert_int_eq(ts_days_from_civil(1970, 1, 1), 0);
	ck_assert_int_eq(ts_days_from_civil(2000, 3, 1), 11017);
	ck_assert_int_eq(ts_days_from_civil(1969, 12, 31), -1);
	ck_assert_int_eq(ts_days_from_civil(1, 1, 1), -719162);
	ck_assert_int_eq(ts_days_from_civil(9999, 12, 31), 2932896);
	for (d = -719162; d <= 2932896; d += 13) {
		ts_civil_from_days(d, &y, &m, &dd);
		ck_assert_int_eq(ts_days_from_civil(y, m, dd), d);
	}
	ts_civil_from_days(11016, &y, &m, &dd);
	ck_assert_int_eq(y, 2000);
	ck_assert_uint_eq(m, 2);
	ck_assert_uint_eq(dd, 29);
}
END_TEST

/* A string and the microseconds it parses to. */
struct parsed {
	const char	*s;
	int64_t		 want;
};

/*
 * parse takes every good string to its value, and refuses every bad one
 * without touching its result.
 */
static void
check_parser(int (*parse)(const char *, int64_t *),
    const struct parsed *good, size_t ngood, const char *const *bad,
    size_t nbad)
{
	int64_t got;
	size_t i;

	for (i = 0; i < ngood; i++) {
		got = 12345;
		ck_assert_msg(parse(good[i].s, &got) == 0, "'%s' rejected",
		    good[i].s);
		ck_assert_msg(got == good[i].want, "'%s': %lld, want %lld",
		    good[i].s, (long long)got, (long long)good[i].want);
	}
	for (i = 0; i < nbad; i++) {
		got = 12345;
		ck_assert_msg(parse(bad[i], &got) == -1, "'%s' accepted",
		    bad[i]);
		ck_assert_int_eq(got, 12345);
	}
}

START_TEST(test_parse_seconds)
{
	static const struct parsed good[] = {
		/* The spec's cells. */
		{ "1.3682484E9", 1368248400000000LL },
		{ "1.699089600123456E9", 1699089600123456LL },
		{ "-1.9954383398377106E10", -19954383398377106LL },
		{ "1.63966552385427E9", 1639665523854270LL },
		/* Other forms. */
		{ "1699089600.123456", 1699089600123456LL },
		{ "-1.2E-3", -1200 },
		{ "0", 0 },
		{ "0.0", 0 },
		{ "-0.0", 0 },
		{ "+1.5", 1500000 },
		{ "1.", 1000000 },
		{ ".5", 500000 },
		{ "1e+3", 1000000000 },
		{ "1E3", 1000000000 },
		{ "00000000000000000000001.5e0", 1500000 },
		{ "1.000000000000000000000000000001e9", 1000000000000000LL },
		{ "16990896001234560000000e-13", 1699089600123456LL },
		/* Half-even below the microsecond. */
		{ "0.0000005", 0 },
		{ "0.0000015", 2 },
		{ "0.0000025", 2 },
		{ "0.00000250000001", 3 },
		{ "-0.0000025", -2 },
		{ "-0.0000035", -4 },
		{ "1e-9", 0 },
		{ "9e-7", 1 },
		{ "1699089600.1234565", 1699089600123456LL },
		{ "1699089600.1234575", 1699089600123458LL },
		/* Limits. */
		{ "-6.21355968E10", TS_MIN_MICROS },
		{ "2.53402300799999999E11", TS_MAX_MICROS },
	};
	static const char *const bad[] = {
		"", "-", "abc", "1e", "1e+", "1.2.3", "1,5", "NaN", "Infinity",
		"-Infinity", " 1", "1 ", "0x10", "1e99", "2.534023008E11",
		"-6.2135596800000001E10", "1e9999999999999999999", "..",
		"99999999999999999999999",
	};

	check_parser(ts_parse_seconds, good, sizeof(good) / sizeof(good[0]),
	    bad, sizeof(bad) / sizeof(bad[0]));
}
END_TEST

START_TEST(test_format_seconds)
{
	static const struct {
		int64_t micros;
		const char *want;
	} t[] = {
		{ 1368248400000000LL, "1.3682484E9" },
		{ 1699089600123456LL, "1.699089600123456E9" },
		{ -19954383398377106LL, "-1.9954383398377106E10" },
		{ 1639665523854270LL, "1.63966552385427E9" },
		{ 0, "0.0" },
		{ 1000000, "1.0" },
		{ -1000000, "-1.0" },
		{ 123456000, "123.456" },
		{ 1000, "0.001" },
		{ 999, "9.99E-4" },
		{ 1, "1.0E-6" },
		{ -1200, "-0.0012" },
		{ 9999999999999LL, "9999999.999999" },
		{ 10000000000000LL, "1.0E7" },
		{ 1000000000000000LL, "1.0E9" },
		{ 1699089600000000LL, "1.6990896E9" },
		{ 1699089600100000LL, "1.6990896001E9" },
		{ TS_MIN_MICROS, "-6.21355968E10" },
		{ TS_MAX_MICROS, "2.534023008E11" },
	};
	char buf[TS_BUFSZ];
	int64_t v, got;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ck_assert_str_eq(ts_format_seconds(t[i].micros, buf), t[i].want);
	/*
	 * Round trip wherever a double's spacing is below 1 us: |seconds|
	 * under 2^33 (1697..2242).  Beyond, BigQuery's float cells lose
	 * microseconds too (8589999999991187 -> 8.589999999991186E9).
	 */
	for (v = -8589934592000000LL; v < 8589934592000000LL;
	    v += 3333333333331LL) {
		ts_format_seconds(v, buf);
		ck_assert_int_eq(ts_parse_seconds(buf, &got), 0);
		ck_assert_msg(got == v, "%lld -> %s -> %lld", (long long)v, buf,
		    (long long)got);
	}
}
END_TEST

START_TEST(test_parse_micros)
{
	static const struct parsed good[] = {
		{ "1699089600123456", 1699089600123456LL }, { "-1", -1 },
		{ "0", 0 }, { "253402300799999999", TS_MAX_MICROS },
		{ "-62135596800000000", TS_MIN_MICROS },
	};
	static const char *const bad[] = {
		"", "-", "+1", " 1", "1 ", "1.0", "1e6", "0x10", "abc",
		"9223372036854775808", "253402300800000000",
		"-62135596800000001",
	};

	check_parser(ts_parse_micros, good, sizeof(good) / sizeof(good[0]),
	    bad, sizeof(bad) / sizeof(bad[0]));
}
END_TEST

START_TEST(test_format_double)
{
	static const struct {
		double d;
		const char *s;
	} v[] = {
		{ 1.5, "1.5" }, { 37200, "37200.0" }, { 1.7664e7, "1.7664E7" },
		{ 0, "0.0" }, { 6.0009827716399995, "6.0009827716399995" },
		{ 1e-4, "1.0E-4" }, { 0.001, "0.001" }, { -2, "-2.0" },
		{ 1699089600.123456, "1.699089600123456E9" },
		{ 1e300, "1.0E300" }, { 9999999, "9999999.0" },
	};
	char buf[TS_BUFSZ];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++)
		ck_assert_str_eq(ts_format_double(v[i].d, buf), v[i].s);
	ck_assert_str_eq(ts_format_double(0.0 / 0.0, buf), "NaN");
	ck_assert_str_eq(ts_format_double(-1.0 / 0.0, buf), "-Infinity");
	ck_assert_str_eq(ts_format_double(1.0 / 0.0, buf), "Infinity");
	ck_assert_str_eq(ts_format_double(-0.0, buf), "-0.0");
	ck_assert_str_eq(ts_format_double(-1.7976931348623157e308, buf),
	    "-1.7976931348623157E308");
}
END_TEST

START_TEST(test_now)
{
	int64_t a = ts_now();

	/* after 2020-01-01 and before 2100-01-01 */
	ck_assert_int_gt(a, 1577836800000000LL);
	ck_assert_int_lt(a, 4102444800000000LL);
	ck_assert_int_ge(ts_now(), a);
}
END_TEST

static Suite *
ts_suite(void)
{
	Suite *s = suite_create("ts");
	TCase *tc = tcase_create("core");

	/* Nothing may depend on the zone: run far from UTC. */
	setenv("TZ", "Pacific/Kiritimati", 1);
	tzset();
	tcase_add_test(tc, test_parse_forms);
	tcase_add_test(tc, test_parse_rejects);
	tcase_add_test(tc, test_range);
	tcase_add_test(tc, test_format_roundtrip);
	tcase_add_test(tc, test_civil);
	tcase_add_test(tc, test_parse_seconds);
	tcase_add_test(tc, test_format_seconds);
	tcase_add_test(tc, test_format_double);
	tcase_add_test(tc, test_parse_micros);
	tcase_add_test(tc, test_now);
	tcase_set_timeout(tc, 60);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(ts_suite)
