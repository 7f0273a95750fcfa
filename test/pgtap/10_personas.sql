-- pgTAP: persona profiles (issue 18 part 2).  adoption.feedback_profile is
-- kept by the feedback triggers in the same transaction; the persona views
-- per tenant and per segment read it.  Expected values are counted by hand
-- from the seven texts below and the themes each one carries (their
-- categorization is the categorizer's business, tested in 04 and
-- test/textcat; it is asserted here first so that a change there shows up
-- as such), and checked against plain SQL over adoption.feedback.
--
-- t1 (smb): f1 Jan nps 10 time_savings, ease_of_use   campaign nps_q1
--           f2 Feb nps 3  performance, feature dashboards   nps_q1
--           f3 Apr nps 9  ease_of_use                   nps_q2
--           f4 May support performance, reliability
--           f5 May survey  request dark_mode
-- t2 (smb): f6 May nps 6  reliability
-- t3 (ent): f7 Mar review 5 support_quality
-- Windows of t1 and of smb (latest month May): recent Mar-May, previous
-- Dec-Feb.
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION pg_adoption;
SET client_min_messages = warning;
SELECT plan(36);

INSERT INTO adoption.features (feature_id, feature_name) VALUES ('dashboards', 'Dashboard');
INSERT INTO adoption.tenants (tenant_id, segment, arr) VALUES ('t1', 'smb', 1000), ('t2', 'smb', 3000),
	('t3', 'ent', 50000);
INSERT INTO adoption.feedback (tenant_id, feedback_id, channel, score, body, campaign_id, created_at) VALUES
	('t1', 'f1', 'nps', 10, 'Saves us so much time, really easy to use.', 'nps_q1', '2026-01-10 09:00+00'),
	('t1', 'f2', 'nps', 3, 'The dashboard is slow.', 'nps_q1', '2026-02-05 09:00+00'),
	('t1', 'f3', 'nps', 9, 'Really easy to use.', 'nps_q2', '2026-04-20 09:00+00'),
	('t1', 'f4', 'support', NULL, 'Reports are slow and the app crashes.', NULL, '2026-05-02 09:00+00'),
	('t2', 'f6', 'nps', 6, 'The app crashes every day.', NULL, '2026-05-15 09:00+00'),
	('t3', 'f7', 'review', 5, 'Great support team, very helpful.', NULL, '2026-03-01 09:00+00');
-- a second statement, in the same transaction
INSERT INTO adoption.feedback (tenant_id, feedback_id, channel, score, body, created_at) VALUES
	('t1', 'f5', 'survey', NULL, 'Please add dark mode.', '2026-05-03 09:00+00');

SELECT results_eq($$SELECT feedback_id, pain_points, value_drivers, feature_requests, features
	FROM adoption.feedback ORDER BY feedback_id$$,
	$$VALUES ('f1', '{}'::text[], '{time_savings,ease_of_use}'::text[], '{}'::text[], '{}'::text[]),
		('f2', '{performance}', '{}', '{}', '{dashboards}'),
		('f3', '{}', '{ease_of_use}', '{}', '{}'),
		('f4', '{performance,reliability}', '{}', '{}', '{}'),
		('f5', '{}', '{}', '{dark_mode}', '{}'),
		('f6', '{reliability}', '{}', '{}', '{}'),
		('f7', '{}', '{support_quality}', '{}', '{}')$$,
	'the seven texts carry the themes the hand counts use');

