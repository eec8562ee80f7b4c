// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_nested: a query taken in guest mode is not answered, and counts.
 *
 *   kvm_nested [--expect=vm|absent] [--rounds=N]
 *
 * The guest (L1) is itself a tiny SVM (or VMX) hypervisor, in the manner
 * of the kernel's selftests (x86_64/svm_*.c, lib/x86_64/svm.c): it sets
 * EFER.SVME and VM_HSAVE_PA, completes the VMCB the host laid out for its
 * guest L2 (32-bit flat protected mode, no paging, nested paging off,
 * ASID 1, CPUID, VMRUN, VMMCALL and SHUTDOWN intercepted) and runs L2,
 * which executes the protocol's query leaves with distinct RBX/RCX/RDX
 * values. L2's CPUID exits to L0 (KVM) and is reflected to L1; L1 then
 * answers it itself as a hypervisor does (RAX in the VMCB, RBX..RDX in its
 * registers at VMRUN, RIP + 2) and resumes L2.
 *
 * On SVM, VMRUN saves and restores only RAX (and RSP, RIP) of the host:
 * after #VMEXIT L1's RAX is again the VMCB address it gave VMRUN, and
 * RBX..RDX are L2's values at its CPUID. A module that answers the query
 * at the vCPU's next entry, which is L1's, overwrites exactly those. Each
 * round records what L1 saw right after #VMEXIT and what L2 got back; the
 * host checks every round. L1 also executes the query itself, outside
 * guest mode, before and after running L2: that one is the module's to
 * answer (--expect=vm), or KVM's when the module is absent or loaded with
 * guest_query=0 (--expect=absent). With the module loaded, its counts
 * must include L2's exits (VMCB exits are L0's exits): L1's CPUID count
 * and the host view.
 *
 * KVM emulates VMRUN only for an L1 with paging on (its
 * nested_svm_check_permissions()), so L1 runs on a one-entry 4 MB
 * identity map; L2 runs without paging.
 *
 * Intel: L1 is a tiny VMX hypervisor instead (see "VMX" below): the same
 * rounds and checks, except what VMX does differently at an exit: no
 * general register but RSP is switched, so L1 sees L2's RAX..RSI and must
 * find its own EDI and EBP (which L2 never touches) as it left them.
 */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kvm_util.h"

#define STR_(x) #x
#define STR(x) STR_(x)

/* Guest physical layout, in the data area (plain numbers: used in asm). */
#define ND_VMCB		0x100000	/* L2's VMCB */
#define ND_HSAVE	0x101000	/* VM_HSAVE_PA */
#define ND_IOPM		0x102000	/* 3 pages, all zero: nothing intercepted */
#define ND_MSRPM	0x105000	/* 2 pages, all zero */
#define ND_PD		0x107000	/* L1's page directory: one 4 MB page */
#define ND_L2_STACK	0x109000	/* top of L2's stack page */
#define ND_CTL		0x109000	/* struct nested_ctl */
#define ND_L1PRE	0x109100	/* L1's own queries before running L2 */
#define ND_L1POST	0x109200	/* ... and after */
#define ND_L2Q		0x10A000	/* struct l2_query[rounds + 1] */
#define ND_EXITS	0x112000	/* struct l1_exit[rounds + 2] */
#define ND_END		0x11C000
#define MAX_ROUNDS	250

/* VMCB offsets (AMD APM vol. 2, appendix B; the kernel's asm/svm.h) */
#define VMCB_EXIT_CODE	0x070
#define VMCB_RIP	0x578
#define VMCB_RAX	0x5f8
#define VMCB_EFER	0x4d0
#define SVM_EXIT_CPUID	0x72
#define SVM_EXIT_SHUTDOWN 0x7f
#define SVM_EXIT_VMMCALL 0x81

/* L1's own answer to every L2 query. */
#define ANS_A		0x11aa0001
#define ANS_B		0x11bb0002
#define ANS_C		0x11cc0003
#define ANS_D		0x11dd0004

/* Pointers the guests advance (guest physical addresses). */
struct nested_ctl {
	uint32_t l2_ptr;	/* L2's next struct l2_query */
	uint32_t l1_ptr;	/* L1's next struct l1_exit */
	uint32_t budget;	/* CPUID exits L1 resumes L2 after, at most */
};

/* One L2 query: the host fills the input, L2 the output. */
struct l2_query {
	uint32_t leaf;		/* 0: end, L2 executes VMMCALL */
	uint32_t subleaf;	/* ECX */
	uint32_t ebx, edx;	/* L2's RBX, RDX at the CPUID */
	uint32_t out[EC_NR_REGS];
};

/* What L1 saw right after one #VMEXIT. */
struct l1_exit {
	uint32_t rax, rbx, rcx, rdx;
	uint64_t exit_code;
	uint64_t l2_rax;	/* the VMCB's save.rax */
	uint32_t l2_rip;	/* the VMCB's save.rip */
	uint32_t pad;
};

_Static_assert(offsetof(struct nested_ctl, l2_ptr) == 0 &&
	       offsetof(struct nested_ctl, l1_ptr) == 4 &&
	       offsetof(struct nested_ctl, budget) == 8, "asm offsets");
_Static_assert(sizeof(struct l2_query) == 32 &&
	       offsetof(struct l2_query, out) == 16, "L2's stride and offsets");
_Static_assert(sizeof(struct l1_exit) == 40 &&
	       offsetof(struct l1_exit, exit_code) == 16 &&
	       offsetof(struct l1_exit, l2_rax) == 24 &&
	       offsetof(struct l1_exit, l2_rip) == 32, "L1's stride and offsets");
_Static_assert(ND_L2Q + (MAX_ROUNDS + 1) * 32 <= ND_EXITS &&
	       ND_EXITS + (MAX_ROUNDS + 2) * 40 <= ND_END &&
	       ND_END <= GUEST_MEM_SIZE, "layout");

#define CTL_L2_PTR	STR(ND_CTL) "+0"
#define CTL_L1_PTR	STR(ND_CTL) "+4"
#define CTL_BUDGET	STR(ND_CTL) "+8"
#define VMCB_(off)	STR(ND_VMCB) "+" STR(off)

/*
 * L2: for each struct l2_query, CPUID with its leaf, subleaf, EBX, EDX,
 * results stored; VMMCALL at the end. Its other registers are L1's after
 * every exit (VMRUN does not switch them): state lives in memory only.
 */
extern const uint8_t nested_l2[], nested_l2_cpuid[];
asm(".pushsection guest_code, \"a\"\n"
    ".code32\n"
    "nested_l2:\n"
    "1:\tmov " CTL_L2_PTR ", %esi\n"
    "\tmov 0(%esi), %eax\n"
    "\ttest %eax, %eax\n"
    "\tjz 2f\n"
    "\tmov 4(%esi), %ecx\n"
    "\tmov 8(%esi), %ebx\n"
    "\tmov 12(%esi), %edx\n"
    "nested_l2_cpuid:\n"
    "\tcpuid\n"
    "\tmov " CTL_L2_PTR ", %esi\n"
    "\tmov %eax, 16(%esi)\n"
    "\tmov %ebx, 20(%esi)\n"
    "\tmov %ecx, 24(%esi)\n"
    "\tmov %edx, 28(%esi)\n"
    "\taddl $32, " CTL_L2_PTR "\n"
    "\tjmp 1b\n"
    "2:\tvmmcall\n"
    "\tud2\n"
    ".code64\n"
    ".popsection\n");

