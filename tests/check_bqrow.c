/*
 * check_bqrow: the real recorded BigQuery responses in tests/fixtures/bigquery
 * convert as bqsync(7)'s row table says, and every type converts exactly.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bqrow.h"
#include "row.h"
#include "util.h"
#include "testlib.h"

static const char *
fixdir(void)
{
	const char *d = getenv("BQSYNC_FIXTURES");

	return d != NULL ? d : "tests/fixtures/bigquery";
}

static cJSON *
load_json(const char *name)
{
	struct strbuf sb = STRBUF_INIT;
	char *path = xstrfmt("%s/%s", fixdir(), name);
	cJSON *j;

	ck_assert_msg(util_read_file(path, &sb) == 0, "cannot read %s", path);
	j = cJSON_Parse(sb.buf);
	ck_assert_msg(j != NULL, "%s: invalid JSON", path);
	strbuf_release(&sb);
	free(path);
	return j;
}

static struct bqrow *
compile_schema_file(const char *name)
{
	cJSON *s = load_json(name);
	struct bq_err err = BQ_ERR_INIT;
	struct bqrow *r;

	r = bqrow_new(cJSON_GetObjectItem(cJSON_GetObjectItem(s, "schema"),
	    "fields"), &err);
	ck_assert_msg(r != NULL, "%s", err.msg);
	cJSON_Delete(s);
	return r;
}

/* Converts every row of a data fixture without ids into one NDJSON text. */
static char *
convert_all(struct bqrow *r, const char *data)
{
	cJSON *d = load_json(data), *row;
	struct strbuf out = STRBUF_INIT;
	struct bq_err err = BQ_ERR_INIT;

	strbuf_init(&out, 256);
	bqrow_set_id(r, NULL, 0, NULL, 0);
	cJSON_ArrayForEach(row, cJSON_GetObjectItem(d, "rows"))
		ck_assert_msg(bqrow_write(r, row, &out, &err) == 0, "%s",
		    err.msg);
	cJSON_Delete(d);
	return strbuf_detach(&out, NULL);
}

/*
 * The bigrquery fixtures: a schema (a file, or inline fields), a page of
 * data, and the NDJSON it converts to.
 */
static const struct {
	const char	*schema_file;
	const char	*fields;	/* when there is no schema file */
	const char	*data;
	const char	*want;
} fixtures[] = {
	{ "bigrquery_tabledata_simple.schema.json", NULL,
	  "bigrquery_tabledata_simple.json",
	  "{\"x\":5,\"y\":\"a\",\"z\":\"2018-01-05\"}\n"
	  "{\"x\":1,\"y\":\"e\",\"z\":\"2018-01-01\"}\n"
	  "{\"x\":3,\"y\":\"c\",\"z\":\"2018-01-03\"}\n"
	  "{\"x\":2,\"y\":\"d\",\"z\":\"2018-01-02\"}\n"
	  "{\"x\":4,\"y\":\"b\",\"z\":\"2018-01-04\"}\n" },
	{ NULL, "[{\"name\":\"x\",\"type\":\"INTEGER\",\"mode\":\"REPEATED\"}]",
	  "bigrquery_tabledata_array.json",
	  "{\"x\":[1,2,3,4,5,6,7,8,9,10]}\n" },
	{ "bigrquery_tabledata_struct.schema.json", NULL,
	  "bigrquery_tabledata_struct.json",
	  "{\"x\":{\"a\":1,\"b\":\"abc\"}}\n" },
	{ "bigrquery_tabledata_array_of_struct.schema.json", NULL,
	  "bigrquery_tabledata_array_of_struct.json",
	  "{\"x\":[{\"a\":1,\"b\":\"a\"},{\"a\":2,\"b\":\"b\"},"
	  "{\"a\":3,\"b\":\"c\"}]}\n" },
	{ "bigrquery_tabledata_struct_of_arrays.schema.json", NULL,
	  "bigrquery_tabledata_struct_of_arrays.json",
	  "{\"x\":{\"a\":[1,2,3],\"b\":[\"a\",\"b\"]}}\n" },
};

