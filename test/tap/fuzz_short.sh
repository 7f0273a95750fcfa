#!/usr/bin/env bash
# TAP: the bad-input fuzz driver (test/fuzz/sql_fuzz.sh), short version: FUZZ_CALLS
# (default 5000) hostile calls of every public function and INSERTs and COPYs into
# every input table, seed FUZZ_SEED (default 1); no backend crashes, no XX000.
# Uses the server PGHOST/PGPORT/PGUSER point at; the server log (FUZZ_SERVER_LOG, else
# the one scripts/test.sh exported, else the test cluster's wherever it lives) is
# searched for crashed backends too; without one, check 3 is a SKIP that says so.
set -u
here=$(cd "$(dirname "$0")/../.." && pwd)
echo "1..3"
log=${FUZZ_SERVER_LOG:-${PGA_SERVER_LOG:-$(source "$here/scripts/lib.sh" && cluster_log test || true)}}
out=$(FUZZ_CALLS=${FUZZ_CALLS:-5000} FUZZ_SEED=${FUZZ_SEED:-1} FUZZ_DB=adoption_fuzz_short \
	FUZZ_SERVER_LOG=$log bash "$here/test/fuzz/sql_fuzz.sh" 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
calls=$(printf '%s\n' "$out" | sed -n 's/^sql_fuzz: seed [0-9]*, \([0-9]*\) calls.*/\1/p')
[ -n "$calls" ] && echo "ok 1 - the fuzz driver ran $calls calls" || echo "not ok 1 - the fuzz driver did not run"
[ "$rc" = 0 ] && echo "ok 2 - no backend crash and no XX000" || echo "not ok 2 - crash or XX000 (exit $rc)"
if [ -z "$log" ]; then
	echo "ok 3 # SKIP no server log to search for crashed backends (set FUZZ_SERVER_LOG)"
else
	[ -r "$log" ] && echo "ok 3 - the server log was searched too ($log)" ||
		echo "not ok 3 - the server log $log cannot be read"
fi
psql -X -q -d postgres -c 'DROP DATABASE IF EXISTS adoption_fuzz_short' >/dev/null 2>&1 || true
