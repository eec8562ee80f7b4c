/* SPDX-License-Identifier: GPL-2.0 */
/* Answering a guest's exitcount CPUID leaves. */
#ifndef EXITCOUNT_QUERY_H
#define EXITCOUNT_QUERY_H

#include <linux/kvm_host.h>
#include "counters.h"
#include "params.h"

/* Slow part of ec_query_seen(), for our own leaves only. */
bool ec_query_accept(struct kvm_vcpu *vcpu, struct ec_query *q);

/*
 * At a CPUID exit: is it a query KVM will complete? Then fill @q, to be
 * answered at the vCPU's next entry, once KVM has written its own answer
 * to the guest's registers. Inline: most CPUIDs are not ours.
 */
static inline bool ec_query_seen(struct kvm_vcpu *vcpu, struct ec_query *q)
{
	return ec_guest_query &&
	       ec_proto_is_leaf((u32)vcpu->arch.regs[VCPU_REGS_RAX]) &&
	       ec_query_accept(vcpu, q);
}

/* Overwrite the guest's RAX..RDX, KVM's answer, with ours to @q (from @vm). */
void ec_query_answer_guest(struct kvm_vcpu *vcpu, struct ec_vm *vm,
			   const struct ec_query *q);

/* Same, for CPUID emulated by KVM's instruction emulator. */
void ec_query_answer(struct kvm_vcpu *vcpu, const struct ec_query *q,
		     u32 *regs[EC_NR_REGS]);

#endif /* EXITCOUNT_QUERY_H */
