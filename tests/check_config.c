#include <check.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "util.h"
#include "testlib.h"
#include "banned.h"

static char tmp_path[64];

static void
clear_env(void)
{
	unsetenv("BQSYNC_CONFIG");
	unsetenv("HARPER_URL");
	unsetenv("HARPER_USERNAME");
	unsetenv("HARPER_PASSWORD");
	unsetenv("GOOGLE_APPLICATION_CREDENTIALS");
	unsetenv("BIGQUERY_EMULATOR_HOST");
	unsetenv("BQSYNC_PROJECT");
}

/* Writes text to a fresh temporary file (mode 600) and returns its path. */
static const char *
write_tmp(const char *text)
{
	int fd;

	snprintf(tmp_path, sizeof(tmp_path), "/tmp/check_config.XXXXXX");
	fd = mkstemp(tmp_path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return tmp_path;
}

static int
load_text(struct config *cfg, const char *text, struct bq_err *err)
{
	int rc;

	clear_env();
	rc = config_load(cfg, write_tmp(text), err);
	unlink(tmp_path);
	return rc;
}

/* Loads text, which must succeed. */
static void
load_ok(struct config *cfg, const char *text)
{
	struct bq_err err = BQ_ERR_INIT;

	ck_assert_msg(load_text(cfg, text, &err) == 0, "%s", err.msg);
}

/* Loads text, expects failure, and checks that the message ends in want. */
static void
expect_error(const char *text, int kind, const char *want)
{
	struct config cfg;
	struct bq_err err = BQ_ERR_INIT;
	char full[320];

	ck_assert_int_eq(load_text(&cfg, text, &err), -1);
	ck_assert_int_eq(err.kind, kind);
	snprintf(full, sizeof(full), "%s:%s", tmp_path, want);
	ck_assert_str_eq(err.msg, full);
	/* On failure cfg holds defaults and can be released. */
	ck_assert_str_eq(cfg.harper_url, "http://127.0.0.1:9925");
	ck_assert_uint_eq(cfg.ntables, 0);
	config_release(&cfg);
}

/*
 * Fields of struct config and struct config_table by name, so that a test
 * lists the values it expects (expect_config(), expect_table()).
 */
enum field_kind {
	F_S,		/* char *: the string, or "(null)" */
	F_L,		/* long */
	F_I,		/* int */
	F_Z,		/* size_t */
	F_D,		/* double: equal, or within 1e-9 of "~value" */
	F_U,		/* unsigned long long */
	F_P,		/* enum partition_scheme: "fingerprint", "micros" */
};

struct field {
	enum { IN_CONFIG, IN_TABLE, IN_SYNC, IN_SYNTH } in;
	const char	*name;
	size_t		 off;		/* in its struct */
	enum field_kind	 kind;
};

#define CF(f, k)	{ IN_CONFIG, #f, offsetof(struct config, f), F_##k }
#define TF(f, k)	{ IN_TABLE, #f, offsetof(struct config_table, f), F_##k }
#define SF(f, k)	{ IN_SYNC, #f, offsetof(struct config_sync, f), F_##k }
#define YF(f, k)	{ IN_SYNTH, #f, offsetof(struct config_synth, f), F_##k }

static const struct field fields[] = {
	CF(path, S),
	CF(project, S),
	CF(credentials, S),
	CF(location, S),
	CF(emulator_host, S),
	CF(api_url, S),
	CF(max_retries, L),
	CF(retry_deadline, D),
	CF(max_bytes_billed, L),
	CF(daily_bytes_limit, L),
	CF(partition, P),
	CF(dataset, S),
	CF(ntables, Z),
	CF(harper_url, S),
	CF(harper_database, S),
	CF(harper_username, S),
	CF(harper_password, S),
	CF(batch_rows, L),
	CF(batch_bytes, L),
	CF(in_flight, L),
	CF(http_timeout, D),
	CF(harper_deadline, D),
	CF(replication_settle, D),
	CF(ckpt_store, S),
	CF(ckpt_path, S),
	CF(ckpt_table, S),
	CF(audit_table, S),
	TF(id, S),
	TF(project, S),
	TF(dataset, S),
	TF(table, S),
	TF(timestamp_column, S),
	TF(target_table, S),
	TF(ncolumns, Z),
	TF(nid_columns, Z),
	TF(id_column, S),
	TF(nindexes, Z),
	TF(line, I),
	SF(initial_batch, L),
	SF(catchup_batch, L),
	SF(steady_batch, L),
	SF(initial_poll, D),
	SF(catchup_poll, D),
	SF(steady_poll, D),
	SF(catchup_threshold, D),
	SF(steady_threshold, D),
	SF(lookback, D),
	SF(start_timestamp, S),
	SF(topology_interval, D),
	SF(topology_grace, D),
	YF(dataset, S),
	YF(vessels, L),
	YF(batch_size, L),
	YF(interval, D),
	YF(retention_days, L),
	YF(cleanup_interval, D),
	YF(load_rows, L),
	YF(streaming, I),
	YF(positions_table, S),
	YF(events_table, S),
	YF(metadata_table, S),
	YF(seed, U),
};

/*
 * The field called name of a struct config or config_table (in), and in
 * *off where it is from the start of that struct: "sync.x" and "synth.x"
 * are the members of the struct inside.  NULL if there is none.
 */
static const struct field *
field_find(int in, const char *name, size_t *off)
{
	size_t i;

	*off = 0;
	if (strncmp(name, "sync.", 5) == 0) {
		*off = in == IN_TABLE ? offsetof(struct config_table, sync) :
		    offsetof(struct config, sync);
		in = IN_SYNC;
		name += 5;
	} else if (in == IN_CONFIG && strncmp(name, "synth.", 6) == 0) {
		*off = offsetof(struct config, synth);
		in = IN_SYNTH;
		name += 6;
	}
	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if ((int)fields[i].in == in &&
		    strcmp(fields[i].name, name) == 0) {
			*off += fields[i].off;
			return &fields[i];
		}
	return NULL;
}

/* The value at p of a field of kind f, as text. */
static void
field_text(const char *p, const struct field *f, char *buf, size_t n)
{
	const char *s;

	switch (f->kind) {
	case F_S:
		s = *(char *const *)p;
		snprintf(buf, n, "%s", s != NULL ? s : "(null)");
		break;
	case F_L:
		snprintf(buf, n, "%ld", *(const long *)p);
		break;
	case F_I:
		snprintf(buf, n, "%d", *(const int *)p);
		break;
	case F_Z:
		snprintf(buf, n, "%zu", *(const size_t *)p);
		break;
	case F_D:
		snprintf(buf, n, "%.17g", *(const double *)p);
		break;
	case F_U:
		snprintf(buf, n, "%llu", *(const unsigned long long *)p);
		break;
	case F_P:
		snprintf(buf, n, "%s", *(const enum partition_scheme *)p ==
		    PARTITION_MICROS ? "micros" : "fingerprint");
		break;
	}
}

/*
 * Each field named in want ("name", "value", ..., NULL) of the struct
 * config or config_table (in) at base has that value.
 */
static void
expect_fields(const void *base, int in, const char *const *want)
{
	const struct field *f;
	const char *p;
	char got[512];
	double w;
	size_t off;
	int ok;

	for (; *want != NULL; want += 2) {
		f = field_find(in, want[0], &off);
		ck_assert_msg(f != NULL, "no field %s", want[0]);
		p = (const char *)base + off;
		field_text(p, f, got, sizeof(got));
		if (f->kind == F_D) {
			w = strtod(want[1] + (want[1][0] == '~'), NULL);
			ok = want[1][0] == '~' ? fabs(*(const double *)p - w) <=
			    1e-9 : *(const double *)p == w;
		} else {
			ok = strcmp(got, want[1]) == 0;
		}
		ck_assert_msg(ok, "%s: %s, want %s", want[0], got, want[1]);
	}
}

#define expect_config(cfg, ...)	expect_fields((cfg), IN_CONFIG,		\
	(const char *const[]){ __VA_ARGS__, NULL })
