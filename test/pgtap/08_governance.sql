-- pgTAP: adoption.forget_user() and adoption.forget_tenant() (docs/design.md §9).
-- forget_user erases what names the user and leaves the tenant's adoption
-- state equal to what ingesting the remaining events gives (checked against
-- a copy of the tenant loaded without the user); forget_tenant leaves no row
-- of the tenant anywhere.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION pg_adoption;
SET client_min_messages = warning;
SET TimeZone = 'UTC';

-- t1: u1..u4 each use f1 six times (adopted, habitual); u1 alone uses f2 four
-- times (adopted; 1 of t1's 4 active users, so t1 has not adopted f2 as a
-- tenant).  t2: the same users on f1.
INSERT INTO adoption.features (feature_id, feature_name) VALUES ('f1', 'Feature one'), ('f2', 'Feature two');
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome)
SELECT t, 'u' || u, 'f1', now() - interval '3 days' + (u * 10 + i) * interval '1 hour', i <> 2
FROM unnest(ARRAY['t1', 't2']) AS t, generate_series(1, 4) AS u, generate_series(1, 6) AS i
ORDER BY t, u, i;
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
SELECT 't1', 'u1', 'f2', now() - interval '2 days' + i * interval '1 hour' FROM generate_series(1, 4) AS i;
INSERT INTO adoption.feedback (tenant_id, user_id, channel, score, body, created_at) VALUES
	('t1', 'u1', 'nps', 2, 'So slow', now() - interval '1 day'), ('t1', 'u2', 'nps', 9, 'Fine', now() - interval '1 day'),
	('t2', 'u1', 'nps', 2, 'So slow', now() - interval '1 day');
INSERT INTO adoption.campaign_touches (tenant_id, user_id, campaign_id) VALUES
	('t1', 'u1', 'c1'), ('t1', 'u1', 'c2'), ('t1', NULL, 'c1'), ('t2', 'u1', 'c1');
INSERT INTO adoption.support_tickets (tenant_id, ticket_id) VALUES ('t1', 'k1'), ('t2', 'k1');
INSERT INTO adoption.billing_events (tenant_id, event_id, kind) VALUES ('t1', 'b1', 'refund'), ('t2', 'b1', 'refund');
INSERT INTO adoption.settings (tenant_id, aha_successes) VALUES ('t2', 4);
INSERT INTO adoption.lexicon (tenant_id, term, category) VALUES ('t2', 'wobbly', 'pain_point');
SELECT adoption.rescore();
SELECT adoption.snapshot_adoption();
-- One of u1's actions is finished (the archive), the rest wait in the queue.
SELECT adoption.complete_action(a.action_id) FROM adoption.claim_actions('w', 1000) AS a;
SELECT adoption.fail_action(a.action_id, 'later') FROM adoption.claim_actions('w', 1000) AS a;
UPDATE adoption.campaign_action_queue SET available_at = now() - interval '1 day';
SELECT adoption.complete_action(a.action_id) FROM adoption.claim_actions('w', 1) AS a;

-- What forget_user('t1', 'u1') should delete, counted beforehand.
CREATE TEMP TABLE before AS
SELECT (SELECT count(*) FROM adoption.feature_usage_events WHERE tenant_id = 't1' AND user_id = 'u1') AS events,
	(SELECT count(*) FROM adoption.user_feature_state WHERE tenant_id = 't1' AND user_id = 'u1') AS state,
	(SELECT count(*) FROM adoption.feedback WHERE tenant_id = 't1' AND user_id = 'u1') AS feedback,
	(SELECT count(*) FROM adoption.campaign_touches WHERE tenant_id = 't1' AND user_id = 'u1') AS touches,
	(SELECT count(*) FROM adoption.campaign_action_queue WHERE tenant_id = 't1' AND user_id = 'u1') AS queue,
	(SELECT count(*) FROM adoption.campaign_action_archive WHERE tenant_id = 't1' AND user_id = 'u1') AS archive,
	(SELECT count(*) FROM adoption.feature_usage_events WHERE tenant_id = 't1' AND user_id <> 'u1') AS remaining,
	(SELECT count(*) FROM adoption.feature_usage_events WHERE tenant_id = 't2') AS t2_events,
	(SELECT count(*) FROM adoption.campaign_actions WHERE tenant_id = 't2') AS t2_actions;

