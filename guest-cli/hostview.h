/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * --host: the module's host view, /dev/exitcount (or a saved copy of it),
 * parsed into one set of counts per VM; each VM named as its VMM calls it.
 */
#ifndef EXITCOUNT_CLI_HOSTVIEW_H
#define EXITCOUNT_CLI_HOSTVIEW_H

#include "detect.h"

#define EC_VM_NAME_MAX 64

struct ec_hv_vm {
	unsigned long id;	/* the module's number for the VM */
	long pid;		/* of the process that created it */
	char name[EC_VM_NAME_MAX];	/* QEMU's -name, else the pid */
	uint64_t exits;		/* all reasons */
	uint64_t cycles;
	uint64_t *count;	/* by slot of host.table */
	uint64_t *slot_cycles;
	/* by slot, the "hist" lines' buckets; NULL when it has none */
	uint64_t (*hist)[EC_HIST_BUCKETS];
};

struct ec_hostview {
	struct ec_host host;	/* hist_buckets 0: no (usable) hist lines */
	bool *handled;		/* by slot: KVM handles the reason */
	struct ec_hv_vm *vms;	/* in the module's order */
	size_t nr_vms;
	/*
	 * The "all" lines: every VM's exits since the module was loaded,
	 * those of VMs since gone included; id 0, pid 0, name "all". Its
	 * count is NULL when the view has none.
	 */
	struct ec_hv_vm all;
};

/* Where snapshots come from: the device, or a saved file of them. */
struct ec_hv_src;

/*
 * @replay NULL: EC_HOSTVIEW_DEV, read anew for each snapshot; else the
 * file @replay, whose snapshots (each from its "exitcount-hostview" line)
 * are taken in turn, the last one again and again. NULL on failure, with
 * one line in @err and *@absent set when there is no module to read.
 */
struct ec_hv_src *ec_hv_open(const char *replay, char *err, size_t len,
			     bool *absent);
void ec_hv_close(struct ec_hv_src *src);

/*
 * The next snapshot's text (valid until the next call), or NULL with one
 * line in @err.
 */
const char *ec_hv_next(struct ec_hv_src *src, char *err, size_t len);

/*
 * Parse @text into @hv. Kinds of lines it does not know, and fields after
 * those it knows, are skipped (additions within the layout's version).
 * Returns false with one line in @err, *@absent set for a version this
 * tool does not read.
 */
bool ec_hv_parse(const char *text, struct ec_hostview *hv, char *err,
		 size_t len, bool *absent);

void ec_hv_free(struct ec_hostview *hv);

/*
 * Name each VM from @proc/PID/cmdline: the value of QEMU's -name (its
 * guest= part, as libvirt writes it, or the name alone), else the pid.
 */
void ec_hv_name_vms(struct ec_hostview *hv, const char *proc);

/* The VMM's name of the process whose command line is @argv. */
bool ec_vm_name_of_cmdline(const char *argv, size_t len, char *name,
			   size_t size);

#endif /* EXITCOUNT_CLI_HOSTVIEW_H */