#define expect_table(t, ...)	expect_fields((t), IN_TABLE,		\
	(const char *const[]){ __VA_ARGS__, NULL })

START_TEST(test_defaults)
{
	struct config cfg;

	config_init(&cfg);
	expect_config(&cfg,
	    "path", "(null)",
	    "location", "US",
	    "max_retries", "5",
	    "retry_deadline", "600",
	    "partition", "fingerprint",
	    "sync.initial_batch", "10000",
	    "sync.catchup_batch", "1000",
	    "sync.steady_batch", "500",
	    "sync.initial_poll", "1",
	    "sync.catchup_poll", "5",
	    "sync.steady_poll", "30",
	    "sync.catchup_threshold", "3600",
	    "sync.steady_threshold", "300",
	    "sync.lookback", "0",
	    "sync.start_timestamp", "(null)",
	    "harper_url", "http://127.0.0.1:9925",
	    "harper_database", "data",
	    "batch_rows", "1000",
	    "batch_bytes", "4194304",
	    "in_flight", "2",
	    "http_timeout", "60",
	    "harper_deadline", "120",
	    "replication_settle", "5",
	    "ckpt_store", "file",
	    "ckpt_path", "bqsync-state.json",
	    "ckpt_table", "SyncCheckpoint",
	    "audit_table", "SyncAudit",
	    "synth.vessels", "100000",
	    "synth.batch_size", "100",
	    "synth.interval", "60",
	    "synth.retention_days", "30",
	    "synth.cleanup_interval", "86400",
	    "synth.load_rows", "500000",
	    "synth.streaming", "0",
	    "synth.positions_table", "vessel_positions",
	    "synth.events_table", "port_events",
	    "synth.metadata_table", "vessel_metadata",
	    "ntables", "0");
	config_release(&cfg);
}
END_TEST

/* The reference config.yaml at the top of the tree loads as documented. */
START_TEST(test_reference_file)
{
	struct config cfg;
	struct bq_err err = BQ_ERR_INIT;
	struct config_table *t;

	clear_env();
	ck_assert_msg(config_load(&cfg, "config.yaml", &err) == 0, "%s",
	    err.msg);
	expect_config(&cfg,
	    "path", "config.yaml",
	    "project", "bqsync-demo",
	    "dataset", "maritime_tracking",
	    "ntables", "3");
	t = &cfg.tables[1];
	expect_table(t,
	    "id", "port_events",
	    "timestamp_column", "event_time",
	    "target_table", "PortEvents",
	    "dataset", "maritime_tracking",
	    "project", "bqsync-demo",
	    "nindexes", "2");
	ck_assert_str_eq(t->indexes[1], "vessel_mmsi");
	t = &cfg.tables[2];
	ck_assert_uint_eq(t->nid_columns, 1);
	ck_assert_str_eq(t->id_columns[0], "mmsi");
	ck_assert_double_eq(t->sync.steady_poll, 30);
	ck_assert_double_eq(cfg.harper_deadline, 120);
	ck_assert_double_eq(cfg.synth.cleanup_interval, 86400);
	config_release(&cfg);
}
END_TEST

static const char every_key[] =
    "bigquery:\n"
    "  projectId: p1\n"
    "  dataset: ds\n"
    "  credentials: /k.json\n"
    "  location: EU\n"
    "  partition: micros\n"
    "  maxRetries: 0\n"
    "  retryDeadline: 5m\n"
    "  apiUrl: http://127.0.0.1:1/\n"
    "  timestampColumn: ts\n"
    "  tables:\n"
    "    - id: a\n"
    "      projectId: other\n"
    "      dataset: ds2\n"
    "      table: ta\n"
    "      timestampColumn: t\n"
    "      columns: [t, k, v]\n"
    "      targetTable: A\n"
    "      idColumns: [k]\n"
    "      indexes: [t, k]\n"
    "      sync:\n"
    "        steadyBatchSize: 7\n"
    "        pollInterval: 2s\n"
    "        startTimestamp: '2025-01-01T00:00:00Z'\n"
    "    - table: b\n"
    "      idColumn: uid\n"
    "      columns: ['*']\n"
    "      indexes: mmsi\n"
    "sync:\n"
    "  initialBatchSize: 11\n"
    "  catchupBatchSize: 12\n"
    "  steadyBatchSize: 13\n"
    "  initialPollInterval: 100\n"
    "  catchupPollInterval: 2500ms\n"
    "  pollInterval: 30000\n"
    "  catchupThreshold: 2h\n"
    "  steadyThreshold: 600\n"
    "  lookback: 1.5s\n"
    "  startTimestamp: '2024-01-01T00:00:00Z'\n"
    "harper:\n"
    "  url: http://h:1\n"
    "  database: db\n"
    "  username: u\n"
    "  password: pw\n"
    "  batchRows: 10\n"
    "  batchBytes: 2MiB\n"
    "  inFlight: 3\n"
    "  timeout: 500ms\n"
    "  retryDeadline: 1d\n"
    "  replicationSettle: 0\n"
    "checkpoint:\n"
    "  store: harper\n"
    "  path: /tmp/s.json\n"
    "  table: Ck\n"
    "  auditTable: Au\n"
    "synthesizer:\n"
    "  dataset: sd\n"
    "  vessels: 5\n"
    "  batchSize: 6\n"
    "  generationInterval: 2m\n"
    "  retentionDays: 8\n"
    "  cleanupInterval: 3h\n"
    "  loadRows: 9\n"
    "  streaming: true\n"
    "  seed: 18446744073709551615\n"
    "  tables:\n"
    "    positions: P\n"
    "    events: E\n"
    "    metadata: M\n";

