-- pgTAP: messaging opportunities (issue 18 part 3).  Values by hand from
-- the feedback below:
--   smb a1 (ARR 1000), a2 (2000), a3 (500); ent b1 (10000).
--   reports has the upgrade feature report_builder; mobile_app is launched
--   on 2026-05-01; a3 has adopted mobile_app.
--   p1 a1 Mar, about reports:    performance      -> fix report_builder (upgrade)
--   p2 a2 Apr, about mobile_app: reliability      -> fix mobile_app (launched after)
--   p3 a2 Jun, about mobile_app: reliability      -> none (launched before it)
--   p4 a3 Apr, about mobile_app: reliability      -> none (a3 adopted it)
--   p5 a1 Mar, about reports:    pricing          -> none (no feature fixes a price)
--   v1 a1, v2 a2: ease_of_use;  v3 b1: support_quality
--   s1 a1 Apr, s2 a2 today: retention with numbers (s2 becomes a case study);
--   s3 a1: revenue without a number (no proof point)
BEGIN;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION pg_adoption;
SET client_min_messages = warning;
SELECT plan(16);

INSERT INTO adoption.features (feature_id, feature_name) VALUES ('report_builder', 'Report builder'),
	('mobile_app', 'Mobile app');
INSERT INTO adoption.features (feature_id, feature_name, upgrade_feature_id) VALUES ('reports', 'Reports', 'report_builder');
INSERT INTO adoption.launches (launch_id, feature_id, launched_at) VALUES ('m1', 'mobile_app', '2026-05-01 00:00+00');
INSERT INTO adoption.tenants (tenant_id, segment, arr) VALUES ('a1', 'smb', 1000), ('a2', 'smb', 2000),
	('a3', 'smb', 500), ('b1', 'ent', 10000);
INSERT INTO adoption.user_feature_state (tenant_id, feature_id, user_id, first_used_at, last_used_at, adopted_at)
VALUES ('a3', 'mobile_app', 'u', '2026-05-02+00', '2026-05-20+00', '2026-05-10+00');
INSERT INTO adoption.feedback (tenant_id, feedback_id, feature_id, channel, score, body, created_at) VALUES
	('a1', 'p1', 'reports', 'nps', 3, 'The reports are slow.', '2026-03-01 00:00+00'),
	('a2', 'p2', 'mobile_app', 'support', NULL, 'The app crashes every day.', '2026-04-01 00:00+00'),
	('a2', 'p3', 'mobile_app', 'support', NULL, 'The app crashes every day.', '2026-06-01 00:00+00'),
	('a3', 'p4', 'mobile_app', 'support', NULL, 'The app crashes every day.', '2026-04-02 00:00+00'),
	('a1', 'p5', 'reports', 'support', NULL, 'The reports are too expensive.', '2026-03-02 00:00+00'),
	('a1', 'v1', NULL, 'nps', 10, 'Really easy to use.', '2026-04-10 00:00+00'),
	('a2', 'v2', NULL, 'review', 5, 'Really easy to use.', '2026-04-11 00:00+00'),
	('b1', 'v3', NULL, 'nps', 9, 'Great support team, very helpful.', '2026-04-12 00:00+00'),
	('a1', 's1', NULL, 'nps', 10, 'Churn dropped from 6% to 4%.', '2026-04-15 00:00+00'),
	('a2', 's2', NULL, 'nps', 10, 'Renewals rose from 80% to 90%.', now()),
	('a1', 's3', NULL, 'nps', 9, 'Revenue went up.', '2026-04-20 00:00+00');

SELECT results_eq($$SELECT feedback_id, pain_points, value_drivers, success_indicators FROM adoption.feedback
	ORDER BY feedback_id$$,
	$$VALUES ('p1', '{performance}'::text[], '{}'::text[], '{}'::text[]), ('p2', '{reliability}', '{}', '{}'),
		('p3', '{reliability}', '{}', '{}'), ('p4', '{reliability}', '{}', '{}'), ('p5', '{pricing}', '{}', '{}'),
		('s1', '{}', '{}', '{retention}'), ('s2', '{}', '{}', '{retention}'), ('s3', '{}', '{}', '{revenue}'),
		('v1', '{}', '{ease_of_use}', '{}'), ('v2', '{}', '{ease_of_use}', '{}'), ('v3', '{}', '{support_quality}', '{}')$$,
	'the texts carry the themes the hand values use');

SELECT results_eq($$SELECT tenants, mentions, arr, score = mentions * mean_sentiment * 3000, suggested_template
	FROM adoption.messaging_opportunities
	WHERE segment = 'smb' AND kind = 'lead_with' AND theme = 'ease_of_use' AND NOT per_feature$$,
	$$VALUES (2::bigint, 2::bigint, 3000::numeric, true, NULL::text)$$,
	'lead with ease_of_use in smb: a1 and a2, ARR 3000, score mentions x sentiment x ARR');
SELECT is((SELECT mean_sentiment FROM adoption.messaging_opportunities
	WHERE segment = 'smb' AND kind = 'lead_with' AND theme = 'ease_of_use' AND NOT per_feature),
	(SELECT round(avg(sentiment)::numeric, 3) FROM adoption.feedback WHERE feedback_id IN ('v1', 'v2')),
	'its mean sentiment is that of v1 and v2');
SELECT results_eq($$SELECT segment, theme, tenants, arr FROM adoption.messaging_opportunities
	WHERE kind = 'lead_with' AND NOT per_feature ORDER BY segment, theme$$,
	$$VALUES ('ent', 'support_quality', 1::bigint, 10000::numeric), ('smb', 'ease_of_use', 2, 3000)$$,
	'one lead per segment and value driver');

