#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include <cjson/cJSON.h>

#include "hash.h"
#include "util.h"
#include "banned.h"

/*
 * FarmHash Fingerprint64 (farmhashna::Hash64), written from the algorithm
 * description in spec/bigquery-wire.md section 5.2.  All arithmetic is on
 * uint64_t, modulo 2^64; loads are little-endian whatever the host.
 */
static const uint64_t k0 = 0xc3a5c85c97cb3127ULL;
static const uint64_t k1 = 0xb492b66fbe98f273ULL;
static const uint64_t k2 = 0x9ae16a3b2f90404fULL;

static uint64_t
fetch64(const unsigned char *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	    (uint64_t)p[3] << 24 | (uint64_t)p[4] << 32 |
	    (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}

static uint64_t
fetch32(const unsigned char *p)
{
	return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 |
	    (uint64_t)p[3] << 24;
}

/* Rotate right. */
static uint64_t
rot(uint64_t v, unsigned s)
{
	return s == 0 ? v : (v >> s) | (v << (64 - s));
}

static uint64_t
shift_mix(uint64_t v)
{
	return v ^ (v >> 47);
}

static uint64_t
len16(uint64_t u, uint64_t v, uint64_t mul)
{
	uint64_t a, b;

	a = (u ^ v) * mul;
	a ^= a >> 47;
	b = (v ^ a) * mul;
	b ^= b >> 47;
	return b * mul;
}

static uint64_t
len0to16(const unsigned char *s, size_t len)
{
	uint64_t mul, a, b, c, d;

	if (len >= 8) {
		mul = k2 + 2 * (uint64_t)len;
		a = fetch64(s) + k2;
		b = fetch64(s + len - 8);
		c = rot(b, 37) * mul + a;
		d = (rot(a, 25) + b) * mul;
		return len16(c, d, mul);
	}
	if (len >= 4) {
		mul = k2 + 2 * (uint64_t)len;
		a = fetch32(s);
		return len16(len + (a << 3), fetch32(s + len - 4), mul);
	}
	if (len > 0) {
		uint32_t y = (uint32_t)s[0] + ((uint32_t)s[len >> 1] << 8);
		uint32_t z = (uint32_t)len + ((uint32_t)s[len - 1] << 2);

		return shift_mix((uint64_t)y * k2 ^ (uint64_t)z * k0) * k2;
	}
	return k2;
}

static uint64_t
len17to32(const unsigned char *s, size_t len)
{
	uint64_t mul = k2 + 2 * (uint64_t)len;
	uint64_t a = fetch64(s) * k1;
	uint64_t b = fetch64(s + 8);
	uint64_t c = fetch64(s + len - 8) * mul;
	uint64_t d = fetch64(s + len - 16) * k2;

	return len16(rot(a + b, 43) + rot(c, 30) + d,
	    a + rot(b + k2, 18) + c, mul);
}

static uint64_t
len33to64(const unsigned char *s, size_t len)
{
	uint64_t mul = k2 + 2 * (uint64_t)len;
	uint64_t a = fetch64(s) * k2;
	uint64_t b = fetch64(s + 8);
	uint64_t c = fetch64(s + len - 8) * mul;
	uint64_t d = fetch64(s + len - 16) * k2;
	uint64_t y = rot(a + b, 43) + rot(c, 30) + d;
	uint64_t z = len16(y, a + rot(b + k2, 18) + c, mul);
	uint64_t e = fetch64(s + 16) * mul;
	uint64_t f = fetch64(s + 24);
	uint64_t g = (y + fetch64(s + len - 32)) * mul;
	uint64_t h = (z + fetch64(s + len - 24)) * mul;

	return len16(rot(e + f, 43) + rot(g, 30) + h,
	    e + rot(f + a, 18) + g, mul);
}

struct pair {
	uint64_t first, second;
};

/* WeakHashLen32WithSeeds over the 32 bytes at p. */
static struct pair
weak32(const unsigned char *p, uint64_t a, uint64_t b)
{
	uint64_t w = fetch64(p), x = fetch64(p + 8), y = fetch64(p + 16);
	uint64_t z = fetch64(p + 24), c;
	struct pair r;

	a += w;
	b = rot(b + a + z, 21);
	c = a;
	a += x;
	a += y;
	b += rot(a, 44);
	r.first = a + z;
	r.second = b + c;
	return r;
}

static uint64_t
len65plus(const unsigned char *s, size_t len)
{
	const uint64_t seed = 81;
	const unsigned char *end, *last64;
	uint64_t x = seed, y = seed * k1 + 113, z, mul, t;
	struct pair v = { 0, 0 }, w = { 0, 0 };

	z = shift_mix(y * k2 + 113) * k2;
	x = x * k2 + fetch64(s);
	/* The loop runs (len - 1) / 64 times, even when len % 64 == 0. */
	end = s + ((len - 1) / 64) * 64;
	last64 = s + len - 64;
	do {
		x = rot(x + y + v.first + fetch64(s + 8), 37) * k1;
		y = rot(y + v.second + fetch64(s + 48), 42) * k1;
		x ^= w.second;
		y += v.first + fetch64(s + 40);
		z = rot(z + w.first, 33) * k1;
		v = weak32(s, v.second * k1, x + w.first);
		w = weak32(s + 32, z + w.second, y + fetch64(s + 16));
		t = z;
		z = x;
		x = t;
		s += 64;
	} while (s != end);
	mul = k1 + ((z & 0xff) << 1);
	s = last64;
	w.first += (len - 1) & 63;
	v.first += w.first;
	w.first += v.first;
	x = rot(x + y + v.first + fetch64(s + 8), 37) * mul;
	y = rot(y + v.second + fetch64(s + 48), 42) * mul;
	x ^= w.second * 9;
	y += v.first * 9 + fetch64(s + 40);
	z = rot(z + w.first, 33) * mul;
	v = weak32(s, v.second * mul, x + w.first);
	w = weak32(s + 32, z + w.second, y + fetch64(s + 16));
	t = z;
	z = x;
	x = t;
	return len16(len16(v.first, w.first, mul) + shift_mix(y) * k0 + z,
	    len16(v.second, w.second, mul) + x, mul);
}

uint64_t
hash_fingerprint64(const void *p, size_t len)
{
	const unsigned char *s = p;

	if (len <= 16)
		return len0to16(s, len);
	if (len <= 32)
		return len17to32(s, len);
	if (len <= 64)
		return len33to64(s, len);
	return len65plus(s, len);
}

int64_t
hash_farm_fingerprint(const void *s, size_t len)
{
	uint64_t u = hash_fingerprint64(s, len);
	int64_t r;

	/* two's complement reinterpretation */
	memcpy(&r, &u, sizeof(r));
	return r;
}

int
hash_partition(int64_t micros, int n, enum partition_scheme scheme)
{
	char dec[24];
	int len;
	int64_t r;

	if (n <= 1)
		return 0;
	if (scheme == PARTITION_MICROS) {
		r = micros % n;
	} else {
		len = snprintf(dec, sizeof(dec), "%lld", (long long)micros);
		/*
		 * MOD before ABS: |fp % n| < n, so INT64_MIN never reaches
		 * llabs() (BigQuery's ABS(INT64_MIN) would be an error).
		 */
		r = hash_farm_fingerprint(dec, (size_t)len) % n;
	}
	return (int)(r < 0 ? -r : r);
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t
hash_workers(char *const *hosts, size_t nhosts, int threads, char ***list)
{
	char **w;
	size_t n = 0, i, j;
	int t;

	if (threads < 1)
		threads = 1;
	w = xcalloc(nhosts * (size_t)threads + 1, sizeof(*w));
	for (i = 0; i < nhosts; i++) {
		for (j = 0; j < i; j++) {
			if (strcmp(hosts[i], hosts[j]) == 0)
				break;
		}
		if (j < i)	/* a host named twice is one host */
			continue;
		for (t = 0; t < threads; t++)
			w[n++] = xstrfmt("%s-%d", hosts[i], t);
	}
	qsort(w, n, sizeof(*w), str_cmp);
	*list = w;
	return n;
}

long
hash_whoami(const char *self, char *const *peers, size_t npeers,
    int threads, char ***list, size_t *n)
{
	const char *dash = strrchr(self, '-');
	char **hosts;
	size_t i;
	long idx = -1;

	hosts = xcalloc(npeers + 1, sizeof(*hosts));
	if (dash != NULL && dash != self && dash[1] != '\0' &&
	    strspn(dash + 1, "0123456789") == strlen(dash + 1))
		hosts[0] = xstrndup(self, (size_t)(dash - self));
	else
		hosts[0] = xstrdup(self);	/* to have a list to return */
	if (npeers > 0)
		memcpy(hosts + 1, peers, npeers * sizeof(*hosts));
	*n = hash_workers(hosts, npeers + 1, threads, list);
	for (i = 0; i < *n; i++) {
		if (strcmp((*list)[i], self) == 0) {
			idx = (long)i;
			break;
		}
	}
	free(hosts[0]);
	free(hosts);
	return idx;
}

int
hash_parse_worker(const char *s, int *i, int *n)
{
	char *end;
	long a, b;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	a = strtol(s, &end, 10);
	if (errno != 0 || *end != '/' || end[1] < '0' || end[1] > '9')
		return -1;
	b = strtol(end + 1, &end, 10);
	if (errno != 0 || *end != '\0' || b < 1 || b > 1000000 || a >= b)
		return -1;
	*i = (int)a;
	*n = (int)b;
	return 0;
}

void
hash_sha256_hex(const void *s, size_t len, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (EVP_Digest(s, len, md, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != 32) {
		/* Only on a broken libcrypto; never a valid-looking digest. */
		memset(out, 'x', 64);
		out[64] = '\0';
		return;
	}
	for (i = 0; i < 32; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

/* Appends CAST(v AS STRING) for a typed cell as bq-pull writes it. */
static int
add_key_cell(struct strbuf *out, const cJSON *v)
{
	double d = v != NULL ? v->valuedouble : 0;

	if (v == NULL || cJSON_IsNull(v))
		return 0;		/* IFNULL(..., '') */
	if (cJSON_IsString(v))
		strbuf_adds(out, v->valuestring);
	else if (cJSON_IsRaw(v) && v->valuestring != NULL &&
	    strspn(v->valuestring + (*v->valuestring == '-'), "0123456789") ==
	    strlen(v->valuestring + (*v->valuestring == '-')))
		strbuf_adds(out, v->valuestring);
	else if (cJSON_IsBool(v))
		strbuf_adds(out, cJSON_IsTrue(v) ? "true" : "false");
	else if (cJSON_IsNumber(v) && floor(d) == d &&
	    fabs(d) <= 9007199254740992.0)
		strbuf_addf(out, "%lld", (long long)d);
	else
		return -1;
	return 0;
}

int
hash_key_text(const cJSON *row, char *const *cols, size_t n,
    struct strbuf *out, const char **bad)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			strbuf_addch(out, '|');
		if (add_key_cell(out, cJSON_GetObjectItemCaseSensitive(row,
		    cols[i])) == -1) {
			if (bad != NULL)
				*bad = cols[i];
			return -1;
		}
	}
	return 0;
}

int
hash_partition_key(const char *text, size_t len, int n)
{
	int64_t r;

	if (n <= 1)
		return 0;
	r = hash_farm_fingerprint(text, len) % n;	/* MOD before ABS */
	return (int)(r < 0 ? -r : r);
}
