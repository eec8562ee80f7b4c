// SPDX-License-Identifier: GPL-2.0
/*
 * Hook registration and the hook bodies, each a thin call into the
 * counting or query code.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/ftrace.h>
#include <linux/kprobes.h>
#include <linux/tracepoint.h>
#include "compat.h"
#include "counters.h"
#include "hooks.h"
#include "kvm_glue.h"
#include "params.h"
#include "query.h"

/*
 * The two probes run on every VM exit: notrace, and their state lives in
 * the vCPU's ec_vcpu, not on the stack (no stack protector code). Each
 * is a fast path for the common case, the vCPU this CPU ran last, with
 * every call in it a tail call, so that it saves no register; anything
 * else (a vCPU to look up or create, a reason from get_exit_info() or
 * beyond the identity range, a histogram to take) goes to the whole
 * path, out of line.
 */
static noinline __noclone notrace void kvm_exit_slow(EC_KVM_EXIT_PROTO)
{
	struct ec_vcpu *v = ec_vcpu_get(vcpu, true);

	if (likely(v))
		ec_count_exit(v, ec_kvm_exit_slot(vcpu, v->reason_src,
						  &v->exit_info,
						  EC_KVM_EXIT_REASON));
}

/*
 * kvm:kvm_exit's fast path, for @src, the ISA's direct reason source (a
 * constant: one probe per ISA, so that the probe tests none). A vCPU
 * whose reason comes from get_exit_info(), or that has no spare, has no
 * direct. False: the exit is the whole path's, kvm_exit_slow(), which
 * takes the probe's parameters as they are (and has no clone that takes
 * fewer), so that the probe jumps there with no register to move.
 */
static __always_inline bool exit_fast(struct kvm_vcpu *vcpu,
				      enum ec_reason_src src, u32 arg)
{
	struct ec_vcpu *v = __this_cpu_read(ec_last);
	u32 reason;

	if (unlikely(v->direct != vcpu))
		return false;
	reason = ec_kvm_direct_reason(vcpu, src, arg);
	if (unlikely(reason >= ec_kvm.identity_end ||
		     !ec_exit_ready(v, reason, true)))
		return false;
	/* Below identity_end, a reason is its own slot. */
	ec_count_ready_exit(v, vcpu, reason);
	return true;
}

static notrace void on_kvm_exit_svm(EC_KVM_EXIT_PROTO)
{
	if (!exit_fast(vcpu, EC_REASON_VMCB, EC_KVM_EXIT_REASON))
		ec_kvm_exit_pass(kvm_exit_slow);
}

static notrace void on_kvm_exit_vmx(EC_KVM_EXIT_PROTO)
{
	if (!exit_fast(vcpu, EC_REASON_VMREAD, EC_KVM_EXIT_REASON))
		ec_kvm_exit_pass(kvm_exit_slow);
}

#define ON_KVM_EXIT	(ec_kvm.table->isa == EC_ISA_SVM ? \
			 (void *)on_kvm_exit_svm : (void *)on_kvm_exit_vmx)

static noinline notrace void kvm_entry_slow(struct kvm_vcpu *vcpu)
{
	struct ec_vcpu *v = ec_vcpu_get(vcpu, false);

	if (unlikely(!v))
		return;
	ec_count_entry(v, rdtsc());
	if (unlikely(v->answer.pending))
		ec_query_deliver(v);
}

/*
 * kvm:kvm_entry's fast path: the vCPU kvm:kvm_exit left in ec_last. The
 * whole path, kvm_entry_slow(), for a vCPU to look up or this CPU's
 * histogram to install.
 */
static __always_inline void kvm_entry(struct kvm_vcpu *vcpu)
{
	struct ec_vcpu *v = __this_cpu_read(ec_last);
	struct ec_hist *host;
	unsigned long off;
	u64 now;

	if (unlikely(v->vcpu != vcpu))
		goto slow;
	if (v->exit_tsc) {
		off = v->exit_off;
		host = ec_host_hist(off);
		if (unlikely(!host))
			goto slow;
		now = rdtsc();
		ec_add_cycles_to(v, off, now - v->exit_tsc, host);
		v->exit_tsc = 0;
	}
	if (unlikely(v->answer.pending))
		ec_query_deliver(v);
	return;
slow:
	kvm_entry_slow(vcpu);
}

