# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# exitcount-dkms installed by apt in a Debian 12 chroot, as a user installs
# it: shared by tests/deb/run.sh and tests/deb/ko.sh (the packaged module
# for EXITCOUNT_KO).
# Source it from bash after tests/vm/lib.sh (ec_log, ec_die, ec_newest_61).
#
# The chroot (debootstrap bookworm minbase, tests/chroot.sh's
# make_chroot, then the headers of this machine's Debian kernels) is made
# once in tests/chroot.sh's cache and never changed afterwards: every
# install goes to an overlay (EC_OVERLAY) that is thrown away, so a failed
# run leaves nothing behind for the next.

# shellcheck source=tests/chroot.sh
. "$EC_ROOT/tests/chroot.sh"

DEB_CHROOT=$EC_CACHE/chroots/bookworm
DEB_OUT=$EC_ROOT/build/deb
DEB_VERSION=$(sed -n 's/^#define EXITCOUNT_VERSION "\(.*\)"$/\1/p' "$EC_ROOT/include/exitcount/version.h")
DEB_DKMS=$DEB_OUT/exitcount-dkms_${DEB_VERSION}_all.deb

# This machine's kernels that DKMS builds for in the chroot: the newest
# Debian 6.1 and 6.12 ones (those the VM tests boot) with headers
# installed here, so that the chroot's headers match a kernel on hand.
deb_kernels() {
	local k
	for k in "$(ec_newest_61)" "$(find /lib/modules -mindepth 1 -maxdepth 1 \
		-name '6.12.*+deb12-amd64' -printf '%f\n' | sort -V | tail -n 1)"; do
		[ -n "$k" ] && [ -e "/lib/modules/$k/build" ] && echo "$k"
	done
}

# Make the chroot once, then add the headers of KVER... and openssl if it
# lacks them. dkms and what it recommends are only downloaded: `apt
# install` of the package must bring them in through its Depends, without
# the network.
deb_chroot() { # KVER...
	local k missing=()
	make_chroot bookworm || ec_die "no Debian 12 chroot"
	for k in "$@"; do
		[ -e "$DEB_CHROOT/usr/src/linux-headers-$k" ] || missing+=("linux-headers-$k")
	done
	# As on most hosts: DKMS needs openssl to make its key and sign.
	[ -x "$DEB_CHROOT/usr/bin/openssl" ] || missing+=(openssl)
	[ ${#missing[@]} -eq 0 ] && return 0
	ec_log "installing ${missing[*]} in the chroot (once)"
	{
		in_chroot "$DEB_CHROOT" apt-get -q update &&
		in_chroot "$DEB_CHROOT" apt-get -q -y --no-install-recommends install "${missing[@]}" &&
		in_chroot "$DEB_CHROOT" apt-get -q -y --download-only install dkms
	} >"$EC_CACHE/logs/deb-apt.log" 2>&1 ||
		ec_die "apt-get in the chroot failed, see $EC_CACHE/logs/deb-apt.log"
}

# make deb, its output in LOG.
deb_build() { # LOG
	"$EC_ROOT/tools/build-deb.sh" >"$1" 2>&1 && [ -f "$DEB_DKMS" ]
}

# `apt install ./exitcount-dkms_*.deb` in the chroot, on overlay DIR
# (EC_OVERLAY), as a user does; apt's and DKMS's output in LOG.
deb_install() { # DIR LOG
	mkdir -p "$1/upper/exitcount-deb" &&
	cp "$DEB_DKMS" "$1/upper/exitcount-deb/" &&
	EC_OVERLAY=$1 in_chroot "$DEB_CHROOT" apt install -q -y \
		"./exitcount-deb/${DEB_DKMS##*/}" >"$2" 2>&1
}
