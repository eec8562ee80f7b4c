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
 * Supported: 5.10 up to 7.3. dkms.conf's BUILD_EXCLUSIVE_KERNEL says the
 * same; tests/compile-matrix.sh checks both against real kernel trees.
 * A kernel past the end stops here, not at some later difference: it
 * may have changed a tracepoint or a structure exitcount reads without
 * changing anything the compiler can see.
 */
#define EC_KERNEL_MIN	KERNEL_VERSION(5, 10, 0)
#define EC_KERNEL_END	KERNEL_VERSION(7, 4, 0)
#if LINUX_VERSION_CODE < EC_KERNEL_MIN || LINUX_VERSION_CODE >= EC_KERNEL_END
#error "exitcount supports Linux 5.10 to 7.3 only (docs/compatibility.md)"
#endif

#define ec_fn_type_is(fn, type)	__builtin_types_compatible_p(typeof(fn), type)

/* For typeof() only: kvm_x86_ops' members as the kernel declares them. */
#define EC_KVM_OPS		((struct kvm_x86_ops *)NULL)

/*
 * kvm:kvm_exit passed the exit reason ahead of the vCPU, and
 * get_exit_info() did not report it, up to 5.15; 5.16 ("KVM: x86: Get
 * exit_reason as part of kvm_x86_ops.get_exit_info") changed both
 * together. The tracepoint's prototype is private to KVM, get_exit_info's
 * is not: the static_assert holds the version test to what the kernel
 * declares, so a kernel that disagrees fails to build instead of
 * miscounting (a probe must match TP_PROTO exactly under kCFI anyway).
 * ec_kvm_exit_pass(fn) calls fn with a probe's parameters as they came.
 * EC_KVM_EXIT_REASON is the reason the tracepoint passed, if any (0);
 * there ec_get_exit_info() leaves *reason alone, and exitcount never
 * calls it for the reason (kvm_glue.c: EC_REASON_ARG).
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 16, 0)
#define EC_KVM_EXIT_PASSES_REASON	1
#define EC_KVM_EXIT_PROTO	void *data, unsigned int ec_exit_reason, \
				struct kvm_vcpu *vcpu, u32 isa
#define EC_KVM_EXIT_REASON	ec_exit_reason
#define ec_kvm_exit_pass(fn)	fn(data, ec_exit_reason, vcpu, isa)
static __always_inline void ec_get_exit_info(struct kvm_x86_ops *ops,
					     struct kvm_vcpu *vcpu, u32 *reason,
					     u64 *info1, u64 *info2,
					     u32 *intr_info, u32 *error_code)
{
	ops->get_exit_info(vcpu, info1, info2, intr_info, error_code);
}

static_assert(ec_fn_type_is(EC_KVM_OPS->get_exit_info,
			    void (*)(struct kvm_vcpu *, u64 *, u64 *, u32 *,
				     u32 *)),
	      "get_exit_info() reports the exit reason: see compat.h");
#else
#define EC_KVM_EXIT_PASSES_REASON	0
#define EC_KVM_EXIT_PROTO	void *data, struct kvm_vcpu *vcpu, u32 isa
#define EC_KVM_EXIT_REASON	0
#define ec_kvm_exit_pass(fn)	fn(data, vcpu, isa)
static __always_inline void ec_get_exit_info(struct kvm_x86_ops *ops,
					     struct kvm_vcpu *vcpu, u32 *reason,
					     u64 *info1, u64 *info2,
					     u32 *intr_info, u32 *error_code)
{
	ops->get_exit_info(vcpu, reason, info1, info2, intr_info, error_code);
}

static_assert(ec_fn_type_is(EC_KVM_OPS->get_exit_info,
			    void (*)(struct kvm_vcpu *, u32 *, u64 *, u64 *,
				     u32 *, u32 *)),
	      "get_exit_info() does not report the exit reason: see compat.h");
#endif

/*
 * kvm:kvm_entry took the vCPU alone until "KVM: x86: Fully defer to vendor
 * code to decide how to force immediate exit" (6.9) added
 * force_immediate_exit, and with it a second parameter to vcpu_run() (a
 * bool, later u64 run_flags). Stable kernels took it too, not by version:
 * Debian's 6.1.0-56 (6.1.192) and Ubuntu's 6.8.0-151 have it. Under kCFI a
 * probe must match TP_PROTO exactly, so the probe is chosen from
 * vcpu_run()'s declaration (ec_kvm_entry_probe(), a constant expression),
 * not from the version. vcpu_run() was run() until 5.18 ("KVM: x86: Rename
 * kvm_x86_ops pointers to align w/ preferred vendor names"); 5.10 and
 * 5.15 have the one-argument tracepoint.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 18, 0)
#define EC_KVM_ENTRY_FORCED \
	(!ec_fn_type_is(EC_KVM_OPS->vcpu_run, fastpath_t (*)(struct kvm_vcpu *)))
#else
#define EC_KVM_ENTRY_FORCED	0
#endif
#define EC_KVM_ENTRY_PROTO	void *data, struct kvm_vcpu *vcpu
#define EC_KVM_ENTRY_FORCED_PROTO void *data, struct kvm_vcpu *vcpu, \
				bool force_immediate_exit
/* The probe to register: @plain (EC_KVM_ENTRY_PROTO) or @forced. */
#define ec_kvm_entry_probe(plain, forced) \
	__builtin_choose_expr(EC_KVM_ENTRY_FORCED, (void *)(forced), \
			      (void *)(plain))

