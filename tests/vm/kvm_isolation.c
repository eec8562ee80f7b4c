// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_isolation: with scope=vm, can a guest see another VM's exits?
 *
 * Two VMs at once. B, on a thread of its own, exits without a pause (OUT,
 * CPUID, RDMSR, HLT), so it has plenty of exits of reasons A never takes
 * (I/O and MSR reads) and many more CPUIDs than A. A, on the main thread,
 * does only CPUID and HLT, and sweeps every leaf and subleaf of the
 * protocol in one guest run: 0x4FFFFFFF; 0x4FFFFFFE and 0x4FFFFFFD for
 * every reason number from 0 to past the highest one and some far beyond;
 * 0x4FFFFFFC/0, 1, 2; the bitmaps 0x4FFFFFFC/0x100+k and 0x200+k, and the
 * first k past them. Each answer must follow from A's own exits alone:
 * the kvm:kvm_exit events of A's thread just before and just after the
 * sweep bound every count (the CPUID count is exact: the sweep's own
 * CPUIDs), so a count that took in any of B's exits is out of bounds.
 * A's I/O and MSR counts, cycles and bitmap bits stay 0 all along while
 * B's grow (B reads its own: they are there). A sweeps three times while
 * B runs and once after it stopped; the host view then shows each VM's
 * own exits. Run with scope=vm and no other VM.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm_util.h"

#define REF_LEAF 0x4FFFFFF0u
#define SWEEPS_WHILE_B_RUNS 3

static const struct ec_isa_table *t;
static int8_t *handled;		/* by slot, from the host view */
static uint32_t kmax;		/* last bitmap subleaf index */

/* --------------------------------------------------------------- B */

struct vm_b {
	struct kvm_vm *vm;
	pid_t tid;
	atomic_bool stop;
	atomic_uint mixes;
	/* B's own reads, at the end */
	uint32_t io, msr, active_io_bit, active_msr_bit;
	pthread_t thread;
};

static bool bitmap_bit(struct kvm_vcpu *v, uint32_t nr, uint32_t base)
{
	uint32_t r[EC_NR_REGS], i = nr % EC_BITMAP_REASONS;

	guest_cpuid(v, EC_LEAF_INFO, base + nr / EC_BITMAP_REASONS, r, NULL);
	return r[i / 32] >> (i % 32) & 1;
}

static void *b_run(void *arg)
{
	static const struct exit_mix mix = { .outs = 20, .cpuids = 100, .hlts = 3,
					     .rdmsrs = 20 };
	struct vm_b *b = arg;
	struct kvm_vcpu *v = b->vm->vcpu;
	uint32_t r[EC_NR_REGS];

	b->tid = thread_id();
	while (!atomic_load(&b->stop)) {
		vcpu_exit_mix(v, &mix);
		atomic_fetch_add(&b->mixes, 1);
	}
	guest_cpuid(v, EC_LEAF_COUNT, reason_nr(t, io_reason_name(t)), r, NULL);
	b->io = r[EC_EAX];
	guest_cpuid(v, EC_LEAF_COUNT, reason_nr(t, rdmsr_reason_name(t)), r, NULL);
	b->msr = r[EC_EAX];
	b->active_io_bit = bitmap_bit(v, reason_nr(t, io_reason_name(t)), EC_INFO_ACTIVE);
	b->active_msr_bit = bitmap_bit(v, reason_nr(t, rdmsr_reason_name(t)), EC_INFO_ACTIVE);
	return NULL;
}

/* ----------------------------------------------------------- sweeps */

enum kind { K_TOTAL, K_COUNT, K_DETAIL, K_INFO, K_HANDLED, K_ACTIVE, K_STOCK, K_B_ONLY,
	    NR_KINDS };
static const char *const kind_desc[NR_KINDS] = {
	[K_TOTAL] = "0x4FFFFFFF total within A's own exits",
	[K_COUNT] = "0x4FFFFFFE every reason: undefined/unhandled rules, counts within A's own",
	[K_DETAIL] = "0x4FFFFFFD every reason: rules, count hi 0, no cycles without A's own exits",
	[K_INFO] = "0x4FFFFFFC/0, 1, 2: signature, host info (scope VM), total hi 0",
	[K_HANDLED] = "0x4FFFFFFC/0x100+k: the handled file's bits",
	[K_ACTIVE] = "0x4FFFFFFC/0x200+k: bits only for reasons A itself took",
	[K_STOCK] = "0x4FFFFFFC past the last bitmap subleaf: KVM's own answer",
	[K_B_ONLY] = "I/O and MSR read (B's reasons, never A's): counts, cycles, bits all 0",
};

