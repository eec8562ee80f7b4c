#!/bin/bash
# make check: every suite, then one closing "N passed, N failed" line.
set -uo pipefail
cd "$(dirname "$0")/.."

# shellcheck source=tests/suites.sh
. tests/suites.sh

tests/deps.sh || { echo "0 passed, 1 failed"; exit 1; }

# Run CMD on Debian's 6.12 kernel; its absence is a failure, not a skip.
on_612() {
	if [ -z "$k612" ]; then
		echo "not ok - a Debian 12 6.12 kernel with headers is installed"
		echo "0 passed, 1 failed"
		return 1
	fi
	KVER=$k612 "$@"
}
k612=$(ls /lib/modules | grep -E '^6\.12\.[0-9]+\+deb12-amd64$' | sort -V | tail -n 1)
suite unit make -s -C tests unit
suite exit-path tests/exitpath/run.sh
suite cli tests/cli/run.sh
suite fuzz make -s -C tests/fuzz fuzz-short
suite vm-svm tests/vm/run-svm.sh
suite vm-qcost tests/vm/run-qcost.sh
suite vm-nested tests/vm/nested.sh
suite vm-vmx tests/vm/run-vmx.sh
suite vm-svm-6.12 on_612 tests/vm/run-svm.sh
suite vm-qcost-6.12 on_612 tests/vm/run-qcost.sh
suite vm-vmx-6.12 on_612 tests/vm/run-vmx.sh

suites_report
