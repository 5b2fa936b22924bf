/*
 * synth: the maritime data model and a deterministic, event-driven vessel
 * simulation that writes the rows of three BigQuery tables (vessel
 * positions, port events, vessel metadata) as compact NDJSON.
 *
 * A fleet of N vessels (no cap) is drawn from a seed; every vessel sails
 * the sea routes of lib/searoute.h between the berths of the 29 weighted
 * ports at its type's cruise speed, arrives, may wait at anchor, berths,
 * dwells and departs.  Each leg
 * is a pure function of (seed, vessel, leg number), so a vessel's track
 * does not depend on which table is written or how often it reports, and
 * the same seed, window and count give the same bytes.  Memory is O(fleet).
 * A struct synth is one table's generator over one simulated world; it
 * never prints, and is not thread-safe.
 */
#ifndef BQSYNC_SYNTH_H
#define BQSYNC_SYNTH_H

#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include "log.h"
#include "util.h"

#define SYNTH_NPORTS		29
#define SYNTH_NTYPES		6
#define SYNTH_NFLAGS		20
#define SYNTH_NMIDS		22
#define SYNTH_WEIGHT_SUM	127
#define SYNTH_EARTH_NM		(6371.0 / 1.852)	/* radius, nm */

enum synth_table {
	SYNTH_POSITIONS,	/* vessel_positions, one row per report */
	SYNTH_EVENTS,		/* port_events, one row per port event */
	SYNTH_METADATA,		/* vessel_metadata, per vessel update */
	SYNTH_NTABLES
};

struct synth_port {
	const char	*id;		/* UN/LOCODE */
	const char	*name;
	double		 lat, lon;	/* the berth, on the water (degrees) */
	int		 weight;	/* selection weight, sum 127 */
	const char	*region;
};

struct synth_type {
	const char	*name;
	double		 speed_min, speed_max;	/* knots */
	int		 length_min, length_max;	/* metres */
	double		 draft_min, draft_max;	/* metres */
	double		 share;			/* of the fleet */
	double		 dwt_mult;	/* dwt = length * mult * 10 */
	double		 dwell_min, dwell_max;	/* hours at berth */
	double		 p_anchor;	/* P(wait at anchor) */
	double		 wait_min, wait_max;	/* hours at anchor */
};

extern const struct synth_port synth_ports[SYNTH_NPORTS];
extern const struct synth_type synth_types[SYNTH_NTYPES];
extern const char *const synth_flags[SYNTH_NFLAGS];
extern const int synth_mids[SYNTH_NMIDS];

/* AIS navigation statuses used in the rows (ITU-R M.1371 wording). */
#define SYNTH_ST_UNDERWAY	"Under way using engine"
#define SYNTH_ST_ANCHOR		"At anchor"
#define SYNTH_ST_MANOEUVRE	"Restricted manoeuverability"
#define SYNTH_ST_MOORED		"Moored"

/* xoshiro256** seeded through splitmix64: the only randomness used. */
struct synth_rng {
	uint64_t	 s[4];
};

/* One splitmix64 step: advances *state and returns the next value. */
uint64_t synth_splitmix64(uint64_t *state);
void	 synth_rng_seed(struct synth_rng *, uint64_t seed);
uint64_t synth_rng_next(struct synth_rng *);
/* Uniform in [0, 1) with 53 random bits. */
double	 synth_rng_double(struct synth_rng *);

/* Port index for u in [0, 1), by weight (first cumulative weight > u*127). */
int	 synth_pick_port(double u);
/* Vessel type index for u in [0, 1), by cumulative share. */
int	 synth_pick_type(double u);
/* IMO check digit of the first six digits (weights 7..2, mod 10). */
int	 synth_imo_check_digit(uint32_t first6);
/* 1 if s is "IMOddddddd" or "ddddddd" with a valid check digit, else 0. */
int	 synth_imo_valid(const char *s);

/* Great-circle distance in nautical miles (haversine, mean radius). */
double	 synth_distance_nm(double lat1, double lon1, double lat2,
	    double lon2);
/* Initial great-circle bearing from point 1 to point 2, degrees [0, 360). */
double	 synth_bearing(double lat1, double lon1, double lat2,
	    double lon2);
/* The point dist_nm along the great circle from lat/lon at bearing brg. */
void	 synth_destination(double lat, double lon, double brg,
	    double dist_nm, double *lat2, double *lon2);

/*
 * A binary min-heap of (key, id) pairs ordered by key, then id, so equal
 * keys pop in a deterministic order.  Capacity is fixed at creation.
 */
struct synth_heap;

struct synth_heap *synth_heap_new(size_t capacity);
void	 synth_heap_free(struct synth_heap *);
size_t	 synth_heap_len(const struct synth_heap *);
/* Returns 0, or -1 when the heap is full. */
int	 synth_heap_push(struct synth_heap *, int64_t key, uint32_t id);
/* Removes the smallest pair into key and id; 0, or -1 when empty. */
int	 synth_heap_pop(struct synth_heap *, int64_t *key, uint32_t *id);

/*
 * Table descriptions.  synth_table_parse() accepts "vessel_positions" or
 * "positions", "port_events" or "events", "vessel_metadata" or "metadata"
 * and returns the table or -1.  The schema is the JSON array of
 * TableFieldSchema objects; the clustering a NULL-terminated list of
 * column names.  All are static.
 */
