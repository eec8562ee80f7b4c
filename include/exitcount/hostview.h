/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * The host view: /dev/exitcount, a root-only character device whose read
 * is a text snapshot of every VM's counts (README: Host view). This header
 * is the one definition used by the module, the CLI (--host) and the tests.
 *
 * The first line is "exitcount-hostview 1". A reader skips the kinds of
 * lines it does not know: new kinds are additions within version 1; a
 * change to the meaning of an existing line is a new version.
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
