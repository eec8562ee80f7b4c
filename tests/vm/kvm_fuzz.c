// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_fuzz: random CPUID leaves and subleaves in 0x4FFFFF00-0x4FFFFFFF.
 *
 *   kvm_fuzz --sample=FILE [--n=N] [--seed=S]         module loaded (scope=vm)
 *   kvm_fuzz --sample=FILE --expect=absent            module not loaded
 *
 * Loaded: the guest draws N (leaf, subleaf) pairs from a xorshift32
 * generator in guest code and executes CPUID for each, in batches of
 * 4096 per guest run: half the leaves among the protocol's four
 * (0x4FFFFFFC-F), the rest anywhere in 0x4FFFFF00-FF; each ECX a random
 * 32-bit value shifted right by a random 0-31 bits, so that huge values
 * and small ones (defined reasons, the info subleaves) all come up, or,
 * one time in eight, a random one of 0x100-0x107 and 0x200-0x207 (the
 * bitmap subleaves and, past the highest reason, subleaves left to KVM)
 * or a histogram subleaf 0x01000000 + (reason << 8) + g, reason
 * 0-0x7ff, g 0-15 (9-15 left to KVM). Every answer to a protocol leaf is checked against the rules
 * (include/exitcount/protocol.h): undefined reason -> 0,0,0,0xFFFFFFFF;
 * defined but not handled (the host view's handled file) -> 0,0,0,0;
 * counts exact for CPUID and HLT and within this vCPU's kvm:kvm_exit
 * events for the rest; counts' high halves 0; cycles never going back;
 * signature, host info, bitmaps as defined; histogram buckets with no
 * shift and within the reason's exits (less this query's own); other subleaves of
 * 0x4FFFFFFC left to KVM. Every answer KVM gives (leaves outside the four,
 * or subleaves outside the protocol) and every 8th protocol answer go to
 * FILE.
 * Absent (after rmmod): FILE is replayed. Each answer KVM gave with the
 * module loaded must be the same now; each protocol leaf must now get
 * KVM's own answer: that of leaf 0x4FFFFFF0 for the same subleaf (KVM
 * has no entry in 0x4FFFFFxx, so its answer depends on the subleaf only).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"

#define BATCH 4096u
#define REF_LEAF 0x4FFFFFF0u
#define SAMPLE_EVERY 8

/* ESI the table, EDI how many, EBP the generator's state (nonzero). */
DEFINE_GUEST_FN(guest_fuzz,
	"1:\n"
	"\tmov %ebp, %eax\n"
	"\tshl $13, %eax\n"
	"\txor %eax, %ebp\n"
	"\tmov %ebp, %eax\n"
	"\tshr $17, %eax\n"
	"\txor %eax, %ebp\n"
	"\tmov %ebp, %eax\n"
	"\tshl $5, %eax\n"
	"\txor %eax, %ebp\n"
	"\tmov %ebp, %eax\n"
	"\ttest $0x100, %eax\n"
	"\tjz 2f\n"
	"\tand $3, %eax\n"
	"\tadd $0x4ffffffc, %eax\n"	/* one of the protocol's leaves */
	"\tjmp 3f\n"
	"2:\n"
	"\tand $0xff, %eax\n"
	"\tor $0x4fffff00, %eax\n"	/* anywhere in 0x4FFFFF00-FF */
	"3:\n"
	"\tmov %eax, 0(%esi)\n"
	"\tmov %ebp, %ebx\n"		/* r1: leaf, shift, window */
	"\tmov %ebx, %ecx\n"
	"\tshr $9, %ecx\n"
	"\tand $31, %ecx\n"		/* shift count */
	"\tmov %ebp, %edx\n"		/* r2 */
	"\tshl $13, %edx\n"
	"\txor %edx, %ebp\n"
	"\tmov %ebp, %edx\n"
	"\tshr $17, %edx\n"
	"\txor %edx, %ebp\n"
	"\tmov %ebp, %edx\n"
	"\tshl $5, %edx\n"
	"\txor %edx, %ebp\n"
	"\tmov %ebp, %edx\n"
	"\tshr %cl, %edx\n"
	"\tmov %edx, %ecx\n"		/* subleaf: r2 >> shift */
	"\tmov %ebx, %edx\n"
	"\tshr $14, %edx\n"
	"\tand $7, %edx\n"
	"\tcmp $7, %edx\n"
	"\tjne 4f\n"			/* 1 in 8: a bitmap window instead, */
	"\ttest $0x40000, %ebx\n"
	"\tjnz 5f\n"			/* or a histogram subleaf */
	"\tmov %ebp, %ecx\n"
	"\tand $7, %ecx\n"
	"\tadd $0x100, %ecx\n"	/* 0x100-0x107 */
	"\ttest $0x20000, %ebx\n"
	"\tjz 4f\n"
	"\tadd $0x100, %ecx\n"	/* 0x200-0x207 */
	"\tjmp 4f\n"
	"5:\n"
	"\tmov %ebp, %ecx\n"
	"\tand $0x7ff0f, %ecx\n"	/* reason 0-0x7ff, group 0-15 */
	"\tor $0x01000000, %ecx\n"
	"4:\n"
	"\tmov %ecx, 4(%esi)\n"
	"\tcpuid\n"
	"\tmov %eax, 8(%esi)\n"
	"\tmov %ebx, 12(%esi)\n"
	"\tmov %ecx, 16(%esi)\n"
	"\tmov %edx, 20(%esi)\n"
	"\tadd $24, %esi\n"
	"\tdec %edi\n"
	"\tjnz 1b\n");

