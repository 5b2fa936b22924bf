#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "util.h"
#include "banned.h"

static log_fn *log_cb;
static void *log_arg;
static const char *progname = "bqsync";
static int verbosity;

int
bq_err_set(struct bq_err *err, int kind, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL)
		return -1;
	err->kind = kind ? kind : EXIT_FAIL;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return -1;
}

int
bq_err_prefix(struct bq_err *err, const char *fmt, ...)
{
	char pre[256], old[sizeof(err->msg)];
	va_list ap;

	if (err == NULL)
		return -1;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	if (snprintf(err->msg, sizeof(err->msg), "%.127s: %.127s", pre, old) < 0)
		err->msg[0] = '\0';
	if (err->kind == 0)
		err->kind = EXIT_FAIL;
	return -1;
}

void
bq_err_clear(struct bq_err *err)
{
	if (err == NULL)
		return;
	err->kind = 0;
	err->http_status = 0;
	err->msg[0] = '\0';
}

int
exit_for(const struct bq_err *err)
{
	if (err == NULL || err->kind == 0)
		return EXIT_FAIL;
	return err->kind;
}

void
bqsync_set_log(log_fn *fn, void *arg)
{
	log_cb = fn;
	log_arg = arg;
}

void
bqsync_set_progname(const char *name)
{
	const char *slash = strrchr(name, '/');

	progname = slash ? slash + 1 : name;
}

const char *
bqsync_progname(void)
{
	return progname;
}

void
bqsync_set_verbosity(int v)
{
	verbosity = v;
}

void
bqsync_vlog(enum log_level level, const char *fmt, va_list ap)
{
	char msg[1024];

	if (level == BQ_LOG_DEBUG && verbosity < 1)
		return;
	if ((level == BQ_LOG_INFO || level == BQ_LOG_WARN) && verbosity < 0)
		return;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (log_cb != NULL) {
		log_cb(level, msg, log_arg);
		return;
	}
	fprintf(stderr, "%s: %s%s\n", progname,
	    level == BQ_LOG_WARN ? "warning: " : "", msg);
}

void
bqsync_log(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	bqsync_vlog(level, fmt, ap);
	va_end(ap);
}

void
progress_init(struct progress *p, int enabled)
{
	p->enabled = enabled;
	p->last = 0;
	p->start = util_now_mono();
	p->drawn = 0;
}

void
progress_update(struct progress *p, const char *fmt, ...)
{
	va_list ap;
	double now;

	if (!p->enabled)
		return;
	now = util_now_mono();
	if (p->drawn && now - p->last < 1.0)
		return;
	p->last = now;
	p->drawn = 1;
	fprintf(stderr, "\r%s: ", progname);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\033[K", stderr);
	fflush(stderr);
}

void
progress_done(struct progress *p)
{
	if (p->enabled && p->drawn)
		fputc('\n', stderr);
	p->drawn = 0;
}