/*
 * L1: paging on (a 4 MB identity page), EFER.SVME, VM_HSAVE_PA, its own
 * queries, VMSAVE into L2's VMCB (FS, GS, TR, LDTR...), EFER into it, then
 * VMRUN until an exit other than CPUID or the budget is spent; its own
 * queries again. The VMCB address and L1's answer are reloaded before
 * every VMRUN: nothing of L1's is kept in registers across one.
 */
DEFINE_GUEST_FN(nested_l1,
	"\tmov $" STR(ND_PD) ", %eax\n"
	"\tmov %eax, %cr3\n"
	"\tmov %cr4, %eax\n"
	"\tor $0x10, %eax\n"			/* CR4.PSE */
	"\tmov %eax, %cr4\n"
	"\tmov %cr0, %eax\n"
	"\tor $0x80000000, %eax\n"		/* CR0.PG */
	"\tmov %eax, %cr0\n"
	"\tmov $0xc0000080, %ecx\n"		/* EFER */
	"\trdmsr\n"
	"\tor $0x1000, %eax\n"			/* SVME */
	"\twrmsr\n"
	"\tmov $0xc0010117, %ecx\n"		/* VM_HSAVE_PA */
	"\tmov $" STR(ND_HSAVE) ", %eax\n"
	"\txor %edx, %edx\n"
	"\twrmsr\n"
	"\tmov $" STR(ND_L1PRE) ", %esi\n"
	"\tmov $2, %edi\n"
	"\tcall guest_cpuid_table_sub\n"
	"\tmov $" STR(ND_VMCB) ", %eax\n"
	"\tvmsave\n"
	"\tmov $0xc0000080, %ecx\n"
	"\trdmsr\n"
	"\tmov %eax, " VMCB_(VMCB_EFER) "\n"
	"\tmov %edx, " VMCB_(VMCB_EFER) "+4\n"
	"1:\n"
	"\tmov $" STR(ND_VMCB) ", %eax\n"
	"\tmov $" STR(ANS_B) ", %ebx\n"
	"\tmov $" STR(ANS_C) ", %ecx\n"
	"\tmov $" STR(ANS_D) ", %edx\n"
	"\tvmrun\n"
	/* #VMEXIT: EAX..EDX first, before anything touches them */
	"\tmov " CTL_L1_PTR ", %edi\n"
	"\tmov %eax, 0(%edi)\n"
	"\tmov %ebx, 4(%edi)\n"
	"\tmov %ecx, 8(%edi)\n"
	"\tmov %edx, 12(%edi)\n"
	"\tmov " VMCB_(VMCB_EXIT_CODE) ", %eax\n"
	"\tmov %eax, 16(%edi)\n"
	"\tmov " VMCB_(VMCB_EXIT_CODE) "+4, %eax\n"
	"\tmov %eax, 20(%edi)\n"
	"\tmov " VMCB_(VMCB_RAX) ", %eax\n"
	"\tmov %eax, 24(%edi)\n"
	"\tmov " VMCB_(VMCB_RAX) "+4, %eax\n"
	"\tmov %eax, 28(%edi)\n"
	"\tmov " VMCB_(VMCB_RIP) ", %eax\n"
	"\tmov %eax, 32(%edi)\n"
	"\taddl $40, " CTL_L1_PTR "\n"
	"\tcmpl $" STR(SVM_EXIT_CPUID) ", " VMCB_(VMCB_EXIT_CODE) "\n"
	"\tjne 2f\n"
	"\tcmpl $0, " VMCB_(VMCB_EXIT_CODE) "+4\n"
	"\tjne 2f\n"
	/* answer as a hypervisor: EAX via the VMCB, EBX..EDX at VMRUN */
	"\tmovl $" STR(ANS_A) ", " VMCB_(VMCB_RAX) "\n"
	"\tmovl $0, " VMCB_(VMCB_RAX) "+4\n"
	"\taddl $2, " VMCB_(VMCB_RIP) "\n"
	"\tdecl " CTL_BUDGET "\n"
	"\tjnz 1b\n"
	"2:\n"
	"\tmov $" STR(ND_L1POST) ", %esi\n"
	"\tmov $4, %edi\n"
	"\tcall guest_cpuid_table_sub\n");

/*
 * VMX (Intel). L1 runs in 32-bit protected mode with paging on the same
 * 4 MB identity page (VMXON wants CR0.PG, PE and NE: IA32_VMX_CR0_FIXED0),
 * CR4.VMXE, IA32_FEATURE_CONTROL locked with VMXON outside SMX (set by L1
 * if the MSR is not locked yet), a VMXON region and a VMCS with the
 * revision id of IA32_VMX_BASIC. L2 runs in L1's mode (paging, same CR3:
 * no unrestricted guest needed). The host writes a table of VMCS fields
 * (controls, to be adjusted by their capability MSRs, or plain values,
 * guest code addresses among them); L1 writes them, then what only it
 * knows (CR0, CR3, CR4, GDTR, IDTR, HOST_RSP), and runs L2 with
 * VMLAUNCH, then VMRESUME after each CPUID exit. CPUID exits
 * unconditionally in VMX non-root operation.
 *
 * Unlike VMRUN, a VM exit switches no general register but RSP: right
 * after it, RAX..RSI are L2's values at its CPUID, and L1 answers by
 * loading RAX..RDX before VMRESUME. L1 also loads EDI and EBP with
 * markers before every VMLAUNCH/VMRESUME; L2 never touches them, so
 * after the exit they must still be L1's. A module that answers the
 * query at the vCPU's next entry (L1's) overwrites RAX..RDX at the exit:
 * L1 then sees the module's answer instead of L2's registers (the module
 * of commit 9822e26 did: 0 of 48 rounds correct). L2 itself still gets
 * L1's answer then, as L1 reloads RAX..RDX before VMRESUME.
 */
#define VX_VMXON	ND_HSAVE	/* VMXON region */
#define VX_VMCS		ND_VMCB		/* L2's VMCS */
#define VX_INIT		ND_IOPM		/* struct vmx_field[], field ~0 ends */
#define VX_TRUE		0x109010	/* 0 or 0xc: TRUE_*_CTLS MSRs */
#define VX_STEP		0x109014	/* the VMX instruction L1 is at */
#define VX_FIELD	0x109018	/* the field of the last VMWRITE */
#define VX_FLAGS	0x10901c	/* EFLAGS after a failed one */
#define VX_ERR		0x109020	/* VM-instruction error (0x4400) */
#define VX_HOST_RSP	0x109024	/* the HOST_RSP L1 wrote */
#define VX_VMXON_PTR	0x109028	/* 64-bit operands of VMXON, VMPTRLD */
#define VX_VMCS_PTR	0x109030
#define VX_GDTR		0x109038	/* SGDT/SIDT: 6 bytes each */
#define VX_IDTR		0x109040
#define VX_SCRATCH	0x109060	/* GPRs at the exit, 8 x 4 bytes */
#define VX_MARK_DI	0x5d000000u	/* EDI = record address ^ this */
#define VX_MARK_BP	0x5b000000u	/* EBP = record address ^ this */
#define VMX_EXIT_CPUID	10
#define VMX_EXIT_VMCALL	18
#define VMX_EXIT_VMLAUNCH 20
#define VMX_EXIT_VMRESUME 24

