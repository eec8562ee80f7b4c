// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_concurrent: are counts exact when many vCPUs exit at the same time?
 *
 *   kvm_concurrent [--vms=M] [--vcpus=N] [--rounds=R] [--expect=vm|host]
 *
 * M VMs of N vCPUs each, one thread per vCPU, all released at once by a
 * barrier; each vCPU runs R rounds of its own known mix of OUT, CPUID,
 * RDMSR and HLT exits (the mix differs from vCPU to vCPU, so exits counted
 * for the wrong vCPU or VM change a sum). All wait for each other after
 * the first round and yield the CPU after each, so that the runs overlap
 * even with fewer CPUs than vCPUs. Once all are done, for each VM:
 *  - the host view's per-reason counts equal the sums of its vCPUs'
 *    tallies and the kvm:kvm_exit events of its vCPU threads, per reason
 *    and in total; the all-VMs counts equal every thread's events;
 *  - the guest leaves, read from vCPU 0, give the same sums: the VM's
 *    (--expect=vm) or all VMs' (--expect=host, since the reset done at
 *    the start);
 *  - objects is one per VM and per vCPU more than before, and back once
 *    the VMs are destroyed; lost stays 0.
 * Run no other VM meanwhile (writes the module's reset file).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"

#define MAX_VMS 4

struct worker {
	struct kvm_vcpu *vcpu;
	struct exit_mix mix;
	unsigned int rounds;
	pid_t tid;
	struct timespec start, end;
	pthread_t thread;
};

static pthread_barrier_t go, first_round;

static void *worker_run(void *arg)
{
	struct worker *w = arg;
	unsigned int i;

	w->tid = thread_id();
	pthread_barrier_wait(&go);
	clock_gettime(CLOCK_MONOTONIC, &w->start);
	for (i = 0; i < w->rounds; i++) {
		vcpu_exit_mix(w->vcpu, &w->mix);
		/*
		 * Every vCPU has exited before any goes on, so none is done
		 * before all have begun, even with fewer CPUs than vCPUs; and
		 * they take turns after each round.
		 */
		if (i == 0)
			pthread_barrier_wait(&first_round);
		sched_yield();
	}
	clock_gettime(CLOCK_MONOTONIC, &w->end);
	return NULL;
}

struct sums {
	uint64_t cpuid, hlt, io, msr;
};

static void add_sums(struct sums *s, const struct kvm_vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++) {
		s->cpuid += vm->vcpus[i]->exits_cpuid;
		s->hlt += vm->vcpus[i]->exits_hlt;
		s->io += vm->vcpus[i]->exits_io;
		s->msr += vm->vcpus[i]->exits_msr;
	}
}

static struct sums sums_of(struct kvm_vm **vms, int from, int to)
{
	struct sums s = { 0 };
	int v;

	for (v = from; v < to; v++)
		add_sums(&s, vms[v]);
	return s;
}

/*
 * The reads of one VM's guest, from vCPU 0, on a thread of its own (so the
 * trace can tell its exits from other VMs'): each count against the sum of
 * the tallies of VMs [from, to) at that moment, the total against the
 * trace events of those VMs' threads just before and after.
 */
struct query {
	struct kvm_vm **vms;
	const struct ec_isa_table *t;
	pid_t *tids;		/* workers', then one per VM's query thread */
	pthread_t thread;
	struct sums want, got;
	uint64_t lo, hi;
	int v, from, to, nr_vcpus, nw;
	uint32_t total;
	int err;
};

/* Trace events of VMs [from, to): their workers' and query threads'. */
static int hist_of_vms(struct query *qr, struct exit_hist *h, uint64_t *total)
{
	pid_t set[MAX_VMS * (VM_MAX_VCPUS + 1)];
	int v, n = 0, i;

	for (v = qr->from; v < qr->to; v++) {
		for (i = 0; i < qr->nr_vcpus; i++)
			set[n++] = qr->tids[v * qr->nr_vcpus + i];
		set[n++] = qr->tids[qr->nw + v];
	}
	i = exit_hist_tasks_read(qr->t, set, n, h);
	*total = h->total;
	return i;
}

