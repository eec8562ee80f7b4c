// SPDX-License-Identifier: GPL-2.0
/*
 * Shared code of the VM tests: TAP, VM setup, guest function calls, the
 * module's host view and the kvm:kvm_exit histogram. See kvm_util.h.
 */
#include <cpuid.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kvm_util.h"

/* ---------------------------------------------------------------- TAP */

static const char *tap_tag = "test";
static int tap_n;
static int tap_failed;

void tap_init(const char *tag)
{
	tap_tag = tag;
	setvbuf(stdout, NULL, _IOLBF, 0);
}

static void tap_vline(bool ok, const char *fmt, va_list ap)
{
	tap_n++;
	if (!ok)
		tap_failed++;
	printf("%s %d - %s: ", ok ? "ok" : "not ok", tap_n, tap_tag);
	vprintf(fmt, ap);
	putchar('\n');
}

bool tap_check(bool ok, const char *file, int line, const char *expr,
	       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vline(ok, fmt, ap);
	va_end(ap);
	if (!ok)
		printf("# %s:%d: check failed: %s\n", file, line, expr);
	return ok;
}

bool tap_check_cmp(uint64_t got, const char *op, uint64_t want,
		   const char *file, int line, const char *got_expr,
		   const char *want_expr, const char *fmt, ...)
{
	bool ok;
	va_list ap;

	if (!strcmp(op, "=="))
		ok = got == want;
	else if (!strcmp(op, "!="))
		ok = got != want;
	else if (!strcmp(op, ">="))
		ok = got >= want;
	else
		ok = got > want;
	va_start(ap, fmt);
	tap_vline(ok, fmt, ap);
	va_end(ap);
	if (!ok)
		printf("# %s:%d: got %s = %llu (0x%llx), expected %s %s = %llu (0x%llx)\n",
		       file, line, got_expr, (unsigned long long)got,
		       (unsigned long long)got, op, want_expr,
		       (unsigned long long)want, (unsigned long long)want);
	return ok;
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;

	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}

int tap_finish(void)
{
	printf("1..%d\n", tap_n);
	tap_diag("%s: %d passed, %d failed", tap_tag, tap_n - tap_failed,
		 tap_failed);
	fflush(stdout);
	return tap_failed ? 1 : 0;
}

void tap_fatal(const char *file, int line, const char *expr, int err,
	       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vline(false, fmt, ap);
	va_end(ap);
	printf("# ==== Test Assertion Failure ====\n");
	printf("# %s:%d: %s\n", file, line, expr);
	printf("# errno=%d (%s)\n", err, strerror(err));
	printf("Bail out! %s: fatal error at %s:%d\n", tap_tag, file, line);
	printf("1..%d\n", tap_n);
	fflush(stdout);
	exit(2);
}

/* ------------------------------------------------------------ the VM */

/*
 * The bounds of the section guest_code, which the linker provides as
 * __start_guest_code and __stop_guest_code (its name being a C identifier).
 * Those names are reserved in C, hence the asm labels; and the two are not
 * one C object, hence the arithmetic on addresses rather than pointers.
 */
extern const uint8_t guest_code_start[] __asm__("__start_guest_code");
extern const uint8_t guest_code_end[] __asm__("__stop_guest_code");

/* in: EAX leaf, ECX subleaf; out: EAX, EBX, ECX, EDX. */
DEFINE_GUEST_FN(guest_cpuid_fn,
	"\tcpuid\n");

/*
 * in: ESI the first struct cpuid_entry, EDI how many (> 0). A subroutine
 * (it returns with RET), for guest code of any test to call.
 */
asm(".pushsection guest_code, \"a\"\n"
    ".code32\n"
    ".globl guest_cpuid_table_sub\n"
    "guest_cpuid_table_sub:\n"
    "\tmov 0(%esi), %eax\n"
    "\tmov 4(%esi), %ecx\n"
    "\tcpuid\n"
    "\tmov %eax, 8(%esi)\n"
    "\tmov %ebx, 12(%esi)\n"
    "\tmov %ecx, 16(%esi)\n"
    "\tmov %edx, 20(%esi)\n"
    "\tadd $24, %esi\n"
    "\tdec %edi\n"
    "\tjnz guest_cpuid_table_sub\n"
    "\tret\n"
    ".code64\n"
    ".popsection\n");

DEFINE_GUEST_FN(guest_cpuid_table_fn,
	"\tcall guest_cpuid_table_sub\n");

_Static_assert(sizeof(struct cpuid_entry) == 24, "guest_cpuid_table_fn's stride");

/*
 * in: EDI OUTs, ESI CPUID(0)s, EBP HLTs, EBX RDMSRs of IA32_APIC_BASE
 * (kept on the stack: CPUID clobbers EBX); each loop round does at most
 * one of each.
 */
DEFINE_GUEST_FN(guest_exit_mix_fn,
	"\tpush %ebx\n"
	"1:\n"
	"\ttest %edi, %edi\n"
	"\tjz 2f\n"
	"\tmov $0x4ec, %dx\n"		/* GUEST_PORT */
	"\tmov %edi, %eax\n"
	"\toutb %al, %dx\n"
	"\tdec %edi\n"
	"2:\n"
	"\ttest %esi, %esi\n"
	"\tjz 3f\n"
	"\txor %eax, %eax\n"
	"\txor %ecx, %ecx\n"
	"\tcpuid\n"
	"\tdec %esi\n"
	"3:\n"
	"\tcmpl $0, (%esp)\n"
	"\tjz 4f\n"
	"\tmov $0x1b, %ecx\n"		/* IA32_APIC_BASE: intercepted */
	"\trdmsr\n"
	"\tdecl (%esp)\n"
	"4:\n"
	"\ttest %ebp, %ebp\n"
	"\tjz 5f\n"
	"\thlt\n"
	"\tdec %ebp\n"
	"5:\n"
	"\tmov %edi, %eax\n"
	"\tor %esi, %eax\n"
	"\tor %ebp, %eax\n"
	"\tor (%esp), %eax\n"
	"\tjnz 1b\n"
	"\tpop %ebx\n");

