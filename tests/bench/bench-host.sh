# SPDX-License-Identifier: GPL-2.0
#
# Runs as /test.sh in the emulated host (busybox sh, root) for make bench:
# the exit loops (stock CPUID, OUT, exitcount query) under each
# configuration, the configurations alternating within each round so
# that drift hits them alike. Prints
#   RESULT <round> <config> <kind> <vcpus> <ns per exit of each vCPU>
# between a begin and an end marker, to port 0xE9.
#   a  no module            b  exitcount (defaults)
#   c  exitcount scope=host d  exitcount guest_query=0
#   e  no module, kvm:kvm_exit and kvm:kvm_entry traced into the buffer
# With bench_qcost_vms=K on the command line, only kvm_qcost runs instead,
# under exitcount scope=host and scope=vm: its "QCOST <scope> <K> <kind>
# <ns none> <ns K>" lines (a query's cost with no other VM and K idle VMs).

ROUNDS=$(sed -n 's/.*bench_rounds=\([0-9]*\).*/\1/p' /proc/cmdline)
EXITS=$(sed -n 's/.*bench_exits=\([0-9]*\).*/\1/p' /proc/cmdline)
CONFIGS="a b c d e"
EV=/sys/kernel/tracing/events/kvm

setup() { # CONFIG
	case $1 in
	b) insmod /modules/exitcount.ko ;;
	c) insmod /modules/exitcount.ko scope=host ;;
	d) insmod /modules/exitcount.ko guest_query=0 ;;
	e) echo 1 >$EV/kvm_exit/enable && echo 1 >$EV/kvm_entry/enable ;;
	esac
}

teardown() { # CONFIG
	case $1 in
	b | c | d) rmmod exitcount ;;
	e) echo 0 >$EV/kvm_exit/enable && echo 0 >$EV/kvm_entry/enable &&
		echo >/sys/kernel/tracing/trace ;;
	esac
}

measure() { # ROUND CONFIG KIND VCPUS
	out=$(/tests/exit_loop "$3" "$4" "$EXITS") || {
		echo "ERROR $1 $2 $3 $4 exit_loop failed"
		return
	}
	echo "RESULT $1 $2 $3 $4 ${out##*ns_per_exit=}"
}

echo "# exitcount-bench: begin"
echo "# kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPUs"
while read -r m; do insmod "/modules/$m"; done </modules/kvm.list
dmesg -c >/dev/null
QCOST_VMS=$(sed -n 's/.*bench_qcost_vms=\([0-9]*\).*/\1/p' /proc/cmdline)
[ -n "$QCOST_VMS" ] && ROUNDS=0
for scope in ${QCOST_VMS:+host vm}; do
	insmod /modules/exitcount.ko scope=$scope || echo "ERROR qcost $scope insmod failed"
	# Exit status 1: a claim failed (the figures are what we want here).
	/tests/kvm_qcost --bench --scope=$scope --vms="$QCOST_VMS" --n="$EXITS" >/tmp/qcost.out 2>&1
	[ $? -le 1 ] || { echo "ERROR qcost $scope failed:"; cat /tmp/qcost.out; }
	grep '^QCOST ' /tmp/qcost.out
	rmmod exitcount
done
r=1
while [ $r -le "$ROUNDS" ]; do
	for c in $CONFIGS; do
		setup $c || echo "ERROR $r $c setup failed"
		measure $r $c cpuid 1
		measure $r $c io 1
		measure $r $c query 1
		[ "$(grep -c ^processor /proc/cpuinfo)" -ge 2 ] &&
			measure $r $c cpuid 2
		teardown $c
	done
	r=$((r + 1))
done
dmesg | grep -E 'WARNING|BUG|Oops|Call Trace' && echo "ERROR kernel log"
echo "# exitcount-bench: end"
