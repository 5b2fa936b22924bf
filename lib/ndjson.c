#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ndjson.h"
#include "util.h"
#include "banned.h"

/*
 * The buffer holds buf[start..end) unconsumed input; scan is where the
 * search for the next newline resumes, so a long line is scanned once.  It
 * doubles only while a single line does not fit, so memory is bounded by
 * about twice the longest line (or the initial size).
 */
#define NDJSON_BUFSZ	(64 * 1024)

struct ndjson_reader {
	int		 fd;
	char		*name;
	char		*buf;
	size_t		 cap;
	size_t		 start;
	size_t		 scan;
	size_t		 end;
	int		 eof;
	unsigned long	 lineno;
};

struct ndjson_reader *
ndjson_reader_new(int fd, const char *name)
{
	struct ndjson_reader *r = xcalloc(1, sizeof(*r));

	r->fd = fd;
	r->name = xstrdup(name != NULL ? name : (fd == 0 ? "<stdin>" : "-"));
	r->cap = NDJSON_BUFSZ;
	r->buf = xmalloc(r->cap);
	return r;
}

struct ndjson_reader *
ndjson_reader_open(const char *path, struct bq_err *err)
{
	int fd;

	if (path == NULL || strcmp(path, "-") == 0)
		return ndjson_reader_new(0, "<stdin>");
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		bq_err_set(err, EXIT_IOERR, "cannot open '%s': %s", path,
		    strerror(errno));
		return NULL;
	}
	return ndjson_reader_new(fd, path);
}

void
ndjson_reader_free(struct ndjson_reader *r)
{
	if (r == NULL)
		return;
	if (r->fd != 0)
		close(r->fd);
	free(r->buf);
	free(r->name);
	free(r);
}

/*
 * Makes room after end when less than a quarter of the buffer is free:
 * first by moving the pending partial line down, then by doubling.
 */
static void
make_room(struct ndjson_reader *r)
{
	if (r->start == r->end) {
		r->start = r->scan = r->end = 0;
		return;
	}
	if (r->cap - r->end >= r->cap / 4)
		return;
	if (r->start > 0) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->scan -= r->start;
		r->start = 0;
	}
	if (r->cap - r->end < r->cap / 4) {
		r->cap *= 2;
		r->buf = xrealloc(r->buf, r->cap);
	}
}

int
ndjson_read_line(struct ndjson_reader *r, const char **line, size_t *len,
    struct bq_err *err)
{
	char *nl;
	size_t n;
	ssize_t got;

	for (;;) {
		nl = r->scan < r->end ?
		    memchr(r->buf + r->scan, '\n', r->end - r->scan) : NULL;
		if (nl != NULL) {
			n = (size_t)(nl - (r->buf + r->start));
			r->scan = r->start = (size_t)(nl - r->buf) + 1;
			break;
		}
		r->scan = r->end;
		if (r->eof) {
			if (r->start == r->end)
				return 0;
			n = r->end - r->start;
			r->scan = r->start = r->end;
			break;
		}
		make_room(r);
		/* One byte stays free for the NUL of a last line. */
		got = read(r->fd, r->buf + r->end, r->cap - r->end - 1);
		if (got == -1) {
			if (errno == EINTR)
				continue;
			return bq_err_set(err, EXIT_IOERR, "%s: read: %s",
			    r->name, strerror(errno));
		}
		if (got == 0)
			r->eof = 1;
		r->end += (size_t)got;
	}
	/* The line starts n bytes before the new start (minus its "\n"). */
	{
		char *s = r->buf + r->start - n - (nl != NULL ? 1 : 0);

		if (n > 0 && s[n - 1] == '\r')
			n--;
		s[n] = '\0';
		*line = s;
		*len = n;
	}
	r->lineno++;
	return 1;
}

unsigned long
ndjson_lineno(const struct ndjson_reader *r)
{
	return r->lineno;
}

const char *
ndjson_name(const struct ndjson_reader *r)
{
	return r->name;
}

