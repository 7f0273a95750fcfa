#!/usr/bin/env bash
# TAP: the upgrade chain.  One database installs the oldest version (0.1.0),
# holds data, and runs ALTER EXTENSION pg_adoption UPDATE; another installs
# the current version afresh.  Their catalogs must be equal: tables, columns
# (types, defaults, NOT NULL), constraints, indexes, triggers, functions
# (pg_get_functiondef, privileges, settings), views, policies, row-level
# security, privileges, comments and the extension's members.  Uses the
# server PGHOST/PGPORT/PGUSER point at.
set -u
source "$(dirname "$0")/../lib/tap.sh"
cd "$(dirname "$0")/../.."
old=adoption_upgrade_old
new=adoption_upgrade_new
oldest=0.1.0
current=$(sed -n "s/^default_version = '\(.*\)'/\1/p" pg_adoption.control)

for db in $old $new; do
	q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
	q -d postgres -c "CREATE DATABASE $db"
done

# The events go in with the ingest trigger off: the installed library is
# the current one, whose engine writes tables the old version does not have
# (an installation updates with ALTER EXTENSION before it ingests again).
# The update recomputes the state from the log; the queued actions stay.
events="SELECT 't' || (i % 3), 'u' || (i % 7), 'f' || (i % 2), now() - i * interval '3 hours' FROM generate_series(1, 200) AS i"
q -d $old >/dev/null <<SQL
SET client_min_messages = warning;
CREATE EXTENSION pg_adoption VERSION '$oldest';
ALTER TABLE adoption.feature_usage_events DISABLE TRIGGER track_events;
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp) $events;
ALTER TABLE adoption.feature_usage_events ENABLE TRIGGER track_events;
INSERT INTO adoption.tenants (tenant_id) SELECT DISTINCT tenant_id FROM adoption.feature_usage_events;
INSERT INTO adoption.features (feature_id) SELECT DISTINCT feature_id FROM adoption.feature_usage_events;
INSERT INTO adoption.feedback (tenant_id, user_id, channel, score, body) VALUES ('t1', 'u1', 'nps', 3, 'So slow');
SELECT adoption.enqueue_action('t2', 'win_back', 'upgrade-test');
SQL
ok $? "CREATE EXTENSION pg_adoption VERSION '$oldest' with data"
actions_before=$(q -d $old -c "SELECT string_agg(action_id || ' ' || tenant_id || ' ' || dedupe_key || ' ' || status, ',' ORDER BY action_id) FROM adoption.campaign_actions")
[ -n "$(q -d $old -c "SELECT path FROM pg_extension_update_paths('pg_adoption') WHERE source = '$oldest' AND target = '$current'")" ]
ok $? "PostgreSQL finds an update path from $oldest to $current"
[ "$(q -d $old -c "SELECT extversion FROM pg_extension WHERE extname = 'pg_adoption'")" = "$oldest" ]
ok $? "the oldest version installed is $oldest"
q -d $old -c "SET client_min_messages = warning; ALTER EXTENSION pg_adoption UPDATE" >/dev/null
ok $? "ALTER EXTENSION pg_adoption UPDATE from $oldest"
[ "$(q -d $old -c "SELECT extversion FROM pg_extension WHERE extname = 'pg_adoption'")" = "$current" ]
ok $? "after the update the version is $current"
q -d $new -c "SET client_min_messages = warning; CREATE EXTENSION pg_adoption" >/dev/null
ok $? "CREATE EXTENSION pg_adoption (fresh $current)"

