// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Unit tests for the CPUID protocol encoder (module/protocol.c) against
 * the table in include/exitcount/protocol.h.
 *
 * The counters come from a fake ec_source whose per-slot values are a
 * function of the reason number, and whether a reason is defined or
 * handled is written out here from the manuals: so the expected registers
 * are computed without the encoder's own reason-to-slot logic.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <exitcount/protocol.h>

#include "inputs.h"

#define BITMAP_WORDS (MAX_SLOTS / 64)

/*
 * Counter values per reason: above 2^32 so both halves matter, with
 * different high halves per reason and bit 31 set in the low half to
 * catch a sign extension.
 */
static uint64_t reason_count(uint32_t nr)
{
	return (uint64_t)(0x100 + nr) << 32 | (0xc0000000u + nr);
}

static uint64_t reason_cycles(uint32_t nr)
{
	return (uint64_t)(0x5a5a0000u + nr) << 32 | (0x80000003u | nr << 8);
}

/*
 * Histogram buckets per reason: growing with the bucket, from a few bits
 * to 45, so that some subleaves fit in 32 bits and others need a shift.
 */
static uint64_t reason_bucket(uint32_t nr, unsigned int b)
{
	return ((uint64_t)(0x1000 + nr) * (b + 1)) << b;
}

/* Totals: distinct from every per-reason value. */
#define TOTAL_COUNT	0x0000012389abcdefull
#define TOTAL_CYCLES	0xfedcba9876543210ull

/* Held by the slots of undefined reasons: no answer may ever show it. */
#define POISON		0xdeadbeefdeadbeefull

/* One ISA: what the manual defines, and the fake host's answers. */
struct isa_case {
	enum ec_isa isa;
	bool (*defined)(uint32_t nr);
	const uint32_t *unhandled;	/* defined, but KVM lacks a handler */
	size_t nr_unhandled;
	const uint32_t *undefined;	/* gaps and boundary classes */
	size_t nr_undefined;
	uint32_t scope;
	uint32_t tsc_khz;

	/* filled by setup_case() */
	const struct ec_isa_table *table;
	uint64_t count[MAX_SLOTS];
	uint64_t cycles[MAX_SLOTS];
	struct ec_hist hist[MAX_SLOTS];
	uint64_t handled[BITMAP_WORDS];
	struct ec_source src;
};

static bool vmx_defined(uint32_t nr)
{
	static const uint32_t gaps[] = { 35, 38, 42, 71, 82, 83 };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(gaps); i++)
		if (nr == gaps[i])
			return false;
	return nr <= 85;
}

static bool svm_defined(uint32_t nr)
{
	return nr <= 0x0a6 || (nr >= 0x400 && nr <= 0x403);
}

/* Table edges included: an edge is handled in one ISA, not in the other. */
static const uint32_t vmx_unhandled[] = {
	5, 6, 11, 17, 65, 66, 69, 70, 72, 73, 76, 77, 78, 79, 80, 81, 85,
};

static const uint32_t svm_unhandled[] = {
	0x000, 0x062, 0x073, 0x086, 0x08e, 0x0a0, 0x0a3, 0x0a6, 0x403,
};

static const uint32_t vmx_undefined[] = {
	35, 38, 42, 71, 82, 83, 86, 87,
	0x7fffffff, 0x80000000, 0xffffffff,
};

static const uint32_t svm_undefined[] = {
	0x0a7, 0x0a8, 0x3ff, 0x404, 0x405,
	0x7fffffff, 0x80000000, 0xffffffff,
};

static struct isa_case vmx_case = {
	.isa = EC_ISA_VMX,
	.defined = vmx_defined,
	.unhandled = vmx_unhandled,
	.nr_unhandled = ARRAY_SIZE(vmx_unhandled),
	.undefined = vmx_undefined,
	.nr_undefined = ARRAY_SIZE(vmx_undefined),
	.scope = EC_SCOPE_VM,
	.tsc_khz = 2893299,
};

