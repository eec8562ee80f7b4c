# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Shared functions of the VM tests (run-svm.sh, run-vmx.sh) and the demo:
# build exitcount.ko and the static test programs for Debian's stock 6.1
# kernel, pack them into an initramfs with busybox and the stock KVM
# modules, boot it in an emulated host that has SVM (QEMU TCG) or VMX
# (Bochs), and collect what the emulated host writes to I/O port 0xE9.
#
# Source it from bash:  . tests/vm/lib.sh
#
# Environment:
#   KVER         kernel to use (default: newest installed 6.1.0-N-amd64, not -rt-)
#   KERNEL_FROM  instead of an installed kernel, the newest of an entry of
#                tests/chroot.sh's EC_KERNELS (debian-sid,
#                debian-experimental, debian-5.10, ...): unpacked from that
#                release's packages, exitcount.ko built in its chroot
#   KEEP=1       keep the work directory when a run fails
#   EXITCOUNT_KO use this prebuilt exitcount.ko instead of building one
#   TMPDIR       where the work directory goes (default /tmp)
#   V=1          show build commands' output
#   BOCHS_CPUS   CPUs of the Bochs machine (default 1)
#   BOCHS_MEGS   memory of the Bochs machine in MB (default 512)

EC_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
EC_VMDIR=$EC_ROOT/tests/vm
EC_WORK=
EC_KO=
EC_MODULE_LOG=
EC_APT_UPDATED=
EC_VMLINUZ=	# the kernel image of KVER
EC_KMODS=	# its /lib/modules/KVER
EC_KCHROOT=	# KERNEL_FROM: the chroot to build in, its tree and compiler
EC_KDIR=
EC_KCC=

ec_log() { echo "[vm] $*" >&2; }
ec_die() { echo "[vm] error: $*" >&2; exit 1; }

# Print a command's log when V=1 or when it failed.
ec_quiet() { # LOG CMD...
	local log=$1; shift
	if [ "${V:-0}" = 1 ]; then
		"$@" 2>&1 | tee "$log"
		return "${PIPESTATUS[0]}"
	fi
	"$@" >"$log" 2>&1
}

# KVER: the newest installed Debian 6.1 kernel unless set: 6.1.0-N-amd64,
# not a flavour such as 6.1.0-N-rt-amd64 (its kvm_amd refuses to load
# under QEMU TCG: no constant TSC).
ec_pick_kver() {
	if [ -n "${KERNEL_FROM:-}" ]; then
		ec_kernel_from
		return
	fi
	if [ -z "${KVER:-}" ]; then
		KVER=$(ec_newest_61)
		# A fresh machine: install Debian's kernel first, then pick it.
		[ -n "$KVER" ] || { ec_ensure_pkgs linux-image-amd64 linux-headers-amd64 &&
			KVER=$(ec_newest_61); }
	fi
	[ -n "$KVER" ] || ec_die "no 6.1.0-*-amd64 kernel in /lib/modules; run: apt-get update && apt-get install -y linux-image-amd64 linux-headers-amd64"
	EC_VMLINUZ=/boot/vmlinuz-$KVER
	EC_KMODS=/lib/modules/$KVER
	export KVER
}

# The first PATH that exists.
ec_first() { # PATH...
	local p
	for p in "$@"; do
		[ -e "$p" ] && { echo "$p"; return 0; }
	done
	return 1
}

