/*
 * util: allocation that never returns NULL, and a growable string buffer.
 *
 * xmalloc() and friends abort with a message on out-of-memory; they are the
 * only functions in libbqsync that terminate the process (as in git and
 * sbase).  struct strbuf always holds a NUL-terminated string in buf, even
 * when empty: STRBUF_INIT points buf at strbuf_slopbuf, a shared static ""
 * (as in git), so buf is never NULL and nothing is allocated until the first
 * addition.  alloc == 0 means "nothing allocated": test alloc, never buf, to
 * know whether a strbuf holds memory.  buf is owned by the strbuf until
 * strbuf_detach() hands it to the caller.  strbuf_init() is needed only to
 * pass a size hint.
 */
#ifndef BQSYNC_UTIL_H
#define BQSYNC_UTIL_H

#include <stdarg.h>
#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);
/* Like asprintf(3); the caller frees the result. */
char	*xstrfmt(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));

struct strbuf {
	char	*buf;
	size_t	 len;
	size_t	 alloc;
};

extern char strbuf_slopbuf[];
#define STRBUF_INIT { strbuf_slopbuf, 0, 0 }

void	 strbuf_init(struct strbuf *, size_t hint);
void	 strbuf_release(struct strbuf *);
void	 strbuf_reset(struct strbuf *);
void	 strbuf_grow(struct strbuf *, size_t extra);
void	 strbuf_add(struct strbuf *, const void *, size_t);
void	 strbuf_adds(struct strbuf *, const char *);
void	 strbuf_addch(struct strbuf *, int);
void	 strbuf_addf(struct strbuf *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 strbuf_vaddf(struct strbuf *, const char *fmt, va_list);
/* Returns buf (never NULL) and leaves the strbuf empty; caller frees. */
char	*strbuf_detach(struct strbuf *, size_t *len);

/*
 * Appends s as a JSON string literal (with quotes), escaping per RFC 8259.
 * Bytes are copied as they are, so valid UTF-8 stays valid UTF-8.
 */
void	 strbuf_add_json_string(struct strbuf *, const char *s, size_t len);

struct cJSON;
/*
 * The string value of member key of JSON object o, or NULL if o is NULL,
 * has no such member, or it is not a string.  o keeps ownership.
 */
const char *util_json_str(const struct cJSON *o, const char *key);

/* Overwrites n bytes at p in a way the compiler cannot elide. */
void	 util_wipe(void *p, size_t n);
/* Wipes and frees a NUL-terminated secret; NULL is fine. */
void	 util_free_secret(char *);

/* Monotonic and wall clocks, in seconds. */
double	 util_now_mono(void);
double	 util_now_wall(void);
/* Sleeps for s seconds (restarting after signals unless *stop is set). */
void	 util_sleep(double s, volatile int *stop);

/*
 * Reads a whole file (or fd, to its end; fd stays open) into out, which is
 * NUL-terminated; -1 and errno on error.  util_read_secret() leaves no copy
 * behind while it grows out: release it with strbuf_release_secret().
 */
int	 util_read_file(const char *path, struct strbuf *out);
int	 util_read_fd(int fd, struct strbuf *out);
int	 util_read_secret(const char *path, struct strbuf *out);
/*
 * For buffers that hold secrets: strbuf_grow() that wipes the buffer it
 * leaves (realloc would free a copy as it is), and strbuf_release() that
 * wipes all of the buffer first.
 */
void	 strbuf_grow_secret(struct strbuf *, size_t extra);
void	 strbuf_release_secret(struct strbuf *);

/*
 * For a process that holds secrets: no core file (RLIMIT_CORE 0) and not
 * dumpable (PR_SET_DUMPABLE 0: no core, no ptrace attach by other
 * processes of the same user, /proc/PID files owned by root).
 */
void	 util_no_core_dumps(void);

#endif