static const struct ec_isa_table *t;
static int8_t *handled;
static uint32_t kmax, tsc_khz;
static unsigned int cpuid_slot, hlt_slot;

/* What the tries covered, and what went wrong, by kind. */
enum kind { K_TOTAL, K_UNDEF, K_UNHANDLED, K_COUNT, K_DETAIL, K_INFO, K_HANDLED, K_ACTIVE,
	    K_HIST, K_KVM, NR_KINDS };
static const char *const kind_desc[NR_KINDS] = {
	[K_TOTAL] = "0x4FFFFFFF: total within this vCPU's exits, EDX 0, cycles never back",
	[K_UNDEF] = "0x4FFFFFFE/D and histograms, undefined reason: 0, 0, 0, 0xFFFFFFFF",
	[K_UNHANDLED] = "0x4FFFFFFE/D and histograms, defined reason KVM does not handle: 0, 0, 0, 0",
	[K_COUNT] = "0x4FFFFFFE, handled reason: exact/bounded count, EBX ECX EDX 0",
	[K_DETAIL] = "0x4FFFFFFD, handled reason: count hi 0, status 0, cycles never back",
	[K_INFO] = "0x4FFFFFFC/0, 1, 2: signature, host info, total hi",
	[K_HANDLED] = "0x4FFFFFFC/0x100+k: the handled file's bits",
	[K_ACTIVE] = "0x4FFFFFFC/0x200+k: bits of the reasons with exits",
	[K_HIST] = "0x4FFFFFFC/0x01000000+, handled reason: buckets within the exits, shift 0",
	[K_KVM] = "KVM's own answers (other leaves, other 0x4FFFFFFC subleaves)",
};
static unsigned long tried[NR_KINDS], bad[NR_KINDS];

static void bad_entry(enum kind k, const struct cpuid_entry *e, const char *why)
{
	if (bad[k]++ < 4)
		tap_diag("0x%08X/0x%08x -> %08x %08x %08x %08x: %s", e->leaf, e->subleaf,
			 e->out[EC_EAX], e->out[EC_EBX], e->out[EC_ECX], e->out[EC_EDX], why);
}

static bool regs_are(const struct cpuid_entry *e, uint32_t a, uint32_t b, uint32_t c,
		     uint32_t d)
{
	return e->out[EC_EAX] == a && e->out[EC_EBX] == b && e->out[EC_ECX] == c &&
	       e->out[EC_EDX] == d;
}

/* Answered by the module (true), or left to KVM. */
static bool is_protocol(uint32_t leaf, uint32_t sub)
{
	if (leaf == EC_LEAF_TOTAL || leaf == EC_LEAF_COUNT || leaf == EC_LEAF_DETAIL)
		return true;
	if (leaf != EC_LEAF_INFO)
		return false;
	if ((sub & ~EC_HIST_FIELDS) == EC_INFO_HIST)
		return (sub & EC_HIST_GROUP_MASK) < EC_HIST_GROUPS;
	return sub <= EC_INFO_TOTAL_HI ||
	       (sub >= EC_INFO_HANDLED && sub < EC_INFO_ACTIVE + 0x100 && (sub & 0xFF) <= kmax);
}