# KVER and the rest from KERNEL_FROM. The module is built in the chroot of
# the kernel's own release: its kbuild tools and compiler need that
# release's libraries.
ec_kernel_from() {
	local e release info dir log lock
	# shellcheck source=tests/chroot.sh
	. "$EC_ROOT/tests/chroot.sh"
	e=$(kernel_entry "$KERNEL_FROM") ||
		ec_die "KERNEL_FROM=$KERNEL_FROM: not an entry of tests/chroot.sh"
	release=$(field "$e" 1)
	[ "$release" != host ] ||
		ec_die "KERNEL_FROM=$KERNEL_FROM is this machine's own: set KVER"
	ec_ensure_pkgs debootstrap
	mkdir -p "$EC_CACHE/logs" || ec_die "cannot create $EC_CACHE"
	log=$EC_CACHE/logs/kernel-from-$KERNEL_FROM.log
	ec_log "$KERNEL_FROM: preparing the $release chroot and its kernel (log: $log)"
	# Suites may run side by side: one apt at a time in a chroot.
	exec {lock}>"$EC_CACHE/chroots-$release.lock"
	flock "$lock"
	if ! info=$(prepare_chroot_entry "$release" "$(field "$e" 2)" \
		"$(field "$e" 3)" 2>"$log"); then
		tail -n 20 "$log" >&2
		ec_die "$KERNEL_FROM: no kernel headers (see $log)"
	fi
	EC_KDIR=$(field "$info" 0)
	KVER=${EC_KDIR##*/linux-headers-}
	dir=$(kernel_image "$EC_CACHE/chroots/$release" "$KVER" \
		"$(field "$info" 2)" 2>>"$log") ||
		{ tail -n 20 "$log" >&2; ec_die "$KERNEL_FROM: no kernel image (see $log)"; }
	exec {lock}>&-
	EC_KCHROOT=$EC_CACHE/chroots/$release
	EC_KCC=$(field "$info" 3)
	EC_VMLINUZ=$(ec_first "$dir"/boot/vmlinuz-"$KVER" \
		"$dir"/{,usr/}lib/modules/"$KVER"/vmlinuz) ||
		ec_die "$KERNEL_FROM: no vmlinuz-$KVER in $dir"
	EC_KMODS=$(ec_first "$dir"/{,usr/}lib/modules/"$KVER") ||
		ec_die "$KERNEL_FROM: no modules of $KVER in $dir"
	ec_log "$KERNEL_FROM: kernel $KVER ($(field "$info" 1) $(field "$info" 2))"
	export KVER
}

ec_newest_61() {
	find /lib/modules -mindepth 1 -maxdepth 1 -regextype posix-extended \
		-regex '.*/6\.1\.0-[0-9]+-amd64' -printf '%f\n' 2>/dev/null |
		sort -V | tail -n 1
}

# Install missing Debian packages (apt-get update once), or fail with the
# command to run.
ec_ensure_pkgs() { # PKG...
	local p missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q 'install ok installed' || missing+=("$p")
	done
	[ ${#missing[@]} -eq 0 ] && return 0
	if [ "$(id -u)" != 0 ]; then
		ec_die "missing packages; run as root: apt-get update && apt-get install -y ${missing[*]}"
	fi
	ec_log "installing ${missing[*]}"
	if [ -z "$EC_APT_UPDATED" ]; then
		apt-get update -q >/dev/null || ec_die "apt-get update failed; run: apt-get update && apt-get install -y ${missing[*]}"
		EC_APT_UPDATED=1
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${missing[@]}" >/dev/null ||
		ec_die "could not install; run: apt-get update && apt-get install -y ${missing[*]}"
}

# Packages for building and for one ISA's emulator (svm, vmx or both).
ec_ensure_deps() { # ISA...
	local isa pkgs=(busybox-static gcc libc6-dev make cpio gzip kmod)
	[ -n "$EC_KCHROOT" ] || pkgs+=("linux-image-$KVER" "linux-headers-$KVER")
	for isa in "$@"; do
		case $isa in
		svm) pkgs+=(qemu-system-x86) ;;
		vmx) pkgs+=(bochs bochsbios vgabios isolinux syslinux-common xorriso) ;;
		*) ec_die "unknown ISA '$isa' (svm or vmx)" ;;
		esac
	done
	ec_ensure_pkgs "${pkgs[@]}"
}

# EC_WORK: a fresh work directory, removed on exit unless KEEP=1 and the
# script fails (exit status non-zero).
ec_make_workdir() {
	EC_WORK=$(mktemp -d "${TMPDIR:-/tmp}/exitcount-vm.XXXXXX") ||
		ec_die "mktemp failed"
	trap 'ec_cleanup $?' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
}

