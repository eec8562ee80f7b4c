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
 *  0x4FFFFFFC/2  total exits hi    0                0               0
 *  0x4FFFFFFC/0x100+k  reasons 128k..128k+127 KVM handles, one bit each:
 *                EAX bit i = reason 128k+i, EBX 128k+32+i, ECX +64, EDX +96
 *  0x4FFFFFFC/0x200+k  the same for reasons with at least one exit
 *                (k from 0 to max reason / 128; both are additions within
 *                ABI 1 that let a reader tell "handled, no exits yet" from
 *                "not handled" and skip reasons without exits)
 *
 * For an undefined reason, 0x4FFFFFFE and 0x4FFFFFFD return EAX=EBX=ECX=0
 * and EDX=0xFFFFFFFF; for a defined reason the running KVM does not handle,
 * all four registers are 0.
 */
#ifndef EXITCOUNT_PROTOCOL_H
#define EXITCOUNT_PROTOCOL_H

#include "reasons.h"
#include "types.h"

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

static inline bool ec_slot_handled(const uint64_t *bitmap, unsigned int slot)
{
	return bitmap[slot / 64] >> (slot % 64) & 1;
}

#endif /* EXITCOUNT_PROTOCOL_H */
