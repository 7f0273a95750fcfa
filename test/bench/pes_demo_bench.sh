#!/usr/bin/env bash
# pes_demo_bench.sh: adoption.pes() at its defaults on the demo (1,000,000
# events), side by side with stickiness() and lifecycle() at theirs, which
# read the same events once (issue 17: goal pes() <= 1 s on the demo).
#
#   sudo scripts/run.sh                    (the demo cluster, once)
#   sudo test/bench/pes_demo_bench.sh
#
# ROUNDS rounds (default 5), each statement in a new session, the order
# reversed every other round; prints each round and the medians.  Uses the
# running demo database (port PGA_DEMO_PORT, default 54320).
set -euo pipefail
source "$(dirname "$0")/bench_lib.sh"
demo_bench_db
t() { q -c '\timing on' -c "SELECT count(*) FROM $1" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'; }
declare -a tp=() ts=() tl=()
for ((r = 1; r <= rounds; r++)); do
	if ((r % 2)); then p=$(t "adoption.pes()"); s=$(t "adoption.stickiness()"); l=$(t "adoption.lifecycle()")
	else l=$(t "adoption.lifecycle()"); s=$(t "adoption.stickiness()"); p=$(t "adoption.pes()"); fi
	printf 'round %d  pes %9.1f ms  stickiness %9.1f ms  lifecycle %9.1f ms\n' "$r" "$p" "$s" "$l"
	tp+=("$p"); ts+=("$s"); tl+=("$l")
done
mp=$(median "${tp[@]}"); ms=$(median "${ts[@]}"); ml=$(median "${tl[@]}")
awk -v p="$mp" -v s="$ms" -v l="$ml" -v load="$(cut -d' ' -f1 /proc/loadavg)" 'BEGIN {
	printf "medians: pes %.1f ms, stickiness %.1f ms, lifecycle %.1f ms; pes / stickiness = %.2f (load average %s)\n", p, s, l, p / s, load }'
