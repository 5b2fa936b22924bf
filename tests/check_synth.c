/*
 * check_synth: the maritime model, PRNG, great-circle math, heap, the
 * vessel state machine and the row formats of lib/synth.c.
 */
#include <check.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "synth.h"
#include "util.h"
#include "testlib.h"
#include "banned.h"

#define T2025	1735689600000000LL	/* 2025-01-01T00:00:00Z */
#define HOUR	3600000000LL
#define DAY	(24 * HOUR)

START_TEST(test_splitmix_reference)
{
	uint64_t s = 0;

	/* Vigna's splitmix64.c from state 0. */
	ck_assert_uint_eq(synth_splitmix64(&s), 0xe220a8397b1dcdafULL);
	ck_assert_uint_eq(synth_splitmix64(&s), 0x6e789e6aa1b965f4ULL);
}
END_TEST

START_TEST(test_rng_deterministic)
{
	struct synth_rng a, b, c;
	int i, same = 0;
	double d;

	synth_rng_seed(&a, 42);
	synth_rng_seed(&b, 42);
	synth_rng_seed(&c, 43);
	for (i = 0; i < 1000; i++) {
		uint64_t x = synth_rng_next(&a);

		ck_assert_uint_eq(x, synth_rng_next(&b));
		same += x == synth_rng_next(&c);
	}
	ck_assert_int_eq(same, 0);
	for (i = 0; i < 100000; i++) {
		d = synth_rng_double(&a);
		ck_assert(d >= 0 && d < 1);
	}
}
END_TEST

START_TEST(test_distance)
{
	/* One degree of longitude on the equator: 6371 km * pi/180 / 1.852. */
	ck_assert_double_eq_tol(synth_distance_nm(0, 0, 0, 1),
	    6371.0 * M_PI / 180 / 1.852, 1e-9);
	/* Pole to equator: a quarter of the circumference. */
	ck_assert_double_eq_tol(synth_distance_nm(90, 0, 0, 77),
	    SYNTH_EARTH_NM * M_PI / 2, 1e-6);
	/* London to Paris, 343.5 km by haversine with R = 6371 km. */
	ck_assert_double_eq_tol(synth_distance_nm(51.5074, -0.1278,
	    48.8566, 2.3522) * 1.852, 343.5, 0.5);
	ck_assert_double_eq_tol(synth_distance_nm(10, 20, 10, 20), 0, 1e-12);
	/* Symmetric, and across the antimeridian the short way. */
	ck_assert_double_eq_tol(synth_distance_nm(0, 179.5, 0, -179.5),
	    synth_distance_nm(0, 0, 0, 1), 1e-6);
}
END_TEST

START_TEST(test_bearing)
{
	ck_assert_double_eq_tol(synth_bearing(0, 0, 0, 10), 90, 1e-9);
	ck_assert_double_eq_tol(synth_bearing(0, 0, 10, 0), 0, 1e-9);
	ck_assert_double_eq_tol(synth_bearing(0, 0, -10, 0), 180, 1e-9);
	ck_assert_double_eq_tol(synth_bearing(0, 0, 0, -10), 270, 1e-9);
	/*
	 * Equal latitudes 90 deg apart: tan(brg) = 1 / sin(lat), 60.16 deg
	 * at 35N (Baghdad to Osaka, about 60 deg).
	 */
	ck_assert_double_eq_tol(synth_bearing(35, 45, 35, 135),
	    atan2(1, sin(35 * M_PI / 180)) * 180 / M_PI, 1e-9);
	ck_assert_double_eq_tol(synth_bearing(35, 45, 35, 135), 60.16, 0.01);
}
END_TEST

