#!/usr/bin/env bash
# dashboard_bench.sh: how long does each query of the dashboard take, and
# the whole build?  Goals (issue 21): every query <= 200 ms on the 1M-event
# demo, the build <= 60 s.
#
#   sudo test/bench/dashboard_bench.sh [rounds]       (default 5)
#
# Runs against the demo cluster (scripts/run.sh loads it: 1,000,000 events,
# 300 tenants; PGA_DEMO_PORT picks its port) unless PG* variables
# (PGHOST, PGPORT, PGUSER, PGDATABASE) point elsewhere.  Each query of
# dashboard/lib/queries.js (exactly what the data loaders run) is run
# `rounds` times in one session after one warm-up run; reported: the median
# and the slowest run in ms, and the backend's CPU time per run (the mean
# over the rounds, from /proc/self/stat in 10 ms ticks: on a shared machine
# the wall time also counts the wait for a core).  Then the build (scripts/lib.sh
# dashboard_build: the data loaders' cache cleared, so every query runs
# again) is timed once.  Results: stdout and test/bench/out/dashboard_bench.md.
source "$(dirname "$0")/../../scripts/lib.sh"
need_root "$@"
rounds=${1:-5}
if [ -z "${PGDATABASE:-}" ]; then
	port=${PGA_DEMO_PORT:-54320}
	export PGHOST=/tmp/pg_adoption-$port PGPORT=$port PGUSER=postgres PGDATABASE=adoption_demo
fi
ensure_node
dashboard_deps
out=$REPO/test/bench/out
mkdir -p "$out"
psql -X -q -v ON_ERROR_STOP=1 -tAc "SELECT adoption.snapshot_adoption()" >/dev/null
events=$(psql -X -q -tAc "SELECT count(*) FROM adoption.feature_usage_events")

report=$( (cd "$REPO/dashboard" && node --input-type=module -e "
import pg from 'pg';
import {queries} from './lib/queries.js';
const rounds = Number(process.argv[1]);
const client = new pg.Client();
await client.connect();
/* The backend's CPU time (utime + stime of /proc/self/stat, in clock ticks of 10 ms); NaN for a role that may not read it. */
const cpu = async () => {
  try {
    return Number((await client.query(
      \"SELECT (split_part(s, ' ', 14))::bigint + (split_part(s, ' ', 15))::bigint AS v FROM pg_read_file('/proc/self/stat') AS s\")).rows[0].v) * 10;
  } catch (e) {
    return NaN;
  }
};
console.log('| page | query | rows | median ms | slowest ms | backend CPU per run ms | <= 200 ms |');
console.log('|---|---|---:|---:|---:|---:|---|');
for (const [page, list] of Object.entries(queries)) {
  for (const [name, sql] of Object.entries(list)) {
    const rows = (await client.query(sql)).rowCount;
    const times = [];
    const c0 = await cpu();
    for (let i = 0; i < rounds; i++) {
      const t = performance.now();
      await client.query(sql);
      times.push(performance.now() - t);
    }
    const perRun = (await cpu() - c0) / rounds;
    times.sort((a, b) => a - b);
    const median = times[Math.floor(times.length / 2)];
    console.log('| ' + page + ' | ' + name + ' | ' + rows + ' | ' + median.toFixed(1) + ' | ' + times.at(-1).toFixed(1) + ' | ' + perRun.toFixed(0) + ' | ' + (median <= 200 ? 'yes' : 'NO') + ' |');
  }
}
await client.end();
" "$rounds") )
build=$(dashboard_build 2>&1 | tail -n 1)
{
	echo "# dashboard_bench $(date -u +%Y-%m-%dT%H:%MZ): $events events, $rounds rounds per query"
	echo
	echo "$report"
	echo
	echo "$build"
} | tee "$out/dashboard_bench.md"
