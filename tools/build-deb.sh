#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make deb: build the Debian packages exitcount-dkms and exitcount (and the
# source package) from a copy of the working tree's files (git's tracked
# and untracked-but-not-ignored ones) in build/deb/exitcount-VERSION, so
# the tree itself gets no build output. The .debs, .dsc and .changes end
# up in build/deb/ (DEB_OUT overrides it). Missing tools and build
# dependencies are installed (apt-get) when run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

# The CLI's tests run in make check (tests/cli; tests/deb builds with
# them on, DEB_BUILD_OPTIONS=""). A user's make deb leaves them out: one
# needs promtool, and Debian's prometheus package that has it also starts
# a Prometheus server.
export DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS-nocheck}

out=$(realpath -m "${DEB_OUT:-build/deb}")
version=$(sed -n 's/^#define EXITCOUNT_VERSION "\(.*\)"$/\1/p' include/exitcount/version.h)
src=$out/exitcount-$version

if ! command -v git >/dev/null || ! command -v dpkg-buildpackage >/dev/null; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "build-deb: git or dpkg-buildpackage missing; run as root: apt-get install -y git dpkg-dev" >&2
		exit 1
	fi
	echo "build-deb: installing git and dpkg-dev" >&2
	apt-get update -q >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q git dpkg-dev >&2
fi

rm -rf "$out"
mkdir -p "$src"
comm -z -23 <(git ls-files -z -c -o --exclude-standard | sort -z) \
	<(git ls-files -z -d | sort -z) | xargs -0 cp -a --parents -t "$src"

if ! (cd "$src" && dpkg-checkbuilddeps) 2>/dev/null; then
	if [ "$(id -u)" -ne 0 ]; then
		(cd "$src" && dpkg-checkbuilddeps) || true
		echo "build-deb: run as root: apt-get build-dep $src" >&2
		exit 1
	fi
	echo "build-deb: installing the build dependencies" >&2
	apt-get update -q >&2
	DEBIAN_FRONTEND=noninteractive apt-get build-dep -y -q "$src" >&2
fi

(cd "$src" && dpkg-buildpackage -us -uc)
echo "build-deb: in $out:"
(cd "$out" && ls -1 ./*.deb ./*.dsc ./*.changes)
