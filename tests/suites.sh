# shellcheck shell=bash
# Suites for make check (tests/run.sh) and make check-long
# (tests/vm/run-long.sh): run each with `suite NAME CMD...`, then
# `suites_report` prints the suites and failures again and the closing
# "N passed, N failed" line, and returns non-zero when anything failed.
# A suite that dies without a summary counts as one failure.

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

# Repeat the suites and failures last: CI shows only the end of the log.
suites_report() {
	cat "$summary"
	if [ -s "$failures" ]; then
		echo "== failures:"
		cat "$failures"
	fi
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
}
