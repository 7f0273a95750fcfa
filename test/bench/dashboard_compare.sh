#!/usr/bin/env bash
# dashboard_compare.sh: the dashboard's campaign and launch queries against
# the live definitions and those of an earlier commit, side by side on the
# demo (issue 21: every dashboard query <= 200 ms on the 1M-event demo).
#
#   sudo scripts/run.sh                                  (the demo, once)
#   sudo test/bench/dashboard_compare.sh [rounds]        (default 7)
#
# BEFORE (default 123b894, the last commit before the rewrite) names the
# commit whose attribution(), touch_credit(), campaign_lift() and
# launch_performance are installed, from its src/sql/launches.sql, into a
# scratch schema pga_before of the demo database (dropped at the end).  Three
# versions of each of the dashboard's campaign and launch queries
# (campaigns.attribution, campaigns.lift, launches.performance):
#   before    the query the dashboard ran, over BEFORE's definitions;
#   live      the same over the current live definitions (campaign_attribution,
#             campaign_lift(), launch_performance);
#   snapshot  what dashboard/lib/queries.js runs now (the *_snapshot views).
# The snapshots are recomputed first (snapshot_campaigns()), and every
# version's rows are compared with live's once.  Each round runs, in one
# session, the three versions of each query, the order reversed every
# other round, after that warm-up.  Prints each round, the medians of the
# wall times and of the backend's CPU time (/proc/self/stat, 10 ms ticks:
# on a shared machine the wall time also counts the time the backend
# waited for a core), the ratios, the cost of snapshot_campaigns() itself
# (what upkeep() now spends instead) and the load average; the same in
# test/bench/out/dashboard_compare.md.
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
dashboard_deps
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
q -tAc "SELECT adoption.snapshot_campaigns()" >/dev/null

report=$( (cd "$REPO/dashboard" && node --input-type=module -e "
import pg from 'pg';
import {queries} from './lib/queries.js';
const rounds = Number(process.argv[1]);
/* live: the live definitions, as the dashboard read them before the snapshots. */
const live = {
  attribution: 'SELECT campaign_id, sum(credit)::float8 AS credit, count(DISTINCT (tenant_id, user_id, feature_id))::integer AS adoptions FROM adoption.campaign_attribution GROUP BY 1 ORDER BY 2 DESC',
  lift: 'SELECT campaign_id, feature_id, touched_rate::float8 AS touched_rate, untouched_rate::float8 AS untouched_rate, lift::float8 AS lift, touched_users::integer AS touched_users FROM adoption.campaign_lift() ORDER BY campaign_id, feature_id',
  performance: 'SELECT launch_id, feature_id, feature_name, campaign_id, launched_at, target_adoption::float8 AS target_adoption, target_days, users_activated_7d::integer AS users_activated_7d, users_activated_30d::integer AS users_activated_30d, tenants_active::integer AS tenants_active, tenants_adopted::integer AS tenants_adopted, adoption_rate::float8 AS adoption_rate, median_days_to_activation::float8 AS median_days_to_activation, target_met FROM adoption.launch_performance ORDER BY launched_at'
};
const before = {};
for (const [k, v] of Object.entries(live))
  before[k] = v.replace('adoption.campaign_attribution', 'pga_before.campaign_attribution')
    .replace('adoption.campaign_lift(', 'pga_before.campaign_lift(')
    .replace('adoption.launch_performance', 'pga_before.launch_performance');
/* snapshot: what the dashboard runs now (dashboard/lib/queries.js). */
const snapshot = {attribution: queries.campaigns.attribution, lift: queries.campaigns.lift,
  performance: queries.launches.performance};
const versions = {before, live, snapshot};
const client = new pg.Client();
await client.connect();
/* Rows compared on the columns of the live query (the snapshot's also carry computed_at and partial). */
const rowsOf = (r, cols) => JSON.stringify(r.rows.map(x => JSON.stringify(cols.map(c => x[c]))).sort());
for (const name of Object.keys(live)) {
  const l = await client.query(live[name]);
  const cols = l.fields.map(f => f.name);
  for (const v of ['before', 'snapshot']) {
    const o = await client.query(versions[v][name]);
    if (rowsOf(o, cols) !== rowsOf(l, cols)) { console.log('DIFFERENT ROWS: ' + name + ', ' + v + ' against live'); process.exit(1); }
  }
}
/* The backend's CPU time (utime + stime of /proc/self/stat, in clock ticks of 10 ms). */
const cpu = async () => Number((await client.query(
  \"SELECT (split_part(s, ' ', 14))::bigint + (split_part(s, ' ', 15))::bigint AS v FROM pg_read_file('/proc/self/stat') AS s\")).rows[0].v) * 10;
const t = {}, c = {};
for (const name of Object.keys(live)) {
  t[name] = {before: [], live: [], snapshot: []};
  c[name] = {before: [], live: [], snapshot: []};
}
const order = ['before', 'live', 'snapshot'];
for (let r = 1; r <= rounds; r++) {
  const line = [];
  for (const name of Object.keys(live)) {
    const o = r % 2 ? order : [...order].reverse();
    for (const v of o) {
      const c0 = await cpu(), s = performance.now();
      await client.query(versions[v][name]);
      t[name][v].push(performance.now() - s);
      c[name][v].push(await cpu() - c0);
    }
    line.push(name + ' ' + order.map(v => t[name][v].at(-1).toFixed(0)).join(' / '));
  }
  console.log('round ' + r + ' (before / live / snapshot ms): ' + line.join(', '));
}
/* What the snapshots cost where they are made: one run of snapshot_campaigns() per round. */
const st = [], sc = [];
for (let r = 1; r <= Math.min(rounds, 3); r++) {
  const c0 = await cpu(), s = performance.now();
  await client.query('SELECT adoption.snapshot_campaigns()');
  st.push(performance.now() - s);
  sc.push(await cpu() - c0);
}
const med = a => { const s = [...a].sort((x, y) => x - y); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
console.log('');
console.log('| query | before ms | live ms | snapshot ms | snapshot / before | backend CPU before / live / snapshot ms | snapshot <= 200 ms |');
console.log('|---|---:|---:|---:|---:|---:|---|');
for (const name of Object.keys(live)) {
  const m = v => med(t[name][v]);
  console.log('| ' + name + ' | ' + m('before').toFixed(1) + ' | ' + m('live').toFixed(1) + ' | ' + m('snapshot').toFixed(1) + ' | ' +
    (m('snapshot') / m('before')).toFixed(4) + ' | ' + order.map(v => med(c[name][v]).toFixed(0)).join(' / ') + ' | ' +
    (m('snapshot') <= 200 ? 'yes' : 'NO') + ' |');
}
console.log('');
console.log('adoption.snapshot_campaigns() (what upkeep() runs; median of ' + st.length + '): ' + med(st).toFixed(0) + ' ms, backend CPU ' + med(sc).toFixed(0) + ' ms');
await client.end();
" "$rounds") )
events=$(q -tAc "SELECT count(*) FROM adoption.feature_usage_events")
mkdir -p "$REPO/test/bench/out"
{
	echo "# dashboard_compare $(date -u +%Y-%m-%dT%H:%MZ): $events events, before = $before, medians of $rounds rounds, load average $(cut -d' ' -f1-3 /proc/loadavg)"
	echo
	echo "$report"
} | tee "$REPO/test/bench/out/dashboard_compare.md"
