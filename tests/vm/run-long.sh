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

# shellcheck source-path=SCRIPTDIR
. ../suites.sh

suite svm-large env CHURN_VMS=10000 FUZZ_CPUIDS=1000000 LOAD_CYCLES=200 \
	VM_TIMEOUT="${VM_TIMEOUT:-2400}" ./run-svm.sh
# Bochs with 2 CPUs ran 2378 s once, with make check beside it.
suite vmx-2cpus env BOCHS_CPUS=2 VM_TIMEOUT="${VM_TIMEOUT:-3600}" ./run-vmx.sh

suites_report
