#!/usr/bin/env bash
# TAP: pg_adoption on a Citus cluster (a coordinator and 2 workers, started by
# scripts/citus.sh) gives the same answers as one node.  The same data set
# (CITUS_TEST_EVENTS events, 100000 by default: 12 tenants, late events in
# random time order, loaded by INSERT ... SELECT, two concurrent writers,
# COPY, multi-row and single-row INSERTs, and a resent slice) goes into a
# database of the single-node test server and through the coordinator;
# user_feature_state, tenant_feature_state, the action dedupe keys must be
# equal; so must, after the same feedback, support tickets and billing
# events, the feedback's insight, persona profiles, follow-ups and
# withdrawn plays; after rescore() (a backfill, then live), the health
# scores, bands, deltas and their actions; after upkeep(), the daily
# snapshots; after claim / complete / fail, forget_user and rebuild, the
# queue and the state; and what adoption_tenant reads.  Then the stress
# invariants (every event counted once, one action per milestone), and a
# shard move (citus_move_shard_placement) after which state and further
# ingest stay equal to the single node's, and the play policy applied at
# enqueue on the workers; a worker's session after its shard group moved
# away and back.
#
# Needs Citus: installed into the PostgreSQL that PG_CONFIG names, or built
# by ../shared/citus/build.sh beside the clone (CITUS_BUILD_SH); when neither
# exists the file prints one SKIP line that says so.  Ports: CITUS_TEST_PORT
# (else CITUS_PORT, else 54340) and the next two.  CITUS_TEST_KEEP=1 leaves
# the cluster running and the single node's database in place, to look.
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
cport=${CITUS_TEST_PORT:-${CITUS_PORT:-54340}}
ref=adoption_citus_ref
cdb=adoption_citus
export CITUS_PORT=$cport CITUS_DB=$cdb CITUS_CLUSTER=citus-test CITUS_SHARDS=8
single=(-h "$PGHOST" -p "$PGPORT" -U postgres -d $ref)
cluster=(-h "/tmp/pg_adoption-$cport" -p "$cport" -U postgres -d $cdb)
[ -n "${CITUS_TEST_KEEP:-}" ] || trap 'bash scripts/citus.sh stop >/dev/null 2>&1 || true' EXIT

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

