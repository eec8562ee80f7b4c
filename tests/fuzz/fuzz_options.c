// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libFuzzer target for the CLI's option parser: the input is a command
 * line, one argument per line (a NUL byte also ends one). The parser is
 * static in guest-cli/main.c, so main.c is compiled in here, its main()
 * renamed and its exit() (after --help, --version or a usage error) made
 * a longjmp back here, so that one run can try many command lines.
 *
 * What the parser accepts must be a consistent set of options (those
 * check_options() promises, values in range, operands the tail of argv);
 * what it does not accept must end with the usage status; -h, --help, -V
 * and --version first must end with status 0.
 */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>

#include <libcpuid/libcpuid.h>

#define MAX_ARGS 32

static jmp_buf exit_jmp;
static int exit_status;

/* exit() of main.c: back to LLVMFuzzerTestOneInput() with @status. */
__attribute__((noreturn)) static void fuzz_exit(int status)
{
	exit_status = status;
	longjmp(exit_jmp, 1);
}

/* main.c's own headers are in already, so only its code sees these. */
#define main exitcount_main
#define exit fuzz_exit
#include "main.c" /* NOLINT(bugprone-suspicious-include): see above */
#undef exit
#undef main

static void fail(int argc, char **argv, const char *what)
{
	int i;

	fprintf(stderr, "%s; command line:", what);
	for (i = 1; i < argc; i++)
		fprintf(stderr, " '%s'", argv[i]);
	fputc('\n', stderr);
	abort();
}

static void check_accepted(const struct ec_opts *o, int argc, char **argv)
{
	size_t i;

	if (o->mode > EC_MODE_WATCH || o->format > EC_FMT_PROMETHEUS ||
	    o->sort > EC_SORT_RATE)
		fail(argc, argv, "mode, format or sort key out of range");
	if (o->raw && o->format != EC_FMT_TABLE)
		fail(argc, argv, "--raw with --json, --csv or --prometheus");
	if (o->mode == EC_MODE_TOTAL && o->nr_reasons)
		fail(argc, argv, "--total with reasons");
	if (o->mode == EC_MODE_TOTAL && o->hist)
		fail(argc, argv, "--total with --hist");
	if (o->iterations && o->mode != EC_MODE_WATCH)
		fail(argc, argv, "--iterations without --watch");
	if (o->nr_cols && o->format == EC_FMT_JSON)
		fail(argc, argv, "--output with --json");
	if (!o->host && (o->vm || o->proc || o->format == EC_FMT_PROMETHEUS))
		fail(argc, argv, "--vm, --proc or --prometheus without --host");
	if (o->format == EC_FMT_PROMETHEUS &&
	    (o->mode != EC_MODE_REASONS || o->raw || o->nr_cols))
		fail(argc, argv, "--prometheus with --total, --watch, --raw or --output");
	if (!isfinite(o->interval) || o->interval <= 0.0 ||
	    o->interval > MAX_INTERVAL)
		fail(argc, argv, "interval out of (0, MAX_INTERVAL]");
	if (o->nr_cols > EC_NR_COLS)
		fail(argc, argv, "more columns than there are");
	for (i = 0; i < o->nr_cols; i++)
		if (o->cols[i] >= EC_NR_COLS)
			fail(argc, argv, "column out of range");
	if (o->nr_reasons > (size_t)argc - 1 ||
	    o->reasons != argv + argc - o->nr_reasons)
		fail(argc, argv, "operands are not the tail of argv");
}

static bool help_or_version(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0 ||
	       strcmp(arg, "-V") == 0 || strcmp(arg, "--version") == 0;
}

/* After exit(): why the parser stopped. */
static void check_exited(int argc, char **argv, const char *first)
{
	if (exit_status != EC_EXIT_OK && exit_status != EC_EXIT_USAGE)
		fail(argc, argv, "exit status neither 0 nor 2");
	if (first && help_or_version(first) && exit_status != EC_EXIT_OK)
		fail(argc, argv, "help or version first, but not status 0");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* static: getopt_long() permutes it, and a longjmp may follow */
	static char prog[] = "exitcount", *argv[MAX_ARGS + 2];
	char *buf = malloc(size + 1), *p, *first;
	int argc = 1;
	struct ec_opts o;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	buf[size] = '\0';
	argv[0] = prog;
	for (p = buf; argc <= MAX_ARGS && p < buf + size; argc++) {
		argv[argc] = p;
		p += strcspn(p, "\n");
		*p++ = '\0';
	}
	argv[argc] = NULL;
	/* before getopt_long() permutes argv */
	first = argc > 1 ? argv[1] : NULL;
	/* 0, not 1: glibc then starts over, whatever the last run left */
	optind = 0;
	if (setjmp(exit_jmp) == 0) {
		parse_options(argc, argv, &o);
		check_accepted(&o, argc, argv);
	} else {
		check_exited(argc, argv, first);
	}
	free(buf);
	return 0;
}
