// SPDX-License-Identifier: GPL-2.0
/*
 * Per-vCPU exit counters, created at a vCPU's first exit seen while the
 * module is loaded (so VMs that predate the module count from load time)
 * and freed with their VM; per-CPU host totals, which need nothing when a
 * VM comes or goes.
 *
 * Locking: the exit path touches only its own vCPU's counters and this
 * CPU's totals, and looks state up under RCU. ec_lock, a raw spinlock held
 * for a few list operations at a time, serialises creation and teardown.
 * A reset publishes new bases (the sums at the reset) through RCU, so no
 * reader ever retries or waits.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/hashtable.h>
#include <linux/llist.h>
#include <linux/mutex.h>
#include <linux/rculist.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/workqueue.h>
#include "counters.h"
#include "kvm_glue.h"

/* Sums at the last reset, subtracted from every read. */
struct ec_base {
	struct rcu_head rcu;
	struct ec_stats total;
	struct ec_slot slots[];		/* hist: NULL while count was 0 */
};

struct ec_vm {
	struct hlist_node hnode;	/* ec_vms, keyed by kvm */
	struct list_head node;		/* ec_vm_list */
	const struct kvm *kvm;
	unsigned int id;
	pid_t pid;
	struct list_head vcpus;
	struct ec_base __rcu *base;	/* NULL: never reset */
	struct rcu_head rcu;
};

static DEFINE_HASHTABLE(ec_vcpus, 10);
struct ec_vcpu ec_no_vcpu;
DEFINE_PER_CPU(struct ec_vcpu *, ec_last);	/* ec_counters_init() */
struct ec_host_cpu __percpu *ec_host;
static DEFINE_HASHTABLE(ec_vms, 8);
static LIST_HEAD(ec_vm_list);
static DEFINE_RAW_SPINLOCK(ec_lock);
static DEFINE_MUTEX(ec_reset_lock);
static struct ec_base __rcu *ec_host_base;
static atomic_t ec_objects = ATOMIC_INIT(0);
/* Histograms of vCPUs (their reasons' and spares), and of host CPUs. */
static atomic_t ec_vm_hists = ATOMIC_INIT(0);
static atomic_t ec_host_hists = ATOMIC_INIT(0);
static atomic64_t ec_lost = ATOMIC64_INIT(0);
static atomic_t ec_next_id = ATOMIC_INIT(0);

static unsigned int nr_slots(void)
{
	return ec_kvm.table->nr_slots;
}

static size_t slots_size(void)
{
	return nr_slots() * sizeof(struct ec_slot);
}

/*
 * The exit path takes new objects from pools that a work item fills in
 * process context: on PREEMPT_RT nothing may allocate with interrupts
 * off, and elsewhere a burst of new vCPUs should not drain the atomic
 * reserves. An empty pool costs the exits of that moment (counted as
 * lost), never a retry that allocates.
 */
#define EC_POOL_SIZE	32
/*
 * A new vCPU takes a histogram for each reason it exits for and a spare,
 * some 4 to 8 at first: the same margin as EC_POOL_SIZE vCPUs, 55 KiB.
 */
#define EC_HIST_POOL_SIZE	256

struct ec_pool {
	raw_spinlock_t lock;
	unsigned int n;
	unsigned int cap;
	size_t size;
	void *obj[EC_HIST_POOL_SIZE];
	struct llist_head unused;	/* taken but not needed: to free */
};

#define EC_POOL_INIT(name, capacity) {					\
	.lock = __RAW_SPIN_LOCK_UNLOCKED(name.lock),			\
	.cap = (capacity),						\
}

static struct ec_pool ec_vcpu_pool = EC_POOL_INIT(ec_vcpu_pool, EC_POOL_SIZE);
static struct ec_pool ec_vm_pool = EC_POOL_INIT(ec_vm_pool, EC_POOL_SIZE);
static struct ec_pool ec_hist_pool = EC_POOL_INIT(ec_hist_pool,
						  EC_HIST_POOL_SIZE);

static void pool_free_unused(struct ec_pool *pool)
{
	struct llist_node *node, *next;

	llist_for_each_safe(node, next, llist_del_all(&pool->unused))
		kfree(node);
}

