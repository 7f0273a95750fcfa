#!/usr/bin/env bash
# TAP: the bad-input fuzz driver (test/fuzz/sql_fuzz.sh), short version: FUZZ_CALLS
# (default 5000) hostile calls of every public function and INSERTs and COPYs into
# every input table, seed FUZZ_SEED (default 1); no backend crashes, no XX000.
# Uses the server PGHOST/PGPORT/PGUSER point at; the server log (FUZZ_SERVER_LOG, else
# the one scripts/test.sh exported, else the test cluster's wherever it lives) is
# searched for crashed backends too; without one, check 3 is a SKIP that says so.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
source "$here/test/lib/tap.sh"
log=${FUZZ_SERVER_LOG:-${PGA_SERVER_LOG:-$(source "$here/scripts/lib.sh" && cluster_log test || true)}}
out=$(FUZZ_CALLS=${FUZZ_CALLS:-5000} FUZZ_SEED=${FUZZ_SEED:-1} FUZZ_DB=adoption_fuzz_short \
	FUZZ_SERVER_LOG=$log bash "$here/test/fuzz/sql_fuzz.sh" 2>&1)
rc=$?
calls=$(printf '%s\n' "$out" | sed -n 's/^sql_fuzz: seed [0-9]*, \([0-9]*\) calls.*/\1/p')
[ -n "$calls" ]
ok $? "the fuzz driver ran ${calls:-no} calls"
printf '%s\n' "$out" | tail -n 8 | why 8
[ "$rc" = 0 ]
ok $? "no backend crash and no XX000 (exit $rc)"
printf '%s\n' "$out" | grep -iE 'crash|XX000' | why 8
if [ -z "$log" ]; then
	skip "no server log to search for crashed backends (set FUZZ_SERVER_LOG)"
else
	[ -r "$log" ]
	ok $? "the server log was searched too ($log)"
fi
printf '%s\n' "$out" | comment 200
psql -X -q -d postgres -c 'DROP DATABASE IF EXISTS adoption_fuzz_short' >/dev/null 2>&1 || true
plan
[ "$failed" = 0 ]
