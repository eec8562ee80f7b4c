// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * libFuzzer target for the CPUID protocol encoder (module/protocol.c): one
 * query against a counter source both taken from the input, checked
 * against the rules of include/exitcount/protocol.h; then the reason the
 * subleaf names is read back the way a guest reads it, through all the
 * leaves that tell of it, and must match the source. A broken rule
 * aborts, so libFuzzer keeps the input.
 *
 * Input, little-endian; bytes past the end read as 0:
 *   0       bit 0: SVM table (else VMX); bit 1: scope host (else VM)
 *   1       leaf: 0x4FFFFF00 + this byte
 *   2-5     subleaf (ECX): the reason of 0x4FFFFFFE and 0x4FFFFFFD
 *   6-9     host TSC kHz
 *   10-33   handled bitmap, bit n for slot n (EC_MAX_SLOTS bits)
 *   34-49   total exits, total cycles (u64 each)
 *   50-     exits, cycles (u64 each) of slot 0, slot 1, ... (nr_slots)
 *   then    27 histogram buckets H (u64 each): slot s's bucket b is
 *           H[(b + s) % 27]
 * tests/fuzz/mkseeds.py writes the seeds in this layout.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <exitcount/protocol.h>

#define FLAG_SVM	0x01u
#define FLAG_HOST	0x02u
#define LEAF_BASE	0x4FFFFF00u
#define BITMAP_BYTES	(EC_MAX_SLOTS / 8)

struct input {
	const struct ec_isa_table *table;
	uint32_t leaf;
	uint32_t subleaf;
	uint64_t handled[EC_MAX_SLOTS / 64];
	struct ec_stats total;
	struct ec_stats slots[EC_MAX_SLOTS];
	uint64_t hist[EC_HIST_BUCKETS];
	struct ec_source src;
};

/* Registers as the encoder finds them: a refused query must keep them. */
static const uint32_t sentinel[EC_NR_REGS] = {
	0xa5a5a5a5, 0x5a5a5a5a, 0xdeadbeef, 0xfeedface,
};

struct reader {
	const uint8_t *data;
	size_t size;
	size_t pos;
};

/* The next @bytes bytes as a little-endian number, 0 past the end. */
static uint64_t take(struct reader *r, unsigned int bytes)
{
	uint64_t v = 0;
	unsigned int i;

	for (i = 0; i < bytes; i++, r->pos++)
		if (r->pos < r->size)
			v |= (uint64_t)r->data[r->pos] << (8 * i);
	return v;
}

static void source_read(const struct ec_source *src, int slot,
			struct ec_stats *out)
{
	const struct input *in = src->ctx;

	if (slot == EC_SLOT_TOTAL) {
		*out = in->total;
		return;
	}
	/* "other" is no reason, and past it is off the module's array */
	if (slot < 0 || (unsigned int)slot >= ec_other_slot(in->table)) {
		fprintf(stderr, "%s: read() of slot %d, outside 0..%u\n",
			in->table->isa_name, slot,
			ec_other_slot(in->table) - 1);
		abort();
	}
	*out = in->slots[slot];
}

static uint64_t bucket(const struct input *in, unsigned int slot,
		       unsigned int b)
{
	return in->hist[(b + slot) % EC_HIST_BUCKETS];
}

static void source_read_hist(const struct ec_source *src, unsigned int slot,
			     struct ec_hist *out)
{
	const struct input *in = src->ctx;
	unsigned int b;

	if (slot >= ec_other_slot(in->table)) {
		fprintf(stderr, "%s: read_hist() of slot %u, outside 0..%u\n",
			in->table->isa_name, slot,
			ec_other_slot(in->table) - 1);
		abort();
	}
	for (b = 0; b < EC_HIST_BUCKETS; b++)
		out->bucket[b] = bucket(in, slot, b);
}

