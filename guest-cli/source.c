// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Register sources: the CPUID instruction through libcpuid, or a replay
 * file in `cpuid -r` format. Both log every read for --raw.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <libcpuid/libcpuid.h>

#include "source.h"
#include "xalloc.h"

#define HV_LEAF		0x40000000u
#define HV_PRESENT_LEAF	1u
#define HV_PRESENT_BIT	(1u << 31)	/* leaf 1 ECX: running under a hypervisor */

struct replay_line {
	struct ec_cpuid c;
	bool used;
};

struct ec_src {
	bool replay;
	struct replay_line *lines;
	size_t nr_lines;
	size_t cap_lines;
	struct ec_cpuid *log;
	size_t nr_log;
	size_t cap_log;
};

static struct ec_src *src_new(bool replay)
{
	struct ec_src *src = ec_xreallocarray(NULL, 1, sizeof(*src));

	memset(src, 0, sizeof(*src));
	src->replay = replay;
	return src;
}

struct ec_src *ec_src_cpuid(void)
{
	return cpuid_present() ? src_new(false) : NULL;
}

void ec_src_free(struct ec_src *src)
{
	if (!src)
		return;
	free(src->lines);
	free(src->log);
	free(src);
}

bool ec_src_is_replay(const struct ec_src *src)
{
	return src->replay;
}

/* ---- replay files ------------------------------------------------------ */

static bool blank_or_comment(const char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	return *s == '\0' || *s == '#';
}

/* "CPU:" or "CPU 3:", the block headers of `cpuid -r`. */
static bool cpu_header(const char *s, bool *first)
{
	unsigned int cpu;

	if (strncmp(s, "CPU", 3) != 0)
		return false;
	*first = sscanf(s, "CPU %u", &cpu) != 1 || cpu == 0;
	return true;
}

static bool parse_line(const char *s, struct ec_cpuid *c)
{
	int end = 0;

	if (sscanf(s, EC_RAW_SCAN_FMT, &c->leaf, &c->subleaf,
		   &c->regs[EC_EAX], &c->regs[EC_EBX], &c->regs[EC_ECX],
		   &c->regs[EC_EDX], &end) != 6)
		return false;
	return blank_or_comment(s + end);
}

static void add_line(struct ec_src *src, const struct ec_cpuid *c)
{
	src->lines = ec_xgrow(src->lines, src->nr_lines, &src->cap_lines,
			      sizeof(*src->lines));
	src->lines[src->nr_lines].c = *c;
	src->lines[src->nr_lines++].used = false;
}

/* One line of a replay file: 0 taken, 1 end of the first CPU, -1 bad. */
static int take_line(struct ec_src *src, const char *s)
{
	struct ec_cpuid c;
	bool first;

	if (blank_or_comment(s))
		return 0;
	if (cpu_header(s, &first))
		return first || src->nr_lines == 0 ? 0 : 1;
	if (!parse_line(s, &c))
		return -1;
	add_line(src, &c);
	return 0;
}

struct ec_src *ec_src_replay(FILE *in, const char *name, char *err,
			     size_t errlen)
{
	struct ec_src *src = src_new(true);
	char buf[256];
	unsigned int lineno = 0;
	int r = 0;

	while (r == 0 && fgets(buf, sizeof(buf), in)) {
		lineno++;
		r = take_line(src, buf);
	}
	if (r < 0) {
		snprintf(err, errlen, "%s:%u: not a `cpuid -r` line", name,
			 lineno);
		ec_src_free(src);
		return NULL;
	}
	return src;
}

static bool same_key(const struct ec_cpuid *c, uint32_t leaf,
		     uint32_t subleaf)
{
	return c->leaf == leaf && c->subleaf == subleaf;
}

/* The next line for @leaf/@subleaf: each in turn, then the last again. */
static const struct replay_line *replay_next(struct ec_src *src,
					     uint32_t leaf, uint32_t subleaf)
{
	struct replay_line *found = NULL;
	size_t i;

	for (i = 0; i < src->nr_lines; i++) {
		struct replay_line *l = &src->lines[i];

		if (!same_key(&l->c, leaf, subleaf) || l->used)
			continue;
		if (found) {
			found->used = true;
			return found;
		}
		found = l;
	}
	return found;
}

static void replay_read(struct ec_src *src, uint32_t leaf, uint32_t subleaf,
			uint32_t regs[EC_NR_REGS])
{
	const struct replay_line *l = replay_next(src, leaf, subleaf);

	if (l)
		memcpy(regs, l->c.regs, sizeof(l->c.regs));
	else
		memset(regs, 0, EC_NR_REGS * sizeof(regs[0]));
}

static bool replay_has(const struct ec_src *src, uint32_t leaf)
{
	size_t i;

	for (i = 0; i < src->nr_lines; i++)
		if (src->lines[i].c.leaf == leaf)
			return true;
	return false;
}

/* ---- reading ----------------------------------------------------------- */