static struct cpuid_entry *sweep;	/* in A's guest memory */
static uint32_t nr_entries;
static uint32_t stock_ref[2];	/* indices of the REF_LEAF entries */

static void add(uint32_t leaf, uint32_t subleaf)
{
	sweep[nr_entries].leaf = leaf;
	sweep[nr_entries].subleaf = subleaf;
	nr_entries++;
}

static void build_sweep(struct kvm_vm *a)
{
	static const uint32_t far[] = { 0x1000, 0x10000, 0x7FFFFFFF, 0x80000000u,
					0xFFFFFFFEu, 0xFFFFFFFFu };
	uint32_t nr, k, max_entries = GUEST_DATA_SIZE / sizeof(struct cpuid_entry);
	unsigned int i;

	sweep = vm_gpa(a, GUEST_DATA_GPA);
	nr_entries = 0;
	add(EC_LEAF_TOTAL, 0);
	for (nr = 0; nr <= t->max_nr + 1; nr++) {
		add(EC_LEAF_COUNT, nr);
		add(EC_LEAF_DETAIL, nr);
	}
	for (i = 0; i < sizeof(far) / sizeof(far[0]); i++) {
		add(EC_LEAF_COUNT, far[i]);
		add(EC_LEAF_DETAIL, far[i]);
	}
	add(EC_LEAF_INFO, EC_INFO_SIGNATURE);
	add(EC_LEAF_INFO, EC_INFO_HOST);
	add(EC_LEAF_INFO, EC_INFO_TOTAL_HI);
	for (k = 0; k <= kmax + 1; k++) {
		add(EC_LEAF_INFO, EC_INFO_HANDLED + k);
		add(EC_LEAF_INFO, EC_INFO_ACTIVE + k);
	}
	stock_ref[0] = nr_entries;
	add(REF_LEAF, EC_INFO_HANDLED + kmax + 1);
	stock_ref[1] = nr_entries;
	add(REF_LEAF, EC_INFO_ACTIVE + kmax + 1);
	add(EC_LEAF_TOTAL, 0);
	errno = 0;
	TEST_ASSERT(nr_entries <= max_entries, "sweep of %u entries", nr_entries);
}

struct bounds {
	uint64_t *lo, *hi;	/* by slot: A's trace events before, after */
	uint64_t total_lo, total_hi;
	uint64_t cpuid0;	/* A's CPUIDs before the sweep */
};

static unsigned int bad[NR_KINDS];

static void bad_entry(enum kind k, const struct cpuid_entry *e, const char *why)
{
	if (bad[k]++ < 4)
		tap_diag("0x%08X/0x%x -> %08x %08x %08x %08x: %s", e->leaf, e->subleaf,
			 e->out[EC_EAX], e->out[EC_EBX], e->out[EC_ECX], e->out[EC_EDX], why);
}

static bool regs_are(const struct cpuid_entry *e, uint32_t a, uint32_t b, uint32_t c,
		     uint32_t d)
{
	return e->out[EC_EAX] == a && e->out[EC_EBX] == b && e->out[EC_ECX] == c &&
	       e->out[EC_EDX] == d;
}

static bool b_only_slot(unsigned int slot)
{
	return slot == ec_slot(t, reason_nr(t, io_reason_name(t))) ||
	       slot == ec_slot(t, reason_nr(t, rdmsr_reason_name(t)));
}