-- The expected state: t1's other events loaded, in arrival order, into a copy tenant.
INSERT INTO adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, usage_timestamp,
	session_duration, success_outcome, integration_context)
SELECT e.event_id, 't1copy', e.user_id, e.feature_id, e.usage_timestamp, e.session_duration, e.success_outcome,
	e.integration_context
FROM adoption.feature_usage_events AS e WHERE e.tenant_id = 't1' AND e.user_id <> 'u1' ORDER BY e.arrival_seq;

/* Rows of tenant t in relation rel of schema adoption. */
CREATE FUNCTION pg_temp.rows_of(rel text, t text) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
	n bigint;
BEGIN
	EXECUTE format('SELECT count(*) FROM adoption.%I WHERE tenant_id = $1', rel) INTO n USING t;
	RETURN n;
END
$$;
CREATE TEMP TABLE tenant_relations AS
SELECT c.relname::text AS rel
FROM pg_class AS c
JOIN pg_attribute AS a ON a.attrelid = c.oid AND a.attname = 'tenant_id' AND NOT a.attisdropped
WHERE c.relnamespace = 'adoption'::regnamespace AND c.relkind IN ('r', 'p', 'v') AND NOT c.relispartition;

SELECT plan(27);

SELECT is((SELECT row(s.activated_users, s.adopted_users, s.feature_adopted_at IS NOT NULL)::text
		FROM adoption.tenant_feature_state AS s WHERE s.tenant_id = 't1' AND s.feature_id = 'f2'), '(1,1,f)',
	'before: u1 alone adopted f2 in t1 (1 of 4 active users: no tenant milestone)');
SELECT ok((SELECT b.events = 10 AND b.state = 2 AND b.feedback = 1 AND b.touches = 2 AND b.queue + b.archive > 0 FROM before AS b),
	'before: u1 has 10 events, 2 state rows, 1 feedback, 2 touches and actions in t1');

SELECT is(adoption.forget_user('t1', 'u1'),
	(SELECT jsonb_build_object('feature_usage_events', b.events, 'user_feature_state', b.state,
		'feedback', b.feedback, 'campaign_touches', b.touches, 'campaign_action_queue', b.queue,
		'campaign_action_archive', b.archive, 'campaign_action_keys', b.queue + b.archive,
		'events_replayed', b.remaining) FROM before AS b),
	'forget_user returns the rows it deleted per table and the events replayed');

SELECT is((SELECT count(*) FROM adoption.feature_usage_events WHERE tenant_id = 't1' AND user_id = 'u1')
	+ (SELECT count(*) FROM adoption.user_feature_state WHERE tenant_id = 't1' AND user_id = 'u1')
	+ (SELECT count(*) FROM adoption.feedback WHERE tenant_id = 't1' AND user_id = 'u1')
	+ (SELECT count(*) FROM adoption.campaign_touches WHERE tenant_id = 't1' AND user_id = 'u1')
	+ (SELECT count(*) FROM adoption.campaign_actions WHERE tenant_id = 't1' AND user_id = 'u1'), 0::bigint,
	'no event, state, feedback, touch or action of u1 is left in t1');
SELECT is((SELECT count(*) FROM adoption.campaign_action_keys WHERE tenant_id = 't1' AND dedupe_key LIKE '%"u1"%'), 0::bigint,
	'no dedupe key naming u1 is left in t1');
SELECT is((SELECT count(*) FROM adoption.campaign_touches WHERE tenant_id = 't1' AND user_id IS NULL), 1::bigint,
	'the tenant-level touch of t1 stays');
SELECT is((SELECT count(*) FROM adoption.campaign_action_keys AS k WHERE k.tenant_id = 't1'
		AND NOT EXISTS (SELECT FROM adoption.campaign_actions AS a WHERE a.tenant_id = k.tenant_id AND a.action_id = k.action_id)),
	0::bigint, 'every remaining key of t1 has its action');
