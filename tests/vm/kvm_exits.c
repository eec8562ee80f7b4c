// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_exits: does exitcount count every exit of a VM, per reason, exactly?
 *
 * The guest runs a known mix of N OUTs, M CPUID(0) and K HLTs, and reads
 * its counters through the CPUID leaves before and after; the deltas must
 * be exact, protocol traffic included: every query is one CPUID exit
 * (counted before it is answered) followed by one HLT exit that hands the
 * registers to the host. Then every count the module keeps for the VM
 * (host view) must equal the kvm:kvm_exit trace events of the VM's whole
 * lifetime, per reason and in total, and the all-VMs counters must too
 * once the VM is gone.
 *
 * Runs with exitcount.ko loaded with its defaults (scope=vm). Writes the
 * module's reset file: run no other VM meanwhile.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"

#define MIX_OUTS	1000
#define MIX_CPUIDS	500
#define MIX_HLTS	20

/*
 * The mix, interleaved: in EDI the number of OUTs, in ESI the number of
 * CPUID(0), in EBP the number of HLTs (each loop round does at most one of
 * each). The final HLT, added by the macro, is one more HLT exit.
 */
DEFINE_GUEST_FN(guest_mix,
	"1:\n"
	"\ttest %edi, %edi\n"		/* OUTs left? */
	"\tjz 2f\n"
	"\tmov $" "0x4ec" ", %dx\n"	/* GUEST_PORT */
	"\tmov %edi, %eax\n"
	"\toutb %al, %dx\n"		/* I/O exit */
	"\tdec %edi\n"
	"2:\n"
	"\ttest %esi, %esi\n"		/* CPUIDs left? */
	"\tjz 3f\n"
	"\txor %eax, %eax\n"
	"\txor %ecx, %ecx\n"
	"\tcpuid\n"			/* CPUID exit (stock leaf 0) */
	"\tdec %esi\n"
	"3:\n"
	"\ttest %ebp, %ebp\n"		/* HLTs left? */
	"\tjz 4f\n"
	"\thlt\n"			/* HLT exit, KVM_EXIT_HLT */
	"\tdec %ebp\n"
	"4:\n"
	"\tmov %edi, %eax\n"
	"\tor %esi, %eax\n"
	"\tor %ebp, %eax\n"
	"\tjnz 1b\n");

/*
 * Two queries in a row, nothing between them: in EAX the leaf, in ECX the
 * subleaf; out: EDI = first EAX, EAX = second EAX.
 */
DEFINE_GUEST_FN(guest_cpuid_twice,
	"\tmov %eax, %ebp\n"
	"\tmov %ecx, %esi\n"
	"\tcpuid\n"
	"\tmov %eax, %edi\n"
	"\tmov %ebp, %eax\n"
	"\tmov %esi, %ecx\n"
	"\tcpuid\n");

_Static_assert(GUEST_PORT == 0x4ec, "guest_mix hard-codes GUEST_PORT");

static struct kvm_vcpu *vcpu;

/* Count of @nr read through 0x4FFFFFFE; @at: tallies as it is read. */
static uint32_t read_count(uint32_t nr, struct exit_tally *at)
{
	uint32_t r[EC_NR_REGS];

	guest_cpuid(vcpu, EC_LEAF_COUNT, nr, r, at);
	return r[EC_EAX];
}