/* 0x4FFFFFFE and 0x4FFFFFFD for reason e->subleaf; entry @j of the sweep. */
static void check_reason(const struct cpuid_entry *e, uint32_t j, const struct bounds *b)
{
	bool count = e->leaf == EC_LEAF_COUNT;
	enum kind k = count ? K_COUNT : K_DETAIL;
	unsigned int slot = ec_slot(t, e->subleaf);
	unsigned int cpuid_slot = ec_slot(t, reason_nr(t, "CPUID"));
	uint64_t lo, hi;

	if (slot == ec_other_slot(t) || !t->names[slot]) {
		if (!regs_are(e, 0, 0, 0, EC_STATUS_UNDEFINED))
			bad_entry(k, e, "undefined reason: want 0,0,0,0xFFFFFFFF");
		return;
	}
	if (handled[slot] != 1) {
		if (!regs_are(e, 0, 0, 0, 0))
			bad_entry(k, e, "reason KVM does not handle: want 0,0,0,0");
		return;
	}
	lo = b->lo[slot];
	hi = b->hi[slot];
	if (slot == cpuid_slot)
		lo = hi = b->cpuid0 + j + 1;	/* this very CPUID included */
	if (count) {
		uint64_t n = e->out[EC_EAX];

		if (e->out[EC_EBX] || e->out[EC_ECX] || e->out[EC_EDX])
			bad_entry(k, e, "EBX, ECX, EDX must be 0");
		if (n < (uint32_t)lo || n > (uint32_t)hi) {
			char why[128];

			snprintf(why, sizeof(why), "count not within A's own %llu..%llu",
				 (unsigned long long)lo, (unsigned long long)hi);
			bad_entry(k, e, why);
		}
	} else {
		if (e->out[EC_EAX] || e->out[EC_EDX])
			bad_entry(k, e, "count hi and status must be 0");
		if (!hi && (e->out[EC_EBX] || e->out[EC_ECX]))
			bad_entry(k, e, "cycles of a reason A never exited for");
	}
	if (b_only_slot(slot) && !regs_are(e, 0, 0, 0, 0))
		bad_entry(K_B_ONLY, e, "A never exits for this reason, B does");
}

static void check_bitmap(const struct cpuid_entry *e, const struct bounds *b)
{
	bool active = e->subleaf >= EC_INFO_ACTIVE;
	uint32_t k = e->subleaf - (active ? EC_INFO_ACTIVE : EC_INFO_HANDLED), i;
	unsigned int cpuid_slot = ec_slot(t, reason_nr(t, "CPUID"));

	for (i = 0; i < EC_BITMAP_REASONS; i++) {
		uint32_t nr = k * EC_BITMAP_REASONS + i;
		unsigned int slot = ec_slot(t, nr);
		bool bit = e->out[i / 32] >> (i % 32) & 1;
		bool defined = slot != ec_other_slot(t) && t->names[slot];
		bool h = defined && handled[slot] == 1;
		char why[96];

		if (!active) {
			if (bit != h) {
				snprintf(why, sizeof(why), "reason %u: bit %d, handled file says %d",
					 nr, bit, h);
				bad_entry(K_HANDLED, e, why);
			}
			continue;
		}
		/* active: set iff handled and A's count > 0 at that moment */
		if (bit && !(h && (slot == cpuid_slot || b->hi[slot] > 0))) {
			snprintf(why, sizeof(why), "reason %u: bit set, A had no such exit", nr);
			bad_entry(K_ACTIVE, e, why);
		}
		if (!bit && h && (slot == cpuid_slot || b->lo[slot] > 0)) {
			snprintf(why, sizeof(why), "reason %u: bit clear, A had such exits", nr);
			bad_entry(K_ACTIVE, e, why);
		}
		if (b_only_slot(slot) && bit)
			bad_entry(K_B_ONLY, e, "bit of a reason only B exits for");
	}
}

