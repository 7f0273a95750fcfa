#!/usr/bin/env python3
"""Lists the blocks of six or more lines that stand twice in src/ and test/.

Lines are compared with their white space folded, after dropping blank
lines, comment-only lines, lines of lone punctuation and the layout words
of SQL functions (RETURNS, LANGUAGE, SET search_path, AS $$, DECLARE,
BEGIN, END IF; ...), so that a repeated block is code, not layout.  Left out: src/upgrade/ (the frozen
install and upgrade scripts of released versions, and the upgrade script
of the version being built, which restates src/sql by rule) and data
files (labelled texts, expected outputs).  Exits 1 when a block repeats.

Usage: repeated_blocks.py [-n LINES] [REPO]
"""
import os
import re
import subprocess
import sys

SOURCE = re.compile(r'\.(c|h|sql|sh|py|pgbench|spec|mjs|js)$|(^|/)Makefile$')
EXCLUDE = re.compile(r'^src/upgrade/|^test/textcat/data/|/expected/|^expected/')
PUNCT = re.compile(r'^[\s(){}\[\];,]*$')
# Lines that are layout in SQL: a function's preamble and PL/pgSQL block words.
THIN = re.compile(r'^(RETURNS\b|LANGUAGE \w+( (STABLE|IMMUTABLE|VOLATILE))?( PARALLEL SAFE)?$|'
                  r'SET (search_path|TimeZone|jit|extra_float_digits|IntervalStyle)\b|AS \$\$$|\$\$;?$|'
                  r'DECLARE$|BEGIN$|END;?$|END (IF|LOOP|CASE);$|ELSE$|SECURITY DEFINER$|'
                  r'(STABLE|IMMUTABLE|PARALLEL SAFE)$|RETURN (NEW|NULL|OLD);$|IF FOUND THEN$)')
COMMENT = re.compile(r'^\s*(--|#(?!include)(?!\s*(if|else|endif|define))|//|/\*|\*)')


def files(repo):
    out = subprocess.run(['git', '-C', repo, 'ls-files', 'src', 'test'],
                         capture_output=True, text=True, check=True).stdout.split()
    return [f for f in out if SOURCE.search(f) and not EXCLUDE.search(f)]


def significant(path):
    """(line number, folded text) of the lines that count."""
    keep = []
    with open(path, encoding='utf-8', errors='replace') as fh:
        for no, line in enumerate(fh, 1):
            text = ' '.join(line.split())
            if not text or PUNCT.match(text) or COMMENT.match(text) or THIN.match(text):
                continue
            keep.append((no, text))
    return keep


def main(argv):
    n = 6
    if argv[:1] == ['-n']:
        n = int(argv[1])
        argv = argv[2:]
    repo = argv[0] if argv else os.path.join(os.path.dirname(os.path.abspath(__file__)), '..')
    windows = {}
    lines = {}
    for f in files(repo):
        sig = significant(os.path.join(repo, f))
        lines[f] = sig
        for i in range(len(sig) - n + 1):
            key = tuple(t for _, t in sig[i:i + n])
            windows.setdefault(key, []).append((f, i))
    # Pairs of places, each extended to the longest run it is part of.
    seen = set()
    found = []
    for key, places in windows.items():
        if len(places) < 2:
            continue
        first = places[0]
        for other in places[1:]:
            (fa, ia), (fb, ib) = first, other
            if fa == fb and abs(ia - ib) < n:
                continue
            # walk back to the start of the run
            while ia > 0 and ib > 0 and lines[fa][ia - 1][1] == lines[fb][ib - 1][1] and \
                    not (fa == fb and ia - 1 < ib <= ia - 1 + n):
                ia, ib = ia - 1, ib - 1
            if (fa, ia, fb, ib) in seen:
                continue
            seen.add((fa, ia, fb, ib))
            length = 0
            while ia + length < len(lines[fa]) and ib + length < len(lines[fb]) and \
                    lines[fa][ia + length][1] == lines[fb][ib + length][1]:
                length += 1
            found.append('%s:%d-%d ~ %s:%d-%d (%d lines)' % (
                fa, lines[fa][ia][0], lines[fa][ia + length - 1][0],
                fb, lines[fb][ib][0], lines[fb][ib + length - 1][0], length))
    for row in sorted(set(found)):
        print(row)
    if not found:
        print('no block of %d lines repeated in src/ and test/ (%d files read)' % (n, len(lines)))
    return 1 if found else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
