# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Chroots of other Debian and Ubuntu releases, for building against (and
# booting) kernels this machine's release does not ship: sourced by
# tests/compile-matrix.sh, tests/vm/lib.sh (KSUITE) and tests/deb (bookworm).
#
# Cache: $EXITCOUNT_MATRIX_CACHE, default ~/.cache/exitcount-matrix
# (chroots/, logs/, kernels/); nothing is written to the repository.
# EC_OFFLINE=1: use what the cache holds, fetch nothing.
#
# Archives: no host name is written here. The Debian archive (and its
# security archive, for bullseye's kernel updates) is the one this
# machine's APT uses, as apt-get indextargets reports it; likewise the
# Ubuntu archive on an Ubuntu machine. EXITCOUNT_DEBIAN_MIRROR,
# EXITCOUNT_DEBIAN_SECURITY_MIRROR and EXITCOUNT_UBUNTU_MIRROR override
# them; an Ubuntu release on a machine with no Ubuntu source configured
# needs EXITCOUNT_UBUNTU_MIRROR (the URI of an Ubuntu archive, with
# jammy, noble and resolute and their -updates and -security suites).

EC_CACHE=${EXITCOUNT_MATRIX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/exitcount-matrix}
EC_OFFLINE=${EC_OFFLINE:-0}

# The kernels compile-matrix builds against and KERNEL_FROM (tests/vm/lib.sh)
# boots: name | where the tree comes from | which tree: a glob of /usr/src on this
# machine (host), or the headers packages to choose the newest of, as an
# extended regex, and the suites to choose from.
EC_KERNELS=(
	"debian-6.1|host|/usr/src/linux-headers-6.1.0-[0-9]*[0-9]-amd64"
	"debian-6.12|host|/usr/src/linux-headers-6.12.*+deb12-amd64"
	"debian-5.10|bullseye|^linux-headers-5\.10\.0-[0-9]+-amd64$|bullseye bullseye-updates bullseye-security"
	"ubuntu-5.15|jammy|^linux-headers-5\.15\.0-[0-9]+-generic$|jammy jammy-updates jammy-security"
	"ubuntu-6.8|noble|^linux-headers-6\.8\.0-[0-9]+-generic$|noble noble-updates noble-security"
	"ubuntu-6.14|noble|^linux-headers-6\.14\.0-[0-9]+-generic$|noble noble-updates noble-security"
	"ubuntu-6.17|noble|^linux-headers-6\.17\.0-[0-9]+-generic$|noble noble-updates noble-security"
	"ubuntu-7.0|resolute|^linux-headers-7\.0\.0-[0-9]+-generic$|resolute resolute-updates resolute-security"
	"debian-sid|sid|^linux-headers-[0-9.]+(\+deb[0-9]+)?-amd64$|sid"
	"debian-experimental|sid|^linux-headers-[0-9.]+(\+deb[0-9]+)?-amd64$|experimental"
)

# Field $2 (from 0) of a "|"-separated entry $1.
field() {
	local IFS='|'
	local -a f
	read -r -a f <<<"$1"
	echo "${f[$2]:-}"
}

# The entry of EC_KERNELS named $1.
kernel_entry() {
	local e
	for e in "${EC_KERNELS[@]}"; do
		[ "$(field "$e" 0)" = "$1" ] && { echo "$e"; return 0; }
	done
	return 1
}

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
debian_mirror=${EXITCOUNT_DEBIAN_MIRROR:-$(apt_archive Debian "" debian)}
debian_security_mirror=${EXITCOUNT_DEBIAN_SECURITY_MIRROR:-$(apt_archive Debian-Security -security debian)}
ubuntu_mirror=${EXITCOUNT_UBUNTU_MIRROR:-$(apt_archive Ubuntu "" ubuntu)}


# Run a command as root inside chroot $1, with its own /proc, in a private
# mount namespace: nothing stays mounted when it ends. With
# EC_OVERLAY=DIR the chroot is left as it is: it is the lower layer of an
# overlay whose changes go to DIR, kept from one call to the next
# (tests/deb installs packages there).
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

