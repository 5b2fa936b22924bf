/*
 * partition: bq-partition's filters.  partition_filter() keeps one
 * worker's share of an NDJSON row stream, by the row's natural key when
 * the table has one, else by its timestamp (hash.h has the rules), and
 * passes control lines through; partition_fingerprint() prints
 * FARM_FINGERPRINT of each line.  Bad lines are logged with their
 * position and counted; strict stops at the first.  partition_whoami()
 * tells a worker its index among the workers of the cluster.
 */
#ifndef BQSYNC_PARTITION_H
#define BQSYNC_PARTITION_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "config.h"
#include "ndjson.h"
#include "util.h"

struct partition_filter {
	const char *column;		/* the timestamp column */
	char *const *keys;		/* natural key columns (nkeys), or NULL */
	size_t	 nkeys;
	int	 wi, wn;		/* the share kept: worker wi of wn */
	enum partition_scheme scheme;
	int	 strict;		/* stop at the first bad line */
	int	 hex;			/* fingerprint: lines are hex bytes */
	FILE	*out;
	int	 bad;			/* out: a bad line was seen */
	int	 write_errno;		/* out: errno of a failed write */
};

/*
 * Filters r into f->out.  0 at its end, 1 when strict stopped at a bad
 * line, -1 on a read error (logged) or a failed write of f->out (then
 * f->write_errno is set, nothing logged).
 */
int	 partition_filter(struct partition_filter *, struct ndjson_reader *);
/* One signed int64 per line of r, into f->out; returns as above. */
int	 partition_fingerprint(struct partition_filter *,
	    struct ndjson_reader *);
/*
 * whoami's peers: the node of Harper's cluster_status st (NULL: none) and
 * its connected peers, then the comma-separated hosts of list (NULL: none),
 * appended to *peers (*np of them, each to free, as the array).  With st
 * naming its node, *self becomes "<node>-0" (to free).
 */
void	 partition_peers(const cJSON *st, const char *list, char ***peers,
	    size_t *np, char **self);
/*
 * Appends whoami's answer for worker self, index idx of the n workers w:
 * shell assignments (sh) or one JSON line, both ending in a newline.
 */
void	 partition_whoami_format(struct strbuf *, const char *self, long idx,
	    char *const *w, size_t n, int sh);

/* whoami's question: where the peers come from, who asks, the answer's form. */
struct partition_whoami {
	const char *config;		/* harper: the config file, or NULL */
	int	 harper;		/* peers from Harper's cluster_status */
	const char *peers;		/* comma-separated hosts, or NULL */
	const char *self;		/* host-thread, NULL: Harper's node or
					   this host's, thread 0 */
	int	 threads;		/* workers per host */
	int	 sh;			/* shell assignments, not JSON */
};
/*
 * Appends whoami's answer (partition_whoami_format()) for w's peers and
 * self.  0; or -1 with err: a config or Harper failure, no host name
 * (EXIT_FAIL), or self not among the workers (EXIT_USAGE).
 */
int	 partition_whoami(const struct partition_whoami *w, struct strbuf *,
	    struct bq_err *);

#endif
