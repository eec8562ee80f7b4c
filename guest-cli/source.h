/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Where register values come from: the CPUID instruction (through
 * libcpuid) or a replay file in the line format of `cpuid -r`. Every read
 * is logged, so --raw can print exactly the CPUIDs a command executed.
 */
#ifndef EXITCOUNT_CLI_SOURCE_H
#define EXITCOUNT_CLI_SOURCE_H

#include <inttypes.h>
#include <stdio.h>

#include <exitcount/protocol.h>

/* One CPUID: one line of `cpuid -r`. */
struct ec_cpuid {
	uint32_t leaf;
	uint32_t subleaf;
	uint32_t regs[EC_NR_REGS];
};

/* Debian's `cpuid -r` line, as printed by --raw and read by --replay. */
#define EC_RAW_PRINT_FMT "   0x%08" PRIx32 " 0x%02" PRIx32 ": eax=0x%08" \
	PRIx32 " ebx=0x%08" PRIx32 " ecx=0x%08" PRIx32 " edx=0x%08" PRIx32 "\n"
#define EC_RAW_SCAN_FMT " 0x%" SCNx32 " 0x%" SCNx32 ": eax=0x%" SCNx32 \
	" ebx=0x%" SCNx32 " ecx=0x%" SCNx32 " edx=0x%" SCNx32 "%n"

/* What answers CPUID when the exitcount signature is absent. */
enum ec_hv_kind {
	EC_HV_NONE,	/* bare metal: no hypervisor */
	EC_HV_KVM,	/* KVM without the exitcount module */
	EC_HV_OTHER,	/* another hypervisor, named in ec_hv.name */
	EC_HV_UNKNOWN,	/* cannot tell: a replay file without leaf 0x40000000 */
};

struct ec_hv {
	enum ec_hv_kind kind;
	char name[32];
};

struct ec_src;

/* The CPUID instruction; NULL where the CPU has none. */
struct ec_src *ec_src_cpuid(void);

/*
 * Register values read from @in. A leaf/subleaf the file lacks reads as
 * zero; one it holds several times reads as each line in turn, then keeps
 * the last. NULL on a malformed line, described in @err.
 */
struct ec_src *ec_src_replay(FILE *in, const char *name, char *err,
			     size_t errlen);

void ec_src_free(struct ec_src *src);

bool ec_src_is_replay(const struct ec_src *src);

void ec_src_read(struct ec_src *src, uint32_t leaf, uint32_t subleaf,
		 uint32_t regs[EC_NR_REGS]);

/* Who answers CPUID, for the message when exitcount is absent. */
void ec_src_hypervisor(struct ec_src *src, struct ec_hv *hv);

/* The CPUIDs read since the last ec_src_log_clear(), oldest first. */
const struct ec_cpuid *ec_src_log(const struct ec_src *src, size_t *n);

void ec_src_log_clear(struct ec_src *src);

#endif /* EXITCOUNT_CLI_SOURCE_H */
