#!/usr/bin/env python3
"""Reads valgrind memcheck logs (one per process, --log-file=%p.log) and reports.

Usage: vgreport.py LOGDIR SRCDIR [OBJECT]

An error record is the extension's when a frame of its stack lies in the
extension: in OBJECT (default pg_adoption.so) or in a source file under
SRCDIR (the logs name full paths, --fullpath-after=).  The exit status is 1
if there is such a record, or if no log has a valgrind summary (valgrind
did not run to the end).  Records whose other stacks (where a block was
allocated or freed, where an uninitialised value was created) pass through
the extension are listed but not gated: without a USE_VALGRIND build of
PostgreSQL, palloc recycles memory inside malloc'd blocks, so those stacks
name whoever first allocated the block.  Records only in PostgreSQL's frames
are counted by kind and first PostgreSQL function.
"""
import collections
import glob
import os
import re
import sys

PREFIX = re.compile(r"^==(\d+)== ?(.*)$")
FRAME = re.compile(r"^\s+(at|by) 0x[0-9A-Fa-f]+: (.*)$")
SUMMARY = re.compile(r"ERROR SUMMARY: (\d+) errors from (\d+) contexts \(suppressed: (\d+) from (\d+)\)")


def records(path):
    """Yields (headline, stacks) per error record of one log; also the summary."""
    chunk = []
    summary = None
    with open(path, errors="replace") as f:
        lines = [m.group(2) for m in map(PREFIX.match, f) if m]
    for line in lines + [""]:
        m = SUMMARY.search(line)
        if m:
            summary = tuple(int(x) for x in m.groups())
        if line.strip():
            chunk.append(line)
            continue
        if chunk and any(FRAME.match(x) for x in chunk):
            stacks = []
            for x in chunk[1:]:
                fm = FRAME.match(x)
                if fm and fm.group(1) == "at":
                    stacks.append([fm.group(2)])
                elif fm and stacks:
                    stacks[-1].append(fm.group(2))
                elif not fm:
                    stacks.append(x.strip())
            yield chunk[0], stacks
        chunk = []
    yield None, summary


def ours(frame, srcdir, obj):
    """Returns True if a frame lies in the extension."""
    return ("(%s/" % srcdir) in frame or re.search(r"\(in \S*/%s\)" % re.escape(obj), frame) is not None


def first_function(stack):
    """Returns the first named function of a stack outside libc and valgrind's preload."""
    for frame in stack:
        if frame.startswith("???") or "vgpreload" in frame or "/libc.so" in frame \
                or "libio/" in frame or "sysdeps/" in frame:
            continue
        return frame.split(" (")[0]
    return stack[0].split(" (")[0] if stack else "?"


def show(headline, stacks, log):
    """Prints one error record."""
    print("  %s (%s)" % (headline, os.path.basename(log)))
    for s in stacks:
        if isinstance(s, str):
            print("    " + s)
        else:
            for frame in s[:25]:
                print("      " + frame)


def main():
    logdir, srcdir = sys.argv[1], os.path.abspath(sys.argv[2])
    obj = sys.argv[3] if len(sys.argv) > 3 else "pg_adoption.so"
    logs = sorted(glob.glob(os.path.join(logdir, "*.log")))
    total = 0
    errors = suppressed = finished = 0
    gated, aux = [], []
    by_place = collections.Counter()
    for log in logs:
        for headline, stacks in records(log):
            if headline is None:
                if stacks:
                    finished += 1
                    errors += stacks[0]
                    suppressed += stacks[2]
                continue
            total += 1
            frames = [s for s in stacks if not isinstance(s, str)]
            if frames and any(ours(f, srcdir, obj) for f in frames[0]):
                gated.append((headline, stacks, log))
                continue
            if any(ours(f, srcdir, obj) for s in frames[1:] for f in s):
                aux.append((headline, stacks, log))
            kind = re.sub(r"0x[0-9A-Fa-f]+|\d[\d,]*", "N", headline)
            by_place[(kind, first_function(frames[0]) if frames else "?")] += 1
    print("valgrind: %d process logs (%d ran to the end), %d error records (%d errors, %d suppressed)"
          % (len(logs), finished, total, errors, suppressed))
    print("error records with a frame in the extension: %d" % len(gated))
    if by_place:
        print("error records in PostgreSQL's frames only (reported, not gated), by kind and first function:")
        for (kind, fn), n in by_place.most_common():
            print("  %5d  %s  in %s" % (n, kind, fn))
    if aux:
        print("of those, records whose allocation or origin stack passes through the extension:")
        for rec in aux[:20]:
            show(*rec)
    if gated:
        print("error records with a frame in the extension:")
        for rec in gated[:50]:
            show(*rec)
    if finished == 0:
        print("no valgrind log in %s has a summary: valgrind did not run to the end" % logdir)
        return 1
    return 1 if gated else 0


if __name__ == "__main__":
    sys.exit(main())
