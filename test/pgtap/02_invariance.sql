-- pgTAP: batch invariance and rebuild equality on 100,000 generated events
-- (docs/design.md §3): the state after loading the events in one statement equals the
-- state after loading them one statement each, in the same order, and
-- equals what adoption.rebuild() recomputes; the same actions are enqueued.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION pg_adoption;
SET client_min_messages = warning;
SET TimeZone = 'UTC';
-- Chunks of 5,000 keys: the one-statement load is fed to the engine in
-- passes by tenant x feature pair, and rebuild() flushes several chunks.
SET pg_adoption.engine_chunk_keys = 5000;
SELECT plan(12);

-- Every milestone enqueues, so that actions are compared too.
INSERT INTO adoption.milestone_campaigns (milestone, template_key) VALUES
	('activated', 'adoption_nudge'), ('adopted', 'adoption_success');
-- One tenant with overrides, to exercise per-tenant settings.
INSERT INTO adoption.settings (tenant_id, aha_successes, usage_velocity_threshold, active_window)
VALUES ('t7', 2, 3, '10 days');

-- 100,000 events: 50 tenants x 40 users x 10 features (20,000 keys, more
-- than one engine chunk of 5,000), over 90 days, about 10% failed, and one event in
-- 20 arriving late (up to 10 days older than its neighbours).
CREATE TEMP TABLE gen AS
SELECT i,
	('x' || substr(md5('e' || i), 1, 8))::bit(32)::bigint AS h
FROM generate_series(1, 100000) AS i;
CREATE TEMP TABLE events AS
SELECT i AS seq,
	md5('event' || i)::uuid AS event_id,
	't' || (h % 50) AS tenant_id,
	'u' || ((h / 50) % 40) AS user_id,
	'f' || least((h / 2000) % 16, 9) AS feature_id,
	timestamptz '2026-01-01 00:00+00' + (i * interval '90 days') / 100000
		- CASE WHEN (h / 32000) % 20 = 0 THEN ((h / 640000) % 240) * interval '1 hour' ELSE interval '0' END
		AS usage_timestamp,
	((h / 7) % 600)::int AS session_duration,
	(h / 13) % 10 <> 0 AS success_outcome
FROM gen;

CREATE TEMP TABLE snap_users AS SELECT ''::text AS tag, tenant_id, feature_id, user_id, first_used_at, last_used_at,
	uses, successes, total_duration, velocity_per_week, activated_at, adopted_at, habitual_at, milestone_buffer
	FROM adoption.user_feature_state WITH NO DATA;
CREATE TEMP TABLE snap_tenants AS SELECT ''::text AS tag, tenant_id, feature_id, activated_users, adopted_users,
	habitual_users, active_users, active_adopters, adoption_rate, success_rate, evaluated_at, feature_adopted_at
	FROM adoption.tenant_feature_state WITH NO DATA;
CREATE TEMP TABLE snap_actions AS SELECT ''::text AS tag, tenant_id, dedupe_key, template_key, reason
	FROM adoption.campaign_actions WITH NO DATA;

CREATE FUNCTION pg_temp.snapshot(tag text) RETURNS void LANGUAGE sql AS $$
	INSERT INTO snap_users SELECT tag, tenant_id, feature_id, user_id, first_used_at, last_used_at, uses,
		successes, total_duration, velocity_per_week, activated_at, adopted_at, habitual_at, milestone_buffer
	FROM adoption.user_feature_state;
	INSERT INTO snap_tenants SELECT tag, tenant_id, feature_id, activated_users, adopted_users, habitual_users,
		active_users, active_adopters, adoption_rate, success_rate, evaluated_at, feature_adopted_at
	FROM adoption.tenant_feature_state;
	INSERT INTO snap_actions SELECT tag, tenant_id, dedupe_key, template_key, reason FROM adoption.campaign_actions;
$$;
CREATE FUNCTION pg_temp.reset() RETURNS void LANGUAGE sql AS $$
	TRUNCATE adoption.feature_usage_events, adoption.user_feature_state, adoption.tenant_user_state, adoption.tenant_state,
	adoption.tenant_feature_counts, adoption.tenant_feature_milestones,
		adoption.campaign_action_queue, adoption.campaign_action_archive, adoption.campaign_action_keys;
$$;

-- Run 1: one statement.
INSERT INTO adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, usage_timestamp,
	session_duration, success_outcome)
SELECT event_id, tenant_id, user_id, feature_id, usage_timestamp, session_duration, success_outcome
FROM events ORDER BY seq;
SELECT is((SELECT count(*) FROM adoption.feature_usage_events), 100000::bigint, 'batch: 100,000 events stored');
SELECT pg_temp.snapshot('batch');

-- Rebuild of the batch-loaded state.
SELECT is(adoption.rebuild(), 100000::bigint, 'rebuild replays 100,000 events');
SELECT pg_temp.snapshot('rebuild');

-- Run 2: one statement per event, same order.
SELECT pg_temp.reset();
DO $$
DECLARE
	e record;
BEGIN
	FOR e IN SELECT * FROM events ORDER BY seq LOOP
		INSERT INTO adoption.feature_usage_events (event_id, tenant_id, user_id, feature_id, usage_timestamp,
			session_duration, success_outcome)
		VALUES (e.event_id, e.tenant_id, e.user_id, e.feature_id, e.usage_timestamp, e.session_duration,
			e.success_outcome);
	END LOOP;
END
$$;
SELECT pg_temp.snapshot('single');

