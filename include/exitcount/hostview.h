/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The host view: /dev/exitcount, a root-only character device whose read
 * is a text snapshot of every VM's counts (docs/protocol.md, "Host
 * view"). This header is the one definition used by the module, the CLI
 * (--host) and the tests.
 *
 * The first line is "exitcount-hostview 1". A reader skips the kinds of
 * lines it does not know: new kinds are additions within version 1; a
 * change to the meaning of an existing line is a new version. The kinds,
 * by first word: isa, scope, tsc_khz, objects, lost; "vm ID pid PID"
 * then "exits N cycles C", "reason NR NAME exits N cycles C" (NR NAME
 * "- other" for the reasons of no name) or "nested exits N"; "all" then
 * the same as a VM's but nested; "hist", then "buckets N first S",
 * "allocated vm N host M", or a VM's or all's reason line with
 * "exits N buckets B0 ... B(N-1)" in place of its count and cycles;
 * "handled NR NAME 0|1".
 */
#ifndef EXITCOUNT_HOSTVIEW_ABI_H
#define EXITCOUNT_HOSTVIEW_ABI_H

#include <linux/ioctl.h>

#define EC_HOSTVIEW_NAME	"exitcount"
#define EC_HOSTVIEW_DEV		"/dev/" EC_HOSTVIEW_NAME
#define EC_HOSTVIEW_MAGIC	"exitcount-hostview"
#define EC_HOSTVIEW_VERSION	1

/* Every count restarts from 0; needs CAP_SYS_ADMIN. (0xEC 00-01: cros_ec) */
#define EC_IOC_RESET		_IO(0xEC, 0x80)

#endif /* EXITCOUNT_HOSTVIEW_ABI_H */
