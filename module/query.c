// SPDX-License-Identifier: GPL-2.0
/*
 * The glue between a guest's CPUID and the protocol encoder: which
 * counters the querying guest may see (its own VM's, or the host's with
 * scope=host), the host facts it is told, and when its registers may
 * take the answer.
 *
 * KVM reports the CPUIDs it completes for a guest at kvm:kvm_cpuid, with
 * interrupts on and its answer in hand, just before writing that answer
 * to RAX..RDX. exitcount answers there, so the sums a query needs are
 * never added up with interrupts off, and writes the result at the next
 * entry, after KVM's own write, and only if that entry resumes right
 * after the same CPUID: nothing but KVM's completion of it has touched
 * the registers since, and the vCPU is in the same mode. So neither a
 * nested guest's CPUID (always L1's to answer), nor a VMM's KVM_SET_REGS
 * after a single step, nor INIT or an SMI in between ever gets our answer
 * on top of its own registers.
 */
#include <asm/insn.h>
#include <asm/tsc.h>
#include "compat.h"
#include "kvm_glue.h"
#include "params.h"
#include "query.h"

static const int gpr[EC_NR_REGS] = {
	[EC_EAX] = VCPU_REGS_RAX, [EC_EBX] = VCPU_REGS_RBX,
	[EC_ECX] = VCPU_REGS_RCX, [EC_EDX] = VCPU_REGS_RDX,
};

#define EC_HF_MODE	(HF_GUEST_MASK | EC_HF_SMM)

static void read_for_guest(const struct ec_source *src, int slot,
			   struct ec_stats *out)
{
	ec_read(src->ctx, slot, out);
}

static void read_hist_for_guest(const struct ec_source *src,
				unsigned int slot, struct ec_hist *out)
{
	ec_read_hist(src->ctx, slot, out);
}

/* Our answer to (@leaf, @subleaf) for a vCPU of @vm; false: not ours. */
static bool answer(const struct ec_vm *vm, u32 leaf, u32 subleaf,
		   u32 regs[EC_NR_REGS])
{
	struct ec_source src = {
		.table = ec_kvm.table,
		.handled = ec_kvm.handled,
		.scope = ec_scope_host ? EC_SCOPE_HOST : EC_SCOPE_VM,
		.tsc_khz = tsc_khz,
		.read = read_for_guest,
		.read_hist = read_hist_for_guest,
		.ctx = ec_scope_host ? NULL : vm,
	};

	return ec_proto_answer(&src, leaf, subleaf, regs);
}

void ec_query_prepare(struct ec_vcpu *v, u32 leaf, u32 subleaf,
		      const u32 kvm[EC_NR_REGS])
{
	struct kvm_vcpu *vcpu = v->vcpu;
	struct ec_answer *a = &v->answer;
	u32 mode = vcpu->arch.hflags & EC_HF_MODE;

	/* L2's CPUID is L1's to answer; SEV-ES guests keep KVM's. */
	if (mode & HF_GUEST_MASK || ec_guest_state_protected(vcpu))
		return;
	if (!answer(v->vm, leaf, subleaf, a->regs))
		return;
	if (a->emulated) {
		a->ready = true;
		return;
	}
	memcpy(a->kvm, kvm, sizeof(a->kvm));
	a->hflags = mode;
	a->rip = ec_kvm_rip(v->vcpu);
	a->dirty = ec_regs_dirty(vcpu);
	a->pending = true;
}

/*
 * Since the CPUID, KVM advanced RIP past it (by one instruction: 15
 * bytes at most) and wrote its answer to RAX..RDX (still there; its
 * CPUID marks no GPR dirty), and nothing else: INIT and KVM_SET_REGS
 * mark RSP and the rest dirty, a SIPI or a debugger moves RIP elsewhere,
 * SMM entry or a nested VM-entry changes the mode. regs_dirty is
 * compared with its value at the CPUID, not with none: 5.10's and 5.15's
 * SVM never clear it, so there all bits stay set and only the other
 * tests can tell.
 */
static bool resumes_after_cpuid(const struct kvm_vcpu *vcpu,
				const struct ec_answer *a)
{
	unsigned long rip = ec_vcpu_rip(vcpu);
	unsigned int i;

	if (ec_regs_dirty(vcpu) != (a->dirty | BIT(EC_VCPU_REG_RIP)) ||
	    (vcpu->arch.hflags & EC_HF_MODE) != a->hflags ||
	    rip <= a->rip || rip - a->rip > MAX_INSN_SIZE)
		return false;
	for (i = 0; i < EC_NR_REGS; i++)
		if (vcpu->arch.regs[gpr[i]] != a->kvm[i])
			return false;
	return true;
}

void ec_query_deliver(struct ec_vcpu *v)
{
	struct kvm_vcpu *vcpu = v->vcpu;
	unsigned int i;

	v->answer.pending = false;
	if (!resumes_after_cpuid(vcpu, &v->answer))
		return;
	/* As CPUID does: 32-bit results, upper halves cleared. */
	for (i = 0; i < EC_NR_REGS; i++)
		vcpu->arch.regs[gpr[i]] = v->answer.regs[i];
}
