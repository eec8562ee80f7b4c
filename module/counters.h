/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Exit counters. Each vCPU owns its counters: only its own thread writes
 * them, so the exit path takes no lock and shares no cache line with other
 * vCPUs; readers add them up. A VM's totals are the sum over its vCPUs;
 * the host totals add the VMs that are gone.
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

/* A guest's query, seen at its CPUID exit, answered before it re-enters. */
struct ec_query {
	u32 leaf;
	u32 subleaf;
};

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
	bool query_pending;
	struct ec_query query;
	struct ec_exit_info exit_info;
	struct rcu_head rcu;
	struct ec_stats stats[];	/* by slot; written by the vCPU only */
};

/* The vCPU whose exit this CPU counted last: spares most hash lookups. */
DECLARE_PER_CPU(struct ec_vcpu *, ec_last);

/* Slow path of ec_vcpu_get(): the hash, then (@create) a new ec_vcpu. */
struct ec_vcpu *ec_vcpu_lookup(struct kvm_vcpu *vcpu, bool create);

/*
 * Exit path, from kvm:kvm_exit and kvm:kvm_entry: preemption is off,
 * which is an RCU read-side section. NULL: not known and not @create, or
 * no memory (counted as lost).
 */
static __always_inline struct ec_vcpu *ec_vcpu_get(struct kvm_vcpu *vcpu,
						   bool create)
{
	struct ec_vcpu *v = __this_cpu_read(ec_last);

	if (likely(v && v->vcpu == vcpu))
		return v;
	return ec_vcpu_lookup(vcpu, create);
}

/* An exit of @slot at TSC @now; its time runs until the next entry. */
static __always_inline void ec_count_exit(struct ec_vcpu *v,
					  unsigned int slot, u64 now)
{
	WRITE_ONCE(v->stats[slot].count, v->stats[slot].count + 1);
	v->exit_slot = slot;
	v->exit_tsc = now;
}

/* Entry at TSC @now. True: v->query waits for its answer (handed over). */
static __always_inline bool ec_count_entry(struct ec_vcpu *v, u64 now)
{
	struct ec_stats *s = &v->stats[v->exit_slot];
	bool query = v->query_pending;

	if (!v->exit_tsc)
		return false;
	WRITE_ONCE(s->cycles, s->cycles + (now - v->exit_tsc));
	v->exit_tsc = 0;
	v->query_pending = false;
	return query;
}

/* The VM is being destroyed: no vCPU of it runs any more. */
void ec_forget_vm(struct kvm *kvm);

/* Reads. @vm NULL reads the host totals. Call under rcu_read_lock(). */
struct ec_vm *ec_vm_of_vcpu(struct kvm_vcpu *vcpu);
void ec_read(const struct ec_vm *vm, int slot, struct ec_stats *out);

/* Host view: every VM then the host totals; and zeroing. */
void ec_show(struct seq_file *m);
void ec_reset(void);

#endif /* EXITCOUNT_COUNTERS_H */
