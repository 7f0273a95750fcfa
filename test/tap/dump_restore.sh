#!/usr/bin/env bash
# TAP: pg_dump of a database holding the extension and data, restored into a
# fresh database, has the same rows in every table of the extension, and
# ingest goes on afterwards.  Uses the server PGHOST/PGPORT/PGUSER point at.
set -u
source "$(dirname "$0")/../lib/tap.sh"
src=adoption_dump_src
dst=adoption_dump_dst
dump_dir=$(mktemp -d)
dump=$dump_dir/pg_adoption.dump
trap 'rm -rf "$dump_dir"' EXIT

for db in $src $dst; do
	q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
done
q -d postgres -c "CREATE DATABASE $src"
q -d $src >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION pg_adoption;
-- Settings: a changed default and an override.
UPDATE adoption.settings SET aha_successes = 4 WHERE tenant_id IS NULL;
INSERT INTO adoption.settings (tenant_id, usage_velocity_threshold) VALUES ('t1', 7);
INSERT INTO adoption.tenants (tenant_id, name, plan, seats_licensed, arr, segment, created_at)
VALUES ('t1', 'Tenant One', 'growth', 10, 12000, 'smb', '2025-01-01 00:00+00');
INSERT INTO adoption.features (feature_id, feature_name, tier) VALUES ('adv', 'Advanced', 'advanced');
INSERT INTO adoption.features (feature_id, feature_name, tier, upgrade_feature_id) VALUES ('core1', 'Core one', 'core', 'adv');
INSERT INTO adoption.launches (launch_id, feature_id, launched_at, campaign_id) VALUES ('l1', 'adv', '2026-01-01 00:00+00', 'c1');
-- Events in three months; two get partitions, one stays in the default.
INSERT INTO adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, feature_name, usage_timestamp, session_duration, success_outcome, integration_context)
SELECT md5('dump' || i)::uuid, 't' || (i % 5), 'u' || (i % 40), CASE WHEN i % 3 = 0 THEN 'adv' ELSE 'core1' END,
	CASE WHEN i = 7 THEN 'Core one renamed' END,
	timestamptz '2026-01-01 00:00+00' + i * interval '37 minutes', i % 300, i % 7 <> 0,
	jsonb_build_object('source', 'dump', 'campaign_influence', 'c' || (i % 3))
FROM generate_series(1, 5000) AS i;
SELECT adoption.ensure_partitions(0);
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('t9', 'u1', 'core1', '2001-01-01 00:00+00');
INSERT INTO adoption.feedback (tenant_id, feedback_id, user_id, channel, score, body, created_at)
SELECT 't' || (i % 5), 'fb' || i, 'u' || i, 'nps', i % 11, 'body ' || i, '2026-01-02 00:00+00'
FROM generate_series(1, 50) AS i;
INSERT INTO adoption.support_tickets (tenant_id, ticket_id, opened_at, severity, status)
VALUES ('t1', 'k1', '2026-01-03 00:00+00', 'high', 'open');
INSERT INTO adoption.billing_events (tenant_id, event_id, occurred_at, kind, amount)
VALUES ('t1', 'b1', '2026-01-03 00:00+00', 'payment_failed', 99.5);
INSERT INTO adoption.campaign_touches (tenant_id, user_id, campaign_id, channel, touched_at)
SELECT 't1', 'u' || i, 'c1', 'email', '2026-01-04 00:00+00' FROM generate_series(1, 20) AS i;
-- Lexicon rows (global and per tenant); the feedback above got its insight.
INSERT INTO adoption.lexicon (tenant_id, term, category, theme) VALUES (NULL, 'sluggish', 'pain_point', 'performance'),
	('t1', 'flaky sync', 'pain_point', 'integrations');
INSERT INTO adoption.feedback (tenant_id, feedback_id, channel, score, body)
VALUES ('t1', 'fb-slow', 'nps', 2, 'Sluggish and the flaky sync loses data');
-- Health history, the rescoring watermark and health actions.
SELECT adoption.rescore();
SELECT adoption.rescore(NULL, '2026-01-10 00:00+00');
SELECT adoption.snapshot_adoption();
SQL
ok $? "source database loaded"

warnings=$(pg_dump -Fc -d $src -f "$dump" 2>&1)
ok $? "pg_dump -Fc"
[ -z "$warnings" ]
ok $? "pg_dump warns about nothing (no circular foreign key on adoption.features)"
printf '%s\n' "$warnings" | why 4

# A plain dump, restored by psql as it is: no --disable-triggers, no error.
plain=$dump_dir/plain.sql
warnings=$(pg_dump -d $src -f "$plain" 2>&1)
[ $? = 0 ] && [ -z "$warnings" ]
ok $? "plain pg_dump without a warning"
q -d postgres -c "DROP DATABASE IF EXISTS ${dst}_plain" 2>/dev/null
q -d postgres -c "CREATE DATABASE ${dst}_plain"
errors=$(psql -X -q -v ON_ERROR_STOP=1 -d ${dst}_plain -f "$plain" 2>&1 >/dev/null)
[ $? = 0 ] && [ -z "$errors" ]
ok $? "the plain dump restores with psql -v ON_ERROR_STOP=1, without --disable-triggers or a message"
printf '%s\n' "$errors" | why 4
for t in adoption.features adoption.feature_usage_events adoption.user_feature_state; do
	sum="SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') FROM $t AS x"
	[ "$(q -d $src -c "$sum")" = "$(q -d ${dst}_plain -c "$sum" 2>&1)" ]
	ok $? "$t: same rows after the plain restore"