START_TEST(test_destination)
{
	struct synth_rng r;
	double lat, lon, la1, lo1, la2, lo2;
	int i;

	synth_destination(0, 0, 90, synth_distance_nm(0, 0, 0, 1), &lat,
	    &lon);
	ck_assert_double_eq_tol(lat, 0, 1e-9);
	ck_assert_double_eq_tol(lon, 1, 1e-9);
	synth_destination(0, 179.5, 90, synth_distance_nm(0, 0, 0, 1), &lat,
	    &lon);
	ck_assert_double_eq_tol(lon, -179.5, 1e-9);
	/* Sailing the bearing for the distance reaches the other point. */
	synth_rng_seed(&r, 7);
	for (i = 0; i < 1000; i++) {
		la1 = synth_rng_double(&r) * 160 - 80;
		lo1 = synth_rng_double(&r) * 360 - 180;
		la2 = synth_rng_double(&r) * 160 - 80;
		lo2 = synth_rng_double(&r) * 360 - 180;
		synth_destination(la1, lo1, synth_bearing(la1, lo1, la2, lo2),
		    synth_distance_nm(la1, lo1, la2, lo2), &lat, &lon);
		ck_assert_double_lt(synth_distance_nm(lat, lon, la2, lo2),
		    1e-3);
	}
}
END_TEST

START_TEST(test_imo)
{
	ck_assert_int_eq(synth_imo_check_digit(907472), 9);
	ck_assert(synth_imo_valid("IMO9074729"));
	ck_assert(synth_imo_valid("9074729"));
	ck_assert(!synth_imo_valid("IMO9074728"));
	ck_assert(!synth_imo_valid("IMO907472"));
	ck_assert(!synth_imo_valid("IMO90747290"));
	ck_assert(!synth_imo_valid("IMO90747x9"));
}
END_TEST

START_TEST(test_ports_and_shares)
{
	int i, sum = 0, counts[SYNTH_NPORTS] = { 0 }, tc[SYNTH_NTYPES] = { 0 };
	double share = 0;
	struct synth_rng r;

	for (i = 0; i < SYNTH_NPORTS; i++)
		sum += synth_ports[i].weight;
	ck_assert_int_eq(sum, SYNTH_WEIGHT_SUM);
	ck_assert_str_eq(synth_ports[0].name, "Singapore");
	ck_assert_double_eq(synth_ports[0].lat, 1.2644);
	ck_assert_str_eq(synth_ports[28].name, "Lagos");
	/* An even grid of u gives exactly the weights. */
	for (i = 0; i < SYNTH_WEIGHT_SUM * 100; i++)
		counts[synth_pick_port((i + 0.5) / (SYNTH_WEIGHT_SUM * 100))]++;
	for (i = 0; i < SYNTH_NPORTS; i++)
		ck_assert_int_eq(counts[i], synth_ports[i].weight * 100);
	for (i = 0; i < SYNTH_NTYPES; i++)
		share += synth_types[i].share;
	ck_assert_double_eq_tol(share, 1.0, 1e-12);
	synth_rng_seed(&r, 1);
	for (i = 0; i < 1000000; i++)
		tc[synth_pick_type(synth_rng_double(&r))]++;
	for (i = 0; i < SYNTH_NTYPES; i++)
		ck_assert_double_eq_tol(tc[i] / 1e6, synth_types[i].share,
		    0.003);
	ck_assert_int_eq(SYNTH_NMIDS, 22);
	ck_assert_int_eq(SYNTH_NFLAGS, 20);
}
END_TEST

START_TEST(test_heap)
{
	struct synth_heap *h = synth_heap_new(1000);
	struct synth_rng r;
	int64_t k, lastk = INT64_MIN;
	uint32_t id, lastid = 0;
	int i;

	synth_rng_seed(&r, 3);
	for (i = 0; i < 1000; i++)
		ck_assert_int_eq(synth_heap_push(h,
		    (int64_t)(synth_rng_next(&r) % 50), (uint32_t)i), 0);
	ck_assert_int_eq(synth_heap_push(h, 0, 0), -1);
	for (i = 0; i < 1000; i++) {
		ck_assert_int_eq(synth_heap_pop(h, &k, &id), 0);
		ck_assert(k > lastk || (k == lastk && id > lastid));
		lastk = k;
		lastid = id;
	}
	ck_assert_int_eq(synth_heap_pop(h, &k, &id), -1);
	ck_assert_uint_eq(synth_heap_len(h), 0);
	synth_heap_free(h);
	synth_heap_free(NULL);
}
END_TEST

static cJSON *
next_json(struct synth *s, int64_t *ts)
{
	struct strbuf sb = STRBUF_INIT;
	cJSON *j = NULL;

	if (synth_next(s, &sb, ts)) {
		ck_assert_uint_gt(sb.len, 2);
		ck_assert_int_eq(sb.buf[sb.len - 1], '\n');
		ck_assert_ptr_null(memchr(sb.buf, '\n', sb.len - 1));
		j = cJSON_Parse(sb.buf);
		ck_assert_msg(j != NULL, "invalid JSON: %s", sb.buf);
	}
	strbuf_release(&sb);
	return j;
}

