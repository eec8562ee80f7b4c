/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Exit counters. Each vCPU owns its counters, and each host CPU owns a
 * copy of the host totals: only the exit path of that vCPU, on that CPU,
 * writes them, so it takes no lock and shares no cache line with other
 * vCPUs. A VM's counts are the sum over its vCPUs, the host's the sum
 * over the host's CPUs, so a read costs what the VM, or the host's CPU
 * count, is: never the number of VMs.
 */
#ifndef EXITCOUNT_COUNTERS_H
#define EXITCOUNT_COUNTERS_H

#include <linux/kvm_host.h>
#include <exitcount/protocol.h>
#include "kvm_glue.h"

struct ec_vm;
struct seq_file;

int ec_counters_init(void);
void ec_counters_exit(void);

/*
 * A guest query, answered at its kvm:kvm_cpuid, where interrupts are on,
 * and written to the guest's RAX..RDX at the next entry only if that entry
 * resumes right after the CPUID with the registers KVM gave it (query.c).
 */
struct ec_answer {
	u32 regs[EC_NR_REGS];		/* ours */
	u32 kvm[EC_NR_REGS];		/* KVM's, as it writes them */
	u32 hflags;			/* guest and SMM mode at the CPUID */
	unsigned long rip;		/* the CPUID's */
	unsigned long dirty;		/* regs_dirty at the CPUID */
	bool pending;			/* for the next entry */
	bool emulated;			/* by KVM's emulator: its probe writes */
	bool ready;			/* for that probe */
};

/* Host totals of one CPU: every VM's exits that CPU took or timed. */
struct ec_host_cpu {
	struct ec_stats total;
	struct ec_stats stats[];	/* by slot */
};

extern struct ec_host_cpu __percpu *ec_host;

/*
 * A vCPU's counters and exit-path state. Public only for the inline exit
 * path below: every exit runs it, so it costs no call, no lock and no
 * stack buffer.
 */
struct ec_vcpu {
	struct hlist_node hnode;	/* ec_vcpus, keyed by vcpu */
	struct list_head vm_node;	/* ec_vm.vcpus */
	struct kvm_vcpu *vcpu;
	struct ec_vm *vm;
	u64 exit_tsc;			/* 0: no exit awaiting its entry */
	unsigned int exit_slot;
	enum ec_reason_src reason_src;
	u64 nested;			/* exits taken in guest mode (L2) */
	struct ec_answer answer;
	struct ec_exit_info exit_info;
	struct rcu_head rcu;
	struct ec_stats stats[];	/* by slot; written by the vCPU only */
};

/* The vCPU whose exit this CPU counted last: spares most hash lookups. */
DECLARE_PER_CPU(struct ec_vcpu *, ec_last);

/* Slow path of ec_vcpu_get(): the hash, then (@create) a new ec_vcpu. */
struct ec_vcpu *ec_vcpu_lookup(struct kvm_vcpu *vcpu, bool create);

/*
 * From KVM's tracepoints and probes, where preemption is off, which is an
 * RCU read-side section. NULL: not known and not @create, or no memory
 * (counted as lost).
 */
static __always_inline struct ec_vcpu *ec_vcpu_get(struct kvm_vcpu *vcpu,
						   bool create)
{
	struct ec_vcpu *v = __this_cpu_read(ec_last);

	if (likely(v && v->vcpu == vcpu))
		return v;
	return ec_vcpu_lookup(vcpu, create);
}

/*
 * An exit of @slot, counted in the vCPU's and this CPU's; its @cycles
 * added at the entry that ends it. Only the field that changes is
 * written: the exit path's cost is in these few stores.
 */
static __always_inline void ec_count_one(struct ec_vcpu *v, unsigned int slot)
{
	struct ec_host_cpu *h = this_cpu_ptr(ec_host);

	WRITE_ONCE(v->stats[slot].count, v->stats[slot].count + 1);
	WRITE_ONCE(h->stats[slot].count, h->stats[slot].count + 1);
	WRITE_ONCE(h->total.count, h->total.count + 1);
}

static __always_inline void ec_add_cycles(struct ec_vcpu *v,
					  unsigned int slot, u64 cycles)
{
	struct ec_host_cpu *h = this_cpu_ptr(ec_host);

	WRITE_ONCE(v->stats[slot].cycles, v->stats[slot].cycles + cycles);
	WRITE_ONCE(h->stats[slot].cycles, h->stats[slot].cycles + cycles);
	WRITE_ONCE(h->total.cycles, h->total.cycles + cycles);
}

/* An exit of @slot at TSC @now; its time runs until the next entry. */
static __always_inline void ec_count_exit(struct ec_vcpu *v,
					  unsigned int slot, u64 now)
{
	ec_count_one(v, slot);
	if (unlikely(v->vcpu->arch.hflags & HF_GUEST_MASK))
		WRITE_ONCE(v->nested, v->nested + 1);
	/* Set for an entry that went by unseen (exitcount was loading). */
	v->answer.pending = false;
	v->exit_slot = slot;
	v->exit_tsc = now;
}

/* Entry at TSC @now: the exit's time ends here. */
static __always_inline void ec_count_entry(struct ec_vcpu *v, u64 now)
{
	if (!v->exit_tsc)
		return;
	ec_add_cycles(v, v->exit_slot, now - v->exit_tsc);
	v->exit_tsc = 0;
}

/* The VM is being destroyed: no vCPU of it runs any more. */
void ec_forget_vm(struct kvm *kvm);

/*
 * @slot (EC_SLOT_TOTAL: all slots) of @vm, NULL for the host, since the
 * last reset. Costs the VM's vCPU count (times its slots for the total),
 * or the host's CPU count.
 */
void ec_read(const struct ec_vm *vm, int slot, struct ec_stats *out);

/* Host view: every VM then the host totals; and zeroing. */
void ec_show(struct seq_file *m);
int ec_reset(void);

#endif /* EXITCOUNT_COUNTERS_H */
