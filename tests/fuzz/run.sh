#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# run.sh OUT SECONDS TARGET...: run each libFuzzer target OUT/fuzz_TARGET
# for SECONDS from its seeds, corpus/TARGET/ (read only), and what earlier
# runs found, OUT/corpus/TARGET/ (where new inputs go). One TAP line per
# target, then "N passed, M failed". A target fails when libFuzzer stops
# early: a broken invariant, a sanitizer report, a timeout, a leak; the
# input is then shown (path, hex dump) with the target's report on it.
set -u
cd "$(dirname "$0")" || exit 1

out=$(realpath "$1")
seconds=$2
shift 2

n=0
passed=0
failed=0

# Runs, speed, coverage and corpus size, from a libFuzzer log.
summary() {
	local runs eps cov corp
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$1")
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$1")
	cov=$(grep -o 'cov: [0-9]*' "$1" | tail -n 1)
	corp=$(grep -o 'corp: [0-9]*/[0-9]*[bKM]*b*' "$1" | tail -n 1)
	echo "${runs:-?} runs, ${eps:-?} exec/s, ${cov:-cov: ?}, ${corp:-corp: ?}"
}

for t in "$@"; do
	n=$((n + 1))
	bin=$out/fuzz_$t
	found=$out/corpus/$t
	crash=$out/crash/$t
	log=$out/$t.log
	rm -rf "$crash"
	mkdir -p "$found" "$crash"
	# -close_fd_mask=3: the options target prints usage errors by the
	# thousand; libFuzzer and the sanitizers still report.
	"$bin" -max_total_time="$seconds" -timeout=10 -max_len=4096 \
		-close_fd_mask=3 -print_final_stats=1 \
		-artifact_prefix="$crash/" "$found" "corpus/$t" >"$log" 2>&1
	rc=$?
	seeds=$(find "corpus/$t" -type f | wc -l)
	if [ "$rc" -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok $n - fuzz_$t ${seconds}s: $(summary "$log"), $seeds seeds"
		continue
	fi
	failed=$((failed + 1))
	echo "not ok $n - fuzz_$t ${seconds}s: libFuzzer exit $rc after $(summary "$log")"
	input=$(find "$crash" -type f | head -n 1)
	if [ -z "$input" ]; then
		tail -n 20 "$log" | sed 's/^/#   /'
		continue
	fi
	echo "#   input: $input ($(stat -c %s "$input") bytes)"
	od -A x -t x1z "$input" | head -n 64 | sed 's/^/#   /'
	# Again, alone and with its output, for the target's own message.
	echo "#   $bin $input:"
	"$bin" "$input" 2>&1 | grep -v -e '^INFO:' -e 'Running' -e '^ *$' \
		-e 'rudimentary signal' -e 'with AddressSanitizer' |
		sed -e 's/ (BuildId: [0-9a-f]*)//' -e 's/^/#   /' | head -n 30
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