START_TEST(test_fixtures)
{
	struct bq_err err = BQ_ERR_INIT;
	struct bqrow *r;
	cJSON *f = NULL;
	char *s;

	if (fixtures[_i].schema_file != NULL) {
		r = compile_schema_file(fixtures[_i].schema_file);
	} else {
		f = cJSON_Parse(fixtures[_i].fields);
		r = bqrow_new(f, &err);
		ck_assert_msg(r != NULL, "%s", err.msg);
	}
	s = convert_all(r, fixtures[_i].data);
	ck_assert_str_eq(s, fixtures[_i].want);
	free(s);
	bqrow_free(r);
	cJSON_Delete(f);
}
END_TEST

/*
 * bigquery-public-data.samples.natality, as published (the page fixture
 * records no schema).
 */
static const char *natality[][2] = {
	{ "source_year", "INTEGER" }, { "year", "INTEGER" },
	{ "month", "INTEGER" }, { "day", "INTEGER" }, { "wday", "INTEGER" },
	{ "state", "STRING" }, { "is_male", "BOOLEAN" },
	{ "child_race", "INTEGER" }, { "weight_pounds", "FLOAT" },
	{ "plurality", "INTEGER" }, { "apgar_1min", "INTEGER" },
	{ "apgar_5min", "INTEGER" }, { "mother_residence_state", "STRING" },
	{ "mother_race", "INTEGER" }, { "mother_age", "INTEGER" },
	{ "gestation_weeks", "INTEGER" }, { "lmp", "STRING" },
	{ "mother_married", "BOOLEAN" }, { "mother_birth_state", "STRING" },
	{ "cigarette_use", "BOOLEAN" }, { "cigarettes_per_day", "INTEGER" },
	{ "alcohol_use", "BOOLEAN" }, { "drinks_per_week", "INTEGER" },
	{ "weight_gain_pounds", "INTEGER" }, { "born_alive_alive", "INTEGER" },
	{ "born_alive_dead", "INTEGER" }, { "born_dead", "INTEGER" },
	{ "ever_born", "INTEGER" }, { "father_race", "INTEGER" },
	{ "father_age", "INTEGER" }, { "record_weight", "INTEGER" },
};

START_TEST(test_fixture_natality)
{
	cJSON *fields = cJSON_CreateArray(), *d, *row, *o, *cell, *v;
	struct bq_err err = BQ_ERR_INIT;
	struct bqrow *r;
	size_t i, n = sizeof(natality) / sizeof(natality[0]);
	int rows = 0;

	ck_assert_uint_eq(n, 31);
	for (i = 0; i < n; i++) {
		cJSON *f = cJSON_CreateObject();

		cJSON_AddStringToObject(f, "name", natality[i][0]);
		cJSON_AddStringToObject(f, "type", natality[i][1]);
		cJSON_AddStringToObject(f, "mode", "NULLABLE");
		cJSON_AddItemToArray(fields, f);
	}
	r = bqrow_new(fields, &err);
	ck_assert_ptr_nonnull(r);
	d = load_json("bigrquery_tabledata_natality_page.json");
	cJSON_ArrayForEach(row, cJSON_GetObjectItem(d, "rows")) {
		struct strbuf line = STRBUF_INIT;
		cJSON *back;

		o = bqrow_convert(r, row, &err);
		ck_assert_msg(o != NULL, "%s", err.msg);
		/* every cell against its type, independently of bqrow */
		i = 0;
		cJSON_ArrayForEach(cell, cJSON_GetObjectItem(row, "f")) {
			const cJSON *in = cJSON_GetObjectItem(cell, "v");
			const char *t = natality[i][1];

			v = cJSON_GetObjectItem(o, natality[i][0]);
			ck_assert_ptr_nonnull(v);
			if (cJSON_IsNull(in))
				ck_assert(cJSON_IsNull(v));
			else if (strcmp(t, "STRING") == 0)
				ck_assert_str_eq(v->valuestring,
				    in->valuestring);
			else if (strcmp(t, "BOOLEAN") == 0)
				ck_assert_int_eq(cJSON_IsTrue(v),
				    strcmp(in->valuestring, "true") == 0);
			else {
				/* INTEGER and FLOAT: BigQuery's digits */
				ck_assert(cJSON_IsRaw(v));
				ck_assert_str_eq(v->valuestring,
				    in->valuestring);
			}
			i++;
		}
		ck_assert_uint_eq(i, n);
		/* id: 32 hex digits, the row's canonical hash */
		v = cJSON_GetObjectItem(o, "id");
		ck_assert(cJSON_IsString(v));
		ck_assert_uint_eq(strlen(v->valuestring), 32);
		/* the printed line is valid JSON with the same values */
		bqrow_print(o, &line);
		back = cJSON_Parse(line.buf);
		ck_assert_ptr_nonnull(back);
		ck_assert_uint_eq(cJSON_GetArraySize(back), n + 1);
		cJSON_Delete(back);
		strbuf_release(&line);
		if (rows == 0) {
			ck_assert_str_eq(cJSON_GetObjectItem(o,
			    "weight_pounds")->valuestring,
			    "6.0009827716399995");
			ck_assert_str_eq(cJSON_GetObjectItem(o, "lmp")->
			    valuestring, "03201999");
			ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(o,
			    "is_male")));
			ck_assert(cJSON_IsNull(cJSON_GetObjectItem(o,
			    "wday")));
			ck_assert_str_eq(cJSON_GetObjectItem(o,
			    "mother_birth_state")->valuestring, "");
		}
		cJSON_Delete(o);
		rows++;
	}
	ck_assert_int_eq(rows, 100);
	cJSON_Delete(d);
	cJSON_Delete(fields);
	bqrow_free(r);
}
END_TEST