done
q -d postgres -c "DROP DATABASE IF EXISTS ${dst}_plain" 2>/dev/null
q -d postgres -c "CREATE DATABASE $dst"
pg_restore -d $dst --exit-on-error "$dump"
ok $? "pg_restore into a fresh database without errors"

# Every table of the schema (partitions included): same row count and same
# content (md5 of the sorted rows).
tables=$(q -d $src -c "SELECT c.oid::regclass FROM pg_class c WHERE c.relnamespace = 'adoption'::regnamespace AND c.relkind = 'r' ORDER BY 1::text")
for t in $tables; do
	sum="SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') FROM $t AS x"
	[ "$t" = adoption.settings ] && sum="SELECT count(*) || ':' || md5(string_agg((x.tenant_id, x.aha_successes, x.usage_velocity_threshold, x.feature_adoption_threshold, x.max_future_skew)::text, '|' ORDER BY x.tenant_id NULLS FIRST)) FROM $t AS x"
	a=$(q -d $src -c "$sum")
	b=$(q -d $dst -c "$sum" 2>&1)
	[ "$a" = "$b" ]
	ok $? "$t: ${a%%:*} rows, same content after restore"
done

[ "$(q -d $dst -c "SELECT count(*) FROM adoption.feature_usage_events")" = 5001 ]
ok $? "5001 events after restore"
[ "$(q -d $dst -c "SELECT count(*) FROM adoption.settings WHERE tenant_id IS NULL")" = 1 ]
ok $? "one defaults row after restore"
[ "$(q -d $dst -c "SELECT aha_successes FROM adoption.settings WHERE tenant_id IS NULL")" = 4 ]
ok $? "changed default kept"
[ "$(q -d $dst -c "SELECT feature_name FROM adoption.features WHERE feature_id = 'core1'")" = "Core one renamed" ]
ok $? "renamed feature kept"

# Ingest goes on: the trigger registers a new tenant, dedupe still holds,
# new partitions can be made, identities continue.
q -d $dst <<'SQL' >/dev/null
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
VALUES ('after-restore', 'u1', 'core1', '2026-01-05 00:00+00');
INSERT INTO adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, usage_timestamp)
SELECT event_id, tenant_id, user_id, feature_id, usage_timestamp FROM adoption.feature_usage_events
ON CONFLICT DO NOTHING;
INSERT INTO adoption.campaign_touches (tenant_id, user_id, campaign_id) VALUES ('t1', 'u99', 'c2');
SELECT adoption.ensure_partitions(1);
SELECT adoption.rescore('t1');
INSERT INTO adoption.feedback (tenant_id, feedback_id, channel, score, body)
VALUES ('t1', 'fb-after', 'nps', 3, 'Flaky sync again');
SQL
ok $? "ingest, resend, touches, ensure_partitions and rescore work after restore"
[ "$(q -d $dst -c "SELECT pain_points FROM adoption.feedback WHERE feedback_id = 'fb-after'")" = "{integrations}" ]
ok $? "the restored tenant lexicon categorizes new feedback"
[ "$(q -d $dst -c "SELECT count(*) FROM adoption.tenants WHERE tenant_id = 'after-restore'")" = 1 ]
ok $? "a new tenant is registered after restore"
[ "$(q -d $dst -c "SELECT count(*) FROM adoption.feature_usage_events")" = 5002 ]
ok $? "resending every event stores none twice"
# Roles, privileges and row-level security come back with the extension.
[ "$(q -d $dst -c "SET ROLE adoption_app; INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp) VALUES ('t1', 'u-app', 'core1', '2026-01-06 00:00+00'); RESET ROLE; SELECT uses FROM adoption.user_feature_state WHERE tenant_id = 't1' AND user_id = 'u-app'")" = 1 ]
ok $? "adoption_app ingests after restore (the trigger writes its state)"
[ "$(q -d $dst -c "SET ROLE adoption_tenant; SET adoption.tenant_id = 't1'; SELECT count(DISTINCT tenant_id) || ':' || min(tenant_id) FROM adoption.feature_usage_events")" = "1:t1" ]
ok $? "adoption_tenant sees only its tenant's events after restore"
q -d $dst -c "SET ROLE adoption_app; SELECT count(*) FROM adoption.health_scores" >/dev/null 2>&1
[ $? != 0 ]
ok $? "adoption_app still may not read health_scores after restore"
q -d $dst -c "SELECT 1/0" >/dev/null 2>&1
[ $? != 0 ]
ok $? "psql reports errors (sanity check of this driver)"

for db in $src $dst; do
	q -d postgres -c "DROP DATABASE IF EXISTS $db" 2>/dev/null
done
plan
[ "$failed" = 0 ]
