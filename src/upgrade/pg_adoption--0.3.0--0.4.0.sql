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

/*
 * Issue 20: complete_action() returns what happened, the new status (done),
 * as fail_action() does.  A new result type needs DROP and CREATE; the
 * function gets back its SECURITY DEFINER and its only grant.
 */
DROP FUNCTION adoption.complete_action(bigint, text);
CREATE FUNCTION adoption.complete_action(action_id bigint, worker text DEFAULT NULL)
RETURNS text
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

/*
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

/*
 * Issue 21, time series for BI (bi.sql, docs/bi.md): daily adoption
 * snapshots (tables daily_tenant_snapshots, daily_feature_snapshots,
 * daily_totals, daily_feature_totals, snapshot_state; functions
 * ingest_watermark, snapshot_totals, tenant_scoped, drop_snapshots,
 * snapshot_days, snapshot_adoption), the views tenant_activity_daily,
 * adoption_daily, adoption_periods, adoption_weekly, adoption_monthly,
 * feature_adoption_daily, feature_adoption_periods, feature_adoption_weekly,
 * feature_adoption_monthly, health_daily, health_bands_daily,
 * feedback_weekly, queue_daily; upkeep() also keeps the snapshots;
 * forget_user() and forget_tenant() fix them;
 * launch_performance.median_days_to_activation and
 * action_queue.oldest_age_seconds (intervals as numbers).
 */
CREATE TABLE adoption.daily_tenant_snapshots (
	tenant_id text NOT NULL,
	day date NOT NULL,
	active_users integer NOT NULL,
	users integer NOT NULL,
	events bigint NOT NULL,
	partial boolean NOT NULL,
	computed_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (tenant_id, day)
);
COMMENT ON TABLE adoption.daily_tenant_snapshots IS 'Per tenant and UTC day, as of the end of the day: active users and the day''s events (adoption.snapshot_adoption(); read adoption.tenant_activity_daily)';
SELECT pg_catalog.pg_extension_config_dump('adoption.daily_tenant_snapshots', '');

CREATE TABLE adoption.daily_feature_snapshots (
	tenant_id text NOT NULL,
	feature_id text NOT NULL,
	day date NOT NULL,
	activated_users integer NOT NULL,
	adopted_users integer NOT NULL,
	habitual_users integer NOT NULL,
	new_adopters integer NOT NULL,
	active_adopters integer NOT NULL,
	active_habitual integer NOT NULL,
	tenant_adopted boolean NOT NULL,
	partial boolean NOT NULL,
	computed_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (tenant_id, feature_id, day)
);
CREATE INDEX daily_feature_snapshots_day ON adoption.daily_feature_snapshots (day, feature_id);
COMMENT ON TABLE adoption.daily_feature_snapshots IS 'Per tenant, feature and UTC day, as of the end of the day: adoption counts (adoption.snapshot_adoption(); read adoption.adoption_daily)';
SELECT pg_catalog.pg_extension_config_dump('adoption.daily_feature_snapshots', '');

/*
 * The same summed over the tenants, per day and per feature and day: what
 * the across-tenant views read, so that they do not aggregate every
 * tenant's rows at read time.  No tenant_id: row-level security shows them
 * to adoption_app and adoption_analyst only; adoption_tenant reads the
 * across-tenant views summed over its own rows instead
 * (adoption.tenant_scoped()).
 */
