#!/usr/bin/env bash
# copy_bench.sh: what does tracking cost on bulk ingest?
#
#   test/bench/copy_bench.sh [n_events]        (default 1000000)
#
# Times COPY adoption.feature_usage_events FROM '<csv>' of n_events events
# (1000 tenants, 20000 users, 50 features over the last 90 days, made by
# test/bench/gen_events.sql) in two variants, alternating, ROUNDS rounds each:
#
#   tracking  the ingest trigger track_events enabled (what users run): it
#             validates every row and registers the 1000 tenants and 50
#             features, and whatever else it maintains;
#   none      ALTER TABLE adoption.feature_usage_events DISABLE TRIGGER
#             track_events: the bare partitioned-table COPY.
#
# Fairness.  Every timed COPY starts from the same state: the extension is
# dropped and created again (so adoption.tenants, adoption.features and every
# state table the trigger maintains are empty, and the tracking variant must
# register everything again), the monthly partitions covering the file's time
# range are created beforehand (probe rows inserted with the trigger
# disabled, adoption.ensure_partitions(3), then TRUNCATE), so both variants
# route rows to the same empty partitions and nothing lands in the default
# partition; CHECKPOINT runs just before; each COPY runs in a new session
# (empty backend caches).  One untimed COPY warms the caches up; then the
# variants alternate, the first one of a round alternating too.  Reported:
# the median of the rounds, in seconds (psql \timing: the statement
# including its commit) and rows/s, and tracking/none throughput.
#
# Runs its own cluster "bench" on port 54322 (fsync on), database
# adoption_bench; the CSV is cached in the cluster directory by n_events
# (for a week).
# Results: a table on stdout and test/bench/out/copy_bench.md.  Stops the
# cluster at the end.  Environment: ROUNDS (default 3), PGA_BENCH_PORT,
# RESULT (the result file's name, default copy_bench; scale_bench.sh sets it),
# DATA_SET (uniform, the default, or b2b: test/bench/gen_b2b.sql's tenants
# of 20 users on ~7 of 50 features, rows in time order; the result file is
# then copy_bench_b2b unless RESULT names one).
source "$(dirname "$0")/bench_lib.sh"
need_root "$@"