_Static_assert(GUEST_PORT == 0x4ec, "guest_exit_mix_fn hard-codes GUEST_PORT");

uint64_t guest_gpa(const uint8_t *p)
{
	return GUEST_CODE_GPA + (uint64_t)((uintptr_t)p - (uintptr_t)guest_code_start);
}

uint64_t guest_code_end_gpa(void)
{
	return guest_gpa(guest_code_end);
}

static void set_flat_seg(struct kvm_segment *s, uint16_t sel, uint8_t type)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->dpl = 0;
	s->db = 1;	/* 32-bit */
	s->s = 1;	/* code or data */
	s->l = 0;
	s->g = 1;
}

static void vcpu_setup_cpuid(struct kvm_vm *vm, struct kvm_vcpu *vcpu)
{
	struct kvm_cpuid2 *cpuid;
	int nent = 64, r;

	for (;;) {
		cpuid = calloc(1, sizeof(*cpuid) +
				  nent * sizeof(struct kvm_cpuid_entry2));
		TEST_ASSERT(cpuid, "calloc");
		cpuid->nent = nent;
		r = ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, cpuid);
		if (r == 0)
			break;
		TEST_ASSERT(errno == E2BIG, "KVM_GET_SUPPORTED_CPUID");
		free(cpuid);
		nent *= 2;
	}
	r = ioctl(vcpu->fd, KVM_SET_CPUID2, cpuid);
	TEST_ASSERT(r == 0, "KVM_SET_CPUID2 (%u entries)", cpuid->nent);
	free(cpuid);
}

static struct kvm_vcpu *vcpu_add(struct kvm_vm *vm, unsigned int id)
{
	struct kvm_vcpu *vcpu = calloc(1, sizeof(*vcpu));
	struct kvm_sregs sregs;
	int r, mmap_size;

	TEST_ASSERT(vcpu, "calloc");
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = ioctl(vm->fd, KVM_CREATE_VCPU, (unsigned long)id);
	TEST_ASSERT(vcpu->fd >= 0, "KVM_CREATE_VCPU %u", id);
	mmap_size = ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	TEST_ASSERT(mmap_size >= (int)sizeof(struct kvm_run),
		    "KVM_GET_VCPU_MMAP_SIZE = %d", mmap_size);
	vcpu->run_size = (size_t)mmap_size;
	vcpu->run = mmap(NULL, vcpu->run_size, PROT_READ | PROT_WRITE,
			 MAP_SHARED, vcpu->fd, 0);
	TEST_ASSERT(vcpu->run != MAP_FAILED, "mmap kvm_run");
	vcpu_setup_cpuid(vm, vcpu);

	/* 32-bit flat protected mode, no paging; TR/LDTR as after reset. */
	r = ioctl(vcpu->fd, KVM_GET_SREGS, &sregs);
	TEST_ASSERT(r == 0, "KVM_GET_SREGS");
	set_flat_seg(&sregs.cs, 0x08, 0xb);	/* execute/read, accessed */
	set_flat_seg(&sregs.ds, 0x10, 0x3);	/* read/write, accessed */
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.cr0 = 0x11;			/* PE | ET */
	sregs.cr4 = 0;
	sregs.efer = 0;
	r = ioctl(vcpu->fd, KVM_SET_SREGS, &sregs);
	TEST_ASSERT(r == 0, "KVM_SET_SREGS");
	if (vm->irqchip) {
		/* With an in-kernel LAPIC, APs start waiting for INIT/SIPI. */
		struct kvm_mp_state mp = { .mp_state = KVM_MP_STATE_RUNNABLE };

		r = ioctl(vcpu->fd, KVM_SET_MP_STATE, &mp);
		TEST_ASSERT(r == 0, "KVM_SET_MP_STATE RUNNABLE for vCPU %u", id);
	}
	return vcpu;
}

/*
 * KVM_SET_LAPIC of each vCPU's own state, as QEMU does at reset: KVM then
 * recomputes its APIC ID map with every vCPU in it. Without this, an IPI
 * to the vCPU created last is lost (seen on Debian's 6.1: the map is
 * computed as each vCPU is created, before it is counted online).
 */
static void vm_lapics_reload(struct kvm_vm *vm)
{
	struct kvm_lapic_state ls;
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++) {
		int r = ioctl(vm->vcpus[i]->fd, KVM_GET_LAPIC, &ls);
		TEST_ASSERT(r == 0, "KVM_GET_LAPIC on vCPU %u", i);
		r = ioctl(vm->vcpus[i]->fd, KVM_SET_LAPIC, &ls);
		TEST_ASSERT(r == 0, "KVM_SET_LAPIC on vCPU %u", i);
	}
}

struct kvm_vm *vm_create_opts(const struct vm_opts *opts)
{
	struct kvm_userspace_memory_region region;
	size_t code_size = (size_t)((uintptr_t)guest_code_end -
				    (uintptr_t)guest_code_start);
	unsigned int i, nr_vcpus = opts->nr_vcpus ? opts->nr_vcpus : 1;
	struct kvm_vm *vm;
	int r;

