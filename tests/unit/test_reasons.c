// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Unit tests for the exit reason tables (module/reasons.c): which reasons
 * each manual defines, their names, and the reason <-> slot mapping that
 * sizes the module's counter arrays.
 *
 * The expectations are written out here from the manuals rather than
 * derived from the tables, so a slip in a table cannot hide itself.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <exitcount/reasons.h>

#include "inputs.h"

/* Fail naming the table and the reason, so a report pinpoints the entry. */
#define check_nr(t, nr, cond)						\
	do {								\
		if (!(cond))						\
			fail_msg("%s reason %#" PRIx32 ": %s",		\
				 (t)->isa_name, (uint32_t)(nr), #cond);	\
	} while (0)

struct name_check {
	uint32_t nr;
	const char *name;
};

/* What the manual says about one ISA. */
struct isa_spec {
	enum ec_isa isa;
	const struct ec_isa_table *table;
	const char *isa_name;
	const char *prefix;
	uint32_t max_nr;
	bool (*in_range)(uint32_t nr);	/* has a slot of its own */
	bool (*defined)(uint32_t nr);	/* has a name */
	const uint32_t *undefined;	/* gaps and boundary classes */
	size_t nr_undefined;
	const struct name_check *names;
	size_t nr_names;
};

/* Intel SDM Vol. 3, Appendix C: 0-85 minus these. */
static const uint32_t vmx_gaps[] = { 35, 38, 42, 71, 82, 83 };

static bool vmx_in_range(uint32_t nr)
{
	return nr <= 85;
}

static bool vmx_defined(uint32_t nr)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(vmx_gaps); i++)
		if (nr == vmx_gaps[i])
			return false;
	return vmx_in_range(nr);
}

static const uint32_t vmx_undefined[] = {
	35, 38, 42, 71, 82, 83, 86, 87,
	0x7fffffff, 0x80000000, 0xffffffff,
};

static const struct name_check vmx_names[] = {
	{ 0, "EXCEPTION_NMI" },		{ 5, "IO_SMI" },
	{ 10, "CPUID" },		{ 11, "GETSEC" },
	{ 12, "HLT" },			{ 17, "RSM" },
	{ 30, "IO_INSTRUCTION" },	{ 48, "EPT_VIOLATION" },
	{ 65, "PCONFIG" },		{ 66, "SPP" },
	{ 69, "LOADIWKEY" },		{ 70, "ENCLV" },
	{ 72, "ENQCMD" },		{ 73, "ENQCMDS" },
	{ 76, "SEAMCALL" },		{ 78, "RDMSRLIST" },
	{ 79, "WRMSRLIST" },		{ 80, "URDMSR" },
	{ 81, "UWRMSR" },		{ 85, "MSR_WRITE_IMM" },
};

static const struct isa_spec vmx_spec = {
	.isa = EC_ISA_VMX,
	.table = &ec_vmx_table,
	.isa_name = "VMX",
	.prefix = "EXIT_REASON_",
	.max_nr = 85,
	.in_range = vmx_in_range,
	.defined = vmx_defined,
	.undefined = vmx_undefined,
	.nr_undefined = ARRAY_SIZE(vmx_undefined),
	.names = vmx_names,
	.nr_names = ARRAY_SIZE(vmx_names),
};

/* AMD APM Vol. 2, Appendix C: 0x000-0x0a6 and 0x400-0x403, no gaps. */
static bool svm_defined(uint32_t nr)
{
	return nr <= 0x0a6 || (nr >= 0x400 && nr <= 0x403);
}

static const uint32_t svm_undefined[] = {
	0x0a7, 0x0a8, 0x3ff, 0x404, 0x405,
	0x7fffffff, 0x80000000, 0xffffffff,
};

static const struct name_check svm_names[] = {
	{ 0x000, "READ_CR0" },		{ 0x072, "CPUID" },
	{ 0x078, "HLT" },		{ 0x07b, "IOIO" },
	{ 0x0a6, "IDLE_HLT" },		{ 0x400, "NPF" },
	{ 0x403, "VMGEXIT" },
};

