#!/usr/bin/env bash
# copy_warm_bench.sh: what tracking costs on an incremental bulk load, when
# the tenants, features and most users are known already.
#
#   sudo test/bench/copy_warm_bench.sh [n_events]     (default 1000000)
#
# Takes the CSV of copy_bench.sh (generating it if needed), sorts it by time
# and splits it in two halves: "older" and "newer".  Each round starts from
# a fresh extension with the partitions of the file's range, loads the older
# half (untimed; with tracking for the tracking variant), then times the COPY
# of the newer half with tracking and without (trigger disabled), alternating,
# ROUNDS (default 3) rounds each.  Reported: medians and tracking/none.
# Runs its own cluster "bench" on port 54322; stops it at the end.
source "$(dirname "$0")/../../scripts/lib.sh"
need_root "$@"
shopt -s inherit_errexit
n=${1:-1000000}
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [n_events]" >&2; exit 2; }
rounds=${ROUNDS:-3}
port=${PGA_BENCH_PORT:-54322}
db=adoption_bench
out_dir=$REPO/test/bench/out
mkdir -p "$out_dir"

ensure_packages
build_install
cluster_start bench "$port" postgres
trap 'cluster_stop bench >/dev/null 2>&1 || true' EXIT
dir=$(cluster_dir bench)
csv=$dir/events-$n-v1.csv
q() { psql -X -q -v ON_ERROR_STOP=1 -d "$db" "$@"; }
PGOPTIONS="-c client_min_messages=warning" psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" -c "CREATE DATABASE $db"
if [ ! -s "$csv" ]; then
	say "generating $n events into $csv"
	q -c "SET jit = off" -v n_events="$n" -v outfile="$csv" -f "$REPO/test/bench/gen_events.sql"
fi
older=$dir/events-$n-older.csv
newer=$dir/events-$n-newer.csv
if [ ! -s "$newer" ] || [ "$newer" -ot "$csv" ]; then
	say "splitting $csv by time"
	sort -t, -k6,6 "$csv" >"$dir/sorted.tmp"
	half=$(( n / 2 ))
	head -n "$half" "$dir/sorted.tmp" >"$older"
	tail -n +"$((half + 1))" "$dir/sorted.tmp" >"$newer"
	rm -f "$dir/sorted.tmp"
	chown postgres: "$older" "$newer"
fi
range_min=$(head -n 1 "$older" | cut -d, -f6)
range_max=$(tail -n 1 "$newer" | cut -d, -f6)
cols="event_id, tenant_id, user_id, feature_id, feature_name, usage_timestamp, session_duration, success_outcome, integration_context"

prepare() {
	q <<SQL >/dev/null
SET client_min_messages = warning;
DROP EXTENSION IF EXISTS pg_adoption CASCADE;
CREATE EXTENSION pg_adoption;
ALTER TABLE adoption.feature_usage_events DISABLE TRIGGER track_events;
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
SELECT 'probe', 'probe', 'probe', t FROM generate_series(timestamptz '$range_min', timestamptz '$range_max', interval '1 day') AS t;
SELECT adoption.ensure_partitions(3);
TRUNCATE adoption.feature_usage_events;
SQL
	[ "$1" = tracking ] && q -c "ALTER TABLE adoption.feature_usage_events ENABLE TRIGGER track_events"
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
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

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
	echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown); the newer half of the events of gen_events.sql, after the older half."
	echo
	echo "| incremental COPY of $half events after $((n / 2)) (median of $rounds) | seconds | rows/s |"
	echo "|---|---|---|"
	echo "| tracking | $mt | $(awk -v s="$mt" -v n="$half" 'BEGIN { printf "%.0f", n / s }') |"
	echo "| none (trigger disabled) | $mz | $(awk -v s="$mz" -v n="$half" 'BEGIN { printf "%.0f", n / s }') |"
	echo "| tracking/none throughput | $ratio | |"
	echo
	echo "**tracking/none throughput = $ratio**"
} | tee "$out_dir/copy_warm_bench.md"
