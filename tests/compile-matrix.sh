#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make compile-matrix: build the module against the prepared kernel trees
# (headers packages, as DKMS uses them) of other kernel versions, and print
# a table: builds yes/no, number of warnings, first error. Not part of
# make check.
#
#   tests/compile-matrix.sh [--list] [--offline] [ENTRY...]
#
#   --list     print the entries and how each tree is had; build nothing
#   --offline  use the trees already in the cache, fetch nothing
#   ENTRY      only these entries (default: all)
#
# debian-6.1 and debian-6.12 build against this machine's Debian 12 headers
# (tests/deps.sh installs them; the generic flavour, not -rt or -cloud). Every other entry builds in a minimal
# chroot of its own release (debootstrap, as root), where apt installs the
# newest headers package of that kernel series and the compiler the kernel
# was built with: the environment DKMS has on that distribution. Not the
# host: the kbuild binaries of noble and sid need a newer glibc than
# Debian 12's 2.36, sid's trees are configured for a gcc whose flags gcc-12
# rejects, and another compiler than the kernel's changes the warnings.
#
# An entry inside the range module/compat.h supports (EC_KERNEL_MIN up to
# EC_KERNEL_END) passes if it builds; one outside it passes only if its
# build stops at compat.h's #error. dkms.conf's BUILD_EXCLUSIVE_KERNEL must
# agree with that range for every entry. Ends with "N passed, N failed";
# exits 1 if any entry failed.
#
# Chroots, cache and archives: tests/chroot.sh (EXITCOUNT_MATRIX_CACHE,
# EXITCOUNT_DEBIAN_MIRROR, EXITCOUNT_DEBIAN_SECURITY_MIRROR,
# EXITCOUNT_UBUNTU_MIRROR). Nothing is written to the repository.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

# shellcheck source=tests/chroot.sh
. tests/chroot.sh
cache=$EC_CACHE

list=0
wanted=()
for arg in "$@"; do
	case $arg in
	--list) list=1 ;;
	--offline) EC_OFFLINE=1 ;;
	-*) echo "usage: $0 [--list] [--offline] [ENTRY...]" >&2; exit 2 ;;
	*) wanted+=("$arg") ;;
	esac
done