# One query per part of the catalog; each prints sorted lines.
declare -A parts
parts[columns]="SELECT c.relname || ' ' || c.relkind::text || ' ' || a.attnum || ' ' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
	|| ' ' || a.attnotnull || ' ' || coalesce(pg_get_expr(d.adbin, d.adrelid), '') || ' ' || a.attidentity::text || ' ' || a.attgenerated::text
	|| ' ' || coalesce(col_description(c.oid, a.attnum), '')
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
LEFT JOIN pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
WHERE c.relnamespace = 'adoption'::regnamespace ORDER BY 1"
parts[relations]="SELECT c.relname || ' ' || c.relkind::text || ' ' || c.relpersistence::text || ' ' || c.relrowsecurity || ' ' || c.relforcerowsecurity
	|| ' ' || coalesce(c.reloptions::text, '') || ' ' || coalesce(c.relacl::text, '') || ' ' || coalesce(obj_description(c.oid, 'pg_class'), '')
	|| ' ' || coalesce(pg_get_partkeydef(c.oid), '') || ' ' || coalesce(pg_get_expr(c.relpartbound, c.oid), '')
FROM pg_class c WHERE c.relnamespace = 'adoption'::regnamespace ORDER BY 1"
parts[constraints]="SELECT conrelid::regclass || ' ' || conname || ' ' || pg_get_constraintdef(oid)
FROM pg_constraint WHERE connamespace = 'adoption'::regnamespace ORDER BY 1"
parts[indexes]="SELECT pg_get_indexdef(indexrelid) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE c.relnamespace = 'adoption'::regnamespace ORDER BY 1"
parts[triggers]="SELECT pg_get_triggerdef(t.oid) || ' ' || t.tgenabled::text FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
WHERE c.relnamespace = 'adoption'::regnamespace AND NOT t.tgisinternal ORDER BY 1"
parts[functions]="SELECT p.oid::regprocedure || ' ' || p.prokind::text || ' ' || coalesce(p.proacl::text, '') || ' '
	|| coalesce(obj_description(p.oid, 'pg_proc'), '') || ' '
	|| CASE WHEN p.prokind = 'a' THEN (SELECT a.aggtransfn || ' ' || a.aggfinalfn || ' ' || a.aggcombinefn || ' ' || a.aggtranstype::regtype || ' ' || coalesce(a.agginitval, '') FROM pg_aggregate a WHERE a.aggfnoid = p.oid)
		ELSE pg_get_functiondef(p.oid) END
FROM pg_proc p WHERE p.pronamespace = 'adoption'::regnamespace ORDER BY 1"
parts[views]="SELECT c.relname || ' ' || pg_get_viewdef(c.oid) FROM pg_class c
WHERE c.relnamespace = 'adoption'::regnamespace AND c.relkind = 'v' ORDER BY 1"
parts[policies]="SELECT tablename || ' ' || policyname || ' ' || permissive || ' ' || roles::text || ' ' || cmd || ' '
	|| coalesce(qual, '') || ' ' || coalesce(with_check, '') || ' ' || coalesce((SELECT obj_description(p.oid, 'pg_policy')
		FROM pg_policy p WHERE p.polname = policyname AND p.polrelid = format('%I.%I', schemaname, tablename)::regclass), '')
FROM pg_policies WHERE schemaname = 'adoption' ORDER BY 1"
parts[types]="SELECT t.typname || ' ' || t.typtype::text || ' ' || coalesce(t.typacl::text, '') FROM pg_type t
WHERE t.typnamespace = 'adoption'::regnamespace ORDER BY 1"
parts[schema]="SELECT n.nspname || ' ' || coalesce(n.nspacl::text, '') || ' ' || coalesce(obj_description(n.oid, 'pg_namespace'), '')
FROM pg_namespace n WHERE n.nspname = 'adoption'"
parts[members]="SELECT pg_describe_object(d.classid, d.objid, d.objsubid) FROM pg_depend d
WHERE d.refclassid = 'pg_extension'::regclass AND d.deptype = 'e'
	AND d.refobjid = (SELECT oid FROM pg_extension WHERE extname = 'pg_adoption') ORDER BY 1"
