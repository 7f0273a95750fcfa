/*
 * pg_adoption upgrade 0.3.0 -> 0.4.0.  Each change of 0.4.0 appends its
 * part below, with a comment saying what it adds or changes.
 */
\echo Use "ALTER EXTENSION pg_adoption UPDATE TO '0.4.0'" to load this file. \quit

/*
 * Ingest: tenant_state keeps what lets a statement whose events arrive in
 * time order skip the feature_adopted sweep (src/tenant.c,
 * settled_in_order): the most adopters of a feature without the milestone,
 * and the latest milestone time.  Both computed here from the state (an
 * update from 0.2.0 added them before its rebuild, which wrote them).
 */
ALTER TABLE adoption.tenant_state
	ADD COLUMN IF NOT EXISTS open_adopters integer NOT NULL DEFAULT 0,
	ADD COLUMN IF NOT EXISTS last_feature_adopted_at timestamptz;
COMMENT ON COLUMN adoption.tenant_state.open_adopters IS 'The most adopters (adopted_users) of any feature of the tenant without its feature_adopted milestone, 0 if none: while it stays below feature_adoption_threshold times the active users, an event at the tenant''s latest time cannot reach the milestone';
COMMENT ON COLUMN adoption.tenant_state.last_feature_adopted_at IS 'The latest feature_adopted_at of the tenant''s features (NULL if none has the milestone)';
UPDATE adoption.tenant_state AS s SET
	open_adopters = coalesce((SELECT pg_catalog.max(c.adopted_users) FROM adoption.tenant_feature_counts AS c
		WHERE c.tenant_id OPERATOR(pg_catalog.=) s.tenant_id
			AND NOT EXISTS (SELECT FROM adoption.tenant_feature_milestones AS m
				WHERE m.tenant_id OPERATOR(pg_catalog.=) c.tenant_id AND m.feature_id OPERATOR(pg_catalog.=) c.feature_id)), 0),
	last_feature_adopted_at = (SELECT pg_catalog.max(m.feature_adopted_at) FROM adoption.tenant_feature_milestones AS m
		WHERE m.tenant_id OPERATOR(pg_catalog.=) s.tenant_id);
 * Issue 20: complete_action() returns what happened, the new status (done),
 * as fail_action() does.  A new result type needs DROP and CREATE; the
 * function gets back its SECURITY DEFINER and its only grant.
 */
DROP FUNCTION adoption.complete_action(bigint, text);
CREATE FUNCTION adoption.complete_action(action_id bigint, worker text DEFAULT NULL)
RETURNS text
 * Issue 18: persona profiles of feedback (src/sql/profiles.sql): the table
 * adoption.feedback_profile kept by statement triggers of adoption.feedback,
 * adoption.rebuild_feedback_profiles(), the views persona_themes,
 * persona_profiles, segment_persona_themes and segment_personas, with their
 * privileges and row-level security as security.sql gives them; then the
 * profile of the feedback already there.
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
COMMENT ON FUNCTION adoption.feedback_profiles() IS 'AFTER statement trigger of adoption.feedback: adds inserted rows to adoption.feedback_profile, recomputes the tenant-months an update or delete touched, empties it on truncate';
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

/* The one-row summary of each tenant (false) or segment (true) for the persona views. */
CREATE FUNCTION adoption.persona_summary(by_segment boolean)
RETURNS TABLE (tenant_id text, segment text, tenants bigint, feedback bigint,
	last_feedback_at timestamptz, mean_sentiment numeric, recent_sentiment numeric,
	previous_sentiment numeric, nps_responses bigint, nps numeric, recent_nps numeric,
	previous_nps numeric, value_drivers text[], pain_points text[], feature_requests text[],
	success_indicators text[], features_named text[], campaigns_answered text[])
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
WITH r AS (SELECT * FROM adoption.persona_rows(by_segment))
SELECT a.tenant_id, a.segment, a.tenants, a.mentions, a.last_seen_at,
	a.mean_sentiment, a.recent_sentiment, a.previous_sentiment,
	a.nps_responses, a.nps, a.recent_nps, a.previous_nps,
	l.value_drivers[1:3], l.pain_points[1:3], l.feature_requests[1:3], l.success_indicators[1:3],
	l.features_named, l.campaigns_answered
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
SELECT a.tenant_id, a.segment, t.name, t.arr, a.feedback, a.last_feedback_at,
	a.mean_sentiment, a.recent_sentiment, a.previous_sentiment,
	a.recent_sentiment OPERATOR(pg_catalog.-) a.previous_sentiment AS sentiment_trend,
	a.nps_responses, a.nps, a.recent_nps, a.previous_nps,
	a.recent_nps OPERATOR(pg_catalog.-) a.previous_nps AS nps_trend,
	a.value_drivers, a.pain_points, a.feature_requests, a.success_indicators,
	a.features_named, a.campaigns_answered
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
	a.feedback, a.last_feedback_at,
	a.mean_sentiment, a.recent_sentiment, a.previous_sentiment,
	a.recent_sentiment OPERATOR(pg_catalog.-) a.previous_sentiment AS sentiment_trend,
	a.nps_responses, a.nps, a.recent_nps, a.previous_nps,
	a.recent_nps OPERATOR(pg_catalog.-) a.previous_nps AS nps_trend,
	a.value_drivers, a.pain_points, a.feature_requests, a.success_indicators,
	a.features_named, a.campaigns_answered
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
REVOKE ALL ON adoption.feedback_profile, adoption.persona_themes, adoption.persona_profiles,
	adoption.segment_persona_themes, adoption.segment_personas FROM PUBLIC;