static void *query_run(void *arg)
{
	struct query *qr = arg;
	struct kvm_vcpu *q = qr->vms[qr->v]->vcpu;
	const struct ec_isa_table *t = qr->t;
	uint32_t r[EC_NR_REGS];
	struct exit_hist h;
	uint64_t before, after;

	qr->tids[qr->nw + qr->v] = thread_id();
	h.by_slot = calloc(t->nr_slots, sizeof(uint64_t));
	TEST_ASSERT(h.by_slot, "calloc");
	guest_cpuid(q, EC_LEAF_COUNT, reason_nr(t, "CPUID"), r, NULL);
	qr->want = sums_of(qr->vms, qr->from, qr->to);
	qr->got.cpuid = r[EC_EAX];
	guest_cpuid(q, EC_LEAF_COUNT, reason_nr(t, "HLT"), r, NULL);
	qr->got.hlt = r[EC_EAX];
	guest_cpuid(q, EC_LEAF_COUNT, reason_nr(t, io_reason_name(t)), r, NULL);
	qr->got.io = r[EC_EAX];
	guest_cpuid(q, EC_LEAF_COUNT, reason_nr(t, rdmsr_reason_name(t)), r, NULL);
	qr->got.msr = r[EC_EAX];
	/*
	 * want.cpuid includes the first query; want.hlt its HLT, which the
	 * later queries see. want.io and want.msr do not change.
	 */
	qr->err = hist_of_vms(qr, &h, &before);
	guest_cpuid(q, EC_LEAF_TOTAL, 0, r, NULL);
	qr->err |= hist_of_vms(qr, &h, &after);
	qr->total = r[EC_EAX];
	qr->lo = before + 1;	/* the query's own CPUID exit */
	qr->hi = after - 1;	/* less the query's HLT */
	free(h.by_slot);
	return NULL;
}

static double ts_sec(const struct timespec *t)
{
	return (double)t->tv_sec + (double)t->tv_nsec / 1e9;
}

/* The host view's VM of our pid whose CPUID count is @cpuid. */
static struct hv_vm *hv_vm_by_cpuid(struct hostview *hv, const struct ec_isa_table *t,
				    uint64_t cpuid, int *n)
{
	uint64_t *ex = calloc(t->nr_slots, sizeof(*ex));
	uint64_t *cy = calloc(t->nr_slots, sizeof(*cy));
	struct hv_vm *found = NULL;
	int i;

	TEST_ASSERT(ex && cy, "calloc");
	*n = 0;
	for (i = 0; i < hv->nr_vms; i++) {
		if (hv->vms[i].pid != getpid())
			continue;
		hv_set_by_slot(t, &hv->vms[i].s, ex, cy);
		if (ex[ec_slot(t, reason_nr(t, "CPUID"))] == cpuid) {
			found = &hv->vms[i];
			(*n)++;
		}
	}
	free(ex);
	free(cy);
	return found;
}

static void compare_slots(const struct ec_isa_table *t, const char *what,
			  const uint64_t *got, const uint64_t *want)
{
	unsigned int s, n = 0, bad = 0;

	for (s = 0; s < t->nr_slots; s++) {
		if (!got[s] && !want[s])
			continue;
		n++;
		if (got[s] != want[s] && bad++ < 8)
			tap_diag("%s: reason %s: %llu, kvm:kvm_exit events %llu", what,
				 s == ec_other_slot(t) ? "other" : t->names[s],
				 (unsigned long long)got[s], (unsigned long long)want[s]);
	}
	CHECK(bad == 0 && n > 0,
	      "%s: every reason's count = kvm:kvm_exit events of its threads (%u reasons, %u differ)",
	      what, n, bad);
}

