/*
 * config: the one config.yaml every tool reads, parsed with libyaml.
 *
 * Lookup: the path given to config_load(), else $BQSYNC_CONFIG, else
 * ./config.yaml; a missing ./config.yaml is not an error (defaults apply),
 * a missing explicit path is.  Precedence is option > environment > file:
 * config_load() applies the file and then the environment (HARPER_URL,
 * HARPER_USERNAME, HARPER_PASSWORD, GOOGLE_APPLICATION_CREDENTIALS,
 * BIGQUERY_EMULATOR_HOST, BQSYNC_PROJECT); tools apply options afterwards
 * by overwriting fields.  config.c is the only module that reads the
 * environment.  An unknown key or a bad value fails with EXIT_CONFIG and a
 * message "FILE:LINE: key 'a.b.c': why".
 *
 * All strings are owned by struct config and freed by config_release().
 * Durations are seconds (double); YAML accepts 30, 30s, 500ms, 5m, 1h, 2d,
 * where a bare number means seconds, except for the poll intervals
 * (pollInterval, initialPollInterval, catchupPollInterval) where it means
 * milliseconds, as in the seed plugin.  Relative paths in the file
 * (checkpoint.path, bigquery.credentials, and the default checkpoint.path
 * when a file was read) resolve against the file's folder, so every
 * current directory (cron's, a terminal's) means the same state.  A key with an empty or null value
 * keeps its default.  YAML anchors, aliases and merge keys ("<<: *base")
 * work, so tables can share settings.  Names that reach SQL or Harper
 * (tables, columns, datasets) may not hold control characters or '`'.
 */
#ifndef BQSYNC_CONFIG_H
#define BQSYNC_CONFIG_H

#include <stddef.h>

#include "log.h"

/*
 * Bounds of the numeric settings, shared by the config keys (out of range:
 * EXIT_CONFIG at load) and the options that override them (EXIT_USAGE).
 * Beyond them a value only exhausts memory or overflows an integer.
 */
/* The defaults a table without these keys gets (here only, config_init's). */
#define CONFIG_DEFAULT_TARGET_TABLE	"BigQueryData"
#define CONFIG_DEFAULT_TS_COLUMN	"timestamp"
#define CONFIG_DURATION_MAX	(3650 * 86400.0)	/* any duration: 10 years */
#define CONFIG_RETRIES_MAX	100L		/* bigquery.maxRetries */
#define CONFIG_BATCH_MAX	100000000L	/* sync.*BatchSize, bq-pull -n */
#define CONFIG_BATCH_ROWS_MAX	1000000L	/* harper.batchRows, harper-load -b */
#define CONFIG_BATCH_BYTES_MIN	1024L		/* harper.batchBytes, --batch-bytes */
#define CONFIG_BATCH_BYTES_MAX	(1L << 30)
#define CONFIG_IN_FLIGHT_MAX	64L		/* harper.inFlight, harper-load -j */
#define CONFIG_VESSELS_MAX	100000000L	/* synthesizer.vessels, --vessels */
#define CONFIG_LOAD_ROWS_MAX	100000000L	/* synthesizer.loadRows, --load-rows */
#define CONFIG_SYNTH_BATCH_MAX	100000000L	/* synthesizer.batchSize */
#define CONFIG_DAYS_MAX		3650L		/* synthesizer.retentionDays, days */
#define CONFIG_NAME_MAX		1024		/* bytes of a table... name */

/* BigQuery bills every query at least this (10 MiB); the caps' floor. */
#define BQ_MIN_BILL	(10L << 20)

enum partition_scheme {
	PARTITION_FINGERPRINT,	/* ABS(MOD(FARM_FINGERPRINT(CAST(UNIX_MICROS(ts) AS STRING)), N)) */
	PARTITION_MICROS	/* MOD(UNIX_MICROS(ts), N), the older plugin's */
};

/* Per-table sync settings (global sync: block, overridden per table). */
struct config_sync {
	long	 initial_batch;		/* 10000 */
	long	 catchup_batch;		/* 1000 */
	long	 steady_batch;		/* 500 */
	double	 initial_poll;		/* 1 s */
	double	 catchup_poll;		/* 5 s */
	double	 steady_poll;		/* 30 s (key pollInterval) */
	double	 catchup_threshold;	/* 3600 s: lag above => initial */
	double	 steady_threshold;	/* 300 s: lag above => catchup */
	double	 lookback;		/* 0 s */
	char	*start_timestamp;	/* NULL = from the beginning */
	double	 topology_interval;	/* 30 s: bq-sync's cluster recheck */
	double	 topology_grace;	/* 120 s a peer stays counted */
};

struct config_table {
	char	*id;			/* tables[].id (default: table) */
	char	*project;		/* default: bigquery.projectId (may be NULL) */
	char	*dataset;		/* default: bigquery.dataset (may be NULL) */
	char	*table;
	char	*timestamp_column;	/* default bigquery.timestampColumn, "timestamp" */
	char	*target_table;		/* Harper table; default BigQueryData */
	char	**columns;		/* NULL = all columns ("*") */
	size_t	 ncolumns;
	char	**id_columns;		/* NULL = hash of the whole row */
	size_t	 nid_columns;
	char	*id_column;		/* source column used as id as is, or NULL */
	char	**indexes;		/* Harper attributes to index; NULL = ts */
	size_t	 nindexes;
	struct config_sync sync;
	int	 line;			/* where it was defined, for messages; 0 if added */
};

