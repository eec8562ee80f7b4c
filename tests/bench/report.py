#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn make bench's RESULT lines into the table the README quotes.

Input lines: "<isa> <run> <round> <config> <kind> <vcpus> <ns>..." (one ns
per vCPU), "<isa> <run> ERROR ...", "# <isa> <run> kernel ...".
"""
import statistics
import sys
from collections import defaultdict

CONFIGS = {
    "a": "no module",
    "b": "exitcount (scope=vm)",
    "c": "exitcount scope=host",
    "d": "exitcount guest_query=0",
    "e": "no module, kvm_exit+kvm_entry traced",
}
PATHS = {"svm": "SVM: QEMU TCG -icount shift=0 (1 ns = 1 instruction), kvm_amd",
         "vmx": "VMX: Bochs corei7_skylake_x, ips=400M, clock sync=none, kvm_intel"}


def load(path):
    data, kernels, errors = defaultdict(list), {}, []
    with open(path, encoding="utf-8") as f:
        for line in f:
            w = line.split()
            if line.startswith("# "):
                kernels[(w[1], w[2])] = " ".join(w[4:])
            elif len(w) > 2 and w[2] == "ERROR":
                errors.append(line.strip())
            elif len(w) >= 7:
                isa, run, _, cfg, kind, vcpus = w[:6]
                data[(isa, run, cfg, kind, int(vcpus))] += map(float, w[6:])
    return data, kernels, errors


def cell(values, base):
    """ "min / median (ratio of medians to config a)"."""
    if not values:
        return "-"
    med = statistics.median(values)
    ratio = f" ({med / statistics.median(base):.3f})" if base else ""
    return f"{min(values):.0f} / {med:.0f}{ratio}"


def table(data, kernels, isa, run):
    kinds = [("cpuid", 1, "CPUID exit"), ("io", 1, "OUT exit (to user space)"),
             ("query", 1, "CPUID 0x4FFFFFFE (query; a, e: KVM answers)"),
             ("cpuid", 2, "CPUID exit, 2 vCPUs (per vCPU)")]
    kinds = [k for k in kinds if data.get((isa, run, "a", k[0], k[1]))]
    print(f"run {run}: kernel {kernels.get((isa, run), '?')}\n")
    print(f"| run {run}: configuration | "
          + " | ".join(f"{k[2]}: ns min / median (x a)" for k in kinds) + " |")
    print("|---|" + "---|" * len(kinds))
    for cfg, name in CONFIGS.items():
        cells = [cell(data.get((isa, run, cfg, kind, n), []),
                      data.get((isa, run, "a", kind, n)) if cfg != "a" else None)
                 for kind, n, _ in kinds]
        print(f"| {cfg}: {name} | " + " | ".join(cells) + " |")
    for cfg in ("a", "b"):
        two = data.get((isa, run, cfg, "cpuid", 2))
        one = data.get((isa, run, cfg, "cpuid", 1))
        if two and one:
            print(f"\n{cfg}: {CONFIGS[cfg]}: CPUID exit cost per vCPU, "
                  f"2 vCPUs / 1 vCPU: "
                  f"{statistics.median(two) / statistics.median(one):.3f}")


def main():
    data, kernels, errors = load(sys.argv[1])
    for isa in ("svm", "vmx"):
        runs = sorted({k[1] for k in data if k[0] == isa})
        if not runs:
            continue
        print(f"\n### {PATHS[isa]}\n")
        for run in runs:
            table(data, kernels, isa, run)
            print()
    for e in errors:
        print("ERROR:", e)
    sys.exit(1 if errors or not data else 0)


main()
