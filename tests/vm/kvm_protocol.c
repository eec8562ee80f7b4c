// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_protocol: the rules of the CPUID leaves, as a guest sees them.
 *
 *   kvm_protocol [--expect=vm|host|absent] [--save-ref=FILE] [--ref=FILE]
 *
 * --expect=vm (default) or host: exitcount.ko is loaded answering guests
 *   with that scope: signature and ABI, host info, undefined and unhandled
 *   reasons, totals, and leaves outside the protocol left to KVM.
 * --expect=absent: the module is not loaded, or loaded with guest_query=0:
 *   every protocol leaf gets KVM's own answer, no signature.
 * --save-ref=FILE: write the answers to leaves outside the protocol;
 * --ref=FILE: compare them with such a file from another run (e.g. with
 *   the module loaded vs. not).
 *
 * KVM's answer for a leaf it has no entry for (kvm_cpuid()): in the
 * hypervisor range, the class 0x4FFFFF00 has no entry either, so with an
 * Intel guest vendor it is the highest basic leaf's entry for the same
 * subleaf, with an AMD one all zeros. Either way it is the same for any
 * leaf 0x4FFFFFxx at the same subleaf: 0x4FFFFFF0 is the reference.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm_util.h"

#define REF_LEAF 0x4FFFFFF0u

static struct kvm_vcpu *vcpu;

static void q(uint32_t leaf, uint32_t sub, uint32_t r[EC_NR_REGS])
{
	guest_cpuid(vcpu, leaf, sub, r, NULL);
}

static bool regs_eq(const uint32_t a[EC_NR_REGS], const uint32_t b[EC_NR_REGS])
{
	return !memcmp(a, b, EC_NR_REGS * sizeof(a[0]));
}

static void diag_regs(const char *what, const uint32_t r[EC_NR_REGS])
{
	tap_diag("%s: eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x", what,
		 r[EC_EAX], r[EC_EBX], r[EC_ECX], r[EC_EDX]);
}

static bool check_regs(const uint32_t got[EC_NR_REGS],
		       const uint32_t want[EC_NR_REGS], const char *fmt,
		       uint32_t leaf, uint32_t sub)
{
	char desc[160];
	bool ok = regs_eq(got, want);

	snprintf(desc, sizeof(desc), fmt, leaf, sub);
	CHECK(ok, "%s", desc);
	if (!ok) {
		diag_regs("got ", got);
		diag_regs("want", want);
	}
	return ok;
}

/* Leaves outside the protocol: (leaf, subleaf). */
static const uint32_t untouched[][2] = {
	{ 0x4FFFFFFBu, 0 },
	{ 0x4FFFFFFBu, 1 },
	{ 0x4FFFFFFBu, 0xFFFFFFFFu },
	{ EC_LEAF_INFO, 3 },
	{ EC_LEAF_INFO, 0xFFFFFFFFu },
	{ 0x50000000u, 0 },
	{ 0x3FFFFFFFu, 0 },
};
#define N_UNTOUCHED (sizeof(untouched) / sizeof(untouched[0]))

