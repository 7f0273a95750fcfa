-- test/reference/persona_oracle.sql: the feedback insights of issue 18
-- (persona profiles, messaging opportunities, feedback by feature and by
-- campaign, feature requests) in plain SQL, written from the published
-- definitions (docs/feedback-insights.md sections 2-4, the views' column
-- COMMENTs), not from the implementation: schema oracle, one function per
-- view with the view's columns.  Reads the committed feedback rows
-- (adoption.feedback, with the categories its trigger stored in them), the
-- tenants (segment, name, ARR), the catalog, the launches, the users'
-- adoption times and the case-study follow-ups.
--
-- Conventions taken from the definitions:
-- - a row's month is the first day of the UTC month of its created_at;
-- - recent = the three calendar months ending with the latest month of
--   feedback of the tenant (or segment), previous = the three before;
-- - NPS = 100 x (promoters - detractors) / answers, NULL without answers;
--   an answer is a row with an nps_category;
-- - mean sentiment is over the rows with a sentiment (a text), rounded to
--   3 decimals, NPS rounded to 1 decimal, shares to 3 decimals (as
--   adoption.nps and adoption.pain_points present them); a trend of
--   sentiment or NPS is the difference of the two columns shown; the
--   persona views sum each sentiment as numeric (real's 6 significant
--   digits: a sum that does not depend on the order of addition);
-- - "up to three ... most": by mentions, ties by name (the database's
--   collation); NULL when there is none;
-- - "latest first": by created_at, ties by feedback_id (then tenant_id);
-- - a sum of ARR counts a tenant without ARR (or not in adoption.tenants)
--   as 0.
CREATE SCHEMA oracle;

CREATE FUNCTION oracle.month(t timestamptz) RETURNS date LANGUAGE sql IMMUTABLE
RETURN date_trunc('month', t AT TIME ZONE 'UTC')::date;

CREATE FUNCTION oracle.nps(promoters bigint, detractors bigint, answers bigint) RETURNS numeric LANGUAGE sql IMMUTABLE
RETURN CASE WHEN answers > 0 THEN round(100.0 * (promoters - detractors) / answers, 1) END;

-- Every feedback row with its month and the segment of its tenant now
-- (tenants not in adoption.tenants: NULL, like tenants without one).
CREATE VIEW oracle.fb WITH (security_invoker = true) AS
SELECT f.*, oracle.month(f.created_at) AS month, t.segment, t.arr, t.name
FROM adoption.feedback AS f LEFT JOIN adoption.tenants AS t ON t.tenant_id = f.tenant_id;

-- What each row mentions, once per row: the four theme categories, the
-- catalog features its text names, the campaign it answered.
CREATE VIEW oracle.items WITH (security_invoker = true) AS
SELECT fb.*, i.category, i.item
FROM oracle.fb AS fb, LATERAL (
	SELECT 'pain_point', x FROM unnest(fb.pain_points) AS x
	UNION SELECT 'feature_request', x FROM unnest(fb.feature_requests) AS x
	UNION SELECT 'value_driver', x FROM unnest(fb.value_drivers) AS x
	UNION SELECT 'success_indicator', x FROM unnest(fb.success_indicators) AS x
	UNION SELECT 'feature', x FROM unnest(fb.features) AS x
	UNION SELECT 'campaign', fb.campaign_id WHERE fb.campaign_id IS NOT NULL) AS i (category, item);

-- adoption.feedback_profile: per tenant, category (and 'all'), item, month.
CREATE FUNCTION oracle.feedback_profile()
RETURNS TABLE (tenant_id text, category text, item text, month date, mentions bigint, sentiment_sum numeric,
	sentiment_n bigint, promoters bigint, passives bigint, detractors bigint, last_at timestamptz)
