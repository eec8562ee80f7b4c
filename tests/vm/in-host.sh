# SPDX-License-Identifier: GPL-2.0
#
# Runs as /test.sh inside the emulated host (busybox sh, as root), its
# output copied to I/O port 0xE9: loads the stock KVM modules and
# exitcount.ko, runs the VM tests with the module's defaults, unloaded,
# with guest_query=0 and with scope=host, then checks the kernel log.
# Prints TAP lines (numbered per test program; the host renumbers them)
# between a begin and an end marker. Files: /modules/kvm.list (KVM modules in
# insmod order), /modules/exitcount.ko (absent if it did not build),
# /tests/kvm_* (the test programs).

BEGIN="# exitcount-vm-tests: begin"
MARKER="# exitcount-vm-tests: end"
T=/tests
KO=/modules/exitcount.ko

ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; }
check() { # DESC CMD...: one TAP line for a command's success
	desc=$1
	shift
	if out=$("$@" 2>&1); then
		ok "$desc"
	else
		notok "$desc"
		[ -n "$out" ] && echo "$out" | sed 's/^/#   /'
	fi
}
# Run a test program; its exit status is a result of its own (a crash or
# a bail-out is a failure even if no "not ok" was printed).
run() { # TAG PROG ARGS...
	tag=$1
	shift
	"$@" 2>&1
	rc=$?
	if [ $rc = 0 ]; then
		ok "$tag: exit status 0"
	else
		notok "$tag: exit status $rc"
	fi
}
objects() { sed -n 's/^objects //p' /sys/kernel/debug/exitcount/vms 2>/dev/null; }
load() { # ARGS...
	check "insmod exitcount.ko${*:+ $*}" insmod $KO "$@"
	[ -d /sys/module/exitcount ]
}
unload() {
	check "rmmod exitcount" rmmod exitcount
	check "exitcount gone from /sys/module" test ! -d /sys/module/exitcount
	check "host view gone from debugfs" test ! -e /sys/kernel/debug/exitcount
}

echo "$BEGIN"
echo "# emulated host: uname -r $(uname -r)"
echo "# emulated host CPU: $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)" \
	"($(grep -c ^processor /proc/cpuinfo) CPUs, $(grep -o -w -E 'svm|vmx' /proc/cpuinfo | sort -u | tr '\n' ' '))"

while read -r m; do
	check "insmod $m" insmod "/modules/$m"
done </modules/kvm.list
check "/dev/kvm exists" test -c /dev/kvm
# The emulators' own boot warnings come before this point.
dmesg -c >/dev/null

check "exitcount.ko is in the initramfs (it built)" test -f $KO

# --- defaults: scope=vm, guest_query=1
load
check "host view files /sys/kernel/debug/exitcount/{vms,handled,reset}" \
	test -f /sys/kernel/debug/exitcount/vms -a -f /sys/kernel/debug/exitcount/handled \
	-a -f /sys/kernel/debug/exitcount/reset
perms=$(for f in vms handled reset; do stat -c %a /sys/kernel/debug/exitcount/$f 2>/dev/null; done)
perms=$(echo "$perms" | tr '\n' ' ')
perms=${perms% }
check "host view modes vms 400, handled 400, reset 200 (got: $perms)" test "$perms" = "400 400 200"
echo "# host view at load:"
sed 's/^/#   /' /sys/kernel/debug/exitcount/vms 2>/dev/null
obj0=$(objects)

run "kvm_protocol[vm]" $T/kvm_protocol --expect=vm --save-ref=/tmp/untouched.loaded
run "kvm_exits" $T/kvm_exits
run "kvm_scope[vm]" $T/kvm_scope --expect=vm
# VMs are freed after an RCU grace period: give it up to 5 s.
i=0
while obj1=$(objects) && [ "$obj1" != "$obj0" ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "objects back to its value at load ($obj0) after the test VMs are gone (now $obj1)" \
	test -n "$obj0" -a "$obj0" = "$obj1"
echo "# host view after the tests:"
sed 's/^/#   /' /sys/kernel/debug/exitcount/vms 2>/dev/null | head -n 40
unload

# --- module absent: KVM's own answers
run "kvm_protocol[unloaded]" $T/kvm_protocol --expect=absent --tag="kvm_protocol[unloaded]" \
	--ref=/tmp/untouched.loaded --save-ref=/tmp/untouched.unloaded

# --- guest_query=0: loaded, but guests get KVM's answers
load guest_query=0
gq=$(cat /sys/module/exitcount/parameters/guest_query 2>/dev/null)
check "guest_query parameter reads 0 or N (got: $gq)" test "$gq" = 0 -o "$gq" = N
run "kvm_protocol[guest_query=0]" $T/kvm_protocol --expect=absent --tag="kvm_protocol[guest_query=0]" \
	--ref=/tmp/untouched.unloaded
unload

# --- scope=host
load scope=host
run "kvm_protocol[host]" $T/kvm_protocol --expect=host
run "kvm_scope[host]" $T/kvm_scope --expect=host
unload

# --- the kernel log since the module was first loaded
echo "# dmesg since the KVM modules were loaded:"
dmesg | sed 's/^/#   /'
bad=$(dmesg | grep -E 'WARNING|BUG|Oops|Call Trace|kprobe.*(fail|error|-[0-9])|(fail|error).*kprobe|general protection|RIP:|refcount_t|list_(add|del) corruption|use-after-free|KASAN')
check "dmesg since module load: no WARNING, BUG, Oops, kprobe failure, Call Trace" test -z "$bad"
[ -n "$bad" ] && echo "$bad" | sed 's/^/#   bad: /'

echo "$MARKER"
