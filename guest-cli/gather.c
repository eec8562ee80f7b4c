// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Gathering rows from the exitcount leaves, tear-free, one pass; the
 * bitmap subleaves tell which reasons to read and which are handled.
 */
#include <math.h>
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
 * status). A defined reason KVM does not handle reads as all zeros, and
 * so does a handled one without exits: registers not all zero prove the
 * reason handled, all zeros leave it to the handled bitmap (the caller).
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

/* ---- bitmaps: subleaves 0x100+k (handled) and 0x200+k (active) ---------- */

/*
 * Subleaf @base+k holds reasons 128k..128k+127 in EAX, EBX, ECX, EDX, 32
 * each, lowest first: so word nr / 32 of the subleaves laid end to end
 * (EC_NR_REGS words per k) holds reason nr at bit nr % 32. Only k up to
 * the host's max reason / 128 is answered; each subleaf is read at most
 * once, when first needed.
 */
struct bitmap {
	uint32_t base;		/* EC_INFO_HANDLED or EC_INFO_ACTIVE */
	uint32_t nr_k;		/* subleaves 0 .. nr_k - 1 may be read */
	uint32_t *words;	/* EC_NR_REGS per subleaf */
	bool *read;		/* by k: words hold its subleaf */
};

static void bitmap_init(struct bitmap *b, const struct ec_host *host,
			uint32_t base)
{
	uint32_t max_nr = host->table->max_nr;

	/* the reasons both the host and this tool define */
	if (host->max_nr < max_nr)
		max_nr = host->max_nr;
	b->base = base;
	b->nr_k = max_nr / EC_BITMAP_REASONS + 1;
	b->words = ec_xreallocarray(NULL, (size_t)b->nr_k * EC_NR_REGS,
				    sizeof(*b->words));
	b->read = ec_xreallocarray(NULL, b->nr_k, sizeof(*b->read));
	memset(b->words, 0, (size_t)b->nr_k * EC_NR_REGS * sizeof(*b->words));
	memset(b->read, 0, b->nr_k * sizeof(*b->read));
}

static void bitmap_free(struct bitmap *b)
{
	free(b->words);
	free(b->read);
}

/* Bit of reason @nr, reading its subleaf first if need be. */
static bool bitmap_bit(struct ec_src *src, struct bitmap *b, uint32_t nr)
{
	uint32_t k = nr / EC_BITMAP_REASONS;

	if (k >= b->nr_k)
		return false;	/* beyond the host's reasons: not answered */
	if (!b->read[k]) {
		ec_src_read(src, EC_LEAF_INFO, b->base + k,
			    &b->words[(size_t)k * EC_NR_REGS]);
		b->read[k] = true;
	}
	return b->words[nr / 32] >> (nr % 32) & 1;
}

/*
 * Read, in increasing k, every subleaf whose 128 reasons include one that
 * @t defines: derived from the table (SVM: k = 0, 1 and 8).
 */