START_TEST(test_every_key)
{
	struct config cfg;
	struct config_table *a, *b;

	load_ok(&cfg, every_key);
	expect_config(&cfg,
	    "project", "p1",
	    "dataset", "ds",
	    "credentials", "/k.json",
	    "location", "EU",
	    "partition", "micros",
	    "max_retries", "0",
	    "retry_deadline", "300",
	    "api_url", "http://127.0.0.1:1/",
	    "ntables", "2");

	a = &cfg.tables[0];
	expect_table(a,
	    "id", "a",
	    "project", "other",
	    "dataset", "ds2",
	    "table", "ta",
	    "timestamp_column", "t",
	    "ncolumns", "3");
	ck_assert_str_eq(a->columns[2], "v");
	ck_assert_str_eq(a->target_table, "A");
	ck_assert_uint_eq(a->nid_columns, 1);
	ck_assert_str_eq(a->id_columns[0], "k");
	expect_table(a,
	    "id_column", "(null)",
	    "nindexes", "2",
	    "line", "12",
	    /* Per-table sync overrides the global block key by key. */
	    "sync.initial_batch", "11",
	    "sync.catchup_batch", "12",
	    "sync.steady_batch", "7",
	    "sync.steady_poll", "2",
	    "sync.initial_poll", "~0.1",
	    "sync.start_timestamp", "2025-01-01T00:00:00Z");

	b = &cfg.tables[1];
	expect_table(b,
	    "id", "b",
	    "table", "b",
	    "project", "p1",
	    "dataset", "ds",
	    "timestamp_column", "ts",		/* bigquery default */
	    "target_table", "BigQueryData",
	    "id_column", "uid",
	    "nindexes", "1",			/* a scalar is a list */
	    "sync.steady_batch", "13",
	    "sync.start_timestamp", "2024-01-01T00:00:00Z");
	ck_assert_ptr_null(b->columns);
	ck_assert_str_eq(b->indexes[0], "mmsi");

	expect_config(&cfg,
	    "sync.initial_batch", "11",
	    "sync.steady_batch", "13",
	    "sync.initial_poll", "~0.1",
	    "sync.catchup_poll", "2.5",
	    "sync.steady_poll", "30",
	    "sync.catchup_threshold", "7200",
	    "sync.steady_threshold", "600",
	    "sync.lookback", "1.5");

	expect_config(&cfg,
	    "harper_url", "http://h:1",
	    "harper_database", "db",
	    "harper_username", "u",
	    "harper_password", "pw",
	    "batch_rows", "10",
	    "batch_bytes", "2097152",
	    "in_flight", "3",
	    "http_timeout", "0.5",
	    "harper_deadline", "86400",
	    "replication_settle", "0");

	expect_config(&cfg,
	    "ckpt_store", "harper",
	    "ckpt_path", "/tmp/s.json",
	    "ckpt_table", "Ck",
	    "audit_table", "Au");

	expect_config(&cfg,
	    "synth.dataset", "sd",
	    "synth.vessels", "5",
	    "synth.batch_size", "6",
	    "synth.interval", "120",
	    "synth.retention_days", "8",
	    "synth.cleanup_interval", "10800",
	    "synth.load_rows", "9",
	    "synth.streaming", "1");
	ck_assert(cfg.synth.seed == 18446744073709551615ULL);
	expect_config(&cfg,
	    "synth.positions_table", "P",
	    "synth.events_table", "E",
	    "synth.metadata_table", "M");
	config_release(&cfg);
}
END_TEST

START_TEST(test_synth_aliases)
{
	struct config cfg;
	struct bq_err err = BQ_ERR_INIT;

	ck_assert_msg(load_text(&cfg,
	    "bigquery:\n  dataset: d\n"
	    "synthesizer:\n  totalVessels: 42\n  generationIntervalMs: 1500\n"
	    "  cleanupIntervalHours: 2\n  streaming: no\n", &err) == 0,
	    "%s", err.msg);
	expect_config(&cfg,
	    "synth.vessels", "42",
	    "synth.interval", "1.5",
	    "synth.cleanup_interval", "7200",
	    "synth.streaming", "0",
	    "synth.dataset", "d" /* bigquery default */);
	config_release(&cfg);
}
END_TEST

START_TEST(test_legacy_form)
{
	struct config cfg;
	struct config_table *t;

	load_ok(&cfg, "bigquery:\n"
	    "  projectId: p\n"
	    "  dataset: maritime\n"
	    "  table: vessel_positions\n"
	    "  timestampColumn: ts\n"
	    "  columns: [ts, mmsi]\n"
	    "sync:\n"
	    "  pollInterval: 30000\n");
	ck_assert_uint_eq(cfg.ntables, 1);
	t = &cfg.tables[0];
	expect_table(t,
	    "id", "vessel_positions",
	    "table", "vessel_positions",
	    "target_table", "BigQueryData",
	    "dataset", "maritime",
	    "project", "p",
	    "timestamp_column", "ts",
	    "ncolumns", "2",
	    "line", "4",
	    "sync.steady_poll", "30");
	config_release(&cfg);

	/* columns: "*" means all; timestampColumn defaults to "timestamp". */
	load_ok(&cfg, "bigquery:\n  table: t\n  columns: '*'\n");
	ck_assert_ptr_null(cfg.tables[0].columns);
	ck_assert_str_eq(cfg.tables[0].timestamp_column, "timestamp");
	ck_assert_ptr_null(cfg.tables[0].dataset);
	config_release(&cfg);
}
END_TEST

START_TEST(test_env_overrides_file)
{
	struct config cfg;
	struct bq_err err = BQ_ERR_INIT;

	clear_env();
	write_tmp("bigquery:\n  projectId: fromfile\n  table: t\n"
	    "  credentials: /file.json\n"
	    "harper:\n  url: http://file:1\n  username: fu\n");
	chmod(tmp_path, 0600);
	setenv("HARPER_URL", "http://env:2", 1);
	setenv("HARPER_USERNAME", "eu", 1);
	setenv("HARPER_PASSWORD", "ep", 1);
	setenv("GOOGLE_APPLICATION_CREDENTIALS", "/env.json", 1);
	setenv("BIGQUERY_EMULATOR_HOST", "127.0.0.1:9050", 1);
	setenv("BQSYNC_PROJECT", "fromenv", 1);
	ck_assert_msg(config_load(&cfg, tmp_path, &err) == 0, "%s", err.msg);
	unlink(tmp_path);
	ck_assert_str_eq(cfg.harper_url, "http://env:2");
	ck_assert_str_eq(cfg.harper_username, "eu");
	ck_assert_str_eq(cfg.harper_password, "ep");
	ck_assert_str_eq(cfg.credentials, "/env.json");
	ck_assert_str_eq(cfg.emulator_host, "127.0.0.1:9050");
	ck_assert_str_eq(cfg.project, "fromenv");
	/* Tables inherit the effective project. */
	ck_assert_str_eq(cfg.tables[0].project, "fromenv");
	config_release(&cfg);
	clear_env();
}
END_TEST

START_TEST(test_empty_env_is_unset)
{
	struct config cfg;
	struct bq_err err = BQ_ERR_INIT;

	clear_env();
	write_tmp("harper:\n  url: http://file:1\n");
	setenv("HARPER_URL", "", 1);
	ck_assert_int_eq(config_load(&cfg, tmp_path, &err), 0);
	unlink(tmp_path);
	ck_assert_str_eq(cfg.harper_url, "http://file:1");
	config_release(&cfg);
	clear_env();
}
END_TEST

START_TEST(test_lookup_order)
{
	struct config cfg;
	struct bq_err err = BQ_ERR_INIT;
	char dir[] = "/tmp/check_config_dir.XXXXXX";
	char cwd[4096], envfile[64];
	FILE *fp;

	clear_env();
	ck_assert_ptr_nonnull(getcwd(cwd, sizeof(cwd)));
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(chdir(dir), 0);

	/* No ./config.yaml: defaults, no error. */
	ck_assert_int_eq(config_load(&cfg, NULL, &err), 0);
	ck_assert_ptr_null(cfg.path);
	config_release(&cfg);

	/* ./config.yaml is read. */
	fp = fopen("config.yaml", "w");
	ck_assert_ptr_nonnull(fp);
	fputs("harper:\n  database: cwd\n", fp);
	fclose(fp);
	ck_assert_int_eq(config_load(&cfg, NULL, &err), 0);
	ck_assert_str_eq(cfg.harper_database, "cwd");
	config_release(&cfg);

	/* $BQSYNC_CONFIG beats ./config.yaml; empty means unset. */
	snprintf(envfile, sizeof(envfile), "%s/env.yaml", dir);
	fp = fopen(envfile, "w");
	ck_assert_ptr_nonnull(fp);
	fputs("harper:\n  database: env\n", fp);
	fclose(fp);
	setenv("BQSYNC_CONFIG", envfile, 1);
	ck_assert_int_eq(config_load(&cfg, NULL, &err), 0);
	ck_assert_str_eq(cfg.harper_database, "env");
	config_release(&cfg);
	setenv("BQSYNC_CONFIG", "", 1);
	ck_assert_int_eq(config_load(&cfg, NULL, &err), 0);
	ck_assert_str_eq(cfg.harper_database, "cwd");
	config_release(&cfg);

	/* An explicit path beats both. */
	setenv("BQSYNC_CONFIG", envfile, 1);
	ck_assert_int_eq(config_load(&cfg, "config.yaml", &err), 0);
	ck_assert_str_eq(cfg.harper_database, "cwd");
	config_release(&cfg);

	/* A missing $BQSYNC_CONFIG file is an error. */
	setenv("BQSYNC_CONFIG", "/nonexistent/x.yaml", 1);
	ck_assert_int_eq(config_load(&cfg, NULL, &err), -1);
	ck_assert_int_eq(err.kind, EXIT_IOERR);
	config_release(&cfg);

	clear_env();
	unlink(envfile);
	unlink("config.yaml");
	ck_assert_int_eq(chdir(cwd), 0);
	rmdir(dir);
}
END_TEST

