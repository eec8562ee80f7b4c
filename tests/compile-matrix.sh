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
# Cache (chroots, logs): $EXITCOUNT_MATRIX_CACHE, default
# ~/.cache/exitcount-matrix; nothing is written to the repository.
#
# Archives: no host name is written here. The Debian archive (and its
# security archive, for bullseye's kernel updates) is the one this
# machine's APT uses, as apt-get indextargets reports it; likewise the
# Ubuntu archive on an Ubuntu machine. EXITCOUNT_DEBIAN_MIRROR,
# EXITCOUNT_DEBIAN_SECURITY_MIRROR and EXITCOUNT_UBUNTU_MIRROR override
# them; an Ubuntu entry on a machine with no Ubuntu source configured
# needs EXITCOUNT_UBUNTU_MIRROR (the URI of an Ubuntu archive, with
# jammy, noble and resolute and their -updates and -security suites).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 2

cache=${EXITCOUNT_MATRIX_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/exitcount-matrix}

# shellcheck source=tests/chroot.sh
. tests/chroot.sh # apt_archive, in_chroot
debian_mirror=${EXITCOUNT_DEBIAN_MIRROR:-$(apt_archive Debian "" debian)}
debian_security_mirror=${EXITCOUNT_DEBIAN_SECURITY_MIRROR:-$(apt_archive Debian-Security -security debian)}
ubuntu_mirror=${EXITCOUNT_UBUNTU_MIRROR:-$(apt_archive Ubuntu "" ubuntu)}

# name | where the tree comes from | which tree: a glob of /usr/src on this
# machine (host), or the headers packages to choose the newest of, as an
# extended regex, and the suites to choose from.
entries=(
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

list=0
offline=0
wanted=()
for arg in "$@"; do
	case $arg in
	--list) list=1 ;;
	--offline) offline=1 ;;
	-*) echo "usage: $0 [--list] [--offline] [ENTRY...]" >&2; exit 2 ;;
	*) wanted+=("$arg") ;;
	esac
done

field() {
	local IFS='|'
	local -a f
	read -r -a f <<<"$1"
	echo "${f[$2]:-}"
}

if [ ${#wanted[@]} -gt 0 ]; then
	for w in "${wanted[@]}"; do
		found=0
		for e in "${entries[@]}"; do
			[ "$(field "$e" 0)" = "$w" ] && found=1
		done
		[ $found -eq 1 ] || { echo "unknown entry $w (see --list)" >&2; exit 2; }
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
	for e in "${entries[@]}"; do
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

# Debian 12 has no Ubuntu archive key: take it from Debian's ubuntu-keyring
# package, through a private APT configuration (verified by Debian's keys;
# the machine's own APT sources stay as they are).
ubuntu_keyring() {
	local dir=$cache/ubuntu-keyring apt
	local key=$dir/usr/share/keyrings/ubuntu-archive-keyring.gpg

	if [ ! -s "$key" ]; then
		if [ -z "$debian_mirror" ]; then
			echo "Ubuntu's archive key comes from Debian's ubuntu-keyring: set EXITCOUNT_DEBIAN_MIRROR to a Debian archive's URI" >&2
			return 1
		fi
		apt=$cache/apt-debian
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
	local release=$1 root=$cache/chroots/$1
	local -a args=(--variant=minbase)
	local mirror key script=""

	[ -e "$root/.exitcount-ready" ] && return 0
	if [ $offline -eq 1 ]; then
		echo "$release: no chroot yet (--offline)" >&2
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
	mkdir -p "$root"
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
			>"$cache/chroots/$release.list"
		;;
	bullseye)
		mirror=$debian_mirror
		printf 'deb %s %s main\n' "$mirror" bullseye "$mirror" \
			bullseye-updates >"$cache/chroots/$release.list"
		# Debian 11's kernel updates come through its security archive.
		[ -n "$debian_security_mirror" ] &&
			printf 'deb %s %s main\n' "$debian_security_mirror" \
				bullseye-security >>"$cache/chroots/$release.list"
		;;
	sid)
		mirror=$debian_mirror
		printf 'deb %s %s main\n' "$mirror" sid "$mirror" experimental \
			>"$cache/chroots/$release.list"
		;;
	esac
	if [ -z "$mirror" ]; then
		echo "$release: no Debian archive configured in APT here; set EXITCOUNT_DEBIAN_MIRROR to a Debian archive's URI" >&2
		return 1
	fi
	echo "== $release: debootstrap into $root" >&2
	debootstrap "${args[@]}" "$release" "$root" "$mirror" $script \
		>"$cache/logs/debootstrap-$release.log" 2>&1 || {
		echo "$release: debootstrap failed, see $cache/logs/debootstrap-$release.log" >&2
		return 1
	}
	cp "$cache/chroots/$release.list" "$root/etc/apt/sources.list"
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
	local release=$1 re=$2 suites=$3 root=$cache/chroots/$1
	local pkg kdir cc ccpkg target=""

	make_chroot "$release" || return 1
	if [ $offline -eq 0 ]; then
		in_chroot "$root" apt-get -q update >&2 || return 1
	fi
	pkg=$(candidates "$root" "$suites" "$re" | tail -n 1)
	[ -n "$pkg" ] || { echo "$release: no package matches $re" >&2; return 1; }
	case $suites in
	experimental) target=experimental ;;
	esac
	# make and, for W=1's kernel-doc checks, perl and python3
	if [ $offline -eq 0 ]; then
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
	if [ ! -x "$root/usr/bin/$cc" ] && [ $offline -eq 0 ]; then
		in_chroot "$root" apt-get -q -y --no-install-recommends \
			install "$ccpkg" >&2 || return 1
	fi
	grep -q '^CC = ' "$root$kdir/.kernelvariables" 2>/dev/null && cc=""
	# shellcheck disable=SC2016 # dpkg-query's format, not the shell's
	echo "$kdir|$pkg|$(in_chroot "$root" dpkg-query -W -f '${Version}' "$pkg")|$cc"
}

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

for e in "${entries[@]}"; do
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
