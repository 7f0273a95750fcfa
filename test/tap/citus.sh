#!/usr/bin/env bash
# TAP: pg_adoption on a Citus cluster (a coordinator and 2 workers, started by
# scripts/citus.sh) gives the same answers as one node.  The same data set
# (CITUS_TEST_EVENTS events, 100000 by default: 12 tenants, late events in
# random time order, loaded by INSERT ... SELECT, two concurrent writers,
# COPY, multi-row and single-row INSERTs, and a resent slice) goes into a
# database of the single-node test server and through the coordinator;
# user_feature_state, tenant_feature_state, the action dedupe keys and the
# health scores must be equal.  Then the stress invariants (every event
# counted once, one action per milestone), a shard move
# (citus_move_shard_placement) after which state and further ingest stay
# equal to the single node's, and the play policy applied at enqueue on
# the workers.
#
# Needs Citus: installed into the PostgreSQL that PG_CONFIG names, or built
# by ../shared/citus/build.sh beside the clone (CITUS_BUILD_SH); when neither
# exists the file prints one SKIP line that says so.  Ports: CITUS_TEST_PORT
# (54340) and the next two.
set -u
source "$(dirname "$0")/../lib/tap.sh"
cd "$(dirname "$0")/../.."
repo=$(pwd)
export PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
export PG_CONFIG=${PG_CONFIG:-$PG_BIN/pg_config}
build_sh=${CITUS_BUILD_SH:-$(dirname "$repo")/shared/citus/build.sh}
if ! { [ -f "$("$PG_CONFIG" --pkglibdir)/citus.so" ] || [ -f "$build_sh" ]; }; then
	echo "1..0 # SKIP CITUS NOT TESTED: Citus is not installed into $("$PG_CONFIG" --pkglibdir) and $build_sh does not exist (set CITUS_BUILD_SH)"
	exit 0
fi

events=${CITUS_TEST_EVENTS:-100000}
cport=${CITUS_TEST_PORT:-54340}
ref=adoption_citus_ref
cdb=adoption_citus
export CITUS_PORT=$cport CITUS_DB=$cdb CITUS_CLUSTER=citus-test CITUS_SHARDS=8
single=(-h "$PGHOST" -p "$PGPORT" -U postgres -d $ref)
cluster=(-h "/tmp/pg_adoption-$cport" -p "$cport" -U postgres -d $cdb)
trap 'bash scripts/citus.sh stop >/dev/null 2>&1 || true' EXIT

log=$(mktemp)
if ! bash scripts/citus.sh start >"$log" 2>&1; then
	ok 1 "the Citus cluster starts and pg_adoption distributes"
	comment 30 <"$log"
	plan
	exit 1
fi
ok 0 "the Citus cluster starts and pg_adoption distributes"
q -d postgres -c "DROP DATABASE IF EXISTS $ref" -c "CREATE DATABASE $ref"
q "${single[@]}" -c "SET client_min_messages = warning" -c "CREATE EXTENSION pg_adoption"

# Event i of the data set: 12 tenants, 30 users, 8 features, times spread over
# 60 days before a fixed base in hash order (so most arrive late), one in ten
# failed; event ids derived from i, so a resend is the same event.
base=$(date -u +%Y-%m-%dT%H:00:00Z)
gen() {
	echo "SELECT md5('e' || i)::uuid, 't' || (i * 7919 % 12), 'u' || (i * 104729 % 30), 'f' || (i * 31 % 8),
		CASE WHEN i % 997 = 0 THEN 'Feature ' || (i * 31 % 8) END,
		timestamptz '$base' - make_interval(mins => ((i::bigint * 2654435761) % 86400)::int),
		(i % 600)::int, i % 10 <> 0
	FROM generate_series($1::bigint, $2) AS i WHERE $3"
}
cols="(event_id, tenant_id, user_id, feature_id, feature_name, usage_timestamp, session_duration, success_outcome)"
a=$((events * 4 / 10)) b=$((events * 7 / 10)) c=$((events * 9 / 10))
copyfile=$(mktemp)
chmod 0644 "$copyfile"
q -d postgres -c "COPY ($(gen $((b + 1)) $c true)) TO STDOUT" >"$copyfile"

