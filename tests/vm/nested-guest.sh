#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=dash # busybox ash; dash is shellcheck's nearest
#
# /init of the Linux guest in nested.sh: what a user would type. Its
# console is the emulated host's log of this guest. ecmode=loaded runs
# the CLI and Debian's cpuid tool; ecmode=absent expects the CLI to find
# no exitcount. CPUID is exit 0x72 on SVM, the ISA of this test.

/bin/busybox --install -s /bin
export PATH=/bin:/usr/bin
mount -t proc proc /proc

run() { # NAME CMD...
	echo "=== $1"
	shift
	"$@"
	echo "rc=$?"
}

mode=$(sed -n 's/.*ecmode=\([a-z]*\).*/\1/p' /proc/cmdline)
if [ "$mode" = loaded ]; then
	run table exitcount
	run json exitcount --json
	run one-a exitcount --raw 0x72
	run cpuid cpuid -1 -r -l 0x4ffffffe -s 0x72
	run one-b exitcount --raw cpuid
	run total exitcount --total
else
	run absent exitcount
fi
echo "=== guest-done"
# The host reads its view of this VM now, then ends it.
sleep 3600
