#!/usr/bin/env bash
# Stress driver: against the server PGHOST/PGPORT/PGUSER point at (a
# superuser), creates the database STRESS_DB (default adoption_stress) with
# pg_adoption and runs, for DURATION seconds (default 120), WRITERS writers
# (8) inserting usage events (single-row and multi-row INSERTs, COPY, resends
# with ON CONFLICT DO NOTHING), feedback, support tickets and billing events
# for a few tenants with many users, WORKERS queue workers (3) claiming,
# completing and failing actions, and adoption.rescore() in a loop.  Then it
# checks, as TAP: every acknowledged row stored exactly once and nothing
# else; user and tenant state agree with the event log and with
# adoption.rebuild(); exactly one action per milestone and no action without
# one; acknowledged completions done; no error but the bad rows it sends on
# purpose, no deadlock.  Exit status 1 if an invariant failed.
#   DURATION=120 WRITERS=8 WORKERS=3 TENANTS=4 USERS=2000 test/reliability/stress.sh
# STRESS_SERVER_LOG, when set, names the server log to search for crashed
# backends; RELIABILITY_KEEP=1 keeps the database and the client logs.
set -u
duration=${DURATION:-120}
db=${STRESS_DB:-adoption_stress}
source "$(dirname "$0")/load.sh"
log=${STRESS_SERVER_LOG:-}
log_lines=0
[ -n "$log" ] && [ -r "$log" ] && log_lines=$(wc -l <"$log")

echo "# stress: $writers writers, $workers queue workers, rescoring, ${duration}s, database $db"
load_setup >/dev/null
ok $? "database $db created with pg_adoption"
load_start
sleep "$duration"
load_stop
load_check stress
if [ -z "$log" ]; then
	skip "no server log to search for crashed backends (set STRESS_SERVER_LOG)"
elif [ ! -r "$log" ]; then
	ok 1 "the server log $log can be read"
else
	! tail -n +"$((log_lines + 1))" "$log" | grep -E 'terminated by signal|PANIC'
	ok $? "the server log names no crashed backend ($log)"
fi
load_figures
load_cleanup
plan
[ "$failed" = 0 ]
