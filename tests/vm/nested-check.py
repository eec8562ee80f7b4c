#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge the output of nested.sh's emulated host: print TAP lines.

Sections are "=== NAME" lines followed by their text; the guest's own
sections sit inside the host's guest1/guest2 sections.
"""
import json
import re
import subprocess
import sys

CPUID = 0x72  # SVM exit code of CPUID: the nested test runs on SVM
RAW = re.compile(r"^   0x([0-9a-f]{8}) 0x([0-9a-f]{2,}): eax=0x([0-9a-f]{8}) "
                 r"ebx=0x([0-9a-f]{8}) ecx=0x([0-9a-f]{8}) edx=0x([0-9a-f]{8})$")
results = []


def tap(ok, desc, diag=""):
    results.append(ok)
    print(("ok" if ok else "not ok") + " - " + desc)
    if not ok and diag:
        for line in str(diag).splitlines()[:40]:
            print("#   " + line)


def sections(lines):
    out, name = {}, None
    for line in lines:
        if line.startswith("=== "):
            name = line[4:].strip()
            out[name] = []
        elif name is not None:
            out[name].append(line)
    return out


def rc_of(lines):
    for line in reversed(lines):
        if line.startswith("rc="):
            return int(line[3:])
    return None


def raw_count(lines, leaf=0x4FFFFFFE, sub=CPUID):
    """EAX of the `cpuid -r`-style line for (leaf, sub), or None."""
    for line in lines:
        m = RAW.match(line)
        if m and int(m.group(1), 16) == leaf and int(m.group(2), 16) == sub:
            return int(m.group(3), 16)
    return None


def guest_sections(host, name):
    """A guest's console, shown by the host behind "| "."""
    return sections(x[2:] for x in host.get(name, []) if x.startswith("| "))


def check_host(host):
    tap(rc_of(host.get("modprobe", [])) == 0, "modprobe exitcount",
        "\n".join(host.get("modprobe", [])))
    info = "\n".join(host.get("modinfo", []))
    tap(re.search(r"^filename:\s+/lib/modules/.*/updates/dkms/exitcount\.ko$",
                  info, re.M) is not None,
        "modprobe found the module dkms installed (updates/dkms)", info)
    tap(re.search(r"^signer:\s+DKMS", info, re.M) is not None,
        "the module is signed with the DKMS key", info)


def check_table(g):
    t = g.get("table", [])
    tap(rc_of(t) == 0, "guest: exitcount exits 0", "\n".join(t))
    tap(any(re.search(r"\bCPUID\s+[1-9]", x) for x in t),
        "guest: the table has a CPUID row with exits", "\n".join(t))


def check_json(g):
    lines = g.get("json", [])
    try:
        doc = json.loads("\n".join(x for x in lines if not x.startswith("rc=")))
    except ValueError as e:
        tap(False, "guest: exitcount --json is valid JSON", f"{e}\n" + "\n".join(lines))
        return None
    tap(True, "guest: exitcount --json is valid JSON")
    tap(doc.get("isa") == "SVM" and doc.get("scope") == "vm",
        "guest: JSON says ISA SVM, scope vm", json.dumps(doc)[:400])
    cpuid = [r for r in doc.get("reasons", []) if r.get("number") == CPUID]
    tap(len(cpuid) == 1 and cpuid[0]["count"] > 0 and cpuid[0]["handled"],
        "guest: JSON has CPUID with exits, handled", json.dumps(cpuid))
    return cpuid[0]["count"] if cpuid else None


def check_raw(g):
    a, b, c = (raw_count(g.get(s, [])) for s in ("one-a", "cpuid", "one-b"))
    tap(None not in (a, b, c),
        "guest: CLI --raw and cpuid -r both show 0x4ffffffe/0x72 in one format",
        f"CLI {a}, cpuid {b}, CLI {c}")
    if None in (a, b, c):
        return None
    tap(a < b < c, "guest: CPUID count grows: CLI < cpuid tool < CLI again",
        f"{a} {b} {c}")
    tap(c - a < 1000, "guest: the two tools agree (within the CPUIDs they run)",
        f"{a} {b} {c}")
    return c


def check_hostview(host, last_read):
    pid = host.get("guest-pid", ["?"])[0].strip()
    hv = host.get("hostview", [])
    pat = re.compile(rf"^vm \d+ pid {re.escape(pid)} reason {CPUID} CPUID "
                     r"exits (\d+) cycles (\d+)$")
    counts = [int(m.group(1)) for m in map(pat.match, hv) if m]
    tap(len(counts) == 1 and last_read is not None and counts[0] >= last_read,
        f"host view: the guest's VM (QEMU pid {pid}) has at least the "
        "CPUID exits the guest read last", f"read {last_read}\n" + "\n".join(hv))


def check_host_cli(host):
    """exitcount --host names the QEMU VM by its -name; --prometheus too."""
    pid = host.get("guest-pid", ["?"])[0].strip()
    t = host.get("host-table", [])
    tap(rc_of(t) == 0 and any(re.match(rf"^VM l2-loaded, pid {re.escape(pid)}: "
                                       r"\d+ exits$", x) for x in t),
        "exitcount --host --vm=l2-loaded: QEMU's -name guest=l2-loaded, "
        f"pid {pid}", "\n".join(t))
    row = [x for x in t if re.match(rf"^0x{CPUID:03x} CPUID ", x)]
    tap(len(row) == 1 and int(row[0].split()[2]) > 0,
        "exitcount --host: the VM's CPUID row has exits", "\n".join(t))
    prom = host.get("host-prometheus", [])
    tap(any(re.match(r'^exitcount_exits_total\{vm="l2-loaded",pid="'
                     rf'{re.escape(pid)}",isa="svm",reason="CPUID"\}} [1-9]', x)
            for x in prom),
        "exitcount --host --prometheus: the VM's CPUID exits by its name",
        "\n".join(prom))
    try:
        p = subprocess.run(["promtool", "check", "metrics"], check=False,
                           input="\n".join(prom) + "\n", text=True,
                           capture_output=True)
        tap(p.returncode == 0, "promtool check metrics: --prometheus output",
            p.stdout + p.stderr)
    except OSError as e:
        tap(False, "promtool check metrics: --prometheus output", e)


def check_absent(host):
    g = guest_sections(host, "guest2")
    a = g.get("absent", [])
    tap(rc_of(a) == 3, "after rmmod: exitcount exits 3 (not available)",
        "\n".join(a))
    tap(any("not available" in x for x in a),
        "after rmmod: exitcount says it is not available", "\n".join(a))


def check_dmesg(host):
    bad = [x for x in host.get("dmesg", [])
           if re.search(r"WARNING|BUG|Oops|Call Trace|kprobe", x)]
    tap(not bad, "dmesg after modprobe: no WARNING, BUG, Oops, kprobe failure",
        "\n".join(bad))


def main():
    with open(sys.argv[1], encoding="utf-8", errors="replace") as f:
        host = sections(f.read().splitlines())
    check_host(host)
    g = guest_sections(host, "guest1")
    check_table(g)
    check_json(g)
    check_hostview(host, check_raw(g))
    check_host_cli(host)
    tap(rc_of(host.get("rmmod", [])) == 0, "rmmod exitcount while KVM is loaded")
    check_absent(host)
    check_dmesg(host)


main()