static void check_exits_and_deltas(const struct ec_isa_table *t)
{
	uint32_t nr_cpuid = reason_nr(t, "CPUID");
	uint32_t nr_hlt = reason_nr(t, "HLT");
	uint32_t nr_io = reason_nr(t, io_reason_name(t));
	struct exit_tally tb_cpuid, tb_hlt, tb_io, ta_cpuid, ta_hlt, ta_io;
	uint32_t b_cpuid, b_hlt, b_io, a_cpuid, a_hlt, a_io;
	uint64_t hlt0, io0;
	struct kvm_regs regs;

	tap_diag("%s reasons: CPUID %u, HLT %u, %s %u", t->isa_name, nr_cpuid,
		 nr_hlt, io_reason_name(t), nr_io);

	b_cpuid = read_count(nr_cpuid, &tb_cpuid);
	b_hlt = read_count(nr_hlt, &tb_hlt);
	b_io = read_count(nr_io, &tb_io);

	/* Since creation, these are exact too (no other source of them). */
	CHECK_EQ(b_cpuid, tb_cpuid.cpuid,
		 "CPUID count since VM creation, query included (before the mix)");
	CHECK_EQ(b_hlt, tb_hlt.hlt, "HLT count since VM creation (before the mix)");
	CHECK_EQ(b_io, tb_io.io, "%s count since VM creation is 0 (before the mix)",
		 io_reason_name(t));

	memset(&regs, 0, sizeof(regs));
	regs.rdi = MIX_OUTS;
	regs.rsi = MIX_CPUIDS;
	regs.rbp = MIX_HLTS;
	hlt0 = vcpu->exits_hlt;
	io0 = vcpu->exits_io;
	vcpu->exits_cpuid += MIX_CPUIDS;
	vcpu_call(vcpu, GUEST_FN(guest_mix), &regs);
	/* The harness itself: the host saw the mix's I/O and HLT exits. */
	CHECK(vcpu->exits_io - io0 == MIX_OUTS &&
	      vcpu->exits_hlt - hlt0 == MIX_HLTS + 1,
	      "mix ran: host saw %llu KVM_EXIT_IO and %llu KVM_EXIT_HLT",
	      (unsigned long long)(vcpu->exits_io - io0),
	      (unsigned long long)(vcpu->exits_hlt - hlt0));

	a_cpuid = read_count(nr_cpuid, &ta_cpuid);
	a_hlt = read_count(nr_hlt, &ta_hlt);
	a_io = read_count(nr_io, &ta_io);
	tap_diag("before: CPUID %u HLT %u %s %u; after: CPUID %u HLT %u %s %u",
		 b_cpuid, b_hlt, io_reason_name(t), b_io, a_cpuid, a_hlt,
		 io_reason_name(t), a_io);

	/*
	 * CPUID: the HLT and I/O queries before, M, and the CPUID query
	 * after (each query counts itself).
	 */
	CHECK_EQ(a_cpuid - b_cpuid, 2 + MIX_CPUIDS + 1,
		 "CPUID delta = M + 3 queries = %d", MIX_CPUIDS + 3);
	/*
	 * HLT: the HLTs of the HLT query and I/O query before, K, the mix's
	 * final HLT, and the HLT of the CPUID query after (a query's own HLT
	 * comes after its answer).
	 */
	CHECK_EQ(a_hlt - b_hlt, 2 + MIX_HLTS + 1 + 1,
		 "HLT delta = K + 4 = %d", MIX_HLTS + 4);
	CHECK_EQ(a_io - b_io, MIX_OUTS, "%s delta = N = %d", io_reason_name(t),
		 MIX_OUTS);
	/* The same from the host's tallies, as a check of the arithmetic. */
	CHECK(ta_cpuid.cpuid - tb_cpuid.cpuid == 2 + MIX_CPUIDS + 1 &&
	      ta_hlt.hlt - tb_hlt.hlt == 2 + MIX_HLTS + 1 + 1 &&
	      ta_io.io - tb_io.io == MIX_OUTS,
	      "host tallies agree with the expected deltas");
	CHECK_EQ(a_cpuid, ta_cpuid.cpuid, "CPUID count since VM creation (after the mix)");
	CHECK_EQ(a_hlt, ta_hlt.hlt, "HLT count since VM creation (after the mix)");
	CHECK_EQ(a_io, ta_io.io, "%s count since VM creation (after the mix)",
		 io_reason_name(t));

	/* b) twice in a row */
	memset(&regs, 0, sizeof(regs));
	regs.rax = EC_LEAF_COUNT;
	regs.rcx = nr_cpuid;
	vcpu->exits_cpuid += 2;
	vcpu_call(vcpu, GUEST_FN(guest_cpuid_twice), &regs);
	CHECK_EQ((uint32_t)regs.rax, (uint32_t)regs.rdi + 1,
		 "0x4FFFFFFE CPUID read twice in a row: second = first + 1");
	CHECK_EQ((uint32_t)regs.rax, vcpu->exits_cpuid,
		 "second read = CPUID exits since VM creation");
}