SELECT ok((SELECT count(*) = b.t2_events FROM adoption.feature_usage_events, before AS b WHERE tenant_id = 't2' GROUP BY b.t2_events)
	AND (SELECT count(*) = b.t2_actions FROM adoption.campaign_actions, before AS b WHERE tenant_id = 't2' GROUP BY b.t2_actions)
	AND EXISTS (SELECT FROM adoption.feedback WHERE tenant_id = 't2' AND user_id = 'u1')
	AND EXISTS (SELECT FROM adoption.campaign_touches WHERE tenant_id = 't2' AND user_id = 'u1'),
	'u1 of t2 (another person with the same id) keeps everything');

-- The tenant state u1 fed: recomputed, equal to loading t1 without u1.
SELECT is((SELECT count(*) FROM adoption.tenant_feature_state AS s WHERE s.tenant_id = 't1' AND s.feature_id = 'f2'), 0::bigint,
	'f2, used by u1 alone, has no tenant state in t1 any more');
SELECT is((SELECT row(s.activated_users, s.adopted_users, s.habitual_users)::text
		FROM adoption.tenant_feature_state AS s WHERE s.tenant_id = 't1' AND s.feature_id = 'f1'), '(3,3,3)',
	'f1 in t1 counts 3 activated, adopted and habitual users instead of 4');
SELECT set_eq(
	$$SELECT feature_id, activated_users, adopted_users, habitual_users, active_users, active_adopters,
		adoption_rate, success_rate, evaluated_at, feature_adopted_at
	FROM adoption.tenant_feature_state WHERE tenant_id = 't1'$$,
	$$SELECT feature_id, activated_users, adopted_users, habitual_users, active_users, active_adopters,
		adoption_rate, success_rate, evaluated_at, feature_adopted_at
	FROM adoption.tenant_feature_state WHERE tenant_id = 't1copy'$$,
	'tenant_feature_state of t1 after forget_user equals that of the remaining events ingested afresh');
SELECT set_eq(
	$$SELECT user_id, first_seen_at, last_seen_at, uses, successes, activity FROM adoption.tenant_user_state WHERE tenant_id = 't1'$$,
	$$SELECT user_id, first_seen_at, last_seen_at, uses, successes, activity FROM adoption.tenant_user_state WHERE tenant_id = 't1copy'$$,
	'tenant_user_state of t1 after forget_user equals that of the remaining events ingested afresh');
SELECT set_eq(
	$$SELECT first_event_at, last_event_at, users, active_users, uses, successes FROM adoption.tenant_state WHERE tenant_id = 't1'$$,
	$$SELECT first_event_at, last_event_at, users, active_users, uses, successes FROM adoption.tenant_state WHERE tenant_id = 't1copy'$$,
	'tenant_state of t1 after forget_user equals that of the remaining events ingested afresh');
SELECT set_eq(
	$$SELECT feature_id, user_id, first_used_at, last_used_at, uses, successes, total_duration,
		round(velocity_per_week::numeric, 9), activated_at, adopted_at, habitual_at
	FROM adoption.user_feature_state WHERE tenant_id = 't1'$$,
	$$SELECT feature_id, user_id, first_used_at, last_used_at, uses, successes, total_duration,
		round(velocity_per_week::numeric, 9), activated_at, adopted_at, habitual_at
	FROM adoption.user_feature_state WHERE tenant_id = 't1copy'$$,
	'user_feature_state of t1 after forget_user equals that of the remaining events ingested afresh');

SELECT adoption.snapshot_adoption(NULL, NULL, 't1copy') > 0 AS t1copy_snapshots;
SELECT set_eq(
	$$SELECT feature_id, day, active_users, active_adopters, active_habitual, activated_users, adopted_users,
		habitual_users, new_adopters FROM adoption.adoption_daily WHERE tenant_id = 't1'$$,
	$$SELECT feature_id, day, active_users, active_adopters, active_habitual, activated_users, adopted_users,
		habitual_users, new_adopters FROM adoption.adoption_daily WHERE tenant_id = 't1copy'$$,
	'the daily snapshots of t1 after forget_user equal those of the remaining events ingested afresh');
