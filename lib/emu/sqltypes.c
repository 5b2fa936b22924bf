/*
 * emusql: BigQuery types and values in storage form.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emusql_int.h"
#include "ts.h"
#include "banned.h"

/* ------------------------------------------------------------------ */
/* Types and values                                                     */

static const struct {
	const char	*name;
	enum emu_type	 t;
} type_names[] = {
	{ "INTEGER", EMU_T_INT64 }, { "INT64", EMU_T_INT64 },
	{ "FLOAT", EMU_T_FLOAT64 }, { "FLOAT64", EMU_T_FLOAT64 },
	{ "NUMERIC", EMU_T_NUMERIC }, { "DECIMAL", EMU_T_NUMERIC },
	{ "BIGNUMERIC", EMU_T_BIGNUMERIC }, { "BIGDECIMAL", EMU_T_BIGNUMERIC },
	{ "BOOLEAN", EMU_T_BOOL }, { "BOOL", EMU_T_BOOL },
	{ "STRING", EMU_T_STRING }, { "BYTES", EMU_T_BYTES },
	{ "DATE", EMU_T_DATE }, { "DATETIME", EMU_T_DATETIME },
	{ "TIME", EMU_T_TIME }, { "TIMESTAMP", EMU_T_TIMESTAMP },
	{ "GEOGRAPHY", EMU_T_GEOGRAPHY }, { "JSON", EMU_T_JSON },
	{ "RECORD", EMU_T_NESTED }, { "STRUCT", EMU_T_NESTED },
};

const char *
emusql_type_name(enum emu_type t)
{
	switch (t) {
	case EMU_T_NULL:
	case EMU_T_INT64:	return "INTEGER";
	case EMU_T_FLOAT64:	return "FLOAT";
	case EMU_T_NUMERIC:	return "NUMERIC";
	case EMU_T_BIGNUMERIC:	return "BIGNUMERIC";
	case EMU_T_BOOL:	return "BOOLEAN";
	case EMU_T_STRING:	return "STRING";
	case EMU_T_BYTES:	return "BYTES";
	case EMU_T_DATE:	return "DATE";
	case EMU_T_DATETIME:	return "DATETIME";
	case EMU_T_TIME:	return "TIME";
	case EMU_T_TIMESTAMP:	return "TIMESTAMP";
	case EMU_T_GEOGRAPHY:	return "GEOGRAPHY";
	case EMU_T_JSON:	return "JSON";
	case EMU_T_NESTED:	return "RECORD";
	}
	return "STRING";
}

int
emusql_type_parse(const char *name, enum emu_type *out)
{
	size_t i;

	for (i = 0; i < sizeof(type_names) / sizeof(type_names[0]); i++)
		if (strcasecmp(name, type_names[i].name) == 0) {
			*out = type_names[i].t;
			return 0;
		}
	return -1;
}

void
emusql_add_quoted(struct strbuf *sb, const char *name)
{
	strbuf_addch(sb, '"');
	for (; *name; name++) {
		if (*name == '"')
			strbuf_addch(sb, '"');
		strbuf_addch(sb, *name);
	}
	strbuf_addch(sb, '"');
}

void
emusql_split_micros(int64_t us, int64_t *days, int64_t *rem)
{
	*days = us / 86400000000LL;
	*rem = us % 86400000000LL;
	if (*rem < 0) {
		*rem += 86400000000LL;
		(*days)--;
	}
}

char *
emusql_format_ts_string(int64_t us, char buf[48])
{
	int64_t days, rem, y, frac;
	unsigned m, d;
	int n;

	emusql_split_micros(us, &days, &rem);
	ts_civil_from_days(days, &y, &m, &d);
	n = snprintf(buf, 48, "%04lld-%02u-%02u %02lld:%02lld:%02lld",
	    (long long)y, m, d, (long long)(rem / 3600000000LL),
	    (long long)(rem / 60000000 % 60), (long long)(rem / 1000000 % 60));
	frac = rem % 1000000;
	/* ZetaSQL prints 0, 3 or 6 fractional digits, as few as exact. */
	if (frac % 1000 == 0 && frac != 0)
		n += snprintf(buf + n, 48 - (size_t)n, ".%03lld",
		    (long long)(frac / 1000));
	else if (frac != 0)
		n += snprintf(buf + n, 48 - (size_t)n, ".%06lld",
		    (long long)frac);
	snprintf(buf + n, 48 - (size_t)n, "+00");
	return buf;
}