/* e) cycles of the reasons that had exits, and the totals. */
static void check_cycles(const struct ec_isa_table *t)
{
	const char *names[3] = { "CPUID", "HLT", io_reason_name(t) };
	uint64_t sum_exits = 0, sum_cycles = 0, total_cycles;
	uint32_t r[EC_NR_REGS];
	int i;

	for (i = 0; i < 3; i++) {
		uint64_t cyc;

		guest_cpuid(vcpu, EC_LEAF_DETAIL, reason_nr(t, names[i]), r, NULL);
		cyc = ec_u64(r[EC_EBX], r[EC_ECX]);
		CHECK(r[EC_EAX] == 0 && r[EC_EDX] == EC_STATUS_OK && cyc > 0,
		      "0x4FFFFFFD %s: count hi 0, status 0, cycles %llu > 0",
		      names[i], (unsigned long long)cyc);
		sum_cycles += cyc;
	}
	guest_cpuid(vcpu, EC_LEAF_COUNT, reason_nr(t, "CPUID"), r, NULL);
	sum_exits += r[EC_EAX];
	guest_cpuid(vcpu, EC_LEAF_COUNT, reason_nr(t, "HLT"), r, NULL);
	sum_exits += r[EC_EAX];
	guest_cpuid(vcpu, EC_LEAF_COUNT, reason_nr(t, io_reason_name(t)), r, NULL);
	sum_exits += r[EC_EAX];
	guest_cpuid(vcpu, EC_LEAF_TOTAL, 0, r, NULL);
	total_cycles = ec_u64(r[EC_EBX], r[EC_ECX]);
	CHECK_GE(r[EC_EAX], sum_exits,
		 "0x4FFFFFFF total exits >= CPUID + HLT + I/O counts read before");
	CHECK_GE(total_cycles, sum_cycles,
		 "0x4FFFFFFF total cycles >= their cycles read before");
	CHECK_GT(total_cycles, 0, "0x4FFFFFFF total cycles > 0");
	CHECK_EQ(r[EC_EDX], 0, "0x4FFFFFFF EDX = 0");
}

static void diag_slots(const struct ec_isa_table *t, const char *what,
		       const uint64_t *v)
{
	char buf[1024];
	size_t len = 0;
	unsigned int s;

	buf[0] = 0;
	for (s = 0; s < t->nr_slots && len < sizeof(buf) - 64; s++)
		if (v[s])
			len += (size_t)snprintf(buf + len, sizeof(buf) - len,
				" %s=%llu",
				s == ec_other_slot(t) ? "other" : t->names[s],
				(unsigned long long)v[s]);
	tap_diag("%s:%s", what, buf);
}

/*
 * f) Per slot, the module's counts for the VM (@mod) equal the trace's
 * (@trace); @what names the module's side.
 */
static void compare_with_trace(const struct ec_isa_table *t, const char *what,
			       const uint64_t *mod, const uint64_t *mod_cycles,
			       const uint64_t *trace)
{
	unsigned int s;
	int n_equal = 0;

	for (s = 0; s < t->nr_slots; s++) {
		const char *name = s == ec_other_slot(t) ? "other" : t->names[s];

		if (!mod[s] && !trace[s])
			continue;
		if (CHECK_EQ(mod[s], trace[s],
			     "%s: reason %s: exits = kvm:kvm_exit events",
			     what, name))
			n_equal++;
		if (mod[s])
			CHECK_GT(mod_cycles[s], 0, "%s: reason %s: cycles > 0",
				 what, name);
	}
	CHECK_GT(n_equal, 0, "%s: at least one reason compared", what);
}

static void wait_objects(long long want)
{
	struct hostview *hv = calloc(1, sizeof(*hv));
	int i, r = 0;

	TEST_ASSERT(hv, "calloc");
	for (i = 0; i < 100; i++) {
		r = hostview_read(hv);
		if (r || hv->objects == want)
			break;
		usleep(50 * 1000);
	}
	CHECK(!r && hv->objects == want,
	      "objects back to %lld after the VM is destroyed (read %lld, err %d)",
	      want, hv->objects, r);
	free(hv);
}

