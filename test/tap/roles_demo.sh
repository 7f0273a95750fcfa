#!/usr/bin/env bash
# TAP: roles, row-level security and forgetting on the demo data set
# (scripts/demo.sql, scaled down to 40 tenants and 50,000 events).  As
# adoption_tenant with adoption.tenant_id set, every table and view with a
# tenant_id shows exactly the rows the owner sees for that tenant, and with
# the setting unset none; adoption_app loads with COPY but reads no state;
# forget_user and forget_tenant leave no row of what they erased.  Uses the
# server PGHOST/PGPORT/PGUSER point at.
set -u
source "$(dirname "$0")/../lib/tap.sh"
cd "$(dirname "$0")/../.."
db=adoption_roles_demo

q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
q -d postgres -c "CREATE DATABASE $db"
q -d $db -c "SET client_min_messages = warning; CREATE EXTENSION pg_adoption" >/dev/null
q -d $db -v seed=7 -v events=50000 -v tenants=40 -f scripts/demo.sql >/dev/null
ok $? "demo data loaded (40 tenants, 50,000 events)"
loaded=$(q -d $db -c "SELECT count(*) || ' events, ' || count(DISTINCT tenant_id) || ' tenants' FROM adoption.feature_usage_events")
[ "$loaded" = "50000 events, 40 tenants" ]
ok $? "the demo loads the events it announces, exactly ($loaded)"
q -d $db -c "SELECT adoption.rescore()" >/dev/null
ok $? "rescored"

read -r ta tb <<<"$(q -d $db -c "SELECT string_agg(tenant_id, ' ' ORDER BY tenant_id) FROM (SELECT tenant_id FROM adoption.feature_usage_events GROUP BY 1 ORDER BY 1 LIMIT 2) AS t")"
rels=$(q -d $db -c "SELECT c.relname FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'
	WHERE c.relnamespace = 'adoption'::regnamespace AND c.relkind IN ('r', 'p', 'v') AND NOT c.relispartition
		AND c.relname NOT IN ('citus_pending', 'snapshot_work_target', 'snapshot_work_user_day', 'snapshot_work_active')
		ORDER BY 1")	# Citus's internal notes, snapshot_days()'s working tables: no role reads them (07_roles)
for r in $rels; do
	owner=$(q -d $db -c "SELECT count(*) FROM adoption.$r WHERE tenant_id = '$ta'")
	as_tenant=$(q -d $db -c "SET ROLE adoption_tenant; SET adoption.tenant_id = '$ta'; SELECT count(*) FILTER (WHERE tenant_id IS NOT NULL) || ':' || count(*) FILTER (WHERE tenant_id IS DISTINCT FROM '$ta' AND tenant_id IS NOT NULL) FROM adoption.$r")
	[ "$as_tenant" = "$owner:0" ]
	ok $? "adoption.$r as tenant $ta: its $owner rows, none of another tenant (product-wide rows aside)"
	unset_rows=$(q -d $db -c "SET ROLE adoption_tenant; SELECT count(*) FROM adoption.$r WHERE tenant_id IS NOT NULL")
	[ "$unset_rows" = 0 ]
	ok $? "adoption.$r with adoption.tenant_id unset: no tenant row"
done

printf '%s\tcopy-user\tcopy-feature\t%s\n' "$ta" "$(date -u +%F) 00:00:00+00" |
	q -d $db -c "SET ROLE adoption_app; COPY adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp) FROM STDIN"
ok $? "adoption_app loads events with COPY"
[ "$(q -d $db -c "SELECT uses FROM adoption.user_feature_state WHERE tenant_id = '$ta' AND user_id = 'copy-user'")" = 1 ]
ok $? "the ingest trigger kept the state of the copied event"
q -d $db -c "SET ROLE adoption_app; SELECT count(*) FROM adoption.health_scores" >/dev/null 2>&1
[ $? != 0 ]
ok $? "adoption_app may not read health_scores"

user=$(q -d $db -c "SELECT user_id FROM adoption.feature_usage_events WHERE tenant_id = '$ta' GROUP BY 1 ORDER BY count(*) DESC, 1 LIMIT 1")
q -d $db -c "SELECT adoption.forget_user('$ta', '$user')" >/dev/null
ok $? "forget_user on the busiest user of $ta"
left=$(q -d $db -c "SELECT (SELECT count(*) FROM adoption.feature_usage_events WHERE tenant_id = '$ta' AND user_id = '$user')
	+ (SELECT count(*) FROM adoption.user_feature_state WHERE tenant_id = '$ta' AND user_id = '$user')
	+ (SELECT count(*) FROM adoption.feedback WHERE tenant_id = '$ta' AND user_id = '$user')
	+ (SELECT count(*) FROM adoption.campaign_touches WHERE tenant_id = '$ta' AND user_id = '$user')
	+ (SELECT count(*) FROM adoption.campaign_actions WHERE tenant_id = '$ta' AND user_id = '$user')")
[ "$left" = 0 ]
ok $? "nothing of $user is left in $ta"
q -d $db -c "SELECT adoption.forget_tenant('$tb')" >/dev/null
ok $? "forget_tenant on $tb"
left=0
for r in $rels; do
	c=$(q -d $db -c "SELECT count(*) FROM adoption.$r WHERE tenant_id = '$tb'")
	left=$((left + c))
done
[ "$left" = 0 ]
ok $? "no table or view holds a row of $tb"

q -d postgres -c "DROP DATABASE IF EXISTS $db"
plan
[ "$failed" = 0 ]