START_TEST(test_missing_explicit_file)
{
	struct config cfg;
	struct bq_err err = BQ_ERR_INIT;

	clear_env();
	ck_assert_int_eq(config_load(&cfg, "/nonexistent/x", &err), -1);
	ck_assert_int_eq(err.kind, EXIT_IOERR);
	ck_assert_str_eq(err.msg,
	    "cannot open '/nonexistent/x': No such file or directory");
	config_release(&cfg);
}
END_TEST

START_TEST(test_empty_file)
{
	struct config cfg;
	struct bq_err err = BQ_ERR_INIT;

	ck_assert_int_eq(load_text(&cfg, "", &err), 0);
	ck_assert_str_eq(cfg.harper_database, "data");
	config_release(&cfg);
	ck_assert_int_eq(load_text(&cfg, "# only a comment\n", &err), 0);
	config_release(&cfg);
	ck_assert_int_eq(load_text(&cfg, "harper:\nsync:\n", &err), 0);
	ck_assert_str_eq(cfg.harper_database, "data");
	config_release(&cfg);
}
END_TEST

START_TEST(test_null_keeps_default)
{
	struct config cfg;
	struct bq_err err = BQ_ERR_INIT;

	ck_assert_int_eq(load_text(&cfg,
	    "harper:\n  url:\n  batchRows: ~\n", &err), 0);
	ck_assert_str_eq(cfg.harper_url, "http://127.0.0.1:9925");
	ck_assert_int_eq(cfg.batch_rows, 1000);
	config_release(&cfg);
}
END_TEST

START_TEST(test_unknown_keys)
{
	expect_error("bigquery:\n  dataset: d\n  foo: 1\n", EXIT_CONFIG,
	    "3: unknown key 'bigquery.foo'");
	expect_error("harper:\n  url: x\n\nnope:\n  a: 1\n", EXIT_CONFIG,
	    "4: unknown key 'nope'");
	expect_error("sync:\n  pollIntervall: 5\n", EXIT_CONFIG,
	    "2: unknown key 'sync.pollIntervall'");
	expect_error("bigquery:\n  tables:\n    - id: a\n      bogus: 1\n",
	    EXIT_CONFIG, "4: unknown key 'bigquery.tables[0].bogus'");
	expect_error("bigquery:\n  tables:\n    - id: a\n      sync:\n"
	    "        x: 1\n", EXIT_CONFIG,
	    "5: unknown key 'bigquery.tables[0].sync.x'");
	expect_error("synthesizer:\n  tables:\n    ships: s\n", EXIT_CONFIG,
	    "3: unknown key 'synthesizer.tables.ships'");
	expect_error("checkpoint:\n  dir: x\n", EXIT_CONFIG,
	    "2: unknown key 'checkpoint.dir'");
	expect_error("harper:\n  \"a\\tb\": x\n", EXIT_CONFIG,
	    "2: unknown key 'harper.a?b'");
	expect_error("harper:\n  [a]: x\n", EXIT_CONFIG,
	    "2: expected a key name, got a list");
	/* every unknown key counts, in one run */
	expect_error("a: 1\nsync:\n  b: 2\nharper:\n  c: 3\n", EXIT_CONFIG,
	    " 3 unknown keys (listed above)");
}
END_TEST

/* The seed plugin's own config.yaml: its component keys are ignored. */
START_TEST(test_plugin_config)
{
	struct config cfg;
	struct bq_err err = BQ_ERR_INIT;

	ck_assert_int_eq(load_text(&cfg, "pluginModule: ./src/index.js\n"
	    "rest: true\ngraphqlSchema:\n  files: schema.graphql\n"
	    "jsResource:\n  files: src/resources.js\n"
	    "operations:\n  host: node1\n  port: 9925\n  username: admin\n"
	    "  password: secret\n"
	    "bigquery:\n  projectId: p\n  dataset: d\n  table: t\n"
	    "  timestampColumn: ts\n", &err), 0);
	expect_config(&cfg,
	    "harper_url", "http://node1:9925",
	    "harper_username", "admin",
	    "harper_password", "(null)", /* never from here */
	    "ntables", "1");
	config_release(&cfg);
	/* an explicit harper.url wins */
	ck_assert_int_eq(load_text(&cfg, "harper:\n  url: http://h:1\n"
	    "operations:\n  host: node1\n", &err), 0);
	ck_assert_str_eq(cfg.harper_url, "http://h:1");
	config_release(&cfg);
}
END_TEST

/* Every message logged while loading, one per line, for the tests below. */
static char logged[2048];

static void
capture_log(enum log_level lvl, const char *msg, void *arg)
{
	size_t n = strlen(logged);

	(void)arg;
	snprintf(logged + n, sizeof(logged) - n, "%c %s\n",
	    lvl == BQ_LOG_ERROR ? 'E' : lvl == BQ_LOG_WARN ? 'W' : 'I', msg);
}

/*
 * The seed plugin's config.yaml, every key and block of it in the same
 * structure (values of our own; the keys it shows only in comments too):
 * one run names each key bqsync has no use for, with its line, and warns
 * once about the component keys and once about the password.
 */
static const char plugin_file[] =
    "# a node's copy of the plugin's settings\n"		/* 1 */
    "pluginModule: ./plugin/main.js\n"
    "rest: true\n"
    "graphqlSchema:\n"
    "  files: 'schema/ingest.graphql'\n"			/* 5 */
    "jsResource:\n"
    "  files: 'plugin/handlers.js'\n"
    "operations:\n"
    "  host: harper-1.internal\n"
    "  port: 9935\n"						/* 10 */
    "  username: syncer\n"
    "  password: not-used-here\n"
    "bigquery:\n"
    "  projectId: fleet-analytics\n"
    "  credentials: keys/reader.json\n"				/* 15 */
    "  location: EU\n"
    "  tables:\n"
    "    - id: positions\n"
    "      dataset: ais\n"
    "      table: positions_raw\n"				/* 20 */
    "      timestampColumn: seen_at\n"
    "      columns: [seen_at, mmsi, lat, lon]\n"
    "      targetTable: Positions\n"
    "      sync:\n"
    "        initialBatchSize: 20000\n"			/* 25 */
    "        catchupBatchSize: 2000\n"
    "        steadyBatchSize: 200\n"
    "      useStreamingAPIs: false\n"
    "    - id: registry\n"
    "      dataset: ais\n"					/* 30 */
    "      table: registry\n"
    "      timestampColumn: updated_at\n"
    "      columns: ['*']\n"
    "      targetTable: Registry\n"
    "      sync:\n"						/* 35 */
    "        initialBatchSize: 500\n"
    "        catchupBatchSize: 50\n"
    "        steadyBatchSize: 5\n"
    "synthesizer:\n"
    "  dataset: ais\n"						/* 40 */
    "  table: positions_raw\n"
    "  totalVessels: 2500\n"
    "  batchSize: 50\n"
    "  generationIntervalMs: 15000\n"
    "  retentionDays: 7\n"					/* 45 */
    "  cleanupIntervalHours: 12\n"
    "sync:\n"
    "  startTimestamp: \"2025-06-01T00:00:00Z\"\n"
    "  initialBatchSize: 8000\n"
    "  catchupBatchSize: 800\n"					/* 50 */
    "  steadyBatchSize: 80\n"
    "  catchupThreshold: 7200\n"
    "  steadyThreshold: 120\n"
    "  pollInterval: 45000\n"
    "validation:\n"						/* 55 */
    "  enabled: false\n"
    "  interval: 600\n"
    "retry:\n"
    "  maxAttempts: 3\n"
    "  backoffMultiplier: 3\n"					/* 60 */
    "  initialDelay: 250\n";

