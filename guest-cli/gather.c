// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Gathering rows from the exitcount leaves, tear-free, one pass.
 */
#include <stdlib.h>
#include <string.h>

#include "gather.h"
#include "xalloc.h"

#define LO_UPPER_HALF	0x80000000u
#define MAX_REREADS	8u
#define NS_PER_MS	1000000u

/*
 * A 64-bit value split over two leaves: low half in EAX of one, high half
 * in EAX of the other, read in that order.
 */
struct split {
	uint32_t lo_leaf, lo_sub, hi_leaf, hi_sub;
	uint32_t lo[EC_NR_REGS];
	uint32_t hi[EC_NR_REGS];
};

static void read_lo_hi(struct ec_src *src, struct split *s)
{
	ec_src_read(src, s->lo_leaf, s->lo_sub, s->lo);
	ec_src_read(src, s->hi_leaf, s->hi_sub, s->hi);
}

/*
 * Low half first, then high. A (lo, hi) pair read so is exact when lo is
 * below 2^31 (a carry between the two reads would take 2^31 exits in
 * between), or when hi equals the hi read just before lo (hi, lo, hi with
 * hi unchanged). Otherwise re-read, a bounded number of times.
 */
static void read_split(struct ec_src *src, struct split *s)
{
	unsigned int i;

	read_lo_hi(src, s);
	for (i = 0; i < MAX_REREADS && s->lo[EC_EAX] & LO_UPPER_HALF; i++) {
		uint32_t hi = s->hi[EC_EAX];

		read_lo_hi(src, s);
		if (s->hi[EC_EAX] == hi)
			break;
	}
}

static bool all_zero(const uint32_t regs[EC_NR_REGS])
{
	return !(regs[EC_EAX] | regs[EC_EBX] | regs[EC_ECX] | regs[EC_EDX]);
}

/*
 * One reason: 0x4FFFFFFE (count lo), 0x4FFFFFFD (count hi, cycles,
 * status). A defined reason KVM does not handle reads as all zeros; so
 * does, with ABI 1, a handled one that has not exited yet.
 */
static void read_reason(struct ec_src *src, const struct ec_isa_table *t,
			uint32_t nr, struct ec_row *row)
{
	struct split s = { EC_LEAF_COUNT, nr, EC_LEAF_DETAIL, nr, {0}, {0} };

	read_split(src, &s);
	memset(row, 0, sizeof(*row));
	row->nr = nr;
	row->name = ec_reason_name(t, nr);
	row->defined = s.hi[EC_EDX] != EC_STATUS_UNDEFINED;
	row->handled = row->defined && !(all_zero(s.lo) && all_zero(s.hi));
	if (!row->handled)
		return;
	row->count = ec_u64(s.hi[EC_EAX], s.lo[EC_EAX]);
	row->cycles = ec_u64(s.hi[EC_EBX], s.hi[EC_ECX]);
}

static void read_total(struct ec_src *src, struct ec_row *total)
{
	struct split s = { EC_LEAF_TOTAL, 0, EC_LEAF_INFO, EC_INFO_TOTAL_HI,
			   {0}, {0} };

	read_split(src, &s);
	memset(total, 0, sizeof(*total));
	total->name = "total";
	total->defined = true;
	total->handled = true;
	total->count = ec_u64(s.hi[EC_EAX], s.lo[EC_EAX]);
	total->cycles = ec_u64(s.lo[EC_EBX], s.lo[EC_ECX]);
}

bool ec_cycles_to_ns(uint64_t cycles, uint32_t tsc_khz, uint64_t *ns)
{
	uint64_t ms, rest;

	if (!tsc_khz)
		return false;
	ms = cycles / tsc_khz;
	rest = cycles % tsc_khz;
	if (ms > (UINT64_MAX - NS_PER_MS) / NS_PER_MS)
		*ns = UINT64_MAX;
	else
		*ns = ms * NS_PER_MS + rest * NS_PER_MS / tsc_khz;
	return true;
}

static void derive(struct ec_row *row, const struct ec_snapshot *snap)
{
	uint64_t all = snap->total.count;

	row->time_known = ec_cycles_to_ns(row->cycles, snap->host.tsc_khz,
					  &row->time_ns);
	row->share = all ? (double)row->count * 100.0 / (double)all : -1.0;
}

static void derive_all(struct ec_snapshot *snap)
{
	size_t i;

	for (i = 0; i < snap->nr_rows; i++)
		derive(&snap->rows[i], snap);
	derive(&snap->total, snap);
}

