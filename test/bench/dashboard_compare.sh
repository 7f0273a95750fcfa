#!/usr/bin/env bash
# dashboard_compare.sh: the dashboard's campaign and launch queries against
# the definitions of an earlier commit, side by side on the demo (issue 21:
# every dashboard query <= 200 ms on the 1M-event demo).
#
#   sudo scripts/run.sh                                  (the demo, once)
#   sudo test/bench/dashboard_compare.sh [rounds]        (default 7)
#
# BEFORE (default 123b894, the last commit before the rewrite) names the
# commit whose attribution(), touch_credit(), campaign_lift() and
# launch_performance are installed, from its src/sql/launches.sql, into a
# scratch schema pga_before of the demo database (dropped at the end).  Each
# round runs, in one session, the three queries of dashboard/lib/queries.js
# that read them (campaigns.attribution, campaigns.lift,
# launches.performance) in both versions, the order reversed every other
# round, after one warm-up run of each; both versions' rows are compared
# once.  Prints each round, the medians of the wall times and of the
# backend's CPU time (/proc/self/stat, 10 ms ticks: on a shared machine the
# wall time also counts the time the backend waited for a core), the ratios
# and the load average; the same in test/bench/out/dashboard_compare.md.
source "$(dirname "$0")/../../scripts/lib.sh"
need_root "$@"
rounds=${1:-7}
[[ $rounds =~ ^[1-9][0-9]*$ ]] || { echo "usage: $0 [rounds]" >&2; exit 2; }
before=${BEFORE:-123b894}
port=${PGA_DEMO_PORT:-54320}
export PGHOST=/tmp/pg_adoption-$port PGPORT=$port PGUSER=postgres PGDATABASE=adoption_demo
q() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
q -tAc "SELECT 1 FROM adoption.tenants LIMIT 1" >/dev/null 2>&1 || {
	echo "no demo database on port $port: run sudo scripts/run.sh first" >&2; exit 1; }
ensure_node
src=$(git -C "$REPO" show "$before:src/sql/launches.sql") || { echo "no src/sql/launches.sql in commit $before" >&2; exit 1; }

# The four objects of the earlier commit, renamed into pga_before.
old_sql=$(printf '%s\n' "$src" | awk '
	/^CREATE (FUNCTION adoption\.(touch_credit|attribution|campaign_lift)\(|VIEW adoption\.launch_performance )/ { on = 1 }
	on { print }
	on && (/^\$\$;$/ || /^\tEND;$/ || /^\) AS a;$/) { on = 0 }' \
	| sed -e 's/adoption\.touch_credit(/pga_before.touch_credit(/g' \
		-e 's/CREATE FUNCTION adoption\.attribution(/CREATE FUNCTION pga_before.attribution(/' \
		-e 's/CREATE FUNCTION adoption\.campaign_lift(/CREATE FUNCTION pga_before.campaign_lift(/' \
		-e 's/CREATE VIEW adoption\.launch_performance /CREATE VIEW pga_before.launch_performance /' \
		-e 's/FROM adoption\.attribution(/FROM pga_before.attribution(/g')
trap 'q -c "DROP SCHEMA IF EXISTS pga_before CASCADE" >/dev/null 2>&1 || true' EXIT
q -c "DROP SCHEMA IF EXISTS pga_before CASCADE" -c "CREATE SCHEMA pga_before" >/dev/null
printf '%s\n' "$old_sql" | q >/dev/null
q -c "CREATE VIEW pga_before.campaign_attribution AS SELECT * FROM pga_before.attribution('last_touch', interval '30 days')" >/dev/null

report=$( (cd "$REPO/dashboard" && node --input-type=module -e "
import pg from 'pg';
import {queries} from './lib/queries.js';
const rounds = Number(process.argv[1]);
const pick = {attribution: queries.campaigns.attribution, lift: queries.campaigns.lift,
  performance: queries.launches.performance};
const old = s => s.replace('adoption.campaign_attribution', 'pga_before.campaign_attribution')
  .replace('adoption.campaign_lift(', 'pga_before.campaign_lift(')
  .replace('adoption.launch_performance', 'pga_before.launch_performance');
const client = new pg.Client();
await client.connect();
const sorted = r => JSON.stringify(r.rows.map(x => JSON.stringify(x)).sort());
for (const [name, sql] of Object.entries(pick)) {
  const a = await client.query(old(sql)), b = await client.query(sql);
  if (sorted(a) !== sorted(b)) { console.log('DIFFERENT ROWS: ' + name); process.exit(1); }
}
const t = {}, c = {};
for (const name of Object.keys(pick)) { t[name] = {before: [], after: []}; c[name] = {before: [], after: []}; }
/* The backend's CPU time (utime + stime of /proc/self/stat, in clock ticks of 10 ms). */
const cpu = async () => Number((await client.query(
  \"SELECT (split_part(s, ' ', 14))::bigint + (split_part(s, ' ', 15))::bigint AS v FROM pg_read_file('/proc/self/stat') AS s\")).rows[0].v) * 10;
for (let r = 1; r <= rounds; r++) {
  const line = [];
  for (const name of Object.keys(pick)) {
    const order = r % 2 ? ['before', 'after'] : ['after', 'before'];
    for (const v of order) {
      const sql = v === 'before' ? old(pick[name]) : pick[name];
      const c0 = await cpu(), s = performance.now();
      await client.query(sql);
      t[name][v].push(performance.now() - s);
      c[name][v].push(await cpu() - c0);
    }
    line.push(name + ' ' + t[name].before.at(-1).toFixed(0) + ' / ' + t[name].after.at(-1).toFixed(0));
  }
  console.log('round ' + r + ' (before / after ms): ' + line.join(', '));
}
const med = a => { const s = [...a].sort((x, y) => x - y); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
console.log('');
console.log('| query | before ms | after ms | after / before | backend CPU before / after ms | <= 200 ms |');
console.log('|---|---:|---:|---:|---:|---|');
for (const name of Object.keys(pick)) {
  const b = med(t[name].before), a = med(t[name].after);
  console.log('| ' + name + ' | ' + b.toFixed(1) + ' | ' + a.toFixed(1) + ' | ' + (a / b).toFixed(3) + ' | ' +
    med(c[name].before).toFixed(0) + ' / ' + med(c[name].after).toFixed(0) + ' | ' + (a <= 200 ? 'yes' : 'NO') + ' |');
}
await client.end();
" "$rounds") )
events=$(q -tAc "SELECT count(*) FROM adoption.feature_usage_events")
mkdir -p "$REPO/test/bench/out"
{
	echo "# dashboard_compare $(date -u +%Y-%m-%dT%H:%MZ): $events events, before = $before, medians of $rounds rounds, load average $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	echo "$report"
} | tee "$REPO/test/bench/out/dashboard_compare.md"
