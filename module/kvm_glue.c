// SPDX-License-Identifier: GPL-2.0
/*
 * Finding our way into a stock KVM: kvm_x86_ops, the ISA, the exit
 * handler tables, the running vCPU and the kvm_cpuid tracepoint are not
 * exported (kvm_entry not in 5.10), but
 * KVM's modules' symbol tables hold them (symbols.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <asm/hypervisor.h>
#include "compat.h"
#include "kvm_glue.h"
#include "params.h"
#include "symbols.h"

struct ec_kvm ec_kvm;

/* The handled set from the vendor module's table of exit handlers. */
static bool read_handlers(struct module *vendor, const char *sym)
{
	const struct ec_isa_table *t = ec_kvm.table;
	struct ec_symbol handlers;
	unsigned int slot;
	size_t n;

	if (ec_module_symbol(vendor, sym, &handlers))
		return false;
	n = handlers.size / sizeof(void *);
	for (slot = 0; slot < ec_other_slot(t); slot++) {
		u32 nr = ec_slot_nr(t, slot);

		if (t->names[slot] && nr < n &&
		    ((void *const *)handlers.addr)[nr])
			__set_bit(slot, (unsigned long *)ec_kvm.handled);
	}
	return n;
}

static void assume_all_handled(void)
{
	const struct ec_isa_table *t = ec_kvm.table;
	unsigned int slot;

	for (slot = 0; slot < ec_other_slot(t); slot++)
		if (t->names[slot])
			__set_bit(slot, (unsigned long *)ec_kvm.handled);
}

/* @name, pinned, if it is the vendor module that filled kvm_x86_ops. */
static struct module *vendor_get(const char *name)
{
	struct module *mod = ec_module_get(name);

	if (mod && !within_module((unsigned long)ec_kvm.ops->get_exit_info,
				  mod)) {
		module_put(mod);	/* loading or failing, not KVM's */
		return NULL;
	}
	return mod;
}

/*
 * The ISA from the vendor module whose code kvm_x86_ops points into
 * (kvm_x86_ops.name came only with 5.16). @vendor is pinned for
 * read_vendor().
 */
static int detect_isa(struct module **vendor)
{
	*vendor = NULL;
	if (!ec_kvm.ops->EC_KVM_VENDOR_HOOK) {
		pr_err("no KVM vendor module loaded: modprobe kvm_intel or kvm_amd first\n");
		return -ENODEV;
	}
	*vendor = vendor_get("kvm_intel");
	if (*vendor) {
		ec_kvm.table = &ec_vmx_table;
		return 0;
	}
	*vendor = vendor_get("kvm_amd");
	if (*vendor) {
		ec_kvm.table = &ec_svm_table;
		return 0;
	}
	pr_err("KVM runs neither kvm_intel nor kvm_amd: unsupported\n");
	return -ENODEV;
}

/*
 * Under Hyper-V, kvm_intel may keep the VMCS in memory ("enlightened
 * VMCS"), where VMREAD does not see it.
 */
static enum ec_reason_src reason_src(void)
{
	if (EC_KVM_EXIT_PASSES_REASON)
		return EC_REASON_ARG;
	if (!ec_direct_reason)
		return EC_REASON_OPS;
	if (ec_kvm.table->isa == EC_ISA_SVM)
		return EC_REASON_VMCB;
	if (hypervisor_is_type(X86_HYPER_MS_HYPERV))
		return EC_REASON_OPS;
	return EC_REASON_VMREAD;
}

static bool svm_vmcb_agrees(struct kvm_vcpu *vcpu,
			    const struct ec_exit_info *x)
{
	const struct vmcb *vmcb = ec_svm_vmcb(vcpu);

	return virt_addr_valid(vmcb) &&
	       ec_svm_exit_code(&vmcb->control) == x->reason &&
	       vmcb->control.exit_info_1 == x->info1 &&
	       vmcb->control.exit_info_2 == x->info2 &&
	       vmcb->control.exit_int_info == x->intr_info;
}

/*
 * Checked against get_exit_info() once per vCPU. A TD vCPU (TDX) has no
 * VMCS exitcount may read: protected guest state on VMX means TDX.
 */
enum ec_reason_src ec_kvm_reason_src(struct kvm_vcpu *vcpu)
{
	enum ec_reason_src src = READ_ONCE(ec_kvm.reason_src);
	struct ec_exit_info x;
	bool ok;

