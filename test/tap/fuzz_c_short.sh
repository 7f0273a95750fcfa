#!/usr/bin/env bash
# TAP: the pure-C fuzz targets, short version.  The velocity and health math
# targets (test/fuzz/c) replay their seed corpus and 200,000 seeded random
# inputs built with gcc and ASan/UBSan (make check); then libFuzzer (clang)
# runs each target, these two and the feedback tokenizer's (test/textcat),
# for FUZZ_SECONDS (default 10) seconds from seed LIBFUZZER_SEED (default 1:
# every run of the suite tries the same inputs, so that it passes or fails
# for the code, not for the draw; LIBFUZZER_SEED=0 draws a new seed, as a
# longer hunt should).  Installs clang if missing.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
source "$here/test/lib/tap.sh"
secs=${FUZZ_SECONDS:-10}
seed=${LIBFUZZER_SEED:-1}
(source "$here/scripts/lib.sh" && ensure_packages) >/dev/null 2>&1

out=$(make -s -C "$here/test/fuzz/c" check 2>&1)
rc=$?
[ "$rc" = 0 ] && [ "$(printf '%s\n' "$out" | grep -c 'no failure$')" = 2 ]
ok $? "velocity and health targets pass their corpus and random inputs under gcc ASan/UBSan (exit $rc)"
printf '%s\n' "$out" | comment 40

# Runs one libFuzzer make target; reports runs per target from -print_final_stats.
fuzz() {
	local dir=$1 what=$2 out rc runs
	out=$(make -s -C "$dir" fuzz FUZZ_SECONDS="$secs" LIBFUZZER_SEED="$seed" 2>&1)
	rc=$?
	runs=$(printf '%s\n' "$out" | sed -n 's/^Done \([0-9]*\) runs in \([0-9]*\) second.*/\1 runs in \2 s/p' | paste -sd';' - | sed 's/;/; /g')
	[ "$rc" = 0 ] && [ -n "$runs" ]
	ok $? "libFuzzer, $what: ${runs:-no run}, no failure (exit $rc)"
	printf '%s\n' "$out" | grep -E '^(Done|INFO: Seed|==[0-9]+==|SUMMARY|.*runtime error|.*_fuzz: )' | comment 40
}
fuzz "$here/test/fuzz/c" "velocity then health math"
fuzz "$here/test/textcat" "feedback tokenizer and matcher"
clang --version 2>&1 | head -n 1 | comment
plan
[ "$failed" = 0 ]
