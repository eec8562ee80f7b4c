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
	bool pending;			/* for the next entry */
	bool emulated;			/* by KVM's emulator: its probe writes */
	bool ready;			/* for that probe */
	u32 hflags;			/* guest and SMM mode at the CPUID */
	u32 regs[EC_NR_REGS];		/* ours */
	u32 kvm[EC_NR_REGS];		/* KVM's, as it writes them */
	unsigned long rip;		/* the CPUID's */
	unsigned long dirty;		/* regs_dirty at the CPUID */
};

/*
 * One reason's counters. The histogram is allocated at the first exit of
 * the reason (from a pool: nothing allocates on the exit path), so that
 * only reasons with exits cost its 216 bytes; it is never freed before
 * its owner. With it, a vCPU costs sizeof(struct ec_vcpu) + 24 bytes per
 * slot (VMX 87, SVM 172 slots: about 2.2 or 4.2 KiB, kmalloc's 4 and
 * 8 KiB classes) + 216 bytes per reason it exited for, + 216 for its
 * spare.
 */
struct ec_slot {
	struct ec_stats s;
	struct ec_hist *hist;		/* NULL: no exit yet */
};

/* Host totals of one CPU: every VM's exits that CPU took or timed. */
struct ec_host_cpu {
	struct ec_stats total;
	struct ec_slot slots[];		/* by slot */
};

extern struct ec_host_cpu __percpu *ec_host;

/*
 * A vCPU's counters and exit-path state. Public only for the inline exit
 * path below: every exit runs it, so it costs no call, no lock and no
 * stack buffer.
 */
struct ec_vcpu {
	/* What every exit and entry touches comes first: one cache line. */
	struct kvm_vcpu *vcpu;
	/*
	 * vcpu if its exits may take the fast path: the reason is read
	 * directly and the spare is there (ec_exit_ready()); else NULL.
	 */
	struct kvm_vcpu *direct;
	u64 exit_tsc;			/* 0: no exit awaiting its entry */
	/*
	 * For the entry: the histogram of the entry CPU's host totals, if
	 * that CPU has none for the exit's reason yet. Taken at the exit.
	 */
	struct ec_hist *spare;
	/*
	 * The exit's slot, as its offset in slots[] (ec_slot_at()): the
	 * exit has it at hand, the entry indexes with no multiply.
	 */
	unsigned long exit_off;
	enum ec_reason_src reason_src;
	u64 nested;			/* exits taken in guest mode (L2) */
	struct ec_answer answer;
	struct hlist_node hnode;	/* ec_vcpus, keyed by vcpu */
	struct list_head vm_node;	/* ec_vm.vcpus */
	struct ec_vm *vm;
	struct ec_exit_info exit_info;
	struct rcu_head rcu;
	struct ec_slot slots[];		/* by slot; written by the vCPU only */
};

/*
 * The vCPU whose exit this CPU counted last: spares most hash lookups.
 * Never NULL, so that a hit costs one compare: with no vCPU cached it
 * holds ec_no_vcpu, whose vcpu (NULL) matches none.
 */
DECLARE_PER_CPU(struct ec_vcpu *, ec_last);
extern struct ec_vcpu ec_no_vcpu;

/* Slow path of ec_vcpu_get(): the hash, then (@create) a new ec_vcpu. */
struct ec_vcpu *ec_vcpu_lookup(struct kvm_vcpu *vcpu, bool create);

/*
 * From KVM's tracepoints and probes, where preemption is off, which is an
 * RCU read-side section; @vcpu is not NULL. NULL: not known and not
 * @create, or no memory (counted as lost).
 */
static __always_inline struct ec_vcpu *ec_vcpu_get(struct kvm_vcpu *vcpu,
						   bool create)
{
	struct ec_vcpu *v = __this_cpu_read(ec_last);

	if (likely(v->vcpu == vcpu))
		return v;
	return ec_vcpu_lookup(vcpu, create);
}

/*
 * Exit path slow case: @v's histogram for @slot, or its spare, is
 * missing; take them from the pool. False when it is empty: the exit is
 * then counted as lost, so that every count keeps its histogram's sum.
 * With the spare there, @v->direct is set again (ec_host_hist_install()
 * clears it).
 */
bool ec_hist_take(struct ec_vcpu *v, unsigned int slot);

/*
 * Entry path slow case: this CPU's first exit of @slot gets @v's spare,
 * returned; @v's next exit takes the whole path, for a new spare.
 */
struct ec_hist *ec_host_hist_install(struct ec_vcpu *v, unsigned int slot);

/*
 * Add @n to a counter of the vCPU that runs here, which only this CPU
 * writes while it does: one add to memory, not a locked one, and not a
 * load, an add and a store either (what WRITE_ONCE(x, x + n) compiles
 * to). An aligned 8-byte store: a reader on another CPU sees it whole.
 */
static __always_inline void ec_add(u64 *p, u64 n)
{
	asm volatile("addq %1, %0" : "+m" (*p) : "er" (n));
}

