// SPDX-License-Identifier: GPL-2.0
/*
 * exitcount: count every KVM VM exit per reason, and the host cycles it
 * took, on a stock kernel; answer the guest's CPUID leaves with the counts.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <exitcount/version.h>
#include "counters.h"
#include "hooks.h"
#include "hostview.h"
#include "kvm_glue.h"
#include "params.h"

bool ec_scope_host;
bool ec_guest_query = true;
char *ec_destroy_hook = "kvm_arch_destroy_vm";
bool ec_direct_reason = true;

static int scope_set(const char *val, const struct kernel_param *kp)
{
	if (!sysfs_streq(val, "vm") && !sysfs_streq(val, "host")) {
		pr_err("scope=%s: allowed values are vm and host\n", val);
		return -EINVAL;
	}
	ec_scope_host = sysfs_streq(val, "host");
	return 0;
}

static int scope_get(char *buf, const struct kernel_param *kp)
{
	return sysfs_emit(buf, "%s\n", ec_scope_host ? "host" : "vm");
}

static const struct kernel_param_ops scope_ops = {
	.set = scope_set,
	.get = scope_get,
};
module_param_cb(scope, &scope_ops, NULL, 0444);
MODULE_PARM_DESC(scope, "vm (default): a guest reads its own VM's exits; host: all VMs' exits together");

static int guest_query_set(const char *val, const struct kernel_param *kp)
{
	if (sysfs_streq(val, "0") || sysfs_streq(val, "1"))
		return param_set_bool(val, kp);
	pr_err("guest_query=%s: allowed values are 0 and 1\n", val);
	return -EINVAL;
}

static const struct kernel_param_ops guest_query_ops = {
	.set = guest_query_set,
	.get = param_get_bool,
};
module_param_cb(guest_query, &guest_query_ops, &ec_guest_query, 0444);
MODULE_PARM_DESC(guest_query, "1 (default): answer the exitcount CPUID leaves; 0: count only, guests see stock KVM");

module_param_named(destroy_hook, ec_destroy_hook, charp, 0444);
MODULE_PARM_DESC(destroy_hook, "for testing only: the KVM function hooked to learn of VM teardown");

module_param_named(direct_reason, ec_direct_reason, bool, 0444);
MODULE_PARM_DESC(direct_reason, "for testing only: 0 reads every exit reason through KVM's get_exit_info()");

static int __init exitcount_init(void)
{
	int ret;

	ret = ec_kvm_init();
	if (ret)
		return ret;
	ret = ec_counters_init();
	if (ret)
		return ret;
	ret = ec_hostview_init();
	if (ret)
		goto err_counters;
	ret = ec_hooks_register();
	if (ret)
		goto err_hostview;
	pr_info("counting %s exits (scope=%s, guest_query=%d)\n",
		ec_kvm.table->isa_name, ec_scope_host ? "host" : "vm",
		ec_guest_query);
	return 0;

err_hostview:
	ec_hostview_exit();
err_counters:
	ec_counters_exit();
	return ret;
}

static void __exit exitcount_exit(void)
{
	ec_hooks_unregister();
	ec_hostview_exit();
	ec_counters_exit();
}

module_init(exitcount_init);
module_exit(exitcount_exit);

MODULE_DESCRIPTION("Count KVM VM exits per reason and answer guest CPUID queries");
MODULE_LICENSE("GPL");
MODULE_VERSION(EXITCOUNT_VERSION);
