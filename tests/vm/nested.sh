#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The real flow, end to end, on an emulated AMD host (QEMU TCG with SVM)
# booting Debian's stock kernel:
#   1. exitcount is installed from its package (exitcount-dkms, whose
#      DKMS builds it in a Debian 12 chroot: tests/deb/ko.sh) into a copy
#      of the kernel's module tree, which becomes the emulated host's
#      /lib/modules (depmod run there);
#   2. the emulated host loads it with `modprobe exitcount`;
#   3. a Linux guest boots in it under QEMU + KVM (nested) and runs the
#      statically linked `exitcount` CLI and Debian's `cpuid` tool;
#   4. after `rmmod exitcount` a fresh guest's CLI must say it is absent.
#
#   nested.sh          the test: TAP, then "N passed, M failed"
#   nested.sh --demo   the demo (make demo): progress lines, the guest's table
#
# Environment: as lib.sh (KVER, KEEP=1, TMPDIR, V=1), VM_TIMEOUT (s).
set -u

# shellcheck source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DEMO=0
[ "${1:-}" = --demo ] && DEMO=1
: "${VM_TIMEOUT:=600}"
BEGIN="# exitcount-nested: begin"
MARKER="# exitcount-nested: end"

say() { [ $DEMO = 1 ] && echo ">>> $*"; return 0; }

# Copy executables and the shared libraries they load into ROOT.
copy_with_libs() { # ROOT FILE...
	local root=$1 f lib
	shift
	for f in "$@"; do
		mkdir -p "$root$(dirname "$f")"
		cp -L "$f" "$root$f"
		for lib in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*'); do
			mkdir -p "$root$(dirname "$lib")"
			cp -L "$lib" "$root$lib"
		done
	done
}

cpio_gz() { # DIR OUT
	(cd "$1" && find . | cpio -o -H newc --quiet) | gzip -1 >"$2"
}

# exitcount.ko as a user gets it: `make deb`, then `apt install
# ./exitcount-dkms_*.deb` in a Debian 12 chroot, whose DKMS builds it
# (tests/deb/ko.sh); put where DKMS puts it, under MODTREE/KVER.
package_install() { # MODTREE
	mkdir -p "$1/$KVER/updates/dkms"
	ec_quiet "$EC_WORK/package.log" "$EC_ROOT/tests/deb/ko.sh" \
		"$1/$KVER/updates/dkms/exitcount.ko"
}

