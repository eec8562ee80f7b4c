#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: the per-exit cost of exitcount, measured inside emulated
# hosts whose clock counts executed instructions (QEMU -icount, Bochs
# with a fixed ips and clock sync=none), so that a figure repeats from
# run to run. QEMU (SVM) boots twice to show that it does; Bochs (VMX)
# once. QEMU does not bring up a second CPU under -icount, so the
# 2-vCPU figures come from a third QEMU boot with 2 CPUs and real-time
# clock: those vary from run to run. A fourth QEMU -icount boot ("qcost")
# runs tests/vm/kvm_qcost: each query leaf's cost with no other VM and with
# BENCH_QCOST_VMS idle VMs, scope=host and scope=vm. Prints the tables of
# report.py.
#
# Environment: lib.sh's (KVER, KEEP=1, V=1), and
#   BENCH_EXITS   exits per measurement (default 100000)
#   BENCH_ROUNDS  rounds of every configuration (default 3)
#   BENCH_ISAS    which paths (default "svm vmx")
#   BENCH_SVM_RUNS  QEMU boots: 1, 2 (-icount), smp, qcost (default "1 2 qcost")
#   BENCH_QCOST_VMS idle VMs of the qcost boot (default 1000)
#   BENCH_VMX_RUNS  Bochs boots: 1 (1 CPU), smp (2 CPUs) (default "1 smp")
set -u

. "$(dirname "${BASH_SOURCE[0]}")/../vm/lib.sh"
BENCH=$EC_ROOT/tests/bench
: "${BENCH_EXITS:=100000}" "${BENCH_ROUNDS:=3}" "${BENCH_ISAS:=svm vmx}"
: "${BENCH_SVM_RUNS:=1 2 qcost}" "${BENCH_VMX_RUNS:=1 smp}"
: "${BENCH_QCOST_VMS:=1000}"
BEGIN="# exitcount-bench: begin"
END="# exitcount-bench: end"

build() {
	local cflags=(-static -O2 -Wall -Wextra -Werror -std=gnu11)
	mkdir -p "$EC_WORK/progs"
	ec_build_module || { cat "$EC_MODULE_LOG" >&2; ec_die "module build failed"; }
	gcc "${cflags[@]}" -pthread -o "$EC_WORK/progs/exit_loop" \
		"$BENCH/exit_loop.c" || ec_die "building exit_loop failed"
	gcc "${cflags[@]}" -o "$EC_WORK/progs/e9cat" "$EC_VMDIR/e9cat.c" ||
		ec_die "building e9cat failed"
	gcc "${cflags[@]}" -I"$EC_ROOT/include" -I"$EC_VMDIR" -o "$EC_WORK/progs/kvm_qcost" \
		"$EC_VMDIR/kvm_qcost.c" "$EC_VMDIR/kvm_util.c" "$EC_ROOT/module/reasons.c" ||
		ec_die "building kvm_qcost failed"
}

qemu() { # INITRD E9 APPEND ACCEL...
	local initrd=$1 e9=$2 append=$3
	shift 3
	ec_emulate timeout 3600 qemu-system-x86_64 -cpu max -m 1024 "$@" \
		-nographic -no-reboot -monitor none \
		-serial "file:$EC_WORK/serial.txt" \
		-kernel "$EC_VMLINUZ" -initrd "$initrd" \
		-append "$append" -debugcon "file:$e9" \
		-global isa-debugcon.iobase=0xe9 </dev/null >/dev/null 2>&1
}

# One boot of ISA; its RESULT lines are appended to OUT, tagged RUN. RUN
# "smp" boots QEMU with 2 CPUs and no -icount.
boot() { # ISA RUN OUT
	local e9=$EC_WORK/e9-$1-$2.txt initrd=$EC_WORK/initrd-$1.gz
	[ -f "$initrd" ] ||
		ec_make_initramfs "$1" "$EC_WORK/progs" "$BENCH/bench-host.sh" "$initrd"
	: >"$e9"
	if [ "$2" = qcost ]; then
		ec_log "bench: $1 run $2 (kvm_qcost: $BENCH_EXITS exits a figure, $BENCH_QCOST_VMS idle VMs)"
	else
		ec_log "bench: $1 run $2 ($BENCH_ROUNDS rounds of $BENCH_EXITS exits)"
	fi
	case $1-$2 in
	svm-smp) qemu "$initrd" "$e9" "$EC_APPEND" -accel tcg -smp 2 ;;
	svm-qcost) qemu "$initrd" "$e9" "$EC_APPEND bench_qcost_vms=$BENCH_QCOST_VMS" \
		-accel tcg -icount shift=0,sleep=off -smp 1 -m 2048 ;;
	svm-*) qemu "$initrd" "$e9" "$EC_APPEND" -accel tcg -icount shift=0,sleep=off -smp 1 ;;
	vmx-smp) BOCHS_CPUS=2 ec_run_bochs "$initrd" "$e9" "$EC_WORK/serial.txt" 7200 ;;
	vmx-*) ec_run_bochs "$initrd" "$e9" "$EC_WORK/serial.txt" 7200 ;;
	esac
	ec_e9_extract "$e9" "$BEGIN" "$END" | grep -q "^$END" ||
		ec_die "$1 run $2: the emulated host did not finish (see KEEP=1)"
	ec_e9_extract "$e9" "$BEGIN" "$END" |
		sed -n -e "s/^RESULT /$1 $2 /p" -e "s/^\(ERROR .*\)/$1 $2 \1/p" \
			-e "s/^QCOST /$1 $2 QCOST /p" \
			-e 's/^# kernel /# '"$1 $2"' kernel /p' >>"$3"
}

ec_pick_kver
ec_ensure_deps $BENCH_ISAS
ec_ensure_pkgs python3
ec_make_workdir
EC_APPEND="$EC_APPEND bench_rounds=$BENCH_ROUNDS bench_exits=$BENCH_EXITS"
build
results=$EC_WORK/results.txt
boots=()
for isa in $BENCH_ISAS; do
	[ "$isa" = svm ] && runs=$BENCH_SVM_RUNS || runs=$BENCH_VMX_RUNS
	for run in $runs; do
		boots+=("$isa $run")
	done
done
# The default set took 40 to 70 minutes on 2 cores, most of it in Bochs.
ec_log "bench: ${#boots[@]} boots (${boots[*]}); the defaults take 40-70 minutes on a 2-core machine; Ctrl-C stops the emulator too"
n=0
for b in "${boots[@]}"; do
	n=$((n + 1))
	t=$(date +%s)
	ec_log "bench: boot $n of ${#boots[@]}: $b"
	# shellcheck disable=SC2086 # "ISA RUN"
	boot $b "$results"
	ec_log "bench: boot $n of ${#boots[@]} done in $(($(date +%s) - t)) s"
done
python3 "$BENCH/report.py" "$results"