/* g) */
static void check_untouched(const char *save, const char *ref)
{
	uint32_t got[N_UNTOUCHED][EC_NR_REGS], want[EC_NR_REGS];
	unsigned int i;
	FILE *f;

	for (i = 0; i < N_UNTOUCHED; i++) {
		uint32_t leaf = untouched[i][0], sub = untouched[i][1];

		q(leaf, sub, got[i]);
		if ((leaf >> 8) != (REF_LEAF >> 8))
			continue;
		q(REF_LEAF, sub, want);
		check_regs(got[i], want,
			   "leaf 0x%08X/%u: KVM's answer (same as unknown leaf 0x4FFFFFF0)",
			   leaf, sub);
	}
	if (save) {
		f = fopen(save, "w");
		CHECK(f, "save answers outside the protocol to %s", save);
		if (f) {
			for (i = 0; i < N_UNTOUCHED; i++)
				fprintf(f, "%08x %08x %08x %08x %08x %08x\n",
					untouched[i][0], untouched[i][1],
					got[i][0], got[i][1], got[i][2], got[i][3]);
			fclose(f);
		}
	}
	if (ref) {
		unsigned int l, s, a, b, c, d, n = 0;
		bool all = true;

		f = fopen(ref, "r");
		CHECK(f, "read answers of the other run from %s", ref);
		if (!f)
			return;
		while (fscanf(f, "%x %x %x %x %x %x", &l, &s, &a, &b, &c, &d) == 6) {
			uint32_t w[EC_NR_REGS] = { a, b, c, d };

			for (i = 0; i < N_UNTOUCHED; i++) {
				if (untouched[i][0] != l || untouched[i][1] != s)
					continue;
				n++;
				if (!regs_eq(got[i], w)) {
					all = false;
					tap_diag("leaf 0x%08X/%u differs from the other run", l, s);
					diag_regs("this run ", got[i]);
					diag_regs("other run", w);
				}
			}
		}
		fclose(f);
		CHECK(all && n == N_UNTOUCHED,
		      "leaves outside the protocol: same answers as in the other run (%u compared)",
		      n);
	}
}

static void check_absent(void)
{
	static const uint32_t leaves[][2] = {
		{ EC_LEAF_TOTAL, 0 },
		{ EC_LEAF_COUNT, 0 },
		{ EC_LEAF_COUNT, 10 },
		{ EC_LEAF_COUNT, 0x72 },
		{ EC_LEAF_DETAIL, 10 },
		{ EC_LEAF_DETAIL, 0x72 },
		{ EC_LEAF_DETAIL, 0xFFFFFFFFu },
		{ EC_LEAF_INFO, EC_INFO_SIGNATURE },
		{ EC_LEAF_INFO, EC_INFO_HOST },
		{ EC_LEAF_INFO, EC_INFO_TOTAL_HI },
	};
	uint32_t r[EC_NR_REGS], want[EC_NR_REGS];
	unsigned int i;

	q(EC_LEAF_INFO, EC_INFO_SIGNATURE, r);
	CHECK(r[EC_EBX] != EC_SIGNATURE_EBX || r[EC_ECX] != EC_SIGNATURE_ECX ||
	      r[EC_EDX] != EC_SIGNATURE_EDX,
	      "0x4FFFFFFC/0: no exitcount signature");
	for (i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		q(leaves[i][0], leaves[i][1], r);
		q(REF_LEAF, leaves[i][1], want);
		check_regs(r, want,
			   "leaf 0x%08X/0x%x: KVM's own answer (same as unknown leaf 0x4FFFFFF0)",
			   leaves[i][0], leaves[i][1]);
	}
}

/* c) */
static const struct ec_isa_table *check_info(uint32_t want_scope)
{
	const struct ec_isa_table *t, *host_t;
	uint32_t r[EC_NR_REGS];

	host_t = ec_table_for_isa(host_cpu_isa());
	errno = 0;
	TEST_ASSERT(host_t, "host CPU is neither AMD nor Intel");

	q(EC_LEAF_INFO, EC_INFO_SIGNATURE, r);
	diag_regs("0x4FFFFFFC/0", r);
	CHECK(r[EC_EBX] == EC_SIGNATURE_EBX && r[EC_ECX] == EC_SIGNATURE_ECX &&
	      r[EC_EDX] == EC_SIGNATURE_EDX,
	      "0x4FFFFFFC/0: signature \"exitcountKVM\"");
	CHECK_EQ(r[EC_EAX], EC_ABI_VERSION, "0x4FFFFFFC/0: ABI version");

	q(EC_LEAF_INFO, EC_INFO_HOST, r);
	diag_regs("0x4FFFFFFC/1", r);
	CHECK_EQ(r[EC_EAX], host_t->isa, "0x4FFFFFFC/1: ISA = host CPU's (%s)",
		 host_t->isa_name);
	t = ec_table_for_isa(r[EC_EAX]);
	if (!t)
		t = host_t;
	CHECK_EQ(r[EC_EBX], want_scope, "0x4FFFFFFC/1: scope %u (%s)", want_scope,
		 want_scope == EC_SCOPE_VM ? "VM" : "host");
	CHECK_NE(r[EC_ECX], 0, "0x4FFFFFFC/1: TSC kHz (%u) nonzero", r[EC_ECX]);
	CHECK_EQ(r[EC_EDX], t->max_nr, "0x4FFFFFFC/1: max reason = %s table's",
		 t->isa_name);

	q(EC_LEAF_INFO, EC_INFO_TOTAL_HI, r);
	CHECK(r[EC_EAX] == 0 && r[EC_EBX] == EC_HIST_BUCKETS &&
	      r[EC_ECX] == EC_HIST_FIRST_SHIFT && r[EC_EDX] == 0,
	      "0x4FFFFFFC/2: total exits hi = 0, %u histogram buckets from 2^%u, EDX 0",
	      EC_HIST_BUCKETS, EC_HIST_FIRST_SHIFT);
	return t;
}