-- Per tenant.
SELECT results_eq($$SELECT category, theme, mentions, share, recent_mentions, previous_mentions, trend
	FROM adoption.persona_themes WHERE tenant_id = 't1' ORDER BY category, theme$$,
	$$VALUES ('campaign', 'nps_q1', 2::bigint, 0.400, 0::bigint, 2::bigint, 'falling'),
		('campaign', 'nps_q2', 1, 0.200, 1, 0, 'rising'),
		('feature', 'dashboards', 1, 0.200, 0, 1, 'falling'),
		('feature_request', 'dark_mode', 1, 0.200, 1, 0, 'rising'),
		('pain_point', 'performance', 2, 0.400, 1, 1, 'falling'),
		('pain_point', 'reliability', 1, 0.200, 1, 0, 'rising'),
		('value_driver', 'ease_of_use', 2, 0.400, 1, 1, 'falling'),
		('value_driver', 'time_savings', 1, 0.200, 0, 1, 'falling')$$,
	't1: counts, shares, windows and trends by hand (recent 1 of 3 rows < previous 1 of 2: falling)');
SELECT results_eq($$SELECT nps_responses, nps, last_seen_at FROM adoption.persona_themes
	WHERE tenant_id = 't1' AND theme = 'ease_of_use'$$,
	$$VALUES (2::bigint, 100.0, '2026-04-20 09:00+00'::timestamptz)$$,
	'ease_of_use: two promoters, last seen in April');
SELECT is((SELECT last_seen_at FROM adoption.persona_themes WHERE tenant_id = 't1' AND theme = 'performance'),
	'2026-05-02 09:00+00'::timestamptz, 'performance last seen with f4');
SELECT is((SELECT mean_sentiment FROM adoption.persona_themes WHERE tenant_id = 't1' AND theme = 'performance'),
	(SELECT round(avg(sentiment::numeric), 3) FROM adoption.feedback WHERE feedback_id IN ('f2', 'f4')),
	'mean sentiment of the rows naming performance');

SELECT results_eq($$SELECT feedback, last_feedback_at, nps_responses, nps, recent_nps, previous_nps, nps_trend,
		value_drivers, pain_points, feature_requests, success_indicators, features_named, campaigns_answered, arr
	FROM adoption.persona_profiles WHERE tenant_id = 't1'$$,
	$$VALUES (5::bigint, '2026-05-03 09:00+00'::timestamptz, 3::bigint, 33.3, 100.0, 0.0, 100.0,
		'{ease_of_use,time_savings}'::text[], '{performance,reliability}'::text[], '{dark_mode}'::text[],
		NULL::text[], '{dashboards}'::text[], '{nps_q1,nps_q2}'::text[], 1000::numeric)$$,
	't1 profile: NPS (2 promoters - 1 detractor) / 3, recent (f3) 100, previous (f1, f2) 0; top lists');
SELECT results_eq($$SELECT mean_sentiment, recent_sentiment, previous_sentiment, sentiment_trend
	FROM adoption.persona_profiles WHERE tenant_id = 't1'$$,
	$$SELECT round(avg(sentiment::numeric), 3),
		round(avg(sentiment::numeric) FILTER (WHERE created_at >= '2026-03-01+00'), 3),
		round(avg(sentiment::numeric) FILTER (WHERE created_at < '2026-03-01+00'), 3),
		round(avg(sentiment::numeric) FILTER (WHERE created_at >= '2026-03-01+00'), 3)
			- round(avg(sentiment::numeric) FILTER (WHERE created_at < '2026-03-01+00'), 3)
	FROM adoption.feedback WHERE tenant_id = 't1'$$,
	't1 sentiment overall, recent, previous and their difference, as plain SQL over its feedback');
SELECT is((SELECT trend FROM adoption.persona_themes WHERE tenant_id = 't3' AND theme = 'support_quality'),
	NULL, 'a tenant with no feedback in the previous window has no trend');

-- Per segment.
SELECT results_eq($$SELECT segment, tenants, arr, feedback, nps_responses, nps FROM adoption.segment_personas
	ORDER BY segment$$,
	$$VALUES ('ent', 1::bigint, 50000::numeric, 1::bigint, 0::bigint, NULL::numeric),
		('smb', 2, 4000, 6, 4, 0.0)$$,
	'segments: smb NPS (2 promoters - 2 detractors) / 4, ARR 1000 + 3000');
