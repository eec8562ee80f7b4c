/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What exitcount learns from the loaded KVM at load time: which ISA runs,
 * where KVM's ops table is, and which exit reasons KVM has a handler for.
 */
#ifndef EXITCOUNT_KVM_GLUE_H
#define EXITCOUNT_KVM_GLUE_H

#include <linux/kvm_host.h>
#include <exitcount/reasons.h>

/* What get_exit_info reports, written in place: no stack buffer per exit. */
struct ec_exit_info {
	u32 reason;
	u32 intr_info;
	u32 error_code;
	u64 info1;
	u64 info2;
};

struct ec_kvm {
	const struct ec_isa_table *table;
	unsigned int cpuid_slot;
	/* VMX: a failed VM entry (bit 31) counts under its basic reason. */
	u32 reason_mask;
	u32 identity_end;	/* reasons below it are their own slot */
	struct kvm_x86_ops *ops;
	u64 handled[EC_MAX_SLOTS / 64];	/* bitmap by slot */
	bool handled_from_kvm;	/* false: read failed, all defined assumed */
};

extern struct ec_kvm ec_kvm;

/* Exported by kvm.ko; declared only in its private trace.h. */
extern struct tracepoint __tracepoint_kvm_exit;
extern struct tracepoint __tracepoint_kvm_entry;

/* Symbol address through kallsyms, or 0 (logged) when absent. */
unsigned long ec_lookup(const char *name);

int ec_kvm_init(void);

/* Slot of the exit @vcpu just took, as kvm:kvm_exit reports it. */
static inline unsigned int ec_kvm_exit_slot(struct kvm_vcpu *vcpu,
					    struct ec_exit_info *x)
{
	u32 reason;

	ec_kvm.ops->get_exit_info(vcpu, &x->reason, &x->info1, &x->info2,
				  &x->intr_info, &x->error_code);
	reason = x->reason & ec_kvm.reason_mask;
	if (likely(reason < ec_kvm.identity_end))
		return reason;
	return ec_slot(ec_kvm.table, reason);
}

#endif /* EXITCOUNT_KVM_GLUE_H */