int main(void)
{
	struct hostview *hv0 = calloc(1, sizeof(*hv0));
	struct hostview *hv = calloc(1, sizeof(*hv));
	struct exit_hist h = { 0 };
	const struct ec_isa_table *t, *host_t;
	uint64_t *mod, *mod_cycles;
	uint32_t r[EC_NR_REGS];
	struct kvm_vm *vm;
	struct hv_vm *hvm;
	pid_t pid = getpid();
	int err, n;

	tap_init("kvm_exits");
	TEST_ASSERT(hv0 && hv, "calloc");
	host_t = ec_table_for_isa(host_cpu_isa());
	errno = 0;
	TEST_ASSERT(host_t, "host CPU is neither AMD nor Intel");

	/* The all-VMs counters then hold this program's VM only. */
	err = hostview_reset();
	CHECK_EQ(err, 0, "reset %s (EC_IOC_RESET)", HOSTVIEW_DEV);
	err = hostview_read(hv0);
	CHECK_EQ(err, 0, "read %s", HOSTVIEW_DEV);
	CHECK(hv0->all.present && hv0->all.exits == 0 && hv0->all.nr_reasons == 0,
	      "all exits 0 and no reason lines right after reset");
	CHECK_EQ(hv0->bad_lines, 0, "host view: only documented line formats (first other: \"%s\")",
		 hv0->first_bad);

	err = exit_hist_start(pid);
	CHECK_EQ(err, 0, "hist trigger on kvm:kvm_exit for pid %d", (int)pid);

	vm = vm_create();
	vcpu = vm->vcpu;

	guest_cpuid(vcpu, EC_LEAF_INFO, EC_INFO_HOST, r, NULL);
	t = ec_table_for_isa(r[EC_EAX]);
	if (!CHECK(t == host_t, "0x4FFFFFFC/1 reports the host's ISA (%u)",
		   r[EC_EAX])) {
		tap_diag("using the host CPU's table (%s) from here on",
			 host_t->isa_name);
		t = host_t;
	}

	check_exits_and_deltas(t);
	check_cycles(t);

	/* f) the VM's whole lifetime, read while it is alive and stopped */
	h.by_slot = calloc(t->nr_slots, sizeof(*h.by_slot));
	mod = calloc(t->nr_slots, sizeof(*mod));
	mod_cycles = calloc(t->nr_slots, sizeof(*mod_cycles));
	TEST_ASSERT(h.by_slot && mod && mod_cycles, "calloc");
	err = exit_hist_read(t, &h);
	CHECK_EQ(err, 0, "read the kvm:kvm_exit histogram");
	CHECK_EQ(h.dropped, 0, "histogram dropped no event");
	CHECK_EQ(h.total, h.hits, "histogram entries add up to its hits");
	diag_slots(t, "kvm:kvm_exit", h.by_slot);
	CHECK_EQ(h.by_slot[ec_slot(t, reason_nr(t, "CPUID"))], vcpu->exits_cpuid,
		 "trace: CPUID events = CPUIDs the guest executed");
	CHECK_EQ(h.by_slot[ec_slot(t, reason_nr(t, "HLT"))], vcpu->exits_hlt,
		 "trace: HLT events = KVM_EXIT_HLTs");
	CHECK_EQ(h.by_slot[ec_slot(t, reason_nr(t, io_reason_name(t)))],
		 vcpu->exits_io, "trace: %s events = KVM_EXIT_IOs",
		 io_reason_name(t));

	err = hostview_read(hv);
	CHECK_EQ(err, 0, "read %s with the VM alive", HOSTVIEW_DEV);
	CHECK_EQ(hv->bad_lines, 0, "host view: only documented line formats (first other: \"%s\")",
		 hv->first_bad);
	CHECK_EQ(hv->lost, 0, "host view: lost 0 (no exit went uncounted)");
	CHECK(!strcmp(hv->isa, t->isa_name), "host view: isa %s", hv->isa);
	CHECK(!strcmp(hv->scope, "vm"), "host view: scope %s (default vm)", hv->scope);
	hvm = hostview_vm_of_pid(hv, pid, &n);
	CHECK_EQ(n, 1, "host view: one VM of pid %d", (int)pid);
	if (hvm) {
		CHECK_EQ(hv_set_by_slot(t, &hvm->s, mod, mod_cycles), 0,
			 "host view: VM reason lines consistent with the table");
		diag_slots(t, "exitcount", mod);
		compare_with_trace(t, "VM", mod, mod_cycles, h.by_slot);
		CHECK(hvm->s.present, "host view: VM total line present");
		CHECK_EQ(hvm->s.exits, h.total, "VM: total exits = kvm:kvm_exit events");
		CHECK_GT(hvm->s.cycles, 0, "VM: total cycles > 0");
	}

	vm_destroy(vm);
	wait_objects(hv0->objects);

	/* The all-VMs counters keep the destroyed VM's exits. */
	err = hostview_read(hv);
	CHECK_EQ(err, 0, "read %s after the VM is gone", HOSTVIEW_DEV);
	hostview_vm_of_pid(hv, pid, &n);
	CHECK_EQ(n, 0, "host view: no VM of pid %d once destroyed", (int)pid);
	CHECK_EQ(hv_set_by_slot(t, &hv->all, mod, mod_cycles), 0,
		 "host view: all reason lines consistent with the table");
	compare_with_trace(t, "all", mod, mod_cycles, h.by_slot);
	CHECK_EQ(hv->all.exits, h.total, "all: total exits = kvm:kvm_exit events since reset");

	err = exit_hist_stop(pid);
	CHECK_EQ(err, 0, "remove the hist trigger");
	return tap_finish();
}
