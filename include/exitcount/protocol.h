/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The exitcount CPUID protocol: the leaves a guest executes to read the
 * exit counts the host module keeps. This header is the one definition
 * used by the module, the guest CLI and the tests.
 *
 *  leaf (EAX)    EAX               EBX              ECX             EDX
 *  0x4FFFFFFF    total exits lo    total cycles hi  total cycles lo 0
 *  0x4FFFFFFE    exits[ECX] lo     0                0               0
 *  0x4FFFFFFD    exits[ECX] hi     cycles[ECX] hi   cycles[ECX] lo  status
 *  0x4FFFFFFC/0  ABI version       "exit"           "coun"          "tKVM"
 *  0x4FFFFFFC/1  ISA (1 VMX 2 SVM) scope (0 host 1 VM) TSC kHz      max reason
 *  0x4FFFFFFC/2  total exits hi    hist buckets     hist first shift 0
 *  0x4FFFFFFC/0x100+k  reasons 128k..128k+127 KVM handles, one bit each:
 *                EAX bit i = reason 128k+i, EBX 128k+32+i, ECX +64, EDX +96
 *  0x4FFFFFFC/0x200+k  the same for reasons with at least one exit
 *                (k from 0 to max reason / 128; both are additions within
 *                ABI 1 that let a reader tell "handled, no exits yet" from
 *                "not handled" and skip reasons without exits)
 *  0x4FFFFFFC/0x01000000 + (reason << 8) + g   latency histogram of
 *                `reason`, buckets 3g, 3g+1, 3g+2 in EAX, EBX, ECX, each
 *                shifted right by EDX (see below); g from 0 to
 *                EC_HIST_GROUPS - 1
 *
 * Latency histograms (an addition within ABI 1, found through subleaf 2:
 * EBX the number of buckets, ECX the log2 of bucket 1's lower edge; a
 * module without them answers 0, 0 there, as ABI 1 always did). For each
 * reason, the exits whose time is known (from the exit to the next entry
 * of the vCPU, in host TSC cycles) by log2 bucket: bucket 0 holds times
 * below 2^8 cycles, bucket i (1 to 25) times in [2^(7+i), 2^(8+i)), and
 * bucket 26, the overflow, 2^33 cycles (over 1 s up to 8 GHz) and more.
 * The buckets of a reason add up to its count less its exits in progress
 * (at most one per vCPU: the querying CPUID itself, say). A 64-bit bucket
 * in a 32-bit register: the three buckets of a subleaf are shifted right
 * by the same EDX = s, the smallest that fits all three (0, exact, while
 * each is below 2^32; the value is then EAX << s, give or take 2^s).
 * An undefined reason answers 0, 0, 0, 0xFFFFFFFF, a defined one KVM
 * does not handle 0, 0, 0, 0, as 0x4FFFFFFE does; g past the last group
 * is not part of the protocol.
 *
 * For an undefined reason, 0x4FFFFFFE and 0x4FFFFFFD return EAX=EBX=ECX=0
 * and EDX=0xFFFFFFFF; for a defined reason the running KVM does not handle,
 * all four registers are 0.
 */
#ifndef EXITCOUNT_PROTOCOL_H
#define EXITCOUNT_PROTOCOL_H

#include "reasons.h"
#include "types.h"
#ifdef __KERNEL__
#include <linux/bitops.h>	/* __fls(), for ec_top_bit() */
#endif

#define EC_LEAF_TOTAL		0x4FFFFFFFu
#define EC_LEAF_COUNT		0x4FFFFFFEu
#define EC_LEAF_DETAIL		0x4FFFFFFDu
#define EC_LEAF_INFO		0x4FFFFFFCu

#define EC_INFO_SIGNATURE	0u
#define EC_INFO_HOST		1u
#define EC_INFO_TOTAL_HI	2u
#define EC_INFO_HANDLED		0x100u
#define EC_INFO_ACTIVE		0x200u
#define EC_BITMAP_REASONS	128u	/* reasons per bitmap subleaf */
#define EC_INFO_HIST		0x01000000u	/* + reason << 8 + group */
#define EC_HIST_REASON_SHIFT	8u
#define EC_HIST_GROUP_MASK	0xFFu
#define EC_HIST_FIELDS		0x00FFFFFFu	/* reason and group */

#define EC_HIST_BUCKETS		27u	/* bucket 26: the overflow */
#define EC_HIST_FIRST_SHIFT	8u	/* bucket 1 starts at 2^8 cycles */
#define EC_HIST_PER_GROUP	3u	/* buckets per subleaf */
#define EC_HIST_GROUPS		(EC_HIST_BUCKETS / EC_HIST_PER_GROUP)

