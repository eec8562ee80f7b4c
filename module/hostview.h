/* SPDX-License-Identifier: GPL-2.0 */
/* The host's root-only read-out: /dev/exitcount. */
#ifndef EXITCOUNT_HOSTVIEW_H
#define EXITCOUNT_HOSTVIEW_H

int ec_hostview_init(void);
void ec_hostview_exit(void);

#endif /* EXITCOUNT_HOSTVIEW_H */
