#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash # busybox ash; dash is shellcheck's nearest
#
# /init of the emulated host in nested.sh. Loads KVM and exitcount with
# modprobe, boots a Linux guest under QEMU + KVM that runs the CLI, reads
# the host view while that guest is alive, then repeats with the module
# removed. Everything goes to port 0xE9 as sections "=== NAME" that
# nested-check.py judges; "# stage:" lines are the demo's progress.

GUEST_TIMEOUT=300

guest() { # MODE LOG: boot a guest in the background; print its pid
	qemu-system-x86_64 -name "guest=l2-$1" -L /usr/share/qemu -M microvm \
		-enable-kvm -cpu host \
		-m 256 -nodefaults -no-user-config -nographic -serial stdio \
		-kernel /guest/vmlinuz -initrd /guest/initrd.gz -no-reboot \
		-append "console=ttyS0 quiet panic=-1 ecmode=$1" \
		</dev/null >"$2" 2>&1 &
	echo $!
}

wait_for() { # LOG: until the guest printed its last section
	i=0
	while ! grep -q '^=== guest-done' "$1" && [ $i -lt $GUEST_TIMEOUT ]; do
		sleep 1
		i=$((i + 1))
	done
}

show() { # NAME FILE: a guest's console, each line behind "| "
	echo "=== $1"
	tr -d '\r' <"$2" | sed 's/^/| /'
}

main() {
	echo "# exitcount-nested: begin"
	echo "=== uname"
	uname -r
	echo "# stage: loading kvm_amd and exitcount (modprobe)"
	modprobe kvm_amd
	dmesg -c >/dev/null
	echo "=== modprobe"
	modprobe exitcount && echo "rc=0" || echo "rc=$?"
	echo "=== modinfo"
	/sbin/modinfo exitcount
	echo "# stage: booting a Linux guest under KVM, running exitcount in it"
	pid=$(guest loaded /tmp/guest1.log)
	wait_for /tmp/guest1.log
	echo "=== hostview"
	cat /dev/exitcount
	echo "=== host-table"
	exitcount --host --vm=l2-loaded
	echo "rc=$?"
	echo "=== host-prometheus"
	exitcount --host --prometheus --hist
	echo "=== guest-pid"
	echo "$pid"
	kill "$pid"
	wait "$pid"
	show guest1 /tmp/guest1.log
	echo "# stage: rmmod exitcount; a fresh guest must find it gone"
	echo "=== rmmod"
	rmmod exitcount && echo "rc=0" || echo "rc=$?"
	pid=$(guest absent /tmp/guest2.log)
	wait_for /tmp/guest2.log
	kill "$pid"
	wait "$pid"
	show guest2 /tmp/guest2.log
	echo "=== dmesg"
	dmesg
	echo "# exitcount-nested: end"
}

/bin/busybox --install -s
export PATH=/sbin:/bin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
main 2>&1 | e9cat
poweroff -f