static const struct isa_spec svm_spec = {
	.isa = EC_ISA_SVM,
	.table = &ec_svm_table,
	.isa_name = "SVM",
	.prefix = "SVM_EXIT_",
	.max_nr = 0x403,
	.in_range = svm_defined,
	.defined = svm_defined,
	.undefined = svm_undefined,
	.nr_undefined = ARRAY_SIZE(svm_undefined),
	.names = svm_names,
	.nr_names = ARRAY_SIZE(svm_names),
};

static void check_header(const struct isa_spec *s)
{
	const struct ec_isa_table *t = s->table;

	assert_int_equal(t->isa, s->isa);
	assert_string_equal(t->isa_name, s->isa_name);
	assert_string_equal(t->prefix, s->prefix);
	assert_int_equal(t->max_nr, s->max_nr);
	/* The last slot is "other" and must fit the test's bookkeeping. */
	assert_in_range(t->nr_slots, 2, MAX_SLOTS);
	assert_null(t->names[ec_other_slot(t)]);
}

/* Defined exactly where the manual says, over all of 32 bits. */
static void check_defined(const struct isa_spec *s)
{
	const struct ec_isa_table *t = s->table;
	size_t i;

	for (i = 0; i < NR_INPUTS; i++) {
		uint32_t nr = input(i);

		check_nr(t, nr, (ec_reason_name(t, nr) != NULL) ==
			 s->defined(nr));
	}
	check_nr(t, s->max_nr, s->defined(s->max_nr));
	check_nr(t, s->max_nr, ec_reason_name(t, s->max_nr) != NULL);
}

/* Gaps and boundaries, spelled out: no name; "other" when off the table. */
static void check_undefined(const struct isa_spec *s)
{
	const struct ec_isa_table *t = s->table;
	size_t i;

	for (i = 0; i < s->nr_undefined; i++) {
		uint32_t nr = s->undefined[i];
		unsigned int slot = ec_slot(t, nr);

		check_nr(t, nr, ec_reason_name(t, nr) == NULL);
		check_nr(t, nr, slot < t->nr_slots);
		check_nr(t, nr, s->in_range(nr) || slot == ec_other_slot(t));
	}
}

static void check_names(const struct isa_spec *s)
{
	const struct ec_isa_table *t = s->table;
	size_t i;

	for (i = 0; i < s->nr_names; i++) {
		const char *name = ec_reason_name(t, s->names[i].nr);

		if (!name || strcmp(name, s->names[i].name) != 0)
			fail_msg("%s reason %#" PRIx32 ": name %s, expected %s",
				 t->isa_name, s->names[i].nr,
				 name ? name : "(none)", s->names[i].name);
	}
}

/* Names are Linux's macro names minus the prefix: prefix + name must be one. */
static bool is_identifier(const char *name)
{
	const char *p;

	if (!name[0] || (name[0] >= '0' && name[0] <= '9'))
		return false;
	for (p = name; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '_'))
			return false;
	return true;
}

static void check_name_syntax(const struct isa_spec *s)
{
	const struct ec_isa_table *t = s->table;
	unsigned int a, b;

	for (a = 0; a < t->nr_slots; a++) {
		if (!t->names[a])
			continue;
		if (!is_identifier(t->names[a]))
			fail_msg("%s slot %u: name \"%s\" is not A-Z0-9_",
				 t->isa_name, a, t->names[a]);
		for (b = a + 1; b < t->nr_slots; b++)
			if (t->names[b] && !strcmp(t->names[a], t->names[b]))
				fail_msg("%s slots %u and %u both named %s",
					 t->isa_name, a, b, t->names[a]);
	}
}

/*
 * In-range reasons and slots below "other" pair up one to one, and the
 * named slots are exactly those of the defined reasons: so every defined
 * reason has its own counter and no counter is left without a reason.
 */
static void check_slot_bijection(const struct isa_spec *s)
{
	const struct ec_isa_table *t = s->table;
	unsigned int other = ec_other_slot(t);
	uint32_t owner[MAX_SLOTS];
	bool seen[MAX_SLOTS] = { false };
	unsigned int slot;
	size_t i;

	for (i = 0; i < NR_INPUTS; i++) {
		uint32_t nr = input(i);

		slot = ec_slot(t, nr);
		check_nr(t, nr, slot < t->nr_slots);
		if (!s->in_range(nr)) {
			check_nr(t, nr, slot == other);
			continue;
		}
		check_nr(t, nr, slot < other);
		if (seen[slot])
			fail_msg("%s reasons %#" PRIx32 " and %#" PRIx32
				 " share slot %u", t->isa_name, owner[slot],
				 nr, slot);
		seen[slot] = true;
		owner[slot] = nr;
		check_nr(t, nr, (t->names[slot] != NULL) == s->defined(nr));
	}
	for (slot = 0; slot < other; slot++)
		if (!seen[slot])
			fail_msg("%s slot %u belongs to no reason",
				 t->isa_name, slot);
}