/* One row of every type, converted without an id, as one line. */
static char *
conv_line(const char *schema, const char *row, int with_id)
{
	cJSON *f = cJSON_Parse(schema), *rw = cJSON_Parse(row);
	struct strbuf out = STRBUF_INIT;
	struct bq_err err = BQ_ERR_INIT;
	struct bqrow *r;

	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(rw);
	r = bqrow_new(f, &err);
	ck_assert_msg(r != NULL, "%s", err.msg);
	bqrow_set_id(r, NULL, 0, NULL, with_id);
	strbuf_init(&out, 64);
	if (bqrow_write(r, rw, &out, &err) == -1) {
		strbuf_release(&out);
		out.buf = xstrfmt("ERROR %s", err.msg);
	}
	bqrow_free(r);
	cJSON_Delete(f);
	cJSON_Delete(rw);
	return out.buf;
}

/* A column c of a type, a cell's "v", and what the row converts to. */
struct one {
	const char	*type;
	const char	*cell;
	const char	*want;		/* the value of "c" */
};

static void
check_ones(const struct one *v, size_t n)
{
	char schema[128], row[256], want[256], *got;
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(schema, sizeof(schema),
		    "[{\"name\":\"c\",\"type\":\"%s\"}]", v[i].type);
		snprintf(row, sizeof(row), "{\"f\":[{\"v\":%s}]}", v[i].cell);
		snprintf(want, sizeof(want), "{\"c\":%s}\n", v[i].want);
		got = conv_line(schema, row, 0);
		ck_assert_str_eq(got, want);
		free(got);
	}
}

START_TEST(test_int64)
{
	static const struct one v[] = {
		{ "INT64", "\"42\"", "42" },
		{ "INTEGER", "\"-7\"", "-7" },
		{ "INT64", "\"0\"", "0" },
		{ "INT64", "\"9007199254740992\"", "9007199254740992" },
		{ "INT64", "\"-9007199254740992\"", "-9007199254740992" },
		{ "INT64", "\"9007199254740993\"", "\"9007199254740993\"" },
		{ "INT64", "\"-9007199254740993\"", "\"-9007199254740993\"" },
		{ "INT64", "\"9223372036854775807\"",
		  "\"9223372036854775807\"" },
		{ "INT64", "\"-9223372036854775808\"",
		  "\"-9223372036854775808\"" },
		{ "INT64", "\"12345678901234567\"", "\"12345678901234567\"" },
		{ "INT64", "null", "null" },
	};

	check_ones(v, sizeof(v) / sizeof(v[0]));
}
END_TEST

