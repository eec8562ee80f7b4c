# SPDX-License-Identifier: GPL-2.0
#
# Runs as /test.sh in the emulated host of run-nodebugfs.sh, booted with
# debugfs=off: exitcount loads, counts and answers, and its host view
# /dev/exitcount is there all the same.
BEGIN="# exitcount-vm-tests: begin"
MARKER="# exitcount-vm-tests: end"
T=/tests
KO=/modules/exitcount.ko

# shellcheck source=tests/vm/tap-host.sh
. $T/tap-host.sh

echo "$BEGIN"
check "the kernel has debugfs=off on its command line" grep -qw debugfs=off /proc/cmdline
check "no debugfs: mounting it fails" sh -c "! mount -t debugfs debugfs /mnt"
while read -r m; do
	check "insmod $m" insmod "/modules/$m"
done </modules/kvm.list
dmesg -c >/dev/null
check "insmod exitcount.ko without debugfs" insmod $KO
check "host view /dev/exitcount without debugfs" test -c /dev/exitcount
run "kvm_protocol[no debugfs]" $T/kvm_protocol --expect=vm --tag="kvm_protocol[no debugfs]"
run "kvm_exits[no debugfs]: host view = the VM's trace events" $T/kvm_exits
run "kvm_regs[no debugfs]" $T/kvm_regs --tag="kvm_regs[no debugfs]"
run "kvm_hist[no debugfs]: hist lines of /dev/exitcount" $T/kvm_hist
check "rmmod exitcount" rmmod exitcount
bad=$(dmesg | grep -E 'WARNING|BUG|Oops|Call Trace|RIP:')
check "dmesg: no WARNING, BUG, Oops, Call Trace" test -z "$bad"
[ -n "$bad" ] && echo "$bad" | sed 's/^/#   bad: /'
echo "$MARKER"
