/* SPDX-License-Identifier: GPL-2.0 */
/* Answering a guest's exitcount CPUID leaves. */
#ifndef EXITCOUNT_QUERY_H
#define EXITCOUNT_QUERY_H

#include "counters.h"

/*
 * kvm:kvm_cpuid for one of our leaves: KVM answered (@leaf, @subleaf) of
 * @v with @kvm. Prepare our answer for the next entry, or, inside KVM's
 * instruction emulator, for the probe that hands it over there.
 */
void ec_query_prepare(struct ec_vcpu *v, u32 leaf, u32 subleaf,
		      const u32 kvm[EC_NR_REGS]);

/* Entry with an answer pending: written if it resumes after its CPUID. */
void ec_query_deliver(struct ec_vcpu *v);

#endif /* EXITCOUNT_QUERY_H */