/* ec_slot_nr() undoes ec_slot(), both ways round. */
static void check_slot_nr(const struct isa_spec *s)
{
	const struct ec_isa_table *t = s->table;
	unsigned int slot;
	size_t i;

	for (i = 0; i < NR_INPUTS; i++) {
		uint32_t nr = input(i);

		if (s->in_range(nr))
			check_nr(t, nr, ec_slot_nr(t, ec_slot(t, nr)) == nr);
	}
	for (slot = 0; slot < ec_other_slot(t); slot++)
		if (ec_slot(t, ec_slot_nr(t, slot)) != slot)
			fail_msg("%s slot %u: reason %#" PRIx32
				 " maps back to slot %u", t->isa_name, slot,
				 ec_slot_nr(t, slot),
				 ec_slot(t, ec_slot_nr(t, slot)));
}

static void test_table_for_isa(void **state)
{
	(void)state;
	assert_ptr_equal(ec_table_for_isa(1), &ec_vmx_table);
	assert_ptr_equal(ec_table_for_isa(2), &ec_svm_table);
	assert_null(ec_table_for_isa(0));
	assert_null(ec_table_for_isa(3));
	assert_null(ec_table_for_isa(0xffffffff));
}

/* The module's exit path maps the first range one to one, inline. */
static void test_first_range_identity(void **state)
{
	(void)state;
	assert_int_equal(ec_vmx_table.ranges[0].first, 0);
	assert_int_equal(ec_vmx_table.ranges[0].slot, 0);
	assert_int_equal(ec_svm_table.ranges[0].first, 0);
	assert_int_equal(ec_svm_table.ranges[0].slot, 0);
}

/* The module's handled bitmap has room for EC_MAX_SLOTS slots. */
static void test_max_slots(void **state)
{
	(void)state;
	assert_in_range(ec_vmx_table.nr_slots, 1, EC_MAX_SLOTS);
	assert_in_range(ec_svm_table.nr_slots, 1, EC_MAX_SLOTS);
}

/* One cmocka test per property and ISA, so a report names both. */
#define ISA_TEST(isa, what)						\
	static void test_##isa##_##what(void **state)			\
	{								\
		(void)state;						\
		check_##what(&isa##_spec);				\
	}

ISA_TEST(vmx, header)
ISA_TEST(vmx, defined)
ISA_TEST(vmx, undefined)
ISA_TEST(vmx, names)
ISA_TEST(vmx, name_syntax)
ISA_TEST(vmx, slot_bijection)
ISA_TEST(vmx, slot_nr)
ISA_TEST(svm, header)
ISA_TEST(svm, defined)
ISA_TEST(svm, undefined)
ISA_TEST(svm, names)
ISA_TEST(svm, name_syntax)
ISA_TEST(svm, slot_bijection)
ISA_TEST(svm, slot_nr)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table_for_isa),
		cmocka_unit_test(test_max_slots),
		cmocka_unit_test(test_first_range_identity),
		cmocka_unit_test(test_vmx_header),
		cmocka_unit_test(test_vmx_defined),
		cmocka_unit_test(test_vmx_undefined),
		cmocka_unit_test(test_vmx_names),
		cmocka_unit_test(test_vmx_name_syntax),
		cmocka_unit_test(test_vmx_slot_bijection),
		cmocka_unit_test(test_vmx_slot_nr),
		cmocka_unit_test(test_svm_header),
		cmocka_unit_test(test_svm_defined),
		cmocka_unit_test(test_svm_undefined),
		cmocka_unit_test(test_svm_names),
		cmocka_unit_test(test_svm_name_syntax),
		cmocka_unit_test(test_svm_slot_bijection),
		cmocka_unit_test(test_svm_slot_nr),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
