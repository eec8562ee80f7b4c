/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Names inside KVM's own modules (kvm, kvm_intel, kvm_amd), read from each
 * module's symbol table: exitcount calls no kallsyms function for them.
 */
#ifndef EXITCOUNT_SYMBOLS_H
#define EXITCOUNT_SYMBOLS_H

#include <linux/module.h>

struct ec_symbol {
	unsigned long addr;
	unsigned long size;	/* bytes, from the symbol table */
};

/* The loaded module @name, pinned (module_put() it), or NULL. */
struct module *ec_module_get(const char *name);

/* @name in @mod's symbol table; -ENOENT, logged, when absent. */
int ec_module_symbol(struct module *mod, const char *name,
		     struct ec_symbol *out);

#endif /* EXITCOUNT_SYMBOLS_H */