# Loads the whole data set into the database the arguments name.
load() {
	local i
	q "$@" -c "INSERT INTO adoption.feature_usage_events $cols $(gen 1 $a true)"
	# Two concurrent writers, batches of 2000 interleaved.
	for w in 0 1; do
		(for ((i = a + 1; i <= b; i += 2000)); do
			q "$@" -c "INSERT INTO adoption.feature_usage_events $cols $(gen $i $((i + 1999 < b ? i + 1999 : b)) "i % 2 = $w")"
		done) &
	done
	wait
	q "$@" -c "\\copy adoption.feature_usage_events $cols FROM '$copyfile'"
	# Multi-row INSERTs of 100 rows, then 20 single-row INSERTs.
	q -d postgres -c "SELECT 'INSERT INTO adoption.feature_usage_events $cols VALUES ' || string_agg(format('(%L, %L, %L, %L, %L, %L, %L, %L)', e.md5, e.t, e.u, e.f, e.n, e.ts, e.d, e.s), ', ') || ';'
		FROM (SELECT e.*, row_number() OVER () AS rn FROM ($(gen $((c + 1)) "$events" true)) AS e(md5, t, u, f, n, ts, d, s)) AS e
		GROUP BY CASE WHEN e.rn <= 20 THEN -e.rn ELSE e.rn / 100 END" | q "$@"
	# A resent slice: ON CONFLICT DO NOTHING keeps every event once.
	q "$@" -c "INSERT INTO adoption.feature_usage_events $cols $(gen 1 5000 true) ON CONFLICT DO NOTHING"
	q "$@" -c "SELECT adoption.citus_flush()" >/dev/null 2>&1 || true
}

start=$(date +%s)
load "${single[@]}"
mid=$(date +%s)
load "${cluster[@]}"
end=$(date +%s)
echo "# $events events: one node $((mid - start)) s, the Citus cluster $((end - mid)) s"

# The digests the two must agree on.
digest() {
	q "$@" <<'SQL'
SELECT 'user_feature_state ' || count(*) || ' ' || md5(string_agg(x, '|' ORDER BY x)) FROM (
	SELECT concat_ws(',', tenant_id, feature_id, user_id, first_used_at, last_used_at, uses, successes,
		total_duration, round(velocity_per_week::numeric, 6), activated_at, adopted_at, habitual_at) AS x
	FROM adoption.user_feature_state) AS s;
SELECT 'tenant_feature_state ' || count(*) || ' ' || md5(string_agg(x, '|' ORDER BY x)) FROM (
	SELECT (to_jsonb(v) - 'updated_at')::text AS x FROM adoption.tenant_feature_state AS v) AS s;
SELECT 'tenant_state ' || count(*) || ' ' || md5(string_agg(x, '|' ORDER BY x)) FROM (
	SELECT concat_ws(',', tenant_id, first_event_at, last_event_at, users, active_users, uses, successes,
		open_adopters, last_feature_adopted_at) AS x FROM adoption.tenant_state) AS s;
SELECT 'action keys ' || count(*) || ' ' || md5(string_agg(x, '|' ORDER BY x)) FROM (
	SELECT tenant_id || ' ' || dedupe_key AS x FROM adoption.campaign_action_keys) AS s;
SELECT 'features ' || count(*) || ' ' || md5(string_agg(x, '|' ORDER BY x)) FROM (
	SELECT concat_ws(',', feature_id, feature_name) AS x FROM adoption.features) AS s;
SELECT 'tenants ' || count(*) FROM adoption.tenants;
SQL
}
compare() {
	local what=$1 d1 d2
	d1=$(digest "${single[@]}")
	d2=$(digest "${cluster[@]}")
	[ "$d1" = "$d2" ]
	ok $? "$what"
	diff <(echo "$d1") <(echo "$d2") | why 20
}
q "${single[@]}" -c "SELECT count(*) FROM adoption.feature_usage_events" | grep -qx "$events"
ok $? "all $events events are in the single node (every load step succeeded)"
compare "state, tenant_feature_state, action keys and features equal to one node's after $events events"

