-- test/reference/customer_oracle.sql: the customer-success numbers in plain
-- SQL, written from their published definitions (docs/customer-success.md,
-- the functions' and views' COMMENTs, the Wilson score interval, the
-- attribution models of docs/reference.md) before reading the
-- implementation (src/sql/recommend.sql, effectiveness.sql, revenue.sql):
-- schema oracle.  Reads the committed inputs: adoption.user_feature_state
-- (activated_at, adopted_at, habitual_at: checked by
-- test/reference/definitions.sql), the event log, the catalog, the tenants,
-- the health scores, the campaign actions, touches and billing events.
--
-- Conventions taken from the definitions (and written into
-- docs/customer-success.md where it was silent):
-- - spans (lookback, window_length) are added in UTC: the answer does not
--   depend on the session's TimeZone (oracle.plus / oracle.minus);
-- - a month is the first day of the UTC month;
-- - a tenant adopted a feature at the first adopted_at of one of its users;
-- - a tenant without a segment (or plan) has no segment (plan) peers;
-- - floats are compared to 9 decimals by the test.
CREATE SCHEMA IF NOT EXISTS oracle;

CREATE OR REPLACE FUNCTION oracle.plus(t timestamptz, span interval) RETURNS timestamptz LANGUAGE sql IMMUTABLE
RETURN (t AT TIME ZONE 'UTC' + span) AT TIME ZONE 'UTC';
CREATE OR REPLACE FUNCTION oracle.minus(t timestamptz, span interval) RETURNS timestamptz LANGUAGE sql IMMUTABLE
RETURN (t AT TIME ZONE 'UTC' - span) AT TIME ZONE 'UTC';
CREATE FUNCTION oracle.month(t timestamptz) RETURNS date LANGUAGE sql IMMUTABLE
RETURN date_trunc('month', t AT TIME ZONE 'UTC')::date;