static struct isa_case svm_case = {
	.isa = EC_ISA_SVM,
	.defined = svm_defined,
	.unhandled = svm_unhandled,
	.nr_unhandled = ARRAY_SIZE(svm_unhandled),
	.undefined = svm_undefined,
	.nr_undefined = ARRAY_SIZE(svm_undefined),
	.scope = EC_SCOPE_HOST,
	.tsc_khz = 0xfffffff0u,
};

static bool is_unhandled(const struct isa_case *c, uint32_t nr)
{
	size_t i;

	for (i = 0; i < c->nr_unhandled; i++)
		if (nr == c->unhandled[i])
			return true;
	return false;
}

/*
 * Only the total and the slots of reasons may be read: "other" is no
 * reason, and anything past it is off the module's counter array.
 */
static void fake_read(const struct ec_source *src, int slot,
		      struct ec_stats *out)
{
	const struct isa_case *c = src->ctx;

	if (slot == EC_SLOT_TOTAL) {
		out->count = TOTAL_COUNT;
		out->cycles = TOTAL_CYCLES;
		return;
	}
	if (slot < 0 || (unsigned int)slot >= ec_other_slot(c->table)) {
		fail_msg("%s: read() of slot %d, outside 0..%u",
			 c->table->isa_name, slot, ec_other_slot(c->table) - 1);
		return;
	}
	out->count = c->count[slot];
	out->cycles = c->cycles[slot];
}

static void fake_read_hist(const struct ec_source *src, unsigned int slot,
			   struct ec_hist *out)
{
	const struct isa_case *c = src->ctx;

	if (slot >= ec_other_slot(c->table)) {
		fail_msg("%s: read_hist() of slot %u, outside 0..%u",
			 c->table->isa_name, slot, ec_other_slot(c->table) - 1);
		return;
	}
	*out = c->hist[slot];
}

static void clear_bit(uint64_t *bitmap, unsigned int bit)
{
	bitmap[bit / 64] &= ~(1ull << (bit % 64));
}

/*
 * Every slot starts "handled" and poisoned, the defined reasons get their
 * values and the unhandled ones lose their bit: so an undefined reason can
 * only read as undefined if that rule wins over the handled bit.
 */
static int setup_case(struct isa_case *c)
{
	unsigned int slot, b;
	size_t i;

	c->table = ec_table_for_isa(c->isa);
	if (!c->table || c->table->nr_slots > MAX_SLOTS) {
		print_error("ISA %d: no table, or more than %u slots\n",
			    (int)c->isa, MAX_SLOTS);
		return -1;
	}
	for (slot = 0; slot < MAX_SLOTS; slot++) {
		c->count[slot] = POISON;
		c->cycles[slot] = POISON;
		for (i = 0; i < EC_HIST_BUCKETS; i++)
			c->hist[slot].bucket[i] = POISON;
	}
	for (i = 0; i < BITMAP_WORDS; i++)
		c->handled[i] = ~0ull;
	for (i = 0; i <= SCAN_LAST; i++) {
		uint32_t nr = (uint32_t)i;

		if (!c->defined(nr))
			continue;
		slot = ec_slot(c->table, nr);
		if (slot >= ec_other_slot(c->table)) {
			print_error("%s reason %#" PRIx32 ": no slot\n",
				    c->table->isa_name, nr);
			return -1;
		}
		c->count[slot] = reason_count(nr);
		c->cycles[slot] = reason_cycles(nr);
		for (b = 0; b < EC_HIST_BUCKETS; b++)
			c->hist[slot].bucket[b] = reason_bucket(nr, b);
		if (is_unhandled(c, nr))
			clear_bit(c->handled, slot);
	}
	c->src = (struct ec_source) {
		.table = c->table,
		.handled = c->handled,
		.scope = c->scope,
		.tsc_khz = c->tsc_khz,
		.read = fake_read,
		.read_hist = fake_read_hist,
		.ctx = c,
	};
	return 0;
}

static int group_setup(void **state)
{
	(void)state;
	if (setup_case(&vmx_case) || setup_case(&svm_case))
		return -1;
	return 0;
}