# The emulated host's module tree: the stock KVM modules at their own
# paths, exitcount where dkms put it, then depmod.
host_modules() { # ROOT
	local root=$1 m f mods
	mods=$(ec_kvm_modules svm) || exit 1
	for m in $mods; do
		f=$root/lib/modules/$KVER/${m#"$EC_KMODS"/}
		mkdir -p "$(dirname "$f")"
		cp "$m" "$f"
	done
	cp "$EC_KMODS"/modules.{order,builtin,builtin.modinfo} \
		"$root/lib/modules/$KVER/"
	mkdir -p "$root/lib/modules/$KVER/updates"
	cp -r "$EC_WORK/modtree/$KVER/updates/dkms" "$root/lib/modules/$KVER/updates/"
	depmod -b "$root" "$KVER"
}

# The guest's initramfs: busybox, the static CLI, Debian's cpuid.
guest_initramfs() { # OUT
	local root=$EC_WORK/guest-root
	mkdir -p "$root"/{bin,proc,sys,dev}
	cp /bin/busybox "$root/bin/"
	cp "$EC_WORK/exitcount" "$root/bin/exitcount"
	copy_with_libs "$root" /usr/bin/cpuid
	cp "$EC_VMDIR/nested-guest.sh" "$root/init"
	chmod 755 "$root/init"
	cpio_gz "$root" "$1"
}

host_initramfs() { # OUT
	local root=$EC_WORK/host-root f
	mkdir -p "$root"/{bin,sbin,proc,sys,dev,tmp,guest,usr/share/qemu}
	cp /bin/busybox "$root/bin/"
	cp "$EC_WORK/progs/e9cat" "$EC_WORK/exitcount" "$root/bin/"
	copy_with_libs "$root" /usr/bin/kmod /usr/bin/qemu-system-x86_64
	for f in modprobe rmmod lsmod modinfo depmod; do
		ln -s /usr/bin/kmod "$root/sbin/$f"
	done
	for f in bios-microvm.bin qboot.rom linuxboot_dma.bin pvh.bin; do
		cp -L "/usr/share/qemu/$f" "$root/usr/share/qemu/"
	done
	cp -L /usr/share/seabios/bios-256k.bin "$root/usr/share/qemu/"
	host_modules "$root"
	cp "$EC_VMLINUZ" "$root/guest/vmlinuz"
	guest_initramfs "$root/guest/initrd.gz"
	cp "$EC_VMDIR/nested-host.sh" "$root/init"
	chmod 755 "$root/init"
	cpio_gz "$root" "$1"
}

build() {
	ec_pick_kver
	ec_ensure_deps svm
	ec_ensure_pkgs cpuid libcpuid-dev
	ec_make_workdir
	say "installing exitcount-dkms (make deb; apt install in a Debian 12 chroot) for $KVER; building the guest CLI"
	package_install "$EC_WORK/modtree" ||
		{ tail -n 40 "$EC_WORK/package.log" >&2; ec_die "installing the package failed"; }
	ec_quiet "$EC_WORK/cli.log" make -C "$EC_ROOT/guest-cli" ||
		{ cat "$EC_WORK/cli.log" >&2; ec_die "building the CLI failed"; }
	cp "$EC_ROOT/guest-cli/exitcount" "$EC_WORK/exitcount"
	ec_build_progs "$EC_WORK/progs"
	host_initramfs "$EC_WORK/initrd.gz"
}

# Boot; in demo mode, show the stage lines as they come.
boot() {
	local e9=$EC_WORK/e9.txt follower=
	: >"$e9"
	say "booting the emulated host (QEMU TCG, AMD SVM, $KVER)"
	if [ $DEMO = 1 ]; then
		tail -F -n +1 "$e9" 2>/dev/null |
			sed -un 's/^# stage: />>> /p' &
		follower=$!
	fi
	# Multi-threaded TCG, unlike the VM tests (lib.sh): in one TCG thread
	# the first guest, the one with exitcount loaded, stalled 3 s into its
	# boot in two runs out of two (10 interrupt-window exits in 300 s),
	# while the second guest, and a first one without the module, booted.
	# Not understood yet; this flow creates two VMs only, few static-key
	# flips for MTTCG's patching trouble.
	ec_emulate timeout --kill-after=10 "$VM_TIMEOUT" qemu-system-x86_64 \
		-accel tcg -cpu max -smp 2 -m 2048 \
		-nographic -no-reboot -monitor none \
		-serial "file:$EC_WORK/serial.txt" \
		-kernel "$EC_VMLINUZ" -initrd "$EC_WORK/initrd.gz" \
		-append "$EC_APPEND" \
		-debugcon "file:$e9" -global isa-debugcon.iobase=0xe9 \
		</dev/null >"$EC_WORK/qemu.stdout" 2>&1
	[ -n "$follower" ] && kill "$follower" 2>/dev/null
	ec_e9_extract "$e9" "$BEGIN" "$MARKER" >"$EC_WORK/out.txt"
}

# Section NAME ("=== NAME" up to the next "=== ") of stdin.
section() { # NAME
	awk -v s="=== $1" '$0 == s { on = 1; next } /^=== / { on = 0 } on'
}

# The table the first guest printed (its console is behind "| ").
guest_table() {
	section guest1 <"$EC_WORK/out.txt" | sed -n 's/^| //p' | section table
}

demo_show() {
	echo ">>> the guest's exit table (exitcount, run inside the guest):"
	echo
	guest_table | grep -v '^rc='
	echo
	echo ">>> the same VM seen from the emulated host (exitcount --host --vm=l2-loaded):"
	echo
	section host-table <"$EC_WORK/out.txt" | grep -v '^rc='
	echo
	echo ">>> done: the emulated host powered off; work files removed"
}

main() {
	build
	boot
	if [ $DEMO = 1 ]; then
		demo_show
		guest_table | grep -q CPUID || ec_die "the guest printed no table"
		return 0
	fi
	{
		echo "# exitcount nested flow (dkms, modprobe, Linux guest), kernel $KVER"
		cat "$EC_WORK/out.txt"
	} >"$EC_WORK/tap.txt"
	ec_ensure_pkgs prometheus	# promtool, for --prometheus
	python3 "$EC_VMDIR/nested-check.py" "$EC_WORK/out.txt" >>"$EC_WORK/tap.txt"
	ec_tap_report "$EC_WORK/tap.txt" "$MARKER"
}

main
