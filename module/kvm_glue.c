// SPDX-License-Identifier: GPL-2.0
/*
 * Finding our way into a stock KVM: kvm_x86_ops, the ISA and the exit
 * handler tables are not exported, but kallsyms knows them.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/kallsyms.h>
#include <linux/kprobes.h>
#include <asm/hypervisor.h>
#include "compat.h"
#include "kvm_glue.h"
#include "params.h"

struct ec_kvm ec_kvm;

static unsigned long (*lookup_name)(const char *name);

/* kallsyms_lookup_name is not exported since 5.7; a kprobe finds it. */
static int find_kallsyms(void)
{
	struct kprobe kp = { .symbol_name = "kallsyms_lookup_name" };
	int ret = register_kprobe(&kp);

	if (ret) {
		pr_err("cannot find kallsyms_lookup_name (kprobe: %d)\n", ret);
		return ret;
	}
	lookup_name = ec_callable(kp.addr);
	unregister_kprobe(&kp);
	return 0;
}

unsigned long ec_lookup(const char *name)
{
	unsigned long addr = lookup_name(name);

	if (!addr)
		pr_err("symbol %s not found\n", name);
	return addr;
}

/* Entries in the array at @addr, from kallsyms' "name+0x0/0xSIZE" form. */
static size_t symbol_entries(unsigned long addr)
{
	char buf[KSYM_SYMBOL_LEN];
	unsigned long size;
	char *slash;

	sprint_symbol(buf, addr);
	slash = strchr(buf, '/');
	if (!slash || sscanf(slash + 1, "%lx", &size) != 1)
		return 0;
	return size / sizeof(void *);
}

static bool read_handlers(const char *sym)
{
	const struct ec_isa_table *t = ec_kvm.table;
	unsigned long addr = ec_lookup(sym);
	void *const *handlers = (void *const *)addr;
	size_t n = addr ? symbol_entries(addr) : 0;
	unsigned int slot;

	if (!n)
		return false;
	for (slot = 0; slot < ec_other_slot(t); slot++) {
		u32 nr = ec_slot_nr(t, slot);

		if (t->names[slot] && nr < n && handlers[nr])
			__set_bit(slot, (unsigned long *)ec_kvm.handled);
	}
	return true;
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

void ec_kvm_check_reason(struct kvm_vcpu *vcpu)
{
	enum ec_reason_src src = READ_ONCE(ec_kvm.reason_src);
	struct ec_exit_info x;
	bool ok;

	if (src == EC_REASON_OPS)
		return;
	ec_kvm_exit_info(vcpu, &x);
	if (src == EC_REASON_VMREAD)
		ok = ec_vmread_exit_reason() == x.reason;
	else
		ok = svm_vmcb_agrees(vcpu, &x);
	if (ok)
		return;
	WRITE_ONCE(ec_kvm.reason_src, EC_REASON_OPS);
	pr_warn("exit reason read directly differs from KVM's get_exit_info(): using it\n");
}

int ec_kvm_init(void)
{
	const char *sym;
	int ret;

	BUILD_BUG_ON(sizeof(ec_kvm.handled) * 8 < EC_MAX_SLOTS);
	ret = find_kallsyms();
	if (ret)
		return ret;
	ec_kvm.ops = (struct kvm_x86_ops *)ec_lookup("kvm_x86_ops");
	if (!ec_kvm.ops)
		return -ENOENT;
	ret = detect_isa();
	if (ret)
		return ret;
	ec_kvm.cpuid_slot = ec_slot(ec_kvm.table, ec_kvm.table->cpuid_nr);
	ec_kvm.reason_src = reason_src();
	ec_kvm.reason_mask = ec_kvm.table->isa == EC_ISA_VMX ? 0xffff : ~0u;
	/* Both tables map their first range, from 0, one to one. */
	if (!ec_kvm.table->ranges[0].first && !ec_kvm.table->ranges[0].slot)
		ec_kvm.identity_end = ec_kvm.table->ranges[0].last + 1;
	sym = ec_kvm.table->isa == EC_ISA_VMX ? "kvm_vmx_exit_handlers" :
						"svm_exit_handlers";
	ec_kvm.handled_from_kvm = read_handlers(sym);
	if (!ec_kvm.handled_from_kvm) {
		pr_warn("cannot read %s: treating every defined exit reason as handled\n",
			sym);
		assume_all_handled();
	}
	return 0;
}
