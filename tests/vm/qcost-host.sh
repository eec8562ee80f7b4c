# SPDX-License-Identifier: GPL-2.0
#
# Runs as /test.sh in the emulated host of run-qcost.sh (busybox sh, root,
# QEMU -icount: the clock counts instructions): loads the stock KVM
# modules, then kvm_qcost with exitcount loaded scope=host, and again with
# scope=vm. Prints TAP lines between a begin and an end marker. Sizes
# come from /tests/config.sh (QCOST_VMS idle VMs, QCOST_EXITS per figure,
# QCOST_TOTALS_BASE the plain exit of the totals claim: cpuid0 or kvm).

BEGIN="# exitcount-vm-tests: begin"
MARKER="# exitcount-vm-tests: end"
T=/tests
KO=/modules/exitcount.ko
QCOST_VMS=1000
QCOST_EXITS=20000
QCOST_TOTALS_BASE=cpuid0
[ -f $T/config.sh ] && . $T/config.sh

# shellcheck source=tests/vm/tap-host.sh
. $T/tap-host.sh

echo "$BEGIN"
echo "# emulated host: uname -r $(uname -r), $(grep -c ^processor /proc/cpuinfo) CPU(s)"
while read -r m; do
	check "insmod $m" insmod "/modules/$m"
done </modules/kvm.list
dmesg -c >/dev/null
check "exitcount.ko is in the initramfs (it built)" test -f $KO
for scope in host vm; do
	check "insmod exitcount.ko scope=$scope" insmod $KO scope=$scope
	# The 1.5x totals target is for scope=host; scope=vm only prints it.
	[ $scope = host ] && tl=1.5 || tl=0
	run "kvm_qcost[$scope]" $T/kvm_qcost --scope=$scope --vms="$QCOST_VMS" \
		--n="$QCOST_EXITS" --totals-limit="$tl" --totals-base="$QCOST_TOTALS_BASE"
	check "rmmod exitcount" rmmod exitcount
done
bad=$(dmesg | grep -E 'WARNING|BUG|Oops|Call Trace|RIP:|missed [0-9]+ guest quer')
check "dmesg: no WARNING, BUG, Oops, Call Trace, missed query" test -z "$bad"
[ -n "$bad" ] && echo "$bad" | sed 's/^/#   bad: /'
echo "$MARKER"