START_TEST(test_plugin_file_one_run)
{
	struct config cfg;
	struct bq_err err = BQ_ERR_INIT;
	char want[2048], msg[320];
	const char *f;

	logged[0] = '\0';
	bqsync_set_log(capture_log, NULL);
	ck_assert_int_eq(load_text(&cfg, plugin_file, &err), -1);
	bqsync_set_log(NULL, NULL);
	f = tmp_path;
	ck_assert_int_eq(err.kind, EXIT_CONFIG);
	snprintf(msg, sizeof(msg), "%s: 4 unknown keys (listed above)", f);
	ck_assert_str_eq(err.msg, msg);
	snprintf(want, sizeof(want),
	    "W %s:2: ignoring the Harper component keys (pluginModule, rest, "
	    "graphqlSchema, jsResource): bqsync runs beside Harper\n"
	    "W %s:12: key 'operations.password' ignored: the Harper password "
	    "comes only from HARPER_PASSWORD or harper.password (in a file "
	    "only you can read)\n"
	    "E %s:28: unknown key 'bigquery.tables[0].useStreamingAPIs'\n"
	    "E %s:41: unknown key 'synthesizer.table'\n"
	    "E %s:55: unknown key 'validation'\n"
	    "E %s:58: unknown key 'retry'\n", f, f, f, f, f, f);
	ck_assert_str_eq(logged, want);
	config_release(&cfg);
}
END_TEST

/* Without the four keys it reports, the same file loads as it means. */
START_TEST(test_plugin_file_migrated)
{
	struct config cfg;
	struct bq_err err = BQ_ERR_INIT;
	char *text = xstrdup(plugin_file), *cut;
	const struct config_table *t;

	cut = strstr(text, "      useStreamingAPIs");
	memmove(cut, strchr(cut, '\n') + 1, strlen(strchr(cut, '\n')));
	cut = strstr(text, "  table: positions_raw\n  totalVessels");
	memmove(cut, strchr(cut, '\n') + 1, strlen(strchr(cut, '\n')));
	*strstr(text, "validation:\n") = '\0';
	ck_assert_msg(load_text(&cfg, text, &err) == 0, "%s", err.msg);
	ck_assert_str_eq(cfg.harper_url, "http://harper-1.internal:9935");
	ck_assert_str_eq(cfg.harper_username, "syncer");
	ck_assert_ptr_null(cfg.harper_password);
	ck_assert_uint_eq(cfg.ntables, 2);
	t = &cfg.tables[0];
	ck_assert_str_eq(t->project, "fleet-analytics");
	ck_assert_str_eq(t->dataset, "ais");
	ck_assert_str_eq(t->table, "positions_raw");
	ck_assert_str_eq(t->target_table, "Positions");
	ck_assert_uint_eq(t->ncolumns, 4);
	ck_assert_int_eq(t->sync.initial_batch, 20000);
	ck_assert_int_eq(t->sync.steady_batch, 200);
	ck_assert_double_eq(t->sync.steady_poll, 45);
	ck_assert_str_eq(t->sync.start_timestamp, "2025-06-01T00:00:00Z");
	t = &cfg.tables[1];
	ck_assert_ptr_null(t->columns);
	ck_assert_int_eq(t->sync.catchup_batch, 50);
	ck_assert_double_eq(t->sync.catchup_threshold, 7200);
	ck_assert_double_eq(t->sync.steady_threshold, 120);
	ck_assert_int_eq(cfg.synth.vessels, 2500);
	ck_assert_double_eq(cfg.synth.interval, 15);
	ck_assert_double_eq(cfg.synth.cleanup_interval, 12 * 3600);
	/* relative to the file's folder */
	ck_assert_str_eq(cfg.credentials, "/tmp/keys/reader.json");
	ck_assert_str_eq(cfg.location, "EU");
	config_release(&cfg);
	free(text);
}
END_TEST

START_TEST(test_bad_values)
{
	expect_error("harper:\n  batchRows: x\n", EXIT_CONFIG,
	    "2: key 'harper.batchRows': expected a positive integer, got 'x'");
	expect_error("harper:\n  batchRows: 0\n", EXIT_CONFIG,
	    "2: key 'harper.batchRows': expected a positive integer, got '0'");
	expect_error("harper:\n  inFlight: -1\n", EXIT_CONFIG,
	    "2: key 'harper.inFlight': expected a positive integer, got '-1'");
	expect_error("harper:\n  batchBytes: 4XB\n", EXIT_CONFIG,
	    "2: key 'harper.batchBytes': expected a positive size, got '4XB'");
	expect_error("harper:\n  timeout: 0s\n", EXIT_CONFIG,
	    "2: key 'harper.timeout': expected a positive duration, got '0s'");
	expect_error("sync:\n  lookback: 5 weeks\n", EXIT_CONFIG,
	    "2: key 'sync.lookback': expected a duration, got '5 weeks'");
	expect_error("bigquery:\n  maxRetries: 1.5\n", EXIT_CONFIG,
	    "2: key 'bigquery.maxRetries': expected a non-negative integer, "
	    "got '1.5'");
	expect_error("bigquery:\n  partition: crc\n", EXIT_CONFIG,
	    "2: key 'bigquery.partition': expected 'fingerprint' or 'micros', "
	    "got 'crc'");
	expect_error("checkpoint:\n  store: s3\n", EXIT_CONFIG,
	    "2: key 'checkpoint.store': expected 'file' or 'harper', got 's3'");
	expect_error("synthesizer:\n  streaming: maybe\n", EXIT_CONFIG,
	    "2: key 'synthesizer.streaming': expected true or false, "
	    "got 'maybe'");
	expect_error("synthesizer:\n  seed: -3\n", EXIT_CONFIG,
	    "2: key 'synthesizer.seed': expected a non-negative integer, "
	    "got '-3'");
	expect_error("harper:\n  url: [a, b]\n", EXIT_CONFIG,
	    "2: key 'harper.url': expected a single value, got a list");
	expect_error("harper: 5\n", EXIT_CONFIG,
	    "1: key 'harper': expected a mapping, got a value");
	expect_error("bigquery:\n  tables: x\n", EXIT_CONFIG,
	    "2: key 'bigquery.tables': expected a list, got a value");
	expect_error("bigquery:\n  tables: []\n", EXIT_CONFIG,
	    "2: key 'bigquery.tables': expected a non-empty list");
	expect_error("bigquery:\n  tables:\n    - id: a\n      columns: []\n",
	    EXIT_CONFIG,
	    "4: key 'bigquery.tables[0].columns': expected a non-empty list");
	expect_error("bigquery:\n  tables:\n    - id: a\n"
	    "      columns: [timestamp, '*']\n", EXIT_CONFIG,
	    "4: key 'bigquery.tables[0].columns': expected a list of names");
	expect_error("bigquery:\n  tables:\n    - id: a\n"
	    "      idColumns: [a, [b]]\n", EXIT_CONFIG,
	    "4: key 'bigquery.tables[0].idColumns': expected a list of names");
	expect_error("bigquery:\n  tables:\n    - id: a\n"
	    "      columns: [timestamp, 'x`; DROP']\n", EXIT_CONFIG,
	    "4: key 'bigquery.tables[0].columns': expected a list of names");
	expect_error("bigquery:\n  dataset: \"a\\nb\"\n", EXIT_CONFIG,
	    "2: key 'bigquery.dataset': expected a name (a space or control "
	    "character), got 'a?b'");
	expect_error("bigquery:\n  table: 'a`b'\n", EXIT_CONFIG,
	    "2: key 'bigquery.table': expected a name (a '/', '\\' or '`'), "
	    "got 'a`b'");
	expect_error("harper:\n  database: ''\n", EXIT_CONFIG,
	    "2: key 'harper.database': expected a name (empty), got ''");
	expect_error("- a\n- b\n", EXIT_CONFIG,
	    "1: expected a mapping at the top level");
}
END_TEST

