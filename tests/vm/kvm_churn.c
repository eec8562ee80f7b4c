// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_churn: VMs come and go; does the module let go of them, and keep
 * their exits?
 *
 *   kvm_churn [--vms=N] [--threads=T]
 *
 * T threads create and destroy N VMs in all (N/T each, at the same time),
 * each VM with one vCPU that runs a small known mix (OUT, 2 CPUID, RDMSR,
 * HLT) before the VM is destroyed. Afterwards:
 *  - objects in the host view is back to its value before (every VM's
 *    and vCPU's allocation was freed), lost is unchanged, and no VM of
 *    this process is listed;
 *  - the all-VMs counts grew by exactly what the churned VMs did: per
 *    reason and in total equal to the kvm:kvm_exit events of the threads,
 *    and CPUID/HLT/I/O/MSR read equal to the tallies.
 * The kernel log is checked by the caller. Run no other VM meanwhile.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"

#define MAX_THREADS 16

static const struct exit_mix mix = { .outs = 1, .cpuids = 2, .hlts = 0, .rdmsrs = 1 };

struct churner {
	unsigned int vms;
	pid_t tid;
	uint64_t cpuid, hlt, io, msr;
	pthread_t thread;
};

static void *churn_run(void *arg)
{
	struct churner *c = arg;
	unsigned int i;

	c->tid = thread_id();
	for (i = 0; i < c->vms; i++) {
		struct kvm_vm *vm = vm_create();

		vcpu_exit_mix(vm->vcpu, &mix);
		c->cpuid += vm->vcpu->exits_cpuid;
		c->hlt += vm->vcpu->exits_hlt;
		c->io += vm->vcpu->exits_io;
		c->msr += vm->vcpu->exits_msr;
		vm_destroy(vm);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	unsigned int nr_vms = 1000, nr_threads = 4, i, s, diff = 0;
	struct churner c[MAX_THREADS];
	pid_t tids[MAX_THREADS];
	const struct ec_isa_table *t;
	struct hostview *hv0, *hv;
	uint64_t *ex0, *ex1, *cy, want[4] = { 0 };
	struct exit_hist h;
	struct timespec t0, t1;
	static char tag[64];
	bool ok;
	int n;

	for (i = 1; i < (unsigned int)argc; i++) {
		if (!strncmp(argv[i], "--vms=", 6)) {
			nr_vms = (unsigned int)atoi(argv[i] + 6);
		} else if (!strncmp(argv[i], "--threads=", 10)) {
			nr_threads = (unsigned int)atoi(argv[i] + 10);
		} else {
			fprintf(stderr, "usage: %s [--vms=N] [--threads=T]\n", argv[0]);
			return 2;
		}
	}
	snprintf(tag, sizeof(tag), "kvm_churn[%u VMs]", nr_vms);
	tap_init(tag);
	errno = EINVAL;
	TEST_ASSERT(nr_threads >= 1 && nr_threads <= MAX_THREADS && nr_vms >= nr_threads,
		    "--vms=%u --threads=%u", nr_vms, nr_threads);
	t = ec_table_for_isa(host_cpu_isa());
	errno = 0;
	TEST_ASSERT(t, "host CPU is neither AMD nor Intel");
	hv0 = calloc(1, sizeof(*hv0));
	hv = calloc(1, sizeof(*hv));
	ex0 = calloc(t->nr_slots, sizeof(uint64_t));
	ex1 = calloc(t->nr_slots, sizeof(uint64_t));
	cy = calloc(t->nr_slots, sizeof(uint64_t));
	h.by_slot = calloc(t->nr_slots, sizeof(uint64_t));
	TEST_ASSERT(hv0 && hv && ex0 && ex1 && cy && h.by_slot, "calloc");

	CHECK_EQ(exit_hist_tasks_start(), 0, "hist trigger on kvm:kvm_exit keyed by thread");
	CHECK_EQ(hostview_read(hv0), 0, "read %s before", HOSTVIEW_DEV);
	hv_set_by_slot(t, &hv0->all, ex0, cy);
	tap_diag("before: objects %lld, lost %lld, all exits %llu", hv0->objects, hv0->lost,
		 (unsigned long long)hv0->all.exits);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < nr_threads; i++) {
		memset(&c[i], 0, sizeof(c[i]));
		c[i].vms = nr_vms / nr_threads + (i < nr_vms % nr_threads);
		TEST_ASSERT(!pthread_create(&c[i].thread, NULL, churn_run, &c[i]),
			    "pthread_create");
	}
	for (i = 0; i < nr_threads; i++) {
		pthread_join(c[i].thread, NULL);
		tids[i] = c[i].tid;
		want[0] += c[i].cpuid;
		want[1] += c[i].hlt;
		want[2] += c[i].io;
		want[3] += c[i].msr;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	tap_diag("%u VMs created, run and destroyed by %u threads in %.1f s", nr_vms, nr_threads,
		 (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	CHECK(want[0] == 2ull * nr_vms && want[1] == nr_vms && want[2] == nr_vms &&
	      want[3] == nr_vms, "every VM ran its mix (%llu CPUID, %llu HLT, %llu I/O, %llu MSR)",
	      (unsigned long long)want[0], (unsigned long long)want[1],
	      (unsigned long long)want[2], (unsigned long long)want[3]);

	ok = hostview_wait_objects(hv, hv0->objects, 20000);
	CHECK(ok, "objects back to %lld after %u VMs (now %lld)", hv0->objects, nr_vms,
	      hv->objects);
	CHECK_EQ(hv->lost, hv0->lost, "lost unchanged (%lld)", hv0->lost);
	hostview_vm_of_pid(hv, getpid(), &n);
	CHECK_EQ(n, 0, "no VM of pid %d left in the host view", (int)getpid());

	/* The all-VMs counts kept every churned VM's exits, exactly. */
	CHECK_EQ(exit_hist_tasks_read(t, tids, (int)nr_threads, &h), 0,
		 "read the kvm:kvm_exit histogram");
	CHECK_EQ(h.dropped, 0, "histogram dropped no event");
	hv_set_by_slot(t, &hv->all, ex1, cy);
	for (s = 0; s < t->nr_slots; s++) {
		if (ex1[s] - ex0[s] != h.by_slot[s] && diff++ < 4)
			tap_diag("all: reason %s grew by %llu, kvm:kvm_exit events %llu",
				 s == ec_other_slot(t) ? "other" : t->names[s],
				 (unsigned long long)(ex1[s] - ex0[s]),
				 (unsigned long long)h.by_slot[s]);
	}
	CHECK_EQ(diff, 0, "all VMs: each reason grew by the churned VMs' kvm:kvm_exit events");
	CHECK_EQ(hv->all.exits - hv0->all.exits, h.total,
		 "all VMs: total grew by the churned VMs' kvm:kvm_exit events");
	CHECK(ex1[ec_slot(t, reason_nr(t, "CPUID"))] - ex0[ec_slot(t, reason_nr(t, "CPUID"))] ==
	      want[0] &&
	      ex1[ec_slot(t, reason_nr(t, "HLT"))] - ex0[ec_slot(t, reason_nr(t, "HLT"))] ==
	      want[1] &&
	      ex1[ec_slot(t, reason_nr(t, io_reason_name(t)))] -
	      ex0[ec_slot(t, reason_nr(t, io_reason_name(t)))] == want[2] &&
	      ex1[ec_slot(t, reason_nr(t, rdmsr_reason_name(t)))] -
	      ex0[ec_slot(t, reason_nr(t, rdmsr_reason_name(t)))] == want[3],
	      "all VMs: CPUID, HLT, I/O and MSR read grew by the VMs' tallies");
	CHECK_EQ(exit_hist_tasks_stop(), 0, "remove the hist trigger");
	return tap_finish();
}
