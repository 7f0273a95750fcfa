/*
 * profiles.sql: persona profiles of feedback, per tenant and per segment
 * (the seeds' updatePersonaProfiles).  adoption.feedback_profile is kept
 * by statement triggers of adoption.feedback (src/profiles.c) in the same
 * transaction as the feedback; the views read it.  Last, the views of
 * feedback per feature and per campaign and month, read from the feedback.
 * See docs/feedback-insights.md.
 */

CREATE TABLE adoption.feedback_profile (
	tenant_id text NOT NULL,
	category text NOT NULL CHECK (category IN ('all', 'pain_point', 'feature_request', 'value_driver',
		'success_indicator', 'feature', 'campaign')),
	item text NOT NULL,
	month date NOT NULL,
	mentions bigint NOT NULL,
	sentiment_sum numeric NOT NULL,
	sentiment_n bigint NOT NULL,
	promoters bigint NOT NULL,
	passives bigint NOT NULL,
	detractors bigint NOT NULL,
	last_at timestamptz NOT NULL,
	PRIMARY KEY (tenant_id, category, item, month)
);
COMMENT ON TABLE adoption.feedback_profile IS 'Internal, derived from adoption.feedback by its triggers (not dumped; adoption.rebuild_feedback_profiles() recomputes it): per tenant, category, item and month what the feedback says';
COMMENT ON COLUMN adoption.feedback_profile.tenant_id IS 'Tenant of the feedback';
COMMENT ON COLUMN adoption.feedback_profile.category IS 'all (item empty: every feedback row), pain_point, feature_request, value_driver, success_indicator, feature (catalog features named) or campaign (campaign_id answered)';
COMMENT ON COLUMN adoption.feedback_profile.item IS 'Theme, feature_id or campaign_id; empty for category all';
COMMENT ON COLUMN adoption.feedback_profile.month IS 'First day of the month (UTC) of the feedback''s created_at';
COMMENT ON COLUMN adoption.feedback_profile.mentions IS 'Feedback rows of the month mentioning the item';
COMMENT ON COLUMN adoption.feedback_profile.sentiment_sum IS 'Sum of their sentiment (exact: numeric)';
COMMENT ON COLUMN adoption.feedback_profile.sentiment_n IS 'Rows among them with a sentiment (a text)';
COMMENT ON COLUMN adoption.feedback_profile.promoters IS 'Rows among them with NPS category promoter';
COMMENT ON COLUMN adoption.feedback_profile.passives IS 'Rows among them with NPS category passive';
COMMENT ON COLUMN adoption.feedback_profile.detractors IS 'Rows among them with NPS category detractor';
COMMENT ON COLUMN adoption.feedback_profile.last_at IS 'Latest created_at among them';

CREATE FUNCTION adoption.feedback_profiles()
RETURNS trigger
AS 'MODULE_PATHNAME', 'adoption_feedback_profiles'
LANGUAGE C;
COMMENT ON FUNCTION adoption.feedback_profiles() IS 'AFTER statement trigger of adoption.feedback: adds inserted rows to adoption.feedback_profile, takes the old rows of an update or delete out and adds the new ones (latest times from the feedback), empties it on truncate';
CREATE TRIGGER feedback_profile_insert AFTER INSERT ON adoption.feedback
	REFERENCING NEW TABLE AS new_feedback
	FOR EACH STATEMENT EXECUTE FUNCTION adoption.feedback_profiles();
CREATE TRIGGER feedback_profile_update AFTER UPDATE ON adoption.feedback
	REFERENCING OLD TABLE AS old_feedback NEW TABLE AS new_feedback
	FOR EACH STATEMENT EXECUTE FUNCTION adoption.feedback_profiles();
CREATE TRIGGER feedback_profile_delete AFTER DELETE ON adoption.feedback
	REFERENCING OLD TABLE AS old_feedback
	FOR EACH STATEMENT EXECUTE FUNCTION adoption.feedback_profiles();
CREATE TRIGGER feedback_profile_truncate AFTER TRUNCATE ON adoption.feedback
	FOR EACH STATEMENT EXECUTE FUNCTION adoption.feedback_profiles();

CREATE FUNCTION adoption.rebuild_feedback_profiles(tenant_id text DEFAULT NULL)
RETURNS bigint
AS 'MODULE_PATHNAME', 'adoption_rebuild_feedback_profiles'
LANGUAGE C;
COMMENT ON FUNCTION adoption.rebuild_feedback_profiles(text) IS 'Recomputes adoption.feedback_profile of one tenant (or all) from adoption.feedback, with the aggregate the triggers use; blocks feedback writes until the transaction ends; returns the profile rows written';