static const char *
str(const cJSON *j, const char *k)
{
	const cJSON *v = cJSON_GetObjectItem(j, k);

	ck_assert_msg(cJSON_IsString(v), "%s is not a string", k);
	return v->valuestring;
}

START_TEST(test_state_machine_order)
{
	static const char *const next[][2] = {
		/* after -> allowed next */
		{ "ARRIVAL", "ANCHORED BERTHED" },
		{ "ANCHORED", "BERTHED" },
		{ "BERTHED", "DEPARTURE" },
		{ "DEPARTURE", "ARRIVAL" },
	};
	struct synth *s = synth_new(SYNTH_EVENTS, 99, 5, T2025);
	char prev[5][16] = { "", "", "", "", "" }, port[5][8];
	int64_t ts, last = T2025;
	int n = 0, v, k, anch = 0;
	cJSON *j;

	synth_window(s, T2025, T2025 + 200 * DAY, 0);
	while ((j = next_json(s, &ts)) != NULL) {
		const char *ty = str(j, "event_type");
		uint32_t mmsi = (uint32_t)atol(str(j, "vessel_mmsi"));

		ck_assert(ts >= last && ts < T2025 + 200 * DAY);
		last = ts;
		for (v = 0; v < 5 && synth_mmsi(s, v) != mmsi; v++)
			;
		ck_assert_int_lt(v, 5);
		if (prev[v][0] != '\0') {
			for (k = 0; strcmp(next[k][0], prev[v]) != 0; k++)
				;
			ck_assert_msg(strstr(next[k][1], ty) != NULL,
			    "%s after %s", ty, prev[v]);
			/* A port call stays in one port. */
			if (strcmp(ty, "ARRIVAL") != 0)
				ck_assert_str_eq(port[v], str(j, "port_id"));
			else
				ck_assert_str_ne(port[v], str(j, "port_id"));
		}
		anch += strcmp(ty, "ANCHORED") == 0;
		snprintf(prev[v], sizeof(prev[v]), "%s", ty);
		snprintf(port[v], sizeof(port[v]), "%s", str(j, "port_id"));
		cJSON_Delete(j);
		n++;
	}
	ck_assert_int_gt(n, 5 * 3 * 5);
	ck_assert_int_gt(anch, 0);
	synth_free(s);
}
END_TEST

static int
is_ts(const char *s)
{
	return strlen(s) == 27 && s[4] == '-' && s[10] == 'T' &&
	    s[19] == '.' && s[26] == 'Z';
}

START_TEST(test_positions_rows)
{
	struct synth *s = synth_new(SYNTH_POSITIONS, 5, 1000, T2025);
	int64_t ts, last = T2025;
	int n = 0, under = 0;
	cJSON *j, *f;
	const char *st;

	synth_window(s, T2025, T2025 + DAY, 10000);
	while ((j = next_json(s, &ts)) != NULL) {
		ck_assert(ts > last || n == 0);
		ck_assert(ts >= T2025 && ts < T2025 + DAY);
		last = ts;
		ck_assert_int_eq(cJSON_GetArraySize(j), 18);
		ck_assert_uint_eq(strlen(str(j, "mmsi")), 9);
		ck_assert(synth_imo_valid(str(j, "imo")));
		ck_assert(is_ts(str(j, "timestamp")));
		ck_assert_str_eq(str(j, "report_date"), "20250101");
		ck_assert_int_eq(strncmp(str(j, "timestamp"), "2025-01-01T",
		    11), 0);
		f = cJSON_GetObjectItem(j, "latitude");
		ck_assert(cJSON_IsNumber(f) && fabs(f->valuedouble) <= 90);
		f = cJSON_GetObjectItem(j, "longitude");
		ck_assert(cJSON_IsNumber(f) && fabs(f->valuedouble) <= 180);
		f = cJSON_GetObjectItem(j, "course");
		ck_assert(cJSON_IsNumber(f) && f->valueint >= 0 &&
		    f->valueint < 360);
		st = str(j, "status");
		if (strcmp(st, SYNTH_ST_UNDERWAY) == 0) {
			under++;
			ck_assert(is_ts(str(j, "eta")));
		} else
			ck_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "eta")));
		cJSON_Delete(j);
		n++;
	}
	ck_assert_int_eq(n, 10000);
	ck_assert_int_gt(under, 3000);
	ck_assert_int_lt(under, 9500);
	synth_free(s);
}
END_TEST

