#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check-long: the VM tests with the settings too slow for make check.
#   - QEMU (SVM): 10,000 VMs churned, 1,000,000 random CPUIDs, 200
#     rmmod/insmod cycles under a running VM;
#   - Bochs (VMX) with 2 CPUs (make check's Bochs has 1, so there the
#     concurrency tests interleave threads on one CPU), default sizes.
# Prints each run's TAP and a last line "N passed, M failed" over both;
# exits non-zero when anything failed. Environment as run-tests.sh.
set -u
cd "$(dirname "${BASH_SOURCE[0]}")" || exit 1

passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

suite() { # NAME CMD...
	local name=$1 rc p f
	shift
	echo "== $name: $*"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	p=$(sed -n 's/^\([0-9]\+\) passed, [0-9]\+ failed$/\1/p' "$log" | tail -n 1)
	f=$(sed -n 's/^[0-9]\+ passed, \([0-9]\+\) failed$/\1/p' "$log" | tail -n 1)
	p=${p:-0}
	f=${f:-0}
	[ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	passed=$((passed + p))
	failed=$((failed + f))
	echo "== $name: $p passed, $f failed (exit $rc)"
}

suite svm-large env CHURN_VMS=10000 FUZZ_CPUIDS=1000000 LOAD_CYCLES=200 \
	VM_TIMEOUT="${VM_TIMEOUT:-2400}" ./run-svm.sh
# Bochs with 2 CPUs ran 2378 s once, with make check beside it.
suite vmx-2cpus env BOCHS_CPUS=2 VM_TIMEOUT="${VM_TIMEOUT:-3600}" ./run-vmx.sh

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
