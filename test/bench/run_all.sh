#!/usr/bin/env bash
# run_all.sh: runs every benchmark of test/bench, one after the other, and
# sums them up against the goals.
#
#   test/bench/run_all.sh            (full sizes: about 15-20 minutes)
#   QUICK=1 test/bench/run_all.sh    (small sizes: a few minutes)
#   ONLY="pgbench_bench copy_bench" test/bench/run_all.sh
#                                         (runs only those; the table takes the
#                                         others' figures from their last results)
#
#   copy_bench.sh           COPY of 1M events, tracking vs none, 3 rounds
#                           (QUICK: 100k events, 1 round);
#   pgbench_bench.sh        8 clients of single-row INSERTs, 3 rounds of 20 s
#                           (QUICK: 1 round of 5 s, 50k warm-up events);
#   sql_baseline_bench.sh   COPY of 1M events, C trigger vs SQL trigger, 2 rounds
#                           (QUICK: 100k events, 1 round);
#   rss_bench.sh            backend memory during a COPY of 10M events
#                           (QUICK: 1M events);
#   copy_warm_bench.sh      COPY of the newer half of the 1M events after the
#                           older half, tracking vs none, 3 rounds (QUICK:
#                           100k events, 1 round);
#   copy_bench_b2b, pgbench_bench_b2b, sql_baseline_bench_b2b,
#   copy_warm_bench_b2b     the same four on the B2B-shaped data set
#                           (DATA_SET=b2b: test/bench/gen_b2b.sql, tenants of
#                           20 users on ~7 of 50 features; pgbench:
#                           pgbench_insert_b2b.pgbench);
#   queue_bench.sh          4 workers draining 200k actions: fresh, with
#                           history, with a long transaction (QUICK: 20k);
#   rescore_bench.sh        health rescoring of 10,000 tenants with 5M events,
#                           in full and after 1% got new data (QUICK: 1,000
#                           tenants, 500k events);
#   feedback_bench.sh       categorize_feedback on 100k texts against the
#                           regex SQL (QUICK: 20k texts, 200 for the regexes);
#   analytics_bench.sh      retention and lifecycle over 5M events, C against
#                           window-function SQL (QUICK: 500k events);
#   scale_bench.sh          COPY of 1M and 4M events, rescore of 2,000 and
#                           8,000 tenants, rebuild() of 1M and 4M events:
#                           cost per unit at 4x over 1x (QUICK: 100k/400k
#                           events, 200/800 tenants);
#   compare_versions.sh     only when ONLY names it (it builds the 0.2.0
#                           engine and takes 30-60 minutes): the engine of
#                           0.2.0 against the current tree in one cluster,
#                           COPY of 1M events on the gen_events and the B2B
#                           set, pgbench, backend memory during a COPY of 10M
#                           events (QUICK: 50k events, 1 x 5 s, 500k events).
#
# Each script writes its own result to test/bench/out/<script>.md; this one
# reads the figures back from those files and prints one table, also
# written (with the scripts' results after it) to test/bench/out/summary.md.
# The benchmarks never run at once (they share the cluster "bench" and the
# machine's CPUs).  A benchmark that fails is reported as such and the others
# still run; the exit status is 1 if any failed.
source "$(dirname "$0")/bench_lib.sh"
need_root "$@"

usage() { bench_usage "[QUICK=1] [ONLY=\"copy_bench pgbench_bench sql_baseline_bench rss_bench compare_versions\"] $0" "$@"; }
bench_args "[QUICK=1] [ONLY=...] $0" -- "$@"
bench=$REPO/test/bench
quick=${QUICK:-0}
all="copy_bench copy_bench_b2b pgbench_bench pgbench_bench_b2b sql_baseline_bench sql_baseline_bench_b2b rss_bench copy_warm_bench copy_warm_bench_b2b queue_bench rescore_bench feedback_bench analytics_bench scale_bench"
# Run only when ONLY names them.
extra="compare_versions"
only=${ONLY:-$all}
for name in $only; do
	[[ " $all $extra " == *" ${name%.sh} "* ]] || usage "ONLY: unknown benchmark $name (one of: $all $extra)"