static void parse(const uint8_t *data, size_t size, struct input *in)
{
	struct reader r = { data, size, 0 };
	unsigned int flags = (unsigned int)take(&r, 1), i;

	memset(in, 0, sizeof(*in));
	in->table = flags & FLAG_SVM ? &ec_svm_table : &ec_vmx_table;
	if (in->table->nr_slots > EC_MAX_SLOTS) {
		fprintf(stderr, "%s: %u slots, more than EC_MAX_SLOTS\n",
			in->table->isa_name, in->table->nr_slots);
		abort();
	}
	in->leaf = LEAF_BASE | (uint32_t)take(&r, 1);
	in->subleaf = (uint32_t)take(&r, 4);
	in->src.tsc_khz = (uint32_t)take(&r, 4);
	for (i = 0; i < BITMAP_BYTES; i++)
		in->handled[i / 8] |= take(&r, 1) << (8 * (i % 8));
	in->total.count = take(&r, 8);
	in->total.cycles = take(&r, 8);
	for (i = 0; i < in->table->nr_slots; i++) {
		in->slots[i].count = take(&r, 8);
		in->slots[i].cycles = take(&r, 8);
	}
	for (i = 0; i < EC_HIST_BUCKETS; i++)
		in->hist[i] = take(&r, 8);
	in->src.table = in->table;
	in->src.handled = in->handled;
	in->src.scope = flags & FLAG_HOST ? EC_SCOPE_HOST : EC_SCOPE_VM;
	in->src.read = source_read;
	in->src.read_hist = source_read_hist;
	in->src.ctx = in;
}

static uint32_t lo32(uint64_t v)
{
	return (uint32_t)v;
}

static uint32_t hi32(uint64_t v)
{
	return (uint32_t)(v >> 32);
}

static bool defined(const struct input *in, uint32_t nr)
{
	return ec_reason_name(in->table, nr) != NULL;
}

static bool handled(const struct input *in, uint32_t nr)
{
	return defined(in, nr) &&
	       ec_slot_handled(in->handled, ec_slot(in->table, nr));
}

/* Only for a defined reason: undefined ones have no slot. */
static const struct ec_stats *stats(const struct input *in, uint32_t nr)
{
	return &in->slots[ec_slot(in->table, nr)];
}

/* Bitmap subleaf @base + @k: bit i for reason 128k + i. */
static void expect_bitmap(const struct input *in, uint32_t base, uint32_t k,
			  uint32_t want[EC_NR_REGS])
{
	uint32_t i;

	ec_set_regs(want, 0, 0, 0, 0);
	for (i = 0; i < EC_BITMAP_REASONS; i++) {
		uint32_t nr = k * EC_BITMAP_REASONS + i;

		if (handled(in, nr) &&
		    (base == EC_INFO_HANDLED || stats(in, nr)->count != 0))
			want[i / 32] |= 1u << (i % 32);
	}
}

/* Undefined, or defined but not handled: true with @want so answered. */
static bool reason_rules(const struct input *in, uint32_t nr,
			 uint32_t want[EC_NR_REGS])
{
	if (!defined(in, nr)) {
		ec_set_regs(want, 0, 0, 0, EC_STATUS_UNDEFINED);
		return true;
	}
	if (!handled(in, nr)) {
		ec_set_regs(want, 0, 0, 0, 0);
		return true;
	}
	return false;
}

/*
 * Histogram subleaf: the reason's rules as 0x4FFFFFFE, then buckets
 * 3g..3g+2 shifted right by the smallest s that fits them all.
 */
static bool expect_hist(const struct input *in, uint32_t subleaf,
			uint32_t want[EC_NR_REGS])
{
	uint32_t nr = (subleaf >> 8) & 0xffffu, g = subleaf & 0xffu, i, s = 0;
	uint64_t v[3];
	unsigned int slot;

	if (g >= EC_HIST_GROUPS)
		return false;
	if (reason_rules(in, nr, want))
		return true;
	slot = ec_slot(in->table, nr);
	for (i = 0; i < 3; i++)
		v[i] = bucket(in, slot, g * 3 + i);
	while ((v[0] | v[1] | v[2]) >> s > 0xffffffffull)
		s++;
	ec_set_regs(want, (uint32_t)(v[0] >> s), (uint32_t)(v[1] >> s),
		    (uint32_t)(v[2] >> s), s);
	return true;
}

