/*
 * log: errors, logging, exit codes and progress, shared by every tool.
 *
 * Library functions never print and never exit: they return -1 and fill a
 * struct bq_err whose kind is one of the exit codes below (bqsync(7), EXIT STATUS), so a
 * tool ends with exit(exit_for(&err)).  Messages follow err(3): lower case,
 * no final full stop, subjects in quotes, never a secret.  Logging goes
 * through one callback that the tool installs with bqsync_set_log(); the
 * default writes "<progname>: <message>" to stderr, honouring the verbosity
 * set with bqsync_set_verbosity().
 */
#ifndef BQSYNC_LOG_H
#define BQSYNC_LOG_H

#include <stdarg.h>
#include <stdio.h>

/* Exit codes (a sysexits subset), the same in every tool. */
enum {
	EXIT_OK = 0,
	EXIT_FAIL = 1,		/* other failure */
	EXIT_USAGE = 64,	/* command-line usage error */
	EXIT_DATA = 65,		/* bad input data */
	EXIT_UNAVAILABLE = 69,	/* service unavailable */
	EXIT_IOERR = 74,	/* local I/O error */
	EXIT_TEMPFAIL = 75,	/* temporary failure; a retry may work */
	EXIT_NOPERM = 77,	/* permission or authentication refused */
	EXIT_CONFIG = 78	/* configuration error */
};

struct bq_err {
	int	 kind;		/* one of the EXIT_* codes; 0 = no error */
	long	 http_status;	/* last HTTP status, 0 if none */
	char	 msg[256];	/* one line, no secrets */
};

#define BQ_ERR_INIT { 0, 0, { 0 } }

/* Sets kind and message; returns -1 so "return bq_err_set(...)" works. */
int	 bq_err_set(struct bq_err *, int kind, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Prefixes the existing message with "<fmt>: "; returns -1. */
int	 bq_err_prefix(struct bq_err *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 bq_err_clear(struct bq_err *);
/* The exit code for err (EXIT_FAIL when kind is unset). */
int	 exit_for(const struct bq_err *);

/* BQ_LOG_*, not LOG_*: <syslog.h> defines LOG_INFO and LOG_DEBUG. */
enum log_level { BQ_LOG_ERROR, BQ_LOG_WARN, BQ_LOG_INFO, BQ_LOG_DEBUG };

typedef void log_fn(enum log_level, const char *msg, void *arg);

/* Installs the log callback (NULL restores the stderr default). */
void	 bqsync_set_log(log_fn *, void *arg);
void	 bqsync_set_progname(const char *);
const char *bqsync_progname(void);
/* -1 quiet (errors only), 0 default (warnings and info), 1 debug. */
void	 bqsync_set_verbosity(int);
void	 bqsync_log(enum log_level, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 bqsync_vlog(enum log_level, const char *fmt, va_list);

/*
 * Progress line on stderr, redrawn at most about once a second with \r and
 * ended with \n by progress_done().  Only when enabled (the tool passes
 * !quiet && isatty(2), or the --progress/--no-progress override).
 */
struct progress {
	int	 enabled;
	double	 last;
	double	 start;
	int	 drawn;
};

void	 progress_init(struct progress *, int enabled);
void	 progress_update(struct progress *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	 progress_done(struct progress *);

#endif