REVOKE ALL ON FUNCTION adoption.feedback_profiles(), adoption.rebuild_feedback_profiles(text),
	adoption.persona_rows(boolean), adoption.persona_summary(boolean) FROM PUBLIC;
ALTER FUNCTION adoption.feedback_profiles() SECURITY DEFINER SET search_path = pg_catalog, pg_temp;
GRANT SELECT ON adoption.feedback_profile, adoption.persona_themes, adoption.persona_profiles,
	adoption.segment_persona_themes, adoption.segment_personas TO adoption_analyst, adoption_tenant;
GRANT EXECUTE ON FUNCTION adoption.persona_rows(boolean), adoption.persona_summary(boolean)
	TO adoption_analyst, adoption_tenant;
ALTER TABLE adoption.feedback_profile ENABLE ROW LEVEL SECURITY;
CREATE POLICY all_rows ON adoption.feedback_profile TO adoption_app, adoption_analyst USING (true) WITH CHECK (true);
CREATE POLICY own_tenant ON adoption.feedback_profile FOR SELECT TO adoption_tenant
	USING (tenant_id OPERATOR(pg_catalog.=) NULLIF(pg_catalog.current_setting('adoption.tenant_id', true), ''));
COMMENT ON POLICY all_rows ON adoption.feedback_profile IS 'adoption_app and adoption_analyst see and write every row (their table privileges limit what they may do)';
COMMENT ON POLICY own_tenant ON adoption.feedback_profile IS 'adoption_tenant reads only the rows of the tenant named by the setting adoption.tenant_id (none when adoption.tenant_id is unset or empty)';
SELECT adoption.rebuild_feedback_profiles();

/* Issue 18: forget_tenant() also deletes the tenant's persona profile (and reports it). */
CREATE OR REPLACE FUNCTION adoption.forget_tenant(tenant_id text)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t text := forget_tenant.tenant_id;
	counts jsonb := '{}';
	n bigint;
	tbl text;
BEGIN
	PERFORM adoption.check_known_tenant(t, 'Pass the tenant_id of the tenant to forget.');
	/* Every table that holds rows of a tenant; the tenant's own row last. */
	FOREACH tbl IN ARRAY ARRAY['feature_usage_events', 'user_feature_state', 'tenant_user_state',
		'tenant_feature_counts', 'tenant_feature_milestones', 'tenant_state',
		'feedback_profile', 'feedback', 'support_tickets', 'billing_events', 'campaign_touches',
		'campaign_action_queue', 'campaign_action_archive', 'campaign_action_keys',
		'campaign_followups', 'health_scores', 'lexicon', 'settings', 'tenants'] LOOP
		EXECUTE pg_catalog.format('DELETE FROM adoption.%I AS x WHERE x.tenant_id OPERATOR(pg_catalog.=) $1', tbl)
			USING t;
		GET DIAGNOSTICS n = ROW_COUNT;
		counts := counts OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(tbl, n);
	END LOOP;
	RETURN counts;
END
$$;
COMMENT ON FUNCTION adoption.forget_tenant(text) IS 'Erases a tenant: every row of it in every table of the extension (events, state, feedback and its persona profile, tickets, billing events, touches, actions and keys, follow-ups, health scores, lexicon, settings override, the tenant itself); returns the rows deleted per table as jsonb';