/* Steps of L1 (VX_STEP), for the diagnostics of a failed instruction. */
static const char *const vx_steps[] = {
	"none", "VMXON", "VMCLEAR", "VMPTRLD", "VMWRITE", "VMLAUNCH",
	"VMRESUME", "VMREAD",
};

/* A VMCS field L1 writes: msr != 0: value | allowed-0, & allowed-1. */
struct vmx_field {	/* copied to guest memory, read there by L1 */
	// cppcheck-suppress unusedStructMember
	uint32_t field;
	// cppcheck-suppress unusedStructMember
	uint32_t value;
	// cppcheck-suppress unusedStructMember
	uint32_t msr;	/* IA32_VMX_{PINBASED,PROCBASED,EXIT,ENTRY}_CTLS */
};

/* What L1 saw right after one VM exit. */
struct vmx_exit {
	uint32_t gpr[8];	/* EAX EBX ECX EDX ESI EDI EBP ESP */
	uint32_t reason;	/* VM_EXIT_REASON */
	uint32_t rip;		/* GUEST_RIP */
	uint32_t len;		/* VM_EXIT_INSTRUCTION_LEN */
	uint32_t pad;
};

enum { VX_EAX, VX_EBX, VX_ECX, VX_EDX, VX_ESI, VX_EDI, VX_EBP, VX_ESP };

_Static_assert(sizeof(struct vmx_exit) == 48 &&
	       offsetof(struct vmx_exit, reason) == 32, "L1's VMX stride");
_Static_assert(ND_EXITS + (MAX_ROUNDS + 2) * 48 <= ND_END, "VMX layout");
_Static_assert(VX_SCRATCH + 32 <= ND_L1PRE, "VMX control area");

/* L2 as nested_l2, ending with VMCALL. */
extern const uint8_t nested_vmx_l2[], nested_vmx_l2_cpuid[], nested_vmx_exit[];
asm(".pushsection guest_code, \"a\"\n"
    ".code32\n"
    "nested_vmx_l2:\n"
    "1:\tmov " CTL_L2_PTR ", %esi\n"
    "\tmov 0(%esi), %eax\n"
    "\ttest %eax, %eax\n"
    "\tjz 2f\n"
    "\tmov 4(%esi), %ecx\n"
    "\tmov 8(%esi), %ebx\n"
    "\tmov 12(%esi), %edx\n"
    "nested_vmx_l2_cpuid:\n"
    "\tcpuid\n"
    "\tmov " CTL_L2_PTR ", %esi\n"
    "\tmov %eax, 16(%esi)\n"
    "\tmov %ebx, 20(%esi)\n"
    "\tmov %ecx, 24(%esi)\n"
    "\tmov %edx, 28(%esi)\n"
    "\taddl $32, " CTL_L2_PTR "\n"
    "\tjmp 1b\n"
    "2:\tvmcall\n"
    "\tud2\n"
    ".code64\n"
    ".popsection\n");

/* L1's registers before VMLAUNCH/VMRESUME: markers and its answer. */
#define VX_ENTRY_REGS							\
	"\tmov " CTL_L1_PTR ", %edi\n"					\
	"\tmov %edi, %ebp\n"						\
	"\txor $" STR(VX_MARK_DI) ", %edi\n"				\
	"\txor $" STR(VX_MARK_BP) ", %ebp\n"				\
	"\tmov $" STR(ANS_A) ", %eax\n"					\
	"\tmov $" STR(ANS_B) ", %ebx\n"					\
	"\tmov $" STR(ANS_C) ", %ecx\n"					\
	"\tmov $" STR(ANS_D) ", %edx\n"

/* VMWRITE of EBX to field EDX (a subroutine of L1); fails to vx_fail. */
asm(".pushsection guest_code, \"a\"\n"
    ".code32\n"
    "nested_vmx_w:\n"
    "\tmov %edx, " STR(VX_FIELD) "\n"
    "\tvmwrite %ebx, %edx\n"
    "\tjbe nested_vmx_fail_\n"
    "\tret\n"
    "nested_vmx_fail_:\n"
    "\tjmp nested_vmx_fail\n"
    ".code64\n"
    ".popsection\n");

#define VX_SET_STEP(n)	"\tmovl $" #n ", " STR(VX_STEP) "\n"
#define VX_WRITE(field, src)						\
	"\tmov $" #field ", %edx\n"					\
	"\tmov " src ", %ebx\n"						\
	"\tcall nested_vmx_w\n"

