#!/usr/bin/env bash
# TAP: the pure-C fuzz targets, short version.  The velocity and health math
# targets (test/fuzz/c) replay their seed corpus and 200,000 seeded random
# inputs built with gcc and ASan/UBSan (make check); then libFuzzer (clang)
# runs each target, these two and the feedback tokenizer's (test/textcat),
# for FUZZ_SECONDS (default 10) seconds.  Installs clang if missing.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
secs=${FUZZ_SECONDS:-10}
echo "1..3"
(source "$here/scripts/lib.sh" && ensure_packages) >/dev/null 2>&1

out=$(make -s -C "$here/test/fuzz/c" check 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
[ "$rc" = 0 ] && [ "$(printf '%s\n' "$out" | grep -c 'no failure$')" = 2 ] &&
	echo "ok 1 - velocity and health targets pass their corpus and random inputs under gcc ASan/UBSan" ||
	echo "not ok 1 - gcc replay of the velocity and health targets (exit $rc)"

# Runs one libFuzzer make target; reports runs per target from -print_final_stats.
fuzz() {
	local n=$1 dir=$2 what=$3 out rc runs
	out=$(make -s -C "$dir" fuzz FUZZ_SECONDS="$secs" 2>&1)
	rc=$?
	printf '%s\n' "$out" | grep -E '^(Done|INFO: Seed|==[0-9]+==|SUMMARY|.*runtime error|.*_fuzz: )' | sed 's/^/# /'
	runs=$(printf '%s\n' "$out" | sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 runs in \2 s/p' | paste -sd';' - | sed 's/;/; /g')
	[ "$rc" = 0 ] && [ -n "$runs" ] && echo "ok $n - libFuzzer, $what: $runs, no failure" ||
		echo "not ok $n - libFuzzer, $what (exit $rc)"
}
fuzz 2 "$here/test/fuzz/c" "velocity then health math"
fuzz 3 "$here/test/textcat" "feedback tokenizer and matcher"
clang --version 2>&1 | head -n 1 | sed 's/^/# /'