/*
 * Issue 18: messaging opportunities (src/sql/messaging.sql): the campaign
 * template fix_announcement, the views fix_candidates and
 * messaging_opportunities, and adoption.enqueue_fix_announcements().
 */
INSERT INTO adoption.campaign_templates (template_key, campaign_id, channel, description) VALUES
	('fix_announcement', 'fix_announcement_campaign', 'email',
	'A launched or upgrade feature answers a pain point the tenant named: announce the fix')
ON CONFLICT (template_key) DO NOTHING;
CREATE VIEW adoption.fix_candidates WITH (security_invoker = true) AS
SELECT f.tenant_id, t.segment, f.feedback_id, f.feature_id, p.theme, x.fix_feature_id, x.via, f.created_at
FROM adoption.feedback AS f
CROSS JOIN LATERAL pg_catalog.unnest(f.pain_points) AS p(theme)
LEFT JOIN adoption.tenants AS t ON t.tenant_id OPERATOR(pg_catalog.=) f.tenant_id
CROSS JOIN LATERAL (
	SELECT l.feature_id, 'launch'::text FROM adoption.launches AS l
	WHERE l.feature_id OPERATOR(pg_catalog.=) f.feature_id AND l.launched_at OPERATOR(pg_catalog.>) f.created_at
	UNION
	SELECT c.upgrade_feature_id, 'upgrade' FROM adoption.features AS c
	WHERE c.feature_id OPERATOR(pg_catalog.=) f.feature_id AND c.upgrade_feature_id IS NOT NULL
) AS x(fix_feature_id, via)
WHERE p.theme OPERATOR(pg_catalog.<>) ALL ('{pricing,support,onboarding,documentation}'::text[])
	AND NOT EXISTS (SELECT FROM adoption.user_feature_state AS u
	WHERE u.tenant_id OPERATOR(pg_catalog.=) f.tenant_id AND u.feature_id OPERATOR(pg_catalog.=) x.fix_feature_id
		AND u.adopted_at IS NOT NULL);
COMMENT ON VIEW adoption.fix_candidates IS 'Pain points with the product (not pricing, support, onboarding or documentation) named in feedback about a feature that a later launch of that feature, or its upgrade feature, answers, for tenants where no user has adopted the fixing feature';
COMMENT ON COLUMN adoption.fix_candidates.tenant_id IS 'Tenant that named the pain point';
COMMENT ON COLUMN adoption.fix_candidates.segment IS 'Segment of the tenant (NULL: not set)';
COMMENT ON COLUMN adoption.fix_candidates.feedback_id IS 'The feedback row naming it';
COMMENT ON COLUMN adoption.fix_candidates.feature_id IS 'Feature the feedback was about (adoption.feedback.feature_id)';
COMMENT ON COLUMN adoption.fix_candidates.theme IS 'Pain point theme (any but pricing, support, onboarding and documentation, which no feature fixes)';
COMMENT ON COLUMN adoption.fix_candidates.fix_feature_id IS 'The feature that answers it: the same feature launched after the feedback, or its upgrade feature';
COMMENT ON COLUMN adoption.fix_candidates.via IS 'launch (a launch of the feature after the feedback) or upgrade (adoption.features.upgrade_feature_id)';
COMMENT ON COLUMN adoption.fix_candidates.created_at IS 'When the feedback was given';