START_TEST(test_metadata_and_mmsis)
{
	struct synth *m = synth_new(SYNTH_METADATA, 11, 2000, T2025);
	struct synth *p = synth_new(SYNTH_POSITIONS, 11, 2000, T2025 + DAY);
	int64_t ts;
	long i, k;
	cJSON *j;

	for (i = 0; i < 2000; i++) {
		ck_assert_uint_eq(synth_mmsi(m, i), synth_mmsi(p, i));
		ck_assert_uint_ge(synth_mmsi(m, i), 201000000);
		ck_assert_uint_le(synth_mmsi(m, i), 567999999);
		for (k = 0; k < i; k++)
			ck_assert_uint_ne(synth_mmsi(m, i), synth_mmsi(m, k));
	}
	synth_window(m, T2025, T2025 + HOUR, 2000);
	for (i = 0; (j = next_json(m, &ts)) != NULL; i++) {
		const cJSON *gt = cJSON_GetObjectItem(j, "gross_tonnage");
		const cJSON *len = cJSON_GetObjectItem(j, "length");
		const cJSON *beam = cJSON_GetObjectItem(j, "beam");

		ck_assert_int_eq(cJSON_GetArraySize(j), 16);
		ck_assert_uint_eq((uint32_t)atol(str(j, "mmsi")),
		    synth_mmsi(m, i));
		ck_assert(synth_imo_valid(str(j, "imo")));
		ck_assert(is_ts(str(j, "last_updated")));
		ck_assert_int_eq(gt->valueint, 2 * len->valueint *
		    beam->valueint);
		ck_assert_uint_ge(strlen(str(j, "callsign")), 4);
		ck_assert_uint_le(strlen(str(j, "callsign")), 6);
		cJSON_Delete(j);
	}
	ck_assert_int_eq(i, 2000);
	synth_free(m);
	synth_free(p);
}
END_TEST

START_TEST(test_same_seed_same_bytes)
{
	struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
	int t, seed, round;
	int64_t ts;

	for (t = 0; t < SYNTH_NTABLES; t++) {
		char *first = NULL;

		for (round = 0; round < 3; round++) {
			struct synth *s;

			seed = round == 2 ? 8 : 7;
			s = synth_new(t, (uint64_t)seed, 300, T2025);
			synth_window(s, T2025, T2025 + 3 * DAY, 3000);
			while (synth_next(s, &a, &ts))
				;
			if (round == 0)
				first = strbuf_detach(&a, NULL);
			else if (round == 1)
				ck_assert_str_eq(first, a.buf);
			else
				ck_assert_str_ne(first, a.buf);
			strbuf_release(&a);
			synth_free(s);
		}
		free(first);
	}
	strbuf_release(&b);
}
END_TEST

START_TEST(test_tables)
{
	cJSON *s;
	int t;

	ck_assert_int_eq(synth_table_parse("vessel_positions"),
	    SYNTH_POSITIONS);
	ck_assert_int_eq(synth_table_parse("events"), SYNTH_EVENTS);
	ck_assert_int_eq(synth_table_parse("metadata"), SYNTH_METADATA);
	ck_assert_int_eq(synth_table_parse("nope"), -1);
	for (t = 0; t < SYNTH_NTABLES; t++) {
		s = cJSON_Parse(synth_table_schema(t));
		ck_assert_ptr_nonnull(s);
		ck_assert(cJSON_IsArray(s));
		cJSON_Delete(s);
		ck_assert_ptr_nonnull(synth_table_clustering(t)[0]);
	}
	s = cJSON_Parse(synth_table_schema(SYNTH_POSITIONS));
	ck_assert_int_eq(cJSON_GetArraySize(s), 18);
	cJSON_Delete(s);
}
END_TEST