/* d) and e) */
static void check_reasons(const struct ec_isa_table *t, uint32_t want_scope)
{
	static const uint32_t undef_regs[EC_NR_REGS] = { 0, 0, 0, EC_STATUS_UNDEFINED };
	static const uint32_t zero_regs[EC_NR_REGS] = { 0, 0, 0, 0 };
	uint32_t undef[4], r[EC_NR_REGS], d[EC_NR_REGS], nr;
	uint64_t sum = 0;
	int8_t *handled = malloc(t->nr_slots);
	unsigned int i, slot, n_undef = 0, n_handled = 0, n_unhandled = 0;
	unsigned int bad_handled = 0, bad_unhandled = 0;
	bool gap = false;
	int n, bad;

	TEST_ASSERT(handled, "malloc");
	undef[n_undef++] = 0xFFFFFFFFu;
	undef[n_undef++] = 0x80000000u;
	undef[n_undef++] = t->max_nr + 1;
	for (nr = 0; nr < t->max_nr && !gap; nr++) {
		if (!ec_reason_name(t, nr)) {
			undef[n_undef++] = nr;
			gap = true;
		}
	}
	CHECK(gap, "the %s table has a gap below max_nr (%u)", t->isa_name,
	      gap ? undef[3] : 0);
	for (i = 0; i < n_undef; i++) {
		q(EC_LEAF_COUNT, undef[i], r);
		check_regs(r, undef_regs, "0x%08X/0x%x (undefined reason): 0,0,0,0xFFFFFFFF",
			   EC_LEAF_COUNT, undef[i]);
		q(EC_LEAF_DETAIL, undef[i], r);
		check_regs(r, undef_regs, "0x%08X/0x%x (undefined reason): 0,0,0,0xFFFFFFFF",
			   EC_LEAF_DETAIL, undef[i]);
	}

	bad = 0;
	n = handled_read(t, handled, &bad);
	CHECK(n >= 0, "read the handled lines of %s (err %d)", HOSTVIEW_DEV,
	      n < 0 ? n : 0);
	CHECK_EQ(bad, 0, "handled: every line is \"handled <nr> <name> <0|1>\" of a defined reason");
	for (slot = 0; slot < ec_other_slot(t); slot++) {
		if (!t->names[slot])
			continue;
		nr = ec_slot_nr(t, slot);
		if (handled[slot] < 0) {
			if (bad_handled++ < 8)
				tap_diag("handled: reason %u %s not listed", nr,
					 t->names[slot]);
			continue;
		}
		q(EC_LEAF_COUNT, nr, r);
		q(EC_LEAF_DETAIL, nr, d);
		if (handled[slot]) {
			n_handled++;
			sum += r[EC_EAX];
			if (r[EC_EBX] || r[EC_ECX] || r[EC_EDX] || d[EC_EDX] != EC_STATUS_OK ||
			    d[EC_EAX] != 0) {
				if (bad_handled++ < 8) {
					tap_diag("handled reason %u %s:", nr, t->names[slot]);
					diag_regs(" 0x4FFFFFFE", r);
					diag_regs(" 0x4FFFFFFD", d);
				}
			}
		} else {
			n_unhandled++;
			if (!regs_eq(r, zero_regs) || !regs_eq(d, zero_regs)) {
				if (bad_unhandled++ < 8) {
					tap_diag("unhandled reason %u %s:", nr, t->names[slot]);
					diag_regs(" 0x4FFFFFFE", r);
					diag_regs(" 0x4FFFFFFD", d);
				}
			}
		}
	}
	tap_diag("%u defined reasons handled by this KVM, %u not", n_handled,
		 n_unhandled);
	CHECK_EQ(bad_handled, 0,
		 "every defined reason is listed in handled; handled ones answer EDX=0 (count hi 0)");
	CHECK(handled[ec_slot(t, reason_nr(t, "CPUID"))] == 1 &&
	      handled[ec_slot(t, reason_nr(t, "HLT"))] == 1 &&
	      handled[ec_slot(t, reason_nr(t, io_reason_name(t)))] == 1,
	      "handled: CPUID, HLT and %s are handled", io_reason_name(t));
	CHECK_GE(n_unhandled, 1, "at least one defined reason is not handled by this KVM");
	CHECK_EQ(bad_unhandled, 0,
		 "every defined-unhandled reason answers 0,0,0,0 on 0x4FFFFFFE and 0x4FFFFFFD");

	/* e) */
	q(EC_LEAF_TOTAL, 0, r);
	diag_regs("0x4FFFFFFF", r);
	CHECK_GE(r[EC_EAX], sum, "0x4FFFFFFF total >= sum of the %u per-reason counts read",
		 n_handled);
	CHECK_GT(ec_u64(r[EC_EBX], r[EC_ECX]), 0, "0x4FFFFFFF total cycles > 0");
	CHECK_EQ(r[EC_EDX], 0, "0x4FFFFFFF EDX = 0");

	q(EC_LEAF_COUNT, reason_nr(t, "CPUID"), r);
	if (want_scope == EC_SCOPE_VM)
		CHECK_EQ(r[EC_EAX], vcpu->exits_cpuid,
			 "scope VM: CPUID count = this VM's CPUIDs (query included)");
	else
		CHECK_GE(r[EC_EAX], vcpu->exits_cpuid,
			 "scope host: CPUID count >= this VM's CPUIDs");
	free(handled);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "expect", required_argument, NULL, 'e' },
		{ "save-ref", required_argument, NULL, 's' },
		{ "ref", required_argument, NULL, 'r' },
		{ "tag", required_argument, NULL, 't' },
		{ 0 }
	};
	const char *expect = "vm", *save = NULL, *ref = NULL, *tag = NULL;
	static char tagbuf[64];
	struct kvm_vm *vm;
	bool known;
	int c;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'e': expect = optarg; break;
		case 's': save = optarg; break;
		case 'r': ref = optarg; break;
		case 't': tag = optarg; break;
		default:
			fprintf(stderr, "usage: %s [--expect=vm|host|absent] [--save-ref=F] [--ref=F] [--tag=T]\n",
				argv[0]);
			return 2;
		}
	}
	known = !strcmp(expect, "vm") || !strcmp(expect, "host") || !strcmp(expect, "absent");
	if (!tag) {
		snprintf(tagbuf, sizeof(tagbuf), "kvm_protocol[%s]", expect);
		tag = tagbuf;
	}
	tap_init(tag);
	if (!known) {
		errno = EINVAL;
		TEST_ASSERT(0, "--expect=%s", expect);
	}

	vm = vm_create();
	vcpu = vm->vcpu;
	if (!strcmp(expect, "absent")) {
		check_absent();
	} else {
		uint32_t scope = strcmp(expect, "vm") != 0 ? EC_SCOPE_HOST : EC_SCOPE_VM;
		const struct ec_isa_table *t = check_info(scope);

		check_reasons(t, scope);
	}
	check_untouched(save, ref);
	vm_destroy(vm);
	return tap_finish();
}
