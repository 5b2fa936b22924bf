/*
 * check_hash: FARM_FINGERPRINT against every reference vector of
 * tests/fixtures/bigquery/farm_fingerprint_vectors.json (read at run time),
 * the partition function, and SHA-256 known answers.
 *
 * The fixture is found as $BQSYNC_FIXTURES/bigquery/..., else relative to
 * this source file's directory (so ./tests/check_hash works from the repo
 * root), else relative to the current directory (running from tests/).
 */
#include <check.h>
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "hash.h"
#include "util.h"
#include "testlib.h"
#include "banned.h"

#define VECTORS "bigquery/farm_fingerprint_vectors.json"

static cJSON *
load_vectors(void)
{
	struct strbuf sb = STRBUF_INIT, path = STRBUF_INIT;
	const char *env = getenv("BQSYNC_FIXTURES"), *slash;
	cJSON *doc = NULL;

	if (env != NULL && *env != '\0') {
		strbuf_addf(&path, "%s/%s", env, VECTORS);
	} else {
		slash = strrchr(__FILE__, '/');
		if (slash != NULL)
			strbuf_add(&path, __FILE__, (size_t)(slash - __FILE__) + 1);
		strbuf_addf(&path, "fixtures/%s", VECTORS);
		if (util_read_file(path.buf, &sb) != 0) {
			strbuf_reset(&path);
			strbuf_addf(&path, "fixtures/%s", VECTORS);
		}
	}
	strbuf_reset(&sb);
	if (util_read_file(path.buf, &sb) != 0)
		ck_abort_msg("cannot read '%s': %s", path.buf, strerror(errno));
	doc = cJSON_Parse(sb.buf);
	ck_assert_msg(doc != NULL, "'%s' is not JSON", path.buf);
	strbuf_release(&sb);
	strbuf_release(&path);
	return doc;
}

static size_t
unhex(const char *h, unsigned char **out)
{
	size_t n = strlen(h) / 2, i;
	unsigned int b;

	*out = xmalloc(n ? n : 1);
	for (i = 0; i < n; i++) {
		ck_assert_int_eq(sscanf(h + 2 * i, "%2x", &b), 1);
		(*out)[i] = (unsigned char)b;
	}
	return n;
}

START_TEST(test_fingerprint_vectors)
{
	cJSON *doc = load_vectors(), *vecs, *v;
	int count = 0;

	vecs = cJSON_GetObjectItemCaseSensitive(doc, "vectors");
	ck_assert(cJSON_IsArray(vecs));
	cJSON_ArrayForEach(v, vecs) {
		const char *hex = cJSON_GetObjectItem(v, "input_hex")->valuestring;
		const char *u = cJSON_GetObjectItem(v,
		    "fingerprint64_unsigned")->valuestring;
		const char *s = cJSON_GetObjectItem(v,
		    "farm_fingerprint_int64")->valuestring;
		int len = cJSON_GetObjectItem(v, "length")->valueint;
		unsigned char *buf;
		size_t n = unhex(hex, &buf);
		char got[32];

		ck_assert_int_eq((int)n, len);
		snprintf(got, sizeof(got), "%" PRIu64, hash_fingerprint64(buf, n));
		ck_assert_msg(strcmp(got, u) == 0, "%s: unsigned %s, want %s",
		    cJSON_GetObjectItem(v, "label")->valuestring, got, u);
		snprintf(got, sizeof(got), "%" PRId64,
		    hash_farm_fingerprint(buf, n));
		ck_assert_msg(strcmp(got, s) == 0, "%s: signed %s, want %s",
		    cJSON_GetObjectItem(v, "label")->valuestring, got, s);
		free(buf);
		count++;
	}
	ck_assert_int_ge(count, 33);
	cJSON_Delete(doc);
}
END_TEST

START_TEST(test_fingerprint_strings)
{
	/* The spec's table, as strings (BigQuery docs and observed output). */
	ck_assert_int_eq(hash_farm_fingerprint("", 0), -7286425919675154353LL);
	ck_assert_int_eq(hash_farm_fingerprint("foo", 3), 6150913649986995171LL);
	ck_assert_int_eq(hash_farm_fingerprint("1footrue", 8),
	    -1541654101129638711LL);
	ck_assert_int_eq(hash_farm_fingerprint("Amazon Redshift", 15),
	    8085098817162212970LL);
	ck_assert_uint_eq(hash_fingerprint64("alphabet", 8),
	    16019578149073203093ULL);
}
END_TEST

START_TEST(test_fingerprint_repeat_a)
{
	static const struct {
		size_t len;
		int64_t want;
	} t[] = {
		{ 126, 6261940804893177895LL },
		{ 127, 7531535164187061522LL },
		{ 128, -4747627967806356490LL },
		{ 129, -266561011801984384LL },
		{ 130, 7135893960687184995LL },
	};
	char buf[130];
	size_t i;

	memset(buf, 'a', sizeof(buf));
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		ck_assert_int_eq(hash_farm_fingerprint(buf, t[i].len), t[i].want);
}
END_TEST