	errno = EINVAL;
	TEST_ASSERT(nr_vcpus <= VM_MAX_VCPUS, "%u vCPUs (at most %d)", nr_vcpus,
		    VM_MAX_VCPUS);
	vm = calloc(1, sizeof(*vm));
	TEST_ASSERT(vm, "calloc");
	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	TEST_ASSERT(vm->kvm_fd >= 0, "open /dev/kvm");
	r = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	TEST_ASSERT(r == KVM_API_VERSION, "KVM_GET_API_VERSION = %d", r);
	vm->fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	TEST_ASSERT(vm->fd >= 0, "KVM_CREATE_VM");
	/* Needed on Intel without unrestricted guest; harmless elsewhere. */
	r = ioctl(vm->fd, KVM_SET_TSS_ADDR, 0xfffbd000ul);
	TEST_ASSERT(r == 0, "KVM_SET_TSS_ADDR");

	if (opts->mem) {
		vm->mem = opts->mem;
	} else {
		vm->mem = mmap(NULL, GUEST_MEM_SIZE, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
			       -1, 0);
		TEST_ASSERT(vm->mem != MAP_FAILED, "mmap guest memory");
		vm->own_mem = true;
	}
	TEST_ASSERT(code_size > 0 &&
		    GUEST_CODE_GPA + code_size <=
		    GUEST_STACK_TOP - VM_MAX_VCPUS * GUEST_STACK_SIZE,
		    "guest code size %zu", code_size);
	memcpy(vm->mem + GUEST_CODE_GPA, guest_code_start, code_size);
	region = (struct kvm_userspace_memory_region){
		.slot = 0,
		.guest_phys_addr = 0,
		.memory_size = GUEST_MEM_SIZE,
		.userspace_addr = (uint64_t)(uintptr_t)vm->mem,
	};
	r = ioctl(vm->fd, KVM_SET_USER_MEMORY_REGION, &region);
	TEST_ASSERT(r == 0, "KVM_SET_USER_MEMORY_REGION");

	if (opts->irqchip) {
		r = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP);
		errno = ENOTSUP;
		TEST_ASSERT(r > 0, "KVM_CAP_IRQCHIP");
		r = ioctl(vm->fd, KVM_CREATE_IRQCHIP, 0);
		TEST_ASSERT(r == 0, "KVM_CREATE_IRQCHIP");
		vm->irqchip = true;
	}
	for (i = 0; i < nr_vcpus; i++)
		vm->vcpus[i] = vcpu_add(vm, i);
	vm->nr_vcpus = nr_vcpus;
	if (vm->irqchip)
		vm_lapics_reload(vm);
	vm->vcpu = vm->vcpus[0];
	return vm;
}

struct kvm_vm *vm_create(void)
{
	return vm_create_opts(&(struct vm_opts){ .nr_vcpus = 1 });
}

struct kvm_vm *vm_create_vcpus(unsigned int nr_vcpus)
{
	return vm_create_opts(&(struct vm_opts){ .nr_vcpus = nr_vcpus });
}

void vm_destroy(struct kvm_vm *vm)
{
	unsigned int i;

	for (i = 0; i < vm->nr_vcpus; i++) {
		struct kvm_vcpu *vcpu = vm->vcpus[i];

		munmap(vcpu->run, vcpu->run_size);
		close(vcpu->fd);
		free(vcpu);
	}
	close(vm->fd);
	close(vm->kvm_fd);
	if (vm->own_mem)
		munmap(vm->mem, GUEST_MEM_SIZE);
	free(vm);
}

void *vm_gpa(struct kvm_vm *vm, uint64_t gpa)
{
	errno = EFAULT;
	TEST_ASSERT(gpa < GUEST_MEM_SIZE, "guest address 0x%llx",
		    (unsigned long long)gpa);
	return vm->mem + gpa;
}

static const char *exit_name(uint32_t r)
{
	switch (r) {
	case KVM_EXIT_UNKNOWN: return "UNKNOWN";
	case KVM_EXIT_EXCEPTION: return "EXCEPTION";
	case KVM_EXIT_IO: return "IO";
	case KVM_EXIT_HLT: return "HLT";
	case KVM_EXIT_MMIO: return "MMIO";
	case KVM_EXIT_SHUTDOWN: return "SHUTDOWN";
	case KVM_EXIT_FAIL_ENTRY: return "FAIL_ENTRY";
	case KVM_EXIT_INTERNAL_ERROR: return "INTERNAL_ERROR";
	}
	return "?";
}

static bool vcpu_call_(struct kvm_vcpu *vcpu, struct guest_fn fn,
		       struct kvm_regs *regs, bool intr)
{
	struct kvm_run *run = vcpu->run;
	uint64_t ret_rip = guest_gpa(fn.ret);
	uint16_t port = vcpu->io_port ? vcpu->io_port : GUEST_PORT;
	int r;