/* Process context: top @pool up; false when memory ran out. */
static bool pool_fill(struct ec_pool *pool)
{
	unsigned long flags;
	bool full = false;
	void *p;

	while (!full) {
		p = kzalloc(pool->size, GFP_KERNEL);
		if (!p)
			return false;
		raw_spin_lock_irqsave(&pool->lock, flags);
		full = pool->n == pool->cap;
		if (!full)
			pool->obj[pool->n++] = p;
		raw_spin_unlock_irqrestore(&pool->lock, flags);
	}
	kfree(p);
	return true;
}

static void pool_refill(struct work_struct *work)
{
	pool_free_unused(&ec_vcpu_pool);
	pool_free_unused(&ec_vm_pool);
	pool_fill(&ec_vcpu_pool);
	pool_fill(&ec_vm_pool);
	pool_fill(&ec_hist_pool);
}

static DECLARE_WORK(ec_refill, pool_refill);

/* Any context: a zeroed object, or NULL when the pool is empty. */
static void *pool_take(struct ec_pool *pool)
{
	unsigned long flags;
	unsigned int left;
	void *p = NULL;

	raw_spin_lock_irqsave(&pool->lock, flags);
	if (pool->n)
		p = pool->obj[--pool->n];
	left = pool->n;
	raw_spin_unlock_irqrestore(&pool->lock, flags);
	if (left < pool->cap / 2)
		queue_work(system_wq, &ec_refill);
	return p;
}

static void *object_alloc(struct ec_pool *pool)
{
	void *p = pool_take(pool);

	if (p)
		atomic_inc(&ec_objects);
	return p;
}

/* Any context: @p, from object_alloc(), was never published. */
static void object_unused(struct ec_pool *pool, void *p)
{
	atomic_dec(&ec_objects);
	llist_add(p, &pool->unused);
	queue_work(system_wq, &ec_refill);
}

static void pool_drain(struct ec_pool *pool)
{
	pool_free_unused(pool);
	while (pool->n)
		kfree(pool->obj[--pool->n]);
}

static void object_free(void *p)
{
	atomic_dec(&ec_objects);
	kfree(p);
}

static struct ec_vcpu *vcpu_find(const struct kvm_vcpu *vcpu)
{
	struct ec_vcpu *v;

	hash_for_each_possible_rcu(ec_vcpus, v, hnode, (unsigned long)vcpu)
		if (v->vcpu == vcpu)
			return v;
	return NULL;
}

static struct ec_vm *vm_find(const struct kvm *kvm)
{
	struct ec_vm *vm;

	hash_for_each_possible_rcu(ec_vms, vm, hnode, (unsigned long)kvm)
		if (vm->kvm == kvm)
			return vm;
	return NULL;
}

static struct ec_vm *vm_alloc(struct kvm *kvm)
{
	struct ec_vm *vm = object_alloc(&ec_vm_pool);

	if (!vm)
		return NULL;
	vm->kvm = kvm;
	vm->pid = ec_vm_creator_pid(kvm);
	INIT_LIST_HEAD(&vm->vcpus);
	return vm;
}

/* Under ec_lock: @kvm's ec_vm, or @spare made it. */
static struct ec_vm *vm_get(struct kvm *kvm, struct ec_vm *spare)
{
	struct ec_vm *vm = vm_find(kvm);

	if (vm || !spare)
		return vm;
	spare->id = atomic_inc_return(&ec_next_id);
	hash_add_rcu(ec_vms, &spare->hnode, (unsigned long)kvm);
	list_add_tail_rcu(&spare->node, &ec_vm_list);
	return spare;
}

/* First exit of @vcpu since load: runs in the vCPU's exit path. */
static struct ec_vcpu *vcpu_create(struct kvm_vcpu *vcpu)
{
	struct ec_vcpu *v = object_alloc(&ec_vcpu_pool);
	struct ec_vm *vm, *spare = NULL;
	unsigned long flags;

	if (!v)
		return NULL;
	if (!vm_find(vcpu->kvm))
		spare = vm_alloc(vcpu->kvm);
	v->reason_src = ec_kvm_reason_src(vcpu);
	v->vcpu = vcpu;
	raw_spin_lock_irqsave(&ec_lock, flags);
	vm = vm_get(vcpu->kvm, spare);
	if (vm) {
		v->vm = vm;
		hash_add_rcu(ec_vcpus, &v->hnode, (unsigned long)vcpu);
		list_add_tail_rcu(&v->vm_node, &vm->vcpus);
	}
	raw_spin_unlock_irqrestore(&ec_lock, flags);
	if (spare && spare != vm)
		object_unused(&ec_vm_pool, spare);
	if (vm)
		return v;
	object_unused(&ec_vcpu_pool, v);
	return NULL;
}

