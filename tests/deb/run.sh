#!/bin/bash
# shellcheck disable=SC2317 # functions that run through check()
# SPDX-License-Identifier: GPL-2.0
#
# The Debian packages (make deb): they build, lintian finds nothing, the
# man page and the bash completion work and cover every option, and
# exitcount-dkms installed with `apt install ./exitcount-dkms_*.deb` in a
# Debian 12 chroot gets exitcount.ko built and installed by DKMS for each
# kernel there (this machine's Debian 6.1 and 6.12), and purged leaves
# none behind. Prints TAP lines, then "N passed, M failed". Root only
# (debootstrap, chroot); the chroot is cached (tests/deb/lib.sh).
set -uo pipefail

# shellcheck source=tests/vm/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../vm/lib.sh"
# shellcheck source=tests/deb/lib.sh
. "$EC_ROOT/tests/deb/lib.sh"

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
n=0
passed=0
failed=0

# One TAP line for CMD's exit status; CMD's output follows a failure.
check() { # DESC CMD...
	local desc=$1
	shift
	n=$((n + 1))
	if "$@" >"$tmp/out" 2>&1; then
		passed=$((passed + 1))
		echo "ok $n - $desc"
	else
		failed=$((failed + 1))
		echo "not ok $n - $desc"
		tail -n 20 "$tmp/out" | sed 's/^/#   /'
	fi
}

finish() {
	echo "1..$n"
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ]
	exit
}

# ---- the build ------------------------------------------------------------

# With the package's own test step (the CLI's tests) on, as Debian would.
export DEB_BUILD_OPTIONS=
check "make deb builds exitcount-dkms, exitcount, the .dsc and .changes (CLI tests on)" \
	deb_build "$tmp/build.log"
[ -f "$DEB_DKMS" ] || { tail -n 30 "$tmp/build.log" | sed 's/^/#   /'; finish; }
cli_deb=$DEB_OUT/exitcount_${DEB_VERSION}_amd64.deb
changes=$DEB_OUT/exitcount_${DEB_VERSION}_amd64.changes
src=$DEB_OUT/exitcount-$DEB_VERSION

# The version check of debian/rules, on a copy whose changelog disagrees.
version_check() { # CHANGELOG-VERSION
	rm -rf "$tmp/vsrc"
	cp -a "$src" "$tmp/vsrc" &&
	sed -i "1s/([^)]*)/($1)/" "$tmp/vsrc/debian/changelog" &&
	(cd "$tmp/vsrc" && debian/rules override_dh_auto_configure)
}
check "debian/changelog's version is version.h's ($DEB_VERSION)" version_check "$DEB_VERSION"
version_mismatch() { ! version_check 9.9.9; }
check "a changelog version other than version.h's stops the build" version_mismatch

lint() {
	local out
	out=$(lintian -I --pedantic "$changes" 2>/dev/null) || return 1
	echo "$out"
	[ -z "$out" ]
}
check "lintian -I --pedantic on the .changes (.dsc and .debs): no tag" lint

field() { dpkg-deb -f "$1" "$2"; }
check "exitcount-dkms is Architecture: all" test "$(field "$DEB_DKMS" Architecture)" = all
depends_dkms() { field "$DEB_DKMS" Depends | grep -Eq '(^|, )dkms( |,|$)'; }
check "exitcount-dkms depends on dkms" depends_dkms
dpkg-deb -x "$DEB_DKMS" "$tmp/dkms"
dpkg-deb -e "$DEB_DKMS" "$tmp/dkms-control"
check "exitcount-dkms installs the tree's dkms.conf as /usr/src/exitcount-$DEB_VERSION/dkms.conf" \
	cmp "$EC_ROOT/dkms.conf" "$tmp/dkms/usr/src/exitcount-$DEB_VERSION/dkms.conf"