struct bounds {
	uint64_t *lo, *hi;		/* by slot: events before, after the batch */
	uint64_t total_lo, total_hi;
	uint64_t cpuid0, hlt0;		/* tallies before the batch */
	uint32_t n;			/* entries in the batch */
	uint64_t last_total_cycles;
	uint64_t *last_cycles;		/* by slot */
};

/* An undefined or unhandled reason's answer, checked: true if one. */
static bool reason_rules(const struct cpuid_entry *e, unsigned int slot)
{
	if (slot == ec_other_slot(t) || !t->names[slot]) {
		tried[K_UNDEF]++;
		if (!regs_are(e, 0, 0, 0, EC_STATUS_UNDEFINED))
			bad_entry(K_UNDEF, e, "want 0,0,0,0xFFFFFFFF");
		return true;
	}
	if (handled[slot] != 1) {
		tried[K_UNHANDLED]++;
		if (!regs_are(e, 0, 0, 0, 0))
			bad_entry(K_UNHANDLED, e, "want 0,0,0,0");
		return true;
	}
	return false;
}

static void check_reason(const struct cpuid_entry *e, uint32_t j, struct bounds *b)
{
	bool count = e->leaf == EC_LEAF_COUNT;
	unsigned int slot = ec_slot(t, e->subleaf);
	uint64_t lo, hi, cyc;

	if (reason_rules(e, slot))
		return;
	lo = b->lo[slot];
	hi = b->hi[slot];
	if (slot == cpuid_slot)
		lo = hi = b->cpuid0 + j + 1;
	else if (slot == hlt_slot)
		lo = hi = b->hlt0;
	if (count) {
		uint64_t n = e->out[EC_EAX];

		tried[K_COUNT]++;
		if (e->out[EC_EBX] || e->out[EC_ECX] || e->out[EC_EDX] ||
		    n < (uint32_t)lo || n > (uint32_t)hi) {
			char why[96];

			snprintf(why, sizeof(why), "want count %llu..%llu, 0, 0, 0",
				 (unsigned long long)lo, (unsigned long long)hi);
			bad_entry(K_COUNT, e, why);
		}
		return;
	}
	tried[K_DETAIL]++;
	cyc = ec_u64(e->out[EC_EBX], e->out[EC_ECX]);
	if (e->out[EC_EAX] || e->out[EC_EDX])
		bad_entry(K_DETAIL, e, "count hi and status must be 0");
	else if (cyc < b->last_cycles[slot])
		bad_entry(K_DETAIL, e, "cycles went back");
	else if (!hi && cyc)
		bad_entry(K_DETAIL, e, "cycles for a reason this vCPU never exited for");
	b->last_cycles[slot] = cyc;
}

static void check_bitmap(const struct cpuid_entry *e, const struct bounds *b, uint32_t j)
{
	bool active = e->subleaf >= EC_INFO_ACTIVE;
	uint32_t k = e->subleaf & 0xFF, i;
	enum kind kd = active ? K_ACTIVE : K_HANDLED;

	tried[kd]++;
	for (i = 0; i < EC_BITMAP_REASONS; i++) {
		uint32_t nr = k * EC_BITMAP_REASONS + i;
		unsigned int slot = ec_slot(t, nr);
		bool bit = e->out[i / 32] >> (i % 32) & 1;
		bool h = slot != ec_other_slot(t) && t->names[slot] && handled[slot] == 1;
		uint64_t lo = b->lo[slot], hi = b->hi[slot];

		if (slot == cpuid_slot)
			lo = hi = b->cpuid0 + j + 1;
		else if (slot == hlt_slot)
			lo = hi = b->hlt0;
		if (active ? (bit && !(h && hi)) || (!bit && h && lo) : bit != h) {
			char why[64];

			snprintf(why, sizeof(why), "bit of reason %u is %d", nr, bit);
			bad_entry(kd, e, why);
			return;
		}
	}
}

/*
 * A histogram subleaf: the reason rules, then 3 buckets with no shift
 * (too few exits for one) whose sum is within the reason's exits, less
 * this query's own, whose time runs until after its answer.
 */
static void check_hist(const struct cpuid_entry *e, uint32_t j, const struct bounds *b)
{
	unsigned int slot = ec_slot(t, (e->subleaf & EC_HIST_FIELDS) >> EC_HIST_REASON_SHIFT);
	uint64_t hi, sum = (uint64_t)e->out[EC_EAX] + e->out[EC_EBX] + e->out[EC_ECX];

	if (reason_rules(e, slot))
		return;
	tried[K_HIST]++;
	hi = b->hi[slot];
	if (slot == cpuid_slot)
		hi = b->cpuid0 + j;
	else if (slot == hlt_slot)
		hi = b->hlt0;
	if (e->out[EC_EDX] || sum > hi)
		bad_entry(K_HIST, e, "want shift 0 and buckets within the exits");
}