/* Register contents the encoder never writes: shows what it left alone. */
static const uint32_t sentinel[EC_NR_REGS] = {
	0xa5a5a5a5, 0x5a5a5a5a, 0xdeadbeef, 0xfeedface,
};

static void set_sentinel(uint32_t regs[EC_NR_REGS])
{
	ec_set_regs(regs, sentinel[EC_EAX], sentinel[EC_EBX], sentinel[EC_ECX],
		    sentinel[EC_EDX]);
}

static void check_regs(const struct ec_source *src, uint32_t leaf,
		       uint32_t subleaf, const uint32_t got[EC_NR_REGS],
		       const uint32_t want[EC_NR_REGS])
{
	if (memcmp(got, want, sizeof(uint32_t) * EC_NR_REGS) != 0)
		fail_msg("%s leaf %#" PRIx32 " subleaf/reason %#" PRIx32
			 ": got %08" PRIx32 " %08" PRIx32 " %08" PRIx32
			 " %08" PRIx32 ", expected %08" PRIx32 " %08" PRIx32
			 " %08" PRIx32 " %08" PRIx32,
			 src->table->isa_name, leaf, subleaf,
			 got[EC_EAX], got[EC_EBX], got[EC_ECX], got[EC_EDX],
			 want[EC_EAX], want[EC_EBX], want[EC_ECX],
			 want[EC_EDX]);
}

/* The encoder answers (@leaf, @subleaf) with exactly @want. */
static void check_answer(const struct ec_source *src, uint32_t leaf,
			 uint32_t subleaf, const uint32_t want[EC_NR_REGS])
{
	uint32_t regs[EC_NR_REGS];

	set_sentinel(regs);
	if (!ec_proto_answer(src, leaf, subleaf, regs))
		fail_msg("%s leaf %#" PRIx32 " subleaf/reason %#" PRIx32
			 ": not answered", src->table->isa_name, leaf,
			 subleaf);
	check_regs(src, leaf, subleaf, regs, want);
}

/* The encoder declines (@leaf, @subleaf) and leaves the registers be. */
static void check_refused(const struct ec_source *src, uint32_t leaf,
			  uint32_t subleaf)
{
	uint32_t regs[EC_NR_REGS];

	set_sentinel(regs);
	if (ec_proto_answer(src, leaf, subleaf, regs))
		fail_msg("%s leaf %#" PRIx32 " subleaf %#" PRIx32
			 ": answered, but is not in the protocol",
			 src->table->isa_name, leaf, subleaf);
	check_regs(src, leaf, subleaf, regs, sentinel);
}

/* What 0x4FFFFFFE or 0x4FFFFFFD must return for reason @nr. */
static void expect_reason(const struct isa_case *c, uint32_t leaf,
			  uint32_t nr, uint32_t want[EC_NR_REGS])
{
	uint64_t count = reason_count(nr), cycles = reason_cycles(nr);

	if (!c->defined(nr))
		ec_set_regs(want, 0, 0, 0, EC_STATUS_UNDEFINED);
	else if (is_unhandled(c, nr))
		ec_set_regs(want, 0, 0, 0, 0);
	else if (leaf == EC_LEAF_COUNT)
		ec_set_regs(want, (uint32_t)count, 0, 0, 0);
	else
		ec_set_regs(want, (uint32_t)(count >> 32),
			    (uint32_t)(cycles >> 32), (uint32_t)cycles,
			    EC_STATUS_OK);
}

static void check_reason(const struct isa_case *c, uint32_t nr)
{
	static const uint32_t leaves[] = { EC_LEAF_COUNT, EC_LEAF_DETAIL };
	uint32_t want[EC_NR_REGS];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(leaves); i++) {
		expect_reason(c, leaves[i], nr, want);
		check_answer(&c->src, leaves[i], nr, want);
	}
}

