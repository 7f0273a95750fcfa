#!/usr/bin/env bash
# TAP: the structure of the code (docs/development.md, "Rules for a change").
#   - the #include graph of src/ has no cycle (scripts/include_graph.py: a
#     module is a .c file with its .h; the check finds a planted cycle too);
#   - no block of six or more lines stands twice in src/ or test/
#     (scripts/repeated_blocks.py, which finds a planted repeat too), but
#     for the pairs listed below, each with why it is left.
# Needs python3 and git; no server.
set -u
source "$(dirname "$0")/../lib/tap.sh"
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

out=$(python3 scripts/include_graph.py src 2>&1)
ok $? "the #include graph of src/ has no cycle: $(printf '%s' "$out" | tail -n 1)"
printf '%s\n' "$out" | why

mkdir -p "$work/inc"
printf '#include "b.h"\n' >"$work/inc/a.c"
printf 'void b(void);\n' >"$work/inc/b.h"
printf '#include "a.h"\n' >"$work/inc/b.c"
printf 'void a(void);\n' >"$work/inc/a.h"
python3 scripts/include_graph.py "$work/inc" >"$work/inc.out" 2>&1
[ $? = 1 ] && grep -q 'cycle among: a, b' "$work/inc.out"
ok $? "include_graph.py finds the cycle a.c -> b.h, b.c -> a.h"
why <"$work/inc.out"

# No repeat is left (the released install and upgrade scripts are not read:
# they are frozen as released).
python3 scripts/repeated_blocks.py . >"$work/rep.out" 2>&1
rc=$?
[ $rc = 0 ]
ok $? "no block of 6 lines repeated in src/ and test/: $(grep -c '~' "$work/rep.out") places"
why 20 <"$work/rep.out"

mkdir -p "$work/rep/src"
git -C "$work/rep" init -q
for f in one two; do
	printf 'int %s(int x)\n{\n\tint a = x + 1;\n\tint b = a * 2;\n\tint c = b - 3;\n\tint d = c / 4;\n\tint e = d %% 5;\n\treturn a + b + c + d + e;\n}\n' "$f" >"$work/rep/src/$f.c"
done
git -C "$work/rep" add src
python3 scripts/repeated_blocks.py "$work/rep" >"$work/rep2.out" 2>&1
[ $? = 1 ] && grep -q 'src/one.c:3-8 ~ src/two.c:3-8' "$work/rep2.out"
ok $? "repeated_blocks.py finds six lines planted in two files"
why <"$work/rep2.out"

plan
[ "$failed" = 0 ]
