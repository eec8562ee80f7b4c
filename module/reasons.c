// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The exit reason tables. Names follow Linux's EXIT_REASON_* / SVM_EXIT_*
 * macros without their prefix; reasons Linux does not name take the
 * manual's mnemonic in the same style. Built into the module and, as is,
 * into the guest CLI and the unit tests.
 */
#include <exitcount/reasons.h>

#define EC_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Intel SDM Vol. 3, Appendix C: basic exit reasons 0-85. */
#define VMX_MAX_NR 85u

static const char *const vmx_names[VMX_MAX_NR + 2] = {
	[0] = "EXCEPTION_NMI",		[1] = "EXTERNAL_INTERRUPT",
	[2] = "TRIPLE_FAULT",		[3] = "INIT_SIGNAL",
	[4] = "SIPI_SIGNAL",		[5] = "IO_SMI",
	[6] = "OTHER_SMI",		[7] = "INTERRUPT_WINDOW",
	[8] = "NMI_WINDOW",		[9] = "TASK_SWITCH",
	[10] = "CPUID",			[11] = "GETSEC",
	[12] = "HLT",			[13] = "INVD",
	[14] = "INVLPG",		[15] = "RDPMC",
	[16] = "RDTSC",			[17] = "RSM",
	[18] = "VMCALL",		[19] = "VMCLEAR",
	[20] = "VMLAUNCH",		[21] = "VMPTRLD",
	[22] = "VMPTRST",		[23] = "VMREAD",
	[24] = "VMRESUME",		[25] = "VMWRITE",
	[26] = "VMOFF",			[27] = "VMON",
	[28] = "CR_ACCESS",		[29] = "DR_ACCESS",
	[30] = "IO_INSTRUCTION",	[31] = "MSR_READ",
	[32] = "MSR_WRITE",		[33] = "INVALID_STATE",
	[34] = "MSR_LOAD_FAIL",		[36] = "MWAIT_INSTRUCTION",
	[37] = "MONITOR_TRAP_FLAG",	[39] = "MONITOR_INSTRUCTION",
	[40] = "PAUSE_INSTRUCTION",	[41] = "MCE_DURING_VMENTRY",
	[43] = "TPR_BELOW_THRESHOLD",	[44] = "APIC_ACCESS",
	[45] = "EOI_INDUCED",		[46] = "GDTR_IDTR",
	[47] = "LDTR_TR",		[48] = "EPT_VIOLATION",
	[49] = "EPT_MISCONFIG",		[50] = "INVEPT",
	[51] = "RDTSCP",		[52] = "PREEMPTION_TIMER",
	[53] = "INVVPID",		[54] = "WBINVD",
	[55] = "XSETBV",		[56] = "APIC_WRITE",
	[57] = "RDRAND",		[58] = "INVPCID",
	[59] = "VMFUNC",		[60] = "ENCLS",
	[61] = "RDSEED",		[62] = "PML_FULL",
	[63] = "XSAVES",		[64] = "XRSTORS",
	[65] = "PCONFIG",		[66] = "SPP",
	[67] = "UMWAIT",		[68] = "TPAUSE",
	[69] = "LOADIWKEY",		[70] = "ENCLV",
	[72] = "ENQCMD",		[73] = "ENQCMDS",
	[74] = "BUS_LOCK",		[75] = "NOTIFY",
	[76] = "SEAMCALL",		[77] = "TDCALL",
	[78] = "RDMSRLIST",		[79] = "WRMSRLIST",
	[80] = "URDMSR",		[81] = "UWRMSR",
	[84] = "MSR_READ_IMM",		[85] = "MSR_WRITE_IMM",
};

static const struct ec_range vmx_ranges[] = {
	{ 0, VMX_MAX_NR, 0 },
};