# Debian 12 has no Ubuntu archive key: take it from Debian's ubuntu-keyring
# package, through a private APT configuration (verified by Debian's keys;
# the machine's own APT sources stay as they are).
ubuntu_keyring() {
	local dir=$EC_CACHE/ubuntu-keyring apt
	local key=$dir/usr/share/keyrings/ubuntu-archive-keyring.gpg

	if [ ! -s "$key" ]; then
		if [ -z "$debian_mirror" ]; then
			echo "Ubuntu's archive key comes from Debian's ubuntu-keyring: set EXITCOUNT_DEBIAN_MIRROR to a Debian archive's URI" >&2
			return 1
		fi
		apt=$EC_CACHE/apt-debian
		mkdir -p "$apt/state/lists/partial" "$apt/cache/archives/partial" \
			"$dir" || return 1
		echo "deb $debian_mirror trixie main" >"$apt/sources.list"
		local -a opts=(-q -o "Dir::Etc::sourcelist=$apt/sources.list"
			-o Dir::Etc::sourceparts=- -o "Dir::State=$apt/state"
			-o "Dir::Cache=$apt/cache" -o Dir::State::status=/dev/null
			-o APT::Sandbox::User=root)
		apt-get "${opts[@]}" update >&2 || return 1
		(cd "$apt" && rm -f ubuntu-keyring_*.deb &&
			apt-get "${opts[@]}" download ubuntu-keyring >&2) || return 1
		dpkg-deb -x "$apt"/ubuntu-keyring_*.deb "$dir" || return 1
	fi
	echo "$key"
}

# The chroot of release $1, made once.
make_chroot() {
	local release=$1 root=$EC_CACHE/chroots/$1
	local -a args=(--variant=minbase)
	local mirror key script=""

	[ -e "$root/.exitcount-ready" ] && return 0
	if [ "$EC_OFFLINE" -eq 1 ]; then
		echo "$release: no chroot yet (offline)" >&2
		return 1
	fi
	if [ "$(id -u)" -ne 0 ]; then
		echo "$release: making a chroot needs root" >&2
		return 1
	fi
	command -v debootstrap >/dev/null ||
		apt-get install -y -q --no-install-recommends debootstrap >&2 ||
		return 1
	rm -rf "$root"
	mkdir -p "$root" "$EC_CACHE/logs"
	case $release in
	jammy | noble | resolute)
		mirror=$ubuntu_mirror
		if [ -z "$mirror" ]; then
			echo "$release: no Ubuntu archive configured in APT here; set EXITCOUNT_UBUNTU_MIRROR to an Ubuntu archive's URI" >&2
			return 1
		fi
		key=$(ubuntu_keyring) || return 1
		args+=(--components=main "--keyring=$key")
		# Debian 12's debootstrap knows no noble; all Ubuntu
		# releases share one script.
		script=/usr/share/debootstrap/scripts/gutsy
		printf 'deb %s %s main\n' "$mirror" "$release" "$mirror" \
			"$release-updates" "$mirror" "$release-security" \
			>"$EC_CACHE/chroots/$release.list"
		;;
	bullseye | bookworm)	# bookworm: tests/deb, Debian 12 as a user has it
		mirror=$debian_mirror
		printf 'deb %s %s main\n' "$mirror" "$release" "$mirror" \
			"$release-updates" >"$EC_CACHE/chroots/$release.list"
		# Debian's kernel updates come through its security archive.
		[ -n "$debian_security_mirror" ] &&
			printf 'deb %s %s main\n' "$debian_security_mirror" \
				"$release-security" >>"$EC_CACHE/chroots/$release.list"
		;;
	sid)
		mirror=$debian_mirror
		printf 'deb %s %s main\n' "$mirror" sid "$mirror" experimental \
			>"$EC_CACHE/chroots/$release.list"
		;;
	esac
	if [ -z "$mirror" ]; then
		echo "$release: no Debian archive configured in APT here; set EXITCOUNT_DEBIAN_MIRROR to a Debian archive's URI" >&2
		return 1
	fi
	echo "== $release: debootstrap into $root" >&2
	debootstrap "${args[@]}" "$release" "$root" "$mirror" $script \
		>"$EC_CACHE/logs/debootstrap-$release.log" 2>&1 || {
		echo "$release: debootstrap failed, see $EC_CACHE/logs/debootstrap-$release.log" >&2
		return 1
	}
	cp "$EC_CACHE/chroots/$release.list" "$root/etc/apt/sources.list"
	# No pseudo-terminal in there: dpkg's log needs none. The mirror may
	# lag behind sid's week-long Valid-Until; signatures are still checked.
	printf '%s\n' 'Dpkg::Use-Pty "0";' 'Acquire::Check-Valid-Until "false";' \
		>"$root/etc/apt/apt.conf.d/90exitcount"
	touch "$root/.exitcount-ready"
}

