// SPDX-License-Identifier: GPL-2.0
/*
 * Per-vCPU exit counters, created at a vCPU's first exit seen while the
 * module is loaded (so VMs that predate the module count from load time)
 * and freed with their VM.
 *
 * Locking: the exit path touches only its own vCPU's counters and looks
 * state up under RCU. ec_lock (a seqlock) serialises creation, teardown
 * and reset; readers retry over it, so a VM moving to the retired totals
 * or a reset is never seen half done.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hashtable.h>
#include <linux/rculist.h>
#include <linux/seq_file.h>
#include <linux/seqlock.h>
#include <linux/slab.h>
#include <asm/msr.h>
#include "counters.h"
#include "kvm_glue.h"

struct ec_vm {
	struct hlist_node hnode;	/* ec_vms, keyed by kvm */
	struct list_head node;		/* ec_vm_list */
	const struct kvm *kvm;
	unsigned int id;
	pid_t pid;
	struct list_head vcpus;
	struct rcu_head rcu;
	struct ec_stats base[];		/* sums at the last reset */
};

static DEFINE_HASHTABLE(ec_vcpus, 10);
DEFINE_PER_CPU(struct ec_vcpu *, ec_last);
static DEFINE_HASHTABLE(ec_vms, 8);
static LIST_HEAD(ec_vm_list);
static DEFINE_SEQLOCK(ec_lock);
static struct ec_stats *ec_retired;	/* totals of destroyed VMs */
static struct ec_stats *ec_host_base;	/* host sums at the last reset */
static atomic_t ec_objects = ATOMIC_INIT(0);
static atomic64_t ec_lost = ATOMIC64_INIT(0);
static atomic_t ec_next_id = ATOMIC_INIT(0);

static unsigned int nr_slots(void)
{
	return ec_kvm.table->nr_slots;
}

static void *stats_alloc(size_t header, gfp_t gfp)
{
	void *p = kzalloc(header + nr_slots() * sizeof(struct ec_stats), gfp);

	if (p)
		atomic_inc(&ec_objects);
	return p;
}

static void stats_add(struct ec_stats *dst, const struct ec_stats *src)
{
	unsigned int i;

	for (i = 0; i < nr_slots(); i++) {
		dst[i].count += READ_ONCE(src[i].count);
		dst[i].cycles += READ_ONCE(src[i].cycles);
	}
}

static void stats_sub(struct ec_stats *dst, const struct ec_stats *src)
{
	unsigned int i;

	for (i = 0; i < nr_slots(); i++) {
		dst[i].count -= src[i].count;
		dst[i].cycles -= src[i].cycles;
	}
}

static struct ec_vcpu *vcpu_find(const struct kvm_vcpu *vcpu)
{
	struct ec_vcpu *v;

	hash_for_each_possible_rcu(ec_vcpus, v, hnode, (unsigned long)vcpu)
		if (v->vcpu == vcpu)
			return v;
	return NULL;
}

/* Under ec_lock, before @v is freed: no CPU's cache may keep it. */
static void vcpu_uncache(struct ec_vcpu *v)
{
	int cpu;

	for_each_possible_cpu(cpu)
		cmpxchg(per_cpu_ptr(&ec_last, cpu), v, NULL);
}

static struct ec_vm *vm_find(const struct kvm *kvm)
{
	struct ec_vm *vm;

	hash_for_each_possible_rcu(ec_vms, vm, hnode, (unsigned long)kvm)
		if (vm->kvm == kvm)
			return vm;
	return NULL;
}

/* KVM names a VM's stats "kvm-<pid of its creator>". */
static pid_t vm_pid(const struct kvm *kvm)
{
	int pid;

	return sscanf(kvm->stats_id, "kvm-%d", &pid) == 1 ? pid : 0;
}

/* Under ec_lock. */
static struct ec_vm *vm_get(struct kvm *kvm)
{
	struct ec_vm *vm = vm_find(kvm);

	if (vm)
		return vm;
	vm = stats_alloc(sizeof(*vm), GFP_ATOMIC | __GFP_NOWARN);
	if (!vm)
		return NULL;
	vm->kvm = kvm;
	vm->id = atomic_inc_return(&ec_next_id);
	vm->pid = vm_pid(kvm);
	INIT_LIST_HEAD(&vm->vcpus);
	hash_add_rcu(ec_vms, &vm->hnode, (unsigned long)kvm);
	list_add_tail_rcu(&vm->node, &ec_vm_list);
	return vm;
}

