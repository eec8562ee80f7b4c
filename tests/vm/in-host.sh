# SPDX-License-Identifier: GPL-2.0
#
# Runs as /test.sh inside the emulated host (busybox sh, as root), its
# output copied to I/O port 0xE9: loads the stock KVM modules and
# exitcount.ko, runs the VM tests with the module's defaults, unloaded,
# with guest_query=0, direct_reason=0 and scope=host, checks the kernel
# log, then the reliability tests that load modules themselves: bad
# parameters, and loading in the wrong order. Prints TAP lines (numbered per test program;
# the host renumbers them) between a begin and an end marker. Files:
# /modules/kvm.list (KVM modules in insmod order), /modules/exitcount.ko
# (absent if it did not build), /tests/kvm_* and /tests/hostview_perms (the
# test programs), /tests/config.sh (the sizes below, set by run-tests.sh).

BEGIN="# exitcount-vm-tests: begin"
MARKER="# exitcount-vm-tests: end"
T=/tests
KO=/modules/exitcount.ko

# Sizes of the reliability tests (run-tests.sh writes /tests/config.sh).
CHURN_VMS=1000		# VMs created and destroyed by kvm_churn
FUZZ_CPUIDS=100000	# random CPUIDs of kvm_fuzz
LOAD_CYCLES=50		# rmmod/insmod cycles of kvm_reload
[ -f $T/config.sh ] && . $T/config.sh

# shellcheck source=tests/vm/tap-host.sh
. $T/tap-host.sh
HV=/dev/exitcount
objects() { sed -n 's/^objects //p' $HV 2>/dev/null; }
# Our hooks in the kprobes list: KVM's functions we probe, or our module.
our_kprobes() {
	grep -E -w 'emulator_get_cpuid|kvm_cpuid|kvm_arch_destroy_vm|no_such_function|exitcount' \
		/sys/kernel/debug/kprobes/list 2>/dev/null
}
# Functions ftrace calls a callback for: the VM teardown hook's.
ftraced() { grep -w "$1" /sys/kernel/tracing/enabled_functions 2>/dev/null; }
# Nothing of exitcount is left: module, device, kprobes, ftrace.
check_nothing_left() { # WHEN
	check "$1: /sys/module/exitcount absent" test ! -e /sys/module/exitcount
	check "$1: $HV absent" test ! -e $HV
	check "$1: no kprobe on emulator_get_cpuid or kvm_arch_destroy_vm in the kprobes list" \
		test -z "$(our_kprobes)"
	check "$1: no ftrace callback on kvm_arch_destroy_vm" test -z "$(ftraced kvm_arch_destroy_vm)"
}
# One TAP line: the kernel log since the last call has no warning, bug,
# oops or kprobe failure except lines matching ALLOWED (expected errors);
# then clear it.
BAD='WARNING|BUG|Oops|Call Trace|kprobe.*(fail|error|-[0-9])|(fail|error).*kprobe|general protection|RIP:|refcount_t|list_(add|del) corruption|use-after-free|KASAN|missed [0-9]+ guest quer|read directly differs'
dmesg_check() { # DESC [ALLOWED]
	bad=$(dmesg | grep -E "$BAD" | grep -v -E "${2:-^\$}")
	check "dmesg $1: no WARNING, BUG, Oops, kprobe failure, Call Trace, missed query" \
		test -z "$bad"
	[ -n "$bad" ] && echo "$bad" | sed 's/^/#   bad: /'
	dmesg -c >/dev/null
}
# insmod with bad parameters: refused, a message naming them, nothing left.
refused() { # DESC GREP-PATTERN... -- INSMOD-ARGS...
	rdesc=$1
	shift
	pats=
	while [ "$1" != -- ]; do
		pats="$pats $1"
		shift
	done
	shift
	n0=$(dmesg | wc -l)
	check "insmod exitcount.ko $* is refused" sh -c "! insmod $KO $*"
	# the new kernel log lines of exitcount, without timestamps
	msg=$(dmesg | tail -n +$((n0 + 1)) | sed 's/^\[[^]]*\] //' | grep '^exitcount: ')
	for p in $pats; do
		msg=$(echo "$msg" | grep -e "$p")
	done
	check "$rdesc (dmesg: $(echo "$msg" | head -n 1))" test -n "$msg"
	check_nothing_left "after insmod $*"
}

