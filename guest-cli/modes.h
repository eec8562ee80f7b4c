/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The modes of the command: the reasons table (or the reasons named),
 * --total and --watch. Each gathers all its values, then prints.
 */
#ifndef EXITCOUNT_CLI_MODES_H
#define EXITCOUNT_CLI_MODES_H

#include "output.h"

enum ec_exit {
	EC_EXIT_OK = 0,
	EC_EXIT_FAILURE = 1,
	EC_EXIT_USAGE = 2,
	EC_EXIT_ABSENT = 3,	/* exitcount not available on this host */
};

struct ec_opts {
	enum ec_mode mode;
	enum ec_format format;
	bool all;
	bool hist;			/* --hist */
	bool raw;
	bool sort_given;
	enum ec_sort_key sort;
	double interval;		/* --watch, seconds */
	unsigned long iterations;	/* --watch: 0 until interrupted */
	const char *replay;
	enum ec_col_id cols[EC_NR_COLS];	/* --output */
	size_t nr_cols;				/* 0: the mode's default */
	char *const *reasons;		/* operands */
	size_t nr_reasons;
	bool host;			/* --host */
	const char *vm;			/* --vm: a name or a pid */
	const char *proc;		/* --proc: where VMs' cmdlines are */
};

/* Run the command on @src; returns the exit status. */
enum ec_exit ec_run(const struct ec_opts *o, struct ec_src *src);

/* --host (host.c); returns the exit status. */
enum ec_exit ec_run_host(const struct ec_opts *o);

/* The hint after a usage error, on stderr. */
void ec_usage_hint(void);

/* The operands as reason numbers of @t, each once; false after a usage error. */
bool ec_parse_operands(const struct ec_opts *o, const struct ec_isa_table *t,
		       uint32_t *nrs, size_t *n);

/* @v for @snap as @o asks: its format, columns (@dfl: room for defaults). */
void ec_view_init(struct ec_view *v, const struct ec_opts *o,
		  const struct ec_snapshot *snap, enum ec_mode mode,
		  bool header, enum ec_col_id *dfl);

/* --hist, or a column made of the histograms. */
bool ec_wants_hist(const struct ec_opts *o);

/* --watch: SIGINT and SIGTERM end it; sleep @seconds, false once they did. */
void ec_catch_signals(void);
bool ec_nap(double seconds);
double ec_now(void);

#endif /* EXITCOUNT_CLI_MODES_H */