# The files make deb packs (tools/build-deb.sh: git's, not build output)
src_files() {
	git -C "$EC_ROOT" ls-files -c -o --exclude-standard -- Kbuild module include | sort
}
same_sources() {
	local d=$tmp/dkms/usr/src/exitcount-$DEB_VERSION f
	diff <(src_files) <(cd "$d" && find Kbuild module include -type f | sort) || return 1
	while read -r f; do
		cmp "$EC_ROOT/$f" "$d/$f" || return 1
	done < <(src_files)
}
check "exitcount-dkms has the module's sources (Kbuild, module/, include/)" same_sources
check "exitcount-dkms's maintainer scripts run dkms (dh_dkms)" \
	grep -qF "dkms remove -m \$DKMS_NAME -v \$DKMS_VERSION --all" "$tmp/dkms-control/prerm"

dpkg-deb -x "$cli_deb" "$tmp/cli"
cli=$tmp/cli/usr/bin/exitcount
man=$tmp/man.1
comp=$tmp/cli/usr/share/bash-completion/completions/exitcount
static() { file -b "$cli" | grep -q "statically linked"; }
check "exitcount's /usr/bin/exitcount is statically linked" static
cli_version() { "$cli" --version | grep -q "^exitcount $DEB_VERSION "; }
check "exitcount --version says $DEB_VERSION" cli_version
zcat "$tmp/cli/usr/share/man/man1/exitcount.1.gz" >"$man" 2>/dev/null

# ---- the man page ---------------------------------------------------------

renders() { [ -s "$man" ] && ! groff -ww -man -Tutf8 "$man" 2>&1 >/dev/null | grep .; }
check "exitcount(1) renders without warnings (groff -ww -man)" renders
whatis() { lexgrog "$man" | grep -q ': "exitcount - '; }
check "lexgrog finds exitcount(1)'s NAME line" whatis
groff -man -Tascii -P-cbou "$man" 2>/dev/null >"$tmp/man.txt"
"$cli" --help >"$tmp/help"
# Every option, column (name and key) and exit status of --help.
help_words() {
	awk '/^Options:/ { s = "o"; next } /^Available output columns/ { s = "c"; next }
		/^Exit status:/ { s = "x"; next } /^[^ ]/ { s = "" }
		s == "o" && /^ +-/ { sub(/^ +/, ""); $0 = substr($0, 1, index($0, "  ") - 1)
			gsub(/, /, "\n"); print }
		s == "c" && /^ [A-Z]/ { print $1; print $2 }
		s == "x" && /^ [0-9]/ { print $1 }' "$tmp/help"
}
in_man() {
	local w absent=0
	while read -r w; do
		grep -qF -- "$w" "$tmp/man.txt" || { echo "not in the man page: $w"; absent=1; }
	done < <(help_words)
	[ "$(help_words | wc -l)" -gt 30 ] && [ "$absent" -eq 0 ]
}
check "exitcount(1) has every option, column and exit status of --help" in_man

# ---- the bash completion --------------------------------------------------

