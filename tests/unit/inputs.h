/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The reasons every table-wide unit test tries: each one up to SCAN_LAST,
 * then 32-bit values beyond. VMX keeps flags in bits 16-31 of the exit
 * reason (bit 31: VM-entry failure), so flagged copies of defined reasons
 * must not alias them; 0xFFFFFFFF is also -1, EC_SLOT_TOTAL, as an int.
 */
#ifndef EXITCOUNT_TESTS_UNIT_INPUTS_H
#define EXITCOUNT_TESTS_UNIT_INPUTS_H

#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Bigger than any table: the size of the tests' per-slot arrays. */
#define MAX_SLOTS 256u

/* Every reason up to SCAN_LAST is tried one by one: well past both tables. */
#define SCAN_LAST 0x1000u

static const uint32_t high_reasons[] = {
	0x00001001, 0x0000ffff, 0x00010000, 0x0001000c, 0x7ffffffe,
	0x7fffffff, 0x80000000, 0x80000001, 0x8000000c, 0x80000021,
	0x80000400, 0xfffffffe, 0xffffffff,
};

#define NR_INPUTS (SCAN_LAST + 1 + ARRAY_SIZE(high_reasons))

/* The i-th reason to try. */
static inline uint32_t input(size_t i)
{
	return i <= SCAN_LAST ? (uint32_t)i : high_reasons[i - SCAN_LAST - 1];
}

#endif /* EXITCOUNT_TESTS_UNIT_INPUTS_H */
