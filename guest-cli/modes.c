// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The command's modes: probe, gather everything, then print.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "modes.h"
#include "names.h"
#include "xalloc.h"

#define CLEAR_SCREEN "\033[H\033[2J"

static volatile sig_atomic_t stop;

void ec_usage_hint(void)
{
	fputs("Try 'exitcount --help' for more information.\n", stderr);
}

/* ---- printing ------------------------------------------------------------ */

static void print_log(struct ec_src *src)
{
	size_t n;
	const struct ec_cpuid *c = ec_src_log(src, &n);

	ec_print_raw(stdout, c, n);
	ec_src_log_clear(src);
}

void ec_view_init(struct ec_view *v, const struct ec_opts *o,
		  const struct ec_snapshot *snap, enum ec_mode mode,
		  bool header, enum ec_col_id *dfl)
{
	const struct ec_view init = { snap, mode, o->format, o->cols,
				      o->nr_cols, header, o->interval, NULL,
				      false };

	*v = init;
	/* --hist REASON... as a table, no --output: charts (guest and host) */
	v->charts = o->hist && o->nr_reasons && mode == EC_MODE_REASONS &&
		    o->format == EC_FMT_TABLE && !o->nr_cols;
	if (!o->nr_cols || o->format == EC_FMT_JSON) {
		v->nr_cols = ec_default_columns(mode, o->all, snap->hist,
						o->format == EC_FMT_JSON, dfl);
		v->cols = dfl;
	}
}

static void show(const struct ec_opts *o, struct ec_src *src,
		 const struct ec_snapshot *snap, enum ec_mode mode,
		 bool header)
{
	enum ec_col_id dfl[EC_NR_COLS];
	struct ec_view v;

	if (o->raw) {
		print_log(src);
		return;
	}
	ec_view_init(&v, o, snap, mode, header, dfl);
	ec_print(stdout, &v);
}

/* ---- reasons named on the command line ----------------------------------- */

static bool seen(const uint32_t *nrs, size_t n, uint32_t nr)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (nrs[i] == nr)
			return true;
	return false;
}

bool ec_parse_operands(const struct ec_opts *o, const struct ec_isa_table *t,
		       uint32_t *nrs, size_t *n)
{
	size_t i;
	uint32_t nr;

	for (*n = 0, i = 0; i < o->nr_reasons; i++) {
		if (!ec_parse_reason(t, o->reasons[i], &nr)) {
			fprintf(stderr, "exitcount: unknown %s exit reason "
				"'%s'\n", t->isa_name, o->reasons[i]);
			ec_usage_hint();
			return false;
		}
		if (!seen(nrs, *n, nr))
			nrs[(*n)++] = nr;
	}
	return true;
}

/* ---- modes ---------------------------------------------------------------- */

bool ec_wants_hist(const struct ec_opts *o)
{
	size_t i;

	for (i = 0; i < o->nr_cols; i++)
		if (ec_column_needs_hist(o->cols[i]))
			return true;
	return o->hist;
}

static bool gather(const struct ec_opts *o, struct ec_src *src,
		   const struct ec_host *h, const struct ec_want *w,
		   struct ec_snapshot *snap)
{
	if (ec_gather(src, h, w, snap))
		return true;
	if (o->raw)
		print_log(src);
	fflush(stdout);
	fputs("exitcount: the host's exitcount keeps no exit time histograms "
	      "(or none this version knows)\n", stderr);
	return false;
}

static enum ec_exit run_reasons(const struct ec_opts *o, struct ec_src *src,
				const struct ec_host *h, const struct ec_want *w)
{
	struct ec_snapshot snap;

	if (!gather(o, src, h, w, &snap))
		return EC_EXIT_FAILURE;
	if (!w->nrs && !w->all)
		ec_drop_idle(&snap, false);
	ec_sort(&snap, o->sort);
	show(o, src, &snap, EC_MODE_REASONS, true);
	ec_snapshot_free(&snap);
	return EC_EXIT_OK;
}

static enum ec_exit run_total(const struct ec_opts *o, struct ec_src *src,
			      const struct ec_host *h)
{
	struct ec_snapshot snap;

	ec_gather_total(src, h, &snap);
	show(o, src, &snap, EC_MODE_TOTAL, true);
	ec_snapshot_free(&snap);
	return EC_EXIT_OK;
}

/* ---- --watch -------------------------------------------------------------- */

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