/*
 * An exit of @slot, counted in the vCPU's and this CPU's; its @cycles
 * added at the entry that ends it. Only the field that changes is
 * written: the exit path's cost is in these few adds. This CPU's host
 * totals take this_cpu_add() on h (ec_host, read once: an ec_add() could
 * alias it): one add to a %gs-relative address, with no per-CPU pointer
 * to compute first.
 */
static __always_inline void ec_count_one(struct ec_vcpu *v, unsigned int slot)
{
	struct ec_host_cpu __percpu *h = ec_host;

	ec_add(&v->slots[slot].s.count, 1);
	this_cpu_add(h->slots[slot].s.count, 1);
	this_cpu_add(h->total.count, 1);
}

/* The slot at byte offset @off of the array @slots (ec_vcpu.exit_off). */
#define ec_slot_at(slots, off) \
	((typeof(&(slots)[0]))((unsigned long)(slots) + (off)))

/* This CPU's histogram of the slot at @off; NULL until its first exit. */
static __always_inline struct ec_hist *ec_host_hist(unsigned long off)
{
	return this_cpu_read(ec_slot_at(ec_host->slots, off)->hist);
}

/*
 * @cycles of an exit of the slot at @off, and its bucket, into @v's and
 * this CPU's (@host: ec_host_hist(), not NULL).
 */
static __always_inline void ec_add_cycles_to(struct ec_vcpu *v,
					     unsigned long off, u64 cycles,
					     struct ec_hist *host)
{
	struct ec_host_cpu __percpu *h = ec_host;
	struct ec_slot *s = ec_slot_at(v->slots, off);
	unsigned int b = ec_hist_bucket(cycles);

	ec_add(&s->s.cycles, cycles);
	ec_add(&s->hist->bucket[b], 1);
	this_cpu_add(ec_slot_at(h->slots, off)->s.cycles, cycles);
	ec_add(&host->bucket[b], 1);
	this_cpu_add(h->total.cycles, cycles);
}

/* The same, installing this CPU's histogram if need be. */
static __always_inline void ec_add_cycles(struct ec_vcpu *v,
					  unsigned long off, u64 cycles)
{
	struct ec_hist *host = ec_host_hist(off);

	if (unlikely(!host))
		host = ec_host_hist_install(v, off / sizeof(struct ec_slot));
	ec_add_cycles_to(v, off, cycles, host);
}

/*
 * The histograms an exit of @slot needs are in place (ec_hist_take()).
 * @direct: @v->direct is set, which says the spare is there.
 */
static __always_inline bool ec_exit_ready(const struct ec_vcpu *v,
					  unsigned int slot, bool direct)
{
	return likely(v->slots[slot].hist && (direct || v->spare));
}

/*
 * @v->exit_tsc = rdtsc(), stored as the two halves RDTSC returns: on
 * little-endian x86 they are the u64, with no shift and or to join them.
 */
static __always_inline void ec_stamp_exit(struct ec_vcpu *v)
{
	u32 lo, hi;

	asm volatile("rdtsc" : "=a" (lo), "=d" (hi));
	((u32 *)&v->exit_tsc)[0] = lo;
	((u32 *)&v->exit_tsc)[1] = hi;
}

/*
 * An exit of @slot of @v (@vcpu), ec_exit_ready(), now; its time runs
 * until the next entry.
 */
static __always_inline void ec_count_ready_exit(struct ec_vcpu *v,
						struct kvm_vcpu *vcpu,
						unsigned int slot)
{
	/* Set for an entry that went by unseen (exitcount was loading). */
	v->answer.pending = false;
	ec_count_one(v, slot);
	if (unlikely(vcpu->arch.hflags & HF_GUEST_MASK))
		ec_add(&v->nested, 1);
	v->exit_off = slot * sizeof(struct ec_slot);
	ec_stamp_exit(v);
}

/* Any exit of @slot, now. */
static __always_inline void ec_count_exit(struct ec_vcpu *v,
					  unsigned int slot)
{
	if (!ec_exit_ready(v, slot, false) && !ec_hist_take(v, slot)) {
		v->answer.pending = false;
		v->exit_tsc = 0;
		return;
	}
	ec_count_ready_exit(v, v->vcpu, slot);
}

/* Entry at TSC @now: the exit's time ends here. */
static __always_inline void ec_count_entry(struct ec_vcpu *v, u64 now)
{
	if (!v->exit_tsc)
		return;
	ec_add_cycles(v, v->exit_off, now - v->exit_tsc);
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

/* The histogram of @slot of @vm (NULL: the host) since the last reset. */
void ec_read_hist(const struct ec_vm *vm, unsigned int slot,
		  struct ec_hist *out);

/*
 * Host view: every VM then the host totals; the same as "hist" lines, with
 * each reason's buckets; and zeroing.
 */
void ec_show(struct seq_file *m);
void ec_show_hist(struct seq_file *m);
int ec_reset(void);

#endif /* EXITCOUNT_COUNTERS_H */