/* Every reason of @t that has a name, in slot order. */
static size_t defined_reasons(const struct ec_isa_table *t, uint32_t **nrs)
{
	unsigned int slot;
	size_t n = 0;

	*nrs = ec_xreallocarray(NULL, ec_other_slot(t), sizeof(**nrs));
	for (slot = 0; slot < ec_other_slot(t); slot++)
		if (t->names[slot])
			(*nrs)[n++] = ec_slot_nr(t, slot);
	return n;
}

static void read_rows(struct ec_src *src, const uint32_t *nrs, size_t n,
		      struct ec_snapshot *snap)
{
	size_t i;

	snap->rows = ec_xreallocarray(NULL, n, sizeof(*snap->rows));
	snap->nr_rows = n;
	for (i = 0; i < n; i++)
		read_reason(src, snap->host.table, nrs[i], &snap->rows[i]);
}

void ec_gather(struct ec_src *src, const struct ec_host *host,
	       const uint32_t *nrs, size_t n, struct ec_snapshot *snap)
{
	uint32_t *all = NULL;

	memset(snap, 0, sizeof(*snap));
	snap->host = *host;
	if (!nrs) {
		n = defined_reasons(host->table, &all);
		nrs = all;
	}
	read_rows(src, nrs, n, snap);
	read_total(src, &snap->total);	/* after the reasons: it is >= each */
	free(all);
	derive_all(snap);
}

void ec_gather_total(struct ec_src *src, const struct ec_host *host,
		     struct ec_snapshot *snap)
{
	memset(snap, 0, sizeof(*snap));
	snap->host = *host;
	read_total(src, &snap->total);
	derive_all(snap);
}

void ec_snapshot_free(struct ec_snapshot *snap)
{
	free(snap->rows);
	snap->rows = NULL;
	snap->nr_rows = 0;
}

static double rate(uint64_t now, uint64_t before, double seconds)
{
	/* a counter that went back was reset (module reloaded) */
	return now >= before ? (double)(now - before) / seconds : 0.0;
}

void ec_rates(struct ec_snapshot *cur, const struct ec_snapshot *prev,
	      double seconds)
{
	size_t i;

	/* both unsorted, gathered alike: row i is the same reason */
	for (i = 0; i < cur->nr_rows && i < prev->nr_rows; i++)
		if (cur->rows[i].nr == prev->rows[i].nr)
			cur->rows[i].rate = rate(cur->rows[i].count,
						 prev->rows[i].count, seconds);
	cur->total.rate = rate(cur->total.count, prev->total.count, seconds);
}

void ec_drop_idle(struct ec_snapshot *snap, bool by_rate)
{
	size_t i, n = 0;

	for (i = 0; i < snap->nr_rows; i++) {
		const struct ec_row *r = &snap->rows[i];

		if (by_rate ? r->rate > 0.0 : r->count > 0)
			snap->rows[n++] = *r;
	}
	snap->nr_rows = n;
}

/* ---- sorting: the key descending, then the reason number ascending ---- */

static int by_nr(const struct ec_row *a, const struct ec_row *b)
{
	return (a->nr > b->nr) - (a->nr < b->nr);
}

static int cmp_reason(const void *a, const void *b)
{
	return by_nr(a, b);
}

static int cmp_count(const void *pa, const void *pb)
{
	const struct ec_row *a = pa, *b = pb;
	int c = (a->count < b->count) - (a->count > b->count);

	return c ? c : by_nr(a, b);
}

static int cmp_time(const void *pa, const void *pb)
{
	const struct ec_row *a = pa, *b = pb;
	int c = (a->cycles < b->cycles) - (a->cycles > b->cycles);

	return c ? c : cmp_count(a, b);
}

static int cmp_rate(const void *pa, const void *pb)
{
	const struct ec_row *a = pa, *b = pb;
	int c = (a->rate < b->rate) - (a->rate > b->rate);

	return c ? c : cmp_count(a, b);
}

void ec_sort(struct ec_snapshot *snap, enum ec_sort_key key)
{
	static int (*const cmp[])(const void *, const void *) = {
		[EC_SORT_COUNT] = cmp_count,
		[EC_SORT_REASON] = cmp_reason,
		[EC_SORT_TIME] = cmp_time,
		[EC_SORT_RATE] = cmp_rate,
	};

	if (snap->nr_rows > 1)
		qsort(snap->rows, snap->nr_rows, sizeof(*snap->rows), cmp[key]);
}