SELECT results_eq($$SELECT segment, recent_nps, previous_nps, nps_trend FROM adoption.segment_personas
	ORDER BY segment$$,
	$$VALUES ('ent', NULL::numeric, NULL::numeric, NULL::numeric), ('smb', 0.0, 0.0, 0.0)$$,
	'smb NPS recent (f3 promoter, f6 detractor) 0, previous (f1 promoter, f2 detractor) 0, trend 0; ent none');
SELECT results_eq($$SELECT category, theme, tenants, mentions, share, recent_mentions, previous_mentions, trend
	FROM adoption.segment_persona_themes WHERE segment = 'smb' AND category = 'pain_point' ORDER BY theme$$,
	$$VALUES ('pain_point', 'performance', 1::bigint, 2::bigint, 0.333, 1::bigint, 1::bigint, 'falling'),
		('pain_point', 'reliability', 2, 2, 0.333, 2, 0, 'rising')$$,
	'smb pain points: reliability from both tenants, rising (2 of 4 recent rows, none of 2 previous)');
SELECT is((SELECT pain_points FROM adoption.segment_personas WHERE segment = 'smb'),
	'{performance,reliability}'::text[], 'smb top pain points, ties by name');

-- Feedback per campaign and per feature, per month (part 4 of the issue).
SELECT results_eq($$SELECT campaign_id, month, feedback, nps_responses, nps, pain_points, value_drivers
	FROM adoption.feedback_by_campaign ORDER BY campaign_id, month$$,
	$$VALUES ('nps_q1', '2026-01-01'::date, 1::bigint, 1::bigint, 100.0, NULL::text[], '{ease_of_use,time_savings}'::text[]),
		('nps_q1', '2026-02-01', 1, 1, -100.0, '{performance}', NULL),
		('nps_q2', '2026-04-01', 1, 1, 100.0, NULL, '{ease_of_use}')$$,
	'per campaign and month: f1 a promoter, f2 a detractor, f3 a promoter');
SELECT results_eq($$SELECT feature_id, feature_name, month, feedback, nps, pain_points, mean_sentiment
	FROM adoption.feedback_by_feature$$,
	$$SELECT 'dashboards', 'Dashboard', '2026-02-01'::date, 1::bigint, -100.0, '{performance}'::text[],
		round(sentiment::numeric, 3) FROM adoption.feedback WHERE feedback_id = 'f2'$$,
	'per feature: only f2 names one (Dashboard)');

-- Incremental equals a plain recomputation from adoption.feedback.
CREATE TEMP VIEW expected_profile AS
SELECT f.tenant_id, c.category, c.item, date_trunc('month', f.created_at AT TIME ZONE 'UTC')::date AS month,
	count(*) AS mentions, coalesce(sum(f.sentiment::numeric), 0) AS sentiment_sum, count(f.sentiment) AS sentiment_n,
	count(*) FILTER (WHERE f.channel = 'nps' AND f.score >= 9) AS promoters,
	count(*) FILTER (WHERE f.channel = 'nps' AND f.score BETWEEN 7 AND 8) AS passives,
	count(*) FILTER (WHERE f.channel = 'nps' AND f.score <= 6) AS detractors,
	max(f.created_at) AS last_at
FROM adoption.feedback AS f,
	LATERAL (SELECT 'all', '' UNION ALL SELECT 'pain_point', unnest(f.pain_points)
		UNION ALL SELECT 'feature_request', unnest(f.feature_requests)
		UNION ALL SELECT 'value_driver', unnest(f.value_drivers)
		UNION ALL SELECT 'success_indicator', unnest(f.success_indicators)
		UNION ALL SELECT 'feature', unnest(f.features)
		UNION ALL SELECT 'campaign', f.campaign_id WHERE f.campaign_id IS NOT NULL) AS c(category, item)