DEFINE_GUEST_FN(nested_vmx_l1,
	"\tmov $" STR(ND_PD) ", %eax\n"
	"\tmov %eax, %cr3\n"
	"\tmov %cr4, %eax\n"
	"\tor $0x10, %eax\n"			/* CR4.PSE */
	"\tmov %eax, %cr4\n"
	/* CR0 |= FIXED0 (PE NE PG), &= FIXED1 */
	"\tmov $0x486, %ecx\n"
	"\trdmsr\n"
	"\tmov %cr0, %ebx\n"
	"\tor %eax, %ebx\n"
	"\tmov $0x487, %ecx\n"
	"\trdmsr\n"
	"\tand %eax, %ebx\n"
	"\tmov %ebx, %cr0\n"
	/* CR4 |= FIXED0 (VMXE), &= FIXED1 */
	"\tmov $0x488, %ecx\n"
	"\trdmsr\n"
	"\tmov %cr4, %ebx\n"
	"\tor %eax, %ebx\n"
	"\tmov $0x489, %ecx\n"
	"\trdmsr\n"
	"\tand %eax, %ebx\n"
	"\tmov %ebx, %cr4\n"
	/* IA32_FEATURE_CONTROL: lock, VMXON outside SMX */
	"\tmov $0x3a, %ecx\n"
	"\trdmsr\n"
	"\ttest $1, %eax\n"
	"\tjnz 1f\n"
	"\tor $5, %eax\n"
	"\twrmsr\n"
	"1:\n"
	/* IA32_VMX_BASIC: revision id; bit 55: the TRUE_*_CTLS MSRs */
	"\tmov $0x480, %ecx\n"
	"\trdmsr\n"
	"\tand $0x7fffffff, %eax\n"
	"\tmov %eax, " STR(VX_VMXON) "\n"
	"\tmov %eax, " STR(VX_VMCS) "\n"
	"\tmovl $0, " STR(VX_TRUE) "\n"
	"\ttest $0x800000, %edx\n"
	"\tjz 1f\n"
	"\tmovl $0xc, " STR(VX_TRUE) "\n"
	"1:\n"
	VX_SET_STEP(1)
	"\tvmxon " STR(VX_VMXON_PTR) "\n"
	"\tjbe nested_vmx_fail\n"
	VX_SET_STEP(2)
	"\tvmclear " STR(VX_VMCS_PTR) "\n"
	"\tjbe nested_vmx_fail\n"
	VX_SET_STEP(3)
	"\tvmptrld " STR(VX_VMCS_PTR) "\n"
	"\tjbe nested_vmx_fail\n"
	VX_SET_STEP(4)
	/* the host's table */
	"\tmov $" STR(VX_INIT) ", %esi\n"
	"2:\n"
	"\tcmpl $-1, 0(%esi)\n"
	"\tje 4f\n"
	"\tmov 4(%esi), %ebx\n"
	"\tmov 8(%esi), %ecx\n"
	"\ttest %ecx, %ecx\n"
	"\tjz 3f\n"
	"\tadd " STR(VX_TRUE) ", %ecx\n"
	"\trdmsr\n"
	"\tor %eax, %ebx\n"
	"\tand %edx, %ebx\n"
	"3:\n"
	"\tmov 0(%esi), %edx\n"
	"\tcall nested_vmx_w\n"
	"\tadd $12, %esi\n"
	"\tjmp 2b\n"
	"4:\n"
	/* what only L1 knows */
	"\tmov %cr0, %eax\n"
	VX_WRITE(0x6c00, "%eax")		/* HOST_CR0 */
	VX_WRITE(0x6800, "%eax")		/* GUEST_CR0 */
	"\tmov %cr3, %eax\n"
	VX_WRITE(0x6c02, "%eax")		/* HOST_CR3 */
	VX_WRITE(0x6802, "%eax")		/* GUEST_CR3 */
	"\tmov %cr4, %eax\n"
	VX_WRITE(0x6c04, "%eax")		/* HOST_CR4 */
	VX_WRITE(0x6804, "%eax")		/* GUEST_CR4 */
	"\tsgdt " STR(VX_GDTR) "\n"
	"\tsidt " STR(VX_IDTR) "\n"
	"\tmovzwl " STR(VX_GDTR) ", %eax\n"
	VX_WRITE(0x4810, "%eax")		/* GUEST_GDTR_LIMIT */
	VX_WRITE(0x6816, STR(VX_GDTR) "+2")	/* GUEST_GDTR_BASE */
	VX_WRITE(0x6c0c, STR(VX_GDTR) "+2")	/* HOST_GDTR_BASE */
	"\tmovzwl " STR(VX_IDTR) ", %eax\n"
	VX_WRITE(0x4812, "%eax")		/* GUEST_IDTR_LIMIT */
	VX_WRITE(0x6818, STR(VX_IDTR) "+2")	/* GUEST_IDTR_BASE */
	VX_WRITE(0x6c0e, STR(VX_IDTR) "+2")	/* HOST_IDTR_BASE */
	"\tmov %esp, " STR(VX_HOST_RSP) "\n"
	VX_WRITE(0x6c14, "%esp")		/* HOST_RSP */
	/* L1's own queries, in VMX root operation */
	"\tmov $" STR(ND_L1PRE) ", %esi\n"
	"\tmov $2, %edi\n"
	"\tcall guest_cpuid_table_sub\n"
	VX_SET_STEP(5)
	VX_ENTRY_REGS
	"\tvmlaunch\n"
	"\tjmp nested_vmx_fail\n"
	/* VM exit: RSP is HOST_RSP, the other GPRs are L2's */
	"nested_vmx_exit:\n"
	"\tmov %eax, " STR(VX_SCRATCH) "+0\n"
	"\tmov %ebx, " STR(VX_SCRATCH) "+4\n"
	"\tmov %ecx, " STR(VX_SCRATCH) "+8\n"
	"\tmov %edx, " STR(VX_SCRATCH) "+12\n"
	"\tmov %esi, " STR(VX_SCRATCH) "+16\n"
	"\tmov %edi, " STR(VX_SCRATCH) "+20\n"
	"\tmov %ebp, " STR(VX_SCRATCH) "+24\n"
	"\tmov %esp, " STR(VX_SCRATCH) "+28\n"
	"\tmov " CTL_L1_PTR ", %edi\n"
	"\tmov $" STR(VX_SCRATCH) ", %esi\n"
	"\tmov $8, %ecx\n"
	"\tcld\n"
	"\trep movsl\n"
	VX_SET_STEP(7)
	"\tmov $0x4402, %edx\n"			/* VM_EXIT_REASON */
	"\tvmread %edx, %eax\n"
	"\tjbe nested_vmx_fail\n"
	"\tmov %eax, 0(%edi)\n"
	"\tmov $0x681e, %edx\n"			/* GUEST_RIP */
	"\tvmread %edx, %eax\n"
	"\tjbe nested_vmx_fail\n"
	"\tmov %eax, 4(%edi)\n"
	"\tmov $0x440c, %edx\n"			/* VM_EXIT_INSTRUCTION_LEN */
	"\tvmread %edx, %eax\n"
	"\tjbe nested_vmx_fail\n"
	"\tmov %eax, 8(%edi)\n"
	"\taddl $48, " CTL_L1_PTR "\n"
	"\tcmpl $" STR(VMX_EXIT_CPUID) ", 0(%edi)\n"
	"\tjne 5f\n"
	/* answer as a hypervisor: skip L2's CPUID, RAX..RDX at VMRESUME */
	VX_SET_STEP(4)
	"\tmov 4(%edi), %ebx\n"
	"\tadd 8(%edi), %ebx\n"
	"\tmov $0x681e, %edx\n"
	"\tcall nested_vmx_w\n"
	"\tdecl " CTL_BUDGET "\n"
	"\tjz 5f\n"
	VX_SET_STEP(6)
	VX_ENTRY_REGS
	"\tvmresume\n"
	"nested_vmx_fail:\n"
	"\tpushf\n"
	"\tpop %eax\n"
	"\tmov %eax, " STR(VX_FLAGS) "\n"
	"\tcmpl $1, " STR(VX_STEP) "\n"		/* no VMREAD without VMXON */
	"\tje 5f\n"
	"\tmov $0x4400, %edx\n"			/* VM_INSTRUCTION_ERROR */
	"\tvmread %edx, %eax\n"
	"\tmov %eax, " STR(VX_ERR) "\n"
	"5:\n"
	"\tmov $" STR(ND_L1POST) ", %esi\n"
	"\tmov $4, %edi\n"
	"\tcall guest_cpuid_table_sub\n");

/*
 * L1's own queries: the protocol leaf, then KVM's answer to compare; the
 * count subleaves are the ISA's CPUID reason (data_setup() sets them).
 */
static const struct cpuid_entry l1_pre[2] = {
	{ EC_LEAF_INFO, EC_INFO_SIGNATURE, { 0 } },
	{ 0x4FFFFFF0u, EC_INFO_SIGNATURE, { 0 } },
};
static const struct cpuid_entry l1_post[4] = {
	{ EC_LEAF_INFO, EC_INFO_SIGNATURE, { 0 } },
	{ EC_LEAF_COUNT, 0, { 0 } },
	{ 0x4FFFFFF0u, EC_INFO_SIGNATURE, { 0 } },
	{ 0x4FFFFFF0u, 0, { 0 } },
};
/* Index in l1_post of the CPUID count query, and the CPUIDs before it. */
#define POST_COUNT	1

static void put32(struct kvm_vm *vm, uint64_t gpa, uint32_t v)
{
	memcpy(vm_gpa(vm, gpa), &v, sizeof(v));
}

