// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_regs: a query's answer is written only when the vCPU resumes right
 * after the queried CPUID with the registers KVM wrote; anything in
 * between (user space setting registers, SMM, INIT/SIPI) drops it.
 *
 *   kvm_regs [--expect=loaded|absent] [--tag=T]
 *
 * Every case single-steps (KVM_GUESTDBG_SINGLESTEP) a guest over CPUID
 * 0x4FFFFFFC/0 and stops at the KVM_EXIT_DEBUG right after it: KVM has
 * written its own answer to RAX..RDX and not yet re-entered the guest.
 * Then, before the next entry:
 *  1. KVM_SET_REGS with RAX..RDX = 0x11111111..0x44444444: the guest sees
 *     exactly those;
 *  2. nothing (a), or only KVM_GET_REGS (b): the guest sees exitcount's
 *     answer (ABI version, "exitcountKVM"); absent: KVM's own answer;
 *  3. KVM_SMI: the SMM handler (SMBASE 0x30000, entry 0x38000) sees the
 *     RAX..RDX user space read at the debug exit, and after RSM the guest
 *     sees them again;
 *  4. (a) vCPU 0 sends INIT and SIPI to vCPU 1 (the one that queried)
 *     through the xAPIC ICR: the SIPI code sees the INIT state, EAX = EBX =
 *     ECX = 0 and EDX = CPUID.01H:EAX (the processor signature; 0x600 with
 *     5.10's kvm_intel, whose reset writes that fixed value);
 *     (b) KVM_SET_MP_STATE SIPI_RECEIVED (KVM does no INIT reset then, it
 *     only moves CS:IP to the SIPI vector, in whatever mode the vCPU is):
 *     the SIPI code sees the RAX..RDX read at the debug exit.
 * --expect=absent (module unloaded, or guest_query=0): the same, with
 * KVM's answer wherever exitcount's is expected. Each case runs in a new
 * VM, and single-steps to its end (see step_over_query()).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm_util.h"

/* Unknown leaf: KVM answers it as it answers 0x4FFFFFFC without us. */
#define REF_LEAF	0x4FFFFFF0u
/* Where guest_query_store stores EAX..EDX. */
#define RESULT_GPA	GUEST_DATA_GPA
/* Default SMBASE after reset; the handler runs at SMBASE + 0x8000. */
#define SMBASE		0x30000u
#define SMRAM_SIZE	0x10000u
#define SMM_ENTRY_GPA	(SMBASE + 0x8000u)
/* The SMM handler's results: EAX..EDX, then how often it ran. */
#define SMM_OUT_GPA	(SMBASE + 0x8100u)
/* SIPI vector 8: real-mode code at 0x8000, CS = 0x800, IP = 0. */
#define SIPI_VECTOR	0x08u
#define SIPI_GPA	(SIPI_VECTOR << 12)
#define SIPI_OUT_GPA	(SIPI_GPA + 0x100u)
/* The port of the SIPI code's OUT (imm8: EDX stays as it was). */
#define SIPI_PORT	0xe4
#define POISON		0xdeadbeefu

_Static_assert(GUEST_MEM_SIZE >= SMBASE + SMRAM_SIZE, "guest memory covers SMRAM");
_Static_assert(SIPI_GPA + 0x1000u <= GUEST_CODE_GPA, "SIPI page below the guest code");
_Static_assert(GUEST_DATA_GPA >= SMBASE + SMRAM_SIZE, "test data above SMRAM");

/* in: EDI where to store EAX..EDX. The CPUID is the query. */
DEFINE_GUEST_FN(guest_query_store,
	"\tmov $0x4ffffffc, %eax\n"	/* EC_LEAF_INFO */
	"\txor %ecx, %ecx\n"		/* EC_INFO_SIGNATURE */
	"\tcpuid\n"
	"guest_query_store_after:\n"
	"\tmov %eax, 0(%edi)\n"
	"\tmov %ebx, 4(%edi)\n"
	"\tmov %ecx, 8(%edi)\n"
	"\tmov %edx, 12(%edi)\n");
extern const uint8_t guest_query_store_after[];

_Static_assert(EC_LEAF_INFO == 0x4ffffffc && EC_INFO_SIGNATURE == 0,
	       "guest_query_store hard-codes the query");

/* in: EDI the target's APIC ID << 24. INIT, then SIPI, then OUT. */
DEFINE_GUEST_FN(guest_send_init_sipi,
	"\tmov %edi, 0xfee00310\n"	/* ICR high: destination */
	"\tmovl $0x00004500, 0xfee00300\n"	/* INIT, assert, physical */
	"\tmovl $0x00004608, 0xfee00300\n"	/* SIPI, vector 8 */
	"\tmov $0x4ec, %dx\n"		/* GUEST_PORT */
	"\toutb %al, %dx\n");

_Static_assert(SIPI_VECTOR == 8 && GUEST_PORT == 0x4ec,
	       "guest_send_init_sipi hard-codes them");

/*
 * Code copied to its place by the test. The SMM handler runs in 16-bit
 * real-address-like mode with CS base = SMBASE (IP 0x8000); the SIPI code
 * after INIT in real mode with CS base = SIPI_GPA (IP 0). A SIPI that
 * KVM_SET_MP_STATE delivers without an INIT changes CS selector and base
 * and RIP only: the vCPU stays in 32-bit protected mode (CS base 0x8000),
 * hence sipi_code32.
 */
extern const uint8_t smm_handler[], smm_handler_end[];
extern const uint8_t sipi_code[], sipi_code_end[];
extern const uint8_t sipi_code32[], sipi_code32_end[];
asm(".pushsection .rodata\n"
    ".code16\n"
    "smm_handler:\n"
    "\tmovl %eax, %cs:0x8100\n"
    "\tmovl %ebx, %cs:0x8104\n"
    "\tmovl %ecx, %cs:0x8108\n"
    "\tmovl %edx, %cs:0x810c\n"
    "\tincl %cs:0x8110\n"
    "\trsm\n"
    "smm_handler_end:\n"
    "sipi_code:\n"
    "\tmovl %eax, %cs:0x100\n"
    "\tmovl %ebx, %cs:0x104\n"
    "\tmovl %ecx, %cs:0x108\n"
    "\tmovl %edx, %cs:0x10c\n"
    "\toutb %al, $0xe4\n"	/* SIPI_PORT */
    "\thlt\n"
    "sipi_code_end:\n"
    ".code32\n"
    "sipi_code32:\n"
    "\tmovl %eax, 0x8100\n"	/* SIPI_OUT_GPA, through flat DS */
    "\tmovl %ebx, 0x8104\n"
    "\tmovl %ecx, 0x8108\n"
    "\tmovl %edx, 0x810c\n"
    "\toutb %al, $0xe4\n"	/* SIPI_PORT */
    "\thlt\n"
    "sipi_code32_end:\n"
    ".code64\n"
    ".popsection\n");

_Static_assert(SMM_OUT_GPA - SMBASE == 0x8100 && SIPI_OUT_GPA - SIPI_GPA == 0x100 &&
	       SIPI_OUT_GPA == 0x8100 && SIPI_PORT == 0xe4,
	       "smm_handler and sipi_code(32) hard-code them");

static bool expect_ours = true;

/* ----------------------------------------------------------- helpers */

static void diag_regs(const char *what, const uint32_t r[EC_NR_REGS])
{
	tap_diag("%s: eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x", what,
		 r[EC_EAX], r[EC_EBX], r[EC_ECX], r[EC_EDX]);
}

static void check_regs(const uint32_t got[EC_NR_REGS],
		       const uint32_t want[EC_NR_REGS], const char *desc)
{
	bool ok = !memcmp(got, want, EC_NR_REGS * sizeof(got[0]));

	CHECK(ok, "%s", desc);
	if (!ok) {
		diag_regs("got ", got);
		diag_regs("want", want);
	}
}

static void regs_of(const struct kvm_regs *regs, uint32_t out[EC_NR_REGS])
{
	out[EC_EAX] = (uint32_t)regs->rax;
	out[EC_EBX] = (uint32_t)regs->rbx;
	out[EC_ECX] = (uint32_t)regs->rcx;
	out[EC_EDX] = (uint32_t)regs->rdx;
}

/* EAX..EDX as stored at @gpa; the four words are poisoned again. */
static void take(struct kvm_vm *vm, uint64_t gpa, uint32_t out[EC_NR_REGS])
{
	uint32_t *p = vm_gpa(vm, gpa);
	int i;

	for (i = 0; i < EC_NR_REGS; i++) {
		out[i] = p[i];
		p[i] = POISON;
	}
}

static void poison(struct kvm_vm *vm, uint64_t gpa)
{
	uint32_t r[EC_NR_REGS];

	take(vm, gpa, r);
}

static void get_regs(struct kvm_vcpu *vcpu, struct kvm_regs *regs)
{
	int r = ioctl(vcpu->fd, KVM_GET_REGS, regs);

	TEST_ASSERT(r == 0, "KVM_GET_REGS on vCPU %u", vcpu->id);
}

static void set_regs(struct kvm_vcpu *vcpu, const struct kvm_regs *regs)
{
	int r = ioctl(vcpu->fd, KVM_SET_REGS, regs);

	TEST_ASSERT(r == 0, "KVM_SET_REGS on vCPU %u", vcpu->id);
}

static void enable_singlestep(struct kvm_vcpu *vcpu)
{
	struct kvm_guest_debug dbg = {
		.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP };
	int r = ioctl(vcpu->fd, KVM_SET_GUEST_DEBUG, &dbg);

	TEST_ASSERT(r == 0, "KVM_SET_GUEST_DEBUG single-step on vCPU %u", vcpu->id);
}

static void on_alarm(int sig)
{
	(void)sig;	/* KVM_RUN returns EINTR */
}

/* A KVM_RUN that has not returned after this long is stuck (HLT, no SIPI). */
#define RUN_TIMEOUT_S	20

/* Where a stuck vCPU is, for the report. */
static void diag_stuck(struct kvm_vcpu *vcpu)
{
	struct kvm_mp_state mp = { 0 };
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	memset(&regs, 0, sizeof(regs));
	memset(&sregs, 0, sizeof(sregs));
	ioctl(vcpu->fd, KVM_GET_REGS, &regs);
	ioctl(vcpu->fd, KVM_GET_SREGS, &sregs);
	ioctl(vcpu->fd, KVM_GET_MP_STATE, &mp);
	tap_diag("vCPU %u: mp_state %u, cs base 0x%llx, rip 0x%llx, cr0 0x%llx",
		 vcpu->id, mp.mp_state, (unsigned long long)sregs.cs.base,
		 (unsigned long long)regs.rip, (unsigned long long)sregs.cr0);
}

static void run_once(struct kvm_vcpu *vcpu)
{
	struct sigaction sa = { .sa_handler = on_alarm };
	int r, err;

	sigaction(SIGALRM, &sa, NULL);	/* no SA_RESTART */
	alarm(RUN_TIMEOUT_S);
	r = ioctl(vcpu->fd, KVM_RUN, 0);
	err = errno;
	alarm(0);
	if (r < 0 && err == EINTR)
		diag_stuck(vcpu);
	errno = err;
	TEST_ASSERT(r == 0, "KVM_RUN on vCPU %u (EINTR: no exit in %d s)", vcpu->id,
		    RUN_TIMEOUT_S);
}

/* Single-step exits run_until() goes through before it gives up. */
#define MAX_STEPS	64

/*
 * KVM_RUN until an exit other than KVM_EXIT_DEBUG (single-steps are
 * stepped over); fatal unless it is @want (and for I/O, to @port).
 */
static void run_until(struct kvm_vcpu *vcpu, uint32_t want, uint16_t port)
{
	struct kvm_run *run = vcpu->run;
	struct kvm_regs regs;
	int i;

	run_once(vcpu);
	for (i = 0; i < MAX_STEPS && want != KVM_EXIT_DEBUG &&
		    run->exit_reason == KVM_EXIT_DEBUG; i++)
		run_once(vcpu);
	if (run->exit_reason == want &&
	    (want != KVM_EXIT_IO || run->io.port == port))
		return;
	memset(&regs, 0, sizeof(regs));
	ioctl(vcpu->fd, KVM_GET_REGS, &regs);
	errno = 0;
	TEST_ASSERT(0, "vCPU %u: exit %u (port 0x%x) at rip 0x%llx, want exit %u (port 0x%x)",
		    vcpu->id, run->exit_reason,
		    run->exit_reason == KVM_EXIT_IO ? run->io.port : 0,
		    (unsigned long long)regs.rip, want, port);
}

/*
 * Start guest_query_store on @vcpu and single-step it up to the debug
 * exit right after its CPUID. Single-stepping then stays on to the end of
 * the case (run_until() steps on): Bochs's VMX leaves a single-step #DB
 * pending after the CPUID's VM exit, which KVM would reflect into the
 * guest (no IDT: triple fault) once single-stepping is off; with it on,
 * it is one more KVM_EXIT_DEBUG at the same RIP, after the entry that
 * resumes there. Only RIP from kvm_run is looked at: no register ioctl
 * after the last step.
 */
static void step_over_query(struct kvm_vcpu *vcpu)
{
	uint64_t after = guest_gpa(guest_query_store_after);
	struct kvm_regs regs;
	int i;

	memset(&regs, 0, sizeof(regs));
	regs.rip = guest_gpa(guest_query_store);
	regs.rsp = GUEST_STACK_TOP - vcpu->id * GUEST_STACK_SIZE;
	regs.rflags = 0x2;
	regs.rdi = RESULT_GPA;
	set_regs(vcpu, &regs);
	enable_singlestep(vcpu);
	for (i = 0; i < 8; i++) {
		run_until(vcpu, KVM_EXIT_DEBUG, 0);
		/* flat segments: the linear RIP is the RIP */
		if (vcpu->run->debug.arch.pc == after)
			return;
	}
	errno = 0;
	TEST_ASSERT(0, "vCPU %u never stepped to 0x%llx (last pc 0x%llx)", vcpu->id,
		    (unsigned long long)after,
		    (unsigned long long)vcpu->run->debug.arch.pc);
}

/*
 * Run guest_query_store to its final HLT; @out gets what it stored. A
 * single-stepped HLT ends in KVM_EXIT_DEBUG after it, not KVM_EXIT_HLT.
 */
static void finish_query(struct kvm_vcpu *vcpu, uint32_t out[EC_NR_REGS])
{
	uint64_t ret = guest_gpa(guest_query_store_ret);
	struct kvm_run *run = vcpu->run;
	struct kvm_regs regs;
	int i;

	for (i = 0; i < MAX_STEPS; i++) {
		run_once(vcpu);
		if (run->exit_reason != KVM_EXIT_DEBUG || run->debug.arch.pc == ret)
			break;
	}
	errno = 0;
	TEST_ASSERT(run->exit_reason == KVM_EXIT_HLT ||
		    (run->exit_reason == KVM_EXIT_DEBUG && run->debug.arch.pc == ret),
		    "vCPU %u: exit %u, not the HLT of guest_query_store", vcpu->id,
		    run->exit_reason);
	get_regs(vcpu, &regs);
	errno = 0;
	TEST_ASSERT(regs.rip == guest_gpa(guest_query_store_ret),
		    "vCPU %u halted at 0x%llx, not at the end of guest_query_store",
		    vcpu->id, (unsigned long long)regs.rip);
	take(vcpu->vm, RESULT_GPA, out);
}

/* What the guest should see when nothing intervened after the query. */
static void expected_answer(struct kvm_vcpu *vcpu, uint32_t want[EC_NR_REGS])
{
	if (expect_ours)
		ec_set_regs(want, EC_ABI_VERSION, EC_SIGNATURE_EBX, EC_SIGNATURE_ECX,
			    EC_SIGNATURE_EDX);
	else
		guest_cpuid(vcpu, REF_LEAF, 0, want, NULL);
}

static struct kvm_vm *new_vm(unsigned int nr_vcpus, bool irqchip)
{
	struct kvm_vm *vm = vm_create_opts(&(struct vm_opts){
		.nr_vcpus = nr_vcpus, .irqchip = irqchip });

	poison(vm, RESULT_GPA);
	return vm;
}

/* ------------------------------------------------------------ cases */

/* 1. */
static void case_set_regs(void)
{
	static const uint32_t want[EC_NR_REGS] = {
		0x11111111, 0x22222222, 0x33333333, 0x44444444 };
	struct kvm_vm *vm = new_vm(1, false);
	uint32_t got[EC_NR_REGS];
	struct kvm_regs regs;

	step_over_query(vm->vcpu);
	get_regs(vm->vcpu, &regs);
	regs.rax = want[EC_EAX];
	regs.rbx = want[EC_EBX];
	regs.rcx = want[EC_ECX];
	regs.rdx = want[EC_EDX];
	set_regs(vm->vcpu, &regs);
	finish_query(vm->vcpu, got);
	check_regs(got, want,
		   "single-step, KVM_SET_REGS at the debug exit after the query: the guest sees 0x11111111..0x44444444");
	vm_destroy(vm);
}

/* 2. */
static void case_untouched(bool get)
{
	struct kvm_vm *vm = new_vm(1, false);
	uint32_t got[EC_NR_REGS], want[EC_NR_REGS], at[EC_NR_REGS];
	struct kvm_regs regs;
	char desc[200];

	expected_answer(vm->vcpu, want);
	step_over_query(vm->vcpu);
	if (get) {
		get_regs(vm->vcpu, &regs);
		regs_of(&regs, at);
	}
	finish_query(vm->vcpu, got);
	snprintf(desc, sizeof(desc),
		 "single-step, %s at the debug exit after the query: the guest sees %s",
		 get ? "only KVM_GET_REGS" : "no register ioctl",
		 expect_ours ? "exitcount's answer (ABI 1, \"exitcountKVM\")" :
		 "KVM's answer (as to leaf 0x4FFFFFF0)");
	check_regs(got, want, desc);
	if (get && !expect_ours)
		check_regs(at, want,
			   "the registers read at that debug exit are KVM's answer too");
	vm_destroy(vm);
}

/* Map guest memory into the SMM address space too (as 1), as QEMU does. */
static bool smm_setup(struct kvm_vm *vm)
{
	struct kvm_userspace_memory_region region = {
		.slot = 1u << 16,
		.guest_phys_addr = 0,
		.memory_size = GUEST_MEM_SIZE,
		.userspace_addr = (uint64_t)(uintptr_t)vm->mem,
	};
	size_t n = (size_t)((uintptr_t)smm_handler_end - (uintptr_t)smm_handler);
	int r;

	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_X86_SMM) <= 0 ||
	    ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_MULTI_ADDRESS_SPACE) < 2)
		return false;
	r = ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region);
	TEST_ASSERT(r == 0, "KVM_SET_USER_MEMORY_REGION in address space 1 (SMM)");
	errno = 0;
	TEST_ASSERT(guest_code_end_gpa() <= SMBASE,
		    "guest code (up to 0x%llx) overlaps SMRAM at 0x%x",
		    (unsigned long long)guest_code_end_gpa(), SMBASE);
	memset(vm_gpa(vm, SMBASE), 0, SMRAM_SIZE);
	memcpy(vm_gpa(vm, SMM_ENTRY_GPA), smm_handler, n);
	poison(vm, SMM_OUT_GPA);
	return true;
}