CREATE VIEW adoption.messaging_opportunities WITH (security_invoker = true) AS
WITH m AS (
	SELECT 'lead_with'::text AS kind, t.segment, f.feature_id, v.theme, NULL::text AS fix_feature_id,
		f.tenant_id, f.feedback_id, f.sentiment, f.body, f.created_at
	FROM adoption.feedback AS f
	CROSS JOIN LATERAL pg_catalog.unnest(f.value_drivers) AS v(theme)
	LEFT JOIN adoption.tenants AS t ON t.tenant_id OPERATOR(pg_catalog.=) f.tenant_id
	UNION ALL
	SELECT 'proof_point', t.segment, f.feature_id, s.theme, NULL,
		f.tenant_id, f.feedback_id, f.sentiment, f.body, f.created_at
	FROM adoption.feedback AS f
	CROSS JOIN LATERAL pg_catalog.unnest(f.success_indicators) AS s(theme)
	LEFT JOIN adoption.tenants AS t ON t.tenant_id OPERATOR(pg_catalog.=) f.tenant_id
	WHERE f.body OPERATOR(pg_catalog.~) '[0-9]'
	UNION ALL
	SELECT 'announce_fix', c.segment, c.feature_id, c.theme, c.fix_feature_id,
		c.tenant_id, c.feedback_id, f.sentiment, f.body, f.created_at
	FROM adoption.fix_candidates AS c
	JOIN adoption.feedback AS f ON f.tenant_id OPERATOR(pg_catalog.=) c.tenant_id
		AND f.feedback_id OPERATOR(pg_catalog.=) c.feedback_id
),
g AS (
	SELECT m.segment, m.kind, m.theme, m.feature_id, m.fix_feature_id,
		GROUPING(m.feature_id) OPERATOR(pg_catalog.=) 0 AS per_feature,
		pg_catalog.count(DISTINCT m.tenant_id) AS tenants,
		pg_catalog.count(DISTINCT (m.tenant_id, m.feedback_id)) AS mentions,
		pg_catalog.round(pg_catalog.avg(m.sentiment)::numeric, 3) AS mean_sentiment,
		(SELECT COALESCE(pg_catalog.sum(t.arr), 0) FROM adoption.tenants AS t
			WHERE t.tenant_id OPERATOR(pg_catalog.=) ANY (pg_catalog.array_agg(DISTINCT m.tenant_id))) AS arr,
		(pg_catalog.array_agg(m.feedback_id ORDER BY m.created_at DESC, m.feedback_id))[1:5] AS evidence,
		(pg_catalog.array_agg(m.body ORDER BY m.created_at DESC, m.feedback_id) FILTER (WHERE m.body IS NOT NULL))[1] AS example,
		pg_catalog.array_agg(DISTINCT m.feedback_id) FILTER (WHERE EXISTS (
			SELECT FROM adoption.campaign_followups AS x
			WHERE x.kind OPERATOR(pg_catalog.=) 'case_study' AND x.tenant_id OPERATOR(pg_catalog.=) m.tenant_id
				AND x.feedback_id OPERATOR(pg_catalog.=) m.feedback_id)) AS case_studies,
		pg_catalog.array_agg(DISTINCT m.tenant_id) AS target_tenants
	FROM m
	GROUP BY GROUPING SETS ((m.segment, m.kind, m.theme), (m.segment, m.kind, m.theme, m.feature_id, m.fix_feature_id))
)
SELECT g.segment, g.kind, g.theme, g.per_feature, g.feature_id, g.fix_feature_id, g.tenants, g.mentions,
	g.mean_sentiment, g.arr,
	CASE g.kind
		WHEN 'lead_with' THEN g.mentions OPERATOR(pg_catalog.*) g.mean_sentiment OPERATOR(pg_catalog.*) g.arr
		WHEN 'proof_point' THEN g.mentions OPERATOR(pg_catalog.*) g.arr
		ELSE g.arr END AS score,
	g.evidence, g.example, g.case_studies,
	CASE g.kind WHEN 'announce_fix' THEN g.target_tenants END AS target_tenants,
	CASE g.kind WHEN 'proof_point' THEN 'case_study' WHEN 'announce_fix' THEN 'fix_announcement' END AS suggested_template
