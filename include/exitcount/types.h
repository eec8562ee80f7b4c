/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Fixed-width types for the code shared by the kernel module, the guest CLI
 * and the tests: <linux/types.h> provides the C99 names in the kernel.
 */
#ifndef EXITCOUNT_TYPES_H
#define EXITCOUNT_TYPES_H

#ifdef __KERNEL__
#include <linux/types.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#endif

#endif /* EXITCOUNT_TYPES_H */
