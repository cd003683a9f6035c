#!/usr/bin/env python3
"""How much of the committed profile (pgo/tickwire.proftext) still fits the code.

IR-level PGO keys each function's counts by its name and a hash of its control flow. When a
function changes, the build silently compiles it without counts (the Swift frontend prints no
mismatch warning), so a profile goes stale without anyone seeing it. This compares the profile
with the function hashes of the current code, read from an instrumented build's own profile of a
run that does nothing (`tickwire --help`: every function is in it, with its hash), and reports
the share of the profile's counts whose function still matches. `make pgo-check` runs it; below
--min it fails and says to remake the profile (`make pgo-profile`).

usage: pgo-check.py COMMITTED.proftext CURRENT.proftext [--min 0.9] [--json]
"""
import argparse
import json
import sys


def records(path):
    """(name, hash) -> total count of an LLVM text profile (IR level). A name can come with
    several hashes (a function emitted in more than one module, differently optimized)."""
    out = {}
    with open(path) as f:
        lines = f.read().split("\n")
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        if not line or line.startswith("#") or line.startswith(":") or line.startswith("$0"):
            i += 1
            continue
        if i + 1 < n and lines[i + 1] == "# Func Hash:":
            name = line
            try:
                h = int(lines[i + 2])
                assert lines[i + 3] == "# Num Counters:"
                k = int(lines[i + 4])
                assert lines[i + 5] == "# Counter Values:"
                counts = [int(x) for x in lines[i + 6:i + 6 + k]]
            except (ValueError, AssertionError, IndexError):
                raise SystemExit(f"pgo-check: {path}: malformed record at line {i + 1} ({name[:80]})")
            out[(name, h)] = out.get((name, h), 0) + sum(counts)
            i += 6 + k
        else:
            i += 1
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("committed")
    ap.add_argument("current")
    ap.add_argument("--min", type=float, default=0.9, help="least share of the profile's counts that must still match")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    old = records(a.committed)
    new = records(a.current)
    if not old:
        raise SystemExit(f"pgo-check: {a.committed}: no functions")
    if not new:
        raise SystemExit(f"pgo-check: {a.current}: no functions")
    total = sum(old.values())
    names = {n for n, _ in new}
    matched = 0
    stale = []
    for (name, h), c in old.items():
        if (name, h) in new:
            matched += c
        else:
            stale.append((c, name, "changed" if name in names else "gone"))
    stale.sort(reverse=True)
    share = matched / total if total else 1.0
    report = {
        "functions": len(old),
        "stale_functions": len(stale),
        "matched_count_share": round(share, 4),
        "min": a.min,
        "stale_top": [{"name": n, "count": c, "why": w} for c, n, w in stale[:10]],
    }
    if a.json:
        print(json.dumps(report))
    else:
        print(f"pgo-check: {len(old) - len(stale)} of {len(old)} profiled functions match the code, "
              f"{100 * share:.1f}% of the profile's counts (at least {100 * a.min:.0f}% needed)")
        for c, n, w in stale[:10]:
            print(f"  {w:7s} {c:>14,d}  {n[:140]}")
    if share < a.min:
        print("pgo-check: the profile is stale: remake it with `make pgo-profile` (as root, for the demo's counts) "
              "and commit pgo/tickwire.proftext", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