/* kvm:kvm_entry has one of two prototypes (compat.h): a probe for each. */
static notrace void on_kvm_entry(EC_KVM_ENTRY_PROTO)
{
	kvm_entry(vcpu);
}

static notrace void on_kvm_entry_forced(EC_KVM_ENTRY_FORCED_PROTO)
{
	kvm_entry(vcpu);
}

#define ON_KVM_ENTRY	ec_kvm_entry_probe(on_kvm_entry, on_kvm_entry_forced)

/*
 * One of our leaves, from on_kvm_cpuid(): out of line, so that the
 * register array, its stack protector and the lookup cost nothing to the
 * CPUIDs that are not ours, every other CPUID exit of every guest. The
 * probe's first parameters, in their places (the last one on the stack),
 * and no clone of it with fewer (__noclone): the probe passes them on
 * untouched, a compare and a jump.
 */
static noinline __noclone notrace void
kvm_cpuid_ours(void *data, unsigned int function, unsigned int index,
	       unsigned long rax, unsigned long rbx, unsigned long rcx,
	       unsigned long rdx)
{
	const u32 kvm[EC_NR_REGS] = { rax, rbx, rcx, rdx };
	struct kvm_vcpu *vcpu = ec_kvm_running_vcpu();
	struct ec_vcpu *v = vcpu ? ec_vcpu_get(vcpu, false) : NULL;

	if (v)
		ec_query_prepare(v, function, index, kvm);
}

/*
 * Every CPUID KVM completes for a guest; interrupts are on. Not ours:
 * a compare and a return.
 */
static notrace void on_kvm_cpuid(EC_KVM_CPUID_PROTO)
{
	if (unlikely(ec_proto_is_leaf(function)))
		kvm_cpuid_ours(data, function, index, rax, rbx, rcx, rdx);
}

/*
 * CPUID run by KVM's instruction emulator, a rare path, where the answer
 * goes to the emulator's copy of the registers:
 * emulator_get_cpuid(ctxt, u32 *eax, u32 *ebx, u32 *ecx, u32 *edx,
 *                    bool exact_only)
 */
struct cpuid_call {
	struct ec_vcpu *v;
	u32 *regs[EC_NR_REGS];
};

static int on_cpuid_call(struct kretprobe_instance *ri, struct pt_regs *regs)
{
	struct cpuid_call *c = (struct cpuid_call *)ri->data;
	bool exact_only = (u8)regs_get_kernel_argument(regs, 5);
	struct kvm_vcpu *vcpu;
	unsigned int i;

	for (i = 0; i < EC_NR_REGS; i++)
		c->regs[i] = (u32 *)regs_get_kernel_argument(regs, 1 + i);
	/* exact_only: KVM asking itself, not a guest's CPUID. */
	if (exact_only || !ec_proto_is_leaf(*c->regs[EC_EAX]))
		return 1;	/* no return probe */
	vcpu = ec_kvm_running_vcpu();
	c->v = vcpu ? ec_vcpu_get(vcpu, false) : NULL;
	if (!c->v)
		return 1;
	c->v->answer.emulated = true;
	c->v->answer.ready = false;
	return 0;
}

static int on_cpuid_return(struct kretprobe_instance *ri,
			   struct pt_regs *regs)
{
	struct cpuid_call *c = (struct cpuid_call *)ri->data;
	struct ec_answer *a = &c->v->answer;
	unsigned int i;

	if (a->ready)
		for (i = 0; i < EC_NR_REGS; i++)
			*c->regs[i] = a->regs[i];
	a->emulated = false;
	a->ready = false;
	return 0;
}

static struct kretprobe cpuid_probe = {
	.kp.symbol_name = "emulator_get_cpuid",
	.entry_handler = on_cpuid_call,
	.handler = on_cpuid_return,
	.data_size = sizeof(struct cpuid_call),
};

/*
 * VM teardown, through an ftrace_ops on kvm_arch_destroy_vm rather than a
 * kprobe: PERMANENT, so neither the kprobes switch
 * (/sys/kernel/debug/kprobes/enabled) nor the ftrace_enabled sysctl can
 * make exitcount miss a teardown, after which a new VM at the freed one's
 * address would find its counters.
 */
