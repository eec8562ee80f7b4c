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
 * Exit path, from kvm:kvm_exit and kvm:kvm_entry (preemption off, which
 * is an RCU read-side section). @q, if not NULL, is a query to answer at
 * the vCPU's next entry; ec_count_entry() hands it back then.
 */
void ec_count_exit(struct kvm_vcpu *vcpu, unsigned int slot,
		   const struct ec_query *q);
bool ec_count_entry(struct kvm_vcpu *vcpu, struct ec_query *q);

/* The VM is being destroyed: no vCPU of it runs any more. */
void ec_forget_vm(struct kvm *kvm);

/* Reads. @vm NULL reads the host totals. Call under rcu_read_lock(). */
struct ec_vm *ec_vm_of_vcpu(struct kvm_vcpu *vcpu);
void ec_read(const struct ec_vm *vm, int slot, struct ec_stats *out);

/* Host view: every VM then the host totals; and zeroing. */
void ec_show(struct seq_file *m);
void ec_reset(void);

#endif /* EXITCOUNT_COUNTERS_H */
