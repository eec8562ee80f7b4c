/* SPDX-License-Identifier: GPL-2.0 */
/* Module parameters, fixed at load time. */
#ifndef EXITCOUNT_PARAMS_H
#define EXITCOUNT_PARAMS_H

#include <linux/types.h>

extern bool ec_scope_host;	/* scope=host: one set of counts for all */
extern bool ec_guest_query;	/* guest_query=1: answer the CPUID leaves */
extern char *ec_destroy_hook;	/* destroy_hook=: for tests only */
extern bool ec_direct_reason;	/* direct_reason=0: for tests only */

#endif /* EXITCOUNT_PARAMS_H */
