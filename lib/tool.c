/*
 * tool: the skeleton of every main (see tool.h): one option table gives
 * getopt_long() its arguments, --help its lines and the verbs their check.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "tool.h"
#include "ts.h"
#include "util.h"
#include "banned.h"

#define HELP_COLUMN	30	/* where the descriptions of --help start */
#define NCODES		(TOOL_OPT_LONG * 2)

static const char *synopsis = "";
static const struct tool_opt *table;
static struct option *longopts;
static char *shortopts;
static unsigned char given[NCODES];

void
tool_init(const char *argv0, const char *syn, const struct tool_opt *opts)
{
	struct strbuf sb = STRBUF_INIT;
	size_t n, k = 0;

	bqsync_set_progname(argv0);
	signal(SIGPIPE, SIG_IGN);
	synopsis = syn;
	table = opts;
	memset(given, 0, sizeof(given));
	free(longopts);
	free(shortopts);
	for (n = 0; opts[n].code != 0; n++)
		;
	longopts = xcalloc(n + 1, sizeof(*longopts));
	for (n = 0; opts[n].code != 0; n++) {
		if (opts[n].code < TOOL_OPT_LONG) {
			strbuf_addch(&sb, opts[n].code);
			if (opts[n].arg != NULL)
				strbuf_addch(&sb, ':');
		}
		if (opts[n].name == NULL)
			continue;
		longopts[k].name = opts[n].name;
		longopts[k].has_arg = opts[n].arg ? required_argument :
		    no_argument;
		longopts[k++].val = opts[n].code;
	}
	shortopts = strbuf_detach(&sb, NULL);
}

int
tool_getopt(int argc, char *argv[])
{
	int c = getopt_long(argc, argv, shortopts, longopts, NULL);

	if (c == 'h')
		tool_help();
	if (c == 'V')
		tool_version();
	if (c == '?' || c == ':')
		tool_usage();
	if (c >= 0 && c < NCODES)
		given[c] = 1;
	return c;
}

int
tool_given(int code)
{
	return code >= 0 && code < NCODES && given[code];
}

void
tool_usage(void)
{
	fputs(synopsis, stderr);
	exit(EXIT_USAGE);
}

/* "  -c, --config=file", "      --once", "  -x": the left column. */
static void
help_line(struct strbuf *sb, const struct tool_opt *o)
{
	size_t start = sb->len;

	if (o->code < TOOL_OPT_LONG)
		strbuf_addf(sb, "  -%c%s", o->code, o->name ? ", " : "");
	else
		strbuf_adds(sb, "      ");
	if (o->name != NULL)
		strbuf_addf(sb, "--%s", o->name);
	if (o->arg != NULL)
		strbuf_addf(sb, "%s%s", o->name ? "=" : " ", o->arg);
	if (sb->len - start + 2 > HELP_COLUMN) {
		strbuf_addch(sb, '\n');
		start = sb->len;
	}
	while (sb->len - start < HELP_COLUMN)
		strbuf_addch(sb, ' ');
	strbuf_addf(sb, "%s\n", o->help);
}

void
tool_help(void)
{
	struct strbuf sb = STRBUF_INIT;
	const struct tool_opt *o;

	strbuf_addf(&sb, "%s\n", synopsis);
	for (o = table; o != NULL && o->code != 0; o++)
		help_line(&sb, o);
	if (fwrite(sb.buf, 1, sb.len, stdout) != sb.len)
		tool_write_failed();
	strbuf_release(&sb);
	tool_close_stdout();
	exit(EXIT_OK);
}

static int
listed(const int *codes, int code)
{
	for (; codes != NULL && *codes != 0; codes++)
		if (*codes == code)
			return 1;
	return 0;
}

