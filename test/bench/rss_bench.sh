#!/usr/bin/env bash
# rss_bench.sh: how much memory does a backend need to COPY many events with
# tracking on?
#
#   test/bench/rss_bench.sh [n_events]        (default 10000000)
#
# COPYs a CSV of n_events events (test/bench/gen_events.sql: 1000 tenants,
# 20000 users, 50 features, 90 days; ~1.4 GB for 10M events, generated once
# and cached in the cluster directory, shared with copy_bench.sh) into a
# freshly created extension, track_events enabled, with empty monthly
# partitions for the file's range.  The COPY runs in one psql session
# (application_name rss_bench_copy, followed by a 1 s pg_sleep so the
# backend outlives it); the script finds its backend in pg_stat_activity and
# samples /proc/<pid>/status every SAMPLE_INTERVAL (0.5) s until the backend
# exits.  Reported, in MB:
#
#   VmHWM    the peak resident set (the kernel's high-water mark, so exact);
#            it counts the shared buffers the backend touched (up to
#            shared_buffers), which are not the backend's own;
#   VmRSS    the largest resident set sampled;
#   RssAnon  the largest anonymous resident memory sampled: the backend's
#            private memory (palloc, sorts, hash tables), the figure to
#            compare across settings;
# and the COPY time (psql \timing) and rows/s.
#
# Disk: the CSV, the loaded log (with its indexes and WAL) and the
# transition table's spill need room: the script fails unless the cluster's
# file system has 6 GB free per 10M events (at least 1 GB) besides a cached CSV.
#
# Runs the private cluster "bench" (port 54322, fsync on), database
# adoption_bench; results on stdout and in test/bench/out/rss_bench.md.
# Stops the cluster at the end.  Environment: SAMPLE_INTERVAL, PGA_BENCH_PORT.
source "$(dirname "$0")/bench_lib.sh"
need_root "$@"

bench_usage_text="[SAMPLE_INTERVAL=0.5] $0 [n_events]    (a positive integer, default 10000000)"
bench_args "$bench_usage_text" n=10000000 -- "$@"
interval=${SAMPLE_INTERVAL:-0.5}
[[ $interval =~ ^[0-9]*\.?[0-9]+$ ]] || bench_usage "$bench_usage_text" "SAMPLE_INTERVAL must be a number of seconds"

bench_start

# 6 GB per 10M events, at least 1 GB, in MB; a cached CSV needs no more room.
need_mb=$(awk -v n="$n" 'BEGIN { m = 6 * 1024 * n / 10000000; if (m < 1024) m = 1024; printf "%d", m }')
free_mb=$(df -Pm "$bench_dir" | awk 'NR == 2 { print $4 }')
cached_mb=0
if [ -s "$bench_dir/events-$n-$gen_version.csv" ]; then
	cached_mb=$(du -m "$bench_dir/events-$n-$gen_version.csv" | cut -f1)
fi
echo "free disk in $bench_dir: $free_mb MB (need $need_mb MB for $n events, $cached_mb MB of it already used by the cached CSV)"
if [ "$free_mb" -lt $((need_mb - cached_mb)) ]; then
	echo "rss_bench: not enough free disk space in $(df -P "$bench_dir" | awk 'NR == 2 { print $6 }'): $free_mb MB free, $((need_mb - cached_mb)) MB needed for $n events" >&2
	echo "free some space, or run with fewer events, e.g. $0 1000000" >&2
	exit 1
fi

ensure_csv "$n"
fresh_extension
q -c "CHECKPOINT"
shared_buffers=$(q -tA -c "SHOW shared_buffers")
work_mem=$(q -tA -c "SHOW work_mem")

copy_out=$(mktemp)
trap 'rm -f "$copy_out"; bench_stop' EXIT

say "COPY of $n events with tracking, sampling the backend's memory every $interval s"
PGAPPNAME=rss_bench_copy psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c '\timing on' \
	-c "COPY adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, feature_name, usage_timestamp, session_duration, success_outcome, integration_context) FROM '$csv' WITH (FORMAT csv)" \
	-c "SELECT pg_sleep(1)" >"$copy_out" 2>&1 &