/* Any context: a zeroed histogram for a vCPU, or NULL. */
static struct ec_hist *hist_alloc(void)
{
	struct ec_hist *h = pool_take(&ec_hist_pool);

	if (h)
		atomic_inc(&ec_vm_hists);
	return h;
}

bool ec_hist_take(struct ec_vcpu *v, unsigned int slot)
{
	struct ec_hist *h;

	if (!v->slots[slot].hist) {
		h = hist_alloc();
		if (h) {
			/* Readers (sum_hist()) on other CPUs find it zeroed. */
			smp_store_release(&v->slots[slot].hist, h);
		}
	}
	if (!v->spare)
		v->spare = hist_alloc();
	if (v->spare && v->reason_src != EC_REASON_OPS)
		v->direct = v->vcpu;	/* the fast path's again */
	if (v->slots[slot].hist && v->spare)
		return true;
	atomic64_inc(&ec_lost);
	return false;
}

struct ec_hist *ec_host_hist_install(struct ec_vcpu *v, unsigned int slot)
{
	struct ec_host_cpu *h = this_cpu_ptr(ec_host);
	struct ec_hist *hist = v->spare;

	/* As in ec_hist_take(): readers find it zeroed. */
	smp_store_release(&h->slots[slot].hist, hist);
	v->spare = NULL;
	v->direct = NULL;	/* until ec_hist_take() finds a new spare */
	atomic_dec(&ec_vm_hists);
	atomic_inc(&ec_host_hists);
	return hist;
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

/* The histograms of @slots, and @spare. */
static void hists_free(struct ec_slot *slots, struct ec_hist *spare)
{
	unsigned int i;

	for (i = 0; i < nr_slots(); i++)
		kfree(slots[i].hist);
	kfree(spare);
}

static void vcpu_free_rcu(struct rcu_head *head)
{
	struct ec_vcpu *v = container_of(head, struct ec_vcpu, rcu);
	unsigned int i, n = !!v->spare;

	for (i = 0; i < nr_slots(); i++)
		n += !!v->slots[i].hist;
	atomic_sub(n, &ec_vm_hists);
	hists_free(v->slots, v->spare);
	object_free(v);
}

static void base_free(struct ec_base *base)
{
	if (!base)
		return;
	hists_free(base->slots, NULL);
	kfree(base);
}

static void base_free_rcu(struct rcu_head *head)
{
	base_free(container_of(head, struct ec_base, rcu));
}

static void vm_free_rcu(struct rcu_head *head)
{
	struct ec_vm *vm = container_of(head, struct ec_vm, rcu);

	base_free(rcu_dereference_protected(vm->base, true));
	object_free(vm);
}

/* Under ec_lock: nobody finds @vm or its vCPUs any more. */
static void vm_unlink(struct ec_vm *vm)
{
	struct ec_vcpu *v;

	list_for_each_entry(v, &vm->vcpus, vm_node)
		hash_del_rcu(&v->hnode);
	hash_del_rcu(&vm->hnode);
	list_del_rcu(&vm->node);
}

/* Once per VM, not per vCPU: no CPU's cache may keep a vCPU of @vm. */
static void vm_uncache(const struct ec_vm *vm)
{
	struct ec_vcpu *v;
	int cpu;

	for_each_possible_cpu(cpu) {
		v = READ_ONCE(*per_cpu_ptr(&ec_last, cpu));
		if (v->vm == vm)
			cmpxchg(per_cpu_ptr(&ec_last, cpu), v, &ec_no_vcpu);
	}
}

static void vm_free(struct ec_vm *vm)
{
	struct ec_vcpu *v;

	vm_uncache(vm);
	list_for_each_entry(v, &vm->vcpus, vm_node)
		call_rcu(&v->rcu, vcpu_free_rcu);
	call_rcu(&vm->rcu, vm_free_rcu);
}

void ec_forget_vm(struct kvm *kvm)
{
	unsigned long flags;
	struct ec_vm *vm;

	raw_spin_lock_irqsave(&ec_lock, flags);
	vm = vm_find(kvm);
	if (vm)
		vm_unlink(vm);
	raw_spin_unlock_irqrestore(&ec_lock, flags);
	if (vm)
		vm_free(vm);
}

static void stats_read(struct ec_stats *sum, const struct ec_stats *s)
{
	sum->count += READ_ONCE(s->count);
	sum->cycles += READ_ONCE(s->cycles);
}

static void stats_sub(struct ec_stats *s, const struct ec_stats *base)
{
	s->count -= base->count;
	s->cycles -= base->cycles;
}

/* @slot of a counter array with its total beside it. */
static const struct ec_stats *pick(const struct ec_stats *total,
				   const struct ec_slot *slots, int slot)
{
	return slot == EC_SLOT_TOTAL ? total : &slots[slot].s;
}

/* A vCPU keeps no total: the sum of its slots (a VM's own size). */
static void vcpu_read(const struct ec_vcpu *v, int slot, struct ec_stats *out)
{
	unsigned int i;

	if (slot != EC_SLOT_TOTAL) {
		stats_read(out, &v->slots[slot].s);
		return;
	}
	for (i = 0; i < nr_slots(); i++)
		stats_read(out, &v->slots[i].s);
}

static void sum_slot(const struct ec_vm *vm, int slot, struct ec_stats *out)
{
	const struct ec_host_cpu *h;
	const struct ec_vcpu *v;
	int cpu;

	*out = (struct ec_stats){ 0 };
	if (vm) {
		list_for_each_entry_rcu(v, &vm->vcpus, vm_node)
			vcpu_read(v, slot, out);
		return;
	}
	for_each_possible_cpu(cpu) {
		h = per_cpu_ptr(ec_host, cpu);
		stats_read(out, pick(&h->total, h->slots, slot));
	}
}

/* Add @h, published by its exit path (or NULL: no exit yet), to @sum. */
static void hist_read(struct ec_hist *sum, const struct ec_hist *h)
{
	unsigned int b;

	if (!h)
		return;
	for (b = 0; b < EC_HIST_BUCKETS; b++)
		sum->bucket[b] += READ_ONCE(h->bucket[b]);
}

/* The VM's vCPUs' histograms of @slot, or the host CPUs'. */
static void sum_hist(const struct ec_vm *vm, unsigned int slot,
		     struct ec_hist *out)
{
	const struct ec_host_cpu *h;
	const struct ec_vcpu *v;
	int cpu;

