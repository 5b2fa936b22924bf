#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "util.h"
#include "banned.h"

static void
die_oom(size_t n)
{
	fprintf(stderr, "bqsync: out of memory allocating %zu bytes\n", n);
	abort();
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		die_oom(n);
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);

	if (p == NULL)
		die_oom(n * size);
	return p;
}

void *
xrealloc(void *old, size_t n)
{
	void *p = realloc(old, n ? n : 1);

	if (p == NULL)
		die_oom(n);
	return p;
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
xstrfmt(const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	return strbuf_detach(&sb, NULL);
}

/* The empty string every unallocated strbuf points at; never written. */
char strbuf_slopbuf[1];

void
strbuf_init(struct strbuf *sb, size_t hint)
{
	sb->alloc = hint ? hint + 1 : 64;
	sb->buf = xmalloc(sb->alloc);
	sb->len = 0;
	sb->buf[0] = '\0';
}

void
strbuf_release(struct strbuf *sb)
{
	if (sb->alloc != 0)
		free(sb->buf);
	sb->buf = strbuf_slopbuf;
	sb->len = sb->alloc = 0;
}

void
strbuf_reset(struct strbuf *sb)
{
	sb->len = 0;
	if (sb->alloc != 0)
		sb->buf[0] = '\0';
	else
		sb->buf = strbuf_slopbuf;
}

void
strbuf_grow(struct strbuf *sb, size_t extra)
{
	size_t want;

	if (sb->alloc == 0) {
		strbuf_init(sb, extra);
		return;
	}
	if (extra > (size_t)-1 - sb->len - 1)
		die_oom((size_t)-1);
	want = sb->len + extra + 1;
	if (want <= sb->alloc)
		return;
	if (want < sb->alloc * 2)
		want = sb->alloc * 2;
	sb->buf = xrealloc(sb->buf, want);
	sb->alloc = want;
}

void
strbuf_add(struct strbuf *sb, const void *p, size_t n)
{
	strbuf_grow(sb, n);
	memcpy(sb->buf + sb->len, p, n);
	sb->len += n;
	sb->buf[sb->len] = '\0';
}

void
strbuf_adds(struct strbuf *sb, const char *s)
{
	strbuf_add(sb, s, strlen(s));
}

void
strbuf_addch(struct strbuf *sb, int c)
{
	strbuf_grow(sb, 1);
	sb->buf[sb->len++] = (char)c;
	sb->buf[sb->len] = '\0';
}

void
strbuf_vaddf(struct strbuf *sb, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	strbuf_grow(sb, 64);
	va_copy(cp, ap);
	n = vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, cp);
	va_end(cp);
	if (n < 0)
		return;
	if ((size_t)n >= sb->alloc - sb->len) {
		strbuf_grow(sb, (size_t)n);
		va_copy(cp, ap);
		n = vsnprintf(sb->buf + sb->len, sb->alloc - sb->len, fmt, cp);
		va_end(cp);
	}
	sb->len += (size_t)n;
}

void
strbuf_addf(struct strbuf *sb, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strbuf_vaddf(sb, fmt, ap);
	va_end(ap);
}

char *
strbuf_detach(struct strbuf *sb, size_t *len)
{
	char *p;

	if (sb->alloc == 0)
		strbuf_init(sb, 0);
	p = sb->buf;
	if (len != NULL)
		*len = sb->len;
	sb->buf = strbuf_slopbuf;
	sb->len = sb->alloc = 0;
	return p;
}

void
strbuf_add_json_string(struct strbuf *sb, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, run = 0;

	strbuf_grow(sb, n + 2);
	strbuf_addch(sb, '"');
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		strbuf_add(sb, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"': strbuf_add(sb, "\\\"", 2); break;
		case '\\': strbuf_add(sb, "\\\\", 2); break;
		case '\n': strbuf_add(sb, "\\n", 2); break;
		case '\r': strbuf_add(sb, "\\r", 2); break;
		case '\t': strbuf_add(sb, "\\t", 2); break;
		case '\b': strbuf_add(sb, "\\b", 2); break;
		case '\f': strbuf_add(sb, "\\f", 2); break;
		default:
			strbuf_add(sb, "\\u00", 4);
			strbuf_addch(sb, hex[c >> 4]);
			strbuf_addch(sb, hex[c & 15]);
		}
	}
	strbuf_add(sb, s + run, n - run);
	strbuf_addch(sb, '"');
}

const char *
util_json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

void
util_wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n--)
		*v++ = 0;
}

void
util_free_secret(char *s)
{
	if (s == NULL)
		return;
	util_wipe(s, strlen(s));
	free(s);
}

double
util_now_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

double
util_now_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void
util_sleep(double s, volatile int *stop)
{
	struct timespec ts, rem;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &rem) == -1 && errno == EINTR) {
		if (stop != NULL && *stop)
			return;
		ts = rem;
	}
}

void
strbuf_grow_secret(struct strbuf *sb, size_t extra)
{
	char *p;

	if (sb->alloc == 0)
		strbuf_init(sb, 0);
	if (sb->alloc - sb->len - 1 >= extra)
		return;
	if (extra > (size_t)-1 / 2 - sb->len)
		die_oom((size_t)-1);
	if (extra < sb->alloc)
		extra = sb->alloc;	/* doubles, as strbuf_grow() */
	p = xmalloc(sb->len + extra + 1);
	memcpy(p, sb->buf, sb->len + 1);
	util_wipe(sb->buf, sb->alloc);
	free(sb->buf);
	sb->buf = p;
	sb->alloc = sb->len + extra + 1;
}

static void
grow(struct strbuf *sb, size_t extra, int secret)
{
	if (secret)
		strbuf_grow_secret(sb, extra);
	else
		strbuf_grow(sb, extra);
}

/*
 * Reads fd to its end straight into out: no bounce buffer that would keep
 * a copy of a secret (a regular file is read into one buffer of its size).
 */
static int
read_fd(int fd, struct strbuf *out, int secret)
{
	struct stat st;
	ssize_t n;

	strbuf_reset(out);
	grow(out, fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    st.st_size > 0 ? (size_t)st.st_size + 1 : 8192, secret);
	for (;;) {
		if (out->alloc - out->len < 2)
			grow(out, out->alloc, secret);
		n = read(fd, out->buf + out->len, out->alloc - out->len - 1);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		out->len += (size_t)n;
		out->buf[out->len] = '\0';
	}
	return n == -1 ? -1 : 0;
}

int
util_read_fd(int fd, struct strbuf *out)
{
	return read_fd(fd, out, 0);
}

static int
read_path(const char *path, struct strbuf *out, int secret)
{
	int fd, rc, saved;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	rc = read_fd(fd, out, secret);
	saved = errno;
	close(fd);
	errno = saved;
	return rc;
}

int
util_read_file(const char *path, struct strbuf *out)
{
	return read_path(path, out, 0);
}

int
util_read_secret(const char *path, struct strbuf *out)
{
	return read_path(path, out, 1);
}

void
strbuf_release_secret(struct strbuf *sb)
{
	if (sb->alloc != 0)
		util_wipe(sb->buf, sb->alloc);
	strbuf_release(sb);
}

void
util_no_core_dumps(void)
{
	struct rlimit rl = { 0, 0 };

	setrlimit(RLIMIT_CORE, &rl);
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
}
