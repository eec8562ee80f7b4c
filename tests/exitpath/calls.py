#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Static check of exitcount.ko: nothing reachable from the hooks that run
in atomic context (KVM's tracepoints, kprobe handlers: preemption or
interrupts off) calls a function that sleeps or allocates.

On PREEMPT_RT a spinlock_t is a sleeping lock (rt_spin_lock) and the slab
allocator takes such locks, so neither may be used with interrupts off;
the emulators cannot show that (Debian's RT kernels have no
DEBUG_ATOMIC_SLEEP), the module's own code can. The call graph comes from
`objdump -dr`: direct calls and tail calls, resolved through relocations
or the disassembler's target; a function whose address a reachable
function takes (a callback handed on, called indirectly further down) is
reachable too.

    calls.py MODULE.ko   prints TAP lines; exit status 1 on a finding
"""
import re
import subprocess
import sys

# Each hook, or its alternatives: kvm:kvm_entry has a probe for each of its
# two prototypes and the compiler keeps the one compat.h chooses.
HOOKS = ("on_kvm_exit_svm", "on_kvm_exit_vmx",
         ("on_kvm_entry", "on_kvm_entry_forced"),
         "on_kvm_cpuid", "on_destroy_vm", "on_cpuid_call", "on_cpuid_return")

# What may sleep, or allocate or free memory through the slab.
DENY = re.compile(
    r"^(__)?(kmalloc|kzalloc|kcalloc|krealloc|kmem_cache_alloc|kvmalloc|"
    r"vmalloc|vzalloc|alloc_pages|__get_free_pages|kfree|kvfree|vfree|"
    r"kmem_cache_free|mutex_lock|rt_spin_lock|rt_read_lock|rt_write_lock|"
    r"rt_mutex|down_read|down_write|down|schedule|msleep|usleep_range|"
    r"synchronize_rcu|synchronize_srcu|wait_for_completion|__might_sleep|"
    r"might_sleep|flush_work|cancel_work_sync|rcu_barrier|"
    r"tracepoint_synchronize_unregister|kmalloc_trace|kmalloc_node_trace)"
    r"(_[a-z_]+)?$")

FUNC = re.compile(r"^[0-9a-f]+ <([^>]+)>:$")
INSN = re.compile(r"^\s+[0-9a-f]+:\s+(\S+)\s*(.*)$")
RELOC = re.compile(r"^\s+[0-9a-f]+: R_X86_64_\w+\s+([^+\-\s]+)")
TARGET = re.compile(r"<([^+>]+)(\+0x[0-9a-f]+)?>")


def parse(ko):
    """{function: (calls, addresses taken)} of the module's own code."""
    out = subprocess.run(["objdump", "-dr", "--no-show-raw-insn", ko],
                         check=True, capture_output=True, text=True).stdout
    funcs, cur, last = {}, None, None
    for line in out.splitlines():
        m = FUNC.match(line)
        if m:
            cur = m.group(1)
            funcs[cur] = (set(), set())
            continue
        if cur is None:
            continue
        m = INSN.match(line)
        if m and not RELOC.match(line):
            last = m.group(1)
            t = TARGET.search(m.group(2))
            if last.startswith(("call", "jmp")) and t and t.group(1) != cur:
                funcs[cur][0].add(t.group(1))
            continue
        m = RELOC.match(line)
        if m:
            kind = 0 if last and last.startswith(("call", "jmp")) else 1
            funcs[cur][kind].add(m.group(1))
    return funcs


def roots(funcs):
    """The hooks found in the module, and those missing."""
    found, missing = [], []
    for h in HOOKS:
        alts = h if isinstance(h, tuple) else (h,)
        have = [a for a in alts if a in funcs]
        found += have
        if not have:
            missing.append("|".join(alts))
    return found, missing


def reachable(funcs, found):
    """Each function reachable from the hooks, with the path to it."""
    path = {r: [r] for r in found}
    todo = list(path)
    while todo:
        f = todo.pop()
        calls, taken = funcs.get(f, (set(), set()))
        for g in calls | {t for t in taken if t in funcs}:
            if g not in path:
                path[g] = path[f] + [g]
                if g in funcs:
                    todo.append(g)
    return path


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    funcs = parse(sys.argv[1])
    found, missing = roots(funcs)
    path = reachable(funcs, found)
    bad = sorted(g for g in path if g not in funcs and DENY.match(g))
    ok = True
    if missing:
        print("not ok - hooks found in the module: missing %s" %
              ", ".join(missing))
        ok = False
    else:
        print("ok - hooks found in the module (%d)" % len(found))
    own = sum(1 for g in path if g in funcs)
    ext = sorted(g for g in path if g not in funcs)
    if bad:
        print("not ok - hooks reach nothing that sleeps or allocates")
        for g in bad:
            print("#   " + " -> ".join(path[g]))
        ok = False
    else:
        print("ok - hooks reach nothing that sleeps or allocates "
              "(%d own functions, %d external)" % (own, len(ext)))
    print("#   external: " + " ".join(ext))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
