/*
 * tool: the skeleton every main() in bin/ shares, after git's
 * parse-options and commands[].
 *
 * A tool describes its options once, in a table of struct tool_opt sorted
 * by short letter, then by long name; long-only options take OPT_* codes
 * from 256 up.  tool_getopt() builds getopt_long()'s arguments from that
 * table and answers -h/--help (the synopsis, then every option with its one
 * line, on stdout) and -V/--version itself; a usage error prints the
 * synopsis on stderr and exits EXIT_USAGE.  Both check their writes: a lost
 * --help or --version exits EXIT_IOERR, never 0.  A tool with verbs lists
 * them in a table of struct tool_cmd, {name, fn, options}: the options a
 * verb takes are in its row, so one check refuses the others.
 *
 * These helpers print and exit: they are for mains, never for lib/ (the
 * library returns; the tool decides).
 */
#ifndef BQSYNC_TOOL_H
#define BQSYNC_TOOL_H

#include <signal.h>
#include <stdint.h>

#include "log.h"

struct strbuf;

/* For the parameters a verb's function does not use (git's UNUSED). */
#define TOOL_UNUSED	__attribute__((unused))

/* First code of a long-only option (above every char). */
#define TOOL_OPT_LONG	256

struct tool_opt {
	int	 code;		/* short letter, or an OPT_* code >= 256 */
	const char *name;	/* long name, without "--"; NULL: short only */
	const char *arg;	/* the argument's name; NULL: takes none */
	const char *help;	/* one line for --help */
};

#define TOOL_OPT_END	{ 0, NULL, NULL, NULL }

/*
 * A verb: fn runs it with argc/argv from the verb itself (argv[0] is its
 * name) and returns the exit code.  opts lists, 0-ended, the codes of the
 * verb-only options it takes; an option that no verb lists is global.
 */
struct tool_cmd {
	const char *name;
	int	 (*fn)(int argc, char *argv[]);
	const int *opts;
};

/*
 * Records the program name, ignores SIGPIPE (socket writes must never kill
 * us; stdout EPIPE is re-raised by tool_write_failed()), and registers the
 * the synopsis ("usage: ..." lines, as the man page's SYNOPSIS) and the
 * option table, ended by TOOL_OPT_END, which must outlive every other
 * tool_* call.
 */
void	 tool_init(const char *argv0, const char *synopsis,
	    const struct tool_opt *);
/*
 * getopt_long() over the registered table: the next option's code with
 * optarg set, or -1 after the last (optind is then the first operand).
 * -h and -V never return: tool_help() and tool_version().  An unknown
 * option or a missing argument: tool_usage().
 */
int	 tool_getopt(int argc, char *argv[]);
/* Whether option code was given to tool_getopt() (for verb checks). */
int	 tool_given(int code);
/* The synopsis on stderr, exit EXIT_USAGE. */
void	 tool_usage(void) __attribute__((noreturn));
/* The synopsis and every option with its line on stdout, exit 0. */
void	 tool_help(void) __attribute__((noreturn));
/*
 * The verb called name in cmds (ended by a NULL name), or tool_usage()
 * when there is none, or when an option given belongs to other verbs only.
 */
const struct tool_cmd *tool_cmd(const struct tool_cmd *cmds,
	    const char *name);

/*
 * The single write-failure path: on EPIPE re-raises SIGPIPE with the
 * default action (the process dies as a classic filter would), otherwise
 * prints "<prog>: write: <strerror>" and exits EXIT_IOERR.
 */
void	 tool_write_failed(void) __attribute__((noreturn));
/* Writes sb to stdout and flushes it; on failure tool_write_failed(). */
void	 tool_print(const struct strbuf *sb);
/* fflush, ferror and fclose of stdout; on failure tool_write_failed(). */
void	 tool_close_stdout(void);
/*
 * -V: prints "<prog> <version>" and exits 0, or through
 * tool_write_failed() when stdout cannot take it (exit 74, not a silent 0).
 */
void	 tool_version(void) __attribute__((noreturn));
/*
 * From now on SIGINT and SIGTERM set *flag instead of ending the tool, so
 * that it ends at a point of its choosing (the flag must be static).
 */
void	 tool_stop_on_signals(volatile sig_atomic_t *flag);
/* Prints "<prog>: <msg>" and exits with code. */
void	 tool_die(int code, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3), noreturn));
/*
 * Called by tool_die() with its code and message after printing, before
 * exiting (bq-pull writes its error control line); NULL removes it.
 */
typedef void tool_die_hook(int code, const char *msg);
void	 tool_set_die_hook(tool_die_hook *);
/* Prints "<prog>: <err->msg>" and exits with exit_for(err). */
void	 tool_die_err(const struct bq_err *) __attribute__((noreturn));
/*
 * Dies with EXIT_USAGE when name (given to option opt; NULL is fine) is no
 * table, dataset, project or database name (config_name_error()).
 */
void	 tool_check_name(const char *opt, const char *name);
/* Parses a double in (0, max] for option opt, or dies with EXIT_USAGE. */
double	 tool_parse_double(const char *opt, const char *s, double max);
/* Parses an unsigned 64-bit number (0x.. and 0.. too), or dies. */
unsigned long long tool_parse_u64(const char *opt, const char *s);
/* Parses an RFC 3339 time or "now" into micros, or dies. */
int64_t	 tool_parse_time(const char *opt, const char *s);
/* Parses a long in min..max for option opt, or dies with EXIT_USAGE. */
long	 tool_parse_long(const char *opt, const char *s, long min, long max);

#endif