/* 0x4FFFFFFF: the subleaf plays no part. */
static void test_total(void **state)
{
	static const uint32_t subleaves[] = { 0, 1, 2, 0x4fffffff, 0xffffffff };
	const uint32_t want[EC_NR_REGS] = {
		0x89abcdef, 0xfedcba98, 0x76543210, 0,
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(subleaves); i++) {
		check_answer(&vmx_case.src, EC_LEAF_TOTAL, subleaves[i], want);
		check_answer(&svm_case.src, EC_LEAF_TOTAL, subleaves[i], want);
	}
}

/* Handled reasons with the values written out: vouches for expect_reason(). */
static void test_reason_literal(void **state)
{
	const uint32_t count[EC_NR_REGS] = { 0xc000000a, 0, 0, 0 };
	const uint32_t detail[EC_NR_REGS] = {
		0x0000010a, 0x5a5a000a, 0x80000a03, EC_STATUS_OK,
	};
	const uint32_t svm_detail[EC_NR_REGS] = {
		0x00000500, 0x5a5a0400, 0x80040003, EC_STATUS_OK,
	};

	(void)state;
	check_answer(&vmx_case.src, EC_LEAF_COUNT, 10, count);
	check_answer(&vmx_case.src, EC_LEAF_DETAIL, 10, detail);
	check_answer(&svm_case.src, EC_LEAF_DETAIL, 0x400, svm_detail);
}

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "the signature is checked as x86 guests see it: little-endian");

static void test_info_signature(void **state)
{
	const uint32_t want[EC_NR_REGS] = {
		EC_ABI_VERSION, EC_SIGNATURE_EBX, EC_SIGNATURE_ECX,
		EC_SIGNATURE_EDX,
	};
	uint32_t regs[EC_NR_REGS];
	char sig[13] = { 0 };

	(void)state;
	assert_int_equal(EC_ABI_VERSION, 1);
	check_answer(&vmx_case.src, EC_LEAF_INFO, EC_INFO_SIGNATURE, want);
	check_answer(&svm_case.src, EC_LEAF_INFO, EC_INFO_SIGNATURE, want);

	/*
	 * Spell it the way a guest does: EBX, ECX, EDX bytes in a row. The
	 * analyzer wants memcpy_s(), which glibc does not have; the copies
	 * are 4 bytes into a 13-byte buffer.
	 */
	assert_true(ec_proto_answer(&vmx_case.src, EC_LEAF_INFO,
				    EC_INFO_SIGNATURE, regs));
	/* NOLINTBEGIN(*.DeprecatedOrUnsafeBufferHandling) */
	memcpy(sig, &regs[EC_EBX], 4);
	memcpy(sig + 4, &regs[EC_ECX], 4);
	memcpy(sig + 8, &regs[EC_EDX], 4);
	/* NOLINTEND(*.DeprecatedOrUnsafeBufferHandling) */
	assert_string_equal(sig, "exitcountKVM");
}

static void check_info_host(const struct isa_case *c, uint32_t max_nr)
{
	const uint32_t want[EC_NR_REGS] = {
		(uint32_t)c->isa, c->scope, c->tsc_khz, max_nr,
	};

	check_answer(&c->src, EC_LEAF_INFO, EC_INFO_HOST, want);
}

static void test_info_host(void **state)
{
	(void)state;
	check_info_host(&vmx_case, 85);
	check_info_host(&svm_case, 0x403);
}

static void test_info_total_hi(void **state)
{
	const uint32_t want[EC_NR_REGS] = { 0x00000123, 27, 8, 0 };

	(void)state;
	assert_int_equal(EC_HIST_BUCKETS, 27);
	assert_int_equal(EC_HIST_FIRST_SHIFT, 8);
	check_answer(&vmx_case.src, EC_LEAF_INFO, EC_INFO_TOTAL_HI, want);
	check_answer(&svm_case.src, EC_LEAF_INFO, EC_INFO_TOTAL_HI, want);
}

static void test_info_unknown_subleaf(void **state)
{
	static const uint32_t subleaves[] = {
		3, 4, 0xff, 0x300, 0x7fffffff, 0x80000000, 0xffffffff,
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(subleaves); i++) {
		check_refused(&vmx_case.src, EC_LEAF_INFO, subleaves[i]);
		check_refused(&svm_case.src, EC_LEAF_INFO, subleaves[i]);
	}
}