	regs->rip = guest_gpa(fn.entry);
	regs->rsp = GUEST_STACK_TOP - vcpu->id * GUEST_STACK_SIZE;
	regs->rflags = 0x2;
	r = ioctl(vcpu->fd, KVM_SET_REGS, regs);
	TEST_ASSERT(r == 0, "KVM_SET_REGS for %s", fn.name);
	for (;;) {
		r = ioctl(vcpu->fd, KVM_RUN, 0);
		if (r < 0 && errno == EINTR && intr)
			return false;
		TEST_ASSERT(r == 0, "KVM_RUN in %s", fn.name);
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			TEST_ASSERT(run->io.direction == KVM_EXIT_IO_OUT &&
				    run->io.port == port &&
				    run->io.size == 1 && run->io.count == 1,
				    "%s: unexpected I/O dir %u port 0x%x size %u count %u",
				    fn.name, run->io.direction, run->io.port,
				    run->io.size, run->io.count);
			vcpu->exits_io++;
			if (vcpu->on_io)
				vcpu->on_io(vcpu);
			break;
		case KVM_EXIT_HLT:
			vcpu->exits_hlt++;
			r = ioctl(vcpu->fd, KVM_GET_REGS, regs);
			TEST_ASSERT(r == 0, "KVM_GET_REGS in %s", fn.name);
			if (regs->rip == ret_rip)
				return true;
			break;
		case KVM_EXIT_FAIL_ENTRY:
			errno = 0;
			TEST_ASSERT(0, "%s: KVM_EXIT_FAIL_ENTRY, hardware reason 0x%llx",
				    fn.name, (unsigned long long)
				    run->fail_entry.hardware_entry_failure_reason);
			break;
		case KVM_EXIT_INTERNAL_ERROR:
			errno = 0;
			TEST_ASSERT(0, "%s: KVM_EXIT_INTERNAL_ERROR, suberror %u",
				    fn.name, run->internal.suberror);
			break;
		default:
			errno = 0;
			ioctl(vcpu->fd, KVM_GET_REGS, regs);
			TEST_ASSERT(0, "%s on vCPU %u: unexpected exit %u (KVM_EXIT_%s) at rip 0x%llx",
				    fn.name, vcpu->id, run->exit_reason,
				    exit_name(run->exit_reason),
				    (unsigned long long)regs->rip);
		}
	}
}

void vcpu_call(struct kvm_vcpu *vcpu, struct guest_fn fn,
	       struct kvm_regs *regs)
{
	vcpu_call_(vcpu, fn, regs, false);
}

bool vcpu_call_intr(struct kvm_vcpu *vcpu, struct guest_fn fn,
		    struct kvm_regs *regs)
{
	return vcpu_call_(vcpu, fn, regs, true);
}

void guest_cpuid(struct kvm_vcpu *vcpu, uint32_t leaf, uint32_t subleaf,
		 uint32_t out[EC_NR_REGS], struct exit_tally *at)
{
	struct kvm_regs regs;

	memset(&regs, 0, sizeof(regs));
	regs.rax = leaf;
	regs.rcx = subleaf;
	vcpu->exits_cpuid++;
	if (at)
		*at = (struct exit_tally){ vcpu->exits_io, vcpu->exits_hlt,
					   vcpu->exits_cpuid };
	vcpu_call(vcpu, GUEST_FN(guest_cpuid_fn), &regs);
	out[EC_EAX] = (uint32_t)regs.rax;
	out[EC_EBX] = (uint32_t)regs.rbx;
	out[EC_ECX] = (uint32_t)regs.rcx;
	out[EC_EDX] = (uint32_t)regs.rdx;
}

void guest_cpuid_table(struct kvm_vcpu *vcpu, uint64_t gpa, uint32_t n)
{
	struct kvm_regs regs;

	errno = EINVAL;
	TEST_ASSERT(n > 0 && gpa >= GUEST_DATA_GPA &&
		    gpa + (uint64_t)n * sizeof(struct cpuid_entry) <= GUEST_MEM_SIZE,
		    "CPUID table of %u entries at 0x%llx", n,
		    (unsigned long long)gpa);
	memset(&regs, 0, sizeof(regs));
	regs.rsi = gpa;
	regs.rdi = n;
	vcpu->exits_cpuid += n;
	vcpu_call(vcpu, GUEST_FN(guest_cpuid_table_fn), &regs);
}

void vcpu_exit_mix(struct kvm_vcpu *vcpu, const struct exit_mix *mix)
{
	uint64_t io0 = vcpu->exits_io, hlt0 = vcpu->exits_hlt;
	struct kvm_regs regs;

	memset(&regs, 0, sizeof(regs));
	regs.rdi = mix->outs;
	regs.rsi = mix->cpuids;
	regs.rbp = mix->hlts;
	regs.rbx = mix->rdmsrs;
	vcpu->exits_cpuid += mix->cpuids;
	vcpu->exits_msr += mix->rdmsrs;
	vcpu_call(vcpu, GUEST_FN(guest_exit_mix_fn), &regs);
	errno = 0;
	TEST_ASSERT(vcpu->exits_io - io0 == mix->outs &&
		    vcpu->exits_hlt - hlt0 == mix->hlts + 1u,
		    "exit mix on vCPU %u: %llu I/O and %llu HLT exits, want %u and %u",
		    vcpu->id, (unsigned long long)(vcpu->exits_io - io0),
		    (unsigned long long)(vcpu->exits_hlt - hlt0), mix->outs,
		    mix->hlts + 1);
}

/* ----------------------------------------------------- the protocol */

pid_t thread_id(void)
{
	return (pid_t)syscall(SYS_gettid);
}

uint32_t host_cpu_isa(void)
{
	unsigned int a, b, c, d;
	char v[13];

	__cpuid(0, a, b, c, d);
	memcpy(v, &b, 4);
	memcpy(v + 4, &d, 4);
	memcpy(v + 8, &c, 4);
	v[12] = 0;
	if (!strcmp(v, "AuthenticAMD") || !strcmp(v, "HygonGenuine"))
		return EC_ISA_SVM;
	if (!strcmp(v, "GenuineIntel"))
		return EC_ISA_VMX;
	return 0;
}