if [ ${#wanted[@]} -gt 0 ]; then
	for w in "${wanted[@]}"; do
		kernel_entry "$w" >/dev/null ||
			{ echo "unknown entry $w (see --list)" >&2; exit 2; }
	done
fi

selected() {
	local w
	[ ${#wanted[@]} -eq 0 ] && return 0
	for w in "${wanted[@]}"; do
		[ "$w" = "$1" ] && return 0
	done
	return 1
}

if [ $list -eq 1 ]; then
	for e in "${EC_KERNELS[@]}"; do
		selected "$(field "$e" 0)" || continue
		if [ "$(field "$e" 1)" = host ]; then
			printf '%-20s newest %s on this machine\n' "$(field "$e" 0)" \
				"$(field "$e" 2)"
		else
			printf '%-20s chroot %s: newest %s from %s\n' \
				"$(field "$e" 0)" "$(field "$e" 1)" "$(field "$e" 2)" \
				"$(field "$e" 3)"
		fi
	done
	exit 0
fi

# The supported range as compat.h states it: KERNEL_VERSION(a, b, c).
range_code() {
	sed -n "s/^#define $1[[:space:]]*KERNEL_VERSION(\([0-9]*\), *\([0-9]*\), *\([0-9]*\)).*/\1 \2 \3/p" \
		module/compat.h | awk '{print $1 * 65536 + $2 * 256 + $3}'
}
min_code=$(range_code EC_KERNEL_MIN)
end_code=$(range_code EC_KERNEL_END)
if [ -z "$min_code" ] || [ -z "$end_code" ]; then
	echo "module/compat.h: EC_KERNEL_MIN/EC_KERNEL_END not found" >&2
	exit 2
fi
dkms_re=$(sed -n 's/^BUILD_EXCLUSIVE_KERNEL="\(.*\)"$/\1/p' dkms.conf)

mkdir -p "$cache/logs" || exit 2

# Where a copy of the module is built: /build/exitcount inside chroot $1,
# or in the cache for the host ($1 empty).
build_dir() {
	if [ -n "$1" ]; then
		echo "$1/build/exitcount"
	else
		echo "$cache/host-build/exitcount"
	fi
}

# Build a fresh copy of the module against $kdir (inside chroot $root, or
# on the host if $root is empty) into log $log; CC $cc if not empty.
build() {
	local root=$1 kdir=$2 cc=$3 log=$4 dir

	dir=$(build_dir "$root")
	rm -rf "$dir"
	mkdir -p "$dir"
	cp -a Kbuild module include "$dir/" || return 1
	rm -f "$dir"/module/*.o "$dir"/module/.*.cmd
	if [ -n "$root" ]; then
		in_chroot "$root" make -C "$kdir" M=/build/exitcount W=1 \
			${cc:+CC=$cc} -j"$(nproc)" modules >"$log" 2>&1
	else
		make -C "$kdir" M="$dir" W=1 ${cc:+CC=$cc} -j"$(nproc)" \
			modules >"$log" 2>&1
	fi
}

version_code() {
	sed -n 's/^#define LINUX_VERSION_CODE \([0-9]*\)/\1/p' \
		"$1/include/generated/uapi/linux/version.h"
}

code_str() {
	echo "$(($1 >> 16)).$((($1 >> 8) & 255)).$(($1 & 255))"
}

passed=0
failed=0
rows=()
row() {
	rows+=("$(printf '%-20s %-32s %-22s %-5s %-6s %-8s %-4s %s' "$@")")
}
row ENTRY "KERNEL (VERSION_CODE)" PACKAGE-VERSION RANGE BUILDS WARNINGS DKMS "RESULT / FIRST ERROR"

for e in "${EC_KERNELS[@]}"; do
	name=$(field "$e" 0)
	selected "$name" || continue
	where=$(field "$e" 1)
	log=$cache/logs/$name.log
	echo "== $name" >&2
	if [ "$where" = host ]; then
		# shellcheck disable=SC2046,SC2012 # the glob is meant to expand
		kdir=$(ls -d $(field "$e" 2) 2>/dev/null | sort -V | tail -n 1)
		root=""
		cc=""
		if [ -n "$kdir" ]; then
			pkg=$(basename "$kdir")
			pver=$(dpkg-query -W -f '${Version}' "$pkg" 2>/dev/null)
		fi
	else
		root=$cache/chroots/$where
		info=$(prepare_chroot_entry "$where" "$(field "$e" 2)" "$(field "$e" 3)")
		kdir=$(field "$info" 0)
		pkg=$(field "$info" 1)
		pver=$(field "$info" 2)
		cc=$(field "$info" 3)
	fi
	if [ -z "$kdir" ] || [ ! -e "$root$kdir/include/config/kernel.release" ]; then
		row "$name" - - - no - - "FAIL: no kernel tree (see above)"
		failed=$((failed + 1))
		continue
	fi
	# The kernel release as DKMS sees it, e.g. 6.1.0-56-amd64 (Debian's
	# kernel.release says 6.1.192).
	release=${kdir##*/linux-headers-}
	code=$(version_code "$root$kdir")
	inside=no
	if [ "$code" -ge "$min_code" ] && [ "$code" -lt "$end_code" ]; then
		inside=yes
	fi
	build "$root" "$kdir" "$cc" "$log"
	status=$?
	builds=no
	[ $status -eq 0 ] && [ -e "$(build_dir "$root")/exitcount.ko" ] && builds=yes
	# Compiler and modpost warnings; the "compiler differs" and
	# "pahole version differs" notices are about the build machine, not
	# the module.
	warnings=$(grep -E -i '(^|[: ])warning:' "$log" |
		grep -c -v -e 'the compiler differs' -e 'pahole version differs')
	first=$(grep -E -m 1 '(error|ERROR):|Error [0-9]+' "$log" |
		sed 's|^[^ ]*/exitcount/||')
	dkms=no
	[[ $release =~ $dkms_re ]] && dkms=yes
	result=PASS
	if [ $inside = yes ] && [ $builds = no ]; then
		result="FAIL: does not build"
	elif [ $inside = no ] && [ $builds = yes ]; then
		result="FAIL: built outside the supported range"
	elif [ $inside = no ] && ! grep -q 'error: #error "exitcount supports' "$log"; then
		result="FAIL: failed, but not at compat.h's #error"
	elif [ $dkms != $inside ]; then
		result="FAIL: dkms.conf disagrees with compat.h"
	fi
	[ $inside = no ] && [ "${result%%:*}" = PASS ] && result="PASS (refused)"
	if [ "${result%%:*}" = FAIL ]; then
		failed=$((failed + 1))
	else
		passed=$((passed + 1))
	fi
	[ -n "$first" ] && result="$result; $first"
	row "$name" "$release ($(code_str "$code"))" "$pver" "$inside" "$builds" \
		"$warnings" "$dkms" "$result"
done

echo
echo "supported (module/compat.h): $(code_str "$min_code") <= version < $(code_str "$end_code"); dkms.conf: $dkms_re"
printf '%s\n' "${rows[@]}"
echo "logs: $cache/logs"
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