static notrace void on_destroy_vm(EC_FTRACE_PROTO)
{
	struct pt_regs *regs = ec_ftrace_regs();

	if (regs)
		ec_forget_vm((struct kvm *)regs_get_kernel_argument(regs, 0));
}

static struct ftrace_ops destroy_ops = {
	.func = on_destroy_vm,
	.flags = FTRACE_OPS_FL_SAVE_REGS | FTRACE_OPS_FL_PERMANENT |
		 EC_FTRACE_FL_RECURSION,
};

static int register_tp(struct tracepoint *tp, void *probe)
{
	int ret = tracepoint_probe_register(tp, probe, NULL);

	if (ret)
		pr_err("cannot attach to tracepoint %s: %d\n", tp->name, ret);
	return ret;
}

/*
 * An empty filter holds no memory; 5.10 and 5.15 export no
 * ftrace_free_filter().
 */
static void free_filter(void)
{
	ftrace_set_filter(&destroy_ops, NULL, 0, 1);
}

static int register_destroy_hook(void)
{
	int ret = ftrace_set_filter(&destroy_ops, (unsigned char *)ec_destroy_hook,
				    strlen(ec_destroy_hook), 1);

	if (!ret)
		ret = register_ftrace_function(&destroy_ops);
	if (!ret)
		return 0;
	pr_err("cannot hook %s (VM teardown): ftrace error %d\n",
	       ec_destroy_hook, ret);
	free_filter();
	return ret;
}

static void unregister_destroy_hook(void)
{
	unregister_ftrace_function(&destroy_ops);
	free_filter();
}

static int register_cpuid_probe(void)
{
	int ret;

	if (!ec_guest_query)
		return 0;
	/* It never sleeps: one instance per CPU in flight at most. */
	cpuid_probe.maxactive = 2 * num_possible_cpus();
	ret = register_kretprobe(&cpuid_probe);
	if (ret)
		pr_err("cannot hook %s: kretprobe error %d\n",
		       cpuid_probe.kp.symbol_name, ret);
	return ret;
}

static void unregister_cpuid_probe(void)
{
	if (!ec_guest_query)
		return;
	unregister_kretprobe(&cpuid_probe);
	if (cpuid_probe.nmissed)
		pr_warn("missed %d guest queries\n", cpuid_probe.nmissed);
}

static void unregister_tp(struct tracepoint *tp, void *probe)
{
	tracepoint_probe_unregister(tp, probe, NULL);
}

/*
 * The teardown hook goes first so that no VM state can outlive its VM;
 * kvm_cpuid last, so that the entry that takes an answer is always seen.
 */
int ec_hooks_register(void)
{
	int ret;

	ret = register_destroy_hook();
	if (ret)
		return ret;
	ret = register_cpuid_probe();
	if (ret)
		goto err_unregister_destroy;
	ret = register_tp(ec_kvm.tp_entry, ON_KVM_ENTRY);
	if (ret)
		goto err_unregister_cpuid;
	ret = register_tp(&__tracepoint_kvm_exit, ON_KVM_EXIT);
	if (ret)
		goto err_unregister_entry;
	if (ec_guest_query) {
		ret = register_tp(ec_kvm.tp_cpuid, on_kvm_cpuid);
		if (ret)
			goto err_unregister_exit;
	}
	return 0;

err_unregister_exit:
	unregister_tp(&__tracepoint_kvm_exit, ON_KVM_EXIT);
err_unregister_entry:
	unregister_tp(ec_kvm.tp_entry, ON_KVM_ENTRY);
	tracepoint_synchronize_unregister();
err_unregister_cpuid:
	unregister_cpuid_probe();
err_unregister_destroy:
	unregister_destroy_hook();
	return ret;
}

void ec_hooks_unregister(void)
{
	if (ec_guest_query)
		unregister_tp(ec_kvm.tp_cpuid, on_kvm_cpuid);
	unregister_tp(&__tracepoint_kvm_exit, ON_KVM_EXIT);
	unregister_tp(ec_kvm.tp_entry, ON_KVM_ENTRY);
	/* No probe may still be running once we return. */
	tracepoint_synchronize_unregister();
	unregister_cpuid_probe();
	unregister_destroy_hook();
}