/*
 * The persona rows of one level: per tenant (by_segment false) or per
 * segment of adoption.tenants (true; tenant_id NULL), category and item,
 * including category 'all' (item ''), whose figures are those of all the
 * group's feedback.  Windows: "recent" is the three months ending with the
 * group's latest month of feedback, "previous" the three before; the trend
 * compares the share of the group's feedback that mentions the item in
 * each (NULL when a window holds no feedback).
 */
CREATE FUNCTION adoption.persona_rows(by_segment boolean)
RETURNS TABLE (tenant_id text, segment text, category text, item text, tenants bigint,
	mentions bigint, share numeric, mean_sentiment numeric, nps_responses bigint, nps numeric,
	last_seen_at timestamptz, recent_mentions bigint, previous_mentions bigint, trend text,
	recent_sentiment numeric, previous_sentiment numeric, recent_nps numeric, previous_nps numeric)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
WITH p AS (
	SELECT CASE WHEN by_segment THEN NULL ELSE p.tenant_id END AS grp, t.segment, p.tenant_id AS tid,
		p.category, p.item, p.month, p.mentions, p.sentiment_sum, p.sentiment_n,
		p.promoters, p.passives, p.detractors, p.last_at
	FROM adoption.feedback_profile AS p
	LEFT JOIN adoption.tenants AS t ON t.tenant_id = p.tenant_id
),
last AS (
	SELECT p.grp, p.segment, max(p.month) AS last_month
	FROM p WHERE p.category = 'all'
	GROUP BY p.grp, p.segment
),
w AS (
	SELECT p.*, CASE WHEN p.month > l.last_month - interval '3 months' THEN 'recent'
		WHEN p.month > l.last_month - interval '6 months' THEN 'previous' END AS win
	FROM p JOIN last AS l ON l.grp IS NOT DISTINCT FROM p.grp AND l.segment IS NOT DISTINCT FROM p.segment
),
g AS (
	SELECT w.grp, w.segment, w.category, w.item,
		count(DISTINCT w.tid) AS tenants,
		sum(w.mentions) AS mentions,
		sum(w.sentiment_sum) AS s_sum, sum(w.sentiment_n) AS s_n,
		sum(w.promoters) AS pro, sum(w.passives) AS pas, sum(w.detractors) AS det,
		max(w.last_at) AS last_at,
		coalesce(sum(w.mentions) FILTER (WHERE w.win = 'recent'), 0) AS r_m,
		coalesce(sum(w.mentions) FILTER (WHERE w.win = 'previous'), 0) AS p_m,
		sum(w.sentiment_sum) FILTER (WHERE w.win = 'recent') AS r_s,
		sum(w.sentiment_n) FILTER (WHERE w.win = 'recent') AS r_n,
		sum(w.sentiment_sum) FILTER (WHERE w.win = 'previous') AS p_s,
		sum(w.sentiment_n) FILTER (WHERE w.win = 'previous') AS p_n,
		sum(w.promoters - w.detractors) FILTER (WHERE w.win = 'recent') AS r_net,
		sum(w.promoters + w.passives + w.detractors) FILTER (WHERE w.win = 'recent') AS r_nps_n,
		sum(w.promoters - w.detractors) FILTER (WHERE w.win = 'previous') AS p_net,
		sum(w.promoters + w.passives + w.detractors) FILTER (WHERE w.win = 'previous') AS p_nps_n
	FROM w
	GROUP BY w.grp, w.segment, w.category, w.item
)
SELECT g.grp, g.segment, g.category, g.item, g.tenants, g.mentions::bigint,
	round(g.mentions / a.mentions, 3),
	round(g.s_sum / nullif(g.s_n, 0), 3),
	(g.pro + g.pas + g.det)::bigint,
	round(100.0 * (g.pro - g.det) / nullif(g.pro + g.pas + g.det, 0), 1),
	g.last_at, g.r_m::bigint, g.p_m::bigint,
	CASE WHEN a.r_m = 0 OR a.p_m = 0 THEN NULL
		WHEN g.r_m * a.p_m > g.p_m * a.r_m THEN 'rising'
		WHEN g.r_m * a.p_m < g.p_m * a.r_m THEN 'falling'
		ELSE 'steady' END,
	round(g.r_s / nullif(g.r_n, 0), 3),
	round(g.p_s / nullif(g.p_n, 0), 3),
	round(100.0 * g.r_net / nullif(g.r_nps_n, 0), 1),
	round(100.0 * g.p_net / nullif(g.p_nps_n, 0), 1)
