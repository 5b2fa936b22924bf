/*
 * bill: what a query costs, as BigQuery bills on-demand queries
 * (bq-emulator(1), Billing): the logical size of each referenced column
 * over the partitions the scan reads; a TIMESTAMP DAY or HOUR partitioning
 * prunes on the scan's bounds (emusql_scan_where()).  MONTH and YEAR
 * partitions, DATE partitioning columns and clustering do not prune here,
 * so the emulator bills at least what BigQuery would.
 */
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "emu_int.h"
#include "banned.h"

#define MIB	(1LL << 20)
#define MIN_BILL	(10 * MIB)

/* Appends the logical size of one value of column name (BigQuery's). */
static void
add_size(struct strbuf *sb, const char *name, const cJSON *f)
{
	const char *ty = util_json_str(f, "type"), *mo = util_json_str(f,
	    "mode");
	enum emu_type t = EMU_T_STRING;
	struct strbuf q = STRBUF_INIT;

	emusql_add_quoted(&q, name);
	if (ty != NULL)
		emusql_type_parse(ty, &t);
	if (mo != NULL && strcasecmp(mo, "REPEATED") == 0)
		t = EMU_T_NESTED;
	switch (t) {
	case EMU_T_BOOL:
		strbuf_addf(sb, "(%s IS NOT NULL)", q.buf);
		break;
	case EMU_T_NUMERIC:
		strbuf_addf(sb, "16 * (%s IS NOT NULL)", q.buf);
		break;
	case EMU_T_BIGNUMERIC:
		strbuf_addf(sb, "32 * (%s IS NOT NULL)", q.buf);
		break;
	case EMU_T_STRING:
	case EMU_T_BYTES:
		strbuf_addf(sb, "COALESCE(2 + length(CAST(%s AS BLOB)), 0)",
		    q.buf);
		break;
	case EMU_T_GEOGRAPHY:	/* 16 + 24 a vertex; vertices ~ commas */
		strbuf_addf(sb, "COALESCE(40 + 24 * (length(%s) - "
		    "length(replace(%s, ',', ''))), 0)", q.buf, q.buf);
		break;
	case EMU_T_JSON:
	case EMU_T_NESTED:	/* its text: near the sum of its values */
		strbuf_addf(sb, "COALESCE(length(CAST(%s AS BLOB)), 0)", q.buf);
		break;
	default:		/* INT64, FLOAT64, dates and times */
		strbuf_addf(sb, "8 * (%s IS NOT NULL)", q.buf);
		break;
	}
	strbuf_release(&q);
}

/* The integer that query sql answers, or 0. */
static int64_t
scalar(struct emu *e, const char *sql)
{
	sqlite3_stmt *st = NULL;
	int64_t n = 0;

	if (sqlite3_prepare_v2(e->db, sql, -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return n;
}

/* The partition unit of meta's TIMESTAMP partitioning, or 0. */
static int64_t
partition_unit(const cJSON *meta, const char **field)
{
	const cJSON *tp = emu_jget(meta, "timePartitioning");
	const char *ty = util_json_str(tp, "type");

	*field = util_json_str(tp, "field");
	if (*field == NULL || ty == NULL)
		return 0;
	if (strcmp(ty, "DAY") == 0)
		return 86400LL * 1000000;
	if (strcmp(ty, "HOUR") == 0)
		return 3600LL * 1000000;
	return 0;
}

static int64_t
floor_to(int64_t v, int64_t unit)
{
	return v / unit * unit - (v % unit < 0 ? unit : 0);
}

int64_t
emu_scan_bytes(struct emu *e, const char *sqlname,
    const struct emusql_scan *s, const cJSON *meta)
{
	struct strbuf sb = STRBUF_INIT;
	const cJSON *f;
	const char *pfield = NULL, *nm;
	int64_t unit = partition_unit(meta, &pfield), n = 0, lo, hi;
	size_t k = 0, pk = SIZE_MAX;
	int any = 0;

	strbuf_adds(&sb, "SELECT COALESCE(SUM(0");
	cJSON_ArrayForEach(f, emu_jget(emu_jget(meta, "schema"), "fields")) {
		if ((nm = util_json_str(f, "name")) == NULL)
			continue;
		if (pfield != NULL && strcasecmp(nm, pfield) == 0)
			pk = k;
		if (s == NULL || (k < s->ncols && s->used[k])) {
			strbuf_adds(&sb, " + ");
			add_size(&sb, nm, f);
			any = 1;
		}
		k++;
	}
	strbuf_adds(&sb, "), 0) FROM ");
	emusql_add_quoted(&sb, sqlname);
	if (s != NULL && unit > 0 && pk < s->ncols &&
	    (s->lo[pk] != INT64_MIN || s->hi[pk] != INT64_MAX)) {
		lo = s->lo[pk] == INT64_MIN ? INT64_MIN : floor_to(s->lo[pk],
		    unit);
		hi = s->hi[pk] >= INT64_MAX - unit ? INT64_MAX :
		    floor_to(s->hi[pk], unit) + unit;
		strbuf_adds(&sb, " WHERE ");
		emusql_add_quoted(&sb, pfield);
		strbuf_addf(&sb, " >= %lld AND ", (long long)lo);
		emusql_add_quoted(&sb, pfield);
		strbuf_addf(&sb, " < %lld", (long long)hi);
	}
	if (any)
		n = scalar(e, sb.buf);
	strbuf_release(&sb);
	return n;
}

int64_t
emu_result_bytes(struct emu *e, long r, const cJSON *schema)
{
	struct strbuf sb = STRBUF_INIT;
	const cJSON *f;
	char col[32];
	size_t k = 0;
	int64_t n = 0;

	strbuf_adds(&sb, "SELECT COALESCE(SUM(0");
	cJSON_ArrayForEach(f, emu_jget(schema, "fields")) {
		snprintf(col, sizeof(col), "c%zu", k++);
		strbuf_adds(&sb, " + ");
		add_size(&sb, col, f);
	}
	strbuf_addf(&sb, "), 0) FROM res.\"r_%ld\"", r);
	n = scalar(e, sb.buf);
	strbuf_release(&sb);
	return n;
}

int64_t
emu_bill(const int64_t *bytes, size_t n)
{
	int64_t sum = 0;
	size_t i;

	if (n == 0)
		return 0;	/* no table read: nothing billed */
	for (i = 0; i < n; i++)
		sum += bytes[i] < MIN_BILL ? MIN_BILL : bytes[i];
	sum = sum < MIN_BILL ? MIN_BILL : sum;
	return (sum + MIB - 1) / MIB * MIB;
}