/* Bitmap subleaf @base + @k, expected from the manual and the fake. */
static void check_bitmap(struct isa_case *c, uint32_t base, uint32_t k)
{
	uint32_t want[EC_NR_REGS] = { 0, 0, 0, 0 };
	uint32_t i;

	for (i = 0; i < EC_BITMAP_REASONS; i++) {
		uint32_t nr = k * EC_BITMAP_REASONS + i;

		if (!c->defined(nr) || is_unhandled(c, nr))
			continue;
		if (base == EC_INFO_ACTIVE &&
		    !c->count[ec_slot(c->table, nr)])
			continue;
		want[i / 32] |= 1u << (i % 32);
	}
	check_answer(&c->src, EC_LEAF_INFO, base + k, want);
}

/*
 * Handled and active bitmaps for every k up to max reason / 128, with a
 * few handled reasons made idle; past the table the subleaf is refused.
 */
static void check_bitmaps(struct isa_case *c, const uint32_t *idle,
			  size_t nr_idle)
{
	uint32_t last = c->table->max_nr / EC_BITMAP_REASONS, k;
	size_t i;

	for (i = 0; i < nr_idle; i++)
		c->count[ec_slot(c->table, idle[i])] = 0;
	for (k = 0; k <= last; k++) {
		check_bitmap(c, EC_INFO_HANDLED, k);
		check_bitmap(c, EC_INFO_ACTIVE, k);
	}
	check_refused(&c->src, EC_LEAF_INFO, EC_INFO_HANDLED + last + 1);
	check_refused(&c->src, EC_LEAF_INFO, EC_INFO_ACTIVE + last + 1);
	check_refused(&c->src, EC_LEAF_INFO, EC_INFO_ACTIVE + 0xff);
	for (i = 0; i < nr_idle; i++)
		c->count[ec_slot(c->table, idle[i])] = reason_count(idle[i]);
}

static void test_bitmaps(void **state)
{
	static const uint32_t vmx_idle[] = { 0, 10, 31, 32, 84 };
	static const uint32_t svm_idle[] = { 0x01, 0x72, 0x7f, 0x80, 0x400 };

	(void)state;
	check_bitmaps(&vmx_case, vmx_idle, ARRAY_SIZE(vmx_idle));
	check_bitmaps(&svm_case, svm_idle, ARRAY_SIZE(svm_idle));
}

/* Leaves around ours, with subleaves that mean something to ours. */
static void test_foreign_leaves(void **state)
{
	static const uint32_t leaves[] = {
		0, 1, 0x40000000, 0x40000001, 0x4ffffffb, 0x50000000,
		0x80000000, 0xffffffff,
	};
	static const uint32_t subleaves[] = { 0, 1, 2, 10, 0xffffffff };
	size_t i, j;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(leaves); i++) {
		if (ec_proto_is_leaf(leaves[i]))
			fail_msg("ec_proto_is_leaf(%#" PRIx32 ") is true",
				 leaves[i]);
		for (j = 0; j < ARRAY_SIZE(subleaves); j++) {
			check_refused(&vmx_case.src, leaves[i], subleaves[j]);
			check_refused(&svm_case.src, leaves[i], subleaves[j]);
		}
	}
	assert_true(ec_proto_is_leaf(EC_LEAF_INFO));
	assert_true(ec_proto_is_leaf(EC_LEAF_DETAIL));
	assert_true(ec_proto_is_leaf(EC_LEAF_COUNT));
	assert_true(ec_proto_is_leaf(EC_LEAF_TOTAL));
}

/* Gaps and boundaries, spelled out: EDX=0xFFFFFFFF, the rest 0. */
static void check_undefined(const struct isa_case *c)
{
	const uint32_t want[EC_NR_REGS] = { 0, 0, 0, EC_STATUS_UNDEFINED };
	size_t i;

	for (i = 0; i < c->nr_undefined; i++) {
		check_answer(&c->src, EC_LEAF_COUNT, c->undefined[i], want);
		check_answer(&c->src, EC_LEAF_DETAIL, c->undefined[i], want);
	}
}