/* 3. */
static void case_smi(void)
{
	struct kvm_vm *vm = new_vm(1, false);
	uint32_t at[EC_NR_REGS], smm[EC_NR_REGS], got[EC_NR_REGS], runs;
	struct kvm_regs regs;
	int r;

	if (!smm_setup(vm)) {
		CHECK(1, "SMI after the query # SKIP no KVM_CAP_X86_SMM or address space 1");
		vm_destroy(vm);
		return;
	}
	step_over_query(vm->vcpu);
	get_regs(vm->vcpu, &regs);
	regs_of(&regs, at);
	r = ioctl(vm->vcpu->fd, KVM_SMI, 0);
	TEST_ASSERT(r == 0, "KVM_SMI");
	finish_query(vm->vcpu, got);
	take(vm, SMM_OUT_GPA, smm);
	runs = *(uint32_t *)vm_gpa(vm, SMM_OUT_GPA + 16);
	CHECK_EQ(runs, 1, "KVM_SMI after the query: the SMM handler ran once");
	check_regs(smm, at,
		   "KVM_SMI after the query: the SMM handler sees the RAX..RDX read at the debug exit");
	check_regs(got, at,
		   "KVM_SMI after the query: after RSM the guest sees those same RAX..RDX");
	vm_destroy(vm);
}