FROM g
WHERE g.kind OPERATOR(pg_catalog.<>) 'announce_fix' OR g.per_feature;
COMMENT ON VIEW adoption.messaging_opportunities IS 'What to say to each segment, from its feedback: value drivers to lead with, proof points (success indicators with numbers) and pain points a launched or upgrade feature answers (announce the fix), each with its evidence and the campaign action it suggests; per segment and per feature the feedback was about';
COMMENT ON COLUMN adoption.messaging_opportunities.segment IS 'Segment of the tenants (adoption.tenants.segment; NULL: not set)';
COMMENT ON COLUMN adoption.messaging_opportunities.kind IS 'lead_with (a value driver), proof_point (a success indicator told with a number) or announce_fix (a pain point a fix answers)';
COMMENT ON COLUMN adoption.messaging_opportunities.theme IS 'The value driver, success indicator or pain point theme';
COMMENT ON COLUMN adoption.messaging_opportunities.per_feature IS 'false: the segment over all features (feature_id NULL); true: the feedback about feature_id (NULL: about no feature); announce_fix rows are always per feature';
COMMENT ON COLUMN adoption.messaging_opportunities.feature_id IS 'Feature the feedback was about (adoption.feedback.feature_id) when per_feature';
COMMENT ON COLUMN adoption.messaging_opportunities.fix_feature_id IS 'announce_fix: the feature that answers the pain point (the feature launched after the feedback, or its upgrade feature)';
COMMENT ON COLUMN adoption.messaging_opportunities.tenants IS 'Tenants whose feedback says it (announce_fix: that have not adopted the fix)';
COMMENT ON COLUMN adoption.messaging_opportunities.mentions IS 'Feedback rows that say it';
COMMENT ON COLUMN adoption.messaging_opportunities.mean_sentiment IS 'Mean sentiment (-1 to 1) of those rows';
COMMENT ON COLUMN adoption.messaging_opportunities.arr IS 'Sum of the ARR of those tenants';
COMMENT ON COLUMN adoption.messaging_opportunities.score IS 'Ranking weight within a kind: lead_with mentions x mean_sentiment x arr; proof_point mentions x arr; announce_fix arr';
COMMENT ON COLUMN adoption.messaging_opportunities.evidence IS 'Up to five feedback_ids behind it, latest first';
COMMENT ON COLUMN adoption.messaging_opportunities.example IS 'Text of the latest of them';
COMMENT ON COLUMN adoption.messaging_opportunities.case_studies IS 'proof_point: those of its feedback rows enqueued as a case_study (adoption.campaign_followups); NULL if none';
COMMENT ON COLUMN adoption.messaging_opportunities.target_tenants IS 'announce_fix: the tenants adoption.enqueue_fix_announcements() addresses';
COMMENT ON COLUMN adoption.messaging_opportunities.suggested_template IS 'Campaign template it suggests: case_study (enqueued by the feedback trigger) or fix_announcement (enqueued by adoption.enqueue_fix_announcements()); NULL for lead_with, which is messaging, not a per-tenant action';

/*
 * Enqueues fix_announcement once per tenant, fixing feature and pain point
 * theme (dedupe key ["fix_announcement", fix_feature_id, theme]) for every
 * row of adoption.fix_candidates, through enqueue_batch: the same queue and
 * dedupe rules as every other action.  Returns how many it enqueued.
 */
CREATE FUNCTION adoption.enqueue_fix_announcements()
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	a adoption.campaign_action_queue := adoption.held_action(action_id, worker);
BEGIN
	DELETE FROM adoption.campaign_action_queue AS q WHERE q.tenant_id = a.tenant_id AND q.action_id = a.action_id;
	INSERT INTO adoption.campaign_action_archive
	VALUES (a.action_id, a.tenant_id, a.user_id, a.feature_id, a.template_key, a.campaign_id, a.reason,
		a.dedupe_key, 'done', a.attempts, a.available_at, a.claimed_by, a.lease_until, a.last_error,
		a.created_at, now());
	RETURN 'done';
