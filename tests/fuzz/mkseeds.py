#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR MIT
"""Write the named seeds of corpus/<target>/ (make seeds).

Each seed is a case worth starting from: a rule of the protocol, a
spelling of a reason, a combination of options. Inputs that
`make fuzz-merge` adds (named by their SHA-1) are left alone.
"""
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus")
FIXTURES = os.path.join(HERE, "..", "cli", "fixtures")

# fuzz_protocol.c's input layout
SVM, HOST = 0x01, 0x02
MAX_SLOTS = 192
SVM_HIGH_SLOT = 0xA7  # slot of SVM reason 0x400
NR_SLOTS = {0: 87, SVM: 172}  # per table, "other" included
HIST_BUCKETS = 27
INFO, DETAIL, COUNT, TOTAL = 0xFC, 0xFD, 0xFE, 0xFF


def protocol(flags, leaf, subleaf, tsc_khz=0, unhandled=(), total=(0, 0),
             slots=None, hist=None):
    """Header, handled bitmap (all set but @unhandled), total, slots;
    with @hist, every slot then the histogram buckets."""
    handled = (1 << MAX_SLOTS) - 1
    for slot in unhandled:
        handled &= ~(1 << slot)
    data = struct.pack("<BBII", flags, leaf, subleaf, tsc_khz)
    data += handled.to_bytes(MAX_SLOTS // 8, "little")
    data += struct.pack("<QQ", *total)
    slots = slots or {}
    last = NR_SLOTS[flags & SVM] if hist else max(slots, default=-1) + 1
    for slot in range(last):
        data += struct.pack("<QQ", *slots.get(slot, (0, 0)))
    for b in hist or ():
        data += struct.pack("<Q", b)
    return data


# Buckets from 1 to 2^64 - 1: groups with and without a shift.
HIST = [(b + 1) << (2 * b + 8) for b in range(HIST_BUCKETS - 1)] + \
    [0xFFFF_FFFF_FFFF_FFFF]
HIST_SMALL = [b * 1000 for b in range(HIST_BUCKETS)]


# Counts above 2^32 with bit 31 set in the low half: both halves matter.
BIG = (0x0000_0123_C000_000A, 0xFEDC_BA98_8000_0A03)
HUGE = (0xFFFF_FFFF_FFFF_FFFF, 0xFFFF_FFFF_FFFF_FFFF)
TOTAL_BIG = (0x0000_0123_89AB_CDEF, 0xFEDC_BA98_7654_3210)

PROTOCOL = {
    "vmx-total": protocol(0, TOTAL, 0, total=TOTAL_BIG),
    "svm-total-subleaf-ffffffff": protocol(SVM, TOTAL, 0xFFFFFFFF,
                                           total=HUGE),
    "vmx-signature": protocol(0, INFO, 0),
    "svm-host-info-scope-host": protocol(SVM | HOST, INFO, 1, 2000000),
    "vmx-host-info-scope-vm": protocol(0, INFO, 1, 0xFFFFFFF0),
    "vmx-total-hi": protocol(0, INFO, 2, total=(0xFFFFFFFF_00000001, 7)),
    "vmx-count-cpuid": protocol(0, COUNT, 10, slots={10: BIG}),
    "vmx-detail-cpuid": protocol(0, DETAIL, 10, slots={10: BIG}),
    "vmx-detail-ept-violation-huge": protocol(0, DETAIL, 48,
                                              slots={48: HUGE}),
    "vmx-count-low-half-bit31": protocol(0, COUNT, 12,
                                         slots={12: (0x80000000, 1)}),
    "vmx-count-unhandled-getsec": protocol(0, COUNT, 11, unhandled=[11],
                                           slots={11: BIG}),
    "vmx-detail-undefined-35": protocol(0, DETAIL, 35, slots={35: BIG}),
    "vmx-count-undefined-86": protocol(0, COUNT, 86),
    "vmx-detail-vmentry-failure-flag": protocol(0, DETAIL, 0x8000000A,
                                                slots={10: BIG}),
    "vmx-count-undefined-ffffffff": protocol(0, COUNT, 0xFFFFFFFF),
    "svm-count-cpuid": protocol(SVM, COUNT, 0x72, slots={0x72: BIG}),
    "svm-detail-npf-huge": protocol(SVM, DETAIL, 0x400,
                                    slots={SVM_HIGH_SLOT: HUGE}),
    "svm-detail-unhandled-vmgexit": protocol(
        SVM, DETAIL, 0x403, unhandled=[SVM_HIGH_SLOT + 3],
        slots={SVM_HIGH_SLOT + 3: BIG}),
    "svm-count-undefined-0a7": protocol(SVM, COUNT, 0xA7),
    "svm-detail-undefined-3ff": protocol(SVM, DETAIL, 0x3FF),
    "svm-detail-undefined-404": protocol(SVM, DETAIL, 0x404),
    "vmx-handled-bitmap-0": protocol(0, INFO, 0x100,
                                     unhandled=[0, 5, 6, 11, 31, 32, 85]),
    "vmx-active-bitmap-0": protocol(0, INFO, 0x200, unhandled=[11],
                                    slots={1: BIG, 10: (1, 1), 11: BIG,
                                           31: HUGE, 32: (2, 0), 85: BIG}),
    "vmx-handled-bitmap-1-past-table": protocol(0, INFO, 0x101),
    "svm-handled-bitmap-8": protocol(SVM, INFO, 0x108,
                                     unhandled=[SVM_HIGH_SLOT + 3]),
    "svm-active-bitmap-8": protocol(SVM, INFO, 0x208,
                                    slots={SVM_HIGH_SLOT: BIG,
                                           SVM_HIGH_SLOT + 2: (1, 0)}),
    "svm-active-bitmap-1": protocol(SVM, INFO, 0x201,
                                    slots={0x80: BIG, 0xA6: (5, 5)}),
    "svm-handled-bitmap-9-past-table": protocol(SVM, INFO, 0x109),
    "svm-active-bitmap-ff": protocol(SVM, INFO, 0x2FF),
    "vmx-info-unknown-3": protocol(0, INFO, 3),
    "vmx-info-unknown-300": protocol(0, INFO, 0x300),
    "vmx-hist-cpuid-g0": protocol(0, INFO, 0x01000A00, slots={10: BIG},
                                  hist=HIST_SMALL),
    "vmx-hist-cpuid-g8-shift": protocol(0, INFO, 0x01000A08, slots={10: BIG},
                                        hist=HIST),
    "svm-hist-npf-g4": protocol(SVM, INFO, 0x01040004,
                                slots={SVM_HIGH_SLOT: BIG}, hist=HIST),
    "vmx-hist-undefined-35": protocol(0, INFO, 0x01002300, hist=HIST),
    "vmx-hist-unhandled-getsec": protocol(0, INFO, 0x01000B01,
                                          unhandled=[11], hist=HIST),
    "vmx-hist-group-9": protocol(0, INFO, 0x01000A09, hist=HIST),
    "svm-hist-top-byte-2": protocol(SVM, INFO, 0x02007200, hist=HIST),
    "foreign-leaf-4fffff00": protocol(0, 0x00, 0, total=TOTAL_BIG),
    "foreign-leaf-4ffffffb": protocol(SVM, 0xFB, 1),
}

# Operand spellings; the replay fixtures of tests/cli are added as they are.
CLI = {
    "name-upper": "CPUID",
    "name-lower": "cpuid",
    "name-mixed": "Ept_Violation",
    "name-vmx-prefixed": "EXIT_REASON_EPT_VIOLATION",
    "name-vmx-prefixed-lower": "exit_reason_hlt",
    "name-svm-prefixed": "SVM_EXIT_VMGEXIT",
    "name-svm-high": "npf",
    "name-svm-numbered": "cr8_write_trap",
    "name-prefix-only": "EXIT_REASON_",
    "name-prefix-twice": "SVM_EXIT_SVM_EXIT_NPF",
    "name-unknown": "NO_SUCH_EXIT",
    "number-decimal": "48",
    "number-leading-zeros": "00010",
    "number-hex": "0x12",
    "number-hex-upper": "0X7B",
    "number-hex-svm-high": "0x403",
    "number-u32-max": "4294967295",
    "number-hex-u32-max": "0xffffffff",
    "number-past-u32": "0x100000000",
    "number-hex-empty": "0x",
    "number-hex-prefix-twice": "0x0x12",
    "number-negative": "-1",
    "number-blank": " 10",
    "number-plus": "+10",
    "raw-line-count": "   0x4ffffffe 0x0a: eax=0x000000c8 ebx=0x00000000 "
                      "ecx=0x00000000 edx=0x00000000\n",
    "raw-line-signature": "CPU:\n   0x4ffffffc 0x00: eax=0x00000001 "
                          "ebx=0x74697865 ecx=0x6e756f63 edx=0x4d564b74\n",
}

# Command lines, one argument per line.
OPTIONS = {
    "all-sort-reason": ["--all", "--sort=reason"],
    "short-all-sort-time": ["-a", "-s", "time"],
    "sort-unknown": ["--sort=size"],
    "sort-missing": ["-s"],
    "watch-rate-iterations": ["--sort=rate", "--watch=0.5", "-n", "3"],
    "watch-attached-reasons": ["-w2.5", "-n1", "CPUID", "HLT"],
    "watch-huge": ["--watch=1e999"],
    "watch-negative": ["--watch=-1"],
    "watch-max": ["--watch=86400"],
    "watch-past-max": ["--watch=86400.001"],
    "watch-nan": ["--watch=nan"],
    "watch-hex-float": ["--watch=0x1p4"],
    "iterations-zero": ["--watch", "--iterations=0"],
    "iterations-past-ulong": ["-w", "-n", "18446744073709551616"],
    "iterations-negative": ["-w", "-n", "-1"],
    "iterations-without-watch": ["-n", "5"],
    "total-json": ["--total", "--json"],
    "hist-reasons": ["--hist", "CPUID", "0x7b"],
    "hist-short-watch-json": ["-H", "-w", "-n2", "--json"],
    "hist-total": ["--total", "-H"],
    "output-percentiles": ["-o", "name,p50,p90,p99,max", "--csv"],
    "total-with-reason": ["--total", "48"],
    "total-and-watch": ["--watch", "--total"],
    "json-and-csv": ["--json", "--csv"],
    "raw-and-json": ["--raw", "--json"],
    "output-csv": ["-o", "nr,name,count,time", "--csv"],
    "output-every-column": ["--output=nr,name,rate,count,time,avg,share,"
                            "defined,handled"],
    "output-too-many": ["-o", "nr,nr,nr,nr,nr,nr,nr,nr,nr,nr"],
    "output-empty": ["--output=,,"],
    "output-unknown": ["--output=NR,bogus"],
    "output-json": ["--output=count", "--json"],
    "replay-raw": ["--replay=fixtures/vmx.raw", "--raw", "ept_violation"],
    "help": ["--help"],
    "help-cluster": ["-ah"],
    "version": ["-V"],
    "version-abbreviated": ["--vers"],
    "double-dash": ["--", "-a", "--total"],
    "unknown-long": ["--bogus"],
    "unknown-short": ["-x"],
    "argument-to-flag": ["--all=yes"],
}


def write(target, name, data):
    path = os.path.join(CORPUS, target, name)
    with open(path, "wb") as f:
        f.write(data)


def main():
    for target in ("protocol", "cli", "options"):
        os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    for name, data in PROTOCOL.items():
        write("protocol", name, data)
    for name, text in CLI.items():
        write("cli", name, text.encode())
    for name in sorted(os.listdir(FIXTURES)):
        shutil.copyfile(os.path.join(FIXTURES, name),
                        os.path.join(CORPUS, "cli", "fixture-" + name))
    for name, args in OPTIONS.items():
        write("options", name, "\n".join(args).encode())


if __name__ == "__main__":
    main()
