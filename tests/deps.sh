#!/bin/bash
# Install the Debian 12 packages the build, the tests and the demo need.
# Runs apt-get only when something is missing; must run as root then.
set -euo pipefail

packages=(
	build-essential bc kmod cpio xz-utils dkms openssl file git
	linux-image-amd64 linux-headers-amd64
	linux-image-rt-amd64 linux-headers-rt-amd64	# PREEMPT_RT: Bochs, tests/exitpath
	qemu-system-x86 busybox-static cpuid
	bochs bochsbios vgabios isolinux syslinux-common xorriso
	libcmocka-dev libcpuid-dev pkg-config python3
	prometheus	# promtool: exitcount --host --prometheus (tests/cli, VM tests)
	cppcheck clang-tidy
	clang libclang-rt-14-dev	# libFuzzer: libclang_rt.fuzzer-x86_64.a
	debhelper dh-dkms lintian debootstrap bash-completion groff-base man-db	# make deb, tests/deb
)

# Debian 12's newest 6.12 kernel, the second kernel of the VM tests,
# unless one with headers is installed already.
if ! ls -d /lib/modules/6.12.*+deb12-amd64/build >/dev/null 2>&1; then
	[ "$(id -u)" -eq 0 ] && apt-get update -q >&2
	v=$(apt-cache search --names-only '^linux-headers-6\.12\.[0-9]+\+deb12-amd64$' |
		sed 's/^linux-headers-\([^ ]*\) .*/\1/' | sort -V | tail -n 1)
	[ -n "$v" ] && packages+=("linux-headers-$v" "linux-image-$v" dwarves)
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "missing packages: ${missing[*]}" >&2
	echo "run as root: apt-get update && apt-get install -y ${missing[*]}" >&2
	exit 1
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
apt-get install -y -q --no-install-recommends "${missing[@]}" >&2