START_TEST(test_float64)
{
	static const struct one v[] = {
		{ "FLOAT64", "\"3.14\"", "3.14" },
		{ "FLOAT", "\"6.0009827716399995\"", "6.0009827716399995" },
		{ "FLOAT", "\"37200.0\"", "37200.0" },
		{ "FLOAT", "\"1.7664E7\"", "1.7664E7" },
		{ "FLOAT", "\"-2.5E-10\"", "-2.5E-10" },
		{ "FLOAT64", "\"NaN\"", "\"NaN\"" },
		{ "FLOAT64", "\"Infinity\"", "\"Infinity\"" },
		{ "FLOAT64", "\"-Infinity\"", "\"-Infinity\"" },
		{ "FLOAT64", "null", "null" },
	};

	check_ones(v, sizeof(v) / sizeof(v[0]));
}
END_TEST

START_TEST(test_strings)
{
	static const struct one v[] = {
		{ "NUMERIC", "\"12345678901234567890123456789.123456789\"",
		  "\"12345678901234567890123456789.123456789\"" },
		{ "BIGNUMERIC", "\"1.00000000000000000000000000000000000001\"",
		  "\"1.00000000000000000000000000000000000001\"" },
		{ "NUMERIC", "\"99999999999999999999999999999.999999999\"",
		  "\"99999999999999999999999999999.999999999\"" },
		{ "BYTES", "\"AAEC/w==\"", "\"AAEC/w==\"" },
		{ "STRING", "\"h\\u00e9llo \\\"q\\\"\\n\"",
		  "\"h\xc3\xa9llo \\\"q\\\"\\n\"" },
		{ "STRING", "\"\"", "\"\"" },
		{ "GEOGRAPHY", "\"POINT(1 2)\"", "\"POINT(1 2)\"" },
		{ "INTERVAL", "\"1-2 3 4:5:6.789\"", "\"1-2 3 4:5:6.789\"" },
		{ "RANGE", "\"[2024-01-01, UNBOUNDED)\"",
		  "\"[2024-01-01, UNBOUNDED)\"" },
		{ "DATE", "\"2025-11-04\"", "\"2025-11-04\"" },
		{ "DATETIME", "\"2025-11-04T15:59:00.123456\"",
		  "\"2025-11-04T15:59:00.123456\"" },
		{ "TIME", "\"15:59:00.123456\"", "\"15:59:00.123456\"" },
		{ "BOOL", "\"true\"", "true" },
		{ "BOOLEAN", "\"false\"", "false" },
		{ "JSON", "\"{\\\"a\\\":[1,true,null]}\"",
		  "{\"a\":[1,true,null]}" },
		{ "JSON", "\"\\\"s\\\"\"", "\"s\"" },
	};

	check_ones(v, sizeof(v) / sizeof(v[0]));
}
END_TEST

START_TEST(test_timestamp)
{
	static const struct one v[] = {
		{ "TIMESTAMP", "\"1699089600123456\"",
		  "\"2023-11-04T09:20:00.123456Z\"" },
		{ "TIMESTAMP", "\"0\"", "\"1970-01-01T00:00:00.000000Z\"" },
		{ "TIMESTAMP", "\"-1\"", "\"1969-12-31T23:59:59.999999Z\"" },
		{ "TIMESTAMP", "\"253402300799999999\"",
		  "\"9999-12-31T23:59:59.999999Z\"" },
		/* float seconds (no useInt64Timestamp), parsed in decimal */
		{ "TIMESTAMP", "\"1.3682484E9\"",
		  "\"2013-05-11T05:00:00.000000Z\"" },
		{ "TIMESTAMP", "\"1.699089600123456E9\"",
		  "\"2023-11-04T09:20:00.123456Z\"" },
		{ "TIMESTAMP", "\"-1.9954383398377106E10\"",
		  "\"1337-09-02T11:43:21.622894Z\"" },
		{ "TIMESTAMP", "null", "null" },
	};

	check_ones(v, sizeof(v) / sizeof(v[0]));
}
END_TEST

