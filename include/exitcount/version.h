/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/* Release version; dkms.conf's PACKAGE_VERSION must match (make style). */
#ifndef EXITCOUNT_VERSION_H
#define EXITCOUNT_VERSION_H

#define EXITCOUNT_VERSION "0.1.0"

#endif /* EXITCOUNT_VERSION_H */