int
ndjson_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	const unsigned char *e = s + len;
	uint64_t w;

	while (s < e) {
		/* ASCII fast path, eight bytes at a time. */
		while (e - s >= 8) {
			memcpy(&w, s, 8);
			if (w & UINT64_C(0x8080808080808080))
				break;
			s += 8;
		}
		if (s >= e)
			break;
		if (*s < 0x80) {
			s++;
		} else if (*s >= 0xc2 && *s <= 0xdf) {
			if (e - s < 2 || (s[1] & 0xc0) != 0x80)
				return 0;
			s += 2;
		} else if (*s >= 0xe0 && *s <= 0xef) {
			if (e - s < 3 || (s[1] & 0xc0) != 0x80 ||
			    (s[2] & 0xc0) != 0x80)
				return 0;
			if (*s == 0xe0 && s[1] < 0xa0)	/* overlong */
				return 0;
			if (*s == 0xed && s[1] > 0x9f)	/* surrogate */
				return 0;
			s += 3;
		} else if (*s >= 0xf0 && *s <= 0xf4) {
			if (e - s < 4 || (s[1] & 0xc0) != 0x80 ||
			    (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
				return 0;
			if (*s == 0xf0 && s[1] < 0x90)	/* overlong */
				return 0;
			if (*s == 0xf4 && s[1] > 0x8f)	/* > U+10FFFF */
				return 0;
			s += 4;
		} else {
			return 0;
		}
	}
	return 1;
}

static int
is_blank(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
			return 0;
	return 1;
}

/*
 * cJSON accepts raw control characters inside strings and stops at a NUL;
 * RFC 8259 allows neither, so reject them before parsing.
 */
static int
has_control(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 && c != '\t' && c != '\r' && c != '\n')
			return 1;
	}
	return 0;
}

cJSON *
ndjson_parse(const struct ndjson_reader *r, const char *line, size_t len,
    struct bq_err *err)
{
	const char *name = r != NULL ? r->name : "-";
	unsigned long no = r != NULL ? r->lineno : 0;
	const char *end = NULL;
	cJSON *v;

	if (!ndjson_utf8_valid(line, len)) {
		bq_err_set(err, EXIT_DATA, "%s:%lu: invalid UTF-8", name, no);
		return NULL;
	}
	if (has_control(line, len))
		goto bad;
	v = cJSON_ParseWithLengthOpts(line, len, &end, 0);
	if (v == NULL)
		goto bad;
	/* Only whitespace may follow the value. */
	if (end == NULL || end < line || end > line + len ||
	    !is_blank(end, len - (size_t)(end - line))) {
		cJSON_Delete(v);
		goto bad;
	}
	return v;
bad:
	bq_err_set(err, EXIT_DATA, "%s:%lu: invalid JSON", name, no);
	return NULL;
}

int
ndjson_next_object(struct ndjson_reader *r, cJSON **obj, struct bq_err *err)
{
	const char *line = NULL;
	size_t len = 0;
	cJSON *v;
	int rc;

	*obj = NULL;
	for (;;) {
		if ((rc = ndjson_read_line(r, &line, &len, err)) != 1)
			return rc;
		if (!is_blank(line, len))
			break;
	}
	if ((v = ndjson_parse(r, line, len, err)) == NULL)
		return -1;
	if (!cJSON_IsObject(v)) {
		cJSON_Delete(v);
		return bq_err_set(err, EXIT_DATA, "%s:%lu: not a JSON object",
		    r->name, r->lineno);
	}
	*obj = v;
	return 1;
}

size_t
ndjson_count(const char *buf, size_t len)
{
	const char *p = buf, *e = buf + len, *nl;
	size_t n = 0;

	while (p < e) {
		nl = memchr(p, '\n', (size_t)(e - p));
		if (nl == NULL)
			nl = e;
		if (!is_blank(p, (size_t)(nl - p)))
			n++;
		p = nl + 1;
	}
	return n;
}

int
ndjson_write(FILE *fp, const cJSON *v)
{
	char *s;
	int rc;

	if ((s = cJSON_PrintUnformatted(v)) == NULL) {
		errno = ENOMEM;
		return -1;
	}
	rc = ndjson_write_raw(fp, s, strlen(s));
	free(s);
	return rc;
}

int
ndjson_write_raw(FILE *fp, const char *s, size_t len)
{
	if (len > 0 && fwrite(s, 1, len, fp) != len)
		return -1;
	if (putc('\n', fp) == EOF)
		return -1;
	return 0;
}