static void test_undefined(void **state)
{
	(void)state;
	check_undefined(&vmx_case);
	check_undefined(&svm_case);
}

/* Defined, no handler: all four 0, though the fake has counts there. */
static void check_unhandled(const struct isa_case *c)
{
	const uint32_t want[EC_NR_REGS] = { 0, 0, 0, 0 };
	size_t i;

	for (i = 0; i < c->nr_unhandled; i++) {
		check_answer(&c->src, EC_LEAF_COUNT, c->unhandled[i], want);
		check_answer(&c->src, EC_LEAF_DETAIL, c->unhandled[i], want);
	}
}

static void test_unhandled(void **state)
{
	(void)state;
	check_unhandled(&vmx_case);
	check_unhandled(&svm_case);
}

/* ---- histograms: 0x4FFFFFFC/0x01000000 + (reason << 8) + g ---- */

static uint32_t hist_subleaf(uint32_t nr, uint32_t g)
{
	return EC_INFO_HIST + (nr << 8) + g;
}

/*
 * Buckets 3g..3g+2 of @h, all shifted by the smallest s that fits the
 * largest in 32 bits, found by trying each s in turn.
 */
static void expect_group(const struct ec_hist *h, uint32_t g,
			 uint32_t want[EC_NR_REGS])
{
	const uint64_t *v = &h->bucket[(size_t)g * 3];
	uint64_t max = v[0] > v[1] ? v[0] : v[1];
	uint32_t s = 0;

	max = max > v[2] ? max : v[2];
	while (max >> s > 0xffffffffull)
		s++;
	ec_set_regs(want, (uint32_t)(v[0] >> s), (uint32_t)(v[1] >> s),
		    (uint32_t)(v[2] >> s), s);
}

/* Every group of reason @nr (< 2^16); past the last, refused. */
static void check_hist(const struct isa_case *c, uint32_t nr)
{
	uint32_t want[EC_NR_REGS], g;

	for (g = 0; g < EC_HIST_GROUPS; g++) {
		if (!c->defined(nr))
			ec_set_regs(want, 0, 0, 0, EC_STATUS_UNDEFINED);
		else if (is_unhandled(c, nr))
			ec_set_regs(want, 0, 0, 0, 0);
		else
			expect_group(&c->hist[ec_slot(c->table, nr)], g, want);
		check_answer(&c->src, EC_LEAF_INFO, hist_subleaf(nr, g), want);
	}
	check_refused(&c->src, EC_LEAF_INFO, hist_subleaf(nr, EC_HIST_GROUPS));
	check_refused(&c->src, EC_LEAF_INFO, hist_subleaf(nr, 0xff));
}

/* Values written out: vouch for expect_group(). */
static void test_hist_literal(void **state)
{
	const uint32_t g0[EC_NR_REGS] = { 0x100a, 0x4028, 0xc078, 0 };
	const uint32_t g8[EC_NR_REGS] = {
		0x321f4000, 0x68410000, 0xd8870000, 11,
	};
	const uint32_t svm_g4[EC_NR_REGS] = {
		0x10400000, 0x23000000, 0x4b000000, 0,
	};

	(void)state;
	assert_int_equal(EC_HIST_GROUPS, 9);
	check_answer(&vmx_case.src, EC_LEAF_INFO, 0x01000a00, g0);
	check_answer(&vmx_case.src, EC_LEAF_INFO, 0x01000a08, g8);
	check_answer(&svm_case.src, EC_LEAF_INFO, 0x01040004, svm_g4);
}

