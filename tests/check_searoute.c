/*
 * check_searoute: the sea-lane graph and its port-to-port routes
 * (lib/searoute.c): every pair routed, routes through the right straits
 * and canals, lengths close to the real sailing distances, the GeoJSON.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "searoute.h"
#include "synth.h"
#include "util.h"
#include "testlib.h"
#include "banned.h"

static struct searoute *r;

static int
port(const char *id)
{
	int i;

	for (i = 0; i < SYNTH_NPORTS; i++)
		if (strcmp(synth_ports[i].id, id) == 0)
			return i;
	ck_abort_msg("no port %s", id);
	return -1;
}

/* Whether the route from a to b passes within 1 km of lat/lon. */
static int
passes(const char *a, const char *b, double lat, double lon)
{
	const struct searoute_path *p = searoute_path(r, port(a), port(b));
	int k;

	for (k = 0; k < p->n; k++)
		if (synth_distance_nm(p->lat[k], p->lon[k], lat, lon) < 0.54)
			return 1;
	return 0;
}

static double
length(const char *a, const char *b)
{
	const struct searoute_path *p = searoute_path(r, port(a), port(b));

	return p->cum[p->n - 1];
}

START_TEST(test_every_pair)
{
	int i, j, k;

	for (i = 0; i < SYNTH_NPORTS; i++)
		for (j = 0; j < SYNTH_NPORTS; j++) {
			const struct searoute_path *p, *q;
			double gc;

			if (i == j)
				continue;
			p = searoute_path(r, i, j);
			ck_assert_int_ge(p->n, 3);	/* via an anchorage */
			ck_assert_double_eq(p->lat[0], synth_ports[i].lat);
			ck_assert_double_eq(p->lon[0], synth_ports[i].lon);
			ck_assert_double_eq(p->lat[p->n - 1],
			    synth_ports[j].lat);
			for (k = 1; k < p->n; k++)
				ck_assert(p->cum[k] > p->cum[k - 1]);
			gc = synth_distance_nm(synth_ports[i].lat,
			    synth_ports[i].lon, synth_ports[j].lat,
			    synth_ports[j].lon);
			ck_assert(p->cum[p->n - 1] >= gc - 1e-6);
			q = searoute_path(r, j, i);
			ck_assert(fabs(p->cum[p->n - 1] -
			    q->cum[q->n - 1]) < 1e-6);
		}
}
END_TEST

START_TEST(test_straits_and_canals)
{
	/* Rotterdam - Singapore: Dover, Gibraltar, Suez, Bab-el-Mandeb. */
	ck_assert(passes("NLRTM", "SGSIN", 51.0, 1.45));
	ck_assert(passes("NLRTM", "SGSIN", 35.95, -5.5));
	ck_assert(passes("NLRTM", "SGSIN", 29.93, 32.56));
	ck_assert(passes("NLRTM", "SGSIN", 12.6, 43.35));
	ck_assert(passes("NLRTM", "SGSIN", 1.2, 103.85));
	/* Shanghai - New York: Panama; Dubai - Hamburg: Hormuz, Suez. */
	ck_assert(passes("CNSHA", "USNYC", 9.4, -79.92));
	ck_assert(passes("AEDXB", "DEHAM", 26.5, 56.6));
	ck_assert(passes("AEDXB", "DEHAM", 31.27, 32.32));
	/* Durban - Santos round the Cape of Good Hope, not through Suez. */
	ck_assert(passes("ZADUR", "BRSSZ", -34.6, 18.3));
	ck_assert(!passes("ZADUR", "BRSSZ", 29.93, 32.56));
	/* Port Klang - Busan through Malacca and Singapore Strait. */
	ck_assert(passes("MYPKG", "KRPUS", 1.2, 103.85));
}
END_TEST

START_TEST(test_lengths)
{
	/* Published sailing distances, within 10 %. */
	ck_assert_double_le(fabs(length("NLRTM", "SGSIN") - 8300), 830);
	ck_assert_double_le(fabs(length("CNSHA", "USLAX") - 5700), 570);
	ck_assert_double_le(fabs(length("USNYC", "NLRTM") - 3400), 340);
	ck_assert_double_le(fabs(length("SGSIN", "HKHKG") - 1450), 145);
}
END_TEST

START_TEST(test_geojson)
{
	struct strbuf sb = STRBUF_INIT;
	cJSON *j, *f;
	int points = 0, lines = 0, multi = 0;

	searoute_geojson(r, &sb);
	j = cJSON_Parse(sb.buf);
	ck_assert_ptr_nonnull(j);
	ck_assert_str_eq(cJSON_GetObjectItem(j, "type")->valuestring,
	    "FeatureCollection");
	cJSON_ArrayForEach(f, cJSON_GetObjectItem(j, "features")) {
		const char *t = cJSON_GetObjectItem(cJSON_GetObjectItem(f,
		    "geometry"), "type")->valuestring;

		points += strcmp(t, "Point") == 0;
		lines += strcmp(t, "LineString") == 0;
		multi += strcmp(t, "MultiLineString") == 0;
	}
	ck_assert_int_gt(points, SYNTH_NPORTS * 2);
	ck_assert_int_gt(lines, 200);
	ck_assert_int_ge(multi, 1);	/* the Pacific lanes cross 180 */
	cJSON_Delete(j);
	strbuf_release(&sb);
}
END_TEST

START_TEST(test_gc_coords_cut)
{
	struct strbuf sb = STRBUF_INIT;
	double prev = NAN;

	ck_assert_int_eq(searoute_gc_coords(&sb, 40, 170, 40, -170, 50,
	    &prev), 1);
	ck_assert_ptr_nonnull(strstr(sb.buf, "],["));
	strbuf_reset(&sb);
	prev = NAN;
	ck_assert_int_eq(searoute_gc_coords(&sb, 0, 0, 0, 1, 10, &prev), 0);
	ck_assert_str_eq(sb.buf, "[0.000000,0.000000],"
	    "[0.083333,0.000000],[0.166667,0.000000],[0.250000,0.000000],"
	    "[0.333333,0.000000],[0.416667,0.000000],[0.500000,0.000000],"
	    "[0.583333,0.000000],[0.666667,0.000000],[0.750000,0.000000],"
	    "[0.833333,0.000000],[0.916667,0.000000],[1.000000,0.000000]");
	strbuf_release(&sb);
}
END_TEST

START_TEST(test_unknown_berth)
{
	struct searoute_berth b[1] = { { "XXNOP", 0, 0 } };
	struct bq_err err = BQ_ERR_INIT;

	ck_assert_ptr_null(searoute_new(b, 1, &err));
	ck_assert_int_eq(err.kind, EXIT_FAIL);
	ck_assert_ptr_nonnull(strstr(err.msg, "unknown node"));
}
END_TEST

static void
routes_free(void)
{
	searoute_free(r);
}

static Suite *
searoute_suite(void)
{
	Suite *s = suite_create("searoute");
	TCase *tc = tcase_create("core");

	r = synth_routes_new();
	tcase_add_unchecked_fixture(tc, NULL, routes_free);
	tcase_add_test(tc, test_every_pair);
	tcase_add_test(tc, test_straits_and_canals);
	tcase_add_test(tc, test_lengths);
	tcase_add_test(tc, test_geojson);
	tcase_add_test(tc, test_gc_coords_cut);
	tcase_add_test(tc, test_unknown_berth);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(searoute_suite)
