/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Every kernel-version difference exitcount depends on, in one place.
 * Core files use only the names defined here.
 */
#ifndef EXITCOUNT_COMPAT_H
#define EXITCOUNT_COMPAT_H

#include <linux/kvm_host.h>
#include <linux/version.h>

/*
 * Supported: 6.1 up to 6.17. dkms.conf's BUILD_EXCLUSIVE_KERNEL says the
 * same; tests/compile-matrix.sh checks both against real kernel trees.
 * - Older kernels would compile after a few renames, but not work: in
 *   5.15 kvm:kvm_exit passes the exit reason before the vCPU,
 *   get_exit_info() does not return the reason, kvm_x86_ops has no name.
 * - 6.18 exports kvm_get_running_vcpu(), which the emulated-CPUID hook
 *   needs, to kvm-amd and kvm-intel only (EXPORT_SYMBOL_FOR_KVM_INTERNAL):
 *   modpost rejects the module.
 */
#define EC_KERNEL_MIN	KERNEL_VERSION(6, 1, 0)
#define EC_KERNEL_END	KERNEL_VERSION(6, 18, 0)
#if LINUX_VERSION_CODE < EC_KERNEL_MIN || LINUX_VERSION_CODE >= EC_KERNEL_END
#error "exitcount supports Linux 6.1 to 6.17 only (README: Compatibility)"
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

/* kvm:kvm_cpuid, the same from 6.1 to 6.17. */
#define EC_KVM_CPUID_PROTO	void *data, unsigned int function, \
				unsigned int index, unsigned long rax, \
				unsigned long rbx, unsigned long rcx, \
				unsigned long rdx, bool found, \
				bool used_max_basic

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
 * With X86_KERNEL_IBT an indirect call must land on ENDBR64; objtool seals
 * (overwrites) it in functions whose address is never taken. 6.15 ("x86/ibt:
 * Clean up is_endbr()") made is_endbr() take an address, out of line and
 * not exported; __is_endbr() is the old inline test of an instruction.
 */
#ifdef CONFIG_X86_KERNEL_IBT
#include <asm/ibt.h>
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 15, 0)
#define ec_is_endbr(insn)	__is_endbr(insn)
#else
#define ec_is_endbr(insn)	is_endbr(insn)
#endif
static inline bool ec_ibt_callable(const void *fn)
{
	return ec_is_endbr(*(const u32 *)fn);
}
#else
static inline bool ec_ibt_callable(const void *fn)
{
	return true;
}
#endif

/* 6.2 ("KVM: x86: Make SMM support optional") ties HF_SMM_MASK to it. */
#ifdef HF_SMM_MASK
#define EC_HF_SMM	HF_SMM_MASK
#else
#define EC_HF_SMM	0
#endif

#endif /* EXITCOUNT_COMPAT_H */