static void put64(struct kvm_vm *vm, uint64_t gpa, uint64_t v)
{
	memcpy(vm_gpa(vm, gpa), &v, sizeof(v));
}

/* A VMCB segment: selector, attributes (type, S, DPL, P, AVL, L, DB, G). */
static void vmcb_seg(struct kvm_vm *vm, uint32_t off, uint16_t sel,
		     uint16_t attrib)
{
	uint8_t *p = vm_gpa(vm, ND_VMCB + off);

	memcpy(p, &sel, 2);
	memcpy(p + 2, &attrib, 2);
	memcpy(p + 4, &(uint32_t){ 0xffffffffu }, 4);
	memset(p + 8, 0, 8);
}

/*
 * L2's VMCB as the host lays it out; L1 adds what only it knows (VMSAVE's
 * state, its EFER with SVME, which the VMCB must have).
 */
static void vmcb_setup(struct kvm_vm *vm)
{
	uint16_t code = 0xc9b, data = 0xc93;	/* G DB P S, type 11 / 3 */

	memset(vm_gpa(vm, ND_VMCB), 0, ND_L2Q - ND_VMCB);
	put32(vm, ND_VMCB + 0x00c, 1u << 18 | 1u << 31);	/* CPUID, SHUTDOWN */
	put32(vm, ND_VMCB + 0x010, 1u << 0 | 1u << 1);	/* VMRUN, VMMCALL */
	put64(vm, ND_VMCB + 0x040, ND_IOPM);
	put64(vm, ND_VMCB + 0x048, ND_MSRPM);
	put32(vm, ND_VMCB + 0x058, 1);				/* ASID */
	put64(vm, ND_VMCB + 0x090, 0);				/* no NPT */
	vmcb_seg(vm, 0x400, 0x10, data);			/* ES */
	vmcb_seg(vm, 0x410, 0x08, code);			/* CS */
	vmcb_seg(vm, 0x420, 0x10, data);			/* SS */
	vmcb_seg(vm, 0x430, 0x10, data);			/* DS */
	*(uint8_t *)vm_gpa(vm, ND_VMCB + 0x4cb) = 0;		/* CPL */
	put64(vm, ND_VMCB + 0x548, 0);				/* CR4 */
	put64(vm, ND_VMCB + 0x550, 0);				/* CR3 */
	put64(vm, ND_VMCB + 0x558, 0x11);			/* CR0: PE ET */
	put64(vm, ND_VMCB + 0x560, 0x400);			/* DR7 */
	put64(vm, ND_VMCB + 0x568, 0xffff0ff0);			/* DR6 */
	put64(vm, ND_VMCB + 0x570, 0x2);			/* RFLAGS */
	put64(vm, ND_VMCB + VMCB_RIP, guest_gpa(nested_l2));
	put64(vm, ND_VMCB + 0x5d8, ND_L2_STACK);		/* RSP */
	put64(vm, ND_VMCB + 0x668, 0x0007040600070406ull);	/* G_PAT */
	put32(vm, ND_PD, 0x83);				/* 0-4 MB: P RW PS */
}

/* Round i's query: 0x4FFFFFFC/0 and 0x4FFFFFFE/CPUID by turns. */
static struct l2_query l2_query_of(unsigned int i, uint32_t cpuid_nr)
{
	struct l2_query q = {
		.leaf = i % 2 ? EC_LEAF_COUNT : EC_LEAF_INFO,
		.subleaf = i % 2 ? cpuid_nr : EC_INFO_SIGNATURE,
		.ebx = 0xb0b00000u + i,
		.edx = 0xd0d00000u + i,
	};

	return q;
}

static void data_setup(struct kvm_vm *vm, unsigned int rounds,
		       uint32_t cpuid_nr)
{
	struct cpuid_entry post[4];
	struct nested_ctl ctl = {
		.l2_ptr = ND_L2Q,
		.l1_ptr = ND_EXITS,
		.budget = rounds + 1,	/* one more: a runaway L2 shows */
	};
	struct l2_query *q = vm_gpa(vm, ND_L2Q);
	unsigned int i;

	memset(q, 0, ND_END - ND_L2Q);
	for (i = 0; i < rounds; i++)
		q[i] = l2_query_of(i, cpuid_nr);
	memcpy(post, l1_post, sizeof(post));
	post[1].subleaf = post[3].subleaf = cpuid_nr;
	memcpy(vm_gpa(vm, ND_CTL), &ctl, sizeof(ctl));
	memcpy(vm_gpa(vm, ND_L1PRE), l1_pre, sizeof(l1_pre));
	memcpy(vm_gpa(vm, ND_L1POST), post, sizeof(post));
}

/* KVM offers SVM to guests (CPUID 0x80000001 ECX bit 2): nested=1. */
static bool kvm_offers_svm(struct kvm_vm *vm)
{
	struct kvm_cpuid2 *c;
	bool svm = false;
	int nent = 256;
	unsigned int i;

	c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
	TEST_ASSERT(c, "calloc");
	c->nent = nent;
	TEST_ASSERT(ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0,
		    "KVM_GET_SUPPORTED_CPUID");
	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == 0x80000001u)
			svm = c->entries[i].ecx >> 2 & 1;
	free(c);
	return svm;
}

static void diag_exit(unsigned int i, const struct l1_exit *e,
		      const struct l2_query *q)
{
	tap_diag("round %u: exit 0x%llx at 0x%x; L1 eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x; VMCB rax=0x%llx",
		 i, (unsigned long long)e->exit_code, e->l2_rip, e->rax, e->rbx,
		 e->rcx, e->rdx, (unsigned long long)e->l2_rax);
	tap_diag("round %u: L2 asked 0x%08x/0x%x with ebx=0x%08x edx=0x%08x, got 0x%08x 0x%08x 0x%08x 0x%08x",
		 i, q->leaf, q->subleaf, q->ebx, q->edx, q->out[EC_EAX],
		 q->out[EC_EBX], q->out[EC_ECX], q->out[EC_EDX]);
}