START_TEST(test_plan)
{
	struct bq_err err = BQ_ERR_INIT;
	int64_t start = INT64_MIN, end = INT64_MIN;
	long long count = 100;

	/* Count and rate give the end; start defaults to now. */
	ck_assert_int_eq(synth_plan(SYNTH_POSITIONS, 10, 2.0, T2025, &start,
	    &end, &count, &err), 0);
	ck_assert_int_eq(start, T2025);
	ck_assert_int_eq(end, T2025 + 50000000);
	/* End and rate give the count. */
	count = -1;
	end = T2025 + HOUR;
	ck_assert_int_eq(synth_plan(SYNTH_POSITIONS, 10, 2.0, 0, &start,
	    &end, &count, &err), 0);
	ck_assert_int_eq(count, 7200);
	/* Metadata alone: one row per vessel. */
	count = -1;
	end = INT64_MIN;
	ck_assert_int_eq(synth_plan(SYNTH_METADATA, 10, 2.0, 0, &start,
	    &end, &count, &err), 0);
	ck_assert_int_eq(count, 10);
	ck_assert_int_eq(end, T2025 + 5000000);
	/* Events: no limit, to the end of time. */
	count = 5;
	end = INT64_MIN;
	ck_assert_int_eq(synth_plan(SYNTH_EVENTS, 10, 2.0, 0, &start, &end,
	    &count, &err), 0);
	ck_assert_int_eq(end, INT64_MAX);
	ck_assert_int_eq(count, 5);
	/* Usage errors. */
	count = -1;
	end = INT64_MIN;
	ck_assert_int_eq(synth_plan(SYNTH_EVENTS, 10, 2.0, 0, &start, &end,
	    &count, &err), -1);
	ck_assert_int_eq(err.kind, EXIT_USAGE);
	end = T2025 - 1;
	ck_assert_int_eq(synth_plan(SYNTH_POSITIONS, 10, 2.0, 0, &start,
	    &end, &count, &err), -1);
}
END_TEST

/* generate's checks, its plan, and a seed from the clock when none. */
START_TEST(test_gen_plan)
{
	struct synth_gen g = SYNTH_GEN_INIT;
	struct bq_err err = BQ_ERR_INIT;
	uint64_t clock = (uint64_t)T2025;

	g.vessels = 10;
	g.rate = 2.0;
	g.count = 100;
	ck_assert_int_eq(synth_gen_plan(&g, T2025, &err), -1);
	ck_assert_str_eq(err.msg, "generate needs --table");
	g.table = SYNTH_METADATA;
	g.geojson = 1;
	ck_assert_int_eq(synth_gen_plan(&g, T2025, &err), -1);
	ck_assert_int_eq(err.kind, EXIT_USAGE);
	g.table = SYNTH_EVENTS;
	g.tracks = 1;
	ck_assert_int_eq(synth_gen_plan(&g, T2025, &err), -1);
	ck_assert_str_eq(err.msg, "--tracks needs --table vessel_positions");
	g.table = SYNTH_POSITIONS;
	ck_assert_int_eq(synth_gen_plan(&g, T2025, &err), 0);
	ck_assert_int_eq(g.start, T2025);
	ck_assert_int_eq(g.end, T2025 + 50000000);
	ck_assert_uint_eq(g.seed, synth_splitmix64(&clock));
	/* a seed given stays */
	g.seed = 7;
	ck_assert_int_eq(synth_gen_plan(&g, T2025, &err), 0);
	ck_assert_uint_eq(g.seed, 7);
}
END_TEST

/* routes: one FeatureCollection of the sea-lane graph. */
START_TEST(test_routes_geojson)
{
	struct strbuf out = STRBUF_INIT;
	cJSON *fc;

	synth_routes_geojson(&out);
	ck_assert_ptr_nonnull(fc = cJSON_Parse(out.buf));
	ck_assert_str_eq(cJSON_GetObjectItem(fc, "type")->valuestring,
	    "FeatureCollection");
	ck_assert_int_gt(cJSON_GetArraySize(cJSON_GetObjectItem(fc,
	    "features")), 0);
	cJSON_Delete(fc);
	strbuf_release(&out);
}
END_TEST

