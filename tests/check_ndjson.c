#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ndjson.h"
#include "util.h"
#include "testlib.h"
#include "banned.h"

/*
 * Feeds data to a reader through a pipe, written by a thread so that
 * inputs larger than the pipe buffer work and reads come in pieces.
 */
struct feed {
	int		 fd;
	const char	*data;
	size_t		 len;
	size_t		 chunk;
};

static void *
feeder(void *arg)
{
	struct feed *f = arg;
	size_t off = 0, n;
	ssize_t w;

	while (off < f->len) {
		n = f->len - off < f->chunk ? f->len - off : f->chunk;
		w = write(f->fd, f->data + off, n);
		if (w == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		off += (size_t)w;
	}
	close(f->fd);
	return NULL;
}

struct piped {
	struct ndjson_reader *r;
	pthread_t	 th;
	struct feed	 f;
};

static void
pipe_open(struct piped *p, const char *data, size_t len, size_t chunk)
{
	int fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	p->f.fd = fds[1];
	p->f.data = data;
	p->f.len = len;
	p->f.chunk = chunk;
	ck_assert_int_eq(pthread_create(&p->th, NULL, feeder, &p->f), 0);
	p->r = ndjson_reader_new(fds[0], "t");
}

static void
pipe_close(struct piped *p)
{
	ndjson_reader_free(p->r);
	pthread_join(p->th, NULL);
}

/* Reads every line of data and joins them with "|". */
static char *
lines_of(const char *data, size_t len, size_t chunk, unsigned long *count)
{
	struct piped p;
	struct strbuf sb = STRBUF_INIT;
	struct bq_err err = BQ_ERR_INIT;
	const char *line;
	size_t n;
	int rc;

	pipe_open(&p, data, len, chunk);
	while ((rc = ndjson_read_line(p.r, &line, &n, &err)) == 1) {
		ck_assert_uint_eq(strlen(line), n);
		strbuf_add(&sb, line, n);
		strbuf_addch(&sb, '|');
	}
	ck_assert_int_eq(rc, 0);
	/* End of input is sticky. */
	ck_assert_int_eq(ndjson_read_line(p.r, &line, &n, &err), 0);
	*count = ndjson_lineno(p.r);
	pipe_close(&p);
	return strbuf_detach(&sb, NULL);
}

START_TEST(test_splitting)
{
	static const struct {
		const char	*in;
		const char	*out;
		unsigned long	 lines;
	} cases[] = {
		{ "", "", 0 },
		{ "a\nb\n", "a|b|", 2 },
		{ "a\nb", "a|b|", 2 },		/* no final newline */
		{ "a\r\nb\r\n", "a|b|", 2 },	/* CRLF */
		{ "a\r\nb\r", "a|b|", 2 },
		{ "\n\na\n", "||a|", 3 },	/* blank lines returned */
		{ "\n", "|", 1 },
		{ "x\ry\n", "x\ry|", 1 },	/* lone CR kept */
		{ "\r\n", "|", 1 },
	};
	size_t i, chunk;
	unsigned long count;
	char *got;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (chunk = 1; chunk <= 4096; chunk *= 4) {
			got = lines_of(cases[i].in, strlen(cases[i].in), chunk,
			    &count);
			ck_assert_msg(strcmp(got, cases[i].out) == 0,
			    "case %zu chunk %zu: got '%s'", i, chunk, got);
			ck_assert_uint_eq(count, cases[i].lines);
			free(got);
		}
	}
}
END_TEST

START_TEST(test_huge_line)
{
	size_t big = 10 * 1024 * 1024, len, total;
	char *data = xmalloc(big + 64);
	struct piped p;
	struct bq_err err = BQ_ERR_INIT;
	const char *line;
	size_t n;
	int rc;

	/* {"a":"xxxx...x"}\n{"b":1} : one 10 MB line, then a short one. */
	memcpy(data, "{\"a\":\"", 6);
	memset(data + 6, 'x', big);
	len = 6 + big;
	memcpy(data + len, "\"}\n{\"b\":1}", 10);
	total = len + 10;
	pipe_open(&p, data, total, 100000);
	rc = ndjson_read_line(p.r, &line, &n, &err);
	ck_assert_int_eq(rc, 1);
	ck_assert_uint_eq(n, big + 8);
	ck_assert_int_eq(line[n - 1], '}');
	ck_assert_int_eq(line[n], '\0');
	ck_assert_int_eq(ndjson_read_line(p.r, &line, &n, &err), 1);
	ck_assert_str_eq(line, "{\"b\":1}");
	ck_assert_uint_eq(ndjson_lineno(p.r), 2);
	ck_assert_int_eq(ndjson_read_line(p.r, &line, &n, &err), 0);
	pipe_close(&p);
	free(data);
}
END_TEST

