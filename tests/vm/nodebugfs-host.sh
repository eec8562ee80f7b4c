# SPDX-License-Identifier: GPL-2.0
#
# Runs as /test.sh in the emulated host of run-nodebugfs.sh, booted with
# debugfs=off: exitcount loads with a warning, counts and answers.

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
check "dmesg says it runs without the host view" \
	sh -c "dmesg | grep -q 'exitcount: no debugfs'"
run "kvm_protocol[no debugfs]" $T/kvm_protocol --expect=vm --no-hostview \
	--tag="kvm_protocol[no debugfs]"
run "kvm_regs[no debugfs]" $T/kvm_regs --tag="kvm_regs[no debugfs]"
check "rmmod exitcount" rmmod exitcount
bad=$(dmesg | grep -E 'WARNING|BUG|Oops|Call Trace|RIP:')
check "dmesg: no WARNING, BUG, Oops, Call Trace" test -z "$bad"
[ -n "$bad" ] && echo "$bad" | sed 's/^/#   bad: /'
echo "$MARKER"