uint32_t reason_nr(const struct ec_isa_table *t, const char *name)
{
	unsigned int slot;

	for (slot = 0; slot < ec_other_slot(t); slot++)
		if (t->names[slot] && !strcmp(t->names[slot], name))
			return ec_slot_nr(t, slot);
	errno = 0;
	TEST_ASSERT(0, "reason %s not in the %s table", name, t->isa_name);
	return 0;
}

const char *io_reason_name(const struct ec_isa_table *t)
{
	return t->isa == EC_ISA_VMX ? "IO_INSTRUCTION" : "IOIO";
}

const char *rdmsr_reason_name(const struct ec_isa_table *t)
{
	return t->isa == EC_ISA_VMX ? "MSR_READ" : "MSR";
}

/* ------------------------------------------------------ host view */

static void hv_bad(struct hostview *hv, const char *line)
{
	if (!hv->bad_lines++)
		snprintf(hv->first_bad, sizeof(hv->first_bad), "%.200s", line);
}

static bool parse_reason(struct hv_set *s, const char *rest)
{
	struct hv_reason *r;
	unsigned long long ex, cy;
	unsigned int nr;
	char name[64];
	int end = 0;

	/* The "other" line has no single reason number: "-" is accepted. */
	if (sscanf(rest, "reason - other exits %llu cycles %llu%n", &ex, &cy,
		   &end) == 2 && rest[end] == '\0') {
		nr = UINT32_MAX;
		strcpy(name, "other");
	} else if (sscanf(rest, "reason %u %63s exits %llu cycles %llu%n", &nr,
			  name, &ex, &cy, &end) != 4 || rest[end] != '\0') {
		return false;
	}
	if (s->nr_reasons >= HV_MAX_REASONS)
		return false;
	r = &s->reasons[s->nr_reasons++];
	r->nr = nr;
	snprintf(r->name, sizeof(r->name), "%s", name);
	r->exits = ex;
	r->cycles = cy;
	return true;
}

int hostview_read(struct hostview *hv)
{
	char line[1024], word[16];
	unsigned long long ex, cy;
	long id, pid;
	int end, i, err;
	FILE *f;

	memset(hv, 0, sizeof(*hv));
	hv->objects = -1;
	hv->lost = -1;
	hv->tsc_khz = -1;
	f = fopen(HOSTVIEW_DEV, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		end = 0;
		if (!hv->version) {
			/* the first line, and only it, names the layout */
			if (sscanf(line, EC_HOSTVIEW_MAGIC " %d%n", &hv->version,
				   &end) != 1 || line[end] || hv->version != EC_HOSTVIEW_VERSION) {
				hv->version = -1;
				hv_bad(hv, line);
			}
		} else if (sscanf(line, "isa %15s%n", word, &end) == 1 && !line[end]) {
			snprintf(hv->isa, sizeof(hv->isa), "%s", word);
		} else if (sscanf(line, "scope %15s%n", word, &end) == 1 &&
			   !line[end]) {
			snprintf(hv->scope, sizeof(hv->scope), "%s", word);
		} else if (!strncmp(line, "handled ", 8) || !strncmp(line, "hist ", 5) ||
			   ((sscanf(line, "tsc_khz %lld%n", &hv->tsc_khz, &end) == 1 ||
			     sscanf(line, "objects %lld%n", &hv->objects, &end) == 1 ||
			     sscanf(line, "lost %lld%n", &hv->lost, &end) == 1) &&
			    !line[end])) {
			/* handled_read()'s, kvm_hist's; the host's TSC rate; bookkeeping */
			continue;
		} else if (sscanf(line, "vm %ld pid %ld %n", &id, &pid, &end) == 2) {
			struct hv_vm *vm = NULL;

			for (i = 0; i < hv->nr_vms; i++)
				if (hv->vms[i].id == id)
					vm = &hv->vms[i];
			if (!vm && hv->nr_vms < HV_MAX_VMS) {
				vm = &hv->vms[hv->nr_vms++];
				vm->id = id;
				vm->pid = pid;
			}
			if (!vm || vm->pid != pid) {
				hv_bad(hv, line);
				continue;
			}
			if (!strncmp(line + end, "reason ", 7)) {
				if (!parse_reason(&vm->s, line + end))
					hv_bad(hv, line);
			} else if (!strncmp(line + end, "nested ", 7)) {
				int e2 = 0;

				if (sscanf(line + end, "nested exits %llu%n",
					   &vm->nested, &e2) != 1 ||
				    line[end + e2])
					hv_bad(hv, line);
			} else {
				int e2 = 0;

				if (vm->s.present ||
				    sscanf(line + end, "exits %llu cycles %llu%n",
					   &ex, &cy, &e2) != 2 || line[end + e2]) {
					hv_bad(hv, line);
					continue;
				}
				vm->s.present = true;
				vm->s.exits = ex;
				vm->s.cycles = cy;
			}
		} else if (!strncmp(line, "all reason ", 11)) {
			if (!parse_reason(&hv->all, line + 4))
				hv_bad(hv, line);
		} else if (sscanf(line, "all exits %llu cycles %llu%n", &ex, &cy,
				  &end) == 2 && !line[end] && !hv->all.present) {
			hv->all.present = true;
			hv->all.exits = ex;
			hv->all.cycles = cy;
		} else {
			hv_bad(hv, line);
		}
	}
	err = ferror(f) ? -EIO : 0;
	fclose(f);
	return err;
}

