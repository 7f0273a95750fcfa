/*
 * pg_adoption upgrade 0.3.0 -> 0.4.0.  Each change of 0.4.0 has its part
 * below, with a comment saying what it adds or changes (a new change appends
 * its part: docs/development.md).  The parts are consolidated: every
 * function and view is created or replaced once, in its 0.4.0 form, a
 * function new in 0.4.0 where the change that adds it stands, one that
 * 0.3.0 has where its last change stands (or earlier when what follows
 * needs it).
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
 * as fail_action() does (in C since issue 19: queue.c).  A new result type
 * needs DROP and CREATE; the function gets back its SECURITY DEFINER and its
 * only grant.
 */
DROP FUNCTION adoption.complete_action(bigint, text);
CREATE FUNCTION adoption.complete_action(action_id bigint, worker text DEFAULT NULL)
RETURNS text
AS 'MODULE_PATHNAME', 'adoption_complete_action'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;
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
	found_it boolean;
BEGIN
	/*
	 * Deferred to commit: check the row as it is then (if it still exists).
	 * In the table the trigger fired on (TG_RELID): on Citus, the shard of
	 * the reference table on this node, which holds every row.
	 */
	EXECUTE format('SELECT f.upgrade_feature_id FROM %s AS f WHERE f.feature_id OPERATOR(pg_catalog.=) $1',
		TG_RELID::regclass) INTO upgrade USING NEW.feature_id;
	IF upgrade IS NULL THEN
		RETURN NULL;
	END IF;
	EXECUTE format('SELECT true FROM %s AS f WHERE f.feature_id OPERATOR(pg_catalog.=) $1 FOR KEY SHARE',
		TG_RELID::regclass) INTO found_it USING upgrade;
	IF found_it IS NULL THEN
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
	/* In the table the trigger fired on: on Citus, this node's shard of the reference table. */
	EXECUTE format('UPDATE %1$s AS f SET upgrade_feature_id = NULL'
		' WHERE f.upgrade_feature_id OPERATOR(pg_catalog.=) $1'
		' AND NOT EXISTS (SELECT FROM %1$s AS g WHERE g.feature_id OPERATOR(pg_catalog.=) $1)',
		TG_RELID::regclass) USING OLD.feature_id;
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
 * persona_profiles, segment_persona_themes and segment_personas
 * (persona_profiles and segment_personas spread the composite
 * persona_figures that persona_summary() returns), with their privileges
 * and row-level security as security.sql gives them; then the profile of
 * the feedback already there.
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
		(pg_catalog.array_agg(m.feedback_id ORDER BY m.created_at DESC, m.feedback_id, m.tenant_id))[1:5] AS evidence,
		(pg_catalog.array_agg(m.body ORDER BY m.created_at DESC, m.feedback_id, m.tenant_id) FILTER (WHERE m.body IS NOT NULL))[1] AS example,
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
	g.evidence, g.example,
	CASE g.kind WHEN 'proof_point' THEN g.case_studies END AS case_studies,
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
COMMENT ON COLUMN adoption.messaging_opportunities.evidence IS 'Up to five feedback_ids behind it, latest first (ties by feedback_id)';
COMMENT ON COLUMN adoption.messaging_opportunities.example IS 'Text of the latest of them';
COMMENT ON COLUMN adoption.messaging_opportunities.case_studies IS 'proof_point: those of its feedback rows enqueued as a case_study (adoption.campaign_followups), in feedback_id order; NULL if none and for the other kinds';
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
	/* On a Citus coordinator: on each shard group, on its worker (citus.sql). */
	IF adoption.citus_distributed() THEN
		RETURN adoption.citus_run_sum(NULL, 'SELECT adoption.enqueue_fix_announcements() AS n');
	END IF;
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
	/* Its users' campaign attribution too (the lift and launch totals change at the next run). */
	DELETE FROM adoption.attribution_snapshots AS x WHERE x.tenant_id = drop_snapshots.tenant_id;
	IF first_day IS NOT NULL THEN
		PERFORM adoption.snapshot_totals(first_day, last_day);
	END IF;
	RETURN n_tenant + n_feature;