	memset(out, 0, sizeof(*out));
	if (vm) {
		list_for_each_entry_rcu(v, &vm->vcpus, vm_node) {
			/* Pairs with ec_hist_take(): the block is zeroed. */
			hist_read(out, smp_load_acquire(&v->slots[slot].hist));
		}
		return;
	}
	for_each_possible_cpu(cpu) {
		h = per_cpu_ptr(ec_host, cpu);
		/* Pairs with ec_host_hist_install(). */
		hist_read(out, smp_load_acquire(&h->slots[slot].hist));
	}
}

static struct ec_base __rcu **base_of(struct ec_vm *vm)
{
	return vm ? &vm->base : &ec_host_base;
}

/*
 * Under RCU: the base of @vm (NULL: the host), read before any sum.
 * Counters only grow, so sums read after a reset's base are at least
 * that base.
 */
static const struct ec_base *base_get(const struct ec_vm *vm)
{
	const struct ec_base *base = rcu_dereference(*base_of((struct ec_vm *)vm));

	smp_rmb();	/* the base, then the counters */
	return base;
}

void ec_read(const struct ec_vm *vm, int slot, struct ec_stats *out)
{
	const struct ec_base *base;

	rcu_read_lock();
	base = base_get(vm);
	sum_slot(vm, slot, out);
	if (base)
		stats_sub(out, pick(&base->total, base->slots, slot));
	rcu_read_unlock();
}

/* Under RCU: @slot's histogram since @base (NULL: since load). */
static void hist_since(const struct ec_vm *vm, const struct ec_base *base,
		       unsigned int slot, struct ec_hist *out)
{
	const struct ec_hist *b = base ? base->slots[slot].hist : NULL;
	unsigned int i;

	sum_hist(vm, slot, out);
	for (i = 0; b && i < EC_HIST_BUCKETS; i++)
		out->bucket[i] -= b->bucket[i];
}

void ec_read_hist(const struct ec_vm *vm, unsigned int slot,
		  struct ec_hist *out)
{
	rcu_read_lock();
	hist_since(vm, base_get(vm), slot, out);
	rcu_read_unlock();
}

/* Every slot and the total of @vm (NULL: host) into @out, raw sums. */
static void sum_all(const struct ec_vm *vm, struct ec_base *out)
{
	int slot;

	sum_slot(vm, EC_SLOT_TOTAL, &out->total);
	for (slot = 0; slot < nr_slots(); slot++)
		sum_slot(vm, slot, &out->slots[slot].s);
}

/* Since the last reset: raw sums less the base; no histograms. */
static const struct ec_base *snapshot(const struct ec_vm *vm,
				      struct ec_base *out)
{
	const struct ec_base *base;
	int slot;