parts[config_dump]="SELECT unnest(extconfig)::regclass || ' ' || coalesce(array_to_string(extcondition, ','), '') FROM pg_extension
WHERE extname = 'pg_adoption' ORDER BY 1"
parts[init_privs]="SELECT pg_describe_object(i.classoid, i.objoid, i.objsubid) || ' ' || i.privtype::text || ' ' || i.initprivs::text
FROM pg_init_privs i WHERE pg_describe_object(i.classoid, i.objoid, i.objsubid) LIKE '%adoption.%'
	OR pg_describe_object(i.classoid, i.objoid, i.objsubid) = 'schema adoption' ORDER BY 1"

for part in columns relations constraints indexes triggers functions views policies types schema members config_dump init_privs; do
	a=$(q -d $old -c "${parts[$part]}" 2>&1)
	sa=$?
	b=$(q -d $new -c "${parts[$part]}" 2>&1)
	sb=$?
	if [ $sa != 0 ] || [ $sb != 0 ]; then
		ok 1 "$part: the catalog query failed"
		printf '%s\n' "$a" | head -n 5 | sed 's/^/# /'
	elif [ "$a" = "$b" ]; then
		ok 0 "$part: upgraded $oldest equals fresh $current ($(printf '%s\n' "$b" | wc -l) lines)"
	else
		ok 1 "$part: upgraded $oldest differs from fresh $current"
		diff <(printf '%s\n' "$a") <(printf '%s\n' "$b") | head -n 20 | sed 's/^/# /'
	fi
done

# Data survived the update and ingest goes on under the new version's grants.
[ "$(q -d $old -c "SELECT count(*) FROM adoption.feature_usage_events")" = 200 ]
ok $? "the 200 events are still there after the update"
[ -n "$actions_before" ] && [ "$(q -d $old -c "SELECT string_agg(action_id || ' ' || tenant_id || ' ' || dedupe_key || ' ' || status, ',' ORDER BY action_id) FROM adoption.campaign_actions")" = "$actions_before" ]
ok $? "the campaign actions are kept by the update"
# The update rebuilt the state: equal to the same events ingested by the fresh version.
state() {
	q -d "$1" -c "SELECT string_agg(row(tenant_id, feature_id, user_id, first_used_at, last_used_at, uses, successes,
		activated_at, adopted_at, habitual_at)::text, ',' ORDER BY tenant_id, feature_id, user_id) FROM adoption.user_feature_state"
	q -d "$1" -c "SELECT string_agg(row(tenant_id, user_id, first_seen_at, last_seen_at, uses, successes, activity)::text, ','
		ORDER BY tenant_id, user_id) FROM adoption.tenant_user_state"
	q -d "$1" -c "SELECT string_agg(row(tenant_id, first_event_at, last_event_at, users, active_users, uses, successes)::text, ','
		ORDER BY tenant_id) FROM adoption.tenant_state"
	q -d "$1" -c "SELECT string_agg(row(tenant_id, feature_id, activated_users, adopted_users, habitual_users, active_users,
		active_adopters, adoption_rate, success_rate, evaluated_at, feature_adopted_at)::text, ',' ORDER BY tenant_id, feature_id)
		FROM adoption.tenant_feature_state"
}
q -d $old -c "COPY (SELECT tenant_id, user_id, feature_id, usage_timestamp FROM adoption.feature_usage_events) TO STDOUT" |
	q -d $new -c "COPY adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp) FROM STDIN"
[ "$(q -d $old -c "SELECT count(*) FROM adoption.user_feature_state")" -gt 0 ] && [ "$(state $old)" = "$(state $new)" ]
ok $? "the update recomputed the state: equal to the same events ingested by a fresh $current"
q -d $old -c "SET ROLE adoption_app; INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id) VALUES ('t1', 'u1', 'f1')" >/dev/null
ok $? "adoption_app ingests into the upgraded database"

for db in $old $new; do
	q -d postgres -c "DROP DATABASE IF EXISTS $db"
done
plan
[ "$failed" = 0 ]
