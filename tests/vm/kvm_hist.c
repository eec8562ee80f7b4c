// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_hist: do exits land in the log2 bucket of the time they took, and
 * do a reason's buckets add up to its count?
 *
 * Two kinds of exits whose times differ by orders of magnitude, each
 * timed independently of the module:
 *  - OUT: user space sleeps SLEEP_US at every KVM_EXIT_IO before it calls
 *    KVM_RUN again, and measures that gap, which lies inside the exit's
 *    exit-to-entry time: each OUT exit's bucket is at least the bucket of
 *    the shortest gap, and at most that of 4x the longest (+20 ms);
 *  - CPUID: a run of N_CPUIDS CPUIDs in one KVM_RUN, whose wall time
 *    bounds the sum of their times: the sum of their buckets' lower edges
 *    is below it; and CPUIDs between the sleeps are 4x faster than the
 *    shortest gap (99% of them at least).
 * Wall time becomes TSC cycles with the host's TSC kHz (0x4FFFFFFC/1).
 * The host view's hist lines, read while the vCPU is stopped in user space
 * after a HLT exit (the only exit then in progress), must show CPUID and
 * I/O buckets adding up to their counts exactly and HLT's to its count
 * less 1; the guest reads the I/O buckets through the protocol: they
 * equal the host view's and add up to the count, and the cycles of
 * 0x4FFFFFFD lie within the buckets' edges. Once the VM is gone, the
 * vCPU's histograms are freed.
 *
 * Runs with exitcount.ko loaded with its defaults (scope=vm).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"

#define ROUNDS		20	/* OUTs with a sleep */
#define SLEEP_US	2000
#define ROUND_CPUIDS	50	/* CPUIDs after each OUT */
#define N_CPUIDS	2000	/* in the CPUID-only run */
#define NS_PER_MS	1000000ull

/* EDI rounds of: OUT, then ESI CPUID(0). */
DEFINE_GUEST_FN(guest_out_cpuids,
	"1:\n"
	"\tmov $0x4ec, %dx\n"		/* GUEST_PORT */
	"\toutb %al, %dx\n"
	"\tmov %esi, %ebp\n"
	"2:\n"
	"\ttest %ebp, %ebp\n"
	"\tjz 3f\n"
	"\txor %eax, %eax\n"
	"\txor %ecx, %ecx\n"
	"\tcpuid\n"
	"\tdec %ebp\n"
	"\tjmp 2b\n"
	"3:\n"
	"\tdec %edi\n"
	"\tjnz 1b\n");

_Static_assert(GUEST_PORT == 0x4ec, "guest_out_cpuids hard-codes GUEST_PORT");

/* One VM's "hist" line of the host view for a reason. */
struct hist_line {
	bool present;
	uint64_t exits;
	uint64_t b[EC_HIST_BUCKETS];
};

struct hist_view {
	long vm_hists;			/* "hist allocated vm N host M" */
	int buckets, first;		/* "hist buckets N first S" */
	struct hist_line *by_slot;	/* this process's VM */
};

static const struct ec_isa_table *t;
static uint32_t tsc_khz;
static uint64_t min_gap = UINT64_MAX, max_gap;	/* ns */

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static uint64_t ns_to_cycles(uint64_t ns)
{
	return ns * tsc_khz / 1000000ull;
}

/* At every KVM_EXIT_IO: the gap before KVM_RUN is entered again. */
static void sleep_at_io(struct kvm_vcpu *vcpu)
{
	uint64_t t0 = now_ns(), gap;

	(void)vcpu;
	usleep(SLEEP_US);
	gap = now_ns() - t0;
	min_gap = gap < min_gap ? gap : min_gap;
	max_gap = gap > max_gap ? gap : max_gap;
}

/* HOSTVIEW_DEV's hist lines, those of this process's VM; 0 or -errno. */
static int hist_read(struct hist_view *v)
{
	char line[1024], name[64];
	unsigned int id, nr, b;
	int pid, n, pos;
	FILE *f = fopen(HOSTVIEW_DEV, "r");

	v->vm_hists = -1;
	v->buckets = -1;
	v->first = -1;
	if (!f)
		return -errno;
	memset(v->by_slot, 0, t->nr_slots * sizeof(*v->by_slot));
	while (fgets(line, sizeof(line), f)) {
		struct hist_line h = { .present = true };
		unsigned long long x;

		if (sscanf(line, "hist allocated vm %ld", &v->vm_hists) == 1 ||
		    sscanf(line, "hist buckets %d first %d", &v->buckets, &v->first) == 2)
			continue;
		if (sscanf(line, "hist vm %u pid %d reason %u %63s exits %llu buckets%n",
			   &id, &pid, &nr, name, &x, &pos) != 5 || pid != getpid())
			continue;
		h.exits = x;
		for (b = 0; b < EC_HIST_BUCKETS; b++) {
			if (sscanf(line + pos, " %llu%n", &x, &n) != 1)
				break;
			h.b[b] = x;
			pos += n;
		}
		if (b == EC_HIST_BUCKETS)
			v->by_slot[ec_slot(t, nr)] = h;
	}
	fclose(f);
	return 0;
}