GROUP BY 1, 2, 3, 4;
CREATE TEMP VIEW profile AS
SELECT tenant_id, category, item, month, mentions, sentiment_sum, sentiment_n, promoters, passives, detractors, last_at
FROM adoption.feedback_profile;
SELECT set_eq('SELECT * FROM profile', 'SELECT * FROM expected_profile', 'after inserts: the profile table is the plain SQL aggregate');
SELECT is((SELECT count(*) FROM adoption.feedback_profile WHERE tenant_id = 't1' AND category = 'all'), 4::bigint,
	't1 has feedback in four months');

-- Update: f5 no longer asks for dark mode but reports a crash.
UPDATE adoption.feedback SET body = 'The app crashes.' WHERE feedback_id = 'f5';
SELECT set_eq('SELECT * FROM profile', 'SELECT * FROM expected_profile', 'after an update');
SELECT is((SELECT count(*) FROM adoption.persona_themes WHERE tenant_id = 't1' AND theme = 'dark_mode'), 0::bigint,
	'the request is gone');
SELECT is((SELECT mentions FROM adoption.persona_themes WHERE tenant_id = 't1' AND theme = 'reliability'), 2::bigint,
	'reliability is named twice');
-- Moving a row to another month and tenant touches both slices.
UPDATE adoption.feedback SET tenant_id = 't2', created_at = '2026-04-01 00:00+00' WHERE feedback_id = 'f4';
SELECT set_eq('SELECT * FROM profile', 'SELECT * FROM expected_profile', 'after moving a row between tenants and months');
SELECT is((SELECT mentions FROM adoption.persona_themes WHERE tenant_id = 't2' AND theme = 'reliability'), 2::bigint,
	't2 now names reliability twice');

-- Delete.
DELETE FROM adoption.feedback WHERE feedback_id = 'f6';
SELECT set_eq('SELECT * FROM profile', 'SELECT * FROM expected_profile', 'after a delete');
SELECT is((SELECT count(*) FROM adoption.feedback_profile WHERE tenant_id = 't2' AND month = '2026-05-01'), 0::bigint,
	'an emptied slice leaves no rows');

-- Several rows of one slice in one statement add up.
INSERT INTO adoption.feedback (tenant_id, feedback_id, channel, score, body, created_at) VALUES
	('t3', 'g1', 'nps', 10, 'Really easy to use.', '2026-03-05 00:00+00'),
	('t3', 'g2', 'nps', 8, 'Really easy to use.', '2026-03-06 00:00+00');
SELECT results_eq($$SELECT mentions, promoters, passives, last_at FROM adoption.feedback_profile
	WHERE tenant_id = 't3' AND category = 'value_driver' AND item = 'ease_of_use'$$,
	$$VALUES (2::bigint, 1::bigint, 1::bigint, '2026-03-06 00:00+00'::timestamptz)$$,
	'two rows of one statement: two mentions, one promoter, one passive, the later time');

-- Rebuild equals incremental.
CREATE TEMP TABLE before_rebuild AS SELECT * FROM profile;
SELECT is(adoption.rebuild_feedback_profiles(), (SELECT count(*) FROM before_rebuild), 'rebuild writes as many rows');
SELECT set_eq('SELECT * FROM profile', 'SELECT * FROM before_rebuild', 'rebuild equals the incremental result');
SELECT is(adoption.rebuild_feedback_profiles('t1'), (SELECT count(*) FROM before_rebuild WHERE tenant_id = 't1'),
	'rebuild of one tenant');
SELECT set_eq('SELECT * FROM profile', 'SELECT * FROM before_rebuild', 'and it changes nothing');

-- Row-level security: the tenant's role reads its own profile.
SET LOCAL ROLE adoption_tenant;
SET LOCAL adoption.tenant_id = 't2';
SELECT is((SELECT array_agg(DISTINCT tenant_id) FROM adoption.persona_themes), '{t2}'::text[],
	'adoption_tenant reads its own persona themes');
SELECT is((SELECT count(*) FROM adoption.persona_profiles), 1::bigint, 'and its own profile');
SELECT results_eq($$SELECT segment, tenants, feedback FROM adoption.segment_personas$$,
	$$VALUES ('smb', 1::bigint, 1::bigint)$$, 'segment views show it only its own share (f4; f6 was deleted)');
