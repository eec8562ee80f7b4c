// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Parsing an exit reason given by number or by name against the shared
 * reason tables of module/reasons.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "names.h"

/* Decimal, or hexadecimal after 0x; digits only, no sign or blanks. */
static bool parse_number(const char *s, uint32_t *nr)
{
	unsigned long long v;
	char *end;
	int base = 10;

	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	/* Digits only: strtoull alone would take "0x0x12", " 12" or "-1". */
	if (!s[0] ||
	    s[strspn(s, base == 16 ? "0123456789abcdefABCDEF" : "0123456789")])
		return false;
	errno = 0;
	v = strtoull(s, &end, base);
	if (errno || *end || v > UINT32_MAX)
		return false;
	*nr = (uint32_t)v;
	return true;
}

static bool find_name(const struct ec_isa_table *t, const char *s,
		      uint32_t *nr)
{
	unsigned int slot;

	for (slot = 0; slot < ec_other_slot(t); slot++) {
		if (t->names[slot] && strcasecmp(t->names[slot], s) == 0) {
			*nr = ec_slot_nr(t, slot);
			return true;
		}
	}
	return false;
}

static bool parse_name(const struct ec_isa_table *t, const char *s,
		       uint32_t *nr)
{
	size_t len = strlen(t->prefix);

	if (find_name(t, s, nr))
		return true;
	return strncasecmp(s, t->prefix, len) == 0 &&
	       find_name(t, s + len, nr);
}

bool ec_parse_reason(const struct ec_isa_table *t, const char *arg,
		     uint32_t *nr)
{
	if (parse_number(arg, nr))
		return ec_reason_name(t, *nr) != NULL;
	return parse_name(t, arg, nr);
}