static uint64_t sum(const uint64_t *b)
{
	uint64_t s = 0;
	unsigned int i;

	for (i = 0; i < EC_HIST_BUCKETS; i++)
		s += b[i];
	return s;
}

static uint64_t lower(unsigned int b)
{
	return ec_hist_lower(b, EC_HIST_FIRST_SHIFT);
}

/* Upper edge of bucket @b; the overflow bucket's is "infinite". */
static uint64_t upper(unsigned int b)
{
	return b + 1 < EC_HIST_BUCKETS ? lower(b + 1) : UINT64_MAX;
}

static void diag_buckets(const char *what, const uint64_t *b)
{
	char buf[512];
	size_t len = 0;
	unsigned int i;

	buf[0] = 0;
	for (i = 0; i < EC_HIST_BUCKETS; i++)
		if (b[i])
			len += (size_t)snprintf(buf + len, sizeof(buf) - len, " b%u=%llu", i,
						(unsigned long long)b[i]);
	tap_diag("%s:%s", what, buf);
}

/* @after less @before, bucket by bucket. */
static void delta(const struct hist_line *after, const struct hist_line *before,
		  uint64_t *d)
{
	unsigned int i;

	for (i = 0; i < EC_HIST_BUCKETS; i++)
		d[i] = after->b[i] - before->b[i];
}

/* Buckets sum to the count (less @in_progress), in both views. */
static void check_sums(const struct hist_view *v, const char *name, uint64_t want,
		       uint64_t in_progress)
{
	const struct hist_line *h = &v->by_slot[ec_slot(t, reason_nr(t, name))];

	CHECK(h->present, "host view hist: a %s line for this VM", name);
	CHECK_EQ(h->exits, want, "host view hist: %s exits = the harness's tally", name);
	CHECK_EQ(sum(h->b), h->exits - in_progress,
		 "host view hist: %s buckets add up to its exits%s", name,
		 in_progress ? " less the one in progress" : "");
}

/* OUTs with sleeps between CPUIDs: where each kind lands. */
static void check_out_run(struct kvm_vcpu *vcpu, struct hist_view *v)
{
	unsigned int io = ec_slot(t, reason_nr(t, io_reason_name(t)));
	unsigned int cpuid = ec_slot(t, reason_nr(t, "CPUID"));
	struct hist_line io0, cpuid0;
	uint64_t d_io[EC_HIST_BUCKETS], d_cpuid[EC_HIST_BUCKETS], lo_c, hi_c, fast = 0;
	unsigned int b, b_lo, b_hi, b_fast;
	struct kvm_regs regs;
	bool in_range = true;

	CHECK_EQ(hist_read(v), 0, "read %s before the OUT run", HOSTVIEW_DEV);
	io0 = v->by_slot[io];
	cpuid0 = v->by_slot[cpuid];
	memset(&regs, 0, sizeof(regs));
	regs.rdi = ROUNDS;
	regs.rsi = ROUND_CPUIDS;
	vcpu->exits_cpuid += (uint64_t)ROUNDS * ROUND_CPUIDS;
	vcpu->on_io = sleep_at_io;
	vcpu_call(vcpu, GUEST_FN(guest_out_cpuids), &regs);
	vcpu->on_io = NULL;
	CHECK_EQ(hist_read(v), 0, "read %s after the OUT run", HOSTVIEW_DEV);
	delta(&v->by_slot[io], &io0, d_io);
	delta(&v->by_slot[cpuid], &cpuid0, d_cpuid);
	lo_c = ns_to_cycles(min_gap);
	hi_c = ns_to_cycles(4 * max_gap + 20 * NS_PER_MS);
	b_lo = ec_hist_bucket(lo_c);
	b_hi = ec_hist_bucket(hi_c);
	tap_diag("user space gaps %llu-%llu us: buckets %u (>= %llu cycles) to %u (< %llu)",
		 (unsigned long long)min_gap / 1000, (unsigned long long)max_gap / 1000,
		 b_lo, (unsigned long long)lo_c, b_hi, (unsigned long long)hi_c);
	diag_buckets("OUT run, I/O exits", d_io);
	diag_buckets("OUT run, CPUID exits", d_cpuid);
	CHECK_EQ(sum(d_io), ROUNDS, "%d I/O exits, each in a bucket", ROUNDS);
	for (b = 0; b < EC_HIST_BUCKETS; b++)
		if ((b < b_lo || b > b_hi) && d_io[b])
			in_range = false;
	CHECK(in_range, "every I/O exit in buckets %u-%u: its time >= the sleep user space measured", b_lo, b_hi);
	CHECK_EQ(sum(d_cpuid), ROUNDS * ROUND_CPUIDS, "%d CPUID exits, each in a bucket",
		 ROUNDS * ROUND_CPUIDS);
	/* 4x faster than the shortest gap: 2 buckets below it */
	b_fast = b_lo >= 2 ? b_lo - 2 : 0;
	for (b = 0; b < b_fast; b++)
		fast += d_cpuid[b];
	CHECK_GE(fast * 100, sum(d_cpuid) * 99,
		 "99%% of the CPUID exits in buckets below %u (%llu of %llu): orders of magnitude faster",
		 b_fast, (unsigned long long)fast, (unsigned long long)sum(d_cpuid));
}

