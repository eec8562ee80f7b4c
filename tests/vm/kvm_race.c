// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_race: readers racing writers.
 *
 *   kvm_race [--iterations=N]
 *
 * One VM of four vCPUs: vCPUs 0 and 1 query the counters in a tight guest
 * loop (0x4FFFFFFF, 0x4FFFFFFE and 0x4FFFFFFD for CPUID, 0x4FFFFFFC/2),
 * at least N rounds each and on until every other thread below has made
 * progress (so the race surely happened, however the threads were
 * scheduled), and check every answer against their previous one in
 * guest code; vCPUs 2 and 3 exit (OUT, CPUID, RDMSR, HLT) until the
 * readers are done. Meanwhile a host thread reads
 * /dev/exitcount in a tight loop, and another creates
 * and destroys small VMs (each runs a few exits), so VMs enter and leave
 * the module's lists under the readers.
 *
 * Claims, per reader (the guest's vCPU or the host thread):
 *  - totals never go backwards: every count and cycle total a reader sees
 *    is >= the one it saw before (for the guest readers, counts even grow
 *    by >= 4 from one round to the next: its own 4 queries are exits);
 *  - no torn or implausible 64-bit value: cycle totals are monotonic too,
 *    the high halves of counts read 0, and no value exceeds what is read
 *    once everything has stopped;
 *  - a host view snapshot is consistent: each total line is the sum of
 *    its reason lines, and the all-VMs line is >= the sum of the VM lines
 *    printed before it.
 * Run no other VM meanwhile.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"

/* What a reader vCPU's loop keeps, at GUEST_DATA_GPA + vCPU id * 64. */
struct reader_rec {
	uint32_t rounds;		/*  0 */
	uint32_t bad_total;		/*  4: total grew by < 4 */
	uint32_t bad_total_cycles;	/*  8: total cycles went back */
	uint32_t bad_count;		/* 12: CPUID count grew by < 4 */
	uint32_t bad_count_cycles;	/* 16: CPUID cycles went back */
	uint32_t bad_zero;		/* 20: a register that must be 0 was not */
	uint32_t total;			/* 24: last 0x4FFFFFFF EAX */
	uint32_t total_cycles_lo;	/* 28 */
	uint32_t total_cycles_hi;	/* 32 */
	uint32_t count;			/* 36: last 0x4FFFFFFE/CPUID EAX */
	uint32_t count_cycles_lo;	/* 40: last 0x4FFFFFFD/CPUID ECX */
	uint32_t count_cycles_hi;	/* 44: EBX */
	uint32_t first_total;		/* 48 */
	uint32_t first_count;		/* 52 */
	uint32_t nr;			/* 56: in: the CPUID reason number */
	uint32_t pad;
};
_Static_assert(sizeof(struct reader_rec) == 64, "guest_race_reader's layout");

/* ESI rounds, EDI the struct reader_rec. */
DEFINE_GUEST_FN(guest_race_reader,
	"1:\n"
	/* 0x4FFFFFFF: EAX total, EBX:ECX cycles, EDX 0 */
	"\tmov $0x4fffffff, %eax\n"
	"\txor %ecx, %ecx\n"
	"\tcpuid\n"
	"\ttest %edx, %edx\n"
	"\tjz 10f\n"
	"\tincl 20(%edi)\n"
	"10:\n"
	"\tcmpl $0, 0(%edi)\n"
	"\tjne 11f\n"
	"\tmov %eax, 48(%edi)\n"
	"\tjmp 13f\n"
	"11:\n"
	"\tmov %eax, %edx\n"
	"\tsub 24(%edi), %edx\n"
	"\tcmp $4, %edx\n"
	"\tjae 12f\n"
	"\tincl 4(%edi)\n"
	"12:\n"
	"\tcmp 32(%edi), %ebx\n"
	"\tja 13f\n"
	"\tjb 14f\n"
	"\tcmp 28(%edi), %ecx\n"
	"\tjae 13f\n"
	"14:\n"
	"\tincl 8(%edi)\n"
	"13:\n"
	"\tmov %eax, 24(%edi)\n"
	"\tmov %ecx, 28(%edi)\n"
	"\tmov %ebx, 32(%edi)\n"
	/* 0x4FFFFFFE/CPUID: EAX count, EBX ECX EDX 0 */
	"\tmov $0x4ffffffe, %eax\n"
	"\tmov 56(%edi), %ecx\n"
	"\tcpuid\n"
	"\tor %ecx, %ebx\n"
	"\tor %edx, %ebx\n"
	"\tjz 20f\n"
	"\tincl 20(%edi)\n"
	"20:\n"
	"\tcmpl $0, 0(%edi)\n"
	"\tjne 21f\n"
	"\tmov %eax, 52(%edi)\n"
	"\tjmp 22f\n"
	"21:\n"
	"\tmov %eax, %edx\n"
	"\tsub 36(%edi), %edx\n"
	"\tcmp $4, %edx\n"
	"\tjae 22f\n"
	"\tincl 12(%edi)\n"
	"22:\n"
	"\tmov %eax, 36(%edi)\n"
	/* 0x4FFFFFFD/CPUID: EAX count hi 0, EBX:ECX cycles, EDX status 0 */
	"\tmov $0x4ffffffd, %eax\n"
	"\tmov 56(%edi), %ecx\n"
	"\tcpuid\n"
	"\tor %edx, %eax\n"
	"\tjz 30f\n"
	"\tincl 20(%edi)\n"
	"30:\n"
	"\tcmpl $0, 0(%edi)\n"
	"\tje 33f\n"
	"\tcmp 44(%edi), %ebx\n"
	"\tja 33f\n"
	"\tjb 34f\n"
	"\tcmp 40(%edi), %ecx\n"
	"\tjae 33f\n"
	"34:\n"
	"\tincl 16(%edi)\n"
	"33:\n"
	"\tmov %ecx, 40(%edi)\n"
	"\tmov %ebx, 44(%edi)\n"
	/* 0x4FFFFFFC/2: total exits hi, then 27 buckets, from 2^8, 0 */
	"\tmov $0x4ffffffc, %eax\n"
	"\tmov $2, %ecx\n"
	"\tcpuid\n"
	"\tsub $27, %ebx\n"
	"\tsub $8, %ecx\n"
	"\tor %ebx, %eax\n"
	"\tor %ecx, %eax\n"
	"\tor %edx, %eax\n"
	"\tjz 40f\n"
	"\tincl 20(%edi)\n"
	"40:\n"
	"\tincl 0(%edi)\n"
	"\tdec %esi\n"
	"\tjnz 1b\n");

_Static_assert(EC_HIST_BUCKETS == 27 && EC_HIST_FIRST_SHIFT == 8,
	       "guest_reader hard-codes the histogram layout of 0x4FFFFFFC/2");

#define READER_CPUIDS_PER_ROUND 4
#define READER_BATCH 100	/* rounds per guest call */
#define READER_MAX_S 120	/* then stop waiting for the others */

static atomic_bool stop;
static pthread_barrier_t go;

struct reader {
	struct kvm_vcpu *vcpu;
	uint32_t rounds;	/* at least */
	uint32_t done;
	struct reader_rec *rec;
	pthread_t thread;
};

struct writer {
	struct kvm_vcpu *vcpu;
	atomic_uint mixes;
	pthread_t thread;
};

static struct writer writers[2];
static atomic_uint churned;
static atomic_ulong hv_reads;

/* Every other thread has made progress while the readers read. */
static bool others_ran(void)
{
	return atomic_load(&writers[0].mixes) >= 1 && atomic_load(&writers[1].mixes) >= 1 &&
	       atomic_load(&churned) >= 1 && atomic_load(&hv_reads) >= 10;
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

static void *reader_run(void *arg)
{
	struct reader *r = arg;
	struct kvm_regs regs;
	struct timespec t0;

	pthread_barrier_wait(&go);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (r->done < r->rounds || (!others_ran() && seconds_since(&t0) < READER_MAX_S)) {
		memset(&regs, 0, sizeof(regs));
		regs.rsi = READER_BATCH;
		regs.rdi = GUEST_DATA_GPA + r->vcpu->id * sizeof(struct reader_rec);
		r->vcpu->exits_cpuid += (uint64_t)READER_BATCH * READER_CPUIDS_PER_ROUND;
		vcpu_call(r->vcpu, GUEST_FN(guest_race_reader), &regs);
		r->done += READER_BATCH;
	}
	return NULL;
}

static void *writer_run(void *arg)
{
	static const struct exit_mix mix = { .outs = 10, .cpuids = 40, .hlts = 2, .rdmsrs = 5 };
	struct writer *w = arg;

	pthread_barrier_wait(&go);
	while (!atomic_load(&stop)) {
		vcpu_exit_mix(w->vcpu, &mix);
		w->mixes++;
	}
	return NULL;
}

static void *churn_run(void *arg)
{
	static const struct exit_mix mix = { .outs = 1, .cpuids = 3, .hlts = 1, .rdmsrs = 1 };
	atomic_uint *n = arg;

	pthread_barrier_wait(&go);
	while (!atomic_load(&stop)) {
		struct kvm_vm *vm = vm_create();

		vcpu_exit_mix(vm->vcpu, &mix);
		vm_destroy(vm);
		(*n)++;
	}
	return NULL;
}

/* What the host thread saw last of one counter set (a VM or all). */
struct seen {
	long id;		/* -1: the all-VMs line; 0: slot free */
	uint64_t exits, cycles;
	uint64_t *ex, *cy;	/* by slot */
};

#define MAX_SEEN 64

struct hv_reader {
	const struct ec_isa_table *t;
	struct seen seen[MAX_SEEN + 1];	/* [MAX_SEEN]: all */
	unsigned long errors, backwards, inconsistent, all_below_vms;
	struct hostview *hv;
	uint64_t *ex, *cy;
	pthread_t thread;
};

static struct seen *seen_of(struct hv_reader *r, long id)
{
	struct seen *free_slot = NULL;
	int i;

	if (id < 0)
		return &r->seen[MAX_SEEN];
	for (i = 0; i < MAX_SEEN; i++) {
		if (r->seen[i].id == id)
			return &r->seen[i];
		if (!free_slot && !r->seen[i].id)
			free_slot = &r->seen[i];
	}
	if (!free_slot)	/* reuse the oldest id's slot */
		for (i = 0; i < MAX_SEEN; i++)
			if (!free_slot || r->seen[i].id < free_slot->id)
				free_slot = &r->seen[i];
	free_slot->id = id;
	free_slot->exits = free_slot->cycles = 0;
	memset(free_slot->ex, 0, r->t->nr_slots * sizeof(uint64_t));
	memset(free_slot->cy, 0, r->t->nr_slots * sizeof(uint64_t));
	return free_slot;
}

static void diag_once(unsigned long *counter, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void diag_once(unsigned long *counter, const char *fmt, ...)
{
	va_list ap;

	if ((*counter)++ >= 3)
		return;
	va_start(ap, fmt);
	fputs("# ", stdout);
	vprintf(fmt, ap);
	putchar('\n');
	va_end(ap);
}

/* One set of one read: consistent in itself, and nothing went back. */
static void check_set(struct hv_reader *r, long id, const struct hv_set *set)
{
	const struct ec_isa_table *t = r->t;
	struct seen *s = seen_of(r, id);
	uint64_t sum_ex = 0, sum_cy = 0;
	unsigned int i;

	hv_set_by_slot(t, set, r->ex, r->cy);
	for (i = 0; i < t->nr_slots; i++) {
		sum_ex += r->ex[i];
		sum_cy += r->cy[i];
		if (r->ex[i] < s->ex[i] || r->cy[i] < s->cy[i])
			diag_once(&r->backwards,
				  "host view %s %ld: reason %s went back: exits %llu -> %llu, cycles %llu -> %llu",
				  id < 0 ? "all" : "vm", id,
				  i == ec_other_slot(t) ? "other" : t->names[i],
				  (unsigned long long)s->ex[i], (unsigned long long)r->ex[i],
				  (unsigned long long)s->cy[i], (unsigned long long)r->cy[i]);
	}
	if (!set->present || sum_ex != set->exits || sum_cy != set->cycles)
		diag_once(&r->inconsistent,
			  "host view %s %ld: total exits %llu cycles %llu, its reasons add up to %llu, %llu",
			  id < 0 ? "all" : "vm", id, (unsigned long long)set->exits,
			  (unsigned long long)set->cycles, (unsigned long long)sum_ex,
			  (unsigned long long)sum_cy);
	if (set->exits < s->exits || set->cycles < s->cycles)
		diag_once(&r->backwards,
			  "host view %s %ld: total went back: exits %llu -> %llu, cycles %llu -> %llu",
			  id < 0 ? "all" : "vm", id, (unsigned long long)s->exits,
			  (unsigned long long)set->exits, (unsigned long long)s->cycles,
			  (unsigned long long)set->cycles);
	s->exits = set->exits;
	s->cycles = set->cycles;
	memcpy(s->ex, r->ex, t->nr_slots * sizeof(uint64_t));
	memcpy(s->cy, r->cy, t->nr_slots * sizeof(uint64_t));
}

static void hv_read_once(struct hv_reader *r)
{
	struct hostview *hv = r->hv;
	uint64_t vms_ex = 0, vms_cy = 0;
	int i;

	if (hostview_read(hv) || hv->bad_lines) {
		diag_once(&r->errors, "host view read failed or had a bad line (\"%s\")",
			  hv->first_bad);
		return;
	}
	hv_reads++;
	for (i = 0; i < hv->nr_vms; i++) {
		check_set(r, hv->vms[i].id, &hv->vms[i].s);
		vms_ex += hv->vms[i].s.exits;
		vms_cy += hv->vms[i].s.cycles;
	}
	check_set(r, -1, &hv->all);
	/* "all" is summed after the VM lines: it can only be more. */
	if (hv->all.exits < vms_ex || hv->all.cycles < vms_cy)
		diag_once(&r->all_below_vms,
			  "host view: all exits %llu cycles %llu < the VM lines' sum %llu, %llu",
			  (unsigned long long)hv->all.exits, (unsigned long long)hv->all.cycles,
			  (unsigned long long)vms_ex, (unsigned long long)vms_cy);
}

static void *hv_reader_run(void *arg)
{
	struct hv_reader *r = arg;

	pthread_barrier_wait(&go);
	while (!atomic_load(&stop))
		hv_read_once(r);
	return NULL;
}

int main(int argc, char **argv)
{
	uint32_t rounds = 1500, nr_cpuid, q[EC_NR_REGS], d[EC_NR_REGS];
	const struct ec_isa_table *t;
	struct reader readers[2];
	struct hv_reader *hr;
	pthread_t churner;
	struct kvm_vm *vm;
	struct seen *all, *mine = NULL;
	uint64_t final_total, final_cycles, final_count_cycles;
	int i, n;

	for (i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "--iterations=", 13)) {
			rounds = (uint32_t)atoi(argv[i] + 13);
		} else {
			fprintf(stderr, "usage: %s [--iterations=N]\n", argv[0]);
			return 2;
		}
	}
	tap_init("kvm_race");
	t = ec_table_for_isa(host_cpu_isa());
	errno = 0;
	TEST_ASSERT(t, "host CPU is neither AMD nor Intel");
	nr_cpuid = reason_nr(t, "CPUID");

	hr = calloc(1, sizeof(*hr));
	TEST_ASSERT(hr, "calloc");
	hr->t = t;
	hr->hv = calloc(1, sizeof(*hr->hv));
	hr->ex = calloc(t->nr_slots, sizeof(uint64_t));
	hr->cy = calloc(t->nr_slots, sizeof(uint64_t));
	TEST_ASSERT(hr->hv && hr->ex && hr->cy, "calloc");
	for (i = 0; i <= MAX_SEEN; i++) {
		hr->seen[i].ex = calloc(t->nr_slots, sizeof(uint64_t));
		hr->seen[i].cy = calloc(t->nr_slots, sizeof(uint64_t));
		TEST_ASSERT(hr->seen[i].ex && hr->seen[i].cy, "calloc");
	}
	hr->seen[MAX_SEEN].id = -1;

	vm = vm_create_vcpus(4);
	for (i = 0; i < 2; i++) {
		readers[i].vcpu = vm->vcpus[i];
		readers[i].rounds = rounds;
		readers[i].done = 0;
		readers[i].rec = vm_gpa(vm, GUEST_DATA_GPA + i * sizeof(struct reader_rec));
		memset(readers[i].rec, 0, sizeof(struct reader_rec));
		readers[i].rec->nr = nr_cpuid;
		writers[i].vcpu = vm->vcpus[2 + i];
		writers[i].mixes = 0;
	}
	pthread_barrier_init(&go, NULL, 2 + 2 + 1 + 1 + 1);
	for (i = 0; i < 2; i++) {
		TEST_ASSERT(!pthread_create(&readers[i].thread, NULL, reader_run, &readers[i]),
			    "pthread_create");
		TEST_ASSERT(!pthread_create(&writers[i].thread, NULL, writer_run, &writers[i]),
			    "pthread_create");
	}
	TEST_ASSERT(!pthread_create(&hr->thread, NULL, hv_reader_run, hr), "pthread_create");
	TEST_ASSERT(!pthread_create(&churner, NULL, churn_run, &churned), "pthread_create");
	pthread_barrier_wait(&go);
	for (i = 0; i < 2; i++)
		pthread_join(readers[i].thread, NULL);
	atomic_store(&stop, true);
	for (i = 0; i < 2; i++)
		pthread_join(writers[i].thread, NULL);
	pthread_join(hr->thread, NULL);
	pthread_join(churner, NULL);

	tap_diag("guest readers: %u and %u rounds; writers: %u and %u mixes; %u VMs churned; host view read %lu times",
		 readers[0].done, readers[1].done, atomic_load(&writers[0].mixes),
		 atomic_load(&writers[1].mixes), atomic_load(&churned), atomic_load(&hv_reads));
	/* The race happened: everyone ran while the others did. */
	CHECK(others_ran(), "writers, VM churn and host reads all ran during the guest reads");

	/* Everything stopped: the final values. */
	guest_cpuid(vm->vcpu, EC_LEAF_TOTAL, 0, q, NULL);
	final_total = q[EC_EAX];
	final_cycles = ec_u64(q[EC_EBX], q[EC_ECX]);
	guest_cpuid(vm->vcpu, EC_LEAF_DETAIL, nr_cpuid, d, NULL);
	final_count_cycles = ec_u64(d[EC_EBX], d[EC_ECX]);
	guest_cpuid(vm->vcpu, EC_LEAF_COUNT, nr_cpuid, q, NULL);
	CHECK_EQ(q[EC_EAX], vm->vcpus[0]->exits_cpuid + vm->vcpus[1]->exits_cpuid +
			    vm->vcpus[2]->exits_cpuid + vm->vcpus[3]->exits_cpuid,
		 "after the race: 0x4FFFFFFE CPUID = every vCPU's CPUIDs, exactly");

	for (i = 0; i < 2; i++) {
		const struct reader_rec *rec = readers[i].rec;

		tap_diag("reader %d: total %u..%u, CPUID count %u..%u, bad: %u %u %u %u %u",
			 i, rec->first_total, rec->total, rec->first_count, rec->count,
			 rec->bad_total, rec->bad_total_cycles, rec->bad_count,
			 rec->bad_count_cycles, rec->bad_zero);
		CHECK(rec->rounds == readers[i].done && readers[i].done >= rounds,
		      "guest reader %d: ran all its %u rounds (at least %u)", i, readers[i].done,
		      rounds);
		CHECK_EQ(rec->bad_total, 0,
			 "guest reader %d: 0x4FFFFFFF total grew by >= 4 every round (never back)", i);
		CHECK_EQ(rec->bad_total_cycles, 0,
			 "guest reader %d: 0x4FFFFFFF 64-bit cycles never went back", i);
		CHECK_EQ(rec->bad_count, 0,
			 "guest reader %d: 0x4FFFFFFE CPUID count grew by >= 4 every round", i);
		CHECK_EQ(rec->bad_count_cycles, 0,
			 "guest reader %d: 0x4FFFFFFD CPUID 64-bit cycles never went back", i);
		CHECK_EQ(rec->bad_zero, 0,
			 "guest reader %d: count high halves, status and reserved registers read 0", i);
		CHECK(rec->total < final_total &&
		      ec_u64(rec->total_cycles_hi, rec->total_cycles_lo) <= final_cycles &&
		      rec->count < q[EC_EAX] &&
		      ec_u64(rec->count_cycles_hi, rec->count_cycles_lo) <= final_count_cycles,
		      "guest reader %d: its last values <= the final ones (total %u < %llu, CPUID %u < %u)",
		      i, rec->total, (unsigned long long)final_total, rec->count, q[EC_EAX]);
		CHECK_GE(rec->total - rec->first_total,
			 (uint64_t)(readers[i].done - 1) * READER_CPUIDS_PER_ROUND,
			 "guest reader %d: total grew by at least its own queries", i);
	}

	CHECK_EQ(hr->errors, 0, "host reader: every read parsed");
	CHECK_EQ(hr->backwards, 0, "host reader: no count or cycle total ever went back");
	CHECK_EQ(hr->inconsistent, 0,
		 "host reader: each total line = the sum of its reason lines");
	CHECK_EQ(hr->all_below_vms, 0, "host reader: all-VMs line >= the sum of the VM lines");

	/* The host reader's last values are at most the final ones. */
	CHECK_EQ(hostview_read(hr->hv), 0, "read %s after the race", HOSTVIEW_DEV);
	all = &hr->seen[MAX_SEEN];
	n = 0;
	for (i = 0; i < hr->hv->nr_vms; i++) {
		struct seen *s = NULL;
		int j;

		if (hr->hv->vms[i].pid != getpid())
			continue;
		n++;
		for (j = 0; j < MAX_SEEN; j++)
			if (hr->seen[j].id == hr->hv->vms[i].id)
				s = &hr->seen[j];
		if (s) {
			mine = s;
			CHECK(s->exits <= hr->hv->vms[i].s.exits &&
			      s->cycles <= hr->hv->vms[i].s.cycles,
			      "host reader: the race VM's last exits %llu, cycles %llu <= final %llu, %llu",
			      (unsigned long long)s->exits, (unsigned long long)s->cycles,
			      (unsigned long long)hr->hv->vms[i].s.exits,
			      (unsigned long long)hr->hv->vms[i].s.cycles);
		}
	}
	CHECK(n == 1 && mine, "host view: the race VM is the one VM left, and the reader saw it");
	CHECK(all->exits <= hr->hv->all.exits && all->cycles <= hr->hv->all.cycles,
	      "host reader: all-VMs last exits %llu, cycles %llu <= final %llu, %llu",
	      (unsigned long long)all->exits, (unsigned long long)all->cycles,
	      (unsigned long long)hr->hv->all.exits, (unsigned long long)hr->hv->all.cycles);
	CHECK_EQ(hr->hv->lost, 0, "host view: lost 0");
	vm_destroy(vm);
	return tap_finish();
}