	if (src == EC_REASON_OPS || src == EC_REASON_ARG)
		return src;
	if (src == EC_REASON_VMREAD && ec_guest_state_protected(vcpu))
		return EC_REASON_OPS;
	ec_kvm_exit_info(vcpu, &x);
	if (src == EC_REASON_VMREAD)
		ok = ec_vmread_exit_reason() == x.reason;
	else
		ok = svm_vmcb_agrees(vcpu, &x);
	if (ok)
		return src;
	WRITE_ONCE(ec_kvm.reason_src, EC_REASON_OPS);
	pr_warn("exit reason read directly differs from KVM's get_exit_info(): using it\n");
	return EC_REASON_OPS;
}

/* Called through a pointer: on an IBT kernel each must start with ENDBR64. */
static int check_callable(void)
{
	const void *fn[] = { ec_kvm.ops->get_exit_info, ec_kvm.ops->cache_reg };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(fn); i++) {
		if (ec_ibt_callable(fn[i]))
			continue;
		pr_err("%ps (in kvm_x86_ops) does not start with ENDBR64: calling it would fault on a CPU enforcing IBT\n",
		       fn[i]);
		return -ENOEXEC;
	}
	return 0;
}

static void read_vendor(struct module *vendor)
{
	const char *sym = ec_kvm.table->isa == EC_ISA_VMX ?
			  "kvm_vmx_exit_handlers" : "svm_exit_handlers";

	ec_kvm.handled_from_kvm = read_handlers(vendor, sym);
	if (ec_kvm.handled_from_kvm)
		return;
	pr_warn("cannot read %s: treating every defined exit reason as handled\n",
		sym);
	assume_all_handled();
}

/*
 * kvm_running_vcpu is kvm.ko's per-CPU variable: its symbol's value is
 * its per-CPU address, inside the module's per-CPU area.
 */
static int check_running_vcpu(struct module *kvm, const struct ec_symbol *sym)
{
	bool ok = sym->size == sizeof(struct kvm_vcpu *);

#ifdef CONFIG_SMP
	ok = ok && sym->addr - (unsigned long)kvm->percpu < kvm->percpu_size;
#endif
	if (ok)
		return 0;
	pr_err("kvm_running_vcpu in module kvm is not a per-CPU pointer\n");
	return -ENOEXEC;
}

/*
 * What kvm.ko does not export on every kernel: its ops table (not in
 * 7.x), the running vCPU (compat.h), the kvm_entry tracepoint (not in
 * 5.10) and the CPUID tracepoint.
 */
static int read_kvm(void)
{
	struct module *kvm = ec_module_get("kvm");
	struct ec_symbol ops, running, entry, cpuid;
	int ret;

	if (!kvm) {
		pr_err("module kvm not found\n");
		return -ENOENT;
	}
	ret = ec_module_symbol(kvm, "kvm_x86_ops", &ops);
	if (!ret)
		ret = ec_module_symbol(kvm, "kvm_running_vcpu", &running);
	if (!ret)
		ret = check_running_vcpu(kvm, &running);
	if (!ret)
		ret = ec_module_symbol(kvm, "__tracepoint_kvm_entry", &entry);
	if (!ret)
		ret = ec_module_symbol(kvm, "__tracepoint_kvm_cpuid", &cpuid);
	module_put(kvm);
	if (ret)
		return ret;
	ec_kvm.ops = (struct kvm_x86_ops *)ops.addr;
	ec_kvm.running_vcpu = (struct kvm_vcpu * __percpu *)running.addr;
	ec_kvm.tp_entry = (struct tracepoint *)entry.addr;
	ec_kvm.tp_cpuid = (struct tracepoint *)cpuid.addr;
	return 0;
}

int ec_kvm_init(void)
{
	struct module *vendor;
	int ret;

	BUILD_BUG_ON(sizeof(ec_kvm.handled) * 8 < EC_MAX_SLOTS);
	ret = read_kvm();
	if (ret)
		return ret;
	ret = detect_isa(&vendor);
	if (!ret)
		ret = check_callable();
	if (ret) {
		if (vendor)
			module_put(vendor);
		return ret;
	}
	ec_kvm.cpuid_slot = ec_slot(ec_kvm.table, ec_kvm.table->cpuid_nr);
	ec_kvm.reason_src = reason_src();
	ec_kvm.reason_mask = ec_kvm.table->isa == EC_ISA_VMX ?
			     EC_VMX_REASON_MASK : ~0u;
	/* Both tables map their first range, from 0, one to one. */
	if (!ec_kvm.table->ranges[0].first && !ec_kvm.table->ranges[0].slot)
		ec_kvm.identity_end = ec_kvm.table->ranges[0].last + 1;
	read_vendor(vendor);
	module_put(vendor);
	return 0;
}
