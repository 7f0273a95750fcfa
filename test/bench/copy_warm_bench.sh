#!/usr/bin/env bash
# copy_warm_bench.sh: what tracking costs on an incremental bulk load, when
# the tenants, features and most users are known already.
#
#   test/bench/copy_warm_bench.sh [n_events]     (default 1000000)
#
# Takes the CSV of copy_bench.sh (generating it if needed), sorts it by time
# and splits it in two halves: "older" and "newer".  Each round starts from
# a fresh extension with the partitions of the file's range, loads the older
# half (untimed; with tracking for the tracking variant), then times the COPY
# of the newer half with tracking and without (trigger disabled), alternating,
# ROUNDS (default 3) rounds each.  Reported: medians and tracking/none.
# Runs its own cluster "bench" on port 54322; stops it at the end.
# DATA_SET: uniform (the default) or b2b (test/bench/gen_b2b.sql; the result
# file is then copy_warm_bench_b2b unless RESULT names one).
source "$(dirname "$0")/bench_lib.sh"
need_root "$@"
bench_args "$0 [n_events]    (a positive integer, default 1000000)" n=1000000 -- "$@"
bench_env rounds ROUNDS 3
mkdir -p "$out_dir"
bench_data_set copy_warm_bench
data_text="gen_events.sql"
[ "$data_set" = uniform ] || data_text="gen_b2b.sql (B2B shape)"

bench_start
ensure_csv "$n" "$data_set"
older=${csv%.csv}-older.csv
newer=${csv%.csv}-newer.csv
if [ ! -s "$newer" ] || [ "$newer" -ot "$csv" ]; then
	say "splitting $csv by time"
	sort -t, -k6,6 "$csv" >"$bench_dir/sorted.tmp"
	half=$(( n / 2 ))
	head -n "$half" "$bench_dir/sorted.tmp" >"$older"
	tail -n +"$((half + 1))" "$bench_dir/sorted.tmp" >"$newer"
	rm -f "$bench_dir/sorted.tmp"
	chown postgres: "$older" "$newer"
fi
cols="event_id, tenant_id, user_id, feature_id, feature_name, usage_timestamp, session_duration, success_outcome, integration_context"

# A fresh extension holding the older half (loaded with tracking for the
# tracking variant, without for none).
prepare() {
	fresh_extension >/dev/null
	[ "$1" = tracking ] || q -c "ALTER TABLE adoption.feature_usage_events DISABLE TRIGGER track_events"
	q -c "COPY adoption.feature_usage_events ($cols) FROM '$older' WITH (FORMAT csv)"
	q -c "VACUUM ANALYZE" -c "CHECKPOINT"
}

timed() {
	local out ms
	prepare "$1" >&2
	out=$(q -c '\timing on' -c "COPY adoption.feature_usage_events ($cols) FROM '$newer' WITH (FORMAT csv)")
	ms=$(printf '%s\n' "$out" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -n 1)
	echo "$ms" | awk '{ printf "%.3f\n", $1 / 1000 }'
}

t=(); z=()
for r in $(seq 1 "$rounds"); do
	if [ $((r % 2)) = 1 ]; then
		t+=("$(timed tracking)"); z+=("$(timed none)")
	else
		z+=("$(timed none)"); t+=("$(timed tracking)")
	fi
	echo "round $r  tracking ${t[-1]} s  none ${z[-1]} s"
done
mt=$(median "${t[@]}"); mz=$(median "${z[@]}")
half=$(( n - n / 2 ))
ratio=$(awk -v a="$mt" -v b="$mz" 'BEGIN { printf "%.2f", b / a }')
{
	echo "## Incremental COPY: tracking vs none"
	echo
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown); the newer half of the events of $data_text, after the older half."
	echo
	echo "| incremental COPY of $half events after $((n / 2)) (median of $rounds) | seconds | rows/s |"
	echo "|---|---|---|"
	echo "| tracking | $mt | $(awk -v s="$mt" -v n="$half" 'BEGIN { printf "%.0f", n / s }') |"
	echo "| none (trigger disabled) | $mz | $(awk -v s="$mz" -v n="$half" 'BEGIN { printf "%.0f", n / s }') |"
	echo "| tracking/none throughput | $ratio | |"
	echo
	echo "**tracking/none throughput = $ratio**"
} | tee "$out_dir/$result.md"
