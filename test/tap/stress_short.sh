#!/usr/bin/env bash
# TAP: the stress driver (test/reliability/stress.sh), short version: DURATION
# (default 30) seconds of 8 writers, 3 queue workers and rescoring in the
# database adoption_stress_short, then its invariants: every acknowledged row
# stored once and nothing else, state equal to the event log and to rebuild(),
# one action per milestone, acknowledged completions done, no unexpected
# error.  Uses the server PGHOST/PGPORT/PGUSER point at; the server log
# searched for crashed backends is STRESS_SERVER_LOG, else the one
# scripts/test.sh exported (PGA_SERVER_LOG), else the test cluster's, wherever
# it lives (build/test or /var/tmp); without one that check is a SKIP that
# says so.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
log=${STRESS_SERVER_LOG:-${PGA_SERVER_LOG:-$(source "$here/scripts/lib.sh" && cluster_log test || true)}}
DURATION=${DURATION:-30} STRESS_DB=adoption_stress_short STRESS_SERVER_LOG=$log \
	exec bash "$here/test/reliability/stress.sh"
