#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-kernels: the VM tests of both ISAs on the kernels make check
# leaves out, Debian 11's 5.10 and Debian experimental's newest, each
# unpacked from its release's packages and with exitcount.ko built in a
# chroot of that release (KERNEL_FROM, tests/chroot.sh). Ends with
# "N passed, N failed". Downloads about 1 GB the first time.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

# shellcheck source=tests/suites.sh
. tests/suites.sh

tests/deps.sh || { echo "0 passed, 1 failed"; exit 1; }

bochs_suites() {
	suite vm-vmx-5.10 env KERNEL_FROM=debian-5.10 tests/vm/run-vmx.sh
	suite vm-vmx-experimental env KERNEL_FROM=debian-experimental \
		tests/vm/run-vmx.sh
}
suites_background bochs_suites

suite vm-svm-5.10 env KERNEL_FROM=debian-5.10 tests/vm/run-svm.sh
suite vm-svm-experimental env KERNEL_FROM=debian-experimental \
	tests/vm/run-svm.sh

suites_report
