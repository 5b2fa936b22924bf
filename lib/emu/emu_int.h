/*
 * emu_int: what the parts of the emulator's server share (private to
 * lib/emu/): the server state, jobs, fault rules, and the request and
 * response of one call.  Locking: handlers run with e->mu held unless
 * they say otherwise.
 */
#ifndef BQSYNC_EMU_INT_H
#define BQSYNC_EMU_INT_H

#include <pthread.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <openssl/evp.h>
#include <sqlite3.h>

#include "emu.h"
#include "emusql.h"
#include "util.h"

#define MAX_BODY	(10u << 20)	/* API request body limit, as BigQuery */
#define MAX_UPLOAD	(512u << 20)	/* load job upload limit */
#define IDLE_TIMEOUT	10		/* seconds a connection may stay idle */
#define MAX_CONNECTIONS	256		/* connections (threads) at once */
#define LISTEN_BACKLOG	32		/* beyond that, the kernel refuses */
#define PAGE_BYTES	(10u << 20)	/* response page limit, as BigQuery */
#define KEEP_RESULTS	64		/* materialised results kept */
#define MAX_KEYS	8

struct fault {
	char	*path;		/* substring of the URL, or NULL = any */
	char	*method;	/* or NULL = any */
	int	 status;	/* HTTP error to answer, or 0 */
	char	*reason;	/* error reason, or NULL = by status */
	long	 delay_ms;
	int	 incomplete;	/* jobComplete:false polls for new jobs */
	long	 job_delay_ms;	/* new jobs finish this much later */
	int	 truncate;
	int	 expire_tokens;
	int	 count;		/* matches left; -1 = forever */
};

struct job {
	char	*project, *id, *location;
	char	*request_id;
	cJSON	*config;	/* "configuration" as the client sent it */
	char	 type[8];	/* QUERY or LOAD */
	int64_t	 created, ended;	/* ms */
	double	 ready_at;	/* monotonic seconds */
	int	 incomplete;
	int	 http;		/* 0, or the error the job failed with */
	char	 reason[32];
	char	*msg;
	cJSON	*errors;	/* extra ErrorProtos (loads) or NULL */
	long	 result;	/* res."r_N", or 0 */
	int64_t	 nrows;
	cJSON	*schema;	/* {"fields":[...]} or NULL */
	int	 dml;		/* 0 (SELECT) or its enum emusql_kind */
	int64_t	 affected;
	int64_t	 bytes;
	int64_t	 billed;
	int	 dry_run;
	cJSON	*load_stats;
};

/* A resumable upload in progress (bq load). */
struct upload {
	char		*id;
	char		*project;
	cJSON		*job;
	struct strbuf	 data;
};

struct emu {
	struct MHD_Daemon *d;
	sqlite3		*db;
	pthread_mutex_t	 mu;
	int		 port;
	char		*host;
	char		*project;
	char		*discovery;
	long		 latency_ms;
	int64_t		 max_response;	/* responseTooLarge above it */
	struct fault	*faults;
	size_t		 nfaults;
	struct job	**jobs;
	size_t		 njobs;
	struct upload	*uploads;
	size_t		 nuploads;
	long		 next_result;
	long		 results[KEEP_RESULTS];
	size_t		 nresults;
	uint64_t	 seq;
	EVP_PKEY	*keys[MAX_KEYS];
	int		 nkeys;
	cJSON		*token_user;
	char		*key_email;	/* client_email of a -k key file, or NULL */
	char		**tokens;	/* issued access tokens */
	double		*token_exp;
	size_t		 ntokens;
	int		 auth;		/* API calls need a token */
};

/* One HTTP answer under construction. */
struct resp {
	int	 status;
	struct strbuf body;
	const char *ctype;
	char	*location;	/* Location header, or NULL */
	char	*range;		/* Range header (308), or NULL */
};

struct req {
	struct strbuf body;
	int	 too_big;
	int	 unauthorized;	/* -k and no valid token: refused unread */
};

/* What a handler sees of the request. */
struct call {
	struct emu	*e;
	struct MHD_Connection *conn;
	const char	*method;
	char		*seg[10];
	int		 nseg;
	int		 upload;
	const char	*body;
	size_t		 blen;
	struct resp	*r;
};


struct lookup_arg {
	struct emu	*e;
	cJSON		*metas[32];
	int		 n;
};

struct coltypes {
	enum emu_type	*t;
	const cJSON	**f;
	int		 n;
};