static void bitmap_read_table(struct ec_src *src, struct bitmap *b,
			      const struct ec_isa_table *t)
{
	unsigned int slot;

	for (slot = 0; slot < ec_other_slot(t); slot++)
		if (t->names[slot])
			(void)bitmap_bit(src, b, ec_slot_nr(t, slot));
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

void ec_snapshot_derive(struct ec_snapshot *snap)
{
	size_t i;

	for (i = 0; i < snap->nr_rows; i++)
		derive(&snap->rows[i], snap);
	derive(&snap->total, snap);
}

/* Room for one more row, at the end of @snap's. */
static struct ec_row *add_row(struct ec_snapshot *snap, size_t *cap)
{
	snap->rows = ec_xgrow(snap->rows, snap->nr_rows, cap,
			      sizeof(*snap->rows));
	return &snap->rows[snap->nr_rows++];
}

/*
 * The table without --all: the active bitmap, then the rows of the
 * reasons it marks. An active reason is handled, whatever a row read
 * after a reset of the counters says.
 */
static void read_active(struct ec_src *src, struct ec_snapshot *snap)
{
	const struct ec_isa_table *t = snap->host.table;
	struct bitmap active;
	unsigned int slot;
	size_t cap = 0;

	bitmap_init(&active, &snap->host, EC_INFO_ACTIVE);
	bitmap_read_table(src, &active, t);
	for (slot = 0; slot < ec_other_slot(t); slot++) {
		uint32_t nr = ec_slot_nr(t, slot);
		struct ec_row *row;

		if (!t->names[slot] || !bitmap_bit(src, &active, nr))
			continue;
		row = add_row(snap, &cap);
		read_reason(src, t, nr, row);
		row->handled = row->defined;
	}
	bitmap_free(&active);
}

/*
 * The table with --all: the handled bitmap, then every reason @t
 * defines, so that a handled reason without exits shows as handled.
 */
static void read_all(struct ec_src *src, struct ec_snapshot *snap)
{
	const struct ec_isa_table *t = snap->host.table;
	struct bitmap handled;
	unsigned int slot;
	size_t cap = 0;

	bitmap_init(&handled, &snap->host, EC_INFO_HANDLED);
	bitmap_read_table(src, &handled, t);
	for (slot = 0; slot < ec_other_slot(t); slot++) {
		uint32_t nr = ec_slot_nr(t, slot);
		struct ec_row *row;

		if (!t->names[slot])
			continue;
		row = add_row(snap, &cap);
		read_reason(src, t, nr, row);
		if (row->defined && bitmap_bit(src, &handled, nr))
			row->handled = true;
	}
	bitmap_free(&handled);
}

/*
 * Reasons named on the command line, in their order. Only a defined
 * reason that reads all zeros needs the handled bitmap: the subleaf of
 * its 128 reasons, read once.
 */
static void read_named(struct ec_src *src, const uint32_t *nrs, size_t n,
		       struct ec_snapshot *snap)
{
	const struct ec_isa_table *t = snap->host.table;
	struct bitmap handled;
	size_t i;

	bitmap_init(&handled, &snap->host, EC_INFO_HANDLED);
	snap->rows = ec_xreallocarray(NULL, n, sizeof(*snap->rows));
	snap->nr_rows = n;
	for (i = 0; i < n; i++) {
		struct ec_row *row = &snap->rows[i];

		read_reason(src, t, nrs[i], row);
		if (row->defined && !row->handled)
			row->handled = bitmap_bit(src, &handled, nrs[i]);
	}
	bitmap_free(&handled);
}

/* ---- histograms: leaf 0x4FFFFFFC subleaves 0x01000000 + (nr << 8) + g -- */

/* The layout from subleaf 2; false if the host has none this tool knows. */
static bool read_hist_layout(struct ec_src *src, struct ec_host *host)
{
	uint32_t regs[EC_NR_REGS];

	ec_src_read(src, EC_LEAF_INFO, EC_INFO_TOTAL_HI, regs);
	/* every bucket edge must fit in 64 bits */
	if (!regs[EC_EBX] || regs[EC_EBX] > EC_HIST_BUCKETS ||
	    regs[EC_ECX] > 64 - EC_HIST_BUCKETS)
		return false;
	host->hist_buckets = regs[EC_EBX];
	host->hist_first_shift = regs[EC_ECX];
	return true;
}

/* A reason's buckets, each value shifted back by its subleaf's EDX. */
static void read_hist(struct ec_src *src, const struct ec_host *host,
		      struct ec_row *row)
{
	uint32_t regs[EC_NR_REGS], g, i, b;

	for (g = 0; g * EC_HIST_PER_GROUP < host->hist_buckets; g++) {
		ec_src_read(src, EC_LEAF_INFO, EC_INFO_HIST |
			    row->nr << EC_HIST_REASON_SHIFT | g, regs);
		for (i = 0; i < EC_HIST_PER_GROUP; i++) {
			b = g * EC_HIST_PER_GROUP + i;
			if (b < host->hist_buckets && regs[EC_EDX] < 32)
				row->hist[b] = (uint64_t)regs[i] << regs[EC_EDX];
		}
	}
	memcpy(row->dist, row->hist, sizeof(row->dist));
}

/* Reasons without exits have empty histograms: nothing to read. */
static void read_hists(struct ec_src *src, struct ec_snapshot *snap)
{
	size_t i;

	for (i = 0; i < snap->nr_rows; i++)
		if (snap->rows[i].handled && snap->rows[i].count)
			read_hist(src, &snap->host, &snap->rows[i]);
}

uint64_t ec_hist_edge(const struct ec_host *host, unsigned int b)
{
	return ec_hist_lower(b, host->hist_first_shift);
}

uint64_t ec_hist_exits(const struct ec_host *host, const uint64_t *dist)
{
	uint64_t n = 0;
	unsigned int b;

	for (b = 0; b < host->hist_buckets; b++)
		n += dist[b];
	return n;
}

bool ec_hist_percentile(const struct ec_host *host, const uint64_t *dist,
			double p, double *cycles, bool *above)
{
	uint64_t n = ec_hist_exits(host, dist), seen = 0, rank;
	unsigned int b, last = host->hist_buckets - 1;
	double lo, hi;

	if (!n)
		return false;
	rank = (uint64_t)ceil(p * (double)n);
	rank = rank < 1 ? 1 : rank > n ? n : rank;
	for (b = 0; b < last && seen + dist[b] < rank; b++)
		seen += dist[b];
	lo = (double)ec_hist_edge(host, b);
	*above = b == last;
	if (*above) {
		*cycles = lo;
		return true;
	}
	hi = (double)ec_hist_edge(host, b + 1);
	*cycles = lo + (hi - lo) * (double)(rank - seen) / (double)dist[b];
	return true;
}

bool ec_gather(struct ec_src *src, const struct ec_host *host,
	       const struct ec_want *w, struct ec_snapshot *snap)
{
	memset(snap, 0, sizeof(*snap));
	snap->host = *host;
	if (w->hist && !read_hist_layout(src, &snap->host))
		return false;
	snap->hist = w->hist;
	if (w->nrs)
		read_named(src, w->nrs, w->n, snap);
	else if (w->all)
		read_all(src, snap);
	else
		read_active(src, snap);
	if (w->hist)
		read_hists(src, snap);
	read_total(src, &snap->total);	/* after the reasons: it is >= each */
	ec_snapshot_derive(snap);
	return true;
}

void ec_gather_total(struct ec_src *src, const struct ec_host *host,
		     struct ec_snapshot *snap)
{
	memset(snap, 0, sizeof(*snap));
	snap->host = *host;
	read_total(src, &snap->total);
	ec_snapshot_derive(snap);
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

/* The row of reason @nr in @snap, trying index @hint first; or NULL. */
static const struct ec_row *find_row(const struct ec_snapshot *snap,
				     uint32_t nr, size_t hint)
{
	size_t i;

	if (hint < snap->nr_rows && snap->rows[hint].nr == nr)
		return &snap->rows[hint];
	for (i = 0; i < snap->nr_rows; i++)
		if (snap->rows[i].nr == nr)
			return &snap->rows[i];
	return NULL;
}

/* Percentiles of the interval: @r's buckets less @p's (none: empty). */
static void window(struct ec_row *r, const struct ec_row *p)
{
	unsigned int b;

	for (b = 0; b < EC_HIST_BUCKETS; b++) {
		uint64_t before = p ? p->hist[b] : 0;

		/* a bucket that went back was reset: all of it is new */
		r->dist[b] = r->hist[b] >= before ? r->hist[b] - before :
			     r->hist[b];
	}
}

void ec_rates(struct ec_snapshot *cur, const struct ec_snapshot *prev,
	      double seconds)
{
	size_t i;

	/*
	 * Matched by reason number: without --all each snapshot holds the
	 * reasons active when it was taken, and a reason absent from @prev
	 * had no exits then.
	 */
	for (i = 0; i < cur->nr_rows; i++) {
		struct ec_row *r = &cur->rows[i];
		const struct ec_row *p = find_row(prev, r->nr, i);

		r->rate = rate(r->count, p ? p->count : 0, seconds);
		if (cur->hist)
			window(r, p);
	}
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