LANGUAGE sql STABLE AS $$
	SELECT r.tenant_id, r.category, r.item, r.month, count(*), coalesce(sum(r.sentiment::numeric), 0), count(r.sentiment),
		count(*) FILTER (WHERE r.nps_category = 'promoter'), count(*) FILTER (WHERE r.nps_category = 'passive'),
		count(*) FILTER (WHERE r.nps_category = 'detractor'), max(r.created_at)
	FROM (SELECT i.tenant_id, i.category, i.item, i.month, i.sentiment, i.nps_category, i.created_at FROM oracle.items AS i
		UNION ALL SELECT fb.tenant_id, 'all', '', fb.month, fb.sentiment, fb.nps_category, fb.created_at FROM oracle.fb AS fb) AS r
	GROUP BY 1, 2, 3, 4
$$;

-- The rows of one actor (a tenant, or a segment when seg) with the windows.
CREATE FUNCTION oracle.actor_rows(seg boolean)
RETURNS TABLE (actor text, tenant_id text, feedback_id text, created_at timestamptz, month date, sentiment real,
	nps_category text, recent boolean, previous boolean)
LANGUAGE sql STABLE AS $$
	WITH r AS (SELECT CASE WHEN seg THEN fb.segment ELSE fb.tenant_id END AS actor, fb.* FROM oracle.fb AS fb),
	l AS (SELECT r.actor, max(r.month) AS lastm FROM r GROUP BY r.actor)
	SELECT r.actor, r.tenant_id, r.feedback_id, r.created_at, r.month, r.sentiment, r.nps_category,
		r.month > (l.lastm - interval '3 months')::date,
		r.month <= (l.lastm - interval '3 months')::date AND r.month > (l.lastm - interval '6 months')::date
	FROM r JOIN l ON l.actor IS NOT DISTINCT FROM r.actor
$$;

-- persona_themes (seg false) and segment_persona_themes (seg true): actor
-- is the tenant_id or the segment.
CREATE FUNCTION oracle.themes(seg boolean)
RETURNS TABLE (actor text, segment text, category text, theme text, tenants bigint, mentions bigint, share numeric,
	mean_sentiment numeric, nps_responses bigint, nps numeric, last_seen_at timestamptz, recent_mentions bigint,
	previous_mentions bigint, trend text)
LANGUAGE sql STABLE AS $$
	WITH a AS (SELECT * FROM oracle.actor_rows(seg)),
	tot AS (SELECT a.actor, count(*) AS n, count(*) FILTER (WHERE a.recent) AS rn, count(*) FILTER (WHERE a.previous) AS pn
		FROM a GROUP BY a.actor),
	it AS (SELECT a.*, i.category, i.item FROM a JOIN oracle.items AS i ON i.tenant_id = a.tenant_id AND i.feedback_id = a.feedback_id),
	g AS (SELECT it.actor, it.category, it.item, count(DISTINCT it.tenant_id) AS tenants, count(*) AS m, round(avg(it.sentiment::numeric), 3) AS s,
			count(it.nps_category) AS na, count(*) FILTER (WHERE it.nps_category = 'promoter') AS p,
			count(*) FILTER (WHERE it.nps_category = 'detractor') AS d, max(it.created_at) AS last,
			count(*) FILTER (WHERE it.recent) AS rm, count(*) FILTER (WHERE it.previous) AS pm
		FROM it GROUP BY 1, 2, 3)
	SELECT g.actor, CASE WHEN seg THEN g.actor ELSE (SELECT t.segment FROM adoption.tenants AS t WHERE t.tenant_id = g.actor) END,
		g.category, g.item, g.tenants, g.m, round(g.m::numeric / tot.n, 3), g.s, g.na, oracle.nps(g.p, g.d, g.na), g.last, g.rm, g.pm,
		-- shares compared exactly: rm / rn against pm / pn
		CASE WHEN tot.rn = 0 OR tot.pn = 0 THEN NULL
			WHEN g.rm * tot.pn > g.pm * tot.rn THEN 'rising'
			WHEN g.rm * tot.pn < g.pm * tot.rn THEN 'falling' ELSE 'steady' END
	FROM g JOIN tot ON tot.actor IS NOT DISTINCT FROM g.actor