FROM g JOIN g AS a ON a.category = 'all' AND a.grp IS NOT DISTINCT FROM g.grp
	AND a.segment IS NOT DISTINCT FROM g.segment
$$;
COMMENT ON FUNCTION adoption.persona_rows(boolean) IS 'Internal: the rows of the persona views, per tenant (false) or per segment (true)';

CREATE VIEW adoption.persona_themes WITH (security_invoker = true) AS
SELECT r.tenant_id, r.segment, r.category, r.item AS theme, r.mentions, r.share, r.mean_sentiment,
	r.nps_responses, r.nps, r.last_seen_at, r.recent_mentions, r.previous_mentions, r.trend
FROM adoption.persona_rows(false) AS r
WHERE r.category OPERATOR(pg_catalog.<>) 'all';
COMMENT ON VIEW adoption.persona_themes IS 'Persona profile of each tenant, one row per thing its feedback mentions: value drivers, pain points, requests, success indicators, catalog features named and campaigns answered, with counts, sentiment, NPS, last mention and trend';
COMMENT ON COLUMN adoption.persona_themes.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.persona_themes.segment IS 'Segment of the tenant (adoption.tenants.segment; NULL: not set)';
COMMENT ON COLUMN adoption.persona_themes.category IS 'pain_point, feature_request, value_driver, success_indicator, feature (a catalog feature named) or campaign (a campaign_id the feedback answered)';
COMMENT ON COLUMN adoption.persona_themes.theme IS 'The theme, feature_id or campaign_id';
COMMENT ON COLUMN adoption.persona_themes.mentions IS 'Feedback rows of the tenant that mention it';
COMMENT ON COLUMN adoption.persona_themes.share IS 'mentions / all feedback rows of the tenant (0 to 1)';
COMMENT ON COLUMN adoption.persona_themes.mean_sentiment IS 'Mean sentiment (-1 to 1) of the rows that mention it (rows with a text)';
COMMENT ON COLUMN adoption.persona_themes.nps_responses IS 'NPS answers among the rows that mention it';
COMMENT ON COLUMN adoption.persona_themes.nps IS 'NPS of those answers: % promoters - % detractors (NULL: none)';
COMMENT ON COLUMN adoption.persona_themes.last_seen_at IS 'Latest created_at of a row that mentions it';
COMMENT ON COLUMN adoption.persona_themes.recent_mentions IS 'Mentions in the three months (UTC) ending with the tenant''s latest month of feedback';
COMMENT ON COLUMN adoption.persona_themes.previous_mentions IS 'Mentions in the three months before those';
COMMENT ON COLUMN adoption.persona_themes.trend IS 'rising, falling or steady: the share of the tenant''s feedback mentioning it, recent against previous months; NULL when either window has no feedback';

/*
 * The figures of a persona, per tenant in persona_profiles and per segment
 * in segment_personas: both views spread this type, in this order, after
 * their own key columns, so the two read alike by construction.
 */
CREATE TYPE adoption.persona_figures AS (
	feedback bigint,
	last_feedback_at timestamptz,
	mean_sentiment numeric,
	recent_sentiment numeric,
	previous_sentiment numeric,
	sentiment_trend numeric,
	nps_responses bigint,
	nps numeric,
	recent_nps numeric,
	previous_nps numeric,
	nps_trend numeric,
	value_drivers text[],
	pain_points text[],
	feature_requests text[],
	success_indicators text[],
	features_named text[],
	campaigns_answered text[]
);
COMMENT ON TYPE adoption.persona_figures IS 'Internal: the columns adoption.persona_profiles and adoption.segment_personas share (see their column comments)';