#define EC_ABI_VERSION		1u
/* "exitcountKVM" as little-endian ASCII in EBX, ECX, EDX */
#define EC_SIGNATURE_EBX	0x74697865u
#define EC_SIGNATURE_ECX	0x6e756f63u
#define EC_SIGNATURE_EDX	0x4d564b74u

#define EC_STATUS_OK		0u
#define EC_STATUS_UNDEFINED	0xFFFFFFFFu

#define EC_SCOPE_HOST		0u
#define EC_SCOPE_VM		1u

enum ec_reg { EC_EAX, EC_EBX, EC_ECX, EC_EDX, EC_NR_REGS };

struct ec_stats {
	uint64_t count;
	uint64_t cycles;
};

/* One reason's exit times, by log2 bucket (ec_hist_bucket()). */
struct ec_hist {
	uint64_t bucket[EC_HIST_BUCKETS];
};

/* Pseudo slot for ec_source.read(): the sum over all slots. */
#define EC_SLOT_TOTAL		(-1)

/* What the encoder needs to know about the querying guest's counters. */
struct ec_source {
	const struct ec_isa_table *table;
	const uint64_t *handled;	/* bitmap by slot: KVM has a handler */
	uint32_t scope;
	uint32_t tsc_khz;
	void (*read)(const struct ec_source *src, int slot,
		     struct ec_stats *out);
	/* @slot's histogram (never EC_SLOT_TOTAL) */
	void (*read_hist)(const struct ec_source *src, unsigned int slot,
			  struct ec_hist *out);
	const void *ctx;
};

/*
 * Answer CPUID (@leaf, @subleaf) into @regs. Returns false, leaving @regs
 * alone, for any leaf or subleaf that is not part of the protocol.
 */
bool ec_proto_answer(const struct ec_source *src, uint32_t leaf,
		     uint32_t subleaf, uint32_t regs[EC_NR_REGS]);

/* One answer, as CPUID returns it: EAX, EBX, ECX, EDX. */
static inline void ec_set_regs(uint32_t regs[EC_NR_REGS], uint32_t a,
			       uint32_t b, uint32_t c, uint32_t d)
{
	regs[EC_EAX] = a;
	regs[EC_EBX] = b;
	regs[EC_ECX] = c;
	regs[EC_EDX] = d;
}

static inline bool ec_proto_is_leaf(uint32_t leaf)
{
	return leaf >= EC_LEAF_INFO && leaf <= EC_LEAF_TOTAL;
}

static inline uint64_t ec_u64(uint32_t hi, uint32_t lo)
{
	return (uint64_t)hi << 32 | lo;
}

/* Bit length of @v (the kernel's fls64()): 0 for 0. */
static inline unsigned int ec_bit_length(uint64_t v)
{
	return v ? 64 - (unsigned int)__builtin_clzll(v) : 0;
}

/*
 * Index of the top set bit of @v, not 0: one bsr. GCC makes two more
 * instructions of 63 ^ __builtin_clzll(); the kernel's __fls() is the
 * bsr alone.
 */
#ifdef __KERNEL__
#define ec_top_bit(v)	__fls(v)
#else
#define ec_top_bit(v)	(63 ^ (unsigned int)__builtin_clzll(v))
#endif

/*
 * Bucket of an exit that took @cycles: the bit length of @cycles less
 * EC_HIST_FIRST_SHIFT, clamped to the buckets; no loop, no division (the
 * module runs it at every entry). The low bits set first make every time
 * below bucket 1 count as its edge, bucket 0, and the bit length never 0:
 * no test for zero, no branch: an or, a bsr, a subtraction and a clamp.
 */
static inline unsigned int ec_hist_bucket(uint64_t cycles)
{
	uint64_t low = ((uint64_t)1 << EC_HIST_FIRST_SHIFT) - 1;
	unsigned int b = ec_top_bit(cycles | low) + 1 - EC_HIST_FIRST_SHIFT;

	return b < EC_HIST_BUCKETS ? b : EC_HIST_BUCKETS - 1;
}

/* Lowest time, in cycles, of bucket @b (@first_shift: EC_HIST_FIRST_SHIFT). */
static inline uint64_t ec_hist_lower(unsigned int b, unsigned int first_shift)
{
	return b ? (uint64_t)1 << (first_shift + b - 1) : 0;
}

static inline bool ec_slot_handled(const uint64_t *bitmap, unsigned int slot)
{
	return bitmap[slot / 64] >> (slot % 64) & 1;
}

#endif /* EXITCOUNT_PROTOCOL_H */