/* emu.c */
const char *emu_arg(struct call *c, const char *name);
int	emu_arg_bool(struct call *c, const char *name);
int64_t	emu_now_ms(void);
void	emu_resp_json(struct resp *r, int status, cJSON *j);
cJSON *emu_error_proto(const char *reason, const char *msg);
/* BigQuery's error envelope; returns -1 for "return emu_resp_error(...)". */
int	emu_resp_error(struct resp *r, int code, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
int	emu_bad_request(struct resp *r, const char *msg);
/* common.c */
cJSON *emu_parse_body(struct call *c);
const cJSON *emu_jget(const cJSON *o, const char *k);
int	emu_jbool(const cJSON *o, const char *k);
long	emu_jlong(const cJSON *o, const char *k, long def);
void	emu_add_i64(cJSON *o, const char *k, int64_t v);
int	emu_valid_id(const char *s, int dashes);
char *emu_sql_name(const char *p, const char *d, const char *t);
int	emu_exec(struct emu *e, const char *sql);
void	emu_b64_add(struct strbuf *sb, const unsigned char *p, size_t n);
/* catalog.c */
/* The table resource (caller frees) and its SQLite name, or NULL. */
cJSON *emu_table_meta(struct emu *e, const char *p, const char *d, const char *t,
    char **sqlname);
cJSON *emu_dataset_meta(struct emu *e, const char *p, const char *d);
int64_t	emu_count_rows(struct emu *e, const char *sqlname);
/* bill.c */
/*
 * The logical bytes (BigQuery's per-type sizes) that scan s reads of the
 * table sqlname described by meta: its used columns over the partitions its
 * bounds leave; with s NULL, every column of every row (numBytes).
 */
int64_t	emu_scan_bytes(struct emu *e, const char *sqlname,
    const struct emusql_scan *s, const cJSON *meta);
/* totalBytesBilled for n table reads: 10 MiB each at least, in MiB. */
int64_t	emu_bill(const int64_t *bytes, size_t n);
/* The logical size of result table res."r_N" of the given schema. */
int64_t	emu_result_bytes(struct emu *e, long r, const cJSON *schema);
int	emu_lookup_cb(void *argp, const char *p, const char *d, const char *t,
    char **sqlname, const cJSON **fields);
void	emu_lookup_release(struct lookup_arg *a);
void	emu_set_item(cJSON *m, const cJSON *kv);
void	emu_stamp(cJSON *m, const char *kind, const char *id, const char *self);
int	emu_save_meta(struct emu *e, const char *sql, const char *p, const char *d,
    const char *t, const char *sqlname, const cJSON *meta);
void	emu_h_dataset_insert(struct call *c, const char *p);
void	emu_drop_table(struct emu *e, const char *sqlname);
void	emu_h_dataset(struct call *c, const char *p, const char *d);
void	emu_h_dataset_list(struct call *c, const char *p);
/* values.c */
int	emu_field_info(const cJSON *f, enum emu_type *t, int *repeated, int *required);
/* A top-level field's request value -> a bind; NULL v = absent. */
int	emu_row_value(const cJSON *f, const cJSON *v, int ignore, struct emusql_bind *b,
    char *msg, size_t msz);
void	emu_bind_one(sqlite3_stmt *st, int k, const struct emusql_bind *b);
void	emu_coltypes_from_fields(const cJSON *fields, struct coltypes *ct);
void	emu_coltypes_release(struct coltypes *ct);
/*
 * Steps st (column 0 = rowid, then the fields) and appends up to max rows
 * (max < 0: no count limit) as "[{"f":[...]},...]".  Returns 1 if rows
 * remain, 0 if not, -1 on SQLite errors.
 */
int	emu_write_rows(sqlite3_stmt *st, const struct coltypes *ct, int i64ts, long max,
    struct strbuf *rows, long *count, int64_t *last_rowid);
/* Prints o and splices "rows" (if any rows) into it. */
void	emu_resp_with_rows(struct resp *r, cJSON *o, const struct strbuf *rows,
    long count);
char *emu_make_token(int64_t off);
int	emu_parse_token(const char *tok, int64_t *off);
/* tables.c */
/* Creates table p.d.t from a tables.insert-shaped body; meta to *out. */
int	emu_table_create(struct call *c, const char *p, const char *d, const char *t,
    const cJSON *body, cJSON **out);
void	emu_h_table_insert(struct call *c, const char *p, const char *d);
void	emu_h_table_list(struct call *c, const char *p, const char *d);
void	emu_h_table(struct call *c, const char *p, const char *d, const char *t);
void	emu_h_tabledata(struct call *c, const char *p, const char *d, const char *t);
/*
 * Validates one row against fields into binds (one per field).  Returns
 * 0, or -1 with msg and the offending field name in loc.
 */
int	emu_row_binds(const cJSON *fields, const cJSON *row, int ignore,
    struct emusql_bind *b, char *msg, size_t msz, const char **loc);
sqlite3_stmt *emu_insert_stmt(struct emu *e, const char *sqlname, const cJSON *fields);
int	emu_insert_binds(sqlite3_stmt *st, struct emusql_bind *b, int n);
void	emu_h_insert_all(struct call *c, const char *p, const char *d, const char *t);
/* jobs.c */
struct job *emu_job_find(struct emu *e, const char *p, const char *id);
void	emu_job_free(struct job *j);
struct job *emu_job_new(struct emu *e, const char *p, const char *id, const char *loc,
    const char *type);
void	emu_job_fail(struct job *j, int http, const char *reason, const char *msg);
/* Runs a query configuration (jobs.query body or configuration.query). */
void	emu_run_query(struct emu *e, struct job *j, const cJSON *qc, int dry);
/* 1 if the job may report completion now (consumes one fault poll). */
int	emu_job_ready(struct job *j);
cJSON *emu_job_resource(struct emu *e, struct job *j, int done);
void	emu_h_query(struct call *c, const char *p);
void	emu_h_query_results(struct call *c, const char *p, const char *id);
/* loadjob.c */
const char *emu_header(struct call *c, const char *name);
void	emu_h_jobs_insert(struct call *c, const char *p);
void	emu_h_job(struct call *c, const char *p, const char *id, const char *verb);
void	emu_h_jobs_list(struct call *c, const char *p);
/* faults.c */
void	emu_fault_release(struct fault *f);
void	emu_tokens_clear(struct emu *e);
/*
 * Applies the fault rules matching this request: returns 1 if the answer
 * is already in c->r; *delay_ms and *truncate report the rest.
 */
int	emu_apply_faults(struct call *c, const char *url, long *delay_ms, int *truncate);
void	emu_h_faults(struct call *c);
/* oauth.c */
void	emu_h_token(struct call *c);
/* 0 if the request carries a valid issued token (or none is needed). */
int	emu_check_auth(struct call *c);
int	emu_load_keys(struct emu *e, const char *path, struct bq_err *err);

#endif
