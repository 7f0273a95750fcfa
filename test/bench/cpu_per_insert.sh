#!/usr/bin/env bash
# cpu_per_insert.sh: backend CPU per transaction of a one-client pgbench run,
# a figure a shared, loaded machine stretches far less than throughput.
#
#   test/bench/cpu_per_insert.sh DB SCRIPT [SECONDS]
#
# Runs `pgbench -n -c 1 -T SECONDS -f SCRIPT DB` (SECONDS default 10) against
# the server PGHOST/PGPORT point at; from the second second to three seconds
# before the end it reads the pgbench backend's user + system time
# (/proc/<pid>/stat, fields 14 and 15) and the events that arrived
# (adoption.feature_usage_events_arrival_seq), and prints the backend's CPU
# microseconds per event.  Run it with the trigger enabled and disabled
# (ALTER TABLE adoption.feature_usage_events DISABLE TRIGGER track_events)
# for what tracking costs per single-row INSERT.  Needs to read the
# backend's /proc entry: run as root or as the server's user.
set -eu
db=$1
script=$2
secs=${3:-10}
[ "$secs" -ge 5 ] || { echo "SECONDS must be at least 5" >&2; exit 2; }
bin=${PG_BIN:-/usr/lib/postgresql/15/bin}
seq="SELECT last_value FROM adoption.feature_usage_events_arrival_seq"
out=$(mktemp)
"$bin/pgbench" -n -c 1 -T "$secs" -f "$script" "$db" >"$out" 2>&1 &
bench=$!
sleep 1
pid=$(psql -X -tA -d "$db" -c "SELECT pid FROM pg_stat_activity WHERE application_name = 'pgbench' AND datname = current_database()")
tick=$(getconf CLK_TCK)
c0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
e0=$(psql -X -tA -d "$db" -c "$seq")
sleep $((secs - 3))
c1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
e1=$(psql -X -tA -d "$db" -c "$seq")
wait "$bench" || { cat "$out" >&2; exit 1; }
rm -f "$out"
events=$((e1 - e0))
[ "$events" -gt 0 ] || { echo "no event arrived while measuring" >&2; exit 1; }
echo "$(( (c1 - c0) * 1000000 / tick / events )) us of backend CPU per event over $events events"
