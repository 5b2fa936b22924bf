/*
 * searoute: the sea-lane graph maritime-synth's vessels sail on, and the
 * shortest sea route between every two ports.
 *
 * The graph is static: waypoints at sea (straits, canals, capes, open
 * ocean and coastal points), each port's anchorage offshore, and the
 * ports' berths, which the caller gives (their coordinates are the ports'
 * own, on the water).  An edge is a great circle between two nodes: a sea
 * lane, an approach leg (anchorage to berth, up a river where the port
 * lies inland) or a canal.  searoute_new() runs Dijkstra from every berth
 * by great-circle length and keeps each port-to-port route as a polyline,
 * so a voyage only looks its route up.  A struct searoute is immutable
 * after searoute_new(); it never prints.
 */
#ifndef BQSYNC_SEAROUTE_H
#define BQSYNC_SEAROUTE_H

#include "log.h"
#include "util.h"

enum searoute_kind {
	SEAROUTE_WAYPOINT,	/* node: a point of the sea lanes */
	SEAROUTE_ANCHORAGE,	/* node: a port's anchorage offshore */
	SEAROUTE_BERTH,		/* node: a port's berth */
	SEAROUTE_LANE,		/* edge: open sea or coastal lane */
	SEAROUTE_APPROACH,	/* edge: part of a port's approach */
	SEAROUTE_CANAL		/* edge: through a canal (Suez, Panama) */
};

struct searoute_berth {
	const char *id;		/* the port's UN/LOCODE */
	double	 lat, lon;	/* degrees, on the water */
};

/*
 * A route from one berth to another: n >= 2 points, lat[0]/lon[0] the
 * origin's berth and lat[n-1]/lon[n-1] the destination's; cum[k] the
 * distance in nm from the origin to point k, brg[k] the initial bearing
 * of the great circle from point k to point k + 1.
 */
struct searoute_path {
	int	 n;
	const double *lat, *lon, *cum, *brg;
};

struct searoute;

/*
 * The graph with the nberths berths, and the routes between all of them.
 * Returns NULL with err when a berth is missing from the graph or cannot
 * reach every other one.  Free with searoute_free().
 */
struct searoute *searoute_new(const struct searoute_berth *, int nberths,
	    struct bq_err *err);
void	 searoute_free(struct searoute *);	/* NULL is fine */
/* The route from berth i to berth j (i != j), owned by the searoute. */
const struct searoute_path *searoute_path(const struct searoute *, int i,
	    int j);
/*
 * Appends the graph as a GeoJSON FeatureCollection to out: a Point per
 * node and a LineString per edge (MultiLineString when it crosses the
 * antimeridian), with points every 50 km along its great circle, and the
 * properties name, kind and (edges) nm.
 */
void	 searoute_geojson(const struct searoute *, struct strbuf *out);
/*
 * Appends the GeoJSON coordinates of the great circle from point 1 to
 * point 2 to out, "[lon,lat]" pairs separated by commas, a point at least
 * every step_km; a crossing of the antimeridian closes the line and opens
 * a new one ("],[").  *lon_prev is the previous point's longitude (NAN at
 * the start of a line) and is updated.  Returns 1 when it cut the line.
 */
int	 searoute_gc_coords(struct strbuf *out, double lat1, double lon1,
	    double lat2, double lon2, double step_km, double *lon_prev);

#endif