/* The L2 rounds: every exit and every answer, as the guests recorded. */
static void check_rounds(struct kvm_vm *vm, unsigned int rounds)
{
	const struct nested_ctl *ctl = vm_gpa(vm, ND_CTL);
	const struct l1_exit *e = vm_gpa(vm, ND_EXITS);
	const struct l2_query *q = vm_gpa(vm, ND_L2Q);
	uint32_t cpuid_rip = (uint32_t)guest_gpa(nested_l2_cpuid);
	unsigned int i, n_exits, n_code = 0, n_rax = 0, n_regs = 0;
	unsigned int n_vmcb = 0, n_l2 = 0, n_all = 0, shown = 0;

	n_exits = (ctl->l1_ptr - ND_EXITS) / sizeof(*e);
	CHECK_EQ(n_exits, rounds + 1,
		 "L1 took %u #VMEXITs from L2 (%u CPUIDs, then VMMCALL)",
		 n_exits, rounds);
	if (n_exits > 0)
		CHECK_EQ(e[n_exits - 1].exit_code, SVM_EXIT_VMMCALL,
			 "L2's last #VMEXIT is its VMMCALL (0x81)");
	CHECK(ctl->l2_ptr == ND_L2Q + rounds * sizeof(*q) && ctl->budget == 1,
	      "L2 stored its %u answers, L1 resumed it after each CPUID (L2 at 0x%x, budget %u)",
	      rounds, ctl->l2_ptr, ctl->budget);
	for (i = 0; i < rounds && i < n_exits; i++) {
		bool code = e[i].exit_code == SVM_EXIT_CPUID &&
			    e[i].l2_rip == cpuid_rip;
		bool rax = e[i].rax == ND_VMCB;
		bool regs = e[i].rbx == q[i].ebx && e[i].rcx == q[i].subleaf &&
			    e[i].rdx == q[i].edx;
		bool vmcb = e[i].l2_rax == q[i].leaf;
		bool l2 = q[i].out[EC_EAX] == ANS_A && q[i].out[EC_EBX] == ANS_B &&
			  q[i].out[EC_ECX] == ANS_C && q[i].out[EC_EDX] == ANS_D;

		n_code += code;
		n_rax += rax;
		n_regs += regs;
		n_vmcb += vmcb;
		n_l2 += l2;
		n_all += code && rax && regs && vmcb && l2;
		if (!(code && rax && regs && vmcb && l2) && shown++ < 3)
			diag_exit(i, &e[i], &q[i]);
	}
	CHECK_EQ(n_code, rounds,
		 "L2's query exits to L1 as CPUID (0x72) at L2's CPUID: %u of %u",
		 n_code, rounds);
	CHECK_EQ(n_rax, rounds,
		 "L1's RAX after #VMEXIT is the VMCB address it gave VMRUN: %u of %u",
		 n_rax, rounds);
	CHECK_EQ(n_regs, rounds,
		 "L1's RBX..RDX after #VMEXIT are L2's at its CPUID: %u of %u",
		 n_regs, rounds);
	CHECK_EQ(n_vmcb, rounds,
		 "the VMCB's RAX is the leaf L2 queried: %u of %u", n_vmcb,
		 rounds);
	CHECK_EQ(n_l2, rounds,
		 "L2 got L1's answer, not the module's: %u of %u", n_l2,
		 rounds);
	CHECK_EQ(n_all, rounds, "nested query rounds entirely correct: %u of %u",
		 n_all, rounds);
}

/* ------------------------------------------------------------ VMX */

#define VXF(f, v)	{ (f), (v), 0 }
#define VXC(f, msr)	{ (f), 0, (msr) }

/*
 * The VMCS fields the host knows: controls (the minimum the capability
 * MSRs allow: CPUID and VMCALL exit unconditionally; every exception
 * exits, so a fault in L2 shows as an exit instead of a triple fault),
 * host selectors (TR must not be 0: KVM loads it from the VMCS at an
 * exit, never from the GDT), L2's flat segments (TR a busy 32-bit TSS,
 * LDTR unusable), RIP, RSP, RFLAGS, DR7, no VMCS link.
 */
static void vmx_setup(struct kvm_vm *vm)
{
	const uint32_t code = 0xc09b, data = 0xc093;	/* G DB P S, type 11 / 3 */
	const struct vmx_field init[] = {
		VXC(0x4000, 0x481),		/* pin-based controls */
		VXC(0x4002, 0x482),		/* processor-based controls */
		VXC(0x400c, 0x483),		/* exit controls: 32-bit host */
		VXC(0x4012, 0x484),		/* entry controls: 32-bit guest */
		VXF(0x4004, 0xffffffff),	/* exception bitmap */
		VXF(0x4006, 0), VXF(0x4008, 0),	/* #PF error code mask, match */
		VXF(0x400a, 0),			/* CR3-target count */
		VXF(0x400e, 0), VXF(0x4010, 0), VXF(0x4014, 0), /* MSR lists */
		VXF(0x4016, 0),			/* entry interruption info */
		VXF(0x2800, 0xffffffff), VXF(0x2801, 0xffffffff), /* link */
		VXF(0x6000, 0), VXF(0x6002, 0),	/* CR0/CR4 guest/host masks */
		VXF(0x6004, 0), VXF(0x6006, 0),	/* read shadows */
		/* host state */
		VXF(0x0c00, 0x10), VXF(0x0c02, 0x08), VXF(0x0c04, 0x10),
		VXF(0x0c06, 0x10), VXF(0x0c08, 0x10), VXF(0x0c0a, 0x10),
		VXF(0x0c0c, 0x18),		/* TR */
		VXF(0x6c06, 0), VXF(0x6c08, 0), VXF(0x6c0a, 0), /* FS GS TR base */
		VXF(0x4c00, 0), VXF(0x6c10, 0), VXF(0x6c12, 0), /* SYSENTER */
		VXF(0x6c16, (uint32_t)guest_gpa(nested_vmx_exit)), /* RIP */
		/* guest state: ES CS SS DS FS GS LDTR TR */
		VXF(0x0800, 0x10), VXF(0x0802, 0x08), VXF(0x0804, 0x10),
		VXF(0x0806, 0x10), VXF(0x0808, 0x10), VXF(0x080a, 0x10),
		VXF(0x080c, 0), VXF(0x080e, 0x18),
		VXF(0x4800, 0xffffffff), VXF(0x4802, 0xffffffff),
		VXF(0x4804, 0xffffffff), VXF(0x4806, 0xffffffff),
		VXF(0x4808, 0xffffffff), VXF(0x480a, 0xffffffff),
		VXF(0x480c, 0), VXF(0x480e, 0x67),
		VXF(0x4814, data), VXF(0x4816, code), VXF(0x4818, data),
		VXF(0x481a, data), VXF(0x481c, data), VXF(0x481e, data),
		VXF(0x4820, 0x10000),		/* LDTR unusable */
		VXF(0x4822, 0x8b),		/* TR: busy 32-bit TSS */
		VXF(0x6806, 0), VXF(0x6808, 0), VXF(0x680a, 0),
		VXF(0x680c, 0), VXF(0x680e, 0), VXF(0x6810, 0),
		VXF(0x6812, 0), VXF(0x6814, 0),
		VXF(0x681a, 0x400),		/* DR7 */
		VXF(0x2802, 0), VXF(0x2803, 0),	/* IA32_DEBUGCTL */
		VXF(0x681c, ND_L2_STACK),	/* RSP */
		VXF(0x681e, (uint32_t)guest_gpa(nested_vmx_l2)), /* RIP */
		VXF(0x6820, 0x2),		/* RFLAGS */
		VXF(0x6822, 0),			/* pending debug exceptions */
		VXF(0x482a, 0), VXF(0x6824, 0), VXF(0x6826, 0), /* SYSENTER */
		VXF(0x4824, 0),			/* interruptibility */
		VXF(0x4826, 0),			/* activity: active */
		{ 0xffffffff, 0, 0 },
	};

	_Static_assert(sizeof(init) <= ND_MSRPM - ND_IOPM, "VMX field table");
	memset(vm_gpa(vm, ND_VMCB), 0, ND_L2Q - ND_VMCB);
	memcpy(vm_gpa(vm, VX_INIT), init, sizeof(init));
	put64(vm, VX_VMXON_PTR, VX_VMXON);
	put64(vm, VX_VMCS_PTR, VX_VMCS);
	put32(vm, ND_PD, 0x83);				/* 0-4 MB: P RW PS */
}

