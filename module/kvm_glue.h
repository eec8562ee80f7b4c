/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What exitcount learns from the loaded KVM at load time: which ISA runs,
 * where KVM's ops table is, and which exit reasons KVM has a handler for.
 */
#ifndef EXITCOUNT_KVM_GLUE_H
#define EXITCOUNT_KVM_GLUE_H

#include <linux/kvm_host.h>
#include <exitcount/reasons.h>

struct ec_kvm {
	const struct ec_isa_table *table;
	unsigned int cpuid_slot;
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
static inline unsigned int ec_kvm_exit_slot(struct kvm_vcpu *vcpu)
{
	u32 reason, intr_info, error_code;
	u64 info1, info2;

	ec_kvm.ops->get_exit_info(vcpu, &reason, &info1, &info2, &intr_info,
				  &error_code);
	/* A failed VM entry (bit 31) counts under its basic reason. */
	if (ec_kvm.table->isa == EC_ISA_VMX)
		reason &= 0xffff;
	/* The first range maps reason to slot one to one in both tables. */
	if (likely(reason <= ec_kvm.table->ranges[0].last))
		return reason;
	return ec_slot(ec_kvm.table, reason);
}

#endif /* EXITCOUNT_KVM_GLUE_H */
