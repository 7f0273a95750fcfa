-- Feedback categorization: each rule of the sentiment, phrase matching,
-- tenant lexicons and cache invalidation, the insight stored with
-- feedback rows, the actions and the views.  Sentiment values depend on the
-- lexicon's weights, so the rules are checked as comparisons and signs.
SET TimeZone = 'UTC';
TRUNCATE adoption.feedback, adoption.campaign_followups, adoption.lexicon,
	adoption.campaign_action_queue, adoption.campaign_action_archive, adoption.campaign_action_keys;
CREATE FUNCTION pg_temp.s(body text) RETURNS real LANGUAGE sql AS
$$ SELECT (adoption.categorize_feedback(body)).sentiment $$;

-- 1. Sentiment rules.
SELECT pg_temp.s('The app is good') > 0 AS positive_word,
	pg_temp.s('The app is bad') < 0 AS negative_word,
	pg_temp.s('The app is very good') > pg_temp.s('The app is good') AS intensifier,
	pg_temp.s('The app is slightly good') < pg_temp.s('The app is good') AS dampener,
	pg_temp.s('The app is not good') < 0 AS negation,
	pg_temp.s('The app is never reliable') < 0 AS negation_never,
	pg_temp.s('The app isn''t good') < 0 AS negation_contraction,
	pg_temp.s('The app is good!!') > pg_temp.s('The app is good') AS exclamation,
	pg_temp.s('The app is GOOD') > pg_temp.s('The app is good') AS all_caps,
	pg_temp.s('The setup was painful, but the support is great') > 0 AS but_second_clause_wins,
	pg_temp.s('The support is great, but the setup was painful') < 0 AS but_other_way,
	pg_temp.s('It is soooo goood') > 0 AS elongation,
	pg_temp.s('works :)') > pg_temp.s('works :(') AS emoticons;
-- Sentiment stays in [-1, 1] however much is said.
SELECT min(s) >= -1 AND max(s) <= 1 AS bounded
FROM (VALUES (pg_temp.s(repeat('great amazing love ', 500))), (pg_temp.s(repeat('terrible awful hate ', 500)))) AS v(s);
-- Labels at +-0.05.
SELECT sentiment_label FROM adoption.categorize_feedback('I love it');
SELECT sentiment_label FROM adoption.categorize_feedback('I hate it');
SELECT sentiment, sentiment_label FROM adoption.categorize_feedback('The meeting is on Tuesday');

-- 2. Themes: whole words, multi-word phrases, categories.
SELECT pain_points FROM adoption.categorize_feedback('Reports load so slowly');
SELECT pain_points FROM adoption.categorize_feedback('Exporting takes forever and the app crashes');
SELECT pain_points AS not_a_whole_word_match FROM adoption.categorize_feedback('We sailed to the lagoon and saw a slowworm');
SELECT feature_requests FROM adoption.categorize_feedback('Please add dark mode');
SELECT success_indicators FROM adoption.categorize_feedback('We saved 10 hours a week');
SELECT value_drivers FROM adoption.categorize_feedback('So easy to use, and the support team is great');
SELECT themes = pain_points || feature_requests || value_drivers || success_indicators AS themes_is_the_union
FROM adoption.categorize_feedback('Slow reports, please add dark mode, but it saved us 5 hours and it is easy to use');

-- 3. NPS categories from the score.
SELECT s, (adoption.categorize_feedback('ok', s)).nps_category FROM unnest(ARRAY[0, 6, 7, 8, 9, 10]) AS s;
SELECT nps_category FROM adoption.categorize_feedback('ok');

-- 4. Catalog features named in the text (by id or name).
INSERT INTO adoption.features (feature_id, feature_name, tier) VALUES ('report_builder', 'Report Builder', 'premium')
ON CONFLICT (feature_id) DO UPDATE SET feature_name = excluded.feature_name, tier = excluded.tier;
SELECT features FROM adoption.categorize_feedback('The report builder is confusing');
SELECT features, feature_requests FROM adoption.categorize_feedback('Would love to get Report Builder on our plan');