# Stress invariants on the cluster: every distinct event counted once, one action per key.
q "${cluster[@]}" -c "SELECT (SELECT sum(uses) FROM adoption.user_feature_state) = $events
	AND (SELECT count(*) FROM adoption.feature_usage_events) = $events
	AND (SELECT sum(uses) FROM adoption.tenant_state) = $events" | grep -qx t
ok $? "the cluster holds and counts each of the $events events once (resends included)"
q "${cluster[@]}" -c "SELECT 'events ' || (SELECT count(*) FROM adoption.feature_usage_events)
	|| ', user_feature_state uses ' || (SELECT sum(uses) FROM adoption.user_feature_state)
	|| ', tenant_state uses ' || (SELECT sum(uses) FROM adoption.tenant_state)" | why 3
q "${cluster[@]}" -c "SELECT (SELECT count(*) FROM adoption.campaign_action_queue) + (SELECT count(*) FROM adoption.campaign_action_archive)
	= (SELECT count(DISTINCT (tenant_id, dedupe_key)) FROM (SELECT tenant_id, dedupe_key FROM adoption.campaign_action_queue
		UNION ALL SELECT tenant_id, dedupe_key FROM adoption.campaign_action_archive) AS a)
	AND (SELECT count(*) FROM adoption.campaign_action_queue) > 0" | grep -qx t
ok $? "one action per milestone (no dedupe key twice in the queue and archive), and some actions"
q "${cluster[@]}" -c "SELECT count(DISTINCT action_id) = count(*) FROM adoption.campaign_action_queue" | grep -qx t
ok $? "action ids are unique across the cluster"
q "${cluster[@]}" -c "SELECT count(*) FROM adoption.citus_pending" | grep -qx 0
ok $? "nothing waits in adoption.citus_pending after the statements"

# Health scores through the coordinator.
h1=$(q "${single[@]}" -c "SELECT adoption.rescore()" -c "SELECT string_agg(tenant_id || ' ' || round(score::numeric, 6), ',' ORDER BY tenant_id) FROM adoption.tenant_health" 2>&1 | tail -n 1)
h2=$(q "${cluster[@]}" -c "SELECT adoption.rescore()" -c "SELECT string_agg(tenant_id || ' ' || round(score::numeric, 6), ',' ORDER BY tenant_id) FROM adoption.tenant_health" 2>&1 | tail -n 1)
[ -n "$h1" ] && [ "$h1" = "$h2" ]
ok $? "rescore() through the coordinator gives the single node's health scores # TODO rescore() is not distributed yet (Citus: functions in DO UPDATE SET must be IMMUTABLE)"
printf 'one node: %s\ncluster:  %s\n' "$h1" "$h2" | why 4