/* The one-row summary of each tenant (false) or segment (true) for the persona views. */
CREATE FUNCTION adoption.persona_summary(by_segment boolean)
RETURNS TABLE (tenant_id text, segment text, tenants bigint, figures adoption.persona_figures)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
WITH r AS (SELECT * FROM adoption.persona_rows(by_segment))
SELECT a.tenant_id, a.segment, a.tenants,
	ROW(a.mentions, a.last_seen_at,
		a.mean_sentiment, a.recent_sentiment, a.previous_sentiment, a.recent_sentiment - a.previous_sentiment,
		a.nps_responses, a.nps, a.recent_nps, a.previous_nps, a.recent_nps - a.previous_nps,
		l.value_drivers[1:3], l.pain_points[1:3], l.feature_requests[1:3], l.success_indicators[1:3],
		l.features_named, l.campaigns_answered)::adoption.persona_figures
FROM r AS a
CROSS JOIN LATERAL (
	SELECT array_agg(x.item ORDER BY x.mentions DESC, x.item) FILTER (WHERE x.category = 'value_driver') AS value_drivers,
		array_agg(x.item ORDER BY x.mentions DESC, x.item) FILTER (WHERE x.category = 'pain_point') AS pain_points,
		array_agg(x.item ORDER BY x.mentions DESC, x.item) FILTER (WHERE x.category = 'feature_request') AS feature_requests,
		array_agg(x.item ORDER BY x.mentions DESC, x.item) FILTER (WHERE x.category = 'success_indicator') AS success_indicators,
		array_agg(x.item ORDER BY x.mentions DESC, x.item) FILTER (WHERE x.category = 'feature') AS features_named,
		array_agg(x.item ORDER BY x.mentions DESC, x.item) FILTER (WHERE x.category = 'campaign') AS campaigns_answered
	FROM r AS x
	WHERE x.tenant_id IS NOT DISTINCT FROM a.tenant_id AND x.segment IS NOT DISTINCT FROM a.segment
) AS l
WHERE a.category = 'all'
$$;
COMMENT ON FUNCTION adoption.persona_summary(boolean) IS 'Internal: the rows of adoption.persona_profiles (false) and adoption.segment_personas (true)';

CREATE VIEW adoption.persona_profiles WITH (security_invoker = true) AS
SELECT a.tenant_id, a.segment, t.name, t.arr, (a.figures).*
FROM adoption.persona_summary(false) AS a
LEFT JOIN adoption.tenants AS t ON t.tenant_id OPERATOR(pg_catalog.=) a.tenant_id;
COMMENT ON VIEW adoption.persona_profiles IS 'Persona profile of each tenant with feedback, one row: volume, sentiment and NPS with their trend, the top things it mentions, the features it names and the campaigns it answered';
COMMENT ON COLUMN adoption.persona_profiles.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.persona_profiles.segment IS 'Segment of the tenant (NULL: not set)';
COMMENT ON COLUMN adoption.persona_profiles.name IS 'Name of the tenant';
COMMENT ON COLUMN adoption.persona_profiles.arr IS 'ARR of the tenant';
COMMENT ON COLUMN adoption.persona_profiles.feedback IS 'Feedback rows of the tenant';
COMMENT ON COLUMN adoption.persona_profiles.last_feedback_at IS 'Latest created_at of its feedback';
COMMENT ON COLUMN adoption.persona_profiles.mean_sentiment IS 'Mean sentiment (-1 to 1) of its feedback with a text';
COMMENT ON COLUMN adoption.persona_profiles.recent_sentiment IS 'Mean sentiment in the three months (UTC) ending with its latest month of feedback';
COMMENT ON COLUMN adoption.persona_profiles.previous_sentiment IS 'Mean sentiment in the three months before those';
COMMENT ON COLUMN adoption.persona_profiles.sentiment_trend IS 'recent_sentiment - previous_sentiment (positive: improving)';
COMMENT ON COLUMN adoption.persona_profiles.nps_responses IS 'NPS answers of the tenant';
COMMENT ON COLUMN adoption.persona_profiles.nps IS 'NPS of all its answers: % promoters - % detractors';
COMMENT ON COLUMN adoption.persona_profiles.recent_nps IS 'NPS of the answers in the recent three months';
COMMENT ON COLUMN adoption.persona_profiles.previous_nps IS 'NPS of the answers in the three months before';
COMMENT ON COLUMN adoption.persona_profiles.nps_trend IS 'recent_nps - previous_nps';
COMMENT ON COLUMN adoption.persona_profiles.value_drivers IS 'Up to three value drivers it mentions most (ties by name)';
COMMENT ON COLUMN adoption.persona_profiles.pain_points IS 'Up to three pain points it mentions most';
COMMENT ON COLUMN adoption.persona_profiles.feature_requests IS 'Up to three requests it makes most (themes or catalog feature_ids)';
COMMENT ON COLUMN adoption.persona_profiles.success_indicators IS 'Up to three success indicators it reports most';
COMMENT ON COLUMN adoption.persona_profiles.features_named IS 'Every catalog feature its feedback names, most named first';
COMMENT ON COLUMN adoption.persona_profiles.campaigns_answered IS 'Every campaign_id its feedback answered, most answered first';

