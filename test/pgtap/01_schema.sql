-- pgTAP: the schema of docs/design.md §2 and §3, and the errors a user can cause.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION pg_adoption;
SET client_min_messages = warning;
SELECT plan(94);

SELECT has_schema('adoption');
SELECT tables_are('adoption', ARRAY[
	'settings', 'tenants', 'features', 'launches', 'feedback', 'support_tickets',
	'billing_events', 'campaign_touches', 'feature_usage_events', 'feature_usage_events_default',
	'user_feature_state', 'tenant_user_state', 'tenant_state', 'tenant_feature_counts',
	'tenant_feature_milestones', 'campaign_templates', 'milestone_campaigns',
	'campaign_action_queue', 'campaign_action_archive', 'campaign_action_keys',
	'health_scores', 'rescore_state', 'lexicon', 'campaign_followups', 'feedback_profile',
	'daily_tenant_snapshots', 'daily_feature_snapshots', 'daily_totals', 'daily_feature_totals', 'snapshot_state',
	'campaign_snapshot_state', 'attribution_snapshots', 'lift_snapshots', 'launch_snapshots',
	'play_policy', 'tenant_play_policy', 'citus_pending',
	'snapshot_work_target', 'snapshot_work_user_day', 'snapshot_work_active', 'campaign_action_ring']
	|| ARRAY(SELECT 'campaign_action_queue_' || s FROM generate_series(0, 15) AS s));

-- The event log.
SELECT has_table('adoption', 'feature_usage_events', 'event log exists');
SELECT is(
	(SELECT relkind::text FROM pg_class WHERE oid = 'adoption.feature_usage_events'::regclass),
	'p', 'event log is partitioned');
SELECT is(
	(SELECT pg_get_partkeydef('adoption.feature_usage_events'::regclass)),
	'RANGE (usage_timestamp)', 'partitioned by range of usage_timestamp');
SELECT hasnt_pk('adoption', 'feature_usage_events', 'the parent has no index (see events.sql)');
SELECT col_is_pk('adoption', 'feature_usage_events_default', ARRAY['tenant_id', 'usage_timestamp', 'event_id'],
	'event key of the default partition is (tenant_id, usage_timestamp, event_id)');
SELECT col_type_is('adoption', 'feature_usage_events', 'event_id', 'uuid', 'col_type_is adoption, feature_usage_events, event_id, uuid');
SELECT col_type_is('adoption', 'feature_usage_events', 'tenant_id', 'text', 'col_type_is adoption, feature_usage_events, tenant_id, text');
SELECT col_type_is('adoption', 'feature_usage_events', 'user_id', 'text', 'col_type_is adoption, feature_usage_events, user_id, text');
SELECT col_type_is('adoption', 'feature_usage_events', 'feature_id', 'text', 'col_type_is adoption, feature_usage_events, feature_id, text');
SELECT col_type_is('adoption', 'feature_usage_events', 'feature_name', 'text', 'col_type_is adoption, feature_usage_events, feature_name, text');
SELECT col_type_is('adoption', 'feature_usage_events', 'usage_timestamp', 'timestamp with time zone', 'col_type_is adoption, feature_usage_events, usage_timestamp, timestamp with time zone');
SELECT col_type_is('adoption', 'feature_usage_events', 'session_duration', 'integer', 'col_type_is adoption, feature_usage_events, session_duration, integer');
SELECT col_type_is('adoption', 'feature_usage_events', 'success_outcome', 'boolean', 'col_type_is adoption, feature_usage_events, success_outcome, boolean');
SELECT col_type_is('adoption', 'feature_usage_events', 'integration_context', 'jsonb', 'col_type_is adoption, feature_usage_events, integration_context, jsonb');
SELECT col_type_is('adoption', 'feature_usage_events', 'ingested_at', 'timestamp with time zone', 'col_type_is adoption, feature_usage_events, ingested_at, timestamp with time zone');
SELECT col_not_null('adoption', 'feature_usage_events', 'tenant_id', 'col_not_null adoption, feature_usage_events, tenant_id');
SELECT col_not_null('adoption', 'feature_usage_events', 'user_id', 'col_not_null adoption, feature_usage_events, user_id');
SELECT col_not_null('adoption', 'feature_usage_events', 'feature_id', 'col_not_null adoption, feature_usage_events, feature_id');
SELECT col_is_null('adoption', 'feature_usage_events', 'feature_name', 'col_is_null adoption, feature_usage_events, feature_name');
SELECT col_default_is('adoption', 'feature_usage_events', 'session_duration', '0', 'col_default_is adoption, feature_usage_events, session_duration, 0');
SELECT col_default_is('adoption', 'feature_usage_events', 'success_outcome', 'true', 'col_default_is adoption, feature_usage_events, success_outcome, true');
SELECT col_default_is('adoption', 'feature_usage_events', 'integration_context', '{}'::jsonb, 'col_default_is adoption, feature_usage_events, integration_context, {}::jsonb');
SELECT col_has_default('adoption', 'feature_usage_events', 'event_id', 'col_has_default adoption, feature_usage_events, event_id');
SELECT col_has_default('adoption', 'feature_usage_events', 'usage_timestamp', 'col_has_default adoption, feature_usage_events, usage_timestamp');
SELECT has_trigger('adoption', 'feature_usage_events', 'track_events', 'has_trigger adoption, feature_usage_events, track_events');
SELECT trigger_is('adoption', 'feature_usage_events', 'track_events', 'adoption', 'track_events');
SELECT is(
	(SELECT tgnewtable::text FROM pg_trigger WHERE tgname = 'track_events'),
	'new_events', 'the ingest trigger has a transition table');
