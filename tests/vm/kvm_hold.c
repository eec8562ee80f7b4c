// SPDX-License-Identifier: GPL-2.0
/*
 * kvm_hold: a VM that stays, for exitcount --host to name and count.
 *
 *   kvm_hold [ANYTHING...]
 *
 * Its arguments are ignored: they are there for /proc/PID/cmdline, as a
 * VMM's (-name guest=alpha). Creates a VM, runs a known mix of exits,
 * prints "# kvm_hold: ready", then waits without running the vCPU (so its
 * counts stay put) until a signal ends the process, and with it the VM.
 */
#include <stdio.h>
#include <unistd.h>

#include "kvm_util.h"

int main(void)
{
	static const struct exit_mix mix = {
		.outs = 3, .cpuids = 7, .hlts = 2, .rdmsrs = 1,
	};
	struct kvm_vm *vm = vm_create();

	vcpu_exit_mix(vm->vcpu, &mix);
	printf("# kvm_hold: ready\n");
	fflush(stdout);
	for (;;)
		pause();
}
