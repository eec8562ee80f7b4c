// SPDX-License-Identifier: GPL-2.0
/*
 * The glue between a guest's CPUID and the protocol encoder: which
 * counters the querying guest may see (its own VM's, or the host's with
 * scope=host) and the host facts it is told.
 */
#include <asm/tsc.h>
#include "counters.h"
#include "kvm_glue.h"
#include "params.h"
#include "query.h"

static void read_for_guest(const struct ec_source *src, int slot,
			   struct ec_stats *out)
{
	ec_read(src->ctx, slot, out);
}

void ec_query_answer(struct kvm_vcpu *vcpu, u32 leaf, u32 subleaf,
		     u32 *eax, u32 *ebx, u32 *ecx, u32 *edx)
{
	struct ec_source src = {
		.table = ec_kvm.table,
		.handled = ec_kvm.handled,
		.scope = ec_scope_host ? EC_SCOPE_HOST : EC_SCOPE_VM,
		.tsc_khz = tsc_khz,
		.read = read_for_guest,
	};
	u32 regs[EC_NR_REGS];

	rcu_read_lock();
	if (!ec_scope_host) {
		src.ctx = ec_vm_of_vcpu(vcpu);
		/* Unreachable in practice: the CPUID exit created it. */
		if (!src.ctx)
			goto out;
	}
	if (ec_proto_answer(&src, leaf, subleaf, regs)) {
		*eax = regs[EC_EAX];
		*ebx = regs[EC_EBX];
		*ecx = regs[EC_ECX];
		*edx = regs[EC_EDX];
	}
out:
	rcu_read_unlock();
}
