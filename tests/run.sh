#!/bin/bash
# make check: every suite, then one closing "N passed, N failed" line.
# A suite that dies without a summary counts as one failure.
set -uo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0
log=$(mktemp)
failures=$(mktemp)
summary=$(mktemp)
trap 'rm -f "$log" "$failures" "$summary"' EXIT

# Add a suite's own summary to the totals: "N passed, M failed" lines, or
# cmocka's "[  PASSED  ] N test(s)." / "[  FAILED  ] N test(s)" lines.
tally() {
	local p f
	p=$(sed -n -e 's/^\([0-9]\+\) passed, [0-9]\+ failed.*/\1/p' \
		-e 's/^\[  PASSED  \] \([0-9]\+\) test.*/\1/p' "$log" |
		awk '{s += $1} END {print s + 0}')
	f=$(sed -n -e 's/^[0-9]\+ passed, \([0-9]\+\) failed.*/\1/p' \
		-e 's/^\[  FAILED  \] \([0-9]\+\) test.*/\1/p' "$log" |
		awk '{s += $1} END {print s + 0}')
	if [ "$1" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	echo "== $2: $p passed, $f failed (exit $1)" | tee -a "$summary"
	# each failure with up to 5 of its indented diagnostic lines
	awk -v s="$2" '/^not ok|^\[  FAILED  \] [^0-9]/ { n = 5; print s ": " $0; next }
		n > 0 && /^#   / { n--; print s ": " $0; next } { n = 0 }' "$log" >>"$failures"
}

suite() {
	local name=$1
	shift
	echo "== $name: $*"
	"$@" 2>&1 | tee "$log"
	tally "${PIPESTATUS[0]}" "$name"
}

tests/deps.sh || { echo "0 passed, 1 failed"; exit 1; }

# Run CMD on Debian's 6.12 kernel; its absence is a failure, not a skip.
on_612() {
	if [ -z "$k612" ]; then
		echo "not ok - a Debian 12 6.12 kernel with headers is installed"
		echo "0 passed, 1 failed"
		return 1
	fi
	KVER=$k612 "$@"
}
k612=$(ls /lib/modules | grep -E '^6\.12\.[0-9]+\+deb12-amd64$' | sort -V | tail -n 1)
suite unit make -s -C tests unit
suite cli tests/cli/run.sh
suite fuzz make -s -C tests/fuzz fuzz-short
suite vm-svm tests/vm/run-svm.sh
suite vm-nested tests/vm/nested.sh
suite vm-vmx tests/vm/run-vmx.sh
suite vm-svm-6.12 on_612 tests/vm/run-svm.sh
suite vm-vmx-6.12 on_612 tests/vm/run-vmx.sh

# Repeat the suites and failures last: CI shows only the end of the log.
cat "$summary"
if [ -s "$failures" ]; then
	echo "== failures:"
	cat "$failures"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
