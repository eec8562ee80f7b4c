#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# exitcount.ko as a user gets it from the package: make deb, then
# `apt install ./exitcount-dkms_*.deb` in the Debian 12 chroot of
# tests/deb/lib.sh, whose DKMS builds it for kernel KVER; the module is
# copied (uncompressed) to OUT, and the chroot is left as it was.
#
#   tests/deb/ko.sh OUT        KVER as tests/vm/lib.sh picks it (newest 6.1)
#
# The VM scripts boot it with EXITCOUNT_KO=OUT (tests/vm/lib.sh).
# Root only (debootstrap, chroot). Progress on stderr.
set -euo pipefail

# shellcheck source=tests/vm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../vm/lib.sh"
# shellcheck source=tests/deb/lib.sh
. "$EC_ROOT/tests/deb/lib.sh"

[ $# -eq 1 ] || { echo "usage: $0 OUT" >&2; exit 2; }
out=$1
ec_pick_kver
work=$(mktemp -d "${TMPDIR:-/tmp}/exitcount-ko.XXXXXX")
trap 'rm -rf "$work"' EXIT

ec_log "make deb"
deb_build "$work/build.log" || { tail -n 30 "$work/build.log" >&2; ec_die "make deb failed"; }
deb_chroot "$KVER"
# DKMS builds for every kernel in /lib/modules: keep only KVER's.
EC_OVERLAY=$work/overlay in_chroot "$DEB_CHROOT" find /lib/modules -mindepth 1 \
	-maxdepth 1 ! -name "$KVER" -exec rm -rf {} +
ec_log "apt install ./${DEB_DKMS##*/} in the Debian 12 chroot (DKMS builds for $KVER)"
deb_install "$work/overlay" "$work/apt.log" || { tail -n 30 "$work/apt.log" >&2; ec_die "apt install failed"; }
EC_OVERLAY=$work/overlay in_chroot "$DEB_CHROOT" sh -c \
	"cat /lib/modules/$KVER/updates/dkms/exitcount.ko*" >"$work/exitcount.ko" ||
	{ tail -n 30 "$work/apt.log" >&2; ec_die "DKMS installed no exitcount.ko for $KVER"; }
xz -dc "$work/exitcount.ko" >"$out" 2>/dev/null || cp "$work/exitcount.ko" "$out"
ec_log "$out: DKMS's exitcount.ko for $KVER"