/* First exit of @vcpu since load: runs in the vCPU's exit path. */
static struct ec_vcpu *vcpu_create(struct kvm_vcpu *vcpu)
{
	struct ec_vcpu *v = stats_alloc(sizeof(*v), GFP_ATOMIC | __GFP_NOWARN);
	unsigned long flags;

	if (!v)
		return NULL;
	ec_kvm_check_reason(vcpu);
	v->vcpu = vcpu;
	write_seqlock_irqsave(&ec_lock, flags);
	v->vm = vm_get(vcpu->kvm);
	if (v->vm) {
		hash_add_rcu(ec_vcpus, &v->hnode, (unsigned long)vcpu);
		list_add_tail_rcu(&v->vm_node, &v->vm->vcpus);
	}
	write_sequnlock_irqrestore(&ec_lock, flags);
	if (v->vm)
		return v;
	kfree(v);
	atomic_dec(&ec_objects);
	return NULL;
}

struct ec_vcpu *ec_vcpu_lookup(struct kvm_vcpu *vcpu, bool create)
{
	struct ec_vcpu *v = vcpu_find(vcpu);

	if (!v && create) {
		v = vcpu_create(vcpu);
		if (!v)
			atomic64_inc(&ec_lost);
	}
	if (v)
		__this_cpu_write(ec_last, v);
	return v;
}

static void free_object(void *p)
{
	atomic_dec(&ec_objects);
	kfree(p);
}

static void vcpu_free_rcu(struct rcu_head *head)
{
	free_object(container_of(head, struct ec_vcpu, rcu));
}

static void vm_free_rcu(struct rcu_head *head)
{
	free_object(container_of(head, struct ec_vm, rcu));
}

/* Under ec_lock: fold @vm into the retired totals and unlink it. */
static void vm_retire(struct ec_vm *vm)
{
	struct ec_vcpu *v, *tmp;

	list_for_each_entry_safe(v, tmp, &vm->vcpus, vm_node) {
		stats_add(ec_retired, v->stats);
		vcpu_uncache(v);
		hash_del_rcu(&v->hnode);
		list_del_rcu(&v->vm_node);
		call_rcu(&v->rcu, vcpu_free_rcu);
	}
	hash_del_rcu(&vm->hnode);
	list_del_rcu(&vm->node);
	call_rcu(&vm->rcu, vm_free_rcu);
}

void ec_forget_vm(struct kvm *kvm)
{
	unsigned long flags;
	struct ec_vm *vm;

	write_seqlock_irqsave(&ec_lock, flags);
	vm = vm_find(kvm);
	if (vm)
		vm_retire(vm);
	write_sequnlock_irqrestore(&ec_lock, flags);
}

struct ec_vm *ec_vm_of_vcpu(struct kvm_vcpu *vcpu)
{
	struct ec_vcpu *v = vcpu_find(vcpu);

	return v ? v->vm : NULL;
}

static void add_vm_slot(const struct ec_vm *vm, int slot, struct ec_stats *s)
{
	const struct ec_vcpu *v;

	list_for_each_entry_rcu(v, &vm->vcpus, vm_node) {
		s->count += READ_ONCE(v->stats[slot].count);
		s->cycles += READ_ONCE(v->stats[slot].cycles);
	}
}

/* @slot of @vm (NULL: host) since the last reset; under ec_lock's seq. */
static void read_slot(const struct ec_vm *vm, int slot, struct ec_stats *s)
{
	const struct ec_stats *base = vm ? vm->base : ec_host_base;
	const struct ec_vm *each;

	s->count = vm ? 0 : ec_retired[slot].count;
	s->cycles = vm ? 0 : ec_retired[slot].cycles;
	if (vm)
		add_vm_slot(vm, slot, s);
	else
		list_for_each_entry_rcu(each, &ec_vm_list, node)
			add_vm_slot(each, slot, s);
	s->count -= base[slot].count;
	s->cycles -= base[slot].cycles;
}

static void read_total(const struct ec_vm *vm, struct ec_stats *out)
{
	struct ec_stats s;
	unsigned int i;

	*out = (struct ec_stats){ 0 };
	for (i = 0; i < nr_slots(); i++) {
		read_slot(vm, i, &s);
		out->count += s.count;
		out->cycles += s.cycles;
	}
}

