# shellcheck shell=bash
# Suites for make check (tests/run.sh), make check-kernels
# (tests/check-kernels.sh) and make check-long (tests/vm/run-long.sh): run
# each with `suite NAME CMD...`, then `suites_report` prints the suites and
# failures again and the closing "N passed, N failed" line, and returns
# non-zero when anything failed. A suite that dies without a summary
# counts as one failure.
#
# `suites_background FUNC` runs FUNC's suites beside the others (each
# emulator uses one CPU; CI has two): their output is kept and shown by
# `suites_wait`, only their "== NAME" lines appear as they go.

summary=$(mktemp)
failures=$(mktemp)
background_log=$(mktemp)
background_pid=
trap 'rm -f "$summary" "$failures" "$background_log"' EXIT

# Add a suite's summary (from its LOG) to $summary: "N passed, M failed"
# lines, or cmocka's "[  PASSED  ] N test(s)." / "[  FAILED  ] N test(s)"
# lines; its failures to $failures. Each is one short append, so two
# lanes can share the files.
tally() { # STATUS NAME LOG
	local p f lines
	p=$(sed -n -e 's/^\([0-9]\+\) passed, [0-9]\+ failed.*/\1/p' \
		-e 's/^\[  PASSED  \] \([0-9]\+\) test.*/\1/p' "$3" |
		awk '{s += $1} END {print s + 0}')
	f=$(sed -n -e 's/^[0-9]\+ passed, \([0-9]\+\) failed.*/\1/p' \
		-e 's/^\[  FAILED  \] \([0-9]\+\) test.*/\1/p' "$3" |
		awk '{s += $1} END {print s + 0}')
	if [ "$1" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
	fi
	echo "== $2: $p passed, $f failed (exit $1)" | tee -a "$summary"
	# each failure with up to 5 of its indented diagnostic lines
	lines=$(awk -v s="$2" '/^not ok|^\[  FAILED  \] [^0-9]/ { n = 5; print s ": " $0; next }
		n > 0 && /^#   / { n--; print s ": " $0; next } { n = 0 }' "$3")
	[ -z "$lines" ] || echo "$lines" >>"$failures"
}

suite() { # NAME CMD...
	local name=$1 log rc
	shift
	log=$(mktemp)
	echo "== $name: $*" | tee -a "${SUITE_OUT:-/dev/null}"
	if [ -n "${SUITE_OUT:-}" ]; then
		"$@" >"$log" 2>&1
		rc=$?
		cat "$log" >>"$SUITE_OUT"
	else
		"$@" 2>&1 | tee "$log"
		rc=${PIPESTATUS[0]}
	fi
	tally "$rc" "$name" "$log"
	rm -f "$log"
}

suites_background() { # FUNC
	SUITE_OUT=$background_log "$1" &
	background_pid=$!
}

suites_wait() {
	[ -n "$background_pid" ] || return 0
	wait "$background_pid"
	echo "== output of the suites that ran beside:"
	cat "$background_log"
}

# Repeat the suites and failures last: CI shows only the end of the log.
suites_report() {
	local passed failed
	suites_wait
	cat "$summary"
	if [ -s "$failures" ]; then
		echo "== failures:"
		cat "$failures"
	fi
	passed=$(sed -n 's/^== .*: \([0-9]*\) passed, [0-9]* failed (exit [0-9]*)$/\1/p' \
		"$summary" | awk '{s += $1} END {print s + 0}')
	failed=$(sed -n 's/^== .*: [0-9]* passed, \([0-9]*\) failed (exit [0-9]*)$/\1/p' \
		"$summary" | awk '{s += $1} END {print s + 0}')
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
}