static void check_sweep(const struct bounds *b, uint32_t tsc_khz)
{
	uint32_t j;

	for (j = 0; j < nr_entries; j++) {
		const struct cpuid_entry *e = &sweep[j];

		switch (e->leaf) {
		case EC_LEAF_TOTAL: {
			/* all of A's exits up to this CPUID; not its later ones */
			uint64_t lo = b->total_lo + j + 1;
			uint64_t hi = b->total_hi - (nr_entries - j - 1) - 1;

			if (e->out[EC_EAX] < (uint32_t)lo || e->out[EC_EAX] > (uint32_t)hi ||
			    e->out[EC_EDX])
				bad_entry(K_TOTAL, e, "total not within A's own exits, or EDX != 0");
			break;
		}
		case EC_LEAF_COUNT:
		case EC_LEAF_DETAIL:
			check_reason(e, j, b);
			break;
		case EC_LEAF_INFO:
			if (e->subleaf == EC_INFO_SIGNATURE) {
				if (!regs_are(e, EC_ABI_VERSION, EC_SIGNATURE_EBX,
					      EC_SIGNATURE_ECX, EC_SIGNATURE_EDX))
					bad_entry(K_INFO, e, "signature");
			} else if (e->subleaf == EC_INFO_HOST) {
				if (!regs_are(e, t->isa, EC_SCOPE_VM, tsc_khz, t->max_nr) ||
				    !tsc_khz)
					bad_entry(K_INFO, e, "host info: ISA, scope VM, TSC kHz, max");
			} else if (e->subleaf == EC_INFO_TOTAL_HI) {
				if (!regs_are(e, 0, EC_HIST_BUCKETS, EC_HIST_FIRST_SHIFT, 0))
					bad_entry(K_INFO, e, "total hi");
			} else if ((e->subleaf & 0xFF) <= kmax) {
				check_bitmap(e, b);
			} else {
				const struct cpuid_entry *ref =
					&sweep[stock_ref[e->subleaf >= EC_INFO_ACTIVE]];

				if (memcmp(e->out, ref->out, sizeof(e->out)) != 0)
					bad_entry(K_STOCK, e, "differs from leaf 0x4FFFFFF0, same subleaf");
			}
			break;
		}
	}
}

/* ------------------------------------------------------------- main */

static void hist_a(pid_t tid, struct exit_hist *h, uint64_t *by_slot, uint64_t *total)
{
	int err = exit_hist_tasks_read(t, &tid, 1, h);

	TEST_ASSERT(!err, "read the kvm:kvm_exit histogram");
	memcpy(by_slot, h->by_slot, t->nr_slots * sizeof(uint64_t));
	*total = h->total;
}

static void run_sweep(struct kvm_vm *a, pid_t a_tid, struct exit_hist *h,
		      struct bounds *b, const char *when, uint32_t tsc_khz)
{
	uint32_t j, n_b_only = 0;
	enum kind k;

	hist_a(a_tid, h, b->lo, &b->total_lo);
	b->cpuid0 = a->vcpu->exits_cpuid;
	memset(bad, 0, sizeof(bad));
	guest_cpuid_table(a->vcpu, GUEST_DATA_GPA, nr_entries);
	hist_a(a_tid, h, b->hi, &b->total_hi);
	check_sweep(b, tsc_khz);
	for (j = 0; j < nr_entries; j++)
		if ((sweep[j].leaf == EC_LEAF_COUNT || sweep[j].leaf == EC_LEAF_DETAIL) &&
		    sweep[j].subleaf < 0x1000 && b_only_slot(ec_slot(t, sweep[j].subleaf)))
			n_b_only++;
	CHECK_EQ(n_b_only, 4, "%s: the sweep read A's I/O and MSR counts (4 answers)", when);
	for (k = 0; k < NR_KINDS; k++)
		CHECK_EQ(bad[k], 0, "%s: %s", when, kind_desc[k]);
}