-- 5. The lexicon: a tenant override, a global row, switching a term off;
-- every change is seen by the next call in the same session.
SELECT pain_points FROM adoption.categorize_feedback('The sync is flaky', NULL, 'acme');
INSERT INTO adoption.lexicon (tenant_id, term, category, theme) VALUES ('acme', 'flaky', 'pain_point', 'integrations');
SELECT pain_points FROM adoption.categorize_feedback('The sync is flaky', NULL, 'acme');
SELECT pain_points FROM adoption.categorize_feedback('The sync is flaky', NULL, 'other');
INSERT INTO adoption.lexicon (tenant_id, term, category, theme) VALUES (NULL, 'flaky', 'pain_point', 'reliability');
SELECT pain_points FROM adoption.categorize_feedback('The sync is flaky', NULL, 'other');
SELECT pain_points FROM adoption.categorize_feedback('The sync is flaky', NULL, 'acme') AS tenant_row_wins;
-- A tenant's own word for slowness overrides the built-in theme of "slow" for it only.
INSERT INTO adoption.lexicon (tenant_id, term, category, theme) VALUES ('acme', 'slow', 'pain_point', 'speed');
SELECT (adoption.categorize_feedback('so slow', NULL, 'acme')).pain_points AS acme,
	(adoption.categorize_feedback('so slow', NULL, 'other')).pain_points AS other;
-- weight 0 switches a term off.
INSERT INTO adoption.lexicon (tenant_id, term, category, theme, weight) VALUES ('acme', 'crash', 'pain_point', NULL, 0);
SELECT (adoption.categorize_feedback('it crashes', NULL, 'acme')).pain_points AS acme,
	(adoption.categorize_feedback('it crashes', NULL, 'other')).pain_points AS other;
-- Sentiment words of a tenant.
INSERT INTO adoption.lexicon (tenant_id, term, category, weight) VALUES ('acme', 'bananas', 'positive', 3);
SELECT (adoption.categorize_feedback('this is bananas', NULL, 'acme')).sentiment > 0 AS acme,
	(adoption.categorize_feedback('this is bananas', NULL, 'other')).sentiment = 0 AS other;
-- (stored normalized: lower case, singular)
DELETE FROM adoption.lexicon WHERE term = 'banana' RETURNING term;
SELECT (adoption.categorize_feedback('this is bananas', NULL, 'acme')).sentiment = 0 AS forgotten;

-- 6. Bad input: defined results or clear errors.
SELECT * FROM adoption.categorize_feedback(NULL);
SELECT * FROM adoption.categorize_feedback('');
SELECT * FROM adoption.categorize_feedback('?!... ,,, ---');
SELECT sentiment_label, pain_points FROM adoption.categorize_feedback(repeat('The export is slow. ', 52429));
SELECT sentiment_label FROM adoption.categorize_feedback(E'bad \\xff\\xfe bytes and a \u00e9t\u00e9 word');
SELECT adoption.categorize_feedback('ok', 11);
SELECT adoption.categorize_feedback('ok', -1);
\set VERBOSITY terse
INSERT INTO adoption.lexicon (term, category) VALUES ('', 'pain_point');
INSERT INTO adoption.lexicon (term, category) VALUES ('!!!', 'pain_point');
INSERT INTO adoption.lexicon (term, category) VALUES ('slow', 'complaint');
INSERT INTO adoption.lexicon (term, category, weight) VALUES ('slow', 'negative', -1);
INSERT INTO adoption.lexicon (term, category, weight) VALUES ('slow', 'negative', 'NaN');
INSERT INTO adoption.lexicon (tenant_id, term, category) VALUES ('', 'slow', 'negative');
INSERT INTO adoption.lexicon (tenant_id, term, category) VALUES ('acme', 'slow', 'pain_point');
INSERT INTO adoption.lexicon (tenant_id, term, category) VALUES ('acme', '  SLOW ', 'pain_point');
INSERT INTO adoption.lexicon (tenant_id, term, category) VALUES ('acme', 'sick', 'positive'), ('acme', 'sick', 'negative');
\set VERBOSITY default
-- Terms are stored normalized.
INSERT INTO adoption.lexicon (tenant_id, term, category, theme) VALUES ('acme', 'Saved  $500 on Licenses!', 'success_indicator', 'cost_saved');
SELECT term FROM adoption.lexicon WHERE theme = 'cost_saved';
SELECT success_indicators FROM adoption.categorize_feedback('We saved $1,200 on licenses', NULL, 'acme');

