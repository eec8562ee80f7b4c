#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# exitcount without debugfs (make check suite vm-nodebugfs): the emulated
# AMD host boots with debugfs=off; the module must still load, count,
# answer guests and show its host view (/dev/exitcount). Prints TAP and
# "N passed, M failed". Environment: lib.sh's (KVER, KEEP=1, EXITCOUNT_KO,
# TMPDIR, V=1) and VM_TIMEOUT (seconds QEMU may run, default 300).
set -u

# shellcheck source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

: "${VM_TIMEOUT:=300}"
t0=$(date +%s)
ec_pick_kver
ec_ensure_deps svm
ec_make_workdir
build_ok=1
ec_build_module || build_ok=0
ec_build_progs "$EC_WORK/progs" kvm_protocol kvm_exits kvm_regs kvm_hist
ec_make_initramfs svm "$EC_WORK/progs" "$EC_VMDIR/nodebugfs-host.sh" "$EC_WORK/initrd.gz"
EC_APPEND="$EC_APPEND debugfs=off"
E9=$EC_WORK/e9.txt
SERIAL=$EC_WORK/serial.txt
: >"$E9"
ec_run_qemu "$EC_WORK/initrd.gz" "$E9" "$SERIAL" "$VM_TIMEOUT"
emu_rc=$?
{
	echo "# exitcount with debugfs=off, QEMU, kernel $KVER"
	if [ $build_ok = 1 ]; then
		echo "ok - build exitcount.ko for $KVER"
	else
		echo "not ok - build exitcount.ko for $KVER"
	fi
	[ "$emu_rc" = 124 ] && echo "not ok - QEMU finished within ${VM_TIMEOUT} s"
	ec_e9_extract "$E9" "# exitcount-vm-tests: begin" "# exitcount-vm-tests: end"
} >"$EC_WORK/report.in"
ec_finish nodebugfs "$EC_WORK/report.in" "$E9" "$SERIAL" "$t0"