static bool expect_info(const struct input *in, uint32_t subleaf,
			uint32_t want[EC_NR_REGS])
{
	uint32_t base = subleaf & ~0xffu, k = subleaf & 0xffu;

	if (subleaf == EC_INFO_SIGNATURE) {
		ec_set_regs(want, EC_ABI_VERSION, EC_SIGNATURE_EBX,
			    EC_SIGNATURE_ECX, EC_SIGNATURE_EDX);
		return true;
	}
	if (subleaf == EC_INFO_HOST) {
		ec_set_regs(want, (uint32_t)in->table->isa, in->src.scope,
			    in->src.tsc_khz, in->table->max_nr);
		return true;
	}
	if (subleaf == EC_INFO_TOTAL_HI) {
		ec_set_regs(want, hi32(in->total.count), EC_HIST_BUCKETS,
			    EC_HIST_FIRST_SHIFT, 0);
		return true;
	}
	if (subleaf >> 24 == EC_INFO_HIST >> 24)
		return expect_hist(in, subleaf, want);
	/* k runs to the block of the highest reason; past it: no answer */
	if ((base != EC_INFO_HANDLED && base != EC_INFO_ACTIVE) ||
	    k > in->table->max_nr / EC_BITMAP_REASONS)
		return false;
	expect_bitmap(in, base, k, want);
	return true;
}

/* What the protocol answers; false where the query must be refused. */
static bool expect(const struct input *in, uint32_t leaf, uint32_t subleaf,
		   uint32_t want[EC_NR_REGS])
{
	const struct ec_stats *s;

	switch (leaf) {
	case EC_LEAF_TOTAL:
		ec_set_regs(want, lo32(in->total.count), hi32(in->total.cycles),
			    lo32(in->total.cycles), 0);
		return true;
	case EC_LEAF_COUNT:
	case EC_LEAF_DETAIL:
		if (reason_rules(in, subleaf, want))
			return true;
		s = stats(in, subleaf);
		if (leaf == EC_LEAF_COUNT)
			ec_set_regs(want, lo32(s->count), 0, 0, 0);
		else
			ec_set_regs(want, hi32(s->count), hi32(s->cycles),
				    lo32(s->cycles), EC_STATUS_OK);
		return true;
	case EC_LEAF_INFO:
		return expect_info(in, subleaf, want);
	}
	return false;
}

static void print_query(const struct input *in, uint32_t leaf,
			uint32_t subleaf)
{
	fprintf(stderr, "%s scope %" PRIu32 " leaf %#" PRIx32
		" subleaf %#" PRIx32 ": ", in->table->isa_name,
		in->src.scope, leaf, subleaf);
}

/* A broken rule: the query, then what is wrong (printf arguments). */
#define FAIL(in, leaf, subleaf, ...)					\
	do {								\
		print_query(in, leaf, subleaf);				\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	} while (0)

#define REGS_FMT "%08" PRIx32 " %08" PRIx32 " %08" PRIx32 " %08" PRIx32
#define REGS(r) (r)[EC_EAX], (r)[EC_EBX], (r)[EC_ECX], (r)[EC_EDX]

/* Ask the encoder (@leaf, @subleaf), check the answer; into @regs. */
static bool query(const struct input *in, uint32_t leaf, uint32_t subleaf,
		  uint32_t regs[EC_NR_REGS])
{
	uint32_t want[EC_NR_REGS];
	bool answered, expected = expect(in, leaf, subleaf, want);

	memcpy(regs, sentinel, sizeof(sentinel));
	answered = ec_proto_answer(&in->src, leaf, subleaf, regs);
	if (answered && !expected)
		FAIL(in, leaf, subleaf, "answered " REGS_FMT ", not in the "
		     "protocol", REGS(regs));
	if (!answered && expected)
		FAIL(in, leaf, subleaf, "refused, want " REGS_FMT, REGS(want));
	if (answered && !ec_proto_is_leaf(leaf))
		FAIL(in, leaf, subleaf, "answered, not ec_proto_is_leaf()");
	if (!answered)
		memcpy(want, sentinel, sizeof(sentinel));
	if (memcmp(regs, want, sizeof(want)) != 0)
		FAIL(in, leaf, subleaf, "%s: got " REGS_FMT ", want " REGS_FMT,
		     answered ? "wrong answer" : "refused, registers changed",
		     REGS(regs), REGS(want));
	return answered;
}

/* The bit for reason @nr in bitmap subleaf @base + its block. */
static bool bitmap_bit(const struct input *in, uint32_t base, uint32_t nr)
{
	uint32_t regs[EC_NR_REGS], i = nr % EC_BITMAP_REASONS;

	if (!query(in, EC_LEAF_INFO, base + nr / EC_BITMAP_REASONS, regs))
		return false;
	return regs[i / 32] >> (i % 32) & 1;
}

/*
 * The buckets of handled reason @nr as a guest reads them, each value
 * shifted back: exact with shift 0, else within 2^shift below the
 * source's bucket.
 */