CREATE TABLE adoption.daily_totals (
	day date PRIMARY KEY,
	active_users bigint NOT NULL,
	tenants integer NOT NULL,
	partial boolean NOT NULL,
	computed_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE adoption.daily_totals IS 'Per UTC day, daily_tenant_snapshots summed over the tenants (read adoption.feature_adoption_daily)';
SELECT pg_catalog.pg_extension_config_dump('adoption.daily_totals', '');

CREATE TABLE adoption.daily_feature_totals (
	feature_id text NOT NULL,
	day date NOT NULL,
	active_adopters bigint NOT NULL,
	active_habitual bigint NOT NULL,
	activated_users bigint NOT NULL,
	adopted_users bigint NOT NULL,
	new_adopters bigint NOT NULL,
	tenants_using integer NOT NULL,
	tenants_adopted integer NOT NULL,
	computed_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	PRIMARY KEY (feature_id, day)
);
COMMENT ON TABLE adoption.daily_feature_totals IS 'Per feature and UTC day, daily_feature_snapshots summed over the tenants (read adoption.feature_adoption_daily)';
SELECT pg_catalog.pg_extension_config_dump('adoption.daily_feature_totals', '');

/* The incremental snapshots' memory: events ingested at or after watermark are new to the next run. */
CREATE TABLE adoption.snapshot_state (
	singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
	watermark timestamptz,
	last_started_at timestamptz,
	last_finished_at timestamptz,
	last_days integer
);
COMMENT ON TABLE adoption.snapshot_state IS 'Bookkeeping of adoption.snapshot_adoption(): events ingested at or after watermark make their days due';
SELECT pg_catalog.pg_extension_config_dump('adoption.snapshot_state', '');

/*
 * The earliest time from which rows that are not visible yet may carry
 * ingested_at: ingested_at defaults to now(), the start of the inserting
 * transaction, so rows that transactions still running will commit carry
 * at least the oldest start among them.  Sessions of other roles hide
 * their start unless the caller has pg_read_all_stats; then a day back.
 */
CREATE FUNCTION adoption.ingest_watermark()
RETURNS timestamptz
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	mark timestamptz;
BEGIN
	SELECT least(now(), min(a.xact_start)) INTO mark
	FROM pg_stat_activity AS a
	WHERE a.datname = current_database() AND a.backend_type <> 'autovacuum worker';
	IF EXISTS (SELECT 1 FROM pg_stat_activity AS a
		WHERE a.datname = current_database() AND a.query = '<insufficient privilege>') THEN
		mark := least(mark, now() - interval '1 day');
	END IF;
	RETURN mark;
END
$$;
COMMENT ON FUNCTION adoption.ingest_watermark() IS 'Internal: the time from which rows not yet committed may carry ingested_at (the oldest running transaction''s start, or a day back when other sessions are hidden)';

/* Recomputes daily_totals and daily_feature_totals of the days [from_day, to_day] from the snapshots. */
CREATE FUNCTION adoption.snapshot_totals(from_day date, to_day date)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	DELETE FROM adoption.daily_totals AS x WHERE x.day BETWEEN from_day AND to_day;
	INSERT INTO adoption.daily_totals (day, active_users, tenants, partial)
	SELECT t.day, sum(t.active_users), count(*), bool_or(t.partial)
	FROM adoption.daily_tenant_snapshots AS t
	WHERE t.day BETWEEN from_day AND to_day
	GROUP BY t.day;
	DELETE FROM adoption.daily_feature_totals AS x WHERE x.day BETWEEN from_day AND to_day;
	INSERT INTO adoption.daily_feature_totals (feature_id, day, active_adopters, active_habitual,
		activated_users, adopted_users, new_adopters, tenants_using, tenants_adopted)
	SELECT f.feature_id, f.day, sum(f.active_adopters), sum(f.active_habitual), sum(f.activated_users),
		sum(f.adopted_users), sum(f.new_adopters), count(*), count(*) FILTER (WHERE f.tenant_adopted)
	FROM adoption.daily_feature_snapshots AS f
	WHERE f.day BETWEEN from_day AND to_day
	GROUP BY f.feature_id, f.day;
END
$$;
COMMENT ON FUNCTION adoption.snapshot_totals(date, date) IS 'Internal: recomputes daily_totals and daily_feature_totals of the days [from_day, to_day] from the tenants'' snapshots';

/*
 * True when row-level security limits the reader of the snapshots to some
 * tenants (adoption_tenant): the across-tenant views then sum the rows it
 * may read instead of reading the stored totals, which it may not.
 */
CREATE FUNCTION adoption.tenant_scoped()
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
RETURN pg_catalog.row_security_active('adoption.daily_feature_snapshots'::pg_catalog.regclass)
	AND NOT pg_catalog.pg_has_role('adoption_analyst', 'USAGE')
	AND NOT pg_catalog.pg_has_role('adoption_app', 'USAGE');
COMMENT ON FUNCTION adoption.tenant_scoped() IS 'Internal to the across-tenant views: true when row-level security limits the reader to some tenants (not an analyst, the owner or a superuser)';

/* Deletes a tenant's snapshots (forget_user, forget_tenant) and fixes the totals of their days; returns the rows deleted. */
CREATE FUNCTION adoption.drop_snapshots(tenant_id text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	first_day date;
	last_day date;
	n_tenant bigint;
	n_feature bigint;
BEGIN
	SELECT min(x.day), max(x.day) INTO first_day, last_day
	FROM adoption.daily_tenant_snapshots AS x WHERE x.tenant_id = drop_snapshots.tenant_id;
	DELETE FROM adoption.daily_feature_snapshots AS x WHERE x.tenant_id = drop_snapshots.tenant_id;
	GET DIAGNOSTICS n_feature = ROW_COUNT;
	DELETE FROM adoption.daily_tenant_snapshots AS x WHERE x.tenant_id = drop_snapshots.tenant_id;
	GET DIAGNOSTICS n_tenant = ROW_COUNT;
	IF first_day IS NOT NULL THEN
		PERFORM adoption.snapshot_totals(first_day, last_day);
	END IF;
	RETURN n_tenant + n_feature;
END
$$;
COMMENT ON FUNCTION adoption.drop_snapshots(text) IS 'Internal to forget_user and forget_tenant: deletes the tenant''s daily snapshots and recomputes the totals of their days; returns the rows deleted';

/*
 * Writes the snapshots of the days [from, to] of each (tenant_id, from,
 * to) in targets (a JSON array), replacing what was there.  Returns the
 * number of tenant-days written.  Set-based: the event log is read once,
 * per tenant from from - active_window, for each user's latest event of
 * each day (its activity), and the adoption times come from
 * user_feature_state.
 */
CREATE FUNCTION adoption.snapshot_days(targets jsonb)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET jit = off
AS $$
DECLARE
	written integer;
BEGIN
	CREATE TEMP TABLE IF NOT EXISTS pga_snapshot_target (
		tenant_id text PRIMARY KEY, from_day date NOT NULL, to_day date NOT NULL, w interval NOT NULL
	) ON COMMIT DROP;
	TRUNCATE pga_snapshot_target;
	INSERT INTO pga_snapshot_target
	SELECT x.tenant_id, x.from_day, x.to_day, e.active_window
	FROM jsonb_to_recordset(targets) AS x(tenant_id text, from_day date, to_day date)
	JOIN adoption.effective_settings AS e ON e.tenant_id = x.tenant_id
	WHERE x.from_day <= x.to_day;
	ANALYZE pga_snapshot_target;

	DELETE FROM adoption.daily_feature_snapshots AS s USING pga_snapshot_target AS t
	WHERE s.tenant_id = t.tenant_id AND s.day BETWEEN t.from_day AND t.to_day;
	DELETE FROM adoption.daily_tenant_snapshots AS s USING pga_snapshot_target AS t
	WHERE s.tenant_id = t.tenant_id AND s.day BETWEEN t.from_day AND t.to_day;

	/* Each user's latest event time of each day that can make it active on a target day. */
	CREATE TEMP TABLE IF NOT EXISTS pga_snapshot_user_day (
		tenant_id text, user_id text, d date, last_t timestamptz, events bigint
	) ON COMMIT DROP;
	TRUNCATE pga_snapshot_user_day;
	INSERT INTO pga_snapshot_user_day
	SELECT e.tenant_id, e.user_id, (e.usage_timestamp AT TIME ZONE 'UTC')::date, max(e.usage_timestamp), count(*)
	FROM pga_snapshot_target AS t
	JOIN adoption.feature_usage_events AS e ON e.tenant_id = t.tenant_id
		AND e.usage_timestamp >= (t.from_day::timestamp AT TIME ZONE 'UTC') - t.w
		AND e.usage_timestamp < ((t.to_day + 1)::timestamp AT TIME ZONE 'UTC')
	GROUP BY 1, 2, 3;

	/*
	 * Active (tenant, user, day): a user's latest event of day d keeps it
	 * active at the end of each day D >= d until its next day with events,
	 * while last_t >= D + 1 day - active_window, that is up to the day of
	 * last_t + active_window - 1 day.
	 */
	CREATE TEMP TABLE IF NOT EXISTS pga_snapshot_active (
		tenant_id text, user_id text, day date
	) ON COMMIT DROP;
	TRUNCATE pga_snapshot_active;
	INSERT INTO pga_snapshot_active
	SELECT s.tenant_id, s.user_id, g.day::date
	FROM (
		SELECT u.tenant_id, u.user_id, greatest(u.d, t.from_day) AS d_from,
			least(coalesce(lead(u.d) OVER w - 1, t.to_day), t.to_day,
				((u.last_t + t.w - interval '1 day') AT TIME ZONE 'UTC')::date) AS d_to
		FROM pga_snapshot_user_day AS u
		JOIN pga_snapshot_target AS t ON t.tenant_id = u.tenant_id
		WINDOW w AS (PARTITION BY u.tenant_id, u.user_id ORDER BY u.d)
	) AS s
	CROSS JOIN LATERAL generate_series(s.d_from, s.d_to, interval '1 day') AS g(day)
	WHERE s.d_from <= s.d_to;
	ANALYZE pga_snapshot_active;

	INSERT INTO adoption.daily_tenant_snapshots (tenant_id, day, active_users, users, events, partial)
	SELECT t.tenant_id, g.day::date, coalesce(a.active_users, 0),
		(SELECT count(*) FROM adoption.tenant_user_state AS v
			WHERE v.tenant_id = t.tenant_id AND v.first_seen_at < ((g.day::date + 1)::timestamp AT TIME ZONE 'UTC')),
		coalesce(ev.events, 0),
		((g.day::date + 1)::timestamp AT TIME ZONE 'UTC') > now()
	FROM pga_snapshot_target AS t
	CROSS JOIN LATERAL generate_series(t.from_day, t.to_day, interval '1 day') AS g(day)
	LEFT JOIN (SELECT a.tenant_id, a.day, count(*) AS active_users
		FROM pga_snapshot_active AS a GROUP BY 1, 2) AS a ON a.tenant_id = t.tenant_id AND a.day = g.day::date
	LEFT JOIN (SELECT u.tenant_id, u.d, sum(u.events) AS events
		FROM pga_snapshot_user_day AS u GROUP BY 1, 2) AS ev ON ev.tenant_id = t.tenant_id AND ev.d = g.day::date;
	GET DIAGNOSTICS written = ROW_COUNT;

	/*
	 * Per feature, from the first day a user of the tenant activated it:
	 * the cumulative counts (users whose activated_at, adopted_at,
	 * habitual_at is before the end of the day) as running sums of the
	 * milestones per day (those before from_day counted on from_day), and
	 * the active ones from pga_snapshot_active.
	 */
	WITH m AS (
		SELECT s.tenant_id, s.feature_id, s.user_id, s.adopted_at, s.habitual_at, t.from_day, t.to_day,
			(s.activated_at AT TIME ZONE 'UTC')::date AS activated_day,
			(s.adopted_at AT TIME ZONE 'UTC')::date AS adopted_day,
			(s.habitual_at AT TIME ZONE 'UTC')::date AS habitual_day
		FROM pga_snapshot_target AS t
		JOIN adoption.user_feature_state AS s ON s.tenant_id = t.tenant_id
		WHERE s.activated_at < ((t.to_day + 1)::timestamp AT TIME ZONE 'UTC')
	),
	grid AS (
		SELECT f.tenant_id, f.feature_id, g.day::date AS day
		FROM (SELECT m.tenant_id, m.feature_id, min(m.from_day) AS from_day, min(m.to_day) AS to_day,
				min(m.activated_day) AS first_day
			FROM m GROUP BY 1, 2) AS f
		CROSS JOIN LATERAL generate_series(greatest(f.from_day, f.first_day), f.to_day, interval '1 day') AS g(day)
	),
	steps AS (
		SELECT m.tenant_id, m.feature_id, greatest(x.day, m.from_day) AS day,
			count(*) FILTER (WHERE x.kind = 'a') AS activated,
			count(*) FILTER (WHERE x.kind = 'd') AS adopted,
			count(*) FILTER (WHERE x.kind = 'h') AS habitual,
			count(*) FILTER (WHERE x.kind = 'd' AND x.day >= m.from_day) AS new_adopters
		FROM m
		CROSS JOIN LATERAL (VALUES ('a', m.activated_day), ('d', m.adopted_day), ('h', m.habitual_day)) AS x(kind, day)
		WHERE x.day <= m.to_day
		GROUP BY 1, 2, 3
	),
	active AS (
		SELECT a.tenant_id, m.feature_id, a.day,
			count(*) FILTER (WHERE m.adopted_at < ((a.day + 1)::timestamp AT TIME ZONE 'UTC')) AS active_adopters,
			count(*) FILTER (WHERE m.habitual_at < ((a.day + 1)::timestamp AT TIME ZONE 'UTC')) AS active_habitual
		FROM pga_snapshot_active AS a
		JOIN m ON m.tenant_id = a.tenant_id AND m.user_id = a.user_id
		WHERE m.adopted_at < ((a.day + 1)::timestamp AT TIME ZONE 'UTC')
			OR m.habitual_at < ((a.day + 1)::timestamp AT TIME ZONE 'UTC')
		GROUP BY 1, 2, 3
	)
	INSERT INTO adoption.daily_feature_snapshots (tenant_id, feature_id, day, activated_users, adopted_users,
		habitual_users, new_adopters, active_adopters, active_habitual, tenant_adopted, partial)
	SELECT g.tenant_id, g.feature_id, g.day,
		sum(coalesce(s.activated, 0)) OVER w,
		sum(coalesce(s.adopted, 0)) OVER w,
		sum(coalesce(s.habitual, 0)) OVER w,
		coalesce(s.new_adopters, 0),
		coalesce(a.active_adopters, 0), coalesce(a.active_habitual, 0),
		coalesce(ms.feature_adopted_at < ((g.day + 1)::timestamp AT TIME ZONE 'UTC'), false),
		((g.day + 1)::timestamp AT TIME ZONE 'UTC') > now()
	FROM grid AS g
	LEFT JOIN steps AS s ON s.tenant_id = g.tenant_id AND s.feature_id = g.feature_id AND s.day = g.day
	LEFT JOIN active AS a ON a.tenant_id = g.tenant_id AND a.feature_id = g.feature_id AND a.day = g.day
	LEFT JOIN adoption.tenant_feature_milestones AS ms
		ON ms.tenant_id = g.tenant_id AND ms.feature_id = g.feature_id
	WINDOW w AS (PARTITION BY g.tenant_id, g.feature_id ORDER BY g.day);

	PERFORM adoption.snapshot_totals(min(t.from_day), max(t.to_day)) FROM pga_snapshot_target AS t HAVING count(*) > 0;

	TRUNCATE pga_snapshot_target, pga_snapshot_user_day, pga_snapshot_active;
	RETURN written;
END
$$;
COMMENT ON FUNCTION adoption.snapshot_days(jsonb) IS 'Internal to adoption.snapshot_adoption(): writes the snapshots of the days [from_day, to_day] of each {tenant_id, from_day, to_day}; returns the tenant-days written';

/*
 * Keeps the daily snapshots.  Without from_day and tenant_id (what
 * upkeep() runs): incremental, for each tenant the days from the earliest
 * of (the day of an event ingested since the previous run, the day after
 * its last snapshot, its first event's day when it has none) to today;
 * rows of days that have ended since are marked final.  With tenant_id and
 * no from_day: that tenant from its first event's day.  With from_day: a
 * backfill of [from_day, to_day] for one tenant or all.
 */
CREATE FUNCTION adoption.snapshot_adoption(from_day date DEFAULT NULL, to_day date DEFAULT NULL,
	tenant_id text DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
	today date := (now() AT TIME ZONE 'UTC')::date;
	last_day date := coalesce(snapshot_adoption.to_day, today);
	incremental boolean := snapshot_adoption.from_day IS NULL AND snapshot_adoption.tenant_id IS NULL;
	old_watermark timestamptz;
	new_watermark timestamptz;
	targets jsonb;
	written integer;
BEGIN
	IF last_day > today THEN
		RAISE EXCEPTION 'to_day % is in the future', last_day USING ERRCODE = 'invalid_parameter_value',
			HINT = format('Snapshots are kept up to the current UTC day (%s), which is marked partial.', today);
	END IF;
	IF snapshot_adoption.from_day > last_day THEN
		RAISE EXCEPTION 'from_day % is after to_day %', snapshot_adoption.from_day, last_day
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF NOT isfinite(snapshot_adoption.from_day) OR NOT isfinite(last_day) THEN
		RAISE EXCEPTION 'from_day and to_day must be finite dates' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	PERFORM adoption.check_known_tenant(snapshot_adoption.tenant_id,
		'Tenants are the rows of adoption.tenants; events register them on first sight.')
	WHERE snapshot_adoption.tenant_id IS NOT NULL;

	/* One run at a time: a second one returns at once. */
	IF NOT pg_try_advisory_xact_lock(('adoption.daily_feature_snapshots'::regclass)::oid::bigint) THEN
		RAISE NOTICE 'adoption.snapshot_adoption() is already running in another session; skipped';
		RETURN 0;
	END IF;

	IF NOT incremental THEN
		SELECT jsonb_agg(jsonb_build_object('tenant_id', s.tenant_id,
				'from_day', greatest(coalesce(snapshot_adoption.from_day, (s.first_event_at AT TIME ZONE 'UTC')::date),
					(s.first_event_at AT TIME ZONE 'UTC')::date),
				'to_day', last_day))
		INTO targets
		FROM adoption.tenant_state AS s
		WHERE snapshot_adoption.tenant_id IS NULL OR s.tenant_id = snapshot_adoption.tenant_id;
	ELSE
		SELECT r.watermark INTO old_watermark FROM adoption.snapshot_state AS r;
		new_watermark := adoption.ingest_watermark();
		SELECT jsonb_agg(jsonb_build_object('tenant_id', d.tenant_id, 'from_day', d.from_day, 'to_day', today))
		INTO targets
		FROM (
			SELECT s.tenant_id, least(n.first_new_day, l.last_day + 1,
				CASE WHEN l.last_day IS NULL OR old_watermark IS NULL
					THEN (s.first_event_at AT TIME ZONE 'UTC')::date END) AS from_day
			FROM adoption.tenant_state AS s
			LEFT JOIN (SELECT x.tenant_id, max(x.day) AS last_day
				FROM adoption.daily_tenant_snapshots AS x GROUP BY x.tenant_id) AS l ON l.tenant_id = s.tenant_id
			LEFT JOIN (SELECT e.tenant_id, min((e.usage_timestamp AT TIME ZONE 'UTC')::date) AS first_new_day
				FROM adoption.feature_usage_events AS e
				WHERE old_watermark IS NOT NULL AND e.ingested_at >= old_watermark
				GROUP BY e.tenant_id) AS n ON n.tenant_id = s.tenant_id
		) AS d
		WHERE d.from_day <= today;
		/* Days that ended since they were written: same events, now final. */
		UPDATE adoption.daily_tenant_snapshots AS s SET partial = false
		WHERE s.partial AND ((s.day + 1)::timestamp AT TIME ZONE 'UTC') <= now();
		UPDATE adoption.daily_feature_snapshots AS s SET partial = false
		WHERE s.partial AND ((s.day + 1)::timestamp AT TIME ZONE 'UTC') <= now();
		UPDATE adoption.daily_totals AS s SET partial = false
		WHERE s.partial AND ((s.day + 1)::timestamp AT TIME ZONE 'UTC') <= now();
	END IF;

	written := adoption.snapshot_days(coalesce(targets, '[]'));

	IF incremental THEN
		INSERT INTO adoption.snapshot_state AS r (singleton, watermark, last_started_at, last_finished_at, last_days)
		VALUES (true, new_watermark, now(), clock_timestamp(), written)
		ON CONFLICT (singleton) DO UPDATE SET watermark = excluded.watermark,
			last_started_at = excluded.last_started_at, last_finished_at = excluded.last_finished_at,
			last_days = excluded.last_days;
	END IF;
	RETURN written;
END
$$;
COMMENT ON FUNCTION adoption.snapshot_adoption(date, date, text) IS 'Writes the daily adoption snapshots: incrementally without arguments (what upkeep() runs), or recomputes [from_day, to_day] (default: the first event''s day, today UTC) for one tenant or all; returns the tenant-days written';

/* Per tenant and day: its active users and events. */
CREATE VIEW adoption.tenant_activity_daily WITH (security_invoker = true) AS
SELECT s.tenant_id, t.name AS tenant_name, t.segment, t.plan,
	s.day, (s.day::timestamp AT TIME ZONE 'UTC') AS day_start,
	s.active_users, s.users, s.events,
	t.seats_licensed,
	s.active_users::double precision / NULLIF(t.seats_licensed, 0) AS seat_utilization,
	s.partial, s.computed_at
FROM adoption.daily_tenant_snapshots AS s
LEFT JOIN adoption.tenants AS t ON t.tenant_id OPERATOR(pg_catalog.=) s.tenant_id;
COMMENT ON VIEW adoption.tenant_activity_daily IS 'Per tenant and UTC day, as of the end of the day: active users and events (daily snapshot kept by adoption.upkeep())';
COMMENT ON COLUMN adoption.tenant_activity_daily.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.tenant_activity_daily.tenant_name IS 'Tenant name';
COMMENT ON COLUMN adoption.tenant_activity_daily.segment IS 'Tenant segment';
COMMENT ON COLUMN adoption.tenant_activity_daily.plan IS 'Tenant plan';
COMMENT ON COLUMN adoption.tenant_activity_daily.day IS 'UTC day (date)';
COMMENT ON COLUMN adoption.tenant_activity_daily.day_start IS 'Midnight UTC starting the day, as timestamptz: use it where a client turns dates into local midnight';
COMMENT ON COLUMN adoption.tenant_activity_daily.active_users IS 'The tenant''s active users at the end of the day: users with an event of any feature in [day + 1 day - active_window, day + 1 day)';
COMMENT ON COLUMN adoption.tenant_activity_daily.users IS 'Users seen by the end of the day (first event before day + 1 day)';
COMMENT ON COLUMN adoption.tenant_activity_daily.events IS 'Events with time on the day';
COMMENT ON COLUMN adoption.tenant_activity_daily.seats_licensed IS 'Seats licensed now (adoption.tenants)';
COMMENT ON COLUMN adoption.tenant_activity_daily.seat_utilization IS 'active_users / seats_licensed (NULL without seats)';
COMMENT ON COLUMN adoption.tenant_activity_daily.partial IS 'True while the day has not ended (UTC): its numbers still grow';
COMMENT ON COLUMN adoption.tenant_activity_daily.computed_at IS 'When the row was computed';

/* Per tenant, feature and day: the adoption of docs/adoption-state.md as of the end of the day. */
CREATE VIEW adoption.adoption_daily WITH (security_invoker = true) AS
SELECT s.tenant_id, t.name AS tenant_name, t.segment, t.plan,
	s.feature_id, f.feature_name, f.tier,
	s.day, (s.day::timestamp AT TIME ZONE 'UTC') AS day_start,
	d.active_users, s.active_adopters,
	s.active_adopters::double precision / NULLIF(d.active_users, 0) AS adoption_rate,
	s.active_habitual,
	s.active_habitual::double precision / NULLIF(d.active_users, 0) AS habitual_rate,
	s.activated_users, s.adopted_users, s.habitual_users, s.new_adopters,
	s.tenant_adopted, s.partial, s.computed_at
FROM adoption.daily_feature_snapshots AS s
JOIN adoption.daily_tenant_snapshots AS d
	ON d.tenant_id OPERATOR(pg_catalog.=) s.tenant_id AND d.day OPERATOR(pg_catalog.=) s.day
LEFT JOIN adoption.tenants AS t ON t.tenant_id OPERATOR(pg_catalog.=) s.tenant_id
LEFT JOIN adoption.features AS f ON f.feature_id OPERATOR(pg_catalog.=) s.feature_id;
COMMENT ON VIEW adoption.adoption_daily IS 'Adoption per tenant, feature and UTC day, as of the end of the day, over the tenant''s active users (daily snapshot kept by adoption.upkeep()); a row from the first day a user of the tenant used the feature';
COMMENT ON COLUMN adoption.adoption_daily.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.adoption_daily.tenant_name IS 'Tenant name';
COMMENT ON COLUMN adoption.adoption_daily.segment IS 'Tenant segment';
COMMENT ON COLUMN adoption.adoption_daily.plan IS 'Tenant plan';
COMMENT ON COLUMN adoption.adoption_daily.feature_id IS 'Feature';
COMMENT ON COLUMN adoption.adoption_daily.feature_name IS 'Feature name from the catalog';
COMMENT ON COLUMN adoption.adoption_daily.tier IS 'core, advanced or premium';
COMMENT ON COLUMN adoption.adoption_daily.day IS 'UTC day (date)';
COMMENT ON COLUMN adoption.adoption_daily.day_start IS 'Midnight UTC starting the day, as timestamptz: use it where a client turns dates into local midnight';
COMMENT ON COLUMN adoption.adoption_daily.active_users IS 'The tenant''s active users at the end of the day (any feature, event in [day + 1 day - active_window, day + 1 day)): the denominator';
COMMENT ON COLUMN adoption.adoption_daily.active_adopters IS 'Active users who adopted the feature (adopted_at before the end of the day)';
COMMENT ON COLUMN adoption.adoption_daily.adoption_rate IS 'active_adopters / active_users (NULL without active users)';
COMMENT ON COLUMN adoption.adoption_daily.active_habitual IS 'Active users habitual on the feature (habitual_at before the end of the day)';
COMMENT ON COLUMN adoption.adoption_daily.habitual_rate IS 'active_habitual / active_users (NULL without active users)';
COMMENT ON COLUMN adoption.adoption_daily.activated_users IS 'Users who used the feature by the end of the day (active or not)';
COMMENT ON COLUMN adoption.adoption_daily.adopted_users IS 'Users who adopted the feature by the end of the day (active or not)';
COMMENT ON COLUMN adoption.adoption_daily.habitual_users IS 'Users habitual on the feature by the end of the day (active or not)';
COMMENT ON COLUMN adoption.adoption_daily.new_adopters IS 'Users whose adopted_at is on the day';
COMMENT ON COLUMN adoption.adoption_daily.tenant_adopted IS 'The tenant reached the feature_adopted milestone by the end of the day';
COMMENT ON COLUMN adoption.adoption_daily.partial IS 'True while the day has not ended (UTC): its numbers may still change';
COMMENT ON COLUMN adoption.adoption_daily.computed_at IS 'When the row was computed';

/*
 * Weekly (Monday, UTC) and monthly roll-ups of adoption_daily: the values
 * at the end of the period (its last day with a row), the adopters new in
 * it, and the mean of the daily rates.
 */
CREATE VIEW adoption.adoption_periods WITH (security_invoker = true) AS
SELECT r.period, r.tenant_id, r.tenant_name, r.segment, r.plan, r.feature_id, r.feature_name, r.tier,
	r.period_start_date, (r.period_start_date::timestamp AT TIME ZONE 'UTC') AS period_start,
	r.days, r.last_day, r.active_users, r.active_adopters, r.adoption_rate, r.active_habitual, r.habitual_rate,
	r.activated_users, r.adopted_users, r.habitual_users, r.new_adopters, r.mean_adoption_rate,
	r.tenant_adopted,
	r.partial OR ((r.period_start_date OPERATOR(pg_catalog.+) CASE r.period WHEN 'week' THEN interval '7 days'
		ELSE interval '1 month' END) AT TIME ZONE 'UTC') OPERATOR(pg_catalog.>) pg_catalog.now() AS partial
FROM (
	SELECT p.period, a.tenant_id, a.tenant_name, a.segment, a.plan, a.feature_id, a.feature_name, a.tier,
		(pg_catalog.date_trunc(p.period, a.day::timestamp))::date AS period_start_date,
		count(*) OVER w AS days,
		a.day AS last_day,
		a.active_users, a.active_adopters, a.adoption_rate, a.active_habitual, a.habitual_rate,
		a.activated_users, a.adopted_users, a.habitual_users,
		sum(a.new_adopters) OVER w AS new_adopters,
		avg(a.adoption_rate) OVER w AS mean_adoption_rate,
		a.tenant_adopted, a.partial,
		pg_catalog.row_number() OVER (PARTITION BY p.period, a.tenant_id, a.feature_id,
			pg_catalog.date_trunc(p.period, a.day::timestamp) ORDER BY a.day DESC) AS from_end
	FROM adoption.adoption_daily AS a
	CROSS JOIN (VALUES ('week'), ('month')) AS p(period)
	WINDOW w AS (PARTITION BY p.period, a.tenant_id, a.feature_id, pg_catalog.date_trunc(p.period, a.day::timestamp))
) AS r
WHERE r.from_end OPERATOR(pg_catalog.=) 1;
COMMENT ON VIEW adoption.adoption_periods IS 'adoption_daily rolled up per week (Monday, UTC) and per month: the values at the end of the period, adopters new in it, mean daily rate; read adoption_weekly or adoption_monthly';
COMMENT ON COLUMN adoption.adoption_periods.period IS 'week or month';
COMMENT ON COLUMN adoption.adoption_periods.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.adoption_periods.tenant_name IS 'Tenant name';
COMMENT ON COLUMN adoption.adoption_periods.segment IS 'Tenant segment';
COMMENT ON COLUMN adoption.adoption_periods.plan IS 'Tenant plan';
COMMENT ON COLUMN adoption.adoption_periods.feature_id IS 'Feature';
COMMENT ON COLUMN adoption.adoption_periods.feature_name IS 'Feature name from the catalog';
COMMENT ON COLUMN adoption.adoption_periods.tier IS 'core, advanced or premium';
COMMENT ON COLUMN adoption.adoption_periods.period_start_date IS 'First day of the period (a Monday for weeks), UTC date';
COMMENT ON COLUMN adoption.adoption_periods.period_start IS 'Midnight UTC starting the period, as timestamptz';
COMMENT ON COLUMN adoption.adoption_periods.days IS 'Days of the period with a row (fewer than the period''s days in the first period of a tenant x feature and in the current one)';
COMMENT ON COLUMN adoption.adoption_periods.last_day IS 'The day the end-of-period values are from (the period''s last day with a row)';
COMMENT ON COLUMN adoption.adoption_periods.active_users IS 'The tenant''s active users at the end of last_day';
COMMENT ON COLUMN adoption.adoption_periods.active_adopters IS 'Active users who adopted the feature, at the end of last_day';
COMMENT ON COLUMN adoption.adoption_periods.adoption_rate IS 'active_adopters / active_users at the end of last_day';
COMMENT ON COLUMN adoption.adoption_periods.active_habitual IS 'Active users habitual on the feature, at the end of last_day';
COMMENT ON COLUMN adoption.adoption_periods.habitual_rate IS 'active_habitual / active_users at the end of last_day';
COMMENT ON COLUMN adoption.adoption_periods.activated_users IS 'Users who used the feature by the end of last_day';
COMMENT ON COLUMN adoption.adoption_periods.adopted_users IS 'Users who adopted the feature by the end of last_day';
COMMENT ON COLUMN adoption.adoption_periods.habitual_users IS 'Users habitual on the feature by the end of last_day';
COMMENT ON COLUMN adoption.adoption_periods.new_adopters IS 'Users whose adopted_at is in the period';
COMMENT ON COLUMN adoption.adoption_periods.mean_adoption_rate IS 'Mean of the daily adoption_rate over the days of the period (days without active users left out)';
COMMENT ON COLUMN adoption.adoption_periods.tenant_adopted IS 'The tenant reached the feature_adopted milestone by the end of last_day';
COMMENT ON COLUMN adoption.adoption_periods.partial IS 'True while the period has not ended (UTC) or its last day is partial';

CREATE VIEW adoption.adoption_weekly WITH (security_invoker = true) AS
SELECT p.tenant_id, p.tenant_name, p.segment, p.plan, p.feature_id, p.feature_name, p.tier,
	p.period_start_date AS week, p.period_start AS week_start, p.days, p.last_day,
	p.active_users, p.active_adopters, p.adoption_rate, p.active_habitual, p.habitual_rate,
	p.activated_users, p.adopted_users, p.habitual_users, p.new_adopters, p.mean_adoption_rate,
	p.tenant_adopted, p.partial
FROM adoption.adoption_periods AS p
WHERE p.period OPERATOR(pg_catalog.=) 'week';
COMMENT ON VIEW adoption.adoption_weekly IS 'adoption_daily per week (Monday, UTC): values at the end of the week, adopters new in it, mean daily rate';
COMMENT ON COLUMN adoption.adoption_weekly.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.adoption_weekly.tenant_name IS 'Tenant name';
COMMENT ON COLUMN adoption.adoption_weekly.segment IS 'Tenant segment';
COMMENT ON COLUMN adoption.adoption_weekly.plan IS 'Tenant plan';
COMMENT ON COLUMN adoption.adoption_weekly.feature_id IS 'Feature';
COMMENT ON COLUMN adoption.adoption_weekly.feature_name IS 'Feature name from the catalog';
COMMENT ON COLUMN adoption.adoption_weekly.tier IS 'core, advanced or premium';
COMMENT ON COLUMN adoption.adoption_weekly.week IS 'Monday of the week (UTC date)';
COMMENT ON COLUMN adoption.adoption_weekly.week_start IS 'Midnight UTC starting the week, as timestamptz';
COMMENT ON COLUMN adoption.adoption_weekly.days IS 'Days of the week with a row (fewer than the week''s days in the first period of a tenant x feature and in the current one)';
COMMENT ON COLUMN adoption.adoption_weekly.last_day IS 'The day the end-of-period values are from (the week''s last day with a row)';
COMMENT ON COLUMN adoption.adoption_weekly.active_users IS 'The tenant''s active users at the end of last_day';
COMMENT ON COLUMN adoption.adoption_weekly.active_adopters IS 'Active users who adopted the feature, at the end of last_day';
COMMENT ON COLUMN adoption.adoption_weekly.adoption_rate IS 'active_adopters / active_users at the end of last_day';
COMMENT ON COLUMN adoption.adoption_weekly.active_habitual IS 'Active users habitual on the feature, at the end of last_day';
COMMENT ON COLUMN adoption.adoption_weekly.habitual_rate IS 'active_habitual / active_users at the end of last_day';
COMMENT ON COLUMN adoption.adoption_weekly.activated_users IS 'Users who used the feature by the end of last_day';
COMMENT ON COLUMN adoption.adoption_weekly.adopted_users IS 'Users who adopted the feature by the end of last_day';
COMMENT ON COLUMN adoption.adoption_weekly.habitual_users IS 'Users habitual on the feature by the end of last_day';
COMMENT ON COLUMN adoption.adoption_weekly.new_adopters IS 'Users whose adopted_at is in the week';
COMMENT ON COLUMN adoption.adoption_weekly.mean_adoption_rate IS 'Mean of the daily adoption_rate over the days of the week (days without active users left out)';
COMMENT ON COLUMN adoption.adoption_weekly.tenant_adopted IS 'The tenant reached the feature_adopted milestone by the end of last_day';
COMMENT ON COLUMN adoption.adoption_weekly.partial IS 'True while the week has not ended (UTC) or its last day is partial';

CREATE VIEW adoption.adoption_monthly WITH (security_invoker = true) AS
SELECT p.tenant_id, p.tenant_name, p.segment, p.plan, p.feature_id, p.feature_name, p.tier,
	p.period_start_date AS month, p.period_start AS month_start, p.days, p.last_day,
	p.active_users, p.active_adopters, p.adoption_rate, p.active_habitual, p.habitual_rate,
	p.activated_users, p.adopted_users, p.habitual_users, p.new_adopters, p.mean_adoption_rate,
	p.tenant_adopted, p.partial
FROM adoption.adoption_periods AS p
WHERE p.period OPERATOR(pg_catalog.=) 'month';
COMMENT ON VIEW adoption.adoption_monthly IS 'adoption_daily per month (UTC): values at the end of the month, adopters new in it, mean daily rate';
COMMENT ON COLUMN adoption.adoption_monthly.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.adoption_monthly.tenant_name IS 'Tenant name';
COMMENT ON COLUMN adoption.adoption_monthly.segment IS 'Tenant segment';
COMMENT ON COLUMN adoption.adoption_monthly.plan IS 'Tenant plan';
COMMENT ON COLUMN adoption.adoption_monthly.feature_id IS 'Feature';
COMMENT ON COLUMN adoption.adoption_monthly.feature_name IS 'Feature name from the catalog';
COMMENT ON COLUMN adoption.adoption_monthly.tier IS 'core, advanced or premium';
COMMENT ON COLUMN adoption.adoption_monthly.month IS 'First day of the month (UTC date)';
COMMENT ON COLUMN adoption.adoption_monthly.month_start IS 'Midnight UTC starting the month, as timestamptz';
COMMENT ON COLUMN adoption.adoption_monthly.days IS 'Days of the month with a row (fewer than the month''s days in the first period of a tenant x feature and in the current one)';
COMMENT ON COLUMN adoption.adoption_monthly.last_day IS 'The day the end-of-period values are from (the month''s last day with a row)';
COMMENT ON COLUMN adoption.adoption_monthly.active_users IS 'The tenant''s active users at the end of last_day';
COMMENT ON COLUMN adoption.adoption_monthly.active_adopters IS 'Active users who adopted the feature, at the end of last_day';
COMMENT ON COLUMN adoption.adoption_monthly.adoption_rate IS 'active_adopters / active_users at the end of last_day';
COMMENT ON COLUMN adoption.adoption_monthly.active_habitual IS 'Active users habitual on the feature, at the end of last_day';
COMMENT ON COLUMN adoption.adoption_monthly.habitual_rate IS 'active_habitual / active_users at the end of last_day';
COMMENT ON COLUMN adoption.adoption_monthly.activated_users IS 'Users who used the feature by the end of last_day';
COMMENT ON COLUMN adoption.adoption_monthly.adopted_users IS 'Users who adopted the feature by the end of last_day';
COMMENT ON COLUMN adoption.adoption_monthly.habitual_users IS 'Users habitual on the feature by the end of last_day';
COMMENT ON COLUMN adoption.adoption_monthly.new_adopters IS 'Users whose adopted_at is in the month';
COMMENT ON COLUMN adoption.adoption_monthly.mean_adoption_rate IS 'Mean of the daily adoption_rate over the days of the month (days without active users left out)';
COMMENT ON COLUMN adoption.adoption_monthly.tenant_adopted IS 'The tenant reached the feature_adopted milestone by the end of last_day';
COMMENT ON COLUMN adoption.adoption_monthly.partial IS 'True while the month has not ended (UTC) or its last day is partial';

/*
 * Per feature and day across tenants: the denominator is every tenant's
 * active users (tenants that never used the feature included), the
 * product-wide form of the tenant definition.  Read from the stored totals;
 * for a reader limited to its tenant (adoption_tenant), summed over the
 * rows it may read (the other branch, off for everyone else).
 */
CREATE VIEW adoption.feature_adoption_daily WITH (security_invoker = true) AS
SELECT f.feature_id, f.feature_name, f.tier, d.day, (d.day::timestamp AT TIME ZONE 'UTC') AS day_start,
	d.active_users,
	coalesce(s.active_adopters, 0) AS active_adopters,
	coalesce(s.active_adopters, 0)::double precision / NULLIF(d.active_users, 0) AS adoption_rate,
	coalesce(s.active_habitual, 0) AS active_habitual,
	coalesce(s.active_habitual, 0)::double precision / NULLIF(d.active_users, 0) AS habitual_rate,
	coalesce(s.activated_users, 0) AS activated_users,
	coalesce(s.adopted_users, 0) AS adopted_users,
	coalesce(s.new_adopters, 0) AS new_adopters,
	d.tenants,
	coalesce(s.tenants_using, 0) AS tenants_using,
	coalesce(s.tenants_adopted, 0) AS tenants_adopted,
	d.partial
FROM (
	SELECT x.day, x.active_users, x.tenants, x.partial FROM adoption.daily_totals AS x
	UNION ALL
	SELECT t.day, sum(t.active_users), count(*), bool_or(t.partial)
	FROM adoption.daily_tenant_snapshots AS t WHERE adoption.tenant_scoped() GROUP BY t.day
) AS d
CROSS JOIN adoption.features AS f
LEFT JOIN (
	SELECT x.feature_id, x.day, x.active_adopters, x.active_habitual, x.activated_users, x.adopted_users,
		x.new_adopters, x.tenants_using, x.tenants_adopted
	FROM adoption.daily_feature_totals AS x
	UNION ALL
	SELECT x.feature_id, x.day, sum(x.active_adopters), sum(x.active_habitual), sum(x.activated_users),
		sum(x.adopted_users), sum(x.new_adopters), count(*), count(*) FILTER (WHERE x.tenant_adopted)
	FROM adoption.daily_feature_snapshots AS x WHERE adoption.tenant_scoped() GROUP BY x.feature_id, x.day
) AS s ON s.feature_id OPERATOR(pg_catalog.=) f.feature_id AND s.day OPERATOR(pg_catalog.=) d.day;
COMMENT ON VIEW adoption.feature_adoption_daily IS 'Adoption per feature and UTC day across tenants, as of the end of the day: adopters among all tenants'' active users';
COMMENT ON COLUMN adoption.feature_adoption_daily.feature_id IS 'Feature';
COMMENT ON COLUMN adoption.feature_adoption_daily.feature_name IS 'Feature name from the catalog';
COMMENT ON COLUMN adoption.feature_adoption_daily.tier IS 'core, advanced or premium';
COMMENT ON COLUMN adoption.feature_adoption_daily.day IS 'UTC day (date)';
COMMENT ON COLUMN adoption.feature_adoption_daily.day_start IS 'Midnight UTC starting the day, as timestamptz';
COMMENT ON COLUMN adoption.feature_adoption_daily.active_users IS 'Sum over the tenants of their active users at the end of the day (every tenant, whether it used the feature or not): the denominator';
COMMENT ON COLUMN adoption.feature_adoption_daily.active_adopters IS 'Sum over the tenants of their active users who adopted the feature';
COMMENT ON COLUMN adoption.feature_adoption_daily.adoption_rate IS 'active_adopters / active_users (NULL without active users)';
COMMENT ON COLUMN adoption.feature_adoption_daily.active_habitual IS 'Sum over the tenants of their active users habitual on the feature';
COMMENT ON COLUMN adoption.feature_adoption_daily.habitual_rate IS 'active_habitual / active_users';
COMMENT ON COLUMN adoption.feature_adoption_daily.activated_users IS 'Users (of any tenant) who used the feature by the end of the day';
COMMENT ON COLUMN adoption.feature_adoption_daily.adopted_users IS 'Users (of any tenant) who adopted the feature by the end of the day';
COMMENT ON COLUMN adoption.feature_adoption_daily.new_adopters IS 'Users whose adopted_at is on the day';
COMMENT ON COLUMN adoption.feature_adoption_daily.tenants IS 'Tenants with a snapshot of the day (their first event is on or before it)';
COMMENT ON COLUMN adoption.feature_adoption_daily.tenants_using IS 'Tenants with a user who used the feature by the end of the day';
COMMENT ON COLUMN adoption.feature_adoption_daily.tenants_adopted IS 'Tenants that reached the feature_adopted milestone by the end of the day';
COMMENT ON COLUMN adoption.feature_adoption_daily.partial IS 'True while the day has not ended (UTC)';

/* feature_adoption_daily per week and month: the values at the end of the period. */
CREATE VIEW adoption.feature_adoption_periods WITH (security_invoker = true) AS
SELECT r.period, r.feature_id, r.feature_name, r.tier, r.period_start_date,
	(r.period_start_date::timestamp AT TIME ZONE 'UTC') AS period_start, r.last_day,
	r.active_users, r.active_adopters, r.adoption_rate, r.active_habitual, r.habitual_rate,
	r.activated_users, r.adopted_users, r.new_adopters, r.tenants, r.tenants_using, r.tenants_adopted,
	r.partial OR ((r.period_start_date OPERATOR(pg_catalog.+) CASE r.period WHEN 'week' THEN interval '7 days'
		ELSE interval '1 month' END) AT TIME ZONE 'UTC') OPERATOR(pg_catalog.>) pg_catalog.now() AS partial
FROM (
	SELECT p.period, a.feature_id, a.feature_name, a.tier,
		(pg_catalog.date_trunc(p.period, a.day::timestamp))::date AS period_start_date,
		a.day AS last_day, a.active_users, a.active_adopters, a.adoption_rate, a.active_habitual,
		a.habitual_rate, a.activated_users, a.adopted_users,
		sum(a.new_adopters) OVER (PARTITION BY p.period, a.feature_id,
			pg_catalog.date_trunc(p.period, a.day::timestamp)) AS new_adopters,
		a.tenants, a.tenants_using, a.tenants_adopted, a.partial,
		pg_catalog.row_number() OVER (PARTITION BY p.period, a.feature_id,
			pg_catalog.date_trunc(p.period, a.day::timestamp) ORDER BY a.day DESC) AS from_end
	FROM adoption.feature_adoption_daily AS a
	CROSS JOIN (VALUES ('week'), ('month')) AS p(period)
) AS r
WHERE r.from_end OPERATOR(pg_catalog.=) 1;
COMMENT ON VIEW adoption.feature_adoption_periods IS 'feature_adoption_daily per week (Monday, UTC) and month: values at the end of the period, adopters new in it; read feature_adoption_weekly or feature_adoption_monthly';
COMMENT ON COLUMN adoption.feature_adoption_periods.period IS 'week or month';
COMMENT ON COLUMN adoption.feature_adoption_periods.feature_id IS 'Feature';
COMMENT ON COLUMN adoption.feature_adoption_periods.feature_name IS 'Feature name from the catalog';
COMMENT ON COLUMN adoption.feature_adoption_periods.tier IS 'core, advanced or premium';
COMMENT ON COLUMN adoption.feature_adoption_periods.period_start_date IS 'First day of the period (a Monday for weeks), UTC date';
COMMENT ON COLUMN adoption.feature_adoption_periods.period_start IS 'Midnight UTC starting the period, as timestamptz';
COMMENT ON COLUMN adoption.feature_adoption_periods.last_day IS 'The day the end-of-period values are from';
COMMENT ON COLUMN adoption.feature_adoption_periods.active_users IS 'All tenants'' active users at the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_periods.active_adopters IS 'Of them, adopters of the feature';
COMMENT ON COLUMN adoption.feature_adoption_periods.adoption_rate IS 'active_adopters / active_users at the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_periods.active_habitual IS 'Active users habitual on the feature at the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_periods.habitual_rate IS 'active_habitual / active_users at the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_periods.activated_users IS 'Users who used the feature by the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_periods.adopted_users IS 'Users who adopted the feature by the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_periods.new_adopters IS 'Users whose adopted_at is in the period';
COMMENT ON COLUMN adoption.feature_adoption_periods.tenants IS 'Tenants with a snapshot of last_day';
COMMENT ON COLUMN adoption.feature_adoption_periods.tenants_using IS 'Tenants with a user of the feature by the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_periods.tenants_adopted IS 'Tenants with the feature_adopted milestone by the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_periods.partial IS 'True while the period has not ended (UTC)';

CREATE VIEW adoption.feature_adoption_weekly WITH (security_invoker = true) AS
SELECT p.feature_id, p.feature_name, p.tier, p.period_start_date AS week, p.period_start AS week_start, p.last_day,
	p.active_users, p.active_adopters, p.adoption_rate, p.active_habitual, p.habitual_rate,
	p.activated_users, p.adopted_users, p.new_adopters, p.tenants, p.tenants_using, p.tenants_adopted, p.partial
FROM adoption.feature_adoption_periods AS p
WHERE p.period OPERATOR(pg_catalog.=) 'week';
COMMENT ON VIEW adoption.feature_adoption_weekly IS 'feature_adoption_daily per week (Monday, UTC): values at the end of the week';
COMMENT ON COLUMN adoption.feature_adoption_weekly.feature_id IS 'Feature';
COMMENT ON COLUMN adoption.feature_adoption_weekly.feature_name IS 'Feature name from the catalog';
COMMENT ON COLUMN adoption.feature_adoption_weekly.tier IS 'core, advanced or premium';
COMMENT ON COLUMN adoption.feature_adoption_weekly.week IS 'Monday of the week (UTC date)';
COMMENT ON COLUMN adoption.feature_adoption_weekly.week_start IS 'Midnight UTC starting the week, as timestamptz';
COMMENT ON COLUMN adoption.feature_adoption_weekly.last_day IS 'The day the end-of-period values are from';
COMMENT ON COLUMN adoption.feature_adoption_weekly.active_users IS 'All tenants'' active users at the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_weekly.active_adopters IS 'Of them, adopters of the feature';
COMMENT ON COLUMN adoption.feature_adoption_weekly.adoption_rate IS 'active_adopters / active_users at the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_weekly.active_habitual IS 'Active users habitual on the feature at the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_weekly.habitual_rate IS 'active_habitual / active_users at the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_weekly.activated_users IS 'Users who used the feature by the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_weekly.adopted_users IS 'Users who adopted the feature by the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_weekly.new_adopters IS 'Users whose adopted_at is in the week';
COMMENT ON COLUMN adoption.feature_adoption_weekly.tenants IS 'Tenants with a snapshot of last_day';
COMMENT ON COLUMN adoption.feature_adoption_weekly.tenants_using IS 'Tenants with a user of the feature by the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_weekly.tenants_adopted IS 'Tenants with the feature_adopted milestone by the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_weekly.partial IS 'True while the week has not ended (UTC)';

CREATE VIEW adoption.feature_adoption_monthly WITH (security_invoker = true) AS
SELECT p.feature_id, p.feature_name, p.tier, p.period_start_date AS month, p.period_start AS month_start, p.last_day,
	p.active_users, p.active_adopters, p.adoption_rate, p.active_habitual, p.habitual_rate,
	p.activated_users, p.adopted_users, p.new_adopters, p.tenants, p.tenants_using, p.tenants_adopted, p.partial
FROM adoption.feature_adoption_periods AS p
WHERE p.period OPERATOR(pg_catalog.=) 'month';
COMMENT ON VIEW adoption.feature_adoption_monthly IS 'feature_adoption_daily per month (UTC): values at the end of the month';
COMMENT ON COLUMN adoption.feature_adoption_monthly.feature_id IS 'Feature';
COMMENT ON COLUMN adoption.feature_adoption_monthly.feature_name IS 'Feature name from the catalog';
COMMENT ON COLUMN adoption.feature_adoption_monthly.tier IS 'core, advanced or premium';
COMMENT ON COLUMN adoption.feature_adoption_monthly.month IS 'First day of the month (UTC date)';
COMMENT ON COLUMN adoption.feature_adoption_monthly.month_start IS 'Midnight UTC starting the month, as timestamptz';
COMMENT ON COLUMN adoption.feature_adoption_monthly.last_day IS 'The day the end-of-period values are from';
COMMENT ON COLUMN adoption.feature_adoption_monthly.active_users IS 'All tenants'' active users at the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_monthly.active_adopters IS 'Of them, adopters of the feature';
COMMENT ON COLUMN adoption.feature_adoption_monthly.adoption_rate IS 'active_adopters / active_users at the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_monthly.active_habitual IS 'Active users habitual on the feature at the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_monthly.habitual_rate IS 'active_habitual / active_users at the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_monthly.activated_users IS 'Users who used the feature by the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_monthly.adopted_users IS 'Users who adopted the feature by the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_monthly.new_adopters IS 'Users whose adopted_at is in the month';
COMMENT ON COLUMN adoption.feature_adoption_monthly.tenants IS 'Tenants with a snapshot of last_day';
COMMENT ON COLUMN adoption.feature_adoption_monthly.tenants_using IS 'Tenants with a user of the feature by the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_monthly.tenants_adopted IS 'Tenants with the feature_adopted milestone by the end of last_day';
COMMENT ON COLUMN adoption.feature_adoption_monthly.partial IS 'True while the month has not ended (UTC)';

/*
 * Health per tenant and day: the tenant's latest score as of the end of
 * the day (scores are appended by rescore(); a day without a new score
 * carries the one before), from the day of its first score to today: each
 * day's last score covers the days up to the next day with a score.
 */
CREATE VIEW adoption.health_daily WITH (security_invoker = true) AS
SELECT h.tenant_id, t.name AS tenant_name, t.segment, t.plan, t.arr,
	g.day::date AS day, (g.day AT TIME ZONE 'UTC') AS day_start,
	h.scored_at, h.score, h.risk,
	(h.components OPERATOR(pg_catalog.->>) 'usage_trend')::double precision AS usage_trend,
	(h.components OPERATOR(pg_catalog.->>) 'adoption')::double precision AS adoption,
	(h.components OPERATOR(pg_catalog.->>) 'support')::double precision AS support,
	(h.components OPERATOR(pg_catalog.->>) 'billing')::double precision AS billing,
	(h.components OPERATOR(pg_catalog.->>) 'feedback')::double precision AS feedback,
	h.active_users,
	((g.day OPERATOR(pg_catalog.+) interval '1 day') AT TIME ZONE 'UTC') OPERATOR(pg_catalog.>) pg_catalog.now() AS partial
FROM (
	SELECT l.*, pg_catalog.lead(l.day) OVER (PARTITION BY l.tenant_id ORDER BY l.day) AS next_day
	FROM (
		SELECT DISTINCT ON (x.tenant_id, 2) x.tenant_id,
			pg_catalog.date_trunc('day', x.scored_at AT TIME ZONE 'UTC') AS day,
			x.scored_at, x.score, x.risk, x.components, x.active_users
		FROM adoption.health_scores AS x
		ORDER BY x.tenant_id, 2, x.scored_at DESC
	) AS l
) AS h
CROSS JOIN LATERAL pg_catalog.generate_series(h.day,
	coalesce(h.next_day OPERATOR(pg_catalog.-) interval '1 day',
		greatest(h.day, pg_catalog.date_trunc('day', pg_catalog.now() AT TIME ZONE 'UTC'))),
	interval '1 day') AS g(day)
LEFT JOIN adoption.tenants AS t ON t.tenant_id OPERATOR(pg_catalog.=) h.tenant_id;
COMMENT ON VIEW adoption.health_daily IS 'Health per tenant and UTC day: the latest score as of the end of the day (a day without a new score carries the previous one), components as numbers';
COMMENT ON COLUMN adoption.health_daily.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.health_daily.tenant_name IS 'Tenant name';
COMMENT ON COLUMN adoption.health_daily.segment IS 'Tenant segment';
COMMENT ON COLUMN adoption.health_daily.plan IS 'Tenant plan';
COMMENT ON COLUMN adoption.health_daily.arr IS 'Annual recurring revenue of the tenant (now)';
COMMENT ON COLUMN adoption.health_daily.day IS 'UTC day (date)';
COMMENT ON COLUMN adoption.health_daily.day_start IS 'Midnight UTC starting the day, as timestamptz';
COMMENT ON COLUMN adoption.health_daily.scored_at IS 'Time the score shown is as of (the latest before the end of the day)';
COMMENT ON COLUMN adoption.health_daily.score IS 'Health score 0-100';
COMMENT ON COLUMN adoption.health_daily.risk IS 'healthy, at_risk or critical';
COMMENT ON COLUMN adoption.health_daily.usage_trend IS 'Component usage_trend, 0-100 (NULL when absent)';
COMMENT ON COLUMN adoption.health_daily.adoption IS 'Component adoption, 0-100';
COMMENT ON COLUMN adoption.health_daily.support IS 'Component support, 0-100';
COMMENT ON COLUMN adoption.health_daily.billing IS 'Component billing, 0-100';
COMMENT ON COLUMN adoption.health_daily.feedback IS 'Component feedback, 0-100 (NULL without NPS answers in 90 days)';
COMMENT ON COLUMN adoption.health_daily.active_users IS 'The tenant''s active users at scored_at';
COMMENT ON COLUMN adoption.health_daily.partial IS 'True while the day has not ended (UTC): a later score of the day may replace it';

CREATE VIEW adoption.health_bands_daily WITH (security_invoker = true) AS
SELECT h.day, h.day_start, h.risk, count(*) AS tenants, sum(h.arr) AS arr, avg(h.score) AS mean_score,
	bool_or(h.partial) AS partial
FROM adoption.health_daily AS h
GROUP BY h.day, h.day_start, h.risk;
COMMENT ON VIEW adoption.health_bands_daily IS 'Tenants per health band and UTC day (from health_daily: each tenant''s latest score as of the end of the day)';
COMMENT ON COLUMN adoption.health_bands_daily.day IS 'UTC day (date)';
COMMENT ON COLUMN adoption.health_bands_daily.day_start IS 'Midnight UTC starting the day, as timestamptz';
COMMENT ON COLUMN adoption.health_bands_daily.risk IS 'healthy, at_risk or critical';
COMMENT ON COLUMN adoption.health_bands_daily.tenants IS 'Tenants in the band';
COMMENT ON COLUMN adoption.health_bands_daily.arr IS 'Their ARR (now)';
COMMENT ON COLUMN adoption.health_bands_daily.mean_score IS 'Their mean score';
COMMENT ON COLUMN adoption.health_bands_daily.partial IS 'True while the day has not ended (UTC)';

/* NPS and sentiment per tenant and week (Monday, UTC) of the feedback. */
CREATE VIEW adoption.feedback_weekly WITH (security_invoker = true) AS
SELECT x.tenant_id, x.week, (x.week::timestamp AT TIME ZONE 'UTC') AS week_start,
	x.feedback, x.nps_responses, x.promoters, x.passives, x.detractors,
	round(100.0 * (x.promoters - x.detractors) / NULLIF(x.nps_responses, 0), 1) AS nps,
	x.mean_sentiment, x.positive, x.neutral, x.negative, x.csat_responses, x.mean_csat,
	((x.week OPERATOR(pg_catalog.+) 7)::timestamp AT TIME ZONE 'UTC') OPERATOR(pg_catalog.>) pg_catalog.now() AS partial
FROM (
	SELECT f.tenant_id, (pg_catalog.date_trunc('week', f.created_at AT TIME ZONE 'UTC'))::date AS week,
		count(*) AS feedback,
		count(*) FILTER (WHERE f.channel OPERATOR(pg_catalog.=) 'nps' AND f.score IS NOT NULL) AS nps_responses,
		count(*) FILTER (WHERE f.channel OPERATOR(pg_catalog.=) 'nps' AND f.score >= 9) AS promoters,
		count(*) FILTER (WHERE f.channel OPERATOR(pg_catalog.=) 'nps' AND f.score BETWEEN 7 AND 8) AS passives,
		count(*) FILTER (WHERE f.channel OPERATOR(pg_catalog.=) 'nps' AND f.score <= 6) AS detractors,
		avg(f.sentiment)::double precision AS mean_sentiment,
		count(*) FILTER (WHERE f.sentiment_label OPERATOR(pg_catalog.=) 'positive') AS positive,
		count(*) FILTER (WHERE f.sentiment_label OPERATOR(pg_catalog.=) 'neutral') AS neutral,
		count(*) FILTER (WHERE f.sentiment_label OPERATOR(pg_catalog.=) 'negative') AS negative,
		count(*) FILTER (WHERE f.channel OPERATOR(pg_catalog.=) 'csat' AND f.score IS NOT NULL) AS csat_responses,
		(avg(f.score) FILTER (WHERE f.channel OPERATOR(pg_catalog.=) 'csat'))::double precision AS mean_csat
	FROM adoption.feedback AS f
	GROUP BY 1, 2
) AS x;
COMMENT ON VIEW adoption.feedback_weekly IS 'Feedback per tenant and week (Monday, UTC, of created_at): NPS counts and score, sentiment, CSAT';
COMMENT ON COLUMN adoption.feedback_weekly.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.feedback_weekly.week IS 'Monday of the week (UTC date)';
COMMENT ON COLUMN adoption.feedback_weekly.week_start IS 'Midnight UTC starting the week, as timestamptz';
COMMENT ON COLUMN adoption.feedback_weekly.feedback IS 'Feedback rows of any channel';
COMMENT ON COLUMN adoption.feedback_weekly.nps_responses IS 'NPS answers with a score (sum it, with promoters and detractors, to get the NPS of several tenants or weeks)';
COMMENT ON COLUMN adoption.feedback_weekly.promoters IS 'NPS answers 9-10';
COMMENT ON COLUMN adoption.feedback_weekly.passives IS 'NPS answers 7-8';
COMMENT ON COLUMN adoption.feedback_weekly.detractors IS 'NPS answers 0-6';
COMMENT ON COLUMN adoption.feedback_weekly.nps IS '% promoters - % detractors, -100 to 100 (NULL without NPS answers)';
COMMENT ON COLUMN adoption.feedback_weekly.mean_sentiment IS 'Mean sentiment (-1 to 1) of the feedback rows';
COMMENT ON COLUMN adoption.feedback_weekly.positive IS 'Rows labelled positive (sentiment >= 0.05)';
COMMENT ON COLUMN adoption.feedback_weekly.neutral IS 'Rows labelled neutral';
COMMENT ON COLUMN adoption.feedback_weekly.negative IS 'Rows labelled negative (sentiment <= -0.05)';
COMMENT ON COLUMN adoption.feedback_weekly.csat_responses IS 'CSAT answers with a score';
COMMENT ON COLUMN adoption.feedback_weekly.mean_csat IS 'Mean CSAT score (1-5; NULL without answers)';
COMMENT ON COLUMN adoption.feedback_weekly.partial IS 'True while the week has not ended (UTC)';

/*
 * Campaign queue throughput per template and UTC day, from the first day
 * an action of the template was created to today: what came in, what went
 * out, and what was left at the end of the day.
 */
CREATE VIEW adoption.queue_daily WITH (security_invoker = true) AS
SELECT k.template_key, g.day::date AS day, (g.day AT TIME ZONE 'UTC') AS day_start,
	coalesce(c.enqueued, 0) AS enqueued,
	coalesce(d.done, 0) AS done,
	coalesce(d.dead, 0) AS dead,
	(sum(coalesce(c.enqueued, 0) OPERATOR(pg_catalog.-) coalesce(d.done, 0) OPERATOR(pg_catalog.-) coalesce(d.dead, 0))
		OVER (PARTITION BY k.template_key ORDER BY g.day))::bigint AS backlog,
	d.median_seconds_to_done,
	((g.day OPERATOR(pg_catalog.+) interval '1 day') AT TIME ZONE 'UTC') OPERATOR(pg_catalog.>) pg_catalog.now() AS partial
FROM (SELECT a.template_key, min(a.created_at) AS first_created_at FROM adoption.campaign_actions AS a
	GROUP BY a.template_key) AS k
CROSS JOIN LATERAL pg_catalog.generate_series(pg_catalog.date_trunc('day', k.first_created_at AT TIME ZONE 'UTC'),
	greatest(pg_catalog.date_trunc('day', pg_catalog.now() AT TIME ZONE 'UTC'),
		pg_catalog.date_trunc('day', k.first_created_at AT TIME ZONE 'UTC')), interval '1 day') AS g(day)
LEFT JOIN (SELECT a.template_key, pg_catalog.date_trunc('day', a.created_at AT TIME ZONE 'UTC') AS day,
		count(*) AS enqueued
	FROM adoption.campaign_actions AS a GROUP BY 1, 2) AS c
	ON c.template_key OPERATOR(pg_catalog.=) k.template_key AND c.day OPERATOR(pg_catalog.=) g.day
LEFT JOIN (SELECT a.template_key, pg_catalog.date_trunc('day', a.completed_at AT TIME ZONE 'UTC') AS day,
		count(*) FILTER (WHERE a.status OPERATOR(pg_catalog.=) 'done') AS done,
		count(*) FILTER (WHERE a.status OPERATOR(pg_catalog.=) 'dead') AS dead,
		pg_catalog.percentile_cont(0.5) WITHIN GROUP (ORDER BY pg_catalog.date_part('epoch', a.completed_at OPERATOR(pg_catalog.-) a.created_at))
			FILTER (WHERE a.status OPERATOR(pg_catalog.=) 'done') AS median_seconds_to_done
	FROM adoption.campaign_actions AS a
	WHERE a.completed_at IS NOT NULL AND a.status OPERATOR(pg_catalog.=) ANY (ARRAY['done', 'dead'])
	GROUP BY 1, 2) AS d
	ON d.template_key OPERATOR(pg_catalog.=) k.template_key AND d.day OPERATOR(pg_catalog.=) g.day;
COMMENT ON VIEW adoption.queue_daily IS 'Campaign action throughput per template and UTC day: enqueued, done, dead, the backlog left at the end of the day, and how long done actions took';
COMMENT ON COLUMN adoption.queue_daily.template_key IS 'Campaign template';
COMMENT ON COLUMN adoption.queue_daily.day IS 'UTC day (date)';
COMMENT ON COLUMN adoption.queue_daily.day_start IS 'Midnight UTC starting the day, as timestamptz';
COMMENT ON COLUMN adoption.queue_daily.enqueued IS 'Actions created on the day';
COMMENT ON COLUMN adoption.queue_daily.done IS 'Actions that became done on the day (completed_at)';
COMMENT ON COLUMN adoption.queue_daily.dead IS 'Actions that became dead on the day (completed_at)';
COMMENT ON COLUMN adoption.queue_daily.backlog IS 'Actions created by the end of the day and not done or dead by then (pending or claimed)';
COMMENT ON COLUMN adoption.queue_daily.median_seconds_to_done IS 'Median of completed_at - created_at, in seconds, over the actions done on the day (NULL without)';
COMMENT ON COLUMN adoption.queue_daily.partial IS 'True while the day has not ended (UTC)';

CREATE OR REPLACE FUNCTION adoption.upkeep()
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	created integer;
	dropped integer;
	scored integer;
	snapshot_days integer;
	trimmed bigint := 0;
BEGIN
	created := adoption.ensure_partitions(3);
	dropped := adoption.apply_retention();
	scored := adoption.rescore();
	snapshot_days := adoption.snapshot_adoption();
	IF to_regclass('cron.job_run_details') IS NOT NULL AND to_regclass('cron.job') IS NOT NULL THEN
		BEGIN
			EXECUTE 'DELETE FROM cron.job_run_details AS d USING cron.job AS j
				WHERE d.jobid OPERATOR(pg_catalog.=) j.jobid AND j.jobname OPERATOR(pg_catalog.=) $1
					AND j.database OPERATOR(pg_catalog.=) $2 AND d.end_time OPERATOR(pg_catalog.<) $3'
				USING adoption.rescoring_job_name(), current_database(), now() - interval '7 days';
			GET DIAGNOSTICS trimmed = ROW_COUNT;
		EXCEPTION WHEN insufficient_privilege THEN
			trimmed := 0;
		END;
	END IF;
	RETURN jsonb_build_object('partitions_created', created, 'partitions_dropped', dropped,
		'tenants_rescored', scored, 'snapshot_days', snapshot_days, 'cron_runs_trimmed', trimmed);
END
$$;
COMMENT ON FUNCTION adoption.upkeep() IS 'The scheduled job: ensure_partitions(3), apply_retention(), rescore(), snapshot_adoption() (daily adoption snapshots), and trimming of its pg_cron run records older than 7 days; returns what it did as JSON';

CREATE OR REPLACE VIEW adoption.launch_performance WITH (security_invoker = true) AS
SELECT l.launch_id, l.feature_id, f.feature_name, l.campaign_id, l.launched_at,
	l.target_adoption, l.target_days,
	l.launched_at + l.target_days * interval '24 hours' AS target_at,
	u.users_activated_7d, u.users_activated_30d, u.users_activated_90d,
	tn.tenants_activated_7d, tn.tenants_activated_30d, tn.tenants_activated_90d,
	a.tenants_active, a.tenants_adopted,
	a.tenants_adopted::double precision / NULLIF(a.tenants_active, 0) AS adoption_rate,
	u.median_time_to_activation,
	CASE WHEN pg_catalog.now() < l.launched_at + l.target_days * interval '24 hours' THEN NULL
		ELSE a.tenants_active > 0
			AND a.tenants_adopted::numeric >= l.target_adoption::numeric * a.tenants_active
	END AS target_met,
	a.users_active, a.users_adopted,
	a.users_adopted::double precision / NULLIF(a.users_active, 0) AS user_adoption_rate,
	pg_catalog.date_part('epoch', u.median_time_to_activation) OPERATOR(pg_catalog./) 86400 AS median_days_to_activation
FROM adoption.launches AS l
LEFT JOIN adoption.features AS f ON f.feature_id OPERATOR(pg_catalog.=) l.feature_id
CROSS JOIN LATERAL (
	SELECT count(*) FILTER (WHERE s.activated_at >= l.launched_at
			AND s.activated_at < l.launched_at + interval '168 hours') AS users_activated_7d,
		count(*) FILTER (WHERE s.activated_at >= l.launched_at
			AND s.activated_at < l.launched_at + interval '720 hours') AS users_activated_30d,
		count(*) FILTER (WHERE s.activated_at >= l.launched_at
			AND s.activated_at < l.launched_at + interval '2160 hours') AS users_activated_90d,
		pg_catalog.percentile_cont(0.5) WITHIN GROUP (ORDER BY s.activated_at - l.launched_at)
			FILTER (WHERE s.activated_at >= l.launched_at) AS median_time_to_activation
	FROM adoption.user_feature_state AS s
	WHERE s.feature_id OPERATOR(pg_catalog.=) l.feature_id
) AS u
CROSS JOIN LATERAL (
	SELECT count(*) FILTER (WHERE t.first_activated_at >= l.launched_at
			AND t.first_activated_at < l.launched_at + interval '168 hours') AS tenants_activated_7d,
		count(*) FILTER (WHERE t.first_activated_at >= l.launched_at
			AND t.first_activated_at < l.launched_at + interval '720 hours') AS tenants_activated_30d,
		count(*) FILTER (WHERE t.first_activated_at >= l.launched_at
			AND t.first_activated_at < l.launched_at + interval '2160 hours') AS tenants_activated_90d
	FROM (SELECT s.tenant_id, min(s.activated_at) AS first_activated_at
		FROM adoption.user_feature_state AS s
		WHERE s.feature_id OPERATOR(pg_catalog.=) l.feature_id
		GROUP BY s.tenant_id) AS t
) AS tn
CROSS JOIN LATERAL (
	/*
	 * One pass over the log's events of the target window: the users
	 * active in it (any feature), per tenant, and which of them adopted.
	 */
	SELECT count(*) AS tenants_active,
		count(*) FILTER (WHERE EXISTS (SELECT 1 FROM adoption.user_feature_state AS s
			WHERE s.tenant_id OPERATOR(pg_catalog.=) w.tenant_id
				AND s.feature_id OPERATOR(pg_catalog.=) l.feature_id
				AND s.adopted_at < l.launched_at + l.target_days * interval '24 hours')) AS tenants_adopted,
		coalesce(sum(w.users), 0)::bigint AS users_active,
		coalesce(sum(w.adopters), 0)::bigint AS users_adopted
	FROM (SELECT x.tenant_id, count(*) AS users,
			count(*) FILTER (WHERE EXISTS (SELECT 1 FROM adoption.user_feature_state AS s
				WHERE s.tenant_id OPERATOR(pg_catalog.=) x.tenant_id
					AND s.feature_id OPERATOR(pg_catalog.=) l.feature_id
					AND s.user_id OPERATOR(pg_catalog.=) x.user_id
					AND s.adopted_at < l.launched_at + l.target_days * interval '24 hours')) AS adopters
		FROM (SELECT DISTINCT e.tenant_id, e.user_id
			FROM adoption.feature_usage_events AS e
			WHERE e.usage_timestamp >= l.launched_at
				AND e.usage_timestamp < l.launched_at + l.target_days * interval '24 hours') AS x
		GROUP BY x.tenant_id) AS w
) AS a;
COMMENT ON COLUMN adoption.launch_performance.median_days_to_activation IS 'median_time_to_activation as a number of days (for BI tools that cannot chart an interval)';
CREATE OR REPLACE VIEW adoption.action_queue WITH (security_invoker = true) AS
SELECT a.template_key, t.campaign_id, t.channel, a.status,
	count(*) AS actions,
	count(*) FILTER (WHERE a.status OPERATOR(pg_catalog.=) 'pending' AND a.available_at <= pg_catalog.now()) AS due_now,
	count(*) FILTER (WHERE a.status OPERATOR(pg_catalog.=) 'claimed' AND a.lease_until < pg_catalog.now()) AS lease_expired,
	count(*) FILTER (WHERE a.created_at > pg_catalog.now() - interval '1 hour') AS age_under_1h,
	count(*) FILTER (WHERE a.created_at <= pg_catalog.now() - interval '1 hour'
		AND a.created_at > pg_catalog.now() - interval '24 hours') AS age_1h_to_1d,
	count(*) FILTER (WHERE a.created_at <= pg_catalog.now() - interval '24 hours'
		AND a.created_at > pg_catalog.now() - interval '168 hours') AS age_1d_to_7d,
	count(*) FILTER (WHERE a.created_at <= pg_catalog.now() - interval '168 hours') AS age_over_7d,
	min(a.created_at) AS oldest_created_at,
	pg_catalog.now() - min(a.created_at) AS oldest_age,
	max(a.created_at) AS newest_created_at,
	max(a.attempts) AS most_attempts,
	max(a.completed_at) AS last_completed_at,
	pg_catalog.date_part('epoch', pg_catalog.now() OPERATOR(pg_catalog.-) min(a.created_at)) AS oldest_age_seconds
FROM adoption.campaign_actions AS a
LEFT JOIN adoption.campaign_templates AS t ON t.template_key OPERATOR(pg_catalog.=) a.template_key
GROUP BY a.template_key, t.campaign_id, t.channel, a.status;
COMMENT ON COLUMN adoption.action_queue.oldest_age_seconds IS 'oldest_age as a number of seconds (for BI tools that cannot chart an interval)';

CREATE OR REPLACE FUNCTION adoption.forget_user(tenant_id text, user_id text)
RETURNS jsonb
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t text := forget_user.tenant_id;
	u text := forget_user.user_id;
	n_events bigint;
	n_state bigint;
	n_feedback bigint;
	n_touches bigint;
	n_queue bigint;
	n_archive bigint;
	n_keys bigint;
	replayed bigint;
	ids bigint[];
BEGIN
	PERFORM adoption.check_known_tenant(t, 'Pass the tenant_id and user_id of the user to forget.');
	IF u IS NULL OR pg_catalog.btrim(u) OPERATOR(pg_catalog.=) '' THEN
		RAISE EXCEPTION 'user_id must not be NULL or empty' USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Pass the tenant_id and user_id of the user to forget.';
	END IF;

	/* Ingest waits until the transaction ends, so the rebuild below misses no event. */
	LOCK TABLE adoption.feature_usage_events IN SHARE ROW EXCLUSIVE MODE;

	IF NOT (EXISTS (SELECT FROM adoption.user_feature_state AS s
			WHERE s.tenant_id OPERATOR(pg_catalog.=) t AND s.user_id OPERATOR(pg_catalog.=) u)
		OR EXISTS (SELECT FROM adoption.feature_usage_events AS e
			WHERE e.tenant_id OPERATOR(pg_catalog.=) t AND e.user_id OPERATOR(pg_catalog.=) u)
		OR EXISTS (SELECT FROM adoption.feedback AS f
			WHERE f.tenant_id OPERATOR(pg_catalog.=) t AND f.user_id OPERATOR(pg_catalog.=) u)
		OR EXISTS (SELECT FROM adoption.campaign_touches AS c
			WHERE c.tenant_id OPERATOR(pg_catalog.=) t AND c.user_id OPERATOR(pg_catalog.=) u)
		OR EXISTS (SELECT FROM adoption.campaign_actions AS a
			WHERE a.tenant_id OPERATOR(pg_catalog.=) t AND a.user_id OPERATOR(pg_catalog.=) u)) THEN
		RAISE EXCEPTION 'user "%" of tenant "%" does not exist', u, t USING ERRCODE = 'no_data_found',
			HINT = 'The user has no events, state, feedback, touches or actions in this tenant; user ids are case-sensitive.';
	END IF;

	DELETE FROM adoption.feature_usage_events AS e
	WHERE e.tenant_id OPERATOR(pg_catalog.=) t AND e.user_id OPERATOR(pg_catalog.=) u;
	GET DIAGNOSTICS n_events = ROW_COUNT;
	DELETE FROM adoption.user_feature_state AS s
	WHERE s.tenant_id OPERATOR(pg_catalog.=) t AND s.user_id OPERATOR(pg_catalog.=) u;
	GET DIAGNOSTICS n_state = ROW_COUNT;
	DELETE FROM adoption.feedback AS f
	WHERE f.tenant_id OPERATOR(pg_catalog.=) t AND f.user_id OPERATOR(pg_catalog.=) u;
	GET DIAGNOSTICS n_feedback = ROW_COUNT;
	DELETE FROM adoption.campaign_touches AS c
	WHERE c.tenant_id OPERATOR(pg_catalog.=) t AND c.user_id OPERATOR(pg_catalog.=) u;
	GET DIAGNOSTICS n_touches = ROW_COUNT;

	/* The keys of the user's actions go too: they hold the user id, and a user who comes back is a new user. */
	WITH gone AS (
		DELETE FROM adoption.campaign_action_queue AS q
		WHERE q.tenant_id OPERATOR(pg_catalog.=) t AND q.user_id OPERATOR(pg_catalog.=) u
		RETURNING q.action_id
	)
	SELECT pg_catalog.array_agg(g.action_id) INTO ids FROM gone AS g;
	n_queue := coalesce(pg_catalog.cardinality(ids), 0);
	WITH gone AS (
		DELETE FROM adoption.campaign_action_archive AS r
		WHERE r.tenant_id OPERATOR(pg_catalog.=) t AND r.user_id OPERATOR(pg_catalog.=) u
		RETURNING r.action_id
	)
	SELECT coalesce(ids, '{}') OPERATOR(pg_catalog.||) coalesce(pg_catalog.array_agg(g.action_id), '{}'),
		pg_catalog.count(*)
	INTO ids, n_archive FROM gone AS g;
	DELETE FROM adoption.campaign_action_keys AS k
	WHERE k.tenant_id OPERATOR(pg_catalog.=) t AND k.action_id OPERATOR(pg_catalog.=) ANY (ids);
	GET DIAGNOSTICS n_keys = ROW_COUNT;

	/* Tenant-level state the user fed: recomputed from the remaining events. */
	replayed := adoption.rebuild(t);
	/* So are its daily snapshots (the next upkeep does it if a run holds them now). */
	PERFORM adoption.drop_snapshots(t);
	PERFORM adoption.snapshot_adoption(NULL, NULL, t);

	RETURN pg_catalog.jsonb_build_object(
		'feature_usage_events', n_events,
		'user_feature_state', n_state,
		'feedback', n_feedback,
		'campaign_touches', n_touches,
		'campaign_action_queue', n_queue,
		'campaign_action_archive', n_archive,
		'campaign_action_keys', n_keys,
		'events_replayed', replayed);
END
$$;
COMMENT ON FUNCTION adoption.forget_user(text, text) IS 'Erases a user of a tenant: events, adoption state, feedback, touches, campaign actions and their dedupe keys; then rebuilds the tenant''s adoption state and daily snapshots from its remaining events; returns the rows deleted per table as jsonb';

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
	/* The daily snapshots, with the totals of their days fixed. */
	counts := pg_catalog.jsonb_build_object(
		'daily_feature_snapshots', (SELECT pg_catalog.count(*) FROM adoption.daily_feature_snapshots AS x
			WHERE x.tenant_id OPERATOR(pg_catalog.=) t),
		'daily_tenant_snapshots', (SELECT pg_catalog.count(*) FROM adoption.daily_tenant_snapshots AS x
			WHERE x.tenant_id OPERATOR(pg_catalog.=) t));
	PERFORM adoption.drop_snapshots(t);
	/* Every table that holds rows of a tenant; the tenant's own row last. */
	FOREACH tbl IN ARRAY ARRAY['feature_usage_events', 'user_feature_state', 'tenant_user_state',
		'tenant_feature_counts', 'tenant_feature_milestones', 'tenant_state',
		'feedback', 'support_tickets', 'billing_events', 'campaign_touches',
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
COMMENT ON FUNCTION adoption.forget_tenant(text) IS 'Erases a tenant: every row of it in every table of the extension (events, state, daily snapshots, feedback, tickets, billing events, touches, actions and keys, follow-ups, health scores, lexicon, settings override, the tenant itself); returns the rows deleted per table as jsonb';

/* Privileges and row-level security of the new objects, as security.sql gives them. */
REVOKE ALL ON adoption.daily_tenant_snapshots, adoption.daily_feature_snapshots, adoption.daily_totals, adoption.daily_feature_totals, adoption.snapshot_state,
	adoption.tenant_activity_daily, adoption.adoption_daily, adoption.adoption_periods, adoption.adoption_weekly,
	adoption.adoption_monthly, adoption.feature_adoption_daily, adoption.feature_adoption_periods,
	adoption.feature_adoption_weekly, adoption.feature_adoption_monthly, adoption.health_daily,
	adoption.health_bands_daily, adoption.feedback_weekly, adoption.queue_daily FROM PUBLIC;
REVOKE ALL ON FUNCTION adoption.ingest_watermark(), adoption.snapshot_totals(date, date), adoption.tenant_scoped(),
	adoption.drop_snapshots(text), adoption.snapshot_days(jsonb), adoption.snapshot_adoption(date, date, text) FROM PUBLIC;
GRANT SELECT ON adoption.daily_tenant_snapshots, adoption.daily_feature_snapshots, adoption.daily_totals, adoption.daily_feature_totals,
	adoption.tenant_activity_daily, adoption.adoption_daily, adoption.adoption_periods, adoption.adoption_weekly,
	adoption.adoption_monthly, adoption.feature_adoption_daily, adoption.feature_adoption_periods,
	adoption.feature_adoption_weekly, adoption.feature_adoption_monthly, adoption.health_daily,
	adoption.health_bands_daily, adoption.feedback_weekly, adoption.queue_daily
	TO adoption_analyst, adoption_tenant;
GRANT SELECT ON adoption.snapshot_state TO adoption_analyst;
GRANT EXECUTE ON FUNCTION adoption.tenant_scoped() TO adoption_analyst, adoption_tenant;
ALTER TABLE adoption.daily_totals ENABLE ROW LEVEL SECURITY;
ALTER TABLE adoption.daily_feature_totals ENABLE ROW LEVEL SECURITY;
CREATE POLICY all_rows ON adoption.daily_totals TO adoption_app, adoption_analyst USING (true) WITH CHECK (true);
CREATE POLICY all_rows ON adoption.daily_feature_totals TO adoption_app, adoption_analyst USING (true) WITH CHECK (true);
COMMENT ON POLICY all_rows ON adoption.daily_totals IS 'adoption_app and adoption_analyst see every row; adoption_tenant none (sums over every tenant)';
COMMENT ON POLICY all_rows ON adoption.daily_feature_totals IS 'adoption_app and adoption_analyst see every row; adoption_tenant none (sums over every tenant)';

DO $$
DECLARE
	tbl text;
BEGIN
	FOREACH tbl IN ARRAY ARRAY['daily_tenant_snapshots', 'daily_feature_snapshots'] LOOP
		EXECUTE pg_catalog.format('ALTER TABLE adoption.%I ENABLE ROW LEVEL SECURITY', tbl);
		EXECUTE pg_catalog.format('CREATE POLICY all_rows ON adoption.%I TO adoption_app, adoption_analyst USING (true) WITH CHECK (true)', tbl);
		EXECUTE pg_catalog.format('CREATE POLICY own_tenant ON adoption.%I FOR SELECT TO adoption_tenant USING (tenant_id OPERATOR(pg_catalog.=) NULLIF(pg_catalog.current_setting(''adoption.tenant_id'', true), ''''))', tbl);
		EXECUTE pg_catalog.format('COMMENT ON POLICY all_rows ON adoption.%I IS %L', tbl,
			'adoption_app and adoption_analyst see and write every row (their table privileges limit what they may do)');
		EXECUTE pg_catalog.format('COMMENT ON POLICY own_tenant ON adoption.%I IS %L', tbl,
			'adoption_tenant reads only the rows of the tenant named by the setting adoption.tenant_id (none when adoption.tenant_id is unset or empty)');
	END LOOP;
END
$$;

/*
 * forget_tenant() as 0.4.0 has it: issue 18 (the persona profile) and issue 21
 * (the daily snapshots) each changed it above.
 */
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
	/* The daily snapshots, with the totals of their days fixed. */
	counts := pg_catalog.jsonb_build_object(
		'daily_feature_snapshots', (SELECT pg_catalog.count(*) FROM adoption.daily_feature_snapshots AS x
			WHERE x.tenant_id OPERATOR(pg_catalog.=) t),
		'daily_tenant_snapshots', (SELECT pg_catalog.count(*) FROM adoption.daily_tenant_snapshots AS x
			WHERE x.tenant_id OPERATOR(pg_catalog.=) t));
	PERFORM adoption.drop_snapshots(t);
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
COMMENT ON FUNCTION adoption.forget_tenant(text) IS 'Erases a tenant: every row of it in every table of the extension (events, state, daily snapshots, feedback and its persona profile, tickets, billing events, touches, actions and keys, follow-ups, health scores, lexicon, settings override, the tenant itself); returns the rows deleted per table as jsonb';