const struct ec_isa_table ec_vmx_table = {
	.isa = EC_ISA_VMX,
	.isa_name = "VMX",
	.prefix = "EXIT_REASON_",
	.max_nr = VMX_MAX_NR,
	.cpuid_nr = 10,
	.nr_ranges = EC_ARRAY_SIZE(vmx_ranges),
	.ranges = vmx_ranges,
	.nr_slots = EC_ARRAY_SIZE(vmx_names),
	.names = vmx_names,
};

/*
 * AMD APM Vol. 2, Appendix C: every code from 0x000 to 0x0a6 is defined,
 * then nothing until the nested-paging and AVIC/SEV-ES codes 0x400-0x403.
 */
#define SVM_LOW_LAST	0x0a6u
#define SVM_HIGH_FIRST	0x400u
#define SVM_HIGH_LAST	0x403u
#define SVM_HIGH_SLOT	(SVM_LOW_LAST + 1)
#define SVM_NR_SLOTS	(SVM_HIGH_SLOT + SVM_HIGH_LAST - SVM_HIGH_FIRST + 2)

#define X16(base, pre, post)						\
	[(base) + 0x0] = pre "0" post,	[(base) + 0x1] = pre "1" post,	\
	[(base) + 0x2] = pre "2" post,	[(base) + 0x3] = pre "3" post,	\
	[(base) + 0x4] = pre "4" post,	[(base) + 0x5] = pre "5" post,	\
	[(base) + 0x6] = pre "6" post,	[(base) + 0x7] = pre "7" post,	\
	[(base) + 0x8] = pre "8" post,	[(base) + 0x9] = pre "9" post,	\
	[(base) + 0xa] = pre "10" post,	[(base) + 0xb] = pre "11" post,	\
	[(base) + 0xc] = pre "12" post,	[(base) + 0xd] = pre "13" post,	\
	[(base) + 0xe] = pre "14" post,	[(base) + 0xf] = pre "15" post

static const char *const svm_names[SVM_NR_SLOTS] = {
	X16(0x00, "READ_CR", ""),
	X16(0x10, "WRITE_CR", ""),
	X16(0x20, "READ_DR", ""),
	X16(0x30, "WRITE_DR", ""),
	/* 0x40-0x5f: intercepted exception vectors 0-31 */
	[0x40] = "EXCP_DE",	[0x41] = "EXCP_DB",	[0x42] = "EXCP_NMI",
	[0x43] = "EXCP_BP",	[0x44] = "EXCP_OF",	[0x45] = "EXCP_BR",
	[0x46] = "EXCP_UD",	[0x47] = "EXCP_NM",	[0x48] = "EXCP_DF",
	[0x49] = "EXCP_09",	[0x4a] = "EXCP_TS",	[0x4b] = "EXCP_NP",
	[0x4c] = "EXCP_SS",	[0x4d] = "EXCP_GP",	[0x4e] = "EXCP_PF",
	[0x4f] = "EXCP_15",	[0x50] = "EXCP_MF",	[0x51] = "EXCP_AC",
	[0x52] = "EXCP_MC",	[0x53] = "EXCP_XF",	[0x54] = "EXCP_VE",
	[0x55] = "EXCP_CP",	[0x56] = "EXCP_22",	[0x57] = "EXCP_23",
	[0x58] = "EXCP_24",	[0x59] = "EXCP_25",	[0x5a] = "EXCP_26",
	[0x5b] = "EXCP_27",	[0x5c] = "EXCP_HV",	[0x5d] = "EXCP_VC",
	[0x5e] = "EXCP_SX",	[0x5f] = "EXCP_31",
	[0x60] = "INTR",		[0x61] = "NMI",
	[0x62] = "SMI",			[0x63] = "INIT",
	[0x64] = "VINTR",		[0x65] = "CR0_SEL_WRITE",
	[0x66] = "IDTR_READ",		[0x67] = "GDTR_READ",
	[0x68] = "LDTR_READ",		[0x69] = "TR_READ",
	[0x6a] = "IDTR_WRITE",		[0x6b] = "GDTR_WRITE",
	[0x6c] = "LDTR_WRITE",		[0x6d] = "TR_WRITE",
	[0x6e] = "RDTSC",		[0x6f] = "RDPMC",
	[0x70] = "PUSHF",		[0x71] = "POPF",
	[0x72] = "CPUID",		[0x73] = "RSM",
	[0x74] = "IRET",		[0x75] = "SWINT",
	[0x76] = "INVD",		[0x77] = "PAUSE",
	[0x78] = "HLT",			[0x79] = "INVLPG",
	[0x7a] = "INVLPGA",		[0x7b] = "IOIO",
	[0x7c] = "MSR",			[0x7d] = "TASK_SWITCH",
	[0x7e] = "FERR_FREEZE",		[0x7f] = "SHUTDOWN",
	[0x80] = "VMRUN",		[0x81] = "VMMCALL",
	[0x82] = "VMLOAD",		[0x83] = "VMSAVE",
	[0x84] = "STGI",		[0x85] = "CLGI",
	[0x86] = "SKINIT",		[0x87] = "RDTSCP",
	[0x88] = "ICEBP",		[0x89] = "WBINVD",
	[0x8a] = "MONITOR",		[0x8b] = "MWAIT",
	[0x8c] = "MWAIT_COND",		[0x8d] = "XSETBV",
	[0x8e] = "RDPRU",		[0x8f] = "EFER_WRITE_TRAP",
	X16(0x90, "CR", "_WRITE_TRAP"),
	[0xa0] = "INVLPGB",		[0xa1] = "INVLPGB_ILLEGAL",
	[0xa2] = "INVPCID",		[0xa3] = "MCOMMIT",
	[0xa4] = "TLBSYNC",		[0xa5] = "BUS_LOCK",
	[0xa6] = "IDLE_HLT",
	[SVM_HIGH_SLOT + 0] = "NPF",
	[SVM_HIGH_SLOT + 1] = "AVIC_INCOMPLETE_IPI",
	[SVM_HIGH_SLOT + 2] = "AVIC_UNACCELERATED_ACCESS",
	[SVM_HIGH_SLOT + 3] = "VMGEXIT",
};