# Run an emulator (through timeout) in the background and wait for it, so
# that a script stopped by Ctrl-C or by a caller's timeout stops it too
# (ec_cleanup): left alone, it would run on with nothing reading it.
EC_EMU_PID=
ec_emulate() { # CMD...
	local rc
	"$@" &
	EC_EMU_PID=$!
	wait "$EC_EMU_PID"
	rc=$?
	EC_EMU_PID=
	return $rc
}

ec_cleanup() { # STATUS
	if [ -n "$EC_EMU_PID" ]; then
		pkill -TERM -P "$EC_EMU_PID" 2>/dev/null
		kill -TERM "$EC_EMU_PID" 2>/dev/null
		ec_log "stopped the emulator"
	fi
	[ -n "$EC_WORK" ] && [ -d "$EC_WORK" ] || return 0
	if [ "$1" != 0 ] && [ "${KEEP:-0}" = 1 ]; then
		ec_log "kept work directory $EC_WORK"
	else
		rm -rf "$EC_WORK"
	fi
}

# Build exitcount.ko for $KVER in a copy of the sources under $EC_WORK
# (the repository gets no build output). Sets EC_KO and EC_MODULE_LOG.
# Returns non-zero when the module does not build: the caller decides.
ec_build_module() {
	local src=$EC_WORK/modsrc version
	EC_MODULE_LOG=$EC_WORK/module-build.log
	EC_KO=
	if [ -n "${EXITCOUNT_KO:-}" ]; then
		[ -f "$EXITCOUNT_KO" ] || ec_die "EXITCOUNT_KO=$EXITCOUNT_KO: no such file"
		EC_KO=$EXITCOUNT_KO
		echo "using prebuilt $EXITCOUNT_KO" >"$EC_MODULE_LOG"
		return 0
	fi
	# KERNEL_FROM: in the chroot, in a directory of this run's own
	local rel=/build/${EC_WORK##*/}
	[ -z "$EC_KCHROOT" ] || src=$EC_KCHROOT$rel
	rm -rf "$src"
	mkdir -p "$src"
	cp -a "$EC_ROOT/Kbuild" "$EC_ROOT/module" "$EC_ROOT/include" "$src/"
	version=$(sed -n 's/^EXITCOUNT_VERSION[ ?:]*=[ ]*//p' "$EC_ROOT/Makefile" | head -n 1)
	if [ -n "$EC_KCHROOT" ]; then
		ec_quiet "$EC_MODULE_LOG" in_chroot "$EC_KCHROOT" make -C "$EC_KDIR" \
			M="$rel" ${EC_KCC:+CC=$EC_KCC} EXITCOUNT_VERSION="${version:-0}" modules
	else
		ec_quiet "$EC_MODULE_LOG" make -C "/lib/modules/$KVER/build" M="$src" \
			EXITCOUNT_VERSION="${version:-0}" modules
	fi && [ -f "$src/exitcount.ko" ] && cp "$src/exitcount.ko" "$EC_WORK/exitcount.ko" &&
		EC_KO=$EC_WORK/exitcount.ko
	[ -z "$EC_KCHROOT" ] || rm -rf "$src"
	[ -n "$EC_KO" ]
}

# Build the static test programs (PROG..., default: run-tests.sh's) and
# e9cat into DIR.
ec_build_progs() { # DIR [PROG...]
	local out=$1 p cflags=(-static -O2 -g -Wall -Wextra -Werror -std=gnu11
		-I"$EC_ROOT/include" -I"$EC_VMDIR")
	shift
	[ $# -gt 0 ] || set -- kvm_protocol kvm_exits kvm_hist kvm_scope kvm_concurrent \
		kvm_race kvm_isolation kvm_churn kvm_reload kvm_fuzz kvm_nested kvm_regs \
		hostview_perms kvm_hold
	mkdir -p "$out"
	for p in "$@"; do
		ec_quiet "$EC_WORK/build-$p.log" gcc "${cflags[@]}" -pthread -o "$out/$p" \
			"$EC_VMDIR/$p.c" "$EC_VMDIR/kvm_util.c" "$EC_ROOT/module/reasons.c" ||
			{ cat "$EC_WORK/build-$p.log" >&2; ec_die "building $p failed"; }
	done
	ec_quiet "$EC_WORK/build-e9cat.log" gcc "${cflags[@]}" -o "$out/e9cat" \
		"$EC_VMDIR/e9cat.c" ||
		{ cat "$EC_WORK/build-e9cat.log" >&2; ec_die "building e9cat failed"; }
}

# Files of the stock KVM modules of an ISA and of what they need, in
# insmod order (dependencies first), from the modules' own "depends" (which
# differ: 5.10's ccp needs rng-core, 7.x's kvm has irqbypass built in).
ec_kvm_modules() { # ISA
	local top
	case $1 in
	svm) top=kvm_amd ;;
	vmx) top=kvm_intel ;;
	*) ec_die "unknown ISA '$1'" ;;
	esac
	EC_MOD_FILES=()
	ec_module_deps "$top"
	printf '%s\n' "${EC_MOD_FILES[@]}"
}