START_TEST(test_table_errors)
{
	expect_error("bigquery:\n  tables:\n    - id: a\n    - id: a\n"
	    "      targetTable: X\n", EXIT_CONFIG,
	    "4: duplicate table id 'a'");
	expect_error("bigquery:\n  tables:\n    - id: a\n      targetTable: T\n"
	    "    - id: b\n      targetTable: T\n", EXIT_CONFIG,
	    "5: table 'b': target table 'T' is already used by table 'a'");
	/* Two tables without targetTable both default to BigQueryData. */
	expect_error("bigquery:\n  tables:\n    - id: a\n    - id: b\n",
	    EXIT_CONFIG, "4: table 'b': target table 'BigQueryData' is "
	    "already used by table 'a'");
	expect_error("bigquery:\n  tables:\n    - id: a\n      columns: [x, y]\n",
	    EXIT_CONFIG,
	    "3: table 'a': timestamp column 'timestamp' is not in 'columns'");
	expect_error("bigquery:\n  tables:\n    - id: a\n"
	    "      columns: [timestamp]\n      idColumns: [k]\n", EXIT_CONFIG,
	    "3: table 'a': id column 'k' is not in 'columns'");
	expect_error("bigquery:\n  tables:\n    - targetTable: A\n",
	    EXIT_CONFIG, "3: key 'bigquery.tables[0]': needs 'id' or 'table'");
	expect_error("bigquery:\n  table: t\n  tables:\n    - id: a\n",
	    EXIT_CONFIG, "2: key 'bigquery.table': not allowed with "
	    "'bigquery.tables' (line 3)");
	expect_error("bigquery:\n  table: t\n  columns: [a]\n", EXIT_CONFIG,
	    "2: table 't': timestamp column 'timestamp' is not in 'columns'");
}
END_TEST

START_TEST(test_yaml_errors)
{
	struct config cfg;
	struct bq_err err = BQ_ERR_INIT;

	expect_error("harper:\n  url: a\n  url: b\n", EXIT_CONFIG,
	    "3: duplicate key 'harper.url'");
	ck_assert_int_eq(load_text(&cfg, "harper:\n  url: [\n", &err), -1);
	ck_assert_int_eq(err.kind, EXIT_CONFIG);
	ck_assert_ptr_nonnull(strstr(err.msg, ": invalid YAML: "));
	config_release(&cfg);
	expect_error("harper: {}\n---\nsync: {}\n", EXIT_CONFIG,
	    "2: more than one YAML document");
}
END_TEST

START_TEST(test_merge_keys)
{
	struct config cfg;

	load_ok(&cfg, "bigquery:\n"
	    "  tables:\n"
	    "    - &base\n"
	    "      id: a\n"
	    "      dataset: shared\n"
	    "      timestampColumn: ts\n"
	    "      sync: &fast\n"
	    "        steadyBatchSize: 9\n"
	    "    - <<: *base\n"
	    "      id: b\n"
	    "      targetTable: B\n"
	    "    - <<: [{ dataset: first }, *base]\n"
	    "      id: c\n"
	    "      targetTable: C\n"
	    "      sync:\n"
	    "        <<: *fast\n"
	    "        pollInterval: 1s\n");
	ck_assert_uint_eq(cfg.ntables, 3);
	ck_assert_str_eq(cfg.tables[1].id, "b");		/* explicit wins */
	ck_assert_str_eq(cfg.tables[1].dataset, "shared");
	ck_assert_str_eq(cfg.tables[1].timestamp_column, "ts");
	ck_assert_str_eq(cfg.tables[1].target_table, "B");
	ck_assert_int_eq(cfg.tables[1].sync.steady_batch, 9);
	ck_assert_str_eq(cfg.tables[2].dataset, "first");	/* earlier wins */
	ck_assert_str_eq(cfg.tables[2].timestamp_column, "ts");
	ck_assert_int_eq(cfg.tables[2].sync.steady_batch, 9);
	ck_assert_double_eq(cfg.tables[2].sync.steady_poll, 1);
	config_release(&cfg);

	expect_error("a: &x {b: 1}\nharper:\n  <<: *x\n", EXIT_CONFIG,
	    " 2 unknown keys (listed above)");
	expect_error("harper:\n  <<: {bogus: 1}\n", EXIT_CONFIG,
	    "2: unknown key 'harper.bogus'");
	expect_error("harper:\n  <<: 5\n", EXIT_CONFIG,
	    "2: key 'harper': '<<' expects a mapping");
}
END_TEST

START_TEST(test_durations)
{
	ck_assert_double_eq(config_parse_duration("30"), 30);
	ck_assert_double_eq(config_parse_duration("30s"), 30);
	ck_assert_double_eq(config_parse_duration("500ms"), 0.5);
	ck_assert_double_eq(config_parse_duration("5m"), 300);
	ck_assert_double_eq(config_parse_duration("1h"), 3600);
	ck_assert_double_eq(config_parse_duration("2d"), 172800);
	ck_assert_double_eq(config_parse_duration("0"), 0);
	ck_assert_double_eq(config_parse_duration("1.5s"), 1.5);
	ck_assert_double_eq(config_parse_duration("10 s"), 10);
	ck_assert_double_eq(config_parse_duration(""), -1);
	ck_assert_double_eq(config_parse_duration("s"), -1);
	ck_assert_double_eq(config_parse_duration("-5s"), -1);
	ck_assert_double_eq(config_parse_duration("5x"), -1);
	ck_assert_double_eq(config_parse_duration("inf"), -1);
	ck_assert_double_eq(config_parse_duration("nan"), -1);
	ck_assert_double_eq(config_parse_duration("0x10"), -1);
	ck_assert_double_eq(config_parse_duration("1e400"), -1);
	ck_assert_double_eq(config_parse_duration(NULL), -1);
}
END_TEST

START_TEST(test_sizes)
{
	struct config cfg;
	struct bq_err err = BQ_ERR_INIT;

	ck_assert_int_eq(load_text(&cfg, "harper:\n  batchBytes: 512KiB\n",
	    &err), 0);
	ck_assert_int_eq(cfg.batch_bytes, 512 * 1024);
	config_release(&cfg);
	ck_assert_int_eq(load_text(&cfg, "harper:\n  batchBytes: 2000\n",
	    &err), 0);
	ck_assert_int_eq(cfg.batch_bytes, 2000);
	config_release(&cfg);
	expect_error("harper:\n  batchBytes: 99999999999999999999\n",
	    EXIT_CONFIG, "2: key 'harper.batchBytes': expected a size from "
	    "1024 to 1073741824 bytes, got '99999999999999999999'");
}
END_TEST

