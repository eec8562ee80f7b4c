// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_scope: whose exits a guest's counts include.
 *
 *   kvm_scope --expect=vm|host
 *
 * Two VMs at once in this process (A and B), then a third (C) after A and
 * B are destroyed. With scope=vm (the default) each VM's CPUID count is
 * its own CPUIDs only; with scope=host it is every VM's since the module
 * was loaded (or reset): B's first count follows A's, A sees B's CPUIDs,
 * and C starts at least at A's last count. Run no other VM meanwhile.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kvm_util.h"

#define A_CPUIDS 100
#define B_CPUIDS 200

/* ESI CPUID(0) in a row. */
DEFINE_GUEST_FN(guest_cpuid_loop,
	"1:\n"
	"\ttest %esi, %esi\n"
	"\tjz 2f\n"
	"\txor %eax, %eax\n"
	"\txor %ecx, %ecx\n"
	"\tcpuid\n"
	"\tdec %esi\n"
	"\tjmp 1b\n"
	"2:\n");

static void cpuid_loop(struct kvm_vcpu *v, uint32_t n)
{
	struct kvm_regs regs;

	memset(&regs, 0, sizeof(regs));
	regs.rsi = n;
	v->exits_cpuid += n;
	vcpu_call(v, GUEST_FN(guest_cpuid_loop), &regs);
}

static uint32_t count(struct kvm_vcpu *v, uint32_t nr)
{
	uint32_t r[EC_NR_REGS];

	guest_cpuid(v, EC_LEAF_COUNT, nr, r, NULL);
	return r[EC_EAX];
}

int main(int argc, char **argv)
{
	const struct ec_isa_table *t;
	struct kvm_vm *a, *b, *c;
	uint32_t r[EC_NR_REGS], nr, a1, a2, a3, b1, c1;
	const char *expect = "vm";
	struct hostview *hv;
	static char tag[64];
	bool host;
	int i, n;

	for (i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "--expect=", 9)) {
			expect = argv[i] + 9;
		} else {
			fprintf(stderr, "usage: %s [--expect=vm|host]\n", argv[0]);
			return 2;
		}
	}
	snprintf(tag, sizeof(tag), "kvm_scope[%s]", expect);
	tap_init(tag);
	host = !strcmp(expect, "host");
	if (!host && strcmp(expect, "vm") != 0) {
		errno = EINVAL;
		TEST_ASSERT(0, "--expect=%s", expect);
	}
	t = ec_table_for_isa(host_cpu_isa());
	errno = 0;
	TEST_ASSERT(t, "host CPU is neither AMD nor Intel");
	nr = reason_nr(t, "CPUID");

	a = vm_create();
	guest_cpuid(a->vcpu, EC_LEAF_INFO, EC_INFO_HOST, r, NULL);
	CHECK_EQ(r[EC_EBX], host ? EC_SCOPE_HOST : EC_SCOPE_VM,
		 "0x4FFFFFFC/1: scope %s", host ? "host (0)" : "VM (1)");
	cpuid_loop(a->vcpu, A_CPUIDS);
	a1 = count(a->vcpu, nr);
	if (host)
		CHECK_GE(a1, a->vcpu->exits_cpuid, "A: CPUID count >= A's CPUIDs");
	else
		CHECK_EQ(a1, a->vcpu->exits_cpuid, "A: CPUID count = A's CPUIDs");

	/* B alive at the same time as A */
	b = vm_create();
	b1 = count(b->vcpu, nr);
	if (host)
		CHECK_EQ(b1, a1 + 1, "B's first CPUID count continues A's (host scope)");
	else
		CHECK_EQ(b1, 1, "B's first CPUID count is its own query only (VM scope)");
	cpuid_loop(b->vcpu, B_CPUIDS);
	a2 = count(a->vcpu, nr);
	if (host)
		CHECK_EQ(a2 - a1, 1 + B_CPUIDS + 1,
			 "A's count includes B's %d CPUIDs (host scope)", B_CPUIDS);
	else
		CHECK_EQ(a2 - a1, 1, "A's count excludes B's CPUIDs (VM scope)");

	/* per-VM lines of the host view: both VMs, each its own count */
	hv = calloc(1, sizeof(*hv));
	TEST_ASSERT(hv, "calloc");
	CHECK_EQ(hostview_read(hv), 0, "read %s", HOSTVIEW_DEV);
	CHECK(!strcmp(hv->scope, host ? "host" : "vm"), "host view: scope %s",
	      hv->scope);
	hostview_vm_of_pid(hv, getpid(), &n);
	CHECK_EQ(n, 2, "host view: two VMs of pid %d", (int)getpid());
	if (n == 2) {
		uint64_t got[2] = { 0, 0 }, want_a = a->vcpu->exits_cpuid,
			 want_b = b->vcpu->exits_cpuid;
		int k = 0, j;

		for (i = 0; i < hv->nr_vms; i++) {
			if (hv->vms[i].pid != getpid())
				continue;
			for (j = 0; j < hv->vms[i].s.nr_reasons; j++)
				if (hv->vms[i].s.reasons[j].nr == nr &&
				    strcmp(hv->vms[i].s.reasons[j].name, "other") != 0)
					got[k] = hv->vms[i].s.reasons[j].exits;
			k++;
		}
		CHECK((got[0] == want_a && got[1] == want_b) ||
		      (got[0] == want_b && got[1] == want_a),
		      "host view: per-VM CPUID exits are each VM's own (%llu, %llu; want %llu, %llu)",
		      (unsigned long long)got[0], (unsigned long long)got[1],
		      (unsigned long long)want_a, (unsigned long long)want_b);
	}
	free(hv);

	/* C after A and B are gone */
	a3 = count(a->vcpu, nr);
	vm_destroy(b);
	vm_destroy(a);
	c = vm_create();
	c1 = count(c->vcpu, nr);
	if (host)
		CHECK_GE(c1, a3 + 1, "C's first CPUID count starts at least at A's last + 1 (host scope)");
	else
		CHECK_EQ(c1, 1, "C's first CPUID count is its own query only (VM scope)");
	tap_diag("CPUID counts: A %u, %u, %u; B %u; C %u", a1, a2, a3, b1, c1);
	vm_destroy(c);
	return tap_finish();
}