struct hv_vm *hostview_vm_of_pid(struct hostview *hv, long pid, int *n)
{
	struct hv_vm *found = NULL;
	int i;

	*n = 0;
	for (i = 0; i < hv->nr_vms; i++) {
		if (hv->vms[i].pid == pid) {
			(*n)++;
			found = &hv->vms[i];
		}
	}
	return *n == 1 ? found : NULL;
}

int hostview_reset(void)
{
	int fd = open(HOSTVIEW_DEV, O_RDONLY);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (ioctl(fd, EC_IOC_RESET))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	return err;
}

bool hostview_wait_objects(struct hostview *hv, long long want, int timeout_ms)
{
	int waited = 0;

	for (;;) {
		if (!hostview_read(hv) && hv->objects == want)
			return true;
		if (waited >= timeout_ms)
			return false;
		usleep(20 * 1000);
		waited += 20;
	}
}

int hv_set_by_slot(const struct ec_isa_table *t, const struct hv_set *s,
		   uint64_t *exits, uint64_t *cycles)
{
	bool *seen = calloc(t->nr_slots, sizeof(*seen));
	int i, bad = 0;

	TEST_ASSERT(seen, "calloc");
	memset(exits, 0, t->nr_slots * sizeof(*exits));
	memset(cycles, 0, t->nr_slots * sizeof(*cycles));
	for (i = 0; i < s->nr_reasons; i++) {
		const struct hv_reason *r = &s->reasons[i];
		unsigned int slot;

		if (!strcmp(r->name, "other")) {
			slot = ec_other_slot(t);
		} else {
			/* a gap inside a range: no name in the table */
			slot = ec_slot(t, r->nr);
			if (slot == ec_other_slot(t) ||
			    strcmp(t->names[slot] ? t->names[slot] : "undefined",
				   r->name) != 0) {
				tap_diag("host view line: reason %u %s: not the %s table's name",
					 r->nr, r->name, t->isa_name);
				bad++;
				continue;
			}
		}
		if (seen[slot]) {
			tap_diag("host view line: reason %u %s listed twice",
				 r->nr, r->name);
			bad++;
		}
		seen[slot] = true;
		exits[slot] += r->exits;
		cycles[slot] += r->cycles;
	}
	free(seen);
	return bad;
}

int handled_read(const struct ec_isa_table *t, int8_t *by_slot, int *bad)
{
	char line[256], name[64];
	unsigned int nr, flag, slot;
	int n = 0, end;
	FILE *f;

	*bad = 0;
	memset(by_slot, -1, t->nr_slots);
	f = fopen(HOSTVIEW_DEV, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		end = 0;
		if (strncmp(line, "handled ", 8) != 0)
			continue;	/* hostview_read()'s */
		if (sscanf(line, "handled %u %63s %u%n", &nr, name, &flag, &end) != 3 ||
		    line[end] || flag > 1) {
			tap_diag("handled: bad line \"%s\"", line);
			(*bad)++;
			continue;
		}
		slot = ec_slot(t, nr);
		if (slot == ec_other_slot(t) || !t->names[slot] ||
		    strcmp(t->names[slot], name) != 0 || by_slot[slot] != -1) {
			tap_diag("handled: line \"%s\" is not a defined %s reason, or repeats one",
				 line, t->isa_name);
			(*bad)++;
			continue;
		}
		by_slot[slot] = (int8_t)flag;
		n++;
	}
	fclose(f);
	return n;
}

/* ------------------------------------------ kvm:kvm_exit histogram */

/*
 * Counts of kvm:kvm_exit events per (task, exit_reason), from one of two
 * sources, chosen at start:
 * - a hist trigger keyed by common_pid,exit_reason: the kernel counts;
 * - on kernels built without CONFIG_HIST_TRIGGERS (no hist file: Debian
 *   11's 5.10), or with EXIT_HIST_SOURCE=ring in the environment, the
 *   events themselves, recorded in a tracing instance of our own and
 *   drained from its per-CPU trace_pipe_raw (binary records, the fields
 *   where the event's format file puts them) into counts kept here. A lost
 *   event (buffer full) makes the read fail and counts as dropped.
 * Reads list (pid, reason, count) entries either way; hist_sum() adds up
 * those of the wanted tasks.
 */
#define TRACEFS		"/sys/kernel/tracing"
#define KVM_EXIT_EVENT	TRACEFS "/events/kvm/kvm_exit"
#define RING_DIR	TRACEFS "/instances/exitcount-tests"
#define RING_EVENT	RING_DIR "/events/kvm/kvm_exit"
#define HIST_SPEC	"hist:keys=common_pid,exit_reason:vals=hitcount:sort=common_pid,exit_reason:size=4096"

struct exit_key {
	pid_t pid;
	uint32_t reason;
	uint64_t count;
};

static struct {
	bool ring;		/* the ring buffer source, not the hist trigger */
	pid_t pid;		/* only this task's events (0: every task's) */
	/* ring: where kvm_exit records keep their fields, and the counts */
	unsigned int type, pid_off, reason_off;
	struct exit_key *keys;
	int nr_keys, max_keys;
	uint64_t hits, lost;
} src;

static int write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_APPEND);
	int err = 0;

	if (fd < 0)
		return -errno;
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	return err;
}

