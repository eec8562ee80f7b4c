// SPDX-License-Identifier: GPL-2.0
/*
 * Finding our way into a stock KVM: kvm_x86_ops, the ISA, the exit
 * handler tables and the kvm_cpuid tracepoint are not exported, but
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

static int detect_isa(void)
{
	const char *name = ec_kvm.ops->name;

	if (!ec_kvm.ops->EC_KVM_VENDOR_HOOK || !name) {
		pr_err("no KVM vendor module loaded: modprobe kvm_intel or kvm_amd first\n");
		return -ENODEV;
	}
	if (!strcmp(name, "kvm_intel")) {
		ec_kvm.table = &ec_vmx_table;
		return 0;
	}
	if (!strcmp(name, "kvm_amd")) {
		ec_kvm.table = &ec_svm_table;
		return 0;
	}
	pr_err("unsupported KVM vendor module %s\n", name);
	return -ENODEV;
}

/*
 * Under Hyper-V, kvm_intel may keep the VMCS in memory ("enlightened
 * VMCS"), where VMREAD does not see it.
 */
static enum ec_reason_src reason_src(void)
{
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
	       vmcb->control.exit_code == x->reason &&
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

	if (src == EC_REASON_OPS)
		return src;
	if (src == EC_REASON_VMREAD && vcpu->arch.guest_state_protected)
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

/* Called through a pointer: on an IBT kernel it must start with ENDBR64. */
static int check_callable(void)
{
	if (ec_ibt_callable(ec_kvm.ops->get_exit_info))
		return 0;
	pr_err("kvm_x86_ops.get_exit_info (%ps) does not start with ENDBR64: calling it would fault on a CPU enforcing IBT\n",
	       ec_kvm.ops->get_exit_info);
	return -ENOEXEC;
}

static void read_vendor(void)
{
	const char *sym = ec_kvm.table->isa == EC_ISA_VMX ?
			  "kvm_vmx_exit_handlers" : "svm_exit_handlers";
	struct module *vendor = ec_module_get(ec_kvm.ops->name);

	ec_kvm.handled_from_kvm = vendor && read_handlers(vendor, sym);
	if (vendor)
		module_put(vendor);
	if (ec_kvm.handled_from_kvm)
		return;
	pr_warn("cannot read %s: treating every defined exit reason as handled\n",
		sym);
	assume_all_handled();
}

/* What kvm.ko does not export: its ops table and the CPUID tracepoint. */
static int read_kvm(void)
{
	struct module *kvm = ec_module_get("kvm");
	struct ec_symbol ops, tp;
	int ret;

	if (!kvm) {
		pr_err("module kvm not found\n");
		return -ENOENT;
	}
	ret = ec_module_symbol(kvm, "kvm_x86_ops", &ops);
	if (!ret)
		ret = ec_module_symbol(kvm, "__tracepoint_kvm_cpuid", &tp);
	module_put(kvm);
	if (ret)
		return ret;
	ec_kvm.ops = (struct kvm_x86_ops *)ops.addr;
	ec_kvm.tp_cpuid = (struct tracepoint *)tp.addr;
	return 0;
}

int ec_kvm_init(void)
{
	int ret;

	BUILD_BUG_ON(sizeof(ec_kvm.handled) * 8 < EC_MAX_SLOTS);
	ret = read_kvm();
	if (ret)
		return ret;
	ret = detect_isa();
	if (ret)
		return ret;
	ret = check_callable();
	if (ret)
		return ret;
	ec_kvm.cpuid_slot = ec_slot(ec_kvm.table, ec_kvm.table->cpuid_nr);
	ec_kvm.reason_src = reason_src();
	ec_kvm.reason_mask = ec_kvm.table->isa == EC_ISA_VMX ? 0xffff : ~0u;
	/* Both tables map their first range, from 0, one to one. */
	if (!ec_kvm.table->ranges[0].first && !ec_kvm.table->ranges[0].slot)
		ec_kvm.identity_end = ec_kvm.table->ranges[0].last + 1;
	read_vendor();
	return 0;
}