# The other inputs, the same statements in the same order on both: the
# catalog's tiers and an upgrade path, seats, feedback (one multi-tenant
# INSERT ... SELECT, then single rows), support tickets and billing events
# (a cancellation withdraws plays); ids given, times relative to base.
inputs() {
	q "$@" -c "UPDATE adoption.features SET tier = 'advanced' WHERE feature_id IN ('f4', 'f5')" \
		-c "UPDATE adoption.features SET tier = 'premium' WHERE feature_id IN ('f6', 'f7')" \
		-c "UPDATE adoption.features SET upgrade_feature_id = 'f5' WHERE feature_id = 'f2'" \
		-c "UPDATE adoption.tenants SET seats_licensed = 12, arr = 1000 * length(tenant_id) WHERE tenant_id IN ('t1', 't2', 't3')"
	q "$@" -c "INSERT INTO adoption.feedback (tenant_id, feedback_id, user_id, feature_id, channel, score, body, created_at)
		SELECT 't' || (i * 5 % 12), 'fb' || i, 'u' || (i * 7 % 30), 'f' || (i % 8), CASE WHEN i % 3 = 0 THEN 'survey' ELSE 'nps' END,
			CASE WHEN i % 3 = 0 THEN NULL ELSE (i * 7) % 11 END,
			(ARRAY['The dashboard is slow and crashes, please add dark mode',
				'Love it, the reports save us 5 hours a week',
				'Exports fail every time, very frustrating and too expensive',
				'Great support and easy onboarding, we doubled our conversion',
				'Please add an API for bulk import', 'It is fine'])[1 + i % 6],
			timestamptz '$base' - make_interval(hours => (i * 37) % 2000)
		FROM generate_series(1, 240) AS i"
	# Updates (text, and a month back; Citus evaluates no stable function of
	# a column in an UPDATE) and deletes: the profile's triggers apply the
	# differences on the shards too.
	q "$@" -c "UPDATE adoption.feedback SET body = 'It is fine', created_at = timestamptz '$base' - interval '40 days'
			WHERE feedback_id IN ('fb1', 'fb2', 'fb7', 'fb20')" \
		-c "DELETE FROM adoption.feedback WHERE feedback_id IN ('fb3', 'fb11', 'fb30')"
	for i in 1 2 3; do
		q "$@" -c "INSERT INTO adoption.feedback (tenant_id, feedback_id, user_id, channel, score, body, created_at)
			VALUES ('t$i', 'single$i', 'u$i', 'nps', $((i + 7)), 'Amazing product, it saved 3 hours every day', timestamptz '$base' - interval '$i hours')"
	done
	q "$@" -c "INSERT INTO adoption.support_tickets (tenant_id, ticket_id, severity, opened_at)
		SELECT 't' || (ARRAY[4, 4, 5, 6, 7, 9])[1 + i % 6], 'k' || i, (ARRAY['low', 'medium', 'high', 'urgent'])[1 + i % 4],
			timestamptz '$base' - make_interval(hours => (i * 53) % 1200)
		FROM generate_series(1, 40) AS i"
	q "$@" -c "INSERT INTO adoption.billing_events (tenant_id, event_id, kind, occurred_at) VALUES
		('t4', 'b1', 'payment_failed', timestamptz '$base' - interval '5 days'),
		('t4', 'b2', 'invoice_overdue', timestamptz '$base' - interval '4 days'),
		('t5', 'b3', 'downgrade', timestamptz '$base' - interval '20 days'),
		('t7', 'b4', 'cancellation', timestamptz '$base' - interval '30 days'),
		('t7', 'b5', 'payment_succeeded', timestamptz '$base' - interval '10 days')"
	q "$@" -c "INSERT INTO adoption.billing_events (tenant_id, event_id, kind, occurred_at)
		VALUES ('t6', 'b6', 'cancellation', timestamptz '$base' - interval '1 day')"
	# A feature nobody uses yet, complaints about it, then its launch: launch
	# announcements and fix announcements (messaging) through the coordinator.
	q "$@" -c "INSERT INTO adoption.features (feature_id, feature_name, tier) VALUES ('f8', 'Feature 8', 'advanced')" \
		-c "INSERT INTO adoption.feedback (tenant_id, feedback_id, user_id, feature_id, channel, score, body, created_at)
			SELECT 't' || i, 'f8-' || i, 'u' || i, 'f8', 'survey', NULL, 'Feature 8 is slow and crashes all the time',
				timestamptz '$base' - make_interval(days => i)
			FROM generate_series(0, 11, 2) AS i" \
		-c "INSERT INTO adoption.launches (launch_id, feature_id, launched_at) VALUES ('l8', 'f8', timestamptz '$base' - interval '1 hour')"
}

start=$(date +%s)
load "${single[@]}"
mid=$(date +%s)
load "${cluster[@]}"
end=$(date +%s)
echo "# $events events: one node $((mid - start)) s, the Citus cluster $((end - mid)) s"
inputs "${single[@]}"
inputs "${cluster[@]}"
announce() { q "$@" -c "SELECT adoption.coordinate_launch('l8') || ' ' || adoption.enqueue_fix_announcements()"; }
l1=$(announce "${single[@]}" 2>&1)
l2=$(announce "${cluster[@]}" 2>&1)
[ "$l1" = "$l2" ] && [[ "$l1" == [1-9]*' '[1-9]* ]]
ok $? "coordinate_launch and enqueue_fix_announcements through the coordinator enqueue as many as on one node ($l1)"
printf 'one node: %s\ncluster:  %s\n' "$l1" "$l2" | why 4

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
SELECT 'feedback insight ' || count(*) || ' ' || md5(string_agg(x, '|' ORDER BY x)) FROM (
	SELECT concat_ws(',', tenant_id, feedback_id, sentiment, sentiment_label, nps_category, themes, pain_points,
		feature_requests, value_drivers, success_indicators, features) AS x FROM adoption.feedback) AS s;
SELECT 'feedback_profile ' || count(*) || ' ' || md5(string_agg(x, '|' ORDER BY x)) FROM (
	SELECT to_jsonb(p)::text AS x FROM adoption.feedback_profile AS p) AS s;