/*
 * Where kvm:kvm_entry fires. Up to 5.10, in x86.c's vcpu_enter_guest(),
 * before the vendor's run(), and __tracepoint_kvm_entry is not exported;
 * from 5.11 in vmx_vcpu_run()/svm_vcpu_run(), exported. exitcount reads
 * it from kvm.ko's symbol table on every kernel (kvm_glue.c). In 5.10,
 * VMX re-enters the guest straight from vmx_vcpu_run() after an exit it
 * handles in its fast path (a TSC-deadline or x2APIC ICR write, the
 * preemption timer), with no kvm_entry: such an exit is counted, but the
 * host cycles it took are not (its time is never closed, the next exit
 * starts a new one). A guest's CPUID never takes that path, so a query's
 * answer is still delivered at the kvm_entry before the next run().
 */

/*
 * The vCPU running on this CPU: kvm.ko's per-CPU kvm_running_vcpu (a
 * static DEFINE_PER_CPU in virt/kvm/kvm_main.c since 5.7). 6.18 exports
 * kvm_get_running_vcpu() to kvm-amd and kvm-intel only
 * (EXPORT_SYMBOL_FOR_KVM_INTERNAL), so exitcount reads the variable
 * itself on every kernel (kvm_glue.c), found in kvm.ko's symbol table.
 */

/*
 * vmcb_control_area.exit_code was a u32 (with exit_code_hi) until 7.0,
 * which made it a u64. get_exit_info(), and with it kvm:kvm_exit, still
 * reports a u32 reason: its low half. lower_32_bits() reads both layouts
 * alike (-1, VMEXIT_INVALID, becomes 0xffffffff either way).
 */
#define ec_svm_exit_code(control)	lower_32_bits((control)->exit_code)

/*
 * vcpu->arch.regs_dirty and regs_avail: a u32 up to 7.0 (7.0.0-44 has
 * it), a one-word DECLARE_BITMAP by 7.2. Read by the declared size, not
 * the version.
 */
#define ec_reg_bits(field)						\
({									\
	BUILD_BUG_ON(sizeof(field) != sizeof(u32) &&			\
		     sizeof(field) != sizeof(unsigned long));		\
	sizeof(field) == sizeof(u32) ? (unsigned long)*(const u32 *)&(field) : \
				       *(const unsigned long *)&(field);	\
})
#define ec_regs_dirty(vcpu)	ec_reg_bits((vcpu)->arch.regs_dirty)
#define ec_regs_avail(vcpu)	ec_reg_bits((vcpu)->arch.regs_avail)

/*
 * RIP's bit in regs_dirty and regs_avail: VCPU_REGS_RIP up to 7.0,
 * VCPU_REG_RIP by 7.2 (the VCPU_EXREG_* became VCPU_REG_* too). An enum
 * constant cannot be tested with #ifdef, but both layouts put RIP right
 * after R15.
 */
#define EC_VCPU_REG_RIP		(VCPU_REGS_R15 + 1)

/*
 * Where the cached RIP lives: regs[VCPU_REGS_RIP] until 7.2 gave it a
 * field of its own, vcpu->arch.rip (regs[] now ends at R15). Each branch
 * names what only its layout has, so a wrong guess does not build.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(7, 2, 0)
#define ec_vcpu_rip(vcpu)	((vcpu)->arch.rip)
#else
#define ec_vcpu_rip(vcpu)	((vcpu)->arch.regs[VCPU_REGS_RIP])
#endif

/* vcpu->arch.guest_state_protected (SEV-ES, later TDX) came with 5.11. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 11, 0)
#define ec_guest_state_protected(vcpu)	((vcpu)->arch.guest_state_protected)
#else
#define ec_guest_state_protected(vcpu)	((void)(vcpu), false)
#endif

/*
 * The pid of the process that made the VM: KVM names the VM's stats
 * "kvm-<pid>" since 5.14 (stats_id); before that, userspace_pid, which
 * KVM sets only once the VM's uevent is sent.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 14, 0)
static inline pid_t ec_vm_creator_pid(const struct kvm *kvm)
{
	int pid;

	return sscanf(kvm->stats_id, "kvm-%d", &pid) == 1 ? pid : 0;
}
#else
static inline pid_t ec_vm_creator_pid(const struct kvm *kvm)
{
	return READ_ONCE(kvm->userspace_pid);
}
#endif

/*
 * An ftrace_ops callback got the pt_regs until 5.11 ("ftrace: Have the
 * callbacks receive a struct ftrace_regs instead of pt_regs"), which also
 * made recursion protection something to ask for (FTRACE_OPS_FL_RECURSION)
 * rather than to opt out of (FTRACE_OPS_FL_RECURSION_SAFE).
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(5, 11, 0)
#define EC_FTRACE_PROTO		unsigned long ip, unsigned long parent_ip, \
				struct ftrace_ops *op, struct ftrace_regs *fregs
#define ec_ftrace_regs()	ftrace_get_regs(fregs)
#define EC_FTRACE_FL_RECURSION	FTRACE_OPS_FL_RECURSION
#else
#define EC_FTRACE_PROTO		unsigned long ip, unsigned long parent_ip, \
				struct ftrace_ops *op, struct pt_regs *fregs
#define ec_ftrace_regs()	(fregs)
#define EC_FTRACE_FL_RECURSION	0
#endif

/* kvm:kvm_cpuid, the same from 5.10 to 7.3. */
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
