-- A statement with more rows than pg_adoption.engine_chunk_keys is fed to
-- the engine in passes by tenant x feature pair, so that each pass fits one
-- chunk.  The result must equal the same events in one pass (a statement
-- below the threshold), and what adoption.rebuild() recomputes.
SET TimeZone = 'UTC';
TRUNCATE adoption.feature_usage_events, adoption.user_feature_state, adoption.tenant_user_state, adoption.tenant_state,
	adoption.tenant_feature_counts, adoption.tenant_feature_milestones,
	adoption.campaign_action_queue, adoption.campaign_action_archive, adoption.campaign_action_keys;
DELETE FROM adoption.milestone_campaigns;
INSERT INTO adoption.milestone_campaigns (milestone, template_key) VALUES
	('activated', 'adoption_nudge'), ('adopted', 'adoption_success'),
	('habitual', 'adoption_success'), ('feature_adopted', 'adoption_success');

-- 6,000 events: 12 tenants x 25 users x 6 features drawn from a hash (up
-- to 1,800 keys), over 60 days, every 7th failed, every 11th arriving a day
-- late.
CREATE TEMP TABLE big AS
SELECT i AS seq,
	't' || (h % 12) AS tenant_id,
	'u' || (h / 12 % 25) AS user_id,
	'f' || (h / 300 % 6) AS feature_id,
	timestamptz '2026-03-01 00:00+00' + i * interval '14 minutes'
		- CASE WHEN i % 11 = 0 THEN interval '1 day' ELSE interval '0' END AS usage_timestamp,
	i % 7 <> 0 AS success_outcome
FROM (SELECT i, ('x' || substr(md5('big' || i), 1, 8))::bit(32)::bigint AS h
	FROM generate_series(1, 6000) AS i) AS g;
SELECT count(DISTINCT (tenant_id, user_id, feature_id)) AS keys,
	count(DISTINCT (tenant_id, feature_id)) AS pairs FROM big;

CREATE TEMP TABLE snap AS
SELECT ''::text AS run, tenant_id, feature_id, user_id, uses, successes, first_used_at, last_used_at,
	activated_at, adopted_at, habitual_at, milestone_buffer, velocity_per_week
FROM adoption.user_feature_state WITH NO DATA;
CREATE TEMP TABLE snap_pairs AS
SELECT ''::text AS run, tenant_id, feature_id, activated_users, adopted_users, habitual_users,
	active_users, active_adopters, adoption_rate, success_rate, evaluated_at, feature_adopted_at
FROM adoption.tenant_feature_state WITH NO DATA;
CREATE TEMP TABLE snap_actions AS
SELECT ''::text AS run, tenant_id, dedupe_key, template_key FROM adoption.campaign_actions WITH NO DATA;
CREATE FUNCTION pg_temp.snapshot(tag text) RETURNS void LANGUAGE sql AS $$
	INSERT INTO snap SELECT tag, tenant_id, feature_id, user_id, uses, successes, first_used_at, last_used_at,
		activated_at, adopted_at, habitual_at, milestone_buffer, velocity_per_week
	FROM adoption.user_feature_state;
	INSERT INTO snap_pairs SELECT tag, tenant_id, feature_id, activated_users, adopted_users, habitual_users,
		active_users, active_adopters, adoption_rate, success_rate, evaluated_at, feature_adopted_at
	FROM adoption.tenant_feature_state;
	INSERT INTO snap_actions SELECT tag, tenant_id, dedupe_key, template_key FROM adoption.campaign_actions;
$$;
CREATE FUNCTION pg_temp.reset() RETURNS void LANGUAGE sql AS $$
	TRUNCATE adoption.feature_usage_events, adoption.user_feature_state, adoption.tenant_user_state, adoption.tenant_state,
	adoption.tenant_feature_counts, adoption.tenant_feature_milestones,
		adoption.campaign_action_queue, adoption.campaign_action_archive, adoption.campaign_action_keys;
