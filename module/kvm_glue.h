/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What exitcount learns from the loaded KVM at load time: which ISA runs,
 * where KVM's ops table is, and which exit reasons KVM has a handler for.
 */
#ifndef EXITCOUNT_KVM_GLUE_H
#define EXITCOUNT_KVM_GLUE_H

#include <linux/kvm_host.h>
#include <asm/svm.h>
#include <asm/vmx.h>
#include <exitcount/reasons.h>
#include "compat.h"

/* What get_exit_info reports, written in place: no stack buffer per exit. */
struct ec_exit_info {
	u32 reason;
	u32 intr_info;
	u32 error_code;
	u64 info1;
	u64 info2;
};

/*
 * Where the exit path reads the exit reason. KVM's get_exit_info() is
 * always right, but it costs an indirect call and, on VMX, VMREADs of the
 * exit qualification and interrupt info that KVM itself often never
 * needs. The reason alone is one VMREAD on VMX, one load on SVM.
 */
enum ec_reason_src {
	EC_REASON_OPS,		/* kvm_x86_ops.get_exit_info() */
	EC_REASON_VMREAD,	/* VMX: VMREAD of VM_EXIT_REASON */
	EC_REASON_VMCB,		/* SVM: the current VMCB's exit code */
	EC_REASON_ARG,		/* kvm:kvm_exit passes it (up to 5.15) */
};

/* VMX's basic exit reason, without the flags above it. */
#define EC_VMX_REASON_MASK	0xffffu

struct ec_kvm {
	const struct ec_isa_table *table;
	enum ec_reason_src reason_src;
	unsigned int cpuid_slot;
	/* VMX: a failed VM entry (bit 31) counts under its basic reason. */
	u32 reason_mask;		/* SVM ~0, VMX EC_VMX_REASON_MASK */
	u32 identity_end;	/* reasons below it are their own slot */
	struct kvm_x86_ops *ops;
	struct kvm_vcpu * __percpu *running_vcpu;	/* kvm_running_vcpu */
	struct tracepoint *tp_entry;	/* kvm:kvm_entry */
	struct tracepoint *tp_cpuid;	/* kvm:kvm_cpuid */
	u64 handled[EC_MAX_SLOTS / 64];	/* bitmap by slot */
	bool handled_from_kvm;	/* false: read failed, all defined assumed */
};

extern struct ec_kvm ec_kvm;

/* Exported by kvm.ko; declared only in its private trace.h. */
extern struct tracepoint __tracepoint_kvm_exit;

int ec_kvm_init(void);

/* At a vCPU's first exit: where its exit path reads the exit reason. */
enum ec_reason_src ec_kvm_reason_src(struct kvm_vcpu *vcpu);

/* The vCPU running on this CPU, as kvm_get_running_vcpu() tells. */
static __always_inline struct kvm_vcpu *ec_kvm_running_vcpu(void)
{
	return this_cpu_read(*ec_kvm.running_vcpu);
}

/*
 * struct vcpu_svm, private to kvm_amd, starts with the vCPU and then the
 * pointer to the current VMCB (5.10 to 7.3 alike); ec_kvm_check_reason()
 * confirms it for every vCPU before the exit path relies on it.
 */
static __always_inline struct vmcb *ec_svm_vmcb(struct kvm_vcpu *vcpu)
{
	return *(struct vmcb **)(vcpu + 1);
}

/* KVM has just read it too: the vCPU's VMCS is current on this CPU. */
static __always_inline u32 ec_vmread_exit_reason(void)
{
	unsigned long reason;

	asm volatile("vmread %1, %0"
		     : "=r" (reason)
		     : "r" ((unsigned long)VM_EXIT_REASON)
		     : "cc");
	return reason;
}

static __always_inline void ec_kvm_exit_info(struct kvm_vcpu *vcpu,
					     struct ec_exit_info *x)
{
	ec_get_exit_info(ec_kvm.ops, vcpu, &x->reason, &x->info1, &x->info2,
			 &x->intr_info, &x->error_code);
}

/*
 * The guest's RIP, as kvm_rip_read() gets it: through KVM's register
 * cache (on VMX RIP stays in the VMCS until something asks for it).
 */
static inline unsigned long ec_kvm_rip(struct kvm_vcpu *vcpu)
{
	if (!(ec_regs_avail(vcpu) & BIT(EC_VCPU_REG_RIP)))
		ec_kvm.ops->cache_reg(vcpu, EC_VCPU_REG_RIP);
	return ec_vcpu_rip(vcpu);
}

/*
 * The reason of the exit @vcpu just took, read by @src, not
 * EC_REASON_OPS, and masked (ec_kvm.reason_mask); @arg is the reason the
 * tracepoint passed (EC_KVM_EXIT_REASON), the only source where it
 * passes one. The exit path passes a constant @src: no mask to load.
 */
static __always_inline u32 ec_kvm_direct_reason(struct kvm_vcpu *vcpu,
						enum ec_reason_src src,
						u32 arg)
{
	if (EC_KVM_EXIT_PASSES_REASON)
		return arg & ec_kvm.reason_mask;
	if (src == EC_REASON_VMCB)
		return ec_svm_exit_code(&ec_svm_vmcb(vcpu)->control);
	return ec_vmread_exit_reason() & EC_VMX_REASON_MASK;
}

/* Slot of the exit @vcpu just took, as kvm:kvm_exit reports it. */
static __always_inline unsigned int ec_kvm_exit_slot(struct kvm_vcpu *vcpu,
						     enum ec_reason_src src,
						     struct ec_exit_info *x,
						     u32 arg)
{
	u32 reason;

	if (src == EC_REASON_OPS) {
		ec_kvm_exit_info(vcpu, x);
		reason = x->reason & ec_kvm.reason_mask;
	} else {
		reason = ec_kvm_direct_reason(vcpu, src, arg);
	}
	if (likely(reason < ec_kvm.identity_end))
		return reason;
	return ec_slot(ec_kvm.table, reason);
}

#endif /* EXITCOUNT_KVM_GLUE_H */
