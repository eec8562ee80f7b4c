// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Detection of the exitcount protocol (leaf 0x4FFFFFFC) and, when it is
 * absent, of what answers CPUID instead.
 */
#include "detect.h"

static bool signature_ok(const uint32_t regs[EC_NR_REGS])
{
	return regs[EC_EBX] == EC_SIGNATURE_EBX &&
	       regs[EC_ECX] == EC_SIGNATURE_ECX &&
	       regs[EC_EDX] == EC_SIGNATURE_EDX;
}

static void absent_msg(struct ec_src *src, char *msg, size_t len)
{
	struct ec_hv hv;

	ec_src_hypervisor(src, &hv);
	switch (hv.kind) {
	case EC_HV_NONE:
		snprintf(msg, len, "not available: bare metal, no hypervisor "
			 "(run exitcount inside a KVM guest)");
		break;
	case EC_HV_KVM:
		snprintf(msg, len, "not available: KVM without the exitcount "
			 "module (not loaded, or loaded with guest_query=0)");
		break;
	case EC_HV_OTHER:
		snprintf(msg, len, "not available: running under another "
			 "hypervisor (%s), not KVM", hv.name);
		break;
	case EC_HV_UNKNOWN:
		snprintf(msg, len, "not available (replay file has no "
			 "exitcount signature)");
		break;
	}
}

static enum ec_probe read_host(struct ec_src *src, struct ec_host *host,
			       char *msg, size_t len)
{
	uint32_t regs[EC_NR_REGS];

	ec_src_read(src, EC_LEAF_INFO, EC_INFO_HOST, regs);
	host->table = ec_table_for_isa(regs[EC_EAX]);
	host->scope = regs[EC_EBX];
	host->tsc_khz = regs[EC_ECX];
	host->max_nr = regs[EC_EDX];
	if (host->table)
		return EC_PROBE_OK;
	snprintf(msg, len, "the host reports an unknown ISA %" PRIu32
		 " (1 is VMX, 2 is SVM)", regs[EC_EAX]);
	return EC_PROBE_BAD;
}

enum ec_probe ec_probe(struct ec_src *src, struct ec_host *host, char *msg,
		       size_t len)
{
	uint32_t regs[EC_NR_REGS];

	ec_src_read(src, EC_LEAF_INFO, EC_INFO_SIGNATURE, regs);
	if (!signature_ok(regs)) {
		absent_msg(src, msg, len);
		return EC_PROBE_ABSENT;
	}
	if (regs[EC_EAX] != EC_ABI_VERSION) {
		snprintf(msg, len, "not available: the host module speaks "
			 "exitcount ABI %" PRIu32 ", this tool ABI %u",
			 regs[EC_EAX], EC_ABI_VERSION);
		return EC_PROBE_ABSENT;
	}
	return read_host(src, host, msg, len);
}

const char *ec_scope_name(uint32_t scope)
{
	if (scope == EC_SCOPE_HOST)
		return "host";
	if (scope == EC_SCOPE_VM)
		return "vm";
	return "unknown";
}