/*
 * Every numeric key has its option's bounds: the largest value loads, one
 * more fails with FILE:LINE: key, whatever the size (a long's overflow
 * too), and a table's sync: block is checked like the global one.
 */
START_TEST(test_ranges)
{
	static const struct {
		const char	*block;
		const char	*key;
		const char	*max;		/* loads */
		const char	*over;		/* does not */
		const char	*want;
	} k[] = {
		{ "harper", "batchRows", "1000000", "1000001",
		    "an integer from 1 to 1000000" },
		{ "harper", "batchRows", "1000000", "9223372036854775807",
		    "an integer from 1 to 1000000" },
		{ "harper", "batchRows", "1000000", "99999999999999999999",
		    "an integer from 1 to 1000000" },
		{ "harper", "inFlight", "64", "65", "an integer from 1 to 64" },
		{ "harper", "inFlight", "64", "2147483648",
		    "an integer from 1 to 64" },
		{ "harper", "batchBytes", "1GiB", "1025MiB",
		    "a size from 1024 to 1073741824 bytes" },
		{ "harper", "batchBytes", "1024", "1023",
		    "a size from 1024 to 1073741824 bytes" },
		{ "harper", "timeout", "3650d", "3651d",
		    "a duration of at most 315360000s" },
		{ "harper", "retryDeadline", "3650d", "1e400",
		    "a duration" },
		{ "harper", "retryDeadline", "3650d",
		    "99999999999999999999999999",
		    "a duration of at most 315360000s" },
		{ "bigquery", "maxRetries", "100", "101",
		    "an integer from 0 to 100" },
		{ "bigquery", "retryDeadline", "87600h", "87601h",
		    "a duration of at most 315360000s" },
		{ "sync", "initialBatchSize", "100000000", "100000001",
		    "an integer from 1 to 100000000" },
		{ "sync", "catchupBatchSize", "100000000", "100000001",
		    "an integer from 1 to 100000000" },
		{ "sync", "steadyBatchSize", "100000000", "100000001",
		    "an integer from 1 to 100000000" },
		{ "sync", "pollInterval", "315360000000", "315360000001",
		    "a duration of at most 315360000s" },
		{ "sync", "initialPollInterval", "3650d", "3651d",
		    "a duration of at most 315360000s" },
		{ "sync", "catchupPollInterval", "3650d", "3651d",
		    "a duration of at most 315360000s" },
		{ "sync", "catchupThreshold", "3650d", "3651d",
		    "a duration of at most 315360000s" },
		{ "sync", "steadyThreshold", "3650d", "3651d",
		    "a duration of at most 315360000s" },
		{ "sync", "lookback", "3650d", "9999999999999d",
		    "a duration of at most 315360000s" },
		{ "synthesizer", "vessels", "100000000", "100000001",
		    "an integer from 1 to 100000000" },
		{ "synthesizer", "totalVessels", "100000000", "100000001",
		    "an integer from 1 to 100000000" },
		{ "synthesizer", "batchSize", "100000000", "100000001",
		    "an integer from 1 to 100000000" },
		{ "synthesizer", "loadRows", "100000000", "100000001",
		    "an integer from 1 to 100000000" },
		{ "synthesizer", "retentionDays", "3650", "3651",
		    "an integer from 1 to 3650" },
		{ "synthesizer", "generationInterval", "3650d", "3651d",
		    "a duration of at most 315360000s" },
		{ "synthesizer", "generationIntervalMs", "315360000000",
		    "315360000001", "a duration of at most 315360000s" },
		{ "synthesizer", "cleanupInterval", "3650d", "3651d",
		    "a duration of at most 315360000s" },
		{ "synthesizer", "cleanupIntervalHours", "87600", "87601",
		    "a duration of at most 315360000s" },
	};
	struct config cfg;
	char text[256], want[256];
	size_t i;

	for (i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		snprintf(text, sizeof(text), "%s:\n  %s: %s\n", k[i].block,
		    k[i].key, k[i].max);
		load_ok(&cfg, text);
		config_release(&cfg);
		snprintf(text, sizeof(text), "# comment\n%s:\n  %s: %s\n",
		    k[i].block, k[i].key, k[i].over);
		snprintf(want, sizeof(want), "3: key '%s.%s': expected %s, "
		    "got '%s'", k[i].block, k[i].key, k[i].want, k[i].over);
		expect_error(text, EXIT_CONFIG, want);
	}
	/* A table's own sync: block. */
	expect_error("bigquery:\n  tables:\n    - id: a\n      sync:\n"
	    "        steadyBatchSize: 2147483648\n", EXIT_CONFIG,
	    "5: key 'bigquery.tables[0].sync.steadyBatchSize': expected an "
	    "integer from 1 to 100000000, got '2147483648'");
}
END_TEST

/*
 * Table, dataset, project and database names reach URL paths, file names
 * and SQL: a tab, a '/', "..", a space are refused at load.
 */
START_TEST(test_names)
{
	static const struct {
		const char	*name;		/* YAML text */
		const char	*shown;
		const char	*why;
	} bad[] = {
		{ "\"a\\tb\"", "a?b", "a space or control character" },
		{ "a/b", "a/b", "a '/', '\\' or '`'" },
		{ "../../etc", "../../etc", "a '/', '\\' or '`'" },
		{ "..", "..", "'.' or '..'" },
		{ "'a b'", "a b", "a space or control character" },
		{ "'a\\b'", "a\\b", "a '/', '\\' or '`'" },
	};
	static const char *const keys[] = {
		"id", "table", "targetTable", "dataset", "projectId"
	};
	struct config cfg;
	struct bq_err err = BQ_ERR_INIT;
	char text[256], want[256];
	size_t i, k;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		for (k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
			snprintf(text, sizeof(text), "bigquery:\n  tables:\n"
			    "    - id: x\n      %s: %s\n", keys[k],
			    bad[i].name);
			if (k == 0)
				snprintf(text, sizeof(text), "bigquery:\n"
				    "  tables:\n    - id: %s\n", bad[i].name);
			snprintf(want, sizeof(want), "%d: key "
			    "'bigquery.tables[0].%s': expected a name (%s), "
			    "got '%s'", k == 0 ? 3 : 4, keys[k], bad[i].why,
			    bad[i].shown);
			expect_error(text, EXIT_CONFIG, want);
		}
		snprintf(text, sizeof(text), "checkpoint:\n  table: %s\n",
		    bad[i].name);
		snprintf(want, sizeof(want), "2: key 'checkpoint.table': "
		    "expected a name (%s), got '%s'", bad[i].why,
		    bad[i].shown);
		expect_error(text, EXIT_CONFIG, want);
	}
	ck_assert_str_eq(config_name_error(""), "empty");
	ck_assert_ptr_null(config_name_error("vessel_positions"));
	ck_assert_ptr_null(config_name_error("my-project:eu.ds$1"));
	ck_assert_ptr_null(config_name_error("...x"));
	ck_assert_int_eq(load_text(&cfg, "bigquery:\n  tables:\n"
	    "    - id: Vessel-Positions.v2\n", &err), 0);
	config_release(&cfg);
}
END_TEST

