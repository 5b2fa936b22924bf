/*
 * check_tool: the mains' skeleton.  One option table gives getopt_long()
 * its short and long options, --help one line per option, and the verbs
 * their check; help and usage exit 0 and 64, each on its own stream.
 */
#include <check.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tool.h"
#include "util.h"
#include "testlib.h"
#include "banned.h"

enum { OPT_ALL = TOOL_OPT_LONG, OPT_ONCE };

static const struct tool_opt opts[] = {
	{ 'c', "config", "file", "read the configuration from file" },
	{ 'h', "help", NULL, "print this help and exit" },
	{ 'q', NULL, NULL, "quiet" },
	{ OPT_ALL, "all", NULL, "reset: every checkpoint" },
	{ OPT_ONCE, "a-rather-long-option-name", "value",
	    "a long left column" },
	TOOL_OPT_END
};

static const char synopsis[] = "usage: t [-hq] [-c file] verb\n";

static const int reset_opts[] = { OPT_ALL, 0 };
static const struct tool_cmd cmds[] = {
	{ "get", NULL, NULL },
	{ "reset", NULL, reset_opts },
	{ NULL, NULL, NULL }
};

/* Parses argv (NULL-ended) from the start. */
static void
parse(char **argv, int *seen_c, const char **carg)
{
	int argc = 0, ch;

	while (argv[argc] != NULL)
		argc++;
	optind = 0;
	*seen_c = 0;
	while ((ch = tool_getopt(argc, argv)) != -1) {
		if (ch == 'c') {
			*seen_c = 1;
			*carg = optarg;
		}
	}
}

START_TEST(test_getopt_table)
{
	char *argv[] = { (char *)"t", (char *)"get", (char *)"--config=x",
	    (char *)"-q", (char *)"--all", NULL };
	const char *carg = NULL;
	int c;

	tool_init("t", synopsis, opts);
	parse(argv, &c, &carg);
	ck_assert_int_eq(c, 1);
	ck_assert_str_eq(carg, "x");
	ck_assert(tool_given('q'));
	ck_assert(tool_given(OPT_ALL));
	ck_assert(!tool_given(OPT_ONCE));
	ck_assert_int_eq(optind, 4);	/* operands permuted to the end */
	ck_assert_str_eq(argv[optind], "get");
	/* --all belongs to reset only: tool_cmd(get) would exit 64 */
	ck_assert_ptr_eq(tool_cmd(cmds, "reset"), &cmds[1]);
}
END_TEST

START_TEST(test_cmd_foreign_option)
{
	char *argv[] = { (char *)"t", (char *)"--all", (char *)"get", NULL };
	const char *carg;
	int c;

	tool_init("t", synopsis, opts);
	parse(argv, &c, &carg);
	freopen("/dev/null", "w", stderr);
	tool_cmd(cmds, "get");
}
END_TEST

START_TEST(test_cmd_unknown)
{
	tool_init("t", synopsis, opts);
	freopen("/dev/null", "w", stderr);
	tool_cmd(cmds, "nosuch");
}
END_TEST

/* Runs -h in a child writing to a file; returns what it wrote. */
static char *
help_output(int *status)
{
	char path[] = "/tmp/check_tool.XXXXXX";
	struct strbuf sb = STRBUF_INIT;
	int fd = mkstemp(path);
	pid_t pid;

	ck_assert_int_ge(fd, 0);
	if ((pid = fork()) == 0) {
		char *argv[] = { (char *)"t", (char *)"-h", NULL };

		dup2(fd, STDOUT_FILENO);
		tool_init("t", synopsis, opts);
		optind = 0;
		tool_getopt(2, argv);
		_exit(99);
	}
	ck_assert_int_eq(waitpid(pid, status, 0), pid);
	ck_assert_int_eq(util_read_file(path, &sb), 0);
	close(fd);
	unlink(path);
	return strbuf_detach(&sb, NULL);
}

START_TEST(test_help_lines)
{
	int status;
	char *out = help_output(&status);

	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ck_assert_str_eq(out, "usage: t [-hq] [-c file] verb\n\n"
	    "  -c, --config=file           read the configuration from file\n"
	    "  -h, --help                  print this help and exit\n"
	    "  -q                          quiet\n"
	    "      --all                   reset: every checkpoint\n"
	    "      --a-rather-long-option-name=value\n"
	    "                              a long left column\n");
	free(out);
}
END_TEST

START_TEST(test_parse_values)
{
	ck_assert(tool_parse_double("--rate", "2.5", 1e12) == 2.5);
	ck_assert_uint_eq(tool_parse_u64("--seed", "0x10"), 16);
	ck_assert_uint_eq(tool_parse_u64("--seed", "18446744073709551615"),
	    18446744073709551615ULL);
	ck_assert_int_eq(tool_parse_time("--start", "1970-01-01T00:00:01Z"),
	    1000000);
	ck_assert_int_gt(tool_parse_time("--start", "now"), 1700000000000000LL);
}
END_TEST

START_TEST(test_parse_bad_double)
{
	freopen("/dev/null", "w", stderr);
	tool_parse_double("--rate", "0", 1e12);	/* not > 0 */
}
END_TEST

START_TEST(test_parse_bad_seed)
{
	freopen("/dev/null", "w", stderr);
	tool_parse_u64("--seed", "-1");
}
END_TEST

/* A lost write is no success: exit 74, as tool_write_failed(). */
START_TEST(test_print_full)
{
	struct strbuf sb = STRBUF_INIT;

	tool_init("t", synopsis, opts);
	strbuf_adds(&sb, "a line\n");
	freopen("/dev/null", "w", stderr);
	ck_assert_ptr_nonnull(freopen("/dev/full", "w", stdout));
	tool_print(&sb);
}
END_TEST

/* SIGINT and SIGTERM only raise the flag; the tool goes on. */
START_TEST(test_stop_on_signals)
{
	static volatile sig_atomic_t stop;

	tool_stop_on_signals(&stop);
	raise(SIGTERM);
	ck_assert_int_eq(stop, 1);
	stop = 0;
	raise(SIGINT);
	ck_assert_int_eq(stop, 1);
}
END_TEST

static Suite *
tool_suite(void)
{
	Suite *s = suite_create("tool");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_getopt_table);
	tcase_add_exit_test(tc, test_cmd_foreign_option, EXIT_USAGE);
	tcase_add_exit_test(tc, test_cmd_unknown, EXIT_USAGE);
	tcase_add_test(tc, test_help_lines);
	tcase_add_test(tc, test_parse_values);
	tcase_add_exit_test(tc, test_parse_bad_double, EXIT_USAGE);
	tcase_add_exit_test(tc, test_parse_bad_seed, EXIT_USAGE);
	tcase_add_exit_test(tc, test_print_full, EXIT_IOERR);
	tcase_add_test(tc, test_stop_on_signals);
	suite_add_tcase(s, tc);
	return s;
}

CHECK_MAIN(tool_suite)