/* The hist trigger line of src.pid, "!" first to remove it. */
static int write_trigger(bool remove)
{
	char s[256];

	if (src.pid)
		snprintf(s, sizeof(s), "%s" HIST_SPEC " if common_pid == %d\n",
			 remove ? "!" : "", (int)src.pid);
	else
		snprintf(s, sizeof(s), "%s" HIST_SPEC "\n", remove ? "!" : "");
	return write_file(KVM_EXIT_EVENT "/trigger", s);
}

/* Per-CPU buffer size: an eighth of the available memory, 1-32 MB. */
static long ring_kb(void)
{
	long kb = 0, cpus = sysconf(_SC_NPROCESSORS_CONF);
	char line[128];
	FILE *f = fopen("/proc/meminfo", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "MemAvailable: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	kb /= 8 * (cpus > 0 ? cpus : 1);
	return kb < 1024 ? 1024 : kb > 32768 ? 32768 : kb;
}

/* The type id and field offsets of kvm:kvm_exit records. */
static int ring_format(void)
{
	unsigned int off, size, n = 0;
	char line[256], decl[128], *name;
	FILE *f = fopen(KVM_EXIT_EVENT "/format", "r");

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "ID: %u", &src.type) == 1) {
			n++;
			continue;
		}
		if (sscanf(line, " field:%127[^;]; offset:%u; size:%u;", decl, &off, &size) != 3 ||
		    size != 4)
			continue;
		name = strrchr(decl, ' ') ? strrchr(decl, ' ') + 1 : decl;
		if (!strcmp(name, "common_pid")) {
			src.pid_off = off;
			n++;
		} else if (!strcmp(name, "exit_reason")) {
			src.reason_off = off;
			n++;
		}
	}
	fclose(f);
	return n == 3 ? 0 : -ENOENT;
}

static int ring_start(void)
{
	char s[64];
	int err;

	rmdir(RING_DIR);	/* left by a crashed run */
	if (mkdir(RING_DIR, 0700))
		return -errno;
	snprintf(s, sizeof(s), "%ld\n", ring_kb());
	tap_diag("kvm:kvm_exit counted from its events in %s (buffer_size_kb %ld)",
		 RING_DIR, ring_kb());
	err = ring_format();
	if (!err)
		err = write_file(RING_DIR "/buffer_size_kb", s);
	snprintf(s, sizeof(s), "common_pid == %d\n", (int)src.pid);
	if (!err && src.pid)
		err = write_file(RING_EVENT "/filter", s);
	if (!err)
		err = write_file(RING_EVENT "/enable", "1\n");
	if (err)
		rmdir(RING_DIR);
	return err;
}

/* @count more events of task @pid with @reason. */
static void key_add(pid_t pid, uint32_t reason, uint64_t count)
{
	struct exit_key *k;
	int i;

	for (i = 0; i < src.nr_keys; i++)
		if (src.keys[i].pid == pid && src.keys[i].reason == reason) {
			src.keys[i].count += count;
			return;
		}
	if (src.nr_keys == src.max_keys) {
		src.max_keys = src.max_keys ? 2 * src.max_keys : 64;
		k = realloc(src.keys, (size_t)src.max_keys * sizeof(*k));
		TEST_ASSERT(k, "realloc");
		src.keys = k;
	}
	src.keys[src.nr_keys++] = (struct exit_key){ pid, reason, count };
}

/*
 * One page of trace_pipe_raw: a header (u64 time stamp, u64 commit: bytes
 * of data, bit 31 set when events were lost before it), then ring buffer
 * events, each a u32 (type_len:5, time_delta:27) and its data: type_len
 * 1-28 words; 0: length in the next u32, data after it; 29: padding (to
 * the page's end if time_delta is 0); 30, 31: time stamps of 8 bytes.
 * Returns the number of records that were not kvm:kvm_exit events.
 */
static int ring_page(const unsigned char *p, size_t n)
{
	size_t off = 16, end, len;
	uint32_t hdr, word;
	uint64_t commit;
	uint16_t type;
	int32_t pid;
	uint32_t reason;
	int odd = 0;

	if (n < 16)
		return 1;
	memcpy(&commit, p + 8, 8);
	if (commit & (3u << 30))	/* RB_MISSED_EVENTS, RB_MISSED_STORED */
		src.lost++;
	end = 16 + (commit & ((1u << 30) - 1));
	if (end > n)
		return 1;
	for (; off + 4 <= end; off += len) {
		uint32_t type_len;
		size_t rec;

		memcpy(&hdr, p + off, 4);
		type_len = hdr & 31;
		if (type_len >= 30) {
			len = 8;
			continue;
		}
		if (type_len == 29 && !(hdr >> 5))
			break;
		len = 4 + type_len * 4;
		if (type_len == 0 || type_len == 29) {
			if (off + 8 > end)
				return odd + 1;
			memcpy(&word, p + off + 4, 4);
			len = 4 + (size_t)word;
		}
		if (type_len == 29)
			continue;
		/* the record: after the header, and after a length word */
		rec = off + 4 + (type_len ? 0 : 4);
		memcpy(&type, p + rec, 2);
		if (rec + (size_t)src.reason_off + 4 > off + len || off + len > end ||
		    type != src.type) {
			odd++;
			continue;
		}
		memcpy(&pid, p + rec + src.pid_off, 4);
		memcpy(&reason, p + rec + src.reason_off, 4);
		key_add(pid, reason, 1);
		src.hits++;
	}
	return odd;
}

