# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
#
# Sourced by the scripts that run inside the emulated host (in-host.sh,
# qcost-host.sh; busybox sh) as /tests/tap-host.sh: their TAP lines.

ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; }
check() { # DESC CMD...: one TAP line for a command's success
	desc=$1
	shift
	if out=$("$@" 2>&1); then
		ok "$desc"
	else
		notok "$desc"
		[ -n "$out" ] && echo "$out" | sed 's/^/#   /'
	fi
}
# Run a test program; its exit status is a result of its own (a crash or
# a bail-out is a failure even if no "not ok" was printed).
# The time taken (emulated clock) shows where a slow run spends it.
run() { # TAG PROG ARGS...
	tag=$1
	shift
	t0=$(date +%s)
	"$@" 2>&1
	rc=$?
	echo "# $tag: $(($(date +%s) - t0)) s"
	if [ $rc = 0 ]; then
		ok "$tag: exit status 0"
	else
		notok "$tag: exit status $rc"
	fi
}