SET LOCAL adoption.tenant_id = '';
SELECT is((SELECT count(*) FROM adoption.persona_themes), 0::bigint, 'no tenant set: nothing');
RESET ROLE;

-- An upsert fires the AFTER UPDATE statement trigger before the AFTER
-- INSERT one (MERGE: update, delete, insert): each row counts once.  By
-- hand, u1 in May 2026: a "Great product." (+0.612372); the upsert turns a
-- into "Terrible." (-0.612372) and adds b "Great product." on the 4th: 2
-- rows, sum 0, latest the 4th (3 rows before the audit's fix).
INSERT INTO adoption.feedback (tenant_id, feedback_id, channel, body, created_at)
VALUES ('u1', 'a', 'survey', 'Great product.', '2026-05-03 00:00+00');
INSERT INTO adoption.feedback (tenant_id, feedback_id, channel, body, created_at) VALUES
	('u1', 'a', 'survey', 'Terrible.', '2026-05-03 00:00+00'), ('u1', 'b', 'survey', 'Great product.', '2026-05-04 00:00+00')
ON CONFLICT (tenant_id, feedback_id) DO UPDATE SET body = excluded.body;
SELECT results_eq($$SELECT mentions, sentiment_n, sentiment_sum, last_at FROM adoption.feedback_profile
	WHERE tenant_id = 'u1' AND category = 'all'$$,
	$$VALUES (2::bigint, 2::bigint, 0::numeric, '2026-05-04 00:00+00'::timestamptz)$$,
	'upsert: the updated row and the inserted one count once each');
-- MERGE deletes a and inserts c "Terrible." on the 5th: b and c, sum 0.
MERGE INTO adoption.feedback AS f
USING (VALUES ('u1', 'a', 'Great product.'), ('u1', 'c', 'Terrible.')) AS s (tenant_id, feedback_id, body)
ON f.tenant_id = s.tenant_id AND f.feedback_id = s.feedback_id
WHEN MATCHED THEN DELETE
WHEN NOT MATCHED THEN INSERT (tenant_id, feedback_id, channel, body, created_at)
	VALUES (s.tenant_id, s.feedback_id, 'survey', s.body, '2026-05-05 00:00+00');
SELECT results_eq($$SELECT mentions, sentiment_n, sentiment_sum, last_at FROM adoption.feedback_profile
	WHERE tenant_id = 'u1' AND category = 'all'$$,
	$$VALUES (2::bigint, 2::bigint, 0::numeric, '2026-05-05 00:00+00'::timestamptz)$$,
	'merge: the deleted row out, the inserted one in, once');
-- An upsert moving b to June while inserting d in May on the 20th: May has
-- c and d (sum 0, latest the 20th), June b (+0.612372).
INSERT INTO adoption.feedback (tenant_id, feedback_id, channel, body, created_at) VALUES
	('u1', 'b', 'survey', 'Great product.', '2026-06-10 00:00+00'), ('u1', 'd', 'survey', 'Great product.', '2026-05-20 00:00+00')
ON CONFLICT (tenant_id, feedback_id) DO UPDATE SET created_at = excluded.created_at;
SELECT results_eq($$SELECT month, mentions, sentiment_sum, last_at FROM adoption.feedback_profile
	WHERE tenant_id = 'u1' AND category = 'all' ORDER BY month$$,
	$$VALUES ('2026-05-01'::date, 2::bigint, 0::numeric, '2026-05-20 00:00+00'::timestamptz),
		('2026-06-01', 1, 0.612372, '2026-06-10 00:00+00')$$,
	'upsert moving a row to another month while inserting into the old one');

-- Truncate empties the profile.
TRUNCATE adoption.feedback;
SELECT is((SELECT count(*) FROM adoption.feedback_profile), 0::bigint, 'truncate empties the profile');

SELECT * FROM finish();
ROLLBACK;
