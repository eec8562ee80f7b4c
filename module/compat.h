/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-version difference exitcount depends on, in one place.
 * Core files use only the names defined here.
 */
#ifndef EXITCOUNT_COMPAT_H
#define EXITCOUNT_COMPAT_H

#include <linux/version.h>

#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 1, 0)
#error "exitcount supports Linux 6.1 and later: kvm_exit's tracepoint changed its arguments in 6.1"
#endif

/*
 * kvm_entry's tracepoint gained force_immediate_exit in 6.9 ("KVM: x86:
 * Fully defer to vendor code to decide how to force immediate exit"),
 * backported to 6.1.y: Debian's 6.1.0-56 (6.1.192) has it. A probe should
 * match the tracepoint's prototype; ours never reads the flag, so the
 * x86-64 calling convention keeps a stable release that predates the
 * backport safe as well.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 9, 0) || \
	(LINUX_VERSION_CODE >= KERNEL_VERSION(6, 1, 192) && \
	 LINUX_VERSION_CODE < KERNEL_VERSION(6, 2, 0))
#define EC_KVM_ENTRY_PROTO	void *data, struct kvm_vcpu *vcpu, \
				bool force_immediate_exit
#else
#define EC_KVM_ENTRY_PROTO	void *data, struct kvm_vcpu *vcpu
#endif

/*
 * kvm_x86_ops tells whether a vendor module is loaded through the hook it
 * clears on unload; 6.12 renamed it ("KVM: x86: Rename hardware_{en,dis}able()
 * to {en,dis}able_virtualization_cpu()").
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#define EC_KVM_VENDOR_HOOK	enable_virtualization_cpu
#else
#define EC_KVM_VENDOR_HOOK	hardware_enable
#endif

/*
 * With X86_KERNEL_IBT an indirect call must land on ENDBR64, but a kprobe
 * reports the address just past it. Step back over it so a function
 * found through a kprobe can be called.
 */
#ifdef CONFIG_X86_KERNEL_IBT
#include <asm/ibt.h>
static inline void *ec_callable(void *addr)
{
	u32 insn = *(u32 *)((unsigned long)addr - ENDBR_INSN_SIZE);

	return is_endbr(insn) ? (void *)((unsigned long)addr -
					 ENDBR_INSN_SIZE) : addr;
}
#else
static inline void *ec_callable(void *addr)
{
	return addr;
}
#endif

#endif /* EXITCOUNT_COMPAT_H */