SELECT 'campaign_followups ' || count(*) || ' ' || md5(string_agg(x, '|' ORDER BY x)) FROM (
	SELECT concat_ws(',', tenant_id, kind, theme, feedback_id) AS x FROM adoption.campaign_followups) AS s;
SELECT 'queue ' || count(*) || ' ' || md5(string_agg(x, '|' ORDER BY x)) FROM (
	SELECT concat_ws(',', tenant_id, dedupe_key, template_key, user_id, feature_id, status, attempts, last_error,
		claimed_by, reason) AS x FROM adoption.campaign_action_queue) AS s;
SELECT 'archive ' || count(*) || ' ' || md5(string_agg(x, '|' ORDER BY x)) FROM (
	SELECT concat_ws(',', tenant_id, dedupe_key, template_key, status, status_reason, attempts, last_error) AS x
	FROM adoption.campaign_action_archive) AS s;
SELECT 'health_scores ' || count(*) || ' ' || md5(string_agg(x, '|' ORDER BY x)) FROM (
	SELECT concat_ws(',', tenant_id, scored_at, round(score::numeric, 9), risk, round(delta::numeric, 9),
		previous_risk, last_event_at, active_users, actions, live,
		(SELECT string_agg(c.key || '=' || round(c.value::numeric, 9), ';' ORDER BY c.key)
			FROM jsonb_each_text(components) AS c)) AS x FROM adoption.health_scores) AS s;
SELECT 'snapshots ' || count(*) || ' ' || md5(string_agg(x, '|' ORDER BY x)) FROM (
	SELECT concat_ws(',', 't', tenant_id, day, active_users, users, events, partial) AS x FROM adoption.daily_tenant_snapshots
	UNION ALL SELECT (to_jsonb(f) - 'computed_at')::text FROM adoption.daily_feature_snapshots AS f
	UNION ALL SELECT (to_jsonb(d) - 'computed_at')::text FROM adoption.daily_totals AS d) AS s;
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
compare "state, tenant_feature_state, action keys and features equal to one node's after $events events; the feedback's insight, persona profiles, follow-ups and withdrawn plays too"
q "${cluster[@]}" -c "SELECT (SELECT count(*) FROM adoption.feedback_profile) > 0 AND (SELECT count(*) FROM adoption.campaign_followups) > 0
	AND (SELECT count(*) FROM adoption.campaign_action_archive WHERE status = 'withdrawn' AND tenant_id = 't6') > 0
	AND (SELECT count(*) FROM adoption.feedback WHERE themes <> '{}') > 0" | grep -qx t
ok $? "on the cluster the feedback has themes, profiles and follow-ups, and t6's cancellation withdrew plays"

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

# Health through the coordinator: a backfill 20 and 10 days back (history,
# no actions), then live as of base (within the day: bands, win-back,
# nudges, expansion and upgrade actions), the same on both.
rescore_all() {
	q "$@" -c "SELECT adoption.rescore(as_of => timestamptz '$base' - interval '20 days')
		+ adoption.rescore(as_of => timestamptz '$base' - interval '10 days')
		+ adoption.rescore(as_of => timestamptz '$base')"
}
t0=$(date +%s%N)
r1=$(rescore_all "${single[@]}" 2>&1)
t1=$(date +%s%N)
r2=$(rescore_all "${cluster[@]}" 2>&1)
t2=$(date +%s%N)
echo "# three rescore() runs of 12 tenants: one node $(((t1 - t0) / 1000000)) ms, the Citus cluster $(((t2 - t1) / 1000000)) ms"
[ "$r1" = "$r2" ] && [ "$r1" -gt 0 ] 2>/dev/null
ok $? "rescore() through the coordinator scores as many tenants as one node ($r1)"
echo "one node: $r1, cluster: $r2" | why 3
compare "health scores, bands, deltas, components and their actions equal to one node's after rescore()"
q "${single[@]}" -c "SELECT count(DISTINCT risk) > 1 AND bool_or(delta <> 0) AND bool_or(cardinality(actions) > 0)
	AND bool_or(components ? 'billing' AND (components->>'billing')::float8 < 100) FROM adoption.health_scores" | grep -qx t