$$;

-- Up to n items of a category of an actor, most mentioned first, ties by
-- name; n NULL: all of them.
CREATE FUNCTION oracle.top(seg boolean, who text, cat text, n integer) RETURNS text[] LANGUAGE sql STABLE AS $$
	SELECT array_agg(t.theme ORDER BY t.mentions DESC, t.theme )
	FROM (SELECT x.theme, x.mentions FROM oracle.themes(seg) AS x WHERE x.actor IS NOT DISTINCT FROM who AND x.category = cat
		ORDER BY x.mentions DESC, x.theme  LIMIT n) AS t
$$;

-- persona_profiles (seg false) and segment_personas (seg true).
CREATE FUNCTION oracle.profiles(seg boolean)
RETURNS TABLE (actor text, segment text, name text, tenants bigint, arr numeric, feedback bigint, last_feedback_at timestamptz,
	mean_sentiment numeric, recent_sentiment numeric, previous_sentiment numeric, sentiment_trend numeric, nps_responses bigint,
	nps numeric, recent_nps numeric, previous_nps numeric, nps_trend numeric, value_drivers text[], pain_points text[],
	feature_requests text[], success_indicators text[], features_named text[], campaigns_answered text[])
LANGUAGE sql STABLE AS $$
	WITH a AS (SELECT * FROM oracle.actor_rows(seg)),
	g AS (SELECT a.actor, count(DISTINCT a.tenant_id) AS tenants, count(*) AS n, max(a.created_at) AS last,
			round(avg(a.sentiment::numeric), 3) AS s, round(avg(a.sentiment::numeric) FILTER (WHERE a.recent), 3) AS rs,
			round(avg(a.sentiment::numeric) FILTER (WHERE a.previous), 3) AS ps,
			oracle.nps(count(*) FILTER (WHERE a.nps_category = 'promoter'), count(*) FILTER (WHERE a.nps_category = 'detractor'),
				count(a.nps_category)) AS nps,
			count(a.nps_category) AS na,
			oracle.nps(count(*) FILTER (WHERE a.recent AND a.nps_category = 'promoter'),
				count(*) FILTER (WHERE a.recent AND a.nps_category = 'detractor'), count(a.nps_category) FILTER (WHERE a.recent)) AS rnps,
			oracle.nps(count(*) FILTER (WHERE a.previous AND a.nps_category = 'promoter'),
				count(*) FILTER (WHERE a.previous AND a.nps_category = 'detractor'), count(a.nps_category) FILTER (WHERE a.previous)) AS pnps
		FROM a GROUP BY a.actor)
	SELECT g.actor,
		CASE WHEN seg THEN g.actor ELSE t.segment END,
		CASE WHEN seg THEN NULL ELSE t.name END,
		g.tenants,
		CASE WHEN seg THEN (SELECT sum(x.arr) FROM adoption.tenants AS x WHERE x.segment IS NOT DISTINCT FROM g.actor
				AND x.tenant_id IN (SELECT a.tenant_id FROM a WHERE a.actor IS NOT DISTINCT FROM g.actor))
			ELSE t.arr END,
		g.n, g.last, g.s, g.rs, g.ps, g.rs - g.ps, g.na, g.nps, g.rnps, g.pnps, g.rnps - g.pnps,
		oracle.top(seg, g.actor, 'value_driver', 3), oracle.top(seg, g.actor, 'pain_point', 3),
		oracle.top(seg, g.actor, 'feature_request', 3), oracle.top(seg, g.actor, 'success_indicator', 3),
		oracle.top(seg, g.actor, 'feature', NULL), oracle.top(seg, g.actor, 'campaign', NULL)
	FROM g LEFT JOIN adoption.tenants AS t ON NOT seg AND t.tenant_id = g.actor
$$;