/* The partition by definition: fingerprint of the decimal micros. */
static int
expect_fp(int64_t micros, int n)
{
	char dec[32];
	int64_t r;

	snprintf(dec, sizeof(dec), "%" PRId64, micros);
	r = hash_farm_fingerprint(dec, strlen(dec)) % n;
	return (int)(r < 0 ? -r : r);
}

START_TEST(test_partition_fingerprint)
{
	static const int64_t ts[] = {
		0, 1, -1, 1699089600000000LL, 1699089600123456LL,
		-62135596800000000LL, 253402300799999999LL, INT64_MIN,
		INT64_MAX, -19954383398377106LL,
	};
	size_t i;
	int n, seen[7], hits;

	for (n = 1; n <= 7; n++) {
		for (i = 0; i < sizeof(ts) / sizeof(ts[0]); i++) {
			int w = hash_partition(ts[i], n, PARTITION_FINGERPRINT);

			ck_assert_int_ge(w, 0);
			ck_assert_int_lt(w, n);
			ck_assert_int_eq(w, expect_fp(ts[i], n));
		}
	}
	/* A hand-checked case: FARM_FINGERPRINT("0") and its residues. */
	{
		int64_t fp = hash_farm_fingerprint("0", 1);

		ck_assert_int_eq(hash_partition(0, 5, PARTITION_FINGERPRINT),
		    (int)(fp % 5 < 0 ? -(fp % 5) : fp % 5));
	}
	/* Second-precision timestamps spread over every worker. */
	for (n = 1; n <= 7; n++) {
		memset(seen, 0, sizeof(seen));
		for (i = 0; i < 1000; i++)
			seen[hash_partition(1699089600000000LL +
			    (int64_t)i * 1000000, n, PARTITION_FINGERPRINT)]++;
		for (hits = 0; hits < n; hits++)
			ck_assert_int_gt(seen[hits], 1000 / n / 2);
	}
}
END_TEST

/* The key text of a row (one JSON text) over cols, or "ERR:<column>". */
static void
key_of(const char *row, char *const *cols, size_t n, const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	cJSON *v = cJSON_Parse(row);
	const char *bad = NULL;

	ck_assert_ptr_nonnull(v);
	if (hash_key_text(v, cols, n, &sb, &bad) == -1) {
		strbuf_reset(&sb);
		strbuf_addf(&sb, "ERR:%s", bad);
	}
	ck_assert_str_eq(sb.buf, want);
	strbuf_release(&sb);
	cJSON_Delete(v);
}

START_TEST(test_partition_key)
{
	char *k1[] = { (char *)"mmsi" };
	char *k2[] = { (char *)"mmsi", (char *)"name" };
	cJSON *v;
	struct strbuf sb = STRBUF_INIT;
	const char *bad;
	int64_t fp;
	int n;

	/* As CAST(c AS STRING), in column order, '|' between, NULL ''. */
	key_of("{\"mmsi\":367000001}", k1, 1, "367000001");
	key_of("{\"mmsi\":\"367000001\"}", k1, 1, "367000001");
	key_of("{\"mmsi\":-5,\"name\":\"A|B\"}", k2, 2, "-5|A|B");
	key_of("{\"name\":\"x\",\"mmsi\":null}", k2, 2, "|x");
	key_of("{\"mmsi\":true}", k2, 2, "true|");
	key_of("{\"mmsi\":\"9007199254740993\"}", k1, 1, "9007199254740993");
	key_of("{\"mmsi\":1.5}", k1, 1, "ERR:mmsi");
	key_of("{\"mmsi\":9007199254740994}", k1, 1, "ERR:mmsi");
	key_of("{\"mmsi\":1,\"name\":{}}", k2, 2, "ERR:name");
	/* A raw integer (digits kept beyond 2^53) reads as its digits. */
	v = cJSON_CreateObject();
	cJSON_AddItemToObject(v, "mmsi", cJSON_CreateRaw("-9007199254740993"));
	ck_assert_int_eq(hash_key_text(v, k1, 1, &sb, &bad), 0);
	ck_assert_str_eq(sb.buf, "-9007199254740993");
	strbuf_release(&sb);
	cJSON_Delete(v);
	/* ABS(MOD(FARM_FINGERPRINT(text), n)), MOD first. */
	fp = hash_farm_fingerprint("367000001", 9);
	for (n = 1; n <= 7; n++)
		ck_assert_int_eq(hash_partition_key("367000001", 9, n),
		    (int)(fp % n < 0 ? -(fp % n) : fp % n));
}
END_TEST