END
$$;
COMMENT ON FUNCTION adoption.drop_snapshots(text) IS 'Internal to forget_user and forget_tenant: deletes the tenant''s daily snapshots and campaign attribution snapshot rows and recomputes the totals of their days; returns the daily snapshot rows deleted';

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
	/* The working tables, or their shards on a Citus worker (citus_table()). */
	EXECUTE format('TRUNCATE %s, %s, %s', adoption.citus_table('snapshot_work_target'),
		adoption.citus_table('snapshot_work_user_day'), adoption.citus_table('snapshot_work_active'));
	INSERT INTO adoption.snapshot_work_target
	SELECT x.tenant_id, x.from_day, x.to_day, e.active_window
	FROM jsonb_to_recordset(targets) AS x(tenant_id text, from_day date, to_day date)
	JOIN adoption.effective_settings AS e ON e.tenant_id = x.tenant_id
	WHERE x.from_day <= x.to_day;
	EXECUTE format('ANALYZE %s', adoption.citus_table('snapshot_work_target'));

	DELETE FROM adoption.daily_feature_snapshots AS s USING adoption.snapshot_work_target AS t
	WHERE s.tenant_id = t.tenant_id AND s.day BETWEEN t.from_day AND t.to_day;
	DELETE FROM adoption.daily_tenant_snapshots AS s USING adoption.snapshot_work_target AS t
	WHERE s.tenant_id = t.tenant_id AND s.day BETWEEN t.from_day AND t.to_day;

	/* Each user's latest event time of each day that can make it active on a target day. */
	INSERT INTO adoption.snapshot_work_user_day
	SELECT e.tenant_id, e.user_id, (e.usage_timestamp AT TIME ZONE 'UTC')::date, max(e.usage_timestamp), count(*)
	FROM adoption.snapshot_work_target AS t
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
	INSERT INTO adoption.snapshot_work_active
	SELECT s.tenant_id, s.user_id, g.day::date
	FROM (
		SELECT u.tenant_id, u.user_id, greatest(u.d, t.from_day) AS d_from,
			least(coalesce(lead(u.d) OVER w - 1, t.to_day), t.to_day,
				((u.last_t + t.w - interval '1 day') AT TIME ZONE 'UTC')::date) AS d_to
		FROM adoption.snapshot_work_user_day AS u
		JOIN adoption.snapshot_work_target AS t ON t.tenant_id = u.tenant_id
		WINDOW w AS (PARTITION BY u.tenant_id, u.user_id ORDER BY u.d)
	) AS s
	CROSS JOIN LATERAL generate_series(s.d_from, s.d_to, interval '1 day') AS g(day)
	WHERE s.d_from <= s.d_to;
	EXECUTE format('ANALYZE %s', adoption.citus_table('snapshot_work_active'));

	INSERT INTO adoption.daily_tenant_snapshots (tenant_id, day, active_users, users, events, partial)
	SELECT t.tenant_id, g.day::date, coalesce(a.active_users, 0),
		(SELECT count(*) FROM adoption.tenant_user_state AS v
			WHERE v.tenant_id = t.tenant_id AND v.first_seen_at < ((g.day::date + 1)::timestamp AT TIME ZONE 'UTC')),
		coalesce(ev.events, 0),
		((g.day::date + 1)::timestamp AT TIME ZONE 'UTC') > now()
	FROM adoption.snapshot_work_target AS t
	CROSS JOIN LATERAL generate_series(t.from_day, t.to_day, interval '1 day') AS g(day)
	LEFT JOIN (SELECT a.tenant_id, a.day, count(*) AS active_users
		FROM adoption.snapshot_work_active AS a GROUP BY 1, 2) AS a ON a.tenant_id = t.tenant_id AND a.day = g.day::date
	LEFT JOIN (SELECT u.tenant_id, u.d, sum(u.events) AS events
		FROM adoption.snapshot_work_user_day AS u GROUP BY 1, 2) AS ev ON ev.tenant_id = t.tenant_id AND ev.d = g.day::date;
	GET DIAGNOSTICS written = ROW_COUNT;

	/*
	 * Per feature, from the first day a user of the tenant activated it:
	 * the cumulative counts (users whose activated_at, adopted_at,
	 * habitual_at is before the end of the day) as running sums of the
	 * milestones per day (those before from_day counted on from_day), and
	 * the active ones from adoption.snapshot_work_active.
	 */
	WITH m AS (
		SELECT s.tenant_id, s.feature_id, s.user_id, s.adopted_at, s.habitual_at, t.from_day, t.to_day,
			(s.activated_at AT TIME ZONE 'UTC')::date AS activated_day,
			(s.adopted_at AT TIME ZONE 'UTC')::date AS adopted_day,
			(s.habitual_at AT TIME ZONE 'UTC')::date AS habitual_day
		FROM adoption.snapshot_work_target AS t
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
		FROM adoption.snapshot_work_active AS a
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

	/* On a Citus worker the coordinator sums the totals (a reference table) afterwards. */
	IF NOT adoption.citus_on_shard() THEN
		PERFORM adoption.snapshot_totals(min(t.from_day), max(t.to_day))
		FROM adoption.snapshot_work_target AS t HAVING count(*) > 0;
	END IF;

	EXECUTE format('TRUNCATE %s, %s, %s', adoption.citus_table('snapshot_work_target'),
		adoption.citus_table('snapshot_work_user_day'), adoption.citus_table('snapshot_work_active'));
	RETURN written;
END
$$;
COMMENT ON FUNCTION adoption.snapshot_days(jsonb) IS 'Internal to adoption.snapshot_adoption(): writes the snapshots of the days [from_day, to_day] of each {tenant_id, from_day, to_day} (and their totals, except on a Citus worker); returns the tenant-days written';

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
	written integer;
	totals_from date;
	totals_to date;
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

	IF incremental THEN
		SELECT r.watermark INTO old_watermark FROM adoption.snapshot_state AS r;
		new_watermark := adoption.ingest_watermark();
		UPDATE adoption.daily_totals AS s SET partial = false
		WHERE s.partial AND ((s.day + 1)::timestamp AT TIME ZONE 'UTC') <= now();
	END IF;

	IF NOT adoption.citus_distributed() THEN
		SELECT st.written INTO written
		FROM adoption.snapshot_tenants(snapshot_adoption.from_day, last_day, snapshot_adoption.tenant_id,
			incremental, old_watermark, today) AS st;
	ELSE
		/*
		 * Per shard group, on its worker, in this transaction (as
		 * rescore()); then the totals, a reference table, here.
		 */
		SELECT coalesce(sum((r OPERATOR(pg_catalog.->>) 'written')::integer), 0),
			min((r OPERATOR(pg_catalog.->>) 'totals_from')::date), max((r OPERATOR(pg_catalog.->>) 'totals_to')::date)
		INTO written, totals_from, totals_to
		FROM adoption.citus_run_at(
			ARRAY(SELECT x.anchor FROM adoption.citus_shard_tenants(snapshot_adoption.tenant_id) AS x),
			format('SELECT * FROM adoption.snapshot_tenants(%L, %L, %L, %L, %L, %L)', snapshot_adoption.from_day,
				last_day, snapshot_adoption.tenant_id, incremental, old_watermark, today)) AS r;
		IF totals_from IS NOT NULL THEN
			PERFORM adoption.snapshot_totals(totals_from, totals_to);
		END IF;
	END IF;
	/*
	 * The campaign and launch snapshots, recomputed whole (see
	 * snapshot_campaigns()); not on a Citus cluster yet (docs/citus.md).
	 */
	IF NOT adoption.citus_distributed() THEN
		PERFORM adoption.snapshot_campaigns();
	END IF;

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
COMMENT ON FUNCTION adoption.snapshot_adoption(date, date, text) IS 'Writes the daily adoption snapshots: incrementally without arguments (what upkeep() runs), or recomputes [from_day, to_day] (default: the first event''s day, today UTC) for one tenant or all; then runs snapshot_campaigns(); returns the tenant-days written';

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
 * Issue 17, plays that agree: the play policy (adoption.play_policy,
 * adoption.tenant_play_policy, account_states(), play_allowed(),
 * blocked_plays(), withdraw_plays(), the account_play_policy view and the
 * billing trigger that withdraws on a cancellation), the status 'withdrawn'
 * with status_reason on campaign actions, and the enqueue routes and
 * rescore() applying the policy.
 */
ALTER TABLE adoption.campaign_action_queue ADD COLUMN status_reason text;
ALTER TABLE adoption.campaign_action_archive ADD COLUMN status_reason text;
ALTER TABLE adoption.campaign_action_archive DROP CONSTRAINT campaign_action_archive_status_check;
ALTER TABLE adoption.campaign_action_archive ADD CONSTRAINT campaign_action_archive_status_check
	CHECK (status IN ('done', 'dead', 'withdrawn'));
COMMENT ON TABLE adoption.campaign_action_archive IS 'Finished campaign actions (done, dead, withdrawn); read adoption.campaign_actions';

CREATE TABLE adoption.play_policy (
	account_state text NOT NULL CHECK (account_state IN ('at_risk', 'critical', 'dormant', 'cancelled')),
	template_key text NOT NULL REFERENCES adoption.campaign_templates (template_key) ON DELETE CASCADE,
	allowed boolean NOT NULL,
	PRIMARY KEY (account_state, template_key)
);
COMMENT ON TABLE adoption.play_policy IS 'Product-wide play policy: whether an account in a state (at_risk, critical, dormant, cancelled) may get a campaign play; a template without a row for a state is allowed in it';

INSERT INTO adoption.play_policy (account_state, template_key, allowed)
SELECT s.account_state, t.template_key, NOT (
	/* Upsell and advocacy need a healthy account. */
	(t.template_key IN ('expansion_offer', 'case_study') AND s.account_state IN ('at_risk', 'critical', 'dormant', 'cancelled'))
	OR (t.template_key = 'advanced_feature' AND s.account_state IN ('critical', 'dormant', 'cancelled'))
	/* A cancelled account gets win_back and a follow-up of its complaints, nothing else. */
	OR (s.account_state = 'cancelled' AND t.template_key NOT IN ('win_back', 'pain_point_followup')))
FROM (VALUES ('at_risk'), ('critical'), ('dormant'), ('cancelled')) AS s (account_state)
CROSS JOIN (VALUES ('adoption_success'), ('adoption_nudge'), ('advanced_feature'), ('retention_intervention'),
	('escalate_to_cs'), ('win_back'), ('case_study'), ('pain_point_followup'), ('expansion_offer'),
	('launch_announcement')) AS t (template_key);

CREATE TABLE adoption.tenant_play_policy (
	tenant_id text NOT NULL CHECK (pg_catalog.btrim(tenant_id) <> ''),
	account_state text NOT NULL CHECK (account_state IN ('at_risk', 'critical', 'dormant', 'cancelled')),
	template_key text NOT NULL REFERENCES adoption.campaign_templates (template_key) ON DELETE CASCADE,
	allowed boolean NOT NULL,
	PRIMARY KEY (tenant_id, account_state, template_key)
);
COMMENT ON TABLE adoption.tenant_play_policy IS 'Per-tenant overrides of adoption.play_policy: a row here decides the cell for its tenant';
SELECT pg_catalog.pg_extension_config_dump('adoption.tenant_play_policy', '');

/* The seeded defaults may be edited; a restore (or a user) inserting an existing cell updates it. */
CREATE FUNCTION adoption.merge_play_policy()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n bigint;
BEGIN
	/* The table the trigger fired on: on Citus, a shard of the reference table. */
	EXECUTE format('UPDATE %s AS p SET allowed = $1 WHERE p.account_state = $2 AND p.template_key = $3',
		TG_RELID::regclass) USING NEW.allowed, NEW.account_state, NEW.template_key;
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n > 0 THEN
		RETURN NULL;
	END IF;
	RETURN NEW;
END
$$;
CREATE TRIGGER play_policy_merge BEFORE INSERT ON adoption.play_policy
	FOR EACH ROW EXECUTE FUNCTION adoption.merge_play_policy();
SELECT pg_catalog.pg_extension_config_dump('adoption.play_policy', '');

/* The effective policy cell: the tenant's override, else the product-wide rule, else allowed. */
CREATE FUNCTION adoption.play_allowed(tenant_id text, account_state text, template_key text)
RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT coalesce(
		(SELECT o.allowed FROM adoption.tenant_play_policy AS o
			WHERE o.tenant_id = play_allowed.tenant_id AND o.account_state = play_allowed.account_state
				AND o.template_key = play_allowed.template_key),
		(SELECT p.allowed FROM adoption.play_policy AS p
			WHERE p.account_state = play_allowed.account_state AND p.template_key = play_allowed.template_key),
		true)
$$;
COMMENT ON FUNCTION adoption.play_allowed(text, text, text) IS 'Whether the play policy lets a tenant in account_state get template_key (tenant override, else adoption.play_policy, else true)';

/*
 * Withdraws the queued plays (pending, or claimed with an expired lease) of
 * the given tenants (NULL: all) that the policy forbids now: each moves to
 * the archive with status 'withdrawn', status_reason saying why, and
 * completed_at the time of withdrawal; its dedupe key is freed so that the
 * play can come again once the account leaves the state.  A play a worker
 * holds under a live lease is left to it.  Returns how many were withdrawn.
 */
CREATE FUNCTION adoption.withdraw_plays(tenant_ids text[] DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n integer;
BEGIN
	WITH live AS (
		SELECT q.tenant_id, q.action_id, q.template_key
		FROM adoption.campaign_action_queue AS q
		WHERE (withdraw_plays.tenant_ids IS NULL OR q.tenant_id = ANY (withdraw_plays.tenant_ids))
			AND (q.status = 'pending' OR q.lease_until < now())
		FOR UPDATE SKIP LOCKED
	), b AS (
		SELECT * FROM adoption.blocked_plays(
			ARRAY(SELECT live.tenant_id FROM live), ARRAY(SELECT live.template_key FROM live))
	), gone AS (
		DELETE FROM adoption.campaign_action_queue AS q
		USING live, b
		WHERE q.tenant_id = live.tenant_id AND q.action_id = live.action_id
			AND b.tenant_id = live.tenant_id AND b.template_key = live.template_key
		RETURNING q.*, b.reason AS why
	), archived AS (
		INSERT INTO adoption.campaign_action_archive (action_id, tenant_id, user_id, feature_id,
			template_key, campaign_id, reason, dedupe_key, status, attempts, available_at, claimed_by,
			lease_until, last_error, created_at, completed_at, status_reason)
		SELECT g.action_id, g.tenant_id, g.user_id, g.feature_id, g.template_key, g.campaign_id, g.reason,
			g.dedupe_key, 'withdrawn', g.attempts, g.available_at, g.claimed_by, g.lease_until, g.last_error,
			g.created_at, now(), g.why
		FROM gone AS g
		RETURNING tenant_id, dedupe_key, action_id
	)
	DELETE FROM adoption.campaign_action_keys AS k
	USING archived AS a
	WHERE k.tenant_id = a.tenant_id AND k.dedupe_key = a.dedupe_key AND k.action_id = a.action_id;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION adoption.withdraw_plays(text[]) IS 'Withdraws the queued plays of the tenants (NULL: all) that the play policy now forbids: status withdrawn with a status_reason, kept in the archive, dedupe key freed; returns how many';

/* AFTER INSERT statement trigger of billing_events: a cancellation withdraws the plays it forbids at once. */
CREATE FUNCTION adoption.billing_withdraw_plays()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ids text[];
BEGIN
	SELECT array_agg(DISTINCT n.tenant_id) INTO ids FROM new_rows AS n WHERE n.kind = 'cancellation';
	IF ids IS NOT NULL THEN
		/* On a Citus shard (a worker): on its shard group (citus.sql). */
		PERFORM adoption.citus_enter_shard(TG_RELID);
		PERFORM adoption.withdraw_plays(ids);
		PERFORM adoption.citus_leave();
	END IF;
	RETURN NULL;
END
$$;
CREATE TRIGGER billing_events_withdraw_plays
	AFTER INSERT ON adoption.billing_events
	REFERENCING NEW TABLE AS new_rows
	FOR EACH STATEMENT EXECUTE FUNCTION adoption.billing_withdraw_plays();
COMMENT ON FUNCTION adoption.billing_withdraw_plays() IS 'AFTER INSERT statement trigger of adoption.billing_events: withdraws the queued plays a new cancellation forbids';

CREATE VIEW adoption.account_play_policy WITH (security_invoker = true) AS
SELECT t.tenant_id, s.account_state, c.template_key,
	coalesce(o.allowed, p.allowed, true) AS allowed,
	CASE WHEN o.allowed IS NOT NULL THEN 'tenant' WHEN p.allowed IS NOT NULL THEN 'default' ELSE 'unlisted' END AS source
FROM adoption.tenants AS t
CROSS JOIN (VALUES ('at_risk'), ('critical'), ('dormant'), ('cancelled')) AS s (account_state)
CROSS JOIN adoption.campaign_templates AS c
LEFT JOIN adoption.play_policy AS p ON p.account_state OPERATOR(pg_catalog.=) s.account_state
	AND p.template_key OPERATOR(pg_catalog.=) c.template_key
LEFT JOIN adoption.tenant_play_policy AS o ON o.tenant_id OPERATOR(pg_catalog.=) t.tenant_id
	AND o.account_state OPERATOR(pg_catalog.=) s.account_state AND o.template_key OPERATOR(pg_catalog.=) c.template_key;
COMMENT ON VIEW adoption.account_play_policy IS 'The effective play policy of every tenant: per account state and campaign template, whether the play is allowed and where the rule comes from';
COMMENT ON COLUMN adoption.account_play_policy.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.account_play_policy.account_state IS 'at_risk, critical, dormant or cancelled';
COMMENT ON COLUMN adoption.account_play_policy.template_key IS 'Campaign template (the play)';
COMMENT ON COLUMN adoption.account_play_policy.allowed IS 'Whether an account in the state may get the play';
COMMENT ON COLUMN adoption.account_play_policy.source IS 'tenant (adoption.tenant_play_policy), default (adoption.play_policy) or unlisted (no rule: allowed)';

/* Privileges and row-level security of the play policy (security.sql). */
ALTER FUNCTION adoption.billing_withdraw_plays() SECURITY DEFINER;
REVOKE ALL ON adoption.play_policy, adoption.tenant_play_policy, adoption.account_play_policy FROM PUBLIC;
REVOKE ALL ON FUNCTION adoption.merge_play_policy(),
	adoption.play_allowed(text, text, text), adoption.withdraw_plays(text[]), adoption.billing_withdraw_plays() FROM PUBLIC;
GRANT SELECT ON adoption.play_policy, adoption.tenant_play_policy, adoption.account_play_policy
	TO adoption_analyst, adoption_tenant;
GRANT EXECUTE ON FUNCTION adoption.play_allowed(text, text, text)
	TO adoption_analyst, adoption_tenant;
ALTER TABLE adoption.tenant_play_policy ENABLE ROW LEVEL SECURITY;
CREATE POLICY all_rows ON adoption.tenant_play_policy TO adoption_app, adoption_analyst USING (true) WITH CHECK (true);
CREATE POLICY own_tenant ON adoption.tenant_play_policy FOR SELECT TO adoption_tenant
	USING (tenant_id OPERATOR(pg_catalog.=) NULLIF(pg_catalog.current_setting('adoption.tenant_id', true), ''));
COMMENT ON POLICY all_rows ON adoption.tenant_play_policy IS 'adoption_app and adoption_analyst see and write every row (their table privileges limit what they may do)';
COMMENT ON POLICY own_tenant ON adoption.tenant_play_policy IS 'adoption_tenant reads only the rows of the tenant named by the setting adoption.tenant_id (none when adoption.tenant_id is unset or empty)';
/* The queue dashboard counts withdrawn plays too. */
COMMENT ON VIEW adoption.action_queue IS 'The campaign action queue at a glance: per template and status (pending, claimed, done, dead, withdrawn), how many actions, how many are due, and how old they are';
COMMENT ON COLUMN adoption.action_queue.status IS 'pending, claimed, done, dead or withdrawn (a template and status without actions has no row)';
COMMENT ON COLUMN adoption.action_queue.last_completed_at IS 'Latest time an action became done, dead or withdrawn (NULL for pending and claimed)';

/*
 * Issue 17, pes() at its defaults: the aggregate adoption.period_counts()
 * (actors per period), actor_first_seen(), lifecycle_rows() and
 * stickiness_rows() shared by lifecycle(), stickiness() and pes(), and
 * pes() reading the events once by day and counting its adoption part per
 * period (75 s on the demo's 1,000,000 events before, about as long as
 * stickiness() now).
 */
CREATE FUNCTION adoption.period_counts_transfn(bigint[], varbit, integer)
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'adoption_period_counts_transfn'
LANGUAGE C IMMUTABLE PARALLEL SAFE;

CREATE FUNCTION adoption.period_counts_combinefn(bigint[], bigint[])
RETURNS bigint[]
AS 'MODULE_PATHNAME', 'adoption_period_counts_combinefn'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE AGGREGATE adoption.period_counts(bits varbit, from_period integer) (
	SFUNC = adoption.period_counts_transfn,
	STYPE = bigint[],
	COMBINEFUNC = adoption.period_counts_combinefn,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE adoption.period_counts(varbit, integer) IS 'Per period, the active_periods bitmaps with its bit set, bits before from_period (NULL: 0) not counted: {n, counts[n]}';
CREATE OR REPLACE FUNCTION adoption.actor_first_seen(actor text, feature_id text, tenant_id text)
RETURNS TABLE (actor_tenant text, actor_user text, first_seen_at timestamptz)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_custom_plan
AS $$
BEGIN
	IF actor_first_seen.feature_id IS NULL THEN
		/* Over all features the per-user and per-tenant state has it, one row each. */
		IF actor_first_seen.actor = 'user' THEN
			RETURN QUERY
			SELECT v.tenant_id, v.user_id, v.first_seen_at
			FROM adoption.tenant_user_state AS v
			WHERE actor_first_seen.tenant_id IS NULL OR v.tenant_id = actor_first_seen.tenant_id;
		ELSE
			RETURN QUERY
			SELECT v.tenant_id, '', least(v.first_event_at, t.created_at)
			FROM adoption.tenant_state AS v
			LEFT JOIN adoption.tenants AS t ON t.tenant_id = v.tenant_id
			WHERE actor_first_seen.tenant_id IS NULL OR v.tenant_id = actor_first_seen.tenant_id;
		END IF;
		RETURN;
	END IF;
	RETURN QUERY
	SELECT s.tenant_id, CASE WHEN actor_first_seen.actor = 'user' THEN s.user_id ELSE '' END, min(s.first_used_at)
	FROM adoption.user_feature_state AS s
	WHERE s.feature_id = actor_first_seen.feature_id
		AND (actor_first_seen.tenant_id IS NULL OR s.tenant_id = actor_first_seen.tenant_id)
	GROUP BY 1, 2;
END
$$;
COMMENT ON FUNCTION adoption.actor_first_seen(text, text, text) IS 'When each user or tenant was first seen on the feature (any feature when NULL); a tenant over all features no later than its created_at';

CREATE OR REPLACE FUNCTION adoption.lifecycle_rows(counts bigint[], origin date, period text, n integer)
RETURNS TABLE (period_start date, status text, actors bigint)
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT adoption.period_start(origin, period, p), st.status,
		st.sign * coalesce(counts[2 + st.i * n + p], 0)
	FROM generate_series(0, n - 1) AS p,
		(VALUES (0, 'new', 1), (1, 'returning', 1), (2, 'resurrecting', 1), (3, 'dormant', -1))
			AS st (i, status, sign)
	ORDER BY p, st.i
$$;
COMMENT ON FUNCTION adoption.lifecycle_rows(bigint[], date, text, integer) IS 'The lifecycle_counts of n periods from origin as rows: new, returning, resurrecting and dormant (negative) per period';

CREATE OR REPLACE FUNCTION adoption.stickiness_rows(counts bigint[], origin date, period text, n_days integer)
RETURNS TABLE (period_start date, dau_mau double precision, active_actors bigint, active_days bigint[])
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
WITH days AS (
	SELECT adoption.period_index(((origin + d)::timestamp AT TIME ZONE 'UTC'), origin,
			period) AS p,
		coalesce(counts[6 + d], 0) AS dau,
		coalesce(counts[6 + n_days + d], 0) AS mau,
		origin + d <= (pg_catalog.now() AT TIME ZONE 'UTC')::date AS past
	FROM generate_series(0, n_days - 1) AS d
), per AS (
	SELECT days.p, count(*)::integer AS len,
		avg(days.dau::double precision / nullif(days.mau, 0)) FILTER (WHERE days.past) AS ratio
	FROM days
	GROUP BY days.p
)
SELECT adoption.period_start(origin, period, per.p), per.ratio,
	(SELECT coalesce(sum(counts[6 + 2 * n_days + 32 * per.p + k]), 0)::bigint
		FROM generate_series(1, per.len) AS k),
	ARRAY(SELECT coalesce(counts[6 + 2 * n_days + 32 * per.p + k], 0)
		FROM generate_series(1, per.len) AS k ORDER BY k)
FROM per
ORDER BY per.p
$$;
COMMENT ON FUNCTION adoption.stickiness_rows(bigint[], date, text, integer) IS 'The stickiness_counts of n_days days from origin as stickiness() rows: per period the mean daily DAU/MAU, the actors active and how many were active on exactly k days';

CREATE OR REPLACE FUNCTION adoption.stickiness(
	actor text DEFAULT 'user',
	feature_id text DEFAULT NULL,
	period text DEFAULT 'day',
	from_date date DEFAULT ((pg_catalog.now() AT TIME ZONE 'UTC')::date - 89),
	to_date date DEFAULT ((pg_catalog.now() AT TIME ZONE 'UTC')::date),
	tenant_id text DEFAULT NULL)
RETURNS TABLE (period_start date, dau_mau double precision, active_actors bigint, active_days bigint[])
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
	r record;
	n_days integer;
	counts bigint[];
BEGIN
	r := adoption.analytics_periods(actor, period, from_date, to_date);
	n_days := adoption.period_start(r.origin, period, r.n) - r.origin;
	SELECT adoption.stickiness_counts(a.bits, 29, r.origin, stickiness.period) INTO counts
	FROM adoption.actor_activity(stickiness.actor, stickiness.feature_id, stickiness.tenant_id,
		r.origin - 29, 'day', n_days + 29) AS a;
	RETURN QUERY
	SELECT * FROM adoption.stickiness_rows(counts, r.origin, stickiness.period, n_days);
END
$$;
COMMENT ON FUNCTION adoption.stickiness(text, text, text, date, date, text) IS 'Per period: mean daily DAU/MAU (30-day MAU), actors active, and active_days[k] = actors active on exactly k days';
REVOKE ALL ON FUNCTION adoption.period_counts_transfn(bigint[], varbit, integer),
	adoption.period_counts_combinefn(bigint[], bigint[]), adoption.period_counts(varbit, integer),
	adoption.actor_first_seen(text, text, text), adoption.lifecycle_rows(bigint[], date, text, integer),
	adoption.stickiness_rows(bigint[], date, text, integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION adoption.period_counts_transfn(bigint[], varbit, integer),
	adoption.period_counts_combinefn(bigint[], bigint[]), adoption.period_counts(varbit, integer),
	adoption.actor_first_seen(text, text, text), adoption.lifecycle_rows(bigint[], date, text, integer),
	adoption.stickiness_rows(bigint[], date, text, integer)
	TO adoption_analyst, adoption_tenant;

/*
 * Issue 17, the integration API: one jsonb function per seed endpoint
 * (api_product_analytics, api_submit_feedback, api_coordinate_launch,
 * api_customer_health, api_trigger_intervention, api_expansion) and their
 * input checks.
 */
CREATE FUNCTION adoption.api_check_tenant(tenant_id text)
RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF tenant_id IS NULL OR NOT EXISTS (SELECT 1 FROM adoption.tenants AS t WHERE t.tenant_id = api_check_tenant.tenant_id) THEN
		RAISE EXCEPTION 'unknown tenant "%"', coalesce(tenant_id, 'NULL') USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Tenants are the rows of adoption.tenants; events register them on first sight.';
	END IF;
END
$$;
COMMENT ON FUNCTION adoption.api_check_tenant(text) IS 'Internal: raises 22023 unless tenant_id is a tenant the caller can see';

/* Raises unless payload is an object with the required keys and no key outside allowed. */
CREATE FUNCTION adoption.api_check_payload(payload jsonb, required text[], allowed text[])
RETURNS void
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	missing text[];
	unknown text[];
BEGIN
	IF payload IS NULL OR jsonb_typeof(payload) <> 'object' THEN
		RAISE EXCEPTION 'payload must be a JSON object, not %', coalesce(jsonb_typeof(payload), 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
			HINT = format('Send an object with the keys %s.', array_to_string(allowed, ', '));
	END IF;
	SELECT array_agg(r ORDER BY r) INTO missing FROM unnest(required) AS r
	WHERE payload -> r IS NULL OR jsonb_typeof(payload -> r) = 'null';
	IF missing IS NOT NULL THEN
		RAISE EXCEPTION 'payload misses %', array_to_string(missing, ', ') USING ERRCODE = 'invalid_parameter_value',
			HINT = format('Required keys: %s.', array_to_string(required, ', '));
	END IF;
	SELECT array_agg(k ORDER BY k) INTO unknown FROM jsonb_object_keys(payload) AS k WHERE k <> ALL (allowed);
	IF unknown IS NOT NULL THEN
		RAISE EXCEPTION 'payload has unknown key %', array_to_string(unknown, ', ') USING ERRCODE = 'invalid_parameter_value',
			HINT = format('Valid keys: %s.', array_to_string(allowed, ', '));
	END IF;
END
$$;
COMMENT ON FUNCTION adoption.api_check_payload(jsonb, text[], text[]) IS 'Internal: raises 22023 unless payload is a JSON object with every required key and only allowed keys';

/*
 * GET product/analytics/{tenant_id}: feature usage and adoption (the
 * tenant's active users as the denominator, adoption.feature_adoption), the
 * engagement score of the last 30 days, customer success indicators and
 * the expansion opportunities.
 */
CREATE FUNCTION adoption.api_product_analytics(tenant_id text)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
	t text := api_product_analytics.tenant_id;
BEGIN
	PERFORM adoption.api_check_tenant(t);
	RETURN jsonb_build_object(
		'tenant_id', t,
		'as_of', now(),
		'tenant', (SELECT jsonb_build_object('name', x.name, 'plan', x.plan, 'segment', x.segment,
				'seats_licensed', x.seats_licensed, 'arr', x.arr)
			FROM adoption.tenants AS x WHERE x.tenant_id = t),
		'usage', (SELECT jsonb_build_object('users', s.users, 'events', s.uses,
				'success_rate', round((s.successes::numeric / nullif(s.uses, 0)), 4),
				'first_event_at', s.first_event_at, 'last_event_at', s.last_event_at)
			FROM adoption.tenant_state AS s WHERE s.tenant_id = t),
		'features', coalesce((SELECT jsonb_agg(jsonb_build_object('feature_id', f.feature_id,
				'feature_name', f.feature_name, 'tier', f.tier, 'active_users', f.active_users,
				'active_adopters', f.active_adopters, 'adoption_rate', round(f.adoption_rate::numeric, 4),
				'activated_users', f.activated_users, 'adopted_users', f.adopted_users,
				'habitual_users', f.habitual_users, 'success_rate', round(f.success_rate::numeric, 4),
				'last_used_at', f.last_used_at, 'feature_adopted_at', f.feature_adopted_at)
				ORDER BY f.adoption_rate DESC NULLS LAST, f.feature_id)
			FROM adoption.feature_adoption AS f WHERE f.tenant_id = t), '[]'),
		'engagement', (SELECT jsonb_build_object('period', 'last 30 days, daily',
				'pes', round(avg(p.score)::numeric, 2), 'adoption', round(avg(p.adoption)::numeric, 2),
				'stickiness', round(avg(p.stickiness)::numeric, 2), 'growth', round(avg(p.growth)::numeric, 2))
			FROM adoption.pes('user', NULL, 'day', (now() AT TIME ZONE 'UTC')::date - 29,
				(now() AT TIME ZONE 'UTC')::date, t) AS p),
		'success_indicators', (SELECT jsonb_build_object('score', round(h.score::numeric, 2), 'risk', h.risk,
				'scored_at', h.scored_at, 'account_states', to_jsonb(a.states))
			FROM adoption.account_states(ARRAY[t]) AS a
			LEFT JOIN adoption.tenant_health AS h ON h.tenant_id = a.tenant_id),
		'expansion_opportunities', coalesce((SELECT jsonb_agg(jsonb_build_object('opportunity', e.opportunity,
				'feature_id', e.feature_id, 'metric', e.metric, 'evidence', e.evidence)
				ORDER BY e.opportunity, e.feature_id)
			FROM adoption.expansion_opportunities AS e WHERE e.tenant_id = t), '[]'));
END
$$;
COMMENT ON FUNCTION adoption.api_product_analytics(text) IS 'GET product/analytics/{tenant_id}: the tenant, its usage, adoption by feature (adoption.feature_adoption), PES of the last 30 days, health and account states, expansion opportunities, as one jsonb document';

/*
 * POST product/feedback: stores one feedback row (categorized on insert,
 * with its case_study and pain_point_followup actions) and returns it with
 * its insight and the actions it enqueued.
 */
CREATE FUNCTION adoption.api_submit_feedback(payload jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	f adoption.feedback;
BEGIN
	PERFORM adoption.api_check_payload(payload, ARRAY['tenant_id', 'channel'],
		ARRAY['tenant_id', 'feedback_id', 'user_id', 'feature_id', 'channel', 'score', 'body', 'campaign_id', 'created_at']);
	INSERT INTO adoption.feedback (tenant_id, feedback_id, user_id, feature_id, channel, score, body, campaign_id, created_at)
	VALUES (payload ->> 'tenant_id', coalesce(payload ->> 'feedback_id', gen_random_uuid()::text), payload ->> 'user_id',
		payload ->> 'feature_id', payload ->> 'channel', (payload ->> 'score')::smallint, payload ->> 'body',
		payload ->> 'campaign_id', coalesce((payload ->> 'created_at')::timestamptz, now()))
	RETURNING * INTO f;
	RETURN jsonb_build_object(
		'feedback_id', f.feedback_id, 'tenant_id', f.tenant_id, 'created_at', f.created_at,
		'insight', jsonb_build_object('sentiment', round(f.sentiment::numeric, 4), 'sentiment_label', f.sentiment_label,
			'nps_category', f.nps_category, 'themes', to_jsonb(f.themes), 'pain_points', to_jsonb(f.pain_points),
			'feature_requests', to_jsonb(f.feature_requests), 'value_drivers', to_jsonb(f.value_drivers),
			'success_indicators', to_jsonb(f.success_indicators), 'features', to_jsonb(f.features)),
		'actions', coalesce((SELECT jsonb_agg(jsonb_build_object('action_id', a.action_id,
				'template_key', a.template_key, 'status', a.status) ORDER BY a.action_id)
			FROM adoption.campaign_actions AS a
			WHERE a.tenant_id = f.tenant_id AND a.reason ->> 'feedback_id' = f.feedback_id), '[]'));
END
$$;
COMMENT ON FUNCTION adoption.api_submit_feedback(jsonb) IS 'POST product/feedback: stores {tenant_id, channel, score, body, user_id, feature_id, campaign_id, created_at, feedback_id}; returns the feedback id, its insight and the actions it enqueued';

/*
 * POST product/launches: creates or updates a launch and announces it to
 * the tenants that do not use the feature yet; returns the announcements
 * and the launch's performance so far.
 */
CREATE FUNCTION adoption.api_coordinate_launch(payload jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	id text;
	announced integer;
BEGIN
	PERFORM adoption.api_check_payload(payload, ARRAY['launch_id', 'feature_id'],
		ARRAY['launch_id', 'feature_id', 'launched_at', 'campaign_id', 'target_adoption', 'target_days']);
	INSERT INTO adoption.launches AS l (launch_id, feature_id, launched_at, campaign_id, target_adoption, target_days)
	VALUES (payload ->> 'launch_id', payload ->> 'feature_id', coalesce((payload ->> 'launched_at')::timestamptz, now()),
		payload ->> 'campaign_id', coalesce((payload ->> 'target_adoption')::real, 0.30),
		coalesce((payload ->> 'target_days')::integer, 30))
	ON CONFLICT (launch_id) DO UPDATE SET feature_id = excluded.feature_id, launched_at = excluded.launched_at,
		campaign_id = excluded.campaign_id, target_adoption = excluded.target_adoption, target_days = excluded.target_days
	RETURNING l.launch_id INTO id;
	announced := adoption.coordinate_launch(id);
	RETURN jsonb_build_object('launch_id', id, 'announcements_enqueued', announced,
		'performance', (SELECT to_jsonb(p) - 'launch_id' FROM adoption.launch_performance AS p WHERE p.launch_id = id));
END
$$;
COMMENT ON FUNCTION adoption.api_coordinate_launch(jsonb) IS 'POST product/launches: creates or updates the launch {launch_id, feature_id, launched_at, campaign_id, target_adoption, target_days}, enqueues its announcements (coordinate_launch) and returns how many with the launch''s performance';

/*
 * GET success/health/{tenant_id}: the latest score with its components and
 * their explanation, the trend (scores of the last 90 days and the change
 * over 30), risk indicators (the account states, components under 40, the
 * days since the last event) and the milestones (features the tenant
 * adopted, users habitual).
 */
CREATE FUNCTION adoption.api_customer_health(tenant_id text)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
	t text := api_customer_health.tenant_id;
	h adoption.tenant_health;
BEGIN
	PERFORM adoption.api_check_tenant(t);
	SELECT * INTO h FROM adoption.tenant_health AS x WHERE x.tenant_id = t;
	RETURN jsonb_build_object(
		'tenant_id', t,
		'score', round(h.score::numeric, 2), 'risk', h.risk, 'previous_risk', h.previous_risk,
		'scored_at', h.scored_at, 'components', h.components,
		'trend', jsonb_build_object(
			'change_30_days', (SELECT round((h.score - o.score)::numeric, 2) FROM adoption.health_scores AS o
				WHERE o.tenant_id = t AND o.scored_at <= h.scored_at - interval '30 days'
				ORDER BY o.scored_at DESC LIMIT 1),
			'scores', coalesce((SELECT jsonb_agg(jsonb_build_object('scored_at', s.scored_at,
					'score', round(s.score::numeric, 2), 'risk', s.risk) ORDER BY s.scored_at)
				FROM adoption.health_scores AS s
				WHERE s.tenant_id = t AND s.scored_at > h.scored_at - interval '90 days'), '[]')),
		'risk_indicators', (SELECT jsonb_build_object('account_states', to_jsonb(a.states),
				'days_since_last_event', floor(extract(epoch FROM now() - a.last_event_at) / 86400),
				'cancelled_at', a.cancelled_at,
				'weak_components', coalesce((SELECT jsonb_agg(c.key ORDER BY c.key)
					FROM jsonb_each(h.components) AS c WHERE (c.value)::numeric < 40), '[]'))
			FROM adoption.account_states(ARRAY[t]) AS a),
		'explain', coalesce((SELECT jsonb_agg(jsonb_build_object('component', e.component, 'score', round(e.score::numeric, 2),
				'weight', e.effective_weight, 'contribution', round(e.contribution::numeric, 2), 'inputs', e.inputs))
			FROM adoption.explain_health(t) AS e), '[]'),
		'milestones', jsonb_build_object(
			'features_adopted', coalesce((SELECT jsonb_agg(jsonb_build_object('feature_id', f.feature_id,
					'feature_adopted_at', f.feature_adopted_at) ORDER BY f.feature_adopted_at, f.feature_id)
				FROM adoption.tenant_feature_milestones AS f WHERE f.tenant_id = t AND f.feature_adopted_at IS NOT NULL), '[]'),
			'habitual_users', (SELECT count(DISTINCT u.user_id) FROM adoption.user_feature_state AS u
				WHERE u.tenant_id = t AND u.habitual_at IS NOT NULL),
			'adopted_users', (SELECT count(DISTINCT u.user_id) FROM adoption.user_feature_state AS u
				WHERE u.tenant_id = t AND u.adopted_at IS NOT NULL)));
END
$$;
COMMENT ON FUNCTION adoption.api_customer_health(text) IS 'GET success/health/{tenant_id}: latest health score, components and their explanation, trend, risk indicators (account states, weak components, days since the last event) and milestones, as one jsonb document';

/*
 * POST success/interventions: a manual play, queued and tracked like the
 * automatic ones (adoption.campaign_actions; the same play policy).  The
 * dedupe key defaults to one per tenant, template, user, feature and UTC
 * day, so that a double click queues one action.  Returns status queued
 * with the action, duplicate, or blocked with the policy's reason.
 */
CREATE FUNCTION adoption.api_trigger_intervention(payload jsonb)
RETURNS jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
	t text;
	tpl text;
	key text;
	why text;
	id bigint;
BEGIN
	PERFORM adoption.api_check_payload(payload, ARRAY['tenant_id'],
		ARRAY['tenant_id', 'template_key', 'user_id', 'feature_id', 'reason', 'requested_by', 'dedupe_key']);
	t := payload ->> 'tenant_id';
	tpl := coalesce(payload ->> 'template_key', 'retention_intervention');
	PERFORM adoption.api_check_tenant(t);
	IF NOT EXISTS (SELECT 1 FROM adoption.campaign_templates AS c WHERE c.template_key = tpl) THEN
		RAISE EXCEPTION 'unknown campaign template "%"', tpl USING ERRCODE = 'invalid_parameter_value',
			HINT = 'The templates are the rows of adoption.campaign_templates.';
	END IF;
	key := coalesce(payload ->> 'dedupe_key', jsonb_build_array('manual', tpl, payload ->> 'user_id',
		payload ->> 'feature_id', to_char(now(), 'YYYY-MM-DD'))::text);
	SELECT b.reason INTO why FROM adoption.blocked_plays(ARRAY[t], ARRAY[tpl]) AS b;
	IF why IS NOT NULL THEN
		RETURN jsonb_build_object('status', 'blocked', 'tenant_id', t, 'template_key', tpl, 'reason', why);
	END IF;
	id := adoption.enqueue_action(t, tpl, key,
		jsonb_build_object('manual', true, 'requested_by', payload -> 'requested_by', 'note', payload -> 'reason'),
		payload ->> 'user_id', payload ->> 'feature_id');
	IF id IS NULL THEN
		RETURN jsonb_build_object('status', 'duplicate', 'tenant_id', t, 'template_key', tpl, 'dedupe_key', key,
			'action_id', (SELECT k.action_id FROM adoption.campaign_action_keys AS k
				WHERE k.tenant_id = t AND k.dedupe_key = key));
	END IF;
	RETURN jsonb_build_object('status', 'queued', 'tenant_id', t, 'template_key', tpl, 'dedupe_key', key,
		'action', (SELECT to_jsonb(a) FROM adoption.campaign_actions AS a WHERE a.tenant_id = t AND a.action_id = id));
END
$$;
COMMENT ON FUNCTION adoption.api_trigger_intervention(jsonb) IS 'POST success/interventions: queues a manual play {tenant_id, template_key (default retention_intervention), user_id, feature_id, reason, requested_by, dedupe_key} under the play policy; returns status queued (with the action), duplicate or blocked (with the reason)';

/*
 * GET success/expansion/{tenant_id}: seats and revenue, the expansion
 * opportunities, whether the account's state allows the expansion plays
 * now, the expansion plays queued or sent, and the cross-sell
 * recommendations (feature_recommendations(), issue 17, below).
 */
CREATE FUNCTION adoption.api_expansion(tenant_id text)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
	t text := api_expansion.tenant_id;
BEGIN
	PERFORM adoption.api_check_tenant(t);
	RETURN jsonb_build_object(
		'tenant_id', t,
		'plan', (SELECT x.plan FROM adoption.tenants AS x WHERE x.tenant_id = t),
		'arr', (SELECT x.arr FROM adoption.tenants AS x WHERE x.tenant_id = t),
		'seats', (SELECT jsonb_build_object('licensed', x.seats_licensed, 'active_users', s.active_users)
			FROM adoption.tenants AS x
			LEFT JOIN LATERAL (SELECT h.active_users FROM adoption.tenant_health AS h WHERE h.tenant_id = x.tenant_id) AS s ON true
			WHERE x.tenant_id = t),
		'opportunities', coalesce((SELECT jsonb_agg(jsonb_build_object('opportunity', e.opportunity,
				'feature_id', e.feature_id, 'metric', e.metric, 'evidence', e.evidence)
				ORDER BY e.opportunity, e.feature_id)
			FROM adoption.expansion_opportunities AS e WHERE e.tenant_id = t), '[]'),
		'plays_allowed', (SELECT jsonb_object_agg(p.k, NOT EXISTS (
				SELECT 1 FROM adoption.blocked_plays(ARRAY[t], ARRAY[p.k]) AS b))
			FROM unnest(ARRAY['expansion_offer', 'advanced_feature', 'case_study']) AS p(k)),
		'account_states', (SELECT to_jsonb(a.states) FROM adoption.account_states(ARRAY[t]) AS a),
		'recommendations', coalesce((SELECT jsonb_agg(jsonb_build_object('rank', r.rank, 'feature_id', r.feature_id,
				'tier', r.tier, 'score', round(r.score::numeric, 4), 'confidence', round(r.confidence::numeric, 4),
				'support', round(r.support::numeric, 4), 'lift', round(r.lift::numeric, 4), 'because', r.because,
				'upgrade_of', r.upgrade_of) ORDER BY r.rank)
			FROM adoption.feature_recommendations(ARRAY[t], 3) AS r), '[]'),
		'plays', coalesce((SELECT jsonb_agg(jsonb_build_object('action_id', a.action_id, 'template_key', a.template_key,
				'feature_id', a.feature_id, 'status', a.status, 'status_reason', a.status_reason,
				'created_at', a.created_at) ORDER BY a.created_at, a.action_id)
			FROM adoption.campaign_actions AS a
			WHERE a.tenant_id = t AND a.template_key IN ('expansion_offer', 'advanced_feature', 'case_study')), '[]'));
END
$$;
COMMENT ON FUNCTION adoption.api_expansion(text) IS 'GET success/expansion/{tenant_id}: plan, ARR, seats, expansion opportunities, whether the play policy allows expansion_offer, advanced_feature and case_study now, the three cross-sell recommendations, and those plays queued or sent, as one jsonb document';
ALTER FUNCTION adoption.api_submit_feedback(jsonb) SECURITY DEFINER;
ALTER FUNCTION adoption.api_coordinate_launch(jsonb) SECURITY DEFINER;
ALTER FUNCTION adoption.api_trigger_intervention(jsonb) SECURITY DEFINER;
REVOKE ALL ON FUNCTION adoption.api_check_tenant(text), adoption.api_check_payload(jsonb, text[], text[]),
	adoption.api_product_analytics(text), adoption.api_submit_feedback(jsonb), adoption.api_coordinate_launch(jsonb),
	adoption.api_customer_health(text), adoption.api_trigger_intervention(jsonb), adoption.api_expansion(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION adoption.api_submit_feedback(jsonb), adoption.api_coordinate_launch(jsonb),
	adoption.api_trigger_intervention(jsonb) TO adoption_app;
GRANT EXECUTE ON FUNCTION adoption.api_check_tenant(text), adoption.api_product_analytics(text),
	adoption.api_customer_health(text), adoption.api_expansion(text) TO adoption_analyst, adoption_tenant;

/*
 * Issue 17, cross-sell recommendations: feature_recommendations(),
 * recommend_features() and the hold-out evaluate_recommendations().
 */

/*
 * Audit of the customer-success numbers: feature_recommendations() gives a
 * tenant without a segment (plan) no segment (plan) peers: an unknown
 * segment is missing data, not a segment; n below 1 is refused.
 */
CREATE FUNCTION adoption.feature_recommendations(tenant_ids text[], n integer DEFAULT 3, as_of timestamptz DEFAULT NULL)
RETURNS TABLE (tenant_id text, rank integer, feature_id text, feature_name text, tier text,
	score double precision, confidence double precision, support double precision, lift double precision, because text,
	upgrade_of text, peers integer, peer_group text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_custom_plan
AS $$
BEGIN
	IF n IS NULL OR n < 1 THEN
		RAISE EXCEPTION 'n must be at least 1, not %', coalesce(n::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'n is how many features to recommend per tenant.';
	END IF;
	RETURN QUERY
	WITH ta AS MATERIALIZED (
		/*
		 * Tenant x feature adoptions: now, the pairs with an adopted user
		 * (tenant_feature_counts, one small row each); as of a time, from
		 * the users' adoption times.
		 */
		SELECT c.tenant_id AS t, c.feature_id AS f
		FROM adoption.tenant_feature_counts AS c
		WHERE feature_recommendations.as_of IS NULL AND c.adopted_users > 0
		UNION ALL
		SELECT s.tenant_id, s.feature_id
		FROM adoption.user_feature_state AS s
		WHERE feature_recommendations.as_of IS NOT NULL AND s.adopted_at < feature_recommendations.as_of
		GROUP BY s.tenant_id, s.feature_id
	), tg AS MATERIALIZED (
		/* The groups every tenant belongs to: its segment and plan, its segment, all. */
		SELECT t.tenant_id AS t, g.gk
		FROM adoption.tenants AS t,
			LATERAL (VALUES ('sp:' || quote_nullable(t.segment) || '|' || quote_nullable(t.plan)),
				('s:' || quote_nullable(t.segment)), ('all')) AS g (gk)
	), gn AS (
		SELECT tg.gk, count(*)::integer AS members FROM tg GROUP BY tg.gk
	), x AS MATERIALIZED (
		/*
		 * Each target's peer group: the first with at least 5 other
		 * tenants.  A tenant without a segment (plan) has no segment (plan)
		 * peers: an unknown segment is missing data, not a segment, and
		 * would make peers of an enterprise and a small business.
		 */
		SELECT t.tenant_id AS x,
			CASE WHEN t.segment IS NOT NULL AND t.plan IS NOT NULL AND sp.members - 1 >= 5 THEN sp.gk
				WHEN t.segment IS NOT NULL AND sg.members - 1 >= 5 THEN sg.gk ELSE 'all' END AS gk
		FROM adoption.tenants AS t
		JOIN gn AS sp ON sp.gk = 'sp:' || quote_nullable(t.segment) || '|' || quote_nullable(t.plan)
		JOIN gn AS sg ON sg.gk = 's:' || quote_nullable(t.segment)
		WHERE t.tenant_id = ANY (feature_recommendations.tenant_ids)
	), members AS MATERIALIZED (
		SELECT tg.gk, tg.t FROM tg WHERE tg.gk IN (SELECT x.gk FROM x)
	), fc AS (
		/* Members of each group that adopted each feature. */
		SELECT m.gk, ta.f, count(*) AS k FROM members AS m JOIN ta ON ta.t = m.t GROUP BY m.gk, ta.f
	), cooc AS (
		/* Members of each group that adopted both a and c. */
		SELECT m.gk, a.f AS a, c.f AS c, count(*) AS k
		FROM members AS m
		JOIN ta AS a ON a.t = m.t
		JOIN ta AS c ON c.t = m.t AND c.f <> a.f
		GROUP BY m.gk, a.f, c.f
	), mine AS MATERIALIZED (
		/* The targets' own adoptions. */
		SELECT ta.t, ta.f FROM ta WHERE ta.t = ANY (feature_recommendations.tenant_ids)
	), up AS (
		/* Upgrade paths: c is the upgrade_feature_id of a feature the target adopted. */
		SELECT mine.t, u.upgrade_feature_id AS c, min(u.feature_id) AS upgrade_of
		FROM mine JOIN adoption.features AS u ON u.feature_id = mine.f
		WHERE u.upgrade_feature_id IS NOT NULL
		GROUP BY mine.t, u.upgrade_feature_id
	), rules AS (
		/*
		 * A target is a member of its group: a pair (a, c) with c not
		 * adopted by it never counts it, a feature a it adopted does once.
		 */
		SELECT x.x, ma.f AS a, co.c, gn.members - 1 AS peers,
			CASE WHEN x.gk LIKE 'sp:%' THEN 'segment and plan' WHEN x.gk LIKE 's:%' THEN 'segment' ELSE 'all' END AS grp,
			co.k::double precision / (gn.members - 1) AS support,
			co.k::double precision / (fa.k - 1) AS confidence,
			(co.k::double precision / (fa.k - 1)) / (fc.k::double precision / (gn.members - 1)) AS lift,
			up.upgrade_of IS NOT NULL AS upgrade, up.upgrade_of, nm.n_mine
		FROM x
		JOIN (SELECT mine.t, count(*) AS n_mine FROM mine GROUP BY mine.t) AS nm ON nm.t = x.x
		JOIN mine AS ma ON ma.t = x.x
		JOIN cooc AS co ON co.gk = x.gk AND co.a = ma.f
		LEFT JOIN mine AS mc ON mc.t = x.x AND mc.f = co.c
		JOIN gn ON gn.gk = x.gk
		JOIN fc AS fa ON fa.gk = x.gk AND fa.f = ma.f
		JOIN fc ON fc.gk = x.gk AND fc.f = co.c
		LEFT JOIN up ON up.t = x.x AND up.c = co.c
		WHERE mc.f IS NULL
	), best AS (
		SELECT DISTINCT ON (rules.x, rules.c) rules.*,
			sum(rules.confidence) OVER (PARTITION BY rules.x, rules.c) / rules.n_mine AS score
		FROM rules
		ORDER BY rules.x, rules.c, rules.confidence DESC, rules.lift DESC, rules.support DESC, rules.a
	), ranked AS (
		SELECT best.*, row_number() OVER (PARTITION BY best.x
			ORDER BY best.score DESC, best.upgrade DESC, best.lift DESC, best.support DESC, best.c)::integer AS r
		FROM best
	)
	SELECT ranked.x, ranked.r, ranked.c, f.feature_name, f.tier, ranked.score, ranked.confidence, ranked.support, ranked.lift,
		ranked.a, ranked.upgrade_of, ranked.peers, ranked.grp
	FROM ranked
	LEFT JOIN adoption.features AS f ON f.feature_id = ranked.c
	WHERE ranked.r <= feature_recommendations.n
	ORDER BY ranked.x, ranked.r;
END
$$;
COMMENT ON FUNCTION adoption.feature_recommendations(text[], integer, timestamptz) IS 'Cross-sell recommendations of several tenants as of a time (NULL: all data): per tenant the n best features it has not adopted, from the association rules of its peers (segment and plan), with support, confidence, lift, the antecedent feature and the upgrade path';

CREATE FUNCTION adoption.recommend_features(tenant_id text, n integer DEFAULT 3)
RETURNS TABLE (rank integer, feature_id text, feature_name text, tier text,
	score double precision, confidence double precision, support double precision, lift double precision, because text,
	upgrade_of text, peers integer, peer_group text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM adoption.tenants AS t WHERE t.tenant_id = recommend_features.tenant_id) THEN
		RAISE EXCEPTION 'unknown tenant "%"', coalesce(recommend_features.tenant_id, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Tenants are the rows of adoption.tenants; events register them on first sight.';
	END IF;
	IF n IS NULL OR n < 1 OR n > 100 THEN
		RAISE EXCEPTION 'n must be between 1 and 100, not %', coalesce(n::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN QUERY
	SELECT r.rank, r.feature_id, r.feature_name, r.tier, r.score, r.confidence, r.support, r.lift, r.because,
		r.upgrade_of, r.peers, r.peer_group
	FROM adoption.feature_recommendations(ARRAY[recommend_features.tenant_id], n) AS r
	ORDER BY r.rank;
END
$$;
COMMENT ON FUNCTION adoption.recommend_features(text, integer) IS 'Cross-sell: the n features the tenant has not adopted that its peers (same segment and plan) who adopted what it adopted adopted most often; confidence, support and lift of the best rule, its antecedent (because), the upgrade path (upgrade_of) and the peer group';

/*
 * The honest hold-out evaluation: for each tenant with at least two
 * adoptions, its most recent adoption (the latest first adoption time of
 * a feature by one of its users) is hidden, and recommendations are made
 * as of that time from everything adopted before it, by every tenant; a
 * hit is the hidden feature among the first k.  The baseline recommends
 * the k features adopted by the most tenants as of that time that the
 * tenant has not adopted.  One row per method.
 */

/*
 * Audit of the customer-success numbers: evaluate_recommendations() hides
 * every feature adopted at a tenant's latest adoption time (ties at one
 * microsecond all hidden, any of them recommended is a hit).
 */
CREATE FUNCTION adoption.evaluate_recommendations(k integer DEFAULT 3)
RETURNS TABLE (method text, tenants integer, hits integer, hit_rate double precision)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c record;
	n_tenants integer := 0;
	rec_hits integer := 0;
	pop_hits integer := 0;
BEGIN
	IF k IS NULL OR k < 1 OR k > 100 THEN
		RAISE EXCEPTION 'k must be between 1 and 100, not %', coalesce(k::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	/*
	 * Per tenant with an adoption before its most recent one: the features
	 * adopted at that latest time are hidden (all of them when several
	 * share the microsecond, as with imported day-granular history: either
	 * was "the next adoption", so recommending any of them is a hit).
	 */
	FOR c IN
		WITH a AS (
			SELECT s.tenant_id, s.feature_id, min(s.adopted_at) AS adopted_at
			FROM adoption.user_feature_state AS s WHERE s.adopted_at IS NOT NULL
			GROUP BY s.tenant_id, s.feature_id
		), l AS (
			SELECT a.tenant_id, max(a.adopted_at) AS adopted_at FROM a GROUP BY a.tenant_id
		)
		SELECT l.tenant_id, l.adopted_at, array_agg(a.feature_id ORDER BY a.feature_id) AS hidden
		FROM l JOIN a ON a.tenant_id = l.tenant_id AND a.adopted_at = l.adopted_at
		WHERE EXISTS (SELECT 1 FROM a AS b WHERE b.tenant_id = l.tenant_id AND b.adopted_at < l.adopted_at)
		GROUP BY l.tenant_id, l.adopted_at
		ORDER BY l.tenant_id
	LOOP
		n_tenants := n_tenants + 1;
		IF EXISTS (SELECT 1 FROM adoption.feature_recommendations(ARRAY[c.tenant_id], k, c.adopted_at) AS r
			WHERE r.feature_id = ANY (c.hidden)) THEN
			rec_hits := rec_hits + 1;
		END IF;
		IF EXISTS (SELECT 1 FROM (
			SELECT s.feature_id FROM adoption.user_feature_state AS s
			WHERE s.adopted_at < c.adopted_at
				AND s.feature_id NOT IN (SELECT m.feature_id FROM adoption.user_feature_state AS m
					WHERE m.tenant_id = c.tenant_id AND m.adopted_at < c.adopted_at)
			GROUP BY s.feature_id
			ORDER BY count(DISTINCT s.tenant_id) DESC, s.feature_id
			LIMIT k) AS p WHERE p.feature_id = ANY (c.hidden)) THEN
			pop_hits := pop_hits + 1;
		END IF;
	END LOOP;
	RETURN QUERY VALUES
		('recommend_features', n_tenants, rec_hits, rec_hits::double precision / nullif(n_tenants, 0)),
		('most_popular', n_tenants, pop_hits, pop_hits::double precision / nullif(n_tenants, 0));
END
$$;
COMMENT ON FUNCTION adoption.evaluate_recommendations(integer) IS 'Hold-out evaluation of recommend_features: hides each tenant''s most recent adoption (every feature adopted at that time), recommends as of its time, and reports the hit rate at k against recommending the k most adopted features';
REVOKE ALL ON FUNCTION adoption.feature_recommendations(text[], integer, timestamptz),
	adoption.recommend_features(text, integer), adoption.evaluate_recommendations(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION adoption.feature_recommendations(text[], integer, timestamptz),
	adoption.recommend_features(text, integer), adoption.evaluate_recommendations(integer)
	TO adoption_analyst, adoption_tenant;

/*
 * Issue 17, intervention effectiveness: wilson_interval(), the function
 * intervention_effectiveness(window_length, as_of) and the view of the
 * same name at its defaults.
 */
CREATE FUNCTION adoption.wilson_interval(x bigint, n bigint, z double precision DEFAULT 1.959963984540054)
RETURNS double precision[]
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p double precision := x::double precision / nullif(n, 0);
BEGIN
	IF n < 0 OR x < 0 OR x > n THEN
		RAISE EXCEPTION 'invalid Wilson interval: % successes of % trials', x, n
			USING ERRCODE = 'invalid_parameter_value', HINT = 'x must be between 0 and n, n at least 0.';
	END IF;
	IF NOT (z > 0 AND z < 'Infinity') THEN
		RAISE EXCEPTION 'invalid Wilson interval: z must be a positive finite number, not %', z
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF n = 0 THEN
		RETURN NULL;
	END IF;
	RETURN ARRAY[(p + z * z / (2 * n) - z * sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n),
		(p + z * z / (2 * n) + z * sqrt(p * (1 - p) / n + z * z / (4 * n * n))) / (1 + z * z / n)];
END
$$;
COMMENT ON FUNCTION adoption.wilson_interval(bigint, bigint, double precision) IS 'Wilson score interval {low, high} of the rate x / n (z = 1.959964, the 97.5 % normal quantile: 95 %); NULL when n = 0; x outside 0..n refused (22023)';

/*
 * Audit of the customer-success numbers: intervention_effectiveness()
 * keys the actions that exclude a baseline moment by the play's subject (the
 * user only for adoption_nudge: an advanced_feature action names its
 * habitual user, a manual intervention may name one), and an action
 * created exactly window_length before the moment excludes it.
 */
CREATE FUNCTION adoption.intervention_effectiveness(window_length interval DEFAULT '30 days',
	as_of timestamptz DEFAULT pg_catalog.now())
RETURNS TABLE (template_key text, month date, actions bigint, outcomes bigint, outcome_rate double precision,
	rate_low double precision, rate_high double precision, baseline bigint, baseline_outcomes bigint,
	baseline_rate double precision, baseline_low double precision, baseline_high double precision,
	lift double precision)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
BEGIN
	IF window_length IS NULL OR window_length <= interval '0' THEN
		RAISE EXCEPTION 'window_length must be positive, not %', coalesce(window_length::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'Pass how long after the moment the outcome may come, e.g. ''30 days''.';
	END IF;
	IF as_of IS NULL OR NOT isfinite(as_of) THEN
		RAISE EXCEPTION 'as_of must be a finite time, not %', coalesce(as_of::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	RETURN QUERY
	WITH w AS (SELECT window_length AS len, intervention_effectiveness.as_of AS t),
	acts AS (
		/* Done actions of the six templates whose window ended by as_of. */
		SELECT a.template_key AS tpl, a.tenant_id AS t, a.user_id AS u, a.feature_id AS f, a.completed_at AS m
		FROM adoption.campaign_actions AS a, w
		WHERE a.status = 'done' AND a.completed_at + w.len <= w.t
			AND a.template_key IN ('retention_intervention', 'escalate_to_cs', 'win_back', 'adoption_nudge',
				'advanced_feature', 'expansion_offer')
	),
	created AS MATERIALIZED (
		/*
		 * Every action of those templates (any status), for excluding
		 * baseline moments, keyed like their subjects: the user for
		 * adoption_nudge ('' for the others, whose subject is the tenant:
		 * an advanced_feature action names its habitual user, a manual
		 * intervention may name one, and both are still about the tenant)
		 * and, for the plays about a feature, the feature.
		 */
		SELECT a.template_key AS tpl, a.tenant_id AS t,
			CASE WHEN a.template_key = 'adoption_nudge' THEN coalesce(a.user_id, '') ELSE '' END AS ku,
			CASE WHEN a.template_key IN ('adoption_nudge', 'advanced_feature') THEN coalesce(a.feature_id, '') ELSE '' END AS kf,
			a.created_at
		FROM adoption.campaign_actions AS a
		WHERE a.template_key IN ('retention_intervention', 'escalate_to_cs', 'win_back', 'adoption_nudge',
			'advanced_feature', 'expansion_offer')
	),
	scores AS (
		SELECT h.tenant_id AS t, h.scored_at AS m, h.risk, h.last_event_at, h.active_users, e.dormant_after,
			e.seat_utilization_threshold, n.seats_licensed
		FROM adoption.health_scores AS h
		JOIN adoption.effective_settings AS e ON e.tenant_id = h.tenant_id
		JOIN adoption.tenants AS n ON n.tenant_id = h.tenant_id
	),
	eligible AS (
		SELECT 'retention_intervention'::text AS tpl, s.t, NULL::text AS u, NULL::text AS f, s.m FROM scores AS s WHERE s.risk = 'at_risk'
		UNION ALL
		SELECT 'escalate_to_cs', s.t, NULL, NULL, s.m FROM scores AS s WHERE s.risk = 'critical'
		UNION ALL
		SELECT 'win_back', s.t, NULL, NULL, s.m FROM scores AS s WHERE s.last_event_at <= s.m - s.dormant_after
		UNION ALL
		SELECT 'expansion_offer', s.t, NULL, NULL, s.m FROM scores AS s
		WHERE s.seats_licensed > 0 AND s.active_users >= s.seat_utilization_threshold * s.seats_licensed
		UNION ALL
		SELECT 'adoption_nudge', u.tenant_id, u.user_id, u.feature_id, u.activated_at + e.nudge_after
		FROM adoption.user_feature_state AS u
		JOIN adoption.effective_settings AS e ON e.tenant_id = u.tenant_id
		WHERE u.adopted_at IS NULL OR u.adopted_at > u.activated_at + e.nudge_after
		UNION ALL
		SELECT 'advanced_feature', u.tenant_id, NULL, f.upgrade_feature_id, min(u.habitual_at)
		FROM adoption.user_feature_state AS u
		JOIN adoption.features AS f ON f.feature_id = u.feature_id AND f.upgrade_feature_id IS NOT NULL
		WHERE u.habitual_at IS NOT NULL
			AND NOT EXISTS (SELECT 1 FROM adoption.user_feature_state AS g WHERE g.tenant_id = u.tenant_id
				AND g.feature_id = f.upgrade_feature_id AND g.activated_at <= u.habitual_at)
		GROUP BY u.tenant_id, f.upgrade_feature_id
	),
	base AS (
		/*
		 * Eligible moments without an action of the template for the
		 * subject created within the window before or after (bounds
		 * included); the first per subject and month.
		 */
		SELECT DISTINCT ON (e.tpl, e.t, e.u, e.f, date_trunc('month', e.m)) e.tpl, e.t, e.u, e.f, e.m
		FROM eligible AS e, w
		WHERE e.m + w.len <= w.t
			AND NOT EXISTS (SELECT 1 FROM created AS c
				WHERE c.tpl = e.tpl AND c.t = e.t AND c.ku = coalesce(e.u, '')
					AND c.kf = CASE WHEN e.tpl IN ('adoption_nudge', 'advanced_feature') THEN coalesce(e.f, '') ELSE '' END
					AND c.created_at >= e.m - w.len AND c.created_at <= e.m + w.len)
		ORDER BY e.tpl, e.t, e.u, e.f, date_trunc('month', e.m), e.m
	),
	units AS (
		SELECT true AS treated, acts.* FROM acts
		UNION ALL
		SELECT false, base.* FROM base
	),
	judged AS (
		SELECT x.treated, x.tpl, date_trunc('month', x.m)::date AS month, CASE x.tpl
			WHEN 'retention_intervention' THEN EXISTS (SELECT 1 FROM adoption.health_scores AS h
				WHERE h.tenant_id = x.t AND h.scored_at > x.m AND h.scored_at <= x.m + w.len AND h.risk = 'healthy')
			WHEN 'escalate_to_cs' THEN EXISTS (SELECT 1 FROM adoption.health_scores AS h
				WHERE h.tenant_id = x.t AND h.scored_at > x.m AND h.scored_at <= x.m + w.len AND h.risk <> 'critical')
			WHEN 'win_back' THEN EXISTS (SELECT 1 FROM adoption.feature_usage_events AS v
				WHERE v.tenant_id = x.t AND v.usage_timestamp > x.m AND v.usage_timestamp <= x.m + w.len)
			WHEN 'expansion_offer' THEN EXISTS (SELECT 1 FROM adoption.billing_events AS b
				WHERE b.tenant_id = x.t AND b.kind = 'upgrade' AND b.occurred_at > x.m AND b.occurred_at <= x.m + w.len)
			WHEN 'adoption_nudge' THEN EXISTS (SELECT 1 FROM adoption.user_feature_state AS u
				WHERE u.tenant_id = x.t AND u.user_id = x.u AND u.feature_id = x.f
					AND u.adopted_at > x.m AND u.adopted_at <= x.m + w.len)
			WHEN 'advanced_feature' THEN EXISTS (SELECT 1 FROM adoption.user_feature_state AS u
				WHERE u.tenant_id = x.t AND u.feature_id = x.f
					AND u.activated_at > x.m AND u.activated_at <= x.m + w.len)
			END AS success
		FROM units AS x, w
	),
	agg AS (
		SELECT j.tpl, j.month,
			count(*) FILTER (WHERE j.treated) AS n, count(*) FILTER (WHERE j.treated AND j.success) AS k,
			count(*) FILTER (WHERE NOT j.treated) AS bn, count(*) FILTER (WHERE NOT j.treated AND j.success) AS bk
		FROM judged AS j
		GROUP BY j.tpl, j.month
	)
	SELECT agg.tpl, agg.month, agg.n, agg.k, agg.k::double precision / nullif(agg.n, 0),
		(adoption.wilson_interval(agg.k, agg.n))[1], (adoption.wilson_interval(agg.k, agg.n))[2],
		agg.bn, agg.bk, agg.bk::double precision / nullif(agg.bn, 0),
		(adoption.wilson_interval(agg.bk, agg.bn))[1], (adoption.wilson_interval(agg.bk, agg.bn))[2],
		(agg.k::double precision / nullif(agg.n, 0)) / nullif(agg.bk::double precision / nullif(agg.bn, 0), 0)
	FROM agg
	ORDER BY agg.tpl, agg.month;
END
$$;
COMMENT ON FUNCTION adoption.intervention_effectiveness(interval, timestamptz) IS 'Per play and month: done actions and how many were followed by their outcome within window_length, against a baseline of eligible moments without the play, with 95 % Wilson intervals and the lift; only units whose window ended by as_of';

CREATE VIEW adoption.intervention_effectiveness WITH (security_invoker = true) AS
SELECT e.template_key, e.month, e.actions, e.outcomes, e.outcome_rate, e.rate_low, e.rate_high,
	e.baseline, e.baseline_outcomes, e.baseline_rate, e.baseline_low, e.baseline_high, e.lift
FROM adoption.intervention_effectiveness() AS e;
COMMENT ON VIEW adoption.intervention_effectiveness IS 'Does a play work? Per template and month: done actions followed by their outcome within 30 days, against eligible moments without the play (adoption.intervention_effectiveness(window_length, as_of) for other windows and past dates)';
COMMENT ON COLUMN adoption.intervention_effectiveness.template_key IS 'The play: retention_intervention, escalate_to_cs, win_back, adoption_nudge, advanced_feature or expansion_offer';
COMMENT ON COLUMN adoption.intervention_effectiveness.month IS 'Month of the moment (completed_at of an action, the eligible moment of a baseline unit), UTC';
COMMENT ON COLUMN adoption.intervention_effectiveness.actions IS 'Done actions whose 30-day window has ended';
COMMENT ON COLUMN adoption.intervention_effectiveness.outcomes IS 'Of those, followed by the outcome the play aims at within 30 days';
COMMENT ON COLUMN adoption.intervention_effectiveness.outcome_rate IS 'outcomes / actions';
COMMENT ON COLUMN adoption.intervention_effectiveness.rate_low IS 'Lower end of the 95 % Wilson interval of outcome_rate';
COMMENT ON COLUMN adoption.intervention_effectiveness.rate_high IS 'Upper end of the 95 % Wilson interval of outcome_rate';
COMMENT ON COLUMN adoption.intervention_effectiveness.baseline IS 'Eligible subjects (first eligible moment in the month) with no action of the template within 30 days of it';
COMMENT ON COLUMN adoption.intervention_effectiveness.baseline_outcomes IS 'Of those, followed by the outcome within 30 days';
COMMENT ON COLUMN adoption.intervention_effectiveness.baseline_rate IS 'baseline_outcomes / baseline';
COMMENT ON COLUMN adoption.intervention_effectiveness.baseline_low IS 'Lower end of the 95 % Wilson interval of baseline_rate';
COMMENT ON COLUMN adoption.intervention_effectiveness.baseline_high IS 'Upper end of the 95 % Wilson interval of baseline_rate';
COMMENT ON COLUMN adoption.intervention_effectiveness.lift IS 'outcome_rate / baseline_rate (NULL without a baseline or when it is 0): read it with the intervals, which overlap when the difference may be noise';
REVOKE ALL ON FUNCTION adoption.wilson_interval(bigint, bigint, double precision),
	adoption.intervention_effectiveness(interval, timestamptz) FROM PUBLIC;
REVOKE ALL ON adoption.intervention_effectiveness FROM PUBLIC;
GRANT EXECUTE ON FUNCTION adoption.wilson_interval(bigint, bigint, double precision),
	adoption.intervention_effectiveness(interval, timestamptz) TO adoption_analyst, adoption_tenant;
GRANT SELECT ON adoption.intervention_effectiveness TO adoption_analyst, adoption_tenant;

/*
 * Issue 17, revenue attribution: touch_credit() (the models' credit, now
 * shared with attribution()), revenue_attribution() and the view
 * attributed_revenue.
 */
CREATE FUNCTION adoption.touch_credit(model text, pos bigint, n bigint, w double precision, w_sum double precision)
RETURNS double precision
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE model
	WHEN 'first_touch' THEN CASE WHEN pos = 1 THEN 1.0::double precision ELSE 0.0 END
	WHEN 'last_touch' THEN CASE WHEN pos = n THEN 1.0::double precision ELSE 0.0 END
	WHEN 'linear' THEN 1.0::double precision / n
	WHEN 'time_decay' THEN w / w_sum
	WHEN 'position_based' THEN CASE WHEN n = 1 THEN 1.0::double precision
		WHEN n = 2 THEN 0.5
		WHEN pos = 1 OR pos = n THEN 0.4
		ELSE 0.2::double precision / (n - 2) END
	END;
COMMENT ON FUNCTION adoption.touch_credit(text, bigint, bigint, double precision, double precision) IS 'Credit of the pos-th of n touches under an attribution model: first_touch, last_touch, linear, time_decay (w / w_sum) or position_based (40/20/40)';
CREATE FUNCTION adoption.revenue_attribution(model text DEFAULT 'linear', lookback interval DEFAULT '90 days')
RETURNS TABLE (tenant_id text, expansion_id text, expanded_at timestamptz, amount numeric, source text,
	credited_id text, touched_at timestamptz, credit double precision, revenue numeric)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
BEGIN
	IF model IS NULL OR model NOT IN ('first_touch', 'last_touch', 'linear', 'time_decay', 'position_based') THEN
		RAISE EXCEPTION 'unknown attribution model "%"', coalesce(model, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'The models are first_touch, last_touch, linear, time_decay (7-day half-life) and position_based (40/20/40).';
	END IF;
	IF lookback IS NULL OR lookback < interval '0' THEN
		RAISE EXCEPTION 'lookback must be a non-negative interval, not %', coalesce(lookback::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Pass how long before an expansion a touch or an adoption counts, e.g. ''90 days''.';
	END IF;
	RETURN QUERY
	WITH x AS (
		SELECT b.tenant_id, b.event_id, b.occurred_at, b.amount
		FROM adoption.billing_events AS b
		WHERE b.kind = 'upgrade' AND b.amount > 0
	),
	t AS (
		SELECT x.tenant_id, x.event_id, x.occurred_at, x.amount, 'campaign'::text AS src, c.campaign_id AS id,
			c.touched_at AS at, c.touch_id::text AS tie
		FROM x
		JOIN adoption.campaign_touches AS c ON c.tenant_id = x.tenant_id
		WHERE c.touched_at <= x.occurred_at AND c.touched_at >= x.occurred_at - lookback
		UNION ALL
		SELECT x.tenant_id, x.event_id, x.occurred_at, x.amount, 'campaign', e.integration_context ->> 'campaign_influence',
			e.usage_timestamp, e.event_id::text
		FROM x
		JOIN adoption.feature_usage_events AS e ON e.tenant_id = x.tenant_id
		WHERE e.usage_timestamp <= x.occurred_at AND e.usage_timestamp >= x.occurred_at - lookback
			AND (e.integration_context ->> 'campaign_influence') <> ''
		UNION ALL
		SELECT x.tenant_id, x.event_id, x.occurred_at, x.amount, 'feature', f.feature_id, f.adopted_at, ''
		FROM x
		JOIN (SELECT s.tenant_id, s.feature_id, min(s.adopted_at) AS adopted_at
			FROM adoption.user_feature_state AS s WHERE s.adopted_at IS NOT NULL
			GROUP BY s.tenant_id, s.feature_id) AS f ON f.tenant_id = x.tenant_id
		WHERE f.adopted_at <= x.occurred_at AND f.adopted_at >= x.occurred_at - lookback
	),
	r AS (
		SELECT t.*,
			row_number() OVER o AS pos,
			count(*) OVER p AS n,
			power(2.0::double precision,
				-(extract(epoch FROM max(t.at) OVER p - t.at))::double precision / 604800.0) AS w
		FROM t
		WINDOW p AS (PARTITION BY t.tenant_id, t.event_id, t.src),
			o AS (p ORDER BY t.at, t.id COLLATE "C", t.tie COLLATE "C")
	),
	c AS (
		SELECT r.*, adoption.touch_credit(revenue_attribution.model, r.pos, r.n, r.w,
			sum(r.w) OVER (PARTITION BY r.tenant_id, r.event_id, r.src)) AS cr
		FROM r
	),
	cum AS (
		/*
		 * Revenue in numeric, to the millionth, telescoping: the k-th touch
		 * gets round(amount x credits up to k) - round(amount x credits
		 * before k), the credits up to the last being 1, so that the
		 * revenue of an expansion adds up to its amount exactly.
		 */
		SELECT c.*,
			round(c.amount * CASE WHEN c.pos = c.n THEN 1::numeric
				ELSE (sum(c.cr) OVER (PARTITION BY c.tenant_id, c.event_id, c.src ORDER BY c.pos))::numeric END, 6) AS upto
		FROM c
	)
	SELECT z.tenant_id, z.event_id, z.occurred_at, z.amount, z.src, z.id, z.at, z.cr, z.rev
	FROM (SELECT c.*, c.upto - coalesce(lag(c.upto) OVER (PARTITION BY c.tenant_id, c.event_id, c.src ORDER BY c.pos), 0) AS rev
		FROM cum AS c) AS z
	WHERE z.cr > 0
	ORDER BY z.tenant_id COLLATE "C", z.occurred_at, z.event_id COLLATE "C", z.src, z.pos;
END
$$;
COMMENT ON FUNCTION adoption.revenue_attribution(text, interval) IS 'Credits each expansion (billing upgrade, amount > 0) to the campaign touches of its tenant and, separately, to the features the tenant adopted within lookback before it, with the models of attribution(); per expansion and source the credits sum to 1 and the revenue to the amount';

CREATE VIEW adoption.attributed_revenue WITH (security_invoker = true) AS
SELECT date_trunc('month', r.expanded_at AT TIME ZONE 'UTC')::date AS month, r.source, r.credited_id,
	count(DISTINCT (r.tenant_id, r.expansion_id)) AS expansions, sum(r.revenue) AS revenue
FROM adoption.revenue_attribution('linear', interval '90 days') AS r
GROUP BY 1, 2, 3;
COMMENT ON VIEW adoption.attributed_revenue IS 'Expansion revenue credited to each campaign and each feature per month (adoption.revenue_attribution(''linear'', ''90 days''); other models and lookbacks: call the function)';
COMMENT ON COLUMN adoption.attributed_revenue.month IS 'Month of the expansions, UTC';
COMMENT ON COLUMN adoption.attributed_revenue.source IS 'campaign or feature';
COMMENT ON COLUMN adoption.attributed_revenue.credited_id IS 'The campaign_id or the feature_id credited';
COMMENT ON COLUMN adoption.attributed_revenue.expansions IS 'Expansions it shares the credit of';
COMMENT ON COLUMN adoption.attributed_revenue.revenue IS 'Revenue credited to it: per expansion and source the credits add up to the amount';
REVOKE ALL ON FUNCTION adoption.touch_credit(text, bigint, bigint, double precision, double precision),
	adoption.revenue_attribution(text, interval) FROM PUBLIC;
REVOKE ALL ON adoption.attributed_revenue FROM PUBLIC;
GRANT EXECUTE ON FUNCTION adoption.touch_credit(text, bigint, bigint, double precision, double precision),
	adoption.revenue_attribution(text, interval) TO adoption_analyst, adoption_tenant;
GRANT SELECT ON adoption.attributed_revenue TO adoption_analyst, adoption_tenant;

/*
 * The play policy of issue 17 and the template fix_announcement of issue 18:
 * announcing a fix is allowed in every account state (messaging.sql).
 */
INSERT INTO adoption.play_policy (account_state, template_key, allowed)
SELECT s.account_state, 'fix_announcement', true
FROM (VALUES ('at_risk'), ('critical'), ('dormant'), ('cancelled')) AS s (account_state);

/*
 * forget_tenant() also erases the tenant's play policy overrides (issue
 * 17), its persona profile (issue 18, and reports it) and its daily
 * snapshots (issue 21).
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
		'campaign_followups', 'health_scores', 'tenant_play_policy', 'lexicon', 'settings', 'tenants'] LOOP
		EXECUTE pg_catalog.format('DELETE FROM adoption.%I AS x WHERE x.tenant_id OPERATOR(pg_catalog.=) $1', tbl)
			USING t;
		GET DIAGNOSTICS n = ROW_COUNT;
		counts := counts OPERATOR(pg_catalog.||) pg_catalog.jsonb_build_object(tbl, n);
	END LOOP;
	RETURN counts;
END
$$;
COMMENT ON FUNCTION adoption.forget_tenant(text) IS 'Erases a tenant: every row of it in every table of the extension (events, state, daily snapshots, feedback and its persona profile, tickets, billing events, touches, actions and keys, follow-ups, health scores, play policy overrides, lexicon, settings override, the tenant itself); returns the rows deleted per table as jsonb';

-- account_states()' look-up of the log as a function of its own (planned only when it runs).
CREATE FUNCTION adoption.last_event_up_to(tenant_id text, as_of timestamptz)
RETURNS timestamptz
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT max(v.usage_timestamp) FROM adoption.feature_usage_events AS v
	WHERE v.tenant_id = last_event_up_to.tenant_id AND v.usage_timestamp <= last_event_up_to.as_of
$$;
COMMENT ON FUNCTION adoption.last_event_up_to(text, timestamptz) IS 'A tenant''s latest event at or before as_of, from the log (account_states() when tenant_state is ahead of as_of)';
REVOKE ALL ON FUNCTION adoption.last_event_up_to(text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION adoption.last_event_up_to(text, timestamptz) TO adoption_analyst, adoption_tenant;

/*
 * Issue 21, the dashboard's slow queries: a partial index of every
 * partition of the event log on the events naming a campaign_influence
 * (ensure_partitions() creates it for new partitions); attribution() through
 * attribution_touches() (last_touch without window functions),
 * touch_credit() inlinable (no SET clause; defined with issue 17 above),
 * campaign_lift() reading the indexed events and tenant_user_state,
 * launch_performance through
 * users_active_between() instead of the DISTINCT users of the target
 * window's events.  The same numbers (test/pgtap/12_dashboard_queries.sql).
 */
DO $do$
DECLARE
	part text;
BEGIN
	FOR part IN SELECT c.relname FROM pg_catalog.pg_inherits AS i
		JOIN pg_catalog.pg_class AS c ON c.oid = i.inhrelid
		WHERE i.inhparent = 'adoption.feature_usage_events'::pg_catalog.regclass LOOP
		EXECUTE pg_catalog.format('CREATE INDEX IF NOT EXISTS %I ON adoption.%I (tenant_id, user_id, usage_timestamp) INCLUDE (event_id, integration_context) WHERE integration_context ? %L',
			part || '_campaign_influence', part, 'campaign_influence');
	END LOOP;
END
$do$;
CREATE OR REPLACE FUNCTION adoption.ensure_partitions(months_ahead integer DEFAULT 3)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'	-- month arithmetic and bounds in UTC whatever the session's zone
AS $$
DECLARE
	this_month timestamptz := date_trunc('month', now());
	oldest_month timestamptz := this_month - interval '120 months';
	months timestamptz[];
	m timestamptz;
	part text;
	created integer := 0;
BEGIN
	IF months_ahead IS NULL OR months_ahead < 0 OR months_ahead > 120 THEN
		RAISE EXCEPTION 'months_ahead must be between 0 and 120, not %', coalesce(months_ahead::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Pass how many months after the current one should have a partition, e.g. 3.';
	END IF;

	/* Only one session at a time reorganizes the partitions. */
	PERFORM pg_advisory_xact_lock('adoption.feature_usage_events'::regclass::oid::bigint);

	SELECT array_agg(DISTINCT mo ORDER BY mo) INTO months FROM (
		SELECT this_month + make_interval(months => i) AS mo
		FROM generate_series(0, months_ahead) AS i
		UNION
		SELECT date_trunc('month', d.usage_timestamp)
		FROM adoption.feature_usage_events_default AS d
		WHERE d.usage_timestamp >= oldest_month
	) AS s;

	FOREACH m IN ARRAY months LOOP
		part := 'feature_usage_events_p' || to_char(m, 'YYYYMM');
		CONTINUE WHEN to_regclass(format('adoption.%I', part)) IS NOT NULL;

		EXECUTE format('CREATE TABLE adoption.%I (LIKE adoption.feature_usage_events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', part);
		EXECUTE format('ALTER TABLE adoption.%I ADD PRIMARY KEY (tenant_id, usage_timestamp, event_id)', part);
		/* adoption.rescore() finds the tenants with events ingested since its last run. */
		EXECUTE format('CREATE INDEX %I ON adoption.%I USING brin (ingested_at)', part || '_ingested_at', part);
		/* attribution() and campaign_lift() read the events naming a campaign. */
		EXECUTE format('CREATE INDEX %I ON adoption.%I (tenant_id, user_id, usage_timestamp) INCLUDE (event_id, integration_context) WHERE integration_context ? %L',
			part || '_campaign_influence', part, 'campaign_influence');
		/* Rows of this month waiting in the default partition move first. */
		EXECUTE format('WITH moved AS (DELETE FROM adoption.feature_usage_events_default WHERE usage_timestamp >= %L AND usage_timestamp < %L RETURNING *) INSERT INTO adoption.%I SELECT * FROM moved',
			m, m + interval '1 month', part);
		EXECUTE format('ALTER TABLE adoption.feature_usage_events ATTACH PARTITION adoption.%I FOR VALUES FROM (%L) TO (%L)',
			part, m, m + interval '1 month');
		created := created + 1;
	END LOOP;
	RETURN created;
END
$$;
COMMENT ON FUNCTION adoption.ensure_partitions(integer) IS 'Creates monthly partitions of the event log from the current month to months_ahead months ahead, and for months whose events wait in the default partition; returns how many it created';
CREATE FUNCTION adoption.attribution_touches(lookback interval)
RETURNS TABLE (tenant_id text, user_id text, feature_id text, adopted_at timestamptz,
	campaign_id text, touched_at timestamptz, src integer, touch_id bigint, event_id uuid)
LANGUAGE sql STABLE
BEGIN ATOMIC
	WITH a AS MATERIALIZED (
		SELECT s.tenant_id, s.user_id, s.feature_id, s.adopted_at
		FROM adoption.user_feature_state AS s
		WHERE s.adopted_at IS NOT NULL
	)
	SELECT a.tenant_id, a.user_id, a.feature_id, a.adopted_at, c.campaign_id, c.touched_at,
		0, c.touch_id, NULL::uuid
	FROM a
	JOIN adoption.campaign_touches AS c ON c.tenant_id = a.tenant_id AND c.user_id = a.user_id
	WHERE c.touched_at <= a.adopted_at AND c.touched_at >= a.adopted_at - lookback
	UNION ALL
	SELECT a.tenant_id, a.user_id, a.feature_id, a.adopted_at, c.campaign_id, c.touched_at,
		0, c.touch_id, NULL::uuid
	FROM a
	JOIN adoption.campaign_touches AS c ON c.tenant_id = a.tenant_id AND c.user_id IS NULL
	WHERE c.touched_at <= a.adopted_at AND c.touched_at >= a.adopted_at - lookback
	UNION ALL
	SELECT a.tenant_id, a.user_id, a.feature_id, a.adopted_at,
		e.integration_context ->> 'campaign_influence', e.usage_timestamp, 1, NULL::bigint, e.event_id
	FROM a
	JOIN adoption.feature_usage_events AS e ON e.tenant_id = a.tenant_id AND e.user_id = a.user_id
	WHERE e.usage_timestamp <= a.adopted_at AND e.usage_timestamp >= a.adopted_at - lookback
		AND e.integration_context ? 'campaign_influence'
		AND (e.integration_context ->> 'campaign_influence') <> '';
END;
COMMENT ON FUNCTION adoption.attribution_touches(interval) IS 'Internal to attribution(): each user adoption with the campaign touches of its user or tenant (campaign_touches rows, events naming a campaign_influence) within lookback before adopted_at';
CREATE OR REPLACE FUNCTION adoption.attribution(model text DEFAULT 'last_touch', lookback interval DEFAULT '30 days')
RETURNS TABLE (tenant_id text, user_id text, feature_id text, adopted_at timestamptz,
	campaign_id text, touched_at timestamptz, credit double precision)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET jit = off
AS $$
BEGIN
	IF model IS NULL THEN
		RAISE EXCEPTION 'attribution model must not be NULL'
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'The models are first_touch, last_touch, linear, time_decay (7-day half-life) and position_based (40/20/40).';
	END IF;
	IF model NOT IN ('first_touch', 'last_touch', 'linear', 'time_decay', 'position_based') THEN
		RAISE EXCEPTION 'unknown attribution model "%"', model
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'The models are first_touch, last_touch, linear, time_decay (7-day half-life) and position_based (40/20/40).';
	END IF;
	IF lookback IS NULL OR lookback < interval '0' THEN
		RAISE EXCEPTION 'lookback must be a non-negative interval, not %', coalesce(lookback::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Pass how long before an adoption a touch counts, e.g. ''30 days''.';
	END IF;
	/*
	 * last_touch (campaign_attribution's model) is the last candidate of
	 * each adoption in the order below: one sort, no window functions.
	 */
	IF model = 'last_touch' THEN
		RETURN QUERY
		SELECT DISTINCT ON (t.tenant_id COLLATE "C", t.user_id COLLATE "C", t.feature_id COLLATE "C")
			t.tenant_id, t.user_id, t.feature_id, t.adopted_at, t.campaign_id, t.touched_at, 1.0::double precision
		FROM adoption.attribution_touches(lookback) AS t
		ORDER BY t.tenant_id COLLATE "C", t.user_id COLLATE "C", t.feature_id COLLATE "C",
			t.touched_at DESC, t.campaign_id COLLATE "C" DESC, t.src DESC, t.touch_id DESC, t.event_id DESC;
		RETURN;
	END IF;
	RETURN QUERY
	WITH t AS (
		SELECT * FROM adoption.attribution_touches(lookback)
	),
	r AS (
		/*
		 * time_decay weighs 2^(-age / 7 days); the weights are taken
		 * relative to the latest touch (which weighs 1), the same after
		 * normalization and never all zero however long the lookback.
		 */
		SELECT t.tenant_id, t.user_id, t.feature_id, t.adopted_at, t.campaign_id, t.touched_at,
			row_number() OVER o AS pos,
			count(*) OVER p AS n,
			power(2.0::double precision,
				-(extract(epoch FROM max(t.touched_at) OVER p - t.touched_at))::double precision / 604800.0) AS w,
			t.src, t.touch_id, t.event_id
		FROM t
		WINDOW p AS (PARTITION BY t.tenant_id, t.user_id, t.feature_id),
			o AS (p ORDER BY t.touched_at, t.campaign_id COLLATE "C", t.src, t.touch_id, t.event_id)
	),
	c AS (
		SELECT r.*, adoption.touch_credit(attribution.model, r.pos, r.n, r.w,
			sum(r.w) OVER (PARTITION BY r.tenant_id, r.user_id, r.feature_id)) AS credit
		FROM r
	)
	SELECT c.tenant_id, c.user_id, c.feature_id, c.adopted_at, c.campaign_id, c.touched_at, c.credit
	FROM c
	WHERE c.credit > 0
	ORDER BY c.tenant_id COLLATE "C", c.user_id COLLATE "C", c.feature_id COLLATE "C", c.pos;
END
$$;
COMMENT ON FUNCTION adoption.attribution(text, interval) IS 'Credits each user adoption to the campaign touches of the user or its tenant (campaign_touches, events with campaign_influence) within lookback before adopted_at; models first_touch, last_touch, linear, time_decay (7-day half-life), position_based (40/20/40); one row per credited touch, credits of an adoption sum to 1';
CREATE OR REPLACE FUNCTION adoption.campaign_lift(lookback interval DEFAULT '30 days')
RETURNS TABLE (campaign_id text, feature_id text, window_start timestamptz, window_end timestamptz,
	touched_users bigint, touched_adopters bigint, touched_rate double precision,
	untouched_users bigint, untouched_adopters bigint, untouched_rate double precision,
	rate_difference double precision, lift double precision)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET jit = off
AS $$
BEGIN
	IF lookback IS NULL OR lookback < interval '0' THEN
		RAISE EXCEPTION 'lookback must be a non-negative interval, not %', coalesce(lookback::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Pass how long after a touch an adoption counts, e.g. ''30 days''.';
	END IF;
	/*
	 * A user's usage span is tenant_user_state's first_seen_at ..
	 * last_seen_at (the same events as the min and max over its features);
	 * events naming a campaign come from the partial index on
	 * integration_context ? 'campaign_influence'; own touches and
	 * tenant-wide touches are joined apart (hash joins, not one join on an
	 * OR).
	 */
	RETURN QUERY
	WITH pop AS MATERIALIZED (
		SELECT u.tenant_id, u.user_id, u.first_seen_at AS first_seen, u.last_seen_at AS last_seen
		FROM adoption.tenant_user_state AS u
	),
	raw AS MATERIALIZED (
		SELECT c.tenant_id, c.user_id, c.campaign_id, c.touched_at
		FROM adoption.campaign_touches AS c
		UNION ALL
		SELECT e.tenant_id, e.user_id, e.integration_context ->> 'campaign_influence', e.usage_timestamp
		FROM adoption.feature_usage_events AS e
		WHERE e.integration_context ? 'campaign_influence'
			AND (e.integration_context ->> 'campaign_influence') <> ''
	),
	camp AS (
		SELECT raw.campaign_id, min(raw.touched_at) AS w_start, max(raw.touched_at) + lookback AS w_end
		FROM raw
		GROUP BY raw.campaign_id
	),
	reach AS (
		SELECT x.tenant_id, x.user_id, x.campaign_id, min(x.touched_at) AS first_touch
		FROM (SELECT raw.tenant_id, raw.user_id, raw.campaign_id, raw.touched_at
			FROM raw
			WHERE raw.user_id IS NOT NULL
			UNION ALL
			SELECT p.tenant_id, p.user_id, raw.campaign_id, raw.touched_at
			FROM raw
			JOIN pop AS p ON p.tenant_id = raw.tenant_id
			WHERE raw.user_id IS NULL) AS x
		GROUP BY x.tenant_id, x.user_id, x.campaign_id
	),
	cp AS MATERIALIZED (
		SELECT camp.campaign_id, camp.w_start, camp.w_end, p.tenant_id, p.user_id, reach.first_touch
		FROM camp
		JOIN pop AS p ON p.first_seen <= camp.w_end AND p.last_seen >= camp.w_start
		LEFT JOIN reach ON reach.campaign_id = camp.campaign_id AND reach.tenant_id = p.tenant_id
			AND reach.user_id = p.user_id
	),
	sizes AS (
		SELECT cp.campaign_id, min(cp.w_start) AS w_start, min(cp.w_end) AS w_end,
			count(*) FILTER (WHERE cp.first_touch IS NOT NULL) AS touched,
			count(*) FILTER (WHERE cp.first_touch IS NULL) AS untouched
		FROM cp
		GROUP BY cp.campaign_id
	),
	ad AS (
		SELECT cp.campaign_id, s.feature_id,
			count(*) FILTER (WHERE cp.first_touch IS NOT NULL AND s.adopted_at < cp.first_touch) AS touched_before,
			count(*) FILTER (WHERE cp.first_touch IS NOT NULL AND s.adopted_at >= cp.first_touch
				AND s.adopted_at <= cp.first_touch + lookback) AS touched_conv,
			count(*) FILTER (WHERE cp.first_touch IS NULL AND s.adopted_at < cp.w_start) AS untouched_before,
			count(*) FILTER (WHERE cp.first_touch IS NULL AND s.adopted_at >= cp.w_start
				AND s.adopted_at <= cp.w_end) AS untouched_conv
		FROM cp
		JOIN adoption.user_feature_state AS s ON s.tenant_id = cp.tenant_id AND s.user_id = cp.user_id
		WHERE s.adopted_at IS NOT NULL
		GROUP BY cp.campaign_id, s.feature_id
	),
	f AS (
		SELECT ad.campaign_id, ad.feature_id, sizes.w_start, sizes.w_end,
			sizes.touched - ad.touched_before AS tu, ad.touched_conv AS ta,
			sizes.untouched - ad.untouched_before AS uu, ad.untouched_conv AS ua
		FROM ad
		JOIN sizes ON sizes.campaign_id = ad.campaign_id
	),
	g AS (
		SELECT f.*, f.ta::double precision / NULLIF(f.tu, 0) AS tr, f.ua::double precision / NULLIF(f.uu, 0) AS ur
		FROM f
	)
	SELECT g.campaign_id, g.feature_id, g.w_start, g.w_end, g.tu, g.ta, g.tr, g.uu, g.ua, g.ur,
		g.tr - g.ur, g.tr / NULLIF(g.ur, 0) - 1
	FROM g
	ORDER BY g.campaign_id COLLATE "C", g.feature_id COLLATE "C";
END
$$;
CREATE FUNCTION adoption.users_active_between(from_time timestamptz, to_time timestamptz)
RETURNS TABLE (tenant_id text, user_id text)
LANGUAGE sql STABLE
BEGIN ATOMIC
	SELECT u.tenant_id, u.user_id
	FROM adoption.tenant_user_state AS u
	WHERE u.first_seen_at < to_time AND u.last_seen_at >= from_time
		AND (u.first_seen_at >= from_time OR u.last_seen_at < to_time
			OR EXISTS (SELECT 1 FROM adoption.user_feature_state AS s
				WHERE s.tenant_id = u.tenant_id AND s.user_id = u.user_id
					AND ((s.first_used_at >= from_time AND s.first_used_at < to_time)
						OR (s.last_used_at >= from_time AND s.last_used_at < to_time)
						OR (s.adopted_at >= from_time AND s.adopted_at < to_time)
						OR (s.habitual_at >= from_time AND s.habitual_at < to_time)))
			OR (SELECT 1 FROM adoption.feature_usage_events AS e
				WHERE e.tenant_id = u.tenant_id AND e.usage_timestamp >= from_time
					AND e.usage_timestamp < to_time AND e.user_id = u.user_id
				LIMIT 1) IS NOT NULL);
END;
COMMENT ON FUNCTION adoption.users_active_between(timestamptz, timestamptz) IS 'Internal to launch_performance: the users (tenant_id, user_id) with an event of any feature in [from_time, to_time)';
CREATE OR REPLACE VIEW adoption.launch_performance WITH (security_invoker = true) AS
WITH launch_users AS MATERIALIZED (
	SELECT l.launch_id, s.tenant_id, s.user_id, s.activated_at,
		s.adopted_at < l.launched_at + l.target_days * interval '24 hours' AS adopted_by_target
	FROM adoption.launches AS l
	JOIN adoption.user_feature_state AS s ON s.feature_id OPERATOR(pg_catalog.=) l.feature_id
)
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
	FROM launch_users AS s
	WHERE s.launch_id OPERATOR(pg_catalog.=) l.launch_id
) AS u
CROSS JOIN LATERAL (
	SELECT count(*) FILTER (WHERE t.first_activated_at >= l.launched_at
			AND t.first_activated_at < l.launched_at + interval '168 hours') AS tenants_activated_7d,
		count(*) FILTER (WHERE t.first_activated_at >= l.launched_at
			AND t.first_activated_at < l.launched_at + interval '720 hours') AS tenants_activated_30d,
		count(*) FILTER (WHERE t.first_activated_at >= l.launched_at
			AND t.first_activated_at < l.launched_at + interval '2160 hours') AS tenants_activated_90d
	FROM (SELECT s.tenant_id, min(s.activated_at) AS first_activated_at
		FROM launch_users AS s
		WHERE s.launch_id OPERATOR(pg_catalog.=) l.launch_id
		GROUP BY s.tenant_id) AS t
) AS tn
CROSS JOIN LATERAL (
	/* The users active in the target window (any feature), per tenant, and which of them adopted. */
	SELECT count(*) AS tenants_active,
		count(*) FILTER (WHERE EXISTS (SELECT 1 FROM adoption.user_feature_state AS s
			WHERE s.tenant_id OPERATOR(pg_catalog.=) w.tenant_id
				AND s.feature_id OPERATOR(pg_catalog.=) l.feature_id
				AND s.adopted_at < l.launched_at + l.target_days * interval '24 hours')) AS tenants_adopted,
		coalesce(sum(w.users), 0)::bigint AS users_active,
		coalesce(sum(w.adopters), 0)::bigint AS users_adopted
	FROM (SELECT x.tenant_id, count(*) AS users,
			count(*) FILTER (WHERE (x.tenant_id, x.user_id) IN (SELECT s.tenant_id, s.user_id FROM launch_users AS s
				WHERE s.launch_id OPERATOR(pg_catalog.=) l.launch_id AND s.adopted_by_target)) AS adopters
		FROM adoption.users_active_between(l.launched_at,
			l.launched_at + l.target_days * interval '24 hours') AS x
		GROUP BY x.tenant_id) AS w
) AS a;
COMMENT ON COLUMN adoption.launch_performance.median_days_to_activation IS 'median_time_to_activation as a number of days (for BI tools that cannot chart an interval)';

REVOKE ALL ON FUNCTION adoption.attribution_touches(interval),
	adoption.users_active_between(timestamptz, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION adoption.attribution_touches(interval),
	adoption.users_active_between(timestamptz, timestamptz) TO adoption_analyst, adoption_tenant;

/*
 * Issue 16, scale-out with Citus: adoption.citus_pending, adoption.distribute()
 * and adoption.citus_flush() (citus.sql); the merge and upgrade-feature
 * triggers work on the table they fire on (on Citus, a reference table's
 * shard) instead of naming the table: merge_seeded_row() here;
 * check_upgrade_feature(), release_upgrade_feature(), merge_play_policy()
 * and settings_merge_default() are defined so where their parts stand.
 */
CREATE OR REPLACE FUNCTION adoption.merge_seeded_row()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n bigint;
BEGIN
	/*
	 * The table the trigger fired on (TG_RELID): on Citus, a shard of the
	 * reference table, named <table>_<shard id>.
	 */
	IF TG_TABLE_NAME ~ '^campaign_templates(_[0-9]+)?$' THEN
		EXECUTE format('UPDATE %s AS t SET campaign_id = $1, channel = $2, description = $3 WHERE t.template_key = $4',
			TG_RELID::regclass) USING NEW.campaign_id, NEW.channel, NEW.description, NEW.template_key;
	ELSIF TG_TABLE_NAME ~ '^milestone_campaigns(_[0-9]+)?$' THEN
		EXECUTE format('UPDATE %s AS m SET template_key = $1, enabled = $2 WHERE m.milestone = $3',
			TG_RELID::regclass) USING NEW.template_key, NEW.enabled, NEW.milestone;
	ELSE
		RAISE EXCEPTION 'adoption.merge_seeded_row() does not handle table %', TG_TABLE_NAME
			USING ERRCODE = 'trigger_protocol_violated';
	END IF;
	GET DIAGNOSTICS n = ROW_COUNT;
	IF n > 0 THEN
		RETURN NULL;
	END IF;
	RETURN NEW;
END
$$;

CREATE TABLE adoption.citus_pending (
	tenant_id text NOT NULL,
	feature_id text,
	feature_name text,
	actions bigint NOT NULL DEFAULT 0,
	noted_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp()
);
COMMENT ON TABLE adoption.citus_pending IS 'Internal to Citus clusters: features to register and enqueued actions to announce that the ingest trigger on a worker noted for adoption.citus_flush() on the coordinator; empty between statements';

/* Returns the tables with how Citus holds them; the reference and distributed tables in one pass. */
CREATE FUNCTION adoption.distribute(shard_count integer DEFAULT NULL)
RETURNS TABLE (table_name regclass, citus_table_type text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	event_log regclass := 'adoption.feature_usage_events'::regclass;
	t regclass;
	is_tenant boolean;
	is_coordinator boolean;
	fk_rels text[];
	fk_names text[];
	fk_defs text[];
	i integer;
BEGIN
	IF NOT EXISTS (SELECT FROM pg_extension WHERE extname = 'citus') THEN
		RAISE EXCEPTION 'Citus is not installed in database %', current_database()
			USING ERRCODE = 'feature_not_supported',
				DETAIL = 'adoption.distribute() distributes pg_adoption''s tables over a Citus cluster.',
				HINT = 'Put citus first in shared_preload_libraries on every node, CREATE EXTENSION citus, add the workers with citus_add_node() on the coordinator, then call adoption.distribute() there.';
	END IF;
	EXECUTE 'SELECT pg_catalog.citus_is_coordinator()' INTO is_coordinator;
	IF NOT is_coordinator THEN
		RAISE EXCEPTION 'adoption.distribute() must run on the Citus coordinator, not on a worker'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				HINT = 'Connect to the coordinator (the node that holds the metadata, where citus_add_node() was called) and call it there.';
	END IF;
	IF shard_count IS NOT NULL AND (shard_count < 1 OR shard_count > 64000) THEN
		RAISE EXCEPTION 'shard_count must be between 1 and 64000, not %', shard_count
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Pass NULL to use citus.shard_count.';
	END IF;
	/*
	 * Action ids and arrival numbers are unique across the cluster: each
	 * worker's copies of the sequences (made by CREATE EXTENSION, which
	 * Citus does not adjust) draw from a range of their own, group id << 48,
	 * as Citus does for the sequences it distributes.  Again for a worker
	 * added since: call adoption.distribute() after citus_add_node().
	 */
	PERFORM run_command_on_workers($cmd$
		SELECT pg_catalog.setval(s.seq, (SELECT g.groupid::bigint << 48 FROM pg_catalog.pg_dist_local_group AS g))
		FROM unnest(ARRAY['adoption.campaign_action_id_seq', 'adoption.feature_usage_events_arrival_seq']::pg_catalog.regclass[]) AS s(seq)
		WHERE pg_catalog.pg_sequence_last_value(s.seq) IS NULL
			OR pg_catalog.pg_sequence_last_value(s.seq) < (SELECT g.groupid::bigint << 48 FROM pg_catalog.pg_dist_local_group AS g)
	$cmd$);

	/* The ingest trigger fires on the event log's shards (src/citus.c). */
	PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
	PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);

	/*
	 * Foreign keys between the extension's tables come off while their
	 * tables change hands and go back on after: Citus converts a local table
	 * that references a new reference table into a Citus local table, which
	 * fails because CREATE EXTENSION made the table on the workers already.
	 */
	SELECT array_agg(x.rel ORDER BY x.rel, x.conname), array_agg(x.conname ORDER BY x.rel, x.conname),
		array_agg(x.def ORDER BY x.rel, x.conname)
	INTO fk_rels, fk_names, fk_defs FROM (
		SELECT f.conrelid::regclass::text AS rel, f.conname::text AS conname, pg_get_constraintdef(f.oid) AS def
		FROM pg_constraint AS f
		JOIN pg_depend AS d ON d.classid = 'pg_class'::regclass AND d.objid = f.conrelid AND d.deptype = 'e'
		JOIN pg_extension AS e ON e.oid = d.refobjid AND e.extname = 'pg_adoption'
		WHERE f.contype = 'f'
			AND NOT EXISTS (SELECT FROM pg_dist_partition AS p WHERE p.logicalrelid = f.conrelid)) AS x;
	FOR i IN 1 .. coalesce(cardinality(fk_rels), 0) LOOP
		EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', fk_rels[i], fk_names[i]);
		/* The workers' copies from CREATE EXTENSION have it too (before Citus locks them). */
		PERFORM run_command_on_workers(
			format('ALTER TABLE %s DROP CONSTRAINT IF EXISTS %I', fk_rels[i], fk_names[i]));
	END LOOP;

	/*
	 * Product-wide tables (no tenant_id NOT NULL) become reference tables,
	 * first; then the tenant tables are distributed by tenant_id, the event
	 * log first (its partitions follow it), the others co-located with it.
	 */
	FOR t, is_tenant IN
		SELECT c.oid::regclass, EXISTS (SELECT FROM pg_attribute AS a WHERE a.attrelid = c.oid
				AND a.attname = 'tenant_id' AND a.attnotnull AND NOT a.attisdropped)
		FROM pg_class AS c
		JOIN pg_depend AS d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
		JOIN pg_extension AS e ON e.oid = d.refobjid AND e.extname = 'pg_adoption'
		WHERE c.relnamespace = 'adoption'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
		ORDER BY 2, c.oid <> event_log, c.relname
	LOOP
		CONTINUE WHEN EXISTS (SELECT FROM pg_dist_partition AS p WHERE p.logicalrelid = t);
		IF NOT is_tenant THEN
			PERFORM create_reference_table(t);
		ELSIF t <> event_log THEN
			PERFORM create_distributed_table(t, 'tenant_id', colocate_with => event_log::text);
		ELSIF shard_count IS NULL THEN
			PERFORM create_distributed_table(event_log, 'tenant_id');
		ELSE
			PERFORM create_distributed_table(event_log, 'tenant_id', shard_count => shard_count);
		END IF;
	END LOOP;

	/*
	 * Not the keys into adoption.features: the coordinator registers the
	 * features the workers saw in the ingest statement's transaction, and
	 * Citus refuses to write a reference table that a foreign key names
	 * after the statement's parallel writes to the shards.
	 */
	/*
	 * The work per shard group: a call of citus_run() on the coordinator
	 * runs on the worker that holds the group of its first argument, in the
	 * caller's transaction (force_delegation).
	 */
	PERFORM create_distributed_function('adoption.citus_run(text, text)',
		'anchor', colocate_with => event_log::text, force_delegation => true);

	FOR i IN 1 .. coalesce(cardinality(fk_rels), 0) LOOP
		CONTINUE WHEN fk_defs[i] LIKE '%REFERENCES adoption.features(%';
		EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', fk_rels[i], fk_names[i], fk_defs[i]);
	END LOOP;

	RETURN QUERY
		SELECT p.logicalrelid::regclass, CASE p.partmethod WHEN 'n' THEN 'reference' ELSE 'distributed' END
		FROM pg_dist_partition AS p
		JOIN pg_class AS c ON c.oid = p.logicalrelid
		WHERE c.relnamespace = 'adoption'::regnamespace AND NOT c.relispartition
		ORDER BY 2, 1::text;
END
$$;
COMMENT ON FUNCTION adoption.distribute(integer) IS 'On a Citus coordinator: distributes every tenant table by tenant_id, co-located with the event log (shard_count shards, NULL: citus.shard_count), makes the other tables reference tables; safe to call again; returns each table with its Citus table type';

/*
 * Returns the number of actions announced (registers features without
 * locking the rows it finds, as registry.c does).  Moves what the workers'
 * ingest triggers noted in adoption.citus_pending: registers (or renames) the
 * features and sends one NOTIFY adoption_actions for the actions
 * enqueued.  (A worker enqueues without reading the play policy, and
 * adoption.withdraw_plays() cannot run distributed yet: docs/citus.md.)  The coordinator runs it after each statement
 * that writes into the event log (src/citus.c), as the role that wrote
 * (adoption_app): SECURITY DEFINER, as it writes the feature catalog that
 * role may write too, and empties a table that role may only insert into.
 * Safe to call any time.
 */
CREATE FUNCTION adoption.citus_flush()
RETURNS bigint
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ids text[];
	names text[];
	n bigint;
BEGIN
	WITH d AS (
		DELETE FROM adoption.citus_pending RETURNING tenant_id, feature_id, feature_name, actions, noted_at
	), f AS (
		SELECT DISTINCT ON (d.feature_id) d.feature_id, d.feature_name
		FROM d WHERE d.feature_id IS NOT NULL
		ORDER BY d.feature_id, d.feature_name IS NULL, d.noted_at DESC
	)
	SELECT (SELECT array_agg(f.feature_id ORDER BY f.feature_id) FROM f),
		(SELECT array_agg(f.feature_name ORDER BY f.feature_id) FROM f),
		(SELECT coalesce(sum(d.actions), 0) FROM d)
	INTO ids, names, n;

	IF ids IS NOT NULL THEN
		-- as src/registry.c: no lock on the rows found, only on the renamed ones
		INSERT INTO adoption.features AS f (feature_id, feature_name)
		SELECT u.i, u.n FROM unnest(ids, names) AS u(i, n)
		ON CONFLICT (feature_id) DO NOTHING;
		UPDATE adoption.features AS f SET feature_name = u.n
		FROM unnest(ids, names) AS u(i, n)
		WHERE f.feature_id = u.i AND u.n IS NOT NULL AND f.feature_name IS DISTINCT FROM u.n;
	END IF;
	IF n > 0 THEN
		PERFORM pg_notify('adoption_actions', n::text);
	END IF;
	RETURN greatest(n, 0);
END
$$;
COMMENT ON FUNCTION adoption.citus_flush() IS 'On a Citus coordinator: registers the features and announces the actions that the workers'' ingest triggers noted in adoption.citus_pending (run after every ingest statement when pg_adoption is preloaded); returns the actions announced';
REVOKE ALL ON adoption.citus_pending FROM PUBLIC;
REVOKE ALL ON FUNCTION adoption.distribute(integer), adoption.citus_flush() FROM PUBLIC;
GRANT INSERT ON adoption.citus_pending TO adoption_app;
GRANT EXECUTE ON FUNCTION adoption.citus_flush() TO adoption_app;

/*
 * The ingest trigger counts a tenant's users leaving the active window
 * through an index of tenant_user_state by the UTC day of their latest
 * event (last_seen_day), not by its time: an index on last_seen_at changes
 * with every event, so no update of a row could be HOT.
 */
CREATE FUNCTION adoption.utc_day(t timestamptz)
RETURNS integer
AS 'MODULE_PATHNAME', 'adoption_utc_day_sql'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION adoption.utc_day(timestamptz) IS 'The UTC day of a time as days since 1970-01-01 (tenant_user_state.last_seen_day)';
ALTER TABLE adoption.tenant_user_state
	ADD COLUMN last_seen_day integer GENERATED ALWAYS AS (adoption.utc_day(last_seen_at)) STORED;
COMMENT ON COLUMN adoption.tenant_user_state.last_seen_day IS 'The UTC day of last_seen_at (adoption.utc_day), for the index of users by their latest event';
CREATE INDEX tenant_user_state_last_seen_day ON adoption.tenant_user_state (tenant_id, last_seen_day);
REVOKE ALL ON FUNCTION adoption.utc_day(timestamptz) FROM PUBLIC;
-- Issue 21, the dashboard's speed: the campaign and launch snapshots (tables
-- campaign_snapshot_state, attribution_snapshots, lift_snapshots,
-- launch_snapshots, functions snapshot_campaigns() and
-- tenant_launch_performance(), views campaign_attribution_snapshot,
-- campaign_lift_snapshot, launch_performance_snapshot); drop_snapshots()
-- deletes the tenant's attribution snapshot rows and snapshot_adoption()
-- runs snapshot_campaigns(); privileges and row-level security as
-- security.sql sets them.
/*
 * Campaign and launch snapshots: what the dashboard's campaign and launch
 * pages read.  adoption.campaign_attribution, campaign_lift() and
 * launch_performance are computed from the state and the log at every read
 * (0.2 to 0.3 s of CPU each on the 1M-event demo), too slow for a page
 * that runs them at each build and for a BI tool that refreshes a chart
 * often.  adoption.snapshot_campaigns() computes the three at once and keeps
 * the results; snapshot_adoption() (and so the scheduled upkeep()) runs it
 * after the daily snapshots.  It recomputes everything (no watermark): the
 * three depend on the touches, the launches and state a rebuild or a
 * forget changes, not only on events, and the whole run costs about what
 * one read of each costs.  The stored attribution rows change only where
 * the answer changed (an upsert and a delete of what left), so a run with
 * nothing new writes nothing.
 *
 * The snapshot views are the live definitions as of computed_at, the
 * start of the transaction of the last run (now(), the time
 * launch_performance's target_met compares with): everything committed by
 * then counts, late events included; what was committed while the run
 * went on may count too (each statement reads what was committed when it
 * started); anything later counts from the next run.
 *
 * Attribution is per tenant (an adoption's touches are its tenant's), so
 * its snapshot carries tenant_id and row-level security narrows it for
 * adoption_tenant like the live view; lift and launch figures are over
 * every tenant, so, like daily_totals, their stored rows are hidden from
 * adoption_tenant, and for such a reader the views compute the live
 * figures of its own rows instead (adoption.tenant_scoped()).
 */
CREATE TABLE adoption.campaign_snapshot_state (
	singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
	computed_at timestamptz NOT NULL,
	finished_at timestamptz NOT NULL,
	attribution_rows integer NOT NULL,
	lift_rows integer NOT NULL,
	launch_rows integer NOT NULL,
	rows_written integer NOT NULL
);
COMMENT ON TABLE adoption.campaign_snapshot_state IS 'Bookkeeping of adoption.snapshot_campaigns(): when the campaign and launch snapshots were computed (computed_at, the start of the transaction that ran it), how many rows each holds and how many the run wrote';
SELECT pg_catalog.pg_extension_config_dump('adoption.campaign_snapshot_state', '');

CREATE TABLE adoption.attribution_snapshots (
	tenant_id text NOT NULL,
	user_id text NOT NULL,
	feature_id text NOT NULL,
	adopted_at timestamptz NOT NULL,
	campaign_id text NOT NULL,
	touched_at timestamptz NOT NULL,
	credit double precision NOT NULL,
	PRIMARY KEY (tenant_id, user_id, feature_id)
);
COMMENT ON TABLE adoption.attribution_snapshots IS 'The rows of adoption.campaign_attribution as of campaign_snapshot_state.computed_at (adoption.snapshot_campaigns(); read adoption.campaign_attribution_snapshot)';
SELECT pg_catalog.pg_extension_config_dump('adoption.attribution_snapshots', '');

CREATE TABLE adoption.lift_snapshots (
	campaign_id text NOT NULL,
	feature_id text NOT NULL,
	window_start timestamptz NOT NULL,
	window_end timestamptz NOT NULL,
	touched_users bigint NOT NULL,
	touched_adopters bigint NOT NULL,
	touched_rate double precision,
	untouched_users bigint NOT NULL,
	untouched_adopters bigint NOT NULL,
	untouched_rate double precision,
	rate_difference double precision,
	lift double precision,
	PRIMARY KEY (campaign_id, feature_id)
);
COMMENT ON TABLE adoption.lift_snapshots IS 'The rows of adoption.campaign_lift(''30 days'') over every tenant as of campaign_snapshot_state.computed_at (adoption.snapshot_campaigns(); read adoption.campaign_lift_snapshot)';
SELECT pg_catalog.pg_extension_config_dump('adoption.lift_snapshots', '');

CREATE TABLE adoption.launch_snapshots (
	launch_id text PRIMARY KEY,
	feature_id text NOT NULL,
	feature_name text,
	campaign_id text,
	launched_at timestamptz NOT NULL,
	target_adoption real NOT NULL,
	target_days integer NOT NULL,
	target_at timestamptz NOT NULL,
	users_activated_7d bigint NOT NULL,
	users_activated_30d bigint NOT NULL,
	users_activated_90d bigint NOT NULL,
	tenants_activated_7d bigint NOT NULL,
	tenants_activated_30d bigint NOT NULL,
	tenants_activated_90d bigint NOT NULL,
	tenants_active bigint NOT NULL,
	tenants_adopted bigint NOT NULL,
	adoption_rate double precision,
	median_time_to_activation interval,
	target_met boolean,
	users_active bigint NOT NULL,
	users_adopted bigint NOT NULL,
	user_adoption_rate double precision,
	median_days_to_activation double precision
);
COMMENT ON TABLE adoption.launch_snapshots IS 'The rows of adoption.launch_performance over every tenant as of campaign_snapshot_state.computed_at (adoption.snapshot_campaigns(); read adoption.launch_performance_snapshot)';
SELECT pg_catalog.pg_extension_config_dump('adoption.launch_snapshots', '');

/*
 * Recomputes the three snapshots from the live definitions, in one
 * transaction (readers see the previous run's rows until it commits).
 * Returns the rows it inserted, updated or deleted.  One run at a time: a
 * second concurrent one returns 0 with a notice.  It must see every row:
 * the extension's owner runs it (upkeep()); a role that row-level security
 * limits to a tenant is refused.
 */
CREATE FUNCTION adoption.snapshot_campaigns()
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET jit = off
AS $$
DECLARE
	n_attribution integer;
	n_lift integer;
	n_launch integer;
	written integer := 0;
	n integer;
BEGIN
	/* Row-level security would store one tenant's figures as everyone's. */
	IF adoption.tenant_scoped() THEN
		RAISE EXCEPTION 'adoption.snapshot_campaigns() must see every tenant''s rows, and role % sees only some', current_user
			USING ERRCODE = 'insufficient_privilege',
				HINT = 'Run it as the extension''s owner (adoption.upkeep() does), or as a member of adoption_analyst.';
	END IF;
	IF NOT pg_try_advisory_xact_lock(('adoption.campaign_snapshot_state'::regclass)::oid::bigint) THEN
		RAISE NOTICE 'adoption.snapshot_campaigns() is already running in another session; skipped';
		RETURN 0;
	END IF;

	/*
	 * Attribution: the rows that changed are updated, those that left are
	 * deleted (an unchanged row is not written again).
	 */
	WITH cur AS MATERIALIZED (
		SELECT a.tenant_id, a.user_id, a.feature_id, a.adopted_at, a.campaign_id, a.touched_at, a.credit
		FROM adoption.attribution('last_touch', interval '30 days') AS a
	),
	gone AS (
		DELETE FROM adoption.attribution_snapshots AS s
		WHERE NOT EXISTS (SELECT 1 FROM cur AS c
			WHERE c.tenant_id = s.tenant_id AND c.user_id = s.user_id AND c.feature_id = s.feature_id)
		RETURNING 1
	),
	put AS (
		INSERT INTO adoption.attribution_snapshots AS s
		SELECT c.tenant_id, c.user_id, c.feature_id, c.adopted_at, c.campaign_id, c.touched_at, c.credit
		FROM cur AS c
		ON CONFLICT (tenant_id, user_id, feature_id) DO UPDATE
		SET adopted_at = excluded.adopted_at, campaign_id = excluded.campaign_id,
			touched_at = excluded.touched_at, credit = excluded.credit
		WHERE (s.adopted_at, s.campaign_id, s.touched_at, s.credit)
			IS DISTINCT FROM (excluded.adopted_at, excluded.campaign_id, excluded.touched_at, excluded.credit)
		RETURNING 1
	)
	SELECT (SELECT count(*) FROM cur), (SELECT count(*) FROM gone) + (SELECT count(*) FROM put)
	INTO n_attribution, written;

	/* A few hundred rows at most: replaced. */
	DELETE FROM adoption.lift_snapshots;
	GET DIAGNOSTICS n = ROW_COUNT;
	written := written + n;
	INSERT INTO adoption.lift_snapshots
	SELECT l.campaign_id, l.feature_id, l.window_start, l.window_end, l.touched_users, l.touched_adopters,
		l.touched_rate, l.untouched_users, l.untouched_adopters, l.untouched_rate, l.rate_difference, l.lift
	FROM adoption.campaign_lift(interval '30 days') AS l;
	GET DIAGNOSTICS n_lift = ROW_COUNT;
	written := written + n_lift;

	DELETE FROM adoption.launch_snapshots;
	GET DIAGNOSTICS n = ROW_COUNT;
	written := written + n;
	INSERT INTO adoption.launch_snapshots
	SELECT p.launch_id, p.feature_id, p.feature_name, p.campaign_id, p.launched_at, p.target_adoption,
		p.target_days, p.target_at, p.users_activated_7d, p.users_activated_30d, p.users_activated_90d,
		p.tenants_activated_7d, p.tenants_activated_30d, p.tenants_activated_90d, p.tenants_active,
		p.tenants_adopted, p.adoption_rate, p.median_time_to_activation, p.target_met, p.users_active,
		p.users_adopted, p.user_adoption_rate, p.median_days_to_activation
	FROM adoption.launch_performance AS p;
	GET DIAGNOSTICS n_launch = ROW_COUNT;
	written := written + n_launch;

	INSERT INTO adoption.campaign_snapshot_state AS r (singleton, computed_at, finished_at, attribution_rows,
		lift_rows, launch_rows, rows_written)
	VALUES (true, now(), clock_timestamp(), n_attribution, n_lift, n_launch, written)
	ON CONFLICT (singleton) DO UPDATE SET computed_at = excluded.computed_at, finished_at = excluded.finished_at,
		attribution_rows = excluded.attribution_rows, lift_rows = excluded.lift_rows,
		launch_rows = excluded.launch_rows, rows_written = excluded.rows_written;
	RETURN written;
END
$$;
COMMENT ON FUNCTION adoption.snapshot_campaigns() IS 'Recomputes the campaign and launch snapshots (campaign_attribution, campaign_lift(''30 days''), launch_performance) as of now; snapshot_adoption() and so upkeep() run it; returns the rows inserted, updated or deleted';

CREATE VIEW adoption.campaign_attribution_snapshot WITH (security_invoker = true) AS
SELECT s.tenant_id, s.user_id, s.feature_id, s.adopted_at, s.campaign_id, s.touched_at, s.credit,
	(SELECT r.computed_at FROM adoption.campaign_snapshot_state AS r) AS computed_at
FROM adoption.attribution_snapshots AS s;
COMMENT ON VIEW adoption.campaign_attribution_snapshot IS 'adoption.campaign_attribution (each user adoption credited to the last campaign touch within 30 days before it) as of computed_at, kept by adoption.snapshot_campaigns() (upkeep()); empty before its first run';
COMMENT ON COLUMN adoption.campaign_attribution_snapshot.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.campaign_attribution_snapshot.user_id IS 'User who adopted';
COMMENT ON COLUMN adoption.campaign_attribution_snapshot.feature_id IS 'Feature adopted';
COMMENT ON COLUMN adoption.campaign_attribution_snapshot.adopted_at IS 'Adoption time (aha_successes-th successful use)';
COMMENT ON COLUMN adoption.campaign_attribution_snapshot.campaign_id IS 'Campaign credited';
COMMENT ON COLUMN adoption.campaign_attribution_snapshot.touched_at IS 'Time of the credited touch (a campaign_touches row, or an event naming the campaign in campaign_influence)';
COMMENT ON COLUMN adoption.campaign_attribution_snapshot.credit IS 'Share of the adoption credited to the touch: 1 under last_touch';
COMMENT ON COLUMN adoption.campaign_attribution_snapshot.computed_at IS 'Start of the transaction that computed the snapshot: events, touches and state committed by then count (some committed while it ran may too), later ones from the next run';

CREATE VIEW adoption.campaign_lift_snapshot WITH (security_invoker = true) AS
SELECT s.campaign_id, s.feature_id, s.window_start, s.window_end, s.touched_users, s.touched_adopters,
	s.touched_rate, s.untouched_users, s.untouched_adopters, s.untouched_rate, s.rate_difference, s.lift,
	(SELECT r.computed_at FROM adoption.campaign_snapshot_state AS r) AS computed_at,
	s.window_end OPERATOR(pg_catalog.>) (SELECT r.computed_at FROM adoption.campaign_snapshot_state AS r) AS partial
FROM adoption.lift_snapshots AS s
UNION ALL
SELECT l.campaign_id, l.feature_id, l.window_start, l.window_end, l.touched_users, l.touched_adopters,
	l.touched_rate, l.untouched_users, l.untouched_adopters, l.untouched_rate, l.rate_difference, l.lift,
	pg_catalog.now(), l.window_end OPERATOR(pg_catalog.>) pg_catalog.now()
FROM adoption.campaign_lift(interval '30 days') AS l
WHERE adoption.tenant_scoped();
COMMENT ON VIEW adoption.campaign_lift_snapshot IS 'adoption.campaign_lift(''30 days'') over every tenant as of computed_at, kept by adoption.snapshot_campaigns() (upkeep()); for a reader limited to its tenant (adoption_tenant), campaign_lift() of its own rows computed at read time';
COMMENT ON COLUMN adoption.campaign_lift_snapshot.campaign_id IS 'Campaign';
COMMENT ON COLUMN adoption.campaign_lift_snapshot.feature_id IS 'Feature adopted by someone of the campaign''s population';
COMMENT ON COLUMN adoption.campaign_lift_snapshot.window_start IS 'The campaign''s first touch';
COMMENT ON COLUMN adoption.campaign_lift_snapshot.window_end IS 'The campaign''s last touch + 30 days';
COMMENT ON COLUMN adoption.campaign_lift_snapshot.touched_users IS 'Users of the population touched by the campaign who had not adopted the feature before their first touch';
COMMENT ON COLUMN adoption.campaign_lift_snapshot.touched_adopters IS 'Of touched_users, those who adopted within 30 days after their first touch';
COMMENT ON COLUMN adoption.campaign_lift_snapshot.touched_rate IS 'touched_adopters / touched_users';
COMMENT ON COLUMN adoption.campaign_lift_snapshot.untouched_users IS 'Users of the population not touched who had not adopted before window_start';
COMMENT ON COLUMN adoption.campaign_lift_snapshot.untouched_adopters IS 'Of untouched_users, those who adopted within the window';
COMMENT ON COLUMN adoption.campaign_lift_snapshot.untouched_rate IS 'untouched_adopters / untouched_users';
COMMENT ON COLUMN adoption.campaign_lift_snapshot.rate_difference IS 'touched_rate - untouched_rate';
COMMENT ON COLUMN adoption.campaign_lift_snapshot.lift IS 'touched_rate / untouched_rate - 1 (NULL when untouched_rate is 0 or NULL)';
COMMENT ON COLUMN adoption.campaign_lift_snapshot.computed_at IS 'When the row was computed: the snapshot''s time, or now() for a reader limited to its tenant';
COMMENT ON COLUMN adoption.campaign_lift_snapshot.partial IS 'True when the campaign window had not ended at computed_at: its touched users could still convert';

/*
 * launch_performance for a reader limited to its tenant, nothing for anyone
 * else: the live branch of launch_performance_snapshot.  A function, so
 * that the planner of the view neither plans the live query for every
 * reader nor counts its cost (which turned JIT compilation on for the
 * snapshot's three rows).
 */
CREATE FUNCTION adoption.tenant_launch_performance()
RETURNS SETOF adoption.launch_performance
LANGUAGE plpgsql STABLE
ROWS 10
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET jit = off
AS $$
BEGIN
	IF adoption.tenant_scoped() THEN
		RETURN QUERY SELECT * FROM adoption.launch_performance;
	END IF;
END
$$;
COMMENT ON FUNCTION adoption.tenant_launch_performance() IS 'Internal to launch_performance_snapshot: the rows of launch_performance for a reader limited to its tenant (adoption.tenant_scoped()), none for anyone else';

CREATE VIEW adoption.launch_performance_snapshot WITH (security_invoker = true) AS
SELECT s.launch_id, s.feature_id, s.feature_name, s.campaign_id, s.launched_at, s.target_adoption,
	s.target_days, s.target_at, s.users_activated_7d, s.users_activated_30d, s.users_activated_90d,
	s.tenants_activated_7d, s.tenants_activated_30d, s.tenants_activated_90d, s.tenants_active,
	s.tenants_adopted, s.adoption_rate, s.median_time_to_activation, s.target_met, s.users_active,
	s.users_adopted, s.user_adoption_rate, s.median_days_to_activation,
	(SELECT r.computed_at FROM adoption.campaign_snapshot_state AS r) AS computed_at,
	s.target_at OPERATOR(pg_catalog.>) (SELECT r.computed_at FROM adoption.campaign_snapshot_state AS r) AS partial
FROM adoption.launch_snapshots AS s
UNION ALL
SELECT p.launch_id, p.feature_id, p.feature_name, p.campaign_id, p.launched_at, p.target_adoption,
	p.target_days, p.target_at, p.users_activated_7d, p.users_activated_30d, p.users_activated_90d,
	p.tenants_activated_7d, p.tenants_activated_30d, p.tenants_activated_90d, p.tenants_active,
	p.tenants_adopted, p.adoption_rate, p.median_time_to_activation, p.target_met, p.users_active,
	p.users_adopted, p.user_adoption_rate, p.median_days_to_activation,
	pg_catalog.now(), p.target_at OPERATOR(pg_catalog.>) pg_catalog.now()
FROM adoption.tenant_launch_performance() AS p;
COMMENT ON VIEW adoption.launch_performance_snapshot IS 'adoption.launch_performance over every tenant as of computed_at, kept by adoption.snapshot_campaigns() (upkeep()); for a reader limited to its tenant (adoption_tenant), launch_performance of its own rows computed at read time';
COMMENT ON COLUMN adoption.launch_performance_snapshot.launch_id IS 'Launch';
COMMENT ON COLUMN adoption.launch_performance_snapshot.feature_id IS 'Launched feature';
COMMENT ON COLUMN adoption.launch_performance_snapshot.feature_name IS 'Feature name from the catalog';
COMMENT ON COLUMN adoption.launch_performance_snapshot.campaign_id IS 'Campaign of the launch';
COMMENT ON COLUMN adoption.launch_performance_snapshot.launched_at IS 'Launch time';
COMMENT ON COLUMN adoption.launch_performance_snapshot.target_adoption IS 'Target share of active tenants that adopted the feature by target_at';
COMMENT ON COLUMN adoption.launch_performance_snapshot.target_days IS 'Days after launched_at by which the target should be met';
COMMENT ON COLUMN adoption.launch_performance_snapshot.target_at IS 'launched_at + target_days x 24 hours: the end of the target window';
COMMENT ON COLUMN adoption.launch_performance_snapshot.users_activated_7d IS 'Users whose first use of the feature is in [launched_at, launched_at + 7 days), as of computed_at';
COMMENT ON COLUMN adoption.launch_performance_snapshot.users_activated_30d IS 'Users whose first use of the feature is in [launched_at, launched_at + 30 days), as of computed_at';
COMMENT ON COLUMN adoption.launch_performance_snapshot.users_activated_90d IS 'Users whose first use of the feature is in [launched_at, launched_at + 90 days), as of computed_at';
COMMENT ON COLUMN adoption.launch_performance_snapshot.tenants_activated_7d IS 'Tenants whose first user of the feature activated in [launched_at, launched_at + 7 days)';
COMMENT ON COLUMN adoption.launch_performance_snapshot.tenants_activated_30d IS 'Tenants whose first user of the feature activated in [launched_at, launched_at + 30 days)';
COMMENT ON COLUMN adoption.launch_performance_snapshot.tenants_activated_90d IS 'Tenants whose first user of the feature activated in [launched_at, launched_at + 90 days)';
COMMENT ON COLUMN adoption.launch_performance_snapshot.tenants_active IS 'Tenants with an event (any feature) in [launched_at, target_at): the denominator of adoption_rate';
COMMENT ON COLUMN adoption.launch_performance_snapshot.tenants_adopted IS 'Of tenants_active, those with a user who adopted the feature before target_at';
COMMENT ON COLUMN adoption.launch_performance_snapshot.adoption_rate IS 'tenants_adopted / tenants_active (NULL without active tenants); so far at computed_at while partial';
COMMENT ON COLUMN adoption.launch_performance_snapshot.median_time_to_activation IS 'Median of activated_at - launched_at over the users activated at or after launched_at';
COMMENT ON COLUMN adoption.launch_performance_snapshot.target_met IS 'adoption_rate >= target_adoption (false without active tenants); NULL while partial';
COMMENT ON COLUMN adoption.launch_performance_snapshot.users_active IS 'Users (of every tenant) with an event of any feature in [launched_at, target_at): the denominator of user_adoption_rate';
COMMENT ON COLUMN adoption.launch_performance_snapshot.users_adopted IS 'Of users_active, those who adopted the feature before target_at';
COMMENT ON COLUMN adoption.launch_performance_snapshot.user_adoption_rate IS 'users_adopted / users_active (NULL without active users); so far at computed_at while partial';
COMMENT ON COLUMN adoption.launch_performance_snapshot.median_days_to_activation IS 'median_time_to_activation as a number of days';
COMMENT ON COLUMN adoption.launch_performance_snapshot.computed_at IS 'When the row was computed: the snapshot''s time, or now() for a reader limited to its tenant';
COMMENT ON COLUMN adoption.launch_performance_snapshot.partial IS 'True when target_at was still ahead at computed_at: the figures are so far, target_met is NULL';

REVOKE ALL ON adoption.campaign_snapshot_state, adoption.attribution_snapshots, adoption.lift_snapshots,
	adoption.launch_snapshots, adoption.campaign_attribution_snapshot, adoption.campaign_lift_snapshot,
	adoption.launch_performance_snapshot FROM PUBLIC;
REVOKE ALL ON FUNCTION adoption.snapshot_campaigns(), adoption.tenant_launch_performance() FROM PUBLIC;
GRANT SELECT ON adoption.campaign_snapshot_state, adoption.attribution_snapshots, adoption.lift_snapshots,
	adoption.launch_snapshots, adoption.campaign_attribution_snapshot, adoption.campaign_lift_snapshot,
	adoption.launch_performance_snapshot TO adoption_analyst, adoption_tenant;
GRANT EXECUTE ON FUNCTION adoption.tenant_launch_performance() TO adoption_analyst, adoption_tenant;
ALTER TABLE adoption.lift_snapshots ENABLE ROW LEVEL SECURITY;
ALTER TABLE adoption.launch_snapshots ENABLE ROW LEVEL SECURITY;
ALTER TABLE adoption.attribution_snapshots ENABLE ROW LEVEL SECURITY;
CREATE POLICY all_rows ON adoption.lift_snapshots TO adoption_app, adoption_analyst USING (true) WITH CHECK (true);
CREATE POLICY all_rows ON adoption.launch_snapshots TO adoption_app, adoption_analyst USING (true) WITH CHECK (true);
COMMENT ON POLICY all_rows ON adoption.lift_snapshots IS 'adoption_app and adoption_analyst see every row; adoption_tenant none (figures over every tenant)';
COMMENT ON POLICY all_rows ON adoption.launch_snapshots IS 'adoption_app and adoption_analyst see every row; adoption_tenant none (figures over every tenant)';
CREATE POLICY all_rows ON adoption.attribution_snapshots TO adoption_app, adoption_analyst USING (true) WITH CHECK (true);
CREATE POLICY own_tenant ON adoption.attribution_snapshots FOR SELECT TO adoption_tenant
	USING (tenant_id OPERATOR(pg_catalog.=) NULLIF(pg_catalog.current_setting('adoption.tenant_id', true), ''));
COMMENT ON POLICY all_rows ON adoption.attribution_snapshots IS 'adoption_app and adoption_analyst see and write every row (their table privileges limit what they may do)';
COMMENT ON POLICY own_tenant ON adoption.attribution_snapshots IS 'adoption_tenant reads only the rows of the tenant named by the setting adoption.tenant_id (none when adoption.tenant_id is unset or empty)';

/*
 * Issue 20, tenant settings in one place: adoption.settings is the one list
 * of the settings (its columns carry their comments; the defaults check and
 * the trigger that merges a re-inserted defaults row read the columns from
 * the catalog); adoption.settings_derive() writes from its columns
 * adoption.settings_in_force(), the one implementation of "the tenant's
 * override, else the default" (used by the C cache,
 * adoption.tenant_settings(), the view adoption.effective_settings, which
 * gains the column updated_at, claim_actions() and fail_action()), and the
 * view; account_states() (below) reads the settings rows through
 * settings_in_force().
 */
COMMENT ON COLUMN adoption.settings.tenant_id IS 'Tenant whose overrides the row holds; NULL: the row of defaults';
COMMENT ON COLUMN adoption.settings.aha_successes IS 'Successful uses after which a user has adopted a feature';
COMMENT ON COLUMN adoption.settings.usage_velocity_threshold IS 'Uses within 7 days that make a user habitual';
COMMENT ON COLUMN adoption.settings.feature_adoption_threshold IS 'Share of active users who adopted, for the tenant milestone';
COMMENT ON COLUMN adoption.settings.success_outcome_rate IS 'Minimum success rate for the tenant milestone';
COMMENT ON COLUMN adoption.settings.active_window IS 'A user is active if seen within it';
COMMENT ON COLUMN adoption.settings.nudge_after IS 'Activated but not adopted for this long: nudge';
COMMENT ON COLUMN adoption.settings.dormant_after IS 'No use for this long: dormant';
COMMENT ON COLUMN adoption.settings.max_future_skew IS 'How far ahead of the current time an event may be';
COMMENT ON COLUMN adoption.settings.max_attempts IS 'Deliveries of a campaign action before it is dead';
COMMENT ON COLUMN adoption.settings.event_retention IS 'Events older than this are dropped (NULL: kept)';
COMMENT ON COLUMN adoption.settings.weight_usage_trend IS 'Health weight of usage trend';
COMMENT ON COLUMN adoption.settings.weight_adoption IS 'Health weight of adoption';
COMMENT ON COLUMN adoption.settings.weight_support IS 'Health weight of support';
COMMENT ON COLUMN adoption.settings.weight_billing IS 'Health weight of billing';
COMMENT ON COLUMN adoption.settings.weight_feedback IS 'Health weight of feedback';
COMMENT ON COLUMN adoption.settings.health_healthy_min IS 'Health score from which a tenant is healthy';
COMMENT ON COLUMN adoption.settings.health_at_risk_min IS 'Health score from which a tenant is at_risk (below: critical)';
COMMENT ON COLUMN adoption.settings.action_cooldown IS 'A tenant-level health action is not enqueued again within this time';
COMMENT ON COLUMN adoption.settings.seat_utilization_threshold IS 'Active users / seats_licensed from which a tenant is an expansion opportunity';
COMMENT ON COLUMN adoption.settings.updated_at IS 'Last change of the row';

/*
 * settings_derive() also writes the defaults-row check from the columns
 * (replacing 0.3.0's; a whole-row reference cannot go to a Citus shard), and
 * the view passes the rows to settings_in_force() as ROW(d.*)::adoption.settings
 * (on a Citus shard d has the shard's row type).
 */
CREATE FUNCTION adoption.settings_derive()
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $derive$
DECLARE
	cols text;
	col record;
BEGIN
	SELECT string_agg(CASE WHEN a.attname = 'tenant_id' THEN 'tenant_id'
		ELSE format('coalesce(override.%1$I, defaults.%1$I)', a.attname) END, ', ' ORDER BY a.attnum)
	INTO cols
	FROM pg_attribute AS a
	WHERE a.attrelid = 'adoption.settings'::regclass AND a.attnum > 0 AND NOT a.attisdropped;
	EXECUTE format('CREATE OR REPLACE FUNCTION adoption.settings_in_force(tenant_id text, defaults adoption.settings, override adoption.settings)
RETURNS SETOF adoption.settings
LANGUAGE sql IMMUTABLE PARALLEL SAFE ROWS 1
AS %L', 'SELECT ' || cols);
	COMMENT ON FUNCTION adoption.settings_in_force(text, adoption.settings, adoption.settings) IS 'The settings in force for a tenant (one row): each column of its override row that is not NULL, else that of the defaults row';
	CREATE OR REPLACE VIEW adoption.effective_settings WITH (security_invoker = true) AS
	SELECT s.*
	FROM adoption.tenants AS t
	CROSS JOIN adoption.settings AS d
	LEFT JOIN adoption.settings AS o ON o.tenant_id OPERATOR(pg_catalog.=) t.tenant_id
	CROSS JOIN LATERAL adoption.settings_in_force(t.tenant_id, ROW(d.*)::adoption.settings,
		ROW(o.*)::adoption.settings) AS s
	WHERE d.tenant_id IS NULL;
	COMMENT ON VIEW adoption.effective_settings IS 'The settings in force for each tenant: its overrides, else the defaults';
	/*
	 * Every setting has a default, except event_retention (none: events are
	 * kept).  Named columns, not a whole-row reference: Citus cannot deparse
	 * one into a shard's CHECK.
	 */
	SELECT string_agg(format('%I IS NOT NULL', a.attname), ' AND ' ORDER BY a.attname)
	INTO cols
	FROM pg_attribute AS a
	WHERE a.attrelid = 'adoption.settings'::regclass AND a.attnum > 0 AND NOT a.attisdropped
		AND a.attname NOT IN ('tenant_id', 'event_retention');
	ALTER TABLE adoption.settings DROP CONSTRAINT IF EXISTS settings_defaults_complete;
	EXECUTE format('ALTER TABLE adoption.settings ADD CONSTRAINT settings_defaults_complete CHECK (tenant_id IS NOT NULL OR (%s))',
		cols);
	FOR col IN SELECT a.attname, col_description(a.attrelid, a.attnum) AS comment
		FROM pg_attribute AS a
		WHERE a.attrelid = 'adoption.settings'::regclass AND a.attnum > 0 AND NOT a.attisdropped
	LOOP
		EXECUTE format('COMMENT ON COLUMN adoption.effective_settings.%I IS %L', col.attname,
			CASE col.attname WHEN 'tenant_id' THEN 'Tenant'
				WHEN 'updated_at' THEN 'Last change of the tenant''s override row (of the defaults row when it has none)'
				ELSE col.comment END);
	END LOOP;
END
$derive$;
COMMENT ON FUNCTION adoption.settings_derive() IS 'Writes adoption.settings_in_force(), the view adoption.effective_settings and the check that the defaults row is complete from the columns of adoption.settings (run after adding a setting)';
SELECT adoption.settings_derive();

/* tenant_settings() passes the rows as ROW(d.*)::adoption.settings too (Citus shards). */
CREATE FUNCTION adoption.tenant_settings(tenant_id text)
RETURNS adoption.settings
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT s.*
	FROM adoption.settings AS d
	LEFT JOIN adoption.settings AS o ON o.tenant_id = tenant_settings.tenant_id
	CROSS JOIN LATERAL adoption.settings_in_force(tenant_settings.tenant_id, ROW(d.*)::adoption.settings,
		ROW(o.*)::adoption.settings) AS s
	WHERE d.tenant_id IS NULL
$$;
COMMENT ON FUNCTION adoption.tenant_settings(text) IS 'The settings in force for one tenant: its overrides, else the defaults (all defaults for NULL)';
REVOKE ALL ON FUNCTION adoption.settings_derive(), adoption.settings_in_force(text, adoption.settings, adoption.settings),
	adoption.tenant_settings(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION adoption.settings_in_force(text, adoption.settings, adoption.settings),
	adoption.tenant_settings(text) TO adoption_analyst, adoption_tenant;
CREATE OR REPLACE FUNCTION adoption.settings_merge_default()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cols text;
	updated bigint;
BEGIN
	IF NEW.tenant_id IS NOT NULL THEN
		RETURN NEW;
	END IF;
	SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO cols
	FROM pg_attribute AS a
	WHERE a.attrelid = TG_RELID AND a.attnum > 0 AND NOT a.attisdropped AND a.attname <> 'tenant_id';
	/* The table the trigger fired on: on Citus, a shard of the reference table. */
	EXECUTE format('UPDATE %2$s AS s SET (%1$s) = (SELECT %1$s FROM (SELECT ($1).*) AS n) WHERE s.tenant_id IS NULL',
		cols, TG_RELID::regclass) USING NEW;
	GET DIAGNOSTICS updated = ROW_COUNT;
	IF updated > 0 THEN
		RETURN NULL;
	END IF;
	RETURN NEW;
END
$$;

/*
 * Issue 20, one enqueue path: adoption.queue_actions() claims the dedupe
 * keys, queues and notifies for the C engine, enqueue_action() and
 * enqueue_batch() (which moves from health.sql to actions.sql).
 */
CREATE FUNCTION adoption.queue_actions(tenant_ids text[], template_keys text[], dedupe_keys text[],
	reasons jsonb[], user_ids text[], feature_ids text[], available_ats timestamptz[], notify boolean)
RETURNS TABLE (tenant_id text, template_key text, action_id bigint)
AS 'MODULE_PATHNAME', 'adoption_queue_actions'
LANGUAGE C VOLATILE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION adoption.queue_actions(text[], text[], text[], jsonb[], text[], text[], timestamptz[], boolean) IS 'The one path that queues campaign actions (parallel arrays): skips unknown templates, plays the play policy forbids and keys already enqueued, claims the keys, queues the rest, optionally notifies; returns what it queued';
REVOKE ALL ON FUNCTION adoption.queue_actions(text[], text[], text[], jsonb[], text[], text[], timestamptz[], boolean) FROM PUBLIC;
CREATE OR REPLACE FUNCTION adoption.enqueue_action(tenant_id text, template_key text, dedupe_key text,
	reason jsonb DEFAULT '{}', user_id text DEFAULT NULL, feature_id text DEFAULT NULL,
	available_at timestamptz DEFAULT pg_catalog.now())
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	blocked text;
BEGIN
	IF tenant_id IS NULL OR btrim(tenant_id) = '' THEN
		RAISE EXCEPTION 'tenant_id must not be empty' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF dedupe_key IS NULL OR dedupe_key = '' THEN
		RAISE EXCEPTION 'dedupe_key must not be empty' USING ERRCODE = 'invalid_parameter_value',
			HINT = 'The key names what the action is about, e.g. the milestone and the user; an action with the same key is enqueued once.';
	END IF;
	PERFORM FROM adoption.campaign_templates AS t WHERE t.template_key = enqueue_action.template_key;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'unknown campaign template "%"', template_key USING ERRCODE = 'undefined_object',
			HINT = 'The templates are the rows of adoption.campaign_templates.';
	END IF;
	SELECT b.reason INTO blocked
	FROM adoption.blocked_plays(ARRAY[enqueue_action.tenant_id], ARRAY[enqueue_action.template_key]) AS b;
	IF blocked IS NOT NULL THEN
		RAISE NOTICE '% not enqueued for tenant "%"', template_key, tenant_id USING DETAIL = blocked || '.',
			HINT = 'The play policy is adoption.play_policy, per tenant adoption.tenant_play_policy.';
		RETURN NULL;
	END IF;
	RETURN (SELECT q.action_id FROM adoption.queue_actions(ARRAY[enqueue_action.tenant_id],
		ARRAY[enqueue_action.template_key], ARRAY[enqueue_action.dedupe_key], ARRAY[enqueue_action.reason],
		ARRAY[enqueue_action.user_id], ARRAY[enqueue_action.feature_id], ARRAY[enqueue_action.available_at], true) AS q);
END
$$;
COMMENT ON FUNCTION adoption.enqueue_action(text, text, text, jsonb, text, text, timestamptz) IS 'Enqueues a campaign action unless one with the same (tenant_id, dedupe_key) was enqueued (and not withdrawn) or the play policy forbids it for the account''s state; returns its id or NULL';
CREATE OR REPLACE FUNCTION adoption.enqueue_batch(actions jsonb)
RETURNS TABLE (tenant_id text, template_key text, action_id bigint)
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
	WITH a AS MATERIALIZED (
		SELECT * FROM jsonb_to_recordset(coalesce(actions, '[]')) AS a(tenant_id text, user_id text,
			feature_id text, template_key text, reason jsonb, dedupe_key text)
		ORDER BY a.tenant_id, a.dedupe_key
	)
	SELECT q.tenant_id, q.template_key, q.action_id
	FROM adoption.queue_actions(ARRAY(SELECT a.tenant_id FROM a), ARRAY(SELECT a.template_key FROM a),
		ARRAY(SELECT a.dedupe_key FROM a), ARRAY(SELECT a.reason FROM a), ARRAY(SELECT a.user_id FROM a),
		ARRAY(SELECT a.feature_id FROM a), NULL, true) AS q
$$;
COMMENT ON FUNCTION adoption.enqueue_batch(jsonb) IS 'Enqueues a JSON array of actions {tenant_id, template_key, dedupe_key, reason, user_id, feature_id} set-based, skipping keys already enqueued and plays the play policy forbids; returns what it enqueued';
ALTER FUNCTION adoption.enqueue_action(text, text, text, jsonb, text, text, timestamptz) SECURITY DEFINER;

/*
 * Issue 20, one definition of a tenant's active users as of now(): the view
 * adoption.active_users, which adoption.feature_adoption and the seat
 * utilization of adoption.expansion_opportunities read.
 */
CREATE VIEW adoption.active_users WITH (security_invoker = true) AS
SELECT v.tenant_id, v.user_id
FROM adoption.tenant_user_state AS v
JOIN adoption.effective_settings AS e ON e.tenant_id OPERATOR(pg_catalog.=) v.tenant_id
WHERE v.last_seen_at OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.-) e.active_window)
	AND (v.last_seen_at OPERATOR(pg_catalog.<=) pg_catalog.now() OR EXISTS (
		SELECT 1 FROM adoption.feature_usage_events AS x
		WHERE x.tenant_id OPERATOR(pg_catalog.=) v.tenant_id AND x.user_id OPERATOR(pg_catalog.=) v.user_id
			AND x.usage_timestamp OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.-) e.active_window)
			AND x.usage_timestamp OPERATOR(pg_catalog.<=) pg_catalog.now()));
COMMENT ON VIEW adoption.active_users IS 'A tenant''s active users as of now(): an event of any feature within the tenant''s active_window';
COMMENT ON COLUMN adoption.active_users.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.active_users.user_id IS 'User with an event of any feature in (now() - active_window, now()]';
GRANT SELECT ON adoption.active_users TO adoption_analyst, adoption_tenant;
CREATE OR REPLACE VIEW adoption.feature_adoption WITH (security_invoker = true) AS
WITH active AS (
	SELECT a.tenant_id, a.user_id FROM adoption.active_users AS a
),
tenant_active AS (
	SELECT active.tenant_id, count(*) AS active_users FROM active GROUP BY active.tenant_id
),
pair AS (
	SELECT s.tenant_id, s.feature_id, s.user_id, s.uses, s.successes, s.adopted_at, s.habitual_at,
		s.last_used_at, s.velocity_per_week, a.user_id IS NOT NULL AS tenant_active,
		s.last_used_at OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.-) e.active_window)
			AND (s.last_used_at OPERATOR(pg_catalog.<=) pg_catalog.now() OR EXISTS (
				SELECT 1 FROM adoption.feature_usage_events AS x
				WHERE x.tenant_id OPERATOR(pg_catalog.=) s.tenant_id AND x.user_id OPERATOR(pg_catalog.=) s.user_id
					AND x.feature_id OPERATOR(pg_catalog.=) s.feature_id
					AND x.usage_timestamp OPERATOR(pg_catalog.>) (pg_catalog.now() OPERATOR(pg_catalog.-) e.active_window)
					AND x.usage_timestamp OPERATOR(pg_catalog.<=) pg_catalog.now())) AS feature_active
	FROM adoption.user_feature_state AS s
	JOIN adoption.effective_settings AS e ON e.tenant_id OPERATOR(pg_catalog.=) s.tenant_id
	LEFT JOIN active AS a
		ON a.tenant_id OPERATOR(pg_catalog.=) s.tenant_id AND a.user_id OPERATOR(pg_catalog.=) s.user_id
	WHERE s.uses OPERATOR(pg_catalog.>) 0
)
SELECT p.tenant_id, p.feature_id, f.feature_name, f.tier,
	coalesce(t.active_users, 0) AS active_users,
	count(*) AS activated_users,
	count(*) FILTER (WHERE p.adopted_at IS NOT NULL) AS adopted_users,
	count(*) FILTER (WHERE p.habitual_at IS NOT NULL) AS habitual_users,
	(count(*) FILTER (WHERE p.tenant_active AND p.adopted_at OPERATOR(pg_catalog.<=) pg_catalog.now()))::double precision
		OPERATOR(pg_catalog./) NULLIF(t.active_users, 0) AS adoption_rate,
	(sum(p.successes) FILTER (WHERE p.tenant_active))::double precision
		OPERATOR(pg_catalog./) NULLIF(sum(p.uses) FILTER (WHERE p.tenant_active), 0) AS success_rate,
	avg(adoption.velocity_at(p.velocity_per_week, p.last_used_at, pg_catalog.now()))
		FILTER (WHERE p.feature_active) AS mean_velocity,
	max(p.last_used_at) AS last_used_at,
	m.feature_adopted_at,
	count(*) FILTER (WHERE p.tenant_active AND p.adopted_at OPERATOR(pg_catalog.<=) pg_catalog.now()) AS active_adopters,
	count(*) FILTER (WHERE p.feature_active) AS feature_active_users
FROM pair AS p
LEFT JOIN tenant_active AS t ON t.tenant_id OPERATOR(pg_catalog.=) p.tenant_id
LEFT JOIN adoption.features AS f ON f.feature_id OPERATOR(pg_catalog.=) p.feature_id
LEFT JOIN adoption.tenant_feature_milestones AS m
	ON m.tenant_id OPERATOR(pg_catalog.=) p.tenant_id AND m.feature_id OPERATOR(pg_catalog.=) p.feature_id
GROUP BY p.tenant_id, p.feature_id, f.feature_name, f.tier, t.active_users, m.feature_adopted_at;
COMMENT ON VIEW adoption.feature_adoption IS 'Adoption of each feature by each tenant, as of now: the tenant''s active users (an event of any feature within active_window), who of them adopted the feature, who ever activated, adopted and became habitual, and when the tenant adopted the feature';
COMMENT ON COLUMN adoption.feature_adoption.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.feature_adoption.feature_id IS 'Feature';
COMMENT ON COLUMN adoption.feature_adoption.feature_name IS 'Feature name from the catalog';
COMMENT ON COLUMN adoption.feature_adoption.tier IS 'core, advanced or premium';
COMMENT ON COLUMN adoption.feature_adoption.active_users IS 'The tenant''s active users: users with an event of any feature in (now - active_window, now] (not only users of this feature): the denominator of adoption_rate';
COMMENT ON COLUMN adoption.feature_adoption.activated_users IS 'Users who ever used the feature';
COMMENT ON COLUMN adoption.feature_adoption.adopted_users IS 'Users who reached aha_successes successful uses (any time, active or not)';
COMMENT ON COLUMN adoption.feature_adoption.habitual_users IS 'Users who reached usage_velocity_threshold uses within 7 days';
COMMENT ON COLUMN adoption.feature_adoption.adoption_rate IS 'active_adopters / active_users: the share of the tenant''s active users who adopted the feature (NULL without active users)';
COMMENT ON COLUMN adoption.feature_adoption.success_rate IS 'Successful uses / uses of the feature, over the uses of the tenant''s active users (NULL without such uses)';
COMMENT ON COLUMN adoption.feature_adoption.mean_velocity IS 'Mean uses per week, decayed to now (7-day half-life), of the feature''s own active users (feature_active_users; NULL without)';
COMMENT ON COLUMN adoption.feature_adoption.last_used_at IS 'Latest use of the feature in the tenant';
COMMENT ON COLUMN adoption.feature_adoption.feature_adopted_at IS 'When the tenant reached feature_adoption_threshold and success_outcome_rate (milestone feature_adopted), NULL if not yet';
COMMENT ON COLUMN adoption.feature_adoption.active_adopters IS 'The tenant''s active users who adopted the feature (adopted_at <= now): the numerator of adoption_rate';
COMMENT ON COLUMN adoption.feature_adoption.feature_active_users IS 'Users who used this feature in (now - active_window, now]: the feature''s own active users, a subset of active_users';
CREATE OR REPLACE VIEW adoption.expansion_opportunities WITH (security_invoker = true) AS
WITH active AS (
	SELECT a.tenant_id, count(*) AS active_users FROM adoption.active_users AS a GROUP BY a.tenant_id
)
SELECT t.tenant_id, 'seat_utilization'::text AS opportunity, NULL::text AS feature_id,
	a.active_users::double precision / t.seats_licensed AS metric,
	jsonb_build_object('active_users', a.active_users, 'seats_licensed', t.seats_licensed,
		'threshold', e.seat_utilization_threshold) AS evidence,
	t.arr, t.segment
FROM adoption.tenants AS t
JOIN active AS a ON a.tenant_id OPERATOR(pg_catalog.=) t.tenant_id
JOIN adoption.effective_settings AS e ON e.tenant_id OPERATOR(pg_catalog.=) t.tenant_id
WHERE t.seats_licensed > 0 AND a.active_users >= e.seat_utilization_threshold * t.seats_licensed
UNION ALL
SELECT t.tenant_id, 'upgrade_path', f.upgrade_feature_id, count(*)::double precision,
	jsonb_build_object('feature_id', f.feature_id, 'habitual_users', count(*),
		'upgrade_tier', g.tier, 'upgrade_feature_name', g.feature_name),
	t.arr, t.segment
FROM adoption.user_feature_state AS s
JOIN adoption.features AS f ON f.feature_id OPERATOR(pg_catalog.=) s.feature_id
JOIN adoption.features AS g ON g.feature_id OPERATOR(pg_catalog.=) f.upgrade_feature_id
JOIN adoption.tenants AS t ON t.tenant_id OPERATOR(pg_catalog.=) s.tenant_id
WHERE s.habitual_at IS NOT NULL
	AND NOT EXISTS (SELECT 1 FROM adoption.user_feature_state AS u
		WHERE u.tenant_id OPERATOR(pg_catalog.=) s.tenant_id
			AND u.feature_id OPERATOR(pg_catalog.=) f.upgrade_feature_id
			AND u.activated_at IS NOT NULL)
GROUP BY t.tenant_id, f.feature_id, f.upgrade_feature_id, g.tier, g.feature_name, t.arr, t.segment
UNION ALL
SELECT t.tenant_id, 'feature_request', c.feature_id, count(*)::double precision,
	jsonb_build_object('requests', count(*), 'tier', c.tier, 'feature_name', c.feature_name,
		'last_requested_at', max(b.created_at)),
	t.arr, t.segment
FROM adoption.feedback AS b
CROSS JOIN LATERAL pg_catalog.unnest(b.feature_requests) AS q(request)
JOIN adoption.features AS c ON c.feature_id OPERATOR(pg_catalog.=) q.request AND c.tier <> 'core'
JOIN adoption.tenants AS t ON t.tenant_id OPERATOR(pg_catalog.=) b.tenant_id
WHERE b.created_at > pg_catalog.now() - interval '90 days'
	AND NOT EXISTS (SELECT 1 FROM adoption.user_feature_state AS u
		WHERE u.tenant_id OPERATOR(pg_catalog.=) b.tenant_id
			AND u.feature_id OPERATOR(pg_catalog.=) c.feature_id)
GROUP BY t.tenant_id, c.feature_id, c.tier, c.feature_name, t.arr, t.segment;
COMMENT ON VIEW adoption.expansion_opportunities IS 'Tenants with room to expand: seats nearly all in use, habitual use of a feature whose upgrade they have not activated, or feedback asking for an advanced or premium feature they do not use';
COMMENT ON COLUMN adoption.expansion_opportunities.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.expansion_opportunities.opportunity IS 'seat_utilization (active users / seats_licensed >= seat_utilization_threshold), upgrade_path (habitual use of a feature whose upgrade_feature_id the tenant has not activated) or feature_request (feedback of the last 90 days asks for an advanced or premium feature the tenant does not use)';
COMMENT ON COLUMN adoption.expansion_opportunities.feature_id IS 'The feature to offer (upgrade_path, feature_request); NULL for seats';
COMMENT ON COLUMN adoption.expansion_opportunities.metric IS 'Seat utilization (the tenant''s active users, with an event of any feature within active_window before now, / seats), the number of habitual users of the feature below the upgrade, or the number of requests';
COMMENT ON COLUMN adoption.expansion_opportunities.evidence IS 'The numbers behind the opportunity, as JSON';
COMMENT ON COLUMN adoption.expansion_opportunities.arr IS 'Annual recurring revenue of the tenant';
COMMENT ON COLUMN adoption.expansion_opportunities.segment IS 'Tenant segment';

/* Issue 20: the adopters of launch_performance and campaign_lift say they are not the other functions' adopters. */
COMMENT ON COLUMN adoption.launch_performance.users_adopted IS 'Of users_active, those who adopted the feature (adopted_at) before target_at, before the launch included (not the adopters of campaign_lift or feature_retention: see docs/design.md, section 7)';
COMMENT ON FUNCTION adoption.campaign_lift(interval) IS 'Per campaign and feature: adoption rate of the users the campaign touched (adopted within lookback after their first touch) vs the users it did not touch (adopted within the campaign window: first touch to last touch + lookback), among the users active across the window who had not adopted before (not the adopters of launch_performance or feature_retention: see docs/design.md, section 7); rate_difference and relative lift';

/*
 * The play policy of issue 17 in its 0.4.0 form, defined here because
 * account_states() reads the settings through settings_in_force() (issue
 * 20, above): account_states() and blocked_plays() with SQL-standard bodies
 * and no SET clause, inlined into the ingest trigger's enqueue plan (planned
 * once with the kept plan instead of at every statement that enqueues);
 * account_states() reads the settings in force from the tenants' own
 * settings rows and the defaults row, not through effective_settings (whose
 * join to every tenant was planned as a hash of all of them at each
 * statement that enqueues).  Their privileges follow them.
 */
/*
 * The states of each tenant of tenant_ids as of as_of (NULL ids skipped).
 * risk: the latest health score scored at or before as_of.  last_event_at:
 * tenant_state's when it is not after as_of (exact), else the log's latest
 * event up to as_of.  cancelled_at: the latest cancellation up to as_of with
 * no payment_succeeded or upgrade after it (up to as_of).
 */
CREATE FUNCTION adoption.account_states(tenant_ids text[], as_of timestamptz DEFAULT pg_catalog.now())
RETURNS TABLE (tenant_id text, risk text, scored_at timestamptz, last_event_at timestamptz,
	dormant boolean, cancelled_at timestamptz, states text[])
LANGUAGE sql STABLE
BEGIN ATOMIC
	SELECT x.tenant_id, x.risk, x.scored_at, x.last_event_at, x.dormant, x.cancelled_at,
		array_remove(ARRAY[CASE WHEN x.risk IN ('at_risk', 'critical') THEN x.risk END,
			CASE WHEN x.dormant THEN 'dormant' END,
			CASE WHEN x.cancelled_at IS NOT NULL THEN 'cancelled' END], NULL)
	FROM (
		SELECT i.tenant_id, h.risk, h.scored_at, le.last_event_at,
			coalesce(le.last_event_at <= as_of - e.dormant_after, false) AS dormant,
			c.occurred_at AS cancelled_at
		FROM (SELECT DISTINCT u.tenant_id FROM unnest(tenant_ids) AS u(tenant_id) WHERE u.tenant_id IS NOT NULL) AS i
		CROSS JOIN adoption.settings AS sd
		LEFT JOIN adoption.settings AS so ON so.tenant_id = i.tenant_id
		CROSS JOIN LATERAL adoption.settings_in_force(i.tenant_id, ROW(sd.*)::adoption.settings,
			ROW(so.*)::adoption.settings) AS e
		LEFT JOIN LATERAL (SELECT s.risk, s.scored_at FROM adoption.health_scores AS s
			WHERE s.tenant_id = i.tenant_id AND s.scored_at <= as_of
			ORDER BY s.scored_at DESC LIMIT 1) AS h ON true
		LEFT JOIN LATERAL (SELECT CASE WHEN t.last_event_at <= as_of THEN t.last_event_at
				ELSE adoption.last_event_up_to(i.tenant_id, as_of) END AS last_event_at
			FROM adoption.tenant_state AS t WHERE t.tenant_id = i.tenant_id) AS le ON true
		LEFT JOIN LATERAL (SELECT b.occurred_at FROM adoption.billing_events AS b
			WHERE b.tenant_id = i.tenant_id AND b.kind = 'cancellation' AND b.occurred_at <= as_of
				AND NOT EXISTS (SELECT 1 FROM adoption.billing_events AS r
					WHERE r.tenant_id = b.tenant_id AND r.kind IN ('payment_succeeded', 'upgrade')
						AND r.occurred_at > b.occurred_at AND r.occurred_at <= as_of)
			ORDER BY b.occurred_at DESC LIMIT 1) AS c ON true
		WHERE sd.tenant_id IS NULL
	) AS x;
END;
COMMENT ON FUNCTION adoption.account_states(text[], timestamptz) IS 'Per tenant as of a time: the risk band of its latest score, its last event and whether it is dormant, its standing cancellation, and the states the play policy knows (at_risk, critical, dormant, cancelled)';

/*
 * Of the (tenant, template) pairs given as parallel arrays, those the
 * tenants' states forbid as of as_of, with the forbidding states and the
 * reason written into a withdrawn action.  Set-based: one call per batch.
 */
CREATE FUNCTION adoption.blocked_plays(tenant_ids text[], template_keys text[], as_of timestamptz DEFAULT pg_catalog.now())
RETURNS TABLE (tenant_id text, template_key text, states text[], reason text)
LANGUAGE sql STABLE
BEGIN ATOMIC
	WITH pairs AS (
		SELECT DISTINCT p.tenant_id, p.template_key
		FROM unnest(tenant_ids, template_keys) AS p(tenant_id, template_key)
		WHERE p.tenant_id IS NOT NULL AND p.template_key IS NOT NULL
	)
	SELECT pairs.tenant_id, pairs.template_key, b.states,
		format('play policy: %s is not allowed for an account that is %s', pairs.template_key,
			array_to_string(b.states, ' and '))
	FROM pairs
	CROSS JOIN LATERAL adoption.account_states(ARRAY[pairs.tenant_id], as_of) AS st
	CROSS JOIN LATERAL (SELECT array_agg(s.state ORDER BY s.ord) AS states
		FROM unnest(st.states) WITH ORDINALITY AS s(state, ord)
		LEFT JOIN adoption.play_policy AS p ON p.account_state = s.state AND p.template_key = pairs.template_key
		LEFT JOIN adoption.tenant_play_policy AS o ON o.tenant_id = pairs.tenant_id
			AND o.account_state = s.state AND o.template_key = pairs.template_key
		WHERE NOT coalesce(o.allowed, p.allowed, true)) AS b
	WHERE cardinality(st.states) > 0 AND b.states IS NOT NULL;
END;
COMMENT ON FUNCTION adoption.blocked_plays(text[], text[], timestamptz) IS 'Of the (tenant_id, template_key) pairs of two parallel arrays, those the play policy forbids given the tenants'' states as of as_of, with the forbidding states and a reason';
REVOKE ALL ON FUNCTION adoption.account_states(text[], timestamptz), adoption.blocked_plays(text[], text[], timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION adoption.account_states(text[], timestamptz), adoption.blocked_plays(text[], text[], timestamptz)
	TO adoption_analyst, adoption_tenant;

/*
 * Issue 16 (Citus): rescore() and upkeep() per shard group (docs/citus.md):
 * the scoring split from rescore() into rescore_tenants() and the
 * snapshots' into snapshot_tenants(), which a coordinator runs on each
 * shard group's worker (citus_run(), distributed by distribute(), and
 * citus_run_at()); snapshot_days() on unlogged working tables instead of
 * temporary ones; the shard scope (citus_enter_*, citus_leave,
 * citus_table, citus_on_shard); enqueue_batch() announces through
 * notify_actions(); billing_withdraw_plays() runs on its shard group;
 * claim_actions() per shard group (citus_claim_actions()), held_action()
 * locks by tenant.  snapshot_days(), enqueue_batch(),
 * billing_withdraw_plays(), distribute(), claim_actions(), held_action() and
 * upkeep() are defined once, in this form, where their own parts stand.
 */
CREATE UNLOGGED TABLE adoption.snapshot_work_target (
	tenant_id text PRIMARY KEY, from_day date NOT NULL, to_day date NOT NULL, w interval NOT NULL
);
COMMENT ON TABLE adoption.snapshot_work_target IS 'Internal to adoption.snapshot_days(): the tenants and days of the run (empty between runs)';

CREATE UNLOGGED TABLE adoption.snapshot_work_user_day (
	tenant_id text NOT NULL, user_id text, d date, last_t timestamptz, events bigint
);
COMMENT ON TABLE adoption.snapshot_work_user_day IS 'Internal to adoption.snapshot_days(): each user''s latest event time and events of each day (empty between runs)';

CREATE UNLOGGED TABLE adoption.snapshot_work_active (
	tenant_id text NOT NULL, user_id text, day date
);
COMMENT ON TABLE adoption.snapshot_work_active IS 'Internal to adoption.snapshot_days(): the (tenant, user, day)s a user was active at the end of (empty between runs)';

CREATE FUNCTION adoption.rescore_tenants(tenant_id text, as_of timestamptz, incremental boolean,
	old_watermark timestamptz)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET jit = off
AS $$
DECLARE
	targets text[];
	scored integer;
	batch jsonb;
BEGIN
	IF rescore_tenants.tenant_id IS NOT NULL THEN
		targets := ARRAY[rescore_tenants.tenant_id];
	ELSIF NOT incremental THEN
		SELECT array_agg(t.tenant_id ORDER BY t.tenant_id) INTO targets FROM adoption.tenants AS t;
	ELSE
		SELECT array_agg(d.tenant_id ORDER BY d.tenant_id) INTO targets FROM (
			SELECT e.tenant_id FROM adoption.feature_usage_events AS e
			WHERE old_watermark IS NOT NULL AND e.ingested_at >= old_watermark
			UNION
			SELECT f.tenant_id FROM adoption.feedback AS f
			WHERE old_watermark IS NOT NULL AND f.ingested_at >= old_watermark
			UNION
			SELECT k.tenant_id FROM adoption.support_tickets AS k
			WHERE old_watermark IS NOT NULL AND k.ingested_at >= old_watermark
			UNION
			SELECT b.tenant_id FROM adoption.billing_events AS b
			WHERE old_watermark IS NOT NULL AND b.ingested_at >= old_watermark
			UNION
			SELECT t.tenant_id FROM adoption.tenants AS t
			WHERE NOT EXISTS (SELECT 1 FROM adoption.health_scores AS h
				WHERE h.tenant_id = t.tenant_id AND h.scored_at > as_of - interval '1 day')
		) AS d
		WHERE EXISTS (SELECT 1 FROM adoption.tenants AS t WHERE t.tenant_id = d.tenant_id);
	END IF;

	/* Score: one row per tenant, with the band it leaves and the change. */
	WITH i AS (
		SELECT * FROM adoption.health_inputs(coalesce(targets, '{}'), as_of) AS i
		WHERE i.last_event_at IS NOT NULL
	),
	c AS (
		SELECT i.tenant_id, i.last_event_at, i.active_users, h.*,
			adoption.risk_band(h.score, i.healthy_min, i.at_risk_min) AS risk
		FROM i, LATERAL adoption.health_compute(i.events_recent, i.events_previous, true,
			i.core_features, i.core_active, i.core_adopters, i.adoption_threshold, i.active_users,
			i.tickets, i.billing, i.nps_promoters, i.nps_passives, i.nps_detractors, i.weights) AS h
	)
	INSERT INTO adoption.health_scores AS hs (tenant_id, scored_at, score, risk, components, delta,
		previous_risk, last_event_at, active_users, live)
	SELECT c.tenant_id, as_of, c.score, c.risk,
		jsonb_strip_nulls(jsonb_build_object('usage_trend', c.usage_trend, 'adoption', c.adoption,
			'support', c.support, 'billing', c.billing, 'feedback', c.feedback)),
		c.score - p.score, p.risk, c.last_event_at, c.active_users, as_of >= now() - interval '1 day'
	FROM c
	LEFT JOIN LATERAL (SELECT h.score, h.risk FROM adoption.health_scores AS h
		WHERE h.tenant_id = c.tenant_id AND h.scored_at < as_of
		ORDER BY h.scored_at DESC LIMIT 1) AS p ON true
	ON CONFLICT ON CONSTRAINT health_scores_pkey DO UPDATE SET
		score = excluded.score, risk = excluded.risk, components = excluded.components,
		delta = excluded.delta, previous_risk = excluded.previous_risk,
		last_event_at = excluded.last_event_at, active_users = excluded.active_users,
		live = hs.live OR excluded.live, computed_at = now();
	GET DIAGNOSTICS scored = ROW_COUNT;
	/*
	 * A tenant's next score, when it was stored before this one (scores
	 * computed newest first, a backfill after live scores), now follows
	 * this one: its delta and previous_risk are made relative to it, so
	 * that they depend on the set of scores, not on the order they were
	 * computed in.  (Two sessions scoring neighbouring times of one tenant
	 * at once can still miss each other here; the views health_history and
	 * tenant_health derive both columns from the scores themselves.)
	 */
	UPDATE adoption.health_scores AS n SET delta = n.score - c.score, previous_risk = c.risk
	FROM adoption.health_scores AS c
	WHERE c.tenant_id = ANY (coalesce(targets, '{}')) AND c.scored_at = as_of
		AND n.tenant_id = c.tenant_id
		AND n.scored_at = (SELECT min(x.scored_at) FROM adoption.health_scores AS x
			WHERE x.tenant_id = c.tenant_id AND x.scored_at > as_of)
		AND (n.delta IS DISTINCT FROM n.score - c.score OR n.previous_risk IS DISTINCT FROM c.risk);

	IF scored > 0 AND as_of >= now() - interval '1 day' THEN
		/* Plays queued before a tenant entered a state that forbids them are withdrawn (plays.sql). */
		PERFORM adoption.withdraw_plays(targets);
		/*
		 * The scores of this run that are their tenant's newest, with the
		 * band of the previous live score (a backfilled history does not
		 * hide the entry into a band from the first live score).
		 */
		WITH cur AS (
			SELECT h.tenant_id, h.scored_at, h.score, h.risk, h.components, h.last_event_at,
				h.active_users, pl.risk AS previous_risk, e.dormant_after, e.nudge_after, e.active_window, e.action_cooldown,
				e.seat_utilization_threshold, t.seats_licensed
			FROM adoption.health_scores AS h
			JOIN adoption.effective_settings AS e ON e.tenant_id = h.tenant_id
			JOIN adoption.tenants AS t ON t.tenant_id = h.tenant_id
			LEFT JOIN LATERAL (SELECT p.risk FROM adoption.health_scores AS p
				WHERE p.tenant_id = h.tenant_id AND p.scored_at < as_of AND p.live
				ORDER BY p.scored_at DESC LIMIT 1) AS pl ON true
			WHERE h.tenant_id = ANY (targets) AND h.scored_at = as_of
				AND NOT EXISTS (SELECT 1 FROM adoption.health_scores AS n
					WHERE n.tenant_id = h.tenant_id AND n.scored_at > as_of)
		),
		cand AS (
			/* Entering at_risk or critical (a first score enters its band). */
			SELECT cur.tenant_id, NULL::text AS user_id, NULL::text AS feature_id,
				CASE cur.risk WHEN 'at_risk' THEN 'retention_intervention' ELSE 'escalate_to_cs' END AS template_key,
				jsonb_build_object('score', round(cur.score::numeric, 2), 'risk', cur.risk,
					'previous_risk', cur.previous_risk, 'scored_at', cur.scored_at,
					'components', cur.components) AS reason,
				jsonb_build_array(CASE cur.risk WHEN 'at_risk' THEN 'retention_intervention' ELSE 'escalate_to_cs' END,
					to_char(cur.scored_at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text AS dedupe_key,
				cur.action_cooldown
			FROM cur
			WHERE cur.risk IN ('at_risk', 'critical') AND cur.risk IS DISTINCT FROM cur.previous_risk
			UNION ALL
			/* Dormant: one win_back per quiet spell (keyed by the last event). */
			SELECT cur.tenant_id, NULL, NULL, 'win_back',
				jsonb_build_object('last_event_at', cur.last_event_at, 'dormant_after', cur.dormant_after::text),
				jsonb_build_array('win_back', to_char(cur.last_event_at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text,
				interval '0'
			FROM cur
			WHERE cur.last_event_at <= as_of - cur.dormant_after
			UNION ALL
			/* Seats nearly all in use. */
			SELECT cur.tenant_id, NULL, NULL, 'expansion_offer',
				jsonb_build_object('opportunity', 'seat_utilization', 'active_users', cur.active_users,
					'seats_licensed', cur.seats_licensed,
					'utilization', round(cur.active_users::numeric / cur.seats_licensed, 3)),
				jsonb_build_array('expansion_offer', 'seat_utilization',
					to_char(cur.scored_at, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'))::text,
				cur.action_cooldown
			FROM cur
			WHERE cur.seats_licensed > 0
				AND cur.active_users >= cur.seat_utilization_threshold * cur.seats_licensed
			UNION ALL
			/*
			 * Habitual use of a feature whose upgrade the tenant has not
			 * activated: once per upgrade, for its first habitual user.
			 */
			(SELECT DISTINCT ON (cur.tenant_id, f.upgrade_feature_id) cur.tenant_id, s.user_id,
				f.upgrade_feature_id, 'advanced_feature',
				jsonb_build_object('feature_id', f.feature_id, 'upgrade_feature_id', f.upgrade_feature_id,
					'habitual_at', s.habitual_at),
				jsonb_build_array('advanced_feature', f.upgrade_feature_id)::text,
				interval '0'
			FROM cur
			JOIN adoption.user_feature_state AS s ON s.tenant_id = cur.tenant_id AND s.habitual_at <= as_of
			JOIN adoption.features AS f ON f.feature_id = s.feature_id AND f.upgrade_feature_id IS NOT NULL
			WHERE NOT EXISTS (SELECT 1 FROM adoption.user_feature_state AS g
				WHERE g.tenant_id = cur.tenant_id AND g.feature_id = f.upgrade_feature_id
					AND g.activated_at <= as_of)
			ORDER BY cur.tenant_id, f.upgrade_feature_id, s.habitual_at, s.user_id, f.feature_id)
			UNION ALL
			/*
			 * Feedback of the last 90 days asks for an advanced or premium
			 * feature the tenant never used: once per feature, for the
			 * first request.
			 */
			(SELECT DISTINCT ON (cur.tenant_id, c.feature_id) cur.tenant_id, b.user_id, c.feature_id, 'expansion_offer',
				jsonb_build_object('opportunity', 'feature_request', 'feature_id', c.feature_id, 'tier', c.tier,
					'feedback_id', b.feedback_id),
				jsonb_build_array('expansion_offer', 'feature_request', c.feature_id)::text,
				interval '0'
			FROM cur
			JOIN adoption.feedback AS b ON b.tenant_id = cur.tenant_id
				AND b.created_at > as_of - interval '90 days' AND b.created_at <= as_of
			CROSS JOIN LATERAL unnest(b.feature_requests) AS q(request)
			JOIN adoption.features AS c ON c.feature_id = q.request AND c.tier <> 'core'
			WHERE NOT EXISTS (SELECT 1 FROM adoption.user_feature_state AS g
				WHERE g.tenant_id = cur.tenant_id AND g.feature_id = c.feature_id AND g.activated_at <= as_of)
			ORDER BY cur.tenant_id, c.feature_id, b.created_at, b.feedback_id)
			UNION ALL
			/*
			 * Activated but not adopted after nudge_after: once per user and
			 * feature, while the activation is recent enough (within
			 * active_window past the deadline) for a nudge to make sense.
			 */
			SELECT cur.tenant_id, s.user_id, s.feature_id, 'adoption_nudge',
				jsonb_build_object('activated_at', s.activated_at, 'nudge_after', cur.nudge_after::text,
					'successes', s.successes),
				jsonb_build_array('adoption_nudge', s.feature_id, s.user_id)::text,
				interval '0'
			FROM cur
			JOIN adoption.user_feature_state AS s ON s.tenant_id = cur.tenant_id
			WHERE s.activated_at <= as_of - cur.nudge_after
				AND s.activated_at > as_of - cur.nudge_after - cur.active_window
				AND (s.adopted_at IS NULL OR s.adopted_at > as_of)
		)
		SELECT jsonb_agg(jsonb_build_object('tenant_id', cand.tenant_id, 'user_id', cand.user_id,
			'feature_id', cand.feature_id, 'template_key', cand.template_key, 'reason', cand.reason,
			'dedupe_key', cand.dedupe_key))
		INTO batch
		FROM cand
		/* Cooldown: no second tenant-level action of a template within action_cooldown. */
		WHERE cand.action_cooldown = interval '0' OR NOT EXISTS (
			SELECT 1 FROM adoption.health_scores AS h
			WHERE h.tenant_id = cand.tenant_id AND h.scored_at < as_of
				AND h.scored_at >= as_of - cand.action_cooldown
				AND cand.template_key = ANY (h.actions));

		IF batch IS NOT NULL THEN
			WITH done AS (
				SELECT e.tenant_id, array_agg(DISTINCT e.template_key ORDER BY e.template_key) AS templates
				FROM adoption.enqueue_batch(batch) AS e
				WHERE e.template_key IN ('retention_intervention', 'escalate_to_cs', 'win_back', 'expansion_offer')
				GROUP BY e.tenant_id
			)
			UPDATE adoption.health_scores AS h
			SET actions = ARRAY(SELECT DISTINCT x FROM unnest(h.actions || done.templates) AS x ORDER BY x)
			FROM done
			WHERE h.tenant_id = done.tenant_id AND h.scored_at = as_of;
		END IF;
	END IF;

	RETURN scored;
END
$$;
COMMENT ON FUNCTION adoption.rescore_tenants(text, timestamptz, boolean, timestamptz) IS 'Internal to adoption.rescore(): scores the tenants it chose (tenant_id; else incremental since old_watermark, or all) as of as_of, stores the scores and enqueues their actions; returns the tenants scored';

CREATE OR REPLACE FUNCTION adoption.rescore(tenant_id text DEFAULT NULL, as_of timestamptz DEFAULT pg_catalog.now())
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET jit = off
AS $$
DECLARE
	incremental boolean;
	old_watermark timestamptz;
	new_watermark timestamptz;
	scored integer := 0;
BEGIN
	IF as_of IS NULL OR NOT isfinite(as_of) THEN
		RAISE EXCEPTION 'as_of must be a finite time, not %', coalesce(as_of::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF as_of > clock_timestamp() THEN
		RAISE EXCEPTION 'as_of % is in the future', as_of USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Health is scored as of now or a past time; leave as_of out for now.';
	END IF;
	IF rescore.tenant_id IS NOT NULL AND NOT EXISTS (
		SELECT 1 FROM adoption.tenants AS t WHERE t.tenant_id = rescore.tenant_id) THEN
		RAISE EXCEPTION 'unknown tenant "%"', rescore.tenant_id USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Tenants are the rows of adoption.tenants; events register them on first sight.';
	END IF;

	/* One run at a time: a second one returns at once. */
	IF NOT pg_try_advisory_xact_lock(('adoption.health_scores'::regclass)::oid::bigint) THEN
		RAISE NOTICE 'adoption.rescore() is already running in another session; skipped';
		RETURN 0;
	END IF;

	incremental := rescore.tenant_id IS NULL AND as_of >= now();
	IF incremental THEN
		SELECT r.watermark INTO old_watermark FROM adoption.rescore_state AS r;
		/*
		 * ingested_at defaults to now(), the start of the inserting
		 * transaction: rows that transactions still running will commit
		 * carry at least the oldest start among them (bi.sql).
		 */
		new_watermark := adoption.ingest_watermark();
	END IF;

	IF NOT adoption.citus_distributed() THEN
		scored := adoption.rescore_tenants(rescore.tenant_id, as_of, incremental, old_watermark);
	ELSE
		/* On each shard group's worker, in this transaction (citus.sql). */
		scored := adoption.citus_run_sum(rescore.tenant_id, format('SELECT adoption.rescore_tenants(%L, %L, %L, %L) AS n',
			rescore.tenant_id, as_of, incremental, old_watermark));
	END IF;

	IF incremental THEN
		INSERT INTO adoption.rescore_state AS r (singleton, watermark, last_started_at, last_finished_at, last_tenants)
		VALUES (true, new_watermark, now(), clock_timestamp(), scored)
		ON CONFLICT (singleton) DO UPDATE SET watermark = excluded.watermark,
			last_started_at = excluded.last_started_at, last_finished_at = excluded.last_finished_at,
			last_tenants = excluded.last_tenants;
	END IF;
	RETURN scored;
END
$$;
COMMENT ON FUNCTION adoption.rescore(text, timestamptz) IS 'Scores the health of one tenant, or of the tenants that need it (new data since the last run, or a score older than a day), as of as_of; stores adoption.health_scores, enqueues band, win-back, nudge and expansion actions; returns the number of tenants scored';

CREATE OR REPLACE FUNCTION adoption.snapshot_tenants(from_day date, last_day date, tenant_id text, incremental boolean,
	old_watermark timestamptz, today date)
RETURNS TABLE (written integer, totals_from date, totals_to date)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
	targets jsonb;
BEGIN
	IF NOT incremental THEN
		SELECT jsonb_agg(jsonb_build_object('tenant_id', s.tenant_id,
				'from_day', greatest(coalesce(snapshot_tenants.from_day, (s.first_event_at AT TIME ZONE 'UTC')::date),
					(s.first_event_at AT TIME ZONE 'UTC')::date),
				'to_day', last_day))
		INTO targets
		FROM adoption.tenant_state AS s
		WHERE snapshot_tenants.tenant_id IS NULL OR s.tenant_id = snapshot_tenants.tenant_id;
	ELSE
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
	END IF;

	SELECT min((x->>'from_day')::date), max((x->>'to_day')::date) INTO totals_from, totals_to
	FROM jsonb_array_elements(coalesce(targets, '[]')) AS x
	WHERE (x->>'from_day')::date <= (x->>'to_day')::date;
	written := adoption.snapshot_days(coalesce(targets, '[]'));
	RETURN NEXT;
END
$$;
COMMENT ON FUNCTION adoption.snapshot_tenants(date, date, text, boolean, timestamptz, date) IS 'Internal to adoption.snapshot_adoption(): chooses the tenants and days to write, marks ended days final, writes their snapshots; returns the tenant-days written and the range of days whose totals changed';

CREATE OR REPLACE FUNCTION adoption.citus_distributed()
RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	yes boolean;
BEGIN
	IF to_regclass('pg_catalog.pg_dist_partition') IS NULL OR adoption.citus_on_shard() THEN
		RETURN false;
	END IF;
	EXECUTE 'SELECT EXISTS (SELECT FROM pg_catalog.pg_dist_partition AS p
		WHERE p.logicalrelid OPERATOR(pg_catalog.=) ''adoption.feature_usage_events''::pg_catalog.regclass)'
		INTO yes;
	RETURN yes;
END
$$;
COMMENT ON FUNCTION adoption.citus_distributed() IS 'True when the event log is a distributed Citus table here (a coordinator after adoption.distribute()) and this backend is not working on one shard group: the functions that work per tenant then run per shard group (citus_run_at)';

CREATE OR REPLACE FUNCTION adoption.citus_shard_tenants(only_tenant text DEFAULT NULL)
RETURNS TABLE (anchor text)
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF only_tenant IS NOT NULL THEN
		RETURN QUERY SELECT only_tenant;
		RETURN;
	END IF;
	RETURN QUERY EXECUTE $q$
		SELECT r.result FROM pg_catalog.run_command_on_shards('adoption.tenants',
			'SELECT pg_catalog.min(tenant_id) FROM %s') AS r
		WHERE r.success AND r.result IS NOT NULL AND r.result OPERATOR(pg_catalog.<>) ''
		ORDER BY r.shardid$q$;
END
$$;
COMMENT ON FUNCTION adoption.citus_shard_tenants(text) IS 'Internal, Citus: a tenant of each shard group that holds one (or only_tenant), to name the group to a distributed function';

CREATE OR REPLACE FUNCTION adoption.citus_enter_tenant(tenant_id text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'adoption_citus_enter_tenant'
LANGUAGE C;
COMMENT ON FUNCTION adoption.citus_enter_tenant(text) IS 'Internal, Citus: runs the statements that follow on the shard group that holds tenant_id (on this node) until adoption.citus_leave(); returns the event log''s shard id';

CREATE OR REPLACE FUNCTION adoption.citus_enter_shard(rel regclass)
RETURNS boolean
AS 'MODULE_PATHNAME', 'adoption_citus_enter_relid'
LANGUAGE C STRICT;
COMMENT ON FUNCTION adoption.citus_enter_shard(regclass) IS 'Internal, Citus: when rel is a shard (a trigger''s TG_RELID on a worker), runs the statements that follow on its shard group until adoption.citus_leave(); returns whether it is one (else nothing changes)';

CREATE OR REPLACE FUNCTION adoption.citus_leave()
RETURNS void
AS 'MODULE_PATHNAME', 'adoption_citus_leave_sql'
LANGUAGE C;
COMMENT ON FUNCTION adoption.citus_leave() IS 'Internal, Citus: ends the scope of the last adoption.citus_enter_tenant() or citus_enter_shard()';

CREATE OR REPLACE FUNCTION adoption.notify_actions(tenant_id text, actions bigint)
RETURNS void
AS 'MODULE_PATHNAME', 'adoption_notify_actions_sql'
LANGUAGE C;
COMMENT ON FUNCTION adoption.notify_actions(text, bigint) IS 'Internal: announces enqueued actions (NOTIFY adoption_actions with their number); on a Citus shard notes them for the coordinator''s adoption.citus_flush() under tenant_id';

CREATE OR REPLACE FUNCTION adoption.citus_run(anchor text, sql text)
RETURNS SETOF jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM adoption.citus_enter_tenant(anchor);
	RETURN QUERY EXECUTE format('SELECT pg_catalog.to_jsonb(r) FROM (%s) AS r', sql);
	PERFORM adoption.citus_leave();
END
$$;
COMMENT ON FUNCTION adoption.citus_run(text, text) IS 'Internal, Citus: runs a query on the shard group that holds tenant anchor, on the worker that holds it (a force-delegated distributed function), and returns its rows as jsonb';

CREATE OR REPLACE FUNCTION adoption.citus_run_at(anchors text[], sql text)
RETURNS SETOF jsonb
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	anchor text;
BEGIN
	FOREACH anchor IN ARRAY coalesce(anchors, '{}') LOOP
		RETURN QUERY EXECUTE format('SELECT r FROM adoption.citus_run(%L::text, %L::text) AS r', anchor, sql);
	END LOOP;
	/* What the groups enqueued is announced here (a reader's calls enqueue nothing). */
	IF has_function_privilege('adoption.citus_flush()', 'EXECUTE') THEN
		PERFORM adoption.citus_flush();
	END IF;
END
$$;
COMMENT ON FUNCTION adoption.citus_run_at(text[], text) IS 'Internal, Citus: adoption.citus_run(anchor, sql) on the shard group of each anchor in turn, in this transaction, then adoption.citus_flush(); returns all their rows';

CREATE OR REPLACE FUNCTION adoption.citus_run_sum(only_tenant text, sql text)
RETURNS bigint
LANGUAGE sql
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT coalesce(sum((r OPERATOR(pg_catalog.->>) 'n')::bigint), 0)::bigint
	FROM adoption.citus_run_at(ARRAY(SELECT x.anchor FROM adoption.citus_shard_tenants(only_tenant) AS x), sql) AS r
$$;
COMMENT ON FUNCTION adoption.citus_run_sum(text, text) IS 'Internal, Citus: runs sql (a query with a column n) on every shard group that holds a tenant, or on only_tenant''s, and returns the sum of n';

CREATE OR REPLACE FUNCTION adoption.coordinate_launch(launch_id text)
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
AS $$
DECLARE
	l adoption.launches;
	batch jsonb;
	ids bigint[];
BEGIN
	IF launch_id IS NULL OR btrim(launch_id) = '' THEN
		RAISE EXCEPTION 'launch_id must not be empty' USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Pass the launch_id of a row of adoption.launches.';
	END IF;
	SELECT x.* INTO l FROM adoption.launches AS x WHERE x.launch_id = coordinate_launch.launch_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'launch "%" does not exist', launch_id USING ERRCODE = 'no_data_found',
			HINT = 'Insert the launch into adoption.launches (launch_id, feature_id, launched_at) first.';
	END IF;
	/* On a Citus coordinator: on each shard group, on its worker (citus.sql). */
	IF adoption.citus_distributed() THEN
		RETURN adoption.citus_run_sum(NULL, format('SELECT adoption.coordinate_launch(%L) AS n', launch_id));
	END IF;

	SELECT jsonb_agg(jsonb_build_object('tenant_id', e.tenant_id, 'template_key', 'launch_announcement',
			'feature_id', l.feature_id,
			'dedupe_key', jsonb_build_array('launch_announcement', l.launch_id)::text,
			'reason', jsonb_build_object('launch_id', l.launch_id, 'feature_id', l.feature_id,
				'launched_at', l.launched_at, 'campaign_id', l.campaign_id,
				'active_window', e.active_window::text))
		ORDER BY e.tenant_id)
	INTO batch
	FROM adoption.effective_settings AS e
	WHERE EXISTS (SELECT 1 FROM adoption.user_feature_state AS s
			WHERE s.tenant_id = e.tenant_id AND s.last_used_at > l.launched_at - e.active_window)
		AND NOT EXISTS (SELECT 1 FROM adoption.user_feature_state AS u
			WHERE u.tenant_id = e.tenant_id AND u.feature_id = l.feature_id);
	IF batch IS NULL THEN
		RETURN 0;
	END IF;

	SELECT array_agg(b.action_id) INTO ids FROM adoption.enqueue_batch(batch) AS b;
	IF ids IS NULL THEN
		RETURN 0;
	END IF;
	IF l.launched_at > now() THEN
		UPDATE adoption.campaign_action_queue AS q SET available_at = l.launched_at
		WHERE q.action_id = ANY (ids) AND q.template_key = 'launch_announcement';
	END IF;
	RETURN cardinality(ids);
END
$$;
COMMENT ON FUNCTION adoption.coordinate_launch(text) IS 'Enqueues launch_announcement, once per tenant and launch, for the tenants active within their active_window before launched_at (or since) that have no user of the launched feature; returns how many it enqueued';

CREATE OR REPLACE FUNCTION adoption.explain_health(tenant_id text, as_of timestamptz DEFAULT pg_catalog.now())
RETURNS TABLE (component text, inputs jsonb, score double precision, weight double precision,
	effective_weight double precision, contribution double precision)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
SET TimeZone = 'UTC'
SET jit = off
AS $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM adoption.tenants AS t WHERE t.tenant_id = explain_health.tenant_id) THEN
		RAISE EXCEPTION 'unknown tenant "%"', coalesce(explain_health.tenant_id, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Tenants are the rows of adoption.tenants; events register them on first sight.';
	END IF;
	/* On a Citus coordinator: on the tenant's shard group, on its worker (citus.sql). */
	IF adoption.citus_distributed() THEN
		RETURN QUERY
		SELECT r OPERATOR(pg_catalog.->>) 'component', r OPERATOR(pg_catalog.->) 'inputs',
			(r OPERATOR(pg_catalog.->>) 'score')::double precision, (r OPERATOR(pg_catalog.->>) 'weight')::double precision,
			(r OPERATOR(pg_catalog.->>) 'effective_weight')::double precision,
			(r OPERATOR(pg_catalog.->>) 'contribution')::double precision
		FROM adoption.citus_run_at(ARRAY[explain_health.tenant_id],
			format('SELECT * FROM adoption.explain_health(%L, %L)', explain_health.tenant_id, as_of)) AS r;
		RETURN;
	END IF;
	RETURN QUERY
	SELECT v.component, v.inputs, v.score, v.weight, h.weights[v.ord],
		coalesce(v.score * h.weights[v.ord], 0)
	FROM adoption.health_inputs(ARRAY[explain_health.tenant_id], as_of) AS i,
	LATERAL adoption.health_compute(i.events_recent, i.events_previous, i.last_event_at IS NOT NULL,
		i.core_features, i.core_active, i.core_adopters, i.adoption_threshold, i.active_users,
		i.tickets, i.billing, i.nps_promoters, i.nps_passives, i.nps_detractors, i.weights) AS h,
	LATERAL (VALUES
		(1, 'usage_trend', jsonb_build_object('events_last_30_days', i.events_recent,
			'events_previous_30_days', i.events_previous, 'last_event_at', i.last_event_at),
			h.usage_trend, i.weights[1]),
		(2, 'adoption', jsonb_build_object('core_features', i.core_features,
			'adoption_threshold', i.adoption_threshold, 'active_users', i.active_users,
			'adopters', coalesce((SELECT jsonb_object_agg(z.feature_id, z.adopters)
				FROM unnest(i.core_feature_ids, i.core_adopters) AS z(feature_id, adopters)), '{}')),
			h.adoption, i.weights[2]),
		(3, 'support', jsonb_build_object('tickets_last_30_days', jsonb_build_object('low', i.tickets[1],
			'medium', i.tickets[2], 'high', i.tickets[3], 'urgent', i.tickets[4]),
			'weighted_tickets', i.tickets[1] + 2 * i.tickets[2] + 4 * i.tickets[3] + 8 * i.tickets[4],
			'active_users', i.active_users, 'scale', greatest(1, 0.2 * i.active_users)),
			h.support, i.weights[3]),
		(4, 'billing', jsonb_build_object('last_90_days', jsonb_build_object('payment_failed', i.billing[1],
			'invoice_overdue', i.billing[2], 'downgrade', i.billing[3], 'refund', i.billing[4],
			'cancellation', i.billing[5]),
			'penalty', 25 * i.billing[1] + 25 * i.billing[2] + 30 * i.billing[3] + 10 * i.billing[4] + 100 * i.billing[5]),
			h.billing, i.weights[4]),
		(5, 'feedback', jsonb_build_object('nps_last_90_days', jsonb_build_object('promoters', i.nps_promoters,
			'passives', i.nps_passives, 'detractors', i.nps_detractors),
			'nps', CASE WHEN i.nps_promoters + i.nps_passives + i.nps_detractors > 0 THEN
				round(100.0 * (i.nps_promoters - i.nps_detractors) / (i.nps_promoters + i.nps_passives + i.nps_detractors), 2) END),
			h.feedback, i.weights[5])
	) AS v(ord, component, inputs, score, weight)
	ORDER BY v.ord;
END
$$;
COMMENT ON FUNCTION adoption.explain_health(text, timestamptz) IS 'One row per health component of a tenant as of a time: its inputs (for adoption: the tenant''s active users and, per core feature, how many of them adopted it), 0-100 score (NULL when absent), configured and effective weight, and contribution; the contributions sum to the score';

CREATE OR REPLACE FUNCTION adoption.citus_claim_actions(worker text, max integer, lease interval)
RETURNS SETOF adoption.campaign_actions
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	g record;
	got bigint := 0;
	n bigint;
	anchor text;
BEGIN
	FOR g IN
		SELECT min(c.tenant_id) AS anchor, count(*) AS n
		FROM (SELECT q.tenant_id FROM adoption.campaign_action_queue AS q
			WHERE q.status = 'pending' AND q.available_at <= now()
			ORDER BY q.available_at LIMIT max) AS c
		GROUP BY get_shard_id_for_distribution_column('adoption.campaign_action_queue', c.tenant_id)
	LOOP
		RETURN QUERY SELECT (jsonb_populate_record(NULL::adoption.campaign_actions, r)).*
			FROM adoption.citus_run_at(ARRAY[g.anchor],
				format('SELECT * FROM adoption.claim_actions(%L, %s, %L)', worker, g.n, lease)) AS r;
		GET DIAGNOSTICS n = ROW_COUNT;
		got := got + n;
	END LOOP;
	FOR anchor IN SELECT x.anchor FROM adoption.citus_shard_tenants() AS x LOOP
		EXIT WHEN got >= max;
		RETURN QUERY SELECT (jsonb_populate_record(NULL::adoption.campaign_actions, r)).*
			FROM adoption.citus_run_at(ARRAY[anchor],
				format('SELECT * FROM adoption.claim_actions(%L, %s, %L)', worker, max - got, lease)) AS r;
		GET DIAGNOSTICS n = ROW_COUNT;
		got := got + n;
	END LOOP;
END
$$;
COMMENT ON FUNCTION adoption.citus_claim_actions(text, integer, interval) IS 'Internal, Citus: adoption.claim_actions() on a coordinator, per shard group (the earliest due actions first)';

CREATE OR REPLACE FUNCTION adoption.citus_table(relname text)
RETURNS text
AS 'MODULE_PATHNAME', 'adoption_citus_table'
LANGUAGE C STABLE STRICT;
COMMENT ON FUNCTION adoption.citus_table(text) IS 'Internal: the relation that names table relname of the extension in this statement (its co-located shard in a Citus shard scope, else adoption.relname), for utility statements, which the planner does not see';

CREATE OR REPLACE FUNCTION adoption.citus_on_shard()
RETURNS boolean
AS 'MODULE_PATHNAME', 'adoption_citus_on_shard_sql'
LANGUAGE C STABLE;
COMMENT ON FUNCTION adoption.citus_on_shard() IS 'Internal: true while this backend works on one shard group of a Citus worker (a trigger on a shard, or a shard scope)';

REVOKE ALL ON adoption.snapshot_work_target, adoption.snapshot_work_user_day, adoption.snapshot_work_active FROM PUBLIC;

REVOKE ALL ON FUNCTION adoption.rescore_tenants(text, timestamptz, boolean, timestamptz),
	adoption.snapshot_tenants(date, date, text, boolean, timestamptz, date),
	adoption.citus_distributed(),
	adoption.citus_shard_tenants(text),
	adoption.citus_enter_tenant(text),
	adoption.citus_enter_shard(regclass),
	adoption.citus_leave(),
	adoption.notify_actions(text, bigint),
	adoption.citus_run(text, text),
	adoption.citus_run_at(text[], text),
	adoption.citus_run_sum(text, text),
	adoption.citus_claim_actions(text, integer, interval),
	adoption.citus_table(text),
	adoption.citus_on_shard()
	FROM PUBLIC;

GRANT EXECUTE ON FUNCTION adoption.citus_distributed(), adoption.citus_on_shard(),
	adoption.citus_run(text, text), adoption.citus_run_at(text[], text),
	adoption.citus_enter_tenant(text), adoption.citus_leave()
	TO adoption_analyst, adoption_tenant;

/*
 * Analytics audit (test/tap/analytics_oracle.sh): periods that begin after
 * today (UTC) are not observed. retention() has no row for them (not a
 * rate of 0), lifecycle() only zeros (nobody dormant yet), pes() no growth
 * part, feature_retention() does not count actors whose period of return
 * is still ahead (they counted as lost).
 */
CREATE OR REPLACE FUNCTION adoption.retention(actor text DEFAULT 'user'::text, feature_id text DEFAULT NULL::text, period text DEFAULT 'day'::text, from_date date DEFAULT (((now() AT TIME ZONE 'UTC'::text))::date - 89), to_date date DEFAULT ((now() AT TIME ZONE 'UTC'::text))::date, tenant_id text DEFAULT NULL::text, mode text DEFAULT 'on'::text)
 RETURNS TABLE(cohort_start date, cohort_size bigint, period_number integer, retained bigint, rate double precision)
 LANGUAGE plpgsql
 STABLE PARALLEL SAFE
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET "TimeZone" TO 'UTC'
 SET plan_cache_mode TO 'force_custom_plan'
AS $function$
DECLARE
	r record;
	matrix bigint[];
BEGIN
	r := adoption.analytics_periods(actor, period, from_date, to_date);
	IF mode IS NULL OR mode NOT IN ('on', 'on_or_after') THEN
		RAISE EXCEPTION 'unknown retention mode "%"', coalesce(mode, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				HINT = 'Valid modes are on (active exactly in period N) and on_or_after (in period N or later).';
	END IF;
	SELECT adoption.retention_matrix(a.bits, retention.mode = 'on_or_after') INTO matrix
	FROM adoption.actor_activity(retention.actor, retention.feature_id, retention.tenant_id,
		r.origin, retention.period, r.n) AS a;
	/* A period that begins after today (UTC) cannot be observed yet: no row, not a rate of 0. */
	RETURN QUERY
	SELECT adoption.period_start(r.origin, retention.period, m.cohort), m.cohort_size, m.period_number,
		m.retained, m.retained::double precision / m.cohort_size
	FROM adoption.retention_rows(matrix) AS m
	WHERE adoption.period_start(r.origin, retention.period, m.cohort + m.period_number)
		<= (pg_catalog.now() AT TIME ZONE 'UTC')::date
	ORDER BY m.cohort, m.period_number;
END
$function$
;
CREATE OR REPLACE FUNCTION adoption.lifecycle(actor text DEFAULT 'user'::text, feature_id text DEFAULT NULL::text, period text DEFAULT 'day'::text, from_date date DEFAULT (((now() AT TIME ZONE 'UTC'::text))::date - 89), to_date date DEFAULT ((now() AT TIME ZONE 'UTC'::text))::date, tenant_id text DEFAULT NULL::text)
 RETURNS TABLE(period_start date, status text, actors bigint)
 LANGUAGE plpgsql
 STABLE PARALLEL SAFE
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET "TimeZone" TO 'UTC'
 SET plan_cache_mode TO 'force_custom_plan'
AS $function$
DECLARE
	r record;
	counts bigint[];
BEGIN
	r := adoption.analytics_periods(actor, period, from_date, to_date);
	SELECT adoption.lifecycle_counts(a.bits, adoption.period_index(s.first_seen_at, r.origin, lifecycle.period))
	INTO counts
	FROM adoption.actor_activity(lifecycle.actor, lifecycle.feature_id, lifecycle.tenant_id,
			adoption.period_start(r.origin, lifecycle.period, -1), lifecycle.period, r.n + 1) AS a
		LEFT JOIN adoption.actor_first_seen(lifecycle.actor, lifecycle.feature_id, lifecycle.tenant_id) AS s
			ON s.actor_tenant = a.actor_tenant AND s.actor_user = a.actor_user;
	/* Nobody is dormant (or anything else) yet in a period that begins after today (UTC). */
	RETURN QUERY
	SELECT l.period_start, l.status,
		CASE WHEN l.period_start <= (pg_catalog.now() AT TIME ZONE 'UTC')::date THEN l.actors ELSE 0 END
	FROM adoption.lifecycle_rows(counts, r.origin, lifecycle.period, r.n) AS l;
END
$function$
;
COMMENT ON FUNCTION adoption.lifecycle(text, text, text, date, date, text) IS 'Per period: new, returning, resurrecting and dormant (negative) users or tenants';
CREATE OR REPLACE FUNCTION adoption.pes(actor text DEFAULT 'user'::text, feature_id text DEFAULT NULL::text, period text DEFAULT 'day'::text, from_date date DEFAULT (((now() AT TIME ZONE 'UTC'::text))::date - 89), to_date date DEFAULT ((now() AT TIME ZONE 'UTC'::text))::date, tenant_id text DEFAULT NULL::text)
 RETURNS TABLE(period_start date, active_actors bigint, adoption double precision, stickiness double precision, growth double precision, score double precision)
 LANGUAGE plpgsql
 STABLE PARALLEL SAFE
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET "TimeZone" TO 'UTC'
 SET plan_cache_mode TO 'force_custom_plan'
 SET jit TO 'off'
AS $function$
DECLARE
	r record;
	n_days integer;
BEGIN
	r := adoption.analytics_periods(actor, period, from_date, to_date);
	n_days := adoption.period_start(r.origin, period, r.n) - r.origin;
	/*
	 * The scans a branch does not need are behind one-time filters on the
	 * arguments (a custom plan per call folds them), so they never run.
	 */
	RETURN QUERY
	WITH daily AS MATERIALIZED (
		/* Daily, on the feature, from 29 days before the range: stickiness. */
		SELECT a.actor_tenant AS t, a.actor_user AS u, a.bits
		FROM adoption.actor_activity(pes.actor, pes.feature_id, pes.tenant_id, r.origin - 29, 'day', n_days + 29) AS a
	), periods AS MATERIALIZED (
		/* By period, on the feature, from the period before the range: lifecycle. */
		SELECT d.t, d.u, substring(d.bits FROM 29) AS bits FROM daily AS d WHERE pes.period = 'day'
		UNION ALL
		SELECT a.actor_tenant, a.actor_user, a.bits
		FROM adoption.actor_activity(pes.actor, pes.feature_id, pes.tenant_id,
			adoption.period_start(r.origin, pes.period, -1), pes.period, r.n + 1) AS a
		WHERE pes.period <> 'day'
	), any_feature AS MATERIALIZED (
		/* By period, on any feature, over the range: the actors the adoption part divides by. */
		SELECT p.t, p.u, substring(p.bits FROM 2) AS bits FROM periods AS p WHERE pes.feature_id IS NULL
		UNION ALL
		SELECT a.actor_tenant, a.actor_user, a.bits
		FROM adoption.actor_activity(pes.actor, NULL, pes.tenant_id, r.origin, pes.period, r.n) AS a
		WHERE pes.feature_id IS NOT NULL
	), core AS (
		SELECT f.feature_id, adoption.period_index(f.launched_at, r.origin, pes.period) AS launched_p
		FROM adoption.features AS f
		WHERE (pes.feature_id IS NULL AND f.tier = 'core') OR f.feature_id = pes.feature_id
	), adopted AS (
		/* Each adoption of a core feature (or of feature_id) counts from period k on. */
		SELECT s.actor_tenant AS t, s.actor_user AS u,
			greatest(0, adoption.period_index(s.adopted_at, r.origin, pes.period), coalesce(c.launched_p, 0)) AS k
		FROM adoption.actor_adoptions(pes.actor, pes.feature_id, pes.tenant_id) AS s
			JOIN core AS c ON c.feature_id = s.adopted_feature_id
	), counts AS (
		SELECT
			(SELECT adoption.stickiness_counts(d.bits, 29, r.origin, pes.period) FROM daily AS d) AS st,
			(SELECT adoption.lifecycle_counts(p.bits, adoption.period_index(f.first_seen_at, r.origin, pes.period))
				FROM periods AS p
				LEFT JOIN adoption.actor_first_seen(pes.actor, pes.feature_id, pes.tenant_id) AS f
					ON f.actor_tenant = p.t AND f.actor_user = p.u) AS lc,
			(SELECT adoption.period_counts(q.bits, 0) FROM any_feature AS q) AS act,
			(SELECT adoption.period_counts(q.bits, d.k)
				FROM adopted AS d JOIN any_feature AS q ON q.t = d.t AND q.u = d.u
				WHERE d.k < r.n) AS ad
	), adoption_part AS (
		/* period_counts is {n, counts[n]}. */
		SELECT p,
			100 * coalesce(c.ad[2 + p], 0)::double precision
			/ nullif(c.act[2 + p] * (SELECT count(*) FROM core WHERE core.launched_p IS NULL OR core.launched_p <= p), 0) AS v
		FROM counts AS c, generate_series(0, r.n - 1) AS p
	), growth_part AS (
		SELECT l.period_start AS ps,
			100 * sum(l.actors) FILTER (WHERE l.status IN ('new', 'resurrecting'))::double precision
				/ nullif(sum(abs(l.actors)) FILTER (WHERE l.status <> 'returning'), 0) AS v
		FROM counts AS c, adoption.lifecycle_rows(c.lc, r.origin, pes.period, r.n) AS l
		WHERE l.period_start <= (pg_catalog.now() AT TIME ZONE 'UTC')::date  /* as lifecycle(): nothing after today */
		GROUP BY l.period_start
	), parts AS (
		SELECT s.period_start AS ps, s.active_actors AS act, ap.v AS a, 100 * s.dau_mau AS st, g.v AS g
		FROM counts AS c
			CROSS JOIN adoption.stickiness_rows(c.st, r.origin, pes.period, n_days) AS s
			LEFT JOIN adoption_part AS ap ON adoption.period_start(r.origin, pes.period, ap.p) = s.period_start
			LEFT JOIN growth_part AS g ON g.ps = s.period_start
	)
	SELECT parts.ps, parts.act, parts.a, parts.st, parts.g,
		(coalesce(parts.a, 0) + coalesce(parts.st, 0) + coalesce(parts.g, 0))
			/ nullif((parts.a IS NOT NULL)::integer + (parts.st IS NOT NULL)::integer + (parts.g IS NOT NULL)::integer, 0)
	FROM parts
	ORDER BY parts.ps;
END
$function$
;
COMMENT ON FUNCTION adoption.pes(text, text, text, date, date, text) IS 'Product engagement score per period: mean of adoption (share of core features, or of feature_id, adopted, averaged over the actors active in the period on any feature), stickiness (DAU/MAU) and growth ((new + resurrecting) / (new + resurrecting + dormant)), each 0-100';
CREATE OR REPLACE FUNCTION adoption.feature_retention(actor text DEFAULT 'user'::text, feature_id text DEFAULT NULL::text, period text DEFAULT 'week'::text, from_date date DEFAULT (((now() AT TIME ZONE 'UTC'::text))::date - 89), to_date date DEFAULT ((now() AT TIME ZONE 'UTC'::text))::date, tenant_id text DEFAULT NULL::text, interval_number integer DEFAULT 1)
 RETURNS TABLE(feature text, adopters bigint, adopters_retained bigint, adopter_rate double precision, non_adopters bigint, non_adopters_retained bigint, non_adopter_rate double precision, lift double precision)
 LANGUAGE plpgsql
 STABLE PARALLEL SAFE
 SET search_path TO 'pg_catalog', 'pg_temp'
 SET "TimeZone" TO 'UTC'
 SET plan_cache_mode TO 'force_custom_plan'
AS $function$
DECLARE
	r record;
BEGIN
	r := adoption.analytics_periods(actor, period, from_date, to_date);
	IF interval_number IS NULL OR interval_number < 1 OR interval_number >= r.n THEN
		RAISE EXCEPTION 'interval_number % is out of range for % periods', coalesce(interval_number::text, 'NULL'), r.n
			USING ERRCODE = 'invalid_parameter_value',
				HINT = format('Valid interval numbers are 1 to %s: the range must hold the cohort period and the period of return.', r.n - 1);
	END IF;
	RETURN QUERY
	WITH acts AS (
		SELECT a.actor_tenant AS t, a.actor_user AS u, c.cohort,
			get_bit(a.bits, c.cohort + feature_retention.interval_number) = 1 AS kept
		FROM adoption.actor_activity(feature_retention.actor, NULL, feature_retention.tenant_id,
				r.origin, feature_retention.period, r.n) AS a,
			LATERAL (SELECT position(B'1' IN a.bits) - 1 AS cohort) AS c
		WHERE c.cohort + feature_retention.interval_number < r.n
			/* The period of return has begun (UTC): one still ahead would count everyone as lost. */
			AND adoption.period_start(r.origin, feature_retention.period, c.cohort + feature_retention.interval_number)
				<= (pg_catalog.now() AT TIME ZONE 'UTC')::date
	), adopted AS (
		SELECT s.actor_tenant AS t, s.actor_user AS u, s.adopted_feature_id AS f, s.adopted_at AS at
		FROM adoption.actor_adoptions(feature_retention.actor, feature_retention.feature_id,
			feature_retention.tenant_id) AS s
	), totals AS (
		SELECT count(*) AS n_all, count(*) FILTER (WHERE acts.kept) AS kept_all FROM acts
	), per AS (
		SELECT d.f, count(*) AS n_ad, count(*) FILTER (WHERE acts.kept) AS kept_ad
		FROM acts JOIN adopted AS d ON d.t = acts.t AND d.u = acts.u
			AND d.at < adoption.period_start(r.origin, feature_retention.period, acts.cohort + 1)::timestamp AT TIME ZONE 'UTC'
		GROUP BY d.f
	)
	SELECT per.f, per.n_ad, per.kept_ad, per.kept_ad::double precision / per.n_ad,
		totals.n_all - per.n_ad, totals.kept_all - per.kept_ad,
		(totals.kept_all - per.kept_ad)::double precision / nullif(totals.n_all - per.n_ad, 0),
		(per.kept_ad::double precision / per.n_ad)
			/ nullif((totals.kept_all - per.kept_ad)::double precision / nullif(totals.n_all - per.n_ad, 0), 0)
	FROM per, totals
	ORDER BY 8 DESC NULLS LAST, 1;
END
$function$
;

/*
 * Issue 19, the live queue in a ring of parts: adoption.campaign_action_queue
 * becomes a table list-partitioned by slot (16 parts), with the ring's
 * state (adoption.campaign_action_ring) and its functions; the queued
 * actions are carried over, each in the slot of its id's generation;
 * held_action() (dropped after the rename: it returned the old table's
 * row type) and upkeep() as installed; claim_actions() and fail_action()
 * follow with the cheaper drain below, complete_action() is at the top.
 * The old table's keys, indexes and check are renamed first: the new ones
 * take their names.
 */
ALTER TABLE adoption.campaign_action_queue RENAME TO campaign_action_queue_0_3;
ALTER INDEX adoption.campaign_action_queue_pkey RENAME TO campaign_action_queue_0_3_pkey;
ALTER INDEX adoption.campaign_action_queue_pending RENAME TO campaign_action_queue_0_3_pending;
ALTER INDEX adoption.campaign_action_queue_claimed RENAME TO campaign_action_queue_0_3_claimed;
ALTER INDEX adoption.campaign_action_queue_id RENAME TO campaign_action_queue_0_3_id;
ALTER TABLE adoption.campaign_action_queue_0_3 RENAME CONSTRAINT campaign_action_queue_status_check TO campaign_action_queue_0_3_status_check;
DROP FUNCTION adoption.held_action(bigint, text);
/*
 * The slot for an action queued now by a statement that names none (the
 * generation of the sequence now, which every row the statement can see is
 * of or before), after giving the transaction its id: the ring's barrier
 * (advance_action_ring()) counts on that.  The queue's default for slot;
 * the engine, enqueue_action() and enqueue_batch() name the slot of the
 * action's own id (actions.c), fail_action() the slot of now.
 */
CREATE FUNCTION adoption.action_new_slot()
RETURNS smallint
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM pg_current_xact_id();
	RETURN adoption.action_slot(adoption.action_current_generation());
END
$$;
COMMENT ON FUNCTION adoption.action_new_slot() IS 'Internal: the slot of the action queue''s ring for an action queued now (the default of campaign_action_queue.slot)';

CREATE TABLE adoption.campaign_action_queue (
	action_id bigint NOT NULL DEFAULT pg_catalog.nextval('adoption.campaign_action_id_seq'),
	tenant_id text NOT NULL,
	user_id text,
	feature_id text,
	template_key text NOT NULL,
	campaign_id text,
	reason jsonb NOT NULL DEFAULT '{}',
	dedupe_key text NOT NULL,
	status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'claimed')),
	attempts integer NOT NULL DEFAULT 0,
	available_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	claimed_by text,
	lease_until timestamptz,
	last_error text,
	created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
	completed_at timestamptz,
	status_reason text,
	slot smallint NOT NULL DEFAULT adoption.action_new_slot() CHECK (slot BETWEEN 0 AND 15),
	PRIMARY KEY (tenant_id, action_id, slot)
) PARTITION BY LIST (slot);
CREATE INDEX campaign_action_queue_pending ON adoption.campaign_action_queue (available_at, action_id) WHERE status = 'pending';
CREATE INDEX campaign_action_queue_claimed ON adoption.campaign_action_queue (lease_until) WHERE status = 'claimed';
CREATE INDEX campaign_action_queue_id ON adoption.campaign_action_queue (action_id);
COMMENT ON TABLE adoption.campaign_action_queue IS 'Live campaign actions (pending, claimed), in a ring of 16 parts by slot; read adoption.campaign_actions';
COMMENT ON COLUMN adoption.campaign_action_queue.slot IS 'Part of the ring the action is in: its generation (adoption.action_generation()) modulo 16';
DO $$
BEGIN
	FOR s IN 0..15 LOOP
		EXECUTE pg_catalog.format('CREATE TABLE adoption.%I PARTITION OF adoption.campaign_action_queue FOR VALUES IN (%s) WITH (fillfactor = 70)',
			'campaign_action_queue_' OPERATOR(pg_catalog.||) s, s);
		EXECUTE pg_catalog.format('COMMENT ON TABLE adoption.%I IS %L', 'campaign_action_queue_' OPERATOR(pg_catalog.||) s,
			'Slot ' OPERATOR(pg_catalog.||) s OPERATOR(pg_catalog.||) ' of the ring of adoption.campaign_action_queue; read the parent');
		/* pg_dump dumps a partitioned table's rows with its parts: each part is registered. */
		PERFORM pg_catalog.pg_extension_config_dump(pg_catalog.format('adoption.%I',
			'campaign_action_queue_' OPERATOR(pg_catalog.||) s)::pg_catalog.regclass, '');
	END LOOP;
END
$$;
SELECT pg_catalog.pg_extension_config_dump('adoption.campaign_action_queue', '');

/*
 * One row per slot of the ring: drained_gen is the last generation of the
 * slot found drained (no action of it or of an earlier generation of the
 * slot is live, or ever will be); observed_gen and barrier are the
 * observation advance_action_ring() waits on; drained_xmax the transaction
 * ids that had all ended when the slot was found drained (what
 * truncate_drained_actions() waits for every snapshot to see).  Not
 * dumped: a restored database starts from nothing known, which is safe.
 */
CREATE TABLE adoption.campaign_action_ring (
	slot smallint PRIMARY KEY CHECK (slot BETWEEN 0 AND 15),
	drained_gen bigint NOT NULL,
	observed_gen bigint,
	barrier xid8,
	drained_xmax xid8,
	checked_at timestamptz,
	truncated_gen bigint
);
COMMENT ON TABLE adoption.campaign_action_ring IS 'Internal: the state of the ring of adoption.campaign_action_queue, one row per slot (docs/action-queue.md)';
INSERT INTO adoption.campaign_action_ring (slot, drained_gen) SELECT s, s - 16 FROM generate_series(0, 15) AS s;

/* The ring's size, stated once (queue.c): 16 slots, generations of 16,384 action ids. */
CREATE FUNCTION adoption.action_ring_slots()
RETURNS integer
AS 'MODULE_PATHNAME', 'adoption_action_ring_slots'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION adoption.action_ring_slots() IS 'Internal: the number of slots (parts) of the action queue''s ring: 16';
CREATE FUNCTION adoption.action_generation_ids()
RETURNS bigint
AS 'MODULE_PATHNAME', 'adoption_action_generation_ids'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION adoption.action_generation_ids() IS 'Internal: the number of action ids in a generation of the action queue''s ring: 16,384';

/* The generation of an action id: ids in blocks of 16,384. */
CREATE FUNCTION adoption.action_generation(action_id bigint)
RETURNS bigint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN action_id OPERATOR(pg_catalog./) adoption.action_generation_ids();
COMMENT ON FUNCTION adoption.action_generation(bigint) IS 'Internal: the generation of the action queue''s ring that an action id (or a value of the action id sequence) belongs to: blocks of 16,384 ids';

/* The slot of a generation. */
CREATE FUNCTION adoption.action_slot(generation bigint)
RETURNS smallint
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
RETURN (generation OPERATOR(pg_catalog.%) adoption.action_ring_slots())::smallint;
COMMENT ON FUNCTION adoption.action_slot(bigint) IS 'Internal: the slot of the action queue''s ring that holds a generation (the generation modulo 16)';

/*
 * The generation of the action id sequence now, read past any snapshot:
 * every action a snapshot taken before the call can see is of this
 * generation or an earlier one.  Every name qualified and no SET: the
 * caller inlines it.
 */
CREATE FUNCTION adoption.action_current_generation()
RETURNS bigint
LANGUAGE sql VOLATILE
RETURN adoption.action_generation(coalesce(pg_catalog.pg_sequence_last_value('adoption.campaign_action_id_seq'::pg_catalog.regclass), 0));
COMMENT ON FUNCTION adoption.action_current_generation() IS 'Internal: the generation of the last value of adoption.campaign_action_id_seq';

/*
 * The slots a claim must scan: those whose next generation has begun
 * (every slot on a Citus cluster, and any slot found drained in a
 * generation the sequence is not past: it was set back).  Every action a snapshot taken before
 * the call can see is in one of them.
 */
CREATE FUNCTION adoption.action_live_slots()
RETURNS smallint[]
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cur bigint;
BEGIN
	IF adoption.citus_on_shard() OR adoption.citus_distributed() THEN
		RETURN ARRAY(SELECT s::smallint FROM generate_series(0, adoption.action_ring_slots() - 1) AS s);
	END IF;
	cur := adoption.action_current_generation();
	/* (drained_gen >= cur only if the sequence was set back: then every slot is live.) */
	RETURN ARRAY(SELECT r.slot FROM adoption.campaign_action_ring AS r
		WHERE r.drained_gen + adoption.action_ring_slots() <= cur OR r.drained_gen >= cur ORDER BY r.slot);
END
$$;
COMMENT ON FUNCTION adoption.action_live_slots() IS 'Internal: the slots of the action queue''s ring that may hold a live action (all of them on a Citus cluster)';

/*
 * Returns how many slots it found drained.  One step of the ring's
 * bookkeeping, run by claim_actions() before it claims; does nothing on a
 * Citus cluster or outside READ COMMITTED (its check needs a snapshot
 * newer than the barrier).  For each slot whose last generation found
 * drained is followed by a complete one (handed out: the sequence is past
 * it), at most every 100 ms and without waiting for a claim that is at it:
 *   no observation: note the last complete generation of the slot and the
 *     barrier, the transaction ids in use now (every writer that took an
 *     id of that generation, or read the sequence for a retry, has one: it
 *     takes it first: actions.c, the queue's default for slot, and
 *     take_held_action()'s delete before fail_action() reads the sequence);
 *   observation whose barrier every running transaction has passed: if the
 *     slot holds no row (a new snapshot, so every such writer's rows are
 *     seen), its generations up to the observed one are drained; else
 *     observe again.
 */
CREATE FUNCTION adoption.advance_action_ring()
RETURNS integer
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	/* Scalars, not a record: a plan that reads a record's field is made again at each call. */
	s smallint;
	observed bigint;
	bar xid8;
	cur bigint;
	found_drained integer := 0;
BEGIN
	IF adoption.citus_on_shard() OR adoption.citus_distributed()
		OR current_setting('transaction_isolation') <> 'read committed' THEN
		RETURN 0;
	END IF;
	cur := adoption.action_current_generation();
	FOR s, observed, bar IN
		SELECT g.slot, g.observed_gen, g.barrier FROM adoption.campaign_action_ring AS g
		WHERE g.drained_gen + adoption.action_ring_slots() < cur
			AND (g.checked_at IS NULL OR g.checked_at < clock_timestamp() - interval '100 milliseconds')
		ORDER BY g.drained_gen
		FOR UPDATE SKIP LOCKED
	LOOP
		IF bar IS NOT NULL AND pg_snapshot_xmin(pg_current_snapshot()) >= bar THEN
			IF NOT EXISTS (SELECT FROM adoption.campaign_action_queue AS q WHERE q.slot = s) THEN
				UPDATE adoption.campaign_action_ring AS g
				SET drained_gen = observed, observed_gen = NULL, barrier = NULL,
					drained_xmax = pg_snapshot_xmax(pg_current_snapshot()), checked_at = clock_timestamp()
				WHERE g.slot = s;
				found_drained := found_drained + 1;
				CONTINUE;
			END IF;
			bar := NULL;
		END IF;
		IF bar IS NULL THEN
			/* The last generation of the slot before cur (cur itself may still be handed out). */
			UPDATE adoption.campaign_action_ring AS g
			SET observed_gen = s + adoption.action_ring_slots() * ((cur - 1 - s) / adoption.action_ring_slots()),
				barrier = pg_snapshot_xmax(pg_current_snapshot()), checked_at = clock_timestamp()
			WHERE g.slot = s;
		ELSE
			UPDATE adoption.campaign_action_ring AS g SET checked_at = clock_timestamp() WHERE g.slot = s;
		END IF;
	END LOOP;
	RETURN found_drained;
END
$$;
COMMENT ON FUNCTION adoption.advance_action_ring() IS 'Internal: one step of the bookkeeping of the action queue''s ring (run by claim_actions()); returns the number of slots it found drained';

/*
 * Returns how many slots it truncated.  A drained slot whose next
 * generation has not begun is truncated once no snapshot can still see
 * the rows it held (every backend's xmin and every replication slot's xmin
 * is past the transactions that had ended when it was found drained: a
 * REPEATABLE READ reader never finds actions gone that it saw live), and
 * only if its lock is free at once (NOWAIT: a reader of the queue, a
 * writer or a claim that holds it is never waited for); the ones left
 * are tried again at the next call.  The truncation holds the slot's lock
 * to the end of the caller's transaction: call it in a transaction of its
 * own (upkeep() does, from pg_cron).
 */
CREATE FUNCTION adoption.truncate_drained_actions()
RETURNS integer
LANGUAGE plpgsql
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	s smallint;
	drained bigint;
	cur bigint;
	me bigint;
	oldest integer;
	truncated integer := 0;
BEGIN
	IF adoption.citus_on_shard() OR adoption.citus_distributed() THEN
		RETURN 0;
	END IF;
	cur := adoption.action_current_generation();
	me := pg_current_xact_id()::text::bigint;
	/*
	 * age() counts from this transaction's id: the oldest xmin any other
	 * backend's snapshot or a replication slot holds (this one's are newer
	 * than the drain).
	 */
	SELECT max(x.a) INTO oldest FROM (
		SELECT age(a.backend_xmin) AS a FROM pg_stat_activity AS a
		WHERE a.backend_xmin IS NOT NULL AND a.pid <> pg_backend_pid()
		UNION ALL
		SELECT age(rs.xmin) FROM pg_replication_slots AS rs WHERE rs.xmin IS NOT NULL
	) AS x;
	FOR s, drained IN
		SELECT g.slot, g.drained_gen FROM adoption.campaign_action_ring AS g
		WHERE g.drained_gen > coalesce(g.truncated_gen, g.drained_gen - 1) AND g.drained_gen + adoption.action_ring_slots() > cur
			AND g.drained_xmax IS NOT NULL
			AND coalesce(oldest, 0) <= me - g.drained_xmax::text::bigint
		ORDER BY g.slot
		FOR UPDATE SKIP LOCKED
	LOOP
		BEGIN
			EXECUTE format('LOCK TABLE adoption.%I IN ACCESS EXCLUSIVE MODE NOWAIT', 'campaign_action_queue_' || s);
			/* Under the lock no writer is inserting; one that did since is seen. */
			IF NOT EXISTS (SELECT FROM adoption.campaign_action_queue AS q WHERE q.slot = s) THEN
				EXECUTE format('TRUNCATE adoption.%I', 'campaign_action_queue_' || s);
				UPDATE adoption.campaign_action_ring AS g SET truncated_gen = drained WHERE g.slot = s;
				truncated := truncated + 1;
			END IF;
		EXCEPTION WHEN lock_not_available THEN
			NULL;
		END;
	END LOOP;
	RETURN truncated;
END
$$;
COMMENT ON FUNCTION adoption.truncate_drained_actions() IS 'Truncates the drained slots of the action queue''s ring that no snapshot can still read and whose lock is free at once (never waits); returns how many; upkeep() runs it';

/*
 * Finds a live claimed action for complete_action() and fail_action() and
 * locks it (which gives the transaction its id before fail_action() reads
 * the sequence: advance_action_ring()).
 */
CREATE FUNCTION adoption.held_action(action_id bigint, worker text)
RETURNS adoption.campaign_action_queue
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	a adoption.campaign_action_queue;
	finished text;
	t text;
	s smallint;
BEGIN
	IF action_id IS NULL THEN
		RAISE EXCEPTION 'action_id must not be NULL' USING ERRCODE = 'invalid_parameter_value';
	END IF;
	/*
	 * The tenant and the slot first: on a Citus cluster a row lock needs
	 * the distribution column (a query routed to one shard).  Every slot:
	 * the action in the slot of its own generation was looked for by
	 * take_held_action() (or complete_action()) already.
	 */
	SELECT q.tenant_id, q.slot INTO t, s FROM adoption.campaign_action_queue AS q WHERE q.action_id = held_action.action_id;
	SELECT q.* INTO a FROM adoption.campaign_action_queue AS q
	WHERE q.tenant_id = t AND q.action_id = held_action.action_id AND q.slot = s FOR UPDATE;
	IF NOT FOUND THEN
		SELECT r.status INTO finished FROM adoption.campaign_action_archive AS r WHERE r.action_id = held_action.action_id;
		IF FOUND THEN
			RAISE EXCEPTION 'campaign action % is already %', action_id, finished
				USING ERRCODE = 'object_not_in_prerequisite_state';
		END IF;
		RAISE EXCEPTION 'campaign action % does not exist', action_id USING ERRCODE = 'no_data_found';
	END IF;
	IF a.status <> 'claimed' THEN
		RAISE EXCEPTION 'campaign action % is not claimed', action_id
			USING ERRCODE = 'object_not_in_prerequisite_state',
				HINT = 'Claim actions with adoption.claim_actions() before completing or failing them.';
	END IF;
	IF worker IS NOT NULL AND a.claimed_by IS DISTINCT FROM worker THEN
		RAISE EXCEPTION 'campaign action % is held by worker "%", not "%"', action_id, a.claimed_by, worker
			USING ERRCODE = 'object_not_in_prerequisite_state';
	END IF;
	IF a.lease_until < now() THEN
		RAISE EXCEPTION 'the lease of campaign action % expired at %', action_id, a.lease_until
			USING ERRCODE = 'object_not_in_prerequisite_state',
				HINT = 'Another worker may claim it now; claim with a longer lease if the work takes longer.';
	END IF;
	RETURN a;
END
$$;

/*
 * Deletes a live claimed action from the queue for complete_action() and
 * fail_action() and returns it, or raises held_action()'s error.  In one
 * statement when the action is in the slot of its own generation (an
 * action not retried yet) on one node: the DELETE rechecks the claim on
 * the row's latest version, as held_action()'s lock does; else
 * held_action() and a DELETE by key (the tenant first, for Citus).  Its
 * plans, and held_action()'s, are generic (pruned as they run: a custom
 * plan of a statement on the 16 parts costs more to make than to run),
 * but on a Citus coordinator (its setting is restored when it returns).
 */
CREATE FUNCTION adoption.take_held_action(action_id bigint, worker text)
RETURNS adoption.campaign_action_queue
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
	a adoption.campaign_action_queue;
	own smallint;
BEGIN
	IF action_id IS NOT NULL AND NOT adoption.citus_distributed() THEN
		own := adoption.action_slot(adoption.action_generation(action_id));
		DELETE FROM adoption.campaign_action_queue AS q
		WHERE q.action_id = take_held_action.action_id AND q.slot = own
			/* a test, not an index condition: the row is found by its id */
			AND CASE WHEN q.status = 'claimed' AND q.lease_until >= now()
				AND (worker IS NULL OR q.claimed_by = worker) THEN true ELSE false END
		RETURNING q.* INTO a;
		IF FOUND THEN
			RETURN a;
		END IF;
	END IF;
	/* Citus plans a distributed statement with parameters only as a custom plan. */
	IF adoption.citus_distributed() THEN
		PERFORM set_config('plan_cache_mode', 'auto', true);
	END IF;
	a := adoption.held_action(action_id, worker);
	DELETE FROM adoption.campaign_action_queue AS q
	WHERE q.tenant_id = a.tenant_id AND q.action_id = a.action_id AND q.slot = a.slot;
	RETURN a;
END
$$;

CREATE OR REPLACE VIEW adoption.campaign_actions WITH (security_invoker = true) AS
SELECT action_id, tenant_id, user_id, feature_id, template_key, campaign_id, reason, dedupe_key,
	status, attempts, available_at, claimed_by, lease_until, last_error, created_at, completed_at, status_reason
FROM adoption.campaign_action_queue
UNION ALL
SELECT action_id, tenant_id, user_id, feature_id, template_key, campaign_id, reason, dedupe_key,
	status, attempts, available_at, claimed_by, lease_until, last_error, created_at, completed_at, status_reason
FROM adoption.campaign_action_archive;
COMMENT ON VIEW adoption.campaign_actions IS 'Every campaign action: pending and claimed ones in the queue, done, dead and withdrawn ones in the archive';
COMMENT ON COLUMN adoption.campaign_actions.action_id IS 'Id to pass to complete_action() and fail_action()';
COMMENT ON COLUMN adoption.campaign_actions.tenant_id IS 'Tenant the action is for';
COMMENT ON COLUMN adoption.campaign_actions.user_id IS 'User the action is for; NULL for tenant-level actions';
COMMENT ON COLUMN adoption.campaign_actions.feature_id IS 'Feature the action is about, if any';
COMMENT ON COLUMN adoption.campaign_actions.template_key IS 'Campaign template (adoption.campaign_templates)';
COMMENT ON COLUMN adoption.campaign_actions.campaign_id IS 'Campaign of the template when the action was enqueued';
COMMENT ON COLUMN adoption.campaign_actions.reason IS 'The evidence: milestone, counts, thresholds, times';
COMMENT ON COLUMN adoption.campaign_actions.dedupe_key IS 'Unique per tenant among the actions not withdrawn: the same key is never enqueued twice, unless its action was withdrawn';
COMMENT ON COLUMN adoption.campaign_actions.status IS 'pending, claimed, done, dead, or withdrawn (the play policy forbade it after it was queued; see status_reason)';
COMMENT ON COLUMN adoption.campaign_actions.attempts IS 'Times the action was claimed';
COMMENT ON COLUMN adoption.campaign_actions.available_at IS 'When a worker may claim it (later after a failure: exponential backoff)';
COMMENT ON COLUMN adoption.campaign_actions.claimed_by IS 'Worker holding or last holding it';
COMMENT ON COLUMN adoption.campaign_actions.lease_until IS 'End of the claim; after it another worker may take the action';
COMMENT ON COLUMN adoption.campaign_actions.last_error IS 'Error given to the last fail_action()';
COMMENT ON COLUMN adoption.campaign_actions.created_at IS 'When it was enqueued';
COMMENT ON COLUMN adoption.campaign_actions.completed_at IS 'When it became done, dead or withdrawn';
COMMENT ON COLUMN adoption.campaign_actions.status_reason IS 'Why a withdrawn action was withdrawn (the play policy and the account''s states); NULL otherwise';

INSERT INTO adoption.campaign_action_queue
SELECT o.action_id, o.tenant_id, o.user_id, o.feature_id, o.template_key, o.campaign_id, o.reason, o.dedupe_key,
	o.status, o.attempts, o.available_at, o.claimed_by, o.lease_until, o.last_error, o.created_at, o.completed_at,
	o.status_reason, adoption.action_slot(adoption.action_generation(o.action_id))
FROM adoption.campaign_action_queue_0_3 AS o;
ALTER EXTENSION pg_adoption DROP TABLE adoption.campaign_action_queue_0_3;
DROP TABLE adoption.campaign_action_queue_0_3;

/*
 * What the pg_cron job runs: partitions ahead, retention, rescoring, the
 * daily adoption snapshots (bi.sql), the truncation of the action queue's
 * drained slots (actions.sql: in the job's own transaction), and
 * trimming of its own pg_cron run records older than a week (pg_cron keeps
 * them forever) when pg_cron lives in this database and allows it.
 */
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
	slots_truncated integer;
BEGIN
	created := adoption.ensure_partitions(3);
	dropped := adoption.apply_retention();
	scored := adoption.rescore();
	snapshot_days := adoption.snapshot_adoption();
	slots_truncated := adoption.truncate_drained_actions();
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
		'tenants_rescored', scored, 'snapshot_days', snapshot_days, 'cron_runs_trimmed', trimmed,
		'queue_slots_truncated', slots_truncated);
END
$$;
COMMENT ON FUNCTION adoption.upkeep() IS 'The scheduled job: ensure_partitions(3), apply_retention(), rescore(), snapshot_adoption() (daily adoption snapshots), truncate_drained_actions() (the action queue''s drained slots), and trimming of its pg_cron run records older than 7 days; returns what it did as JSON';

/* Privileges and row-level security as security.sql sets them. */
REVOKE ALL ON FUNCTION adoption.action_generation(bigint), adoption.action_slot(bigint),
	adoption.action_current_generation(), adoption.action_live_slots(), adoption.advance_action_ring(),
	adoption.truncate_drained_actions(), adoption.held_action(bigint, text), adoption.action_new_slot(),
	adoption.take_held_action(bigint, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION adoption.truncate_drained_actions() TO adoption_app;
REVOKE ALL ON adoption.campaign_action_queue, adoption.campaign_action_ring FROM PUBLIC;
GRANT SELECT ON adoption.campaign_action_queue, adoption.campaign_action_ring TO adoption_analyst, adoption_tenant;
DO $$
BEGIN
	FOR s IN 0..15 LOOP
		EXECUTE pg_catalog.format('REVOKE ALL ON adoption.%I FROM PUBLIC', 'campaign_action_queue_' OPERATOR(pg_catalog.||) s);
		EXECUTE pg_catalog.format('GRANT SELECT ON adoption.%I TO adoption_analyst, adoption_tenant', 'campaign_action_queue_' OPERATOR(pg_catalog.||) s);
		EXECUTE pg_catalog.format('REVOKE SELECT ON adoption.%I FROM adoption_analyst, adoption_tenant',
			'campaign_action_queue_' OPERATOR(pg_catalog.||) s);
	END LOOP;
END
$$;
ALTER TABLE adoption.campaign_action_queue ENABLE ROW LEVEL SECURITY;
CREATE POLICY all_rows ON adoption.campaign_action_queue TO adoption_app, adoption_analyst USING (true) WITH CHECK (true);
CREATE POLICY own_tenant ON adoption.campaign_action_queue FOR SELECT TO adoption_tenant
	USING (tenant_id OPERATOR(pg_catalog.=) NULLIF(pg_catalog.current_setting('adoption.tenant_id', true), ''));
COMMENT ON POLICY all_rows ON adoption.campaign_action_queue IS 'adoption_app and adoption_analyst see and write every row (their table privileges limit what they may do)';
COMMENT ON POLICY own_tenant ON adoption.campaign_action_queue IS 'adoption_tenant reads only the rows of the tenant named by the setting adoption.tenant_id (none when adoption.tenant_id is unset or empty)';

/*
 * Issue 18 audit (test/tap/persona_oracle.sh): feature_requests.latest_text
 * breaks ties of created_at by feedback_id (then tenant_id), so it no longer
 * depends on the order the rows arrived in.  (messaging_opportunities, new
 * in 0.4.0, is created above as fixed by the audit.)
 */
CREATE OR REPLACE VIEW adoption.feature_requests WITH (security_invoker = true) AS
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
COMMENT ON COLUMN adoption.feature_requests.latest_text IS 'Text of the latest request (of requests at the same time, the least feedback_id)';

/*
 * Issue 19, a cheaper drain: complete_action() in C (queue.c; defined at
 * the top), the ring's size stated once (action_ring_slots(),
 * action_generation_ids(): created with the ring above, before the
 * functions that read it), held_action() without its own-slot probe,
 * fail_action() queueing a retry with the slot's default, claim_actions()
 * claiming through claim_pending() (queue.c) when claim_direct() says it
 * may.
 */
CREATE FUNCTION adoption.claim_direct()
RETURNS boolean
AS 'MODULE_PATHNAME', 'adoption_claim_direct'
LANGUAGE C STABLE
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION adoption.claim_direct() IS 'Internal: whether claim_actions() may claim through adoption.claim_pending()';
CREATE FUNCTION adoption.claim_pending(worker text, max integer, lease interval, live smallint[])
RETURNS SETOF adoption.campaign_actions
AS 'MODULE_PATHNAME', 'adoption_claim_pending'
LANGUAGE C VOLATILE STRICT
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION adoption.claim_pending(text, integer, interval, smallint[]) IS 'Internal: claims up to max due pending actions of the live slots for worker (claim_actions() without the executor)';

/*
 * Hands out up to max pending actions (and claimed ones whose lease
 * expired) to worker; SKIP LOCKED, so concurrent workers get disjoint sets.
 * Due actions first, by available_at (and action_id among actions due at
 * the same time), from the slots of the ring that may hold live actions.
 */
CREATE OR REPLACE FUNCTION adoption.claim_actions(worker text, max integer DEFAULT 100, lease interval DEFAULT '5 minutes')
RETURNS SETOF adoption.campaign_actions
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
SET plan_cache_mode = force_generic_plan
SET enable_seqscan = off
SET enable_bitmapscan = off
SET enable_sort = off
SET enable_hashjoin = off
SET enable_mergejoin = off
SET jit = off
AS $$
DECLARE
	claimed bigint;
	live smallint[];
BEGIN
	IF worker IS NULL OR btrim(worker) = '' THEN
		RAISE EXCEPTION 'worker must not be empty' USING ERRCODE = 'invalid_parameter_value',
			HINT = 'Name the worker, e.g. its host and process id; complete_action() can check it.';
	END IF;
	IF max IS NULL OR max < 0 THEN
		RAISE EXCEPTION 'max must not be negative, not %', coalesce(max::text, 'NULL') USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF lease IS NULL OR lease <= interval '0' THEN
		RAISE EXCEPTION 'lease must be positive, not %', coalesce(lease::text, 'NULL') USING ERRCODE = 'invalid_parameter_value',
			HINT = 'The lease is how long the worker holds the actions, e.g. ''5 minutes''.';
	END IF;
	/*
	 * On a Citus coordinator: per shard group, on its worker (citus.sql),
	 * with custom plans (Citus plans a distributed statement with
	 * parameters no other way; set back when this function returns).
	 */
	IF adoption.citus_distributed() THEN
		PERFORM set_config('plan_cache_mode', 'auto', true);
		RETURN QUERY SELECT c.* FROM adoption.citus_claim_actions(worker, max, lease) AS c;
		RETURN;
	END IF;

	PERFORM adoption.advance_action_ring();
	/*
	 * The slots to scan, as a list the executor prunes the others by when
	 * it starts the statement (a plan kept for the session: a parameter
	 * array would not prune).  An action committed since this call began
	 * and in a slot not listed is the next claim's, as if it had committed
	 * a moment later.  (One element per slot: adoption.action_ring_slots().)
	 */
	live := adoption.action_live_slots();

	/* Expired leases of actions out of attempts (the tenant's max_attempts): dead, not handed out again. */
	WITH expired AS (
		DELETE FROM adoption.campaign_action_queue AS q
		WHERE q.status = 'claimed' AND q.lease_until < now()
			AND q.attempts >= (adoption.tenant_settings(q.tenant_id)).max_attempts
			AND (q.action_id, q.slot) IN (SELECT e.action_id, e.slot FROM adoption.campaign_action_queue AS e
				WHERE e.status = 'claimed' AND e.lease_until < now()
				FOR UPDATE SKIP LOCKED)
		RETURNING q.*
	)
	INSERT INTO adoption.campaign_action_archive
	SELECT e.action_id, e.tenant_id, e.user_id, e.feature_id, e.template_key, e.campaign_id, e.reason,
		e.dedupe_key, 'dead', e.attempts, e.available_at, e.claimed_by, e.lease_until,
		coalesce(e.last_error, 'lease expired'), e.created_at, now()
	FROM expired AS e;

	/*
	 * Due pending actions first, then actions whose lease expired.  The
	 * first without the executor when it may (claim_pending(), queue.c),
	 * else as this statement.
	 */
	IF adoption.claim_direct() THEN
		RETURN QUERY SELECT c.* FROM adoption.claim_pending(worker, max, lease, live) AS c;
	ELSE
		RETURN QUERY
		WITH locked AS (
			SELECT p.tenant_id, p.action_id, p.slot FROM adoption.campaign_action_queue AS p
			WHERE p.status = 'pending' AND p.available_at <= now()
				AND p.slot IN (live[1], live[2], live[3], live[4], live[5], live[6], live[7], live[8],
					live[9], live[10], live[11], live[12], live[13], live[14], live[15], live[16])
			ORDER BY p.available_at, p.action_id
			LIMIT max
			FOR UPDATE SKIP LOCKED
		)
		UPDATE adoption.campaign_action_queue AS q
		SET status = 'claimed', claimed_by = worker, lease_until = now() + lease, attempts = q.attempts + 1
		FROM locked AS l
		WHERE q.tenant_id = l.tenant_id AND q.action_id = l.action_id AND q.slot = l.slot
		RETURNING q.action_id, q.tenant_id, q.user_id, q.feature_id, q.template_key, q.campaign_id, q.reason,
			q.dedupe_key, q.status, q.attempts, q.available_at, q.claimed_by, q.lease_until, q.last_error,
			q.created_at, q.completed_at, q.status_reason;
	END IF;
	GET DIAGNOSTICS claimed = ROW_COUNT;
	IF claimed < max THEN
		RETURN QUERY
		WITH locked AS (
			SELECT x.tenant_id, x.action_id, x.slot FROM adoption.campaign_action_queue AS x
			WHERE x.status = 'claimed' AND x.lease_until < now()
			ORDER BY x.lease_until
			LIMIT max - claimed
			FOR UPDATE SKIP LOCKED
		)
		UPDATE adoption.campaign_action_queue AS q
		SET claimed_by = worker, lease_until = now() + lease, attempts = q.attempts + 1
		FROM locked AS l
		WHERE q.tenant_id = l.tenant_id AND q.action_id = l.action_id AND q.slot = l.slot
		RETURNING q.action_id, q.tenant_id, q.user_id, q.feature_id, q.template_key, q.campaign_id, q.reason,
			q.dedupe_key, q.status, q.attempts, q.available_at, q.claimed_by, q.lease_until, q.last_error,
			q.created_at, q.completed_at, q.status_reason;
	END IF;
END
$$;
COMMENT ON FUNCTION adoption.claim_actions(text, integer, interval) IS 'Claims up to max due actions for worker for the lease; never hands one action to two workers at once';

/*
 * A retry is queued again, pending, in the generation of the sequence now
 * (a new row, not an update across slots: a claim that meets the old one
 * skips it as deleted), so that an old generation drains.
 */
CREATE OR REPLACE FUNCTION adoption.fail_action(action_id bigint, error text, worker text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	a adoption.campaign_action_queue := adoption.take_held_action(action_id, worker);
	max_attempts integer;
BEGIN
	max_attempts := (adoption.tenant_settings(a.tenant_id)).max_attempts;
	IF a.attempts >= max_attempts THEN
		INSERT INTO adoption.campaign_action_archive
		VALUES (a.action_id, a.tenant_id, a.user_id, a.feature_id, a.template_key, a.campaign_id, a.reason,
			a.dedupe_key, 'dead', a.attempts, a.available_at, a.claimed_by, a.lease_until, error,
			a.created_at, now());
		RETURN 'dead';
	END IF;
	/* Backoff: 30 s after the first failure, doubling, at most a day. */
	INSERT INTO adoption.campaign_action_queue
	VALUES (a.action_id, a.tenant_id, a.user_id, a.feature_id, a.template_key, a.campaign_id, a.reason,
		a.dedupe_key, 'pending', a.attempts,
		now() + least(interval '30 seconds' * power(2, least(a.attempts - 1, 12)), interval '1 day'),
		a.claimed_by, NULL, error, a.created_at, NULL, a.status_reason, DEFAULT);
	RETURN 'pending';
END
$$;
COMMENT ON FUNCTION adoption.fail_action(bigint, text, text) IS 'Records a failed delivery: the action is retried after 30 s, 1 min, 2 min... (at most a day), or is dead after max_attempts; returns the new status';
ALTER FUNCTION adoption.fail_action(bigint, text, text) SECURITY DEFINER;
REVOKE ALL ON FUNCTION adoption.action_ring_slots(), adoption.action_generation_ids() FROM PUBLIC;
ALTER FUNCTION adoption.claim_actions(text, integer, interval) SECURITY DEFINER;
REVOKE ALL ON FUNCTION adoption.claim_direct(), adoption.claim_pending(text, integer, interval, smallint[]) FROM PUBLIC;

/*
 * Audit of the customer-success numbers: health_history and tenant_health
 * derive previous_risk and delta from the scores themselves (the score
 * with the latest earlier scored_at), so that they no longer depend on the
 * order the scores were computed in; rescore_tenants() (issue 16, above)
 * brings the stored columns of the next score up to date when an earlier
 * one is added; wilson_interval() (issue 17, above) refuses counts out of
 * range (22023).
 */
CREATE OR REPLACE VIEW adoption.tenant_health WITH (security_invoker = true) AS
SELECT t.tenant_id, t.name AS tenant_name, t.segment, t.plan, t.arr,
	h.scored_at, h.score, h.risk, p.risk AS previous_risk, h.score OPERATOR(pg_catalog.-) p.score AS delta,
	(h.components OPERATOR(pg_catalog.->>) 'usage_trend')::double precision AS usage_trend,
	(h.components OPERATOR(pg_catalog.->>) 'adoption')::double precision AS adoption,
	(h.components OPERATOR(pg_catalog.->>) 'support')::double precision AS support,
	(h.components OPERATOR(pg_catalog.->>) 'billing')::double precision AS billing,
	(h.components OPERATOR(pg_catalog.->>) 'feedback')::double precision AS feedback,
	h.components, h.last_event_at, h.active_users
FROM adoption.tenants AS t
JOIN LATERAL (SELECT s.* FROM adoption.health_scores AS s
	WHERE s.tenant_id OPERATOR(pg_catalog.=) t.tenant_id
	ORDER BY s.scored_at DESC LIMIT 1) AS h ON true
LEFT JOIN LATERAL (SELECT s.score, s.risk FROM adoption.health_scores AS s
	WHERE s.tenant_id OPERATOR(pg_catalog.=) t.tenant_id AND s.scored_at OPERATOR(pg_catalog.<) h.scored_at
	ORDER BY s.scored_at DESC LIMIT 1) AS p ON true;
COMMENT ON VIEW adoption.tenant_health IS 'The latest health score of each scored tenant';
COMMENT ON COLUMN adoption.tenant_health.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.tenant_health.tenant_name IS 'Tenant name (adoption.tenants.name)';
COMMENT ON COLUMN adoption.tenant_health.segment IS 'Tenant segment';
COMMENT ON COLUMN adoption.tenant_health.plan IS 'Tenant plan';
COMMENT ON COLUMN adoption.tenant_health.arr IS 'Annual recurring revenue of the tenant';
COMMENT ON COLUMN adoption.tenant_health.scored_at IS 'Time the score is as of';
COMMENT ON COLUMN adoption.tenant_health.score IS 'Health score 0-100: weighted mean of the present components';
COMMENT ON COLUMN adoption.tenant_health.risk IS 'healthy (score >= health_healthy_min), at_risk (>= health_at_risk_min) or critical';
COMMENT ON COLUMN adoption.tenant_health.previous_risk IS 'Risk band of the score before (the latest earlier scored_at; NULL for the first), whatever order the scores were computed in';
COMMENT ON COLUMN adoption.tenant_health.delta IS 'Change since the score before (the latest earlier scored_at)';
COMMENT ON COLUMN adoption.tenant_health.usage_trend IS 'Events of the last 30 days as a share of the 30 before, capped at 100';
COMMENT ON COLUMN adoption.tenant_health.adoption IS '100 x mean over the core features of min(1, rate / feature_adoption_threshold), rate = active users who adopted the feature / the tenant''s active users (an event of any feature within active_window before scored_at); a core feature no active user adopted counts 0';
COMMENT ON COLUMN adoption.tenant_health.support IS '100 exp(-w/s): w = tickets of 30 days weighted low 1, medium 2, high 4, urgent 8; s = max(1, 0.2 active users)';
COMMENT ON COLUMN adoption.tenant_health.billing IS '100 minus billing penalties of 90 days, floor 0';
COMMENT ON COLUMN adoption.tenant_health.feedback IS '(NPS of 90 days + 100) / 2; NULL without NPS answers';
COMMENT ON COLUMN adoption.tenant_health.components IS 'The present components as JSON, name -> score';
COMMENT ON COLUMN adoption.tenant_health.last_event_at IS 'Latest event time up to scored_at';
COMMENT ON COLUMN adoption.tenant_health.active_users IS 'Users with an event within active_window before scored_at';

CREATE OR REPLACE VIEW adoption.health_history WITH (security_invoker = true) AS
SELECT h.tenant_id, t.name AS tenant_name, t.segment, h.scored_at, h.score, h.risk,
	pg_catalog.lag(h.risk) OVER w AS previous_risk,
	h.score OPERATOR(pg_catalog.-) pg_catalog.lag(h.score) OVER w AS delta,
	h.risk IS DISTINCT FROM pg_catalog.lag(h.risk) OVER w AS risk_changed, h.components, h.actions, h.live
FROM adoption.health_scores AS h
LEFT JOIN adoption.tenants AS t ON t.tenant_id OPERATOR(pg_catalog.=) h.tenant_id
WINDOW w AS (PARTITION BY h.tenant_id ORDER BY h.scored_at);
COMMENT ON VIEW adoption.health_history IS 'Every health score of every tenant, for trends and band changes';
COMMENT ON COLUMN adoption.health_history.tenant_id IS 'Tenant';
COMMENT ON COLUMN adoption.health_history.tenant_name IS 'Tenant name';
COMMENT ON COLUMN adoption.health_history.segment IS 'Tenant segment';
COMMENT ON COLUMN adoption.health_history.scored_at IS 'Time the score is as of';
COMMENT ON COLUMN adoption.health_history.score IS 'Health score 0-100';
COMMENT ON COLUMN adoption.health_history.risk IS 'healthy, at_risk or critical';
COMMENT ON COLUMN adoption.health_history.previous_risk IS 'Risk band of the score before (the latest earlier scored_at; NULL for the first), whatever order the scores were computed in';
COMMENT ON COLUMN adoption.health_history.delta IS 'Change since the score before (the latest earlier scored_at)';
COMMENT ON COLUMN adoption.health_history.risk_changed IS 'True when this score entered a band (a first score enters its band)';
COMMENT ON COLUMN adoption.health_history.components IS 'The present components as JSON, name -> score';
COMMENT ON COLUMN adoption.health_history.actions IS 'Tenant-level campaign templates this score enqueued';
COMMENT ON COLUMN adoption.health_history.live IS 'Computed within a day of scored_at; only live scores enqueue actions (a backfill does not)';