SELECT is(
	(SELECT p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'c')
	 FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid WHERE t.tgname = 'track_events'),
	true, 'the ingest trigger is written in C');

-- The other inputs and their keys.
SELECT col_is_pk('adoption', 'tenants', 'tenant_id', 'col_is_pk adoption, tenants, tenant_id');
SELECT col_is_pk('adoption', 'features', 'feature_id', 'col_is_pk adoption, features, feature_id');
SELECT col_is_pk('adoption', 'launches', 'launch_id', 'col_is_pk adoption, launches, launch_id');
SELECT col_is_pk('adoption', 'feedback', ARRAY['tenant_id', 'feedback_id'], 'col_is_pk adoption, feedback, ARRAY[tenant_id, feedback_id]');
SELECT col_is_pk('adoption', 'support_tickets', ARRAY['tenant_id', 'ticket_id'], 'col_is_pk adoption, support_tickets, ARRAY[tenant_id, ticket_id]');
SELECT col_is_pk('adoption', 'billing_events', ARRAY['tenant_id', 'event_id'], 'col_is_pk adoption, billing_events, ARRAY[tenant_id, event_id]');
SELECT col_is_pk('adoption', 'campaign_touches', ARRAY['tenant_id', 'touch_id'], 'col_is_pk adoption, campaign_touches, ARRAY[tenant_id, touch_id]');
SELECT col_type_is('adoption', 'tenants', 'seats_licensed', 'integer', 'col_type_is adoption, tenants, seats_licensed, integer');
SELECT col_type_is('adoption', 'tenants', 'arr', 'numeric', 'col_type_is adoption, tenants, arr, numeric');
SELECT col_type_is('adoption', 'features', 'tier', 'text', 'col_type_is adoption, features, tier, text');
SELECT col_default_is('adoption', 'features', 'tier', 'core', 'col_default_is adoption, features, tier, core');
SELECT trigger_is('adoption', 'features', 'features_upgrade_feature_exists', 'adoption', 'check_upgrade_feature', 'features.upgrade_feature_id is checked by a trigger (a self-referencing foreign key would make pg_dump warn)');
SELECT fk_ok('adoption', 'launches', 'feature_id', 'adoption', 'features', 'feature_id');
SELECT col_type_is('adoption', 'feedback', 'score', 'smallint', 'col_type_is adoption, feedback, score, smallint');
-- The insight columns of adoption.feedback are those of the type categorize_feedback() returns (LIKE).
SELECT is(
	(SELECT array_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum)
		FROM pg_attribute AS a WHERE a.attrelid = 'adoption.feedback'::regclass AND a.attnum > 10 AND NOT a.attisdropped),
	ARRAY['sentiment real', 'sentiment_label text', 'nps_category text', 'themes text[]', 'pain_points text[]',
		'feature_requests text[]', 'value_drivers text[]', 'success_indicators text[]', 'features text[]'],
	'the last nine columns of adoption.feedback are the insight');