START_TEST(test_partition_micros)
{
	int n;

	for (n = 1; n <= 7; n++) {
		ck_assert_int_eq(hash_partition(0, n, PARTITION_MICROS), 0);
		ck_assert_int_eq(hash_partition(n + 1, n, PARTITION_MICROS),
		    1 % n);
		ck_assert_int_eq(hash_partition(1699089600000003LL, n,
		    PARTITION_MICROS), (int)(1699089600000003LL % n));
		/* Negative: ABS(MOD(t, n)), MOD truncating like C's %. */
		ck_assert_int_eq(hash_partition(-1, n, PARTITION_MICROS),
		    n == 1 ? 0 : 1);
		ck_assert_int_eq(hash_partition(-13, n, PARTITION_MICROS),
		    13 % n);
		ck_assert_int_eq(hash_partition(INT64_MIN, n, PARTITION_MICROS),
		    (int)-(INT64_MIN % n));
		ck_assert_int_lt(hash_partition(INT64_MAX, n, PARTITION_MICROS),
		    n);
	}
	/* Second precision: every micros value is a multiple of 10^6. */
	ck_assert_int_eq(hash_partition(1699089601000000LL, 2,
	    PARTITION_MICROS), 0);
	ck_assert_int_eq(hash_partition(1699089601000000LL, 4,
	    PARTITION_MICROS), 0);
	ck_assert_int_eq(hash_partition(1699089601000000LL, 3,
	    PARTITION_MICROS), 1);
}
END_TEST

START_TEST(test_sha256)
{
	char hex[65];
	static const char abc448[] =
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";

	hash_sha256_hex("", 0, hex);
	ck_assert_str_eq(hex,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	hash_sha256_hex("abc", 3, hex);
	ck_assert_str_eq(hex,
	    "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	hash_sha256_hex(abc448, strlen(abc448), hex);
	ck_assert_str_eq(hex,
	    "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}
END_TEST

static void
free_list(char **w, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(w[i]);
	free(w);
}

START_TEST(test_workers)
{
	static char h0[] = "harper-0", h1[] = "harper-1", h2[] = "harper-2";
	static char n10[] = "node-10", n2[] = "node-2", n1[] = "node-1";
	char *hosts[] = { h1, h0, h2, h1 }, *peers[] = { n10, n1, n2 };
	char **w;
	size_t n;

	/* anchor-plugin.md's example: 3 hosts x 2 threads */
	n = hash_workers(hosts, 4, 2, &w);
	ck_assert_uint_eq(n, 6);
	ck_assert_str_eq(w[0], "harper-0-0");
	ck_assert_str_eq(w[1], "harper-0-1");
	ck_assert_str_eq(w[2], "harper-1-0");
	ck_assert_str_eq(w[5], "harper-2-1");
	free_list(w, n);
	ck_assert_int_eq(hash_whoami("harper-1-0", hosts, 3, 2, &w, &n), 2);
	ck_assert_uint_eq(n, 6);
	free_list(w, n);
	/* bytewise, not natural, order */
	ck_assert_int_eq(hash_whoami("node-2-0", peers, 3, 1, &w, &n), 2);
	ck_assert_str_eq(w[0], "node-1-0");
	ck_assert_str_eq(w[1], "node-10-0");
	free_list(w, n);
	ck_assert_int_eq(hash_whoami("node-2-10", peers, 3, 11, &w, &n), 33 - 9);
	ck_assert_str_eq(w[33 - 11], "node-2-0");
	ck_assert_str_eq(w[33 - 10], "node-2-1");
	ck_assert_str_eq(w[33 - 9], "node-2-10");
	free_list(w, n);
	/* single node, and selves that are not in the list */
	ck_assert_int_eq(hash_whoami("solo-0", NULL, 0, 1, &w, &n), 0);
	ck_assert_uint_eq(n, 1);
	free_list(w, n);
	ck_assert_int_eq(hash_whoami("solo-1", NULL, 0, 1, &w, &n), -1);
	free_list(w, n);
	ck_assert_int_eq(hash_whoami("solo", NULL, 0, 1, &w, &n), -1);
	free_list(w, n);
	ck_assert_int_eq(hash_whoami("solo-", NULL, 0, 1, &w, &n), -1);
	free_list(w, n);
	ck_assert_int_eq(hash_whoami("-0", NULL, 0, 1, &w, &n), -1);
	free_list(w, n);
}
END_TEST

START_TEST(test_parse_worker)
{
	static const char *bad[] = {
		"", "1", "/3", "1/", "3/3", "-1/3", "1/0", "1/-3", "1/3x",
		" 1/3", "1/ 3", "+1/3", "1/+3", "a/b", "0/1000001",
		"99999999999999999999/3",
	};
	int i = 7, n = 7;
	size_t k;

	ck_assert_int_eq(hash_parse_worker("0/1", &i, &n), 0);
	ck_assert_int_eq(i, 0);
	ck_assert_int_eq(n, 1);
	ck_assert_int_eq(hash_parse_worker("2/3", &i, &n), 0);
	ck_assert_int_eq(i, 2);
	ck_assert_int_eq(n, 3);
	for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		i = n = 7;
		ck_assert_msg(hash_parse_worker(bad[k], &i, &n) == -1,
		    "'%s' accepted", bad[k]);
		ck_assert_int_eq(i + n, 14);
	}
}
END_TEST

CHECK_TESTS("hash", 0,
    test_fingerprint_vectors,
    test_fingerprint_strings,
    test_fingerprint_repeat_a,
    test_partition_fingerprint,
    test_partition_micros,
    test_partition_key,
    test_sha256,
    test_workers,
    test_parse_worker)
