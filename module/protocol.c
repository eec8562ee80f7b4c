// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The CPUID protocol encoder: turns a leaf, a subleaf and a source of
 * counters into the four registers a guest reads. Pure code, built into
 * the module and, unchanged, into the unit tests.
 */
#include <exitcount/protocol.h>

/* Bit set for reason @nr: defined, and handled (or, @active, exited). */
static bool reason_bit(const struct ec_source *src, uint32_t nr, bool active)
{
	const struct ec_isa_table *t = src->table;
	unsigned int slot = ec_slot(t, nr);
	struct ec_stats s;

	if (slot == ec_other_slot(t) || !t->names[slot] ||
	    !ec_slot_handled(src->handled, slot))
		return false;
	if (!active)
		return true;
	src->read(src, (int)slot, &s);
	return s.count != 0;
}

/* Subleaves 0x100+k and 0x200+k: a bitmap of 128 reasons from 128k. */
static bool answer_bitmap(const struct ec_source *src, uint32_t subleaf,
			  uint32_t regs[EC_NR_REGS])
{
	bool active = subleaf >= EC_INFO_ACTIVE;
	uint32_t k = subleaf - (active ? EC_INFO_ACTIVE : EC_INFO_HANDLED);
	uint32_t first = k * EC_BITMAP_REASONS, i;

	if (k > src->table->max_nr / EC_BITMAP_REASONS)
		return false;
	ec_set_regs(regs, 0, 0, 0, 0);
	for (i = 0; i < EC_BITMAP_REASONS; i++)
		if (reason_bit(src, first + i, active))
			regs[i / 32] |= 1u << (i % 32);
	return true;
}

/*
 * The rules for undefined and unhandled reasons, shared by every leaf
 * that takes a reason: false with @regs answered, or true with the
 * reason's @slot to read.
 */
static bool reason_status(const struct ec_source *src, uint32_t reason,
			  unsigned int *slot, uint32_t regs[EC_NR_REGS])
{
	const struct ec_isa_table *t = src->table;

	*slot = ec_slot(t, reason);
	if (*slot == ec_other_slot(t) || !t->names[*slot]) {
		ec_set_regs(regs, 0, 0, 0, EC_STATUS_UNDEFINED);
		return false;
	}
	if (!ec_slot_handled(src->handled, *slot)) {
		ec_set_regs(regs, 0, 0, 0, 0);
		return false;
	}
	return true;
}

/*
 * Subleaf 0x01000000 + (reason << 8) + g: buckets 3g..3g+2 of the
 * reason, shifted right by the smallest EDX that fits all three.
 */
static bool answer_hist(const struct ec_source *src, uint32_t subleaf,
			uint32_t regs[EC_NR_REGS])
{
	uint32_t reason = (subleaf & EC_HIST_FIELDS) >> EC_HIST_REASON_SHIFT;
	unsigned int first = (subleaf & EC_HIST_GROUP_MASK) * EC_HIST_PER_GROUP;
	unsigned int slot, i, shift = 0;
	struct ec_hist h;
	uint64_t max = 0;

	if (!reason_status(src, reason, &slot, regs))
		return true;
	src->read_hist(src, slot, &h);
	for (i = 0; i < EC_HIST_PER_GROUP; i++)
		max |= h.bucket[first + i];
	if (ec_bit_length(max) > 32)
		shift = ec_bit_length(max) - 32;
	for (i = 0; i < EC_HIST_PER_GROUP; i++)
		regs[i] = (uint32_t)(h.bucket[first + i] >> shift);
	regs[EC_EDX] = shift;
	return true;
}

static bool answer_info(const struct ec_source *src, uint32_t subleaf,
			uint32_t regs[EC_NR_REGS])
{
	struct ec_stats total;

	switch (subleaf) {
	case EC_INFO_SIGNATURE:
		ec_set_regs(regs, EC_ABI_VERSION, EC_SIGNATURE_EBX,
			    EC_SIGNATURE_ECX, EC_SIGNATURE_EDX);
		return true;
	case EC_INFO_HOST:
		ec_set_regs(regs, src->table->isa, src->scope, src->tsc_khz,
			    src->table->max_nr);
		return true;
	case EC_INFO_TOTAL_HI:
		src->read(src, EC_SLOT_TOTAL, &total);
		ec_set_regs(regs, (uint32_t)(total.count >> 32),
			    EC_HIST_BUCKETS, EC_HIST_FIRST_SHIFT, 0);
		return true;
	}
	if (subleaf >= EC_INFO_HANDLED && subleaf < EC_INFO_ACTIVE + 0x100u)
		return answer_bitmap(src, subleaf, regs);
	if ((subleaf & ~EC_HIST_FIELDS) == EC_INFO_HIST &&
	    (subleaf & EC_HIST_GROUP_MASK) < EC_HIST_GROUPS)
		return answer_hist(src, subleaf, regs);
	return false;
}

/* 0x4FFFFFFE and 0x4FFFFFFD. */
static void answer_reason(const struct ec_source *src, uint32_t leaf,
			  uint32_t reason, uint32_t regs[EC_NR_REGS])
{
	unsigned int slot;
	struct ec_stats s;

	if (!reason_status(src, reason, &slot, regs))
		return;
	src->read(src, (int)slot, &s);
	if (leaf == EC_LEAF_COUNT)
		ec_set_regs(regs, (uint32_t)s.count, 0, 0, 0);
	else
		ec_set_regs(regs, (uint32_t)(s.count >> 32),
			    (uint32_t)(s.cycles >> 32), (uint32_t)s.cycles,
			    EC_STATUS_OK);
}

bool ec_proto_answer(const struct ec_source *src, uint32_t leaf,
		     uint32_t subleaf, uint32_t regs[EC_NR_REGS])
{
	struct ec_stats total;

	switch (leaf) {
	case EC_LEAF_TOTAL:
		src->read(src, EC_SLOT_TOTAL, &total);
		ec_set_regs(regs, (uint32_t)total.count,
			    (uint32_t)(total.cycles >> 32), (uint32_t)total.cycles,
			    0);
		return true;
	case EC_LEAF_COUNT:
	case EC_LEAF_DETAIL:
		answer_reason(src, leaf, subleaf, regs);
		return true;
	case EC_LEAF_INFO:
		return answer_info(src, subleaf, regs);
	}
	return false;
}