-- 7. Feedback rows get their insight on insert and on update of the text.
INSERT INTO adoption.feedback (tenant_id, feedback_id, user_id, channel, score, body) VALUES
	('fb', 'f1', 'u1', 'nps', 10, 'Love it! The automation saved us 5 hours a week.'),
	('fb', 'f2', 'u2', 'nps', 9, 'Great product, easy to use.'),
	('fb', 'f3', 'u3', 'nps', 2, 'So slow, and it crashes every day.'),
	('fb', 'f4', 'u4', 'nps', 3, 'Dashboards are slow.'),
	('fb', 'f5', 'u5', 'csat', 5, 'Wonderful support, thank you!'),
	('fb', 'f6', 'u6', 'survey', NULL, NULL);
SELECT feedback_id, sentiment_label, nps_category, pain_points, value_drivers, success_indicators
FROM adoption.feedback WHERE tenant_id = 'fb' ORDER BY feedback_id;
UPDATE adoption.feedback SET body = 'Now it is fast and reliable' WHERE feedback_id = 'f4';
SELECT feedback_id, sentiment_label, pain_points FROM adoption.feedback WHERE feedback_id = 'f4';

-- 8. Actions: one case_study per tenant (the best of f1, f2, f5 in one
-- statement), one pain_point_followup per theme; within 30 days nothing
-- more; feedback older than 30 days acts not.
SELECT template_key, reason ->> 'feedback_id' AS feedback_id, reason ->> 'theme' AS theme
FROM adoption.campaign_actions WHERE tenant_id = 'fb' ORDER BY template_key, theme;
INSERT INTO adoption.feedback (tenant_id, feedback_id, channel, score, body) VALUES
	('fb', 'f7', 'nps', 10, 'Amazing, best tool ever'), ('fb', 'f8', 'nps', 0, 'Terribly slow');
SELECT count(*) AS still_three FROM adoption.campaign_actions WHERE tenant_id = 'fb';
INSERT INTO adoption.feedback (tenant_id, feedback_id, channel, score, body, created_at) VALUES
	('old', 'o1', 'nps', 10, 'Amazing, best tool ever', now() - interval '40 days'),
	('old', 'o2', 'nps', 0, 'Terribly slow', now() - interval '40 days');
SELECT count(*) AS none_for_old_feedback FROM adoption.campaign_actions WHERE tenant_id = 'old';
-- 40 days later (simulated by moving the bookkeeping back) the follow-up is due again.
UPDATE adoption.campaign_followups SET enqueued_at = enqueued_at - interval '31 days' WHERE tenant_id = 'fb' AND theme = 'performance';
INSERT INTO adoption.feedback (tenant_id, feedback_id, channel, score, body) VALUES ('fb', 'f9', 'nps', 1, 'Still slow');
SELECT template_key, reason ->> 'feedback_id' AS feedback_id FROM adoption.campaign_actions
WHERE tenant_id = 'fb' AND reason ->> 'theme' = 'performance' ORDER BY 2;

-- 9. Views.
SELECT tenant_id, month = date_trunc('month', now() AT TIME ZONE 'UTC')::date AS this_month,
	responses, promoters, passives, detractors, nps
FROM adoption.nps WHERE tenant_id = 'fb';
SELECT theme, category, mentions, tenants FROM adoption.feedback_themes
WHERE week = date_trunc('week', now() AT TIME ZONE 'UTC')::date ORDER BY category, theme;
SELECT theme, segment, feature_id, mentions, tenants, examples[1] AS latest FROM adoption.pain_points ORDER BY theme;
INSERT INTO adoption.tenants (tenant_id, arr) VALUES ('rich', 100000), ('poor', 1000)
ON CONFLICT (tenant_id) DO UPDATE SET arr = excluded.arr;
INSERT INTO adoption.feedback (tenant_id, channel, body) VALUES
	('poor', 'survey', 'Please add dark mode'), ('poor', 'survey', 'Would love dark mode'),
	('poor', 'survey', 'Please add an export to Excel'), ('rich', 'survey', 'Please add an export to Excel');
SELECT rank, request, tenants, requests, requesting_arr FROM adoption.feature_requests ORDER BY rank, request;

-- 10. A measure of money that moved the bad way is a complaint, with the
-- trained model too (it read "went up 40%" as an outcome); the good way, an outcome.
SELECT body, c.sentiment_label, c.pain_points, c.success_indicators
FROM (VALUES ('Our bill went up 40% this year.'), ('The subscription cost doubled this year.'),
	('Our hosting bill went down by 40%.')) AS t(body),
	LATERAL adoption.categorize_feedback(t.body) AS c;