# Package names in chroot $1 from suites $2 matching regex $3, newest last.
candidates() {
	local root=$1 suites=$2 re=$3 s f
	for s in $suites; do
		for f in "$root"/var/lib/apt/lists/*_dists_"${s}"_main_binary-amd64_Packages*; do
			[ -e "$f" ] || continue
			in_chroot "$root" /usr/lib/apt/apt-helper cat-file \
				"/${f#"$root"/}"
		done
	done | sed -n 's/^Package: //p' | grep -E "$re" | sort -u -V
}

# Compiler command the tree's kernel was built with, as its config says.
tree_cc() {
	sed -n 's/^CONFIG_CC_VERSION_TEXT="\{0,1\}\([^ ]*\) .*/\1/p' \
		"$1/include/config/auto.conf"
}

# Make chroot entry $1 ready; print "KDIR|PACKAGE|VERSION|CC" (paths inside
# the chroot).
prepare_chroot_entry() {
	local release=$1 re=$2 suites=$3 root=$EC_CACHE/chroots/$1
	local pkg kdir cc ccpkg target=""

	make_chroot "$release" || return 1
	if [ "$EC_OFFLINE" -eq 0 ]; then
		in_chroot "$root" apt-get -q update >&2 || return 1
	fi
	pkg=$(candidates "$root" "$suites" "$re" | tail -n 1)
	[ -n "$pkg" ] || { echo "$release: no package matches $re" >&2; return 1; }
	case $suites in
	experimental) target=experimental ;;
	esac
	# make and, for W=1's kernel-doc checks, perl and python3
	if [ "$EC_OFFLINE" -eq 0 ]; then
		in_chroot "$root" apt-get -q -y --no-install-recommends \
			${target:+-t $target} install "$pkg" make perl python3 \
			>&2 || return 1
		in_chroot "$root" apt-get clean
	fi
	kdir=/usr/src/${pkg}
	[ -e "$root$kdir/include/config/auto.conf" ] ||
		{ echo "$release: $pkg is not installed" >&2; return 1; }
	# Ubuntu's trees leave the compiler to the caller, as its DKMS
	# does: the one named in the kernel's config. Debian's name it.
	cc=$(tree_cc "$root$kdir")
	case $cc in
	*-gcc-[0-9]*) ccpkg=gcc-${cc##*-gcc-} ;;
	*) ccpkg=gcc ;;
	esac
	if [ ! -x "$root/usr/bin/$cc" ] && [ "$EC_OFFLINE" -eq 0 ]; then
		in_chroot "$root" apt-get -q -y --no-install-recommends \
			install "$ccpkg" >&2 || return 1
	fi
	grep -q '^CC = ' "$root$kdir/.kernelvariables" 2>/dev/null && cc=""
	# shellcheck disable=SC2016 # dpkg-query's format, not the shell's
	echo "$kdir|$pkg|$(in_chroot "$root" dpkg-query -W -f '${Version}' "$pkg")|$cc"
}

# Unpack the kernel image and modules of kernel release $2 (e.g.
# 7.2.13+deb14-amd64), package version $3, from the packages of chroot $1
# into $EC_CACHE/kernels/$2_$3, once; print that directory.
kernel_image() {
	local root=$1 kver=$2 dir=$EC_CACHE/kernels/$2_$3 p deb

	[ -e "$dir/.exitcount-ready" ] && { echo "$dir"; return 0; }
	if [ "$EC_OFFLINE" -eq 1 ]; then
		echo "$kver: kernel not unpacked yet (offline)" >&2
		return 1
	fi
	rm -rf "$dir" "$root/tmp/exitcount-kernel"
	mkdir -p "$dir" "$root/tmp/exitcount-kernel" || return 1
	# From 7.x Debian splits linux-image-X into linux-binary-X (the
	# image) and linux-modules-X; before, linux-image-X holds both.
	for p in "linux-image-$kver" "linux-binary-$kver" "linux-modules-$kver"; do
		in_chroot "$root" apt-cache show "$p" >/dev/null 2>&1 || continue
		# shellcheck disable=SC2016 # for the chroot's shell
		in_chroot "$root" sh -c 'cd /tmp/exitcount-kernel && apt-get -q download "$1"' \
			sh "$p=$3" >&2 || return 1
	done
	for deb in "$root"/tmp/exitcount-kernel/*.deb; do
		dpkg-deb -x "$deb" "$dir" || return 1
	done
	rm -rf "$root/tmp/exitcount-kernel"
	touch "$dir/.exitcount-ready"
	echo "$dir"
}