load() { # ARGS...
	check "insmod exitcount.ko${*:+ $*}" insmod $KO "$@"
	[ -d /sys/module/exitcount ]
}
unload() {
	check "rmmod exitcount" rmmod exitcount
	check "exitcount gone from /sys/module" test ! -d /sys/module/exitcount
	check "host view $HV gone" test ! -e $HV
}

# IBT (Debian's 6.12): kallsyms_lookup_name and its kin are never called
# through a pointer in the kernel, so their ENDBR is sealed and an
# indirect call to them is a #CP on IBT hardware. The emulators do not
# enforce IBT, but ftrace's function tracer names each call's caller:
# load exitcount with those functions traced, and no caller may be one of
# exitcount's functions (its [exitcount] lines in /proc/kallsyms while
# loaded, any ec_*, or an address no symbol covers: freed init code).
# (A caller is the return address ftrace finds: a kernel function that
# tail-called one of them would show as its own caller.)
# A kprobe defined through tracefs resolves its symbol with
# kallsyms_lookup_name: a traced call from elsewhere, so that an empty
# trace (tracing not working) cannot pass.
KALLSYMS_FNS="kallsyms_lookup_name kallsyms_on_each_symbol module_kallsyms_lookup_name"
load_traced() { # ARGS...
	tr=/sys/kernel/tracing
	echo 0 >$tr/tracing_on
	echo nop >$tr/current_tracer
	echo >$tr/trace
	echo >$tr/set_ftrace_filter
	for f in $KALLSYMS_FNS; do
		echo "$f" >>$tr/set_ftrace_filter 2>/dev/null
	done
	filter=$(grep -v '^#' $tr/set_ftrace_filter | tr '\n' ' ')
	check "ftrace can trace kallsyms_lookup_name (filter: $filter)" \
		grep -qx kallsyms_lookup_name $tr/set_ftrace_filter
	check "function tracer on" sh -c "echo function >$tr/current_tracer && echo 1 >$tr/tracing_on"
	check "a kprobe event on vfs_read (resolved by kallsyms_lookup_name)" \
		sh -c "echo 'p:ec_ibt_check vfs_read' >>$tr/kprobe_events"
	load "$@"
	echo 0 >$tr/tracing_on
	echo '-:ec_ibt_check' >>$tr/kprobe_events
	calls=$(grep -v '^#' $tr/trace)
	ours=" $(awk '$4 == "[exitcount]" { print $3 }' /proc/kallsyms | tr '\n' ' ') "
	bad=
	others=0
	for c in $(echo "$calls" | sed -n 's/.*<-\([^ +]*\).*/\1/p'); do
		case $c in
		ec_* | 0x* | [0-9]*) bad="$bad $c" ;;
		*) case $ours in
			*" $c "*) bad="$bad $c" ;;
			*) others=$((others + 1)) ;;
			esac ;;
		esac
	done
	echo "# traced calls of $KALLSYMS_FNS while exitcount loaded" \
		"($(echo "$ours" | wc -w) exitcount functions in /proc/kallsyms):"
	echo "$calls" | sed 's/^ */#   /'
	check "the trace saw calls from outside exitcount (the kprobe event's): $others" \
		test "$others" -gt 0
	bad=$(echo $bad | tr ' ' '\n' | sort -u | tr '\n' ' ')
	bad=${bad% }
	check "no call of $KALLSYMS_FNS from exitcount (IBT: sealed ENDBR)${bad:+; from: $bad}" \
		test -z "$bad"
	echo nop >$tr/current_tracer
	echo >$tr/set_ftrace_filter
	echo >$tr/trace
	echo 1 >$tr/tracing_on
	[ -d /sys/module/exitcount ]
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

