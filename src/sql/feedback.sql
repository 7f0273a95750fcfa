/*
 * feedback.sql: feedback categorization (docs/design.md §4): the insight
 * function (its type, adoption.feedback_insight, is declared with the table
 * adoption.feedback in inputs.sql), the per-tenant lexicon, the triggers
 * that store the insight with each feedback row and enqueue its actions,
 * and the feedback views.
 * The categorizer is C (src/textcat/, src/feedback.c).
 */

CREATE FUNCTION adoption.categorize_feedback(body text, score integer DEFAULT NULL, tenant_id text DEFAULT NULL)
RETURNS adoption.feedback_insight
AS 'MODULE_PATHNAME', 'adoption_categorize_feedback'
LANGUAGE C STABLE PARALLEL RESTRICTED;
COMMENT ON FUNCTION adoption.categorize_feedback(text, integer, text) IS 'Categorizes a feedback text with the built-in lexicon, the global rows of adoption.lexicon and those of tenant_id; score is an NPS answer (0-10) or NULL';

/*
 * The lexicon: rows without a tenant apply to everyone, a tenant's rows to
 * it alone; both override the built-in phrases with the same term (and
 * category slot; positive and negative share one).  weight 0 switches a
 * term off.
 */
CREATE TABLE adoption.lexicon (
	tenant_id text,
	term text NOT NULL,
	category text NOT NULL CHECK (category IN ('pain_point', 'feature_request', 'value_driver',
		'success_indicator', 'positive', 'negative')),
	theme text,
	weight real NOT NULL DEFAULT 1 CHECK (weight >= 0 AND weight <= 10),
	created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	CONSTRAINT lexicon_tenant_id_not_empty CHECK (tenant_id IS NULL OR pg_catalog.btrim(tenant_id) <> ''),
	CONSTRAINT lexicon_theme_not_empty CHECK (theme IS NULL OR pg_catalog.btrim(theme) <> '')
);
/* One row per term and slot: positive and negative are one slot (a term has one valence). */
CREATE UNIQUE INDEX lexicon_tenant_term ON adoption.lexicon (tenant_id, term,
	(CASE WHEN category IN ('positive', 'negative') THEN 'sentiment' ELSE category END));
CREATE UNIQUE INDEX lexicon_global_term ON adoption.lexicon (term,
	(CASE WHEN category IN ('positive', 'negative') THEN 'sentiment' ELSE category END)) WHERE tenant_id IS NULL;
COMMENT ON TABLE adoption.lexicon IS 'Phrases for feedback categorization: rows without tenant_id for everyone, others for one tenant; they override the built-in phrases of the same term';
COMMENT ON COLUMN adoption.lexicon.term IS 'Word or phrase, matched case-insensitively on word boundaries; a number or # matches any number ("saved # hours"); stored normalized (lower case, singular, words separated by one space, numbers as #)';
COMMENT ON COLUMN adoption.lexicon.category IS 'pain_point, feature_request, value_driver, success_indicator, positive or negative (the last two move sentiment by weight)';
COMMENT ON COLUMN adoption.lexicon.theme IS 'Theme reported when the term matches (NULL: the term itself; for feature_request NULL makes the term a request cue such as "please add")';
COMMENT ON COLUMN adoption.lexicon.weight IS 'Valence of positive and negative terms (good is about 2, terrible 3) and the positive valence a success_indicator adds; for other categories any weight above 0 enables the term; 0 switches it off';

CREATE FUNCTION adoption.check_lexicon()
RETURNS trigger
AS 'MODULE_PATHNAME', 'adoption_check_lexicon'
LANGUAGE C;
COMMENT ON FUNCTION adoption.check_lexicon() IS 'BEFORE ROW trigger of adoption.lexicon: rejects terms without a word to match';
CREATE TRIGGER lexicon_check BEFORE INSERT OR UPDATE ON adoption.lexicon
	FOR EACH ROW EXECUTE FUNCTION adoption.check_lexicon();
CREATE TRIGGER lexicon_invalidate_cache
	AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON adoption.lexicon
	FOR EACH STATEMENT EXECUTE FUNCTION adoption.invalidate_cache();
SELECT pg_catalog.pg_extension_config_dump('adoption.lexicon', '');

/*
 * When a case study or a pain point follow-up was last enqueued per tenant
 * (and theme).  Named to sort before feedback: pg_restore loads table data
 * by name, and the feedback trigger must find these rows when restored
 * feedback passes through it.
 */
CREATE TABLE adoption.campaign_followups (
	tenant_id text NOT NULL,
	kind text NOT NULL CHECK (kind IN ('case_study', 'pain_point_followup')),
	theme text NOT NULL,
	feedback_id text NOT NULL,
	enqueued_at timestamptz NOT NULL,
	PRIMARY KEY (tenant_id, kind, theme)
);
COMMENT ON TABLE adoption.campaign_followups IS 'Internal: the last case_study (theme empty) and pain_point_followup per tenant and theme, for the 30-day limit';
SELECT pg_catalog.pg_extension_config_dump('adoption.campaign_followups', '');

