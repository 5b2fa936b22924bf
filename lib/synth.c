/*
 * synth: the maritime data model and vessel simulation (see synth.h).
 *
 * Voyage of vessel v, leg k (a pure function of seed, v and k):
 *
 *   t_dep     leaves the berth of its origin port at cruise speed
 *   t_arr     reaches the berth position of the destination: ARRIVAL
 *   t_anc     (when it must wait) drops anchor: ANCHORED
 *   t_man     starts manoeuvring to the berth
 *   t_berth   moored: BERTHED
 *   t_next    casts off: DEPARTURE, and leg k+1 starts with t_dep = t_next
 *
 * The anchorage is the berth position itself: a vessel never moves while
 * in port, so no report can jump.  Positions at sea are computed exactly on
 * the leg's sea route (great-circle segments between waypoints) from the
 * distance sailed since t_dep.
 *
 * Order: positions and metadata take evenly spread slots of the window in
 * turn (vessel i of the round reports in slot i), so their timestamps rise
 * by construction and a vessel's voyage is advanced lazily to the slot;
 * port events come from a min-heap holding each vessel's next event time.
 * Either way memory is O(vessels), whatever the number of rows.
 */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "searoute.h"
#include "synth.h"
#include "util.h"
#include "banned.h"

#define US_PER_HOUR	3600000000.0
#define DEG		(M_PI / 180.0)

/* Tags that separate the random streams derived from one seed. */
#define TAG_FLEET	0x666c656574ULL
#define TAG_INIT	0x696e6974ULL
#define TAG_LEG		0x6c6567ULL
#define TAG_ROWS	0x726f7773ULL

const struct synth_port synth_ports[SYNTH_NPORTS] = {
	{ "SGSIN", "Singapore", 1.2644, 103.8223, 10, "Asia" },
	{ "CNSHA", "Shanghai", 31.3568, 121.5977, 9, "Asia" },
	{ "HKHKG", "Hong Kong", 22.3193, 114.1694, 7, "Asia" },
	{ "KRPUS", "Busan", 35.1248, 129.0815, 6, "Asia" },
	{ "CNCAN", "Guangzhou", 23.0488, 113.4516, 5, "Asia" },
	{ "CNTAO", "Qingdao", 36.0671, 120.3702, 5, "Asia" },
	{ "JPTYO", "Tokyo", 35.6528, 139.8394, 4, "Asia" },
	{ "MYPKG", "Port Klang", 3.0127, 101.353, 4, "Asia" },
	{ "TWKHH", "Kaohsiung", 22.6163, 120.278, 3, "Asia" },
	{ "CNTXG", "Tianjin", 38.9194, 117.6564, 4, "Asia" },
	{ "NLRTM", "Rotterdam", 51.97, 4.04, 7, "Europe" },
	{ "BEANR", "Antwerp", 51.3873, 4.2148, 5, "Europe" },
	{ "DEHAM", "Hamburg", 53.5637, 9.7506, 4, "Europe" },
	{ "ESVLC", "Valencia", 39.4699, -0.3245, 3, "Europe" },
	{ "GRPIR", "Piraeus", 37.9472, 23.6472, 3, "Europe" },
	{ "GBFXT", "Felixstowe", 51.9542, 1.3511, 2, "Europe" },
	{ "AEDXB", "Dubai", 25.2769, 55.2963, 6, "Middle East" },
	{ "SAJED", "Jeddah", 21.5355, 39.1416, 3, "Middle East" },
	{ "USLAX", "Los Angeles", 33.7405, -118.272, 6, "Americas" },
	{ "USLGB", "Long Beach", 33.7542, -118.2126, 5, "Americas" },
	{ "USNYC", "New York/New Jersey", 40.67, -74.04, 5, "Americas" },
	{ "USSAV", "Savannah", 32.0652, -80.8796, 3, "Americas" },
	{ "USHOU", "Houston", 29.6776, -95.0137, 4, "Americas" },
	{ "CAVAN", "Vancouver", 49.2856, -123.1144, 3, "Americas" },
	{ "BRSSZ", "Santos", -23.9709, -46.3368, 3, "Americas" },
	{ "MXZLO", "Manzanillo", 19.0448, -104.331, 2, "Americas" },
	{ "ZACPT", "Cape Town", -33.905, 18.4262, 2, "Africa" },
	{ "ZADUR", "Durban", -29.8587, 31.0449, 2, "Africa" },
	{ "NGLOS", "Lagos", 6.4526, 3.3958, 2, "Africa" },
};

const struct synth_type synth_types[SYNTH_NTYPES] = {
	{ "CONTAINER", 18, 25, 200, 400, 10, 16, 0.35, 1.5,
	    12, 36, 0.20, 2, 24 },
	{ "BULK_CARRIER", 12, 16, 150, 300, 8, 14, 0.25, 2.0,
	    24, 96, 0.50, 6, 72 },
	{ "TANKER", 13, 17, 180, 330, 10, 18, 0.20, 2.5,
	    24, 48, 0.40, 6, 48 },
	{ "CARGO", 14, 19, 120, 250, 7, 12, 0.10, 1.2,
	    18, 48, 0.30, 4, 36 },
	{ "PASSENGER", 20, 30, 200, 360, 7, 9, 0.05, 0.5,
	    6, 14, 0.05, 1, 4 },
	{ "FISHING", 8, 14, 30, 100, 3, 6, 0.05, 0.3,
	    12, 72, 0.10, 2, 12 },
};

const char *const synth_flags[SYNTH_NFLAGS] = {
	"PA", "LR", "MH", "HK", "SG", "MT", "BS", "CY", "IM", "GR",
	"CN", "KR", "JP", "US", "GB", "NO", "DE", "IT", "NL", "DK",
};

/* Home port of a vessel, by flag (same order as synth_flags). */
static const char *const home_ports[SYNTH_NFLAGS] = {
	"Panama City", "Monrovia", "Majuro", "Hong Kong", "Singapore",
	"Valletta", "Nassau", "Limassol", "Douglas", "Piraeus",
	"Shanghai", "Busan", "Tokyo", "New York", "London",
	"Oslo", "Hamburg", "Genoa", "Rotterdam", "Copenhagen",
};

const int synth_mids[SYNTH_NMIDS] = {
	201, 211, 219, 227, 232, 236, 240, 244, 247,	/* Europe */
	303, 310, 338,				/* North America */
	412, 413, 414, 416, 419,			/* Asia */
	563, 564, 565, 566, 567,			/* South-East Asia */
};