void ec_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: wake nanosleep */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

bool ec_nap(double seconds)
{
	struct timespec ts;

	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	while (!stop && nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
	return !stop;
}

double ec_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void watch_title(const struct ec_opts *o,
			const struct ec_snapshot *snap, bool tty)
{
	const struct ec_host *h = &snap->host;

	if (tty)
		fputs(CLEAR_SCREEN, stdout);
	printf("exitcount: %s, scope %s, every %gs, all exits %.0f/s%s\n\n",
	       h->table->isa_name, ec_scope_name(h->scope), o->interval,
	       snap->total.rate, tty ? " (Ctrl-C quits)" : "");
}

/* One refresh: a sorted, filtered copy of @cur, whose order stays. */
static void watch_show(const struct ec_opts *o, struct ec_src *src,
		       const struct ec_snapshot *cur, unsigned long i)
{
	struct ec_snapshot v = *cur;
	bool table = o->format == EC_FMT_TABLE && !o->raw;

	v.rows = ec_xreallocarray(NULL, cur->nr_rows, sizeof(*v.rows));
	memcpy(v.rows, cur->rows, cur->nr_rows * sizeof(*v.rows));
	if (!o->all && !o->nr_reasons)
		ec_drop_idle(&v, true);
	ec_sort(&v, o->sort_given ? o->sort : EC_SORT_RATE);
	if (table)
		watch_title(o, &v, isatty(STDOUT_FILENO));
	show(o, src, &v, EC_MODE_WATCH, i == 0 || o->format != EC_FMT_CSV);
	if (table)
		putchar('\n');
	fflush(stdout);
	ec_snapshot_free(&v);
}

static enum ec_exit run_watch(const struct ec_opts *o, struct ec_src *src,
			      const struct ec_host *h, const struct ec_want *w)
{
	struct ec_snapshot prev, cur;
	double t0 = ec_now();
	unsigned long i;

	ec_catch_signals();
	if (!gather(o, src, h, w, &prev))
		return EC_EXIT_FAILURE;
	for (i = 0; (!o->iterations || i < o->iterations) && ec_nap(o->interval);
	     i++) {
		double t1 = ec_now();

		ec_gather(src, h, w, &cur);
		/* a replay has no real time: rates over the nominal interval */
		ec_rates(&cur, &prev, ec_src_is_replay(src) ? o->interval :
				      t1 - t0);
		watch_show(o, src, &cur, i);
		ec_snapshot_free(&prev);
		prev = cur;
		t0 = t1;
	}
	ec_snapshot_free(&prev);
	return EC_EXIT_OK;
}

/* ---- entry ---------------------------------------------------------------- */

static enum ec_exit probe(const struct ec_opts *o, struct ec_src *src,
			  struct ec_host *host)
{
	char msg[160];
	enum ec_probe p = ec_probe(src, host, msg, sizeof(msg));

	if (p == EC_PROBE_OK)
		return EC_EXIT_OK;
	if (o->raw)
		print_log(src);
	fflush(stdout);
	fprintf(stderr, "exitcount: %s\n", msg);
	return p == EC_PROBE_ABSENT ? EC_EXIT_ABSENT : EC_EXIT_FAILURE;
}

static enum ec_exit dispatch(const struct ec_opts *o, struct ec_src *src,
			     const struct ec_host *h, const uint32_t *nrs,
			     size_t n)
{
	struct ec_want w = { nrs, n, o->all, ec_wants_hist(o) };

	if (o->mode == EC_MODE_TOTAL)
		return run_total(o, src, h);
	if (o->mode == EC_MODE_WATCH)
		return run_watch(o, src, h, &w);
	return run_reasons(o, src, h, &w);
}

enum ec_exit ec_run(const struct ec_opts *o, struct ec_src *src)
{
	struct ec_host host;
	uint32_t *nrs = NULL;
	size_t n = 0;
	enum ec_exit rc = probe(o, src, &host);

	if (rc != EC_EXIT_OK)
		return rc;
	if (o->nr_reasons) {
		nrs = ec_xreallocarray(NULL, o->nr_reasons, sizeof(*nrs));
		if (!ec_parse_operands(o, host.table, nrs, &n))
			rc = EC_EXIT_USAGE;
	}
	if (rc == EC_EXIT_OK)
		rc = dispatch(o, src, &host, nrs, n);
	free(nrs);
	return rc;
}
