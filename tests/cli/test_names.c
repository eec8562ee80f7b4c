// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * cmocka tests of guest-cli/names.c: exit reasons by number or by name,
 * against the shared tables of module/reasons.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "names.h"

static uint32_t parse_ok(const struct ec_isa_table *t, const char *arg)
{
	uint32_t nr = UINT32_MAX;

	assert_true(ec_parse_reason(t, arg, &nr));
	return nr;
}

static void parse_bad(const struct ec_isa_table *t, const char *arg)
{
	uint32_t nr;

	assert_false(ec_parse_reason(t, arg, &nr));
}

static void vmx_numbers(void **state)
{
	(void)state;
	assert_int_equal(parse_ok(&ec_vmx_table, "48"), 48);
	assert_int_equal(parse_ok(&ec_vmx_table, "0x30"), 48);
	assert_int_equal(parse_ok(&ec_vmx_table, "0X30"), 48);
	assert_int_equal(parse_ok(&ec_vmx_table, "0"), 0);
	assert_int_equal(parse_ok(&ec_vmx_table, "85"), 85);
	assert_int_equal(parse_ok(&ec_vmx_table, "048"), 48);	/* not octal */
}

static void vmx_names(void **state)
{
	(void)state;
	assert_int_equal(parse_ok(&ec_vmx_table, "EPT_VIOLATION"), 48);
	assert_int_equal(parse_ok(&ec_vmx_table, "ept_violation"), 48);
	assert_int_equal(parse_ok(&ec_vmx_table, "Ept_Violation"), 48);
	assert_int_equal(parse_ok(&ec_vmx_table,
				  "EXIT_REASON_EPT_VIOLATION"), 48);
	assert_int_equal(parse_ok(&ec_vmx_table,
				  "exit_reason_ept_violation"), 48);
	assert_int_equal(parse_ok(&ec_vmx_table, "cpuid"), 10);
	assert_int_equal(parse_ok(&ec_vmx_table, "exception_nmi"), 0);
}

static void svm_numbers_and_names(void **state)
{
	(void)state;
	assert_int_equal(parse_ok(&ec_svm_table, "0x72"), 0x72);
	assert_int_equal(parse_ok(&ec_svm_table, "114"), 0x72);
	assert_int_equal(parse_ok(&ec_svm_table, "cpuid"), 0x72);
	assert_int_equal(parse_ok(&ec_svm_table, "SVM_EXIT_CPUID"), 0x72);
	assert_int_equal(parse_ok(&ec_svm_table, "0x400"), 0x400);
	assert_int_equal(parse_ok(&ec_svm_table, "npf"), 0x400);
	assert_int_equal(parse_ok(&ec_svm_table, "svm_exit_vmgexit"), 0x403);
	assert_int_equal(parse_ok(&ec_svm_table, "CR15_WRITE_TRAP"), 0x9f);
	assert_int_equal(parse_ok(&ec_svm_table, "read_cr0"), 0);
}

static void undefined_numbers(void **state)
{
	(void)state;
	parse_bad(&ec_vmx_table, "35");		/* a hole in the VMX table */
	parse_bad(&ec_vmx_table, "86");		/* past the last */
	parse_bad(&ec_svm_table, "0xa7");	/* between the SVM ranges */
	parse_bad(&ec_svm_table, "0x404");
	parse_bad(&ec_vmx_table, "4294967295");
	parse_bad(&ec_vmx_table, "4294967296");	/* over 32 bits */
	parse_bad(&ec_vmx_table, "0x100000030");
	parse_bad(&ec_vmx_table, "99999999999999999999999");
}

static void malformed(void **state)
{
	(void)state;
	parse_bad(&ec_vmx_table, "");
	parse_bad(&ec_vmx_table, "0x");
	parse_bad(&ec_vmx_table, "-1");
	parse_bad(&ec_vmx_table, "+48");
	parse_bad(&ec_vmx_table, " 48");
	parse_bad(&ec_vmx_table, "48 ");
	parse_bad(&ec_vmx_table, "4 8");
	parse_bad(&ec_vmx_table, "0x3g");
	parse_bad(&ec_vmx_table, "30h");
	parse_bad(&ec_vmx_table, "EXIT_REASON_");
	parse_bad(&ec_vmx_table, "EPT_VIOLATIONS");
	parse_bad(&ec_vmx_table, "EPT-VIOLATION");
}

static void prefix_of_the_other_isa(void **state)
{
	(void)state;
	parse_bad(&ec_vmx_table, "SVM_EXIT_CPUID");
	parse_bad(&ec_svm_table, "EXIT_REASON_CPUID");
	parse_bad(&ec_svm_table, "EPT_VIOLATION");
	parse_bad(&ec_vmx_table, "NPF");
}

/* Every name of both tables parses back to its number, bare and prefixed. */
static void every_name_round_trips(void **state)
{
	const struct ec_isa_table *tables[] = { &ec_vmx_table, &ec_svm_table };
	char buf[96];
	unsigned int i, slot;

	(void)state;
	for (i = 0; i < 2; i++) {
		const struct ec_isa_table *t = tables[i];

		for (slot = 0; slot < ec_other_slot(t); slot++) {
			if (!t->names[slot])
				continue;
			assert_int_equal(parse_ok(t, t->names[slot]),
					 ec_slot_nr(t, slot));
			snprintf(buf, sizeof(buf), "%s%s", t->prefix,
				 t->names[slot]);
			assert_int_equal(parse_ok(t, buf), ec_slot_nr(t, slot));
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(vmx_numbers),
		cmocka_unit_test(vmx_names),
		cmocka_unit_test(svm_numbers_and_names),
		cmocka_unit_test(undefined_numbers),
		cmocka_unit_test(malformed),
		cmocka_unit_test(prefix_of_the_other_isa),
		cmocka_unit_test(every_name_round_trips),
	};

	return cmocka_run_group_tests_name("exitcount guest-cli names", tests,
					   NULL, NULL);
}