static const struct ec_range svm_ranges[] = {
	{ 0, SVM_LOW_LAST, 0 },
	{ SVM_HIGH_FIRST, SVM_HIGH_LAST, SVM_HIGH_SLOT },
};

const struct ec_isa_table ec_svm_table = {
	.isa = EC_ISA_SVM,
	.isa_name = "SVM",
	.prefix = "SVM_EXIT_",
	.max_nr = SVM_HIGH_LAST,
	.cpuid_nr = 0x072,
	.nr_ranges = EC_ARRAY_SIZE(svm_ranges),
	.ranges = svm_ranges,
	.nr_slots = SVM_NR_SLOTS,
	.names = svm_names,
};

const struct ec_isa_table *ec_table_for_isa(uint32_t isa)
{
	if (isa == EC_ISA_VMX)
		return &ec_vmx_table;
	if (isa == EC_ISA_SVM)
		return &ec_svm_table;
	return NULL;
}

unsigned int ec_slot(const struct ec_isa_table *t, uint32_t nr)
{
	unsigned int i;

	for (i = 0; i < t->nr_ranges; i++) {
		const struct ec_range *r = &t->ranges[i];

		if (nr >= r->first && nr <= r->last)
			return r->slot + (nr - r->first);
	}
	return ec_other_slot(t);
}

uint32_t ec_slot_nr(const struct ec_isa_table *t, unsigned int slot)
{
	unsigned int i;

	for (i = t->nr_ranges; i-- > 0;) {
		const struct ec_range *r = &t->ranges[i];

		if (slot >= r->slot)
			return r->first + (slot - r->slot);
	}
	return 0;
}

const char *ec_reason_name(const struct ec_isa_table *t, uint32_t nr)
{
	unsigned int slot = ec_slot(t, nr);

	return slot == ec_other_slot(t) ? NULL : t->names[slot];
}
