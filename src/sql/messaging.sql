/*
 * messaging.sql: messaging opportunities from feedback (the seeds'
 * messaging_opportunities and pain-point messaging), per segment and per
 * feature the feedback was about:
 *
 *   lead_with     value drivers to lead with, ranked by mentions x mean
 *                 sentiment x the ARR of the tenants mentioning them;
 *   proof_point   success indicators told with a number, with the feedback
 *                 behind them and which of it was enqueued as a case study;
 *   announce_fix  pain points about a feature that a later launch of it, or
 *                 its upgrade feature, answers, for the tenants that named
 *                 the pain and have not adopted the fix: "announce the fix";
 *                 adoption.enqueue_fix_announcements() enqueues them through
 *                 the queue (template fix_announcement, one per tenant, fixing
 *                 feature and theme).
 * See docs/feedback-insights.md.
 */

INSERT INTO adoption.campaign_templates (template_key, campaign_id, channel, description) VALUES
	('fix_announcement', 'fix_announcement_campaign', 'email',
	'A launched or upgrade feature answers a pain point the tenant named: announce the fix');
/*
 * The play policy (plays.sql): announcing the fix of a pain point the account
 * named answers its complaint, as pain_point_followup does, so it is allowed
 * in every state, a cancelled account's included (what made it leave is fixed).
 */
INSERT INTO adoption.play_policy (account_state, template_key, allowed)
SELECT s.account_state, 'fix_announcement', true
FROM (VALUES ('at_risk'), ('critical'), ('dormant'), ('cancelled')) AS s (account_state);

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