psql_pid=$!

copy_backend rss_bench_copy "$psql_pid" "$copy_out" || exit 1
echo "backend pid $backend"


hwm=0 rss=0 anon=0 shmem=0 samples=0 first_anon=
start=$(date +%s.%N)
next_report=10
while line=$(status_kb); do
	read -r h r a s <<<"$line"
	[ -n "$first_anon" ] || first_anon=$a
	((h > hwm)) && hwm=$h
	((r > rss)) && rss=$r
	((a > anon)) && anon=$a
	((s > shmem)) && shmem=$s
	samples=$((samples + 1))
	elapsed=$(awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%d", b - a }')
	if ((elapsed >= next_report)); then
		printf '  %4d s  VmRSS %6d MB  RssAnon %6d MB  VmHWM %6d MB\n' "$elapsed" $((r / 1024)) $((a / 1024)) $((h / 1024))
		next_report=$((next_report + 10))
	fi
	sleep "$interval"
done

if ! wait "$psql_pid"; then
	cat "$copy_out" >&2
	echo "the COPY failed (see the error above)" >&2
	exit 1
fi
ms=$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' "$copy_out" | head -n 1)
[ -n "$ms" ] || { cat "$copy_out" >&2; echo "could not read the time of the COPY" >&2; exit 1; }
secs=$(echo "$ms" | awk '{ printf "%.3f", $1 / 1000 }')

loaded=$(q -tA -c "SELECT count(*) FROM adoption.feature_usage_events")
[ "$loaded" = "$n" ] || { echo "the COPY loaded $loaded rows, not $n" >&2; exit 1; }
uses=$(q -tA -c "SELECT coalesce(sum(uses), 0) FROM adoption.user_feature_state")
[ "$uses" = "$n" ] || { echo "the COPY loaded $n events but user_feature_state counts $uses uses" >&2; exit 1; }
users=$(q -tA -c "SELECT count(*) FROM adoption.user_feature_state")
run_info
q -c "DROP EXTENSION pg_adoption CASCADE" >/dev/null	# frees the disk the log took

mb() { awk -v k="$1" 'BEGIN { printf "%.0f", k / 1024 }'; }
rps=$(calc "$n / $secs")

say "COPY of $n events with tracking ($users user x feature rows), $samples samples"
printf 'COPY time          %10.3f s   (%.0f rows/s)\n' "$secs" "$rps"
printf 'peak VmHWM         %10s MB  (includes touched shared buffers; shared_buffers = %s)\n' "$(mb "$hwm")" "$shared_buffers"
printf 'peak VmRSS         %10s MB  (sampled)\n' "$(mb "$rss")"
printf 'peak RssAnon       %10s MB  (sampled: private memory; %s MB at the first sample)\n' "$(mb "$anon")" "$(mb "${first_anon:-0}")"
printf 'peak RssShmem      %10s MB  (sampled)\n' "$(mb "$shmem")"

mkdir -p "$out_dir"
cat >"$out_dir/rss_bench.md" <<MD
## Backend memory during a COPY with tracking

$when, commit $commit, PostgreSQL $pgver, $cpus CPUs, fsync $fsync, shared_buffers $shared_buffers, work_mem $work_mem.
\`COPY adoption.feature_usage_events FROM\` a CSV of $n events (\`test/bench/gen_events.sql\`,
$users user x feature rows), track_events on, into a freshly created extension;
/proc/<pid>/status of the COPY's backend sampled every $interval s ($samples samples).

| figure | MB | note |
|---|---:|---|
| peak VmHWM | $(mb "$hwm") | kernel high-water mark; counts the shared buffers the backend touched |
| peak VmRSS | $(mb "$rss") | sampled |
| peak RssAnon | $(mb "$anon") | sampled; the backend's private memory |
| peak RssShmem | $(mb "$shmem") | sampled; shared memory mapped |

COPY time $secs s, $(printf '%.0f' "$rps") rows/s.

**peak VmHWM = $(mb "$hwm") MB**

**peak RssAnon = $(mb "$anon") MB**
MD
echo "wrote $out_dir/rss_bench.md"