END
$$;
COMMENT ON FUNCTION adoption.complete_action(bigint, text) IS 'Marks a claimed action done (and moves it to the archive); with worker, checks that worker holds it; returns the new status, done (anything else is an error)';
ALTER FUNCTION adoption.complete_action(bigint, text) SECURITY DEFINER;
REVOKE ALL ON FUNCTION adoption.complete_action(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION adoption.complete_action(bigint, text) TO adoption_app;

/*
 * Issue 20: features.upgrade_feature_id is checked by triggers instead of a
 * foreign key to the table itself, so that pg_dump no longer warns about
 * circular foreign-key constraints and a plain dump restores without
 * --disable-triggers.
 */
ALTER TABLE adoption.features DROP CONSTRAINT features_upgrade_feature_id_fkey;
/*
 * features.upgrade_feature_id names a feature of the catalog: what a foreign
 * key to the table itself would do (DEFERRABLE INITIALLY DEFERRED, ON DELETE
 * SET NULL), done by triggers, because pg_dump cannot order the rows of a
 * self-referencing table ("circular foreign-key constraints") and a plain
 * dump would need --disable-triggers.  As in ri_triggers.c, the check locks
 * the upgrade feature FOR KEY SHARE, so that a concurrent DELETE of it waits
 * and the later of the two sees the other.
 */
CREATE FUNCTION adoption.check_upgrade_feature()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	upgrade text;
BEGIN
	/* Deferred to commit: check the row as it is then (if it still exists). */
	SELECT f.upgrade_feature_id INTO upgrade FROM adoption.features AS f
	WHERE f.feature_id OPERATOR(pg_catalog.=) NEW.feature_id;
	IF upgrade IS NULL THEN
		RETURN NULL;
	END IF;
	PERFORM FROM adoption.features AS f WHERE f.feature_id OPERATOR(pg_catalog.=) upgrade FOR KEY SHARE;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'upgrade_feature_id "%" of feature "%" is not in adoption.features', upgrade, NEW.feature_id
			USING ERRCODE = 'foreign_key_violation',
				HINT = 'Insert that feature first (in the same transaction is enough: the check runs at commit), or set upgrade_feature_id to NULL.';
	END IF;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION adoption.check_upgrade_feature() IS 'Deferred constraint trigger: a feature''s upgrade_feature_id names a feature of the catalog';

CREATE CONSTRAINT TRIGGER features_upgrade_feature_exists
	AFTER INSERT OR UPDATE OF feature_id, upgrade_feature_id ON adoption.features
	DEFERRABLE INITIALLY DEFERRED
	FOR EACH ROW WHEN (NEW.upgrade_feature_id IS NOT NULL)
	EXECUTE FUNCTION adoption.check_upgrade_feature();

CREATE FUNCTION adoption.release_upgrade_feature()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	/* ON DELETE SET NULL, and the same when the key itself changes. */
	UPDATE adoption.features AS f SET upgrade_feature_id = NULL
	WHERE f.upgrade_feature_id OPERATOR(pg_catalog.=) OLD.feature_id
		AND NOT EXISTS (SELECT FROM adoption.features AS g WHERE g.feature_id OPERATOR(pg_catalog.=) OLD.feature_id);
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION adoption.release_upgrade_feature() IS 'AFTER DELETE trigger: the features whose upgrade_feature_id named a deleted (or renamed) feature get NULL';

CREATE TRIGGER features_release_upgrade_feature
	AFTER DELETE OR UPDATE OF feature_id ON adoption.features
	FOR EACH ROW EXECUTE FUNCTION adoption.release_upgrade_feature();
REVOKE ALL ON FUNCTION adoption.check_upgrade_feature(), adoption.release_upgrade_feature() FROM PUBLIC;
	batch jsonb;
	n integer;
BEGIN
	SELECT jsonb_agg(jsonb_build_object('tenant_id', c.tenant_id, 'template_key', 'fix_announcement',
			'feature_id', c.fix_feature_id,
			'dedupe_key', jsonb_build_array('fix_announcement', c.fix_feature_id, c.theme)::text,
			'reason', jsonb_build_object('theme', c.theme, 'feature_id', c.feature_id,
				'fix_feature_id', c.fix_feature_id, 'via', c.via, 'evidence', c.evidence))
		ORDER BY c.tenant_id, c.fix_feature_id, c.theme)
	INTO batch
	FROM (SELECT x.tenant_id, x.fix_feature_id, x.theme, min(x.feature_id) AS feature_id, min(x.via) AS via,
			(array_agg(x.feedback_id ORDER BY x.created_at DESC, x.feedback_id))[1:5] AS evidence
		FROM adoption.fix_candidates AS x
		GROUP BY x.tenant_id, x.fix_feature_id, x.theme) AS c;
	IF batch IS NULL THEN
		RETURN 0;
	END IF;
	SELECT count(*) INTO n FROM adoption.enqueue_batch(batch);
	RETURN n;
END
$$;
COMMENT ON FUNCTION adoption.enqueue_fix_announcements() IS 'Enqueues fix_announcement once per tenant, fixing feature and pain point theme for the rows of adoption.fix_candidates (announce_fix of adoption.messaging_opportunities); returns how many it enqueued';
REVOKE ALL ON adoption.fix_candidates, adoption.messaging_opportunities FROM PUBLIC;
REVOKE ALL ON FUNCTION adoption.enqueue_fix_announcements() FROM PUBLIC;
GRANT SELECT ON adoption.fix_candidates, adoption.messaging_opportunities TO adoption_analyst, adoption_tenant;

/*
 * Issue 18: feedback per feature and per campaign, per month
 * (src/sql/profiles.sql): adoption.feedback_breakdown(), the views
 * feedback_by_feature and feedback_by_campaign.
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
REVOKE ALL ON adoption.feedback_by_feature, adoption.feedback_by_campaign FROM PUBLIC;
REVOKE ALL ON FUNCTION adoption.feedback_breakdown(boolean) FROM PUBLIC;
GRANT SELECT ON adoption.feedback_by_feature, adoption.feedback_by_campaign TO adoption_analyst, adoption_tenant;
GRANT EXECUTE ON FUNCTION adoption.feedback_breakdown(boolean) TO adoption_analyst, adoption_tenant;
