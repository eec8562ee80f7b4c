#!/bin/bash
# make style: checkpatch on the kernel code, clang-tidy and cppcheck on
# the user-space code, and the version kept in step with dkms.conf and
# debian/changelog.
# checkpatch comes from Debian's linux-source tarball (installed if
# missing, as root).
# shellcheck disable=SC2317 # the checks are called as "$check", at the end
set -uo pipefail
shopt -s nullglob
cd "$(dirname "$0")/.." || exit 1

ksrc=${KSRC:-/var/cache/exitcount/linux-source}
status=0

checkpatch() {
	local tarballs
	if [ ! -x "$ksrc/scripts/checkpatch.pl" ]; then
		tarballs=(/usr/src/linux-source-*.tar.xz)
		if [ ${#tarballs[@]} -eq 0 ]; then
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
				linux-source >&2 || return 1
			tarballs=(/usr/src/linux-source-*.tar.xz)
			[ ${#tarballs[@]} -gt 0 ] || return 1
		fi
		mkdir -p "$ksrc"
		tar -xJf "${tarballs[-1]}" -C "$ksrc" --strip-components=1 \
			--wildcards '*/scripts/checkpatch.pl' \
			'*/scripts/spelling.txt' '*/scripts/const_structs.checkpatch'
	fi
	# The shared files use C99 types so user space can build them,
	# compat.h is where version checks belong, and Elf_Sym (symbols.c)
	# is the kernel's own name for a symbol table entry.
	"$ksrc/scripts/checkpatch.pl" --no-tree --strict --quiet \
		--ignore PREFER_KERNEL_TYPES,LINUX_VERSION_CODE,CONSTANT_COMPARISON,MACRO_ARG_REUSE,CAMELCASE \
		-f module/*.c module/*.h include/exitcount/*.h
}

# The user-space C: the guest CLI, the tests, and the module's files that
# user space builds too.
c_sources=(guest-cli/*.c tests/unit/*.c tests/cli/*.c tests/fuzz/*.c tests/vm/*.c
	module/protocol.c module/reasons.c)

# One clang-tidy run per file: given several, the analyzer's valist checker
# carries state from one file to the next and then reports a va_list as
# uninitialised right after its va_start (LLVM bug 41311, GitHub
# llvm/llvm-project#40656), depending on which files came before.
tidy() {
	local f rc=0
	for f in "${c_sources[@]}"; do
		clang-tidy --quiet --warnings-as-errors='*' \
			--checks='-*,clang-analyzer-*,-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling,bugprone-*,-bugprone-easily-swappable-parameters' \
			"$f" -- -std=gnu11 -Iinclude -Iguest-cli -Itests/vm 2>&1 |
			grep -v "warnings generated"
		[ "${PIPESTATUS[0]}" = 0 ] || rc=1
	done
	return "$rc"
}

cppcheck_all() {
	cppcheck --quiet --error-exitcode=1 --std=c11 --inline-suppr \
		--enable=warning,style,performance,portability \
		-Iinclude -Iguest-cli -Itests/vm "${c_sources[@]}"
}

version() {
	local h d
	h=$(sed -n 's/^#define EXITCOUNT_VERSION "\(.*\)"/\1/p' include/exitcount/version.h)
	d=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
	[ "$h" = "$d" ] || { echo "version.h $h != dkms.conf $d"; return 1; }
	d=$(dpkg-parsechangelog -S Version)
	[ "$h" = "$d" ] || { echo "version.h $h != debian/changelog $d"; return 1; }
}

for check in checkpatch tidy cppcheck_all version; do
	echo "== $check"
	"$check" || { echo "== $check: FAILED"; status=1; }
done
exit $status