static void log_read(struct ec_src *src, uint32_t leaf, uint32_t subleaf,
		     const uint32_t regs[EC_NR_REGS])
{
	struct ec_cpuid *c;

	src->log = ec_xgrow(src->log, src->nr_log, &src->cap_log,
			    sizeof(*src->log));
	c = &src->log[src->nr_log++];
	c->leaf = leaf;
	c->subleaf = subleaf;
	memcpy(c->regs, regs, sizeof(c->regs));
}

static void exec_cpuid(uint32_t leaf, uint32_t subleaf,
		       uint32_t regs[EC_NR_REGS])
{
	regs[EC_EAX] = leaf;
	regs[EC_EBX] = 0;
	regs[EC_ECX] = subleaf;
	regs[EC_EDX] = 0;
	cpu_exec_cpuid_ext(regs);
}

void ec_src_read(struct ec_src *src, uint32_t leaf, uint32_t subleaf,
		 uint32_t regs[EC_NR_REGS])
{
	if (src->replay)
		replay_read(src, leaf, subleaf, regs);
	else
		exec_cpuid(leaf, subleaf, regs);
	log_read(src, leaf, subleaf, regs);
}

const struct ec_cpuid *ec_src_log(const struct ec_src *src, size_t *n)
{
	*n = src->nr_log;
	return src->log;
}

void ec_src_log_clear(struct ec_src *src)
{
	src->nr_log = 0;
}

/* ---- who answers CPUID -------------------------------------------------- */

static void set_hv(struct ec_hv *hv, enum ec_hv_kind kind, const char *name)
{
	hv->kind = kind;
	snprintf(hv->name, sizeof(hv->name), "%s", name);
}

/* The vendor signature of leaf 0x40000000, trimmed; "" when none. */
static void hv_signature(struct ec_src *src, char sig[13])
{
	uint32_t regs[EC_NR_REGS];
	size_t i;

	ec_src_read(src, HV_LEAF, 0, regs);
	memcpy(sig, &regs[EC_EBX], 4);
	memcpy(sig + 4, &regs[EC_ECX], 4);
	memcpy(sig + 8, &regs[EC_EDX], 4);
	sig[12] = '\0';
	for (i = 0; i < 12; i++)
		if (sig[i] && !isprint((unsigned char)sig[i]))
			sig[i] = '?';
	for (i = strlen(sig); i > 0 && sig[i - 1] == ' '; i--)
		sig[i - 1] = '\0';
}

/* Classify by the signature alone: what a replay file can tell. */
static void hv_by_signature(struct ec_src *src, struct ec_hv *hv)
{
	char sig[13];
	const char *s = sig;

	hv_signature(src, sig);
	while (*s == ' ')
		s++;
	if (*s == '\0')
		set_hv(hv, EC_HV_NONE, "");
	else if (strcmp(s, "KVMKVMKVM") == 0)
		set_hv(hv, EC_HV_KVM, "KVM");
	else
		set_hv(hv, EC_HV_OTHER, s);
}

/* libcpuid's name for the hypervisors it recognises besides KVM. */
static const char *libcpuid_hv_name(hypervisor_vendor_t v)
{
	switch (v) {
	case HYPERVISOR_BHYVE:		return "bhyve";
	case HYPERVISOR_HYPERV:		return "Hyper-V";
	case HYPERVISOR_PARALLELS:	return "Parallels";
	case HYPERVISOR_QEMU:		return "QEMU (TCG)";
	case HYPERVISOR_VIRTUALBOX:	return "VirtualBox";
	case HYPERVISOR_VMWARE:		return "VMware";
	case HYPERVISOR_XEN:		return "Xen";
	default:			return NULL;
	}
}

static hypervisor_vendor_t libcpuid_hv(void)
{
	struct cpu_raw_data_t raw;
	struct cpu_id_t id;

	/* data must not be NULL: libcpuid 0.6.2 passes it on as is */
	if (cpuid_get_raw_data(&raw) != 0 || cpu_identify(&raw, &id) != 0)
		return HYPERVISOR_UNKNOWN;
	return cpuid_get_hypervisor(&raw, &id);
}

static bool hv_present_bit(struct ec_src *src)
{
	uint32_t regs[EC_NR_REGS];

	ec_src_read(src, HV_PRESENT_LEAF, 0, regs);
	return regs[EC_ECX] & HV_PRESENT_BIT;
}

static void live_hypervisor(struct ec_src *src, struct ec_hv *hv)
{
	hypervisor_vendor_t v = libcpuid_hv();
	const char *name = libcpuid_hv_name(v);

	if (v == HYPERVISOR_KVM)
		set_hv(hv, EC_HV_KVM, "KVM");
	else if (name)
		set_hv(hv, EC_HV_OTHER, name);
	else if (v == HYPERVISOR_NONE || !hv_present_bit(src))
		set_hv(hv, EC_HV_NONE, "");
	else
		hv_by_signature(src, hv);
}

void ec_src_hypervisor(struct ec_src *src, struct ec_hv *hv)
{
	if (!src->replay)
		live_hypervisor(src, hv);
	else if (replay_has(src, HV_LEAF))
		hv_by_signature(src, hv);
	else
		set_hv(hv, EC_HV_UNKNOWN, "");
}