SELECT is(
	(SELECT array_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum)
		FROM pg_attribute AS a WHERE a.attrelid = 'adoption.feedback'::regclass AND a.attnum > 10 AND NOT a.attisdropped),
	(SELECT array_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) ORDER BY a.attnum)
		FROM pg_attribute AS a WHERE a.attrelid = 'adoption.feedback_insight'::regclass AND a.attnum > 0 AND NOT a.attisdropped),
	'they are the attributes of adoption.feedback_insight, in order');
SELECT col_type_is('adoption', 'launches', 'target_adoption', 'real', 'col_type_is adoption, launches, target_adoption, real');
SELECT col_default_is('adoption', 'launches', 'target_adoption', '0.30', 'col_default_is adoption, launches, target_adoption, 0.30');
SELECT col_default_is('adoption', 'launches', 'target_days', '30', 'col_default_is adoption, launches, target_days, 30');
SELECT col_has_check('adoption', 'feedback', 'channel', 'col_has_check adoption, feedback, channel');
SELECT col_has_check('adoption', 'support_tickets', 'severity', 'col_has_check adoption, support_tickets, severity');
SELECT col_has_check('adoption', 'billing_events', 'kind', 'col_has_check adoption, billing_events, kind');
SELECT col_has_check('adoption', 'features', 'tier', 'col_has_check adoption, features, tier');

-- Settings.
SELECT is((SELECT count(*)::int FROM adoption.settings WHERE tenant_id IS NULL), 1, 'one defaults row');
SELECT is((SELECT aha_successes FROM adoption.settings WHERE tenant_id IS NULL), 3, 'aha_successes = 3');
SELECT is((SELECT usage_velocity_threshold FROM adoption.settings WHERE tenant_id IS NULL), 5, 'usage_velocity_threshold = 5');
SELECT is((SELECT feature_adoption_threshold FROM adoption.settings WHERE tenant_id IS NULL), 0.70::float8, 'feature_adoption_threshold = 0.70');
SELECT is((SELECT success_outcome_rate FROM adoption.settings WHERE tenant_id IS NULL), 0.80::float8, 'success_outcome_rate = 0.80');
SELECT is((SELECT active_window FROM adoption.settings WHERE tenant_id IS NULL), interval '30 days', 'active_window = 30 days');
SELECT is((SELECT nudge_after FROM adoption.settings WHERE tenant_id IS NULL), interval '7 days', 'nudge_after = 7 days');
SELECT is((SELECT dormant_after FROM adoption.settings WHERE tenant_id IS NULL), interval '30 days', 'dormant_after = 30 days');
SELECT is((SELECT max_future_skew FROM adoption.settings WHERE tenant_id IS NULL), interval '1 day', 'max_future_skew = 1 day');
SELECT is((SELECT max_attempts FROM adoption.settings WHERE tenant_id IS NULL), 5, 'max_attempts = 5');

-- Functions.
SELECT has_function('adoption', 'ensure_partitions', ARRAY['integer'], 'has_function adoption, ensure_partitions, ARRAY[integer]');
SELECT function_returns('adoption', 'ensure_partitions', ARRAY['integer'], 'integer', 'function_returns adoption, ensure_partitions, ARRAY[integer], integer');
SELECT function_lang_is('adoption', 'track_events', 'c', 'function_lang_is adoption, track_events, c');
SELECT function_lang_is('adoption', 'check_input', 'c', 'function_lang_is adoption, check_input, c');

-- Errors a user can cause, by SQLSTATE.
SELECT throws_ok($$INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id) VALUES ('', 'u', 'f')$$,
	'23514', 'tenant_id must not be empty', 'empty tenant_id');
SELECT throws_ok($$INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id) VALUES ('t', '', 'f')$$,
	'23514', 'user_id must not be empty', 'empty user_id');
SELECT throws_ok($$INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id) VALUES ('t', 'u', ' ')$$,
	'23514', 'feature_id must not be empty', 'blank feature_id');
SELECT throws_ok($$INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id) VALUES (NULL, 'u', 'f')$$,
	'23502', NULL, 'NULL tenant_id');
SELECT throws_ok($$INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, session_duration) VALUES ('t', 'u', 'f', -1)$$,
	'23514', 'session_duration must not be negative: -1', 'negative session_duration');
SELECT throws_ok($$INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, integration_context) VALUES ('t', 'u', 'f', '[]')$$,
	'22023', 'integration_context must be a JSON object, not []', 'array integration_context');