# --- defaults: scope=vm, guest_query=1 (loaded under ftrace: IBT)
load_traced
check "host view $HV is a character device" test -c $HV
perms=$(stat -c %a $HV 2>/dev/null)
check "host view mode 400 (got: $perms)" test "$perms" = 400
check "host view's first line is \"exitcount-hostview 1\"" \
	test "$(head -n 1 $HV 2>/dev/null)" = "exitcount-hostview 1"
echo "# host view at load:"
grep -v '^handled ' $HV 2>/dev/null | sed 's/^/#   /'
obj0=$(objects)

run "kvm_protocol[vm]" $T/kvm_protocol --expect=vm --save-ref=/tmp/untouched.loaded
run "kvm_exits" $T/kvm_exits
run "kvm_hist" $T/kvm_hist
run "kvm_scope[vm]" $T/kvm_scope --expect=vm
run "kvm_nested[vm]" $T/kvm_nested --expect=vm
run "kvm_regs" $T/kvm_regs
check "kprobes list shows our probe on emulator_get_cpuid while loaded" \
	/bin/grep -qw emulator_get_cpuid /sys/kernel/debug/kprobes/list
check "ftrace calls a callback on kvm_arch_destroy_vm while loaded (VM teardown)" \
	test -n "$(ftraced kvm_arch_destroy_vm)"