/* N_CPUIDS in one run, timed from outside: their buckets within it. */
static void check_cpuid_run(struct kvm_vcpu *vcpu, struct hist_view *v)
{
	unsigned int cpuid = ec_slot(t, reason_nr(t, "CPUID"));
	uint64_t d[EC_HIST_BUCKETS], t0, wall, floor = 0;
	struct hist_line before;
	unsigned int b, last = 0;
	struct kvm_regs regs;

	CHECK_EQ(hist_read(v), 0, "read %s before the CPUID run", HOSTVIEW_DEV);
	before = v->by_slot[cpuid];
	memset(&regs, 0, sizeof(regs));
	regs.rdi = 1;		/* one round: 1 OUT, no sleep */
	regs.rsi = N_CPUIDS;
	vcpu->exits_cpuid += N_CPUIDS;
	t0 = now_ns();
	vcpu_call(vcpu, GUEST_FN(guest_out_cpuids), &regs);
	wall = ns_to_cycles(now_ns() - t0);
	CHECK_EQ(hist_read(v), 0, "read %s after the CPUID run", HOSTVIEW_DEV);
	delta(&v->by_slot[cpuid], &before, d);
	diag_buckets("CPUID run", d);
	for (b = 0; b < EC_HIST_BUCKETS; b++) {
		floor += lower(b) * d[b];
		if (d[b])
			last = b;
	}
	tap_diag("%d CPUIDs in %llu cycles (%llu per CPUID); their buckets' lower edges add up to %llu",
		 N_CPUIDS, (unsigned long long)wall, (unsigned long long)wall / N_CPUIDS,
		 (unsigned long long)floor);
	CHECK_EQ(sum(d), N_CPUIDS, "%d CPUID exits, each in a bucket", N_CPUIDS);
	CHECK(floor <= wall, "sum of their buckets' lower edges (%llu) <= the run's wall time (%llu cycles)",
	      (unsigned long long)floor, (unsigned long long)wall);
	CHECK(lower(last) < wall, "the slowest CPUID's bucket (%u) starts below the run's wall time", last);
}

/*
 * The guest reads the I/O reason's count, detail and 9 histogram
 * subleaves in one run (no I/O exit meanwhile): the buckets are the host
 * view's, add up to the count, and bracket its cycles.
 */