static void check_entry(const struct cpuid_entry *e, uint32_t j, struct bounds *b)
{
	switch (e->leaf) {
	case EC_LEAF_TOTAL: {
		uint64_t lo = b->total_lo + j + 1, hi = b->total_hi - (b->n - j - 1) - 1;
		uint64_t cyc = ec_u64(e->out[EC_EBX], e->out[EC_ECX]);

		tried[K_TOTAL]++;
		if (e->out[EC_EAX] < (uint32_t)lo || e->out[EC_EAX] > (uint32_t)hi ||
		    e->out[EC_EDX] || cyc < b->last_total_cycles)
			bad_entry(K_TOTAL, e, "total out of bounds, EDX != 0 or cycles back");
		b->last_total_cycles = cyc;
		return;
	}
	case EC_LEAF_COUNT:
	case EC_LEAF_DETAIL:
		check_reason(e, j, b);
		return;
	}
	if (!is_protocol(e->leaf, e->subleaf)) {
		tried[K_KVM]++;		/* compared with the module out */
		return;
	}
	if (e->subleaf <= EC_INFO_TOTAL_HI) {
		tried[K_INFO]++;
		if (e->subleaf == EC_INFO_SIGNATURE ?
		    !regs_are(e, EC_ABI_VERSION, EC_SIGNATURE_EBX, EC_SIGNATURE_ECX,
			      EC_SIGNATURE_EDX) :
		    e->subleaf == EC_INFO_HOST ?
		    !regs_are(e, t->isa, EC_SCOPE_VM, tsc_khz, t->max_nr) :
		    !regs_are(e, 0, EC_HIST_BUCKETS, EC_HIST_FIRST_SHIFT, 0))
			bad_entry(K_INFO, e, "info subleaf");
		return;
	}
	if ((e->subleaf & ~EC_HIST_FIELDS) == EC_INFO_HIST)
		check_hist(e, j, b);
	else
		check_bitmap(e, b, j);
}

static void hist_now(pid_t tid, struct exit_hist *h, uint64_t *by_slot, uint64_t *total)
{
	TEST_ASSERT(!exit_hist_tasks_read(t, &tid, 1, h), "read the kvm:kvm_exit histogram");
	memcpy(by_slot, h->by_slot, t->nr_slots * sizeof(uint64_t));
	*total = h->total;
}

