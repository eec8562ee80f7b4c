#!/bin/bash
# make style: checkpatch on the kernel code, clang-tidy and cppcheck on
# the user-space code, and the version kept in step with dkms.conf.
# checkpatch comes from Debian's linux-source tarball (installed if
# missing, as root).
set -uo pipefail
cd "$(dirname "$0")/.."

ksrc=${KSRC:-/var/cache/exitcount/linux-source}
status=0

checkpatch() {
	local tarball
	if [ ! -x "$ksrc/scripts/checkpatch.pl" ]; then
		tarball=$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | tail -n 1)
		if [ -z "$tarball" ]; then
			DEBIAN_FRONTEND=noninteractive apt-get install -y -q \
				linux-source >&2 || return 1
			tarball=$(ls /usr/src/linux-source-*.tar.xz | tail -n 1)
		fi
		mkdir -p "$ksrc"
		tar -xJf "$tarball" -C "$ksrc" --strip-components=1 \
			--wildcards '*/scripts/checkpatch.pl' \
			'*/scripts/spelling.txt' '*/scripts/const_structs.checkpatch'
	fi
	# The shared files use C99 types so user space can build them, and
	# compat.h is where version checks belong.
	"$ksrc/scripts/checkpatch.pl" --no-tree --strict --quiet \
		--ignore PREFER_KERNEL_TYPES,LINUX_VERSION_CODE,CONSTANT_COMPARISON,MACRO_ARG_REUSE \
		-f module/*.c module/*.h include/exitcount/*.h
}

userspace_sources() {
	ls guest-cli/*.c tests/unit/*.c tests/cli/*.c tests/fuzz/*.c tests/vm/*.c 2>/dev/null
}

tidy() {
	clang-tidy --quiet --warnings-as-errors='*' \
		--checks='-*,clang-analyzer-*,-clang-analyzer-security.insecureAPI.DeprecatedOrUnsafeBufferHandling,bugprone-*,-bugprone-easily-swappable-parameters' \
		$(userspace_sources) module/protocol.c module/reasons.c \
		-- -std=gnu11 -Iinclude -Iguest-cli -Itests/vm 2>&1 |
		grep -v "warnings generated"
	return "${PIPESTATUS[0]}"
}

cppcheck_all() {
	cppcheck --quiet --error-exitcode=1 --std=c11 --inline-suppr \
		--enable=warning,style,performance,portability \
		-Iinclude -Iguest-cli -Itests/vm \
		$(userspace_sources) module/protocol.c module/reasons.c
}

version() {
	local h d
	h=$(sed -n 's/^#define EXITCOUNT_VERSION "\(.*\)"/\1/p' include/exitcount/version.h)
	d=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
	[ "$h" = "$d" ] || { echo "version.h $h != dkms.conf $d"; return 1; }
}

for check in checkpatch tidy cppcheck_all version; do
	echo "== $check"
	"$check" || { echo "== $check: FAILED"; status=1; }
done
exit $status
