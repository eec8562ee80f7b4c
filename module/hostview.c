// SPDX-License-Identifier: GPL-2.0
/*
 * /sys/kernel/debug/exitcount/
 *   vms      (0400) every VM's counts, then the host totals
 *   hist     (0400) the same reasons' exit time histograms
 *   handled  (0400) each defined reason and whether KVM handles it
 *   reset    (0200) write 1 to restart every count from zero
 * debugfs is root-only by nature; the modes say so again.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/seq_file.h>
#include "counters.h"
#include "hostview.h"
#include "kvm_glue.h"
#include "params.h"

static struct dentry *ec_dir;

static int vms_show(struct seq_file *m, void *unused)
{
	seq_printf(m, "isa %s\nscope %s\n", ec_kvm.table->isa_name,
		   ec_scope_host ? "host" : "vm");
	ec_show(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vms);

static int hist_show(struct seq_file *m, void *unused)
{
	ec_show_hist(m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(hist);

static int handled_show(struct seq_file *m, void *unused)
{
	const struct ec_isa_table *t = ec_kvm.table;
	unsigned int slot;

	for (slot = 0; slot < ec_other_slot(t); slot++)
		if (t->names[slot])
			seq_printf(m, "%u %s %d\n", ec_slot_nr(t, slot),
				   t->names[slot],
				   ec_slot_handled(ec_kvm.handled, slot));
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(handled);

static ssize_t reset_write(struct file *file, const char __user *buf,
			   size_t len, loff_t *ppos)
{
	bool yes;
	int ret = kstrtobool_from_user(buf, len, &yes);

	if (ret)
		return ret;
	if (yes)
		ret = ec_reset();
	return ret ?: len;
}

static const struct file_operations reset_fops = {
	.owner = THIS_MODULE,
	.write = reset_write,
	.llseek = noop_llseek,
};

/* Without debugfs (debugfs=off, or not built), exitcount still counts. */
int ec_hostview_init(void)
{
	ec_dir = debugfs_create_dir(KBUILD_MODNAME, NULL);
	if (IS_ERR(ec_dir)) {
		pr_warn("no debugfs (%ld): counting and answering guests without the host view\n",
			PTR_ERR(ec_dir));
		return 0;
	}
	debugfs_create_file("vms", 0400, ec_dir, NULL, &vms_fops);
	debugfs_create_file("hist", 0400, ec_dir, NULL, &hist_fops);
	debugfs_create_file("handled", 0400, ec_dir, NULL, &handled_fops);
	debugfs_create_file("reset", 0200, ec_dir, NULL, &reset_fops);
	return 0;
}

void ec_hostview_exit(void)
{
	debugfs_remove(ec_dir);
}
