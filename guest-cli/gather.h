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
};

struct ec_snapshot {
	struct ec_host host;
	struct ec_row *rows;
	size_t nr_rows;
	struct ec_row total;	/* count and cycles of all exits */
};

enum ec_sort_key {
	EC_SORT_COUNT,
	EC_SORT_REASON,
	EC_SORT_TIME,
	EC_SORT_RATE,
};

/*
 * Read reasons @nrs (@n of them), in that order; or, when @nrs is NULL,
 * the reasons the host's table defines: with @all every one, else only
 * those with exits. Then the totals. The CPUIDs, all told:
 *  - without @nrs, first the bitmap subleaves whose 128 reasons include
 *    one the table defines (VMX 1, SVM 3): active ones, or handled ones
 *    with @all;
 *  - 2 per reason read (4 while its count is within 2^31 of a carry
 *    into the high half): without @nrs and @all, only the active ones;
 *  - with @nrs, 1 more for each distinct handled subleaf that a reason
 *    reading all zeros needs (handled with no exits, or not handled);
 *  - 2 for the totals.
 */
void ec_gather(struct ec_src *src, const struct ec_host *host,
	       const uint32_t *nrs, size_t n, bool all,
	       struct ec_snapshot *snap);

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

#endif /* EXITCOUNT_CLI_GATHER_H */