struct config_synth {
	char	*dataset;		/* default: bigquery.dataset */
	long	 vessels;		/* 100000 */
	long	 batch_size;		/* rows per generation tick: 100 */
	double	 interval;		/* seconds between ticks: 60 */
	long	 retention_days;	/* 30 */
	double	 cleanup_interval;	/* seconds: 86400 */
	long	 load_rows;		/* rows per load job: 500000 */
	int	 streaming;		/* insertAll instead of load jobs */
	char	*positions_table;	/* vessel_positions */
	char	*events_table;		/* port_events */
	char	*metadata_table;	/* vessel_metadata */
	unsigned long long seed;	/* 0 = from time */
};

struct config {
	char	*path;			/* file actually read, or NULL */

	/* bigquery: */
	char	*project;		/* BQSYNC_PROJECT > projectId > key file */
	char	*credentials;		/* GOOGLE_APPLICATION_CREDENTIALS > credentials */
	char	*location;		/* "US" */
	char	*emulator_host;		/* BIGQUERY_EMULATOR_HOST, host:port */
	char	*api_url;		/* override base URL (tests); NULL = Google */
	long	 max_retries;		/* 5 */
	double	 retry_deadline;	/* seconds, 600 */
	long	 max_bytes_billed;	/* per query, sent; 0 = none */
	long	 daily_bytes_limit;	/* per worker per UTC day; 0 = none */
	enum partition_scheme partition;
	char	*dataset;		/* bigquery.dataset: default for tables */
	struct config_table *tables;	/* none when the file names no table */
	size_t	 ntables;

	/* sync: (global defaults, copied into tables without overrides) */
	struct config_sync sync;

	/* harper: */
	char	*harper_url;		/* http://127.0.0.1:9925 */
	char	*harper_database;	/* "data" */
	char	*harper_username;
	char	*harper_password;	/* secret: never logged */
	long	 batch_rows;		/* 1000 */
	long	 batch_bytes;		/* 4 MiB */
	long	 in_flight;		/* 2 */
	double	 http_timeout;		/* 60 s per request */
	double	 harper_deadline;	/* 120 s of retrying before EXIT_TEMPFAIL */
	double	 replication_settle;	/* 5 s: a new table's first write waits */

	/* checkpoint: */
	char	*ckpt_store;		/* "file" (default) or "harper" */
	char	*ckpt_path;		/* "bqsync-state.json" */
	char	*ckpt_table;		/* "SyncCheckpoint" */
	char	*audit_table;		/* "SyncAudit" */

	/* synthesizer: */
	struct config_synth synth;
};

/* Fills cfg with defaults only (no file, no environment); no tables. */
void	 config_init(struct config *);
/*
 * config_init(), then reads path (see lookup above) and the environment.
 * Returns 0, or -1 with err (EXIT_CONFIG; EXIT_IOERR if unreadable); on
 * failure cfg holds the defaults.  Either way config_release() frees it.
 * cfg is overwritten: release a config_init()ed one first or it leaks.
 */
int	 config_load(struct config *, const char *path, struct bq_err *);
void	 config_release(struct config *);
/*
 * The table whose id, else target table, else BigQuery table name is name;
 * with name NULL the first table.  NULL (and err set, EXIT_CONFIG) when
 * there is none.  The pointer is valid until config_table_add/release.
 */
struct config_table *config_table(const struct config *, const char *name,
	    struct bq_err *);
/*
 * Appends a table not in the file (a tool's --table NAME): id, table and
 * target table NAME, dataset and project from the bigquery block, timestamp
 * column "timestamp", the global sync settings.  Returns the new entry (owned
 * by cfg); it moves the tables array, so earlier table pointers go stale.
 */
struct config_table *config_table_add(struct config *, const char *id);
/*
 * The columns of t's natural key (idColumns, else idColumn), which decide
 * a row's share of the workers (bqsync(7)); their count in *n, NULL and 0
 * for a table without one.  The array belongs to t.
 */
char *const *config_table_keys(const struct config_table *t, size_t *n);
/* Parses "30", "30s", "500ms", "5m", "1h", "2d" into seconds; -1 if bad. */
double	 config_parse_duration(const char *);
/*
 * Why name cannot be a table, dataset, project or database name, or NULL
 * when it can: it reaches URL paths, file names, SQL and Harper, so it is
 * 1 to CONFIG_NAME_MAX bytes, not "." or "..", without spaces, control
 * characters, '/', '\' or '`'.  Config keys and options use it alike.
 */
const char *config_name_error(const char *name);
/* Replaces *dst with a copy of src (NULL clears). */
void	 config_set_str(char **dst, const char *src);

#endif