-- Differences between two snapshots: exact on everything but velocity,
-- velocity within 1e-9 relative.
CREATE FUNCTION pg_temp.user_diff(a text, b text) RETURNS bigint LANGUAGE sql AS $$
	SELECT count(*) FROM (
		(SELECT tenant_id, feature_id, user_id, first_used_at, last_used_at, uses, successes, total_duration,
			activated_at, adopted_at, habitual_at, milestone_buffer FROM snap_users WHERE tag = a
		 EXCEPT SELECT tenant_id, feature_id, user_id, first_used_at, last_used_at, uses, successes, total_duration,
			activated_at, adopted_at, habitual_at, milestone_buffer FROM snap_users WHERE tag = b)
		UNION ALL
		(SELECT tenant_id, feature_id, user_id, first_used_at, last_used_at, uses, successes, total_duration,
			activated_at, adopted_at, habitual_at, milestone_buffer FROM snap_users WHERE tag = b
		 EXCEPT SELECT tenant_id, feature_id, user_id, first_used_at, last_used_at, uses, successes, total_duration,
			activated_at, adopted_at, habitual_at, milestone_buffer FROM snap_users WHERE tag = a)) AS d
$$;
CREATE FUNCTION pg_temp.velocity_diff(a text, b text) RETURNS double precision LANGUAGE sql AS $$
	SELECT max(abs(x.velocity_per_week - y.velocity_per_week) / y.velocity_per_week)
	FROM snap_users AS x JOIN snap_users AS y USING (tenant_id, feature_id, user_id)
	WHERE x.tag = a AND y.tag = b
$$;
CREATE FUNCTION pg_temp.tenant_diff(a text, b text) RETURNS bigint LANGUAGE sql AS $$
	SELECT count(*) FROM (
		(SELECT tenant_id, feature_id, activated_users, adopted_users, habitual_users, active_users, active_adopters,
			adoption_rate, success_rate, evaluated_at, feature_adopted_at FROM snap_tenants WHERE tag = a
		 EXCEPT SELECT tenant_id, feature_id, activated_users, adopted_users, habitual_users, active_users,
			active_adopters, adoption_rate, success_rate, evaluated_at, feature_adopted_at FROM snap_tenants WHERE tag = b)
		UNION ALL
		(SELECT tenant_id, feature_id, activated_users, adopted_users, habitual_users, active_users, active_adopters,
			adoption_rate, success_rate, evaluated_at, feature_adopted_at FROM snap_tenants WHERE tag = b
		 EXCEPT SELECT tenant_id, feature_id, activated_users, adopted_users, habitual_users, active_users,
			active_adopters, adoption_rate, success_rate, evaluated_at, feature_adopted_at FROM snap_tenants WHERE tag = a)) AS d
$$;
CREATE FUNCTION pg_temp.evidence(dedupe_key text, reason jsonb) RETURNS jsonb LANGUAGE sql AS $$
	SELECT CASE WHEN dedupe_key LIKE '["feature_adopted",%' THEN NULL ELSE reason - 'velocity_per_week' END
$$;
CREATE FUNCTION pg_temp.action_diff(a text, b text) RETURNS bigint LANGUAGE sql AS $$
	/*
	 * The evidence of a user milestone is its state at the event that reached
	 * it, in arrival order, so it is the same however the events were cut
	 * into statements.  A tenant's feature_adopted is evaluated per statement
	 * over the events known then: with late events its first evidence can
	 * differ (its state does not, see tenant_diff), so only its key and
	 * template are compared.
	 */
	SELECT count(*) FROM (
		(SELECT tenant_id, dedupe_key, template_key, pg_temp.evidence(dedupe_key, reason) FROM snap_actions WHERE tag = a
		 EXCEPT SELECT tenant_id, dedupe_key, template_key, pg_temp.evidence(dedupe_key, reason) FROM snap_actions WHERE tag = b)
		UNION ALL
		(SELECT tenant_id, dedupe_key, template_key, pg_temp.evidence(dedupe_key, reason) FROM snap_actions WHERE tag = b
		 EXCEPT SELECT tenant_id, dedupe_key, template_key, pg_temp.evidence(dedupe_key, reason) FROM snap_actions WHERE tag = a)) AS d
$$;

SELECT cmp_ok((SELECT count(*) FROM snap_users WHERE tag = 'batch'), '>', 5000::bigint, 'more user x feature states than one engine chunk holds (5,000 here)');
SELECT cmp_ok((SELECT count(*) FROM snap_users WHERE tag = 'batch' AND habitual_at IS NOT NULL), '>', 0::bigint,
	'some users are habitual');
SELECT cmp_ok((SELECT count(*) FROM snap_tenants WHERE tag = 'batch' AND feature_adopted_at IS NOT NULL), '>', 0::bigint,
	'some tenants adopted a feature');
SELECT is(pg_temp.user_diff('batch', 'single'), 0::bigint, 'batch invariance: user states equal');
SELECT cmp_ok(pg_temp.velocity_diff('batch', 'single'), '<', 1e-9::float8, 'batch invariance: velocities within 1e-9');
SELECT is(pg_temp.tenant_diff('batch', 'single'), 0::bigint, 'batch invariance: tenant states equal');
SELECT is(pg_temp.action_diff('batch', 'single'), 0::bigint, 'batch invariance: the same actions, user milestones with the same evidence (velocity aside)');
SELECT is(pg_temp.user_diff('batch', 'rebuild'), 0::bigint, 'rebuild: user states equal');
SELECT cmp_ok(pg_temp.velocity_diff('batch', 'rebuild'), '<', 1e-9::float8, 'rebuild: velocities within 1e-9');
SELECT is(pg_temp.tenant_diff('batch', 'rebuild'), 0::bigint, 'rebuild: tenant states equal');

SELECT * FROM finish();
ROLLBACK;
