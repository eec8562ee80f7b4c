#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The exit path may not sleep or allocate: build exitcount.ko for each of
# Debian 12's kernels (6.1, 6.12, and 6.1 PREEMPT_RT, where spinlock_t and
# the slab allocator sleep) and check its call graph (calls.py). TAP lines,
# then "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1

newest() { # REGEX: the newest /usr/src/linux-headers-* matching it
	find /usr/src -mindepth 1 -maxdepth 1 -regex "/usr/src/linux-headers-$1" |
		sort -V | tail -n 1
}

pass=0
fail=0
tap() { # OK DESC
	if [ "$1" = 0 ]; then
		echo "ok - $2"
		pass=$((pass + 1))
	else
		echo "not ok - $2"
		fail=$((fail + 1))
	fi
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for re in '6\.1\.0-[0-9]+-amd64' '6\.12\.[0-9]+\+deb12-amd64' \
	'6\.1\.0-[0-9]+-rt-amd64'; do
	tree=$(newest "$re")
	if [ -z "$tree" ]; then
		tap 1 "headers matching linux-headers-$re installed (tests/deps.sh)"
		continue
	fi
	kver=${tree#/usr/src/linux-headers-}
	src=$work/$kver
	mkdir -p "$src"
	cp -a Kbuild module include "$src/"
	if ! make -s -C "$tree" M="$src" modules >"$src/build.log" 2>&1; then
		tap 1 "$kver: exitcount.ko builds"
		sed 's/^/#   /' "$src/build.log" | tail -n 20
		continue
	fi
	tap 0 "$kver: exitcount.ko builds"
	out=$(tests/exitpath/calls.py "$src/exitcount.ko")
	rc=$?
	echo "$out" | grep -v '^ok\|^not ok'
	tap $rc "$kver: $(echo "$out" | grep -c '^ok') of $(echo "$out" | grep -c '^\(ok\|not ok\)') call-graph checks (hooks found; nothing that sleeps or allocates)"
done
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