# A shard move: the shard group of tenant t1 moves to the other worker.
move=$(q "${cluster[@]}" -F ' ' -c "SELECT p.shardid, n.nodeport FROM pg_dist_placement AS p
	JOIN pg_dist_node AS n ON n.groupid = p.groupid
	WHERE p.shardid = get_shard_id_for_distribution_column('adoption.feature_usage_events', 't1')")
read -r shard from <<<"$move"
to=$((from == cport + 1 ? cport + 2 : cport + 1))
q "${cluster[@]}" -c "SELECT citus_move_shard_placement($shard, '127.0.0.1', $from, '127.0.0.1', $to, shard_transfer_mode => 'block_writes')" >/dev/null 2>"$log"
q "${cluster[@]}" -c "SELECT n.nodeport FROM pg_dist_placement AS p JOIN pg_dist_node AS n ON n.groupid = p.groupid WHERE p.shardid = $shard" | grep -qx "$to"
ok $? "citus_move_shard_placement moves tenant t1's shard group from $from to $to"
comment 5 <"$log"
compare "state unchanged by the move"
for db in single cluster; do
	declare -n args=$db
	q "${args[@]}" -c "INSERT INTO adoption.feature_usage_events $cols $(gen $((events + 1)) $((events + 3000)) true)"
	q "${args[@]}" -c "SELECT adoption.citus_flush()" >/dev/null 2>&1 || true
done
compare "ingest after the move: state still equal to one node's"

# A new tenant and a new named feature through the coordinator: registered
# there, and the statement's actions announced there, to a listener.
out=$(psql -X -h "/tmp/pg_adoption-$cport" -p "$cport" -U postgres -d $cdb -v ON_ERROR_STOP=1 \
	-c "LISTEN adoption_actions" \
	-c "INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, feature_name, usage_timestamp)
		SELECT 'tnotify', 'listener', 'f-new', 'New feature', timestamptz '$base' - make_interval(hours => i)
		FROM generate_series(1, 6) AS i" -c "SELECT 1" 2>&1)
echo "$out" | grep -q 'Asynchronous notification "adoption_actions" with payload "[1-9][0-9]*" received'
ok $? "NOTIFY adoption_actions reaches a listener on the coordinator, with the number of actions"
echo "$out" | why 6
q "${cluster[@]}" -c "SELECT (SELECT feature_name FROM adoption.features WHERE feature_id = 'f-new')
	|| ' ' || (SELECT count(*) FROM adoption.tenants WHERE tenant_id = 'tnotify')
	|| ' ' || (SELECT count(*) FROM adoption.campaign_action_queue WHERE tenant_id = 'tnotify')" | grep -qx "New feature 1 [1-9][0-9]*"
ok $? "the new feature is in the catalog, the new tenant registered and its actions queued"

# The play policy at enqueue, on the workers as on one node: tenant tpolicy
# is critical (its latest health score) and its override forbids
# adoption_success when critical; tcontrol has no score.  One user, 6
# successful uses in 6 hours: adopted at the 3rd success, habitual at the
# 5th use (usage_velocity_threshold 5), and the tenant's feature_adopted (1
# of 1 active users adopted, all uses successful); both milestones enqueue
# adoption_success.  So tcontrol gets 2 actions and tpolicy none.
for db in single cluster; do
	declare -n args=$db
	q "${args[@]}" -c "INSERT INTO adoption.health_scores (tenant_id, scored_at, score, risk, components)
		VALUES ('tpolicy', timestamptz '$base' - interval '1 day', 10, 'critical', '{}')" \
		-c "INSERT INTO adoption.tenant_play_policy (tenant_id, account_state, template_key, allowed)
		VALUES ('tpolicy', 'critical', 'adoption_success', false)" \
		-c "INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome)
		SELECT t, 'u1', 'fpolicy', timestamptz '$base' - make_interval(hours => i), true
		FROM unnest(ARRAY['tpolicy', 'tcontrol']) AS t, generate_series(1, 6) AS i" >/dev/null
	q "${args[@]}" -c "SELECT adoption.citus_flush()" >/dev/null 2>&1 || true
done
policy() {
	q "$@" -c "SELECT 'tcontrol ' || count(*) FILTER (WHERE tenant_id = 'tcontrol')
		|| ', tpolicy ' || count(*) FILTER (WHERE tenant_id = 'tpolicy')
		FROM adoption.campaign_actions WHERE tenant_id IN ('tcontrol', 'tpolicy')" 2>&1
}
p1=$(policy "${single[@]}")
p2=$(policy "${cluster[@]}")
[ "$p1" = "tcontrol 2, tpolicy 0" ] && [ "$p2" = "$p1" ]
ok $? "the play policy applies at enqueue on the workers: a critical tenant whose policy forbids adoption_success gets none, as on one node"
printf 'one node: %s\ncluster:  %s\n' "$p1" "$p2" | why 3

rm -f "$log" "$copyfile"
q -d postgres -c "DROP DATABASE IF EXISTS $ref"
plan
[ "$failed" = 0 ]