bench_usage_text="$0 [n_events]    (a positive integer, default 1000000)"
bench_args "$bench_usage_text" n=1000000 -- "$@"
bench_env rounds ROUNDS 3
bench_data_set copy_bench
data_text="1000 tenants, 20000 users,
50 features, 90 days; \`test/bench/gen_events.sql\`"
[ "$data_set" = uniform ] || data_text="B2B shape: tenants of 20 users on ~7 of 50
features, ~8 events per user x feature, 60 days, time order; \`test/bench/gen_b2b.sql\`"

bench_start
ensure_csv "$n" "$data_set"

# A fresh extension with empty partitions for every month of the file; the
# trigger disabled for "none".
prepare() {
	fresh_extension
	if [ "$1" = none ]; then
		q -c "ALTER TABLE adoption.feature_usage_events DISABLE TRIGGER track_events"
	fi
	local tenants
	tenants=$(q -tA -c "SELECT count(*) FROM adoption.tenants")
	[ "$tenants" = 0 ] || { echo "prepare: adoption.tenants is not empty" >&2; exit 1; }
	q -c "CHECKPOINT"
}

# Runs one timed COPY of variant $1; prints the seconds.
timed_copy() {
	local variant=$1 output ms loaded in_default tenants
	prepare "$variant" >&2
	if ! output=$(q -c '\timing on' -c "COPY adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, feature_name, usage_timestamp, session_duration, success_outcome, integration_context) FROM '$csv' WITH (FORMAT csv)"); then
		echo "the $variant COPY failed (see the error above)" >&2
		exit 1
	fi
	ms=$(printf '%s\n' "$output" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n 1)
	[ -n "$ms" ] || { echo "could not read the time of the COPY from: $output" >&2; exit 1; }
	read -r loaded in_default tenants < <(q -tA -F ' ' -c "SELECT (SELECT count(*) FROM adoption.feature_usage_events), (SELECT count(*) FROM adoption.feature_usage_events_default), (SELECT count(*) FROM adoption.tenants)")
	if [ "$loaded" != "$n" ]; then
		echo "the $variant COPY loaded $loaded rows, not $n" >&2
		exit 1
	fi
	if [ "$in_default" != 0 ]; then
		echo "warning: $in_default rows of the $variant COPY landed in the default partition" >&2
	fi
	if [ "$variant" = tracking ] && [ "$tenants" = 0 ]; then
		echo "the tracking COPY registered no tenant: is the trigger working?" >&2
		exit 1
	fi
	if [ "$variant" = none ] && [ "$tenants" != 0 ]; then
		echo "the COPY without tracking registered $tenants tenants: was the trigger disabled?" >&2
		exit 1
	fi
	echo "$ms" | awk '{ printf "%.3f\n", $1 / 1000 }'
}


# One untimed COPY first, so that the first timed one does not pay for a cold
# page cache (the CSV, the server's binaries and catalogs).
say "warming up: one untimed COPY"
s=$(timed_copy none)
printf 'warm-up   %-8s  %8.3f s (not counted)\n' none "$s"

declare -a t_tracking=() t_none=()
say "timing COPY of $n events: $rounds rounds of tracking and none, alternating"
for ((r = 1; r <= rounds; r++)); do
	if ((r % 2)); then order="tracking none"; else order="none tracking"; fi
	for v in $order; do
		s=$(timed_copy "$v")
		printf 'round %d  %-8s  %8.3f s  %10.0f rows/s\n' "$r" "$v" "$s" "$(calc "$n / $s")"
		if [ "$v" = tracking ]; then t_tracking+=("$s"); else t_none+=("$s"); fi
	done
done
q -c "DROP EXTENSION pg_adoption CASCADE" >/dev/null

m_tracking=$(median "${t_tracking[@]}")
m_none=$(median "${t_none[@]}")
rps_tracking=$(calc "$n / $m_tracking")
rps_none=$(calc "$n / $m_none")
ratio=$(calc "$rps_tracking / $rps_none")

run_info

table=$(
	printf '| variant | median s | rows/s | rounds (s) |\n'
	printf '|---|---:|---:|---|\n'
	printf '| tracking (trigger on) | %.3f | %.0f | %s |\n' "$m_tracking" "$rps_tracking" "${t_tracking[*]}"
	printf '| none (trigger disabled) | %.3f | %.0f | %s |\n' "$m_none" "$rps_none" "${t_none[*]}"
)

say "COPY of $n events, median of $rounds rounds"
printf '%-24s %10s %12s\n' variant "median s" "rows/s"
printf '%-24s %10.3f %12.0f\n' "tracking (trigger on)" "$m_tracking" "$rps_tracking"
printf '%-24s %10.3f %12.0f\n' "none (trigger disabled)" "$m_none" "$rps_none"
printf 'tracking/none throughput = %.2f\n' "$ratio"

mkdir -p "$out_dir"
cat >"$out_dir/$result.md" <<MD
## COPY throughput: tracking vs none

$when, commit $commit, PostgreSQL $pgver, $cpus CPUs, fsync $fsync.
\`COPY adoption.feature_usage_events FROM\` a CSV of $n events ($data_text), median of $rounds alternating rounds;
each COPY starts from a freshly created extension with the monthly partitions in place,
after a CHECKPOINT.

$table

**tracking/none throughput = $(printf '%.2f' "$ratio")**

**tracking median s = $m_tracking**

**none median s = $m_none**

Reproduce: \`ROUNDS=$rounds$([ "$data_set" = uniform ] || echo " DATA_SET=$data_set") test/bench/copy_bench.sh $n\`.
MD
echo "wrote $out_dir/$result.md"