/* CPUID.01H:EAX of @vcpu: its EDX after INIT. */
static uint32_t cpuid1_eax(struct kvm_vcpu *vcpu)
{
	struct kvm_cpuid2 *c;
	uint32_t eax = 0;
	int r, i, nent = 256;

	c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
	TEST_ASSERT(c, "calloc");
	c->nent = nent;
	r = ioctl(vcpu->fd, KVM_GET_CPUID2, c);
	TEST_ASSERT(r == 0, "KVM_GET_CPUID2");
	for (i = 0; i < (int)c->nent; i++)
		if (c->entries[i].function == 1)
			eax = c->entries[i].eax;
	free(c);
	errno = 0;
	TEST_ASSERT(eax, "no CPUID leaf 1 on vCPU %u", vcpu->id);
	return eax;
}

static void sipi_setup(struct kvm_vm *vm, const uint8_t *code, const uint8_t *end)
{
	memcpy(vm_gpa(vm, SIPI_GPA), code, (size_t)(end - code));
	poison(vm, SIPI_OUT_GPA);
}

/* Fatal unless an INIT is pending on @vcpu (KVM reports it as latched). */
static void init_pending(struct kvm_vcpu *vcpu)
{
	struct kvm_vcpu_events ev;
	int r = ioctl(vcpu->fd, KVM_GET_VCPU_EVENTS, &ev);

	TEST_ASSERT(r == 0, "KVM_GET_VCPU_EVENTS");
	errno = 0;
	TEST_ASSERT((ev.flags & KVM_VCPUEVENT_VALID_SMM) && ev.smi.latched_init,
		    "vCPU %u got no INIT from the IPI (flags 0x%x, latched_init %u)",
		    vcpu->id, ev.flags, ev.smi.latched_init);
}