$$;
-- Rows of one run missing from the other, both ways (velocity within 1e-9).
CREATE FUNCTION pg_temp.diff(a text, b text) RETURNS TABLE (what text, differing bigint) LANGUAGE sql AS $$
	SELECT 'user states', count(*) FROM (
		(SELECT tenant_id, feature_id, user_id, uses, successes, first_used_at, last_used_at, activated_at,
			adopted_at, habitual_at, milestone_buffer FROM snap WHERE run = a
		 EXCEPT SELECT tenant_id, feature_id, user_id, uses, successes, first_used_at, last_used_at, activated_at,
			adopted_at, habitual_at, milestone_buffer FROM snap WHERE run = b)
		UNION ALL
		(SELECT tenant_id, feature_id, user_id, uses, successes, first_used_at, last_used_at, activated_at,
			adopted_at, habitual_at, milestone_buffer FROM snap WHERE run = b
		 EXCEPT SELECT tenant_id, feature_id, user_id, uses, successes, first_used_at, last_used_at, activated_at,
			adopted_at, habitual_at, milestone_buffer FROM snap WHERE run = a)) AS d
	UNION ALL
	SELECT 'velocities off by more than 1e-9', count(*)
	FROM snap AS x JOIN snap AS y USING (tenant_id, feature_id, user_id)
	WHERE x.run = a AND y.run = b
		AND abs(x.velocity_per_week - y.velocity_per_week) > 1e-9 * y.velocity_per_week
	UNION ALL
	SELECT 'tenant x feature states', count(*) FROM (
		(SELECT tenant_id, feature_id, activated_users, adopted_users, habitual_users, active_users,
			active_adopters, adoption_rate, success_rate, evaluated_at, feature_adopted_at
		 FROM snap_pairs WHERE run = a
		 EXCEPT SELECT tenant_id, feature_id, activated_users, adopted_users, habitual_users, active_users,
			active_adopters, adoption_rate, success_rate, evaluated_at, feature_adopted_at
		 FROM snap_pairs WHERE run = b)
		UNION ALL
		(SELECT tenant_id, feature_id, activated_users, adopted_users, habitual_users, active_users,
			active_adopters, adoption_rate, success_rate, evaluated_at, feature_adopted_at
		 FROM snap_pairs WHERE run = b
		 EXCEPT SELECT tenant_id, feature_id, activated_users, adopted_users, habitual_users, active_users,
			active_adopters, adoption_rate, success_rate, evaluated_at, feature_adopted_at
		 FROM snap_pairs WHERE run = a)) AS d
	UNION ALL
	SELECT 'actions', count(*) FROM (
		(SELECT tenant_id, dedupe_key, template_key FROM snap_actions WHERE run = a
		 EXCEPT SELECT tenant_id, dedupe_key, template_key FROM snap_actions WHERE run = b)
		UNION ALL
		(SELECT tenant_id, dedupe_key, template_key FROM snap_actions WHERE run = b
		 EXCEPT SELECT tenant_id, dedupe_key, template_key FROM snap_actions WHERE run = a)) AS d
$$;

-- One pass: 6,000 rows are below the default of 100,000 keys.
SHOW pg_adoption.engine_chunk_keys;
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome)
SELECT tenant_id, user_id, feature_id, usage_timestamp, success_outcome FROM big ORDER BY seq;
SELECT pg_temp.snapshot('one pass');

-- Passes: at most 200 keys a chunk, so the 6,000 rows (more than 200) are
-- sketched first; about 1,800 keys / (0.7 x 200) = 13 passes.
SELECT pg_temp.reset();
SET pg_adoption.engine_chunk_keys = 200;
SET client_min_messages = debug1;
INSERT INTO adoption.feature_usage_events (tenant_id, user_id, feature_id, usage_timestamp, success_outcome)
SELECT tenant_id, user_id, feature_id, usage_timestamp, success_outcome FROM big ORDER BY seq;
RESET client_min_messages;
SELECT pg_temp.snapshot('passes');

-- Rebuild (one chunk of 200 keys after another, no passes) of that state.
SELECT adoption.rebuild();
SELECT pg_temp.snapshot('rebuild');
RESET pg_adoption.engine_chunk_keys;

SELECT run, count(*) AS users, count(activated_at) AS activated, count(adopted_at) AS adopted,
	count(habitual_at) AS habitual, sum(uses) AS uses
FROM snap GROUP BY run ORDER BY run;
SELECT run, count(*) AS pairs, count(feature_adopted_at) AS feature_adopted FROM snap_pairs GROUP BY run ORDER BY run;
SELECT run, template_key, count(*) FROM snap_actions GROUP BY run, template_key ORDER BY run, template_key;
SELECT * FROM pg_temp.diff('one pass', 'passes');
SELECT * FROM pg_temp.diff('passes', 'rebuild');

-- Out of range: a clear error.
SET pg_adoption.engine_chunk_keys = 10;
SET pg_adoption.no_such_setting = 1;

DELETE FROM adoption.milestone_campaigns;
INSERT INTO adoption.milestone_campaigns (milestone, template_key) VALUES
	('habitual', 'adoption_success'), ('feature_adopted', 'adoption_success');
SELECT pg_temp.reset();