# --- exitcount --host: two VMs of processes whose command lines name them
# as QEMU's would (kvm_hold ignores its arguments); each VM's counts as
# the CLI shows them = the module's lines for that pid; the Prometheus
# text goes out as "# prom: " lines, for promtool on the build host.
$T/kvm_hold -name guest=alpha,debug-threads=on >/tmp/alpha.out 2>&1 &
pa=$!
$T/kvm_hold -name beta >/tmp/beta.out 2>&1 &
pb=$!
ready() { cat /tmp/alpha.out /tmp/beta.out 2>/dev/null | grep -c ready; }
i=0
while [ "$(ready)" -lt 2 ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "two kvm_hold VMs ran their exits (pids $pa, $pb)" test "$(ready)" = 2
$T/exitcount --host >/tmp/host.txt 2>&1
check "exitcount --host exits 0" test $? = 0
sed 's/^/#   /' /tmp/host.txt
check "exitcount --host names VM alpha (pid $pa) by -name guest=alpha,..." \
	grep -qx "VM alpha, pid $pa: [0-9]* exits" /tmp/host.txt
check "exitcount --host names VM beta (pid $pb) by -name beta" \
	grep -qx "VM beta, pid $pb: [0-9]* exits" /tmp/host.txt
# All VMs' table: at least the live VMs' exits of the same read
live=$(sed -n 's/^VM .*: \([0-9]*\) exits$/\1/p' /tmp/host.txt | awk '{ s += $1 } END { print s + 0 }')
all=$(sed -n 's/^All VMs since the module was loaded (those gone too): \([0-9]*\) exits$/\1/p' /tmp/host.txt)
check "exitcount --host: all VMs' exits since load ($all) >= the live VMs' ($live)" \
	test "${all:-0}" -ge "$live" -a "$live" -gt 0
# "NR COUNT" of each reason with exits, ascending: the module's, the CLI's
module_counts() { # PID
	awk -v p="$1" '$1 == "vm" && $4 == p && $5 == "reason" && $6 != "-" { print $6, $9 }' $HV | sort -n
}
for vm in alpha:$pa beta:$pb; do
	want=$(module_counts "${vm#*:}")
	got=$($T/exitcount --host --vm="${vm%:*}" --csv --output=NR,COUNT | tail -n +2 | cut -d, -f3- | tr , ' ' | sort -n)
	check "exitcount --host --vm=${vm%:*}: counts per reason = the module's for pid ${vm#*:} ($(echo "$want" | tr '\n' ';'))" \
		test -n "$want" -a "$got" = "$want"
done
# --hist: the module's hist lines as buckets after the columns (CSV)
$T/exitcount --host --vm=alpha --hist --csv --output=name,count,p50 >/tmp/hist.csv 2>&1
check "exitcount --host --hist: alpha's buckets add up to at most each count, CPUID's to more than 0" \
	awk -F, 'NR > 1 { s = 0; for (i = 6; i <= NF; i++) s += $i; if (s > $4) bad = 1; if ($3 == "CPUID" && s > 0) cpuid = 1 } END { exit bad || !cpuid }' /tmp/hist.csv
$T/exitcount --host --prometheus --hist >/tmp/prom.txt 2>&1
check "exitcount --host --prometheus --hist exits 0" test $? = 0
check "--prometheus: CPUID exits of alpha and beta" sh -c \
	"grep -q '^exitcount_exits_total{vm=\"alpha\",pid=\"$pa\",isa=\"[a-z]*\",reason=\"CPUID\"} [1-9]' /tmp/prom.txt &&
	 grep -q '^exitcount_exits_total{vm=\"beta\",pid=\"$pb\",isa=\"[a-z]*\",reason=\"CPUID\"} [1-9]' /tmp/prom.txt"
pl="vm=\"alpha\",pid=\"$pa\",isa=\"[a-z]*\",reason=\"CPUID\""
inf=$(grep "^exitcount_exit_duration_seconds_bucket{$pl,le=\"+Inf\"} " /tmp/prom.txt | cut -d' ' -f2)
n=$(grep "^exitcount_exit_duration_seconds_count{$pl} " /tmp/prom.txt | cut -d' ' -f2)
e=$(grep "^exitcount_exits_total{$pl} " /tmp/prom.txt | cut -d' ' -f2)
# the timed exits: all but those in progress
check "--prometheus --hist: alpha's CPUID durations, +Inf bucket = count ($inf, $n), 0 < count <= exits ($e)" \
	test "${n:-0}" -gt 0 -a "$inf" = "$n" -a "$n" -le "${e:-0}"
sed 's/^/# prom: /' /tmp/prom.txt
kill $pa $pb
wait $pa $pb 2>/dev/null

# --- reliability (scope=vm): the host view is root's; exact counts with
# vCPUs exiting at once; readers racing writers; isolation of VMs; VM
# churn; random leaves; rmmod/insmod under a running VM
run "hostview_perms" $T/hostview_perms
run "kvm_concurrent[1x2]" $T/kvm_concurrent --vms=1 --vcpus=2
run "kvm_concurrent[1x8]" $T/kvm_concurrent --vms=1 --vcpus=8 --rounds=4
run "kvm_concurrent[2x2]" $T/kvm_concurrent --vms=2 --vcpus=2
run "kvm_race" $T/kvm_race
run "kvm_isolation" $T/kvm_isolation
run "kvm_churn" $T/kvm_churn --vms=$CHURN_VMS
# Teardown is seen with every kprobe disarmed, too: kvm_churn's objects
# must come back (else a new VM at a freed one's address inherits it).
check "kprobes disarmed (/sys/kernel/debug/kprobes/enabled = 0)" \
	sh -c "echo 0 >/sys/kernel/debug/kprobes/enabled"
run "kvm_churn[kprobes disarmed]" $T/kvm_churn --vms=100
check "kprobes armed again" sh -c "echo 1 >/sys/kernel/debug/kprobes/enabled"
run "kvm_fuzz" $T/kvm_fuzz --n=$FUZZ_CPUIDS --sample=/tmp/fuzz.sample
run "kvm_reload" $T/kvm_reload --ko=$KO --cycles=$LOAD_CYCLES
# VMs are freed after an RCU grace period: give it up to 5 s.
i=0
while obj1=$(objects) && [ "$obj1" != "$obj0" ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
check "objects back to its value at load ($obj0) after the test VMs are gone (now $obj1)" \
	test -n "$obj0" -a "$obj0" = "$obj1"
echo "# host view after the tests:"
grep -v '^handled ' $HV 2>/dev/null | sed 's/^/#   /' | head -n 40
unload

# --- module absent: KVM's own answers
run "kvm_protocol[unloaded]" $T/kvm_protocol --expect=absent --tag="kvm_protocol[unloaded]" \
	--ref=/tmp/untouched.loaded --save-ref=/tmp/untouched.unloaded
run "kvm_fuzz[module out]" $T/kvm_fuzz --expect=absent --sample=/tmp/fuzz.sample
run "kvm_nested[unloaded]" $T/kvm_nested --expect=absent
run "kvm_regs[unloaded]" $T/kvm_regs --expect=absent --tag="kvm_regs[unloaded]"

# --- guest_query=0: loaded, but guests get KVM's answers
load guest_query=0
gq=$(cat /sys/module/exitcount/parameters/guest_query 2>/dev/null)
check "guest_query parameter reads 0 or N (got: $gq)" test "$gq" = 0 -o "$gq" = N
run "kvm_protocol[guest_query=0]" $T/kvm_protocol --expect=absent --tag="kvm_protocol[guest_query=0]" \
	--ref=/tmp/untouched.unloaded
run "kvm_regs[guest_query=0]" $T/kvm_regs --expect=absent --tag="kvm_regs[guest_query=0]"
unload

# --- direct_reason=0: every reason through KVM's get_exit_info(), the
# way the module falls back to if its direct read ever disagrees
load direct_reason=0
run "kvm_exits[direct_reason=0]" $T/kvm_exits
run "kvm_concurrent[direct_reason=0]" $T/kvm_concurrent --vms=1 --vcpus=2
unload

# --- scope=host
load scope=host
run "kvm_protocol[host]" $T/kvm_protocol --expect=host
run "kvm_scope[host]" $T/kvm_scope --expect=host
run "kvm_concurrent[2x2 host]" $T/kvm_concurrent --vms=2 --vcpus=2 --expect=host
unload

# --- the kernel log since the module was first loaded
echo "# dmesg since the KVM modules were loaded:"
dmesg | grep -v 'exitcount: counting' | sed 's/^/#   /'
echo "#   ($(dmesg | grep -c 'exitcount: counting') lines \"exitcount: counting ...\", one per load)"
dmesg_check "since module load"

# --- bad input: refused at load, with a message naming it; nothing left
refused "dmesg names scope and its allowed values vm, host" \
	'scope' 'banana' '\<vm\>' '\<host\>' -- scope=banana
refused "dmesg names guest_query and its allowed values 0, 1" \
	'guest_query' '\<7\>' '\<0\>' '\<1\>' -- guest_query=7
refused "dmesg names the function destroy_hook= could not hook" \
	'no_such_function' -- destroy_hook=no_such_function
dmesg_check "after the refused loads" 'exitcount: (cannot hook no_such_function|.*invalid for parameter)'
# A registration leaked by a failed load would count twice: it must not.
load
run "kvm_exits[after refused loads]" $T/kvm_exits
run "kvm_concurrent[after refused loads]" $T/kvm_concurrent --vms=1 --vcpus=2
unload

# --- module ordering: exitcount needs kvm (symbols) and a vendor module
vendor=$(tail -n 1 /modules/kvm.list)	# kvm-amd.ko or kvm-intel.ko
vmod=$(echo "${vendor%.ko}" | tr - _)
check "rmmod $vmod and kvm (no VM, exitcount not loaded)" rmmod $vmod kvm
dmesg -c >/dev/null
refused "without kvm: dmesg names the missing KVM symbols" 'Unknown symbol' -- ""
check "insmod kvm.ko" insmod /modules/kvm.ko
refused "without $vmod: dmesg says no KVM vendor module loaded" \
	'no KVM vendor module loaded' -- ""
check "insmod $vendor" insmod /modules/$vendor
load
check "kvm's holders include exitcount" test -e /sys/module/kvm/holders/exitcount
check "rmmod $vmod while exitcount is loaded and no VM exists (docs/design.md, Limits: allowed)" rmmod $vmod
check "rmmod kvm while exitcount is loaded is refused (exitcount uses its symbols)" \
	sh -c "! rmmod kvm"
check "kvm still loaded" test -d /sys/module/kvm
check "insmod $vendor again under exitcount" insmod /modules/$vendor
run "kvm_exits[$vmod reloaded]" $T/kvm_exits
run "kvm_concurrent[$vmod reloaded]" $T/kvm_concurrent --vms=1 --vcpus=2
unload
check_nothing_left "at the end"
dmesg_check "of the ordering tests" 'exitcount: (Unknown symbol|no KVM vendor module loaded)'

echo "$MARKER"
