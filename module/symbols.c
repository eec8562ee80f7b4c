// SPDX-License-Identifier: GPL-2.0
/*
 * Symbols of KVM's modules, read from the modules' own symbol tables.
 *
 * kallsyms_lookup_name() is not exported, and called through a pointer
 * found with a kprobe it is an indirect call into a function whose
 * ENDBR64 objtool has sealed (its address is never taken): a #CP, and
 * with ibt=fatal a BUG, on CPUs that enforce IBT. Everything exitcount
 * needs lives in kvm.ko and the vendor module, whose symbol tables are
 * plain data: walk the module list under RCU-sched and read them the way
 * kernel/module/kallsyms.c does. Nothing here is called, so nothing here
 * can land on a sealed ENDBR.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/rcupdate.h>
#include "symbols.h"

/*
 * The module list is circular through a list head in the kernel's data,
 * which is no module: on x86-64 every struct module sits in the module
 * mapping, the head does not.
 */
static bool is_module_node(const struct list_head *node)
{
	unsigned long addr = (unsigned long)node;

	return addr >= MODULES_VADDR && addr < MODULES_END;
}

struct module *ec_module_get(const char *name)
{
	struct module *found = NULL;
	struct list_head *node = &THIS_MODULE->list;

	preempt_disable();
	while ((node = rcu_dereference_sched(list_next_rcu(node))) !=
	       &THIS_MODULE->list) {
		struct module *mod = list_entry(node, struct module, list);

		if (!is_module_node(node) ||
		    mod->state == MODULE_STATE_UNFORMED ||
		    strcmp(mod->name, name))
			continue;
		if (try_module_get(mod))
			found = mod;
		break;
	}
	preempt_enable();
	return found;
}

static const Elf_Sym *find_symbol(const struct mod_kallsyms *ks,
				  const char *name)
{
	unsigned int i;

	for (i = 0; i < ks->num_symtab; i++) {
		const Elf_Sym *sym = &ks->symtab[i];

		if (sym->st_shndx != SHN_UNDEF &&
		    !strcmp(ks->strtab + sym->st_name, name))
			return sym;
	}
	return NULL;
}

int ec_module_symbol(struct module *mod, const char *name,
		     struct ec_symbol *out)
{
	const Elf_Sym *sym;

	/* A module's table moves from its init copy once its init is done. */
	preempt_disable();
	sym = find_symbol(rcu_dereference_sched(mod->kallsyms), name);
	if (sym) {
		out->addr = sym->st_value;
		out->size = sym->st_size;
	}
	preempt_enable();
	if (!sym) {
		pr_err("symbol %s not found in module %s\n", name, mod->name);
		return -ENOENT;
	}
	return 0;
}