-- feedback_by_feature (by 'feature': the features a text names and its
-- feature_id) and feedback_by_campaign (by 'campaign': its campaign_id),
-- per month.
CREATE FUNCTION oracle.feedback_by(what text)
RETURNS TABLE (key text, name text, month date, feedback bigint, mean_sentiment numeric, nps_responses bigint, nps numeric,
	pain_points text[], value_drivers text[], feature_requests text[], success_indicators text[])
LANGUAGE sql STABLE AS $$
	WITH k AS (
		SELECT DISTINCT x.key, fb.tenant_id, fb.feedback_id, fb.month
		FROM oracle.fb AS fb, LATERAL (
			SELECT unnest(fb.features) WHERE what = 'feature'
			UNION SELECT fb.feature_id WHERE what = 'feature' AND fb.feature_id IS NOT NULL
			UNION SELECT fb.campaign_id WHERE what = 'campaign' AND fb.campaign_id IS NOT NULL) AS x (key)),
	g AS (SELECT k.key, k.month, count(*) AS n, round(avg(fb.sentiment)::numeric, 3) AS s, count(fb.nps_category) AS na,
			oracle.nps(count(*) FILTER (WHERE fb.nps_category = 'promoter'), count(*) FILTER (WHERE fb.nps_category = 'detractor'),
				count(fb.nps_category)) AS nps
		FROM k JOIN oracle.fb AS fb USING (tenant_id, feedback_id) GROUP BY 1, 2),
	c AS (SELECT k.key, k.month, i.category, i.item, count(*) AS m
		FROM k JOIN oracle.items AS i USING (tenant_id, feedback_id)
		WHERE i.category IN ('pain_point', 'value_driver', 'feature_request', 'success_indicator') GROUP BY 1, 2, 3, 4),
	r AS (SELECT c.*, row_number() OVER (PARTITION BY c.key, c.month, c.category ORDER BY c.m DESC, c.item ) AS rk FROM c)
	SELECT g.key, CASE WHEN what = 'feature' THEN (SELECT f.feature_name FROM adoption.features AS f WHERE f.feature_id = g.key) END,
		g.month, g.n, g.s, g.na, g.nps,
		(SELECT array_agg(r.item ORDER BY r.rk) FROM r WHERE r.key = g.key AND r.month = g.month AND r.rk <= 3 AND r.category = 'pain_point'),
		(SELECT array_agg(r.item ORDER BY r.rk) FROM r WHERE r.key = g.key AND r.month = g.month AND r.rk <= 3 AND r.category = 'value_driver'),
		(SELECT array_agg(r.item ORDER BY r.rk) FROM r WHERE r.key = g.key AND r.month = g.month AND r.rk <= 3 AND r.category = 'feature_request'),
		(SELECT array_agg(r.item ORDER BY r.rk) FROM r WHERE r.key = g.key AND r.month = g.month AND r.rk <= 3 AND r.category = 'success_indicator')
	FROM g
$$;