/* 4a: vCPU 0 sends INIT and SIPI to vCPU 1, parked after its query. */
static void case_init_ipi(void)
{
	struct kvm_vm *vm = new_vm(2, true);
	struct kvm_vcpu *bsp = vm->vcpus[0], *ap = vm->vcpus[1];
	uint32_t got[EC_NR_REGS], want[EC_NR_REGS];
	struct kvm_regs regs;

	sipi_setup(vm, sipi_code, sipi_code_end);
	ec_set_regs(want, 0, 0, 0, cpuid1_eax(ap));
	step_over_query(ap);
	memset(&regs, 0, sizeof(regs));
	regs.rip = guest_gpa(guest_send_init_sipi);
	regs.rsp = GUEST_STACK_TOP;
	regs.rflags = 0x2;
	regs.rdi = ap->id << 24;
	set_regs(bsp, &regs);
	run_until(bsp, KVM_EXIT_IO, GUEST_PORT);
	init_pending(ap);
	run_until(ap, KVM_EXIT_IO, SIPI_PORT);
	take(vm, SIPI_OUT_GPA, got);
	if (got[EC_EDX] == 0x600)	/* 5.10 kvm_intel's fixed reset value */
		want[EC_EDX] = 0x600;
	check_regs(got, want,
		   "INIT+SIPI IPI from vCPU 0 after vCPU 1's query: the SIPI code sees the INIT state (EAX=EBX=ECX=0, EDX=CPUID.01H:EAX or 0x600)");
	vm_destroy(vm);
}