done
mkdir -p "$out_dir"
log_dir=$out_dir/logs
mkdir -p "$log_dir"

declare -A status=()
# Runs benchmark $1 (a script name, or name=script for a second variant of
# a script) with the environment and arguments that follow ("VAR=value ...
# -- args"); its output goes to the terminal and to out/logs/<name>.log.
run() {
	local script=${1#*=} name=${1%%=*} env=() args=() start
	name=${name%.sh}
	shift
	while [ $# -gt 0 ] && [ "$1" != -- ]; do env+=("$1"); shift; done
	[ $# -gt 0 ] && shift
	args=("$@")
	if [[ " ${only//.sh/} " != *" $name "* ]]; then
		if [ -s "$out_dir/$name.md" ]; then status[$name]="previous"; else status[$name]="not run"; fi
		return 0
	fi
	rm -f "$out_dir/$name.md"
	say "running $script ${env[*]} ${args[*]}"
	start=$(date +%s)
	if env "${env[@]}" bash "$bench/$script" "${args[@]}" 2>&1 | tee "$log_dir/$name.log"; then
		status[$name]=ok
	else
		status[$name]="failed (see test/bench/out/logs/$name.log)"
	fi
	echo "$script: ${status[$name]} in $(($(date +%s) - start)) s"
}

if [ "$quick" = 1 ]; then
	run copy_bench.sh ROUNDS=1 -- 100000
	run copy_bench_b2b=copy_bench.sh DATA_SET=b2b ROUNDS=1 -- 100000
	run pgbench_bench.sh ROUNDS=1 SECONDS_PER_ROUND=5 WARM_EVENTS=50000 --
	run pgbench_bench_b2b=pgbench_bench.sh DATA_SET=b2b ROUNDS=1 SECONDS_PER_ROUND=5 WARM_EVENTS=50000 --
	run sql_baseline_bench.sh ROUNDS=1 -- 100000
	run sql_baseline_bench_b2b=sql_baseline_bench.sh DATA_SET=b2b ROUNDS=1 -- 100000
	run rss_bench.sh -- 1000000
	run copy_warm_bench.sh ROUNDS=1 -- 100000
	run copy_warm_bench_b2b=copy_warm_bench.sh DATA_SET=b2b ROUNDS=1 -- 100000
	run queue_bench.sh -- 20000
	run rescore_bench.sh ROUNDS=1 -- 500000 1000
	run feedback_bench.sh ROUNDS=1 REGEX_TEXTS=200 -- 20000
	run analytics_bench.sh -- quick
	run scale_bench.sh -- 100000 200
	run compare_versions.sh QUICK=1 --
else
	run copy_bench.sh --
	run copy_bench_b2b=copy_bench.sh DATA_SET=b2b --
	run pgbench_bench.sh --
	run pgbench_bench_b2b=pgbench_bench.sh DATA_SET=b2b --
	run sql_baseline_bench.sh --
	run sql_baseline_bench_b2b=sql_baseline_bench.sh DATA_SET=b2b --
	run rss_bench.sh --
	run copy_warm_bench.sh --
	run copy_warm_bench_b2b=copy_warm_bench.sh DATA_SET=b2b --
	run queue_bench.sh --
	run rescore_bench.sh --
	run feedback_bench.sh --
	run analytics_bench.sh --
	run scale_bench.sh --
	run compare_versions.sh QUICK=0 --
fi

# Reads the figure after "<label> = " on a bold line of out/$1.md.
figure() {
	local file=$out_dir/$1.md
	[ -s "$file" ] || return 0
	sed -n "s/^\*\*$2 = \([0-9.]*\).*/\1/p" "$file" | head -n 1
}
# The commit a result was measured at.
bench_commit() {
	[ -s "$out_dir/$1.md" ] || { echo -; return; }
	sed -n 's/.*, commit \([^,;]*\)[,;].*/\1/p' "$out_dir/$1.md" | head -n 1
}
# Prints "met", "missed" or "-" for value $1 compared with $2 $3 (">=" or "<=").
verdict() {
	[ -n "$1" ] || { echo "-"; return; }
	if awk -v v="$1" -v g="$3" -v op="$2" 'BEGIN { exit !(op == ">=" ? v >= g : v <= g) }'; then echo met; else echo MISSED; fi
}

copy_ratio=$(figure copy_bench 'tracking\/none throughput')
copy_ratio_b2b=$(figure copy_bench_b2b 'tracking\/none throughput')
pgbench_ratio=$(figure pgbench_bench 'tracking\/none tps')
pgbench_ratio_b2b=$(figure pgbench_bench_b2b 'tracking\/none tps')
speedup=$(figure sql_baseline_bench 'C trigger speedup = SQL time \/ C time')
speedup_b2b=$(figure sql_baseline_bench_b2b 'C trigger speedup = SQL time \/ C time')
hwm=$(figure rss_bench 'peak VmHWM')
anon=$(figure rss_bench 'peak RssAnon')
warm_ratio=$(figure copy_warm_bench 'tracking\/none throughput')
warm_ratio_b2b=$(figure copy_warm_bench_b2b 'tracking\/none throughput')
drain=$(figure queue_bench 'actions\/s, fresh queue')
drain_longtx=$(figure queue_bench 'actions\/s, long transaction open')
rescore_ms=$(figure rescore_bench 'full rescore ms per tenant')
rescore_dirty=$(figure rescore_bench 'incremental after 1% dirty \/ full')
texts=$(figure feedback_bench 'categorize_feedback texts\/s')
regex_speedup=$(figure feedback_bench 'speedup over the regex SQL')
retention_speedup=$(figure analytics_bench 'retention speedup C \/ SQL')
lifecycle_speedup=$(figure analytics_bench 'lifecycle speedup C \/ SQL')
ingest_growth=$(figure scale_bench 'ingest cost per event, 4x \/ 1x')
trigger_growth=$(figure scale_bench 'trigger cost per event, 4x \/ 1x')
rescore_growth=$(figure scale_bench 'rescore cost per tenant, 4x \/ 1x')
rebuild_growth=$(figure scale_bench 'rebuild cost per event, 4x \/ 1x')
version_drop=$(figure compare_versions 'largest drop of a tracking\/none ratio against 0.2.0')
version_hwm=$(figure compare_versions 'current peak VmHWM')

rows=(
	"COPY into empty state (1M events), tracking/none, gen_events set|copy_bench|>=|0.85|$copy_ratio|"
	"COPY into empty state (1M events), tracking/none, B2B set|copy_bench_b2b|>=|0.85|$copy_ratio_b2b|"
	"incremental COPY (newer half after older half), tracking/none, gen_events set|copy_warm_bench|>=|0.75|$warm_ratio|"
	"incremental COPY, tracking/none, B2B set|copy_warm_bench_b2b|>=|0.75|$warm_ratio_b2b|"
	"C trigger speedup over the SQL trigger, COPY into empty state (SQL time / C time), gen_events set|sql_baseline_bench|>=|3|$speedup|x"
	"C trigger speedup over the SQL trigger, B2B set|sql_baseline_bench_b2b|>=|3|$speedup_b2b|x"
	"pgbench 8 clients single-row INSERT, tracking/none, gen_events shape|pgbench_bench|>=|0.80|$pgbench_ratio|"
	"pgbench 8 clients single-row INSERT, tracking/none, B2B shape|pgbench_bench_b2b|>=|0.80|$pgbench_ratio_b2b|"
	"queue drain, 4 workers, a REPEATABLE READ transaction open (0 duplicates checked)|queue_bench|>=|20000|$drain_longtx| actions/s"
	"queue drain, 4 workers, fresh queue|queue_bench|>=|5000|$drain| actions/s"
	"peak backend RSS during a COPY of 10M (VmHWM, incl. shared buffers)|rss_bench|<=|512|$hwm| MB"
	"peak backend private memory during a COPY (RssAnon)|rss_bench|<=|512|$anon| MB"
	"full health rescore|rescore_bench|<=|1|$rescore_ms| ms/tenant"
	"incremental rescore after 1% of tenants got data, / full|rescore_bench|<=|0.05|$rescore_dirty|"
	"categorize_feedback throughput, one backend|feedback_bench|>=|50000|$texts| texts/s"
	"categorize_feedback speedup over regex SQL (~*)|feedback_bench|>=|10|$regex_speedup|x"
	"retention in C over window-function SQL|analytics_bench|>=|1|$retention_speedup|x"
	"lifecycle in C over window-function SQL|analytics_bench|>=|1|$lifecycle_speedup|x"
	"ingest cost per event, 4x events / 1x (1.00 = linear)|scale_bench|<=|1.25|$ingest_growth|"
	"trigger cost per event, 4x events / 1x|scale_bench|<=|1.25|$trigger_growth|"
	"rescore cost per tenant, 4x tenants / 1x|scale_bench|<=|1.25|$rescore_growth|"
	"rebuild() cost per event, 4x events / 1x|scale_bench|<=|1.25|$rebuild_growth|"
	"largest drop of a tracking/none ratio, current against 0.2.0 (COPY x 2 sets, pgbench)|compare_versions|<=|10|$version_drop| %"
	"peak backend RSS during a COPY, current, next to 0.2.0 (VmHWM)|compare_versions|<=|512|$version_hwm| MB"
)

if [ "$quick" = 1 ]; then sizes="QUICK=1 (small sizes: COPY of 100k events, pgbench 1 x 5 s, RSS with 1M events)"; else sizes="full sizes"; fi
commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C "$REPO" status --porcelain --untracked-files=no 2>/dev/null)" ]; then commit="$commit+dirty"; fi
when=$(date -u '+%Y-%m-%d %H:%M UTC')
cpus=$(nproc)
table=$(
	printf '| figure | goal | measured | verdict | benchmark | commit |\n'
	printf '|---|---|---:|---|---|---|\n'
	for row in "${rows[@]}"; do
		IFS='|' read -r label name op goal value unit <<<"$row"
		if [ -n "$value" ]; then shown="$value$unit"; else shown="${status[$name]:-not run}"; fi
		[ "${status[$name]:-}" != previous ] || [ -z "$value" ] || shown="$shown (previous run)"
		printf '| %s | %s %s%s | %s | %s | %s.sh | %s |\n' "$label" "$op" "$goal" "$unit" "$shown" "$(verdict "$value" "$op" "$goal")" "$name" "$(bench_commit "$name")"
	done
)

say "summary ($sizes)"
printf '%s\n' "$table"
{
	printf '# pg_adoption benchmarks\n\n'
	printf '%s, commit %s, %s CPUs; %s.  Made by `test/bench/run_all.sh`; the machine is shared, so\n' "$when" "$commit" "$cpus" "$sizes"
	printf 'figures can vary by 10-20%% from run to run.\n\n'
	printf '%s\n' "$table"
	for name in $all $extra; do
		if [ -s "$out_dir/$name.md" ]; then
			printf '\n'
			sed 's/^## /### /' "$out_dir/$name.md"
		fi
	done
} >"$out_dir/summary.md"
echo "wrote $out_dir/summary.md"

failed=0
for name in $all $extra; do
	case "${status[$name]:-}" in ok | previous | "not run") ;; *) failed=1 ;; esac
done
exit "$failed"