SELECT results_eq($$SELECT theme, tenants, mentions, arr, score, evidence, case_studies, suggested_template
	FROM adoption.messaging_opportunities WHERE kind = 'proof_point' AND NOT per_feature ORDER BY segment, theme$$,
	$$VALUES ('retention', 2::bigint, 2::bigint, 3000::numeric, 6000::numeric, '{s2,s1}'::text[], '{s2}'::text[], 'case_study')$$,
	'proof point retention: s1 and s2 with numbers (s2 latest, enqueued as a case study); no revenue proof without a number');

SELECT results_eq($$SELECT theme, feature_id, fix_feature_id, tenants, target_tenants, evidence, arr, suggested_template
	FROM adoption.messaging_opportunities WHERE kind = 'announce_fix' ORDER BY theme$$,
	$$VALUES ('performance', 'reports', 'report_builder', 1::bigint, '{a1}'::text[], '{p1}'::text[], 1000::numeric, 'fix_announcement'),
		('reliability', 'mobile_app', 'mobile_app', 1, '{a2}', '{p2}', 2000, 'fix_announcement')$$,
	'announce the fix: reports -> its upgrade for a1; mobile_app launched after p2 for a2 (not p3, after; not a3, adopted; not p5, pricing)');
SELECT is((SELECT count(*) FROM adoption.messaging_opportunities WHERE kind = 'announce_fix' AND NOT per_feature),
	0::bigint, 'announce_fix rows are per feature only');

SELECT is(adoption.enqueue_fix_announcements(), 2, 'two fix announcements enqueued');
SELECT results_eq($$SELECT tenant_id, feature_id, dedupe_key, reason->>'via' FROM adoption.campaign_actions
	WHERE template_key = 'fix_announcement' ORDER BY tenant_id$$,
	$$VALUES ('a1', 'report_builder', '["fix_announcement", "report_builder", "performance"]', 'upgrade'),
		('a2', 'mobile_app', '["fix_announcement", "mobile_app", "reliability"]', 'launch')$$,
	'one per tenant, fixing feature and theme, through the queue');
SELECT is(adoption.enqueue_fix_announcements(), 0, 'the dedupe keys hold on a second call');

-- The audit of issue 18 (test/tap/persona_oracle.sh).  v5, b1's praise of
-- today with a 10, is enqueued as a case study; lead_with rows carry no
-- case_studies (a proof_point column).  Ties of created_at go to the least
-- feedback_id, whatever order the rows arrived in: e2 (a2) arrives before
-- e1 (a1) at the same instant, both ease_of_use in smb, so e1 is the
-- example and leads the evidence; r2 (c1) asks for dark mode before r1 (c2)
-- at the same instant: the latest request's text is r1's.
INSERT INTO adoption.feedback (tenant_id, feedback_id, channel, score, body, created_at)
VALUES ('b1', 'v5', 'nps', 10, 'Great support team, very helpful.', now());
INSERT INTO adoption.feedback (tenant_id, feedback_id, channel, body, created_at) VALUES
	('a2', 'e2', 'survey', 'Mobile app is great, easy to use, but please add dark mode.', '2026-06-10 00:00+00');
INSERT INTO adoption.feedback (tenant_id, feedback_id, channel, body, created_at) VALUES
	('a1', 'e1', 'survey', 'Really easy to use.', '2026-06-10 00:00+00');
INSERT INTO adoption.feedback (tenant_id, feedback_id, channel, body, created_at) VALUES
	('c1', 'r2', 'survey', 'Would love a dark mode, the screen is too bright at night.', '2026-06-15 12:00+00');
INSERT INTO adoption.feedback (tenant_id, feedback_id, channel, body, created_at) VALUES
	('c2', 'r1', 'survey', 'Please add dark mode.', '2026-06-15 12:00+00');
SELECT is((SELECT feedback_id FROM adoption.campaign_followups WHERE tenant_id = 'b1' AND kind = 'case_study'),
	'v5', 'v5 was enqueued as a case study');
SELECT results_eq($$SELECT evidence, case_studies, suggested_template FROM adoption.messaging_opportunities
	WHERE segment = 'ent' AND kind = 'lead_with' AND theme = 'support_quality' AND NOT per_feature$$,
	$$VALUES ('{v5,v3}'::text[], NULL::text[], NULL::text)$$,
	'lead_with support_quality in ent: evidence v5, v3; no case_studies on a lead_with row');
SELECT results_eq($$SELECT evidence, example FROM adoption.messaging_opportunities
	WHERE segment = 'smb' AND kind = 'lead_with' AND theme = 'ease_of_use' AND NOT per_feature$$,
	$$VALUES ('{e1,e2,v2,v1}'::text[], 'Really easy to use.')$$,
	'a tie of created_at goes to the least feedback_id: e1 before e2, e1 is the example');
SELECT is((SELECT latest_text FROM adoption.feature_requests WHERE request = 'dark_mode'),
	'Please add dark mode.', 'feature_requests: of two requests at the latest instant, the text of the least feedback_id (r1)');

SET LOCAL ROLE adoption_tenant;
SET LOCAL adoption.tenant_id = 'a1';
SELECT is((SELECT array_agg(DISTINCT t) FROM adoption.messaging_opportunities, unnest(target_tenants) AS t),
	'{a1}'::text[], 'adoption_tenant sees its own opportunities only');
SELECT is((SELECT max(tenants) FROM adoption.messaging_opportunities), 1::bigint, 'built from its own feedback');
RESET ROLE;

SELECT * FROM finish();
ROLLBACK;