/* New catalog features are words the categorizer looks for (events.sql invalidates on update and delete). */
CREATE TRIGGER features_invalidate_cache_insert
	AFTER INSERT ON adoption.features REFERENCING NEW TABLE AS changed
	FOR EACH STATEMENT EXECUTE FUNCTION adoption.invalidate_cache();

CREATE FUNCTION adoption.feedback_insight()
RETURNS trigger
AS 'MODULE_PATHNAME', 'adoption_feedback_insight'
LANGUAGE C;
COMMENT ON FUNCTION adoption.feedback_insight() IS 'BEFORE ROW trigger of adoption.feedback: stores the insight of the row (runs after the validator, by name); a row inserted with its themes (a restore) keeps its insight';
CREATE TRIGGER feedback_insight BEFORE INSERT OR UPDATE OF tenant_id, channel, score, body ON adoption.feedback
	FOR EACH ROW EXECUTE FUNCTION adoption.feedback_insight();

CREATE FUNCTION adoption.feedback_actions()
RETURNS trigger
AS 'MODULE_PATHNAME', 'adoption_feedback_actions'
LANGUAGE C;
COMMENT ON FUNCTION adoption.feedback_actions() IS 'AFTER INSERT statement trigger of adoption.feedback: enqueues case_study and pain_point_followup actions';
CREATE TRIGGER feedback_actions AFTER INSERT ON adoption.feedback
	REFERENCING NEW TABLE AS new_feedback
	FOR EACH STATEMENT EXECUTE FUNCTION adoption.feedback_actions();

CREATE VIEW adoption.nps WITH (security_invoker = true) AS
SELECT f.tenant_id,
	(pg_catalog.date_trunc('month', f.created_at AT TIME ZONE 'UTC'))::date AS month,
	count(*) AS responses,
	count(*) FILTER (WHERE f.score >= 9) AS promoters,
	count(*) FILTER (WHERE f.score BETWEEN 7 AND 8) AS passives,
	count(*) FILTER (WHERE f.score <= 6) AS detractors,
	round(100.0 * (count(*) FILTER (WHERE f.score >= 9) - count(*) FILTER (WHERE f.score <= 6)) / count(*), 1) AS nps
FROM adoption.feedback AS f
WHERE f.channel OPERATOR(pg_catalog.=) 'nps' AND f.score IS NOT NULL
GROUP BY f.tenant_id, 2;
COMMENT ON VIEW adoption.nps IS 'Net promoter score per tenant and month (UTC) of the nps answers';
COMMENT ON COLUMN adoption.nps.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.nps.month IS 'First day of the month (UTC) the answers were given';
COMMENT ON COLUMN adoption.nps.responses IS 'NPS answers with a score';
COMMENT ON COLUMN adoption.nps.promoters IS 'Answers 9-10';
COMMENT ON COLUMN adoption.nps.passives IS 'Answers 7-8';
COMMENT ON COLUMN adoption.nps.detractors IS 'Answers 0-6';
COMMENT ON COLUMN adoption.nps.nps IS '% promoters - % detractors, -100 to 100';

CREATE VIEW adoption.feedback_themes WITH (security_invoker = true) AS
SELECT c.theme, c.category,
	(pg_catalog.date_trunc('week', f.created_at AT TIME ZONE 'UTC'))::date AS week,
	count(*) AS mentions,
	count(DISTINCT f.tenant_id) AS tenants,
	round(avg(f.sentiment)::numeric, 3) AS mean_sentiment
FROM adoption.feedback AS f
CROSS JOIN LATERAL (
	SELECT t, 'pain_point'::text FROM pg_catalog.unnest(f.pain_points) AS t
	UNION ALL SELECT t, 'feature_request' FROM pg_catalog.unnest(f.feature_requests) AS t
	UNION ALL SELECT t, 'value_driver' FROM pg_catalog.unnest(f.value_drivers) AS t
	UNION ALL SELECT t, 'success_indicator' FROM pg_catalog.unnest(f.success_indicators) AS t
) AS c(theme, category)
GROUP BY c.theme, c.category, 3;
COMMENT ON VIEW adoption.feedback_themes IS 'How often each theme comes up, per category and week (UTC), with the mean sentiment of the feedback that mentions it';
COMMENT ON COLUMN adoption.feedback_themes.theme IS 'Theme (e.g. performance, ease_of_use) or, for feature requests, a requested feature_id';
COMMENT ON COLUMN adoption.feedback_themes.category IS 'pain_point, feature_request, value_driver or success_indicator';
COMMENT ON COLUMN adoption.feedback_themes.week IS 'Monday of the week (UTC)';
COMMENT ON COLUMN adoption.feedback_themes.mentions IS 'Feedback rows that mention the theme';
COMMENT ON COLUMN adoption.feedback_themes.tenants IS 'Distinct tenants among them';
COMMENT ON COLUMN adoption.feedback_themes.mean_sentiment IS 'Mean sentiment (-1 to 1) of those rows';