static const char *const name_prefix[] = {
	"MV", "MSC", "COSCO", "MAERSK", "EVERGREEN", "CMA CGM",
};
static const char *const name_a[] = {
	"PACIFIC", "OCEAN", "SEA", "ATLANTIC", "MARINE", "GLOBAL",
	"STAR", "CROWN", "ROYAL", "GOLDEN", "SILVER", "DIAMOND",
};
static const char *const name_b[] = {
	"TRADER", "VOYAGER", "SPIRIT", "PIONEER", "EXPLORER", "NAVIGATOR",
	"GUARDIAN", "PRINCE", "QUEEN", "KING", "FORTUNE", "GLORY",
};
static const char *const owner_a[] = {
	"Pacific", "Atlantic", "Global", "International", "United",
	"Eastern", "Western", "Northern", "Southern", "Central",
};
static const char *const owner_b[] = {
	"Shipping", "Maritime", "Ocean", "Lines", "Carriers",
};

#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* ---- PRNG ---------------------------------------------------------- */

uint64_t
synth_splitmix64(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void
synth_rng_seed(struct synth_rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = synth_splitmix64(&seed);
}

static inline uint64_t
rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

uint64_t
synth_rng_next(struct synth_rng *r)
{
	uint64_t *s = r->s;
	uint64_t result = rotl(s[1] * 5, 7) * 9;
	uint64_t t = s[1] << 17;

	s[2] ^= s[0];
	s[3] ^= s[1];
	s[1] ^= s[2];
	s[0] ^= s[3];
	s[2] ^= t;
	s[3] = rotl(s[3], 45);
	return result;
}

double
synth_rng_double(struct synth_rng *r)
{
	return (double)(synth_rng_next(r) >> 11) * 0x1.0p-53;
}

static double
uniform(struct synth_rng *r, double lo, double hi)
{
	return lo + (hi - lo) * synth_rng_double(r);
}

static uint32_t
below(struct synth_rng *r, uint32_t n)
{
	return (uint32_t)(((synth_rng_next(r) >> 32) * n) >> 32);
}

/* A stream for (seed, tag, a, b), independent of every other such stream. */
static void
rng_for(struct synth_rng *r, uint64_t seed, uint64_t tag, uint64_t a,
    uint64_t b)
{
	uint64_t x = seed ^ tag;

	x = synth_splitmix64(&x) ^ a;
	x = synth_splitmix64(&x) ^ (b * 0xd1342543de82ef95ULL);
	synth_rng_seed(r, synth_splitmix64(&x));
}

/* ---- model ---------------------------------------------------------- */

int
synth_pick_port(double u)
{
	int i, cum = 0, r = (int)(u * SYNTH_WEIGHT_SUM);

	for (i = 0; i < SYNTH_NPORTS; i++) {
		cum += synth_ports[i].weight;
		if (cum > r)
			return i;
	}
	return SYNTH_NPORTS - 1;
}

int
synth_pick_type(double u)
{
	double cum = 0;
	int i;

	for (i = 0; i < SYNTH_NTYPES; i++) {
		cum += synth_types[i].share;
		if (u < cum)
			return i;
	}
	return SYNTH_NTYPES - 1;
}

int
synth_imo_check_digit(uint32_t first6)
{
	int w, sum = 0;

	for (w = 2; w <= 7; w++) {
		sum += (int)(first6 % 10) * w;
		first6 /= 10;
	}
	return sum % 10;
}

int
synth_imo_valid(const char *s)
{
	uint32_t v = 0;
	int i;

	if (strncmp(s, "IMO", 3) == 0)
		s += 3;
	for (i = 0; i < 7; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		if (i < 6)
			v = v * 10 + (uint32_t)(s[i] - '0');
	}
	return s[7] == '\0' && synth_imo_check_digit(v) == s[6] - '0';
}

double
synth_distance_nm(double lat1, double lon1, double lat2, double lon2)
{
	double p1 = lat1 * DEG, p2 = lat2 * DEG;
	double dp = p2 - p1, dl = (lon2 - lon1) * DEG;
	double a = sin(dp / 2) * sin(dp / 2) +
	    cos(p1) * cos(p2) * sin(dl / 2) * sin(dl / 2);

	if (a > 1)
		a = 1;
	return 2 * SYNTH_EARTH_NM * atan2(sqrt(a), sqrt(1 - a));
}

double
synth_bearing(double lat1, double lon1, double lat2, double lon2)
{
	double p1 = lat1 * DEG, p2 = lat2 * DEG, dl = (lon2 - lon1) * DEG;
	double y = sin(dl) * cos(p2);
	double x = cos(p1) * sin(p2) - sin(p1) * cos(p2) * cos(dl);
	double b = atan2(y, x) / DEG;

	b = fmod(b + 360.0, 360.0);
	return b >= 360.0 ? 0.0 : b;
}

static double
norm_lon(double lon)
{
	while (lon > 180.0)
		lon -= 360.0;
	while (lon < -180.0)
		lon += 360.0;
	return lon;
}

void
synth_destination(double lat, double lon, double brg, double dist_nm,
    double *lat2, double *lon2)
{
	double p1 = lat * DEG, t = brg * DEG, d = dist_nm / SYNTH_EARTH_NM;
	double sp2 = sin(p1) * cos(d) + cos(p1) * sin(d) * cos(t);
	double p2 = asin(sp2 > 1 ? 1 : sp2 < -1 ? -1 : sp2);
	double l2 = atan2(sin(t) * sin(d) * cos(p1), cos(d) - sin(p1) * sp2);

	*lat2 = p2 / DEG;
	*lon2 = norm_lon(lon + l2 / DEG);
}

/* ---- heap ----------------------------------------------------------- */

struct heap_item {
	int64_t	 key;
	uint32_t id;
};

struct synth_heap {
	struct heap_item *a;
	size_t	 len, cap;
};

struct synth_heap *
synth_heap_new(size_t capacity)
{
	struct synth_heap *h = xcalloc(1, sizeof(*h));

	h->a = xcalloc(capacity ? capacity : 1, sizeof(*h->a));
	h->cap = capacity;
	return h;
}

void
synth_heap_free(struct synth_heap *h)
{
	if (h == NULL)
		return;
	free(h->a);
	free(h);
}

size_t
synth_heap_len(const struct synth_heap *h)
{
	return h->len;
}

static inline int
item_less(const struct heap_item *x, const struct heap_item *y)
{
	return x->key < y->key || (x->key == y->key && x->id < y->id);
}

int
synth_heap_push(struct synth_heap *h, int64_t key, uint32_t id)
{
	size_t i, p;
	struct heap_item it = { key, id };

	if (h->len == h->cap)
		return -1;
	for (i = h->len++; i > 0; i = p) {
		p = (i - 1) / 2;
		if (!item_less(&it, &h->a[p]))
			break;
		h->a[i] = h->a[p];
	}
	h->a[i] = it;
	return 0;
}

int
synth_heap_pop(struct synth_heap *h, int64_t *key, uint32_t *id)
{
	struct heap_item last;
	size_t i, c;

	if (h->len == 0)
		return -1;
	*key = h->a[0].key;
	*id = h->a[0].id;
	last = h->a[--h->len];
	for (i = 0; (c = 2 * i + 1) < h->len; i = c) {
		if (c + 1 < h->len && item_less(&h->a[c + 1], &h->a[c]))
			c++;
		if (!item_less(&h->a[c], &last))
			break;
		h->a[i] = h->a[c];
	}
	h->a[i] = last;
	return 0;
}

/* ---- tables --------------------------------------------------------- */

#define F(n, t, m) \
	"{\"name\":\"" n "\",\"type\":\"" t "\",\"mode\":\"" m "\"}"

static const char positions_schema[] = "["
	F("mmsi", "STRING", "REQUIRED") ","
	F("imo", "STRING", "REQUIRED") ","
	F("vessel_name", "STRING", "REQUIRED") ","
	F("vessel_type", "STRING", "REQUIRED") ","
	F("flag", "STRING", "REQUIRED") ","
	F("length", "INTEGER", "REQUIRED") ","
	F("beam", "INTEGER", "REQUIRED") ","
	F("draft", "FLOAT", "REQUIRED") ","
	F("latitude", "FLOAT", "REQUIRED") ","
	F("longitude", "FLOAT", "REQUIRED") ","
	F("speed_knots", "FLOAT", "REQUIRED") ","
	F("course", "INTEGER", "REQUIRED") ","
	F("heading", "INTEGER", "REQUIRED") ","
	F("status", "STRING", "REQUIRED") ","
	F("destination", "STRING", "NULLABLE") ","
	F("eta", "TIMESTAMP", "NULLABLE") ","
	F("timestamp", "TIMESTAMP", "REQUIRED") ","
	F("report_date", "STRING", "REQUIRED") "]";

static const char events_schema[] = "["
	F("event_time", "TIMESTAMP", "REQUIRED") ","
	F("port_id", "STRING", "REQUIRED") ","
	F("port_name", "STRING", "NULLABLE") ","
	F("vessel_mmsi", "STRING", "REQUIRED") ","
	F("event_type", "STRING", "REQUIRED") ","
	F("status", "STRING", "NULLABLE") ","
	F("latitude", "FLOAT", "NULLABLE") ","
	F("longitude", "FLOAT", "NULLABLE") "]";

static const char metadata_schema[] = "["
	F("mmsi", "STRING", "REQUIRED") ","
	F("imo", "STRING", "NULLABLE") ","
	F("vessel_name", "STRING", "NULLABLE") ","
	F("vessel_type", "STRING", "NULLABLE") ","
	F("flag", "STRING", "NULLABLE") ","
	F("callsign", "STRING", "NULLABLE") ","
	F("length", "INTEGER", "NULLABLE") ","
	F("beam", "INTEGER", "NULLABLE") ","
	F("draft", "FLOAT", "NULLABLE") ","
	F("gross_tonnage", "INTEGER", "NULLABLE") ","
	F("deadweight", "INTEGER", "NULLABLE") ","
	F("year_built", "INTEGER", "NULLABLE") ","
	F("home_port", "STRING", "NULLABLE") ","
	F("owner", "STRING", "NULLABLE") ","
	F("status", "STRING", "NULLABLE") ","
	F("last_updated", "TIMESTAMP", "REQUIRED") "]";

#undef F

static const char *const positions_clustering[] = {
	"vessel_type", "mmsi", "report_date", NULL
};
static const char *const events_clustering[] = {
	"port_id", "event_type", "vessel_mmsi", NULL
};
static const char *const metadata_clustering[] = {
	"vessel_type", "mmsi", NULL
};

static const struct {
	const char *name, *alias, *ts, *mmsi, *schema;
	const char *const *clustering;
} tables[SYNTH_NTABLES] = {
	{ "vessel_positions", "positions", "timestamp", "mmsi",
	    positions_schema, positions_clustering },
	{ "port_events", "events", "event_time", "vessel_mmsi",
	    events_schema, events_clustering },
	{ "vessel_metadata", "metadata", "last_updated", "mmsi",
	    metadata_schema, metadata_clustering },
};

int
synth_table_parse(const char *name)
{
	int i;

	for (i = 0; i < SYNTH_NTABLES; i++)
		if (strcmp(name, tables[i].name) == 0 ||
		    strcmp(name, tables[i].alias) == 0)
			return i;
	return -1;
}

const char *
synth_table_name(enum synth_table t)
{
	return tables[t].name;
}

const char *
synth_table_ts_column(enum synth_table t)
{
	return tables[t].ts;
}

const char *
synth_table_schema(enum synth_table t)
{
	return tables[t].schema;
}

const char *const *
synth_table_clustering(enum synth_table t)
{
	return tables[t].clustering;
}

const char *
synth_table_mmsi_column(enum synth_table t)
{
	return tables[t].mmsi;
}

/* ---- the world ------------------------------------------------------ */

struct vessel {
	/* static */
	uint32_t mmsi;
	uint32_t imo;
	uint16_t length;
	uint16_t year;
	uint8_t	 type, flag, beam, draft_dm;
	uint8_t	 prefix, word_a, word_b, number;
	uint8_t	 own_a, own_b;
	char	 callsign[7];
	float	 cruise;
	/* voyage */
	uint32_t leg;
	uint8_t	 origin, dest, anchored, stage;
	uint16_t arr_course;
	float	 speed;			/* knots on this leg */
	int64_t	 t_dep, t_arr, t_anc, t_man, t_berth, t_next;
	double	 lat0, lon0, lat1, lon1;	/* leg start and berth */
	double	 dist;			/* nm along the route */
	/*
	 * The route: the berths are jittered, so the first and last
	 * segments are the vessel's own (d_first nm at brg_first from lat0,
	 * d_last nm at brg_last into lat1); the rest is the port pair's.
	 */
	const struct searoute_path *route;
	double	 d_first, d_last, brg_first, brg_last;
	uint32_t prefix_off;		/* positions: static JSON prefix */
	uint16_t prefix_len;
};

struct synth {
	enum synth_table table;
	uint64_t seed;
	long	 nvessels;
	struct vessel *v;
	struct synth_rng rng;		/* per-row noise */
	struct strbuf prefixes;		/* positions: static row parts */
	struct synth_heap *heap;	/* events: next event per vessel */
	struct searoute *routes;	/* port-to-port sea routes */
	/* window */
	int64_t	 start, end;
	uint64_t count, emitted;
	int64_t	 step, rem, acc, slot;	/* spread of count rows */
	uint64_t turn;			/* next vessel to report */
};

static void
vessel_static(struct vessel *v, uint64_t seed, long i, uint32_t *mmsi_set,
    size_t set_mask)
{
	const struct synth_type *ty;
	struct synth_rng r;
	uint32_t mmsi;
	size_t h;
	int k, n;

	rng_for(&r, seed, TAG_FLEET, (uint64_t)i, 0);
	v->type = (uint8_t)synth_pick_type(synth_rng_double(&r));
	ty = &synth_types[v->type];
	v->flag = (uint8_t)below(&r, SYNTH_NFLAGS);
	v->imo = (100000 + below(&r, 900000));
	v->imo = v->imo * 10 + (uint32_t)synth_imo_check_digit(v->imo);
	v->prefix = (uint8_t)below(&r, NELEM(name_prefix));
	v->word_a = (uint8_t)below(&r, NELEM(name_a));
	v->word_b = (uint8_t)below(&r, NELEM(name_b));
	v->number = (uint8_t)(1 + below(&r, 99));
	v->length = (uint16_t)(ty->length_min +
	    below(&r, (uint32_t)(ty->length_max - ty->length_min)));
	v->beam = (uint8_t)(v->length / 7);
	v->draft_dm = (uint8_t)lround(uniform(&r, ty->draft_min,
	    ty->draft_max) * 10);
	v->cruise = (float)uniform(&r, ty->speed_min, ty->speed_max);
	v->year = (uint16_t)(1985 + below(&r, 40));
	v->own_a = (uint8_t)below(&r, NELEM(owner_a));
	v->own_b = (uint8_t)below(&r, NELEM(owner_b));
	n = 4 + (int)below(&r, 3);
	for (k = 0; k < n; k++) {
		uint32_t c = k == 0 ? below(&r, 26) : below(&r, 36);

		v->callsign[k] = (char)(c < 26 ? 'A' + c : '0' + (c - 26));
	}
	v->callsign[n] = '\0';
	/* MMSI last: a collision redraws from the same stream. */
	for (;;) {
		mmsi = (uint32_t)synth_mids[below(&r, SYNTH_NMIDS)] * 1000000 +
		    below(&r, 1000000);
		for (h = (mmsi * 2654435761u) & set_mask; mmsi_set[h] != 0;
		    h = (h + 1) & set_mask)
			if (mmsi_set[h] == mmsi)
				break;
		if (mmsi_set[h] == 0) {
			mmsi_set[h] = mmsi;
			break;
		}
	}
	v->mmsi = mmsi;
}

/* The route of v's leg from its (jittered) berth lat0/lon0 to lat1/lon1. */
static void
route_plan(const struct synth *s, struct vessel *v)
{
	const struct searoute_path *p = searoute_path(s->routes, v->origin,
	    v->dest);
	int n = p->n;

	v->route = p;
	v->d_first = synth_distance_nm(v->lat0, v->lon0, p->lat[1],
	    p->lon[1]);
	v->brg_first = synth_bearing(v->lat0, v->lon0, p->lat[1], p->lon[1]);
	v->d_last = synth_distance_nm(p->lat[n - 2], p->lon[n - 2], v->lat1,
	    v->lon1);
	v->brg_last = synth_bearing(p->lat[n - 2], p->lon[n - 2], v->lat1,
	    v->lon1);
	if (n == 2) {		/* one segment: berth to berth */
		v->d_last = 0;
		v->brg_last = v->brg_first;
	}
	v->dist = v->d_first + (p->cum[n - 2] - p->cum[1]) + v->d_last;
	v->arr_course = (uint16_t)fmod(synth_bearing(v->lat1, v->lon1,
	    p->lat[n - 2], p->lon[n - 2]) + 180.0, 360.0);
}

/*
 * The point d nm along v's route, and the bearing from it to the end of
 * its segment (the course to steer).
 */
static void
route_point(const struct vessel *v, double d, double *lat, double *lon,
    int *course)
{
	const struct searoute_path *p = v->route;
	int n = p->n, lo, hi, mid;
	double x, tlat, tlon;

	if (d < v->d_first || n == 2) {
		synth_destination(v->lat0, v->lon0, v->brg_first, d, lat, lon);
		tlat = n == 2 ? v->lat1 : p->lat[1];
		tlon = n == 2 ? v->lon1 : p->lon[1];
	} else if ((x = d - v->d_first + p->cum[1]) >= p->cum[n - 2]) {
		synth_destination(p->lat[n - 2], p->lon[n - 2], v->brg_last,
		    x - p->cum[n - 2], lat, lon);
		tlat = v->lat1;
		tlon = v->lon1;
	} else {
		lo = 1;		/* the segment k with cum[k] <= x < cum[k+1] */
		hi = n - 2;
		while (hi - lo > 1) {
			mid = (lo + hi) / 2;
			if (p->cum[mid] <= x)
				lo = mid;
			else
				hi = mid;
		}
		synth_destination(p->lat[lo], p->lon[lo], p->brg[lo],
		    x - p->cum[lo], lat, lon);
		tlat = p->lat[lo + 1];
		tlon = p->lon[lo + 1];
	}
	*course = (int)synth_bearing(*lat, *lon, tlat, tlon);
}

/* Plans leg v->leg + 1 from the berth where v is, leaving at t_dep. */
static void
leg_new(const struct synth *s, long i, struct vessel *v, int64_t t_dep)
{
	const struct synth_type *ty = &synth_types[v->type];
	const struct synth_port *p;
	struct synth_rng r;
	double sp, hours;
	int k, dest;

	v->leg++;
	rng_for(&r, s->seed, TAG_LEG, (uint64_t)i, v->leg);
	v->origin = v->dest;
	v->lat0 = v->lat1;
	v->lon0 = v->lon1;
	dest = v->origin;
	for (k = 0; k < 10 && dest == v->origin; k++)
		dest = synth_pick_port(synth_rng_double(&r));
	if (dest == v->origin)
		dest = (v->origin + 1) % SYNTH_NPORTS;
	v->dest = (uint8_t)dest;
	p = &synth_ports[dest];
	v->lat1 = p->lat + uniform(&r, -0.004, 0.004);
	v->lon1 = p->lon + uniform(&r, -0.004, 0.004);
	route_plan(s, v);
	sp = v->cruise * uniform(&r, 0.95, 1.02);
	if (sp < ty->speed_min)
		sp = ty->speed_min;
	if (sp > ty->speed_max)
		sp = ty->speed_max;
	v->speed = (float)sp;
	v->t_dep = t_dep;
	v->t_arr = t_dep + (int64_t)(v->dist / v->speed * US_PER_HOUR);
	v->anchored = synth_rng_double(&r) < ty->p_anchor;
	hours = v->anchored ? uniform(&r, 0.2, 0.6) : 0;
	v->t_anc = v->t_arr + (int64_t)(hours * US_PER_HOUR);
	hours = v->anchored ? uniform(&r, ty->wait_min, ty->wait_max) : 0;
	v->t_man = v->t_anc + (int64_t)(hours * US_PER_HOUR);
	v->t_berth = v->t_man + (int64_t)(uniform(&r, 0.5, 1.5) * US_PER_HOUR);
	v->t_next = v->t_berth + (int64_t)(uniform(&r, ty->dwell_min,
	    ty->dwell_max) * US_PER_HOUR);
	v->stage = 0;
}

/* Places vessel i somewhere along its first voyage at the epoch. */
static void
vessel_init(const struct synth *s, long i, struct vessel *v, int64_t epoch)
{
	struct synth_rng r;
	int64_t shift;
	int o;

	rng_for(&r, s->seed, TAG_INIT, (uint64_t)i, 0);
	o = synth_pick_port(synth_rng_double(&r));
	v->dest = (uint8_t)o;
	v->lat1 = synth_ports[o].lat + uniform(&r, -0.004, 0.004);
	v->lon1 = synth_ports[o].lon + uniform(&r, -0.004, 0.004);
	v->leg = 0;
	leg_new(s, i, v, epoch);
	shift = (int64_t)(synth_rng_double(&r) * (double)(v->t_next - epoch));
	v->t_dep -= shift;
	v->t_arr -= shift;
	v->t_anc -= shift;
	v->t_man -= shift;
	v->t_berth -= shift;
	v->t_next -= shift;
}

/* ---- formatting ----------------------------------------------------- */

static char *
put_str(char *p, const char *s)
{
	size_t n = strlen(s);

	memcpy(p, s, n);
	return p + n;
}

static char *
put_u64(char *p, uint64_t v)
{
	char tmp[24];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		*p++ = tmp[--n];
	return p;
}

static char *
put_i64(char *p, int64_t v)
{
	if (v < 0) {
		*p++ = '-';
		return put_u64(p, (uint64_t)0 - (uint64_t)v);
	}
	return put_u64(p, (uint64_t)v);
}

static char *
put_digits(char *p, uint64_t v, int n)
{
	int i;

	for (i = n - 1; i >= 0; i--) {
		p[i] = (char)('0' + v % 10);
		v /= 10;
	}
	return p + n;
}

/* x rounded to dec decimals, trailing zeros dropped (but one kept). */
static char *
put_fixed(char *p, double x, int dec)
{
	static const double scale[] = { 1, 10, 100, 1e3, 1e4, 1e5, 1e6 };
	int64_t v = llround(x * scale[dec]);
	uint64_t u, ip, fp, div = (uint64_t)scale[dec];

	if (v < 0) {
		*p++ = '-';
		u = (uint64_t)0 - (uint64_t)v;
	} else
		u = (uint64_t)v;
	ip = u / div;
	fp = u % div;
	p = put_u64(p, ip);
	*p++ = '.';
	if (fp == 0) {
		*p++ = '0';
		return p;
	}
	while (fp % 10 == 0) {
		fp /= 10;
		dec--;
	}
	return put_digits(p, fp, dec);
}

static void
civil(int64_t days, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t z = days + 719468, era, yy;
	unsigned doe, yoe, doy, mp;

	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	yy = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = yy + (*m <= 2);
}

/* "YYYY-MM-DDTHH:MM:SS.ffffffZ" (years 0001-9999), or "YYYYMMDD". */
static char *
put_ts(char *p, int64_t us, int date_only)
{
	int64_t days = us / 86400000000LL, rest = us % 86400000000LL, y;
	unsigned m, d;

	if (rest < 0) {
		rest += 86400000000LL;
		days--;
	}
	civil(days, &y, &m, &d);
	p = put_digits(p, (uint64_t)y, 4);
	if (!date_only)
		*p++ = '-';
	p = put_digits(p, m, 2);
	if (!date_only)
		*p++ = '-';
	p = put_digits(p, d, 2);
	if (date_only)
		return p;
	*p++ = 'T';
	p = put_digits(p, (uint64_t)(rest / 3600000000LL), 2);
	*p++ = ':';
	p = put_digits(p, (uint64_t)(rest / 60000000 % 60), 2);
	*p++ = ':';
	p = put_digits(p, (uint64_t)(rest / 1000000 % 60), 2);
	*p++ = '.';
	p = put_digits(p, (uint64_t)(rest % 1000000), 6);
	*p++ = 'Z';
	return p;
}

static char *
put_name(char *p, const struct vessel *v)
{
	p = put_str(p, v->type == 2 ? "MT" : name_prefix[v->prefix]);
	*p++ = ' ';
	p = put_str(p, name_a[v->word_a]);
	*p++ = ' ';
	p = put_str(p, name_b[v->word_b]);
	*p++ = ' ';
	return put_u64(p, v->number);
}

/* The columns of a vessel common to its positions and metadata rows. */
static char *
put_identity(char *p, const struct vessel *v)
{
	p = put_str(p, "{\"mmsi\":\"");
	p = put_digits(p, v->mmsi, 9);
	p = put_str(p, "\",\"imo\":\"IMO");
	p = put_digits(p, v->imo, 7);
	p = put_str(p, "\",\"vessel_name\":\"");
	p = put_name(p, v);
	p = put_str(p, "\",\"vessel_type\":\"");
	p = put_str(p, synth_types[v->type].name);
	p = put_str(p, "\",\"flag\":\"");
	return put_str(p, synth_flags[v->flag]);
}

/* ---- generator ------------------------------------------------------ */

struct searoute *
synth_routes_new(void)
{
	struct searoute_berth b[SYNTH_NPORTS];
	struct bq_err err = BQ_ERR_INIT;
	struct searoute *r;
	int i;

	for (i = 0; i < SYNTH_NPORTS; i++) {
		b[i].id = synth_ports[i].id;
		b[i].lat = synth_ports[i].lat;
		b[i].lon = synth_ports[i].lon;
	}
	/* The graph is static: a failure is a bug the Check suite catches. */
	if ((r = searoute_new(b, SYNTH_NPORTS, &err)) == NULL)
		abort();
	return r;
}

void
synth_routes_geojson(struct strbuf *out)
{
	struct searoute *r = synth_routes_new();

	strbuf_grow(out, 1 << 16);
	searoute_geojson(r, out);
	searoute_free(r);
}

struct synth *
synth_new(enum synth_table table, uint64_t seed, long vessels, int64_t epoch)
{
	struct synth *s = xcalloc(1, sizeof(*s));
	uint32_t *set;
	size_t setsz = 2, i;
	char buf[256], *p;

	s->table = table;
	s->seed = seed;
	s->nvessels = vessels < 1 ? 1 : vessels;
	s->routes = synth_routes_new();
	s->v = xcalloc((size_t)s->nvessels, sizeof(*s->v));
	while (setsz < (size_t)s->nvessels * 2)
		setsz *= 2;
	set = xcalloc(setsz, sizeof(*set));
	strbuf_init(&s->prefixes, table == SYNTH_POSITIONS ?
	    (size_t)s->nvessels * 120 : 0);
	for (i = 0; i < (size_t)s->nvessels; i++) {
		struct vessel *v = &s->v[i];

		vessel_static(v, seed, (long)i, set, setsz - 1);
		vessel_init(s, (long)i, v, epoch);
		if (table != SYNTH_POSITIONS)
			continue;
		p = put_identity(buf, v);
		p = put_str(p, "\",\"length\":");
		p = put_u64(p, v->length);
		p = put_str(p, ",\"beam\":");
		p = put_u64(p, v->beam);
		p = put_str(p, ",\"draft\":");
		p = put_fixed(p, v->draft_dm / 10.0, 1);
		p = put_str(p, ",\"latitude\":");
		v->prefix_off = (uint32_t)s->prefixes.len;
		v->prefix_len = (uint16_t)(p - buf);
		strbuf_add(&s->prefixes, buf, (size_t)(p - buf));
	}
	free(set);
	rng_for(&s->rng, seed, TAG_ROWS, (uint64_t)table, 0);
	if (table == SYNTH_EVENTS) {
		s->heap = synth_heap_new((size_t)s->nvessels);
		for (i = 0; i < (size_t)s->nvessels; i++)
			synth_heap_push(s->heap, s->v[i].t_arr, (uint32_t)i);
	}
	s->start = s->end = epoch;
	return s;
}

void
synth_free(struct synth *s)
{
	if (s == NULL)
		return;
	synth_heap_free(s->heap);
	searoute_free(s->routes);
	strbuf_release(&s->prefixes);
	free(s->v);
	free(s);
}

long
synth_vessels(const struct synth *s)
{
	return s->nvessels;
}

uint32_t
synth_mmsi(const struct synth *s, long i)
{
	return s->v[i].mmsi;
}

void
synth_window(struct synth *s, int64_t start, int64_t end, uint64_t count)
{
	s->start = start;
	s->end = end < start ? start : end;
	s->count = count;
	s->emitted = 0;
	s->acc = 0;
	s->slot = start;
	if (count > 0) {
		s->step = (s->end - start) / (int64_t)count;
		s->rem = (s->end - start) % (int64_t)count;
	}
}

/* Brings vessel i's voyage forward so that t lies before its departure. */
static void
advance(const struct synth *s, long i, int64_t t)
{
	struct vessel *v = &s->v[i];

	while (t >= v->t_next)
		leg_new(s, i, v, v->t_next);
}

enum nav { NAV_UNDERWAY, NAV_ANCHOR, NAV_MANOEUVRE, NAV_MOORED };

static const char *const nav_text[] = {
	SYNTH_ST_UNDERWAY, SYNTH_ST_ANCHOR, SYNTH_ST_MANOEUVRE, SYNTH_ST_MOORED,
};

static enum nav
nav_status(const struct vessel *v, int64_t t)
{
	if (t < v->t_arr)
		return NAV_UNDERWAY;
	if (t < v->t_anc)
		return NAV_MANOEUVRE;
	if (t < v->t_man)
		return NAV_ANCHOR;
	if (t < v->t_berth)
		return NAV_MANOEUVRE;
	return NAV_MOORED;
}

/* The start of the next evenly spread slot and its length. */
static int64_t
next_slot(struct synth *s, int64_t *len)
{
	int64_t at = s->slot;

	*len = s->step;
	s->acc += s->rem;
	if (s->acc >= (int64_t)s->count) {
		s->acc -= (int64_t)s->count;
		(*len)++;
	}
	s->slot += *len;
	return at;
}

static int
next_position(struct synth *s, struct strbuf *out, int64_t *ts)
{
	int64_t t, len;
	long i;
	struct vessel *v;
	const struct synth_type *ty;
	enum nav st;
	double lat, lon, sp;
	uint64_t noise;
	int course, heading;
	char *p;

	t = next_slot(s, &len);
	noise = synth_rng_next(&s->rng);
	if (len > 1)
		t += (int64_t)((noise >> 32) % (uint64_t)len);
	i = (long)(s->turn++ % (uint64_t)s->nvessels);
	advance(s, i, t);
	v = &s->v[i];
	ty = &synth_types[v->type];
	st = nav_status(v, t);
	if (st == NAV_UNDERWAY) {
		double f = (double)(t - v->t_dep) / (double)(v->t_arr -
		    v->t_dep);

		route_point(v, f * v->dist, &lat, &lon, &course);
		sp = v->speed + ((double)(noise & 0xffff) / 65536.0 - 0.5) *
		    0.6;
		if (sp < ty->speed_min)
			sp = ty->speed_min;
		if (sp > ty->speed_max)
			sp = ty->speed_max;
	} else {
		lat = v->lat1;
		lon = v->lon1;
		course = v->arr_course;
		if (st == NAV_MOORED)
			sp = 0;
		else if (st == NAV_ANCHOR)
			sp = (double)(noise & 0xffff) / 65536.0 * 0.2;
		else
			sp = 0.5 + (double)(noise & 0xffff) / 65536.0 * 2.5;
	}
	heading = (course + 360 + (int)((noise >> 16) % 9) - 4) % 360;

	strbuf_grow(out, 512);
	p = out->buf + out->len;
	memcpy(p, s->prefixes.buf + v->prefix_off, v->prefix_len);
	p += v->prefix_len;
	p = put_fixed(p, lat, 6);
	p = put_str(p, ",\"longitude\":");
	p = put_fixed(p, lon, 6);
	p = put_str(p, ",\"speed_knots\":");
	p = put_fixed(p, sp, 1);
	p = put_str(p, ",\"course\":");
	p = put_i64(p, course);
	p = put_str(p, ",\"heading\":");
	p = put_i64(p, heading);
	p = put_str(p, ",\"status\":\"");
	p = put_str(p, nav_text[st]);
	p = put_str(p, "\",\"destination\":\"");
	p = put_str(p, synth_ports[v->dest].name);
	if (st == NAV_UNDERWAY) {
		p = put_str(p, "\",\"eta\":\"");
		p = put_ts(p, v->t_arr, 0);
		p = put_str(p, "\",\"timestamp\":\"");
	} else
		p = put_str(p, "\",\"eta\":null,\"timestamp\":\"");
	p = put_ts(p, t, 0);
	p = put_str(p, "\",\"report_date\":\"");
	p = put_ts(p, t, 1);
	p = put_str(p, "\"}\n");
	out->len = (size_t)(p - out->buf);
	out->buf[out->len] = '\0';
	*ts = t;
	return 1;
}

static int
next_metadata(struct synth *s, struct strbuf *out, int64_t *ts)
{
	const struct synth_type *ty;
	struct vessel *v;
	int64_t t, len;
	long i;
	char *p;

	t = next_slot(s, &len);
	if (len > 1)
		t += (int64_t)((synth_rng_next(&s->rng) >> 32) %
		    (uint64_t)len);
	i = (long)(s->turn++ % (uint64_t)s->nvessels);
	advance(s, i, t);
	v = &s->v[i];
	ty = &synth_types[v->type];
	strbuf_grow(out, 640);
	p = put_identity(out->buf + out->len, v);
	p = put_str(p, "\",\"callsign\":\"");
	p = put_str(p, v->callsign);
	p = put_str(p, "\",\"length\":");
	p = put_u64(p, v->length);
	p = put_str(p, ",\"beam\":");
	p = put_u64(p, v->beam);
	p = put_str(p, ",\"draft\":");
	p = put_fixed(p, v->draft_dm / 10.0, 1);
	p = put_str(p, ",\"gross_tonnage\":");
	p = put_u64(p, (uint64_t)(2 * v->length * v->beam));
	p = put_str(p, ",\"deadweight\":");
	p = put_u64(p, (uint64_t)floor(v->length * ty->dwt_mult * 10));
	p = put_str(p, ",\"year_built\":");
	p = put_u64(p, v->year);
	p = put_str(p, ",\"home_port\":\"");
	p = put_str(p, home_ports[v->flag]);
	p = put_str(p, "\",\"owner\":\"");
	p = put_str(p, owner_a[v->own_a]);
	*p++ = ' ';
	p = put_str(p, owner_b[v->own_b]);
	p = put_str(p, "\",\"status\":\"");
	p = put_str(p, nav_text[nav_status(v, t)]);
	p = put_str(p, "\",\"last_updated\":\"");
	p = put_ts(p, t, 0);
	p = put_str(p, "\"}\n");
	out->len = (size_t)(p - out->buf);
	out->buf[out->len] = '\0';
	*ts = t;
	return 1;
}

static const char *const event_types[] = {
	"ARRIVAL", "ANCHORED", "BERTHED", "DEPARTURE",
};
static const char *const event_status[] = {
	"Arriving", SYNTH_ST_ANCHOR, SYNTH_ST_MOORED, "Departing",
};

static int64_t
stage_time(const struct vessel *v)
{
	switch (v->stage) {
	case 0:
		return v->t_arr;
	case 1:
		return v->t_anc;
	case 2:
		return v->t_berth;
	default:
		return v->t_next;
	}
}

static int
next_event(struct synth *s, struct strbuf *out, int64_t *ts)
{
	struct vessel *v;
	int64_t t;
	uint32_t i;
	int stage;
	char *p;

	for (;;) {
		if (synth_heap_len(s->heap) == 0 ||
		    s->heap->a[0].key >= s->end)
			return 0;
		synth_heap_pop(s->heap, &t, &i);
		v = &s->v[i];
		stage = v->stage;
		if (stage == 3) {
			leg_new(s, (long)i, v, v->t_next);
		} else {
			v->stage++;
			if (v->stage == 1 && !v->anchored)
				v->stage++;
		}
		synth_heap_push(s->heap, stage_time(v), i);
		if (t >= s->start)
			break;
	}
	/* After DEPARTURE the vessel is on its next leg: the call is origin. */
	strbuf_grow(out, 320);
	p = out->buf + out->len;
	p = put_str(p, "{\"event_time\":\"");
	p = put_ts(p, t, 0);
	p = put_str(p, "\",\"port_id\":\"");
	p = put_str(p, synth_ports[stage == 3 ? v->origin : v->dest].id);
	p = put_str(p, "\",\"port_name\":\"");
	p = put_str(p, synth_ports[stage == 3 ? v->origin : v->dest].name);
	p = put_str(p, "\",\"vessel_mmsi\":\"");
	p = put_digits(p, v->mmsi, 9);
	p = put_str(p, "\",\"event_type\":\"");
	p = put_str(p, event_types[stage]);
	p = put_str(p, "\",\"status\":\"");
	p = put_str(p, event_status[stage]);
	p = put_str(p, "\",\"latitude\":");
	p = put_fixed(p, stage == 3 ? v->lat0 : v->lat1, 6);
	p = put_str(p, ",\"longitude\":");
	p = put_fixed(p, stage == 3 ? v->lon0 : v->lon1, 6);
	p = put_str(p, "}\n");
	out->len = (size_t)(p - out->buf);
	out->buf[out->len] = '\0';
	*ts = t;
	return 1;
}

int
synth_next(struct synth *s, struct strbuf *out, int64_t *ts)
{
	if (s->count > 0 && s->emitted >= s->count)
		return 0;
	if (s->table != SYNTH_EVENTS && s->count == 0)
		return 0;
	switch (s->table) {
	case SYNTH_POSITIONS:
		next_position(s, out, ts);
		break;
	case SYNTH_METADATA:
		next_metadata(s, out, ts);
		break;
	default:
		if (!next_event(s, out, ts))
			return 0;
		break;
	}
	s->emitted++;
	return 1;
}

int
synth_row_lonlat(const char *row, double *lon, double *lat)
{
	const char *a = strstr(row, ",\"latitude\":");
	const char *b = strstr(row, ",\"longitude\":");

	if (a == NULL || b == NULL)
		return -1;
	*lat = strtod(a + 12, NULL);
	*lon = strtod(b + 13, NULL);
	return 0;
}

int
synth_feature(struct strbuf *out, const char *row)
{
	size_t len = strlen(row);
	double lon, lat;

	if (synth_row_lonlat(row, &lon, &lat) == -1)
		return -1;
	strbuf_addf(out, "{\"type\":\"Feature\",\"geometry\":{\"type\":"
	    "\"Point\",\"coordinates\":[%.6f,%.6f]},\"properties\":", lon,
	    lat);
	strbuf_add(out, row, len > 0 && row[len - 1] == '\n' ? len - 1 : len);
	strbuf_adds(out, "}");
	return 0;
}

void
synth_tracks_add(struct synth_tracks *t, const char *row)
{
	if (t->n + 2 > t->alloc) {
		t->alloc = t->alloc ? t->alloc * 2 : 4096;
		t->lonlat = xrealloc(t->lonlat, t->alloc * sizeof(double));
	}
	if (synth_row_lonlat(row, &t->lonlat[t->n], &t->lonlat[t->n + 1]) == 0)
		t->n += 2;
}

/* The coordinates of vessel v's track; 1 when it crosses 180 degrees. */
static int
track_coords(const struct synth_tracks *t, size_t v, size_t nv,
    struct strbuf *line)
{
	size_t rows = t->n / 2, r;
	int cut = 0, jump;

	for (r = v; r < rows; r += nv) {
		if (r != v) {
			jump = fabs(t->lonlat[2 * r] -
			    t->lonlat[2 * (r - nv)]) > 180;
			strbuf_adds(line, jump ? "],[" : ",");
			cut |= jump;
		}
		strbuf_addf(line, "[%.6f,%.6f]", t->lonlat[2 * r],
		    t->lonlat[2 * r + 1]);
	}
	return cut;
}

void
synth_tracks_geojson(const struct synth_tracks *t, const struct synth *s,
    struct strbuf *out)
{
	size_t rows = t->n / 2, nv = (size_t)s->nvessels, v;
	struct strbuf line = STRBUF_INIT;
	int cut;

	for (v = 0; v < nv && v < rows; v++) {
		strbuf_reset(&line);
		cut = track_coords(t, v, nv, &line);
		strbuf_addf(out, "%s{\"type\":\"Feature\",\"geometry\":"
		    "{\"type\":\"%s\",\"coordinates\":%s%s%s},"
		    "\"properties\":{\"mmsi\":\"%09u\",\"positions\":%zu}}",
		    v ? ",\n" : "", cut ? "MultiLineString" : "LineString",
		    cut ? "[[" : "[", line.buf, cut ? "]]" : "]",
		    (unsigned)s->v[v].mmsi, (rows - v + nv - 1) / nv);
	}
	strbuf_release(&line);
}

void
synth_tracks_release(struct synth_tracks *t)
{
	free(t->lonlat);
	t->lonlat = NULL;
	t->n = t->alloc = 0;
}

int
synth_plan(enum synth_table table, long vessels, double rate, int64_t now,
    int64_t *start, int64_t *end, long long *count, struct bq_err *err)
{
	if (*start == INT64_MIN)
		*start = now;
	if (*count < 0 && *end == INT64_MIN) {
		if (table != SYNTH_METADATA)
			return bq_err_set(err, EXIT_USAGE,
			    "generate needs --count or --end");
		*count = vessels;
	}
	if (table == SYNTH_EVENTS) {
		if (*end == INT64_MIN)
			*end = INT64_MAX;
		if (*count < 0)
			*count = 0;
	} else {
		if (*end == INT64_MIN)
			*end = *start + (int64_t)((double)*count / rate * 1e6);
		if (*count < 0)
			*count = (long long)((double)(*end - *start) / 1e6 *
			    rate);
	}
	if (*end < *start)
		return bq_err_set(err, EXIT_USAGE, "--end is before --start");
	return 0;
}

int
synth_gen_plan(struct synth_gen *g, int64_t now, struct bq_err *err)
{
	uint64_t clock;

	if (g->table < 0)
		return bq_err_set(err, EXIT_USAGE, "generate needs --table");
	if (g->geojson && g->table == SYNTH_METADATA)
		return bq_err_set(err, EXIT_USAGE, "vessel_metadata has no "
		    "positions for GeoJSON");
	if (g->tracks && g->table != SYNTH_POSITIONS)
		return bq_err_set(err, EXIT_USAGE, "--tracks needs --table "
		    "vessel_positions");
	if (synth_plan(g->table, g->vessels, g->rate, now, &g->start, &g->end,
	    &g->count, err) == -1)
		return -1;
	if (g->seed == 0) {
		clock = (uint64_t)now;
		g->seed = synth_splitmix64(&clock);
		bqsync_log(BQ_LOG_DEBUG, "seed %" PRIu64, g->seed);
	}
	return 0;
}

/* Writes and empties out when it holds at least min bytes; -1 on failure. */
static int
flush_at(FILE *fp, struct strbuf *out, size_t min)
{
	if (out->len < min || out->len == 0)
		return 0;
	if (fwrite(out->buf, 1, out->len, fp) != out->len)
		return -1;
	strbuf_reset(out);
	return 0;
}

int
synth_generate(FILE *fp, enum synth_table table, uint64_t seed, long vessels,
    int64_t start, int64_t end, uint64_t count, int geojson, int tracks)
{
	struct synth *s = synth_new(table, seed, vessels, start);
	struct synth_tracks tr = SYNTH_TRACKS_INIT;
	struct strbuf out, row;
	int64_t ts;
	uint64_t n;
	int rc = -1;

	synth_window(s, start, end, count);
	strbuf_init(&out, 1 << 17);
	strbuf_init(&row, 1024);
	if (geojson)
		strbuf_adds(&out, "{\"type\":\"FeatureCollection\","
		    "\"features\":[\n");
	/* NDJSON rows go straight to out: generate is the benchmark. */
	for (n = 0; synth_next(s, geojson ? &row : &out, &ts); n++) {
		if (tracks)
			synth_tracks_add(&tr, row.buf);
		else if (geojson) {
			if (n > 0)
				strbuf_adds(&out, ",\n");
			synth_feature(&out, row.buf);
		}
		strbuf_reset(&row);
		if (flush_at(fp, &out, 1 << 16) == -1)
			goto out;
	}
	if (tracks)
		synth_tracks_geojson(&tr, s, &out);
	if (geojson)
		strbuf_adds(&out, "\n]}\n");
	if (flush_at(fp, &out, 0) == -1)
		goto out;
	rc = 0;
out:
	strbuf_release(&row);
	synth_tracks_release(&tr);
	strbuf_release(&out);
	synth_free(s);
	return rc;
}
