#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
#   tests/vm/run-qcost.sh [svm|vmx]
#
# Query cost against the host's size (make check suites vm-qcost and
# vm-qcost-vmx): one boot of an emulated host whose clock counts
# instructions, so that a figure repeats exactly, running kvm_qcost with
# exitcount scope=host, then scope=vm: every query leaf's cost with
# QCOST_VMS idle VMs must stay within 1.10x of its cost with none, and the
# totals leaf within 1.5x of a plain CPUID exit. Prints TAP and
# "N passed, M failed".
#   svm (default): AMD, QEMU TCG -icount shift=0,sleep=off, 1 CPU, -m 2048.
#   vmx: Intel, Bochs corei7_skylake_x (ips=400000000, clock sync=none:
#        its clock too is instruction-based), 1 CPU, BOCHS_MEGS=2048.
#
# Environment: lib.sh's (KVER, KEEP=1, EXITCOUNT_KO, TMPDIR, V=1), plus
#   QCOST_VMS    idle VMs held open (default 1000)
#   QCOST_EXITS  exits per figure (default 20000)
#   VM_TIMEOUT   seconds the emulator may run (default 900 svm, 1800 vmx)
#   BOCHS_MEGS   the Bochs machine's memory in MB (default here 2048)
#   QCOST_TOTALS_BASE  the plain CPUID exit the totals leaf is held to:
#                cpuid0 (svm default) or kvm (vmx default: KVM's own answer
#                to 0x4FFFFFFB, which on Bochs costs 1.5x a CPUID 0 exit by
#                itself: see kvm_qcost.c)
set -u

# shellcheck source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ISA=${1:-svm}
case $ISA in
svm) : "${VM_TIMEOUT:=900}" "${QCOST_EXITS:=20000}" "${QCOST_TOTALS_BASE:=cpuid0}"; EMU=QEMU ;;
vmx) : "${VM_TIMEOUT:=1800}" "${QCOST_EXITS:=20000}" "${BOCHS_MEGS:=2048}" "${QCOST_TOTALS_BASE:=kvm}"; EMU=Bochs ;;
*) echo "usage: $0 [svm|vmx]" >&2; exit 2 ;;
esac
: "${QCOST_VMS:=1000}"
t0=$(date +%s)
ec_pick_kver
ec_ensure_deps "$ISA"
ec_make_workdir
build_ok=1
ec_build_module || build_ok=0
ec_build_progs "$EC_WORK/progs" kvm_qcost
cat >"$EC_WORK/progs/config.sh" <<EOC
QCOST_VMS=$QCOST_VMS
QCOST_EXITS=$QCOST_EXITS
QCOST_TOTALS_BASE=$QCOST_TOTALS_BASE
EOC
ec_make_initramfs "$ISA" "$EC_WORK/progs" "$EC_VMDIR/qcost-host.sh" "$EC_WORK/initrd.gz"
t1=$(date +%s)
ec_log "qcost: built for $KVER in $((t1 - t0)) s; booting $EMU ($ISA, timeout ${VM_TIMEOUT} s)"

E9=$EC_WORK/e9.txt
SERIAL=$EC_WORK/serial.txt
: >"$E9"
if [ "$ISA" = svm ]; then
	# -icount: QEMU brings up one CPU only; room for the idle VMs.
	ec_run_qemu "$EC_WORK/initrd.gz" "$E9" "$SERIAL" "$VM_TIMEOUT" \
		-icount shift=0,sleep=off -smp 1 -m 2048
	emu_rc=$?
	clock="QEMU -icount shift=0"
else
	# Bochs: ips=400000000 and clock sync=none (lib.sh): instruction-based
	# time; 1 CPU; BOCHS_MEGS of memory for the idle VMs.
	BOCHS_CPUS=1 BOCHS_MEGS=$BOCHS_MEGS ec_run_bochs "$EC_WORK/initrd.gz" \
		"$E9" "$SERIAL" "$VM_TIMEOUT"
	emu_rc=$?
	clock="Bochs ips=400000000 sync=none, ${BOCHS_MEGS} MB"
fi
ec_log "qcost: $EMU ran $(($(date +%s) - t1)) s (status $emu_rc)"
{
	echo "# exitcount query cost ($ISA), $clock, kernel $KVER, $QCOST_VMS idle VMs, $QCOST_EXITS exits per figure"
	if [ $build_ok = 1 ]; then
		echo "ok - build exitcount.ko for $KVER"
	else
		echo "not ok - build exitcount.ko for $KVER"
		tail -n 30 "$EC_MODULE_LOG" | sed 's/^/#   /'
	fi
	[ "$emu_rc" = 124 ] && echo "not ok - $EMU finished within ${VM_TIMEOUT} s"
	ec_e9_extract "$E9" "# exitcount-vm-tests: begin" "# exitcount-vm-tests: end"
} >"$EC_WORK/report.in"
ec_finish "qcost-$ISA" "$EC_WORK/report.in" "$E9" "$SERIAL" "$t0"
