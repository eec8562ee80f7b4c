/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * VM exit reason tables, one per ISA: Intel VMX basic exit reasons (SDM
 * Vol. 3, Appendix C) and AMD SVM exit codes (APM Vol. 2, Appendix C).
 *
 * Counters are kept per "slot": a dense index derived from the reason
 * number through the table's ranges, so a counter array is small and no
 * 32-bit reason can index past it. The last slot collects every exit whose
 * reason lies outside the table, so totals stay exact.
 */
#ifndef EXITCOUNT_REASONS_H
#define EXITCOUNT_REASONS_H

#include "types.h"

enum ec_isa {
	EC_ISA_VMX = 1,
	EC_ISA_SVM = 2,
};

struct ec_range {
	uint32_t first;
	uint32_t last;
	unsigned int slot;	/* slot of @first */
};

struct ec_isa_table {
	enum ec_isa isa;
	const char *isa_name;	/* "VMX" or "SVM" */
	const char *prefix;	/* Linux's macro prefix: "EXIT_REASON_" ... */
	uint32_t max_nr;	/* highest reason the manual defines */
	uint32_t cpuid_nr;	/* the exit a CPUID instruction causes */
	unsigned int nr_ranges;
	const struct ec_range *ranges;
	unsigned int nr_slots;	/* including the trailing "other" slot */
	const char *const *names; /* by slot; NULL: not defined */
};

/* Upper bound of nr_slots over all tables, for fixed-size bitmaps. */
#define EC_MAX_SLOTS	192

extern const struct ec_isa_table ec_vmx_table;
extern const struct ec_isa_table ec_svm_table;

/* The table for an ISA, or NULL for an unknown ISA number. */
const struct ec_isa_table *ec_table_for_isa(uint32_t isa);

/* Slot of the exits outside the table. */
static inline unsigned int ec_other_slot(const struct ec_isa_table *t)
{
	return t->nr_slots - 1;
}

/* Slot counting reason @nr: ec_other_slot() when outside every range. */
unsigned int ec_slot(const struct ec_isa_table *t, uint32_t nr);

/* Reason number held by @slot; @slot must not be the "other" slot. */
uint32_t ec_slot_nr(const struct ec_isa_table *t, unsigned int slot);

/* Name without prefix, or NULL when the manual does not define @nr. */
const char *ec_reason_name(const struct ec_isa_table *t, uint32_t nr);

#endif /* EXITCOUNT_REASONS_H */