CREATE VIEW adoption.feature_requests WITH (security_invoker = true) AS
WITH r AS (
	SELECT q.request, f.tenant_id, f.feedback_id, f.body, f.created_at
	FROM adoption.feedback AS f, pg_catalog.unnest(f.feature_requests) AS q(request)
),
per_tenant AS (
	SELECT r.request, r.tenant_id, count(*) AS requests, max(r.created_at) AS last_at
	FROM r GROUP BY r.request, r.tenant_id
)
SELECT pg_catalog.rank() OVER (ORDER BY sum(coalesce(t.arr, 0)) DESC, sum(p.requests) DESC) AS rank,
	p.request, c.feature_name, c.tier,
	count(*) AS tenants, sum(p.requests) AS requests,
	sum(coalesce(t.arr, 0)) AS requesting_arr,
	max(p.last_at) AS last_requested_at,
	(SELECT r.body FROM r WHERE r.request OPERATOR(pg_catalog.=) p.request AND r.body IS NOT NULL
		ORDER BY r.created_at DESC, r.feedback_id, r.tenant_id LIMIT 1) AS latest_text
FROM per_tenant AS p
LEFT JOIN adoption.tenants AS t ON t.tenant_id OPERATOR(pg_catalog.=) p.tenant_id
LEFT JOIN adoption.features AS c ON c.feature_id OPERATOR(pg_catalog.=) p.request
GROUP BY p.request, c.feature_name, c.tier;
COMMENT ON VIEW adoption.feature_requests IS 'What customers ask for, ranked by the ARR of the tenants asking, ties by number of requests';
COMMENT ON COLUMN adoption.feature_requests.rank IS '1 = most requested by ARR';
COMMENT ON COLUMN adoption.feature_requests.request IS 'Requested theme (e.g. dark_mode, other) or catalog feature_id';
COMMENT ON COLUMN adoption.feature_requests.feature_name IS 'Name of the catalog feature, when the request names one';
COMMENT ON COLUMN adoption.feature_requests.tier IS 'Tier of that feature (advanced and premium requests are expansion signals)';
COMMENT ON COLUMN adoption.feature_requests.tenants IS 'Tenants asking';
COMMENT ON COLUMN adoption.feature_requests.requests IS 'Feedback rows asking';
COMMENT ON COLUMN adoption.feature_requests.requesting_arr IS 'Sum of the ARR of the tenants asking (the ranking weight)';
COMMENT ON COLUMN adoption.feature_requests.last_requested_at IS 'Latest request';
COMMENT ON COLUMN adoption.feature_requests.latest_text IS 'Text of the latest request (of requests at the same time, the least feedback_id)';

CREATE VIEW adoption.pain_points WITH (security_invoker = true) AS
SELECT p.theme, t.segment, f.feature_id,
	count(*) AS mentions,
	count(DISTINCT f.tenant_id) AS tenants,
	round(avg(f.sentiment)::numeric, 3) AS mean_sentiment,
	max(f.created_at) AS last_mentioned_at,
	(pg_catalog.array_agg(f.body ORDER BY f.created_at DESC) FILTER (WHERE f.body IS NOT NULL))[1:3] AS examples
FROM adoption.feedback AS f
CROSS JOIN LATERAL pg_catalog.unnest(f.pain_points) AS p(theme)
LEFT JOIN adoption.tenants AS t ON t.tenant_id OPERATOR(pg_catalog.=) f.tenant_id
GROUP BY p.theme, t.segment, f.feature_id;
COMMENT ON VIEW adoption.pain_points IS 'Pain points by theme, tenant segment and feature, with the latest example texts';
COMMENT ON COLUMN adoption.pain_points.theme IS 'Pain point theme (e.g. performance, reliability)';
COMMENT ON COLUMN adoption.pain_points.segment IS 'Segment of the tenants (NULL: not set)';
COMMENT ON COLUMN adoption.pain_points.feature_id IS 'Feature the feedback was about (NULL: not given)';
COMMENT ON COLUMN adoption.pain_points.mentions IS 'Feedback rows naming the pain point';
COMMENT ON COLUMN adoption.pain_points.tenants IS 'Distinct tenants among them';
COMMENT ON COLUMN adoption.pain_points.mean_sentiment IS 'Mean sentiment (-1 to 1) of those rows';
COMMENT ON COLUMN adoption.pain_points.last_mentioned_at IS 'Latest mention';
COMMENT ON COLUMN adoption.pain_points.examples IS 'Up to three texts, latest first';

CREATE FUNCTION adoption.builtin_lexicon()
RETURNS TABLE (term text, category text, theme text, weight double precision)
AS 'MODULE_PATHNAME', 'adoption_builtin_lexicon'
LANGUAGE C IMMUTABLE PARALLEL SAFE ROWS 600;
COMMENT ON FUNCTION adoption.builtin_lexicon() IS 'The built-in English phrases of feedback categorization (adoption.lexicon rows override them)';