/* Canonical DATE "YYYY-MM-DD"; 0 or -1. */
static int
canon_date(const char *s, char out[16])
{
	int y, m, d;
	char tail;
	int64_t yy;
	unsigned mm, dd;

	if (strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
		return -1;
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	ts_civil_from_days(ts_days_from_civil(y, (unsigned)m, (unsigned)d),
	    &yy, &mm, &dd);
	if (mm != (unsigned)m || dd != (unsigned)d)
		return -1;
	snprintf(out, 16, "%04d-%02d-%02d", y, m, d);
	return 0;
}

/* Canonical TIME "HH:MM:SS[.ffffff]"; 0 or -1. */
static int
canon_time(const char *s, char out[24])
{
	int h, m, sec, n = 0, i;
	long frac = 0;
	const char *p;

	if (sscanf(s, "%2d:%2d:%2d%n", &h, &m, &sec, &n) != 3 || n != 8 ||
	    h < 0 || m < 0 || sec < 0 || h > 23 || m > 59 || sec > 59 ||
	    !isdigit((unsigned char)s[0]))
		return -1;
	p = s + 8;
	if (*p == '.') {
		for (i = 0, p++; isdigit((unsigned char)*p); p++, i++)
			if (i < 6)
				frac = frac * 10 + (*p - '0');
		if (i == 0 || i > 9)
			return -1;
		for (; i < 6; i++)
			frac *= 10;
	}
	if (*p)
		return -1;
	if (frac)
		snprintf(out, 24, "%02u:%02u:%02u.%06lu", (unsigned)h % 24,
		    (unsigned)m % 60, (unsigned)sec % 60,
		    (unsigned long)frac % 1000000);
	else
		snprintf(out, 24, "%02u:%02u:%02u", (unsigned)h % 24,
		    (unsigned)m % 60, (unsigned)sec % 60);
	return 0;
}

/* Canonical DATETIME "YYYY-MM-DDTHH:MM:SS[.ffffff]"; 0 or -1. */
static int
canon_datetime(const char *s, char out[48])
{
	char d[16], t[24], tmp[16];

	if (strlen(s) < 10)
		return -1;
	memcpy(tmp, s, 10);
	tmp[10] = '\0';
	if (canon_date(tmp, d) == -1)
		return -1;
	if (s[10] == '\0') {
		snprintf(out, 48, "%sT00:00:00", d);
		return 0;
	}
	if ((s[10] != ' ' && s[10] != 'T' && s[10] != 't') ||
	    canon_time(s + 11, t) == -1)
		return -1;
	snprintf(out, 48, "%sT%s", d, t);
	return 0;
}

/* Canonical NUMERIC text: optional '-', digits, optional fraction. */
static int
canon_numeric(const char *s, int maxfrac, char **out)
{
	const char *p = s, *ip, *fp = NULL;
	size_t il = 0, fl = 0;
	int neg = 0;
	struct strbuf sb = STRBUF_INIT;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	ip = p;
	while (isdigit((unsigned char)*p))
		p++, il++;
	if (*p == '.') {
		fp = ++p;
		while (isdigit((unsigned char)*p))
			p++, fl++;
	}
	if (*p || il + fl == 0 || (int)fl > maxfrac)
		return -1;
	while (il > 1 && *ip == '0')
		ip++, il--;
	while (fl > 0 && fp[fl - 1] == '0')
		fl--;
	if (il == 0) {
		ip = "0";
		il = 1;
	}
	if (neg && !(il == 1 && *ip == '0' && fl == 0))
		strbuf_addch(&sb, '-');
	strbuf_add(&sb, ip, il);
	if (fl) {
		strbuf_addch(&sb, '.');
		strbuf_add(&sb, fp, fl);
	}
	*out = strbuf_detach(&sb, NULL);
	return 0;
}

static int
parse_int64(const char *s, int64_t *v)
{
	char *end;
	long long x;

	errno = 0;
	x = strtoll(s, &end, 10);
	if (errno || end == s || *end)
		return -1;
	*v = x;
	return 0;
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+' || c == '-')
		return 62;
	if (c == '/' || c == '_')
		return 63;
	return -1;
}

/* Decodes standard (or url-safe) base64; returns malloc'd bytes or NULL. */
static char *
b64_decode(const char *s, size_t *outlen)
{
	size_t n = strlen(s), i, o = 0;
	char *out = xmalloc(n / 4 * 3 + 4);
	unsigned acc = 0;
	int bits = 0, v, pad = 0;

	for (i = 0; i < n; i++) {
		if (s[i] == '=') {
			pad++;
			continue;
		}
		if (pad || (v = b64val((unsigned char)s[i])) < 0) {
			free(out);
			return NULL;
		}
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((acc >> bits) & 0xff);
		}
	}
	*outlen = o;
	return out;
}