/* Move what the buffers hold into src.keys; returns 0 or -errno. */
static int ring_drain(void)
{
	long page = sysconf(_SC_PAGESIZE);
	unsigned char *buf = malloc((size_t)page);
	unsigned long long a, lost = 0;
	char path[128], line[128];
	int cpu, odd = 0, err = 0;

	TEST_ASSERT(buf, "malloc");
	for (cpu = 0; !err; cpu++) {
		ssize_t n;
		FILE *f;
		int fd;

		snprintf(path, sizeof(path), RING_DIR "/per_cpu/cpu%d/trace_pipe_raw", cpu);
		fd = open(path, O_RDONLY | O_NONBLOCK);
		if (fd < 0) {
			err = errno == ENOENT && cpu ? 0 : -errno;
			break;
		}
		while ((n = read(fd, buf, (size_t)page)) > 0)
			odd += ring_page(buf, (size_t)n);
		if (n < 0 && errno != EAGAIN)
			err = -errno;
		close(fd);
		/* events lost to a full buffer */
		snprintf(path, sizeof(path), RING_DIR "/per_cpu/cpu%d/stats", cpu);
		f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f))
			if (sscanf(line, "overrun: %llu", &a) == 1 ||
			    sscanf(line, "commit overrun: %llu", &a) == 1 ||
			    sscanf(line, "dropped events: %llu", &a) == 1)
				lost += a;
		if (f)
			fclose(f);
	}
	free(buf);
	if (lost > src.lost)
		src.lost = lost;
	if (!err && (src.lost || odd)) {
		tap_diag("kvm:kvm_exit events in %s: %llu lost, %d records not understood",
			 RING_DIR, (unsigned long long)src.lost, odd);
		err = -ENOBUFS;
	}
	return err;
}

static int exit_events_start(pid_t pid)
{
	const char *s = getenv("EXIT_HIST_SOURCE");

	free(src.keys);
	memset(&src, 0, sizeof(src));
	src.pid = pid;
	src.ring = (s && !strcmp(s, "ring")) || access(KVM_EXIT_EVENT "/hist", F_OK);
	if (src.ring)
		return ring_start();
	/* A trigger left by a crashed run would make ours EEXIST. */
	write_trigger(true);
	return write_trigger(false);
}

static int exit_events_stop(void)
{
	int err;

	if (!src.ring)
		return write_trigger(true);
	err = write_file(RING_EVENT "/enable", "0\n");
	if (rmdir(RING_DIR) && !err)
		err = -errno;
	return err;
}

/* @count more exits of @reason (the raw list keeps HV_MAX_REASONS). */
static void hist_add(const struct ec_isa_table *t, struct exit_hist *h,
		     uint32_t reason, unsigned long long count)
{
	int j;

	h->by_slot[ec_slot(t, reason)] += count;
	h->total += count;
	for (j = 0; j < h->nr_raw && h->raw_nr[j] != reason; j++)
		;
	if (j == h->nr_raw && h->nr_raw < HV_MAX_REASONS) {
		h->raw_nr[h->nr_raw] = reason;
		h->raw_count[h->nr_raw++] = 0;
	}
	if (j < HV_MAX_REASONS)
		h->raw_count[j] += count;
}

/* Replace src.keys and @h's totals with what the hist file says. */
static int hist_file_read(struct exit_hist *h)
{
	unsigned long long p, a, b;
	char line[512];
	FILE *f = fopen(KVM_EXIT_EVENT "/hist", "r");

	if (!f)
		return -errno;
	src.nr_keys = 0;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, " { common_pid: %llu, exit_reason: %llu } hitcount: %llu",
			   &p, &a, &b) == 3)
			key_add((pid_t)p, (uint32_t)a, b);
		else if (sscanf(line, " Hits: %llu", &a) == 1)
			h->hits = a;
		else if (sscanf(line, " Entries: %llu", &a) == 1)
			h->entries = (int)a;
		else if (sscanf(line, " Dropped: %llu", &a) == 1)
			h->dropped = a;
	}
	fclose(f);
	return 0;
}

/* @h = the counts of the @n tasks in @tids; returns 0 or -errno. */
static int hist_sum(const struct ec_isa_table *t, const pid_t *tids, int n,
		    struct exit_hist *h)
{
	int i, e, err;

	memset(h->by_slot, 0, t->nr_slots * sizeof(*h->by_slot));
	h->total = h->hits = h->dropped = 0;
	h->entries = h->nr_raw = 0;
	if (src.ring) {
		err = ring_drain();
		h->hits = src.hits;
		h->dropped = src.lost;
		h->entries = src.nr_keys;
	} else {
		err = hist_file_read(h);
	}
	for (e = 0; e < src.nr_keys; e++) {
		for (i = 0; i < n && src.keys[e].pid != tids[i]; i++)
			;
		if (i < n)
			hist_add(t, h, src.keys[e].reason, src.keys[e].count);
	}
	return err;
}

int exit_hist_start(pid_t pid)
{
	return exit_events_start(pid);
}

int exit_hist_stop(pid_t pid)
{
	(void)pid;
	return exit_events_stop();
}

int exit_hist_read(const struct ec_isa_table *t, struct exit_hist *h)
{
	return hist_sum(t, &src.pid, 1, h);
}

int exit_hist_tasks_start(void)
{
	return exit_events_start(0);
}

int exit_hist_tasks_stop(void)
{
	return exit_events_stop();
}

int exit_hist_tasks_read(const struct ec_isa_table *t, const pid_t *tids,
			 int n, struct exit_hist *h)
{
	return hist_sum(t, tids, n, h);
}