START_TEST(test_nested)
{
	const char *schema = "[{\"name\":\"ts\",\"type\":\"TIMESTAMP\"},"
	    "{\"name\":\"r\",\"type\":\"RECORD\",\"fields\":["
	    "{\"name\":\"n\",\"type\":\"INT64\"},"
	    "{\"name\":\"tags\",\"type\":\"STRING\",\"mode\":\"REPEATED\"},"
	    "{\"name\":\"pts\",\"type\":\"STRUCT\",\"mode\":\"REPEATED\","
	    "\"fields\":[{\"name\":\"t\",\"type\":\"TIMESTAMP\"},"
	    "{\"name\":\"big\",\"type\":\"INTEGER\"}]}]},"
	    "{\"name\":\"e\",\"type\":\"FLOAT\",\"mode\":\"REPEATED\"},"
	    "{\"name\":\"nr\",\"type\":\"RECORD\",\"fields\":["
	    "{\"name\":\"z\",\"type\":\"BOOL\"}]}]";
	const char *row = "{\"f\":[{\"v\":\"1699089600000001\"},"
	    "{\"v\":{\"f\":[{\"v\":\"9007199254740993\"},"
	    "{\"v\":[{\"v\":\"a\"},{\"v\":\"b\"}]},"
	    "{\"v\":[{\"v\":{\"f\":[{\"v\":\"1\"},{\"v\":\"-5\"}]}},"
	    "{\"v\":{\"f\":[{\"v\":null},{\"v\":\"18446744073\"}]}}]}]}},"
	    "{\"v\":[]},{\"v\":null}]}";
	char *got = conv_line(schema, row, 0);

	ck_assert_str_eq(got, "{\"ts\":\"2023-11-04T09:20:00.000001Z\","
	    "\"r\":{\"n\":\"9007199254740993\",\"tags\":[\"a\",\"b\"],"
	    "\"pts\":[{\"t\":\"1970-01-01T00:00:00.000001Z\",\"big\":-5},"
	    "{\"t\":null,\"big\":18446744073}]},\"e\":[],\"nr\":null}\n");
	free(got);
}
END_TEST

START_TEST(test_bad_rows)
{
	static const struct {
		const char	*type;
		const char	*row;
		const char	*want;		/* in the error */
		int		 at_start;	/* right after "ERROR " */
	} v[] = {
		{ "STRING", "{\"f\":[{\"v\":\"x\"},{\"v\":\"y\"}]}",
		  "row does not match", 1 },
		{ "TIMESTAMP", "{\"f\":[{\"v\":\"yesterday\"}]}",
		  "bad TIMESTAMP", 0 },
		{ "BOOL", "{\"f\":[{\"v\":\"maybe\"}]}", "bad BOOL", 0 },
	};
	char schema[128], *got, *at;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		snprintf(schema, sizeof(schema),
		    "[{\"name\":\"a\",\"type\":\"%s\"}]", v[i].type);
		got = conv_line(schema, v[i].row, 0);
		at = strstr(got, v[i].want);
		ck_assert_msg(strncmp(got, "ERROR ", 6) == 0 && at != NULL &&
		    (!v[i].at_start || at == got + 6), "%s", got);
		free(got);
	}
}
END_TEST