const struct tool_cmd *
tool_cmd(const struct tool_cmd *cmds, const char *name)
{
	const struct tool_cmd *c, *found = NULL;
	int code;

	for (c = cmds; c->name != NULL; c++)
		if (strcmp(c->name, name) == 0)
			found = c;
	if (found == NULL)
		tool_usage();
	for (code = 1; code < NCODES; code++) {
		if (!given[code] || listed(found->opts, code))
			continue;
		for (c = cmds; c->name != NULL; c++)
			if (listed(c->opts, code))
				tool_usage();	/* another verb's option */
	}
	return found;
}

void
tool_write_failed(void)
{
	if (errno == EPIPE) {
		signal(SIGPIPE, SIG_DFL);
		raise(SIGPIPE);
	}
	fprintf(stderr, "%s: write: %s\n", bqsync_progname(),
	    strerror(errno));
	exit(EXIT_IOERR);
}

void
tool_print(const struct strbuf *sb)
{
	if ((sb->len > 0 && fwrite(sb->buf, 1, sb->len, stdout) != sb->len) ||
	    fflush(stdout) == EOF)
		tool_write_failed();
}

void
tool_close_stdout(void)
{
	if (fflush(stdout) == EOF || ferror(stdout))
		tool_write_failed();
	if (fclose(stdout) == EOF)
		tool_write_failed();
}

void
tool_version(void)
{
	printf("%s %s\n", bqsync_progname(), BQSYNC_VERSION);
	tool_close_stdout();
	exit(EXIT_OK);
}

static volatile sig_atomic_t *stop_flag;

static void
on_stop_signal(int sig)
{
	(void)sig;
	*stop_flag = 1;
}

void
tool_stop_on_signals(volatile sig_atomic_t *flag)
{
	stop_flag = flag;
	signal(SIGINT, on_stop_signal);
	signal(SIGTERM, on_stop_signal);
}

static tool_die_hook *die_hook;

void
tool_set_die_hook(tool_die_hook *fn)
{
	die_hook = fn;
}

void
tool_die(int code, const char *fmt, ...)
{
	tool_die_hook *hook = die_hook;
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s\n", bqsync_progname(), msg);
	die_hook = NULL;		/* a failing hook must not loop */
	if (hook != NULL)
		hook(code, msg);
	exit(code);
}

void
tool_die_err(const struct bq_err *err)
{
	tool_die(exit_for(err), "%s", err->msg[0] ? err->msg : "failed");
}

void
tool_check_name(const char *opt, const char *name)
{
	const char *why;
	char shown[64];
	size_t i;

	if (name == NULL || (why = config_name_error(name)) == NULL)
		return;
	for (i = 0; i < sizeof(shown) - 1 && name[i] != '\0'; i++)
		shown[i] = (unsigned char)name[i] < 0x20 ||
		    name[i] == 0x7f ? '?' : name[i];
	shown[i] = '\0';
	tool_die(EXIT_USAGE, "invalid name '%s' for %s: %s", shown, opt, why);
}

long
tool_parse_long(const char *opt, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		tool_die(EXIT_USAGE, "invalid value '%s' for %s (%ld..%ld)",
		    s, opt, min, max);
	return v;
}


double
tool_parse_double(const char *opt, const char *s, double max)
{
	char *end;
	double d = strtod(s, &end);

	if (end == s || *end != '\0' || !(d > 0) || d > max)
		tool_die(EXIT_USAGE, "invalid value '%s' for %s", s, opt);
	return d;
}

unsigned long long
tool_parse_u64(const char *opt, const char *s)
{
	char *end;
	unsigned long long v;

	v = strtoull(s, &end, 0);
	if (end == s || *end != '\0' || *s == '-')
		tool_die(EXIT_USAGE, "invalid value '%s' for %s", s, opt);
	return v;
}

int64_t
tool_parse_time(const char *opt, const char *s)
{
	int64_t us;

	if (strcmp(s, "now") == 0)
		return ts_now();
	if (ts_parse(s, &us) == -1)
		tool_die(EXIT_USAGE, "invalid time '%s' for %s", s, opt);
	return us;
}
