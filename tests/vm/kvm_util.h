/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared code of the VM tests, in the manner of the kernel's KVM selftests
 * (tools/testing/selftests/kvm): a VM with one or more vCPUs in 32-bit
 * flat protected mode (no paging), guest functions written as inline
 * assembly beside the host code, TAP output, and readers for the module's
 * host view (/dev/exitcount) and the kvm:kvm_exit trace event.
 *
 * No in-kernel irqchip (unless asked for): a guest HLT exits to user space
 * (KVM_EXIT_HLT), and so does every OUT (KVM_EXIT_IO). The host counts both, and the callers
 * count the CPUIDs their guest functions execute, so a test knows exactly
 * how many CPUID, HLT and I/O exits its VM has taken at any point.
 *
 * Threads: a vCPU may be run by any one thread at a time (vcpu_call and
 * its tallies are per vCPU); the TAP functions are for one thread only.
 */
#ifndef EXITCOUNT_TESTS_VM_KVM_UTIL_H
#define EXITCOUNT_TESTS_VM_KVM_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/kvm.h>

#include <exitcount/hostview.h>
#include <exitcount/protocol.h>
#include <exitcount/reasons.h>

/* ---------------------------------------------------------------- TAP */

/* Start a TAP stream; every description is prefixed with "TAG: ". */
void tap_init(const char *tag);
/* One test result; on failure, "# file:line: ..." diagnostics follow. */
bool tap_check(bool ok, const char *file, int line, const char *expr,
	       const char *fmt, ...) __attribute__((format(printf, 5, 6)));
bool tap_check_cmp(uint64_t got, const char *op, uint64_t want,
		   const char *file, int line, const char *got_expr,
		   const char *want_expr, const char *fmt, ...)
	__attribute__((format(printf, 8, 9)));
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the plan; the exit status: 0 when every result was ok. */
int tap_finish(void);
void __attribute__((noreturn, format(printf, 5, 6)))
tap_fatal(const char *file, int line, const char *expr, int err,
	  const char *fmt, ...);