/* Cells that do not match their type, or are not {"v":...}: bad data. */
START_TEST(test_bad_cells)
{
	static const struct {
		const char	*schema;	/* "[...]", or c's type */
		const char	*row;
		const char	*want;		/* after "ERROR column 'c': " */
	} v[] = {
		{ "INT64", "{\"f\":[{\"v\":\"abc\"}]}", "bad INT64 'abc'" },
		{ "INT64", "{\"f\":[{\"v\":\"\"}]}", "bad INT64 ''" },
		{ "INT64", "{\"f\":[{\"v\":\"-\"}]}", "bad INT64 '-'" },
		{ "INT64", "{\"f\":[{\"v\":\"+1\"}]}", "bad INT64 '+1'" },
		{ "INT64", "{\"f\":[{\"v\":\"1.5\"}]}", "bad INT64 '1.5'" },
		{ "INT64", "{\"f\":[{\"v\":\"1e3\"}]}", "bad INT64 '1e3'" },
		{ "INT64", "{\"f\":[{\"v\":\"9223372036854775808\"}]}",
		  "bad INT64 '9223372036854775808'" },
		{ "INT64", "{\"f\":[{\"v\":\"-9223372036854775809\"}]}",
		  "bad INT64 '-9223372036854775809'" },
		{ "INT64", "{\"f\":[{\"v\":\"000000000000000000000001x\"}]}",
		  "bad INT64 '000000000000000000000001x'" },
		{ "INT64", "{\"f\":[{\"v\":\"099999999999999999999\"}]}",
		  "bad INT64 '099999999999999999999'" },
		{ "FLOAT64", "{\"f\":[{\"v\":\"1.5.5\"}]}",
		  "bad FLOAT64 '1.5.5'" },
		{ "FLOAT64", "{\"f\":[{\"v\":\"abc\"}]}", "bad FLOAT64 'abc'" },
		{ "FLOAT64", "{\"f\":[{\"v\":\"inf\"}]}", "bad FLOAT64 'inf'" },
		{ "FLOAT64", "{\"f\":[{\"v\":\"\"}]}", "bad FLOAT64 ''" },
		{ "STRING", "{\"f\":[\"x\"]}", "cell is not {\"v\":...}" },
		{ "STRING", "{\"f\":[{\"w\":\"x\"}]}",
		  "cell is not {\"v\":...}" },
		{ "STRING", "{\"f\":[null]}", "cell is not {\"v\":...}" },
		{ "STRING", "{\"f\":[[1]]}", "cell is not {\"v\":...}" },
		{ "[{\"name\":\"c\",\"type\":\"STRING\","
		  "\"mode\":\"REPEATED\"}]",
		  "{\"f\":[{\"v\":[\"a\"]}]}", "cell is not {\"v\":...}" },
		{ "[{\"name\":\"r\",\"type\":\"RECORD\",\"fields\":"
		  "[{\"name\":\"c\",\"type\":\"INT64\"}]}]",
		  "{\"f\":[{\"v\":{\"f\":[7]}}]}", "cell is not {\"v\":...}" },
	};
	/* Leading zeros and -0 are fine; {"v":null} is a null, as before. */
	static const struct one good[] = {
		{ "INT64", "\"0000000000000000000000042\"", "42" },
		{ "INT64", "\"-0\"", "0" },
		{ "INT64", "null", "null" },
	};
	char schema[256], want[256], *got;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		if (v[i].schema[0] == '[')
			snprintf(schema, sizeof(schema), "%s", v[i].schema);
		else
			snprintf(schema, sizeof(schema),
			    "[{\"name\":\"c\",\"type\":\"%s\"}]", v[i].schema);
		snprintf(want, sizeof(want), "ERROR column 'c': %s", v[i].want);
		got = conv_line(schema, v[i].row, 0);
		ck_assert_str_eq(got, want);
		free(got);
	}
	check_ones(good, sizeof(good) / sizeof(good[0]));
}
END_TEST