CREATE VIEW adoption.segment_persona_themes WITH (security_invoker = true) AS
SELECT r.segment, r.category, r.item AS theme, r.tenants, r.mentions, r.share, r.mean_sentiment,
	r.nps_responses, r.nps, r.last_seen_at, r.recent_mentions, r.previous_mentions, r.trend
FROM adoption.persona_rows(true) AS r
WHERE r.category OPERATOR(pg_catalog.<>) 'all';
COMMENT ON VIEW adoption.segment_persona_themes IS 'Persona profile of each segment, one row per thing the feedback of its tenants mentions (as adoption.persona_themes, over the tenants of the segment)';
COMMENT ON COLUMN adoption.segment_persona_themes.segment IS 'Segment (adoption.tenants.segment; NULL: tenants without one, or not in adoption.tenants)';
COMMENT ON COLUMN adoption.segment_persona_themes.category IS 'pain_point, feature_request, value_driver, success_indicator, feature or campaign';
COMMENT ON COLUMN adoption.segment_persona_themes.theme IS 'The theme, feature_id or campaign_id';
COMMENT ON COLUMN adoption.segment_persona_themes.tenants IS 'Tenants of the segment whose feedback mentions it';
COMMENT ON COLUMN adoption.segment_persona_themes.mentions IS 'Feedback rows of the segment that mention it';
COMMENT ON COLUMN adoption.segment_persona_themes.share IS 'mentions / all feedback rows of the segment (0 to 1)';
COMMENT ON COLUMN adoption.segment_persona_themes.mean_sentiment IS 'Mean sentiment (-1 to 1) of the rows that mention it';
COMMENT ON COLUMN adoption.segment_persona_themes.nps_responses IS 'NPS answers among the rows that mention it';
COMMENT ON COLUMN adoption.segment_persona_themes.nps IS 'NPS of those answers (NULL: none)';
COMMENT ON COLUMN adoption.segment_persona_themes.last_seen_at IS 'Latest created_at of a row that mentions it';
COMMENT ON COLUMN adoption.segment_persona_themes.recent_mentions IS 'Mentions in the three months (UTC) ending with the segment''s latest month of feedback';
COMMENT ON COLUMN adoption.segment_persona_themes.previous_mentions IS 'Mentions in the three months before those';
COMMENT ON COLUMN adoption.segment_persona_themes.trend IS 'rising, falling or steady: the share of the segment''s feedback mentioning it, recent against previous months; NULL when either window has no feedback';

CREATE VIEW adoption.segment_personas WITH (security_invoker = true) AS
SELECT a.segment, a.tenants,
	(SELECT pg_catalog.sum(t.arr) FROM adoption.tenants AS t
		WHERE t.segment IS NOT DISTINCT FROM a.segment
		AND EXISTS (SELECT FROM adoption.feedback_profile AS p WHERE p.tenant_id OPERATOR(pg_catalog.=) t.tenant_id)) AS arr,
	(a.figures).*