SELECT throws_ok($$INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, integration_context) VALUES ('t', 'u', 'f', '"web"')$$,
	'22023', 'integration_context must be a JSON object, not "web"', 'string integration_context');
SELECT throws_ok($$INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp) VALUES ('t', 'u', 'f', now() + interval '2 days')$$,
	'22023', NULL, 'event two days ahead');
SELECT throws_ok($$INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp) VALUES ('t', 'u', 'f', 'infinity')$$,
	'22008', 'usage_timestamp must be a finite time, not infinity', 'infinite event time');
SELECT throws_ok($$INSERT INTO adoption.feedback (tenant_id, channel) VALUES ('t', 'fax')$$,
	'23514', 'invalid channel "fax" for adoption.feedback', 'unknown channel');
SELECT throws_ok($$INSERT INTO adoption.feedback (tenant_id, channel, score) VALUES ('t', 'csat', 6)$$,
	'23514', 'score 6 is out of range for csat feedback', 'CSAT score 6');
SELECT throws_ok($$INSERT INTO adoption.support_tickets (tenant_id, ticket_id, severity) VALUES ('t', 'k', 'blocker')$$,
	'23514', 'invalid severity "blocker" for adoption.support_tickets', 'unknown severity');
SELECT throws_ok($$INSERT INTO adoption.billing_events (tenant_id, event_id, kind) VALUES ('t', 'b', 'chargeback')$$,
	'23514', 'invalid kind "chargeback" for adoption.billing_events', 'unknown billing kind');
SELECT throws_ok($$INSERT INTO adoption.features (feature_id, tier) VALUES ('x', 'gold')$$,
	'23514', 'invalid tier "gold" for adoption.features', 'unknown tier');
SELECT throws_ok($$SELECT adoption.ensure_partitions(-3)$$,
	'22023', 'months_ahead must be between 0 and 120, not -3', 'negative months_ahead');
SELECT throws_ok($$UPDATE adoption.settings SET aha_successes = 0 WHERE tenant_id IS NULL$$,
	'23514', NULL, 'aha_successes 0');

-- Good rows go in, resends are no-ops.
SELECT lives_ok($$INSERT INTO adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, usage_timestamp)
	VALUES ('00000000-0000-0000-0000-0000000000f1', 'tap', 'u', 'f', '2026-01-01 00:00+00')$$, 'a good event');
SELECT lives_ok($$INSERT INTO adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, usage_timestamp)
	VALUES ('00000000-0000-0000-0000-0000000000f1', 'tap', 'u', 'f', '2026-01-01 00:00+00') ON CONFLICT DO NOTHING$$, 'a resent event');
SELECT is((SELECT count(*)::int FROM adoption.feature_usage_events WHERE tenant_id = 'tap'), 1, 'stored once');
SELECT is((SELECT count(*)::int FROM adoption.tenants WHERE tenant_id = 'tap'), 1, 'tenant registered');
SELECT is((SELECT count(*)::int FROM adoption.features WHERE feature_id = 'f'), 1, 'feature registered');
SELECT throws_ok($$INSERT INTO adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, usage_timestamp)
	VALUES ('00000000-0000-0000-0000-0000000000f1', 'tap', 'u', 'f', '2026-01-01 00:00+00')$$, '23505', NULL, 'resend without ON CONFLICT');
SELECT is((SELECT count(*)::int FROM adoption.feature_usage_events_default WHERE tenant_id = 'tap'), 1, 'no partition yet: default partition');
SELECT cmp_ok(adoption.ensure_partitions(0), '>=', 2, 'ensure_partitions creates this month and the waiting one');
SELECT is((SELECT tableoid::regclass::text FROM adoption.feature_usage_events WHERE tenant_id = 'tap'),
	'adoption.feature_usage_events_p202601', 'moved to its month');
SELECT col_is_pk('adoption', 'feature_usage_events_p202601', ARRAY['tenant_id', 'usage_timestamp', 'event_id'],
	'a monthly partition has the event key');
SELECT throws_ok($$INSERT INTO adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, usage_timestamp)
	VALUES ('00000000-0000-0000-0000-0000000000f1', 'tap', 'u', 'f', '2026-01-01 00:00+00')$$, '23505', NULL, 'the key holds in the new partition');

SELECT * FROM finish();
ROLLBACK;