/* KVM offers VMX to guests (CPUID 1 ECX bit 5): nested=1. */
static bool kvm_offers_vmx(struct kvm_vm *vm)
{
	struct kvm_cpuid2 *c;
	bool vmx = false;
	int nent = 256;
	unsigned int i;

	c = calloc(1, sizeof(*c) + nent * sizeof(c->entries[0]));
	TEST_ASSERT(c, "calloc");
	c->nent = nent;
	TEST_ASSERT(ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, c) == 0,
		    "KVM_GET_SUPPORTED_CPUID");
	for (i = 0; i < c->nent; i++)
		if (c->entries[i].function == 1)
			vmx = c->entries[i].ecx >> 5 & 1;
	free(c);
	return vmx;
}

static uint32_t get32(struct kvm_vm *vm, uint64_t gpa)
{
	uint32_t v;

	memcpy(&v, vm_gpa(vm, gpa), sizeof(v));
	return v;
}

static void diag_vmx_exit(unsigned int i, const struct vmx_exit *e,
			  const struct l2_query *q)
{
	tap_diag("round %u: exit reason 0x%x at 0x%x (length %u); L1 eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x esi=0x%08x edi=0x%08x ebp=0x%08x esp=0x%08x",
		 i, e->reason, e->rip, e->len, e->gpr[VX_EAX], e->gpr[VX_EBX],
		 e->gpr[VX_ECX], e->gpr[VX_EDX], e->gpr[VX_ESI],
		 e->gpr[VX_EDI], e->gpr[VX_EBP], e->gpr[VX_ESP]);
	tap_diag("round %u: L2 asked 0x%08x/0x%x with ebx=0x%08x edx=0x%08x, got 0x%08x 0x%08x 0x%08x 0x%08x",
		 i, q->leaf, q->subleaf, q->ebx, q->edx, q->out[EC_EAX],
		 q->out[EC_EBX], q->out[EC_ECX], q->out[EC_EDX]);
}

/* The VMX rounds: every exit and every answer, as the guests recorded. */
static void check_rounds_vmx(struct kvm_vm *vm, unsigned int rounds)
{
	const struct nested_ctl *ctl = vm_gpa(vm, ND_CTL);
	const struct vmx_exit *e = vm_gpa(vm, ND_EXITS);
	const struct l2_query *q = vm_gpa(vm, ND_L2Q);
	uint32_t cpuid_rip = (uint32_t)guest_gpa(nested_vmx_l2_cpuid);
	uint32_t host_rsp = get32(vm, VX_HOST_RSP);
	uint32_t step = get32(vm, VX_STEP);
	unsigned int i, n_exits, n_code = 0, n_l1 = 0, n_regs = 0;
	unsigned int n_l2 = 0, n_all = 0, shown = 0;

	if (get32(vm, VX_FLAGS) != 0)
		tap_diag("L1's %s failed: EFLAGS 0x%x, VM-instruction error %u, last field 0x%x",
			 step < sizeof(vx_steps) / sizeof(vx_steps[0]) ?
			 vx_steps[step] : "?", get32(vm, VX_FLAGS),
			 get32(vm, VX_ERR), get32(vm, VX_FIELD));
	CHECK_EQ(get32(vm, VX_FLAGS), 0,
		 "L1's VMXON, VMCLEAR, VMPTRLD, VMWRITEs, VMLAUNCH, VMRESUMEs and VMREADs succeeded");
	n_exits = (ctl->l1_ptr - ND_EXITS) / sizeof(*e);
	CHECK_EQ(n_exits, rounds + 1,
		 "L1 took %u VM exits from L2 (%u CPUIDs, then VMCALL)",
		 n_exits, rounds);
	if (n_exits > 0) {
		CHECK_EQ(e[n_exits - 1].reason, VMX_EXIT_VMCALL,
			 "L2's last VM exit is its VMCALL (18)");
		if (e[n_exits - 1].reason != VMX_EXIT_VMCALL)
			diag_vmx_exit(n_exits - 1, &e[n_exits - 1],
				      &q[n_exits - 1]);
	}
	CHECK(ctl->l2_ptr == ND_L2Q + rounds * sizeof(*q) && ctl->budget == 1,
	      "L2 stored its %u answers, L1 resumed it after each CPUID (L2 at 0x%x, budget %u)",
	      rounds, ctl->l2_ptr, ctl->budget);
	for (i = 0; i < rounds && i < n_exits; i++) {
		uint32_t rec = ND_EXITS + i * sizeof(*e);
		const uint32_t *g = e[i].gpr;
		bool code = e[i].reason == VMX_EXIT_CPUID &&
			    e[i].rip == cpuid_rip && e[i].len == 2;
		bool l1 = g[VX_EDI] == (rec ^ VX_MARK_DI) &&
			  g[VX_EBP] == (rec ^ VX_MARK_BP) &&
			  g[VX_ESP] == host_rsp;
		bool regs = g[VX_EAX] == q[i].leaf && g[VX_EBX] == q[i].ebx &&
			    g[VX_ECX] == q[i].subleaf && g[VX_EDX] == q[i].edx &&
			    g[VX_ESI] == ND_L2Q + i * sizeof(*q);
		bool l2 = q[i].out[EC_EAX] == ANS_A && q[i].out[EC_EBX] == ANS_B &&
			  q[i].out[EC_ECX] == ANS_C && q[i].out[EC_EDX] == ANS_D;

		n_code += code;
		n_l1 += l1;
		n_regs += regs;
		n_l2 += l2;
		n_all += code && l1 && regs && l2;
		if (!(code && l1 && regs && l2) && shown++ < 3)
			diag_vmx_exit(i, &e[i], &q[i]);
	}
	CHECK_EQ(n_code, rounds,
		 "L2's query exits to L1 as CPUID (10) at L2's CPUID, length 2: %u of %u",
		 n_code, rounds);
	CHECK_EQ(n_l1, rounds,
		 "L1's EDI, EBP after the VM exit are its own before VMLAUNCH/VMRESUME, ESP its HOST_RSP: %u of %u",
		 n_l1, rounds);
	CHECK_EQ(n_regs, rounds,
		 "L1's RAX..RSI after the VM exit are L2's at its CPUID: %u of %u",
		 n_regs, rounds);
	CHECK_EQ(n_l2, rounds,
		 "L2 got L1's answer, not the module's: %u of %u", n_l2,
		 rounds);
	CHECK_EQ(n_all, rounds, "nested query rounds entirely correct: %u of %u",
		 n_all, rounds);
}

static bool has_signature(const uint32_t r[EC_NR_REGS])
{
	return r[EC_EBX] == EC_SIGNATURE_EBX && r[EC_ECX] == EC_SIGNATURE_ECX &&
	       r[EC_EDX] == EC_SIGNATURE_EDX;
}

static void diag_regs(const char *what, const uint32_t r[EC_NR_REGS])
{
	tap_diag("%s: eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x", what,
		 r[EC_EAX], r[EC_EBX], r[EC_ECX], r[EC_EDX]);
}