FROM adoption.persona_summary(true) AS a;
COMMENT ON VIEW adoption.segment_personas IS 'Persona profile of each segment, one row: its tenants with feedback, volume, sentiment and NPS with their trend, the top things its feedback mentions, the features named and campaigns answered';
COMMENT ON COLUMN adoption.segment_personas.segment IS 'Segment (NULL: tenants without one, or not in adoption.tenants)';
COMMENT ON COLUMN adoption.segment_personas.tenants IS 'Tenants of the segment with feedback';
COMMENT ON COLUMN adoption.segment_personas.arr IS 'Sum of the ARR of those tenants';
COMMENT ON COLUMN adoption.segment_personas.feedback IS 'Feedback rows of the segment';
COMMENT ON COLUMN adoption.segment_personas.last_feedback_at IS 'Latest created_at of its feedback';
COMMENT ON COLUMN adoption.segment_personas.mean_sentiment IS 'Mean sentiment (-1 to 1) of its feedback with a text';
COMMENT ON COLUMN adoption.segment_personas.recent_sentiment IS 'Mean sentiment in the three months (UTC) ending with the segment''s latest month of feedback';
COMMENT ON COLUMN adoption.segment_personas.previous_sentiment IS 'Mean sentiment in the three months before those';
COMMENT ON COLUMN adoption.segment_personas.sentiment_trend IS 'recent_sentiment - previous_sentiment (positive: improving)';
COMMENT ON COLUMN adoption.segment_personas.nps_responses IS 'NPS answers of the segment';
COMMENT ON COLUMN adoption.segment_personas.nps IS 'NPS of all its answers';
COMMENT ON COLUMN adoption.segment_personas.recent_nps IS 'NPS of the answers in the recent three months';
COMMENT ON COLUMN adoption.segment_personas.previous_nps IS 'NPS of the answers in the three months before';
COMMENT ON COLUMN adoption.segment_personas.nps_trend IS 'recent_nps - previous_nps';
COMMENT ON COLUMN adoption.segment_personas.value_drivers IS 'Up to three value drivers its feedback mentions most (ties by name)';
COMMENT ON COLUMN adoption.segment_personas.pain_points IS 'Up to three pain points it mentions most';
COMMENT ON COLUMN adoption.segment_personas.feature_requests IS 'Up to three requests it makes most';
COMMENT ON COLUMN adoption.segment_personas.success_indicators IS 'Up to three success indicators it reports most';
COMMENT ON COLUMN adoption.segment_personas.features_named IS 'Every catalog feature its feedback names, most named first';
COMMENT ON COLUMN adoption.segment_personas.campaigns_answered IS 'Every campaign_id its feedback answered, most answered first';

/*
 * Feedback per catalog feature (the features a text names and the feature
 * it was about) or per campaign_id it answered, per month (UTC): volume,
 * sentiment, NPS and the themes most mentioned.  A text naming two features
 * counts once for each.
 */
CREATE FUNCTION adoption.feedback_breakdown(by_campaign boolean)
RETURNS TABLE (key text, month date, feedback bigint, mean_sentiment numeric, nps_responses bigint,
	nps numeric, pain_points text[], value_drivers text[], feature_requests text[], success_indicators text[])
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
WITH k AS (
	SELECT x.key, (date_trunc('month', f.created_at AT TIME ZONE 'UTC'))::date AS month, f.feedback_id,
		f.sentiment, f.nps_category, f.pain_points, f.value_drivers, f.feature_requests, f.success_indicators
	FROM adoption.feedback AS f
	CROSS JOIN LATERAL (SELECT DISTINCT y FROM unnest(CASE WHEN by_campaign THEN ARRAY[f.campaign_id]
			ELSE array_append(f.features, f.feature_id) END) AS y WHERE y IS NOT NULL) AS x(key)
),
t AS (
	SELECT k.key, k.month, c.category, c.theme, count(*) AS n
	FROM k CROSS JOIN LATERAL (
		SELECT 'pain_point', unnest(k.pain_points) UNION ALL SELECT 'value_driver', unnest(k.value_drivers)
		UNION ALL SELECT 'feature_request', unnest(k.feature_requests)
		UNION ALL SELECT 'success_indicator', unnest(k.success_indicators)) AS c(category, theme)
	GROUP BY 1, 2, 3, 4
)
SELECT g.key, g.month, g.feedback, g.mean_sentiment, g.nps_responses, g.nps,
	l.pain_points[1:3], l.value_drivers[1:3], l.feature_requests[1:3], l.success_indicators[1:3]
FROM (SELECT k.key, k.month, count(*) AS feedback, round(avg(k.sentiment)::numeric, 3) AS mean_sentiment,
		count(k.nps_category) AS nps_responses,
		round(100.0 * (count(*) FILTER (WHERE k.nps_category = 'promoter')
			- count(*) FILTER (WHERE k.nps_category = 'detractor')) / nullif(count(k.nps_category), 0), 1) AS nps
	FROM k GROUP BY k.key, k.month) AS g
