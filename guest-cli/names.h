/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Exit reasons named on the command line: a number (decimal, or hex with
 * 0x) or a name, case-insensitive, with or without the ISA's prefix.
 */
#ifndef EXITCOUNT_CLI_NAMES_H
#define EXITCOUNT_CLI_NAMES_H

#include <exitcount/reasons.h>

/*
 * Reason number of @arg in @t: "48", "0x72", "EPT_VIOLATION",
 * "exit_reason_ept_violation". False when @t defines no such reason.
 */
bool ec_parse_reason(const struct ec_isa_table *t, const char *arg,
		     uint32_t *nr);

#endif /* EXITCOUNT_CLI_NAMES_H */
