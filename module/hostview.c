// SPDX-License-Identifier: GPL-2.0
/*
 * /dev/exitcount (0400 root): reading it gives a snapshot of every VM's
 * counts, then the host totals, then the same reasons' exit time
 * histograms ("hist" lines), then which reasons KVM handles;
 * EC_IOC_RESET restarts every count from zero. A misc device rather than
 * debugfs: it exists without debugfs, under lockdown, and is an interface
 * meant to be kept (its layout is versioned: <exitcount/hostview.h>).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/capability.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <asm/tsc.h>
#include <exitcount/hostview.h>
#include "counters.h"
#include "hostview.h"
#include "kvm_glue.h"
#include "params.h"

static void show_handled(struct seq_file *m)
{
	const struct ec_isa_table *t = ec_kvm.table;
	unsigned int slot;

	for (slot = 0; slot < ec_other_slot(t); slot++)
		if (t->names[slot])
			seq_printf(m, "handled %u %s %d\n",
				   ec_slot_nr(t, slot), t->names[slot],
				   ec_slot_handled(ec_kvm.handled, slot));
}

static int hostview_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "%s %d\nisa %s\nscope %s\ntsc_khz %u\n",
		   EC_HOSTVIEW_MAGIC, EC_HOSTVIEW_VERSION,
		   ec_kvm.table->isa_name, ec_scope_host ? "host" : "vm",
		   tsc_khz);
	ec_show(m);
	ec_show_hist(m);
	show_handled(m);
	return 0;
}

static int hostview_open(struct inode *inode, struct file *file)
{
	/* misc_open() left its miscdevice here; seq_open() wants it empty */
	file->private_data = NULL;
	return single_open(file, hostview_show, NULL);
}

static long hostview_ioctl(struct file *file, unsigned int cmd,
			   unsigned long arg)
{
	if (cmd != EC_IOC_RESET)
		return -ENOTTY;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	return ec_reset();
}

static const struct file_operations hostview_fops = {
	.owner = THIS_MODULE,
	.open = hostview_open,
	.read = seq_read,
	.llseek = seq_lseek,
	.release = single_release,
	.unlocked_ioctl = hostview_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice hostview_dev = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = EC_HOSTVIEW_NAME,
	.fops = &hostview_fops,
	.mode = 0400,
};

int ec_hostview_init(void)
{
	int ret = misc_register(&hostview_dev);

	if (ret)
		pr_err("cannot register %s (%d)\n", EC_HOSTVIEW_DEV, ret);
	return ret;
}

void ec_hostview_exit(void)
{
	misc_deregister(&hostview_dev);
}
