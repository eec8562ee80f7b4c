// SPDX-License-Identifier: GPL-2.0
/*
 * The glue between a guest's CPUID and the protocol encoder: which
 * counters the querying guest may see (its own VM's, or the host's with
 * scope=host) and the host facts it is told.
 *
 * An executed CPUID is seen twice for free on the exit path: at kvm:kvm_exit
 * its leaf is in the guest's RAX, and at the next kvm:kvm_entry KVM has
 * put its answer in RAX..RDX; we replace it there. So a CPUID of any other
 * leaf costs exitcount nothing beyond the exit count.
 */
#include <asm/msr-index.h>
#include <asm/tsc.h>
#include "kvm_glue.h"
#include "params.h"
#include "query.h"

bool ec_query_accept(struct kvm_vcpu *vcpu, struct ec_query *q)
{
	/*
	 * With CPUID faulting on, KVM may inject #GP instead of answering;
	 * SEV-ES guests keep their registers from KVM. Leave both alone.
	 */
	if (vcpu->arch.guest_state_protected ||
	    vcpu->arch.msr_misc_features_enables &
	    MSR_MISC_FEATURES_ENABLES_CPUID_FAULT)
		return false;
	q->leaf = (u32)vcpu->arch.regs[VCPU_REGS_RAX];
	q->subleaf = (u32)vcpu->arch.regs[VCPU_REGS_RCX];
	return true;
}

static void read_for_guest(const struct ec_source *src, int slot,
			   struct ec_stats *out)
{
	ec_read(src->ctx, slot, out);
}

/* Our answer to @q from a vCPU of @vm in @regs; false: leave KVM's. */
static bool answer(struct ec_vm *vm, const struct ec_query *q,
		   u32 regs[EC_NR_REGS])
{
	struct ec_source src = {
		.table = ec_kvm.table,
		.handled = ec_kvm.handled,
		.scope = ec_scope_host ? EC_SCOPE_HOST : EC_SCOPE_VM,
		.tsc_khz = tsc_khz,
		.read = read_for_guest,
	};

	if (!ec_scope_host) {
		/* Unreachable in practice: the CPUID exit created it. */
		if (!vm)
			return false;
		src.ctx = vm;
	}
	return ec_proto_answer(&src, q->leaf, q->subleaf, regs);
}

void ec_query_answer_guest(struct kvm_vcpu *vcpu, struct ec_vm *vm,
			   const struct ec_query *q)
{
	static const int gpr[EC_NR_REGS] = {
		[EC_EAX] = VCPU_REGS_RAX, [EC_EBX] = VCPU_REGS_RBX,
		[EC_ECX] = VCPU_REGS_RCX, [EC_EDX] = VCPU_REGS_RDX,
	};
	u32 regs[EC_NR_REGS];
	unsigned int i;

	if (!answer(vm, q, regs))
		return;
	/* As CPUID does: 32-bit results, upper halves cleared. */
	for (i = 0; i < EC_NR_REGS; i++)
		vcpu->arch.regs[gpr[i]] = regs[i];
}

void ec_query_answer(struct kvm_vcpu *vcpu, const struct ec_query *q,
		     u32 *regs[EC_NR_REGS])
{
	u32 out[EC_NR_REGS];
	unsigned int i;

	rcu_read_lock();
	if (answer(ec_vm_of_vcpu(vcpu), q, out))
		for (i = 0; i < EC_NR_REGS; i++)
			*regs[i] = out[i];
	rcu_read_unlock();
}
