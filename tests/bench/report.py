#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn make bench's RESULT lines into the table docs/performance.md quotes.

Input lines: "<isa> <run> <round> <config> <kind> <vcpus> <ns>..." (one ns
per vCPU), "<isa> <run> QCOST <scope> <vms> <kind> <ns none> <ns vms>
<exits timed with vms>",
"<isa> <run> ERROR ...", "# <isa> <run> kernel ...".
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


QCOST_KINDS = {
    "cpuid0": "CPUID 0 (plain exit)",
    "total": "0x4FFFFFFF (totals)",
    "count": "0x4FFFFFFE, ECX = CPUID",
    "detail": "0x4FFFFFFD, ECX = CPUID",
    "info0": "0x4FFFFFFC/0",
    "info1": "0x4FFFFFFC/1",
    "info2": "0x4FFFFFFC/2",
    "info100": "0x4FFFFFFC/0x100",
    "info200": "0x4FFFFFFC/0x200",
}
qcost = {}   # (isa, run, scope) -> (vms, {kind: (ns none, ns vms)})


def load(path):
    data, kernels, errors = defaultdict(list), {}, []
    with open(path, encoding="utf-8") as f:
        for line in f:
            w = line.split()
            if line.startswith("# "):
                kernels[(w[1], w[2])] = " ".join(w[4:])
            elif len(w) > 2 and w[2] == "ERROR":
                errors.append(line.strip())
            elif len(w) == 9 and w[2] == "QCOST":
                isa, run, _, scope, vms, kind = w[:6]
                entry = qcost.setdefault((isa, run, scope), (vms, {}))
                entry[1][kind] = (float(w[6]), float(w[7]), int(w[8]))
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


def qcost_table(kernels, isa, run):
    """A query's cost with no other VM and with N idle VMs, both scopes."""
    scopes = [sc for sc in ("host", "vm") if (isa, run, sc) in qcost]
    vms = qcost[(isa, run, scopes[0])][0]
    print(f"run {run}: kernel {kernels.get((isa, run), '?')}; ns per exit "
          f"with no other VM / with {vms} idle VMs of 1-2 vCPUs (x none); "
          "tests/vm/kvm_qcost\n")
    print("| leaf | " + " | ".join(
        f"scope={sc}: none | scope={sc}: {qcost[(isa, run, sc)][0]} VMs (x none)"
        for sc in scopes) + " |")
    print("|---|" + "---|---|" * len(scopes))
    short = set()
    for kind, name in QCOST_KINDS.items():
        cells = []
        for sc in scopes:
            figs = qcost[(isa, run, sc)][1]
            if kind not in figs:
                cells += ["-", "-"]
                continue
            none, many, n = figs[kind]
            star = ""
            if n < max(v[2] for v in figs.values()):
                star = "*"
                short.add(n)
            cells += [f"{none:.0f}", f"{many:.0f}{star} ({many / none:.3f})"]
        print(f"| {name} | " + " | ".join(cells) + " |")
    if short:
        print(f"\n\\* timed over its first {min(short)} exits only (past twice "
              "its cost with no other VM: the full count would take too long)")
    for sc in scopes:
        k = qcost[(isa, run, sc)][1]
        if "total" in k and "cpuid0" in k:
            print(f"\nscope={sc}: totals leaf / plain CPUID exit: "
                  f"{k['total'][0] / k['cpuid0'][0]:.3f} with no other VM, "
                  f"{k['total'][1] / k['cpuid0'][1]:.3f} with {vms} idle VMs")


def main():
    data, kernels, errors = load(sys.argv[1])
    for isa in ("svm", "vmx"):
        runs = sorted({k[1] for k in data if k[0] == isa})
        qruns = sorted({k[1] for k in qcost if k[0] == isa})
        if not runs and not qruns:
            continue
        print(f"\n### {PATHS[isa]}\n")
        for run in runs:
            table(data, kernels, isa, run)
            print()
        for run in qruns:
            qcost_table(kernels, isa, run)
            print()
    for e in errors:
        print("ERROR:", e)
    sys.exit(1 if errors or not (data or qcost) else 0)


main()
