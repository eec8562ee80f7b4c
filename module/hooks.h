/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Where exitcount attaches to KVM: the kvm_exit/kvm_entry tracepoints
 * (counting and timing), the kvm_cpuid tracepoint and a kretprobe on the
 * emulator's CPUID (answering guests), and an ftrace_ops on VM teardown
 * (freeing per-VM state).
 */
#ifndef EXITCOUNT_HOOKS_H
#define EXITCOUNT_HOOKS_H

int ec_hooks_register(void);
void ec_hooks_unregister(void);

#endif /* EXITCOUNT_HOOKS_H */
