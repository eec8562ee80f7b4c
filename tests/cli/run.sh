#!/bin/bash
# SPDX-License-Identifier: GPL-2.0 OR MIT
#
# Offline tests of the guest CLI: every check runs `exitcount --replay`
# on a register file of fixtures/ (the line format of `cpuid -r`), so no
# KVM host is needed. Prints TAP lines, then "N passed, M failed".
#
# EXITCOUNT=path/to/exitcount overrides the binary under test.

set -u

here=$(cd "$(dirname "$0")" && pwd)
bin=${EXITCOUNT:-$here/../../guest-cli/exitcount}
fx=$here/fixtures
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

n=0
passed=0
failed=0

# ok STATUS DESCRIPTION: one TAP line; on failure, show the last run.
ok() {
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		passed=$((passed + 1))
		echo "ok $n - $2"
		return
	fi
	failed=$((failed + 1))
	echo "not ok $n - $2"
	sed 's/^/#   stdout: /' "$tmp/out" 2>/dev/null | head -20
	sed 's/^/#   stderr: /' "$tmp/err" 2>/dev/null | head -5
}

skip() {
	n=$((n + 1))
	passed=$((passed + 1))
	echo "ok $n - $1 # SKIP $2"
}

# ec ARGS...: run exitcount; output in $tmp/out and $tmp/err, status in $rc.
ec() {
	"$bin" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# expect_rc CODE DESCRIPTION
expect_rc() {
	[ "$rc" -eq "$1" ]
	ok $? "$2 (exit $rc, want $1)"
}

# column N of stdout's data lines (after the header), one per line
col() {
	awk -v c="$1" 'NR > 1 { print $c }' "$tmp/out" | paste -sd' ' -
}

# same_text WANT DESCRIPTION: stdout's text equals WANT
same_text() {
	[ "$(cat "$tmp/out")" = "$1" ]
	ok $? "$2"
}

json() {
	python3 -c "import json, sys; d = json.load(sys.stdin); $1" \
		<"$tmp/out" >/dev/null 2>&1
}

# bitmap FIXTURE BASE: the reasons (decimal, ascending) whose bits are set
# in the first lines of leaf 0x4ffffffc subleaves BASE+k of FIXTURE
bitmap() {
	python3 - "$1" "$2" <<'PY'
import re, sys
base, seen, nrs = int(sys.argv[2], 0), set(), []
for line in open(sys.argv[1]):
    m = re.match(r"\s*0x4ffffffc 0x([0-9a-f]+): eax=0x(\w+) ebx=0x(\w+) "
                 r"ecx=0x(\w+) edx=0x(\w+)", line)
    if not m or not base <= int(m.group(1), 16) < base + 0x100:
        continue
    k = int(m.group(1), 16) - base
    if k in seen:
        continue
    seen.add(k)
    for r in range(4):
        for i in range(32):
            if int(m.group(2 + r), 16) >> i & 1:
                nrs.append(128 * k + 32 * r + i)
print(" ".join(map(str, sorted(nrs))))
PY
}

# dec: the numbers (decimal or 0x hex) of stdin, in decimal, ascending
dec() {
	local x
	# shellcheck disable=SC2013 # words, not lines: numbers may share a line
	for x in $(cat); do echo $((x)); done | sort -n | paste -sd' ' -
}

# cpuids [LEAF [SUBLEAF]]: the number of CPUIDs --raw printed to stdout
# (its lines but "CPU:"), or only those of LEAF (and SUBLEAF), spelled as
# --raw does: 0x4ffffffc 0x100
cpuids() {
	grep -c "^   ${1:-0x}${1:+ ${2:-}}" "$tmp/out"
}

# subleaves LEAF: the subleaves of leaf LEAF in --raw's stdout, in order
subleaves() {
	awk -v l="$1" '$1 == l { sub(":", "", $2); print $2 }' "$tmp/out" |
		paste -sd' ' -
}

# Build what is missing or stale (make check calls this script directly).
if [ -z "${EXITCOUNT:-}" ]; then
	if ! { make -s -C "$here/../../guest-cli" &&
	       make -s -C "$here" test_names; } >"$tmp/build" 2>&1; then
		sed 's/^/# /' "$tmp/build" | tail -30
		echo "Bail out! cannot build the CLI or test_names"
		echo "0 passed, 1 failed"
		exit 1
	fi
fi
if [ ! -x "$bin" ]; then
	echo "Bail out! no binary $bin"
	echo "0 passed, 1 failed"
	exit 1
fi

# ---- the table -----------------------------------------------------------

ec --replay="$fx/vmx.raw"
expect_rc 0 "VMX table"
[ "$(head -1 "$tmp/out" | tr -s ' ')" = "NR NAME COUNT TIME(us) AVG SHARE(%)" ]
ok $? "VMX table header from the column table"
[ "$(col 2)" = "IO_INSTRUCTION EPT_VIOLATION HLT MSR_WRITE EXTERNAL_INTERRUPT CPUID" ]
ok $? "VMX rows: only reasons with exits, most first, ties by number"
[ "$(col 1)" = "30 48 12 32 1 10" ]
ok $? "VMX reason numbers in decimal"
grep -q '^48 EPT_VIOLATION  *12345  *12345  *1\.0us  *<0\.1$' "$tmp/out"
ok $? "VMX time: 37035000 cycles at 3000000 kHz = 12345 us, 1.0us per exit"
[ "$(awk '$2 == "IO_INSTRUCTION" { print $3 }' "$tmp/out")" = 8589934595 ]
ok $? "count read tear-free across a carry into the high half (2^33 + 3)"

ec --replay="$fx/svm.raw"
expect_rc 0 "SVM table"
[ "$(col 1)" = "0x07b 0x078 0x060 0x072 0x400" ]
ok $? "SVM reason numbers in hex, sorted by count"
grep -q '^0x07b IOIO  *4294967312  *4294967  *1ns  *100\.0$' "$tmp/out"
ok $? "SVM count and cycles above 2^32 combine their high halves"
grep -q '^0x078 HLT  *2000  *20000000  *10.0ms ' "$tmp/out"
ok $? "SVM time: 40e9 cycles at 2 GHz = 20 s"

ec --replay="$fx/svm.raw" --sort=reason
[ "$(col 2)" = "INTR CPUID HLT IOIO NPF" ]
ok $? "--sort=reason"
ec --replay="$fx/svm.raw" --sort=time
[ "$(col 2)" = "HLT IOIO NPF CPUID INTR" ]
ok $? "--sort=time"
ec --replay="$fx/svm.raw" -s count
[ "$(col 2)" = "IOIO HLT INTR CPUID NPF" ]
ok $? "-s count"

for f in vmx svm; do
	ec --replay="$fx/$f.raw" -o nr
	[ "$(col 1 | dec)" = "$(bitmap "$fx/$f.raw" 0x200)" ]
	ok $? "$f table: exactly the reasons of the active bitmap"
done

ec --replay="$fx/svm.raw" --all
[ "$(wc -l <"$tmp/out")" -eq 172 ]
ok $? "--all lists all 171 SVM reasons"
grep -q '^0x002 READ_CR2  *-  *-  *-  *-  *no$' "$tmp/out"
ok $? "--all marks an unhandled reason: '-' counts, HANDLED no"
grep -q '^0x000 READ_CR0  *0  *0  *-  *0\.0  *yes$' "$tmp/out"
ok $? "--all marks a handled reason without exits: count 0, HANDLED yes"
grep -q '^0x089 WBINVD  *0  *0  *-  *0\.0  *yes$' "$tmp/out" &&
	grep -q '^0x401 AVIC_INCOMPLETE_IPI  *0  *0  *-  *0\.0  *yes$' "$tmp/out"
ok $? "--all: handled without exits in bitmap subleaves 0x101 and 0x108"
grep -q '^0x07b IOIO .* yes$' "$tmp/out"
ok $? "--all marks a counted reason handled"
[ "$(awk '$NF == "yes" { print $1 }' "$tmp/out" | dec)" = \
	"$(bitmap "$fx/svm.raw" 0x100)" ]
ok $? "--all: HANDLED yes exactly for the reasons of the handled bitmap"
ec --replay="$fx/vmx.raw" --all
[ "$(awk '$NF == "yes"' "$tmp/out" | wc -l)" -eq 12 ] &&
	grep -q '^31 MSR_READ  *0  *0  *-  *0\.0  *yes$' "$tmp/out" &&
	grep -q '^ 3 INIT_SIGNAL  *-  *-  *-  *-  *no$' "$tmp/out"
ok $? "--all on VMX: 6 counted + 6 idle reasons handled"

ec --replay="$fx/svm.raw" --all -o name,defined,handled --sort=reason
grep -q '^IDLE_HLT  *no  *no$' "$tmp/out"
ok $? "-o: a reason the host leaves undefined (EDX 0xffffffff)"
[ "$(head -1 "$tmp/out" | tr -s ' ')" = "NAME DEFINED HANDLED" ]
ok $? "-o picks the columns and their order"
ec -o nosuchcolumn
expect_rc 2 "-o with an unknown column"

# ---- one reason -----------------------------------------------------------

want='NR NAME          COUNT TIME(us)   AVG SHARE(%)
48 EPT_VIOLATION 12345    12345 1.0us     <0.1'
for arg in 48 0x30 EPT_VIOLATION ept_violation exit_reason_ept_violation \
	   EXIT_REASON_EPT_VIOLATION; do
	ec --replay="$fx/vmx.raw" "$arg"
	[ "$rc" -eq 0 ] && [ "$(cat "$tmp/out")" = "$want" ]
	ok $? "one VMX reason as '$arg'"
done

for arg in 0x72 114 cpuid SVM_EXIT_CPUID svm_exit_cpuid; do
	ec --replay="$fx/svm.raw" "$arg"
	[ "$rc" -eq 0 ] && [ "$(col 2)" = CPUID ] && [ "$(col 1)" = 0x072 ]
	ok $? "one SVM reason as '$arg'"
done

ec --replay="$fx/vmx.raw" 1 ept_violation 48 0x1
[ "$(col 2)" = "EPT_VIOLATION EXTERNAL_INTERRUPT" ]
ok $? "several reasons, each once"
ec --replay="$fx/vmx.raw" 3
[ "$(col 3)" = "-" ]
ok $? "a named reason is shown even without exits (not handled: '-')"
ec --replay="$fx/vmx.raw" 2
same_text 'NR NAME         COUNT TIME(us) AVG SHARE(%)
 2 TRIPLE_FAULT     0        0   -      0.0' \
	"one reason reading all zeros but handled: 0 exits"
ec --replay="$fx/vmx.raw" 2 -o name,count,handled
[ "$(col 3)" = yes ]
ok $? "one reason reading all zeros but handled: HANDLED yes"
ec --replay="$fx/vmx.raw" 3 -o name,count,handled
[ "$(col 2) $(col 3)" = "- no" ]
ok $? "one reason reading all zeros, not handled: '-', HANDLED no"
ec --replay="$fx/svm.raw" 0x401 0x002 -o nr,count,handled
[ "$(col 1)" = "0x002 0x401" ] && [ "$(col 2)" = "- 0" ] &&
	[ "$(col 3)" = "no yes" ]
ok $? "SVM: the handled bitmap of each reason's block (0x108, 0x100)"

for arg in NO_SUCH_REASON 35 86 0x1000 -- -1 SVM_EXIT_NPF '48 ' ' 10' 0x0x0a 0x; do
	[ "$arg" = -- ] && continue
	ec --replay="$fx/vmx.raw" -- "$arg"
	[ "$rc" -eq 2 ] && [ ! -s "$tmp/out" ] &&
		grep -q "unknown VMX exit reason '$arg'" "$tmp/err"
	ok $? "unknown reason '$arg': usage error, exit 2"
done

# ---- totals -----------------------------------------------------------------

ec --replay="$fx/svm.raw" --total
same_text '     COUNT TIME(us) AVG
4294972000 21474836 5ns' "--total: 64-bit count and cycles (0xa00000000 at 2 GHz)"
ec --replay="$fx/svm.raw" --total --json
json 'assert d["total"] == {"count": 4294972000, "time_ns": 21474836480}; assert d["isa"] == "SVM"'
ok $? "--total --json gives {count, time_ns}"
ec --replay="$fx/svm.raw" --total --csv
same_text 'count,time_ns,avg_ns
4294972000,21474836480,5' "--total --csv"
ec --replay="$fx/svm.raw" --total 48
expect_rc 2 "--total with a REASON"

# ---- JSON and CSV -------------------------------------------------------------

ec --replay="$fx/vmx.raw" --json
json 'assert d["isa"] == "VMX" and d["scope"] == "vm" and d["tsc_khz"] == 3000000'
ok $? "--json parses; isa, scope, tsc_khz"
json 'assert [sorted(r) for r in d["reasons"]] == [sorted(["number", "name", "count", "time_ns", "defined", "handled"])] * 6'
ok $? "--json reasons have number, name, count, time_ns, defined, handled"
json 'r = d["reasons"][0]; assert (r["number"], r["name"], r["count"], r["time_ns"], r["handled"]) == (30, "IO_INSTRUCTION", 8589934595, 3000100, True)'
ok $? "--json values of the torn read"
ec --replay="$fx/svm.raw" --all --json
json 'r = {x["name"]: x for x in d["reasons"]}; assert len(r) == 171; assert r["READ_CR2"]["handled"] is False and r["READ_CR2"]["count"] == 0; assert r["IDLE_HLT"]["defined"] is False and r["IDLE_HLT"]["handled"] is False; assert r["NPF"]["number"] == 1024'
ok $? "--all --json: unhandled and undefined reasons"
json 'r = {x["name"]: x for x in d["reasons"]}; assert r["READ_CR0"]["handled"] is True and r["READ_CR0"]["count"] == 0; assert sum(x["handled"] for x in d["reasons"]) == 13'
ok $? "--all --json: handled reasons without exits"
ec --replay="$fx/vmx.raw" 2 --json
json 'assert d["reasons"] == [{"number": 2, "name": "TRIPLE_FAULT", "count": 0, "time_ns": 0, "defined": True, "handled": True}]'
ok $? "--json for one reason, handled without exits"
ec --replay="$fx/vmx.raw" 3 --json
json 'assert d["reasons"] == [{"number": 3, "name": "INIT_SIGNAL", "count": 0, "time_ns": 0, "defined": True, "handled": False}]'
ok $? "--json for one reason, not handled"

ec --replay="$fx/svm.raw" --csv
[ "$(head -1 "$tmp/out")" = "number,name,count,time_ns,avg_ns,share_pct" ] &&
	[ "$(wc -l <"$tmp/out")" -eq 6 ]
ok $? "--csv: header line of keys, one line per reason"
python3 -c 'import csv, sys; rows = list(csv.DictReader(sys.stdin)); assert rows[0]["name"] == "IOIO" and rows[0]["count"] == "4294967312" and rows[0]["number"] == "123"' <"$tmp/out" 2>/dev/null
ok $? "--csv parses as CSV"
ec --json --csv
expect_rc 2 "--json with --csv"

# ---- raw and replay -----------------------------------------------------------

raw_re='^   0x[0-9a-f]{8} 0x[0-9a-f]{2,}: eax=0x[0-9a-f]{8} ebx=0x[0-9a-f]{8} ecx=0x[0-9a-f]{8} edx=0x[0-9a-f]{8}$'
ec --replay="$fx/vmx.raw" --raw
cp "$tmp/out" "$tmp/vmx.raw"
[ "$(head -1 "$tmp/out")" = "CPU:" ] &&
	[ "$(tail -n +2 "$tmp/out" | grep -cvE "$raw_re")" -eq 0 ]
ok $? "--raw prints \`cpuid -r\` lines"
# 2 info + 1 active bitmap + 6 active reasons x 2 + 2 re-reads of the
# torn one + 2 totals
[ "$(cpuids)" -eq 19 ]
ok $? "--raw: the VMX table costs 19 CPUIDs: 2 info, 1 bitmap, 2 per active reason (+2 re-read), 2 totals"
[ "$(subleaves 0x4ffffffe)" = "0x01 0x0a 0x0c 0x1e 0x1e 0x20 0x30" ] &&
	[ "$(subleaves 0x4ffffffd)" = "0x01 0x0a 0x0c 0x1e 0x1e 0x20 0x30" ]
ok $? "--raw: the VMX table reads no leaf of an inactive reason"
[ "$(subleaves 0x4ffffffc)" = "0x00 0x01 0x200 0x02" ]
ok $? "--raw: the VMX table reads the active bitmap, not the handled one"
grep -q '^   0x4ffffffe 0x30: eax=0x00003039 ebx=0x00000000 ecx=0x00000000 edx=0x00000000$' "$tmp/out"
ok $? "--raw line of leaf 0x4ffffffe subleaf 48"
if command -v cpuid >/dev/null; then
	cpuid -1 -r -l 0 2>/dev/null | tail -n +2 | grep -qE "$raw_re"
	ok $? "the --raw pattern matches Debian's \`cpuid -1 -r -l 0\`"
else
	skip "the --raw pattern matches Debian's cpuid -r" "no cpuid tool"
fi

# round_trip FIXTURE MODE: MODE's output is the same when replaying the
# CPUIDs that MODE --raw printed
round_trip() {
	# shellcheck disable=SC2086 # MODE is words
	"$bin" --replay="$1" $2 >"$tmp/a" 2>&1
	# --raw excludes --json; the CPUIDs are the same
	# shellcheck disable=SC2086
	"$bin" --replay="$1" ${2/--json/} --raw >"$tmp/r" 2>&1
	# shellcheck disable=SC2086
	"$bin" --replay="$tmp/r" $2 >"$tmp/b" 2>&1
	cmp -s "$tmp/a" "$tmp/b"
}

for f in vmx svm; do
	for mode in "" --json --all --total "--sort=time"; do
		round_trip "$fx/$f.raw" "$mode"
		ok $? "--raw then --replay round-trips ($f ${mode:-table})"
	done
done
ec --replay="$fx/svm.raw" --raw
# 2 info + 3 active bitmaps + 5 active reasons x 2 + 2 totals
[ "$(cpuids)" -eq 17 ] && [ "$(cpuids 0x4ffffffe)" -eq 5 ] &&
	[ "$(cpuids 0x4ffffffd)" -eq 5 ]
ok $? "--raw: the SVM table costs 17 CPUIDs: 2 info, 3 bitmaps, 2 per active reason, 2 totals"
[ "$(subleaves 0x4ffffffe)" = "0x60 0x72 0x78 0x7b 0x400" ]
ok $? "--raw: the SVM table reads no leaf of an inactive reason"
[ "$(subleaves 0x4ffffffc)" = "0x00 0x01 0x200 0x201 0x208 0x02" ]
ok $? "--raw: SVM active bitmaps of the table's blocks only (k = 0, 1, 8)"
ec --replay="$fx/vmx.raw" --all --raw
# 2 info + 1 handled bitmap + 80 reasons x 2 + 2 re-reads + 2 totals
[ "$(cpuids)" -eq 167 ] && [ "$(subleaves 0x4ffffffc)" = "0x00 0x01 0x100 0x02" ]
ok $? "--raw: VMX --all costs 167 CPUIDs: 2 per defined reason, 1 handled bitmap"
ec --replay="$fx/svm.raw" --all --raw
# 2 info + 3 handled bitmaps + 171 reasons x 2 + 2 totals
[ "$(cpuids)" -eq 349 ] &&
	[ "$(subleaves 0x4ffffffc)" = "0x00 0x01 0x100 0x101 0x108 0x02" ]
ok $? "--raw: SVM --all costs 349 CPUIDs: 2 per defined reason, 3 handled bitmaps"
ec --replay="$fx/vmx.raw" 48 --raw
[ "$(cpuids)" -eq 6 ]
ok $? "--raw: one reason costs 6 CPUIDs"
ec --replay="$fx/vmx.raw" 2 --raw
[ "$(cpuids)" -eq 7 ] && [ "$(subleaves 0x4ffffffc)" = "0x00 0x01 0x100 0x02" ]
ok $? "--raw: one reason reading all zeros costs 7: its handled bitmap too"
ec --replay="$fx/vmx.raw" 2 3 0 48 --raw
[ "$(cpuids)" -eq 13 ] && [ "$(cpuids 0x4ffffffc 0x100)" -eq 1 ]
ok $? "--raw: reasons reading all zeros share their block's handled bitmap"
ec --replay="$fx/vmx.raw" --total --raw
[ "$(cpuids)" -eq 4 ]
ok $? "--raw: --total costs 4 CPUIDs"
ec --raw --json
expect_rc 2 "--raw with --json"

printf 'CPU:\n   0x4ffffffc 0x00: eax=0x00000001 ebx=0x74697865\n' >"$tmp/bad.raw"
ec --replay="$tmp/bad.raw"
# shellcheck disable=SC2016 # the backquotes are in the message
[ "$rc" -eq 1 ] && grep -q 'bad.raw:2: not a `cpuid -r` line' "$tmp/err"
ok $? "a malformed replay line: exit 1, file and line named"
ec --replay="$tmp/does-not-exist"
expect_rc 1 "a missing replay file"
{ echo "CPU 0:"; sed -n '/^   /p' "$fx/vmx.raw"; echo "CPU 1:"
  echo "   0x4ffffffc 0x00: eax=0x00000000 ebx=0x00000000 ecx=0x00000000 edx=0x00000000"
} >"$tmp/two-cpus.raw"
ec --replay="$tmp/two-cpus.raw" 48
expect_rc 0 "a multi-CPU \`cpuid -r\` dump replays its first CPU"

# ---- not available --------------------------------------------------------------

# na FIXTURE TEXT DESCRIPTION: exit 3, nothing on stdout, one line on stderr
na() {
	ec --replay="$fx/$1"
	[ "$rc" -eq 3 ] && [ ! -s "$tmp/out" ] &&
		[ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "$2" "$tmp/err"
	ok $? "$3: exit 3, one line on stderr"
}
na nosig.raw "not available (replay file has no exitcount signature)" \
	"replay file without signature"
na bare.raw "bare metal" "bare metal"
na kvm-nomod.raw "KVM without the exitcount module" "KVM without the module"
na vmware.raw "another hypervisor (VMwareVMware)" "another hypervisor"
na abi2.raw "ABI 2" "another exitcount ABI"
ec --replay="$fx/kvm-nomod.raw" --json 48
expect_rc 3 "not available is checked before anything is printed"
ec --replay="$fx/badisa.raw"
[ "$rc" -eq 1 ] && grep -q "unknown ISA 3" "$tmp/err"
ok $? "unknown host ISA: exit 1"

# ---- watch -----------------------------------------------------------------------

ec --replay="$fx/watch.raw" --watch=0.5 --iterations=1
[ "$rc" -eq 0 ] && grep -q '^12 HLT  *500  *350 ' "$tmp/out" &&
	grep -q '^10 CPUID  *20  *20 ' "$tmp/out" && ! grep -q EPT "$tmp/out"
ok $? "--watch: exits per second between two reads, idle reasons hidden"
grep -q '^ 1 EXTERNAL_INTERRUPT  *60  *30 ' "$tmp/out"
ok $? "--watch: a reason active only at the second read shows, from 0 exits"
ec --replay="$fx/watch.raw" --watch=0.5 -n 1 --raw
# 2 info; each read: 1 active bitmap, 2 per active reason, 2 totals
[ "$(cpuids)" -eq $((2 + 1 + 3 * 2 + 2 + 1 + 4 * 2 + 2)) ] &&
	[ "$(subleaves 0x4ffffffe)" = "0x0a 0x0c 0x30 0x01 0x0a 0x0c 0x30" ]
ok $? "--watch --raw: each read costs 1 bitmap + 2 per active reason + 2"
# (--all reads EXTERNAL_INTERRUPT at both reads: its one line, twice)
ec --replay="$fx/watch.raw" --watch=0.5 -n 1 --all -o nr,rate,count,handled
[ "$rc" -eq 0 ] && grep -q '^12  *500  *350 yes$' "$tmp/out" &&
	grep -q '^10  *20  *20 yes$' "$tmp/out" &&
	grep -q '^ 0  *0  *0 yes$' "$tmp/out" && grep -q '^ 2  *0  *- no$' "$tmp/out"
ok $? "--watch --all: rates; handled without exits"
grep -q 'all exits 600/s' "$tmp/out"
ok $? "--watch title: the rate of all exits"
ec --replay="$fx/watch.raw" --watch=0.1 -n 2 --json
[ "$rc" -eq 0 ] && [ "$(wc -l <"$tmp/out")" -eq 2 ] &&
	python3 -c 'import json, sys
docs = [json.loads(l) for l in sys.stdin]
assert docs[0]["reasons"][0]["per_second"] == 2500.0
assert docs[0]["interval"] == 0.1 and docs[1]["reasons"] == []' <"$tmp/out"
ok $? "--watch --json: one JSON document per line and refresh"
ec --replay="$fx/watch.raw" --watch=0.1 -n 2 --csv
[ "$(grep -c '^number,' "$tmp/out")" -eq 1 ]
ok $? "--watch --csv: one header line"
ec --replay="$fx/watch.raw" --watch=0.1 -n 1 --sort=reason
[ "$(awk '/^NR/ { t = 1; next } t && NF { print $2 }' "$tmp/out" | paste -sd' ' -)" = "EXTERNAL_INTERRUPT CPUID HLT" ]
ok $? "--watch --sort=reason"
"$bin" --replay="$fx/watch.raw" --watch=0.1 -n 2 >"$tmp/a" 2>&1
"$bin" --replay="$fx/watch.raw" --watch=0.1 -n 2 --raw >"$tmp/r" 2>&1
"$bin" --replay="$tmp/r" --watch=0.1 -n 2 >"$tmp/b" 2>&1
cmp -s "$tmp/a" "$tmp/b"
ok $? "--watch --raw then --replay round-trips (every read in turn)"
ec --watch=0 -n 1
expect_rc 2 "--watch=0"
ec --iterations=2
expect_rc 2 "--iterations without --watch"
ec --watch --total
expect_rc 2 "--watch with --total"

"$bin" --replay="$fx/watch.raw" --watch=30 >"$tmp/out" 2>"$tmp/err" &
pid=$!
sleep 0.3
kill -INT "$pid"
start=$SECONDS
wait "$pid"
rc=$?
[ "$rc" -eq 0 ] && [ $((SECONDS - start)) -lt 5 ]
ok $? "--watch ends at once and cleanly on SIGINT (exit $rc)"

# ---- histograms ------------------------------------------------------------------

ec --replay="$fx/hist.raw" --hist
[ "$rc" -eq 0 ] && [ "$(head -1 "$tmp/out" | tr -s ' ' | sed 's/^ //')" = "NR NAME COUNT TIME(us) AVG SHARE(%) ~P50 ~P90 ~P99 ~MAX" ]
ok $? "--hist: estimated percentile columns, marked ~"
grep -q '^0x072 CPUID  *1001 .* 939ns  *2\.0us  *4\.1us  *524\.3us$' "$tmp/out"
ok $? "--hist: CPUID p50 interpolated in bucket 3, p90/p99 at edges, max = upper edge of bucket 12"
grep -q '^0x07b IOIO .* 202\.7ms  *257\.5ms  *>4\.29s  *>4\.29s$' "$tmp/out"
ok $? "--hist: the overflow bucket shows as '>' its lower edge (2^33 cycles)"
ec --replay="$fx/hist.raw" -o name,p50
[ "$rc" -eq 0 ] && [ "$(col 2 | cut -d' ' -f2)" = 939ns ]
ok $? "-o with a percentile column reads the histograms without --hist"
ec --replay="$fx/svm.raw" --hist
[ "$rc" -eq 1 ] && [ ! -s "$tmp/out" ] && grep -q 'no exit time histograms' "$tmp/err"
ok $? "--hist on a host without histograms (subleaf 2 EBX 0): exit 1"
sed 's/^   0x4ffffffc 0x02: .*/   0x4ffffffc 0x02: eax=0x00000002 ebx=0x0000001b ecx=0xfffffff0 edx=0x00000000/' \
	"$fx/hist.raw" >"$tmp/badlayout.raw"
ec --replay="$tmp/badlayout.raw" --hist
[ "$rc" -eq 1 ] && grep -q 'none this version knows' "$tmp/err"
ok $? "--hist with a layout whose edges overflow 64 bits (first shift 2^32 - 16): exit 1"
ec --replay="$fx/hist.raw" --hist --total
expect_rc 2 "--hist with --total"

ec --replay="$fx/hist.raw" --hist cpuid
[ "$rc" -eq 0 ] && head -1 "$tmp/out" | grep -q '^0x072 CPUID: 1001 exits, 1000 timed; estimated from log2 buckets: P50 939ns, P90 2\.0us, P99 4\.1us, MAX 524\.3us (bars: log scale)$'
ok $? "--hist REASON: title with exits, timed exits, estimates, log scale"
[ "$(awk 'NR > 2 { print $3 }' "$tmp/out" | paste -sd' ' -)" = "600 300 90 0 9 0 0 0 0 1" ] &&
	[ "$(awk 'NR > 2 { print $1 "-" $2 }' "$tmp/out" | head -2 | paste -sd' ' -)" = "512ns-1.0us 1.0us-2.0us" ]
ok $? "--hist REASON: one line per bucket from the first with exits to the last, edges in time"
[ "$(awk 'NR == 3 { print length($4) }' "$tmp/out")" -eq 40 ] &&
	[ "$(awk 'NR == 6 { print NF }' "$tmp/out")" -eq 3 ]
ok $? "--hist REASON: the largest bucket's bar is 40 wide, an empty bucket has none"
ec --replay="$fx/hist.raw" --hist ioio 0x400
grep -q '^ *4\.29s  *-  *10 #' "$tmp/out" && grep -q '^0x400 NPF: 5 exits, 5 timed' "$tmp/out" &&
	! grep -q 'NPF.*log scale' "$tmp/out"
ok $? "--hist: overflow bucket up to '-'; one chart per reason; linear bars when counts are close"
ec --replay="$fx/hist.raw" --hist 0x401
[ "$(cat "$tmp/out")" = "0x401 AVIC_INCOMPLETE_IPI: 0 exits, 0 timed; estimated from log2 buckets: P50 -, P90 -, P99 -, MAX -" ]
ok $? "--hist REASON without exits: the title alone"

ec --replay="$fx/hist.raw" --hist --json
json 'assert d["hist_buckets"] == 27 and d["hist_first_cycles"] == 256; r = {x["name"]: x for x in d["reasons"]}; assert all(len(x["buckets"]) == 27 and sum(x["buckets"]) <= x["count"] for x in r.values()); assert r["CPUID"]["buckets"][3:6] == [600, 300, 90] and r["CPUID"]["est_p50_ns"] == 939'
ok $? "--hist --json: layout, raw buckets per reason (sum <= count), estimates in ns"
json 'r = {x["name"]: x for x in d["reasons"]}; assert r["HLT"]["buckets"][9:11] == [8, 2**33 + 8]'
ok $? "--hist --json: buckets of a subleaf shifted by EDX 2 read back (2^33 + 8)"
ec --replay="$fx/hist.raw" --hist --csv
[ "$(head -1 "$tmp/out" | tr ',' '\n' | grep -c '^bucket_')" -eq 27 ] &&
	head -1 "$tmp/out" | grep -q ',est_max_ns,bucket_0,' &&
	grep -q '^114,CPUID,1001,.*,0,0,0,600,300,90,0,9,0,0,0,0,1,0,' "$tmp/out"
ok $? "--hist --csv: bucket_0..bucket_26 after the columns"

ec --replay="$fx/hist.raw" --hist cpuid --raw
# 2 info + 1 layout + 2 for the reason + 9 histogram subleaves + 2 totals
[ "$(cpuids)" -eq 16 ] &&
	[ "$(subleaves 0x4ffffffc)" = "0x00 0x01 0x02 0x1007200 0x1007201 0x1007202 0x1007203 0x1007204 0x1007205 0x1007206 0x1007207 0x1007208 0x02" ]
ok $? "--hist REASON --raw: 16 CPUIDs: the layout, then 9 subleaves of 3 buckets"
ec --replay="$fx/hist.raw" --hist --raw
# 2 info + 1 layout + 3 active bitmaps + 4 reasons x (2 + 9) + 2 totals
[ "$(cpuids)" -eq 52 ]
ok $? "--hist --raw: the table costs 9 more CPUIDs per reason with exits, and 1"
for mode in "--hist" "--hist cpuid ioio" "--hist --json"; do
	round_trip "$fx/hist.raw" "$mode"
	ok $? "--raw then --replay round-trips ($mode)"
done

ec --replay="$fx/watch-hist.raw" --watch=1 -n 1 --hist
grep -q '^10 CPUID  *200  *300  *4\.3us  *6\.1us  *7\.8us  *8\.2us  *8\.2us$' "$tmp/out"
ok $? "--watch --hist: percentiles of the interval's 200 new exits (bucket 5), not since load"
ec --replay="$fx/watch-hist.raw" --watch=1 -n 1 --hist --json
json 'r = d["reasons"][0]; assert r["buckets"][2] == 100 and r["buckets"][5] == 200 and r["est_p50_ns"] == 6144'
ok $? "--watch --hist --json: raw buckets since load, estimates of the interval"
ec --replay="$fx/watch-hist.raw" --hist 10 -o nr,p50
same_text 'NR  ~P50
10 768ns' "--hist REASON with --output: the table, not a chart"

# ---- help, version, usage --------------------------------------------------------

ec --help
[ "$rc" -eq 0 ] && [ ! -s "$tmp/err" ] && grep -q '^Usage:' "$tmp/out" &&
	grep -q '^Exit status:' "$tmp/out" && grep -q '^Notes:' "$tmp/out"
ok $? "--help on stdout, exit 0"
missing=
for c in NR NAME RATE COUNT TIME AVG SHARE P50 P90 P99 MAX DEFINED HANDLED; do
	grep -q "^ $c " "$tmp/out" || missing="$missing $c"
done
[ -z "$missing" ]
ok $? "--help lists every column${missing:+ (missing:$missing)}"
grep -q 'itself a VM exit' "$tmp/out" && grep -q 'tsc_khz' "$tmp/out"
ok $? "--help notes: queries are counted exits; TSC cycles and kHz"
ec -h
[ "$rc" -eq 0 ] && grep -q '^Usage:' "$tmp/out"
ok $? "-h"

release=$(sed -n 's/^#define EXITCOUNT_VERSION "\(.*\)"/\1/p' \
	"$here/../../include/exitcount/version.h")
ec --version
[ "$rc" -eq 0 ] && [ -n "$release" ] &&
	grep -q "^exitcount $release (exitcount ABI 1, libcpuid " "$tmp/out"
ok $? "--version: the release of version.h ($release) and the ABI"

ec --no-such-option
[ "$rc" -eq 2 ] && [ ! -s "$tmp/out" ] && grep -q "exitcount --help" "$tmp/err"
ok $? "unknown option: exit 2, hint on stderr"
ec --sort=nonsense
expect_rc 2 "--sort with an unknown key"

# ---- --host: saved host views (fixtures/host-*.view), fake /proc --------------------

# The VMs' command lines, as /proc/PID/cmdline holds them (NUL-separated):
# libvirt's -name guest=NAME,..., QEMU's plain -name NAME,...; pid 300 has
# none (its process is gone), pid 400 has no -name.
proc=$tmp/proc
mkdir -p "$proc/213" "$proc/214" "$proc/400"
printf '%s\0' qemu-system-x86_64 -enable-kvm -name guest=alpha,debug-threads=on \
	-m 512 >"$proc/213/cmdline"
printf '%s\0' qemu -name beta,process=qemu-beta >"$proc/214/cmdline"
printf '%s\0' kvmtool run >"$proc/400/cmdline"
hv=$fx/host-svm.view

ec --host --replay="$hv" --proc="$proc"
expect_rc 0 "--host table"
[ "$(grep '^VM ' "$tmp/out" | paste -sd'|' -)" = "VM alpha, pid 213: 24 exits|VM beta, pid 214: 1030 exits|VM 300, pid 300: 5 exits" ]
ok $? "--host: a title per VM, named by -name guest=, by -name, else by its pid"
[ "$(grep -c '^   NR NAME *COUNT TIME(us) *AVG SHARE(%)$' "$tmp/out")" -eq 4 ]
ok $? "--host: each VM's table, and all VMs', has the guest table's header"
[ "$(awk '/^All VMs/ { on = 1; print; next } on && !/NR/ { print $2 "=" $3 }' "$tmp/out" | paste -sd' ' -)" = \
	"All VMs since the module was loaded (those gone too): 1059 exits IOIO=1000 CPUID=41 HLT=11 NPF=5 INTR=2" ]
ok $? "--host: a last table of all VMs' exits since load, from the module's all lines"
[ "$(awk '/^VM alpha/ { on = 1; next } /^$/ { on = 0 } on && !/NR/ { print $2 }' "$tmp/out" | paste -sd' ' -)" = "CPUID HLT INTR" ]
ok $? "--host: rows with exits, most first, ties by number"
grep -q '^0x078 HLT  *11  *12900 ' "$tmp/out"
ok $? "--host time: 25800000 cycles at tsc_khz 2000000 = 12900 us"
grep -q '^0x072 CPUID  *30 ' "$tmp/out"
ok $? "--host: a known line with a field added (p99_cycles) still counts; unknown lines are skipped"
ec --host --replay="$hv" --proc="$proc" --vm=alpha
[ "$rc" -eq 0 ] && ! grep -q '^All VMs' "$tmp/out"
ok $? "--host --vm: that VM alone, without all VMs' table"

ec --host --replay="$hv" --proc="$proc" --vm=beta --csv
expect_rc 0 "--host --vm=beta --csv"
same_text "vm,pid,number,name,count,time_ns,avg_ns,share_pct
beta,214,123,IOIO,1000,4000000,4000,97.0874
beta,214,114,CPUID,30,500000,16667,2.9126" "--host --vm=NAME --csv: that VM's rows, its name and pid first"
ec --host --replay="$hv" --proc="$proc" --vm=213 --total
[ "$rc" -eq 0 ] && [ "$(head -1 "$tmp/out")" = "VM alpha, pid 213: 24 exits" ] &&
	[ "$(grep -c '^VM ' "$tmp/out")" -eq 1 ]
ok $? "--host --vm=PID --total: one VM, by pid"
ec --host --replay="$hv" --vm=nosuch
[ "$rc" -eq 1 ] && grep -q "no VM 'nosuch'" "$tmp/err"
ok $? "--host --vm with no such VM: exit 1, says so"

ec --host --replay="$hv" --proc="$proc" --json
[ "$rc" -eq 0 ] && json '
vms = {v["name"]: v for v in d["vms"]}
assert d["isa"] == "SVM" and d["tsc_khz"] == 2000000
assert list(vms) == ["alpha", "beta", "300"], list(vms)
assert [(r["name"], r["count"]) for r in vms["alpha"]["reasons"]] == [("CPUID", 11), ("HLT", 11), ("INTR", 2)]
assert vms["beta"]["pid"] == 214 and vms["beta"]["id"] == 2
assert d["all"]["name"] == "all"
assert [(r["name"], r["count"]) for r in d["all"]["reasons"]] == [("IOIO", 1000), ("CPUID", 41), ("HLT", 11), ("NPF", 5), ("INTR", 2)]'
ok $? "--host --json: one document, vms with id, pid, name and the guest's reasons; all VMs' under all"
ec --host --replay="$hv" --proc="$proc" --csv
[ "$rc" -eq 0 ] && [ "$(cut -d, -f1 "$tmp/out" | sort -u | paste -sd' ' -)" = "300 alpha beta vm" ]
ok $? "--host --csv: the VMs' rows only (all VMs' would count their exits twice in a sum)"
head -4 "$hv" >"$tmp/gone.view"
echo 'all exits 0 cycles 0' >>"$tmp/gone.view"
ec --host --replay="$tmp/gone.view"
same_text "no VM has exited since the module was loaded" "--host, no exit yet: one line, no empty table of all VMs"
head -4 "$hv" >"$tmp/gone.view"
printf '%s\n' 'all exits 5 cycles 100' 'all reason 114 CPUID exits 5 cycles 100' >>"$tmp/gone.view"
ec --host --replay="$tmp/gone.view"
[ "$rc" -eq 0 ] && [ "$(head -1 "$tmp/out")" = "no VM now running has exited" ] &&
	grep -q '^0x072 CPUID  *5 ' "$tmp/out"
ok $? "--host, the VMs gone: says so, then all VMs' exits"

ec --host --replay="$hv" --proc="$proc" --vm=300 --all
grep -q '^0x000 READ_CR0  *0  *0  *-  *0\.0 yes$' "$tmp/out" &&
	grep -q '^0x403 VMGEXIT  *-  *-  *-  *- no$' "$tmp/out"
ok $? "--host --all: handled reasons without exits 0, unhandled ones - (from the handled lines)"
ec --host --replay="$hv" --proc="$proc" --sort=reason cpuid 0x7b
[ "$rc" -eq 0 ] && [ "$(awk '/^VM beta/ { on = 1; next } /^$/ { on = 0 } on && !/NR/ { print $2 "=" $3 }' "$tmp/out" | paste -sd' ' -)" = "CPUID=30 IOIO=1000" ]
ok $? "--host REASON...: the reasons named, by name or number"

# host-hist.view: host-svm.view with the module's hist lines (VM 2's first,
# one of a VM with no count lines, the host's "all")
ec --host --replay="$fx/host-hist.view" --proc="$proc" --hist
[ "$rc" -eq 0 ] && [ "$(grep -c '^   NR NAME *COUNT TIME(us) *AVG SHARE(%) *~P50 *~P90 *~P99 *~MAX$' "$tmp/out")" -eq 4 ] &&
	[ "$(grep -c '^VM ' "$tmp/out")" -eq 3 ] && grep -q '^0x072 CPUID  *11 .* 1\.0us  *3\.1us  *4\.1us  *4\.1us$' "$tmp/out" &&
	[ "$(sed -n '/^All VMs/,$p' "$tmp/out" | grep -c '^0x072 CPUID  *41 .* 926ns  *2\.7us  *4\.1us  *4\.1us$')" -eq 1 ]
ok $? "--host --hist: the hist lines' percentiles per VM and for all VMs (hist all); a VM only in hist lines left out"
ec --host --replay="$fx/host-hist.view" --proc="$proc" --vm=beta -o name,p50 --csv
[ "$rc" -eq 0 ] && [ "$(cut -d, -f1-4,11-13 "$tmp/out" | paste -sd'|' -)" = "vm,pid,name,est_p50_ns,bucket_6,bucket_7,bucket_8|beta,214,IOIO,6372,900,90,10|beta,214,CPUID,896,0,0,0" ]
ok $? "--host -o name,p50 --csv: the histogram columns without --hist, then the buckets"
ec --host --replay="$fx/host-hist.view" --proc="$proc" --vm=alpha --hist --json
[ "$rc" -eq 0 ] && json '
assert d["hist_buckets"] == 27 and d["hist_first_cycles"] == 256
r = {x["name"]: x for x in d["vms"][0]["reasons"]}
assert r["CPUID"]["buckets"][3:6] == [6, 3, 2] and r["CPUID"]["est_p50_ns"] == 1024
assert r["HLT"]["buckets"][12] == 10'
ok $? "--host --hist --json: each reason's buckets and estimates"
ec --host --replay="$fx/host-hist.view" --proc="$proc" --hist cpuid
[ "$rc" -eq 0 ] && [ "$(grep -c '^VM ' "$tmp/out")" -eq 3 ] &&
	! grep -q '^   NR NAME' "$tmp/out" &&
	[ "$(awk '/^VM beta/ { on = 1; next } /^$/ { on = 0 } on' "$tmp/out" | grep -c '^ *[0-9.]*[nmu]*s  *[0-9.]*[nmu]*s  *[0-9]* #')" -eq 3 ] &&
	grep -q '^0x072 CPUID: 30 exits, 30 timed; estimated from log2 buckets: P50 896ns' "$tmp/out"
ok $? "--host --hist REASON: a bar chart per VM instead of the table, as in a guest"
ec --host --replay="$hv" --hist
[ "$rc" -eq 1 ] && grep -q "no exit time histograms" "$tmp/err"
ok $? "--host --hist on a host view without hist lines: exit 1, says so"

ec --host --replay="$fx/host-watch.view" --proc="$proc" --watch=2 --iterations=1 --csv
same_text "vm,pid,number,name,per_second,count,avg_ns
alpha,213,114,CPUID,10.0,31,96774
beta,214,123,IOIO,200.0,1400,3214
400,400,120,HLT,3.0,6,50000" \
	"--host --watch over two saved snapshots: rates per VM; a new VM's from 0, a VM gone left out"

ec --host --replay="$hv" --raw
[ "$rc" -eq 0 ] && cmp -s "$tmp/out" "$hv"
ok $? "--host --raw: prints the host view as read (a saved view for --replay)"

sed 's/^exitcount-hostview 1$/exitcount-hostview 2/' "$hv" >"$tmp/v2.view"
ec --host --replay="$tmp/v2.view"
[ "$rc" -eq 3 ] && grep -q "version 2, this tool reads version 1" "$tmp/err"
ok $? "--host refuses a host view version it does not read (exit 3)"
ec --host --replay="$fx/vmx.raw"
[ "$rc" -eq 1 ] && grep -q "not an exitcount host view" "$tmp/err"
ok $? "--host --replay of a file that is no host view: exit 1"
if [ -e /dev/exitcount ]; then
	skip "--host without the module: exit 3" "/dev/exitcount exists here"
else
	ec --host
	[ "$rc" -eq 3 ] && grep -q "no /dev/exitcount" "$tmp/err"
	ok $? "--host without the module: exit 3, no /dev/exitcount"
fi

# promtool check metrics on the last output; missing, a failure
promtool_ok() {
	if command -v promtool >/dev/null; then
		promtool check metrics <"$tmp/out" >"$tmp/err" 2>&1
		ok $? "$1 passes promtool check metrics"
	else
		ok 1 "$1 passes promtool check metrics (promtool missing: tests/deps.sh installs prometheus)"
	fi
}

ec --host --replay="$hv" --proc="$proc" --prometheus
[ "$rc" -eq 0 ] &&
	grep -qx 'exitcount_exits_total{vm="alpha",pid="213",isa="svm",reason="CPUID"} 11' "$tmp/out" &&
	grep -qx 'exitcount_exit_seconds_total{vm="beta",pid="214",isa="svm",reason="IOIO"} 0.004000000' "$tmp/out" &&
	grep -qx '# TYPE exitcount_exits_total counter' "$tmp/out"
ok $? "--host --prometheus: exits and seconds counters per VM and reason"
promtool_ok "--host --prometheus"
ec --host --replay="$fx/host-hist.view" --proc="$proc" --prometheus --hist
h='exitcount_exit_duration_seconds'
l='vm="beta",pid="214",isa="svm",reason="IOIO"'
[ "$rc" -eq 0 ] && grep -qx "# TYPE $h histogram" "$tmp/out" &&
	grep -qx "${h}_bucket{$l,le=\"4.096e-06\"} 0" "$tmp/out" &&
	grep -qx "${h}_bucket{$l,le=\"8.192e-06\"} 900" "$tmp/out" &&
	grep -qx "${h}_bucket{$l,le=\"1.6384e-05\"} 990" "$tmp/out" &&
	grep -qx "${h}_bucket{$l,le=\"+Inf\"} 1000" "$tmp/out" &&
	grep -qx "${h}_count{$l} 1000" "$tmp/out" &&
	grep -qx "${h}_sum{$l} 0.004000000" "$tmp/out" &&
	[ "$(grep -c "^${h}_bucket{$l," "$tmp/out")" -eq 27 ]
ok $? "--host --prometheus --hist: a cumulative histogram per VM and reason, edges in seconds"
promtool_ok "--host --prometheus --hist"
printf '%s\0' qemu -name 'guest=we"ird\name' >"$proc/214/cmdline"
ec --host --replay="$hv" --proc="$proc" --vm=214 --prometheus
grep -qF 'vm="we\"ird\\name"' "$tmp/out"
ok $? "--host --prometheus escapes \" and \\ in label values"

ec --vm=alpha
expect_rc 2 "--vm without --host"
ec --host --prometheus --json
expect_rc 2 "--prometheus with --json"
ec --host --prometheus --watch
expect_rc 2 "--prometheus with --watch"

# ---- fixtures ----------------------------------------------------------------------

"$here/mkbitmaps.py" --check "$fx"/*.raw >"$tmp/out" 2>"$tmp/err"
ok $? "fixtures: bitmap subleaves agree with the counts (mkbitmaps.py --check)"

# ---- build -------------------------------------------------------------------------

if command -v file >/dev/null; then
	file -L "$bin" | grep -q 'statically linked'
	ok $? "the binary is statically linked"
else
	skip "the binary is statically linked" "no file tool"
fi

if [ -x "$here/test_names" ]; then
	"$here/test_names" >"$tmp/out" 2>&1
	ok $? "cmocka unit tests of names.c (test_names)"
else
	skip "cmocka unit tests of names.c" "test_names not built"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