int	 synth_table_parse(const char *name);
const char *synth_table_name(enum synth_table);
const char *synth_table_ts_column(enum synth_table);
const char *synth_table_schema(enum synth_table);
const char *const *synth_table_clustering(enum synth_table);
/* The column holding the MMSI ("mmsi", or "vessel_mmsi" for events). */
const char *synth_table_mmsi_column(enum synth_table);

struct synth;
struct searoute;

/*
 * The sea routes between the ports' berths (see searoute.h); free with
 * searoute_free().
 */
struct searoute *synth_routes_new(void);
/* routes: synth_routes_new() as GeoJSON (searoute_geojson()), into out. */
void	 synth_routes_geojson(struct strbuf *out);

/*
 * A generator of table's rows over a world of vessels drawn from seed,
 * whose voyages start at epoch (µs since 1970).  vessels must be >= 1.
 * Free with synth_free().
 */
struct synth *synth_new(enum synth_table table, uint64_t seed, long vessels,
	    int64_t epoch);
void	 synth_free(struct synth *);
long	 synth_vessels(const struct synth *);
/* The MMSI of vessel i (0 <= i < vessels), as 9 digits. */
uint32_t synth_mmsi(const struct synth *, long i);

/*
 * Sets the next window [start, end) (start >= epoch, and not before the
 * previous window for the same generator).  Positions and metadata: count
 * rows spread evenly over the window, vessels reporting in turn (the turn
 * carries over windows).  Events: the events that happen in the window,
 * at most count of them (0 = no limit).
 */
void	 synth_window(struct synth *, int64_t start, int64_t end,
	    uint64_t count);
/*
 * Appends the next row of the window, with its newline, to out and sets
 * *ts to its timestamp.  Returns 1, or 0 when the window is exhausted.
 * Rows come in non-decreasing timestamp order.
 */
int	 synth_next(struct synth *, struct strbuf *out, int64_t *ts);

/*
 * GeoJSON of generated rows.  synth_feature() appends row (one NDJSON row
 * of positions or port events, with its newline) as a Feature: a Point at
 * its longitude and latitude, the row's columns as properties.  Returns 0,
 * or -1 when the row has no position (metadata).
 */
int	 synth_feature(struct strbuf *out, const char *row);
/* The row's longitude and latitude; 0, or -1 when it has none. */
int	 synth_row_lonlat(const char *row, double *lon, double *lat);

/*
 * Vessel tracks: every position's longitude and latitude in row order (16
 * bytes a row, owned by the struct; release with synth_tracks_release()).
 * synth_tracks_geojson() appends one Feature per vessel, comma-separated:
 * a LineString of its positions (vessels report in turn, so row r is
 * vessel r mod vessels), cut into a MultiLineString where it crosses the
 * antimeridian (RFC 7946), with the properties mmsi and positions.
 */
struct synth_tracks {
	double	*lonlat;
	size_t	 n, alloc;	/* doubles */
};
#define SYNTH_TRACKS_INIT	{ NULL, 0, 0 }

void	 synth_tracks_add(struct synth_tracks *, const char *row);
void	 synth_tracks_geojson(const struct synth_tracks *, const struct synth *,
	    struct strbuf *out);
void	 synth_tracks_release(struct synth_tracks *);

/*
 * Completes the window of a one-shot run (maritime-synth generate): *start
 * INT64_MIN means now; *end INT64_MIN and *count -1 mean unset.  Positions
 * and metadata: the missing one of end and count follows from rate
 * (rows/s); metadata with neither gets one row per vessel.  Events: end
 * defaults to INT64_MAX, count to 0 (no limit).  0, or -1 with err
 * (EXIT_USAGE) when both are missing or end precedes start.
 */
int	 synth_plan(enum synth_table, long vessels, double rate, int64_t now,
	    int64_t *start, int64_t *end, long long *count, struct bq_err *);

/* What maritime-synth generate was asked for (synth_gen_plan()). */
struct synth_gen {
	int	 table;			/* enum synth_table, or -1: none */
	int	 geojson, tracks;	/* --format geojson, --tracks */
	long long count;		/* -1: unset */
	int64_t	 start, end;		/* INT64_MIN: unset */
	uint64_t seed;			/* 0: from the clock */
	long	 vessels;
	double	 rate;			/* rows/s */
};
#define SYNTH_GEN_INIT	{ -1, 0, 0, -1, INT64_MIN, INT64_MIN, 0, 0, 0 }
/*
 * Checks g (a table; GeoJSON has no metadata; tracks are of positions),
 * completes its window at now (synth_plan()) and, with seed 0, seeds it
 * from now.  0, or -1 with err (EXIT_USAGE).
 */
int	 synth_gen_plan(struct synth_gen *g, int64_t now, struct bq_err *);

/*
 * maritime-synth generate: count rows (0: no limit) of table, seeded,
 * from start to end (a plan of synth_plan()), written to out in timestamp
 * order as NDJSON, or with geojson as a FeatureCollection of Points (with
 * tracks, one track per vessel).  Memory stays bounded (output is written
 * every 64 KiB) except for tracks, which holds the positions.  0, or -1
 * with errno set when a write to out failed.
 */
int	 synth_generate(FILE *out, enum synth_table, uint64_t seed, long vessels,
	    int64_t start, int64_t end, uint64_t count, int geojson,
	    int tracks);

#endif