static int run_loaded(struct kvm_vm *vm, const char *sample, uint32_t n, uint32_t seed)
{
	struct cpuid_entry *tab = vm_gpa(vm, GUEST_DATA_GPA);
	struct bounds b = { 0 };
	struct exit_hist h;
	unsigned long recorded = 0, protocol = 0, small = 0, huge = 0, leaves[256] = { 0 };
	unsigned int distinct = 0, k;
	uint32_t done = 0, r[EC_NR_REGS], j;
	uint64_t state = seed ? seed : 1;
	pid_t tid = thread_id();
	int nh, badl;
	FILE *f;

	handled = malloc(t->nr_slots);
	b.lo = calloc(t->nr_slots, sizeof(uint64_t));
	b.hi = calloc(t->nr_slots, sizeof(uint64_t));
	b.last_cycles = calloc(t->nr_slots, sizeof(uint64_t));
	h.by_slot = calloc(t->nr_slots, sizeof(uint64_t));
	TEST_ASSERT(handled && b.lo && b.hi && b.last_cycles && h.by_slot, "calloc");
	nh = handled_read(t, handled, &badl);
	CHECK(nh > 0 && !badl, "read the handled lines of %s (%d lines)", HOSTVIEW_DEV, nh);
	guest_cpuid(vm->vcpu, EC_LEAF_INFO, EC_INFO_HOST, r, NULL);
	CHECK(r[EC_EBX] == EC_SCOPE_VM && r[EC_ECX], "0x4FFFFFFC/1: scope VM, TSC kHz %u",
	      r[EC_ECX]);
	tsc_khz = r[EC_ECX];
	f = fopen(sample, "w");
	TEST_ASSERT(f, "create %s", sample);

	while (done < n) {
		struct kvm_regs regs;

		b.n = n - done < BATCH ? n - done : BATCH;
		hist_now(tid, &h, b.lo, &b.total_lo);
		b.cpuid0 = vm->vcpu->exits_cpuid;
		b.hlt0 = vm->vcpu->exits_hlt;
		memset(&regs, 0, sizeof(regs));
		regs.rsi = GUEST_DATA_GPA;
		regs.rdi = b.n;
		regs.rbp = state;
		vm->vcpu->exits_cpuid += b.n;
		vcpu_call(vm->vcpu, GUEST_FN(guest_fuzz), &regs);
		state = (uint32_t)regs.rbp;
		hist_now(tid, &h, b.hi, &b.total_hi);
		for (j = 0; j < b.n; j++) {
			const struct cpuid_entry *e = &tab[j];
			bool p = is_protocol(e->leaf, e->subleaf);

			check_entry(e, j, &b);
			protocol += p;
			small += e->subleaf < 0x400;
			huge += e->subleaf >= 0x80000000u;
			if (!leaves[e->leaf & 0xFF]++)
				distinct++;
			if (!p || (done + j) % SAMPLE_EVERY == 0) {
				fprintf(f, "%08x %08x %08x %08x %08x %08x %d\n", e->leaf,
					e->subleaf, e->out[0], e->out[1], e->out[2], e->out[3], p);
				recorded++;
			}
		}
		done += b.n;
	}
	CHECK(fclose(f) == 0, "wrote %lu answers to %s", recorded, sample);
	tap_diag("%u CPUIDs: %lu protocol, %u distinct leaves, %lu subleaves < 0x400, %lu >= 2^31",
		 n, protocol, distinct, small, huge);
	for (k = 0; k < NR_KINDS; k++)
		tap_diag("  %6lu tried, %lu wrong: %s", tried[k], bad[k], kind_desc[k]);
	/* the generator covers what it should: a check of the test itself */
	CHECK(distinct == 256 && small > n / 10 && huge > n / 100 && tried[K_UNDEF] &&
	      tried[K_UNHANDLED] && tried[K_COUNT] && tried[K_DETAIL] && tried[K_INFO] &&
	      tried[K_HANDLED] && tried[K_ACTIVE] && tried[K_HIST] && tried[K_KVM],
	      "the random inputs reached every leaf 0x4FFFFFxx and every kind of answer");
	for (k = 0; k < NR_KINDS; k++)
		if (k != K_KVM)
			CHECK_EQ(bad[k], 0, "%s (%lu tried)", kind_desc[k], tried[k]);
	CHECK_EQ(exit_hist_tasks_stop(), 0, "remove the hist trigger");
	return 0;
}

struct sample {
	struct cpuid_entry e;
	int protocol;
};