ok $? "the comparison covers more than one band, nonzero deltas, actions and a billing penalty"
q "${single[@]}" -c "SELECT string_agg(DISTINCT template_key, ',' ORDER BY template_key) FROM adoption.campaign_action_queue" | why 2
explain() { q "$@" -c "SELECT string_agg(component || '=' || round(contribution::numeric, 9), ' ' ORDER BY component) FROM adoption.explain_health('t4', timestamptz '$base')"; }
e1=$(explain "${single[@]}" 2>&1)
e2=$(explain "${cluster[@]}" 2>&1)
[ "$e1" = "$e2" ] && [[ "$e1" == *billing=* ]]
ok $? "explain_health() through the coordinator gives one node's contributions"
printf 'one node: %s\ncluster:  %s\n' "$e1" "$e2" | why 4
# Incremental, in a transaction rolled back (its scores are as of now):
# nothing new scores none, then new events of two tenants score those two.
incremental() {
	q "$@" -c "BEGIN" -c "SELECT adoption.rescore()" -c "INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
		VALUES ('t3', 'u1', 'f1', now()), ('t8', 'u2', 'f2', now())" -c "SELECT adoption.rescore()" -c "ROLLBACK" | paste -sd' '
}
i1=$(incremental "${single[@]}" 2>&1)
i2=$(incremental "${cluster[@]}" 2>&1)
[ "$i1" = "0 2" ] && [ "$i2" = "0 2" ]
ok $? "incremental rescore() through the coordinator: nothing new scores none, new events of two tenants score those two (one node: $i1, cluster: $i2)"
# upkeep(): partitions, retention, rescoring, the daily snapshots.
u1=$(q "${single[@]}" -c "SET client_min_messages = warning" -c "SELECT adoption.upkeep() - 'cron_runs_trimmed'" 2>&1 | tail -n 1)
u2=$(q "${cluster[@]}" -c "SET client_min_messages = warning" -c "SELECT adoption.upkeep() - 'cron_runs_trimmed'" 2>&1 | tail -n 1)
[ "$u1" = "$u2" ] && [[ "$u1" == *'"snapshot_days": '[1-9]* ]]
ok $? "upkeep() through the coordinator does what it does on one node"
printf 'one node: %s\ncluster:  %s\n' "$u1" "$u2" | why 4
compare "the daily snapshots and totals upkeep() wrote equal to one node's"

# The queue through the coordinator: claim everything due (a second claim
# gets nothing), complete and fail the same actions (by dedupe key).
queue_ops() {
	q "$@" -c "SELECT count(*) FROM adoption.claim_actions('tap-worker', 100000)" \
		-c "SELECT count(*) FROM adoption.claim_actions('tap-other', 100000)" \
		-c "SELECT string_agg(adoption.complete_action(a.action_id, 'tap-worker'), ',') FROM (SELECT action_id FROM adoption.campaign_action_queue
			ORDER BY tenant_id, dedupe_key LIMIT 10) AS a" \
		-c "SELECT string_agg(adoption.fail_action(a.action_id, 'smtp down', 'tap-worker'), ',') FROM (SELECT action_id FROM adoption.campaign_action_queue
			ORDER BY tenant_id DESC, dedupe_key DESC LIMIT 5) AS a" | paste -sd' '
}
c1=$(queue_ops "${single[@]}" 2>&1)
c2=$(queue_ops "${cluster[@]}" 2>&1)
[ "$c1" = "$c2" ] && [[ "$c1" == [1-9]*' 0 done,'* ]]
ok $? "claim_actions, complete_action and fail_action through the coordinator answer as on one node, no action handed out twice"
printf 'one node: %s\ncluster:  %s\n' "$c1" "$c2" | why 4
f1=$(q "${single[@]}" -c "SELECT adoption.forget_user('t1', 'u1')" -c "SELECT adoption.rebuild()" -c "SELECT adoption.rebuild('t2')" -c "SELECT adoption.rebuild_feedback_profiles()" 2>&1 | paste -sd' ')
f2=$(q "${cluster[@]}" -c "SELECT adoption.forget_user('t1', 'u1')" -c "SELECT adoption.rebuild()" -c "SELECT adoption.rebuild('t2')" -c "SELECT adoption.rebuild_feedback_profiles()" 2>&1 | paste -sd' ')
[ "$f1" = "$f2" ] && [[ "$f1" == '{'*'"feature_usage_events": '[1-9]* ]]
ok $? "forget_user, rebuild and rebuild_feedback_profiles through the coordinator return one node's counts"
printf 'one node: %s\ncluster:  %s\n' "$f1" "$f2" | why 4
compare "queue, archive, state and snapshots equal to one node's after the queue, forget_user and rebuild"