SELECT is((SELECT sum(active_users)::bigint FROM adoption.tenant_activity_daily AS t WHERE t.day = (now() AT TIME ZONE 'UTC')::date),
	(SELECT active_users FROM adoption.feature_adoption_daily WHERE feature_id = 'f1' AND day = (now() AT TIME ZONE 'UTC')::date)::bigint,
	'the across-tenant totals of today follow (every tenant''s active users)');

-- A user who comes back is a new user: its keys went, its milestones act again.
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp)
SELECT 't1', 'u1', 'f1', now() - interval '1 day' + i * interval '1 hour' FROM generate_series(1, 5) AS i;
SELECT is(ARRAY(SELECT a.reason->>'milestone' FROM adoption.campaign_actions AS a
		WHERE a.tenant_id = 't1' AND a.user_id = 'u1' ORDER BY 1), '{habitual}',
	'u1 coming back to t1 becomes habitual again and is enqueued adoption_success again');

-- Errors.
SELECT throws_ok($$SELECT adoption.forget_user('nobody', 'u1')$$, 'P0002', 'tenant "nobody" does not exist',
	'forget_user: unknown tenant');
SELECT throws_ok($$SELECT adoption.forget_user('t1', 'ghost')$$, 'P0002', 'user "ghost" of tenant "t1" does not exist',
	'forget_user: unknown user');
SELECT throws_ok($$SELECT adoption.forget_user('t1', NULL)$$, '22023', 'user_id must not be NULL or empty',
	'forget_user: NULL user');
SELECT throws_ok($$SELECT adoption.forget_tenant('')$$, '22023', 'tenant_id must not be NULL or empty',
	'forget_tenant: empty tenant');
INSERT INTO adoption.support_tickets (tenant_id, ticket_id) VALUES ('tickets-only', 'k1');
SELECT is(adoption.forget_tenant('tickets-only')->'support_tickets', '1'::jsonb,
	'forget_tenant knows a tenant that only sent tickets (only events register tenants)');

-- forget_tenant: nothing of t2 anywhere, t1 untouched.
CREATE TEMP TABLE t1_before AS
SELECT (SELECT count(*) FROM adoption.feature_usage_events WHERE tenant_id = 't1') AS events,
	(SELECT count(*) FROM adoption.campaign_actions WHERE tenant_id = 't1') AS actions;
CREATE TEMP TABLE t2_tables AS
SELECT r.rel FROM tenant_relations AS r JOIN pg_class AS c ON c.relname = r.rel AND c.relkind IN ('r', 'p')
	AND c.relnamespace = 'adoption'::regnamespace
WHERE pg_temp.rows_of(r.rel, 't2') > 0;
SELECT is(ARRAY(SELECT c.key FROM jsonb_each(adoption.forget_tenant('t2')) AS c WHERE c.value::bigint > 0 ORDER BY 1),
	ARRAY(SELECT t.rel FROM t2_tables AS t ORDER BY 1),
	'forget_tenant(''t2'') reports rows deleted from each table that held some');
SELECT is(ARRAY(SELECT r.rel FROM tenant_relations AS r WHERE pg_temp.rows_of(r.rel, 't2') > 0 ORDER BY 1), '{}',
	'no table or view of the extension holds a row of t2');
SELECT ok((SELECT count(*) FROM adoption.feature_usage_events WHERE tenant_id = 't1') = (SELECT events FROM t1_before)
	AND (SELECT count(*) FROM adoption.campaign_actions WHERE tenant_id = 't1') = (SELECT actions FROM t1_before),
	'forget_tenant(''t2'') leaves t1 alone');
SELECT throws_ok($$SELECT adoption.forget_tenant('t2')$$, 'P0002', 'tenant "t2" does not exist',
	'forget_tenant: a forgotten tenant is unknown');
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id) VALUES ('t2', 'u1', 'f1');
SELECT is((SELECT row(t.tenant_id, s.uses)::text FROM adoption.tenants AS t
		JOIN adoption.user_feature_state AS s ON s.tenant_id = t.tenant_id WHERE t.tenant_id = 't2'), '(t2,1)',
	'a forgotten tenant that sends an event again is registered again (the tenant cache was emptied) and starts afresh');

SELECT * FROM finish();
ROLLBACK;