int
emusql_value_from_text(enum emu_type t, const char *s, struct emusql_bind *b,
    struct bq_err *err)
{
	char buf[48];
	char *c = NULL;

	memset(b, 0, sizeof(*b));
	b->type = t;
	switch (t) {
	case EMU_T_INT64:
		if (parse_int64(s, &b->i) == -1)
			goto bad;
		return 0;
	case EMU_T_FLOAT64: {
		char *end;

		if (strcasecmp(s, "NaN") == 0)
			b->d = NAN;
		else if (strcasecmp(s, "Infinity") == 0 ||
		    strcasecmp(s, "inf") == 0)
			b->d = INFINITY;
		else if (strcasecmp(s, "-Infinity") == 0 ||
		    strcasecmp(s, "-inf") == 0)
			b->d = -INFINITY;
		else {
			b->d = strtod(s, &end);
			if (end == s || *end)
				goto bad;
		}
		return 0;
	}
	case EMU_T_BOOL:
		if (strcasecmp(s, "true") == 0 || strcmp(s, "1") == 0)
			b->i = 1;
		else if (strcasecmp(s, "false") == 0 || strcmp(s, "0") == 0)
			b->i = 0;
		else
			goto bad;
		return 0;
	case EMU_T_TIMESTAMP:
		if (ts_parse(s, &b->i) == 0)
			return 0;
		goto bad;
	case EMU_T_DATE:
		if (canon_date(s, buf) == -1)
			goto bad;
		c = xstrdup(buf);
		break;
	case EMU_T_TIME:
		if (canon_time(s, buf) == -1)
			goto bad;
		c = xstrdup(buf);
		break;
	case EMU_T_DATETIME:
		if (canon_datetime(s, buf) == -1)
			goto bad;
		c = xstrdup(buf);
		break;
	case EMU_T_NUMERIC:
	case EMU_T_BIGNUMERIC:
		if (canon_numeric(s, t == EMU_T_NUMERIC ? 9 : 38, &c) == -1)
			goto bad;
		break;
	case EMU_T_BYTES:
		if ((b->s = b64_decode(s, &b->len)) == NULL)
			goto bad;
		return 0;
	case EMU_T_JSON: {
		cJSON *j = cJSON_Parse(s);

		if (j == NULL)
			goto bad;
		c = cJSON_PrintUnformatted(j);
		cJSON_Delete(j);
		break;
	}
	default:
		c = xstrdup(s);
		break;
	}
	b->s = c;
	b->len = strlen(c);
	return 0;
bad:
	return bq_err_set(err, EXIT_DATA, "Invalid %s value: %s",
	    emusql_type_name(t), s);
}