void ec_read(const struct ec_vm *vm, int slot, struct ec_stats *out)
{
	unsigned int seq;

	do {
		seq = read_seqbegin(&ec_lock);
		if (slot == EC_SLOT_TOTAL)
			read_total(vm, out);
		else
			read_slot(vm, slot, out);
	} while (read_seqretry(&ec_lock, seq));
}

static void add_vm(const struct ec_vm *vm, struct ec_stats *out)
{
	const struct ec_vcpu *v;

	list_for_each_entry_rcu(v, &vm->vcpus, vm_node)
		stats_add(out, v->stats);
}

/* Raw sums of every slot of @vm (NULL: host) into @out. */
static void sum_all(const struct ec_vm *vm, struct ec_stats *out)
{
	const struct ec_vm *each;

	memset(out, 0, nr_slots() * sizeof(*out));
	if (vm) {
		add_vm(vm, out);
		return;
	}
	stats_add(out, ec_retired);
	list_for_each_entry_rcu(each, &ec_vm_list, node)
		add_vm(each, out);
}

static void snapshot(const struct ec_vm *vm, struct ec_stats *out)
{
	unsigned int seq;

	do {
		seq = read_seqbegin(&ec_lock);
		sum_all(vm, out);
		stats_sub(out, vm ? vm->base : ec_host_base);
	} while (read_seqretry(&ec_lock, seq));
}

static void show_stats(struct seq_file *m, const char *who,
		       const struct ec_stats *s)
{
	const struct ec_isa_table *t = ec_kvm.table;
	struct ec_stats total = { 0 };
	unsigned int i;

	for (i = 0; i < nr_slots(); i++) {
		total.count += s[i].count;
		total.cycles += s[i].cycles;
	}
	seq_printf(m, "%s exits %llu cycles %llu\n", who, total.count,
		   total.cycles);
	for (i = 0; i < nr_slots(); i++) {
		if (!s[i].count)
			continue;
		if (i == ec_other_slot(t))
			seq_printf(m, "%s reason - other", who);
		else
			seq_printf(m, "%s reason %u %s", who, ec_slot_nr(t, i),
				   t->names[i] ?: "undefined");
		seq_printf(m, " exits %llu cycles %llu\n", s[i].count,
			   s[i].cycles);
	}
}

void ec_show(struct seq_file *m)
{
	struct ec_stats *s = kcalloc(nr_slots(), sizeof(*s), GFP_KERNEL);
	const struct ec_vm *vm;
	char who[48];

	if (!s)
		return;
	seq_printf(m, "objects %d\nlost %lld\n", atomic_read(&ec_objects),
		   (long long)atomic64_read(&ec_lost));
	rcu_read_lock();
	list_for_each_entry_rcu(vm, &ec_vm_list, node) {
		snapshot(vm, s);
		snprintf(who, sizeof(who), "vm %u pid %d", vm->id, vm->pid);
		show_stats(m, who, s);
	}
	snapshot(NULL, s);
	rcu_read_unlock();
	show_stats(m, "all", s);
	kfree(s);
}

void ec_reset(void)
{
	struct ec_vm *vm;
	unsigned long flags;

	write_seqlock_irqsave(&ec_lock, flags);
	list_for_each_entry(vm, &ec_vm_list, node)
		sum_all(vm, vm->base);
	sum_all(NULL, ec_host_base);
	write_sequnlock_irqrestore(&ec_lock, flags);
}

int ec_counters_init(void)
{
	ec_retired = kcalloc(nr_slots(), sizeof(*ec_retired), GFP_KERNEL);
	if (!ec_retired)
		return -ENOMEM;
	ec_host_base = kcalloc(nr_slots(), sizeof(*ec_host_base), GFP_KERNEL);
	if (!ec_host_base)
		goto err_free_retired;
	return 0;

err_free_retired:
	kfree(ec_retired);
	return -ENOMEM;
}

/* Called once no hook can run any more. */
void ec_counters_exit(void)
{
	struct ec_vm *vm, *tmp;
	unsigned long flags;

	write_seqlock_irqsave(&ec_lock, flags);
	list_for_each_entry_safe(vm, tmp, &ec_vm_list, node)
		vm_retire(vm);
	write_sequnlock_irqrestore(&ec_lock, flags);
	rcu_barrier();
	WARN_ON(atomic_read(&ec_objects));
	kfree(ec_host_base);
	kfree(ec_retired);
}