START_TEST(test_many_lines)
{
	struct strbuf sb = STRBUF_INIT;
	struct piped p;
	struct bq_err err = BQ_ERR_INIT;
	cJSON *o;
	int i, rc;

	/* Lines straddle buffer boundaries at every offset. */
	for (i = 0; i < 20000; i++)
		strbuf_addf(&sb, "{\"i\":%d,\"pad\":\"%*s\"}\n", i, i % 97, "");
	pipe_open(&p, sb.buf, sb.len, 4093);
	for (i = 0; (rc = ndjson_next_object(p.r, &o, &err)) == 1; i++) {
		ck_assert_int_eq(cJSON_GetObjectItem(o, "i")->valueint, i);
		cJSON_Delete(o);
	}
	ck_assert_int_eq(rc, 0);
	ck_assert_int_eq(i, 20000);
	pipe_close(&p);
	strbuf_release(&sb);
}
END_TEST

START_TEST(test_next_object_errors)
{
	static const char in[] =
	    "{\"a\":1}\n"		/* 1 */
	    "\n"			/* 2 blank, skipped */
	    "   \n"			/* 3 blank, skipped */
	    "{bad\n"			/* 4 */
	    "[1,2]\n"			/* 5 */
	    "{\"s\":\"\xff\"}\n"	/* 6 */
	    "{\"a\":1} x\n"		/* 7 trailing garbage */
	    "{\"a\":1}  \r\n"		/* 8 trailing space: fine */
	    "{\"a\":\"\x01\"}\n"	/* 9 raw control character */
	    "{\"a\":\"\xc3\xa9\"}";	/* 10 no newline */
	struct piped p;
	struct bq_err err = BQ_ERR_INIT;
	cJSON *o;

	pipe_open(&p, in, strlen(in), 3);
	ck_assert_int_eq(ndjson_next_object(p.r, &o, &err), 1);
	cJSON_Delete(o);
	ck_assert_int_eq(ndjson_next_object(p.r, &o, &err), -1);
	ck_assert_int_eq(err.kind, EXIT_DATA);
	ck_assert_str_eq(err.msg, "t:4: invalid JSON");
	ck_assert_ptr_null(o);
	ck_assert_int_eq(ndjson_next_object(p.r, &o, &err), -1);
	ck_assert_str_eq(err.msg, "t:5: not a JSON object");
	ck_assert_int_eq(ndjson_next_object(p.r, &o, &err), -1);
	ck_assert_str_eq(err.msg, "t:6: invalid UTF-8");
	ck_assert_int_eq(ndjson_next_object(p.r, &o, &err), -1);
	ck_assert_str_eq(err.msg, "t:7: invalid JSON");
	ck_assert_int_eq(ndjson_next_object(p.r, &o, &err), 1);
	ck_assert_uint_eq(ndjson_lineno(p.r), 8);
	cJSON_Delete(o);
	ck_assert_int_eq(ndjson_next_object(p.r, &o, &err), -1);
	ck_assert_str_eq(err.msg, "t:9: invalid JSON");
	ck_assert_int_eq(ndjson_next_object(p.r, &o, &err), 1);
	ck_assert_str_eq(cJSON_GetObjectItem(o, "a")->valuestring, "\xc3\xa9");
	ck_assert_uint_eq(ndjson_lineno(p.r), 10);
	cJSON_Delete(o);
	ck_assert_int_eq(ndjson_next_object(p.r, &o, &err), 0);
	pipe_close(&p);
}
END_TEST

START_TEST(test_parse)
{
	struct bq_err err = BQ_ERR_INIT;
	cJSON *v;

	v = ndjson_parse(NULL, "[1, \"x\"] ", 9, &err);
	ck_assert_ptr_nonnull(v);
	ck_assert(cJSON_IsArray(v));
	cJSON_Delete(v);
	/* Length is honoured: a valid prefix of a longer buffer. */
	v = ndjson_parse(NULL, "{}garbage", 2, &err);
	ck_assert_ptr_nonnull(v);
	cJSON_Delete(v);
	ck_assert_ptr_null(ndjson_parse(NULL, "{}{}", 4, &err));
	ck_assert_ptr_null(ndjson_parse(NULL, "", 0, &err));
	ck_assert_ptr_null(ndjson_parse(NULL, "{\"a\":\"\0\"}", 9, &err));
	ck_assert_int_eq(err.kind, EXIT_DATA);
}
END_TEST

START_TEST(test_utf8)
{
	ck_assert(ndjson_utf8_valid("", 0));
	ck_assert(ndjson_utf8_valid("plain ascii text, long enough", 29));
	ck_assert(ndjson_utf8_valid("\xc3\xa9", 2));		/* é */
	ck_assert(ndjson_utf8_valid("\xe2\x82\xac", 3));		/* € */
	ck_assert(ndjson_utf8_valid("\xf0\x9f\x9a\xa2", 4));	/* ship */
	ck_assert(ndjson_utf8_valid("\xf4\x8f\xbf\xbf", 4));	/* U+10FFFF */
	ck_assert(ndjson_utf8_valid("\xed\x9f\xbf", 3));		/* U+D7FF */
	ck_assert(!ndjson_utf8_valid("\xc0\xaf", 2));		/* overlong / */
	ck_assert(!ndjson_utf8_valid("\xc1\xbf", 2));
	ck_assert(!ndjson_utf8_valid("\xe0\x80\xaf", 3));	/* overlong */
	ck_assert(!ndjson_utf8_valid("\xf0\x80\x80\xaf", 4));	/* overlong */
	ck_assert(!ndjson_utf8_valid("\xed\xa0\x80", 3));	/* surrogate */
	ck_assert(!ndjson_utf8_valid("\xf4\x90\x80\x80", 4));	/* > 10FFFF */
	ck_assert(!ndjson_utf8_valid("\xf5\x80\x80\x80", 4));
	ck_assert(!ndjson_utf8_valid("\x80", 1));		/* stray */
	ck_assert(!ndjson_utf8_valid("\xc3", 1));		/* truncated */
	ck_assert(!ndjson_utf8_valid("\xe2\x82", 2));
	ck_assert(!ndjson_utf8_valid("\xc3\x28", 2));
	ck_assert(!ndjson_utf8_valid("abcdefgh\xff", 9));
	ck_assert(!ndjson_utf8_valid("\xfe", 1));
}
END_TEST