-- Wilson score interval of x successes in n trials, 95 %: z is the 97.5 %
-- quantile of the normal distribution, 1.959963984540054 (R's qnorm(0.975),
-- statsmodels' proportion_confint; 1.96 rounded moves the 5th decimal):
-- (p + z²/2n ± z √(p(1−p)/n + z²/4n²)) / (1 + z²/n); NULL when n = 0.
CREATE FUNCTION oracle.wilson(x bigint, n bigint) RETURNS float8[] LANGUAGE sql IMMUTABLE AS $$
	SELECT CASE WHEN n > 0 THEN ARRAY[
		(p + z * z / (2 * n) - z * sqrt(p * (1 - p) / n + z * z / (4.0 * n * n))) / (1 + z * z / n),
		(p + z * z / (2 * n) + z * sqrt(p * (1 - p) / n + z * z / (4.0 * n * n))) / (1 + z * z / n)] END
	FROM (SELECT x::float8 / nullif(n, 0) AS p, 1.959963984540054::float8 AS z) AS c
$$;

-- ---------------------------------------------------------------- recommendations
-- Tenant adoptions (before as_of when given).
CREATE FUNCTION oracle.tenant_adopted(as_of timestamptz)
RETURNS TABLE (tenant_id text, feature_id text, adopted_at timestamptz) LANGUAGE sql STABLE AS $$
	SELECT u.tenant_id, u.feature_id, min(u.adopted_at) FROM adoption.user_feature_state AS u
	WHERE u.adopted_at IS NOT NULL AND (as_of IS NULL OR u.adopted_at < as_of) GROUP BY 1, 2
$$;

-- The peers of each tenant: segment and plan, else segment, else all (fewer than 5: next level).
CREATE FUNCTION oracle.peers()
RETURNS TABLE (tenant_id text, peer text, peer_group text) LANGUAGE sql STABLE AS $$
	WITH lv AS (
		SELECT x.tenant_id,
			(SELECT count(*) FROM adoption.tenants AS p WHERE p.tenant_id <> x.tenant_id AND p.segment = x.segment AND p.plan = x.plan) AS sp,
			(SELECT count(*) FROM adoption.tenants AS p WHERE p.tenant_id <> x.tenant_id AND p.segment = x.segment) AS s,
			x.segment, x.plan
		FROM adoption.tenants AS x),
	g AS (SELECT lv.*, CASE WHEN lv.sp >= 5 THEN 'segment and plan' WHEN lv.s >= 5 THEN 'segment' ELSE 'all' END AS grp FROM lv)
	SELECT g.tenant_id, p.tenant_id, g.grp
	FROM g JOIN adoption.tenants AS p ON p.tenant_id <> g.tenant_id
		AND CASE g.grp WHEN 'segment and plan' THEN p.segment = g.segment AND p.plan = g.plan
			WHEN 'segment' THEN p.segment = g.segment ELSE true END
$$;

CREATE FUNCTION oracle.feature_recommendations(tenant_ids text[], n integer, as_of timestamptz)
RETURNS TABLE (tenant_id text, rank integer, feature_id text, feature_name text, tier text, score float8,
	confidence float8, support float8, lift float8, because text, upgrade_of text, peers integer, peer_group text)
LANGUAGE sql STABLE AS $$
	WITH ad AS MATERIALIZED (SELECT * FROM oracle.tenant_adopted(as_of)),
	pr AS MATERIALIZED (SELECT * FROM oracle.peers() WHERE tenant_id = ANY (tenant_ids)),
	np AS (SELECT x.tenant_id, count(pr.peer) AS peers, coalesce(min(pr.peer_group), 'all') AS grp
		FROM unnest(tenant_ids) AS x (tenant_id) LEFT JOIN pr ON pr.tenant_id = x.tenant_id GROUP BY 1),
	-- Rules a -> c over the peers of x: a adopted by x, c not.
	rules AS (
		SELECT x.tenant_id, a.feature_id AS a, c.feature_id AS c, np.peers, np.grp,
			(SELECT count(*) FROM pr JOIN ad AS pa ON pa.tenant_id = pr.peer AND pa.feature_id = a.feature_id
				JOIN ad AS pc ON pc.tenant_id = pr.peer AND pc.feature_id = c.feature_id WHERE pr.tenant_id = x.tenant_id) AS n_ac,
			(SELECT count(*) FROM pr JOIN ad AS pa ON pa.tenant_id = pr.peer AND pa.feature_id = a.feature_id
				WHERE pr.tenant_id = x.tenant_id) AS n_a,
			(SELECT count(*) FROM pr JOIN ad AS pc ON pc.tenant_id = pr.peer AND pc.feature_id = c.feature_id
				WHERE pr.tenant_id = x.tenant_id) AS n_c
		FROM unnest(tenant_ids) AS x (tenant_id)
		JOIN np ON np.tenant_id = x.tenant_id
		JOIN ad AS a ON a.tenant_id = x.tenant_id
		CROSS JOIN adoption.features AS c
		WHERE NOT EXISTS (SELECT 1 FROM ad WHERE ad.tenant_id = x.tenant_id AND ad.feature_id = c.feature_id)),
	r AS (SELECT rules.*, coalesce(n_ac::float8 / nullif(n_a, 0), 0) AS conf, n_ac::float8 / nullif(peers, 0) AS sup,
			(n_ac::float8 / nullif(n_a, 0)) / nullif(n_c::float8 / nullif(peers, 0), 0) AS lft
		FROM rules),
	cand AS (
		SELECT r.tenant_id, r.c, r.peers, r.grp, avg(r.conf) AS score
		FROM r GROUP BY 1, 2, 3, 4 HAVING max(r.n_ac) > 0),
	best AS (
		SELECT DISTINCT ON (r.tenant_id, r.c) r.tenant_id, r.c, r.a, r.conf, r.sup, r.lft
		FROM r WHERE r.n_ac > 0 ORDER BY r.tenant_id, r.c, r.conf DESC, r.lft DESC, r.sup DESC, r.a),
	up AS (
		SELECT ad.tenant_id, f.upgrade_feature_id AS c, min(f.feature_id) AS upgrade_of
		FROM ad JOIN adoption.features AS f ON f.feature_id = ad.feature_id WHERE f.upgrade_feature_id IS NOT NULL GROUP BY 1, 2),
	ranked AS (
		SELECT cand.*, best.a, best.conf, best.sup, best.lft, up.upgrade_of,
			row_number() OVER (PARTITION BY cand.tenant_id ORDER BY cand.score DESC, (up.upgrade_of IS NOT NULL) DESC,
				best.lft DESC, best.sup DESC, cand.c) AS rk
		FROM cand JOIN best USING (tenant_id, c) LEFT JOIN up USING (tenant_id, c))
	SELECT ranked.tenant_id, ranked.rk::integer, ranked.c, f.feature_name, f.tier, ranked.score, ranked.conf, ranked.sup,
		ranked.lft, ranked.a, ranked.upgrade_of, ranked.peers::integer, ranked.grp
	FROM ranked JOIN adoption.features AS f ON f.feature_id = ranked.c
	WHERE ranked.rk <= n
$$;

-- ---------------------------------------------------------------- revenue attribution
CREATE FUNCTION oracle.revenue_attribution(model text, lookback interval)
RETURNS TABLE (tenant_id text, expansion_id text, expanded_at timestamptz, amount numeric, source text,
	credited_id text, touched_at timestamptz, credit float8, revenue numeric) LANGUAGE sql STABLE AS $$
	WITH x AS (SELECT b.tenant_id, b.event_id, b.occurred_at, b.amount FROM adoption.billing_events AS b
		WHERE b.kind = 'upgrade' AND b.amount > 0),
	-- Every touch of a tenant: campaign touches (own or tenant-wide) and events
	-- naming a campaign; the features it adopted.  Order at one instant:
	-- credited id, then the touch's own id.
	touch AS (
		SELECT c.tenant_id, 'campaign' AS source, c.campaign_id AS id, c.touched_at AS t, 0 AS src, lpad(c.touch_id::text, 20, '0') AS k
		FROM adoption.campaign_touches AS c
		UNION ALL
		SELECT e.tenant_id, 'campaign', e.integration_context ->> 'campaign_influence', e.usage_timestamp, 1, lpad(e.event_id::text, 20, '0')
		FROM adoption.feature_usage_events AS e WHERE coalesce(e.integration_context ->> 'campaign_influence', '') <> ''
		UNION ALL
		SELECT a.tenant_id, 'feature', a.feature_id, a.adopted_at, 0, '' FROM oracle.tenant_adopted(NULL) AS a),
	t AS (
		SELECT x.tenant_id, x.event_id, x.occurred_at, x.amount, touch.source, touch.id, touch.t,
			row_number() OVER w AS i, count(*) OVER p AS n,
			power(2, -extract(epoch FROM x.occurred_at - touch.t) / (7 * 86400)) AS decay
		FROM x JOIN touch ON touch.tenant_id = x.tenant_id
			AND touch.t >= oracle.minus(x.occurred_at, lookback) AND touch.t <= x.occurred_at
		WINDOW p AS (PARTITION BY x.tenant_id, x.event_id, touch.source),
			w AS (p ORDER BY touch.t, touch.id COLLATE "C", touch.src, touch.k)),
	cr AS (
		SELECT t.*, CASE model
			WHEN 'first_touch' THEN CASE WHEN t.i = 1 THEN 1 ELSE 0 END
			WHEN 'last_touch' THEN CASE WHEN t.i = t.n THEN 1 ELSE 0 END
			WHEN 'linear' THEN 1.0 / t.n
			WHEN 'time_decay' THEN t.decay / sum(t.decay) OVER (PARTITION BY t.tenant_id, t.event_id, t.source)
			WHEN 'position_based' THEN CASE WHEN t.n = 1 THEN 1 WHEN t.n = 2 THEN 0.5
				WHEN t.i = 1 OR t.i = t.n THEN 0.4 ELSE 0.2 / (t.n - 2) END END::float8 AS credit
		FROM t),
	cum AS (
		SELECT cr.*, CASE WHEN cr.i = cr.n THEN 1 ELSE sum(cr.credit) OVER (PARTITION BY cr.tenant_id, cr.event_id, cr.source ORDER BY cr.i) END AS upto
		FROM cr)
	SELECT cum.tenant_id, cum.event_id, cum.occurred_at, cum.amount, cum.source, cum.id, cum.t, cum.credit,
		round(cum.amount * cum.upto::numeric, 6) - round(cum.amount * (cum.upto - cum.credit)::numeric, 6)
	FROM cum WHERE cum.credit > 0
$$;

CREATE FUNCTION oracle.attributed_revenue()
RETURNS TABLE (month date, source text, credited_id text, expansions bigint, revenue numeric) LANGUAGE sql STABLE AS $$
	SELECT oracle.month(r.expanded_at), r.source, r.credited_id, count(DISTINCT (r.tenant_id, r.expansion_id)), sum(r.revenue)
	FROM oracle.revenue_attribution('linear', '90 days') AS r GROUP BY 1, 2, 3
$$;

-- ---------------------------------------------------------------- intervention effectiveness
CREATE FUNCTION oracle.setting(tenant text)
RETURNS TABLE (dormant_after interval, nudge_after interval, seat_threshold float8) LANGUAGE sql STABLE AS $$
	SELECT coalesce(o.dormant_after, d.dormant_after), coalesce(o.nudge_after, d.nudge_after),
		coalesce(o.seat_utilization_threshold, d.seat_utilization_threshold)
	FROM adoption.settings AS d LEFT JOIN adoption.settings AS o ON o.tenant_id = tenant
	WHERE d.tenant_id IS NULL
$$;

-- Every eligible moment of every play (template, subject = tenant, user, feature).
CREATE FUNCTION oracle.eligible()
RETURNS TABLE (template_key text, tenant_id text, user_id text, feature_id text, moment timestamptz)
LANGUAGE sql STABLE AS $$
	SELECT 'retention_intervention', h.tenant_id, NULL, NULL, h.scored_at FROM adoption.health_scores AS h WHERE h.risk = 'at_risk'
	UNION ALL
	SELECT 'escalate_to_cs', h.tenant_id, NULL, NULL, h.scored_at FROM adoption.health_scores AS h WHERE h.risk = 'critical'
	UNION ALL
	SELECT 'win_back', h.tenant_id, NULL, NULL, h.scored_at FROM adoption.health_scores AS h, oracle.setting(h.tenant_id) AS s
	WHERE h.last_event_at <= oracle.minus(h.scored_at, s.dormant_after)
	UNION ALL
	SELECT 'expansion_offer', h.tenant_id, NULL, NULL, h.scored_at
	FROM adoption.health_scores AS h JOIN adoption.tenants AS t ON t.tenant_id = h.tenant_id, oracle.setting(h.tenant_id) AS s
	WHERE t.seats_licensed > 0 AND h.active_users >= s.seat_threshold * t.seats_licensed
	UNION ALL
	SELECT 'adoption_nudge', u.tenant_id, u.user_id, u.feature_id, oracle.plus(u.activated_at, s.nudge_after)
	FROM adoption.user_feature_state AS u, oracle.setting(u.tenant_id) AS s
	WHERE u.activated_at IS NOT NULL AND (u.adopted_at IS NULL OR u.adopted_at > oracle.plus(u.activated_at, s.nudge_after))
	UNION ALL
	SELECT 'advanced_feature', m.tenant_id, NULL, m.upgrade, m.moment
	FROM (SELECT u.tenant_id, f.upgrade_feature_id AS upgrade, min(u.habitual_at) AS moment
		FROM adoption.user_feature_state AS u JOIN adoption.features AS f ON f.feature_id = u.feature_id
		WHERE f.upgrade_feature_id IS NOT NULL AND u.habitual_at IS NOT NULL GROUP BY 1, 2) AS m
	WHERE NOT EXISTS (SELECT 1 FROM adoption.user_feature_state AS v WHERE v.tenant_id = m.tenant_id
		AND v.feature_id = m.upgrade AND v.activated_at <= m.moment)
$$;

-- Whether the outcome of the play followed the moment within (moment, moment + w].
CREATE FUNCTION oracle.outcome(template text, tenant text, feature text, usr text, moment timestamptz, w interval)
RETURNS boolean LANGUAGE sql STABLE AS $$
	SELECT CASE template
		WHEN 'retention_intervention' THEN EXISTS (SELECT 1 FROM adoption.health_scores AS h WHERE h.tenant_id = tenant
			AND h.risk = 'healthy' AND h.scored_at > moment AND h.scored_at <= oracle.plus(moment, w))
		WHEN 'escalate_to_cs' THEN EXISTS (SELECT 1 FROM adoption.health_scores AS h WHERE h.tenant_id = tenant
			AND h.risk IN ('healthy', 'at_risk') AND h.scored_at > moment AND h.scored_at <= oracle.plus(moment, w))
		WHEN 'win_back' THEN EXISTS (SELECT 1 FROM adoption.feature_usage_events AS e WHERE e.tenant_id = tenant
			AND e.usage_timestamp > moment AND e.usage_timestamp <= oracle.plus(moment, w))
		WHEN 'expansion_offer' THEN EXISTS (SELECT 1 FROM adoption.billing_events AS b WHERE b.tenant_id = tenant
			AND b.kind = 'upgrade' AND b.occurred_at > moment AND b.occurred_at <= oracle.plus(moment, w))
		WHEN 'adoption_nudge' THEN EXISTS (SELECT 1 FROM adoption.user_feature_state AS u WHERE u.tenant_id = tenant
			AND u.user_id = usr AND u.feature_id = feature AND u.adopted_at > moment AND u.adopted_at <= oracle.plus(moment, w))
		WHEN 'advanced_feature' THEN EXISTS (SELECT 1 FROM adoption.user_feature_state AS u WHERE u.tenant_id = tenant
			AND u.feature_id = feature AND u.activated_at > moment AND u.activated_at <= oracle.plus(moment, w))
		END
$$;

CREATE FUNCTION oracle.intervention_effectiveness(w interval, as_of timestamptz)
RETURNS TABLE (template_key text, month date, actions bigint, outcomes bigint, outcome_rate float8, rate_low float8,
	rate_high float8, baseline bigint, baseline_outcomes bigint, baseline_rate float8, baseline_low float8,
	baseline_high float8, lift float8) LANGUAGE sql STABLE AS $$
	WITH plays (template_key, per_user, per_feature) AS (VALUES ('retention_intervention', false, false),
		('escalate_to_cs', false, false), ('win_back', false, false), ('expansion_offer', false, false),
		('adoption_nudge', true, true), ('advanced_feature', false, true)),
	treated AS (
		SELECT a.template_key, oracle.month(a.completed_at) AS month,
			oracle.outcome(a.template_key, a.tenant_id, a.feature_id, a.user_id, a.completed_at, w) AS hit
		FROM adoption.campaign_actions AS a JOIN plays USING (template_key)
		WHERE a.status = 'done' AND oracle.plus(a.completed_at, w) <= as_of),
	-- Baseline units: eligible moments with no action of the template for the
	-- subject created within w before or after (bounds included), whose
	-- window ended by as_of; a subject counts once per month: its first
	-- such moment in it.
	free AS (
		SELECT e.* FROM oracle.eligible() AS e JOIN plays USING (template_key)
		WHERE oracle.plus(e.moment, w) <= as_of
			AND NOT EXISTS (SELECT 1 FROM adoption.campaign_actions AS a WHERE a.template_key = e.template_key
				AND a.tenant_id = e.tenant_id
				AND (NOT plays.per_user OR a.user_id = e.user_id) AND (NOT plays.per_feature OR a.feature_id = e.feature_id)
				AND a.created_at >= oracle.minus(e.moment, w) AND a.created_at <= oracle.plus(e.moment, w))),
	base AS (
		SELECT DISTINCT ON (f.template_key, f.tenant_id, f.user_id, f.feature_id, oracle.month(f.moment))
			f.template_key, oracle.month(f.moment) AS month,
			oracle.outcome(f.template_key, f.tenant_id, f.feature_id, f.user_id, f.moment, w) AS hit
		FROM free AS f
		ORDER BY f.template_key, f.tenant_id, f.user_id, f.feature_id, oracle.month(f.moment), f.moment),
	g AS (
		SELECT k.template_key, k.month,
			count(*) FILTER (WHERE k.treated) AS actions, count(*) FILTER (WHERE k.treated AND k.hit) AS outcomes,
			count(*) FILTER (WHERE NOT k.treated) AS baseline, count(*) FILTER (WHERE NOT k.treated AND k.hit) AS baseline_outcomes
		FROM (SELECT treated.*, true AS treated FROM treated UNION ALL SELECT base.*, false FROM base) AS k
		GROUP BY 1, 2)
	SELECT g.template_key, g.month, g.actions, g.outcomes, g.outcomes::float8 / nullif(g.actions, 0),
		(oracle.wilson(g.outcomes, g.actions))[1], (oracle.wilson(g.outcomes, g.actions))[2],
		g.baseline, g.baseline_outcomes, g.baseline_outcomes::float8 / nullif(g.baseline, 0),
		(oracle.wilson(g.baseline_outcomes, g.baseline))[1], (oracle.wilson(g.baseline_outcomes, g.baseline))[2],
		(g.outcomes::float8 / nullif(g.actions, 0)) / nullif(g.baseline_outcomes::float8 / nullif(g.baseline, 0), 0)
	FROM g
$$;

-- ---------------------------------------------------------------- health history
-- Every score; the score before is the tenant's previous one by scored_at.
CREATE FUNCTION oracle.health_history()
RETURNS TABLE (tenant_id text, tenant_name text, segment text, scored_at timestamptz, score float8, risk text,
	previous_risk text, delta float8, risk_changed boolean) LANGUAGE sql STABLE AS $$
	SELECT h.tenant_id, t.name, t.segment, h.scored_at, h.score, h.risk,
		lag(h.risk) OVER w, h.score - lag(h.score) OVER w, h.risk IS DISTINCT FROM lag(h.risk) OVER w
	FROM adoption.health_scores AS h LEFT JOIN adoption.tenants AS t ON t.tenant_id = h.tenant_id
	WINDOW w AS (PARTITION BY h.tenant_id ORDER BY h.scored_at)
$$;

-- ---------------------------------------------------------------- hold-out evaluation
-- Per tenant with an adopted feature before its latest adoption: hide the
-- latest (its time T: the features whose tenant adoption is at T, ties all
-- hidden), recommend
-- as of T from the adoptions before T; a hit when a hidden feature is among
-- the first k.  The baseline: the k features adopted by the most tenants
-- before T that the tenant had not adopted (ties by feature_id; a feature
-- nobody adopted before T is not "adopted by the most").
CREATE FUNCTION oracle.evaluate_recommendations(k integer)
RETURNS TABLE (method text, tenants integer, hits integer, hit_rate float8) LANGUAGE sql STABLE AS $$
	WITH ad AS MATERIALIZED (SELECT * FROM oracle.tenant_adopted(NULL)),
	h AS (
		SELECT ad.tenant_id, max(ad.adopted_at) AS t FROM ad GROUP BY 1 HAVING min(ad.adopted_at) < max(ad.adopted_at)),
	hidden AS (SELECT h.tenant_id, h.t, ad.feature_id FROM h JOIN ad ON ad.tenant_id = h.tenant_id AND ad.adopted_at = h.t),
	rec AS (
		SELECT h.tenant_id, EXISTS (SELECT 1 FROM oracle.feature_recommendations(ARRAY[h.tenant_id], k, h.t) AS r
			JOIN hidden ON hidden.tenant_id = h.tenant_id AND hidden.feature_id = r.feature_id) AS hit
		FROM h),
	pop AS (
		SELECT h.tenant_id, EXISTS (
			SELECT 1 FROM (SELECT a.feature_id FROM ad AS a WHERE a.adopted_at < h.t
					AND NOT EXISTS (SELECT 1 FROM ad AS m WHERE m.tenant_id = h.tenant_id AND m.feature_id = a.feature_id AND m.adopted_at < h.t)
				GROUP BY a.feature_id ORDER BY count(*) DESC, a.feature_id LIMIT k) AS p
			JOIN hidden ON hidden.tenant_id = h.tenant_id AND hidden.feature_id = p.feature_id) AS hit
		FROM h)
	SELECT 'recommend_features', count(*)::integer, (count(*) FILTER (WHERE rec.hit))::integer,
		(count(*) FILTER (WHERE rec.hit))::float8 / nullif(count(*), 0) FROM rec
	UNION ALL
	SELECT 'most_popular', count(*)::integer, (count(*) FILTER (WHERE pop.hit))::integer,
		(count(*) FILTER (WHERE pop.hit))::float8 / nullif(count(*), 0) FROM pop
$$;