START_TEST(test_geojson_feature_and_tracks)
{
	struct strbuf out = STRBUF_INIT;
	struct synth_tracks t = SYNTH_TRACKS_INIT;
	struct synth *s = synth_new(SYNTH_POSITIONS, 7, 2, T2025);
	const char *rows[] = {
		"{\"mmsi\":\"1\",\"latitude\":40.5,\"longitude\":179.9}\n",
		"{\"mmsi\":\"2\",\"latitude\":1.25,\"longitude\":103.8}\n",
		"{\"mmsi\":\"1\",\"latitude\":40.6,\"longitude\":-179.9}\n",
		"{\"mmsi\":\"2\",\"latitude\":1.3,\"longitude\":103.9}\n",
	};
	cJSON *j;
	size_t i;

	ck_assert_int_eq(synth_feature(&out, rows[0]), 0);
	ck_assert_str_eq(out.buf, "{\"type\":\"Feature\",\"geometry\":"
	    "{\"type\":\"Point\",\"coordinates\":[179.900000,40.500000]},"
	    "\"properties\":{\"mmsi\":\"1\",\"latitude\":40.5,"
	    "\"longitude\":179.9}}");
	ck_assert_int_eq(synth_feature(&out, "{\"mmsi\":\"1\"}\n"), -1);
	strbuf_reset(&out);
	for (i = 0; i < 4; i++)
		synth_tracks_add(&t, rows[i]);
	strbuf_adds(&out, "[");
	synth_tracks_geojson(&t, s, &out);
	strbuf_adds(&out, "]");
	j = cJSON_Parse(out.buf);
	ck_assert_ptr_nonnull(j);
	ck_assert_int_eq(cJSON_GetArraySize(j), 2);
	/* Vessel 0 crosses the antimeridian: two lines, RFC 7946. */
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(
	    cJSON_GetArrayItem(j, 0), "geometry"), "type")->valuestring,
	    "MultiLineString");
	ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(
	    cJSON_GetArrayItem(j, 1), "geometry"), "type")->valuestring,
	    "LineString");
	ck_assert_ptr_nonnull(strstr(out.buf, "[[[179.900000,40.500000]],"
	    "[[-179.900000,40.600000]]]"));
	cJSON_Delete(j);
	synth_tracks_release(&t);
	synth_free(s);
	strbuf_release(&out);
}
END_TEST

/* generate: n NDJSON lines, or one FeatureCollection; write failures. */
START_TEST(test_generate)
{
	struct bq_err err = BQ_ERR_INIT;
	int64_t start = 1762214400000000LL;	/* 2025-11-04T00:00:00Z */
	int64_t end = INT64_MIN;
	long long count = 5000;
	char *buf = NULL;
	size_t len = 0, lines = 0, i;
	FILE *fp = open_memstream(&buf, &len);

	ck_assert_int_eq(synth_plan(SYNTH_POSITIONS, 20, 10, start, &start,
	    &end, &count, &err), 0);
	ck_assert_int_eq(synth_generate(fp, SYNTH_POSITIONS, 7, 20, start,
	    end, 5000, 0, 0), 0);
	fclose(fp);
	for (i = 0; i < len; i++)
		lines += buf[i] == '\n';
	ck_assert_uint_eq(lines, 5000);
	ck_assert_int_eq(buf[len - 1], '\n');
	free(buf);
	buf = NULL;
	fp = open_memstream(&buf, &len);
	ck_assert_int_eq(synth_generate(fp, SYNTH_POSITIONS, 7, 20, start,
	    end, 10, 1, 0), 0);
	fclose(fp);
	ck_assert_int_eq(strncmp(buf, "{\"type\":\"FeatureCollection\",", 28),
	    0);
	ck_assert_str_eq(buf + len - 4, "\n]}\n");
	free(buf);
	if ((fp = fopen("/dev/full", "w")) != NULL) {
		ck_assert_int_eq(synth_generate(fp, SYNTH_POSITIONS, 7, 20,
		    start, end, 5000, 0, 0), -1);
		fclose(fp);
	}
}
END_TEST

CHECK_TESTS("synth", 60,
    test_splitmix_reference,
    test_rng_deterministic,
    test_distance,
    test_bearing,
    test_destination,
    test_imo,
    test_ports_and_shares,
    test_heap,
    test_state_machine_order,
    test_positions_rows,
    test_metadata_and_mmsis,
    test_same_seed_same_bytes,
    test_tables,
    test_plan,
    test_gen_plan,
    test_routes_geojson,
    test_geojson_feature_and_tracks,
    test_generate)