START_TEST(test_count)
{
	ck_assert_uint_eq(ndjson_count("{}\n{}\n", 6), 2);
	ck_assert_uint_eq(ndjson_count("{}\n{}", 5), 2);
	ck_assert_uint_eq(ndjson_count("", 0), 0);
	ck_assert_uint_eq(ndjson_count("\n\n \n\r\n", 6), 0);
	ck_assert_uint_eq(ndjson_count("{}\r\n\n{}\r\n", 9), 2);
	/* len bounds the scan. */
	ck_assert_uint_eq(ndjson_count("{}\n{}\n", 3), 1);
}
END_TEST

START_TEST(test_writer)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);
	cJSON *o = cJSON_CreateObject();

	cJSON_AddStringToObject(o, "s", "a\"b\n\xc3\xa9");
	cJSON_AddNumberToObject(o, "n", 1.5);
	cJSON_AddItemToObject(o, "z", cJSON_CreateNull());
	ck_assert_int_eq(ndjson_write(fp, o), 0);
	ck_assert_int_eq(ndjson_write_raw(fp, "{}", 2), 0);
	ck_assert_int_eq(ndjson_write_raw(fp, "", 0), 0);
	fclose(fp);
	ck_assert_str_eq(buf,
	    "{\"s\":\"a\\\"b\\n\xc3\xa9\",\"n\":1.5,\"z\":null}\n{}\n\n");
	free(buf);
	cJSON_Delete(o);
}
END_TEST

START_TEST(test_writer_error)
{
	FILE *fp = fopen("/dev/full", "w");
	cJSON *o = cJSON_CreateObject();
	int rc;

	ck_assert_ptr_nonnull(fp);
	setvbuf(fp, NULL, _IONBF, 0);
	errno = 0;
	rc = ndjson_write(fp, o);
	ck_assert_int_eq(rc, -1);
	ck_assert_int_eq(errno, ENOSPC);
	fclose(fp);
	cJSON_Delete(o);
}
END_TEST

START_TEST(test_open)
{
	struct bq_err err = BQ_ERR_INIT;
	struct ndjson_reader *r;
	char path[] = "/tmp/check_ndjson.XXXXXX";
	const char *line;
	size_t n;
	int fd;

	ck_assert_ptr_null(ndjson_reader_open("/nonexistent/f", &err));
	ck_assert_int_eq(err.kind, EXIT_IOERR);
	ck_assert_str_eq(err.msg,
	    "cannot open '/nonexistent/f': No such file or directory");

	fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, "x\n", 2), 2);
	close(fd);
	r = ndjson_reader_open(path, &err);
	ck_assert_ptr_nonnull(r);
	ck_assert_str_eq(ndjson_name(r), path);
	ck_assert_int_eq(ndjson_read_line(r, &line, &n, &err), 1);
	ck_assert_str_eq(line, "x");
	ndjson_reader_free(r);
	unlink(path);

	r = ndjson_reader_open("-", &err);
	ck_assert_str_eq(ndjson_name(r), "<stdin>");
	ndjson_reader_free(r);	/* does not close fd 0 */
	ck_assert_int_ne(fcntl(0, F_GETFD), -1);
	ndjson_reader_free(NULL);
}
END_TEST

START_TEST(test_read_error)
{
	struct bq_err err = BQ_ERR_INIT;
	struct ndjson_reader *r;
	const char *line;
	size_t n;
	int fd = open("/tmp", O_RDONLY | O_DIRECTORY);

	ck_assert_int_ge(fd, 0);
	r = ndjson_reader_new(fd, "/tmp");
	ck_assert_int_eq(ndjson_read_line(r, &line, &n, &err), -1);
	ck_assert_int_eq(err.kind, EXIT_IOERR);
	ck_assert_str_eq(err.msg, "/tmp: read: Is a directory");
	ndjson_reader_free(r);
}
END_TEST

CHECK_TESTS("ndjson", 60,
    test_splitting,
    test_huge_line,
    test_many_lines,
    test_next_object_errors,
    test_parse,
    test_utf8,
    test_count,
    test_writer,
    test_writer_error,
    test_open,
    test_read_error)
