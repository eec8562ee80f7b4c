/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Gathering: read the leaves of every wanted reason in one pass into rows,
 * derive times and shares, then filter and sort. Nothing here prints.
 */
#ifndef EXITCOUNT_CLI_GATHER_H
#define EXITCOUNT_CLI_GATHER_H

#include "detect.h"

struct ec_row {
	uint32_t nr;
	const char *name;	/* without the ISA's prefix */
	uint64_t count;
	uint64_t cycles;	/* host TSC cycles spent on these exits */
	bool defined;		/* the host's table defines the reason */
	bool handled;		/* the running KVM handles it (gather.c) */
	/* derived by the gathering, from the values above */
	bool time_known;	/* the host told its TSC frequency */
	uint64_t time_ns;
	double share;		/* percent of all exits; < 0 when unknown */
	double rate;		/* exits per second, --watch only */
	/*
	 * With histograms: the exits with known time by log2 bucket
	 * (protocol.h), since load; and those percentiles are made of,
	 * the same or, under --watch, those of the last interval.
	 */
	uint64_t hist[EC_HIST_BUCKETS];
	uint64_t dist[EC_HIST_BUCKETS];
};

struct ec_snapshot {
	struct ec_host host;
	struct ec_row *rows;
	size_t nr_rows;
	struct ec_row total;	/* count and cycles of all exits */
	bool hist;		/* rows hold histograms (host.hist_*) */
};

enum ec_sort_key {
	EC_SORT_COUNT,
	EC_SORT_REASON,
	EC_SORT_TIME,
	EC_SORT_RATE,
};

/* What to gather: reasons (@nrs, @n, @all) and histograms (@hist). */
struct ec_want {
	const uint32_t *nrs;
	size_t n;
	bool all;
	bool hist;
};

/*
 * Read reasons @w->nrs (@w->n of them), in that order; or, when it is NULL,
 * the reasons the host's table defines: with @all every one, else only
 * those with exits. Then the totals. The CPUIDs, all told:
 *  - without @nrs, first the bitmap subleaves whose 128 reasons include
 *    one the table defines (VMX 1, SVM 3): active ones, or handled ones
 *    with @all;
 *  - 2 per reason read (4 while its count is within 2^31 of a carry
 *    into the high half): without @nrs and @all, only the active ones;
 *  - with @nrs, 1 more for each distinct handled subleaf that a reason
 *    reading all zeros needs (handled with no exits, or not handled);
 *  - 2 for the totals;
 *  - with @w->hist, first 1 for the histogram layout (subleaf 2), then
 *    ceil(buckets / 3) per reason read that has exits (9 with 27).
 * False when histograms were wanted and the host has none (or a layout
 * this tool does not know): @snap is then empty.
 */
bool ec_gather(struct ec_src *src, const struct ec_host *host,
	       const struct ec_want *w, struct ec_snapshot *snap);

/* Only the totals: two CPUIDs. */
void ec_gather_total(struct ec_src *src, const struct ec_host *host,
		     struct ec_snapshot *snap);

void ec_snapshot_free(struct ec_snapshot *snap);

/* Times and shares of every row and the total, from their counts. */
void ec_snapshot_derive(struct ec_snapshot *snap);

/*
 * Exits per second from @prev, taken @seconds before, to @cur; rows are
 * matched by reason number, and one missing from @prev had no exits.
 */
void ec_rates(struct ec_snapshot *cur, const struct ec_snapshot *prev,
	      double seconds);

/* Drop the rows without exits (without new exits, when @by_rate). */
void ec_drop_idle(struct ec_snapshot *snap, bool by_rate);

void ec_sort(struct ec_snapshot *snap, enum ec_sort_key key);

/* ns for @cycles of a @tsc_khz TSC; false when @tsc_khz is 0. */
bool ec_cycles_to_ns(uint64_t cycles, uint32_t tsc_khz, uint64_t *ns);

/* The exits of @dist, a histogram of @host's layout. */
uint64_t ec_hist_exits(const struct ec_host *host, const uint64_t *dist);

/*
 * Estimate the time of the exit of rank ceil(@p * exits) (@p in (0, 1];
 * 1: the slowest) from log2 buckets: linear within its bucket, so at
 * most the bucket's width off; @p = 1 gives the bucket's upper edge. In
 * cycles; *@above when it lies in the overflow bucket (then its lower
 * edge). False when @dist has no exits.
 */
bool ec_hist_percentile(const struct ec_host *host, const uint64_t *dist,
			double p, double *cycles, bool *above);

/* Lower edge of bucket @b of @host's layout, in cycles. */
uint64_t ec_hist_edge(const struct ec_host *host, unsigned int b);

#endif /* EXITCOUNT_CLI_GATHER_H */