/* The BigQuery caps: sizes up to TiB, never below the least bill. */
START_TEST(test_byte_caps)
{
	struct config cfg;
	struct bq_err err = BQ_ERR_INIT;

	ck_assert_int_eq(load_text(&cfg, "bigquery:\n  maximumBytesBilled: "
	    "2GiB\n  dailyBytesLimit: 1TiB\n", &err), 0);
	ck_assert_int_eq(cfg.max_bytes_billed, 2L << 30);
	ck_assert_int_eq(cfg.daily_bytes_limit, 1L << 40);
	config_release(&cfg);
	ck_assert_int_eq(load_text(&cfg, "bigquery:\n  projectId: p\n",
	    &err), 0);
	ck_assert_int_eq(cfg.max_bytes_billed, 0);
	ck_assert_int_eq(cfg.daily_bytes_limit, 0);
	config_release(&cfg);
	expect_error("bigquery:\n  dailyBytesLimit: 9MiB\n", EXIT_CONFIG,
	    "2: key 'bigquery.dailyBytesLimit': expected a size of at least "
	    "10MiB, got '9MiB'");
}
END_TEST

START_TEST(test_table_lookup)
{
	struct config cfg;
	struct bq_err err = BQ_ERR_INIT;
	struct config_table *t;

	clear_env();
	ck_assert_int_eq(config_load(&cfg, "config.yaml", &err), 0);
	t = config_table(&cfg, NULL, &err);
	ck_assert_str_eq(t->id, "vessel_positions");
	t = config_table(&cfg, "port_events", &err);
	ck_assert_str_eq(t->target_table, "PortEvents");
	t = config_table(&cfg, "VesselMetadata", &err);
	ck_assert_str_eq(t->id, "vessel_metadata");
	ck_assert_ptr_null(config_table(&cfg, "nope", &err));
	ck_assert_int_eq(err.kind, EXIT_CONFIG);
	ck_assert_str_eq(err.msg, "unknown table 'nope'");

	t = config_table_add(&cfg, "Extra");
	ck_assert_uint_eq(cfg.ntables, 4);
	ck_assert_str_eq(t->id, "Extra");
	ck_assert_str_eq(t->table, "Extra");
	ck_assert_str_eq(t->target_table, "Extra");
	ck_assert_str_eq(t->timestamp_column, "timestamp");
	ck_assert_str_eq(t->dataset, "maritime_tracking");
	ck_assert_int_eq(t->sync.steady_batch, 500);
	ck_assert_ptr_eq(config_table(&cfg, "Extra", &err), t);
	config_release(&cfg);

	/* By table name when id and target differ. */
	ck_assert_int_eq(load_text(&cfg, "bigquery:\n  tables:\n"
	    "    - id: x\n      table: raw\n      targetTable: X\n", &err), 0);
	ck_assert_ptr_eq(config_table(&cfg, "raw", &err), &cfg.tables[0]);
	config_release(&cfg);

	config_init(&cfg);
	ck_assert_ptr_null(config_table(&cfg, NULL, &err));
	ck_assert_int_eq(err.kind, EXIT_CONFIG);
	t = config_table_add(&cfg, "T");
	ck_assert_ptr_null(t->dataset);
	ck_assert_ptr_eq(config_table(&cfg, NULL, &err), t);
	config_release(&cfg);
}
END_TEST

static int warned;

static void
count_warn(enum log_level lvl, const char *msg, void *arg)
{
	(void)arg;
	if (lvl == BQ_LOG_WARN && strstr(msg, "readable") != NULL &&
	    strstr(msg, "sekrit") == NULL)
		warned++;
}

START_TEST(test_password_mode_warning)
{
	struct config cfg;
	struct bq_err err = BQ_ERR_INIT;

	clear_env();
	bqsync_set_log(count_warn, NULL);
	write_tmp("harper:\n  password: sekrit\n");
	chmod(tmp_path, 0600);
	warned = 0;
	ck_assert_int_eq(config_load(&cfg, tmp_path, &err), 0);
	ck_assert_int_eq(warned, 0);
	config_release(&cfg);
	chmod(tmp_path, 0644);
	ck_assert_int_eq(config_load(&cfg, tmp_path, &err), 0);
	ck_assert_int_eq(warned, 1);
	ck_assert_str_eq(cfg.harper_password, "sekrit");
	config_release(&cfg);
	unlink(tmp_path);
	bqsync_set_log(NULL, NULL);
}
END_TEST

/* The EXAMPLES config of man/bqsync-config.5 loads and means what it says. */
START_TEST(test_man_example)
{
	struct config cfg;
	struct bq_err err = BQ_ERR_INIT;
	struct strbuf page = STRBUF_INIT, yaml = STRBUF_INIT;
	struct config_table *t;
	const char *ex, *start, *end;

	ck_assert_int_eq(util_read_file("man/bqsync-config.5", &page), 0);
	ex = strstr(page.buf, ".Sh EXAMPLES");
	ck_assert_ptr_nonnull(ex);
	start = strstr(ex, ".Bd -literal -offset indent\n");
	ck_assert_ptr_nonnull(start);
	start = strchr(start, '\n') + 1;
	end = strstr(start, ".Ed\n");
	ck_assert_ptr_nonnull(end);
	strbuf_add(&yaml, start, (size_t)(end - start));
	load_ok(&cfg, yaml.buf);
	ck_assert_uint_eq(cfg.ntables, 2);
	t = config_table(&cfg, "VesselMetadata", &err);
	ck_assert_ptr_nonnull(t);
	expect_table(t,
	    "id", "vessel_metadata",
	    "dataset", "maritime_tracking",
	    "project", "my-project",
	    "timestamp_column", "last_updated",
	    "nid_columns", "1");
	ck_assert_str_eq(t->indexes[0], "last_updated");
	ck_assert_double_eq(t->sync.steady_poll, 120);
	t = &cfg.tables[0];
	ck_assert_str_eq(t->timestamp_column, "timestamp");
	ck_assert_ptr_null(t->id_columns);
	ck_assert_double_eq(t->sync.steady_poll, 30);
	ck_assert_int_eq(cfg.batch_rows, 1000);
	config_release(&cfg);
	strbuf_release(&yaml);
	strbuf_release(&page);
}
END_TEST

START_TEST(test_set_str)
{
	char *s = NULL;

	config_set_str(&s, "a");
	ck_assert_str_eq(s, "a");
	config_set_str(&s, "b");
	ck_assert_str_eq(s, "b");
	config_set_str(&s, NULL);
	ck_assert_ptr_null(s);
}
END_TEST

START_TEST(test_table_keys)
{
	struct config_table t;
	char *cols[] = { (char *)"mmsi", (char *)"imo" };
	char *const *k;
	size_t n = 9;

	memset(&t, 0, sizeof(t));
	ck_assert_ptr_null(config_table_keys(&t, &n));
	ck_assert_uint_eq(n, 0);
	t.id_column = (char *)"id";
	k = config_table_keys(&t, &n);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(k[0], "id");
	t.id_columns = cols;	/* idColumns wins over idColumn */
	t.nid_columns = 2;
	k = config_table_keys(&t, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(k[1], "imo");
}
END_TEST

CHECK_TESTS("config", 0,
    test_defaults,
    test_reference_file,
    test_every_key,
    test_synth_aliases,
    test_legacy_form,
    test_env_overrides_file,
    test_empty_env_is_unset,
    test_lookup_order,
    test_missing_explicit_file,
    test_empty_file,
    test_null_keeps_default,
    test_unknown_keys,
    test_plugin_config,
    test_plugin_file_one_run,
    test_plugin_file_migrated,
    test_bad_values,
    test_table_errors,
    test_yaml_errors,
    test_merge_keys,
    test_durations,
    test_sizes,
    test_ranges,
    test_names,
    test_table_lookup,
    test_password_mode_warning,
    test_man_example,
    test_set_str,
    test_byte_caps,
    test_table_keys)