check "the bash completion parses (bash -n)" bash -n "$comp"
# What bash completion gives for command line LINE (the cursor at its
# end), sorted, one a line. COMP_WORDS as bash splits LINE: '=' is a word
# of its own.
complete_line() { # LINE
	bash -c '. /usr/share/bash-completion/bash_completion && . "$1" || exit
		read -ra ws <<<"$2"
		[[ $2 == *" " ]] && ws+=("")
		COMP_WORDS=()
		for w in "${ws[@]}"; do
			if [[ $w == *=* ]]; then
				COMP_WORDS+=("${w%%=*}" = "${w#*=}")
			else
				COMP_WORDS+=("$w")
			fi
		done
		COMP_CWORD=$((${#COMP_WORDS[@]} - 1)) COMP_LINE=$2 COMP_POINT=${#2}
		_exitcount exitcount "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}" | sort' sh "$comp" "$1"
}
long_options() { grep -o -- '--[a-z]*' "$tmp/help" | sort -u; }
completes_options() {
	complete_line "exitcount --" | sed 's/=$//' | sort -u >"$tmp/got"
	long_options | diff - "$tmp/got"
}
check "completing 'exitcount --' offers every long option of --help" completes_options
completes() { # LINE EXPECTED
	local got
	got=$(complete_line "$1")
	echo "got: $got"
	[ "$got" = "$2" ]
}
check "completing 'exitcount --so' gives --sort=" completes "exitcount --so" --sort=
# The sort keys as main.c's parse_sort() has them.
sort_keys() {
	sed -n '/parse_sort/,/^}/p' "$EC_ROOT/guest-cli/main.c" |
		grep -o '\] = "[a-z]*"' | grep -o '[a-z]*' | sort
}
check "completing 'exitcount --sort=' gives main.c's sort keys" \
	completes "exitcount --sort=" "$(sort_keys)"
check "main.c's sort keys were found" test -n "$(sort_keys)"
accepted_keys() {
	local k
	for k in $(complete_line "exitcount -s "); do
		"$cli" --sort="$k" --replay="$EC_ROOT/tests/cli/fixtures/svm.raw" >/dev/null || return 1
	done
}
check "every sort key completed is one exitcount accepts" accepted_keys
check "completing 'exitcount -o NR,CO' gives NR,COUNT" \
	completes "exitcount -o NR,CO" NR,COUNT
check "completing 'exitcount --output=ha' gives handled" \
	completes "exitcount --output=ha" handled

# ---- apt install and purge in a Debian 12 chroot --------------------------

mapfile -t kernels < <(deb_kernels)
check "this machine has a Debian 6.1 or 6.12 kernel with headers to build for" \
	test ${#kernels[@]} -gt 0
[ ${#kernels[@]} -gt 0 ] || finish
# In a subshell: ec_die exits.
chroot_ready() { (deb_chroot "${kernels[@]}"); }
check "Debian 12 chroot with linux-headers for ${kernels[*]}" chroot_ready
ov=$tmp/overlay
# A command in the chroot, on this run's overlay.
chr() { EC_OVERLAY=$ov in_chroot "$DEB_CHROOT" "$@"; }
no_dkms() { ! chr dpkg -s dkms; }
check "no dkms in the chroot before the install" no_dkms
check "apt install ./exitcount-dkms_${DEB_VERSION}_all.deb" deb_install "$ov" "$tmp/apt.log"
grep -E '^(Building|Done|Error|Skipped)|^Installing|^  *- Installing' "$tmp/apt.log" | sed 's/^/# /'
check "apt installed dkms through the Depends" chr dpkg -s dkms
# The module for kernel K (xz-compressed where the kernel's are), read
# out of the chroot: built for K, of this version.
ko_ok() { # K
	chr sh -c "ls /lib/modules/$1/updates/dkms/exitcount.ko*" | grep -q . &&
	chr sh -c "cat /lib/modules/$1/updates/dkms/exitcount.ko*" >"$tmp/m.ko" &&
	{ xz -dc "$tmp/m.ko" >"$tmp/plain.ko" 2>/dev/null || cp "$tmp/m.ko" "$tmp/plain.ko"; } &&
	modinfo -F vermagic "$tmp/plain.ko" | grep -q "^$1 " &&
	[ "$(modinfo -F version "$tmp/plain.ko")" = "$DEB_VERSION" ]
}
chr dkms status exitcount >"$tmp/status" 2>&1
sed 's/^/# dkms status: /' "$tmp/status"
for k in "${kernels[@]}"; do
	check "dkms status: exitcount/$DEB_VERSION installed for $k" \
		grep -qxF "exitcount/$DEB_VERSION, $k, x86_64: installed" "$tmp/status"
	check "/lib/modules/$k/updates/dkms/exitcount.ko: built for $k, version $DEB_VERSION" ko_ok "$k"
done
check "apt purge exitcount-dkms" chr apt purge -q -y exitcount-dkms
no_ko() { chr find /lib/modules -name 'exitcount.ko*' | grep . && return 1; return 0; }
check "after the purge no kernel's tree has exitcount.ko" no_ko
not_listed() { chr dkms status exitcount | grep . && return 1; ! chr test -e /var/lib/dkms/exitcount; }
check "after the purge dkms lists no exitcount" not_listed
no_src() { ! chr test -e "/usr/src/exitcount-$DEB_VERSION"; }
check "after the purge /usr/src/exitcount-$DEB_VERSION is gone" no_src

finish