	base = base_get(vm);
	sum_all(vm, out);
	if (!base)
		return NULL;
	stats_sub(&out->total, &base->total);
	for (slot = 0; slot < nr_slots(); slot++)
		stats_sub(&out->slots[slot].s, &base->slots[slot].s);
	return base;
}

/* "reason N NAME" of slot @i, after @who. */
static void show_reason(struct seq_file *m, const char *who, unsigned int i)
{
	const struct ec_isa_table *t = ec_kvm.table;

	if (i == ec_other_slot(t))
		seq_printf(m, "%s reason - other", who);
	else
		seq_printf(m, "%s reason %u %s", who, ec_slot_nr(t, i),
			   t->names[i] ?: "undefined");
}

/* The total line is the sum of the reason lines, read at the same time. */
static void show_stats(struct seq_file *m, const char *who,
		       const struct ec_base *s)
{
	struct ec_stats total = { 0 };
	unsigned int i;

	for (i = 0; i < nr_slots(); i++)
		stats_read(&total, &s->slots[i].s);
	seq_printf(m, "%s exits %llu cycles %llu\n", who, total.count,
		   total.cycles);
	for (i = 0; i < nr_slots(); i++) {
		if (!s->slots[i].s.count)
			continue;
		show_reason(m, who, i);
		seq_printf(m, " exits %llu cycles %llu\n", s->slots[i].s.count,
			   s->slots[i].s.cycles);
	}
}

/*
 * Under RCU: each reason of @vm (NULL: host) with exits, its count and
 * its buckets, read after the count: their sum is the count less the
 * exits then in progress.
 */
static void show_hists(struct seq_file *m, const char *who,
		       const struct ec_vm *vm, struct ec_base *s)
{
	const struct ec_base *base = snapshot(vm, s);
	struct ec_hist h;
	unsigned int i, b;

	for (i = 0; i < nr_slots(); i++) {
		if (!s->slots[i].s.count)
			continue;
		hist_since(vm, base, i, &h);
		show_reason(m, who, i);
		seq_printf(m, " exits %llu buckets", s->slots[i].s.count);
		for (b = 0; b < EC_HIST_BUCKETS; b++)
			seq_printf(m, " %llu", h.bucket[b]);
		seq_putc(m, '\n');
	}
}

static u64 vm_nested(const struct ec_vm *vm)
{
	const struct ec_vcpu *v;
	u64 n = 0;

	list_for_each_entry_rcu(v, &vm->vcpus, vm_node)
		n += READ_ONCE(v->nested);
	return n;
}

/* Under RCU: the counts of @vm (NULL: host), and its nested exits. */
static void show_counts(struct seq_file *m, const char *who,
			const struct ec_vm *vm, struct ec_base *s)
{
	snapshot(vm, s);
	show_stats(m, who, s);
	if (vm)
		seq_printf(m, "%s nested exits %llu\n", who, vm_nested(vm));
}

static struct ec_base *base_alloc(gfp_t gfp)
{
	return kzalloc(sizeof(struct ec_base) + slots_size(), gfp);
}

/*
 * Every VM's lines, then the host's ("all"), each after @prefix, by @show,
 * into buffer @s.
 */
static void show_each(struct seq_file *m, struct ec_base *s,
		      const char *prefix,
		      void (*show)(struct seq_file *m, const char *who,
				   const struct ec_vm *vm, struct ec_base *s))
{
	const struct ec_vm *vm;
	char who[48];

	rcu_read_lock();
	list_for_each_entry_rcu(vm, &ec_vm_list, node) {
		snprintf(who, sizeof(who), "%svm %u pid %d", prefix, vm->id,
			 vm->pid);
		show(m, who, vm, s);
	}
	snprintf(who, sizeof(who), "%sall", prefix);
	show(m, who, NULL, s);
	rcu_read_unlock();
}

void ec_show(struct seq_file *m)
{
	struct ec_base *s = base_alloc(GFP_KERNEL);

	if (!s)
		return;
	seq_printf(m, "objects %d\nlost %lld\n", atomic_read(&ec_objects),
		   (long long)atomic64_read(&ec_lost));
	show_each(m, s, "", show_counts);
	kfree(s);
}

void ec_show_hist(struct seq_file *m)
{
	struct ec_base *s = base_alloc(GFP_KERNEL);

	if (!s)
		return;
	seq_printf(m, "hist buckets %u first %u\nhist allocated vm %d host %d\n",
		   EC_HIST_BUCKETS, EC_HIST_FIRST_SHIFT,
		   atomic_read(&ec_vm_hists), atomic_read(&ec_host_hists));
	show_each(m, s, "hist ", show_hists);
	kfree(s);
}

/*
 * Under ec_reset_lock and RCU: @vm's (NULL: the host's) base is now.
 * Histograms only for the reasons with exits: a few small allocations.
 */
static int rebase(struct ec_vm *vm)
{
	struct ec_base *base = base_alloc(GFP_ATOMIC);
	unsigned int i;

	if (!base)
		return -ENOMEM;
	sum_all(vm, base);
	for (i = 0; i < nr_slots(); i++) {
		if (!base->slots[i].s.count)
			continue;
		base->slots[i].hist = kmalloc(sizeof(*base->slots[i].hist),
					      GFP_ATOMIC);
		if (!base->slots[i].hist)
			goto err_free_base;
		sum_hist(vm, i, base->slots[i].hist);
	}
	base = rcu_replace_pointer(*base_of(vm), base,
				   lockdep_is_held(&ec_reset_lock));
	if (base)
		call_rcu(&base->rcu, base_free_rcu);
	return 0;

err_free_base:
	base_free(base);
	return -ENOMEM;
}

int ec_reset(void)
{
	struct ec_vm *vm;
	int ret;

	mutex_lock(&ec_reset_lock);
	rcu_read_lock();
	ret = rebase(NULL);
	list_for_each_entry_rcu(vm, &ec_vm_list, node)
		ret = ret ?: rebase(vm);
	rcu_read_unlock();
	mutex_unlock(&ec_reset_lock);
	return ret;
}

int ec_counters_init(void)
{
	int cpu;

	/*
	 * Set here, before any hook can run: a module's per-CPU initialiser
	 * left the pointer NULL on 6.1.
	 */
	for_each_possible_cpu(cpu)
		per_cpu(ec_last, cpu) = &ec_no_vcpu;
	ec_host = __alloc_percpu(sizeof(struct ec_host_cpu) + slots_size(),
				 __alignof__(struct ec_host_cpu));
	if (!ec_host)
		return -ENOMEM;
	ec_vcpu_pool.size = sizeof(struct ec_vcpu) + slots_size();
	ec_vm_pool.size = sizeof(struct ec_vm);
	ec_hist_pool.size = sizeof(struct ec_hist);
	if (pool_fill(&ec_vcpu_pool) && pool_fill(&ec_vm_pool) &&
	    pool_fill(&ec_hist_pool))
		return 0;
	pool_drain(&ec_vcpu_pool);
	pool_drain(&ec_vm_pool);
	pool_drain(&ec_hist_pool);
	free_percpu(ec_host);
	return -ENOMEM;
}

/* Called once no hook can run any more. */
void ec_counters_exit(void)
{
	unsigned long flags;
	struct ec_vm *vm;
	int cpu;

	do {
		raw_spin_lock_irqsave(&ec_lock, flags);
		vm = list_first_entry_or_null(&ec_vm_list, struct ec_vm, node);
		if (vm)
			vm_unlink(vm);
		raw_spin_unlock_irqrestore(&ec_lock, flags);
		if (vm)
			vm_free(vm);
	} while (vm);
	rcu_barrier();
	WARN_ON(atomic_read(&ec_objects) || atomic_read(&ec_vm_hists));
	cancel_work_sync(&ec_refill);
	pool_drain(&ec_vcpu_pool);
	pool_drain(&ec_vm_pool);
	pool_drain(&ec_hist_pool);
	base_free(rcu_dereference_protected(ec_host_base, true));
	for_each_possible_cpu(cpu)
		hists_free(per_cpu_ptr(ec_host, cpu)->slots, NULL);
	free_percpu(ec_host);
}