START_TEST(test_ids)
{
	const char *schema = "[{\"name\":\"mmsi\",\"type\":\"INT64\"},"
	    "{\"name\":\"ts\",\"type\":\"TIMESTAMP\"},"
	    "{\"name\":\"id\",\"type\":\"STRING\"}]";
	cJSON *f = cJSON_Parse(schema);
	cJSON *r1 = cJSON_Parse("{\"f\":[{\"v\":\"367\"},{\"v\":\"1\"},"
	    "{\"v\":\"src-1\"}]}");
	cJSON *r2 = cJSON_Parse("{\"f\":[{\"v\":\"367\"},{\"v\":\"2\"},"
	    "{\"v\":\"src-2\"}]}");
	struct bq_err err = BQ_ERR_INIT;
	struct bqrow *r = bqrow_new(f, &err);
	char *cols[] = { (char *)"mmsi" }, *bad[] = { (char *)"nope" };
	char want[ROW_ID_LEN + 1];
	cJSON *o1, *o2, *only;
	const char *missing;

	/* default: hash of the whole row (source "id" is not a column) */
	o1 = bqrow_convert(r, r1, &err);
	o2 = bqrow_convert(r, r2, &err);
	ck_assert_str_ne(cJSON_GetObjectItem(o1, "id")->valuestring,
	    cJSON_GetObjectItem(o2, "id")->valuestring);
	ck_assert_int_eq(row_id(o1, NULL, 0, want, &missing), 0);
	ck_assert_str_eq(cJSON_GetObjectItem(o1, "id")->valuestring, want);
	ck_assert_str_eq(o1->child->string, "id");
	ck_assert_int_eq(cJSON_GetArraySize(o1), 3);
	cJSON_Delete(o1);
	cJSON_Delete(o2);
	/* idColumns: same key, same id; equal to the id of {"mmsi":367} */
	bqrow_set_id(r, cols, 1, NULL, 1);
	o1 = bqrow_convert(r, r1, &err);
	o2 = bqrow_convert(r, r2, &err);
	ck_assert_str_eq(cJSON_GetObjectItem(o1, "id")->valuestring,
	    cJSON_GetObjectItem(o2, "id")->valuestring);
	only = cJSON_Parse("{\"mmsi\":367}");
	ck_assert_int_eq(row_id(only, NULL, 0, want, &missing), 0);
	ck_assert_str_eq(cJSON_GetObjectItem(o1, "id")->valuestring, want);
	cJSON_Delete(only);
	cJSON_Delete(o1);
	cJSON_Delete(o2);
	/* idColumn: the source column as is */
	bqrow_set_id(r, NULL, 0, "id", 1);
	o1 = bqrow_convert(r, r1, &err);
	ck_assert_str_eq(cJSON_GetObjectItem(o1, "id")->valuestring, "src-1");
	ck_assert_int_eq(cJSON_GetArraySize(o1), 3);
	cJSON_Delete(o1);
	bqrow_set_id(r, NULL, 0, "mmsi", 1);
	o1 = bqrow_convert(r, r1, &err);
	ck_assert_str_eq(cJSON_GetObjectItem(o1, "id")->valuestring, "367");
	cJSON_Delete(o1);
	/* a missing idColumns column is an error naming it */
	bqrow_set_id(r, bad, 1, NULL, 1);
	ck_assert_ptr_null(bqrow_convert(r, r1, &err));
	ck_assert_msg(strstr(err.msg, "'nope'") != NULL, "%s", err.msg);
	ck_assert_int_eq(bqrow_column(r, "ts"), 1);
	ck_assert_int_eq(bqrow_column(r, "x"), -1);
	bqrow_free(r);
	cJSON_Delete(f);
	cJSON_Delete(r1);
	cJSON_Delete(r2);
}
END_TEST

START_TEST(test_cell_micros)
{
	cJSON *row = cJSON_Parse("{\"f\":[{\"v\":\"a\"},"
	    "{\"v\":\"1699089600123456\"},{\"v\":\"1.3682484E9\"},"
	    "{\"v\":null}]}");
	int64_t us;

	ck_assert_int_eq(bqrow_cell_micros(row, 1, &us), 0);
	ck_assert(us == 1699089600123456LL);
	ck_assert_int_eq(bqrow_cell_micros(row, 2, &us), 0);
	ck_assert(us == 1368248400000000LL);
	ck_assert_int_eq(bqrow_cell_micros(row, 3, &us), -1);
	ck_assert_int_eq(bqrow_cell_micros(row, 9, &us), -1);
	cJSON_Delete(row);
}
END_TEST

static Suite *
bqrow_suite(void)
{
	Suite *s = suite_create("bqrow");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_fixtures, 0,
	    (int)(sizeof(fixtures) / sizeof(fixtures[0])));
	tcase_add_test(tc, test_fixture_natality);
	tcase_add_test(tc, test_int64);
	tcase_add_test(tc, test_float64);
	tcase_add_test(tc, test_strings);
	tcase_add_test(tc, test_timestamp);
	tcase_add_test(tc, test_nested);
	tcase_add_test(tc, test_bad_rows);
	tcase_add_test(tc, test_bad_cells);
	tcase_add_test(tc, test_ids);
	tcase_add_test(tc, test_cell_micros);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(bqrow_suite)
