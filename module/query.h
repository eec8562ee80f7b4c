/* SPDX-License-Identifier: GPL-2.0 */
/* Answering a guest's exitcount CPUID leaves. */
#ifndef EXITCOUNT_QUERY_H
#define EXITCOUNT_QUERY_H

#include <linux/kvm_host.h>
#include "counters.h"

/*
 * At a CPUID exit: is it a query KVM will complete? Then fill @q, to be
 * answered at the vCPU's next entry, once KVM has written its own answer
 * to the guest's registers.
 */
bool ec_query_seen(struct kvm_vcpu *vcpu, struct ec_query *q);

/* Overwrite the guest's RAX..RDX, KVM's answer, with ours to @q. */
void ec_query_answer_guest(struct kvm_vcpu *vcpu, const struct ec_query *q);

/* Same, for CPUID emulated by KVM's instruction emulator. */
void ec_query_answer(struct kvm_vcpu *vcpu, const struct ec_query *q,
		     u32 *regs[EC_NR_REGS]);

#endif /* EXITCOUNT_QUERY_H */
