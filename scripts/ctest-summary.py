#!/usr/bin/env python3
"""How many tests ran, passed, failed and were skipped, from ctest's JUnit file.

Usage: ctest-summary.py JUNIT.xml LABEL [--expected-skips REGEX]

A skip hides a test. As root (CI runs as root with every package installed)
no test may skip except those matching --expected-skips, which says why in
the caller; without root, skips are listed but allowed (several tests need
mount namespaces or a test user). Exit 1 on a failure or an unexpected skip.
"""
import os
import re
import sys
import xml.etree.ElementTree as ET


def main() -> int:
    args = sys.argv[1:]
    expected = None
    if "--expected-skips" in args:
        i = args.index("--expected-skips")
        expected = re.compile(args[i + 1])
        del args[i : i + 2]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    path, label = args
    try:
        root = ET.parse(path).getroot()
    except (OSError, ET.ParseError) as e:
        print(f"{label}: cannot read ctest's results {path}: {e}", file=sys.stderr)
        return 1
    ran = passed = failed = 0
    skipped = []
    for case in root.iter("testcase"):
        name = case.get("name", "?")
        status = case.get("status", "")
        skip = case.find("skipped")
        if skip is not None or status in ("notrun", "disabled"):
            reason = (skip.get("message", "") if skip is not None else status) or status
            skipped.append((name, reason))
            continue
        ran += 1
        if status == "fail" or case.find("failure") is not None:
            failed += 1
        else:
            passed += 1
    print(f"{label}: {ran} ran, {passed} passed, {failed} failed, {len(skipped)} skipped")
    unexpected = [(n, r) for n, r in skipped if not (expected and expected.search(n))]
    for name, reason in skipped:
        mark = "unexpected " if (name, reason) in unexpected else ""
        print(f"  {mark}skip: {name} ({reason.strip()[:200]})")
    if ran == 0:
        print(f"{label}: no test ran", file=sys.stderr)
        return 1
    if failed:
        return 1
    if unexpected and os.geteuid() == 0:
        print(f"{label}: {len(unexpected)} tests skipped that must run as root; see above", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
