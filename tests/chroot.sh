# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers for the scripts that work in Debian/Ubuntu chroots
# (tests/compile-matrix.sh, tests/deb/): source it from bash.

# The archive URI this machine's APT uses for label $1 (Debian,
# Debian-Security, Ubuntu), or, where the lists carry no release
# information yet, for this machine's release with suffix $2 ("" or
# -security) on an $3 (os-release ID) machine.
apt_archive() {
	local label=$1 suffix=$2 os=$3 id="" codename=""

	if [ -r /etc/os-release ]; then
		# shellcheck disable=SC1091 # the machine's file, not ours
		id=$(. /etc/os-release && echo "${ID:-}")
		# shellcheck disable=SC1091
		codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
	fi
	[ "$id" = "$os" ] || codename=""
	# shellcheck disable=SC2016 # apt's format, not the shell's
	apt-get indextargets --format '$(LABEL)|$(RELEASE)|$(REPO_URI)' \
		'Identifier: Packages' 2>/dev/null |
		awk -F'|' -v l="$label" -v r="$codename$suffix" -v c="$codename" '
			$1 == l { print $3; found = 1; exit }
			c != "" && $2 == r && !alt { alt = $3 }
			END { if (!found && alt) print alt }' |
		sed 's|/$||'
}

# Run a command as root inside chroot $1, with its own /proc, in a private
# mount namespace: nothing stays mounted when it ends. With
# EC_OVERLAY=DIR the chroot is left as it is: it is the lower layer of an
# overlay whose changes go to DIR (kept from one call to the next).
in_chroot() {
	local root=$1 ov=${EC_OVERLAY:-}
	shift
	if [ -n "$ov" ]; then
		mkdir -p "$ov/upper" "$ov/work" "$ov/root" || return
	fi
	# shellcheck disable=SC2016 # expanded by the shells inside
	unshare --mount --propagation private -- /bin/sh -c '
		root=$1 ov=$2
		shift 2
		if [ -n "$ov" ]; then
			mount -t overlay overlay -o "lowerdir=$root,upperdir=$ov/upper,workdir=$ov/work" "$ov/root" || exit
			root=$ov/root
		fi
		exec chroot "$root" /usr/bin/env -i \
			PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C \
			DEBIAN_FRONTEND=noninteractive \
			/bin/sh -c "mount -t proc proc /proc && exec \"\$@\"" sh "$@"' \
		sh "$root" "$ov" "$@"
}
