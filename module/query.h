/* SPDX-License-Identifier: GPL-2.0 */
/* Answering a guest's exitcount CPUID leaves. */
#ifndef EXITCOUNT_QUERY_H
#define EXITCOUNT_QUERY_H

#include <linux/kvm_host.h>

/* Overwrite KVM's answer to (@leaf, @subleaf) if it is one of ours. */
void ec_query_answer(struct kvm_vcpu *vcpu, u32 leaf, u32 subleaf,
		     u32 *eax, u32 *ebx, u32 *ecx, u32 *edx);

#endif /* EXITCOUNT_QUERY_H */
