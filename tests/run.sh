#!/bin/bash
# make check: every suite, then one closing "N passed, N failed" line.
# A suite that dies without a summary counts as one failure.
set -uo pipefail
cd "$(dirname "$0")/.."

passed=0
failed=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

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
	echo "== $2: $p passed, $f failed (exit $1)"
}

suite() {
	local name=$1
	shift
	echo "== $name: $*"
	"$@" 2>&1 | tee "$log"
	tally "${PIPESTATUS[0]}" "$name"
}

tests/deps.sh || { echo "0 passed, 1 failed"; exit 1; }
suite unit make -s -C tests unit
suite cli tests/cli/run.sh
suite vm-svm tests/vm/run-svm.sh
suite vm-nested tests/vm/nested.sh
suite vm-vmx tests/vm/run-vmx.sh

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