# Append NAME's dependencies, then NAME, to EC_MOD_FILES, each once.
ec_module_deps() { # NAME
	local f d
	f=$(find "$EC_KMODS/kernel" \( -name "${1//_/-}.ko*" -o -name "${1//-/_}.ko*" \) \
		-print -quit)
	[ -n "$f" ] || ec_die "module $1 not found in $EC_KMODS (is linux-image-$KVER installed?)"
	[[ " ${EC_MOD_FILES[*]} " == *" $f "* ]] && return 0
	for d in $(modinfo -F depends "$f" | tr , ' '); do
		ec_module_deps "$d"
	done
	EC_MOD_FILES+=("$f")
}

# Copy kernel module FILE to DIR, uncompressed (busybox insmod takes no
# .xz or .zst); print its new name.
ec_copy_module() { # FILE DIR
	local name
	name=$(basename "$1")
	name=${name%.xz}
	name=${name%.zst}
	case $1 in
	*.xz) xz -dc "$1" >"$2/$name" ;;
	*.zst) zstd -dcq "$1" >"$2/$name" ;;
	*) cp "$1" "$2/$name" ;;
	esac || ec_die "cannot copy $1"
	echo "$name"
}

# Make OUT (a gzipped cpio initramfs) holding busybox, the KVM modules of
# ISA (in /modules, listed in insmod order in /modules/kvm.list), the
# exitcount.ko in EC_KO if any (/modules/exitcount.ko), the files of
# PROGDIR (in /tests, e9cat in /bin), tap-host.sh (in /tests) for SCRIPT
# to source, and SCRIPT as /test.sh. /init mounts
# proc, sys, dev, debugfs and tracefs, runs `sh /test.sh 2>&1 | e9cat`,
# then powers off.
ec_make_initramfs() { # ISA PROGDIR SCRIPT OUT
	local isa=$1 progdir=$2 script=$3 out=$4 root m f mods
	root=$(mktemp -d "$EC_WORK/initramfs.XXXXXX")
	chmod 755 "$root"	# / as on any system: others may walk it (mktemp made it 0700)
	mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,modules,tests}
	cp /bin/busybox "$root/bin/busybox"
	file -b "$root/bin/busybox" 2>/dev/null | grep -q dynamic &&
		ec_die "/bin/busybox is not static (install busybox-static)"
	mods=$(ec_kvm_modules "$isa") || exit 1
	for m in $mods; do
		ec_copy_module "$m" "$root/modules"
	done >"$root/modules/kvm.list"
	[ -n "$EC_KO" ] && cp "$EC_KO" "$root/modules/exitcount.ko"
	for f in "$progdir"/*; do
		case $(basename "$f") in
		e9cat) cp "$f" "$root/bin/e9cat" ;;
		*) cp "$f" "$root/tests/" ;;
		esac
	done
	cp "$EC_VMDIR/tap-host.sh" "$root/tests/"
	cp "$script" "$root/test.sh"
	cat >"$root/init" <<'EOF'
#!/bin/busybox sh
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing
mount -t tmpfs tmpfs /tmp
echo "init: running /test.sh" >/dev/console
cd /
sh /test.sh 2>&1 | e9cat
echo "init: /test.sh done" >/dev/console
sync
poweroff -f
EOF
	chmod 755 "$root/init" "$root/bin/busybox"
	(cd "$root" && find . | cpio -o -H newc --quiet) | gzip -1 >"$out"
	rm -rf "$root"
}

EC_APPEND="console=ttyS0 quiet panic=-1"

# Boot INITRD under QEMU TCG with SVM; what the emulated host writes to port
# 0xE9 goes to E9OUT, its serial console to SERIAL. QEMU-ARGS go last (a
# later -smp or -m replaces ours). Returns QEMU's status (124: timed out).
# QEMU runs its 2 CPUs in turn in one host thread, not in two (MTTCG):
# under MTTCG the emulated kernel's own live patching of its text goes
# wrong now and then. Seen with Debian's 6.1 and no exitcount loaded: after
# some thousand VMs created and destroyed (each flips KVM's static keys,
# which patches __schedule), one CPU looped forever on int3 in __schedule
# while the other spun on a lock; 10,000 VMs in one thread went
# through. Debian's 6.12 oopsed with "int3" in sched_clock_cpu at boot.
ec_run_qemu() { # INITRD E9OUT SERIAL TIMEOUT_S [QEMU-ARGS...]
	local initrd=$1 e9=$2 serial=$3 limit=$4
	shift 4
	ec_emulate timeout --kill-after=10 "$limit" qemu-system-x86_64 \
		-accel tcg,thread=single -cpu max -smp 2 -m 1024 \
		-nographic -no-reboot -monitor none -serial "file:$serial" \
		-kernel "$EC_VMLINUZ" -initrd "$initrd" -append "$EC_APPEND" \
		-debugcon "file:$e9" -global isa-debugcon.iobase=0xe9 \
		-d cpu_reset,guest_errors -D "$EC_WORK/qemu-debug.log" "$@" \
		</dev/null >"$EC_WORK/qemu.stdout" 2>&1
}

# Boot INITRD under Bochs (Skylake-X model: VMX with EPT) from an isolinux
# ISO; port 0xE9 output goes to E9OUT, the serial console to SERIAL.
# Bochs ends with a non-zero status even after a clean poweroff, so judge
# the run by E9OUT. Returns 124 when it timed out. BOCHS_MEGS sets the
# machine's memory (MB, default 512), BOCHS_CPUS its CPUs (default 1).
# AVX-512 is off (clearcpuid=avx512f): Bochs's XSAVE area size for it
# (CPUID 0xD) is 256 bytes short of the layout the kernel computes; from
# 7.x the kernel's check of that ends in a NULL dereference at boot
# ("XSAVE consistency problem: size 2432 != kernel_size 2688", then an
# oops in fpstate_reset).
ec_run_bochs() { # INITRD E9OUT SERIAL TIMEOUT_S
	local d=$EC_WORK/bochs rc
	rm -rf "$d"
	mkdir -p "$d/iso/isolinux"
	cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 \
		"$d/iso/isolinux/"
	cp "$EC_VMLINUZ" "$d/iso/vmlinuz"
	cp "$1" "$d/iso/initrd.gz"
	cat >"$d/iso/isolinux/isolinux.cfg" <<EOF
DEFAULT linux
PROMPT 0
TIMEOUT 0
LABEL linux
  KERNEL /vmlinuz
  APPEND initrd=/initrd.gz $EC_APPEND clearcpuid=avx512f
EOF
	ec_quiet "$d/xorriso.log" xorriso -as mkisofs -o "$d/boot.iso" \
		-b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot \
		-boot-load-size 4 -boot-info-table "$d/iso" || ec_die "xorriso failed: $(cat "$d/xorriso.log")"
	cat >"$d/bochsrc" <<EOF
megs: ${BOCHS_MEGS:-512}
cpu: model=corei7_skylake_x, count=${BOCHS_CPUS:-1}, ips=400000000
clock: sync=none, time0=local
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/vgabios/vgabios.bin
ata0-master: type=cdrom, path=$d/boot.iso, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=$3
port_e9_hack: enabled=1
display_library: rfb, options="timeout=0"
log: $d/bochs.log
panic: action=fatal
error: action=report
info: action=ignore
debug: action=ignore
sound: driver=dummy
speaker: enabled=0
EOF
	echo c >"$d/dbg.rc"
	# port_e9_hack writes to Bochs's stdout, between the debugger's own
	# lines; the TAP parser only takes whole TAP lines from it.
	ec_emulate timeout --kill-after=10 "$4" bochs -q -f "$d/bochsrc" \
		-rc "$d/dbg.rc" </dev/null >"$2" 2>"$d/bochs.stderr"
	rc=$?
	[ $rc = 124 ] || [ $rc = 137 ] && return 124
	return 0
}

# The end of a run: the serial console's last lines when the emulated
# host never printed its end marker, the time taken, then the TAP report
# of REPORT (run-tests.sh, run-qcost.sh).
ec_finish() { # TAG REPORT E9 SERIAL T0
	if ! grep -qxF "# exitcount-vm-tests: end" "$3"; then
		{
			echo "[vm] last lines of the emulated host's serial console:"
			tail -n 25 "$4" 2>/dev/null | tr -d '\r' | sed 's/^/[vm]   /'
			# A reset says nothing on the console: QEMU's log has
			# the CPU's state at it (ec_run_qemu).
			grep -A 20 -i 'triple fault' "$EC_WORK/qemu-debug.log" 2>/dev/null |
				tail -n 21 | sed 's/^/[vm]   qemu: /'
		} >&2
	fi
	ec_log "$1: total $(($(date +%s) - $5)) s"
	# Last: the TAP report, ending with "N passed, M failed".
	ec_tap_report "$2" "# exitcount-vm-tests: end"
}

# What the emulated host wrote to port 0xE9 from its BEGIN line to its END
# line (or to the end of FILE): drops what the emulator itself printed
# around it (Bochs's banner and debugger lines share its stdout with port
# 0xE9).
ec_e9_extract() { # FILE BEGIN END
	tr -d '\r' <"$1" |
		awk -v begin="$2" -v end="$3" '$0 == begin { on = 1 } on { print } on && $0 == end { exit }'
}

# Read a TAP stream from FILE, print its TAP lines numbered in one
# sequence, a plan, and the final "N passed, M failed" line; other
# non-blank lines are shown as comments. A missing MARKER line counts as
# one failure. Returns 0 only when nothing failed.
ec_tap_report() { # FILE MARKER
	local file=$1 marker=$2
	tr -d '\r' <"$file" | awk -v marker="$marker" '
		function emit(ok, desc) {
			n++
			if (ok) pass++; else fail++
			printf "%s %d - %s\n", ok ? "ok" : "not ok", n, desc
		}
		$0 == marker { seen = 1; print; next }
		/^not ok([ \t]|$)/ {
			d = $0; sub(/^not ok[ \t]*[0-9]*[ \t]*(-[ \t]*)?/, "", d)
			emit(0, d); next
		}
		/^ok([ \t]|$)/ {
			d = $0; sub(/^ok[ \t]*[0-9]*[ \t]*(-[ \t]*)?/, "", d)
			emit(1, d); next
		}
		/^#/ || /^Bail out!/ { print; next }
		/^[0-9]+\.\.[0-9]+$/ { print "# sub-plan " $0; next }
		/[^ \t]/ { print "# | " $0 }
		END {
			if (!seen)
				emit(0, "end marker \"" marker "\" seen (the emulated host did not finish)")
			if (n == 0)
				emit(0, "the emulated host reported at least one test")
			printf "1..%d\n", n
			printf "%d passed, %d failed\n", pass, fail
			exit fail > 0
		}'
}