static void read_back_hist(const struct input *in, uint32_t nr)
{
	unsigned int slot = ec_slot(in->table, nr), g, i;
	uint32_t regs[EC_NR_REGS];
	uint64_t src, got;

	if (nr > 0xffff)
		return;
	for (g = 0; g < EC_HIST_GROUPS; g++) {
		uint32_t sub = EC_INFO_HIST | nr << EC_HIST_REASON_SHIFT | g;
		query(in, EC_LEAF_INFO, sub, regs);
		if (regs[EC_EDX] > 32)
			FAIL(in, EC_LEAF_INFO, sub, "shift %" PRIu32, regs[EC_EDX]);
		for (i = 0; i < EC_HIST_PER_GROUP; i++) {
			src = bucket(in, slot, g * EC_HIST_PER_GROUP + i);
			got = (uint64_t)regs[i] << regs[EC_EDX];
			if (got > src || (src - got) >> regs[EC_EDX] != 0)
				FAIL(in, EC_LEAF_INFO, sub, "bucket %u read "
				     "back %#" PRIx64 ", source %#" PRIx64,
				     g * EC_HIST_PER_GROUP + i, got, src);
		}
	}
}

/*
 * Reason @nr as a guest reads it: 0x4FFFFFFD for the high halves,
 * 0x4FFFFFFE for the low half of the count, the bitmaps for "handled" and
 * "has exits". query() has checked each answer against expect(); this
 * checks what a reader makes of them, so a rule misread the same way in
 * expect() and in the encoder still shows.
 */
static void read_back(const struct input *in, uint32_t nr)
{
	uint32_t count[EC_NR_REGS], detail[EC_NR_REGS];
	bool in_bitmaps = nr <= in->table->max_nr;
	bool is_handled = in_bitmaps && bitmap_bit(in, EC_INFO_HANDLED, nr);
	bool is_active = in_bitmaps && bitmap_bit(in, EC_INFO_ACTIVE, nr);
	uint32_t active_sub = EC_INFO_ACTIVE + nr / EC_BITMAP_REASONS;
	const struct ec_stats *s;
	uint64_t exits, cycles;

	query(in, EC_LEAF_COUNT, nr, count);
	query(in, EC_LEAF_DETAIL, nr, detail);
	if (!is_handled) {
		if (is_active)
			FAIL(in, EC_LEAF_INFO, active_sub, "reason %#" PRIx32
			     " active, not handled", nr);
		return;
	}
	s = stats(in, nr);
	exits = ec_u64(detail[EC_EAX], count[EC_EAX]);
	cycles = ec_u64(detail[EC_EBX], detail[EC_ECX]);
	if (exits != s->count || cycles != s->cycles)
		FAIL(in, EC_LEAF_DETAIL, nr, "read back %#" PRIx64 " exits, %#"
		     PRIx64 " cycles; source %#" PRIx64 ", %#" PRIx64, exits,
		     cycles, s->count, s->cycles);
	if (is_active != (s->count != 0))
		FAIL(in, EC_LEAF_INFO, active_sub, "reason %#" PRIx32
		     " active bit %d, %#" PRIx64 " exits", nr, is_active,
		     s->count);
	read_back_hist(in, nr);
}

/* The 64-bit totals from 0x4FFFFFFF and 0x4FFFFFFC/2. */
static void read_back_total(const struct input *in, uint32_t subleaf)
{
	uint32_t total[EC_NR_REGS], hi[EC_NR_REGS];
	uint64_t exits, cycles;

	query(in, EC_LEAF_TOTAL, subleaf, total);
	query(in, EC_LEAF_INFO, EC_INFO_TOTAL_HI, hi);
	exits = ec_u64(hi[EC_EAX], total[EC_EAX]);
	cycles = ec_u64(total[EC_EBX], total[EC_ECX]);
	if (exits != in->total.count || cycles != in->total.cycles)
		FAIL(in, EC_LEAF_TOTAL, subleaf, "read back %#" PRIx64
		     " exits, %#" PRIx64 " cycles; source %#" PRIx64 ", %#"
		     PRIx64, exits, cycles, in->total.count, in->total.cycles);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct input in;
	uint32_t regs[EC_NR_REGS];

	parse(data, size, &in);
	query(&in, in.leaf, in.subleaf, regs);
	read_back(&in, in.subleaf);
	read_back_total(&in, in.subleaf);
	return 0;
}