/* The shift at its edges: 0 up to 2^32 - 1, 32 for 2^64 - 1. */
static void test_hist_shift(void **state)
{
	static const struct {
		uint64_t v[3];
		uint32_t want[EC_NR_REGS];
	} cases[] = {
		{ { 0, 0, 0 }, { 0, 0, 0, 0 } },
		{ { 0xffffffff, 1, 0 }, { 0xffffffff, 1, 0, 0 } },
		{ { 0x100000000ull, 3, 0xffffffff },
		  { 0x80000000, 1, 0x7fffffff, 1 } },
		{ { 0, 0, ~0ull }, { 0, 0, 0xffffffff, 32 } },
		{ { ~0ull, 1ull << 63, 1ull << 32 },
		  { 0xffffffff, 0x80000000, 1, 32 } },
	};
	unsigned int slot = ec_slot(vmx_case.table, 10);
	struct ec_hist saved = vmx_case.hist[slot];
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		memcpy(&vmx_case.hist[slot].bucket[3], cases[i].v,
		       sizeof(cases[i].v));
		check_answer(&vmx_case.src, EC_LEAF_INFO, hist_subleaf(10, 1),
			     cases[i].want);
	}
	vmx_case.hist[slot] = saved;
}

/* Other top bytes and groups are not ours. */
static void test_hist_refused(void **state)
{
	static const uint32_t subleaves[] = {
		0x00000a00, 0x02000a00, 0x81000a00, 0xff000a00, 0x01000a09,
		0x0100ffff, 0x01ffffff,
	};
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(subleaves); i++) {
		check_refused(&vmx_case.src, EC_LEAF_INFO, subleaves[i]);
		check_refused(&svm_case.src, EC_LEAF_INFO, subleaves[i]);
	}
}

/* Bucket edges: 2^(7+b) starts bucket b, from 256 up to the overflow. */
static void test_hist_bucket(void **state)
{
	unsigned int b;

	(void)state;
	assert_int_equal(ec_hist_bucket(0), 0);
	assert_int_equal(ec_hist_bucket(255), 0);
	assert_int_equal(ec_hist_bucket(256), 1);
	assert_int_equal(ec_hist_bucket(511), 1);
	assert_int_equal(ec_hist_bucket(512), 2);
	assert_int_equal(ec_hist_bucket(0xffffffffull), 24);
	assert_int_equal(ec_hist_bucket(1ull << 32), 25);
	assert_int_equal(ec_hist_bucket((1ull << 33) - 1), 25);
	assert_int_equal(ec_hist_bucket(1ull << 33), 26);
	assert_int_equal(ec_hist_bucket(~0ull), 26);
	assert_int_equal(ec_hist_lower(0, EC_HIST_FIRST_SHIFT), 0);
	for (b = 1; b < EC_HIST_BUCKETS; b++) {
		uint64_t lo = ec_hist_lower(b, EC_HIST_FIRST_SHIFT);

		assert_int_equal(lo, 1ull << (7 + b));
		assert_int_equal(ec_hist_bucket(lo), b);
		assert_int_equal(ec_hist_bucket(lo - 1), b - 1);
	}
}

static void check_all_reasons(const struct isa_case *c)
{
	size_t i;

	for (i = 0; i < NR_INPUTS; i++) {
		check_reason(c, input(i));
		if (input(i) <= 0xffff)
			check_hist(c, input(i));
	}
}

static void test_vmx_all_reasons(void **state)
{
	(void)state;
	check_all_reasons(&vmx_case);
}

static void test_svm_all_reasons(void **state)
{
	(void)state;
	check_all_reasons(&svm_case);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_total),
		cmocka_unit_test(test_reason_literal),
		cmocka_unit_test(test_info_signature),
		cmocka_unit_test(test_info_host),
		cmocka_unit_test(test_info_total_hi),
		cmocka_unit_test(test_info_unknown_subleaf),
		cmocka_unit_test(test_bitmaps),
		cmocka_unit_test(test_foreign_leaves),
		cmocka_unit_test(test_undefined),
		cmocka_unit_test(test_unhandled),
		cmocka_unit_test(test_hist_literal),
		cmocka_unit_test(test_hist_shift),
		cmocka_unit_test(test_hist_refused),
		cmocka_unit_test(test_hist_bucket),
		cmocka_unit_test(test_vmx_all_reasons),
		cmocka_unit_test(test_svm_all_reasons),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
