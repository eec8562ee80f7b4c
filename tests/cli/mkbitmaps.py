#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0 OR MIT
"""Write (or --check) the bitmap subleaves of replay fixtures.

A fixture of tests/cli/fixtures/ stands for a host module: besides the
count and detail leaves of its reasons (0x4ffffffe, 0x4ffffffd), it must
answer leaf 0x4ffffffc subleaves 0x100+k (reasons KVM handles) and 0x200+k
(reasons with exits) consistently with them; see
include/exitcount/protocol.h. This tool derives those lines from the
fixture and puts them right after its host info line (0x4ffffffc 0x01),
one line for every k from 0 to max reason / 128, as the module answers.

  handled  a reason with a line not all zeros (and never EDX 0xffffffff,
           undefined), plus those of "# mkbitmaps: idle NR..." lines:
           handled, without exits; their leaves, if any, are all zeros
  active   a handled reason with a nonzero count in some line

Under --watch the CLI reads the active bitmap once per refresh, and only
then the leaves of the reasons it marks: "# mkbitmaps: from READ NR..."
makes reasons active only from bitmap read READ on (1 is the first), so
the fixture gets one active line per read, each read in turn.

  tests/cli/mkbitmaps.py tests/cli/fixtures/*.raw          rewrite
  tests/cli/mkbitmaps.py --check tests/cli/fixtures/*.raw  exit 1 if stale

Fixtures without a host info line of a known ISA (1 VMX, 2 SVM) are left
alone.
"""

import argparse
import re
import sys

LEAF_INFO = 0x4FFFFFFC
LEAF_DETAIL = 0x4FFFFFFD
LEAF_COUNT = 0x4FFFFFFE
INFO_HOST = 1
INFO_HANDLED = 0x100
INFO_ACTIVE = 0x200
BITMAP_REASONS = 128
STATUS_UNDEFINED = 0xFFFFFFFF
ISAS = (1, 2)		# VMX, SVM

LINE = re.compile(r"^\s*0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+):\s*eax=0x([0-9a-fA-F]+)"
                  r"\s+ebx=0x([0-9a-fA-F]+)\s+ecx=0x([0-9a-fA-F]+)"
                  r"\s+edx=0x([0-9a-fA-F]+)\s*$")
DIRECTIVE = re.compile(r"^#\s*mkbitmaps:\s*(\w+)\s*(.*)$")


class FixtureError(Exception):
    pass


def parse(text):
    """Lines as (text, (leaf, subleaf, regs) or None)."""
    out = []
    for line in text.splitlines():
        m = LINE.match(line)
        if m:
            v = [int(g, 16) for g in m.groups()]
            out.append((line, (v[0], v[1], v[2:])))
        else:
            out.append((line, None))
    return out


def is_bitmap(c):
    return c and c[0] == LEAF_INFO and INFO_HANDLED <= c[1] < INFO_ACTIVE + 0x100


def directives(lines):
    idle, start = set(), {}
    for text, _ in lines:
        m = DIRECTIVE.match(text)
        if not m:
            continue
        words = m.group(2).split()
        try:
            nums = [int(w, 0) for w in words]
        except ValueError:
            raise FixtureError("bad number in %r" % text)
        if m.group(1) == "idle":
            idle.update(nums)
        elif m.group(1) == "from" and len(nums) >= 2 and nums[0] >= 1:
            for nr in nums[1:]:
                start[nr] = nums[0]
        else:
            raise FixtureError("unknown directive %r" % text)
    return idle, start


def bitmap_line(subleaf, nrs, k):
    regs = [0] * 4
    for nr in nrs:
        if nr // BITMAP_REASONS == k:
            i = nr % BITMAP_REASONS
            regs[i // 32] |= 1 << (i % 32)
    return ("   0x%08x 0x%02x: eax=0x%08x ebx=0x%08x ecx=0x%08x edx=0x%08x"
            % (LEAF_INFO, subleaf, *regs))


def bitmaps(lines):
    """The bitmap lines the fixture needs; None without a host to read."""
    cpuids = [c for _, c in lines if c]
    host = [c for c in cpuids if c[0] == LEAF_INFO and c[1] == INFO_HOST]
    if not host or host[0][2][0] not in ISAS:
        return None
    max_nr = host[0][2][3]
    idle, start = directives(lines)

    undefined, nonzero, counted = set(), set(), set()
    for leaf, nr, regs in cpuids:
        if leaf not in (LEAF_COUNT, LEAF_DETAIL):
            continue
        if regs[3] == STATUS_UNDEFINED:
            undefined.add(nr)
        elif any(regs):
            nonzero.add(nr)
            if regs[0]:		# count lo (0x4ffffffe) or hi (0x4ffffffd)
                counted.add(nr)
    for nr in sorted(idle):
        if nr in undefined or nr in nonzero:
            raise FixtureError("idle reason %#x has leaves not all zeros, "
                               "or undefined" % nr)
    handled = (nonzero - undefined) | idle
    active = counted - undefined
    for nr in sorted(handled | set(start)):
        if nr > max_nr:
            raise FixtureError("reason %#x above max reason %#x"
                               % (nr, max_nr))
    for nr in start:
        if nr not in active:
            raise FixtureError("'from' reason %#x has no exits" % nr)

    nr_k = max_nr // BITMAP_REASONS + 1
    out = [bitmap_line(INFO_HANDLED + k, handled, k) for k in range(nr_k)]
    for read in range(1, max(start.values(), default=1) + 1):
        now = {nr for nr in active if start.get(nr, 1) <= read}
        out += [bitmap_line(INFO_ACTIVE + k, now, k) for k in range(nr_k)]
    return out


def rewrite(text):
    lines = parse(text)
    new = bitmaps(lines)
    if new is None:
        return text
    out = []
    for line, c in lines:
        if is_bitmap(c):
            continue
        out.append(line)
        if c and c[0] == LEAF_INFO and c[1] == INFO_HOST:
            out += new
    return "\n".join(out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--check", action="store_true",
                    help="change nothing; exit 1 if a fixture is stale")
    ap.add_argument("fixtures", nargs="+")
    args = ap.parse_args()
    status = 0
    for path in args.fixtures:
        with open(path) as f:
            text = f.read()
        try:
            new = rewrite(text)
        except FixtureError as e:
            print("%s: %s" % (path, e), file=sys.stderr)
            status = 1
            continue
        if new == text:
            continue
        if args.check:
            print("%s: bitmap subleaves stale (run %s %s)"
                  % (path, sys.argv[0], path), file=sys.stderr)
            status = 1
        else:
            with open(path, "w") as f:
                f.write(new)
            print("%s: bitmap subleaves written" % path)
    return status


if __name__ == "__main__":
    sys.exit(main())