int main(int argc, char **argv)
{
	unsigned int nr_vms = 1, nr_vcpus = 2, rounds = 8, i;
	const char *expect = "vm";
	const struct ec_isa_table *t;
	struct kvm_vm *vms[MAX_VMS];
	struct query queries[MAX_VMS];
	struct worker *w;
	pid_t *tids;
	struct hostview *hv0, *hv;
	struct exit_hist h, hall;
	uint64_t *ex, *cy;
	uint32_t nr_cpuid, nr_hlt, nr_io, nr_msr;
	double max_start = 0, min_end = 1e30;
	static char tag[80];
	int v, n, nw, err;
	bool host, ok;

	for (i = 1; i < (unsigned int)argc; i++) {
		if (!strncmp(argv[i], "--vms=", 6)) {
			nr_vms = (unsigned int)atoi(argv[i] + 6);
		} else if (!strncmp(argv[i], "--vcpus=", 8)) {
			nr_vcpus = (unsigned int)atoi(argv[i] + 8);
		} else if (!strncmp(argv[i], "--rounds=", 9)) {
			rounds = (unsigned int)atoi(argv[i] + 9);
		} else if (!strncmp(argv[i], "--expect=", 9)) {
			expect = argv[i] + 9;
		} else {
			fprintf(stderr, "usage: %s [--vms=M] [--vcpus=N] [--rounds=R] [--expect=vm|host]\n",
				argv[0]);
			return 2;
		}
	}
	snprintf(tag, sizeof(tag), "kvm_concurrent[%u VMs x %u vCPUs, %s]", nr_vms,
		 nr_vcpus, expect);
	tap_init(tag);
	host = !strcmp(expect, "host");
	errno = EINVAL;
	TEST_ASSERT(host || !strcmp(expect, "vm"), "--expect=%s", expect);
	TEST_ASSERT(nr_vms >= 1 && nr_vms <= MAX_VMS && nr_vcpus >= 1 &&
		    nr_vcpus <= VM_MAX_VCPUS && rounds >= 2, "--vms/--vcpus/--rounds");
	t = ec_table_for_isa(host_cpu_isa());
	errno = 0;
	TEST_ASSERT(t, "host CPU is neither AMD nor Intel");
	nr_cpuid = reason_nr(t, "CPUID");
	nr_hlt = reason_nr(t, "HLT");
	nr_io = reason_nr(t, io_reason_name(t));
	nr_msr = reason_nr(t, rdmsr_reason_name(t));

	hv0 = calloc(1, sizeof(*hv0));
	hv = calloc(1, sizeof(*hv));
	nw = (int)(nr_vms * nr_vcpus);
	w = calloc((size_t)nw, sizeof(*w));
	tids = calloc((size_t)nw + MAX_VMS, sizeof(*tids));
	h.by_slot = calloc(t->nr_slots, sizeof(uint64_t));
	hall.by_slot = calloc(t->nr_slots, sizeof(uint64_t));
	ex = calloc(t->nr_slots, sizeof(*ex));
	cy = calloc(t->nr_slots, sizeof(*cy));
	TEST_ASSERT(hv0 && hv && w && tids && h.by_slot && hall.by_slot && ex && cy,
		    "calloc");

	CHECK_EQ(exit_hist_tasks_start(), 0, "hist trigger on kvm:kvm_exit keyed by thread");
	/* scope=host: the guests' counts are then exactly these VMs' exits. */
	CHECK_EQ(hostview_reset(), 0, "reset %s (EC_IOC_RESET)", HOSTVIEW_DEV);
	CHECK_EQ(hostview_read(hv0), 0, "read %s", HOSTVIEW_DEV);

	for (v = 0; v < (int)nr_vms; v++)
		vms[v] = vm_create_vcpus(nr_vcpus);
	for (i = 0; i < (unsigned int)nw; i++) {
		/* different for every vCPU, so a misplaced exit shows */
		w[i].vcpu = vms[i / nr_vcpus]->vcpus[i % nr_vcpus];
		w[i].mix = (struct exit_mix){
			.outs = 10 + 3 * i, .cpuids = 75 + 11 * i,
			.hlts = 1 + i % 5, .rdmsrs = 4 + 2 * i,
		};
		w[i].rounds = rounds;
	}
	pthread_barrier_init(&go, NULL, (unsigned int)nw + 1);
	pthread_barrier_init(&first_round, NULL, (unsigned int)nw);
	for (i = 0; i < (unsigned int)nw; i++)
		TEST_ASSERT(!pthread_create(&w[i].thread, NULL, worker_run, &w[i]),
			    "pthread_create");
	pthread_barrier_wait(&go);
	for (i = 0; i < (unsigned int)nw; i++) {
		pthread_join(w[i].thread, NULL);
		tids[i] = w[i].tid;
		if (ts_sec(&w[i].start) > max_start)
			max_start = ts_sec(&w[i].start);
		if (ts_sec(&w[i].end) < min_end)
			min_end = ts_sec(&w[i].end);
	}
	tap_diag("%d vCPU threads, last start %.3f s before first end", nw,
		 min_end - max_start);
	/* Each thread's exits are exact alone; together they must overlap. */
	CHECK(max_start < min_end,
	      "all %d vCPU threads were running at once (last started before first ended)", nw);

	/* --- per VM: host view = tallies = trace */
	CHECK_EQ(hostview_read(hv), 0, "read %s with the VMs alive", HOSTVIEW_DEV);
	CHECK_EQ(hv->bad_lines, 0, "host view: only documented line formats (first other: \"%s\")",
		 hv->first_bad);
	CHECK_EQ(hv->lost, 0, "host view: lost 0");
	CHECK_EQ(hv->objects, hv0->objects + (long long)nr_vms * (1 + nr_vcpus),
		 "host view: objects = before + %u VMs + %u vCPUs", nr_vms,
		 nr_vms * nr_vcpus);
	hostview_vm_of_pid(hv, getpid(), &n);
	CHECK_EQ(n, nr_vms, "host view: %u VMs of pid %d", nr_vms, (int)getpid());
	for (v = 0; v < (int)nr_vms; v++) {
		struct sums s = sums_of(vms, v, v + 1);
		struct hv_vm *hvm;
		char what[32];

		snprintf(what, sizeof(what), "VM %d", v);
		err = exit_hist_tasks_read(t, tids + (size_t)v * nr_vcpus, (int)nr_vcpus, &h);
		CHECK_EQ(err, 0, "%s: read the kvm:kvm_exit histogram", what);
		CHECK(h.by_slot[ec_slot(t, nr_cpuid)] == s.cpuid &&
		      h.by_slot[ec_slot(t, nr_hlt)] == s.hlt &&
		      h.by_slot[ec_slot(t, nr_io)] == s.io &&
		      h.by_slot[ec_slot(t, nr_msr)] == s.msr,
		      "%s: trace events = the vCPUs' tallies (CPUID %llu, HLT %llu, I/O %llu, MSR read %llu)",
		      what, (unsigned long long)s.cpuid, (unsigned long long)s.hlt,
		      (unsigned long long)s.io, (unsigned long long)s.msr);
		hvm = hv_vm_by_cpuid(hv, t, s.cpuid, &n);
		CHECK_EQ(n, 1, "%s: one host view VM has CPUID exits = the sum of its vCPUs' %llu",
			 what, (unsigned long long)s.cpuid);
		if (!hvm)
			continue;
		hv_set_by_slot(t, &hvm->s, ex, cy);
		CHECK(ex[ec_slot(t, nr_hlt)] == s.hlt && ex[ec_slot(t, nr_io)] == s.io &&
		      ex[ec_slot(t, nr_msr)] == s.msr,
		      "%s: host view HLT %llu, I/O %llu, MSR read %llu = the sums of its vCPUs",
		      what, (unsigned long long)ex[ec_slot(t, nr_hlt)],
		      (unsigned long long)ex[ec_slot(t, nr_io)],
		      (unsigned long long)ex[ec_slot(t, nr_msr)]);
		compare_slots(t, what, ex, h.by_slot);
		CHECK_EQ(hvm->s.exits, h.total, "%s: host view total = kvm:kvm_exit events", what);
	}
	err = exit_hist_tasks_read(t, tids, nw, &hall);
	CHECK_EQ(err, 0, "read the kvm:kvm_exit histogram (all threads)");
	CHECK_EQ(hall.dropped, 0, "histogram dropped no event");
	hv_set_by_slot(t, &hv->all, ex, cy);
	compare_slots(t, "all VMs", ex, hall.by_slot);
	CHECK_EQ(hv->all.exits, hall.total, "all VMs: host view total = kvm:kvm_exit events");

	/* --- the guests' own reads, one VM after the other */
	for (v = 0; v < (int)nr_vms; v++) {
		struct query *qr = &queries[v];
		char what[48];

		qr->vms = vms;
		qr->t = t;
		qr->v = v;
		qr->from = host ? 0 : v;
		qr->to = host ? (int)nr_vms : v + 1;
		qr->nr_vcpus = (int)nr_vcpus;
		qr->tids = tids;
		qr->nw = nw;
		TEST_ASSERT(!pthread_create(&qr->thread, NULL, query_run, qr), "pthread_create");
		pthread_join(qr->thread, NULL);
		snprintf(what, sizeof(what), "VM %d reads %s", v, host ? "all VMs" : "its own");
		CHECK_EQ(qr->got.cpuid, qr->want.cpuid,
			 "%s: 0x4FFFFFFE CPUID = sum of the vCPUs' CPUIDs", what);
		CHECK_EQ(qr->got.hlt, qr->want.hlt,
			 "%s: 0x4FFFFFFE HLT = sum of the vCPUs' HLTs", what);
		CHECK_EQ(qr->got.io, qr->want.io, "%s: 0x4FFFFFFE %s = sum of the vCPUs' OUTs",
			 what, io_reason_name(t));
		CHECK_EQ(qr->got.msr, qr->want.msr,
			 "%s: 0x4FFFFFFE MSR read = sum of the vCPUs' MSR reads", what);
		CHECK(!qr->err && qr->total >= (uint32_t)qr->lo && qr->total <= (uint32_t)qr->hi,
		      "%s: 0x4FFFFFFF total %u = kvm:kvm_exit events at the query (%llu..%llu)",
		      what, qr->total, (unsigned long long)qr->lo, (unsigned long long)qr->hi);
	}

	for (v = 0; v < (int)nr_vms; v++)
		vm_destroy(vms[v]);
	ok = hostview_wait_objects(hv, hv0->objects, 10000);
	CHECK(ok, "objects back to %lld once the VMs are destroyed (now %lld)", hv0->objects,
	      hv->objects);
	/* The destroyed VMs' exits stay in the all-VMs counts, exactly. */
	err = exit_hist_tasks_read(t, tids, nw + (int)nr_vms, &hall);
	hv_set_by_slot(t, &hv->all, ex, cy);
	compare_slots(t, "all VMs after destroy", ex, hall.by_slot);
	CHECK(!err && hv->all.exits == hall.total,
	      "all VMs after destroy: host view total %llu = kvm:kvm_exit events %llu",
	      (unsigned long long)hv->all.exits, (unsigned long long)hall.total);
	CHECK_EQ(hv->lost, 0, "host view: lost 0 at the end");

	CHECK_EQ(exit_hist_tasks_stop(), 0, "remove the hist trigger");
	return tap_finish();
}
