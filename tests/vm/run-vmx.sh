#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# VM tests on an emulated Intel host (Bochs, VMX with EPT, kvm_intel):
# builds exitcount.ko and the test programs for Debian's stock 6.1 kernel,
# boots once, runs every VM test in the emulated host and prints TAP and
# "N passed, M failed". See run-tests.sh and lib.sh for the environment.
exec "$(dirname "${BASH_SOURCE[0]}")/run-tests.sh" vmx "$@"