int main(void)
{
	static const struct exit_mix a_mix = { .cpuids = 50, .hlts = 5 };
	struct hostview *hv = calloc(1, sizeof(*hv));
	uint64_t *ex = NULL, *cy = NULL;
	struct bounds b = { 0 };
	struct exit_hist h, hb;
	uint32_t r[EC_NR_REGS], tsc_khz;
	struct vm_b vb = { 0 };
	struct kvm_vm *a;
	pid_t a_tid = thread_id();
	char when[64];
	int i, n, bad_lines;

	tap_init("kvm_isolation");
	TEST_ASSERT(hv, "calloc");
	t = ec_table_for_isa(host_cpu_isa());
	errno = 0;
	TEST_ASSERT(t, "host CPU is neither AMD nor Intel");
	kmax = t->max_nr / EC_BITMAP_REASONS;
	handled = malloc(t->nr_slots);
	b.lo = calloc(t->nr_slots, sizeof(uint64_t));
	b.hi = calloc(t->nr_slots, sizeof(uint64_t));
	h.by_slot = calloc(t->nr_slots, sizeof(uint64_t));
	hb.by_slot = calloc(t->nr_slots, sizeof(uint64_t));
	ex = calloc(t->nr_slots, sizeof(uint64_t));
	cy = calloc(t->nr_slots, sizeof(uint64_t));
	TEST_ASSERT(handled && b.lo && b.hi && h.by_slot && hb.by_slot && ex && cy, "calloc");
	n = handled_read(t, handled, &bad_lines);
	CHECK(n > 0 && !bad_lines, "read the handled lines of %s (%d lines)", HOSTVIEW_DEV, n);
	CHECK_EQ(exit_hist_tasks_start(), 0, "hist trigger on kvm:kvm_exit keyed by thread");

	a = vm_create();
	vcpu_exit_mix(a->vcpu, &a_mix);
	guest_cpuid(a->vcpu, EC_LEAF_INFO, EC_INFO_HOST, r, NULL);
	CHECK_EQ(r[EC_EBX], EC_SCOPE_VM, "0x4FFFFFFC/1: scope VM (run with scope=vm)");
	tsc_khz = r[EC_ECX];
	build_sweep(a);
	tap_diag("sweep: %u CPUIDs per run", nr_entries);

	vb.vm = vm_create();
	TEST_ASSERT(!pthread_create(&vb.thread, NULL, b_run, &vb), "pthread_create");
	while (atomic_load(&vb.mixes) < 2)
		usleep(1000);
	for (i = 0; i < SWEEPS_WHILE_B_RUNS; i++) {
		unsigned int m = atomic_load(&vb.mixes);

		snprintf(when, sizeof(when), "sweep %d, B running", i + 1);
		run_sweep(a, a_tid, &h, &b, when, tsc_khz);
		/* let B exit more between sweeps */
		while (atomic_load(&vb.mixes) < m + 2)
			usleep(1000);
	}
	atomic_store(&vb.stop, true);
	pthread_join(vb.thread, NULL);
	run_sweep(a, a_tid, &h, &b, "sweep 4, B stopped", tsc_khz);

	tap_diag("B: %u mixes; its own reads: I/O %u, MSR %u", atomic_load(&vb.mixes), vb.io,
		 vb.msr);
	/* B's exits are there, for B: A's zeros above are not an accident. */
	CHECK(vb.io == vb.vm->vcpu->exits_io && vb.io > 0 &&
	      vb.msr == vb.vm->vcpu->exits_msr && vb.active_io_bit && vb.active_msr_bit,
	      "B reads its own %u I/O and %u MSR read exits, and their active bits", vb.io,
	      vb.msr);

	/* The host view: each VM its own exits, as the trace saw them. */
	CHECK_EQ(hostview_read(hv), 0, "read %s", HOSTVIEW_DEV);
	hostview_vm_of_pid(hv, getpid(), &n);
	CHECK_EQ(n, 2, "host view: two VMs of pid %d", (int)getpid());
	for (i = 0; i < hv->nr_vms && n == 2; i++) {
		bool is_a;
		unsigned int s, diff = 0;

		hv_set_by_slot(t, &hv->vms[i].s, ex, cy);
		is_a = ex[ec_slot(t, reason_nr(t, io_reason_name(t)))] == 0;
		TEST_ASSERT(!exit_hist_tasks_read(t, is_a ? &a_tid : &vb.tid, 1, &hb),
			    "read the histogram");
		for (s = 0; s < t->nr_slots; s++)
			diff += ex[s] != hb.by_slot[s];
		CHECK(diff == 0 && hv->vms[i].s.exits == hb.total,
		      "host view: VM %s's line = its own thread's kvm:kvm_exit events (%u reasons differ)",
		      is_a ? "A" : "B", diff);
	}
	vm_destroy(vb.vm);
	vm_destroy(a);
	CHECK_EQ(exit_hist_tasks_stop(), 0, "remove the hist trigger");
	free(ex);
	free(cy);
	free(hb.by_slot);
	free(h.by_slot);
	free(b.hi);
	free(b.lo);
	free(hv);
	free(handled);
	return tap_finish();
}