/* 4b: user space moves the vCPU to the SIPI vector (no INIT reset). */
static void case_mp_state_sipi(void)
{
	struct kvm_vm *vm = new_vm(1, true);
	struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_SIPI_RECEIVED };
	uint32_t got[EC_NR_REGS], at[EC_NR_REGS];
	struct kvm_vcpu_events ev;
	struct kvm_regs regs;
	int r;

	sipi_setup(vm, sipi_code32, sipi_code32_end);
	step_over_query(vm->vcpu);
	get_regs(vm->vcpu, &regs);
	regs_of(&regs, at);
	r = ioctl(vm->vcpu->fd, KVM_GET_VCPU_EVENTS, &ev);
	TEST_ASSERT(r == 0, "KVM_GET_VCPU_EVENTS");
	ev.flags = KVM_VCPUEVENT_VALID_SIPI_VECTOR;
	ev.sipi_vector = SIPI_VECTOR;
	r = ioctl(vm->vcpu->fd, KVM_SET_VCPU_EVENTS, &ev);
	TEST_ASSERT(r == 0, "KVM_SET_VCPU_EVENTS sipi_vector");
	r = ioctl(vm->vcpu->fd, KVM_SET_MP_STATE, &mp);
	TEST_ASSERT(r == 0, "KVM_SET_MP_STATE SIPI_RECEIVED");
	run_until(vm->vcpu, KVM_EXIT_IO, SIPI_PORT);
	take(vm, SIPI_OUT_GPA, got);
	check_regs(got, at,
		   "KVM_SET_MP_STATE SIPI_RECEIVED after the query: the SIPI code sees the RAX..RDX read at the debug exit");
	vm_destroy(vm);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "expect", required_argument, NULL, 'e' },
		{ "tag", required_argument, NULL, 't' },
		{ 0 }
	};
	const char *expect = "loaded", *tag = NULL;
	static char tagbuf[64];
	bool known;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'e': expect = optarg; break;
		case 't': tag = optarg; break;
		default:
			fprintf(stderr, "usage: %s [--expect=loaded|absent] [--tag=T]\n",
				argv[0]);
			return 2;
		}
	}
	expect_ours = !strcmp(expect, "loaded");
	known = expect_ours || !strcmp(expect, "absent");
	if (!tag) {
		snprintf(tagbuf, sizeof(tagbuf), "kvm_regs[%s]", expect);
		tag = tagbuf;
	}
	tap_init(tag);
	errno = EINVAL;
	TEST_ASSERT(known, "--expect=%s", expect);

	case_set_regs();
	case_untouched(false);
	case_untouched(true);
	case_smi();
	case_init_ipi();
	case_mp_state_sipi();
	return tap_finish();
}
