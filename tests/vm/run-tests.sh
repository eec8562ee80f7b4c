#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run the VM tests of one ISA in an emulated host booting Debian's stock
# kernel (one boot: all the tests of that ISA run in it):
#   run-tests.sh svm   QEMU TCG, -cpu max (AMD SVM with NPT), kvm_amd
#   run-tests.sh vmx   Bochs, corei7_skylake_x (Intel VMX with EPT), kvm_intel
# run-svm.sh and run-vmx.sh call this. Prints the TAP lines of the run and
# a last line "N passed, M failed"; exits non-zero when anything failed or
# the emulated host never printed its end marker.
#
# Environment: see lib.sh (KVER, KEEP=1, EXITCOUNT_KO, TMPDIR, V=1), plus
#   VM_TIMEOUT   seconds the emulator may run (default 300 QEMU, 1500 Bochs)
#   CHURN_VMS    VMs kvm_churn creates and destroys (default 1000)
#   FUZZ_CPUIDS  random CPUIDs of kvm_fuzz (default 100000)
#   LOAD_CYCLES  rmmod/insmod cycles of kvm_reload (default 50)
#   BOCHS_CPUS   CPUs of the Bochs machine (default 1)
set -u

# shellcheck source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ISA=${1:-}
case $ISA in
svm) EMU=QEMU; : "${VM_TIMEOUT:=300}" ;;
vmx) EMU=Bochs; : "${VM_TIMEOUT:=1500}" ;;
*) ec_die "usage: $0 svm|vmx" ;;
esac

t0=$(date +%s)
ec_pick_kver
ec_ensure_deps "$ISA"
ec_make_workdir

# The module may not build yet (it is being written): the emulated host
# then runs the tests without it and they fail, as they must.
build_ok=1
ec_build_module || build_ok=0
ec_build_progs "$EC_WORK/progs"
# The CLI for exitcount --host in the emulated host; promtool checks its
# --prometheus output here afterwards (Debian's promtool is not static).
ec_ensure_pkgs libcpuid-dev pkg-config prometheus
if ! ec_quiet "$EC_WORK/build-cli.log" make -C "$EC_ROOT/guest-cli" exitcount; then
	cat "$EC_WORK/build-cli.log" >&2
	ec_die "building the exitcount CLI failed"
fi
cp "$EC_ROOT/guest-cli/exitcount" "$EC_WORK/progs/"
cat >"$EC_WORK/progs/config.sh" <<EOF
CHURN_VMS=${CHURN_VMS:-1000}
FUZZ_CPUIDS=${FUZZ_CPUIDS:-100000}
LOAD_CYCLES=${LOAD_CYCLES:-50}
EOF
ec_make_initramfs "$ISA" "$EC_WORK/progs" "$EC_VMDIR/in-host.sh" "$EC_WORK/initrd.gz"
t1=$(date +%s)
ec_log "$ISA: built for $KVER in $((t1 - t0)) s; booting $EMU (timeout ${VM_TIMEOUT} s)"

E9=$EC_WORK/e9.txt
SERIAL=$EC_WORK/serial.txt
: >"$E9"
if [ "$ISA" = svm ]; then
	ec_run_qemu "$EC_WORK/initrd.gz" "$E9" "$SERIAL" "$VM_TIMEOUT"
else
	ec_run_bochs "$EC_WORK/initrd.gz" "$E9" "$SERIAL" "$VM_TIMEOUT"
fi
emu_rc=$?
t2=$(date +%s)
ec_log "$ISA: $EMU ran $((t2 - t1)) s (status $emu_rc)"

{
	echo "# exitcount VM tests, $ISA ($EMU), kernel $KVER, host side"
	if [ $build_ok = 1 ]; then
		echo "ok - build exitcount.ko for $KVER"
	else
		echo "not ok - build exitcount.ko for $KVER"
		tail -n 30 "$EC_MODULE_LOG" | sed 's/^/#   /'
	fi
	if [ "$emu_rc" = 124 ]; then
		echo "not ok - $EMU finished within ${VM_TIMEOUT} s"
	fi
	ec_e9_extract "$E9" "# exitcount-vm-tests: begin" "# exitcount-vm-tests: end" |
		tee "$EC_WORK/e9.tap"
	sed -n 's/^# prom: //p' "$EC_WORK/e9.tap" >"$EC_WORK/prom.txt"
	out=
	if [ -s "$EC_WORK/prom.txt" ] && out=$(promtool check metrics <"$EC_WORK/prom.txt" 2>&1); then
		echo "ok - promtool check metrics: exitcount --host --prometheus of the emulated host"
	else
		echo "not ok - promtool check metrics: exitcount --host --prometheus of the emulated host"
		echo "${out:-(no output)}" | sed 's/^/#   /'
	fi
} >"$EC_WORK/report.in"
ec_finish "$ISA" "$EC_WORK/report.in" "$E9" "$SERIAL" "$t0"