#define CHECK(cond, ...) \
	tap_check(!!(cond), __FILE__, __LINE__, #cond, __VA_ARGS__)
#define CHECK_OP_(got, op, want, ...)                                       \
	tap_check_cmp((uint64_t)(got), op, (uint64_t)(want), __FILE__,      \
		      __LINE__, #got, #want, __VA_ARGS__)
#define CHECK_EQ(got, want, ...) CHECK_OP_(got, "==", want, __VA_ARGS__)
#define CHECK_NE(got, want, ...) CHECK_OP_(got, "!=", want, __VA_ARGS__)
#define CHECK_GE(got, want, ...) CHECK_OP_(got, ">=", want, __VA_ARGS__)
#define CHECK_GT(got, want, ...) CHECK_OP_(got, ">", want, __VA_ARGS__)

/*
 * Fatal assertion (setup failures): a "not ok" result with file:line and
 * errno, then "Bail out!" and exit status 2.
 */
#define TEST_ASSERT(cond, ...)                                              \
	do {                                                                \
		if (!(cond))                                                \
			tap_fatal(__FILE__, __LINE__, #cond, errno,         \
				  __VA_ARGS__);                             \
	} while (0)

/* ------------------------------------------------------------ the VM */

#define GUEST_MEM_SIZE	(2u << 20)
#define GUEST_CODE_GPA	0x10000u
/* vCPU i's stack: GUEST_STACK_SIZE bytes below GUEST_STACK_TOP - i * that. */
#define GUEST_STACK_TOP	0x100000u
#define GUEST_STACK_SIZE 0x1000u
#define VM_MAX_VCPUS	16
/* Guest memory from here to GUEST_MEM_SIZE is for the tests' data. */
#define GUEST_DATA_GPA	0x100000u
#define GUEST_DATA_SIZE	(GUEST_MEM_SIZE - GUEST_DATA_GPA)
/* The port the guest functions write to: every OUT is a KVM_EXIT_IO. */
#define GUEST_PORT	0x4ec

struct kvm_vm;

struct kvm_vcpu {
	struct kvm_vm *vm;
	unsigned int id;		/* KVM's vcpu id, 0.. */
	int fd;
	struct kvm_run *run;
	size_t run_size;
	/*
	 * Exits this vCPU has taken since creation, for the reasons the tests
	 * count exactly: I/O and HLT as seen by the host, CPUID as added by
	 * whoever runs a guest function that executes CPUID (before running
	 * it: a CPUID exit is counted before the query is answered).
	 */
	uint64_t exits_io;
	uint64_t exits_hlt;
	uint64_t exits_cpuid;
	uint64_t exits_msr;	/* added by vcpu_exit_mix() */
	/* The port vcpu_call() accepts OUTs to; 0 means GUEST_PORT. */
	uint16_t io_port;
	/* If set, vcpu_call() calls it at every KVM_EXIT_IO, once counted. */
	void (*on_io)(struct kvm_vcpu *vcpu);
};

struct kvm_vm {
	int kvm_fd;
	int fd;
	uint8_t *mem;
	bool own_mem;			/* mem mapped by vm_create_opts() */
	bool irqchip;			/* KVM_CREATE_IRQCHIP done */
	struct kvm_vcpu *vcpu;		/* vcpus[0] */
	unsigned int nr_vcpus;
	struct kvm_vcpu *vcpus[VM_MAX_VCPUS];
};

struct vm_opts {
	unsigned int nr_vcpus;		/* 0 means 1 */
	/*
	 * GUEST_MEM_SIZE bytes to use as guest memory (e.g. MAP_SHARED, to
	 * watch the guest from another process); NULL: a private mapping.
	 */
	void *mem;
	/*
	 * KVM_CREATE_IRQCHIP before the vCPUs (in-kernel PIC, IOAPIC and
	 * LAPICs; every vCPU made runnable): INIT and SIPI work, but a HLT
	 * then waits in the kernel for an interrupt, so vcpu_call() and the
	 * functions built on it cannot be used on such a VM.
	 */
	bool irqchip;
};

/*
 * A VM with guest memory at GPA 0, all guest functions of the program
 * copied to GUEST_CODE_GPA, CPUID as KVM_GET_SUPPORTED_CPUID reports it,
 * and @opts->nr_vcpus vCPUs in 32-bit flat protected mode, each with its
 * own stack.
 */
struct kvm_vm *vm_create_opts(const struct vm_opts *opts);
/* The same with one vCPU, or with @nr_vcpus, and private memory. */
struct kvm_vm *vm_create(void);
struct kvm_vm *vm_create_vcpus(unsigned int nr_vcpus);
/* Close the vCPUs and the VM: KVM destroys the VM when the last fd goes. */
void vm_destroy(struct kvm_vm *vm);
/* Host address of guest physical address @gpa (fatal if out of memory). */
void *vm_gpa(struct kvm_vm *vm, uint64_t gpa);
/* Guest physical address of @p, a label in the section guest_code. */
uint64_t guest_gpa(const uint8_t *p);
/* The first guest physical address after the guest code. */
uint64_t guest_code_end_gpa(void);

/*
 * Guest functions: 32-bit code in the section "guest_code", which
 * vm_create() copies into every VM. A function takes its arguments in the
 * registers the host sets, ends with HLT (added by the macro), and returns
 * its results in registers. The host tells the final HLT from others in
 * the body by the RIP after it: the label NAME_ret.
 */
#define DEFINE_GUEST_FN(name, body)                                         \
	extern const uint8_t name[], name##_ret[];                          \
	asm(".pushsection guest_code, \"a\"\n"                              \
	    ".code32\n"                                                     \
	    #name ":\n"                                                     \
	    body "\n"                                                       \
	    "\thlt\n"                                                       \
	    #name "_ret:\n"                                                 \
	    "\tud2\n"                                                       \
	    ".code64\n"                                                     \
	    ".popsection\n")

struct guest_fn {
	const uint8_t *entry;
	const uint8_t *ret;
	const char *name;
};

#define GUEST_FN(name) ((struct guest_fn){ name, name##_ret, #name })

/*
 * Run @fn on @vcpu with the general registers in @regs (RIP, RSP and
 * RFLAGS are set here) until its final HLT; @regs then holds the guest's
 * registers. Every KVM_EXIT_IO must be a 1-byte OUT to GUEST_PORT and
 * every other exit to user space must be a KVM_EXIT_HLT: anything else is
 * fatal.
 */
void vcpu_call(struct kvm_vcpu *vcpu, struct guest_fn fn,
	       struct kvm_regs *regs);

/*
 * The same, but KVM_RUN failing with EINTR (a signal) ends the call:
 * returns false then (the guest stopped anywhere), true after the final
 * HLT.
 */
bool vcpu_call_intr(struct kvm_vcpu *vcpu, struct guest_fn fn,
		    struct kvm_regs *regs);

/* Exit tallies at one instant. */
struct exit_tally {
	uint64_t io;
	uint64_t hlt;
	uint64_t cpuid;
};

/*
 * Execute CPUID(@leaf, @subleaf) in the guest: exactly one CPUID exit and
 * one HLT exit. @at, if not NULL, receives the tallies as the CPUID
 * executes (that CPUID included, the HLT after it not).
 */
void guest_cpuid(struct kvm_vcpu *vcpu, uint32_t leaf, uint32_t subleaf,
		 uint32_t out[EC_NR_REGS], struct exit_tally *at);

/* A known number of exits of each kind, interleaved, in one guest run. */
struct exit_mix {
	uint32_t outs;		/* OUT to GUEST_PORT: KVM_EXIT_IO */
	uint32_t cpuids;	/* CPUID(0): handled in the kernel */
	uint32_t hlts;		/* HLT: KVM_EXIT_HLT */
	uint32_t rdmsrs;	/* RDMSR of IA32_APIC_BASE: in the kernel */
};

/*
 * Run the mix on @vcpu: exactly @mix->outs I/O, @mix->cpuids CPUID,
 * @mix->rdmsrs MSR read and @mix->hlts + 1 HLT exits (the final HLT), besides
 * what KVM takes for itself (interrupts, page faults). Updates the tallies.
 */
void vcpu_exit_mix(struct kvm_vcpu *vcpu, const struct exit_mix *mix);

/* One CPUID of a table the guest works through in one run. */
struct cpuid_entry {
	uint32_t leaf;
	uint32_t subleaf;
	uint32_t out[EC_NR_REGS];
};

/*
 * Execute CPUID for @n entries at guest address @gpa (in the data area),
 * in order, in one guest run: exactly @n CPUID exits and one HLT exit.
 * Guest code may do the same with "call guest_cpuid_table_sub" (ESI the
 * first entry, EDI how many, > 0).
 */
void guest_cpuid_table(struct kvm_vcpu *vcpu, uint64_t gpa, uint32_t n);

/* ----------------------------------------------------- the protocol */

/* The calling thread's id (what trace events call common_pid). */
pid_t thread_id(void);

/* Host CPU vendor: EC_ISA_SVM for AMD/Hygon, EC_ISA_VMX for Intel, 0. */
uint32_t host_cpu_isa(void);
/* Reason number of the reason named @name in @t; fatal when absent. */
uint32_t reason_nr(const struct ec_isa_table *t, const char *name);
/* The name for I/O instructions: IO_INSTRUCTION (VMX) or IOIO (SVM). */
const char *io_reason_name(const struct ec_isa_table *t);
/* The name for RDMSR: MSR_READ (VMX) or MSR (SVM, reads and writes). */
const char *rdmsr_reason_name(const struct ec_isa_table *t);

/* ------------------------------------------------------ host view */

#define HOSTVIEW_DEV	EC_HOSTVIEW_DEV
#define HV_MAX_REASONS	512
#define HV_MAX_VMS	16

struct hv_reason {
	uint32_t nr;
	char name[64];
	uint64_t exits;
	uint64_t cycles;
};

struct hv_set {
	bool present;
	uint64_t exits;
	uint64_t cycles;
	int nr_reasons;
	struct hv_reason reasons[HV_MAX_REASONS];
};

struct hv_vm {
	long id;
	long pid;
	struct hv_set s;
	unsigned long long nested;	/* exits taken in guest mode (L2) */
};

struct hostview {
	int version;		/* of the first line; 0 if it had none */
	char isa[16];
	char scope[16];
	long long tsc_khz;
	long long objects;
	long long lost;
	int nr_vms;
	struct hv_vm vms[HV_MAX_VMS];
	struct hv_set all;
	int bad_lines;		/* lines in no documented format */
	char first_bad[256];
};

/* Parse HOSTVIEW_DEV but its handled lines; returns 0 or -errno. */
int hostview_read(struct hostview *hv);
/* The only VM of @pid (NULL if none); *@n gets how many there are. */
struct hv_vm *hostview_vm_of_pid(struct hostview *hv, long pid, int *n);
/* EC_IOC_RESET on HOSTVIEW_DEV; returns 0 or -errno. */
int hostview_reset(void);
/*
 * Re-read @hv until its objects line says @want (freed VMs go after an
 * RCU grace period) or @timeout_ms passed; true when it did.
 */
bool hostview_wait_objects(struct hostview *hv, long long want, int timeout_ms);

/*
 * Sum a set's reason lines into per-slot arrays of @t (nr_slots entries;
 * "other" lines into the other slot). Returns how many lines were
 * inconsistent: a name not the table's, or a slot seen twice.
 */
int hv_set_by_slot(const struct ec_isa_table *t, const struct hv_set *s,
		   uint64_t *exits, uint64_t *cycles);

/*
 * Parse the handled lines of HOSTVIEW_DEV into @by_slot (nr_slots entries): -1 not
 * listed, else the 0/1 flag. Returns the number of lines or -errno;
 * *@bad gets the number of lines that did not parse or named a reason
 * inconsistently with the table.
 */
int handled_read(const struct ec_isa_table *t, int8_t *by_slot, int *bad);

/* ------------------------------------------ kvm:kvm_exit histogram */

/*
 * Counts of kvm:kvm_exit events by task and exit_reason since a start: a
 * hist trigger keyed by common_pid,exit_reason, or, where the kernel has
 * no hist triggers (CONFIG_HIST_TRIGGERS=n, e.g. Debian 11's 5.10) or
 * EXIT_HIST_SOURCE=ring is set, the events themselves read from a tracing
 * instance of our own (lost events make the read fail). See kvm_util.c.
 *
 * exit_hist_start: only the events of task @pid (the vCPU thread: our
 * single-threaded process). Returns 0 or -errno.
 */
int exit_hist_start(pid_t pid);
int exit_hist_stop(pid_t pid);

struct exit_hist {
	uint64_t *by_slot;	/* nr_slots entries, filled by exit_hist_read */
	uint64_t total;		/* sum of the entries */
	uint64_t hits;		/* "Hits:" (ring: events read, every task) */
	uint64_t dropped;	/* "Dropped:" (ring: events lost) */
	int entries;
	int nr_raw;		/* distinct raw exit_reason values */
	uint32_t raw_nr[HV_MAX_REASONS];
	uint64_t raw_count[HV_MAX_REASONS];
};

/* Read the histogram; returns 0 or -errno. */
int exit_hist_read(const struct ec_isa_table *t, struct exit_hist *h);

/*
 * The events of every task (each vCPU thread has its own tid), so several
 * threads' or VMs' exits can be told apart. Returns 0 or -errno.
 */
int exit_hist_tasks_start(void);
int exit_hist_tasks_stop(void);
/*
 * Read it: @h gets the sum over the @n tasks in @tids (by slot, total,
 * hits and dropped of the whole histogram). Returns 0 or -errno.
 */
int exit_hist_tasks_read(const struct ec_isa_table *t, const pid_t *tids,
			 int n, struct exit_hist *h);

#endif /* EXITCOUNT_TESTS_VM_KVM_UTIL_H */