/* L1's own query (@q) and KVM's answer for the same subleaf (@ref). */
static void check_l1_query(const char *when, const struct cpuid_entry *q,
			   const struct cpuid_entry *ref, bool loaded)
{
	bool ok;

	if (loaded) {
		ok = has_signature(q->out) && q->out[EC_EAX] == EC_ABI_VERSION;
		CHECK(ok, "L1's own 0x%08X/%u %s: signature \"exitcountKVM\", ABI %u",
		      q->leaf, q->subleaf, when, EC_ABI_VERSION);
	} else {
		ok = !memcmp(q->out, ref->out, sizeof(q->out)) &&
		     !has_signature(q->out);
		CHECK(ok, "L1's own 0x%08X/%u %s: KVM's answer (as 0x%08X/%u), no signature",
		      q->leaf, q->subleaf, when, ref->leaf, ref->subleaf);
	}
	if (!ok) {
		diag_regs("got", q->out);
		diag_regs("KVM's", ref->out);
	}
}

static void check_l1_queries(struct kvm_vm *vm, unsigned int rounds,
			     bool loaded)
{
	const struct cpuid_entry *pre = vm_gpa(vm, ND_L1PRE);
	const struct cpuid_entry *post = vm_gpa(vm, ND_L1POST);
	const struct cpuid_entry *count = &post[POST_COUNT];
	/* every CPUID of the VM up to the count query, L2's included */
	uint32_t cpuids = 2 + rounds + POST_COUNT + 1;

	check_l1_query("before running L2", &pre[0], &pre[1], loaded);
	check_l1_query("after running L2", &post[0], &post[2], loaded);
	if (loaded) {
		CHECK_EQ(count->out[EC_EAX], cpuids,
			 "L1's 0x%08X/0x%x: the VM's CPUID exits, L2's %u included",
			 count->leaf, count->subleaf, rounds);
	} else {
		bool ok = !memcmp(count->out, post[3].out, sizeof(count->out));

		CHECK(ok, "L1's 0x%08X/0x%x: KVM's answer (as 0x%08X/0x%x)",
		      count->leaf, count->subleaf, post[3].leaf, post[3].subleaf);
		if (!ok) {
			diag_regs("got", count->out);
			diag_regs("KVM's", post[3].out);
		}
	}
}

/* Exits of reason @nr in a host view set (0 when not listed). */
static uint64_t hv_exits(const struct hv_set *s, uint32_t nr)
{
	int i;

	for (i = 0; i < s->nr_reasons; i++)
		if (s->reasons[i].nr == nr &&
		    strcmp(s->reasons[i].name, "other") != 0)
			return s->reasons[i].exits;
	return 0;
}

/*
 * The host view counts L2's exits as the VM's: they are L0's exits. SVM:
 * VMRUN 0x80; VMX: VMLAUNCH 20 once, VMRESUME 24 after each CPUID.
 */
static void check_hostview(unsigned int rounds, bool vmx)
{
	static struct hostview hv;
	struct hv_vm *vm;
	int err, n;

	err = hostview_read(&hv);
	CHECK_EQ(err, 0, "read %s", HOSTVIEW_DEV);
	if (err)
		return;
	vm = hostview_vm_of_pid(&hv, getpid(), &n);
	CHECK_EQ(n, 1, "host view: one VM of this process");
	if (!vm)
		return;
	if (vmx) {
		CHECK_EQ(hv_exits(&vm->s, VMX_EXIT_CPUID), 2 + rounds + 4,
			 "host view: CPUID exits = L1's 6 + L2's %u", rounds);
		CHECK_EQ(hv_exits(&vm->s, VMX_EXIT_VMLAUNCH), 1,
			 "host view: VMLAUNCH exits = L1's one");
		CHECK_EQ(hv_exits(&vm->s, VMX_EXIT_VMRESUME), rounds,
			 "host view: VMRESUME exits = L1's %u", rounds);
		CHECK_EQ(hv_exits(&vm->s, VMX_EXIT_VMCALL), 1,
			 "host view: VMCALL exits = L2's one");
		return;
	}
	CHECK_EQ(hv_exits(&vm->s, SVM_EXIT_CPUID), 2 + rounds + 4,
		 "host view: CPUID exits = L1's 6 + L2's %u", rounds);
	CHECK_EQ(hv_exits(&vm->s, 0x80), rounds + 1,
		 "host view: VMRUN exits = L1's %u VMRUNs", rounds + 1);
	CHECK_EQ(hv_exits(&vm->s, SVM_EXIT_VMMCALL), 1,
		 "host view: VMMCALL exits = L2's one");
}

static void run_nested(unsigned int rounds, bool loaded)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_regs regs;

	if (!kvm_offers_svm(vm)) {
		CHECK(true, "nested SVM # SKIP KVM offers no SVM to guests (kvm_amd nested=0)");
		vm_destroy(vm);
		return;
	}
	vmcb_setup(vm);
	data_setup(vm, rounds, SVM_EXIT_CPUID);
	memset(&regs, 0, sizeof(regs));
	vcpu_call(vm->vcpu, GUEST_FN(nested_l1), &regs);
	check_rounds(vm, rounds);
	check_l1_queries(vm, rounds, loaded);
	if (loaded)
		check_hostview(rounds, false);
	vm_destroy(vm);
}

static void run_nested_vmx(unsigned int rounds, bool loaded)
{
	struct kvm_vm *vm = vm_create();
	struct kvm_regs regs;

	if (!kvm_offers_vmx(vm)) {
		CHECK(true, "nested VMX # SKIP KVM offers no VMX to guests (kvm_intel nested=0)");
		vm_destroy(vm);
		return;
	}
	vmx_setup(vm);
	data_setup(vm, rounds, VMX_EXIT_CPUID);
	memset(&regs, 0, sizeof(regs));
	vcpu_call(vm->vcpu, GUEST_FN(nested_vmx_l1), &regs);
	check_rounds_vmx(vm, rounds);
	check_l1_queries(vm, rounds, loaded);
	if (loaded)
		check_hostview(rounds, true);
	vm_destroy(vm);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "expect", required_argument, NULL, 'e' },
		{ "rounds", required_argument, NULL, 'r' },
		{ 0 }
	};
	const char *expect = "vm";
	static char tag[64];
	unsigned int rounds = 48;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'e': expect = optarg; break;
		case 'r': rounds = (unsigned int)strtoul(optarg, NULL, 0); break;
		default:
			fprintf(stderr, "usage: %s [--expect=vm|absent] [--rounds=N]\n",
				argv[0]);
			return 2;
		}
	}
	snprintf(tag, sizeof(tag), "kvm_nested[%s]", expect);
	tap_init(tag);
	errno = EINVAL;
	TEST_ASSERT(!strcmp(expect, "vm") || !strcmp(expect, "absent"),
		    "--expect=%s", expect);
	TEST_ASSERT(rounds >= 1 && rounds <= MAX_ROUNDS, "--rounds=%u (1..%d)",
		    rounds, MAX_ROUNDS);
	if (host_cpu_isa() == EC_ISA_SVM)
		run_nested(rounds, strcmp(expect, "absent") != 0);
	else if (host_cpu_isa() == EC_ISA_VMX)
		run_nested_vmx(rounds, strcmp(expect, "absent") != 0);
	else
		CHECK(true, "nested query rounds # SKIP host CPU neither AMD nor Intel");
	return tap_finish();
}