# adoption_tenant through the coordinator: one tenant's rows, as on one
# node.  On Citus the setting reaches the workers as SET LOCAL in a
# transaction with citus.propagate_set_commands = 'local' (docs/citus.md);
# a session-level SET shows nothing there (no other tenant's row either).
q -d postgres -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'citus_tap_tenant') THEN CREATE ROLE citus_tap_tenant LOGIN IN ROLE adoption_tenant; END IF; END \$\$"
q "${cluster[@]}" -c "SET client_min_messages = warning" -c "DO \$\$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'citus_tap_tenant') THEN CREATE ROLE citus_tap_tenant LOGIN IN ROLE adoption_tenant; END IF; END \$\$"
tenant_view() {
	q "$@" -U citus_tap_tenant -c "BEGIN" -c "SET LOCAL citus.propagate_set_commands = 'local'" -c "SET LOCAL adoption.tenant_id = 't2'" \
		-c "SELECT (SELECT count(*) || '/' || count(DISTINCT tenant_id) FROM adoption.user_feature_state)
			|| ' ' || (SELECT count(*) FROM adoption.feature_usage_events)
			|| ' ' || (SELECT round(score::numeric, 6) FROM adoption.tenant_health)
			|| ' ' || (SELECT count(*) FROM adoption.campaign_actions)
			|| ' ' || (SELECT count(*) FROM adoption.feedback)" -c "COMMIT" 2>&1 | tail -n 1
}
v1=$(tenant_view "${single[@]}" 2>&1)
v2=$(tenant_view "${cluster[@]}" 2>&1)
[ "$v1" = "$v2" ] && [[ "$v1" == [1-9]*'/1 '[1-9]* ]]
ok $? "adoption_tenant reads tenant t2's rows through the coordinator, the same as on one node"
printf 'one node: %s\ncluster:  %s\n' "$v1" "$v2" | why 4
s2=$(q "${cluster[@]}" -U citus_tap_tenant -c "SET adoption.tenant_id = 't2'" -c "SELECT count(*) FROM adoption.user_feature_state WHERE tenant_id <> 't2'" 2>&1 | tail -n 1)
[ "$s2" = 0 ]
ok $? "with a session-level SET the tenant sees no other tenant's rows through the coordinator"

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

# A shard group that moves away and back gets new shards (new OIDs): a
# worker's connection that worked on the group before (the coordinator
# session keeps it) must find the new ones, not fail on the old ones.
h=$(q "${cluster[@]}" -c "SELECT count(*) FROM adoption.explain_health('t1')" \
	-c "SELECT citus_move_shard_placement($shard, '127.0.0.1', $to, '127.0.0.1', $from, shard_transfer_mode => 'block_writes')" \
	-c "CALL citus_cleanup_orphaned_resources()" \
	-c "SELECT citus_move_shard_placement($shard, '127.0.0.1', $from, '127.0.0.1', $to, shard_transfer_mode => 'block_writes')" \
	-c "CALL citus_cleanup_orphaned_resources()" \
	-c "SELECT count(*) FROM adoption.explain_health('t1')" 2>&1)
h1=$(q "${single[@]}" -c "SELECT count(*) FROM adoption.explain_health('t1')")
[ "$(echo "$h" | grep -xc "$h1")" = 2 ] && ! echo "$h" | grep -q ERROR
ok $? "a worker session that worked on t1's shard group still does after the group moves away and back ($h1 components on one node)"
echo "$h" | why 8

rm -f "$log" "$copyfile"
[ -n "${CITUS_TEST_KEEP:-}" ] || q -d postgres -c "DROP DATABASE IF EXISTS $ref"
plan
[ "$failed" = 0 ]
