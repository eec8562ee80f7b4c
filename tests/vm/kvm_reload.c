// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_reload: unload and load exitcount again and again under a running
 * VM.
 *
 *   kvm_reload --ko=PATH [--cycles=N] [--params=STRING] [--pause-us=P]
 *
 * Start with exitcount.ko loaded (with STRING as its parameters). A
 * background process creates a VM and sits in KVM_RUN: its guest loops
 * forever over CPUID 0x4FFFFFFC/0 (signature?), 0x4FFFFFFE/CPUID (count)
 * and 0x4FFFFFF0/CPUID (KVM's own answer for that subleaf), counting its
 * own CPUIDs and logging each round's answers in guest memory this
 * process shares (a ring of the last 32768 rounds, so that the round
 * right after an rmmod or insmod can be looked at however late). Each
 * round begins with a query (CPUID 0x4FFFFFFE/CPUID), after which the
 * guest loads known values into EAX..EDX and executes two OUTs; at the
 * first the process sleeps P microseconds (--pause-us, 1000) before it
 * re-enters: the CPU is then mostly idle, which Bochs skips over, while
 * rmmod and insmod wait for RCU grace periods. At both OUTs it reads the
 * registers: RAX..RDX must be the known values, in every phase (a query
 * answered at a later entry, e.g. when the hooks go in between the
 * query's exit and its entry, would replace them). Then N
 * times: rmmod exitcount (delete_module), let the guest run a few rounds,
 * insmod it again (finit_module), let it run. Claims, in every cycle:
 *  - rmmod and insmod succeed, and the guest's loop advances in each
 *    phase: the VM keeps running through both;
 *  - while the module is out, the guest sees no signature and KVM's own
 *    answer for 0x4FFFFFFE; once it is back, the signature again;
 *  - the VM existed before the load, and is counted from the load on:
 *    the CPUID count the guest reads lies between its CPUIDs since the
 *    load began and since it returned, and so does the host view's count
 *    for the VM; it is below the count read before the unload;
 *  - no OUT saw other RAX..RDX than the guest loaded (and every round's
 *    two OUTs were checked).
 * At the end the background process is stopped (a signal ends KVM_RUN),
 * exits 0, and objects is back to 0. The caller checks the kernel log.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kvm_util.h"

/* The guest's record, at GUEST_DATA_GPA, shared with this process. */
struct reload_rec {
	uint32_t unused;	/*  0 */
	uint32_t rounds;	/*  4: rounds done */
	uint32_t cpuids;	/*  8: CPUIDs executed (added to before each) */
	uint32_t sig;		/* 12: scratch */
	uint32_t count;		/* 16: scratch */
	uint32_t cpuids_at_count; /* 20: scratch */
	uint32_t pad;		/* 24 */
	uint32_t nr;		/* 28: in: the CPUID reason number */
	/* written by the background process (its on_io), not the guest */
	uint32_t regs_checked;	/* 32: OUTs whose RAX..RDX it checked */
	uint32_t regs_bad;	/* 36: of those, with other values */
	uint32_t bad_round;	/* 40: the round of the last bad one */
	uint32_t bad_regs[4];	/* 44: its EAX..EDX */
	uint32_t pad2;		/* to 64 */
};

/* One round's answers: ring[round % RING], tag (the round) written last. */
struct round_log {
	uint32_t count;			/* 0x4FFFFFFE/CPUID EAX */
	uint32_t cpuids_at_count;	/* the guest's CPUIDs, that one included */
	uint32_t flags;			/* bit 0 signature, bit 1 = KVM's answer */
	uint32_t tag;
};

#define RING 32768u
#define LOG_SIG 1u
#define LOG_STOCK 2u
_Static_assert(sizeof(struct reload_rec) == 64 && sizeof(struct round_log) == 16 &&
	       64 + RING * 16 <= GUEST_DATA_SIZE, "guest_reload_loop's layout");

/*
 * The known values the guest loads into EAX..EDX after its first query of
 * a round, before two OUTs to LOOP_PORT (an immediate: EDX stays free):
 * the host checks them at both exits. An answer to 0x4FFFFFFE differs in
 * each (count, 0, 0, 0).
 */
#define KNOWN_EAX	0x600df00du
#define KNOWN_EBX	0x0bb0bb0bu
#define KNOWN_ECX	0x0cc0cc0cu
#define KNOWN_EDX	0x0dd0dd0du
#define LOOP_PORT	0xe5

/* EDI: the struct reload_rec, the ring after it. Never returns. */
DEFINE_GUEST_FN(guest_reload_loop,
	"1:\n"
	"\tincl 8(%edi)\n"
	"\tmov $0x4ffffffe, %eax\n"	/* a query, its answer overwritten */
	"\tmov 28(%edi), %ecx\n"
	"\tcpuid\n"
	"\tmov $0x600df00d, %eax\n"	/* KNOWN_EAX.. */
	"\tmov $0x0bb0bb0b, %ebx\n"
	"\tmov $0x0cc0cc0c, %ecx\n"
	"\tmov $0x0dd0dd0d, %edx\n"
	"reload_out_pause:\n"		/* KVM_EXIT_IO: RIP at the OUT */
	"\toutb %al, $0xe5\n"		/* LOOP_PORT: a pause in user space */
	"reload_out_check:\n"
	"\toutb %al, $0xe5\n"		/* sees what the entry after the pause left */
	"\tincl 8(%edi)\n"
	"\tmov $0x4ffffffc, %eax\n"
	"\txor %ecx, %ecx\n"
	"\tcpuid\n"
	"\txor %esi, %esi\n"
	"\tcmp $0x74697865, %ebx\n"	/* EC_SIGNATURE_EBX */
	"\tjne 2f\n"
	"\tcmp $0x6e756f63, %ecx\n"	/* EC_SIGNATURE_ECX */
	"\tjne 2f\n"
	"\tcmp $0x4d564b74, %edx\n"	/* EC_SIGNATURE_EDX */
	"\tjne 2f\n"
	"\tmov $1, %esi\n"		/* LOG_SIG */
	"2:\n"
	"\tmov %esi, 12(%edi)\n"
	"\tincl 8(%edi)\n"
	"\tmov 8(%edi), %esi\n"
	"\tmov %esi, 20(%edi)\n"
	"\tmov $0x4ffffffe, %eax\n"
	"\tmov 28(%edi), %ecx\n"
	"\tcpuid\n"
	"\tmov %eax, 16(%edi)\n"
	"\tpush %eax\n"
	"\tpush %ebx\n"
	"\tpush %ecx\n"
	"\tpush %edx\n"
	"\tincl 8(%edi)\n"
	"\tmov $0x4ffffff0, %eax\n"
	"\tmov 28(%edi), %ecx\n"
	"\tcpuid\n"
	"\txor %esi, %esi\n"
	"\tcmp 0(%esp), %edx\n"
	"\tjne 3f\n"
	"\tcmp 4(%esp), %ecx\n"
	"\tjne 3f\n"
	"\tcmp 8(%esp), %ebx\n"
	"\tjne 3f\n"
	"\tcmp 12(%esp), %eax\n"
	"\tjne 3f\n"
	"\tmov $2, %esi\n"		/* LOG_STOCK */
	"3:\n"
	"\tadd $16, %esp\n"
	"\tor 12(%edi), %esi\n"
	"\tmov 4(%edi), %ebx\n"		/* this round's log entry */
	"\tand $0x7fff, %ebx\n"		/* RING - 1 */
	"\tshl $4, %ebx\n"
	"\tlea 64(%edi,%ebx), %ebx\n"
	"\tmov 16(%edi), %eax\n"
	"\tmov %eax, 0(%ebx)\n"
	"\tmov 20(%edi), %eax\n"
	"\tmov %eax, 4(%ebx)\n"
	"\tmov %esi, 8(%ebx)\n"
	"\tmov 4(%edi), %eax\n"
	"\tmov %eax, 12(%ebx)\n"	/* the tag last */
	"\tincl 4(%edi)\n"
	"\tjmp 1b\n");

extern const uint8_t reload_out_pause[], reload_out_check[];

_Static_assert(LOOP_PORT == 0xe5 && KNOWN_EAX == 0x600df00d && KNOWN_EBX == 0x0bb0bb0b &&
	       KNOWN_ECX == 0x0cc0cc0c && KNOWN_EDX == 0x0dd0dd0d,
	       "guest_reload_loop hard-codes LOOP_PORT and KNOWN_*");
_Static_assert(EC_SIGNATURE_EBX == 0x74697865 && EC_SIGNATURE_ECX == 0x6e756f63 &&
	       EC_SIGNATURE_EDX == 0x4d564b74, "guest_reload_loop's signature");

static volatile struct reload_rec *rec;
static volatile struct round_log *ring;

static uint32_t rounds_now(void)
{
	return __atomic_load_n(&rec->rounds, __ATOMIC_ACQUIRE);
}

static uint32_t cpuids_now(void)
{
	return __atomic_load_n(&rec->cpuids, __ATOMIC_ACQUIRE);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wait until the guest has done @rounds rounds; false after 120 s. */
static bool wait_rounds(uint32_t rounds)
{
	double end = now() + 120;

	while ((int32_t)(rounds_now() - rounds) < 0) {
		if (now() > end)
			return false;
		usleep(200);
	}
	return true;
}

/*
 * The log of round @r, once done (waits for it); false if it is not in
 * the ring any more (this process was more than RING rounds late).
 */
static bool round_log(uint32_t r, struct round_log *out)
{
	volatile struct round_log *e = &ring[r % RING];

	if (!wait_rounds(r + 1))
		return false;
	if (__atomic_load_n(&e->tag, __ATOMIC_ACQUIRE) != r)
		return false;
	out->count = e->count;
	out->cpuids_at_count = e->cpuids_at_count;
	out->flags = e->flags;
	__atomic_thread_fence(__ATOMIC_ACQUIRE);
	out->tag = __atomic_load_n(&e->tag, __ATOMIC_RELAXED);
	return out->tag == r;
}

/* The last round done; false if the guest does not run. */
static bool last_round(struct round_log *l)
{
	int i;

	for (i = 0; i < 10; i++)
		if (round_log(rounds_now() - 1, l))
			return true;
	return false;
}

/* Wait until the guest's CPUID count reads @count or more; false after 120 s. */
static bool wait_count(uint32_t count)
{
	double end = now() + 120;
	struct round_log l = { 0 };

	while (last_round(&l) && l.count < count) {
		if (now() > end)
			return false;
		usleep(1000);
	}
	return l.count >= count;
}

/* ------------------------------------------------- the background VM */

static struct kvm_run *child_run;
static int pause_us = 1000;

/*
 * At each OUT: RAX..RDX must be what the guest loaded after its query
 * (nothing may have written a stale answer at the entry before); then,
 * at the first of the two, the pause.
 */
static void child_on_io(struct kvm_vcpu *vcpu)
{
	struct kvm_regs regs;
	int r = ioctl(vcpu->fd, KVM_GET_REGS, &regs);

	TEST_ASSERT(r == 0, "KVM_GET_REGS at an OUT");
	rec->regs_checked++;
	if (regs.rax != KNOWN_EAX || regs.rbx != KNOWN_EBX || regs.rcx != KNOWN_ECX ||
	    regs.rdx != KNOWN_EDX || (regs.rip != guest_gpa(reload_out_pause) &&
				      regs.rip != guest_gpa(reload_out_check))) {
		rec->regs_bad++;
		rec->bad_round = rec->rounds;
		rec->bad_regs[0] = (uint32_t)regs.rax;
		rec->bad_regs[1] = (uint32_t)regs.rbx;
		rec->bad_regs[2] = (uint32_t)regs.rcx;
		rec->bad_regs[3] = (uint32_t)regs.rdx;
	}
	if (regs.rip == guest_gpa(reload_out_pause))
		usleep((useconds_t)pause_us);
}

static void on_term(int sig)
{
	(void)sig;
	child_run->immediate_exit = 1;	/* the next or current KVM_RUN returns EINTR */
}

static void child(void *mem)
{
	struct vm_opts opts = { .nr_vcpus = 1, .mem = mem };
	struct sigaction sa;
	struct kvm_regs regs;
	struct kvm_vm *vm;

	tap_init("kvm_reload[background VM]");
	vm = vm_create_opts(&opts);
	rec = vm_gpa(vm, GUEST_DATA_GPA);
	child_run = vm->vcpu->run;
	vm->vcpu->on_io = child_on_io;
	vm->vcpu->io_port = LOOP_PORT;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;	/* no SA_RESTART: KVM_RUN returns EINTR */
	sigaction(SIGTERM, &sa, NULL);
	memset(&regs, 0, sizeof(regs));
	regs.rdi = GUEST_DATA_GPA;
	if (vcpu_call_intr(vm->vcpu, GUEST_FN(guest_reload_loop), &regs))
		_exit(3);	/* the loop never ends */
	vm_destroy(vm);
	_exit(0);
}

/* ------------------------------------------------------------- main */

static int load(int fd, const char *params)
{
	return syscall(SYS_finit_module, fd, params, 0) ? -errno : 0;
}

static int unload(void)
{
	return syscall(SYS_delete_module, "exitcount", O_NONBLOCK) ? -errno : 0;
}

/* The host view's CPUID exits of the VM of @pid; -1 if there is none. */
static long long hv_cpuid_of(const struct ec_isa_table *t, struct hostview *hv, pid_t pid)
{
	struct hv_vm *vm;
	int n, i;

	if (hostview_read(hv))
		return -1;
	vm = hostview_vm_of_pid(hv, pid, &n);
	if (!vm)
		return -1;
	for (i = 0; i < vm->s.nr_reasons; i++)
		if (vm->s.reasons[i].nr == reason_nr(t, "CPUID") &&
		    !strcmp(vm->s.reasons[i].name, "CPUID"))
			return (long long)vm->s.reasons[i].exits;
	return 0;
}

struct tally {
	unsigned int n, bad;
};

static void note(struct tally *ty, bool ok, unsigned int cycle, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void note(struct tally *ty, bool ok, unsigned int cycle, const char *fmt, ...)
{
	va_list ap;

	ty->n++;
	if (ok || ty->bad++ >= 3)
		return;
	printf("# cycle %u: ", cycle);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

int main(int argc, char **argv)
{
	const char *ko = NULL, *params = "";
	unsigned int cycles = 50, k;
	struct tally t_rmmod = { 0 }, t_insmod = { 0 }, t_runs = { 0 }, t_absent = { 0 },
		     t_present = { 0 }, t_count = { 0 }, t_hv = { 0 }, t_regs = { 0 };
	const struct ec_isa_table *t;
	struct hostview *hv;
	struct round_log l = { 0 };
	bool ok;
	uint32_t first_rounds, last_rounds, max_after = 0;
	double t_unload = 0, t_load = 0;
	int fd, status, i;
	void *mem;
	pid_t pid;

	for (i = 1; i < argc; i++) {
		if (!strncmp(argv[i], "--ko=", 5)) {
			ko = argv[i] + 5;
		} else if (!strncmp(argv[i], "--cycles=", 9)) {
			cycles = (unsigned int)atoi(argv[i] + 9);
		} else if (!strncmp(argv[i], "--params=", 9)) {
			params = argv[i] + 9;
		} else if (!strncmp(argv[i], "--pause-us=", 11)) {
			pause_us = atoi(argv[i] + 11);
		} else {
			fprintf(stderr, "usage: %s --ko=PATH [--cycles=N] [--params=S] [--pause-us=N]\n",
				argv[0]);
			return 2;
		}
	}
	hv = calloc(1, sizeof(*hv));
	tap_init("kvm_reload");
	errno = EINVAL;
	TEST_ASSERT(ko && hv, "--ko=PATH");
	fd = open(ko, O_RDONLY | O_CLOEXEC);
	TEST_ASSERT(fd >= 0, "open %s", ko);
	t = ec_table_for_isa(host_cpu_isa());
	errno = 0;
	TEST_ASSERT(t, "host CPU is neither AMD nor Intel");
	CHECK(access(HOSTVIEW_DEV, R_OK) == 0, "exitcount is loaded at the start");

	mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		   -1, 0);
	TEST_ASSERT(mem != MAP_FAILED, "mmap shared guest memory");
	rec = (volatile struct reload_rec *)((uint8_t *)mem + GUEST_DATA_GPA);
	ring = (volatile struct round_log *)((uint8_t *)mem + GUEST_DATA_GPA + sizeof(*rec));
	rec->nr = reason_nr(t, "CPUID");
	for (i = 0; i < (int)RING; i++)
		ring[i].tag = ~0u;
	fflush(stdout);
	pid = fork();
	TEST_ASSERT(pid >= 0, "fork");
	if (pid == 0)
		child(mem);

	ok = wait_rounds(5) && last_round(&l);
	CHECK(ok, "the background VM's guest runs its CPUID loop");
	first_rounds = rounds_now();
	CHECK(ok && (l.flags & LOG_SIG) && !(l.flags & LOG_STOCK),
	      "module loaded: the guest sees the signature and a count (%u), not KVM's answer",
	      l.count);

	for (k = 1; ok && k <= cycles; k++) {
		uint32_t x0, x1, r0, bad0 = rec->regs_bad;
		long long hvc, y0, y1;
		struct round_log before = { 0 }, after = { 0 }, out = { 0 };
		double t0;
		int err;

		/*
		 * loaded: let the count grow well past what a reload starts at
		 * (the exits from the hooks' registration to insmod's return:
		 * not known before the first reload)
		 */
		note(&t_runs, wait_count(k == 1 ? 2000 : 4 * max_after + 30), k,
		     "loaded: the guest stopped");

		/* the last round before rmmod began (read now: the ring wraps) */
		note(&t_runs, round_log(rounds_now() - 1, &before), k,
		     "no log of the round before rmmod");
		note(&t_present, before.flags & LOG_SIG, k, "loaded, but no signature");
		t0 = now();
		err = unload();
		t_unload += now() - t0;
		note(&t_rmmod, !err, k, "rmmod exitcount: %s", strerror(-err));
		/* the first round begun after rmmod returned */
		r0 = rounds_now();
		note(&t_runs, round_log(r0 + 1, &out), k, "unloaded: the guest stopped");
		note(&t_absent, (out.flags & (LOG_SIG | LOG_STOCK)) == LOG_STOCK, k,
		     "unloaded: signature %u, KVM's own answer %u", out.flags & LOG_SIG,
		     !!(out.flags & LOG_STOCK));

		x0 = cpuids_now();
		t0 = now();
		err = load(fd, params);
		t_load += now() - t0;
		x1 = cpuids_now();
		r0 = rounds_now();
		note(&t_insmod, !err, k, "insmod exitcount.ko: %s", strerror(-err));
		/* the first round begun after insmod returned */
		note(&t_runs, round_log(r0 + 1, &after), k, "loaded again: the guest stopped");
		note(&t_present, (after.flags & (LOG_SIG | LOG_STOCK)) == LOG_SIG, k,
		     "loaded again: signature %u, KVM's own answer %u", after.flags & LOG_SIG,
		     !!(after.flags & LOG_STOCK));
		/* counted: the exits after the hooks went in, not those before */
		note(&t_count,
		     (int64_t)after.count >= (int64_t)after.cpuids_at_count - x1 &&
		     (int64_t)after.count <= (int64_t)after.cpuids_at_count - x0 + 1, k,
		     "guest's CPUID count %u not within %lld..%lld (its CPUIDs since the load)",
		     after.count, (long long)after.cpuids_at_count - x1,
		     (long long)after.cpuids_at_count - x0 + 1);
		if (after.count > max_after)
			max_after = after.count;
		y0 = cpuids_now();
		hvc = hv_cpuid_of(t, hv, pid);
		y1 = cpuids_now();
		note(&t_hv, hvc >= y0 - 1 - x1 && hvc <= y1 - x0 + 1, k,
		     "host view CPUID %lld not within %lld..%lld", hvc, y0 - 1 - x1,
		     y1 - x0 + 1);
		note(&t_regs, rec->regs_bad == bad0, k,
		     "RAX..RDX replaced at %u OUTs (last in round %u: %08x %08x %08x %08x)",
		     rec->regs_bad - bad0, rec->bad_round, rec->bad_regs[0], rec->bad_regs[1],
		     rec->bad_regs[2], rec->bad_regs[3]);
		if (k == 1)
			tap_diag("cycle 1: count %u before rmmod; %u CPUIDs before insmod, %u after; count %u at CPUID number %u",
				 before.count, x0, x1, after.count, after.cpuids_at_count);
	}
	tap_diag("rmmod took %.3f s, insmod %.3f s on average", t_unload / cycles,
		 t_load / cycles);
	last_rounds = rounds_now();
	tap_diag("%u cycles; the guest ran %u rounds (%u CPUIDs) meanwhile", cycles,
		 last_rounds - first_rounds, cpuids_now());

	CHECK(t_rmmod.bad == 0 && t_rmmod.n == cycles, "rmmod exitcount succeeded %u of %u times",
	      t_rmmod.n - t_rmmod.bad, cycles);
	CHECK(t_insmod.bad == 0 && t_insmod.n == cycles,
	      "insmod exitcount.ko succeeded %u of %u times", t_insmod.n - t_insmod.bad, cycles);
	CHECK_EQ(t_runs.bad, 0, "the guest kept running through every unload and load (%u phases)",
		 t_runs.n);
	CHECK_EQ(t_absent.bad, 0,
		 "module out: no signature, KVM's own answer to 0x4FFFFFFE (%u cycles)", t_absent.n);
	CHECK_EQ(t_present.bad, 0, "module in: the signature (%u reads)", t_present.n);
	/* since x0 > 0, this also shows the count restarted from zero */
	CHECK_EQ(t_count.bad, 0,
		 "after each load the running VM's CPUID count = its CPUIDs since the load (%u cycles)",
		 t_count.n);
	CHECK_EQ(t_hv.bad, 0,
		 "after each load the host view counts the VM's CPUIDs since the load (%u cycles)",
		 t_hv.n);

	kill(pid, SIGTERM);
	TEST_ASSERT(waitpid(pid, &status, 0) == pid, "waitpid");
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "the background VM process stopped cleanly (status 0x%x)", status);
	tap_diag("%u OUTs checked; RAX..RDX replaced at %u, in %u of %u cycles", rec->regs_checked,
		 rec->regs_bad, t_regs.bad, t_regs.n);
	CHECK_EQ(rec->regs_bad, 0,
		 "at every OUT RAX..RDX are the values the guest loaded after its query, no stale answer (%u OUTs, %u cycles)",
		 rec->regs_checked, t_regs.n);
	CHECK_GE(rec->regs_checked, 2 * last_rounds,
		 "both OUTs of each of the guest's %u rounds were checked", last_rounds);
	i = hostview_wait_objects(hv, 0, 10000);
	CHECK(i, "objects back to 0 once its VM is gone (%lld)", hv->objects);
	close(fd);
	return tap_finish();
}
