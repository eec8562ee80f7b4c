#!/bin/bash
# make check: every suite, then one closing "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

# shellcheck source=tests/suites.sh
. tests/suites.sh

tests/deps.sh || { echo "0 passed, 1 failed"; exit 1; }

# Run CMD on kernel KVER (named DESC); its absence is a failure, not a skip.
on_kernel() { # DESC KVER CMD...
	if [ -z "$2" ]; then
		echo "not ok - a Debian 12 $1 kernel with headers is installed"
		echo "0 passed, 1 failed"
		return 1
	fi
	KVER=$2 "${@:3}"
}
newest() { # REGEX: the newest kernel in /lib/modules matching it
	find /lib/modules -mindepth 1 -maxdepth 1 -printf '%f\n' |
		grep -E "^$1\$" | sort -V | tail -n 1
}
k612=$(newest '6\.12\.[0-9]+\+deb12-amd64')
krt=$(newest '6\.1\.0-[0-9]+-rt-amd64')
# Bochs (VMX) runs are the longest: three of the seven run beside the rest.
bochs_suites() {
	suite vm-vmx tests/vm/run-vmx.sh
	suite vm-vmx-6.12 on_kernel 6.12 "$k612" tests/vm/run-vmx.sh
	suite vm-vmx-sid env KERNEL_FROM=debian-sid tests/vm/run-vmx.sh
}
suites_background bochs_suites

suite unit make -s -C tests unit
suite exit-path tests/exitpath/run.sh
suite cli tests/cli/run.sh
suite deb tests/deb/run.sh
suite fuzz make -s -C tests/fuzz fuzz-short
suite vm-svm tests/vm/run-svm.sh
suite vm-qcost tests/vm/run-qcost.sh
suite vm-nodebugfs tests/vm/run-nodebugfs.sh
suite vm-nested tests/vm/nested.sh
suite vm-svm-6.12 on_kernel 6.12 "$k612" tests/vm/run-svm.sh
suite vm-qcost-6.12 on_kernel 6.12 "$k612" tests/vm/run-qcost.sh
# Debian's newest kernel (sid), whatever it is on the day
suite vm-svm-sid env KERNEL_FROM=debian-sid tests/vm/run-svm.sh
suite vm-vmx-rt on_kernel PREEMPT_RT "$krt" tests/vm/run-vmx.sh
suite vm-qcost-vmx tests/vm/run-qcost.sh vmx
suite vm-qcost-vmx-6.12 on_kernel 6.12 "$k612" tests/vm/run-qcost.sh vmx

suites_report