static void check_guest_read(struct kvm_vm *vm, struct hist_view *v)
{
	uint32_t nr = reason_nr(t, io_reason_name(t)), g, i;
	struct cpuid_entry *e = vm_gpa(vm, GUEST_DATA_GPA);
	uint64_t b[EC_HIST_BUCKETS], cycles, lo = 0, hi = 0;
	const struct hist_line *h = &v->by_slot[ec_slot(t, nr)];
	bool shift0 = true;

	CHECK_EQ(hist_read(v), 0, "read %s before the guest's read", HOSTVIEW_DEV);
	e[0] = (struct cpuid_entry){ .leaf = EC_LEAF_COUNT, .subleaf = nr };
	e[1] = (struct cpuid_entry){ .leaf = EC_LEAF_DETAIL, .subleaf = nr };
	for (g = 0; g < EC_HIST_GROUPS; g++)
		e[2 + g] = (struct cpuid_entry){
			.leaf = EC_LEAF_INFO,
			.subleaf = EC_INFO_HIST | nr << EC_HIST_REASON_SHIFT | g,
		};
	guest_cpuid_table(vm->vcpu, GUEST_DATA_GPA, 2 + EC_HIST_GROUPS);
	for (g = 0; g < EC_HIST_GROUPS; g++) {
		shift0 = shift0 && !e[2 + g].out[EC_EDX];
		for (i = 0; i < EC_HIST_PER_GROUP; i++)
			b[g * EC_HIST_PER_GROUP + i] = e[2 + g].out[i];
	}
	for (i = 0; i < EC_HIST_BUCKETS; i++) {
		lo += lower(i) * b[i];
		hi = b[i] && upper(i) == UINT64_MAX ? UINT64_MAX : hi + upper(i) * b[i];
	}
	cycles = ec_u64(e[1].out[EC_EBX], e[1].out[EC_ECX]);
	CHECK(shift0, "guest: every I/O histogram subleaf has EDX (shift) 0");
	CHECK(!memcmp(b, h->b, sizeof(b)), "guest: I/O buckets = the host view's");
	CHECK_EQ(sum(b), ec_u64(e[1].out[EC_EAX], e[0].out[EC_EAX]),
		 "guest: I/O buckets add up to its count (0x4FFFFFFE/D)");
	CHECK(lo <= cycles && cycles < hi,
	      "guest: I/O cycles %llu within its buckets' edges [%llu, %llu)",
	      (unsigned long long)cycles, (unsigned long long)lo, (unsigned long long)hi);
}

int main(void)
{
	struct hist_view v0, v;
	struct kvm_vm *vm;
	uint32_t r[EC_NR_REGS];
	long before;
	int i;

	tap_init("kvm_hist");
	t = ec_table_for_isa(host_cpu_isa());
	errno = 0;
	TEST_ASSERT(t, "host CPU is neither AMD nor Intel");
	v.by_slot = calloc(t->nr_slots, sizeof(*v.by_slot));
	v0.by_slot = calloc(t->nr_slots, sizeof(*v0.by_slot));
	TEST_ASSERT(v.by_slot && v0.by_slot, "calloc");
	CHECK_EQ(hist_read(&v0), 0, "read %s", HOSTVIEW_DEV);
	before = v0.vm_hists;
	CHECK(before >= 0, "host view: a \"hist allocated vm N host M\" line (%ld)", before);
	CHECK(v0.buckets == EC_HIST_BUCKETS && v0.first == EC_HIST_FIRST_SHIFT,
	      "host view: \"hist buckets %d first %d\"", v0.buckets, v0.first);

	vm = vm_create();
	guest_cpuid(vm->vcpu, EC_LEAF_INFO, EC_INFO_TOTAL_HI, r, NULL);
	CHECK(r[EC_EBX] == EC_HIST_BUCKETS && r[EC_ECX] == EC_HIST_FIRST_SHIFT,
	      "0x4FFFFFFC/2: %u buckets from 2^%u cycles", r[EC_EBX], r[EC_ECX]);
	guest_cpuid(vm->vcpu, EC_LEAF_INFO, EC_INFO_HOST, r, NULL);
	tsc_khz = r[EC_ECX];
	CHECK_GT(tsc_khz, 0, "0x4FFFFFFC/1: host TSC kHz %u", tsc_khz);

	check_out_run(vm->vcpu, &v);
	check_cpuid_run(vm->vcpu, &v);
	check_guest_read(vm, &v);

	/* Stopped after the final HLT of a run: only that exit in progress. */
	CHECK_EQ(hist_read(&v), 0, "read %s with the vCPU stopped", HOSTVIEW_DEV);
	check_sums(&v, "CPUID", vm->vcpu->exits_cpuid, 0);
	check_sums(&v, io_reason_name(t), vm->vcpu->exits_io, 0);
	check_sums(&v, "HLT", vm->vcpu->exits_hlt, 1);
	CHECK_GT(v.vm_hists, before, "host view hist: the vCPU's histograms counted (%ld)",
		 v.vm_hists);

	vm_destroy(vm);
	/* freed after an RCU grace period */
	for (i = 0; i < 100 && !hist_read(&v) && v.vm_hists != before; i++)
		usleep(100000);
	CHECK_EQ(v.vm_hists, before, "host view hist: the vCPU's histograms freed with its VM");
	free(v.by_slot);
	free(v0.by_slot);
	return tap_finish();
}