-- feature_requests: one row per request (a theme or a catalog feature_id
-- of the rows' feature_requests), each feedback row counted once per
-- request; ARR summed over the distinct tenants asking.  Without the rank
-- (checked apart: it orders by requesting_arr, then requests).
CREATE FUNCTION oracle.feature_requests()
RETURNS TABLE (request text, feature_name text, tier text, tenants bigint, requests bigint, requesting_arr numeric,
	last_requested_at timestamptz, latest_text text)
LANGUAGE sql STABLE AS $$
	SELECT i.item, f.feature_name, f.tier, count(DISTINCT i.tenant_id), count(*),
		(SELECT coalesce(sum(t.arr), 0) FROM adoption.tenants AS t
			WHERE t.tenant_id IN (SELECT j.tenant_id FROM oracle.items AS j WHERE j.category = 'feature_request' AND j.item = i.item)),
		max(i.created_at),
		(array_agg(i.body ORDER BY i.created_at DESC, i.feedback_id, i.tenant_id) FILTER (WHERE i.body IS NOT NULL))[1]
	FROM oracle.items AS i LEFT JOIN adoption.features AS f ON f.feature_id = i.item
	WHERE i.category = 'feature_request'
	GROUP BY i.item, f.feature_name, f.tier
$$;

-- fix_candidates: a pain point of the product (not pricing, support,
-- onboarding, documentation) in feedback about feature F (feedback.feature_id),
-- answered by a launch of F after the feedback (via launch, fix F) or by
-- F's upgrade feature (via upgrade), for tenants where no user has adopted
-- the fixing feature.
CREATE FUNCTION oracle.fix_candidates()
RETURNS TABLE (tenant_id text, segment text, feedback_id text, feature_id text, theme text, fix_feature_id text, via text,
	created_at timestamptz)
LANGUAGE sql STABLE AS $$
	SELECT DISTINCT i.tenant_id, i.segment, i.feedback_id, i.feature_id, i.item, x.fix, x.via, i.created_at
	FROM oracle.items AS i, LATERAL (
		SELECT i.feature_id, 'launch' FROM adoption.launches AS l WHERE l.feature_id = i.feature_id AND l.launched_at > i.created_at
		UNION SELECT f.upgrade_feature_id, 'upgrade' FROM adoption.features AS f
			WHERE f.feature_id = i.feature_id AND f.upgrade_feature_id IS NOT NULL) AS x (fix, via)
	WHERE i.category = 'pain_point' AND i.item NOT IN ('pricing', 'support', 'onboarding', 'documentation')
		AND NOT EXISTS (SELECT 1 FROM adoption.user_feature_state AS u
			WHERE u.tenant_id = i.tenant_id AND u.feature_id = x.fix AND u.adopted_at IS NOT NULL)
$$;

-- messaging_opportunities.  Evidence: up to five feedback_ids, latest
-- first; example: the latest text.
CREATE FUNCTION oracle.messaging_opportunities()
RETURNS TABLE (segment text, kind text, theme text, per_feature boolean, feature_id text, fix_feature_id text, tenants bigint,
	mentions bigint, mean_sentiment numeric, arr numeric, score numeric, evidence text[], example text, case_studies text[],
	target_tenants text[], suggested_template text)
LANGUAGE sql STABLE AS $$
	WITH e AS (
		-- (kind, theme, feature the feedback was about, fixing feature) per row
		SELECT 'lead_with' AS kind, i.item AS theme, i.feature_id, NULL::text AS fix, i.tenant_id, i.feedback_id
		FROM oracle.items AS i WHERE i.category = 'value_driver'
		UNION ALL
		SELECT 'proof_point', i.item, i.feature_id, NULL, i.tenant_id, i.feedback_id
		FROM oracle.items AS i WHERE i.category = 'success_indicator' AND i.body ~ '[0-9]'
		UNION ALL
		SELECT DISTINCT 'announce_fix', c.theme, c.feature_id, c.fix_feature_id, c.tenant_id, c.feedback_id
		FROM oracle.fix_candidates() AS c),
	s AS (
		SELECT e.*, false AS per_feature FROM e WHERE e.kind <> 'announce_fix'
		UNION ALL SELECT e.*, true FROM e),
	r AS (SELECT s.*, fb.segment, fb.sentiment, fb.created_at, fb.body, fb.arr AS tarr FROM s JOIN oracle.fb AS fb USING (tenant_id, feedback_id)),
	g AS (
		SELECT r.segment, r.kind, r.theme, r.per_feature, CASE WHEN r.per_feature THEN r.feature_id END AS feature_id, r.fix,
			count(DISTINCT r.tenant_id) AS tenants, count(*) AS mentions, round(avg(r.sentiment::numeric), 3) AS s,
			(array_agg(r.feedback_id ORDER BY r.created_at DESC, r.feedback_id, r.tenant_id))[1:5] AS evidence,
			(array_agg(r.body ORDER BY r.created_at DESC, r.feedback_id, r.tenant_id))[1] AS example,
			array_agg(DISTINCT r.tenant_id ORDER BY r.tenant_id) AS tl,
			array_agg(r.feedback_id ORDER BY r.feedback_id) FILTER (WHERE EXISTS (SELECT 1 FROM adoption.campaign_followups AS cf
				WHERE cf.kind = 'case_study' AND cf.tenant_id = r.tenant_id AND cf.feedback_id = r.feedback_id)) AS cs
		FROM r GROUP BY 1, 2, 3, 4, 5, 6)
	SELECT g.segment, g.kind, g.theme, g.per_feature, g.feature_id, g.fix, g.tenants, g.mentions, g.s, a.arr,
		CASE g.kind WHEN 'lead_with' THEN g.mentions * g.s * a.arr WHEN 'proof_point' THEN g.mentions * a.arr ELSE a.arr END,
		g.evidence, g.example,
		CASE WHEN g.kind = 'proof_point' THEN g.cs END,
		CASE WHEN g.kind = 'announce_fix' THEN g.tl END,
		CASE g.kind WHEN 'proof_point' THEN 'case_study' WHEN 'announce_fix' THEN 'fix_announcement' END
	FROM g, LATERAL (SELECT coalesce(sum(t.arr), 0) AS arr FROM adoption.tenants AS t WHERE t.tenant_id = ANY (g.tl)) AS a
$$;

-- The rows of query a not in query b and of b not in a, matched on the key
-- columns; numbers equal within 1e-9 (relative to 1 or their size), arrays
-- and text exactly.  The last line is the number of rows of b.
CREATE FUNCTION oracle.same(a jsonb, b jsonb) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN jsonb_typeof(a) = 'number' AND jsonb_typeof(b) = 'number'
		THEN abs(a::numeric - b::numeric) <= 1e-9 * greatest(1, abs(a::numeric), abs(b::numeric))
		ELSE a IS NOT DISTINCT FROM b END
$$;
CREATE FUNCTION oracle.diff(a text, b text, keys text[]) RETURNS SETOF text LANGUAGE plpgsql AS $$
BEGIN
	DROP TABLE IF EXISTS pg_temp.x, pg_temp.y;
	EXECUTE format('CREATE TEMP TABLE x ON COMMIT DROP AS SELECT to_jsonb(r) AS j FROM (%s) AS r', a);
	EXECUTE format('CREATE TEMP TABLE y ON COMMIT DROP AS SELECT to_jsonb(r) AS j FROM (%s) AS r', b);
	RETURN QUERY
		WITH xk AS (SELECT (SELECT jsonb_object_agg(k, x.j -> k) FROM unnest(keys) AS k) AS key, x.j FROM x),
		yk AS (SELECT (SELECT jsonb_object_agg(k, y.j -> k) FROM unnest(keys) AS k) AS key, y.j FROM y)
		SELECT CASE WHEN xk.key IS NULL THEN 'only in oracle: ' || yk.j::text
			WHEN yk.key IS NULL THEN 'only in view: ' || xk.j::text
			ELSE xk.key::text || ' ' || (SELECT string_agg(format('%s: view %s, oracle %s', f, coalesce(xk.j -> f, 'null'),
					coalesce(yk.j -> f, 'null')), '; ' ORDER BY f)
				FROM jsonb_object_keys(yk.j) AS f WHERE NOT oracle.same(xk.j -> f, yk.j -> f)) END
		FROM xk FULL JOIN yk ON xk.key = yk.key
		WHERE xk.key IS NULL OR yk.key IS NULL
			OR EXISTS (SELECT 1 FROM jsonb_object_keys(yk.j) AS f WHERE NOT oracle.same(xk.j -> f, yk.j -> f))
		ORDER BY 1;
	IF (SELECT count(*) FROM x) <> (SELECT count(DISTINCT (SELECT jsonb_object_agg(k, x.j -> k) FROM unnest(keys) AS k)) FROM x) THEN
		RETURN NEXT 'duplicate keys in the view';
	END IF;
	RETURN QUERY SELECT count(*)::text FROM y;
END $$;