CROSS JOIN LATERAL (
	SELECT array_agg(t.theme ORDER BY t.n DESC, t.theme) FILTER (WHERE t.category = 'pain_point') AS pain_points,
		array_agg(t.theme ORDER BY t.n DESC, t.theme) FILTER (WHERE t.category = 'value_driver') AS value_drivers,
		array_agg(t.theme ORDER BY t.n DESC, t.theme) FILTER (WHERE t.category = 'feature_request') AS feature_requests,
		array_agg(t.theme ORDER BY t.n DESC, t.theme) FILTER (WHERE t.category = 'success_indicator') AS success_indicators
	FROM t WHERE t.key = g.key AND t.month = g.month
) AS l
$$;
COMMENT ON FUNCTION adoption.feedback_breakdown(boolean) IS 'Internal: the rows of adoption.feedback_by_feature (false) and adoption.feedback_by_campaign (true)';

CREATE VIEW adoption.feedback_by_feature WITH (security_invoker = true) AS
SELECT b.key AS feature_id, c.feature_name, b.month, b.feedback, b.mean_sentiment, b.nps_responses, b.nps,
	b.pain_points, b.value_drivers, b.feature_requests, b.success_indicators
FROM adoption.feedback_breakdown(false) AS b
LEFT JOIN adoption.features AS c ON c.feature_id OPERATOR(pg_catalog.=) b.key;
COMMENT ON VIEW adoption.feedback_by_feature IS 'Feedback per catalog feature and month (UTC): the texts that name the feature or were about it (feedback.feature_id), their sentiment, NPS and most mentioned themes';
COMMENT ON COLUMN adoption.feedback_by_feature.feature_id IS 'Feature named in the text or given as the feedback''s feature_id';
COMMENT ON COLUMN adoption.feedback_by_feature.feature_name IS 'Its name in adoption.features (NULL: not in the catalog)';
COMMENT ON COLUMN adoption.feedback_by_feature.month IS 'First day of the month (UTC) of created_at';
COMMENT ON COLUMN adoption.feedback_by_feature.feedback IS 'Feedback rows about the feature that month';
COMMENT ON COLUMN adoption.feedback_by_feature.mean_sentiment IS 'Their mean sentiment (-1 to 1; rows with a text)';
COMMENT ON COLUMN adoption.feedback_by_feature.nps_responses IS 'NPS answers among them';
COMMENT ON COLUMN adoption.feedback_by_feature.nps IS 'NPS of those answers: % promoters - % detractors (NULL: none)';
COMMENT ON COLUMN adoption.feedback_by_feature.pain_points IS 'Up to three pain points they mention most (ties by name)';
COMMENT ON COLUMN adoption.feedback_by_feature.value_drivers IS 'Up to three value drivers they mention most';
COMMENT ON COLUMN adoption.feedback_by_feature.feature_requests IS 'Up to three requests they make most';
COMMENT ON COLUMN adoption.feedback_by_feature.success_indicators IS 'Up to three success indicators they report most';

CREATE VIEW adoption.feedback_by_campaign WITH (security_invoker = true) AS
SELECT b.key AS campaign_id, b.month, b.feedback, b.mean_sentiment, b.nps_responses, b.nps,
	b.pain_points, b.value_drivers, b.feature_requests, b.success_indicators
FROM adoption.feedback_breakdown(true) AS b;
COMMENT ON VIEW adoption.feedback_by_campaign IS 'Feedback per campaign_id it answered and month (UTC): sentiment, NPS and most mentioned themes';
COMMENT ON COLUMN adoption.feedback_by_campaign.campaign_id IS 'The campaign the feedback answered (adoption.feedback.campaign_id)';
COMMENT ON COLUMN adoption.feedback_by_campaign.month IS 'First day of the month (UTC) of created_at';
COMMENT ON COLUMN adoption.feedback_by_campaign.feedback IS 'Feedback rows answering the campaign that month';
COMMENT ON COLUMN adoption.feedback_by_campaign.mean_sentiment IS 'Their mean sentiment (-1 to 1; rows with a text)';
COMMENT ON COLUMN adoption.feedback_by_campaign.nps_responses IS 'NPS answers among them';
COMMENT ON COLUMN adoption.feedback_by_campaign.nps IS 'NPS of those answers (NULL: none)';
COMMENT ON COLUMN adoption.feedback_by_campaign.pain_points IS 'Up to three pain points they mention most (ties by name)';
COMMENT ON COLUMN adoption.feedback_by_campaign.value_drivers IS 'Up to three value drivers they mention most';
COMMENT ON COLUMN adoption.feedback_by_campaign.feature_requests IS 'Up to three requests they make most';
COMMENT ON COLUMN adoption.feedback_by_campaign.success_indicators IS 'Up to three success indicators they report most';