static int run_absent(struct kvm_vm *vm, const char *path)
{
	struct cpuid_entry *tab = vm_gpa(vm, GUEST_DATA_GPA);
	unsigned long n = 0, cap = 1 << 16, i, same_kvm = 0, bad_kvm = 0, bad_proto = 0,
		      n_proto = 0;
	struct sample *s = malloc(cap * sizeof(*s));
	uint32_t r[EC_NR_REGS];
	FILE *f = fopen(path, "r");

	TEST_ASSERT(s, "malloc");
	CHECK(f, "read %s", path);
	if (!f) {
		free(s);
		return 0;
	}
	while (fscanf(f, "%x %x %x %x %x %x %d", &s[n].e.leaf, &s[n].e.subleaf, &s[n].e.out[0],
		      &s[n].e.out[1], &s[n].e.out[2], &s[n].e.out[3], &s[n].protocol) == 7) {
		if (++n == cap) {
			struct sample *more;

			cap *= 2;
			more = realloc(s, cap * sizeof(*s));
			TEST_ASSERT(more, "realloc");
			s = more;
		}
	}
	fclose(f);
	CHECK_GT(n, 0, "%lu recorded answers", n);
	guest_cpuid(vm->vcpu, EC_LEAF_INFO, EC_INFO_SIGNATURE, r, NULL);
	CHECK(r[EC_EBX] != EC_SIGNATURE_EBX || r[EC_ECX] != EC_SIGNATURE_ECX ||
	      r[EC_EDX] != EC_SIGNATURE_EDX, "module out: no signature");

	/* in chunks of BATCH: each (leaf, subleaf), then 0x4FFFFFF0 at it */
	for (i = 0; i < n; i += BATCH / 2) {
		unsigned long m = n - i, j;

		if (m > BATCH / 2)
			m = BATCH / 2;

		for (j = 0; j < m; j++) {
			tab[2 * j] = (struct cpuid_entry){ .leaf = s[i + j].e.leaf, .subleaf = s[i + j].e.subleaf };
			tab[2 * j + 1] = (struct cpuid_entry){ .leaf = REF_LEAF, .subleaf = s[i + j].e.subleaf };
		}
		guest_cpuid_table(vm->vcpu, GUEST_DATA_GPA, (uint32_t)(2 * m));
		for (j = 0; j < m; j++) {
			const struct sample *x = &s[i + j];
			const struct cpuid_entry *now = &tab[2 * j], *ref = &tab[2 * j + 1];

			if (memcmp(now->out, ref->out, sizeof(now->out)) != 0 && bad_proto++ < 4)
				tap_diag("0x%08X/0x%08x: %08x %08x %08x %08x, KVM's (0x4FFFFFF0): %08x %08x %08x %08x",
					 x->e.leaf, x->e.subleaf, now->out[0], now->out[1],
					 now->out[2], now->out[3], ref->out[0], ref->out[1],
					 ref->out[2], ref->out[3]);
			if (x->protocol) {
				n_proto++;
				continue;
			}
			if (!memcmp(now->out, x->e.out, sizeof(now->out))) {
				same_kvm++;
			} else if (bad_kvm++ < 4) {
				tap_diag("0x%08X/0x%08x: now %08x %08x %08x %08x, loaded %08x %08x %08x %08x",
					 x->e.leaf, x->e.subleaf, now->out[0], now->out[1],
					 now->out[2], now->out[3], x->e.out[0], x->e.out[1],
					 x->e.out[2], x->e.out[3]);
			}
		}
	}
	CHECK(bad_kvm == 0 && same_kvm > 0,
	      "KVM's answers with the module loaded = its answers without (%lu compared)",
	      same_kvm + bad_kvm);
	CHECK_EQ(bad_proto, 0,
		 "module out: every recorded (leaf, subleaf), %lu of them protocol leaves, gets KVM's own answer (= 0x4FFFFFF0's)",
		 n_proto);
	free(s);
	return 0;
}

int main(int argc, char **argv)
{
	const char *sample = NULL, *expect = "vm";
	uint32_t n = 100000, seed = (uint32_t)time(NULL) | 1;
	static char tag[64];
	struct kvm_vm *vm;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "--sample=", 9)) {
			sample = argv[i] + 9;
		} else if (!strncmp(argv[i], "--n=", 4)) {
			n = (uint32_t)strtoul(argv[i] + 4, NULL, 0);
		} else if (!strncmp(argv[i], "--seed=", 7)) {
			seed = (uint32_t)strtoul(argv[i] + 7, NULL, 0);
		} else if (!strncmp(argv[i], "--expect=", 9)) {
			expect = argv[i] + 9;
		} else {
			fprintf(stderr, "usage: %s --sample=FILE [--n=N] [--seed=S] [--expect=vm|absent]\n",
				argv[0]);
			return 2;
		}
	}
	if (!strcmp(expect, "absent"))
		snprintf(tag, sizeof(tag), "kvm_fuzz[module out]");
	else
		snprintf(tag, sizeof(tag), "kvm_fuzz[%u random CPUIDs]", n);
	tap_init(tag);
	errno = EINVAL;
	TEST_ASSERT(sample && (!strcmp(expect, "vm") || !strcmp(expect, "absent")) && n > 0,
		    "--sample=FILE, --expect=vm|absent");
	t = ec_table_for_isa(host_cpu_isa());
	errno = 0;
	TEST_ASSERT(t, "host CPU is neither AMD nor Intel");
	kmax = t->max_nr / EC_BITMAP_REASONS;
	cpuid_slot = ec_slot(t, reason_nr(t, "CPUID"));
	hlt_slot = ec_slot(t, reason_nr(t, "HLT"));
	/* before the VM: its every exit is then an event of the trigger */
	if (strcmp(expect, "absent") != 0)
		CHECK_EQ(exit_hist_tasks_start(), 0, "hist trigger on kvm:kvm_exit keyed by thread");
	vm = vm_create();
	if (!strcmp(expect, "absent")) {
		run_absent(vm, sample);
	} else {
		tap_diag("seed 0x%08x", seed);
		run_loaded(vm, sample, n, seed);
	}
	vm_destroy(vm);
	return tap_finish();
}
