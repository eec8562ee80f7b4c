#!/bin/bash
# Install the Debian 12 packages the build, the tests and the demo need.
# Runs apt-get only when something is missing; must run as root then.
set -euo pipefail

packages=(
	build-essential bc kmod cpio xz-utils dkms
	linux-image-amd64 linux-headers-amd64
	qemu-system-x86 busybox-static cpuid
	bochs bochsbios vgabios isolinux syslinux-common xorriso
	libcmocka-dev libcpuid-dev pkg-config python3
	cppcheck clang-tidy
)

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
