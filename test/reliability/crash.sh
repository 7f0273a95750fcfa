#!/usr/bin/env bash
# Crash driver: runs the stress load of stress.sh (load.sh) on a private
# cluster of its own (scripts/lib.sh cluster "crash", port CRASH_PORT, default
# 54340; never the shared test cluster) and, CYCLES times (default 5), lets it
# run CRASH_INTERVAL seconds (default 10, plus up to 3 at random), stops the
# server with pg_ctl stop -m immediate, waits CRASH_DOWNTIME seconds (1) and
# starts it again; the writers, workers and rescoring reconnect and go on.
# After a last interval it checks, as TAP, the invariants of stress.sh with
# what a crash allows: every acknowledged row is stored exactly once, a row
# that was not acknowledged only if its statement was in doubt (its COMMIT
# sent when the server stopped), completions the workers saw acknowledged
# are still done; then state against the log and rebuild(), one action per
# milestone; and that the server log names no crashed backend.  Needs root
# (the server runs as postgres).  Exit status 1 if an invariant failed.
#   CYCLES=5 CRASH_INTERVAL=10 CRASH_PORT=54340 test/reliability/crash.sh
# WRITERS, WORKERS, TENANTS, USERS as for stress.sh; RELIABILITY_KEEP=1
# keeps the database, the client logs and the cluster running.
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../../scripts/lib.sh"
need_root "$@"
set +e +o pipefail
set -u
cycles=${CYCLES:-5}
interval=${CRASH_INTERVAL:-10}
downtime=${CRASH_DOWNTIME:-1}
port=${CRASH_PORT:-54340}
db=${CRASH_DB:-adoption_crash}

cluster_start crash "$port" postgres >/dev/null
data=$(cluster_dir crash)/data
log=$(cluster_dir crash)/server.log
source "$here/load.sh"
# Whatever happens, the load stops and (unless kept) the cluster too.
finish() {
	[ "${#pids[@]}" -gt 0 ] && load_stop
	[ -z "${RELIABILITY_KEEP:-}" ] && cluster_stop crash >/dev/null
}
trap finish EXIT
log_lines=$(wc -l <"$log")

echo "# crash: $writers writers, $workers queue workers, rescoring; $cycles immediate stops, one every ${interval}-$((interval + 3))s; cluster on port $port"
load_setup >/dev/null
ok $? "database $db created with pg_adoption on the private cluster"
load_start
for ((c = 1; c <= cycles; c++)); do
	sleep $((interval + RANDOM % 4))
	pg pg_ctl -D "$data" stop -m immediate -w >/dev/null
	stopped=$?
	sleep "$downtime"
	t0=$EPOCHREALTIME
	pg pg_ctl -D "$data" start -w -l "$log" >/dev/null
	started=$?
	[ "$stopped" = 0 ] && [ "$started" = 0 ]
	ok $? "cycle $c: immediate stop under load, restart with crash recovery in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')s"
done
sleep "$interval"
load_stop
load_check crash
recoveries=$(tail -n +"$((log_lines + 1))" "$log" | grep -c 'database system was not properly shut down; automatic recovery in progress')
[ "$recoveries" = "$cycles" ]
ok $? "the server log shows $recoveries crash recoveries, one per stop"
# A child that dies otherwise than by the driver's stops makes the
# postmaster restart the others ("terminating any other active server
# processes"), whatever its exit status.
! tail -n +"$((log_lines + 1))" "$log" | grep -E 'terminated by signal|PANIC|was terminated by exception|terminating any other active server processes'
ok $? "the server log names no crashed backend, no restart after one and no PANIC"
load_figures
echo "# crash cycles: $cycles; writer sessions ended by a lost connection: $(awk '$3 != 0' "$work/end.tsv" | wc -l)"
load_cleanup
plan
[ "$failed" = 0 ]
